//! End-to-end tests of `ledgerline validate` and `ledgerline generate` as a user runs them.

use crate::support::*;

use std::io::Write;
use std::process::{Output, Stdio};

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = ledgerline(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ledgerline");
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn exit_codes_follow_the_documented_contract() {
    let good = run(
        &["validate", fixture("validate/good.txt").to_str().unwrap()],
        None,
    );
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
    let warn_only = run(
        &[
            "validate",
            fixture("validate/bad_flag.txt").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        warn_only.status.code(),
        Some(0),
        "warnings do not fail validation"
    );
    let bad = run(
        &[
            "validate",
            fixture("validate/bad_count.txt").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    let missing = run(&["validate", "no/such/file.txt"], None);
    assert_eq!(missing.status.code(), Some(2));
    let usage = run(&["validate"], None);
    assert_eq!(usage.status.code(), Some(2), "clap usage errors exit 2");
}

#[test]
fn text_output_is_grouped_by_file_with_a_summary() {
    let out = run(
        &[
            "validate",
            fixture("validate/good.txt").to_str().unwrap(),
            fixture("validate/bad_count.txt").to_str().unwrap(),
        ],
        None,
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        text.contains("good.txt (SAE, 3 rows, 2 reports): clean"),
        "{text}"
    );
    assert!(
        text.contains("error   SAE110 line 1, col 3 Record Count: the header announces 4 detail rows but the file has 3"),
        "{text}"
    );
    // bad_count.txt carries good.txt's two reports again: validated together, each is a
    // duplicate that would be posted twice (JNL210, naming the first place).
    assert!(
        text.contains("JNL210 line 2: journal R1AAAAAAAAAAAAAAAAAA is already in this run from"),
        "{text}"
    );
    // The summary ends the run on standard error, not in the findings.
    assert!(!text.contains("2 files, 6 rows"), "{text}");
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(
        err.trim_end()
            .ends_with("2 files, 6 rows, 4 reports: 3 errors, 0 warnings, 0 infos"),
        "{err}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn json_output_carries_code_severity_file_line_and_column() {
    let out = run(
        &[
            "validate",
            "--json",
            fixture("validate/bad_date.txt").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let f = &v["files"][0]["findings"][0];
    assert_eq!(f["code"], "SAE130");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["line"], 3);
    assert_eq!(f["column"]["number"], 64);
    assert_eq!(f["column"]["name"], "Report Entry Transaction Date");
    assert!(f["file"].as_str().unwrap().ends_with("bad_date.txt"));
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn stdin_directories_and_zips_are_inputs() {
    let good = std::fs::read(fixture("validate/good.txt")).unwrap();
    let out = run(&["validate", "--json", "-"], Some(&good));
    let v = json(&out);
    assert_eq!(v["files"][0]["file"], "-");
    assert_eq!(v["files"][0]["rows"], 3);

    let out = run(
        &[
            "validate",
            "--json",
            fixture("validate/prae").to_str().unwrap(),
        ],
        None,
    );
    let v = json(&out);
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(
        files[0].ends_with("prae/bad_count.txt") && files[2].ends_with("prae/good.txt"),
        "read recursively and sorted: {files:?}"
    );

    // A zip on standard input: every entry is validated, named archive!entry.
    let mut zipped = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut zipped);
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("one.txt", o).unwrap();
        z.write_all(&good).unwrap();
        z.start_file("two.txt", o).unwrap();
        z.write_all(&std::fs::read(fixture("validate/bad_total.txt")).unwrap())
            .unwrap();
        z.finish().unwrap();
    }
    let out = run(&["validate", "--json", "-"], Some(zipped.get_ref()));
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["files"][0]["file"], "-!one.txt");
    assert_eq!(v["files"][1]["file"], "-!two.txt");
    assert_eq!(v["files"][1]["findings"][0]["code"], "SAE111");
}

#[test]
fn findings_beyond_the_limit_are_counted_not_listed() {
    let out = run(
        &[
            "validate",
            "--json",
            "--max-findings",
            "1",
            fixture("validate/truncated.txt").to_str().unwrap(),
        ],
        None,
    );
    let v = json(&out);
    let f = &v["files"][0];
    assert_eq!(f["findings"].as_array().unwrap().len(), 1);
    assert_eq!(
        f["errors"].as_u64().unwrap() + f["warnings"].as_u64().unwrap(),
        4
    );
    assert_eq!(f["not_listed"], 3);
}

#[test]
fn generate_then_validate_is_clean_and_deterministic() {
    let a = run(&["generate", "--reports", "25", "--seed", "11"], None);
    let b = run(&["generate", "--reports", "25", "--seed", "11"], None);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout, "same seed, same bytes");
    let out = run(&["validate", "-"], Some(&a.stdout));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("25 reports"));
}

#[test]
fn generate_failure_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing-dir/out.txt");
    let out = run(
        &["generate", "--reports", "3", "-o", target.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!target.exists());
    let ok = dir.path().join("out.txt");
    let out = run(
        &["generate", "--reports", "3", "-o", ok.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".ledgerline-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_bundled_example_is_what_the_generator_writes() {
    let bundled = std::fs::read(root().join("fixtures/example/expense-sae.txt")).unwrap();
    let out = run(
        &[
            "generate",
            "--reports",
            "12",
            "--seed",
            "42",
            "--batch-id",
            "42",
        ],
        None,
    );
    assert!(
        out.stdout == bundled,
        "regenerate fixtures/example/expense-sae.txt (see docs/validate.md, Generating test data)"
    );
}

#[test]
fn the_manual_documents_every_finding_code() {
    let readme = std::fs::read_to_string(root().join("docs/validate.md")).unwrap();
    for check in ledgerline_findings::Check::ALL {
        let row = format!("| {:03} |", check.number());
        let line = readme.lines().find(|l| l.starts_with(&row));
        let line = line.unwrap_or_else(|| {
            panic!(
                "docs/validate.md lacks a row for code number {:03}",
                check.number()
            )
        });
        assert!(
            line.contains(check.title()),
            "docs/validate.md row {:03} should say `{}`",
            check.number(),
            check.title()
        );
    }
}

fn detect_fixture(name: &str) -> String {
    fixture("detect").join(name).to_str().unwrap().to_owned()
}

/// The findings of the file of `v` (a `--json` report) whose name ends with `suffix`.
fn file_of<'a>(v: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no file {suffix} in {v:#}"))
}

fn finding<'a>(
    file: &'a serde_json::Value,
    code: &str,
    line: Option<u64>,
) -> Option<&'a serde_json::Value> {
    file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["line"].as_u64() == line)
}

#[test]
fn damaged_first_rows_of_an_sae_are_findings_not_an_attendee_extract() {
    // (fixture, exit status, code, line)
    let cases: &[(&str, i32, &str, Option<u64>)] = &[
        ("first_row_truncated.txt", 1, "SAE120", Some(2)),
        ("first_row_long.txt", 0, "SAE137", Some(2)),
        ("blank_after_header.txt", 0, "SPL034", Some(2)),
        ("repeated_header_first.txt", 1, "SAE102", Some(2)),
        ("unknown_record_first.txt", 1, "SAE104", Some(2)),
        ("lone_detail_first.txt", 1, "SAE120", Some(2)),
        ("bad_quote_first.txt", 1, "SAE120", Some(2)),
        ("cut_in_first_row.txt", 1, "SAE120", Some(2)),
        ("single_row_cut_185.txt", 1, "SAE120", Some(2)),
        ("batch_no_key.csv", 1, "IO002", None),
    ];
    // Posting rows after more than 64 KiB of attendee-looking rows: an error at the first.
    let name = "attendee_then_postings.txt";
    let out = run(&["validate", "--json", &detect_fixture(name)], None);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let f = finding(file_of(&v, name), "ATT171", Some(62)).unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(f["severity"], "error");
    assert_eq!(f["column"]["number"], 168);
    for &(name, status, code, line) in cases {
        let out = run(&["validate", "--json", &detect_fixture(name)], None);
        let v = json(&out);
        assert_eq!(out.status.code(), Some(status), "{name}: {v:#}");
        let file = file_of(&v, name);
        if code != "IO002" {
            assert_eq!(file["kind"], "SAE", "{name}: {v:#}");
            assert!(file["rows"].as_u64().unwrap() >= 1, "{name}: {v:#}");
        }
        assert!(
            finding(file, code, line).is_some(),
            "{name}: no {code}: {v:#}"
        );
    }
    // The same bytes through a pipe give the same answer.
    let bytes = std::fs::read(detect_fixture("blank_after_header.txt")).unwrap();
    let v = json(&run(&["validate", "--json", "-"], Some(&bytes)));
    assert_eq!(v["files"][0]["kind"], "SAE", "{v:#}");
    assert_eq!(v["files"][0]["reports"], 2, "{v:#}");
}

#[test]
fn a_folder_holding_an_extract_and_an_earlier_output_refuses_the_output() {
    let out = run(
        &["validate", "--json", &detect_fixture("dir_with_output")],
        None,
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let output = file_of(&v, "expense.netsuite.csv");
    let f = finding(output, "IO005", None).unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(f["severity"], "error");
    assert!(
        f["file"]
            .as_str()
            .unwrap()
            .ends_with("expense.netsuite.csv")
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("Ledgerline netsuite file, not a Concur extract"),
        "{f:#}"
    );
    let extract = file_of(&v, "expense.txt");
    assert_eq!(extract["kind"], "SAE");
    assert_eq!(extract["errors"], 0, "{v:#}");
}

#[test]
fn every_output_format_is_refused_when_read_back_as_input() {
    let formats = run(&["formats"], None);
    let names: Vec<String> = String::from_utf8(formats.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(names.len() >= 14, "{names:?}");
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/cases/oop_cash.txt");
    // Numeric offset accounts, which every ERP format accepts.
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[offsets]\nemployee = \"2010\"\n[formats.oracle-fbdi]\nledger_id = 300000001234\n\
         [formats.iif]\nbase_currency = \"USD\"\n[formats.xero]\nbase_currency = \"USD\"\n",
    )
    .unwrap();
    for f in &names {
        let path = dir.path().join(format!("out-{f}"));
        let out = run(
            &[
                "convert",
                case.to_str().unwrap(),
                "--to",
                f,
                "--rules",
                rules.to_str().unwrap(),
                "-o",
                path.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run(&["validate", "--json", path.to_str().unwrap()], None);
        let v = json(&out);
        assert_eq!(out.status.code(), Some(1), "{f}: {v:#}");
        let hit = v["files"].as_array().unwrap().iter().any(|file| {
            file["findings"].as_array().unwrap().iter().any(|x| {
                x["code"] == "IO005"
                    && x["message"]
                        .as_str()
                        .unwrap()
                        .contains(&format!("Ledgerline {f} file"))
            })
        });
        assert!(hit, "{f}: {v:#}");
    }
}

/// After the first findings of one code, the rest are counted per cause instead of listed.
#[test]
fn many_findings_of_one_code_are_grouped_by_cause() {
    let dir = tempfile::tempdir().unwrap();
    // 60 rows of one report with a bad currency code in two variants.
    let good = std::fs::read_to_string(fixture("validate/good.txt")).unwrap();
    let row = good.lines().nth(1).unwrap();
    assert!(!row.contains('"'));
    let mut text_in = String::new();
    let mut fields: Vec<String> = row.split('|').map(str::to_owned).collect();
    let n = 60;
    let total: rust_decimal::Decimal = (0..n)
        .map(|_| {
            fields[168]
                .trim_start_matches('+')
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    text_in.push_str(&format!(
        "EXTRACT|{}|{n}|{total:.4}|{}\n",
        fields[2], fields[1]
    ));
    for i in 0..n {
        fields[3] = (i + 1).to_string();
        fields[21] = if i % 2 == 0 { "QQQ" } else { "ZZY" }.into();
        text_in.push_str(&fields.join("|"));
        text_in.push('\n');
    }
    let path = dir.path().join("many.txt");
    std::fs::write(&path, text_in).unwrap();
    let out = run(&["validate", path.to_str().unwrap()], None);
    let report = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    let listed = report.matches("error   SAE136").count();
    assert_eq!(listed, 20, "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.contains("SAE136") && l.contains("20 more, first at line"))
            && report
                .lines()
                .filter(|l| l.contains("… ") && l.contains("SAE136"))
                .count()
                == 2,
        "{report}"
    );
    let json = run(&["validate", "--json", path.to_str().unwrap()], None);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let grouped = v["files"][0]["grouped"].as_array().unwrap();
    let counted: u64 = grouped
        .iter()
        .filter(|g| g["code"] == "SAE136")
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 40);
}

//! End-to-end tests of `ledgerline convert`, `formats` and `rules` as a user runs them.

use crate::support::*;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .args(args)
        .current_dir(root())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(d) = stdin {
        child.stdin.take().unwrap().write_all(d).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn jsonl(b: &[u8]) -> Vec<serde_json::Value> {
    b.split(|c| *c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

#[test]
fn the_readme_example_converts_to_balanced_canonical_lines() {
    // The README's first command, as it is written there.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run --release -- "))
        .expect("the README's first command");
    let args: Vec<&str> = line["cargo run --release -- ".len()..]
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(args[0], "convert", "{line}");
    let out = run(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = jsonl(&out.stdout);
    assert!(!lines.is_empty());
    let mut per_journal: std::collections::BTreeMap<
        String,
        (rust_decimal::Decimal, rust_decimal::Decimal),
    > = Default::default();
    for l in &lines {
        for key in [
            "journal_id",
            "date",
            "line",
            "account",
            "debit",
            "credit",
            "currency",
            "kind",
            "counterparty",
            "employee_id",
            "report_id",
            "report_key",
            "memo",
            "dimensions",
            "source",
        ] {
            assert!(l.get(key).is_some(), "missing {key} in {l}");
        }
        let d: rust_decimal::Decimal = l["debit"].as_str().unwrap().parse().unwrap();
        let c: rust_decimal::Decimal = l["credit"].as_str().unwrap().parse().unwrap();
        assert!(d.is_zero() != c.is_zero(), "debit xor credit: {l}");
        let e = per_journal
            .entry(l["journal_id"].as_str().unwrap().to_owned())
            .or_default();
        e.0 += d;
        e.1 += c;
    }
    for (id, (d, c)) in per_journal {
        assert_eq!(d, c, "{id} does not balance");
    }
}

#[test]
fn errors_refuse_the_conversion_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    let out = run(
        &[
            "convert",
            "fixtures/validate/bad_total.txt",
            "--to",
            "jsonl",
            "-o",
            target.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!target.exists(), "no partial output");
    let err = text(&out.stderr);
    assert!(
        err.contains("SAE111") && err.contains("nothing written"),
        "{err}"
    );
    // Nothing on standard output either.
    let out = run(
        &[
            "convert",
            "fixtures/validate/bad_total.txt",
            "--to",
            "jsonl",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn force_converts_the_rest_and_every_line_lands_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    let rejects = dir.path().join("rejects.jsonl");
    // Line 3 (report R1, with line 2) has an invalid date; report R2 (line 4) is fine.
    let out = run(
        &[
            "convert",
            "fixtures/validate/bad_date.txt",
            "--to",
            "jsonl",
            "-o",
            target.to_str().unwrap(),
            "--force",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "lines were rejected: {}",
        text(&out.stderr)
    );
    let journals = jsonl(&std::fs::read(&target).unwrap());
    let rejected = jsonl(&std::fs::read(&rejects).unwrap());
    let mut in_journals = BTreeSet::new();
    for l in &journals {
        if l["kind"] != "offset" {
            for n in l["source"]["lines"].as_array().unwrap() {
                assert!(in_journals.insert(n.as_u64().unwrap()), "line {n} twice");
            }
        }
    }
    let in_rejects: BTreeSet<u64> = rejected
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(in_journals, BTreeSet::from([4]));
    assert_eq!(
        in_rejects,
        BTreeSet::from([2, 3]),
        "the whole report R1 is held back"
    );
    assert!(in_journals.is_disjoint(&in_rejects));
    let own = rejected.iter().find(|r| r["line"] == 3).unwrap();
    assert!(own["reason"].as_str().unwrap().contains("SAE130"), "{own}");
    let other = rejected.iter().find(|r| r["line"] == 2).unwrap();
    assert!(
        other["reason"]
            .as_str()
            .unwrap()
            .contains("whole report is held back"),
        "{other}"
    );
}

#[test]
fn every_format_writes_and_unknown_formats_are_named() {
    for f in ["jsonl", "csv", "hledger", "beancount"] {
        let out = run(&["convert", "fixtures/cases/oop_cash.txt", "--to", f], None);
        assert_eq!(out.status.code(), Some(0), "{f}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty(), "{f}");
    }
    let out = run(
        &["convert", "fixtures/cases/oop_cash.txt", "--to", "sap-r2"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("choose one of jsonl, csv"),
        "{}",
        text(&out.stderr)
    );
    let formats = text(&run(&["formats"], None).stdout);
    for f in ["jsonl", "csv", "hledger", "beancount"] {
        assert!(formats.lines().any(|l| l.starts_with(f)), "{formats}");
    }
}

#[test]
fn csv_output_has_the_canonical_columns() {
    let out = run(
        &[
            "convert",
            "fixtures/cases/allocation.txt",
            "--to",
            "csv",
            "--rules",
            "fixtures/cases/allocation.toml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let mut lines = t.lines();
    assert_eq!(
        lines.next().unwrap(),
        "journal_id,date,line,account,debit,credit,currency,kind,counterparty,employee_id,report_id,report_key,memo,dimensions,source_file,source_lines"
    );
    let first = lines.next().unwrap();
    assert!(
        first.contains(r#""{""cost_center"":""CC100""}""#),
        "{first}"
    );
}

#[test]
fn rules_init_writes_a_starter_that_check_accepts_and_bad_rules_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledgerline.toml");
    let p = path.to_str().unwrap();
    assert_eq!(run(&["rules", "init", p], None).status.code(), Some(0));
    assert_eq!(
        run(&["rules", "init", p], None).status.code(),
        Some(2),
        "refuses to overwrite"
    );
    assert_eq!(run(&["rules", "check", p], None).status.code(), Some(0));
    let out = run(
        &[
            "convert",
            "fixtures/cases/oop_cash.txt",
            "--to",
            "jsonl",
            "--rules",
            p,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[offsets]\nemployee = \"{employe_id}\"\n").unwrap();
    let out = run(&["rules", "check", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("offsets.employee") && err.contains("{employe_id}"),
        "{err}"
    );
}

#[test]
fn group_flag_overrides_the_rules_and_stdin_works() {
    let data = std::fs::read(root().join("fixtures/example/expense-sae.txt")).unwrap();
    let out = run(
        &["convert", "-", "--to", "jsonl", "--group", "batch"],
        Some(&data),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ids: BTreeSet<String> = jsonl(&out.stdout)
        .iter()
        .map(|l| l["journal_id"].as_str().unwrap().to_owned())
        .collect();
    let currencies: BTreeSet<String> = jsonl(&out.stdout)
        .iter()
        .map(|l| l["currency"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        currencies.len(),
        "one journal per batch and currency: {ids:?}"
    );
}

#[test]
fn validate_reports_journal_findings_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.txt");
    // A payment type nobody knows: classification must fail, naming line and name.
    let t = std::fs::read_to_string(root().join("fixtures/cases/oop_cash.txt")).unwrap();
    std::fs::write(&file, t.replace("|Employee|", "|Contractor|")).unwrap();
    let out = run(&["validate", "--json", file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["files"][0]["findings"][0];
    assert_eq!(f["code"], "JNL201");
    assert_eq!(f["line"], 2);
    assert!(
        f["message"].as_str().unwrap().contains("`Contractor`"),
        "{f}"
    );
    let _ = PathBuf::new();
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    use std::io::Read;
    // `ledgerline convert ... | head -1`: the pipe closes after the first bytes. The output
    // (about 1 MB) is far more than a pipe buffers, so writing it must meet the closed pipe.
    let dir = tempfile::tempdir().unwrap();
    let extract = dir.path().join("big.txt");
    let g = run(
        &[
            "generate",
            "--reports",
            "400",
            "-o",
            extract.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(g.status.code(), Some(0), "{}", text(&g.stderr));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .args(["convert", extract.to_str().unwrap(), "--to", "jsonl"])
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here, so the rest of the output hits a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141), "as if ended by SIGPIPE");
    assert_eq!(text(&out.stderr), "", "no error message for a closed pipe");
}

#[test]
fn every_run_ends_with_a_summary_per_currency() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("o.csv");
    let ledger = dir.path().join("l.sqlite");
    let args = [
        "convert",
        "fixtures/example/expense-sae.txt",
        "--to",
        "csv",
        "-o",
        out_path.to_str().unwrap(),
        "--ledger",
        ledger.to_str().unwrap(),
    ];
    let first = run(&args, None);
    assert_eq!(first.status.code(), Some(0));
    let err = text(&first.stderr);
    assert!(
        err.contains(&format!(
            "1 file read: 13 journals, 97 lines written to {}",
            out_path.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("JPY  debits 240,480 = credits 240,480  (2 journals)"),
        "{err}"
    );
    // Writing over the file the ledger records those journals in would lose them before
    // they are imported: refused, and the file is left as it was.
    let written = std::fs::read(&out_path).unwrap();
    let over = run(&args, None);
    assert_eq!(over.status.code(), Some(2), "{}", text(&over.stderr));
    assert!(
        text(&over.stderr).contains("holds 13 journals an earlier run posted"),
        "{}",
        text(&over.stderr)
    );
    assert_eq!(std::fs::read(&out_path).unwrap(), written);
    // Into a new file: nothing new to post, so no empty file is written.
    let next = dir.path().join("next.csv");
    let mut args = args;
    args[5] = next.to_str().unwrap();
    let again = run(&args, None);
    let err = text(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "1 file read: nothing new to post, {} not written",
            next.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("13 journals skipped: posted before (JNL208)"),
        "{err}"
    );
    assert!(!next.exists());
}

#[test]
fn clutter_in_an_input_folder_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("incoming");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(
        root().join("fixtures/example/expense-sae.txt"),
        inbox.join("extract.txt"),
    )
    .unwrap();
    std::fs::write(inbox.join("README.md"), "# what this folder is for\n").unwrap();
    std::fs::write(inbox.join("receipt.pdf"), b"%PDF-1.4\n\x00\x01binary").unwrap();
    let inbox_s = inbox.to_str().unwrap();
    let out_path = dir.path().join("o.jsonl");
    let out = run(
        &[
            "convert",
            inbox_s,
            "--to",
            "jsonl",
            "-o",
            out_path.to_str().unwrap(),
        ],
        None,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("README.md") && err.contains("skipped"),
        "{err}"
    );
    assert!(err.contains("receipt.pdf"), "{err}");
    // The summary counts the extract as read and the clutter apart.
    assert!(
        err.contains("1 file read (2 other files skipped: not extracts): 13 journals"),
        "{err}"
    );
    assert!(out_path.exists());
    // --strict-inputs: the clutter is an error, nothing written.
    let strict_path = dir.path().join("s.jsonl");
    let strict = run(
        &[
            "convert",
            inbox_s,
            "--to",
            "jsonl",
            "--strict-inputs",
            "-o",
            strict_path.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stderr));
    assert!(!strict_path.exists());
    // --glob: only the extract is read at all.
    let v = run(
        &["validate", inbox_s, "--glob", "*.txt", "--strict-inputs"],
        None,
    );
    let report = text(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{report}");
    assert!(text(&v.stderr).contains("1 file,"), "{}", text(&v.stderr));
    assert!(!report.contains("README"), "{report}");
    // A file named on the command line is never skipped quietly.
    let named = run(
        &["validate", inbox.join("README.md").to_str().unwrap()],
        None,
    );
    assert_eq!(named.status.code(), Some(1));
}

#[test]
fn rules_check_catches_format_setting_typos() {
    let dir = tempfile::tempdir().unwrap();
    let check = |body: &str| {
        let p = dir.path().join("r.toml");
        std::fs::write(&p, body).unwrap();
        let out = run(&["rules", "check", p.to_str().unwrap()], None);
        (out.status.code(), text(&out.stderr))
    };
    let (code, err) = check("[formats.netsuite]\nsubsidairy = \"1\"\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("subsidairy") && err.contains("unknown setting"),
        "{err}"
    );
    let (code, err) = check("[formats.netsuit]\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("formats.netsuit: unknown format"), "{err}");
    let (code, err) = check("[formats.qbo]\ncurrency = \"yes\"\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("currency"), "{err}");
    let (code, err) = check("[formats.qbo]\ncurrency = true\n");
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn placeholder_accounts_in_an_erp_file_get_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let ns = dir.path().join("ns.csv");
    let out = convert_example("netsuite", ns.to_str().unwrap());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("placeholder accounts").count(), 1, "{err}");
    assert!(err.contains("EMPLOYEE_PAYABLE (13 lines)"), "{err}");
    let js = dir.path().join("o.jsonl");
    let out = convert_example("jsonl", js.to_str().unwrap());
    assert!(!text(&out.stderr).contains("placeholder"));
}

#[test]
fn unknown_payment_types_are_named_at_once_with_a_section_to_paste() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(root().join("fixtures/example/expense-sae.txt")).unwrap();
    let renamed = example.replace(
        "|Company|Company/Employee Pseudo Payment Code|Employee|",
        "|University|Company/Employee Pseudo Payment Code|Employee|",
    );
    assert_ne!(renamed, example);
    let input = dir.path().join("renamed.txt");
    std::fs::write(&input, &renamed).unwrap();
    let out = run(&["validate", "--json", input.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["files"][0]["findings"].as_array().unwrap();
    let summary: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["code"] == "JNL211").collect();
    assert_eq!(summary.len(), 1, "{findings:?}");
    let message = summary[0]["message"].as_str().unwrap();
    assert!(message.contains("`University` (27 line(s)"), "{message}");
    // The section pastes as it is.
    let section = &message[message.find("[payment_types]").unwrap()..];
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, section).unwrap();
    assert_converts_with(&input, &rules);
}

#[test]
fn json_output_is_only_json() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let ledger_s = ledger.to_str().unwrap();
    let out_csv = dir.path().join("o.csv");
    let ex = "fixtures/example/expense-sae.txt";
    let parse = |b: &[u8], what: &str| {
        serde_json::from_slice::<serde_json::Value>(b)
            .unwrap_or_else(|e| panic!("{what}: {e}: {}", text(b)))
    };
    parse(&run(&["validate", "--json", ex], None).stdout, "validate");
    parse(&run(&["inspect", ex, "--json"], None).stdout, "inspect");
    let conv = run(
        &[
            "convert",
            ex,
            "--to",
            "csv",
            "-o",
            out_csv.to_str().unwrap(),
            "--ledger",
            ledger_s,
            "--json",
        ],
        None,
    );
    assert!(conv.stdout.is_empty());
    parse(&conv.stderr, "convert (report on stderr)");
    // A rerun with every journal skipped: still one JSON document, no summary mixed in.
    let again = run(
        &[
            "convert",
            ex,
            "--to",
            "csv",
            "-o",
            dir.path().join("o2.csv").to_str().unwrap(),
            "--ledger",
            ledger_s,
            "--json",
        ],
        None,
    );
    parse(&again.stderr, "convert again");
    parse(
        &run(&["ledger", "list", "--ledger", ledger_s, "--json"], None).stdout,
        "ledger list",
    );
    parse(
        &run(
            &["ledger", "forget", "NOPE", "--ledger", ledger_s, "--json"],
            None,
        )
        .stdout,
        "ledger forget",
    );
}

#[test]
fn rules_init_from_an_extract_guesses_its_payment_types() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(root().join("fixtures/example/expense-sae.txt")).unwrap();
    // Renamed payment types: the company as "University", the employee repaying as "Staff".
    let renamed = example
        .replace(
            "|Company|Company/Employee Pseudo Payment Code|Employee|",
            "|University|Company/Employee Pseudo Payment Code|Employee|",
        )
        .replace(
            "|Employee|Company/Employee Pseudo Payment Code|Company|",
            "|Staff|Company/Employee Pseudo Payment Code|Company|",
        );
    let input = dir.path().join("renamed.txt");
    std::fs::write(&input, &renamed).unwrap();
    let refused = run(&["convert", input.to_str().unwrap(), "--to", "jsonl"], None);
    assert_eq!(refused.status.code(), Some(1));
    let rules = dir.path().join("ledgerline.toml");
    let init = run(
        &[
            "rules",
            "init",
            rules.to_str().unwrap(),
            "--from",
            input.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let written = std::fs::read_to_string(&rules).unwrap();
    assert!(
        written.contains("\"University\" = \"company\"   # REVIEW"),
        "{written}"
    );
    assert!(
        written.contains("\"Staff\" = \"employee\"   # REVIEW"),
        "{written}"
    );
    assert!(
        written.contains("# \"DEVAT\": a tax authority"),
        "{written}"
    );
    assert!(
        written.contains("# \"60300\" = \"\"   # 5 line(s): Business Meal"),
        "{written}"
    );
    assert!(
        written.contains("{ReportOrgUnit1}\"   # 5 value(s)"),
        "{written}"
    );
    let check = run(&["rules", "check", rules.to_str().unwrap()], None);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    assert_converts_with(&input, &rules);
}

#[test]
fn sap_points_placeholder_accounts_to_the_offsets_section() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("s.csv");
    let out = convert_example("sap", out_path.to_str().unwrap());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("\"EMPLOYEE_PAYABLE\"") && err.contains("[offsets]"),
        "{err}"
    );
    assert!(!err.contains("[accounts.map]"), "{err}");
    assert!(!out_path.exists());
}

/// `input` converts cleanly with the rules file `rules`.
fn assert_converts_with(input: &Path, rules: &Path) {
    let conv = run(
        &[
            "convert",
            input.to_str().unwrap(),
            "--to",
            "jsonl",
            "--rules",
            rules.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(conv.status.code(), Some(0), "{}", text(&conv.stderr));
}

/// `convert` of the bundled example to `format` into `out`.
fn convert_example(format: &str, out: &str) -> Output {
    run(
        &[
            "convert",
            "fixtures/example/expense-sae.txt",
            "--to",
            format,
            "-o",
            out,
        ],
        None,
    )
}

/// Every `ledgerline ...` command line in the shell blocks of the README and of the manual
/// (docs/*.md) names a real command
/// and only flags its `--help` lists, so the README cannot drift from the CLI. (The examples
/// themselves run in the tests of each section: convert, ledger, rules, fetch, simulate.)
#[test]
fn readme_command_lines_use_real_commands_and_flags() {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 6, "the manual's pages: {docs:?}");
    pages.extend(docs);
    let text_of_pages: String = pages
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let mut in_sh = false;
    let mut checked = 0;
    let mut helps: std::collections::HashMap<String, String> = Default::default();
    for line in text_of_pages.lines() {
        if line.trim_start().starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let Some(rest) = line.trim_start().split("ledgerline ").nth(1) else {
            continue;
        };
        let code = rest.split('#').next().unwrap();
        let words: Vec<&str> = code.split_whitespace().collect();
        let Some(cmd) = words.first() else { continue };
        if cmd.starts_with('<') {
            continue;
        }
        // Two-word commands: `ledger list`, `rules init`, ...
        let mut path = vec![*cmd];
        if let Some(sub) = words.get(1)
            && ["ledger", "rules", "entry"].contains(cmd)
            && sub.chars().all(|c| c.is_ascii_lowercase())
        {
            path.push(sub);
        }
        let key = path.join(" ");
        let help = helps.entry(key.clone()).or_insert_with(|| {
            let mut args: Vec<&str> = path.clone();
            args.push("--help");
            let out = run(&args, None);
            assert_eq!(
                out.status.code(),
                Some(0),
                "`ledgerline {key}` is no command"
            );
            text(&out.stdout)
        });
        let flags = words
            .iter()
            .map(|w| w.trim_matches(|c| c == '[' || c == ']' || c == '`' || c == '('))
            .filter(|w| w.starts_with("--"))
            .map(|w| w.split('=').next().unwrap().trim_end_matches([']', ')']));
        for flag in flags {
            assert!(
                help.contains(&format!("{flag} "))
                    || help.contains(&format!("{flag}\n"))
                    || help.contains(&format!("{flag}="))
                    || help.contains(&format!("{flag},")),
                "README line `{line}`: `ledgerline {key}` has no {flag}"
            );
        }
        checked += 1;
    }
    assert!(
        checked > 20,
        "only {checked} command lines found in the README and docs/"
    );
}

/// The README's five-step walkthrough, run as a new user would: each `ledgerline` command
/// of its shell blocks, in order, in a fresh folder holding the bundled example, with the
/// one edit step 3 asks for (real accounts in `[offsets]`) done in between.
#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("<!-- walkthrough:start -->").unwrap();
    let end = readme.find("<!-- walkthrough:end -->").unwrap();
    let commands: Vec<&str> = readme[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("ledgerline "))
        .collect();
    assert_eq!(commands.len(), 5, "{commands:?}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("fixtures/example")).unwrap();
    std::fs::copy(
        root().join("fixtures/example/expense-sae.txt"),
        dir.path().join("fixtures/example/expense-sae.txt"),
    )
    .unwrap();
    let exec = |line: &str| {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
            .args(&words)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "`{line}`:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        out
    };
    let mut convert_err = String::new();
    for (i, line) in commands.iter().enumerate() {
        if line.contains("rules check") {
            // Step 3: the user sets the accounts of the other side.
            let path = dir.path().join("ledgerline.toml");
            let rules = std::fs::read_to_string(&path).unwrap();
            let edited = rules
                .replace("\"EMPLOYEE_PAYABLE\"", "\"2100\"")
                .replace("\"CARD_PAYABLE\"", "\"2150\"")
                .replace("\"COMPANY_PAID_CLEARING\"", "\"2190\"")
                .replace("\"CASH_ADVANCE_RECEIVABLE\"", "\"1410\"");
            assert_ne!(
                rules, edited,
                "the starter has the placeholders step 3 replaces"
            );
            std::fs::write(&path, edited).unwrap();
        }
        let out = exec(line);
        if i == 4 {
            convert_err = text(&out.stderr);
        }
    }
    let csv = std::fs::read_to_string(dir.path().join("netsuite-2024-03.csv")).unwrap();
    assert!(
        csv.starts_with("External ID,Date,Subsidiary,Currency"),
        "{csv}"
    );
    assert!(
        !csv.contains("EMPLOYEE_PAYABLE"),
        "step 3's accounts are used"
    );
    assert!(
        convert_err.contains("13 journals, 97 lines written"),
        "{convert_err}"
    );
    assert!(!convert_err.contains("placeholder"), "{convert_err}");
    // Step 5's promise: the same extract again, into a new file, posts nothing.
    let again = exec(&commands[4].replace("netsuite-2024-03.csv", "netsuite-2024-04.csv"));
    assert!(
        text(&again.stderr).contains("nothing new to post"),
        "{}",
        text(&again.stderr)
    );
    assert!(!dir.path().join("netsuite-2024-04.csv").exists());
}

#[test]
fn convert_json_is_only_json_even_when_the_format_warns() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("n.csv").display().to_string();
    // NetSuite takes two decimals: the example's BHD amounts (three) are re-rounded, with a
    // warning that goes into the document instead of before it.
    let out = ledgerline(&[
        "convert", EXAMPLE, "--to", "netsuite", "-o", &out_path, "--json",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stderr).expect("standard error is one JSON document");
    let w = &doc["written"];
    assert!(
        w["format_warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("re-rounded")),
        "{w}"
    );
    assert_eq!(w["written"], true);
    assert_eq!(w["output"], out_path.as_str());
    assert!(w["journals"].as_u64().unwrap() > 0);
    for (_, t) in w["currencies"].as_object().unwrap() {
        assert_eq!(t["debits"], t["credits"], "{t}");
    }
    assert!(
        w["placeholder_warning"]
            .as_str()
            .unwrap()
            .contains("EMPLOYEE_PAYABLE")
    );
    // Without --json the warnings stay plain text.
    let text_run = ledgerline(&["convert", EXAMPLE, "--to", "netsuite", "-o", &out_path])
        .output()
        .unwrap();
    assert!(text(&text_run.stderr).contains("warning: netsuite: journal"));
}

/// The example with its three non-default payment types renamed (as a company may name
/// them), and with column 126 (the entry's payment code) replaced by `code` on their lines
/// when given.
fn example_renamed(dir: &Path, code: Option<&str>) -> String {
    let text = std::fs::read_to_string(root().join(EXAMPLE))
        .unwrap()
        .replace("Visa CBCP Central", "Visa Central")
        .replace("Amex IBCP Corporate", "Amex Corporate")
        .replace("Company Paid COPD", "Direct Bill");
    let renamed = ["Visa Central", "Amex Corporate", "Direct Bill"];
    let mut out = String::new();
    for line in text.lines() {
        let mut f: Vec<&str> = line.split('|').collect();
        if let Some(code) = code
            && f.len() > 127
            && renamed.contains(&f[126])
        {
            f[125] = code;
        }
        out.push_str(&f.join("|"));
        out.push('\n');
    }
    let path = dir.join("renamed.txt");
    std::fs::write(&path, out).unwrap();
    path.display().to_string()
}

#[test]
fn rules_init_reads_the_roles_of_renamed_payment_types_from_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let extract = example_renamed(dir.path(), None);
    let rules = dir.path().join("rules.toml").display().to_string();
    let out = ledgerline(&["rules", "init", &rules, "--from", &extract])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let starter = std::fs::read_to_string(&rules).unwrap();
    for (name, role, code) in [
        ("Direct Bill", "company_paid", "COPD"),
        ("Visa Central", "card:cbcp", "CBCP"),
        ("Amex Corporate", "card:ibcp", "IBCP"),
    ] {
        let line = starter
            .lines()
            .find(|l| l.starts_with(&format!("\"{name}\" = ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{starter}"));
        assert!(
            line.contains(&format!("\"{role}\"")) && line.contains(&format!("payment code {code}")),
            "{line}"
        );
    }
    // The starter, unedited, converts the file as the built-in reading of the codes does.
    let out_path = dir.path().join("o.jsonl").display().to_string();
    let out = ledgerline(&[
        "convert", &extract, "--rules", &rules, "--to", "jsonl", "-o", &out_path,
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn convert_names_every_unknown_payment_type_with_a_section_to_paste() {
    let dir = tempfile::tempdir().unwrap();
    // Renamed, and no payment code to read the role from.
    let extract = example_renamed(dir.path(), Some("XXXX"));
    let out = ledgerline(&["convert", &extract, "--to", "csv", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let jnl211 = err
        .lines()
        .position(|l| l.contains("JNL211"))
        .unwrap_or_else(|| panic!("no JNL211 in convert's output:\n{err}"));
    assert!(
        err.lines()
            .nth(jnl211)
            .unwrap()
            .contains("3 payment type(s)"),
        "{err}"
    );
    let rest: Vec<&str> = err.lines().skip(jnl211 + 1).collect();
    assert_eq!(rest.first(), Some(&"[payment_types]"), "{err}");
    for name in ["Visa Central", "Amex Corporate", "Direct Bill"] {
        assert!(
            rest.iter()
                .any(|l| l.starts_with(&format!("\"{name}\" = "))),
            "{err}"
        );
    }
}

#[test]
fn convert_json_stays_only_json_when_a_killed_run_left_files_behind() {
    let dir = tempfile::tempdir().unwrap();
    // A temporary file of a process that is gone (pids stop well below this one).
    let stale = dir.path().join(".ledgerline-4000000-abc.tmp");
    std::fs::write(&stale, "half a journal").unwrap();
    let out_path = dir.path().join("o.jsonl").display().to_string();
    let out = ledgerline(&[
        "convert", EXAMPLE, "--to", "jsonl", "-o", &out_path, "--json",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stderr).expect("standard error is one JSON document");
    assert!(!stale.exists(), "the leftover is removed");
    let recovered = doc["written"]["recovered"].as_array().unwrap();
    assert_eq!(recovered.len(), 1, "{doc}");
    assert!(
        recovered[0]
            .as_str()
            .unwrap()
            .contains("left by an interrupted run")
    );
    // Without --json it is said as text.
    std::fs::write(&stale, "half a journal").unwrap();
    let out = ledgerline(&["convert", EXAMPLE, "--to", "jsonl", "-o", &out_path])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).starts_with("ledgerline: removed "),
        "{}",
        text(&out.stderr)
    );
}

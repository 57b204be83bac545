//! The posting guarantees as a user meets them: nothing posted wrong (`--force` rejects a
//! report that does not reconcile, refuses a damaged file), nothing posted twice (the same
//! extract twice in one run, per-target ledger), nothing lost or half-written (zero lines,
//! empty reports, interrupted runs, outputs that would overwrite inputs).

use crate::support::*;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn cmd(args: &[&str]) -> Command {
    ledgerline(args)
}

fn run(args: &[&str]) -> Output {
    cmd(args).output().unwrap()
}

fn run_env(args: &[&str], env: (&str, &str)) -> Output {
    cmd(args).env(env.0, env.1).output().unwrap()
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
    /// Names in the folder, sorted.
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.0.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }
}

/// `convert INPUT --to FORMAT --force --rejects <d>/r.jsonl -o <d>/OUT`.
fn forced(d: &Dir, input: &str, to: &str, out: &str) -> Vec<String> {
    [
        "convert",
        input,
        "--to",
        to,
        "--force",
        "--rejects",
        &d.s("r.jsonl"),
        "-o",
        &d.s(out),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn lines_of(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn journal_ids(path: &Path) -> std::collections::BTreeSet<String> {
    lines_of(path)
        .iter()
        .map(|l| l["journal_id"].as_str().unwrap().to_owned())
        .collect()
}

fn example_with_bad_319(d: &Dir) -> (String, String) {
    crate::support::example_with_bad_319(d.0.path())
}

#[test]
fn force_rejects_a_report_that_does_not_reconcile_instead_of_posting_it() {
    let d = Dir::new();
    let (input, id) = example_with_bad_319(&d);
    let refused = run(&["convert", &input, "--to", "jsonl", "-o", &d.s("o.jsonl")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("JNL202"));
    assert!(!d.path("o.jsonl").exists());
    let forced = run(&forced(&d, &input, "jsonl", "o.jsonl")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(forced.status.code(), Some(1), "{}", text(&forced.stderr));
    assert!(
        !journal_ids(&d.path("o.jsonl")).contains(&id),
        "posted anyway"
    );
    let rejects = lines_of(&d.path("r.jsonl"));
    assert!(
        rejects
            .iter()
            .any(|r| r["journal_id"] == id.as_str() && r["status"] == "rejected"),
        "{rejects:?}"
    );
    let clean = run(&["convert", EXAMPLE, "--to", "jsonl", "-o", &d.s("c.jsonl")]);
    assert_eq!(clean.status.code(), Some(0));
    let mut expected = journal_ids(&d.path("c.jsonl"));
    expected.remove(&id);
    assert_eq!(journal_ids(&d.path("o.jsonl")), expected);
}

#[test]
fn a_download_cut_at_a_line_end_is_refused_even_with_force() {
    let d = Dir::new();
    let text_in = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    let cut: String = text_in.lines().take(31).map(|l| format!("{l}\n")).collect();
    std::fs::write(d.path("cut.txt"), cut).unwrap();
    let out = run(&forced(&d, &d.s("cut.txt"), "csv", "o.csv")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("SAE110") || err.contains("SAE111"), "{err}");
    assert!(err.contains("fetch the file again"), "{err}");
    assert!(!d.path("o.csv").exists(), "a damaged file was posted");
    assert!(!d.path("r.jsonl").exists(), "rejects without an output");
    assert_eq!(d.names(), ["cut.txt"], "temporary files left behind");
}

#[test]
fn the_same_extract_twice_is_an_error_and_force_posts_it_once() {
    let d = Dir::new();
    let copy = d.s("renamed-copy.txt");
    std::fs::copy(root().join(EXAMPLE), &copy).unwrap();
    let out = run(&[
        "convert",
        EXAMPLE,
        &copy,
        "--to",
        "netsuite",
        "-o",
        &d.s("ns.csv"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("IO007") && err.contains("same content as"),
        "{err}"
    );
    assert!(err.contains("JNL210") && err.contains(EXAMPLE), "{err}");
    assert!(!d.path("ns.csv").exists());
    let forced = run(&[
        "convert",
        EXAMPLE,
        &copy,
        "--to",
        "jsonl",
        "--force",
        "--rejects",
        &d.s("r.jsonl"),
        "-o",
        &d.s("twice.jsonl"),
    ]);
    assert_eq!(forced.status.code(), Some(1));
    let once = run(&[
        "convert",
        EXAMPLE,
        "--to",
        "jsonl",
        "-o",
        &d.s("once.jsonl"),
    ]);
    assert_eq!(once.status.code(), Some(0));
    assert_eq!(
        lines_of(&d.path("twice.jsonl")),
        lines_of(&d.path("once.jsonl")),
        "the copy was posted"
    );
    let rejects = lines_of(&d.path("r.jsonl"));
    assert!(!rejects.is_empty());
    assert!(
        rejects
            .iter()
            .filter(|r| r["status"] == "rejected")
            .all(|r| r["file"] == copy.as_str()),
        "{rejects:?}"
    );
}

#[test]
fn an_extract_next_to_itself_in_a_zip_is_caught() {
    let d = Dir::new();
    let data = std::fs::read(root().join(EXAMPLE)).unwrap();
    {
        let f = std::fs::File::create(d.path("both.zip")).unwrap();
        let mut z = zip::ZipWriter::new(f);
        for name in ["a.txt", "b/a-again.txt"] {
            z.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(&data).unwrap();
        }
        z.finish().unwrap();
    }
    let out = run(&["validate", &d.s("both.zip")]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(
        report.contains("IO007") && report.contains("JNL210"),
        "{report}"
    );
}

#[test]
fn the_posting_ledger_is_per_target() {
    let d = Dir::new();
    let ledger = d.s("ledger.sqlite");
    let post = |to: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "convert", EXAMPLE, "--to", to, "-o", out, "--ledger", &ledger,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let ns = post("jsonl", &d.s("netsuite.jsonl"), &["--target", "netsuite"]);
    assert_eq!(ns.status.code(), Some(0), "{}", text(&ns.stderr));
    let n = journal_ids(&d.path("netsuite.jsonl")).len();
    // Another target: everything is posted there too.
    let intacct = post("intacct", &d.s("intacct.csv"), &[]);
    assert_eq!(intacct.status.code(), Some(0), "{}", text(&intacct.stderr));
    assert!(!text(&intacct.stderr).contains("JNL208"));
    // The same target again: nothing.
    let again = post("jsonl", &d.s("again.jsonl"), &["--target", "netsuite"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stderr).contains("JNL208"));
    assert!(!d.path("again.jsonl").exists(), "nothing new: no file");
    let list = run(&["ledger", "list", "--ledger", &ledger, "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let rows = doc["journals"].as_array().unwrap();
    assert_eq!(rows.len(), 2 * n);
    assert_eq!(rows.iter().filter(|r| r["target"] == "intacct").count(), n);
    // Forget what the file posted to one target: only that is posted again.
    let abs = std::fs::canonicalize(d.path("netsuite.jsonl")).unwrap();
    let forget = run(&[
        "ledger",
        "forget",
        "--file",
        &abs.display().to_string(),
        "--target",
        "netsuite",
        "--ledger",
        &ledger,
    ]);
    assert_eq!(forget.status.code(), Some(0), "{}", text(&forget.stderr));
    let third = post("jsonl", &d.s("third.jsonl"), &["--target", "netsuite"]);
    assert_eq!(third.status.code(), Some(0));
    assert_eq!(journal_ids(&d.path("third.jsonl")).len(), n);
    let intacct_again = post("intacct", &d.s("intacct2.csv"), &[]);
    assert!(text(&intacct_again.stderr).contains("JNL208"));
}

#[test]
fn zero_lines_and_zero_reports_are_listed_and_every_format_converts() {
    let d = Dir::new();
    let formats = run(&["formats"]);
    let names: Vec<String> = text(&formats.stdout)
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(names.len() > 10, "{names:?}");
    for input in [
        "fixtures/guarantees/zero_report.txt",
        "fixtures/guarantees/rounds_to_zero.txt",
    ] {
        let v = run(&["validate", input]);
        assert_eq!(v.status.code(), Some(0), "{input}: {}", text(&v.stdout));
        for f in &names {
            let out_path = d.s(&format!("out.{f}"));
            let rejects = d.path("r.jsonl");
            let mut args = vec![
                "convert",
                input,
                "--to",
                f,
                "-o",
                &out_path,
                "--rejects",
                rejects.to_str().unwrap(),
            ];
            // Numeric offset accounts that fit SAP's G/L field (the placeholders do not), and
            // the settings some formats cannot do without.
            let rules = d.s("rules.toml");
            std::fs::write(
                &rules,
                "[offsets]\nemployee = \"200100\"\n[formats.oracle-fbdi]\nledger_id = 300000001234\n\
                 [formats.iif]\nbase_currency = \"USD\"\n[formats.xero]\nbase_currency = \"USD\"\n",
            )
            .unwrap();
            args.extend(["--rules", &rules]);
            let out = run(&args);
            let err = text(&out.stderr);
            // (The JPY line rounds to nothing: no JPY journal reaches the formats without
            // a currency column, so they have nothing to refuse.)
            assert_eq!(out.status.code(), Some(0), "{input} --to {f}: {err}");
            let listed = lines_of(&rejects);
            assert!(
                listed.iter().all(|r| r["status"] == "skipped"),
                "{listed:?}"
            );
            let lines: Vec<u64> = listed.iter().map(|r| r["line"].as_u64().unwrap()).collect();
            if input.contains("zero_report") {
                assert_eq!(lines, [2, 3], "{input} {f}");
            } else {
                assert_eq!(lines, [3, 4], "{input} {f}");
            }
        }
    }
}

#[test]
fn an_output_may_not_overwrite_an_input_or_another_output() {
    let d = Dir::new();
    let input = d.s("in.txt");
    std::fs::copy(root().join(EXAMPLE), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let same = run(&["convert", &input, "--to", "csv", "-o", &input]);
    assert_eq!(same.status.code(), Some(2));
    assert!(text(&same.stderr).contains("is also an input"));
    assert_eq!(std::fs::read(&input).unwrap(), before);
    let both = run(&[
        "convert",
        &input,
        "--to",
        "csv",
        "-o",
        &d.s("x"),
        "--force",
        "--rejects",
        &d.s("x"),
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert!(text(&both.stderr).contains("are the same file"));
    assert!(!d.path("x").exists());
}

#[test]
fn a_run_killed_between_its_renames_is_completed_by_the_next_run() {
    let d = Dir::new();
    let (input, _) = example_with_bad_319(&d);
    let owned = forced(&d, &input, "jsonl", "o.jsonl");
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    let killed = run_env(&args, ("LEDGERLINE_FAILPOINT", "commit-first-renamed"));
    assert_eq!(killed.status.code(), Some(134));
    assert!(d.path("o.jsonl").exists());
    assert!(!d.path("r.jsonl").exists());
    assert!(
        d.names()
            .iter()
            .any(|n| n.starts_with(".ledgerline-commit-")),
        "{:?}",
        d.names()
    );
    // Any later run writing into the folder finishes the set first.
    let next = run(&["convert", EXAMPLE, "--to", "csv", "-o", &d.s("other.csv")]);
    assert_eq!(next.status.code(), Some(0), "{}", text(&next.stderr));
    assert!(text(&next.stderr).contains("completed an interrupted commit"));
    assert!(!lines_of(&d.path("r.jsonl")).is_empty());
    assert!(
        d.names().iter().all(|n| !n.starts_with(".ledgerline")),
        "{:?}",
        d.names()
    );
}

#[test]
fn temporary_files_of_a_killed_run_are_removed_by_the_next_run() {
    let d = Dir::new();
    let ledger = d.s("l.sqlite");
    let args = [
        "convert",
        EXAMPLE,
        "--to",
        "jsonl",
        "-o",
        &d.s("o.jsonl"),
        "--ledger",
        &ledger,
    ];
    let killed = run_env(&args, ("LEDGERLINE_FAILPOINT", "ledger-pending"));
    assert_eq!(killed.status.code(), Some(134));
    assert!(
        d.names().iter().any(|n| n.starts_with(".ledgerline-")),
        "{:?}",
        d.names()
    );
    let next = run(&args);
    assert_eq!(next.status.code(), Some(0), "{}", text(&next.stderr));
    assert!(text(&next.stderr).contains("left by an interrupted run"));
    assert!(
        d.names().iter().all(|n| !n.starts_with(".ledgerline")),
        "{:?}",
        d.names()
    );
    assert!(!journal_ids(&d.path("o.jsonl")).is_empty());
}

#[cfg(unix)]
#[test]
fn a_signal_removes_the_temporary_output() {
    let d = Dir::new();
    let mut child = cmd(&["convert", "-", "--to", "jsonl", "-o", &d.s("o.jsonl")])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Half an extract, then wait: the run is under way with its temporary file open.
    let data = std::fs::read(root().join(EXAMPLE)).unwrap();
    stdin.write_all(&data[..data.len() / 2]).unwrap();
    stdin.flush().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !d.names().iter().any(|n| n.starts_with(".ledgerline-")) {
        assert!(std::time::Instant::now() < deadline, "no temporary file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The handler is installed before the output is created.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(d.names().is_empty(), "left behind: {:?}", d.names());
}

#[test]
fn a_good_extract_next_to_a_cut_copy_of_itself_posts_nothing() {
    // What a retried download leaves: the full file and the first, truncated attempt.
    let d = Dir::new();
    let full = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    let cut: String = full.lines().take(40).map(|l| format!("{l}\n")).collect();
    std::fs::write(d.path("extract.txt"), &full).unwrap();
    std::fs::write(d.path("extract (1).txt"), cut).unwrap();
    let dir = d.0.path().to_str().unwrap().to_owned();
    let outputs = Dir::new();
    let out_path = outputs.path("out.jsonl");
    let out_s = out_path.to_str().unwrap().to_owned();
    for force in [false, true] {
        let mut args = vec!["convert", &dir, "--to", "jsonl", "-o", &out_s];
        if force {
            args.push("--force");
        }
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "force={force}: {err}");
        assert!(err.contains("SAE110") || err.contains("SAE111"), "{err}");
        assert!(!out_path.exists(), "force={force}: something was posted");
    }
}

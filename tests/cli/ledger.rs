//! Duplicate protection: `convert --ledger FILE`, `ledger list`, `ledger forget`, and what an
//! interrupted run leaves behind.

use crate::support::*;

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ledgerline"));
    c.args(args).current_dir(root());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

fn convert(d: &Dir, input: &str, out: &str, extra: &[&str]) -> Output {
    let ledger = d.s("ledger.sqlite");
    let out = d.s(out);
    let mut args = vec![
        "convert", input, "--to", "jsonl", "-o", &out, "--ledger", &ledger,
    ];
    args.extend(extra);
    run(&args)
}

fn listed(d: &Dir) -> Vec<Value> {
    let out = run(&[
        "ledger",
        "list",
        "--json",
        "--ledger",
        &d.s("ledger.sqlite"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["journals"].as_array().unwrap().clone()
}

/// A generated extract of 300 reports (`big.txt` in `d`).
fn generated(d: &Dir, seed: u64) -> String {
    let extract = d.s("big.txt");
    let seed = seed.to_string();
    let out = run(&[
        "generate",
        "--reports",
        "300",
        "--seed",
        &seed,
        "-o",
        &extract,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    extract
}

fn journal_ids(jsonl: &str) -> std::collections::BTreeSet<String> {
    jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["journal_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn converting_twice_posts_nothing_the_second_time() {
    let d = Dir::new();
    let first = convert(&d, EXAMPLE, "first.jsonl", &[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let written = std::fs::read_to_string(d.path("first.jsonl")).unwrap();
    let ids = journal_ids(&written);
    assert!(!ids.is_empty());
    let posted = listed(&d);
    assert_eq!(
        posted
            .iter()
            .map(|p| p["journal_id"].as_str().unwrap().to_owned())
            .collect::<std::collections::BTreeSet<_>>(),
        ids
    );
    for p in &posted {
        assert_eq!(
            p["output"].as_str().unwrap(),
            std::fs::canonicalize(d.path("first.jsonl"))
                .unwrap()
                .display()
                .to_string()
        );
        assert_eq!(p["source_file"], EXAMPLE);
        assert_eq!(p["lines_sha256"].as_str().unwrap().len(), 64);
    }

    let second = convert(&d, EXAMPLE, "second.jsonl", &[]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    // Nothing new to post: no (empty) output file.
    assert!(!d.path("second.jsonl").exists());
    let err = text(&second.stderr);
    assert_eq!(err.matches("warning JNL208").count(), ids.len(), "{err}");
    assert_eq!(listed(&d).len(), ids.len());

    // With --strict the same run is refused and writes nothing.
    let strict = convert(&d, EXAMPLE, "third.jsonl", &["--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(!d.path("third.jsonl").exists());
}

#[test]
fn a_report_extracted_again_in_a_later_file_is_skipped() {
    let d = Dir::new();
    let later = d.s("later-extract.txt");
    std::fs::copy(root().join("fixtures/cases/oop_cash.txt"), &later).unwrap();
    assert_eq!(
        convert(&d, "fixtures/cases/oop_cash.txt", "a.jsonl", &[])
            .status
            .code(),
        Some(0)
    );
    let again = convert(&d, &later, "b.jsonl", &[]);
    assert_eq!(again.status.code(), Some(0));
    let err = text(&again.stderr);
    assert!(
        err.contains("JNL208") && err.contains("posted to jsonl from fixtures/cases/oop_cash.txt"),
        "{err}"
    );
    // Nothing new to post: no (empty) output file.
    assert!(!d.path("b.jsonl").exists());
}

#[test]
fn a_report_extracted_again_with_other_amounts_is_an_error_naming_both_files() {
    let d = Dir::new();
    let original = root().join("fixtures/cases/oop_cash.txt");
    let changed = d.s("oop_cash_again.txt");
    // The same report (RPT-OOP_CASH), 12.00 instead of 10.00: header total, amount and
    // Concur's report totals all agree, so the file itself is valid.
    std::fs::write(
        &changed,
        std::fs::read_to_string(&original)
            .unwrap()
            .replace("10.0000", "12.0000"),
    )
    .unwrap();
    let v = run(&["validate", &changed]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    assert_eq!(
        convert(&d, "fixtures/cases/oop_cash.txt", "a.jsonl", &[])
            .status
            .code(),
        Some(0)
    );
    let again = convert(&d, &changed, "b.jsonl", &[]);
    assert_eq!(again.status.code(), Some(1));
    let err = text(&again.stderr);
    assert!(err.contains("JNL209"), "{err}");
    assert!(
        err.contains("fixtures/cases/oop_cash.txt"),
        "names the posted file: {err}"
    );
    assert!(
        err.contains("oop_cash_again.txt"),
        "names the new file: {err}"
    );
    assert!(
        err.contains("10.00 USD then") && err.contains("12.00 USD now"),
        "{err}"
    );
    assert!(!d.path("b.jsonl").exists());
    // Once forgotten (the posted one reversed in the ERP), the corrected report posts.
    let f = run(&[
        "ledger",
        "forget",
        "RPT-OOP_CASH",
        "--ledger",
        &d.s("ledger.sqlite"),
    ]);
    assert_eq!(f.status.code(), Some(0), "{}", text(&f.stderr));
    let f = run(&[
        "ledger",
        "forget",
        "RPT-OOP_CASH",
        "--ledger",
        &d.s("ledger.sqlite"),
    ]);
    assert_eq!(
        f.status.code(),
        Some(1),
        "forgetting twice: not recorded any more"
    );
    let third = convert(&d, &changed, "c.jsonl", &[]);
    assert_eq!(third.status.code(), Some(0), "{}", text(&third.stderr));
    assert_eq!(listed(&d)[0]["total"], "12.00");
}

#[test]
fn a_run_killed_before_the_output_is_in_place_posts_nothing() {
    let d = Dir::new();
    let ledger = d.s("ledger.sqlite");
    let out = d.s("out.jsonl");
    let killed = run_env(
        &[
            "convert", EXAMPLE, "--to", "jsonl", "-o", &out, "--ledger", &ledger,
        ],
        &[("LEDGERLINE_FAILPOINT", "ledger-pending")],
    );
    assert!(!killed.status.success(), "aborted");
    assert!(
        !d.path("out.jsonl").exists(),
        "the output never reached its place"
    );
    // The pending run is settled on the next open: nothing counts as posted ...
    assert!(listed(&d).is_empty());
    // ... so the next run posts everything.
    let again = convert(&d, EXAMPLE, "out.jsonl", &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let ids = journal_ids(&std::fs::read_to_string(d.path("out.jsonl")).unwrap());
    assert_eq!(listed(&d).len(), ids.len());
}

#[test]
fn a_run_killed_after_the_output_is_in_place_keeps_its_journals_posted() {
    let d = Dir::new();
    let ledger = d.s("ledger.sqlite");
    let out = d.s("out.jsonl");
    let killed = run_env(
        &[
            "convert", EXAMPLE, "--to", "jsonl", "-o", &out, "--ledger", &ledger,
        ],
        &[("LEDGERLINE_FAILPOINT", "output-renamed")],
    );
    assert!(!killed.status.success(), "aborted");
    let ids = journal_ids(&std::fs::read_to_string(d.path("out.jsonl")).unwrap());
    assert!(!ids.is_empty());
    // The file is there with the recorded hash: its journals stay posted.
    assert_eq!(listed(&d).len(), ids.len());
    let again = convert(&d, EXAMPLE, "again.jsonl", &[]);
    assert_eq!(again.status.code(), Some(0));
    // Nothing new to post: no (empty) output file.
    assert!(!d.path("again.jsonl").exists());
}

#[test]
fn ledger_needs_an_output_file_and_list_needs_a_ledger() {
    let d = Dir::new();
    let out = run(&[
        "convert",
        EXAMPLE,
        "--to",
        "jsonl",
        "--ledger",
        &d.s("l.sqlite"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["ledger", "list", "--ledger", &d.s("missing.sqlite")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no such ledger"));
}

#[test]
fn a_rerun_of_a_large_extract_ends_with_a_total_not_a_list_of_journals() {
    let d = Dir::new();
    let extract = generated(&d, 3);
    let first = convert(&d, &extract, "first.jsonl", &[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let journals = journal_ids(&std::fs::read_to_string(d.path("first.jsonl")).unwrap()).len();
    assert!(journals > 100);

    let second = convert(&d, &extract, "second.jsonl", &[]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let err = text(&second.stderr);
    // The first 20 are listed; the rest share one cause (posted from the same file by the
    // same run), counted on one line.
    assert_eq!(err.matches("warning JNL208").count(), 20, "{err}");
    let grouped: Vec<&str> = err.lines().filter(|l| l.contains("… JNL208")).collect();
    assert_eq!(grouped.len(), 1, "{err}");
    assert!(
        grouped[0].contains(&format!(": {} more, first at line ", journals - 20)),
        "{}",
        grouped[0]
    );
    // Raising --max-findings would list no more of one code: the note does not suggest it.
    assert!(!err.contains("--max-findings"), "{err}");
    assert!(err.contains("the first 20 of each code are"), "{err}");
    let tail: Vec<&str> = err.lines().rev().take(3).collect();
    assert!(
        tail.iter().any(|l| l.contains(&format!(
            "{journals} journals skipped: posted before (JNL208)"
        ))),
        "the run ends with the total: {err}"
    );
    assert!(err.contains("nothing new to post"), "{err}");

    // The same in JSON, and nothing else on standard error.
    let third = convert(&d, &extract, "third.jsonl", &["--json"]);
    let doc: Value = serde_json::from_slice(&third.stderr).expect("only JSON on stderr");
    assert_eq!(doc["written"]["journals_posted_before"], journals as u64);
    assert_eq!(doc["written"]["written"], false);
    assert_eq!(doc["written"]["journals"], 0);
}

#[test]
fn the_same_large_extract_twice_is_counted_once_per_cause_not_listed_per_journal() {
    let d = Dir::new();
    let extract = generated(&d, 5);
    // A retried download saved under another name, next to the first.
    let copy = d.s("big (1).txt");
    std::fs::copy(&extract, &copy).unwrap();
    let out = run(&[
        "convert",
        &extract,
        &copy,
        "--to",
        "jsonl",
        "-o",
        &d.s("o.jsonl"),
    ]);
    assert_eq!(out.status.code(), Some(1), "the copy is refused");
    assert!(!d.path("o.jsonl").exists(), "nothing written");
    let err = text(&out.stderr);
    assert!(err.contains("IO007"), "{err}");
    assert_eq!(err.matches("error   JNL210").count(), 20, "{err}");
    let grouped: Vec<&str> = err.lines().filter(|l| l.contains("… JNL210")).collect();
    assert_eq!(grouped.len(), 1, "one cause, one line: {err}");
    assert!(
        grouped[0].contains("journals already in this run from "),
        "{}",
        grouped[0]
    );
}

//! `--accounts FILE` on validate and convert: every account or dimension value the ERP would
//! reject is reported with the extract lines behind it, before anything is written.

use crate::support::*;

use serde_json::Value;
use std::collections::BTreeSet;

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn findings(doc: &Value, code: &str) -> Vec<Value> {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().clone())
        .filter(|f| f["code"] == code)
        .collect()
}

/// The journal lines of the example on `account`, from `convert --to jsonl` (no chart).
fn lines_on(account: &str) -> Vec<Value> {
    let out = run(&["convert", EXAMPLE, "--to", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    out.stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .filter(|l| l["account"] == account)
        .collect()
}

#[test]
fn a_complete_chart_passes() {
    let out = run(&[
        "validate",
        EXAMPLE,
        "--accounts",
        "fixtures/accounts/example-chart.csv",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(findings(&doc, "JNL206").is_empty());
    assert!(findings(&doc, "JNL207").is_empty());
}

#[test]
fn an_unknown_account_is_an_error_naming_every_extract_line() {
    let expected: BTreeSet<u64> = lines_on("60800")
        .iter()
        .map(|l| l["source"]["lines"][0].as_u64().unwrap())
        .collect();
    assert!(!expected.is_empty());
    let out = run(&[
        "validate",
        EXAMPLE,
        "--accounts",
        "fixtures/accounts/example-chart-no-60800.csv",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = findings(&doc, "JNL206");
    let got: BTreeSet<u64> = found.iter().map(|f| f["line"].as_u64().unwrap()).collect();
    assert_eq!(got, expected);
    for f in &found {
        assert_eq!(f["severity"], "error");
        assert_eq!(f["file"], EXAMPLE);
        let m = f["message"].as_str().unwrap();
        assert!(
            m.contains("account 60800 is not in fixtures/accounts/example-chart-no-60800.csv"),
            "{m}"
        );
        assert!(m.contains(&format!("extract line {}", f["line"])), "{m}");
    }
}

#[test]
fn convert_writes_nothing_until_the_chart_accepts_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.jsonl");
    let out = run(&[
        "convert",
        EXAMPLE,
        "--to",
        "jsonl",
        "-o",
        out_path.to_str().unwrap(),
        "--accounts",
        "fixtures/accounts/example-chart-no-60800.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("JNL206"),
        "{}",
        text(&out.stderr)
    );
    assert!(!out_path.exists(), "nothing written");

    // --force: every other journal is written; the ones using 60800 go to the rejects.
    let rejects = dir.path().join("rejects.jsonl");
    let out = run(&[
        "convert",
        EXAMPLE,
        "--to",
        "jsonl",
        "-o",
        out_path.to_str().unwrap(),
        "--accounts",
        "fixtures/accounts/example-chart-no-60800.csv",
        "--force",
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let bad_journals: BTreeSet<String> = lines_on("60800")
        .iter()
        .map(|l| l["journal_id"].as_str().unwrap().to_owned())
        .collect();
    let written = std::fs::read_to_string(&out_path).unwrap();
    assert!(!written.is_empty());
    for l in written.lines() {
        let l: Value = serde_json::from_str(l).unwrap();
        assert_ne!(l["account"], "60800");
        assert!(!bad_journals.contains(l["journal_id"].as_str().unwrap()));
    }
    let rejected: BTreeSet<String> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .inspect(|r| assert!(r["reason"].as_str().unwrap().starts_with("JNL206"), "{r}"))
        .map(|r| r["journal_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rejected, bad_journals);
}

#[test]
fn a_dimension_value_the_account_does_not_accept() {
    // The allocation case splits hotel lines between CC100 (lines 2, 4, 6) and CC200
    // (lines 3, 5, 7); the chart accepts only CC100 on 474230.
    let out = run(&[
        "validate",
        "fixtures/cases/allocation.txt",
        "--rules",
        "fixtures/cases/allocation.toml",
        "--accounts",
        "fixtures/accounts/allocation-chart.csv",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(findings(&doc, "JNL206").is_empty());
    let found = findings(&doc, "JNL207");
    let lines: Vec<u64> = found.iter().map(|f| f["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 5, 7]);
    assert!(found.iter().all(|f| {
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("cost_center CC200 is not accepted for account 474230")
    }));
}

#[test]
fn a_malformed_chart_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart.csv");
    std::fs::write(&chart, "number,name\n1,x\n").unwrap();
    let out = run(&["validate", EXAMPLE, "--accounts", chart.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("chart.csv:1: the header row needs an `account` column"));
    // A quote left open: the cause is said once, with its line.
    std::fs::write(&chart, "account\n\"unclosed\n").unwrap();
    let out = run(&["validate", EXAMPLE, "--accounts", chart.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.matches("quoted value not closed").count(), 1, "{err}");
    assert!(err.contains("chart.csv: line 2: "), "{err}");
}

#[test]
fn inspect_checks_canonical_files_against_the_chart_too() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("example.jsonl");
    let out = run(&[
        "convert",
        EXAMPLE,
        "--to",
        "jsonl",
        "-o",
        jsonl.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected: BTreeSet<u64> = lines_on("60800")
        .iter()
        .map(|l| l["source"]["lines"][0].as_u64().unwrap())
        .collect();
    for input in [EXAMPLE, jsonl.to_str().unwrap()] {
        let out = run(&[
            "inspect",
            input,
            "--by",
            "exceptions",
            "--json",
            "--accounts",
            "fixtures/accounts/example-chart-no-60800.csv",
        ]);
        assert_eq!(out.status.code(), Some(1), "{input}: {}", text(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: BTreeSet<u64> = doc["views"]["exceptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "account")
            .inspect(|e| {
                assert_eq!(e["file"], EXAMPLE);
                assert!(
                    e["detail"]
                        .as_str()
                        .unwrap()
                        .starts_with("JNL206 account 60800")
                );
            })
            .map(|e| e["lines"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(got, expected, "{input}");
    }
}

#[test]
fn many_lines_on_a_few_missing_accounts_are_counted_per_account() {
    let dir = tempfile::tempdir().unwrap();
    let extract = dir.path().join("big.txt").display().to_string();
    let out = run(&[
        "generate",
        "--reports",
        "300",
        "--seed",
        "7",
        "-o",
        &extract,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The chart without four accounts the extract posts to, many times each.
    let missing = ["60200", "60300", "1009990", "EMPLOYEE_PAYABLE"];
    let chart_text = std::fs::read_to_string(root().join("fixtures/accounts/example-chart.csv"))
        .unwrap()
        .lines()
        .filter(|l| !missing.iter().any(|a| l.starts_with(&format!("{a},"))))
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    let chart = dir.path().join("coa.csv");
    std::fs::write(&chart, chart_text).unwrap();
    let chart = chart.display().to_string();

    let out = run(&[
        "convert",
        &extract,
        "--to",
        "csv",
        "-o",
        &dir.path().join("x.csv").display().to_string(),
        "--accounts",
        &chart,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    // The lines past the first 20 are counted under their account, not one group per line.
    let grouped: Vec<&str> = err.lines().filter(|l| l.contains("… JNL206")).collect();
    assert!(
        !grouped.is_empty() && grouped.len() <= missing.len(),
        "{err}"
    );
    for g in &grouped {
        assert!(
            missing
                .iter()
                .any(|a| g.contains(&format!("account {a} is not in {chart}: "))),
            "{g}"
        );
        assert!(g.contains(" more, first at line "), "{g}");
        assert!(
            !g.contains("journal "),
            "a group names no single journal: {g}"
        );
    }
    assert!(!err.contains("other causes"), "{err}");
    // Every JNL206 is either listed or counted in a group.
    let doc_out = run(&["validate", &extract, "--accounts", &chart, "--json"]);
    let doc: Value = serde_json::from_slice(&doc_out.stdout).unwrap();
    let file = &doc["files"][0];
    let listed = findings(&doc, "JNL206").len() as u64;
    let counted: u64 = file["grouped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["code"] == "JNL206")
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    let shown: u64 = err.lines().filter(|l| l.contains("error   JNL206")).count() as u64;
    assert_eq!(listed, 20);
    assert_eq!(shown, 20);
    assert!(counted > 100, "{counted}");
    assert!(findings(&doc, "JNL206").iter().all(|f| {
        f["cause"]
            .as_str()
            .is_some_and(|c| c.starts_with("account "))
    }));
}

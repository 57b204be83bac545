//! End-to-end tests of `ledgerline inspect`. Every aggregate is checked against totals this
//! test computes itself from the hand-checked golden journal lines (fixtures/golden), not by
//! the code under test.

use crate::support::*;

use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .args(args)
        .current_dir(root())
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

fn golden(case: &str) -> Vec<Value> {
    std::fs::read_to_string(root().join(format!("fixtures/golden/{case}.jsonl")))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const CASES: &[&str] = &[
    "oop_cash",
    "ca_issued",
    "ca_lower_than_payout",
    "ca_higher_than_payout",
    "cbcp_personal_net_due_company",
    "ibcp_personal_oop_below",
    "company_paid",
    "vat_multiple",
    "rounding_jpy",
    "card_credit",
];

fn inputs() -> Vec<String> {
    CASES
        .iter()
        .map(|c| format!("fixtures/cases/{c}.txt"))
        .collect()
}

fn inspect_json(inputs: &[String], by: &str) -> Value {
    let mut args = vec!["inspect", "--json", "--by", by];
    args.extend(inputs.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (account, dimensions, currency) -> (debit, credit, lines), from the golden lines.
fn expected_trial_balance() -> BTreeMap<(String, String, String), (Decimal, Decimal, u64)> {
    let mut tb = BTreeMap::new();
    for case in CASES {
        for l in golden(case) {
            let dims = l["dimensions"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
                .collect::<Vec<_>>()
                .join("; ");
            let e = tb
                .entry((
                    l["account"].as_str().unwrap().to_owned(),
                    dims,
                    l["currency"].as_str().unwrap().to_owned(),
                ))
                .or_insert((Decimal::ZERO, Decimal::ZERO, 0));
            e.0 += dec(&l["debit"]);
            e.1 += dec(&l["credit"]);
            e.2 += 1;
        }
    }
    tb
}

fn trial_balance_of(doc: &Value) -> BTreeMap<(String, String, String), (Decimal, Decimal, u64)> {
    let mut got = BTreeMap::new();
    for r in doc["views"]["account"].as_array().unwrap() {
        let key = (
            r["account"].as_str().unwrap().to_owned(),
            r["dimensions"].as_str().unwrap_or("").to_owned(),
            r["currency"].as_str().unwrap().to_owned(),
        );
        let (d, c) = (dec(&r["debit"]), dec(&r["credit"]));
        assert_eq!(dec(&r["net"]), d - c, "net of {key:?}");
        got.insert(key, (d, c, r["lines"].as_u64().unwrap()));
    }
    got
}

#[test]
fn trial_balance_matches_the_golden_lines() {
    let doc = inspect_json(&inputs(), "account");
    assert_eq!(trial_balance_of(&doc), expected_trial_balance());
    // Per currency, debits equal credits, and equal the golden totals.
    let mut per_cur: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for ((_, _, cur), (d, c, _)) in expected_trial_balance() {
        let e = per_cur.entry(cur).or_default();
        e.0 += d;
        e.1 += c;
    }
    let cur = doc["summary"]["currencies"].as_array().unwrap();
    assert_eq!(cur.len(), per_cur.len());
    for c in cur {
        let (d, cr) = per_cur[c["currency"].as_str().unwrap()];
        assert_eq!(dec(&c["debit"]), d);
        assert_eq!(dec(&c["credit"]), cr);
    }
    let lines: usize = CASES.iter().map(|c| golden(c).len()).sum();
    assert_eq!(doc["summary"]["lines"].as_u64(), Some(lines as u64));
}

#[test]
fn canonical_files_give_the_same_trial_balance_as_the_extracts() {
    let dir = tempfile::tempdir().unwrap();
    for (format, ext) in [("jsonl", "jsonl"), ("csv", "csv"), ("parquet", "parquet")] {
        let out = dir.path().join(format!("all.{ext}"));
        let mut args = vec!["convert", "--to", format, "-o", out.to_str().unwrap()];
        let ins = inputs();
        args.extend(ins.iter().map(String::as_str));
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{format}: {}", text(&o.stderr));
        let doc = inspect_json(&[out.display().to_string()], "account");
        assert_eq!(
            trial_balance_of(&doc),
            expected_trial_balance(),
            "read back from {format}"
        );
    }
}

#[test]
fn kinds_and_employees_match_the_golden_lines() {
    let doc = inspect_json(&inputs(), "kind,employee");
    let mut kinds: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    // employee, currency -> (due to employee, cash advance outstanding)
    let mut emp: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    for case in CASES {
        for l in golden(case) {
            let (d, c) = (dec(&l["debit"]), dec(&l["credit"]));
            let kind = l["kind"].as_str().unwrap().to_owned();
            let cur = l["currency"].as_str().unwrap().to_owned();
            let k = kinds.entry((kind.clone(), cur.clone())).or_default();
            k.0 += d;
            k.1 += c;
            let e = emp
                .entry((l["employee_id"].as_str().unwrap().to_owned(), cur))
                .or_default();
            if kind == "offset" && l["counterparty"] == "employee" {
                e.0 += c - d;
            }
            if kind.starts_with("cash_advance_") {
                e.1 += d - c;
            }
        }
    }
    let got: BTreeMap<(String, String), (Decimal, Decimal)> = doc["views"]["kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (
                    r["kind"].as_str().unwrap().to_owned(),
                    r["currency"].as_str().unwrap().to_owned(),
                ),
                (dec(&r["debit"]), dec(&r["credit"])),
            )
        })
        .collect();
    assert_eq!(got, kinds);
    let got: BTreeMap<(String, String), (Decimal, Decimal)> = doc["views"]["employee"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (
                    r["employee_id"].as_str().unwrap().to_owned(),
                    r["currency"].as_str().unwrap().to_owned(),
                ),
                (
                    dec(&r["due_to_employee"]),
                    dec(&r["cash_advance_outstanding"]),
                ),
            )
        })
        .collect();
    assert_eq!(got, emp);
}

#[test]
fn exceptions_name_the_advance_not_applied_and_the_personal_charges_owed() {
    // ca_issued: 7000.00 USD issued, nothing applied. cbcp_personal_net_due_company: the
    // employee owes 49.00 + 32.00 of personal charges (hand-checked golden).
    let ins: Vec<String> = ["ca_issued", "cbcp_personal_net_due_company", "oop_cash"]
        .iter()
        .map(|c| format!("fixtures/cases/{c}.txt"))
        .collect();
    let doc = inspect_json(&ins, "exceptions");
    let ex = doc["views"]["exceptions"].as_array().unwrap();
    let find = |kind: &str| -> Vec<&Value> { ex.iter().filter(|e| e["kind"] == kind).collect() };
    let ca = find("cash_advance_outstanding");
    assert_eq!(ca.len(), 1, "{ex:?}");
    assert_eq!(ca[0]["employee_id"], "E1001");
    assert_eq!(dec(&ca[0]["amount"]), Decimal::new(700000, 2));
    let personal = find("personal_owed");
    assert_eq!(personal.len(), 1, "{ex:?}");
    assert_eq!(dec(&personal[0]["amount"]), Decimal::new(8100, 2));
    assert_eq!(
        personal[0]["journal_id"],
        "RPT-CBCP_PERSONAL_NET_DUE_COMPAN"
    );
    assert!(find("suspense").is_empty());
    assert!(find("rejected").is_empty());
}

#[test]
fn suspense_lines_and_rejected_lines_are_exceptions() {
    let out = run(&[
        "inspect",
        "--json",
        "--by",
        "exceptions",
        "--suspense",
        "474230",
        "fixtures/cases/oop_cash.txt",
        "fixtures/validate/bad_date.txt",
    ]);
    // The second file has an error: exit 1, the views still computed.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ex = doc["views"]["exceptions"].as_array().unwrap();
    let suspense: Vec<&Value> = ex.iter().filter(|e| e["kind"] == "suspense").collect();
    assert_eq!(suspense.len(), 1, "{ex:?}");
    assert_eq!(suspense[0]["file"], "fixtures/cases/oop_cash.txt");
    assert_eq!(suspense[0]["lines"], "2");
    assert_eq!(dec(&suspense[0]["amount"]), Decimal::new(1000, 2));
    assert!(
        ex.iter()
            .any(|e| e["kind"] == "rejected" && e["file"] == "fixtures/validate/bad_date.txt"),
        "{ex:?}"
    );
}

#[test]
fn csv_and_text_outputs() {
    let out = run(&[
        "inspect",
        "--csv",
        "--by",
        "kind",
        "fixtures/cases/oop_cash.txt",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "kind,currency,debit,credit,net,lines\r\nout_of_pocket,USD,10.00,0.00,10.00,1\r\noffset,USD,0.00,10.00,-10.00,1\r\n"
    );
    let out = run(&[
        "inspect",
        "--csv",
        "--by",
        "kind,account",
        "fixtures/cases/oop_cash.txt",
    ]);
    assert_eq!(out.status.code(), Some(2), "--csv takes one view");
    let out = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .args([
            "inspect",
            "fixtures/example/expense-sae.txt",
            "--by",
            "currency,exceptions",
        ])
        .current_dir(root())
        .env("COLUMNS", "72")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.starts_with("By currency\n"), "the result alone: {t}");
    for l in t.lines() {
        assert!(l.chars().count() <= 72, "wider than 72: {l:?}");
    }
}

/// The lines of the summary a run ends with on standard error (from `N file(s) read:` on).
fn summary_of(stderr: &str) -> Vec<&str> {
    let lines: Vec<&str> = stderr.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.contains(" read: ") || l.contains(" skipped: not extracts): "))
        .unwrap_or_else(|| panic!("no summary on stderr: {stderr}"));
    lines[at..].to_vec()
}

#[test]
fn every_run_ends_with_one_summary_on_stderr_and_stdout_is_the_result() {
    let out = run(&["inspect", EXAMPLE]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("Trial balance by account\n"),
        "no summary mixed into the result: {stdout:.300}"
    );
    let stderr = text(&out.stderr);
    assert_eq!(
        summary_of(&stderr),
        [
            "1 file read: 13 journals, 97 lines inspected (nothing posted)",
            "  BHD  debits 1,094.269 = credits 1,094.269  (2 journals)",
            "  EUR  debits 1,930.29 = credits 1,930.29  (2 journals)",
            "  GBP  debits 426.33 = credits 426.33  (1 journal)",
            "  JPY  debits 240,480 = credits 240,480  (2 journals)",
            "  USD  debits 6,741.07 = credits 6,741.07  (6 journals)",
            "  1 exception",
        ],
        "{stderr}"
    );
    assert_eq!(
        stderr.matches(" read: ").count(),
        1,
        "one summary: {stderr}"
    );
    // --json and --csv: the same summary on stderr, stdout stays the document.
    for flag in ["--json", "--csv"] {
        let out = run(&["inspect", EXAMPLE, flag, "--by", "currency"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            summary_of(&stderr)[0].starts_with("1 file read: 13 journals"),
            "{flag}: {stderr}"
        );
        assert!(
            stderr.ends_with("  exceptions not looked for (add exceptions to --by)\n"),
            "{flag}: {stderr}"
        );
        if flag == "--json" {
            serde_json::from_slice::<Value>(&out.stdout).expect("only JSON on stdout");
        } else {
            assert!(text(&out.stdout).starts_with("currency,journals,"));
        }
    }
}

#[test]
fn the_html_report_is_named_at_the_end_of_the_summary_after_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let out = run(&[
        "inspect",
        EXAMPLE,
        "--accounts",
        "fixtures/accounts/example-chart-no-60800.csv",
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let summary = summary_of(&stderr);
    assert_eq!(
        summary.last().copied(),
        Some(format!("  report written to {}", html.display()).as_str()),
        "{stderr}"
    );
    assert!(
        summary.contains(
            &"  lines not posted: 19 rejected, 0 skipped (rejected ones are in the exceptions)"
        ),
        "{stderr}"
    );
    assert!(summary.contains(&"  8 exceptions"), "{stderr}");
    let findings = stderr.find("JNL206").expect("the errors are listed");
    assert!(findings < stderr.find(" read: ").unwrap(), "{stderr}");
    assert!(
        !stderr.contains("wrote "),
        "no early `wrote` line: {stderr}"
    );
}

#[test]
fn files_of_an_input_folder_that_are_no_extract_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(EXAMPLE), dir.path().join("expense-sae.txt")).unwrap();
    std::fs::write(dir.path().join("README.md"), "# What is in this folder\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ask Jo about report 7\n").unwrap();
    std::fs::write(
        dir.path().join("scan.pdf"),
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    )
    .unwrap();
    let out = run(&["inspect", dir.path().to_str().unwrap(), "--by", "currency"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for name in ["README.md", "notes.txt", "scan.pdf"] {
        let head = stderr
            .lines()
            .position(|l| l.starts_with(&dir.path().join(name).display().to_string()))
            .unwrap_or_else(|| panic!("{name} not named: {stderr}"));
        let warning = stderr.lines().nth(head + 1).unwrap();
        assert!(
            warning.contains("warning IO002") && warning.contains("skipped"),
            "{warning}"
        );
    }
    assert!(
        summary_of(&stderr)[0]
            .starts_with("1 file read (3 other files skipped: not extracts): 13 journals"),
        "{stderr}"
    );
}

#[test]
fn the_employee_count_does_not_depend_on_the_views() {
    let employees = |by: &str| {
        let doc = inspect_json(&[EXAMPLE.into()], by);
        doc["summary"]["employees"].as_u64().unwrap()
    };
    let by_employee = inspect_json(&[EXAMPLE.into()], "employee");
    let distinct: std::collections::BTreeSet<&str> = by_employee["views"]["employee"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["employee_id"].as_str().unwrap())
        .collect();
    assert!(distinct.len() > 1);
    for by in ["currency", "account", "kind", "employee", "exceptions"] {
        assert_eq!(employees(by), distinct.len() as u64, "--by {by}");
    }
}

#[test]
fn account_and_rejected_exceptions_name_journal_employee_amount_and_currency() {
    let out = run(&[
        "inspect",
        EXAMPLE,
        "--accounts",
        "fixtures/accounts/example-chart-no-60800.csv",
        "--by",
        "exceptions",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ex = doc["views"]["exceptions"].as_array().unwrap();
    let of = |kind: &str| -> Vec<&Value> { ex.iter().filter(|e| e["kind"] == kind).collect() };
    let account = of("account");
    assert_eq!(account.len(), 4, "{account:?}");
    for e in &account {
        for field in ["journal_id", "employee_id", "amount", "currency"] {
            assert!(e[field].is_string(), "{field} empty: {e}");
        }
    }
    // Line 8 posts 1092.26 USD of journal 581CE1FF0E4AE3940000 (employee E10096) to 60800.
    let first = account.iter().find(|e| e["lines"] == "8").unwrap();
    assert_eq!(first["journal_id"], "581CE1FF0E4AE3940000");
    assert_eq!(first["employee_id"], "E10096");
    assert_eq!(dec(&first["amount"]), Decimal::new(109226, 2));
    assert_eq!(first["currency"], "USD");
    // The 19 rejected lines: one exception per journal, with its line count.
    let rejected = of("rejected");
    let got: Vec<(&str, &str, &str)> = rejected
        .iter()
        .map(|e| {
            (
                e["journal_id"].as_str().unwrap(),
                e["lines"].as_str().unwrap(),
                e["employee_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("581CE1FF0E4AE3940000", "2-8", "E10096"),
            ("8EF96BD7A1C8D32B0007", "42-45", "E10226"),
            ("CA695C3329DF9A80000A", "58-65", "E10166"),
        ]
    );
    assert!(
        rejected[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("7 extract lines rejected: JNL206 account 60800"),
        "{}",
        rejected[0]
    );
    assert!(
        rejected
            .iter()
            .all(|e| e["amount"].is_string() && e["currency"].is_string())
    );
    assert_eq!(doc["summary"]["rejected"], 19);
}

#[test]
fn exception_details_group_thousands() {
    let doc = inspect_json(
        &[EXAMPLE.into(), "fixtures/cases/ca_issued.txt".into()],
        "exceptions",
    );
    let ex = doc["views"]["exceptions"].as_array().unwrap();
    let of = |kind: &str| {
        ex.iter()
            .find(|e| e["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}: {ex:?}"))
    };
    let ca = of("cash_advance_outstanding");
    assert!(
        ca["detail"].as_str().unwrap().ends_with(": 7,000.00 USD"),
        "{ca}"
    );
    // The amount column stays an exact decimal.
    assert_eq!(ca["amount"], "7000.00");
    let personal = of("personal_owed");
    assert!(
        personal["detail"]
            .as_str()
            .unwrap()
            .starts_with("personal card charges of 1,156.90 USD;"),
        "{personal}"
    );
}

#[test]
fn html_report_is_self_contained_with_drill_down() {
    let dir = tempfile::tempdir().unwrap();
    let html: PathBuf = dir.path().join("report.html");
    let out = run(&[
        "inspect",
        "fixtures/example/expense-sae.txt",
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    for banned in ["<script", "<link", " src=", "@import", "url("] {
        assert!(
            !page.contains(banned),
            "the page must not load anything: {banned}"
        );
    }
    assert!(page.contains("<svg"), "charts");
    assert!(page.contains("Trial balance by account"));
    // Drill-down: the account 60800 line of journal 581CE1FF0E4AE3940000 names its extract
    // line (the bundled example's line 2 posts to 60800).
    assert!(
        page.contains("fixtures/example/expense-sae.txt:"),
        "extract lines named"
    );
    assert!(page.contains("<details>"));
}

#[test]
fn the_same_extract_twice_is_an_error_not_a_doubled_trial_balance() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.txt");
    std::fs::copy(root().join("fixtures/cases/oop_cash.txt"), &copy).unwrap();
    let copy = copy.display().to_string();
    let out = run(&["inspect", "fixtures/cases/oop_cash.txt", &copy, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc.to_string().contains("IO007"),
        "the copy is named as a duplicate: {doc}"
    );
    // The copy's journals are held back (JNL210), not added to the trial balance.
    let single = inspect_json(&["fixtures/cases/oop_cash.txt".into()], "account");
    assert_eq!(doc["summary"]["journals"], single["summary"]["journals"]);
    assert_eq!(
        doc["summary"]["currencies"],
        single["summary"]["currencies"]
    );
}

#[test]
fn a_report_that_does_not_reconcile_is_an_exception_naming_journal_employee_and_amount() {
    let dir = tempfile::tempdir().unwrap();
    let (input, id) = example_with_bad_319(dir.path());
    let out = run(&["inspect", &input, "--by", "exceptions", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["views"]["exceptions"].as_array().unwrap();
    let rec = rows
        .iter()
        .find(|r| r["kind"] == "reconciliation")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(rec["journal_id"], id.as_str(), "{rec}");
    assert!(
        rec["employee_id"].as_str().is_some_and(|e| !e.is_empty()),
        "{rec}"
    );
    assert!(
        rec["currency"].as_str().is_some_and(|c| c.len() == 3),
        "{rec}"
    );
    // The amount is the difference the message states.
    let amount = rec["amount"].as_str().unwrap();
    assert!(
        rec["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("(difference {amount})")),
        "{rec}"
    );
}

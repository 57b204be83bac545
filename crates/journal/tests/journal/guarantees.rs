//! The posting guarantees on damaged inputs: a report that does not reconcile is never
//! posted (whatever the grouping), a line whose amount rounds to nothing is still accounted
//! for, and a journal with no lines is never emitted.

use crate::support::{codes, fixtures};
use ledgerline_journal::Journal;
use ledgerline_journal::build::RejectionStatus;
use ledgerline_journal::pipeline::{Collect, StreamReport};
use ledgerline_journal::rules::Rules;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).unwrap()
}

/// Sets 1-based column `col` of a pipe-separated line without quotes.
fn set(line: &str, col: usize, value: &str) -> String {
    assert!(!line.contains('"'), "helper only edits unquoted lines");
    let mut f: Vec<&str> = line.split('|').collect();
    f[col - 1] = value;
    f.join("|")
}

fn get(line: &str, col: usize) -> &str {
    line.split('|').nth(col - 1).unwrap_or("")
}

/// The file with its header recounted and re-totalled (column 169).
fn with_header(details: &[String], date: &str) -> String {
    let total: Decimal = details
        .iter()
        .map(|l| Decimal::from_str(get(l, 169).trim_start_matches('+')).unwrap())
        .sum();
    let mut s = format!("EXTRACT|{date}|{}|{total:.4}|42\n", details.len());
    for d in details {
        s.push_str(d);
        s.push('\n');
    }
    s
}

fn convert(data: &str, rules: &str) -> (Collect, StreamReport) {
    crate::support::convert("t.txt", data.as_bytes(), Rules::parse(rules).unwrap())
}

/// Every DETAIL line is in exactly one journal or in the rejections, never both, and every
/// journal balances and has lines.
fn assert_every_line_has_one_home(data: &str, out: &Collect) {
    let details: BTreeSet<u64> = data
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("DETAIL"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let mut home: BTreeMap<u64, String> = BTreeMap::new();
    for j in &out.journals {
        assert!(!j.lines.is_empty(), "{} has no lines", j.id);
        assert!(j.is_balanced(), "{} does not balance", j.id);
        for l in j.source_lines() {
            if let Some(other) = home.insert(l, j.id.clone()) {
                assert_eq!(other, j.id, "line {l} in two journals");
            }
        }
    }
    for r in &out.rejections {
        if let Some(j) = home.insert(r.line, format!("rejection {}", r.journal_id)) {
            panic!("line {} both in {j} and in the rejections", r.line);
        }
    }
    let homed: BTreeSet<u64> = home.keys().copied().collect();
    assert_eq!(
        homed, details,
        "lines without a home, or homes without a line"
    );
}

fn journal<'a>(out: &'a Collect, id: &str) -> Option<&'a Journal> {
    out.journals.iter().find(|j| j.id == id)
}

/// The example with column `col` of every line of the first report whose lines carry no
/// quotes set to `value`; returns the file and that report's id.
fn example_with(col: usize, value: &str) -> (String, String) {
    let text = fixture("example/expense-sae.txt");
    let lines: Vec<&str> = text.lines().collect();
    let id = lines[1..]
        .iter()
        .map(|l| get(l, 19).to_owned())
        .find(|id| {
            lines[1..]
                .iter()
                .filter(|l| get(l, 19) == id)
                .all(|l| !l.contains('"'))
        })
        .unwrap();
    let mut out = String::new();
    for l in &lines {
        if l.starts_with("DETAIL") && get(l, 19) == id {
            out.push_str(&set(l, col, value));
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    (out, id)
}

#[test]
fn a_report_that_does_not_reconcile_is_rejected_whole() {
    let (data, id) = example_with(319, "12345.6700");
    for rules in [
        "",
        "[journal]\ngroup = \"batch\"\n",
        "[journal]\ngroup = \"employee-day\"\n",
    ] {
        let (out, r) = convert(&data, rules);
        assert!(codes(&r).contains(&"JNL202".to_string()), "{rules}");
        assert!(
            out.journals.iter().all(|j| j
                .source_lines()
                .iter()
                .all(|l| !out.rejections.iter().any(|r| r.line == *l))),
            "{rules}"
        );
        let rejected: Vec<_> = out
            .rejections
            .iter()
            .filter(|r| r.status == RejectionStatus::Rejected)
            .collect();
        assert!(!rejected.is_empty(), "{rules}: nothing rejected");
        assert!(
            rejected.iter().any(|r| r.reason.contains("column 319")),
            "{rules}: {rejected:?}"
        );
        if rules.is_empty() {
            assert!(journal(&out, &id).is_none(), "the report was posted");
            let (clean, _) = convert(&fixture("example/expense-sae.txt"), rules);
            assert_eq!(
                out.journals.len(),
                clean.journals.len() - 1,
                "every other report is posted"
            );
        }
        assert_every_line_has_one_home(&data, &out);
    }
}

#[test]
fn a_report_missing_its_company_paid_line_is_caught_by_column_316() {
    let text = fixture("example/expense-sae.txt");
    let lines: Vec<&str> = text.lines().collect();
    // The last line of the file whose payee is company paid (COPD), as a download cut short
    // would lose it.
    let (cut, _) = lines
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| !l.contains('"') && get(l, 165).contains("COPD"))
        .expect("a company-paid line");
    // The header still matches: count and total less the lost line.
    let count: u64 = get(lines[0], 3).parse().unwrap();
    let total = Decimal::from_str(get(lines[0], 4)).unwrap()
        - Decimal::from_str(get(lines[cut], 169).trim_start_matches('+')).unwrap();
    let mut data = format!(
        "EXTRACT|{}|{}|{total:.4}|{}\n",
        get(lines[0], 2),
        count - 1,
        get(lines[0], 5)
    );
    for (i, l) in lines.iter().enumerate().skip(1) {
        if i != cut {
            data.push_str(l);
            data.push('\n');
        }
    }
    let id = get(lines[cut], 19);
    let (out, r) = convert(&data, "");
    assert!(
        journal(&out, id).is_none(),
        "posted short of a company-paid line"
    );
    let f = r
        .validation
        .findings
        .items()
        .iter()
        .find(|f| f.code.to_string() == "JNL202")
        .expect("JNL202");
    assert!(f.message.contains("column 316"), "{}", f.message);
    assert_every_line_has_one_home(&data, &out);
}

/// The out-of-pocket line of the `oop_cash` case with another amount, report, currency and
/// sequence number (sequence numbers are unique in a file).
fn oop_line(amount: &str, report: &str, currency: &str, seq: u32) -> String {
    let base = fixture("cases/oop_cash.txt");
    let line = base.lines().nth(1).unwrap();
    let l = set(line, 169, amount);
    let l = set(&l, 4, &seq.to_string());
    let l = set(&l, 19, report);
    let l = set(&l, 319, amount.trim_start_matches('+'));
    set(&l, 22, currency)
}

#[test]
fn a_line_that_rounds_to_zero_is_listed_not_lost() {
    for (amount, currency) in [("+0.0010", "USD"), ("+0.4000", "JPY"), ("+0.0004", "BHD")] {
        let details = vec![
            oop_line("+12.0000", "R-1", "USD", 1),
            oop_line(amount, "R-2", currency, 2),
        ];
        let data = with_header(&details, "2019-06-30");
        let (out, _) = convert(&data, "");
        assert!(journal(&out, "R-1").is_some());
        assert!(
            journal(&out, "R-2").is_none(),
            "{amount} {currency}: a journal of zero lines was emitted"
        );
        let r = out
            .rejections
            .iter()
            .find(|r| r.line == 3)
            .unwrap_or_else(|| panic!("{amount} {currency}: line 3 vanished"));
        assert_eq!(r.status, RejectionStatus::Skipped, "{r:?}");
        assert!(r.reason.contains("rounds to zero"), "{}", r.reason);
        assert_every_line_has_one_home(&data, &out);
    }
}

#[test]
fn a_line_that_rounds_to_zero_next_to_others_stays_on_the_offset() {
    let details = vec![
        oop_line("+12.0000", "R-1", "USD", 1),
        oop_line("+0.0010", "R-1", "USD", 2),
    ];
    let details: Vec<String> = details
        .into_iter()
        .map(|l| set(&l, 319, "12.0010"))
        .collect();
    let data = with_header(&details, "2019-06-30");
    let (out, _) = convert(&data, "");
    let j = journal(&out, "R-1").expect("posted");
    assert!(j.is_balanced());
    assert!(j.source_lines().contains(&3), "{:?}", j.source_lines());
    assert!(out.rejections.is_empty(), "{:?}", out.rejections);
    assert_every_line_has_one_home(&data, &out);
}

#[test]
fn a_report_of_zero_lines_gives_no_empty_journal() {
    let details = vec![
        oop_line("+0.0000", "R-0", "USD", 1),
        oop_line("+0.0000", "R-0", "USD", 2),
        oop_line("+5.0000", "R-5", "USD", 3),
    ];
    let data = with_header(&details, "2019-06-30");
    let (out, r) = convert(&data, "");
    assert!(journal(&out, "R-0").is_none(), "empty journal emitted");
    assert!(journal(&out, "R-5").is_some(), "{:?}", out.rejections);
    assert!(
        out.rejections
            .iter()
            .filter(|r| r.journal_id == "R-0")
            .count()
            == 2,
        "{:?} {:?}",
        out.rejections,
        codes(&r)
    );
    assert_every_line_has_one_home(&data, &out);
}

#[test]
fn offset_lines_can_carry_the_report_level_dimensions() {
    let data = fixture("example/expense-sae.txt");
    let dims = "[dimensions]\ndepartment = \"{ReportOrgUnit1}\"\nexpense = \"{expense_type}\"\n";
    let (plain, _) = convert(&data, dims);
    let (with, _) = convert(
        &data,
        &format!("{dims}[offsets]\ndimensions = \"report\"\n"),
    );
    assert_eq!(plain.journals.len(), with.journals.len());
    let mut checked = 0;
    for (a, b) in plain.journals.iter().zip(&with.journals) {
        assert_eq!(a.lines.len(), b.lines.len());
        for (la, lb) in a.lines.iter().zip(&b.lines) {
            assert_eq!(
                (la.debit, la.credit, &la.account),
                (lb.debit, lb.credit, &lb.account)
            );
            if la.kind != ledgerline_journal::model::Kind::Offset {
                assert_eq!(la.dimensions, lb.dimensions);
                continue;
            }
            assert!(la.dimensions.is_empty(), "{la:?}");
            // Every dimension the offset carries is on every posting line it offsets.
            let covered: Vec<_> = b
                .lines
                .iter()
                .filter(|l| {
                    l.kind != ledgerline_journal::model::Kind::Offset
                        && l.source_lines.iter().any(|s| lb.source_lines.contains(s))
                })
                .collect();
            for d in &lb.dimensions {
                assert!(covered.iter().all(|l| l.dimensions.contains(d)), "{d:?}");
            }
            if lb.dimensions.iter().any(|(k, _)| k == "department") {
                checked += 1;
            }
        }
    }
    assert!(checked > 5, "department carried on {checked} offset lines");
    assert!(Rules::parse("[offsets]\ndimensions = \"lines\"\n").is_err());
}

//! Posting guarantees about values (issue 10): an empty or unreadable amount is an error in
//! every input kind, never a zero (and never the reason for an invented offset), and every
//! journal has a date the input gave it, never the 1970-01-01 fallback.

use crate::support::fixtures;
use ledgerline_journal::pipeline::{Collect, StreamReport};
use ledgerline_journal::rules::Rules;

/// Converts `fixtures/validate/<name>`.
fn convert(name: &str, rules: Rules) -> (Collect, StreamReport) {
    let data = std::fs::read(fixtures().join("validate").join(name)).unwrap();
    crate::support::convert(name, &data, rules)
}

/// The codes of the findings with their lines (`BAT138@3`).
fn codes(r: &StreamReport) -> Vec<String> {
    r.validation
        .findings
        .items()
        .iter()
        .map(|f| format!("{}@{}", f.code, f.line.unwrap_or(0)))
        .collect()
}

fn no_epoch(c: &Collect, name: &str) {
    for j in &c.journals {
        assert_ne!(j.date.to_string(), "1970-01-01", "{name}: journal {}", j.id);
    }
}

#[test]
fn an_empty_batch_amount_rejects_its_claim_instead_of_inventing_an_offset() {
    let (c, r) = convert("batch/empty_amount.csv", Rules::default());
    assert!(
        codes(&r).contains(&"BAT138@3".to_owned()),
        "{:?}",
        codes(&r)
    );
    let accounts: Vec<&str> = c
        .journals
        .iter()
        .flat_map(|j| j.lines.iter().map(|l| l.account.as_str()))
        .collect();
    assert!(
        !accounts.contains(&"EMPLOYEE_PAYABLE"),
        "an offset was invented for the line without an amount: {accounts:?}"
    );
    // CLAIM-1 (empty amount) and CLAIM-2 (a line without a date) are both rejected.
    assert!(c.journals.is_empty(), "{:?}", c.journals);
    let rejected: Vec<(u64, &str)> = c
        .rejections
        .iter()
        .map(|x| (x.line, x.journal_id.as_str()))
        .collect();
    assert!(rejected.contains(&(3, "CLAIM-1")), "{rejected:?}");
    assert!(rejected.contains(&(4, "CLAIM-2")), "{rejected:?}");
}

#[test]
fn batch_files_are_dated_by_their_date_column_or_a_fixed_date_or_refused() {
    let (c, r) = convert("batch/good.csv", Rules::default());
    assert_eq!(r.validation.findings.errors(), 0, "{:?}", codes(&r));
    assert_eq!(c.journals.len(), 2);
    assert!(
        c.journals
            .iter()
            .all(|j| j.date.to_string() == "2024-03-28")
    );

    // No date column, no `[batch] date`: refused, nothing posted on 1970-01-01.
    let (c, r) = convert("batch/no_date.csv", Rules::default());
    assert!(c.journals.is_empty(), "{:?}", c.journals);
    assert_eq!(codes(&r), vec!["BAT160@1"]);
    let f = &r.validation.findings.items()[0];
    assert!(f.message.contains("[batch]"), "{}", f.message);

    // The setting it names makes the file convert, on that date.
    let rules = Rules::parse("[batch]\ndate = \"2024-03-31\"\n").unwrap();
    let (c, r) = convert("batch/no_date.csv", rules);
    assert_eq!(r.validation.findings.errors(), 0, "{:?}", codes(&r));
    assert_eq!(c.journals.len(), 1);
    assert_eq!(c.journals[0].date.to_string(), "2024-03-31");

    let err = Rules::parse("[batch]\ndate = \"31/03/2024\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("batch.date:"), "{err}");
}

#[test]
fn a_prae_file_without_its_header_posts_nothing_undated() {
    let (c, r) = convert("prae/missing_header.txt", Rules::default());
    assert!(c.journals.is_empty(), "{:?}", c.journals);
    assert!(
        codes(&r).contains(&"PRA138@1".to_owned()),
        "{:?}",
        codes(&r)
    );
    let (c, r) = convert("prae/good.txt", Rules::default());
    assert_eq!(r.validation.findings.errors(), 0, "{:?}", codes(&r));
    assert!(!c.journals.is_empty());
    no_epoch(&c, "prae/good.txt");
}

#[test]
fn an_empty_prae_amount_rejects_its_invoice() {
    let (c, r) = convert("prae/empty_amount.txt", Rules::default());
    assert!(
        codes(&r).contains(&"PRA138@3".to_owned()),
        "{:?}",
        codes(&r)
    );
    assert!(
        c.journals
            .iter()
            .all(|j| j.report_key.as_deref() != Some("5002")),
        "{:?}",
        c.journals
    );
}

#[test]
fn a_character_inside_an_amount_rejects_its_report() {
    let (c, r) = convert("amount_sign_inside.txt", Rules::default());
    assert!(
        codes(&r).contains(&"SAE131@3".to_owned()),
        "{:?}",
        codes(&r)
    );
    assert!(
        c.journals
            .iter()
            .all(|j| j.report_id.as_deref() != Some("R1AAAAAAAAAAAAAAAAAA")),
        "the report with `+25€0.5000` was posted"
    );
    // A sign around the number is read as the number, with a warning.
    let (c, r) = convert("amount_sign_around.txt", Rules::default());
    assert_eq!(r.validation.findings.errors(), 0, "{:?}", codes(&r));
    let hotel: Vec<String> = c
        .journals
        .iter()
        .flat_map(|j| j.lines.iter())
        .filter(|l| l.account == "60200")
        .map(|l| l.debit.to_string())
        .collect();
    assert_eq!(hotel, vec!["250.50"]);
}

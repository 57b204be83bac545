//! One test per step of `Group::build`, each on that step alone.
use super::group::*;
use super::steps::*;
use super::*;
use crate::classify::ClassifyError;
use crate::classify::Tag;
use crate::model::{Counterparty, Kind, Posting, Side};
use crate::rules::{CardBilling, Rules};
use ledgerline_findings::Findings;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::sync::Arc;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn posting(
    line: u64,
    side: Side,
    amount: &str,
    counterparty: Option<Counterparty>,
    offset_account: &str,
) -> Posting {
    Posting {
        kind: Kind::OutOfPocket,
        account: format!("6{line:04}"),
        side,
        amount: dec(amount),
        counterparty,
        offset_account: offset_account.into(),
        memo: format!("line {line}"),
        dimensions: Vec::new(),
        source_line: line,
    }
}

fn facts(line: u64) -> RowFacts<'static> {
    RowFacts {
        line,
        group_id: Cow::Borrowed("R-1"),
        report_id: Some(Cow::Borrowed("R-1")),
        currency: Cow::Borrowed("USD"),
        ..RowFacts::default()
    }
}

fn group() -> Group {
    Group::new("R-1".into(), "R-1".into(), facts(2), false)
}

fn file() -> Arc<str> {
    Arc::from("f.txt")
}

#[test]
fn step_1_lines_list_the_skipped_rows_and_a_rejected_row_holds_the_group_back() {
    let mut g = group();
    let p = posting(2, Side::Debit, "10", Some(Counterparty::Employee), "EMP");
    g.add(&facts(2), Outcome::Postings(vec![(p, Tag::None)]), None);
    g.add(&facts(3), Outcome::Skipped("zero".into()), None);
    g.add(
        &facts(4),
        Outcome::Failed(RowError::Classify(ClassifyError::NoAccount)),
        None,
    );
    g.add(&facts(5), Outcome::Postings(Vec::new()), Some("bad".into()));
    let skipped = g.skipped_lines(&file());
    assert_eq!(
        skipped,
        vec![Rejection {
            file: "f.txt".into(),
            line: 3,
            journal_id: "R-1".into(),
            status: RejectionStatus::Skipped,
            reason: "zero".into(),
            code: None,
        }]
    );
    let why = "line 4 of R-1: the line has no account (column 167 is empty)";
    assert_eq!(g.rejected.as_deref(), Some(why));
    let built = Group::held_back(&g.id, &g.rows, &file(), why, skipped);
    assert!(built.journal.is_none());
    let got: Vec<(u64, RejectionStatus, &str)> = built
        .rejections
        .iter()
        .map(|r| (r.line, r.status, r.reason.as_str()))
        .collect();
    let held = format!("the whole report is held back because {why}");
    assert_eq!(
        got,
        vec![
            (2, RejectionStatus::Rejected, held.as_str()),
            (3, RejectionStatus::Skipped, "zero"),
            (
                4,
                RejectionStatus::Rejected,
                "the line has no account (column 167 is empty)"
            ),
            (5, RejectionStatus::Rejected, "bad"),
        ]
    );
}

#[test]
fn step_2_an_unrepaid_cbcp_personal_charge_is_recovered_from_the_employee() {
    let charge = |line: u64, amount: &str, billing: CardBilling| {
        let cp = Counterparty::Card(Arc::from("Amex"));
        (
            posting(line, Side::Debit, amount, Some(cp), "CARD"),
            Tag::PersonalCardCharge(billing),
            0,
        )
    };
    let mut g = group();
    g.postings = vec![
        charge(2, "10", CardBilling::Cbcp),
        charge(3, "7", CardBilling::Cbcp),
        (
            posting(4, Side::Credit, "10", Some(Counterparty::Employee), "EMP"),
            Tag::PersonalRepayment,
            0,
        ),
        charge(5, "5", CardBilling::Ibcp),
    ];
    let mut off = group();
    off.postings = g.postings.clone();

    let rules = Rules::default();
    g.add_implied_recoveries(&rules);
    g.add_implied_recoveries(&rules); // runs once
    let added: Vec<&Posting> = g.postings[4..].iter().map(|(p, _, _)| p).collect();
    assert_eq!(
        added,
        vec![&Posting {
            kind: Kind::PersonalOnCompanyCard,
            account: "60003".into(),
            side: Side::Credit,
            amount: dec("7"),
            counterparty: Some(Counterparty::Employee),
            offset_account: "EMPLOYEE_PAYABLE".into(),
            memo: "recovery from the employee: line 3".into(),
            dimensions: Vec::new(),
            source_line: 3,
        }],
        "only the CBCP charge without a repayment of its amount"
    );

    let rules = Rules {
        cbcp_implied_recovery: false,
        ..Rules::default()
    };
    off.add_implied_recoveries(&rules);
    assert_eq!(off.postings.len(), 4);
}

#[test]
fn step_3_offsets_one_line_per_counterparty_account_with_the_net_of_its_lines() {
    let amex = || Some(Counterparty::Card(Arc::from("Amex")));
    let postings: Vec<(Posting, Tag, usize)> = vec![
        posting(2, Side::Debit, "100", Some(Counterparty::Employee), "EMP"),
        posting(3, Side::Credit, "30", Some(Counterparty::Employee), "EMP"),
        posting(4, Side::Debit, "50", amex(), "CARD"),
        posting(5, Side::Debit, "20", amex(), "CARD"),
        posting(6, Side::Debit, "10", Some(Counterparty::Employee), "EMP"),
        posting(7, Side::Debit, "5", Some(Counterparty::CompanyPaid), "COPD"),
        posting(
            8,
            Side::Credit,
            "5",
            Some(Counterparty::CompanyPaid),
            "COPD",
        ),
    ]
    .into_iter()
    .map(|p| (p, Tag::None, 0))
    .collect();
    let f = facts(2);
    let exact = offset_lines(postings, &Rules::default(), &GroupValues { facts: &f }).unwrap();
    let got: Vec<(String, Side, Decimal, Kind, Vec<u64>, String)> = exact
        .iter()
        .map(|e| {
            (
                e.account.clone(),
                e.side,
                e.amount,
                e.kind,
                e.sources.clone(),
                e.memo.clone(),
            )
        })
        .collect();
    let line = |l: u64, side: Side, amount: &str| {
        let memo = format!("line {l}");
        (
            format!("6{l:04}"),
            side,
            dec(amount),
            Kind::OutOfPocket,
            vec![l],
            memo,
        )
    };
    assert_eq!(
        got,
        vec![
            line(2, Side::Debit, "100"),
            line(3, Side::Credit, "30"),
            line(4, Side::Debit, "50"),
            line(5, Side::Debit, "20"),
            line(6, Side::Debit, "10"),
            line(7, Side::Debit, "5"),
            line(8, Side::Credit, "5"),
            // The company-paid lines net to zero: no offset line.
            (
                "EMP".into(),
                Side::Credit,
                dec("80"),
                Kind::Offset,
                vec![2, 3, 6],
                "employee".into()
            ),
            (
                "CARD".into(),
                Side::Credit,
                dec("70"),
                Kind::Offset,
                vec![4, 5],
                "card:Amex".into()
            ),
        ]
    );
}

#[test]
fn step_3_offsets_a_files_own_lines_must_balance_by_themselves() {
    let f = facts(2);
    let gv = GroupValues { facts: &f };
    let own = |ps: Vec<Posting>| -> Vec<(Posting, Tag, usize)> {
        ps.into_iter().map(|p| (p, Tag::None, 0)).collect()
    };
    let both = own(vec![
        posting(2, Side::Debit, "10", None, ""),
        posting(3, Side::Credit, "7", None, ""),
    ]);
    assert_eq!(
        offset_lines(both, &Rules::default(), &gv).err(),
        Some(dec("3"))
    );
    // One-sided: offset to the employee.
    let one = own(vec![posting(2, Side::Debit, "10", None, "")]);
    let exact = offset_lines(one, &Rules::default(), &gv).unwrap();
    assert_eq!(exact.len(), 2);
    let offset = &exact[1];
    assert_eq!(
        (
            offset.account.as_str(),
            offset.side,
            offset.amount,
            offset.kind,
            &offset.sources
        ),
        (
            "EMPLOYEE_PAYABLE",
            Side::Credit,
            dec("10"),
            Kind::Offset,
            &vec![2]
        )
    );
}

fn exact(side: Side, amount: &str) -> Exact {
    Exact {
        account: "A".into(),
        side,
        amount: dec(amount),
        kind: Kind::OutOfPocket,
        counterparty: None,
        memo: String::new(),
        dimensions: Vec::new(),
        sources: vec![2],
    }
}

#[test]
fn step_4_rounding_once_per_journal_keeps_it_balanced() {
    let third = "33.3333";
    let lines = || {
        vec![
            exact(Side::Debit, third),
            exact(Side::Debit, third),
            exact(Side::Debit, third),
            exact(Side::Credit, "99.9999"),
        ]
    };
    // Largest remainder: the rounded total (100.00) shared on each side.
    let mut e = lines();
    let rounded = round_lines(&mut e, &Rules::default(), 2);
    let strings: Vec<String> = rounded.iter().map(|d| d.to_string()).collect();
    assert_eq!(strings, ["33.34", "33.33", "33.33", "100.00"]);
    assert_eq!(e.len(), 4);

    // A rounding account: each line rounded alone, the difference posted there.
    let rules = Rules {
        rounding_account: Some("ROUND".into()),
        ..Rules::default()
    };
    let mut e = lines();
    let rounded = round_lines(&mut e, &rules, 2);
    let strings: Vec<String> = rounded.iter().map(|d| d.to_string()).collect();
    assert_eq!(strings, ["33.33", "33.33", "33.33", "100.00", "0.01"]);
    let r = &e[4];
    assert_eq!(
        (r.account.as_str(), r.side, r.kind),
        ("ROUND", Side::Debit, Kind::Rounding)
    );
}

#[test]
fn step_5_reconciliation_holds_back_a_report_that_disagrees_with_concur() {
    let with_due = |due: &str| {
        let mut g = group();
        let f = RowFacts {
            due_employee: Some(dec(due)),
            due_card: None,
            ..facts(2)
        };
        let ps = vec![
            posting(2, Side::Debit, "100", Some(Counterparty::Employee), "EMP"),
            posting(3, Side::Credit, "30", Some(Counterparty::Employee), "EMP"),
        ];
        g.add(
            &f,
            Outcome::Postings(ps.into_iter().map(|p| (p, Tag::None)).collect()),
            None,
        );
        g
    };
    let mut findings = Findings::with_limit(10);
    let nets = with_due("70").nets();
    assert_eq!(reconcile_nets(&nets, "R-1", "f.txt", &mut findings), None);
    assert!(findings.items().is_empty());

    let nets = with_due("70.01").nets();
    let why = reconcile_nets(&nets, "R-1", "f.txt", &mut findings);
    let msg = "R-1: the journal's net due to the employee is 70 but Concur's Amount Due Employee (column 319) is 70.01 (difference -0.01); the report is not posted";
    assert_eq!(why, Some(format!("R-1 does not reconcile: {msg}")));
    let codes: Vec<(String, &str)> = findings
        .items()
        .iter()
        .map(|f| (f.code.to_string(), f.message.as_str()))
        .collect();
    assert_eq!(codes, vec![("JNL202".to_string(), msg)]);

    // A part of a split report cannot be reconciled: nothing is checked.
    let mut part = with_due("70.01");
    part.split_part = true;
    assert!(part.nets().is_empty());
}

#[test]
fn the_journal_gives_every_line_that_rounds_away_a_home() {
    // Line 3 rounds to nothing and nets with nothing posted; line 2 is posted.
    let mut small = exact(Side::Debit, "0.001");
    small.sources = vec![3];
    let lines = vec![exact(Side::Debit, "5"), small];
    let (lines, vanished) = journal_lines(lines, vec![dec("5.00"), dec("0.00")], 2);
    assert_eq!(lines.len(), 1);
    assert_eq!(vanished, vec![(3, dec("0.001"))]);
    let rows = vec![
        (2, RowState::Kept),
        (3, RowState::Kept),
        (4, RowState::Kept),
    ];
    let mut rejections = Vec::new();
    let file = file();
    let at = Unposted {
        file: &file,
        journal_id: "R-1",
        currency: "USD",
        minor: 2,
    };
    list_unposted(&lines, &rows, vanished, false, &at, &mut rejections);
    let got: Vec<(u64, RejectionStatus, &str)> = rejections
        .iter()
        .map(|r| (r.line, r.status, r.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                3,
                RejectionStatus::Skipped,
                "amount 0.001 USD rounds to zero at 2 decimal(s) and nets with nothing posted: nothing to post"
            ),
            (
                4,
                RejectionStatus::Skipped,
                "the line and what it offsets net to zero: nothing to post"
            ),
        ]
    );
}

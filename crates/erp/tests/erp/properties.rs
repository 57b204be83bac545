//! Property tests: splitting by line limit keeps every part balanced and within the limit
//! and posts exactly the journal's amounts; external ids are stable and distinct.

use ledgerline_erp::ids::{Part, external_id, short_id};
use ledgerline_erp::split::split;
use ledgerline_extract::value::Date;
use ledgerline_journal::{Journal, JournalLine, Kind};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::sync::Arc;

fn journal(lines: &[(bool, i64)], scale: u32) -> Journal {
    let mut ls: Vec<JournalLine> = Vec::new();
    let mut bal = Decimal::ZERO;
    for (i, (debit, cents)) in lines.iter().enumerate() {
        let a = Decimal::new(*cents, scale);
        let z = Decimal::new(0, scale);
        bal += if *debit { a } else { -a };
        ls.push(JournalLine {
            line: i as u32 + 1,
            account: format!("A{}", i % 7),
            debit: if *debit { a } else { z },
            credit: if *debit { z } else { a },
            kind: Kind::OutOfPocket,
            counterparty: None,
            memo: format!("line {i}"),
            dimensions: vec![("cost_center".into(), format!("CC{}", i % 3))],
            source_lines: vec![i as u64 + 2],
        });
    }
    // The offset line that balances the journal.
    let z = Decimal::new(0, scale);
    ls.push(JournalLine {
        line: ls.len() as u32 + 1,
        account: "2010".into(),
        debit: if bal < z { -bal } else { z },
        credit: if bal > z { bal } else { z },
        kind: Kind::Offset,
        counterparty: None,
        memo: "offset".into(),
        dimensions: Vec::new(),
        source_lines: Vec::new(),
    });
    Journal {
        id: "RPT-1".into(),
        date: Date::new(2024, 6, 30).unwrap(),
        currency: "USD".into(),
        minor_units: scale,
        employee_id: None,
        employee_name: None,
        report_id: None,
        report_key: None,
        title: "t".into(),
        batch_id: "1".into(),
        source_file: Arc::from("x"),
        lines: ls,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn splitting_preserves_balance_totals_and_every_line(
        lines in prop::collection::vec((any::<bool>(), 0i64..5_000_000), 1..120),
        max in 2usize..40,
        scale in 0u32..4,
    ) {
        let j = journal(&lines, scale);
        let parts = split(&j, max).unwrap();
        let n = parts.len() as u32;
        let mut per_line = vec![(Decimal::ZERO, Decimal::ZERO); j.lines.len()];
        for (i, p) in parts.iter().enumerate() {
            prop_assert_eq!(p.part, Part { n: i as u32 + 1, of: n });
            let pj = &p.journal;
            prop_assert!(pj.lines.len() <= max || n == 1);
            prop_assert!(!pj.lines.is_empty());
            prop_assert_eq!(pj.total_debit(), pj.total_credit());
            for (k, (l, &o)) in pj.lines.iter().zip(p.origin.iter()).enumerate() {
                prop_assert_eq!(l.line as usize, k + 1);
                let orig = &j.lines[o];
                prop_assert_eq!(&l.account, &orig.account);
                prop_assert_eq!(&l.memo, &orig.memo);
                prop_assert!(l.debit.is_zero() || l.credit.is_zero());
                // A share never changes side.
                prop_assert!(l.debit.is_zero() || !orig.debit.is_zero());
                prop_assert!(l.credit.is_zero() || !orig.credit.is_zero());
                per_line[o].0 += l.debit;
                per_line[o].1 += l.credit;
            }
        }
        for (o, l) in j.lines.iter().enumerate() {
            prop_assert_eq!(per_line[o], (l.debit, l.credit), "line {}", o + 1);
        }
        if j.lines.len() <= max {
            prop_assert_eq!(n, 1);
        }
    }

    #[test]
    fn external_ids_are_stable_and_distinct_across_reports(
        batch in "[0-9A-Za-z]{1,8}",
        a in "[ -~]{1,30}",
        b in "[ -~]{1,30}",
        n in 1u32..5,
    ) {
        let p = Part { n, of: 4 };
        for (x, y) in [
            (external_id("CONCUR", &batch, &a, p), external_id("CONCUR", &batch, &a, p)),
            (short_id("CC", &batch, &a, p, 16), short_id("CC", &batch, &a, p, 16)),
            (short_id("C", &batch, &a, p, 11), short_id("C", &batch, &a, p, 11)),
        ] {
            prop_assert_eq!(x, y);
        }
        let e = external_id("CONCUR", &batch, &a, p);
        prop_assert!(e.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        prop_assert!(short_id("C", &batch, &a, p, 11).len() <= 11);
        if a != b {
            prop_assert_ne!(external_id("CONCUR", &batch, &a, p), external_id("CONCUR", &batch, &b, p));
            prop_assert_ne!(short_id("CC", &batch, &a, p, 16), short_id("CC", &batch, &b, p, 16));
            prop_assert_ne!(short_id("C", &batch, &a, p, 11), short_id("C", &batch, &b, p, 11));
        }
        let other = Part { n: n + 1, of: 4 };
        prop_assert_ne!(short_id("CC", &batch, &a, p, 16), short_id("CC", &batch, &a, other, 16));
        prop_assert_ne!(external_id("CONCUR", &batch, &a, p), external_id("CONCUR", &batch, &a, other));
    }
}

#[test]
fn short_ids_of_many_reports_do_not_collide() {
    let mut seen = HashSet::new();
    for r in 0..200_000 {
        let id = short_id("C", "1", &format!("{r:020X}"), Part::WHOLE, 11);
        assert!(seen.insert(id), "collision at report {r}");
    }
}

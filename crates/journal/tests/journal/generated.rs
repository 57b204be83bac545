//! Property tests over generated extracts: every journal balances after rounding, every
//! source line is in exactly one journal or the rejection list, debits equal the extract's
//! debits plus derived offsets, Concur's report totals reconcile, and rounding moves no
//! journal total by more than the minor unit.

use crate::support::generate;
use ledgerline_extract::reader::ExtractReader;
use ledgerline_extract::sae::SaeRow;
use ledgerline_extract::schema::SaeCol;
use ledgerline_journal::model::Kind;
use ledgerline_journal::pipeline::{Collect, StreamReport};
use ledgerline_journal::rules::Rules;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

fn convert(data: &[u8], rules: Rules) -> (Collect, StreamReport) {
    crate::support::convert("gen.txt", data, rules)
}

/// (line -> signed amount of column 169) for every detail row, read independently of the
/// code under test (straight from the extract reader).
fn extract_lines(data: &[u8]) -> BTreeMap<u64, Decimal> {
    let mut r = ExtractReader::new("gen", data).unwrap();
    let mut out = BTreeMap::new();
    while let Some(rec) = r.next_record().unwrap() {
        if rec.field(0).unwrap().raw() == b"DETAIL" {
            let row = SaeRow::new(rec);
            out.insert(row.line(), row.amount(SaeCol::JournalAmount).unwrap());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn generated_extracts_convert_to_balanced_reconciled_journals(seed in any::<u64>(), reports in 1u64..30) {
        let data = generate(seed, reports);
        let (out, report) = convert(&data, Rules::default());
        let findings: Vec<String> = report.validation.findings.items().iter().map(|f| f.to_string()).collect();
        prop_assert!(findings.is_empty(), "seed {}: {:#?}", seed, findings);
        prop_assert!(out.rejections.is_empty());

        let lines = extract_lines(&data);
        let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
        for j in &out.journals {
            prop_assert!(j.is_balanced(), "{} does not balance", j.id);
            prop_assert!(j.lines.len() >= 2, "{} has {} lines", j.id, j.lines.len());
            let unit = Decimal::new(1, j.minor_units);
            for l in &j.lines {
                prop_assert!(l.debit.is_zero() != l.credit.is_zero(), "{} line {}: debit xor credit", j.id, l.line);
                prop_assert!(l.debit >= Decimal::ZERO && l.credit >= Decimal::ZERO);
                prop_assert_eq!(l.debit.scale().max(l.credit.scale()), j.minor_units);
            }
            // Non-offset lines carry exactly one source line each; count them.
            for l in j.lines.iter().filter(|l| l.kind != Kind::Offset) {
                prop_assert_eq!(l.source_lines.len(), 1);
                *seen.entry(l.source_lines[0]).or_default() += 1;
            }
            // The exact extract amounts behind the journal: rounding moves each side's total
            // by at most half a minor unit (generated amounts are already whole minor units,
            // so here it must not move at all).
            let exact_debits: Decimal = j
                .lines
                .iter()
                .filter(|l| l.kind != Kind::Offset && l.debit > Decimal::ZERO)
                .map(|l| lines[&l.source_lines[0]].abs())
                .sum();
            let debits: Decimal = j.lines.iter().filter(|l| l.kind != Kind::Offset).map(|l| l.debit).sum();
            prop_assert!((debits - exact_debits).abs() < unit);
            // Total debits = extract debits + derived (offset) debits.
            let offset_debits: Decimal = j.lines.iter().filter(|l| l.kind == Kind::Offset).map(|l| l.debit).sum();
            prop_assert_eq!(j.total_debit(), debits + offset_debits);
        }
        // Every extract line is in exactly one journal (no rejections for generated data).
        let all: Vec<u64> = lines.keys().copied().collect();
        let got: Vec<u64> = seen.keys().copied().collect();
        prop_assert_eq!(&got, &all);
        prop_assert!(seen.values().all(|&n| n == 1), "a line is in two journals");
    }
}

#[test]
fn every_grouping_balances_and_keeps_every_line() {
    let data = generate(77, 60);
    let want = extract_lines(&data).len();
    for group in ["report", "batch", "employee-day"] {
        let rules = Rules::parse(&format!("[journal]\ngroup = \"{group}\"\n")).unwrap();
        let (out, report) = convert(&data, rules);
        assert_eq!(report.validation.findings.errors(), 0, "{group}");
        let mut lines: Vec<u64> = out
            .journals
            .iter()
            .flat_map(|j| {
                j.lines
                    .iter()
                    .filter(|l| l.kind != Kind::Offset)
                    .flat_map(|l| l.source_lines.clone())
            })
            .collect();
        lines.sort_unstable();
        lines.dedup();
        assert_eq!(lines.len(), want, "{group}");
        assert!(out.journals.iter().all(|j| j.is_balanced()), "{group}");
        let currencies: Vec<&str> = out.journals.iter().map(|j| j.currency.as_str()).collect();
        if group == "batch" {
            let mut c = currencies.clone();
            c.sort_unstable();
            c.dedup();
            assert_eq!(
                c.len(),
                out.journals.len(),
                "one batch journal per currency"
            );
        }
    }
}

//! The inspector reduces its input chunk by chunk; the result must not depend on where the
//! chunks end. Checked against sums computed here from the journals themselves.

use ledgerline_inspect::inspector::{Inspection, Inspector, Options, View};
use ledgerline_inspect::table::Cell;
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{Collect, ConvertOptions, convert_reader};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

fn extract() -> Vec<u8> {
    let mut extract = Vec::new();
    ledgerline_generate::Generator::new(ledgerline_generate::Options {
        reports: 60,
        seed: 11,
        ..Default::default()
    })
    .write(&mut extract)
    .unwrap();
    extract
}

fn inspect(chunk_lines: usize) -> Inspection {
    let mut inspector = Inspector::new(Options {
        views: View::ALL.to_vec(),
        chunk_lines,
        ..Options::default()
    });
    let opts = ConvertOptions::new(Arc::new(Rules::default()));
    convert_reader(
        "gen.txt",
        extract().as_slice(),
        &opts,
        &mut inspector,
        &mut |_| {},
    )
    .unwrap();
    inspector.finish().unwrap()
}

#[test]
fn chunk_size_does_not_change_any_view() {
    let whole = inspect(1 << 20);
    for n in [1, 7, 50] {
        let parts = inspect(n);
        assert_eq!(parts.tables.len(), whole.tables.len());
        for (a, b) in parts.tables.iter().zip(&whole.tables) {
            assert!(a == b, "chunks of {n} lines: table {} differs", a.name);
        }
        assert_eq!(parts.currencies, whole.currencies);
        assert_eq!(parts.journals, whole.journals);
    }
}

#[test]
fn trial_balance_equals_the_journals_own_sums() {
    let mut journals = Collect::default();
    let opts = ConvertOptions::new(Arc::new(Rules::default()));
    convert_reader(
        "gen.txt",
        extract().as_slice(),
        &opts,
        &mut journals,
        &mut |_| {},
    )
    .unwrap();
    let mut expected: BTreeMap<(String, String), (Decimal, Decimal, u64)> = BTreeMap::new();
    for j in &journals.journals {
        for l in &j.lines {
            let e = expected
                .entry((l.account.clone(), j.currency.clone()))
                .or_default();
            e.0 += l.debit;
            e.1 += l.credit;
            e.2 += 1;
        }
    }
    let ins = inspect(13);
    let t = ins.table(View::Account).unwrap();
    let mut got: BTreeMap<(String, String), (Decimal, Decimal, u64)> = BTreeMap::new();
    for r in 0..t.rows.len() {
        let text = |c: &str| t.cell(r, c).map(Cell::display).unwrap_or_default();
        let amount = |c: &str| t.cell(r, c).and_then(Cell::amount).unwrap();
        // The generated extract has no dimensions: one row per account and currency.
        assert_eq!(text("dimensions"), "");
        let lines = match t.cell(r, "lines") {
            Some(Cell::Count(n)) => *n,
            other => panic!("{other:?}"),
        };
        got.insert(
            (text("account"), text("currency")),
            (amount("debit"), amount("credit"), lines),
        );
    }
    assert_eq!(got, expected);
    assert_eq!(ins.journals, journals.journals.len() as u64);
}

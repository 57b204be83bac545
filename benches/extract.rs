//! Criterion benches of the extract readers over a generated SAE file.
//!
//! The data (at least 200 MB) is generated once into `target/bench-data/` by
//! `ledgerline-generate` and never committed. Run with `cargo bench --bench extract`.
//! Set `LEDGERLINE_BENCH_MB` to change the size.

mod common;

use common::{bench_data, size_mb};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ledgerline_extract::sae::SaeRow;
use ledgerline_extract::schema::SaeCol;
use ledgerline_extract::split::{Dialect, Splitter};
use ledgerline_extract::validate::{ValidateOptions, validate_reader};
use std::hint::black_box;

/// Splits every record and reads the journal columns (19, 163, 165, 167, 168, 169, 185).
fn split_typed(data: &[u8]) -> (u64, rust_decimal::Decimal) {
    let mut s = Splitter::new(Dialect::PIPE);
    let mut rows = 0u64;
    let mut total = rust_decimal::Decimal::ZERO;
    let mut touch = 0usize;
    for chunk in data.chunks(1 << 20).chain(std::iter::once(&[][..])) {
        if chunk.is_empty() {
            s.finish();
        } else {
            s.feed(chunk);
        }
        while let Some(rec) = s.next_record().expect("split") {
            if rec.field(0).map(|f| f.raw()) != Some(b"DETAIL") {
                continue;
            }
            let row = SaeRow::new(rec);
            touch += row.bytes(SaeCol::ReportID).len()
                + row.bytes(SaeCol::JournalPayerPaymentTypeName).len()
                + row.bytes(SaeCol::JournalPayeePaymentTypeName).len()
                + row.bytes(SaeCol::JournalAccountCode).len()
                + row.bytes(SaeCol::CashAdvanceTransactionType).len();
            if row.dr_cr(SaeCol::JournalDebitOrCredit).is_ok() {
                total += row.amount(SaeCol::JournalAmount).expect("amount");
            }
            rows += 1;
        }
    }
    black_box(touch);
    (rows, total)
}

fn benches(c: &mut Criterion) {
    let data = bench_data(size_mb());
    let mut g = c.benchmark_group("extract");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("split+journal-columns", |b| {
        b.iter(|| black_box(split_typed(&data)))
    });
    g.bench_function("validate", |b| {
        b.iter(|| {
            let r = validate_reader(
                "bench",
                data.as_slice(),
                &ValidateOptions::default(),
                &mut |_| {},
            );
            assert_eq!(r.findings.errors(), 0);
            black_box(r.rows)
        })
    });
    g.finish();
}

criterion_group!(extract, benches);
criterion_main!(extract);

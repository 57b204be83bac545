//! Criterion bench of `convert`: the whole pipeline (read, validate, classify, build,
//! reconcile, round, write canonical JSON lines) over a generated extract, end to end in
//! memory. Run with `cargo bench --bench convert`; `LEDGERLINE_BENCH_MB` sets the size.

mod common;

use common::{bench_data, size_mb};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ledgerline_erp::{Format, create};
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, Discard, convert_reader};
use std::hint::black_box;
use std::sync::Arc;

fn benches(c: &mut Criterion) {
    let data = bench_data(size_mb());
    let rules = Arc::new(Rules::default());
    let opts = ConvertOptions::new(rules.clone());
    let mut g = c.benchmark_group("convert");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("jsonl", |b| {
        b.iter(|| {
            let mut sink = create(Format::Jsonl, std::io::sink(), &rules).expect("writer");
            let r = convert_reader("bench", data.as_slice(), &opts, sink.as_mut(), &mut |_| {})
                .expect("convert");
            assert_eq!(r.validation.findings.errors(), 0);
            black_box(r.lines)
        })
    });
    g.bench_function("validate-and-build-only", |b| {
        b.iter(|| {
            let r = convert_reader("bench", data.as_slice(), &opts, &mut Discard, &mut |_| {})
                .expect("convert");
            black_box(r.journals)
        })
    });
    g.finish();
}

criterion_group!(convert, benches);
criterion_main!(convert);

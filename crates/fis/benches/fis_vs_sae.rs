//! Criterion bench: the same generated expense reports converted from FIS documents and
//! from SAE rows (`Generator::write_fis` / `Generator::write`, same seed), through the whole
//! reader and journal builder into a sink that drops the journals. Throughput is in
//! reports, so the two figures compare directly (the target: FIS at no less than
//! half the SAE reader's speed). `LEDGERLINE_BENCH_REPORTS` sets the number of reports
//! (default 100,000). Run with `cargo bench -p ledgerline-fis --bench fis_vs_sae`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ledgerline_generate::{Generator, Options};
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, Discard, convert_reader};
use std::hint::black_box;
use std::sync::Arc;

fn benches(c: &mut Criterion) {
    let reports = std::env::var("LEDGERLINE_BENCH_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000u64);
    let g = Generator::new(Options {
        reports,
        seed: 2024,
        ..Options::default()
    });
    let (mut sae, mut fis) = (Vec::new(), Vec::new());
    g.write(&mut sae).expect("generate SAE");
    let s = g.write_fis(&mut fis).expect("generate FIS");
    eprintln!(
        "{reports} reports: SAE {} bytes, FIS {} bytes ({} documents)",
        sae.len(),
        fis.len(),
        s.documents
    );
    let opts = ConvertOptions::new(Arc::new(Rules::default()));
    let mut group = c.benchmark_group("fis_vs_sae");
    group.sample_size(10);
    group.throughput(Throughput::Elements(reports));
    // Alternating in one run, as the machine is shared: criterion runs one function's
    // samples, then the other's; the ratio of the two figures is the result.
    group.bench_function("sae", |b| {
        b.iter(|| {
            let r = convert_reader(
                "bench.txt",
                sae.as_slice(),
                &opts,
                &mut Discard,
                &mut |_| {},
            )
            .expect("convert");
            assert_eq!(r.validation.findings.errors(), 0);
            black_box(r.journals)
        })
    });
    group.bench_function("fis", |b| {
        b.iter(|| {
            let r = ledgerline_fis::convert_reader(
                "bench.jsonl",
                fis.as_slice(),
                &opts,
                &mut Discard,
                &mut |_| {},
            )
            .expect("convert");
            assert_eq!(r.validation.findings.errors(), 0);
            black_box(r.journals)
        })
    });
    group.finish();
}

criterion_group!(fis_vs_sae, benches);
criterion_main!(fis_vs_sae);

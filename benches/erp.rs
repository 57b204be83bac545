//! Criterion bench of `convert` into the ERP formats against `--to jsonl`, over a generated
//! SAE extract (read, validate, classify, build, write). Writing must not be the bottleneck:
//! NetSuite and the slowest other text format must keep at least 80% of jsonl throughput.
//!
//! The data (default 200 MB, `LEDGERLINE_BENCH_MB` to change) is generated once into
//! `target/bench-data/` and never committed. Run with `cargo bench --bench erp`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ledgerline_erp::{Format, Warnings, create_with};
use ledgerline_generate::{Generator, Options};
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, convert_reader};
use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

fn bench_data(mb: u64) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("erp-sae-{mb}mb.txt"));
    if !path.exists() {
        // About 5 KB per generated report.
        let reports = mb * 1_000_000 / 5_000;
        let tmp = path.with_extension("tmp");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).expect("create"));
        Generator::new(Options {
            reports,
            seed: 2024,
            ..Options::default()
        })
        .write(&mut w)
        .expect("generate");
        w.flush().expect("flush");
        drop(w);
        std::fs::rename(&tmp, &path).expect("rename");
    }
    std::fs::read(&path).expect("read bench data")
}

/// Counts bytes written, like a file would take them.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn convert(data: &[u8], format: Format, rules: &Arc<Rules>) -> u64 {
    let mut out = Count(0);
    {
        let mut sink =
            create_with(format, &mut out, rules, Warnings::callback(|_| {})).expect("settings");
        let r = convert_reader(
            "bench",
            data,
            &ConvertOptions::new(rules.clone()),
            sink.as_mut(),
            &mut |_| {},
        )
        .expect("convert");
        assert_eq!(r.validation.findings.errors(), 0);
        sink.finish().expect("finish");
    }
    out.0
}

use ledgerline_generate::only_currency;

fn benches(c: &mut Criterion) {
    let mb = std::env::var("LEDGERLINE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let data = bench_data(mb);
    // Offset accounts an ERP chart would have: SAP refuses accounts over 10 characters,
    // such as the built-in placeholder EMPLOYEE_PAYABLE.
    let rules = Rules::parse(
        r#"
[offsets]
employee = "2010"
card = "2150"
company_paid = "2160"
cash_advance_receivable = "1400"
bank = "1000"
card_clearing = "2170"
cash_advance_carry_forward = "1410"
tax_authority = "1500"
[formats.oracle-fbdi]
ledger_id = 300000001234
[formats.xero]
base_currency = "USD"
"#,
    )
    .expect("rules");
    let rules = Arc::new(rules);
    let mut g = c.benchmark_group("convert");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    for (name, format) in [
        ("jsonl", Format::Jsonl),
        ("netsuite", Format::NetSuite),
        ("sap-idoc", Format::SapIdoc),
        ("oracle-fbdi", Format::OracleFbdi),
        ("parquet", Format::Parquet),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(convert(&data, format, &rules)))
        });
    }
    g.finish();
    // Xero carries no currency: it is measured on the USD reports only.
    let usd = only_currency(&data, "USD");
    let mut g = c.benchmark_group("convert-usd");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(usd.len() as u64));
    g.bench_function("xero", |b| {
        b.iter(|| black_box(convert(&usd, Format::Xero, &rules)))
    });
    g.finish();
}

criterion_group!(erp, benches);
criterion_main!(erp);

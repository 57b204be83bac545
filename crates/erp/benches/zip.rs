//! Criterion bench of the zipped outputs (Oracle FBDI, Xero): the zip layer alone (the zip
//! crate's streaming writer, `ZipWriter::new_stream`, as `src/archive.rs` sets it up, on the
//! bytes those writers produce) and the whole conversion into both formats. Commit d44fb3a
//! has the arm of the hand-written `zipstream.rs` this replaced. Run with
//! `cargo bench -p ledgerline-erp --bench zip` (`LEDGERLINE_BENCH_MB`, default 20, sets the
//! size of the generated extract).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ledgerline_erp::{Format, Warnings, create_with};
use ledgerline_generate::{Generator, Options};
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, convert_reader};
use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Arc;

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

fn rules() -> Arc<Rules> {
    Arc::new(
        Rules::parse(
            r#"
[formats.oracle-fbdi]
ledger_id = 300000001234
[formats.xero]
base_currency = "USD"
"#,
        )
        .expect("rules"),
    )
}

fn extract(mb: u64) -> Vec<u8> {
    let mut out = Vec::new();
    Generator::new(Options {
        reports: mb * 1_000_000 / 5_000,
        seed: 2024,
        ..Options::default()
    })
    .write(&mut out)
    .expect("generate");
    out
}

use ledgerline_generate::only_currency;

fn convert(data: &[u8], format: Format, rules: &Arc<Rules>, out: impl Write + Send) {
    let mut sink = create_with(format, out, rules, Warnings::callback(|_| {})).expect("settings");
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

/// The entries of a zip, each as the chunks a writer hands the zip layer (5 lines at a time,
/// about a journal).
fn entries(zipped: &[u8]) -> Vec<(String, Vec<Vec<u8>>)> {
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(zipped)).expect("zip");
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).expect("entry");
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("read");
            let mut chunks = Vec::new();
            let mut lines = data.split_inclusive(|b| *b == b'\n').peekable();
            while lines.peek().is_some() {
                chunks.push(lines.by_ref().take(5).flatten().copied().collect());
            }
            (f.name().expect("name").into_owned(), chunks)
        })
        .collect()
}

fn with_zip_crate(entries: &[(String, Vec<Vec<u8>>)]) -> u64 {
    let mut out = Count(0);
    let mut z = zip::ZipWriter::new_stream(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .last_modified_time(zip::DateTime::default());
    for (name, chunks) in entries {
        z.start_file(name.as_str(), options).expect("start");
        for c in chunks {
            z.write_all(c).expect("write");
        }
    }
    z.finish().expect("finish");
    out.0
}

fn benches(c: &mut Criterion) {
    let mb = std::env::var("LEDGERLINE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let rules = rules();
    let all = extract(mb);
    let usd = only_currency(&all, "USD");
    for (format, data) in [(Format::OracleFbdi, &all), (Format::Xero, &usd)] {
        let mut zipped = Vec::new();
        convert(data, format, &rules, &mut zipped);
        let entries = entries(&zipped);
        let bytes: usize = entries.iter().flat_map(|e| &e.1).map(Vec::len).sum();
        let mut g = c.benchmark_group(format!("zip-layer/{}", format.name()));
        g.sample_size(20);
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("zip-crate", |b| {
            b.iter(|| black_box(with_zip_crate(&entries)))
        });
        g.finish();
        let mut g = c.benchmark_group("convert");
        g.sample_size(10);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(format.name(), |b| {
            b.iter(|| {
                let mut out = Count(0);
                convert(data, format, &rules, &mut out);
                black_box(out.0)
            })
        });
        g.finish();
    }
}

criterion_group!(zip_bench, benches);
criterion_main!(zip_bench);

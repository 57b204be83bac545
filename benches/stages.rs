//! Criterion benches of each stage of `convert`, in bytes of extract per second: split
//! (blocks of whole lines cut and split into fields), validate (the row-only checks and the
//! file-level replay, one thread), classify + build (`convert_reader` into a sink that
//! discards, 1 and 2 threads) and the whole conversion with the JSON-lines writer (1 and 2
//! threads; the writer's share is the difference). Run with `cargo bench --bench stages`;
//! `LEDGERLINE_BENCH_MB` sets the size.

mod common;

use common::{bench_data, size_mb};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ledgerline_erp::{Format, create};
use ledgerline_extract::reader::ExtractReader;
use ledgerline_extract::split::{BlockSplitter, Record};
use ledgerline_extract::validate::{CheckCache, FileValidator};
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, Discard, convert_reader};
use std::hint::black_box;
use std::sync::Arc;

/// Cuts `data` into blocks and splits every line: (records, fields).
fn split_blocks(data: &[u8]) -> (u64, u64) {
    let mut reader = ExtractReader::new("bench", data).expect("reader");
    let (dialect, max_line) = reader.block_dialect();
    let (mut records, mut fields) = (0u64, 0u64);
    let mut block = Vec::new();
    let mut spans = Vec::new();
    while let Some(start) = reader.next_block(256 << 10, &mut block).expect("block") {
        let mut lines = BlockSplitter::new(&block, start, dialect, max_line);
        spans.clear();
        while let Some(_r) = lines.next_into(&mut spans).expect("split") {
            records += 1;
        }
        fields += spans.len() as u64;
    }
    (records, fields)
}

/// Splits and validates on one thread: the row-only checks, then the file-level replay.
fn validate_blocks(data: &[u8]) -> usize {
    let mut reader = ExtractReader::new("bench", data).expect("reader");
    let (dialect, max_line) = reader.block_dialect();
    let mut v = FileValidator::new("bench", reader.kind(), 1000);
    let checker = v.checker().expect("SAE");
    let mut cache = CheckCache::default();
    let mut block = Vec::new();
    let mut spans = Vec::new();
    while let Some(start) = reader.next_block(256 << 10, &mut block).expect("block") {
        let mut lines = BlockSplitter::new(&block, start, dialect, max_line);
        loop {
            spans.clear();
            let Some(r) = lines.next_into(&mut spans).expect("split") else {
                break;
            };
            let rec = Record::new(&block[r.line.0..r.line.1], &spans, r.position, r.flags);
            let mut prep = checker.prepare(&rec, &mut cache);
            black_box(v.record_prepared(&rec, &mut prep));
        }
    }
    let report = v.finish(data.len() as u64);
    assert_eq!(report.findings.errors(), 0);
    report.findings.warnings()
}

fn benches(c: &mut Criterion) {
    let data = bench_data(size_mb());
    let rules = Arc::new(Rules::default());
    let mut g = c.benchmark_group("stages");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("split", |b| b.iter(|| black_box(split_blocks(&data))));
    g.bench_function("validate", |b| b.iter(|| black_box(validate_blocks(&data))));
    for threads in [1, 2] {
        let opts = ConvertOptions {
            threads,
            ..ConvertOptions::new(rules.clone())
        };
        g.bench_function(format!("classify+build/{threads}-threads"), |b| {
            b.iter(|| {
                let r = convert_reader("bench", data.as_slice(), &opts, &mut Discard, &mut |_| {})
                    .expect("convert");
                black_box(r.journals)
            })
        });
        g.bench_function(format!("write-jsonl/{threads}-threads"), |b| {
            b.iter(|| {
                let mut sink = create(Format::Jsonl, std::io::sink(), &rules).expect("writer");
                let r = convert_reader("bench", data.as_slice(), &opts, sink.as_mut(), &mut |_| {})
                    .expect("convert");
                black_box(r.lines)
            })
        });
    }
    g.finish();
}

criterion_group!(stages, benches);
criterion_main!(stages);

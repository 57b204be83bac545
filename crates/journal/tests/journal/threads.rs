//! The data-parallel pass gives the same journals, rejections and findings (same order,
//! same lines and columns) for 1, 2 and 8 threads and any block size: reports split across
//! blocks, a report that comes back later in the file, damaged rows, blank lines, CRLF, a
//! last line without terminator, and a read that fails half-way.

use crate::support::{codes, generate};
use ledgerline_journal::pipeline::{Collect, ConvertOptions, StreamReport, convert_reader};
use ledgerline_journal::rules::Rules;
use std::io::Read;
use std::sync::Arc;

/// Everything a conversion gave, as text: journals, rejections, findings, counts.
fn run(data: &[u8], threads: usize, block_bytes: usize, chunk: usize) -> String {
    let opts = ConvertOptions {
        threads,
        block_bytes,
        ..ConvertOptions::new(Arc::new(Rules::default()))
    };
    let mut out = Collect::default();
    let r = convert_reader(
        "t.txt",
        Chunked {
            data,
            chunk,
            fail_at: None,
        },
        &opts,
        &mut out,
        &mut |_| {},
    )
    .unwrap();
    describe(&out, &r)
}

fn describe(out: &Collect, r: &StreamReport) -> String {
    let v = &r.validation;
    let f = &v.findings;
    format!(
        "{:#?}\n{:#?}\n{:#?}\n{:?}\n{:?}",
        out.journals,
        out.rejections,
        f.items(),
        (
            f.errors(),
            f.warnings(),
            f.infos(),
            f.dropped(),
            f.last_row_error()
        ),
        (
            &v.file, v.kind, v.rows, v.reports, v.bytes, r.journals, r.lines, r.rejected
        ),
    )
}

/// The first line where `a` and `b` differ.
fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map_or_else(
            || format!("lengths {} and {}", a.len(), b.len()),
            |(i, (x, y))| format!("line {i}: `{x}` against `{y}`"),
        )
}

/// A reader handing out at most `chunk` bytes per read, failing once `fail_at` bytes are
/// read.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
    fail_at: Option<usize>,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.fail_at == Some(0) {
            return Err(std::io::Error::other("the disk went away"));
        }
        let n = buf
            .len()
            .min(self.chunk)
            .min(self.data.len())
            .min(self.fail_at.unwrap_or(usize::MAX));
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        if let Some(f) = &mut self.fail_at {
            *f -= n;
        }
        Ok(n)
    }
}

/// A generated extract with the irregularities the parallel pass must keep in order.
fn damaged() -> Vec<u8> {
    let data = generate(2024, 120);
    let text = String::from_utf8(data).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // A report's second line moved to the end: the report id comes back later.
    let moved = lines.remove(3);
    lines.push(moved);
    // A bad date and a bad amount, far apart.
    for (at, col) in [(40usize, 2usize), (200, 168)] {
        let mut f: Vec<String> = lines[at].split('|').map(str::to_owned).collect();
        f[col] = "2024-13-45".into();
        lines[at] = f.join("|");
    }
    // A row cut short, and one that is not UTF-8 (made below).
    let cut: Vec<&str> = lines[300].split('|').take(120).collect();
    lines[300] = cut.join("|");
    lines[350] = lines[350].replacen("DETAIL|", "DETAIL|\u{1}", 1);
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if i == 150 {
            out.extend_from_slice(b"\n"); // a blank line
        }
        out.extend_from_slice(l.as_bytes());
        if i == 420 {
            out.extend_from_slice(&[0xFF, b'x']);
        }
        if i + 1 == lines.len() {
            break; // no terminator on the last line
        }
        out.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
    }
    out
}

#[test]
fn one_two_and_eight_threads_give_the_same_output_for_any_block_size() {
    let data = damaged();
    let reference = run(&data, 1, 0, usize::MAX);
    // The file is damaged as intended, so the comparison covers findings and rejections.
    let (out, r) = {
        let mut out = Collect::default();
        let r = convert_reader(
            "t.txt",
            data.as_slice(),
            &ConvertOptions::new(Arc::new(Rules::default())),
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        (out, r)
    };
    let got = describe(&out, &r);
    assert!(got == reference, "{}", first_difference(&got, &reference));
    let codes = codes(&r);
    assert!(codes.len() >= 6, "{codes:?}");
    assert!(!out.rejections.is_empty());
    assert!(out.journals.len() > 100);
    for threads in [1, 2, 8] {
        for (block, chunk) in [(0, usize::MAX), (1, 7), (4096, 65536), (50_000, 1 << 20)] {
            let got = run(&data, threads, block, chunk);
            assert!(
                got == reference,
                "{threads} threads, blocks of {block} bytes, reads of {chunk}: {}",
                first_difference(&got, &reference)
            );
        }
    }
}

#[test]
fn a_read_that_fails_half_way_is_reported_at_the_same_line_for_any_thread_count() {
    let data = generate(7, 60);
    let half = data.len() / 2;
    let go = |threads: usize, block_bytes: usize| {
        let opts = ConvertOptions {
            threads,
            block_bytes,
            ..ConvertOptions::new(Arc::new(Rules::default()))
        };
        let mut out = Collect::default();
        let r = convert_reader(
            "t.txt",
            Chunked {
                data: &data,
                chunk: 1000,
                fail_at: Some(half),
            },
            &opts,
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        describe(&out, &r)
    };
    let reference = go(1, 0);
    assert!(reference.contains("the disk went away"), "{reference}");
    assert!(go(0, 0) == reference, "the streaming pass");
    for threads in [2, 8] {
        for block in [0, 1, 3000] {
            assert!(
                go(threads, block) == reference,
                "{threads} threads, blocks of {block}"
            );
        }
    }
}

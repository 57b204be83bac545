//! The reading stage: the input read in windows of whole JSON values, line numbers of
//! byte offsets, JSON that is cut short or damaged; each value handed to [`super::document`].

use super::Batch;
use super::scan::{at_end, next_fast, offset_in, strip_position, utf8_prefix};
use ledgerline_findings::{Check, Family, Finding, Findings, Position};
use ledgerline_journal::pipeline::ConvertOptions;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::io::Read;

/// Bytes read at a time; a value longer than what is buffered doubles the next read.
const CHUNK: usize = 1 << 20;

/// What the reading stage found.
pub(super) struct ReadOut {
    pub(super) findings: Findings,
    pub(super) rows: u64,
    pub(super) documents: u64,
    pub(super) bytes: u64,
}

pub(super) fn read_stage<R: Read>(
    name: &str,
    mut input: R,
    opts: &ConvertOptions,
    to_build: std::sync::mpsc::SyncSender<Batch>,
    recycled: std::sync::mpsc::Receiver<Batch>,
) -> ReadOut {
    let mut run = Run {
        name,
        opts,
        findings: Findings::with_limit(opts.max_findings),
        lines: Lines::default(),
        batch: Batch::default(),
        to_build,
        recycled,
        stopped: false,
        read_so_far: 0,
        rows: 0,
        documents: 0,
        seen_documents: HashSet::new(),
        seen_reports: HashSet::new(),
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut base = 0usize; // absolute offset of buf[0]
    let mut eof = false;
    let mut want = CHUNK;
    let mut first = true;
    loop {
        if !eof {
            let before = buf.len();
            buf.reserve(want);
            match (&mut input).take(want as u64).read_to_end(&mut buf) {
                Ok(0) => eof = true,
                Ok(_) => {}
                Err(e) => {
                    run.findings.push(read_error(name, &e));
                    break;
                }
            }
            if first {
                first = false;
                if buf.starts_with(b"\xEF\xBB\xBF") {
                    buf.drain(..3);
                    base = 3;
                    run.lines.at = 3;
                }
            }
            if buf.len() == before {
                eof = true;
            }
            run.read_so_far = (base + buf.len()) as u64;
        }
        let (consumed, state) = run.window(&buf, base, eof);
        run.lines.advance(&buf, base, base + consumed);
        buf.drain(..consumed);
        base += consumed;
        if run.stopped {
            break;
        }
        match state {
            Window::Done | Window::Failed => break,
            Window::More if eof => break,
            Window::More => {
                want = CHUNK.max(buf.len());
            }
        }
    }
    run.send();
    ReadOut {
        findings: run.findings,
        rows: run.rows,
        documents: run.documents,
        bytes: (base + buf.len()) as u64,
    }
}

fn read_error(name: &str, e: &std::io::Error) -> Finding {
    match ledgerline_extract::source::ZipLimitError::from_io(e) {
        Some(limit) => Finding::new(Family::Zip, limit.check(), name, e.to_string()),
        None => Finding::new(
            Family::Io,
            Check::Unreadable,
            name,
            format!("could not read the input: {e}"),
        ),
    }
}

enum Window {
    /// The input is read to its end.
    Done,
    /// A value runs past the bytes buffered.
    More,
    /// The JSON is damaged; nothing after it is read.
    Failed,
}

/// Line numbers of absolute byte offsets (asked in increasing order).
#[derive(Debug, Default)]
pub(super) struct Lines {
    /// Offsets before this are counted.
    at: usize,
    /// Newlines before `at`.
    newlines: u64,
    /// Offset of the start of the line `at` is on.
    line_start: usize,
}

impl Lines {
    /// Counts up to `to` in `buf` (whose first byte is at `base`).
    fn advance(&mut self, buf: &[u8], base: usize, to: usize) {
        if to <= self.at {
            return;
        }
        let from = self.at.saturating_sub(base).min(buf.len());
        let end = (to - base).min(buf.len());
        for i in memchr_iter(&buf[from..end]) {
            self.newlines += 1;
            self.line_start = base + from + i + 1;
        }
        self.at = base + end;
    }

    pub(super) fn position(&mut self, buf: &[u8], base: usize, offset: usize) -> Position {
        self.advance(buf, base, offset);
        Position {
            line: self.newlines + 1,
            byte: self.line_start as u64,
        }
    }
}

fn memchr_iter(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', b)
}

pub(super) struct Run<'r> {
    pub(super) name: &'r str,
    pub(super) opts: &'r ConvertOptions,
    pub(super) findings: Findings,
    pub(super) lines: Lines,
    pub(super) batch: Batch,
    pub(super) to_build: std::sync::mpsc::SyncSender<Batch>,
    /// Built batches back from the building stage, for reuse.
    pub(super) recycled: std::sync::mpsc::Receiver<Batch>,
    /// The building stage stopped taking batches (its error is reported).
    pub(super) stopped: bool,
    pub(super) read_so_far: u64,
    pub(super) rows: u64,
    pub(super) documents: u64,
    /// Document ids and report ids seen in this input.
    pub(super) seen_documents: HashSet<String>,
    pub(super) seen_reports: HashSet<String>,
}

impl Run<'_> {
    /// Reads the complete values of `buf`; the bytes consumed, and what stopped it.
    fn window(&mut self, buf: &[u8], base: usize, eof: bool) -> (usize, Window) {
        let mut consumed = 0usize;
        let text = utf8_prefix(buf);
        loop {
            if self.stopped {
                return (consumed, Window::Done);
            }
            let rest = &buf[consumed..];
            // The fast path: a document (or page) and its payload read in one pass.
            let (next, read) = next_fast(rest, text.and_then(|t| t.get(consumed..)));
            let error = match next {
                None => return (buf.len(), Window::Done),
                Some(Ok(doc)) => {
                    let end = consumed + read;
                    let start = consumed
                        + rest
                            .iter()
                            .position(|b| !b.is_ascii_whitespace())
                            .unwrap_or(0);
                    let at = base + start;
                    if let Some(docs) = doc.fi_documents {
                        self.list(docs, buf, base, offset_in(buf, docs) + base, "fIDocuments");
                    } else if let Some(docs) = doc.content {
                        self.list(docs, buf, base, offset_in(buf, docs) + base, "content");
                    } else if !self.fast(&doc, buf, base, at, String::new()) {
                        self.careful(&buf[start..end], buf, base, at);
                    }
                    consumed = end;
                    continue;
                }
                Some(Err(e)) => e,
            };
            if !eof && (error.is_eof() || at_end(rest, &error)) {
                return (consumed, Window::More);
            }
            // Not a document the fast path takes (a list, a payload sent as text, a value
            // of the wrong type), or not JSON: the careful path says which.
            let mut raw = serde_json::Deserializer::from_slice(rest).into_iter::<&RawValue>();
            match raw.next() {
                Some(Ok(v)) => {
                    let at = offset_in(buf, v) + base;
                    self.value(v, buf, base, at);
                    consumed += raw.byte_offset();
                }
                None => return (buf.len(), Window::Done),
                Some(Err(e)) if !eof && (e.is_eof() || at_end(rest, &e)) => {
                    return (consumed, Window::More);
                }
                Some(Err(e)) => {
                    let pos = self.lines.position(buf, base, base + consumed);
                    let line = pos.line + e.line() as u64 - 1;
                    let what = if e.is_eof() {
                        "the input ends inside a JSON value (cut short?)".to_owned()
                    } else {
                        // serde's own position is the value's; the finding's is the file's.
                        strip_position(&e.to_string())
                    };
                    self.findings.push(
                        Finding::new(
                            Family::Fis,
                            Check::FisSyntax,
                            self.name,
                            format!("{what}; nothing after this point is read: fetch the documents again"),
                        )
                        .at(Position { line, byte: pos.byte }),
                    );
                    return (consumed, Window::Failed);
                }
            }
        }
    }

    /// The careful path over one value's bytes.
    fn careful(&mut self, bytes: &[u8], buf: &[u8], base: usize, at: usize) {
        if let Some(Ok(v)) = serde_json::Deserializer::from_slice(bytes)
            .into_iter::<&RawValue>()
            .next()
        {
            self.value(v, buf, base, at);
        }
    }

    pub(super) fn finding(
        &mut self,
        check: Check,
        buf: &[u8],
        base: usize,
        at: usize,
        message: String,
    ) {
        let pos = self.lines.position(buf, base, at);
        self.findings
            .push(Finding::new(Family::Fis, check, self.name, message).at(pos));
    }

    /// Hands the rows so far to the building stage.
    pub(super) fn send(&mut self) {
        if self.batch.rows.is_empty() || self.stopped {
            return;
        }
        let next = self.recycled.try_recv().unwrap_or_default();
        let mut batch = std::mem::replace(&mut self.batch, next);
        batch.offset = self.read_so_far;
        if self.to_build.send(batch).is_err() {
            self.stopped = true;
        }
    }
}

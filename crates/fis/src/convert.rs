//! One FIS input through the journal builder: JSON values read one after the other (a
//! document, a list, a v4 `content[]` page, the v1 `fIDocuments[]` wrapper; one value, or
//! one per line), each document mapped to its rows ([`crate::map`]) and fed to the
//! builder as [`FisRow`]s, the journals handed to the sink. Memory is bounded by the
//! largest JSON value (a page of documents), not by the file.

use crate::json::{self, Fill};
use crate::map::{self, Mapped, Place};
use crate::model::{CaJournal, CashAdvance, Expense, FastDoc, Invoice, Payload, Top};
use ledgerline_extract::validate::FileReport;
use ledgerline_findings::{Check, Family, Finding, Findings, Position, Severity};
use ledgerline_journal::build::{Builder, Outcome};
use ledgerline_journal::classify::ClassifyError;
use ledgerline_journal::pipeline::{ConvertOptions, Sink, StreamReport};
use ledgerline_journal::sources::{RowContext, RowError, RowSource};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::io::Read;

/// The kind a FIS input is reported as (`validate`, `--json`).
pub const KIND: &str = "FIS documents";

/// Bytes read at a time; a value longer than what is buffered doubles the next read.
const CHUNK: usize = 1 << 20;

/// Converts one FIS input into `sink`. I/O errors of the sink end the run (`Err`);
/// everything wrong with the input is a finding in the report. `progress` is told the
/// bytes read so far.
///
/// Two stages run on two threads, as for extracts: this thread's spawn reads, parses and
/// maps the documents into rows (their layers of values, [`crate::rows::Layers`]); this
/// thread encodes each row as its SAE line, classifies, builds and writes them. Rows travel
/// in bounded batches, in order, and the batches come back to be reused.
pub fn convert_reader<R: Read + Send>(
    name: &str,
    input: R,
    opts: &ConvertOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<StreamReport> {
    let (to_build, from_read) = std::sync::mpsc::sync_channel::<Batch>(4);
    // Batches go back to the reading stage once built, so their buffers are reused
    // instead of allocated (and their pages faulted in) again for every batch.
    let (recycle, recycled) = std::sync::mpsc::sync_channel::<Batch>(8);
    let (read, built) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_stage(name, input, opts, to_build, recycled));
        let built = build_stage(name, opts, from_read, recycle, sink, progress);
        (reader.join(), built)
    });
    let read =
        read.map_err(|_| std::io::Error::other("the FIS reading stage failed unexpectedly"))?;
    let mut built = built?;
    let mut findings = read.findings;
    findings.absorb(std::mem::replace(
        &mut built.findings,
        Findings::with_limit(0),
    ));
    if read.documents == 0 && findings.errors() == 0 {
        findings.push(Finding::new(
            Family::Fis,
            Check::NoDetails,
            name,
            "the FIS input holds no documents",
        ));
    }
    progress(read.bytes);
    Ok(StreamReport {
        validation: FileReport {
            file: name.to_owned(),
            kind: Some(KIND),
            rows: read.rows,
            reports: read.documents,
            bytes: read.bytes,
            findings,
        },
        journals: built.journals,
        lines: built.lines,
        rejected: built.rejected,
    })
}

/// Rows handed from the reading stage to the building stage.
#[derive(Default)]
struct Batch {
    /// The rows' values, encoded as SAE lines by the building stage.
    layers: crate::rows::Layers,
    rows: Vec<Meta>,
    /// The extract header of each document of the batch that has one (invoices).
    headers: Vec<Option<ledgerline_extract::sae::Header>>,
    /// Input bytes read when the batch was sent.
    offset: u64,
}

impl Batch {
    /// Empty, its buffers kept for the next rows.
    fn clear(&mut self) {
        self.layers.clear();
        self.rows.clear();
        self.headers.clear();
        self.offset = 0;
    }
}

struct Meta {
    row: crate::rows::StoredRow,
    pos: Position,
    /// Its own error (the row is rejected).
    own_error: bool,
    /// Why it is rejected: its own error, or its document held back.
    rejected: Option<String>,
    header: usize,
}

const BATCH_ROWS: usize = 256;

/// What the reading stage found.
struct ReadOut {
    findings: Findings,
    rows: u64,
    documents: u64,
    bytes: u64,
}

fn read_stage<R: Read>(
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

struct Built {
    findings: Findings,
    journals: u64,
    lines: u64,
    rejected: u64,
}

fn build_stage(
    name: &str,
    opts: &ConvertOptions,
    batches: std::sync::mpsc::Receiver<Batch>,
    recycle: std::sync::mpsc::SyncSender<Batch>,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<Built> {
    let rules = opts.rules.clone();
    let mut builder = Builder::new(rules.clone(), name);
    let mut out = Built {
        findings: Findings::with_limit(opts.max_findings),
        journals: 0,
        lines: 0,
        rejected: 0,
    };
    // One row's encoded line, reused from row to row.
    let (mut line, mut spans, mut slots) = (Vec::new(), Vec::new(), crate::rows::Slots::default());
    for mut batch in batches {
        progress(batch.offset);
        for m in &batch.rows {
            line.clear();
            spans.clear();
            batch
                .layers
                .encode(m.row, &mut line, &mut spans, &mut slots);
            let ctx = RowContext {
                rules: &rules,
                header: batch.headers.get(m.header).and_then(Option::as_ref),
            };
            let rec = ledgerline_extract::split::Record::new(
                &line,
                &spans,
                m.pos,
                ledgerline_extract::split::LineFlags::empty(),
            );
            let row = match m.row.layout() {
                crate::rows::Layout::Sae => {
                    crate::rows::FisRow::new(ledgerline_extract::sae::SaeRow::new(rec))
                }
                crate::rows::Layout::Prae => {
                    crate::rows::FisRow::invoice(ledgerline_extract::sae::PraeRow::new(rec))
                }
            };
            let facts = row.facts(&ctx);
            let outcome = if m.own_error {
                Outcome::Failed(RowError::Malformed)
            } else {
                match row.outcome(&ctx) {
                    Ok(o) => o,
                    Err(e) => {
                        if m.rejected.is_none() {
                            let mut message = e.to_string();
                            if let RowError::Classify(ClassifyError::UnknownPaymentType {
                                ..
                            }) = &e
                            {
                                message.push_str(
                                    " (FIS gives payment codes: COMP, EMPL, IBCP, CBCP, IBIP, COPD)",
                                );
                            }
                            out.findings.push(
                                Finding::new(Family::Journal, Check::Unclassified, name, message)
                                    .at(m.pos),
                            );
                        }
                        Outcome::Failed(e)
                    }
                }
            };
            if let Outcome::Skipped(why) = &outcome {
                out.findings.push(
                    Finding::new(
                        Family::Journal,
                        Check::NotPosted,
                        name,
                        format!("not posted: {why}"),
                    )
                    .at(m.pos),
                );
            }
            builder.add(facts, outcome, m.rejected.clone(), &mut out.findings);
            drain(
                &mut builder,
                sink,
                &mut out.journals,
                &mut out.lines,
                &mut out.rejected,
            )?;
        }
        batch.clear();
        // A full queue (the reader is ahead) or a finished reader: the batch is dropped.
        let _ = recycle.try_send(batch);
    }
    builder.finish(&mut out.findings);
    drain(
        &mut builder,
        sink,
        &mut out.journals,
        &mut out.lines,
        &mut out.rejected,
    )?;
    Ok(out)
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
struct Lines {
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

    fn position(&mut self, buf: &[u8], base: usize, offset: usize) -> Position {
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

struct Run<'r> {
    name: &'r str,
    opts: &'r ConvertOptions,
    findings: Findings,
    lines: Lines,
    batch: Batch,
    to_build: std::sync::mpsc::SyncSender<Batch>,
    /// Built batches back from the building stage, for reuse.
    recycled: std::sync::mpsc::Receiver<Batch>,
    /// The building stage stopped taking batches (its error is reported).
    stopped: bool,
    read_so_far: u64,
    rows: u64,
    documents: u64,
    /// Document ids and report ids seen in this input.
    seen_documents: HashSet<String>,
    seen_reports: HashSet<String>,
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

    fn finding(&mut self, check: Check, buf: &[u8], base: usize, at: usize, message: String) {
        let pos = self.lines.position(buf, base, at);
        self.findings
            .push(Finding::new(Family::Fis, check, self.name, message).at(pos));
    }

    /// One top-level JSON value.
    fn value(&mut self, raw: &RawValue, buf: &[u8], base: usize, at: usize) {
        match raw.get().as_bytes().first() {
            Some(b'[') => self.list(raw, buf, base, at, ""),
            Some(b'{') => {
                if let Ok(fast) = serde_json::from_str::<FastDoc<'_>>(raw.get()) {
                    if let Some(docs) = fast.fi_documents {
                        return self.list(
                            docs,
                            buf,
                            base,
                            offset_in(buf, docs) + base,
                            "fIDocuments",
                        );
                    }
                    if let Some(docs) = fast.content {
                        return self.list(docs, buf, base, offset_in(buf, docs) + base, "content");
                    }
                    if self.fast(&fast, buf, base, at, String::new()) {
                        return;
                    }
                }
                let top: Top<'_> = match serde_json::from_str(raw.get()) {
                    Ok(t) => t,
                    Err(e) => {
                        self.finding(Check::FisBadValue, buf, base, at, format!("$: {e}"));
                        return;
                    }
                };
                if let Some(docs) = top.fi_documents {
                    self.list(docs, buf, base, offset_in(buf, docs) + base, "fIDocuments")
                } else if let Some(docs) = top.content {
                    self.list(docs, buf, base, offset_in(buf, docs) + base, "content")
                } else {
                    self.document(&top, raw, buf, base, at, String::new())
                }
            }
            _ => {
                self.finding(
                    Check::FisShape,
                    buf,
                    base,
                    at,
                    format!("`{}` is no FIS document, list or page", clip(raw.get())),
                );
            }
        }
    }

    fn list(&mut self, raw: &RawValue, buf: &[u8], base: usize, at: usize, path: &str) {
        let items: Vec<&RawValue> = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(_) => {
                let p = if path.is_empty() { "$" } else { path };
                self.finding(
                    Check::FisBadValue,
                    buf,
                    base,
                    at,
                    format!("{p}: is not a list of documents"),
                );
                return;
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            let iat = offset_in(buf, item) + base;
            let ipath = format!("{path}[{i}]");
            if let Ok(fast) = serde_json::from_str::<FastDoc<'_>>(item.get())
                && fast.fi_documents.is_none()
                && fast.content.is_none()
                && self.fast(&fast, buf, base, iat, ipath.clone())
            {
                continue;
            }
            let top: Top<'_> = match serde_json::from_str(item.get()) {
                Ok(t) => t,
                Err(_) => {
                    self.finding(
                        Check::FisShape,
                        buf,
                        base,
                        iat,
                        format!("{ipath}: is not a FIS document"),
                    );
                    continue;
                }
            };
            self.document(&top, item, buf, base, iat, ipath);
        }
    }

    /// An `FIDocument` (or a bare document payload) at `path`.
    fn document(
        &mut self,
        top: &Top<'_>,
        raw: &RawValue,
        buf: &[u8],
        base: usize,
        at: usize,
        path: String,
    ) {
        let dot = |k: &str| {
            if path.is_empty() {
                k.to_owned()
            } else {
                format!("{path}.{k}")
            }
        };
        if top.journal_id.is_some() && top.document.is_none() {
            self.finding(
                Check::FisShape,
                buf,
                base,
                at,
                format!(
                    "{}: a canonical journal line (`convert --to jsonl`), not a FIS document",
                    dot("journal_id")
                ),
            );
            return;
        }
        let (payload, ppath) = match (
            top.document.or(top.document_blob),
            top.report
                .or(top.expense_entry)
                .or(top.cash_advance_data)
                .or(top.request_header),
        ) {
            (Some(d), _) => (
                DocRef::Field(d),
                dot(if top.document.is_some() {
                    "document"
                } else {
                    "documentBlob"
                }),
            ),
            (None, Some(_)) => (DocRef::Bare, path.clone()),
            (None, None) => {
                let what = if top.id.is_some() || top.doc_type.is_some() {
                    format!("{}: missing (the document itself)", dot("document"))
                } else {
                    format!(
                        "{}: no FIS document, list or page (none of fIDocuments, content, document, report)",
                        if path.is_empty() { "$" } else { &path }
                    )
                };
                let check = if top.id.is_some() || top.doc_type.is_some() {
                    Check::FisMissing
                } else {
                    Check::FisShape
                };
                self.finding(check, buf, base, at, what);
                return;
            }
        };
        self.documents += 1;
        if let Ok(Some(id)) = json::text(top.id)
            && !self.seen_documents.insert(id.to_string())
        {
            self.finding(
                Check::FisDuplicate,
                buf,
                base,
                at,
                format!(
                    "{}: document `{id}` is in this input already; not converted again",
                    dot("id")
                ),
            );
            return;
        }
        if let Ok(Some(status)) = json::text(top.doc_status) {
            self.status(&status, buf, base, at, &dot("docStatus"));
        }
        let doc_type = json::text(top.doc_type)
            .ok()
            .flatten()
            .map(|t| t.to_ascii_lowercase());
        // The payload: an object, or (DocumentFormatAs: text) its JSON in a string.
        let owned: String;
        let text: &str = match payload {
            DocRef::Bare => raw.get(),
            DocRef::Field(d) if d.get().starts_with('"') => {
                match serde_json::from_str::<String>(d.get()) {
                    Ok(s) => {
                        owned = s;
                        &owned
                    }
                    Err(_) => {
                        self.finding(
                            Check::FisBadValue,
                            buf,
                            base,
                            at,
                            format!("{ppath}: a string that cannot be decoded"),
                        );
                        return;
                    }
                }
            }
            DocRef::Field(d) if d.get().starts_with('{') => d.get(),
            DocRef::Field(d) => {
                let what = if d.get() == "null" {
                    "missing (null)"
                } else {
                    "is not an object"
                };
                let check = if d.get() == "null" {
                    Check::FisMissing
                } else {
                    Check::FisBadValue
                };
                self.finding(check, buf, base, at, format!("{ppath}: {what}"));
                return;
            }
        };
        let kind = doc_type.clone().or_else(|| infer_type(text));
        let place = Place {
            base: buf,
            base_offset: base,
            doc_at: at,
            path: ppath,
        };
        self.payload(kind.as_deref(), text, &place, &dot("docType"))
    }

    fn status(&mut self, status: &str, buf: &[u8], base: usize, at: usize, path: &str) {
        if status.eq_ignore_ascii_case("READY") || status.eq_ignore_ascii_case("ACKNOWLEDGED") {
            return; // the usual case, without an uppercase copy per document
        }
        let upper = status.to_ascii_uppercase();
        let (sev, what) = match upper.as_str() {
            "READY" | "ACKNOWLEDGED" => return,
            "POSTING_CONFIRMED_SUCCESS" | "PAYMENT_CONFIRMED_SUCCESS" | "PAID" => (
                Severity::Warning,
                "Concur records it as posted already: check it is not posted twice (the posting ledger catches a journal posted from this machine)",
            ),
            "RECALLED"
            | "VOID"
            | "CANCEL"
            | "PAYMENT_CONFIRMED_REVERSED"
            | "PAYMENT_CONFIRMED_OBSOLETE" => (
                Severity::Warning,
                "it was recalled or cancelled in Concur: it may have changed since",
            ),
            "POSTING_CONFIRMED_FAILURE" => (
                Severity::Warning,
                "its posting failed: the report goes back to its processor and returns as a new document",
            ),
            "DELAYED" | "PENDING_SYSTEM_REFRESH" | "FLAG_DUPLICATE" => (
                Severity::Info,
                "a status Concur documents without saying what follows",
            ),
            _ => (
                Severity::Info,
                "a status Ledgerline does not know; read as READY",
            ),
        };
        let pos = self.lines.position(buf, base, at);
        self.findings.push(
            Finding::new(
                Family::Fis,
                Check::FisStatus,
                self.name,
                format!("{path}: `{status}`: {what}"),
            )
            .at(pos)
            .severity(sev),
        );
    }

    /// A document read in one pass ([`FastDoc`]); false (nothing done) for anything the
    /// careful path must look at: a canonical line, no payload at all.
    fn fast(&mut self, d: &FastDoc<'_>, buf: &[u8], base: usize, at: usize, path: String) -> bool {
        if d.journal_id.is_some() {
            return false;
        }
        let (payload, ppath) = match &d.document {
            Some(p) => (
                p,
                if path.is_empty() {
                    (if d.blob { "documentBlob" } else { "document" }).to_owned()
                } else {
                    format!(
                        "{path}.{}",
                        if d.blob { "documentBlob" } else { "document" }
                    )
                },
            ),
            None if d.bare.kind().is_some() => (&d.bare, path.clone()),
            None => return false,
        };
        let dot = |k: &str| {
            if path.is_empty() {
                k.to_owned()
            } else {
                format!("{path}.{k}")
            }
        };
        self.documents += 1;
        if let Ok(Some(id)) = json::text(d.id)
            && !self.seen_documents.insert(id.to_string())
        {
            self.finding(
                Check::FisDuplicate,
                buf,
                base,
                at,
                format!(
                    "{}: document `{id}` is in this input already; not converted again",
                    dot("id")
                ),
            );
            return true;
        }
        if let Ok(Some(status)) = json::text(d.doc_status) {
            self.status(&status, buf, base, at, &dot("docStatus"));
        }
        let doc_type = json::text(d.doc_type)
            .ok()
            .flatten()
            .map(|t| t.to_ascii_lowercase());
        let kind = doc_type.or_else(|| payload.kind().map(str::to_owned));
        let place = Place {
            base: buf,
            base_offset: base,
            doc_at: at,
            path: ppath,
        };
        self.map_payload(
            kind.as_deref(),
            Parsed::Fast(payload),
            &place,
            &dot("docType"),
        );
        true
    }

    /// The rows of a payload already read.
    fn map_payload(
        &mut self,
        kind: Option<&str>,
        p: Parsed<'_, '_>,
        place: &Place<'_>,
        type_path: &str,
    ) {
        let rules = self.opts.rules.clone();
        let buf = place.base;
        let base = place.base_offset;
        let at = place.doc_at;
        let mapped = match (kind, p) {
            (Some("expense"), Parsed::Fast(p)) => map::expense(&p.expense, place, &rules),
            (Some("expense"), Parsed::Expense(e)) => map::expense(e, place, &rules),
            (Some("cashadvance"), Parsed::Fast(p)) => {
                let journal = ca_journal(&p.cash, place);
                map::cash_advance(
                    p.cash.employee.as_ref(),
                    p.cash.data.as_ref(),
                    &journal,
                    place,
                )
            }
            (Some("cashadvance"), Parsed::Cash(c)) => {
                let journal = ca_journal(c, place);
                map::cash_advance(c.employee.as_ref(), c.data.as_ref(), &journal, place)
            }
            (Some("invoice"), Parsed::Fast(p)) => crate::invoice::invoice(&p.invoice, place),
            (Some("invoice"), Parsed::Invoice(i)) => crate::invoice::invoice(i, place),
            (Some(other), _) if !["expense", "cashadvance", "invoice"].contains(&other) => {
                self.finding(
                    Check::FisDocType,
                    buf,
                    base,
                    at,
                    format!("{type_path}: `{other}` documents carry no expense, invoice or cash-advance postings; not converted"),
                );
                return;
            }
            (Some(_), _) => return,
            (None, _) => {
                self.finding(
                    Check::FisMissing,
                    buf,
                    base,
                    at,
                    format!("{type_path}: missing, and the document is neither an expense, an invoice nor a cash advance by its keys"),
                );
                return;
            }
        };
        self.feed(mapped, buf, base)
    }

    /// The payload of `text` read as a document of `kind`, then mapped.
    fn payload(&mut self, kind: Option<&str>, text: &str, place: &Place<'_>, type_path: &str) {
        match kind {
            Some("expense") => match serde_json::from_str::<Expense<'_>>(text) {
                Ok(doc) => self.map_payload(kind, Parsed::Expense(&doc), place, type_path),
                Err(e) => self.bad_payload(place, text, &e),
            },
            Some("cashadvance") => match serde_json::from_str::<CashAdvance<'_>>(text) {
                Ok(doc) => self.map_payload(kind, Parsed::Cash(&doc), place, type_path),
                Err(e) => self.bad_payload(place, text, &e),
            },
            Some("invoice") => match serde_json::from_str::<Invoice<'_>>(text) {
                Ok(doc) => self.map_payload(kind, Parsed::Invoice(&doc), place, type_path),
                Err(e) => self.bad_payload(place, text, &e),
            },
            _ => self.map_payload(kind, Parsed::None, place, type_path),
        }
    }

    fn bad_payload(&mut self, place: &Place<'_>, text: &str, e: &serde_json::Error) {
        let path = crate::paths::first_mismatch(text)
            .map(|p| format!("{}{p}", place.path))
            .unwrap_or_else(|| place.path.clone());
        self.finding(
            Check::FisBadValue,
            place.base,
            place.base_offset,
            place.doc_at,
            format!(
                "{path}: {}; the document is not converted",
                strip_position(&e.to_string())
            ),
        );
    }

    /// The rows of a document to the builder, and what they finish to the sink.
    fn feed(&mut self, mut mapped: Mapped<'_>, buf: &[u8], base: usize) {
        let report = mapped
            .lines
            .first()
            .map(|l| {
                l.cols
                    .get(ledgerline_extract::schema::SaeCol::ReportID)
                    .to_owned()
            })
            .filter(|r| !r.is_empty());
        if let Some(r) = report
            && !self.seen_reports.insert(r.clone())
        {
            let why = format!(
                "report {r} is in this input already, in another document (a page saved twice, or the report re-queued after a failed posting): convert them apart"
            );
            let at = mapped.lines[0].at;
            self.finding(Check::FisDuplicate, buf, base, at, why.clone());
            mapped.held.get_or_insert(why);
        }
        for p in &mapped.problems {
            self.finding(p.check, buf, base, p.at, p.message.clone());
        }
        let header = self.batch.headers.len();
        self.batch.headers.push(mapped.header.take());
        let held = mapped.held.as_deref();
        self.batch.layers.begin_document();
        for line in &mapped.lines {
            let pos = self.lines.position(buf, base, line.at);
            self.rows += 1;
            let rejected = line
                .rejected
                .clone()
                .or_else(|| held.map(|h| format!("the document is held back: {h}")));
            let row = self.batch.layers.push(&line.cols);
            self.batch.rows.push(Meta {
                row,
                pos,
                own_error: line.rejected.is_some(),
                rejected,
                header,
            });
        }
        if self.batch.rows.len() >= BATCH_ROWS {
            self.send();
        }
    }

    /// Hands the rows so far to the building stage.
    fn send(&mut self) {
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
/// A payload read, by the fast path (every type's keys) or the careful one (its type's).
enum Parsed<'p, 'a> {
    Fast(&'p Payload<'a>),
    Expense(&'p Expense<'a>),
    Cash(&'p CashAdvance<'a>),
    Invoice(&'p Invoice<'a>),
    None,
}

/// The payload of a document: its `document` field, or the value itself.
enum DocRef<'a> {
    Field(&'a RawValue),
    Bare,
}

/// The `journalData` lines of a cash advance (a list, or one object).
fn ca_journal<'a>(
    doc: &CashAdvance<'a>,
    place: &Place<'_>,
) -> Vec<(usize, &'a RawValue, Result<CaJournal<'a>, String>)> {
    let Some(raw) = doc.journal else {
        return Vec::new();
    };
    let items: Vec<&'a RawValue> = if raw.get().starts_with('[') {
        serde_json::from_str(raw.get()).unwrap_or_default()
    } else if raw.get().starts_with('{') {
        vec![raw]
    } else {
        Vec::new()
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let j = serde_json::from_str::<CaJournal<'a>>(r.get()).map_err(|e| {
                format!(
                    "{}.journalData[{i}]: {}",
                    place.path,
                    strip_position(&e.to_string())
                )
            });
            (i, r, j)
        })
        .collect()
}

/// The document type from the payload's keys, when `docType` is missing.
fn infer_type(text: &str) -> Option<String> {
    #[derive(Default)]
    struct Keys {
        expense: bool,
        cash: bool,
        invoice: bool,
    }
    impl<'de> Fill<'de> for Keys {
        fn fill<A: serde::de::MapAccess<'de>>(
            &mut self,
            key: &str,
            map: &mut A,
        ) -> Result<(), A::Error> {
            match key {
                "report" | "expenseEntry" => self.expense = true,
                "cashAdvanceData" | "journalData" => self.cash = true,
                "requestHeader" | "lineItem" => self.invoice = true,
                _ => {}
            }
            json::skip(map)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let k: Keys = json::object(&mut de).ok()?;
    if k.expense {
        Some("expense".into())
    } else if k.cash {
        Some("cashadvance".into())
    } else if k.invoice {
        Some("invoice".into())
    } else {
        None
    }
}

/// Whether a syntax error is at the very end of the bytes buffered (a number or literal cut
/// by the chunk boundary: serde_json calls `12.` an invalid number, not an early end).
fn at_end(buf: &[u8], e: &serde_json::Error) -> bool {
    let mut line_start = 0usize;
    let mut line = 1usize;
    if e.line() > 1 {
        for (i, b) in buf.iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                if line == e.line() {
                    line_start = i + 1;
                    break;
                }
            }
        }
    }
    line_start + e.column() + 1 >= buf.len()
}

/// The window's bytes as text, when they are UTF-8 (but for a character cut by the
/// window's end): validated once, with SIMD, so the JSON parser reads a `str` and does not
/// check each string it meets again. `None` for bytes that are not UTF-8: the byte
/// parser then reads them, and says where the bad byte is.
fn utf8_prefix(buf: &[u8]) -> Option<&str> {
    match simdutf8::compat::from_utf8(buf) {
        Ok(t) => Some(t),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&buf[..e.valid_up_to()]).ok(),
        Err(_) => None,
    }
}

/// The next value of `rest` read by the fast path, and the bytes it took: from `text`
/// (the same bytes, known to be UTF-8, or a prefix of them cut before a partial
/// character) when there is one.
fn next_fast<'b>(
    rest: &'b [u8],
    text: Option<&'b str>,
) -> (Option<serde_json::Result<FastDoc<'b>>>, usize) {
    match text {
        Some(t) => {
            let mut values = serde_json::Deserializer::from_str(t).into_iter::<FastDoc<'b>>();
            let next = values.next();
            (next, values.byte_offset())
        }
        None => {
            let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<FastDoc<'b>>();
            let next = values.next();
            (next, values.byte_offset())
        }
    }
}

/// Offset of `raw` in `buf` (0 when it is not in it).
fn offset_in(buf: &[u8], raw: &RawValue) -> usize {
    let p = raw.get().as_ptr() as usize;
    let b = buf.as_ptr() as usize;
    if p >= b && p <= b + buf.len() {
        p - b
    } else {
        0
    }
}

fn clip(s: &str) -> String {
    let t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        format!("{t}...")
    } else {
        t
    }
}

/// A serde message without its " at line L column C" (positions are the finding's).
fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

fn drain(
    builder: &mut Builder,
    sink: &mut dyn Sink,
    journals: &mut u64,
    lines: &mut u64,
    rejected: &mut u64,
) -> std::io::Result<()> {
    while let Some(b) = builder.pop() {
        if let Some(j) = b.journal {
            *journals += 1;
            *lines += j.lines.len() as u64;
            sink.write_journal(&j)?;
        }
        for r in &b.rejections {
            *rejected += 1;
            sink.reject(r)?;
        }
    }
    Ok(())
}

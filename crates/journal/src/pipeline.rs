//! One streaming pass over an input: read, validate, classify, build, hand to a sink.
//!
//! Validation and conversion share the pass, so a file is read once. Rows with error-level
//! findings never reach a journal: the whole report they belong to goes to the rejection
//! list instead (a partial report is never posted). Whether a run with errors may write its
//! output at all is the caller's decision (`convert` refuses unless `--force`).

use crate::build::{Builder, Outcome, Rejection};
use crate::classify::ClassifyError;
use crate::model::Journal;
use crate::rules::Rules;
use crate::sources::{RowContext, RowError, RowSource};
use ledgerline_extract::Position;
use ledgerline_extract::batch::BatchRow;
use ledgerline_extract::reader::{ExtractKind, ExtractReader, ReaderOptions};
use ledgerline_extract::sae::{Header, PraeRow, SaeRow};
use ledgerline_extract::split::{FieldSpan, LineFlags, Record};
use ledgerline_extract::validate::{FileReport, FileValidator, RowVerdict, read_error_finding};
use ledgerline_findings::{Check, Family, Finding, Findings};
use std::io::Read;
use std::sync::Arc;

/// Where journals (and rejected lines) go.
pub trait Sink {
    /// Writes one balanced journal.
    fn write_journal(&mut self, journal: &Journal) -> std::io::Result<()>;
    /// Records a line that went to the rejection report instead of a journal.
    fn reject(&mut self, _rejection: &Rejection) -> std::io::Result<()> {
        Ok(())
    }
    /// Called once after the last input.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A sink that keeps everything in memory (tests, small inputs, `inspect`).
#[derive(Debug, Default, Clone)]
pub struct Collect {
    /// Journals written.
    pub journals: Vec<Journal>,
    /// Rejected or skipped lines.
    pub rejections: Vec<Rejection>,
}

impl Sink for Collect {
    fn write_journal(&mut self, journal: &Journal) -> std::io::Result<()> {
        self.journals.push(journal.clone());
        Ok(())
    }
    fn reject(&mut self, r: &Rejection) -> std::io::Result<()> {
        self.rejections.push(r.clone());
        Ok(())
    }
}

/// A sink that discards journals (`validate`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl Sink for Discard {
    fn write_journal(&mut self, _journal: &Journal) -> std::io::Result<()> {
        Ok(())
    }
}

/// Options of a conversion.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// The rules.
    pub rules: Arc<Rules>,
    /// Findings listed per input (all are counted).
    pub max_findings: usize,
    /// Threads that split, check and classify SAE and PRAE blocks in the data-parallel
    /// pass (`parallel.rs`); 0 (the default) keeps the two-thread streaming pass,
    /// which measured as fast or faster on two cores. The output is the same either way and
    /// for every count.
    pub threads: usize,
    /// Bytes of whole lines per block a thread takes at a time (0: 1 MiB). The output is
    /// the same for every size; small blocks only cost more hand-overs.
    pub block_bytes: usize,
}

impl ConvertOptions {
    /// Options with `rules` and the default finding limit.
    pub fn new(rules: Arc<Rules>) -> Self {
        ConvertOptions {
            rules,
            max_findings: 1000,
            threads: 0,
            block_bytes: 0,
        }
    }

    fn reader(&self) -> ReaderOptions {
        let batch = self.rules.batch.clone();
        let force_batch = batch != Default::default();
        ReaderOptions { batch, force_batch }
    }
}

/// What one input gave.
#[derive(Debug)]
pub struct StreamReport {
    /// Validation findings, including the journal findings (`JNL...`).
    pub validation: FileReport,
    /// Journals written.
    pub journals: u64,
    /// Journal lines written.
    pub lines: u64,
    /// Lines sent to the rejection report.
    pub rejected: u64,
}

/// Rows handed from the reading stage to the building stage, in bulk.
struct Batch {
    data: Vec<u8>,
    spans: Vec<FieldSpan>,
    rows: Vec<Meta>,
    header: Option<Header>,
    /// Input bytes consumed when the batch was sent (for progress).
    offset: u64,
}

struct Meta {
    data: (usize, usize),
    spans: (usize, usize),
    pos: ledgerline_extract::Position,
    flags: LineFlags,
    verdict: RowVerdict,
}

const BATCH_ROWS: usize = 256;

impl Batch {
    fn new() -> Self {
        Batch {
            data: Vec::with_capacity(BATCH_ROWS * 1024),
            spans: Vec::with_capacity(BATCH_ROWS * 400),
            rows: Vec::with_capacity(BATCH_ROWS),
            header: None,
            offset: 0,
        }
    }

    fn push(&mut self, rec: &Record<'_>, verdict: RowVerdict) {
        let d0 = self.data.len();
        self.data.extend_from_slice(rec.raw());
        let s0 = self.spans.len();
        self.spans.extend_from_slice(rec.spans());
        self.rows.push(Meta {
            data: (d0, self.data.len()),
            spans: (s0, self.spans.len()),
            pos: rec.position(),
            flags: rec.flags(),
            verdict,
        });
    }

    fn clear(&mut self) {
        self.data.clear();
        self.spans.clear();
        self.rows.clear();
        self.header = None;
    }
}

/// Converts one input. I/O errors of the sink end the run (`Err`); everything wrong with
/// the input is a finding in the report.
///
/// Two stages run on two threads: this thread reads, splits and validates; a second one
/// classifies, builds journals and writes them. Rows travel between them in bounded
/// batches, so memory stays bounded and the order of rows is kept.
pub fn convert_reader<R: Read + Send>(
    name: &str,
    input: R,
    opts: &ConvertOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<StreamReport> {
    let mut report = StreamReport {
        validation: FileReport {
            file: name.to_owned(),
            kind: None,
            rows: 0,
            reports: 0,
            bytes: 0,
            findings: Findings::with_limit(opts.max_findings),
        },
        journals: 0,
        lines: 0,
        rejected: 0,
    };
    let reader = match ExtractReader::with_options(name, input, &opts.reader()) {
        Ok(r) => r,
        Err(e) => {
            report
                .validation
                .findings
                .push(read_error_finding(name, &e, None));
            return Ok(report);
        }
    };
    let kind = reader.kind().clone();
    if opts.threads > 0 && matches!(kind, ExtractKind::Sae { .. } | ExtractKind::Prae) {
        let built = crate::parallel::convert_blocks(name, reader, &kind, opts, sink, progress)?;
        report.journals = built.journals;
        report.lines = built.lines;
        report.rejected = built.rejected;
        report.validation = built.validation;
        return Ok(report);
    }
    let (to_build, from_read) = std::sync::mpsc::sync_channel::<Batch>(4);
    let (recycle, recycled) = std::sync::mpsc::channel::<Batch>();
    let max_findings = opts.max_findings;
    let (validation, built) = std::thread::scope(|scope| {
        let kind = &kind;
        let read =
            scope.spawn(move || read_stage(name, reader, kind, max_findings, to_build, recycled));
        let built = build_stage(name, kind, opts, from_read, recycle, sink, progress);
        // The reading stage ends on its own: at the end of input, or when the building
        // stage has stopped taking batches.
        let validation = read.join();
        (validation, built)
    });
    let validation =
        validation.map_err(|_| std::io::Error::other("the reading stage failed unexpectedly"))?;
    let built = built?;
    progress(validation.bytes);
    report.journals = built.journals;
    report.lines = built.lines;
    report.rejected = built.rejected;
    let mut validation = validation;
    validation.findings.absorb(built.findings);
    report.validation = validation;
    Ok(report)
}

/// Reads, splits and validates; hands detail rows to the building stage in batches.
fn read_stage<R: Read>(
    name: &str,
    mut reader: ExtractReader<R>,
    kind: &ExtractKind,
    max_findings: usize,
    to_build: std::sync::mpsc::SyncSender<Batch>,
    recycled: std::sync::mpsc::Receiver<Batch>,
) -> FileReport {
    let mut validator = FileValidator::new(name, kind, max_findings);
    let mut batch = Batch::new();
    let mut stopped = false;
    loop {
        let at = reader.offset();
        let rec = match reader.next_record() {
            Ok(Some(rec)) => rec,
            Ok(None) => break,
            Err(e) => {
                validator.read_error(&e, at);
                break;
            }
        };
        let verdict = validator.record(&rec);
        if !verdict.detail {
            continue;
        }
        batch.push(&rec, verdict);
        if batch.rows.len() >= BATCH_ROWS {
            batch.header = validator.header().cloned();
            batch.offset = reader.offset();
            let next = recycled.try_recv().unwrap_or_else(|_| Batch::new());
            if to_build.send(std::mem::replace(&mut batch, next)).is_err() {
                stopped = true; // the building stage stopped (its error is reported)
                break;
            }
        }
    }
    if !stopped && !batch.rows.is_empty() {
        batch.header = validator.header().cloned();
        batch.offset = reader.offset();
        let _ = to_build.send(batch);
    }
    validator.finish(reader.offset())
}

pub(crate) struct BuiltStage {
    pub(crate) findings: Findings,
    pub(crate) journals: u64,
    pub(crate) lines: u64,
    pub(crate) rejected: u64,
}

fn build_stage(
    name: &str,
    kind: &ExtractKind,
    opts: &ConvertOptions,
    batches: std::sync::mpsc::Receiver<Batch>,
    recycle: std::sync::mpsc::Sender<Batch>,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<BuiltStage> {
    let rules = &opts.rules;
    let mut stage = Stage::new(name, opts, sink);
    let layout = match kind {
        ExtractKind::PaymentBatch(l) => Some(l.as_ref().clone()),
        _ => None,
    };
    for mut batch in batches {
        progress(batch.offset);
        let ctx = RowContext {
            rules,
            header: batch.header.as_ref(),
        };
        for m in &batch.rows {
            let spans = &batch.spans[m.spans.0..m.spans.1];
            warm(spans);
            let rec = Record::new(&batch.data[m.data.0..m.data.1], spans, m.pos, m.flags);
            // Each file kind only wraps the record in its row type; the rest is one path.
            match kind {
                ExtractKind::Sae { .. } => {
                    stage.row(&SaeRow::new(rec), &m.verdict, m.pos, None, &ctx)?
                }
                ExtractKind::Prae => {
                    stage.row(&PraeRow::new(rec), &m.verdict, m.pos, None, &ctx)?
                }
                ExtractKind::PaymentBatch(_) => {
                    let Some(layout) = &layout else { continue };
                    stage.row(&BatchRow::new(rec, layout), &m.verdict, m.pos, None, &ctx)?
                }
                ExtractKind::Attendee | ExtractKind::Empty => continue,
            }
        }
        batch.clear();
        let _ = recycle.send(batch);
    }
    stage.finish()
}

/// The building stage's state: the builder, the journal findings so far, and the sink.
pub(crate) struct Stage<'s> {
    name: &'s str,
    findings: Findings,
    builder: Builder,
    unknown_types: UnknownPaymentTypes,
    out: BuiltStage,
    sink: &'s mut dyn Sink,
}

impl<'s> Stage<'s> {
    pub(crate) fn new(name: &'s str, opts: &ConvertOptions, sink: &'s mut dyn Sink) -> Self {
        Stage {
            name,
            findings: Findings::with_limit(opts.max_findings),
            builder: Builder::new(opts.rules.clone(), name),
            unknown_types: UnknownPaymentTypes::default(),
            out: BuiltStage {
                findings: Findings::with_limit(0),
                journals: 0,
                lines: 0,
                rejected: 0,
            },
            sink,
        }
    }

    /// Finishes the open journals and writes them; the journal findings and counts.
    pub(crate) fn finish(self) -> std::io::Result<BuiltStage> {
        let Stage {
            name,
            mut findings,
            mut builder,
            unknown_types,
            mut out,
            sink,
        } = self;
        builder.finish(&mut findings);
        if let Some(f) = unknown_types.finding(name) {
            findings.push(f);
        }
        drain(&mut builder, sink, &mut out)?;
        out.findings = findings;
        Ok(out)
    }

    /// Classifies one detail row, whatever its file kind, adds it to its journal and writes
    /// what that finished. Generic, so each kind's path is compiled on its own (no dynamic
    /// dispatch and no allocation per row). `ready` is the row's outcome when it was
    /// classified ahead (on another thread, with the same header).
    pub(crate) fn row<'a, S: RowSource<'a>>(
        &mut self,
        row: &S,
        verdict: &RowVerdict,
        pos: Position,
        ready: Option<Result<Outcome, RowError>>,
        ctx: &RowContext<'_>,
    ) -> std::io::Result<()> {
        let mut facts = row.facts(ctx);
        facts.group_seen = verdict.group_seen;
        let outcome = if verdict.well_formed {
            ready.unwrap_or_else(|| row.outcome(ctx))
        } else {
            Err(RowError::Malformed)
        };
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                if let RowError::Classify(ClassifyError::UnknownPaymentType {
                    column, name, ..
                }) = &e
                {
                    self.unknown_types.note(name, *column, pos.line);
                }
                // A row with its own validation error has its finding already (and that
                // error is the reason it is rejected).
                if verdict.error.is_none() {
                    self.findings.push(
                        Finding::new(
                            Family::Journal,
                            Check::Unclassified,
                            self.name,
                            e.to_string(),
                        )
                        .at(pos),
                    );
                }
                Outcome::Failed(e)
            }
        };
        if let Outcome::Skipped(why) = &outcome {
            self.findings.push(
                Finding::new(
                    Family::Journal,
                    Check::NotPosted,
                    self.name,
                    format!("not posted: {why}"),
                )
                .at(pos),
            );
        }
        self.builder
            .add(facts, outcome, verdict.error.clone(), &mut self.findings);
        drain(&mut self.builder, self.sink, &mut self.out)
    }
}

/// Every payment-type name of a file the rules do not know, for one finding that lists them
/// all with a `[payment_types]` section to paste (each line's own JNL201 says where).
#[derive(Default)]
struct UnknownPaymentTypes {
    /// Name -> (lines, first line, column).
    names: std::collections::BTreeMap<String, (u64, u64, u16)>,
}

impl UnknownPaymentTypes {
    fn note(&mut self, name: &str, column: u16, line: u64) {
        let e = self
            .names
            .entry(name.to_owned())
            .or_insert((0, line, column));
        e.0 += 1;
    }

    fn finding(&self, file: &str) -> Option<Finding> {
        if self.names.is_empty() {
            return None;
        }
        let listed: Vec<String> = self
            .names
            .iter()
            .map(|(n, (count, first, col))| {
                format!("`{n}` ({count} line(s), first at line {first}, column {col})")
            })
            .collect();
        let paste: Vec<String> = self
            .names
            .keys()
            .map(|n| {
                format!(
                    "\"{}\" = \"{}\"   # a guess from the name: check it",
                    n.replace('\\', "\\\\").replace('"', "\\\""),
                    crate::rules::guess_role(n)
                )
            })
            .collect();
        Some(Finding::new(
            Family::Journal,
            Check::UnknownPaymentTypes,
            file,
            format!(
                "{} payment type(s) the rules do not know (each line is a JNL201 error): {}. Add to the rules file, with the right role for each (company, employee, card:<program>, company_paid):\n[payment_types]\n{}",
                self.names.len(),
                listed.join(", "),
                paste.join("\n")
            ),
        ))
    }
}

fn drain(
    builder: &mut Builder,
    sink: &mut dyn Sink,
    report: &mut BuiltStage,
) -> std::io::Result<()> {
    while let Some(b) = builder.pop() {
        if let Some(j) = b.journal {
            report.journals += 1;
            report.lines += j.lines.len() as u64;
            sink.write_journal(&j)?;
        }
        for r in &b.rejections {
            report.rejected += 1;
            sink.reject(r)?;
        }
    }
    Ok(())
}

/// Reads one span per cache line of a row's spans, in order, before the row is used.
///
/// The spans were written by the reading stage on the other core. Classification then reads
/// a score of columns in no particular order, and each read of a span that is still in the
/// other core's cache stalled the building stage (13% of a `convert` profile). A sweep in
/// address order lets the hardware prefetcher stream the lines instead: `convert --to jsonl`
/// over 1 GB went from 3.0-3.1 s to 2.9 s with this alone.
#[inline]
fn warm(spans: &[FieldSpan]) {
    // 16 packed spans of 4 bytes fill one 64-byte cache line.
    for s in spans.iter().step_by(16) {
        std::hint::black_box(*s);
    }
}

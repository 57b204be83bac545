//! One streaming pass over an input: read, validate, classify, build, hand to a sink.
//!
//! Validation and conversion share the pass, so a file is read once. Rows with error-level
//! findings never reach a journal: the whole report they belong to goes to the rejection
//! list instead (a partial report is never posted). Whether a run with errors may write its
//! output at all is the caller's decision (`convert` refuses unless `--force`).

use crate::build::{Builder, Outcome, Rejection, RowFacts};
use crate::model::Journal;
use crate::rules::Rules;
use crate::sources;
use ledgerline_extract::batch::BatchRow;
use ledgerline_extract::finding::{Check, Family, Finding};
use ledgerline_extract::reader::{ExtractKind, ExtractReader, ReaderOptions};
use ledgerline_extract::sae::{PraeRow, SaeRow};
use ledgerline_extract::validate::{FileReport, FileValidator, read_error_finding};
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
}

impl ConvertOptions {
    /// Options with `rules` and the default finding limit.
    pub fn new(rules: Arc<Rules>) -> Self {
        ConvertOptions {
            rules,
            max_findings: 1000,
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

/// Converts one input. I/O errors of the sink end the run (`Err`); everything wrong with
/// the input is a finding in the report.
pub fn convert_reader<R: Read>(
    name: &str,
    input: R,
    opts: &ConvertOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<StreamReport> {
    let rules = &opts.rules;
    let mut report = StreamReport {
        validation: FileReport {
            file: name.to_owned(),
            kind: None,
            rows: 0,
            reports: 0,
            bytes: 0,
            findings: ledgerline_extract::finding::Findings::with_limit(opts.max_findings),
        },
        journals: 0,
        lines: 0,
        rejected: 0,
    };
    let mut reader = match ExtractReader::with_options(name, input, &opts.reader()) {
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
    let mut validator = FileValidator::new(name, &kind, opts.max_findings);
    let mut builder = Builder::new(rules.clone(), name);
    let layout = match &kind {
        ExtractKind::PaymentBatch(l) => Some(l.as_ref().clone()),
        _ => None,
    };
    let mut n = 0u64;
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
        n += 1;
        if n.is_multiple_of(4096) {
            progress(at);
        }
        let verdict = validator.record(&rec);
        if !verdict.detail {
            continue;
        }
        let pos = rec.position();
        let (facts, outcome) = match &kind {
            ExtractKind::Sae { .. } => {
                let row = SaeRow::new(rec);
                let facts = sources::sae_facts(&row);
                let outcome = if verdict.well_formed {
                    sources::sae_outcome(&row, rules)
                } else {
                    Err(verdict
                        .error
                        .clone()
                        .unwrap_or_else(|| "the row is malformed".into()))
                };
                (facts, outcome)
            }
            ExtractKind::Prae => {
                let row = PraeRow::new(rec);
                let facts = sources::prae_facts(&row, validator.header());
                let outcome = if verdict.well_formed {
                    sources::prae_outcome(&row, rules)
                } else {
                    Err(verdict
                        .error
                        .clone()
                        .unwrap_or_else(|| "the row is malformed".into()))
                };
                (facts, outcome)
            }
            ExtractKind::PaymentBatch(_) => {
                let Some(layout) = &layout else { continue };
                let row = BatchRow::new(rec, layout);
                let facts = sources::batch_facts(&row, rules);
                let outcome = if verdict.well_formed {
                    sources::batch_outcome(&row, rules)
                } else {
                    Err(verdict
                        .error
                        .clone()
                        .unwrap_or_else(|| "the row is malformed".into()))
                };
                (facts, outcome)
            }
            ExtractKind::Attendee | ExtractKind::Empty => continue,
        };
        let outcome = match outcome {
            Ok(o) => o,
            Err(why) => {
                if verdict.error.is_none() {
                    validator.findings().push(
                        Finding::new(Family::Journal, Check::Unclassified, name, why.clone())
                            .at(pos),
                    );
                }
                Outcome::Failed(why)
            }
        };
        if let Outcome::Skipped(why) = &outcome {
            validator.findings().push(
                Finding::new(
                    Family::Journal,
                    Check::NotPosted,
                    name,
                    format!("not posted: {why}"),
                )
                .at(pos),
            );
        }
        add(
            &mut builder,
            facts,
            outcome,
            verdict.error,
            &mut validator,
            sink,
            &mut report,
        )?;
    }
    builder.finish(validator.findings());
    drain(&mut builder, sink, &mut report)?;
    progress(reader.offset());
    report.validation = validator.finish(reader.offset());
    Ok(report)
}

fn add(
    builder: &mut Builder,
    facts: RowFacts,
    outcome: Outcome,
    rejected: Option<String>,
    validator: &mut FileValidator,
    sink: &mut dyn Sink,
    report: &mut StreamReport,
) -> std::io::Result<()> {
    builder.add(facts, outcome, rejected, validator.findings());
    drain(builder, sink, report)
}

fn drain(
    builder: &mut Builder,
    sink: &mut dyn Sink,
    report: &mut StreamReport,
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

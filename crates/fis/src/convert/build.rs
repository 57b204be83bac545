//! The building stage: each row of a batch encoded as its SAE (or PRAE) line, classified
//! and added to the journal builder; finished journals and rejections to the sink.

use super::Batch;
use ledgerline_findings::{Check, Family, Finding, Findings};
use ledgerline_journal::build::{Builder, Outcome};
use ledgerline_journal::classify::ClassifyError;
use ledgerline_journal::pipeline::{ConvertOptions, Sink};
use ledgerline_journal::sources::{RowContext, RowError, RowSource};

pub(super) struct Built {
    pub(super) findings: Findings,
    pub(super) journals: u64,
    pub(super) lines: u64,
    pub(super) rejected: u64,
}

pub(super) fn build_stage(
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

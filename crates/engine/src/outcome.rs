//! What a conversion run decides once every input is read: whether its journals may be
//! written at all ([`Refusal`]), whether there is anything new to write, and the counts its
//! summary gives ([`Tally`]). `convert` and `fetch --convert` ([`crate::convert_file`]) both
//! decide through these, so the two cannot drift apart.

use crate::Run;
use ledgerline_extract::validate::FileReport;
use ledgerline_findings::Check;
use ledgerline_journal::Journal;
use ledgerline_journal::build::{Rejection, RejectionStatus};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::rules::PLACEHOLDER_ACCOUNTS;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Why a run's journals are not written.
#[derive(Debug)]
pub enum Refusal<'r> {
    /// An input could not be opened or read at all.
    CouldNotRun,
    /// Error-level findings, and no `--force`.
    Errors,
    /// Files whose own header does not match their content (cut short, joined, damaged):
    /// no report in them can be trusted, so `--force` does not post the rest of them.
    Damaged(Vec<&'r FileReport>),
}

impl Run {
    /// Whether the journals of this run may be written: `None` when they may. With `force`,
    /// error-level findings reject the reports they concern (already done by the pipeline)
    /// instead of refusing the run, except for a damaged file.
    pub fn refusal(&self, force: bool) -> Option<Refusal<'_>> {
        if self.could_not_run {
            return Some(Refusal::CouldNotRun);
        }
        if self.errors() == 0 {
            return None;
        }
        let damaged: Vec<&FileReport> = self
            .reports
            .iter()
            .filter(|r| !r.findings.untrustworthy().is_empty())
            .collect();
        if !force {
            Some(Refusal::Errors)
        } else if !damaged.is_empty() {
            Some(Refusal::Damaged(damaged))
        } else {
            None
        }
    }
}

/// Debits and credits written in one currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// Journals.
    pub journals: u64,
    /// Sum of the debits.
    pub debit: Decimal,
    /// Sum of the credits.
    pub credit: Decimal,
}

/// What went past the output while a run was written: totals per currency, lines posted to
/// the built-in placeholder accounts, and every line that went to the rejection report.
/// The counts are kept as the lines come ([`Tally::reject`]), not derived again per question.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Per currency code, what was written.
    pub currencies: BTreeMap<String, CurrencyTotal>,
    /// Lines posted to each placeholder account (`EMPLOYEE_PAYABLE` ...).
    pub placeholders: BTreeMap<&'static str, u64>,
    /// Lines not posted, in the order they came.
    rejections: Vec<Rejection>,
    posted_before: u64,
    rejected: u64,
}

impl Tally {
    /// Counts `j` as written.
    pub fn journal(&mut self, j: &Journal) {
        let t = self.currencies.entry(j.currency.clone()).or_default();
        t.journals += 1;
        t.debit += j.total_debit();
        t.credit += j.total_credit();
        for l in &j.lines {
            if let Some(p) = PLACEHOLDER_ACCOUNTS.iter().find(|p| **p == l.account) {
                *self.placeholders.entry(p).or_insert(0) += 1;
            }
        }
    }

    /// Keeps `r` and counts it. The lines of a journal held back by a guard come together
    /// (the gate sends them one after the other), so a journal posted before is counted at
    /// its first line.
    pub fn reject(&mut self, r: &Rejection) {
        let posted_before = |r: &Rejection| r.code.is_some_and(|c| c.check == Check::AlreadyPosted);
        let same_journal = self
            .rejections
            .last()
            .is_some_and(|l| posted_before(l) && l.journal_id == r.journal_id);
        if posted_before(r) && !same_journal {
            self.posted_before += 1;
        }
        if r.status == RejectionStatus::Rejected {
            self.rejected += 1;
        }
        self.rejections.push(r.clone());
    }

    /// The lines not posted, in the order they came.
    pub fn rejections(&self) -> &[Rejection] {
        &self.rejections
    }

    /// Journals left out because the ledger records them as posted before (`JNL208`).
    pub fn posted_before(&self) -> u64 {
        self.posted_before
    }

    /// Lines rejected (errors, or held back by a guard).
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// Lines deliberately not posted.
    pub fn skipped(&self) -> u64 {
        self.rejections.len() as u64 - self.rejected
    }

    /// Whether a run with a posting ledger has nothing to write: no journal is left once
    /// the ones posted before are taken out, and some were. Then no (empty) output is
    /// written; an extract with no journal at all still gives its (empty) file.
    pub fn nothing_new(&self, run: &Run) -> bool {
        run.journals == 0 && self.posted_before > 0
    }
}

/// A [`Sink`] that counts into a [`Tally`] what it passes on to the format writer (and keeps
/// the rejections, which the writer does not take).
pub struct Tee<'w> {
    writer: Box<dyn Sink + 'w>,
    /// What was written and rejected so far.
    pub tally: Tally,
}

impl<'w> Tee<'w> {
    /// Counts in front of `writer`.
    pub fn new(writer: Box<dyn Sink + 'w>) -> Self {
        Tee {
            writer,
            tally: Tally::default(),
        }
    }
}

impl Sink for Tee<'_> {
    fn write_journal(&mut self, j: &Journal) -> std::io::Result<()> {
        self.writer.write_journal(j)?;
        self.tally.journal(j);
        Ok(())
    }
    fn reject(&mut self, r: &Rejection) -> std::io::Result<()> {
        self.tally.reject(r);
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.writer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerline_findings::{Code, Family};

    fn rejection(journal: &str, status: RejectionStatus, code: Option<Check>) -> Rejection {
        Rejection {
            file: "f.txt".into(),
            line: 2,
            journal_id: journal.into(),
            status,
            reason: "why".into(),
            code: code.map(|check| Code {
                family: Family::Journal,
                check,
            }),
        }
    }

    #[test]
    fn journals_posted_before_are_told_by_their_code_not_their_reason_text() {
        // Two lines of one journal posted before, one line of another; a rejected line whose
        // reason merely mentions the code.
        let rejections = [
            rejection("A", RejectionStatus::Skipped, Some(Check::AlreadyPosted)),
            rejection("A", RejectionStatus::Skipped, Some(Check::AlreadyPosted)),
            rejection("B", RejectionStatus::Skipped, Some(Check::AlreadyPosted)),
            Rejection {
                reason: "JNL208 in the text only".into(),
                ..rejection("C", RejectionStatus::Rejected, None)
            },
        ];
        let mut t = Tally::default();
        rejections.iter().for_each(|r| t.reject(r));
        assert_eq!((t.posted_before(), t.rejected(), t.skipped()), (2, 1, 3));
        let mut run = Run::default();
        assert!(t.nothing_new(&run));
        run.journals = 1;
        assert!(!t.nothing_new(&run), "a journal is left to write");
        run.journals = 0;
        let mut none_posted = Tally::default();
        none_posted.reject(&rejections[3]);
        assert!(
            !none_posted.nothing_new(&run),
            "an extract with no journal posted before still gives its file"
        );
    }

    #[test]
    fn a_damaged_file_is_refused_even_with_force_and_errors_only_without() {
        let mut run = Run::default();
        assert!(run.refusal(false).is_none());
        let mut findings = ledgerline_findings::Findings::with_limit(10);
        findings.push(ledgerline_findings::Finding::new(
            Family::Sae,
            Check::BadDate,
            "f.txt",
            "bad",
        ));
        run.reports.push(FileReport {
            file: "f.txt".into(),
            kind: None,
            rows: 1,
            reports: 1,
            bytes: 1,
            findings: findings.clone(),
        });
        assert!(matches!(run.refusal(false), Some(Refusal::Errors)));
        assert!(
            run.refusal(true).is_none(),
            "--force rejects the report instead"
        );
        findings.push(ledgerline_findings::Finding::new(
            Family::Sae,
            Check::RecordCount,
            "f.txt",
            "count",
        ));
        run.reports[0].findings = findings;
        assert!(matches!(run.refusal(true), Some(Refusal::Damaged(d)) if d.len() == 1));
        run.could_not_run = true;
        assert!(matches!(run.refusal(true), Some(Refusal::CouldNotRun)));
    }
}

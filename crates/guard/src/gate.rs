//! The checks that stand between the journal pipeline and the output: the same journal from
//! two inputs of one run, the ERP's chart of accounts ([`Accounts`]) and the posting ledger
//! ([`DuplicateCheck`]). A [`Gate`] wraps the output sink; a journal that fails a check never
//! reaches it and its lines go to the rejection report, with a finding (`JNL206`-`JNL210`)
//! naming the extract lines.

use crate::accounts::Accounts;
use crate::duplicates::{DuplicateCheck, Verdict};
use ledgerline_findings::{Check, Family, Finding, Severity, Subject};
use ledgerline_journal::Journal;
use ledgerline_journal::build::{Rejection, RejectionStatus};
use ledgerline_journal::pipeline::Sink;
use ledgerline_seen::SeenMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Where a journal was first met in this run: its input (an index into the gate's list
/// of inputs) in the top 16 bits, its first extract line below. 8 bytes, as a run may
/// carry millions of journals (an input past the 65,535th is named as an earlier one).
type FirstSeen = u64;

const LINE_BITS: u32 = 48;

/// A sink that checks each journal before passing it on.
pub struct Gate<'a> {
    inner: &'a mut dyn Sink,
    accounts: Option<&'a Accounts>,
    ledger: Option<&'a mut DuplicateCheck>,
    /// Every journal id of the run (hashed: 64 bits of SipHash; a collision, about one
    /// chance in 10^19 for a million journals, would hold back a journal as a duplicate).
    seen: SeenMap<FirstSeen>,
    /// The inputs journals came from, in order.
    inputs: Vec<Arc<str>>,
    /// The journals now coming are from the run's last input: they are checked against
    /// the earlier inputs' but not remembered (no later input can repeat them; within one
    /// input the journal builder gives every journal its own id). On a single 10 GB
    /// extract this is 2 million ids not kept.
    last_input: bool,
    findings: Vec<Finding>,
    /// Journals held back (not passed on).
    pub held_journals: u64,
    /// Lines of the journals held back.
    pub held_lines: u64,
}

impl<'a> Gate<'a> {
    /// A gate in front of `inner`.
    pub fn new(
        inner: &'a mut dyn Sink,
        accounts: Option<&'a Accounts>,
        ledger: Option<&'a mut DuplicateCheck>,
    ) -> Gate<'a> {
        Gate {
            inner,
            accounts,
            ledger,
            seen: SeenMap::new(),
            inputs: Vec::new(),
            last_input: false,
            findings: Vec::new(),
            held_journals: 0,
            held_lines: 0,
        }
    }

    /// Says whether the journals that follow come from the run's last input (`false` until
    /// told). Then they are still checked against the earlier inputs, but not remembered.
    pub fn set_last_input(&mut self, last: bool) {
        self.last_input = last;
    }

    /// The findings since the last call.
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// Sends every line of `j` to the rejection report, the reason being the finding `why`
    /// (its code first, as the rejection report gives it).
    fn hold(&mut self, j: &Journal, status: RejectionStatus, why: &Finding) -> std::io::Result<()> {
        self.held_journals += 1;
        self.held_lines += j.lines.len() as u64;
        let reason = format!("{} {}", why.code, why.message);
        for line in j.source_lines() {
            self.inner.reject(&Rejection {
                file: j.source_file.to_string(),
                line,
                journal_id: j.id.clone(),
                status,
                reason: reason.clone(),
                code: Some(why.code),
            })?;
        }
        Ok(())
    }
}

impl Gate<'_> {
    /// The same journal id from another input of this run: both would be posted (the same
    /// extract given twice, renamed, or inside a zip next to itself).
    fn duplicate_in_run(&mut self, j: &Journal) -> Option<Finding> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        j.id.hash(&mut h);
        let first = j.source_lines().first().copied().unwrap_or(0);
        match self.seen.get(h.finish()) {
            None if self.last_input => None,
            None => {
                if self.inputs.last() != Some(&j.source_file) {
                    self.inputs.push(j.source_file.clone());
                }
                let input = (self.inputs.len() - 1).min(0xFFFF) as u64;
                let line = first.min((1 << LINE_BITS) - 1);
                self.seen.insert(h.finish(), (input << LINE_BITS) | line);
                None
            }
            Some(at) => {
                let line = at & ((1 << LINE_BITS) - 1);
                let file: &str = match self.inputs.get((at >> LINE_BITS) as usize) {
                    Some(f) if at >> LINE_BITS < 0xFFFF => f,
                    _ => "an earlier input",
                };
                let mut f = Finding::new(
                    Family::Journal,
                    Check::DuplicateInRun,
                    &j.source_file,
                    format!(
                        "journal {} is already in this run from {file} line {line}: the same report would be posted twice; give each extract once (with --force the first is posted and this one rejected)",
                        j.id
                    ),
                )
                .cause(format!(
                    "journals already in this run from {file}: the same reports would be posted twice"
                ));
                f.line = Some(first);
                Some(f.about(Subject {
                    journal_id: Some(j.id.clone()),
                    employee_id: j.employee_id.clone(),
                    amount: Some(j.total_debit().to_string()),
                    currency: Some(j.currency.clone()),
                }))
            }
        }
    }
}

impl Sink for Gate<'_> {
    fn write_journal(&mut self, j: &Journal) -> std::io::Result<()> {
        // A journal the ledger records as posted before is the ledger's to judge (it is
        // skipped however many inputs carry it); any other repeat in the run is an error.
        let posted_before = self
            .ledger
            .as_deref()
            .is_some_and(|l| l.posted_before(&j.id));
        if !posted_before && let Some(f) = self.duplicate_in_run(j) {
            self.hold(j, RejectionStatus::Rejected, &f)?;
            self.findings.push(f);
            return Ok(());
        }
        if let Some(accounts) = self.accounts {
            let found = accounts.check_journal(j);
            if let Some(first) = found.first() {
                self.hold(j, RejectionStatus::Rejected, first)?;
                self.findings.extend(found);
                return Ok(());
            }
        }
        if let Some(ledger) = self.ledger.as_deref_mut() {
            match ledger.judge(j) {
                Verdict::Post => {}
                Verdict::Skip(f) => {
                    let status = if f.severity == Severity::Error {
                        RejectionStatus::Rejected
                    } else {
                        RejectionStatus::Skipped
                    };
                    self.hold(j, status, &f)?;
                    self.findings.push(f);
                    return Ok(());
                }
                Verdict::Conflict(f) => {
                    self.hold(j, RejectionStatus::Rejected, &f)?;
                    self.findings.push(f);
                    return Ok(());
                }
            }
        }
        self.inner.write_journal(j)
    }

    fn reject(&mut self, r: &Rejection) -> std::io::Result<()> {
        self.inner.reject(r)
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.inner.finish()
    }
}

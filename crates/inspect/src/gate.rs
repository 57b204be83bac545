//! The checks that stand between the journal pipeline and the output: the ERP's chart of
//! accounts ([`Accounts`]) and the posting ledger ([`DuplicateCheck`]). A [`Gate`] wraps the
//! output sink; a journal that fails a check never reaches it and its lines go to the
//! rejection report, with a finding (`JNL206`-`JNL209`) naming the extract lines.

use crate::accounts::Accounts;
use crate::ledger::{DuplicateCheck, Verdict};
use ledgerline_extract::finding::{Finding, Severity};
use ledgerline_journal::Journal;
use ledgerline_journal::build::Rejection;
use ledgerline_journal::pipeline::Sink;

/// A sink that checks each journal before passing it on.
pub struct Gate<'a> {
    inner: &'a mut dyn Sink,
    accounts: Option<&'a Accounts>,
    ledger: Option<&'a mut DuplicateCheck>,
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
            findings: Vec::new(),
            held_journals: 0,
            held_lines: 0,
        }
    }

    /// The findings since the last call.
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    fn hold(&mut self, j: &Journal, status: &'static str, reason: &str) -> std::io::Result<()> {
        self.held_journals += 1;
        self.held_lines += j.lines.len() as u64;
        for line in j.source_lines() {
            self.inner.reject(&Rejection {
                file: j.source_file.to_string(),
                line,
                journal_id: j.id.clone(),
                status,
                reason: reason.to_owned(),
            })?;
        }
        Ok(())
    }
}

impl Sink for Gate<'_> {
    fn write_journal(&mut self, j: &Journal) -> std::io::Result<()> {
        if let Some(accounts) = self.accounts {
            let found = accounts.check_journal(j);
            if let Some(first) = found.first() {
                let reason = format!("{} {}", first.code, first.message);
                self.findings.extend(found);
                return self.hold(j, "rejected", &reason);
            }
        }
        if let Some(ledger) = self.ledger.as_deref_mut() {
            match ledger.judge(j) {
                Verdict::Post => {}
                Verdict::Skip(f) => {
                    let status = if f.severity == Severity::Error {
                        "rejected"
                    } else {
                        "skipped"
                    };
                    let reason = format!("{} {}", f.code, f.message);
                    self.findings.push(f);
                    return self.hold(j, status, &reason);
                }
                Verdict::Conflict(f) => {
                    let reason = format!("{} {}", f.code, f.message);
                    self.findings.push(f);
                    return self.hold(j, "rejected", &reason);
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

//! Duplicate protection: each journal is judged against what the run ledger records as
//! posted to the same target (and against the journals already judged in this run) before
//! it is written.
//!
//! The same journal again (same id, same [`lines_hash`]) is skipped with a warning (`JNL208`),
//! or refused with `strict`; the same id with other lines is refused (`JNL209`) with both
//! extracts named and the `ledger forget` command that releases it once the posted one is
//! reversed. The records themselves, and their two-step recording around the output's
//! rename, are `ledgerline_ledger::posting`'s.
//!
//! ```
//! use ledgerline_guard::duplicates::DuplicateCheck;
//! use ledgerline_ledger::PostingLedger;
//! let dir = tempfile::tempdir().unwrap();
//! let ledger = PostingLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
//! let check = DuplicateCheck::new(&ledger, "netsuite", false).unwrap();
//! assert_eq!(check.pending().len(), 0);
//! ```

use ledgerline_findings::{Check, Family, Finding, Severity};
use ledgerline_journal::Journal;
use ledgerline_ledger::LedgerError;
use ledgerline_ledger::file::now;
use ledgerline_ledger::posting::{ANY_TARGET, Posted, PostingLedger};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The ledger record of `journal`, to be written into `output` for `target`.
pub fn posted(journal: &Journal, target: &str, output: &str, posted_at: &str) -> Posted {
    Posted {
        target: target.to_owned(),
        journal_id: journal.id.clone(),
        report_id: journal.report_id.clone(),
        employee_id: journal.employee_id.clone(),
        currency: journal.currency.clone(),
        lines: journal.lines.len() as u64,
        total: journal.total_debit().to_string(),
        lines_sha256: lines_hash(journal),
        source_file: journal.source_file.to_string(),
        output: output.to_owned(),
        posted_at: posted_at.to_owned(),
    }
}

/// SHA-256 (lower-case hex) of what a journal posts: currency, then per line account,
/// debit, credit, kind, counterparty and dimensions. Date, memo, extract file and line
/// numbers are left out, so a report extracted again unchanged hashes the same.
pub fn lines_hash(journal: &Journal) -> String {
    let mut h = Sha256::new();
    h.update(journal.currency.as_bytes());
    h.update(b"\n");
    for l in &journal.lines {
        let cp = l
            .counterparty
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        for part in [
            l.account.as_str(),
            &l.debit.normalize().to_string(),
            &l.credit.normalize().to_string(),
            l.kind.as_str(),
            &cp,
        ] {
            h.update(part.as_bytes());
            h.update(b"\t");
        }
        for (k, v) in &l.dimensions {
            h.update(k.as_bytes());
            h.update(b"=");
            h.update(v.as_bytes());
            h.update(b";");
        }
        h.update(b"\n");
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What to do with one journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not posted before: write it.
    Post,
    /// Posted before with the same lines: leave it out (the finding says where it went).
    Skip(Finding),
    /// Posted before with other lines: an error naming both extracts.
    Conflict(Finding),
}

/// Judges journals against the ledger (and against each other within the run), collecting
/// the ones to record.
#[derive(Debug)]
pub struct DuplicateCheck {
    target: String,
    posted: HashMap<String, Posted>,
    this_run: HashMap<String, Posted>,
    pending: Vec<Posted>,
    strict: bool,
    started: String,
}

impl DuplicateCheck {
    /// A check against what `ledger` records as posted to `target` (and what it recorded
    /// before targets existed); with `strict`, a journal posted before is an error instead
    /// of a warning.
    pub fn new(
        ledger: &PostingLedger,
        target: &str,
        strict: bool,
    ) -> Result<DuplicateCheck, LedgerError> {
        let posted = ledger
            .list()?
            .into_iter()
            .filter(|p| p.target == target || p.target == ANY_TARGET)
            .map(|p| (p.journal_id.clone(), p))
            .collect();
        Ok(DuplicateCheck {
            target: target.to_owned(),
            posted,
            this_run: HashMap::new(),
            pending: Vec::new(),
            strict,
            started: now(),
        })
    }

    /// Whether `journal` may be written; remembers the ones that may.
    pub fn judge(&mut self, journal: &Journal) -> Verdict {
        let hash = lines_hash(journal);
        let file = journal.source_file.to_string();
        let at = journal.source_lines().first().copied();
        if let Some(before) = self
            .posted
            .get(&journal.id)
            .or_else(|| self.this_run.get(&journal.id))
        {
            let earlier = if self.posted.contains_key(&journal.id) {
                format!(
                    "posted to {} from {} into {} at {}",
                    if before.target.is_empty() {
                        "the ledger's target"
                    } else {
                        &before.target
                    },
                    before.source_file,
                    before.output,
                    before.posted_at
                )
            } else {
                format!("already in this run from {}", before.source_file)
            };
            if before.lines_sha256 == hash {
                let mut f = Finding::new(
                    Family::Journal,
                    Check::AlreadyPosted,
                    &file,
                    format!("journal {} {earlier}: skipped", journal.id),
                )
                .cause(format!("journals {earlier}: skipped"));
                if self.strict {
                    f = f.severity(Severity::Error);
                    f.message = format!("journal {} {earlier}: refused (--strict)", journal.id);
                    f.cause = Some(format!("journals {earlier}: refused (--strict)"));
                }
                f.line = at;
                return Verdict::Skip(f);
            }
            let mut f = Finding::new(
                Family::Journal,
                Check::PostedDifferently,
                &file,
                format!(
                    "report {} in {file} differs from the one {earlier}: {} lines totalling {} {} then, {} lines totalling {} {} now; `ledgerline ledger forget {} --target {}` once the posted one is reversed",
                    journal.report_id.as_deref().unwrap_or(&journal.id),
                    before.lines,
                    before.total,
                    before.currency,
                    journal.lines.len(),
                    journal.total_debit(),
                    journal.currency,
                    journal.id,
                    self.target,
                ),
            );
            f.line = at;
            return Verdict::Conflict(f);
        }
        let p = Posted {
            lines_sha256: hash,
            ..posted(journal, &self.target, "", &self.started)
        };
        self.this_run.insert(journal.id.clone(), p.clone());
        self.pending.push(p);
        Verdict::Post
    }

    /// Whether the ledger recorded `journal_id` as posted (to this target) before this run.
    pub fn posted_before(&self, journal_id: &str) -> bool {
        self.posted.contains_key(journal_id)
    }

    /// Forgets a journal judged postable (it was held back after all, e.g. by another check).
    pub fn withdraw(&mut self, journal_id: &str) {
        self.this_run.remove(journal_id);
        self.pending.retain(|p| p.journal_id != journal_id);
    }

    /// The journals to record, in order.
    pub fn pending(&self) -> &[Posted] {
        &self.pending
    }

    /// The journals to record, with their output file set.
    pub fn into_records(self, output: &str) -> Vec<Posted> {
        self.pending
            .into_iter()
            .map(|p| Posted {
                output: output.to_owned(),
                ..p
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerline_journal::pipeline::{Collect, ConvertOptions, convert_reader};
    use std::sync::Arc;

    fn journals() -> Vec<Journal> {
        let mut extract = Vec::new();
        ledgerline_generate::Generator::new(ledgerline_generate::Options {
            reports: 3,
            ..Default::default()
        })
        .write(&mut extract)
        .unwrap();
        let mut out = Collect::default();
        let opts = ConvertOptions::new(Arc::new(ledgerline_journal::Rules::default()));
        convert_reader("a.txt", extract.as_slice(), &opts, &mut out, &mut |_| {}).unwrap();
        out.journals
    }

    #[test]
    fn the_hash_ignores_where_and_when_but_not_amounts() {
        let j = journals().remove(0);
        let mut moved = j.clone();
        moved.source_file = Arc::from("later-extract.txt");
        moved.date = ledgerline_extract::value::parse_date(b"2031-01-02").unwrap();
        for l in &mut moved.lines {
            l.memo.push_str(" (again)");
            l.source_lines.iter_mut().for_each(|n| *n += 100);
        }
        assert_eq!(lines_hash(&j), lines_hash(&moved));
        let mut changed = j.clone();
        let l = changed
            .lines
            .iter_mut()
            .find(|l| !l.debit.is_zero())
            .unwrap();
        l.debit += rust_decimal::Decimal::new(1, 2);
        assert_ne!(lines_hash(&j), lines_hash(&changed));
    }
}

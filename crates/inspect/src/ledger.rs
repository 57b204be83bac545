//! Duplicate protection: the journals a `convert --ledger FILE` run wrote, kept in the
//! SQLite run ledger that `fetch` shares (component `journals`, its own tables).
//!
//! Each journal written is recorded with its id, report id, a SHA-256 of its lines (accounts,
//! amounts, kinds, counterparties and dimensions: not the date, memo, file or line numbers,
//! which change when Concur extracts the same report again), the extract it came from, the
//! output file and the time. Before a journal is written, [`DuplicateCheck::judge`] compares
//! it with the ledger: the same journal again is skipped (a warning, `JNL208`, or an error
//! with `strict`), the same id with other lines is an error (`JNL209`) naming both extracts.
//!
//! Recording happens in two steps around the atomic rename of the output: [`PostingLedger::begin`]
//! stores the run as *pending* with the SHA-256 of the output file, in one transaction;
//! [`PostingLedger::finish`] marks it done once the file is in place. Opening the ledger
//! settles runs left pending by a killed process: the run is kept when its output file exists
//! with the recorded hash, and dropped otherwise. So the ledger always matches the files that
//! were actually written.
//!
//! ```
//! use ledgerline_inspect::ledger::{PostingLedger, DuplicateCheck, Verdict};
//! let dir = tempfile::tempdir().unwrap();
//! let mut ledger = PostingLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
//! assert!(ledger.list().unwrap().is_empty());
//! let check = DuplicateCheck::new(&ledger, "netsuite", false).unwrap();
//! assert_eq!(check.pending().len(), 0);
//! ```

use ledgerline_extract::finding::{Check, Family, Finding, Severity};
use ledgerline_fetch::ledger::{Ledger, Migration};
use ledgerline_journal::Journal;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The `journals` component's schema steps.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "posting runs and the journals they wrote (convert --ledger)",
        sql: "CREATE TABLE posting_runs (
            id            INTEGER PRIMARY KEY,
            output        TEXT NOT NULL,
            output_sha256 TEXT NOT NULL,
            state         TEXT NOT NULL CHECK (state IN ('pending', 'done')),
            started_at    TEXT NOT NULL,
            finished_at   TEXT
          );
          CREATE TABLE posted_journals (
            journal_id   TEXT PRIMARY KEY,
            report_id    TEXT,
            employee_id  TEXT,
            currency     TEXT NOT NULL,
            lines        INTEGER NOT NULL,
            total        TEXT NOT NULL,
            lines_sha256 TEXT NOT NULL,
            source_file  TEXT NOT NULL,
            output       TEXT NOT NULL,
            posted_at    TEXT NOT NULL,
            run_id       INTEGER NOT NULL REFERENCES posting_runs(id) ON DELETE CASCADE
          );
          CREATE INDEX posted_journals_run ON posted_journals(run_id);",
    },
    Migration {
        version: 2,
        description: "journals are recorded per posting target (convert --target); older records, \
                  target '', count for every target",
        sql: "CREATE TABLE posted_journals_v2 (
            target       TEXT NOT NULL,
            journal_id   TEXT NOT NULL,
            report_id    TEXT,
            employee_id  TEXT,
            currency     TEXT NOT NULL,
            lines        INTEGER NOT NULL,
            total        TEXT NOT NULL,
            lines_sha256 TEXT NOT NULL,
            source_file  TEXT NOT NULL,
            output       TEXT NOT NULL,
            posted_at    TEXT NOT NULL,
            run_id       INTEGER NOT NULL REFERENCES posting_runs(id) ON DELETE CASCADE,
            PRIMARY KEY (target, journal_id)
          );
          INSERT INTO posted_journals_v2 (target, journal_id, report_id, employee_id, currency,
                lines, total, lines_sha256, source_file, output, posted_at, run_id)
            SELECT '', journal_id, report_id, employee_id, currency, lines, total, lines_sha256,
                   source_file, output, posted_at, run_id FROM posted_journals;
          DROP TABLE posted_journals;
          ALTER TABLE posted_journals_v2 RENAME TO posted_journals;
          CREATE INDEX posted_journals_run ON posted_journals(run_id);",
    },
];

/// The target of records made before targets existed: they count for every target.
pub const ANY_TARGET: &str = "";

/// Why the ledger cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Opening or migrating the file.
    #[error(transparent)]
    Open(#[from] ledgerline_fetch::Error),
    /// A query failed.
    #[error("ledger {path}: {source}")]
    Sql {
        /// The ledger file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// Hashing the output file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// One posted journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Posted {
    /// Where it was posted (`convert --target`, by default the format name; empty for
    /// records made before targets existed, which count for every target).
    pub target: String,
    /// Journal id.
    pub journal_id: String,
    /// Concur report id.
    pub report_id: Option<String>,
    /// Employee id.
    pub employee_id: Option<String>,
    /// Currency.
    pub currency: String,
    /// Number of lines.
    pub lines: u64,
    /// Total of the debit column.
    pub total: String,
    /// SHA-256 of the lines (see [`lines_hash`]).
    pub lines_sha256: String,
    /// The extract it came from.
    pub source_file: String,
    /// The output file it was written to.
    pub output: String,
    /// When (RFC 3339, UTC).
    pub posted_at: String,
}

impl Posted {
    /// The record of `journal`, to be written into `output`.
    pub fn of(journal: &Journal, target: &str, output: &str, posted_at: &str) -> Posted {
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

/// SHA-256 (lower-case hex) of a file's content.
pub fn file_sha256(path: &Path) -> Result<String, LedgerError> {
    let io = |source| LedgerError::Io {
        path: path.to_owned(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// What opening the ledger did with runs an earlier process left pending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Runs whose output file was in place: their journals are kept as posted.
    pub kept: Vec<String>,
    /// Runs whose output file was never written (or differs): their journals were dropped.
    pub dropped: Vec<String>,
}

/// A pending run, between [`PostingLedger::begin`] and [`PostingLedger::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId(i64);

/// Which records `ledger forget` removes: every condition given must hold, and at least one
/// of journal ids and file must be given.
#[derive(Debug, Clone, Default)]
pub struct Forget {
    /// Journal ids (any of them).
    pub journal_ids: Vec<String>,
    /// Records whose extract (source file) or output file is this path.
    pub file: Option<String>,
    /// Only records of this target.
    pub target: Option<String>,
}

impl Forget {
    fn selects(&self, p: &Posted) -> bool {
        (self.journal_ids.is_empty() || self.journal_ids.contains(&p.journal_id))
            && self
                .file
                .as_ref()
                .is_none_or(|f| *f == p.source_file || *f == p.output)
            && self.target.as_ref().is_none_or(|t| *t == p.target)
    }
}

/// The posting ledger.
#[derive(Debug)]
pub struct PostingLedger {
    ledger: Ledger,
    recovery: Recovery,
}

impl PostingLedger {
    /// Opens (creating if needed) the ledger at `path`, brings its schema up to date and
    /// settles runs left pending by an interrupted process.
    pub fn open(path: &Path) -> Result<PostingLedger, LedgerError> {
        Self::wrap(Ledger::open(path)?)
    }

    /// The posting tables inside an already open run ledger.
    pub fn wrap(mut ledger: Ledger) -> Result<PostingLedger, LedgerError> {
        ledger.migrate("journals", MIGRATIONS)?;
        let mut me = PostingLedger {
            ledger,
            recovery: Recovery::default(),
        };
        me.recovery = me.recover()?;
        Ok(me)
    }

    /// What opening did with interrupted runs.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        self.ledger.path()
    }

    fn err(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError::Sql {
            path: self.ledger.path().to_owned(),
            source,
        }
    }

    fn recover(&mut self) -> Result<Recovery, LedgerError> {
        let pending: Vec<(i64, String, String)> = {
            let conn = self.ledger.connection();
            let mut stmt = conn
                .prepare("SELECT id, output, output_sha256 FROM posting_runs WHERE state = 'pending' ORDER BY id")
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        let mut out = Recovery::default();
        for (id, output, sha) in pending {
            let written = file_sha256(Path::new(&output)).is_ok_and(|h| h == sha);
            let conn = self.ledger.connection();
            let r = if written {
                out.kept.push(output);
                conn.execute(
                    "UPDATE posting_runs SET state = 'done', finished_at = ?2 WHERE id = ?1",
                    params![id, now()],
                )
            } else {
                out.dropped.push(output);
                conn.execute("DELETE FROM posting_runs WHERE id = ?1", params![id])
            };
            r.map_err(|e| self.err(e))?;
        }
        Ok(out)
    }

    /// Every posted journal, oldest first.
    pub fn list(&self) -> Result<Vec<Posted>, LedgerError> {
        let conn = self.ledger.connection();
        let mut stmt = conn
            .prepare(
                "SELECT j.journal_id, j.report_id, j.employee_id, j.currency, j.lines, j.total,
                        j.lines_sha256, j.source_file, j.output, j.posted_at, j.target
                 FROM posted_journals j JOIN posting_runs r ON r.id = j.run_id
                 WHERE r.state = 'done' ORDER BY j.posted_at, j.rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let lines: i64 = r.get(4)?;
                Ok(Posted {
                    target: r.get(10)?,
                    journal_id: r.get(0)?,
                    report_id: r.get(1)?,
                    employee_id: r.get(2)?,
                    currency: r.get(3)?,
                    lines: u64::try_from(lines).unwrap_or(0),
                    total: r.get(5)?,
                    lines_sha256: r.get(6)?,
                    source_file: r.get(7)?,
                    output: r.get(8)?,
                    posted_at: r.get(9)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The records of `journal_id` (one per target it was posted to).
    pub fn get(&self, journal_id: &str) -> Result<Vec<Posted>, LedgerError> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|p| p.journal_id == journal_id)
            .collect())
    }

    /// Forgets the records `which` selects (they will be posted again by the next run) and
    /// returns them.
    pub fn forget(&mut self, which: &Forget) -> Result<Vec<Posted>, LedgerError> {
        let chosen: Vec<Posted> = self
            .list()?
            .into_iter()
            .filter(|p| which.selects(p))
            .collect();
        let path = self.ledger.path().to_owned();
        let err = |source| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.ledger.connection_mut().transaction().map_err(err)?;
        for p in &chosen {
            tx.execute(
                "DELETE FROM posted_journals WHERE target = ?1 AND journal_id = ?2",
                params![p.target, p.journal_id],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(chosen)
    }

    /// Step one of recording: stores the run (output file and its SHA-256) as pending with
    /// its journals, in one transaction. Call before moving the output into place.
    pub fn begin(
        &mut self,
        output: &str,
        output_sha256: &str,
        journals: &[Posted],
    ) -> Result<RunId, LedgerError> {
        let path = self.ledger.path().to_owned();
        let err = |source| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.ledger.connection_mut().transaction().map_err(err)?;
        tx.execute(
            "INSERT INTO posting_runs (output, output_sha256, state, started_at) VALUES (?1, ?2, 'pending', ?3)",
            params![output, output_sha256, now()],
        )
        .map_err(err)?;
        let run = tx.last_insert_rowid();
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO posted_journals (journal_id, report_id, employee_id, currency, lines, total,
                        lines_sha256, source_file, output, posted_at, run_id, target)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (target, journal_id) DO UPDATE SET
                        report_id = excluded.report_id, employee_id = excluded.employee_id,
                        currency = excluded.currency, lines = excluded.lines, total = excluded.total,
                        lines_sha256 = excluded.lines_sha256, source_file = excluded.source_file,
                        output = excluded.output, posted_at = excluded.posted_at, run_id = excluded.run_id",
                )
                .map_err(err)?;
            for p in journals {
                stmt.execute(params![
                    p.journal_id,
                    p.report_id,
                    p.employee_id,
                    p.currency,
                    i64::try_from(p.lines).unwrap_or(i64::MAX),
                    p.total,
                    p.lines_sha256,
                    p.source_file,
                    p.output,
                    p.posted_at,
                    run,
                    p.target
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(RunId(run))
    }

    /// Step two: the output file is in place; the run's journals count as posted.
    pub fn finish(&mut self, run: RunId) -> Result<(), LedgerError> {
        self.ledger
            .connection()
            .execute(
                "UPDATE posting_runs SET state = 'done', finished_at = ?2 WHERE id = ?1",
                params![run.0, now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Number of runs still pending (0 outside an interrupted run).
    pub fn pending_runs(&self) -> Result<u64, LedgerError> {
        let n: i64 = self
            .ledger
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM posting_runs WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// The current time as RFC 3339 UTC.
pub fn now() -> String {
    ledgerline_fetch::time::format_unix(ledgerline_fetch::time::now_unix())
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
                );
                if self.strict {
                    f = f.severity(Severity::Error);
                    f.message = format!("journal {} {earlier}: refused (--strict)", journal.id);
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
            ..Posted::of(journal, &self.target, "", &self.started)
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

    #[test]
    fn pending_runs_are_settled_by_the_file_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        let js = journals();
        let written = dir.path().join("written.jsonl");
        std::fs::write(&written, "content").unwrap();
        {
            let mut l = PostingLedger::open(&path).unwrap();
            let a = vec![Posted::of(&js[0], "t", &written.display().to_string(), "t")];
            l.begin(
                &written.display().to_string(),
                &file_sha256(&written).unwrap(),
                &a,
            )
            .unwrap();
            let missing = dir.path().join("missing.jsonl").display().to_string();
            let b = vec![Posted::of(&js[1], "t", &missing, "t")];
            l.begin(&missing, "00", &b).unwrap();
            assert_eq!(l.pending_runs().unwrap(), 2);
            assert!(
                l.list().unwrap().is_empty(),
                "pending runs are not posted yet"
            );
        }
        let l = PostingLedger::open(&path).unwrap();
        assert_eq!(l.pending_runs().unwrap(), 0);
        assert_eq!(l.recovery().kept.len(), 1);
        assert_eq!(l.recovery().dropped.len(), 1);
        let ids: Vec<String> = l
            .list()
            .unwrap()
            .into_iter()
            .map(|p| p.journal_id)
            .collect();
        assert_eq!(ids, [js[0].id.clone()]);
    }
}

//! Component `journals`: the journals a `convert --ledger FILE` run wrote, kept in the run
//! ledger next to the fetch records.
//!
//! Each journal written is recorded ([`Posted`]) with its id, report id, a SHA-256 of its
//! lines (accounts, amounts, kinds, counterparties and dimensions: not the date, memo, file
//! or line numbers, which change when Concur extracts the same report again), the extract it
//! came from, the output file and the time, per posting target. Judging a new journal
//! against these records is `ledgerline-guard`'s `DuplicateCheck`.
//!
//! Recording happens in two steps around the atomic rename of the output: [`PostingLedger::begin`]
//! stores the run as *pending* with the SHA-256 of the output file, in one transaction;
//! [`PostingLedger::finish`] marks it done once the file is in place. Opening the ledger
//! settles runs left pending by a killed process: the run is kept when its output file exists
//! with the recorded hash, and dropped otherwise. So the ledger always matches the files that
//! were actually written.
//!
//! ```
//! use ledgerline_ledger::posting::PostingLedger;
//! let dir = tempfile::tempdir().unwrap();
//! let ledger = PostingLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
//! assert!(ledger.list().unwrap().is_empty());
//! assert_eq!(ledger.pending_runs().unwrap(), 0);
//! ```

use crate::error::LedgerError;
use crate::file::{Ledger, Migration, now};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

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
    /// SHA-256 of the lines (`ledgerline_guard::duplicates::lines_hash`).
    pub lines_sha256: String,
    /// The extract it came from.
    pub source_file: String,
    /// The output file it was written to.
    pub output: String,
    /// When (RFC 3339, UTC).
    pub posted_at: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (lower-case hex) of a file's content.
pub fn file_sha256(path: &Path) -> Result<String, LedgerError> {
    let io = |source| LedgerError::Read {
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

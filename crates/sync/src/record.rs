//! Component `sync` of the run ledger: one row per sync run, and one per record (list item,
//! vendor address, purchase order, receipt) with its last outcome and the SHA-256 of what
//! was sent for it. A record is marked `pending` before its call goes out and gets its
//! outcome when the answer comes back, so a run killed in between leaves `pending` rows
//! that the next run settles against what Concur then holds.

use crate::error::{Result, SyncError};
use ledgerline_ledger::{Ledger, Migration};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

/// The sync component's schema steps.
pub const SYNC_MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "sync_runs and sync_records: master data sent to Concur",
    sql: "CREATE TABLE sync_runs (
            id          INTEGER PRIMARY KEY,
            company     TEXT NOT NULL,
            kind        TEXT NOT NULL,
            target      TEXT NOT NULL,
            input       TEXT NOT NULL,
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            summary     TEXT
          );
          CREATE TABLE sync_records (
            company       TEXT NOT NULL,
            kind          TEXT NOT NULL,
            target        TEXT NOT NULL,
            key           TEXT NOT NULL,
            status        TEXT NOT NULL CHECK (status IN
                            ('pending', 'created', 'updated', 'unchanged', 'deactivated',
                             'reactivated', 'failed')),
            sent_sha256   TEXT,
            error_code    TEXT,
            error_message TEXT,
            line          INTEGER,
            run_id        INTEGER REFERENCES sync_runs(id),
            at            TEXT NOT NULL,
            PRIMARY KEY (company, kind, target, key)
          );",
}];

/// The sync component's current schema version.
pub const SYNC_SCHEMA_VERSION: u32 = 1;

/// Lower-case hex SHA-256 of a JSON value as sent.
pub fn sent_hash(v: &serde_json::Value) -> String {
    let digest = Sha256::digest(v.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One record's row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordRow {
    /// Natural key.
    pub key: String,
    /// `pending`, `created`, `updated`, `unchanged`, `deactivated`, `reactivated`, `failed`.
    pub status: String,
    /// SHA-256 of what was last sent.
    pub sent_sha256: Option<String>,
    /// Concur's error id or code, for `failed`.
    pub error_code: Option<String>,
    /// Concur's message, for `failed`.
    pub error_message: Option<String>,
    /// Input line.
    pub line: Option<u64>,
}

/// The sync tables of a ledger, for one company, kind and target (a list id; `-` for the
/// other kinds).
pub struct Records<'a> {
    ledger: &'a mut Ledger,
    company: String,
    kind: String,
    target: String,
    run: i64,
}

impl<'a> Records<'a> {
    /// Migrates the `sync` component and opens a run row.
    pub fn start(
        ledger: &'a mut Ledger,
        company: &str,
        kind: &str,
        target: &str,
        input: &str,
    ) -> Result<Records<'a>> {
        ledger.migrate("sync", SYNC_MIGRATIONS)?;
        let run = {
            let c = ledger.connection();
            c.execute(
                "INSERT INTO sync_runs (company, kind, target, input, started_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![company, kind, target, input, ledgerline_ledger::file::now()],
            )
            .map(|_| c.last_insert_rowid())
            .map_err(|e| SyncError::sql(ledger, e))?
        };
        Ok(Records {
            ledger,
            company: company.to_owned(),
            kind: kind.to_owned(),
            target: target.to_owned(),
            run,
        })
    }

    /// Writes `rows` (status, hash, error) in one transaction.
    pub fn put(&mut self, rows: &[RecordRow]) -> Result<()> {
        let now = ledgerline_ledger::file::now();
        let (company, kind, target, run) = (&self.company, &self.kind, &self.target, self.run);
        let res = (|| -> rusqlite::Result<()> {
            let tx = self.ledger.connection_mut().transaction()?;
            {
                let mut st = tx.prepare_cached(
                    "INSERT INTO sync_records (company, kind, target, key, status, sent_sha256, error_code, error_message, line, run_id, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (company, kind, target, key) DO UPDATE SET
                       status = excluded.status,
                       sent_sha256 = COALESCE(excluded.sent_sha256, sync_records.sent_sha256),
                       error_code = excluded.error_code, error_message = excluded.error_message,
                       line = excluded.line, run_id = excluded.run_id, at = excluded.at",
                )?;
                for r in rows {
                    st.execute(params![
                        company,
                        kind,
                        target,
                        r.key,
                        r.status,
                        r.sent_sha256,
                        r.error_code,
                        r.error_message,
                        r.line.map(|l| i64::try_from(l).unwrap_or(i64::MAX)),
                        run,
                        now
                    ])?;
                }
            }
            tx.commit()
        })();
        res.map_err(|e| SyncError::sql(self.ledger, e))
    }

    /// The row of `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<RecordRow>> {
        self.ledger
            .connection()
            .query_row(
                "SELECT key, status, sent_sha256, error_code, error_message, line FROM sync_records
                 WHERE company = ?1 AND kind = ?2 AND target = ?3 AND key = ?4",
                params![self.company, self.kind, self.target, key],
                row,
            )
            .optional()
            .map_err(|e| SyncError::sql(self.ledger, e))
    }

    /// Every row of this company, kind and target.
    pub fn all(&self) -> Result<Vec<RecordRow>> {
        all(self.ledger, &self.company, &self.kind, &self.target)
    }

    /// Closes the run row with its summary.
    pub fn finish(&mut self, summary: &serde_json::Value) -> Result<()> {
        self.ledger
            .connection()
            .execute(
                "UPDATE sync_runs SET finished_at = ?1, summary = ?2 WHERE id = ?3",
                params![
                    ledgerline_ledger::file::now(),
                    summary.to_string(),
                    self.run
                ],
            )
            .map(|_| ())
            .map_err(|e| SyncError::sql(self.ledger, e))
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    let line: Option<i64> = r.get(5)?;
    Ok(RecordRow {
        key: r.get(0)?,
        status: r.get(1)?,
        sent_sha256: r.get(2)?,
        error_code: r.get(3)?,
        error_message: r.get(4)?,
        line: line.and_then(|l| u64::try_from(l).ok()),
    })
}

/// Every record row of a company, kind and target (empty when the component was never
/// used in this ledger).
pub fn all(ledger: &Ledger, company: &str, kind: &str, target: &str) -> Result<Vec<RecordRow>> {
    if ledger.schema_version("sync")? == 0 {
        return Ok(Vec::new());
    }
    let c = ledger.connection();
    let res = (|| {
        let mut st = c.prepare(
            "SELECT key, status, sent_sha256, error_code, error_message, line FROM sync_records
             WHERE company = ?1 AND kind = ?2 AND target = ?3 ORDER BY key",
        )?;
        let rows = st.query_map(params![company, kind, target], row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    })();
    res.map_err(|e| SyncError::sql(ledger, e))
}

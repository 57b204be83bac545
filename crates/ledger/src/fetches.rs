//! Component `fetch`: one row per extract job or payment batch file that `ledgerline fetch`
//! downloaded, with the SHA-256 and path of its file, so reruns fetch only what is new.
//!
//! A record is written only after its file has been renamed into place, so a run killed
//! mid-download leaves no record (and its hidden partial file is removed by the next run).

use crate::error::Result;
use crate::file::{Ledger, Migration};
use rusqlite::{OptionalExtension, params};
use std::path::PathBuf;

/// The fetch component's schema steps.
pub const FETCH_MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "fetches: one row per extract job or payment batch file fetched",
    sql: "CREATE TABLE fetches (
            id           INTEGER PRIMARY KEY,
            source       TEXT NOT NULL,
            kind         TEXT NOT NULL CHECK (kind IN ('extract_job', 'payment_batch')),
            remote_key   TEXT NOT NULL,
            label        TEXT NOT NULL,
            remote_url   TEXT NOT NULL,
            path         TEXT NOT NULL,
            sha256       TEXT NOT NULL,
            bytes        INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            fetched_at   TEXT NOT NULL,
            UNIQUE (source, kind, remote_key)
          );",
}];

/// The fetch component's current schema version.
pub const FETCH_SCHEMA_VERSION: u32 = 1;

/// What was fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchKind {
    /// An Extract API job file.
    ExtractJob,
    /// A Payment Batch file.
    PaymentBatch,
}

impl FetchKind {
    fn as_str(self) -> &'static str {
        match self {
            FetchKind::ExtractJob => "extract_job",
            FetchKind::PaymentBatch => "payment_batch",
        }
    }
    fn parse(s: &str) -> Option<FetchKind> {
        match s {
            "extract_job" => Some(FetchKind::ExtractJob),
            "payment_batch" => Some(FetchKind::PaymentBatch),
            _ => None,
        }
    }
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetchRecord {
    /// The Concur company (its UUID, or its base URL when unknown).
    pub source: String,
    /// Job or batch.
    pub kind: FetchKind,
    /// `{definition id}/{job id}` or the batch id.
    pub remote_key: String,
    /// Human label: definition name and job id, or batch name.
    pub label: String,
    /// Where the file came from.
    pub remote_url: String,
    /// Where it was saved.
    pub path: PathBuf,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Size.
    pub bytes: u64,
    /// Content-Type as served.
    pub content_type: String,
    /// When (RFC 3339, UTC).
    pub fetched_at: String,
}

impl Ledger {
    /// Whether this job or batch was fetched before.
    pub fn contains(&self, source: &str, kind: FetchKind, remote_key: &str) -> Result<bool> {
        self.sql(|c| {
            c.query_row(
                "SELECT 1 FROM fetches WHERE source = ?1 AND kind = ?2 AND remote_key = ?3",
                params![source, kind.as_str(), remote_key],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
        })
    }

    /// Records a fetched file (replacing an older record of the same job or batch).
    pub fn record(&mut self, r: &FetchRecord) -> Result<()> {
        self.sql(|c| {
            c.execute(
                "INSERT INTO fetches (source, kind, remote_key, label, remote_url, path, sha256, bytes, content_type, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (source, kind, remote_key) DO UPDATE SET
                   label = excluded.label, remote_url = excluded.remote_url, path = excluded.path,
                   sha256 = excluded.sha256, bytes = excluded.bytes,
                   content_type = excluded.content_type, fetched_at = excluded.fetched_at",
                params![
                    r.source,
                    r.kind.as_str(),
                    r.remote_key,
                    r.label,
                    r.remote_url,
                    r.path.to_string_lossy(),
                    r.sha256,
                    i64::try_from(r.bytes).unwrap_or(i64::MAX),
                    r.content_type,
                    r.fetched_at
                ],
            )
            .map(|_| ())
        })
    }

    /// Every record, oldest first.
    pub fn records(&self) -> Result<Vec<FetchRecord>> {
        self.sql(|c| {
            let mut stmt = c.prepare(
                "SELECT source, kind, remote_key, label, remote_url, path, sha256, bytes, content_type, fetched_at
                 FROM fetches ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                let kind: String = r.get(1)?;
                let path: String = r.get(5)?;
                let bytes: i64 = r.get(7)?;
                Ok(FetchRecord {
                    source: r.get(0)?,
                    kind: FetchKind::parse(&kind).unwrap_or(FetchKind::ExtractJob),
                    remote_key: r.get(2)?,
                    label: r.get(3)?,
                    remote_url: r.get(4)?,
                    path: PathBuf::from(path),
                    sha256: r.get(6)?,
                    bytes: u64::try_from(bytes).unwrap_or(0),
                    content_type: r.get(8)?,
                    fetched_at: r.get(9)?,
                })
            })?;
            rows.collect()
        })
    }
}

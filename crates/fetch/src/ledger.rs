//! The run ledger: a SQLite file recording every extract job and payment batch fetched,
//! with the SHA-256 and path of its file, so reruns fetch only what is new.
//!
//! A record is written only after its file has been renamed into place, so a run killed
//! mid-download leaves no record (and its hidden partial file is removed by the next run).
//!
//! The schema is versioned per *component* in a `schema_migrations` table, so other parts
//! of Ledgerline can keep their own tables in the same file (for example a `journals`
//! table for `convert --ledger`) by calling [`Ledger::migrate`] with their own steps:
//!
//! ```
//! use ledgerline_fetch::ledger::{Ledger, Migration};
//! let dir = tempfile::tempdir().unwrap();
//! let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
//! const JOURNALS: &[Migration] = &[Migration {
//!     version: 1,
//!     description: "journals table",
//!     sql: "CREATE TABLE journals (id INTEGER PRIMARY KEY, fetch_id INTEGER REFERENCES fetches(id));",
//! }];
//! assert_eq!(ledger.migrate("journals", JOURNALS).unwrap(), 1);
//! assert_eq!(ledger.schema_version("fetch").unwrap(), ledgerline_fetch::ledger::FETCH_SCHEMA_VERSION);
//! ```

use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// One schema step of a component. Steps are applied in `version` order, each in its own
/// transaction, exactly once.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 1, 2, 3 ... within the component.
    pub version: u32,
    /// What it does.
    pub description: &'static str,
    /// SQL (several statements allowed).
    pub sql: &'static str,
}

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

/// An open ledger file.
#[derive(Debug)]
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

impl Ledger {
    /// Opens (creating if needed) the ledger at `path` and brings the fetch schema up to
    /// date.
    pub fn open(path: &Path) -> Result<Ledger> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let conn = Connection::open(path).map_err(|source| Error::Ledger {
            path: path.into(),
            source,
        })?;
        Self::init(conn, path.into())
    }

    /// An in-memory ledger (tests, dry runs).
    pub fn open_in_memory() -> Result<Ledger> {
        let conn = Connection::open_in_memory().map_err(|source| Error::Ledger {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(conn, ":memory:".into())
    }

    /// The default location: `$XDG_DATA_HOME/ledgerline/ledger.sqlite`, else
    /// `~/.local/share/ledgerline/ledger.sqlite`.
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|p| !p.is_empty())
                    .map(|h| PathBuf::from(h).join(".local/share"))
            })?;
        Some(base.join("ledgerline").join("ledger.sqlite"))
    }

    fn init(conn: Connection, path: PathBuf) -> Result<Ledger> {
        let mut ledger = Ledger { conn, path };
        ledger.sql(|c| {
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            c.execute_batch(
                "PRAGMA foreign_keys = ON;
                 CREATE TABLE IF NOT EXISTS schema_migrations (
                    component   TEXT NOT NULL,
                    version     INTEGER NOT NULL,
                    description TEXT NOT NULL,
                    applied_at  TEXT NOT NULL,
                    PRIMARY KEY (component, version)
                 );",
            )
        })?;
        ledger.migrate("fetch", FETCH_MIGRATIONS)?;
        Ok(ledger)
    }

    fn sql<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&self.conn).map_err(|source| Error::Ledger {
            path: self.path.clone(),
            source,
        })
    }

    /// The file path (`:memory:` for in-memory ledgers).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SQLite connection, for components that keep their own tables here.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The SQLite connection, mutably (transactions).
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The highest applied schema version of `component` (0: none).
    pub fn schema_version(&self, component: &str) -> Result<u32> {
        self.sql(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?1",
                [component],
                |r| r.get(0),
            )
        })
    }

    /// Applies the steps of `component` newer than its recorded version, each in a
    /// transaction. Returns the resulting version. A ledger written by a newer Ledgerline
    /// (a version above every known step) is refused rather than misread.
    pub fn migrate(&mut self, component: &str, steps: &[Migration]) -> Result<u32> {
        let mut current = self.schema_version(component)?;
        let known = steps.iter().map(|m| m.version).max().unwrap_or(0);
        if current > known {
            return Err(Error::Config(format!(
                "ledger {} has {component} schema version {current}, newer than this ledgerline knows ({known}); upgrade ledgerline",
                self.path.display()
            )));
        }
        let mut sorted: Vec<&Migration> = steps.iter().filter(|m| m.version > current).collect();
        sorted.sort_by_key(|m| m.version);
        let path = self.path.clone();
        for m in sorted {
            let tx = self.conn.transaction().map_err(|source| Error::Ledger {
                path: path.clone(),
                source,
            })?;
            tx.execute_batch(m.sql)
                .and_then(|()| {
                    tx.execute(
                        "INSERT INTO schema_migrations (component, version, description, applied_at)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![
                            component,
                            m.version,
                            m.description,
                            crate::time::format_unix(crate::time::now_unix())
                        ],
                    )
                })
                .and_then(|_| tx.commit())
                .map_err(|source| Error::Ledger {
                    path: path.clone(),
                    source,
                })?;
            current = m.version;
        }
        Ok(current)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: &str) -> FetchRecord {
        FetchRecord {
            source: "co".into(),
            kind: FetchKind::ExtractJob,
            remote_key: key.into(),
            label: "SAE".into(),
            remote_url: "http://x/file".into(),
            path: "/tmp/a.csv".into(),
            sha256: "00".into(),
            bytes: 3,
            content_type: "text/csv".into(),
            fetched_at: "2024-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn records_survive_reopen_and_migrations_run_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        {
            let mut l = Ledger::open(&path).unwrap();
            assert!(!l.contains("co", FetchKind::ExtractJob, "d/1").unwrap());
            l.record(&rec("d/1")).unwrap();
            l.record(&rec("d/1")).unwrap();
        }
        let l = Ledger::open(&path).unwrap();
        assert!(l.contains("co", FetchKind::ExtractJob, "d/1").unwrap());
        assert!(!l.contains("co", FetchKind::PaymentBatch, "d/1").unwrap());
        assert_eq!(l.records().unwrap().len(), 1);
        assert_eq!(l.schema_version("fetch").unwrap(), FETCH_SCHEMA_VERSION);
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut l = Ledger::open_in_memory().unwrap();
        const V2: &[Migration] = &[
            Migration {
                version: 1,
                description: "a",
                sql: "CREATE TABLE a (x);",
            },
            Migration {
                version: 2,
                description: "b",
                sql: "CREATE TABLE b (x);",
            },
        ];
        assert_eq!(l.migrate("other", V2).unwrap(), 2);
        assert_eq!(l.migrate("other", V2).unwrap(), 2);
        assert!(l.migrate("other", &V2[..1]).is_err());
    }
}

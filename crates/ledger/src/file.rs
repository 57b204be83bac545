//! The ledger file: a SQLite database whose schema is versioned per *component* in a
//! `schema_migrations` table, so each part of Ledgerline keeps its own tables in one file
//! (`fetch` its [`crate::fetches`], `journals` its [`crate::posting`] tables) and brings them
//! up to date with [`Ledger::migrate`] and its own steps.
//!
//! ```
//! use ledgerline_ledger::{Ledger, Migration};
//! use ledgerline_ledger::fetches::FETCH_SCHEMA_VERSION;
//! let dir = tempfile::tempdir().unwrap();
//! let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
//! const JOURNALS: &[Migration] = &[Migration {
//!     version: 1,
//!     description: "journals table",
//!     sql: "CREATE TABLE journals (id INTEGER PRIMARY KEY, fetch_id INTEGER REFERENCES fetches(id));",
//! }];
//! assert_eq!(ledger.migrate("journals", JOURNALS).unwrap(), 1);
//! assert_eq!(ledger.schema_version("fetch").unwrap(), FETCH_SCHEMA_VERSION);
//! ```

use crate::error::{LedgerError, Result};
use crate::fetches::FETCH_MIGRATIONS;
use rusqlite::{Connection, params};
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
            std::fs::create_dir_all(dir).map_err(|source| LedgerError::CreateDir {
                path: dir.into(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| LedgerError::Sql {
            path: path.into(),
            source,
        })?;
        Self::init(conn, path.into())
    }

    /// An in-memory ledger (tests, dry runs).
    pub fn open_in_memory() -> Result<Ledger> {
        let conn = Connection::open_in_memory().map_err(|source| LedgerError::Sql {
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

    pub(crate) fn sql<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&self.conn).map_err(|source| LedgerError::Sql {
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
            return Err(LedgerError::NewerSchema {
                path: self.path.clone(),
                component: component.to_owned(),
                found: current,
                known,
            });
        }
        let mut sorted: Vec<&Migration> = steps.iter().filter(|m| m.version > current).collect();
        sorted.sort_by_key(|m| m.version);
        let path = self.path.clone();
        for m in sorted {
            let tx = self.conn.transaction().map_err(|source| LedgerError::Sql {
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
                            now()
                        ],
                    )
                })
                .and_then(|_| tx.commit())
                .map_err(|source| LedgerError::Sql {
                    path: path.clone(),
                    source,
                })?;
            current = m.version;
        }
        Ok(current)
    }
}

/// The current time as RFC 3339 UTC to the second (`2024-05-31T23:59:59Z`), as every
/// timestamp in the ledger is written.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

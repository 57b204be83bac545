//! The error type of this crate: everything that can go wrong with the ledger file, with
//! the file's path in each message.

use std::path::PathBuf;

/// Why the ledger cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// SQLite refused to open, query or write the file.
    #[error("run ledger {}: {source}", path.display())]
    Sql {
        /// The ledger file (`:memory:` for an in-memory ledger).
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer Ledgerline: a component's schema is past every step
    /// this build knows, so it is refused rather than misread.
    #[error(
        "ledger {} has {component} schema version {found}, newer than this ledgerline knows ({known}); upgrade ledgerline",
        path.display()
    )]
    NewerSchema {
        /// The ledger file.
        path: PathBuf,
        /// The component (`fetch`, `journals` ...).
        component: String,
        /// Its version in the file.
        found: u32,
        /// The newest version this build knows.
        known: u32,
    },
    /// The folder of a new ledger file cannot be created.
    #[error("{}: {source}", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file to hash (a posting run's output) cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with [`LedgerError`].
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

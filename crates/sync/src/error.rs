//! The error type of `ledgerline-sync`: what stops a run before or while it talks to
//! Concur. Problems with single records are findings and outcomes, not errors.

use std::path::PathBuf;

/// Why a sync run could not run (or had to stop).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The input file cannot be opened or read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The CSV input is malformed beyond a single row.
    #[error("{file}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// The csv reader's message.
        message: String,
    },
    /// The Parquet input cannot be read.
    #[error("{file}: reading Parquet: {message}")]
    Parquet {
        /// The file.
        file: String,
        /// Polars' message.
        message: String,
    },
    /// The mapping file is missing, malformed, or lacks the section of this kind.
    #[error("mapping {}: {message}", path.display())]
    Mapping {
        /// The mapping file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The Concur list named by the mapping does not exist.
    #[error("Concur has no list {0:?} (list names are matched exactly; `list_id` takes the id)")]
    NoSuchList(String),
    /// Concur answered something this crate cannot read.
    #[error("{url}: unexpected answer (HTTP {status}): {message}")]
    Unexpected {
        /// The request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// What was wrong, or Concur's message.
        message: String,
    },
    /// Another sync run holds this run ledger (see [`crate::lock`]).
    #[error(
        "the run ledger {} is in use by another sync run ({holder}); wait for it to finish, or give this run another --ledger (lock file {})",
        ledger.display(),
        lock.display()
    )]
    Busy {
        /// The run ledger.
        ledger: PathBuf,
        /// Its sync lock file.
        lock: PathBuf,
        /// Who holds it (`pid N, since T`).
        holder: String,
    },
    /// The option asked for is not something the Concur API of this kind allows.
    #[error("{0}")]
    Unsupported(String),
    /// The HTTP client failed (connection, retries exhausted, tokens).
    #[error(transparent)]
    Fetch(#[from] ledgerline_fetch::Error),
    /// The run ledger failed.
    #[error(transparent)]
    Ledger(#[from] ledgerline_ledger::LedgerError),
}

impl SyncError {
    pub(crate) fn sql(ledger: &ledgerline_ledger::Ledger, source: rusqlite::Error) -> SyncError {
        SyncError::Ledger(ledgerline_ledger::LedgerError::Sql {
            path: ledger.path().to_owned(),
            source,
        })
    }
}

/// `Result` with [`SyncError`].
pub type Result<T, E = SyncError> = std::result::Result<T, E>;

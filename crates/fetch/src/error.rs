//! The error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while talking to Concur or keeping local state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The stored connection can no longer be used (refresh token expired or revoked, or no
    /// connection yet): a person has to run `ledgerline connect` with a new company request token.
    #[error(
        "the Concur connection is no longer valid ({reason}); run `ledgerline connect` again with a new company request token"
    )]
    ReconnectNeeded {
        /// Why, in words (never a secret).
        reason: String,
    },
    /// The token endpoint refused a request.
    #[error("Concur token endpoint: HTTP {status}, {error} (code {code}): {description}")]
    OAuth {
        /// HTTP status.
        status: u16,
        /// Concur's numeric code (0 when absent).
        code: i64,
        /// RFC 6749 error name.
        error: String,
        /// Concur's description.
        description: String,
    },
    /// An API answered with an unexpected status.
    #[error("{method} {url}: HTTP {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Http {
        /// Request method.
        method: String,
        /// Request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// Message from the error body, if any.
        message: String,
    },
    /// No usable answer after every retry: connection refused, reset, timed out.
    #[error("{method} {url}: {message} (gave up after {attempts} attempts)")]
    Transport {
        /// Request method.
        method: String,
        /// Request URL.
        url: String,
        /// Last transport error.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A download could not be completed intact after every retry.
    #[error("download of {url} failed after {attempts} attempts: {message}")]
    Download {
        /// File URL.
        url: String,
        /// Last problem (short body, corrupt zip ...).
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A response body could not be understood.
    #[error("{url}: cannot read the response: {message}")]
    Parse {
        /// Where it came from.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The token store is unsafe or unreadable.
    #[error("token store {}: {message}", path.display())]
    TokenStore {
        /// The store file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The company profile gave an edition this tool does not know.
    #[error(
        "cannot tell the Concur edition from the company profile (marketing name {0:?}); pass --edition professional or --edition standard"
    )]
    UnknownEdition(String),
    /// A configuration value is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// A selected definition does not exist.
    #[error("no extract definition named or with id {wanted:?}; available: {available}")]
    NoSuchDefinition {
        /// What was asked for.
        wanted: String,
        /// What exists.
        available: String,
    },
    /// The run ledger failed (its message names the file).
    #[error(transparent)]
    Ledger {
        /// Why.
        #[from]
        source: ledgerline_ledger::LedgerError,
    },
    /// Another fetch run holds the output folder or the run ledger this run needs: runs are
    /// exclusive per output folder and per ledger (see [`crate::lock`]).
    #[error(
        "the {what} {} is in use by another fetch run ({holder}); {hint} (lock file {})",
        path.display(),
        lock.display()
    )]
    Busy {
        /// `output folder` or `run ledger`.
        what: &'static str,
        /// The folder or ledger file.
        path: PathBuf,
        /// Its lock file.
        lock: PathBuf,
        /// Who holds it.
        holder: crate::lock::Holder,
        /// What to do.
        hint: String,
    },
    /// A local file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

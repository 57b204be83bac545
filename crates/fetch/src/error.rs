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
    /// An asynchronous (v1.2) close was accepted, but the batch was not listed as CLOSED
    /// within the timeout.
    #[error(
        "payment batch {batch}: the v1.2 close was accepted but the batch was not listed as CLOSED within {} s; it may still be closing (the next run fetches it once it is closed)",
        waited.as_secs()
    )]
    BatchCloseTimeout {
        /// The batch (name and id).
        batch: String,
        /// How long the list was watched.
        waited: std::time::Duration,
    },
    /// A download could not be completed intact after every retry.
    #[error("download of {url} failed after {attempts} attempts: {problem}")]
    Download {
        /// File URL.
        url: String,
        /// Last problem (short body, corrupt zip ...).
        problem: DownloadProblem,
        /// Attempts made.
        attempts: u32,
    },
    /// A response body is not the XML or JSON document it should be.
    #[error("{url}: cannot read the response: {problem}")]
    Body {
        /// Where it came from.
        url: String,
        /// What was wrong.
        problem: BodyError,
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
    #[error("token store {}: {problem}", path.display())]
    TokenStore {
        /// The store file.
        path: PathBuf,
        /// What was wrong.
        problem: StoreProblem,
    },
    /// The token store holds no connection for the company asked for: a person has to run
    /// `ledgerline connect` for it (like [`Error::ReconnectNeeded`]).
    #[error(
        "the token store {} has no connection for company {company} ({}); run `ledgerline connect --company {company}` with a company request token of that company",
        store.display(),
        holds(available)
    )]
    UnknownCompany {
        /// The company asked for.
        company: String,
        /// The store file.
        store: PathBuf,
        /// The companies it holds connections for.
        available: Vec<String>,
    },
    /// The token store holds connections for several companies and none was chosen.
    #[error(
        "the token store {} {}; choose one with --company ID (or company_id in the config file)",
        store.display(),
        holds(available)
    )]
    CompanyNotChosen {
        /// The store file.
        store: PathBuf,
        /// The companies it holds connections for.
        available: Vec<String>,
    },
    /// Two sources of one setting disagree (a flag and the config file, or the config file
    /// and the stored connection): nothing is picked silently.
    #[error(
        "{first} disagrees with {second}; {}",
        crate::config::conflict_hint(first, second)
    )]
    Conflict {
        /// The setting with the higher precedence (a flag, the config file).
        first: Box<crate::config::Sourced>,
        /// The other one (the config file, the stored connection).
        second: Box<crate::config::Sourced>,
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

/// "holds connections for A, B" / "holds no connection".
fn holds(available: &[String]) -> String {
    match available {
        [] => "holds no connection".into(),
        [one] => format!("holds a connection for company {one} only"),
        more => format!(
            "holds connections for {} companies: {}",
            more.len(),
            more.join(", ")
        ),
    }
}

/// Why a response body could not be read as the document it should be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Not well-formed XML.
    #[error("XML: {0}")]
    Xml(#[from] roxmltree::Error),
    /// Not JSON.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Well-formed, but without the element the answer must have.
    #[error("no <{0}> element")]
    Missing(String),
}

/// Why one download attempt did not give an intact file (each is worth another try).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadProblem {
    /// The connection broke while the body was coming.
    #[error(
        "connection lost after {got}{} bytes: {source}",
        expected.map(|x| format!(" of {x}")).unwrap_or_default()
    )]
    ConnectionLost {
        /// Bytes received.
        got: u64,
        /// Content-Length, when sent.
        expected: Option<u64>,
        /// The read error.
        source: std::io::Error,
    },
    /// The body is not as long as Content-Length said.
    #[error("body has {got} bytes, Content-Length said {expected}")]
    LengthMismatch {
        /// Bytes received.
        got: u64,
        /// Content-Length.
        expected: u64,
    },
    /// The body is a zip whose directory or entries do not read back intact.
    #[error(transparent)]
    Zip(#[from] ZipProblem),
}

/// What is wrong with a downloaded zip.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZipProblem {
    /// The file could not be read back from the start.
    #[error("reading the downloaded zip back: {0}")]
    Reread(#[source] std::io::Error),
    /// No readable zip directory.
    #[error("not a valid zip: {0}")]
    NotAZip(#[source] zip::result::ZipError),
    /// An entry's header cannot be read.
    #[error("zip entry {index}: {source}")]
    Entry {
        /// Its position in the archive.
        index: usize,
        /// The zip error.
        source: zip::result::ZipError,
    },
    /// An entry's data is short or fails its CRC.
    #[error("zip entry {name}: {source}")]
    EntryData {
        /// The entry's name.
        name: String,
        /// The read error (a CRC mismatch included).
        source: std::io::Error,
    },
}

/// What is wrong with the token store file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreProblem {
    /// Group or others may read or write it: its tokens may have leaked, or it was planted.
    #[error(
        "is readable or writable by group or others (mode {mode:o}); refusing to use it. \
         Fix with `chmod 600` if you trust it, or delete it and run `ledgerline connect` again"
    )]
    NotPrivate {
        /// Its permission bits.
        mode: u32,
    },
    /// It cannot be opened or read.
    #[error("{0}")]
    Unreadable(#[source] std::io::Error),
    /// It is not JSON of a store.
    #[error("not a ledgerline token store ({0}); move it away and run `ledgerline connect` again")]
    NotAStore(#[source] serde_json::Error),
    /// It was written by a newer (or unknown) version of the format.
    #[error(
        "store format version {0} is not supported (this ledgerline reads versions {LEGACY_STORE_VERSION} and {STORE_VERSION})"
    )]
    Version(u64),
    /// The connections cannot be written as JSON.
    #[error("cannot write the store: {0}")]
    Serialize(#[source] serde_json::Error),
    /// Another process held the store's lock for longer than a refresh may take.
    #[error(
        "another process ({holder}) has held its lock {} for more than {} s while \
         refreshing the tokens; try again once it has finished",
        lock.display(),
        wait.as_secs()
    )]
    Busy {
        /// Who holds it.
        holder: crate::lock::Holder,
        /// The lock file.
        lock: PathBuf,
        /// How long this process waited.
        wait: std::time::Duration,
    },
    /// A change was attempted without holding this store's lock.
    #[error("changed without holding its lock {} (the lock given is {})", expected.display(), given.display())]
    NotLocked {
        /// This store's lock file.
        expected: PathBuf,
        /// The lock file that was held.
        given: PathBuf,
    },
}

use crate::store::{LEGACY_STORE_VERSION, STORE_VERSION};

impl Error {
    /// Whether a person has to run `ledgerline connect` (no connection, or no longer a valid
    /// one, for the company asked for).
    pub fn needs_connect(&self) -> bool {
        matches!(
            self,
            Error::ReconnectNeeded { .. } | Error::UnknownCompany { .. }
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The error types of this crate: [`InspectError`] stops an inspection; [`Malformed`] says
//! what is wrong with a canonical journal file (or a line the inspector cannot sum).

use ledgerline_guard::csvfile::CsvError;

/// Everything that can stop an inspection.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// Reading an input failed.
    #[error("{file}: {source}")]
    Io {
        /// The input.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// A canonical journal file is malformed.
    #[error("{file}:{line}: {problem}")]
    Canonical {
        /// The input.
        file: String,
        /// 1-based line (0 when not about one line, e.g. Parquet).
        line: u64,
        /// What is wrong.
        problem: Malformed,
    },
    /// Polars failed to aggregate or read.
    #[error("{context}: {source}")]
    Polars {
        /// What was being done.
        context: String,
        /// Why.
        source: polars::error::PolarsError,
    },
}

/// What is wrong with a canonical journal file, or with one of its lines.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// A JSONL line is not a journal line.
    #[error("{0}")]
    Json(serde_json::Error),
    /// A JSON amount is neither a number, a string nor null.
    #[error("amount {0} is not a number")]
    AmountNotNumber(serde_json::Value),
    /// An amount's text is not a decimal number.
    #[error("amount {0:?} is not a decimal number")]
    Amount(String),
    /// The `dimensions` JSON object cannot be read.
    #[error("dimensions: {0}")]
    Dimensions(serde_json::Error),
    /// A `source_lines` entry is not a number.
    #[error("source line {0:?} is not a number")]
    SourceLine(String),
    /// The `line` column is not a number.
    #[error("line {0:?} is not a number")]
    LineNumber(String),
    /// A `kind` that no journal line kind has.
    #[error(
        "kind {0:?} is not a journal line kind (one of {kinds})",
        kinds = ledgerline_journal::Kind::ALL.map(ledgerline_journal::Kind::as_str).join(", ")
    )]
    UnknownKind(String),
    /// The CSV header lacks a required column.
    #[error("no {0} column in the header")]
    MissingHeaderColumn(&'static str),
    /// The Parquet file lacks a required column.
    #[error("no {0} column")]
    MissingColumn(&'static str),
    /// The CSV cannot be read.
    #[error("{0}")]
    Csv(CsvError),
    /// Something wrong in one Parquet row.
    #[error("row {row}: {problem}")]
    Row {
        /// 1-based row.
        row: u64,
        /// What.
        problem: Box<Malformed>,
    },
    /// An amount the inspector's fixed-point sums cannot hold.
    #[error(
        "journal {journal_id} line {line}: {what} has more than {} decimal places or is too large",
        crate::inspector::SCALE
    )]
    TooPrecise {
        /// Journal id.
        journal_id: String,
        /// Line in the journal.
        line: u32,
        /// `debit` or `credit`.
        what: &'static str,
    },
}

impl InspectError {
    pub(crate) fn polars(context: &str) -> impl FnOnce(polars::error::PolarsError) -> InspectError {
        let context = context.to_owned();
        move |source| InspectError::Polars { context, source }
    }
}

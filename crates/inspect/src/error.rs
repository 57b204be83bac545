//! The error type of this crate.

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
    #[error("{file}:{line}: {message}")]
    Canonical {
        /// The input.
        file: String,
        /// 1-based line (0 when not about one line, e.g. Parquet).
        line: u64,
        /// What is wrong.
        message: String,
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

impl InspectError {
    pub(crate) fn polars(context: &str) -> impl FnOnce(polars::error::PolarsError) -> InspectError {
        let context = context.to_owned();
        move |source| InspectError::Polars { context, source }
    }
}

//! # ledgerline-erp
//!
//! Journals in, files out: one module per target format, all behind the
//! [`ledgerline_journal::pipeline::Sink`] trait. The canonical journal line (`jsonl`, `csv`)
//! is the contract every other format derives from.
//!
//! ```
//! use ledgerline_erp::{Format, create};
//! use ledgerline_journal::pipeline::{convert_reader, ConvertOptions};
//! use ledgerline_journal::Rules;
//! use std::sync::Arc;
//!
//! let mut extract = Vec::new();
//! ledgerline_generate::Generator::new(ledgerline_generate::Options { reports: 2, ..Default::default() })
//!     .write(&mut extract)
//!     .unwrap();
//! let rules = Arc::new(Rules::default());
//! let mut out = Vec::new();
//! {
//!     let mut sink = create(Format::Jsonl, &mut out, &rules).unwrap();
//!     convert_reader("demo.txt", extract.as_slice(), &ConvertOptions::new(rules.clone()), sink.as_mut(), &mut |_| {}).unwrap();
//!     sink.finish().unwrap();
//! }
//! let first: serde_json::Value = serde_json::from_slice(out.split(|b| *b == b'\n').next().unwrap()).unwrap();
//! assert_eq!(first["line"], 1);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod canonical;
pub mod names;
pub mod plaintext;

use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::Sink;
use std::io::Write;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Canonical journal lines, one JSON object per line.
    Jsonl,
    /// Canonical journal lines as CSV.
    Csv,
    /// hledger journal.
    Hledger,
    /// Beancount ledger.
    Beancount,
}

/// A format's name, description and settings, for `ledgerline formats`.
#[derive(Debug, Clone, Copy)]
pub struct FormatInfo {
    /// The `--to` value.
    pub name: &'static str,
    /// The format.
    pub format: Format,
    /// One line.
    pub description: &'static str,
    /// `[formats.<name>]` settings: (key, meaning).
    pub settings: &'static [(&'static str, &'static str)],
}

/// Every format, in the order `ledgerline formats` lists them.
pub const FORMATS: &[FormatInfo] = &[
    FormatInfo {
        name: "jsonl",
        format: Format::Jsonl,
        description: "canonical journal lines, one JSON object per line (the contract the other formats derive from)",
        settings: &[],
    },
    FormatInfo {
        name: "csv",
        format: Format::Csv,
        description: "canonical journal lines as CSV (dimensions as a JSON object, source lines space-separated)",
        settings: &[],
    },
    FormatInfo {
        name: "hledger",
        format: Format::Hledger,
        description: "hledger journal: one transaction per journal, tags for report, employee and source lines",
        settings: &[],
    },
    FormatInfo {
        name: "beancount",
        format: Format::Beancount,
        description: "Beancount ledger: open directives, one transaction per journal, metadata per posting",
        settings: &[],
    },
];

impl Format {
    /// The format named `name` (a `--to` value).
    pub fn parse(name: &str) -> Option<Format> {
        FORMATS.iter().find(|f| f.name == name).map(|f| f.format)
    }

    /// Its `--to` name.
    pub fn name(self) -> &'static str {
        FORMATS
            .iter()
            .find(|f| f.format == self)
            .map(|f| f.name)
            .unwrap_or("?")
    }
}

/// Why a writer cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A `[formats.<name>]` setting is wrong.
    #[error("formats.{format}.{key}: {message}")]
    Invalid {
        /// Format name.
        format: &'static str,
        /// Setting key.
        key: String,
        /// What was expected.
        message: String,
    },
}

/// A writer of `format` into `out`, configured from the rules' `[formats.<name>]` section.
pub fn create<'w, W: Write + 'w>(
    format: Format,
    out: W,
    _rules: &Rules,
) -> Result<Box<dyn Sink + 'w>, SettingsError> {
    Ok(match format {
        Format::Jsonl => Box::new(canonical::JsonlWriter::new(out)),
        Format::Csv => Box::new(canonical::CsvWriter::new(out)),
        Format::Hledger => Box::new(plaintext::HledgerWriter::new(out)),
        Format::Beancount => Box::new(plaintext::BeancountWriter::new(out)),
    })
}

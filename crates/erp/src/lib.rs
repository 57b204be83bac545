//! # ledgerline-erp
//!
//! Journals in, files out: one module per target format, all behind the
//! [`ledgerline_journal::pipeline::Sink`] trait. The canonical journal line (`jsonl`, `csv`)
//! is the contract every other format derives from.
//!
//! The ERP writers (NetSuite, SAP, Oracle FBDI, Dynamics 365, QuickBooks Online and IIF,
//! Xero, Sage Intacct, Parquet) share one path before their own layout ([`common`]): the
//! journal is re-checked at the target's precision ([`check`]), split into balanced parts
//! when it is longer than the target allows ([`split`]), and given deterministic ids derived
//! from the batch and the journal ([`ids`]) so that a re-import is seen as a duplicate. Each
//! module describes its format (`INFO`) and its `[formats.<name>]` settings (`SETTINGS`),
//! which [`FORMATS`] collects, and reads them from the rules file ([`settings`]); the specs
//! are in `schemas/erp/`.
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

mod archive;
pub mod canonical;
pub mod check;
pub mod common;
pub mod currency;
pub mod d365;
pub mod ids;
pub mod iif;
pub mod intacct;
pub mod names;
pub mod netsuite;
pub mod oracle;
pub mod parquet;
pub mod plaintext;
pub mod qbo;
pub mod sap;
pub mod settings;
pub mod split;
pub mod text;
pub mod xero;

pub use text::{Warning, Warnings};

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
    /// NetSuite journal entry CSV import.
    NetSuite,
    /// SAP S/4HANA "Upload General Journal Entries" (F2548), CSV or XLSX.
    Sap,
    /// SAP ACC_DOCUMENT03 IDoc (XML), the BAPI_ACC_DOCUMENT_POST shape.
    SapIdoc,
    /// Oracle Fusion GL_INTERFACE FBDI zip.
    OracleFbdi,
    /// Dynamics 365 Finance general journal entity CSV.
    D365,
    /// QuickBooks Online journal entry import CSV.
    Qbo,
    /// QuickBooks Desktop IIF.
    Iif,
    /// Xero manual journal CSV files.
    Xero,
    /// Sage Intacct journal entry CSV.
    Intacct,
    /// Canonical journal lines as Parquet.
    Parquet,
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
    pub settings: &'static [settings::Setting],
}

/// Every format, in the order `ledgerline formats` lists them. Each module describes its own
/// formats (the `INFO` consts) and settings (`SETTINGS`); this list only collects them.
pub const FORMATS: &[FormatInfo] = &[
    canonical::JSONL,
    canonical::CSV,
    plaintext::HLEDGER,
    plaintext::BEANCOUNT,
    netsuite::INFO,
    sap::INFO,
    sap::IDOC_INFO,
    oracle::INFO,
    d365::INFO,
    qbo::INFO,
    iif::INFO,
    xero::INFO,
    intacct::INFO,
    parquet::INFO,
];

/// The settings of the format named `name`.
pub fn settings_of(name: &str) -> &'static [settings::Setting] {
    FORMATS
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.settings)
        .unwrap_or(&[])
}

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
/// Warnings (a truncated field, a re-rounded amount, a split journal) go to standard error;
/// [`create_with`] takes them instead.
pub fn create<'w, W: Write + Send + 'w>(
    format: Format,
    out: W,
    rules: &Rules,
) -> Result<Box<dyn Sink + Send + 'w>, SettingsError> {
    create_with(format, out, rules, Warnings::stderr())
}

/// [`create`], with the warnings going to `warnings`.
pub fn create_with<'w, W: Write + Send + 'w>(
    format: Format,
    out: W,
    rules: &Rules,
    warnings: Warnings<'w>,
) -> Result<Box<dyn Sink + Send + 'w>, SettingsError> {
    Ok(match format {
        Format::Jsonl => Box::new(canonical::JsonlWriter::new(out)),
        Format::Csv => Box::new(canonical::CsvWriter::new(out)),
        Format::Hledger => Box::new(plaintext::HledgerWriter::new(out)),
        Format::Beancount => Box::new(plaintext::BeancountWriter::new(out)),
        Format::NetSuite => Box::new(netsuite::NetSuiteWriter::new(out, rules, warnings)?),
        Format::Sap => Box::new(sap::SapUploadWriter::new(out, rules, warnings)?),
        Format::SapIdoc => Box::new(sap::SapIdocWriter::new(out, rules, warnings)?),
        Format::OracleFbdi => Box::new(oracle::FbdiWriter::new(out, rules, warnings)?),
        Format::D365 => Box::new(d365::D365Writer::new(out, rules, warnings)?),
        Format::Qbo => Box::new(qbo::QboWriter::new(out, rules, warnings)?),
        Format::Iif => Box::new(iif::IifWriter::new(out, rules, warnings)?),
        Format::Xero => Box::new(xero::XeroWriter::new(out, rules, warnings)?),
        Format::Intacct => Box::new(intacct::IntacctWriter::new(out, rules, warnings)?),
        Format::Parquet => Box::new(parquet::ParquetSink::new(out, rules)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_is_listed_once_with_a_description() {
        let all = [
            Format::Jsonl,
            Format::Csv,
            Format::Hledger,
            Format::Beancount,
            Format::NetSuite,
            Format::Sap,
            Format::SapIdoc,
            Format::OracleFbdi,
            Format::D365,
            Format::Qbo,
            Format::Iif,
            Format::Xero,
            Format::Intacct,
            Format::Parquet,
        ];
        assert_eq!(FORMATS.len(), all.len());
        for f in all {
            let info: Vec<_> = FORMATS.iter().filter(|i| i.format == f).collect();
            assert_eq!(info.len(), 1, "{f:?}");
            assert_eq!(Format::parse(info[0].name), Some(f));
            assert!(!info[0].description.is_empty() && !info[0].description.contains('\n'));
        }
    }

    #[test]
    fn every_listed_setting_is_read() {
        // A float is wrong for every setting: each listed key must be read, and refused by
        // name (a key listed but never read would be silently accepted).
        for f in FORMATS.iter().filter(|f| !f.settings.is_empty()) {
            for (key, _) in f.settings {
                let mut rules = Rules::default();
                let mut section = toml::Table::new();
                if f.format == Format::OracleFbdi && *key != "ledger_id" {
                    section.insert("ledger_id".into(), toml::Value::Integer(1));
                }
                if matches!(f.format, Format::Iif | Format::Xero) && *key != "base_currency" {
                    section.insert("base_currency".into(), toml::Value::String("USD".into()));
                }
                section.insert((*key).to_owned(), toml::Value::Float(0.5));
                rules
                    .formats
                    .insert(f.name.to_owned(), toml::Value::Table(section));
                match create(f.format, Vec::new(), &rules) {
                    Ok(_) => panic!("{}.{key} = 0.5 was accepted", f.name),
                    Err(e) => {
                        let e = e.to_string();
                        assert!(
                            e.starts_with(&format!("formats.{}.{key}:", f.name)),
                            "{}.{key}: {e}",
                            f.name
                        );
                    }
                }
            }
        }
    }
}

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
//! reads its settings from the `[formats.<name>]` section of the rules file ([`settings`]);
//! the specs are in `schemas/erp/`.
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
pub mod zipstream;

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
    pub settings: &'static [(&'static str, &'static str)],
}

const ID_PREFIX: (&str, &str) = (
    "id_prefix",
    "text before the batch and journal in every external id / document number (letters, digits, - _; at most 12)",
);
const BOM: (&str, &str) = (
    "bom",
    "start the file with a UTF-8 byte-order mark (default false)",
);
const DIM_SOURCES: &str = "a dimension name from [dimensions], or employee_id, employee_name, report_id, report_key, journal_id, batch_id, =TEXT, \"\" for none";

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
    FormatInfo {
        name: "netsuite",
        format: Format::NetSuite,
        description: "NetSuite journal entry CSV (Import CSV Records): one row per line, External ID groups an entry",
        settings: &[
            (
                "subsidiary",
                "Subsidiary column value (OneWorld accounts need it; default empty)",
            ),
            (
                "date_format",
                "Date, as your NetSuite user's date preference (default \"MM/DD/YYYY\"; tokens YYYY YY MM M MMM DD D)",
            ),
            (
                "department",
                "where Department comes from (default \"department\"): a dimension name, or employee_id, employee_name, report_id, report_key, journal_id, batch_id, =TEXT, \"\" for none",
            ),
            ("class", "where Class comes from (default \"class\")"),
            (
                "location",
                "where Location comes from (default \"location\")",
            ),
            (
                "name",
                "where Name (the employee/vendor entity) comes from (default \"\": none)",
            ),
            (
                "custom_columns",
                "table: extra column header (e.g. a custom segment's label) -> value source",
            ),
            ID_PREFIX,
            (
                "max_lines",
                "lines per entry before it is split into balanced parts (default 1000, at most NetSuite's 10000)",
            ),
            ("delimiter", "\",\" (default), \";\" or \"\\t\""),
            ("line_ending", "\"crlf\" (default) or \"lf\""),
            BOM,
        ],
    },
    FormatInfo {
        name: "sap",
        format: Format::Sap,
        description: "SAP S/4HANA \"Upload General Journal Entries\" (F2548) template, CSV or XLSX (file_type): Header and Line Items blocks per document",
        settings: &[
            ("company_code", "BUKRS (default \"1000\")"),
            ("document_type", "BLART (default \"SA\")"),
            (
                "date_format",
                "BLDAT/BUDAT, as your SAP user's date format (default \"DD.MM.YYYY\")",
            ),
            (
                "decimal_separator",
                "\".\" (default) or \",\", as your SAP user's number format",
            ),
            (
                "fields",
                "table: line technical field (KOSTL, PRCTR, AUFNR, PS_POSID, SEGMENT, ZUONR, ...) -> value source; default KOSTL=cost_center, PRCTR=profit_center, AUFNR=order, PS_POSID=wbs, SEGMENT=segment, ZUONR=report_key",
            ),
            ID_PREFIX,
            (
                "max_lines",
                "line items per document before it is split (default and most 999, SAP's limit)",
            ),
            (
                "delimiter",
                "\",\" (default, the CSVC template) or \";\" (CSVS)",
            ),
            (
                "file_type",
                "\"csv\" (default) or \"xlsx\", the template's Excel form (one worksheet, text cells for codes, date and number cells; delimiter, decimal_separator, line_ending and bom do not apply)",
            ),
            ("line_ending", "\"crlf\" (default) or \"lf\""),
            BOM,
        ],
    },
    FormatInfo {
        name: "sap-idoc",
        format: Format::SapIdoc,
        description: "SAP ACC_DOCUMENT03 IDoc as XML (BAPI_ACC_DOCUMENT_POST shape): signed AMT_DOCCUR, one IDoc per document",
        settings: &[
            ("company_code", "COMP_CODE (default \"1000\")"),
            ("document_type", "DOC_TYPE (default \"SA\")"),
            ("username", "USERNAME in the header (default \"CONCUR\")"),
            ("sender_port", "EDI_DC40 SNDPOR (default \"CONCUR\")"),
            (
                "sender_partner",
                "EDI_DC40 SNDPRN, the sender's logical system (default \"CONCUR\")",
            ),
            ("receiver_port", "EDI_DC40 RCVPOR (default \"SAPS4H\")"),
            (
                "receiver_partner",
                "EDI_DC40 RCVPRN, SAP's logical system (default \"S4HCLNT100\")",
            ),
            (
                "fields",
                "table: E1BPACGL09 field (FUNC_AREA (4), ALLOC_NMBR, COSTCENTER, PROFIT_CTR, WBS_ELEMENT, ORDERID, FUNC_AREA_LONG (16), SEGMENT) -> value source; default COSTCENTER=cost_center, PROFIT_CTR=profit_center, ORDERID=order, WBS_ELEMENT=wbs, ALLOC_NMBR=report_key",
            ),
            (
                "alpha_conversion",
                "left-pad all-digit GL_ACCOUNT, COSTCENTER, PROFIT_CTR (10) and ORDERID (12) with zeros, SAP's internal format, which IDoc input does not convert to (default true)",
            ),
            ID_PREFIX,
            (
                "max_lines",
                "items per document before it is split (default and most 999)",
            ),
        ],
    },
    FormatInfo {
        name: "oracle-fbdi",
        format: Format::OracleFbdi,
        description: "Oracle Fusion GL journal import (FBDI): headerless GL_INTERFACE rows in GlInterface.csv, zipped",
        settings: &[
            (
                "ledger_id",
                "LEDGER_ID, your ledger's numeric id (this or ledger_name is required)",
            ),
            (
                "ledger_name",
                "LEDGER_NAME (column 92), the ledger's exact name, at most 30 characters (longer is refused, never cut)",
            ),
            (
                "source",
                "USER_JE_SOURCE_NAME, at most 25 characters (default \"Spreadsheet\")",
            ),
            (
                "category",
                "USER_JE_CATEGORY_NAME, at most 25 characters (default \"Adjustment\")",
            ),
            (
                "group_id",
                "GROUP_ID, the number you give Import Journals (default: the batch id when it is a number, else a number derived from it)",
            ),
            (
                "segments",
                "list: SEGMENT1.. values in chart-of-accounts order, each a template of {account}, {account:N} (Nth piece of the account split by segment_separator), {DIMENSION} and text (default [\"{account}\"])",
            ),
            (
                "segment_separator",
                "separator for {account:N} (default \"-\")",
            ),
            (
                "ledger_currency",
                "the ledger's currency: journals in another currency get conversion type and date",
            ),
            (
                "conversion_type",
                "USER_CURRENCY_CONVERSION_TYPE for those journals (default \"Corporate\")",
            ),
            (
                "columns",
                "row width of your template version: 150 (default, 149 columns + END, templates from 23B on), 99 or 95 for older ones",
            ),
            ("end_marker", "put END in the last column (default true)"),
            ID_PREFIX,
            (
                "max_lines",
                "lines per journal before it is split (default 0: no limit)",
            ),
            ("line_ending", "\"lf\" (default) or \"crlf\""),
        ],
    },
    FormatInfo {
        name: "d365",
        format: Format::D365,
        description: "Dynamics 365 Finance general journal entity (DMF) CSV: batch number, voucher, line number, account display value",
        settings: &[
            ("journal_name", "JOURNALNAME (default \"GenJrn\")"),
            (
                "date_format",
                "TRANSDATE (default \"DD-MMM-YYYY\", Microsoft's example)",
            ),
            (
                "dimensions",
                "list: value sources appended to the main account in ACCOUNTDISPLAYVALUE, in your integration format's order (default [])",
            ),
            (
                "dimension_segments",
                "how many dimension segments your active ledger dimensions integration format has: ACCOUNTDISPLAYVALUE gets one per segment, those without a dimensions source empty (3 gives 401100---; default: as many as dimensions lists)",
            ),
            (
                "dimension_separator",
                "separator in ACCOUNTDISPLAYVALUE (default \"-\")",
            ),
            (
                "fintags",
                "list: value sources for FINTAGDISPLAYVALUE (default []: no column)",
            ),
            ("account_type", "ACCOUNTTYPE (default \"Ledger\")"),
            ID_PREFIX,
            (
                "max_lines",
                "lines per voucher before it is split (default 1000)",
            ),
            (
                "batch_lines",
                "lines per JOURNALBATCHNUMBER; vouchers are never cut between batches (default 10000)",
            ),
            ("delimiter", "\",\" (default), \";\" or \"\\t\""),
            ("line_ending", "\"crlf\" (default) or \"lf\""),
            BOM,
        ],
    },
    FormatInfo {
        name: "qbo",
        format: Format::Qbo,
        description: "QuickBooks Online journal entry import CSV: Journal No. groups an entry, Debits and Credits columns",
        settings: &[
            (
                "account_column",
                "what Account Name holds: \"account\" (the account as the rules compose it, e.g. a number; the default, with a warning until you set it) or \"name\" (looked up in account_names; QuickBooks wants names with account numbers turned off)",
            ),
            (
                "account_names",
                "table: account -> QuickBooks account name (Parent:Sub for a sub-account), for account_column = \"name\"; an account missing from it stops the run",
            ),
            (
                "date_format",
                "Journal Date, as your company's region (default \"MM/DD/YYYY\")",
            ),
            (
                "name",
                "where Name (customer/supplier/employee) comes from (default \"\")",
            ),
            (
                "location",
                "where Location comes from (default \"location\")",
            ),
            ("class", "where Class comes from (default \"class\")"),
            (
                "base_currency",
                "your company's home currency: the Currency column is left out (unless currency = true) and a journal in another currency is refused",
            ),
            (
                "currency",
                "write the Currency column (default true, false when base_currency is set; false needs base_currency)",
            ),
            ID_PREFIX,
            (
                "max_lines",
                "lines per entry before it is split (default 0: no limit)",
            ),
            ("delimiter", "\",\" (default) or \";\""),
            ("line_ending", "\"crlf\" (default) or \"lf\""),
            BOM,
        ],
    },
    FormatInfo {
        name: "iif",
        format: Format::Iif,
        description: "QuickBooks Desktop IIF: TRNS/SPL/ENDTRNS GENERAL JOURNAL blocks, signed amounts, tab-delimited",
        settings: &[
            ("date_format", "DATE (default \"MM/DD/YYYY\")"),
            ("name", "where NAME comes from (default \"\")"),
            ("class", "where CLASS comes from (default \"class\")"),
            (
                "encoding",
                "\"utf-8\" (default) or \"windows-1252\" (characters it lacks become ? with a warning)",
            ),
            (
                "base_currency",
                "required: your QuickBooks home currency; IIF carries no currency, so a journal in another is refused",
            ),
            ID_PREFIX,
            (
                "max_lines",
                "lines per transaction before it is split (default 0: no limit)",
            ),
            ("line_ending", "\"crlf\" (default) or \"lf\""),
        ],
    },
    FormatInfo {
        name: "xero",
        format: Format::Xero,
        description: "Xero manual journal import: a zip of CSV files of at most 300 lines, signed Amount, Narration+Date group a journal",
        settings: &[
            (
                "date_format",
                "*Date (default \"DD/MM/YYYY\"; US organisations \"MM/DD/YYYY\")",
            ),
            (
                "tax_rate",
                "*TaxRate, the exact name of your organisation's no-tax rate (default \"Tax Exempt\", with a warning until you set it; UK \"No VAT\", AU \"BAS Excluded\")",
            ),
            (
                "tracking",
                "table: Xero tracking category name -> value source, at most two",
            ),
            (
                "base_currency",
                "required: your organisation's base currency; a journal in another is refused (manual journals carry no currency)",
            ),
            (
                "package",
                "\"zip\" (default: one CSV per 300 lines) or \"csv\" (one file; refused past 300 lines)",
            ),
            ID_PREFIX,
            (
                "max_lines",
                "lines per file (default and most 300, Xero's limit)",
            ),
            ("line_ending", "\"crlf\" (default) or \"lf\""),
            BOM,
        ],
    },
    FormatInfo {
        name: "intacct",
        format: Format::Intacct,
        description: "Sage Intacct GL journal entry CSV: entry fields on its first line, LINE_NO 1..n",
        settings: &[
            ("journal", "JOURNAL symbol (default \"GJ\")"),
            (
                "date_format",
                "DATE, as chosen on the import page (default \"MM/DD/YYYY\")",
            ),
            (
                "dimensions",
                "table: dimension column (LOCATION_ID, DEPT_ID, CLASS_ID, PROJECT_ID, EMPLOYEE_ID, ...) -> value source; default LOCATION_ID=location, DEPT_ID=department",
            ),
            (
                "base_currency",
                "your company's base currency: the CURRENCY column is left out (unless currency = true) and a journal in another currency is refused",
            ),
            (
                "currency",
                "write the CURRENCY column (default true, false when base_currency is set; false needs base_currency)",
            ),
            ID_PREFIX,
            (
                "max_lines",
                "lines per entry before it is split (default 1000)",
            ),
            ("line_ending", "\"crlf\" (default) or \"lf\""),
            BOM,
        ],
    },
    FormatInfo {
        name: "parquet",
        format: Format::Parquet,
        description: "canonical journal lines as Parquet (through polars): exact decimal amounts, a column per dimension",
        settings: &[
            (
                "compression",
                "\"zstd\" (default), \"snappy\" or \"uncompressed\"",
            ),
            ("row_group_lines", "lines per row group (default 65536)"),
        ],
    },
];

/// The settings of the format named `name`.
pub fn settings_of(name: &str) -> &'static [(&'static str, &'static str)] {
    FORMATS
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.settings)
        .unwrap_or(&[])
}

/// The dimension-source help shared by the settings that take one.
pub const VALUE_SOURCES: &str = DIM_SOURCES;

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

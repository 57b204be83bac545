//! # ledgerline-extract
//!
//! Streaming readers for SAP Concur accounting extracts: the Standard Accounting Extract
//! (SAE, Expense), the Payment Request Accounting Extract (PRAE, Invoice), Standard Edition
//! payment-batch files and the Standard Attendee Detail extract, plain or zipped.
//!
//! The core is a sans-IO [`split::Splitter`] fed byte chunks; [`reader::ExtractReader`] drives it
//! from any `Read`, detects the file kind from content and yields typed, zero-copy rows.
//! [`validate`] checks a whole file in one pass with bounded memory. This crate has no
//! accounting knowledge; `ledgerline-journal` turns rows into journals.
//!
//! ```
//! use ledgerline_extract::reader::{ExtractKind, ExtractReader};
//! use ledgerline_extract::schema::SaeCol;
//! use ledgerline_extract::sae::SaeRow;
//!
//! let mut line = vec!["DETAIL", "7", "2024-01-31", "1", "E100"];
//! line.resize(400, "");
//! line[SaeCol::JournalDebitOrCredit.index()] = "DR";
//! line[SaeCol::JournalAmount.index()] = "+12.5000";
//! let file = format!("EXTRACT|2024-01-31|1|12.5000|7\n{}\n", line.join("|"));
//!
//! let mut reader = ExtractReader::new("example.txt", file.as_bytes()).unwrap();
//! assert!(matches!(reader.kind(), ExtractKind::Sae { .. }));
//! let _header = reader.next_record().unwrap().unwrap();
//! let rec = reader.next_record().unwrap().unwrap();
//! let row = SaeRow::new(rec);
//! assert_eq!(row.amount(SaeCol::JournalAmount).unwrap().to_string(), "12.5000");
//! assert_eq!(row.text(SaeCol::EmployeeID), "E100");
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod batch;
pub mod currency;
pub mod detect;
pub mod outputs;
pub mod reader;
pub mod sae;
pub mod schema;
pub mod source;
pub mod split;
pub mod text;
pub mod validate;
pub mod value;

/// Where a record starts in its input (a finding's position: the same type as
/// `ledgerline_findings::Position`).
pub use ledgerline_findings::Position;

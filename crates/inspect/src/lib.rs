//! # ledgerline-inspect
//!
//! What finance engineers look at before posting.
//!
//! - [`inspector`]: journal lines (from the journal pipeline, or read back from canonical
//!   JSONL / CSV / Parquet files by [`read`]) aggregated with polars into a trial balance by
//!   account and dimension, views by employee, report, kind and currency, and the exceptions
//!   worth a look (reconciliation mismatches, personal card charges still owed, cash advances
//!   not applied, suspense lines, rejected lines).
//! - [`table`]: those views as terminal tables that fit the width, CSV and JSON; [`html`]:
//!   one self-contained HTML report with charts and drill-down to the extract lines.
//!
//! The posting guards (chart of accounts, duplicate protection, the in-run gate) are
//! `ledgerline-guard`'s and the run ledger is `ledgerline-ledger`'s; [`read`] checks canonical
//! lines against a chart with the guard crate's `Accounts`.
//!
//! ```
//! use ledgerline_inspect::inspector::{Inspector, Options, View};
//! use ledgerline_journal::pipeline::{convert_reader, ConvertOptions};
//! use ledgerline_journal::Rules;
//! use std::sync::Arc;
//!
//! let mut extract = Vec::new();
//! ledgerline_generate::Generator::new(ledgerline_generate::Options { reports: 5, ..Default::default() })
//!     .write(&mut extract)
//!     .unwrap();
//! let mut inspector = Inspector::new(Options { views: vec![View::Account, View::Kind], ..Options::default() });
//! let opts = ConvertOptions::new(Arc::new(Rules::default()));
//! convert_reader("demo.txt", extract.as_slice(), &opts, &mut inspector, &mut |_| {}).unwrap();
//! let inspection = inspector.finish().unwrap();
//! // Every currency balances: total debits equal total credits.
//! assert!(inspection.currencies.iter().all(|c| c.debit == c.credit));
//! assert!(!inspection.table(View::Account).unwrap().rows.is_empty());
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod error;
pub mod html;
pub mod inspector;
pub mod read;
pub mod table;

pub use error::InspectError;
pub use inspector::{Inspection, Inspector, Options, View};

//! # ledgerline-inspect
//!
//! What finance engineers look at before posting, and what keeps them from posting twice.
//!
//! - [`inspector`]: journal lines (from the journal pipeline, or read back from canonical
//!   JSONL / CSV / Parquet files by [`read`]) aggregated with polars into a trial balance by
//!   account and dimension, views by employee, report, kind and currency, and the exceptions
//!   worth a look (reconciliation mismatches, personal card charges still owed, cash advances
//!   not applied, suspense lines, rejected lines).
//! - [`table`]: those views as terminal tables that fit the width, CSV and JSON; [`html`]:
//!   one self-contained HTML report with charts and drill-down to the extract lines.
//! - [`accounts`]: the target ERP's chart of accounts and dimension values, checked line by
//!   line before anything is written.
//! - [`ledger`]: duplicate protection in the SQLite run ledger (`convert --ledger`).
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

pub mod accounts;
pub mod csv;
pub mod error;
pub mod gate;
pub mod html;
pub mod inspector;
pub mod ledger;
pub mod read;
pub mod table;

pub use error::InspectError;
pub use inspector::{Inspection, Inspector, Options, View};

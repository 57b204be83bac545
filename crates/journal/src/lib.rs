//! # ledgerline-journal
//!
//! SAP Concur extract rows in, balanced double-entry journals out.
//!
//! [`classify`] gives every SAE line exactly one [`model::Kind`] from its payer, payee,
//! debit/credit indicator, personal flag and cash-advance type; [`build::Builder`] groups the
//! postings into journals, adds one aggregated offset line per counterparty, reconciles with
//! Concur's report totals (columns 319 and 320) and rounds once per journal so that it still
//! balances. Each file kind's rows (SAE, PRAE, payment batch) reach the builder through one
//! trait, [`sources::RowSource`]. [`pipeline`] runs validation and conversion in one
//! streaming pass.
//!
//! ```
//! use ledgerline_journal::pipeline::{convert_reader, ConvertOptions, Collect};
//! use ledgerline_journal::rules::Rules;
//! use std::sync::Arc;
//!
//! let mut extract = Vec::new();
//! ledgerline_generate::Generator::new(ledgerline_generate::Options { reports: 3, ..Default::default() })
//!     .write(&mut extract)
//!     .unwrap();
//! let opts = ConvertOptions::new(Arc::new(Rules::default()));
//! let mut out = Collect::default();
//! let report = convert_reader("demo.txt", extract.as_slice(), &opts, &mut out, &mut |_| {}).unwrap();
//! assert_eq!(report.validation.findings.errors(), 0);
//! assert!(out.journals.iter().all(|j| j.is_balanced()));
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod build;
pub mod classify;
pub mod model;
mod parallel;
pub mod pipeline;
pub mod round;
pub mod rules;
pub mod sources;
pub mod survey;
pub mod template;

pub use model::{Counterparty, Journal, JournalLine, Kind, Posting, Side};
pub use rules::Rules;

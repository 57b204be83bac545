//! # ledgerline-guard
//!
//! The posting guards: the checks that stand between the journal pipeline and an output
//! file, so that nothing the ERP would reject and nothing already posted is written.
//!
//! - [`accounts`]: the target ERP's chart of accounts and dimension values (`--accounts`),
//!   checked line by line (`JNL206`, `JNL207`);
//! - [`duplicates`]: each journal judged against what the run ledger records as posted to
//!   the same target (`JNL208` skipped, `JNL209` posted differently);
//! - [`gate`]: a [`Sink`](ledgerline_journal::pipeline::Sink) in front of the output that
//!   holds back the same journal from two inputs of one run (`JNL210`) and every journal the
//!   other two guards refuse, sending its lines to the rejection report;
//! - [`csvfile`]: CSV records with their line numbers, for the chart (and the canonical CSV
//!   journals `ledgerline-inspect` reads back).
//!
//! [`DuplicateCheck`](duplicates::DuplicateCheck) lives here rather than in
//! `ledgerline-ledger` because it is a guard: it judges [`Journal`](ledgerline_journal::Journal)s
//! and reports findings, like the other two, and the [`gate::Gate`] runs all three in order.
//! The ledger crate only stores and reads back records; keeping the journal model and the
//! finding codes out of it lets `ledgerline-fetch` record its downloads there without
//! compiling the journal engine.
//!
//! ```
//! use ledgerline_guard::accounts::Accounts;
//! use ledgerline_guard::gate::Gate;
//! use ledgerline_journal::pipeline::{Collect, ConvertOptions, convert_reader};
//! use ledgerline_journal::Rules;
//! use std::sync::Arc;
//!
//! let mut extract = Vec::new();
//! ledgerline_generate::Generator::new(ledgerline_generate::Options { reports: 3, ..Default::default() })
//!     .write(&mut extract)
//!     .unwrap();
//! // A chart that knows no account at all: every journal is held back.
//! let chart = Accounts::parse("chart.csv", "account\nNOTHING_POSTS_HERE\n").unwrap();
//! let mut out = Collect::default();
//! let mut gate = Gate::new(&mut out, Some(&chart), None);
//! let opts = ConvertOptions::new(Arc::new(Rules::default()));
//! convert_reader("a.txt", extract.as_slice(), &opts, &mut gate, &mut |_| {}).unwrap();
//! assert!(gate.held_journals > 0);
//! assert!(gate.take_findings().iter().all(|f| f.code.to_string() == "JNL206"));
//! assert!(out.journals.is_empty());
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod accounts;
pub mod csvfile;
pub mod duplicates;
pub mod gate;

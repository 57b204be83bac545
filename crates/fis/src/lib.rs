//! # ledgerline-fis
//!
//! SAP Concur's Financial Integration Service (FIS) documents as a Ledgerline input, through
//! the same journal engine as the extract files: a FIS expense report gives the journal its
//! SAE rows give.
//!
//! - [`detect`]: whether an input is FIS JSON, from its first bytes (told apart from
//!   canonical journal lines by its keys);
//! - [`model`]: the envelopes (v4 `content[]` page, v1 `fIDocuments[]` wrapper, a list, one
//!   document, JSON lines) and the expense, cash-advance and invoice payloads, read in one
//!   pass with lenient scalars ([`json`]);
//! - [`map`]: a document as the SAE rows Concur's workbook maps it to, checked field by
//!   field (a missing field is `FIS403` with its JSON path) and reconciled with its own
//!   totals (`FIS405`);
//! - [`rows`]: [`rows::FisRow`], the journal crate's `RowSource` for those rows;
//! - [`convert_reader`]: one input through the journal builder into a sink, as
//!   `ledgerline_journal::pipeline::convert_reader` does for extracts.
//!
//! ```
//! use ledgerline_journal::pipeline::{Collect, ConvertOptions};
//! use std::sync::Arc;
//!
//! let doc = r#"{"id": "0123456789abcdef0123456789abcdef", "docType": "expense", "docStatus": "READY",
//!   "document": {"report": {"reportId": "R1", "employeeCurrencyAlphaCode": "USD", "totalApprovedAmount": 10},
//!     "employee": {"employeeId": "E1"},
//!     "expenseEntry": [{"entryApprovedAmount": 10, "expenseTypeName": "Taxi",
//!       "allocation": [{"journal": [{"journalPayer": "COMP", "journalPayee": "EMPL",
//!         "journalAccountCode": "474230", "amountGross": 10}]}]}]}}"#;
//! let opts = ConvertOptions::new(Arc::new(Default::default()));
//! let mut sink = Collect::default();
//! let r = ledgerline_fis::convert_reader("doc.json", doc.as_bytes(), &opts, &mut sink, &mut |_| {}).unwrap();
//! assert_eq!(r.validation.findings.errors(), 0);
//! let j = &sink.journals[0];
//! assert_eq!(j.id, "R1");
//! assert_eq!(j.lines.len(), 2, "the taxi and the employee payable");
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod convert;
pub mod detect;
mod invoice;
pub mod json;
pub mod map;
pub mod model;
mod paths;
pub mod rows;

pub use convert::{KIND, convert_reader};
pub use detect::{Sniffed, is_fis, sniff};

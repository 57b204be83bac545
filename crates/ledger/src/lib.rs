//! # ledgerline-ledger
//!
//! The SQLite run ledger: one file that remembers what Ledgerline already did, so that a
//! rerun neither downloads nor posts anything twice.
//!
//! - [`file`](mod@file): the [`Ledger`] file itself and its schema, versioned per *component* in a
//!   `schema_migrations` table ([`Migration`]), so each part keeps its own tables in the
//!   same file;
//! - [`fetches`]: component `fetch`, one row per extract job or payment batch file that
//!   `ledgerline fetch` downloaded (with its SHA-256 and path);
//! - [`posting`]: component `journals`, the journals a `convert --ledger` run wrote, recorded
//!   in two steps around the output's rename ([`PostingLedger`]) so that the ledger always
//!   matches the files actually written.
//!
//! This crate only stores and reads back. Judging a journal against what the ledger holds
//! (the same journal again is skipped, `JNL208`; the same id with other lines is refused,
//! `JNL209`) is a posting guard and lives in `ledgerline-guard` (`DuplicateCheck`), next to
//! the chart-of-accounts check and the in-run duplicate gate: it needs the journal model and
//! the finding codes, and keeping them out of here means `ledgerline-fetch` can keep its
//! records in the ledger without compiling the journal engine, and `ledgerline-inspect` can
//! reach the ledger without compiling the HTTP client.
//!
//! ```
//! use ledgerline_ledger::{Ledger, PostingLedger};
//! use ledgerline_ledger::fetches::{FetchKind, FETCH_SCHEMA_VERSION};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("ledger.sqlite");
//! let ledger = Ledger::open(&path).unwrap();
//! assert!(!ledger.contains("company", FetchKind::ExtractJob, "definition/job").unwrap());
//! assert_eq!(ledger.schema_version("fetch").unwrap(), FETCH_SCHEMA_VERSION);
//! // The posting tables live in the same file, next to the fetch records.
//! let posting = PostingLedger::wrap(ledger).unwrap();
//! assert!(posting.list().unwrap().is_empty());
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod error;
pub mod fetches;
pub mod file;
pub mod posting;

pub use error::{LedgerError, Result};
pub use file::{Ledger, Migration};
pub use posting::PostingLedger;

//! # ledgerline-sync
//!
//! ERP master data into SAP Concur, the other half of an ERP integration: cost-object
//! lists (List Item Bulk v4), Invoice vendors (Vendor v3.1), purchase orders (Purchase
//! Order v3) and their receipts (Purchase Order Receipts v3). An export (CSV or Parquet) is read through a `[sync.<kind>]`
//! column mapping ([`mapping`]), checked against Concur's rules (findings `SYN3xx` with
//! file, line and column), diffed by natural key against what Concur holds (read page by
//! page), and the plan is applied only when asked, every record's outcome recorded in the
//! run ledger (component `sync`, [`record`]) with a hash of what was sent.
//!
//! ```no_run
//! use ledgerline_sync::{Api, Mapping, Options, lists};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mut client: ledgerline_fetch::Client = unimplemented!();
//! let mapping = Mapping::load("sync.toml".as_ref())?;
//! let mut ledger = ledgerline_ledger::Ledger::open("ledger.sqlite".as_ref())?;
//! let mut api = Api::new(&mut client);
//! let opts = Options { apply: true, ..Options::default() };
//! let report = lists::sync(&mut api, &mut ledger, "company", &mapping,
//!     "cost-centres.csv".as_ref(), &opts, &mut |line| eprintln!("{line}"))?;
//! println!("{}", report.summary_line());
//! # Ok(()) }
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod common;
pub mod concur;
pub mod error;
pub mod input;
pub mod lists;
pub mod lock;
pub mod mapping;
pub mod purchase_orders;
pub mod receipts;
pub mod record;
pub mod report;
pub mod vendors;

pub use common::covers;
pub use lock::SyncLock;

pub use concur::Api;
pub use error::{Result, SyncError};
pub use mapping::{Kind, Mapping, starter};
pub use report::{Action, Outcome, Report, Status};

/// How a run behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Send the plan (without it nothing is sent).
    pub apply: bool,
    /// Deactivate (or delete) what Concur has and the export no longer does.
    pub delete_missing: bool,
    /// Send nothing when any input row has an error-level finding.
    pub strict: bool,
}

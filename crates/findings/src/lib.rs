//! # ledgerline-findings
//!
//! The finding registry every Ledgerline crate reports into: the [`Check`]s with their stable
//! codes ([`Family`] prefix and number, `SAE110`, `JNL203`), [`Severity`], one [`Finding`] with
//! its position, and the capped collector [`Findings`]. It has no dependency but `serde`, so
//! the readers, the journal builder, the ERP writers and the CLI can all use it.
//!
//! ```
//! use ledgerline_findings::{Check, Family, Finding, Findings, Position, Severity};
//!
//! let mut findings = Findings::with_limit(100);
//! findings.push(
//!     Finding::new(Family::Sae, Check::BadDate, "extract.txt", "Transaction Date: `2024-13-01` is not a valid date")
//!         .at(Position { line: 3, byte: 812 })
//!         .column(64, "Report Entry Transaction Date"),
//! );
//! let f = &findings.items()[0];
//! assert_eq!(f.code.to_string(), "SAE130");
//! assert_eq!(f.severity, Severity::Error);
//! assert_eq!(findings.errors(), 1);
//! assert_eq!(
//!     f.to_string(),
//!     "extract.txt:3: error SAE130 [col 64 Report Entry Transaction Date]: Transaction Date: `2024-13-01` is not a valid date"
//! );
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod check;
mod collect;
mod finding;

pub use check::{Check, Code, Family, Severity};
pub use collect::{Findings, Grouped, LISTED_PER_CODE};
pub use finding::{ColumnRef, Finding, Subject};

/// Where something starts in its input: a record read by the extract readers, and so the
/// line a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Position {
    /// 1-based line number.
    pub line: u64,
    /// 0-based byte offset of the start of the line.
    pub byte: u64,
}

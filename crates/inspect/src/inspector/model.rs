//! The inspector's vocabulary: the views, the options, a journal line as it comes in
//! ([`LineRef`]), and what comes out ([`Inspection`]: totals per currency, the tables, the
//! exceptions, the lines kept for drill-down).

use crate::table::Table;
use ledgerline_journal::Kind;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Amounts are kept as integers of 10^-4 (every ISO 4217 minor unit fits), so sums are exact.
pub const SCALE: u32 = 4;

/// A view of the journals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// Trial balance: debit, credit and net per account, dimensions and currency.
    Account,
    /// Per employee: net due to (or from) the employee, cash advances outstanding,
    /// personal card charges.
    Employee,
    /// Per journal (report): totals, due to the employee and to card programs.
    Report,
    /// Per kind: how much was out-of-pocket, company card, personal on card ...
    Kind,
    /// Per currency: totals and whether debits equal credits.
    Currency,
    /// What needs a look before posting.
    Exceptions,
}

impl View {
    /// Every view, in display order.
    pub const ALL: [View; 6] = [
        View::Account,
        View::Employee,
        View::Report,
        View::Kind,
        View::Currency,
        View::Exceptions,
    ];

    /// The `--by` name.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Account => "account",
            View::Employee => "employee",
            View::Report => "report",
            View::Kind => "kind",
            View::Currency => "currency",
            View::Exceptions => "exceptions",
        }
    }

    /// The view named `s`.
    pub fn parse(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct Options {
    /// Views wanted (the currency totals of the summary are always computed).
    pub views: Vec<View>,
    /// Accounts that are suspense accounts (exact); when empty, any account whose name
    /// contains `suspense` (any case) is.
    pub suspense: Vec<String>,
    /// Journal lines kept per account for drill-down (the HTML report); 0 keeps none.
    pub drill_limit: usize,
    /// Lines per chunk reduced at once.
    pub chunk_lines: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            views: vec![View::Account],
            suspense: Vec::new(),
            drill_limit: 0,
            chunk_lines: 1 << 18,
        }
    }
}

/// One journal line as the inspector reads it, from a journal or a canonical file.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    /// Journal id.
    pub journal_id: &'a str,
    /// Journal date.
    pub date: &'a str,
    /// Line number in the journal.
    pub line: u32,
    /// Account.
    pub account: &'a str,
    /// Debit.
    pub debit: Decimal,
    /// Credit.
    pub credit: Decimal,
    /// Currency.
    pub currency: &'a str,
    /// Kind (`out_of_pocket`, `offset` ...); `None` when a canonical file gives none.
    pub kind: Option<Kind>,
    /// Counterparty (`employee`, `card:<program>` ...).
    pub counterparty: Option<&'a str>,
    /// Employee id.
    pub employee_id: Option<&'a str>,
    /// Employee name (extracts only).
    pub employee_name: Option<&'a str>,
    /// Report id.
    pub report_id: Option<&'a str>,
    /// Report key.
    pub report_key: Option<&'a str>,
    /// Memo.
    pub memo: &'a str,
    /// Dimensions.
    pub dimensions: &'a [(String, String)],
    /// The extract the line came from.
    pub source_file: &'a str,
    /// The extract lines behind it.
    pub source_lines: &'a [u64],
}

/// A journal line kept for drill-down or as an exception.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DetailLine {
    /// Journal id.
    pub journal_id: String,
    /// Date.
    pub date: String,
    /// Line in the journal.
    pub line: u32,
    /// Account.
    pub account: String,
    /// Dimensions as `name=value; ...`.
    pub dimensions: String,
    /// Debit.
    pub debit: Decimal,
    /// Credit.
    pub credit: Decimal,
    /// Currency.
    pub currency: String,
    /// Kind.
    pub kind: String,
    /// Counterparty.
    pub counterparty: Option<String>,
    /// Employee.
    pub employee_id: Option<String>,
    /// Report id.
    pub report_id: Option<String>,
    /// Memo.
    pub memo: String,
    /// Extract file.
    pub source_file: String,
    /// Extract lines.
    pub source_lines: Vec<u64>,
}

/// An exception: something to look at before posting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exception {
    /// `reconciliation`, `unbalanced`, `personal_owed`, `cash_advance_outstanding`,
    /// `suspense`, `rejected`, `account`, `ledger`.
    pub kind: &'static str,
    /// Extract (or journal) file.
    pub file: Option<String>,
    /// Extract line(s).
    pub lines: Vec<u64>,
    /// Journal id.
    pub journal_id: Option<String>,
    /// Employee.
    pub employee_id: Option<String>,
    /// Account.
    pub account: Option<String>,
    /// Amount concerned.
    pub amount: Option<Decimal>,
    /// Currency.
    pub currency: Option<String>,
    /// What it is.
    pub detail: String,
}

/// Totals per currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CurrencyTotal {
    /// Currency.
    pub currency: String,
    /// Total debits.
    pub debit: Decimal,
    /// Total credits.
    pub credit: Decimal,
    /// Journals.
    pub journals: u64,
    /// Lines.
    pub lines: u64,
}

/// The result of an inspection.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Input files, in the order first seen.
    pub files: Vec<String>,
    /// Journals.
    pub journals: u64,
    /// Journal lines.
    pub lines: u64,
    /// Extract lines rejected.
    pub rejected: u64,
    /// Extract lines deliberately not posted.
    pub skipped: u64,
    /// Decimal places shown per currency.
    pub scales: BTreeMap<String, u32>,
    /// Totals per currency.
    pub currencies: Vec<CurrencyTotal>,
    /// Distinct employees, whichever views were computed.
    pub employees: u64,
    /// The tables asked for, in order.
    pub tables: Vec<Table>,
    /// Exceptions (when asked for).
    pub exceptions: Vec<Exception>,
    /// Journal lines kept for drill-down (up to `drill_limit` per account).
    pub detail: Vec<DetailLine>,
    /// Lines not kept for drill-down.
    pub detail_dropped: u64,
}

impl Inspection {
    /// The fixed-point `v` as an amount in `currency`'s display scale.
    pub fn amount(&self, currency: &str, v: i64) -> Decimal {
        let mut d = Decimal::new(v, SCALE);
        let s = self.scales.get(currency).copied().unwrap_or(2);
        d.rescale(s);
        d
    }

    /// The table of `view`, if computed.
    pub fn table(&self, view: View) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == view.as_str())
    }
}

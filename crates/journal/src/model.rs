//! The journal model: postings, journals and their canonical lines.

use ledgerline_extract::value::Date;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// What a line is, accounting-wise. Every extract line gets exactly one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Company pays the employee back for a business expense (cash, IBIP card).
    OutOfPocket,
    /// The employee pays the company back (a refund on a cash expense).
    OutOfPocketCredit,
    /// A business charge on a company-paid card (IBCP, CBCP).
    CompanyCard,
    /// A credit from a company card program (a refund on a card charge).
    CompanyCardCredit,
    /// A personal amount on a company card, and the employee's repayment of it.
    PersonalOnCompanyCard,
    /// Paid by the company directly (COPD).
    CompanyPaid,
    /// A cash advance handed to the employee.
    CashAdvanceIssued,
    /// A cash advance applied against the expenses of a report.
    CashAdvanceApplied,
    /// Unused cash advance given back.
    CashAdvanceReturned,
    /// A system cash advance from a carried-forward balance.
    CashAdvanceCarryForward,
    /// A separate tax (VAT) line.
    Tax,
    /// An aggregated counterparty line created by Ledgerline.
    Offset,
    /// A rounding difference posted to the rules' rounding account.
    Rounding,
    /// An invoice line (PRAE) against its vendor.
    Invoice,
    /// A line of a Standard Edition payment-batch file, taken as written.
    PaymentBatch,
}

impl Kind {
    /// The snake_case name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OutOfPocket => "out_of_pocket",
            Kind::OutOfPocketCredit => "out_of_pocket_credit",
            Kind::CompanyCard => "company_card",
            Kind::CompanyCardCredit => "company_card_credit",
            Kind::PersonalOnCompanyCard => "personal_on_company_card",
            Kind::CompanyPaid => "company_paid",
            Kind::CashAdvanceIssued => "cash_advance_issued",
            Kind::CashAdvanceApplied => "cash_advance_applied",
            Kind::CashAdvanceReturned => "cash_advance_returned",
            Kind::CashAdvanceCarryForward => "cash_advance_carry_forward",
            Kind::Tax => "tax",
            Kind::Offset => "offset",
            Kind::Rounding => "rounding",
            Kind::Invoice => "invoice",
            Kind::PaymentBatch => "payment_batch",
        }
    }

    /// The kind named `s` (its [`Kind::as_str`] name, as written in canonical journal
    /// files), `None` for a name no kind has.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Every kind.
    pub const ALL: [Kind; 15] = [
        Kind::OutOfPocket,
        Kind::OutOfPocketCredit,
        Kind::CompanyCard,
        Kind::CompanyCardCredit,
        Kind::PersonalOnCompanyCard,
        Kind::CompanyPaid,
        Kind::CashAdvanceIssued,
        Kind::CashAdvanceApplied,
        Kind::CashAdvanceReturned,
        Kind::CashAdvanceCarryForward,
        Kind::Tax,
        Kind::Offset,
        Kind::Rounding,
        Kind::Invoice,
        Kind::PaymentBatch,
    ];
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Debit or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Side {
    /// Debit.
    Debit,
    /// Credit.
    Credit,
}

impl Side {
    /// `amount` signed as it moves the balance: positive for a debit, negative for a credit.
    pub fn signed(self, amount: Decimal) -> Decimal {
        match self {
            Side::Debit => amount,
            Side::Credit => -amount,
        }
    }
}

/// Who the implied other side of a line is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counterparty {
    /// The employee (payable, or receivable when negative).
    Employee,
    /// A company card program, by its payment-type name.
    Card(Arc<str>),
    /// The company-paid clearing account.
    CompanyPaid,
    /// The cash-advance side (bank for returns, carry-forward).
    CashAdvance,
    /// A tax authority.
    Tax,
    /// An invoice vendor (PRAE), by vendor code.
    Vendor(Arc<str>),
}

impl fmt::Display for Counterparty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Counterparty::Employee => f.write_str("employee"),
            Counterparty::Card(p) => write!(f, "card:{p}"),
            Counterparty::CompanyPaid => f.write_str("company_paid"),
            Counterparty::CashAdvance => f.write_str("cash_advance"),
            Counterparty::Tax => f.write_str("tax"),
            Counterparty::Vendor(v) => write!(f, "vendor:{v}"),
        }
    }
}

/// One side of a posting, as classified from one extract line (before offsets and rounding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// Classification.
    pub kind: Kind,
    /// The composed account.
    pub account: String,
    /// Debit or credit of `account`.
    pub side: Side,
    /// Exact, non-negative amount.
    pub amount: Decimal,
    /// The implied other side, aggregated into an offset line; `None` when the posting is
    /// already balanced by another posting of the same journal.
    pub counterparty: Option<Counterparty>,
    /// The offset account of that counterparty, composed for this line's employee/program.
    pub offset_account: String,
    /// Human-readable description.
    pub memo: String,
    /// Dimension name -> value (empty values omitted).
    pub dimensions: Vec<(String, String)>,
    /// 1-based extract line.
    pub source_line: u64,
}

/// One line of a finished journal: rounded to the currency's minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    /// 1-based line number within the journal.
    pub line: u32,
    /// Account.
    pub account: String,
    /// Debit amount (zero when a credit).
    pub debit: Decimal,
    /// Credit amount (zero when a debit).
    pub credit: Decimal,
    /// Classification, or [`Kind::Offset`].
    pub kind: Kind,
    /// Counterparty this line is (for offsets) or is offset by (for the others).
    pub counterparty: Option<Counterparty>,
    /// Description.
    pub memo: String,
    /// Dimensions.
    pub dimensions: Vec<(String, String)>,
    /// The extract lines behind this line (all the lines it offsets, for offset lines).
    pub source_lines: Vec<u64>,
}

impl JournalLine {
    /// The line's signed amount (debit positive).
    pub fn signed(&self) -> Decimal {
        self.debit - self.credit
    }
}

/// A balanced journal (one report, one batch or one employee-day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// Stable id (report id, `CA-<key>` for a cash-advance issuance, batch and group).
    pub id: String,
    /// Journal date.
    pub date: Date,
    /// ISO 4217 currency.
    pub currency: String,
    /// Digits of the currency's minor unit (the amounts' scale).
    pub minor_units: u32,
    /// Employee id, when the journal is about one employee.
    pub employee_id: Option<String>,
    /// Employee display name.
    pub employee_name: Option<String>,
    /// Concur report id.
    pub report_id: Option<String>,
    /// Concur report key (or report number).
    pub report_key: Option<String>,
    /// Report name or other title.
    pub title: String,
    /// Batch id of the extract.
    pub batch_id: String,
    /// Display name of the extract file.
    pub source_file: Arc<str>,
    /// The lines, balanced.
    pub lines: Vec<JournalLine>,
}

impl Journal {
    /// Total of the debit column.
    pub fn total_debit(&self) -> Decimal {
        self.lines.iter().map(|l| l.debit).sum()
    }

    /// Total of the credit column.
    pub fn total_credit(&self) -> Decimal {
        self.lines.iter().map(|l| l.credit).sum()
    }

    /// Whether debits equal credits.
    pub fn is_balanced(&self) -> bool {
        self.total_debit() == self.total_credit()
    }

    /// Every extract line behind the journal, sorted and deduplicated.
    pub fn source_lines(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .lines
            .iter()
            .flat_map(|l| l.source_lines.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn kind_names_round_trip_and_match_the_serialized_names() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(Kind::parse("Offset"), None);
        assert_eq!(Kind::parse(""), None);
    }
}

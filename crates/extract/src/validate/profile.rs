//! What differs between SAE and PRAE validation: which columns hold the amount, the
//! debit/credit indicator, the batch id and date, the report key and the report-level values,
//! which are required, and which older layouts are known. The structured validator reads
//! everything it needs about a file kind from its [`Profile`].

use crate::sae::{ColumnError, Header};
use crate::schema::{ColumnDef, PRAE_DETAIL, PraeCol, SAE_DETAIL, SaeCol};
use crate::split::Record;
use ledgerline_findings::Family;

/// What differs between SAE and PRAE validation.
pub(super) struct Profile {
    pub(super) family: Family,
    pub(super) detail: &'static [ColumnDef],
    pub(super) parse_header: fn(Record<'_>) -> Result<Header, ColumnError>,
    /// 0-based index of the journal total in the header.
    pub(super) header_total: usize,
    pub(super) amount: usize,
    /// A second amount column accepted for the header total (PRAE, where it is unclear).
    pub(super) alt_amount: Option<usize>,
    pub(super) dr_cr: usize,
    pub(super) sign_check: bool,
    pub(super) batch_id: Option<usize>,
    pub(super) batch_date: Option<usize>,
    pub(super) sequence: Option<usize>,
    pub(super) group: usize,
    pub(super) group_word: &'static str,
    pub(super) consistency: &'static [usize],
    /// 0-based indexes of the columns every detail row must fill.
    pub(super) required: &'static [usize],
    /// Fewest columns a row may have and still be posted.
    pub(super) min_columns: usize,
    /// Field counts of the older layouts Concur is known to have written.
    pub(super) known_layouts: &'static [usize],
    /// Fields a row needs to carry the report totals the journals are reconciled against.
    pub(super) reconcile_columns: Option<usize>,
}

/// Older SAE layouts: the 2008/2010 specification ended after the Assigned Travel Request
/// section (column 245, `sae-format.md` section 1.7); the current layout grew section by
/// section (section 2), so an older file ends where a section ends.
const SAE_KNOWN_LAYOUTS: &[usize] = &[245, 250, 253, 263, 290, 310, 326, 333, 346, 356];

const SAE_CONSISTENT: &[usize] = &[
    SaeCol::EmployeeID.index(),
    SaeCol::ReportKey.index(),
    SaeCol::EmployeeDefaultCurrencyAlphaCode.index(),
    SaeCol::ReportSubmitDate.index(),
    SaeCol::ReportPaymentProcessingDate.index(),
    SaeCol::PersonalExpenses.index(),
    SaeCol::TotalAmountClaimed.index(),
    SaeCol::AmountDueEmployee.index(),
    SaeCol::AmountDueCompanyCard.index(),
    SaeCol::AmountNotApproved.index(),
    SaeCol::AmountCompanyPaid.index(),
    SaeCol::AmountDueCompany.index(),
    SaeCol::PaymentConfirmedAmount.index(),
    SaeCol::AmountDueEmployeeActual.index(),
    SaeCol::AmountDueCompanyCardActual.index(),
];

/// Required columns, from the schema (checked against it by a test).
const SAE_REQUIRED: &[usize] = &[
    SaeCol::Constant.index(),
    SaeCol::BatchID.index(),
    SaeCol::BatchDate.index(),
    SaeCol::SequenceNumber.index(),
    SaeCol::EmployeeID.index(),
    SaeCol::JournalDebitOrCredit.index(),
    SaeCol::JournalAmount.index(),
];

const PRAE_REQUIRED: &[usize] = &[
    PraeCol::Detail.index(),
    PraeCol::RequestKey.index(),
    PraeCol::DebitOrCredit.index(),
    PraeCol::RequestedAlphaCurrencyCode.index(),
];

pub(super) static SAE_PROFILE: Profile = Profile {
    family: Family::Sae,
    detail: &SAE_DETAIL,
    parse_header: Header::from_sae,
    header_total: crate::schema::SaeHeaderCol::JournalAmountTotal.index(),
    amount: SaeCol::JournalAmount.index(),
    alt_amount: None,
    dr_cr: SaeCol::JournalDebitOrCredit.index(),
    sign_check: true,
    batch_id: Some(SaeCol::BatchID.index()),
    batch_date: Some(SaeCol::BatchDate.index()),
    sequence: Some(SaeCol::SequenceNumber.index()),
    group: SaeCol::ReportID.index(),
    group_word: "report",
    consistency: SAE_CONSISTENT,
    required: SAE_REQUIRED,
    min_columns: SaeCol::CashAdvanceTransactionType.number() as usize,
    known_layouts: SAE_KNOWN_LAYOUTS,
    reconcile_columns: Some(SaeCol::AmountDueCompanyCardActual.number() as usize),
};

const PRAE_CONSISTENT: &[usize] = &[
    PraeCol::RequestID.index(),
    PraeCol::VendorInvoiceNumber.index(),
    PraeCol::InvoiceAmount.index(),
    PraeCol::TotalAmount.index(),
    PraeCol::RequestedAlphaCurrencyCode.index(),
    PraeCol::VendorCode.index(),
];

pub(super) static PRAE_PROFILE: Profile = Profile {
    family: Family::Prae,
    detail: &PRAE_DETAIL,
    parse_header: Header::from_prae,
    header_total: crate::schema::PraeHeaderCol::JournalAmountTotal.index(),
    amount: PraeCol::JournalAmount.index(),
    alt_amount: Some(PraeCol::JournalGrossAmount.index()),
    dr_cr: PraeCol::DebitOrCredit.index(),
    sign_check: false,
    batch_id: None,
    batch_date: None,
    sequence: None,
    group: PraeCol::RequestKey.index(),
    group_word: "invoice",
    consistency: PRAE_CONSISTENT,
    required: PRAE_REQUIRED,
    min_columns: PraeCol::VendorCode.number() as usize,
    known_layouts: &[],
    reconcile_columns: None,
};

/// The SAE report totals journals are reconciled against that a row of `n` fields lacks.
pub(super) fn missing_totals(n: usize) -> String {
    [
        SaeCol::AmountCompanyPaid,
        SaeCol::AmountDueEmployeeActual,
        SaeCol::AmountDueCompanyCardActual,
    ]
    .iter()
    .filter(|c| c.number() as usize > n)
    .map(|c| format!("{} (column {})", SAE_DETAIL[c.index()].name, c.number()))
    .collect::<Vec<_>>()
    .join(", ")
}

#[cfg(test)]
mod profile_tests {
    use super::*;

    #[test]
    fn required_lists_match_the_schemas() {
        for (p, table) in [
            (&SAE_PROFILE, &SAE_DETAIL[..]),
            (&PRAE_PROFILE, &PRAE_DETAIL[..]),
        ] {
            let want: Vec<usize> = table
                .iter()
                .enumerate()
                .filter(|(_, d)| d.required)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(p.required, want.as_slice());
        }
    }
}

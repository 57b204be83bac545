//! The rows journals are built from, whatever their file kind: the [`RowSource`] trait and
//! its implementations for SAE, PRAE and payment-batch rows.
//!
//! A source turns one detail row into the builder's [`RowFacts`] (where the row belongs) and
//! an [`Outcome`] (what it posts), so the pipeline runs one generic path for every file kind;
//! [`RowError`] says, typed, why a row gives no posting.

use crate::build::{Outcome, RowFacts};
use crate::classify::{self, Classified, ClassifyError, Tag};
use crate::model::{Counterparty, Kind, Posting, Side};
use crate::rules::{PraeAmount, Rules};
use crate::template::{Values, Var};
use ledgerline_extract::batch::{AmountError, BatchField, BatchRow};
use ledgerline_extract::sae::{ColumnError, Header, PraeRow, SaeRow};
use ledgerline_extract::schema::{PraeCol as P, SaeCol as C};
use ledgerline_extract::value::{self, Date};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::sync::Arc;

/// One detail row of an input, as the journal builder sees it.
///
/// The pipeline reads, splits and validates a row, then asks its source for two things, in
/// one generic path for every file kind (static dispatch, monomorphised per row type: no
/// `Box<dyn>` and no allocation per row for the dispatch, so the hot path costs what a
/// hand-written match did):
///
/// - [`facts`](RowSource::facts): *where the row belongs*. The journal it goes to (its
///   [`RowFacts::group_id`], or [`RowFacts::standalone_key`] for a row outside any group),
///   the journal's header values (employee, currency, title, batch, dates) and Concur's own
///   totals for its report (`due_*`, `company_paid`), against which the journal is
///   reconciled. Asked of every detail row, well-formed or not, so that even a row that is
///   rejected is listed under the journal it would have gone to.
/// - [`outcome`](RowSource::outcome): *what the row posts*. [`Outcome::Postings`] (one or
///   more sides of a posting, each with its implied counterparty, aggregated by the builder
///   into offset lines), [`Outcome::Skipped`] for a row deliberately not posted (the reason
///   becomes a JNL205 notice and a `skipped` line of the rejection report), or `Err` for a
///   row that cannot be posted (a JNL201 error; its whole journal is held back). Asked only
///   of rows whose field count validation accepted.
///
/// # What an implementation must guarantee
///
/// - **No panic, whatever the row holds**: an absent or unreadable column reads as empty in
///   the facts, and as an `Err` in the outcome when the posting needs it. Never a guess: an
///   amount, side or account that cannot be read is an error, not a zero or a default.
/// - **Facts are cheap**: they are built for every row, so text borrows from the row
///   (`Cow::Borrowed`) wherever it needs no decoding or composing; the builder copies them
///   only for a row that starts a journal.
/// - **Facts are consistent within a group**: rows of one journal share its `group_id`;
///   the journal's header values and a report's totals are taken from its first row (and
///   the totals of one `report_id` are the same on each of its rows, as Concur writes them).
/// - **Postings are exact and non-negative**: `amount` unrounded (the builder rounds once
///   per journal) and at least zero with the direction in `side`; `source_line` the row's
///   1-based line. A posting with `counterparty: None` is balanced by other lines of the
///   file itself (a payment-batch file carries its own offsets): if those do not balance,
///   the journal is held back.
/// - **Never `Outcome::Failed`**: that variant is the pipeline's, made from the `Err`.
/// - **Deterministic**: the same row and rules give the same facts and outcome.
///
/// Implemented by [`SaeRow`], [`PraeRow`] and [`BatchRow`] here, and by `FisRow` in
/// `ledgerline-fis` (FIS documents, read by that crate's own reader into the same builder).
/// A new delimited file kind adds its row type, an implementation, a [`RowError`] variant
/// for its own error type, and one arm in `pipeline::build_stage` that wraps the record in
/// its row type (plus the reader's `ExtractKind` for the file).
pub trait RowSource<'a> {
    /// Where the row belongs: its journal, the journal's header values and its report's
    /// totals. Text borrows from the row (lifetime `'a`) where it can.
    fn facts(&self, ctx: &RowContext<'_>) -> RowFacts<'a>;

    /// What the row posts (or why it is not posted); only asked of a well-formed row.
    fn outcome(&self, ctx: &RowContext<'_>) -> Result<Outcome, RowError>;
}

/// What a [`RowSource`] may need besides the row: the rules, and the file's header.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'c> {
    /// The rules of the run.
    pub rules: &'c Rules,
    /// The file's header record once read (a PRAE file's batch id and date).
    pub header: Option<&'c Header>,
}

/// Why a row gives no posting: a JNL201 error on the row, and its journal held back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// Validation found the row malformed (its field count), so its columns cannot be
    /// trusted; the row's own validation error, if any, is the reason given instead.
    #[error("the row is malformed")]
    Malformed,
    /// An SAE line fits no kind.
    #[error(transparent)]
    Classify(#[from] ClassifyError),
    /// A PRAE invoice line cannot be posted.
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
    /// A payment-batch line cannot be posted.
    #[error(transparent)]
    BatchLine(#[from] BatchLineError),
}

/// Why a PRAE invoice line cannot be posted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// A value could not be read.
    #[error(transparent)]
    Value(#[from] ColumnError),
    /// Neither the allocation account (column 68) nor the journal account (61) is given.
    #[error("the line has no account (columns 61 and 68 are empty)")]
    NoAccount,
    /// The vendor code (column 165) is empty.
    #[error("the line has no vendor code (column 165)")]
    NoVendorCode,
    /// With `[prae] amount = "net"`: the net and shipping exceed the gross amount.
    #[error(
        "gross amount {gross} is less than net {net} plus shipping {shipping}; cannot split out the tax"
    )]
    TaxBelowZero {
        /// Column 63.
        gross: Decimal,
        /// Column 62.
        net: Decimal,
        /// Column 58.
        shipping: Decimal,
    },
}

/// Why a payment-batch line cannot be posted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchLineError {
    /// The account column is empty.
    #[error("the account is empty")]
    NoAccount,
    /// The amount is empty or unreadable (never read as a zero).
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// Neither the date column nor `[batch] date` gives a date.
    #[error("the line has no posting date (see the date column and `[batch] date`)")]
    NoDate,
}

/// The trimmed text, `None` when empty; borrowed unless the field needed decoding.
fn opt(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let t = trim(s);
    (!t.is_empty()).then_some(t)
}

fn trim(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) if o.trim().len() == o.len() => Cow::Owned(o),
        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
    }
}

fn date(r: Result<Option<Date>, impl std::fmt::Debug>) -> Option<Date> {
    r.ok().flatten()
}

/// An SAE `DETAIL` row: one side of a posting, classified by [`classify::classify`].
impl<'a> RowSource<'a> for SaeRow<'a> {
    fn facts(&self, _ctx: &RowContext<'_>) -> RowFacts<'a> {
        sae_facts(self)
    }

    fn outcome(&self, ctx: &RowContext<'_>) -> Result<Outcome, RowError> {
        Ok(match classify::classify(self, ctx.rules)? {
            Classified::Posting(p, _) if p.amount.is_zero() => {
                Outcome::Skipped("the journal amount is zero; there is nothing to post".into())
            }
            Classified::Posting(p, tag) => Outcome::Postings(vec![(*p, tag)]),
            Classified::Skipped(why) => Outcome::Skipped(why),
        })
    }
}

fn sae_facts<'a>(row: &SaeRow<'a>) -> RowFacts<'a> {
    let rec = row.record();
    let report_id = opt(row.text(C::ReportID));
    let currency = [
        C::EmployeeDefaultCurrencyAlphaCode,
        C::CashAdvanceCurrencyAlphaCode,
        C::ReportEntryCurrencyAlphaCode,
    ]
    .iter()
    .map(|c| trim(row.text(*c)))
    .find(|c| !c.is_empty())
    .unwrap_or_default();
    let title = match opt(row.text(C::ReportName)) {
        Some(t) => t,
        None => opt(row.text(C::CashAdvanceName)).unwrap_or(Cow::Borrowed("Cash advance")),
    };
    let name = classify::employee_name(row);
    RowFacts {
        line: rec.position().line,
        byte: rec.position().byte,
        group_id: report_id.clone().unwrap_or_default(),
        standalone_key: trim(row.text(C::CashAdvanceKey)),
        report_id,
        report_key: opt(row.text(C::ReportKey)),
        employee_id: opt(row.text(C::EmployeeID)),
        employee_name: (!name.is_empty()).then_some(Cow::Owned(name)),
        currency,
        title,
        batch_id: trim(row.text(C::BatchID)),
        batch_date: date(row.date(C::BatchDate)),
        submit_date: date(row.date(C::ReportSubmitDate)),
        processing_date: date(row.date(C::ReportPaymentProcessingDate)),
        entry_date: date(row.date(C::ReportEntryTransactionDate))
            .or(date(row.date(C::CashAdvanceIssuedDate))),
        due_employee: row.opt_amount(C::AmountDueEmployeeActual).ok().flatten(),
        due_card: row.opt_amount(C::AmountDueCompanyCardActual).ok().flatten(),
        due_vendor: None,
        company_paid: row.opt_amount(C::AmountCompanyPaid).ok().flatten(),
        group_seen: None,
    }
}

struct PraeValues<'r, 'a> {
    row: &'r PraeRow<'a>,
    account: String,
}

impl Values for PraeValues<'_, '_> {
    fn column(&self, _col: C) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
    fn var(&self, var: Var) -> Cow<'_, str> {
        let r = self.row;
        match var {
            Var::Account => Cow::Borrowed(&self.account),
            Var::EmployeeId => r.text(P::EmployeeID),
            Var::ReportId => r.text(P::RequestID),
            Var::ReportKey => r.text(P::RequestKey),
            Var::ReportName => r.text(P::Title),
            Var::ExpenseType => r.text(P::LineItemExpenseTypeName),
            Var::Vendor => r.text(P::VendorName),
            Var::Description => r.text(P::LineItemDescription),
            Var::VendorCode => r.text(P::VendorCode),
            Var::Kind => Cow::Borrowed("invoice"),
            _ => Cow::Borrowed(""),
        }
    }
}

/// A PRAE `DETAIL` row: an invoice line against its vendor (the header gives the batch id
/// and date).
impl<'a> RowSource<'a> for PraeRow<'a> {
    fn facts(&self, ctx: &RowContext<'_>) -> RowFacts<'a> {
        prae_facts(self, ctx.header)
    }

    fn outcome(&self, ctx: &RowContext<'_>) -> Result<Outcome, RowError> {
        Ok(prae_outcome(self, ctx.rules)?)
    }
}

fn prae_facts<'a>(row: &PraeRow<'a>, header: Option<&Header>) -> RowFacts<'a> {
    let rec = row.record();
    let key = trim(row.text(P::RequestKey));
    let first = opt(row.text(P::EmployeeFirstName)).unwrap_or_default();
    let last = opt(row.text(P::EmployeeLastName)).unwrap_or_default();
    let name = format!("{last}, {first}")
        .trim_matches([',', ' '])
        .to_owned();
    RowFacts {
        line: rec.position().line,
        byte: rec.position().byte,
        group_id: key.clone(),
        standalone_key: Cow::Borrowed(""),
        report_id: Some(opt(row.text(P::RequestID)).unwrap_or_else(|| key.clone())),
        report_key: Some(key).filter(|k| !k.is_empty()),
        employee_id: opt(row.text(P::EmployeeID)),
        employee_name: (!name.is_empty()).then_some(Cow::Owned(name)),
        currency: trim(row.text(P::RequestedAlphaCurrencyCode)),
        title: opt(row.text(P::Title)).unwrap_or_default(),
        batch_id: Cow::Owned(header.map(|h| h.batch_id.clone()).unwrap_or_default()),
        batch_date: header.map(|h| h.batch_date),
        submit_date: date(row.date(P::SubmitDate)),
        processing_date: header.map(|h| h.batch_date),
        entry_date: date(row.date(P::InvoiceDate)),
        due_employee: None,
        due_card: None,
        due_vendor: row.opt_amount(P::TotalAmount).ok().flatten(),
        company_paid: None,
        group_seen: None,
    }
}

/// Postings of a PRAE row: the line (gross, or net plus shipping and tax) against the vendor.
fn prae_outcome(row: &PraeRow<'_>, rules: &Rules) -> Result<Outcome, InvoiceError> {
    let side = match row.dr_cr(P::DebitOrCredit)? {
        value::DebitCredit::Debit => Side::Debit,
        value::DebitCredit::Credit => Side::Credit,
    };
    let alloc = row.text(P::AllocationAccountCode);
    let natural = if alloc.trim().is_empty() {
        row.text(P::JournalAccountCode)
    } else {
        alloc
    };
    let natural = natural.trim();
    if natural.is_empty() {
        return Err(InvoiceError::NoAccount);
    }
    let vendor_code = row.text(P::VendorCode).trim().to_owned();
    if vendor_code.is_empty() {
        return Err(InvoiceError::NoVendorCode);
    }
    let mut vals = PraeValues {
        row,
        account: rules.map_account(natural).to_owned(),
    };
    let account = rules.account.render(&vals);
    vals.account = account.clone();
    let cp = Counterparty::Vendor(Arc::from(vendor_code.as_str()));
    let offset_account = rules.vendor.render(&vals);
    let memo = rules.memo.render(&vals);
    let dims = classify::dimensions(rules, &vals);
    let line = row.line();
    let mk = |account: String, amount: Decimal, memo: String| {
        (
            Posting {
                kind: Kind::Invoice,
                account,
                side,
                amount,
                counterparty: Some(cp.clone()),
                offset_account: offset_account.clone(),
                memo,
                dimensions: dims.clone(),
                source_line: line,
            },
            Tag::None,
        )
    };
    let gross = row.amount(P::JournalGrossAmount)?.abs();
    let mut out = Vec::new();
    match rules.prae_amount {
        PraeAmount::Gross => out.push(mk(account, gross, memo)),
        PraeAmount::Net => {
            let net = row.amount(P::JournalAmount)?.abs();
            let shipping = row
                .opt_amount(P::ProratedShipping)?
                .unwrap_or_default()
                .abs();
            let tax = gross - net - shipping;
            if tax.is_sign_negative() && !tax.is_zero() {
                return Err(InvoiceError::TaxBelowZero {
                    gross,
                    net,
                    shipping,
                });
            }
            out.push(mk(account, net, memo.clone()));
            if !shipping.is_zero() {
                out.push(mk(
                    rules.prae_shipping.render(&vals),
                    shipping,
                    format!("shipping: {memo}"),
                ));
            }
            if !tax.is_zero() {
                out.push(mk(
                    rules.prae_tax.render(&vals),
                    tax,
                    format!("tax: {memo}"),
                ));
            }
        }
    }
    out.retain(|(p, _)| !p.amount.is_zero());
    if out.is_empty() {
        return Ok(Outcome::Skipped(
            "the journal amount is zero; there is nothing to post".into(),
        ));
    }
    Ok(Outcome::Postings(out))
}

/// A row of a Standard Edition payment-batch file, under its column mapping: a line taken as
/// written (the file may carry its own offsets).
impl<'a> RowSource<'a> for BatchRow<'a, '_> {
    fn facts(&self, ctx: &RowContext<'_>) -> RowFacts<'a> {
        batch_facts(self, ctx.rules)
    }

    fn outcome(&self, ctx: &RowContext<'_>) -> Result<Outcome, RowError> {
        Ok(batch_outcome(self, ctx.rules)?)
    }
}

fn batch_facts<'a>(row: &BatchRow<'a, '_>, rules: &Rules) -> RowFacts<'a> {
    let rec = row.record();
    let t = |f: BatchField| Some(row.text(f)).filter(|s| !s.is_empty()).map(Cow::Owned);
    let claim = row.text(BatchField::ClaimId);
    // The row's date, or the mapping's fixed date; a row without either is rejected by
    // validation (and a file without both a date column and a fixed date is refused).
    let d = row.date().ok().flatten();
    let name = match (
        t(BatchField::EmployeeLastName),
        t(BatchField::EmployeeFirstName),
    ) {
        (Some(l), Some(f)) => Some(Cow::Owned(format!("{l}, {f}"))),
        (l, f) => l.or(f),
    };
    RowFacts {
        line: rec.position().line,
        byte: rec.position().byte,
        group_id: Cow::Owned(if claim.is_empty() {
            "BATCH".into()
        } else {
            claim.clone()
        }),
        standalone_key: Cow::Borrowed(""),
        report_id: Some(Cow::<str>::Owned(claim)).filter(|c| !c.is_empty()),
        report_key: None,
        employee_id: t(BatchField::EmployeeId),
        employee_name: name,
        currency: t(BatchField::Currency).unwrap_or_else(|| {
            Cow::Owned(rules.batch.currency.clone().unwrap_or_else(|| "USD".into()))
        }),
        title: t(BatchField::Description).unwrap_or_default(),
        batch_id: t(BatchField::BatchId).unwrap_or_default(),
        batch_date: d,
        submit_date: d,
        processing_date: d,
        entry_date: d,
        due_employee: None,
        due_card: None,
        due_vendor: None,
        company_paid: None,
        group_seen: None,
    }
}

fn batch_outcome(row: &BatchRow<'_, '_>, rules: &Rules) -> Result<Outcome, BatchLineError> {
    let account_code = row.text(BatchField::AccountCode);
    if account_code.is_empty() {
        return Err(BatchLineError::NoAccount);
    }
    // An empty or unreadable amount is an error, never a zero.
    let signed = row.signed_amount()?;
    if row.date().ok().flatten().is_none() {
        return Err(BatchLineError::NoDate);
    }
    if signed.is_zero() {
        return Ok(Outcome::Skipped(
            "the amount is zero; there is nothing to post".into(),
        ));
    }
    let account = rules.map_account(&account_code).to_owned();
    let memo = [
        row.text(BatchField::Description),
        row.text(BatchField::PaymentCode),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    Ok(Outcome::Postings(vec![(
        Posting {
            kind: Kind::PaymentBatch,
            account,
            side: if signed > Decimal::ZERO {
                Side::Debit
            } else {
                Side::Credit
            },
            amount: signed.abs(),
            counterparty: None,
            offset_account: String::new(),
            memo,
            dimensions: Vec::new(),
            source_line: row.record().position().line,
        },
        Tag::None,
    )]))
}

//! Adapters from each file kind's rows to the builder's [`RowFacts`] and [`Outcome`].

use crate::build::{Outcome, RowFacts};
use crate::classify::{self, Classified, Tag};
use crate::model::{Counterparty, Kind, Posting, Side};
use crate::rules::{PraeAmount, Rules};
use crate::template::{Values, Var};
use ledgerline_extract::batch::{BatchField, BatchRow};
use ledgerline_extract::sae::{Header, PraeRow, SaeRow};
use ledgerline_extract::schema::{PraeCol as P, SaeCol as C};
use ledgerline_extract::value::{self, Date};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::sync::Arc;

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

/// Facts of an SAE row.
pub fn sae_facts<'a>(row: &SaeRow<'a>) -> RowFacts<'a> {
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
    }
}

/// Classifies an SAE row into an outcome; the error text is returned for a finding.
pub fn sae_outcome(row: &SaeRow<'_>, rules: &Rules) -> Result<Outcome, classify::ClassifyError> {
    match classify::classify(row, rules) {
        Ok(Classified::Posting(p, _)) if p.amount.is_zero() => Ok(Outcome::Skipped(
            "the journal amount is zero; there is nothing to post".into(),
        )),
        Ok(Classified::Posting(p, tag)) => Ok(Outcome::Postings(vec![(*p, tag)])),
        Ok(Classified::Skipped(why)) => Ok(Outcome::Skipped(why)),
        Err(e) => Err(e),
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

/// Facts of a PRAE row (`header` gives the batch id and date).
pub fn prae_facts<'a>(row: &PraeRow<'a>, header: Option<&Header>) -> RowFacts<'a> {
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
    }
}

/// Postings of a PRAE row: the line (gross, or net plus shipping and tax) against the vendor.
pub fn prae_outcome(row: &PraeRow<'_>, rules: &Rules) -> Result<Outcome, String> {
    let side = match row.dr_cr(P::DebitOrCredit).map_err(|e| e.to_string())? {
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
        return Err("the line has no account (columns 61 and 68 are empty)".into());
    }
    let vendor_code = row.text(P::VendorCode).trim().to_owned();
    if vendor_code.is_empty() {
        return Err("the line has no vendor code (column 165)".into());
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
    let gross = row
        .amount(P::JournalGrossAmount)
        .map_err(|e| e.to_string())?
        .abs();
    let mut out = Vec::new();
    match rules.prae_amount {
        PraeAmount::Gross => out.push(mk(account, gross, memo)),
        PraeAmount::Net => {
            let net = row
                .amount(P::JournalAmount)
                .map_err(|e| e.to_string())?
                .abs();
            let shipping = row
                .opt_amount(P::ProratedShipping)
                .map_err(|e| e.to_string())?
                .unwrap_or_default()
                .abs();
            let tax = gross - net - shipping;
            if tax.is_sign_negative() && !tax.is_zero() {
                return Err(format!(
                    "gross amount {gross} is less than net {net} plus shipping {shipping}; cannot split out the tax"
                ));
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

/// Facts of a payment-batch row.
pub fn batch_facts<'a>(row: &BatchRow<'a, '_>, rules: &Rules) -> RowFacts<'a> {
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
    }
}

/// The line of a payment-batch row, taken as written (the file may carry its own offsets).
pub fn batch_outcome(row: &BatchRow<'_, '_>, rules: &Rules) -> Result<Outcome, String> {
    let account_code = row.text(BatchField::AccountCode);
    if account_code.is_empty() {
        return Err("the account is empty".into());
    }
    // An empty or unreadable amount is an error, never a zero.
    let signed = row.signed_amount().map_err(|e| e.message)?;
    if row.date().ok().flatten().is_none() {
        return Err("the line has no posting date (see the date column and `[batch] date`)".into());
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

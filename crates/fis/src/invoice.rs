//! Invoice documents (`docType` `invoice`) as PRAE rows: one row per journal of a line
//! item's allocation, against the document's vendor, with the request's total (PRAE column
//! 10) for the builder to reconcile the lines with. The allocation's `journal` is an object
//! in Concur's example and a list elsewhere: both are read. A journal without its own
//! amount posts the line item's `amountGross` shared by the allocation's percentage.

use crate::json;
use crate::map::{Map, Mapped, Place, sign_side};
use crate::model::{Invoice, InvoiceJournal, LineItem};
use crate::rows::{Layout, SaeLine, money};
use ledgerline_extract::sae::Header;
use ledgerline_extract::schema::PraeCol as P;
use ledgerline_findings::Check;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The rows of an invoice document.
pub fn invoice<'a>(doc: &Invoice<'a>, place: &Place<'_>) -> Mapped<'a> {
    let mut m = Map::new(place);
    let path = &place.path;
    let mut base = SaeLine::new(Layout::Prae);
    let Some(h) = &doc.header else {
        let why = m.problem(
            Check::FisMissing,
            place.doc_at,
            format!("{path}.requestHeader: missing (the invoice is the journal)"),
        );
        m.hold(why);
        return m.out;
    };
    let p = |k: &str| format!("{path}.requestHeader.{k}");
    let key = m
        .text(h.key, || p("reqKey"))
        .or_else(|| m.text(h.id, || p("requestId")));
    match key {
        Some(k) => base.set_prae(P::RequestKey, Some(k)),
        None => {
            let why = m.problem(
                Check::FisMissing,
                place.doc_at,
                format!(
                    "{}: missing (and no requestId: the journal's id)",
                    p("reqKey")
                ),
            );
            m.hold(why);
        }
    }
    base.set_prae(P::RequestID, m.text(h.id, || p("requestId")));
    base.set_prae(P::Title, m.text(h.title, || p("requestTitle")));
    base.set_prae(
        P::Description,
        m.text(h.description, || p("requestDescription")),
    );
    base.set_prae(
        P::VendorInvoiceNumber,
        m.text(h.vendor_invoice_number, || p("vendorInvoiceNumber")),
    );
    base.set_prae(P::LedgerCode, m.text(h.ledger, || p("ledgerCode")));
    match m.required_text(h.currency, place.doc_at, || p("currencyAlphaCode")) {
        Ok(c) => base.set_prae(P::RequestedAlphaCurrencyCode, Some(c)),
        Err(why) => m.hold(why),
    }
    let invoice_date = m.date(h.invoice_date, || p("invoiceDate"));
    let submit = m.date(h.submit_date, || p("submitDate"));
    let posting = m.date(h.posting_date, || p("postingDate"));
    base.set_prae(P::InvoiceDate, invoice_date.clone());
    base.set_prae(P::SubmitDate, submit.clone());
    base.set_prae(
        P::PaymentDueDate,
        m.date(h.due_date, || p("paymentDueDate")),
    );
    if let Ok(Some(t)) = m.amount(h.total, || p("requestTotal")) {
        base.set_prae(P::TotalAmount, Some(money(t)));
    }
    // An invoice has no batch: its journals are dated by the posting date, else the
    // submit or invoice date (the header record a PRAE file would carry).
    let batch_date = posting
        .or(submit)
        .or(invoice_date)
        .and_then(|d| json::parse_date(&d));
    m.out.header = batch_date.map(|d| Header {
        batch_date: d,
        record_count: 0,
        journal_total: Decimal::ZERO,
        batch_id: String::new(),
    });
    if let Some(o) = &doc.owner {
        let q = |k: &str| format!("{path}.ownerEmployee.{k}");
        base.set_prae(P::EmployeeID, m.text(o.id, || q("employeeId")));
        base.set_prae(
            P::EmployeeFirstName,
            m.text(o.first, || q("employeeFirstName")),
        );
        base.set_prae(
            P::EmployeeLastName,
            m.text(o.last, || q("employeeLastName")),
        );
    }
    match &doc.vendor {
        Some(v) => {
            let q = |k: &str| format!("{path}.vendor.{k}");
            base.set_prae(P::VendorName, m.text(v.name, || q("vendorName")));
            match m.required_text(v.code, place.doc_at, || q("vendorCode")) {
                Ok(c) => base.set_prae(P::VendorCode, Some(c)),
                Err(why) => m.hold(why),
            }
        }
        None => {
            let why = m.problem(
                Check::FisMissing,
                place.doc_at,
                format!("{path}.vendor: missing (the invoice's counterparty)"),
            );
            m.hold(why);
        }
    }
    let base = base.freeze();
    let mut seq = 0usize;
    for (li, raw) in doc.lines.as_deref().unwrap_or_default().iter().enumerate() {
        let lpath = format!("{path}.lineItem[{li}]");
        let at = place.offset(raw);
        let line: LineItem<'a> = match serde_json::from_str(raw.get()) {
            Ok(l) => l,
            Err(e) => {
                let why = m.problem(Check::FisBadValue, at, format!("{lpath}: {e}"));
                m.reject(base.clone(), at, why);
                continue;
            }
        };
        let mut l = base.clone();
        l.set_prae(
            P::LineItemExpenseTypeName,
            m.text(line.expense_type, || format!("{lpath}.expenseTypeName")),
        );
        l.set_prae(
            P::LineItemDescription,
            m.text(line.description, || format!("{lpath}.lineItemDescription")),
        );
        l.set_prae(
            P::LineItemSequenceOrder,
            m.text(line.sequence, || format!("{lpath}.lineItemSequenceOrder")),
        );
        let line_account = m.text(line.account, || format!("{lpath}.accountCode"));
        let line_gross = m
            .amount(line.gross, || format!("{lpath}.amountGross"))
            .ok()
            .flatten();
        if let Some(g) = line_gross {
            l.set_prae(P::LineItemTotal, Some(money(g)));
        }
        let allocations = line.allocation.as_deref().unwrap_or_default();
        if allocations.is_empty() {
            // A line without allocations posts itself.
            seq += 1;
            let mut row = l.clone();
            row.set_prae(P::JournalAccountCode, line_account.clone());
            match line_gross {
                Some(g) => {
                    row.set_prae(P::DebitOrCredit, Some(Cow::Borrowed(sign_side(g))));
                    row.set_prae(P::JournalGrossAmount, Some(money(g)));
                    m.push(row, at);
                }
                None => {
                    let why = m.problem(
                        Check::FisMissing,
                        at,
                        format!("{lpath}.amountGross: missing (a line without allocations posts its own amount)"),
                    );
                    m.reject(row, at, why);
                }
            }
            continue;
        }
        for (ai, alloc) in allocations.iter().enumerate() {
            let apath = format!("{lpath}.allocation[{ai}]");
            let mut a = l.clone();
            a.set_prae(
                P::AllocationAccountCode,
                m.text(alloc.account, || format!("{apath}.allocationAccountCode")),
            );
            for n in 1..=20 {
                let v = m.text(alloc.custom[n], || {
                    format!("{apath}.allocationCustom{n}Code")
                });
                a.set_prae(col_at_prae(P::AllocationCustom1, n - 1), v);
            }
            let pct = m
                .amount(alloc.percentage, || format!("{apath}.allocationPercentage"))
                .ok()
                .flatten();
            let journals: Vec<(String, &'a RawValue)> = match alloc.journal {
                Some(j) if j.get().starts_with('[') => {
                    serde_json::from_str::<Vec<&'a RawValue>>(j.get())
                        .unwrap_or_default()
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| (format!("{apath}.journal[{i}]"), r))
                        .collect()
                }
                Some(j) if j.get().starts_with('{') => vec![(format!("{apath}.journal"), j)],
                _ => Vec::new(),
            };
            if journals.is_empty() {
                journals_missing(
                    &mut m,
                    &apath,
                    at,
                    &mut a,
                    line_gross,
                    pct,
                    line_account.clone(),
                    &mut seq,
                );
                continue;
            }
            for (jpath, jraw) in journals {
                seq += 1;
                let jat = place.offset(jraw);
                let mut row = a.clone();
                let j: InvoiceJournal<'a> = match serde_json::from_str(jraw.get()) {
                    Ok(j) => j,
                    Err(e) => {
                        let why = m.problem(Check::FisBadValue, jat, format!("{jpath}: {e}"));
                        m.reject(row, jat, why);
                        continue;
                    }
                };
                let account = m
                    .text(j.journal_account, || format!("{jpath}.journalAccountCode"))
                    .or_else(|| m.text(j.account, || format!("{jpath}.accountCode")))
                    .or_else(|| line_account.clone());
                row.set_prae(P::JournalAccountCode, account);
                let own = m
                    .amount(j.gross, || format!("{jpath}.amountGross"))
                    .ok()
                    .flatten()
                    .or_else(|| {
                        m.amount(j.amount, || format!("{jpath}.amount"))
                            .ok()
                            .flatten()
                    });
                let amount = own.or_else(|| share(line_gross, pct));
                let Some(amount) = amount else {
                    let why = m.problem(
                        Check::FisMissing,
                        jat,
                        format!("{jpath}.amountGross: missing, and the line item has no amountGross to share"),
                    );
                    m.reject(row, jat, why);
                    continue;
                };
                let side = match m
                    .text(j.dr_cr, || format!("{jpath}.debitOrCredit"))
                    .as_deref()
                    .map(str::to_ascii_uppercase)
                {
                    Some(s) if s == "DR" || s == "CR" => s,
                    _ => sign_side(amount).to_owned(),
                };
                row.set_prae(P::DebitOrCredit, Some(Cow::Owned(side)));
                row.set_prae(P::JournalGrossAmount, Some(money(amount)));
                m.push(row, jat);
            }
        }
    }
    if m.out.lines.is_empty() && m.out.held.is_none() {
        let why = m.problem(
            Check::FisMissing,
            place.doc_at,
            format!("{path}.lineItem: missing or empty (the invoice's lines)"),
        );
        m.hold(why);
    }
    m.out
}

/// An allocation without a journal posts its share of the line.
#[allow(clippy::too_many_arguments)]
fn journals_missing<'a>(
    m: &mut Map<'_, 'a>,
    apath: &str,
    at: usize,
    a: &mut SaeLine<'a>,
    line_gross: Option<Decimal>,
    pct: Option<Decimal>,
    line_account: Option<Cow<'a, str>>,
    seq: &mut usize,
) {
    *seq += 1;
    let mut row = a.clone();
    if row.get_prae(P::AllocationAccountCode).is_empty() {
        row.set_prae(P::JournalAccountCode, line_account);
    }
    match share(line_gross, pct) {
        Some(amount) => {
            row.set_prae(P::DebitOrCredit, Some(Cow::Borrowed(sign_side(amount))));
            row.set_prae(P::JournalGrossAmount, Some(money(amount)));
            m.push(row, at);
        }
        None => {
            let why = m.problem(
                Check::FisMissing,
                at,
                format!("{apath}.journal: missing, and the line item has no amountGross to share"),
            );
            m.reject(row, at, why);
        }
    }
}

/// The allocation's share of the line's gross amount (exact; rounded once per journal by
/// the builder).
fn share(gross: Option<Decimal>, pct: Option<Decimal>) -> Option<Decimal> {
    let g = gross?;
    Some(match pct {
        Some(p) if p != Decimal::ONE_HUNDRED => g * p / Decimal::ONE_HUNDRED,
        _ => g,
    })
}

fn col_at_prae(first: P, n: usize) -> P {
    P::from_number(first.number() + n as u16).unwrap_or(first)
}

//! Validation of payment-batch files (Standard Edition): the header row, one field count for
//! every row, and the values the batch mapping gives a role (amounts, date, account,
//! currency, debit/credit), checked as the journal builder will read them.

use super::line::line_checks;
use super::{FileReport, hash_of, value_check};
use crate::batch::{BatchField, BatchLayout, BatchRow};
use crate::currency;
use crate::split::Record;
use crate::value::ValueError;
use ledgerline_findings::{Check, Family, Finding};

/// Validation state of a payment-batch file.
pub(super) struct BatchValidator {
    name: String,
    layout: BatchLayout,
    first: bool,
    verdict: (bool, bool),
    width: Option<usize>,
    claims: std::collections::HashSet<u64>,
}

impl BatchValidator {
    pub(super) fn new(name: &str, layout: &BatchLayout) -> Self {
        BatchValidator {
            name: name.to_owned(),
            layout: layout.clone(),
            first: true,
            verdict: (false, false),
            width: layout.header.then_some(layout.labels.len()),
            claims: Default::default(),
        }
    }

    pub(super) fn record(&mut self, rec: Record<'_>, report: &mut FileReport) -> (bool, bool) {
        self.verdict = (false, false);
        self.record_inner(rec, report);
        self.verdict
    }

    fn record_inner(&mut self, rec: Record<'_>, report: &mut FileReport) {
        let pos = rec.position();
        line_checks(&self.name, &rec, None, &mut report.findings);
        if std::mem::replace(&mut self.first, false) && self.layout.header {
            return;
        }
        if rec.is_blank() {
            report.findings.push(
                Finding::new(
                    Family::Spl,
                    Check::BlankLine,
                    &self.name,
                    "blank line; it is skipped",
                )
                .at(pos),
            );
            return;
        }
        report.rows += 1;
        self.verdict = (true, false);
        let width = *self.width.get_or_insert(rec.len());
        if rec.len() != width {
            report.findings.push(
                Finding::new(
                    Family::Batch,
                    Check::FieldCount,
                    &self.name,
                    format!(
                        "the row has {} fields, the file's rows have {width}",
                        rec.len()
                    ),
                )
                .at(pos),
            );
            return;
        }
        self.verdict = (true, true);
        let layout = &self.layout;
        let mut new_claims = 0;
        let mut found = Vec::new();
        let mut push = |check: Check, i: usize, msg: String| {
            found.push(
                Finding::new(Family::Batch, check, &self.name, msg)
                    .at(pos)
                    .column(i as u32 + 1, layout.label(i)),
            );
        };
        for (role, i) in layout.roles() {
            let Some(f) = rec.field(i) else { continue };
            let v = f.bytes();
            let v = v.as_ref().trim_ascii();
            let label = layout.label(i);
            match role {
                // The line's own amount: checked once below, as the journal reads it.
                BatchField::Amount | BatchField::DebitAmount | BatchField::CreditAmount => {}
                // Report totals are optional: only a value that is there must read.
                BatchField::AmountDueEmployee
                | BatchField::AmountDueCompany
                | BatchField::AmountCompanyPaid
                | BatchField::PaymentConfirmedAmount => {
                    match BatchRow::new(rec, layout).amount(role) {
                        Some(Err(ValueError::Empty)) | Some(Ok(_)) | None => {}
                        Some(Err(e)) => push(value_check(&e), i, format!("{label}: {e}")),
                    }
                }
                BatchField::Date => match BatchRow::new(rec, layout).date() {
                    Ok(Some(_)) => {}
                    Ok(None) => push(
                        Check::RequiredEmpty,
                        i,
                        format!(
                            "{label}: the date is empty, so the line has no posting date: fill it in, or give the batch mapping a date for such lines (`[batch] date = \"YYYY-MM-DD\"`)"
                        ),
                    ),
                    Err(e) => push(value_check(&e), i, format!("{label}: {e}")),
                },
                BatchField::AccountCode if v.is_empty() => {
                    push(
                        Check::RequiredEmpty,
                        i,
                        format!("{label}: the account is empty"),
                    );
                }
                BatchField::Currency if !v.is_empty() && !currency::is_iso_code(v) => {
                    push(
                        Check::BadCurrency,
                        i,
                        format!(
                            "{label}: `{}` is not an ISO 4217 currency code",
                            crate::text::decode(v)
                        ),
                    );
                }
                BatchField::DebitCredit => {
                    let ok = matches!(
                        v.to_ascii_uppercase().as_slice(),
                        b"DR" | b"CR" | b"D" | b"C" | b"DEBIT" | b"CREDIT"
                    );
                    if !ok {
                        push(
                            Check::BadDebitCredit,
                            i,
                            format!(
                                "{label}: `{}` is not a debit/credit indicator",
                                crate::text::decode(v)
                            ),
                        );
                    }
                }
                BatchField::ClaimId if !v.is_empty() && self.claims.insert(hash_of(&[v])) => {
                    new_claims += 1;
                }
                _ => {}
            }
        }
        if let Err(e) = BatchRow::new(rec, layout).signed_amount() {
            push(value_check(&e.error), e.column, e.message);
        }
        for f in found {
            report.findings.push(f);
        }
        report.reports += new_claims;
    }
}

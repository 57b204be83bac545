//! SAE rows for expense entries posted one by one (the simulator's Expense Entry API):
//! [`append_entries`] adds them to a file made by [`crate::Generator`], as out-of-pocket
//! (or company-paid) journal lines with their own report totals, and fixes the `EXTRACT`
//! header's record count and journal total so the file still validates clean.
//!
//! ```
//! use ledgerline_generate::{Generator, Options};
//! use ledgerline_generate::entries::{append_entries, PostedEntry};
//! use ledgerline_extract::value::Date;
//! use rust_decimal::Decimal;
//!
//! let mut base = Vec::new();
//! Generator::new(Options { reports: 2, ..Options::default() }).write(&mut base).unwrap();
//! let entry = PostedEntry {
//!     report_id: "DEMO1".into(),
//!     report_key: 900_001,
//!     report_name: "Demo trip".into(),
//!     entry_id: "1".into(),
//!     employee_id: "E20001".into(),
//!     employee_first: "Dana".into(),
//!     employee_last: "Demo".into(),
//!     currency: "USD".into(),
//!     expense_type: "Business Meal".into(),
//!     account: "60300".into(),
//!     transaction_date: Date::new(2024, 3, 20).unwrap(),
//!     amount: Decimal::new(1554, 2),
//!     vendor: "Starbucks".into(),
//!     description: "Breakfast meeting".into(),
//!     company_paid: false,
//! };
//! let mut out = Vec::new();
//! let added = append_entries(&base, &[entry], &mut out).unwrap();
//! assert_eq!(added, 1);
//! assert!(String::from_utf8_lossy(&out).contains("|Starbucks|"));
//! ```

use crate::{Pay, fmt_amount, out_row, pseudo_code};
use ledgerline_extract::schema::SaeCol as C;
use ledgerline_extract::value::{Date, parse_date};
use rust_decimal::Decimal;
use std::io::{self, Write};

/// One posted expense entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedEntry {
    /// Report id (groups entries into one report).
    pub report_id: String,
    /// Numeric report key.
    pub report_key: u64,
    /// Report name.
    pub report_name: String,
    /// Entry id.
    pub entry_id: String,
    /// Employee id.
    pub employee_id: String,
    /// Employee first name.
    pub employee_first: String,
    /// Employee last name.
    pub employee_last: String,
    /// ISO currency of the amount (taken as the employee's reimbursement currency).
    pub currency: String,
    /// Expense type name.
    pub expense_type: String,
    /// GL account of the expense type.
    pub account: String,
    /// Transaction date.
    pub transaction_date: Date,
    /// Amount (positive).
    pub amount: Decimal,
    /// Vendor.
    pub vendor: String,
    /// Description.
    pub description: String,
    /// Paid by the company (COPD) rather than by the employee (cash).
    pub company_paid: bool,
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// Copies the SAE file `sae` to `out` with one DETAIL row per entry appended (entries of a
/// report kept together) and the header's count and total updated. Returns the rows added.
pub fn append_entries<W: Write>(
    sae: &[u8],
    entries: &[PostedEntry],
    out: &mut W,
) -> io::Result<u64> {
    let nl = sae
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad("no EXTRACT header line"))?;
    let header = std::str::from_utf8(&sae[..nl])
        .map_err(|_| bad("header is not UTF-8"))?
        .trim_end_matches('\r');
    let f: Vec<&str> = header.split('|').collect();
    if f.len() != 5 || f[0] != "EXTRACT" {
        return Err(bad("not an SAE EXTRACT header"));
    }
    let date = parse_date(f[1].as_bytes()).map_err(|_| bad("bad header date"))?;
    let count: u64 = f[2].parse().map_err(|_| bad("bad header record count"))?;
    let total: Decimal = f[3].parse().map_err(|_| bad("bad header total"))?;
    let batch = f[4];
    let added_total: Decimal = entries.iter().map(|e| e.amount).sum();
    let added = entries.len() as u64;
    writeln!(
        out,
        "EXTRACT|{}|{}|{}|{}",
        f[1],
        count + added,
        fmt_amount(total + added_total, false),
        batch
    )?;
    out.write_all(&sae[nl + 1..])?;

    // Group by report, keeping first-seen order.
    let mut reports: Vec<(&str, Vec<&PostedEntry>)> = Vec::new();
    for e in entries {
        match reports.iter_mut().find(|(id, _)| *id == e.report_id) {
            Some((_, v)) => v.push(e),
            None => reports.push((&e.report_id, vec![e])),
        }
    }
    let mut seq = count;
    let mut fields: Vec<String> = vec![String::new(); 400];
    let mut buf = Vec::with_capacity(4096);
    for (_, rows) in &reports {
        let claimed: Decimal = rows.iter().map(|e| e.amount).sum();
        let due_employee: Decimal = rows
            .iter()
            .filter(|e| !e.company_paid)
            .map(|e| e.amount)
            .sum();
        let company_paid = claimed - due_employee;
        let start = rows
            .iter()
            .map(|e| e.transaction_date)
            .min_by_key(|d| d.days())
            .unwrap_or(date);
        let end = rows
            .iter()
            .map(|e| e.transaction_date)
            .max_by_key(|d| d.days())
            .unwrap_or(date);
        for e in rows {
            seq += 1;
            for s in fields.iter_mut() {
                s.clear();
            }
            let pay = if e.company_paid { Pay::Copd } else { Pay::Cash };
            let amount = fmt_amount(e.amount, false);
            let journal = fmt_amount(e.amount, true);
            let values: [(C, String); 56] = [
                (C::Constant, "DETAIL".into()),
                (C::BatchID, batch.into()),
                (C::BatchDate, date.to_string()),
                (C::SequenceNumber, seq.to_string()),
                (C::EmployeeID, e.employee_id.clone()),
                (C::EmployeeLastName, e.employee_last.clone()),
                (C::EmployeeFirstName, e.employee_first.clone()),
                (C::EmployeeOrgUnit1, "HQ".into()),
                (C::JournalAmount, journal.clone()),
                (C::JournalDebitOrCredit, "DR".into()),
                (C::JournalPayerPaymentTypeName, "Company".into()),
                (
                    C::JournalPayerPaymentCodeName,
                    pseudo_code("Company").into(),
                ),
                (C::JournalPayeePaymentTypeName, pay.payee().into()),
                (
                    C::JournalPayeePaymentCodeName,
                    pseudo_code(pay.payee()).into(),
                ),
                (C::JournalAccountCode, e.account.clone()),
                (
                    C::EmployeeLoginID,
                    format!("{}@example.com", e.employee_id.to_lowercase()),
                ),
                (C::ReportID, e.report_id.clone()),
                (C::ReportKey, e.report_key.to_string()),
                (C::Ledger, "DEFAULT".into()),
                (C::EmployeeDefaultCurrencyAlphaCode, e.currency.clone()),
                (
                    C::ReportSubmitDate,
                    Date::from_days(date.days() - 1).to_string(),
                ),
                (C::ReportPaymentProcessingDate, date.to_string()),
                (C::ReportName, e.report_name.clone()),
                (C::ReportImageRequired, "N".into()),
                (C::ReportHasVATEntry, "N".into()),
                (C::ReportHasTAEntry, "N".into()),
                (C::ReportTotalPostedAmount, fmt_amount(claimed, false)),
                (C::ReportTotalApprovedAmount, fmt_amount(claimed, false)),
                (C::ReportEntryId, e.entry_id.clone()),
                (C::ReportEntryTransactionType, "REG".into()),
                (C::ReportEntryExpenseTypeName, e.expense_type.clone()),
                (
                    C::ReportEntryTransactionDate,
                    e.transaction_date.to_string(),
                ),
                (C::ReportEntryCurrencyAlphaCode, e.currency.clone()),
                (C::ReportEntryExchangeRate, "1.00000000".into()),
                (C::ReportEntryExchangeRateDirection, "M".into()),
                (C::ReportEntryIsPersonalFlag, "N".into()),
                (C::ReportEntryDescription, e.description.clone()),
                (C::ReportEntryVendorName, e.vendor.clone()),
                (C::ReportEntryTransactionAmount, amount.clone()),
                (C::ReportEntryPostedAmount, amount.clone()),
                (C::ReportEntryApprovedAmount, amount.clone()),
                (C::PaymentTypeCode, pay.code().into()),
                (C::PaymentCode, pay.type_name().into()),
                (C::ReportEntryPaymentTypeName, pay.type_name().into()),
                (C::JournalKey, (seq + 8_000_000).to_string()),
                (C::JournalNetOfTotalAdjustedReclaimTax, journal.clone()),
                (C::JournalNetOfTotalAdjustedTax, journal),
                (C::AllocationKey, format!("{}1", e.entry_id)),
                (C::AllocationPercentage, "100.0000".into()),
                (C::TotalAmountClaimed, fmt_amount(claimed, false)),
                (C::AmountDueEmployee, fmt_amount(due_employee, false)),
                (C::AmountCompanyPaid, fmt_amount(company_paid, false)),
                (C::AmountDueEmployeeActual, fmt_amount(due_employee, false)),
                (C::ReportStartDate, start.to_string()),
                (C::ReportEndDate, end.to_string()),
                (C::ReportEntryReceiptReceivedFlag, "N".into()),
            ];
            for (col, v) in values {
                fields[col.index()] = v;
            }
            for col in [
                C::PersonalExpenses,
                C::AmountDueCompanyCard,
                C::AmountNotApproved,
                C::AmountDueCompany,
                C::PaymentConfirmedAmount,
                C::AmountDueCompanyCardActual,
            ] {
                fields[col.index()] = "0.0000".into();
            }
            buf.clear();
            out_row(&fields, &mut buf);
            out.write_all(&buf)?;
        }
    }
    Ok(added)
}

/// The FIS v4 expense documents of posted entries: one per report (entries of a report
/// kept together, in first-seen order), each entry one journal line `COMP -> EMPL` (or
/// `COMP -> COPD` when company paid) on its account, dated `submitted`. They convert to the
/// journals [`append_entries`] gives as SAE rows. Documents carry no `id`: the queue that
/// serves them gives each its own.
pub fn fis_documents(entries: &[PostedEntry], submitted: Date) -> Vec<serde_json::Value> {
    use crate::fis::{num, stamp};
    let mut reports: Vec<(&str, Vec<&PostedEntry>)> = Vec::new();
    for e in entries {
        match reports.iter_mut().find(|(id, _)| *id == e.report_id) {
            Some((_, v)) => v.push(e),
            None => reports.push((&e.report_id, vec![e])),
        }
    }
    reports
        .into_iter()
        .map(|(id, rows)| {
            let first = rows[0];
            let total: Decimal = rows.iter().map(|e| e.amount).sum();
            let entries: Vec<serde_json::Value> = rows
                .iter()
                .map(|e| {
                    let pay = if e.company_paid { Pay::Copd } else { Pay::Cash };
                    serde_json::json!({
                        "entryId": e.entry_id,
                        "expenseTypeName": e.expense_type,
                        "entryDate": stamp(e.transaction_date),
                        "entryCurrAlphaCode": e.currency,
                        "entryExchangeRate": 1,
                        "entryIsPersonal": "N",
                        "entryDescription": e.description,
                        "entryVendorDescription": e.vendor,
                        "reportEntryTransactionAmount": num(e.amount),
                        "entryApprovedAmount": num(e.amount),
                        "reportEntryPatKey": pay.code(),
                        "reportEntryPaymentTypeName": pay.type_name(),
                        "allocation": [{
                            "allocationId": format!("{}1", e.entry_id),
                            "allocationPercentage": 100,
                            "journal": [{
                                "journalPayer": "COMP",
                                "journalPayee": if e.company_paid { "COPD" } else { "EMPL" },
                                "journalAccountCode": e.account,
                                "amountGross": num(e.amount),
                                "amountNetOfTax": num(e.amount),
                            }],
                        }],
                    })
                })
                .collect();
            serde_json::json!({
                "docType": "expense",
                "docStatus": "READY",
                "document": {
                    "employee": {
                        "employeeId": first.employee_id,
                        "employeeFirstName": first.employee_first,
                        "employeeLastName": first.employee_last,
                        "employeeOrgUnit1Code": "HQ",
                    },
                    "report": {
                        "reportId": id,
                        "reportKey": first.report_key,
                        "reportName": first.report_name,
                        "employeeCurrencyAlphaCode": first.currency,
                        "ledgerCode": "DEFAULT",
                        "reportSubmitDate": stamp(submitted),
                        "reportPaymentProcessingDate": stamp(submitted),
                        "totalApprovedAmount": num(total),
                    },
                    "expenseEntry": entries,
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Generator, Options};
    use ledgerline_extract::validate::{ValidateOptions, validate_reader};

    fn entry(report: &str, id: &str, cents: i64, company_paid: bool) -> PostedEntry {
        PostedEntry {
            report_id: report.into(),
            report_key: 900_000 + id.len() as u64,
            report_name: format!("Report {report}"),
            entry_id: id.into(),
            employee_id: "E20001".into(),
            employee_first: "Dana".into(),
            employee_last: "Demo".into(),
            currency: "USD".into(),
            expense_type: "Taxi".into(),
            account: "60400".into(),
            transaction_date: Date::new(2024, 3, 20).unwrap(),
            amount: Decimal::new(cents, 2),
            vendor: "Yellow \"Cab\" | Co".into(),
            description: "Airport".into(),
            company_paid,
        }
    }

    #[test]
    fn appended_rows_validate_clean() {
        let mut base = Vec::new();
        Generator::new(Options {
            reports: 5,
            seed: 9,
            ..Options::default()
        })
        .write(&mut base)
        .unwrap();
        let entries = [
            entry("R1", "11", 2350, false),
            entry("R2", "21", 999, true),
            entry("R1", "12", 100, false),
        ];
        let mut out = Vec::new();
        assert_eq!(append_entries(&base, &entries, &mut out).unwrap(), 3);
        let report = validate_reader(
            "appended.txt",
            &out[..],
            &ValidateOptions::default(),
            &mut |_| {},
        );
        assert_eq!(
            report.findings.errors(),
            0,
            "{:#?}",
            report.findings.items()
        );
        assert_eq!(
            report.findings.warnings(),
            0,
            "{:#?}",
            report.findings.items()
        );
        let text = String::from_utf8(out).unwrap();
        // R1's two entries are adjacent.
        let r1: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("|R1|"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(r1.len(), 2);
        assert_eq!(r1[1], r1[0] + 1);
    }

    #[test]
    fn rejects_non_sae() {
        assert!(append_entries(b"hello\n", &[], &mut Vec::new()).is_err());
        assert!(append_entries(b"", &[], &mut Vec::new()).is_err());
    }
}

//! The generator's reports as Financial Integration Service (FIS v4) documents: the same
//! reports [`Generator::write`] writes as SAE rows, written instead as one FIS document per
//! JSON line (`{"id", "docType", "docStatus", "document"}`), so the two inputs can be
//! converted and compared (journal for journal) and benchmarked against each other.
//!
//! The shapes follow Concur's official FIS examples: expense journal lines carry no
//! debit/credit flag (a credit is a negative `amountGross`); an entry's approved amount is
//! the sum of its journal lines (a personal card charge and its repayment make 0); a VAT
//! line is the entry's `tax[]` item, its journal line posting the gross with
//! `amountNetOfTax`; a cash advance applied on a report is a `cashAdvanceApplication` (a
//! negative amount), the remainder the employee returns named by
//! `cashAdvanceReturnsAmount`; an advance issued is a `cashadvance` document of its own,
//! written just before the report that applies it.
//!
//! ```
//! use ledgerline_generate::{Generator, Options};
//! let mut out = Vec::new();
//! let summary = Generator::new(Options { reports: 3, seed: 7, ..Options::default() })
//!     .write_fis(&mut out)
//!     .unwrap();
//! assert_eq!(summary.reports, 3);
//! let first: serde_json::Value = serde_json::from_slice(out.split(|&b| b == b'\n').next().unwrap()).unwrap();
//! assert!(first["docType"] == "expense" || first["docType"] == "cashadvance");
//! ```

use crate::{CountingWriter, Country, Employee, Generator, Line, Pay, Report};
use ledgerline_extract::value::Date;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// What [`Generator::write_fis`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FisSummary {
    /// Expense reports (one `expense` document each).
    pub reports: u64,
    /// Cash advances issued (one `cashadvance` document each).
    pub cash_advances: u64,
    /// Documents written (one per line).
    pub documents: u64,
    /// Bytes written.
    pub bytes: u64,
}

impl Generator {
    /// Writes the same reports as [`Generator::write`] (same options, same seed) as FIS v4
    /// documents, one per line.
    pub fn write_fis<W: Write>(&self, out: &mut W) -> io::Result<FisSummary> {
        let employees = self.employees();
        let mut counter = CountingWriter {
            inner: out,
            bytes: 0,
        };
        let mut s = FisSummary {
            reports: 0,
            cash_advances: 0,
            documents: 0,
            bytes: 0,
        };
        let mut err = None;
        let mut buf = Vec::with_capacity(8192);
        self.each_report(&employees, |r| {
            if err.is_some() {
                return;
            }
            let emp = &employees[r.employee];
            buf.clear();
            if let Some(issued) = &r.issuance {
                write_line(&mut buf, &cash_advance_document(emp, issued));
                s.cash_advances += 1;
                s.documents += 1;
            }
            write_line(&mut buf, &expense_document(emp, r));
            s.reports += 1;
            s.documents += 1;
            if let Err(e) = counter.write_all(&buf) {
                err = Some(e);
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        counter.flush()?;
        s.bytes = counter.bytes;
        Ok(s)
    }
}

fn write_line(buf: &mut Vec<u8>, doc: &Value) {
    serde_json::to_writer(&mut *buf, doc).expect("a JSON value always serialises");
    buf.push(b'\n');
}

/// An amount as a JSON number with exactly its decimal digits (no binary float between).
pub(crate) fn num(d: Decimal) -> Box<RawValue> {
    RawValue::from_string(d.normalize().to_string()).expect("a decimal is a JSON number")
}

/// A date as FIS writes it (`2024-03-28T00:00:00.000Z`).
pub(crate) fn stamp(d: Date) -> String {
    format!("{d}T00:00:00.000Z")
}

/// A 32-hex-digit document id from a prefix and a report's (or an advance's) id.
fn doc_id(prefix: u32, id: &str) -> String {
    let hex: String = id
        .bytes()
        .map(|b| if b.is_ascii_hexdigit() { b } else { b'0' })
        .map(|b| (b as char).to_ascii_lowercase())
        .collect();
    let body = format!("{prefix:08x}{hex:0>24}");
    body[body.len() - 32..].to_owned()
}

/// The FIS payment code of an SAE payer or payee name.
fn code(name: &str) -> &str {
    match name {
        "Company" => "COMP",
        "Employee" => "EMPL",
        n if n == Pay::Ibcp.type_name() => "IBCP",
        n if n == Pay::Cbcp.type_name() => "CBCP",
        n if n == Pay::Copd.type_name() => "COPD",
        other => other,
    }
}

fn employee(emp: &Employee) -> Value {
    json!({
        "employeeId": emp.id,
        "employeeFirstName": emp.first,
        "employeeLastName": emp.last,
        "employeeOrgUnit1Code": "HQ",
        "employeeOrgUnit2Code": emp.dept,
        "loginId": format!("{}@example.com", emp.id.to_lowercase()),
        "emailAddress": format!("{}@example.com", emp.id.to_lowercase()),
    })
}

fn cash_advance_document(emp: &Employee, l: &Line) -> Value {
    let c = emp.country;
    let amount = l.ca_amount.unwrap_or(l.amount);
    json!({
        "id": doc_id(0xca, &l.ca_key),
        "docType": "cashadvance",
        "docStatus": "READY",
        "document": {
            "employeeData": employee(emp),
            "cashAdvanceData": {
                "cashAdvanceId": l.ca_key,
                "name": format!("Advance {}", l.ca_key),
                "requestAmount": num(amount),
                "currencyAlphaCode": c.currency,
                "employeeCurrencyAlphaCode": c.currency,
                "exchangeRate": 1,
                "issuedDate": l.ca_issued.map(stamp),
                "transactionType": 1,
                "paymentMethod": 0,
            },
            "journalData": [{
                "amount": num(l.amount),
                "payer": code(l.payer),
                "payee": code(l.payee),
                "accountCode": l.account,
                "debitOrCredit": if l.debit { "DR" } else { "CR" },
                "paymentCode": "Cash",
            }],
        },
    })
}

fn expense_document(emp: &Employee, r: &Report) -> Value {
    let c = emp.country;
    // Entries in report order; a cash-advance application or a VAT line is not an entry.
    let mut entries: Vec<(&str, Vec<&Line>)> = Vec::new();
    for l in r
        .lines
        .iter()
        .filter(|l| l.ca_type.is_empty() && !l.tax_line)
    {
        match entries.iter_mut().find(|(id, _)| *id == l.entry_id) {
            Some((_, ls)) => ls.push(l),
            None => entries.push((&l.entry_id, vec![l])),
        }
    }
    let mut total = Decimal::ZERO;
    let expense_entries: Vec<Value> = entries
        .iter()
        .map(|(id, lines)| {
            let (value, approved) = entry(c, id, lines);
            total += approved;
            value
        })
        .collect();
    let applications: Vec<Value> = r
        .lines
        .iter()
        .filter(|l| l.ca_type == "2")
        .map(|l| {
            json!({
                "cashAdvanceId": l.ca_key,
                "cashAdvanceApplicationAmount": num(-l.amount),
                "cashAdvanceTransactionType": 2,
                "cashAdvanceClearingAccountCode": l.account,
            })
        })
        .collect();
    json!({
        "id": doc_id(0xe0, &r.id),
        "docType": "expense",
        "docStatus": "READY",
        "document": {
            "employee": employee(emp),
            "report": {
                "reportId": r.id,
                "reportKey": r.key,
                "reportName": r.name,
                "employeeCurrencyAlphaCode": c.currency,
                "homeCountryCode": c.code,
                "ledgerCode": "DEFAULT",
                "reportSubmitDate": stamp(r.submit),
                "reportPaymentProcessingDate": stamp(r.processed),
                "reportStartDate": stamp(r.start),
                "reportEndDate": stamp(r.end),
                "totalApprovedAmount": num(total),
                "cashAdvanceReturnsAmount": num(r.totals.ca_returned),
                "reportOrgUnit1Code": emp.dept,
            },
            "expenseEntry": expense_entries,
            "cashAdvanceApplication": applications,
        },
    })
}

/// One expense entry (its lines share the entry id) and its approved amount.
fn entry(c: &Country, id: &str, lines: &[&Line]) -> (Value, Decimal) {
    let first = lines[0];
    // Allocations in order of first appearance; an entry without allocation keys (a
    // personal charge and its repayment, a refund) is one allocation.
    let mut allocations: Vec<(&str, Vec<&Line>)> = Vec::new();
    for l in lines {
        match allocations.iter_mut().find(|(k, _)| *k == l.alloc_key) {
            Some((_, ls)) => ls.push(l),
            None => allocations.push((&l.alloc_key, vec![l])),
        }
    }
    let mut approved = Decimal::ZERO;
    let allocation: Vec<Value> = allocations
        .iter()
        .map(|(key, ls)| {
            let mut journal = Vec::new();
            let mut tax = Vec::new();
            for l in ls {
                let mut j = Map::new();
                j.insert("journalPayer".into(), code(l.payer).into());
                j.insert("journalPayee".into(), code(l.payee).into());
                j.insert("journalAccountCode".into(), l.account.clone().into());
                let net = crate::signed(l);
                let gross = match &l.tax {
                    Some((label, _auth, amount, tax_code)) => {
                        let guid = format!("{}T", l.entry_id);
                        tax.push(json!({
                            "taxGuid": guid,
                            "taxAuthorityLabel": label,
                            "taxCode": tax_code,
                            "amountTax": num(*amount),
                            "taxSource": "SYST",
                            "amountReclaim": num(*amount),
                        }));
                        j.insert("taxGuid".into(), json!([guid]));
                        j.insert("amountNetOfTax".into(), json!(num(net)));
                        net + if l.debit { *amount } else { -*amount }
                    }
                    None => {
                        j.insert("amountNetOfTax".into(), json!(num(net)));
                        net
                    }
                };
                j.insert("amountGross".into(), json!(num(gross)));
                approved += gross;
                journal.push(Value::Object(j));
            }
            let mut a = json!({
                "allocationPercentage": num(ls[0].alloc_pct.parse().unwrap_or(Decimal::ONE_HUNDRED)),
                "allocationCustom1Code": ls[0].cost_centre,
                "allocationCustom2Code": ls[0].project,
                "journal": journal,
            });
            if !key.is_empty() {
                a["allocationId"] = Value::from(*key);
            }
            if !tax.is_empty() {
                a["tax"] = Value::Array(tax);
            }
            a
        })
        .collect();
    let pay = first.pay.unwrap_or(Pay::Cash);
    let mut e = json!({
        "entryId": id,
        "expenseTypeName": first.expense,
        "entryDate": first.tx_date.map(stamp),
        "entryCurrAlphaCode": c.currency,
        "entryExchangeRate": 1,
        "entryExchangeRateDirection": "M",
        "entryIsPersonal": if first.personal { "Y" } else { "N" },
        "entryDescription": first.description,
        "entryVendorDescription": first.vendor,
        "reportEntryTransactionAmount": num(first.posted),
        "entryApprovedAmount": num(approved),
        "reportEntryPatKey": pay.code(),
        "reportEntryPaymentTypeName": pay.type_name(),
        "entryCountryCode": c.code,
        "allocation": allocation,
    });
    if first.personal {
        e["clearingAccountCode"] = Value::from(crate::PERSONAL_CLEARING);
    }
    (e, approved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_ids_are_32_hex_digits_and_distinct() {
        let a = doc_id(0xe0, "0123456789ABCDEF0001");
        let b = doc_id(0xca, "5001");
        assert_eq!(a.len(), 32);
        assert_eq!(b.len(), 32);
        assert!(a.bytes().chain(b.bytes()).all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(a, "000000e000000123456789abcdef0001");
    }

    #[test]
    fn amounts_keep_their_digits() {
        assert_eq!(num(Decimal::new(12_3400, 4)).get(), "12.34");
        assert_eq!(num(Decimal::new(-125_880, 0)).get(), "-125880");
        assert_eq!(num(Decimal::new(1_001, 3)).get(), "1.001");
    }
}

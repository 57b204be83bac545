//! Expense Entry v1.1 look-ups: `GET .../expensereport/v1.1/report/{reportId}/entry/{entryId}`
//! gives one entry's details as XML (`<ExpenseEntry>`). Concur deprecated v1.1 (its Get
//! Expense Entries List was decommissioned in 2023) in favour of Expenses v4
//! (`/expensereports/v4/.../reports/{reportId}/expenses/{expenseId}`); the single-entry GET
//! is used here only to explain what an extract line came from.

use crate::client::Client;
use crate::error::{BodyError, Error, Result};

/// One expense entry as Concur describes it. Amounts and dates are kept as written (amounts
/// carry 8 decimals, `TransactionCurrencyName` is a name such as `US, Dollar`, not a code).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExpenseEntry {
    /// `ReportID`.
    pub report_id: String,
    /// `ReportEntryID`.
    pub entry_id: String,
    /// `ExpenseKey` (the expense type's key).
    pub expense_key: String,
    /// `ExpenseName`.
    pub expense_name: String,
    /// `TransactionDate`.
    pub transaction_date: String,
    /// `TransactionAmount`.
    pub transaction_amount: String,
    /// `PostedAmount`.
    pub posted_amount: String,
    /// `ApprovedAmount`.
    pub approved_amount: String,
    /// `PaymentTypeKey`.
    pub payment_type: String,
    /// `VendorDescription`.
    pub vendor: String,
    /// `BusinessPurpose`.
    pub business_purpose: String,
    /// `IsPersonal` is `Y`.
    pub personal: bool,
    /// Every element of the document with text, in order (`Custom1` ... included).
    pub fields: Vec<(String, String)>,
}

/// Reads an `<ExpenseEntry>` document (namespaced or not, names matched exactly as Concur
/// writes them).
pub fn parse_entry(body: &str) -> std::result::Result<ExpenseEntry, BodyError> {
    let doc = roxmltree::Document::parse(body.trim_start_matches('\u{feff}').trim())?;
    let root = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "ExpenseEntry")
        .ok_or_else(|| BodyError::Missing("ExpenseEntry".into()))?;
    let fields: Vec<(String, String)> = root
        .children()
        .filter(|c| c.is_element())
        .filter_map(|c| {
            let t = c.text().map(str::trim).unwrap_or("");
            (!t.is_empty()).then(|| (c.tag_name().name().to_owned(), t.to_owned()))
        })
        .collect();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Ok(ExpenseEntry {
        report_id: get("ReportID"),
        entry_id: get("ReportEntryID"),
        expense_key: get("ExpenseKey"),
        expense_name: get("ExpenseName"),
        transaction_date: get("TransactionDate"),
        transaction_amount: get("TransactionAmount"),
        posted_amount: get("PostedAmount"),
        approved_amount: get("ApprovedAmount"),
        payment_type: get("PaymentTypeKey"),
        vendor: get("VendorDescription"),
        business_purpose: get("BusinessPurpose"),
        personal: get("IsPersonal").eq_ignore_ascii_case("Y"),
        fields,
    })
}

/// A path segment: ids are opaque (they may hold `$`), so anything that would end or change
/// the path is percent-encoded.
fn segment(id: &str) -> String {
    let mut out = String::new();
    for b in id.trim().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$!*'()+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    /// One expense entry (Expense Entry v1.1, XML).
    pub fn get_entry(&mut self, report_id: &str, entry_id: &str) -> Result<ExpenseEntry> {
        let url = self.url(&format!(
            "/api/expense/expensereport/v1.1/report/{}/entry/{}",
            segment(report_id),
            segment(entry_id)
        ));
        let body = self.get_text(&url, "application/xml")?;
        parse_entry(&body).map_err(|problem| Error::Body { url, problem })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_document_is_read_with_its_namespace() {
        let xml = r#"<ExpenseEntry xmlns="http://www.concursolutions.com/api/expense/expensereport/2011/03" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ApprovedAmount>40.00000000</ApprovedAmount><ExpenseKey>TAXIX</ExpenseKey><ExpenseName>Taxi</ExpenseName><IsPersonal>N</IsPersonal><ReportEntryID>gWp$e1</ReportEntryID><ReportID>R1</ReportID><TransactionAmount>40.00000000</TransactionAmount><Custom1>(1234) Project 1234</Custom1><OrgUnit1/></ExpenseEntry>"#;
        let e = parse_entry(xml).unwrap();
        assert_eq!(e.entry_id, "gWp$e1");
        assert_eq!(e.expense_key, "TAXIX");
        assert_eq!(e.transaction_amount, "40.00000000");
        assert!(!e.personal);
        assert!(
            e.fields
                .contains(&("Custom1".into(), "(1234) Project 1234".into()))
        );
        assert!(
            !e.fields.iter().any(|(k, _)| k == "OrgUnit1"),
            "empty elements left out"
        );
        assert!(parse_entry("<Error><Message>x</Message></Error>").is_err());
    }

    #[test]
    fn ids_cannot_leave_their_path_segment() {
        assert_eq!(segment("n$s4MtB"), "n$s4MtB");
        assert_eq!(segment("a/../b?c#d"), "a%2F..%2Fb%3Fc%23d");
    }
}

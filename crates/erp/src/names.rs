//! Account categories and name sanitising shared by the writers.

use ledgerline_journal::{Counterparty, Kind};

/// The top-level category of a line's account, for formats that need one (Beancount,
/// hledger): `Expenses`, `Assets` or `Liabilities`.
pub fn category(kind: Kind, counterparty: Option<&Counterparty>) -> &'static str {
    match kind {
        Kind::Offset => match counterparty {
            Some(Counterparty::CashAdvance) | Some(Counterparty::Tax) => "Assets",
            _ => "Liabilities",
        },
        Kind::CashAdvanceIssued
        | Kind::CashAdvanceApplied
        | Kind::CashAdvanceReturned
        | Kind::CashAdvanceCarryForward
        | Kind::PersonalOnCompanyCard
        | Kind::Tax => "Assets",
        Kind::OutOfPocket
        | Kind::OutOfPocketCredit
        | Kind::CompanyCard
        | Kind::CompanyCardCredit
        | Kind::CompanyPaid
        | Kind::Rounding
        | Kind::Invoice
        | Kind::PaymentBatch => "Expenses",
    }
}

/// A Beancount account: `Root:Comp:...` with every component starting with an upper-case
/// letter or digit and holding only letters, digits and dashes.
///
/// ```
/// use ledgerline_erp::names::beancount_account;
/// assert_eq!(beancount_account("Liabilities", "EMPLOYEE_PAYABLE"), "Liabilities:EMPLOYEE-PAYABLE");
/// assert_eq!(beancount_account("Assets", "cbcp180"), "Assets:Cbcp180");
/// assert_eq!(beancount_account("Expenses", "60300:CC 100"), "Expenses:60300:CC-100");
/// assert_eq!(beancount_account("Expenses", ""), "Expenses:X");
/// ```
pub fn beancount_account(root: &str, account: &str) -> String {
    let mut out = String::from(root);
    for comp in account.split(':') {
        let mut c: String = comp
            .trim()
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || ch == '-' {
                    ch
                } else {
                    '-'
                }
            })
            .collect();
        match c.chars().next() {
            Some(f) if f.is_ascii_lowercase() => {
                c.replace_range(..1, &f.to_ascii_uppercase().to_string())
            }
            Some(f) if f.is_ascii_uppercase() || f.is_ascii_digit() => {}
            _ => c.insert(0, 'X'),
        }
        out.push(':');
        out.push_str(&c);
    }
    out
}

/// An hledger account: the category, then the account with characters hledger would misread
/// (`;`, tabs, runs of spaces, leading/trailing spaces) replaced.
///
/// ```
/// use ledgerline_erp::names::hledger_account;
/// assert_eq!(hledger_account("Liabilities", "EMPLOYEE_PAYABLE"), "Liabilities:EMPLOYEE_PAYABLE");
/// assert_eq!(hledger_account("Expenses", "60300;x  y"), "Expenses:60300-x y");
/// ```
pub fn hledger_account(root: &str, account: &str) -> String {
    let mut clean = String::with_capacity(account.len());
    let mut last_space = false;
    for ch in account.trim().chars() {
        let ch = match ch {
            ';' | '\t' | '\r' | '\n' | '(' | ')' | '[' | ']' => '-',
            c => c,
        };
        if ch == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        clean.push(ch);
    }
    if clean.is_empty() {
        clean.push('X');
    }
    format!("{root}:{clean}")
}

/// Text safe on one line of a plain-text journal: control characters become spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

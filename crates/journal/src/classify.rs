//! Classification: one SAE line -> one posting (or a documented skip), never a guess.
//!
//! Each `DETAIL` line is one side of a posting: its account (column 167) is debited or
//! credited (168) by the amount (169). The other side is implied by who pays (163) and who
//! is paid (165): for a debit the payee, for a credit the payer. See the README's accounting
//! section for the table this module implements.

use crate::model::{Counterparty, Kind, Posting, Side};
use crate::rules::{CardBilling, IbcpPersonal, Role, Rules, TaxDirection, role_from_code};
use crate::template::{Values, Var};
use ledgerline_extract::sae::{ColumnError, SaeRow};
use ledgerline_extract::schema::SaeCol as C;
use ledgerline_extract::value::DebitCredit;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::sync::Arc;

/// Extra facts about a posting that the journal builder needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// Nothing special.
    None,
    /// A personal charge on a company card (company pays the issuer).
    PersonalCardCharge(CardBilling),
    /// The employee's repayment of a personal card charge.
    PersonalRepayment,
}

/// The outcome of classifying one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Classified {
    /// A posting.
    Posting(Box<Posting>, Tag),
    /// A line deliberately not posted, with the reason (reported as a finding).
    Skipped(String),
}

/// The cash-advance transaction of an SAE line (column 185, Cash Advance Transaction Type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CashAdvanceTransaction {
    /// `1`: an advance issued to the employee (or, from the employee to the company, returned).
    Issue,
    /// `2`: an advance applied against the expenses of a report (or returned, on a line whose
    /// expense type is one of `[cash_advance] return_expense_types`).
    Application,
    /// `3`: a system advance from a carried-forward balance.
    CarryForward,
}

impl CashAdvanceTransaction {
    /// Reads column 185 (surrounding blanks ignored); `None` for a line that is not a
    /// cash-advance transaction (empty) or a code Concur does not define.
    pub fn from_code(code: &str) -> Option<CashAdvanceTransaction> {
        match code.trim() {
            "1" => Some(CashAdvanceTransaction::Issue),
            "2" => Some(CashAdvanceTransaction::Application),
            "3" => Some(CashAdvanceTransaction::CarryForward),
            _ => None,
        }
    }
}

/// Why a line fits no kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    /// A value could not be read.
    #[error(transparent)]
    Value(#[from] ColumnError),
    /// A payment-type name the rules do not know.
    #[error(
        "column {column} ({which}) names payment type `{name}`, which is neither Company, Employee, a card program (IBCP/CBCP/IBIP), company paid (COPD) nor a tax authority; map it in [payment_types] of the rules file"
    )]
    UnknownPaymentType {
        /// 163 or 165.
        column: u16,
        /// "payer" or "payee".
        which: &'static str,
        /// The name.
        name: String,
    },
    /// The line has no account.
    #[error("the line has no account (column 167 is empty)")]
    NoAccount,
    /// A payer/payee/direction combination that has no posting rule.
    #[error(
        "a {} from `{payer}` to `{payee}`{} fits no posting kind",
        side_word(.side),
        if *.personal { " marked personal" } else { "" }
    )]
    Shape {
        /// Payer name.
        payer: String,
        /// Payee name.
        payee: String,
        /// Column 168, DR or CR.
        side: Side,
        /// Whether the entry is marked personal (column 68).
        personal: bool,
    },
}

fn side_word(side: &Side) -> &'static str {
    match side {
        Side::Debit => "debit",
        Side::Credit => "credit",
    }
}

/// Template values of one SAE row.
pub struct RowValues<'r, 'a> {
    /// The row.
    pub row: &'r SaeRow<'a>,
    /// The natural account after the account map.
    pub account: String,
    /// Card program of the line, if any.
    pub program: String,
    /// Classification.
    pub kind: Kind,
}

impl Values for RowValues<'_, '_> {
    fn column(&self, col: C) -> Cow<'_, str> {
        self.row.text(col)
    }
    fn var(&self, var: Var) -> Cow<'_, str> {
        let r = self.row;
        match var {
            Var::Account => Cow::Borrowed(&self.account),
            Var::EmployeeId => r.text(C::EmployeeID),
            Var::EmployeeName => Cow::Owned(employee_name(r)),
            Var::ReportId => r.text(C::ReportID),
            Var::ReportKey => r.text(C::ReportKey),
            Var::ReportName => r.text(C::ReportName),
            Var::ExpenseType => r.text(C::ReportEntryExpenseTypeName),
            Var::Vendor => r.text(C::ReportEntryVendorName),
            Var::Description => r.text(C::ReportEntryDescription),
            Var::Program => Cow::Borrowed(&self.program),
            Var::VendorCode => Cow::Borrowed(""),
            Var::BatchId => r.text(C::BatchID),
            Var::Kind => Cow::Borrowed(self.kind.as_str()),
        }
    }
}

/// "Last, First" (or whichever is present).
pub fn employee_name(r: &SaeRow<'_>) -> String {
    let last = r.text(C::EmployeeLastName);
    let first = r.text(C::EmployeeFirstName);
    match (last.trim(), first.trim()) {
        ("", f) => f.to_owned(),
        (l, "") => l.to_owned(),
        (l, f) => [l, ", ", f].concat(),
    }
}

/// The role of the payment type in `name_col`: the rules' mapping or defaults, a tax
/// authority named in column 226, else the payment code in `code_col`.
pub(crate) fn resolve(rules: &Rules, row: &SaeRow<'_>, name_col: C, code_col: C) -> Option<Role> {
    let name = row.text(name_col);
    let name = name.trim();
    if let Some(r) = rules.role(name) {
        return Some(r);
    }
    let label = row.text(C::TaxAuthorityLabel);
    if !name.is_empty() && name == label.trim() {
        return Some(Role::Tax);
    }
    role_from_code(&row.text(code_col).to_lowercase())
}

/// Classifies one SAE detail row.
pub fn classify(row: &SaeRow<'_>, rules: &Rules) -> Result<Classified, ClassifyError> {
    let shape = Shape::read(row, rules)?;
    let raw_account = row.text(C::JournalAccountCode);
    let raw_account = raw_account.trim();
    match shape.kind(row, rules, raw_account)? {
        Decided::Line(line) => posting(row, rules, &shape, raw_account, line),
        Decided::Done(classified) => Ok(classified),
    }
}

/// Step 1 of [`classify`]: what the row says about itself: its direction and amount, the
/// personal flag, the cash-advance transaction, and who pays whom (the payer and payee
/// payment types resolved to their roles).
struct Shape {
    side: Side,
    amount: Decimal,
    personal: bool,
    ca: Option<CashAdvanceTransaction>,
    payer_name: String,
    payee_name: String,
    payer: Role,
    payee: Role,
}

/// Step 2 of [`classify`]: the posting kind, its counterparty, the builder's tag and an
/// explicit line account; or the row decided already (skipped, or a tax posting).
enum Decided {
    Line(Line),
    Done(Classified),
}

/// A row's posting as step 2 decides it.
struct Line {
    kind: Kind,
    cp: Counterparty,
    tag: Tag,
    /// The line's account where the kind fixes it (cash advances); else from the row.
    account: Option<String>,
}

impl Shape {
    fn read(row: &SaeRow<'_>, rules: &Rules) -> Result<Shape, ClassifyError> {
        let side = match row.dr_cr(C::JournalDebitOrCredit)? {
            DebitCredit::Debit => Side::Debit,
            DebitCredit::Credit => Side::Credit,
        };
        let amount = row.amount(C::JournalAmount)?.abs();
        let personal = row.flag(C::ReportEntryIsPersonalFlag).ok().flatten() == Some(true);
        let ca = CashAdvanceTransaction::from_code(&row.text(C::CashAdvanceTransactionType));
        let payer_name = row.text(C::JournalPayerPaymentTypeName).trim().to_owned();
        let payee_name = row.text(C::JournalPayeePaymentTypeName).trim().to_owned();
        let payer = resolve(
            rules,
            row,
            C::JournalPayerPaymentTypeName,
            C::JournalPayerPaymentCodeName,
        );
        let payee = resolve(
            rules,
            row,
            C::JournalPayeePaymentTypeName,
            C::JournalPayeePaymentCodeName,
        )
        .or_else(|| {
            // A card or company-paid type renamed beyond recognition: the entry's payment
            // type code (column 126) still says what it is.
            (payer == Some(Role::Company) && side == Side::Debit)
                .then(|| role_from_code(&row.text(C::PaymentTypeCode).to_lowercase()))
                .flatten()
        });
        let unknown =
            |column: u16, which: &'static str, name: &str| ClassifyError::UnknownPaymentType {
                column,
                which,
                name: name.to_owned(),
            };
        let payer = payer.ok_or_else(|| unknown(163, "payer", &payer_name))?;
        let payee = payee.ok_or_else(|| unknown(165, "payee", &payee_name))?;
        Ok(Shape {
            side,
            amount,
            personal,
            ca,
            payer_name,
            payee_name,
            payer,
            payee,
        })
    }

    /// No kind has this shape.
    fn error(&self) -> ClassifyError {
        ClassifyError::Shape {
            payer: self.payer_name.clone(),
            payee: self.payee_name.clone(),
            side: self.side,
            personal: self.personal,
        }
    }

    fn kind(
        &self,
        row: &SaeRow<'_>,
        rules: &Rules,
        raw_account: &str,
    ) -> Result<Decided, ClassifyError> {
        use CashAdvanceTransaction::{Application, CarryForward, Issue};
        use Role::*;
        use Side::*;
        let ca_account = || -> Option<String> {
            (!raw_account.is_empty()).then(|| rules.map_account(raw_account).to_owned())
        };
        let (payer, payee, side) = (self.payer, self.payee, self.side);
        let (payer_name, payee_name) = (&self.payer_name, &self.payee_name);
        let line = match self.ca {
            Some(Issue) => match (payer, payee, side) {
                (Company, Employee, Debit) => {
                    let cp = if rules.cash_advance_issue_to_bank {
                        Counterparty::CashAdvance
                    } else {
                        Counterparty::Employee
                    };
                    (
                        Kind::CashAdvanceIssued,
                        cp,
                        Tag::None,
                        Some(ca_line_account(rules, row, ca_account())),
                    )
                }
                (Employee, Company, Credit) => (
                    Kind::CashAdvanceReturned,
                    if rules.cash_advance_return_to_bank {
                        Counterparty::CashAdvance
                    } else {
                        Counterparty::Employee
                    },
                    Tag::None,
                    Some(ca_line_account(rules, row, ca_account())),
                ),
                _ => return Err(self.error()),
            },
            Some(Application) if (payer, payee, side) == (Employee, Company, Credit) => {
                let expense = row
                    .text(C::ReportEntryExpenseTypeName)
                    .trim()
                    .to_lowercase();
                let kind = if rules.return_expense_types.contains(&expense) {
                    Kind::CashAdvanceReturned
                } else {
                    Kind::CashAdvanceApplied
                };
                let cp = if kind == Kind::CashAdvanceReturned && rules.cash_advance_return_to_bank {
                    Counterparty::CashAdvance
                } else {
                    Counterparty::Employee
                };
                (
                    kind,
                    cp,
                    Tag::None,
                    Some(ca_line_account(rules, row, ca_account())),
                )
            }
            Some(CarryForward) => {
                let cp = if (payer, payee, side) == (Employee, Company, Credit)
                    || (payer, payee, side) == (Company, Employee, Debit)
                {
                    Counterparty::Employee
                } else {
                    Counterparty::CashAdvance
                };
                (
                    Kind::CashAdvanceCarryForward,
                    cp,
                    Tag::None,
                    Some(ca_line_account(rules, row, ca_account())),
                )
            }
            _ if payer == Tax || payee == Tax => {
                return tax_posting(row, rules, side, self.amount).map(Decided::Done);
            }
            _ if self.personal => match (payer, payee, side) {
                (Company, Card(b), Debit) => (
                    Kind::PersonalOnCompanyCard,
                    Counterparty::Card(Arc::from(payee_name.as_str())),
                    Tag::PersonalCardCharge(b),
                    None,
                ),
                (Card(_), Company, Credit) => (
                    Kind::PersonalOnCompanyCard,
                    Counterparty::Card(Arc::from(payer_name.as_str())),
                    Tag::None,
                    None,
                ),
                (Employee, Company, Credit) => (
                    Kind::PersonalOnCompanyCard,
                    Counterparty::Employee,
                    Tag::PersonalRepayment,
                    None,
                ),
                (Company, Employee, Debit) => (
                    Kind::PersonalOnCompanyCard,
                    Counterparty::Employee,
                    Tag::None,
                    None,
                ),
                (Employee, Company, Debit) => match rules.ibcp_personal {
                    IbcpPersonal::Skip => {
                        return Ok(Decided::Done(Classified::Skipped(
                            "a personal charge on an individually billed card: the employee settles it with the card issuer, so it is not posted ([personal] ibcp = \"post\" posts it)".into(),
                        )));
                    }
                    IbcpPersonal::Post => (
                        Kind::PersonalOnCompanyCard,
                        Counterparty::Employee,
                        Tag::None,
                        None,
                    ),
                },
                _ => return Err(self.error()),
            },
            _ => match (payer, payee, side) {
                (Company, Employee, Debit) => {
                    (Kind::OutOfPocket, Counterparty::Employee, Tag::None, None)
                }
                (Employee, Company, Credit) => (
                    Kind::OutOfPocketCredit,
                    Counterparty::Employee,
                    Tag::None,
                    None,
                ),
                (Company, Card(_), Debit) => (
                    Kind::CompanyCard,
                    Counterparty::Card(Arc::from(payee_name.as_str())),
                    Tag::None,
                    None,
                ),
                (Card(_), Company, Credit) => (
                    Kind::CompanyCardCredit,
                    Counterparty::Card(Arc::from(payer_name.as_str())),
                    Tag::None,
                    None,
                ),
                (Company, CompanyPaid, Debit) | (CompanyPaid, Company, Credit) => (
                    Kind::CompanyPaid,
                    Counterparty::CompanyPaid,
                    Tag::None,
                    None,
                ),
                _ => return Err(self.error()),
            },
        };
        let (kind, cp, tag, account) = line;
        Ok(Decided::Line(Line {
            kind,
            cp,
            tag,
            account,
        }))
    }
}

/// Step 3 of [`classify`]: the posting, its accounts (the line's, rendered from the rules
/// where the row gives none, and the offset), memo and dimensions.
fn posting(
    row: &SaeRow<'_>,
    rules: &Rules,
    shape: &Shape,
    raw_account: &str,
    line: Line,
) -> Result<Classified, ClassifyError> {
    let Line {
        kind,
        cp,
        tag,
        account,
    } = line;
    let program = match &cp {
        Counterparty::Card(p) => p.to_string(),
        _ => String::new(),
    };
    let account = match account {
        None if raw_account.is_empty() && kind == Kind::PersonalOnCompanyCard => {
            Some(rules.card_clearing.render(&RowValues {
                row,
                account: String::new(),
                program: program.clone(),
                kind,
            }))
        }
        None if raw_account.is_empty() => return Err(ClassifyError::NoAccount),
        other => other,
    };
    let mut vals = RowValues {
        row,
        account: rules.map_account(raw_account).to_owned(),
        program,
        kind,
    };
    let account = match account {
        Some(a) => a,
        None => rules.account.render(&vals),
    };
    vals.account = account.clone();
    let offset_account = offset_account(rules, &cp, kind, &vals);
    Ok(Classified::Posting(
        Box::new(Posting {
            kind,
            account,
            side: shape.side,
            amount: shape.amount,
            counterparty: Some(cp),
            offset_account,
            memo: rules.memo.render(&vals),
            dimensions: dimensions(rules, &vals),
            source_line: row.line(),
        }),
        tag,
    ))
}

fn ca_line_account(rules: &Rules, row: &SaeRow<'_>, mapped: Option<String>) -> String {
    match mapped {
        Some(a) => a,
        None => rules.cash_advance_receivable.render(&RowValues {
            row,
            account: String::new(),
            program: String::new(),
            kind: Kind::CashAdvanceIssued,
        }),
    }
}

/// The offset account for `cp` on a line of `kind`, composed with the row's values.
pub fn offset_account(rules: &Rules, cp: &Counterparty, kind: Kind, vals: &dyn Values) -> String {
    match cp {
        Counterparty::Employee => rules.employee.render(vals),
        Counterparty::Card(program) => match rules.cards.get(&program.to_lowercase()) {
            Some(t) => t.render(vals),
            None => rules.card.render(vals),
        },
        Counterparty::CompanyPaid => rules.company_paid.render(vals),
        Counterparty::CashAdvance if kind == Kind::CashAdvanceCarryForward => {
            rules.cash_advance_carry_forward.render(vals)
        }
        Counterparty::CashAdvance => rules.bank.render(vals),
        Counterparty::Tax => rules.tax_authority.render(vals),
        Counterparty::Vendor(_) => rules.vendor.render(vals),
    }
}

/// The rules' dimensions rendered for a row (empty values left out).
pub fn dimensions(rules: &Rules, vals: &dyn Values) -> Vec<(String, String)> {
    rules
        .dimensions
        .iter()
        .filter_map(|(name, t)| {
            let v = t.render(vals);
            (!v.is_empty()).then(|| (name.clone(), v))
        })
        .collect()
}

fn tax_posting(
    row: &SaeRow<'_>,
    rules: &Rules,
    marked: Side,
    amount: Decimal,
) -> Result<Classified, ClassifyError> {
    let code = row.text(C::JournalAccountCode).trim().to_owned();
    let account = rules
        .tax_accounts
        .get(&code)
        .cloned()
        .unwrap_or_else(|| rules.map_account(&code).to_owned());
    let (side, cp) = match rules.tax_direction {
        TaxDirection::AsMarked => (marked, Counterparty::Tax),
        TaxDirection::Reclaim => {
            // Reclaimable tax is an asset; it reverses on a refund entry.
            let refund = row
                .opt_amount(C::ReportEntryPostedAmount)
                .ok()
                .flatten()
                .is_some_and(|a| a.is_sign_negative() && !a.is_zero());
            let side = if refund { Side::Credit } else { Side::Debit };
            // The tax was paid together with its entry, by whoever paid the entry.
            let code = row.text(C::PaymentTypeCode).to_lowercase();
            let cp = match role_from_code(&code) {
                Some(Role::Card(_)) => {
                    let program = row.text(C::ReportEntryPaymentTypeName).trim().to_owned();
                    Counterparty::Card(Arc::from(if program.is_empty() {
                        code.as_str()
                    } else {
                        program.as_str()
                    }))
                }
                Some(Role::CompanyPaid) => Counterparty::CompanyPaid,
                _ => Counterparty::Employee,
            };
            (side, cp)
        }
    };
    let program = match &cp {
        Counterparty::Card(p) => p.to_string(),
        _ => String::new(),
    };
    let vals = RowValues {
        row,
        account: account.clone(),
        program,
        kind: Kind::Tax,
    };
    Ok(Classified::Posting(
        Box::new(Posting {
            kind: Kind::Tax,
            offset_account: offset_account(rules, &cp, Kind::Tax, &vals),
            account,
            side,
            amount,
            counterparty: Some(cp),
            memo: rules.memo.render(&vals),
            dimensions: dimensions(rules, &vals),
            source_line: row.line(),
        }),
        Tag::None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cash_advance_transactions_are_read_from_their_codes() {
        use CashAdvanceTransaction::*;
        let read = CashAdvanceTransaction::from_code;
        assert_eq!(read("1"), Some(Issue));
        assert_eq!(read(" 2 "), Some(Application));
        assert_eq!(read("3"), Some(CarryForward));
        for other in ["", " ", "0", "4", "12", "I"] {
            assert_eq!(read(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_shape_error_reads_as_before() {
        let e = |side, personal| {
            ClassifyError::Shape {
                payer: "Company".into(),
                payee: "Visa".into(),
                side,
                personal,
            }
            .to_string()
        };
        assert_eq!(
            e(Side::Credit, true),
            "a credit from `Company` to `Visa` marked personal fits no posting kind"
        );
        assert_eq!(
            e(Side::Debit, false),
            "a debit from `Company` to `Visa` fits no posting kind"
        );
    }
}

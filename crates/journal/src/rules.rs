//! The rules file (`ledgerline.toml`): data, not code.
//!
//! Every key is optional; [`Rules::default`] makes every command work on any valid extract
//! with placeholder offset accounts such as `EMPLOYEE_PAYABLE`. A wrong file is refused with
//! an error naming the key and what was expected (unknown keys included, so typos surface).

use crate::template::{Template, TemplateError};
use ledgerline_extract::batch::BatchMapping;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// How lines are grouped into journals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Grouping {
    /// One journal per expense report (cash-advance issuances: one per advance).
    #[default]
    Report,
    /// One journal per batch (and currency).
    Batch,
    /// One journal per employee, entry date and currency.
    EmployeeDay,
}

/// Which date a journal carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    /// The extract's batch date (column 3).
    #[default]
    Batch,
    /// The report submit date (column 24).
    Submit,
    /// The report payment processing date (column 26).
    Processing,
    /// The latest entry transaction date of the journal (column 64).
    Entry,
}

/// The role a payment-type name plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The company (Concur's COMP pseudo type).
    Company,
    /// The employee (EMPL), and individually paid cards (IBIP) reimbursed like cash.
    Employee,
    /// A card the company pays: individually billed (IBCP) or company billed (CBCP).
    Card(CardBilling),
    /// Company paid (COPD).
    CompanyPaid,
    /// A tax authority on separate tax lines.
    Tax,
}

/// Who the card issuer bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBilling {
    /// Individually billed, company paid: personal charges stay between employee and issuer.
    Ibcp,
    /// Company billed, company paid: the company pays everything and recovers personal charges.
    Cbcp,
}

impl Role {
    fn parse(s: &str) -> Option<Role> {
        Some(match s.to_ascii_lowercase().as_str() {
            "company" => Role::Company,
            "employee" | "card:ibip" => Role::Employee,
            "card:ibcp" | "card" => Role::Card(CardBilling::Ibcp),
            "card:cbcp" => Role::Card(CardBilling::Cbcp),
            "company_paid" => Role::CompanyPaid,
            "tax" => Role::Tax,
            _ => return None,
        })
    }
}

/// What to do with the employee's personal charge on an individually-billed card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IbcpPersonal {
    /// Leave it out: the employee settles it with the issuer (reported, not posted).
    #[default]
    Skip,
    /// Post it (debit the line's account, credit the employee).
    Post,
}

/// How a separate tax line is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TaxDirection {
    /// Reclaimable tax: debit the tax account (credit for a refund entry), offset to whoever
    /// paid the entry (the employee for cash, the card program for a card).
    #[default]
    Reclaim,
    /// Post exactly as marked in column 168, offset to the tax authority.
    AsMarked,
}

/// Which PRAE amount column is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PraeAmount {
    /// Column 63, including prorated tax and shipping.
    #[default]
    Gross,
    /// Column 62, with prorated shipping (58) and the rest of the tax on their own lines.
    Net,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawJournal {
    group: Option<Grouping>,
    date: Option<DateSource>,
    account: Option<String>,
    memo: Option<String>,
    offset_memo: Option<String>,
    rounding_account: Option<String>,
}

/// The placeholder accounts the built-in defaults post to: an ERP file carrying one needs a
/// rules file (`[offsets]`) before it is imported.
pub const PLACEHOLDER_ACCOUNTS: &[&str] = &[
    "EMPLOYEE_PAYABLE",
    "CARD_PAYABLE",
    "COMPANY_PAID_CLEARING",
    "CASH_ADVANCE_RECEIVABLE",
    "BANK",
    "CASH_ADVANCE_CARRY_FORWARD",
    "TAX_RECEIVABLE",
    "ACCOUNTS_PAYABLE",
    "CARD_CLEARING",
];

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOffsets {
    employee: Option<String>,
    card: Option<String>,
    cards: Option<BTreeMap<String, String>>,
    company_paid: Option<String>,
    cash_advance_receivable: Option<String>,
    cash_advance_issue: Option<String>,
    bank: Option<String>,
    cash_advance_carry_forward: Option<String>,
    card_clearing: Option<String>,
    tax_authority: Option<String>,
    vendor: Option<String>,
    dimensions: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCashAdvance {
    return_expense_types: Option<Vec<String>>,
    return_offset: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPersonal {
    ibcp: Option<IbcpPersonal>,
    cbcp_implied_recovery: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTax {
    direction: Option<TaxDirection>,
    accounts: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPrae {
    amount: Option<PraeAmount>,
    shipping_account: Option<String>,
    tax_account: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    journal: Option<RawJournal>,
    accounts: Option<RawAccounts>,
    payment_types: Option<BTreeMap<String, String>>,
    offsets: Option<RawOffsets>,
    cash_advance: Option<RawCashAdvance>,
    personal: Option<RawPersonal>,
    tax: Option<RawTax>,
    dimensions: Option<BTreeMap<String, String>>,
    currencies: Option<BTreeMap<String, u32>>,
    prae: Option<RawPrae>,
    batch: Option<BatchMapping>,
    /// Per-format settings, read by `ledgerline-erp`.
    formats: Option<toml::Table>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    map: Option<BTreeMap<String, String>>,
}

/// Why a rules file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax or schema error (the message names the key and line).
    #[error("{path}: {error}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, naming the key.
        error: RulesParseError,
    },
}

/// Why rules text does not compile; every message names the key and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesParseError {
    /// Not TOML, or a key or value the schema does not have (the message names the line).
    #[error("{}", .0.to_string().trim_end())]
    Toml(toml::de::Error),
    /// A `[payment_types]` entry whose role is not one of the roles.
    #[error(
        "payment_types.\"{name}\": `{role}` is not a role; expected company, employee, card:ibcp, card:cbcp, card:ibip, company_paid or tax"
    )]
    UnknownRole {
        /// The payment-type name.
        name: String,
        /// The role as written.
        role: String,
    },
    /// `[batch] date` is not a date.
    #[error(
        "batch.date: `{value}` is not a date; expected yyyy-MM-dd, e.g. date = \"2024-03-31\" (the posting date of payment-batch files without a date column)"
    )]
    BatchDate {
        /// The value as written.
        value: String,
    },
    /// A key whose value must be one of a few words.
    #[error("{key}: `{value}` is not allowed; expected {expected}")]
    NotAllowed {
        /// The key, with its section (`offsets.dimensions`).
        key: &'static str,
        /// The value as written.
        value: String,
        /// The words allowed (`none or report`).
        expected: &'static str,
    },
    /// A template (account, memo, dimension) that does not compile.
    #[error("{key}: {error}")]
    Template {
        /// The key, with its section (`dimensions.dept`).
        key: String,
        /// What is wrong with the template.
        error: TemplateError,
    },
    /// A `[currencies]` key that is not an ISO 4217 code.
    #[error("currencies.{code}: not an ISO 4217 currency code")]
    NotACurrency {
        /// The key as written.
        code: String,
    },
    /// A `[currencies]` value outside 0 to 8.
    #[error("currencies.{code}: {units} minor units; expected 0 to 8")]
    MinorUnits {
        /// The currency.
        code: String,
        /// The value as written.
        units: u32,
    },
}

/// Compiled rules.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Grouping of lines into journals.
    pub group: Grouping,
    /// Journal date.
    pub date: DateSource,
    /// Line account template.
    pub account: Template,
    /// Line memo template.
    pub memo: Template,
    /// Offset-line memo template.
    pub offset_memo: Template,
    /// Where rounding differences go; distributed by largest remainder when `None`.
    pub rounding_account: Option<String>,
    /// Natural account code -> ERP account.
    pub account_map: BTreeMap<String, String>,
    /// Payment-type name (lower-cased) -> role.
    pub payment_types: BTreeMap<String, Role>,
    /// Employee payable template.
    pub employee: Template,
    /// Default card payable template.
    pub card: Template,
    /// Card payable per program name.
    pub cards: BTreeMap<String, Template>,
    /// Company-paid clearing.
    pub company_paid: Template,
    /// Cash-advance receivable used when column 167 is blank on a cash-advance row.
    pub cash_advance_receivable: Template,
    /// Offset of an issued advance: the employee (default) or the bank.
    pub cash_advance_issue_to_bank: bool,
    /// `[offsets] dimensions = "report"`: each offset line carries the dimensions that every
    /// line it offsets has in common (the report-level ones, such as the department), since
    /// Intacct and NetSuite may require them on every line. `"none"` (the default): none.
    pub offset_dimensions_from_report: bool,
    /// Bank / cash account (returned advances, advances paid from the bank).
    pub bank: Template,
    /// Carry-forward balance account.
    pub cash_advance_carry_forward: Template,
    /// Tax authority receivable (used with `tax.direction = "as_marked"`).
    pub tax_authority: Template,
    /// Vendor payable template (PRAE); `{vendor_code}` available.
    pub vendor: Template,
    /// Expense type names that mark a cash-advance return line.
    pub return_expense_types: Vec<String>,
    /// A returned advance is debited to the bank (true) or to the employee (false, Concur's
    /// own posting example: the employee vendor account, cleared when the cash arrives).
    pub cash_advance_return_to_bank: bool,
    /// Card clearing account for personal card lines whose column 167 is blank.
    pub card_clearing: Template,
    /// Individually-billed card personal charges.
    pub ibcp_personal: IbcpPersonal,
    /// Add the employee recovery of a CBCP personal charge that has no repayment line.
    pub cbcp_implied_recovery: bool,
    /// How tax lines post.
    pub tax_direction: TaxDirection,
    /// Tax code -> account.
    pub tax_accounts: BTreeMap<String, String>,
    /// Dimension name -> template, in file order.
    pub dimensions: Vec<(String, Template)>,
    /// Minor-unit overrides per currency.
    pub currencies: BTreeMap<String, u32>,
    /// PRAE amount choice.
    pub prae_amount: PraeAmount,
    /// PRAE shipping account (net mode).
    pub prae_shipping: Template,
    /// PRAE tax account (net mode).
    pub prae_tax: Template,
    /// Payment-batch mapping.
    pub batch: BatchMapping,
    /// Per-format settings (`[formats.<name>]`), for the ERP writers.
    pub formats: toml::Table,
}

fn tpl(key: &str, value: Option<&str>, default: &str) -> Result<Template, RulesParseError> {
    Template::parse(value.unwrap_or(default)).map_err(|error| RulesParseError::Template {
        key: key.to_owned(),
        error,
    })
}

impl Default for Rules {
    fn default() -> Self {
        Rules::from_raw(RawRules::default()).expect("the built-in defaults are valid")
    }
}

impl Rules {
    /// Reads and compiles a rules file.
    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Rules::parse(&text).map_err(|error| RulesError::Invalid {
            path: path.display().to_string(),
            error,
        })
    }

    /// Compiles rules from TOML text; the error names the key and what was expected.
    pub fn parse(text: &str) -> Result<Rules, RulesParseError> {
        let raw: RawRules = toml::from_str(text).map_err(RulesParseError::Toml)?;
        Rules::from_raw(raw)
    }

    fn from_raw(raw: RawRules) -> Result<Rules, RulesParseError> {
        let j = raw.journal.unwrap_or_default();
        let o = raw.offsets.unwrap_or_default();
        let mut payment_types = BTreeMap::new();
        for (name, role) in raw.payment_types.unwrap_or_default() {
            let Some(r) = Role::parse(&role) else {
                return Err(RulesParseError::UnknownRole { name, role });
            };
            payment_types.insert(name.trim().to_lowercase(), r);
        }
        if let Some(d) = raw.batch.as_ref().and_then(|b| b.date.as_deref())
            && ledgerline_extract::value::parse_date(d.trim().as_bytes()).is_err()
        {
            return Err(RulesParseError::BatchDate {
                value: d.to_owned(),
            });
        }
        let offset_dimensions_from_report = match o.dimensions.as_deref().unwrap_or("none") {
            "none" => false,
            "report" => true,
            other => {
                return Err(RulesParseError::NotAllowed {
                    key: "offsets.dimensions",
                    value: other.to_owned(),
                    expected: "none or report",
                });
            }
        };
        let issue = o.cash_advance_issue.as_deref().unwrap_or("employee");
        let cash_advance_issue_to_bank = match issue {
            "employee" => false,
            "bank" => true,
            other => {
                return Err(RulesParseError::NotAllowed {
                    key: "offsets.cash_advance_issue",
                    value: other.to_owned(),
                    expected: "employee or bank",
                });
            }
        };
        let mut cards = BTreeMap::new();
        for (program, account) in o.cards.unwrap_or_default() {
            cards.insert(
                program.trim().to_lowercase(),
                tpl(&format!("offsets.cards.\"{program}\""), Some(&account), "")?,
            );
        }
        let mut dimensions = Vec::new();
        for (name, t) in raw.dimensions.unwrap_or_default() {
            dimensions.push((
                name.clone(),
                tpl(&format!("dimensions.{name}"), Some(&t), "")?,
            ));
        }
        let currencies = raw.currencies.unwrap_or_default();
        for (code, units) in &currencies {
            if !ledgerline_extract::currency::is_iso_code(code.as_bytes()) {
                return Err(RulesParseError::NotACurrency { code: code.clone() });
            }
            if *units > 8 {
                return Err(RulesParseError::MinorUnits {
                    code: code.clone(),
                    units: *units,
                });
            }
        }
        let ca = raw.cash_advance.unwrap_or_default();
        let cash_advance_return_to_bank = match ca.return_offset.as_deref().unwrap_or("employee") {
            "employee" => false,
            "bank" => true,
            other => {
                return Err(RulesParseError::NotAllowed {
                    key: "cash_advance.return_offset",
                    value: other.to_owned(),
                    expected: "employee or bank",
                });
            }
        };
        let prae = raw.prae.unwrap_or_default();
        let tax = raw.tax.unwrap_or_default();
        let personal = raw.personal.unwrap_or_default();
        let rounding_account = j.rounding_account.filter(|s| !s.trim().is_empty());
        Ok(Rules {
            group: j.group.unwrap_or_default(),
            date: j.date.unwrap_or_default(),
            account: tpl("journal.account", j.account.as_deref(), "{account}")?,
            memo: tpl("journal.memo", j.memo.as_deref(), "{expense_type} {vendor}")?,
            offset_memo: tpl(
                "journal.offset_memo",
                j.offset_memo.as_deref(),
                "{report_name}",
            )?,
            rounding_account,
            account_map: raw.accounts.and_then(|a| a.map).unwrap_or_default(),
            payment_types,
            employee: tpl(
                "offsets.employee",
                o.employee.as_deref(),
                "EMPLOYEE_PAYABLE",
            )?,
            card: tpl("offsets.card", o.card.as_deref(), "CARD_PAYABLE")?,
            cards,
            company_paid: tpl(
                "offsets.company_paid",
                o.company_paid.as_deref(),
                "COMPANY_PAID_CLEARING",
            )?,
            cash_advance_receivable: tpl(
                "offsets.cash_advance_receivable",
                o.cash_advance_receivable.as_deref(),
                "CASH_ADVANCE_RECEIVABLE",
            )?,
            cash_advance_issue_to_bank,
            offset_dimensions_from_report,
            bank: tpl("offsets.bank", o.bank.as_deref(), "BANK")?,
            cash_advance_carry_forward: tpl(
                "offsets.cash_advance_carry_forward",
                o.cash_advance_carry_forward.as_deref(),
                "CASH_ADVANCE_CARRY_FORWARD",
            )?,
            tax_authority: tpl(
                "offsets.tax_authority",
                o.tax_authority.as_deref(),
                "TAX_RECEIVABLE",
            )?,
            vendor: tpl("offsets.vendor", o.vendor.as_deref(), "ACCOUNTS_PAYABLE")?,
            cash_advance_return_to_bank,
            card_clearing: tpl(
                "offsets.card_clearing",
                o.card_clearing.as_deref(),
                "CARD_CLEARING",
            )?,
            return_expense_types: ca
                .return_expense_types
                .unwrap_or_else(|| vec!["Cash Advance Return".into()])
                .into_iter()
                .map(|s| s.trim().to_lowercase())
                .collect(),
            ibcp_personal: personal.ibcp.unwrap_or_default(),
            cbcp_implied_recovery: personal.cbcp_implied_recovery.unwrap_or(true),
            tax_direction: tax.direction.unwrap_or_default(),
            tax_accounts: tax.accounts.unwrap_or_default(),
            dimensions,
            currencies,
            prae_amount: prae.amount.unwrap_or_default(),
            prae_shipping: tpl(
                "prae.shipping_account",
                prae.shipping_account.as_deref(),
                "SHIPPING",
            )?,
            prae_tax: tpl(
                "prae.tax_account",
                prae.tax_account.as_deref(),
                "TAX_RECEIVABLE",
            )?,
            batch: raw.batch.unwrap_or_default(),
            formats: raw.formats.unwrap_or_default(),
        })
    }

    /// The role of a payment-type name: the rules' mapping first, then the defaults
    /// (Company, Employee, and names containing IBCP, CBCP, IBIP or COPD).
    pub fn role(&self, name: &str) -> Option<Role> {
        let lower = name.trim().to_lowercase();
        if let Some(r) = self.payment_types.get(&lower) {
            return Some(*r);
        }
        match lower.as_str() {
            "company" | "comp" => return Some(Role::Company),
            "employee" | "empl" => return Some(Role::Employee),
            _ => {}
        }
        role_from_code(&lower)
    }

    /// Minor units of `currency` (rules override, else ISO 4217).
    pub fn minor_units(&self, currency: &str) -> u32 {
        self.currencies
            .get(currency)
            .copied()
            .unwrap_or_else(|| ledgerline_extract::currency::minor_units(currency))
    }

    /// The natural account after the account map.
    pub fn map_account<'a>(&'a self, code: &'a str) -> &'a str {
        self.account_map
            .get(code)
            .map(String::as_str)
            .unwrap_or(code)
    }
}

/// The role implied by a payment code or a name containing one (`IBCP`, `CBCP`, `IBIP`, `COPD`).
pub fn role_from_code(lower: &str) -> Option<Role> {
    let has = |code: &str| lower.contains(code);
    if has("cbcp") {
        Some(Role::Card(CardBilling::Cbcp))
    } else if has("ibcp") {
        Some(Role::Card(CardBilling::Ibcp))
    } else if has("ibip") {
        Some(Role::Employee)
    } else if has("copd") {
        Some(Role::CompanyPaid)
    } else {
        None
    }
}

/// A commented starter rules file (`ledgerline rules init`).
pub const STARTER: &str = include_str!("starter.toml");

/// A first guess at a payment type's role from its name, for the user to confirm (used by
/// JNL211 and `rules init --from`).
pub fn guess_role(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    if n.contains("central") || n.contains("company bill") {
        "card:cbcp"
    } else if n.contains("card") || n.contains("amex") || n.contains("visa") || n.contains("master")
    {
        "card:ibcp"
    } else if n.contains("user")
        || n.contains("employee")
        || n.contains("cash")
        || n.contains("staff")
    {
        "employee"
    } else {
        "company"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_file_compiles_to_the_defaults() {
        let starter = Rules::parse(STARTER).expect("starter parses");
        let d = Rules::default();
        assert_eq!(starter.group, d.group);
        assert_eq!(starter.employee, d.employee);
        assert_eq!(starter.return_expense_types, d.return_expense_types);
    }

    #[test]
    fn default_roles() {
        let r = Rules::default();
        assert_eq!(r.role("Company"), Some(Role::Company));
        assert_eq!(r.role("EMPLOYEE"), Some(Role::Employee));
        assert_eq!(r.role("IBCP CORP"), Some(Role::Card(CardBilling::Ibcp)));
        assert_eq!(
            r.role("Amex CBCP Corp"),
            Some(Role::Card(CardBilling::Cbcp))
        );
        assert_eq!(r.role("Company Paid COPD"), Some(Role::CompanyPaid));
        assert_eq!(r.role("University"), None);
    }

    #[test]
    fn errors_name_the_key() {
        let err = |text: &str| Rules::parse(text).unwrap_err().to_string();
        let e = err("[journal]\ngroup = \"weekly\"\n");
        assert!(e.contains("group") && e.contains("report"), "{e}");
        let e = err("[journal]\nmemmo = \"x\"\n");
        assert!(e.contains("memmo"), "{e}");
        let e = err("[payment_types]\nUniversity = \"boss\"\n");
        assert!(
            e.contains("payment_types.\"University\"") && e.contains("card:cbcp"),
            "{e}"
        );
        let e = err("[dimensions]\ndept = \"{Nope}\"\n");
        assert!(e.starts_with("dimensions.dept:"), "{e}");
        let e = err("[currencies]\nUSD = 12\n");
        assert!(e.contains("currencies.USD"), "{e}");
    }

    #[test]
    fn error_texts_are_unchanged() {
        let err = |text: &str| Rules::parse(text).unwrap_err().to_string();
        assert_eq!(
            err("[payment_types]\nUniversity = \"boss\"\n"),
            "payment_types.\"University\": `boss` is not a role; expected company, employee, card:ibcp, card:cbcp, card:ibip, company_paid or tax"
        );
        assert_eq!(
            err("[batch]\ndate = \"31/03\"\n"),
            "batch.date: `31/03` is not a date; expected yyyy-MM-dd, e.g. date = \"2024-03-31\" (the posting date of payment-batch files without a date column)"
        );
        assert_eq!(
            err("[offsets]\ndimensions = \"all\"\n"),
            "offsets.dimensions: `all` is not allowed; expected none or report"
        );
        assert_eq!(
            err("[offsets]\ncash_advance_issue = \"vault\"\n"),
            "offsets.cash_advance_issue: `vault` is not allowed; expected employee or bank"
        );
        assert_eq!(
            err("[cash_advance]\nreturn_offset = \"vault\"\n"),
            "cash_advance.return_offset: `vault` is not allowed; expected employee or bank"
        );
        assert_eq!(
            err("[offsets]\nemployee = \"{open\"\n"),
            "offsets.employee: `{open` is not closed with `}`"
        );
        assert_eq!(
            err("[currencies]\nUS = 2\n"),
            "currencies.US: not an ISO 4217 currency code"
        );
        assert_eq!(
            err("[currencies]\nUSD = 9\n"),
            "currencies.USD: 9 minor units; expected 0 to 8"
        );
        let toml = err("[journal]\nmemmo = \"x\"\n");
        assert_eq!(toml, toml.trim_end(), "the TOML message is trimmed");
        assert!(toml.contains("memmo"), "{toml}");
    }

    #[test]
    fn renamed_payment_types() {
        let r = Rules::parse("[payment_types]\nUniversity = \"company\"\nUser = \"employee\"\n")
            .unwrap();
        assert_eq!(r.role("university"), Some(Role::Company));
        assert_eq!(r.role("User"), Some(Role::Employee));
    }

    #[test]
    fn every_guessed_role_is_one_the_rules_accept() {
        for name in [
            "University",
            "Amex Corporate",
            "Visa Central",
            "Staff",
            "User",
            "Petty Cash",
        ] {
            let text = format!("[payment_types]\n\"{name}\" = \"{}\"\n", guess_role(name));
            assert!(Rules::parse(&text).is_ok(), "{text}");
        }
    }
}

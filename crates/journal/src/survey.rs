//! What an extract uses (payment-type names, natural accounts, report-level fields), and a
//! starter rules file written from it (`ledgerline rules init --from EXTRACT`).
//!
//! ```
//! use ledgerline_journal::survey::Survey;
//! let survey = Survey::default();
//! let text = survey.starter(&ledgerline_journal::Rules::default());
//! assert!(ledgerline_journal::Rules::parse(&text).is_ok());
//! ```

use crate::rules::{Role, Rules, guess_role, role_from_code};
use ledgerline_extract::sae::SaeRow;
use ledgerline_extract::schema::SaeCol as C;
use std::collections::BTreeMap;

/// How one payment-type name is used.
#[derive(Debug, Default, Clone)]
struct NameUse {
    /// Lines where it pays a debit or is paid a credit (the company's side, usually).
    company_side: u64,
    /// Lines where it is paid a debit or pays a credit (the employee's or a card's side).
    other_side: u64,
    /// Payment code names seen with it (columns 164/166).
    codes: BTreeMap<String, u64>,
    /// The role the rules resolve it to on its lines (names, codes, tax label), if any.
    resolved: Option<Role>,
}

/// Everything a starter rules file is written from.
#[derive(Debug, Default, Clone)]
pub struct Survey {
    names: BTreeMap<String, NameUse>,
    /// Natural account -> (lines, expense types seen).
    accounts: BTreeMap<String, (u64, BTreeMap<String, u64>)>,
    /// Report org unit column (35-40) -> distinct values.
    org_units: BTreeMap<u16, BTreeMap<String, u64>>,
    rows: u64,
}

const ORG_UNITS: [C; 6] = [
    C::ReportOrgUnit1,
    C::ReportOrgUnit2,
    C::ReportOrgUnit3,
    C::ReportOrgUnit4,
    C::ReportOrgUnit5,
    C::ReportOrgUnit6,
];

impl Survey {
    /// Takes note of one SAE detail row, as `rules` read it.
    pub fn add(&mut self, row: &SaeRow<'_>, rules: &Rules) {
        self.rows += 1;
        let debit = row.text(C::JournalDebitOrCredit).trim() == "DR";
        let entry_code = row.text(C::PaymentTypeCode);
        let entry_code = Some(entry_code.trim()).filter(|c| !c.is_empty() && *c != "XXXX");
        for (name_col, code_col, pays) in [
            (
                C::JournalPayerPaymentTypeName,
                C::JournalPayerPaymentCodeName,
                true,
            ),
            (
                C::JournalPayeePaymentTypeName,
                C::JournalPayeePaymentCodeName,
                false,
            ),
        ] {
            let name = row.text(name_col).trim().to_owned();
            if name.is_empty() {
                continue;
            }
            let own_type = row.text(C::PaymentCode).trim() == name;
            let u = self.names.entry(name).or_default();
            if u.resolved.is_none() {
                u.resolved = crate::classify::resolve(rules, row, name_col, code_col);
            }
            if pays == debit {
                u.company_side += 1;
            } else {
                u.other_side += 1;
            }
            let code = row.text(code_col).trim().to_owned();
            if !code.is_empty() {
                *u.codes.entry(code).or_insert(0) += 1;
            }
            // The entry's own payment type (column 127) is this name: its code (column 126:
            // CASH, IBCP, CBCP, COPD ...) says what it is, whatever it was renamed to.
            if let Some(code) = entry_code.filter(|_| own_type) {
                *u.codes.entry(code.to_owned()).or_insert(0) += 1;
            }
        }
        let account = row.text(C::JournalAccountCode).trim().to_owned();
        if !account.is_empty() {
            let e = self.accounts.entry(account).or_default();
            e.0 += 1;
            let et = row.text(C::ReportEntryExpenseTypeName).trim().to_owned();
            if !et.is_empty() {
                *e.1.entry(et).or_insert(0) += 1;
            }
        }
        for (i, col) in ORG_UNITS.iter().enumerate() {
            let v = row.text(*col).trim().to_owned();
            if !v.is_empty() {
                *self
                    .org_units
                    .entry(i as u16 + 1)
                    .or_default()
                    .entry(v)
                    .or_insert(0) += 1;
            }
        }
    }

    /// The role guessed for a name the rules do not know: from its payment code (IBCP,
    /// CBCP, IBIP, COPD), else from Concur's pseudo payment code and the side it is on,
    /// else from the name.
    fn guess(name: &str, u: &NameUse) -> &'static str {
        for code in u.codes.keys() {
            match role_from_code(&code.to_lowercase()) {
                Some(Role::Card(crate::rules::CardBilling::Cbcp)) => return "card:cbcp",
                Some(Role::Card(_)) => return "card:ibcp",
                Some(Role::CompanyPaid) => return "company_paid",
                Some(Role::Employee) => return "employee",
                _ => {}
            }
        }
        if u.codes.keys().any(|c| c.to_lowercase().contains("pseudo")) {
            return if u.company_side >= u.other_side {
                "company"
            } else {
                "employee"
            };
        }
        guess_role(name)
    }

    /// The starter rules file (the commented defaults), with the extract's own payment
    /// types, natural accounts, card programs and report org units filled in, each guess
    /// marked for review.
    pub fn starter(&self, rules: &Rules) -> String {
        let mut payment_types = String::new();
        let mut cards = String::new();
        for (name, u) in &self.names {
            let quoted = toml_string(name);
            let lines = u.company_side + u.other_side;
            match rules.role(name).or(u.resolved) {
                Some(Role::Tax) => payment_types.push_str(&format!(
                    "# {quoted}: a tax authority (named in column 226) ({lines} line(s))\n"
                )),
                Some(role) => {
                    payment_types.push_str(&format!(
                        "# {quoted}: {} by default ({lines} line(s))\n",
                        role_name(role)
                    ));
                    if matches!(role, Role::Card(_)) {
                        cards.push_str(&format!("# {quoted} = \"CARD_PAYABLE\"\n"));
                    }
                }
                None => {
                    let g = Self::guess(name, u);
                    payment_types.push_str(&format!(
                        "{quoted} = \"{g}\"   # REVIEW: guessed from {} ({lines} line(s))\n",
                        if u.codes.is_empty() {
                            "the name".to_owned()
                        } else {
                            format!(
                                "payment code {}",
                                u.codes.keys().cloned().collect::<Vec<_>>().join(", ")
                            )
                        }
                    ));
                    if g.starts_with("card:") {
                        cards.push_str(&format!("# {quoted} = \"CARD_PAYABLE\"\n"));
                    }
                }
            }
        }
        let mut accounts = String::new();
        for (code, (n, types)) in &self.accounts {
            let mut top: Vec<(&String, &u64)> = types.iter().collect();
            top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let names: Vec<&str> = top.iter().take(3).map(|(t, _)| t.as_str()).collect();
            accounts.push_str(&format!(
                "# {} = \"\"   # {n} line(s){}\n",
                toml_string(code),
                if names.is_empty() {
                    String::new()
                } else {
                    format!(": {}", names.join(", "))
                }
            ));
        }
        let mut dims = String::new();
        for (unit, values) in &self.org_units {
            let shown: Vec<&str> = values.keys().take(5).map(String::as_str).collect();
            dims.push_str(&format!(
                "# org_unit_{unit} = \"{{ReportOrgUnit{unit}}}\"   # {} value(s): {}{}\n",
                values.len(),
                shown.join(", "),
                if values.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                }
            ));
        }
        let header = format!(
            "# Written by `ledgerline rules init --from` from {} extract line(s). Lines marked\n# REVIEW are guesses: check each before the first posting.\n\n",
            self.rows
        );
        let mut out = header;
        for line in crate::rules::STARTER.lines() {
            out.push_str(line);
            out.push('\n');
            let section = |name: &str| line.starts_with(name);
            if section("[payment_types]") && !payment_types.is_empty() {
                out.push_str("# Found in the extract:\n");
                out.push_str(&payment_types);
            } else if section("[accounts.map]") && !accounts.is_empty() {
                out.push_str("# Natural accounts found in the extract (uncomment to map):\n");
                out.push_str(&accounts);
            } else if section("[offsets.cards]") && !cards.is_empty() {
                out.push_str("# Card programs found in the extract:\n");
                out.push_str(&cards);
            } else if section("[dimensions]") && !dims.is_empty() {
                out.push_str("# Report org units found in the extract:\n");
                out.push_str(&dims);
            }
        }
        out
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Company => "company",
        Role::Employee => "employee",
        Role::Card(crate::rules::CardBilling::Cbcp) => "card:cbcp",
        Role::Card(crate::rules::CardBilling::Ibcp) => "card:ibcp",
        Role::CompanyPaid => "company_paid",
        Role::Tax => "tax",
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

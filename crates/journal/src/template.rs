//! `{placeholder}` templates for accounts, memos and dimensions.
//!
//! A placeholder is an SAE column by name (`{ReportOrgUnit1}`) or number (`{35}`), or one
//! of the variables of [`Var`]. `{{` and `}}` write literal braces.

use ledgerline_extract::schema::SaeCol;
use std::fmt::Write as _;

/// Variables every template may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// The line's natural account after the account map (SAE column 167, PRAE 61/68).
    Account,
    /// Employee id.
    EmployeeId,
    /// Employee "Last, First".
    EmployeeName,
    /// Report id.
    ReportId,
    /// Report key or number.
    ReportKey,
    /// Report name.
    ReportName,
    /// Expense type name.
    ExpenseType,
    /// Vendor name.
    Vendor,
    /// Entry description.
    Description,
    /// Card program (payment-type name) of a card line.
    Program,
    /// Vendor code (PRAE).
    VendorCode,
    /// Batch id.
    BatchId,
    /// Classification kind.
    Kind,
}

const VARS: &[(&str, Var)] = &[
    ("account", Var::Account),
    ("employee_id", Var::EmployeeId),
    ("employee_name", Var::EmployeeName),
    ("report_id", Var::ReportId),
    ("report_key", Var::ReportKey),
    ("report_name", Var::ReportName),
    ("expense_type", Var::ExpenseType),
    ("vendor", Var::Vendor),
    ("description", Var::Description),
    ("program", Var::Program),
    ("vendor_code", Var::VendorCode),
    ("batch_id", Var::BatchId),
    ("kind", Var::Kind),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Col(SaeCol),
    Var(Var),
}

/// A compiled template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Supplies values while rendering.
pub trait Values {
    /// The value of an SAE column (empty when the row has none).
    fn column(&self, col: SaeCol) -> std::borrow::Cow<'_, str>;
    /// The value of a variable.
    fn var(&self, var: Var) -> std::borrow::Cow<'_, str>;
}

impl Template {
    /// Compiles `text`; the error says which placeholder is unknown and what is expected.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(format!("`{{{name}` is not closed with `}}`")),
                        }
                    }
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(resolve(name.trim())?);
                }
                '}' => return Err("a single `}` must be written `}}`".into()),
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Ok(Template { pieces })
    }

    /// A template that is just literal text.
    pub fn literal(text: &str) -> Template {
        Template {
            pieces: if text.is_empty() {
                Vec::new()
            } else {
                vec![Piece::Lit(text.to_owned())]
            },
        }
    }

    /// Whether the template has no placeholder.
    pub fn is_literal(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Lit(_)))
    }

    /// Renders into `out` (cleared first).
    pub fn render_into(&self, v: &dyn Values, out: &mut String) {
        out.clear();
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Col(c) => {
                    let _ = write!(out, "{}", v.column(*c).trim());
                }
                Piece::Var(var) => out.push_str(v.var(*var).trim()),
            }
        }
    }

    /// Renders to a new string.
    pub fn render(&self, v: &dyn Values) -> String {
        let mut s = String::new();
        self.render_into(v, &mut s);
        s
    }
}

fn resolve(name: &str) -> Result<Piece, String> {
    if let Some((_, var)) = VARS.iter().find(|(n, _)| *n == name) {
        return Ok(Piece::Var(*var));
    }
    if let Ok(n) = name.parse::<u16>() {
        return SaeCol::from_number(n)
            .map(Piece::Col)
            .ok_or_else(|| format!("`{{{name}}}`: SAE columns are numbered 1 to 400"));
    }
    if let Some(c) = SaeCol::ALL.iter().find(|c| c.def().ident == name) {
        return Ok(Piece::Col(*c));
    }
    Err(format!(
        "unknown placeholder `{{{name}}}`; expected an SAE column name such as {{ReportOrgUnit1}}, a column number such as {{35}}, or one of: {}",
        VARS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    struct V;
    impl Values for V {
        fn column(&self, col: SaeCol) -> Cow<'_, str> {
            Cow::Owned(format!("c{}", col.number()))
        }
        fn var(&self, var: Var) -> Cow<'_, str> {
            Cow::Owned(format!("{var:?}"))
        }
    }

    #[test]
    fn placeholders_render() {
        let t = Template::parse("{account}-{ReportOrgUnit1}/{191} {{x}}").unwrap();
        assert_eq!(t.render(&V), "Account-c35/c191 {x}");
        assert!(Template::parse("plain").unwrap().is_literal());
    }

    #[test]
    fn errors_name_the_placeholder() {
        let e = Template::parse("{nope}").unwrap_err();
        assert!(e.contains("`{nope}`") && e.contains("employee_id"), "{e}");
        assert!(Template::parse("{401}").unwrap_err().contains("1 to 400"));
        assert!(Template::parse("{open").unwrap_err().contains("not closed"));
    }
}

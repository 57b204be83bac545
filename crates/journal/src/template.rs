//! `{placeholder}` templates for accounts, memos and dimensions.
//!
//! A placeholder is an SAE column by name (`{ReportOrgUnit1}`) or number (`{35}`), or one
//! of the variables of [`Var`]. `{{` and `}}` write literal braces.

use ledgerline_extract::schema::SaeCol;

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

/// Why a template does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{` without its `}`.
    #[error("`{{{name}` is not closed with `}}`")]
    Unclosed {
        /// The text after the `{`.
        name: String,
    },
    /// A `}` that closes nothing (literal braces are written `}}`).
    #[error("a single `}}` must be written `}}}}`")]
    SingleBrace,
    /// A column number outside the SAE layout.
    #[error("`{{{name}}}`: SAE columns are numbered 1 to 400")]
    NoSuchColumn {
        /// The placeholder as written.
        name: String,
    },
    /// Neither a column name, a column number nor a variable.
    #[error(
        "unknown placeholder `{{{name}}}`; expected an SAE column name such as {{ReportOrgUnit1}}, a column number such as {{35}}, or one of: {}",
        var_names()
    )]
    UnknownPlaceholder {
        /// The placeholder as written.
        name: String,
    },
}

fn var_names() -> String {
    VARS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
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
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
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
                            None => return Err(TemplateError::Unclosed { name }),
                        }
                    }
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(resolve(name.trim())?);
                }
                '}' => return Err(TemplateError::SingleBrace),
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Ok(Template { pieces })
    }

    /// Renders to a new string.
    pub fn render(&self, v: &dyn Values) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Col(c) => out.push_str(v.column(*c).trim()),
                Piece::Var(var) => out.push_str(v.var(*var).trim()),
            }
        }
        out
    }
}

fn resolve(name: &str) -> Result<Piece, TemplateError> {
    if let Some((_, var)) = VARS.iter().find(|(n, _)| *n == name) {
        return Ok(Piece::Var(*var));
    }
    if let Ok(n) = name.parse::<u16>() {
        return SaeCol::from_number(n)
            .map(Piece::Col)
            .ok_or_else(|| TemplateError::NoSuchColumn {
                name: name.to_owned(),
            });
    }
    if let Some(c) = SaeCol::ALL.iter().find(|c| c.def().ident == name) {
        return Ok(Piece::Col(*c));
    }
    Err(TemplateError::UnknownPlaceholder {
        name: name.to_owned(),
    })
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
        assert_eq!(Template::parse("plain").unwrap().render(&V), "plain");
    }

    #[test]
    fn errors_name_the_placeholder() {
        let e = Template::parse("{nope}").unwrap_err().to_string();
        assert!(e.contains("`{nope}`") && e.contains("employee_id"), "{e}");
        let e = Template::parse("{401}").unwrap_err();
        assert!(e.to_string().contains("1 to 400"), "{e}");
        let e = Template::parse("{open").unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
    }

    #[test]
    fn error_texts_are_unchanged() {
        let text = |t: &str| Template::parse(t).unwrap_err().to_string();
        assert_eq!(text("{open"), "`{open` is not closed with `}`");
        assert_eq!(text("a}b"), "a single `}` must be written `}}`");
        assert_eq!(text("{0}"), "`{0}`: SAE columns are numbered 1 to 400");
        assert_eq!(
            text("{ nope }"),
            "unknown placeholder `{nope}`; expected an SAE column name such as {ReportOrgUnit1}, a column number such as {35}, or one of: account, employee_id, employee_name, report_id, report_key, report_name, expense_type, vendor, description, program, vendor_code, batch_id, kind"
        );
    }
}

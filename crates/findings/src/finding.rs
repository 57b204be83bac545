//! One finding: a code, a severity, where it is (file, line, byte, column) and a message a
//! finance person understands.

use crate::{Check, Code, Family, Position, Severity};
use serde::Serialize;
use std::fmt;

/// A column reference inside a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnRef {
    /// 1-based column number.
    pub number: u32,
    /// Column name (from the schema, or the header row of a payment-batch file).
    pub name: String,
}

/// What a finding is about, beyond its position: the journal (or report), employee and
/// amount, for the findings that concern one (a report that does not reconcile). Shown in
/// the exceptions of `inspect` and its HTML report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Subject {
    /// The journal's id, or the Concur report id where the journal is not known.
    pub journal_id: Option<String>,
    /// The employee.
    pub employee_id: Option<String>,
    /// The amount concerned (a difference, a total), as exact decimal text.
    pub amount: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
}

/// One problem (or notice) about an input, with its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code, e.g. `SAE110`.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// The input's display name (path, `archive.zip!entry`, or `-`).
    pub file: String,
    /// 1-based line, where the finding is about one line.
    pub line: Option<u64>,
    /// 0-based byte offset of that line in the input.
    pub byte: Option<u64>,
    /// The column, where the finding is about one value.
    pub column: Option<ColumnRef>,
    /// A sentence a finance person understands.
    pub message: String,
    /// What it is about (journal, employee, amount), where it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The cause it shares with others of its code (`account 60800 is not in coa.csv`), where
    /// the message also names what differs between them (the journal, the line): findings
    /// past the listing limit are counted per cause instead of per message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl Finding {
    /// A finding for `check` in `family`, at the check's default severity.
    pub fn new(family: Family, check: Check, file: &str, message: impl Into<String>) -> Self {
        Finding {
            code: Code { family, check },
            severity: check.severity(),
            file: file.to_owned(),
            line: None,
            byte: None,
            column: None,
            message: message.into(),
            subject: None,
            cause: None,
        }
    }

    /// Sets the line position.
    pub fn at(mut self, pos: Position) -> Self {
        self.line = Some(pos.line);
        self.byte = Some(pos.byte);
        self
    }

    /// Sets the column.
    pub fn column(mut self, number: u32, name: impl Into<String>) -> Self {
        self.column = Some(ColumnRef {
            number,
            name: name.into(),
        });
        self
    }

    /// Sets what the finding is about.
    pub fn about(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the cause it shares with others of its code (see [`Finding::cause`]).
    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Overrides the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": {} {}", self.severity, self.code)?;
        if let Some(c) = &self.column {
            write!(f, " [col {} {}]", c.number, c.name)?;
        }
        write!(f, ": {}", self.message)
    }
}

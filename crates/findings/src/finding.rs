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

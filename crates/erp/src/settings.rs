//! Reading a format's `[formats.<name>]` section of the rules file.
//!
//! Every key is optional and has a default that produces an importable file (where the target
//! allows one: an Oracle ledger cannot be guessed). A wrong value, or a key the format does not
//! know, is refused with a [`SettingsError`] naming `formats.<name>.<key>`.

use crate::SettingsError;
use ledgerline_extract::value::Date;
use ledgerline_journal::{Journal, Rules};
use std::borrow::Cow;

/// One `[formats.<name>]` setting as `ledgerline formats` lists it: (key, meaning).
pub type Setting = (&'static str, &'static str);

/// `id_prefix`, which every ERP format takes.
pub const ID_PREFIX: Setting = (
    "id_prefix",
    "text before the batch and journal in every external id / document number (letters, digits, - _; at most 12)",
);

/// `bom`, for the formats written as UTF-8 text files.
pub const BOM: Setting = (
    "bom",
    "start the file with a UTF-8 byte-order mark (default false)",
);

/// The `[formats.<name>]` table of one format, with typed getters.
#[derive(Debug)]
pub struct Section<'a> {
    format: &'static str,
    table: Option<&'a toml::Table>,
}

impl<'a> Section<'a> {
    /// The section of `format` in `rules`; keys not in `allowed` are refused.
    pub fn new(
        format: &'static str,
        rules: &'a Rules,
        allowed: &[(&str, &str)],
    ) -> Result<Self, SettingsError> {
        let table = match rules.formats.get(format) {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => {
                return Err(SettingsError::Invalid {
                    format,
                    key: String::new(),
                    message: "must be a table ([formats.<name>] section)".into(),
                });
            }
        };
        let s = Section { format, table };
        if let Some(t) = table {
            for k in t.keys() {
                if !allowed.iter().any(|(a, _)| a == k) {
                    let known: Vec<&str> = allowed.iter().map(|(a, _)| *a).collect();
                    return Err(s.err(
                        k,
                        format!("unknown setting; this format knows: {}", known.join(", ")),
                    ));
                }
            }
        }
        Ok(s)
    }

    /// An error about `key`.
    pub fn err(&self, key: &str, message: impl Into<String>) -> SettingsError {
        SettingsError::Invalid {
            format: self.format,
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn get(&self, key: &str) -> Option<&'a toml::Value> {
        self.table.and_then(|t| t.get(key))
    }

    /// A string setting.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, SettingsError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.err(key, format!("expected a string, found {}", v.type_str()))),
        }
    }

    /// A string setting that may also be written as a whole number (ids).
    pub fn opt_str_or_int(&self, key: &str) -> Result<Option<String>, SettingsError> {
        match self.get(key) {
            Some(toml::Value::Integer(i)) => Ok(Some(i.to_string())),
            _ => self.opt_str(key),
        }
    }

    /// A string setting with a default.
    pub fn str_or(&self, key: &str, default: &str) -> Result<String, SettingsError> {
        Ok(self.opt_str(key)?.unwrap_or_else(|| default.to_owned()))
    }

    /// A string setting of at most `max` characters, not empty.
    pub fn code(&self, key: &str, default: &str, max: usize) -> Result<String, SettingsError> {
        let v = self.str_or(key, default)?;
        let n = v.chars().count();
        if n == 0 || n > max {
            return Err(self.err(key, format!("expected 1 to {max} characters, found {n}")));
        }
        if v.chars().any(char::is_control) {
            return Err(self.err(key, "control characters are not allowed"));
        }
        Ok(v)
    }

    /// A boolean setting.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, SettingsError> {
        match self.get(key) {
            None => Ok(default),
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(v) => Err(self.err(
                key,
                format!("expected true or false, found {}", v.type_str()),
            )),
        }
    }

    /// A boolean setting, `None` when absent.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, SettingsError> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.bool_or(key, false).map(Some),
        }
    }

    /// An integer setting within `min..=max`.
    pub fn int_or(
        &self,
        key: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, SettingsError> {
        match self.get(key) {
            None => Ok(default),
            Some(toml::Value::Integer(i))
                if *i >= 0 && *i as u64 >= min as u64 && *i as u64 <= max as u64 =>
            {
                Ok(*i as usize)
            }
            Some(toml::Value::Integer(i)) => Err(self.err(
                key,
                format!("expected a whole number from {min} to {max}, found {i}"),
            )),
            Some(v) => Err(self.err(
                key,
                format!(
                    "expected a whole number from {min} to {max}, found {}",
                    v.type_str()
                ),
            )),
        }
    }

    /// One of `choices`.
    pub fn choice(
        &self,
        key: &str,
        default: &'static str,
        choices: &[&'static str],
    ) -> Result<&'static str, SettingsError> {
        match self.opt_str(key)? {
            None => Ok(default),
            Some(s) => choices.iter().copied().find(|c| *c == s).ok_or_else(|| {
                self.err(
                    key,
                    format!("expected one of {}, found \"{s}\"", choices.join(", ")),
                )
            }),
        }
    }

    /// A list of strings.
    pub fn list(&self, key: &str, default: &[&str]) -> Result<Vec<String>, SettingsError> {
        match self.get(key) {
            None => Ok(default.iter().map(|s| (*s).to_owned()).collect()),
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    v => Err(self.err(
                        key,
                        format!("expected a list of strings, found a {}", v.type_str()),
                    )),
                })
                .collect(),
            Some(v) => Err(self.err(
                key,
                format!("expected a list of strings, found {}", v.type_str()),
            )),
        }
    }

    /// A table of string values, in key order; `default` when absent.
    pub fn map(
        &self,
        key: &str,
        default: &[(&str, &str)],
    ) -> Result<Vec<(String, String)>, SettingsError> {
        match self.get(key) {
            None => Ok(default
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()),
            Some(toml::Value::Table(t)) => t
                .iter()
                .map(|(k, v)| match v {
                    toml::Value::String(s) => Ok((k.clone(), s.clone())),
                    v => Err(self.err(
                        &format!("{key}.{k}"),
                        format!("expected a string, found {}", v.type_str()),
                    )),
                })
                .collect(),
            Some(v) => Err(self.err(
                key,
                format!("expected a table of strings, found {}", v.type_str()),
            )),
        }
    }

    /// A date format pattern (see [`DateFormat`]).
    pub fn date_format(&self, key: &str, default: &str) -> Result<DateFormat, SettingsError> {
        let p = self.str_or(key, default)?;
        DateFormat::parse(&p).map_err(|e| self.err(key, e.to_string()))
    }

    /// A one-character field delimiter from `allowed`.
    pub fn delimiter(&self, key: &str, default: u8, allowed: &[u8]) -> Result<u8, SettingsError> {
        match self.opt_str(key)? {
            None => Ok(default),
            Some(s) => {
                let b = match s.as_str() {
                    "\\t" | "\t" | "tab" => b'\t',
                    s if s.len() == 1 => s.as_bytes()[0],
                    _ => 0,
                };
                if allowed.contains(&b) {
                    Ok(b)
                } else {
                    let names: Vec<String> = allowed
                        .iter()
                        .map(|b| match b {
                            b'\t' => "\"\\t\"".to_owned(),
                            b => format!("\"{}\"", *b as char),
                        })
                        .collect();
                    Err(self.err(
                        key,
                        format!("expected one of {}, found \"{s}\"", names.join(", ")),
                    ))
                }
            }
        }
    }

    /// `crlf` or `lf`.
    pub fn line_ending(
        &self,
        key: &str,
        default: &'static str,
    ) -> Result<&'static [u8], SettingsError> {
        Ok(match self.choice(key, default, &["crlf", "lf"])? {
            "crlf" => b"\r\n",
            _ => b"\n",
        })
    }

    /// A value source (see [`ValueSource`]).
    pub fn source(&self, key: &str, default: &str) -> Result<ValueSource, SettingsError> {
        Ok(ValueSource::parse(&self.str_or(key, default)?))
    }
}

/// Where a column's value comes from: a dimension of the line, or a field of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueSource {
    /// Always empty (`""`).
    None,
    /// The line's dimension of this name (rules `[dimensions]`).
    Dimension(String),
    /// Employee id.
    EmployeeId,
    /// Employee name.
    EmployeeName,
    /// Concur report id.
    ReportId,
    /// Concur report key.
    ReportKey,
    /// Ledgerline's journal id.
    JournalId,
    /// The extract's batch id.
    BatchId,
    /// A fixed text (`"=TEXT"`).
    Literal(String),
}

impl ValueSource {
    /// `""`, `employee_id`, `employee_name`, `report_id`, `report_key`, `journal_id`,
    /// `batch_id`, `=TEXT` (literal), `dim:NAME` or any other NAME: that dimension.
    pub fn parse(s: &str) -> ValueSource {
        match s {
            "" => ValueSource::None,
            "employee_id" => ValueSource::EmployeeId,
            "employee_name" => ValueSource::EmployeeName,
            "report_id" => ValueSource::ReportId,
            "report_key" => ValueSource::ReportKey,
            "journal_id" => ValueSource::JournalId,
            "batch_id" => ValueSource::BatchId,
            s => match s.strip_prefix('=') {
                Some(lit) => ValueSource::Literal(lit.to_owned()),
                None => ValueSource::Dimension(s.strip_prefix("dim:").unwrap_or(s).to_owned()),
            },
        }
    }

    /// The value for `line` of `j` (empty when absent).
    pub fn get<'j>(&self, j: &'j Journal, dims: &'j [(String, String)]) -> Cow<'j, str> {
        let o = |v: &'j Option<String>| Cow::Borrowed(v.as_deref().unwrap_or(""));
        match self {
            ValueSource::None => Cow::Borrowed(""),
            ValueSource::Dimension(name) => Cow::Borrowed(
                dims.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or(""),
            ),
            ValueSource::EmployeeId => o(&j.employee_id),
            ValueSource::EmployeeName => o(&j.employee_name),
            ValueSource::ReportId => o(&j.report_id),
            ValueSource::ReportKey => o(&j.report_key),
            ValueSource::JournalId => Cow::Borrowed(&j.id),
            ValueSource::BatchId => Cow::Borrowed(&j.batch_id),
            ValueSource::Literal(s) => Cow::Owned(s.clone()),
        }
    }

    /// Whether the value is always empty.
    pub fn is_none(&self) -> bool {
        *self == ValueSource::None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Year4,
    Year2,
    Month2,
    Month1,
    MonthAbbr,
    Day2,
    Day1,
    Lit(char),
}

/// A date pattern: `YYYY` year, `YY` two-digit year, `MM` / `M` month with / without a
/// leading zero, `MMM` English month abbreviation, `DD` / `D` day; anything else is literal.
///
/// ```
/// use ledgerline_erp::settings::DateFormat;
/// use ledgerline_extract::value::Date;
/// let d = Date::new(2024, 6, 3).unwrap();
/// assert_eq!(DateFormat::parse("MM/DD/YYYY").unwrap().format(d), "06/03/2024");
/// assert_eq!(DateFormat::parse("D-MMM-YYYY").unwrap().format(d), "3-Jun-2024");
/// assert_eq!(DateFormat::parse("YYYYMMDD").unwrap().format(d), "20240603");
/// assert!(DateFormat::parse("MM/YYYY").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    toks: Vec<Tok>,
}

/// Why a date pattern was refused (see [`DateFormat::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{pattern}\": {kind}")]
pub struct DateFormatError {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong with it.
    pub kind: DateFormatErrorKind,
}

/// What is wrong with a date pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateFormatErrorKind {
    /// A run of `Y` that is neither `YYYY` nor `YY` (its length).
    #[error("write the year as YYYY or YY, not {0} Y")]
    Year(usize),
    /// A run of `M` longer than `MMM` (its length).
    #[error("write the month as M, MM or MMM, not {0} M")]
    Month(usize),
    /// A run of `D` longer than `DD` (its length).
    #[error("write the day as D or DD, not {0} D")]
    Day(usize),
    /// A control character.
    #[error("control character")]
    Control,
    /// Not exactly one year, one month and one day.
    #[error(
        "a date format needs exactly one year (YYYY), month (MM) and day (DD), e.g. \"MM/DD/YYYY\""
    )]
    Incomplete,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl DateFormat {
    /// Parses a pattern; it must have one year, one month and one day.
    pub fn parse(p: &str) -> Result<DateFormat, DateFormatError> {
        let mut toks = Vec::new();
        let b: Vec<char> = p.chars().collect();
        let mut i = 0;
        let run = |i: usize, c: char| b[i..].iter().take_while(|x| **x == c).count();
        let err = |kind: DateFormatErrorKind| DateFormatError {
            pattern: p.to_owned(),
            kind,
        };
        while i < b.len() {
            let (t, n) = match b[i] {
                'Y' => match run(i, 'Y') {
                    4 => (Tok::Year4, 4),
                    2 => (Tok::Year2, 2),
                    n => return Err(err(DateFormatErrorKind::Year(n))),
                },
                'M' => match run(i, 'M') {
                    1 => (Tok::Month1, 1),
                    2 => (Tok::Month2, 2),
                    3 => (Tok::MonthAbbr, 3),
                    n => return Err(err(DateFormatErrorKind::Month(n))),
                },
                'D' => match run(i, 'D') {
                    1 => (Tok::Day1, 1),
                    2 => (Tok::Day2, 2),
                    n => return Err(err(DateFormatErrorKind::Day(n))),
                },
                c if c.is_control() => return Err(err(DateFormatErrorKind::Control)),
                c => (Tok::Lit(c), 1),
            };
            toks.push(t);
            i += n;
        }
        let count = |f: &dyn Fn(&Tok) -> bool| toks.iter().filter(|t| f(t)).count();
        if count(&|t| matches!(t, Tok::Year4 | Tok::Year2)) != 1
            || count(&|t| matches!(t, Tok::Month1 | Tok::Month2 | Tok::MonthAbbr)) != 1
            || count(&|t| matches!(t, Tok::Day1 | Tok::Day2)) != 1
        {
            return Err(err(DateFormatErrorKind::Incomplete));
        }
        Ok(DateFormat { toks })
    }

    /// `d` in this format.
    pub fn format(&self, d: Date) -> String {
        let mut s = String::with_capacity(12);
        self.write(&mut s, d);
        s
    }

    /// Appends `d` in this format to `s`.
    pub fn write(&self, s: &mut String, d: Date) {
        use std::fmt::Write;
        for t in &self.toks {
            // Writing to a String cannot fail.
            let _ = match t {
                Tok::Year4 => write!(s, "{:04}", d.year),
                Tok::Year2 => write!(s, "{:02}", d.year % 100),
                Tok::Month2 => write!(s, "{:02}", d.month),
                Tok::Month1 => write!(s, "{}", d.month),
                Tok::MonthAbbr => {
                    s.push_str(MONTHS[(d.month.clamp(1, 12) - 1) as usize]);
                    Ok(())
                }
                Tok::Day2 => write!(s, "{:02}", d.day),
                Tok::Day1 => write!(s, "{}", d.day),
                Tok::Lit(c) => {
                    s.push(*c);
                    Ok(())
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_date_patterns_say_why() {
        let msg = |p: &str| DateFormat::parse(p).unwrap_err().to_string();
        assert_eq!(
            msg("YYY-MM-DD"),
            "\"YYY-MM-DD\": write the year as YYYY or YY, not 3 Y"
        );
        assert_eq!(
            msg("YYYY-MMMM-DD"),
            "\"YYYY-MMMM-DD\": write the month as M, MM or MMM, not 4 M"
        );
        assert_eq!(
            msg("YYYY-MM-DDD"),
            "\"YYYY-MM-DDD\": write the day as D or DD, not 3 D"
        );
        assert_eq!(msg("YYYY\tMM-DD"), "\"YYYY\tMM-DD\": control character");
        assert_eq!(
            msg("MM/YYYY"),
            "\"MM/YYYY\": a date format needs exactly one year (YYYY), month (MM) and day (DD), e.g. \"MM/DD/YYYY\""
        );
        assert_eq!(
            DateFormat::parse("MM/DD").unwrap_err().kind,
            DateFormatErrorKind::Incomplete
        );
    }
}

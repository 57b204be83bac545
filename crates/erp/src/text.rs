//! Delimited-text output shared by the CSV-like writers: quoting, one-line text, field
//! lengths (truncated with a warning), byte-order mark, line endings, and the warnings sink.

use std::borrow::Cow;
use std::io::{self, Write};

/// A warning about something written differently from the journal (a truncated field, a
/// re-rounded amount, a character that cannot be encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The format.
    pub format: &'static str,
    /// The journal it is about.
    pub journal: String,
    /// The field (column) it is about, if any.
    pub field: Option<&'static str>,
    /// What happened.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: journal {}", self.format, self.journal)?;
        if let Some(field) = self.field {
            write!(f, ", {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Where warnings go: a callback given to [`create_with`](crate::create_with), or standard
/// error (the first 20, then a count) for [`create`](crate::create).
pub struct Warnings<'w> {
    inner: WarningTarget<'w>,
    count: u64,
}

enum WarningTarget<'w> {
    Callback(Box<dyn FnMut(&Warning) + Send + 'w>),
    Stderr,
}

/// How many warnings [`Warnings::stderr`] prints before it only counts.
pub const STDERR_WARNINGS: u64 = 20;

impl<'w> Warnings<'w> {
    /// Warnings to a callback.
    pub fn callback(f: impl FnMut(&Warning) + Send + 'w) -> Self {
        Warnings {
            inner: WarningTarget::Callback(Box::new(f)),
            count: 0,
        }
    }

    /// Warnings to standard error: the first [`STDERR_WARNINGS`], then a count at the end.
    pub fn stderr() -> Self {
        Warnings {
            inner: WarningTarget::Stderr,
            count: 0,
        }
    }

    /// Reports one warning.
    pub fn warn(
        &mut self,
        format: &'static str,
        journal: &str,
        field: Option<&'static str>,
        message: String,
    ) {
        self.count += 1;
        let w = Warning {
            format,
            journal: journal.to_owned(),
            field,
            message,
        };
        match &mut self.inner {
            WarningTarget::Callback(f) => f(&w),
            WarningTarget::Stderr => {
                if self.count <= STDERR_WARNINGS {
                    eprintln!("warning: {w}");
                }
            }
        }
    }

    /// Warnings so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Ends the run: standard error gets the number of warnings it did not print.
    pub fn finish(&mut self) {
        if let WarningTarget::Stderr = self.inner
            && self.count > STDERR_WARNINGS
        {
            eprintln!(
                "warning: ... and {} more warnings like these",
                self.count - STDERR_WARNINGS
            );
        }
    }
}

/// `s` on one line: control characters (tabs and line breaks included) become spaces.
pub fn one_line(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` cut to `max` characters, with a warning when it was longer.
pub fn fit<'s>(
    s: Cow<'s, str>,
    max: usize,
    format: &'static str,
    journal: &str,
    field: &'static str,
    warnings: &mut Warnings<'_>,
) -> Cow<'s, str> {
    if s.len() <= max {
        return s;
    }
    match s.char_indices().nth(max) {
        None => s,
        Some((cut, _)) => {
            warnings.warn(
                format,
                journal,
                Some(field),
                format!(
                    "\"{}\" is {} characters; cut to the {max} this field takes",
                    s,
                    s.chars().count()
                ),
            );
            match s {
                Cow::Borrowed(b) => Cow::Borrowed(&b[..cut]),
                Cow::Owned(mut o) => {
                    o.truncate(cut);
                    Cow::Owned(o)
                }
            }
        }
    }
}

/// A delimited-text dialect.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Field separator.
    pub delimiter: u8,
    /// Line ending.
    pub eol: &'static [u8],
    /// Whether fields may be quoted (`false` for IIF, where the delimiter and quotes are
    /// removed from values instead).
    pub quoting: bool,
}

/// A row being built in a reusable buffer.
#[derive(Debug)]
pub struct Row<'b> {
    buf: &'b mut Vec<u8>,
    d: Dialect,
    first: bool,
}

impl<'b> Row<'b> {
    /// A row appended to `buf`.
    pub fn new(buf: &'b mut Vec<u8>, d: Dialect) -> Self {
        Row {
            buf,
            d,
            first: true,
        }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(self.d.delimiter);
        }
        self.first = false;
    }

    /// A text field: one line, without leading or trailing spaces (importers match values
    /// such as account names exactly), quoted when it holds the delimiter or a quote.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.sep();
        let s = one_line(s);
        let b = s.trim().as_bytes();
        let needs = b.iter().any(|&c| c == self.d.delimiter || c == b'"');
        if needs && self.d.quoting {
            self.buf.push(b'"');
            for &c in b {
                if c == b'"' {
                    self.buf.push(b'"');
                }
                self.buf.push(c);
            }
            self.buf.push(b'"');
        } else if needs {
            let delim = self.d.delimiter;
            self.buf
                .extend(b.iter().map(|&c| if c == delim { b' ' } else { c }));
        } else {
            self.buf.extend_from_slice(b);
        }
        self
    }

    /// A field written as is (numbers, codes known to need no quoting).
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    /// `n` empty fields.
    pub fn empty(&mut self, n: usize) -> &mut Self {
        for _ in 0..n {
            self.sep();
        }
        self
    }

    /// Ends the row.
    pub fn end(&mut self) {
        self.buf.extend_from_slice(self.d.eol);
    }
}

/// Writes the UTF-8 byte-order mark when `bom`.
pub fn bom(out: &mut impl Write, bom: bool) -> io::Result<()> {
    if bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    Ok(())
}

/// A header row.
pub fn header(buf: &mut Vec<u8>, d: Dialect, cols: &[&str]) {
    let mut r = Row::new(buf, d);
    for c in cols {
        r.text(c);
    }
    r.end();
}

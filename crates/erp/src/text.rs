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
    // Control characters are C0 (bytes below 0x20), DEL, and C1 (U+0080..U+009F, encoded
    // 0xC2 0x80..0x9F): a byte scan finds the clean common case without decoding.
    let suspect = s.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2);
    if suspect && s.chars().any(char::is_control) {
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

    /// A row appended to `buf` after fields already there (the next field starts with a
    /// delimiter).
    pub fn continued(buf: &'b mut Vec<u8>, d: Dialect) -> Self {
        Row {
            buf,
            d,
            first: false,
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
        if s.is_empty() {
            return self;
        }
        let s = one_line(s);
        let b = s.trim().as_bytes();
        let delim = self.d.delimiter;
        let needs = b.iter().any(|&c| c == delim || c == b'"');
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_one_line_trimmed_and_quoted_only_when_needed() {
        let d = Dialect {
            delimiter: b',',
            eol: b"\r\n",
            quoting: true,
        };
        let mut buf = Vec::new();
        Row::new(&mut buf, d)
            .text(" Hotel ")
            .text("a,b")
            .text("say \"hi\"")
            .text("tab\there\nnext")
            .raw("1.00")
            .empty(1)
            .end();
        assert_eq!(
            buf,
            b"Hotel,\"a,b\",\"say \"\"hi\"\"\",tab here next,1.00,\r\n"
        );
    }

    #[test]
    fn without_quoting_the_delimiter_never_reaches_a_value() {
        let d = Dialect {
            delimiter: b'\t',
            eol: b"\n",
            quoting: false,
        };
        let mut buf = Vec::new();
        Row::new(&mut buf, d).text("a\tb\u{7}c").text("\"q\"").end();
        assert_eq!(buf, b"a b c\t\"q\"\n");
    }

    #[test]
    fn cutting_counts_characters_and_warns() {
        let mut seen = Vec::new();
        {
            let mut w = Warnings::callback(|w: &Warning| seen.push(w.to_string()));
            assert_eq!(
                fit(Cow::Borrowed("Café crème"), 4, "x", "J1", "MEMO", &mut w),
                "Café"
            );
            assert_eq!(
                fit(Cow::Borrowed("short"), 5, "x", "J1", "MEMO", &mut w),
                "short"
            );
            assert_eq!(w.count(), 1);
        }
        assert_eq!(seen.len(), 1);
        assert!(seen[0].starts_with("x: journal J1, MEMO: "), "{}", seen[0]);
    }
}

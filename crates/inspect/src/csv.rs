//! A small RFC 4180 reader: comma-separated, `"`-quoted fields (a doubled `""` is one quote,
//! quoted fields may hold commas and line breaks), CRLF or LF line ends, a UTF-8 byte-order
//! mark ignored. Enough for the canonical `--to csv` output and for accounts files.

use std::io::BufRead;

/// One record: its fields and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line of the record's first character.
    pub line: u64,
    /// The fields, unquoted.
    pub fields: Vec<String>,
}

/// Why a CSV record cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// Reading failed.
    #[error("line {line}: {source}")]
    Io {
        /// Line being read.
        line: u64,
        /// Why.
        source: std::io::Error,
    },
    /// A quoted field never closes.
    #[error("line {line}: quoted value not closed before the end of the file")]
    Unterminated {
        /// Line where the record starts.
        line: u64,
    },
    /// The bytes are not UTF-8.
    #[error("line {line}: not UTF-8")]
    NotUtf8 {
        /// Line of the record.
        line: u64,
    },
}

/// Reads records one at a time.
#[derive(Debug)]
pub struct Reader<R> {
    input: R,
    line: u64,
    buf: Vec<u8>,
    first: bool,
}

impl<R: BufRead> Reader<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> Self {
        Reader {
            input,
            line: 0,
            buf: Vec::new(),
            first: true,
        }
    }

    /// The next record, `None` at the end. Blank lines are returned as one empty field.
    pub fn next_record(&mut self) -> Result<Option<Record>, CsvError> {
        let start = self.line + 1;
        let mut fields = Vec::new();
        let mut field: Vec<u8> = Vec::new();
        let mut quoted = false;
        let mut at_field_start = true;
        let mut any = false;
        loop {
            self.buf.clear();
            let n = self
                .input
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| CsvError::Io {
                    line: self.line + 1,
                    source,
                })?;
            if n == 0 {
                if quoted {
                    return Err(CsvError::Unterminated { line: start });
                }
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            self.line += 1;
            let mut bytes: &[u8] = &self.buf;
            if self.first {
                self.first = false;
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            let mut i = 0;
            let mut ended = false;
            while i < bytes.len() {
                let b = bytes[i];
                if quoted {
                    if b == b'"' {
                        if bytes.get(i + 1) == Some(&b'"') {
                            field.push(b'"');
                            i += 1;
                        } else {
                            quoted = false;
                        }
                    } else {
                        field.push(b);
                    }
                } else {
                    match b {
                        b'"' if at_field_start => quoted = true,
                        b',' => {
                            fields.push(utf8(std::mem::take(&mut field), start)?);
                            at_field_start = true;
                            i += 1;
                            continue;
                        }
                        b'\n' => {
                            ended = true;
                            break;
                        }
                        b'\r' if matches!(bytes.get(i + 1), Some(b'\n') | None) => {}
                        _ => field.push(b),
                    }
                }
                at_field_start = false;
                i += 1;
            }
            if ended || !quoted {
                break;
            }
        }
        fields.push(utf8(field, start)?);
        Ok(Some(Record {
            line: start,
            fields,
        }))
    }
}

fn utf8(bytes: Vec<u8>, line: u64) -> Result<String, CsvError> {
    String::from_utf8(bytes).map_err(|_| CsvError::NotUtf8 { line })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<Vec<String>> {
        let mut r = Reader::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push(rec.fields);
        }
        out
    }

    #[test]
    fn quotes_commas_and_line_breaks() {
        let rows = all("\u{feff}a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\r\nlines\"\r\n,,\n");
        assert_eq!(rows[0], ["a", "b", "c"]);
        assert_eq!(rows[1], ["1", "x, \"y\"", "two\r\nlines"]);
        assert_eq!(rows[2], ["", "", ""]);
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn record_lines_count_embedded_breaks() {
        let mut r = Reader::new("a\n\"b\nc\"\nd".as_bytes());
        let lines: Vec<u64> = std::iter::from_fn(|| r.next_record().unwrap())
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [1, 2, 4]);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let mut r = Reader::new("a,\"b\n".as_bytes());
        assert!(matches!(
            r.next_record(),
            Err(CsvError::Unterminated { line: 1 })
        ));
    }
}

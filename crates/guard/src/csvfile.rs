//! CSV files as Ledgerline reads them (charts of accounts here, canonical `--to csv` journals
//! in `ledgerline-inspect`): the `csv` crate parses (RFC 4180: `"`-quoted fields, `""` for a
//! quote, line breaks inside quotes, CRLF or LF, a UTF-8 byte-order mark ignored); this
//! module adds what its callers report with: the line each record starts on, UTF-8 fields,
//! and a quote left open at the end of the file as an error instead of a field that
//! silently runs to the end.

use std::io::Read;

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
#[non_exhaustive]
pub enum CsvError {
    /// Reading failed (an I/O error, or another complaint of the `csv` reader).
    #[error("line {line}: {source}")]
    Read {
        /// Line being read.
        line: u64,
        /// Why.
        source: csv::Error,
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

/// Reads records one at a time. Rows may have any number of fields; blank lines are
/// skipped.
#[derive(Debug)]
pub struct Reader<R> {
    csv: csv::Reader<Watch<R>>,
    record: csv::ByteRecord,
    /// The line of the last record read (for errors that are about no record).
    line: u64,
}

impl<R: Read> Reader<R> {
    /// A reader over `input` (it is buffered here: no need to wrap it in a `BufReader`).
    pub fn new(input: R) -> Self {
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Watch::new(input));
        Reader {
            csv,
            record: csv::ByteRecord::new(),
            line: 1,
        }
    }

    /// The next record, `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Record>, CsvError> {
        let more = self
            .csv
            .read_byte_record(&mut self.record)
            .map_err(|source| CsvError::Read {
                line: self.line,
                source,
            })?;
        let watch = self.csv.get_mut();
        if more && let Some(line) = watch.starts.pop_front() {
            self.line = line;
        }
        let line = self.line;
        if watch.in_quotes_at_end() {
            // Only the record the end of the file completed can hold the open quote.
            return Err(CsvError::Unterminated { line });
        }
        if !more {
            return Ok(None);
        }
        let fields = self
            .record
            .iter()
            .map(|f| {
                std::str::from_utf8(f)
                    .map(str::to_owned)
                    .map_err(|_| CsvError::NotUtf8 { line })
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(Record { line, fields }))
    }
}

/// Where the bytes read so far stand, as `csv` reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between records: line ends here are blank lines, skipped.
    RecordStart,
    /// At the start of a field after a comma.
    FieldStart,
    /// In a field that did not start with a quote.
    Bare,
    /// Inside quotes.
    Quoted,
    /// A quote inside quotes: the end of the quoted part, or the first of a `""` pair.
    QuoteInQuoted,
}

/// Passes the bytes through, following them the way `csv` does (quote `"`, doubled for a
/// literal one, delimiter `,`, CR or LF end a record, blank lines skipped), for what `csv`
/// does not say: the line each record starts on (its own positions count from where the
/// previous record stopped, blank lines included), and whether the input ended inside
/// quotes (it then ends the field at the end of the file without a word).
#[derive(Debug)]
struct Watch<R> {
    inner: R,
    state: State,
    /// 1-based line of the next byte.
    line: u64,
    /// Start lines of the records seen but not yet returned, in order.
    starts: std::collections::VecDeque<u64>,
    /// Whether the first bytes were read (and a byte-order mark skipped).
    started: bool,
    eof: bool,
}

impl<R> Watch<R> {
    fn new(inner: R) -> Self {
        Watch {
            inner,
            state: State::RecordStart,
            line: 1,
            starts: std::collections::VecDeque::new(),
            started: false,
            eof: false,
        }
    }

    fn in_quotes_at_end(&self) -> bool {
        self.eof && self.state == State::Quoted
    }

    fn byte(&mut self, b: u8) {
        if self.state == State::RecordStart && !matches!(b, b'\r' | b'\n') {
            self.starts.push_back(self.line);
            self.state = State::FieldStart;
        }
        self.state = match (self.state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted | State::FieldStart, b'"') => State::Quoted,
            (_, b'\r' | b'\n') => State::RecordStart,
            (_, b',') => State::FieldStart,
            (_, _) => State::Bare,
        };
        if b == b'\n' {
            self.line += 1;
        }
    }
}

impl<R: Read> Read for Watch<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.eof = !buf.is_empty();
        }
        let mut rest = &buf[..n];
        if !self.started && n > 0 {
            self.started = true;
            // A UTF-8 byte-order mark is not part of the first field, when it comes whole
            // in the first read: `csv` strips it on the same condition.
            if let Some(body) = rest.strip_prefix(b"\xEF\xBB\xBF") {
                rest = body;
            }
        }
        while let Some((&b, more)) = rest.split_first() {
            self.byte(b);
            rest = more;
            // Runs of bytes that cannot change the state (nor the line) are skipped whole:
            // in a bare field everything up to a comma or a line end, inside quotes
            // everything up to a quote or a line feed.
            let next = match self.state {
                State::Bare => memchr::memchr3(b',', b'\r', b'\n', rest),
                State::Quoted => memchr::memchr2(b'"', b'\n', rest),
                _ => Some(0),
            };
            rest = &rest[next.unwrap_or(rest.len())..];
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads `input` through a [`Watch`] `chunk` bytes at a time, as `csv` would.
    fn watched(input: &[u8], chunk: usize) -> (Vec<u64>, bool) {
        let mut w = Watch::new(input);
        let mut buf = vec![0u8; chunk];
        while w.read(&mut buf).unwrap() > 0 {}
        let open = w.in_quotes_at_end();
        (w.starts.into_iter().collect(), open)
    }

    /// The same, one byte at a time through the state machine alone (no skipping), for
    /// reads of `chunk` bytes (a byte-order mark is skipped when the first read holds it).
    fn byte_by_byte(input: &[u8], chunk: usize) -> (Vec<u64>, bool) {
        let mut w = Watch::new(&b""[..]);
        let body = match input.strip_prefix(b"\xEF\xBB\xBF") {
            Some(body) if chunk >= 3 => body,
            _ => input,
        };
        for &b in body {
            w.byte(b);
        }
        w.eof = true;
        let open = w.in_quotes_at_end();
        (w.starts.into_iter().collect(), open)
    }

    proptest! {
        /// Skipping runs of bytes changes nothing, wherever the reads end, and there is one
        /// start line per record `csv` reads.
        #[test]
        fn skipping_and_chunking_change_nothing(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(&b"a"[..]), Just(&b"bc d"[..]), Just(&b","[..]), Just(&b"\""[..]),
                    Just(&b"\r"[..]), Just(&b"\n"[..]), Just(&b"\r\n"[..]),
                    Just(&b"\xEF\xBB\xBF"[..]), Just(&b"\xEF"[..]),
                ],
                0..40,
            ),
            chunk in 1usize..9,
        ) {
            let input: Vec<u8> = parts.concat();
            prop_assert_eq!(watched(&input, chunk), byte_by_byte(&input, chunk));
            let expected = byte_by_byte(&input, 8 << 10);
            prop_assert_eq!(&watched(&input, 8 << 10), &expected);
            let mut csv = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(input.as_slice());
            let mut record = csv::ByteRecord::new();
            let mut records = 0;
            while csv.read_byte_record(&mut record).unwrap() {
                records += 1;
            }
            prop_assert_eq!(records, expected.0.len());
        }
    }

    #[test]
    fn start_lines_skip_blank_lines_and_count_breaks_inside_quotes() {
        assert_eq!(watched(b"\n\nnumber,name\n1,x\n", 3).0, [3, 4]);
        assert_eq!(watched(b"a\n\"b\nc\"\nd", 2).0, [1, 2, 4]);
        assert_eq!(watched(b"a\r\n\r\n\r\nb\r\n", 1).0, [1, 4]);
        assert!(watched(b"a,\"b\n", 64).1);
        assert!(!watched(b"a,\"b\"\"\"", 64).1);
    }
}

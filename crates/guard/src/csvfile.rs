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
    /// Bytes of a leading byte-order mark still to skip (`csv` ignores it too).
    bom: usize,
    eof: bool,
}

impl<R> Watch<R> {
    fn new(inner: R) -> Self {
        Watch {
            inner,
            state: State::RecordStart,
            line: 1,
            starts: std::collections::VecDeque::new(),
            bom: 0,
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
        for &b in &buf[..n] {
            // A UTF-8 byte-order mark at the very start is not part of the first field.
            if self.bom < 3 {
                if b == b"\xEF\xBB\xBF"[self.bom] {
                    self.bom += 1;
                    continue;
                }
                for &skipped in &b"\xEF\xBB\xBF"[..self.bom] {
                    // Not a byte-order mark after all: those bytes were the field's.
                    self.byte(skipped);
                }
                self.bom = 3;
            }
            self.byte(b);
        }
        Ok(n)
    }
}

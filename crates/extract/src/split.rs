//! The sans-IO splitter: bytes in, records of borrowed fields out.
//!
//! [`Splitter`] knows nothing about files or sockets. It is fed byte chunks of any size
//! (a file read, a zip entry, an HTTP body) and yields one [`Record`] per line, whose
//! fields borrow from its internal buffer. The same code therefore serves every source,
//! and chunk boundaries never change the result.
//!
//! Quoting follows what real SAE files do (see the README): a field that *starts* with the
//! quote character is quoted and may contain delimiters and doubled quotes; a quote anywhere
//! else is literal text (`111"1111`). A line terminator always ends a record, so one bad quote
//! can never swallow the rest of a file; an unterminated quoted field is reported instead.

use crate::Position;
use memchr::memchr;

/// Minimal bitflags without a dependency.
macro_rules! bitflags_lite {
    (
        $(#[$m:meta])* pub struct $name:ident: $t:ty {
            $( $(#[$fm:meta])* const $f:ident = $v:expr; )*
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name($t);
        impl $name {
            $( $(#[$fm])* pub const $f: $name = $name($v); )*
            /// No flag set.
            pub const fn empty() -> Self { $name(0) }
            /// Whether every flag of `other` is set.
            pub const fn contains(self, other: $name) -> bool { self.0 & other.0 == other.0 }
            /// Whether no flag is set.
            pub const fn is_empty(self) -> bool { self.0 == 0 }
            /// Sets the flags of `other`.
            pub fn insert(&mut self, other: $name) { self.0 |= other.0; }
        }
    };
}

/// Delimiter and quote character of a delimited text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Field delimiter, `|` for SAE and PRAE.
    pub delimiter: u8,
    /// Quote character, or `None` when quotes are never special.
    pub quote: Option<u8>,
}

impl Dialect {
    /// The pipe-delimited, `"`-quoted dialect of SAE and PRAE files.
    pub const PIPE: Dialect = Dialect {
        delimiter: b'|',
        quote: Some(b'"'),
    };
    /// Comma-separated values with `"` quoting.
    pub const CSV: Dialect = Dialect {
        delimiter: b',',
        quote: Some(b'"'),
    };
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect::PIPE
    }
}

/// Where one field ends inside its record's raw line, and how it is quoted.
///
/// The fields of a line tile it, one delimiter byte apart, so a field starts one byte after
/// the previous one ends (the first at 0) and its end is all a span needs to keep. Packed
/// into 4 bytes (30 bits of end offset, 2 of quoting): an SAE row has 400 fields, and these
/// spans travel between threads with every row, so their size is memory traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpan(u32);

const END_BITS: u32 = 30;
const END_MASK: u32 = (1 << END_BITS) - 1;

impl FieldSpan {
    /// The span of a field ending at `end` (offset one past its last byte in the line,
    /// under [`MAX_LINE_LIMIT`]) written as `quoting` says. For a reader that writes its
    /// own lines (the FIS reader encodes each document row as an SAE line) and so knows
    /// where every field is without splitting the line again.
    #[inline]
    pub fn new(end: u32, quoting: Quoting) -> Self {
        debug_assert!(end <= END_MASK);
        let q = match quoting {
            Quoting::Plain => 0,
            Quoting::Quoted => 1,
            Quoting::QuotedEscaped => 2,
        };
        FieldSpan(end | (q << END_BITS))
    }

    /// Offset one past the field's last byte in its line.
    #[inline]
    fn end(self) -> u32 {
        self.0 & END_MASK
    }

    /// How the field was written.
    #[inline]
    fn quoting(self) -> Quoting {
        match self.0 >> END_BITS {
            0 => Quoting::Plain,
            1 => Quoting::Quoted,
            _ => Quoting::QuotedEscaped,
        }
    }
}

/// How a field was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// No quotes: the raw bytes are the value.
    Plain,
    /// Wrapped in quotes without doubled quotes inside: the inner bytes are the value.
    Quoted,
    /// Wrapped in quotes with doubled quotes inside: the value needs unescaping.
    QuotedEscaped,
}

bitflags_lite! {
    /// Irregularities the splitter noticed on a line. They never stop reading; a validator
    /// turns them into findings.
    pub struct LineFlags: u8 {
        /// A quoted field reached the end of the line without its closing quote.
        const UNTERMINATED_QUOTE = 1;
        /// A quote inside a quoted field was followed by neither a quote nor a delimiter.
        const STRAY_QUOTE_IN_QUOTED = 2;
        /// An unquoted field ends with a quote, a sign that a value with delimiters was
        /// quoted on one side only.
        const QUOTE_AT_FIELD_END = 4;
        /// The line ended with CRLF.
        const CRLF = 8;
        /// The last line of the input has no line terminator.
        const UNTERMINATED_LINE = 16;
    }
}

/// Errors the splitter itself can raise (input it refuses to buffer).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    /// A single line exceeded the configured maximum; the input is probably not a text extract.
    #[error("line {line} is longer than {max} bytes without a line terminator")]
    LineTooLong {
        /// 1-based line number.
        line: u64,
        /// The configured limit in bytes.
        max: usize,
    },
}

/// Default upper bound for one line (16 MiB).
pub const DEFAULT_MAX_LINE: usize = 16 << 20;

/// The largest line limit [`Splitter::with_max_line`] accepts (1 GiB - 1: a field's end
/// offset is kept in 30 bits).
pub const MAX_LINE_LIMIT: usize = END_MASK as usize;

/// A push-driven splitter of delimited text into records.
///
/// ```
/// use ledgerline_extract::split::{Dialect, Splitter};
/// let mut s = Splitter::new(Dialect::PIPE);
/// s.feed(b"a|\"b|c\"|d\r\nsecond");
/// s.finish();
/// let rec = s.next_record().unwrap().unwrap();
/// assert_eq!(rec.len(), 3);
/// assert_eq!(&*rec.field(1).unwrap().bytes(), b"b|c");
/// assert_eq!(rec.position().line, 1);
/// let rec = s.next_record().unwrap().unwrap();
/// assert_eq!(&*rec.field(0).unwrap().bytes(), b"second");
/// assert!(s.next_record().unwrap().is_none());
/// ```
#[derive(Debug)]
pub struct Splitter {
    dialect: Dialect,
    buf: Vec<u8>,
    /// Start of the unconsumed data in `buf`.
    start: usize,
    /// End of the data in `buf` (the rest is spare room, never re-zeroed).
    end: usize,
    /// Bytes after `start` already known to hold no line terminator.
    scanned: usize,
    fields: Vec<FieldSpan>,
    /// Line number of the next record.
    line: u64,
    /// Stream offset of `buf[start]`.
    offset: u64,
    eof: bool,
    bom_checked: bool,
    had_bom: bool,
    max_line: usize,
}

impl Splitter {
    /// A splitter for `dialect` with the default line-length limit.
    pub fn new(dialect: Dialect) -> Self {
        Splitter {
            dialect,
            buf: Vec::new(),
            start: 0,
            end: 0,
            scanned: 0,
            fields: Vec::with_capacity(512),
            line: 1,
            offset: 0,
            eof: false,
            bom_checked: false,
            had_bom: false,
            max_line: DEFAULT_MAX_LINE,
        }
    }

    /// Sets the longest line accepted before [`SplitError::LineTooLong`] (at most
    /// [`MAX_LINE_LIMIT`]).
    pub fn with_max_line(mut self, max: usize) -> Self {
        self.max_line = max.clamp(1, MAX_LINE_LIMIT);
        self
    }

    /// Changes the dialect for the records not yet returned.
    pub fn set_dialect(&mut self, dialect: Dialect) {
        self.dialect = dialect;
    }

    /// Whether the input started with a UTF-8 byte-order mark (known once data was fed).
    pub fn had_bom(&self) -> bool {
        self.had_bom
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Makes room for `n` more bytes after `end` (zeroing only newly allocated memory).
    fn reserve(&mut self, n: usize) {
        if self.buf.len() < self.end + n {
            self.buf.resize((self.end + n).max(self.buf.len() * 2), 0);
        }
    }

    /// Appends a chunk of input.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.compact();
        self.reserve(chunk.len());
        self.buf[self.end..self.end + chunk.len()].copy_from_slice(chunk);
        self.end += chunk.len();
    }

    /// Reads one chunk from `reader` straight into the buffer; returns the bytes read
    /// (0 at end of input, after which [`finish`](Self::finish) is called automatically).
    pub fn read_from<R: std::io::Read + ?Sized>(
        &mut self,
        reader: &mut R,
        chunk: usize,
    ) -> std::io::Result<usize> {
        self.compact();
        self.reserve(chunk);
        let old = self.end;
        let n = loop {
            match reader.read(&mut self.buf[old..old + chunk]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.end = old + n;
        if n == 0 {
            self.finish();
        }
        Ok(n)
    }

    /// Declares the end of input: a last line without terminator becomes a record.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Whether the input has ended and every record was returned.
    pub fn is_done(&self) -> bool {
        self.eof && self.start >= self.end
    }

    /// Bytes buffered but not yet returned as records.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Stream offset of the next unreturned byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Strips a leading UTF-8 byte-order mark once; false while too few bytes are known.
    fn check_bom(&mut self) -> bool {
        if self.bom_checked {
            return true;
        }
        let avail = &self.buf[self.start..self.end];
        if avail.len() < 3 && !self.eof && b"\xEF\xBB\xBF".starts_with(avail) {
            return false;
        }
        self.bom_checked = true;
        if avail.starts_with(b"\xEF\xBB\xBF") {
            self.had_bom = true;
            self.start += 3;
            self.offset += 3;
            self.scanned = self.scanned.saturating_sub(3);
        }
        true
    }

    /// Whether [`next_record`](Self::next_record) would return a record now.
    pub fn ready(&mut self) -> Result<bool, SplitError> {
        if !self.check_bom() {
            return Ok(false);
        }
        let avail = &self.buf[self.start..self.end];
        if avail.is_empty() {
            return Ok(false);
        }
        if let Some(i) = memchr(b'\n', &avail[self.scanned..]) {
            // Remember how far we looked, so next_record does not search again.
            self.scanned += i;
            return Ok(true);
        }
        self.scanned = avail.len();
        if pending_line_len(avail) > self.max_line {
            return Err(SplitError::LineTooLong {
                line: self.line,
                max: self.max_line,
            });
        }
        Ok(self.eof)
    }

    /// The next complete record, `Ok(None)` when more input is needed (or the input ended).
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, SplitError> {
        if !self.check_bom() {
            return Ok(None);
        }
        let avail = &self.buf[self.start..self.end];
        let (line_end, next_start, mut flags) = match memchr(b'\n', &avail[self.scanned..]) {
            Some(i) => {
                let nl = self.scanned + i;
                if nl > 0 && avail[nl - 1] == b'\r' {
                    (nl - 1, nl + 1, LineFlags::CRLF)
                } else {
                    (nl, nl + 1, LineFlags::empty())
                }
            }
            None => {
                if pending_line_len(avail) > self.max_line {
                    return Err(SplitError::LineTooLong {
                        line: self.line,
                        max: self.max_line,
                    });
                }
                if !self.eof || avail.is_empty() {
                    self.scanned = avail.len();
                    return Ok(None);
                }
                let mut end = avail.len();
                if avail[end - 1] == b'\r' {
                    end -= 1;
                }
                (end, avail.len(), LineFlags::UNTERMINATED_LINE)
            }
        };
        if line_end > self.max_line {
            return Err(SplitError::LineTooLong {
                line: self.line,
                max: self.max_line,
            });
        }
        let begin = self.start;
        let position = Position {
            line: self.line,
            byte: self.offset,
        };
        self.start += next_start;
        self.offset += next_start as u64;
        self.scanned = 0;
        self.line += 1;
        let raw = &self.buf[begin..begin + line_end];
        flags.insert(split_line(raw, self.dialect, &mut self.fields));
        Ok(Some(Record {
            raw,
            fields: &self.fields,
            position,
            flags,
        }))
    }
}

impl Splitter {
    /// The dialect records are split with.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The longest line accepted.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Moves whole lines out of the buffer into `out` (replacing its contents), for a caller
    /// that splits them elsewhere with a [`BlockSplitter`] (on another thread): at least
    /// `min` bytes ending with a line feed, everything at the end of input, fewer before a
    /// line that is too long (which the next call reports). `Ok(None)` means more input is
    /// needed (or, at the end of input, that nothing is left).
    ///
    /// The records a [`BlockSplitter`] gives over the blocks, in order, are the ones
    /// [`next_record`](Self::next_record) would have given, with the same positions,
    /// flags and errors, whatever `min` and the chunks fed.
    pub fn take_block(
        &mut self,
        min: usize,
        out: &mut Vec<u8>,
    ) -> Result<Option<BlockStart>, SplitError> {
        if !self.check_bom() {
            return Ok(None);
        }
        let avail = &self.buf[self.start..self.end];
        if avail.is_empty() {
            return Ok(None);
        }
        let cut = if self.eof {
            avail.len()
        } else {
            match memchr::memrchr(b'\n', avail) {
                Some(i) if i + 1 >= min => i + 1,
                Some(i) if pending_line_len(&avail[i + 1..]) > self.max_line => i + 1,
                Some(_) => return Ok(None),
                None if pending_line_len(avail) > self.max_line => {
                    return Err(SplitError::LineTooLong {
                        line: self.line,
                        max: self.max_line,
                    });
                }
                None => return Ok(None),
            }
        };
        let block = &avail[..cut];
        out.clear();
        out.extend_from_slice(block);
        let start = BlockStart {
            position: Position {
                line: self.line,
                byte: self.offset,
            },
            last: self.eof,
        };
        self.line += count_newlines(block);
        self.start += cut;
        self.offset += cut as u64;
        self.scanned = 0;
        Ok(Some(start))
    }
}

/// Line feeds in `bytes`, counted in blocks the compiler vectorises.
fn count_newlines(bytes: &[u8]) -> u64 {
    let mut n = 0u64;
    let mut chunks = bytes.chunks_exact(64);
    for c in &mut chunks {
        n += u64::from(c.iter().fold(0u8, |acc, &b| acc + u8::from(b == b'\n')));
    }
    n + chunks.remainder().iter().filter(|&&b| b == b'\n').count() as u64
}

/// Where a block of whole lines from [`Splitter::take_block`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockStart {
    /// Line number and stream offset of the block's first byte.
    pub position: Position,
    /// Whether the block ends the input (its last line may lack a terminator).
    pub last: bool,
}

/// Splits a block of whole lines (from [`Splitter::take_block`]) into records, as the
/// [`Splitter`] would have: same positions, flags and line-length errors. Sans-IO and
/// independent of other blocks, so blocks can be split on several threads at once.
#[derive(Debug)]
pub struct BlockSplitter<'a> {
    data: &'a [u8],
    at: usize,
    line: u64,
    offset: u64,
    last: bool,
    dialect: Dialect,
    max_line: usize,
}

/// One record of a block: where its line lies in the block, and its fields appended to the
/// caller's span list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRecord {
    /// The line (without terminator) in the block.
    pub line: (usize, usize),
    /// Line number and stream offset of the line.
    pub position: Position,
    /// Irregularities noticed while splitting.
    pub flags: LineFlags,
}

impl<'a> BlockSplitter<'a> {
    /// A splitter over `data`, which starts at `start`.
    pub fn new(data: &'a [u8], start: BlockStart, dialect: Dialect, max_line: usize) -> Self {
        BlockSplitter {
            data,
            at: 0,
            line: start.position.line,
            offset: start.position.byte,
            last: start.last,
            dialect,
            max_line: max_line.clamp(1, MAX_LINE_LIMIT),
        }
    }

    /// Stream offset of the next unreturned byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next record, its spans appended to `spans`; `Ok(None)` at the end of the block.
    pub fn next_into(
        &mut self,
        spans: &mut Vec<FieldSpan>,
    ) -> Result<Option<BlockRecord>, SplitError> {
        let avail = &self.data[self.at..];
        if avail.is_empty() {
            return Ok(None);
        }
        let (line_end, next_start, mut flags) = match memchr(b'\n', avail) {
            Some(nl) => {
                if nl > 0 && avail[nl - 1] == b'\r' {
                    (nl - 1, nl + 1, LineFlags::CRLF)
                } else {
                    (nl, nl + 1, LineFlags::empty())
                }
            }
            None => {
                if pending_line_len(avail) > self.max_line {
                    return Err(SplitError::LineTooLong {
                        line: self.line,
                        max: self.max_line,
                    });
                }
                if !self.last {
                    // A block from `take_block` ends with a line feed unless it is the last.
                    return Ok(None);
                }
                let mut end = avail.len();
                if avail[end - 1] == b'\r' {
                    end -= 1;
                }
                (end, avail.len(), LineFlags::UNTERMINATED_LINE)
            }
        };
        if line_end > self.max_line {
            return Err(SplitError::LineTooLong {
                line: self.line,
                max: self.max_line,
            });
        }
        let begin = self.at;
        let position = Position {
            line: self.line,
            byte: self.offset,
        };
        self.at += next_start;
        self.offset += next_start as u64;
        self.line += 1;
        let raw = &self.data[begin..begin + line_end];
        flags.insert(split_line_append(raw, self.dialect, spans));
        Ok(Some(BlockRecord {
            line: (begin, begin + line_end),
            position,
            flags,
        }))
    }
}

/// Length of the line begun by `avail` (no `\n` in it yet) without its terminator: a
/// trailing `\r` may be the first half of a `\r\n` that the next read completes, so it is
/// not counted. The limit then gives the same answer whatever the chunking.
#[inline]
fn pending_line_len(avail: &[u8]) -> usize {
    avail.len() - usize::from(avail.last() == Some(&b'\r'))
}

/// Splits one line (without terminator) into `fields`. Allocation-free once `fields` has grown.
///
/// Only the first [`MAX_LINE_LIMIT`] bytes of a longer line are split (a [`Splitter`]
/// refuses such lines before they get here).
pub fn split_line(line: &[u8], dialect: Dialect, fields: &mut Vec<FieldSpan>) -> LineFlags {
    fields.clear();
    split_line_append(line, dialect, fields)
}

/// Like [`split_line`], but appends the line's spans to `fields`.
fn split_line_append(line: &[u8], dialect: Dialect, fields: &mut Vec<FieldSpan>) -> LineFlags {
    let line = &line[..line.len().min(MAX_LINE_LIMIT)];
    let d = dialect.delimiter;
    match dialect.quote {
        Some(q) if memchr(q, line).is_some() => split_quoted(line, d, q, fields),
        _ => {
            split_plain(line, d, fields);
            LineFlags::empty()
        }
    }
}

/// Splits a line without quotes. SAE rows are mostly empty fields (`||||`), so delimiters
/// are dense; finding them eight bytes at a time with a SWAR mask beats a search per field.
#[inline]
fn split_plain(line: &[u8], d: u8, fields: &mut Vec<FieldSpan>) {
    split_plain_at(line, 0, d, fields)
}

/// Splits `seg` (which starts at `offset` in its line) into fields, the last one running to
/// the end of `seg`; spans are relative to the line.
#[inline]
fn split_plain_at(seg: &[u8], offset: u32, d: u8, fields: &mut Vec<FieldSpan>) {
    const LO7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let line = seg;
    let pattern = u64::from_ne_bytes([d; 8]);
    let push = |end: u32, fields: &mut Vec<FieldSpan>| {
        fields.push(FieldSpan::new(end, Quoting::Plain));
    };
    let mut chunks = line.chunks_exact(8);
    let mut base = 0u32;
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ pattern;
        // High bit set exactly in the bytes of `w` that are zero (no false positives).
        let mut m = !(((w & LO7).wrapping_add(LO7)) | w | LO7);
        while m != 0 {
            let i = m.trailing_zeros() / 8;
            push(offset + base + i, fields);
            m &= m - 1;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == d {
            push(offset + base + i as u32, fields);
        }
    }
    fields.push(FieldSpan::new(offset + line.len() as u32, Quoting::Plain));
}

fn split_quoted(line: &[u8], d: u8, q: u8, fields: &mut Vec<FieldSpan>) -> LineFlags {
    let mut flags = LineFlags::empty();
    let n = line.len();
    let mut i = 0usize;
    loop {
        // The fields before the next quote have no quotes: split them the fast way.
        let Some(qp) = memchr(q, &line[i..]).map(|k| i + k) else {
            split_plain_at(&line[i..], i as u32, d, fields);
            return flags;
        };
        let fs = memchr::memrchr(d, &line[i..qp]).map_or(i, |k| i + k + 1);
        if fs > i {
            split_plain_at(&line[i..fs - 1], i as u32, d, fields);
        }
        i = fs;
        if line[i] == q {
            // Quoted field: runs to a quote followed by a delimiter or the end of the line.
            let mut escaped = false;
            let mut j = i + 1;
            let closed = loop {
                match memchr(q, &line[j..]) {
                    None => break None,
                    Some(k) => {
                        let at = j + k;
                        if at + 1 < n && line[at + 1] == q {
                            escaped = true;
                            j = at + 2;
                        } else if at + 1 == n || line[at + 1] == d {
                            break Some(at);
                        } else {
                            flags.insert(LineFlags::STRAY_QUOTE_IN_QUOTED);
                            escaped = true;
                            j = at + 1;
                        }
                    }
                }
            };
            match closed {
                Some(at) => {
                    let quoting = if escaped {
                        Quoting::QuotedEscaped
                    } else {
                        Quoting::Quoted
                    };
                    fields.push(FieldSpan::new((at + 1) as u32, quoting));
                    if at + 1 == n {
                        return flags;
                    }
                    i = at + 2;
                }
                None => {
                    flags.insert(LineFlags::UNTERMINATED_QUOTE);
                    fields.push(FieldSpan::new(n as u32, Quoting::Plain));
                    return flags;
                }
            }
        } else {
            // An unquoted value with quotes inside: literal text up to the next delimiter.
            let end = memchr(d, &line[qp..]).map(|k| qp + k);
            let stop = end.unwrap_or(n);
            if line[stop - 1] == q {
                flags.insert(LineFlags::QUOTE_AT_FIELD_END);
            }
            fields.push(FieldSpan::new(stop as u32, Quoting::Plain));
            match end {
                None => return flags,
                Some(e) => i = e + 1,
            }
        }
    }
}

/// One line of input split into fields that borrow from the splitter's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    raw: &'a [u8],
    fields: &'a [FieldSpan],
    position: Position,
    flags: LineFlags,
}

impl<'a> Record<'a> {
    /// Builds a record over a line split by [`split_line`].
    pub fn new(
        raw: &'a [u8],
        fields: &'a [FieldSpan],
        position: Position,
        flags: LineFlags,
    ) -> Self {
        Record {
            raw,
            fields,
            position,
            flags,
        }
    }

    /// The raw line without its terminator.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the line is empty (a record of one empty field).
    pub fn is_blank(&self) -> bool {
        self.raw.is_empty()
    }

    /// Always false: a record has at least one field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Line number and byte offset of the start of the line.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Irregularities noticed while splitting.
    pub fn flags(&self) -> LineFlags {
        self.flags
    }

    /// Field `index` (0-based), or `None` past the end.
    #[inline]
    pub fn field(&self, index: usize) -> Option<Field<'a>> {
        let span = *self.fields.get(index)?;
        let start = match index {
            0 => 0,
            _ => self.fields[index - 1].end() + 1,
        };
        Some(self.make_field(start, span))
    }

    #[inline]
    fn make_field(&self, start: u32, span: FieldSpan) -> Field<'a> {
        Field {
            raw: &self.raw[start as usize..span.end() as usize],
            quoting: span.quoting(),
            offset: start,
        }
    }

    /// Each span with the offset where its field starts.
    fn starts(&self) -> impl Iterator<Item = (u32, FieldSpan)> + 'a {
        let mut start = 0;
        self.fields.iter().map(move |&s| {
            let at = start;
            start = s.end() + 1;
            (at, s)
        })
    }

    /// Where each field lies in [`raw`](Self::raw) (to rebuild the record elsewhere with
    /// [`Record::new`]).
    pub fn spans(&self) -> &'a [FieldSpan] {
        self.fields
    }

    /// Iterates over the fields.
    pub fn fields(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        self.starts().map(|(start, s)| self.make_field(start, s))
    }

    /// Iterates over the non-empty fields with their 0-based index. Extract rows are mostly
    /// empty fields; this skips them without building a [`Field`] for each. (Building a mask
    /// of the non-empty fields 64 spans at a time first, then walking its bits, measured 10%
    /// slower for the whole of `validate`.)
    pub fn non_empty_fields(&self) -> impl Iterator<Item = (usize, Field<'a>)> + '_ {
        self.starts()
            .enumerate()
            .filter(|(_, (start, s))| {
                let len = s.end() - start;
                if s.quoting() == Quoting::Plain {
                    len > 0
                } else {
                    len > 2
                }
            })
            .map(|(i, (start, s))| (i, self.make_field(start, s)))
    }
}

/// One field of a record. Decoding (unquoting, text decoding) happens only when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    raw: &'a [u8],
    quoting: Quoting,
    offset: u32,
}

impl<'a> Field<'a> {
    /// A plain (unquoted) field over `raw`, for tests and adapters.
    pub fn plain(raw: &'a [u8]) -> Self {
        Field {
            raw,
            quoting: Quoting::Plain,
            offset: 0,
        }
    }

    /// The bytes as written in the file, quotes included.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// How the field was quoted.
    pub fn quoting(&self) -> Quoting {
        self.quoting
    }

    /// Byte offset of the field inside its line.
    pub fn offset_in_line(&self) -> u32 {
        self.offset
    }

    /// The value's bytes: borrowed unless doubled quotes had to be collapsed.
    #[inline]
    pub fn bytes(&self) -> std::borrow::Cow<'a, [u8]> {
        match self.quoting {
            Quoting::Plain => std::borrow::Cow::Borrowed(self.raw),
            Quoting::Quoted => std::borrow::Cow::Borrowed(&self.raw[1..self.raw.len() - 1]),
            Quoting::QuotedEscaped => {
                let inner = &self.raw[1..self.raw.len() - 1];
                let q = self.raw[0];
                let mut out = Vec::with_capacity(inner.len());
                let mut i = 0;
                while i < inner.len() {
                    out.push(inner[i]);
                    if inner[i] == q && i + 1 < inner.len() && inner[i + 1] == q {
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                std::borrow::Cow::Owned(out)
            }
        }
    }

    /// The value's bytes when no unescaping is needed (the hot path), else `None`.
    #[inline]
    pub fn borrowed(&self) -> Option<&'a [u8]> {
        match self.quoting {
            Quoting::Plain => Some(self.raw),
            Quoting::Quoted => Some(&self.raw[1..self.raw.len() - 1]),
            Quoting::QuotedEscaped => None,
        }
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        match self.quoting {
            Quoting::Plain => self.raw.is_empty(),
            _ => self.raw.len() <= 2,
        }
    }

    /// The value as text: UTF-8 when valid, otherwise decoded as Windows-1252.
    pub fn text(&self) -> std::borrow::Cow<'a, str> {
        match self.bytes() {
            std::borrow::Cow::Borrowed(b) => crate::text::decode(b),
            std::borrow::Cow::Owned(v) => {
                std::borrow::Cow::Owned(crate::text::decode(&v).into_owned())
            }
        }
    }
}

/// Writes `fields` as one line in `dialect`, quoting where needed (the inverse of the splitter).
pub fn write_record(out: &mut Vec<u8>, fields: &[&[u8]], dialect: Dialect) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(dialect.delimiter);
        }
        let needs_quotes = match dialect.quote {
            Some(q) => f.first() == Some(&q) || f.contains(&dialect.delimiter),
            None => false,
        };
        if needs_quotes {
            let q = dialect.quote.unwrap_or(b'"');
            out.push(q);
            for &b in f.iter() {
                out.push(b);
                if b == q {
                    out.push(q);
                }
            }
            out.push(q);
        } else {
            out.extend_from_slice(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(input: &[u8], chunk: usize) -> Vec<(Vec<Vec<u8>>, LineFlags, Position)> {
        let mut s = Splitter::new(Dialect::PIPE);
        let mut out = Vec::new();
        let drain = |s: &mut Splitter, out: &mut Vec<_>| {
            // Mirror ExtractReader: ask `ready` first, then take the record.
            while s.ready().unwrap() {
                let r = s.next_record().unwrap().unwrap();
                out.push((
                    r.fields().map(|f| f.bytes().into_owned()).collect(),
                    r.flags(),
                    r.position(),
                ));
            }
        };
        for c in input.chunks(chunk.max(1)) {
            s.feed(c);
            drain(&mut s, &mut out);
        }
        s.finish();
        drain(&mut s, &mut out);
        out
    }

    fn strs(rec: &(Vec<Vec<u8>>, LineFlags, Position)) -> Vec<String> {
        rec.0
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }

    #[test]
    fn non_empty_fields_are_the_fields_with_a_value() {
        // Empty, plain, quoted-empty and quoted fields, across several 64-field words.
        let kinds = ["", "a", "\"\"", "\"q|r\"", "bc", "\"x\"\"y\""];
        for n in [1usize, 2, 63, 64, 65, 128, 130, 400] {
            for seed in 0..6 {
                let fields: Vec<&str> = (0..n)
                    .map(|i| kinds[(i * 7 + seed * 3 + i / 5) % kinds.len()])
                    .collect();
                let line = fields.join("|");
                let mut spans = Vec::new();
                split_line(line.as_bytes(), Dialect::PIPE, &mut spans);
                let rec = Record::new(
                    line.as_bytes(),
                    &spans,
                    Position::default(),
                    LineFlags::empty(),
                );
                let fast: Vec<(usize, Vec<u8>)> = rec
                    .non_empty_fields()
                    .map(|(i, f)| (i, f.bytes().into_owned()))
                    .collect();
                let slow: Vec<(usize, Vec<u8>)> = rec
                    .fields()
                    .enumerate()
                    .filter(|(_, f)| !f.bytes().is_empty())
                    .map(|(i, f)| (i, f.bytes().into_owned()))
                    .collect();
                assert_eq!(fast, slow, "{line}");
            }
        }
    }

    #[test]
    fn plain_and_quoted_fields() {
        let r = split_all(b"a||\"x|y\"|\"he said \"\"hi\"\"\"|z\n", 4);
        assert_eq!(r.len(), 1);
        assert_eq!(strs(&r[0]), vec!["a", "", "x|y", "he said \"hi\"", "z"]);
        assert!(r[0].1.is_empty());
    }

    #[test]
    fn stray_quotes_inside_unquoted_values_are_literal() {
        let r = split_all(b"111\"1111|Inter\"national|UNITED\"\"\"STATES|x\n", 3);
        assert_eq!(
            strs(&r[0]),
            vec!["111\"1111", "Inter\"national", "UNITED\"\"\"STATES", "x"]
        );
        assert!(r[0].1.is_empty());
    }

    #[test]
    fn quote_at_end_of_unquoted_field_is_flagged() {
        let r = split_all(b"a| WWW.\"|b\n", 64);
        assert_eq!(strs(&r[0]), vec!["a", " WWW.\"", "b"]);
        assert!(r[0].1.contains(LineFlags::QUOTE_AT_FIELD_END));
    }

    #[test]
    fn unterminated_quote_stops_at_line_end() {
        let r = split_all(b"a|\"open|b\nnext|line\n", 5);
        assert_eq!(r.len(), 2);
        assert!(r[0].1.contains(LineFlags::UNTERMINATED_QUOTE));
        assert_eq!(strs(&r[0]), vec!["a", "\"open|b"]);
        assert_eq!(strs(&r[1]), vec!["next", "line"]);
        assert_eq!(r[1].2, Position { line: 2, byte: 10 });
    }

    #[test]
    fn crlf_bom_and_final_line_without_terminator() {
        let r = split_all(b"\xEF\xBB\xBFa|b\r\nc|d", 1);
        assert_eq!(r.len(), 2);
        assert_eq!(strs(&r[0]), vec!["a", "b"]);
        assert!(r[0].1.contains(LineFlags::CRLF));
        assert_eq!(r[0].2, Position { line: 1, byte: 3 });
        assert!(r[1].1.contains(LineFlags::UNTERMINATED_LINE));
        assert_eq!(r[1].2, Position { line: 2, byte: 8 });
    }

    #[test]
    fn empty_input_gives_no_record() {
        assert!(split_all(b"", 8).is_empty());
        assert!(split_all(b"\xEF\xBB\xBF", 1).is_empty());
    }

    #[test]
    fn line_too_long_is_an_error_not_unbounded_memory() {
        let mut s = Splitter::new(Dialect::PIPE).with_max_line(8);
        s.feed(b"0123456789abc");
        assert_eq!(
            s.next_record().unwrap_err(),
            SplitError::LineTooLong { line: 1, max: 8 }
        );
    }

    /// Every record (or the error) the splitter gives for `input` fed as `chunks`.
    fn split_chunks(input: &[&[u8]], max: usize) -> Result<Vec<Vec<u8>>, SplitError> {
        let mut s = Splitter::new(Dialect::PIPE).with_max_line(max);
        let mut out = Vec::new();
        let mut drain = |s: &mut Splitter| -> Result<(), SplitError> {
            while s.ready()? {
                let r = s.next_record()?.expect("ready");
                out.push(r.raw().to_vec());
            }
            Ok(())
        };
        for c in input {
            s.feed(c);
            drain(&mut s)?;
        }
        s.finish();
        drain(&mut s)?;
        Ok(out)
    }

    #[test]
    fn line_limit_gives_the_same_answer_whatever_the_chunking() {
        let max = 8;
        for len in [max - 1, max, max + 1] {
            for eol in [&b"\r\n"[..], b"\n", b"\r\n\r\n"] {
                let mut input = vec![b'x'; len];
                input.extend_from_slice(eol);
                input.extend_from_slice(b"next\r\n");
                let whole = split_chunks(&[&input], max);
                assert_eq!(
                    whole.is_ok(),
                    len <= max,
                    "a line of {len} bytes against a limit of {max}: {whole:?}"
                );
                // Every split point, and every pair of split points around the line end.
                for a in 0..=input.len() {
                    let two = split_chunks(&[&input[..a], &input[a..]], max);
                    assert_eq!(two, whole, "len {len}, eol {eol:?}, split at {a}");
                    for b in a..=input.len().min(len + 4) {
                        let three = split_chunks(&[&input[..a], &input[a..b], &input[b..]], max);
                        assert_eq!(three, whole, "len {len}, eol {eol:?}, split at {a}, {b}");
                    }
                }
                // Byte by byte.
                let bytes: Vec<&[u8]> = input.chunks(1).collect();
                assert_eq!(split_chunks(&bytes, max), whole, "len {len}, byte by byte");
            }
        }
        // A line ending in a lone `\r` at the end of input is as long as with `\r\n`.
        let mut input = vec![b'x'; max];
        input.push(b'\r');
        assert_eq!(split_chunks(&[&input], max).unwrap(), vec![vec![b'x'; max]]);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn field() -> impl Strategy<Value = Vec<u8>> {
            // Any bytes except line terminators (a line terminator always ends a record).
            proptest::collection::vec(
                prop_oneof![
                    Just(b'|'),
                    Just(b'"'),
                    Just(b'a'),
                    Just(b' '),
                    Just(b'\t'),
                    Just(0xC3u8),
                    any::<u8>().prop_filter("no terminators", |b| *b != b'\n' && *b != b'\r'),
                ],
                0..12,
            )
        }

        proptest! {
            #[test]
            fn plain_split_agrees_with_naive_split(
                line in proptest::collection::vec(prop_oneof![Just(b'|'), Just(0x7Du8), Just(0xFCu8), Just(0x7Bu8), any::<u8>()], 0..70)
            ) {
                let mut spans = Vec::new();
                split_plain(&line, b'|', &mut spans);
                let rec = Record::new(&line, &spans, Position { line: 1, byte: 0 }, LineFlags::empty());
                let got: Vec<&[u8]> = rec.fields().map(|f| f.raw()).collect();
                let want: Vec<&[u8]> = line.split(|&b| b == b'|').collect();
                prop_assert_eq!(got, want);
            }

            #[test]
            fn fields_tile_the_line_one_delimiter_apart(
                line in proptest::collection::vec(prop_oneof![Just(b'|'), Just(b'"'), Just(b'a'), any::<u8>()], 0..60)
            ) {
                // Any line, however badly quoted: the raw fields joined by the delimiter give
                // the line back, and each field's offset is where its raw bytes start.
                let line: Vec<u8> = line.into_iter().filter(|b| *b != b'\n' && *b != b'\r').collect();
                let mut spans = Vec::new();
                split_line(&line, Dialect::PIPE, &mut spans);
                let rec = Record::new(&line, &spans, Position { line: 1, byte: 0 }, LineFlags::empty());
                let joined = rec.fields().map(|f| f.raw()).collect::<Vec<_>>().join(&b'|');
                prop_assert_eq!(&joined, &line);
                for (i, f) in rec.fields().enumerate() {
                    prop_assert_eq!(rec.field(i).unwrap(), f);
                    prop_assert_eq!(&line[f.offset_in_line() as usize..][..f.raw().len()], f.raw());
                }
            }

            #[test]
            fn written_records_read_back_identical(
                rows in proptest::collection::vec(proptest::collection::vec(field(), 1..8), 1..6),
                chunk in 1usize..40,
                crlf in any::<bool>(),
                bom in any::<bool>(),
            ) {
                let mut text = Vec::new();
                if bom {
                    text.extend_from_slice(b"\xEF\xBB\xBF");
                }
                for row in &rows {
                    let refs: Vec<&[u8]> = row.iter().map(|f| f.as_slice()).collect();
                    write_record(&mut text, &refs, Dialect::PIPE);
                    text.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
                prop_assume!(!text[if bom { 3 } else { 0 }..].starts_with(b"\xEF\xBB\xBF"));
                let got = split_all(&text, chunk);
                prop_assert_eq!(got.len(), rows.len());
                for (g, want) in got.iter().zip(&rows) {
                    prop_assert_eq!(&g.0, want);
                }
            }
        }
    }
}

//! [`ExtractReader`]: drives the splitter from any `Read` and knows what kind of file it reads.

use crate::batch::{BatchLayout, BatchMapping, MappingError};
use crate::detect::{Detected, detect_prefix};
use crate::split::{Dialect, Record, SplitError, Splitter};
use std::io::Read;

/// Bytes read per chunk.
pub const CHUNK: usize = 1 << 20;
/// Bytes read at a time while detecting the kind of a file. Detection reads on until it
/// can decide from complete lines (see [`detect_prefix`]), so a first row longer than this
/// is read to its end.
pub const DETECT_PREFIX: usize = 64 << 10;

/// What an input holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractKind {
    /// An SAE (Expense) file.
    Sae {
        /// Field count of the first detail row, if any (400 in the current layout).
        columns: Option<usize>,
    },
    /// A PRAE (Invoice) file.
    Prae,
    /// A Standard Edition payment-batch file, with its resolved column layout.
    PaymentBatch(Box<BatchLayout>),
    /// A Standard Attendee Detail extract (no postings).
    Attendee,
    /// An empty input.
    Empty,
}

impl ExtractKind {
    /// A short human name.
    pub fn label(&self) -> &'static str {
        match self {
            ExtractKind::Sae { .. } => "SAE",
            ExtractKind::Prae => "PRAE",
            ExtractKind::PaymentBatch(_) => "payment batch",
            ExtractKind::Attendee => "attendee detail",
            ExtractKind::Empty => "empty",
        }
    }
}

/// Why an input cannot be read as an extract.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// A line was too long.
    #[error(transparent)]
    Split(#[from] SplitError),
    /// The content is not a known extract.
    #[error("not a recognised Concur extract: {0}")]
    UnknownKind(String),
    /// A payment-batch mapping does not fit the file.
    #[error("payment-batch mapping: {0}")]
    Mapping(#[from] MappingError),
    /// The input is a file Ledgerline wrote (an earlier output), not a Concur extract.
    #[error(
        "this is a Ledgerline {format} file, not a Concur extract; it is the output of `ledgerline convert --to {format}`, and reading it again would post its journals twice. Give the Concur extract instead, and keep earlier outputs out of the input folder{}",
        crate::outputs::note(format)
    )]
    LedgerlineOutput {
        /// The output format, as `ledgerline formats` names it.
        format: &'static str,
    },
}

/// Whether the first line is an SAE or PRAE header, or a DETAIL row, written with another
/// separator than `|`: what a spreadsheet does when it saves the file again as CSV.
fn resaved_by_a_spreadsheet(prefix: &[u8]) -> bool {
    let prefix = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let first = prefix.split(|&b| b == b'\n').next().unwrap_or_default();
    let unquoted: Vec<u8> = first.iter().copied().filter(|&b| b != b'"').collect();
    [b"EXTRACT".as_slice(), b"DETAIL"].iter().any(|rec| {
        unquoted.strip_prefix(*rec).is_some_and(|rest| {
            matches!(rest.first(), Some(b',' | b';' | b'\t')) && !first.contains(&b'|')
        })
    })
}

/// Options for [`ExtractReader`].
#[derive(Debug, Clone, Default)]
pub struct ReaderOptions {
    /// Mapping for payment-batch files.
    pub batch: BatchMapping,
    /// Read payment-batch files with this mapping even when no header names are recognised.
    pub force_batch: bool,
}

/// Streams records from one input, after detecting what it is.
pub struct ExtractReader<R> {
    name: String,
    inner: R,
    splitter: Splitter,
    kind: ExtractKind,
    eof: bool,
    /// A read error met while whole lines were still buffered, for `next_block` to return
    /// once they are handed out (as `next_record` would have returned them first).
    deferred: Option<std::io::Error>,
}

impl<R: Read> ExtractReader<R> {
    /// Opens `inner` with default options.
    pub fn new(name: &str, inner: R) -> Result<Self, ReadError> {
        Self::with_options(name, inner, &ReaderOptions::default())
    }

    /// Opens `inner`: reads enough to detect the kind, and for payment-batch files resolves
    /// the column mapping against the header row.
    pub fn with_options(name: &str, mut inner: R, opts: &ReaderOptions) -> Result<Self, ReadError> {
        let mut splitter = Splitter::new(Dialect::PIPE);
        let mut eof = false;
        let mut fresh = true;
        let detected = loop {
            if fresh && let Some(d) = detect_prefix(splitter.pending(), eof) {
                break d;
            }
            // Read in growing steps, so a long first row costs few passes.
            let before = splitter.pending().len();
            let step = before.max(DETECT_PREFIX);
            let n = splitter.read_from(&mut inner, step)?;
            eof = n == 0;
            // Detection only looks at complete lines (and the first 4 bytes, for a zip
            // signature): bytes without a line feed cannot change its answer until a line
            // might be too long, so a reader handing out a few bytes at a time does not make
            // it rescan the prefix for each.
            let pending = splitter.pending();
            fresh = eof
                || before < 4
                || pending.len() > crate::split::DEFAULT_MAX_LINE
                || memchr::memchr(b'\n', &pending[before..]).is_some();
        };
        let kind = match detected {
            Detected::Zip => {
                return Err(ReadError::UnknownKind(
                    "a zip archive inside this input (nested archives are not read)".into(),
                ));
            }
            Detected::Empty => ExtractKind::Empty,
            Detected::Sae { columns } => ExtractKind::Sae { columns },
            Detected::Prae => ExtractKind::Prae,
            Detected::Attendee => ExtractKind::Attendee,
            Detected::PaymentBatch { dialect } => batch_kind(&mut splitter, dialect, opts)?,
            Detected::LedgerlineOutput { format } => {
                return Err(ReadError::LedgerlineOutput { format });
            }
            Detected::Unknown if opts.force_batch => {
                let first = splitter
                    .pending()
                    .split(|&b| b == b'\n')
                    .next()
                    .unwrap_or_default();
                let dialect = Dialect {
                    delimiter: match opts.batch.delimiter {
                        Some(c) if c.is_ascii() => c as u8,
                        _ => crate::batch::detect_delimiter(first),
                    },
                    quote: Some(b'"'),
                };
                batch_kind(&mut splitter, dialect, opts)?
            }
            Detected::Unknown if resaved_by_a_spreadsheet(splitter.pending()) => {
                return Err(ReadError::UnknownKind(
                    "this looks like an extract opened and saved again by a spreadsheet (Excel): its values are separated by commas or semicolons instead of `|`, and dates and amounts were probably rewritten (3/28/2024, 1,234.5); use the file exactly as Concur delivered it (fetch it again if needed)".into(),
                ));
            }
            Detected::Unknown => {
                return Err(ReadError::UnknownKind(
                    "the first line is neither an EXTRACT header, a DETAIL row, nor a header row with payment-batch field names".into(),
                ));
            }
        };
        Ok(ExtractReader {
            name: name.to_owned(),
            inner,
            splitter,
            kind,
            eof,
            deferred: None,
        })
    }

    /// The input's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the input holds.
    pub fn kind(&self) -> &ExtractKind {
        &self.kind
    }

    /// Whether the input started with a UTF-8 byte-order mark.
    pub fn had_bom(&self) -> bool {
        self.splitter.had_bom()
    }

    /// Bytes consumed as records so far.
    pub fn offset(&self) -> u64 {
        self.splitter.offset()
    }

    /// The splitter's dialect and line limit, for a [`BlockSplitter`] over the blocks of
    /// [`next_block`](Self::next_block).
    ///
    /// [`BlockSplitter`]: crate::split::BlockSplitter
    pub fn block_dialect(&self) -> (Dialect, usize) {
        (self.splitter.dialect(), self.splitter.max_line())
    }

    /// The next block of whole lines (at least `min` bytes, unless the input ends or a
    /// line that is too long follows) into `out`, or `None` at the end of input; instead of
    /// [`next_record`](Self::next_record), for splitting blocks on several threads.
    pub fn next_block(
        &mut self,
        min: usize,
        out: &mut Vec<u8>,
    ) -> Result<Option<crate::split::BlockStart>, ReadError> {
        if let Some(e) = self.deferred.take() {
            return Err(e.into());
        }
        loop {
            if let Some(start) = self.splitter.take_block(min, out)? {
                return Ok(Some(start));
            }
            if self.eof {
                return Ok(None);
            }
            let want = CHUNK.max(min.saturating_sub(self.splitter.pending().len()));
            match self.splitter.read_from(&mut self.inner, want) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) => {
                    // The whole lines before the failed read come first.
                    if let Some(start) = self.splitter.take_block(1, out)? {
                        self.deferred = Some(e);
                        return Ok(Some(start));
                    }
                    return Err(e.into());
                }
            }
        }
    }

    /// The next record, or `None` at the end of input.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        loop {
            if self.splitter.ready()? {
                break;
            }
            if self.eof {
                return Ok(None);
            }
            if self.splitter.read_from(&mut self.inner, CHUNK)? == 0 {
                self.eof = true;
            }
        }
        Ok(self.splitter.next_record()?)
    }
}

fn batch_kind(
    splitter: &mut Splitter,
    detected: Dialect,
    opts: &ReaderOptions,
) -> Result<ExtractKind, ReadError> {
    let dialect = match opts.batch.delimiter {
        Some(c) if c.is_ascii() => Dialect {
            delimiter: c as u8,
            ..detected
        },
        _ => detected,
    };
    splitter.set_dialect(dialect);
    let first = splitter
        .pending()
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default();
    let first = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(first);
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let mut spans = Vec::new();
    let flags = crate::split::split_line(first, dialect, &mut spans);
    let rec = Record::new(first, &spans, crate::Position::default(), flags);
    let layout = BatchLayout::resolve(&opts.batch, dialect, &rec)?;
    Ok(ExtractKind::PaymentBatch(Box::new(layout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extract_resaved_by_excel_is_told_so() {
        let resaved = "\u{feff}EXTRACT,3/28/2024,3,392.6,7\r\nDETAIL,7,3/28/2024,1,E100\r\n";
        let err = ExtractReader::new("x.csv", resaved.as_bytes())
            .err()
            .expect("refused");
        assert!(
            err.to_string().contains("saved again by a spreadsheet"),
            "{err}"
        );
        let quoted = "\"EXTRACT\";\"2024-03-28\";\"3\"\n";
        let err = ExtractReader::new("x.csv", quoted.as_bytes())
            .err()
            .unwrap();
        assert!(err.to_string().contains("spreadsheet"), "{err}");
        assert!(!resaved_by_a_spreadsheet(b"Employee ID,Amount\n"));
        assert!(!resaved_by_a_spreadsheet(b"EXTRACT|2024-03-28|1|2,5|7\n"));
    }
}

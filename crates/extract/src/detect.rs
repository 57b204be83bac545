//! Content-based detection of what an input is (never from its name).

use crate::Position;
use crate::batch;
use crate::split::{Dialect, FieldSpan, Record, split_line};
use crate::value::{parse_date, parse_integer};

/// What the first bytes of an input look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// A zip archive.
    Zip,
    /// No content at all (or only a byte-order mark).
    Empty,
    /// An SAE file; `columns` is the field count of its first detail row (400 today).
    Sae {
        /// Fields on the first detail row, if there is one.
        columns: Option<usize>,
    },
    /// A PRAE (Invoice) file.
    Prae,
    /// A Standard Attendee Detail extract.
    Attendee,
    /// A delimited file with a header row naming payment-batch fields.
    PaymentBatch {
        /// Detected delimiter and quoting.
        dialect: Dialect,
    },
    /// Something else.
    Unknown,
}

const SAE_MIN_POSTING_COLUMNS: usize = 170;

fn lines(prefix: &[u8]) -> impl Iterator<Item = &[u8]> {
    prefix
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn fields_of<'a>(line: &'a [u8], d: Dialect, spans: &'a mut Vec<FieldSpan>) -> Record<'a> {
    let flags = split_line(line, d, spans);
    Record::new(line, spans, Position::default(), flags)
}

/// Classifies an input from its first bytes (a few kilobytes are plenty; 64 KiB is used).
///
/// SAE and PRAE both open with an `EXTRACT` line; they differ in its field order
/// (SAE: constant, date, count, total, batch id; PRAE: constant, batch id, date, count,
/// total). A file whose detail rows carry no `DR`/`CR` in the SAE journal column is taken
/// for the attendee extract, which has the same header but no postings.
pub fn detect(prefix: &[u8]) -> Detected {
    if prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06") {
        return Detected::Zip;
    }
    let prefix = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    if prefix.iter().all(|b| b.is_ascii_whitespace()) {
        return Detected::Empty;
    }
    let mut it = lines(prefix).filter(|l| !l.is_empty());
    let first = it.next().unwrap_or_default();
    let mut spans = Vec::new();
    let head = fields_of(first, Dialect::PIPE, &mut spans);
    let f = |i: usize| {
        head.field(i)
            .map(|f| f.bytes().into_owned())
            .unwrap_or_default()
    };
    let f0 = f(0);
    if f0 == b"EXTRACT" || f0 == b"DETAIL" {
        let prae_header = f0 == b"EXTRACT"
            && parse_date(&f(1)).is_err()
            && parse_integer(&f(1)).is_ok()
            && parse_date(&f(2)).is_ok();
        let mut detail_spans = Vec::new();
        let detail_line = if f0 == b"DETAIL" {
            Some(first)
        } else {
            it.next()
        };
        let detail = detail_line.map(|l| fields_of(l, Dialect::PIPE, &mut detail_spans));
        let cols = detail.as_ref().map(|d| d.len());
        if prae_header || cols == Some(crate::schema::PRAE_DETAIL.len()) {
            return Detected::Prae;
        }
        if let Some(d) = &detail {
            let dr_cr = d
                .field(crate::schema::SaeCol::JournalDebitOrCredit.index())
                .map(|f| f.bytes().into_owned());
            let posting = matches!(dr_cr.as_deref(), Some(b"DR") | Some(b"CR"));
            if d.len() < SAE_MIN_POSTING_COLUMNS || (!posting && d.len() != 400) {
                return Detected::Attendee;
            }
        }
        return Detected::Sae { columns: cols };
    }
    let delimiter = batch::detect_delimiter(first);
    let dialect = Dialect {
        delimiter,
        quote: Some(b'"'),
    };
    let mut spans = Vec::new();
    let rec = fields_of(first, dialect, &mut spans);
    let names: Vec<Vec<u8>> = rec.fields().map(|f| f.bytes().into_owned()).collect();
    if batch::known_header_names(names.iter().map(|n| n.as_slice())) >= 2 {
        return Detected::PaymentBatch { dialect };
    }
    Detected::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sae_line(n: usize) -> String {
        let mut v = vec![""; n];
        v[0] = "DETAIL";
        if n > 168 {
            v[167] = "DR";
        }
        v.join("|")
    }

    #[test]
    fn sae_prae_attendee_batch_zip() {
        let sae = format!("EXTRACT|2019-02-01|1|1.0000|5\n{}\n", sae_line(400));
        assert_eq!(detect(sae.as_bytes()), Detected::Sae { columns: Some(400) });
        let older = format!("EXTRACT|2019-02-01|1|1.0000|5\n{}\n", sae_line(245));
        assert_eq!(
            detect(older.as_bytes()),
            Detected::Sae { columns: Some(245) }
        );
        assert_eq!(
            detect(b"EXTRACT|2019-02-01|0|0|5\n"),
            Detected::Sae { columns: None }
        );
        let prae = "EXTRACT|12|2019/02/01|0|0\n";
        assert_eq!(detect(prae.as_bytes()), Detected::Prae);
        let att = format!(
            "EXTRACT|2019-02-01|1|0|5\n{}\n",
            vec!["DETAIL"; 90].join("|")
        );
        assert_eq!(detect(att.as_bytes()), Detected::Attendee);
        assert_eq!(
            detect(b"Employee ID;Account Code;Amount\n1;2;3\n"),
            Detected::PaymentBatch {
                dialect: Dialect {
                    delimiter: b';',
                    quote: Some(b'"')
                }
            }
        );
        assert_eq!(detect(b"PK\x03\x04rest"), Detected::Zip);
        assert_eq!(detect(b"\xEF\xBB\xBF"), Detected::Empty);
        assert_eq!(detect(b"hello world\n"), Detected::Unknown);
    }
}

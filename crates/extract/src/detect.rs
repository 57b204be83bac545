//! Content-based detection of what an input is (never from its name).

use crate::Position;
use crate::batch;
use crate::split::{Dialect, FieldSpan, Record, split_line};
use crate::value::{parse_date, parse_integer};

/// What an input looks like, from its first lines.
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
    /// A Standard Attendee Detail extract, as far as the rows in the first
    /// [`EVIDENCE_WINDOW`] bytes show (the validator reports a posting row further on as
    /// `ATT171`).
    Attendee,
    /// A delimited file with a header row naming payment-batch fields.
    PaymentBatch {
        /// Detected delimiter and quoting.
        dialect: Dialect,
    },
    /// A file Ledgerline itself writes (`format` as `ledgerline formats` names it): an
    /// earlier output, never to be read as an extract.
    LedgerlineOutput {
        /// The output format.
        format: &'static str,
    },
    /// Something else.
    Unknown,
}

/// Bytes of complete lines looked at for evidence of the kind: every line that starts
/// within this window is read to its end (a line may run past it, up to the splitter's
/// longest line).
pub const EVIDENCE_WINDOW: usize = 64 << 10;

/// Fewest fields a row must have to count as an attendee row: the batch data every
/// Concur extract row opens with (4 columns) and something more. A lone `DETAIL`, or a row
/// cut shorter, is no evidence of an attendee extract.
pub const ATTENDEE_MIN_COLUMNS: usize = 5;

/// The longest line the detection reads to its end (the reader's splitter refuses longer).
const MAX_LINE: usize = crate::split::DEFAULT_MAX_LINE;

fn fields_of<'a>(line: &'a [u8], d: Dialect, spans: &'a mut Vec<FieldSpan>) -> Record<'a> {
    let flags = split_line(line, d, spans);
    Record::new(line, spans, Position::default(), flags)
}

/// One line of the prefix.
struct Line<'a> {
    /// The line without its terminator.
    bytes: &'a [u8],
    /// Whether a line feed ends it (false: the last line of the input, cut or not).
    terminated: bool,
}

enum Next<'a> {
    Line(Line<'a>),
    /// The input ended.
    End,
    /// The line is not complete in the bytes known so far.
    NeedMore,
    /// The line is longer than the splitter accepts.
    TooLong,
}

/// Complete lines of a prefix; a line is only handed out once its terminator (or the end of
/// the input) is known, so what is seen never depends on how the bytes arrived.
struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
    eof: bool,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Next<'a> {
        let rest = &self.buf[self.pos..];
        if rest.is_empty() {
            return if self.eof { Next::End } else { Next::NeedMore };
        }
        let look = &rest[..rest.len().min(MAX_LINE + 1)];
        let (line, terminated) = match memchr::memchr(b'\n', look) {
            Some(i) => {
                self.pos += i + 1;
                (&rest[..i], true)
            }
            None if rest.len() > MAX_LINE => return Next::TooLong,
            None if self.eof => {
                self.pos = self.buf.len();
                (rest, false)
            }
            None => return Next::NeedMore,
        };
        Next::Line(Line {
            bytes: line.strip_suffix(b"\r").unwrap_or(line),
            terminated,
        })
    }
}

/// Classifies a whole input, or its start treated as the whole (see [`detect_prefix`]).
pub fn detect(input: &[u8]) -> Detected {
    detect_prefix(input, true).unwrap_or(Detected::Unknown)
}

/// Classifies an input from its first bytes; `None` while more bytes are needed to decide.
/// `eof` says `prefix` is the whole input.
///
/// The decision depends on the bytes only, never on how many arrived at once: lines are
/// looked at only when complete, and only those starting within [`EVIDENCE_WINDOW`].
///
/// SAE and PRAE both open with an `EXTRACT` line; they differ in its field order
/// (SAE: constant, date, count, total, batch id; PRAE: constant, batch id, date, count,
/// total). A `DETAIL` row with `DR`/`CR` in column 168 (or the SAE's 400 fields, see
/// [`posting_evidence`]) makes the file an SAE, wherever it
/// is in the window: blank lines, repeated headers, unknown records and damaged rows before
/// it do not change the kind. The file is taken for an attendee extract only when its
/// complete `DETAIL` rows in the window all have one width of at least
/// [`ATTENDEE_MIN_COLUMNS`] fields and none carries postings; rows after the window are
/// checked as they stream by (`ATT171`). Without such evidence (a header alone, a first row cut off) it is an SAE, so
/// that whatever is wrong is reported rather than skipped. A file whose first line is one
/// of Ledgerline's own outputs is [`Detected::LedgerlineOutput`]; a delimited file is a
/// payment batch only when its header names an amount, an account and a claim or employee.
pub fn detect_prefix(prefix: &[u8], eof: bool) -> Option<Detected> {
    if prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06") {
        return Some(Detected::Zip);
    }
    if prefix.len() < 4 && !eof {
        return None;
    }
    let bom = b"\xEF\xBB\xBF";
    let whole = prefix.strip_prefix(bom).unwrap_or(prefix);
    let mut lines = Lines {
        buf: whole,
        pos: 0,
        eof,
    };
    // The first line with content decides the family.
    let first = loop {
        if lines.pos >= EVIDENCE_WINDOW {
            return Some(Detected::Unknown);
        }
        match lines.next() {
            Next::Line(l) if l.bytes.iter().all(u8::is_ascii_whitespace) => {}
            Next::Line(l) => break l,
            Next::End => return Some(Detected::Empty),
            Next::NeedMore => return None,
            Next::TooLong => return Some(Detected::Unknown),
        }
    };
    let mut spans = Vec::new();
    let head = fields_of(first.bytes, Dialect::PIPE, &mut spans);
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
        if prae_header {
            return Some(Detected::Prae);
        }
        return sae_family(first, &mut lines);
    }
    let second = match lines.next() {
        Next::Line(l) => Some(l.bytes),
        Next::NeedMore => return None,
        Next::End | Next::TooLong => None,
    };
    if let Some(format) = crate::outputs::recognise(whole, first.bytes, second) {
        return Some(Detected::LedgerlineOutput { format });
    }
    let delimiter = batch::detect_delimiter(first.bytes);
    let dialect = Dialect {
        delimiter,
        quote: Some(b'"'),
    };
    let mut spans = Vec::new();
    let rec = fields_of(first.bytes, dialect, &mut spans);
    let names: Vec<Vec<u8>> = rec.fields().map(|f| f.bytes().into_owned()).collect();
    if batch::is_batch_header(names.iter().map(|n| n.as_slice())) {
        return Some(Detected::PaymentBatch { dialect });
    }
    Some(Detected::Unknown)
}

/// Why a `DETAIL` row is an SAE posting row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostingEvidence {
    /// `DR` or `CR` in column 168 (Journal Debit Or Credit).
    DebitCredit(&'static str),
    /// The 400 fields of an SAE detail row.
    SaeWidth,
}

impl std::fmt::Display for PostingEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostingEvidence::DebitCredit(v) => {
                write!(f, "carries {v} in column 168 (Journal Debit Or Credit)")
            }
            PostingEvidence::SaeWidth => f.write_str("has the 400 fields of an SAE detail row"),
        }
    }
}

/// Whether a `DETAIL` row is an SAE posting row, and why.
pub fn posting_evidence(rec: &Record<'_>) -> Option<PostingEvidence> {
    let dr_cr = rec
        .field(crate::schema::SaeCol::JournalDebitOrCredit.index())
        .map(|f| f.bytes().into_owned());
    match dr_cr.as_deref() {
        Some(b"DR") => Some(PostingEvidence::DebitCredit("DR")),
        Some(b"CR") => Some(PostingEvidence::DebitCredit("CR")),
        _ if rec.len() == crate::schema::SAE_DETAIL.len() => Some(PostingEvidence::SaeWidth),
        _ => None,
    }
}

/// Evidence from the `DETAIL` rows of an SAE-like file (first line `EXTRACT` or `DETAIL`).
fn sae_family(first: Line<'_>, lines: &mut Lines<'_>) -> Option<Detected> {
    let mut first_cols = None;
    let mut attendee_rows = 0usize;
    let mut attendee_width = None;
    let mut damaged = false;
    let mut line = Some(first);
    loop {
        let l = match line.take() {
            Some(l) => l,
            None if lines.pos >= EVIDENCE_WINDOW => break,
            None => match lines.next() {
                Next::Line(l) => l,
                Next::NeedMore => return None,
                Next::End | Next::TooLong => break,
            },
        };
        let mut spans = Vec::new();
        let rec = fields_of(l.bytes, Dialect::PIPE, &mut spans);
        if rec.field(0).is_none_or(|f| f.bytes().as_ref() != b"DETAIL") {
            continue; // blank lines, headers, unknown records are no evidence
        }
        let n = rec.len();
        first_cols.get_or_insert(n);
        if posting_evidence(&rec).is_some() {
            return Some(Detected::Sae {
                columns: first_cols,
            });
        }
        if n == crate::schema::PRAE_DETAIL.len() {
            return Some(Detected::Prae);
        }
        if l.terminated {
            // An attendee extract's rows share one width; rows of several widths, or too
            // narrow, are damage, so they are read as an SAE and reported.
            let fits = n >= ATTENDEE_MIN_COLUMNS && *attendee_width.get_or_insert(n) == n;
            attendee_rows += 1;
            damaged |= !fits;
        }
    }
    Some(if attendee_rows > 0 && !damaged {
        Detected::Attendee
    } else {
        Detected::Sae {
            columns: first_cols,
        }
    })
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
        // Two known names are not a payment batch: an amount, an account and a key are.
        assert_eq!(
            detect(b"Employee ID;Description;Amount\n1;2;3\n"),
            Detected::Unknown
        );
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

    fn attendee_line(n: usize) -> String {
        let mut v = vec![""; n];
        v[0] = "DETAIL";
        v.join("|")
    }

    /// Every prefix either asks for more bytes or gives the answer of the whole input.
    fn same_answer_for_every_prefix(input: &[u8]) -> Detected {
        let whole = detect(input);
        for k in 0..input.len() {
            if let Some(d) = detect_prefix(&input[..k], false) {
                assert_eq!(
                    d,
                    whole,
                    "prefix of {k} bytes of {:?}",
                    String::from_utf8_lossy(&input[..input.len().min(80)])
                );
            }
        }
        whole
    }

    #[test]
    fn the_answer_never_depends_on_where_the_bytes_stop() {
        let h = "EXTRACT|2019-02-01|2|2.0000|5\n";
        let sae = Detected::Sae { columns: Some(120) };
        let cases: Vec<(String, Detected)> = vec![
            // A first row cut to 120 fields, then a posting row.
            (format!("{h}{}\n{}\n", attendee_line(120), sae_line(400)), sae.clone()),
            // Blank lines, a second header, an unknown record, a lone DETAIL first.
            (format!("{h}\n\r\n{h}FOOTER|x\nDETAIL\n{}\n", sae_line(400)), Detected::Sae { columns: Some(1) }),
            // A real attendee extract.
            (format!("{h}{}\n{}\n", attendee_line(60), attendee_line(60)), Detected::Attendee),
            // Cut inside the first row, after a blank line: no evidence of an attendee file.
            (format!("{h}\n{}", &sae_line(400)[..150]), Detected::Sae { columns: Some(145) }),
            // A single 400-field row whose DR/CR is damaged is still an SAE row.
            (format!("{h}{}\n", sae_line(400).replace("|DR|", "|DB|")), Detected::Sae { columns: Some(400) }),
            // A lone DETAIL is no attendee row.
            (format!("{h}DETAIL\n"), Detected::Sae { columns: Some(1) }),
            (h.to_string(), Detected::Sae { columns: None }),
            ("journal_id,date,line,account,debit,credit,currency,kind,counterparty,employee_id,report_id,report_key,memo\nR1,2019-06-30,1\n".into(),
             Detected::LedgerlineOutput { format: "csv" }),
            ("Employee ID,Claim ID,Account Code,Amount\nE1,C1,6000,1.00\n".into(), Detected::PaymentBatch { dialect: Dialect::CSV }),
            ("Date,Description,Amount\n2024-01-01,x,1\n".into(), Detected::Unknown),
            ("\n\n  \n".into(), Detected::Empty),
        ];
        for (input, want) in cases {
            let got = same_answer_for_every_prefix(input.as_bytes());
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn a_first_row_longer_than_the_read_size_is_read_to_its_end() {
        let mut row = vec![String::new(); 400];
        row[0] = "DETAIL".into();
        row[69] = "x".repeat(200_000);
        row[167] = "DR".into();
        let input = format!("EXTRACT|2019-02-01|1|1.0000|5\n{}\n", row.join("|"));
        assert_eq!(detect_prefix(&input.as_bytes()[..100_000], false), None);
        assert_eq!(
            detect(input.as_bytes()),
            Detected::Sae { columns: Some(400) }
        );
    }

    #[test]
    fn attendee_rows_beyond_the_window_leave_a_provisional_answer() {
        let mut input = String::from("EXTRACT|2019-02-01|1|1.0000|5\n");
        while input.len() < EVIDENCE_WINDOW + 10 {
            input.push_str(&attendee_line(60));
            input.push('\n');
        }
        input.push_str(&sae_line(400));
        input.push('\n');
        // The posting row starts past the window: the validator reports it (ATT171).
        assert_eq!(detect(input.as_bytes()), Detected::Attendee);
    }
}

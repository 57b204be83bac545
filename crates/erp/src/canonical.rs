//! The canonical journal line (`--to jsonl`, `--to csv`): the contract every other format
//! derives from and that tests and users script against.

use crate::{Format, FormatInfo};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, JournalLine};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::io::{self, Write};

/// `--to jsonl` as `ledgerline formats` lists it: name, description and settings.
pub const JSONL: FormatInfo = FormatInfo {
    name: "jsonl",
    format: Format::Jsonl,
    description: "canonical journal lines, one JSON object per line (the contract the other formats derive from)",
    settings: &[],
};

/// `--to csv` as `ledgerline formats` lists it: name, description and settings.
pub const CSV: FormatInfo = FormatInfo {
    name: "csv",
    format: Format::Csv,
    description: "canonical journal lines as CSV (dimensions as a JSON object, source lines space-separated)",
    settings: &[],
};

/// One canonical line, borrowing from its journal.
#[derive(Debug, Serialize)]
pub struct CanonicalLine<'a> {
    /// Journal id.
    pub journal_id: &'a str,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// 1-based line within the journal.
    pub line: u32,
    /// Account.
    pub account: &'a str,
    /// Debit, a decimal string at the currency's minor units.
    pub debit: String,
    /// Credit, a decimal string at the currency's minor units.
    pub credit: String,
    /// ISO 4217 currency.
    pub currency: &'a str,
    /// Classification kind or `offset`.
    pub kind: &'static str,
    /// `employee`, `card:<program>`, `company_paid`, `cash_advance`, `tax`, `vendor:<code>` or null.
    pub counterparty: Option<String>,
    /// Employee id.
    pub employee_id: Option<&'a str>,
    /// Report id.
    pub report_id: Option<&'a str>,
    /// Report key.
    pub report_key: Option<&'a str>,
    /// Description.
    pub memo: &'a str,
    /// Dimension name -> value.
    pub dimensions: Dimensions<'a>,
    /// The extract lines behind this line.
    pub source: Source<'a>,
}

/// Dimensions serialised as a JSON object, in rule order.
#[derive(Debug)]
pub struct Dimensions<'a>(pub &'a [(String, String)]);

impl Serialize for Dimensions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Where a line came from.
#[derive(Debug, Serialize)]
pub struct Source<'a> {
    /// The extract's display name.
    pub file: &'a str,
    /// 1-based extract lines.
    pub lines: &'a [u64],
}

impl<'a> CanonicalLine<'a> {
    /// The canonical view of `line` of `journal`.
    pub fn new(journal: &'a Journal, line: &'a JournalLine) -> Self {
        CanonicalLine {
            journal_id: &journal.id,
            date: journal.date.to_string(),
            line: line.line,
            account: &line.account,
            debit: line.debit.to_string(),
            credit: line.credit.to_string(),
            currency: &journal.currency,
            kind: line.kind.as_str(),
            counterparty: line.counterparty.as_ref().map(|c| c.to_string()),
            employee_id: journal.employee_id.as_deref(),
            report_id: journal.report_id.as_deref(),
            report_key: journal.report_key.as_deref(),
            memo: &line.memo,
            dimensions: Dimensions(&line.dimensions),
            source: Source {
                file: &journal.source_file,
                lines: &line.source_lines,
            },
        }
    }
}

/// `--to jsonl`.
pub struct JsonlWriter<W: Write> {
    out: W,
    /// Reused from journal to journal, so that writing allocates nothing once they have
    /// grown: the journal's lines, and the parts they share.
    buf: Vec<u8>,
    head: Vec<u8>,
    tail: Vec<u8>,
    file: Vec<u8>,
    currency: Vec<u8>,
    text: String,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        JsonlWriter {
            out,
            buf: Vec::new(),
            head: Vec::new(),
            tail: Vec::new(),
            file: Vec::new(),
            currency: Vec::new(),
            text: String::new(),
        }
    }
}

/// Appends `d` as its `Display` writes it (`-12.50`: every digit of its scale), without
/// `core::fmt`: two amounts a line made formatting a tenth of writing JSON lines.
pub fn push_decimal(out: &mut Vec<u8>, d: &rust_decimal::Decimal) {
    let mut digits = itoa::Buffer::new();
    let m = d.mantissa();
    let text = digits.format(m.unsigned_abs()).as_bytes();
    if d.is_sign_negative() && m != 0 {
        out.push(b'-');
    }
    let scale = d.scale() as usize;
    if scale == 0 {
        out.extend_from_slice(text);
        return;
    }
    if text.len() > scale {
        let (int, frac) = text.split_at(text.len() - scale);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - text.len()));
        out.extend_from_slice(text);
    }
}

/// Appends `n` in decimal.
fn push_int(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `d` as `YYYY-MM-DD`, as its `Display` writes it.
fn push_date(out: &mut Vec<u8>, d: &ledgerline_extract::value::Date) {
    let y = d.year;
    out.extend_from_slice(&[
        b'0' + (y / 1000 % 10) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + d.month / 10 % 10,
        b'0' + d.month % 10,
        b'-',
        b'0' + d.day / 10 % 10,
        b'0' + d.day % 10,
    ]);
}

impl<W: Write> Sink for JsonlWriter<W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        // Hand-written JSON, byte-identical to serialising [`CanonicalLine`] with serde_json
        // (a test holds them together): the journal-level parts are escaped once per journal.
        let JsonlWriter {
            out,
            buf,
            head,
            tail,
            file,
            currency,
            text,
        } = self;
        head.clear();
        head.extend_from_slice(b"{\"journal_id\":");
        json_str(head, &j.id);
        head.extend_from_slice(b",\"date\":\"");
        push_date(head, &j.date);
        head.extend_from_slice(b"\",\"line\":");
        tail.clear();
        tail.extend_from_slice(b",\"employee_id\":");
        json_opt(tail, j.employee_id.as_deref());
        tail.extend_from_slice(b",\"report_id\":");
        json_opt(tail, j.report_id.as_deref());
        tail.extend_from_slice(b",\"report_key\":");
        json_opt(tail, j.report_key.as_deref());
        tail.extend_from_slice(b",\"memo\":");
        file.clear();
        json_str(file, &j.source_file);
        currency.clear();
        json_str(currency, &j.currency);
        buf.clear();
        for l in &j.lines {
            buf.extend_from_slice(head);
            push_int(buf, u64::from(l.line));
            buf.extend_from_slice(b",\"account\":");
            json_str(buf, &l.account);
            buf.extend_from_slice(b",\"debit\":\"");
            push_decimal(buf, &l.debit);
            buf.extend_from_slice(b"\",\"credit\":\"");
            push_decimal(buf, &l.credit);
            buf.extend_from_slice(b"\",\"currency\":");
            buf.extend_from_slice(currency);
            buf.extend_from_slice(b",\"kind\":\"");
            buf.extend_from_slice(l.kind.as_str().as_bytes());
            buf.extend_from_slice(b"\",\"counterparty\":");
            match &l.counterparty {
                Some(c) => {
                    use std::fmt::Write as _;
                    text.clear();
                    let _ = write!(text, "{c}");
                    json_str(buf, text);
                }
                None => buf.extend_from_slice(b"null"),
            }
            buf.extend_from_slice(tail);
            json_str(buf, &l.memo);
            buf.extend_from_slice(b",\"dimensions\":{");
            for (i, (k, v)) in l.dimensions.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                json_str(buf, k);
                buf.push(b':');
                json_str(buf, v);
            }
            buf.extend_from_slice(b"},\"source\":{\"file\":");
            buf.extend_from_slice(file);
            buf.extend_from_slice(b",\"lines\":[");
            for (i, n) in l.source_lines.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                push_int(buf, *n);
            }
            buf.extend_from_slice(b"]}}\n");
        }
        out.write_all(buf)
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn json_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends `s` as a JSON string literal, escaped exactly as serde_json does.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        out.extend_from_slice(bytes);
    } else {
        for &b in bytes {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0C => out.extend_from_slice(b"\\f"),
                b if b < 0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 0xF) as usize]);
                }
                b => out.push(b),
            }
        }
    }
    out.push(b'"');
}

/// Column order of `--to csv`.
pub const CSV_COLUMNS: &[&str] = &[
    "journal_id",
    "date",
    "line",
    "account",
    "debit",
    "credit",
    "currency",
    "kind",
    "counterparty",
    "employee_id",
    "report_id",
    "report_key",
    "memo",
    "dimensions",
    "source_file",
    "source_lines",
];

/// Writes `value` as one RFC 4180 CSV field.
pub fn csv_field(out: &mut impl Write, value: &str) -> io::Result<()> {
    if value.contains([',', '"', '\n', '\r']) {
        out.write_all(b"\"")?;
        out.write_all(value.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(value.as_bytes())
    }
}

/// `--to csv`.
pub struct CsvWriter<W: Write> {
    out: W,
    header: bool,
}

impl<W: Write> CsvWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        CsvWriter { out, header: false }
    }
}

impl<W: Write> Sink for CsvWriter<W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        if !self.header {
            self.header = true;
            self.out.write_all(CSV_COLUMNS.join(",").as_bytes())?;
            self.out.write_all(b"\r\n")?;
        }
        for l in &j.lines {
            let c = CanonicalLine::new(j, l);
            let dims = serde_json::to_string(&c.dimensions)?;
            let lines = l
                .source_lines
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ");
            let line_no = c.line.to_string();
            let cp = c.counterparty.unwrap_or_default();
            let fields: [&str; 16] = [
                c.journal_id,
                &c.date,
                &line_no,
                c.account,
                &c.debit,
                &c.credit,
                c.currency,
                c.kind,
                &cp,
                c.employee_id.unwrap_or(""),
                c.report_id.unwrap_or(""),
                c.report_key.unwrap_or(""),
                c.memo,
                &dims,
                c.source.file,
                &lines,
            ];
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    self.out.write_all(b",")?;
                }
                csv_field(&mut self.out, f)?;
            }
            self.out.write_all(b"\r\n")?;
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        if !self.header {
            self.header = true;
            self.out.write_all(CSV_COLUMNS.join(",").as_bytes())?;
            self.out.write_all(b"\r\n")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    fn decimal_text(d: &Decimal) -> String {
        let mut out = Vec::new();
        push_decimal(&mut out, d);
        String::from_utf8(out).unwrap()
    }

    proptest! {
        /// Every mantissa (all 96 bits) and scale, either sign: as `Display` writes it.
        #[test]
        fn decimals_are_written_as_display_writes_them(
            lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(),
            small in any::<bool>(), negative in any::<bool>(), scale in 0u32..=28,
        ) {
            let (mid, hi) = if small { (0, 0) } else { (mid, hi) };
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            prop_assert_eq!(decimal_text(&d), d.to_string());
        }

        #[test]
        fn dates_are_written_as_display_writes_them(y in 1u16..=9999, m in 1u8..=12, d in 1u8..=28) {
            let date = ledgerline_extract::value::Date { year: y, month: m, day: d };
            let mut out = Vec::new();
            push_date(&mut out, &date);
            prop_assert_eq!(String::from_utf8(out).unwrap(), date.to_string());
        }
    }

    #[test]
    fn decimal_edge_cases_are_written_as_display_writes_them() {
        for d in [
            Decimal::ZERO,
            Decimal::from_parts(0, 0, 0, true, 2), // -0.00
            Decimal::from_parts(5, 0, 0, false, 28),
            Decimal::from_parts(5, 0, 0, true, 3),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(1250, 2),
            Decimal::new(-1, 0),
        ] {
            assert_eq!(decimal_text(&d), d.to_string(), "{d:?}");
        }
    }

    #[test]
    fn hand_written_json_escapes_like_serde() {
        for s in [
            "plain",
            "quote \" and \\ back",
            "tab\tnew\nline\r",
            "\u{1}\u{1f}\u{8}\u{c}",
            "Café €",
        ] {
            let mut mine = Vec::new();
            json_str(&mut mine, s);
            assert_eq!(
                String::from_utf8(mine).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }
}

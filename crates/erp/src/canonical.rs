//! The canonical journal line (`--to jsonl`, `--to csv`): the contract every other format
//! derives from and that tests and users script against.

use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, JournalLine};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::io::{self, Write};

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
}

impl<W: Write> JsonlWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        JsonlWriter { out }
    }
}

impl<W: Write> Sink for JsonlWriter<W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        for l in &j.lines {
            serde_json::to_writer(&mut self.out, &CanonicalLine::new(j, l))?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
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

//! SAP S/4HANA: `--to sap`, the CSV of the Fiori app "Upload General Journal Entries"
//! (F2548), and `--to sap-idoc`, an ACC_DOCUMENT03 IDoc in XML, the shape of
//! BAPI_ACC_DOCUMENT_POST (specs: `schemas/erp/sap.md`, `schemas/erp/sap-idoc.md`).
//!
//! An FI document holds at most 999 line items (error F5 727), so longer journals are split
//! into balanced documents.

use crate::check::{Precision, amount};
use crate::common::{Common, title};
use crate::settings::{BOM, DateFormat, ID_PREFIX, Section, Setting, ValueSource};
use crate::text::{self, Dialect, Row, Warnings, fit};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Rules};
use std::borrow::Cow;
use std::io::{self, Write};

/// Format name of the upload file.
pub const NAME: &str = "sap";

/// `--to sap` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::Sap,
    description: "SAP S/4HANA \"Upload General Journal Entries\" (F2548) template, CSV or XLSX (file_type): Header and Line Items blocks per document",
    settings: SETTINGS,
};

/// The `[formats.sap]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    ("company_code", "BUKRS (default \"1000\")"),
    ("document_type", "BLART (default \"SA\")"),
    (
        "date_format",
        "BLDAT/BUDAT, as your SAP user's date format (default \"DD.MM.YYYY\")",
    ),
    (
        "decimal_separator",
        "\".\" (default) or \",\", as your SAP user's number format",
    ),
    (
        "fields",
        "table: line technical field (KOSTL, PRCTR, AUFNR, PS_POSID, SEGMENT, ZUONR, ...) -> value source; default KOSTL=cost_center, PRCTR=profit_center, AUFNR=order, PS_POSID=wbs, SEGMENT=segment, ZUONR=report_key",
    ),
    ID_PREFIX,
    (
        "max_lines",
        "line items per document before it is split (default and most 999, SAP's limit)",
    ),
    (
        "delimiter",
        "\",\" (default, the CSVC template) or \";\" (CSVS)",
    ),
    (
        "file_type",
        "\"csv\" (default) or \"xlsx\", the template's Excel form (one worksheet, text cells for codes, date and number cells; delimiter, decimal_separator, line_ending and bom do not apply)",
    ),
    ("line_ending", "\"crlf\" (default) or \"lf\""),
    BOM,
];

/// Format name of the IDoc.
pub const IDOC_NAME: &str = "sap-idoc";

/// `--to sap-idoc` as `ledgerline formats` lists it: name, description and settings.
pub const IDOC_INFO: FormatInfo = FormatInfo {
    name: IDOC_NAME,
    format: Format::SapIdoc,
    description: "SAP ACC_DOCUMENT03 IDoc as XML (BAPI_ACC_DOCUMENT_POST shape): signed AMT_DOCCUR, one IDoc per document",
    settings: IDOC_SETTINGS,
};

/// The `[formats.sap-idoc]` settings: (key, meaning). Any other key is refused.
pub const IDOC_SETTINGS: &[Setting] = &[
    ("company_code", "COMP_CODE (default \"1000\")"),
    ("document_type", "DOC_TYPE (default \"SA\")"),
    ("username", "USERNAME in the header (default \"CONCUR\")"),
    ("sender_port", "EDI_DC40 SNDPOR (default \"CONCUR\")"),
    (
        "sender_partner",
        "EDI_DC40 SNDPRN, the sender's logical system (default \"CONCUR\")",
    ),
    ("receiver_port", "EDI_DC40 RCVPOR (default \"SAPS4H\")"),
    (
        "receiver_partner",
        "EDI_DC40 RCVPRN, SAP's logical system (default \"S4HCLNT100\")",
    ),
    (
        "fields",
        "table: E1BPACGL09 field (FUNC_AREA (4), ALLOC_NMBR, COSTCENTER, PROFIT_CTR, WBS_ELEMENT, ORDERID, FUNC_AREA_LONG (16), SEGMENT) -> value source; default COSTCENTER=cost_center, PROFIT_CTR=profit_center, ORDERID=order, WBS_ELEMENT=wbs, ALLOC_NMBR=report_key",
    ),
    (
        "alpha_conversion",
        "left-pad all-digit GL_ACCOUNT, COSTCENTER, PROFIT_CTR (10) and ORDERID (12) with zeros, SAP's internal format, which IDoc input does not convert to (default true)",
    ),
    ID_PREFIX,
    (
        "max_lines",
        "items per document before it is split (default and most 999)",
    ),
];

/// SAP's limit of line items per FI document.
pub const MAX_ITEMS: usize = 999;

/// Header block fields of the upload template, in the template's order: (technical name,
/// description as the template labels it; `*` marks a required field).
pub const HEADER_FIELDS: &[(&str, &str)] = &[
    ("BUKRS", "*Company Code (4)"),
    ("BLART", "*Journal Entry Type (2)"),
    ("BLDAT", "*Journal Entry Date"),
    ("BUDAT", "*Posting Date"),
    ("MONAT", "Fiscal Period (2)"),
    ("BKTXT", "Document Header Text (25)"),
    ("WAERS", "*Transaction Currency (5)"),
    ("LDGRP", "Ledger Group (4)"),
    ("KURSF_EXT", "Exchange Rate (12)"),
    ("WWERT", "Translation Date"),
    ("XBLNR", "Reference (16)"),
    ("PARGB_HDR", "Partner Business Area (4)"),
    ("XMWST", "Calculate Tax Automatically (1)"),
];

/// The rows that open an upload file, before the first document: a title, two comment rows
/// (`//`) and the `Batch ID` row, left empty (F2548 fills it in for a re-upload of a
/// partly failed file).
pub const PREAMBLE: &[&str] = &[
    "Upload General Journal Entries",
    "// Written by Ledgerline from a Concur extract: one Header block and one Line Items block per journal entry.",
    "// Technical names (second row of each block) name the fields - keep them when editing.",
    "Batch ID",
];

/// Line fields that are always written: (technical name, description).
pub const LINE_FIELDS: &[(&str, &str)] = &[
    ("BUKRS", "Company Code"),
    ("HKONT", "G/L Account"),
    ("SGTXT", "Item Text"),
    ("WRSOL", "Debit"),
    ("WRHAB", "Credit"),
];

/// Line fields a setting can fill, in template order: (technical name, length).
pub const OPTIONAL_LINE_FIELDS: &[(&str, usize)] = &[
    ("KOSTL", 10),
    ("PRCTR", 10),
    ("AUFNR", 12),
    ("PS_POSID", 24),
    ("ZUONR", 18),
    ("VBUND", 6),
    ("SEGMENT", 10),
    ("PROF_KNDNR", 10),
    ("PROF_ARTNR", 40),
    ("RMVCT", 3),
];

/// The description row's text for an optional line field.
pub fn line_field_description(field: &str) -> &str {
    match field {
        "KOSTL" => "Cost Center",
        "PRCTR" => "Profit Center",
        "AUFNR" => "Order",
        "PS_POSID" => "WBS Element",
        "ZUONR" => "Assignment",
        "VBUND" => "Trading Partner",
        "SEGMENT" => "Segment",
        "PROF_KNDNR" => "Customer",
        "PROF_ARTNR" => "Product",
        "RMVCT" => "Transaction Type",
        f => f,
    }
}

/// E1BPACGL09 fields a setting can fill, in segment order: (field, length). FUNC_AREA is
/// the 4-character functional area; a longer one goes to FUNC_AREA_LONG (16).
pub const IDOC_GL_FIELDS: &[(&str, usize)] = &[
    ("FUNC_AREA", 4),
    ("ALLOC_NMBR", 18),
    ("COSTCENTER", 10),
    ("PROFIT_CTR", 10),
    ("WBS_ELEMENT", 24),
    ("ORDERID", 12),
    ("FUNC_AREA_LONG", 16),
    ("SEGMENT", 10),
];

/// E1BPACGL09 fields whose SAP domain has the ALPHA conversion routine: an all-digit value
/// is stored left-padded with zeros to the field length. IDoc and BAPI input skip the
/// conversion, so the writer pads (setting `alpha_conversion`).
pub const IDOC_ALPHA_FIELDS: &[&str] = &["GL_ACCOUNT", "COSTCENTER", "PROFIT_CTR", "ORDERID"];

/// `v` in SAP's internal ALPHA format: an all-digit value left-padded with zeros to `len`;
/// anything else (letters, blanks, longer than `len`) as it is.
///
/// ```
/// use ledgerline_erp::sap::alpha;
/// assert_eq!(alpha("474230", 10), "0000474230");
/// assert_eq!(alpha("CC-100", 10), "CC-100");
/// assert_eq!(alpha("", 10), "");
/// ```
pub fn alpha(v: &str, len: usize) -> Cow<'_, str> {
    if !v.is_empty() && v.len() < len && v.bytes().all(|b| b.is_ascii_digit()) {
        Cow::Owned(format!("{v:0>len$}"))
    } else {
        Cow::Borrowed(v)
    }
}

/// Length of the G/L account field (HKONT, GL_ACCOUNT).
pub const ACCOUNT_MAX: usize = 10;
/// Header text length (BKTXT, HEADER_TXT).
pub const HEADER_TEXT_MAX: usize = 25;
/// Item text length (SGTXT, ITEM_TEXT).
pub const ITEM_TEXT_MAX: usize = 50;
/// Reference length (XBLNR, REF_DOC_NO): the document number written there.
pub const REFERENCE_LEN: usize = 16;

fn fields(
    s: &Section<'_>,
    allowed: &'static [(&'static str, usize)],
    default: &[(&str, &str)],
) -> Result<Vec<(&'static str, usize, ValueSource)>, SettingsError> {
    let map = s.map("fields", default)?;
    for (k, _) in &map {
        if !allowed.iter().any(|(f, _)| f == k) {
            let names: Vec<&str> = allowed.iter().map(|(f, _)| *f).collect();
            return Err(s.err(
                &format!("fields.{k}"),
                format!(
                    "not a field this file carries; choose from {}",
                    names.join(", ")
                ),
            ));
        }
    }
    Ok(allowed
        .iter()
        .filter_map(|(f, len)| {
            map.iter()
                .find(|(k, _)| k == f)
                .map(|(_, v)| (*f, *len, ValueSource::parse(v)))
        })
        .collect())
}

fn account_ok(
    format: &'static str,
    j: &Journal,
    account: &str,
) -> Result<(), crate::check::CheckError> {
    if account.is_empty() || account.chars().count() > ACCOUNT_MAX {
        return Err(crate::check::CheckError {
            format,
            journal: j.id.clone(),
            reason: format!(
                "account \"{account}\" does not fit SAP's {ACCOUNT_MAX}-character G/L account ({})",
                if ledgerline_journal::rules::PLACEHOLDER_ACCOUNTS.contains(&account) {
                    "it is a placeholder for the other side of the postings: set your G/L account in [offsets] of the rules file"
                } else {
                    "map the extract's account to yours in [accounts.map] of the rules file"
                }
            ),
        });
    }
    Ok(())
}

struct UploadSettings {
    common: Common,
    company: String,
    doc_type: String,
    date: DateFormat,
    /// `date_format` as given, for the XLSX cells' number format.
    date_pattern: String,
    decimal_comma: bool,
    fields: Vec<(&'static str, usize, ValueSource)>,
    dialect: Dialect,
    bom: bool,
    xlsx: bool,
}

/// One cell of the upload template.
#[derive(Debug, Clone)]
enum Cell<'a> {
    /// Nothing.
    Empty,
    /// Text (one line, trimmed, quoted in CSV when needed).
    Text(Cow<'a, str>),
    /// A code written as is (technical names, numbers, ids).
    Code(Cow<'a, str>),
    /// A date.
    Date(ledgerline_extract::value::Date),
    /// An amount at `scale` decimals.
    Amount(rust_decimal::Decimal, u32),
}

/// The template rows of one document (`n` is its number in the file).
fn document_rows<'a>(
    s: &'a UploadSettings,
    j: &'a Journal,
    part: crate::ids::Part,
    n: u64,
    w: &mut Warnings<'_>,
) -> Vec<Vec<Cell<'a>>> {
    use Cell::{Amount, Code, Date, Empty, Text};
    let scale = s.common.precision.scale(j);
    let code = |v: &'static str| Code(Cow::Borrowed(v));
    let mut rows: Vec<Vec<Cell<'a>>> = Vec::with_capacity(j.lines.len() + 10);
    // Header block: the document number in column A of the marker row; the other rows start
    // in column B, column A empty.
    rows.push(vec![Code(Cow::Owned(n.to_string())), code("Header")]);
    rows.push(
        std::iter::once(Empty)
            .chain(HEADER_FIELDS.iter().map(|(f, _)| code(f)))
            .collect(),
    );
    rows.push(
        std::iter::once(Empty)
            .chain(HEADER_FIELDS.iter().map(|(_, d)| Text(Cow::Borrowed(*d))))
            .collect(),
    );
    let bktxt = fit(
        Cow::Owned(title(j, part)),
        HEADER_TEXT_MAX,
        NAME,
        &j.id,
        "BKTXT",
        w,
    );
    // BUKRS BLART BLDAT BUDAT MONAT BKTXT WAERS LDGRP KURSF_EXT WWERT XBLNR PARGB_HDR XMWST
    rows.push(vec![
        Empty,
        Text(Cow::Borrowed(&s.company)),
        Text(Cow::Borrowed(&s.doc_type)),
        Date(j.date),
        Date(j.date),
        Empty,
        Text(bktxt),
        Code(Cow::Borrowed(&j.currency)),
        Empty,
        Empty,
        Empty,
        Code(Cow::Owned(s.common.short_id(j, part, REFERENCE_LEN))),
        Empty,
        Empty,
    ]);
    rows.push(Vec::new());
    // Line Items block.
    rows.push(vec![Empty, Text(Cow::Borrowed("Line Items"))]);
    rows.push(vec![
        Empty,
        Empty,
        Empty,
        Empty,
        Text(Cow::Borrowed("Transaction Currency")),
        Text(Cow::Borrowed("Transaction Currency")),
    ]);
    rows.push(
        std::iter::once(Empty)
            .chain(LINE_FIELDS.iter().map(|(f, _)| code(f)))
            .chain(s.fields.iter().map(|(f, _, _)| code(f)))
            .collect(),
    );
    rows.push(
        std::iter::once(Empty)
            .chain(LINE_FIELDS.iter().map(|(_, d)| Text(Cow::Borrowed(*d))))
            .chain(
                s.fields
                    .iter()
                    .map(|(f, _, _)| Text(Cow::Borrowed(line_field_description(f)))),
            )
            .collect(),
    );
    for l in &j.lines {
        let sgtxt = fit(
            Cow::Borrowed(l.memo.as_str()),
            ITEM_TEXT_MAX,
            NAME,
            &j.id,
            "SGTXT",
            w,
        );
        let mut r = vec![
            Empty,
            Text(Cow::Borrowed(&s.company)),
            Text(Cow::Borrowed(&l.account)),
            Text(sgtxt),
        ];
        if l.debit.is_zero() && !l.credit.is_zero() {
            r.extend([Empty, Amount(l.credit, scale)]);
        } else {
            r.extend([Amount(l.debit, scale), Empty]);
        }
        for (f, len, src) in &s.fields {
            r.push(Text(fit(
                src.get(j, &l.dimensions),
                *len,
                NAME,
                &j.id,
                f,
                w,
            )));
        }
        rows.push(r);
    }
    rows
}

fn csv_rows(s: &UploadSettings, rows: &[Vec<Cell<'_>>], buf: &mut Vec<u8>) {
    for cells in rows {
        let mut r = Row::new(buf, s.dialect);
        for c in cells {
            match c {
                Cell::Empty => r.empty(1),
                Cell::Text(t) => r.text(t),
                Cell::Code(t) => r.raw(t),
                Cell::Date(d) => r.raw(&s.date.format(*d)),
                Cell::Amount(a, scale) => {
                    let v = amount(*a, *scale);
                    if s.decimal_comma {
                        r.text(&v.replace('.', ","))
                    } else {
                        r.raw(&v)
                    }
                }
            };
        }
        r.end();
    }
}

/// The XLSX form of the template: one worksheet, the same rows as the CSV, text as text
/// cells (accounts keep their leading zeros), dates as date cells, amounts as numbers.
struct Xlsx {
    sheet: rust_xlsxwriter::Worksheet,
    row: u32,
    date: rust_xlsxwriter::Format,
    amounts: Vec<rust_xlsxwriter::Format>,
}

/// Name of the worksheet of the XLSX file.
pub const XLSX_SHEET: &str = "Journal Entries";

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{NAME}: XLSX (formats.sap.file_type = \"xlsx\"): {e}"),
    )
}

/// An Excel number format for a date pattern (`DD.MM.YYYY` -> `dd.mm.yyyy`).
fn excel_date_format(pattern: &str) -> String {
    pattern
        .chars()
        .map(|c| match c {
            'Y' => "y".to_owned(),
            'M' => "m".to_owned(),
            'D' => "d".to_owned(),
            c if c.is_ascii_alphanumeric() => format!("\\{c}"),
            c => c.to_string(),
        })
        .collect()
}

impl Xlsx {
    fn new(date_pattern: &str) -> io::Result<Xlsx> {
        let mut sheet = rust_xlsxwriter::Worksheet::new();
        sheet.set_name(XLSX_SHEET).map_err(xlsx_err)?;
        Ok(Xlsx {
            sheet,
            row: 0,
            date: rust_xlsxwriter::Format::new().set_num_format(excel_date_format(date_pattern)),
            amounts: (0..=8)
                .map(|scale| {
                    let f = if scale == 0 {
                        "0".to_owned()
                    } else {
                        format!("0.{}", "0".repeat(scale))
                    };
                    rust_xlsxwriter::Format::new().set_num_format(f)
                })
                .collect(),
        })
    }

    fn rows(&mut self, journal: &str, rows: &[Vec<Cell<'_>>]) -> io::Result<()> {
        for cells in rows {
            let row = self.row;
            for (col, c) in cells.iter().enumerate() {
                let col = col as u16;
                let sheet = &mut self.sheet;
                match c {
                    Cell::Empty => Ok(sheet),
                    Cell::Text(t) => {
                        let t = text::one_line(t);
                        let t = t.trim();
                        if t.is_empty() {
                            Ok(sheet)
                        } else {
                            sheet.write_string(row, col, t)
                        }
                    }
                    Cell::Code(t) => sheet.write_string(row, col, t.as_ref()),
                    Cell::Date(d) => {
                        let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(
                            d.year,
                            d.month,
                            d.day,
                        )
                        .map_err(xlsx_err)?;
                        sheet.write_datetime_with_format(row, col, &dt, &self.date)
                    }
                    Cell::Amount(a, scale) => {
                        let v = amount(*a, *scale);
                        // A double holds 15 significant digits exactly; more would change
                        // the amount in the cell.
                        if v.bytes().filter(u8::is_ascii_digit).count() > 15 {
                            return Err(crate::check::CheckError {
                                format: NAME,
                                journal: journal.to_owned(),
                                reason: format!(
                                    "{v} has more than the 15 digits an XLSX number cell holds exactly (use file_type = \"csv\")"
                                ),
                            }
                            .into());
                        }
                        let f: f64 = v.parse().map_err(|_| {
                            io::Error::new(io::ErrorKind::InvalidData, format!("amount {v}"))
                        })?;
                        let fmt = &self.amounts[(*scale as usize).min(8)];
                        sheet.write_number_with_format(row, col, f, fmt)
                    }
                }
                .map_err(xlsx_err)?;
            }
            self.row = self.row.checked_add(1).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, "too many rows for XLSX")
            })?;
        }
        Ok(())
    }
}

/// `--to sap`.
pub struct SapUploadWriter<'w, W: Write> {
    out: W,
    s: UploadSettings,
    warnings: Warnings<'w>,
    buf: Vec<u8>,
    xlsx: Option<Xlsx>,
    started: bool,
    documents: u64,
}

impl<'w, W: Write> SapUploadWriter<'w, W> {
    /// A writer into `out` with the `[formats.sap]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        let s = Section::new(NAME, rules, SETTINGS)?;
        let delimiter = s.delimiter("delimiter", b',', b",;")?;
        let xlsx = s.choice("file_type", "csv", &["csv", "xlsx"])? == "xlsx";
        let decimal_comma = s.choice("decimal_separator", ".", &[".", ","])? == ",";
        if decimal_comma && delimiter == b',' && !xlsx {
            return Err(s.err(
                "decimal_separator",
                "a decimal comma needs delimiter = \";\" (the CSVS template)",
            ));
        }
        let date_pattern = s.str_or("date_format", "DD.MM.YYYY")?;
        let settings = UploadSettings {
            common: {
                let c = Common::read(&s, NAME, "CC", MAX_ITEMS, MAX_ITEMS, Precision::ANY)?;
                c.check_short(&s, REFERENCE_LEN)?;
                c
            },
            company: s.code("company_code", "1000", 4)?,
            doc_type: s.code("document_type", "SA", 2)?,
            date: s.date_format("date_format", "DD.MM.YYYY")?,
            date_pattern,
            decimal_comma,
            fields: fields(
                &s,
                OPTIONAL_LINE_FIELDS,
                &[
                    ("KOSTL", "cost_center"),
                    ("PRCTR", "profit_center"),
                    ("AUFNR", "order"),
                    ("PS_POSID", "wbs"),
                    ("SEGMENT", "segment"),
                    ("ZUONR", "report_key"),
                ],
            )?,
            dialect: Dialect {
                delimiter,
                eol: s.line_ending("line_ending", "crlf")?,
                quoting: true,
            },
            bom: s.bool_or("bom", false)?,
            xlsx,
        };
        Ok(SapUploadWriter {
            out,
            s: settings,
            warnings,
            buf: Vec::with_capacity(1 << 16),
            xlsx: None,
            started: false,
            documents: 0,
        })
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            let preamble: Vec<Vec<Cell<'_>>> = PREAMBLE
                .iter()
                .map(|l| vec![Cell::Text(Cow::Borrowed(*l))])
                .collect();
            if self.s.xlsx {
                let mut x = Xlsx::new(&self.s.date_pattern)?;
                x.rows("", &preamble)?;
                self.xlsx = Some(x);
            } else {
                text::bom(&mut self.out, self.s.bom)?;
                let mut head = Vec::new();
                csv_rows(&self.s, &preamble, &mut head);
                self.out.write_all(&head)?;
            }
        }
        Ok(())
    }
}

impl<W: Write> Sink for SapUploadWriter<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.start()?;
        let s = &self.s;
        let buf = &mut self.buf;
        let docs = &mut self.documents;
        let xlsx = &mut self.xlsx;
        s.common.each_part(j, &mut self.warnings, |j, part, w| {
            for l in &j.lines {
                account_ok(NAME, j, &l.account)?;
            }
            *docs += 1;
            let rows = document_rows(s, j, part, *docs, w);
            match xlsx {
                Some(x) => x.rows(&j.id, &rows)?,
                None => csv_rows(s, &rows, buf),
            }
            Ok(())
        })?;
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        if let Some(x) = self.xlsx.take() {
            let mut book = rust_xlsxwriter::Workbook::new();
            book.push_worksheet(x.sheet);
            let bytes = book.save_to_buffer().map_err(xlsx_err)?;
            self.out.write_all(&bytes)?;
        }
        self.warnings.finish();
        self.out.flush()
    }
}

struct IdocSettings {
    common: Common,
    company: String,
    doc_type: String,
    username: String,
    sndpor: String,
    sndprn: String,
    rcvpor: String,
    rcvprn: String,
    fields: Vec<(&'static str, usize, ValueSource)>,
    alpha: bool,
}

/// `--to sap-idoc`.
pub struct SapIdocWriter<'w, W: Write> {
    out: W,
    s: IdocSettings,
    warnings: Warnings<'w>,
    buf: String,
    started: bool,
}

/// XML text: `&`, `<`, `>`, quotes escaped; control characters become spaces.
pub fn xml_escape(s: &str, out: &mut String) {
    let clean = !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0x7F | 0xC2) || b < 0x20);
    if clean {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// One element; the value is trimmed (SAP pads CHAR fields with blanks itself) and left out
/// when empty.
fn el(out: &mut String, indent: &str, name: &str, value: &str) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    out.push_str(indent);
    out.push('<');
    out.push_str(name);
    out.push('>');
    xml_escape(value, out);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

impl<'w, W: Write> SapIdocWriter<'w, W> {
    /// A writer into `out` with the `[formats.sap-idoc]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        let s = Section::new(IDOC_NAME, rules, IDOC_SETTINGS)?;
        let settings = IdocSettings {
            common: {
                let c = Common::read(
                    &s,
                    IDOC_NAME,
                    "CC",
                    MAX_ITEMS,
                    MAX_ITEMS,
                    Precision {
                        max_decimals: Some(4),
                        max_integer_digits: Some(19),
                    },
                )?;
                c.check_short(&s, REFERENCE_LEN)?;
                c
            },
            company: s.code("company_code", "1000", 4)?,
            doc_type: s.code("document_type", "SA", 2)?,
            username: s.code("username", "CONCUR", 12)?,
            sndpor: s.code("sender_port", "CONCUR", 10)?,
            sndprn: s.code("sender_partner", "CONCUR", 10)?,
            rcvpor: s.code("receiver_port", "SAPS4H", 10)?,
            rcvprn: s.code("receiver_partner", "S4HCLNT100", 10)?,
            fields: fields(
                &s,
                IDOC_GL_FIELDS,
                &[
                    ("COSTCENTER", "cost_center"),
                    ("PROFIT_CTR", "profit_center"),
                    ("ORDERID", "order"),
                    ("WBS_ELEMENT", "wbs"),
                    ("ALLOC_NMBR", "report_key"),
                ],
            )?,
            alpha: s.bool_or("alpha_conversion", true)?,
        };
        Ok(SapIdocWriter {
            out,
            s: settings,
            warnings,
            buf: String::with_capacity(1 << 16),
            started: false,
        })
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out
                .write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ACC_DOCUMENT03>\n")?;
        }
        Ok(())
    }
}

impl<W: Write> Sink for SapIdocWriter<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.start()?;
        let s = &self.s;
        let out = &mut self.buf;
        s.common.each_part(j, &mut self.warnings, |j, part, w| {
            for l in &j.lines {
                account_ok(IDOC_NAME, j, &l.account)?;
            }
            let date = format!("{:04}{:02}{:02}", j.date.year, j.date.month, j.date.day);
            let scale = s.common.precision.scale(j);
            out.push_str("  <IDOC BEGIN=\"1\">\n    <EDI_DC40 SEGMENT=\"1\">\n");
            let i = "      ";
            el(out, i, "TABNAM", "EDI_DC40");
            el(out, i, "DIRECT", "2");
            el(out, i, "IDOCTYP", "ACC_DOCUMENT03");
            el(out, i, "MESTYP", "ACC_DOCUMENT");
            el(out, i, "SNDPOR", &s.sndpor);
            el(out, i, "SNDPRT", "LS");
            el(out, i, "SNDPRN", &s.sndprn);
            el(out, i, "RCVPOR", &s.rcvpor);
            el(out, i, "RCVPRT", "LS");
            el(out, i, "RCVPRN", &s.rcvprn);
            out.push_str("    </EDI_DC40>\n    <E1BPACHE09 SEGMENT=\"1\">\n");
            let header = fit(
                Cow::Owned(title(j, part)),
                HEADER_TEXT_MAX,
                IDOC_NAME,
                &j.id,
                "HEADER_TXT",
                w,
            );
            el(out, i, "BUS_ACT", "RFBU");
            el(out, i, "USERNAME", &s.username);
            el(out, i, "HEADER_TXT", &header);
            el(out, i, "COMP_CODE", &s.company);
            el(out, i, "DOC_DATE", &date);
            el(out, i, "PSTNG_DATE", &date);
            el(out, i, "DOC_TYPE", &s.doc_type);
            el(
                out,
                i,
                "REF_DOC_NO",
                &s.common.short_id(j, part, REFERENCE_LEN),
            );
            out.push_str("    </E1BPACHE09>\n");
            for l in &j.lines {
                out.push_str("    <E1BPACGL09 SEGMENT=\"1\">\n");
                el(out, i, "ITEMNO_ACC", &format!("{:010}", l.line));
                let account = if s.alpha {
                    alpha(&l.account, ACCOUNT_MAX)
                } else {
                    Cow::Borrowed(l.account.as_str())
                };
                el(out, i, "GL_ACCOUNT", &account);
                let t = fit(
                    Cow::Borrowed(l.memo.trim()),
                    ITEM_TEXT_MAX,
                    IDOC_NAME,
                    &j.id,
                    "ITEM_TEXT",
                    w,
                );
                el(out, i, "ITEM_TEXT", &t);
                for (f, len, src) in &s.fields {
                    let v = src.get(j, &l.dimensions);
                    let v = match v {
                        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
                        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
                    };
                    let v = fit(v, *len, IDOC_NAME, &j.id, f, w);
                    if s.alpha && IDOC_ALPHA_FIELDS.contains(f) {
                        el(out, i, f, &alpha(&v, *len));
                    } else {
                        el(out, i, f, &v);
                    }
                }
                out.push_str("    </E1BPACGL09>\n");
            }
            for l in &j.lines {
                out.push_str("    <E1BPACCR09 SEGMENT=\"1\">\n");
                el(out, i, "ITEMNO_ACC", &format!("{:010}", l.line));
                el(out, i, "CURR_TYPE", "00");
                el(out, i, "CURRENCY_ISO", &j.currency);
                let a = if l.debit.is_zero() && !l.credit.is_zero() {
                    amount(-l.credit, scale)
                } else {
                    amount(l.debit, scale)
                };
                el(out, i, "AMT_DOCCUR", &a);
                out.push_str("    </E1BPACCR09>\n");
            }
            out.push_str("  </IDOC>\n");
            Ok(())
        })?;
        self.out.write_all(self.buf.as_bytes())?;
        self.buf.clear();
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.out.write_all(b"</ACC_DOCUMENT03>\n")?;
        self.warnings.finish();
        self.out.flush()
    }
}

//! `--to netsuite`: the journal entry CSV of NetSuite's Import CSV Records assistant
//! (spec: `schemas/erp/netsuite.md`).
//!
//! One row per line; the rows of one entry share its External ID. Header labels are
//! NetSuite's field labels so the mapping page maps them by itself; with both `Memo` and
//! `Line Memo` present NetSuite takes `Memo` for the entry and `Line Memo` for the line.

use crate::check::{Precision, amount};
use crate::common::{Common, title};
use crate::settings::{BOM, DateFormat, ID_PREFIX, Section, Setting, ValueSource};
use crate::text::{self, Dialect, Row, Warnings, fit};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_journal::Journal;
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::Sink;
use std::borrow::Cow;
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "netsuite";

/// `--to netsuite` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::NetSuite,
    description: "NetSuite journal entry CSV (Import CSV Records): one row per line, External ID groups an entry",
    settings: SETTINGS,
};

/// The `[formats.netsuite]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    (
        "subsidiary",
        "Subsidiary column value (OneWorld accounts need it; default empty)",
    ),
    (
        "date_format",
        "Date, as your NetSuite user's date preference (default \"MM/DD/YYYY\"; tokens YYYY YY MM M MMM DD D)",
    ),
    (
        "department",
        "where Department comes from (default \"department\"): a dimension name, or employee_id, employee_name, report_id, report_key, journal_id, batch_id, =TEXT, \"\" for none",
    ),
    ("class", "where Class comes from (default \"class\")"),
    (
        "location",
        "where Location comes from (default \"location\")",
    ),
    (
        "name",
        "where Name (the employee/vendor entity) comes from (default \"\": none)",
    ),
    (
        "custom_columns",
        "table: extra column header (e.g. a custom segment's label) -> value source",
    ),
    ID_PREFIX,
    (
        "max_lines",
        "lines per entry before it is split into balanced parts (default 1000, at most NetSuite's 10000)",
    ),
    ("delimiter", "\",\" (default), \";\" or \"\\t\""),
    ("line_ending", "\"crlf\" (default) or \"lf\""),
    BOM,
];

/// Columns before the custom ones.
pub const COLUMNS: &[&str] = &[
    "External ID",
    "Date",
    "Subsidiary",
    "Currency",
    "Memo",
    "Account",
    "Debit",
    "Credit",
    "Line Memo",
    "Name",
    "Department",
    "Class",
    "Location",
];

/// Longest memo NetSuite keeps (body and line).
pub const MEMO_MAX: usize = 999;

struct Settings {
    common: Common,
    subsidiary: String,
    date: DateFormat,
    name: ValueSource,
    department: ValueSource,
    class: ValueSource,
    location: ValueSource,
    custom: Vec<(String, ValueSource)>,
    dialect: Dialect,
    bom: bool,
}

fn settings(rules: &Rules) -> Result<Settings, SettingsError> {
    let s = Section::new(NAME, rules, SETTINGS)?;
    Ok(Settings {
        common: Common::read(
            &s,
            NAME,
            "CONCUR",
            1000,
            10_000,
            Precision {
                max_decimals: Some(2),
                max_integer_digits: Some(10),
            },
        )?,
        subsidiary: s.str_or("subsidiary", "")?,
        date: s.date_format("date_format", "MM/DD/YYYY")?,
        name: s.source("name", "")?,
        department: s.source("department", "department")?,
        class: s.source("class", "class")?,
        location: s.source("location", "location")?,
        custom: s
            .map("custom_columns", &[])?
            .into_iter()
            .map(|(k, v)| (k, ValueSource::parse(&v)))
            .collect(),
        dialect: Dialect {
            delimiter: s.delimiter("delimiter", b',', b",;\t")?,
            eol: s.line_ending("line_ending", "crlf")?,
            quoting: true,
        },
        bom: s.bool_or("bom", false)?,
    })
}

/// `--to netsuite`.
pub struct NetSuiteWriter<'w, W: Write> {
    out: W,
    s: Settings,
    warnings: Warnings<'w>,
    buf: Vec<u8>,
    started: bool,
}

impl<'w, W: Write> NetSuiteWriter<'w, W> {
    /// A writer into `out` with the `[formats.netsuite]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        Ok(NetSuiteWriter {
            out,
            s: settings(rules)?,
            warnings,
            buf: Vec::with_capacity(1 << 16),
            started: false,
        })
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            text::bom(&mut self.out, self.s.bom)?;
            let mut cols: Vec<&str> = COLUMNS.to_vec();
            cols.extend(self.s.custom.iter().map(|(k, _)| k.as_str()));
            text::header(&mut self.buf, self.s.dialect, &cols);
        }
        Ok(())
    }
}

impl<W: Write> Sink for NetSuiteWriter<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.start()?;
        let s = &self.s;
        let buf = &mut self.buf;
        s.common.each_part(j, &mut self.warnings, |j, part, w| {
            let id = s.common.external_id(j, part);
            let date = s.date.format(j.date);
            let scale = s.common.precision.scale(j);
            let memo = fit(Cow::Owned(title(j, part)), MEMO_MAX, NAME, &j.id, "Memo", w);
            for l in &j.lines {
                let mut r = Row::new(buf, s.dialect);
                r.text(&id)
                    .text(&date)
                    .text(&s.subsidiary)
                    .raw(&j.currency)
                    .text(&memo)
                    .text(&l.account);
                if l.debit.is_zero() && !l.credit.is_zero() {
                    r.empty(1).raw(&amount(l.credit, scale));
                } else {
                    r.raw(&amount(l.debit, scale)).empty(1);
                }
                let line_memo = fit(
                    Cow::Borrowed(&l.memo),
                    MEMO_MAX,
                    NAME,
                    &j.id,
                    "Line Memo",
                    w,
                );
                r.text(&line_memo)
                    .text(&s.name.get(j, &l.dimensions))
                    .text(&s.department.get(j, &l.dimensions))
                    .text(&s.class.get(j, &l.dimensions))
                    .text(&s.location.get(j, &l.dimensions));
                for (_, src) in &s.custom {
                    r.text(&src.get(j, &l.dimensions));
                }
                r.end();
            }
            Ok(())
        })?;
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.warnings.finish();
        self.out.flush()
    }
}

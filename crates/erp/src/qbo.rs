//! `--to qbo`: QuickBooks Online "Import Data > Journal Entries" CSV (spec:
//! `schemas/erp/qbo.md`). One row per line; rows with the same Journal No. form one entry.

use crate::check::{Precision, amount};
use crate::common::Common;
use crate::currency::CurrencyPolicy;
use crate::settings::{DateFormat, Section, ValueSource};
use crate::text::{self, Dialect, Row, Warnings, fit};
use crate::{SettingsError, settings_of};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Rules};
use std::borrow::Cow;
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "qbo";

/// Columns (a Currency column follows unless `base_currency` is set and `currency` is not).
pub const COLUMNS: &[&str] = &[
    "Journal No.",
    "Journal Date",
    "Account Name",
    "Debits",
    "Credits",
    "Description",
    "Name",
    "Location",
    "Class",
];

/// Journal No. length (the API's DocNumber).
pub const NUMBER_LEN: usize = 21;
/// Description length.
pub const DESCRIPTION_MAX: usize = 4000;
/// Name length.
pub const NAME_MAX: usize = 100;

struct Settings {
    common: Common,
    date: DateFormat,
    name: ValueSource,
    location: ValueSource,
    class: ValueSource,
    currency: CurrencyPolicy,
    dialect: Dialect,
    bom: bool,
}

fn settings(rules: &Rules) -> Result<Settings, SettingsError> {
    let s = Section::new(NAME, rules, settings_of(NAME))?;
    let common = Common::read(
        &s,
        NAME,
        "CC",
        0,
        1_000_000,
        Precision {
            max_decimals: Some(2),
            max_integer_digits: None,
        },
    )?;
    common.check_short(&s, NUMBER_LEN)?;
    Ok(Settings {
        common,
        date: s.date_format("date_format", "MM/DD/YYYY")?,
        name: s.source("name", "")?,
        location: s.source("location", "location")?,
        class: s.source("class", "class")?,
        currency: CurrencyPolicy::optional_column(&s, NAME)?,
        dialect: Dialect {
            delimiter: s.delimiter("delimiter", b',', b",;")?,
            eol: s.line_ending("line_ending", "crlf")?,
            quoting: true,
        },
        bom: s.bool_or("bom", false)?,
    })
}

/// `--to qbo`.
pub struct QboWriter<'w, W: Write> {
    out: W,
    s: Settings,
    warnings: Warnings<'w>,
    buf: Vec<u8>,
    started: bool,
}

impl<'w, W: Write> QboWriter<'w, W> {
    /// A writer into `out` with the `[formats.qbo]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        Ok(QboWriter {
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
            let mut cols = COLUMNS.to_vec();
            if self.s.currency.column {
                cols.push("Currency");
            }
            text::header(&mut self.buf, self.s.dialect, &cols);
        }
        Ok(())
    }
}

impl<W: Write> Sink for QboWriter<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.s.currency.check(j)?;
        self.start()?;
        let s = &self.s;
        let buf = &mut self.buf;
        s.common.each_part(j, &mut self.warnings, |j, part, w| {
            let number = s.common.short_id(j, part, NUMBER_LEN);
            let date = s.date.format(j.date);
            let scale = s.common.precision.scale(j);
            for l in &j.lines {
                let desc = fit(
                    Cow::Borrowed(&l.memo),
                    DESCRIPTION_MAX,
                    NAME,
                    &j.id,
                    "Description",
                    w,
                );
                let name = fit(
                    s.name.get(j, &l.dimensions),
                    NAME_MAX,
                    NAME,
                    &j.id,
                    "Name",
                    w,
                );
                let mut r = Row::new(buf, s.dialect);
                r.raw(&number).text(&date).text(&l.account);
                if l.debit.is_zero() && !l.credit.is_zero() {
                    r.empty(1).raw(&amount(l.credit, scale));
                } else {
                    r.raw(&amount(l.debit, scale)).empty(1);
                }
                r.text(&desc)
                    .text(&name)
                    .text(&s.location.get(j, &l.dimensions))
                    .text(&s.class.get(j, &l.dimensions));
                if s.currency.column {
                    r.raw(&j.currency);
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

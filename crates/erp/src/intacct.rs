//! `--to intacct`: Sage Intacct "General Ledger journal entries" CSV import (spec:
//! `schemas/erp/intacct.md`).
//!
//! The entry's fields (JOURNAL, DATE, DESCRIPTION, REFERENCE_NO) are on its first row only;
//! LINE_NO counts 1..n within the entry. The second row holds column descriptions and starts
//! with `#` in DONOTIMPORT, so Intacct skips it whether or not it expects such a row.

use crate::check::{Precision, amount};
use crate::common::{Common, title};
use crate::currency::CurrencyPolicy;
use crate::settings::{BOM, DateFormat, ID_PREFIX, Section, Setting, ValueSource};
use crate::text::{self, Dialect, Row, Warnings, fit};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Rules};
use std::borrow::Cow;
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "intacct";

/// `--to intacct` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::Intacct,
    description: "Sage Intacct GL journal entry CSV: entry fields on its first line, LINE_NO 1..n",
    settings: SETTINGS,
};

/// The `[formats.intacct]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    ("journal", "JOURNAL symbol (default \"GJ\")"),
    (
        "date_format",
        "DATE, as chosen on the import page (default \"MM/DD/YYYY\")",
    ),
    (
        "dimensions",
        "table: dimension column (LOCATION_ID, DEPT_ID, CLASS_ID, PROJECT_ID, EMPLOYEE_ID, ...) -> value source; default LOCATION_ID=location, DEPT_ID=department",
    ),
    (
        "base_currency",
        "your company's base currency: the CURRENCY column is left out (unless currency = true) and a journal in another currency is refused",
    ),
    (
        "currency",
        "write the CURRENCY column (default true, false when base_currency is set; false needs base_currency)",
    ),
    ID_PREFIX,
    (
        "max_lines",
        "lines per entry before it is split (default 1000)",
    ),
    ("line_ending", "\"crlf\" (default) or \"lf\""),
    BOM,
];

/// Columns before the dimension columns.
pub const LEADING: &[&str] = &[
    "DONOTIMPORT",
    "JOURNAL",
    "DATE",
    "DESCRIPTION",
    "REFERENCE_NO",
    "LINE_NO",
    "ACCT_NO",
];

/// Columns after the dimension columns (then CURRENCY, unless `base_currency` is set and
/// `currency` is not).
pub const TRAILING: &[&str] = &["DOCUMENT", "MEMO", "DEBIT", "CREDIT"];

/// Entry description length.
pub const DESCRIPTION_MAX: usize = 30;
/// Line memo length.
pub const MEMO_MAX: usize = 500;
/// Journal symbol length.
pub const JOURNAL_MAX: usize = 4;

struct Settings {
    common: Common,
    journal: String,
    date: DateFormat,
    dims: Vec<(String, ValueSource)>,
    currency: CurrencyPolicy,
    dialect: Dialect,
    bom: bool,
}

fn settings(rules: &Rules) -> Result<Settings, SettingsError> {
    let s = Section::new(NAME, rules, SETTINGS)?;
    let dims: Vec<(String, ValueSource)> = s
        .map(
            "dimensions",
            &[("LOCATION_ID", "location"), ("DEPT_ID", "department")],
        )?
        .into_iter()
        .map(|(k, v)| (k, ValueSource::parse(&v)))
        .collect();
    for (k, _) in &dims {
        let reserved = LEADING.iter().chain(TRAILING).any(|c| c == k) || k == "CURRENCY";
        if reserved
            || k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(s.err(
                &format!("dimensions.{k}"),
                "expected an Intacct dimension column such as LOCATION_ID, DEPT_ID, CLASS_ID, PROJECT_ID, EMPLOYEE_ID or a custom GLDIM column (upper case, as in your template)",
            ));
        }
    }
    Ok(Settings {
        common: Common::read(
            &s,
            NAME,
            "CONCUR",
            1000,
            100_000,
            Precision {
                max_decimals: Some(2),
                max_integer_digits: None,
            },
        )?,
        journal: s.code("journal", "GJ", JOURNAL_MAX)?,
        date: s.date_format("date_format", "MM/DD/YYYY")?,
        dims,
        currency: CurrencyPolicy::optional_column(&s, NAME)?,
        dialect: Dialect {
            delimiter: b',',
            eol: s.line_ending("line_ending", "crlf")?,
            quoting: true,
        },
        bom: s.bool_or("bom", false)?,
    })
}

/// `--to intacct`.
pub struct IntacctWriter<'w, W: Write> {
    out: W,
    s: Settings,
    warnings: Warnings<'w>,
    buf: Vec<u8>,
    started: bool,
}

impl<'w, W: Write> IntacctWriter<'w, W> {
    /// A writer into `out` with the `[formats.intacct]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        Ok(IntacctWriter {
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
            let mut cols: Vec<&str> = LEADING.to_vec();
            cols.extend(self.s.dims.iter().map(|(k, _)| k.as_str()));
            cols.extend(TRAILING);
            if self.s.currency.column {
                cols.push("CURRENCY");
            }
            text::header(&mut self.buf, self.s.dialect, &cols);
            let mut r = Row::new(&mut self.buf, self.s.dialect);
            r.text("# Ledgerline: this row is skipped (DONOTIMPORT)")
                .text("journal symbol")
                .text("entry date")
                .text("entry description")
                .text("reference (Concur batch and report)")
                .text("line number")
                .text("GL account");
            for (k, _) in &self.s.dims {
                r.text(k);
            }
            r.text("document")
                .text("line memo")
                .text("debit")
                .text("credit");
            if self.s.currency.column {
                r.text("currency");
            }
            r.end();
        }
        Ok(())
    }
}

impl<W: Write> Sink for IntacctWriter<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.s.currency.check(j)?;
        self.start()?;
        let s = &self.s;
        let buf = &mut self.buf;
        s.common.each_part(j, &mut self.warnings, |j, part, w| {
            let date = s.date.format(j.date);
            let desc = fit(
                Cow::Owned(title(j, part)),
                DESCRIPTION_MAX,
                NAME,
                &j.id,
                "DESCRIPTION",
                w,
            );
            let reference = s.common.external_id(j, part);
            let scale = s.common.precision.scale(j);
            for (i, l) in j.lines.iter().enumerate() {
                let mut r = Row::new(buf, s.dialect);
                r.empty(1);
                if i == 0 {
                    r.text(&s.journal).text(&date).text(&desc).text(&reference);
                } else {
                    r.empty(4);
                }
                r.raw(&l.line.to_string()).text(&l.account);
                for (_, src) in &s.dims {
                    r.text(&src.get(j, &l.dimensions));
                }
                let memo = fit(Cow::Borrowed(&l.memo), MEMO_MAX, NAME, &j.id, "MEMO", w);
                r.empty(1).text(&memo);
                if l.debit.is_zero() && !l.credit.is_zero() {
                    r.empty(1).raw(&amount(l.credit, scale));
                } else {
                    r.raw(&amount(l.debit, scale)).empty(1);
                }
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

//! `--to iif`: QuickBooks Desktop Intuit Interchange Format (spec: `schemas/erp/iif.md`).
//!
//! Tab-delimited; three header lines declare the TRNS, SPL and ENDTRNS records; each journal
//! is one GENERAL JOURNAL transaction: its first line as TRNS, the others as SPL, then
//! ENDTRNS. Amounts are signed (debit positive). IIF has no quoting, so tabs, line breaks and
//! other control characters are replaced by spaces in every text field.

use crate::check::{Precision, signed};
use crate::common::Common;
use crate::currency::CurrencyPolicy;
use crate::settings::{DateFormat, ID_PREFIX, Section, Setting, ValueSource};
use crate::text::{Dialect, Row, Warnings};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Rules};
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "iif";

/// `--to iif` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::Iif,
    description: "QuickBooks Desktop IIF: TRNS/SPL/ENDTRNS GENERAL JOURNAL blocks, signed amounts, tab-delimited",
    settings: SETTINGS,
};

/// The `[formats.iif]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    ("date_format", "DATE (default \"MM/DD/YYYY\")"),
    ("name", "where NAME comes from (default \"\")"),
    ("class", "where CLASS comes from (default \"class\")"),
    (
        "encoding",
        "\"utf-8\" (default) or \"windows-1252\" (characters it lacks become ? with a warning)",
    ),
    (
        "base_currency",
        "required: your QuickBooks home currency; IIF carries no currency, so a journal in another is refused",
    ),
    ID_PREFIX,
    (
        "max_lines",
        "lines per transaction before it is split (default 0: no limit)",
    ),
    ("line_ending", "\"crlf\" (default) or \"lf\""),
];

/// Columns of TRNS and SPL records after the record name.
pub const COLUMNS: &[&str] = &[
    "TRNSID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT", "DOCNUM", "MEMO",
];

/// DOCNUM length written (QuickBooks' entry number field).
pub const DOCNUM_LEN: usize = 11;

struct Settings {
    common: Common,
    date: DateFormat,
    name: ValueSource,
    class: ValueSource,
    cp1252: bool,
    currency: CurrencyPolicy,
    dialect: Dialect,
}

fn settings(rules: &Rules) -> Result<Settings, SettingsError> {
    let s = Section::new(NAME, rules, SETTINGS)?;
    let common = Common::read(
        &s,
        NAME,
        "C",
        0,
        1_000_000,
        Precision {
            max_decimals: Some(2),
            max_integer_digits: None,
        },
    )?;
    common.check_short(&s, DOCNUM_LEN)?;
    Ok(Settings {
        common,
        date: s.date_format("date_format", "MM/DD/YYYY")?,
        name: s.source("name", "")?,
        class: s.source("class", "class")?,
        cp1252: s.choice("encoding", "utf-8", &["utf-8", "windows-1252"])? == "windows-1252",
        currency: CurrencyPolicy::no_column(
            &s,
            NAME,
            "an IIF general journal has no currency column (QuickBooks Desktop posts it in the home currency)",
        )?,
        dialect: Dialect {
            delimiter: b'\t',
            eol: s.line_ending("line_ending", "crlf")?,
            quoting: false,
        },
    })
}

/// Windows-1252 bytes 0x80..=0x9F.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// `s` in Windows-1252; characters it lacks become `?`. Returns the bytes and how many
/// characters were replaced.
///
/// ```
/// use ledgerline_erp::iif::to_cp1252;
/// assert_eq!(to_cp1252("Café €5"), (b"Caf\xe9 \x805".to_vec(), 0));
/// assert_eq!(to_cp1252("東京").1, 2);
/// ```
pub fn to_cp1252(s: &str) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(s.len());
    let mut lost = 0;
    for c in s.chars() {
        let u = c as u32;
        if u < 0x80 || (0xA0..=0xFF).contains(&u) {
            out.push(u as u8);
        } else if let Some(i) = CP1252_HIGH.iter().position(|h| *h == c && !h.is_control()) {
            out.push(0x80 + i as u8);
        } else {
            out.push(b'?');
            lost += 1;
        }
    }
    (out, lost)
}

/// `--to iif`.
pub struct IifWriter<'w, W: Write> {
    out: W,
    s: Settings,
    warnings: Warnings<'w>,
    buf: Vec<u8>,
    started: bool,
}

impl<'w, W: Write> IifWriter<'w, W> {
    /// A writer into `out` with the `[formats.iif]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        Ok(IifWriter {
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
            for rec in ["!TRNS", "!SPL"] {
                let mut r = Row::new(&mut self.buf, self.s.dialect);
                r.raw(rec);
                for c in COLUMNS {
                    r.raw(if *c == "TRNSID" && rec == "!SPL" {
                        "SPLID"
                    } else {
                        c
                    });
                }
                r.end();
            }
            Row::new(&mut self.buf, self.s.dialect)
                .raw("!ENDTRNS")
                .end();
        }
        Ok(())
    }

    fn flush_buf(&mut self, journal: &str) -> io::Result<()> {
        if self.s.cp1252 {
            let text = String::from_utf8_lossy(&self.buf);
            let (bytes, lost) = to_cp1252(&text);
            if lost > 0 {
                self.warnings.warn(
                    NAME,
                    journal,
                    None,
                    format!("{lost} character(s) not in Windows-1252 written as ?"),
                );
            }
            self.out.write_all(&bytes)?;
        } else {
            self.out.write_all(&self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }
}

impl<W: Write> Sink for IifWriter<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.s.currency.check(j)?;
        self.start()?;
        let s = &self.s;
        let buf = &mut self.buf;
        s.common.each_part(j, &mut self.warnings, |j, part, _w| {
            let docnum = s.common.short_id(j, part, DOCNUM_LEN);
            let date = s.date.format(j.date);
            let scale = s.common.precision.scale(j);
            for (i, l) in j.lines.iter().enumerate() {
                let mut r = Row::new(buf, s.dialect);
                r.raw(if i == 0 { "TRNS" } else { "SPL" })
                    .empty(1)
                    .raw("GENERAL JOURNAL")
                    .text(&date)
                    .text(&l.account)
                    .text(&s.name.get(j, &l.dimensions))
                    .text(&s.class.get(j, &l.dimensions))
                    .raw(&signed(l.debit, l.credit, scale))
                    .raw(&docnum)
                    .text(&l.memo);
                r.end();
            }
            Row::new(buf, s.dialect).raw("ENDTRNS").end();
            Ok(())
        })?;
        self.flush_buf(&j.id)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.flush_buf("")?;
        self.warnings.finish();
        self.out.flush()
    }
}

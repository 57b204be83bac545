//! `--to xero`: Xero manual journal import (spec: `schemas/erp/xero.md`).
//!
//! Xero takes at most 300 lines per import file, so the output is a zip of CSV files
//! (`xero-manual-journals-0001.csv`, ...), each with the template's header and at most
//! `max_lines` lines. A journal is never spread over two files unless it alone is longer
//! than a file allows; then it is split into balanced parts. Rows with the same Narration and
//! Date form one journal in Xero, so the Narration starts with the journal's external id.

use crate::archive::Zip;
use crate::check::{Precision, signed};
use crate::common::{Common, title};
use crate::currency::CurrencyPolicy;
use crate::settings::{BOM, DateFormat, ID_PREFIX, Section, Setting, ValueSource};
use crate::text::{self, Dialect, Row, Warnings};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Rules};
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "xero";

/// `--to xero` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::Xero,
    description: "Xero manual journal import: a zip of CSV files of at most 300 lines, signed Amount, Narration+Date group a journal",
    settings: SETTINGS,
};

/// The `[formats.xero]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    (
        "date_format",
        "*Date (default \"DD/MM/YYYY\"; US organisations \"MM/DD/YYYY\")",
    ),
    (
        "tax_rate",
        "*TaxRate, the exact name of your organisation's no-tax rate (default \"Tax Exempt\", with a warning until you set it; UK \"No VAT\", AU \"BAS Excluded\")",
    ),
    (
        "tracking",
        "table: Xero tracking category name -> value source, at most two",
    ),
    (
        "base_currency",
        "required: your organisation's base currency; a journal in another is refused (manual journals carry no currency)",
    ),
    (
        "package",
        "\"zip\" (default: one CSV per 300 lines) or \"csv\" (one file; refused past 300 lines)",
    ),
    ID_PREFIX,
    (
        "max_lines",
        "lines per file (default and most 300, Xero's limit)",
    ),
    ("line_ending", "\"crlf\" (default) or \"lf\""),
    BOM,
];

/// Xero's limit of lines per import file.
pub const MAX_FILE_LINES: usize = 300;

/// Columns of the template (`*` marks the required ones, as in Xero's file).
pub const COLUMNS: &[&str] = &[
    "*Narration",
    "*Date",
    "Description",
    "*AccountCode",
    "*TaxRate",
    "*Amount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
];

/// The *TaxRate written when `tax_rate` is not set (a warning says it must exist by that
/// exact name in the organisation).
pub const DEFAULT_TAX_RATE: &str = "Tax Exempt";

/// The name of the `n`th file in the zip.
pub fn file_name(n: u32) -> String {
    format!("xero-manual-journals-{n:04}.csv")
}

struct Settings {
    common: Common,
    date: DateFormat,
    tax_rate: String,
    /// `tax_rate` was not given: the run warns that the default must exist in the org.
    tax_rate_default: bool,
    tracking: Vec<(String, ValueSource)>,
    currency: CurrencyPolicy,
    zip: bool,
    dialect: Dialect,
    bom: bool,
}

fn settings(rules: &Rules) -> Result<Settings, SettingsError> {
    let s = Section::new(NAME, rules, SETTINGS)?;
    let tracking: Vec<(String, ValueSource)> = s
        .map("tracking", &[])?
        .into_iter()
        .map(|(k, v)| (k, ValueSource::parse(&v)))
        .collect();
    if tracking.len() > 2 {
        return Err(s.err("tracking", "Xero has at most two tracking categories"));
    }
    Ok(Settings {
        common: Common::read(
            &s,
            NAME,
            "CONCUR",
            MAX_FILE_LINES,
            MAX_FILE_LINES,
            Precision {
                max_decimals: Some(2),
                max_integer_digits: None,
            },
        )?,
        date: s.date_format("date_format", "DD/MM/YYYY")?,
        tax_rate: s.code("tax_rate", DEFAULT_TAX_RATE, 100)?,
        tax_rate_default: s.opt_str("tax_rate")?.is_none(),
        tracking,
        currency: CurrencyPolicy::no_column(
            &s,
            NAME,
            "a Xero manual journal has no currency column (it is always in the organisation's base currency)",
        )?,
        zip: s.choice("package", "zip", &["zip", "csv"])? == "zip",
        dialect: Dialect {
            delimiter: b',',
            eol: s.line_ending("line_ending", "crlf")?,
            quoting: true,
        },
        bom: s.bool_or("bom", false)?,
    })
}

enum Out<W: Write> {
    Zip(Box<Zip<W>>),
    Csv(W),
}

/// `--to xero`.
pub struct XeroWriter<'w, W: Write> {
    out: Out<W>,
    s: Settings,
    warnings: Warnings<'w>,
    /// Files started, lines in the current one.
    files: u32,
    lines: usize,
    warned: bool,
}

impl<'w, W: Write> XeroWriter<'w, W> {
    /// A writer into `out` with the `[formats.xero]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        let s = settings(rules)?;
        Ok(XeroWriter {
            out: if s.zip {
                Out::Zip(Box::new(Zip::new(out)))
            } else {
                Out::Csv(out)
            },
            s,
            warnings,
            files: 0,
            lines: 0,
            warned: false,
        })
    }

    fn new_file(&mut self) -> io::Result<()> {
        self.files += 1;
        self.lines = 0;
        match &mut self.out {
            Out::Zip(z) => z.start(&file_name(self.files))?,
            Out::Csv(_) if self.files > 1 => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "formats.xero.package = \"csv\": more than {} lines, the most Xero imports from one file; use package = \"zip\"",
                        self.s.common.max_lines
                    ),
                ));
            }
            Out::Csv(_) => {}
        }
        let mut head = Vec::new();
        text::bom(&mut head, self.s.bom)?;
        text::header(&mut head, self.s.dialect, COLUMNS);
        self.put(&head)
    }

    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        match &mut self.out {
            Out::Zip(z) => z.write_all(b),
            Out::Csv(w) => w.write_all(b),
        }
    }
}

impl<W: Write> Sink for XeroWriter<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.s.currency.check(j)?;
        if self.s.tax_rate_default && !self.warned {
            self.warned = true;
            self.warnings.warn(
                NAME,
                &j.id,
                Some("*TaxRate"),
                format!(
                    "\"{DEFAULT_TAX_RATE}\" is a default: Xero takes only the exact name of a rate in the organisation's tax settings (\"No VAT\" in the UK, \"BAS Excluded\" in Australia, ...); set formats.xero.tax_rate to your no-tax rate's name"
                ),
            );
        }
        let mut parts: Vec<(usize, Vec<u8>)> = Vec::new();
        {
            let s = &self.s;
            s.common.each_part(j, &mut self.warnings, |j, part, _w| {
                let mut buf = Vec::new();
                let narration = format!("{} {}", s.common.external_id(j, part), title(j, part));
                let date = s.date.format(j.date);
                let scale = s.common.precision.scale(j);
                for l in &j.lines {
                    let mut r = Row::new(&mut buf, s.dialect);
                    r.text(&narration)
                        .text(&date)
                        .text(&l.memo)
                        .text(&l.account)
                        .text(&s.tax_rate)
                        .raw(&signed(l.debit, l.credit, scale));
                    for (name, src) in &s.tracking {
                        let v = src.get(j, &l.dimensions);
                        if v.is_empty() {
                            r.empty(2);
                        } else {
                            r.text(name).text(&v);
                        }
                    }
                    r.empty(2 * (2 - s.tracking.len()));
                    r.end();
                }
                parts.push((j.lines.len(), buf));
                Ok(())
            })?;
        }
        for (n, rows) in parts {
            if self.files == 0 || self.lines + n > self.s.common.max_lines {
                self.new_file()?;
            }
            self.lines += n;
            self.put(&rows)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.files == 0 {
            self.new_file()?;
        }
        self.warnings.finish();
        match &mut self.out {
            Out::Zip(z) => z.finish(),
            Out::Csv(w) => w.flush(),
        }
    }
}

//! `--to d365`: the Dynamics 365 Finance "General journal" data entity (LedgerJournalEntity)
//! as a CSV for a data management import project (spec: `schemas/erp/d365.md`).
//!
//! Each journal is one voucher (same TRANSDATE on all its rows); vouchers are gathered into
//! journal batch numbers of at most `batch_lines` lines, never cutting a voucher.

use crate::check::{Precision, amount};
use crate::common::Common;
use crate::ids;
use crate::settings::{BOM, DateFormat, ID_PREFIX, Section, Setting, ValueSource};
use crate::text::{self, Dialect, Row, Warnings, fit};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Rules};
use std::borrow::Cow;
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "d365";

/// `--to d365` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::D365,
    description: "Dynamics 365 Finance general journal entity (DMF) CSV: batch number, voucher, line number, account display value",
    settings: SETTINGS,
};

/// The `[formats.d365]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    ("journal_name", "JOURNALNAME (default \"GenJrn\")"),
    (
        "date_format",
        "TRANSDATE (default \"DD-MMM-YYYY\", Microsoft's example)",
    ),
    (
        "dimensions",
        "list: value sources appended to the main account in ACCOUNTDISPLAYVALUE, in your integration format's order (default [])",
    ),
    (
        "dimension_segments",
        "how many dimension segments your active ledger dimensions integration format has: ACCOUNTDISPLAYVALUE gets one per segment, those without a dimensions source empty (3 gives 401100---; default: as many as dimensions lists)",
    ),
    (
        "dimension_separator",
        "separator in ACCOUNTDISPLAYVALUE (default \"-\")",
    ),
    (
        "fintags",
        "list: value sources for FINTAGDISPLAYVALUE (default []: no column)",
    ),
    ("account_type", "ACCOUNTTYPE (default \"Ledger\")"),
    ID_PREFIX,
    (
        "max_lines",
        "lines per voucher before it is split (default 1000)",
    ),
    (
        "batch_lines",
        "lines per JOURNALBATCHNUMBER; vouchers are never cut between batches (default 10000)",
    ),
    ("delimiter", "\",\" (default), \";\" or \"\\t\""),
    ("line_ending", "\"crlf\" (default) or \"lf\""),
    BOM,
];

/// Columns, in Microsoft's example order (the entity maps them by name).
pub const COLUMNS: &[&str] = &[
    "JOURNALNAME",
    "DESCRIPTION",
    "JOURNALBATCHNUMBER",
    "LINENUMBER",
    "ACCOUNTTYPE",
    "ACCOUNTDISPLAYVALUE",
    "TRANSDATE",
    "VOUCHER",
    "CURRENCYCODE",
    "DEBITAMOUNT",
    "CREDITAMOUNT",
    "TEXT",
];

/// Length of the voucher written.
pub const VOUCHER_LEN: usize = 20;
/// Length of the journal batch number written.
pub const BATCH_LEN: usize = 10;
/// Line text length (TEXT).
pub const TEXT_MAX: usize = 60;
/// Journal description length (DESCRIPTION).
pub const DESCRIPTION_MAX: usize = 60;

struct Settings {
    common: Common,
    journal_name: String,
    date: DateFormat,
    dimensions: Vec<ValueSource>,
    /// Empty segments appended after the `dimensions` ones, so that the display value has one
    /// segment per dimension of the integration format.
    pad_segments: usize,
    separator: String,
    fintags: Vec<ValueSource>,
    account_type: String,
    batch_lines: usize,
    dialect: Dialect,
    bom: bool,
}

fn settings(rules: &Rules) -> Result<Settings, SettingsError> {
    let s = Section::new(NAME, rules, SETTINGS)?;
    let common = Common::read(&s, NAME, "CC", 1000, 10_000, Precision::ANY)?;
    common.check_short(&s, VOUCHER_LEN)?;
    let batch_lines = s.int_or("batch_lines", 10_000, 2, 1_000_000)?;
    if batch_lines < common.max_lines {
        return Err(s.err(
            "batch_lines",
            format!(
                "must be at least max_lines ({}): a voucher is never cut between batches",
                common.max_lines
            ),
        ));
    }
    let separator = s.str_or("dimension_separator", "-")?;
    if separator.is_empty() {
        return Err(s.err("dimension_separator", "must not be empty"));
    }
    let dimensions: Vec<ValueSource> = s
        .list("dimensions", &[])?
        .iter()
        .map(|v| ValueSource::parse(v))
        .collect();
    let segments = s.int_or("dimension_segments", dimensions.len(), 0, 30)?;
    if segments < dimensions.len() {
        return Err(s.err(
            "dimension_segments",
            format!(
                "{segments} segments, but dimensions lists {}: list one value source per segment of your ledger dimensions integration format, at most dimension_segments",
                dimensions.len()
            ),
        ));
    }
    Ok(Settings {
        common,
        journal_name: s.code("journal_name", "GenJrn", 10)?,
        date: s.date_format("date_format", "DD-MMM-YYYY")?,
        pad_segments: segments - dimensions.len(),
        dimensions,
        separator,
        fintags: s
            .list("fintags", &[])?
            .iter()
            .map(|v| ValueSource::parse(v))
            .collect(),
        account_type: s.code("account_type", "Ledger", 20)?,
        batch_lines,
        dialect: Dialect {
            delimiter: s.delimiter("delimiter", b',', b",;\t")?,
            eol: s.line_ending("line_ending", "crlf")?,
            quoting: true,
        },
        bom: s.bool_or("bom", false)?,
    })
}

/// `--to d365`.
pub struct D365Writer<'w, W: Write> {
    out: W,
    s: Settings,
    warnings: Warnings<'w>,
    buf: Vec<u8>,
    started: bool,
    /// Source batch, batch-number sequence, lines in the current batch number.
    batch: Option<(String, u32, usize)>,
}

impl<'w, W: Write> D365Writer<'w, W> {
    /// A writer into `out` with the `[formats.d365]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        Ok(D365Writer {
            out,
            s: settings(rules)?,
            warnings,
            buf: Vec::with_capacity(1 << 16),
            started: false,
            batch: None,
        })
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            text::bom(&mut self.out, self.s.bom)?;
            let mut cols = COLUMNS.to_vec();
            if !self.s.fintags.is_empty() {
                cols.push("FINTAGDISPLAYVALUE");
            }
            text::header(&mut self.buf, self.s.dialect, &cols);
        }
        Ok(())
    }
}

/// The journal batch number of the `n`th batch of extract batch `batch`.
pub fn batch_number(batch: &str, n: u32) -> String {
    let h = ids::hash(&[batch.as_bytes(), n.to_string().as_bytes()]);
    format!("B{}", ids::base32(h, BATCH_LEN - 1))
}

fn joined(
    first: &str,
    srcs: &[ValueSource],
    sep: &str,
    j: &Journal,
    dims: &[(String, String)],
) -> String {
    let mut v = first.to_owned();
    for (i, src) in srcs.iter().enumerate() {
        if i > 0 || !first.is_empty() {
            v.push_str(sep);
        }
        v.push_str(&src.get(j, dims));
    }
    v
}

impl<W: Write> Sink for D365Writer<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.start()?;
        let s = &self.s;
        let buf = &mut self.buf;
        let batch = &mut self.batch;
        s.common.each_part(j, &mut self.warnings, |j, part, w| {
            let n = j.lines.len();
            let (number, line0) = match batch {
                Some((b, seq, used)) if *b == j.batch_id && *used + n <= s.batch_lines => {
                    let l0 = *used;
                    *used += n;
                    (batch_number(b, *seq), l0)
                }
                Some((b, seq, used)) if *b == j.batch_id => {
                    *seq += 1;
                    *used = n;
                    (batch_number(b, *seq), 0)
                }
                _ => {
                    *batch = Some((j.batch_id.clone(), 1, n));
                    (batch_number(&j.batch_id, 1), 0)
                }
            };
            let description = fit(
                Cow::Owned(format!("Concur batch {}", j.batch_id)),
                DESCRIPTION_MAX,
                NAME,
                &j.id,
                "DESCRIPTION",
                w,
            );
            let voucher = s.common.short_id(j, part, VOUCHER_LEN);
            let date = s.date.format(j.date);
            let scale = s.common.precision.scale(j);
            for (i, l) in j.lines.iter().enumerate() {
                let mut account = joined(&l.account, &s.dimensions, &s.separator, j, &l.dimensions);
                for _ in 0..s.pad_segments {
                    account.push_str(&s.separator);
                }
                let text = fit(Cow::Borrowed(&l.memo), TEXT_MAX, NAME, &j.id, "TEXT", w);
                let mut r = Row::new(buf, s.dialect);
                r.text(&s.journal_name)
                    .text(&description)
                    .raw(&number)
                    .raw(&(line0 + i + 1).to_string())
                    .text(&s.account_type)
                    .text(&account)
                    .text(&date)
                    .raw(&voucher)
                    .raw(&j.currency)
                    .raw(&amount(l.debit, scale))
                    .raw(&amount(l.credit, scale))
                    .text(&text);
                if !s.fintags.is_empty() {
                    r.text(&joined("", &s.fintags, &s.separator, j, &l.dimensions));
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

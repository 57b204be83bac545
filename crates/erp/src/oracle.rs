//! `--to oracle-fbdi`: Oracle Fusion Cloud General Ledger journal import through FBDI
//! (spec: `schemas/erp/oracle-fbdi.md`). The output is the zip that "Load Interface File for
//! Import" takes: one entry, `GlInterface.csv`, headerless, one GL_INTERFACE row per line,
//! every row padded to the template's width.

use crate::archive::Zip;
use crate::check::{Precision, amount};
use crate::common::{Common, title};
use crate::ids;
use crate::settings::{ID_PREFIX, Section, Setting, ValueSource};
use crate::text::{Dialect, Row, Warnings, fit};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, JournalLine, Rules};
use std::borrow::Cow;
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "oracle-fbdi";

/// `--to oracle-fbdi` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::OracleFbdi,
    description: "Oracle Fusion GL journal import (FBDI): headerless GL_INTERFACE rows in GlInterface.csv, zipped",
    settings: SETTINGS,
};

/// The `[formats.oracle-fbdi]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    (
        "ledger_id",
        "LEDGER_ID, your ledger's numeric id (this or ledger_name is required)",
    ),
    (
        "ledger_name",
        "LEDGER_NAME (column 92), the ledger's exact name, at most 30 characters (longer is refused, never cut)",
    ),
    (
        "source",
        "USER_JE_SOURCE_NAME, at most 25 characters (default \"Spreadsheet\")",
    ),
    (
        "category",
        "USER_JE_CATEGORY_NAME, at most 25 characters (default \"Adjustment\")",
    ),
    (
        "group_id",
        "GROUP_ID, the number you give Import Journals (default: the batch id when it is a number, else a number derived from it)",
    ),
    (
        "segments",
        "list: SEGMENT1.. values in chart-of-accounts order, each a template of {account}, {account:N} (Nth piece of the account split by segment_separator), {DIMENSION} and text (default [\"{account}\"])",
    ),
    (
        "segment_separator",
        "separator for {account:N} (default \"-\")",
    ),
    (
        "ledger_currency",
        "the ledger's currency: journals in another currency get conversion type and date",
    ),
    (
        "conversion_type",
        "USER_CURRENCY_CONVERSION_TYPE for those journals (default \"Corporate\")",
    ),
    (
        "columns",
        "row width of your template version: 150 (default, 149 columns + END, templates from 23B on), 99 or 95 for older ones",
    ),
    ("end_marker", "put END in the last column (default true)"),
    ID_PREFIX,
    (
        "max_lines",
        "lines per journal before it is split (default 0: no limit)",
    ),
    ("line_ending", "\"lf\" (default) or \"crlf\""),
];

/// The CSV's name inside the zip, as the template's macro names it.
pub const ENTRY: &str = "GlInterface.csv";
/// Fewest columns a row may have: 94 template columns and END at 95, the oldest template
/// version (PERIOD_NAME at 95 takes END as empty). Current templates (23B on) have 149
/// columns and END at 150 (`schemas/erp/oracle-fbdi.md` lists them all).
pub const MIN_COLUMNS: usize = 95;
/// Most chart-of-accounts segments.
pub const MAX_SEGMENTS: usize = 30;

/// 1-based positions used.
pub mod pos {
    /// STATUS.
    pub const STATUS: usize = 1;
    /// LEDGER_ID.
    pub const LEDGER_ID: usize = 2;
    /// ACCOUNTING_DATE.
    pub const ACCOUNTING_DATE: usize = 3;
    /// USER_JE_SOURCE_NAME.
    pub const SOURCE: usize = 4;
    /// USER_JE_CATEGORY_NAME.
    pub const CATEGORY: usize = 5;
    /// CURRENCY_CODE.
    pub const CURRENCY: usize = 6;
    /// DATE_CREATED.
    pub const DATE_CREATED: usize = 7;
    /// ACTUAL_FLAG.
    pub const ACTUAL_FLAG: usize = 8;
    /// SEGMENT1 (SEGMENT30 is 38).
    pub const SEGMENT1: usize = 9;
    /// ENTERED_DR.
    pub const ENTERED_DR: usize = 39;
    /// ENTERED_CR.
    pub const ENTERED_CR: usize = 40;
    /// REFERENCE1, batch name.
    pub const REFERENCE1: usize = 43;
    /// REFERENCE2, batch description.
    pub const REFERENCE2: usize = 44;
    /// REFERENCE4, journal name.
    pub const REFERENCE4: usize = 46;
    /// REFERENCE5, journal description.
    pub const REFERENCE5: usize = 47;
    /// REFERENCE6, journal reference.
    pub const REFERENCE6: usize = 48;
    /// REFERENCE10, line description.
    pub const REFERENCE10: usize = 52;
    /// Currency conversion type.
    pub const CONVERSION_TYPE: usize = 64;
    /// Currency conversion date.
    pub const CONVERSION_DATE: usize = 65;
    /// GROUP_ID.
    pub const GROUP_ID: usize = 67;
    /// LEDGER_NAME.
    pub const LEDGER_NAME: usize = 92;
}

/// Lengths of the text columns written.
pub const SOURCE_MAX: usize = 25;
/// REFERENCE1 / REFERENCE4 length.
pub const NAME_MAX: usize = 100;
/// REFERENCE2 / REFERENCE5 / REFERENCE10 length.
pub const DESCRIPTION_MAX: usize = 240;
/// Segment value length.
pub const SEGMENT_MAX: usize = 25;
/// LEDGER_NAME length (VARCHAR2(30)).
pub const LEDGER_NAME_MAX: usize = 30;
/// USER_CURRENCY_CONVERSION_TYPE length (VARCHAR2(30)).
pub const CONVERSION_TYPE_MAX: usize = 30;

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Account,
    AccountPart(usize),
    Value(ValueSource),
}

/// Why a `segments` template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{template}\": {kind}")]
struct SegmentError {
    /// The template as given.
    template: String,
    /// What is wrong with it.
    kind: SegmentErrorKind,
}

/// What is wrong with a `segments` template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum SegmentErrorKind {
    /// A `{` without its `}`.
    #[error("a {{ is not closed")]
    Unclosed,
    /// `{account:N}` with N not a number from 1.
    #[error("{{account:N}} needs N from 1")]
    AccountPart,
    /// `{}`.
    #[error("empty {{}}")]
    Empty,
    /// A `}` without its `{`.
    #[error("a }} without {{")]
    Unopened,
}

fn parse_segment(t: &str) -> Result<Vec<Piece>, SegmentError> {
    let err = |kind| SegmentError {
        template: t.to_owned(),
        kind,
    };
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_owned()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(err(SegmentErrorKind::Unclosed));
        };
        let name = &rest[open + 1..open + close];
        out.push(match name {
            "account" => Piece::Account,
            n => match n.strip_prefix("account:") {
                Some(k) => match k.parse::<usize>() {
                    Ok(k) if k >= 1 => Piece::AccountPart(k),
                    _ => return Err(err(SegmentErrorKind::AccountPart)),
                },
                None if n.is_empty() => return Err(err(SegmentErrorKind::Empty)),
                None => Piece::Value(ValueSource::parse(n)),
            },
        });
        rest = &rest[open + close + 1..];
    }
    if rest.contains('}') {
        return Err(err(SegmentErrorKind::Unopened));
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    Ok(out)
}

struct Settings {
    common: Common,
    ledger_id: String,
    ledger_name: String,
    source: String,
    category: String,
    group_id: Option<String>,
    segments: Vec<Vec<Piece>>,
    separator: String,
    ledger_currency: Option<String>,
    conversion_type: String,
    columns: usize,
    end_marker: bool,
    dialect: Dialect,
}

fn settings(rules: &Rules) -> Result<Settings, SettingsError> {
    let s = Section::new(NAME, rules, SETTINGS)?;
    let ledger_id = s.opt_str_or_int("ledger_id")?.unwrap_or_default();
    let ledger_name = s.str_or("ledger_name", "")?;
    let n = ledger_name.chars().count();
    if n > LEDGER_NAME_MAX {
        // A cut name would name another ledger, or none: refused, never cut.
        return Err(s.err(
            "ledger_name",
            format!(
                "\"{ledger_name}\" is {n} characters; Oracle's LEDGER_NAME takes at most {LEDGER_NAME_MAX} (give the ledger's exact name, or ledger_id instead)"
            ),
        ));
    }
    if ledger_name.chars().any(char::is_control) {
        return Err(s.err("ledger_name", "control characters are not allowed"));
    }
    if ledger_id.is_empty() && ledger_name.is_empty() {
        return Err(s.err(
            "ledger_id",
            "required: your ledger's numeric id (or set ledger_name); no default can name your ledger",
        ));
    }
    if !ledger_id.chars().all(|c| c.is_ascii_digit()) || ledger_id.len() > 18 {
        return Err(s.err(
            "ledger_id",
            "expected at most 18 digits (the ledger's numeric id, NUMBER(18))",
        ));
    }
    let group_id = s.opt_str_or_int("group_id")?;
    if let Some(g) = &group_id
        && (g.is_empty() || g.len() > 15 || !g.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(s.err("group_id", "expected a number of at most 15 digits"));
    }
    let seg_list = s.list("segments", &["{account}"])?;
    if seg_list.is_empty() || seg_list.len() > MAX_SEGMENTS {
        return Err(s.err(
            "segments",
            format!("expected 1 to {MAX_SEGMENTS} segment templates"),
        ));
    }
    let segments = seg_list
        .iter()
        .map(|t| parse_segment(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| s.err("segments", e.to_string()))?;
    let columns = s.int_or("columns", 150, MIN_COLUMNS, 1000)?;
    Ok(Settings {
        common: Common::read(&s, NAME, "CONCUR", 0, 1_000_000, Precision::ANY)?,
        ledger_id,
        ledger_name,
        source: s.code("source", "Spreadsheet", SOURCE_MAX)?,
        category: s.code("category", "Adjustment", SOURCE_MAX)?,
        group_id,
        segments,
        separator: s.str_or("segment_separator", "-")?,
        ledger_currency: s.opt_str("ledger_currency")?,
        conversion_type: s.code("conversion_type", "Corporate", CONVERSION_TYPE_MAX)?,
        columns,
        end_marker: s.bool_or("end_marker", true)?,
        dialect: Dialect {
            delimiter: b',',
            eol: s.line_ending("line_ending", "lf")?,
            quoting: true,
        },
    })
}

/// The GROUP_ID of journals of batch `batch`: the batch id when it is a number of at most
/// 15 digits, otherwise a 9-digit number derived from it.
///
/// ```
/// use ledgerline_erp::oracle::group_id;
/// assert_eq!(group_id("42"), "42");
/// assert_eq!(group_id("B-7").len(), 9);
/// assert_eq!(group_id("B-7"), group_id("B-7"));
/// ```
pub fn group_id(batch: &str) -> String {
    let b = batch.trim_start_matches('0');
    if !b.is_empty() && b.len() <= 15 && b.chars().all(|c| c.is_ascii_digit()) {
        b.to_owned()
    } else {
        (100_000_000 + ids::hash(&[batch.as_bytes()]) % 900_000_000).to_string()
    }
}

fn segment_value(p: &[Piece], l: &JournalLine, j: &Journal, sep: &str) -> String {
    let mut v = String::new();
    for piece in p {
        match piece {
            Piece::Text(t) => v.push_str(t),
            Piece::Account => v.push_str(&l.account),
            Piece::AccountPart(k) => {
                if sep.is_empty() {
                    if *k == 1 {
                        v.push_str(&l.account);
                    }
                } else if let Some(part) = l.account.split(sep).nth(k - 1) {
                    v.push_str(part);
                }
            }
            Piece::Value(src) => v.push_str(&src.get(j, &l.dimensions)),
        }
    }
    v
}

/// `--to oracle-fbdi`.
pub struct FbdiWriter<'w, W: Write> {
    zip: Zip<W>,
    s: Settings,
    warnings: Warnings<'w>,
    buf: Vec<u8>,
    cells: Vec<String>,
    started: bool,
}

impl<'w, W: Write> FbdiWriter<'w, W> {
    /// A writer into `out` with the `[formats.oracle-fbdi]` settings of `rules`.
    pub fn new(out: W, rules: &Rules, warnings: Warnings<'w>) -> Result<Self, SettingsError> {
        Ok(FbdiWriter {
            zip: Zip::new(out),
            s: settings(rules)?,
            warnings,
            buf: Vec::with_capacity(1 << 16),
            cells: Vec::new(),
            started: false,
        })
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.zip.start(ENTRY)?;
        }
        Ok(())
    }
}

fn ymd(d: ledgerline_extract::value::Date) -> String {
    format!("{:04}/{:02}/{:02}", d.year, d.month, d.day)
}

impl<W: Write> Sink for FbdiWriter<'_, W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        self.start()?;
        let s = &self.s;
        let buf = &mut self.buf;
        let cells = &mut self.cells;
        s.common.each_part(j, &mut self.warnings, |j, part, w| {
            let date = ymd(j.date);
            let scale = s.common.precision.scale(j);
            let batch_name = fit(
                Cow::Owned(format!(
                    "{}{}{}",
                    s.common.id_prefix,
                    if s.common.id_prefix.is_empty() {
                        ""
                    } else {
                        "-"
                    },
                    ids::sanitize(&j.batch_id)
                )),
                NAME_MAX,
                NAME,
                &j.id,
                "REFERENCE1",
                w,
            );
            let batch_desc = format!("Concur batch {}", j.batch_id);
            let ext = s.common.external_id(j, part);
            let journal_name = fit(Cow::Borrowed(&ext), NAME_MAX, NAME, &j.id, "REFERENCE4", w);
            let desc = fit(
                Cow::Owned(title(j, part)),
                DESCRIPTION_MAX,
                NAME,
                &j.id,
                "REFERENCE5",
                w,
            );
            let group = s.group_id.clone().unwrap_or_else(|| group_id(&j.batch_id));
            let foreign = s
                .ledger_currency
                .as_deref()
                .is_some_and(|c| c != j.currency);
            // The journal's constant cells are rendered once; each line adds its segments,
            // amount and description between them.
            cells.resize(s.columns, String::new());
            cells.iter_mut().for_each(String::clear);
            let mut set = |p: usize, v: &str| cells[p - 1].push_str(v);
            set(pos::STATUS, "NEW");
            set(pos::LEDGER_ID, &s.ledger_id);
            set(pos::ACCOUNTING_DATE, &date);
            set(pos::SOURCE, &s.source);
            set(pos::CATEGORY, &s.category);
            set(pos::CURRENCY, &j.currency);
            set(pos::DATE_CREATED, &date);
            set(pos::ACTUAL_FLAG, "A");
            set(pos::REFERENCE1, &batch_name);
            set(pos::REFERENCE2, &batch_desc);
            set(pos::REFERENCE4, &journal_name);
            set(pos::REFERENCE5, &desc);
            set(pos::REFERENCE6, &journal_name);
            if foreign {
                set(pos::CONVERSION_TYPE, &s.conversion_type);
                set(pos::CONVERSION_DATE, &date);
            }
            set(pos::GROUP_ID, &group);
            set(pos::LEDGER_NAME, &s.ledger_name);
            if s.end_marker {
                set(s.columns, "END");
            }
            let nseg = s.segments.len();
            let chunk = |from: usize, to: usize| {
                let mut v = Vec::new();
                let mut r = if from == 1 {
                    Row::new(&mut v, s.dialect)
                } else {
                    Row::continued(&mut v, s.dialect)
                };
                for c in &cells[from - 1..to] {
                    r.text(c);
                }
                v
            };
            let head = chunk(1, pos::SEGMENT1 - 1);
            let after_segments = chunk(pos::SEGMENT1 + nseg, pos::ENTERED_DR - 1);
            let after_amounts = chunk(pos::ENTERED_CR + 1, pos::REFERENCE10 - 1);
            let tail = chunk(pos::REFERENCE10 + 1, s.columns);
            for l in &j.lines {
                buf.extend_from_slice(&head);
                let mut r = Row::continued(buf, s.dialect);
                for seg in &s.segments {
                    let v = segment_value(seg, l, j, &s.separator);
                    let v = fit(Cow::Owned(v), SEGMENT_MAX, NAME, &j.id, "SEGMENT", w);
                    r.text(&v);
                }
                buf.extend_from_slice(&after_segments);
                let mut r = Row::continued(buf, s.dialect);
                if l.debit.is_zero() && !l.credit.is_zero() {
                    r.empty(1).raw(&amount(l.credit, scale));
                } else {
                    r.raw(&amount(l.debit, scale)).empty(1);
                }
                buf.extend_from_slice(&after_amounts);
                let line_desc = fit(
                    Cow::Borrowed(&l.memo),
                    DESCRIPTION_MAX,
                    NAME,
                    &j.id,
                    "REFERENCE10",
                    w,
                );
                let mut r = Row::continued(buf, s.dialect);
                r.text(&line_desc);
                buf.extend_from_slice(&tail);
                Row::continued(buf, s.dialect).end();
            }
            Ok(())
        })?;
        self.zip.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.warnings.finish();
        self.zip.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_segment_templates_say_why() {
        let msg = |t: &str| parse_segment(t).unwrap_err().to_string();
        assert_eq!(msg("{account"), "\"{account\": a { is not closed");
        assert_eq!(
            msg("{account:0}"),
            "\"{account:0}\": {account:N} needs N from 1"
        );
        assert_eq!(msg("x{}"), "\"x{}\": empty {}");
        assert_eq!(msg("a}b"), "\"a}b\": a } without {");
        assert_eq!(
            parse_segment("{account:2}-{cost_center}").map(|p| p.len()),
            Ok(3)
        );
    }
}

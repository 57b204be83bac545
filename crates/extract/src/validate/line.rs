//! Checks common to every line of every kind of file: bytes that are not UTF-8, control and
//! tab characters inside values, and the quoting problems the splitter flagged. They look at
//! the raw line only, so they cost one vectorised scan on a clean line.

use super::Out;
use crate::schema::ColumnDef;
use crate::split::{LineFlags, Record};
use ledgerline_findings::{Check, Family, Finding};

/// Whether `raw` holds a byte below 0x20 or 0x7F, scanned in blocks the compiler vectorises.
fn has_control(raw: &[u8]) -> bool {
    let mut chunks = raw.chunks_exact(32);
    for c in &mut chunks {
        if c.iter()
            .fold(false, |acc, &b| acc | (b < 0x20) | (b == 0x7F))
        {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == 0x7F)
}

/// Encoding, control-character and quoting checks common to every line.
pub(super) fn line_checks(
    name: &str,
    rec: &Record<'_>,
    columns: Option<&[ColumnDef]>,
    report: &mut impl Out,
) {
    let raw = rec.raw();
    let pos = rec.position();
    let col_of = |byte: usize| -> Option<(u32, String)> {
        let i = rec
            .fields()
            .position(|f| (f.offset_in_line() as usize + f.raw().len()) >= byte)?;
        let name = columns
            .and_then(|c| c.get(i))
            .map(|d| d.name.to_owned())
            .unwrap_or_else(|| format!("field {}", i + 1));
        Some((i as u32 + 1, name))
    };
    let with_col = |f: Finding, byte: usize| match col_of(byte) {
        Some((n, c)) => f.column(n, c),
        None => f,
    };
    if !raw.is_ascii()
        && let Err(e) = simdutf8::compat::from_utf8(raw)
    {
        let at = e.valid_up_to();
        let f = Finding::new(
            Family::Enc,
            Check::NotUtf8,
            name,
            format!(
                "byte 0x{:02X} is not valid UTF-8; the line is read as Windows-1252 (\"{}\")",
                raw[at],
                crate::text::decode_cp1252(&raw[at.saturating_sub(8)..(at + 8).min(raw.len())])
            ),
        )
        .at(pos);
        report.push(with_col(f, at));
    }
    if has_control(raw) {
        if let Some((at, b)) = crate::text::find_control(raw) {
            let f = Finding::new(
                Family::Enc,
                Check::ControlChar,
                name,
                format!("control character 0x{b:02X} inside a value; it is kept as is"),
            )
            .at(pos);
            report.push(with_col(f, at));
        }
        if let Some(at) = memchr::memchr(b'\t', raw) {
            let f = Finding::new(
                Family::Enc,
                Check::TabChar,
                name,
                "tab character inside a value; it is kept as is",
            )
            .at(pos);
            report.push(with_col(f, at));
        }
    }
    let flags = rec.flags();
    if !flags.is_empty() {
        let mut spl = |check: Check, msg: &str| {
            report.push(Finding::new(Family::Spl, check, name, msg).at(pos));
        };
        if flags.contains(LineFlags::UNTERMINATED_QUOTE) {
            spl(
                Check::UnterminatedQuote,
                "a quoted value opens but never closes on this line; the fields after it cannot be trusted",
            );
        }
        if flags.contains(LineFlags::STRAY_QUOTE_IN_QUOTED) {
            spl(
                Check::StrayQuote,
                "a quote inside a quoted value is not doubled; it is read as a literal quote",
            );
        }
        if flags.contains(LineFlags::QUOTE_AT_FIELD_END) {
            spl(
                Check::QuoteAtFieldEnd,
                "a value ends with a quote that has no opening quote; a value containing the delimiter was probably quoted on one side only",
            );
        }
        if flags.contains(LineFlags::UNTERMINATED_LINE) {
            spl(
                Check::UnterminatedLine,
                "the last line has no line terminator; the file may have been cut off",
            );
        }
    }
}

//! What every ERP writer does with a journal before its own layout: re-check it at the
//! target's precision, split it when it is longer than the target allows, and name each part.

use crate::SettingsError;
use crate::check::{self, CheckError, Precision};
use crate::ids::{self, Part};
use crate::settings::Section;
use crate::split;
use crate::text::Warnings;
use ledgerline_journal::Journal;
use std::io;

/// Settings and limits every ERP writer has.
#[derive(Debug, Clone)]
pub struct Common {
    /// Format name.
    pub format: &'static str,
    /// Prefix of external ids.
    pub id_prefix: String,
    /// Most lines per journal (0: no limit).
    pub max_lines: usize,
    /// Amount precision of the target.
    pub precision: Precision,
}

impl Common {
    /// Reads `id_prefix` and `max_lines` (default `max_default`, at most `max_hard`).
    pub fn read(
        s: &Section<'_>,
        format: &'static str,
        prefix_default: &str,
        max_default: usize,
        max_hard: usize,
        precision: Precision,
    ) -> Result<Common, SettingsError> {
        let id_prefix = s.str_or("id_prefix", prefix_default)?;
        if id_prefix.len() > 12
            || !id_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(s.err("id_prefix", "expected at most 12 letters, digits, - or _"));
        }
        let max_lines = s.int_or("max_lines", max_default, 2, max_hard)?;
        Ok(Common {
            format,
            id_prefix,
            max_lines,
            precision,
        })
    }

    /// Refuses an `id_prefix` that leaves fewer than 8 hash characters in a `len`-character
    /// id.
    pub fn check_short(&self, s: &Section<'_>, len: usize) -> Result<(), SettingsError> {
        if self.id_prefix.len() + 8 > len {
            return Err(s.err(
                "id_prefix",
                format!(
                    "at most {} characters here: the document number has {len} and needs 8 for the hash",
                    len.saturating_sub(8)
                ),
            ));
        }
        Ok(())
    }

    /// The readable external id of a part.
    pub fn external_id(&self, j: &Journal, part: Part) -> String {
        ids::external_id(&self.id_prefix, &j.batch_id, &j.id, part)
    }

    /// A `len`-character id of a part.
    pub fn short_id(&self, j: &Journal, part: Part, len: usize) -> String {
        ids::short_id(&self.id_prefix, &j.batch_id, &j.id, part, len)
    }

    /// Checks `j`, splits it, and calls `f` with each part (checked again).
    pub fn each_part(
        &self,
        j: &Journal,
        warnings: &mut Warnings<'_>,
        mut f: impl FnMut(&Journal, Part, &mut Warnings<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        let j = check::prepare(self.format, j, self.precision, warnings)?;
        let parts = split::split(&j, self.max_lines).map_err(|e| CheckError {
            format: self.format,
            journal: j.id.clone(),
            reason: e.to_string(),
        })?;
        if parts.len() > 1 {
            warnings.warn(
                self.format,
                &j.id,
                None,
                format!(
                    "{} lines, more than the {} this format allows per entry: written as {} balanced parts",
                    j.lines.len(),
                    self.max_lines,
                    parts.len()
                ),
            );
        }
        for p in &parts {
            let pj = if p.part.is_split() {
                check::prepare(self.format, &p.journal, self.precision, warnings)?
            } else {
                std::borrow::Cow::Borrowed(p.journal.as_ref())
            };
            f(&pj, p.part, warnings)?;
        }
        Ok(())
    }
}

/// The journal's title, with `(part n of m)` for a part of a split journal.
pub fn title(j: &Journal, part: Part) -> String {
    if part.is_split() {
        format!("{} (part {} of {})", j.title, part.n, part.of)
    } else {
        j.title.clone()
    }
}

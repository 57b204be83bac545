//! Currency is never dropped: a journal's currency is either written in the file, or checked
//! to be the company's base currency (the one the ERP assumes for a file without one).
//!
//! Writers stream, so whether the file has a currency column is decided up front from the
//! settings: with an optional column (QuickBooks Online, Intacct) `currency` defaults to true
//! unless `base_currency` is set; with `base_currency` set and no column, a journal in another
//! currency is refused. A format that cannot carry a currency at all (IIF, Xero manual
//! journals) needs `base_currency`, and refuses every journal in another currency.

use crate::SettingsError;
use crate::settings::Section;
use ledgerline_journal::Journal;
use std::io;

/// Where a format's journals say their currency, and which currency a file without one means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyPolicy {
    format: &'static str,
    /// The company's base currency (`base_currency`), if configured.
    pub base: Option<String>,
    /// Whether the file has a currency column.
    pub column: bool,
    /// Whether the format can carry a currency column at all.
    pub can_carry: bool,
}

fn base_currency(s: &Section<'_>) -> Result<Option<String>, SettingsError> {
    match s.opt_str("base_currency")? {
        None => Ok(None),
        Some(c) if ledgerline_extract::currency::is_iso_code(c.as_bytes()) => Ok(Some(c)),
        Some(c) => Err(s.err(
            "base_currency",
            format!("`{c}` is not an ISO 4217 currency code (upper case, e.g. \"USD\")"),
        )),
    }
}

impl CurrencyPolicy {
    /// For a format whose currency column is optional: reads `base_currency` and `currency`.
    /// `currency = false` without `base_currency` is refused: the currency would be dropped.
    pub fn optional_column(s: &Section<'_>, format: &'static str) -> Result<Self, SettingsError> {
        let base = base_currency(s)?;
        let column = match s.opt_bool("currency")? {
            Some(c) => c,
            None => base.is_none(),
        };
        if !column && base.is_none() {
            return Err(s.err(
                "currency",
                "false needs base_currency: without a currency column or a base currency, a journal in JPY or EUR would import as that many units of your home currency; set base_currency = \"USD\" (your company's currency) so other currencies are refused, or leave currency on",
            ));
        }
        Ok(CurrencyPolicy {
            format,
            base,
            column,
            can_carry: true,
        })
    }

    /// For a format that cannot carry a currency: `base_currency` is required.
    pub fn no_column(
        s: &Section<'_>,
        format: &'static str,
        why: &str,
    ) -> Result<Self, SettingsError> {
        let Some(base) = base_currency(s)? else {
            return Err(s.err(
                "base_currency",
                format!(
                    "required: {why}, so every journal must be in your company's base currency; set base_currency = \"USD\" (or your organisation's currency) and journals in other currencies are refused instead of importing as that many units of it"
                ),
            ));
        };
        Ok(CurrencyPolicy {
            format,
            base: Some(base),
            column: false,
            can_carry: false,
        })
    }

    /// Refuses a journal whose currency the file would drop: one not in the base currency
    /// when there is no currency column.
    pub fn check(&self, j: &Journal) -> io::Result<()> {
        if self.column || self.base.as_deref() == Some(j.currency.as_str()) {
            return Ok(());
        }
        let base = self.base.as_deref().unwrap_or("?");
        let f = self.format;
        let what = if self.can_carry {
            format!(
                "set formats.{f}.currency = true to write the currency column (a multicurrency company), or formats.{f}.base_currency to the currency of your company"
            )
        } else {
            format!(
                "this format has no currency column; if {base} is not your company's currency, change formats.{f}.base_currency, otherwise post this journal another way"
            )
        };
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{f}: journal {} is in {}, but formats.{f}.base_currency is {base} and the file carries no currency (it would import as {base}): {what}",
                j.id, j.currency
            ),
        ))
    }
}

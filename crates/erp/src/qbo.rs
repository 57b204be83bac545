//! `--to qbo`: QuickBooks Online "Import Data > Journal Entries" CSV (spec:
//! `schemas/erp/qbo.md`). One row per line; rows with the same Journal No. form one entry.

use crate::check::{Precision, amount};
use crate::common::Common;
use crate::currency::CurrencyPolicy;
use crate::settings::{BOM, DateFormat, ID_PREFIX, Section, Setting, ValueSource};
use crate::text::{self, Dialect, Row, Warnings, fit};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Rules};
use std::borrow::Cow;
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "qbo";

/// `--to qbo` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::Qbo,
    description: "QuickBooks Online journal entry import CSV: Journal No. groups an entry, Debits and Credits columns",
    settings: SETTINGS,
};

/// The `[formats.qbo]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    (
        "account_column",
        "what Account Name holds: \"account\" (the account as the rules compose it, e.g. a number; the default, with a warning until you set it) or \"name\" (looked up in account_names; QuickBooks wants names with account numbers turned off)",
    ),
    (
        "account_names",
        "table: account -> QuickBooks account name (Parent:Sub for a sub-account), for account_column = \"name\"; an account missing from it stops the run",
    ),
    (
        "date_format",
        "Journal Date, as your company's region (default \"MM/DD/YYYY\")",
    ),
    (
        "name",
        "where Name (customer/supplier/employee) comes from (default \"\")",
    ),
    (
        "location",
        "where Location comes from (default \"location\")",
    ),
    ("class", "where Class comes from (default \"class\")"),
    (
        "base_currency",
        "your company's home currency: the Currency column is left out (unless currency = true) and a journal in another currency is refused",
    ),
    (
        "currency",
        "write the Currency column (default true, false when base_currency is set; false needs base_currency)",
    ),
    ID_PREFIX,
    (
        "max_lines",
        "lines per entry before it is split (default 0: no limit)",
    ),
    ("delimiter", "\",\" (default) or \";\""),
    ("line_ending", "\"crlf\" (default) or \"lf\""),
    BOM,
];

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

/// How the Account Name column is filled (setting `account_column`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Accounts {
    /// The account as the rules compose it (usually a number); `warn`: the setting was not
    /// given, so the run says what that means for QuickBooks.
    AsComposed { warn: bool },
    /// The QuickBooks account name from `account_names` (account -> name).
    Names(std::collections::HashMap<String, String>),
}

struct Settings {
    common: Common,
    accounts: Accounts,
    date: DateFormat,
    name: ValueSource,
    location: ValueSource,
    class: ValueSource,
    currency: CurrencyPolicy,
    dialect: Dialect,
    bom: bool,
}

fn settings(rules: &Rules) -> Result<Settings, SettingsError> {
    let s = Section::new(NAME, rules, SETTINGS)?;
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
    let names = s.map("account_names", &[])?;
    let accounts = match s.opt_str("account_column")?.as_deref() {
        None | Some("account") if names.is_empty() => Accounts::AsComposed {
            warn: s.opt_str("account_column")?.is_none(),
        },
        None | Some("account") => {
            return Err(s.err(
                "account_names",
                "is only read with account_column = \"name\"",
            ));
        }
        Some("name") => {
            if names.is_empty() {
                return Err(s.err(
                    "account_names",
                    "required with account_column = \"name\": a table of account -> QuickBooks account name (Parent:Sub for a sub-account)",
                ));
            }
            let mut map = std::collections::HashMap::new();
            for (k, v) in names {
                let v = v.trim().to_owned();
                if v.is_empty() || v.chars().any(char::is_control) {
                    return Err(s.err(
                        &format!("account_names.{k}"),
                        "expected a QuickBooks account name",
                    ));
                }
                map.insert(k, v);
            }
            Accounts::Names(map)
        }
        Some(other) => {
            return Err(s.err(
                "account_column",
                format!("expected one of account, name, found \"{other}\""),
            ));
        }
    };
    Ok(Settings {
        common,
        accounts,
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
    warned: bool,
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
            warned: false,
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
        if self.s.accounts == (Accounts::AsComposed { warn: true }) && !self.warned {
            self.warned = true;
            let example = j.lines.first().map(|l| l.account.as_str()).unwrap_or("");
            self.warnings.warn(
                NAME,
                &j.id,
                Some("Account Name"),
                format!(
                    "written as the rules compose the account (\"{example}\"); QuickBooks Online's import matches account names, with account numbers turned off: set formats.qbo.account_column = \"name\" and map each account in formats.qbo.account_names, or account_column = \"account\" if your QuickBooks accounts are named so"
                ),
            );
        }
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
                let account = match &s.accounts {
                    Accounts::AsComposed { .. } => l.account.as_str(),
                    Accounts::Names(names) => match names.get(&l.account) {
                        Some(n) => n.as_str(),
                        None => {
                            return Err(crate::check::CheckError {
                                format: NAME,
                                journal: j.id.clone(),
                                reason: format!(
                                    "Account Name: account \"{}\" has no name in formats.qbo.account_names (account_column = \"name\"); add it",
                                    l.account
                                ),
                            }
                            .into());
                        }
                    },
                };
                let mut r = Row::new(buf, s.dialect);
                r.raw(&number).text(&date).text(account);
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

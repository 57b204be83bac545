//! Currency is never dropped, in any writer: a journal's currency is written in the file, or
//! it is the configured base currency of a file without a currency column, or the writer
//! refuses (naming the journal, its currency and the setting to change). One table over
//! every ERP format and every way of configuring it.

use crate::common;
use ledgerline_erp::{FORMATS, Format, Warnings, create_with};
use ledgerline_extract::value::Date;
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, JournalLine, Kind, Rules};
use rust_decimal::Decimal;
use std::sync::Arc;

/// A balanced journal of 125,880 in `currency`.
fn journal(currency: &str) -> Journal {
    let line = |n: u32, account: &str, debit: bool| JournalLine {
        line: n,
        account: account.into(),
        debit: if debit {
            Decimal::new(125_880, 0)
        } else {
            Decimal::ZERO
        },
        credit: if debit {
            Decimal::ZERO
        } else {
            Decimal::new(125_880, 0)
        },
        kind: if debit {
            Kind::OutOfPocket
        } else {
            Kind::Offset
        },
        counterparty: None,
        memo: "hotel".into(),
        dimensions: Vec::new(),
        source_lines: vec![2],
    };
    Journal {
        id: format!("RPT-{currency}"),
        date: Date::new(2024, 6, 30).unwrap(),
        currency: currency.into(),
        minor_units: 0,
        employee_id: Some("E1".into()),
        employee_name: None,
        report_id: Some(format!("RPT-{currency}")),
        report_key: None,
        title: "Tokyo".into(),
        batch_id: "1".into(),
        source_file: Arc::from("x.txt"),
        lines: vec![line(1, "6200", true), line(2, "2010", false)],
    }
}

/// How a format can say a journal's currency.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Carries {
    /// Always writes the currency.
    Always,
    /// A currency column the settings can leave out (`currency`, `base_currency`).
    Optional,
    /// No currency column at all (`base_currency` required).
    Never,
}

fn carries(f: Format) -> Carries {
    match f {
        Format::Qbo | Format::Intacct => Carries::Optional,
        Format::Iif | Format::Xero => Carries::Never,
        _ => Carries::Always,
    }
}

/// What writing one journal gave.
#[derive(Debug)]
enum Outcome {
    /// The writer could not be created: the setting it named.
    Settings(String),
    /// The writer refused the journal: its message.
    Refused(String),
    /// The file, as readable text.
    Written(String),
}

fn write(format: Format, settings: &str, j: &Journal) -> Outcome {
    let mut section = String::new();
    if format == Format::OracleFbdi {
        section.push_str("ledger_id = 1\n");
    }
    section.push_str(settings);
    let rules = common::with_formats(
        Rules::default(),
        &format!("[\"{}\"]\n{section}", format.name()),
    );
    let mut out = Vec::new();
    {
        let mut sink: Box<dyn Sink + Send + '_> =
            match create_with(format, &mut out, &rules, Warnings::callback(|_| {})) {
                Ok(s) => s,
                Err(e) => return Outcome::Settings(e.to_string()),
            };
        if let Err(e) = sink.write_journal(j) {
            return Outcome::Refused(e.to_string());
        }
        sink.finish().unwrap();
    }
    Outcome::Written(String::from_utf8_lossy(&common::readable(format, &out)).into_owned())
}

/// Whether some cell of the file is exactly `code` (not merely part of an id).
fn has_cell(text: &str, code: &str) -> bool {
    text.split([',', ';', '\t', '|', '\r', '\n', '<', '>', '"'])
        .any(|c| c.trim() == code)
}

#[test]
fn currency_is_never_dropped_by_any_writer() {
    let jpy = journal("JPY");
    let usd = journal("USD");
    let mut failures = Vec::new();
    for f in FORMATS.iter().filter(|f| common::is_erp(f.format)) {
        let (format, name) = (f.format, f.name);
        let knows = |key: &str| f.settings.iter().any(|(k, _)| *k == key);
        let kind = carries(format);
        // The settings descriptions agree with the kind.
        let has_base = knows("base_currency");
        if (kind != Carries::Always) != has_base || (kind == Carries::Optional) != knows("currency")
        {
            failures.push(format!("{name}: settings {:?} for {kind:?}", f.settings));
        }
        let mut check = |settings: &str, j: &Journal, ok: &dyn Fn(&Outcome) -> bool| {
            let got = write(format, settings, j);
            if !ok(&got) {
                failures.push(format!(
                    "{name} [{}] {}: {got:?}",
                    settings.replace('\n', "; "),
                    j.currency
                ));
            }
        };
        let written_with_jpy = |o: &Outcome| matches!(o, Outcome::Written(t) if has_cell(t, "JPY"));
        let refused_naming = |o: &Outcome| {
            matches!(o, Outcome::Refused(m)
                if m.contains("RPT-JPY") && m.contains("JPY")
                    && m.contains(&format!("formats.{name}.base_currency")))
        };
        let settings_error = |key: &'static str| move |o: &Outcome| matches!(o, Outcome::Settings(m) if m.starts_with(&format!("formats.{name}.{key}:")));
        match kind {
            Carries::Always => {
                // Nothing to configure: the currency is in every file.
                check("", &jpy, &written_with_jpy);
                check(
                    "",
                    &usd,
                    &|o| matches!(o, Outcome::Written(t) if has_cell(t, "USD")),
                );
            }
            Carries::Optional => {
                let no_column = |o: &Outcome| {
                    matches!(o, Outcome::Written(t)
                        if !t.to_ascii_uppercase().contains("CURRENCY") && !has_cell(t, "JPY") && !has_cell(t, "USD"))
                };
                // Default: the column is written.
                check("", &jpy, &written_with_jpy);
                // A base currency leaves it out, and refuses the others.
                check("base_currency = \"USD\"\n", &usd, &no_column);
                check("base_currency = \"USD\"\n", &jpy, &refused_naming);
                check("base_currency = \"JPY\"\n", &jpy, &no_column);
                // ... unless the column is asked for.
                check(
                    "base_currency = \"USD\"\ncurrency = true\n",
                    &jpy,
                    &written_with_jpy,
                );
                check(
                    "base_currency = \"USD\"\ncurrency = false\n",
                    &jpy,
                    &refused_naming,
                );
                // No column and no base currency would drop it: refused up front.
                check("currency = false\n", &jpy, &settings_error("currency"));
                check(
                    "base_currency = \"usd\"\n",
                    &jpy,
                    &settings_error("base_currency"),
                );
            }
            Carries::Never => {
                check("", &jpy, &settings_error("base_currency"));
                check("base_currency = \"USD\"\n", &jpy, &refused_naming);
                check("base_currency = \"USD\"\n", &usd, &|o| {
                    matches!(o, Outcome::Written(_))
                });
                check(
                    "base_currency = \"JPY\"\n",
                    &jpy,
                    &|o| matches!(o, Outcome::Written(t) if t.contains("125880")),
                );
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

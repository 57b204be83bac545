//! Helpers shared by the ERP writer tests.

use ledgerline_erp::{Format, Warnings, create_with};
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{Collect, ConvertOptions, convert_reader};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The workspace root (fixtures/ is there).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether `f` is one of the ERP formats (not canonical or plain-text).
pub fn is_erp(f: Format) -> bool {
    !matches!(
        f,
        Format::Jsonl | Format::Csv | Format::Hledger | Format::Beancount
    )
}

/// The rules used for ERP golden files and round trips: the case's rules with the offset
/// and tax accounts an ERP chart would have (the built-in placeholders such as
/// `EMPLOYEE_PAYABLE` are longer than SAP's 10-character G/L account), plus the settings an
/// ERP needs (Oracle's ledger id).
pub fn erp_rules(mut rules: Rules) -> Rules {
    use ledgerline_journal::template::Template;
    let t = |s: &str| Template::parse(s).unwrap();
    rules.employee = t("2010");
    rules.card = t("2150");
    rules.company_paid = t("2160");
    rules.cash_advance_receivable = t("1400");
    rules.bank = t("1000");
    rules.card_clearing = t("2170");
    rules.cash_advance_carry_forward = t("1410");
    rules.tax_authority = t("1500");
    rules.vendor = t("2000");
    for v in rules.tax_accounts.values_mut() {
        if v.len() > 10 {
            *v = "1420".into();
        }
    }
    golden_rules(rules)
}

/// The rules used for golden files: the case's rules plus the settings an ERP needs
/// (Oracle's ledger id; the base currency of the formats that carry none, IIF and Xero).
pub fn golden_rules(mut rules: Rules) -> Rules {
    let extra: toml::Table = toml::from_str(
        r#"
[oracle-fbdi]
ledger_id = 300000001234
[iif]
base_currency = "USD"
[xero]
base_currency = "USD"
"#,
    )
    .unwrap();
    for (k, v) in extra {
        rules.formats.entry(k).or_insert(v);
    }
    rules
}

/// Rules with `[formats.<name>]` parsed from `toml` added.
pub fn with_formats(mut rules: Rules, toml_text: &str) -> Rules {
    let extra: toml::Table = toml::from_str(toml_text).unwrap();
    for (k, v) in extra {
        rules.formats.insert(k, v);
    }
    rules
}

/// File extension of a golden file.
pub fn golden_ext(format: Format) -> &'static str {
    match format {
        Format::Jsonl => "jsonl",
        Format::Csv => "csv",
        Format::Hledger => "journal",
        Format::Beancount => "beancount",
        Format::NetSuite => "netsuite.csv",
        Format::Sap => "sap.csv",
        Format::SapIdoc => "sap-idoc.xml",
        Format::OracleFbdi => "oracle-fbdi.zip.txt",
        Format::D365 => "d365.csv",
        Format::Qbo => "qbo.csv",
        Format::Iif => "iif",
        Format::Xero => "xero.zip.txt",
        Format::Intacct => "intacct.csv",
        Format::Parquet => "parquet.txt",
    }
}

/// The entries of a zip: (name, bytes).
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip2::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut v = Vec::new();
            f.read_to_end(&mut v).unwrap();
            (f.name().to_owned(), v)
        })
        .collect()
}

/// A Parquet file read back through polars.
pub fn read_parquet(bytes: &[u8]) -> polars::prelude::DataFrame {
    use polars::prelude::*;
    ParquetReader::new(std::io::Cursor::new(bytes.to_vec()))
        .finish()
        .unwrap()
}

/// A text view of a written file for golden comparison: the bytes of text formats, the
/// entries of a zip, the rows of a Parquet file.
pub fn readable(format: Format, bytes: &[u8]) -> Vec<u8> {
    match format {
        Format::OracleFbdi | Format::Xero => {
            let mut out = Vec::new();
            for (name, data) in unzip(bytes) {
                out.extend_from_slice(format!("== {name} ==\n").as_bytes());
                out.extend_from_slice(&data);
            }
            out
        }
        Format::Parquet => {
            let df = read_parquet(bytes);
            let mut out = String::new();
            for c in df.columns() {
                out.push_str(&format!("{}: {}\n", c.name(), c.dtype()));
            }
            for i in 0..df.height() {
                let row: Vec<String> = df
                    .columns()
                    .iter()
                    .map(|c| format!("{}", c.get(i).unwrap()))
                    .collect();
                out.push_str(&row.join(" | "));
                out.push('\n');
            }
            out.into_bytes()
        }
        _ => bytes.to_vec(),
    }
}

/// Whether `f` carries no currency, so that it takes journals in its base currency only.
pub fn base_currency_only(f: Format) -> bool {
    matches!(f, Format::Iif | Format::Xero)
}

pub use ledgerline_generate::only_currency;

/// A generated extract.
pub fn generated(reports: u64, seed: u64) -> Vec<u8> {
    let mut extract = Vec::new();
    ledgerline_generate::Generator::new(ledgerline_generate::Options {
        reports,
        seed,
        ..Default::default()
    })
    .write(&mut extract)
    .unwrap();
    extract
}

/// The canonical journals of an extract.
pub fn journals(extract: &[u8], rules: &Arc<Rules>) -> Vec<ledgerline_journal::Journal> {
    let mut c = Collect::default();
    let r = convert_reader(
        "gen.txt",
        extract,
        &ConvertOptions::new(rules.clone()),
        &mut c,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.validation.findings.errors(), 0);
    c.journals
}

/// `extract` converted to `format` (warnings ignored).
pub fn convert(extract: &[u8], format: Format, rules: &Arc<Rules>) -> Vec<u8> {
    convert_warn(extract, format, rules).0
}

/// `extract` converted to `format`, with the warnings.
pub fn convert_warn(extract: &[u8], format: Format, rules: &Arc<Rules>) -> (Vec<u8>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    {
        let mut sink = create_with(
            format,
            &mut out,
            rules,
            Warnings::callback(|w| warnings.push(w.to_string())),
        )
        .unwrap();
        let r = convert_reader(
            "gen.txt",
            extract,
            &ConvertOptions::new(rules.clone()),
            sink.as_mut(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(r.validation.findings.errors(), 0);
        sink.finish().unwrap();
    }
    (out, warnings)
}

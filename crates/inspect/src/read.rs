//! Canonical journal files in: `--to jsonl`, `--to csv` and Parquet, recognised by their
//! content (a JSON object per line, the canonical CSV header, the `PAR1` signature).

use crate::error::{InspectError, Malformed};
use crate::inspector::{Inspector, LineRef};
use ledgerline_findings::{Check, Family, Finding, Subject};
use ledgerline_guard::accounts::{Accounts, extract_lines};
use ledgerline_guard::csvfile::{CsvError, Reader};
use ledgerline_journal::Kind;
use polars::prelude::*;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::io::BufRead;

/// A canonical journal file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canonical {
    /// One JSON object per line.
    Jsonl,
    /// CSV with the canonical header.
    Csv,
    /// Apache Parquet with the canonical columns.
    Parquet,
}

/// What `prefix` (the first bytes of a stream) is, if a canonical journal file.
pub fn sniff(prefix: &[u8]) -> Option<Canonical> {
    if prefix.starts_with(b"PAR1") {
        return Some(Canonical::Parquet);
    }
    let p = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let start = p.iter().position(|b| !b.is_ascii_whitespace())?;
    let p = &p[start..];
    // FIS documents are JSON too: told apart by their keys (`journal_id` is canonical).
    if p.starts_with(b"{") && !ledgerline_fis::is_fis(p) {
        return Some(Canonical::Jsonl);
    }
    let first = p.split(|b| *b == b'\n').next().unwrap_or(p);
    let header = String::from_utf8_lossy(first);
    let names: Vec<&str> = header.trim_end().split(',').map(str::trim).collect();
    (["journal_id", "account", "debit", "credit"]
        .iter()
        .all(|n| names.contains(n)))
    .then_some(Canonical::Csv)
}

#[derive(Deserialize)]
struct JsonSource {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    lines: Vec<u64>,
}

#[derive(Deserialize)]
struct JsonLine {
    journal_id: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    line: Option<u32>,
    account: String,
    debit: serde_json::Value,
    credit: serde_json::Value,
    currency: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    counterparty: Option<String>,
    #[serde(default)]
    employee_id: Option<String>,
    #[serde(default)]
    employee_name: Option<String>,
    #[serde(default)]
    report_id: Option<String>,
    #[serde(default)]
    report_key: Option<String>,
    #[serde(default)]
    memo: Option<String>,
    #[serde(default)]
    dimensions: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    source: Option<JsonSource>,
}

fn amount(v: &serde_json::Value) -> Result<Decimal, Malformed> {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Null => return Ok(Decimal::ZERO),
        other => return Err(Malformed::AmountNotNumber(other.clone())),
    };
    parse_amount(&s)
}

fn parse_amount(s: &str) -> Result<Decimal, Malformed> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(Decimal::ZERO);
    }
    t.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| Malformed::Amount(t.to_owned()))
}

/// The kind named in a canonical file: `None` when the file gives none, an error for a name
/// no kind has (a kind renamed since the file was written would otherwise drop out of the
/// expense, cash-advance and due-to views without a word).
fn kind_of(name: Option<&str>) -> Result<Option<Kind>, Malformed> {
    match name.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Kind::parse(s)
            .map(Some)
            .ok_or_else(|| Malformed::UnknownKind(s.to_owned())),
    }
}

fn dims_of(map: Option<serde_json::Map<String, serde_json::Value>>) -> Vec<(String, String)> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect()
}

type Push<'p> = &'p mut dyn FnMut(&LineRef<'_>) -> Result<(), InspectError>;

/// What reading a canonical file gave.
#[derive(Debug, Default)]
pub struct CanonicalReport {
    /// Journal lines read.
    pub lines: u64,
    /// Accounts-file findings (JNL206, JNL207), when a chart was given.
    pub findings: Vec<Finding>,
}

/// Reads a canonical journal file of `format` from `input` into `into`; `name` is the
/// file's display name (used when a line does not name its extract). With `accounts`, every
/// line is also checked against the ERP's chart (the findings name the extract lines the
/// canonical line records).
pub fn read_canonical(
    name: &str,
    format: Canonical,
    input: &mut dyn BufRead,
    into: &mut Inspector,
    accounts: Option<&Accounts>,
) -> Result<CanonicalReport, InspectError> {
    let mut findings = Vec::new();
    let mut push = |l: &LineRef<'_>| -> Result<(), InspectError> {
        if let Some(chart) = accounts {
            findings.extend(check_line(chart, l));
        }
        into.push_line(l)
    };
    let lines = match format {
        Canonical::Jsonl => read_jsonl(name, input, &mut push)?,
        Canonical::Csv => read_csv(name, input, &mut push)?,
        Canonical::Parquet => {
            let mut bytes = Vec::new();
            input
                .read_to_end(&mut bytes)
                .map_err(|source| InspectError::Io {
                    file: name.to_owned(),
                    source,
                })?;
            read_parquet(name, bytes, &mut push)?
        }
    };
    Ok(CanonicalReport { lines, findings })
}

/// The chart's findings about one canonical line.
fn check_line(chart: &Accounts, l: &LineRef<'_>) -> Vec<Finding> {
    let problems: Vec<(Check, String)> = if !chart.knows(l.account) {
        vec![(
            Check::UnknownAccount,
            format!("account {} is not in {}", l.account, chart.name()),
        )]
    } else {
        l.dimensions
            .iter()
            .filter(|(d, v)| !chart.accepts(l.account, d, v))
            .map(|(d, v)| {
                (
                    Check::UnknownDimensionValue,
                    format!(
                        "{d} {v} is not accepted for account {} in {}",
                        l.account,
                        chart.name()
                    ),
                )
            })
            .collect()
    };
    problems
        .into_iter()
        .map(|(check, what)| {
            let mut f = Finding::new(
                Family::Journal,
                check,
                l.source_file,
                format!(
                    "{what} (journal {} line {}, {}; {})",
                    l.journal_id,
                    l.line,
                    l.kind.map_or("", Kind::as_str),
                    extract_lines(l.source_lines)
                ),
            );
            f.line = l.source_lines.first().copied();
            let signed = if l.debit.is_zero() {
                -l.credit
            } else {
                l.debit
            };
            f.about(Subject {
                journal_id: Some(l.journal_id.to_owned()),
                employee_id: l.employee_id.map(str::to_owned),
                amount: Some(signed.to_string()),
                currency: Some(l.currency.to_owned()),
            })
        })
        .collect()
}

fn read_jsonl(name: &str, input: &mut dyn BufRead, push: Push<'_>) -> Result<u64, InspectError> {
    let mut buf = Vec::new();
    let mut n = 0u64;
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let got = input
            .read_until(b'\n', &mut buf)
            .map_err(|source| InspectError::Io {
                file: name.to_owned(),
                source,
            })?;
        if got == 0 {
            break;
        }
        line_no += 1;
        let text = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&buf);
        if text.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let bad = |problem: Malformed| InspectError::Canonical {
            file: name.to_owned(),
            line: line_no,
            problem,
        };
        let l: JsonLine = serde_json::from_slice(text).map_err(|e| bad(Malformed::Json(e)))?;
        let debit = amount(&l.debit).map_err(bad)?;
        let credit = amount(&l.credit).map_err(bad)?;
        let dims = dims_of(l.dimensions);
        let (file, lines) = match l.source {
            Some(s) => (s.file.unwrap_or_else(|| name.to_owned()), s.lines),
            None => (name.to_owned(), Vec::new()),
        };
        push(&LineRef {
            journal_id: &l.journal_id,
            date: l.date.as_deref().unwrap_or(""),
            line: l.line.unwrap_or(0),
            account: &l.account,
            debit,
            credit,
            currency: &l.currency,
            kind: kind_of(l.kind.as_deref()).map_err(bad)?,
            counterparty: l.counterparty.as_deref(),
            employee_id: l.employee_id.as_deref(),
            employee_name: l.employee_name.as_deref(),
            report_id: l.report_id.as_deref(),
            report_key: l.report_key.as_deref(),
            memo: l.memo.as_deref().unwrap_or(""),
            dimensions: &dims,
            source_file: &file,
            source_lines: &lines,
        })?;
        n += 1;
    }
    Ok(n)
}

fn read_csv(name: &str, input: &mut dyn BufRead, push: Push<'_>) -> Result<u64, InspectError> {
    let mut r = Reader::new(input);
    let csv_err = |e: CsvError| InspectError::Canonical {
        file: name.to_owned(),
        line: 0,
        problem: Malformed::Csv(e),
    };
    let Some(header) = r.next_record().map_err(csv_err)? else {
        return Ok(0);
    };
    let col = |n: &str| header.fields.iter().position(|f| f.trim() == n);
    let need = |n: &'static str| {
        col(n).ok_or_else(|| InspectError::Canonical {
            file: name.to_owned(),
            line: 1,
            problem: Malformed::MissingHeaderColumn(n),
        })
    };
    let (c_journal, c_account, c_debit, c_credit, c_currency) = (
        need("journal_id")?,
        need("account")?,
        need("debit")?,
        need("credit")?,
        need("currency")?,
    );
    let opt = [
        "date",
        "line",
        "kind",
        "counterparty",
        "employee_id",
        "report_id",
        "report_key",
        "memo",
        "dimensions",
        "source_file",
        "source_lines",
        "employee_name",
    ]
    .map(col);
    let [
        c_date,
        c_line,
        c_kind,
        c_cp,
        c_emp,
        c_rep,
        c_key,
        c_memo,
        c_dims,
        c_file,
        c_lines,
        c_name,
    ] = opt;
    let mut n = 0u64;
    while let Some(rec) = r.next_record().map_err(csv_err)? {
        if rec.fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|i| rec.fields.get(i)).map(String::as_str);
        let some = |c: Option<usize>| get(c).filter(|s| !s.is_empty());
        let bad = |problem: Malformed| InspectError::Canonical {
            file: name.to_owned(),
            line: rec.line,
            problem,
        };
        let debit = parse_amount(get(Some(c_debit)).unwrap_or("")).map_err(bad)?;
        let credit = parse_amount(get(Some(c_credit)).unwrap_or("")).map_err(bad)?;
        let dims = match some(c_dims) {
            Some(j) => {
                let m: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(j).map_err(|e| bad(Malformed::Dimensions(e)))?;
                dims_of(Some(m))
            }
            None => Vec::new(),
        };
        let lines: Vec<u64> = some(c_lines)
            .unwrap_or("")
            .split_whitespace()
            .map(|s| {
                s.parse::<u64>()
                    .map_err(|_| bad(Malformed::SourceLine(s.to_owned())))
            })
            .collect::<Result<_, _>>()?;
        let line = match some(c_line) {
            Some(s) => s
                .parse::<u32>()
                .map_err(|_| bad(Malformed::LineNumber(s.to_owned())))?,
            None => 0,
        };
        push(&LineRef {
            journal_id: get(Some(c_journal)).unwrap_or(""),
            date: get(c_date).unwrap_or(""),
            line,
            account: get(Some(c_account)).unwrap_or(""),
            debit,
            credit,
            currency: get(Some(c_currency)).unwrap_or(""),
            kind: kind_of(get(c_kind)).map_err(bad)?,
            counterparty: some(c_cp),
            employee_id: some(c_emp),
            employee_name: some(c_name),
            report_id: some(c_rep),
            report_key: some(c_key),
            memo: get(c_memo).unwrap_or(""),
            dimensions: &dims,
            source_file: some(c_file).unwrap_or(name),
            source_lines: &lines,
        })?;
        n += 1;
    }
    Ok(n)
}

/// A Parquet column read as optional strings (numbers and decimals are cast to text).
fn text_column(
    df: &DataFrame,
    name: &str,
    file: &str,
) -> Result<Option<Vec<Option<String>>>, InspectError> {
    let Ok(col) = df.column(name) else {
        return Ok(None);
    };
    if let DataType::List(_) = col.dtype() {
        let lists = col
            .list()
            .map_err(InspectError::polars(&format!("{file}: column {name}")))?;
        let mut out = Vec::with_capacity(lists.len());
        for i in 0..lists.len() {
            let text = match lists.get_as_series(i) {
                None => None,
                Some(s) => {
                    let s = s
                        .cast(&DataType::String)
                        .map_err(InspectError::polars(&format!("{file}: column {name}")))?;
                    let ca = s
                        .str()
                        .map_err(InspectError::polars(&format!("{file}: column {name}")))?;
                    Some(ca.iter().flatten().collect::<Vec<_>>().join(" "))
                }
            };
            out.push(text);
        }
        return Ok(Some(out));
    }
    let cast = col
        .cast(&DataType::String)
        .map_err(InspectError::polars(&format!("{file}: column {name}")))?;
    let ca = cast
        .str()
        .map_err(InspectError::polars(&format!("{file}: column {name}")))?;
    Ok(Some(ca.iter().map(|v| v.map(str::to_owned)).collect()))
}

/// Reads canonical journal lines from the Parquet file `bytes`.
fn read_parquet(name: &str, bytes: Vec<u8>, push: Push<'_>) -> Result<u64, InspectError> {
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(InspectError::polars(&format!("{name}: reading Parquet")))?;
    let need = |n: &'static str| -> Result<Vec<Option<String>>, InspectError> {
        text_column(&df, n, name)?.ok_or_else(|| InspectError::Canonical {
            file: name.to_owned(),
            line: 0,
            problem: Malformed::MissingColumn(n),
        })
    };
    let journal = need("journal_id")?;
    let account = need("account")?;
    let debit = need("debit")?;
    let credit = need("credit")?;
    let currency = need("currency")?;
    let h = df.height();
    let opt = |n: &str| -> Result<Vec<Option<String>>, InspectError> {
        Ok(text_column(&df, n, name)?.unwrap_or_else(|| vec![None; h]))
    };
    let date = opt("date")?;
    let line = opt("line")?;
    let kind = opt("kind")?;
    let cp = opt("counterparty")?;
    let emp = opt("employee_id")?;
    let rep = opt("report_id")?;
    let key = opt("report_key")?;
    let memo = opt("memo")?;
    let dims = opt("dimensions")?;
    let file = opt("source_file")?;
    let lines = opt("source_lines")?;
    let s = |v: &[Option<String>], i: usize| v.get(i).cloned().flatten();
    for i in 0..h {
        let bad = |problem: Malformed| InspectError::Canonical {
            file: name.to_owned(),
            line: (i + 1) as u64,
            problem: Malformed::Row {
                row: (i + 1) as u64,
                problem: Box::new(problem),
            },
        };
        let d = parse_amount(&s(&debit, i).unwrap_or_default()).map_err(bad)?;
        let c = parse_amount(&s(&credit, i).unwrap_or_default()).map_err(bad)?;
        let dim = match s(&dims, i).filter(|t| !t.is_empty()) {
            Some(j) => dims_of(Some(
                serde_json::from_str(&j).map_err(|e| bad(Malformed::Dimensions(e)))?,
            )),
            None => Vec::new(),
        };
        let src: Vec<u64> = s(&lines, i)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        let (jid, acc, cur) = (s(&journal, i), s(&account, i), s(&currency, i));
        let (dt, k, cpv, e, r, rk, m, f) = (
            s(&date, i),
            s(&kind, i),
            s(&cp, i),
            s(&emp, i),
            s(&rep, i),
            s(&key, i),
            s(&memo, i),
            s(&file, i),
        );
        push(&LineRef {
            journal_id: jid.as_deref().unwrap_or(""),
            date: dt.as_deref().unwrap_or(""),
            line: s(&line, i).and_then(|t| t.parse().ok()).unwrap_or(0),
            account: acc.as_deref().unwrap_or(""),
            debit: d,
            credit: c,
            currency: cur.as_deref().unwrap_or(""),
            kind: kind_of(k.as_deref()).map_err(bad)?,
            counterparty: cpv.as_deref().filter(|t| !t.is_empty()),
            employee_id: e.as_deref().filter(|t| !t.is_empty()),
            employee_name: None,
            report_id: r.as_deref().filter(|t| !t.is_empty()),
            report_key: rk.as_deref().filter(|t| !t.is_empty()),
            memo: m.as_deref().unwrap_or(""),
            dimensions: &dim,
            source_file: f.as_deref().filter(|t| !t.is_empty()).unwrap_or(name),
            source_lines: &src,
        })?;
    }
    Ok(h as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"PAR1\x15\x04"), Some(Canonical::Parquet));
        assert_eq!(
            sniff(b"\xEF\xBB\xBF {\"journal_id\":1}"),
            Some(Canonical::Jsonl)
        );
        assert_eq!(
            sniff(b"journal_id,date,line,account,debit,credit,currency\r\nX"),
            Some(Canonical::Csv)
        );
        assert_eq!(sniff(b"EXTRACT|2019-06-30|1|2|3\n"), None);
        assert_eq!(sniff(b""), None);
    }

    fn read_err(name: &str, text: &str) -> String {
        let mut inspector = Inspector::new(crate::inspector::Options::default());
        let format = sniff(text.as_bytes()).unwrap();
        read_canonical(name, format, &mut text.as_bytes(), &mut inspector, None)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn malformed_files_say_where_and_what() {
        let line = |debit: &str| {
            format!(
                "{{\"journal_id\":\"J\",\"line\":3,\"account\":\"A\",\"debit\":{debit},\"credit\":0,\"currency\":\"USD\"}}\n"
            )
        };
        assert_eq!(
            read_err("f.jsonl", &format!("{}\n{}", line("1"), line("\"x\""))),
            "f.jsonl:3: amount \"x\" is not a decimal number"
        );
        assert_eq!(
            read_err("f.jsonl", &line("true")),
            "f.jsonl:1: amount true is not a number"
        );
        assert!(
            read_err("f.jsonl", "{\"journal_id\":1}\n").starts_with("f.jsonl:1: invalid type"),
            "serde's own words"
        );
        assert_eq!(
            read_err("f.jsonl", &line("\"0.00001\"")),
            "f.jsonl:0: journal J line 3: debit has more than 4 decimal places or is too large"
        );
        // A kind no journal line has (renamed since the file was written, or misspelt) is
        // refused: it would drop out of the expense, cash-advance and due-to views unseen.
        let kinded = |kind: &str| {
            format!(
                "{{\"journal_id\":\"J\",\"line\":1,\"account\":\"A\",\"debit\":1,\"credit\":0,\"currency\":\"USD\",\"kind\":\"{kind}\"}}\n"
            )
        };
        assert!(
            read_err("f.jsonl", &format!("{}{}", kinded("offset"), kinded("cash_advance")))
                .starts_with("f.jsonl:2: kind \"cash_advance\" is not a journal line kind (one of out_of_pocket, "),
        );
        assert!(
            read_err(
                "f.csv",
                "journal_id,account,debit,credit,currency,kind\nJ,A,1,0,USD,Offset\n"
            )
            .starts_with("f.csv:2: kind \"Offset\" is not a journal line kind"),
        );
        let header = "journal_id,line,account,debit,credit,currency,dimensions,source_lines\n";
        assert_eq!(
            read_err("f.csv", "journal_id,account,debit,credit\nJ,A,1,0\n"),
            "f.csv:1: no currency column in the header"
        );
        assert_eq!(
            read_err("f.csv", &format!("{header}J,x,A,1,0,USD,,\n")),
            "f.csv:2: line \"x\" is not a number"
        );
        assert_eq!(
            read_err("f.csv", &format!("{header}\nJ,1,A,1,0,USD,,4 y\n")),
            "f.csv:3: source line \"y\" is not a number"
        );
        assert!(
            read_err("f.csv", &format!("{header}J,1,A,1,0,USD,{{x,\n"))
                .starts_with("f.csv:2: dimensions: "),
        );
        assert_eq!(
            read_err("f.csv", &format!("{header}J,1,A,1,0,USD,\"{{\n")),
            "f.csv:0: line 2: quoted value not closed before the end of the file"
        );
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("12.50").unwrap(), Decimal::new(1250, 2));
        assert_eq!(parse_amount("").unwrap(), Decimal::ZERO);
        assert!(parse_amount("x").is_err());
        assert_eq!(
            amount(&serde_json::json!(3.25)).unwrap(),
            Decimal::new(325, 2)
        );
    }
}

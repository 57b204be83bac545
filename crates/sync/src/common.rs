//! What vendors, purchase orders and receipts share: field maps resolved against the
//! input's columns (a column, or `=text` for a constant), value checks (ISO codes,
//! decimals, `YYYY-MM-DD` dates), the comparison of what would be sent with what Concur
//! holds, and the bookkeeping of outcomes in the report and the run ledger.

use crate::input::{Row, Table};
use crate::mapping::FieldMap;
use crate::record::{RecordRow, Records};
use crate::report::{Action, Change, Outcome, Report, Status};
use ledgerline_findings::{Check, Family, Finding, Position};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Src {
    /// A column (0-based).
    Col(usize),
    /// A constant.
    Const(String),
}

/// Resolved fields, in the map's order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(pub Vec<(String, Src)>);

impl Fields {
    /// Resolves `map` plus the `required` fields the map does not name (their column is
    /// `default(field)`); a column the input lacks is a `SYN308` finding.
    pub fn resolve(
        table: &Table,
        map: &FieldMap,
        required: &[&str],
        default: impl Fn(&str) -> String,
        section: &str,
        findings: &mut Vec<Finding>,
    ) -> Fields {
        let mut specs: Vec<(String, String)> =
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for r in required {
            if !map.contains_key(*r) {
                specs.push(((*r).to_owned(), default(r)));
            }
        }
        let mut out = Vec::new();
        for (field, spec) in specs {
            if let Some(c) = spec.strip_prefix('=') {
                out.push((field, Src::Const(c.to_owned())));
                continue;
            }
            match table.column(&spec) {
                Some(i) => out.push((field, Src::Col(i))),
                None => findings.push(Finding::new(
                    Family::Sync,
                    Check::SyncMissingColumn,
                    &table.file,
                    format!(
                        "no column {spec:?} for {field} (the mapping's [sync.{section}]); the columns are: {}",
                        table.headers.join(", ")
                    ),
                )),
            }
        }
        Fields(out)
    }

    /// Whether `field` is mapped.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    /// The value of `field` on `row` (empty when unmapped).
    pub fn get<'r>(&'r self, row: &'r Row, field: &str) -> &'r str {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, s)| value(row, s))
    }

    /// The column of `field` (1-based number and name) for a finding.
    pub fn column(&self, table: &Table, field: &str) -> Option<(u32, String)> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .and_then(|(_, s)| match s {
                Src::Col(i) => Some((*i as u32 + 1, table.headers[*i].clone())),
                Src::Const(_) => None,
            })
    }

    /// Every mapped field of `row` as a JSON object of strings.
    pub fn object(&self, row: &Row) -> Map<String, Value> {
        self.0
            .iter()
            .map(|(f, s)| (f.clone(), Value::String(value(row, s).to_owned())))
            .collect()
    }
}

fn value<'r>(row: &'r Row, s: &'r Src) -> &'r str {
    match s {
        Src::Col(i) => row.cells.get(*i).map(String::as_str).unwrap_or(""),
        Src::Const(c) => c.as_str(),
    }
}

/// A finding about `field` of `row`.
pub(crate) fn at(
    table: &Table,
    fields: &Fields,
    row: &Row,
    field: &str,
    check: Check,
    message: String,
) -> Finding {
    let f = Finding::new(Family::Sync, check, &table.file, message).at(Position {
        line: row.line,
        byte: 0,
    });
    match fields.column(table, field) {
        Some((n, name)) => f.column(n, name),
        None => f,
    }
}

/// Two letters, upper case (ISO 3166-1 alpha-2).
pub(crate) fn is_country(s: &str) -> bool {
    s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase())
}

/// Three letters, upper case (ISO 4217).
pub(crate) fn is_currency(s: &str) -> bool {
    s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase())
}

/// `YYYY-MM-DD` with a plausible month and day.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    match (digits(0..4), digits(5..7), digits(8..10)) {
        (Some(_), Some(m), Some(d)) => (1..=12).contains(&m) && (1..=31).contains(&d),
        _ => false,
    }
}

/// A plain decimal (`-12.50`; no thousands separators, no currency sign).
pub(crate) fn decimal(s: &str) -> Option<Decimal> {
    if s.is_empty() || s.contains(['e', 'E']) {
        return None;
    }
    Decimal::from_str(s).ok()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Whether Concur's `held` already says everything `sent` says: every field sent is there
/// with the same value (numbers compared as decimals, an empty value matches an absent
/// one); arrays match element by element, by `ExternalID` when the elements have one.
pub fn covers(sent: &Value, held: &Value) -> bool {
    match (sent, held) {
        (Value::Object(s), Value::Object(h)) => s.iter().all(|(k, v)| match h.get(k) {
            Some(hv) => covers(v, hv),
            None => empty(v),
        }),
        (Value::Object(s), Value::Null) => s.values().all(empty),
        (Value::Array(s), Value::Array(h)) => {
            s.len() == h.len()
                && s.iter()
                    .enumerate()
                    .all(|(i, x)| match x.get("ExternalID").map(scalar) {
                        Some(id) => h
                            .iter()
                            .find(|y| y.get("ExternalID").map(scalar).as_deref() == Some(&id))
                            .is_some_and(|y| covers(x, y)),
                        None => covers(x, &h[i]),
                    })
        }
        (Value::Array(s), Value::Null) => s.is_empty(),
        (a, b) => {
            let (a, b) = (scalar(a), scalar(b));
            a == b
                || matches!((decimal(&a), decimal(&b)), (Some(x), Some(y)) if x == y)
                || a.eq_ignore_ascii_case(&b)
                    && matches!(
                        a.to_ascii_lowercase().as_str(),
                        "y" | "n" | "true" | "false"
                    )
        }
    }
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(empty),
        _ => false,
    }
}

/// The fields of `sent` that `held` does not already say, for a plan line.
pub(crate) fn differing(sent: &Value, held: &Value) -> String {
    let mut out = Vec::new();
    if let (Value::Object(s), Value::Object(h)) = (sent, held) {
        for (k, v) in s {
            if !h.get(k).map_or(empty(v), |hv| covers(v, hv)) {
                out.push(k.clone());
            }
        }
    }
    if out.is_empty() {
        "changed".into()
    } else {
        format!("changed: {}", out.join(", "))
    }
}

/// The status a successful call gives.
pub(crate) fn done(a: Action) -> Status {
    match a {
        Action::Create => Status::Created,
        Action::Update => Status::Updated,
        Action::Deactivate => Status::Deactivated,
        Action::Reactivate => Status::Reactivated,
    }
}

/// Records one outcome in the report and in `rows` (for the run ledger).
pub(crate) fn settle(
    report: &mut Report,
    rows: &mut Vec<RecordRow>,
    change: &Change,
    hash: Option<String>,
    status: Status,
    code: Option<String>,
    message: Option<String>,
) {
    rows.push(RecordRow {
        key: change.key.clone(),
        status: status.ledger_word().into(),
        sent_sha256: hash,
        error_code: if status == Status::Failed {
            code.clone()
        } else {
            None
        },
        error_message: if status == Status::Failed {
            message.clone()
        } else {
            None
        },
        line: change.line,
    });
    report.outcomes.push(Outcome {
        key: change.key.clone(),
        line: change.line,
        action: change.action,
        status,
        code,
        message,
    });
}

/// The `pending` row of a change about to be sent.
pub(crate) fn pending(change: &Change, hash: &str) -> RecordRow {
    RecordRow {
        key: change.key.clone(),
        status: "pending".into(),
        sent_sha256: Some(hash.to_owned()),
        error_code: None,
        error_message: None,
        line: change.line,
    }
}

/// The run stopped on `why` while `inflight` was out: those are unknown (`pending` in the
/// ledger), and the changes after them were never sent.
pub(crate) fn stopped(report: &mut Report, why: String, inflight: &[&Change], unsent: &[Change]) {
    report.interrupted = Some(why);
    for c in inflight {
        report.outcomes.push(Outcome {
            key: c.key.clone(),
            line: c.line,
            action: c.action,
            status: Status::Unknown,
            code: None,
            message: None,
        });
    }
    for c in unsent {
        report.outcomes.push(Outcome {
            key: c.key.clone(),
            line: c.line,
            action: c.action,
            status: Status::Unknown,
            code: None,
            message: Some("not sent: the run stopped before".into()),
        });
    }
}

/// A `SYN311` finding for every failed outcome.
pub(crate) fn rejected(report: &mut Report, what: &str) {
    let mut out = Vec::new();
    for o in &report.outcomes {
        if o.status == Status::Failed {
            let mut f = Finding::new(
                Family::Sync,
                Check::SyncRejected,
                &report.input,
                format!(
                    "{what} `{}`: Concur answered {}: {}",
                    o.key,
                    o.code.as_deref().unwrap_or("(no code)"),
                    o.message.as_deref().unwrap_or("")
                ),
            );
            if let Some(line) = o.line {
                f = f.at(Position { line, byte: 0 });
            }
            out.push(f);
        }
    }
    report.findings.extend(out);
}

/// Records the unchanged keys and closes the run row.
pub(crate) fn finish(
    records: &mut Records<'_>,
    report: &Report,
    unchanged: &[(String, u64)],
) -> crate::Result<()> {
    let rows: Vec<RecordRow> = unchanged
        .iter()
        .map(|(k, line)| RecordRow {
            key: k.clone(),
            status: "unchanged".into(),
            sent_sha256: None,
            error_code: None,
            error_message: None,
            line: Some(*line),
        })
        .collect();
    records.put(&rows)?;
    records.finish(&serde_json::json!({
        "plan": report.plan,
        "created": report.count(Status::Created),
        "updated": report.count(Status::Updated),
        "deactivated": report.count(Status::Deactivated),
        "failed": report.count(Status::Failed),
        "interrupted": report.interrupted,
    }))
}

/// A finding for a row whose key is already given on an earlier line.
pub(crate) fn duplicate(
    table: &Table,
    fields: &Fields,
    row: &Row,
    field: &str,
    key: &str,
    first: u64,
) -> Finding {
    at(
        table,
        fields,
        row,
        field,
        Check::SyncDuplicateKey,
        format!("`{key}` is already given on line {first}; only the first is sent"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn covers_compares_what_is_sent() {
        let held = json!({"A": "1.50", "B": "x", "L": [{"ExternalID": "2", "Q": "1"}, {"ExternalID": "1", "Q": "3"}], "Extra": "y"});
        assert!(covers(&json!({"A": "1.5", "B": "x"}), &held));
        assert!(covers(&json!({"C": ""}), &held));
        assert!(!covers(&json!({"B": "z"}), &held));
        assert!(covers(
            &json!({"L": [{"ExternalID": "1", "Q": "3"}, {"ExternalID": "2", "Q": "1.0"}]}),
            &held
        ));
        assert!(!covers(
            &json!({"L": [{"ExternalID": "1", "Q": "3"}]}),
            &held
        ));
        assert!(!covers(
            &json!({"L": [{"ExternalID": "1", "Q": "4"}, {"ExternalID": "2", "Q": "1"}]}),
            &held
        ));
    }

    #[test]
    fn value_checks() {
        assert!(is_date("2026-12-01") && !is_date("2026-13-01") && !is_date("01/12/2026"));
        assert!(
            decimal("-12.50").is_some()
                && decimal("1,200.00").is_none()
                && decimal("1e3").is_none()
        );
        assert!(
            is_country("US") && !is_country("USA") && is_currency("EUR") && !is_currency("eur")
        );
    }
}

//! Invoice vendors (Vendor v3.1): one input row per vendor address, keyed by VendorCode +
//! AddressCode, checked before anything is sent (both keys, v3.1's required CountryCode
//! and CurrencyCode as ISO codes, one row per key); Concur's vendors read whole (`limit`
//! 1000, every `NextPage`); the diff is the plan; `--apply` POSTs creations and PUTs updates
//! in VendorCollection calls, reading each record's `StatusList` even on HTTP 200, and
//! `--delete-missing` DELETEs what the export lost.

use crate::Options;
use crate::common::{self, Fields, at, covers, settle};
use crate::concur::{Api, encode};
use crate::error::Result;
use crate::input::Table;
use crate::mapping::{Mapping, VendorMap};
use crate::record::{RecordRow, Records, sent_hash};
use crate::report::{Action, Change, Report, Status};
use ledgerline_fetch::Replay;
use ledgerline_findings::{Check, Finding};
use ledgerline_ledger::Ledger;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;

/// The Vendor v3.1 path.
pub const PATH: &str = "/api/v3.1/invoice/vendors";
/// Vendors per POST/PUT unless the mapping says otherwise.
pub const BATCH: usize = 100;
/// Vendors per GET page (Concur's maximum).
pub const PAGE: usize = 1000;

const REQUIRED: [&str; 4] = ["VendorCode", "AddressCode", "CountryCode", "CurrencyCode"];

/// One vendor address the export asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    /// `VendorCode / AddressCode`.
    pub key: String,
    /// The input line.
    pub line: u64,
    /// The record as sent.
    pub body: Value,
}

/// The ledger and display key of a vendor address.
pub fn key(code: &str, address: &str) -> String {
    format!("{code} / {address}")
}

/// The export read into vendor records, with the findings about its rows.
pub fn wanted(table: &Table, map: &VendorMap) -> (Vec<Wanted>, Vec<Finding>) {
    let mut findings = Vec::new();
    let fields = Fields::resolve(
        table,
        &map.fields,
        &REQUIRED,
        str::to_owned,
        "vendors",
        &mut findings,
    );
    if !findings.is_empty() {
        return (Vec::new(), findings);
    }
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    'rows: for row in &table.rows {
        for f in REQUIRED {
            if fields.get(row, f).is_empty() {
                let why = match f {
                    "CountryCode" | "CurrencyCode" => "Vendor v3.1 requires it",
                    _ => "VendorCode + AddressCode is the vendor's key",
                };
                findings.push(at(
                    table,
                    &fields,
                    row,
                    f,
                    Check::SyncMissingValue,
                    format!("no {f}: {why}; not sent"),
                ));
                continue 'rows;
            }
        }
        let country = fields.get(row, "CountryCode");
        if !common::is_country(country) {
            findings.push(at(table, &fields, row, "CountryCode", Check::SyncBadCode, format!("CountryCode `{country}` is not a two-letter ISO 3166 code (Vendor v3.1 requires one); not sent")));
            continue;
        }
        let currency = fields.get(row, "CurrencyCode");
        if !common::is_currency(currency) {
            findings.push(at(table, &fields, row, "CurrencyCode", Check::SyncBadCode, format!("CurrencyCode `{currency}` is not a three-letter ISO 4217 code (Vendor v3.1 requires one); not sent")));
            continue;
        }
        let k = key(
            fields.get(row, "VendorCode"),
            fields.get(row, "AddressCode"),
        );
        if let Some(first) = seen.get(&k) {
            findings.push(common::duplicate(
                table,
                &fields,
                row,
                "AddressCode",
                &k,
                *first,
            ));
            continue;
        }
        seen.insert(k.clone(), row.line);
        out.push(Wanted {
            key: k,
            line: row.line,
            body: Value::Object(fields.object(row)),
        });
    }
    (out, findings)
}

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// Every vendor address Concur holds, by key, page after page.
pub fn read(api: &mut Api<'_>) -> Result<HashMap<String, Value>> {
    let mut held = HashMap::new();
    let mut url = format!("{PATH}?limit={PAGE}");
    for _ in 0..1_000_000 {
        let v = api.get(&url)?;
        for r in v
            .get("Vendor")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            held.insert(
                key(&text(r, "VendorCode"), &text(r, "AddressCode")),
                r.clone(),
            );
        }
        match v
            .get("NextPage")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            Some(n) => url = n.to_owned(),
            None => break,
        }
    }
    Ok(held)
}

/// Runs `ledgerline sync vendors`: plan, and with `opts.apply` apply.
pub fn sync(
    api: &mut Api<'_>,
    ledger: &mut Ledger,
    company: &str,
    mapping: &Mapping,
    input: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report> {
    let map = mapping.vendors()?;
    let delimiter = crate::mapping::delimiter(mapping, map.delimiter.as_deref())?;
    let batch = map.batch.unwrap_or(BATCH).clamp(1, 1000);
    let table = Table::read(input, delimiter)?;
    let (want, findings) = wanted(&table, map);
    let mut report = Report::new("vendors", &table.file, "-");
    report.findings = findings;
    report.plan.refused = report.errors();
    progress("reading Concur's vendors");
    let held = read(api)?;
    let mut changes: Vec<(Change, Option<Value>)> = Vec::new();
    let mut unchanged = Vec::new();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    for w in &want {
        match held.get(&w.key) {
            None => creates.push(w),
            Some(h) if covers(&w.body, h) => unchanged.push((w.key.clone(), w.line)),
            Some(h) => updates.push((w, common::differing(&w.body, h))),
        }
    }
    for w in &creates {
        let name = text(&w.body, "VendorName");
        changes.push((
            Change {
                key: w.key.clone(),
                action: Action::Create,
                line: Some(w.line),
                detail: name,
            },
            Some(w.body.clone()),
        ));
    }
    for (w, d) in &updates {
        changes.push((
            Change {
                key: w.key.clone(),
                action: Action::Update,
                line: Some(w.line),
                detail: d.clone(),
            },
            Some(w.body.clone()),
        ));
    }
    let wanted_keys: std::collections::HashSet<&str> =
        want.iter().map(|w| w.key.as_str()).collect();
    let mut missing: Vec<(&String, &Value)> = held
        .iter()
        .filter(|(k, _)| !wanted_keys.contains(k.as_str()))
        .collect();
    missing.sort_by(|a, b| a.0.cmp(b.0));
    report.plan.create = creates.len();
    report.plan.update = updates.len();
    report.plan.unchanged = unchanged.len();
    if opts.delete_missing {
        for (k, v) in &missing {
            changes.push((
                Change {
                    key: (*k).clone(),
                    action: Action::Deactivate,
                    line: None,
                    detail: text(v, "VendorName"),
                },
                Some((*v).clone()),
            ));
        }
        report.plan.deactivate = missing.len();
    } else {
        report.plan.only_in_concur = missing.len();
    }
    report.changes = changes.iter().map(|(c, _)| c.clone()).collect();
    report.requests = api.requests;
    report.rate_limited = api.rate_limited;
    if !opts.apply || (opts.strict && report.errors() > 0) {
        return Ok(report);
    }
    report.applied = true;
    let mut records = Records::start(ledger, company, "vendors", "-", &table.file)?;
    apply(api, &changes, batch, &mut records, &mut report, progress)?;
    common::rejected(&mut report, "vendor");
    report.requests = api.requests;
    report.rate_limited = api.rate_limited;
    common::finish(&mut records, &report, &unchanged)?;
    Ok(report)
}

/// Whether a `StatusList` entry says the record was refused.
fn refused(s: &Value) -> bool {
    let t = s.get("Type").and_then(Value::as_str).unwrap_or("");
    ["ERROR", "WARNING", "FAILURE", "FAILED"]
        .iter()
        .any(|x| t.eq_ignore_ascii_case(x))
}

/// Per record of a VendorCollection answer: `Ok` or `Err((code, message))`.
fn results(
    r: &ledgerline_fetch::ApiResponse,
    n: usize,
) -> Vec<std::result::Result<(), (String, String)>> {
    let v = r.json();
    if !r.ok() {
        let msg = v
            .get("Message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| r.body.chars().take(200).collect());
        return vec![Err((format!("HTTP {}", r.status), msg)); n];
    }
    let mut out = vec![
        Err((
            "no status".to_owned(),
            "Concur returned no StatusList for this record".to_owned()
        ));
        n
    ];
    let recs = v
        .get("Vendor")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (pos, rec) in recs.iter().enumerate() {
        let statuses = rec
            .get("StatusList")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let number = statuses
            .iter()
            .find_map(|s| s.get("RecordNumber").and_then(Value::as_u64))
            .map(|n| n as usize)
            .filter(|&n| n >= 1)
            .map_or(pos, |n| n - 1);
        if number >= n {
            continue;
        }
        out[number] = match statuses.iter().find(|s| refused(s)) {
            Some(s) => Err((
                format!(
                    "{} {}",
                    s.get("Type").and_then(Value::as_str).unwrap_or(""),
                    s.get("Code").map(|c| c.to_string()).unwrap_or_default()
                )
                .trim()
                .to_owned(),
                s.get("Message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            )),
            None => Ok(()),
        };
    }
    out
}

fn apply(
    api: &mut Api<'_>,
    changes: &[(Change, Option<Value>)],
    batch: usize,
    records: &mut Records<'_>,
    report: &mut Report,
    progress: &mut dyn FnMut(&str),
) -> Result<()> {
    let mut groups: Vec<(Action, Vec<usize>)> = Vec::new();
    for (i, (c, _)) in changes.iter().enumerate() {
        let size = if c.action == Action::Deactivate {
            1
        } else {
            batch
        };
        match groups.last_mut() {
            Some((a, v)) if *a == c.action && v.len() < size => v.push(i),
            _ => groups.push((c.action, vec![i])),
        }
    }
    let total = groups.len();
    for (n, (action, idx)) in groups.iter().enumerate() {
        let bodies: Vec<Value> = idx
            .iter()
            .map(|&i| changes[i].1.clone().unwrap_or(Value::Null))
            .collect();
        let hashes: Vec<String> = bodies.iter().map(sent_hash).collect();
        let rows: Vec<RecordRow> = idx
            .iter()
            .zip(&hashes)
            .map(|(&i, h)| common::pending(&changes[i].0, h))
            .collect();
        records.put(&rows)?;
        progress(&format!(
            "call {}/{total}: {} {} vendor(s)",
            n + 1,
            verb(*action),
            idx.len()
        ));
        let answer = match action {
            Action::Deactivate => {
                let b = &bodies[0];
                let url = format!(
                    "{PATH}?vendorCode={}&addressCode={}",
                    encode(&text(b, "VendorCode")),
                    encode(&text(b, "AddressCode"))
                );
                api.call("DELETE", &url, None, Replay::Safe)
            }
            _ => {
                let body = json!({ "Items": [], "NextPage": "", "RequestRunSummary": "", "TotalCount": bodies.len(), "Vendor": bodies });
                let method = if *action == Action::Create {
                    "POST"
                } else {
                    "PUT"
                };
                api.call(method, PATH, Some(&body), Replay::Safe)
            }
        };
        let r = match answer {
            Ok(r) => r,
            Err(crate::SyncError::Fetch(e)) => {
                let inflight: Vec<&Change> = idx.iter().map(|&i| &changes[i].0).collect();
                let after: Vec<Change> = changes
                    .iter()
                    .skip(idx.last().map_or(0, |l| l + 1))
                    .map(|(c, _)| c.clone())
                    .collect();
                common::stopped(report, e.to_string(), &inflight, &after);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut rows = Vec::new();
        for ((&i, res), hash) in idx.iter().zip(results(&r, idx.len())).zip(hashes) {
            let (c, body) = &changes[i];
            match res {
                Ok(()) => settle(
                    report,
                    &mut rows,
                    c,
                    Some(hash),
                    common::done(*action),
                    None,
                    None,
                ),
                Err((code, msg)) => {
                    // A create refused because the vendor is there: a replay of a call whose
                    // answer was lost, when Concur holds exactly what was sent.
                    if *action == Action::Create
                        && let Some(b) = body
                        && held_as_sent(api, b)?
                    {
                        settle(
                            report,
                            &mut rows,
                            c,
                            Some(hash),
                            Status::Created,
                            None,
                            Some("already in Concur as sent (an earlier answer was lost)".into()),
                        );
                        continue;
                    }
                    settle(
                        report,
                        &mut rows,
                        c,
                        Some(hash),
                        Status::Failed,
                        Some(code),
                        Some(msg),
                    );
                }
            }
        }
        records.put(&rows)?;
    }
    Ok(())
}

/// Whether Concur holds the vendor address of `body` with every value of `body`.
fn held_as_sent(api: &mut Api<'_>, body: &Value) -> Result<bool> {
    let url = format!(
        "{PATH}?vendorCode={}&addressCode={}",
        encode(&text(body, "VendorCode")),
        encode(&text(body, "AddressCode"))
    );
    let v = api.get(&url)?;
    Ok(v.get("Vendor").and_then(Value::as_array).is_some_and(|rs| {
        rs.iter().any(|r| {
            text(r, "VendorCode") == text(body, "VendorCode")
                && text(r, "AddressCode") == text(body, "AddressCode")
                && covers(body, r)
        })
    }))
}

fn verb(a: Action) -> &'static str {
    match a {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Deactivate => "deleting",
        Action::Reactivate => "reactivating",
    }
}

//! Purchase-order receipts (Purchase Order Receipts v3), in either of Concur's two models:
//! goods receipts (GRN records, version 2.0, keyed by PO number + line ExternalID +
//! GoodsReceiptNumber: `POST` to create, `PUT` to update, read and deleted by query), or the
//! receipt confirmation (`IsReceived` Y/N on a PO line, by `PUT`). Every receipt's PO line
//! is looked up first (`GET` of the PO), so a receipt for a line Concur does not have is a
//! finding, not a call. Concur offers no way to read a received flag back, so that model
//! plans from the run ledger (what was last sent) and from the PO line when Concur shows it.

use crate::Options;
use crate::common::{self, Fields, at, covers, settle};
use crate::concur::{Api, encode};
use crate::error::{Result, SyncError};
use crate::input::Table;
use crate::mapping::{Mapping, ReceiptMap, ReceiptModel};
use crate::purchase_orders::{read_one, result};
use crate::record::{Records, sent_hash};
use crate::report::{Action, Change, Report, Status};
use ledgerline_fetch::Replay;
use ledgerline_findings::{Check, Finding};
use ledgerline_ledger::Ledger;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The Purchase Order Receipts v3 path.
pub const PATH: &str = "/api/v3.0/invoice/purchaseorderreceipts";

/// One receipt the export asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    /// `PO / line ExternalID / GRN` (received flag: `PO / line ExternalID`).
    pub key: String,
    /// The input line.
    pub line: u64,
    /// The record as sent.
    pub body: Value,
}

fn text(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Null) | None => String::new(),
        Some(o) => o.to_string(),
    }
}

fn required(model: ReceiptModel) -> &'static [&'static str] {
    match model {
        ReceiptModel::GoodsReceipt => &[
            "PurchaseOrderNumber",
            "LineItemExternalID",
            "GoodsReceiptNumber",
        ],
        ReceiptModel::ReceivedFlag => &["PurchaseOrderNumber", "LineItemExternalID", "IsReceived"],
    }
}

/// The export read into receipts, with the findings about its rows.
pub fn wanted(table: &Table, map: &ReceiptMap) -> (Vec<Wanted>, Vec<Finding>) {
    let mut findings = Vec::new();
    let req = required(map.model);
    let fields = Fields::resolve(
        table,
        &map.fields,
        req,
        str::to_owned,
        "receipts",
        &mut findings,
    );
    if !findings.is_empty() {
        return (Vec::new(), findings);
    }
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    'rows: for row in &table.rows {
        for f in req {
            if fields.get(row, f).is_empty() {
                findings.push(at(
                    table,
                    &fields,
                    row,
                    f,
                    Check::SyncMissingValue,
                    format!(
                        "no {f}: a receipt needs it (Concur's errors 1000, 1001, 10010); not sent"
                    ),
                ));
                continue 'rows;
            }
        }
        let qty = fields.get(row, "ReceivedQuantity");
        if !qty.is_empty() && common::decimal(qty).is_none() {
            findings.push(at(
                table,
                &fields,
                row,
                "ReceivedQuantity",
                Check::SyncBadValue,
                format!(
                    "ReceivedQuantity `{qty}` is not a number Concur reads (error 1003); not sent"
                ),
            ));
            continue;
        }
        let date = fields.get(row, "ReceivedDate");
        if !date.is_empty() && !common::is_date(date) {
            findings.push(at(
                table,
                &fields,
                row,
                "ReceivedDate",
                Check::SyncBadValue,
                format!("ReceivedDate `{date}` is not a YYYY-MM-DD date (error 1004); not sent"),
            ));
            continue;
        }
        let flag = fields.get(row, "IsReceived");
        if map.model == ReceiptModel::ReceivedFlag && !matches!(flag, "Y" | "N" | "y" | "n") {
            findings.push(at(
                table,
                &fields,
                row,
                "IsReceived",
                Check::SyncBadValue,
                format!("IsReceived `{flag}` is neither Y nor N (error 1002); not sent"),
            ));
            continue;
        }
        let mut body = fields.object(row);
        let mut key = format!(
            "{} / {}",
            fields.get(row, "PurchaseOrderNumber"),
            fields.get(row, "LineItemExternalID")
        );
        match map.model {
            ReceiptModel::GoodsReceipt => {
                key.push_str(&format!(" / {}", fields.get(row, "GoodsReceiptNumber")));
                body.entry("Version").or_insert(json!("2.0"));
            }
            ReceiptModel::ReceivedFlag => {
                body.insert("IsReceived".into(), json!(flag.to_ascii_uppercase()));
            }
        }
        if let Some(first) = seen.get(&key) {
            let last = req[req.len() - 1];
            findings.push(common::duplicate(table, &fields, row, last, &key, *first));
            continue;
        }
        seen.insert(key.clone(), row.line);
        out.push(Wanted {
            key,
            line: row.line,
            body: Value::Object(body),
        });
    }
    (out, findings)
}

fn query(body: &Value) -> String {
    format!(
        "{PATH}?purchaseOrderNumber={}&goodsReceiptNumber={}&lineItemExternalID={}",
        encode(&text(body, "PurchaseOrderNumber")),
        encode(&text(body, "GoodsReceiptNumber")),
        encode(&text(body, "LineItemExternalID"))
    )
}

/// The goods receipt Concur holds for the keys of `body`, if any.
pub fn read_one_receipt(api: &mut Api<'_>, body: &Value) -> Result<Option<Value>> {
    let v = api.get(&query(body))?;
    let items = v
        .get("Items")
        .or_else(|| v.get("purchaseOrderReceipt"))
        .and_then(Value::as_array);
    Ok(items.and_then(|is| {
        is.iter()
            .find(|r| {
                text(r, "LineItemExternalID") == text(body, "LineItemExternalID")
                    && text(r, "GoodsReceiptNumber") == text(body, "GoodsReceiptNumber")
            })
            .cloned()
    }))
}

/// Runs `ledgerline sync receipts`: plan, and with `opts.apply` apply.
pub fn sync(
    api: &mut Api<'_>,
    ledger: &mut Ledger,
    company: &str,
    mapping: &Mapping,
    input: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report> {
    let map = mapping.receipts()?;
    if opts.delete_missing && map.model == ReceiptModel::ReceivedFlag {
        return Err(SyncError::Unsupported(
            "--delete-missing is not available for received flags: the receipt confirmation cannot be deleted (send IsReceived = N instead)".into(),
        ));
    }
    let target = match map.model {
        ReceiptModel::GoodsReceipt => "goods-receipt",
        ReceiptModel::ReceivedFlag => "received-flag",
    };
    let delimiter = crate::mapping::delimiter(mapping, map.delimiter.as_deref())?;
    let table = Table::read(input, delimiter)?;
    let (want, findings) = wanted(&table, map);
    let mut report = Report::new("receipts", &table.file, target);
    report.findings = findings;
    report.plan.refused = report.errors();
    let sent_before: HashMap<String, crate::record::RecordRow> =
        crate::record::all(ledger, company, "receipts", target)?
            .into_iter()
            .map(|r| (r.key.clone(), r))
            .collect();
    progress(&format!(
        "reading the purchase orders of {} receipt(s) from Concur",
        want.len()
    ));
    let mut pos: HashMap<String, Option<Value>> = HashMap::new();
    let mut changes: Vec<(Change, Value)> = Vec::new();
    let mut unchanged = Vec::new();
    for w in &want {
        let number = text(&w.body, "PurchaseOrderNumber");
        if !pos.contains_key(&number) {
            let po = read_one(api, &number)?;
            pos.insert(number.clone(), po);
        }
        let ext = text(&w.body, "LineItemExternalID");
        let line = pos[&number].as_ref().and_then(|po| {
            po.get("LineItem")
                .and_then(Value::as_array)
                .and_then(|ls| ls.iter().find(|l| text(l, "ExternalID") == ext))
                .cloned()
        });
        let Some(line) = line else {
            let why = if pos[&number].is_none() {
                format!("Concur has no purchase order {number} (error 1000)")
            } else {
                format!("purchase order {number} has no line with ExternalID {ext} (error 1001)")
            };
            report.findings.push(
                Finding::new(
                    ledgerline_findings::Family::Sync,
                    Check::SyncUnknownPoLine,
                    &table.file,
                    format!("receipt `{}`: {why}; not sent", w.key),
                )
                .at(ledgerline_findings::Position {
                    line: w.line,
                    byte: 0,
                }),
            );
            report.plan.refused += 1;
            continue;
        };
        let rtype = text(&line, "PurchaseOrderReceiptType");
        if matches!(rtype.as_str(), "WQTY" | "QUANTITY_RECEIPT")
            && text(&w.body, "ReceivedQuantity").is_empty()
        {
            report.findings.push(
                Finding::new(ledgerline_findings::Family::Sync, Check::SyncMissingValue, &table.file,
                    format!("receipt `{}`: the PO line's receipt type is {rtype}, so Concur requires ReceivedQuantity (error 1006); not sent", w.key))
                    .at(ledgerline_findings::Position { line: w.line, byte: 0 }),
            );
            report.plan.refused += 1;
            continue;
        }
        let held = match map.model {
            ReceiptModel::GoodsReceipt => read_one_receipt(api, &w.body)?,
            ReceiptModel::ReceivedFlag => {
                // Concur does not document reading a flag back; use the PO line when it
                // shows it, and otherwise what this ledger last sent.
                let flag_fields: serde_json::Map<String, Value> = w
                    .body
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| {
                        matches!(
                            k.as_str(),
                            "IsReceived" | "ReceivedDate" | "ReceivedQuantity"
                        )
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let shown = covers(&Value::Object(flag_fields), &line);
                let sent = sent_before.get(&w.key).is_some_and(|r| {
                    matches!(r.status.as_str(), "created" | "updated" | "unchanged")
                        && r.sent_sha256.as_deref() == Some(sent_hash(&w.body).as_str())
                });
                if shown || sent {
                    Some(w.body.clone())
                } else if sent_before.contains_key(&w.key) {
                    Some(Value::Null)
                } else {
                    None
                }
            }
        };
        let (action, detail) = match held {
            None => (
                Action::Create,
                format!(
                    "{} {}",
                    text(&w.body, "ReceivedQuantity"),
                    text(&w.body, "ReceivedDate")
                )
                .trim()
                .to_owned(),
            ),
            Some(h) if covers(&w.body, &h) => {
                unchanged.push((w.key.clone(), w.line));
                continue;
            }
            Some(h) => (Action::Update, common::differing(&w.body, &h)),
        };
        changes.push((
            Change {
                key: w.key.clone(),
                action,
                line: Some(w.line),
                detail,
            },
            w.body.clone(),
        ));
    }
    report.plan.create = changes
        .iter()
        .filter(|c| c.0.action == Action::Create)
        .count();
    report.plan.update = changes.len() - report.plan.create;
    report.plan.unchanged = unchanged.len();
    // Goods receipts this ledger sent that the export no longer has.
    let wanted_keys: HashSet<&str> = want.iter().map(|w| w.key.as_str()).collect();
    let mut missing: Vec<&crate::record::RecordRow> = sent_before
        .values()
        .filter(|r| {
            !wanted_keys.contains(r.key.as_str())
                && r.status != "deactivated"
                && r.status != "failed"
        })
        .collect();
    missing.sort_by(|a, b| a.key.cmp(&b.key));
    let mut gone = 0;
    for r in missing {
        let parts: Vec<&str> = r.key.split(" / ").collect();
        let [po, line, grn] = parts.as_slice() else {
            continue;
        };
        let body = json!({ "PurchaseOrderNumber": po, "LineItemExternalID": line, "GoodsReceiptNumber": grn });
        if opts.delete_missing {
            if read_one_receipt(api, &body)?.is_some() {
                changes.push((
                    Change {
                        key: r.key.clone(),
                        action: Action::Deactivate,
                        line: None,
                        detail: "sent earlier, no longer in the export".into(),
                    },
                    body,
                ));
                gone += 1;
            }
        } else {
            report.plan.only_in_concur += 1;
        }
    }
    report.plan.deactivate = gone;
    report.changes = changes.iter().map(|(c, _)| c.clone()).collect();
    report.requests = api.requests;
    report.rate_limited = api.rate_limited;
    if !opts.apply || (opts.strict && report.errors() > 0) {
        return Ok(report);
    }
    report.applied = true;
    let mut records = Records::start(ledger, company, "receipts", target, &table.file)?;
    let total = changes.len();
    for (n, (c, body)) in changes.iter().enumerate() {
        let hash = sent_hash(body);
        records.put(&[common::pending(c, &hash)])?;
        progress(&format!(
            "receipt {}/{total}: {:?} {}",
            n + 1,
            c.action,
            c.key
        ));
        let answer = match (map.model, c.action) {
            (_, Action::Deactivate) => api.call("DELETE", &query(body), None, Replay::Safe),
            (ReceiptModel::GoodsReceipt, Action::Create) => {
                api.call("POST", PATH, Some(body), Replay::Safe)
            }
            _ => api.call("PUT", PATH, Some(body), Replay::Safe),
        };
        let r = match answer {
            Ok(r) => r,
            Err(SyncError::Fetch(e)) => {
                let after: Vec<Change> =
                    changes.iter().skip(n + 1).map(|(c, _)| c.clone()).collect();
                common::stopped(&mut report, e.to_string(), &[c], &after);
                break;
            }
            Err(e) => return Err(e),
        };
        let mut rows = Vec::new();
        match result(&r) {
            Ok(()) => settle(
                &mut report,
                &mut rows,
                c,
                Some(hash),
                common::done(c.action),
                None,
                None,
            ),
            Err((code, msg, _)) => {
                if c.action == Action::Create
                    && map.model == ReceiptModel::GoodsReceipt
                    && msg.contains("already exists")
                    && read_one_receipt(api, body)?.is_some_and(|h| covers(body, &h))
                {
                    settle(
                        &mut report,
                        &mut rows,
                        c,
                        Some(hash),
                        Status::Created,
                        None,
                        Some("already in Concur as sent (an earlier answer was lost)".into()),
                    );
                } else {
                    settle(
                        &mut report,
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
    common::rejected(&mut report, "receipt");
    report.requests = api.requests;
    report.rate_limited = api.rate_limited;
    common::finish(&mut records, &report, &unchanged)?;
    Ok(report)
}

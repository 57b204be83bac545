//! Purchase orders (Purchase Order v3): one input row per PO line, grouped by
//! PurchaseOrderNumber into whole POs (header, bill-to and ship-to addresses, lines, one
//! allocation per line), checked before anything is sent (required fields, ISO codes,
//! decimals and dates, ExpenseType xor AccountCode, signs and zero totals, one row per line
//! ExternalID, the vendor known to Concur); each PO read back with `GET /{number}`; and
//! `--apply` sends one PO per call, `POST` to create and `PUT` to update, reading
//! `Status: FAILURE` and its error code on HTTP 200 and pointing it at the input row of
//! the failing line. Concur has no PO delete, so `--delete-missing` is refused.

use crate::Options;
use crate::common::{self, Fields, at, covers, settle};
use crate::concur::{Api, encode};
use crate::error::{Result, SyncError};
use crate::input::{Row, Table};
use crate::mapping::{Mapping, PurchaseOrderMap};
use crate::record::{Records, sent_hash};
use crate::report::{Action, Change, Report, Status};
use ledgerline_fetch::Replay;
use ledgerline_findings::{Check, Family, Finding, Position};
use ledgerline_ledger::Ledger;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The Purchase Order v3 path.
pub const PATH: &str = "/api/v3.0/invoice/purchaseorders";

const HEADER: [&str; 7] = [
    "PurchaseOrderNumber",
    "Name",
    "VendorCode",
    "VendorAddressCode",
    "CurrencyCode",
    "OrderDate",
    "PolicyExternalID",
];
const ADDRESS: [&str; 6] = [
    "ExternalID",
    "Address1",
    "City",
    "PostalCode",
    "StateProvince",
    "CountryCode",
];
const LINE: [&str; 4] = ["ExternalID", "LineNumber", "Quantity", "UnitPrice"];

/// One purchase order the export asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    /// PurchaseOrderNumber.
    pub number: String,
    /// The first input line of the PO.
    pub line: u64,
    /// The PO as sent.
    pub body: Value,
    /// Input line of each line item, by ExternalID.
    pub lines: HashMap<String, u64>,
}

struct Cols {
    header: Fields,
    bill: Fields,
    ship: Fields,
    line: Fields,
    alloc: Fields,
}

/// The export read into whole purchase orders, with the findings about its rows. A PO
/// with any refused row is not sent at all (a PO is sent whole).
/// The third value counts the POs (and number-less rows) refused.
pub fn wanted(table: &Table, map: &PurchaseOrderMap) -> (Vec<Wanted>, Vec<Finding>, usize) {
    let mut findings = Vec::new();
    let section = "purchase_orders";
    let cols = Cols {
        header: Fields::resolve(
            table,
            &map.header,
            &HEADER,
            str::to_owned,
            section,
            &mut findings,
        ),
        bill: Fields::resolve(
            table,
            &map.bill_to,
            &ADDRESS,
            |f| format!("BillTo{f}"),
            section,
            &mut findings,
        ),
        ship: Fields::resolve(
            table,
            &map.ship_to,
            &ADDRESS,
            |f| format!("ShipTo{f}"),
            section,
            &mut findings,
        ),
        line: Fields::resolve(
            table,
            &map.line,
            &LINE,
            str::to_owned,
            section,
            &mut findings,
        ),
        alloc: Fields::resolve(
            table,
            &map.allocation,
            &[],
            str::to_owned,
            section,
            &mut findings,
        ),
    };
    if !findings.is_empty() {
        return (Vec::new(), findings, 0);
    }
    let mut no_number = 0;
    let mut order: Vec<String> = Vec::new();
    let mut pos: HashMap<String, Wanted> = HashMap::new();
    let mut refused: HashSet<String> = HashSet::new();
    let mut seen_lines: HashMap<(String, String), u64> = HashMap::new();
    for row in &table.rows {
        let number = cols.header.get(row, "PurchaseOrderNumber").to_owned();
        if number.is_empty() {
            findings.push(at(table, &cols.header, row, "PurchaseOrderNumber", Check::SyncMissingValue,
                "no PurchaseOrderNumber: it is the purchase order's key (Concur's error 1000); not sent".into()));
            no_number += 1;
            continue;
        }
        let errors_before = findings.len();
        let (header, line) = check_row(table, &cols, row, &mut findings);
        let ext = cols.line.get(row, "ExternalID").to_owned();
        if !ext.is_empty() {
            let k = (number.clone(), ext.clone());
            if let Some(first) = seen_lines.get(&k) {
                findings.push(common::duplicate(
                    table,
                    &cols.line,
                    row,
                    "ExternalID",
                    &format!("{number} line {ext}"),
                    *first,
                ));
                continue;
            }
            seen_lines.insert(k, row.line);
        }
        let bad = findings[errors_before..]
            .iter()
            .any(|f| f.severity == ledgerline_findings::Severity::Error);
        if bad {
            refused.insert(number.clone());
        }
        match pos.get_mut(&number) {
            None => {
                let mut body = header;
                body.insert("LineItem".into(), Value::Array(vec![Value::Object(line)]));
                order.push(number.clone());
                pos.insert(
                    number.clone(),
                    Wanted {
                        number: number.clone(),
                        line: row.line,
                        body: Value::Object(body),
                        lines: [(ext, row.line)].into(),
                    },
                );
            }
            Some(w) => {
                let differs = header.iter().any(|(k, v)| w.body.get(k) != Some(v));
                if differs {
                    findings.push(
                        Finding::new(Family::Sync, Check::SyncHeaderDiffers, &table.file,
                            format!("PO {number}: this row's header or addresses differ from line {}'s; the first row's are sent", w.line))
                        .at(Position { line: row.line, byte: 0 }),
                    );
                }
                if let Some(Value::Array(ls)) = w.body.get_mut("LineItem") {
                    ls.push(Value::Object(line));
                }
                w.lines.insert(ext, row.line);
            }
        }
    }
    let out = order
        .into_iter()
        .filter(|n| !refused.contains(n))
        .filter_map(|n| pos.remove(&n))
        .collect();
    (out, findings, refused.len() + no_number)
}

/// Checks one row; the header object and the line object it gives.
fn check_row(
    table: &Table,
    cols: &Cols,
    row: &Row,
    findings: &mut Vec<Finding>,
) -> (Map<String, Value>, Map<String, Value>) {
    let missing = |fields: &Fields, list: &[&str], what: &str, findings: &mut Vec<Finding>| {
        for f in list {
            if fields.get(row, f).is_empty() {
                findings.push(at(table, fields, row, f, Check::SyncMissingValue,
                    format!("no {what}{f}: Purchase Order v3 requires it (Concur's error 8000); the PO is not sent")));
            }
        }
    };
    missing(&cols.header, &HEADER[1..], "", findings);
    missing(&cols.bill, &ADDRESS, "BillToAddress ", findings);
    missing(&cols.ship, &ADDRESS, "ShipToAddress ", findings);
    missing(&cols.line, &LINE, "line ", findings);
    let cur = cols.header.get(row, "CurrencyCode");
    if !cur.is_empty() && !common::is_currency(cur) {
        findings.push(at(table, &cols.header, row, "CurrencyCode", Check::SyncBadCode,
            format!("CurrencyCode `{cur}` is not a three-letter ISO 4217 code (Concur's error 3000); the PO is not sent")));
    }
    for (fields, what) in [(&cols.bill, "BillToAddress"), (&cols.ship, "ShipToAddress")] {
        let c = fields.get(row, "CountryCode");
        if !c.is_empty() && !common::is_country(c) {
            findings.push(at(table, fields, row, "CountryCode", Check::SyncBadCode,
                format!("{what} CountryCode `{c}` is not a two-letter ISO 3166 code (Concur's error 8005); the PO is not sent")));
        }
    }
    for f in ["OrderDate", "NeededByDate", "RequestedDeliveryDate"] {
        let d = cols.header.get(row, f);
        if !d.is_empty() && !common::is_date(d) {
            findings.push(at(
                table,
                &cols.header,
                row,
                f,
                Check::SyncBadValue,
                format!(
                    "{f} `{d}` is not a YYYY-MM-DD date (Concur's error 8002); the PO is not sent"
                ),
            ));
        }
    }
    let num = |fields: &Fields,
               f: &str,
               what: &str,
               findings: &mut Vec<Finding>|
     -> Option<Decimal> {
        let v = fields.get(row, f);
        if v.is_empty() {
            return None;
        }
        let d = common::decimal(v);
        if d.is_none() {
            findings.push(at(table, fields, row, f, Check::SyncBadValue,
                format!("{what}{f} `{v}` is not a number Concur reads (digits and a `.`, no thousands separators; error 8002); the PO is not sent")));
        }
        d
    };
    let qty = num(&cols.line, "Quantity", "line ", findings);
    let price = num(&cols.line, "UnitPrice", "line ", findings);
    let tax = num(&cols.line, "Tax", "line ", findings);
    num(&cols.line, "AmountWithoutVat", "line ", findings);
    let alloc = num(&cols.alloc, "Amount", "allocation ", findings);
    num(&cols.alloc, "Percentage", "allocation ", findings);
    for f in ["Tax", "Shipping", "AmountWithoutVat"] {
        num(&cols.header, f, "", findings);
    }
    let rule = |field: &str, msg: String| at(table, &cols.line, row, field, Check::SyncPoRule, msg);
    let (et, ac) = (
        cols.line.get(row, "ExpenseType"),
        cols.line.get(row, "AccountCode"),
    );
    if et.is_empty() == ac.is_empty() {
        findings.push(rule(if cols.line.has("ExpenseType") { "ExpenseType" } else { "AccountCode" },
            "a line needs an ExpenseType or an AccountCode, exactly one (Concur's error 5001); the PO is not sent".into()));
    }
    if let (Some(q), Some(p)) = (qty, price) {
        let total = q * p;
        if total.is_zero() {
            findings.push(rule("UnitPrice", "the line total (Quantity x UnitPrice) is zero (Concur's error 5007); the PO is not sent".into()));
        }
        if let Some(t) = tax
            && !t.is_zero()
            && !p.is_zero()
            && t.is_sign_negative() != p.is_sign_negative()
        {
            findings.push(rule("Tax", "line Tax and UnitPrice have different signs (Concur's error 5004); the PO is not sent".into()));
        }
        if let Some(a) = alloc
            && a.abs() > total.abs()
        {
            findings.push(at(table, &cols.alloc, row, "Amount", Check::SyncPoRule,
                format!("allocation Amount {a} exceeds the line total {total} (Concur's error 5501); the PO is not sent")));
        }
    }
    let mut header = cols.header.object(row);
    header.insert(
        "ID".into(),
        Value::String(cols.header.get(row, "PurchaseOrderNumber").to_owned()),
    );
    header.insert("BillToAddress".into(), Value::Object(cols.bill.object(row)));
    header.insert("ShipToAddress".into(), Value::Object(cols.ship.object(row)));
    let mut line = cols.line.object(row);
    if cols
        .alloc
        .0
        .iter()
        .any(|(f, _)| !cols.alloc.get(row, f).is_empty())
    {
        line.insert(
            "Allocation".into(),
            Value::Array(vec![Value::Object(cols.alloc.object(row))]),
        );
    }
    (header, line)
}

fn text(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(o) => o.to_string(),
    }
}

/// The PO Concur holds under `number` (`None`: it answers 4xx, as for an unknown PO).
pub fn read_one(api: &mut Api<'_>, number: &str) -> Result<Option<Value>> {
    let url = format!("{PATH}/{}", encode(number));
    let r = api.call("GET", &url, None, Replay::Safe)?;
    if r.ok() {
        return Ok(Some(r.json()));
    }
    if (400..500).contains(&r.status) && r.status != 401 && r.status != 403 {
        return Ok(None);
    }
    Err(crate::concur::unexpected(api.client.api_url(&url), &r))
}

/// Whether Concur has the vendor address (VendorCode, AddressCode).
pub fn vendor_exists(api: &mut Api<'_>, code: &str, address: &str) -> Result<bool> {
    let url = format!(
        "{}?vendorCode={}&addressCode={}",
        crate::vendors::PATH,
        encode(code),
        encode(address)
    );
    let v = api.get(&url)?;
    Ok(v.get("Vendor").and_then(Value::as_array).is_some_and(|rs| {
        rs.iter()
            .any(|r| text(r, "VendorCode") == code && text(r, "AddressCode") == address)
    }))
}

/// Runs `ledgerline sync purchase-orders`: plan, and with `opts.apply` apply.
pub fn sync(
    api: &mut Api<'_>,
    ledger: &mut Ledger,
    company: &str,
    mapping: &Mapping,
    input: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report> {
    let map = mapping.purchase_orders()?;
    if opts.delete_missing {
        return Err(SyncError::Unsupported(
            "--delete-missing is not available for purchase orders: Purchase Order v3 has no delete (close a PO with Status = Closed in the export instead)".into(),
        ));
    }
    let delimiter = crate::mapping::delimiter(mapping, map.delimiter.as_deref())?;
    let table = Table::read(input, delimiter)?;
    let (want, findings, refused) = wanted(&table, map);
    let mut report = Report::new("purchase-orders", &table.file, "-");
    report.findings = findings;
    report.plan.refused = refused;
    progress(&format!(
        "reading {} purchase order(s) and their vendors from Concur",
        want.len()
    ));
    let mut vendors: HashMap<(String, String), bool> = HashMap::new();
    let mut changes: Vec<(Change, Value, HashMap<String, u64>)> = Vec::new();
    let mut unchanged = Vec::new();
    let (mut creates, mut updates) = (Vec::new(), Vec::new());
    for w in want {
        let vk = (
            text(&w.body, "VendorCode"),
            text(&w.body, "VendorAddressCode"),
        );
        let known = match vendors.get(&vk) {
            Some(k) => *k,
            None => {
                let k = vendor_exists(api, &vk.0, &vk.1)?;
                vendors.insert(vk.clone(), k);
                k
            }
        };
        if !known {
            let col = map
                .header
                .get("VendorCode")
                .cloned()
                .unwrap_or_else(|| "VendorCode".into());
            let mut f = Finding::new(Family::Sync, Check::SyncUnknownVendor, &table.file,
                format!("PO {}: Concur has no vendor {} with address {} (VendorCode + VendorAddressCode; Concur's error 2000); the PO is not sent", w.number, vk.0, vk.1))
                .at(Position { line: w.line, byte: 0 });
            if let Some(i) = table.column(&col) {
                f = f.column(i as u32 + 1, table.headers[i].clone());
            }
            report.findings.push(f);
            report.plan.refused += 1;
            continue;
        }
        match read_one(api, &w.number)? {
            None => creates.push(w),
            Some(h) if covers(&w.body, &h) => unchanged.push((w.number.clone(), w.line)),
            Some(h) => {
                let d = common::differing(&w.body, &h);
                updates.push((w, d));
            }
        }
    }
    for w in creates {
        let lines = w
            .body
            .get("LineItem")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        changes.push((
            Change {
                key: w.number.clone(),
                action: Action::Create,
                line: Some(w.line),
                detail: format!("{}, {lines} line(s)", text(&w.body, "Name")),
            },
            w.body,
            w.lines,
        ));
    }
    for (w, d) in updates {
        changes.push((
            Change {
                key: w.number.clone(),
                action: Action::Update,
                line: Some(w.line),
                detail: d,
            },
            w.body,
            w.lines,
        ));
    }
    report.plan.create = changes
        .iter()
        .filter(|c| c.0.action == Action::Create)
        .count();
    report.plan.update = changes.len() - report.plan.create;
    report.plan.unchanged = unchanged.len();
    report.changes = changes.iter().map(|(c, ..)| c.clone()).collect();
    report.requests = api.requests;
    report.rate_limited = api.rate_limited;
    if !opts.apply || (opts.strict && report.errors() > 0) {
        return Ok(report);
    }
    report.applied = true;
    let mut records = Records::start(ledger, company, "purchase-orders", "-", &table.file)?;
    let total = changes.len();
    for (n, (c, body, lines)) in changes.iter().enumerate() {
        let hash = sent_hash(body);
        records.put(&[common::pending(c, &hash)])?;
        progress(&format!(
            "PO {}/{total}: {} {}",
            n + 1,
            if c.action == Action::Create {
                "creating"
            } else {
                "updating"
            },
            c.key
        ));
        let method = if c.action == Action::Create {
            "POST"
        } else {
            "PUT"
        };
        let r = match api.call(method, PATH, Some(body), Replay::Safe) {
            Ok(r) => r,
            Err(SyncError::Fetch(e)) => {
                let after: Vec<Change> = changes
                    .iter()
                    .skip(n + 1)
                    .map(|(c, ..)| c.clone())
                    .collect();
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
            Err((code, msg, ext)) => {
                if c.action == Action::Create
                    && msg.contains("does exist")
                    && read_one(api, &c.key)?.is_some_and(|h| covers(body, &h))
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
                    let mut at_line = c.clone();
                    if let Some(l) = ext.as_deref().and_then(|e| lines.get(e)) {
                        at_line.line = Some(*l);
                    }
                    settle(
                        &mut report,
                        &mut rows,
                        &at_line,
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
    common::rejected(&mut report, "purchase order");
    report.requests = api.requests;
    report.rate_limited = api.rate_limited;
    common::finish(&mut records, &report, &unchanged)?;
    Ok(report)
}

/// A PurchaseOrderResult (also the receipts' Result): `Err((code, message, line ExternalID))`.
pub(crate) fn result(
    r: &ledgerline_fetch::ApiResponse,
) -> std::result::Result<(), (String, String, Option<String>)> {
    let v = r.json();
    if !r.ok() {
        let msg = v
            .get("Message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| xml_message(&r.body));
        return Err((format!("HTTP {}", r.status), msg, None));
    }
    let status = text(&v, "Status");
    if status.eq_ignore_ascii_case("SUCCESS") {
        return Ok(());
    }
    let code = Some(text(&v, "ErrorCode"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| {
            if status.is_empty() {
                "no status".into()
            } else {
                status.clone()
            }
        });
    let mut msg = Some(text(&v, "ErrorMessage"))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| text(&v, "Message"));
    let field = text(&v, "FieldCode");
    if !field.is_empty() {
        msg.push_str(&format!(" [{field}]"));
    }
    let ext = Some(text(&v, "LineItemExternalID")).filter(|e| !e.is_empty());
    Err((code, msg, ext))
}

fn xml_message(body: &str) -> String {
    body.split_once("<Message>")
        .and_then(|(_, rest)| rest.split_once("</Message>"))
        .map(|(m, _)| m.to_owned())
        .unwrap_or_else(|| body.chars().take(200).collect())
}

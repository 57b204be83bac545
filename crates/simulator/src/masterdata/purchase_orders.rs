//! Purchase Order v3 and Purchase Order Receipts v3: one PO per call, `POST` create-only
//! and `PUT` update-only (as clients observe), failures as HTTP 200 with `Status: FAILURE`
//! and the documented error codes (vendor key 2000 against the vendor store, 5001, 5004,
//! 5007, 5501-5503, 5600, 6000/6001, 8000, 8001, 8002, 8005), `GET /{number}` (missing:
//! 404 with an `<Error>` body); goods receipts (version 2.0) keyed by PO number + line
//! ExternalID + GoodsReceiptNumber with codes 1000-1006, and the receipt-confirmation
//! `PUT` (`IsReceived`) that marks a PO line received.

use super::{MasterDataConfig, authorize, json, query, with_store};
use crate::state::SharedRef;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::str::FromStr;

type Record = Map<String, Value>;

/// Most receipts a receipts GET returns.
pub const RECEIPTS_MAX: usize = 2000;

/// POs by number, and goods receipts by (PO number, line ExternalID, GRN).
#[derive(Default)]
pub(crate) struct Orders {
    pub(crate) pos: BTreeMap<String, Map<String, Value>>,
    pub(crate) receipts: BTreeMap<(String, String, String), Map<String, Value>>,
    seq: u64,
}

fn text(m: &Map<String, Value>, k: &str) -> String {
    match m.get(k) {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

fn num(m: &Map<String, Value>, k: &str) -> Option<Result<Decimal, ()>> {
    let t = text(m, k);
    if t.is_empty() {
        return None;
    }
    Some(Decimal::from_str(&t).map_err(|_| ()))
}

fn date_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

pub(super) fn routes(r: Router<SharedRef>) -> Router<SharedRef> {
    r.route(
        "/api/v3.0/invoice/purchaseorders",
        axum::routing::post(post_po).put(put_po),
    )
    .route(
        "/api/v3.0/invoice/purchaseorders/{number}",
        axum::routing::get(get_po),
    )
    .route(
        "/api/v3.0/invoice/purchaseorderreceipts",
        axum::routing::get(get_receipts)
            .post(post_receipt)
            .put(put_receipt)
            .delete(delete_receipt),
    )
}

/// A PurchaseOrderResult.
fn result(ok: bool, number: &str, fail: Option<Fail>) -> Response {
    let f = fail.unwrap_or_default();
    json(
        StatusCode::OK,
        json!({
            "Status": if ok { "SUCCESS" } else { "FAILURE" },
            "ErrorCode": f.code,
            "ErrorMessage": f.message,
            "FieldCode": f.field,
            "LineItemExternalID": f.line,
            "Message": if ok { "Success".to_owned() } else { f.message.clone() },
            "PurchaseOrderNumber": number,
        }),
    )
}

#[derive(Default)]
struct Fail {
    code: String,
    message: String,
    field: String,
    line: String,
}

fn fail(code: &str, field: &str, line: &str, message: impl Into<String>) -> Fail {
    Fail {
        code: code.into(),
        message: message.into(),
        field: field.into(),
        line: line.into(),
    }
}

/// The documented PO validations, first failure wins.
fn validate(
    cfg: &MasterDataConfig,
    vendors: &super::vendors::Vendors,
    po: &Map<String, Value>,
) -> Result<(), Fail> {
    let number = text(po, "PurchaseOrderNumber");
    if number.is_empty() || number.chars().count() > 50 {
        return Err(fail(
            "1000",
            "Header PurchaseOrderNumber",
            "",
            "Purchase order number is missing or invalid.",
        ));
    }
    for k in [
        "Name",
        "OrderDate",
        "VendorCode",
        "VendorAddressCode",
        "PolicyExternalID",
    ] {
        if text(po, k).is_empty() {
            return Err(fail(
                "8000",
                &format!("Header {k}"),
                "",
                format!("Required field {k} is missing."),
            ));
        }
    }
    if text(po, "Name").chars().count() > 64 {
        return Err(fail(
            "8001",
            "Header Name",
            "",
            "The value of Name is too long.",
        ));
    }
    if !date_ok(&text(po, "OrderDate")) {
        return Err(fail(
            "8002",
            "Header OrderDate",
            "",
            "OrderDate must be YYYY-MM-DD.",
        ));
    }
    if !vendors.exists(&text(po, "VendorCode"), &text(po, "VendorAddressCode")) {
        return Err(fail(
            "2000",
            "Header VendorCode",
            "",
            format!(
                "No vendor found for VendorCode {} and VendorAddressCode {}.",
                text(po, "VendorCode"),
                text(po, "VendorAddressCode")
            ),
        ));
    }
    let cur = text(po, "CurrencyCode");
    if cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(fail(
            "3000",
            "Header CurrencyCode",
            "",
            "Currency code is missing or invalid.",
        ));
    }
    let policy = text(po, "PolicyExternalID");
    if !cfg.po_policies.iter().any(|p| p.trim() == policy) {
        return Err(fail(
            "4000",
            "Header PolicyExternalID",
            "",
            format!("No policy found for external id {policy}."),
        ));
    }
    for (level, key, code) in [
        ("ShipTo", "ShipToAddress", "6000"),
        ("BillTo", "BillToAddress", "6001"),
    ] {
        let Some(a) = po.get(key).and_then(Value::as_object) else {
            return Err(fail(
                code,
                level,
                "",
                format!("{key} is missing or invalid."),
            ));
        };
        for f in [
            "ExternalID",
            "Address1",
            "City",
            "PostalCode",
            "CountryCode",
        ] {
            if text(a, f).is_empty() {
                return Err(fail(
                    code,
                    &format!("{level} {f}"),
                    "",
                    format!("{key} {f} is missing or invalid."),
                ));
            }
        }
        if text(a, "StateProvince").is_empty() && text(a, "State").is_empty() {
            return Err(fail(
                code,
                &format!("{level} StateProvince"),
                "",
                format!("{key} StateProvince is missing or invalid."),
            ));
        }
        if text(a, "CountryCode").len() != 2 {
            return Err(fail(
                "8005",
                &format!("{level} CountryCode"),
                "",
                "Country code is missing or invalid.",
            ));
        }
    }
    let lines = po
        .get("LineItem")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if lines.is_empty() {
        return Err(fail(
            "5000",
            "LineItem",
            "",
            "The purchase order has no line items.",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for l in lines {
        let l = l.as_object().cloned().unwrap_or_default();
        let ext = text(&l, "ExternalID");
        for k in ["ExternalID", "LineNumber", "Quantity", "UnitPrice"] {
            if text(&l, k).is_empty() {
                return Err(fail(
                    "8000",
                    &format!("LineItem {k}"),
                    &ext,
                    format!("Required field {k} is missing."),
                ));
            }
        }
        if !seen.insert(ext.clone()) {
            return Err(fail(
                "5600",
                "LineItem ExternalID",
                &ext,
                format!("Line item ExternalID {ext} is not unique in the purchase order."),
            ));
        }
        let (et, ac) = (text(&l, "ExpenseType"), text(&l, "AccountCode"));
        if et.is_empty() == ac.is_empty() {
            return Err(fail(
                "5001",
                "LineItem ExpenseType",
                &ext,
                "A line item needs an ExpenseType or an AccountCode, not both.",
            ));
        }
        let mut nums = BTreeMap::new();
        for k in ["Quantity", "UnitPrice", "Tax", "LineNumber"] {
            match num(&l, k) {
                Some(Err(())) => {
                    return Err(fail(
                        "8002",
                        &format!("LineItem {k}"),
                        &ext,
                        format!("{k} is not a number."),
                    ));
                }
                Some(Ok(d)) => {
                    nums.insert(k, d);
                }
                None => {}
            }
        }
        let price = nums.get("UnitPrice").copied().unwrap_or_default();
        let total = nums.get("Quantity").copied().unwrap_or_default() * price;
        if let Some(t) = nums.get("Tax")
            && !t.is_zero()
            && !price.is_zero()
            && t.is_sign_negative() != price.is_sign_negative()
        {
            return Err(fail(
                "5004",
                "LineItem Tax",
                &ext,
                "Line item tax and unit price must have the same sign.",
            ));
        }
        if total.is_zero() {
            return Err(fail(
                "5007",
                "LineItem UnitPrice",
                &ext,
                "Line item total amount cannot be zero.",
            ));
        }
        let allocs = l
            .get("Allocation")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut sum = Decimal::ZERO;
        for a in allocs {
            let a = a.as_object().cloned().unwrap_or_default();
            let amount = match num(&a, "Amount") {
                None => {
                    return Err(fail(
                        "8000",
                        "Allocation Amount",
                        &ext,
                        "Required field Amount is missing.",
                    ));
                }
                Some(Err(())) => {
                    return Err(fail(
                        "8002",
                        "Allocation Amount",
                        &ext,
                        "Amount is not a number.",
                    ));
                }
                Some(Ok(d)) => d,
            };
            if amount.is_zero() {
                return Err(fail(
                    "5503",
                    "Allocation Amount",
                    &ext,
                    "Distributions cannot be zero.",
                ));
            }
            if amount.is_sign_negative() != total.is_sign_negative() {
                return Err(fail(
                    "5502",
                    "Allocation Amount",
                    &ext,
                    "Distributions must match the sign of the line amount.",
                ));
            }
            sum += amount;
        }
        if sum.abs() > total.abs() {
            return Err(fail(
                "5501",
                "Allocation Amount",
                &ext,
                "Allocation amounts exceed the line item total.",
            ));
        }
    }
    Ok(())
}

fn one_po(body: &Bytes) -> Result<Map<String, Value>, Fail> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        fail(
            "9999",
            "",
            "",
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    match v {
        Value::Object(m) if m.contains_key("PurchaseOrderNumber") => Ok(m),
        Value::Object(m) => match m.get("PurchaseOrder") {
            Some(Value::Array(a)) if a.len() != 1 => Err(fail(
                "9999",
                "",
                "",
                "Batch processing is not available using the Purchase Order API. Please use Import Jobs for batch updates.",
            )),
            Some(Value::Array(a)) => Ok(a[0].as_object().cloned().unwrap_or_default()),
            Some(Value::Object(o)) => Ok(o.clone()),
            _ => Ok(m),
        },
        Value::Array(_) => Err(fail(
            "9999",
            "",
            "",
            "Batch processing is not available using the Purchase Order API. Please use Import Jobs for batch updates.",
        )),
        _ => Err(fail(
            "9999",
            "",
            "",
            "The request body is not a purchase order.",
        )),
    }
}

fn write_po(s: &SharedRef, headers: &HeaderMap, body: &Bytes, create: bool) -> Response {
    if let Err(r) = authorize(s, headers, false) {
        return r;
    }
    let base = s.base.clone();
    with_store(s, |st, cfg| {
        let mut po = match one_po(body) {
            Ok(p) => p,
            Err(f) => return result(false, "", Some(f)),
        };
        let number = text(&po, "PurchaseOrderNumber");
        if let Err(f) = validate(cfg, &st.vendors, &po) {
            return result(false, &number, Some(f));
        }
        let exists = st.orders.pos.contains_key(&number);
        if create && exists && !cfg.po_post_upserts {
            return result(
                false,
                &number,
                Some(fail(
                    "",
                    "Header PurchaseOrderNumber",
                    "",
                    "Purchase Order Cannot be created as it does exist in system",
                )),
            );
        }
        if !create && !exists {
            return result(
                false,
                &number,
                Some(fail(
                    "",
                    "Header PurchaseOrderNumber",
                    "",
                    "Purchase Order Cannot be updated as it does not exist in system",
                )),
            );
        }
        if let Some(old) = st.orders.pos.get(&number)
            && text(old, "PolicyExternalID") != text(&po, "PolicyExternalID")
        {
            return result(
                false,
                &number,
                Some(fail(
                    "4002",
                    "Header PolicyExternalID",
                    "",
                    "The policy cannot be changed on the purchase order.",
                )),
            );
        }
        // Received flags set by receipt confirmations survive an update of the line.
        let received: BTreeMap<String, Map<String, Value>> = st
            .orders
            .pos
            .get(&number)
            .and_then(|o| o.get("LineItem").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|l| {
                let l = l.as_object()?.clone();
                let keep: Map<String, Value> = l
                    .iter()
                    .filter(|(k, _)| {
                        matches!(
                            k.as_str(),
                            "IsReceived" | "ReceivedDate" | "ReceivedQuantity"
                        )
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                (!keep.is_empty()).then(|| (text(&l, "ExternalID"), keep))
            })
            .collect();
        if let Some(Value::Array(lines)) = po.get_mut("LineItem") {
            for l in lines.iter_mut() {
                if let Some(o) = l.as_object_mut()
                    && let Some(keep) = received.get(&text(o, "ExternalID"))
                {
                    o.extend(keep.clone());
                }
            }
        }
        if !exists {
            st.orders.seq += 1;
        }
        po.insert("ID".into(), json!(number));
        po.insert(
            "URI".into(),
            json!(format!("{base}/api/v3.0/invoice/purchaseorders/{number}")),
        );
        if text(&po, "Status").is_empty() {
            po.insert("Status".into(), json!("Transmitted"));
        }
        st.orders.pos.insert(number.clone(), po);
        result(true, &number, None)
    })
}

async fn post_po(State(s): State<SharedRef>, headers: HeaderMap, body: Bytes) -> Response {
    write_po(&s, &headers, &body, true)
}

async fn put_po(State(s): State<SharedRef>, headers: HeaderMap, body: Bytes) -> Response {
    write_po(&s, &headers, &body, false)
}

async fn get_po(
    State(s): State<SharedRef>,
    Path(number): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers, false) {
        return r;
    }
    with_store(&s, |st, cfg| match st.orders.pos.get(&number) {
        Some(po) => json(StatusCode::OK, Value::Object(po.clone())),
        None => crate::routes::xml_error(cfg.po_missing_status, "Purchase order not found."),
    })
}

// ---- receipts ------------------------------------------------------------------------

/// The PO line a receipt names: `Err` the failure.
fn line_of<'a>(st: &'a Orders, r: &Map<String, Value>) -> Result<(&'a Record, Record), Fail> {
    let number = text(r, "PurchaseOrderNumber");
    let Some(po) = st.pos.get(&number) else {
        return Err(fail(
            "1000",
            "PurchaseOrderNumber",
            "",
            format!("Purchase order {number:?} is missing or invalid."),
        ));
    };
    let ext = text(r, "LineItemExternalID");
    let line = po.get("LineItem").and_then(Value::as_array).and_then(|ls| {
        ls.iter()
            .filter_map(Value::as_object)
            .find(|l| text(l, "ExternalID") == ext && !ext.is_empty())
    });
    match line {
        Some(l) => Ok((po, l.clone())),
        None => Err(fail(
            "1001",
            "LineItemExternalID",
            &ext,
            format!("Line item external id {ext:?} is missing or invalid."),
        )),
    }
}

fn check_receipt(cfg: &MasterDataConfig, st: &Orders, r: &Map<String, Value>) -> Result<(), Fail> {
    let (po, line) = line_of(st, r)?;
    let ext = text(r, "LineItemExternalID");
    if cfg.closed_refuses_receipts && text(po, "Status").eq_ignore_ascii_case("closed") {
        return Err(fail(
            "9999",
            "PurchaseOrderNumber",
            &ext,
            "The purchase order is closed.",
        ));
    }
    let qty = text(r, "ReceivedQuantity");
    if !qty.is_empty() && Decimal::from_str(&qty).is_err() {
        return Err(fail(
            "1003",
            "ReceivedQuantity",
            &ext,
            "Received quantity is invalid.",
        ));
    }
    let date = text(r, "ReceivedDate");
    if !date.is_empty() && !date_ok(&date) {
        return Err(fail(
            "1004",
            "ReceivedDate",
            &ext,
            "Received date must be YYYY-MM-DD.",
        ));
    }
    if text(r, "UnitOfMeasureCode").chars().count() >= 10 {
        return Err(fail(
            "1005",
            "UnitOfMeasureCode",
            &ext,
            "Unit of measure code is invalid.",
        ));
    }
    let rtype = text(&line, "PurchaseOrderReceiptType");
    if matches!(rtype.as_str(), "WQTY" | "QUANTITY_RECEIPT") && qty.is_empty() {
        return Err(fail(
            "1006",
            "ReceivedQuantity",
            &ext,
            "Received quantity is required for Receipt Type WQTY.",
        ));
    }
    Ok(())
}

fn receipt_key(r: &Map<String, Value>) -> (String, String, String) {
    (
        text(r, "PurchaseOrderNumber"),
        text(r, "LineItemExternalID"),
        text(r, "GoodsReceiptNumber"),
    )
}

fn receipt_body(body: &Bytes) -> Result<Map<String, Value>, Fail> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(fail("9999", "", "", "The request body is not a receipt.")),
        Err(e) => Err(fail(
            "9999",
            "",
            "",
            format!("The request body is not valid JSON: {e}"),
        )),
    }
}

async fn post_receipt(State(s): State<SharedRef>, headers: HeaderMap, body: Bytes) -> Response {
    write_receipt(&s, &headers, &body, true)
}

async fn put_receipt(State(s): State<SharedRef>, headers: HeaderMap, body: Bytes) -> Response {
    write_receipt(&s, &headers, &body, false)
}

fn write_receipt(s: &SharedRef, headers: &HeaderMap, body: &Bytes, create: bool) -> Response {
    if let Err(r) = authorize(s, headers, false) {
        return r;
    }
    let base = s.base.clone();
    with_store(s, |st, cfg| {
        let mut r = match receipt_body(body) {
            Ok(r) => r,
            Err(f) => return result(false, "", Some(f)),
        };
        let number = text(&r, "PurchaseOrderNumber");
        if let Err(f) = check_receipt(cfg, &st.orders, &r) {
            return result(false, &number, Some(f));
        }
        let ext = text(&r, "LineItemExternalID");
        // The receipt-confirmation schema: a received flag on the PO line.
        if !create && r.contains_key("IsReceived") && text(&r, "GoodsReceiptNumber").is_empty() {
            let flag = text(&r, "IsReceived");
            if !matches!(flag.as_str(), "" | "Y" | "N" | "y" | "n") {
                return result(
                    false,
                    &number,
                    Some(fail(
                        "1002",
                        "IsReceived",
                        &ext,
                        "IsReceived must be empty, Y or N.",
                    )),
                );
            }
            if let Some(Value::Array(lines)) = st
                .orders
                .pos
                .get_mut(&number)
                .and_then(|p| p.get_mut("LineItem"))
            {
                for l in lines.iter_mut().filter_map(Value::as_object_mut) {
                    if text(l, "ExternalID") == ext {
                        l.insert("IsReceived".into(), json!(flag.to_ascii_uppercase()));
                        for k in ["ReceivedDate", "ReceivedQuantity"] {
                            if let Some(v) = r.get(k) {
                                l.insert(k.into(), v.clone());
                            }
                        }
                    }
                }
            }
            return result(true, &number, None);
        }
        let key = receipt_key(&r);
        if key.2.is_empty() {
            return result(
                false,
                &number,
                Some(fail(
                    "10010",
                    "GoodsReceiptNumber",
                    &ext,
                    "Required field GoodsReceiptNumber is missing.",
                )),
            );
        }
        let exists = st.orders.receipts.contains_key(&key);
        if create && exists {
            return result(
                false,
                &number,
                Some(fail(
                    "9999",
                    "GoodsReceiptNumber",
                    &ext,
                    format!("Goods receipt {} already exists for this line item.", key.2),
                )),
            );
        }
        if !create && !exists {
            return result(
                false,
                &number,
                Some(fail(
                    "9999",
                    "GoodsReceiptNumber",
                    &ext,
                    format!("Goods receipt {} does not exist for this line item.", key.2),
                )),
            );
        }
        let id = match st.orders.receipts.get(&key) {
            Some(old) => text(old, "ID"),
            None => {
                st.orders.seq += 1;
                format!("GR{:010}", st.orders.seq)
            }
        };
        r.insert("ID".into(), json!(id));
        r.insert(
            "URI".into(),
            json!(format!(
                "{base}/api/v3.0/invoice/purchaseorderreceipts/{id}"
            )),
        );
        r.entry("Deleted").or_insert(json!("false"));
        st.orders.receipts.insert(key, r);
        result(true, &number, None)
    })
}

async fn get_receipts(State(s): State<SharedRef>, headers: HeaderMap, uri: Uri) -> Response {
    if let Err(r) = authorize(&s, &headers, false) {
        return r;
    }
    let q = query(&uri);
    let (Some(po), Some(grn)) = (q.get("purchaseOrderNumber"), q.get("goodsReceiptNumber")) else {
        return json(
            StatusCode::BAD_REQUEST,
            json!({ "Message": "purchaseOrderNumber and goodsReceiptNumber are required." }),
        );
    };
    let line = q.get("lineItemExternalID");
    with_store(&s, |st, _| {
        let items: Vec<Value> = st
            .orders
            .receipts
            .iter()
            .filter(|((p, l, g), _)| p == po && g == grn && line.is_none_or(|x| x == l))
            .take(RECEIPTS_MAX)
            .map(|(_, r)| Value::Object(r.clone()))
            .collect();
        let n = items.len();
        json(
            StatusCode::OK,
            json!({ "Items": items, "NextPage": "", "TotalCount": n, "Info": "" }),
        )
    })
}

async fn delete_receipt(State(s): State<SharedRef>, headers: HeaderMap, uri: Uri) -> Response {
    if let Err(r) = authorize(&s, &headers, false) {
        return r;
    }
    let q = query(&uri);
    let (Some(po), Some(grn)) = (q.get("purchaseOrderNumber"), q.get("goodsReceiptNumber")) else {
        return json(
            StatusCode::BAD_REQUEST,
            json!({ "Message": "purchaseOrderNumber and goodsReceiptNumber are required." }),
        );
    };
    let line = q.get("lineItemExternalID");
    with_store(&s, |st, cfg| {
        let hits: Vec<(String, String, String)> = st
            .orders
            .receipts
            .keys()
            .filter(|(p, l, g)| p == po && g == grn && line.is_none_or(|x| x == l))
            .cloned()
            .collect();
        if hits.len() != 1 {
            return result(
                false,
                po,
                Some(fail(
                    "9999",
                    "GoodsReceiptNumber",
                    "",
                    format!("{} receipts match; exactly one must.", hits.len()),
                )),
            );
        }
        if cfg.matched_receipts.iter().any(|m| *m == hits[0].2) {
            return result(
                false,
                po,
                Some(fail(
                    "9999",
                    "GoodsReceiptNumber",
                    &hits[0].1,
                    "The receipt is matched to a payment request and cannot be deleted.",
                )),
            );
        }
        st.orders.receipts.remove(&hits[0]);
        result(true, po, None)
    })
}

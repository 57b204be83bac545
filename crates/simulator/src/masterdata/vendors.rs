//! Invoice vendors, Vendor v3.1: `GET` (filters, `limit` ≤ 1000, opaque `offset`,
//! `NextPage`, `TotalCount`), `POST` / `PUT` of a VendorCollection answered HTTP 200 with a
//! per-record `StatusList`, and `DELETE ?vendorCode=&addressCode=`. Records are keyed by
//! VendorCode + AddressCode; v3.1 requires CountryCode and CurrencyCode (and State for a
//! configurable set of countries). The v3.0 path answers "decommissioned".

use super::{MasterDataConfig, authorize, json, query, with_store};
use crate::state::SharedRef;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Most vendors a GET returns per page.
pub const LIMIT_MAX: usize = 1000;

/// One vendor address as a test reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorSnapshot {
    /// `VendorCode`.
    pub vendor_code: String,
    /// `AddressCode`.
    pub address_code: String,
    /// Every field held (strings), `ID` and `URI` included.
    pub fields: BTreeMap<String, String>,
}

/// Every vendor address, keyed by (VendorCode, AddressCode).
#[derive(Default)]
pub(crate) struct Vendors {
    recs: BTreeMap<(String, String), Map<String, Value>>,
    seq: u64,
}

impl Vendors {
    pub(crate) fn snapshot(&self) -> Vec<VendorSnapshot> {
        self.recs
            .iter()
            .map(|((c, a), m)| VendorSnapshot {
                vendor_code: c.clone(),
                address_code: a.clone(),
                fields: m.iter().map(|(k, v)| (k.clone(), as_text(v))).collect(),
            })
            .collect()
    }

    /// Adds a vendor that exists at start.
    pub(crate) fn seed(&mut self, v: &Map<String, Value>) {
        let text = |k: &str| v.get(k).map(as_text).unwrap_or_default();
        self.seq += 1;
        let mut m: Map<String, Value> = v
            .iter()
            .map(|(k, x)| (k.clone(), Value::String(as_text(x))))
            .collect();
        m.insert(
            "ID".into(),
            json!(format!("{:016X}", 0x7E5D_0000_0000u64 + self.seq)),
        );
        self.recs
            .insert((text("VendorCode"), text("AddressCode")), m);
    }

    /// Whether (code, address) exists (PO error 2000 checks it).
    pub(crate) fn exists(&self, code: &str, address: &str) -> bool {
        self.recs
            .contains_key(&(code.to_owned(), address.to_owned()))
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn routes(r: Router<SharedRef>) -> Router<SharedRef> {
    r.route(
        "/api/v3.1/invoice/vendors",
        axum::routing::get(get_vendors)
            .post(post_vendors)
            .put(put_vendors)
            .delete(delete_vendor),
    )
    .route(
        "/api/v3.0/invoice/vendors",
        axum::routing::any(decommissioned),
    )
}

fn message(status: u16, msg: &str) -> Response {
    json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({ "Message": msg }),
    )
}

async fn decommissioned(State(s): State<SharedRef>) -> Response {
    crate::routes::xml_error(
        s.cfg.masterdata.vendor_v30_status,
        "Vendor v3.0 was decommissioned on 2023-11-30; use /api/v3.1/invoice/vendors.",
    )
}

async fn get_vendors(State(s): State<SharedRef>, headers: HeaderMap, uri: Uri) -> Response {
    if let Err(r) = authorize(&s, &headers, false) {
        return r;
    }
    let q = query(&uri);
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 25,
        Some(Ok(n)) if (1..=LIMIT_MAX).contains(&n) => n,
        Some(Ok(n)) if n > LIMIT_MAX && s.cfg.masterdata.vendor_limit_clamp => LIMIT_MAX,
        _ => {
            return message(
                400,
                &format!("limit must be a number between 1 and {LIMIT_MAX}"),
            );
        }
    };
    let offset = match q
        .get("offset")
        .map(|o| o.strip_prefix("vo").map(str::parse))
    {
        None => 0usize,
        Some(Some(Ok(n))) => n,
        _ => return message(400, "offset is invalid"),
    };
    let search = q.get("searchType").map(String::as_str).unwrap_or("exact");
    let filters: Vec<(&str, &String)> = [
        ("vendorCode", "VendorCode"),
        ("addressCode", "AddressCode"),
        ("vendorName", "VendorName"),
        ("taxID", "TaxID"),
        ("city", "City"),
        ("country", "CountryCode"),
    ]
    .into_iter()
    .filter_map(|(p, f)| q.get(p).map(|v| (f, v)))
    .collect();
    let base = s.base.clone();
    with_store(&s, |st, cfg| {
        let mut hits: Vec<&Map<String, Value>> = st
            .vendors
            .recs
            .values()
            .filter(|m| {
                filters.iter().all(|(f, want)| {
                    let have = m.get(*f).map(as_text).unwrap_or_default();
                    match search {
                        "begins" => have.starts_with(want.as_str()),
                        "contains" => have.contains(want.as_str()),
                        "ends" => have.ends_with(want.as_str()),
                        _ => have == **want,
                    }
                })
            })
            .collect();
        let text = |m: &Map<String, Value>, k: &str| m.get(k).map(as_text).unwrap_or_default();
        hits.sort_by_key(|m| {
            (
                text(m, "VendorName"),
                text(m, "VendorCode"),
                text(m, "AddressCode"),
            )
        });
        if q.get("sortDirection").is_some_and(|d| d == "desc") {
            hits.reverse();
        }
        let total = hits.len();
        let page: Vec<Value> = hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(|m| Value::Object((*m).clone()))
            .collect();
        let next = if offset + limit < total {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &q {
                if k != "offset" && k != "limit" {
                    ser.append_pair(k, v);
                }
            }
            ser.append_pair("limit", &limit.to_string());
            ser.append_pair("offset", &format!("vo{}", offset + limit));
            let path = format!("{}?{}", uri.path(), ser.finish());
            if cfg.relative_links {
                path
            } else {
                format!("{base}{path}")
            }
        } else {
            String::new()
        };
        json(
            StatusCode::OK,
            json!({ "Vendor": page, "Items": [], "NextPage": next, "RequestRunSummary": "", "TotalCount": total }),
        )
    })
}

/// The records of a VendorCollection body.
#[allow(clippy::result_large_err)]
fn records(body: &Bytes, cfg: &MasterDataConfig) -> Result<Vec<Map<String, Value>>, Response> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| message(400, &format!("The request body is not valid JSON: {e}")))?;
    let Some(list) = v.get("Vendor").and_then(Value::as_array) else {
        return Err(message(400, "The request has no Vendor array."));
    };
    if list.is_empty() || list.len() > cfg.vendor_batch_max {
        return Err(message(
            400,
            &format!(
                "A request must carry between 1 and {} vendors.",
                cfg.vendor_batch_max
            ),
        ));
    }
    Ok(list
        .iter()
        .map(|r| r.as_object().cloned().unwrap_or_default())
        .collect())
}

/// Why a vendor record is refused: the message of its `StatusList`.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("Required field {0} is missing.")]
    Missing(&'static str),
    #[error("CountryCode {0} is invalid.")]
    Country(String),
    #[error("CurrencyCode {0} is invalid.")]
    Currency(String),
    #[error("Required field State is missing (required for country {0}).")]
    State(String),
    #[error("Vendor {0} with address {1} already exists.")]
    Exists(String, String),
    #[error("Vendor {0} with address {1} does not exist.")]
    Absent(String, String),
}

/// Checks one record against v3.1's required fields; its key (vendor and address code).
fn check(cfg: &MasterDataConfig, r: &Map<String, Value>) -> Result<(String, String), Refused> {
    let text = |k: &str| r.get(k).map(as_text).unwrap_or_default();
    for k in ["VendorCode", "AddressCode", "CountryCode", "CurrencyCode"] {
        if text(k).trim().is_empty() {
            return Err(Refused::Missing(k));
        }
    }
    let country = text("CountryCode");
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Refused::Country(country));
    }
    let currency = text("CurrencyCode");
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Refused::Currency(currency));
    }
    if cfg.vendor_state_countries.contains(&country) && text("State").trim().is_empty() {
        return Err(Refused::State(country));
    }
    Ok((text("VendorCode"), text("AddressCode")))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Update,
}

fn status(cfg: &MasterDataConfig, n: usize, ok: bool, msg: &str) -> Value {
    json!({
        "Code": if ok { 0 } else { 1 },
        "Message": msg,
        "RecordNumber": n,
        "Type": if ok { "SUCCESS" } else { cfg.vendor_failure_type.as_str() },
    })
}

fn write(s: &SharedRef, headers: &HeaderMap, body: &Bytes, how: Write) -> Response {
    if let Err(r) = authorize(s, headers, false) {
        return r;
    }
    let base = s.base.clone();
    with_store(s, |st, cfg| {
        let recs = match records(body, cfg) {
            Ok(r) => r,
            Err(r) => return r,
        };
        let mut out = Vec::new();
        let (mut good, mut bad) = (0, 0);
        for (i, mut r) in recs.into_iter().enumerate() {
            let n = i + 1;
            let key = match check(cfg, &r) {
                Ok(k) => k,
                Err(why) => {
                    bad += 1;
                    let msg = why.to_string();
                    r.insert("StatusList".into(), json!([status(cfg, n, false, &msg)]));
                    out.push(Value::Object(r));
                    continue;
                }
            };
            r.remove("StatusList");
            r.remove("ID");
            r.remove("URI");
            let exists = st.vendors.recs.contains_key(&key);
            let verdict = match (how, exists) {
                (Write::Create, true) if !cfg.vendor_create_updates => {
                    Err(Refused::Exists(key.0.clone(), key.1.clone()))
                }
                (Write::Update, false) if !cfg.vendor_update_creates => {
                    Err(Refused::Absent(key.0.clone(), key.1.clone()))
                }
                _ => Ok(()),
            };
            match verdict {
                Err(why) => {
                    bad += 1;
                    let msg = why.to_string();
                    r.insert("StatusList".into(), json!([status(cfg, n, false, &msg)]));
                }
                Ok(()) => {
                    good += 1;
                    let held = st.vendors.recs.entry(key.clone()).or_insert_with(|| {
                        let mut m = Map::new();
                        st.vendors.seq += 1;
                        let id = format!("{:016X}", 0x7E5D_0000_0000u64 + st.vendors.seq);
                        m.insert(
                            "URI".into(),
                            json!(format!("{base}/api/v3.1/invoice/vendors/{id}")),
                        );
                        m.insert("ID".into(), json!(id));
                        m
                    });
                    for (k, v) in &r {
                        held.insert(k.clone(), Value::String(as_text(v)));
                    }
                    let mut echo = held.clone();
                    echo.insert(
                        "StatusList".into(),
                        json!([status(cfg, n, true, "Vendor saved.")]),
                    );
                    out.push(Value::Object(echo));
                    continue;
                }
            }
            out.push(Value::Object(r));
        }
        json(
            StatusCode::OK,
            json!({
                "Vendor": out,
                "Items": [],
                "NextPage": "",
                "RequestRunSummary": format!("{good} succeeded, {bad} failed"),
                "TotalCount": good + bad,
            }),
        )
    })
}

async fn post_vendors(State(s): State<SharedRef>, headers: HeaderMap, body: Bytes) -> Response {
    write(&s, &headers, &body, Write::Create)
}

async fn put_vendors(State(s): State<SharedRef>, headers: HeaderMap, body: Bytes) -> Response {
    write(&s, &headers, &body, Write::Update)
}

async fn delete_vendor(State(s): State<SharedRef>, headers: HeaderMap, uri: Uri) -> Response {
    if let Err(r) = authorize(&s, &headers, false) {
        return r;
    }
    let q = query(&uri);
    let (Some(code), Some(addr)) = (q.get("vendorCode"), q.get("addressCode")) else {
        return message(400, "vendorCode and addressCode are both required.");
    };
    with_store(&s, |st, cfg| {
        let gone = st.vendors.recs.remove(&(code.clone(), addr.clone()));
        let (ok, msg) = if gone.is_some() {
            (true, "Vendor deleted.".to_owned())
        } else {
            (
                false,
                format!("Vendor {code} with address {addr} does not exist."),
            )
        };
        json(
            StatusCode::OK,
            json!({
                "Vendor": [{ "VendorCode": code, "AddressCode": addr, "StatusList": [status(cfg, 1, ok, &msg)] }],
                "Items": [], "NextPage": "", "RequestRunSummary": "", "TotalCount": 1,
            }),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::{Refused, check};
    use crate::masterdata::MasterDataConfig;
    use serde_json::{Value, json};

    fn record(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_record_is_checked_with_v31s_messages() {
        let cfg = MasterDataConfig::default();
        let ok = json!({"VendorCode": "V1", "AddressCode": "A1", "CountryCode": "DE", "CurrencyCode": "EUR"});
        assert_eq!(
            check(&cfg, &record(ok.clone())).unwrap(),
            ("V1".to_owned(), "A1".to_owned())
        );
        let mut missing = ok.clone();
        missing["AddressCode"] = json!(" ");
        let mut country = ok.clone();
        country["CountryCode"] = json!("de");
        let mut currency = ok;
        currency["CurrencyCode"] = json!("EURO");
        for (r, message) in [
            (missing, "Required field AddressCode is missing."),
            (country, "CountryCode de is invalid."),
            (currency, "CurrencyCode EURO is invalid."),
        ] {
            assert_eq!(check(&cfg, &record(r)).unwrap_err().to_string(), message);
        }
        assert_eq!(
            Refused::State("US".into()).to_string(),
            "Required field State is missing (required for country US)."
        );
        assert_eq!(
            Refused::Exists("V1".into(), "A1".into()).to_string(),
            "Vendor V1 with address A1 already exists."
        );
        assert_eq!(
            Refused::Absent("V1".into(), "A1".into()).to_string(),
            "Vendor V1 with address A1 does not exist."
        );
    }
}

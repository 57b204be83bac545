//! Financial Integration Service v4 (`concur-api.md` §6, `concur-master-data.md` §6): a
//! queue of documents per document type, served to a company token, with the documented
//! lifecycle and service codes.
//!
//! * `GET .../transactiontypes/{docType}/transactions`: the READY documents (0-based
//!   `page`, `limit` default 25, at most 100), `docId` + `ignoreDocumentStatus=yes`,
//!   `DocumentFormatAs: text|json` (the payload as a JSON string or an object); the v4
//!   page (`links` first/self/next/last, `content`, `page`), or the v1 wrapper
//!   (`fIDocuments`, `offset`, `nextPage`, `numberReturned`) with [`FisConfig::v1`];
//! * `POST .../acknowledgements`: READY -> ACKNOWLEDGED (0), 101 already acknowledged, 102
//!   recalled, 103 not ready, 104 not found, 105 wrong type, 99 `systemId` mismatch, 198 a
//!   request without `ids` or `systemId`;
//! * `POST .../postingconfirmations`: ACKNOWLEDGED -> POSTING_CONFIRMED_SUCCESS |
//!   POSTING_CONFIRMED_FAILURE (a failure re-queues the report as a new READY document
//!   with a new id); 111 NOT_YET_ACKNOWLEDGED, 112 WAS_RECALLED, 113 already confirmed,
//!   115 wrong type, 116 DOCUMENT_NOT_FOUND, 99;
//! * `POST .../paymentconfirmations` (expense only): POSTING_CONFIRMED_SUCCESS ->
//!   PAYMENT_CONFIRMED_SUCCESS; a repeated `paymentRef` is NOOP (213), a payment before a
//!   successful posting NOT_POSTING_CONFIRMED, an unknown status code 298;
//! * admin: `GET /_admin/fis` (every document and its status), `POST
//!   /_admin/fis/recall/{docId}` (a processor recalls a report), `POST /_admin/fis/documents`
//!   (queue more documents: any FIS input shape).
//!
//! Documents come from [`FisConfig::documents_dir`] (every `.json` / `.jsonl` file in it, in
//! any FIS shape: the official examples work as they are, each queued READY) or, without
//! one, from [`FisConfig::generated`] small generated expense reports.

use crate::state::SharedRef;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;

/// Path prefix of the v4 API.
pub const FIS_BASE: &str = "/financialintegration/fi/v4/companies/transactiontypes";

/// The document types the API knows.
pub const DOC_TYPES: &[&str] = &[
    "expense",
    "invoice",
    "cashadvance",
    "payroll",
    "obligation",
    "requestobligation",
    "reportobligation",
];

/// FIS settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FisConfig {
    /// Queue the documents of every `.json` / `.jsonl` file in this directory.
    pub documents_dir: Option<PathBuf>,
    /// Without `documents_dir`: this many generated expense reports.
    pub generated: u32,
    /// Serve the legacy v1 wrapper instead of the v4 page.
    pub v1: bool,
    /// The ERP system id the company expects; another `systemId` is refused (code 99).
    /// `None` accepts any on acknowledgement and holds the document to it afterwards.
    pub system_id: Option<String>,
    /// A failure confirmation re-queues the report as a new document (Concur does once the
    /// processor has fixed it).
    pub requeue_failed: bool,
    /// Serve payloads as text (a JSON string) when a GET has no `DocumentFormatAs` header.
    /// Concur documents the header but not its default; off serves objects.
    pub text_without_header: bool,
}

impl Default for FisConfig {
    fn default() -> Self {
        FisConfig {
            documents_dir: None,
            generated: 3,
            v1: false,
            system_id: None,
            requeue_failed: true,
            text_without_header: false,
        }
    }
}

/// One queued document.
#[derive(Debug, Clone, Serialize)]
pub struct FisDoc {
    /// 32 hex digits.
    pub id: String,
    /// `expense`, `invoice`, `cashadvance` ...
    pub doc_type: String,
    /// The report (expense), request (invoice) or advance id, when the payload names one.
    pub report_id: Option<String>,
    /// The payload.
    #[serde(skip)]
    pub document: Value,
    /// `READY`, `ACKNOWLEDGED`, `RECALLED`, `POSTING_CONFIRMED_SUCCESS` ...
    pub status: String,
    /// The `systemId` that acknowledged it.
    pub system_id: Option<String>,
    /// The ERP document numbers of a successful posting confirmation.
    pub erp_documents: Vec<String>,
    /// Payment references confirmed.
    pub payment_refs: Vec<String>,
    /// The document this one re-queues (after a failed posting).
    pub requeued_from: Option<String>,
}

/// The queues.
#[derive(Debug, Default)]
pub struct FisState {
    /// Every document, in queue order.
    pub docs: Vec<FisDoc>,
    seq: u64,
}

impl FisState {
    /// The initial queues of `cfg`.
    pub fn new(cfg: &FisConfig, company: &str) -> FisState {
        let mut s = FisState::default();
        match &cfg.documents_dir {
            Some(dir) => {
                let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                    .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                    .unwrap_or_default();
                files.retain(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"));
                files.sort();
                for f in files {
                    if let Ok(text) = std::fs::read_to_string(&f) {
                        s.add_text(&text);
                    }
                }
            }
            None => {
                for n in 1..=cfg.generated {
                    let doc = generated(n, company);
                    s.add(doc);
                }
            }
        }
        s
    }

    fn next_id(&mut self) -> String {
        self.seq += 1;
        format!(
            "{:016x}{:016x}",
            0x5e1f_4c0a_9d1b_0000u64 + self.seq,
            self.seq * 0x9E37_79B9
        )
    }

    /// Queues every document of a FIS input (any shape), READY. Returns how many.
    pub fn add_text(&mut self, text: &str) -> usize {
        let mut n = 0;
        for v in serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .flatten()
        {
            n += self.add(v);
        }
        n
    }

    /// Queues the documents of one JSON value (a page, a list, a document, a payload).
    pub fn add(&mut self, v: Value) -> usize {
        let items: Vec<Value> = match v {
            Value::Array(a) => a,
            Value::Object(mut o) => {
                if let Some(Value::Array(a)) = o.remove("fIDocuments") {
                    a
                } else if let Some(Value::Array(a)) = o.remove("content") {
                    a
                } else {
                    vec![Value::Object(o)]
                }
            }
            _ => Vec::new(),
        };
        let mut n = 0;
        for item in items {
            let Value::Object(mut o) = item else { continue };
            let document = match o.remove("document") {
                Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::Null),
                Some(d) => d,
                None => Value::Object(o.clone()),
            };
            let doc_type = o
                .get("docType")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .unwrap_or_else(|| infer_type(&document).into());
            let id = match o.get("id").and_then(Value::as_str) {
                Some(id) if !self.docs.iter().any(|d| d.id == id) => id.to_owned(),
                _ => self.next_id(),
            };
            let report_id = report_id(&document);
            self.docs.push(FisDoc {
                id,
                doc_type,
                report_id,
                document,
                status: "READY".into(),
                system_id: None,
                erp_documents: Vec::new(),
                payment_refs: Vec::new(),
                requeued_from: None,
            });
            n += 1;
        }
        n
    }
}

fn infer_type(d: &Value) -> &'static str {
    if d.get("cashAdvanceData").is_some() {
        "cashadvance"
    } else if d.get("requestHeader").is_some() {
        "invoice"
    } else {
        "expense"
    }
}

fn report_id(d: &Value) -> Option<String> {
    let s = |v: Option<&Value>| {
        v.and_then(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    s(d.pointer("/report/reportId"))
        .or_else(|| s(d.pointer("/requestHeader/requestId")))
        .or_else(|| s(d.pointer("/cashAdvanceData/cashAdvanceId")))
}

/// Queues the reports of the Expense entries posted since the last look (`POST
/// .../report/{id}/entry`) as READY expense documents, one per report, dated today; those
/// reports take no more entries.
fn queue_posted_entries(s: &SharedRef) {
    let posted = s.take_entries_for_fis();
    if posted.is_empty() {
        return;
    }
    let today = crate::state::day_of(crate::state::now_unix());
    let mut st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    for doc in ledgerline_generate::entries::fis_documents(&posted, today) {
        st.add(doc);
    }
}

/// A small expense report: a cash taxi and a hotel on an IBCP card.
fn generated(n: u32, company: &str) -> Value {
    let report = format!("SIMFIS{n:014}");
    let taxi = 10 + n;
    json!({
        "id": format!("{:032x}", 0xf15_0000u64 + u64::from(n)),
        "docType": "expense",
        "companyUuid": company,
        "docStatus": "READY",
        "document": {
            "employee": {"employeeId": format!("E{n:04}"), "employeeFirstName": "Sam", "employeeLastName": format!("Simulated{n}")},
            "report": {"reportId": report, "reportKey": n, "reportName": format!("Simulated trip {n}"),
                       "employeeCurrencyAlphaCode": "USD", "reportSubmitDate": "2024-05-02T08:00:00.000Z",
                       "totalApprovedAmount": taxi + 120},
            "expenseEntry": [
                {"entryId": format!("T{n}"), "expenseTypeName": "Taxi", "entryApprovedAmount": taxi, "entryIsPersonal": "N",
                 "reportEntryPatKey": "CASH", "entryDate": "2024-04-29T00:00:00.000Z",
                 "allocation": [{"allocationPercentage": 100, "journal": [
                     {"journalPayer": "COMP", "journalPayee": "EMPL", "journalAccountCode": "6100", "amountGross": taxi}]}]},
                {"entryId": format!("H{n}"), "expenseTypeName": "Hotel", "entryApprovedAmount": 120, "entryIsPersonal": "N",
                 "reportEntryPatKey": "IBCP", "entryDate": "2024-04-29T00:00:00.000Z",
                 "allocation": [{"allocationPercentage": 100, "journal": [
                     {"journalPayer": "COMP", "journalPayee": "IBCP", "journalAccountCode": "6200", "amountGross": 120}]}]}
            ],
            "cashAdvanceApplication": []
        }
    })
}

/// Route names for counters and faults.
pub(crate) fn classify(method: &str, path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix(FIS_BASE)?;
    Some(if method == "GET" {
        "fis_get"
    } else if rest.ends_with("/acknowledgements") {
        "fis_ack"
    } else if rest.ends_with("/postingconfirmations") {
        "fis_posting"
    } else if rest.ends_with("/paymentconfirmations") {
        "fis_payment"
    } else {
        "fis_other"
    })
}

pub(crate) fn router() -> Router<SharedRef> {
    Router::new()
        .route(&format!("{FIS_BASE}/{{doc_type}}/transactions"), get(list))
        .route(
            &format!("{FIS_BASE}/{{doc_type}}/transactions/acknowledgements"),
            post(acknowledge),
        )
        .route(
            &format!("{FIS_BASE}/{{doc_type}}/transactions/postingconfirmations"),
            post(posting),
        )
        .route(
            &format!("{FIS_BASE}/{{doc_type}}/transactions/paymentconfirmations"),
            post(payment),
        )
        .route("/_admin/fis", get(admin_list))
        .route("/_admin/fis/recall/{doc_id}", post(admin_recall))
        .route("/_admin/fis/documents", post(admin_add))
}

fn json_response(status: StatusCode, v: Value) -> Response {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

fn message(status: u16, text: &str) -> Response {
    json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({ "message": text }),
    )
}

/// FIS wants a company token (scope FISVC).
#[allow(clippy::result_large_err)]
fn authorize(s: &SharedRef, h: &HeaderMap) -> Result<(), Response> {
    crate::routes::authorize_company(s, h, || {
        message(
            403,
            "The Financial Integration Service needs a company token (scope FISVC).",
        )
    })
}

#[allow(clippy::result_large_err)]
fn known_type(doc_type: &str) -> Result<String, Response> {
    let t = doc_type.to_ascii_lowercase();
    if DOC_TYPES.contains(&t.as_str()) {
        Ok(t)
    } else {
        Err(message(
            400,
            &format!("docType {doc_type} is not one of {}", DOC_TYPES.join(", ")),
        ))
    }
}

fn query(uri: &Uri) -> HashMap<String, String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn item(s: &SharedRef, d: &FisDoc, text: bool, url: &str) -> Value {
    let document = if text {
        Value::String(d.document.to_string())
    } else {
        d.document.clone()
    };
    json!({
        "id": d.id,
        "docType": d.doc_type,
        "companyId": null,
        "entityId": null,
        "companyUuid": s.cfg.company_id,
        "erpSystemId": d.system_id.clone().or_else(|| s.cfg.fis.system_id.clone()),
        "document": document,
        "docStatus": d.status,
        "links": [{"rel": "self", "href": format!("{url}?docId={}", d.id)}],
    })
}

async fn list(
    State(s): State<SharedRef>,
    Path(doc_type): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let doc_type = match known_type(&doc_type) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let q = query(&uri);
    let num = |k: &str, d: u64| -> Result<u64, String> {
        match q.get(k) {
            None => Ok(d),
            Some(v) => v.parse().map_err(|_| format!("{k} must be a number")),
        }
    };
    let (page, limit) = match (num("page", 0), num("limit", 25)) {
        (Ok(p), Ok(l)) => (p, l.clamp(1, 100)),
        (Err(m), _) | (_, Err(m)) => return message(400, &m),
    };
    if q.get("systemId").is_some_and(|v| v.len() > 50) {
        return message(400, "systemId is longer than 50 characters");
    }
    let text = match headers
        .get("DocumentFormatAs")
        .and_then(|v| v.to_str().ok())
    {
        Some(v) => v.eq_ignore_ascii_case("text"),
        None => s.cfg.fis.text_without_header,
    };
    let ignore = q
        .get("ignoreDocumentStatus")
        .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    let url = format!("{}{FIS_BASE}/{doc_type}/transactions", s.base);
    if doc_type == "expense" {
        queue_posted_entries(&s);
    }
    let st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    let ready: Vec<&FisDoc> = st
        .docs
        .iter()
        .filter(|d| d.doc_type == doc_type)
        .filter(|d| match q.get("docId") {
            Some(id) => &d.id == id && (ignore || d.status == "READY"),
            None => d.status == "READY",
        })
        .collect();
    let total = ready.len() as u64;
    let pages = total.div_ceil(limit).max(1);
    let content: Vec<Value> = ready
        .iter()
        .skip((page * limit) as usize)
        .take(limit as usize)
        .map(|d| item(&s, d, text, &url))
        .collect();
    if s.cfg.fis.v1 {
        let next = (page + 1 < pages).then(|| {
            format!(
                "/fi/v1/companies/{}/transactiontypes/{doc_type}/transactions?offset={}&limit={limit}",
                s.cfg.company_id,
                (page + 1) * limit
            )
        });
        return json_response(
            StatusCode::OK,
            json!({
                "fIDocuments": content,
                "offset": (page * limit).to_string(),
                "nextPage": next,
                "numberReturned": content.len(),
            }),
        );
    }
    let link =
        |rel: &str, p: u64| json!({"rel": rel, "href": format!("{url}?page={p}&limit={limit}")});
    let mut links = vec![link("first", 0), link("self", page)];
    if page + 1 < pages {
        links.push(link("next", page + 1));
    }
    links.push(link("last", pages - 1));
    json_response(
        StatusCode::OK,
        json!({
            "links": links,
            "content": content,
            "page": {"size": limit, "totalElements": total, "totalPages": pages, "number": page},
        }),
    )
}

fn body_json(body: &Bytes) -> Option<Value> {
    serde_json::from_slice(body).ok()
}

fn system_ok(s: &SharedRef, d: &FisDoc, system: &str) -> bool {
    match (&s.cfg.fis.system_id, &d.system_id) {
        (Some(want), _) if want != system => false,
        (_, Some(acked)) => acked == system,
        _ => true,
    }
}

async fn acknowledge(
    State(s): State<SharedRef>,
    Path(doc_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let doc_type = match known_type(&doc_type) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = body_json(&body);
    let ids: Option<Vec<String>> = req
        .as_ref()
        .and_then(|v| v.get("ids"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        });
    let system = req
        .as_ref()
        .and_then(|v| v.get("systemId"))
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_owned);
    let (Some(ids), Some(system)) = (ids, system) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!([{"code": 198, "docId": null, "systemId": null, "acknowledgeResult": "FAILURE",
                    "errorMessage": "Invalid request: ids and systemId are required; do not retry"}]),
        );
    };
    let mut st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    for id in ids {
        let (code, msg) = match st.docs.iter_mut().find(|d| d.id == id) {
            None => (104, "Document not found"),
            Some(d) if d.doc_type != doc_type => (105, "Document is of another type"),
            Some(d) if !system_ok(&s, d, &system) => (99, "systemId does not match"),
            Some(d) => match d.status.as_str() {
                "READY" => {
                    d.status = "ACKNOWLEDGED".into();
                    d.system_id = Some(system.clone());
                    (0, "")
                }
                "ACKNOWLEDGED" => (101, "Document already acknowledged"),
                "RECALLED" => (102, "Document was recalled"),
                _ => (103, "Document is not ready"),
            },
        };
        out.push(json!({
            "code": code, "docId": id, "systemId": system,
            "acknowledgeResult": if code == 0 { "SUCCESS" } else { "FAILURE" },
            "errorMessage": if code == 0 { Value::Null } else { Value::String(msg.into()) },
        }));
    }
    json_response(StatusCode::OK, Value::Array(out))
}

async fn posting(
    State(s): State<SharedRef>,
    Path(doc_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let doc_type = match known_type(&doc_type) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = body_json(&body);
    let system = req
        .as_ref()
        .and_then(|v| v.get("systemId"))
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_owned);
    let items = req
        .as_ref()
        .and_then(|v| v.get("postingConfirmations"))
        .and_then(Value::as_array)
        .cloned();
    let (Some(system), Some(items)) = (system, items) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!([{"code": 198, "docId": null, "postingConfirmationResult": "FAILURE",
                    "errorMessage": "Invalid request: systemId and postingConfirmations are required"}]),
        );
    };
    let mut st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    let mut requeue = Vec::new();
    for it in items {
        let id = it
            .get("docId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let overall = it
            .get("overallPostingStatusCode")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let (code, result, msg) = match st.docs.iter_mut().find(|d| d.id == id) {
            None => (116, "DOCUMENT_NOT_FOUND", "Document not found"),
            Some(d) if d.doc_type != doc_type => (115, "FAILURE", "Document is of another type"),
            Some(d) if !system_ok(&s, d, &system) => (99, "FAILURE", "systemId does not match"),
            Some(d) => match d.status.as_str() {
                "READY" => (
                    111,
                    "NOT_YET_ACKNOWLEDGED",
                    "Document has not been acknowledged",
                ),
                "RECALLED" => (112, "WAS_RECALLED", "Document was recalled"),
                "ACKNOWLEDGED" if overall == "success" => {
                    d.status = "POSTING_CONFIRMED_SUCCESS".into();
                    d.erp_documents = it
                        .get("postingDocs")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|p| {
                                    p.get("documentNumber")
                                        .and_then(Value::as_str)
                                        .map(str::to_owned)
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (0, "SUCCESS", "")
                }
                "ACKNOWLEDGED" if overall == "error" => {
                    d.status = "POSTING_CONFIRMED_FAILURE".into();
                    if s.cfg.fis.requeue_failed {
                        requeue.push(d.clone());
                    }
                    (0, "SUCCESS", "")
                }
                "ACKNOWLEDGED" => (
                    198,
                    "FAILURE",
                    "overallPostingStatusCode must be success or error",
                ),
                "POSTING_CONFIRMED_SUCCESS" | "POSTING_CONFIRMED_FAILURE" => {
                    (113, "FAILURE", "A posting confirmation was already posted")
                }
                _ => (114, "FAILURE", "Document is in an unknown state"),
            },
        };
        out.push(json!({
            "code": code, "docId": id, "systemId": system, "postingConfirmationResult": result,
            "errorMessage": if code == 0 { Value::Null } else { Value::String(msg.into()) },
            "detailMessage": null,
        }));
    }
    for old in requeue {
        let id = st.next_id();
        st.docs.push(FisDoc {
            id,
            status: "READY".into(),
            system_id: None,
            erp_documents: Vec::new(),
            payment_refs: Vec::new(),
            requeued_from: Some(old.id.clone()),
            ..old
        });
    }
    json_response(StatusCode::OK, Value::Array(out))
}

async fn payment(
    State(s): State<SharedRef>,
    Path(doc_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let doc_type = match known_type(&doc_type) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if doc_type != "expense" {
        return message(400, "payment confirmations are for expense documents only");
    }
    let req = body_json(&body);
    let system = req
        .as_ref()
        .and_then(|v| v.get("systemId"))
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_owned);
    let items = req
        .as_ref()
        .and_then(|v| v.get("processingConfirmation"))
        .and_then(Value::as_array)
        .cloned();
    let (Some(system), Some(items)) = (system, items) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!([{"code": 298, "docId": null, "paymentConfirmationResult": "FAILURE",
                    "errorMessage": "Invalid payment request: systemId and processingConfirmation are required"}]),
        );
    };
    let mut st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    for it in items {
        let id = it
            .get("docId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let status_code = it
            .get("processingStatusCode")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_uppercase();
        let refs: Vec<String> = it
            .get("clearingDetails")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| {
                        c.pointer("/clearingReference/paymentRef")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let first_ref = refs.first().cloned();
        let (code, result, msg) = match st.docs.iter_mut().find(|d| d.id == id) {
            None => (116, "DOCUMENT_NOT_FOUND", "Document not found"),
            Some(_) if !["CP", "PP", "RE", "OB"].contains(&status_code.as_str()) => (
                298,
                "FAILURE",
                "processingStatusCode must be CP, PP, RE or OB",
            ),
            Some(_) if refs.is_empty() => (298, "FAILURE", "a paymentRef is required"),
            Some(d) if !system_ok(&s, d, &system) => (99, "FAILURE", "systemId does not match"),
            Some(d) if refs.iter().all(|r| d.payment_refs.contains(r)) => {
                (213, "NOOP", "Payment confirmation already posted")
            }
            Some(d)
                if d.status == "POSTING_CONFIRMED_SUCCESS"
                    || d.status.starts_with("PAYMENT_CONFIRMED") =>
            {
                d.payment_refs.extend(refs.iter().cloned());
                d.status = match status_code.as_str() {
                    "CP" | "PP" => "PAYMENT_CONFIRMED_SUCCESS",
                    "RE" => "PAYMENT_CONFIRMED_REVERSED",
                    _ => "PAYMENT_CONFIRMED_OBSOLETE",
                }
                .into();
                (0, "SUCCESS", "")
            }
            Some(_) => (
                298,
                "NOT_POSTING_CONFIRMED",
                "The posting of this document was not confirmed",
            ),
        };
        out.push(json!({
            "code": code, "docId": id, "systemId": system, "paymentConfirmationResult": result,
            "errorMessage": if code == 0 { Value::Null } else { Value::String(msg.into()) },
            "paymentRef": first_ref, "detailMessage": null,
        }));
    }
    json_response(StatusCode::OK, Value::Array(out))
}

async fn admin_list(State(s): State<SharedRef>) -> Response {
    let st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    json_response(
        StatusCode::OK,
        serde_json::to_value(&st.docs).unwrap_or_default(),
    )
}

async fn admin_recall(State(s): State<SharedRef>, Path(doc_id): Path<String>) -> Response {
    let mut st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    match st.docs.iter_mut().find(|d| d.id == doc_id) {
        Some(d) if d.status == "READY" || d.status == "ACKNOWLEDGED" => {
            d.status = "RECALLED".into();
            message(200, "recalled")
        }
        Some(d) => message(
            409,
            &format!(
                "document is {}; only READY or ACKNOWLEDGED documents can be recalled",
                d.status
            ),
        ),
        None => message(404, "no such document"),
    }
}

async fn admin_add(State(s): State<SharedRef>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    let n = s
        .fis
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .add_text(&text);
    json_response(StatusCode::OK, json!({ "queued": n }))
}

impl crate::RunningSimulator {
    /// Every FIS document and its status.
    pub fn fis_documents(&self) -> Vec<FisDoc> {
        self.shared
            .fis
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .docs
            .clone()
    }

    /// A processor recalls a READY or ACKNOWLEDGED document; false when it is not one.
    pub fn fis_recall(&self, doc_id: &str) -> bool {
        let mut st = self.shared.fis.lock().unwrap_or_else(|e| e.into_inner());
        match st.docs.iter_mut().find(|d| d.id == doc_id) {
            Some(d) if d.status == "READY" || d.status == "ACKNOWLEDGED" => {
                d.status = "RECALLED".into();
                true
            }
            _ => false,
        }
    }

    /// Queues the documents of a FIS input (any shape); how many.
    pub fn fis_add(&self, text: &str) -> usize {
        self.shared
            .fis
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add_text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SimConfig, Simulator};

    fn sim(fis: FisConfig) -> crate::RunningSimulator {
        Simulator::start(
            SimConfig {
                fis,
                ..SimConfig::default()
            },
            Vec::new(),
        )
        .unwrap()
    }

    fn token(s: &crate::RunningSimulator) -> String {
        let c = s.config();
        let rt = s.request_token();
        let r = ureq::post(&format!("{}/oauth2/v0/token", s.base_url()))
            .send_form(&[
                ("grant_type", "password"),
                ("client_id", &c.client_id),
                ("client_secret", &c.client_secret),
                ("username", &c.company_id),
                ("password", &rt),
                ("credtype", "authtoken"),
            ])
            .unwrap();
        let v: Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    }

    fn call(r: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
        let (status, body) = match r {
            Ok(r) => (r.status(), r.into_string().unwrap()),
            Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap()),
            Err(e) => panic!("{e}"),
        };
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    fn get(s: &crate::RunningSimulator, t: &str, query: &str, text: bool) -> (u16, Value) {
        let mut req = ureq::get(&format!(
            "{}{FIS_BASE}/expense/transactions{query}",
            s.base_url()
        ))
        .set("Authorization", &format!("Bearer {t}"));
        if text {
            req = req.set("DocumentFormatAs", "text");
        }
        call(req.call())
    }

    fn post(
        s: &crate::RunningSimulator,
        t: &str,
        doc_type: &str,
        op: &str,
        body: Value,
    ) -> (u16, Value) {
        call(
            ureq::post(&format!(
                "{}{FIS_BASE}/{doc_type}/transactions/{op}",
                s.base_url()
            ))
            .set("Authorization", &format!("Bearer {t}"))
            .send_string(&body.to_string()),
        )
    }

    fn codes(v: &Value) -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_i64().unwrap())
            .collect()
    }

    fn post_entries(
        s: &crate::RunningSimulator,
        t: &str,
        report: &str,
        amounts: &[&str],
    ) -> String {
        let expenses: String = amounts
            .iter()
            .map(|a| {
                format!(
                    "<Expense><CrnCode>EUR</CrnCode><ExpKey>TAXIX</ExpKey><TransactionDate>2024-03-20</TransactionDate>\
                     <TransactionAmount>{a}</TransactionAmount><VendorDescription>Loopback Cabs</VendorDescription></Expense>"
                )
            })
            .collect();
        let body = format!(
            "<ReportEntries xmlns=\"http://www.concursolutions.com/api/expense/expensereport/2011/03\">{expenses}</ReportEntries>"
        );
        ureq::post(&format!(
            "{}/api/expense/expensereport/v1.1/report/{report}/entry",
            s.base_url()
        ))
        .set("Authorization", &format!("Bearer {t}"))
        .set("Content-Type", "application/xml")
        .send_string(&body)
        .unwrap()
        .into_string()
        .unwrap()
    }

    #[test]
    fn posted_expense_entries_become_one_document_per_report() {
        let s = sim(FisConfig {
            generated: 0,
            ..FisConfig::default()
        });
        let t = token(&s);
        assert!(post_entries(&s, &t, "RPT1", &["42.50", "7.25"]).contains("SUCCESS"));
        assert!(post_entries(&s, &t, "RPT2", &["10"]).contains("SUCCESS"));
        assert!(post_entries(&s, &t, "RPT1", &["0.75"]).contains("SUCCESS"));
        let (st, v) = get(&s, &t, "", false);
        assert_eq!(st, 200, "{v}");
        let docs = v["content"].as_array().unwrap();
        assert_eq!(docs.len(), 2, "{v}");
        let rpt1 = docs
            .iter()
            .find(|d| d["document"]["report"]["reportId"] == "RPT1")
            .expect("RPT1 queued");
        let amounts: Vec<String> = rpt1["document"]["expenseEntry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["entryApprovedAmount"].to_string())
            .collect();
        assert_eq!(amounts, ["42.5", "7.25", "0.75"], "in the order posted");
        assert_eq!(
            rpt1["document"]["report"]["totalApprovedAmount"].to_string(),
            "50.5"
        );
        // The document converts to the journal of its entries.
        let page = serde_json::to_vec(&v).unwrap();
        let mut sink = ledgerline_journal::pipeline::Collect::default();
        let opts = ledgerline_journal::pipeline::ConvertOptions::new(std::sync::Arc::new(
            ledgerline_journal::Rules::default(),
        ));
        let r = ledgerline_fis::convert_reader(
            "page.json",
            page.as_slice(),
            &opts,
            &mut sink,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(r.validation.findings.errors(), 0);
        let j = sink.journals.iter().find(|j| j.id == "RPT1").unwrap();
        assert_eq!(j.lines.len(), 4, "three taxis and the employee payable");
        // A report sent for integration takes no more entries; another report does.
        let refused = post_entries(&s, &t, "RPT1", &["3"]);
        assert!(refused.contains("<Status>FAILED</Status>"), "{refused}");
        assert!(
            refused.contains("entries can no longer be added"),
            "{refused}"
        );
        assert!(post_entries(&s, &t, "RPT3", &["3"]).contains("SUCCESS"));
        let (_, v) = get(&s, &t, "", false);
        let ids: Vec<&str> = v["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["document"]["report"]["reportId"].as_str().unwrap())
            .collect();
        assert_eq!(ids.iter().filter(|i| **i == "RPT1").count(), 1, "{ids:?}");
        assert!(ids.contains(&"RPT3"), "{ids:?}");
    }

    #[test]
    fn pages_formats_and_the_v1_wrapper() {
        let s = sim(FisConfig {
            generated: 3,
            ..FisConfig::default()
        });
        let t = token(&s);
        let (st, v) = get(&s, &t, "?page=0&limit=2", false);
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["content"].as_array().unwrap().len(), 2);
        assert_eq!(v["page"]["totalPages"], 2);
        let rels: Vec<&str> = v["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["rel"].as_str().unwrap())
            .collect();
        assert_eq!(rels, ["first", "self", "next", "last"]);
        assert!(v["content"][0]["document"].is_object());
        let (_, v) = get(&s, &t, "?page=1&limit=2", true);
        assert_eq!(v["content"].as_array().unwrap().len(), 1);
        assert!(
            v["content"][0]["document"].is_string(),
            "DocumentFormatAs: text"
        );
        let v1 = sim(FisConfig {
            v1: true,
            ..FisConfig::default()
        });
        let t1 = token(&v1);
        let (_, v) = get(&v1, &t1, "?limit=2", false);
        assert_eq!(v["numberReturned"], 2, "{v}");
        assert!(v["nextPage"].as_str().unwrap().contains("offset=2"));
        assert!(v.get("content").is_none());
    }

    #[test]
    fn the_documented_service_codes() {
        let s = sim(FisConfig {
            generated: 3,
            system_id: Some("ERP1".into()),
            ..FisConfig::default()
        });
        let t = token(&s);
        let ids: Vec<String> = s.fis_documents().iter().map(|d| d.id.clone()).collect();
        let ack = |ids: Value, system: &str| {
            post(
                &s,
                &t,
                "expense",
                "acknowledgements",
                json!({"ids": ids, "systemId": system}),
            )
        };
        assert_eq!(codes(&ack(json!([ids[0], "nope"]), "ERP1").1), [0, 104]);
        assert_eq!(
            codes(&ack(json!([ids[0]]), "ERP1").1),
            [101],
            "acknowledged twice"
        );
        assert_eq!(
            codes(&ack(json!([ids[1]]), "OTHER").1),
            [99],
            "another systemId"
        );
        let (st, v) = post(
            &s,
            &t,
            "expense",
            "acknowledgements",
            json!({"ids": [ids[1]]}),
        );
        assert_eq!((st, codes(&v)), (400, vec![198]), "no systemId");
        let (_, v) = post(
            &s,
            &t,
            "invoice",
            "acknowledgements",
            json!({"ids": [ids[1]], "systemId": "ERP1"}),
        );
        assert_eq!(codes(&v), [105], "another type");
        let confirm = |id: &str, status: &str| {
            post(
                &s,
                &t,
                "expense",
                "postingconfirmations",
                json!({"systemId": "ERP1",
                "postingConfirmations": [{"docId": id, "overallPostingStatusCode": status,
                    "postingDocs": [{"documentNumber": "51"}], "systemMessages": []}]}),
            )
        };
        let (_, v) = confirm(&ids[1], "success");
        assert_eq!(
            (
                codes(&v)[0],
                v[0]["postingConfirmationResult"].as_str().unwrap()
            ),
            (111, "NOT_YET_ACKNOWLEDGED")
        );
        let pay = |id: &str, r: &str| {
            post(
                &s,
                &t,
                "expense",
                "paymentconfirmations",
                json!({"systemId": "ERP1",
                "processingConfirmation": [{"docId": id, "processingStatusCode": "CP",
                    "clearingDetails": [{"clearingReference": {"paymentRef": r}}]}]}),
            )
        };
        assert_eq!(
            pay(&ids[0], "P1").1[0]["paymentConfirmationResult"],
            "NOT_POSTING_CONFIRMED"
        );
        assert_eq!(codes(&confirm(&ids[0], "success").1), [0]);
        assert_eq!(
            codes(&confirm(&ids[0], "success").1),
            [113],
            "confirmed twice"
        );
        assert_eq!(codes(&confirm("nope", "success").1), [116]);
        assert_eq!(codes(&pay(&ids[0], "P1").1), [0]);
        let (_, v) = pay(&ids[0], "P1");
        assert_eq!(
            (
                codes(&v)[0],
                v[0]["paymentConfirmationResult"].as_str().unwrap()
            ),
            (213, "NOOP")
        );
        // Recalled: before the acknowledgement (102), after it (112).
        assert!(s.fis_recall(&ids[2]));
        assert_eq!(codes(&ack(json!([ids[2]]), "ERP1").1), [102]);
        assert_eq!(codes(&confirm(&ids[2], "error").1), [112]);
        // An app-only token is refused.
        let c = s.config();
        let r = ureq::post(&format!("{}/oauth2/v0/token", s.base_url()))
            .send_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &c.client_id),
                ("client_secret", &c.client_secret),
            ])
            .unwrap();
        let app: Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
        let (st, _) = get(&s, app["access_token"].as_str().unwrap(), "", false);
        assert_eq!(st, 403);
    }

    #[test]
    fn a_failed_posting_comes_back_as_a_new_document() {
        let s = sim(FisConfig {
            generated: 1,
            ..FisConfig::default()
        });
        let t = token(&s);
        let id = s.fis_documents()[0].id.clone();
        post(
            &s,
            &t,
            "expense",
            "acknowledgements",
            json!({"ids": [id], "systemId": "S"}),
        );
        let (_, v) = post(
            &s,
            &t,
            "expense",
            "postingconfirmations",
            json!({"systemId": "S",
            "postingConfirmations": [{"docId": id, "overallPostingStatusCode": "error",
                "systemMessages": [{"messageLongText": "blocked"}]}]}),
        );
        assert_eq!(codes(&v), [0]);
        let docs = s.fis_documents();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].status, "POSTING_CONFIRMED_FAILURE");
        assert_eq!(
            (docs[1].status.as_str(), docs[1].requeued_from.as_deref()),
            ("READY", Some(id.as_str()))
        );
        assert_ne!(docs[1].id, id);
        assert_eq!(docs[1].report_id, docs[0].report_id);
        let (_, page) = get(&s, &t, "", false);
        assert_eq!(page["content"][0]["id"], docs[1].id.as_str());
        let (_, page) = get(
            &s,
            &t,
            &format!("?docId={id}&ignoreDocumentStatus=yes"),
            false,
        );
        assert_eq!(page["content"][0]["docStatus"], "POSTING_CONFIRMED_FAILURE");
    }
}

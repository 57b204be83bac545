//! The FIS routes: the document list, acknowledgements, posting and payment
//! confirmations with their service codes, and the admin routes.

use super::{DOC_TYPES, FIS_BASE, FisDoc};
use crate::state::SharedRef;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Queues the reports of the Expense entries posted since the last look (`POST
/// .../report/{id}/entry`) as READY expense documents, one per report, dated today; those
/// reports take no more entries.
fn queue_posted_entries(s: &SharedRef) {
    let posted = s.take_entries_for_fis();
    if posted.is_empty() {
        return;
    }
    let today = crate::clock::day_of(crate::clock::now_unix());
    let mut st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    for doc in ledgerline_generate::entries::fis_documents(&posted, today) {
        st.add(doc);
    }
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

/// A query parameter that must be a number and is not.
#[derive(Debug, thiserror::Error)]
#[error("{0} must be a number")]
struct NotANumber(&'static str);

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
    let num = |k: &'static str, d: u64| -> Result<u64, NotANumber> {
        match q.get(k) {
            None => Ok(d),
            Some(v) => v.parse().map_err(|_| NotANumber(k)),
        }
    };
    let (page, limit) = match (num("page", 0), num("limit", 25)) {
        (Ok(p), Ok(l)) => (p, l.clamp(1, 100)),
        (Err(e), _) | (_, Err(e)) => return message(400, &e.to_string()),
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
    let Some((system, items)) = system_and_items(&body, "postingConfirmations") else {
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
        let id = text_of(&it, "docId").to_owned();
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
    let Some((system, items)) = system_and_items(&body, "processingConfirmation") else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!([{"code": 298, "docId": null, "paymentConfirmationResult": "FAILURE",
                    "errorMessage": "Invalid payment request: systemId and processingConfirmation are required"}]),
        );
    };
    let mut st = s.fis.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    for it in items {
        let id = text_of(&it, "docId").to_owned();
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

/// A confirmation request's `systemId` (not empty) and its list under `list`; `None` when
/// either is missing, which Concur answers with a 400.
fn system_and_items(body: &Bytes, list: &str) -> Option<(String, Vec<Value>)> {
    let req = body_json(body)?;
    let system = req
        .get("systemId")
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())?;
    let items = req.get(list).and_then(Value::as_array)?;
    Some((system.to_owned(), items.clone()))
}

/// The text of `key` in a confirmation item, empty when absent.
fn text_of<'v>(item: &'v Value, key: &str) -> &'v str {
    item.get(key).and_then(Value::as_str).unwrap_or("")
}

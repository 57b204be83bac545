//! The HTTP routes: OAuth2, company profile, Extract v1.0, Payment Batch v1.1, Expense
//! Entry v1.1, and the admin endpoints.

use crate::clock::{format_time, now_unix};
use crate::config::Fault;
use crate::state::{Access, EntryRec, SharedRef, Status};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use bytes::Bytes;
use ledgerline_generate::entries::PostedEntry;
use rust_decimal::Decimal;

const EXTRACT_NS: &str = "http://www.concursolutions.com/api/expense/extract/2010/02";
const BATCH_NS: &str = "http://www.concursolutions.com/api/expense/paymentbatch/2011/11";
const ENTRY_NS: &str = "http://www.concursolutions.com/api/expense/expensereport/2011/03";
const EXTRACT: &str = "/api/expense/extract/v1.0";
const BATCH: &str = "/api/expense/paymentbatch/v1.1";

pub(crate) fn router(state: SharedRef) -> Router {
    Router::new()
        .route("/oauth2/v0/token", post(token))
        .route("/app-mgmt/v0/connections", delete(revoke))
        .route("/profile/v1/me", get(profile))
        .route(EXTRACT, get(definitions))
        .route(&format!("{EXTRACT}/"), get(definitions))
        .route(&format!("{EXTRACT}/{{def}}"), get(definition))
        .route(&format!("{EXTRACT}/{{def}}/job"), get(jobs).post(post_job))
        .route(&format!("{EXTRACT}/{{def}}/job/{{job}}"), get(job))
        .route(
            &format!("{EXTRACT}/{{def}}/job/{{job}}/status"),
            get(job_status),
        )
        .route(
            &format!("{EXTRACT}/{{def}}/job/{{job}}/file"),
            get(job_file),
        )
        .route(&format!("{BATCH}/batchlist"), get(batchlist_all))
        .route(&format!("{BATCH}/batchlist/"), get(batchlist_all))
        .route(&format!("{BATCH}/batchlist/{{status}}"), get(batchlist))
        .route(&format!("{BATCH}/batch/{{id}}/close"), post(close_batch))
        .route(&format!("{BATCH}/batch/{{id}}/file"), get(batch_file))
        .route(
            "/api/expense/expensereport/v1.1/report/{report}/entry",
            post(post_entry),
        )
        .route(
            "/api/expense/expensereport/v1.1/report/{report}/entry/",
            post(post_entry),
        )
        .route(
            "/api/expense/expensereport/v1.1/report/{report}/entry/{entry}",
            get(get_entry),
        )
        .route(
            "/_admin/faults",
            get(admin_faults)
                .post(admin_add_faults)
                .delete(admin_clear_faults),
        )
        .route("/_admin/stats", get(admin_stats))
        .route("/_admin/revoke", post(admin_revoke))
        .route("/_admin/expire-tokens", post(admin_expire))
        .route("/_admin/request-token", post(admin_request_token))
        .route("/_admin/jobs/{def}", post(admin_post_job))
        .merge(crate::appcenter::router())
        .merge(crate::batch_v12::router())
        .merge(crate::masterdata::router())
        .merge(crate::fis::routes::router())
        .fallback(not_found)
        .with_state(state)
}

// ---- helpers ----------------------------------------------------------------------

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn with_type(status: StatusCode, ctype: &'static str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r
}

fn xml(status: StatusCode, body: String) -> Response {
    with_type(status, "application/xml; charset=utf-8", body)
}

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    with_type(status, "application/json; charset=utf-8", v.to_string())
}

/// Concur's XML error document.
pub(crate) fn xml_error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    xml(
        status,
        format!(
            "<Error><Message>{}</Message><Server-Time>{}</Server-Time><Id>{:08X}-8793-4515-BA0E-F9C71ADA7330</Id></Error>",
            xml_escape(message),
            format_time(now_unix()),
            now_unix() as u32
        ),
    )
}

/// Concur's token-endpoint error.
pub(crate) fn oauth_error(status: u16, code: u32, error: &str, description: &str) -> Response {
    json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        serde_json::json!({ "code": code, "error": error, "error_description": description }),
    )
}

fn wants_json(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("application/json"))
}

fn auth_header(h: &HeaderMap) -> Option<&str> {
    h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// Resource APIs want a company token.
#[allow(clippy::result_large_err)]
fn authorize(s: &SharedRef, h: &HeaderMap) -> Result<(), Response> {
    authorize_company(s, h, || {
        xml_error(
            403,
            "This API needs a company token; an application-only token was presented.",
        )
    })
}

/// A company token, or the error Concur gives: `app_only` is the API's own answer to an
/// application-only token (FIS words it differently), the rest is common to every API.
#[allow(clippy::result_large_err)]
pub(crate) fn authorize_company(
    s: &SharedRef,
    h: &HeaderMap,
    app_only: impl FnOnce() -> Response,
) -> Result<(), Response> {
    match s.check_access(auth_header(h)) {
        Access::Company => Ok(()),
        Access::App => Err(app_only()),
        Access::Missing => Err(xml_error(
            401,
            "Authorization header missing or not Bearer/OAuth.",
        )),
        Access::Invalid => Err(xml_error(
            s.cfg.bad_token_status,
            "The OAuth token is invalid, has expired or has been revoked.",
        )),
    }
}

async fn not_found() -> Response {
    xml_error(404, "No such resource.")
}

// ---- OAuth2 -------------------------------------------------------------------------

async fn token(State(s): State<SharedRef>, headers: HeaderMap, body: Bytes) -> Response {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !ctype.starts_with("application/x-www-form-urlencoded") {
        return oauth_error(
            400,
            135,
            "invalid_request",
            "Unsupported request format; send a form.",
        );
    }
    if ctype.contains("charset") {
        return oauth_error(
            400,
            135,
            "invalid_request",
            "Content-Type must not carry a charset parameter.",
        );
    }
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&body).into_owned().collect();
    let f = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = f("client_id") else {
        return oauth_error(400, 62, "invalid_request", "client_id is missing.");
    };
    let Some(secret) = f("client_secret") else {
        return oauth_error(400, 63, "invalid_request", "client_secret is missing.");
    };
    if client_id != s.cfg.client_id {
        return oauth_error(401, 61, "invalid_client", "Client not found.");
    }
    if secret != s.cfg.client_secret {
        return oauth_error(
            401,
            64,
            "invalid_client",
            "Incorrect Credentials. Please Retry",
        );
    }
    let Some(grant) = f("grant_type") else {
        return oauth_error(400, 65, "invalid_request", "grant_type is missing.");
    };
    let (access, refresh, connection) = match grant {
        "password" => {
            let credtype = f("credtype").unwrap_or("password");
            if credtype != "authtoken" && credtype != "password" {
                return oauth_error(400, 120, "invalid_request", "credtype is invalid.");
            }
            if let Err(refused) =
                crate::appcenter::check_exchange(&s, credtype, f("username"), f("password"))
            {
                return refused;
            }
            let c = s.new_connection();
            let (a, r) = s.issue(Some(c));
            (a, r, Some(c))
        }
        "refresh_token" => {
            let Some(rt) = f("refresh_token") else {
                return oauth_error(400, 106, "invalid_request", "refresh_token not supplied.");
            };
            let keep = s.keep_refresh(rt);
            let Some(c) = s.use_refresh_token(rt) else {
                return oauth_error(
                    400,
                    108,
                    "invalid_grant",
                    "Refresh token is invalid, expired or revoked.",
                );
            };
            let (a, r) = s.issue(Some(c));
            let r = if keep { Some(rt.to_owned()) } else { r };
            (a, r, Some(c))
        }
        "client_credentials" => {
            let (a, _) = s.issue(None);
            (a, None, None)
        }
        _ => {
            return oauth_error(
                400,
                65,
                "unsupported_grant_type",
                "grant_type is not supported.",
            );
        }
    };
    let ttl = s.cfg.access_ttl_ms / 1000;
    let expires_in = if s.cfg.expires_in_as_string {
        serde_json::Value::String(ttl.to_string())
    } else {
        serde_json::Value::from(ttl)
    };
    let mut v = serde_json::json!({
        "expires_in": expires_in,
        "scope": "openid EXTRCT PAYBAT FISVC company.read expense.report.readwrite",
        "token_type": "Bearer",
        "access_token": access,
        "geolocation": s.base,
    });
    if let (Some(r), Some(_)) = (refresh, connection) {
        v["refresh_token"] = serde_json::Value::String(r);
        v["refresh_expires_in"] = serde_json::Value::from(s.refresh_expiry_unix());
    }
    json(StatusCode::OK, v)
}

async fn revoke(State(s): State<SharedRef>, headers: HeaderMap) -> Response {
    if s.check_access(auth_header(&headers)) != Access::Company {
        return xml_error(401, "A valid user or company access token is needed.");
    }
    s.revoke_by_token(auth_header(&headers));
    StatusCode::OK.into_response()
}

async fn profile(State(s): State<SharedRef>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    json(
        StatusCode::OK,
        serde_json::json!({
            "id": s.cfg.company_id,
            "schemas": ["com:concur:Travel:0.1", "com:concur:Expense:0.1"],
            "name": "ledgerline-sim",
            "defaultLanguage": "en-us",
            "meta": { "principalType": "company" },
            "com:concur:Expense:0.1": { "offeringCode": "CES", "marketingName": s.cfg.marketing_name },
            "com:concur:Travel:0.1": { "active": 1, "offeringCode": "STANDARD", "isVendor": false, "isBillable": true, "contact": {} },
            "addresses": [ { "formatted": "1 Loopback Way", "country": "US" } ]
        }),
    )
}

// ---- Extract v1.0 -------------------------------------------------------------------

fn def_url(s: &SharedRef, key: &str) -> String {
    format!("{}{EXTRACT}/{key}", s.base)
}

fn definition_doc(s: &SharedRef, i: usize, as_json: bool) -> (String, serde_json::Value) {
    let d = &s.cfg.definitions[i];
    let id = def_url(s, &d.key);
    let link = format!("{id}/job");
    (
        format!(
            "<definition><id>{}</id><job-link>{}</job-link><name>{}</name></definition>",
            xml_escape(&id),
            xml_escape(&link),
            xml_escape(&d.name)
        ),
        if as_json {
            serde_json::json!({ "id": id, "name": d.name, "job-link": link })
        } else {
            serde_json::Value::Null
        },
    )
}

async fn definitions(State(s): State<SharedRef>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let as_json = wants_json(&headers);
    let docs: Vec<_> = (0..s.cfg.definitions.len())
        .map(|i| definition_doc(&s, i, as_json))
        .collect();
    if as_json {
        return json(
            StatusCode::OK,
            serde_json::Value::Array(docs.into_iter().map(|(_, j)| j).collect()),
        );
    }
    let inner: String = docs.into_iter().map(|(x, _)| x).collect();
    xml(
        StatusCode::OK,
        format!("<definitions xmlns=\"{EXTRACT_NS}\">{inner}</definitions>"),
    )
}

#[allow(clippy::result_large_err)]
fn find_def(s: &SharedRef, key: &str) -> Result<usize, Response> {
    s.definition_index(key)
        .ok_or_else(|| xml_error(404, "The Definition ID in the URI is invalid."))
}

async fn definition(
    State(s): State<SharedRef>,
    Path(def): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let i = match find_def(&s, &def) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let (x, j) = definition_doc(&s, i, wants_json(&headers));
    if wants_json(&headers) {
        return json(StatusCode::OK, j);
    }
    xml(
        StatusCode::OK,
        x.replacen(
            "<definition>",
            &format!("<definition xmlns=\"{EXTRACT_NS}\">"),
            1,
        ),
    )
}

fn job_doc(
    s: &SharedRef,
    def_key: &str,
    id: &str,
    status: Status,
    start: i64,
    stop: Option<i64>,
    as_json: bool,
) -> (String, serde_json::Value) {
    let url = format!("{}/job/{id}", def_url(s, def_key));
    let status_link = format!("{url}/status");
    let file_link = (status == Status::Completed).then(|| format!("{url}/file"));
    if as_json {
        let mut v = serde_json::json!({
            "id": url, "status-link": status_link, "start-time": format_time(start),
            "status": status.number(),
        });
        if let Some(t) = stop {
            v["stop-time"] = serde_json::Value::String(format_time(t));
        }
        if let Some(f) = file_link {
            v["file-link"] = serde_json::Value::String(f);
        }
        return (String::new(), v);
    }
    let mut x = format!(
        "<job><id>{}</id><status-link>{}</status-link><start-time>{}</start-time>",
        xml_escape(&url),
        xml_escape(&status_link),
        format_time(start)
    );
    if let Some(t) = stop {
        x.push_str(&format!("<stop-time>{}</stop-time>", format_time(t)));
    }
    x.push_str(&format!("<status>{}</status>", status.name()));
    if let Some(f) = file_link {
        x.push_str(&format!("<file-link>{}</file-link>", xml_escape(&f)));
    }
    x.push_str("</job>");
    (x, serde_json::Value::Null)
}

async fn jobs(State(s): State<SharedRef>, Path(def): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let i = match find_def(&s, &def) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let as_json = wants_json(&headers);
    let docs: Vec<_> = s
        .jobs_of(i)
        .into_iter()
        .map(|(id, st, start, stop)| job_doc(&s, &def, &id, st, start, stop, as_json))
        .collect();
    if as_json {
        return json(
            StatusCode::OK,
            serde_json::Value::Array(docs.into_iter().map(|(_, j)| j).collect()),
        );
    }
    let inner: String = docs.into_iter().map(|(x, _)| x).collect();
    xml(
        StatusCode::OK,
        format!("<jobs xmlns=\"{EXTRACT_NS}\">{inner}</jobs>"),
    )
}

fn single_job(s: &SharedRef, def: &str, job: &str, headers: &HeaderMap) -> Response {
    if let Err(r) = authorize(s, headers) {
        return r;
    }
    let i = match find_def(s, def) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some((st, start, stop)) = s.job(i, job, true) else {
        return xml_error(404, "The Job ID in the URI is invalid.");
    };
    let as_json = wants_json(headers);
    let (x, j) = job_doc(s, def, job, st, start, stop, as_json);
    if as_json {
        return json(StatusCode::OK, j);
    }
    xml(
        StatusCode::OK,
        x.replacen("<job>", &format!("<job xmlns=\"{EXTRACT_NS}\">"), 1),
    )
}

async fn job(
    State(s): State<SharedRef>,
    Path((def, job)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    single_job(&s, &def, &job, &headers)
}

async fn job_status(
    State(s): State<SharedRef>,
    Path((def, job)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    single_job(&s, &def, &job, &headers)
}

async fn post_job(
    State(s): State<SharedRef>,
    Path(def): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let i = match find_def(&s, &def) {
        Ok(i) => i,
        Err(r) => return r,
    };
    // An empty body and the documented <definition><id>..</id></definition> are accepted.
    if !body.is_empty() {
        let text = String::from_utf8_lossy(&body);
        if roxmltree::Document::parse(&text).is_err() {
            return xml_error(400, "There is an error in XML document (1, 1).");
        }
    }
    match s.post_job(i) {
        Err(()) => xml_error(
            409,
            "A job for the specified definition is already queued or running.",
        ),
        Ok(id) => {
            let (st, start, stop) =
                s.job(i, &id, false)
                    .unwrap_or((Status::Queued, now_unix(), None));
            let (x, j) = job_doc(&s, &def, &id, st, start, stop, wants_json(&headers));
            let location = format!("{}/job/{id}", def_url(&s, &def));
            let mut r = if wants_json(&headers) {
                json(StatusCode::CREATED, j)
            } else {
                xml(
                    StatusCode::CREATED,
                    x.replacen("<job>", &format!("<job xmlns=\"{EXTRACT_NS}\">"), 1),
                )
            };
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
    }
}

fn file_response(f: crate::files::FileBody) -> Response {
    with_type(StatusCode::OK, f.content_type, f.bytes)
}

async fn job_file(
    State(s): State<SharedRef>,
    Path((def, job)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let i = match find_def(&s, &def) {
        Ok(i) => i,
        Err(r) => return r,
    };
    match s.job_file(i, &job) {
        Ok(f) => file_response(f),
        Err(m) => xml_error(404, m),
    }
}

// ---- Payment Batch v1.1 -------------------------------------------------------------

fn batch_list(s: &SharedRef, want: Option<bool>) -> Response {
    let g = s.lock();
    let mut inner = String::new();
    for b in g
        .batches
        .iter()
        .filter(|b| want.is_none_or(|c| c == b.closed))
    {
        let total = Decimal::new(11_107 * i64::from(b.cfg.count), 2);
        inner.push_str(&format!(
            "<BatchSummary><BatchName>{}</BatchName><BatchID>{}</BatchID><BatchTotal>{total}</BatchTotal><Currency>{}</Currency><Count>{}</Count><Type>{}</Type><PaymentMethod>{}</PaymentMethod><Batch-URL>{}{BATCH}/batch/{}</Batch-URL></BatchSummary>",
            xml_escape(&b.cfg.name),
            b.batch_id,
            xml_escape(&b.cfg.currency),
            b.cfg.count,
            xml_escape(&b.cfg.kind),
            xml_escape(&b.cfg.payment_method),
            s.base,
            xml_escape(&b.url_id),
        ));
    }
    xml(
        StatusCode::OK,
        format!("<BatchList xmlns=\"{BATCH_NS}\">{inner}</BatchList>"),
    )
}

async fn batchlist_all(State(s): State<SharedRef>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    batch_list(&s, None)
}

async fn batchlist(
    State(s): State<SharedRef>,
    Path(status): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    match status.to_ascii_uppercase().as_str() {
        "OPEN" => batch_list(&s, Some(false)),
        "CLOSED" => batch_list(&s, Some(true)),
        _ => xml_error(400, "The batch status must be OPEN or CLOSED."),
    }
}

async fn close_batch(
    State(s): State<SharedRef>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let mut g = s.lock();
    let Some(b) = g.batches.iter_mut().find(|b| b.url_id == id) else {
        return xml_error(404, "The Payment Batch ID is invalid.");
    };
    if b.cfg.count == 0 {
        return xml_error(
            500,
            "The batch you attempted to close does not contain any reports. If you recently approved reports for payment, wait 30 minutes and try again.",
        );
    }
    if b.closed {
        // Closing a closed batch regenerates its file.
        b.generation += 1;
        b.file = None;
    }
    b.closed = true;
    let url = format!("{}{BATCH}/batch/{}", s.base, b.url_id);
    drop(g);
    xml(
        StatusCode::OK,
        format!(
            "<BatchStatus xmlns=\"{BATCH_NS}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><BatchStatus>CLOSED</BatchStatus><File-Url>{}/file</File-Url><Status>SUCCESS</Status><JobQueueKey>d$wIUEkl72LW299WTjTlskdy</JobQueueKey></BatchStatus>",
            xml_escape(&url)
        ),
    )
}

async fn batch_file(
    State(s): State<SharedRef>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    match s.batch_file(&id) {
        Ok(f) => file_response(f),
        Err(m) => xml_error(404, m),
    }
}

// ---- Expense Entry v1.1 --------------------------------------------------------------

/// Expense type keys the simulated company knows: key -> (name, account).
fn expense_type(key: &str) -> (&'static str, &'static str) {
    match key.to_ascii_uppercase().as_str() {
        "BRKFT" | "LUNCH" | "DINNR" | "BUSML" | "MEALS" => ("Business Meal", "60300"),
        "AIRFR" => ("Airfare", "60100"),
        "LODNG" | "HOTEL" => ("Hotel", "60200"),
        "TAXIX" | "TAXI" => ("Taxi", "60400"),
        "CARRT" => ("Car Rental", "60500"),
        "PARKG" => ("Parking", "60700"),
        "OFCSP" => ("Office Supplies", "60900"),
        _ => ("Miscellaneous", "69999"),
    }
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
        .and_then(|c| c.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Why a posted Expense element was refused; the text is the entry status's `Message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum EntryError {
    /// A required element is missing or empty.
    #[error("{0} is required.")]
    Missing(&'static str),
    /// CrnCode is not three letters.
    #[error("CrnCode must be a 3-letter ISO 4217 code.")]
    Currency,
    /// TransactionDate is not a date.
    #[error("TransactionDate must be YYYY-MM-DD.")]
    Date,
    /// TransactionAmount is not a number.
    #[error("TransactionAmount is not a number.")]
    AmountNotANumber,
    /// TransactionAmount is not positive or has more than three decimals.
    #[error("TransactionAmount must be positive with at most three decimals.")]
    Amount,
    /// IsPersonal is Y.
    #[error("Personal expenses are not reimbursed and are not accepted by this simulator.")]
    Personal,
    /// The report was already sent to the Financial Integration Service.
    #[error(
        "The report has been submitted and sent for integration; entries can no longer be added."
    )]
    Submitted,
}

fn parse_expense(
    s: &SharedRef,
    report: &str,
    node: roxmltree::Node<'_, '_>,
) -> Result<EntryRec, EntryError> {
    let need = |k: &'static str| text_of(node, k).ok_or(EntryError::Missing(k));
    let currency = need("CrnCode")?;
    if currency.len() != 3 {
        return Err(EntryError::Currency);
    }
    let key = need("ExpKey")?;
    let date = need("TransactionDate")?;
    let date = ledgerline_extract::value::parse_date(date.get(..10).unwrap_or(&date).as_bytes())
        .map_err(|_| EntryError::Date)?;
    let amount: Decimal = need("TransactionAmount")?
        .parse()
        .map_err(|_| EntryError::AmountNotANumber)?;
    if amount <= Decimal::ZERO || amount.scale() > 3 {
        return Err(EntryError::Amount);
    }
    if text_of(node, "IsPersonal").is_some_and(|p| p.eq_ignore_ascii_case("Y")) {
        return Err(EntryError::Personal);
    }
    let payment_type = text_of(node, "PaymentTypeID").unwrap_or_else(|| "CASH".into());
    let (name, account) = expense_type(&key);
    if s.report_sent_to_fis(report) {
        return Err(EntryError::Submitted);
    }
    let (entry_id, sequence) = s.next_entry_id();
    Ok(EntryRec {
        sequence,
        entry: PostedEntry {
            report_id: report.to_owned(),
            report_key: s.report_key(report),
            report_name: format!("Posted report {report}"),
            entry_id,
            employee_id: "E20001".into(),
            employee_first: "Dana".into(),
            employee_last: "Demo".into(),
            currency,
            expense_type: name.into(),
            account: account.into(),
            transaction_date: date,
            amount,
            vendor: text_of(node, "VendorDescription").unwrap_or_default(),
            description: text_of(node, "Description").unwrap_or_default(),
            company_paid: payment_type.to_ascii_lowercase().contains("company")
                || payment_type.eq_ignore_ascii_case("COPD"),
        },
        expense_key: key.to_ascii_uppercase(),
        payment_type,
    })
}

async fn post_entry(
    State(s): State<SharedRef>,
    Path(report): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let text = String::from_utf8_lossy(&body);
    let Ok(doc) = roxmltree::Document::parse(&text) else {
        return xml_error(400, "There is an error in XML document (1, 1).");
    };
    let expenses: Vec<_> = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "Expense")
        .collect();
    if expenses.is_empty() {
        return xml_error(400, "ReportEntries holds no Expense element.");
    }
    let mut out = format!(
        "<ReportEntryStatusList xmlns=\"{ENTRY_NS}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">"
    );
    for (i, node) in expenses.into_iter().enumerate() {
        out.push_str(&format!("<ReportEntryStatus><Index>{}</Index>", i + 1));
        match parse_expense(&s, &report, node) {
            Ok(rec) => {
                let url = format!(
                    "{}/api/expense/expensereport/v1.1/report/{report}/entry/{}",
                    s.base, rec.entry.entry_id
                );
                s.add_entry(rec);
                out.push_str(&format!(
                    "<Status>SUCCESS</Status><Report-Entry-Details-Url>{}</Report-Entry-Details-Url>",
                    xml_escape(&url)
                ));
            }
            Err(e) => out.push_str(&format!(
                "<Status>FAILED</Status><Message>{}</Message>",
                xml_escape(&e.to_string())
            )),
        }
        out.push_str("</ReportEntryStatus>");
    }
    out.push_str("</ReportEntryStatusList>");
    xml(StatusCode::OK, out)
}

async fn get_entry(
    State(s): State<SharedRef>,
    Path((report, entry)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers) {
        return r;
    }
    let g = s.lock();
    let Some(rec) = g.entries.get(&(report.clone(), entry.clone())) else {
        return xml_error(404, "The entry does not exist.");
    };
    let e = &rec.entry;
    let amount = format!("{:.8}", e.amount);
    xml(
        StatusCode::OK,
        format!(
            "<ExpenseEntry xmlns=\"{ENTRY_NS}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><ApprovedAmount>{amount}</ApprovedAmount><BusinessPurpose>{}</BusinessPurpose><ExchangeRate>1.00000000000000</ExchangeRate><ExpenseKey>{}</ExpenseKey><ExpenseName>{}</ExpenseName><IsPersonal>N</IsPersonal><PaymentTypeKey>{}</PaymentTypeKey><PostedAmount>{amount}</PostedAmount><ReportEntryID>{}</ReportEntryID><ReportID>{}</ReportID><TransactionAmount>{amount}</TransactionAmount><TransactionDate>{}T00:00:00</TransactionDate><VendorDescription>{}</VendorDescription><X_UserID>{}@example.com</X_UserID></ExpenseEntry>",
            xml_escape(&e.description),
            xml_escape(&rec.expense_key),
            xml_escape(&e.expense_type),
            xml_escape(&rec.payment_type),
            xml_escape(&e.entry_id),
            xml_escape(&e.report_id),
            e.transaction_date,
            xml_escape(&e.vendor),
            e.employee_id.to_lowercase(),
        ),
    )
}

// ---- admin ----------------------------------------------------------------------------

async fn admin_faults(State(s): State<SharedRef>) -> Response {
    json(
        StatusCode::OK,
        serde_json::to_value(s.faults()).unwrap_or_default(),
    )
}

async fn admin_add_faults(State(s): State<SharedRef>, body: Bytes) -> Response {
    let is_list = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let faults: Vec<Fault> = match serde_json::from_slice::<Vec<Fault>>(&body) {
        Ok(v) => v,
        Err(e) if is_list => {
            return json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({ "error": format!("not a list of faults: {e}") }),
            );
        }
        Err(_) => match serde_json::from_slice::<Fault>(&body) {
            Ok(f) => vec![f],
            Err(e) => {
                return json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({ "error": format!("not a fault or a list of faults: {e}") }),
                );
            }
        },
    };
    for f in &faults {
        if f.route != "*"
            && !crate::config::ROUTES.contains(&f.route.as_str())
            && !crate::masterdata::ROUTES.contains(&f.route.as_str())
        {
            return json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({ "error": format!("unknown route {:?}; one of {:?} or \"*\"", f.route, crate::config::ROUTES) }),
            );
        }
    }
    let n = faults.len();
    for f in faults {
        s.add_fault(f);
    }
    json(StatusCode::OK, serde_json::json!({ "armed": n }))
}

async fn admin_clear_faults(State(s): State<SharedRef>) -> Response {
    s.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_stats(State(s): State<SharedRef>) -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({ "requests": s.stats(), "pending_entries": s.pending_entries() }),
    )
}

async fn admin_revoke(State(s): State<SharedRef>) -> Response {
    s.revoke_all();
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_expire(State(s): State<SharedRef>) -> Response {
    s.expire_all_access();
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_request_token(State(s): State<SharedRef>) -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({ "company_id": s.cfg.company_id, "request_token": s.new_request_token() }),
    )
}

async fn admin_post_job(State(s): State<SharedRef>, Path(def): Path<String>) -> Response {
    let i = match find_def(&s, &def) {
        Ok(i) => i,
        Err(r) => return r,
    };
    match s.post_job(i) {
        Ok(id) => json(StatusCode::CREATED, serde_json::json!({ "job": id })),
        Err(()) => xml_error(
            409,
            "A job for the specified definition is already queued or running.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_entries_carry_the_messages_a_client_sees() {
        let cases = [
            (EntryError::Missing("ExpKey"), "ExpKey is required."),
            (
                EntryError::Currency,
                "CrnCode must be a 3-letter ISO 4217 code.",
            ),
            (EntryError::Date, "TransactionDate must be YYYY-MM-DD."),
            (
                EntryError::AmountNotANumber,
                "TransactionAmount is not a number.",
            ),
            (
                EntryError::Amount,
                "TransactionAmount must be positive with at most three decimals.",
            ),
            (
                EntryError::Personal,
                "Personal expenses are not reimbursed and are not accepted by this simulator.",
            ),
            (
                EntryError::Submitted,
                "The report has been submitted and sent for integration; entries can no longer be added.",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
        }
    }
}

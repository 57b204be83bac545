//! Payment Batch v1.2: the asynchronous close. `POST .../v1.2/batch/{id}/close` accepts the
//! close at once and the batch is listed as CLOSED only `batch_v12.close_delay_ms` later
//! (until then it stays OPEN); the v1.1 routes then serve it as any closed batch. The
//! answer's shape, which Concur does not show, is `batch_v12.response`.

use crate::config::V12Response;
use crate::routes::{authorize_company, xml_error, xml_escape};
use crate::state::SharedRef;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::time::Duration;

const BATCH_NS: &str = "http://www.concursolutions.com/api/expense/paymentbatch/2011/11";

pub(crate) fn router() -> Router<SharedRef> {
    Router::new().route(
        "/api/expense/paymentbatch/v1.2/batch/{id}/close",
        post(close),
    )
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    r
}

async fn close(State(s): State<SharedRef>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !s.cfg.batch_v12.enabled {
        return xml_error(404, "No such resource.");
    }
    if let Err(r) = authorize_company(&s, &headers, || {
        xml_error(
            403,
            "This API needs a company token; an application-only token was presented.",
        )
    }) {
        return r;
    }
    let (url, already) = {
        let g = s.lock();
        let Some(b) = g.batches.iter().find(|b| b.url_id == id) else {
            return xml_error(404, "The Payment Batch ID is invalid.");
        };
        if b.cfg.count == 0 {
            return xml_error(
                500,
                "The batch you attempted to close does not contain any reports. If you recently approved reports for payment, wait 30 minutes and try again.",
            );
        }
        (
            format!(
                "{}/api/expense/paymentbatch/v1.1/batch/{}",
                s.base, b.url_id
            ),
            b.closed,
        )
    };
    if !already {
        let delay = Duration::from_millis(s.cfg.batch_v12.close_delay_ms);
        let state = s.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let mut g = state.lock();
            if let Some(b) = g.batches.iter_mut().find(|b| b.url_id == id) {
                b.closed = true;
            }
        });
    }
    let key = "d$wIUEkl72LW299WTjTlskdy";
    match s.cfg.batch_v12.response {
        V12Response::Job => xml(
            StatusCode::OK,
            format!(
                "<BatchStatus xmlns=\"{BATCH_NS}\"><Status>SUCCESS</Status><JobQueueKey>{key}</JobQueueKey></BatchStatus>"
            ),
        ),
        V12Response::BatchStatus => xml(
            StatusCode::OK,
            format!(
                "<BatchStatus xmlns=\"{BATCH_NS}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><BatchStatus>CLOSED</BatchStatus><File-Url>{}/file</File-Url><Status>SUCCESS</Status><JobQueueKey>{key}</JobQueueKey></BatchStatus>",
                xml_escape(&url)
            ),
        ),
        V12Response::Empty => StatusCode::ACCEPTED.into_response(),
    }
}

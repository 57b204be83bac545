//! The accept loop and the fault layer in front of the routes. Faults act at the
//! connection level where they must: a dropped connection closes the socket without an
//! answer; a truncated body announces its full Content-Length and stops short.

use crate::config::{Fault, FaultKind};
use crate::routes::{oauth_error, xml_error};
use crate::state::SharedRef;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, header};
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::time::Duration;
use tower::ServiceExt;

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}
impl std::error::Error for Dropped {}

/// The route name of a request, for faults and counters.
pub(crate) fn classify(method: &str, path: &str) -> &'static str {
    let p = path.trim_end_matches('/');
    if p.starts_with("/_admin") {
        return "admin";
    }
    if let Some(r) = crate::masterdata::classify(method, p) {
        return r;
    }
    if p == "/oauth2/v0/token" {
        return "token";
    }
    if p == "/app-mgmt/v0/connections" {
        return "revoke";
    }
    if p == "/profile/v1/me" {
        return "profile";
    }
    if let Some(route) = crate::fis::routes::classify(method, p) {
        return route;
    }
    if let Some(rest) = p.strip_prefix("/api/expense/extract/v1.0") {
        let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        return match (segs.len(), segs.get(1), segs.get(3), method) {
            (0, ..) => "definitions",
            (1, ..) => "definition",
            (2, Some(&"job"), _, "POST") => "job_post",
            (2, Some(&"job"), ..) => "jobs",
            (3, Some(&"job"), ..) => "job",
            (4, Some(&"job"), Some(&"status"), _) => "job_status",
            (4, Some(&"job"), Some(&"file"), _) => "job_file",
            _ => "other",
        };
    }
    if p.starts_with("/api/expense/paymentbatch/v1.2/") && p.ends_with("/close") {
        return "batch_close_v12";
    }
    if let Some(rest) = p.strip_prefix("/api/expense/paymentbatch/v1.1") {
        if rest.starts_with("/batchlist") {
            return "batchlist";
        }
        if rest.ends_with("/close") {
            return "batch_close";
        }
        if rest.ends_with("/file") {
            return "batch_file";
        }
        return "other";
    }
    if p.starts_with("/api/expense/expensereport/v1.1/report/") {
        return if method == "POST" {
            "entry_post"
        } else {
            "entry_get"
        };
    }
    "other"
}

fn status_fault(route: &str, status: u16, retry_after: Option<&str>) -> Response<Body> {
    if let Some(r) = crate::masterdata::fault_response(route, status, retry_after) {
        return r;
    }
    let mut r = if route == "token" {
        oauth_error(status, 0, "server_error", "Injected failure.")
    } else {
        let msg = match status {
            429 => "The services are overloaded; slow the rate of requests.",
            503 => "The service is down for maintenance.",
            _ => "An injected server error.",
        };
        xml_error(status, msg)
    };
    if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// A body that yields `parts` in order, each after its delay; an `Err` part aborts the
/// connection.
fn staged(parts: Vec<(Duration, Result<Bytes, std::io::Error>)>) -> Body {
    let queue: VecDeque<_> = parts.into();
    let stream = futures_util::stream::unfold(queue, |mut q| async move {
        let (delay, item) = q.pop_front()?;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Some((item, q))
    });
    Body::from_stream(stream)
}

async fn cut(resp: Response<Body>, keep: Option<u64>, stall: Option<Duration>) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let len = bytes.len();
    let at = keep
        .map(|k| usize::try_from(k).unwrap_or(usize::MAX))
        .unwrap_or(len / 2)
        .min(len);
    let first = bytes.slice(..at);
    let rest = bytes.slice(at..);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    let body = match stall {
        Some(pause) => staged(vec![(Duration::ZERO, Ok(first)), (pause, Ok(rest))]),
        None => staged(vec![
            (Duration::ZERO, Ok(first)),
            // Let the first part reach the socket before the connection is torn down.
            (
                Duration::from_millis(20),
                Err(std::io::Error::other("truncated by an injected fault")),
            ),
        ]),
    };
    Response::from_parts(parts, body)
}

/// Handles one request: counters, faults, the router.
pub(crate) async fn handle(
    state: SharedRef,
    router: Router,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    let route = classify(req.method().as_str(), req.uri().path());
    state.count(route);
    let correlation = HeaderValue::from_str(&format!(
        "{:08x}-5e1f-4c0a-9d1b-{:012x}",
        crate::clock::now_unix() as u32,
        state.stats().values().sum::<u64>()
    ))
    .ok();
    let chunked = req
        .headers()
        .get(header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return Ok(xml_error(
            400,
            "Chunked transfer-encoding is not supported.",
        ));
    }
    let fault: Option<Fault> = if route == "admin" {
        None
    } else {
        state.take_fault(route)
    };
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(f) = &fault {
        match &f.kind {
            FaultKind::Drop if !f.after => return Err(Dropped),
            FaultKind::Status {
                status,
                retry_after,
            } if !f.after => {
                // Read the request body first: answering while the client is still sending
                // it resets the connection, and the client sees no status at all.
                let _ = axum::body::to_bytes(Body::new(req.into_body()), usize::MAX).await;
                return Ok(status_fault(route, *status, retry_after.as_deref()));
            }
            FaultKind::Slow { ms } => tokio::time::sleep(Duration::from_millis(*ms)).await,
            FaultKind::ExpireToken => state.expire_token(auth.as_deref()),
            FaultKind::RevokeToken => {
                state.revoke_by_token(auth.as_deref());
            }
            FaultKind::FailJob => state.fail_next_job(),
            _ => {}
        }
    }
    let req = req.map(Body::new);
    let Ok(mut resp) = router.oneshot(req).await;
    if let Some(c) = correlation {
        resp.headers_mut().insert("concur-correlationid", c);
    }
    let Some(f) = fault else {
        return Ok(resp);
    };
    Ok(match f.kind {
        FaultKind::Drop => return Err(Dropped),
        FaultKind::Status {
            status,
            retry_after,
        } => status_fault(route, status, retry_after.as_deref()),
        FaultKind::Truncate { keep_bytes } => cut(resp, keep_bytes, None).await,
        FaultKind::Stall { after_bytes, ms } => {
            cut(resp, after_bytes, Some(Duration::from_millis(ms))).await
        }
        _ => resp,
    })
}

/// Accepts connections until `shutdown` fires.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: SharedRef,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let router = crate::routes::router(state.clone());
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                let router = router.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        handle(state.clone(), router.clone(), req)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn routes_are_classified() {
        let e = "/api/expense/extract/v1.0";
        assert_eq!(classify("GET", &format!("{e}/")), "definitions");
        assert_eq!(classify("GET", &format!("{e}/a$b")), "definition");
        assert_eq!(classify("GET", &format!("{e}/a$b/job")), "jobs");
        assert_eq!(classify("POST", &format!("{e}/a$b/job")), "job_post");
        assert_eq!(classify("GET", &format!("{e}/a/job/j")), "job");
        assert_eq!(
            classify("GET", &format!("{e}/a/job/j/status")),
            "job_status"
        );
        assert_eq!(classify("GET", &format!("{e}/a/job/j/file")), "job_file");
        let b = "/api/expense/paymentbatch/v1.1";
        assert_eq!(classify("GET", &format!("{b}/batchlist/OPEN")), "batchlist");
        assert_eq!(
            classify("POST", &format!("{b}/batch/x/close")),
            "batch_close"
        );
        assert_eq!(classify("GET", &format!("{b}/batch/x/file")), "batch_file");
        assert_eq!(classify("POST", "/oauth2/v0/token"), "token");
        assert_eq!(classify("GET", "/_admin/stats"), "admin");
    }
}

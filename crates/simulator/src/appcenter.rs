//! The simulator playing Concur's App Center for Quick Connect: an admin route that produces
//! the redirect an administrator's click on Connect opens (`?id=&requestToken=&userId=`, with
//! a fresh company request token), and the rules the token endpoint applies to request
//! tokens: they expire (`request_token_ttl_ms`) and are spent by their first successful
//! exchange (`request_token_single_use`).

use crate::routes::oauth_error;
use crate::state::SharedRef;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What a presented company request token amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestTokenUse {
    /// Valid: the exchange goes ahead (and spends it when tokens are single-use).
    Accepted,
    /// Issued, but its lifetime is over.
    Expired,
    /// Exchanged before.
    Used,
    /// Never issued.
    Unknown,
}

/// The token endpoint's check of a `password` grant: `credtype=authtoken`, the company UUID
/// as `username`, a live request token as `password`. Concur answers every refusal with
/// `invalid_grant` code 5; the description says which case it was.
#[allow(clippy::result_large_err)]
pub(crate) fn check_exchange(
    s: &SharedRef,
    credtype: &str,
    username: Option<&str>,
    password: Option<&str>,
) -> Result<(), Response> {
    let refuse = |why: &str| oauth_error(400, 5, "invalid_grant", why);
    if credtype != "authtoken"
        || !username.is_some_and(|u| u.eq_ignore_ascii_case(&s.cfg.company_id))
    {
        return Err(refuse("Incorrect Credentials. Please Retry"));
    }
    let Some(token) = password else {
        return Err(refuse("Incorrect Credentials. Please Retry"));
    };
    match s.exchange_request_token(token) {
        RequestTokenUse::Accepted => Ok(()),
        RequestTokenUse::Expired => Err(refuse(
            "Incorrect Credentials. Please Retry (the request token has expired)",
        )),
        RequestTokenUse::Used => Err(refuse(
            "Incorrect Credentials. Please Retry (the request token was exchanged already)",
        )),
        RequestTokenUse::Unknown => Err(refuse("Incorrect Credentials. Please Retry")),
    }
}

pub(crate) fn router() -> Router<SharedRef> {
    Router::new().route(
        "/_admin/app-center/connect",
        get(connect_redirect).post(connect_json),
    )
}

/// The redirect for one click on Connect, from the query: `redirect_uri` (the partner's
/// Connect URI, required), `company` (must be the simulated company when given),
/// `user_param` (`userId`, the default, or `userID` as one Concur page spells it),
/// `ttl_ms` (this token's lifetime instead of `request_token_ttl_ms`).
struct Click {
    url: String,
    company_id: String,
    request_token: String,
    user_id: String,
}

#[allow(clippy::result_large_err)]
fn click(s: &SharedRef, uri: &Uri) -> Result<Click, Response> {
    let q: HashMap<String, String> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let bad = |m: String| {
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "error": m }).to_string(),
        )
            .into_response()
    };
    let Some(redirect) = q.get("redirect_uri").filter(|r| !r.is_empty()) else {
        return Err(bad(
            "redirect_uri (the partner's Connect URI) is required".into()
        ));
    };
    if let Some(c) = q.get("company")
        && !c.eq_ignore_ascii_case(&s.cfg.company_id)
    {
        return Err(bad(format!(
            "company {c} is not the simulated company {}",
            s.cfg.company_id
        )));
    }
    let user_param = match q.get("user_param").map(String::as_str) {
        None | Some("userId") => "userId",
        Some("userID") => "userID",
        Some(other) => return Err(bad(format!("user_param {other:?}: userId or userID"))),
    };
    let ttl = match q.get("ttl_ms") {
        None => None,
        Some(t) => Some(Duration::from_millis(
            t.parse()
                .map_err(|_| bad(format!("ttl_ms {t:?} is not a number")))?,
        )),
    };
    let request_token = s.new_request_token();
    if let Some(ttl) = ttl {
        s.set_request_token_expiry(&request_token, Instant::now() + ttl);
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", &s.cfg.company_id)
        .append_pair("requestToken", &request_token)
        .append_pair(user_param, &s.cfg.app_center_user_id)
        .finish();
    let sep = if redirect.contains('?') { '&' } else { '?' };
    Ok(Click {
        url: format!("{redirect}{sep}{query}"),
        company_id: s.cfg.company_id.clone(),
        request_token,
        user_id: s.cfg.app_center_user_id.clone(),
    })
}

/// `GET`: answers as the App Center's Connect button does, by sending the browser on.
async fn connect_redirect(State(s): State<SharedRef>, uri: Uri) -> Response {
    match click(&s, &uri) {
        Ok(c) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&c.url) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(r) => r,
    }
}

/// `POST`: the same click as JSON (`redirect_url`, `company_id`, `request_token`, `user_id`).
async fn connect_json(State(s): State<SharedRef>, uri: Uri) -> Response {
    match click(&s, &uri) {
        Ok(c) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({
                "redirect_url": c.url,
                "company_id": c.company_id,
                "request_token": c.request_token,
                "user_id": c.user_id,
            })
            .to_string(),
        )
            .into_response(),
        Err(r) => r,
    }
}

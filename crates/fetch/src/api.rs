//! A generic authorised JSON request for the APIs this crate has no module for (the master
//! data APIs `ledgerline-sync` writes to): the company token, one refresh on 401, and the
//! retry policy of [`Client`], with the answer returned whatever its status so that the
//! caller can read Concur's error body.
//!
//! 429 is always retried (Concur did not process the call) with the client's own backoff,
//! because Concur's `retry-after: 0` is no delay at all. 5xx and lost connections are
//! retried only for a [`Replay::Safe`] request: one whose repetition cannot create anything
//! twice (a read, or a write keyed by a natural key that Concur refuses to duplicate).

use crate::client::{Client, Retry};
use crate::error::{Error, Result};
use crate::http::{Req, read_small, retry_after};
use std::time::Duration;

/// Whether a request may be sent again after a lost answer or a 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Repeating it cannot duplicate anything: retry connection errors, 5xx and 429.
    Safe,
    /// Its effect may have happened: retry only 429 and connections never made.
    Unsafe,
}

/// The answer to an [`Client::request_json`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// The body as text (JSON, or XML for some errors).
    pub body: String,
    /// 429 answers that were waited out before this one.
    pub rate_limited: u32,
}

impl ApiResponse {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl Client {
    /// The absolute URL of `path_or_url`: a path (`/list/v4/lists`, as Concur's relative
    /// `next` links are) is joined to the connection's geolocation; a full URL is kept.
    pub fn api_url(&self, path_or_url: &str) -> String {
        if path_or_url.contains("://") {
            path_or_url.to_owned()
        } else if path_or_url.starts_with('/') {
            self.url(path_or_url)
        } else {
            self.url(&format!("/{path_or_url}"))
        }
    }

    /// Sends `method url` with `body` as `application/json` (none: no body) and
    /// `Accept: application/json`, and returns the answer whatever its status, unless the
    /// retries ran out (then [`Error::Http`] or [`Error::Transport`]). See the module docs.
    pub fn request_json(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
        replay: Replay,
    ) -> Result<ApiResponse> {
        let url = self.api_url(url);
        let bytes = body.map(|b| b.to_string().into_bytes());
        let max = self.max_attempts();
        let mut attempt = 0;
        let mut rate_limited = 0;
        loop {
            attempt += 1;
            let req = Req {
                method,
                url: &url,
                accept: Some("application/json"),
                body: bytes.clone().map(|b| ("application/json", b)),
                headers: &[],
            };
            let resp = match self.send(&req, Retry::Never) {
                Ok(r) => r,
                Err(Error::Transport { message, .. })
                    if replay == Replay::Safe && attempt < max =>
                {
                    let wait = self.delay(attempt);
                    self.sleep(wait, &format!("connection problem: {message}"));
                    continue;
                }
                Err(Error::Transport { message, .. }) => {
                    return Err(Error::Transport {
                        method: method.into(),
                        url,
                        message,
                        attempts: attempt,
                    });
                }
                Err(e) => return Err(e),
            };
            let status = resp.status();
            let retry = status == 429 || (replay == Replay::Safe && status >= 500);
            if retry && attempt < max {
                // Concur's documented 429 says `retry-after: 0`: wait at least our own backoff.
                let own = self.delay(attempt);
                let given = retry_after(&resp).unwrap_or(Duration::ZERO);
                if status == 429 {
                    rate_limited += 1;
                }
                let _ = read_small(resp, &url);
                self.sleep(own.max(given), &format!("server answered {status}"));
                continue;
            }
            let text = read_small(resp, &url)?;
            if retry {
                return Err(Error::Http {
                    method: method.into(),
                    url,
                    status,
                    message: format!(
                        "{} (gave up after {attempt} attempts)",
                        crate::http::error_message(&text)
                    ),
                });
            }
            return Ok(ApiResponse {
                status,
                body: text,
                rate_limited,
            });
        }
    }
}

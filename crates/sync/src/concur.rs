//! Reading Concur: every page of a paged answer (List v4 `links.next`, relative or absolute,
//! or `page.number` / `totalPages` when no link is given; v3 `NextPage`), with the request
//! and rate-limit counts kept for the report.

use crate::error::{Result, SyncError};
use ledgerline_fetch::{ApiResponse, Client, Replay};
use serde_json::Value;

/// The client plus counters.
pub struct Api<'a> {
    /// The Concur client.
    pub client: &'a mut Client,
    /// Requests made.
    pub requests: u64,
    /// 429 answers waited out.
    pub rate_limited: u32,
}

impl<'a> Api<'a> {
    /// Wraps a client.
    pub fn new(client: &'a mut Client) -> Api<'a> {
        Api {
            client,
            requests: 0,
            rate_limited: 0,
        }
    }

    /// One request (see [`Client::request_json`]).
    pub fn call(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        replay: Replay,
    ) -> Result<ApiResponse> {
        self.requests += 1;
        let r = self.client.request_json(method, url, body, replay)?;
        self.requests += u64::from(r.rate_limited);
        self.rate_limited += r.rate_limited;
        Ok(r)
    }

    /// GET that must succeed, as JSON.
    pub fn get(&mut self, url: &str) -> Result<Value> {
        let r = self.call("GET", url, None, Replay::Safe)?;
        if !r.ok() {
            return Err(unexpected(self.client.api_url(url), &r));
        }
        Ok(r.json())
    }

    /// Every `content` element of a List v4 paged answer, page after page.
    pub fn pages(&mut self, first: &str, mut each: impl FnMut(&Value)) -> Result<()> {
        let mut url = first.to_owned();
        let mut guard = 0u32;
        loop {
            let v = self.get(&url)?;
            if let Some(items) = v.get("content").and_then(Value::as_array) {
                items.iter().for_each(&mut each);
            }
            let next = v
                .get("links")
                .and_then(Value::as_array)
                .and_then(|l| {
                    l.iter()
                        .find(|x| x.get("rel").and_then(Value::as_str) == Some("next"))
                })
                .and_then(|x| x.get("href").and_then(Value::as_str))
                .map(str::to_owned);
            let number = v
                .pointer("/page/number")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            let pages = v
                .pointer("/page/totalPages")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            url = match next {
                Some(n) => n,
                None if number < pages => with_page(first, number + 1),
                None => return Ok(()),
            };
            guard += 1;
            if guard > 1_000_000 {
                return Ok(());
            }
        }
    }
}

/// `url` with `page=n` (replacing any page parameter).
fn with_page(url: &str, n: u64) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .map(str::to_owned)
        .collect();
    parts.push(format!("page={n}"));
    format!("{path}?{}", parts.join("&"))
}

/// The error for an answer that should have been a success.
pub(crate) fn unexpected(url: String, r: &ApiResponse) -> SyncError {
    let v = r.json();
    let message = v
        .pointer("/error/message")
        .or_else(|| v.get("Message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| r.body.chars().take(300).collect());
    SyncError::Unexpected {
        url,
        status: r.status,
        message,
    }
}

/// Percent-encoding of a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pages_and_encoding() {
        assert_eq!(super::with_page("/a?x=1&page=2", 3), "/a?x=1&page=3");
        assert_eq!(super::with_page("/a", 2), "/a?page=2");
        assert_eq!(super::encode("eq:A & B"), "eq%3AA%20%26%20B");
    }
}

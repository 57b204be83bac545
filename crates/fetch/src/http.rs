//! The HTTP layer: one blocking agent, bounded retries with exponential backoff and jitter,
//! `Retry-After`, and request logging with secrets redacted.

use crate::error::{Error, Result};
use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Receives one line per request and response when verbose logging is on. Lines never
/// contain a token, a secret or a body.
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

/// Network behaviour.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Attempts per request, the first included (connection errors, 5xx, 429).
    pub max_attempts: u32,
    /// First backoff delay; doubles on every retry.
    pub backoff_base: Duration,
    /// Longest backoff delay, and the longest `Retry-After` honoured.
    pub backoff_max: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout (no byte for this long fails the attempt).
    pub read_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            max_attempts: 6,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(30),
            // Concur answers within 60 s or not at all.
            read_timeout: Duration::from_secs(90),
        }
    }
}

/// One request.
#[derive(Debug, Clone)]
pub(crate) struct Req<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub accept: Option<&'a str>,
    /// Content type and bytes; always sent with a Content-Length, never chunked.
    pub body: Option<(&'a str, Vec<u8>)>,
    /// Further headers (name, value), sent as they are.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> Req<'a> {
    pub fn get(url: &'a str, accept: &'a str) -> Req<'a> {
        Req {
            method: "GET",
            url,
            accept: Some(accept),
            body: None,
            headers: &[],
        }
    }
    pub fn post(url: &'a str, accept: &'a str, content_type: &'a str, body: Vec<u8>) -> Req<'a> {
        Req {
            method: "POST",
            url,
            accept: Some(accept),
            body: Some((content_type, body)),
            headers: &[],
        }
    }
}

/// What one attempt gave.
pub(crate) enum Attempt {
    /// An HTTP response, any status.
    Response(Box<ureq::Response>),
    /// No response: connection refused or reset, timeout, DNS ...
    Transport {
        message: String,
        /// The request certainly did not reach the server (connect or DNS failure).
        before_send: bool,
    },
}

/// The agent plus retry policy and logging.
pub(crate) struct Http {
    agent: ureq::Agent,
    pub opts: HttpOptions,
    log: Option<Logger>,
    rng: Cell<u64>,
}

impl Http {
    pub fn new(opts: HttpOptions, log: Option<Logger>) -> Http {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(opts.connect_timeout)
            .timeout_read(opts.read_timeout)
            .timeout_write(opts.read_timeout)
            // Redirects are followed by hand so the Authorization header is never sent elsewhere.
            .redirects(0)
            .user_agent(concat!("ledgerline/", env!("CARGO_PKG_VERSION")))
            .build();
        let seed = crate::time::now_unix() as u64 ^ (u64::from(std::process::id()) << 32);
        Http {
            agent,
            opts,
            log,
            rng: Cell::new(seed | 1),
        }
    }

    pub fn log(&self, line: impl FnOnce() -> String) {
        if let Some(l) = &self.log {
            l(&line());
        }
    }

    /// Sends once. `auth` is the full Authorization header value; it is logged redacted.
    pub fn once(&self, req: &Req<'_>, auth: Option<&str>) -> Attempt {
        let mut r = self.agent.request(req.method, req.url);
        if let Some(a) = req.accept {
            r = r.set("Accept", a);
        }
        for (name, value) in req.headers {
            r = r.set(name, value);
        }
        if let Some(a) = auth {
            r = r.set("Authorization", a);
        }
        self.log(|| {
            let scheme = auth
                .and_then(|a| a.split_whitespace().next())
                .map(|s| format!(" (Authorization: {s} <redacted>)"))
                .unwrap_or_default();
            format!("-> {} {}{scheme}", req.method, req.url)
        });
        let started = Instant::now();
        let result = match &req.body {
            Some((ctype, bytes)) => r.set("Content-Type", ctype).send_bytes(bytes),
            None if req.method == "POST" => r.send_bytes(&[]),
            None => r.call(),
        };
        let response = match result {
            Ok(resp) => resp,
            Err(ureq::Error::Status(_, resp)) => resp,
            Err(ureq::Error::Transport(t)) => {
                let before_send = matches!(
                    t.kind(),
                    ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Dns
                );
                let message = t
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| t.kind().to_string());
                let message = format!("{}: {message}", t.kind());
                self.log(|| format!("<- {} {}: {message}", req.method, req.url));
                return Attempt::Transport {
                    message,
                    before_send,
                };
            }
        };
        self.log(|| {
            let corr = response
                .header("concur-correlationid")
                .map(|c| format!(", concur-correlationid {c}"))
                .unwrap_or_default();
            format!(
                "<- {} {} ({} ms{corr})",
                response.status(),
                req.url,
                started.elapsed().as_millis()
            )
        });
        Attempt::Response(Box::new(response))
    }

    fn next_random(&self) -> u64 {
        // xorshift64*: jitter only, not security.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The delay before attempt `attempt + 1` (1-based `attempt`): `Retry-After` when the
    /// server gave one (capped at `backoff_max`), else exponential backoff with jitter
    /// (between half and all of `base * 2^(attempt-1)`, capped).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.opts.backoff_max);
        }
        let exp = self
            .opts
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.opts.backoff_max);
        let half = exp / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_nanos(self.next_random() % nanos)
    }

    pub fn sleep(&self, d: Duration, why: &str) {
        self.log(|| format!("   waiting {} ms ({why})", d.as_millis()));
        std::thread::sleep(d);
    }
}

/// Reads `Retry-After` given in seconds (an HTTP date is ignored: backoff applies).
pub(crate) fn retry_after(resp: &ureq::Response) -> Option<Duration> {
    resp.header("Retry-After")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Whether a status is worth retrying.
pub(crate) fn retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// Reads a small body (error documents, XML lists) with a size cap.
pub(crate) fn read_small(resp: ureq::Response, url: &str) -> Result<String> {
    use std::io::Read;
    const CAP: u64 = 32 << 20;
    let mut s = String::new();
    resp.into_reader()
        .take(CAP)
        .read_to_string(&mut s)
        .map_err(|e| Error::Parse {
            url: url.to_owned(),
            message: format!("reading the body: {e}"),
        })?;
    Ok(s)
}

/// The human message inside a Concur error body: XML `<Message>`, or JSON
/// `error_description` / `Message` / `message`.
pub(crate) fn error_message(body: &str) -> String {
    let body = body.trim();
    if body.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
            for key in ["error_description", "Message", "message", "error"] {
                if let Some(s) = v.get(key).and_then(|x| x.as_str()) {
                    return s.to_owned();
                }
            }
        }
    } else if body.starts_with('<')
        && let Ok(doc) = roxmltree::Document::parse(body)
        && let Some(n) = doc
            .descendants()
            .find(|n| n.tag_name().name().eq_ignore_ascii_case("Message"))
    {
        return n.text().unwrap_or("").trim().to_owned();
    }
    body.chars().take(200).collect()
}

/// `application/x-www-form-urlencoded` encoding.
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k);
        out.push('=');
        encode_into(&mut out, v);
    }
    out.into_bytes()
}

fn encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// `https://host[:port]` of a URL, for same-origin checks.
pub(crate) fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_encode(&[("a b", "x&y=z"), ("k", "é")]),
            b"a+b=x%26y%3Dz&k=%C3%A9".to_vec()
        );
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            error_message("<Error><Message>Nope</Message><Id>1</Id></Error>"),
            "Nope"
        );
        assert_eq!(
            error_message(r#"{"error":"invalid_grant","error_description":"bad"}"#),
            "bad"
        );
        assert_eq!(error_message("plain"), "plain");
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let http = Http::new(
            HttpOptions {
                backoff_base: Duration::from_millis(100),
                backoff_max: Duration::from_millis(1000),
                ..HttpOptions::default()
            },
            None,
        );
        for attempt in 1..=8u32 {
            let d = http.delay(attempt, None);
            let full =
                Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_millis(1000));
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        assert_eq!(
            http.delay(1, Some(Duration::from_secs(5))),
            Duration::from_millis(1000)
        );
        assert_eq!(
            http.delay(1, Some(Duration::from_millis(3))),
            Duration::from_millis(3)
        );
    }

    #[test]
    fn origins() {
        assert_eq!(origin("https://a.b:8/x/y"), "https://a.b:8");
        assert_eq!(origin("http://h"), "http://h");
    }
}

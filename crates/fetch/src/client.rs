//! The authenticated API client: every resource call goes through `Client::send`, which
//! adds the Authorization header, refreshes once on 401 (and on 403 when configured),
//! retries connection errors, 5xx and 429 with backoff, and follows redirects without
//! leaking the token to another host.

use crate::auth::{AuthScheme, ClientCredentials, ConnectRequest, Session};
use crate::error::{Error, Result};
use crate::http::{
    Attempt, Http, HttpOptions, Logger, Req, error_message, origin, read_small, retry_after,
    retryable_status,
};
use crate::store::{StoredTokens, TokenStore};
use std::time::Duration;

/// Whether a request may be repeated blindly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads and other idempotent calls: retry connection errors, 5xx and 429.
    Safe,
    /// Calls with effects that must be re-checked before another try (closing a payment
    /// batch): only retried when the connection was never made.
    Never,
}

/// Client behaviour that Concur's documentation leaves open.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Network and retry behaviour.
    pub http: HttpOptions,
    /// How the token is presented.
    pub auth_scheme: AuthScheme,
    /// Also treat 403 as "token expired: refresh once and retry" (Concur's older status
    /// page documents 403 for expired tokens; its gateway answers 401).
    pub refresh_on_403: bool,
    /// Refresh the access token when less than this is left.
    pub refresh_skew: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            http: HttpOptions::default(),
            auth_scheme: AuthScheme::Bearer,
            refresh_on_403: false,
            refresh_skew: Duration::from_secs(300),
        }
    }
}

/// A connected Concur client.
pub struct Client {
    pub(crate) http: Http,
    session: Session,
    opts: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.session)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

/// Exchanges a company request token for tokens and stores them (`ledgerline connect`).
pub fn connect(
    req: &ConnectRequest,
    store: &TokenStore,
    http: HttpOptions,
    log: Option<Logger>,
) -> Result<StoredTokens> {
    let http = Http::new(http, log);
    crate::auth::connect(&http, req, store)
}

impl Client {
    /// Opens the store's only connection; a store with several is
    /// [`Error::CompanyNotChosen`] (use [`Client::open_company`]).
    pub fn open(
        store: TokenStore,
        credentials: ClientCredentials,
        opts: ClientOptions,
        log: Option<Logger>,
    ) -> Result<Client> {
        Client::open_company(store, None, credentials, opts, log)
    }

    /// Opens the stored connection of `company`, or without one the store's only connection
    /// (see [`TokenStore::load`]). Nothing is sent to Concur yet.
    pub fn open_company(
        store: TokenStore,
        company: Option<&str>,
        credentials: ClientCredentials,
        opts: ClientOptions,
        log: Option<Logger>,
    ) -> Result<Client> {
        let session = Session::open(store, company, credentials, opts.refresh_skew)?;
        Ok(Client {
            http: Http::new(opts.http.clone(), log),
            session,
            opts,
        })
    }

    /// The session (tokens and geolocation).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Refreshes the tokens now (rotated refresh token saved before this returns). This is
    /// the live check of a connection: it succeeds only when Concur accepts the client and
    /// the refresh token.
    pub fn refresh(&mut self) -> Result<()> {
        self.session.refresh(&self.http)
    }

    /// Revokes the connection at Concur and deletes it from the token store (the other
    /// companies' connections stay).
    pub fn disconnect(self) -> Result<()> {
        self.session.revoke(&self.http, self.opts.auth_scheme)
    }

    /// `{geolocation}{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.session.geolocation().trim_end_matches('/'),
            path
        )
    }

    pub(crate) fn log(&self, line: impl FnOnce() -> String) {
        self.http.log(line);
    }

    pub(crate) fn sleep(&self, d: Duration, why: &str) {
        self.http.sleep(d, why);
    }

    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        self.http.delay(attempt, None)
    }

    pub(crate) fn max_attempts(&self) -> u32 {
        self.http.opts.max_attempts.max(1)
    }

    /// Sends an authenticated request and returns the response, whatever its status, unless
    /// retries ran out (then an error). See the module docs for the policy.
    pub(crate) fn send(&mut self, req: &Req<'_>, retry: Retry) -> Result<ureq::Response> {
        let max = self.max_attempts();
        let mut attempt = 0;
        let mut refreshed = false;
        let mut redirects = 0;
        let mut url = req.url.to_owned();
        let mut send_auth = true;
        loop {
            attempt += 1;
            let current = Req {
                url: &url,
                ..req.clone()
            };
            let header = if send_auth {
                Some(
                    self.opts
                        .auth_scheme
                        .header(&self.session.access_token(&self.http)?),
                )
            } else {
                None
            };
            match self.http.once(&current, header.as_deref()) {
                Attempt::Transport {
                    message,
                    before_send,
                } => {
                    if (retry == Retry::Safe || before_send) && attempt < max {
                        self.http
                            .sleep(self.http.delay(attempt, None), "connection problem");
                        continue;
                    }
                    return Err(Error::Transport {
                        method: current.method.into(),
                        url: current.url.into(),
                        message,
                        attempts: attempt,
                    });
                }
                Attempt::Response(resp) => {
                    let resp = *resp;
                    let status = resp.status();
                    let auth_failed = status == 401 || (status == 403 && self.opts.refresh_on_403);
                    if auth_failed && send_auth && !refreshed {
                        refreshed = true;
                        attempt -= 1;
                        self.http.log(|| {
                            format!("   {status}: refreshing the access token once and retrying")
                        });
                        self.session.refresh(&self.http)?;
                        continue;
                    }
                    if matches!(status, 301 | 302 | 303 | 307 | 308)
                        && current.method == "GET"
                        && redirects < 3
                        && let Some(to) = resp.header("Location")
                    {
                        redirects += 1;
                        attempt -= 1;
                        let next = if to.starts_with('/') {
                            format!("{}{to}", origin(current.url))
                        } else {
                            to.to_owned()
                        };
                        send_auth = send_auth && same_site(current.url, &next);
                        self.http.log(|| format!("   redirected to {next}"));
                        url = next;
                        continue;
                    }
                    if retryable_status(status) && retry == Retry::Safe {
                        if attempt < max {
                            let wait = self.http.delay(attempt, retry_after(&resp));
                            self.http.sleep(wait, &format!("server answered {status}"));
                            continue;
                        }
                        let message = error_message(&read_small(resp, current.url)?);
                        return Err(Error::Http {
                            method: current.method.into(),
                            url: current.url.into(),
                            status,
                            message: format!("{message} (gave up after {attempt} attempts)"),
                        });
                    }
                    return Ok(resp);
                }
            }
        }
    }

    /// GET a small document; any status other than 2xx becomes [`Error::Http`].
    pub(crate) fn get_text(&mut self, url: &str, accept: &str) -> Result<String> {
        let resp = self.send(&Req::get(url, accept), Retry::Safe)?;
        let resp = expect_success(resp, "GET", url)?;
        read_small(resp, url)
    }
}

/// Turns a non-2xx response into [`Error::Http`].
pub(crate) fn expect_success(
    resp: ureq::Response,
    method: &str,
    url: &str,
) -> Result<ureq::Response> {
    let status = resp.status();
    if (200..300).contains(&status) {
        return Ok(resp);
    }
    let message = error_message(&read_small(resp, url).unwrap_or_default());
    Err(Error::Http {
        method: method.into(),
        url: url.into(),
        status,
        message,
    })
}

/// Whether a redirect stays on the same site: same origin, or both HTTPS with the same
/// parent domain (Concur's data centres are `*.api.concursolutions.com`).
fn same_site(from: &str, to: &str) -> bool {
    if !to.contains("://") || origin(from) == origin(to) {
        return true;
    }
    let host = |u: &str| {
        let o = origin(u);
        let h = o
            .split("://")
            .nth(1)
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap_or("");
        h.rsplitn(3, '.').take(2).collect::<Vec<_>>().join(".")
    };
    from.starts_with("https://") && to.starts_with("https://") && host(from) == host(to)
}

#[cfg(test)]
mod tests {
    use super::same_site;

    #[test]
    fn redirects_keep_the_token_on_site_only() {
        assert!(same_site("https://us.api.concursolutions.com/a", "/b"));
        assert!(same_site(
            "https://us.api.concursolutions.com/a",
            "https://emea.api.concursolutions.com/b"
        ));
        assert!(!same_site(
            "https://us.api.concursolutions.com/a",
            "https://evil.example.com/b"
        ));
        assert!(!same_site(
            "https://us.api.concursolutions.com/a",
            "http://us.api.concursolutions.com/b"
        ));
    }
}

//! OAuth2 against Concur's token endpoint: the company-token exchange (`password` grant with
//! `credtype=authtoken`), refresh with rotating refresh tokens, revocation, and the session
//! that keeps a valid access token for the API calls.

use crate::error::{Error, Result};
use crate::http::{Attempt, Http, Req, form_encode, read_small, retry_after};
use crate::lock::FileLock;
use crate::store::{StoredTokens, TokenStore};
use crate::time::now_unix;
use std::time::Duration;

/// The app's OAuth client. `Debug` never shows the secret.
#[derive(Clone)]
pub struct ClientCredentials {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// How the access token is presented to the resource APIs. Concur's Extract and Payment
/// Batch examples show `OAuth`, its OAuth2 pages say `Bearer`; which one every host accepts
/// is not settled, hence configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>` (default).
    #[default]
    Bearer,
    /// `Authorization: OAuth <token>`.
    OAuth,
}

impl AuthScheme {
    pub(crate) fn header(self, token: &str) -> String {
        match self {
            AuthScheme::Bearer => format!("Bearer {token}"),
            AuthScheme::OAuth => format!("OAuth {token}"),
        }
    }
}

/// A parsed token response.
#[derive(Clone)]
pub(crate) struct TokenResponse {
    access_token: String,
    expires_in: i64,
    refresh_token: Option<String>,
    refresh_expires_at: Option<i64>,
    geolocation: Option<String>,
    scope: Option<String>,
}

/// Reads `expires_in` given as a number or as a string of digits.
fn int_or_string(v: Option<&serde_json::Value>) -> Option<i64> {
    match v? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_token_response(body: &str, url: &str) -> Result<TokenResponse> {
    let bad = |m: &str| Error::Parse {
        url: url.to_owned(),
        message: m.to_owned(),
    };
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|_| bad("the token response is not JSON"))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let access_token =
        s("access_token").ok_or_else(|| bad("no access_token in the token response"))?;
    if let Some(t) = s("token_type")
        && !t.eq_ignore_ascii_case("bearer")
    {
        return Err(bad("token_type is not Bearer"));
    }
    Ok(TokenResponse {
        access_token,
        // 1 h is Concur's documented lifetime; used when the field is unreadable.
        expires_in: int_or_string(v.get("expires_in")).unwrap_or(3600),
        refresh_token: s("refresh_token"),
        // An absolute epoch timestamp despite its name.
        refresh_expires_at: int_or_string(v.get("refresh_expires_in")),
        geolocation: s("geolocation").map(|g| g.trim_end_matches('/').to_owned()),
        scope: s("scope"),
    })
}

/// Concur's token-endpoint error body.
struct OAuthErrorBody {
    code: i64,
    error: String,
    description: String,
    geolocation: Option<String>,
}

fn parse_oauth_error(body: &str) -> OAuthErrorBody {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    OAuthErrorBody {
        code: int_or_string(v.get("code")).unwrap_or(0),
        error: s("error").unwrap_or_else(|| "unknown_error".into()),
        description: s("error_description")
            .unwrap_or_else(|| body.chars().take(200).collect::<String>()),
        geolocation: s("geolocation").map(|g| g.trim_end_matches('/').to_owned()),
    }
}

enum TokenOutcome {
    Ok(TokenResponse),
    Refused { status: u16, body: OAuthErrorBody },
}

/// POSTs a form to the token endpoint. Retries only where the request cannot have been
/// processed (connection never made) or the server asked to slow down (429, 503): a token
/// request that reached the server may have rotated the refresh token.
fn token_call(http: &Http, token_url: &str, form: &[(&str, &str)]) -> Result<TokenOutcome> {
    let req = Req::post(
        token_url,
        "application/json",
        // No charset parameter: Concur's gateway rejects it.
        "application/x-www-form-urlencoded",
        form_encode(form),
    );
    let max = http.opts.max_attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match http.once(&req, None) {
            Attempt::Transport {
                message,
                before_send,
            } => {
                if before_send && attempt < max {
                    http.sleep(http.delay(attempt, None), "token endpoint unreachable");
                    continue;
                }
                return Err(Error::Transport {
                    method: "POST".into(),
                    url: token_url.into(),
                    message,
                    attempts: attempt,
                });
            }
            Attempt::Response(resp) => {
                let resp = *resp;
                let status = resp.status();
                if (status == 429 || status == 503) && attempt < max {
                    let wait = http.delay(attempt, retry_after(&resp));
                    http.sleep(wait, &format!("token endpoint answered {status}"));
                    continue;
                }
                let body = read_small(resp, token_url)?;
                if status == 200 {
                    return parse_token_response(&body, token_url).map(TokenOutcome::Ok);
                }
                return Ok(TokenOutcome::Refused {
                    status,
                    body: parse_oauth_error(&body),
                });
            }
        }
    }
}

/// How long to wait for another process's refresh: every attempt it may make at the token
/// endpoint, and a margin.
fn refresh_wait(http: &Http) -> Duration {
    let o = &http.opts;
    (o.connect_timeout + o.read_timeout + o.backoff_max).saturating_mul(o.max_attempts.max(1))
        + Duration::from_secs(10)
}

fn token_url(base: &str) -> String {
    format!("{}/oauth2/v0/token", base.trim_end_matches('/'))
}

fn oauth_error(status: u16, b: OAuthErrorBody) -> Error {
    Error::OAuth {
        status,
        code: b.code,
        error: b.error,
        description: b.description,
    }
}

/// What `connect` needs.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    /// Where the first token exchange goes (Concur's docs have named both the app's
    /// geolocation and a global landing host over time, so this is configurable).
    pub base_url: String,
    /// The app's OAuth client.
    pub client: ClientCredentials,
    /// The company UUID shown with the company request token.
    pub company_id: String,
    /// The company request token (valid 24 h, reusable within them).
    pub request_token: Secret,
}

/// A string that `Debug` does not show.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Exchanges a company request token for access and refresh tokens and saves them as the
/// company's connection (replacing its earlier one, keeping the other companies').
pub(crate) fn connect(
    http: &Http,
    req: &ConnectRequest,
    store: &TokenStore,
) -> Result<StoredTokens> {
    let form = [
        ("grant_type", "password"),
        ("client_id", req.client.client_id.as_str()),
        ("client_secret", req.client.client_secret.as_str()),
        ("username", req.company_id.as_str()),
        ("password", req.request_token.0.as_str()),
        ("credtype", "authtoken"),
    ];
    // Held until the new connection is saved: a refresh of the old one running in another
    // process then either finishes first or, after waiting, sees the new tokens.
    let lock = store.lock(refresh_wait(http))?;
    let mut url = token_url(&req.base_url);
    let mut redirected = false;
    let tr = loop {
        match token_call(http, &url, &form)? {
            TokenOutcome::Ok(tr) => break tr,
            // Code 16: the company lives in another data centre; Concur names it.
            TokenOutcome::Refused { body, .. }
                if body.code == 16 && body.geolocation.is_some() && !redirected =>
            {
                redirected = true;
                url = token_url(body.geolocation.as_deref().unwrap_or_default());
                http.log(|| format!("   company lives elsewhere; retrying at {url}"));
            }
            TokenOutcome::Refused { status, body } => return Err(oauth_error(status, body)),
        }
    };
    let refresh_token = tr.refresh_token.clone().ok_or_else(|| Error::Parse {
        url: url.clone(),
        message: "the token response has no refresh_token".into(),
    })?;
    let now = now_unix();
    let base_url = req.base_url.trim_end_matches('/').to_owned();
    let tokens = StoredTokens {
        client_id: req.client.client_id.clone(),
        company_id: Some(req.company_id.trim().to_owned()),
        base_url: Some(base_url.clone()),
        geolocation: tr.geolocation.clone().unwrap_or(base_url),
        access_token: tr.access_token,
        access_expires_at: now + tr.expires_in,
        refresh_token,
        refresh_expires_at: tr.refresh_expires_at,
        scope: tr.scope,
        connected_at: now,
        refreshed_at: now,
    };
    store.save(&tokens, &lock)?;
    Ok(tokens)
}

/// A live connection: the stored tokens plus what is needed to refresh them.
pub struct Session {
    store: TokenStore,
    tokens: StoredTokens,
    client: ClientCredentials,
    skew: Duration,
    /// Refreshed during this session already: the skew no longer applies (a token whose
    /// whole lifetime is shorter than the skew would otherwise be refreshed on every call).
    refreshed: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("store", &self.store)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Opens a stored connection: `company`'s, or without one the store's only connection
    /// (see [`TokenStore::load`]). `skew`: refresh when the access token has less than this
    /// left.
    pub fn open(
        store: TokenStore,
        company: Option<&str>,
        client: ClientCredentials,
        skew: Duration,
    ) -> Result<Session> {
        let tokens = store.load(company)?;
        if tokens.client_id != client.client_id {
            return Err(Error::Config(format!(
                "the connection of company {} in the token store {} belongs to client id {:?}, not {:?}",
                tokens.company_label(),
                store.path().display(),
                tokens.client_id,
                client.client_id
            )));
        }
        Ok(Session {
            store,
            tokens,
            client,
            skew,
            refreshed: false,
        })
    }

    /// The stored tokens (secrets included: do not print them).
    pub fn tokens(&self) -> &StoredTokens {
        &self.tokens
    }

    /// The base URL of every API call.
    pub fn geolocation(&self) -> &str {
        &self.tokens.geolocation
    }

    /// A usable access token, refreshed first when it expires within the skew.
    pub(crate) fn access_token(&mut self, http: &Http) -> Result<String> {
        let left = self.tokens.access_expires_at - now_unix();
        let margin = if self.refreshed {
            5
        } else {
            self.skew.as_secs() as i64
        };
        if left <= margin {
            http.log(|| "   access token expires soon; refreshing".into());
            self.refresh(http)?;
        }
        Ok(self.tokens.access_token.clone())
    }

    /// Refreshes now. The (possibly rotated) refresh token, the new geolocation and expiry
    /// are saved atomically before this returns, so the next use reads the new one.
    ///
    /// Processes sharing the token store take turns: the store's lock is held from reading
    /// the refresh token until the rotated one is saved. A process that waited for another
    /// one's refresh uses the tokens it saved (refreshing with them only if the access token
    /// is no longer fresh), instead of presenting a refresh token Concur has rotated away.
    /// And when Concur refuses the refresh token anyway (a process that does not take the
    /// lock rotated it first), the store is read again: a different refresh token there is
    /// tried once before the connection is declared gone.
    pub(crate) fn refresh(&mut self, http: &Http) -> Result<()> {
        let lock = self.store.lock(refresh_wait(http))?;
        if let Some(stored) = self.stored_if_changed()? {
            let fresh = stored.access_token != self.tokens.access_token
                && stored.access_expires_at - now_unix() > 5;
            self.tokens = stored;
            if fresh {
                self.refreshed = true;
                http.log(|| "   another process refreshed the tokens; using the saved ones".into());
                return Ok(());
            }
        }
        let refused = match self.refresh_with_current(http, &lock)? {
            None => return Ok(()),
            Some(reconnect) => reconnect,
        };
        let presented = self.tokens.refresh_token.clone();
        match self.stored_if_changed()? {
            Some(stored) if stored.refresh_token != presented => {
                http.log(|| {
                    "   refresh token refused, but the store holds another one (rotated by another process); retrying once with it".into()
                });
                self.tokens = stored;
                match self.refresh_with_current(http, &lock)? {
                    None => Ok(()),
                    Some(reconnect) => Err(reconnect),
                }
            }
            _ => Err(refused),
        }
    }

    /// This company's stored tokens, when they differ from the ones in memory and belong to
    /// the same client. A missing store or connection is no change (the next save writes it
    /// again).
    fn stored_if_changed(&self) -> Result<Option<StoredTokens>> {
        let Some(stored) = self.store.load_exact(self.tokens.company_id.as_deref())? else {
            return Ok(None);
        };
        Ok((stored != self.tokens && stored.client_id == self.tokens.client_id).then_some(stored))
    }

    /// One refresh with the refresh token in memory, saved before it returns. `Some(error)`
    /// when the refresh token is expired or refused (the connection may be gone).
    fn refresh_with_current(&mut self, http: &Http, lock: &FileLock) -> Result<Option<Error>> {
        if let Some(exp) = self.tokens.refresh_expires_at
            && exp <= now_unix()
        {
            return Ok(Some(Error::ReconnectNeeded {
                reason: "the refresh token has expired".into(),
            }));
        }
        let url = token_url(&self.tokens.geolocation);
        let outcome = token_call(
            http,
            &url,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", self.client.client_id.as_str()),
                ("client_secret", self.client.client_secret.as_str()),
                ("refresh_token", self.tokens.refresh_token.as_str()),
            ],
        )?;
        let tr = match outcome {
            TokenOutcome::Ok(tr) => tr,
            TokenOutcome::Refused { status, body } => {
                if body.code == 108 || body.error == "invalid_grant" {
                    return Ok(Some(Error::ReconnectNeeded {
                        reason: format!(
                            "refresh refused: {} (Concur code {}), the refresh token expired or the app was disconnected",
                            body.description, body.code
                        ),
                    }));
                }
                return Err(oauth_error(status, body));
            }
        };
        let now = now_unix();
        let t = &mut self.tokens;
        t.access_token = tr.access_token;
        t.access_expires_at = now + tr.expires_in;
        if let Some(rt) = tr.refresh_token {
            t.refresh_token = rt;
        }
        if let Some(g) = tr.geolocation {
            t.geolocation = g;
        }
        if tr.refresh_expires_at.is_some() {
            t.refresh_expires_at = tr.refresh_expires_at;
        }
        if tr.scope.is_some() {
            t.scope = tr.scope;
        }
        t.refreshed_at = now;
        self.store.save(&self.tokens, lock)?;
        self.refreshed = true;
        http.log(|| "   tokens refreshed and saved".into());
        Ok(None)
    }

    /// Revokes every refresh token of this app for the company
    /// (`DELETE /app-mgmt/v0/connections`) and deletes its connection from the store (the
    /// store itself with the last one).
    pub(crate) fn revoke(mut self, http: &Http, scheme: AuthScheme) -> Result<()> {
        let token = self.access_token(http)?;
        let url = format!(
            "{}/app-mgmt/v0/connections",
            self.tokens.geolocation.trim_end_matches('/')
        );
        let req = Req {
            method: "DELETE",
            url: &url,
            accept: Some("application/json"),
            body: None,
            headers: &[],
        };
        match http.once(&req, Some(&scheme.header(&token))) {
            Attempt::Response(r) if r.status() < 300 => {}
            Attempt::Response(r) => {
                let status = r.status();
                let message = crate::http::error_message(&read_small(*r, &url)?);
                return Err(Error::Http {
                    method: "DELETE".into(),
                    url,
                    status,
                    message,
                });
            }
            Attempt::Transport { message, .. } => {
                return Err(Error::Transport {
                    method: "DELETE".into(),
                    url,
                    message,
                    attempts: 1,
                });
            }
        }
        let lock = self.store.lock(refresh_wait(http))?;
        self.store.remove(self.tokens.company_id.as_deref(), &lock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_string_or_number() {
        let a = parse_token_response(
            r#"{"expires_in":"3600","access_token":"a","refresh_token":"r","token_type":"Bearer","geolocation":"https://us.example/","refresh_expires_in":1517039403}"#,
            "u",
        )
        .unwrap();
        assert_eq!(a.expires_in, 3600);
        assert_eq!(a.refresh_expires_at, Some(1_517_039_403));
        assert_eq!(a.geolocation.as_deref(), Some("https://us.example"));
        let b = parse_token_response(
            r#"{"expires_in":60,"access_token":"a","token_type":"bearer"}"#,
            "u",
        )
        .unwrap();
        assert_eq!(b.expires_in, 60);
        assert!(b.refresh_token.is_none());
        assert!(parse_token_response("<html/>", "u").is_err());
    }

    #[test]
    fn oauth_error_body() {
        let e = parse_oauth_error(
            r#"{"error":"invalid_grant","error_description":"Refresh token not found","code":108}"#,
        );
        assert_eq!((e.code, e.error.as_str()), (108, "invalid_grant"));
    }

    #[test]
    fn secrets_are_not_debug_printed() {
        let c = ClientCredentials {
            client_id: "id".into(),
            client_secret: "S3CRET".into(),
        };
        assert!(!format!("{c:?}").contains("S3CRET"));
        assert!(!format!("{:?}", Secret("S3CRET".into())).contains("S3CRET"));
    }
}

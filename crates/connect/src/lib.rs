//! # ledgerline-connect
//!
//! The Quick Connect landing page (`ledgerline connect --serve`): a small axum server that a
//! Concur administrator reaches from the App Center's Connect button
//! (`?id={company}&requestToken={token}&userId={user}`; `userID` is accepted too). The page
//! shows the branding, the company being connected and what Ledgerline will access; only
//! the administrator's confirmation (a `POST` carrying the one-time CSRF token that page
//! issued, with the cookie set alongside it) exchanges the request token for the company's
//! tokens, which are stored under that company in the token store
//! ([`ledgerline_fetch::TokenStore`]). A confirmation gives the next steps; errors are said
//! in plain words and logged without secrets; `/disconnect` revokes a connection.
//!
//! It is a crate of its own rather than a module of `ledgerline-fetch` because it is a
//! server (axum, tokio) and the fetch crate is a blocking client that `sync` and the binary
//! use without any server: keeping the server here keeps those dependencies out of them.
//!
//! ```no_run
//! use ledgerline_connect::{Branding, LandingServer, ServerConfig};
//! use ledgerline_fetch::{ClientCredentials, ClientOptions, TokenStore};
//!
//! let cfg = ServerConfig {
//!     branding: Branding::default(),
//!     exchange_base_url: "https://us.api.concursolutions.com".into(),
//!     credentials: ClientCredentials { client_id: "app".into(), client_secret: "s".into() },
//!     store: TokenStore::new("/home/me/.config/ledgerline/tokens.json"),
//!     client: ClientOptions::default(),
//!     http_log: None,
//!     events: None,
//! };
//! let server = LandingServer::start(cfg, "127.0.0.1:8766").unwrap();
//! println!("open {}", server.url());
//! server.wait();
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod page;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ledgerline_fetch::config::Landing;
use ledgerline_fetch::{
    Client, ClientCredentials, ClientOptions, ConnectRequest, Error as FetchError, Logger, Secret,
    TokenStore,
};
use page::{access_list, esc, page};
use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a landing page's confirmation stays usable.
pub const PAGE_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// The cookie that binds a confirmation to the browser that was shown the page.
const COOKIE: &str = "ledgerline_connect";
/// Pages waiting for a confirmation, at most (the oldest go first).
const MAX_PENDING: usize = 1000;
/// The largest logo inlined.
const MAX_LOGO: u64 = 256 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address is not an address.
    #[error("connect --serve: {0:?} is not an address like 127.0.0.1:8766")]
    Address(String),
    /// Binding or starting the runtime failed.
    #[error("connect --serve: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The logo file is unusable.
    #[error("[landing] logo {}: {problem}", path.display())]
    Logo {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// What every page shows: the application's and the partner's brand, the links Concur's
/// review asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    /// The application's name.
    pub product_name: String,
    /// The partner company.
    pub company_name: String,
    /// The logo as a `data:` URI.
    pub logo_data_uri: Option<String>,
    /// The privacy policy.
    pub privacy_url: String,
    /// Terms and conditions.
    pub terms_url: Option<String>,
    /// Support: an e-mail address or a URL.
    pub support: String,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            product_name: "Ledgerline".into(),
            company_name: "Ledgerline".into(),
            logo_data_uri: None,
            privacy_url: "https://example.invalid/ledgerline/privacy".into(),
            terms_url: None,
            support: "https://example.invalid/ledgerline/support".into(),
        }
    }
}

impl Branding {
    /// The branding of a `[landing]` table; a relative logo path is read from `base_dir`
    /// (the config file's folder). Missing keys take the defaults.
    pub fn from_config(l: &Landing, base_dir: &Path) -> Result<Branding, Error> {
        let d = Branding::default();
        let product_name = l.product_name.clone().unwrap_or(d.product_name);
        let logo_data_uri = match &l.logo {
            None => None,
            Some(p) => Some(logo_uri(&base_dir.join(p))?),
        };
        Ok(Branding {
            company_name: l
                .company_name
                .clone()
                .unwrap_or_else(|| product_name.clone()),
            product_name,
            logo_data_uri,
            privacy_url: l.privacy_url.clone().unwrap_or(d.privacy_url),
            terms_url: l.terms_url.clone(),
            support: l.support.clone().unwrap_or(d.support),
        })
    }
}

/// A logo file as a `data:` URI, its type from its first bytes.
fn logo_uri(path: &Path) -> Result<String, Error> {
    let bad = |problem: String| Error::Logo {
        path: path.to_owned(),
        problem,
    };
    let f = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut bytes = Vec::new();
    f.take(MAX_LOGO + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(e.to_string()))?;
    if bytes.len() as u64 > MAX_LOGO {
        return Err(bad(format!("larger than {} KiB", MAX_LOGO / 1024)));
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if head.contains("<svg") {
        "image/svg+xml"
    } else {
        return Err(bad("not a PNG, JPEG, GIF, WebP or SVG image".into()));
    };
    Ok(format!("data:{mime};base64,{}", page::base64(&bytes)))
}

/// Everything the server needs.
#[derive(Clone)]
pub struct ServerConfig {
    /// What the pages show.
    pub branding: Branding,
    /// Host of the token exchange (Concur names the global landing host; the company's
    /// geolocation comes back with the tokens).
    pub exchange_base_url: String,
    /// The app's OAuth client.
    pub credentials: ClientCredentials,
    /// Where connections are stored (one per company).
    pub store: TokenStore,
    /// Network behaviour of the exchange and of revocations.
    pub client: ClientOptions,
    /// The fetch client's request log (`-v`), if any.
    pub http_log: Option<Logger>,
    /// Where the server says what happened (a connect, a refusal, a disconnect): one line
    /// each, never a secret. `None`: nowhere.
    pub events: Option<Logger>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("branding", &self.branding)
            .field("exchange_base_url", &self.exchange_base_url)
            .field("credentials", &self.credentials)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// A page waiting for its confirmation.
struct Pending {
    /// What the form confirms.
    action: Action,
    /// The cookie value the browser that was shown the page holds.
    cookie: String,
    created: Instant,
}

enum Action {
    Connect {
        company_id: String,
        request_token: Secret,
        user_id: Option<String>,
    },
    Disconnect,
}

struct AppState {
    cfg: ServerConfig,
    pending: Mutex<HashMap<String, Pending>>,
}

impl AppState {
    fn event(&self, line: &str) {
        if let Some(log) = &self.cfg.events {
            log(line);
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a page's confirmation: (CSRF token, cookie value).
    fn issue(&self, action: Action, cookie: Option<String>) -> std::io::Result<(String, String)> {
        let csrf = random_hex(32)?;
        let cookie = match cookie {
            Some(c) => c,
            None => random_hex(32)?,
        };
        let mut p = self.pending();
        p.retain(|_, v| v.created.elapsed() < PAGE_LIFETIME);
        while p.len() >= MAX_PENDING {
            let Some(oldest) = p
                .iter()
                .min_by_key(|(_, v)| v.created)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            p.remove(&oldest);
        }
        p.insert(
            csrf.clone(),
            Pending {
                action,
                cookie: cookie.clone(),
                created: Instant::now(),
            },
        );
        Ok((csrf, cookie))
    }

    /// Takes the confirmation a POST names, if its cookie matches; a mismatching cookie
    /// leaves it in place (the browser that was shown the page can still confirm).
    fn take(&self, csrf: &str, cookie: Option<&str>) -> Result<Pending, Refusal> {
        let mut p = self.pending();
        let Some(found) = p.get(csrf) else {
            return Err(Refusal::Unknown);
        };
        if found.created.elapsed() >= PAGE_LIFETIME {
            p.remove(csrf);
            return Err(Refusal::Unknown);
        }
        if cookie != Some(found.cookie.as_str()) {
            return Err(Refusal::Cookie);
        }
        p.remove(csrf).ok_or(Refusal::Unknown)
    }
}

enum Refusal {
    /// No such confirmation: never issued, used, or expired.
    Unknown,
    /// Not the browser that was shown the page.
    Cookie,
}

/// `n` random bytes from the operating system, as hex.
fn random_hex(n: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Starts landing servers.
#[derive(Debug, Clone, Copy)]
pub struct LandingServer;

impl LandingServer {
    /// Starts the server on `addr` (port 0 picks a free one) in a background thread with
    /// its own runtime.
    pub fn start(cfg: ServerConfig, addr: &str) -> Result<RunningLanding, Error> {
        let sock: SocketAddr = addr.parse().map_err(|_| Error::Address(addr.into()))?;
        let bind = |source| Error::Bind {
            addr: addr.to_owned(),
            source,
        };
        let listener = std::net::TcpListener::bind(sock).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(bind)?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(bind)?
        };
        let state = Arc::new(AppState {
            cfg,
            pending: Mutex::new(HashMap::new()),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(state);
        let thread = std::thread::Builder::new()
            .name("ledgerline-connect".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = rx.await;
                        })
                        .await;
                });
            })
            .map_err(bind)?;
        Ok(RunningLanding {
            addr: local,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }
}

/// A running landing server. Dropping it stops it.
pub struct RunningLanding {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningLanding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningLanding")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningLanding {
    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`: the Connect URI to register with the App Center.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Blocks until the server ends (it runs until stopped or the process ends).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningLanding {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

type Shared = Arc<AppState>;

fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(landing))
        .route("/connect", axum::routing::post(confirm))
        .route("/disconnect", get(disconnect_page).post(disconnect))
        .fallback(not_found)
        .with_state(state)
}

// ---- responses -----------------------------------------------------------------------

/// An HTML answer with the headers every page carries: no caching (the address holds the
/// request token), no referrer, no framing, and a policy that lets the page load nothing
/// from anywhere (styles inline, images as `data:`).
fn html(status: StatusCode, body: String, cookie: Option<&str>) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    if let Some(c) = cookie
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{COOKIE}={c}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
            PAGE_LIFETIME.as_secs()
        ))
    {
        h.insert(header::SET_COOKIE, v);
    }
    r
}

fn message_page(s: &Shared, status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><div class=\"error\" id=\"problem\">{text}</div>",
        esc(title)
    );
    html(status, page(&s.cfg.branding, title, &body), None)
}

async fn not_found(State(s): State<Shared>) -> Response {
    message_page(
        &s,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no such page here. To connect a company, click Connect on the app's listing in the SAP Concur App Center.",
    )
}

fn unavailable(s: &Shared, e: &std::io::Error) -> Response {
    s.event(&format!(
        "landing: no random numbers for the page's token: {e}"
    ));
    message_page(
        s,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The page could not be prepared. Nothing was changed; please try again in a minute.",
    )
}

fn query_map(q: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn cookie_of(h: &HeaderMap) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// A company or user id as Concur gives them: a UUID-like word, nothing to inject.
fn plausible_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

// ---- the landing page ----------------------------------------------------------------

async fn landing(State(s): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let q = query_map(uri.query());
    let b = &s.cfg.branding;
    let product = esc(&b.product_name);
    let company = q
        .get("id")
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let token = q
        .get("requestToken")
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    // The App Center's redirect spells it userId; one of Concur's pages spells it userID.
    let user = q
        .get("userId")
        .or_else(|| q.get("userID"))
        .map(|v| v.trim().to_owned())
        .filter(|v| plausible_id(v));
    let (company, token) = match (company, token) {
        (None, None) => {
            let body = format!(
                "<h1>Connect SAP Concur to {product}</h1>\
<p>This is the {product} integration with SAP Concur. To connect your company, an administrator with the Web Services Administrator permission clicks <b>Connect</b> on {product}'s listing in the SAP Concur App Center; the App Center then opens this page with your company's connection request.</p>\
<p>{product} will access:</p>{}\
<p>Already connected? <a href=\"/disconnect\">Disconnect a company</a>.</p>",
                access_list(&b.product_name)
            );
            return html(StatusCode::OK, page(b, "Connect SAP Concur", &body), None);
        }
        (Some(c), Some(t)) if plausible_id(&c) => (c, t),
        (Some(c), Some(_)) => {
            s.event("landing: refused a redirect whose company id is not an id");
            return message_page(
                &s,
                StatusCode::BAD_REQUEST,
                "This link is not usable",
                &format!(
                    "The company id in the link ({}) is not a Concur company id. Go back to the SAP Concur App Center and click Connect again.",
                    esc(&c.chars().take(64).collect::<String>())
                ),
            );
        }
        (c, _) => {
            let missing = if c.is_none() { "id" } else { "requestToken" };
            s.event(&format!("landing: refused a redirect without {missing}"));
            return message_page(
                &s,
                StatusCode::BAD_REQUEST,
                "This link is incomplete",
                &format!(
                    "The link from the SAP Concur App Center lacks its <code>{missing}</code>. Go back to the App Center and click Connect again."
                ),
            );
        }
    };
    let user_line = user
        .as_deref()
        .map(|u| {
            format!(
                "<dt>Requested by (Concur user)</dt><dd id=\"user\">{}</dd>",
                esc(u)
            )
        })
        .unwrap_or_default();
    let action = Action::Connect {
        company_id: company.clone(),
        request_token: Secret(token),
        user_id: user.clone(),
    };
    let (csrf, cookie) = match s.issue(action, cookie_of(&headers)) {
        Ok(v) => v,
        Err(e) => return unavailable(&s, &e),
    };
    s.event(&format!(
        "landing: connect page shown for company {company}{}",
        user.as_deref()
            .map(|u| format!(" (Connect clicked by user {u})"))
            .unwrap_or_default()
    ));
    let body = format!(
        "<h1>Connect your SAP Concur company to {product}</h1>\
<p>This is the {product} integration with SAP Concur. Confirm below to connect this company; nothing is exchanged with SAP Concur before you do.</p>\
<dl><dt>SAP Concur company</dt><dd id=\"company\">{}</dd>{user_line}</dl>\
<p>{product} will access:</p>{}\
<p>The connection is stored on the {product} server only. You can disconnect at any time, here or in the App Center.</p>\
<form method=\"post\" action=\"/connect\" class=\"actions\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<button type=\"submit\" id=\"confirm\">Connect to {product}</button>\
<span>or close this window to cancel</span></form>",
        esc(&company),
        access_list(&b.product_name),
    );
    html(
        StatusCode::OK,
        page(b, "Connect SAP Concur", &body),
        Some(&cookie),
    )
}

/// A problem with the exchange, in words for the administrator: (title, text, worth
/// trying again with the same request).
fn explain(e: &FetchError, product: &str) -> (&'static str, String, bool) {
    match e {
        FetchError::OAuth { code: 16, .. } => (
            "Wrong data centre",
            format!(
                "SAP Concur says your company is served from another data centre (geolocation) than the one {product} asked, and the exchange did not succeed there either. Nothing was stored. Please contact support and mention \"geolocation\"."
            ),
            false,
        ),
        FetchError::OAuth { error, code, .. }
            if error == "invalid_grant" || matches!(code, 5 | 19) =>
        (
            "The connection request has expired or was already used",
            "SAP Concur did not accept this connection request. A request from the App Center is valid for 24 hours and can be used once: this one has expired, was already used, or belongs to another company. Go back to the SAP Concur App Center and click Connect again.".into(),
            false,
        ),
        FetchError::OAuth { error, .. } if error == "invalid_client" || error == "access_denied" => (
            "SAP Concur refused the application",
            format!(
                "SAP Concur refused {product}'s application credentials, so the company could not be connected. This has to be fixed on the {product} side: please contact support."
            ),
            false,
        ),
        FetchError::OAuth { status, .. } if *status >= 500 => (
            "SAP Concur is not answering properly",
            "SAP Concur answered with a server error. Nothing was stored. Please try again in a few minutes.".into(),
            true,
        ),
        FetchError::Transport { .. } => (
            "SAP Concur could not be reached",
            format!(
                "{product} could not reach SAP Concur (a network problem). Nothing was stored. Try again in a few minutes: the request from the App Center stays valid for 24 hours."
            ),
            true,
        ),
        FetchError::TokenStore { .. } | FetchError::Io { .. } => (
            "The connection could not be saved",
            format!(
                "SAP Concur accepted the request, but {product} could not save the connection on its server. Please contact support."
            ),
            false,
        ),
        _ => (
            "The company could not be connected",
            "Something unexpected went wrong; nothing was stored. Please contact support.".into(),
            false,
        ),
    }
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
}

fn stale(s: &Shared, refusal: Refusal, what: &str) -> Response {
    match refusal {
        Refusal::Unknown => {
            s.event(&format!(
                "landing: {what} refused: the page's token is unknown, used or expired"
            ));
            message_page(
                s,
                StatusCode::BAD_REQUEST,
                "This page has expired",
                "This confirmation page has expired or was already used. To connect a company, go back to the SAP Concur App Center and click Connect again.",
            )
        }
        Refusal::Cookie => {
            s.event(&format!(
                "landing: {what} refused: sent from another browser or site than the page"
            ));
            message_page(
                s,
                StatusCode::FORBIDDEN,
                "Please confirm from the page itself",
                "This confirmation did not come from the page shown in this browser (cookies may be blocked). Open the link from the SAP Concur App Center again and confirm there.",
            )
        }
    }
}

async fn confirm(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let csrf = form_field(&body, "csrf").unwrap_or_default();
    let cookie = cookie_of(&headers);
    let pending = match s.take(&csrf, cookie.as_deref()) {
        Ok(p) => p,
        Err(r) => return stale(&s, r, "connect"),
    };
    let Action::Connect {
        company_id,
        request_token,
        user_id,
    } = pending.action
    else {
        return stale(&s, Refusal::Unknown, "connect");
    };
    let req = ConnectRequest {
        base_url: s.cfg.exchange_base_url.clone(),
        client: s.cfg.credentials.clone(),
        company_id: company_id.clone(),
        request_token: request_token.clone(),
    };
    let store = s.cfg.store.clone();
    let http = s.cfg.client.http.clone();
    let log = s.cfg.http_log.clone();
    let outcome =
        tokio::task::spawn_blocking(move || ledgerline_fetch::connect(&req, &store, http, log))
            .await;
    let b = &s.cfg.branding;
    let product = esc(&b.product_name);
    let who = user_id
        .as_deref()
        .map(|u| format!(" (Connect clicked by user {u})"))
        .unwrap_or_default();
    match outcome {
        Ok(Ok(tokens)) => {
            s.event(&format!(
                "landing: connected company {company_id}{who}; geolocation {}; stored in {}",
                tokens.geolocation,
                s.cfg.store.path().display()
            ));
            let c = esc(&company_id);
            let body = format!(
                "<h1 id=\"done\">Connected</h1>\
<div class=\"ok\">Your SAP Concur company <code>{c}</code> is now connected to {product}.</div>\
<p>Next steps:</p><ol>\
<li>Close this window to return to SAP Concur.</li>\
<li>On the {product} server, check the connection: <code>ledgerline connect --status --company {c}</code></li>\
<li>Fetch the accounting files: <code>ledgerline fetch --company {c} --run --out incoming</code> (Standard Edition: <code>--close</code> instead of <code>--run</code>).</li>\
</ol>\
<p>To stop the integration, <a href=\"/disconnect?company={c}\">disconnect this company</a> here or in the SAP Concur App Center.</p>"
            );
            html(StatusCode::OK, page(b, "Connected", &body), None)
        }
        Ok(Err(e)) => {
            s.event(&format!(
                "landing: connecting company {company_id}{who} failed: {e}"
            ));
            let (title, text, retry) = explain(&e, &b.product_name);
            let mut body = format!(
                "<h1>{}</h1><div class=\"error\" id=\"problem\">{}</div>",
                esc(title),
                esc(&text)
            );
            if retry {
                let action = Action::Connect {
                    company_id,
                    request_token,
                    user_id,
                };
                match s.issue(action, Some(pending.cookie)) {
                    Ok((csrf, _)) => body.push_str(&format!(
                        "<form method=\"post\" action=\"/connect\" class=\"actions\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" id=\"confirm\">Try again</button></form>"
                    )),
                    Err(e) => return unavailable(&s, &e),
                }
            }
            let status = if retry {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::BAD_REQUEST
            };
            html(status, page(b, title, &body), None)
        }
        Err(join) => {
            s.event(&format!(
                "landing: the exchange for company {company_id} stopped: {join}"
            ));
            message_page(
                &s,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The company could not be connected; nothing was stored. Please try again.",
            )
        }
    }
}

// ---- disconnect -----------------------------------------------------------------------

async fn disconnect_page(State(s): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let q = query_map(uri.query());
    let company = q
        .get("company")
        .filter(|c| plausible_id(c))
        .cloned()
        .unwrap_or_default();
    let (csrf, cookie) = match s.issue(Action::Disconnect, cookie_of(&headers)) {
        Ok(v) => v,
        Err(e) => return unavailable(&s, &e),
    };
    let product = esc(&s.cfg.branding.product_name);
    let body = format!(
        "<h1>Disconnect a company from {product}</h1>\
<p>Disconnecting revokes {product}'s access at SAP Concur and deletes the stored connection; {product} stops fetching for that company at once. Other companies stay connected. You can connect again from the App Center.</p>\
<form method=\"post\" action=\"/disconnect\">\
<label for=\"company\">SAP Concur company id</label>\
<input type=\"text\" id=\"company\" name=\"company\" value=\"{}\" required>\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<div class=\"actions\"><button type=\"submit\" class=\"danger\" id=\"disconnect\">Disconnect</button></div></form>",
        esc(&company)
    );
    html(
        StatusCode::OK,
        page(&s.cfg.branding, "Disconnect", &body),
        Some(&cookie),
    )
}

async fn disconnect(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let csrf = form_field(&body, "csrf").unwrap_or_default();
    let company = form_field(&body, "company").unwrap_or_default();
    let cookie = cookie_of(&headers);
    let pending = match s.take(&csrf, cookie.as_deref()) {
        Ok(p) => p,
        Err(r) => return stale(&s, r, "disconnect"),
    };
    if !matches!(pending.action, Action::Disconnect) {
        return stale(&s, Refusal::Unknown, "disconnect");
    }
    if !plausible_id(&company) {
        return message_page(
            &s,
            StatusCode::BAD_REQUEST,
            "No company given",
            "Enter the SAP Concur company id to disconnect.",
        );
    }
    let cfg = s.cfg.clone();
    let c = company.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        Client::open_company(
            cfg.store,
            Some(&c),
            cfg.credentials,
            cfg.client,
            cfg.http_log,
        )?
        .disconnect()
    })
    .await;
    let product = esc(&s.cfg.branding.product_name);
    let c = esc(&company);
    match outcome {
        Ok(Ok(())) => {
            s.event(&format!("landing: disconnected company {company}"));
            let body = format!(
                "<h1 id=\"done\">Disconnected</h1>\
<div class=\"ok\">The SAP Concur company <code>{c}</code> is disconnected: its access is revoked at SAP Concur and its connection is deleted from {product}.</div>\
<p>Next steps: close this window. To connect again, click Connect in the SAP Concur App Center.</p>"
            );
            html(
                StatusCode::OK,
                page(&s.cfg.branding, "Disconnected", &body),
                None,
            )
        }
        Ok(Err(e)) => {
            s.event(&format!(
                "landing: disconnecting company {company} failed: {e}"
            ));
            let text = match &e {
                FetchError::UnknownCompany { .. } | FetchError::ReconnectNeeded { .. } => format!(
                    "{product} holds no usable connection for the company <code>{c}</code>, so there is nothing to disconnect here. (An administrator can also disconnect in the SAP Concur App Center.)"
                ),
                FetchError::Transport { .. } => format!(
                    "{product} could not reach SAP Concur (a network problem); the company is still connected. Please try again in a few minutes."
                ),
                _ => "The company could not be disconnected; it is still connected. Please contact support.".into(),
            };
            message_page(&s, StatusCode::BAD_REQUEST, "Not disconnected", &text)
        }
        Err(join) => {
            s.event(&format!(
                "landing: the disconnect of company {company} stopped: {join}"
            ));
            message_page(
                &s,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The company could not be disconnected. Please try again.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth(status: u16, code: i64, error: &str) -> FetchError {
        FetchError::OAuth {
            status,
            code,
            error: error.into(),
            description: "d".into(),
        }
    }

    #[test]
    fn every_refusal_is_explained_in_its_own_words() {
        let title = |e: FetchError| explain(&e, "Ledgerline").0;
        assert_eq!(
            title(oauth(400, 16, "invalid_request")),
            "Wrong data centre"
        );
        assert_eq!(
            title(oauth(400, 5, "invalid_grant")),
            "The connection request has expired or was already used"
        );
        assert_eq!(
            title(oauth(401, 64, "invalid_client")),
            "SAP Concur refused the application"
        );
        let (t, _, retry) = explain(
            &FetchError::Transport {
                method: "POST".into(),
                url: "u".into(),
                message: "refused".into(),
                attempts: 2,
            },
            "Ledgerline",
        );
        assert_eq!((t, retry), ("SAP Concur could not be reached", true));
        assert!(
            explain(&oauth(503, 0, "server_error"), "L").2,
            "a 5xx may be tried again"
        );
        assert!(!explain(&oauth(400, 5, "invalid_grant"), "L").2);
    }

    #[test]
    fn logos_are_typed_by_content_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("l.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\nrest").unwrap();
        assert!(
            logo_uri(&png)
                .unwrap()
                .starts_with("data:image/png;base64,")
        );
        let svg = dir.path().join("l.svg");
        std::fs::write(
            &svg,
            "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .unwrap();
        assert!(
            logo_uri(&svg)
                .unwrap()
                .starts_with("data:image/svg+xml;base64,")
        );
        let txt = dir.path().join("l.txt");
        std::fs::write(&txt, "hello").unwrap();
        assert!(
            logo_uri(&txt)
                .unwrap_err()
                .to_string()
                .contains("not a PNG")
        );
        let big = dir.path().join("big.png");
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        b.resize(MAX_LOGO as usize + 10, 0);
        std::fs::write(&big, b).unwrap();
        assert!(
            logo_uri(&big)
                .unwrap_err()
                .to_string()
                .contains("larger than")
        );
        assert!(logo_uri(&dir.path().join("none.png")).is_err());
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ledgerline_connect=abc; b=2"),
        );
        assert_eq!(cookie_of(&h).as_deref(), Some("abc"));
        assert!(plausible_id("59c5bfd1-1803-4ca8-b43a-df083a5c60f9"));
        assert!(!plausible_id("<script>"));
        assert!(!plausible_id(""));
    }
}

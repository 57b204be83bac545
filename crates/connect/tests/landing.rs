//! The landing server against the simulator playing the App Center and Concur's token
//! endpoint, over real HTTP: the redirect, the page, the CSRF-guarded confirmation, the
//! stored connection, the refusals in plain words, the disconnect.

use ledgerline_connect::{Branding, LandingServer, RunningLanding, ServerConfig};
use ledgerline_fetch::{ClientCredentials, ClientOptions, HttpOptions, Logger, TokenStore};
use ledgerline_simulator::{RunningSimulator, SimConfig, Simulator};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Env {
    sim: RunningSimulator,
    landing: RunningLanding,
    events: Arc<Mutex<Vec<String>>>,
    dir: tempfile::TempDir,
}

fn http() -> HttpOptions {
    HttpOptions {
        max_attempts: 2,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
    }
}

fn env_at(exchange: Option<&str>) -> Env {
    let sim = Simulator::start(SimConfig::default(), Vec::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let log: Logger = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned()));
    let c = sim.config();
    let cfg = ServerConfig {
        branding: Branding {
            product_name: "Ledgerline".into(),
            company_name: "Example Books Ltd".into(),
            privacy_url: "https://example.invalid/privacy".into(),
            support: "help@example.invalid".into(),
            ..Branding::default()
        },
        exchange_base_url: exchange.unwrap_or(sim.base_url()).to_owned(),
        credentials: ClientCredentials {
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.clone(),
        },
        store: TokenStore::new(dir.path().join("tokens.json")),
        client: ClientOptions {
            http: http(),
            ..ClientOptions::default()
        },
        http_log: None,
        events: Some(log),
    };
    let landing = LandingServer::start(cfg, "127.0.0.1:0").unwrap();
    Env {
        sim,
        landing,
        events,
        dir,
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// (status, body, Set-Cookie value)
fn call(r: Result<ureq::Response, ureq::Error>) -> (u16, String, Option<String>) {
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport: {e}"),
    };
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .map(str::to_owned);
    (r.status(), r.into_string().unwrap(), cookie)
}

impl Env {
    /// One click on Connect in the App Center: the redirect URL, with its request token.
    fn click(&self, extra: &str) -> (String, String) {
        let url = format!(
            "{}/_admin/app-center/connect?redirect_uri={}{extra}",
            self.sim.base_url(),
            self.landing.url()
        );
        let v: serde_json::Value =
            serde_json::from_str(&agent().post(&url).call().unwrap().into_string().unwrap())
                .unwrap();
        (
            v["redirect_url"].as_str().unwrap().to_owned(),
            v["request_token"].as_str().unwrap().to_owned(),
        )
    }

    /// GET the landing page: (status, body, csrf, cookie).
    fn open(&self, url: &str) -> (u16, String, String, String) {
        let (status, body, cookie) = call(agent().get(url).call());
        let csrf = body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned();
        (status, body, csrf, cookie.unwrap_or_default())
    }

    fn post(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> (u16, String) {
        let mut req = agent().post(&format!(
            "{}{path}",
            self.landing.url().trim_end_matches('/')
        ));
        if let Some(c) = cookie {
            req = req.set("Cookie", c);
        }
        let (s, b, _) = call(req.send_form(form));
        (s, b)
    }

    fn store(&self) -> serde_json::Value {
        std::fs::read_to_string(self.dir.path().join("tokens.json"))
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or(serde_json::Value::Null)
    }

    fn events(&self) -> String {
        self.events.lock().unwrap().join("\n")
    }
}

#[test]
fn the_app_center_redirect_shows_the_page_and_only_a_confirmation_with_its_token_connects() {
    let e = env_at(None);
    let (url, token) = e.click("");
    assert!(url.contains("userId="), "{url}");
    let (status, page, csrf, cookie) = e.open(&url);
    assert_eq!(status, 200, "{page}");
    let company = e.sim.config().company_id.clone();
    for must in [
        company.as_str(),
        "Integration with SAP Concur",
        "Privacy policy",
        "https://example.invalid/privacy",
        "mailto:help@example.invalid",
        "Example Books Ltd",
        "id=\"confirm\"",
        "/disconnect",
        "Accounting extracts",
    ] {
        assert!(page.contains(must), "the page lacks {must:?}");
    }
    assert!(
        !page.contains(&token),
        "the request token is written into the page"
    );
    assert!(
        !page.contains("http://") || !page.contains("<link"),
        "external resources"
    );
    assert!(
        !e.store().is_object(),
        "nothing is stored before the confirmation"
    );
    assert_eq!(e.sim.requests("token"), 0, "nothing is exchanged on GET");
    // Without the page's cookie (another site posting the form): refused, token kept.
    let (s, body) = e.post("/connect", &[("csrf", &csrf)], None);
    assert_eq!(s, 403, "{body}");
    assert_eq!(e.sim.requests("token"), 0);
    // Without the CSRF token: refused.
    let (s, _) = e.post("/connect", &[("csrf", "0000")], Some(&cookie));
    assert_eq!(s, 400);
    // The page's own confirmation: connected, stored under the company.
    let (s, body) = e.post("/connect", &[("csrf", &csrf)], Some(&cookie));
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("id=\"done\""), "{body}");
    assert!(
        body.contains("ledgerline connect --status --company"),
        "{body}"
    );
    let store = e.store();
    assert_eq!(
        store["connections"][0]["company_id"].as_str(),
        Some(company.as_str()),
        "{store}"
    );
    // The page's token is spent.
    let (s, body) = e.post("/connect", &[("csrf", &csrf)], Some(&cookie));
    assert_eq!(s, 400);
    assert!(body.contains("expired or was already used"), "{body}");
    // The same App Center link again: the request token was used.
    let (_, _, csrf2, cookie2) = e.open(&url);
    let (s, body) = e.post("/connect", &[("csrf", &csrf2)], Some(&cookie2));
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("has expired or was already used"), "{body}");
    // Logged, without secrets.
    let log = e.events();
    assert!(
        log.contains(&format!("connected company {company}")),
        "{log}"
    );
    assert!(log.contains("Connect clicked by user"), "{log}");
    for secret in [token.as_str(), csrf.as_str(), cookie.as_str()] {
        assert!(
            !log.contains(secret.split('=').next_back().unwrap()),
            "secret logged: {log}"
        );
    }
}

#[test]
fn an_expired_request_token_is_said_in_plain_words_and_user_id_is_read_in_both_spellings() {
    let e = env_at(None);
    let (url, _) = e.click("&ttl_ms=1&user_param=userID");
    assert!(url.contains("userID="), "{url}");
    std::thread::sleep(Duration::from_millis(20));
    let (_, page, csrf, cookie) = e.open(&url);
    assert!(
        page.contains(&e.sim.config().app_center_user_id),
        "userID shown"
    );
    let (s, body) = e.post("/connect", &[("csrf", &csrf)], Some(&cookie));
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("valid for 24 hours"), "{body}");
    assert!(!e.store().is_object());
}

#[test]
fn an_unreachable_concur_is_a_network_problem_with_a_try_again_button() {
    // A port nothing listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let e = env_at(Some(&dead));
    let (url, _) = e.click("");
    let (_, _, csrf, cookie) = e.open(&url);
    let (s, body) = e.post("/connect", &[("csrf", &csrf)], Some(&cookie));
    assert_eq!(s, 502, "{body}");
    assert!(body.contains("could not reach SAP Concur"), "{body}");
    assert!(body.contains("Try again"), "{body}");
    assert!(e.events().contains("failed"), "{}", e.events());
}

#[test]
fn incomplete_links_and_the_plain_page() {
    let e = env_at(None);
    let base = e.landing.url();
    let (s, body, _, _) = e.open(&format!("{base}?id=59c5bfd1-1803-4ca8-b43a-df083a5c60f9"));
    assert_eq!(s, 400);
    assert!(body.contains("requestToken"), "{body}");
    let (s, body, _, _) = e.open(&format!("{base}?id=%3Cscript%3E&requestToken=x"));
    assert_eq!(s, 400);
    assert!(!body.contains("<script>"), "{body}");
    let (s, body, _, _) = e.open(&base);
    assert_eq!(s, 200);
    assert!(body.contains("App Center"), "{body}");
}

#[test]
fn the_disconnect_page_revokes_the_connection() {
    let e = env_at(None);
    let (url, _) = e.click("");
    let (_, _, csrf, cookie) = e.open(&url);
    assert_eq!(e.post("/connect", &[("csrf", &csrf)], Some(&cookie)).0, 200);
    let company = e.sim.config().company_id.clone();
    let (s, page, csrf, cookie) =
        e.open(&format!("{}disconnect?company={company}", e.landing.url()));
    assert_eq!(s, 200);
    assert!(page.contains("id=\"disconnect\""));
    let (s, body) = e.post(
        "/disconnect",
        &[("csrf", &csrf), ("company", &company)],
        Some(&cookie),
    );
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Disconnected"), "{body}");
    assert_eq!(e.sim.requests("revoke"), 1);
    let store = e.store();
    assert!(
        !store.to_string().contains(&company),
        "the connection is deleted: {store}"
    );
}

//! Quick Connect end to end in a real browser: `ledgerline connect --serve` runs the landing
//! page, the simulator plays the App Center (its Connect link redirects with a fresh request
//! token) and Concur's token endpoint, and headless Chromium, driven over the DevTools
//! protocol, follows the link, is checked at 800x600 (screenshot, the confirm button's box)
//! and clicks Connect; `connect --status --company ID` then shows the stored connection.
//! Skipped with a notice where Chromium is absent, unless LEDGERLINE_REQUIRE_TOOLS is set
//! (CI sets it, and installs Chromium).

use crate::support::*;

use base64::Engine as _;
use ledgerline_simulator::{SimConfig, Simulator};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A child process ended when dropped (the test started it).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A DevTools protocol connection to the browser, talking to one page in flat session mode.
struct Cdp {
    ws: tungstenite::WebSocket<TcpStream>,
    next: u64,
    session: Option<String>,
}

impl Cdp {
    fn connect(port: u16, path: &str) -> Cdp {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("DevTools port");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let (ws, _) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream)
            .expect("DevTools websocket");
        Cdp {
            ws,
            next: 0,
            session: None,
        }
    }

    /// Sends a command and waits for its answer (events in between are skipped).
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(tungstenite::Message::text(msg.to_string()))
            .expect("send to DevTools");
        loop {
            let m = self.ws.read().expect("read from DevTools");
            let tungstenite::Message::Text(t) = m else {
                continue;
            };
            let v: Value = serde_json::from_str(t.as_str()).expect("DevTools JSON");
            if v["id"].as_u64() == Some(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expr, "returnByValue": true }),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is true in the page.
    fn wait_for(&mut self, expr: &str, what: &str) {
        let start = Instant::now();
        loop {
            if self.eval(&format!(
                "(() => {{ try {{ return !!({expr}); }} catch (e) {{ return false; }} }})()"
            )) == json!(true)
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "waited 30 s for {what}; page: {}",
                self.eval("document.documentElement ? document.documentElement.outerHTML.slice(0, 2000) : ''")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the viewport, kept at `path`; checked to be an 800x600 image with content.
    fn screenshot(&mut self, path: &Path) -> Vec<u8> {
        let r = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot");
        std::fs::write(path, &png).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
        assert_eq!((dim(16), dim(20)), (800, 600), "the viewport is 800x600");
        // A blank 800x600 PNG is a few kilobytes; branding, text and a button are many more.
        assert!(
            png.len() > 12_000,
            "a page with content, not a blank image ({} bytes, {})",
            png.len(),
            path.display()
        );
        png
    }
}

/// Reads `<profile>/DevToolsActivePort` (port, then the browser's websocket path).
fn devtools_port(profile: &Path, browser: &mut Child) -> (u16, String) {
    let file = profile.join("DevToolsActivePort");
    let start = Instant::now();
    loop {
        if let Ok(t) = std::fs::read_to_string(&file)
            && let Some((port, path)) = t.split_once('\n')
            && let Ok(port) = port.trim().parse()
            && path.trim().starts_with("/devtools/")
        {
            return (port, path.trim().to_owned());
        }
        if let Ok(Some(status)) = browser.try_wait() {
            panic!("chromium ended early ({status})");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "chromium wrote no DevToolsActivePort"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Where the screenshots are kept for a person to look at.
fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("connect-landing");
    std::fs::create_dir_all(&d).unwrap();
    d
}

const LOGO: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"96\" height=\"32\" viewBox=\"0 0 96 32\"><rect width=\"96\" height=\"32\" rx=\"5\" fill=\"#0a6ed1\"/><text x=\"48\" y=\"22\" font-family=\"Arial\" font-size=\"16\" font-weight=\"bold\" fill=\"#fff\" text-anchor=\"middle\">LL</text></svg>";

#[test]
fn the_landing_page_connects_a_company_in_a_real_browser_at_800x600() {
    let Some(browser) = chromium() else {
        if std::env::var_os("LEDGERLINE_REQUIRE_TOOLS").is_some() {
            panic!("chromium is required (LEDGERLINE_REQUIRE_TOOLS is set) but not installed");
        }
        eprintln!(
            "NOTICE: chromium not installed; skipping the browser test of the Quick Connect landing page"
        );
        return;
    };
    let sim = Simulator::start(SimConfig::default(), Vec::new()).unwrap();
    let company = sim.config().company_id.clone();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("logo.svg"), LOGO).unwrap();
    let c = sim.config();
    std::fs::write(
        d.join("concur.toml"),
        format!(
            "base_url = '{}'\nclient_id = '{}'\nclient_secret = '{}'\ntoken_store = '{}/tokens.json'\n\
             max_attempts = 2\nbackoff_base = '1ms'\nbackoff_max = '10ms'\n\n\
             [landing]\nproduct_name = 'Ledgerline'\ncompany_name = 'Example Books Ltd'\nlogo = 'logo.svg'\n\
             privacy_url = 'https://example.invalid/privacy'\nterms_url = 'https://example.invalid/terms'\n\
             support = 'help@example.invalid'\n",
            sim.base_url(),
            c.client_id,
            c.client_secret,
            d.display()
        ),
    )
    .unwrap();
    let config = d.join("concur.toml");
    let config = config.to_str().unwrap();
    // The landing server, as an operator runs it; its address is its first line.
    let serve_log = d.join("serve.log");
    let mut serve = Killed(
        ledgerline(&[
            "connect",
            "--serve",
            "--addr",
            "127.0.0.1:0",
            "--config",
            config,
        ])
        .env_remove("LEDGERLINE_CLIENT_SECRET")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&serve_log).unwrap())
        .spawn()
        .unwrap(),
    );
    let mut first = String::new();
    BufReader::new(serve.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let landing = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| {
            panic!(
                "no address in {first:?}: {}",
                std::fs::read_to_string(&serve_log).unwrap_or_default()
            )
        })
        .to_owned();
    // The App Center's Connect button: a redirect to the landing page with a fresh token.
    let app_center = format!(
        "{}/_admin/app-center/connect?redirect_uri={landing}",
        sim.base_url()
    );
    let profile = d.join("profile");
    let mut chrome = Killed(
        Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--window-size=800,600",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(d.join("chromium.out")).unwrap())
            .stderr(std::fs::File::create(d.join("chromium.err")).unwrap())
            .spawn()
            .unwrap(),
    );
    let (port, path) = devtools_port(&profile, &mut chrome.0);
    let mut cdp = Cdp::connect(port, &path);
    let target = cdp.call("Target.createTarget", json!({ "url": "about:blank" }));
    let attached = cdp.call(
        "Target.attachToTarget",
        json!({ "targetId": target["targetId"], "flatten": true }),
    );
    cdp.session = Some(attached["sessionId"].as_str().unwrap().to_owned());
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 800, "height": 600, "deviceScaleFactor": 1, "mobile": false }),
    );
    cdp.call("Page.enable", json!({}));
    cdp.call("Page.navigate", json!({ "url": app_center }));
    cdp.wait_for(
        "document.readyState === 'complete' && document.querySelector('#confirm')",
        "the landing page",
    );
    let href = cdp.eval("location.href");
    let href = href.as_str().unwrap();
    assert!(
        href.starts_with(&landing),
        "redirected to the landing page: {href}"
    );
    let request_token = href
        .split("requestToken=")
        .nth(1)
        .and_then(|t| t.split('&').next())
        .expect("the redirect carries requestToken")
        .to_owned();
    // What the page must show (Concur's landing-page list).
    let text = cdp.eval("document.body.innerText");
    let text = text.as_str().unwrap();
    for must in [
        company.as_str(),
        "Integration with SAP Concur",
        "Example Books Ltd",
        "Privacy policy",
        "Terms and conditions",
        "Disconnect a company",
        "Accounting extracts",
    ] {
        assert!(text.contains(must), "the page lacks {must:?}: {text}");
    }
    assert_eq!(
        cdp.eval(
            "document.querySelector('footer a[href=\"https://example.invalid/privacy\"]').target"
        ),
        json!("_blank"),
        "the privacy policy opens in a new window"
    );
    assert_eq!(
        cdp.eval("document.querySelector('header img').src.slice(0, 26)"),
        json!("data:image/svg+xml;base64,"),
        "the logo is inlined"
    );
    assert_eq!(
        cdp.eval("performance.getEntriesByType('resource').length"),
        json!(0),
        "the page loads nothing else (works offline)"
    );
    // Fits 800x600: no horizontal scrolling, the whole confirm button in the first screen.
    assert_eq!(
        cdp.eval("document.documentElement.scrollWidth <= 800"),
        json!(true)
    );
    let b = cdp.eval(
        "(() => { const r = document.querySelector('#confirm').getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })()",
    );
    let b: Vec<f64> = b
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        b[0] >= 0.0 && b[1] >= 0.0 && b[2] <= 800.0 && b[3] <= 600.0 && b[2] > b[0] && b[3] > b[1],
        "the confirm button's box {b:?} lies within 800x600"
    );
    let shots = shots_dir();
    cdp.screenshot(&shots.join("landing-800x600.png"));
    assert!(
        !std::path::Path::new(&d.join("tokens.json")).exists(),
        "nothing is stored before the administrator confirms"
    );
    // A real click in the middle of the button.
    let (x, y) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    cdp.call(
        "Input.dispatchMouseEvent",
        json!({ "type": "mouseMoved", "x": x, "y": y }),
    );
    for kind in ["mousePressed", "mouseReleased"] {
        cdp.call(
            "Input.dispatchMouseEvent",
            json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
        );
    }
    cdp.wait_for(
        "document.readyState === 'complete' && document.querySelector('#done')",
        "the confirmation page",
    );
    let text = cdp.eval("document.body.innerText");
    let text = text.as_str().unwrap();
    assert!(text.contains("Connected"), "{text}");
    assert!(text.contains("Close this window"), "next steps: {text}");
    assert!(
        text.contains(&format!("ledgerline connect --status --company {company}")),
        "{text}"
    );
    cdp.screenshot(&shots.join("connected-800x600.png"));
    let _ = cdp.call("Browser.close", json!({}));
    drop(chrome);
    // The connection is stored under the company and works.
    let out = ledgerline(&[
        "connect",
        "--status",
        "--company",
        &company,
        "--config",
        config,
    ])
    .output()
    .unwrap();
    let stdout = text_of(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        text_of(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("company:       {company}")),
        "{stdout}"
    );
    assert!(stdout.contains("checked:       with Concur"), "{stdout}");
    drop(serve);
    let log = std::fs::read_to_string(&serve_log).unwrap();
    assert!(
        log.contains(&format!("connected company {company}")),
        "{log}"
    );
    assert!(
        !log.contains(&request_token),
        "the request token is logged: {log}"
    );
}

fn text_of(b: &[u8]) -> String {
    text(b)
}

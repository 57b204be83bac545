//! The HTML report in a real browser: headless Chromium loads the page from disk (no
//! network), its DOM shows the trial balance and the exceptions, and a screenshot is taken.
//! Skipped with a notice where Chromium is absent, unless LEDGERLINE_REQUIRE_TOOLS is set
//! (CI sets it, and installs Chromium).

use crate::support::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs Chromium headless with its own profile, ending it after `limit`. Its output goes to
/// files (a pipe would fill up and stall it); returns (stdout, stderr).
fn headless(browser: &Path, profile: &Path, args: &[String], limit: Duration) -> (String, String) {
    let out_path = profile.with_extension("out");
    let err_path = profile.with_extension("err");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.wait();
    (
        std::fs::read_to_string(&out_path).unwrap_or_default(),
        std::fs::read_to_string(&err_path).unwrap_or_default(),
    )
}

#[test]
fn chromium_renders_the_report() {
    let Some(browser) = chromium() else {
        if std::env::var_os("LEDGERLINE_REQUIRE_TOOLS").is_some() {
            panic!("chromium is required (LEDGERLINE_REQUIRE_TOOLS is set) but not installed");
        }
        eprintln!("NOTICE: chromium not installed; skipping the browser check of the HTML report");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    // The department as a dimension, so accounts split and get subtotals.
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "[dimensions]\ndepartment = \"{ReportOrgUnit1}\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .args([
            "inspect",
            "fixtures/example/expense-sae.txt",
            "fixtures/cases/ca_issued.txt",
            // A chart without account 60800: account exceptions, and rejected reports.
            "--accounts",
            "fixtures/accounts/example-chart-no-60800.csv",
            "--rules",
        ])
        .arg(&rules)
        .arg("--html")
        .arg(&html)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the JNL206 errors: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("file://{}", html.display());
    let dom = headless(
        &browser,
        &dir.path().join("profile-dom"),
        &["--dump-dom".into(), url.clone()],
        Duration::from_secs(90),
    );
    let dom = dom.0;
    assert!(
        dom.contains("Trial balance by account"),
        "the page did not load: {dom:.500}"
    );
    assert!(dom.contains("cash_advance_outstanding"), "exceptions shown");
    assert!(
        dom.contains("<h1>Journal report</h1>"),
        "a heading, not file names"
    );
    assert!(
        dom.contains("rules: ") && dom.contains(" · generated "),
        "the rules file and the generation time are shown"
    );
    assert!(dom.contains("<nav class=\"toc\""), "a contents bar");
    assert!(dom.contains("116,760"), "thousands separators");
    assert!(dom.contains("<tr class=\"sub\">"), "per-account subtotals");
    assert!(dom.contains("<svg"), "charts kept");
    // Chart labels and exception details group thousands too, not only table cells.
    assert!(
        dom.split("<text ").any(|t| t
            .split_once('>')
            .and_then(|(_, v)| v.split('<').next())
            .is_some_and(|v| v.contains(',') && v.replace([',', '.'], "").parse::<u64>().is_ok())),
        "a chart label with a thousands separator"
    );
    assert!(
        dom.contains("cash advances issued but not applied or returned: 7,000.00 USD"),
        "exception details group thousands"
    );
    assert!(
        dom.contains("cash advances issued but not applied or returned: 116,760 JPY"),
        "exception details group thousands (JPY)"
    );
    // An account the chart lacks: the exception names the journal, employee, amount and
    // currency of the line (line 8 posts 1,092.26 USD of 581CE1FF0E4AE3940000 to 60800).
    assert!(
        dom.contains(
            "<td>account</td><td>fixtures/example/expense-sae.txt</td><td>8</td><td>581CE1FF0E4AE3940000</td><td>E10096</td><td class=\"n\">1,092.26</td><td>USD</td>"
        ),
        "account exception filled"
    );
    // The 19 lines of the three reports held back: one row per report, with the count.
    assert_eq!(
        dom.matches("<td>rejected</td>").count(),
        3,
        "rejected grouped"
    );
    assert!(
        dom.contains(
            "<td>rejected</td><td>fixtures/example/expense-sae.txt</td><td>2-8</td><td>581CE1FF0E4AE3940000</td><td>E10096</td><td class=\"n\">1,092.26</td><td>USD</td><td>7 extract lines rejected: JNL206"
        ),
        "rejected row filled"
    );
    let png = dir.path().join("report.png");
    let shot = headless(
        &browser,
        &dir.path().join("profile-shot"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2200".into(),
            url,
        ],
        Duration::from_secs(90),
    );
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot ({e}): {}", shot.1));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        bytes.len() > 20_000,
        "a page with content, not a blank image ({} bytes)",
        bytes.len()
    );
    if let Some(keep) = std::env::var_os("LEDGERLINE_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&png, keep);
    }
}

//! End to end: the `ledgerline` binary (connect, fetch) against the in-process Concur
//! simulator on loopback, one flow or fault per test.

use ledgerline_ledger::Ledger;
use ledgerline_simulator::{Fault, FaultKind, JobClock, RunningSimulator, SimConfig, Simulator};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const SAE: &str = "Standard Accounting Extract";
const ZIPPED: &str = "Standard Accounting Extract with Attendees";

struct Env {
    sim: RunningSimulator,
    dir: tempfile::TempDir,
}

fn test_config() -> SimConfig {
    SimConfig {
        job_clock: JobClock::Polls {
            queued: 1,
            running: 1,
        },
        reports_per_file: 3,
        batch_v12: ledgerline_simulator::BatchV12Config {
            close_delay_ms: 50,
            ..Default::default()
        },
        ..SimConfig::default()
    }
}

fn env_with(cfg: SimConfig) -> Env {
    let sim = Simulator::start(cfg, Vec::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = sim.config();
    let d = dir.path().display();
    let toml = format!(
        "base_url = '{}'\nclient_id = '{}'\nclient_secret = '{}'\ncompany_id = '{}'\n\
         token_store = '{d}/tokens.json'\nledger = '{d}/ledger.sqlite'\nout = '{d}/out'\n\
         poll_interval = '10ms'\nbackoff_base = '1ms'\nbackoff_max = '20ms'\nmax_attempts = 5\n\
         read_timeout = '5s'\nbatch_close_poll = '10ms'\n",
        sim.base_url(),
        c.client_id,
        c.client_secret,
        c.company_id
    );
    std::fs::write(dir.path().join("concur.toml"), toml).unwrap();
    Env { sim, dir }
}

fn env() -> Env {
    env_with(test_config())
}

impl Env {
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_in("concur.toml", args)
    }

    /// A command with another config file of the test folder.
    fn command_in(&self, config: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ledgerline"));
        cmd.args(args)
            .arg("--config")
            .arg(self.path(config))
            .env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("LEDGERLINE_CONFIG")
            .env_remove("LEDGERLINE_TOKEN_STORE")
            .env_remove("LEDGERLINE_CLIENT_SECRET")
            .env_remove("LEDGERLINE_REQUEST_TOKEN");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn connect(&self) -> Output {
        let out = self
            .command(&["connect"])
            .env("LEDGERLINE_REQUEST_TOKEN", self.sim.request_token())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out
    }

    fn fetch(&self, extra: &[&str]) -> Output {
        let mut args = vec!["fetch"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Visible files in the output directory, sorted.
    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path("out"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    fn partials(&self) -> Vec<String> {
        self.files()
            .into_iter()
            .filter(|f| f.starts_with(".ledgerline-") && f.ends_with(".tmp"))
            .collect()
    }

    fn visible(&self) -> Vec<String> {
        self.files()
            .into_iter()
            .filter(|f| !f.starts_with('.'))
            .collect()
    }

    fn ledger_count(&self) -> usize {
        Ledger::open(&self.path("ledger.sqlite"))
            .unwrap()
            .records()
            .unwrap()
            .len()
    }

    fn fault(&self, route: &str, kind: FaultKind, times: u32) {
        self.sim.add_fault(Fault {
            route: route.into(),
            kind,
            times,
            skip: 0,
            after: false,
        });
    }

    fn store_json(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.path("tokens.json")).unwrap()).unwrap()
    }

    /// The store's only connection.
    fn connection(&self) -> serde_json::Value {
        let store = self.store_json();
        assert_eq!(store["version"], 2, "{store}");
        let all = store["connections"].as_array().unwrap();
        assert_eq!(all.len(), 1, "{store}");
        all[0].clone()
    }

    fn sae_key(&self) -> String {
        self.sim.config().definitions[0].key.clone()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn validate_ok(path: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .arg("validate")
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}\n{}", stdout(&out), stderr(&out));
}

#[test]
fn connect_stores_private_tokens_with_geolocation_and_prints_no_secret() {
    let e = env();
    let token = e.sim.request_token();
    let out = e
        .command(&["connect"])
        .env("LEDGERLINE_REQUEST_TOKEN", &token)
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let store = e.connection();
    assert_eq!(store["geolocation"], e.sim.base_url());
    assert_eq!(store["base_url"], e.sim.base_url());
    assert_eq!(store["company_id"], e.sim.config().company_id.as_str());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(e.path("tokens.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let printed = format!("{}{}", stdout(&out), stderr(&out));
    for secret in [
        token.as_str(),
        store["access_token"].as_str().unwrap(),
        store["refresh_token"].as_str().unwrap(),
        e.sim.config().client_secret.as_str(),
    ] {
        assert!(!printed.contains(secret), "secret printed: {printed}");
    }
    // A group-readable store is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            e.path("tokens.json"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let out = e.fetch(&[]);
        assert_eq!(code(&out), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("refusing"), "{}", stderr(&out));
    }
}

#[test]
fn connect_with_a_wrong_request_token_fails_with_concurs_error() {
    let e = env();
    let out = e
        .command(&["connect"])
        .env("LEDGERLINE_REQUEST_TOKEN", "not-a-token")
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("invalid_grant"), "{}", stderr(&out));
    assert!(!e.path("tokens.json").exists());
}

#[test]
fn refresh_rotates_the_refresh_token_and_the_old_one_is_dead() {
    let e = env();
    e.connect();
    let before_file = e.store_json();
    let before = e.connection();
    // Access tokens with less than 2 h left are refreshed first: always, here (1 h).
    let cfg = std::fs::read_to_string(e.path("concur.toml")).unwrap();
    std::fs::write(e.path("concur.toml"), format!("{cfg}refresh_skew = '2h'\n")).unwrap();
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let after = e.connection();
    assert_ne!(before["refresh_token"], after["refresh_token"]);
    assert_ne!(before["access_token"], after["access_token"]);
    assert_eq!(after["geolocation"], e.sim.base_url());
    assert_eq!(e.sim.requests("token"), 2);
    // Put the old refresh token back: Concur refuses it (108) and fetch says to reconnect.
    std::fs::write(e.path("tokens.json"), before_file.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            e.path("tokens.json"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ledgerline connect"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn token_expiring_mid_run_is_refreshed_once_and_the_run_completes() {
    let e = env();
    e.connect();
    e.fault("job_file", FaultKind::ExpireToken, 1);
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(e.visible().len(), 1);
    assert_eq!(e.sim.requests("token"), 2, "connect + one refresh");
    assert_eq!(e.sim.requests("job_file"), 2, "401 then the retry");
}

#[test]
fn revoked_connection_ends_with_its_own_exit_code() {
    let e = env();
    e.connect();
    e.fault("definitions", FaultKind::RevokeToken, 1);
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("run `ledgerline connect` again"),
        "{}",
        stderr(&out)
    );
    assert!(e.visible().is_empty());
    // Same after an admin disconnect with an expired access token.
    let e = env();
    e.connect();
    e.sim.revoke_all();
    e.sim.expire_access_tokens();
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
}

#[test]
fn fetch_without_connect_asks_for_connect() {
    let e = env();
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
}

#[test]
fn professional_without_run_downloads_completed_jobs_then_nothing_new() {
    let e = env();
    e.connect();
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("edition: professional"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.sim.requests("job_post"), 0);
    let files = e.visible();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].starts_with("standard-accounting-extract_"),
        "{files:?}"
    );
    assert!(files[0].ends_with(".csv"));
    assert_eq!(
        stdout(&out).trim(),
        e.path("out").join(&files[0]).display().to_string()
    );
    validate_ok(&e.path("out").join(&files[0]));
    assert_eq!(e.ledger_count(), 1);
    // Rerun: nothing new, nothing downloaded again.
    let before = e.sim.requests("job_file");
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(e.sim.requests("job_file"), before);
    assert_eq!(e.ledger_count(), 1);
}

#[test]
fn professional_with_run_starts_waits_downloads_and_respects_the_hourly_rule() {
    let e = env();
    e.connect();
    let out = e.fetch(&["--run", "--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("started job"), "{err}");
    assert!(err.contains(": Running"), "{err}");
    assert!(err.contains(": Completed"), "{err}");
    assert_eq!(e.sim.requests("job_post"), 1);
    assert_eq!(e.visible().len(), 2, "the old job and the new one");
    for f in e.visible() {
        validate_ok(&e.path("out").join(f));
    }
    // Within the hour: no new job, nothing new.
    let out = e.fetch(&["--run", "--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not starting a job"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.sim.requests("job_post"), 1);
    assert_eq!(stdout(&out), "");
    // --force-run starts one anyway.
    let out = e.fetch(&["--run", "--force-run", "--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(e.sim.requests("job_post"), 2);
    assert_eq!(e.visible().len(), 3);
}

#[test]
fn conflict_409_joins_the_job_already_in_flight() {
    let e = env();
    e.connect();
    let job = e.sim.start_job(&e.sae_key()).unwrap();
    let out = e.fetch(&["--run", "--force-run", "--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("(409)"), "{err}");
    assert!(err.contains(&format!("waiting for job {job}")), "{err}");
    let slug = job.replace('$', "_");
    assert!(
        e.visible().iter().any(|f| f.contains(&slug)),
        "{:?}",
        e.visible()
    );
    assert_eq!(e.sim.requests("job_post"), 1);
}

#[test]
fn a_failed_job_is_reported_with_its_id() {
    let e = env();
    e.connect();
    e.fault("job_post", FaultKind::FailJob, 1);
    let out = e.fetch(&["--run", "--definition", SAE]);
    assert_eq!(code(&out), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("FAILED"), "{err}");
    assert!(
        err.contains("the extract job failed at Concur (job id "),
        "{err}"
    );
    // The older completed job still arrived.
    assert_eq!(e.visible().len(), 1);
}

#[test]
fn csv_and_zip_files_are_named_by_content_and_valid() {
    let e = env();
    e.connect();
    let out = e.fetch(&["--run", "--definition", SAE, "--definition", ZIPPED]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let files = e.visible();
    let zips: Vec<_> = files.iter().filter(|f| f.ends_with(".zip")).collect();
    let csvs: Vec<_> = files.iter().filter(|f| f.ends_with(".csv")).collect();
    assert_eq!(zips.len(), 1, "{files:?}");
    assert_eq!(csvs.len(), 2, "{files:?}");
    assert!(zips[0].starts_with("standard-accounting-extract-with-attendees_"));
    for f in files {
        validate_ok(&e.path("out").join(f));
    }
}

#[test]
fn json_representation_works_too() {
    let e = env();
    e.connect();
    let out = e.fetch(&["--run", "--format", "json", "--definition", SAE, "--json"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["fetched"].as_array().unwrap().len(), 2);
    assert_eq!(report["edition"], "professional");
}

fn standard() -> Env {
    env_with(SimConfig {
        marketing_name: "Standard Edition".into(),
        ..test_config()
    })
}

/// Standard Edition with the synchronous v1.1 close only (`batch_close = "v1.1"`).
fn standard_v11() -> Env {
    let e = standard();
    e.append_config("batch_close = 'v1.1'\n");
    e
}

impl Env {
    fn append_config(&self, lines: &str) {
        let path = self.path("concur.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}{lines}")).unwrap();
    }
}

#[test]
fn standard_lists_closes_downloads_and_leaves_the_empty_batch_open() {
    let e = standard_v11();
    e.connect();
    // Without --close: the open batches are listed, the already-closed one is fetched.
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("edition: standard"), "{err}");
    assert!(
        err.contains("open batch: USD: Employees Batch Paid by Expense Pay (3 reports)"),
        "{err}"
    );
    assert_eq!(e.sim.requests("batch_close"), 0);
    assert_eq!(e.visible().len(), 1, "{:?}", e.visible());
    // With --close: the non-empty batch is closed and fetched; the empty one answers 500.
    let out = e.fetch(&["--close"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("closed batch USD: Employees Batch Paid by Expense Pay"),
        "{err}"
    );
    assert!(
        err.contains("EUR: Company Check is empty and stays open"),
        "{err}"
    );
    // The batch closed by this run is listed as closed afterwards; it is new, not a repeat.
    assert!(err.contains("1 new file(s), 1 already fetched"), "{err}");
    assert_eq!(
        e.sim.requests("batch_close"),
        2,
        "one close per open batch, no retry"
    );
    let files = e.visible();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f.starts_with("payment-batch_")));
    for f in &files {
        validate_ok(&e.path("out").join(f));
    }
    // Rerun: nothing new.
    let out = e.fetch(&["--close"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(e.ledger_count(), 2);
}

#[test]
fn a_close_whose_answer_is_lost_is_not_blindly_repeated() {
    let e = standard_v11();
    e.connect();
    // The batch is closed, but the client only sees a 500.
    e.sim.add_fault(Fault {
        route: "batch_close".into(),
        kind: FaultKind::Status {
            status: 500,
            retry_after: None,
        },
        times: 1,
        skip: 0,
        after: true,
    });
    let out = e.fetch(&["--close", "-v"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("re-reading the batch list"),
        "{}",
        stderr(&out)
    );
    // One close for the USD batch (its state was re-read, not closed again) + the empty one.
    assert_eq!(e.sim.requests("batch_close"), 2);
    assert_eq!(e.visible().len(), 2, "{:?}", e.visible());
}

/// The default close: v1.2 (asynchronous), the batch list watched until the batch shows
/// CLOSED, then v1.1 on the closed batch only for its File-Url; the empty batch answers the
/// v1.2 close with Concur's 500 and stays open.
#[test]
fn standard_closes_with_v12_waits_for_closed_then_takes_the_file_url_from_v11() {
    let e = standard();
    e.connect();
    let out = e.fetch(&["--close", "-v"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("v1.2 close accepted"), "{err}");
    assert!(
        err.contains("closed batch USD: Employees Batch Paid by Expense Pay"),
        "{err}"
    );
    assert!(
        err.contains("EUR: Company Check is empty and stays open"),
        "{err}"
    );
    assert_eq!(
        e.sim.requests("batch_close_v12"),
        2,
        "one v1.2 close per open batch"
    );
    assert_eq!(
        e.sim.requests("batch_close"),
        1,
        "v1.1 only on the batch v1.2 closed, for File-Url"
    );
    // The order: v1.2 close, then the CLOSED list, then v1.1 on the closed batch.
    let v12 = err.find("/v1.2/batch/").unwrap();
    let listed = err[v12..].find("batchlist/CLOSED").unwrap() + v12;
    let v11 = err[listed..].find("/v1.1/batch/").unwrap() + listed;
    assert!(err[v11..].contains("/close"), "{err}");
    let files = e.visible();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        validate_ok(&e.path("out").join(f));
    }
}

/// A v1.2 close that does not show CLOSED within batch_close_timeout is a failure of that
/// batch (exit 4), not fetched and not closed again with v1.1.
#[test]
fn a_v12_close_that_never_shows_closed_times_out() {
    let e = env_with(SimConfig {
        marketing_name: "Standard Edition".into(),
        batch_v12: ledgerline_simulator::BatchV12Config {
            close_delay_ms: 60_000,
            ..Default::default()
        },
        ..test_config()
    });
    e.append_config("batch_close_timeout = '300ms'\n");
    e.connect();
    let out = e.fetch(&["--close"]);
    assert_eq!(code(&out), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("was not listed as CLOSED within"), "{err}");
    assert_eq!(
        e.sim.requests("batch_close"),
        0,
        "no v1.1 close after the timeout"
    );
}

#[test]
fn a_429_storm_is_ridden_out() {
    let e = env();
    e.connect();
    e.fault(
        "definitions",
        FaultKind::Status {
            status: 429,
            retry_after: Some("0".into()),
        },
        2,
    );
    e.fault(
        "definitions",
        FaultKind::Status {
            status: 429,
            retry_after: None,
        },
        2,
    );
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(e.sim.requests("definitions"), 5);
    assert_eq!(e.visible().len(), 1);
}

#[test]
fn a_500_then_success() {
    let e = env();
    e.connect();
    e.fault(
        "job_file",
        FaultKind::Status {
            status: 500,
            retry_after: None,
        },
        2,
    );
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(e.sim.requests("job_file"), 3);
    assert_eq!(e.visible().len(), 1);
}

#[test]
fn retries_are_bounded() {
    let e = env();
    e.connect();
    e.fault(
        "profile",
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
        0,
    );
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("gave up after 5 attempts"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.sim.requests("profile"), 5);
}

#[test]
fn a_truncated_body_is_downloaded_again_and_nothing_partial_stays() {
    let e = env();
    e.connect();
    e.fault("job_file", FaultKind::Truncate { keep_bytes: None }, 1);
    let out = e.fetch(&["--definition", SAE, "-v"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("download incomplete"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.sim.requests("job_file"), 2);
    assert_eq!(e.visible().len(), 1);
    assert!(e.partials().is_empty());
    validate_ok(&e.path("out").join(&e.visible()[0]));
}

#[test]
fn a_truncated_zip_is_caught_too() {
    let e = env();
    e.connect();
    e.fault("job_file", FaultKind::Truncate { keep_bytes: None }, 1);
    let out = e.fetch(&["--run", "--definition", ZIPPED]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(e.sim.requests("job_file"), 2);
    validate_ok(&e.path("out").join(&e.visible()[0]));
}

#[test]
fn a_dropped_connection_is_retried() {
    let e = env();
    e.connect();
    e.fault("definitions", FaultKind::Drop, 1);
    e.fault("job_file", FaultKind::Drop, 1);
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(e.sim.requests("definitions"), 2);
    assert_eq!(e.sim.requests("job_file"), 2);
    assert_eq!(e.visible().len(), 1);
}

#[test]
fn a_download_killed_midway_is_completed_exactly_once() {
    let e = env();
    e.connect();
    e.fault(
        "job_file",
        FaultKind::Stall {
            after_bytes: Some(1000),
            ms: 60_000,
        },
        1,
    );
    let mut child = e.command(&["fetch", "--definition", SAE]).spawn().unwrap();
    // Wait until the partial file exists, then kill the run.
    let deadline = Instant::now() + Duration::from_secs(30);
    while e.partials().is_empty() {
        assert!(Instant::now() < deadline, "the download never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(e.visible().is_empty(), "{:?}", e.visible());
    assert_eq!(e.ledger_count(), 0);
    // The next run removes the leftover and completes the download.
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("removed 1 partial download"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.visible().len(), 1);
    assert!(e.partials().is_empty());
    assert_eq!(e.ledger_count(), 1);
    validate_ok(&e.path("out").join(&e.visible()[0]));
    // And never again.
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(e.ledger_count(), 1);
    assert_eq!(e.sim.requests("job_file"), 2);
}

#[test]
fn verbose_logs_requests_with_the_authorization_redacted() {
    let e = env();
    e.connect();
    let out = e.fetch(&["-v", "--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("-> GET "), "{err}");
    assert!(err.contains("(Authorization: Bearer <redacted>)"), "{err}");
    assert!(err.contains("concur-correlationid"), "{err}");
    let store = e.connection();
    for secret in [
        store["access_token"].as_str().unwrap(),
        store["refresh_token"].as_str().unwrap(),
        e.sim.config().client_secret.as_str(),
    ] {
        assert!(!err.contains(secret), "secret in the log");
    }
}

#[test]
fn edition_override_and_unknown_edition() {
    let e = env_with(SimConfig {
        marketing_name: "Breeze".into(),
        ..test_config()
    });
    e.connect();
    let out = e.fetch(&[]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--edition"), "{}", stderr(&out));
    let out = e.fetch(&["--edition", "professional", "--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(e.sim.requests("profile"), 1);
}

#[test]
fn fetch_convert_writes_balanced_journals_beside_the_download_folder() {
    let e = env();
    e.connect();
    // An unknown format is refused before anything is fetched.
    let out = e.fetch(&["--convert", "--to", "sap-r2"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown format"), "{}", stderr(&out));
    assert!(e.visible().is_empty());

    // Both default definitions: the Expense extract (SAE) and the Invoice one (PRAE).
    let out = e.fetch(&["--run", "--convert", "--to", "jsonl"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("not converted"), "{}", stderr(&out));
    let fetched = e.visible();
    let converted = e.converted();
    assert!(
        fetched.iter().all(|f| !f.ends_with(".jsonl")),
        "{fetched:?}"
    );
    assert!(
        fetched
            .iter()
            .any(|f| f.starts_with("standard-accounting-extract"))
    );
    assert!(
        fetched
            .iter()
            .any(|f| f.starts_with("payment-request-accounting-extract"))
    );
    assert_eq!(
        converted.len(),
        fetched.len(),
        "one conversion per fetched file: {fetched:?} {converted:?}"
    );
    let mut text = String::new();
    for c in &converted {
        assert!(c.ends_with(".jsonl"), "{converted:?}");
        text.push_str(&std::fs::read_to_string(e.path("out-converted").join(c)).unwrap());
    }
    let mut balance = std::collections::BTreeMap::<String, rust_decimal::Decimal>::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let d: rust_decimal::Decimal = v["debit"].as_str().unwrap().parse().unwrap();
        let c: rust_decimal::Decimal = v["credit"].as_str().unwrap().parse().unwrap();
        *balance
            .entry(v["journal_id"].as_str().unwrap().to_owned())
            .or_default() += d - c;
    }
    assert!(!balance.is_empty());
    assert!(balance.values().all(|b| b.is_zero()), "{balance:?}");
    // Each converted file is told with its totals: debits = credits per currency.
    let err = stderr(&out);
    let told: Vec<&str> = err.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(told.len(), converted.len(), "{err}");
    for t in told {
        assert!(t.contains(" journal") && t.contains(" line"), "{t}");
    }
    let totals: Vec<&str> = err.lines().filter(|l| l.contains(" debits ")).collect();
    assert!(!totals.is_empty(), "{err}");
    for t in totals {
        let (d, c) = t.split_once(" = credits ").unwrap();
        let debit = d.rsplit(' ').next().unwrap();
        let credit = c.split(' ').next().unwrap();
        assert_eq!(debit, credit, "{t}");
    }
}

/// Stdout lines (the paths of new files).
fn lines(o: &Output) -> Vec<String> {
    stdout(o).lines().map(str::to_owned).collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_fetch_on_the_same_folder_or_ledger_is_refused_and_nothing_is_reported_twice() {
    let e = env();
    e.connect();
    // The first run's download pauses half-way: it is still running when the others start.
    e.fault(
        "job_file",
        FaultKind::Stall {
            after_bytes: Some(1000),
            ms: 4000,
        },
        1,
    );
    let first = e
        .command(&["fetch", "--definition", SAE])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first.id();
    wait_until("the first download", || !e.partials().is_empty());
    // Same folder, same ledger.
    let second = e.fetch(&["--definition", SAE]);
    // Same ledger, another folder.
    let other_out = e.path("elsewhere").display().to_string();
    let third = e.fetch(&["--definition", SAE, "--out", &other_out]);
    let mut first = first;
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run had ended before the others were done: they did not overlap"
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(code(&first), Some(0), "{}", stderr(&first));
    let err = stderr(&second);
    assert_eq!(code(&second), Some(5), "{err}");
    assert!(
        err.contains(&format!("output folder {}", e.path("out").display())),
        "{err}"
    );
    assert!(err.contains(&format!("pid {pid}")), "{err}");
    assert!(err.contains("wait for it to finish"), "{err}");
    let err = stderr(&third);
    assert_eq!(code(&third), Some(5), "{err}");
    assert!(
        err.contains(&format!("run ledger {}", e.path("ledger.sqlite").display())),
        "{err}"
    );
    assert!(err.contains(&format!("pid {pid}")), "{err}");
    // Each new file reported once, by the run that fetched it.
    let mut reported = lines(&first);
    reported.extend(lines(&second));
    reported.extend(lines(&third));
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(e.visible().len(), 1, "{:?}", e.visible());
    let elsewhere: Vec<String> = std::fs::read_dir(e.path("elsewhere"))
        .map(|rd| {
            rd.flatten()
                .map(|f| f.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");
    assert_eq!(e.ledger_count(), 1);
    // The locks went with the first run: the next one runs (nothing new).
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    // Documented.
    let help = stdout(&e.run(&["fetch", "--help"]))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains("5 another fetch run"), "{help}");
    assert!(help.contains("--convert-out"), "{help}");
}

#[test]
fn two_fetch_runs_sharing_a_token_store_refresh_in_turn_and_neither_says_reconnect() {
    let e = env();
    e.connect();
    // Access tokens with less than 2 h left are refreshed first: always, here (1 h).
    let cfg = std::fs::read_to_string(e.path("concur.toml")).unwrap();
    std::fs::write(e.path("concur.toml"), format!("{cfg}refresh_skew = '2h'\n")).unwrap();
    // The first refresh to arrive takes a while at Concur, so both runs hold the same
    // refresh token when they ask.
    e.fault("token", FaultKind::Slow { ms: 3000 }, 1);
    let spawn = |name: &str| {
        let out = e.path(name).display().to_string();
        let ledger = e.path(&format!("{name}.sqlite")).display().to_string();
        e.command(&[
            "fetch",
            "--definition",
            SAE,
            "--out",
            &out,
            "--ledger",
            &ledger,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
    };
    let a = spawn("a");
    let b = spawn("b");
    let a = a.wait_with_output().unwrap();
    let b = b.wait_with_output().unwrap();
    for o in [&a, &b] {
        assert_eq!(code(o), Some(0), "{}", stderr(o));
        assert!(!stderr(o).contains("ledgerline connect"), "{}", stderr(o));
        assert_eq!(lines(o).len(), 1, "{}", stdout(o));
    }
    // The refresh token in the store still works.
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
}

impl Env {
    /// Visible files in the default `--convert-out` folder, sorted.
    fn converted(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path("out-converted"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

/// Journal ids in the JSON-lines files of a folder.
fn journal_ids(dir: &Path) -> Vec<String> {
    let mut ids = std::collections::BTreeSet::new();
    let mut all = Vec::new();
    for f in std::fs::read_dir(dir).unwrap().flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap();
        let mut in_file = std::collections::BTreeSet::new();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            in_file.insert(v["journal_id"].as_str().unwrap().to_owned());
        }
        for id in in_file {
            assert!(ids.insert(id.clone()), "journal {id} written twice");
            all.push(id);
        }
    }
    all
}

#[test]
fn fetch_convert_posts_outside_the_download_folder_and_never_twice() {
    // Every job of the Expense extract serves the same file: the same reports again.
    let files = tempfile::tempdir().unwrap();
    let key = test_config().definitions[0].key.clone();
    std::fs::create_dir_all(files.path().join(&key)).unwrap();
    let mut extract = Vec::new();
    ledgerline_generate::Generator::new(ledgerline_generate::Options {
        reports: 3,
        ..Default::default()
    })
    .write(&mut extract)
    .unwrap();
    std::fs::write(files.path().join(&key).join("extract.txt"), &extract).unwrap();
    let e = env_with(SimConfig {
        files_dir: Some(files.path().to_path_buf()),
        ..test_config()
    });
    e.connect();
    let out = e.fetch(&["--definition", SAE, "--convert", "--to", "jsonl"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let downloads = e.visible();
    assert_eq!(
        downloads.len(),
        1,
        "only the extract in the download folder: {downloads:?}"
    );
    assert_eq!(e.converted().len(), 1, "{:?}", e.converted());
    let posted = journal_ids(&e.path("out-converted"));
    assert!(posted.len() >= 3, "{posted:?}");
    let ledger = || {
        ledgerline_ledger::PostingLedger::open(&e.path("ledger.sqlite"))
            .unwrap()
            .list()
            .unwrap()
    };
    assert_eq!(ledger().len(), posted.len(), "recorded in the run ledger");

    // A new job with the same reports: fetched, but nothing is posted again.
    let out = e.fetch(&[
        "--run",
        "--force-run",
        "--definition",
        SAE,
        "--convert",
        "--to",
        "jsonl",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(lines(&out).len(), 1, "{}", stdout(&out));
    assert!(err.contains("JNL208"), "{err}");
    assert!(err.contains("nothing new to post"), "{err}");
    assert_eq!(e.visible().len(), 2, "{:?}", e.visible());
    assert_eq!(e.converted().len(), 1, "{:?}", e.converted());
    assert_eq!(journal_ids(&e.path("out-converted")), posted);
    assert_eq!(ledger().len(), posted.len());

    // `convert out/` finds the two extracts and nothing Ledgerline wrote; with the ledger it
    // posts nothing twice either.
    let recorded: std::collections::BTreeSet<String> = Ledger::open(&e.path("ledger.sqlite"))
        .unwrap()
        .records()
        .unwrap()
        .into_iter()
        .map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        e.visible()
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>(),
        recorded
    );
    let again = e.path("again.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .arg("convert")
        .arg(e.path("out"))
        .args(["--to", "jsonl", "--ledger"])
        .arg(e.path("ledger.sqlite"))
        .arg("-o")
        .arg(&again)
        .output()
        .unwrap();
    // The simulator's second job gave the very same bytes: two identical extracts in one
    // run are an error (IO007) and nothing is written; their journals are the ledger's
    // (JNL208), not in-run duplicates.
    let err = stderr(&out);
    assert_eq!(code(&out), Some(1), "{err}");
    assert!(err.contains("IO007") && err.contains("JNL208"), "{err}");
    assert!(!err.contains("JNL210"), "{err}");
    assert!(!again.exists(), "{err}");
    // The download folder itself, or a folder inside it, is refused before anything is fetched.
    let before = e.sim.requests("definitions");
    for bad in [e.path("out"), e.path("out/converted")] {
        let bad = bad.display().to_string();
        let out = e.fetch(&[
            "--run",
            "--force-run",
            "--definition",
            SAE,
            "--convert",
            "--to",
            "jsonl",
            "--convert-out",
            &bad,
        ]);
        assert_eq!(code(&out), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("choose a folder outside it"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(e.sim.requests("definitions"), before);
    assert!(!e.path("out/converted").exists());
}

/// Every request a simulator has answered.
fn total_requests(sim: &RunningSimulator) -> u64 {
    sim.stats().values().sum()
}

/// A second company, on Standard Edition, served by its own simulator (another data centre).
const COMPANY_B: &str = "0b7e24d2-9c31-4f0e-8d6a-2f3c1e5a7b90";

fn company_b() -> RunningSimulator {
    Simulator::start(
        SimConfig {
            company_id: COMPANY_B.into(),
            marketing_name: "Standard Edition".into(),
            ..test_config()
        },
        Vec::new(),
    )
    .unwrap()
}

impl Env {
    /// A config file beside `concur.toml` with its settings but `base_url` and `company_id`
    /// (an integrator's: the app, the store, the ledger), plus `extra` lines.
    fn write_config_without_company(&self, name: &str, extra: &str) {
        let text: String = std::fs::read_to_string(self.path("concur.toml"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("base_url") && !l.starts_with("company_id"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(self.path(name), format!("{text}{extra}")).unwrap();
    }

    fn connect_in(&self, config: &str, sim: &RunningSimulator, extra: &[&str]) -> Output {
        let mut args = vec!["connect"];
        args.extend_from_slice(extra);
        self.command_in(config, &args)
            .env("LEDGERLINE_REQUEST_TOKEN", sim.request_token())
            .output()
            .unwrap()
    }

    fn visible_in(&self, dir: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path(dir))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

#[test]
fn two_companies_in_one_store_each_fetched_into_its_own_folder() {
    let e = env();
    let b = company_b();
    let a_id = e.sim.config().company_id.clone();
    let (a_url, b_url) = (e.sim.base_url().to_owned(), b.base_url().to_owned());
    e.write_config_without_company("integrator.toml", "");
    let run = |args: &[&str]| e.command_in("integrator.toml", args).output().unwrap();

    // Each company connected at its own host, into one store.
    let out = e.connect_in(
        "integrator.toml",
        &e.sim,
        &["--company", &a_id, "--base-url", &a_url],
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("which holds 1 connection"),
        "{}",
        stderr(&out)
    );
    let out = e.connect_in(
        "integrator.toml",
        &b,
        &["--company", COMPANY_B, "--base-url", &b_url],
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("which holds 2 connections"),
        "{}",
        stderr(&out)
    );
    let store = e.store_json();
    assert_eq!(store["version"], 2);
    let conns = store["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2, "{store}");
    assert_eq!(conns[0]["company_id"], a_id.as_str());
    assert_eq!(conns[0]["geolocation"], a_url.as_str());
    assert_eq!(conns[1]["company_id"], COMPANY_B);
    assert_eq!(conns[1]["geolocation"], b_url.as_str());
    assert_eq!(conns[1]["base_url"], b_url.as_str());

    // Two connections and none chosen: refused, listing both, before any call.
    let before = (total_requests(&e.sim), total_requests(&b));
    let out = run(&["fetch", "--out", &e.path("a").display().to_string()]);
    let err = stderr(&out);
    assert_eq!(code(&out), Some(2), "{err}");
    assert!(
        err.contains(&format!("connections for 2 companies: {a_id}, {COMPANY_B}")),
        "{err}"
    );
    assert!(err.contains("choose one with --company ID"), "{err}");
    assert_eq!((total_requests(&e.sim), total_requests(&b)), before);

    // Each company into its own folder, from its own host.
    let out_a = e.path("a").display().to_string();
    let out_b = e.path("b").display().to_string();
    let out = run(&["fetch", "--company", &a_id, "--out", &out_a]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("company: {a_id} (--company)")),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("edition: professional"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "fetch",
        "--company",
        COMPANY_B,
        "--close",
        "--out",
        &out_b,
        "--json",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["company_id"], COMPANY_B);
    assert_eq!(report["edition"], "standard");
    let (files_a, files_b) = (e.visible_in("a"), e.visible_in("b"));
    assert_eq!(files_a.len(), 1, "{files_a:?}");
    assert!(files_a[0].starts_with("standard-accounting-extract_"));
    assert_eq!(files_b.len(), 2, "{files_b:?}");
    assert!(files_b.iter().all(|f| f.starts_with("payment-batch_")));
    for f in &files_a {
        validate_ok(&e.path("a").join(f));
    }
    for f in &files_b {
        validate_ok(&e.path("b").join(f));
    }
    assert_eq!(b.requests("definitions"), 0);
    assert_eq!(e.sim.requests("batch_close"), 0);
    // One ledger, each file recorded under its company.
    let mut sources: Vec<(String, String)> = Ledger::open(&e.path("ledger.sqlite"))
        .unwrap()
        .records()
        .unwrap()
        .into_iter()
        .map(|r| {
            let dir = r.path.parent().unwrap().file_name().unwrap();
            (dir.to_string_lossy().into_owned(), r.source)
        })
        .collect();
    sources.sort();
    sources.dedup();
    assert_eq!(
        sources,
        vec![("a".into(), a_id.clone()), ("b".into(), COMPANY_B.into())]
    );

    // Without a company, status lists both, from the store: no call to Concur.
    let before = (total_requests(&e.sim), total_requests(&b));
    let out = run(&["connect", "--status"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("connections:   2, read from the token store only, not checked with Concur"),
        "{text}"
    );
    assert!(text.contains(&format!("company {a_id}\n")), "{text}");
    assert!(text.contains(&format!("company {COMPANY_B}\n")), "{text}");
    assert!(text.contains(&format!("base url:      {b_url}")), "{text}");
    assert_eq!((total_requests(&e.sim), total_requests(&b)), before);
    // With one, that one is checked with Concur (one live call to its own host).
    let tokens_b = b.requests("token");
    let out = run(&["connect", "--status", "--company", COMPANY_B]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("company:       {COMPANY_B} (--company)")),
        "{text}"
    );
    assert!(text.contains("checked:       with Concur at "), "{text}");
    assert!(text.contains("(live call)"), "{text}");
    assert!(!text.contains(&a_id), "{text}");
    assert_eq!(b.requests("token"), tokens_b + 1);
    assert_eq!(total_requests(&e.sim), before.0);
    // --no-check: read from the store only, and said so.
    let out = run(&["connect", "--status", "--company", COMPANY_B, "--no-check"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("checked:       no, read from the token store only"),
        "{}",
        stdout(&out)
    );
    assert_eq!(b.requests("token"), tokens_b + 1);
    // Reading the store needs no OAuth client: a config with neither client id nor secret
    // lists the connections and shows one with --no-check; checking one needs the client.
    let text: String = std::fs::read_to_string(e.path("integrator.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("client_id") && !l.starts_with("client_secret"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(e.path("store-only.toml"), text).unwrap();
    let store_only = |args: &[&str]| e.command_in("store-only.toml", args).output().unwrap();
    let out = store_only(&["connect", "--status"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("connections:   2"),
        "{}",
        stdout(&out)
    );
    let out = store_only(&["connect", "--status", "--company", COMPANY_B, "--no-check"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("company:       {COMPANY_B} (--company)")));
    let out = store_only(&["connect", "--status", "--company", COMPANY_B]);
    assert_eq!(code(&out), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("no OAuth client id"),
        "{}",
        stderr(&out)
    );
    assert_eq!(b.requests("token"), tokens_b + 1);

    // concur.toml is company A's (company_id and base_url): --company B is refused with it,
    // naming both values and where each came from, before anything is sent.
    let config = e.path("concur.toml").display().to_string();
    let before = (total_requests(&e.sim), total_requests(&b));
    for args in [
        vec!["fetch", "--company", COMPANY_B, "--out", &out_b],
        vec!["connect", "--company", COMPANY_B],
        vec!["connect", "--status", "--company", COMPANY_B],
    ] {
        let out = e.command(&args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(code(&out), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "--company {COMPANY_B} (command line) disagrees with company_id = \"{a_id}\" in the config file {config}"
            )),
            "{args:?}: {err}"
        );
        assert!(err.contains("use a config file per company"), "{err}");
    }
    assert_eq!((total_requests(&e.sim), total_requests(&b)), before);

    // A config whose base_url is company A's host: another --base-url is refused, and so is
    // company B's connection, which was made at its own host.
    e.write_config_without_company("host-a.toml", &format!("base_url = '{a_url}'\n"));
    let host_a = e.path("host-a.toml").display().to_string();
    let out = e.connect_in(
        "host-a.toml",
        &b,
        &["--company", COMPANY_B, "--base-url", &b_url],
    );
    let err = stderr(&out);
    assert_eq!(code(&out), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "--base-url {b_url} (command line) disagrees with base_url = \"{a_url}\" in the config file {host_a}"
        )),
        "{err}"
    );
    let out = e
        .command_in(
            "host-a.toml",
            &["fetch", "--company", COMPANY_B, "--out", &out_b],
        )
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "base_url = \"{a_url}\" in the config file {host_a} disagrees with {b_url}, where the stored connection of company {COMPANY_B} in the token store {} was made",
            e.path("tokens.json").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("ledgerline connect --company {COMPANY_B}")),
        "{err}"
    );
    assert_eq!((total_requests(&e.sim), total_requests(&b)), before);
    // Company A's connection agrees with it.
    let out = e
        .command_in(
            "host-a.toml",
            &["fetch", "--company", &a_id, "--out", &out_a],
        )
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));

    // Disconnecting one keeps the other, which is then the only one.
    let out = run(&["connect", "--disconnect", "--company", &a_id]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("(1 connection left)"),
        "{}",
        stderr(&out)
    );
    let out = run(&["fetch", "--close", "--out", &out_b]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "company: {COMPANY_B} (the token store's only connection)"
        )),
        "{}",
        stderr(&out)
    );
    let out = run(&["fetch", "--company", &a_id, "--out", &out_a]);
    let err = stderr(&out);
    assert_eq!(code(&out), Some(3), "{err}");
    assert!(
        err.contains(&format!("has no connection for company {a_id}")),
        "{err}"
    );
    assert!(
        err.contains(&format!("ledgerline connect --company {a_id}")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the company comes from --company {a_id} (command line)"
        )),
        "{err}"
    );
    // Documented, with an example.
    for cmd in ["fetch", "connect"] {
        let help = stdout(&run(&[cmd, "--help"]));
        assert!(
            help.contains(&format!("ledgerline {cmd} --company ")),
            "{help}"
        );
    }
}

#[test]
fn a_token_store_of_the_single_connection_format_keeps_working_and_is_migrated() {
    let e = env();
    e.connect();
    // The store as the single-connection version wrote it: version 1, the connection's
    // fields at the top level, the host of the exchange not recorded.
    let mut old = e.connection().as_object().unwrap().clone();
    old.remove("base_url");
    old.insert("version".into(), 1.into());
    let old_text = serde_json::to_string_pretty(&old).unwrap();
    std::fs::write(e.path("tokens.json"), &old_text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            e.path("tokens.json"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let company = e.sim.config().company_id.clone();
    // A fetch reads it (and, with nothing to refresh, leaves it as it is).
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(e.visible().len(), 1);
    assert_eq!(
        std::fs::read_to_string(e.path("tokens.json")).unwrap(),
        old_text
    );
    // The listing shows it.
    e.write_config_without_company("integrator.toml", "");
    let out = e
        .command_in("integrator.toml", &["connect", "--status"])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("connections:   1,"), "{text}");
    assert!(text.contains(&format!("company {company}\n")), "{text}");
    assert!(
        text.contains("base url:      (not recorded: connected by an older ledgerline)"),
        "{text}"
    );
    // The first change (the live check refreshes the tokens) writes the current format.
    let out = e.run(&["connect", "--status"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("(live call)"), "{}", stdout(&out));
    let now = e.connection();
    assert_eq!(now["company_id"], company.as_str());
    assert_ne!(now["refresh_token"], old["refresh_token"]);
    assert!(now.get("base_url").is_none(), "{now}");
    // And it keeps working.
    let out = e.fetch(&["--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    // Connecting the company again replaces its connection, now with the host recorded.
    let out = e.connect();
    assert!(
        stderr(&out).contains(&format!(
            "replaced the earlier connection of company {company}"
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.connection()["base_url"], e.sim.base_url());
}

#[test]
fn standard_edition_hints_say_close_and_professional_ones_run() {
    let e = standard();
    e.connect();
    let out = e.fetch(&["--run"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("note: --run has no effect: Standard Edition has payment batches, not extract jobs (--close closes the open batches"),
        "{err}"
    );
    let out = e.fetch(&[]);
    let err = stderr(&out);
    assert!(
        err.contains("note: 1 open payment batch(es) hold reports; their files come once a batch is closed: pass --close to close them"),
        "{err}"
    );
    assert!(!err.contains("--run"), "{err}");
    let out = e.fetch(&["--close"]);
    assert!(!stderr(&out).contains("pass --close"), "{}", stderr(&out));

    let e = env();
    e.connect();
    let out = e.fetch(&["--close", "--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("note: --close has no effect: Professional Edition has extract jobs"),
        "{}",
        stderr(&out)
    );

    // The simulator's own hint follows its edition.
    for (edition, want, not) in [
        ("Standard Edition", "--close", "--run"),
        ("CTE", "--run", "--close"),
    ] {
        let config = e.path("sim.toml");
        let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
            .args([
                "simulate",
                "--addr",
                "127.0.0.1:0",
                "--edition",
                edition,
                "--write-config",
            ])
            .arg(&config)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines =
            std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
        let hint = loop {
            let line = lines.next().expect("the simulator stopped").unwrap();
            if line.contains("ledgerline fetch --config") {
                break line;
            }
        };
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            hint.contains(want) && !hint.contains(not),
            "{edition}: {hint}"
        );
    }
}

/// A raw HTTP/1.1 request to the simulator: (status, body).
fn http_raw(base: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_owned();
    (status, body)
}

/// `entry get` reads a posted entry back through the stored connection (XML parsed), as text
/// and as JSON; an unknown entry is an error naming the HTTP status.
#[test]
fn entry_get_prints_an_entrys_details() {
    let e = env();
    e.connect();
    let token = e.connection()["access_token"].as_str().unwrap().to_owned();
    let (status, body) = http_raw(
        e.sim.base_url(),
        "POST",
        "/api/expense/expensereport/v1.1/report/DEMO1/entry",
        &token,
        "<ReportEntries><Expense><CrnCode>USD</CrnCode><ExpKey>TAXIX</ExpKey><TransactionDate>2024-03-20</TransactionDate><TransactionAmount>42.50</TransactionAmount><VendorDescription>Yellow Cab</VendorDescription><Description>Airport</Description></Expense></ReportEntries>",
    );
    assert_eq!(status, 200, "{body}");
    let entry = body
        .split("/entry/")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("Report-Entry-Details-Url")
        .to_owned();
    let out = e.run(&["entry", "get", "DEMO1", &entry]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("expense type:     Taxi (TAXIX)"), "{text}");
    assert!(text.contains("amount:           42.50000000"), "{text}");
    assert!(text.contains("vendor:           Yellow Cab"), "{text}");
    assert!(text.contains("business purpose: Airport"), "{text}");
    let out = e.run(&["entry", "get", "DEMO1", &entry, "--json"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["entry_id"], entry.as_str());
    assert_eq!(v["payment_type"], "CASH");
    let out = e.run(&["entry", "get", "DEMO1", "no-such-entry"]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
}

/// `inspect --entries`: an exception on the line of a posted entry (its account is not in
/// the chart) is explained by that entry, looked up in Concur; without the flag nothing is
/// called.
#[test]
fn inspect_entries_looks_up_the_entry_behind_an_exception() {
    let e = env();
    e.connect();
    let token = e.connection()["access_token"].as_str().unwrap().to_owned();
    let (status, body) = http_raw(
        e.sim.base_url(),
        "POST",
        "/api/expense/expensereport/v1.1/report/DEMO1/entry",
        &token,
        "<ReportEntries><Expense><CrnCode>USD</CrnCode><ExpKey>TAXIX</ExpKey><TransactionDate>2024-03-20</TransactionDate><TransactionAmount>42.50</TransactionAmount><VendorDescription>Yellow Cab</VendorDescription></Expense></ReportEntries>",
    );
    assert_eq!(status, 200, "{body}");
    let out = e.fetch(&["--run", "--force-run", "--definition", SAE]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let file = lines(&out)
        .into_iter()
        .find(|f| {
            std::fs::read_to_string(f)
                .map(|t| t.contains("Yellow Cab"))
                .unwrap_or(false)
        })
        .expect("a fetched file with the posted entry");
    // A chart of every account in the file but the posted entry's (Taxi, 60400).
    let out = crate::support::ledgerline(&["inspect", &file, "--by", "account", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut chart = String::from("account\n");
    for row in v["views"]["account"].as_array().unwrap() {
        let a = row["account"].as_str().unwrap();
        if a != "60400" {
            chart.push_str(&format!("{a}\n"));
        }
    }
    std::fs::write(e.path("chart.csv"), chart).unwrap();
    let chart = e.path("chart.csv").display().to_string();
    let config = e.path("concur.toml").display().to_string();
    let before = e.sim.requests("entry_get");
    let plain = crate::support::ledgerline(&["inspect", &file, "--accounts", &chart])
        .output()
        .unwrap();
    assert!(stdout(&plain).contains("60400"), "{}", stdout(&plain));
    assert_eq!(
        e.sim.requests("entry_get"),
        before,
        "no call without --entries"
    );
    let out = crate::support::ledgerline(&[
        "inspect",
        &file,
        "--accounts",
        &chart,
        "--entries",
        "--concur-config",
        &config,
    ])
    .env("HOME", e.path(""))
    .output()
    .unwrap();
    let printed = stdout(&out);
    assert!(
        printed.contains("Expense entries behind the exceptions"),
        "{printed}{}",
        stderr(&out)
    );
    assert!(
        printed.contains("report DEMO1")
            && printed.contains("Taxi (TAXIX) 2024-03-20 42.50000000 Yellow Cab"),
        "{printed}"
    );
    assert!(e.sim.requests("entry_get") > before);
}

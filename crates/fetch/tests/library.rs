//! The library API in process, against the simulator: what the CLI builds on.

use ledgerline_fetch::{
    Client, ClientCredentials, ClientOptions, ConnectRequest, Edition, EditionChoice, Error, Event,
    FetchPlan, HttpOptions, Secret, TokenStore,
};
use ledgerline_ledger::Ledger;
use ledgerline_ledger::fetches::FetchKind;
use ledgerline_simulator::{Fault, FaultKind, JobClock, RunningSimulator, SimConfig, Simulator};
use sha2::{Digest, Sha256};
use std::time::Duration;

fn fast() -> HttpOptions {
    HttpOptions {
        max_attempts: 4,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(10),
        ..HttpOptions::default()
    }
}

fn setup(cfg: SimConfig) -> (RunningSimulator, tempfile::TempDir, Client) {
    let sim = Simulator::start(cfg, Vec::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = sim.config().clone();
    let creds = ClientCredentials {
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
    };
    let store = TokenStore::new(dir.path().join("tokens.json"));
    ledgerline_fetch::connect(
        &ConnectRequest {
            base_url: sim.base_url().into(),
            client: creds.clone(),
            company_id: c.company_id.clone(),
            request_token: Secret(sim.request_token()),
        },
        &store,
        fast(),
        None,
    )
    .unwrap();
    let client = Client::open(
        store,
        creds,
        ClientOptions {
            http: fast(),
            ..ClientOptions::default()
        },
        None,
    )
    .unwrap();
    (sim, dir, client)
}

fn cfg() -> SimConfig {
    SimConfig {
        job_clock: JobClock::Polls {
            queued: 0,
            running: 1,
        },
        reports_per_file: 2,
        ..SimConfig::default()
    }
}

#[test]
fn recorded_hash_and_size_match_the_file_on_disk() {
    let (_sim, dir, mut client) = setup(cfg());
    let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let mut events = Vec::new();
    let plan = FetchPlan {
        out_dir: dir.path().join("out"),
        run: true,
        poll_interval: Duration::from_millis(5),
        ..FetchPlan::default()
    };
    let report = client
        .fetch(&plan, &mut ledger, &mut |e| events.push(e.clone()))
        .unwrap();
    assert_eq!(report.edition, Edition::Professional);
    // SAE: history job + new job; PRAE: new job.
    assert_eq!(report.fetched.len(), 3, "{events:#?}");
    for r in &report.fetched {
        let bytes = std::fs::read(&r.path).unwrap();
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, r.sha256);
        assert_eq!(bytes.len() as u64, r.bytes);
        assert_eq!(r.kind, FetchKind::ExtractJob);
        assert_eq!(r.content_type, "text/csv");
    }
    assert_eq!(ledger.records().unwrap(), report.fetched);
    assert!(events.iter().any(|e| matches!(e, Event::JobStarted { .. })));
}

#[test]
fn refresh_on_403_is_a_setting() {
    let mut c = cfg();
    c.bad_token_status = 403;
    let (sim, dir, mut client) = setup(c);
    sim.expire_access_tokens();
    // By default a 403 is an answer, not a reason to refresh.
    let err = client
        .list_definitions(ledgerline_fetch::extract::Format::Xml)
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 403, .. }), "{err}");
    let store = TokenStore::new(dir.path().join("tokens.json"));
    let creds = ClientCredentials {
        client_id: sim.config().client_id.clone(),
        client_secret: sim.config().client_secret.clone(),
    };
    let mut client = Client::open(
        store,
        creds,
        ClientOptions {
            http: fast(),
            refresh_on_403: true,
            ..ClientOptions::default()
        },
        None,
    )
    .unwrap();
    let defs = client
        .list_definitions(ledgerline_fetch::extract::Format::Xml)
        .unwrap();
    assert_eq!(defs.len(), 3);
}

#[test]
fn slow_answers_beyond_the_read_timeout_are_retried() {
    let (sim, _dir, _) = setup(cfg());
    let dir = tempfile::tempdir().unwrap();
    let creds = ClientCredentials {
        client_id: sim.config().client_id.clone(),
        client_secret: sim.config().client_secret.clone(),
    };
    let store = TokenStore::new(dir.path().join("tokens.json"));
    ledgerline_fetch::connect(
        &ConnectRequest {
            base_url: sim.base_url().into(),
            client: creds.clone(),
            company_id: sim.config().company_id.clone(),
            request_token: Secret(sim.request_token()),
        },
        &store,
        fast(),
        None,
    )
    .unwrap();
    let mut client = Client::open(
        store,
        creds,
        ClientOptions {
            http: HttpOptions {
                read_timeout: Duration::from_millis(200),
                ..fast()
            },
            ..ClientOptions::default()
        },
        None,
    )
    .unwrap();
    sim.add_fault(Fault {
        route: "profile".into(),
        kind: FaultKind::Slow { ms: 2000 },
        times: 1,
        skip: 0,
        after: false,
    });
    assert_eq!(client.detect_edition().unwrap(), Edition::Professional);
    assert_eq!(sim.requests("profile"), 2);
}

#[test]
fn standard_edition_by_plan_and_batches_by_kind() {
    let mut c = cfg();
    c.marketing_name = "Standard Edition".into();
    let (_sim, dir, mut client) = setup(c);
    assert_eq!(client.detect_edition().unwrap(), Edition::Standard);
    let mut ledger = Ledger::open_in_memory().unwrap();
    let plan = FetchPlan {
        edition: EditionChoice::Fixed(Edition::Standard),
        out_dir: dir.path().join("out"),
        close: true,
        ..FetchPlan::default()
    };
    let report = client.fetch(&plan, &mut ledger, &mut |_| {}).unwrap();
    assert_eq!(report.fetched.len(), 2);
    assert!(
        report
            .fetched
            .iter()
            .all(|r| r.kind == FetchKind::PaymentBatch)
    );
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
}

fn open_client(sim: &RunningSimulator, store: TokenStore) -> Client {
    let c = sim.config();
    Client::open(
        store,
        ClientCredentials {
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.clone(),
        },
        ClientOptions {
            http: fast(),
            ..ClientOptions::default()
        },
        None,
    )
    .unwrap()
}

fn wait_for_requests(sim: &RunningSimulator, route: &str, n: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sim.requests(route) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "no request {n} on {route}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Two clients on one store, both holding the same refresh token: the second one to refresh
/// waits for the first and uses the rotated token it saved, instead of presenting the dead one.
#[test]
fn two_clients_refreshing_with_the_same_stored_token_both_succeed() {
    let (sim, dir, first) = setup(cfg());
    let second = open_client(&sim, TokenStore::new(dir.path().join("tokens.json")));
    // The first refresh takes a while at Concur: the second starts meanwhile.
    sim.add_fault(Fault {
        route: "token".into(),
        kind: FaultKind::Slow { ms: 1500 },
        times: 1,
        skip: 0,
        after: false,
    });
    let mut first = first;
    let t = std::thread::spawn(move || first.refresh().map(|()| first));
    wait_for_requests(&sim, "token", 2);
    let mut second = second;
    second
        .refresh()
        .expect("the second refresh must not say reconnect");
    let first = t.join().unwrap().expect("the first refresh succeeds");
    assert_eq!(
        first.session().tokens().refresh_token,
        second.session().tokens().refresh_token,
        "the second used the token the first saved"
    );
    assert_eq!(
        sim.requests("token"),
        2,
        "connect + one refresh, no refused one"
    );
    // And the saved refresh token works.
    let mut third = open_client(&sim, TokenStore::new(dir.path().join("tokens.json")));
    third.refresh().unwrap();
}

/// A writer that does not take the store's lock (another machine, an older version) rotates
/// the refresh token while this client's refresh is on its way: Concur refuses the old
/// token, and the client retries once with the one now in the store.
#[test]
fn a_refused_refresh_retries_with_a_newer_stored_token() {
    let (sim, dir, client) = setup(cfg());
    let store = dir.path().join("tokens.json");
    let other = dir.path().join("other/tokens.json");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::copy(&store, &other).unwrap();
    let mut elsewhere = open_client(&sim, TokenStore::new(&other));
    sim.add_fault(Fault {
        route: "token".into(),
        kind: FaultKind::Slow { ms: 1500 },
        times: 1,
        skip: 0,
        after: false,
    });
    let mut client = client;
    let t = std::thread::spawn(move || client.refresh().map(|()| client));
    wait_for_requests(&sim, "token", 2);
    // The other process refreshes with the same token first and writes the store directly.
    elsewhere.refresh().unwrap();
    std::fs::copy(&other, &store).unwrap();
    let client = t
        .join()
        .unwrap()
        .expect("refused, then retried with the stored token");
    assert_ne!(
        client.session().tokens().refresh_token,
        elsewhere.session().tokens().refresh_token
    );
    assert_eq!(sim.requests("token"), 4, "connect, refused, other, retry");
    // A refusal with no newer token in the store still says reconnect.
    sim.revoke_all();
    let mut client = client;
    assert!(matches!(
        client.refresh(),
        Err(Error::ReconnectNeeded { .. })
    ));
}

fn connect_company(sim: &RunningSimulator, store: &TokenStore) {
    let c = sim.config();
    ledgerline_fetch::connect(
        &ConnectRequest {
            base_url: sim.base_url().into(),
            client: ClientCredentials {
                client_id: c.client_id.clone(),
                client_secret: c.client_secret.clone(),
            },
            company_id: c.company_id.clone(),
            request_token: Secret(sim.request_token()),
        },
        store,
        fast(),
        None,
    )
    .unwrap();
}

fn open_company(
    sim: &RunningSimulator,
    store: &TokenStore,
    company: Option<&str>,
) -> Result<Client, Error> {
    let c = sim.config();
    Client::open_company(
        store.clone(),
        company,
        ClientCredentials {
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.clone(),
        },
        ClientOptions {
            http: fast(),
            ..ClientOptions::default()
        },
        None,
    )
}

/// One store, two companies (each at its own host): each client talks to its own company,
/// and refreshes of the two, at the same time, never write back the other's stale tokens.
#[test]
fn two_companies_share_a_store_and_refresh_side_by_side() {
    let a = Simulator::start(cfg(), Vec::new()).unwrap();
    let b = Simulator::start(
        SimConfig {
            company_id: "0b7e24d2-9c31-4f0e-8d6a-2f3c1e5a7b90".into(),
            marketing_name: "Standard Edition".into(),
            ..cfg()
        },
        Vec::new(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().join("tokens.json"));
    connect_company(&a, &store);
    connect_company(&b, &store);
    assert_eq!(store.load_all().unwrap().len(), 2);
    // None chosen: refused, naming both.
    let e = open_company(&a, &store, None).unwrap_err();
    assert!(
        matches!(e, Error::CompanyNotChosen { ref available, .. } if available.len() == 2),
        "{e}"
    );
    let e = open_company(&a, &store, Some("nobody")).unwrap_err();
    assert!(e.needs_connect(), "{e}");
    let mut ca = open_company(&a, &store, Some(&a.config().company_id)).unwrap();
    let mut cb = open_company(&b, &store, Some(&b.config().company_id)).unwrap();
    assert_eq!(ca.detect_edition().unwrap(), Edition::Professional);
    assert_eq!(cb.detect_edition().unwrap(), Edition::Standard);
    let ta = std::thread::spawn(move || {
        for _ in 0..15 {
            ca.refresh().unwrap();
        }
        ca
    });
    let tb = std::thread::spawn(move || {
        for _ in 0..15 {
            cb.refresh().unwrap();
        }
        cb
    });
    let (ca, cb) = (ta.join().unwrap(), tb.join().unwrap());
    // The store holds each client's last rotated tokens.
    let stored = store.load_all().unwrap();
    assert_eq!(
        stored,
        vec![ca.session().tokens().clone(), cb.session().tokens().clone()]
    );
    // And both still work from it.
    let mut ca = open_company(&a, &store, Some(&a.config().company_id)).unwrap();
    ca.refresh().unwrap();
    let mut cb = open_company(&b, &store, Some(&b.config().company_id)).unwrap();
    cb.refresh().unwrap();
    // Disconnecting one leaves the other, which is then the only one.
    ca.disconnect().unwrap();
    let only = open_company(&b, &store, None).unwrap();
    assert_eq!(
        only.session().tokens().company_id.as_deref(),
        Some(b.config().company_id.as_str())
    );
}

#[test]
fn fis_documents_fetched_then_confirmed_posted_refused_and_paid_and_a_repeat_sends_nothing() {
    use ledgerline_fetch::fis::{
        Answer, ConfirmPlan, ErpOutcome, ErpOutcomes, FisPlan, PostingStatus, ProcessingStatus,
        Sent, Verdict,
    };
    use ledgerline_ledger::PostingLedger;
    use ledgerline_ledger::posting::Posted;
    let (sim, dir, mut client) = setup(SimConfig {
        fis: ledgerline_simulator::FisConfig {
            generated: 2,
            ..Default::default()
        },
        ..cfg()
    });
    let ledger_path = dir.path().join("ledger.sqlite");
    let mut ledger = Ledger::open(&ledger_path).unwrap();
    let plan = FisPlan {
        out_dir: dir.path().join("fis"),
        ..FisPlan::default()
    };
    let fetched = client.fetch_fis(&plan, &mut ledger, &mut |_| {}).unwrap();
    let mut reports: Vec<String> = fetched
        .fetched
        .iter()
        .filter_map(|f| f.report_id.clone())
        .collect();
    reports.sort();
    let [posted, refused] = <[String; 2]>::try_from(reports).unwrap();
    let mut posting = PostingLedger::open(&ledger_path).unwrap();
    let run = posting
        .begin(
            "out.csv",
            "00",
            &[Posted {
                target: "netsuite".into(),
                journal_id: posted.clone(),
                report_id: Some(posted.clone()),
                employee_id: None,
                currency: "USD".into(),
                lines: 3,
                total: "141.00".into(),
                lines_sha256: String::new(),
                source_file: "fis.json".into(),
                output: "out.csv".into(),
                posted_at: "2024-05-02T08:00:00Z".into(),
            }],
        )
        .unwrap();
    posting.finish(run).unwrap();

    let mut outcomes = ErpOutcomes::new();
    outcomes.add(
        posted.clone(),
        ErpOutcome::Posted(vec!["5100000001".into()]),
    );
    outcomes.add(refused.clone(), ErpOutcome::Refused(vec!["blocked".into()]));
    outcomes.add("NOSUCHREPORT".into(), ErpOutcome::Posted(vec!["1".into()]));
    let plan = ConfirmPlan {
        outcomes,
        payment: true,
        system_id: None,
    };
    let r = client
        .confirm_fis(&plan, &mut ledger, &mut posting)
        .unwrap();
    let got: Vec<(&str, Option<Sent>, &Verdict)> = r
        .lines
        .iter()
        .map(|l| (l.journal_id.as_str(), l.sent, &l.result))
        .collect();
    let success = Verdict::Answered(Answer::Success);
    assert_eq!(
        got,
        [
            ("NOSUCHREPORT", None, &Verdict::Refused),
            (
                posted.as_str(),
                Some(Sent::Posting(PostingStatus::Success)),
                &success
            ),
            (
                refused.as_str(),
                Some(Sent::Posting(PostingStatus::Error)),
                &success
            ),
            (
                posted.as_str(),
                Some(Sent::Payment(ProcessingStatus::Paid)),
                &success
            ),
        ]
    );
    assert_eq!(r.forgotten, std::slice::from_ref(&refused));
    assert!(!r.all_accepted(), "the journal of no document is refused");
    let status = |report: &str| -> Vec<String> {
        sim.fis_documents()
            .into_iter()
            .filter(|d| d.report_id.as_deref() == Some(report))
            .map(|d| d.status)
            .collect()
    };
    assert_eq!(status(&posted), ["PAYMENT_CONFIRMED_SUCCESS"]);
    assert_eq!(status(&refused), ["POSTING_CONFIRMED_FAILURE", "READY"]);

    // Again: the posting is confirmed and the payment too, so nothing is sent.
    let (postings, payments) = (sim.requests("fis_posting"), sim.requests("fis_payment"));
    let mut outcomes = ErpOutcomes::new();
    outcomes.add(
        posted.clone(),
        ErpOutcome::Posted(vec!["5100000001".into()]),
    );
    let again = ConfirmPlan {
        outcomes,
        payment: true,
        system_id: None,
    };
    let r = client
        .confirm_fis(&again, &mut ledger, &mut posting)
        .unwrap();
    assert_eq!(r.lines.len(), 1, "{:?}", r.lines);
    assert_eq!(r.lines[0].result, Verdict::AlreadyConfirmed);
    assert!(r.all_accepted());
    assert_eq!(
        (sim.requests("fis_posting"), sim.requests("fis_payment")),
        (postings, payments)
    );
}

//! The simulator's HTTP contract, exercised with a plain HTTP client.

use ledgerline_simulator::{Fault, FaultKind, JobClock, RunningSimulator, SimConfig, Simulator};

fn sim() -> RunningSimulator {
    Simulator::start(
        SimConfig {
            job_clock: JobClock::Polls {
                queued: 1,
                running: 0,
            },
            reports_per_file: 2,
            ..SimConfig::default()
        },
        Vec::new(),
    )
    .unwrap()
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// (status, body) whatever the status.
fn call(r: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match r {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap()),
        Err(e) => panic!("transport error: {e}"),
    }
}

fn token_call(s: &RunningSimulator, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let (status, body) = call(
        agent()
            .post(&format!("{}/oauth2/v0/token", s.base_url()))
            .send_form(form),
    );
    (status, serde_json::from_str(&body).unwrap())
}

fn company_tokens(s: &RunningSimulator) -> serde_json::Value {
    let c = s.config();
    let rt = s.request_token();
    let (status, v) = token_call(
        s,
        &[
            ("grant_type", "password"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("username", &c.company_id),
            ("password", &rt),
            ("credtype", "authtoken"),
        ],
    );
    assert_eq!(status, 200, "{v}");
    v
}

fn get(s: &RunningSimulator, path_or_url: &str, token: &str, accept: &str) -> (u16, String) {
    let url = if path_or_url.starts_with("http") {
        path_or_url.to_owned()
    } else {
        format!("{}{path_or_url}", s.base_url())
    };
    call(
        agent()
            .get(&url)
            .set("Authorization", &format!("Bearer {token}"))
            .set("Accept", accept)
            .call(),
    )
}

#[test]
fn grants_rotation_revocation_and_errors() {
    let s = sim();
    let c = s.config().clone();
    let t = company_tokens(&s);
    assert_eq!(t["expires_in"], "3600");
    assert_eq!(t["geolocation"], s.base_url());
    assert!(t["refresh_expires_in"].as_i64().unwrap() > 1_700_000_000);
    let old = t["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |rt: &str| {
        token_call(
            &s,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &c.client_id),
                ("client_secret", &c.client_secret),
                ("refresh_token", rt),
            ],
        )
    };
    let (status, t2) = refresh(&old);
    assert_eq!(status, 200);
    let new = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let (status, e) = refresh(&old);
    assert_eq!(
        (status, e["code"].as_i64(), e["error"].as_str()),
        (400, Some(108), Some("invalid_grant"))
    );
    // Wrong request token: code 5; wrong secret: invalid_client.
    let (status, e) = token_call(
        &s,
        &[
            ("grant_type", "password"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("username", &c.company_id),
            ("password", "nope"),
            ("credtype", "authtoken"),
        ],
    );
    assert_eq!((status, e["code"].as_i64()), (400, Some(5)));
    let (status, e) = token_call(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", "x"),
        ],
    );
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
    // App-only tokens have no refresh token and no access to Extract.
    let (status, app) = token_call(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
        ],
    );
    assert_eq!(status, 200);
    assert!(app.get("refresh_token").is_none());
    let (status, _) = get(
        &s,
        "/api/expense/extract/v1.0/",
        app["access_token"].as_str().unwrap(),
        "application/xml",
    );
    assert_eq!(status, 403);
    // The company token works with either scheme; none at all is 401.
    let access = t2["access_token"].as_str().unwrap();
    let (status, _) = call(
        agent()
            .get(&format!("{}/profile/v1/me", s.base_url()))
            .set("Authorization", &format!("oauth {access}"))
            .call(),
    );
    assert_eq!(status, 200);
    let (status, _) = call(
        agent()
            .get(&format!("{}/profile/v1/me", s.base_url()))
            .call(),
    );
    assert_eq!(status, 401);
    // Revocation kills the access token and the refresh token.
    let (status, _) = call(
        agent()
            .delete(&format!("{}/app-mgmt/v0/connections", s.base_url()))
            .set("Authorization", &format!("Bearer {access}"))
            .call(),
    );
    assert_eq!(status, 200);
    assert_eq!(get(&s, "/profile/v1/me", access, "application/json").0, 401);
    assert_eq!(refresh(&new).1["code"].as_i64(), Some(108));
    // A charset on the form is refused, as Concur's gateway does.
    let (status, _) = call(
        agent()
            .post(&format!("{}/oauth2/v0/token", s.base_url()))
            .set(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .send_string("grant_type=client_credentials"),
    );
    assert_eq!(status, 400);
}

#[test]
fn jobs_move_through_their_states_and_speak_json() {
    let s = sim();
    let access = company_tokens(&s)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = s.config().definitions[0].key.clone();
    let jobs = format!("{}/api/expense/extract/v1.0/{key}/job", s.base_url());
    let post = || {
        call(
            agent()
                .post(&jobs)
                .set("Authorization", &format!("Bearer {access}"))
                .set("Content-Type", "application/xml")
                .send_string(""),
        )
    };
    let (status, body) = post();
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("<status>Queued</status>"), "{body}");
    assert_eq!(post().0, 409);
    let (_, list) = get(&s, &jobs, &access, "application/json");
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let arr = list.as_array().unwrap();
    assert_eq!(arr.len(), 2, "the history job and the new one");
    assert_eq!(arr[0]["status"], 0, "newest first, numeric status");
    let id = arr[0]["id"].as_str().unwrap().to_owned();
    assert!(id.contains('$'));
    let status_url = arr[0]["status-link"].as_str().unwrap().to_owned();
    assert_eq!(get(&s, &format!("{id}/file"), &access, "*/*").0, 404);
    assert!(
        get(&s, &status_url, &access, "application/xml")
            .1
            .contains("Queued")
    );
    let (_, done) = get(&s, &status_url, &access, "application/xml");
    assert!(done.contains("<status>Completed</status>"), "{done}");
    assert!(done.contains("<file-link>"), "{done}");
    let (status, file) = get(&s, &format!("{id}/file"), &access, "*/*");
    assert_eq!(status, 200);
    assert!(file.starts_with("EXTRACT|"));
}

#[test]
fn posted_entries_appear_in_the_next_expense_extract() {
    let s = sim();
    let access = company_tokens(&s)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = "<ReportEntries xmlns=\"http://www.concursolutions.com/api/expense/expensereport/2011/03\">\
        <Expense><CrnCode>USD</CrnCode><ExpKey>TAXIX</ExpKey><TransactionDate>2024-03-20</TransactionDate>\
        <TransactionAmount>42.50</TransactionAmount><VendorDescription>Loopback Cabs</VendorDescription></Expense>\
        <Expense><CrnCode>USD</CrnCode><TransactionAmount>1</TransactionAmount></Expense></ReportEntries>";
    let (status, answer) = call(
        agent()
            .post(&format!(
                "{}/api/expense/expensereport/v1.1/report/DEMO$1/entry",
                s.base_url()
            ))
            .set("Authorization", &format!("Bearer {access}"))
            .set("Content-Type", "application/xml")
            .send_string(body),
    );
    assert_eq!(status, 200);
    assert!(answer.contains("<Status>SUCCESS</Status>"), "{answer}");
    assert!(
        answer.contains("<Status>FAILED</Status><Message>ExpKey is required."),
        "{answer}"
    );
    let doc = roxmltree::Document::parse(&answer).unwrap();
    let entry_url = doc
        .descendants()
        .find(|n| n.tag_name().name() == "Report-Entry-Details-Url")
        .and_then(|n| n.text())
        .unwrap()
        .to_owned();
    let (status, entry) = get(&s, &entry_url, &access, "application/xml");
    assert_eq!(status, 200);
    assert!(
        entry.contains("<TransactionAmount>42.50000000</TransactionAmount>"),
        "{entry}"
    );
    assert_eq!(s.pending_entries(), 1);
    let key = s.config().definitions[0].key.clone();
    let job = s.start_job(&key).unwrap();
    assert_eq!(s.pending_entries(), 0);
    let job_url = format!("{}/api/expense/extract/v1.0/{key}/job/{job}", s.base_url());
    get(&s, &job_url, &access, "application/xml");
    get(&s, &job_url, &access, "application/xml");
    let (status, file) = get(&s, &format!("{job_url}/file"), &access, "*/*");
    assert_eq!(status, 200);
    let line = file
        .lines()
        .find(|l| l.contains("Loopback Cabs"))
        .expect("the posted entry is a journal line");
    assert!(line.contains("|DEMO$1|"), "{line}");
    assert!(line.contains("|60400|DR|+42.5000|"), "{line}");
    let report = ledgerline_extract::validate::validate_reader(
        "job.txt",
        file.as_bytes(),
        &Default::default(),
        &mut |_| {},
    );
    assert_eq!(
        report.findings.errors(),
        0,
        "{:#?}",
        report.findings.items()
    );
}

#[test]
fn faults_drop_truncate_and_answer_statuses() {
    let s = sim();
    let access = company_tokens(&s)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let arm = |route: &str, kind: FaultKind| {
        s.add_fault(Fault {
            route: route.into(),
            kind,
            times: 1,
            skip: 0,
            after: false,
        })
    };
    arm("profile", FaultKind::Drop);
    let r = agent()
        .get(&format!("{}/profile/v1/me", s.base_url()))
        .set("Authorization", &format!("Bearer {access}"))
        .call();
    assert!(matches!(r, Err(ureq::Error::Transport(_))), "{r:?}");
    arm(
        "profile",
        FaultKind::Status {
            status: 429,
            retry_after: Some("7".into()),
        },
    );
    match agent()
        .get(&format!("{}/profile/v1/me", s.base_url()))
        .set("Authorization", &format!("Bearer {access}"))
        .call()
    {
        Err(ureq::Error::Status(429, r)) => assert_eq!(r.header("Retry-After"), Some("7")),
        other => panic!("{other:?}"),
    }
    arm(
        "job_file",
        FaultKind::Truncate {
            keep_bytes: Some(10),
        },
    );
    let key = s.config().definitions[0].key.clone();
    let (_, list) = get(
        &s,
        &format!("/api/expense/extract/v1.0/{key}/job"),
        &access,
        "application/json",
    );
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let file = list[0]["file-link"].as_str().unwrap().to_owned();
    let r = agent()
        .get(&file)
        .set("Authorization", &format!("Bearer {access}"))
        .call()
        .unwrap();
    let declared: usize = r.header("Content-Length").unwrap().parse().unwrap();
    let mut got = Vec::new();
    let res = std::io::Read::read_to_end(&mut r.into_reader(), &mut got);
    assert!(res.is_err() || got.len() < declared);
    assert!(got.len() <= 10);
    assert_eq!(s.requests("job_file"), 1);
}

/// The manual's `POST /_admin/faults` example, read from docs/fetch.md itself and sent to a
/// running simulator, is accepted and arms what it says.
#[test]
fn the_readme_fault_example_is_accepted_over_http() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/fetch.md"),
    )
    .unwrap();
    let at = readme
        .find("/_admin/faults -d")
        .expect("docs/fetch.md shows the faults example");
    let body = readme[at..]
        .split('\'')
        .nth(1)
        .expect("a quoted JSON body")
        .to_owned();
    let s = sim();
    let (status, answer) = call(
        agent()
            .post(&format!("{}/_admin/faults", s.base_url()))
            .set("Content-Type", "application/json")
            .send_string(&body),
    );
    assert_eq!(status, 200, "{answer}");
    let access = company_tokens(&s)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Armed: the definitions route answers 429 with Retry-After 2.
    match agent()
        .get(&format!("{}/api/expense/extract/v1.0/", s.base_url()))
        .set("Authorization", &format!("Bearer {access}"))
        .set("Accept", "application/json")
        .call()
    {
        Err(ureq::Error::Status(429, r)) => assert_eq!(r.header("Retry-After"), Some("2")),
        other => panic!("{other:?}"),
    }
    let typo = call(
        agent()
            .post(&format!("{}/_admin/faults", s.base_url()))
            .set("Content-Type", "application/json")
            .send_string(r#"[{"route":"job_file","fault":"truncate","tims":2}]"#),
    );
    assert_eq!(typo.0, 400, "{}", typo.1);
    assert!(typo.1.contains("tims"), "{}", typo.1);
}

fn password_grant(s: &RunningSimulator, token: &str) -> (u16, serde_json::Value) {
    let c = s.config();
    token_call(
        s,
        &[
            ("grant_type", "password"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("username", &c.company_id),
            ("password", token),
            ("credtype", "authtoken"),
        ],
    )
}

/// The App Center's Connect button: a 303 to the partner's Connect URI with `id`, a fresh
/// `requestToken` and `userId` (or `userID`); the token works once, and a short-lived one
/// expires.
#[test]
fn the_app_center_redirects_with_a_fresh_single_use_request_token() {
    let s = sim();
    let url = format!(
        "{}/_admin/app-center/connect?redirect_uri=https://partner.example/connect",
        s.base_url()
    );
    let r = agent().get(&url).call().unwrap();
    assert_eq!(r.status(), 303);
    let to = r.header("Location").unwrap().to_owned();
    assert!(
        to.starts_with("https://partner.example/connect?id="),
        "{to}"
    );
    assert!(
        to.contains(&format!("id={}", s.config().company_id)),
        "{to}"
    );
    assert!(
        to.contains(&format!("userId={}", s.config().app_center_user_id)),
        "{to}"
    );
    let token = to
        .split("requestToken=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let (status, v) = password_grant(&s, &token);
    assert_eq!(status, 200, "{v}");
    let (status, v) = password_grant(&s, &token);
    assert_eq!((status, v["code"].as_i64()), (400, Some(5)), "{v}");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("exchanged already"),
        "{v}"
    );
    // JSON, the other spelling, a token that expires at once.
    let (status, body) = call(
        agent()
            .post(&format!("{url}&user_param=userID&ttl_ms=1"))
            .call(),
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["redirect_url"].as_str().unwrap().contains("userID="),
        "{v}"
    );
    std::thread::sleep(std::time::Duration::from_millis(10));
    let (status, e) = password_grant(&s, v["request_token"].as_str().unwrap());
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error_description"].as_str().unwrap().contains("expired"),
        "{e}"
    );
    // Another company, or no redirect: refused.
    let (status, _) = call(agent().get(&format!("{url}&company=0b7e24d2")).call());
    assert_eq!(status, 400);
    let (status, _) = call(
        agent()
            .get(&format!("{}/_admin/app-center/connect", s.base_url()))
            .call(),
    );
    assert_eq!(status, 400);
}

/// v1.2 close: accepted at once, the batch stays OPEN until the delay has passed, then is
/// CLOSED and its file served; an empty batch answers 500; the answer's shape is an option.
#[test]
fn the_v12_close_is_asynchronous() {
    for shape in [
        ledgerline_simulator::V12Response::Job,
        ledgerline_simulator::V12Response::BatchStatus,
        ledgerline_simulator::V12Response::Empty,
    ] {
        let s = Simulator::start(
            SimConfig {
                batch_v12: ledgerline_simulator::BatchV12Config {
                    close_delay_ms: 300,
                    response: shape,
                    ..Default::default()
                },
                ..SimConfig::default()
            },
            Vec::new(),
        )
        .unwrap();
        let access = company_tokens(&s)["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let get = |path: &str| {
            call(
                agent()
                    .get(&format!("{}{path}", s.base_url()))
                    .set("Authorization", &format!("Bearer {access}"))
                    .call(),
            )
        };
        let (_, open) = get("/api/expense/paymentbatch/v1.1/batchlist/OPEN");
        let url = |name: &str| {
            let at = open.find(name).unwrap();
            open[at..]
                .split("<Batch-URL>")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_owned()
        };
        let usd = url("USD: Employees");
        let close = |batch: &str| {
            call(
                agent()
                    .post(&format!("{}/close", batch.replace("/v1.1/", "/v1.2/")))
                    .set("Authorization", &format!("Bearer {access}"))
                    .send_bytes(&[]),
            )
        };
        let (status, body) = close(&usd);
        match shape {
            ledgerline_simulator::V12Response::Job => {
                assert_eq!(status, 200);
                assert!(
                    body.contains("<JobQueueKey>") && !body.contains("File-Url"),
                    "{body}"
                );
            }
            ledgerline_simulator::V12Response::BatchStatus => {
                assert!(body.contains("<File-Url>"), "{body}");
            }
            ledgerline_simulator::V12Response::Empty => {
                assert_eq!((status, body.as_str()), (202, ""));
            }
        }
        let (_, closed) = get("/api/expense/paymentbatch/v1.1/batchlist/CLOSED");
        assert!(
            !closed.contains("USD: Employees"),
            "still closing: {closed}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
        let (_, closed) = get("/api/expense/paymentbatch/v1.1/batchlist/CLOSED");
        assert!(
            closed.contains("USD: Employees"),
            "closed after the delay: {closed}"
        );
        let (status, _) = get(&format!("{}/file", usd.trim_start_matches(s.base_url())));
        assert_eq!(status, 200);
        let (status, body) = close(&url("EUR: Company Check"));
        assert_eq!(status, 500, "{body}");
        assert!(body.contains("does not contain any reports"), "{body}");
        assert_eq!(s.requests("batch_close_v12"), 2);
    }
}

//! `ledgerline-sync` against the simulator on loopback: every check reads the simulator's
//! state back through its own API (`RunningSimulator::masterdata`), never through the code
//! under test.

use crate::support::{self, Env};

use ledgerline_simulator::FaultKind;
use ledgerline_simulator::masterdata::{HyphenMode, ListSeed, MasterDataConfig};
use ledgerline_sync::{Api, Mapping, Options, Report, Status, lists};
use std::collections::BTreeMap;

fn env_with(md: MasterDataConfig) -> Env {
    support::env_with(md, 6)
}

fn env() -> Env {
    env_with(MasterDataConfig::default())
}

const SIMPLE: &str = "[sync.lists]\nlist = 'Cost Centers'\ncode = 'Code'\nname = 'Name'\n";
const CONNECTED: &str = "[sync.lists]\nlist = 'Company Cost Objects'\nlevels = [\n  { code = 'Company', name = 'Company Name' },\n  { code = 'Cost Center', name = 'Name' },\n]\n";

impl Env {
    fn sync_list(&mut self, mapping: &str, csv: &str, opts: Options) -> Report {
        let m = self.file("map.toml", mapping);
        let input = self.file("export.csv", csv);
        let mapping = Mapping::load(&m).unwrap();
        let mut api = Api::new(&mut self.client);
        lists::sync(
            &mut api,
            &mut self.ledger,
            "company",
            &mapping,
            &input,
            &opts,
            &mut |_| {},
        )
        .unwrap()
    }

    /// Live items of a list in the simulator: long code -> name.
    fn live(&self, list: &str) -> BTreeMap<String, String> {
        let snap = self.sim.masterdata();
        let l = snap.list(list).unwrap();
        let mut out = BTreeMap::new();
        for i in l.live() {
            assert!(
                out.insert(i.code.clone(), i.value.clone()).is_none(),
                "{} twice",
                i.code
            );
        }
        out
    }
}

fn apply() -> Options {
    Options {
        apply: true,
        ..Options::default()
    }
}

fn simple_csv(n: usize, renamed: Option<usize>) -> String {
    let mut s = String::from("Code,Name\n");
    for i in 0..n {
        let name = if Some(i) == renamed {
            format!("Renamed {i}")
        } else {
            format!("Centre {i}")
        };
        s.push_str(&format!("CC{i:05},{name}\n"));
    }
    s
}

fn expected(n: usize) -> BTreeMap<String, String> {
    (0..n)
        .map(|i| (format!("CC{i:05}"), format!("Centre {i}")))
        .collect()
}

const TREE: &str = "Company,Company Name,Cost Center,Name\n\
    US01,Acme US,4100,Sales East\n\
    US01,Acme US,4200,Sales West\n\
    DE01,Acme GmbH,5100,Vertrieb\n\
    DE01,Acme GmbH,,\n\
    FR01,Acme SAS,,\n";

#[test]
fn first_sync_creates_everything_parents_first_and_the_second_sends_nothing() {
    let mut e = env();
    let plan = e.sync_list(CONNECTED, TREE, Options::default());
    assert_eq!(plan.plan.create, 6, "{}", plan.plan_line());
    assert!(!plan.applied);
    assert_eq!(
        e.sim.requests("list_bulk_create"),
        0,
        "a plan sends nothing"
    );
    let r = e.sync_list(CONNECTED, TREE, apply());
    assert_eq!(r.count(Status::Created), 6, "{}", r.summary_line());
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    // Level 1 in one call, level 2 in the next: parents before children.
    assert_eq!(e.sim.requests("list_bulk_create"), 2);
    let want: BTreeMap<String, String> = [
        ("US01", "Acme US"),
        ("US01-4100", "Sales East"),
        ("US01-4200", "Sales West"),
        ("DE01", "Acme GmbH"),
        ("DE01-5100", "Vertrieb"),
        ("FR01", "Acme SAS"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(e.live("Company Cost Objects"), want);
    let snap = e.sim.masterdata();
    let item = snap
        .list("Company Cost Objects")
        .unwrap()
        .item("US01-4100")
        .unwrap()
        .clone();
    assert_eq!(
        (
            item.level,
            item.short_code.as_str(),
            item.parent_code.as_deref()
        ),
        (2, "4100", Some("US01"))
    );

    let before = e.sim.stats();
    let again = e.sync_list(CONNECTED, TREE, apply());
    assert_eq!(again.plan.unchanged, 6, "{}", again.plan_line());
    assert!(again.outcomes.is_empty());
    let after = e.sim.stats();
    for route in ["list_bulk_create", "list_bulk_update"] {
        assert_eq!(
            before.get(route),
            after.get(route),
            "{route}: the second run sent something"
        );
    }
    // Every record is in the run ledger.
    let rows =
        ledgerline_sync::record::all(&e.ledger, "company", "lists", &item_list_id(&e)).unwrap();
    assert_eq!(rows.len(), 6);
    assert!(
        rows.iter()
            .all(|r| r.status == "unchanged" || r.status == "created"),
        "{rows:?}"
    );
}

fn item_list_id(e: &Env) -> String {
    e.sim
        .masterdata()
        .list("Company Cost Objects")
        .unwrap()
        .id
        .clone()
}

#[test]
fn one_changed_row_is_one_update() {
    let mut e = env();
    e.sync_list(SIMPLE, &simple_csv(30, None), apply());
    let r = e.sync_list(SIMPLE, &simple_csv(30, Some(7)), apply());
    assert_eq!(
        (r.plan.update, r.plan.create, r.plan.unchanged),
        (1, 0, 29),
        "{}",
        r.plan_line()
    );
    assert_eq!(r.changes[0].key, "CC00007");
    assert_eq!(r.changes[0].line, Some(9));
    assert_eq!(e.sim.requests("list_bulk_update"), 1);
    assert_eq!(e.live("Cost Centers")["CC00007"], "Renamed 7");
}

#[test]
fn delete_missing_deactivates_what_the_export_lost_and_only_with_the_flag() {
    let mut e = env();
    e.sync_list(CONNECTED, TREE, apply());
    let fewer =
        "Company,Company Name,Cost Center,Name\nUS01,Acme US,4100,Sales East\nFR01,Acme SAS,,\n";
    let kept = e.sync_list(CONNECTED, fewer, apply());
    assert_eq!(kept.plan.deactivate, 0);
    assert_eq!(kept.plan.only_in_concur, 3, "{}", kept.plan_line());
    assert_eq!(
        e.live("Company Cost Objects").len(),
        6,
        "kept without --delete-missing"
    );
    let r = e.sync_list(
        CONNECTED,
        fewer,
        Options {
            apply: true,
            delete_missing: true,
            strict: false,
        },
    );
    // DE01 (its child goes with it) and US01-4200; US01 stays: the export keeps a child.
    let keys: Vec<&str> = r.changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["DE01", "US01-4200"], "{}", r.plan_line());
    assert_eq!(r.count(Status::Deactivated), 2);
    let live: Vec<String> = e.live("Company Cost Objects").into_keys().collect();
    assert_eq!(live, ["FR01", "US01", "US01-4100"]);
    let snap = e.sim.masterdata();
    assert!(
        snap.list("Company Cost Objects")
            .unwrap()
            .item("DE01-5100")
            .unwrap()
            .deleted
    );
}

#[test]
fn a_thousand_items_go_in_four_calls_of_at_most_250() {
    let mut e = env();
    let r = e.sync_list(SIMPLE, &simple_csv(1000, None), apply());
    assert_eq!(r.count(Status::Created), 1000, "{}", r.summary_line());
    assert_eq!(e.sim.requests("list_bulk_create"), 4);
    assert_eq!(e.live("Cost Centers"), expected(1000));
    // Reading back 1,000 items takes 10 pages of 100 (plus the deleted-items read).
    let before = e.sim.requests("list_children");
    let again = e.sync_list(SIMPLE, &simple_csv(1000, None), Options::default());
    assert_eq!(again.plan.unchanged, 1000);
    assert_eq!(e.sim.requests("list_children") - before, 11);
}

#[test]
fn a_429_storm_is_waited_out_and_nothing_is_lost() {
    let mut e = env();
    e.fault(
        "list_bulk_create",
        FaultKind::Status {
            status: 429,
            retry_after: None,
        },
        4,
        0,
        false,
    );
    e.fault(
        "list_children",
        FaultKind::Status {
            status: 429,
            retry_after: None,
        },
        3,
        0,
        false,
    );
    let r = e.sync_list(SIMPLE, &simple_csv(600, None), apply());
    assert_eq!(r.count(Status::Created), 600, "{}", r.summary_line());
    assert_eq!(r.rate_limited, 7, "{:?}", e.sim.stats());
    assert!(
        r.summary_line().contains("7 rate-limit answers"),
        "{}",
        r.summary_line()
    );
    assert_eq!(e.live("Cost Centers"), expected(600));
}

#[test]
fn a_429_has_concurs_bulk_shape_and_retry_after_zero() {
    let e = env();
    e.fault(
        "list_bulk_create",
        FaultKind::Status {
            status: 429,
            retry_after: None,
        },
        1,
        0,
        false,
    );
    let snap = e.sim.masterdata();
    let id = &snap.list("Cost Centers").unwrap().id;
    let resp =
        ureq::post(&format!("{}/list/v4/lists/{id}/bulk", e.sim.base_url())).send_string("{}");
    let Err(ureq::Error::Status(429, resp)) = resp else {
        panic!("not a 429: {resp:?}")
    };
    assert_eq!(resp.header("retry-after"), Some("0"));
    let v: serde_json::Value = serde_json::from_str(&resp.into_string().unwrap()).unwrap();
    assert_eq!(v["error"]["id"], "security.rate.limit.reached");
    assert_eq!(v["httpStatus"], "429 - Too Many Requests");
}

#[test]
fn a_connection_dropped_mid_batch_then_a_rerun_gives_no_duplicate_and_loses_nothing() {
    let mut e = env();
    // The second call's items are created but its answer never comes, however often it is
    // replayed; the third call is never reached.
    e.fault("list_bulk_create", FaultKind::Drop, 0, 1, true);
    let r = e.sync_list(SIMPLE, &simple_csv(700, None), apply());
    assert!(r.interrupted.is_some(), "{}", r.summary_line());
    assert_eq!(r.count(Status::Created), 250);
    assert_eq!(r.count(Status::Unknown), 450);
    assert_eq!(
        e.live("Cost Centers").len(),
        500,
        "the lost answer's items exist"
    );
    let pending = ledgerline_sync::record::all(
        &e.ledger,
        "company",
        "lists",
        &e.sim.masterdata().list("Cost Centers").unwrap().id,
    )
    .unwrap()
    .into_iter()
    .filter(|r| r.status == "pending")
    .count();
    assert_eq!(
        pending, 250,
        "sent without an answer: pending in the run ledger"
    );
    e.sim.clear_faults();
    let again = e.sync_list(SIMPLE, &simple_csv(700, None), apply());
    assert_eq!(
        (again.plan.create, again.plan.unchanged),
        (200, 500),
        "{}",
        again.plan_line()
    );
    assert!(again.interrupted.is_none());
    assert_eq!(e.live("Cost Centers"), expected(700));
    let rows = ledgerline_sync::record::all(
        &e.ledger,
        "company",
        "lists",
        &e.sim.masterdata().list("Cost Centers").unwrap().id,
    )
    .unwrap();
    assert_eq!(rows.len(), 700);
    assert!(rows.iter().all(|r| r.status != "pending"), "all settled");
}

#[test]
fn a_replayed_create_whose_answer_was_lost_once_is_settled_in_the_same_run() {
    let mut e = env();
    e.fault("list_bulk_create", FaultKind::Drop, 1, 0, true);
    let r = e.sync_list(SIMPLE, &simple_csv(10, None), apply());
    assert!(r.interrupted.is_none(), "{}", r.summary_line());
    assert_eq!(r.count(Status::Failed), 0);
    assert_eq!(e.live("Cost Centers"), expected(10));
}

#[test]
fn bad_rows_are_findings_with_line_and_column_and_are_not_sent() {
    let mut e = env();
    let csv = "Company,Company Name,Cost Center,Name\n\
        US01,Acme US,41-00,Hyphen\n\
        US01,Acme US,4200,Sales West\n\
        US01,Acme US,4200,Again\n\
        ,,4300,No parent code\n\
        US01,Acme US,ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456,Too long\n";
    let r = e.sync_list(CONNECTED, csv, apply());
    let codes: Vec<(String, Option<u64>, Option<u32>)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.code.to_string(),
                f.line,
                f.column.as_ref().map(|c| c.number),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("SYN303".to_owned(), Some(2), Some(3)),
            ("SYN302".to_owned(), Some(4), Some(3)),
            ("SYN301".to_owned(), Some(5), Some(1)),
            ("SYN307".to_owned(), Some(6), Some(3)),
        ]
    );
    assert!(r.findings[0].message.contains("`41-00`"));
    let live: Vec<String> = e.live("Company Cost Objects").into_keys().collect();
    assert_eq!(live, ["US01", "US01-4200"], "the good rows are sent");
    assert_eq!(e.live("Company Cost Objects")["US01-4200"], "Sales West");
}

#[test]
fn strict_sends_nothing_when_a_row_is_bad() {
    let mut e = env();
    let csv = "Code,Name\nA1,Alpha\nB-1,Hyphen\n";
    let r = e.sync_list(
        SIMPLE,
        csv,
        Options {
            apply: true,
            strict: true,
            delete_missing: false,
        },
    );
    assert_eq!(r.errors(), 1);
    assert!(!r.applied);
    assert_eq!(e.sim.requests("list_bulk_create"), 0);
}

#[test]
fn a_level_deeper_than_the_list_is_refused() {
    let mut e = env();
    // Cost Centers has one level.
    let map = "[sync.lists]\nlist = 'Cost Centers'\nlevels = [{ code = 'A' }, { code = 'B' }]\n";
    let r = e.sync_list(map, "A,B\nX1,Y1\n", apply());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.findings[0].code.to_string(), "SYN304");
    assert_eq!(r.count(Status::Created), 1);
    assert_eq!(
        e.live("Cost Centers").into_keys().collect::<Vec<_>>(),
        ["X1"]
    );
}

#[test]
fn a_deleted_code_that_comes_back_is_reported_or_reactivated_as_configured() {
    let mut e = env();
    e.sync_list(SIMPLE, "Code,Name\nA1,Alpha\nB1,Beta\n", apply());
    e.sync_list(
        SIMPLE,
        "Code,Name\nA1,Alpha\n",
        Options {
            apply: true,
            delete_missing: true,
            strict: false,
        },
    );
    assert!(!e.live("Cost Centers").contains_key("B1"));
    let r = e.sync_list(SIMPLE, "Code,Name\nA1,Alpha\nB1,Beta again\n", apply());
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].code.to_string(), "SYN309");
    assert_eq!(r.findings[0].line, Some(3));
    assert_eq!(r.plan.refused, 1);
    assert_eq!(
        e.sim.requests("list_bulk_create"),
        1,
        "a deleted code is not created again"
    );
    let reactivate = format!("{SIMPLE}on_deleted = 'reactivate'\n");
    let r = e.sync_list(&reactivate, "Code,Name\nA1,Alpha\nB1,Beta again\n", apply());
    assert_eq!(r.count(Status::Reactivated), 1, "{}", r.summary_line());
    assert_eq!(e.live("Cost Centers")["B1"], "Beta again");
}

#[test]
fn a_simulator_without_undelete_refuses_reactivation_and_the_outcome_says_so() {
    let mut e = env_with(MasterDataConfig {
        undelete: false,
        ..MasterDataConfig::default()
    });
    e.sync_list(SIMPLE, "Code,Name\nB1,Beta\n", apply());
    e.sync_list(
        SIMPLE,
        "Code,Name\n",
        Options {
            apply: true,
            delete_missing: true,
            strict: false,
        },
    );
    let reactivate = format!("{SIMPLE}on_deleted = 'reactivate'\n");
    let r = e.sync_list(&reactivate, "Code,Name\nB1,Beta\n", apply());
    assert_eq!(r.count(Status::Failed), 1);
    assert_eq!(r.outcomes[0].code.as_deref(), Some("item.deleted"));
    assert!(
        r.findings
            .iter()
            .any(|f| f.code.to_string() == "SYN311" && f.line == Some(2))
    );
    assert!(r.incomplete());
}

#[test]
fn relative_next_links_are_followed() {
    let mut e = env_with(MasterDataConfig {
        relative_links: true,
        ..MasterDataConfig::default()
    });
    e.sync_list(SIMPLE, &simple_csv(250, None), apply());
    let r = e.sync_list(SIMPLE, &simple_csv(250, None), Options::default());
    assert_eq!(r.plan.unchanged, 250, "{}", r.plan_line());
}

#[test]
fn a_managed_list_of_another_app_refuses_every_part() {
    let mut e = env_with(MasterDataConfig {
        lists: vec![ListSeed {
            name: "Cost Centers".into(),
            levels: 1,
            category: "Normal".into(),
            managed_by: Some("appId:00000000-0000-0000-0000-000000000001".into()),
        }],
        ..MasterDataConfig::default()
    });
    let r = e.sync_list(SIMPLE, "Code,Name\nA1,Alpha\n", apply());
    assert_eq!(r.count(Status::Failed), 1);
    assert!(
        r.outcomes[0]
            .code
            .as_deref()
            .unwrap()
            .starts_with("list.is.managed"),
        "{:?}",
        r.outcomes
    );
}

#[test]
fn the_corrupting_simulator_shows_why_hyphens_are_refused() {
    // A client without the guard: send `A-1` under no parent to a simulator that splits
    // codes on `-` like Concur's warning says it may.
    let e = env_with(MasterDataConfig {
        hyphens: HyphenMode::Corrupt,
        ..MasterDataConfig::default()
    });
    let mut client = e.client;
    let id = e
        .sim
        .masterdata()
        .list("Company Cost Objects")
        .unwrap()
        .id
        .clone();
    let body = serde_json::json!({"requests": [{"shortCode": "A", "value": "A"}, {"shortCode": "B-1", "value": "Hyphen"}]});
    let r = client
        .request_json(
            "POST",
            &format!("/list/v4/lists/{id}/bulk"),
            Some(&body),
            ledgerline_fetch::Replay::Safe,
        )
        .unwrap();
    assert_eq!(r.status, 201);
    let snap = e.sim.masterdata();
    let item = snap
        .list("Company Cost Objects")
        .unwrap()
        .item("B-1")
        .unwrap()
        .clone();
    // Stored at level 2 with short code `1`, under a parent `B` that does not exist.
    assert_eq!(
        (
            item.level,
            item.short_code.as_str(),
            item.parent_code.clone()
        ),
        (2, "1", None)
    );
}

#[test]
fn parquet_input_is_read_like_csv() {
    use polars::prelude::*;
    let mut e = env();
    let mut df = df!("Code" => ["P1", "P2"], "Name" => ["Parquet one", "Parquet two"]).unwrap();
    let path = e.dir.path().join("export.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let m = e.file("map.toml", SIMPLE);
    let mapping = Mapping::load(&m).unwrap();
    let mut api = Api::new(&mut e.client);
    let r = lists::sync(
        &mut api,
        &mut e.ledger,
        "company",
        &mapping,
        &path,
        &apply(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.count(Status::Created), 2);
    assert_eq!(e.live("Cost Centers")["P2"], "Parquet two");
}

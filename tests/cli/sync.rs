//! End to end: `ledgerline sync` against the in-process simulator, the simulator's state
//! read back through its own API.

use ledgerline_simulator::{Fault, FaultKind, RunningSimulator, SimConfig, Simulator};
use std::path::PathBuf;
use std::process::{Command, Output};

struct Env {
    sim: RunningSimulator,
    dir: tempfile::TempDir,
}

fn env() -> Env {
    let sim = Simulator::start(SimConfig::default(), Vec::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = sim.config();
    let d = dir.path().display();
    let toml = format!(
        "base_url = '{}'\nclient_id = '{}'\nclient_secret = '{}'\ncompany_id = '{}'\n\
         token_store = '{d}/tokens.json'\nledger = '{d}/ledger.sqlite'\n\
         backoff_base = '1ms'\nbackoff_max = '5ms'\nmax_attempts = 4\nread_timeout = '5s'\n",
        sim.base_url(),
        c.client_id,
        c.client_secret,
        c.company_id
    );
    std::fs::write(dir.path().join("concur.toml"), toml).unwrap();
    let e = Env { sim, dir };
    let out = e
        .command(&["connect"])
        .env("LEDGERLINE_REQUEST_TOKEN", e.sim.request_token())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    e
}

impl Env {
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ledgerline"));
        cmd.args(args)
            .arg("--config")
            .arg(self.path("concur.toml"))
            .env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("LEDGERLINE_CONFIG")
            .env_remove("LEDGERLINE_TOKEN_STORE")
            .env_remove("LEDGERLINE_CLIENT_SECRET")
            .env_remove("LEDGERLINE_REQUEST_TOKEN");
        cmd
    }

    fn sync(&self, csv: &str, extra: &[&str]) -> Output {
        std::fs::write(self.path("export.csv"), csv).unwrap();
        let input = self.path("export.csv");
        let map = self.path("sync.toml");
        let mut args = vec![
            "sync",
            "lists",
            input.to_str().unwrap(),
            "--map",
            map.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.command(&args).output().unwrap()
    }

    fn live(&self) -> Vec<(String, String)> {
        let snap = self.sim.masterdata();
        snap.list("Cost Centers")
            .unwrap()
            .live()
            .map(|i| (i.code.clone(), i.value.clone()))
            .collect()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `sync init lists`, with the list name and columns a test uses.
fn init(e: &Env) {
    let out = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .args(["sync", "init", "lists"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let starter = text(&out.stdout);
    assert!(starter.contains("[sync.lists]") && starter.contains("list = \"Cost Centers\""));
    std::fs::write(e.path("sync.toml"), starter).unwrap();
}

const CSV: &str = "Code,Name\nCC100,Sales\nCC200,Marketing\nCC300,Finance\n";

#[test]
fn plan_apply_and_a_second_run_that_sends_nothing() {
    let e = env();
    init(&e);
    let plan = e.sync(CSV, &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(
        stdout.starts_with("+ 3 create, ~ 0 update, - 0 deactivate, = 0 unchanged\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  + CC200  Marketing  (line 3)"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("(nothing sent; add --apply to send it)"),
        "{stdout}"
    );
    assert!(e.live().is_empty());

    let applied = e.sync(CSV, &["--apply"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    let last = text(&applied.stdout).lines().last().unwrap().to_owned();
    assert!(
        last.starts_with("applied to lists Cost Centers: 3 created, 0 updated"),
        "{last}"
    );
    assert_eq!(
        e.live(),
        [
            ("CC100", "Sales"),
            ("CC200", "Marketing"),
            ("CC300", "Finance")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let bulk = e.sim.requests("list_bulk_create") + e.sim.requests("list_bulk_update");
    let again = e.sync(CSV, &["--apply"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).starts_with("+ 0 create, ~ 0 update, - 0 deactivate, = 3 unchanged")
    );
    assert_eq!(
        e.sim.requests("list_bulk_create") + e.sim.requests("list_bulk_update"),
        bulk
    );
}

#[test]
fn json_prints_only_json_and_a_bad_row_exits_1_naming_its_line_and_column() {
    let e = env();
    init(&e);
    let out = e.sync("Code,Name\nA1,Alpha\nB-1,Hyphen\n", &["--apply", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["plan"]["create"], 1);
    assert_eq!(v["plan"]["refused"], 1);
    assert_eq!(v["findings"][0]["code"], "SYN303");
    assert_eq!(v["findings"][0]["line"], 3);
    assert_eq!(v["findings"][0]["column"]["number"], 1);
    assert_eq!(v["outcomes"][0]["status"], "created");
    assert_eq!(e.live(), [("A1".to_owned(), "Alpha".to_owned())]);

    let human = e.sync("Code,Name\nA1,Alpha\nB-1,Hyphen\n", &[]);
    assert_eq!(human.status.code(), Some(1));
    let stderr = text(&human.stderr);
    assert!(
        stderr.contains("export.csv:3: error SYN303 [col 1 Code]"),
        "{stderr}"
    );
}

#[test]
fn strict_sends_nothing() {
    let e = env();
    init(&e);
    let out = e.sync(
        "Code,Name\nA1,Alpha\nB-1,Hyphen\n",
        &["--apply", "--strict"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("--strict: nothing sent"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(e.sim.requests("list_bulk_create"), 0);
}

#[test]
fn a_run_that_loses_its_answers_exits_4_and_the_rerun_finishes() {
    let e = env();
    init(&e);
    let mut csv = String::from("Code,Name\n");
    for i in 0..300 {
        csv.push_str(&format!("C{i},Centre {i}\n"));
    }
    e.sim.add_fault(Fault {
        route: "list_bulk_create".into(),
        kind: FaultKind::Drop,
        times: 0,
        skip: 1,
        after: true,
    });
    let out = e.sync(&csv, &["--apply"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("run again to finish"),
        "{}",
        text(&out.stdout)
    );
    e.sim.clear_faults();
    let again = e.sync(&csv, &["--apply"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    assert_eq!(e.live().len(), 300);
}

#[test]
fn delete_missing_needs_the_flag() {
    let e = env();
    init(&e);
    e.sync(CSV, &["--apply"]);
    let kept = e.sync("Code,Name\nCC100,Sales\n", &["--apply"]);
    assert!(
        text(&kept.stdout).contains("2 only in Concur, kept (--delete-missing deactivates them)")
    );
    assert_eq!(e.live().len(), 3);
    let out = e.sync("Code,Name\nCC100,Sales\n", &["--apply", "--delete-missing"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("+ 0 create, ~ 0 update, - 2 deactivate, = 1 unchanged"));
    assert_eq!(e.live(), [("CC100".to_owned(), "Sales".to_owned())]);
}

#[test]
fn init_writes_a_starter_for_every_kind() {
    for (kind, section) in [
        ("vendors", "[sync.vendors]"),
        ("purchase-orders", "[sync.purchase_orders]"),
        ("receipts", "[sync.receipts]"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
            .args(["sync", "init", kind])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{kind}");
        assert!(text(&out.stdout).contains(section), "{kind}");
    }
}

const VENDOR_MAP: &str = "[sync.vendors]\nfields = { VendorCode = 'Vendor', AddressCode = 'Site', VendorName = 'Name', State = 'State', CountryCode = 'Country', CurrencyCode = 'Currency' }\n";
const VENDOR_CSV: &str =
    "Vendor,Site,Name,State,Country,Currency\nV1,MAIN,Acme,IL,US,USD\nV2,MAIN,Globex,,DE,EUR\n";

impl Env {
    fn sync_kind(&self, kind: &str, map: &str, csv: &str, extra: &[&str]) -> Output {
        std::fs::write(self.path("kind.toml"), map).unwrap();
        std::fs::write(self.path("kind.csv"), csv).unwrap();
        let (input, map) = (self.path("kind.csv"), self.path("kind.toml"));
        let mut args = vec![
            "sync",
            kind,
            input.to_str().unwrap(),
            "--map",
            map.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.command(&args).output().unwrap()
    }
}

#[test]
fn vendors_plan_apply_and_a_second_run_that_sends_nothing() {
    let e = env();
    let plan = e.sync_kind("vendors", VENDOR_MAP, VENDOR_CSV, &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(
        stdout.starts_with("+ 2 create, ~ 0 update, - 0 deactivate, = 0 unchanged\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  + V2 / MAIN  Globex  (line 3)"),
        "{stdout}"
    );
    let applied = e.sync_kind("vendors", VENDOR_MAP, VENDOR_CSV, &["--apply"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert!(
        text(&applied.stdout).contains("applied to vendors: 2 created, 0 updated"),
        "{}",
        text(&applied.stdout)
    );
    let snap = e.sim.masterdata();
    assert_eq!(snap.vendors.len(), 2);
    assert_eq!(
        snap.vendor("V2", "MAIN").unwrap().fields["CurrencyCode"],
        "EUR"
    );
    let posts = e.sim.requests("vendors_post");
    let again = e.sync_kind("vendors", VENDOR_MAP, VENDOR_CSV, &["--apply", "--json"]);
    assert_eq!(again.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&again.stdout).expect("stdout is JSON");
    assert_eq!(v["plan"]["unchanged"], 2);
    assert_eq!(e.sim.requests("vendors_post"), posts);
}

#[test]
fn a_second_sync_run_on_the_same_ledger_is_refused() {
    let e = env();
    let held = ledgerline_sync::SyncLock::acquire(&e.path("ledger.sqlite")).unwrap();
    let out = e.sync_kind("vendors", VENDOR_MAP, VENDOR_CSV, &["--apply"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is in use by another sync run (pid "),
        "{stderr}"
    );
    assert_eq!(
        e.sim.requests("vendors_get"),
        0,
        "refused before connecting"
    );
    drop(held);
    let out = e.sync_kind("vendors", VENDOR_MAP, VENDOR_CSV, &["--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn purchase_orders_refuse_delete_missing_and_an_unknown_vendor_exits_1() {
    let e = env();
    let out = Command::new(env!("CARGO_BIN_EXE_ledgerline"))
        .args(["sync", "init", "purchase-orders"])
        .output()
        .unwrap();
    let map = text(&out.stdout);
    let csv = "PurchaseOrderNumber,Name,VendorCode,VendorAddressCode,CurrencyCode,OrderDate,BillToExternalID,BillToAddress1,BillToCity,BillToPostalCode,BillToStateProvince,BillToCountryCode,ShipToExternalID,ShipToAddress1,ShipToCity,ShipToPostalCode,ShipToStateProvince,ShipToCountryCode,ExternalID,LineNumber,Description,Quantity,UnitPrice,ExpenseType\n\
               PO1,Order,V9,MAIN,USD,2026-11-01,HQ,1 Main,Chicago,60601,IL,US,HQ,1 Main,Chicago,60601,IL,US,L1,1,Paper,2,10.00,OFFSUP\n";
    let refused = e.sync_kind("purchase-orders", &map, csv, &["--delete-missing"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("Purchase Order v3 has no delete"));
    let out = e.sync_kind("purchase-orders", &map, csv, &["--apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("kind.csv:2: error SYN313 [col 3 VendorCode]"),
        "{}",
        text(&out.stderr)
    );
    assert!(e.sim.masterdata().purchase_orders.is_empty());
}

//! Vendors, purchase orders and receipts against the simulator on loopback: every check of
//! Concur's state reads the simulator back through its own API
//! (`RunningSimulator::masterdata`), never through the code under test.

use crate::support::{self, Env};

use ledgerline_simulator::FaultKind;
use ledgerline_simulator::masterdata::MasterDataConfig;
use ledgerline_sync::{Api, Mapping, Options, Report, Status, SyncError};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

fn env_with(md: MasterDataConfig) -> Env {
    support::env_with(md, 4)
}

fn env() -> Env {
    env_with(MasterDataConfig::default())
}

#[derive(Clone, Copy)]
enum K {
    Vendors,
    Pos,
    Receipts,
}

impl Env {
    fn try_run(
        &mut self,
        k: K,
        mapping: &str,
        csv: &str,
        opts: Options,
    ) -> Result<Report, SyncError> {
        let m = self.file("map.toml", mapping);
        let input = self.file("export.csv", csv);
        let mapping = Mapping::load(&m).unwrap();
        let mut api = Api::new(&mut self.client);
        let run = match k {
            K::Vendors => ledgerline_sync::vendors::sync,
            K::Pos => ledgerline_sync::purchase_orders::sync,
            K::Receipts => ledgerline_sync::receipts::sync,
        };
        run(
            &mut api,
            &mut self.ledger,
            "company",
            &mapping,
            &input,
            &opts,
            &mut |_| {},
        )
    }

    fn run(&mut self, k: K, mapping: &str, csv: &str, opts: Options) -> Report {
        self.try_run(k, mapping, csv, opts).unwrap()
    }

    /// Vendors in the simulator: key -> (name, city).
    fn vendors(&self) -> BTreeMap<String, (String, String)> {
        self.sim
            .masterdata()
            .vendors
            .iter()
            .map(|v| {
                (
                    format!("{} / {}", v.vendor_code, v.address_code),
                    (
                        v.fields.get("VendorName").cloned().unwrap_or_default(),
                        v.fields.get("City").cloned().unwrap_or_default(),
                    ),
                )
            })
            .collect()
    }

    fn writes(&self, routes: &[&str]) -> u64 {
        routes.iter().map(|r| self.sim.requests(r)).sum()
    }
}

fn apply() -> Options {
    Options {
        apply: true,
        ..Options::default()
    }
}

// ---- vendors -------------------------------------------------------------------------

const VENDORS: &str = "[sync.vendors]\nbatch = 2\nfields = { VendorCode = 'Vendor', AddressCode = 'Site', VendorName = 'Name', City = 'City', State = 'State', CountryCode = 'Country', CurrencyCode = 'Currency' }\n";

fn vendor_csv(n: usize, changed: Option<usize>) -> String {
    let mut s = String::from("Vendor,Site,Name,City,State,Country,Currency\n");
    for i in 0..n {
        let city = if Some(i) == changed {
            "Boston"
        } else {
            "Chicago"
        };
        // Two addresses for vendor 0.
        let (v, site) = if i == 1 { (0, "REMIT") } else { (i, "MAIN") };
        s.push_str(&format!("V{v:04},{site},Vendor {i},{city},IL,US,USD\n"));
    }
    s
}

fn expected_vendors(n: usize, changed: Option<usize>) -> BTreeMap<String, (String, String)> {
    (0..n)
        .map(|i| {
            let (v, site) = if i == 1 { (0, "REMIT") } else { (i, "MAIN") };
            let city = if Some(i) == changed {
                "Boston"
            } else {
                "Chicago"
            };
            (
                format!("V{v:04} / {site}"),
                (format!("Vendor {i}"), city.to_owned()),
            )
        })
        .collect()
}

const VENDOR_WRITES: [&str; 3] = ["vendors_post", "vendors_put", "vendors_delete"];

#[test]
fn vendors_first_sync_creates_everything_the_second_sends_nothing_one_change_one_update() {
    let mut e = env();
    let plan = e.run(
        K::Vendors,
        VENDORS,
        &vendor_csv(5, None),
        Options::default(),
    );
    assert_eq!(
        plan.plan_line(),
        "+ 5 create, ~ 0 update, - 0 deactivate, = 0 unchanged"
    );
    assert!(e.vendors().is_empty(), "a plan sends nothing");
    let r = e.run(K::Vendors, VENDORS, &vendor_csv(5, None), apply());
    assert_eq!(r.count(Status::Created), 5, "{}", r.summary_line());
    assert_eq!(e.sim.requests("vendors_post"), 3, "batches of 2");
    assert_eq!(e.vendors(), expected_vendors(5, None));
    let v = e.sim.masterdata();
    let v = v.vendor("V0000", "REMIT").unwrap();
    assert_eq!(v.fields["CountryCode"], "US");
    assert_eq!(v.fields["CurrencyCode"], "USD");

    let before = e.writes(&VENDOR_WRITES);
    let again = e.run(K::Vendors, VENDORS, &vendor_csv(5, None), apply());
    assert_eq!(
        again.plan_line(),
        "+ 0 create, ~ 0 update, - 0 deactivate, = 5 unchanged"
    );
    assert_eq!(
        e.writes(&VENDOR_WRITES),
        before,
        "the second run sends nothing"
    );

    let one = e.run(K::Vendors, VENDORS, &vendor_csv(5, Some(3)), apply());
    assert_eq!(
        (one.plan.update, one.plan.unchanged),
        (1, 4),
        "{}",
        one.plan_line()
    );
    assert_eq!(one.changes[0].key, "V0003 / MAIN");
    assert_eq!(one.changes[0].detail, "changed: City");
    assert_eq!(one.count(Status::Updated), 1);
    assert_eq!(e.sim.requests("vendors_put"), 1);
    assert_eq!(e.vendors(), expected_vendors(5, Some(3)));
    let rows = ledgerline_sync::record::all(&e.ledger, "company", "vendors", "-").unwrap();
    assert_eq!(rows.len(), 5);
    let row = rows.iter().find(|r| r.key == "V0003 / MAIN").unwrap();
    assert_eq!(row.status, "updated");
    assert_eq!(row.sent_sha256.as_deref().map(str::len), Some(64));
}

#[test]
fn vendors_are_read_page_by_page_and_delete_missing_deletes_only_with_the_flag() {
    let mut e = env_with(MasterDataConfig {
        relative_links: true,
        ..MasterDataConfig::default()
    });
    let map = VENDORS.replace("batch = 2", "batch = 500");
    let r = e.run(K::Vendors, &map, &vendor_csv(2300, None), apply());
    assert_eq!(r.count(Status::Created), 2300);
    assert_eq!(e.sim.requests("vendors_post"), 5);
    let gets = e.sim.requests("vendors_get");
    let again = e.run(
        K::Vendors,
        &map,
        &vendor_csv(2300, None),
        Options::default(),
    );
    assert_eq!(again.plan.unchanged, 2300, "{}", again.plan_line());
    assert_eq!(
        e.sim.requests("vendors_get") - gets,
        3,
        "three pages of at most 1000"
    );

    let kept = e.run(K::Vendors, &map, &vendor_csv(2298, None), apply());
    assert_eq!(kept.plan.only_in_concur, 2, "{}", kept.plan_line());
    assert_eq!(e.vendors().len(), 2300, "kept without --delete-missing");
    let gone = e.run(
        K::Vendors,
        &map,
        &vendor_csv(2298, None),
        Options {
            apply: true,
            delete_missing: true,
            ..Options::default()
        },
    );
    assert_eq!(
        gone.count(Status::Deactivated),
        2,
        "{}",
        gone.summary_line()
    );
    assert_eq!(e.vendors(), expected_vendors(2298, None));
}

#[test]
fn vendor_rows_concur_would_refuse_are_findings_with_line_and_column_and_are_not_sent() {
    let mut e = env();
    let csv = "Vendor,Site,Name,City,State,Country,Currency\n\
               V1,MAIN,Good,Chicago,IL,US,USD\n\
               V2,,No site,Chicago,IL,US,USD\n\
               V3,MAIN,Bad country,Chicago,IL,USA,USD\n\
               V4,MAIN,No currency,Chicago,IL,US,\n\
               V1,MAIN,Twice,Chicago,IL,US,USD\n";
    let r = e.run(K::Vendors, VENDORS, csv, apply());
    let codes: Vec<(String, Option<u64>, Option<String>)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.code.to_string(),
                f.line,
                f.column.as_ref().map(|c| c.name.clone()),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("SYN301".into(), Some(3), Some("Site".into())),
            ("SYN305".into(), Some(4), Some("Country".into())),
            ("SYN301".into(), Some(5), Some("Currency".into())),
            ("SYN302".into(), Some(6), Some("Site".into())),
        ]
    );
    assert!(
        r.findings[2].message.contains("Vendor v3.1 requires it"),
        "{}",
        r.findings[2].message
    );
    assert_eq!(r.plan.refused, 4);
    assert_eq!(
        e.vendors().keys().cloned().collect::<Vec<_>>(),
        ["V1 / MAIN"]
    );

    let mut strict = env();
    let s = strict.run(
        K::Vendors,
        VENDORS,
        csv,
        Options {
            apply: true,
            strict: true,
            ..Options::default()
        },
    );
    assert!(!s.applied);
    assert!(strict.vendors().is_empty(), "--strict sends nothing");
}

#[test]
fn a_refusal_in_the_status_list_of_an_http_200_is_a_failure_of_that_record_only() {
    for failure in ["ERROR", "WARNING"] {
        let mut e = env_with(MasterDataConfig {
            vendor_failure_type: failure.into(),
            ..MasterDataConfig::default()
        });
        // The simulator requires State for US vendors (export control).
        let csv = "Vendor,Site,Name,City,State,Country,Currency\nV1,MAIN,A,Chicago,IL,US,USD\nV2,MAIN,B,Chicago,,US,USD\nV3,MAIN,C,Paris,,FR,EUR\n";
        let r = e.run(K::Vendors, VENDORS, csv, apply());
        assert_eq!(r.count(Status::Created), 2, "{}", r.summary_line());
        let failed: Vec<_> = r
            .outcomes
            .iter()
            .filter(|o| o.status == Status::Failed)
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].key, "V2 / MAIN");
        assert_eq!(failed[0].line, Some(3));
        assert!(
            failed[0].code.as_deref().unwrap().starts_with(failure),
            "{:?}",
            failed[0].code
        );
        assert!(
            failed[0].message.as_deref().unwrap().contains("State"),
            "{:?}",
            failed[0].message
        );
        assert!(r.incomplete());
        assert!(
            r.findings
                .iter()
                .any(|f| f.code.to_string() == "SYN311" && f.line == Some(3))
        );
        assert_eq!(e.vendors().len(), 2);
        let row = ledgerline_sync::record::all(&e.ledger, "company", "vendors", "-")
            .unwrap()
            .into_iter()
            .find(|r| r.key == "V2 / MAIN")
            .unwrap();
        assert_eq!(row.status, "failed");
    }
}

#[test]
fn vendors_a_drop_mid_run_then_a_rerun_gives_no_duplicate_and_loses_nothing() {
    let mut e = env();
    // The first call passes; every later one is handled but its answer never comes.
    e.fault("vendors_post", FaultKind::Drop, 0, 1, true);
    let r = e.run(K::Vendors, VENDORS, &vendor_csv(6, None), apply());
    assert!(r.interrupted.is_some(), "{}", r.summary_line());
    assert_eq!(r.count(Status::Created), 2);
    assert_eq!(r.count(Status::Unknown), 4);
    assert_eq!(e.vendors().len(), 4, "the lost call's vendors exist");
    e.sim.clear_faults();
    let again = e.run(K::Vendors, VENDORS, &vendor_csv(6, None), apply());
    assert_eq!(
        (again.plan.create, again.plan.unchanged),
        (2, 4),
        "{}",
        again.plan_line()
    );
    assert!(!again.incomplete());
    assert_eq!(e.vendors(), expected_vendors(6, None));
    let rows = ledgerline_sync::record::all(&e.ledger, "company", "vendors", "-").unwrap();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.status != "pending"));
}

#[test]
fn vendors_a_lost_answer_replayed_counts_as_created_and_a_429_storm_is_waited_out() {
    let mut e = env();
    e.fault("vendors_post", FaultKind::Drop, 1, 0, true);
    e.fault(
        "vendors_get",
        FaultKind::Status {
            status: 429,
            retry_after: None,
        },
        2,
        0,
        false,
    );
    let r = e.run(K::Vendors, VENDORS, &vendor_csv(2, None), apply());
    assert_eq!(r.count(Status::Created), 2, "{:?}", r.outcomes);
    assert!(r.outcomes.iter().all(|o| {
        o.message
            .as_deref()
            .is_some_and(|m| m.contains("already in Concur as sent"))
    }));
    assert_eq!(r.rate_limited, 2);
    assert_eq!(e.vendors(), expected_vendors(2, None));
}

#[test]
fn a_429_on_the_v3_routes_has_retry_after_zero() {
    let e = env();
    e.fault(
        "vendors_get",
        FaultKind::Status {
            status: 429,
            retry_after: None,
        },
        1,
        0,
        false,
    );
    let resp = ureq::get(&format!("{}/api/v3.1/invoice/vendors", e.sim.base_url())).call();
    let Err(ureq::Error::Status(429, resp)) = resp else {
        panic!("not a 429: {resp:?}")
    };
    assert_eq!(resp.header("retry-after"), Some("0"));
    assert!(resp.into_string().unwrap().starts_with("<Error>"));
}

// ---- purchase orders -----------------------------------------------------------------

const POS: &str = r#"[sync.purchase_orders]
header = { PurchaseOrderNumber = "PO", Name = "PO Name", VendorCode = "Vendor", VendorAddressCode = "Site", CurrencyCode = "Currency", OrderDate = "Date", PolicyExternalID = "=PO" }
bill_to = { ExternalID = "=HQ", Address1 = "=1 Main St", City = "=Chicago", PostalCode = "=60601", StateProvince = "=IL", CountryCode = "=US" }
ship_to = { ExternalID = "=DOCK", Address1 = "=2 Dock Rd", City = "=Chicago", PostalCode = "=60602", StateProvince = "=IL", CountryCode = "=US" }
line = { ExternalID = "Line ID", LineNumber = "Line", Description = "Item", Quantity = "Qty", UnitPrice = "Price", ExpenseType = "Expense Type", AccountCode = "Account", PurchaseOrderReceiptType = "Receipt Type" }
allocation = { Amount = "Alloc", Custom1 = "Cost Center" }
"#;

const PO_HEAD: &str = "PO,PO Name,Vendor,Site,Currency,Date,Line ID,Line,Item,Qty,Price,Expense Type,Account,Receipt Type,Alloc,Cost Center\n";

fn po_csv(n: usize, changed: Option<usize>) -> String {
    let mut s = String::from(PO_HEAD);
    for i in 0..n {
        let qty = if Some(i) == changed { 3 } else { 2 };
        s.push_str(&format!("PO{i:03},Order {i},V1,MAIN,USD,2026-11-0{},L1,1,Paper,{qty},10.00,OFFSUP,,WQTY,15.00,CC1\n", 1 + i % 9));
        s.push_str(&format!(
            "PO{i:03},Order {i},V1,MAIN,USD,2026-11-0{},L2,2,Toner,1,50.00,,6100,NONE,,\n",
            1 + i % 9
        ));
    }
    s
}

fn with_vendor() -> MasterDataConfig {
    let v: Map<String, Value> = json!({"VendorCode": "V1", "AddressCode": "MAIN", "VendorName": "Acme", "CountryCode": "US", "CurrencyCode": "USD", "State": "IL"})
        .as_object()
        .unwrap()
        .clone();
    MasterDataConfig {
        vendors: vec![v],
        ..MasterDataConfig::default()
    }
}

fn line_qty(e: &Env, po: &str, ext: &str) -> String {
    let snap = e.sim.masterdata();
    let po = snap.purchase_order(po).unwrap();
    po["LineItem"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ExternalID"] == ext)
        .unwrap()["Quantity"]
        .as_str()
        .unwrap()
        .to_owned()
}

const PO_WRITES: [&str; 2] = ["po_post", "po_put"];

#[test]
fn purchase_orders_first_creates_second_sends_nothing_one_change_one_update() {
    let mut e = env_with(with_vendor());
    let plan = e.run(K::Pos, POS, &po_csv(3, None), Options::default());
    assert_eq!(
        plan.plan_line(),
        "+ 3 create, ~ 0 update, - 0 deactivate, = 0 unchanged",
        "{:?}",
        plan.findings
    );
    assert_eq!(plan.changes[0].detail, "Order 0, 2 line(s)");
    let r = e.run(K::Pos, POS, &po_csv(3, None), apply());
    assert_eq!(r.count(Status::Created), 3, "{:?}", r.outcomes);
    assert_eq!(e.sim.requests("po_post"), 3, "one PO per call");
    let snap = e.sim.masterdata();
    assert_eq!(snap.purchase_orders.len(), 3);
    let po = snap.purchase_order("PO001").unwrap();
    assert_eq!(po["VendorCode"], "V1");
    assert_eq!(po["BillToAddress"]["ExternalID"], "HQ");
    let lines = po["LineItem"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["Allocation"][0]["Amount"], "15.00");
    assert_eq!(lines[1]["AccountCode"], "6100");

    let before = e.writes(&PO_WRITES);
    let again = e.run(K::Pos, POS, &po_csv(3, None), apply());
    assert_eq!(
        again.plan_line(),
        "+ 0 create, ~ 0 update, - 0 deactivate, = 3 unchanged"
    );
    assert_eq!(e.writes(&PO_WRITES), before);

    let one = e.run(K::Pos, POS, &po_csv(3, Some(2)), apply());
    assert_eq!(
        (one.plan.update, one.plan.unchanged),
        (1, 2),
        "{}",
        one.plan_line()
    );
    assert_eq!(one.changes[0].key, "PO002");
    assert_eq!(one.changes[0].detail, "changed: LineItem");
    assert_eq!(one.count(Status::Updated), 1);
    assert_eq!(e.sim.requests("po_put"), 1, "update-only PUT");
    assert_eq!(line_qty(&e, "PO002", "L1"), "3");
    assert_eq!(line_qty(&e, "PO001", "L1"), "2");

    let refused = e.try_run(
        K::Pos,
        POS,
        &po_csv(3, None),
        Options {
            delete_missing: true,
            ..Options::default()
        },
    );
    assert!(matches!(refused, Err(SyncError::Unsupported(m)) if m.contains("no delete")));
}

#[test]
fn purchase_order_rows_concur_would_refuse_are_findings_and_the_po_is_not_sent() {
    let mut e = env_with(with_vendor());
    let mut csv = String::from(PO_HEAD);
    csv.push_str("PO1,Good,V1,MAIN,USD,2026-11-01,L1,1,Paper,2,10.00,OFFSUP,,NONE,,\n"); // 2
    csv.push_str("PO2,Unknown vendor,V9,MAIN,USD,2026-11-01,L1,1,Paper,2,10.00,OFFSUP,,NONE,,\n"); // 3
    csv.push_str(
        "PO3,Bad amount,V1,MAIN,USD,2026-11-01,L1,1,Paper,2,\"1,000.00\",OFFSUP,,NONE,,\n",
    ); // 4
    csv.push_str("PO4,Both,V1,MAIN,USD,2026-11-01,L1,1,Paper,2,10.00,OFFSUP,6100,NONE,,\n"); // 5
    csv.push_str("PO5,Bad date,V1,MAIN,USD,01/11/2026,L1,1,Paper,2,10.00,OFFSUP,,NONE,,\n"); // 6
    csv.push_str(",No number,V1,MAIN,USD,2026-11-01,L1,1,Paper,2,10.00,OFFSUP,,NONE,,\n"); // 7
    csv.push_str("PO1,Good,V1,MAIN,USD,2026-11-01,L1,1,Again,2,10.00,OFFSUP,,NONE,,\n"); // 8
    csv.push_str("PO6,Zero,V1,MAIN,USD,2026-11-01,L1,1,Paper,0,10.00,OFFSUP,,NONE,,\n"); // 9
    let r = e.run(K::Pos, POS, &csv, apply());
    let mut got: Vec<(String, Option<u64>, Option<String>)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.code.to_string(),
                f.line,
                f.column.as_ref().map(|c| c.name.clone()),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("SYN301".into(), Some(7), Some("PO".into())),
            ("SYN302".into(), Some(8), Some("Line ID".into())),
            ("SYN306".into(), Some(4), Some("Price".into())),
            ("SYN306".into(), Some(6), Some("Date".into())),
            ("SYN313".into(), Some(3), Some("Vendor".into())),
            ("SYN314".into(), Some(5), Some("Expense Type".into())),
            ("SYN314".into(), Some(9), Some("Price".into())),
        ]
    );
    assert_eq!(r.plan.refused, 6, "{}", r.plan_line());
    let snap = e.sim.masterdata();
    let numbers: Vec<&str> = snap
        .purchase_orders
        .iter()
        .map(|p| p["PurchaseOrderNumber"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["PO1"]);
}

#[test]
fn concurs_failure_code_on_http_200_is_recorded_with_the_input_row() {
    let mut md = with_vendor();
    md.po_policies = vec!["USPO".into()];
    let mut e = env_with(md);
    let r = e.run(K::Pos, POS, &po_csv(2, None), apply());
    assert_eq!(r.count(Status::Failed), 2);
    let o = &r.outcomes[1];
    assert_eq!(
        (o.key.as_str(), o.line, o.code.as_deref()),
        ("PO001", Some(4), Some("4000"))
    );
    assert!(
        o.message.as_deref().unwrap().contains("PolicyExternalID"),
        "{:?}",
        o.message
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.code.to_string() == "SYN311" && f.line == Some(4))
    );
    let rows = ledgerline_sync::record::all(&e.ledger, "company", "purchase-orders", "-").unwrap();
    assert!(
        rows.iter()
            .all(|r| r.status == "failed" && r.error_code.as_deref() == Some("4000"))
    );
    assert!(e.sim.masterdata().purchase_orders.is_empty());
}

#[test]
fn purchase_orders_a_drop_mid_run_then_a_rerun_gives_no_duplicate() {
    let mut e = env_with(with_vendor());
    e.fault("po_post", FaultKind::Drop, 0, 1, true);
    let r = e.run(K::Pos, POS, &po_csv(4, None), apply());
    assert!(r.interrupted.is_some());
    assert_eq!(r.count(Status::Created), 1);
    assert_eq!(
        e.sim.masterdata().purchase_orders.len(),
        2,
        "the lost call's PO exists"
    );
    e.sim.clear_faults();
    let again = e.run(K::Pos, POS, &po_csv(4, None), apply());
    assert_eq!(
        (again.plan.create, again.plan.unchanged),
        (2, 2),
        "{}",
        again.plan_line()
    );
    assert_eq!(again.count(Status::Created), 2);
    assert_eq!(e.sim.masterdata().purchase_orders.len(), 4);
    // A lost answer replayed within the run: create-only POST refuses, the PO is there as sent.
    e.fault("po_post", FaultKind::Drop, 1, 0, true);
    let more = e.run(K::Pos, POS, &po_csv(5, None), apply());
    assert_eq!(more.count(Status::Created), 1, "{:?}", more.outcomes);
    assert_eq!(e.sim.masterdata().purchase_orders.len(), 5);
}

// ---- receipts ------------------------------------------------------------------------

const GRN: &str = "[sync.receipts]\nfields = { PurchaseOrderNumber = 'PO', LineItemExternalID = 'Line', GoodsReceiptNumber = 'GRN', ReceivedQuantity = 'Qty', ReceivedDate = 'Date' }\n";
const FLAG: &str = "[sync.receipts]\nmodel = 'received-flag'\nfields = { PurchaseOrderNumber = 'PO', LineItemExternalID = 'Line', IsReceived = 'Received', ReceivedDate = 'Date' }\n";

fn with_pos(e: &mut Env) {
    let r = e.run(K::Pos, POS, &po_csv(2, None), apply());
    assert_eq!(r.count(Status::Created), 2);
}

#[test]
fn goods_receipts_create_then_nothing_then_one_update_and_delete_missing() {
    let mut e = env_with(with_vendor());
    with_pos(&mut e);
    let csv = "PO,Line,GRN,Qty,Date\nPO000,L1,GR1,1,2026-11-10\nPO000,L1,GR2,1,2026-11-11\nPO001,L2,GR3,1,2026-11-12\n";
    let r = e.run(K::Receipts, GRN, csv, apply());
    assert_eq!(
        r.count(Status::Created),
        3,
        "{:?} {:?}",
        r.outcomes,
        r.findings
    );
    let snap = e.sim.masterdata();
    assert_eq!(snap.receipts.len(), 3);
    assert_eq!(snap.receipts[0]["Version"], "2.0");
    let writes = ["receipts_post", "receipts_put", "receipts_delete"];
    let before = e.writes(&writes);
    let again = e.run(K::Receipts, GRN, csv, apply());
    assert_eq!(
        again.plan_line(),
        "+ 0 create, ~ 0 update, - 0 deactivate, = 3 unchanged"
    );
    assert_eq!(e.writes(&writes), before);
    let changed = csv.replace("GR2,1,", "GR2,4,");
    let one = e.run(K::Receipts, GRN, &changed, apply());
    assert_eq!(
        (one.plan.update, one.plan.unchanged),
        (1, 2),
        "{}",
        one.plan_line()
    );
    assert_eq!(e.sim.requests("receipts_put"), 1);
    let fewer: String = changed.lines().take(3).map(|l| format!("{l}\n")).collect();
    let gone = e.run(
        K::Receipts,
        GRN,
        &fewer,
        Options {
            apply: true,
            delete_missing: true,
            ..Options::default()
        },
    );
    assert_eq!(
        gone.count(Status::Deactivated),
        1,
        "{}",
        gone.summary_line()
    );
    let snap = e.sim.masterdata();
    let held: Vec<(String, String)> = snap
        .receipts
        .iter()
        .map(|r| {
            (
                r["GoodsReceiptNumber"].as_str().unwrap().to_owned(),
                r["ReceivedQuantity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [("GR1".into(), "1".into()), ("GR2".into(), "4".into())],
        "state equals the export"
    );
}

#[test]
fn receipts_for_unknown_lines_or_without_a_required_quantity_are_findings() {
    let mut e = env_with(with_vendor());
    with_pos(&mut e);
    let csv = "PO,Line,GRN,Qty,Date\nPO000,L9,GR1,1,2026-11-10\nPO404,L1,GR2,1,2026-11-10\nPO000,L1,GR3,,2026-11-10\nPO000,L2,GR4,x,2026-11-10\nPO000,L2,GR5,1,2026-11-10\n";
    let r = e.run(K::Receipts, GRN, csv, apply());
    let got: Vec<(String, Option<u64>)> = r
        .findings
        .iter()
        .map(|f| (f.code.to_string(), f.line))
        .collect();
    assert_eq!(
        got,
        [
            ("SYN306".into(), Some(5)),
            ("SYN315".into(), Some(2)),
            ("SYN315".into(), Some(3)),
            ("SYN301".into(), Some(4)),
        ]
    );
    assert_eq!(r.count(Status::Created), 1);
    assert_eq!(e.sim.masterdata().receipts.len(), 1);
}

#[test]
fn the_received_flag_is_put_on_the_po_line_and_a_rerun_sends_nothing() {
    let mut e = env_with(with_vendor());
    with_pos(&mut e);
    let csv = "PO,Line,Received,Date\nPO000,L2,y,2026-11-10\nPO001,L2,N,\n";
    let r = e.run(K::Receipts, FLAG, csv, apply());
    assert_eq!(r.count(Status::Created), 2, "{:?}", r.outcomes);
    assert_eq!(e.sim.requests("receipts_put"), 2);
    let snap = e.sim.masterdata();
    let line = &snap.purchase_order("PO000").unwrap()["LineItem"][1];
    assert_eq!(
        (line["ExternalID"].as_str(), line["IsReceived"].as_str()),
        (Some("L2"), Some("Y"))
    );
    let again = e.run(K::Receipts, FLAG, csv, apply());
    assert_eq!(again.plan.unchanged, 2, "{}", again.plan_line());
    assert_eq!(e.sim.requests("receipts_put"), 2);
    let flipped = csv.replace("PO001,L2,N", "PO001,L2,Y");
    let one = e.run(K::Receipts, FLAG, &flipped, apply());
    assert_eq!(
        (one.plan.update, one.plan.unchanged),
        (1, 1),
        "{}",
        one.plan_line()
    );
    let refused = e.try_run(
        K::Receipts,
        FLAG,
        csv,
        Options {
            delete_missing: true,
            ..Options::default()
        },
    );
    assert!(matches!(refused, Err(SyncError::Unsupported(_))));
}

// ---- the simulator's contract, over HTTP with the real client --------------------------

fn call(e: &mut Env, method: &str, path: &str, body: Option<Value>) -> (u16, Value, String) {
    let mut api = Api::new(&mut e.client);
    let r = api
        .call(
            method,
            path,
            body.as_ref(),
            ledgerline_fetch::Replay::Unsafe,
        )
        .unwrap();
    (r.status, r.json(), r.body)
}

fn po(f: impl FnOnce(&mut Value)) -> Value {
    let addr = json!({"ExternalID": "HQ", "Address1": "1 Main", "City": "Chicago", "PostalCode": "60601", "StateProvince": "IL", "CountryCode": "US"});
    let mut v = json!({
        "PurchaseOrderNumber": "P1", "Name": "Order", "VendorCode": "V1", "VendorAddressCode": "MAIN",
        "CurrencyCode": "USD", "OrderDate": "2026-11-01", "PolicyExternalID": "PO",
        "BillToAddress": addr, "ShipToAddress": addr,
        "LineItem": [{"ExternalID": "L1", "LineNumber": "1", "Quantity": "2", "UnitPrice": "10", "ExpenseType": "OFFSUP",
                      "PurchaseOrderReceiptType": "WQTY", "Allocation": [{"Amount": "5"}]}],
    });
    f(&mut v);
    v
}

#[test]
fn the_simulator_answers_the_documented_purchase_order_and_receipt_codes() {
    let mut e = env_with(with_vendor());
    let cases: Vec<(&str, Value)> = vec![
        ("2000", po(|v| v["VendorCode"] = json!("V9"))),
        ("3000", po(|v| v["CurrencyCode"] = json!("usd"))),
        ("4000", po(|v| v["PolicyExternalID"] = json!("XX"))),
        ("5000", po(|v| v["LineItem"] = json!([]))),
        (
            "5001",
            po(|v| v["LineItem"][0]["AccountCode"] = json!("6100")),
        ),
        ("5004", po(|v| v["LineItem"][0]["Tax"] = json!("-1"))),
        ("5007", po(|v| v["LineItem"][0]["Quantity"] = json!("0"))),
        (
            "5501",
            po(|v| v["LineItem"][0]["Allocation"][0]["Amount"] = json!("25")),
        ),
        (
            "5502",
            po(|v| v["LineItem"][0]["Allocation"][0]["Amount"] = json!("-5")),
        ),
        (
            "5503",
            po(|v| v["LineItem"][0]["Allocation"][0]["Amount"] = json!("0")),
        ),
        (
            "5600",
            po(|v| {
                let l = v["LineItem"][0].clone();
                v["LineItem"].as_array_mut().unwrap().push(l);
            }),
        ),
        (
            "6000",
            po(|v| {
                v.as_object_mut().unwrap().remove("ShipToAddress");
            }),
        ),
        ("6001", po(|v| v["BillToAddress"]["City"] = json!(""))),
        ("8000", po(|v| v["Name"] = json!(""))),
        ("8002", po(|v| v["OrderDate"] = json!("11/01/2026"))),
        (
            "8005",
            po(|v| v["ShipToAddress"]["CountryCode"] = json!("USA")),
        ),
    ];
    for (code, body) in cases {
        let (status, v, _) = call(
            &mut e,
            "POST",
            "/api/v3.0/invoice/purchaseorders",
            Some(body),
        );
        assert_eq!(
            (status, v["Status"].as_str(), v["ErrorCode"].as_str()),
            (200, Some("FAILURE"), Some(code)),
            "{v}"
        );
    }
    let (_, v, _) = call(
        &mut e,
        "POST",
        "/api/v3.0/invoice/purchaseorders",
        Some(json!([po(|_| {}), po(|_| {})])),
    );
    assert!(
        v["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("Batch processing is not available")
    );
    let (_, v, _) = call(
        &mut e,
        "PUT",
        "/api/v3.0/invoice/purchaseorders",
        Some(po(|_| {})),
    );
    assert_eq!(
        v["ErrorMessage"],
        "Purchase Order Cannot be updated as it does not exist in system"
    );
    let (status, _, body) = call(&mut e, "GET", "/api/v3.0/invoice/purchaseorders/P1", None);
    assert_eq!(status, 404);
    assert!(body.starts_with("<Error><Message>"), "{body}");
    let (_, v, _) = call(
        &mut e,
        "POST",
        "/api/v3.0/invoice/purchaseorders",
        Some(po(|_| {})),
    );
    assert_eq!(v["Status"], "SUCCESS");
    let (_, v, _) = call(
        &mut e,
        "POST",
        "/api/v3.0/invoice/purchaseorders",
        Some(po(|_| {})),
    );
    assert_eq!(
        v["ErrorMessage"],
        "Purchase Order Cannot be created as it does exist in system"
    );

    let grn = |f: &dyn Fn(&mut Value)| {
        let mut v = json!({"PurchaseOrderNumber": "P1", "LineItemExternalID": "L1", "GoodsReceiptNumber": "G1",
                           "ReceivedQuantity": "1", "ReceivedDate": "2026-11-02", "Version": "2.0"});
        f(&mut v);
        v
    };
    let receipts = "/api/v3.0/invoice/purchaseorderreceipts";
    let cases: Vec<(&str, Value)> = vec![
        ("1000", grn(&|v| v["PurchaseOrderNumber"] = json!("P9"))),
        ("1001", grn(&|v| v["LineItemExternalID"] = json!("L9"))),
        ("1003", grn(&|v| v["ReceivedQuantity"] = json!("one"))),
        ("1004", grn(&|v| v["ReceivedDate"] = json!("2026/11/02"))),
        (
            "1005",
            grn(&|v| v["UnitOfMeasureCode"] = json!("VERYLONGUOM")),
        ),
        ("1006", grn(&|v| v["ReceivedQuantity"] = json!(""))),
    ];
    for (code, body) in cases {
        let (_, v, _) = call(&mut e, "POST", receipts, Some(body));
        assert_eq!(
            (v["Status"].as_str(), v["ErrorCode"].as_str()),
            (Some("FAILURE"), Some(code)),
            "{v}"
        );
    }
    let (_, v, _) = call(
        &mut e,
        "PUT",
        receipts,
        Some(
            json!({"PurchaseOrderNumber": "P1", "LineItemExternalID": "L1", "IsReceived": "Q", "ReceivedQuantity": "1"}),
        ),
    );
    assert_eq!(v["ErrorCode"], "1002");
    let (_, v, _) = call(&mut e, "POST", receipts, Some(grn(&|_| {})));
    assert_eq!(v["Status"], "SUCCESS");
    let (status, _, _) = call(
        &mut e,
        "GET",
        &format!("{receipts}?purchaseOrderNumber=P1"),
        None,
    );
    assert_eq!(status, 400, "both keys are required");
    let (_, v, _) = call(
        &mut e,
        "GET",
        &format!("{receipts}?purchaseOrderNumber=P1&goodsReceiptNumber=G1"),
        None,
    );
    assert_eq!(v["TotalCount"], 1);
    // A closed PO refuses receipts.
    let (_, v, _) = call(
        &mut e,
        "PUT",
        "/api/v3.0/invoice/purchaseorders",
        Some(po(|v| v["Status"] = json!("Closed"))),
    );
    assert_eq!(v["Status"], "SUCCESS");
    let (_, v, _) = call(
        &mut e,
        "POST",
        receipts,
        Some(grn(&|v| v["GoodsReceiptNumber"] = json!("G2"))),
    );
    assert_eq!(v["ErrorMessage"], "The purchase order is closed.");
}

#[test]
fn the_simulator_vendor_routes_limit_paths_and_matched_receipts() {
    let mut md = with_vendor();
    md.matched_receipts = vec!["G1".into()];
    let mut e = env_with(md);
    let (status, v, _) = call(&mut e, "GET", "/api/v3.1/invoice/vendors?limit=1001", None);
    assert_eq!(status, 400, "{v}");
    let (status, _, body) = call(&mut e, "GET", "/api/v3.0/invoice/vendors", None);
    assert_eq!(status, 410);
    assert!(body.contains("decommissioned"));
    let (status, _, _) = call(
        &mut e,
        "DELETE",
        "/api/v3.1/invoice/vendors?vendorCode=V1",
        None,
    );
    assert_eq!(status, 400, "both keys are required");
    let (status, v, _) = call(
        &mut e,
        "GET",
        "/api/v3.1/invoice/vendors?vendorCode=V&searchType=begins",
        None,
    );
    assert_eq!((status, v["TotalCount"].as_u64()), (200, Some(1)));
    let (_, v, _) = call(
        &mut e,
        "POST",
        "/api/v3.0/invoice/purchaseorders",
        Some(po(|_| {})),
    );
    assert_eq!(v["Status"], "SUCCESS");
    let receipts = "/api/v3.0/invoice/purchaseorderreceipts";
    let (_, v, _) = call(
        &mut e,
        "POST",
        receipts,
        Some(
            json!({"PurchaseOrderNumber": "P1", "LineItemExternalID": "L1", "GoodsReceiptNumber": "G1", "ReceivedQuantity": "1"}),
        ),
    );
    assert_eq!(v["Status"], "SUCCESS");
    let (_, v, _) = call(
        &mut e,
        "DELETE",
        &format!("{receipts}?purchaseOrderNumber=P1&goodsReceiptNumber=G1"),
        None,
    );
    assert!(
        v["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("matched to a payment request"),
        "{v}"
    );
    assert_eq!(e.sim.masterdata().receipts.len(), 1);
}

//! The speed check of issue 14: plan a 100,000-item list against the simulator.
//!
//! `cargo run --release -p ledgerline-sync --example plan_speed -- 100000` seeds the list
//! through the sync itself (`--apply`), then times a plan of the same export (reading
//! every page of the list and diffing), and prints the peak resident memory of the
//! process, simulator included (an upper bound for the client's own).
//!
//! Measured on the 2-core development machine, debug build with the hot crates at
//! opt-level 3 (the command is in docs/sync.md, "Speed"): 1.79 s for the plan of 100,000
//! items (1,002 requests), 183 MB peak resident memory for client and simulator together.

use ledgerline_fetch::{
    Client, ClientCredentials, ClientOptions, ConnectRequest, HttpOptions, Secret, TokenStore,
};
use ledgerline_ledger::Ledger;
use ledgerline_simulator::{SimConfig, Simulator};
use ledgerline_sync::{Api, Mapping, Options, lists};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let sim = Simulator::start(SimConfig::default(), Vec::new())?;
    let dir = tempfile::tempdir()?;
    let c = sim.config().clone();
    let credentials = ClientCredentials {
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
    };
    let store = TokenStore::new(dir.path().join("tokens.json"));
    ledgerline_fetch::connect(
        &ConnectRequest {
            base_url: sim.base_url().to_owned(),
            client: credentials.clone(),
            company_id: c.company_id.clone(),
            request_token: Secret(sim.request_token()),
        },
        &store,
        HttpOptions::default(),
        None,
    )?;
    let mut client = Client::open(store, credentials, ClientOptions::default(), None)?;
    let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite"))?;
    let mut csv = String::from("Code,Name\n");
    for i in 0..n {
        csv.push_str(&format!("CC{i:07},Cost centre {i}\n"));
    }
    let input = dir.path().join("export.csv");
    std::fs::write(&input, csv)?;
    let map = dir.path().join("sync.toml");
    std::fs::write(&map, "[sync.lists]\nlist = 'Cost Centers'\n")?;
    let mapping = Mapping::load(&map)?;
    let mut api = Api::new(&mut client);
    let t = Instant::now();
    let opts = Options {
        apply: true,
        ..Options::default()
    };
    let seeded = lists::sync(
        &mut api,
        &mut ledger,
        "c",
        &mapping,
        &input,
        &opts,
        &mut |_| {},
    )?;
    println!(
        "seed ({} items, {} bulk calls): {:.2} s",
        seeded.plan.create,
        sim.requests("list_bulk_create"),
        t.elapsed().as_secs_f64()
    );
    let mut api = Api::new(&mut client);
    let t = Instant::now();
    let plan = lists::sync(
        &mut api,
        &mut ledger,
        "c",
        &mapping,
        &input,
        &Options::default(),
        &mut |_| {},
    )?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "plan of {n} items: {:.2} s ({} requests): {}",
        secs,
        plan.requests,
        plan.plan_line()
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(l) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "peak resident memory (client and simulator): {}",
            l[6..].trim()
        );
    }
    Ok(())
}

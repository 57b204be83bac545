//! What the sync tests share: a simulator on loopback, a company connected to it, the
//! client and the run ledger in a temporary directory.

use ledgerline_fetch::{
    Client, ClientCredentials, ClientOptions, ConnectRequest, HttpOptions, Secret, TokenStore,
};
use ledgerline_ledger::Ledger;
use ledgerline_simulator::masterdata::MasterDataConfig;
use ledgerline_simulator::{Fault, FaultKind, RunningSimulator, SimConfig, Simulator};
use std::path::PathBuf;
use std::time::Duration;

/// A simulator and a connected client.
pub struct Env {
    pub sim: RunningSimulator,
    pub dir: tempfile::TempDir,
    pub client: Client,
    pub ledger: Ledger,
}

/// A simulator with `md` and a client retrying up to `max_attempts` times.
pub fn env_with(md: MasterDataConfig, max_attempts: u32) -> Env {
    let sim = Simulator::start(
        SimConfig {
            masterdata: md,
            ..SimConfig::default()
        },
        Vec::new(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = sim.config().clone();
    let credentials = ClientCredentials {
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
    };
    let store = TokenStore::new(dir.path().join("tokens.json"));
    let http = HttpOptions {
        max_attempts,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        read_timeout: Duration::from_secs(5),
        ..HttpOptions::default()
    };
    ledgerline_fetch::connect(
        &ConnectRequest {
            base_url: sim.base_url().to_owned(),
            client: credentials.clone(),
            company_id: c.company_id.clone(),
            request_token: Secret(sim.request_token()),
        },
        &store,
        http.clone(),
        None,
    )
    .unwrap();
    let client = Client::open(
        store,
        credentials,
        ClientOptions {
            http,
            ..ClientOptions::default()
        },
        None,
    )
    .unwrap();
    let ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
    Env {
        sim,
        dir,
        client,
        ledger,
    }
}

impl Env {
    /// Writes `text` to `name` in the test's directory.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Arms a fault on the simulator's route `route`.
    pub fn fault(&self, route: &str, kind: FaultKind, times: u32, skip: u32, after: bool) {
        self.sim.add_fault(Fault {
            route: route.into(),
            kind,
            times,
            skip,
            after,
        });
    }
}

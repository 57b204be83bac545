//! # ledgerline-simulator
//!
//! A local SAP Concur API on loopback, for tests and demos: real HTTP (axum on tokio) with
//! the routes `ledgerline fetch` uses.
//!
//! * `POST /oauth2/v0/token`: `password` with `credtype=authtoken` (company UUID + request
//!   token), `refresh_token` (rotating), `client_credentials`; expiring access and refresh
//!   tokens; Concur-style errors (`invalid_grant` code 108 ...); `DELETE
//!   /app-mgmt/v0/connections` revokes;
//! * `GET /profile/v1/me`: the company profile with its edition (`marketingName`);
//! * Extract v1.0: definitions, the last 100 jobs, `POST` a job (201 + Location, 409 while
//!   one is queued or running), status Queued -> Running -> Completed/Failed on a
//!   configurable clock, the file as `text/csv` or `application/zip`; XML, or JSON with
//!   `Accept: application/json`;
//! * Payment Batch v1.1: batch lists, close (an empty batch answers 500), the file; the
//!   asynchronous v1.2 close, listed as CLOSED after a configurable delay, its answer's
//!   undocumented shape an option ([`BatchV12Config`]);
//! * the App Center's Quick Connect redirect ([`appcenter`]): `/_admin/app-center/connect`
//!   gives the partner's Connect URI with `id`, a fresh `requestToken` and `userId`; request
//!   tokens expire and are spent by their first successful exchange;
//! * Expense Entry v1.1: entries posted to `.../report/{id}/entry` appear as journal lines
//!   in the next Expense extract job;
//! * Financial Integration Service v4 ([`fis`]): document queues per type, acknowledgement,
//!   posting and payment confirmations with Concur's service codes, recall, re-queue;
//! * faults per route from a [`Scenario`] or `POST /_admin/faults`: status codes (500, 429
//!   with or without `Retry-After` ...), slow answers, truncated bodies, dropped
//!   connections, expired and revoked tokens, failed jobs.
//!
//! ```
//! use ledgerline_simulator::{Fault, FaultKind, SimConfig, Simulator};
//!
//! let sim = Simulator::start(SimConfig::default(), Vec::new()).unwrap();
//! assert!(sim.base_url().starts_with("http://127.0.0.1:"));
//! sim.add_fault(Fault {
//!     route: "job_file".into(),
//!     kind: FaultKind::Status { status: 500, retry_after: None },
//!     times: 1,
//!     skip: 0,
//!     after: false,
//! });
//! let token = sim.request_token();
//! assert!(!token.is_empty());
//! sim.stop();
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod appcenter;
mod batch_v12;
mod clock;
pub mod config;
mod files;
pub mod fis;
pub mod masterdata;
mod routes;
mod server;
mod state;

pub use config::{
    BatchConfig, BatchV12Config, DefinitionConfig, DefinitionKind, Fault, FaultKind, JobClock,
    Scenario, SimConfig, V12Response,
};
pub use fis::{FisConfig, FisDoc};

use state::{Shared, SharedRef};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding or serving failed.
    #[error("simulator: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The address is not on loopback (the simulator is a local tool).
    #[error("simulator: {0} is not a loopback address; use 127.0.0.1 or [::1]")]
    NotLoopback(String),
    /// A scenario file is invalid.
    #[error("simulator scenario: {0}")]
    Scenario(String),
}

/// Starts simulators.
#[derive(Debug, Clone, Copy)]
pub struct Simulator;

impl Simulator {
    /// Starts a simulator on `config.addr` (use port 0 for a free port) in a background
    /// thread with its own runtime, with `faults` armed.
    pub fn start(config: SimConfig, faults: Vec<Fault>) -> Result<RunningSimulator, Error> {
        let addr: SocketAddr = config
            .addr
            .parse()
            .map_err(|_| Error::NotLoopback(config.addr.clone()))?;
        if !addr.ip().is_loopback() {
            return Err(Error::NotLoopback(config.addr.clone()));
        }
        let addr_text = config.addr.clone();
        let bind = |source| Error::Bind {
            addr: addr_text.clone(),
            source,
        };
        let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let base_url = format!("http://{local}");
        let shared: SharedRef = Arc::new(Shared::new(config, base_url.clone(), faults));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(bind)?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(bind)?
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ledgerline-simulator".into())
            .spawn(move || {
                runtime.block_on(server::serve(listener, state, rx));
            })
            .map_err(bind)?;
        Ok(RunningSimulator {
            addr: local,
            base_url,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Parses a scenario file (JSON: `{"config": {...}, "faults": [...]}`).
    pub fn scenario(json: &str) -> Result<Scenario, Error> {
        serde_json::from_str(json).map_err(|e| Error::Scenario(e.to_string()))
    }
}

/// A running simulator. Dropping it stops it.
pub struct RunningSimulator {
    addr: SocketAddr,
    base_url: String,
    shared: SharedRef,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the token host and the geolocation it hands out.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The configuration in use.
    pub fn config(&self) -> &SimConfig {
        &self.shared.cfg
    }

    /// A fresh company request token (valid for `request_token_ttl_ms`).
    pub fn request_token(&self) -> String {
        self.shared.new_request_token()
    }

    /// A currently valid request token (the configured or start-up one, or a new one).
    pub fn current_request_token(&self) -> String {
        self.shared
            .any_request_token()
            .unwrap_or_else(|| self.shared.new_request_token())
    }

    /// Arms a fault.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.add_fault(fault);
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Requests seen per route name.
    pub fn stats(&self) -> BTreeMap<String, u64> {
        self.shared.stats()
    }

    /// Requests seen on one route.
    pub fn requests(&self, route: &str) -> u64 {
        self.stats().get(route).copied().unwrap_or(0)
    }

    /// Revokes every connection (as an admin "Disconnect" would).
    pub fn revoke_all(&self) {
        self.shared.revoke_all();
    }

    /// Makes every access token issued so far expire now.
    pub fn expire_access_tokens(&self) {
        self.shared.expire_all_access();
    }

    /// Posts a job for the definition with this key, as another client would; `None` while
    /// one is queued or running.
    pub fn start_job(&self, definition_key: &str) -> Option<String> {
        let i = self.shared.definition_index(definition_key)?;
        self.shared.post_job(i).ok()
    }

    /// The master data (lists, vendors, purchase orders, receipts) as the simulator holds it.
    pub fn masterdata(&self) -> masterdata::Snapshot {
        masterdata::snapshot(&self.shared)
    }

    /// Entries posted and not yet taken by an extract job.
    pub fn pending_entries(&self) -> usize {
        self.shared.pending_entries()
    }

    /// Blocks until the server thread ends (it runs until [`RunningSimulator::stop`] or the
    /// process ends).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

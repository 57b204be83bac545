//! # ledgerline-fetch
//!
//! A blocking SAP Concur client for accounting files:
//!
//! * OAuth2 company tokens ([`connect`]: `password` grant with `credtype=authtoken`),
//!   refresh with rotating refresh tokens, revocation, and a private [`store::TokenStore`]
//!   that keeps one connection per company, each with the geolocation its later calls go
//!   to ([`Client::open_company`] picks one);
//! * the edition from the company profile ([`edition`]);
//! * Extract API v1.0 for Professional ([`extract`]): definitions, jobs, 409 handling,
//!   status polling, the job file;
//! * Payment Batch API for Standard ([`batch`]): list, close (the asynchronous v1.2 close,
//!   the list watched until CLOSED, v1.1 on the closed batch for its file; or v1.1 only),
//!   the batch file;
//! * Expense Entry v1.1 look-ups ([`entry`]; deprecated by Concur, Expenses v4 replaces it);
//! * Financial Integration Service v4 ([`fis`]): documents per type, paged, each page
//!   acknowledged as soon as it is stored; posting and payment confirmations;
//! * streaming downloads checked against Content-Length and zip CRCs, SHA-256 hashed and
//!   renamed into place ([`download`]);
//! * records in the SQLite run ledger (`ledgerline_ledger::Ledger`, component `fetch`) so
//!   reruns fetch only what is new;
//! * advisory [`lock`]s: one run at a time per output folder and per ledger
//!   ([`FetchLock`]), one token refresh at a time per token store.
//!
//! Every call retries connection errors, 5xx and 429 with exponential backoff and jitter
//! (honouring `Retry-After`), bounded; a 401 refreshes the token once and retries. Tokens
//! and secrets never reach `Debug` output or the request log.
//!
//! ```no_run
//! use ledgerline_fetch::{
//!     Client, ClientCredentials, ClientOptions, FetchLock, FetchPlan, TokenStore,
//! };
//! use ledgerline_ledger::Ledger;
//!
//! # fn main() -> Result<(), ledgerline_fetch::Error> {
//! let credentials = ClientCredentials {
//!     client_id: "my-app".into(),
//!     client_secret: std::env::var("LEDGERLINE_CLIENT_SECRET").unwrap_or_default(),
//! };
//! let ledger_path = std::path::Path::new("/home/me/.local/share/ledgerline/ledger.sqlite");
//! // One run at a time per output folder and per ledger: a second one is refused here.
//! let _lock = FetchLock::acquire("incoming".as_ref(), ledger_path)?;
//! let store = TokenStore::new("/home/me/.config/ledgerline/tokens.json");
//! // The store holds one connection per company (`ledgerline connect --company ...`).
//! let company = Some("59c5bfd1-1803-4ca8-b43a-df083a5c60f9");
//! let mut client =
//!     Client::open_company(store, company, credentials, ClientOptions::default(), None)?;
//! let mut ledger = Ledger::open(ledger_path)?;
//! let plan = FetchPlan { out_dir: "incoming".into(), run: true, ..FetchPlan::default() };
//! let report = client.fetch(&plan, &mut ledger, &mut |event| eprintln!("{event:?}"))?;
//! for file in &report.fetched {
//!     println!("{} sha256:{}", file.path.display(), file.sha256);
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod batch;
pub mod client;
pub mod config;
pub mod download;
pub mod edition;
pub mod entry;
pub mod error;
pub mod extract;
pub mod fis;
pub(crate) mod http;
pub mod lock;
pub mod run;
pub mod store;
pub mod time;

pub use api::{ApiResponse, Replay};
pub use auth::{AuthScheme, ClientCredentials, ConnectRequest, Secret};
pub use client::{Client, ClientOptions, connect};
pub use edition::Edition;
pub use error::{BodyError, DownloadProblem, Error, Result, StoreProblem, ZipProblem};
pub use http::{HttpOptions, Logger};
pub use lock::FetchLock;
pub use run::{EditionChoice, Event, FetchPlan, FetchReport};
pub use store::TokenStore;

//! The fetch configuration file (TOML, read by the `ledgerline` binary). Every key is
//! optional; command-line flags win over the file.

use crate::auth::AuthScheme;
use crate::extract::Format;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The `[concur]` settings. Durations are strings such as `"30s"`, `"500ms"`, `"1h"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Host of the first token exchange (`connect`); later calls use the stored geolocation.
    pub base_url: Option<String>,
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret (prefer the `LEDGERLINE_CLIENT_SECRET` environment variable).
    pub client_secret: Option<String>,
    /// Company UUID for `connect`.
    pub company_id: Option<String>,
    /// Token store file.
    pub token_store: Option<PathBuf>,
    /// Output directory.
    pub out: Option<PathBuf>,
    /// Run ledger file.
    pub ledger: Option<PathBuf>,
    /// `auto`, `professional` or `standard`.
    pub edition: Option<String>,
    /// Extract definitions by name or id.
    pub definitions: Option<Vec<String>>,
    /// `Bearer` or `OAuth`.
    pub auth_scheme: Option<AuthScheme>,
    /// `xml` or `json`.
    pub extract_format: Option<Format>,
    /// Treat 403 like 401 (refresh once, retry).
    pub refresh_on_403: Option<bool>,
    /// Refresh when the access token has less than this left.
    pub refresh_skew: Option<String>,
    /// Time between job status polls.
    pub poll_interval: Option<String>,
    /// Longest wait for a job.
    pub timeout: Option<String>,
    /// Minimum time between two jobs of one definition.
    pub min_run_interval: Option<String>,
    /// Attempts per request.
    pub max_attempts: Option<u32>,
    /// First backoff delay.
    pub backoff_base: Option<String>,
    /// Longest backoff delay and longest `Retry-After` honoured.
    pub backoff_max: Option<String>,
    /// Connect timeout.
    pub connect_timeout: Option<String>,
    /// Read timeout.
    pub read_timeout: Option<String>,
    /// Text of Concur's "empty batch" 500 answer.
    pub empty_batch_marker: Option<String>,
}

/// Parses an optional duration setting, naming the key in the error.
pub fn duration(key: &str, value: Option<&str>) -> crate::Result<Option<Duration>> {
    value
        .map(|v| {
            crate::time::parse_duration(v).map_err(|e| crate::Error::Config(format!("{key}: {e}")))
        })
        .transpose()
}

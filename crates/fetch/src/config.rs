//! The fetch configuration file (TOML, read by the `ledgerline` binary), and the rule for
//! settings given twice. Every key is optional, and a command-line flag wins over the file,
//! except for the two that decide *which* company and host a run talks to: `company_id` and
//! `base_url`. When a flag, an environment variable or the stored connection disagrees with
//! the file on one of those, the run is refused with both values and where each came from
//! ([`agree`]), because a silent winner could fetch one company's files into another's folder.

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
    /// A stored connection made at another host is refused, as is `connect --base-url` with
    /// another one.
    pub base_url: Option<String>,
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret (prefer the `LEDGERLINE_CLIENT_SECRET` environment variable).
    pub client_secret: Option<String>,
    /// The company (UUID) this file is for: the connection `connect` makes and the one `fetch`
    /// uses. `--company` with another one is refused; leave it out to choose with `--company`.
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
    /// How payment batches are closed: `v1.2` (asynchronous close, then the list is watched
    /// until the batch is CLOSED and the v1.1 close on the closed batch gives `File-Url`;
    /// the default) or `v1.1` (the synchronous close only).
    pub batch_close: Option<crate::batch::CloseApi>,
    /// Longest wait for a v1.2 close to show the batch CLOSED.
    pub batch_close_timeout: Option<String>,
    /// Time between two reads of the batch list while a v1.2 close runs.
    pub batch_close_poll: Option<String>,
    /// The Quick Connect landing page (`ledgerline connect --serve`), a `[landing]` table.
    pub landing: Option<Landing>,
}

/// The `[landing]` table: what the Quick Connect landing page shows. Every key has a default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Landing {
    /// The application's name (default `Ledgerline`).
    pub product_name: Option<String>,
    /// The partner company behind it (default: the product name).
    pub company_name: Option<String>,
    /// A logo file (PNG, JPEG, GIF, WebP or SVG, at most 256 KiB), inlined into the page.
    pub logo: Option<PathBuf>,
    /// The privacy policy's address (the page links it; required by Concur's review).
    pub privacy_url: Option<String>,
    /// Terms and conditions, when there are any.
    pub terms_url: Option<String>,
    /// How to reach support: an e-mail address or a URL.
    pub support: Option<String>,
}

/// Parses an optional duration setting, naming the key in the error.
pub fn duration(key: &str, value: Option<&str>) -> crate::Result<Option<Duration>> {
    value
        .map(|v| {
            crate::time::parse_duration(v).map_err(|e| crate::Error::Config(format!("{key}: {e}")))
        })
        .transpose()
}

/// Where the value of a setting came from, so that a message can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A command-line flag such as `--company`.
    Flag(&'static str),
    /// A key of the configuration file.
    ConfigFile {
        /// The key, e.g. `company_id`.
        key: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// The host a stored connection was made at (`connect`'s base URL).
    StoredConnection {
        /// The token store file.
        store: PathBuf,
        /// The connection's company.
        company: Option<String>,
    },
}

/// A setting's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced {
    /// The value.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

impl Sourced {
    /// A value from a command-line flag.
    pub fn flag(flag: &'static str, value: impl Into<String>) -> Sourced {
        Sourced {
            value: value.into(),
            origin: Origin::Flag(flag),
        }
    }

    /// A value from the configuration file at `path`.
    pub fn config_file(
        key: &'static str,
        path: impl Into<PathBuf>,
        value: impl Into<String>,
    ) -> Sourced {
        Sourced {
            value: value.into(),
            origin: Origin::ConfigFile {
                key,
                path: path.into(),
            },
        }
    }
}

impl std::fmt::Display for Sourced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = &self.value;
        match &self.origin {
            Origin::Flag(flag) => write!(f, "{flag} {v} (command line)"),
            Origin::ConfigFile { key, path } => {
                write!(f, "{key} = {v:?} in the config file {}", path.display())
            }
            Origin::StoredConnection { store, company } => write!(
                f,
                "{v}, where the stored connection of company {} in the token store {} was made",
                company.as_deref().unwrap_or("(unknown)"),
                store.display()
            ),
        }
    }
}

/// Whether two values of a setting mean the same thing: equal, trailing `/` of URLs and
/// surrounding spaces aside, and company ids and URLs compared case-insensitively (Concur's
/// UUIDs and host names are).
fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    norm(a) == norm(b)
}

/// The one value two sources of a setting agree on: `first` is the one with precedence (a
/// flag over the config file, the config file over the stored connection). Neither set:
/// `None`; one set: that one; both set to the same value: `first`; different values:
/// [`Error::Conflict`](crate::Error::Conflict) naming both, because picking one silently
/// could connect, fetch or post for the wrong company or host.
///
/// ```
/// use ledgerline_fetch::config::{agree, Sourced};
/// let flag = Sourced::flag("--company", "B");
/// let file = Sourced::config_file("company_id", "concur.toml", "A");
/// let err = agree(Some(flag.clone()), Some(file)).unwrap_err().to_string();
/// assert!(err.starts_with("--company B (command line) disagrees with company_id = \"A\" in the config file concur.toml"), "{err}");
/// assert_eq!(agree(Some(flag.clone()), None).unwrap(), Some(flag));
/// ```
pub fn agree(first: Option<Sourced>, second: Option<Sourced>) -> crate::Result<Option<Sourced>> {
    match (first, second) {
        (Some(a), Some(b)) if !same(&a.value, &b.value) => Err(crate::Error::Conflict {
            first: Box::new(a),
            second: Box::new(b),
        }),
        (Some(a), _) => Ok(Some(a)),
        (None, b) => Ok(b),
    }
}

/// What to do about a [`Error::Conflict`](crate::Error::Conflict).
pub(crate) fn conflict_hint(first: &Sourced, second: &Sourced) -> String {
    match (&first.origin, &second.origin) {
        (_, Origin::StoredConnection { company, .. }) => format!(
            "ledgerline will not use a connection made at another host than the configured one: run `ledgerline connect{}` to connect at {}, or correct the config file",
            company
                .as_deref()
                .map(|c| format!(" --company {c}"))
                .unwrap_or_default(),
            first.value
        ),
        (_, Origin::ConfigFile { key: "company_id", .. }) => "a config file's company_id names the company its other settings (out, ledger) belong to, so ledgerline will not use it for another one: use a config file per company, or remove company_id from it and choose with --company".into(),
        _ => "ledgerline does not pick one silently: remove one of them".into(),
    }
}

//! Simulator settings and scenarios (JSON), and the faults it can inject.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything the simulator can be told at start. Every field has a default, so `{}` is a
/// valid scenario `config`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Address to listen on (loopback; port 0 picks a free one).
    pub addr: String,
    /// The company UUID.
    pub company_id: String,
    /// The OAuth client the simulator accepts.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// A fixed company request token (else one is generated at start).
    pub request_token: Option<String>,
    /// Request-token lifetime (24 h at Concur).
    pub request_token_ttl_ms: u64,
    /// A request token is spent by its first successful exchange (a second one answers
    /// `invalid_grant`); `false` keeps it usable until it expires. Concur documents it as
    /// reusable within its 24 hours after a network failure, which a refused exchange does
    /// not spend here either.
    pub request_token_single_use: bool,
    /// The administrator (user UUID) the App Center names in its redirect (`userId`).
    pub app_center_user_id: String,
    /// Payment Batch v1.2, the asynchronous close.
    pub batch_v12: BatchV12Config,
    /// Access-token lifetime (1 h at Concur).
    pub access_ttl_ms: u64,
    /// Refresh-token lifetime (6 months at Concur).
    pub refresh_ttl_ms: u64,
    /// Issue a new refresh token on every refresh (the old one stops working).
    pub rotate_refresh_tokens: bool,
    /// Write `expires_in` as a string (`"3600"`, as in Concur's reference) or a number.
    pub expires_in_as_string: bool,
    /// Status for a missing-but-malformed, unknown, expired or revoked access token on the
    /// resource APIs: 401 (default) or 403.
    pub bad_token_status: u16,
    /// Expense `marketingName` of the company profile: `CTE`, `Enterprise`, `Standard Edition`...
    pub marketing_name: String,
    /// Extract definitions.
    pub definitions: Vec<DefinitionConfig>,
    /// How fast jobs move Queued -> Running -> Completed.
    pub job_clock: JobClock,
    /// Expense reports per generated SAE file.
    pub reports_per_file: u64,
    /// Seed of generated files.
    pub seed: u64,
    /// Serve files from this directory instead of generating them: `DIR/<definition key>/`
    /// for extract jobs (one file: text/csv; several: a zip of them) and `DIR/batches/` for
    /// payment batches. A missing sub-directory falls back to generated content.
    pub files_dir: Option<PathBuf>,
    /// Payment batches.
    pub batches: Vec<BatchConfig>,
    /// Lists, vendors, purchase orders and receipts (`ledgerline sync`).
    pub masterdata: crate::masterdata::MasterDataConfig,
    /// Financial Integration Service documents and behaviour.
    pub fis: crate::fis::FisConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            addr: "127.0.0.1:0".into(),
            company_id: "59c5bfd1-1803-4ca8-b43a-df083a5c60f9".into(),
            client_id: "ledgerline-demo-client".into(),
            client_secret: "demo-client-secret".into(),
            request_token: None,
            request_token_ttl_ms: 24 * 3600 * 1000,
            request_token_single_use: true,
            app_center_user_id: "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5".into(),
            batch_v12: BatchV12Config::default(),
            access_ttl_ms: 3600 * 1000,
            refresh_ttl_ms: 183 * 24 * 3600 * 1000,
            rotate_refresh_tokens: true,
            expires_in_as_string: true,
            bad_token_status: 401,
            marketing_name: "CTE".into(),
            definitions: vec![
                DefinitionConfig {
                    key: "nYoPK$pZmcowMRUqcl5bnDAwwsMydyt$xd".into(),
                    name: "Standard Accounting Extract".into(),
                    kind: DefinitionKind::Expense,
                    multi_file: false,
                    completed_jobs: 1,
                },
                DefinitionConfig {
                    key: "gWqB$rT0vLk2dfPRAE$x9".into(),
                    name: "Payment Request Accounting Extract".into(),
                    kind: DefinitionKind::Invoice,
                    multi_file: false,
                    completed_jobs: 0,
                },
                DefinitionConfig {
                    key: "aTtNd$3eZipQ0w$k".into(),
                    name: "Standard Accounting Extract with Attendees".into(),
                    kind: DefinitionKind::Expense,
                    multi_file: true,
                    completed_jobs: 0,
                },
            ],
            job_clock: JobClock::Time {
                queued_ms: 2000,
                running_ms: 3000,
            },
            reports_per_file: 8,
            seed: 1,
            files_dir: None,
            batches: vec![
                BatchConfig {
                    name: "USD: Employees Batch Paid by Expense Pay".into(),
                    currency: "USD".into(),
                    count: 3,
                    kind: "Employee".into(),
                    payment_method: "Expense Pay by Concur".into(),
                    closed: false,
                },
                BatchConfig {
                    name: "EUR: Company Check".into(),
                    currency: "EUR".into(),
                    count: 0,
                    kind: "Employee".into(),
                    payment_method: "Company Check (via Accounts Payable)".into(),
                    closed: false,
                },
                BatchConfig {
                    name: "USD: Card Program Batch".into(),
                    currency: "USD".into(),
                    count: 2,
                    kind: "Card Program".into(),
                    payment_method: "Other Reimbursement Methods".into(),
                    closed: true,
                },
            ],
            masterdata: crate::masterdata::MasterDataConfig::default(),
            fis: crate::fis::FisConfig::default(),
        }
    }
}

/// What a definition extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefinitionKind {
    /// Expense: Standard Accounting Extract (SAE).
    Expense,
    /// Invoice: Payment Request Accounting Extract (PRAE).
    Invoice,
}

/// An extract definition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionConfig {
    /// Opaque id (Concur's contain `$`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// Expense or Invoice.
    pub kind: DefinitionKind,
    /// Several files per job (served as a zip).
    #[serde(default)]
    pub multi_file: bool,
    /// Completed jobs that already exist at start (one every two hours, newest two hours ago).
    #[serde(default)]
    pub completed_jobs: u32,
}

/// How jobs progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum JobClock {
    /// By wall-clock time since the job was posted.
    Time {
        /// Time spent Queued.
        queued_ms: u64,
        /// Time spent Running.
        running_ms: u64,
    },
    /// By the number of reads of that job (job or status GET): deterministic for tests.
    Polls {
        /// Reads answered Queued.
        queued: u32,
        /// Reads answered Running after that.
        running: u32,
    },
}

/// A payment batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    /// Batch name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// Reports in it (0: closing it answers 500 like Concur).
    pub count: u32,
    /// `Employee` or `Card Program`.
    #[serde(default = "employee")]
    pub kind: String,
    /// Payment method.
    #[serde(default = "expense_pay")]
    pub payment_method: String,
    /// Already closed at start.
    #[serde(default)]
    pub closed: bool,
}

/// How the asynchronous v1.2 close behaves. Concur documents the call and two response
/// fields (`Status`, `JobQueueKey`) but neither the XML root nor whether a batch shows a
/// "closing" state, so the shape is an option.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchV12Config {
    /// Serve `POST .../v1.2/batch/{id}/close` at all (`false`: 404, as a host without v1.2).
    pub enabled: bool,
    /// Time from the accepted close until the batch is listed as CLOSED (it stays OPEN
    /// until then).
    pub close_delay_ms: u64,
    /// The answer's shape.
    pub response: V12Response,
}

impl Default for BatchV12Config {
    fn default() -> Self {
        BatchV12Config {
            enabled: true,
            close_delay_ms: 1000,
            response: V12Response::Job,
        }
    }
}

/// Shapes of the v1.2 close answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum V12Response {
    /// `<BatchStatus><Status>SUCCESS</Status><JobQueueKey>…</JobQueueKey></BatchStatus>`:
    /// the two documented fields (default).
    Job,
    /// The full `BatchStatus` document of the 2015 page, `File-Url` included (which a
    /// client following the documented flow does not use).
    BatchStatus,
    /// `202 Accepted` with no body.
    Empty,
}

fn employee() -> String {
    "Employee".into()
}
fn expense_pay() -> String {
    "Expense Pay by Concur".into()
}

/// Routes faults can target (the `route` of a [`Fault`]); `*` means every route but the
/// admin ones.
pub const ROUTES: &[&str] = &[
    "token",
    "revoke",
    "profile",
    "definitions",
    "definition",
    "jobs",
    "job_post",
    "job",
    "job_status",
    "job_file",
    "batchlist",
    "batch_close",
    "batch_close_v12",
    "batch_file",
    "entry_post",
    "entry_get",
];

/// A fault to inject.
///
/// Unknown keys are refused by [`FaultKind`]: serde cannot deny unknown fields on a struct
/// that flattens another (it refused every fault, `unknown field fault`), so the flattened
/// kind, which receives every key this struct does not know, denies them instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Route name (see [`ROUTES`]) or `*`.
    pub route: String,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many matching requests it hits (0: all of them).
    #[serde(default = "one")]
    pub times: u32,
    /// Matching requests let through untouched before it starts.
    #[serde(default)]
    pub skip: u32,
    /// Apply after the request was handled (its effects happened; only the answer is lost or
    /// replaced). For `status` and `drop`.
    #[serde(default)]
    pub after: bool,
}

fn one() -> u32 {
    1
}

/// The kinds of fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// Answer this status (500, 503, 429 ...) with Concur's error body.
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After` header value, if any.
        #[serde(default)]
        retry_after: Option<String>,
    },
    /// Wait before answering.
    Slow {
        /// Delay.
        ms: u64,
    },
    /// Send the full Content-Length but only part of the body, then close the connection.
    Truncate {
        /// Bytes sent (default: half).
        #[serde(default)]
        keep_bytes: Option<u64>,
    },
    /// Send part of the body, pause, then the rest (to interrupt a download mid-way).
    Stall {
        /// Bytes before the pause (default: half).
        #[serde(default)]
        after_bytes: Option<u64>,
        /// Pause.
        ms: u64,
    },
    /// Close the connection without answering.
    Drop,
    /// Treat the presented access token as expired from now on.
    ExpireToken,
    /// Revoke the connection of the presented access token (all its tokens).
    RevokeToken,
    /// The job created by this request ends Failed.
    FailJob,
}

/// A scenario file: settings plus faults armed at start.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Settings.
    pub config: SimConfig,
    /// Faults.
    pub faults: Vec<Fault>,
}

#[cfg(test)]
mod fault_tests {
    use super::*;

    #[test]
    fn the_readme_fault_example_parses_and_typos_are_refused() {
        // Verbatim from the README's `POST /_admin/faults` example.
        let body = r#"[{"route":"job_file","fault":"truncate"},{"route":"definitions","fault":"status","status":429,"retry_after":"2","times":3}]"#;
        let faults: Vec<Fault> = serde_json::from_str(body).unwrap();
        assert_eq!(faults.len(), 2);
        assert_eq!(faults[0].kind, FaultKind::Truncate { keep_bytes: None });
        assert_eq!(faults[1].times, 3);
        assert_eq!(
            faults[1].kind,
            FaultKind::Status {
                status: 429,
                retry_after: Some("2".into())
            }
        );
        let typo = r#"[{"route":"job_file","fault":"truncate","tims":2}]"#;
        let e = serde_json::from_str::<Vec<Fault>>(typo).unwrap_err();
        assert!(e.to_string().contains("tims"), "{e}");
        // The same in a scenario file (JSON).
        let sc: Scenario =
            serde_json::from_str(r#"{"faults":[{"route":"token","fault":"drop"}]}"#).unwrap();
        assert_eq!(sc.faults.len(), 1);
    }
}

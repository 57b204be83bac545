//! `ledgerline simulate`: the local Concur API for demos and tests.

use anyhow::Context;
use ledgerline_fetch::time::parse_duration;
use ledgerline_simulator::{JobClock, Scenario, Simulator};
use std::path::PathBuf;
use std::process::ExitCode;

/// Run a local SAP Concur API on loopback, for demos and tests.
///
/// It answers the token endpoint (company request token, refresh with rotation, client
/// credentials, revocation), the company profile, the Extract API v1.0, the Payment Batch
/// API v1.1 and the Expense Entry API v1.1 (entries posted there appear in the next
/// Expense extract job). Faults can be armed per route from a scenario file or with
/// `POST /_admin/faults`. It prints the demo credentials it accepts and runs until
/// interrupted.
///
/// Examples:
///   ledgerline simulate --write-config concur.toml
///   ledgerline simulate --write-config concur.toml --job-times 2s,3s
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:8765")]
    addr: String,
    /// Scenario file (JSON: {"config": {...}, "faults": [...]}).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Serve files from this directory (DIR/<definition id>/, DIR/batches/) instead of
    /// generating them.
    #[arg(long, value_name = "DIR")]
    files: Option<PathBuf>,
    /// Expense marketing name in the company profile: CTE or Enterprise (Professional),
    /// "Standard Edition" (Standard).
    #[arg(long, value_name = "NAME")]
    edition: Option<String>,
    /// Access-token lifetime (e.g. 1h, 30s).
    #[arg(long, value_name = "DURATION")]
    access_ttl: Option<String>,
    /// Time a new job stays Queued, then Running (e.g. 2s,3s).
    #[arg(long, value_name = "QUEUED,RUNNING")]
    job_times: Option<String>,
    /// Write a ready-to-use `connect`/`fetch` config file pointing at this simulator.
    #[arg(long, value_name = "FILE")]
    write_config: Option<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut scenario = match &a.scenario {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Simulator::scenario(&text)?
        }
        None => Scenario::default(),
    };
    let cfg = &mut scenario.config;
    if a.scenario.is_none() || a.addr != "127.0.0.1:8765" {
        cfg.addr = a.addr.clone();
    }
    if let Some(d) = &a.files {
        cfg.files_dir = Some(d.clone());
    }
    if let Some(e) = &a.edition {
        cfg.marketing_name = e.clone();
    }
    if let Some(t) = &a.access_ttl {
        let d = parse_duration(t).map_err(|e| anyhow::anyhow!("--access-ttl: {e}"))?;
        cfg.access_ttl_ms = d.as_millis() as u64;
    }
    if let Some(t) = &a.job_times {
        let (q, r) = t
            .split_once(',')
            .ok_or_else(|| anyhow::anyhow!("--job-times wants QUEUED,RUNNING, e.g. 2s,3s"))?;
        let q = parse_duration(q).map_err(|e| anyhow::anyhow!("--job-times: {e}"))?;
        let r = parse_duration(r).map_err(|e| anyhow::anyhow!("--job-times: {e}"))?;
        cfg.job_clock = JobClock::Time {
            queued_ms: q.as_millis() as u64,
            running_ms: r.as_millis() as u64,
        };
    }
    let sim = Simulator::start(scenario.config.clone(), scenario.faults.clone())?;
    let c = sim.config();
    let token = sim.current_request_token();
    let base = sim.base_url().to_owned();
    if let Some(p) = &a.write_config {
        let text = format!(
            "# ledgerline connect/fetch settings for the local simulator at {base}\n\
             base_url = \"{base}\"\n\
             client_id = \"{}\"\n\
             client_secret = \"{}\"   # a demo secret; keep real ones in LEDGERLINE_CLIENT_SECRET\n\
             company_id = \"{}\"\n\
             poll_interval = \"1s\"\n",
            c.client_id, c.client_secret, c.company_id
        );
        std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
    }
    println!("Concur simulator listening on {base}");
    println!(
        "  client id / secret (demo): {} / {}",
        c.client_id, c.client_secret
    );
    println!("  company id:                {}", c.company_id);
    println!("  company request token:     {token}");
    println!("  edition (marketingName):   {}", c.marketing_name);
    if let Some(p) = &a.write_config {
        println!("  config file written:       {}", p.display());
        println!();
        println!(
            "  LEDGERLINE_REQUEST_TOKEN={token} ledgerline connect --config {}",
            p.display()
        );
        // Standard Edition has payment batches to close, not extract jobs to run.
        let how = match ledgerline_fetch::edition::edition_from_marketing_name(&c.marketing_name) {
            Some(ledgerline_fetch::Edition::Standard) => "--close",
            _ => "--run",
        };
        println!(
            "  ledgerline fetch --config {} {how} --out incoming",
            p.display()
        );
    }
    println!();
    println!(
        "  admin: GET {base}/_admin/stats, POST {base}/_admin/faults, POST {base}/_admin/request-token"
    );
    println!("Press Ctrl-C to stop.");
    sim.wait();
    Ok(ExitCode::SUCCESS)
}

//! `ledgerline connect`: the one-time company-token exchange.

use crate::fetch::{Common, client_options, reconnect_exit};
use ledgerline_fetch::{Client, ConnectRequest, Error, Secret};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

/// Connect Ledgerline to a Concur company (or show / remove the connection).
///
/// A Concur administrator creates a company request token (Administration > Company >
/// Authentication Admin > Company Request Token); it is valid for 24 hours. `connect`
/// exchanges it, with the company UUID shown next to it, for an access token and a refresh
/// token, and stores them in the token store (created with mode 600; a store readable by
/// group or others is refused). Later `fetch` runs refresh the tokens themselves.
///
/// The request token is read from $LEDGERLINE_REQUEST_TOKEN, else from the first line of
/// standard input. Nothing secret is printed.
///
/// Exit codes: 0 done, 2 could not run, 3 (with --status or --disconnect) no valid connection.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Host of the token exchange (default: the config file's base_url, else
    /// https://us.api.concursolutions.com). Later calls go to the geolocation Concur returns.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The company UUID shown with the request token.
    #[arg(long, value_name = "UUID")]
    company_id: Option<String>,
    /// Show the stored connection (no secrets) instead of connecting.
    #[arg(long, conflicts_with = "disconnect")]
    status: bool,
    /// Revoke the connection at Concur and delete the token store.
    #[arg(long)]
    disconnect: bool,
}

/// Where the first token exchange goes by default. Concur's newer documentation names a
/// global landing host for company tokens and older material the US host; both answer with
/// the company's geolocation, which every later call uses.
const DEFAULT_BASE_URL: &str = "https://us.api.concursolutions.com";

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let r = a.common.resolve()?;
    if a.status || a.disconnect {
        let client = match Client::open(
            r.store.clone(),
            r.credentials,
            client_options(&r.config)?,
            r.log,
        ) {
            Ok(c) => c,
            Err(e @ Error::ReconnectNeeded { .. }) => return Ok(reconnect_exit(&e)),
            Err(e) => return Err(e.into()),
        };
        if a.disconnect {
            match client.disconnect() {
                Ok(()) => {}
                Err(e @ Error::ReconnectNeeded { .. }) => return Ok(reconnect_exit(&e)),
                Err(e) => return Err(e.into()),
            }
            eprintln!(
                "disconnected: the refresh tokens are revoked and {} is deleted",
                r.store.path().display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let t = client.session().tokens();
        let now = ledgerline_fetch::time::now_unix();
        println!("token store:   {}", r.store.path().display());
        println!("client id:     {}", t.client_id);
        println!(
            "company:       {}",
            t.company_id.as_deref().unwrap_or("(unknown)")
        );
        println!("geolocation:   {}", t.geolocation);
        println!(
            "access token:  {} (expires {})",
            if t.access_expires_at > now {
                "valid"
            } else {
                "expired"
            },
            ledgerline_fetch::time::format_unix(t.access_expires_at)
        );
        println!(
            "refresh token: expires {}",
            t.refresh_expires_at
                .map(ledgerline_fetch::time::format_unix)
                .unwrap_or_else(|| "(not given)".into())
        );
        println!(
            "connected:     {}",
            ledgerline_fetch::time::format_unix(t.connected_at)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let company_id = a
        .company_id
        .clone()
        .or_else(|| r.config.company_id.clone())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no company UUID: pass --company-id or set company_id in the config file"
            )
        })?;
    let request_token = match std::env::var("LEDGERLINE_REQUEST_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        Some(t) => t.trim().to_owned(),
        None => {
            if std::io::stdin().is_terminal() {
                eprint!("company request token: ");
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let t = line.trim().to_owned();
            if t.is_empty() {
                anyhow::bail!(
                    "no company request token: set LEDGERLINE_REQUEST_TOKEN or type it on standard input"
                );
            }
            t
        }
    };
    let base_url = a
        .base_url
        .clone()
        .or_else(|| r.config.base_url.clone())
        .unwrap_or_else(|| DEFAULT_BASE_URL.into());
    let req = ConnectRequest {
        base_url,
        client: r.credentials,
        company_id,
        request_token: Secret(request_token),
    };
    let opts = client_options(&r.config)?;
    let tokens = ledgerline_fetch::connect(&req, &r.store, opts.http, r.log)?;
    eprintln!(
        "connected: company {}, geolocation {}; tokens saved to {} (mode 600)",
        tokens.company_id.as_deref().unwrap_or("?"),
        tokens.geolocation,
        r.store.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

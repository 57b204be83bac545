//! `ledgerline connect`: the company-token exchange that stores a company's connection, and
//! the status and removal of stored connections (one per company).

use crate::fetch::{Common, Resolved, client_options};
use ledgerline_fetch::config::{Sourced, agree};
use ledgerline_fetch::store::StoredTokens;
use ledgerline_fetch::time::{format_unix, now_unix};
use ledgerline_fetch::{Client, ConnectRequest, Error, Secret};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

/// Connect Ledgerline to a Concur company (or show / remove stored connections).
///
/// A Concur administrator creates a company request token (Administration > Company >
/// Authentication Admin > Company Request Token); it is valid for 24 hours. `connect`
/// exchanges it, with the company UUID shown next to it (--company, else the config file's
/// company_id), for an access token and a refresh token, and stores them as that company's
/// connection in the token store (created with mode 600; a store readable by group or others
/// is refused). The store holds one connection per company: connecting a second company
/// keeps the first, connecting a company again replaces its connection. Later `fetch` runs
/// refresh the tokens themselves.
///
/// The request token is read from $LEDGERLINE_REQUEST_TOKEN, else from the first line of
/// standard input. Nothing secret is printed.
///
/// --status with a company (--company or company_id) checks that connection with Concur by
/// refreshing its tokens (a live call; --no-check reads the store only); without one it lists
/// every stored connection from the store, without calling Concur. Either way it says which.
///
/// A config file's company_id and base_url are never overridden: --company or --base-url
/// with another value is refused, naming both.
///
/// --serve runs the Quick Connect landing page instead: register its address as the app's
/// Connect URI in the App Center. An administrator's click on Connect opens it with the
/// company id, a request token and the user id; the page shows the company and what
/// Ledgerline will access, and only the administrator's confirmation exchanges the token
/// and stores the company's connection. Its branding (product_name, company_name, logo,
/// privacy_url, terms_url, support) comes from the config file's [landing] table; /disconnect
/// revokes a connection. It runs until stopped (Ctrl-C).
///
/// Examples:
///   LEDGERLINE_REQUEST_TOKEN=... ledgerline connect --company 59c5bfd1-1803-4ca8-b43a-df083a5c60f9
///   ledgerline connect --company 0b7e24d2-9c31-4f0e-8d6a-2f3c1e5a7b90 < request-token.txt
///   ledgerline connect --status
///   ledgerline connect --status --company 59c5bfd1-1803-4ca8-b43a-df083a5c60f9
///   ledgerline connect --disconnect --company 0b7e24d2-9c31-4f0e-8d6a-2f3c1e5a7b90
///   ledgerline connect --serve --addr 127.0.0.1:8766 --config concur.toml
///
/// Exit codes: 0 done, 2 could not run, 3 (with --status or --disconnect) no valid connection.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Host of the token exchange (default: the config file's base_url, else
    /// https://us.api.concursolutions.com). Later calls go to the geolocation Concur returns.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Show the stored connections (no secrets) instead of connecting: the chosen company's,
    /// checked with Concur, or without one every connection, read from the store.
    #[arg(long, conflicts_with = "disconnect")]
    status: bool,
    /// With --status: read the store only, do not check the connection with Concur.
    #[arg(long, requires = "status")]
    no_check: bool,
    /// Revoke the chosen company's connection at Concur and delete it from the token store
    /// (the other companies' connections stay).
    #[arg(long)]
    disconnect: bool,
    /// Serve the Quick Connect landing page (the App Center's Connect URI) until stopped.
    #[arg(long, conflicts_with_all = ["status", "disconnect"])]
    serve: bool,
    /// With --serve: the address to listen on (default 127.0.0.1:8766; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", requires = "serve")]
    addr: Option<String>,
}

/// Where the first token exchange goes by default. Concur's newer documentation names a
/// global landing host for company tokens and older material the US host; both answer with
/// the company's geolocation, which every later call uses.
const DEFAULT_BASE_URL: &str = "https://us.api.concursolutions.com";

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let r = a.common.resolve()?;
    if a.serve {
        return serve(&r, a.base_url.as_deref(), a.addr.as_deref());
    }
    if a.status {
        return status(&r, !a.no_check);
    }
    if a.disconnect {
        // The chosen company's connection, or the only one. Not held to the config file's
        // base_url: the revocation goes to the connection's own geolocation.
        let client = match Client::open_company(
            r.store.clone(),
            r.company_id(),
            r.credentials()?,
            client_options(&r.config)?,
            r.log.clone(),
        ) {
            Ok(c) => c,
            Err(e) => return r.exit_for(e),
        };
        let company = client.session().tokens().company_label();
        if let Err(e) = client.disconnect() {
            return r.exit_for(e);
        }
        let left = r.store.load_all()?.len();
        eprintln!(
            "disconnected company {company}: its refresh tokens are revoked and its connection is deleted from {} ({} left)",
            r.store.path().display(),
            plural(left, "connection")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let base_url = exchange_base_url(&r, a.base_url.as_deref())?;
    let company_id = r.company_id().map(str::to_owned).ok_or_else(|| {
        anyhow::anyhow!("no company UUID: pass --company or set company_id in the config file")
    })?;
    // Read before anything is sent: an unusable store is refused before the request token
    // is spent, and a connection being replaced is said.
    let earlier = r.store.load_all()?.into_iter().find(|t| {
        t.company_id
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(company_id.trim()))
    });
    let request_token = match std::env::var("LEDGERLINE_REQUEST_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        Some(t) => t.trim().to_owned(),
        None => {
            if std::io::stdin().is_terminal() {
                eprint!("company request token for {company_id}: ");
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
    let req = ConnectRequest {
        base_url,
        client: r.credentials()?,
        company_id,
        request_token: Secret(request_token),
    };
    let opts = client_options(&r.config)?;
    let tokens = ledgerline_fetch::connect(&req, &r.store, opts.http, r.log.clone())?;
    if let Some(t) = earlier {
        eprintln!(
            "replaced the earlier connection of company {} (connected {}{})",
            t.company_label(),
            format_unix(t.connected_at),
            t.base_url.map(|u| format!(" at {u}")).unwrap_or_default()
        );
    }
    let all = r.store.load_all()?;
    eprintln!(
        "connected: company {}, geolocation {}; tokens saved to {} (mode 600), which holds {}",
        tokens.company_label(),
        tokens.geolocation,
        r.store.path().display(),
        plural(all.len(), "connection")
    );
    Ok(ExitCode::SUCCESS)
}

/// The host of the token exchange: --base-url and the config file's base_url agree, else
/// the default.
fn exchange_base_url(r: &Resolved, flag: Option<&str>) -> anyhow::Result<String> {
    Ok(agree(
        flag.map(|u| Sourced::flag("--base-url", u)),
        r.config_base_url(),
    )?
    .map(|s| s.value)
    .unwrap_or_else(|| DEFAULT_BASE_URL.into()))
}

/// `connect --serve`: the landing page, until the process is stopped.
fn serve(r: &Resolved, base_url: Option<&str>, addr: Option<&str>) -> anyhow::Result<ExitCode> {
    use ledgerline_connect::{Branding, LandingServer, ServerConfig};
    let base_dir = r
        .config_path
        .as_deref()
        .and_then(std::path::Path::parent)
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let branding = match &r.config.landing {
        Some(l) => Branding::from_config(l, &base_dir)?,
        None => Branding::default(),
    };
    let events: ledgerline_fetch::Logger = std::sync::Arc::new(|line: &str| {
        eprintln!("{} {line}", format_unix(now_unix()));
    });
    let cfg = ServerConfig {
        branding,
        exchange_base_url: exchange_base_url(r, base_url)?,
        credentials: r.credentials()?,
        store: r.store.clone(),
        client: client_options(&r.config)?,
        http_log: r.log.clone(),
        events: Some(events),
    };
    let server = LandingServer::start(cfg, addr.unwrap_or("127.0.0.1:8766"))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Quick Connect landing page at {} (register it as the app's Connect URI); connections go to {}",
        server.url(),
        r.store.path().display()
    )?;
    out.flush()?;
    drop(out);
    server.wait();
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The fields of one connection, indented by `pad`; `checked`: its tokens were just
/// refreshed with Concur.
fn describe(
    out: &mut impl Write,
    t: &StoredTokens,
    pad: &str,
    checked: bool,
) -> std::io::Result<()> {
    writeln!(out, "{pad}client id:     {}", t.client_id)?;
    writeln!(
        out,
        "{pad}base url:      {}",
        t.base_url
            .as_deref()
            .unwrap_or("(not recorded: connected by an older ledgerline)")
    )?;
    writeln!(out, "{pad}geolocation:   {}", t.geolocation)?;
    writeln!(out, "{pad}access token:  {}", access_line(t, checked))?;
    writeln!(
        out,
        "{pad}refresh token: expires {}",
        t.refresh_expires_at
            .map(format_unix)
            .unwrap_or_else(|| "(not given)".into())
    )?;
    writeln!(out, "{pad}connected:     {}", format_unix(t.connected_at))?;
    writeln!(out, "{pad}refreshed:     {}", format_unix(t.refreshed_at))?;
    Ok(())
}

/// The access token's expiry as the store has it.
fn access_line(t: &StoredTokens, checked: bool) -> String {
    let at = format_unix(t.access_expires_at);
    if t.access_expires_at <= now_unix() {
        format!("expired {at}")
    } else if checked {
        format!("valid until {at}")
    } else {
        format!("expires {at} (by the store; not checked)")
    }
}

fn status(r: &Resolved, check: bool) -> anyhow::Result<ExitCode> {
    let mut out = crate::cli_io::stdout();
    if r.company.is_none() {
        return list(r, &mut out);
    }
    if !check {
        // The store only: no client credentials needed, no call made.
        let t = match r.store.load(r.company_id()) {
            Ok(t) => t,
            Err(e) => return r.exit_for(e),
        };
        let checked = "no, read from the token store only (--no-check); a revoked connection looks the same until it is used";
        show_connection(&mut out, r, &t, checked, false)?;
        return Ok(ExitCode::SUCCESS);
    }
    let opts = client_options(&r.config)?;
    let mut client = match Client::open_company(
        r.store.clone(),
        r.company_id(),
        r.credentials()?,
        opts,
        r.log.clone(),
    ) {
        Ok(c) => c,
        Err(e) => return r.exit_for(e),
    };
    let outcome = client.refresh().map(|()| now_unix());
    let t = client.session().tokens().clone();
    let checked = match &outcome {
        Ok(at) => format!(
            "with Concur at {}: the token endpoint of {} accepted the refresh token (live call)",
            format_unix(*at),
            t.geolocation
        ),
        Err(e) => format!(
            "with Concur at {}: REFUSED or unreachable (live call): {e}",
            format_unix(now_unix())
        ),
    };
    show_connection(&mut out, r, &t, &checked, outcome.is_ok())?;
    match outcome {
        Err(e) => r.exit_for(e),
        Ok(_) => Ok(ExitCode::SUCCESS),
    }
}

/// One company's connection, with how (and whether) it was `checked`; a warning when the
/// config file's `base_url` disagrees with where it was made.
fn show_connection(
    out: &mut impl Write,
    r: &Resolved,
    t: &ledgerline_fetch::store::StoredTokens,
    checked: &str,
    valid: bool,
) -> anyhow::Result<()> {
    writeln!(out, "token store:   {}", r.store.path().display())?;
    writeln!(out, "company:       {}", r.company_line(t))?;
    writeln!(out, "checked:       {checked}")?;
    describe(out, t, "", valid)?;
    out.flush()?;
    if let Err(e) = r.stored_host_agrees(t) {
        eprintln!("ledgerline: warning: {e}; `ledgerline fetch` refuses to run with this config");
    }
    Ok(())
}

/// Every stored connection, from the store only.
fn list(r: &Resolved, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let all = r.store.load_all()?;
    if all.is_empty() {
        return r.exit_for(Error::ReconnectNeeded {
            reason: format!(
                "no connection in the token store {}",
                r.store.path().display()
            ),
        });
    }
    writeln!(out, "token store:   {}", r.store.path().display())?;
    writeln!(
        out,
        "connections:   {}, read from the token store only, not checked with Concur \
         (`ledgerline connect --status --company ID` checks one)",
        all.len()
    )?;
    for t in &all {
        writeln!(out)?;
        writeln!(out, "company {}", t.company_label())?;
        describe(out, t, "  ", false)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

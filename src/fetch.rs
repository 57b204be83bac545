//! `ledgerline fetch`: download new accounting files from Concur (Professional: Extract
//! API jobs; Standard: payment batches) into a directory, recorded in the run ledger; one
//! run at a time per directory and per ledger; `--convert` posts into another directory.

use crate::cli_io::Paint;
use crate::common::{plural, print_text};
use crate::summary::currency_lines;
use anyhow::Context;
use ledgerline_fetch::config::{Config, Origin, Sourced, agree, duration};
use ledgerline_fetch::extract::Format;
use ledgerline_fetch::{
    AuthScheme, Client, ClientCredentials, ClientOptions, Edition, EditionChoice, Error, Event,
    FetchLock, FetchPlan, HttpOptions, Logger, TokenStore,
};
use ledgerline_findings::Severity;
use ledgerline_ledger::{Ledger, PostingLedger};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Exit code when the stored connection is gone (expired or revoked refresh token, or no
/// `connect` yet): a person must run `ledgerline connect` again.
pub const EXIT_RECONNECT: u8 = 3;
/// Exit code when the run finished but some job or file could not be fetched.
pub const EXIT_PARTIAL: u8 = 4;
/// Exit code when another fetch run holds the output folder or the run ledger.
pub const EXIT_BUSY: u8 = 5;

/// Settings shared by `connect` and `fetch`.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Configuration file (TOML). Default: $LEDGERLINE_CONFIG, else
    /// ~/.config/ledgerline/concur.toml when it exists.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// OAuth client id of your Concur app (overrides the config file). The secret is read
    /// from $LEDGERLINE_CLIENT_SECRET or the config file, never from the command line.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Token store file (default: $LEDGERLINE_TOKEN_STORE, else
    /// ~/.config/ledgerline/tokens.json). It holds one connection per company.
    #[arg(long, value_name = "FILE")]
    pub token_store: Option<PathBuf>,
    /// The Concur company (UUID) whose connection to make or use (default: the config
    /// file's company_id, else the token store's only connection). Refused when the config
    /// file names another company.
    #[arg(long, visible_alias = "company-id", value_name = "ID")]
    pub company: Option<String>,
    /// Log every HTTP request and response on stderr (Authorization redacted).
    #[arg(short, long)]
    pub verbose: bool,
}

/// The configuration file, the credentials and the token store, resolved.
pub struct Resolved {
    pub config: Config,
    /// The configuration file read, if any.
    pub config_path: Option<PathBuf>,
    /// The company chosen by --company or the config file (they agree, or this is an error).
    pub company: Option<Sourced>,
    /// The OAuth client id (--client-id or the config file), needed to talk to Concur.
    client_id: Option<String>,
    /// The client secret (LEDGERLINE_CLIENT_SECRET or the config file).
    client_secret: Option<String>,
    pub store: TokenStore,
    pub log: Option<Logger>,
}

impl Resolved {
    /// The OAuth client's id and secret, needed for every call to Concur (and not for what
    /// reads the token store only).
    pub fn credentials(&self) -> anyhow::Result<ClientCredentials> {
        let client_id = self.client_id.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "no OAuth client id: pass --client-id or set client_id in the config file"
            )
        })?;
        let client_secret = self.client_secret.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "no OAuth client secret: set LEDGERLINE_CLIENT_SECRET or client_secret in the config file"
            )
        })?;
        Ok(ClientCredentials {
            client_id,
            client_secret,
        })
    }

    /// The chosen company's id.
    pub fn company_id(&self) -> Option<&str> {
        self.company.as_ref().map(|c| c.value.as_str())
    }

    /// The config file's `base_url`, with where it came from.
    pub fn config_base_url(&self) -> Option<Sourced> {
        let value = self.config.base_url.clone()?;
        let path = self.config_path.clone().unwrap_or_default();
        Some(Sourced::config_file("base_url", path, value))
    }

    /// Opens the chosen company's connection (the only one when none is chosen), refused
    /// when it was made at another host than the config file's `base_url`.
    pub fn open_client(&self, opts: ClientOptions) -> Result<Client, Error> {
        let client = Client::open_company(
            self.store.clone(),
            self.company_id(),
            self.credentials()
                .map_err(|e| Error::Config(e.to_string()))?,
            opts,
            self.log.clone(),
        )?;
        self.stored_host_agrees(client.session().tokens())?;
        Ok(client)
    }

    /// The config file's `base_url` against the host a stored connection was made at
    /// (unknown for connections made before it was recorded).
    pub fn stored_host_agrees(
        &self,
        t: &ledgerline_fetch::store::StoredTokens,
    ) -> Result<(), Error> {
        let stored = t.base_url.clone().map(|value| Sourced {
            value,
            origin: Origin::StoredConnection {
                store: self.store.path().to_owned(),
                company: t.company_id.clone(),
            },
        });
        agree(self.config_base_url(), stored).map(|_| ())
    }

    /// "A (--company)", "A (company_id in the config file F)", "A (the token store's only
    /// connection)": which company a run uses and why.
    pub fn company_line(&self, t: &ledgerline_fetch::store::StoredTokens) -> String {
        let why = match self.company.as_ref().map(|c| &c.origin) {
            Some(Origin::Flag(flag)) => (*flag).to_owned(),
            Some(Origin::ConfigFile { key, path }) => {
                format!("{key} in the config file {}", path.display())
            }
            _ => "the token store's only connection".into(),
        };
        format!("{} ({why})", t.company_label())
    }

    /// The exit for an error of the fetch library: 3 (with the message) when a person has
    /// to run `connect`, else the error.
    pub fn exit_for(&self, e: Error) -> anyhow::Result<ExitCode> {
        if !e.needs_connect() {
            return Err(e.into());
        }
        let code = reconnect_exit(&e);
        if let (Error::UnknownCompany { .. }, Some(c)) = (&e, &self.company) {
            eprintln!("ledgerline: the company comes from {c}");
        }
        Ok(code)
    }
}

impl Common {
    fn config_path(&self) -> Option<PathBuf> {
        if let Some(p) = &self.config {
            return Some(p.clone());
        }
        if let Some(p) = std::env::var_os("LEDGERLINE_CONFIG").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        let p = base.join("ledgerline").join("concur.toml");
        p.exists().then_some(p)
    }

    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let config_path = self.config_path();
        let config: Config = match &config_path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading the config file {}", p.display()))?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("config file {}: {e}", p.display()))?
            }
            None => Config::default(),
        };
        let client_id = self.client_id.clone().or_else(|| config.client_id.clone());
        let client_secret = std::env::var("LEDGERLINE_CLIENT_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(|| config.client_secret.clone());
        let store_path = self
            .token_store
            .clone()
            .or_else(|| config.token_store.clone())
            .or_else(TokenStore::default_path)
            .ok_or_else(|| anyhow::anyhow!("no token store location: pass --token-store"))?;
        let log: Option<Logger> = self.verbose.then(|| {
            Arc::new(|line: &str| {
                let _ = writeln!(std::io::stderr(), "{line}");
            }) as Logger
        });
        let company = agree(
            self.company
                .as_deref()
                .map(|c| Sourced::flag("--company", c.trim())),
            config.company_id.as_deref().map(|c| {
                Sourced::config_file("company_id", config_path.clone().unwrap_or_default(), c)
            }),
        )?;
        Ok(Resolved {
            config,
            config_path,
            company,
            client_id,
            client_secret,
            store: TokenStore::new(store_path),
            log,
        })
    }
}

/// HTTP and client options from the config file.
pub fn client_options(c: &Config) -> anyhow::Result<ClientOptions> {
    let d = HttpOptions::default();
    let dur = |k: &str, v: &Option<String>| duration(k, v.as_deref());
    Ok(ClientOptions {
        http: HttpOptions {
            max_attempts: c.max_attempts.unwrap_or(d.max_attempts).max(1),
            backoff_base: dur("backoff_base", &c.backoff_base)?.unwrap_or(d.backoff_base),
            backoff_max: dur("backoff_max", &c.backoff_max)?.unwrap_or(d.backoff_max),
            connect_timeout: dur("connect_timeout", &c.connect_timeout)?
                .unwrap_or(d.connect_timeout),
            read_timeout: dur("read_timeout", &c.read_timeout)?.unwrap_or(d.read_timeout),
        },
        auth_scheme: c.auth_scheme.unwrap_or(AuthScheme::Bearer),
        refresh_on_403: c.refresh_on_403.unwrap_or(false),
        refresh_skew: dur("refresh_skew", &c.refresh_skew)?
            .unwrap_or(std::time::Duration::from_secs(300)),
    })
}

/// Prints the "run connect again" message and gives its exit code.
pub fn reconnect_exit(e: &Error) -> ExitCode {
    eprintln!("ledgerline: {e}");
    ExitCode::from(EXIT_RECONNECT)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EditionArg {
    Auto,
    Professional,
    Standard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SourceArg {
    /// Extract API jobs (Professional) or payment batches (Standard).
    Extract,
    /// Financial Integration Service documents (`ledgerline help confirm` for what follows).
    Fis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FormatArg {
    Xml,
    Json,
}

/// Download new accounting files from SAP Concur.
///
/// Professional Edition (Extract API): lists the extract definitions (by default the
/// Standard Accounting Extract and the Payment Request Accounting Extract), and downloads
/// every completed job not fetched before; with --run it first starts a job (unless one
/// started within the last hour), joins a job already in flight, and waits for it.
/// Standard Edition (Payment Batch API): lists open batches, closes them with --close,
/// and downloads the file of every closed batch not fetched before.
///
/// Files are written to --out under names derived from the definition and job (or the
/// batch); the paths of new files are printed on stdout, one per line. A SQLite run ledger
/// records each file with its SHA-256 so that a rerun fetches only what is new.
///
/// One run at a time per output folder and per run ledger: a second run on either is
/// refused at once (exit 5), naming the folder or ledger and the process id holding it. The
/// locks are the operating system's and go with the process, so a killed run leaves none
/// behind. Runs with other folders and ledgers but one token store take turns at refreshing
/// the tokens, and use the refresh token the other one saved.
///
/// With --convert, each new file is converted into --convert-out (default: a folder beside
/// the download folder, `<out>-converted`: `incoming` -> `incoming-converted`), never into
/// the download folder, and the journals written are recorded in the run ledger as
/// `convert --ledger` does: a journal posted before is skipped with a warning (JNL208), a
/// file with nothing new to post is not written.
///
/// Several companies: the token store holds one connection per company. --company (or the
/// config file's company_id) chooses one; with a single stored connection it is used; with
/// several and none chosen the run is refused, listing them. A config file's company_id and
/// base_url are never overridden: --company with another company, or a connection made at
/// another host than base_url, is refused naming both values (use a config file per company,
/// or one without company_id). Give each company its own --out.
///
/// Examples:
///   ledgerline fetch --config concur.toml --run --out incoming
///   ledgerline fetch --company 59c5bfd1-1803-4ca8-b43a-df083a5c60f9 --run --out incoming/acme
///   ledgerline fetch --company 0b7e24d2-9c31-4f0e-8d6a-2f3c1e5a7b90 --close --out incoming/globex
///   ledgerline fetch --run --out incoming --convert --to netsuite --rules ledgerline.toml
///   ledgerline fetch --source fis --out incoming/fis --convert --to netsuite
///
/// Exit codes: 0 done (possibly nothing new), 2 could not run, 3 the connection is gone
/// (run `ledgerline connect` again), 4 some job failed or some file could not be fetched
/// or converted, 5 another fetch run is using the output folder or the run ledger (wait for
/// it, or use another --out / --ledger).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Edition: detected from the company profile by default.
    #[arg(long, value_enum)]
    edition: Option<EditionArg>,
    /// Directory for the downloaded files (default: the config file's `out`, else `.`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run ledger (SQLite; default: the config file's `ledger`, else
    /// ~/.local/share/ledgerline/ledger.sqlite).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// Extract definition to fetch, by name or id (repeatable; Professional).
    #[arg(long = "definition", value_name = "NAME|ID")]
    definitions: Vec<String>,
    /// Start an extract job per definition and wait for it (Professional).
    #[arg(long)]
    run: bool,
    /// With --run: start a job even if one started within --min-run-interval.
    #[arg(long, requires = "run")]
    force_run: bool,
    /// Time between job status polls (e.g. 30s, 500ms).
    #[arg(long, value_name = "DURATION")]
    poll_interval: Option<String>,
    /// Longest wait for a job (e.g. 2h).
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// With --run: no new job when one started less than this ago (default 1h).
    #[arg(long, value_name = "DURATION")]
    min_run_interval: Option<String>,
    /// Close the open payment batches before downloading (Standard).
    #[arg(long)]
    close: bool,
    /// Extract API representation (XML is the documented one).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Convert each new file into journals with the journal pipeline (needs --to), into
    /// --convert-out, recording what is posted in the run ledger.
    #[arg(long, requires = "to")]
    convert: bool,
    /// Folder for the --convert outputs (default: `<out>-converted` beside the download
    /// folder). Never the download folder or a folder inside it.
    #[arg(long, value_name = "DIR", requires = "convert")]
    convert_out: Option<PathBuf>,
    /// Output format for --convert.
    #[arg(long, value_name = "FORMAT", requires = "convert")]
    to: Option<String>,
    /// Rules file for --convert (built-in defaults without one).
    #[arg(long, value_name = "FILE", requires = "convert")]
    rules: Option<PathBuf>,
    /// Print the run report as JSON on stdout instead of the file paths.
    #[arg(long)]
    json: bool,
    /// What to fetch: extract files (by edition), or Financial Integration Service documents
    /// (scope FISVC: each READY document stored as a file and acknowledged at once).
    #[arg(long, value_enum, default_value = "extract")]
    source: SourceArg,
    /// FIS document type (repeatable; default expense, invoice and cashadvance).
    #[arg(long = "doc-type", value_name = "TYPE")]
    doc_types: Vec<String>,
    /// FIS documents per page (Concur's default 25).
    #[arg(long, value_name = "N", default_value_t = 25)]
    limit: u32,
    /// The ERP system id sent to FIS with acknowledgements (default LEDGERLINE).
    #[arg(long, value_name = "ID")]
    system_id: Option<String>,
}

/// The format and rules of `--convert`, checked before anything is fetched.
fn convert_setup(
    a: &Args,
) -> anyhow::Result<
    Option<(
        ledgerline_erp::Format,
        std::sync::Arc<ledgerline_journal::Rules>,
    )>,
> {
    if !a.convert {
        return Ok(None);
    }
    let name = a.to.as_deref().unwrap_or("");
    let format = ledgerline_erp::Format::parse(name).ok_or_else(|| {
        anyhow::anyhow!(
            "--to {name}: unknown format; choose one of {}",
            ledgerline_erp::FORMATS
                .iter()
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let rules = match &a.rules {
        Some(p) => ledgerline_journal::Rules::load(p)?,
        None => ledgerline_journal::Rules::default(),
    };
    Ok(Some((format, std::sync::Arc::new(rules))))
}

/// The default `--convert-out`: `<out>-converted` beside the download folder.
fn default_convert_out(out: &Path) -> anyhow::Result<PathBuf> {
    let base = match out.file_name() {
        Some(_) => out.to_path_buf(),
        // `.`, `..`, `/`: name it after the folder it is.
        None => std::fs::canonicalize(out)
            .with_context(|| format!("resolving the download folder {}", out.display()))?,
    };
    let mut name = base
        .file_name()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "cannot name a folder beside {} for the converted files: pass --convert-out DIR",
                out.display()
            )
        })?
        .to_os_string();
    name.push("-converted");
    Ok(base.with_file_name(name))
}

/// `path` made absolute, with symbolic links resolved as far as it exists and `.` / `..`
/// applied to the rest.
fn resolved(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => continue,
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
        if let Ok(real) = std::fs::canonicalize(&out) {
            out = real;
        }
    }
    out
}

/// The folder of `--convert` outputs, checked to be outside the download folder (whose
/// every file a later `convert <out>/` would read).
fn convert_dir(flag: Option<&Path>, out: &Path) -> anyhow::Result<PathBuf> {
    let dir = match flag {
        Some(d) => d.to_path_buf(),
        None => default_convert_out(out)?,
    };
    let (d, o) = (resolved(&dir), resolved(out));
    if d.starts_with(&o) {
        anyhow::bail!(
            "--convert-out {}: that is {}the download folder {}, where the next `ledgerline convert {}` would post the journals again; choose a folder outside it (the default is {})",
            dir.display(),
            if d == o { "" } else { "inside " },
            out.display(),
            out.display(),
            default_convert_out(out)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "<out>-converted".into())
        );
    }
    Ok(dir)
}

/// `fetch --convert`: each new file is converted into `dir` (`<file name>.<format>`), only
/// when it has no error-level finding, leaving out the journals `ledger` records as posted
/// and recording the ones written; returns how many files could not be converted.
pub(crate) fn convert_fetched_files(
    files: &[PathBuf],
    format: ledgerline_erp::Format,
    rules: &std::sync::Arc<ledgerline_journal::Rules>,
    dir: &Path,
    ledger: &mut PostingLedger,
) -> anyhow::Result<usize> {
    if !files.is_empty() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the --convert-out folder {}", dir.display()))?;
    }
    let stderr = std::io::stderr();
    let paint = Paint(std::env::var_os("NO_COLOR").is_none() && stderr.is_terminal());
    let mut failed = 0;
    for f in files {
        let mut name = f.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{}", format.name()));
        let out = dir.join(name);
        let c = ledgerline_engine::convert_file(f, format, rules.clone(), &out, Some(ledger))?;
        print_text(
            &mut stderr.lock(),
            &c.run.reports,
            Severity::Warning,
            paint,
            false,
        )?;
        let posted_before = c.tally.posted_before();
        let posted_before = if posted_before > 0 {
            format!(
                ", {} posted already and left out (JNL208)",
                plural(posted_before, "journal")
            )
        } else {
            String::new()
        };
        if c.run.errors() > 0 || c.run.could_not_run {
            failed += 1;
            eprintln!(
                "{}: not converted ({} error-level finding(s)); see `ledgerline validate {}`",
                f.display(),
                c.run.errors(),
                f.display()
            );
        } else if c.written {
            eprintln!(
                "{} -> {} ({}, {}{posted_before})",
                f.display(),
                out.display(),
                plural(c.run.journals, "journal"),
                plural(c.run.lines, "line"),
            );
            for line in currency_lines(&c.tally.currencies) {
                eprintln!("{line}");
            }
        } else {
            eprintln!(
                "{}: nothing new to post{posted_before}; nothing written",
                f.display()
            );
        }
    }
    Ok(failed)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let convert = convert_setup(&a)?;
    let r = a.common.resolve()?;
    let c = &r.config;
    let opts = client_options(c)?;
    let dur = |k: &str, flag: &Option<String>, file: &Option<String>| {
        duration(k, flag.as_deref().or(file.as_deref()))
    };
    let edition = match a.edition {
        Some(EditionArg::Professional) => EditionChoice::Fixed(Edition::Professional),
        Some(EditionArg::Standard) => EditionChoice::Fixed(Edition::Standard),
        Some(EditionArg::Auto) => EditionChoice::Auto,
        None => match c.edition.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("auto") => EditionChoice::Auto,
            Some("professional") => EditionChoice::Fixed(Edition::Professional),
            Some("standard") => EditionChoice::Fixed(Edition::Standard),
            Some(other) => anyhow::bail!(
                "config file: edition {other:?} is not auto, professional or standard"
            ),
        },
    };
    let defaults = FetchPlan::default();
    let plan = FetchPlan {
        edition,
        out_dir: a
            .out
            .clone()
            .or_else(|| c.out.clone())
            .unwrap_or_else(|| PathBuf::from(".")),
        definitions: if a.definitions.is_empty() {
            c.definitions.clone().unwrap_or_default()
        } else {
            a.definitions.clone()
        },
        run: a.run,
        force_run: a.force_run,
        poll_interval: dur("poll_interval", &a.poll_interval, &c.poll_interval)?
            .unwrap_or(defaults.poll_interval),
        timeout: dur("timeout", &a.timeout, &c.timeout)?.unwrap_or(defaults.timeout),
        min_run_interval: dur("min_run_interval", &a.min_run_interval, &c.min_run_interval)?
            .unwrap_or(defaults.min_run_interval),
        close: a.close,
        format: match a.format {
            Some(FormatArg::Json) => Format::Json,
            Some(FormatArg::Xml) => Format::Xml,
            None => c.extract_format.unwrap_or_default(),
        },
        empty_batch_marker: c
            .empty_batch_marker
            .clone()
            .unwrap_or(defaults.empty_batch_marker),
        batch_close: ledgerline_fetch::batch::CloseOptions {
            api: c.batch_close.unwrap_or_default(),
            empty_marker: String::new(),
            timeout: duration("batch_close_timeout", c.batch_close_timeout.as_deref())?
                .unwrap_or(defaults.batch_close.timeout),
            poll: duration("batch_close_poll", c.batch_close_poll.as_deref())?
                .unwrap_or(defaults.batch_close.poll),
        },
    };
    let ledger_path = a
        .ledger
        .clone()
        .or_else(|| c.ledger.clone())
        .or_else(Ledger::default_path)
        .ok_or_else(|| anyhow::anyhow!("no run ledger location: pass --ledger"))?;
    // Exclusive for the whole run, conversion included; released by the OS at exit.
    let _lock = match FetchLock::acquire(&plan.out_dir, &ledger_path) {
        Ok(l) => l,
        Err(e @ Error::Busy { .. }) => {
            eprintln!("ledgerline: {e}");
            return Ok(ExitCode::from(EXIT_BUSY));
        }
        Err(e) => return Err(e.into()),
    };
    let convert_out = match &convert {
        Some(_) => Some(convert_dir(a.convert_out.as_deref(), &plan.out_dir)?),
        None => None,
    };
    let mut client = match r.open_client(opts) {
        Ok(c) => c,
        Err(e) => return r.exit_for(e),
    };
    eprintln!("company: {}", r.company_line(client.session().tokens()));
    let mut ledger = Ledger::open(&ledger_path)?;
    if a.source == SourceArg::Fis {
        let fis = ledgerline_fetch::fis::FisPlan {
            out_dir: plan.out_dir.clone(),
            doc_types: a.doc_types.clone(),
            limit: a.limit,
            system_id: a.system_id.clone().unwrap_or_else(|| "LEDGERLINE".into()),
            ..Default::default()
        };
        let convert = convert.as_ref().zip(convert_out.as_deref());
        return match crate::fis::fetch(&mut client, ledger, &fis, convert, a.json) {
            Err(e) => match e.downcast::<Error>() {
                Ok(e) => r.exit_for(e),
                Err(e) => Err(e),
            },
            ok => ok,
        };
    }
    let mut on_event = |e: &Event| print_event(e);
    let report = match client.fetch(&plan, &mut ledger, &mut on_event) {
        Ok(r) => r,
        Err(e) => return r.exit_for(e),
    };
    let mut out = crate::cli_io::stdout();
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        for f in &report.fetched {
            writeln!(out, "{}", f.path.display())?;
        }
    }
    eprintln!(
        "{} new file(s), {} already fetched, {} problem(s) ({} edition)",
        report.fetched.len(),
        report.already_fetched,
        report.failures.len(),
        report.edition
    );
    for n in &report.notes {
        eprintln!("note: {n}");
    }
    let mut not_converted = 0;
    if let (Some((format, rules)), Some(dir)) = (&convert, &convert_out) {
        let files: Vec<PathBuf> = report.fetched.iter().map(|f| f.path.clone()).collect();
        let mut posting = PostingLedger::wrap(ledger)?;
        for out in &posting.recovery().kept {
            eprintln!(
                "ledgerline: ledger: an interrupted run had written {out}: its journals stay recorded"
            );
        }
        for out in &posting.recovery().dropped {
            eprintln!(
                "ledgerline: ledger: an interrupted run never wrote {out}: its journals were not posted"
            );
        }
        not_converted = convert_fetched_files(&files, *format, rules, dir, &mut posting)?;
    }
    Ok(if report.failures.is_empty() && not_converted == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn print_event(e: &Event) {
    let line = match e {
        Event::Edition { edition, detected } => format!(
            "edition: {edition}{}",
            if *detected {
                " (from the company profile)"
            } else {
                ""
            }
        ),
        Event::CleanedPartials(n) => {
            format!("removed {n} partial download(s) left by an interrupted run")
        }
        Event::Definition { name } => format!("definition: {name}"),
        Event::JobStarted { job } => format!("  started job {job}"),
        Event::JobConflict { definition } => {
            format!("  a job of {definition} is already queued or running (409); joining it")
        }
        Event::JobJoined { job } => format!("  waiting for job {job}"),
        Event::RunSkipped { job, age } => format!(
            "  not starting a job: job {job} started {} min ago (--force-run to override)",
            age.as_secs() / 60
        ),
        Event::JobStatus { job, status } => format!("  job {job}: {status}"),
        Event::BatchOpen { name, count } => format!("open batch: {name} ({count} reports)"),
        Event::BatchClosed { name } => format!("  closed batch {name}"),
        Event::BatchEmpty { name, message } => {
            format!("  batch {name} is empty and stays open: {message}")
        }
        Event::Fetched(r) => format!(
            "  fetched {} ({} bytes, sha256 {}) <- {}",
            r.path.display(),
            r.bytes,
            r.sha256,
            r.label
        ),
        Event::Failed(f) => format!("  FAILED {}: {}", f.what, f.message),
        _ => return,
    };
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_convert_folder_is_a_sibling_of_the_download_folder() {
        let p = |s: &str| default_convert_out(Path::new(s)).unwrap();
        assert_eq!(p("incoming"), PathBuf::from("incoming-converted"));
        assert_eq!(p("incoming/"), PathBuf::from("incoming-converted"));
        assert_eq!(p("/data/in"), PathBuf::from("/data/in-converted"));
        let cwd = std::fs::canonicalize(".").unwrap();
        let mut name = cwd.file_name().unwrap().to_os_string();
        name.push("-converted");
        assert_eq!(p("."), cwd.with_file_name(name));
        assert!(default_convert_out(Path::new("/")).is_err());
    }

    #[test]
    fn the_convert_folder_is_never_the_download_folder_or_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("incoming");
        std::fs::create_dir_all(&out).unwrap();
        assert_eq!(
            convert_dir(None, &out).unwrap(),
            dir.path().join("incoming-converted")
        );
        let elsewhere = dir.path().join("journals");
        assert_eq!(convert_dir(Some(&elsewhere), &out).unwrap(), elsewhere);
        for bad in [
            out.clone(),
            out.join("."),
            out.join("sub/deeper"),
            dir.path().join("x/../incoming"),
        ] {
            let e = convert_dir(Some(&bad), &out).unwrap_err().to_string();
            assert!(e.contains("choose a folder outside it"), "{bad:?}: {e}");
        }
        // A link that leads into the download folder is seen through.
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&out, &link).unwrap();
            assert!(convert_dir(Some(&link.join("converted")), &out).is_err());
        }
    }
}

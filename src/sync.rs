//! `ledgerline sync`: ERP master data into SAP Concur (cost-object lists), planned against
//! what Concur holds and applied only with `--apply`, every record in the run ledger.

use crate::fetch::{Common, EXIT_PARTIAL, client_options};
use anyhow::Context;
use ledgerline_findings::Severity;
use ledgerline_ledger::Ledger;
use ledgerline_sync::{Api, Kind, Mapping, Options, Report};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Changes listed one per line before the summary; the rest are counted.
const LISTED: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum KindArg {
    /// Cost-object list items (List Item Bulk v4).
    Lists,
    /// Write a commented starter mapping for the kind given as INPUT.
    Init,
}

/// Send ERP master data to SAP Concur: cost objects into a Concur list (simple or
/// connected), planned first, applied only with --apply.
///
/// Reads the ERP export (CSV with any of , ; tab | as delimiter, or Parquet), maps its
/// columns with the [sync.lists] section of --map (`ledgerline sync init lists` writes a
/// commented starter; `preset = "netsuite-saved-search"` or `"sap-cost-centres"` fits those
/// exports in one line), checks every row against Concur's rules, reads the Concur list
/// page by page, and prints the plan by long code:
///
///   + 120 create, ~ 8 update, - 3 deactivate, = 4,512 unchanged
///
/// Rows Concur would refuse or misread are findings (SYN3xx) with file, line and column,
/// and are not sent: an empty code, a code twice, a code with `-` (Concur joins the
/// levels of a connected list with `-`), a code over 32 or a name over 64 characters, a
/// level deeper than the list has, a code Concur holds as deleted (it stays reserved;
/// `on_deleted = "reactivate"` sends `deleted: false` instead). The rest is sent, unless
/// --strict.
///
/// With --apply the plan is sent with List Item Bulk v4: calls of at most 250 items, parents
/// before children, each item's result mapped back to its input line. Items Concur has and
/// the export lacks are only counted, unless --delete-missing deactivates them (Concur keeps
/// deleted items, and deleting a parent deletes its children; an item whose children the
/// export still has is kept). Every outcome is recorded in the run ledger with a hash of
/// what was sent, before (pending) and after each call, so a re-run sends nothing for
/// unchanged items and a killed run resumes without duplicates.
///
/// Connection settings are those of `ledgerline fetch` (--config, --company, the token
/// store of `ledgerline connect`).
///
/// Examples:
///   ledgerline sync init lists > sync.toml
///   ledgerline sync lists cost-centres.csv --map sync.toml
///   ledgerline sync lists cost-centres.csv --map sync.toml --apply
///   ledgerline sync lists cost-centres.parquet --map sync.toml --apply --delete-missing
///   ledgerline sync lists export.csv --map sync.toml --company 59c5bfd1-1803-4ca8-b43a-df083a5c60f9 --json
///
/// Exit codes: 0 done (possibly nothing to do), 1 some rows were refused by a finding (the
/// rest was sent; with --strict nothing was), 2 could not run, 3 the connection is gone (run
/// `ledgerline connect` again), 4 Concur refused some items or the run stopped before every
/// answer came (run it again to finish).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// What to sync (`lists`), or `init` to print a starter mapping for INPUT's kind.
    #[arg(value_enum, value_name = "KIND")]
    kind: KindArg,
    /// The ERP export, CSV or Parquet (after `init`: the kind, e.g. `lists`).
    #[arg(value_name = "INPUT")]
    input: String,
    /// The mapping file with the [sync.lists] section (it may be your ledgerline.toml).
    #[arg(long, value_name = "FILE")]
    map: Option<PathBuf>,
    /// Send the plan to Concur (without it nothing is sent).
    #[arg(long)]
    apply: bool,
    /// Deactivate what Concur has and the export no longer does.
    #[arg(long)]
    delete_missing: bool,
    /// Send nothing when any row has an error-level finding.
    #[arg(long)]
    strict: bool,
    /// Print the report as JSON on stdout (and nothing else there).
    #[arg(long)]
    json: bool,
    /// Run ledger (SQLite; default: the config file's `ledger`, else
    /// ~/.local/share/ledgerline/ledger.sqlite).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    if a.kind == KindArg::Init {
        let text = Kind::parse(&a.input)
            .and_then(ledgerline_sync::starter)
            .ok_or_else(|| anyhow::anyhow!("sync init {}: the kinds are: lists", a.input))?;
        let mut out = crate::cli_io::stdout();
        out.write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let map = a.map.as_deref().ok_or_else(|| {
        anyhow::anyhow!("--map FILE is needed (`ledgerline sync init lists` writes one)")
    })?;
    let mapping = Mapping::load(map)?;
    // Mapping mistakes are found before anything is sent or connected.
    mapping.lists()?;
    let input = PathBuf::from(&a.input);
    if !input.is_file() {
        anyhow::bail!("{}: no such file", input.display());
    }
    let r = a.common.resolve()?;
    let opts = client_options(&r.config)?;
    let ledger_path = a
        .ledger
        .clone()
        .or_else(|| r.config.ledger.clone())
        .or_else(Ledger::default_path)
        .ok_or_else(|| anyhow::anyhow!("no run ledger location: pass --ledger"))?;
    let mut client = match r.open_client(opts) {
        Ok(c) => c,
        Err(e) => return r.exit_for(e),
    };
    let company = client.session().tokens().company_label();
    eprintln!("company: {}", r.company_line(client.session().tokens()));
    let mut ledger = Ledger::open(&ledger_path)
        .with_context(|| format!("opening the run ledger {}", ledger_path.display()))?;
    let sync_opts = Options {
        apply: a.apply,
        delete_missing: a.delete_missing,
        strict: a.strict,
    };
    let quiet = a.json;
    let mut progress = |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let mut api = Api::new(&mut client);
    let result = ledgerline_sync::lists::sync(
        &mut api,
        &mut ledger,
        &company,
        &mapping,
        &input,
        &sync_opts,
        &mut progress,
    );
    let report = match result {
        Ok(rep) => rep,
        Err(ledgerline_sync::SyncError::Fetch(e)) => return r.exit_for(e),
        Err(e) => return Err(e.into()),
    };
    print(&report, &a)?;
    Ok(exit_code(&report))
}

fn exit_code(r: &Report) -> ExitCode {
    if r.incomplete() {
        ExitCode::from(EXIT_PARTIAL)
    } else if r.errors() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print(r: &Report, a: &Args) -> anyhow::Result<()> {
    let mut out = crate::cli_io::stdout();
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(r)?)?;
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    for f in &r.findings {
        writeln!(err, "{f}")?;
    }
    writeln!(out, "{}", r.plan_line())?;
    for c in r.changes.iter().take(LISTED) {
        let line = c.line.map(|l| format!("  (line {l})")).unwrap_or_default();
        writeln!(out, "  {} {}  {}{line}", c.action.sign(), c.key, c.detail)?;
    }
    if r.changes.len() > LISTED {
        writeln!(
            out,
            "  ... and {} more (--json lists them all)",
            r.changes.len() - LISTED
        )?;
    }
    if a.strict && r.errors() > 0 && a.apply {
        writeln!(
            out,
            "--strict: nothing sent, {} row(s) have error-level findings",
            r.findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count()
        )?;
    }
    writeln!(out, "{}", r.summary_line())?;
    Ok(())
}

//! `ledgerline sync`: ERP master data into SAP Concur (cost-object lists, Invoice vendors,
//! purchase orders, receipts), planned against what Concur holds and applied only with
//! `--apply`, every record in the run ledger, one sync run per ledger at a time.

use crate::fetch::{Common, EXIT_PARTIAL, client_options};
use anyhow::Context;
use ledgerline_findings::Severity;
use ledgerline_ledger::Ledger;
use ledgerline_sync::{Api, Kind, Mapping, Options, Report, SyncLock};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Changes listed one per line before the summary; the rest are counted.
const LISTED: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum KindArg {
    /// Cost-object list items (List Item Bulk v4).
    Lists,
    /// Invoice vendors (Vendor v3.1).
    Vendors,
    /// Purchase orders (Purchase Order v3).
    PurchaseOrders,
    /// Purchase-order receipts (Purchase Order Receipts v3).
    Receipts,
    /// Write a commented starter mapping for the kind given as INPUT.
    Init,
}

/// Send ERP master data to SAP Concur: cost objects into a Concur list (simple or
/// connected), Invoice vendors, purchase orders and their receipts; planned first, applied
/// only with --apply.
///
/// Reads the ERP export (CSV with any of , ; tab | as delimiter, or Parquet), maps its
/// columns with the [sync.<kind>] section of --map (`ledgerline sync init KIND` writes a
/// commented starter; for lists `preset = "netsuite-saved-search"` or `"sap-cost-centres"`
/// fits those exports in one line), checks every row against Concur's rules, reads what
/// Concur holds, and prints the plan by natural key (list long code; VendorCode +
/// AddressCode; PO number; PO number + line ExternalID + GoodsReceiptNumber):
///
///   + 120 create, ~ 8 update, - 3 deactivate, = 4,512 unchanged
///
/// Rows Concur would refuse or misread are findings (SYN3xx) with file, line and column,
/// and are not sent: a missing key or required field, a key twice, a list code with `-`
/// (Concur joins the levels of a connected list with `-`), a code over 32 or a name over
/// 64 characters, a level deeper than the list has, a code Concur holds as deleted, a
/// country or currency that is not an ISO code, an amount, quantity or date Concur cannot
/// read, a PO whose vendor Concur does not have, a PO line that breaks a documented PO rule
/// (ExpenseType xor AccountCode, zero total, tax sign), a receipt for a PO line Concur
/// does not have. The rest is sent, unless --strict.
///
/// With --apply: lists go by List Item Bulk v4 in calls of at most 250 items, parents
/// first; vendors by Vendor v3.1 POST (create) and PUT (update), each record's StatusList
/// read even on HTTP 200; purchase orders one per call, POST to create and PUT to update,
/// Concur's error code mapped back to the failing line's row; receipts as goods receipts
/// (POST/PUT) or as the received flag (`model = "received-flag"`, PUT). What Concur has
/// and the export lacks is only counted, unless --delete-missing deactivates list items,
/// deletes vendors, or deletes goods receipts this ledger sent (Purchase Order v3 has no
/// delete, so purchase orders and received flags refuse it). Every outcome is recorded in
/// the run ledger with a hash of what was sent, before (pending) and after each call, so a
/// re-run sends nothing for unchanged records and a killed run resumes without duplicates.
/// One sync run at a time per run ledger: a second is refused, naming the holder.
///
/// Connection settings are those of `ledgerline fetch` (--config, --company, the token
/// store of `ledgerline connect`).
///
/// Examples:
///   ledgerline sync init lists > sync.toml
///   ledgerline sync lists cost-centres.csv --map sync.toml
///   ledgerline sync lists cost-centres.csv --map sync.toml --apply
///   ledgerline sync lists cost-centres.parquet --map sync.toml --apply --delete-missing
///   ledgerline sync vendors vendors.csv --map sync.toml --apply
///   ledgerline sync purchase-orders po-lines.csv --map sync.toml --apply --strict
///   ledgerline sync receipts receipts.csv --map sync.toml --apply --json
///
/// Exit codes: 0 done (possibly nothing to do), 1 some rows were refused by a finding (the
/// rest was sent; with --strict nothing was), 2 could not run (also: another sync run holds
/// the ledger), 3 the connection is gone (run `ledgerline connect` again), 4 Concur refused
/// some records or the run stopped before every answer came (run it again to finish).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// What to sync (`lists`, `vendors`, `purchase-orders`, `receipts`), or `init` to print a
    /// starter mapping for INPUT's kind.
    #[arg(value_enum, value_name = "KIND")]
    kind: KindArg,
    /// The ERP export, CSV or Parquet (after `init`: the kind, e.g. `vendors`).
    #[arg(value_name = "INPUT")]
    input: String,
    /// The mapping file with the [sync.<kind>] section (it may be your ledgerline.toml).
    #[arg(long, value_name = "FILE")]
    map: Option<PathBuf>,
    /// Send the plan to Concur (without it nothing is sent).
    #[arg(long)]
    apply: bool,
    /// Deactivate (list items) or delete (vendors, goods receipts this ledger sent) what
    /// Concur has and the export no longer does.
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
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "sync init {}: the kinds are: lists, vendors, purchase-orders, receipts",
                    a.input
                )
            })?;
        let mut out = crate::cli_io::stdout();
        out.write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let kind = match a.kind {
        KindArg::Lists | KindArg::Init => Kind::Lists,
        KindArg::Vendors => Kind::Vendors,
        KindArg::PurchaseOrders => Kind::PurchaseOrders,
        KindArg::Receipts => Kind::Receipts,
    };
    let map = a.map.as_deref().ok_or_else(|| {
        anyhow::anyhow!(
            "--map FILE is needed (`ledgerline sync init {}` writes one)",
            kind.name()
        )
    })?;
    let mapping = Mapping::load(map)?;
    // Mapping mistakes are found before anything is sent or connected.
    mapping.check(kind)?;
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
    // One sync run per ledger: taken before connecting, held to the end.
    let _lock = SyncLock::acquire(&ledger_path)?;
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
    let run = match kind {
        Kind::Lists => ledgerline_sync::lists::sync,
        Kind::Vendors => ledgerline_sync::vendors::sync,
        Kind::PurchaseOrders => ledgerline_sync::purchase_orders::sync,
        Kind::Receipts => ledgerline_sync::receipts::sync,
    };
    let result = run(
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

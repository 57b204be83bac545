//! `ledgerline entry get`: one expense entry's details from Concur (Expense Entry v1.1,
//! through the stored connection).

use crate::fetch::{Common, client_options};
use std::io::Write;
use std::process::ExitCode;

/// Look up expense entries in Concur (Expense Entry v1.1).
///
/// Concur has deprecated Expense Entry v1.1 (the entry list was decommissioned in 2023);
/// Expenses v4 replaces it. The single-entry look-up is what Ledgerline uses, to explain an
/// extract line.
///
/// Examples:
///   ledgerline entry get 8B1F3C0D2A7E4F5B9C6D 1842 --config concur.toml
///   ledgerline entry get 8B1F3C0D2A7E4F5B9C6D 1842 --company 59c5bfd1-1803-4ca8-b43a-df083a5c60f9 --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    Get(GetArgs),
}

/// Print one expense entry: its type, date, amounts, payment type, vendor and every other
/// field Concur gives (XML read; --json prints it as JSON).
///
/// REPORT_ID is the report's id (SAE column 19), ENTRY_ID the entry's (as Concur's
/// Report-Entry-Details-Url gives it). The call uses the stored connection of the company
/// (--company, the config file's company_id, or the token store's only one).
///
/// Examples:
///   ledgerline entry get 8B1F3C0D2A7E4F5B9C6D 1842 --config concur.toml
///   ledgerline entry get 8B1F3C0D2A7E4F5B9C6D 1842 --company 59c5bfd1-1803-4ca8-b43a-df083a5c60f9 --json
///
/// Exit codes: 0 printed, 2 could not run (no such entry, network), 3 the connection is gone.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
struct GetArgs {
    #[command(flatten)]
    common: Common,
    /// The report's id.
    report_id: String,
    /// The entry's id.
    entry_id: String,
    /// Print the entry as one JSON document.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Sub::Get(g) = a.command;
    let r = g.common.resolve()?;
    let mut client = match r.open_client(client_options(&r.config)?) {
        Ok(c) => c,
        Err(e) => return r.exit_for(e),
    };
    let e = match client.get_entry(&g.report_id, &g.entry_id) {
        Ok(e) => e,
        Err(e) => return r.exit_for(e),
    };
    let mut out = crate::cli_io::stdout();
    if g.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&e)?)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let or_dash = |s: &str| {
        if s.is_empty() {
            "-".to_owned()
        } else {
            s.to_owned()
        }
    };
    writeln!(out, "report:           {}", or_dash(&e.report_id))?;
    writeln!(out, "entry:            {}", or_dash(&e.entry_id))?;
    writeln!(
        out,
        "expense type:     {} ({})",
        or_dash(&e.expense_name),
        or_dash(&e.expense_key)
    )?;
    writeln!(out, "date:             {}", or_dash(&e.transaction_date))?;
    writeln!(
        out,
        "amount:           {} (posted {}, approved {})",
        or_dash(&e.transaction_amount),
        or_dash(&e.posted_amount),
        or_dash(&e.approved_amount)
    )?;
    writeln!(out, "payment type:     {}", or_dash(&e.payment_type))?;
    writeln!(out, "vendor:           {}", or_dash(&e.vendor))?;
    writeln!(out, "business purpose: {}", or_dash(&e.business_purpose))?;
    writeln!(
        out,
        "personal:         {}",
        if e.personal { "yes" } else { "no" }
    )?;
    const SHOWN: &[&str] = &[
        "ReportID",
        "ReportEntryID",
        "ExpenseKey",
        "ExpenseName",
        "TransactionDate",
        "TransactionAmount",
        "PostedAmount",
        "ApprovedAmount",
        "PaymentTypeKey",
        "VendorDescription",
        "BusinessPurpose",
        "IsPersonal",
    ];
    let rest: Vec<_> = e
        .fields
        .iter()
        .filter(|(k, _)| !SHOWN.contains(&k.as_str()))
        .collect();
    if !rest.is_empty() {
        writeln!(out, "other fields:")?;
        for (k, v) in rest {
            writeln!(out, "  {k}: {v}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

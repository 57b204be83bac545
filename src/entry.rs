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
///   ledgerline entry get 8B1F3C0D2A7E4F5B9C6D 1842 --company 59c5bfd1 --json
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
///   ledgerline entry get 8B1F3C0D2A7E4F5B9C6D 1842 --company 59c5bfd1 --json
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

/// At most this many entries are looked up by `inspect --entries` (one call each).
pub const MAX_LOOKUPS: usize = 50;

/// One exception's extract line, its entry, and what Concur said about it.
#[derive(Debug, serde::Serialize)]
pub struct Looked {
    /// The exception's kind.
    pub kind: String,
    /// The extract file and line.
    pub file: String,
    /// Line number (1-based).
    pub line: u64,
    /// SAE column 19.
    pub report_id: String,
    /// SAE column 61.
    pub entry_id: String,
    /// The entry, when Concur gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<ledgerline_fetch::entry::ExpenseEntry>,
    /// Why not, otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// (report id, entry id) of SAE detail lines `wanted` (1-based) of `path`: columns 19 and
/// 61, read by splitting on `|` (ids hold no `|`; a line whose quoted text holds one is
/// left out rather than misread).
fn entry_ids(
    path: &std::path::Path,
    wanted: &[u64],
) -> std::io::Result<Vec<(u64, String, String)>> {
    use std::io::BufRead;
    let f = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut out = Vec::new();
    let last = wanted.iter().copied().max().unwrap_or(0);
    for (i, line) in f.split(b'\n').enumerate() {
        let n = i as u64 + 1;
        if n > last {
            break;
        }
        let line = line?;
        if !wanted.contains(&n) || line.contains(&b'"') {
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let cols: Vec<&str> = text.trim_end_matches('\r').split('|').collect();
        if cols.first() != Some(&"DETAIL") || cols.len() < 61 {
            continue;
        }
        let (report, entry) = (cols[18].trim(), cols[60].trim());
        if !report.is_empty() && !entry.is_empty() {
            out.push((n, report.to_owned(), entry.to_owned()));
        }
    }
    Ok(out)
}

/// `inspect --entries`: the expense entries behind the exceptions that name extract lines
/// of SAE files on disk, looked up in Concur with the stored connection (`common` chooses
/// it as for `fetch`). At most [`MAX_LOOKUPS`]; `Err` when no connection could be opened.
pub fn enrich(
    common: &Common,
    exceptions: &[ledgerline_inspect::inspector::Exception],
) -> anyhow::Result<(Vec<Looked>, usize)> {
    let mut wanted: Vec<(String, String, u64, String, String)> = Vec::new();
    let mut by_file: std::collections::BTreeMap<&str, Vec<(u64, &str)>> = Default::default();
    for ex in exceptions {
        let Some(file) = ex.file.as_deref() else {
            continue;
        };
        for &l in &ex.lines {
            by_file.entry(file).or_default().push((l, ex.kind));
        }
    }
    for (file, lines) in by_file {
        let path = std::path::Path::new(file);
        if !path.is_file() {
            continue;
        }
        let numbers: Vec<u64> = lines.iter().map(|(l, _)| *l).collect();
        for (n, report, entry) in entry_ids(path, &numbers)? {
            for (_, kind) in lines.iter().filter(|(l, _)| *l == n) {
                wanted.push((
                    kind.to_string(),
                    file.to_owned(),
                    n,
                    report.clone(),
                    entry.clone(),
                ));
            }
        }
    }
    let total = wanted.len();
    if wanted.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let r = common.resolve()?;
    let mut client = r.open_client(client_options(&r.config)?)?;
    let mut out = Vec::new();
    // One look-up per entry; an error is shared by every exception of its entry.
    type Got = Result<ledgerline_fetch::entry::ExpenseEntry, std::rc::Rc<ledgerline_fetch::Error>>;
    let mut seen: std::collections::HashMap<(String, String), Got> = Default::default();
    for (kind, file, line, report_id, entry_id) in wanted.into_iter().take(MAX_LOOKUPS) {
        let key = (report_id.clone(), entry_id.clone());
        let got = match seen.get(&key) {
            Some(g) => g.clone(),
            None => {
                let g = client
                    .get_entry(&report_id, &entry_id)
                    .map_err(std::rc::Rc::new);
                seen.insert(key, g.clone());
                g
            }
        };
        let (entry, error) = match got {
            Ok(e) => (Some(e), None),
            Err(e) => (None, Some(e.to_string())),
        };
        out.push(Looked {
            kind,
            file,
            line,
            report_id,
            entry_id,
            entry,
            error,
        });
    }
    Ok((out, total))
}

/// The looked-up entries as text, under the views.
pub fn write_looked(out: &mut impl Write, looked: &[Looked], total: usize) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Expense entries behind the exceptions (Expense Entry v1.1, {} of {total} looked up)",
        looked.len()
    )?;
    for l in looked {
        let what = match (&l.entry, &l.error) {
            (Some(e), _) => format!(
                "{} ({}) {} {} {}, payment {}{}",
                e.expense_name,
                e.expense_key,
                e.transaction_date.get(..10).unwrap_or(&e.transaction_date),
                e.transaction_amount,
                if e.vendor.is_empty() { "-" } else { &e.vendor },
                e.payment_type,
                if e.business_purpose.is_empty() {
                    String::new()
                } else {
                    format!(", purpose {:?}", e.business_purpose)
                }
            ),
            (None, Some(err)) => format!("no entry from Concur: {err}"),
            (None, None) => "not looked up".into(),
        };
        writeln!(
            out,
            "  {} {}:{} report {} entry {}: {what}",
            l.kind, l.file, l.line, l.report_id, l.entry_id
        )?;
    }
    Ok(())
}

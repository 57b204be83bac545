//! `ledgerline fetch --source fis` (what it stores and prints) and `ledgerline confirm`:
//! posting and payment confirmations for FIS documents back to Concur.

use anyhow::Context;
use ledgerline_fetch::Client;
use ledgerline_fetch::fis::{ConfirmPlan, ErpOutcome, ErpOutcomes, FisEvent, FisPlan};
use ledgerline_ledger::{Ledger, PostingLedger};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `fetch --source fis`: documents stored and acknowledged, their paths on stdout (or the
/// report as JSON); with `convert`, each new document converted into its own directory.
pub fn fetch(
    client: &mut Client,
    mut ledger: Ledger,
    plan: &FisPlan,
    convert: Option<(
        &(
            ledgerline_erp::Format,
            std::sync::Arc<ledgerline_journal::Rules>,
        ),
        &Path,
    )>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut on_event = |e: &FisEvent| match e {
        FisEvent::Page {
            doc_type,
            page,
            documents,
        } => eprintln!("{doc_type}: page {page}, {documents} document(s)"),
        FisEvent::Acknowledged(f) => eprintln!(
            "  stored and acknowledged {} ({}{})",
            f.path.display(),
            f.doc_id,
            f.report_id
                .as_deref()
                .map(|r| format!(", report {r}"))
                .unwrap_or_default()
        ),
        FisEvent::Refused(f) => eprintln!("  NOT ACKNOWLEDGED {}: {}", f.what, f.message),
        _ => {}
    };
    let report = client.fetch_fis(plan, &mut ledger, &mut on_event)?;
    let mut out = crate::cli_io::stdout();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        for f in &report.fetched {
            writeln!(out, "{}", f.path.display())?;
        }
    }
    out.flush()?;
    eprintln!(
        "{} document(s) stored and acknowledged, {} refused ({} page(s) read)",
        report.fetched.len(),
        report.failures.len(),
        report.pages
    );
    let mut not_converted = 0;
    if let Some(((format, rules), dir)) = convert {
        let files: Vec<PathBuf> = report.fetched.iter().map(|f| f.path.clone()).collect();
        let mut posting = PostingLedger::wrap(ledger)?;
        not_converted =
            crate::fetch::convert_fetched_files(&files, *format, rules, dir, &mut posting)
                .context("converting the FIS documents")?;
    }
    Ok(if report.failures.is_empty() && not_converted == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::fetch::EXIT_PARTIAL)
    })
}

/// Send posting confirmations (and payment confirmations) for FIS documents back to Concur.
///
/// Each journal is matched to the FIS document it came from (recorded by `fetch --source
/// fis`: a report's journal id is its report id, a cash advance's `CA-<id>`). A success
/// carries the ERP document numbers: from `--success JOURNAL_ID=ERPDOC`, or from the ERP's
/// import result file (`--result FILE` with `--result-map journal=COL,document=COL`, and
/// optionally `status=COL` and `message=COL`: a row whose status is not ok, success,
/// posted or empty makes its journal a failure with the row's message). A failure
/// (`--failure JOURNAL_ID=MESSAGE`, repeatable for several messages) sends the ERP's
/// messages; Concur then returns the report to its processor and later sends it again as a
/// new document, so the journal is forgotten in the posting ledger: back out whatever the
/// ERP did post of it, and the new document's journal is posted like a new one.
///
/// Refused with the reason, and nothing sent for them: a journal of no FIS document, one
/// whose document was never acknowledged, a success for a journal the posting ledger does
/// not record as posted. A repeat sends nothing: a document whose confirmation Concur has
/// accepted is skipped, and its recorded result shown. Concur's answer for each document
/// (SUCCESS, NOT_YET_ACKNOWLEDGED, WAS_RECALLED, FAILURE ..., with its code: 0, 111, 112,
/// 113, 116 ...) is shown and recorded in the run ledger.
///
/// With --payment, payment confirmations (processing status CP, clearing today, the
/// report's total) follow for every expense document whose successful posting Concur has
/// accepted and whose payment is not confirmed yet; a repeated payment is NOOP (213).
///
/// Examples:
///   ledgerline confirm --success 7E141428931340B990A3=5100004711
///   ledgerline confirm --result erp-import-log.csv --result-map journal=External ID,document=Document Number,status=Status,message=Message
///   ledgerline confirm --failure 52F40A7F26D74F1AAFFB="Cost center 4711 is blocked"
///   ledgerline confirm --payment
///
/// Exit codes: 0 every confirmation accepted (or nothing to send), 2 could not run, 3 the
/// connection is gone, 4 something was refused here or by Concur.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ConfirmArgs {
    #[command(flatten)]
    common: crate::fetch::Common,
    /// Run ledger (default: the config file's `ledger`, else the default location).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// A journal posted, with its ERP document number (repeatable).
    #[arg(long = "success", value_name = "JOURNAL_ID=ERPDOC")]
    success: Vec<String>,
    /// A journal the ERP refused, with its message (repeatable).
    #[arg(long = "failure", value_name = "JOURNAL_ID=MESSAGE")]
    failure: Vec<String>,
    /// The ERP's import result file (CSV with a header row).
    #[arg(long, value_name = "FILE", requires = "result_map")]
    result: Option<PathBuf>,
    /// Columns of --result: journal=COL,document=COL[,status=COL,message=COL].
    #[arg(long, value_name = "MAP", requires = "result")]
    result_map: Option<String>,
    /// Also send payment confirmations for documents whose posting Concur accepted.
    #[arg(long)]
    payment: bool,
    /// The ERP system id (default: the one the documents were acknowledged with).
    #[arg(long, value_name = "ID")]
    system_id: Option<String>,
    /// Print the results as JSON on stdout.
    #[arg(long)]
    json: bool,
}

fn pairs(v: &[String], flag: &str) -> anyhow::Result<Vec<(String, String)>> {
    v.iter()
        .map(|p| {
            p.split_once('=')
                .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .ok_or_else(|| anyhow::anyhow!("{flag} {p}: write JOURNAL_ID=VALUE"))
        })
        .collect()
}

/// The rows of an ERP import result file, as (journal id, document, ok, message).
fn result_rows(path: &Path, map: &str) -> anyhow::Result<Vec<(String, String, bool, String)>> {
    let mut cols = std::collections::HashMap::new();
    for part in map.split(',') {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            anyhow::anyhow!("--result-map {map}: write key=COLUMN, comma separated")
        })?;
        let k = k.trim();
        if !["journal", "document", "status", "message"].contains(&k) {
            anyhow::bail!("--result-map: `{k}` is not one of journal, document, status, message");
        }
        cols.insert(k.to_owned(), v.trim().to_owned());
    }
    for need in ["journal", "document"] {
        if !cols.contains_key(need) {
            anyhow::bail!("--result-map: `{need}=COLUMN` is missing");
        }
    }
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = ledgerline_guard::csvfile::Reader::new(std::io::BufReader::new(file));
    let header = reader
        .next_record()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .ok_or_else(|| anyhow::anyhow!("{}: empty", path.display()))?;
    let index = |k: &str| -> anyhow::Result<Option<usize>> {
        let Some(name) = cols.get(k) else {
            return Ok(None);
        };
        header
            .fields
            .iter()
            .position(|f| f.trim().eq_ignore_ascii_case(name))
            .map(Some)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: no column `{name}` (--result-map {k}); the header has: {}",
                    path.display(),
                    header.fields.join(", ")
                )
            })
    };
    let (j, d, s, m) = (
        index("journal")?.unwrap_or(0),
        index("document")?.unwrap_or(0),
        index("status")?,
        index("message")?,
    );
    let mut rows = Vec::new();
    while let Some(r) = reader
        .next_record()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
    {
        let get = |i: usize| {
            r.fields
                .get(i)
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let journal = get(j);
        if journal.is_empty() {
            continue;
        }
        let ok = s.is_none_or(|i| {
            matches!(
                get(i).to_ascii_lowercase().as_str(),
                "" | "ok" | "success" | "posted" | "s"
            )
        });
        rows.push((journal, get(d), ok, m.map(get).unwrap_or_default()));
    }
    Ok(rows)
}

/// `ledgerline confirm`: what the ERP said read from the flags and the result file, the
/// confirmations sent by `Client::confirm_fis`, its lines printed.
pub fn confirm(a: ConfirmArgs) -> anyhow::Result<ExitCode> {
    let mut outcomes = ErpOutcomes::new();
    for (j, d) in pairs(&a.success, "--success")? {
        outcomes.add(j, ErpOutcome::Posted(vec![d]));
    }
    for (j, m) in pairs(&a.failure, "--failure")? {
        outcomes.add(j, ErpOutcome::Refused(vec![m]));
    }
    if let (Some(path), Some(map)) = (&a.result, &a.result_map) {
        for (j, d, ok, m) in result_rows(path, map)? {
            if ok {
                outcomes.add(
                    j,
                    ErpOutcome::Posted(vec![d].into_iter().filter(|x| !x.is_empty()).collect()),
                );
            } else {
                outcomes.add(
                    j,
                    ErpOutcome::Refused(vec![if m.is_empty() {
                        "the ERP refused the journal".into()
                    } else {
                        m
                    }]),
                );
            }
        }
    }
    if outcomes.is_empty() && !a.payment {
        anyhow::bail!("nothing to confirm: give --success, --failure, --result or --payment");
    }
    let r = a.common.resolve()?;
    let opts = crate::fetch::client_options(&r.config)?;
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
    let mut fis_ledger = Ledger::open(&ledger_path)?;
    let mut posting = PostingLedger::open(&ledger_path)?;
    let plan = ConfirmPlan {
        outcomes,
        payment: a.payment,
        system_id: a.system_id.clone(),
    };
    let report = match client.confirm_fis(&plan, &mut fis_ledger, &mut posting) {
        Ok(report) => report,
        Err(e) => return r.exit_for(e),
    };
    let mut out = crate::cli_io::stdout();
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report.lines)?)?;
    } else {
        for l in &report.lines {
            writeln!(
                out,
                "{} {} {}{}: {}{}{}",
                l.journal_id,
                l.confirmation,
                l.doc_id
                    .as_deref()
                    .map(|d| format!("(document {d}) "))
                    .unwrap_or_default(),
                l.sent
                    .map(|s| format!("sent {s}"))
                    .unwrap_or_else(|| "nothing sent".into()),
                l.result,
                l.code.map(|c| format!(" (code {c})")).unwrap_or_default(),
                if l.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", l.message)
                },
            )?;
        }
    }
    out.flush()?;
    for j in &report.forgotten {
        eprintln!(
            "{j}: the failure is confirmed: back out what the ERP posted of it; Concur returns the report to its processor and sends it again as a new document, which is posted like a new one (forgotten in the posting ledger)"
        );
    }
    Ok(if report.all_accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::fetch::EXIT_PARTIAL)
    })
}

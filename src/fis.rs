//! `ledgerline fetch --source fis` (what it stores and prints) and `ledgerline confirm`:
//! posting and payment confirmations for FIS documents back to Concur.

use anyhow::Context;
use ledgerline_fetch::Client;
use ledgerline_fetch::fis::{FisEvent, FisPlan};
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

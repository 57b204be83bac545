//! `ledgerline ledger`: see and undo what `convert --ledger` recorded as posted.

use crate::cli_io::{Paint, color_stdout, terminal_width};
use anyhow::Context;
use ledgerline_inspect::table::{Cell, ColumnKind, Table};
use ledgerline_ledger::posting::{Forget, PostingLedger};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// See and undo the journals `convert --ledger` recorded as posted.
///
/// Examples:
///   ledgerline ledger list --ledger ledger.sqlite
///   ledgerline ledger forget 581CE1FF0E4AE3940000 --ledger ledger.sqlite
///
/// Exit status: 0 done, 1 `forget` named a journal the ledger does not record, 2 could not
/// run (no ledger file, unreadable ledger).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// List the journals recorded as posted (oldest first).
    ///
    /// Examples:
    ///   ledgerline ledger list
    ///   ledgerline ledger list --ledger ledger.sqlite --json
    #[command(verbatim_doc_comment)]
    List(Common),
    /// Forget journals, so that the next `convert --ledger` posts them again (after you
    /// reversed them in the ERP, or to post a corrected report).
    ///
    /// Examples:
    ///   ledgerline ledger forget 581CE1FF0E4AE3940000 --target netsuite
    ///   ledgerline ledger forget --file incoming/extract_2024-03-28.txt
    ///   ledgerline ledger forget --file out/journals.csv --target intacct
    #[command(verbatim_doc_comment)]
    Forget {
        /// Journal ids (as `ledger list` shows them).
        #[arg(value_name = "JOURNAL_ID", required_unless_present = "file")]
        journal_ids: Vec<String>,
        /// Forget the journals posted from this extract, or written into this output file
        /// (the path as `ledger list` shows it).
        #[arg(long, value_name = "PATH")]
        file: Option<String>,
        /// Only what was posted to this target (`convert --target`; by default the format
        /// name). Without it, every target.
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, clap::Args)]
struct Common {
    /// The ledger file (default: ~/.local/share/ledgerline/ledger.sqlite, the one `fetch` uses).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn open(c: &Common) -> anyhow::Result<PostingLedger> {
    let path = match &c.ledger {
        Some(p) => p.clone(),
        None => ledgerline_ledger::Ledger::default_path()
            .context("no default ledger location (HOME is not set): give --ledger FILE")?,
    };
    if !path.exists() {
        anyhow::bail!("{}: no such ledger", path.display());
    }
    Ok(PostingLedger::open(&path)?)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.action {
        Action::List(c) => {
            let ledger = open(&c)?;
            let posted = ledger.list()?;
            let mut out = crate::cli_io::stdout();
            if c.json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "ledger": ledger.path().display().to_string(),
                        "journals": posted,
                    }))?
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut t = Table::new(
                "posted",
                format!(
                    "Journals posted ({}, {})",
                    posted.len(),
                    ledger.path().display()
                ),
                &[
                    ("target", ColumnKind::Text),
                    ("journal_id", ColumnKind::Text),
                    ("report_id", ColumnKind::Text),
                    ("employee_id", ColumnKind::Text),
                    ("lines", ColumnKind::Count),
                    ("total", ColumnKind::Text),
                    ("currency", ColumnKind::Text),
                    ("posted_at", ColumnKind::Text),
                    ("source_file", ColumnKind::Text),
                    ("output", ColumnKind::Text),
                ],
            );
            for p in &posted {
                t.rows.push(vec![
                    Cell::Text(if p.target.is_empty() {
                        "(any)".into()
                    } else {
                        p.target.clone()
                    }),
                    Cell::Text(p.journal_id.clone()),
                    Cell::text_or_null(p.report_id.as_deref()),
                    Cell::text_or_null(p.employee_id.as_deref()),
                    Cell::Count(p.lines),
                    Cell::Text(p.total.clone()),
                    Cell::Text(p.currency.clone()),
                    Cell::Text(p.posted_at.clone()),
                    Cell::Text(p.source_file.clone()),
                    Cell::Text(p.output.clone()),
                ]);
            }
            let p = Paint(color_stdout());
            t.write_text(&mut out, terminal_width(), &|s| p.bold(s))?;
            Ok(ExitCode::SUCCESS)
        }
        Action::Forget {
            journal_ids,
            file,
            target,
            common,
        } => {
            let mut ledger = open(&common)?;
            let which = Forget {
                journal_ids: journal_ids.clone(),
                file,
                target,
            };
            let gone = ledger.forget(&which)?;
            let forgotten: Vec<String> = gone
                .iter()
                .map(|p| {
                    if p.target.is_empty() {
                        p.journal_id.clone()
                    } else {
                        format!("{} ({})", p.journal_id, p.target)
                    }
                })
                .collect();
            let mut unknown: Vec<String> = journal_ids
                .iter()
                .filter(|id| !gone.iter().any(|p| p.journal_id == **id))
                .cloned()
                .collect();
            if journal_ids.is_empty() && gone.is_empty() {
                unknown.push(which.file.clone().unwrap_or_default());
            }
            if common.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "forgotten": forgotten,
                        "unknown": unknown,
                    }))?
                );
            } else {
                for id in &forgotten {
                    println!("forgot {id}: the next convert --ledger will post it again");
                }
                for id in &unknown {
                    eprintln!(
                        "ledgerline: {id}: nothing recorded for it in {}",
                        ledger.path().display()
                    );
                }
            }
            Ok(if unknown.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

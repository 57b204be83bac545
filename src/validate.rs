//! `ledgerline validate`: find everything wrong with an extract before anyone posts it.

use crate::cli_io::{Paint, color_stdout};
use crate::common::{InputArgs, json_doc, print_text, summary_line};
use ledgerline_engine::Checks;
use ledgerline_findings::Severity;
use ledgerline_journal::pipeline::Discard;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Check extracts before posting: structure (header, record count, journal total, batch id
/// and date, field counts), values (dates, decimals, Y/N flags, DR/CR against the amount's
/// sign, currency codes, lengths), consistency (report-level values, duplicate sequence
/// numbers, reports split across the file) and the journals they give (every line
/// classified, every journal balanced and reconciled with Concur's report totals). Every
/// finding has a stable code, a severity, the file, line and column.
///
/// With --accounts FILE every journal line is also checked against the target ERP's chart
/// of accounts and dimension values (JNL206, JNL207).
///
/// Examples:
///   ledgerline validate extract.txt
///   ledgerline validate incoming/ --rules ledgerline.toml --accounts coa.csv
///   ledgerline validate extract.zip --json > findings.json
///
/// The findings go to standard output (text, or one JSON document with --json); the run
/// ends with its summary line on standard error.
///
/// Exit status: 0 no errors (warnings allowed), 1 at least one error-level finding,
/// 2 could not run (an input could not be opened, bad arguments or rules).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Print one JSON document (files, findings, summary) instead of text.
    #[arg(long)]
    json: bool,
    /// Hide info-level findings in text output.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let rules = a.input.load_rules()?;
    let accounts = a.input.load_accounts()?;
    let checks = Checks {
        accounts: accounts.as_ref(),
        ledger: None,
    };
    let run = a.input.drive(rules, &mut Discard, checks)?;
    let mut out = crate::cli_io::stdout();
    if a.json {
        let doc = serde_json::to_string_pretty(&json_doc(&run.reports, None))?;
        writeln!(out, "{doc}")?;
    } else {
        let p = Paint(color_stdout());
        let min = if a.quiet {
            Severity::Warning
        } else {
            Severity::Info
        };
        print_text(&mut out, &run.reports, min, p, true)?;
    }
    out.flush()?;
    // The findings are the result (standard output); the run ends with its summary on
    // standard error, as every command's does.
    let stderr = std::io::stderr();
    let p = Paint(std::env::var_os("NO_COLOR").is_none() && stderr.is_terminal());
    let (line, bad) = summary_line(&run.reports);
    let mut err = stderr.lock();
    if !a.json {
        writeln!(err)?;
    }
    writeln!(err, "{}", if bad { p.red(&line) } else { p.green(&line) })?;
    Ok(if run.could_not_run {
        ExitCode::from(2)
    } else if run.errors() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

//! `ledgerline formats`: the output formats and their settings.

use std::io::Write;
use std::process::ExitCode;

/// List the output formats of `convert --to`, with their settings (the `[formats.<name>]`
/// section of the rules file).
///
/// Examples:
///   ledgerline formats
///   ledgerline convert extract.txt --to netsuite -o journals.csv
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {}

pub fn run(_a: Args) -> anyhow::Result<ExitCode> {
    let width = ledgerline_erp::FORMATS
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    let mut out = crate::cli_io::stdout();
    for f in ledgerline_erp::FORMATS {
        writeln!(out, "{:width$}  {}", f.name, f.description)?;
        for (k, v) in f.settings {
            writeln!(out, "{:width$}    [formats.{}] {k}: {v}", "", f.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

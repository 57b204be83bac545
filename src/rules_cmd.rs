//! `ledgerline rules`: the rules file.

use crate::cli_io::AtomicFile;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Work with the rules file (ledgerline.toml): offset accounts, payment-type roles,
/// account and dimension templates, grouping, rounding, per-format settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RulesCommand {
    /// Write a commented starter rules file (every key at its built-in default).
    Init {
        /// Where to write it.
        #[arg(default_value = "ledgerline.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Check a rules file and report the first problem, naming the key (the per-format
    /// settings included: unknown formats, unknown settings, wrong value types).
    ///
    /// Example:
    ///   ledgerline rules check ledgerline.toml
    #[command(verbatim_doc_comment)]
    Check {
        /// The rules file.
        path: PathBuf,
    },
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.command {
        RulesCommand::Init { path, force } => {
            if path.exists() && !force {
                anyhow::bail!("{} exists; pass --force to overwrite it", path.display());
            }
            let mut f = AtomicFile::create(&path)?;
            f.writer()
                .write_all(ledgerline_journal::rules::STARTER.as_bytes())?;
            f.commit()?;
            eprintln!("wrote {}", path.display());
        }
        RulesCommand::Check { path } => {
            let rules = ledgerline_journal::Rules::load(&path)?;
            check_formats(&rules).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            println!("{}: ok", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every `[formats.<name>]` section names a format, and its settings are ones that format
/// knows, with values of the right type: each configured writer is created once, as
/// `convert` would, so a typo fails here rather than at the first conversion.
fn check_formats(rules: &ledgerline_journal::Rules) -> anyhow::Result<()> {
    use ledgerline_erp::{FORMATS, Format};
    for name in rules.formats.keys() {
        let Some(format) = Format::parse(name) else {
            anyhow::bail!(
                "formats.{name}: unknown format; choose one of {}",
                FORMATS
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        ledgerline_erp::create_with(
            format,
            std::io::sink(),
            rules,
            ledgerline_erp::Warnings::callback(|_| {}),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

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
    /// Check a rules file and report the first problem, naming the key.
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
            ledgerline_journal::Rules::load(&path)?;
            println!("{}: ok", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `ledgerline rules`: the rules file.

use ledgerline_atomic::AtomicFile;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Work with the rules file (ledgerline.toml): offset accounts, payment-type roles,
/// account and dimension templates, grouping, rounding, per-format settings.
///
/// Examples:
///   ledgerline rules init ledgerline.toml --from incoming/extract.txt
///   ledgerline rules check ledgerline.toml
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RulesCommand {
    /// Write a commented starter rules file (every key at its built-in default).
    ///
    /// With --from, the starter also lists what the extracts use: their payment-type names
    /// (the ones the defaults do not know get a role guessed from Concur's payment codes in
    /// columns 164/166, marked REVIEW), natural accounts with their expense types, card
    /// programs and report org units.
    ///
    /// Examples:
    ///   ledgerline rules init
    ///   ledgerline rules init ledgerline.toml --from incoming/extract.txt
    #[command(verbatim_doc_comment)]
    Init {
        /// Where to write it.
        #[arg(default_value = "ledgerline.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        /// SAE extracts to take payment types, accounts and org units from.
        #[arg(long, value_name = "EXTRACT", num_args = 1..)]
        from: Vec<PathBuf>,
    },
    /// Check a rules file and report the first problem, naming the key (the per-format
    /// settings included: unknown formats, unknown settings, wrong value types).
    ///
    /// Examples:
    ///   ledgerline rules check ledgerline.toml
    ///   ledgerline rules check rules/uk-entity.toml
    #[command(verbatim_doc_comment)]
    Check {
        /// The rules file.
        path: PathBuf,
    },
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.command {
        RulesCommand::Init { path, force, from } => {
            if path.exists() && !force {
                anyhow::bail!("{} exists; pass --force to overwrite it", path.display());
            }
            let text = if from.is_empty() {
                ledgerline_journal::rules::STARTER.to_owned()
            } else {
                survey(&from)?.starter(&ledgerline_journal::Rules::default())
            };
            let mut f = AtomicFile::create(&path)?;
            f.writer().write_all(text.as_bytes())?;
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

/// What the SAE rows of `files` use.
fn survey(files: &[PathBuf]) -> anyhow::Result<ledgerline_journal::survey::Survey> {
    use ledgerline_extract::reader::{ExtractKind, ExtractReader};
    let mut survey = ledgerline_journal::survey::Survey::default();
    let defaults = ledgerline_journal::Rules::default();
    for path in files {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let mut reader = ExtractReader::new(&name, std::io::BufReader::new(file))
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if !matches!(reader.kind(), ExtractKind::Sae { .. }) {
            anyhow::bail!(
                "{name}: a {} file; --from takes SAE (Expense) extracts",
                reader.kind().label()
            );
        }
        while let Some(rec) = reader
            .next_record()
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?
        {
            if rec
                .field(0)
                .is_some_and(|f| f.bytes().as_ref() == b"DETAIL")
            {
                survey.add(&ledgerline_extract::sae::SaeRow::new(rec), &defaults);
            }
        }
    }
    Ok(survey)
}

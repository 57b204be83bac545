//! `ledgerline generate`: synthetic SAE files, or the same reports as FIS documents.

use anyhow::Context;
use ledgerline_atomic::AtomicFile;
use ledgerline_extract::value::parse_date;
use ledgerline_generate::{Generator, Options};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Write a realistic synthetic SAE extract: several employees and currencies, cash, IBCP
/// and CBCP cards, personal card charges, company-paid entries, cash advances issued and
/// applied, allocations and VAT lines, with Concur's report totals and a correct header.
/// The same seed always produces the same file. Use it to try the tool, to benchmark, or
/// to dry-run an ERP import without real data. With --fis, the same reports are written as
/// Financial Integration Service documents (one per line), which convert to the same
/// journals.
///
/// Examples:
///   ledgerline generate --reports 1000 --seed 7 -o demo.txt
///   ledgerline generate --reports 200000 --seed 2024 -o big.txt
///   ledgerline generate --reports 1000 --seed 7 --fis -o demo-fis.jsonl
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Number of expense reports to generate.
    #[arg(long, default_value_t = 10)]
    reports: u64,
    /// Seed of the generator; the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Batch id written on the header and every row.
    #[arg(long, default_value_t = 1)]
    batch_id: u64,
    /// Batch date (yyyy-MM-dd).
    #[arg(long, default_value = "2024-03-28")]
    batch_date: String,
    /// Write the reports as FIS v4 documents, one JSON document per line (expense reports,
    /// and a cash-advance document before each report that applies a new advance), instead
    /// of an SAE extract.
    #[arg(long)]
    fis: bool,
    /// Output file (written atomically); standard output when absent.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let batch_date =
        parse_date(a.batch_date.as_bytes()).map_err(|e| anyhow::anyhow!("--batch-date: {e}"))?;
    let generator = Generator::new(Options {
        reports: a.reports,
        seed: a.seed,
        batch_id: a.batch_id,
        batch_date,
    });
    let write = |w: &mut dyn Write| -> std::io::Result<String> {
        if a.fis {
            let s = generator.write_fis(&mut &mut *w)?;
            Ok(format!(
                "wrote {} FIS documents ({} expense reports, {} cash advances), {} bytes",
                s.documents, s.reports, s.cash_advances, s.bytes
            ))
        } else {
            let s = generator.write(&mut &mut *w)?;
            Ok(format!(
                "wrote {} reports, {} rows, {} bytes; journal total {}",
                s.reports, s.rows, s.bytes, s.journal_total
            ))
        }
    };
    match &a.output {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            let summary = {
                let mut w = BufWriter::with_capacity(1 << 20, file.writer());
                let s = write(&mut w)?;
                w.flush()?;
                s
            };
            file.commit()
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("{summary}");
        }
        None => {
            let mut w = BufWriter::with_capacity(1 << 20, crate::cli_io::stdout());
            write(&mut w)?;
            w.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `ledgerline validate`: find everything wrong with an extract before anyone posts it.

use crate::cli_io::{Paint, color_stdout, progress};
use anyhow::Context;
use ledgerline_extract::batch::BatchMapping;
use ledgerline_extract::finding::{Check, Family, Finding, Severity};
use ledgerline_extract::reader::ReaderOptions;
use ledgerline_extract::source::{
    InputSpec, Opened, SourceError, ZipLimitError, ZipLimits, for_each_stream,
};
use ledgerline_extract::validate::{FileReport, ValidateOptions, totals, validate_reader};
use std::path::PathBuf;
use std::process::ExitCode;

/// Check extracts before posting: structure (header, record count, journal total, batch id
/// and date, field counts), values (dates, decimals, Y/N flags, DR/CR against the amount's
/// sign, currency codes, lengths) and consistency (report-level values, duplicate sequence
/// numbers, reports split across the file). Every finding has a stable code, a severity,
/// the file, line and column.
///
/// Exit status: 0 no errors (warnings allowed), 1 at least one error-level finding,
/// 2 could not run (an input could not be opened, bad arguments).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, directories, .zip archives, or `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// Print one JSON document (files, findings, summary) instead of text.
    #[arg(long)]
    json: bool,
    /// Findings listed per file; the rest are counted.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    max_findings: usize,
    /// Column mapping for Standard Edition payment-batch files (TOML; see the README).
    #[arg(long, value_name = "FILE")]
    batch_map: Option<PathBuf>,
    /// Largest total size a zip archive may inflate to, in bytes.
    #[arg(long, default_value_t = ZipLimits::default().max_total, value_name = "BYTES")]
    max_inflated: u64,
    /// Highest compression ratio accepted for a zip entry.
    #[arg(long, default_value_t = ZipLimits::default().max_ratio, value_name = "N")]
    max_ratio: u64,
    /// Hide info-level findings in text output.
    #[arg(short, long)]
    quiet: bool,
}

/// Reads a `--batch-map` file.
pub fn load_batch_map(path: &Option<PathBuf>) -> anyhow::Result<ReaderOptions> {
    let Some(path) = path else {
        return Ok(ReaderOptions::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let batch: BatchMapping =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(ReaderOptions {
        batch,
        force_batch: true,
    })
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let opts = ValidateOptions {
        max_findings: a.max_findings,
        reader: load_batch_map(&a.batch_map)?,
    };
    let limits = ZipLimits {
        max_total: a.max_inflated,
        max_ratio: a.max_ratio,
        ..ZipLimits::default()
    };
    let specs: Vec<InputSpec> = a.inputs.iter().map(|s| InputSpec::parse(s)).collect();
    let mut reports: Vec<FileReport> = Vec::new();
    let mut could_not_run = false;
    for_each_stream(&specs, &limits, |opened| -> anyhow::Result<()> {
        match opened {
            Opened::Stream(s) => {
                let bar = progress(s.size_hint, &s.name);
                let r = validate_reader(&s.name, s.reader, &opts, &mut |b| bar.set_position(b));
                bar.finish_and_clear();
                if r.findings
                    .items()
                    .iter()
                    .any(|f| f.code.check == Check::Unreadable)
                {
                    could_not_run = true;
                }
                reports.push(r);
            }
            Opened::Failed { name, error } => {
                let (family, check) = match &error {
                    SourceError::Io(_) => {
                        could_not_run = true;
                        (Family::Io, Check::Unreadable)
                    }
                    SourceError::Archive(_) => (Family::Zip, Check::BadArchive),
                    SourceError::Limit(ZipLimitError::Ratio { .. }) => {
                        (Family::Zip, Check::ArchiveRatio)
                    }
                    SourceError::Limit(_) => (Family::Zip, Check::ArchiveTooLarge),
                };
                let mut r = FileReport {
                    file: name.clone(),
                    kind: None,
                    rows: 0,
                    reports: 0,
                    bytes: 0,
                    findings: ledgerline_extract::finding::Findings::with_limit(a.max_findings),
                };
                r.findings.push(Finding::new(
                    family,
                    check,
                    &name,
                    format!("cannot read {name}: {error}"),
                ));
                reports.push(r);
            }
        }
        Ok(())
    })?;
    if a.json {
        print_json(&reports)?;
    } else {
        print_text(&reports, a.quiet);
    }
    Ok(exit_code(&reports, could_not_run))
}

fn exit_code(reports: &[FileReport], could_not_run: bool) -> ExitCode {
    if could_not_run {
        ExitCode::from(2)
    } else if ledgerline_extract::validate::has_errors(reports) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_json(reports: &[FileReport]) -> anyhow::Result<()> {
    let (errors, warnings, infos) = totals(reports);
    let files: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "file": r.file,
                "kind": r.kind,
                "rows": r.rows,
                "reports": r.reports,
                "bytes": r.bytes,
                "errors": r.findings.errors(),
                "warnings": r.findings.warnings(),
                "infos": r.findings.infos(),
                "not_listed": r.findings.dropped(),
                "findings": r.findings.items(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "files": files,
        "summary": {
            "files": reports.len(),
            "rows": reports.iter().map(|r| r.rows).sum::<u64>(),
            "reports": reports.iter().map(|r| r.reports).sum::<u64>(),
            "errors": errors,
            "warnings": warnings,
            "infos": infos,
        }
    });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

fn plural(n: impl Into<u64>, word: &str) -> String {
    let n = n.into();
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn print_text(reports: &[FileReport], quiet: bool) {
    let p = Paint(color_stdout());
    for r in reports {
        let kind = r.kind.unwrap_or("unreadable");
        let head = format!(
            "{} ({kind}, {}, {})",
            r.file,
            plural(r.rows, "row"),
            plural(r.reports, "report")
        );
        let shown: Vec<&Finding> = r
            .findings
            .items()
            .iter()
            .filter(|f| !(quiet && f.severity == Severity::Info))
            .collect();
        if shown.is_empty() && r.findings.errors() + r.findings.warnings() == 0 {
            println!("{}: {}", p.bold(&head), p.green("clean"));
            continue;
        }
        println!("{}", p.bold(&head));
        for f in shown {
            let sev = match f.severity {
                Severity::Error => p.red("error  "),
                Severity::Warning => p.yellow("warning"),
                Severity::Info => p.dim("info   "),
            };
            let mut at = String::new();
            if let Some(l) = f.line {
                at.push_str(&format!("line {l}"));
            }
            if let Some(c) = &f.column {
                if !at.is_empty() {
                    at.push_str(", ");
                }
                at.push_str(&format!("col {} {}", c.number, c.name));
            }
            if !at.is_empty() {
                at.push_str(": ");
            }
            println!(
                "  {sev} {} {}{}",
                p.bold(&f.code.to_string()),
                p.dim(&at),
                f.message
            );
        }
        if r.findings.dropped() > 0 {
            println!(
                "  … {} more not listed (raise --max-findings to see them)",
                r.findings.dropped()
            );
        }
    }
    let (errors, warnings, infos) = totals(reports);
    let rows: u64 = reports.iter().map(|r| r.rows).sum();
    let reps: u64 = reports.iter().map(|r| r.reports).sum();
    let summary = format!(
        "{}, {}, {}: {}, {}, {}",
        plural(reports.len() as u64, "file"),
        plural(rows, "row"),
        plural(reps, "report"),
        plural(errors as u64, "error"),
        plural(warnings as u64, "warning"),
        plural(infos as u64, "info"),
    );
    println!();
    if errors > 0 {
        println!("{}", p.red(&summary));
    } else {
        println!("{}", p.green(&summary));
    }
}

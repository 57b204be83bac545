//! What `validate`, `convert` and `inspect` share: input flags, rules loading, the
//! streaming pipeline over every input, and how findings are printed.

use crate::cli_io::{Paint, progress};
use ledgerline_engine::{Checks, Inputs, Progress, Run};
use ledgerline_extract::source::{InputSpec, ZipLimits};
use ledgerline_extract::validate::{FileReport, totals};
use ledgerline_findings::{Finding, Severity};
use ledgerline_guard::accounts::Accounts;
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, Sink};
use ledgerline_journal::rules::Grouping;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags every command that reads extracts takes.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Files, directories, .zip archives, or `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Rules file (ledgerline.toml); built-in defaults without one (`ledgerline rules init` writes a starter).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Journal grouping, overriding the rules file: report, batch or employee-day.
    #[arg(long, value_name = "GROUP", value_parser = ["report", "batch", "employee-day"])]
    pub group: Option<String>,
    /// Column mapping for Standard Edition payment-batch files (TOML; overrides [batch] of the rules).
    #[arg(long, value_name = "FILE")]
    pub batch_map: Option<PathBuf>,
    /// Only files of input folders whose name (or path below the folder) matches this glob,
    /// e.g. `--glob '*.txt'`; files named on the command line are always read.
    #[arg(long, value_name = "PATTERN")]
    pub glob: Option<String>,
    /// A file in an input folder that is not a Concur extract is an error, not a warning.
    #[arg(long)]
    pub strict_inputs: bool,
    /// Findings listed per file; the rest are counted.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_findings: usize,
    /// Threads that split, check and classify an SAE or PRAE file in the data-parallel pass
    /// (default: the two-thread streaming pass, as fast on two cores); the output is the same
    /// for every count.
    #[arg(long, default_value_t = 0, value_name = "N", hide_default_value = true)]
    pub threads: usize,
    /// Largest total size a zip archive may inflate to, in bytes.
    #[arg(long, default_value_t = ZipLimits::default().max_total, value_name = "BYTES")]
    pub max_inflated: u64,
    /// Highest compression ratio accepted for a zip entry.
    #[arg(long, default_value_t = ZipLimits::default().max_ratio, value_name = "N")]
    pub max_ratio: u64,
    /// The target ERP's chart of accounts (CSV: an `account` column, optionally one column
    /// per dimension listing the accepted values separated by `|`): every account or
    /// dimension value it would reject is an error (JNL206, JNL207) naming the extract lines.
    #[arg(long, value_name = "FILE")]
    pub accounts: Option<PathBuf>,
}

impl InputArgs {
    /// The rules: the file (or defaults), with `--group` and `--batch-map` applied.
    pub fn load_rules(&self) -> anyhow::Result<Arc<Rules>> {
        let group = self.group.as_deref().map(|g| match g {
            "batch" => Grouping::Batch,
            "employee-day" => Grouping::EmployeeDay,
            _ => Grouping::Report,
        });
        Ok(ledgerline_engine::load_rules(
            self.rules.as_deref(),
            group,
            self.batch_map.as_deref(),
        )?)
    }

    /// The chart of accounts of `--accounts`, if given.
    pub fn load_accounts(&self) -> anyhow::Result<Option<Accounts>> {
        self.accounts
            .as_deref()
            .map(Accounts::load)
            .transpose()
            .map_err(anyhow::Error::from)
    }

    /// Pipeline options from these flags.
    pub fn convert_options(&self, rules: Arc<Rules>) -> ConvertOptions {
        ConvertOptions {
            rules,
            max_findings: self.max_findings,
            threads: self.threads,
            block_bytes: 0,
        }
    }

    /// Runs the engine over the inputs into `sink`, through `checks`, with a progress bar.
    pub fn drive(
        &self,
        rules: Arc<Rules>,
        sink: &mut dyn Sink,
        checks: Checks<'_>,
    ) -> anyhow::Result<Run> {
        let opts = self.convert_options(rules);
        Ok(ledgerline_engine::drive(
            &self.inputs()?,
            &opts,
            sink,
            checks,
            &mut Bar::default(),
        )?)
    }

    /// The inputs of the run, as the engine takes them.
    pub fn inputs(&self) -> anyhow::Result<Inputs> {
        let glob = self
            .glob
            .as_deref()
            .map(glob::Pattern::new)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--glob: {e}"))?;
        Ok(Inputs {
            specs: self.inputs.iter().map(|s| InputSpec::parse(s)).collect(),
            glob,
            strict_inputs: self.strict_inputs,
            max_findings: self.max_findings,
            limits: ZipLimits {
                max_total: self.max_inflated,
                max_ratio: self.max_ratio,
                ..ZipLimits::default()
            },
        })
    }
}

/// The progress bar on stderr (see [`progress`]): bytes, journal lines, rate and ETA.
#[derive(Default)]
pub struct Bar(Option<indicatif::ProgressBar>);

impl Progress for Bar {
    fn start(&mut self, name: &str, size: Option<u64>) {
        self.0 = Some(progress(size, name));
    }
    fn advance(&mut self, name: &str, bytes: u64, lines: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(bytes);
            bar.set_message(format!("{name} · {lines} journal lines"));
        }
    }
    fn finish(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

/// The JSON document of a run; `written` is what a conversion wrote (see `convert --json`).
pub fn json_doc(reports: &[FileReport], written: Option<serde_json::Value>) -> serde_json::Value {
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
                "grouped": r.findings.grouped(),
                "findings": r.findings.items(),
            })
        })
        .collect();
    let mut doc = serde_json::json!({
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
    if let Some(w) = written {
        doc["written"] = w;
    }
    doc
}

/// "3 rows", "1 row".
pub fn plural(n: impl Into<u64>, word: &str) -> String {
    let n = n.into();
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Human-readable findings grouped by file, with a summary line.
pub fn print_text(
    out: &mut dyn Write,
    reports: &[FileReport],
    min: Severity,
    p: Paint,
    clean_files: bool,
) -> std::io::Result<()> {
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
            .filter(|f| f.severity >= min)
            .collect();
        if shown.is_empty() {
            if clean_files && r.findings.errors() + r.findings.warnings() == 0 {
                writeln!(out, "{}: {}", p.bold(&head), p.green("clean"))?;
            }
            continue;
        }
        writeln!(out, "{}", p.bold(&head))?;
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
            writeln!(
                out,
                "  {sev} {} {}{}",
                p.bold(&f.code.to_string()),
                p.dim(&at),
                f.message
            )?;
        }
        // What was not listed, counted per code and cause.
        for g in r.findings.grouped().iter().filter(|g| g.severity >= min) {
            let first = g
                .first_line
                .map(|l| format!(", first at line {l}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  … {} {}: {} more{first}",
                p.bold(&g.code.to_string()),
                g.message,
                g.count
            )?;
        }
        let dropped = r.findings.dropped();
        if dropped > 0 {
            // Only findings left out by the overall limit would be listed with a higher one.
            let hint = if r.findings.dropped_by_limit() > 0 {
                format!(
                    "; --max-findings N lists more, up to {} per code",
                    ledgerline_findings::LISTED_PER_CODE
                )
            } else {
                String::new()
            };
            writeln!(
                out,
                "  ({dropped} not listed: the first {} of each code are, the rest are counted above{hint})",
                ledgerline_findings::LISTED_PER_CODE
            )?;
        }
    }
    Ok(())
}

/// The summary line of a run.
pub fn summary_line(reports: &[FileReport]) -> (String, bool) {
    let (errors, warnings, infos) = totals(reports);
    let rows: u64 = reports.iter().map(|r| r.rows).sum();
    let reps: u64 = reports.iter().map(|r| r.reports).sum();
    (
        format!(
            "{}, {}, {}: {}, {}, {}",
            plural(reports.len() as u64, "file"),
            plural(rows, "row"),
            plural(reps, "report"),
            plural(errors as u64, "error"),
            plural(warnings as u64, "warning"),
            plural(infos as u64, "info"),
        ),
        errors > 0,
    )
}

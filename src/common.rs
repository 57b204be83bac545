//! What `validate`, `convert` and `inspect` share: input flags, rules loading, the
//! streaming pipeline over every input, and how findings are printed.

use crate::cli_io::{Paint, progress};
use anyhow::Context;
use ledgerline_extract::batch::BatchMapping;
use ledgerline_extract::finding::{Check, Family, Finding, Findings, Severity};
use ledgerline_extract::source::{
    InputSpec, Opened, SourceError, ZipLimitError, ZipLimits, expand, for_each_stream,
};
use ledgerline_extract::validate::{FileReport, totals};
use ledgerline_guard::accounts::Accounts;
use ledgerline_guard::duplicates::DuplicateCheck;
use ledgerline_guard::gate::Gate;
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, Sink, StreamReport, convert_reader};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
        let mut text = match &self.rules {
            Some(p) => {
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
            }
            None => String::new(),
        };
        if let Some(g) = &self.group {
            // The flag wins over the file: append it as the last word on [journal].group.
            let mut table: toml::Table = text.parse().map_err(|e| {
                anyhow::anyhow!(
                    "{}: {e}",
                    self.rules
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                )
            })?;
            let journal = table
                .entry("journal")
                .or_insert_with(|| toml::Value::Table(Default::default()));
            if let toml::Value::Table(t) = journal {
                t.insert("group".into(), toml::Value::String(g.clone()));
            }
            text = toml::to_string(&table)?;
        }
        let mut rules = Rules::parse(&text).map_err(|e| match &self.rules {
            Some(p) => anyhow::anyhow!("{}: {e}", p.display()),
            None => anyhow::anyhow!("{e}"),
        })?;
        if let Some(path) = &self.batch_map {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            rules.batch = toml::from_str::<BatchMapping>(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        Ok(Arc::new(rules))
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
        }
    }

    /// The inputs as specs.
    pub fn specs(&self) -> Vec<InputSpec> {
        self.inputs.iter().map(|s| InputSpec::parse(s)).collect()
    }

    /// The inputs with folders expanded (and filtered by `--glob`), and the names of the
    /// files that came from a folder. A folder that cannot be listed is passed on as it is,
    /// for the reader to report.
    pub fn expanded(&self) -> anyhow::Result<(Vec<InputSpec>, HashSet<String>)> {
        let pattern = self
            .glob
            .as_deref()
            .map(glob::Pattern::new)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--glob: {e}"))?;
        let mut specs = Vec::new();
        let mut from_dir = HashSet::new();
        for spec in self.specs() {
            let dir = match &spec {
                InputSpec::Path(p) if p.is_dir() => p.clone(),
                _ => {
                    specs.push(spec);
                    continue;
                }
            };
            let Ok(files) = expand(std::slice::from_ref(&spec)) else {
                specs.push(spec);
                continue;
            };
            for f in files {
                let InputSpec::Path(p) = &f else { continue };
                if let Some(pat) = &pattern {
                    let rel = p.strip_prefix(&dir).unwrap_or(p);
                    let name = p.file_name().map(PathBuf::from).unwrap_or_default();
                    if !pat.matches_path(rel) && !pat.matches_path(&name) {
                        continue;
                    }
                }
                from_dir.insert(p.display().to_string());
                specs.push(f);
            }
        }
        Ok((specs, from_dir))
    }

    pub fn limits(&self) -> ZipLimits {
        ZipLimits {
            max_total: self.max_inflated,
            max_ratio: self.max_ratio,
            ..ZipLimits::default()
        }
    }
}

/// The outcome of running the pipeline over every input.
#[derive(Debug, Default)]
pub struct Run {
    /// One report per logical input.
    pub reports: Vec<FileReport>,
    /// Journals written.
    pub journals: u64,
    /// Journal lines written.
    pub lines: u64,
    /// Lines sent to the rejection report.
    pub rejected: u64,
    /// An input could not be opened at all.
    pub could_not_run: bool,
}

impl Run {
    /// Error-level findings over every input.
    pub fn errors(&self) -> usize {
        totals(&self.reports).0
    }
}

/// What stands between the pipeline and the output (see `ledgerline_guard::gate`).
#[derive(Default)]
pub struct Checks<'a> {
    /// `--accounts`.
    pub accounts: Option<&'a Accounts>,
    /// `convert --ledger`.
    pub ledger: Option<&'a mut DuplicateCheck>,
}

/// Validates and converts every input into `sink`.
pub fn drive(args: &InputArgs, rules: Arc<Rules>, sink: &mut dyn Sink) -> anyhow::Result<Run> {
    drive_checked(args, rules, sink, Checks::default())
}

/// Validates and converts every input into `sink`, through the accounts and ledger checks.
pub fn drive_checked(
    args: &InputArgs,
    rules: Arc<Rules>,
    sink: &mut dyn Sink,
    checks: Checks<'_>,
) -> anyhow::Result<Run> {
    let opts = args.convert_options(rules);
    let (specs, from_dir) = args.expanded()?;
    let mut run = Run::default();
    let mut gate = Gate::new(sink, checks.accounts, checks.ledger);
    // Content digests of the inputs read so far: the same extract twice (renamed, or in a
    // zip next to itself) is an error naming both.
    let mut contents: HashMap<u128, String> = HashMap::new();
    for_each_stream(&specs, &args.limits(), |opened| -> anyhow::Result<()> {
        match opened {
            Opened::Stream(s) => {
                let mut hashing = HashingReader {
                    inner: s.reader,
                    hasher: xxhash_rust::xxh3::Xxh3::new(),
                    bytes: 0,
                };
                let mut r = convert_stream(&s.name, &mut hashing, s.size_hint, &opts, &mut gate)?;
                if hashing.bytes > 0 {
                    let digest = hashing.hasher.digest128();
                    match contents.get(&digest) {
                        Some(first) => r.validation.findings.push(Finding::new(
                            Family::Io,
                            Check::DuplicateInput,
                            &s.name,
                            format!(
                                "{} has the same content as {first}: every report in it would be posted twice; give each extract once (with --force its journals are rejected as duplicates)",
                                s.name
                            ),
                        )),
                        None => {
                            contents.insert(digest, s.name.clone());
                        }
                    }
                }
                if from_dir.contains(&s.name) && !args.strict_inputs {
                    skip_if_not_an_extract(&mut r, args.max_findings);
                }
                run.add(r);
            }
            Opened::Failed { name, error } => run.failed(name, error, args.max_findings),
        }
        Ok(())
    })?;
    Ok(run)
}

/// Converts one extract stream through `gate`, with a progress bar (bytes, journal lines,
/// rate and ETA) when stderr is a terminal and the input is large. The gate's findings are
/// added to the stream's report, and what it held back is not counted as written.
pub fn convert_stream<R: Read + Send>(
    name: &str,
    reader: R,
    size_hint: Option<u64>,
    opts: &ConvertOptions,
    gate: &mut Gate<'_>,
) -> anyhow::Result<StreamReport> {
    let bar = progress(size_hint, name);
    let lines = Arc::new(AtomicU64::new(0));
    let held = (gate.held_journals, gate.held_lines);
    let mut r = {
        let mut counting = Counting {
            inner: gate,
            lines: lines.clone(),
        };
        let mut tick = |b: u64| {
            bar.set_position(b);
            bar.set_message(format!(
                "{name} · {} journal lines",
                lines.load(Ordering::Relaxed)
            ));
        };
        convert_reader(name, reader, opts, &mut counting, &mut tick)
            .context("writing the output")?
    };
    bar.finish_and_clear();
    for f in gate.take_findings() {
        r.validation.findings.push(f);
    }
    r.journals = r.journals.saturating_sub(gate.held_journals - held.0);
    r.lines = r.lines.saturating_sub(gate.held_lines - held.1);
    Ok(r)
}

/// A file found in an input folder that is no extract at all (a README, a PDF,
/// `.DS_Store`-like clutter) is skipped with a warning instead of failing the run
/// (`--strict-inputs` keeps the error). Ledgerline's own outputs (IO005) and damaged
/// extracts stay errors: they look like postings.
pub fn skip_if_not_an_extract(r: &mut StreamReport, limit: usize) {
    let f = &r.validation.findings;
    let only_unknown = r.validation.kind.is_none()
        && f.errors() == 1
        && f.items()
            .iter()
            .any(|x| matches!(x.code.check, Check::UnknownKind | Check::EmptyFile));
    if !only_unknown {
        return;
    }
    let mut out = Findings::with_limit(limit);
    for item in f.items() {
        let mut item = item.clone();
        if matches!(item.code.check, Check::UnknownKind | Check::EmptyFile) {
            item.severity = Severity::Warning;
            item.message = format!(
                "{}; skipped (a file in an input folder; --strict-inputs makes this an error, --glob chooses the files read)",
                item.message
            );
        }
        out.push(item);
    }
    r.validation.findings = out;
}

/// Digests what it reads (XXH3-128, several GB/s: it costs nothing next to parsing).
struct HashingReader<R> {
    inner: R,
    hasher: xxhash_rust::xxh3::Xxh3,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Counts journal lines for the progress bar.
struct Counting<'g, 'a> {
    inner: &'g mut Gate<'a>,
    lines: Arc<AtomicU64>,
}

impl Sink for Counting<'_, '_> {
    fn write_journal(&mut self, j: &ledgerline_journal::Journal) -> std::io::Result<()> {
        self.lines
            .fetch_add(j.lines.len() as u64, Ordering::Relaxed);
        self.inner.write_journal(j)
    }
    fn reject(&mut self, r: &ledgerline_journal::build::Rejection) -> std::io::Result<()> {
        self.inner.reject(r)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Run {
    /// Adds the report of one converted stream.
    pub fn add(&mut self, r: StreamReport) {
        if r.validation
            .findings
            .items()
            .iter()
            .any(|f| f.code.check == Check::Unreadable)
        {
            self.could_not_run = true;
        }
        self.journals += r.journals;
        self.lines += r.lines;
        self.rejected += r.rejected;
        self.reports.push(r.validation);
    }

    /// Records an input that could not be opened.
    pub fn failed(&mut self, name: String, error: SourceError, max_findings: usize) {
        let (family, check) = match &error {
            SourceError::Io(_) => {
                self.could_not_run = true;
                (Family::Io, Check::Unreadable)
            }
            SourceError::Archive(_) => (Family::Zip, Check::BadArchive),
            SourceError::Limit(ZipLimitError::Ratio { .. }) => (Family::Zip, Check::ArchiveRatio),
            SourceError::Limit(_) => (Family::Zip, Check::ArchiveTooLarge),
        };
        let mut findings = Findings::with_limit(max_findings);
        findings.push(Finding::new(
            family,
            check,
            &name,
            format!("cannot read {name}: {error}"),
        ));
        self.reports.push(FileReport {
            file: name,
            kind: None,
            rows: 0,
            reports: 0,
            bytes: 0,
            findings,
        });
    }
}

/// The JSON document of a run.
pub fn json_doc(reports: &[FileReport]) -> serde_json::Value {
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
    serde_json::json!({
        "files": files,
        "summary": {
            "files": reports.len(),
            "rows": reports.iter().map(|r| r.rows).sum::<u64>(),
            "reports": reports.iter().map(|r| r.reports).sum::<u64>(),
            "errors": errors,
            "warnings": warnings,
            "infos": infos,
        }
    })
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
        if r.findings.dropped() > 0 {
            writeln!(
                out,
                "  ({} not listed; raise --max-findings to list up to that many, {} per code at most)",
                r.findings.dropped(),
                ledgerline_extract::finding::LISTED_PER_CODE
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

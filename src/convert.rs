//! `ledgerline convert`: extracts in, balanced journals out, in the format of your ERP.

use crate::cli_io::Paint;
use crate::common::{InputArgs, json_doc, plural, print_text, summary_line};
use crate::summary::{NotPosted, Output, Summary};
use anyhow::Context;
use ledgerline_atomic::{AtomicFile, OutputSet, failpoint};
use ledgerline_engine::{Checks, Refusal, Tally, Tee};
use ledgerline_erp::{FORMATS, Format};
use ledgerline_findings::Severity;
use ledgerline_guard::duplicates::DuplicateCheck;
use ledgerline_journal::pipeline::Sink;
use ledgerline_ledger::PostingLedger;
use std::io::{BufWriter, IsTerminal, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Convert extracts into balanced double-entry journals.
///
/// Every line is classified (out-of-pocket, company card, personal on a company card,
/// company paid, cash advance issued / applied / returned, tax ...), the implied other side
/// is added as one offset line per counterparty, each journal is reconciled with Concur's
/// report totals (columns 319, 320 and 316) and rounded once to the currency's minor units
/// so it still balances.
///
/// The input is validated in the same pass. An extract with error-level findings is refused
/// (nothing is written, the findings are printed) unless --force is given: then every report
/// with an error (a bad value, a line that fits no kind, a report that does not reconcile,
/// an account the chart lacks) goes whole to the rejection report (--rejects FILE) and
/// everything else converts. --force never posts a damaged file: a header whose record
/// count or total does not match (a download cut short), a repeated header or rows of
/// another batch refuse the run; fetch the file again. The same extract given twice (IO007)
/// or the same report from two inputs (JNL210) is an error; with --force the first is
/// posted and the repeats rejected. Ledgerline's own outputs are refused as inputs (IO005).
///
/// Output and rejects are written to temporary files and put in place together at the end:
/// a failed or interrupted run (Ctrl-C, SIGTERM) leaves neither, and what a killed run left
/// is finished or removed by the next run into the folder. An output that is also an input,
/// or two outputs that are one file, are refused.
///
/// With --accounts FILE every account and dimension value the target ERP would reject is an
/// error (JNL206, JNL207) naming the extract lines that produce it, found before anything is
/// written.
///
/// With --ledger FILE (the SQLite run ledger `fetch` uses) each journal written is recorded
/// per target (--target, by default the format name: a report can be posted once to
/// NetSuite and once to Intacct) once the output is in place. A journal recorded already for
/// the target is skipped with a warning (JNL208; refused with --strict), even when Concur
/// extracts the report again in a later file; the same report with other amounts is an
/// error (JNL209) naming both extracts. `ledgerline ledger list` and `ledgerline ledger
/// forget` show and undo.
///
/// Examples:
///   ledgerline convert extract.txt --to netsuite -o journals.csv
///   ledgerline convert incoming/ --to intacct -o out/intacct.csv --ledger ledger.sqlite
///   ledgerline convert extract.txt --to jsonl --force --rejects rejects.jsonl -o out.jsonl
///
/// Exit status: 0 written, 1 refused because of errors (or written with --force while lines
/// were rejected), 2 could not run, 130 interrupted.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Output format (see `ledgerline formats`).
    #[arg(long = "to", value_name = "FORMAT")]
    to: String,
    /// Output file; standard output when absent.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// Convert despite error-level findings, rejecting the reports they affect.
    #[arg(long)]
    force: bool,
    /// Write rejected and skipped lines here (JSON lines: file, line, journal_id, status, reason).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Print the run report (findings, counts) as JSON on standard error.
    #[arg(long)]
    json: bool,
    /// Record the journals written in this SQLite ledger, and skip the ones it records as
    /// posted already (needs -o).
    #[arg(long, value_name = "FILE", requires = "output")]
    ledger: Option<PathBuf>,
    /// With --ledger: a journal posted already is an error, not a warning.
    #[arg(long, requires = "ledger")]
    strict: bool,
    /// With --ledger: the name of where the journals are posted (default: the format name),
    /// so that one report can be posted once to each of several ERPs or entities.
    #[arg(long, value_name = "NAME", requires = "ledger")]
    target: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let format = parse_format(&a.to)?;
    check_paths(&a)?;
    let rules = a.input.load_rules()?;
    let accounts = a.input.load_accounts()?;
    crate::cli_io::install_signal_cleanup();
    // What killed runs left next to the outputs: finish an interrupted commit (before the
    // ledger settles its pending runs by the files on disk), remove stale temporary files.
    // Said on standard error as they happen, or (--json) in the document, which must stay
    // the only thing there.
    let mut notices: Vec<String> = Vec::new();
    for dest in a.output.iter().chain(a.rejects.iter()) {
        notices.extend(ledgerline_atomic::recover_dir(parent_of(dest)));
    }
    let target_name = a.target.clone().unwrap_or_else(|| format.name().to_owned());
    let say = |notices: &[String]| {
        if !a.json {
            notices.iter().for_each(|n| eprintln!("ledgerline: {n}"));
        }
    };
    say(&notices);
    let settled = notices.len();
    let mut ledger = match &a.ledger {
        Some(path) => Some(open_ledger(path, &mut notices)?),
        None => None,
    };
    say(&notices[settled..]);
    if let (Some(l), Some(out)) = (&ledger, &a.output) {
        ledgerline_engine::refuse_overwriting_posted(l, out)?;
    }
    let mut check = ledger
        .as_ref()
        .map(|l| DuplicateCheck::new(l, &target_name, a.strict))
        .transpose()?;
    // Output goes to a temporary file first: moved into place (or copied to stdout) only
    // once the whole run succeeded, together with the rejects file.
    let mut target = match &a.output {
        Some(path) => Target::File(AtomicFile::create(path)?),
        None => Target::Spool(tempfile::tempfile().context("creating a temporary file")?),
    };
    let mut rejects_file = a.rejects.as_deref().map(AtomicFile::create).transpose()?;
    let format_warnings = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (run, tally) = {
        // Written on a thread of its own (the kernel's copy of the output was a third of the
        // building thread's time); `tee.finish` flushes it, errors included, before the commit.
        let file = target
            .file()
            .try_clone()
            .context("opening the output for writing")?;
        let writer = ledgerline_atomic::WriteBehind::new(file, 1 << 20)
            .context("starting the output writer")?;
        // With --json, nothing but the JSON document goes to standard error: the writer's
        // warnings (a truncated field, a re-rounded amount) go into it.
        let warnings = if a.json {
            let sink = format_warnings.clone();
            ledgerline_erp::Warnings::callback(move |w| {
                let mut v = sink.lock().unwrap_or_else(|e| e.into_inner());
                v.push(w.to_string());
            })
        } else {
            ledgerline_erp::Warnings::stderr()
        };
        let mut tee = Tee::new(ledgerline_erp::create_with(
            format, writer, &rules, warnings,
        )?);
        let checks = Checks {
            accounts: accounts.as_ref(),
            ledger: check.as_mut(),
        };
        let run = a.input.drive(rules.clone(), &mut tee, checks)?;
        tee.finish().context("writing the output")?;
        (run, tee.tally)
    };
    let errors = run.errors();
    let stderr = std::io::stderr();
    let p = Paint(std::env::var_os("NO_COLOR").is_none() && stderr.is_terminal());
    let mut err = stderr.lock();
    // An ERP file posting to the built-in placeholders will not import as meant: one
    // warning, with the counts (canonical and plain-text outputs are for checking).
    let erp = !matches!(
        format,
        Format::Jsonl | Format::Csv | Format::Hledger | Format::Beancount
    );
    let placeholders = erp.then(|| placeholder_warning(format, &tally)).flatten();
    let refusal = run.refusal(a.force);
    let nothing_new = tally.nothing_new(&run);
    let report = |err: &mut dyn Write, min: Severity| -> anyhow::Result<()> {
        if a.json {
            let written = Written {
                run: &run,
                tally: &tally,
                args: &a,
                written: refusal.is_none() && !nothing_new,
                placeholders: placeholders.as_deref(),
                format_warnings: &format_warnings.lock().unwrap_or_else(|e| e.into_inner()),
                notices: &notices,
            };
            let doc = json_doc(&run.reports, Some(written.json()));
            writeln!(err, "{}", serde_json::to_string_pretty(&doc)?)?;
        } else {
            print_text(err, &run.reports, min, p, false)?;
        }
        Ok(())
    };
    match &refusal {
        None => {}
        Some(Refusal::CouldNotRun) => {
            report(&mut err, Severity::Warning)?;
            return Ok(ExitCode::from(2));
        }
        Some(refusal) => {
            report(&mut err, Severity::Warning)?;
            if !a.json {
                print_refusal(&mut err, refusal, &run, p)?;
            }
            return Ok(ExitCode::from(1));
        }
    }
    let mut outputs = OutputSet::default();
    if let Some(mut f) = rejects_file.take() {
        write_rejects(&mut f, tally.rejections())?;
        outputs.add(f);
    }
    target.commit(outputs, ledger.as_mut().zip(check), nothing_new)?;
    if a.json || errors > 0 || run.reports.iter().any(|r| r.findings.warnings() > 0) {
        report(&mut err, Severity::Warning)?;
    }
    if !a.json {
        let summary = Summary {
            files: run.reports.len(),
            skipped_files: run.skipped.len(),
            journals: run.journals,
            lines: run.lines,
            totals: &tally.currencies,
            not_posted: NotPosted::of(&tally),
            output: if nothing_new {
                Output::NotWritten(a.output.as_deref())
            } else {
                Output::Written(a.output.as_deref())
            },
            rejects: a.rejects.as_deref(),
            exceptions: None,
        };
        write!(err, "{summary}")?;
        if let Some(w) = &placeholders {
            writeln!(err, "warning: {w}")?;
        }
    }
    Ok(if errors > 0 || tally.rejected() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The output format `--to` names.
fn parse_format(to: &str) -> anyhow::Result<Format> {
    Format::parse(to).ok_or_else(|| {
        let names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
        anyhow::anyhow!(
            "--to {to}: unknown format; choose one of {}",
            names.join(", ")
        )
    })
}

/// The posting ledger of `--ledger`; what it settled of an interrupted run goes to `notices`.
fn open_ledger(path: &Path, notices: &mut Vec<String>) -> anyhow::Result<PostingLedger> {
    let l = PostingLedger::open(path)?;
    for out in &l.recovery().kept {
        notices.push(format!(
            "ledger: an interrupted run had written {out}: its journals stay recorded"
        ));
    }
    for out in &l.recovery().dropped {
        notices.push(format!(
            "ledger: an interrupted run never wrote {out}: its journals were not posted"
        ));
    }
    Ok(l)
}

/// Why nothing was written, after the findings.
fn print_refusal(
    err: &mut dyn Write,
    refusal: &Refusal<'_>,
    run: &ledgerline_engine::Run,
    p: Paint,
) -> std::io::Result<()> {
    let (line, _) = summary_line(&run.reports);
    writeln!(err, "\n{}", p.red(&line))?;
    if let Refusal::Damaged(damaged) = refusal {
        for r in damaged {
            let first = &r.findings.untrustworthy()[0];
            writeln!(
                err,
                "{}: the file itself is damaged ({} {}): no report in it can be trusted, so --force does not post any; fetch the file again from Concur, or leave it out of the inputs",
                r.file, first.code, first.message
            )?;
        }
        writeln!(err, "nothing written")
    } else {
        writeln!(
            err,
            "nothing written: fix the errors above, or convert everything else with --force (rejected reports go to --rejects FILE)"
        )
    }
}

/// The rejection report: one JSON object per line.
fn write_rejects(
    f: &mut AtomicFile,
    rejections: &[ledgerline_journal::build::Rejection],
) -> anyhow::Result<()> {
    let mut w = BufWriter::new(f.writer());
    for r in rejections {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

/// The warning for an ERP file that posts to the built-in placeholder accounts, with the
/// line counts, if it does.
fn placeholder_warning(format: Format, tally: &Tally) -> Option<String> {
    if tally.placeholders.is_empty() {
        return None;
    }
    let list: Vec<String> = tally
        .placeholders
        .iter()
        .map(|(a, n)| format!("{a} ({})", plural(*n, "line")))
        .collect();
    Some(format!(
        "the {} file posts to placeholder accounts: {}; set your accounts in [offsets] of a rules file (`ledgerline rules init` writes one) before importing",
        format.name(),
        list.join(", ")
    ))
}

/// What `convert --json` says besides the findings: what the text summary says.
struct Written<'a> {
    run: &'a ledgerline_engine::Run,
    tally: &'a Tally,
    args: &'a Args,
    written: bool,
    placeholders: Option<&'a str>,
    /// The format writer's warnings, in full.
    format_warnings: &'a [String],
    /// What was settled of interrupted runs before this one (see `recover_dir`).
    notices: &'a [String],
}

impl Written<'_> {
    fn json(&self) -> serde_json::Value {
        let currencies: serde_json::Map<String, serde_json::Value> = self
            .tally
            .currencies
            .iter()
            .map(|(c, t)| {
                let t = serde_json::json!({
                    "journals": t.journals,
                    "debits": t.debit.to_string(),
                    "credits": t.credit.to_string(),
                });
                (c.clone(), t)
            })
            .collect();
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        serde_json::json!({
            "output": path(&self.args.output),
            "written": self.written,
            "journals": self.run.journals,
            "lines": self.run.lines,
            "currencies": currencies,
            "journals_posted_before": self.tally.posted_before(),
            "lines_rejected": self.tally.rejected(),
            "lines_skipped": self.tally.skipped(),
            "rejects": path(&self.args.rejects),
            "files_skipped": self.run.skipped,
            "placeholder_warning": self.placeholders,
            "format_warnings": self.format_warnings,
            "recovered": self.notices,
        })
    }
}

/// The folder a file is written into.
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The same file, whether or not it exists yet: both exist and are one file, or their
/// absolute paths are equal.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => {
            let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
            abs(a) == abs(b)
        }
    }
}

/// Refuses an output that would overwrite an input or another output of the run.
fn check_paths(a: &Args) -> anyhow::Result<()> {
    let outputs: Vec<(&str, &Path)> = a
        .output
        .iter()
        .map(|p| ("-o", p.as_path()))
        .chain(a.rejects.iter().map(|p| ("--rejects", p.as_path())))
        .chain(a.ledger.iter().map(|p| ("--ledger", p.as_path())))
        .collect();
    for (i, (flag, out)) in outputs.iter().enumerate() {
        if out.is_dir() {
            anyhow::bail!("{flag} {}: is a directory; give a file name", out.display());
        }
        for input in &a.input.inputs {
            if input != "-" && same_file(Path::new(input), out) {
                anyhow::bail!(
                    "{flag} {}: is also an input; writing it would destroy the extract. Choose another output file",
                    out.display()
                );
            }
        }
        for (other_flag, other) in &outputs[..i] {
            if same_file(other, out) {
                anyhow::bail!(
                    "{flag} {} and {other_flag} {} are the same file; one would overwrite the other",
                    out.display(),
                    other.display()
                );
            }
        }
    }
    Ok(())
}

enum Target {
    File(AtomicFile),
    Spool(std::fs::File),
}

impl Target {
    fn file(&mut self) -> &mut std::fs::File {
        match self {
            Target::File(f) => f.writer(),
            Target::Spool(f) => f,
        }
    }

    /// Puts the journals in place with `outputs` (the rejects file). With a ledger: the run is
    /// recorded as pending (with the output's hash), the outputs are put in place, the run is
    /// marked done (an interrupted commit is finished by the next run). Everything posted
    /// before: there is nothing to import, so no (empty) file is written; the rejects file,
    /// if asked for, still lists what was skipped.
    fn commit(
        self,
        outputs: OutputSet,
        ledger: Option<(&mut PostingLedger, DuplicateCheck)>,
        nothing_new: bool,
    ) -> anyhow::Result<()> {
        match self {
            Target::File(file) if nothing_new => {
                drop(file);
                outputs.commit()?;
            }
            Target::File(file) => ledgerline_engine::post(file, outputs, ledger, &failpoint)?,
            Target::Spool(mut f) => {
                // Standard output cannot be renamed into place: the files go first, then the
                // spooled journals are copied out.
                outputs.commit()?;
                f.rewind()?;
                let mut out = crate::cli_io::stdout();
                std::io::copy(&mut f, &mut out).context("writing to standard output")?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

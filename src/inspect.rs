//! `ledgerline inspect`: see what is about to be posted: a trial balance, views by employee,
//! report, kind and currency, the exceptions, and a self-contained HTML report.

use crate::cli_io::{Paint, color_stdout, terminal_width};
use crate::common::{Bar, InputArgs, plural, print_text};
use crate::summary::{NotPosted, Output, Summary};
use anyhow::Context;
use ledgerline_atomic::AtomicFile;
use ledgerline_engine::{CurrencyTotal, InputStream, Run, convert_stream};
use ledgerline_extract::validate::FileReport;
use ledgerline_findings::{Findings, Severity};
use ledgerline_guard::gate::Gate;
use ledgerline_inspect::read::{read_canonical, sniff};
use ledgerline_inspect::{Inspection, Inspector, Options, View};
use ledgerline_journal::pipeline::StreamReport;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Inspect journals before posting them.
///
/// INPUT is an extract (SAE, PRAE, payment batch; converted on the fly with the rules, as
/// `convert` would) or a canonical journal file written by `convert --to jsonl`, `--to csv`
/// or `--to parquet` (recognised by content). Views (--by, repeatable or comma-separated):
///
///   account     trial balance: debit, credit and net per account, dimensions and currency
///   employee    net due to (positive) or from (negative) each employee, cash advances
///               outstanding, personal card charges, expenses
///   report      per journal: total, due to the employee and to card programs
///   kind        how much was out-of-pocket, company card, personal on card, cash advance ...
///   currency    totals per currency and whether debits equal credits
///   exceptions  reconciliation mismatches, personal card charges the employee still owes,
///               cash advances not applied, lines on suspense accounts, rejected lines,
///               accounts the ERP would reject (--accounts)
///
/// Without --by: account and exceptions. Tables fit the terminal width (COLUMNS overrides;
/// nothing is cut in a file or a pipe);
/// --json prints one document, --csv one view as CSV. --html FILE writes one self-contained
/// page (no network) with charts, the trial balance with drill-down to journal lines and
/// their extract lines, and the exceptions. Standard output is the result alone; every run
/// ends with a summary on standard error (files read, journals and lines, debits = credits
/// per currency, lines not posted, exceptions, the HTML file), as `convert` does.
///
/// With --accounts FILE, accounts and dimension values the ERP would reject are errors
/// (JNL206, JNL207) and exceptions, for extracts and canonical files alike.
///
/// With --entries (opt-in, calls Concur), the expense entries behind exceptions that name
/// lines of SAE files are looked up with Expense Entry v1.1 through the stored connection
/// (--concur-config and --company choose it as for `fetch`; at most 50 look-ups) and shown
/// under the views (--json: "entries"). A look-up that fails is said there; it does not
/// change the exit status.
///
/// Examples:
///   ledgerline inspect extract.txt --rules ledgerline.toml
///   ledgerline inspect extract.txt --by employee,exceptions
///   ledgerline inspect out/journals.jsonl --html report.html
///   ledgerline inspect incoming/ --accounts chart.csv --entries --concur-config concur.toml
///
/// Exit status: 0 inspected, 1 error-level findings (the views still show what would be
/// posted), 2 could not run.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Views to show: account, employee, report, kind, currency, exceptions.
    #[arg(long = "by", value_name = "VIEW", value_delimiter = ',',
          value_parser = ["account", "employee", "report", "kind", "currency", "exceptions"])]
    by: Vec<String>,
    /// Write the HTML report here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Print one JSON document (summary, views, findings counts) on standard output.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the one view of --by as CSV on standard output.
    #[arg(long)]
    csv: bool,
    /// A suspense account (repeatable); default: any account whose name contains "suspense".
    #[arg(long, value_name = "ACCOUNT")]
    suspense: Vec<String>,
    /// Journal lines per account kept for the HTML drill-down.
    #[arg(long, default_value_t = 200, value_name = "N")]
    drill: usize,
    /// Look up the expense entries behind the exceptions in Concur (Expense Entry v1.1,
    /// the stored connection).
    #[arg(long)]
    entries: bool,
    /// With --entries: the Concur configuration file (as `fetch --config`).
    #[arg(long, value_name = "FILE", requires = "entries")]
    concur_config: Option<PathBuf>,
    /// With --entries: the company whose connection to use (as `fetch --company`).
    #[arg(long, value_name = "ID", requires = "entries")]
    company: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (print_views, compute) = plan_views(&a)?;
    let rules = a.input.load_rules()?;
    let accounts = a.input.load_accounts()?;
    let opts = a.input.convert_options(rules);
    let inspector = Inspector::new(Options {
        views: compute,
        suspense: a.suspense.clone(),
        drill_limit: if a.html.is_some() { a.drill } else { 0 },
        ..Options::default()
    });
    let max_findings = a.input.max_findings;
    let mut bar = Bar::default();
    // One gate for the whole run, as convert has: the same journal from two inputs is
    // counted once (JNL210), not twice in the trial balance.
    let inspector = std::cell::RefCell::new(inspector);
    let mut shared = Shared(&inspector);
    let mut gate = Gate::new(&mut shared, accounts.as_ref(), None);
    let run = ledgerline_engine::for_each_input(
        &a.input.inputs()?,
        |s: &mut InputStream<'_>| -> anyhow::Result<StreamReport> {
            let name = s.name.clone();
            let size = s.size_hint;
            let mut reader = BufReader::with_capacity(1 << 16, s);
            let prefix = reader
                .fill_buf()
                .with_context(|| format!("reading {name}"))?;
            if let Some(format) = sniff(prefix) {
                let mut ins = inspector.borrow_mut();
                let r = read_canonical(&name, format, &mut reader, &mut ins, accounts.as_ref())?;
                ins.push_findings(&r.findings);
                let mut findings = Findings::with_limit(max_findings);
                for f in r.findings {
                    findings.push(f);
                }
                Ok(StreamReport {
                    validation: FileReport {
                        file: name,
                        kind: Some("canonical journal lines"),
                        rows: r.lines,
                        reports: 0,
                        bytes: 0,
                        findings,
                    },
                    journals: 0,
                    lines: 0,
                    rejected: 0,
                })
            } else {
                let r = convert_stream(&name, &mut reader, size, &opts, &mut gate, &mut bar)?;
                inspector
                    .borrow_mut()
                    .push_findings(r.validation.findings.items());
                Ok(r)
            }
        },
    )?;
    drop(gate);
    let ins = inspector.into_inner().finish()?;
    if let Some(path) = &a.html {
        write_html(path, &ins, a.input.rules.as_deref())?;
    }
    let looked = a.entries.then(|| look_up_entries(&a, &ins)).flatten();
    // Standard output is the result alone (tables, CSV or JSON); what the run did goes to
    // standard error, the summary last.
    print_result(&a, &ins, &run, &print_views, looked.as_ref())?;
    let errors = run.errors();
    let stderr = std::io::stderr();
    let p = Paint(std::env::var_os("NO_COLOR").is_none() && stderr.is_terminal());
    let mut err = stderr.lock();
    // Files of an input folder that are no extract, skipped with a warning (IO002), as
    // `convert` says them.
    let skipped: Vec<FileReport> = run
        .reports
        .iter()
        .filter(|r| run.skipped.contains(&r.file))
        .cloned()
        .collect();
    print_text(&mut err, &skipped, Severity::Warning, p, false)?;
    if errors > 0 && !a.json {
        print_text(&mut err, &run.reports, Severity::Error, p, false)?;
        writeln!(
            err,
            "ledgerline: {} in the inputs (listed above; `ledgerline validate` shows warnings too)",
            plural(errors as u64, "error")
        )?;
    }
    print_summary(&mut err, &a, &ins, &run)?;
    Ok(if run.could_not_run {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The entries looked up for `--entries`, and how many were wanted.
type LookedUp = (Vec<crate::entry::Looked>, usize);

/// The views printed and the views computed (the HTML report needs them all).
fn plan_views(a: &Args) -> anyhow::Result<(Vec<View>, Vec<View>)> {
    let mut views: Vec<View> = a.by.iter().filter_map(|s| View::parse(s)).collect();
    views.dedup();
    if a.csv && views.len() != 1 {
        anyhow::bail!("--csv prints one view: give exactly one --by VIEW");
    }
    let print_views = if views.is_empty() {
        if a.html.is_some() && !a.json {
            Vec::new()
        } else {
            vec![View::Account, View::Exceptions]
        }
    } else {
        views.clone()
    };
    let mut compute = print_views.clone();
    if a.html.is_some() {
        for v in [
            View::Account,
            View::Kind,
            View::Employee,
            View::Currency,
            View::Exceptions,
        ] {
            if !compute.contains(&v) {
                compute.push(v);
            }
        }
    }
    Ok((print_views, compute))
}

/// The HTML report, written whole or not at all.
fn write_html(path: &Path, ins: &Inspection, rules: Option<&Path>) -> anyhow::Result<()> {
    let rules = rules.map(|p| p.display().to_string());
    let generated_at = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let page = ledgerline_inspect::html::render(
        ins,
        &ledgerline_inspect::html::ReportMeta {
            inputs: &ins.files,
            rules: rules.as_deref(),
            generated_at: &generated_at,
        },
    );
    let mut f = AtomicFile::create(path)?;
    f.writer().write_all(page.as_bytes())?;
    f.commit()?;
    Ok(())
}

/// `--entries`: the Expense entries behind the exceptions, looked up in Concur; `None`
/// (with a warning) when that cannot be done.
fn look_up_entries(a: &Args, ins: &Inspection) -> Option<LookedUp> {
    let common = crate::fetch::Common {
        config: a.concur_config.clone(),
        client_id: None,
        token_store: None,
        company: a.company.clone(),
        verbose: false,
    };
    match crate::entry::enrich(&common, &ins.exceptions) {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!("ledgerline: warning: --entries: no look-up: {e:#}");
            None
        }
    }
}

/// The result on standard output: the JSON document, one view as CSV, or the tables.
fn print_result(
    a: &Args,
    ins: &Inspection,
    run: &Run,
    print_views: &[View],
    looked: Option<&LookedUp>,
) -> anyhow::Result<()> {
    let mut out = crate::cli_io::stdout();
    if a.json {
        let mut doc = json_doc(ins, run, print_views);
        if let Some((l, total)) = looked {
            doc["entries"] = serde_json::json!({ "looked_up": l, "total": total });
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else if a.csv {
        if let Some(t) = print_views.first().and_then(|v| ins.table(*v)) {
            t.write_csv(&mut out)?;
        }
    } else if !print_views.is_empty() {
        let p = Paint(color_stdout());
        let width = terminal_width();
        for (i, v) in print_views.iter().enumerate() {
            if let Some(t) = ins.table(*v) {
                if i > 0 {
                    writeln!(out)?;
                }
                t.write_text(&mut out, width, &|s| p.bold(s))?;
            }
        }
        if let Some((l, total)) = looked {
            crate::entry::write_looked(&mut out, l, *total)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The summary the run ends with on standard error.
fn print_summary(
    err: &mut dyn Write,
    a: &Args,
    ins: &Inspection,
    run: &Run,
) -> std::io::Result<()> {
    let totals: BTreeMap<String, CurrencyTotal> = ins
        .currencies
        .iter()
        .map(|c| {
            let t = CurrencyTotal {
                journals: c.journals,
                debit: c.debit,
                credit: c.credit,
            };
            (c.currency.clone(), t)
        })
        .collect();
    let summary = Summary {
        files: run.reports.len(),
        skipped_files: run.skipped.len(),
        journals: ins.journals,
        lines: ins.lines,
        totals: &totals,
        not_posted: NotPosted {
            posted_before: 0,
            rejected: ins.rejected,
            skipped: ins.skipped,
        },
        output: Output::Inspected(a.html.as_deref()),
        rejects: None,
        exceptions: ins
            .table(View::Exceptions)
            .is_some()
            .then_some(ins.exceptions.len()),
    };
    write!(err, "{summary}")
}

fn json_doc(ins: &Inspection, run: &Run, views: &[View]) -> serde_json::Value {
    let (errors, warnings, infos) = ledgerline_extract::validate::totals(&run.reports);
    let mut v = serde_json::Map::new();
    for view in views {
        if let Some(t) = ins.table(*view) {
            v.insert(view.as_str().to_owned(), t.json_rows());
        }
    }
    serde_json::json!({
        "summary": {
            "files": ins.files,
            "journals": ins.journals,
            "lines": ins.lines,
            "rejected": ins.rejected,
            "not_posted": ins.skipped,
            "employees": ins.employees,
            "currencies": ins.currencies,
            "errors": errors,
            "warnings": warnings,
            "infos": infos,
        },
        "views": v,
        // Per input: its kind, counts and findings, as `validate --json` gives them.
        "inputs": crate::common::json_doc(&run.reports, None)["files"].take(),
    })
}

/// The inspector behind the run's gate, shared with the canonical-file reader.
struct Shared<'a>(&'a std::cell::RefCell<Inspector>);

impl ledgerline_journal::pipeline::Sink for Shared<'_> {
    fn write_journal(&mut self, j: &ledgerline_journal::Journal) -> std::io::Result<()> {
        self.0.borrow_mut().write_journal(j)
    }
    fn reject(&mut self, r: &ledgerline_journal::build::Rejection) -> std::io::Result<()> {
        self.0.borrow_mut().reject(r)
    }
}

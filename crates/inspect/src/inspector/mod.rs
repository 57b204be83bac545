//! The inspector: journal lines in, views out. Lines are ingested in column chunks reduced
//! with polars to partial sums as soon as a chunk is full, so memory stays bounded by the
//! chunk size and the number of groups, not by the input; [`Inspector::finish`] sums the
//! partials once more and builds the tables and the exceptions.
//!
//! The parts: `model` (views, options, lines in, the [`Inspection`] out), `ingest` (chunks
//! and partial sums), `tables` (the views as tables), `exceptions` (what needs a look).

mod exceptions;
mod ingest;
mod model;
mod tables;

pub use exceptions::exceptions_table;
pub use model::{CurrencyTotal, DetailLine, Exception, Inspection, LineRef, Options, SCALE, View};

use crate::error::InspectError;
use ingest::RejectedJournal;
use ingest::{Agg, Chunk};
use ledgerline_findings::Finding;
use ledgerline_findings::Subject;
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use tables::{currency_table, empty_table, kind_table, report_table, rows};

/// Accumulates journal lines and turns them into views.
pub struct Inspector {
    opts: Options,
    aggs: Vec<Agg>,
    chunk: Chunk,
    partials: HashMap<Agg, Vec<DataFrame>>,
    files: Vec<String>,
    file_index: HashMap<String, u32>,
    scales: BTreeMap<String, u32>,
    employee_names: HashMap<String, String>,
    /// Every employee met, whichever views are computed (the summary counts them).
    employee_ids: HashSet<String>,
    journals: u64,
    lines: u64,
    last: Option<(u32, String)>,
    detail: Vec<DetailLine>,
    detail_per_account: HashMap<String, usize>,
    detail_dropped: u64,
    suspense: Vec<DetailLine>,
    suspense_count: u64,
    /// The rejected lines, one entry per journal (capped; all lines are counted).
    rejected_journals: Vec<RejectedJournal>,
    rejected_index: HashMap<(String, String), usize>,
    /// Rejected lines of journals past the cap.
    rejected_unlisted: u64,
    /// What the findings of each (file, journal) say it is about (employee, amount,
    /// currency), for the exceptions of its rejected lines.
    subjects: HashMap<(String, String), Subject>,
    rejected: u64,
    skipped: u64,
    findings: Vec<Finding>,
    failed: Option<InspectError>,
}

impl Inspector {
    /// An inspector computing what `opts` asks for.
    pub fn new(opts: Options) -> Inspector {
        let mut aggs = vec![Agg::Currency];
        for v in &opts.views {
            let more: &[Agg] = match v {
                View::Account => &[Agg::Account],
                View::Employee => &[Agg::Employee],
                View::Report => &[Agg::Report],
                View::Kind => &[Agg::Kind],
                View::Currency => &[],
                View::Exceptions => &[Agg::Employee, Agg::Report],
            };
            for a in more {
                if !aggs.contains(a) {
                    aggs.push(*a);
                }
            }
        }
        let cap = opts.chunk_lines.clamp(1, 1 << 20);
        Inspector {
            opts,
            aggs,
            chunk: Chunk::new(cap),
            partials: HashMap::new(),
            files: Vec::new(),
            file_index: HashMap::new(),
            scales: BTreeMap::new(),
            employee_names: HashMap::new(),
            employee_ids: HashSet::new(),
            journals: 0,
            lines: 0,
            last: None,
            detail: Vec::new(),
            detail_per_account: HashMap::new(),
            detail_dropped: 0,
            suspense: Vec::new(),
            suspense_count: 0,
            rejected_journals: Vec::new(),
            rejected_index: HashMap::new(),
            rejected_unlisted: 0,
            subjects: HashMap::new(),
            rejected: 0,
            skipped: 0,
            findings: Vec::new(),
            failed: None,
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Finishes: computes every table.
    pub fn finish(mut self) -> Result<Inspection, InspectError> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.flush()?;
        let mut frames = HashMap::new();
        for a in self.aggs.clone() {
            if let Some(df) = self.total(a)? {
                frames.insert(a, df);
            }
        }
        let mut out = Inspection {
            files: self.files.clone(),
            journals: self.journals,
            lines: self.lines,
            rejected: self.rejected,
            skipped: self.skipped,
            scales: self.scales.clone(),
            currencies: Vec::new(),
            tables: Vec::new(),
            exceptions: Vec::new(),
            detail: std::mem::take(&mut self.detail),
            detail_dropped: self.detail_dropped,
            employees: self.employee_ids.len() as u64,
        };
        let currency_rows = frames
            .get(&Agg::Currency)
            .map(|df| rows(df, Agg::Currency))
            .transpose()?
            .unwrap_or_default();
        for r in &currency_rows {
            let cur = r.text("currency");
            out.currencies.push(CurrencyTotal {
                currency: cur.clone(),
                debit: out.amount(&cur, r.int("debit")),
                credit: out.amount(&cur, r.int("credit")),
                journals: r.count("first"),
                lines: r.count("n"),
            });
        }
        out.currencies.sort_by(|a, b| a.currency.cmp(&b.currency));
        // polars hands groups back in no particular order: sort, so that every output
        // (exceptions included) is deterministic.
        let employee_rows = frames
            .get(&Agg::Employee)
            .map(|df| rows(df, Agg::Employee))
            .transpose()?
            .map(|mut rs| {
                rs.sort_by_key(|r| (r.opt("employee_id"), r.text("currency")));
                rs
            });
        let report_rows = frames
            .get(&Agg::Report)
            .map(|df| rows(df, Agg::Report))
            .transpose()?
            .map(|mut rs| {
                rs.sort_by_key(|r| (r.file, r.text("journal_id"), r.text("currency")));
                rs
            });
        for v in self.opts.views.clone() {
            let t = match v {
                View::Account => frames
                    .get(&Agg::Account)
                    .map(|df| self.account_table(&out, df))
                    .transpose()?,
                View::Kind => frames
                    .get(&Agg::Kind)
                    .map(|df| kind_table(&out, df))
                    .transpose()?,
                View::Currency => Some(currency_table(&out)),
                View::Employee => employee_rows
                    .as_ref()
                    .map(|rows| self.employee_table(&out, rows)),
                View::Report => report_rows.as_ref().map(|rows| report_table(&out, rows)),
                View::Exceptions => None,
            };
            if let Some(t) = t {
                out.tables.push(t);
            } else if v != View::Exceptions {
                out.tables.push(empty_table(v));
            }
        }
        if self.opts.views.contains(&View::Exceptions) {
            out.exceptions =
                self.exceptions(&out, employee_rows.as_deref(), report_rows.as_deref());
            let t = exceptions_table(&out.exceptions);
            out.tables.push(t);
        }
        Ok(out)
    }
}

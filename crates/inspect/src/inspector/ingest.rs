//! Ingestion: journal lines (from the pipeline or a canonical file) go into column chunks;
//! each full chunk is reduced with polars to partial sums per aggregate, so memory stays
//! bounded by the chunk size and the number of groups, not by the input. Lines worth a look
//! later (suspense, drill-down) and rejections are kept here too, capped.

use super::Inspector;
use super::model::{DetailLine, LineRef, SCALE};
use crate::error::{InspectError, Malformed};
use ledgerline_findings::{Check, Finding};
use ledgerline_journal::build::{Rejection, RejectionStatus};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Kind};
use polars::prelude::*;
use rust_decimal::Decimal;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Agg {
    Account,
    Kind,
    Currency,
    Employee,
    Report,
}

impl Agg {
    pub(super) fn keys(self) -> &'static [&'static str] {
        match self {
            Agg::Account => &["account", "dimensions", "currency"],
            Agg::Kind => &["kind", "currency"],
            Agg::Currency => &["currency"],
            Agg::Employee => &["employee_id", "currency"],
            Agg::Report => &[
                "file",
                "journal_id",
                "report_id",
                "employee_id",
                "currency",
                "date",
            ],
        }
    }
    pub(super) fn values(self) -> &'static [&'static str] {
        match self {
            Agg::Account | Agg::Kind => &["debit", "credit", "n"],
            Agg::Currency => &["debit", "credit", "n", "first"],
            Agg::Employee => &[
                "due_employee",
                "cash_advance",
                "personal",
                "expense",
                "first",
                "n",
            ],
            Agg::Report => &["debit", "due_employee", "due_card", "personal", "n"],
        }
    }
}

pub(super) struct Chunk {
    pub(super) len: usize,
    file: Vec<u32>,
    journal_id: StringChunkedBuilder,
    date: StringChunkedBuilder,
    account: StringChunkedBuilder,
    dimensions: StringChunkedBuilder,
    currency: StringChunkedBuilder,
    kind: StringChunkedBuilder,
    employee_id: StringChunkedBuilder,
    report_id: StringChunkedBuilder,
    debit: Vec<i64>,
    credit: Vec<i64>,
    n: Vec<i64>,
    first: Vec<i64>,
    due_employee: Vec<i64>,
    due_card: Vec<i64>,
    cash_advance: Vec<i64>,
    personal: Vec<i64>,
    expense: Vec<i64>,
}

impl Chunk {
    pub(super) fn new(cap: usize) -> Chunk {
        let s = |name: &str| StringChunkedBuilder::new(name.into(), cap);
        Chunk {
            len: 0,
            file: Vec::with_capacity(cap),
            journal_id: s("journal_id"),
            date: s("date"),
            account: s("account"),
            dimensions: s("dimensions"),
            currency: s("currency"),
            kind: s("kind"),
            employee_id: s("employee_id"),
            report_id: s("report_id"),
            debit: Vec::with_capacity(cap),
            credit: Vec::with_capacity(cap),
            n: Vec::with_capacity(cap),
            first: Vec::with_capacity(cap),
            due_employee: Vec::with_capacity(cap),
            due_card: Vec::with_capacity(cap),
            cash_advance: Vec::with_capacity(cap),
            personal: Vec::with_capacity(cap),
            expense: Vec::with_capacity(cap),
        }
    }

    fn frame(self) -> PolarsResult<DataFrame> {
        let h = self.len;
        let i = |name: &str, v: Vec<i64>| Column::new(name.into(), v);
        DataFrame::new(
            h,
            vec![
                Column::new("file".into(), self.file),
                self.journal_id.finish().into_column(),
                self.date.finish().into_column(),
                self.account.finish().into_column(),
                self.dimensions.finish().into_column(),
                self.currency.finish().into_column(),
                self.kind.finish().into_column(),
                self.employee_id.finish().into_column(),
                self.report_id.finish().into_column(),
                i("debit", self.debit),
                i("credit", self.credit),
                i("n", self.n),
                i("first", self.first),
                i("due_employee", self.due_employee),
                i("due_card", self.due_card),
                i("cash_advance", self.cash_advance),
                i("personal", self.personal),
                i("expense", self.expense),
            ],
        )
    }
}

/// Sums `values` per group of `keys`, keeping the value columns' names.
#[allow(deprecated)] // The eager group-by: the lazy engine would pull in polars' streaming
// engine and its cloud I/O once the `parquet` feature is on, for no gain on sums.
fn sum_by(df: &DataFrame, keys: &[&str], values: &[&str]) -> PolarsResult<DataFrame> {
    let mut out = df
        .group_by(keys.iter().copied())?
        .select(values.iter().copied())
        .sum()?;
    for v in values {
        out.rename(&format!("{v}_sum"), (*v).into())?;
    }
    Ok(out)
}

fn to_fixed(d: Decimal) -> Option<i64> {
    let d = if d.scale() > SCALE { d.normalize() } else { d };
    if d.scale() > SCALE {
        return None;
    }
    let m = d.mantissa().checked_mul(10i128.pow(SCALE - d.scale()))?;
    i64::try_from(m).ok()
}

/// What a line of a kind counts towards in the views. Every kind is named (no catch-all),
/// so a kind added to the journal crate does not compile until it is given a role here.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    /// The company's expenses (the employee view's `expenses`).
    Expense,
    /// Moves the cash-advance receivable (`cash_advance_outstanding`).
    CashAdvance,
    /// A personal amount on a company card (`personal_charges`, `personal_owed`).
    Personal,
    /// An offset line: what is due to the employee or a card program.
    Offset,
    /// Counted in the trial balance and the kind view only.
    Other,
}

impl Role {
    fn of(kind: Kind) -> Role {
        match kind {
            Kind::OutOfPocket
            | Kind::OutOfPocketCredit
            | Kind::CompanyCard
            | Kind::CompanyCardCredit
            | Kind::CompanyPaid
            | Kind::Tax
            | Kind::Invoice
            | Kind::PaymentBatch => Role::Expense,
            Kind::CashAdvanceIssued
            | Kind::CashAdvanceApplied
            | Kind::CashAdvanceReturned
            | Kind::CashAdvanceCarryForward => Role::CashAdvance,
            Kind::PersonalOnCompanyCard => Role::Personal,
            Kind::Offset => Role::Offset,
            Kind::Rounding => Role::Other,
        }
    }
}

/// Suspense lines listed (all are counted).
const SUSPENSE_LISTED: usize = 1000;
/// Journals whose rejected lines are listed (all lines are counted).
const REJECTED_JOURNALS_LISTED: usize = 1000;

/// The rejected extract lines of one journal (report): one exception, not one per line.
#[derive(Debug, Clone)]
pub(super) struct RejectedJournal {
    /// The extract.
    pub(super) file: String,
    /// The journal the lines would have gone to.
    pub(super) journal_id: String,
    /// The extract lines, in the order rejected.
    pub(super) lines: Vec<u64>,
    /// The reason given for the first line.
    pub(super) reason: String,
    /// Lines rejected for another reason than the first.
    pub(super) other_reasons: u64,
}

impl Inspector {
    fn file_id(&mut self, name: &str) -> u32 {
        if let Some((f, _)) = &self.last
            && self.files.get(*f as usize).is_some_and(|n| n == name)
        {
            return *f;
        }
        if let Some(i) = self.file_index.get(name) {
            return *i;
        }
        let i = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        self.files.push(name.to_owned());
        self.file_index.insert(name.to_owned(), i);
        i
    }

    fn is_suspense(&self, account: &str) -> bool {
        if self.opts.suspense.is_empty() {
            account
                .as_bytes()
                .windows(8)
                .any(|w| w.eq_ignore_ascii_case(b"suspense"))
        } else {
            self.opts.suspense.iter().any(|s| s == account)
        }
    }

    /// Adds every line of a journal built from an extract.
    pub fn push_journal(&mut self, j: &Journal) -> Result<(), InspectError> {
        let date = j.date.to_string();
        self.scales
            .entry(j.currency.clone())
            .and_modify(|s| *s = (*s).max(j.minor_units))
            .or_insert(j.minor_units);
        if let (Some(id), Some(name)) = (&j.employee_id, &j.employee_name)
            && !self.employee_names.contains_key(id)
        {
            self.employee_names.insert(id.clone(), name.clone());
        }
        let mut cp = String::new();
        for l in &j.lines {
            cp.clear();
            if let Some(c) = &l.counterparty {
                use std::fmt::Write;
                let _ = write!(cp, "{c}");
            }
            self.push_line(&LineRef {
                journal_id: &j.id,
                date: &date,
                line: l.line,
                account: &l.account,
                debit: l.debit,
                credit: l.credit,
                currency: &j.currency,
                kind: Some(l.kind),
                counterparty: l.counterparty.as_ref().map(|_| cp.as_str()),
                employee_id: j.employee_id.as_deref(),
                employee_name: None,
                report_id: j.report_id.as_deref(),
                report_key: j.report_key.as_deref(),
                memo: &l.memo,
                dimensions: &l.dimensions,
                source_file: &j.source_file,
                source_lines: &l.source_lines,
            })?;
        }
        Ok(())
    }

    /// Adds one line. A line whose (file, journal id) differs from the previous line's
    /// starts a new journal.
    pub fn push_line(&mut self, l: &LineRef<'_>) -> Result<(), InspectError> {
        let file = self.file_id(l.source_file);
        let new_journal = self
            .last
            .as_ref()
            .is_none_or(|(f, id)| *f != file || id != l.journal_id);
        if new_journal {
            if self.chunk.len >= self.opts.chunk_lines.max(1) {
                self.flush()?;
            }
            self.journals += 1;
            self.last = Some((file, l.journal_id.to_owned()));
        }
        let bad = |what: &'static str| InspectError::Canonical {
            file: l.source_file.to_owned(),
            line: l.source_lines.first().copied().unwrap_or(0),
            problem: Malformed::TooPrecise {
                journal_id: l.journal_id.to_owned(),
                line: l.line,
                what,
            },
        };
        let debit = to_fixed(l.debit).ok_or_else(|| bad("debit"))?;
        let credit = to_fixed(l.credit).ok_or_else(|| bad("credit"))?;
        // Shown at the currency's minor units, or more when an amount carries more.
        let minor = ledgerline_extract::currency::minor_units(l.currency);
        for d in [l.debit, l.credit] {
            let s = d.normalize().scale().clamp(minor, SCALE);
            let e = self.scales.entry(l.currency.to_owned()).or_insert(s);
            *e = (*e).max(s);
        }
        if let (Some(id), Some(name)) = (l.employee_id, l.employee_name)
            && !self.employee_names.contains_key(id)
        {
            self.employee_names.insert(id.to_owned(), name.to_owned());
        }
        if let Some(id) = l.employee_id.filter(|s| !s.is_empty())
            && !self.employee_ids.contains(id)
        {
            self.employee_ids.insert(id.to_owned());
        }
        let dims = dims_text(l.dimensions);
        let cp = l.counterparty.unwrap_or("");
        let role = l.kind.map_or(Role::Other, Role::of);
        let kind = l.kind.map_or("", Kind::as_str);
        let offset = role == Role::Offset;
        let c = &mut self.chunk;
        c.len += 1;
        c.file.push(file);
        c.journal_id.append_value(l.journal_id);
        c.date.append_value(l.date);
        c.account.append_value(l.account);
        c.dimensions.append_value(&dims);
        c.currency.append_value(l.currency);
        c.kind.append_value(kind);
        c.employee_id
            .append_option(l.employee_id.filter(|s| !s.is_empty()));
        c.report_id
            .append_option(l.report_id.filter(|s| !s.is_empty()));
        c.debit.push(debit);
        c.credit.push(credit);
        c.n.push(1);
        c.first.push(i64::from(new_journal));
        c.due_employee.push(if offset && cp == "employee" {
            credit - debit
        } else {
            0
        });
        c.due_card.push(if offset && cp.starts_with("card:") {
            credit - debit
        } else {
            0
        });
        c.cash_advance.push(if role == Role::CashAdvance {
            debit - credit
        } else {
            0
        });
        c.personal
            .push(if role == Role::Personal && cp == "employee" {
                credit - debit
            } else {
                0
            });
        c.expense.push(if role == Role::Expense {
            debit - credit
        } else {
            0
        });
        self.lines += 1;
        let suspense = self.is_suspense(l.account);
        let drill = self.opts.drill_limit > 0;
        if suspense || drill {
            let detail = DetailLine {
                journal_id: l.journal_id.to_owned(),
                date: l.date.to_owned(),
                line: l.line,
                account: l.account.to_owned(),
                dimensions: dims,
                debit: l.debit,
                credit: l.credit,
                currency: l.currency.to_owned(),
                kind: kind.to_owned(),
                counterparty: l.counterparty.map(str::to_owned),
                employee_id: l.employee_id.map(str::to_owned),
                report_id: l.report_id.map(str::to_owned),
                memo: l.memo.to_owned(),
                source_file: l.source_file.to_owned(),
                source_lines: l.source_lines.to_vec(),
            };
            if suspense {
                self.suspense_count += 1;
                if self.suspense.len() < SUSPENSE_LISTED {
                    self.suspense.push(detail.clone());
                }
            }
            if drill {
                let n = self
                    .detail_per_account
                    .entry(l.account.to_owned())
                    .or_insert(0);
                if *n < self.opts.drill_limit {
                    *n += 1;
                    self.detail.push(detail);
                } else {
                    self.detail_dropped += 1;
                }
            }
        }
        Ok(())
    }

    /// Records a line that went to the rejection report instead of a journal. Rejected
    /// lines are kept per journal (the lines of one report come one after the other).
    pub fn push_rejection(&mut self, r: &Rejection) {
        if r.status != RejectionStatus::Rejected {
            self.skipped += 1;
            return;
        }
        self.rejected += 1;
        let index = match self.rejected_journals.last() {
            Some(g) if g.file == r.file && g.journal_id == r.journal_id => {
                Some(self.rejected_journals.len() - 1)
            }
            _ => self
                .rejected_index
                .get(&(r.file.clone(), r.journal_id.clone()))
                .copied(),
        };
        match index {
            Some(i) => {
                let g = &mut self.rejected_journals[i];
                g.lines.push(r.line);
                if g.reason != r.reason {
                    g.other_reasons += 1;
                }
            }
            None if self.rejected_journals.len() < REJECTED_JOURNALS_LISTED => {
                self.rejected_index.insert(
                    (r.file.clone(), r.journal_id.clone()),
                    self.rejected_journals.len(),
                );
                self.rejected_journals.push(RejectedJournal {
                    file: r.file.clone(),
                    journal_id: r.journal_id.clone(),
                    lines: vec![r.line],
                    reason: r.reason.clone(),
                    other_reasons: 0,
                });
            }
            None => self.rejected_unlisted += 1,
        }
    }

    /// Adds validation findings; the ones worth an exception (reconciliation, balance,
    /// accounts, ledger) are kept.
    pub fn push_findings<'a>(&mut self, findings: impl IntoIterator<Item = &'a Finding>) {
        for f in findings {
            if let Some(s) = &f.subject
                && let Some(id) = &s.journal_id
            {
                self.subjects
                    .entry((f.file.clone(), id.clone()))
                    .or_insert_with(|| s.clone());
            }
            if matches!(
                f.code.check,
                Check::Reconciliation
                    | Check::Unbalanced
                    | Check::UnknownAccount
                    | Check::UnknownDimensionValue
                    | Check::AlreadyPosted
                    | Check::PostedDifferently
            ) {
                self.findings.push(f.clone());
            }
        }
    }

    pub(super) fn flush(&mut self) -> Result<(), InspectError> {
        if self.chunk.len == 0 {
            return Ok(());
        }
        let cap = self.opts.chunk_lines.clamp(1, 1 << 20);
        let chunk = std::mem::replace(&mut self.chunk, Chunk::new(cap));
        let df = chunk
            .frame()
            .map_err(InspectError::polars("building a chunk"))?;
        for a in &self.aggs {
            let part = sum_by(&df, a.keys(), a.values())
                .map_err(InspectError::polars("aggregating a chunk"))?;
            self.partials.entry(*a).or_default().push(part);
        }
        Ok(())
    }

    pub(super) fn total(&mut self, a: Agg) -> Result<Option<DataFrame>, InspectError> {
        let Some(parts) = self.partials.remove(&a) else {
            return Ok(None);
        };
        let mut it = parts.into_iter();
        let Some(mut all) = it.next() else {
            return Ok(None);
        };
        let mut several = false;
        for p in it {
            several = true;
            all.vstack_mut(&p)
                .map_err(InspectError::polars("merging partial sums"))?;
        }
        if several {
            all = sum_by(&all, a.keys(), a.values())
                .map_err(InspectError::polars("merging partial sums"))?;
        }
        Ok(Some(all))
    }
}

impl Sink for Inspector {
    fn write_journal(&mut self, journal: &Journal) -> std::io::Result<()> {
        if self.failed.is_none()
            && let Err(e) = self.push_journal(journal)
        {
            self.failed = Some(e);
        }
        Ok(())
    }
    fn reject(&mut self, r: &Rejection) -> std::io::Result<()> {
        self.push_rejection(r);
        Ok(())
    }
}

fn dims_text(dims: &[(String, String)]) -> String {
    let mut s = String::new();
    for (k, v) in dims {
        if !s.is_empty() {
            s.push_str("; ");
        }
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s
}

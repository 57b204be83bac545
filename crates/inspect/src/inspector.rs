//! Ingestion and aggregation: journal lines go into column chunks; each chunk is reduced
//! with polars to partial sums per view as soon as it is full, so memory stays bounded by
//! the chunk size and the number of groups, not by the input. The final tables sum the
//! partials once more.

use crate::error::InspectError;
use crate::table::{Cell, ColumnKind, Table};
use ledgerline_extract::finding::{Check, Finding};
use ledgerline_journal::Journal;
use ledgerline_journal::build::{Rejection, RejectionStatus};
use ledgerline_journal::pipeline::Sink;
use polars::prelude::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Amounts are kept as integers of 10^-4 (every ISO 4217 minor unit fits), so sums are exact.
pub const SCALE: u32 = 4;

/// A view of the journals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// Trial balance: debit, credit and net per account, dimensions and currency.
    Account,
    /// Per employee: net due to (or from) the employee, cash advances outstanding,
    /// personal card charges.
    Employee,
    /// Per journal (report): totals, due to the employee and to card programs.
    Report,
    /// Per kind: how much was out-of-pocket, company card, personal on card ...
    Kind,
    /// Per currency: totals and whether debits equal credits.
    Currency,
    /// What needs a look before posting.
    Exceptions,
}

impl View {
    /// Every view, in display order.
    pub const ALL: [View; 6] = [
        View::Account,
        View::Employee,
        View::Report,
        View::Kind,
        View::Currency,
        View::Exceptions,
    ];

    /// The `--by` name.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Account => "account",
            View::Employee => "employee",
            View::Report => "report",
            View::Kind => "kind",
            View::Currency => "currency",
            View::Exceptions => "exceptions",
        }
    }

    /// The view named `s`.
    pub fn parse(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct Options {
    /// Views wanted (the currency totals of the summary are always computed).
    pub views: Vec<View>,
    /// Accounts that are suspense accounts (exact); when empty, any account whose name
    /// contains `suspense` (any case) is.
    pub suspense: Vec<String>,
    /// Journal lines kept per account for drill-down (the HTML report); 0 keeps none.
    pub drill_limit: usize,
    /// Lines per chunk reduced at once.
    pub chunk_lines: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            views: vec![View::Account],
            suspense: Vec::new(),
            drill_limit: 0,
            chunk_lines: 1 << 18,
        }
    }
}

/// One journal line as the inspector reads it, from a journal or a canonical file.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    /// Journal id.
    pub journal_id: &'a str,
    /// Journal date.
    pub date: &'a str,
    /// Line number in the journal.
    pub line: u32,
    /// Account.
    pub account: &'a str,
    /// Debit.
    pub debit: Decimal,
    /// Credit.
    pub credit: Decimal,
    /// Currency.
    pub currency: &'a str,
    /// Kind (`out_of_pocket`, `offset` ...).
    pub kind: &'a str,
    /// Counterparty (`employee`, `card:<program>` ...).
    pub counterparty: Option<&'a str>,
    /// Employee id.
    pub employee_id: Option<&'a str>,
    /// Employee name (extracts only).
    pub employee_name: Option<&'a str>,
    /// Report id.
    pub report_id: Option<&'a str>,
    /// Report key.
    pub report_key: Option<&'a str>,
    /// Memo.
    pub memo: &'a str,
    /// Dimensions.
    pub dimensions: &'a [(String, String)],
    /// The extract the line came from.
    pub source_file: &'a str,
    /// The extract lines behind it.
    pub source_lines: &'a [u64],
}

/// A journal line kept for drill-down or as an exception.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DetailLine {
    /// Journal id.
    pub journal_id: String,
    /// Date.
    pub date: String,
    /// Line in the journal.
    pub line: u32,
    /// Account.
    pub account: String,
    /// Dimensions as `name=value; ...`.
    pub dimensions: String,
    /// Debit.
    pub debit: Decimal,
    /// Credit.
    pub credit: Decimal,
    /// Currency.
    pub currency: String,
    /// Kind.
    pub kind: String,
    /// Counterparty.
    pub counterparty: Option<String>,
    /// Employee.
    pub employee_id: Option<String>,
    /// Report id.
    pub report_id: Option<String>,
    /// Memo.
    pub memo: String,
    /// Extract file.
    pub source_file: String,
    /// Extract lines.
    pub source_lines: Vec<u64>,
}

/// An exception: something to look at before posting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exception {
    /// `reconciliation`, `unbalanced`, `personal_owed`, `cash_advance_outstanding`,
    /// `suspense`, `rejected`, `account`, `ledger`.
    pub kind: &'static str,
    /// Extract (or journal) file.
    pub file: Option<String>,
    /// Extract line(s).
    pub lines: Vec<u64>,
    /// Journal id.
    pub journal_id: Option<String>,
    /// Employee.
    pub employee_id: Option<String>,
    /// Account.
    pub account: Option<String>,
    /// Amount concerned.
    pub amount: Option<Decimal>,
    /// Currency.
    pub currency: Option<String>,
    /// What it is.
    pub detail: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Agg {
    Account,
    Kind,
    Currency,
    Employee,
    Report,
}

impl Agg {
    fn keys(self) -> &'static [&'static str] {
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
    fn values(self) -> &'static [&'static str] {
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

struct Chunk {
    len: usize,
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
    fn new(cap: usize) -> Chunk {
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

/// Kinds whose lines move the cash-advance receivable.
const CASH_ADVANCE_KINDS: [&str; 4] = [
    "cash_advance_issued",
    "cash_advance_applied",
    "cash_advance_returned",
    "cash_advance_carry_forward",
];

/// Kinds whose lines are the company's expenses (not offsets, advances or personal charges).
const EXPENSE_KINDS: [&str; 8] = [
    "out_of_pocket",
    "out_of_pocket_credit",
    "company_card",
    "company_card_credit",
    "company_paid",
    "tax",
    "invoice",
    "payment_batch",
];

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
    journals: u64,
    lines: u64,
    last: Option<(u32, String)>,
    detail: Vec<DetailLine>,
    detail_per_account: HashMap<String, usize>,
    detail_dropped: u64,
    suspense: Vec<DetailLine>,
    suspense_count: u64,
    rejections: Vec<Rejection>,
    rejected: u64,
    skipped: u64,
    findings: Vec<Finding>,
    failed: Option<InspectError>,
}

/// Suspense lines listed (all are counted).
const SUSPENSE_LISTED: usize = 1000;
/// Rejections listed (all are counted).
const REJECTIONS_LISTED: usize = 1000;

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
            journals: 0,
            lines: 0,
            last: None,
            detail: Vec::new(),
            detail_per_account: HashMap::new(),
            detail_dropped: 0,
            suspense: Vec::new(),
            suspense_count: 0,
            rejections: Vec::new(),
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
                kind: l.kind.as_str(),
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
        let bad = |what: &str| InspectError::Canonical {
            file: l.source_file.to_owned(),
            line: l.source_lines.first().copied().unwrap_or(0),
            message: format!(
                "journal {} line {}: {what} has more than {SCALE} decimal places or is too large",
                l.journal_id, l.line
            ),
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
        let dims = dims_text(l.dimensions);
        let cp = l.counterparty.unwrap_or("");
        let offset = l.kind == "offset";
        let c = &mut self.chunk;
        c.len += 1;
        c.file.push(file);
        c.journal_id.append_value(l.journal_id);
        c.date.append_value(l.date);
        c.account.append_value(l.account);
        c.dimensions.append_value(&dims);
        c.currency.append_value(l.currency);
        c.kind.append_value(l.kind);
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
        c.cash_advance
            .push(if CASH_ADVANCE_KINDS.contains(&l.kind) {
                debit - credit
            } else {
                0
            });
        c.personal.push(
            if l.kind == "personal_on_company_card" && cp == "employee" {
                credit - debit
            } else {
                0
            },
        );
        c.expense.push(if EXPENSE_KINDS.contains(&l.kind) {
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
                kind: l.kind.to_owned(),
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

    /// Records a line that went to the rejection report instead of a journal.
    pub fn push_rejection(&mut self, r: &Rejection) {
        if r.status == RejectionStatus::Rejected {
            self.rejected += 1;
        } else {
            self.skipped += 1;
        }
        if self.rejections.len() < REJECTIONS_LISTED {
            self.rejections.push(r.clone());
        }
    }

    /// Adds validation findings; the ones worth an exception (reconciliation, balance,
    /// accounts, ledger) are kept.
    pub fn push_findings<'a>(&mut self, findings: impl IntoIterator<Item = &'a Finding>) {
        for f in findings {
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

    fn flush(&mut self) -> Result<(), InspectError> {
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

    fn total(&mut self, a: Agg) -> Result<Option<DataFrame>, InspectError> {
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
            employees: 0,
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
        if let Some(er) = &employee_rows {
            out.employees = er
                .iter()
                .filter_map(|r| r.opt("employee_id"))
                .collect::<HashSet<_>>()
                .len() as u64;
        }
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

    fn account_table(&self, out: &Inspection, df: &DataFrame) -> Result<Table, InspectError> {
        let mut rs = rows(df, Agg::Account)?;
        rs.sort_by(|a, b| {
            (a.text("account"), a.text("dimensions"), a.text("currency")).cmp(&(
                b.text("account"),
                b.text("dimensions"),
                b.text("currency"),
            ))
        });
        let mut t = Table::new(
            "account",
            "Trial balance by account",
            &[
                ("account", ColumnKind::Text),
                ("dimensions", ColumnKind::Text),
                ("currency", ColumnKind::Text),
                ("debit", ColumnKind::Amount),
                ("credit", ColumnKind::Amount),
                ("net", ColumnKind::Amount),
                ("lines", ColumnKind::Count),
            ],
        );
        for r in &rs {
            let cur = r.text("currency");
            let (d, c) = (r.int("debit"), r.int("credit"));
            t.rows.push(vec![
                Cell::Text(r.text("account")),
                Cell::text_or_null(r.opt("dimensions").as_deref()),
                Cell::Text(cur.clone()),
                Cell::Amount(out.amount(&cur, d)),
                Cell::Amount(out.amount(&cur, c)),
                Cell::Amount(out.amount(&cur, d - c)),
                Cell::Count(r.count("n")),
            ]);
        }
        totals_notes(out, &mut t);
        Ok(t)
    }

    fn employee_table(&self, out: &Inspection, rs: &[Row]) -> Table {
        let mut rs: Vec<&Row> = rs.iter().collect();
        rs.sort_by(|a, b| {
            (a.opt("employee_id"), a.text("currency"))
                .cmp(&(b.opt("employee_id"), b.text("currency")))
        });
        let mut t = Table::new(
            "employee",
            "By employee (due: positive owed to the employee, negative owed by the employee)",
            &[
                ("employee_id", ColumnKind::Text),
                ("employee_name", ColumnKind::Text),
                ("currency", ColumnKind::Text),
                ("journals", ColumnKind::Count),
                ("expenses", ColumnKind::Amount),
                ("due_to_employee", ColumnKind::Amount),
                ("cash_advance_outstanding", ColumnKind::Amount),
                ("personal_charges", ColumnKind::Amount),
            ],
        );
        for r in rs {
            let cur = r.text("currency");
            let id = r.opt("employee_id");
            let name = id
                .as_ref()
                .and_then(|i| self.employee_names.get(i))
                .cloned();
            t.rows.push(vec![
                Cell::text_or_null(id.as_deref()),
                Cell::text_or_null(name.as_deref()),
                Cell::Text(cur.clone()),
                Cell::Count(r.count("first")),
                Cell::Amount(out.amount(&cur, r.int("expense"))),
                Cell::Amount(out.amount(&cur, r.int("due_employee"))),
                Cell::Amount(out.amount(&cur, r.int("cash_advance"))),
                Cell::Amount(out.amount(&cur, r.int("personal"))),
            ]);
        }
        t
    }

    fn exceptions(
        &self,
        out: &Inspection,
        employees: Option<&[Row]>,
        reports: Option<&[Row]>,
    ) -> Vec<Exception> {
        let mut ex = Vec::new();
        for f in &self.findings {
            let kind = match f.code.check {
                Check::Reconciliation => "reconciliation",
                Check::Unbalanced => "unbalanced",
                Check::UnknownAccount | Check::UnknownDimensionValue => "account",
                _ => "ledger",
            };
            ex.push(Exception {
                kind,
                file: Some(f.file.clone()),
                lines: f.line.into_iter().collect(),
                journal_id: None,
                employee_id: None,
                account: None,
                amount: None,
                currency: None,
                detail: format!("{} {}", f.code, f.message),
            });
        }
        for r in reports.unwrap_or_default() {
            let (personal, due) = (r.int("personal"), r.int("due_employee"));
            if personal > 0 && due < 0 {
                let cur = r.text("currency");
                let owed = personal.min(-due);
                let file = self.files.get(r.file()).cloned();
                ex.push(Exception {
                    kind: "personal_owed",
                    file,
                    lines: Vec::new(),
                    journal_id: Some(r.text("journal_id")),
                    employee_id: r.opt("employee_id"),
                    account: None,
                    amount: Some(out.amount(&cur, owed)),
                    currency: Some(cur.clone()),
                    detail: format!(
                        "personal card charges of {} {cur}; the employee owes the company {} {cur} on this report",
                        out.amount(&cur, personal),
                        out.amount(&cur, -due)
                    ),
                });
            }
        }
        for r in employees.unwrap_or_default() {
            let ca = r.int("cash_advance");
            if ca > 0 {
                let cur = r.text("currency");
                ex.push(Exception {
                    kind: "cash_advance_outstanding",
                    file: None,
                    lines: Vec::new(),
                    journal_id: None,
                    employee_id: r.opt("employee_id"),
                    account: None,
                    amount: Some(out.amount(&cur, ca)),
                    currency: Some(cur.clone()),
                    detail: format!(
                        "cash advances issued but not applied or returned: {} {cur}",
                        out.amount(&cur, ca)
                    ),
                });
            }
        }
        for l in &self.suspense {
            let amount = if l.debit.is_zero() {
                -l.credit
            } else {
                l.debit
            };
            ex.push(Exception {
                kind: "suspense",
                file: Some(l.source_file.clone()),
                lines: l.source_lines.clone(),
                journal_id: Some(l.journal_id.clone()),
                employee_id: l.employee_id.clone(),
                account: Some(l.account.clone()),
                amount: Some(amount),
                currency: Some(l.currency.clone()),
                detail: format!(
                    "line {} routed to suspense account {}: {}",
                    l.line,
                    l.account,
                    l.memo.trim()
                ),
            });
        }
        if self.suspense_count > self.suspense.len() as u64 {
            ex.push(Exception {
                kind: "suspense",
                file: None,
                lines: Vec::new(),
                journal_id: None,
                employee_id: None,
                account: None,
                amount: None,
                currency: None,
                detail: format!(
                    "{} more suspense lines not listed",
                    self.suspense_count - self.suspense.len() as u64
                ),
            });
        }
        for r in self
            .rejections
            .iter()
            .filter(|r| r.status == RejectionStatus::Rejected)
        {
            ex.push(Exception {
                kind: "rejected",
                file: Some(r.file.clone()),
                lines: vec![r.line],
                journal_id: Some(r.journal_id.clone()),
                employee_id: None,
                account: None,
                amount: None,
                currency: None,
                detail: r.reason.clone(),
            });
        }
        let listed = self
            .rejections
            .iter()
            .filter(|r| r.status == RejectionStatus::Rejected)
            .count() as u64;
        if self.rejected > listed {
            ex.push(Exception {
                kind: "rejected",
                file: None,
                lines: Vec::new(),
                journal_id: None,
                employee_id: None,
                account: None,
                amount: None,
                currency: None,
                detail: format!("{} more rejected lines not listed", self.rejected - listed),
            });
        }
        ex
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

/// Totals per currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CurrencyTotal {
    /// Currency.
    pub currency: String,
    /// Total debits.
    pub debit: Decimal,
    /// Total credits.
    pub credit: Decimal,
    /// Journals.
    pub journals: u64,
    /// Lines.
    pub lines: u64,
}

/// The result of an inspection.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Input files, in the order first seen.
    pub files: Vec<String>,
    /// Journals.
    pub journals: u64,
    /// Journal lines.
    pub lines: u64,
    /// Extract lines rejected.
    pub rejected: u64,
    /// Extract lines deliberately not posted.
    pub skipped: u64,
    /// Decimal places shown per currency.
    pub scales: BTreeMap<String, u32>,
    /// Totals per currency.
    pub currencies: Vec<CurrencyTotal>,
    /// Distinct employees (when a per-employee view was computed).
    pub employees: u64,
    /// The tables asked for, in order.
    pub tables: Vec<Table>,
    /// Exceptions (when asked for).
    pub exceptions: Vec<Exception>,
    /// Journal lines kept for drill-down (up to `drill_limit` per account).
    pub detail: Vec<DetailLine>,
    /// Lines not kept for drill-down.
    pub detail_dropped: u64,
}

impl Inspection {
    /// The fixed-point `v` as an amount in `currency`'s display scale.
    pub fn amount(&self, currency: &str, v: i64) -> Decimal {
        let mut d = Decimal::new(v, SCALE);
        let s = self.scales.get(currency).copied().unwrap_or(2);
        d.rescale(s);
        d
    }

    /// The table of `view`, if computed.
    pub fn table(&self, view: View) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == view.as_str())
    }
}

/// One aggregated row, read back from polars.
struct Row {
    strs: HashMap<&'static str, Option<String>>,
    ints: HashMap<&'static str, i64>,
    file: u32,
}

impl Row {
    fn text(&self, k: &str) -> String {
        self.opt(k).unwrap_or_default()
    }
    fn opt(&self, k: &str) -> Option<String> {
        self.strs
            .get(k)
            .cloned()
            .flatten()
            .filter(|s| !s.is_empty())
    }
    fn int(&self, k: &str) -> i64 {
        self.ints.get(k).copied().unwrap_or(0)
    }
    fn count(&self, k: &str) -> u64 {
        u64::try_from(self.int(k)).unwrap_or(0)
    }
    fn file(&self) -> usize {
        self.file as usize
    }
}

fn rows(df: &DataFrame, a: Agg) -> Result<Vec<Row>, InspectError> {
    let h = df.height();
    let mut out: Vec<Row> = (0..h)
        .map(|_| Row {
            strs: HashMap::new(),
            ints: HashMap::new(),
            file: 0,
        })
        .collect();
    for k in a.keys() {
        let col = df
            .column(k)
            .map_err(InspectError::polars("reading aggregates"))?;
        if *k == "file" {
            let ca = col
                .u32()
                .map_err(InspectError::polars("reading aggregates"))?;
            for (row, v) in out.iter_mut().zip(ca.iter()) {
                row.file = v.unwrap_or(0);
            }
            continue;
        }
        let ca = col
            .str()
            .map_err(InspectError::polars("reading aggregates"))?;
        for (row, v) in out.iter_mut().zip(ca.iter()) {
            row.strs.insert(k, v.map(str::to_owned));
        }
    }
    for v in a.values() {
        let col = df
            .column(v)
            .map_err(InspectError::polars("reading aggregates"))?;
        let ca = col
            .i64()
            .map_err(InspectError::polars("reading aggregates"))?;
        for (row, x) in out.iter_mut().zip(ca.iter()) {
            row.ints.insert(v, x.unwrap_or(0));
        }
    }
    Ok(out)
}

fn totals_notes(out: &Inspection, t: &mut Table) {
    for c in &out.currencies {
        let state = if c.debit == c.credit {
            "balanced"
        } else {
            "NOT BALANCED"
        };
        t.notes.push(format!(
            "total {}: debit {}, credit {} ({state})",
            c.currency, c.debit, c.credit
        ));
    }
}

fn kind_table(out: &Inspection, df: &DataFrame) -> Result<Table, InspectError> {
    let mut rs = rows(df, Agg::Kind)?;
    let order = |k: &str| {
        ledgerline_journal::Kind::ALL
            .iter()
            .position(|x| x.as_str() == k)
            .unwrap_or(usize::MAX)
    };
    rs.sort_by(|a, b| {
        (order(&a.text("kind")), a.text("kind"), a.text("currency")).cmp(&(
            order(&b.text("kind")),
            b.text("kind"),
            b.text("currency"),
        ))
    });
    let mut t = Table::new(
        "kind",
        "By kind",
        &[
            ("kind", ColumnKind::Text),
            ("currency", ColumnKind::Text),
            ("debit", ColumnKind::Amount),
            ("credit", ColumnKind::Amount),
            ("net", ColumnKind::Amount),
            ("lines", ColumnKind::Count),
        ],
    );
    for r in &rs {
        let cur = r.text("currency");
        let (d, c) = (r.int("debit"), r.int("credit"));
        t.rows.push(vec![
            Cell::Text(r.text("kind")),
            Cell::Text(cur.clone()),
            Cell::Amount(out.amount(&cur, d)),
            Cell::Amount(out.amount(&cur, c)),
            Cell::Amount(out.amount(&cur, d - c)),
            Cell::Count(r.count("n")),
        ]);
    }
    Ok(t)
}

fn currency_table(out: &Inspection) -> Table {
    let mut t = Table::new(
        "currency",
        "By currency",
        &[
            ("currency", ColumnKind::Text),
            ("journals", ColumnKind::Count),
            ("lines", ColumnKind::Count),
            ("debit", ColumnKind::Amount),
            ("credit", ColumnKind::Amount),
            ("balanced", ColumnKind::Text),
        ],
    );
    for c in &out.currencies {
        t.rows.push(vec![
            Cell::Text(c.currency.clone()),
            Cell::Count(c.journals),
            Cell::Count(c.lines),
            Cell::Amount(c.debit),
            Cell::Amount(c.credit),
            Cell::Text(if c.debit == c.credit { "yes" } else { "no" }.into()),
        ]);
    }
    t
}

fn report_table(out: &Inspection, rs: &[Row]) -> Table {
    let mut rs: Vec<&Row> = rs.iter().collect();
    rs.sort_by_key(|a| (a.file, a.text("journal_id")));
    let mut t = Table::new(
        "report",
        "By journal (report)",
        &[
            ("journal_id", ColumnKind::Text),
            ("report_id", ColumnKind::Text),
            ("employee_id", ColumnKind::Text),
            ("date", ColumnKind::Text),
            ("currency", ColumnKind::Text),
            ("lines", ColumnKind::Count),
            ("total", ColumnKind::Amount),
            ("due_to_employee", ColumnKind::Amount),
            ("due_to_card", ColumnKind::Amount),
            ("file", ColumnKind::Text),
        ],
    );
    for r in rs {
        let cur = r.text("currency");
        t.rows.push(vec![
            Cell::Text(r.text("journal_id")),
            Cell::text_or_null(r.opt("report_id").as_deref()),
            Cell::text_or_null(r.opt("employee_id").as_deref()),
            Cell::Text(r.text("date")),
            Cell::Text(cur.clone()),
            Cell::Count(r.count("n")),
            Cell::Amount(out.amount(&cur, r.int("debit"))),
            Cell::Amount(out.amount(&cur, r.int("due_employee"))),
            Cell::Amount(out.amount(&cur, r.int("due_card"))),
            Cell::text_or_null(out.files.get(r.file()).map(String::as_str)),
        ]);
    }
    t
}

fn empty_table(v: View) -> Table {
    let mut t = Table::new(v.as_str(), format!("By {}", v.as_str()), &[]);
    t.notes.push("no journal lines".into());
    t
}

/// The exceptions as a table.
pub fn exceptions_table(ex: &[Exception]) -> Table {
    let mut t = Table::new(
        "exceptions",
        "Exceptions",
        &[
            ("kind", ColumnKind::Text),
            ("file", ColumnKind::Text),
            ("lines", ColumnKind::Text),
            ("journal_id", ColumnKind::Text),
            ("employee_id", ColumnKind::Text),
            ("amount", ColumnKind::Amount),
            ("currency", ColumnKind::Text),
            ("detail", ColumnKind::Text),
        ],
    );
    for e in ex {
        t.rows.push(vec![
            Cell::Text(e.kind.to_owned()),
            Cell::text_or_null(e.file.as_deref()),
            if e.lines.is_empty() {
                Cell::Null
            } else {
                Cell::Text(
                    e.lines
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            },
            Cell::text_or_null(e.journal_id.as_deref()),
            Cell::text_or_null(e.employee_id.as_deref()),
            e.amount.map(Cell::Amount).unwrap_or(Cell::Null),
            Cell::text_or_null(e.currency.as_deref()),
            Cell::Text(e.detail.clone()),
        ]);
    }
    t
}

//! The journal builder: groups postings into journals, adds the aggregated offset lines,
//! reconciles against Concur's own report totals and rounds once per journal.
//!
//! With report grouping (the default) a journal is finished as soon as the next report
//! starts, so memory is bounded by the largest report. A report whose lines are not
//! contiguous is posted in parts (`<id>#2` ...), each balanced, with a warning. Batch and
//! employee-day grouping keep their journals open until the end of the input.

use crate::classify::Tag;
use crate::model::{Counterparty, Journal, JournalLine, Kind, Posting, Side};
use crate::round::{largest_remainder, round_amount};
use crate::rules::{CardBilling, DateSource, Grouping, Rules};
use crate::template::{Values, Var};
use ledgerline_extract::Position;
use ledgerline_extract::finding::{Check, Family, Finding, Findings, Severity};
use ledgerline_extract::schema::SaeCol;
use ledgerline_extract::value::Date;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// What the builder needs to know about one extract row, whatever its file kind. Text
/// borrows from the row where it can: a row costs no allocation unless it starts a journal.
#[derive(Debug, Clone, Default)]
pub struct RowFacts<'a> {
    /// 1-based line.
    pub line: u64,
    /// Byte offset of the line.
    pub byte: u64,
    /// Report (SAE), invoice (PRAE) or claim (batch) id; empty for rows outside any.
    pub group_id: Cow<'a, str>,
    /// Key of a row outside any report (the cash-advance key); its journal is
    /// `CA-<key>`, or `LINE-<n>` without one.
    pub standalone_key: Cow<'a, str>,
    /// Concur report id.
    pub report_id: Option<Cow<'a, str>>,
    /// Report key or number.
    pub report_key: Option<Cow<'a, str>>,
    /// Employee id.
    pub employee_id: Option<Cow<'a, str>>,
    /// Employee name.
    pub employee_name: Option<Cow<'a, str>>,
    /// Currency.
    pub currency: Cow<'a, str>,
    /// Report name / invoice title.
    pub title: Cow<'a, str>,
    /// Batch id.
    pub batch_id: Cow<'a, str>,
    /// Batch date.
    pub batch_date: Option<Date>,
    /// Submit date.
    pub submit_date: Option<Date>,
    /// Payment processing date.
    pub processing_date: Option<Date>,
    /// Entry (transaction) date.
    pub entry_date: Option<Date>,
    /// Concur's net due to the employee for the report (SAE column 319).
    pub due_employee: Option<Decimal>,
    /// Concur's net due to the card programs for the report (SAE column 320).
    pub due_card: Option<Decimal>,
    /// The invoice total due to the vendor (PRAE column 10).
    pub due_vendor: Option<Decimal>,
}

fn own(c: &str) -> Cow<'static, str> {
    Cow::Owned(c.to_owned())
}

impl RowFacts<'_> {
    /// A copy that owns its text.
    pub fn into_owned(&self) -> RowFacts<'static> {
        RowFacts {
            line: self.line,
            byte: self.byte,
            group_id: own(&self.group_id),
            standalone_key: own(&self.standalone_key),
            report_id: self.report_id.as_deref().map(own),
            report_key: self.report_key.as_deref().map(own),
            employee_id: self.employee_id.as_deref().map(own),
            employee_name: self.employee_name.as_deref().map(own),
            currency: own(&self.currency),
            title: own(&self.title),
            batch_id: own(&self.batch_id),
            batch_date: self.batch_date,
            submit_date: self.submit_date,
            processing_date: self.processing_date,
            entry_date: self.entry_date,
            due_employee: self.due_employee,
            due_card: self.due_card,
            due_vendor: self.due_vendor,
        }
    }

    fn standalone_id(&self) -> String {
        if self.standalone_key.is_empty() {
            format!("LINE-{}", self.line)
        } else {
            format!("CA-{}", self.standalone_key)
        }
    }
}

/// What classification made of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Postings (one, or several for PRAE net amounts).
    Postings(Vec<(Posting, Tag)>),
    /// Deliberately not posted, with the reason.
    Skipped(String),
    /// Could not be classified, with the reason (an error finding was recorded).
    Failed(String),
}

/// A line that did not go into a journal, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// Input display name.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// Journal the line would have gone to.
    pub journal_id: String,
    /// `rejected` (errors) or `skipped` (deliberately not posted).
    pub status: &'static str,
    /// Why.
    pub reason: String,
}

/// Something the builder finished: a balanced journal, and the lines of its group that went
/// to the rejection report instead (all of them when the journal was held back).
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// The journal, unless it was held back.
    pub journal: Option<Box<Journal>>,
    /// Lines rejected or deliberately skipped.
    pub rejections: Vec<Rejection>,
}

#[derive(Debug)]
struct ReportCheck {
    report_id: String,
    line: u64,
    byte: u64,
    due_employee: Option<Decimal>,
    due_card: Option<Decimal>,
    due_vendor: Option<Decimal>,
}

#[derive(Debug)]
struct Group {
    id: String,
    facts_key: String,
    facts: RowFacts<'static>,
    latest_entry: Option<Date>,
    postings: Vec<(Posting, Tag, usize)>,
    checks: Vec<ReportCheck>,
    rows: Vec<(u64, Option<String>)>,
    rejected: Option<String>,
    split_part: bool,
}

/// Builds journals from classified rows.
pub struct Builder {
    rules: Arc<Rules>,
    file: Arc<str>,
    current: Option<Group>,
    open: BTreeMap<String, Group>,
    finished: HashSet<u64>,
    parts: HashMap<String, u32>,
    ready: VecDeque<Built>,
    pending: HashMap<String, ReportNet>,
}

fn key_hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

impl Builder {
    /// A builder for one input file.
    pub fn new(rules: Arc<Rules>, file: &str) -> Self {
        Builder {
            rules,
            file: Arc::from(file),
            current: None,
            open: BTreeMap::new(),
            finished: HashSet::new(),
            parts: HashMap::new(),
            ready: VecDeque::new(),
            pending: HashMap::new(),
        }
    }

    /// The next finished journal or rejection, if any.
    pub fn pop(&mut self) -> Option<Built> {
        self.ready.pop_front()
    }

    fn journal_key<'f>(&self, f: &'f RowFacts<'_>) -> Cow<'f, str> {
        Cow::Owned(match self.rules.group {
            Grouping::Report if !f.group_id.is_empty() => {
                return Cow::Borrowed(f.group_id.as_ref());
            }
            Grouping::Report => f.standalone_id(),
            Grouping::Batch => format!("{}-{}", f.batch_id, f.currency),
            Grouping::EmployeeDay => format!(
                "{}-{}-{}",
                f.employee_id.as_deref().unwrap_or(""),
                f.entry_date
                    .or(f.batch_date)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                f.currency
            ),
        })
    }

    /// Adds one row: its facts, what classification made of it, and the reason it must be
    /// rejected (its own error findings), if any.
    pub fn add(
        &mut self,
        facts: RowFacts,
        outcome: Outcome,
        rejected: Option<String>,
        findings: &mut Findings,
    ) {
        let key = self.journal_key(&facts);
        let streaming = self.rules.group == Grouping::Report;
        if streaming {
            if self.current.as_ref().is_some_and(|g| g.facts_key != key) {
                let g = self.current.take().expect("checked");
                self.flush(g, findings);
            }
            if self.current.is_none() {
                let key = key.into_owned();
                let mut id = key.clone();
                let mut split_part = false;
                if !self.finished.insert(key_hash(&key)) {
                    let n = self.parts.entry(key.clone()).or_insert(1);
                    *n += 1;
                    id = format!("{key}#{n}");
                    split_part = true;
                    findings.push(
                        Finding::new(
                            Family::Journal,
                            Check::ReportNotContiguous,
                            &self.file,
                            format!(
                                "the lines of {key} are not together in the file; it is posted in parts ({id} is part {n}), each balanced, and cannot be reconciled with Concur's report totals"
                            ),
                        )
                        .at(Position { line: facts.line, byte: facts.byte }),
                    );
                }
                self.current = Some(Group::new(id, key, facts.into_owned(), split_part));
            }
            if let Some(g) = self.current.as_mut() {
                g.add(&facts, outcome, rejected);
            }
        } else {
            let key = key.into_owned();
            let g = self
                .open
                .entry(key.clone())
                .or_insert_with(|| Group::new(key.clone(), key, facts.into_owned(), false));
            g.add(&facts, outcome, rejected);
        }
    }

    /// Finishes every open journal (call at the end of the input).
    pub fn finish(&mut self, findings: &mut Findings) {
        if let Some(g) = self.current.take() {
            self.flush(g, findings);
        }
        let open = std::mem::take(&mut self.open);
        for (_, g) in open {
            self.flush(g, findings);
        }
        let mut pending: Vec<ReportNet> = std::mem::take(&mut self.pending).into_values().collect();
        pending.sort_by_key(|n| n.check.line);
        for n in pending {
            n.reconcile(&self.file, findings);
        }
    }

    fn flush(&mut self, g: Group, findings: &mut Findings) {
        let (built, nets) = g.build(&self.rules, &self.file, findings);
        self.ready.push_back(built);
        for n in nets {
            if self.rules.group == Grouping::Report {
                n.reconcile(&self.file, findings);
            } else {
                // A report may span several journals: reconcile once all are built.
                match self.pending.get_mut(&n.check.report_id) {
                    Some(acc) => acc.merge(n),
                    None => {
                        self.pending.insert(n.check.report_id.clone(), n);
                    }
                }
            }
        }
    }
}

impl Group {
    fn new(id: String, key: String, facts: RowFacts<'static>, split_part: bool) -> Group {
        Group {
            id,
            facts_key: key,
            latest_entry: None,
            facts,
            postings: Vec::new(),
            checks: Vec::new(),
            rows: Vec::new(),
            rejected: None,
            split_part,
        }
    }

    fn add(&mut self, facts: &RowFacts<'_>, outcome: Outcome, rejected: Option<String>) {
        self.latest_entry = self.latest_entry.max(facts.entry_date);
        let idx = match self
            .checks
            .iter()
            .position(|c| facts.report_id.as_deref() == Some(c.report_id.as_str()))
        {
            Some(i) => i,
            None if facts.report_id.is_some() => {
                self.checks.push(ReportCheck {
                    report_id: facts.report_id.as_deref().unwrap_or_default().to_owned(),
                    line: facts.line,
                    byte: facts.byte,
                    due_employee: facts.due_employee,
                    due_card: facts.due_card,
                    due_vendor: facts.due_vendor,
                });
                self.checks.len() - 1
            }
            None => usize::MAX,
        };
        let mut own_reason = rejected;
        match outcome {
            Outcome::Postings(ps) => {
                for (p, tag) in ps {
                    self.postings.push((p, tag, idx));
                }
            }
            Outcome::Skipped(why) => {
                self.rows
                    .push((facts.line, Some(format!("skipped: {why}"))));
                return;
            }
            Outcome::Failed(why) => {
                own_reason.get_or_insert(why);
            }
        }
        if let Some(why) = &own_reason
            && self.rejected.is_none()
        {
            self.rejected = Some(format!("line {} of {}: {why}", facts.line, self.id));
        }
        self.rows.push((facts.line, own_reason));
    }

    fn build(
        self,
        rules: &Rules,
        file: &Arc<str>,
        findings: &mut Findings,
    ) -> (Built, Vec<ReportNet>) {
        let Group {
            id,
            facts,
            latest_entry,
            mut postings,
            checks,
            rows,
            rejected,
            split_part,
            ..
        } = self;
        let skipped: Vec<Rejection> = rows
            .iter()
            .filter_map(|(line, why)| {
                let why = why.as_ref()?;
                why.strip_prefix("skipped: ").map(|w| Rejection {
                    file: file.to_string(),
                    line: *line,
                    journal_id: id.clone(),
                    status: "skipped",
                    reason: w.to_owned(),
                })
            })
            .collect();
        if let Some(first) = rejected {
            let mut out = skipped;
            for (line, why) in &rows {
                if why.as_deref().is_some_and(|w| w.starts_with("skipped: ")) {
                    continue;
                }
                out.push(Rejection {
                    file: file.to_string(),
                    line: *line,
                    journal_id: id.clone(),
                    status: "rejected",
                    reason: match why {
                        Some(w) => w.clone(),
                        None => format!("the whole report is held back because {first}"),
                    },
                });
            }
            out.sort_by_key(|r| r.line);
            return (
                Built {
                    journal: None,
                    rejections: out,
                },
                Vec::new(),
            );
        }
        let currency = facts.currency.to_string();
        let minor = rules.minor_units(&currency);
        let gv = GroupValues { facts: &facts };

        // A CBCP personal charge the employee has no repayment line for: recover it.
        if rules.cbcp_implied_recovery {
            let mut repayments: Vec<(Decimal, usize)> = postings
                .iter()
                .filter(|(_, t, _)| *t == Tag::PersonalRepayment)
                .map(|(p, _, r)| (p.amount, *r))
                .collect();
            let mut implied = Vec::new();
            for (p, t, r) in &postings {
                if *t != Tag::PersonalCardCharge(CardBilling::Cbcp) {
                    continue;
                }
                if let Some(i) = repayments
                    .iter()
                    .position(|(a, rr)| *a == p.amount && rr == r)
                {
                    repayments.swap_remove(i);
                    continue;
                }
                implied.push((
                    Posting {
                        kind: Kind::PersonalOnCompanyCard,
                        account: p.account.clone(),
                        side: Side::Credit,
                        amount: p.amount,
                        counterparty: Some(Counterparty::Employee),
                        offset_account: rules.employee.render(&gv),
                        memo: format!("recovery from the employee: {}", p.memo),
                        dimensions: p.dimensions.clone(),
                        source_line: p.source_line,
                    },
                    Tag::None,
                    *r,
                ));
            }
            postings.extend(implied);
        }

        // Nets per report, for the reconciliation with Concur's own figures.
        let mut nets = Vec::new();
        if !split_part {
            for (i, c) in checks.into_iter().enumerate() {
                let net = |pred: &dyn Fn(&Counterparty) -> bool| -> Decimal {
                    postings
                        .iter()
                        .filter(|(p, _, r)| *r == i && p.counterparty.as_ref().is_some_and(pred))
                        .map(|(p, _, _)| {
                            if p.side == Side::Debit {
                                p.amount
                            } else {
                                -p.amount
                            }
                        })
                        .sum()
                };
                nets.push(ReportNet {
                    employee: net(&|cp| *cp == Counterparty::Employee),
                    card: net(&|cp| matches!(cp, Counterparty::Card(_))),
                    vendor: net(&|cp| matches!(cp, Counterparty::Vendor(_))),
                    check: c,
                });
            }
        }

        // Exact lines: the postings in file order, then one offset per counterparty account.
        struct Exact {
            account: String,
            side: Side,
            amount: Decimal,
            kind: Kind,
            counterparty: Option<Counterparty>,
            memo: String,
            dimensions: Vec<(String, String)>,
            sources: Vec<u64>,
        }
        let mut exact: Vec<Exact> = Vec::with_capacity(postings.len() + 2);
        let mut offsets: BTreeMap<(Counterparty, String), (Decimal, Vec<u64>)> = BTreeMap::new();
        let mut unbalanced = Decimal::ZERO;
        for (p, _, _) in postings {
            let signed = if p.side == Side::Debit {
                p.amount
            } else {
                -p.amount
            };
            match &p.counterparty {
                Some(cp) => {
                    let e = offsets
                        .entry((cp.clone(), p.offset_account.clone()))
                        .or_insert_with(|| (Decimal::ZERO, Vec::new()));
                    e.0 += signed;
                    e.1.push(p.source_line);
                }
                None => unbalanced += signed,
            }
            let memo = if p.memo.trim().is_empty() {
                p.kind.as_str().replace('_', " ")
            } else {
                p.memo
            };
            exact.push(Exact {
                account: p.account,
                side: p.side,
                amount: p.amount,
                kind: p.kind,
                counterparty: p.counterparty,
                memo,
                dimensions: p.dimensions,
                sources: vec![p.source_line],
            });
        }
        let offset_memo = rules.offset_memo.render(&gv);
        for ((cp, account), (net, mut sources)) in offsets {
            if net.is_zero() {
                continue;
            }
            sources.sort_unstable();
            sources.dedup();
            exact.push(Exact {
                account,
                side: if net > Decimal::ZERO {
                    Side::Credit
                } else {
                    Side::Debit
                },
                amount: net.abs(),
                kind: Kind::Offset,
                memo: if offset_memo.is_empty() {
                    cp.to_string()
                } else {
                    offset_memo.clone()
                },
                counterparty: Some(cp),
                dimensions: Vec::new(),
                sources,
            });
        }
        if !unbalanced.is_zero() {
            // Lines without an implied counterparty (a payment-batch file) must balance by themselves.
            let has_both = exact.iter().any(|e| e.side == Side::Debit)
                && exact.iter().any(|e| e.side == Side::Credit);
            if has_both {
                findings.push(
                    Finding::new(
                        Family::Journal,
                        Check::Unbalanced,
                        file,
                        format!("{id}: the file's own offsetting lines leave a difference of {unbalanced}; the journal is not posted"),
                    )
                    .at(Position { line: facts.line, byte: facts.byte }),
                );
                let mut out = skipped;
                out.extend(
                    rows.iter()
                        .filter(|(_, w)| w.is_none())
                        .map(|(line, _)| Rejection {
                            file: file.to_string(),
                            line: *line,
                            journal_id: id.clone(),
                            status: "rejected",
                            reason: format!("{id} does not balance by {unbalanced}"),
                        }),
                );
                return (
                    Built {
                        journal: None,
                        rejections: out,
                    },
                    Vec::new(),
                );
            }
            let sources: Vec<u64> = exact.iter().flat_map(|e| e.sources.clone()).collect();
            exact.push(Exact {
                account: rules.employee.render(&gv),
                side: if unbalanced > Decimal::ZERO {
                    Side::Credit
                } else {
                    Side::Debit
                },
                amount: unbalanced.abs(),
                kind: Kind::Offset,
                counterparty: Some(Counterparty::Employee),
                memo: if offset_memo.is_empty() {
                    "employee".into()
                } else {
                    offset_memo.clone()
                },
                dimensions: Vec::new(),
                sources,
            });
        }

        // Round once: each side shares the rounded total by largest remainder.
        let total: Decimal = exact
            .iter()
            .filter(|e| e.side == Side::Debit)
            .map(|e| e.amount)
            .sum();
        let mut rounded = vec![Decimal::ZERO; exact.len()];
        match &rules.rounding_account {
            None => {
                let target = round_amount(total, minor);
                for side in [Side::Debit, Side::Credit] {
                    let idx: Vec<usize> = (0..exact.len())
                        .filter(|&i| exact[i].side == side)
                        .collect();
                    let amounts: Vec<Decimal> = idx.iter().map(|&i| exact[i].amount).collect();
                    for (k, r) in largest_remainder(&amounts, target, minor)
                        .into_iter()
                        .enumerate()
                    {
                        rounded[idx[k]] = r;
                    }
                }
            }
            Some(acct) => {
                let mut diff = Decimal::ZERO;
                for (i, e) in exact.iter().enumerate() {
                    rounded[i] = round_amount(e.amount, minor);
                    diff += if e.side == Side::Debit {
                        rounded[i]
                    } else {
                        -rounded[i]
                    };
                }
                if !diff.is_zero() {
                    exact.push(Exact {
                        account: acct.clone(),
                        side: if diff > Decimal::ZERO {
                            Side::Credit
                        } else {
                            Side::Debit
                        },
                        amount: diff.abs(),
                        kind: Kind::Rounding,
                        counterparty: None,
                        memo: "rounding".into(),
                        dimensions: Vec::new(),
                        sources: Vec::new(),
                    });
                    rounded.push(round_amount(diff.abs(), minor));
                }
            }
        }
        let zero = round_amount(Decimal::ZERO, minor);
        let mut lines = Vec::with_capacity(exact.len());
        for (e, r) in exact.into_iter().zip(rounded) {
            if r.is_zero() {
                continue; // its source lines stay listed on the offset that covers them
            }
            lines.push(JournalLine {
                line: lines.len() as u32 + 1,
                account: e.account,
                debit: if e.side == Side::Debit { r } else { zero },
                credit: if e.side == Side::Credit { r } else { zero },
                kind: e.kind,
                counterparty: e.counterparty,
                memo: e.memo,
                dimensions: e.dimensions,
                source_lines: e.sources,
            });
        }
        let date = match rules.date {
            DateSource::Batch => facts.batch_date,
            DateSource::Submit => facts.submit_date,
            DateSource::Processing => facts.processing_date,
            DateSource::Entry => latest_entry,
        }
        .or(facts.batch_date)
        .or(latest_entry)
        .unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        });
        let journal = Journal {
            id,
            date,
            currency,
            minor_units: minor,
            employee_id: facts.employee_id.as_deref().map(str::to_owned),
            employee_name: facts.employee_name.as_deref().map(str::to_owned),
            report_id: facts.report_id.as_deref().map(str::to_owned),
            report_key: facts.report_key.as_deref().map(str::to_owned),
            title: facts.title.to_string(),
            batch_id: facts.batch_id.to_string(),
            source_file: file.clone(),
            lines,
        };
        if !journal.is_balanced() {
            findings.push(
                Finding::new(
                    Family::Journal,
                    Check::Unbalanced,
                    file,
                    format!(
                        "{}: debits {} and credits {} differ after rounding (an internal error; please report it)",
                        journal.id,
                        journal.total_debit(),
                        journal.total_credit()
                    ),
                )
                .severity(Severity::Error),
            );
        }
        (
            Built {
                journal: Some(Box::new(journal)),
                rejections: skipped,
            },
            nets,
        )
    }
}

/// A report's nets per counterparty in one journal.
#[derive(Debug)]
struct ReportNet {
    check: ReportCheck,
    employee: Decimal,
    card: Decimal,
    vendor: Decimal,
}

impl ReportNet {
    fn merge(&mut self, other: ReportNet) {
        self.employee += other.employee;
        self.card += other.card;
        self.vendor += other.vendor;
    }

    fn reconcile(&self, file: &str, findings: &mut Findings) {
        let c = &self.check;
        let mut check = |what: &str, col: &str, ours: Decimal, theirs: Option<Decimal>| {
            if let Some(t) = theirs
                && t != ours
            {
                findings.push(
                    Finding::new(
                        Family::Journal,
                        Check::Reconciliation,
                        file,
                        format!(
                            "{}: the journal's net due to {what} is {} but Concur's {col} is {} (difference {})",
                            c.report_id,
                            ours.normalize(),
                            t.normalize(),
                            (ours - t).normalize()
                        ),
                    )
                    .at(Position { line: c.line, byte: c.byte }),
                );
            }
        };
        check(
            "the employee",
            "Amount Due Employee (column 319)",
            self.employee,
            c.due_employee,
        );
        check(
            "the card programs",
            "Amount Due Company Card (column 320)",
            self.card,
            c.due_card,
        );
        check(
            "the vendor",
            "invoice Total Amount (column 10)",
            self.vendor,
            c.due_vendor,
        );
    }
}

/// Template values available to offset lines (variables only, no columns).
struct GroupValues<'a> {
    facts: &'a RowFacts<'static>,
}

impl Values for GroupValues<'_> {
    fn column(&self, _col: SaeCol) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
    fn var(&self, var: Var) -> Cow<'_, str> {
        let f = self.facts;
        let s =
            |o: &Option<Cow<'static, str>>| Cow::Owned(o.as_deref().unwrap_or_default().to_owned());
        match var {
            Var::EmployeeId => s(&f.employee_id),
            Var::EmployeeName => s(&f.employee_name),
            Var::ReportId => s(&f.report_id),
            Var::ReportKey => s(&f.report_key),
            Var::ReportName => Cow::Borrowed(f.title.as_ref()),
            Var::BatchId => Cow::Borrowed(f.batch_id.as_ref()),
            Var::Kind => Cow::Borrowed("offset"),
            _ => Cow::Borrowed(""),
        }
    }
}

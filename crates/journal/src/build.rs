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
use crate::sources::RowError;
use crate::template::{Values, Var};
use ledgerline_extract::Position;
use ledgerline_extract::schema::SaeCol;
use ledgerline_extract::value::Date;
use ledgerline_findings::{Check, Code, Family, Finding, Findings, Severity, Subject};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// What the builder needs to know about one extract row, whatever its file kind (see
/// [`RowSource::facts`](crate::sources::RowSource::facts)). Text borrows from the row where
/// it can; the builder copies the facts only for a row that starts a journal.
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
    /// Concur's total of the report's company-paid entries (SAE column 316).
    pub company_paid: Option<Decimal>,
    /// Whether an earlier row of the input had this `group_id`, when the validator says
    /// ([`RowVerdict::group_seen`](ledgerline_extract::validate::RowVerdict::group_seen));
    /// `None`: the builder remembers the ids itself.
    pub group_seen: Option<bool>,
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
            company_paid: self.company_paid,
            group_seen: self.group_seen,
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
    Failed(RowError),
}

/// Whether a line left out of every journal is an error or deliberate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RejectionStatus {
    /// `rejected`: the line, or its report, has an error (or was held back by a guard).
    Rejected,
    /// `skipped`: deliberately not posted (a documented skip, an amount that rounds to
    /// nothing, a journal posted before).
    Skipped,
}

impl RejectionStatus {
    /// `rejected` or `skipped`, as in the rejection report.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionStatus::Rejected => "rejected",
            RejectionStatus::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for RejectionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// Rejected (errors) or skipped (deliberately not posted).
    pub status: RejectionStatus,
    /// Why.
    pub reason: String,
    /// The finding behind it, where one guard's finding is the whole reason (`JNL208` for a
    /// journal posted before), so callers tell causes apart without reading `reason`. Not
    /// written to the rejection report, whose `reason` starts with the code.
    #[serde(skip)]
    pub code: Option<Code>,
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
    employee_id: Option<String>,
    currency: String,
    line: u64,
    byte: u64,
    due_employee: Option<Decimal>,
    due_card: Option<Decimal>,
    due_vendor: Option<Decimal>,
    company_paid: Option<Decimal>,
}

/// What became of one row of a group, before the journal is built.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RowState {
    /// Its postings are in the group (or it gave none).
    Kept,
    /// Deliberately not posted, with the reason.
    Skipped(String),
    /// Rejected with its own reason (its validation error, or why it cannot be classified):
    /// the group is held back.
    Rejected(String),
}

#[derive(Debug)]
struct Group {
    id: String,
    facts_key: String,
    facts: RowFacts<'static>,
    latest_entry: Option<Date>,
    postings: Vec<(Posting, Tag, usize)>,
    checks: Vec<ReportCheck>,
    /// Every row of the group, in file order: its line and what became of it.
    rows: Vec<(u64, RowState)>,
    /// Why the whole group is held back (its first rejected row, or a report of it that
    /// does not reconcile over every journal).
    rejected: Option<String>,
    split_part: bool,
    /// Implied recoveries were added (they must be added once only).
    recovered: bool,
    /// A row classified into no posting at all (checked for a home at the end).
    bare_row: bool,
}

/// Builds journals from classified rows.
pub struct Builder {
    rules: Arc<Rules>,
    file: Arc<str>,
    current: Option<Group>,
    open: BTreeMap<String, Group>,
    /// The journal keys (hashed) of the groups flushed so far.
    finished: ledgerline_seen::SeenMap<()>,
    parts: HashMap<String, u32>,
    ready: VecDeque<Built>,
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
            finished: ledgerline_seen::SeenMap::new(),
            parts: HashMap::new(),
            ready: VecDeque::new(),
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

    /// Whether a journal key starting a group now was the key of an earlier group of the
    /// input (then this group is a further part of it). The validator's word for a report
    /// id where it gives one; otherwise, and for the ids of rows outside any report, the
    /// builder's own set, which also holds the report ids that could be taken for one of
    /// those (`CA-...`, `LINE-...`). In debug builds the set holds every key and must
    /// agree with the validator.
    fn seen_before(&mut self, facts: &RowFacts<'_>, key: &str) -> bool {
        match facts.group_seen {
            Some(seen) if !facts.group_id.is_empty() => {
                let like_standalone = key.starts_with("CA-") || key.starts_with("LINE-");
                let in_set = (cfg!(debug_assertions) || like_standalone)
                    && !self.finished.add(key_hash(key));
                debug_assert!(
                    like_standalone || in_set == seen,
                    "{}: the validator says report {key} (line {}) was {}seen before, the builder's set says the opposite",
                    self.file,
                    facts.line,
                    if seen { "" } else { "not " }
                );
                seen || in_set
            }
            _ => !self.finished.add(key_hash(key)),
        }
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
                if self.seen_before(&facts, &key) {
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
    ///
    /// With report grouping only the last report is still open. With batch or employee-day
    /// grouping a report may span several journals, so every report is reconciled over all
    /// of them first, and each journal holding a report that does not reconcile is held back
    /// whole (its lines go to the rejection report).
    pub fn finish(&mut self, findings: &mut Findings) {
        if let Some(g) = self.current.take() {
            self.flush(g, findings);
        }
        let mut groups: Vec<Group> = std::mem::take(&mut self.open).into_values().collect();
        let mut nets: HashMap<String, ReportNet> = HashMap::new();
        for g in &mut groups {
            g.add_implied_recoveries(&self.rules);
            for n in g.nets() {
                match nets.get_mut(&n.check.report_id) {
                    Some(acc) => acc.merge(n),
                    None => {
                        nets.insert(n.check.report_id.clone(), n);
                    }
                }
            }
        }
        let mut nets: Vec<ReportNet> = nets.into_values().collect();
        nets.sort_by_key(|n| n.check.line);
        let mut failed: HashMap<String, String> = HashMap::new();
        for n in nets {
            let found = n.mismatches(&self.file, None);
            if let Some(first) = found.first() {
                failed.insert(n.check.report_id.clone(), first.message.clone());
            }
            for f in found {
                findings.push(f);
            }
        }
        for mut g in groups {
            if g.rejected.is_none()
                && let Some(why) = g.checks.iter().find_map(|c| failed.get(&c.report_id))
            {
                g.rejected = Some(format!("{} does not reconcile: {why}", g.id));
            }
            let built = g.build(&self.rules, &self.file, findings, false);
            self.ready.push_back(built);
        }
    }

    fn flush(&mut self, g: Group, findings: &mut Findings) {
        // Report grouping: the journal is the report, reconciled before it is released.
        let built = g.build(&self.rules, &self.file, findings, true);
        self.ready.push_back(built);
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
            recovered: false,
            bare_row: false,
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
                    employee_id: facts.employee_id.as_deref().map(str::to_owned),
                    currency: facts.currency.clone().into_owned(),
                    line: facts.line,
                    byte: facts.byte,
                    due_employee: facts.due_employee,
                    due_card: facts.due_card,
                    due_vendor: facts.due_vendor,
                    company_paid: facts.company_paid,
                });
                self.checks.len() - 1
            }
            None => usize::MAX,
        };
        let mut own_reason = rejected;
        match outcome {
            Outcome::Postings(ps) => {
                self.bare_row |= ps.is_empty();
                for (p, tag) in ps {
                    self.postings.push((p, tag, idx));
                }
            }
            Outcome::Skipped(why) => {
                self.rows.push((facts.line, RowState::Skipped(why)));
                return;
            }
            Outcome::Failed(why) => {
                own_reason.get_or_insert_with(|| why.to_string());
            }
        }
        let state = match own_reason {
            None => RowState::Kept,
            Some(why) => {
                if self.rejected.is_none() {
                    self.rejected = Some(format!("line {} of {}: {why}", facts.line, self.id));
                }
                RowState::Rejected(why)
            }
        };
        self.rows.push((facts.line, state));
    }

    /// Builds the journal, in five steps, each its own function (and unit test):
    ///
    /// 1. **lines**: the group's rows; deliberately skipped ones are listed, and one rejected
    ///    row holds the whole group back (`skipped_lines`, `held_back`);
    /// 2. **implied recoveries** (`add_implied_recoveries`);
    /// 3. **offsets**: the exact lines, the postings in file order then one offset per
    ///    counterparty account (`offset_lines`);
    /// 4. **rounding**, once per journal (`round_lines`);
    /// 5. **reconciliation** with Concur's own report totals (`reconcile_nets`): with
    ///    `reconcile` (report grouping), a report that does not reconcile is held back whole.
    ///    Other groupings reconcile over every journal first, in [`Builder::finish`].
    ///
    /// The rounded lines then become the journal, and every source line that is in none of
    /// them goes to the rejection report (`journal_lines`, `list_unposted`).
    fn build(
        mut self,
        rules: &Rules,
        file: &Arc<str>,
        findings: &mut Findings,
        reconcile: bool,
    ) -> Built {
        // Step 1, lines.
        let skipped = self.skipped_lines(file);
        if let Some(first) = &self.rejected {
            return Self::held_back(&self.id, &self.rows, file, first, skipped);
        }
        // Step 2, implied recoveries.
        self.add_implied_recoveries(rules);
        // What step 5 reconciles, taken before step 3 turns the postings into lines.
        let nets = if reconcile { self.nets() } else { Vec::new() };
        let Group {
            id,
            facts,
            latest_entry,
            postings,
            rows,
            bare_row,
            ..
        } = self;
        let currency = facts.currency.to_string();
        let minor = rules.minor_units(&currency);

        // Step 3, offsets; step 4, rounding (of a journal that balances).
        let exact = offset_lines(postings, rules, &GroupValues { facts: &facts }).map(|mut e| {
            let rounded = round_lines(&mut e, rules, minor);
            (e, rounded)
        });

        // Step 5, reconciliation: a report that does not reconcile is held back, whatever
        // else is wrong with it.
        if let Some(why) = reconcile_nets(&nets, &id, file, findings) {
            return Self::held_back(&id, &rows, file, &why, skipped);
        }

        let (exact, rounded) = match exact {
            Ok(lines) => lines,
            Err(unbalanced) => {
                return Self::unbalanced(&id, &facts, &rows, file, unbalanced, skipped, findings);
            }
        };

        // The journal: its lines, and a home for every source line none of them carries.
        let (lines, vanished) = journal_lines(exact, rounded, minor);
        let mut rejections = skipped;
        list_unposted(
            &lines,
            &rows,
            vanished,
            bare_row,
            &Unposted {
                file,
                journal_id: &id,
                currency: &currency,
                minor,
            },
            &mut rejections,
        );
        rejections.sort_by_key(|r| r.line);
        if lines.is_empty() {
            // A journal with no lines is never emitted: its lines are reported instead.
            return Built {
                journal: None,
                rejections,
            };
        }
        let date = journal_date(rules.date, &facts, latest_entry);
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
        Built {
            journal: Some(Box::new(journal)),
            rejections,
        }
    }

    /// Step 1, lines: the rows deliberately not posted, as `skipped` lines of the rejection
    /// report (listed whatever becomes of the journal).
    fn skipped_lines(&self, file: &Arc<str>) -> Vec<Rejection> {
        self.rows
            .iter()
            .filter_map(|(line, state)| match state {
                RowState::Skipped(why) => Some(Rejection {
                    file: file.to_string(),
                    line: *line,
                    journal_id: self.id.clone(),
                    status: RejectionStatus::Skipped,
                    reason: why.clone(),
                    code: None,
                }),
                RowState::Kept | RowState::Rejected(_) => None,
            })
            .collect()
    }

    /// The group held back whole: every line not deliberately skipped is rejected, with its
    /// own reason or `why`.
    fn held_back(
        id: &str,
        rows: &[(u64, RowState)],
        file: &Arc<str>,
        why: &str,
        skipped: Vec<Rejection>,
    ) -> Built {
        let mut out = skipped;
        for (line, state) in rows {
            let reason = match state {
                RowState::Skipped(_) => continue,
                RowState::Rejected(own) => own.clone(),
                RowState::Kept => format!("the whole report is held back because {why}"),
            };
            out.push(Rejection {
                file: file.to_string(),
                line: *line,
                journal_id: id.to_owned(),
                status: RejectionStatus::Rejected,
                reason,
                code: None,
            });
        }
        out.sort_by_key(|r| r.line);
        Built {
            journal: None,
            rejections: out,
        }
    }

    /// The group not posted because the file's own lines (those without an implied
    /// counterparty, as in a payment-batch file) leave `unbalanced`: an `Unbalanced` finding,
    /// and every line not deliberately skipped rejected.
    fn unbalanced(
        id: &str,
        facts: &RowFacts<'_>,
        rows: &[(u64, RowState)],
        file: &Arc<str>,
        unbalanced: Decimal,
        skipped: Vec<Rejection>,
        findings: &mut Findings,
    ) -> Built {
        findings.push(
            Finding::new(
                Family::Journal,
                Check::Unbalanced,
                file,
                format!("{id}: the file's own offsetting lines leave a difference of {unbalanced}; the journal is not posted"),
            )
            .at(Position { line: facts.line, byte: facts.byte }),
        );
        let why = format!("{id} does not balance by {unbalanced}");
        let mut out = skipped;
        out.extend(
            rows.iter()
                .filter(|(_, state)| *state == RowState::Kept)
                .map(|(line, _)| Rejection {
                    file: file.to_string(),
                    line: *line,
                    journal_id: id.to_owned(),
                    status: RejectionStatus::Rejected,
                    reason: why.clone(),
                    code: None,
                }),
        );
        Built {
            journal: None,
            rejections: out,
        }
    }

    /// Step 2, implied recoveries: a CBCP personal charge the employee has no repayment line
    /// for is recovered from the employee (`[personal] cbcp_implied_recovery`). Runs once
    /// (groupings other than report add them before reconciling over every journal).
    fn add_implied_recoveries(&mut self, rules: &Rules) {
        if self.recovered || !rules.cbcp_implied_recovery {
            self.recovered = true;
            return;
        }
        self.recovered = true;
        let gv = GroupValues { facts: &self.facts };
        let mut repayments: Vec<(Decimal, usize)> = self
            .postings
            .iter()
            .filter(|(_, t, _)| *t == Tag::PersonalRepayment)
            .map(|(p, _, r)| (p.amount, *r))
            .collect();
        let mut implied = Vec::new();
        for (p, t, r) in &self.postings {
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
        self.postings.extend(implied);
    }

    /// The nets per report and counterparty that step 5 reconciles with Concur's own
    /// figures (none for a part of a split report, which cannot be reconciled).
    fn nets(&self) -> Vec<ReportNet> {
        if self.split_part {
            return Vec::new();
        }
        self.checks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let net = |pred: &dyn Fn(&Posting, &Counterparty) -> bool| -> Decimal {
                    self.postings
                        .iter()
                        .filter(|(p, _, r)| {
                            *r == i && p.counterparty.as_ref().is_some_and(|cp| pred(p, cp))
                        })
                        .map(|(p, _, _)| p.side.signed(p.amount))
                        .sum()
                };
                ReportNet {
                    // A returned advance banked (`return_offset = "bank"`) settles what the
                    // employee owes Concur's column 319 for: it counts on the employee's side.
                    employee: net(&|p, cp| {
                        *cp == Counterparty::Employee
                            || (p.kind == Kind::CashAdvanceReturned
                                && *cp == Counterparty::CashAdvance)
                    }),
                    card: net(&|_, cp| matches!(cp, Counterparty::Card(_))),
                    vendor: net(&|_, cp| matches!(cp, Counterparty::Vendor(_))),
                    company_paid: net(&|_, cp| *cp == Counterparty::CompanyPaid),
                    check: ReportCheck {
                        report_id: c.report_id.clone(),
                        employee_id: c.employee_id.clone(),
                        currency: c.currency.clone(),
                        ..*c
                    },
                }
            })
            .collect()
    }
}

/// The journal's date: the one the rules choose, else the batch date, else the latest entry
/// date; 1970-01-01 only as a last resort (`tests/journal/dates_and_amounts.rs` checks that
/// inputs never reach it).
fn journal_date(source: DateSource, facts: &RowFacts<'_>, latest_entry: Option<Date>) -> Date {
    match source {
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
    })
}

/// An exact (unrounded) journal line.
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

/// Step 3, offsets: the exact lines of a journal, its postings in file order, then one offset
/// line per counterparty and offset account with the net of the lines it offsets (none
/// where they net to zero).
///
/// Postings without a counterparty (a payment-batch file's own lines) must balance by
/// themselves: when they leave a difference and the journal has lines on both sides, that
/// difference is returned as `Err` and the journal is not posted; a one-sided file (all
/// debits, say) is offset to the employee instead.
fn offset_lines(
    postings: Vec<(Posting, Tag, usize)>,
    rules: &Rules,
    gv: &dyn Values,
) -> Result<Vec<Exact>, Decimal> {
    let mut exact: Vec<Exact> = Vec::with_capacity(postings.len() + 2);
    // Per offset: the net, the lines it offsets, and (with `[offsets] dimensions =
    // "report"`) the dimensions all those lines share.
    type OffsetAcc = (Decimal, Vec<u64>, Option<Vec<(String, String)>>);
    let mut offsets: BTreeMap<(Counterparty, String), OffsetAcc> = BTreeMap::new();
    let shared_dims = rules.offset_dimensions_from_report;
    let mut unbalanced = Decimal::ZERO;
    for (p, _, _) in postings {
        let signed = p.side.signed(p.amount);
        match &p.counterparty {
            Some(cp) => {
                let e = offsets
                    .entry((cp.clone(), p.offset_account.clone()))
                    .or_insert_with(|| (Decimal::ZERO, Vec::new(), None));
                e.0 += signed;
                e.1.push(p.source_line);
                if shared_dims {
                    match &mut e.2 {
                        None => e.2 = Some(p.dimensions.clone()),
                        Some(common) => common.retain(|d| p.dimensions.contains(d)),
                    }
                }
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
    let offset_memo = rules.offset_memo.render(gv);
    for ((cp, account), (net, mut sources, common_dims)) in offsets {
        if net.is_zero() {
            continue; // the lines it would offset net out; each is posted or listed
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
            dimensions: common_dims.unwrap_or_default(),
            sources,
        });
    }
    if !unbalanced.is_zero() {
        let has_both = exact
            .iter()
            .any(|e| e.side == Side::Debit && !e.amount.is_zero())
            && exact
                .iter()
                .any(|e| e.side == Side::Credit && !e.amount.is_zero());
        if has_both {
            return Err(unbalanced);
        }
        let sources: Vec<u64> = exact.iter().flat_map(|e| e.sources.clone()).collect();
        exact.push(Exact {
            account: rules.employee.render(gv),
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
                offset_memo
            },
            dimensions: Vec::new(),
            sources,
        });
    }
    Ok(exact)
}

/// Step 4, rounding, once per journal: the exact lines to `minor` units. The journal total
/// is rounded once and each side shares it by largest remainder; or (with a rounding
/// account) each line is rounded on its own and the difference posted to that account,
/// pushed onto `exact`. Returns the rounded amount of every line of `exact`, in order.
fn round_lines(exact: &mut Vec<Exact>, rules: &Rules, minor: u32) -> Vec<Decimal> {
    let mut rounded = vec![Decimal::ZERO; exact.len()];
    match &rules.rounding_account {
        None => {
            let total: Decimal = exact
                .iter()
                .filter(|e| e.side == Side::Debit)
                .map(|e| e.amount)
                .sum();
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
                diff += e.side.signed(rounded[i]);
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
    rounded
}

/// Step 5, reconciliation: where a journal's nets disagree with Concur's own totals for its
/// reports (see [`ReportNet::mismatches`]), the findings are pushed and the reason the
/// journal `id` is held back is returned.
fn reconcile_nets(
    nets: &[ReportNet],
    id: &str,
    file: &str,
    findings: &mut Findings,
) -> Option<String> {
    let found: Vec<Finding> = nets
        .iter()
        .flat_map(|n| n.mismatches(file, Some(id)))
        .collect();
    let why = format!("{id} does not reconcile: {}", found.first()?.message);
    for f in found {
        findings.push(f);
    }
    Some(why)
}

/// The journal lines of the rounded exact lines: a line that rounds to nothing is left out,
/// its source lines staying listed on the offset that covers them. Returns the lines, and
/// the source lines (with their exact amounts) of the posting lines left out.
fn journal_lines(
    exact: Vec<Exact>,
    rounded: Vec<Decimal>,
    minor: u32,
) -> (Vec<JournalLine>, Vec<(u64, Decimal)>) {
    let zero = round_amount(Decimal::ZERO, minor);
    let mut lines = Vec::with_capacity(exact.len());
    let mut vanished: Vec<(u64, Decimal)> = Vec::new();
    for (e, r) in exact.into_iter().zip(rounded) {
        if r.is_zero() {
            if e.kind != Kind::Offset {
                vanished.extend(e.sources.iter().map(|&l| (l, e.amount)));
            }
            continue;
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
    (lines, vanished)
}

/// The journal the unposted lines of [`list_unposted`] belong to.
struct Unposted<'a> {
    file: &'a Arc<str>,
    journal_id: &'a str,
    currency: &'a str,
    minor: u32,
}

/// Gives a home in `rejections` (as `skipped`) to every row of the journal that none of its
/// `lines` carries and that is not listed yet: a line whose amount rounded to nothing and
/// nets with nothing posted (`vanished`), and a row that gave no posting at all or whose
/// postings all rounded away. Checked only when such a row can exist (`vanished` not empty,
/// or `bare_row`), to keep the common journal cheap.
fn list_unposted(
    lines: &[JournalLine],
    rows: &[(u64, RowState)],
    vanished: Vec<(u64, Decimal)>,
    bare_row: bool,
    at: &Unposted<'_>,
    rejections: &mut Vec<Rejection>,
) {
    let skipped = |line: u64, reason: String| Rejection {
        file: at.file.to_string(),
        line,
        journal_id: at.journal_id.to_owned(),
        status: RejectionStatus::Skipped,
        reason,
        code: None,
    };
    let had_vanished = !vanished.is_empty();
    if had_vanished {
        let covered: HashSet<u64> = lines
            .iter()
            .flat_map(|l| l.source_lines.iter().copied())
            .collect();
        for (line, amount) in vanished {
            if covered.contains(&line) || rejections.iter().any(|r| r.line == line) {
                continue;
            }
            rejections.push(skipped(
                line,
                format!(
                    "amount {} {} rounds to zero at {} decimal(s) and nets with nothing posted: nothing to post",
                    amount.normalize(),
                    at.currency,
                    at.minor
                ),
            ));
        }
    }
    if !(had_vanished || bare_row) {
        return;
    }
    let covered: HashSet<u64> = lines
        .iter()
        .flat_map(|l| l.source_lines.iter().copied())
        .chain(rejections.iter().map(|r| r.line))
        .collect();
    for (line, _) in rows {
        if !covered.contains(line) {
            rejections.push(skipped(
                *line,
                "the line and what it offsets net to zero: nothing to post".into(),
            ));
        }
    }
}

/// A report's nets per counterparty in one journal.
#[derive(Debug)]
struct ReportNet {
    check: ReportCheck,
    employee: Decimal,
    card: Decimal,
    vendor: Decimal,
    company_paid: Decimal,
}

impl ReportNet {
    fn merge(&mut self, other: ReportNet) {
        self.employee += other.employee;
        self.card += other.card;
        self.vendor += other.vendor;
        self.company_paid += other.company_paid;
    }

    /// Where the journal disagrees with Concur's own totals for the report: the net due to
    /// the employee (column 319), to the card programs (320), the company-paid total (316)
    /// and, for an invoice, the total due to the vendor (PRAE column 10). A total Concur left
    /// empty is not checked.
    fn mismatches(&self, file: &str, journal_id: Option<&str>) -> Vec<Finding> {
        let c = &self.check;
        let mut out = Vec::new();
        let mut check = |what: &str, col: &str, ours: Decimal, theirs: Option<Decimal>| {
            if let Some(t) = theirs
                && t != ours
            {
                out.push(
                    Finding::new(
                        Family::Journal,
                        Check::Reconciliation,
                        file,
                        format!(
                            "{}: the journal's {what} is {} but Concur's {col} is {} (difference {}); the report is not posted",
                            c.report_id,
                            ours.normalize(),
                            t.normalize(),
                            (ours - t).normalize()
                        ),
                    )
                    .at(Position { line: c.line, byte: c.byte })
                    .about(Subject {
                        journal_id: Some(journal_id.unwrap_or(&c.report_id).to_owned()),
                        employee_id: c.employee_id.clone(),
                        amount: Some((ours - t).normalize().to_string()),
                        currency: Some(c.currency.clone()),
                    }),
                );
            }
        };
        check(
            "net due to the employee",
            "Amount Due Employee (column 319)",
            self.employee,
            c.due_employee,
        );
        check(
            "net due to the card programs",
            "Amount Due Company Card (column 320)",
            self.card,
            c.due_card,
        );
        check(
            "company-paid total",
            "Amount Company Paid (column 316)",
            self.company_paid,
            c.company_paid,
        );
        check(
            "net due to the vendor",
            "invoice Total Amount (column 10)",
            self.vendor,
            c.due_vendor,
        );
        out
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

#[cfg(test)]
mod tests {
    //! One test per step of `Group::build`, each on that step alone.
    use super::*;
    use crate::classify::ClassifyError;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn posting(
        line: u64,
        side: Side,
        amount: &str,
        counterparty: Option<Counterparty>,
        offset_account: &str,
    ) -> Posting {
        Posting {
            kind: Kind::OutOfPocket,
            account: format!("6{line:04}"),
            side,
            amount: dec(amount),
            counterparty,
            offset_account: offset_account.into(),
            memo: format!("line {line}"),
            dimensions: Vec::new(),
            source_line: line,
        }
    }

    fn facts(line: u64) -> RowFacts<'static> {
        RowFacts {
            line,
            group_id: Cow::Borrowed("R-1"),
            report_id: Some(Cow::Borrowed("R-1")),
            currency: Cow::Borrowed("USD"),
            ..RowFacts::default()
        }
    }

    fn group() -> Group {
        Group::new("R-1".into(), "R-1".into(), facts(2), false)
    }

    fn file() -> Arc<str> {
        Arc::from("f.txt")
    }

    #[test]
    fn step_1_lines_list_the_skipped_rows_and_a_rejected_row_holds_the_group_back() {
        let mut g = group();
        let p = posting(2, Side::Debit, "10", Some(Counterparty::Employee), "EMP");
        g.add(&facts(2), Outcome::Postings(vec![(p, Tag::None)]), None);
        g.add(&facts(3), Outcome::Skipped("zero".into()), None);
        g.add(
            &facts(4),
            Outcome::Failed(RowError::Classify(ClassifyError::NoAccount)),
            None,
        );
        g.add(&facts(5), Outcome::Postings(Vec::new()), Some("bad".into()));
        let skipped = g.skipped_lines(&file());
        assert_eq!(
            skipped,
            vec![Rejection {
                file: "f.txt".into(),
                line: 3,
                journal_id: "R-1".into(),
                status: RejectionStatus::Skipped,
                reason: "zero".into(),
                code: None,
            }]
        );
        let why = "line 4 of R-1: the line has no account (column 167 is empty)";
        assert_eq!(g.rejected.as_deref(), Some(why));
        let built = Group::held_back(&g.id, &g.rows, &file(), why, skipped);
        assert!(built.journal.is_none());
        let got: Vec<(u64, RejectionStatus, &str)> = built
            .rejections
            .iter()
            .map(|r| (r.line, r.status, r.reason.as_str()))
            .collect();
        let held = format!("the whole report is held back because {why}");
        assert_eq!(
            got,
            vec![
                (2, RejectionStatus::Rejected, held.as_str()),
                (3, RejectionStatus::Skipped, "zero"),
                (
                    4,
                    RejectionStatus::Rejected,
                    "the line has no account (column 167 is empty)"
                ),
                (5, RejectionStatus::Rejected, "bad"),
            ]
        );
    }

    #[test]
    fn step_2_an_unrepaid_cbcp_personal_charge_is_recovered_from_the_employee() {
        let charge = |line: u64, amount: &str, billing: CardBilling| {
            let cp = Counterparty::Card(Arc::from("Amex"));
            (
                posting(line, Side::Debit, amount, Some(cp), "CARD"),
                Tag::PersonalCardCharge(billing),
                0,
            )
        };
        let mut g = group();
        g.postings = vec![
            charge(2, "10", CardBilling::Cbcp),
            charge(3, "7", CardBilling::Cbcp),
            (
                posting(4, Side::Credit, "10", Some(Counterparty::Employee), "EMP"),
                Tag::PersonalRepayment,
                0,
            ),
            charge(5, "5", CardBilling::Ibcp),
        ];
        let mut off = group();
        off.postings = g.postings.clone();

        let rules = Rules::default();
        g.add_implied_recoveries(&rules);
        g.add_implied_recoveries(&rules); // runs once
        let added: Vec<&Posting> = g.postings[4..].iter().map(|(p, _, _)| p).collect();
        assert_eq!(
            added,
            vec![&Posting {
                kind: Kind::PersonalOnCompanyCard,
                account: "60003".into(),
                side: Side::Credit,
                amount: dec("7"),
                counterparty: Some(Counterparty::Employee),
                offset_account: "EMPLOYEE_PAYABLE".into(),
                memo: "recovery from the employee: line 3".into(),
                dimensions: Vec::new(),
                source_line: 3,
            }],
            "only the CBCP charge without a repayment of its amount"
        );

        let rules = Rules {
            cbcp_implied_recovery: false,
            ..Rules::default()
        };
        off.add_implied_recoveries(&rules);
        assert_eq!(off.postings.len(), 4);
    }

    #[test]
    fn step_3_offsets_one_line_per_counterparty_account_with_the_net_of_its_lines() {
        let amex = || Some(Counterparty::Card(Arc::from("Amex")));
        let postings: Vec<(Posting, Tag, usize)> = vec![
            posting(2, Side::Debit, "100", Some(Counterparty::Employee), "EMP"),
            posting(3, Side::Credit, "30", Some(Counterparty::Employee), "EMP"),
            posting(4, Side::Debit, "50", amex(), "CARD"),
            posting(5, Side::Debit, "20", amex(), "CARD"),
            posting(6, Side::Debit, "10", Some(Counterparty::Employee), "EMP"),
            posting(7, Side::Debit, "5", Some(Counterparty::CompanyPaid), "COPD"),
            posting(
                8,
                Side::Credit,
                "5",
                Some(Counterparty::CompanyPaid),
                "COPD",
            ),
        ]
        .into_iter()
        .map(|p| (p, Tag::None, 0))
        .collect();
        let f = facts(2);
        let exact = offset_lines(postings, &Rules::default(), &GroupValues { facts: &f }).unwrap();
        let got: Vec<(String, Side, Decimal, Kind, Vec<u64>, String)> = exact
            .iter()
            .map(|e| {
                (
                    e.account.clone(),
                    e.side,
                    e.amount,
                    e.kind,
                    e.sources.clone(),
                    e.memo.clone(),
                )
            })
            .collect();
        let line = |l: u64, side: Side, amount: &str| {
            let memo = format!("line {l}");
            (
                format!("6{l:04}"),
                side,
                dec(amount),
                Kind::OutOfPocket,
                vec![l],
                memo,
            )
        };
        assert_eq!(
            got,
            vec![
                line(2, Side::Debit, "100"),
                line(3, Side::Credit, "30"),
                line(4, Side::Debit, "50"),
                line(5, Side::Debit, "20"),
                line(6, Side::Debit, "10"),
                line(7, Side::Debit, "5"),
                line(8, Side::Credit, "5"),
                // The company-paid lines net to zero: no offset line.
                (
                    "EMP".into(),
                    Side::Credit,
                    dec("80"),
                    Kind::Offset,
                    vec![2, 3, 6],
                    "employee".into()
                ),
                (
                    "CARD".into(),
                    Side::Credit,
                    dec("70"),
                    Kind::Offset,
                    vec![4, 5],
                    "card:Amex".into()
                ),
            ]
        );
    }

    #[test]
    fn step_3_offsets_a_files_own_lines_must_balance_by_themselves() {
        let f = facts(2);
        let gv = GroupValues { facts: &f };
        let own = |ps: Vec<Posting>| -> Vec<(Posting, Tag, usize)> {
            ps.into_iter().map(|p| (p, Tag::None, 0)).collect()
        };
        let both = own(vec![
            posting(2, Side::Debit, "10", None, ""),
            posting(3, Side::Credit, "7", None, ""),
        ]);
        assert_eq!(
            offset_lines(both, &Rules::default(), &gv).err(),
            Some(dec("3"))
        );
        // One-sided: offset to the employee.
        let one = own(vec![posting(2, Side::Debit, "10", None, "")]);
        let exact = offset_lines(one, &Rules::default(), &gv).unwrap();
        assert_eq!(exact.len(), 2);
        let offset = &exact[1];
        assert_eq!(
            (
                offset.account.as_str(),
                offset.side,
                offset.amount,
                offset.kind,
                &offset.sources
            ),
            (
                "EMPLOYEE_PAYABLE",
                Side::Credit,
                dec("10"),
                Kind::Offset,
                &vec![2]
            )
        );
    }

    fn exact(side: Side, amount: &str) -> Exact {
        Exact {
            account: "A".into(),
            side,
            amount: dec(amount),
            kind: Kind::OutOfPocket,
            counterparty: None,
            memo: String::new(),
            dimensions: Vec::new(),
            sources: vec![2],
        }
    }

    #[test]
    fn step_4_rounding_once_per_journal_keeps_it_balanced() {
        let third = "33.3333";
        let lines = || {
            vec![
                exact(Side::Debit, third),
                exact(Side::Debit, third),
                exact(Side::Debit, third),
                exact(Side::Credit, "99.9999"),
            ]
        };
        // Largest remainder: the rounded total (100.00) shared on each side.
        let mut e = lines();
        let rounded = round_lines(&mut e, &Rules::default(), 2);
        let strings: Vec<String> = rounded.iter().map(|d| d.to_string()).collect();
        assert_eq!(strings, ["33.34", "33.33", "33.33", "100.00"]);
        assert_eq!(e.len(), 4);

        // A rounding account: each line rounded alone, the difference posted there.
        let rules = Rules {
            rounding_account: Some("ROUND".into()),
            ..Rules::default()
        };
        let mut e = lines();
        let rounded = round_lines(&mut e, &rules, 2);
        let strings: Vec<String> = rounded.iter().map(|d| d.to_string()).collect();
        assert_eq!(strings, ["33.33", "33.33", "33.33", "100.00", "0.01"]);
        let r = &e[4];
        assert_eq!(
            (r.account.as_str(), r.side, r.kind),
            ("ROUND", Side::Debit, Kind::Rounding)
        );
    }

    #[test]
    fn step_5_reconciliation_holds_back_a_report_that_disagrees_with_concur() {
        let with_due = |due: &str| {
            let mut g = group();
            let f = RowFacts {
                due_employee: Some(dec(due)),
                due_card: None,
                ..facts(2)
            };
            let ps = vec![
                posting(2, Side::Debit, "100", Some(Counterparty::Employee), "EMP"),
                posting(3, Side::Credit, "30", Some(Counterparty::Employee), "EMP"),
            ];
            g.add(
                &f,
                Outcome::Postings(ps.into_iter().map(|p| (p, Tag::None)).collect()),
                None,
            );
            g
        };
        let mut findings = Findings::with_limit(10);
        let nets = with_due("70").nets();
        assert_eq!(reconcile_nets(&nets, "R-1", "f.txt", &mut findings), None);
        assert!(findings.items().is_empty());

        let nets = with_due("70.01").nets();
        let why = reconcile_nets(&nets, "R-1", "f.txt", &mut findings);
        let msg = "R-1: the journal's net due to the employee is 70 but Concur's Amount Due Employee (column 319) is 70.01 (difference -0.01); the report is not posted";
        assert_eq!(why, Some(format!("R-1 does not reconcile: {msg}")));
        let codes: Vec<(String, &str)> = findings
            .items()
            .iter()
            .map(|f| (f.code.to_string(), f.message.as_str()))
            .collect();
        assert_eq!(codes, vec![("JNL202".to_string(), msg)]);

        // A part of a split report cannot be reconciled: nothing is checked.
        let mut part = with_due("70.01");
        part.split_part = true;
        assert!(part.nets().is_empty());
    }

    #[test]
    fn the_journal_gives_every_line_that_rounds_away_a_home() {
        // Line 3 rounds to nothing and nets with nothing posted; line 2 is posted.
        let mut small = exact(Side::Debit, "0.001");
        small.sources = vec![3];
        let lines = vec![exact(Side::Debit, "5"), small];
        let (lines, vanished) = journal_lines(lines, vec![dec("5.00"), dec("0.00")], 2);
        assert_eq!(lines.len(), 1);
        assert_eq!(vanished, vec![(3, dec("0.001"))]);
        let rows = vec![
            (2, RowState::Kept),
            (3, RowState::Kept),
            (4, RowState::Kept),
        ];
        let mut rejections = Vec::new();
        let file = file();
        let at = Unposted {
            file: &file,
            journal_id: "R-1",
            currency: "USD",
            minor: 2,
        };
        list_unposted(&lines, &rows, vanished, false, &at, &mut rejections);
        let got: Vec<(u64, RejectionStatus, &str)> = rejections
            .iter()
            .map(|r| (r.line, r.status, r.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    3,
                    RejectionStatus::Skipped,
                    "amount 0.001 USD rounds to zero at 2 decimal(s) and nets with nothing posted: nothing to post"
                ),
                (
                    4,
                    RejectionStatus::Skipped,
                    "the line and what it offsets net to zero: nothing to post"
                ),
            ]
        );
    }
}

//! The journal builder: groups postings into journals, adds the aggregated offset lines,
//! reconciles against Concur's own report totals and rounds once per journal.
//!
//! With report grouping (the default) a journal is finished as soon as the next report
//! starts, so memory is bounded by the largest report. A report whose lines are not
//! contiguous is posted in parts (`<id>#2` ...), each balanced, with a warning. Batch and
//! employee-day grouping keep their journals open until the end of the input.

mod group;
mod steps;
#[cfg(test)]
mod tests;

use crate::classify::Tag;
use crate::model::{Journal, Posting};
use crate::rules::{Grouping, Rules};
use crate::sources::RowError;
use group::Group;
use ledgerline_extract::Position;
use ledgerline_extract::value::Date;
use ledgerline_findings::{Check, Code, Family, Finding, Findings};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use steps::ReportNet;

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

//! What a sync run planned and did: the plan's counts and changes, the findings about the
//! input, every sent record's outcome, and the one-line summary printed at the end.

use ledgerline_findings::{Finding, Severity};
use serde::Serialize;

/// What the plan does with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// New in Concur.
    Create,
    /// Concur has it with other values.
    Update,
    /// Concur has it live; the export no longer does (`--delete-missing`).
    Deactivate,
    /// Concur has it deleted; `on_deleted = "reactivate"` brings it back.
    Reactivate,
}

impl Action {
    /// `+`, `~`, `-`, `^`.
    pub fn sign(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update => '~',
            Action::Deactivate => '-',
            Action::Reactivate => '^',
        }
    }
}

/// One planned change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The natural key.
    pub key: String,
    /// What to do.
    pub action: Action,
    /// The input line (none for a deactivation).
    pub line: Option<u64>,
    /// A short description (name, or the field that changes).
    pub detail: String,
}

/// How a sent record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created.
    Created,
    /// Updated (also: a create that found the record already there and updated it).
    Updated,
    /// Deactivated (deleted softly).
    Deactivated,
    /// Reactivated.
    Reactivated,
    /// Concur refused it.
    Failed,
    /// The run stopped before its answer came (`pending` in the run ledger), or before it
    /// was sent at all (then not in the run ledger: the next run plans it again).
    Unknown,
}

impl Status {
    /// The run ledger's word.
    pub fn ledger_word(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Updated => "updated",
            Status::Deactivated => "deactivated",
            Status::Reactivated => "reactivated",
            Status::Failed => "failed",
            Status::Unknown => "pending",
        }
    }
}

/// One sent record's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The natural key.
    pub key: String,
    /// The input line.
    pub line: Option<u64>,
    /// What was asked.
    pub action: Action,
    /// How it ended.
    pub status: Status,
    /// Concur's error id or code.
    pub code: Option<String>,
    /// Concur's message.
    pub message: Option<String>,
}

/// Counts of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// To create.
    pub create: usize,
    /// To update.
    pub update: usize,
    /// To deactivate.
    pub deactivate: usize,
    /// To reactivate.
    pub reactivate: usize,
    /// Already as the export says.
    pub unchanged: usize,
    /// Input records not sent because of a finding.
    pub refused: usize,
    /// In Concur but not in the export, kept (no `--delete-missing`).
    pub only_in_concur: usize,
}

/// A run's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `lists`, `vendors`, `purchase-orders`, `receipts`.
    pub kind: &'static str,
    /// The input file.
    pub input: String,
    /// What was synced into (the list name; `-` for the other kinds).
    pub target: String,
    /// The plan.
    pub plan: Counts,
    /// Every planned change, in sending order.
    pub changes: Vec<Change>,
    /// Findings about the input.
    pub findings: Vec<Finding>,
    /// Whether the plan was applied (`--apply`).
    pub applied: bool,
    /// The outcome of every record sent.
    pub outcomes: Vec<Outcome>,
    /// HTTP requests made.
    pub requests: u64,
    /// 429 answers waited out.
    pub rate_limited: u32,
    /// Why applying stopped early, when it did.
    pub interrupted: Option<String>,
}

impl Report {
    pub(crate) fn new(kind: &'static str, input: &str, target: &str) -> Report {
        Report {
            kind,
            input: input.to_owned(),
            target: target.to_owned(),
            plan: Counts::default(),
            changes: Vec::new(),
            findings: Vec::new(),
            applied: false,
            outcomes: Vec::new(),
            requests: 0,
            rate_limited: 0,
            interrupted: None,
        }
    }

    /// Error-level findings.
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// Outcomes with this status.
    pub fn count(&self, s: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == s).count()
    }

    /// Whether something Concur was asked to do did not happen (refused, or the run
    /// stopped before the answer).
    pub fn incomplete(&self) -> bool {
        self.interrupted.is_some()
            || self
                .outcomes
                .iter()
                .any(|o| matches!(o.status, Status::Failed | Status::Unknown))
    }

    /// `+ 120 create, ~ 8 update, - 3 deactivate, = 4,512 unchanged` (and the refused and
    /// kept counts when there are any).
    pub fn plan_line(&self) -> String {
        let p = &self.plan;
        let mut s = format!(
            "+ {} create, ~ {} update, - {} deactivate, = {} unchanged",
            thousands(p.create),
            thousands(p.update),
            thousands(p.deactivate),
            thousands(p.unchanged)
        );
        if p.reactivate > 0 {
            s.push_str(&format!(", ^ {} reactivate", thousands(p.reactivate)));
        }
        if p.refused > 0 {
            s.push_str(&format!(
                ", ! {} refused (see findings)",
                thousands(p.refused)
            ));
        }
        if p.only_in_concur > 0 {
            s.push_str(&format!(
                "; {} only in Concur, kept (--delete-missing deactivates them)",
                thousands(p.only_in_concur)
            ));
        }
        s
    }

    /// `lists Cost Centers`, `vendors`, `receipts goods-receipt`.
    fn what(&self) -> String {
        if self.target == "-" {
            self.kind.to_owned()
        } else {
            format!("{} {}", self.kind, self.target)
        }
    }

    /// The closing summary.
    pub fn summary_line(&self) -> String {
        if !self.applied {
            return format!(
                "plan for {}: {} (nothing sent; add --apply to send it)",
                self.what(),
                self.plan_line()
            );
        }
        let mut s = format!(
            "applied to {}: {} created, {} updated, {} deactivated, {} reactivated, {} failed, {} unchanged",
            self.what(),
            thousands(self.count(Status::Created)),
            thousands(self.count(Status::Updated)),
            thousands(self.count(Status::Deactivated)),
            thousands(self.count(Status::Reactivated)),
            thousands(self.count(Status::Failed)),
            thousands(self.plan.unchanged)
        );
        if self.plan.refused > 0 {
            s.push_str(&format!(
                ", {} refused before sending",
                thousands(self.plan.refused)
            ));
        }
        if self.rate_limited > 0 {
            s.push_str(&format!(
                " ({} rate-limit answers waited out)",
                self.rate_limited
            ));
        }
        if let Some(why) = &self.interrupted {
            s.push_str(&format!(
                "; stopped early: {why} ({} record(s) unconfirmed, sent without an answer or not sent: run again to finish)",
                self.count(Status::Unknown)
            ));
        }
        s
    }
}

/// `4512` -> `4,512`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::thousands(4512), "4,512");
        assert_eq!(super::thousands(100000), "100,000");
        assert_eq!(super::thousands(12), "12");
    }
}

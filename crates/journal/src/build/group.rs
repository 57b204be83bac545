//! One journal being built: its rows, postings and report checks, and `Group::build`, the
//! named steps from rows to a balanced, reconciled journal.

use super::steps::*;
use super::{Built, Outcome, Rejection, RejectionStatus, RowFacts};
use crate::classify::Tag;
use crate::model::{Counterparty, Journal, Kind, Posting, Side};
use crate::rules::{CardBilling, DateSource, Rules};
use ledgerline_extract::Position;
use ledgerline_extract::value::Date;
use ledgerline_findings::{Check, Family, Finding, Findings, Severity};
use rust_decimal::Decimal;
use std::sync::Arc;

#[derive(Debug)]
pub(super) struct ReportCheck {
    pub(super) report_id: String,
    pub(super) employee_id: Option<String>,
    pub(super) currency: String,
    pub(super) line: u64,
    pub(super) byte: u64,
    pub(super) due_employee: Option<Decimal>,
    pub(super) due_card: Option<Decimal>,
    pub(super) due_vendor: Option<Decimal>,
    pub(super) company_paid: Option<Decimal>,
}

/// What became of one row of a group, before the journal is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RowState {
    /// Its postings are in the group (or it gave none).
    Kept,
    /// Deliberately not posted, with the reason.
    Skipped(String),
    /// Rejected with its own reason (its validation error, or why it cannot be classified):
    /// the group is held back.
    Rejected(String),
}

#[derive(Debug)]
pub(super) struct Group {
    pub(super) id: String,
    pub(super) facts_key: String,
    pub(super) facts: RowFacts<'static>,
    pub(super) latest_entry: Option<Date>,
    pub(super) postings: Vec<(Posting, Tag, usize)>,
    pub(super) checks: Vec<ReportCheck>,
    /// Every row of the group, in file order: its line and what became of it.
    pub(super) rows: Vec<(u64, RowState)>,
    /// Why the whole group is held back (its first rejected row, or a report of it that
    /// does not reconcile over every journal).
    pub(super) rejected: Option<String>,
    pub(super) split_part: bool,
    /// Implied recoveries were added (they must be added once only).
    pub(super) recovered: bool,
    /// A row classified into no posting at all (checked for a home at the end).
    pub(super) bare_row: bool,
}

impl Group {
    pub(super) fn new(
        id: String,
        key: String,
        facts: RowFacts<'static>,
        split_part: bool,
    ) -> Group {
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

    pub(super) fn add(&mut self, facts: &RowFacts<'_>, outcome: Outcome, rejected: Option<String>) {
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
    pub(super) fn build(
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
    pub(super) fn skipped_lines(&self, file: &Arc<str>) -> Vec<Rejection> {
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
    pub(super) fn held_back(
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
    pub(super) fn unbalanced(
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
    pub(super) fn add_implied_recoveries(&mut self, rules: &Rules) {
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
    pub(super) fn nets(&self) -> Vec<ReportNet> {
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
pub(super) fn journal_date(
    source: DateSource,
    facts: &RowFacts<'_>,
    latest_entry: Option<Date>,
) -> Date {
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

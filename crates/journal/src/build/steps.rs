//! The steps of `Group::build` that work on lines rather than rows: offsets (step 3),
//! rounding (4), reconciliation (5), and the lines that end up in no journal.

use super::group::{ReportCheck, RowState};
use super::{Rejection, RejectionStatus, RowFacts};
use crate::classify::Tag;
use crate::model::{Counterparty, JournalLine, Kind, Posting, Side};
use crate::round::{largest_remainder, round_amount};
use crate::rules::Rules;
use crate::template::{Values, Var};
use ledgerline_extract::Position;
use ledgerline_extract::schema::SaeCol;
use ledgerline_findings::{Check, Family, Finding, Findings, Subject};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// An exact (unrounded) journal line.
pub(super) struct Exact {
    pub(super) account: String,
    pub(super) side: Side,
    pub(super) amount: Decimal,
    pub(super) kind: Kind,
    pub(super) counterparty: Option<Counterparty>,
    pub(super) memo: String,
    pub(super) dimensions: Vec<(String, String)>,
    pub(super) sources: Vec<u64>,
}

/// Step 3, offsets: the exact lines of a journal, its postings in file order, then one offset
/// line per counterparty and offset account with the net of the lines it offsets (none
/// where they net to zero).
///
/// Postings without a counterparty (a payment-batch file's own lines) must balance by
/// themselves: when they leave a difference and the journal has lines on both sides, that
/// difference is returned as `Err` and the journal is not posted; a one-sided file (all
/// debits, say) is offset to the employee instead.
pub(super) fn offset_lines(
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
pub(super) fn round_lines(exact: &mut Vec<Exact>, rules: &Rules, minor: u32) -> Vec<Decimal> {
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
pub(super) fn reconcile_nets(
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
pub(super) fn journal_lines(
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
pub(super) struct Unposted<'a> {
    pub(super) file: &'a Arc<str>,
    pub(super) journal_id: &'a str,
    pub(super) currency: &'a str,
    pub(super) minor: u32,
}

/// Gives a home in `rejections` (as `skipped`) to every row of the journal that none of its
/// `lines` carries and that is not listed yet: a line whose amount rounded to nothing and
/// nets with nothing posted (`vanished`), and a row that gave no posting at all or whose
/// postings all rounded away. Checked only when such a row can exist (`vanished` not empty,
/// or `bare_row`), to keep the common journal cheap.
pub(super) fn list_unposted(
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
pub(super) struct ReportNet {
    pub(super) check: ReportCheck,
    pub(super) employee: Decimal,
    pub(super) card: Decimal,
    pub(super) vendor: Decimal,
    pub(super) company_paid: Decimal,
}

impl ReportNet {
    pub(super) fn merge(&mut self, other: ReportNet) {
        self.employee += other.employee;
        self.card += other.card;
        self.vendor += other.vendor;
        self.company_paid += other.company_paid;
    }

    /// Where the journal disagrees with Concur's own totals for the report: the net due to
    /// the employee (column 319), to the card programs (320), the company-paid total (316)
    /// and, for an invoice, the total due to the vendor (PRAE column 10). A total Concur left
    /// empty is not checked.
    pub(super) fn mismatches(&self, file: &str, journal_id: Option<&str>) -> Vec<Finding> {
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
pub(super) struct GroupValues<'a> {
    pub(super) facts: &'a RowFacts<'static>,
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

//! The exceptions: what needs a look before posting (reconciliation and balance findings,
//! accounts the ERP would reject, journals the ledger knows, personal card charges still
//! owed, cash advances not applied, suspense lines, rejected lines), and their table.

use super::Inspector;
use super::model::{Exception, Inspection};
use super::tables::Row;
use crate::table::{Cell, ColumnKind, Table, thousands};
use ledgerline_findings::Check;

impl Inspector {
    pub(super) fn exceptions(
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
            let subject = f.subject.clone().unwrap_or_default();
            let currency = subject.currency;
            ex.push(Exception {
                kind,
                file: Some(f.file.clone()),
                lines: f.line.into_iter().collect(),
                journal_id: subject.journal_id,
                employee_id: subject.employee_id,
                account: None,
                // Exact: a difference of 0.004 must not show as 0.00.
                amount: subject.amount.and_then(|a| a.parse().ok()),
                currency,
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
                        thousands(out.amount(&cur, personal)),
                        thousands(out.amount(&cur, -due))
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
                        thousands(out.amount(&cur, ca))
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
        // Rejected lines, one exception per journal (report), with what the finding that
        // held it back says it is about.
        for g in &self.rejected_journals {
            let subject = self
                .subjects
                .get(&(g.file.clone(), g.journal_id.clone()))
                .cloned()
                .unwrap_or_default();
            let n = g.lines.len() as u64;
            let mut detail = format!(
                "{} rejected: {}",
                if n == 1 {
                    "1 extract line".to_owned()
                } else {
                    format!("{} extract lines", thousands(n.into()))
                },
                g.reason
            );
            if g.other_reasons > 0 {
                detail.push_str(&format!(
                    " ({} of them for other reasons: see `convert --force --rejects FILE`)",
                    g.other_reasons
                ));
            }
            ex.push(Exception {
                kind: "rejected",
                file: Some(g.file.clone()),
                lines: g.lines.clone(),
                journal_id: Some(g.journal_id.clone()),
                employee_id: subject.employee_id,
                account: None,
                amount: subject.amount.and_then(|a| a.parse().ok()),
                currency: subject.currency,
                detail,
            });
        }
        if self.rejected_unlisted > 0 {
            ex.push(Exception {
                kind: "rejected",
                file: None,
                lines: Vec::new(),
                journal_id: None,
                employee_id: None,
                account: None,
                amount: None,
                currency: None,
                detail: format!("{} more rejected lines not listed", self.rejected_unlisted),
            });
        }
        ex
    }
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
                Cell::Text(line_ranges(&e.lines))
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

/// Extract line numbers as text, consecutive runs as ranges: `2 5-9 12`.
fn line_ranges(lines: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && lines[j + 1] == lines[j] + 1 {
            j += 1;
        }
        out.push(if j > i {
            format!("{}-{}", lines[i], lines[j])
        } else {
            lines[i].to_string()
        });
        i = j + 1;
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::line_ranges;

    #[test]
    fn consecutive_lines_are_ranges() {
        assert_eq!(line_ranges(&[2]), "2");
        assert_eq!(line_ranges(&[2, 3, 4, 5, 9, 11, 12]), "2-5 9 11-12");
        assert_eq!(line_ranges(&[7, 3]), "7 3");
    }
}

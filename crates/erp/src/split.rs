//! Splitting a journal that is longer than a target allows into parts that each balance.
//!
//! Most journals (one per expense report) are far below every limit and are passed through
//! untouched. A longer one (typically `group = "batch"`) is cut like this:
//!
//! * lines are taken in journal order, alternating sides as the part's running balance asks:
//!   while the part is in debit the next credit line is taken, otherwise the next debit line;
//! * when the part is full and a prefix of at least half of it balanced by itself, the part
//!   ends there (a natural boundary: no line is cut);
//! * otherwise the line that last moved the running balance across zero is split in two,
//!   same account, memo and dimensions: the part keeps the share that balances it and the
//!   rest goes first into the next part.
//!
//! So every part balances exactly, holds at most `max_lines` lines, and the parts together
//! post exactly the journal's amount on every line; in practice expense lines stay whole and
//! the aggregated offset lines (employee payable, card payable) are shared out between parts.

use crate::ids::Part;
use ledgerline_journal::{Journal, JournalLine};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::VecDeque;

/// Why a journal cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The limit is below two lines.
    #[error("a part needs room for at least two lines (limit {0})")]
    LimitTooSmall(usize),
    /// The journal does not balance, so no split can.
    #[error("the journal does not balance (debits - credits = {0})")]
    Unbalanced(Decimal),
}

/// One part of a journal, with the 0-based index of the journal line each of its lines came
/// from (`origin`).
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The part (the whole journal when it was not split), lines renumbered from 1.
    pub journal: Cow<'a, Journal>,
    /// Which part.
    pub part: Part,
    /// For each line of `journal`, the index of the original line it is (a share of).
    pub origin: Cow<'a, [usize]>,
}

struct Piece {
    idx: usize,
    amount: Decimal,
}

/// Splits `j` into balanced parts of at most `max_lines` lines (`0` = no limit).
pub fn split(j: &Journal, max_lines: usize) -> Result<Vec<Split<'_>>, SplitError> {
    if max_lines == 0 || j.lines.len() <= max_lines {
        return Ok(vec![Split {
            journal: Cow::Borrowed(j),
            part: Part::WHOLE,
            origin: Cow::Owned((0..j.lines.len()).collect()),
        }]);
    }
    if max_lines < 2 {
        return Err(SplitError::LimitTooSmall(max_lines));
    }
    let diff = j.total_debit() - j.total_credit();
    if !diff.is_zero() {
        return Err(SplitError::Unbalanced(diff));
    }
    let mut debits: VecDeque<Piece> = VecDeque::new();
    let mut credits: VecDeque<Piece> = VecDeque::new();
    for (idx, l) in j.lines.iter().enumerate() {
        if l.credit.is_zero() {
            debits.push_back(Piece {
                idx,
                amount: l.debit,
            });
        } else {
            credits.push_back(Piece {
                idx,
                amount: l.credit,
            });
        }
    }
    let mut parts: Vec<Vec<(usize, Decimal, bool)>> = Vec::new();
    while !debits.is_empty() || !credits.is_empty() {
        // (index, signed amount, is debit)
        let mut part: Vec<(usize, Decimal, bool)> = Vec::with_capacity(max_lines);
        let mut bal = Decimal::ZERO;
        let mut last_cross = None;
        let mut last_zero = 0usize;
        while part.len() < max_lines {
            let take_credit = if bal > Decimal::ZERO {
                true
            } else if bal < Decimal::ZERO {
                false
            } else {
                debits.is_empty()
            };
            let q = if take_credit {
                &mut credits
            } else {
                &mut debits
            };
            let Some(p) = q.pop_front() else { break };
            let before = bal;
            if take_credit {
                bal -= p.amount;
            } else {
                bal += p.amount;
            }
            part.push((p.idx, p.amount, !take_credit));
            if (before <= Decimal::ZERO && bal > Decimal::ZERO)
                || (before >= Decimal::ZERO && bal < Decimal::ZERO)
            {
                last_cross = Some(part.len() - 1);
            }
            if bal.is_zero() {
                last_zero = part.len();
            }
        }
        if !bal.is_zero() {
            if last_zero >= 2 && last_zero * 2 >= part.len() {
                // A natural boundary: give back everything after the balanced prefix.
                for (idx, amount, is_debit) in part.drain(last_zero..).rev() {
                    let q = if is_debit { &mut debits } else { &mut credits };
                    q.push_front(Piece { idx, amount });
                }
            } else if let Some(c) = last_cross {
                let (idx, amount, is_debit) = part[c];
                let keep = amount - bal.abs();
                let q = if is_debit { &mut debits } else { &mut credits };
                q.push_front(Piece {
                    idx,
                    amount: bal.abs(),
                });
                if keep.is_zero() {
                    part.remove(c);
                } else {
                    part[c].1 = keep;
                }
            } else {
                // Unreachable for a balanced journal: a non-zero balance crossed zero.
                return Err(SplitError::Unbalanced(bal));
            }
        }
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let of = parts.len() as u32;
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(n, mut part)| {
            part.sort_by_key(|(idx, _, _)| *idx);
            let lines: Vec<JournalLine> = part
                .iter()
                .enumerate()
                .map(|(i, (idx, amount, is_debit))| {
                    let o = &j.lines[*idx];
                    JournalLine {
                        line: i as u32 + 1,
                        account: o.account.clone(),
                        debit: if *is_debit {
                            *amount
                        } else {
                            zero_like(o.debit)
                        },
                        credit: if *is_debit {
                            zero_like(o.credit)
                        } else {
                            *amount
                        },
                        kind: o.kind,
                        counterparty: o.counterparty.clone(),
                        memo: o.memo.clone(),
                        dimensions: o.dimensions.clone(),
                        source_lines: o.source_lines.clone(),
                    }
                })
                .collect();
            let origin: Vec<usize> = part.iter().map(|(idx, _, _)| *idx).collect();
            Split {
                journal: Cow::Owned(Journal {
                    lines,
                    ..without_lines(j)
                }),
                part: Part {
                    n: n as u32 + 1,
                    of,
                },
                origin: Cow::Owned(origin),
            }
        })
        .collect())
}

/// Zero at the scale of `d` (so `0.00` stays `0.00`).
fn zero_like(d: Decimal) -> Decimal {
    let mut z = Decimal::ZERO;
    z.rescale(d.scale());
    z
}

fn without_lines(j: &Journal) -> Journal {
    Journal {
        id: j.id.clone(),
        date: j.date,
        currency: j.currency.clone(),
        minor_units: j.minor_units,
        employee_id: j.employee_id.clone(),
        employee_name: j.employee_name.clone(),
        report_id: j.report_id.clone(),
        report_key: j.report_key.clone(),
        title: j.title.clone(),
        batch_id: j.batch_id.clone(),
        source_file: j.source_file.clone(),
        lines: Vec::new(),
    }
}

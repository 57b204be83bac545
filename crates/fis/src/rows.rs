//! A FIS document as the rows the journal builder reads: each expense journal line (and
//! each tax item, cash-advance application and cash-advance journal line) becomes the SAE
//! detail row Concur's SAE-to-FIS workbook maps it to (`concur-master-data.md` §6.2), and
//! [`FisRow`] is the [`RowSource`] over it. Classification, offsets, rounding and every
//! writer then run unchanged, and rules templates that name SAE columns
//! (`{ReportOrgUnit1}`) read the same values from a FIS document.

use ledgerline_extract::Position;
use ledgerline_extract::sae::{PraeRow, SaeRow};
use ledgerline_extract::schema::SaeCol as C;
use ledgerline_extract::split::{Dialect, FieldSpan, LineFlags, Record, split_line};
use ledgerline_journal::build::{Outcome, RowFacts};
use ledgerline_journal::sources::{RowContext, RowError, RowSource};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// Number of fields of an SAE detail row.
pub const SAE_COLUMNS: usize = 400;
/// Number of fields of a PRAE detail row.
pub const PRAE_COLUMNS: usize = 256;

/// Which extract a row is a detail row of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// SAE (expense reports, cash advances).
    Sae,
    /// PRAE (invoices).
    Prae,
}

/// The values of one SAE (or PRAE) detail row under construction, by column.
///
/// Kept sparse (the columns set, in the order set; a later value of a column wins): a row
/// is built by cloning its report's, entry's and allocation's rows, and a FIS line sets a
/// few dozen of the 400 columns, so a clone copies those, not 400.
#[derive(Debug, Clone)]
pub struct SaeLine<'a> {
    vals: Vec<(u16, Cow<'a, str>)>,
    layout: Layout,
}

impl Default for SaeLine<'_> {
    fn default() -> Self {
        SaeLine::new(Layout::Sae)
    }
}

impl<'a> SaeLine<'a> {
    /// An empty detail row of `layout`.
    pub fn new(layout: Layout) -> Self {
        let mut vals = Vec::with_capacity(64);
        vals.push((0, Cow::Borrowed("DETAIL")));
        SaeLine { vals, layout }
    }

    fn columns(&self) -> usize {
        match self.layout {
            Layout::Sae => SAE_COLUMNS,
            Layout::Prae => PRAE_COLUMNS,
        }
    }

    fn value(&self, index: usize) -> &str {
        self.vals
            .iter()
            .rev()
            .find(|(i, _)| usize::from(*i) == index)
            .map_or("", |(_, v)| v)
    }

    /// The row's layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Sets the PRAE column `col` (an empty or absent value leaves it as it was).
    pub fn set_prae(
        &mut self,
        col: ledgerline_extract::schema::PraeCol,
        value: Option<Cow<'a, str>>,
    ) {
        if let Some(v) = value
            && !v.is_empty()
        {
            self.vals.push((col.index() as u16, v));
        }
    }

    /// The value of PRAE column `col`.
    pub fn get_prae(&self, col: ledgerline_extract::schema::PraeCol) -> &str {
        self.value(col.index())
    }

    /// Sets `col` (an empty or absent value leaves it as it was).
    pub fn set(&mut self, col: C, value: Option<Cow<'a, str>>) {
        if let Some(v) = value
            && !v.is_empty()
        {
            self.vals.push((col.index() as u16, v));
        }
    }

    /// Sets `col` to `value`, whatever it held.
    pub fn put(&mut self, col: C, value: impl Into<Cow<'a, str>>) {
        self.vals.push((col.index() as u16, value.into()));
    }

    /// The value of `col`.
    pub fn get(&self, col: C) -> &str {
        self.value(col.index())
    }

    /// Writes the row as a pipe-delimited line (values holding a delimiter, quote or line
    /// break are quoted) and splits it again, so it reads exactly as a line of an SAE file.
    pub fn encode(&self, buf: &mut RowBuf) {
        let n = self.columns();
        // The values in column order, the last one set of each column: a few dozen of the
        // row's columns, so the line is mostly runs of delimiters written at once.
        buf.order.clear();
        buf.order.extend(
            self.vals
                .iter()
                .enumerate()
                .filter(|(_, (i, _))| usize::from(*i) < n)
                .map(|(k, (i, _))| (*i, k as u32)),
        );
        buf.order.sort_unstable();
        buf.line.clear();
        let mut col = 0usize;
        for (j, &(i, k)) in buf.order.iter().enumerate() {
            if buf.order.get(j + 1).is_some_and(|next| next.0 == i) {
                continue; // a later value of this column wins
            }
            let i = usize::from(i);
            buf.line.resize(buf.line.len() + (i - col), b'|');
            col = i;
            let b = self.vals[k as usize].1.as_bytes();
            if b.iter().any(|c| matches!(c, b'|' | b'"' | b'\n' | b'\r')) {
                buf.line.push(b'"');
                for &c in b {
                    match c {
                        b'"' => buf.line.extend_from_slice(b"\"\""),
                        b'\n' | b'\r' => buf.line.push(b' '),
                        c => buf.line.push(c),
                    }
                }
                buf.line.push(b'"');
            } else {
                buf.line.extend_from_slice(b);
            }
        }
        buf.line.resize(buf.line.len() + (n - 1 - col), b'|');
        split_line(&buf.line, Dialect::PIPE, &mut buf.spans);
    }
}

/// The bytes and field spans of an encoded row (reused from row to row).
#[derive(Debug, Default)]
pub struct RowBuf {
    line: Vec<u8>,
    spans: Vec<FieldSpan>,
    /// Scratch: (column, index into the row's values), sorted.
    order: Vec<(u16, u32)>,
}

impl RowBuf {
    /// The row as an SAE row, positioned at `pos` (where its JSON object is in the input).
    pub fn sae(&self, pos: Position) -> SaeRow<'_> {
        SaeRow::new(self.record(pos))
    }

    /// The row as a PRAE row.
    pub fn prae(&self, pos: Position) -> PraeRow<'_> {
        PraeRow::new(self.record(pos))
    }

    /// The encoded line and its field spans.
    pub fn parts(&self) -> (&[u8], &[FieldSpan]) {
        (&self.line, &self.spans)
    }

    fn record(&self, pos: Position) -> Record<'_> {
        Record::new(&self.line, &self.spans, pos, LineFlags::empty())
    }

    /// The encoded row as the journal builder reads it.
    pub fn row(&self, layout: Layout, pos: Position) -> FisRow<'_> {
        match layout {
            Layout::Sae => FisRow::new(self.sae(pos)),
            Layout::Prae => FisRow::invoice(self.prae(pos)),
        }
    }
}

/// One row of a FIS document, as the journal builder reads it.
///
/// Its facts and outcome are those of the SAE row the document maps to: the report (the
/// journal), employee, currency, dates and title; the side from the sign of `amountGross`
/// (Concur's expense journal lines carry no debit/credit flag), the counterparty from the
/// payer and payee codes. A FIS document has no report-level amounts due (SAE columns
/// 316, 319, 320), so the builder has nothing of Concur's to reconcile with; the reader
/// reconciles each document against its own totals before its rows reach the builder (a
/// document that does not add up is held back whole, `FIS405`).
///
/// An invoice line is the PRAE row of its line item's allocation: posted against its
/// vendor, and reconciled by the builder with the request's total (PRAE column 10).
#[derive(Debug, Clone, Copy)]
pub enum FisRow<'a> {
    /// An expense or cash-advance line, as an SAE row.
    Expense(SaeRow<'a>),
    /// An invoice line, as a PRAE row.
    Invoice(PraeRow<'a>),
}

impl<'a> FisRow<'a> {
    /// An expense or cash-advance row over an encoded SAE line.
    pub fn new(sae: SaeRow<'a>) -> Self {
        FisRow::Expense(sae)
    }

    /// An invoice row over an encoded PRAE line.
    pub fn invoice(prae: PraeRow<'a>) -> Self {
        FisRow::Invoice(prae)
    }
}

impl<'a> RowSource<'a> for FisRow<'a> {
    fn facts(&self, ctx: &RowContext<'_>) -> RowFacts<'a> {
        match self {
            FisRow::Expense(sae) => {
                let mut f = sae.facts(ctx);
                // A FIS document carries no amounts due: nothing to reconcile in the builder.
                f.due_employee = None;
                f.due_card = None;
                f.company_paid = None;
                f
            }
            FisRow::Invoice(prae) => prae.facts(ctx),
        }
    }

    fn outcome(&self, ctx: &RowContext<'_>) -> Result<Outcome, RowError> {
        match self {
            FisRow::Expense(sae) => sae.outcome(ctx),
            FisRow::Invoice(prae) => prae.outcome(ctx),
        }
    }
}

/// An amount as SAE column 169 writes it.
pub fn money(d: Decimal) -> Cow<'static, str> {
    Cow::Owned(d.normalize().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(buf: &RowBuf) -> Vec<String> {
        let (line, _) = buf.parts();
        let text = std::str::from_utf8(line).unwrap();
        let rec = buf.record(Position::default());
        let f: Vec<String> = rec
            .fields()
            .map(|f| String::from_utf8(f.bytes().into_owned()).unwrap())
            .collect();
        assert_eq!(f.len(), SAE_COLUMNS, "{text}");
        f
    }

    #[test]
    fn encode_puts_each_value_in_its_column_the_last_one_winning() {
        let mut l = SaeLine::default();
        l.put(C::ReportID, "R1");
        l.put(C::JournalAmount, "10");
        l.put(C::ReportID, "R2");
        l.set(C::JournalAccountCode, Some(Cow::Borrowed("a|b \"c\"")));
        l.set(C::JournalAccountCode, Some(Cow::Borrowed("")));
        l.put(C::from_number(400).unwrap(), "last");
        let mut buf = RowBuf::default();
        l.encode(&mut buf);
        let f = fields(&buf);
        assert_eq!(f[0], "DETAIL");
        assert_eq!(f[C::ReportID.index()], "R2");
        assert_eq!(f[C::JournalAmount.index()], "10");
        assert_eq!(f[C::JournalAccountCode.index()], "a|b \"c\"");
        assert_eq!(f[399], "last");
        let set: Vec<usize> = (0..SAE_COLUMNS).filter(|&i| !f[i].is_empty()).collect();
        assert_eq!(set.len(), 5, "{set:?}");
        // A row with only DETAIL still has every column.
        SaeLine::default().encode(&mut buf);
        assert_eq!(fields(&buf)[0], "DETAIL");
    }
}

//! A FIS document as the rows the journal builder reads: each expense journal line (and
//! each tax item, cash-advance application and cash-advance journal line) becomes the SAE
//! detail row Concur's SAE-to-FIS workbook maps it to (`concur-master-data.md` §6.2), and
//! [`FisRow`] is the [`RowSource`] over it. Classification, offsets, rounding and every
//! writer then run unchanged, and rules templates that name SAE columns
//! (`{ReportOrgUnit1}`) read the same values from a FIS document.

use ledgerline_extract::Position;
use ledgerline_extract::sae::{PraeRow, SaeRow};
use ledgerline_extract::schema::SaeCol as C;
use ledgerline_extract::split::{
    Dialect, FieldSpan, LineFlags, MAX_LINE_LIMIT, Quoting, Record, split_line,
};
use ledgerline_journal::build::{Outcome, RowFacts};
use ledgerline_journal::sources::{RowContext, RowError, RowSource};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::rc::Rc;

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
/// Kept sparse (the columns set, in the order set; a later value of a column wins) and in
/// layers: a row is its report's values, under them its entry's, its allocation's and its
/// journal line's. [`freeze`](Self::freeze) makes the values set so far a shared parent
/// layer, so the rows of one report clone a pointer, not the report's columns.
#[derive(Debug, Clone)]
pub struct SaeLine<'a> {
    parent: Option<Rc<SaeLine<'a>>>,
    vals: Vec<(u16, Cow<'a, str>)>,
    layout: Layout,
}

impl Default for SaeLine<'_> {
    fn default() -> Self {
        SaeLine::new(Layout::Sae)
    }
}

/// The deepest layering a row has (report, entry, allocation, journal line, tax line)
/// with room to spare; a deeper one is encoded the slow way.
const MAX_LAYERS: usize = 8;

impl<'a> SaeLine<'a> {
    /// An empty detail row of `layout`.
    pub fn new(layout: Layout) -> Self {
        let mut vals = Vec::with_capacity(64);
        vals.push((0, Cow::Borrowed("DETAIL")));
        SaeLine {
            parent: None,
            vals,
            layout,
        }
    }

    /// The row as it is, as the shared parent of the rows cloned from it: a clone of the
    /// result copies no values.
    pub fn freeze(self) -> Self {
        SaeLine {
            layout: self.layout,
            vals: Vec::new(),
            parent: Some(Rc::new(self)),
        }
    }

    fn columns(&self) -> usize {
        match self.layout {
            Layout::Sae => SAE_COLUMNS,
            Layout::Prae => PRAE_COLUMNS,
        }
    }

    fn value(&self, index: usize) -> &str {
        let mut layer = Some(self);
        while let Some(l) = layer {
            if let Some((_, v)) = l.vals.iter().rev().find(|(i, _)| usize::from(*i) == index) {
                return v;
            }
            layer = l.parent.as_deref();
        }
        ""
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
    /// break are quoted) into `buf`, with the field spans an SAE splitter would find, so it
    /// reads exactly as a line of an SAE file.
    pub fn encode(&self, buf: &mut RowBuf) {
        buf.line.clear();
        buf.spans.clear();
        self.encode_into(&mut buf.line, &mut buf.spans, &mut buf.slots);
    }

    /// Like [`encode`](Self::encode), but appends the line to `line` and its spans (relative
    /// to the line's start) to `spans`; `slots` is scratch reused from row to row.
    ///
    /// The spans are written as the line is, not found by splitting it again: the writer
    /// knows where each field ends and how it is quoted (a test holds the two the same).
    pub fn encode_into(&self, line: &mut Vec<u8>, spans: &mut Vec<FieldSpan>, slots: &mut Slots) {
        let n = self.columns();
        let mut layers = [self; MAX_LAYERS];
        let mut depth = 0;
        let mut layer = Some(self);
        while let Some(l) = layer {
            if depth == MAX_LAYERS {
                return self.encode_split(line, spans);
            }
            layers[depth] = l;
            depth += 1;
            layer = l.parent.as_deref();
        }
        // Which columns are set, and by which value: the root layer first, so a later
        // layer's (and a later) value of a column wins.
        slots.set = [0; 7];
        slots.at.resize(SAE_COLUMNS, (0, 0));
        for (li, l) in layers[..depth].iter().enumerate().rev() {
            for (k, (i, _)) in l.vals.iter().enumerate() {
                let i = usize::from(*i);
                if i < n {
                    slots.set[i / 64] |= 1 << (i % 64);
                    slots.at[i] = (li as u8, k as u32);
                }
            }
        }
        let start = line.len();
        let first_span = spans.len();
        let mut col = 0usize; // the next column to write
        for (w, mut bits) in slots.set.iter().copied().enumerate() {
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                // Columns col..i are empty: each ends where it starts, a delimiter after.
                empties(line, spans, start, i - col);
                let (li, k) = slots.at[i];
                let b = layers[usize::from(li)].vals[k as usize].1.as_bytes();
                let quoting = if b.iter().any(|c| matches!(c, b'|' | b'"' | b'\n' | b'\r')) {
                    line.push(b'"');
                    let mut escaped = false;
                    for &c in b {
                        match c {
                            b'"' => {
                                line.extend_from_slice(b"\"\"");
                                escaped = true;
                            }
                            b'\n' | b'\r' => line.push(b' '),
                            c => line.push(c),
                        }
                    }
                    line.push(b'"');
                    if escaped {
                        Quoting::QuotedEscaped
                    } else {
                        Quoting::Quoted
                    }
                } else {
                    line.extend_from_slice(b);
                    Quoting::Plain
                };
                spans.push(FieldSpan::new((line.len() - start) as u32, quoting));
                col = i + 1;
                if col < n {
                    line.push(b'|');
                }
            }
        }
        if col < n {
            // The empty columns to the end; the last one has no delimiter after it.
            empties(line, spans, start, n - 1 - col);
            spans.push(FieldSpan::new((line.len() - start) as u32, Quoting::Plain));
        }
        if line.len() - start > MAX_LINE_LIMIT {
            // Longer than a span can say: the splitter's way, which keeps what it can.
            line.truncate(start);
            spans.truncate(first_span);
            return self.encode_split(line, spans);
        }
        #[cfg(debug_assertions)]
        {
            // Every debug test run holds the written spans to the splitter's.
            let mut split = Vec::new();
            split_line(&line[start..], Dialect::PIPE, &mut split);
            debug_assert_eq!(&spans[first_span..], split.as_slice());
        }
    }

    /// The line written first and split after (a row of unusual depth or length).
    fn encode_split(&self, line: &mut Vec<u8>, spans: &mut Vec<FieldSpan>) {
        let n = self.columns();
        let mut cols: Vec<&str> = vec![""; n];
        let mut layer = Some(self);
        let mut chain = Vec::new();
        while let Some(l) = layer {
            chain.push(l);
            layer = l.parent.as_deref();
        }
        for l in chain.iter().rev() {
            for (i, v) in &l.vals {
                if let Some(c) = cols.get_mut(usize::from(*i)) {
                    *c = v;
                }
            }
        }
        let start = line.len();
        for (i, v) in cols.iter().enumerate() {
            if i > 0 {
                line.push(b'|');
            }
            if v.bytes().any(|c| matches!(c, b'|' | b'"' | b'\n' | b'\r')) {
                line.push(b'"');
                for c in v.bytes() {
                    match c {
                        b'"' => line.extend_from_slice(b"\"\""),
                        b'\n' | b'\r' => line.push(b' '),
                        c => line.push(c),
                    }
                }
                line.push(b'"');
            } else {
                line.extend_from_slice(v.as_bytes());
            }
        }
        let mut own = Vec::new();
        split_line(&line[start..], Dialect::PIPE, &mut own);
        spans.extend_from_slice(&own);
    }
}

/// Appends `k` empty fields and their delimiters.
#[inline]
fn empties(line: &mut Vec<u8>, spans: &mut Vec<FieldSpan>, start: usize, k: usize) {
    let at = (line.len() - start) as u32;
    spans.extend((0..k as u32).map(|j| FieldSpan::new(at + j, Quoting::Plain)));
    line.resize(line.len() + k, b'|');
}

/// Scratch for [`SaeLine::encode_into`], reused from row to row: which columns are set
/// (a bit each) and, for each set one, its layer and value.
#[derive(Debug, Default)]
pub struct Slots {
    set: [u64; 7],
    at: Vec<(u8, u32)>,
}

/// The bytes and field spans of an encoded row (reused from row to row).
#[derive(Debug, Default)]
pub struct RowBuf {
    line: Vec<u8>,
    spans: Vec<FieldSpan>,
    slots: Slots,
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

    /// The scratch [`SaeLine::encode_into`] needs.
    pub fn slots(&mut self) -> &mut Slots {
        &mut self.slots
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

/// A line's sequence number as text, borrowed for the first thousand (a report's lines
/// are numbered from 1: no allocation per line).
pub fn number(n: usize) -> Cow<'static, str> {
    static SMALL: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..1000).map(|n| n.to_string()).collect());
    match SMALL.get(n) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(n.to_string()),
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

    /// The spans written with the line are those the SAE splitter finds in it.
    fn same_as_split(buf: &RowBuf) {
        let (line, spans) = buf.parts();
        let mut split = Vec::new();
        split_line(line, Dialect::PIPE, &mut split);
        assert_eq!(spans, split.as_slice(), "{}", String::from_utf8_lossy(line));
    }

    #[test]
    fn spans_written_with_the_line_are_the_splitters() {
        let tricky = [
            "",
            "plain",
            "a|b",
            "say \"hi\"",
            "\"",
            "|",
            "two\nlines",
            "cr\r",
            "\"x\"|y",
            " ",
            "é ü",
        ];
        let mut buf = RowBuf::default();
        for (k, v) in tricky.iter().enumerate() {
            for col in [1u16, 2, 168, 398, 400] {
                let mut l = SaeLine::default();
                l.put(C::from_number(col).unwrap(), *v);
                let other = 2 + (k as u16 * 37) % 398;
                if other != col {
                    l.put(
                        C::from_number(other).unwrap(),
                        tricky[(k + 3) % tricky.len()],
                    );
                }
                l.encode(&mut buf);
                same_as_split(&buf);
                assert_eq!(
                    fields(&buf)[usize::from(col - 1)],
                    v.replace(['\n', '\r'], " ")
                );
                // The same values under frozen layers read the same.
                let mut child = l.clone().freeze().freeze();
                child.put(C::ReportID, "R9");
                child.encode(&mut buf);
                same_as_split(&buf);
                assert_eq!(fields(&buf)[C::ReportID.index()], "R9");
            }
        }
        // A PRAE row has its own width.
        let mut p = SaeLine::new(Layout::Prae);
        p.put(C::from_number(256).unwrap(), "last");
        p.put(C::from_number(300).unwrap(), "past the end");
        p.encode(&mut buf);
        same_as_split(&buf);
        assert_eq!(buf.parts().1.len(), PRAE_COLUMNS);
    }

    #[test]
    fn a_later_layer_wins_and_earlier_ones_are_shared() {
        let mut base = SaeLine::default();
        base.put(C::ReportID, "R1");
        base.put(C::EmployeeID, "E1");
        let base = base.freeze();
        let mut a = base.clone();
        a.put(C::ReportID, "R2");
        let a = a.freeze();
        let mut b = a.clone();
        b.put(C::JournalAmount, "10");
        assert_eq!(base.get(C::ReportID), "R1");
        assert_eq!(a.get(C::ReportID), "R2");
        assert_eq!(b.get(C::EmployeeID), "E1");
        assert_eq!(b.get(C::JournalAmount), "10");
        assert_eq!(a.get(C::JournalAmount), "");
        let mut buf = RowBuf::default();
        b.encode(&mut buf);
        same_as_split(&buf);
        let f = fields(&buf);
        assert_eq!(f[C::ReportID.index()], "R2");
        assert_eq!(f[C::EmployeeID.index()], "E1");
        // Deeper than the fast path goes: the same line, the slow way.
        let mut deep = b.clone();
        for n in 0..2 * MAX_LAYERS {
            deep.put(C::ReportName, format!("name {n}"));
            deep = deep.freeze();
        }
        deep.encode(&mut buf);
        same_as_split(&buf);
        let f = fields(&buf);
        assert_eq!(
            f[C::ReportName.index()],
            format!("name {}", 2 * MAX_LAYERS - 1)
        );
        assert_eq!(f[C::JournalAmount.index()], "10");
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

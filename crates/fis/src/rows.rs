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
#[derive(Debug)]
pub struct SaeLine<'a> {
    parent: Option<Rc<SaeLine<'a>>>,
    vals: Vec<(u16, Cow<'a, str>)>,
    layout: Layout,
}

impl Clone for SaeLine<'_> {
    /// A copy of the row's own values with room for a few dozen more (a clone is the start
    /// of a child row, which sets that many: growing from empty cost several reallocations
    /// a row), sharing its parent layers.
    fn clone(&self) -> Self {
        let mut vals = Vec::with_capacity(self.vals.len() + 32);
        vals.extend(self.vals.iter().cloned());
        SaeLine {
            parent: self.parent.clone(),
            vals,
            layout: self.layout,
        }
    }
}

impl Default for SaeLine<'_> {
    fn default() -> Self {
        SaeLine::new(Layout::Sae)
    }
}

/// The deepest layering a row has (report, entry, allocation, journal line, tax line)
/// with room to spare; a deeper one has its layers listed on the heap.
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
    pub fn encode_into(&self, line: &mut Vec<u8>, spans: &mut Vec<FieldSpan>, slots: &mut Slots) {
        let mut layers = Vec::with_capacity(MAX_LAYERS);
        let mut layer = Some(self);
        while let Some(l) = layer {
            layers.push(l);
            layer = l.parent.as_deref();
        }
        layers.reverse();
        encode_layers(self.columns(), &layers, line, spans, slots);
    }
}

/// The values of one layer of a row, as the encoder reads them.
trait Layer {
    /// Number of values.
    fn count(&self) -> usize;
    /// Column index and bytes of value `k`.
    fn value(&self, k: usize) -> (usize, &[u8]);
}

impl Layer for &SaeLine<'_> {
    fn count(&self) -> usize {
        self.vals.len()
    }

    fn value(&self, k: usize) -> (usize, &[u8]) {
        let (i, v) = &self.vals[k];
        (usize::from(*i), v.as_bytes())
    }
}

/// Writes the row of `layers` (root first; a later layer's, and a later, value of a column
/// wins) as a pipe-delimited line of `n` fields, appended to `line`, with the field spans
/// an SAE splitter would find in it appended to `spans` (values holding a delimiter, quote
/// or line break are quoted).
///
/// The spans are written as the line is, not found by splitting it again: the writer
/// knows where each field ends and how it is quoted (a test holds the two the same).
fn encode_layers<L: Layer>(
    n: usize,
    layers: &[L],
    line: &mut Vec<u8>,
    spans: &mut Vec<FieldSpan>,
    slots: &mut Slots,
) {
    // Which columns are set, and by which value: a bit each, and its layer and value.
    slots.set = [0; 7];
    slots.at.resize(SAE_COLUMNS, (0, 0));
    for (li, l) in layers.iter().enumerate() {
        for k in 0..l.count() {
            let i = l.value(k).0;
            if i < n {
                slots.set[i / 64] |= 1 << (i % 64);
                slots.at[i] = (li as u32, k as u32);
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
            let b = layers[li as usize].value(k as usize).1;
            let quoting = if needs_quotes(b) {
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
        spans.truncate(first_span);
        let mut own = Vec::new();
        split_line(&line[start..], Dialect::PIPE, &mut own);
        spans.extend_from_slice(&own);
        return;
    }
    #[cfg(debug_assertions)]
    {
        // Every debug test run holds the written spans to the splitter's.
        let mut split = Vec::new();
        split_line(&line[start..], Dialect::PIPE, &mut split);
        debug_assert_eq!(&spans[first_span..], split.as_slice());
    }
}

/// Rows kept as their layers of values, owned, to be encoded on another thread: the
/// reading stage maps documents and stores each row's layers here (a layer its rows share,
/// such as the report's values, once per document); the building stage encodes each row
/// with [`Layers::encode`]. Encoding was a quarter of the reading stage, the stage that
/// bounds a FIS conversion; the building stage had time to spare.
#[derive(Debug, Default)]
pub struct Layers {
    bytes: Vec<u8>,
    /// Column, start and end in `bytes` of each value.
    vals: Vec<(u16, u32, u32)>,
    /// The values (a range of `vals`) of each layer.
    layers: Vec<(u32, u32)>,
    /// Each row's layers, root first (ranges of it are the rows).
    chains: Vec<u32>,
    /// The shared layers of the current document already stored: address and index.
    stored: Vec<(usize, u32)>,
}

/// A row stored in [`Layers`]: its chain of layers and its layout.
#[derive(Debug, Clone, Copy)]
pub struct StoredRow {
    chain: (u32, u32),
    layout: Layout,
}

impl StoredRow {
    /// The row's layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }
}

impl Layers {
    /// Starts a document: layers shared with rows of earlier documents are not looked up.
    pub fn begin_document(&mut self) {
        self.stored.clear();
    }

    /// Empty, its buffers kept.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.vals.clear();
        self.layers.clear();
        self.chains.clear();
        self.stored.clear();
    }

    fn store(&mut self, l: &SaeLine<'_>) -> u32 {
        let v0 = self.vals.len() as u32;
        for (i, v) in &l.vals {
            let b0 = self.bytes.len() as u32;
            self.bytes.extend_from_slice(v.as_bytes());
            self.vals.push((*i, b0, self.bytes.len() as u32));
        }
        self.layers.push((v0, self.vals.len() as u32));
        (self.layers.len() - 1) as u32
    }

    /// Stores `line`: its own values, and each parent layer not stored for this document yet.
    pub fn push(&mut self, line: &SaeLine<'_>) -> StoredRow {
        let c0 = self.chains.len();
        let own = self.store(line);
        self.chains.push(own);
        let mut parent = line.parent.as_ref();
        while let Some(p) = parent {
            let key = Rc::as_ptr(p) as usize;
            let id = match self.stored.iter().find(|(k, _)| *k == key) {
                Some(&(_, id)) => id,
                None => {
                    let id = self.store(p);
                    self.stored.push((key, id));
                    id
                }
            };
            self.chains.push(id);
            parent = p.parent.as_ref();
        }
        self.chains[c0..].reverse();
        StoredRow {
            chain: (c0 as u32, self.chains.len() as u32),
            layout: line.layout,
        }
    }

    /// Encodes a stored row as [`SaeLine::encode_into`] does.
    pub fn encode(
        &self,
        row: StoredRow,
        line: &mut Vec<u8>,
        spans: &mut Vec<FieldSpan>,
        slots: &mut Slots,
    ) {
        let chain = &self.chains[row.chain.0 as usize..row.chain.1 as usize];
        let layer = |&id: &u32| {
            let (v0, v1) = self.layers[id as usize];
            StoredLayer {
                layers: self,
                vals: &self.vals[v0 as usize..v1 as usize],
            }
        };
        let n = match row.layout {
            Layout::Sae => SAE_COLUMNS,
            Layout::Prae => PRAE_COLUMNS,
        };
        if chain.len() <= MAX_LAYERS {
            // The usual depth: the layers on the stack, no allocation per row.
            let empty = StoredLayer {
                layers: self,
                vals: &[],
            };
            let mut on_stack = [empty; MAX_LAYERS];
            for (slot, id) in on_stack.iter_mut().zip(chain) {
                *slot = layer(id);
            }
            encode_layers(n, &on_stack[..chain.len()], line, spans, slots);
        } else {
            let layers: Vec<StoredLayer<'_>> = chain.iter().map(layer).collect();
            encode_layers(n, &layers, line, spans, slots);
        }
    }
}

#[derive(Clone, Copy)]
struct StoredLayer<'l> {
    layers: &'l Layers,
    vals: &'l [(u16, u32, u32)],
}

impl Layer for StoredLayer<'_> {
    fn count(&self) -> usize {
        self.vals.len()
    }

    fn value(&self, k: usize) -> (usize, &[u8]) {
        let (i, b0, b1) = self.vals[k];
        (usize::from(i), &self.layers.bytes[b0 as usize..b1 as usize])
    }
}

/// Whether a value holds a delimiter, quote or line break (and so is written quoted).
/// Eight bytes at a time (a SWAR test for each of the four bytes): every value of every
/// row is checked, and the byte-by-byte test was a quarter of the encoder's time.
#[inline]
fn needs_quotes(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    #[inline]
    fn has(x: u64, c: u8) -> u64 {
        let v = x ^ (LO * u64::from(c));
        v.wrapping_sub(LO) & !v & HI
    }
    let mut chunks = b.chunks_exact(8);
    for ch in &mut chunks {
        let x = u64::from_le_bytes(ch.try_into().expect("eight bytes"));
        if has(x, b'|') | has(x, b'"') | has(x, b'\n') | has(x, b'\r') != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|c| matches!(c, b'|' | b'"' | b'\n' | b'\r'))
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
    at: Vec<(u32, u32)>,
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
    fn needs_quotes_finds_each_special_byte_anywhere() {
        let naive = |b: &[u8]| b.iter().any(|c| matches!(c, b'|' | b'"' | b'\n' | b'\r'));
        for len in 0..40 {
            for at in 0..len.max(1) {
                for special in [b'|', b'"', b'\n', b'\r', b'a', 0x7c ^ 0x80, 0xff, 0] {
                    let mut v = vec![b'x'; len];
                    if len > 0 {
                        v[at] = special;
                    }
                    assert_eq!(needs_quotes(&v), naive(&v), "{v:?}");
                }
            }
        }
    }

    #[test]
    fn stored_rows_encode_as_their_lines_do() {
        let mut base = SaeLine::default();
        base.put(C::ReportID, "R1");
        base.put(C::ReportName, "a|b");
        let base = base.freeze();
        let mut rows = Vec::new();
        for e in 0..3 {
            let mut entry = base.clone();
            entry.put(C::ReportEntryId, format!("E{e}"));
            let entry = entry.freeze();
            for j in 0..2 {
                let mut jl = entry.clone();
                jl.put(C::JournalAmount, format!("{e}.{j}"));
                jl.put(C::ReportName, "renamed \"x\"");
                rows.push(jl);
            }
        }
        let mut p = SaeLine::new(Layout::Prae);
        p.put(C::from_number(200).unwrap(), "prae");
        rows.push(p.freeze());
        let mut stored = Layers::default();
        stored.begin_document();
        let ids: Vec<StoredRow> = rows.iter().map(|r| stored.push(r)).collect();
        // The report's layer is stored once, each entry's once.
        assert_eq!(stored.layers.len(), 1 + 3 + 6 + 2, "{:?}", stored.layers);
        let (mut buf, mut line, mut spans, mut slots) =
            (RowBuf::default(), Vec::new(), Vec::new(), Slots::default());
        for (r, id) in rows.iter().zip(ids) {
            r.encode(&mut buf);
            line.clear();
            spans.clear();
            stored.encode(id, &mut line, &mut spans, &mut slots);
            assert_eq!(buf.parts(), (line.as_slice(), spans.as_slice()));
            assert_eq!(id.layout(), r.layout());
        }
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

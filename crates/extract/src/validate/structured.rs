//! Validation of the structured extracts (SAE and PRAE): the header (first, once, five
//! fields, a readable total), each detail row (field count against the layout, required
//! values, typed values, DR/CR against the sign, batch id and date against the header,
//! duplicate sequence numbers), report-level consistency (the same report-level values on
//! every line of a report, reports kept together) and the end-of-file totals.

use super::line::line_checks;
use super::profile::{Profile, missing_totals};
use super::{FileReport, Out, RowPrep, hash_of, value_check};
use crate::sae::Header;
use crate::schema::{ColumnDef, ColumnType};
use crate::split::{LineFlags, Record};
use crate::value;
use crate::{Position, currency};
use ledgerline_findings::{Check, Family, Finding, Severity};
use rust_decimal::Decimal;

/// Validation state of an SAE or PRAE file.
pub(super) struct Structured {
    name: String,
    p: &'static Profile,
    pub(super) header: Option<Header>,
    header_line: Option<u64>,
    first_record: bool,
    details: u64,
    sum: Option<Decimal>,
    alt_sum: Option<Decimal>,
    layout_cols: usize,
    layout_decided: bool,
    first_bad_amount: Option<u64>,
    verdict: (bool, bool),
    /// For the current row, whether an earlier detail row had its report id (`None`: it
    /// has none).
    group_seen: Option<bool>,
    /// Per column, the last value found valid.
    last_ok: Vec<Vec<u8>>,
    seq: SeqSet,
    current: Option<CurrentGroup>,
    /// Each finished group's id (hashed) and a fingerprint of its values (32 bits: 12 bytes
    /// a report with the id; a group that comes back with other values goes unnoticed by
    /// the consistency check once in 4 billion, and its return is reported anyway).
    finished: ledgerline_seen::SeenMap<u32>,
}

struct CurrentGroup {
    /// The id as its first line has it.
    raw: Vec<u8>,
    /// Decoded and trimmed, as the journal builder reads it.
    id: Vec<u8>,
    first_line: u64,
    /// The report-level values of its first well-formed line (none yet: only rows of
    /// another shape so far).
    values: Option<Vec<Vec<u8>>>,
    /// Counted in the file's reports.
    counted: bool,
    /// The id was met in an earlier group of the file.
    returned: bool,
}

/// The fingerprint kept for a group none of whose lines was well-formed (its values are
/// not known; [`super::fingerprint`] never gives it).
const NO_VALUES: u32 = 0;

impl Structured {
    pub(super) fn new(name: &str, p: &'static Profile) -> Self {
        Structured {
            name: name.to_owned(),
            p,
            header: None,
            header_line: None,
            first_record: true,
            details: 0,
            sum: Some(Decimal::ZERO),
            alt_sum: p.alt_amount.map(|_| Decimal::ZERO),
            layout_cols: p.detail.len(),
            layout_decided: false,
            first_bad_amount: None,
            verdict: (false, false),
            group_seen: None,
            last_ok: vec![Vec::new(); p.detail.len()],
            seq: SeqSet::default(),
            current: None,
            finished: ledgerline_seen::SeenMap::new(),
        }
    }

    /// For the row last checked, whether an earlier detail row had its report (invoice)
    /// id; `None` for a row without one or that is no detail row.
    pub(super) fn group_seen(&self) -> Option<bool> {
        self.group_seen
    }

    /// What differs between SAE and PRAE for this file.
    pub(super) fn profile(&self) -> &'static Profile {
        self.p
    }

    fn find(&self, check: Check, pos: Position, msg: impl Into<String>) -> Finding {
        Finding::new(self.p.family, check, &self.name, msg).at(pos)
    }

    fn col_finding(
        &self,
        check: Check,
        pos: Position,
        col: usize,
        msg: impl Into<String>,
    ) -> Finding {
        let def = &self.p.detail[col];
        self.find(check, pos, msg)
            .column(def.number as u32, def.name)
    }

    /// Checks a record; returns (is a detail row, has the expected shape).
    pub(super) fn record(
        &mut self,
        rec: Record<'_>,
        report: &mut FileReport,
        prep: Option<&mut RowPrep>,
    ) -> (bool, bool) {
        self.verdict = (false, false);
        self.group_seen = None;
        self.record_inner(rec, report, prep);
        self.verdict
    }

    fn record_inner(
        &mut self,
        rec: Record<'_>,
        report: &mut FileReport,
        prep: Option<&mut RowPrep>,
    ) {
        let pos = rec.position();
        let first = std::mem::replace(&mut self.first_record, false);
        if rec.is_blank() {
            line_checks(&self.name, &rec, None, &mut report.findings);
            report.findings.push(
                Finding::new(
                    Family::Spl,
                    Check::BlankLine,
                    &self.name,
                    "blank line; it is skipped",
                )
                .at(pos),
            );
            return;
        }
        let tag = rec.field(0).map(|f| f.bytes()).unwrap_or_default();
        match tag.as_ref() {
            b"EXTRACT" => {
                line_checks(&self.name, &rec, None, &mut report.findings);
                if let Some(l) = self.header_line {
                    report.findings.push(self.find(
                        Check::HeaderRepeated,
                        pos,
                        format!("a second EXTRACT header (the first is on line {l}); two files may have been concatenated"),
                    ));
                    return;
                }
                if !first {
                    report.findings.push(self.find(
                        Check::HeaderMissing,
                        pos,
                        "the EXTRACT header is not the first line of the file",
                    ));
                }
                self.header_line = Some(pos.line);
                if rec.len() != 5 {
                    report.findings.push(self.find(
                        Check::HeaderFieldCount,
                        pos,
                        format!(
                            "the EXTRACT header has {} fields; it must have 5",
                            rec.len()
                        ),
                    ));
                }
                let total = self.p.header_total;
                if let Some(f) = rec.field(total)
                    && value::parse_amount(&f.bytes()).is_err()
                    && let Ok((d, true)) = value::parse_amount_lenient(&f.bytes())
                {
                    report.findings.push(
                        self.find(
                            Check::BadNumber,
                            pos,
                            format!(
                                "EXTRACT header: `{}` carries a currency sign around the number; read as {d}",
                                f.text()
                            ),
                        )
                        .column(total as u32 + 1, "Journal Amount Total")
                        .severity(Severity::Warning),
                    );
                }
                match (self.p.parse_header)(rec) {
                    // A header missing fields cannot be trusted for the checks that use it.
                    Ok(_) if rec.len() < 5 => {}
                    Ok(h) => self.header = Some(h),
                    Err(e) => report.findings.push(
                        self.find(
                            value_check(&e.error),
                            pos,
                            format!("EXTRACT header: {}", e.error),
                        )
                        .column(e.column as u32, e.name),
                    ),
                }
            }
            b"DETAIL" => {
                if first {
                    report.findings.push(self.find(
                        Check::HeaderMissing,
                        pos,
                        "the file does not start with an EXTRACT header line; record count and total cannot be checked",
                    ));
                }
                let shape = self.detail(rec, report, prep);
                self.group(&rec, report, shape);
                self.verdict = (true, shape);
            }
            _ => {
                line_checks(&self.name, &rec, None, &mut report.findings);
                report.findings.push(self.find(
                    Check::UnknownRecord,
                    pos,
                    format!(
                        "the line starts with `{}`; every line must start with EXTRACT or DETAIL",
                        crate::text::decode(&tag[..tag.len().min(40)])
                    ),
                ));
            }
        }
    }

    fn detail(
        &mut self,
        rec: Record<'_>,
        report: &mut FileReport,
        mut prep: Option<&mut RowPrep>,
    ) -> bool {
        let p = self.p;
        let pos = rec.position();
        self.details += 1;
        report.rows += 1;
        match prep.as_deref_mut() {
            Some(prep) => prep.line.drain(..).for_each(|f| report.findings.push(f)),
            None => line_checks(&self.name, &rec, Some(p.detail), &mut report.findings),
        }
        let n = rec.len();
        let reported = !self.layout_decided && self.decide_layout(&rec, report);
        let shape_ok = n == self.layout_cols;
        if !shape_ok && !reported {
            self.wrong_field_count(&rec, report);
        }
        // The amount counts toward the header total whatever the row's shape.
        let amount = self.add_to_totals(&rec);
        if !shape_ok {
            return false;
        }
        self.required_values(&rec, report);
        match prep {
            Some(prep) => prep.values.drain(..).for_each(|f| report.findings.push(f)),
            None => check_fields(&self.name, p, &rec, &mut self.last_ok, &mut report.findings),
        }
        if p.sign_check
            && let (Some(Ok(a)), Some(dc)) = (&amount, rec.field(p.dr_cr))
        {
            let dc = dc.bytes();
            let bad = (dc.as_ref() == b"DR" && a.is_sign_negative() && !a.is_zero())
                || (dc.as_ref() == b"CR" && a.is_sign_positive() && !a.is_zero());
            if bad {
                report.findings.push(self.col_finding(
                    Check::SignMismatch,
                    pos,
                    p.dr_cr,
                    format!(
                        "the line is marked {} but the journal amount is {}; a debit must be positive and a credit negative",
                        String::from_utf8_lossy(&dc),
                        a
                    ),
                ));
            }
        }
        self.against_header_and_earlier_rows(&rec, report);
        true
    }

    /// The first detail row decides the file's layout: the current one, an older one (with a
    /// warning, and another when it lacks the report totals), or a row cut by the end of the
    /// file (an error). Says whether the row's field count was reported already.
    fn decide_layout(&mut self, rec: &Record<'_>, report: &mut FileReport) -> bool {
        let p = self.p;
        let pos = rec.position();
        let n = rec.len();
        let full = p.detail.len();
        let mut reported = false;
        {
            self.layout_decided = true;
            let known = p.known_layouts.contains(&n);
            let cut = rec.flags().contains(LineFlags::UNTERMINATED_LINE);
            if n < full && n >= p.min_columns && cut && !known {
                // The only evidence of a layout is a last line without terminator whose
                // field count no Concur layout has: the download was cut inside it.
                let layouts = p
                    .known_layouts
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                report.findings.push(self.find(
                    Check::FieldCount,
                    pos,
                    format!(
                        "the row has {n} fields and the file ends inside it, without a line terminator: the file is truncated ({n} is not a known layout: {full}{}{layouts}); the row is not posted and nothing is reconciled. Download the extract again",
                        if layouts.is_empty() { "" } else { ", or the older " }
                    ),
                ));
                reported = true;
            } else if n < full && n >= p.min_columns {
                self.layout_cols = n;
                let note = if known {
                    String::new()
                } else {
                    format!(
                        " ({n} fields is not a layout Concur is known to have written; check that the file is complete)"
                    )
                };
                report.findings.push(self.find(
                    Check::OlderLayout,
                    pos,
                    format!("detail rows have {n} fields instead of {full}: an older layout; columns after {n} are read as empty{note}"),
                ));
                if let Some(need) = p.reconcile_columns
                    && n < need
                {
                    let missing = missing_totals(n);
                    report.findings.push(self.find(
                        Check::NotReconciled,
                        pos,
                        format!(
                            "detail rows have {n} fields, so Concur's report totals {missing} are absent: the journals from this file cannot be reconciled with them. Check the journals against the expense reports before posting"
                        ),
                    ));
                }
            }
        }
        reported
    }

    /// A row whose field count is not the layout's, with the likely cause.
    fn wrong_field_count(&self, rec: &Record<'_>, report: &mut FileReport) {
        let p = self.p;
        let pos = rec.position();
        let n = rec.len();
        {
            let why = if n > self.layout_cols {
                "more fields than the layout has: a value containing the delimiter is probably not quoted"
            } else {
                "fewer fields than the layout has: the line is cut short"
            };
            let unreconciled = match p.reconcile_columns {
                Some(need) if n < need => format!(
                    "; it lacks Concur's report totals {}, so its report is not posted and cannot be reconciled",
                    missing_totals(n)
                ),
                _ => String::new(),
            };
            report.findings.push(self.find(
                Check::FieldCount,
                pos,
                format!(
                    "the row has {n} fields, expected {}; {why}{unreconciled}",
                    self.layout_cols
                ),
            ));
        }
    }

    /// Adds the row's amount to the sums the header's total is checked against (the amount
    /// column, and the alternative one where the layout has it), and returns it.
    fn add_to_totals(
        &mut self,
        rec: &Record<'_>,
    ) -> Option<Result<Decimal, crate::value::ValueError>> {
        let p = self.p;
        let pos = rec.position();
        let amount_field = rec.field(p.amount);
        let amount = amount_field.map(|f| value::parse_amount_lenient(&f.bytes()).map(|(d, _)| d));
        if self.first_bad_amount.is_none() && !matches!(amount, Some(Ok(_))) {
            self.first_bad_amount = Some(pos.line);
        }
        self.sum = match (&amount, self.sum) {
            (Some(Ok(a)), Some(s)) => s.checked_add(*a),
            _ => None,
        };
        if let (Some(i), Some(s)) = (p.alt_amount, self.alt_sum) {
            let alt = rec
                .field(i)
                .map(|f| value::parse_amount_lenient(&f.bytes()).map(|(d, _)| d));
            let signed = match (alt, rec.field(p.dr_cr).map(|f| f.bytes())) {
                (Some(Ok(a)), Some(dc)) if dc.as_ref() == b"CR" => Some(-a.abs()),
                (Some(Ok(a)), _) => Some(a),
                _ => None,
            };
            self.alt_sum = signed.and_then(|a| s.checked_add(a));
        }
        amount
    }

    /// The values every detail row must have: the schema's required columns, the amounts a
    /// journal reads, and (PRAE) a posting date from the header.
    fn required_values(&self, rec: &Record<'_>, report: &mut FileReport) {
        let p = self.p;
        let pos = rec.position();
        for &i in p.required {
            if rec.field(i).is_none_or(|f| f.is_empty()) {
                let def = &p.detail[i];
                report.findings.push(self.col_finding(
                    Check::RequiredEmpty,
                    pos,
                    i,
                    format!("{} is required on every detail row", def.name),
                ));
            }
        }
        // The amount columns a journal reads must be filled, required by the schema or not.
        for i in std::iter::once(p.amount).chain(p.alt_amount) {
            if !p.required.contains(&i) && rec.field(i).is_none_or(|f| f.is_empty()) {
                let def = &p.detail[i];
                report.findings.push(self.col_finding(
                    Check::RequiredEmpty,
                    pos,
                    i,
                    format!(
                        "{} is empty; a line without an amount cannot be posted as zero: fill it in (0 for a line that posts nothing)",
                        def.name
                    ),
                ));
            }
        }
        if p.batch_date.is_none() && self.header.is_none() {
            // A PRAE line takes its posting date from the header: without one it has none.
            let col = crate::schema::PraeHeaderCol::BatchDate;
            report.findings.push(
                self.find(
                    Check::RequiredEmpty,
                    pos,
                    "the line has no posting date: a PRAE line is dated by the batch date of the EXTRACT header, which is missing or unreadable; fix the header (line 1) and convert again",
                )
                .column(col.number() as u32, format!("{} (EXTRACT header)", col.name())),
            );
        }
    }

    /// The row against the header (batch id and date) and against the rows before it (a
    /// sequence number used twice).
    fn against_header_and_earlier_rows(&mut self, rec: &Record<'_>, report: &mut FileReport) {
        let p = self.p;
        let pos = rec.position();
        if let Some(h) = &self.header {
            if let Some(i) = p.batch_id {
                let v = rec.field(i).map(|f| f.text()).unwrap_or_default();
                if v.as_ref() != h.batch_id.as_str() {
                    report.findings.push(self.col_finding(
                        Check::BatchIdMismatch,
                        pos,
                        i,
                        format!("batch id `{v}` differs from the header's `{}`", h.batch_id),
                    ));
                }
            }
            if let Some(i) = p.batch_date {
                let v = rec.field(i).map(|f| f.bytes()).unwrap_or_default();
                if value::parse_date(&v).ok() != Some(h.batch_date) {
                    report.findings.push(self.col_finding(
                        Check::BatchDateMismatch,
                        pos,
                        i,
                        format!(
                            "batch date `{}` differs from the header's {}",
                            String::from_utf8_lossy(&v),
                            h.batch_date
                        ),
                    ));
                }
            }
        }
        if let Some(i) = p.sequence
            && let Some(Ok(seq)) = rec.field(i).map(|f| value::parse_integer(&f.bytes()))
            && !self.seq.insert(seq)
        {
            report.findings.push(self.col_finding(
                Check::DuplicateSequence,
                pos,
                i,
                format!("sequence number {seq} appears on an earlier line too"),
            ));
        }
    }

    /// A further line of the current report (invoice): its values must match.
    fn same_group(&mut self, rec: &Record<'_>, report: &mut FileReport, well_formed: bool) {
        self.group_seen = Some(true);
        if !well_formed {
            return;
        }
        let p = self.p;
        let value = |i: usize| rec.field(i).map(|f| f.bytes()).unwrap_or_default();
        let Some(cur) = &self.current else { return };
        let Some(values) = &cur.values else {
            // The report's first well-formed line: its values are the ones to match.
            let counted = !cur.counted && !cur.returned;
            if counted {
                report.reports += 1;
            }
            let values = p
                .consistency
                .iter()
                .map(|&i| value(i).into_owned())
                .collect();
            if let Some(cur) = self.current.as_mut() {
                cur.values = Some(values);
                cur.counted |= counted;
            }
            return;
        };
        for (k, &i) in p.consistency.iter().enumerate() {
            let v = value(i);
            if values[k] != v.as_ref() {
                let name = p.detail[i].name;
                report.findings.push(self.col_finding(
                    Check::ReportInconsistent,
                    rec.position(),
                    i,
                    format!(
                        "{name} is `{}` here but `{}` on line {} of the same {} ({})",
                        crate::text::decode(&v),
                        crate::text::decode(&values[k]),
                        cur.first_line,
                        p.group_word,
                        crate::text::decode(&cur.id)
                    ),
                ));
            }
        }
    }

    /// Groups the rows into reports (invoices): every detail row takes part whatever its
    /// shape, and a row of another report ends the current one. Ids are read as the
    /// journal builder reads them (decoded, trimmed), so that the two agree on where a
    /// report starts and ends, and the row's verdict says whether an earlier row had its
    /// id (`group_seen`: the builder takes it instead of remembering every report itself).
    /// Values are compared on well-formed rows only.
    fn group(&mut self, rec: &Record<'_>, report: &mut FileReport, well_formed: bool) {
        let p = self.p;
        let pos = rec.position();
        let field = rec.field(p.group);
        let raw = field.map(|f| f.bytes()).unwrap_or_default();
        // The usual line repeats the last one's id byte for byte: no need to decode it.
        if self.current.as_ref().is_some_and(|c| c.raw == raw.as_ref()) {
            return self.same_group(rec, report, well_formed);
        }
        let text = field.map(|f| f.text()).unwrap_or_default();
        let id = text.trim().as_bytes();
        if id.is_empty() {
            return; // cash-advance issuance rows belong to no report
        }
        if self.current.as_ref().is_some_and(|c| c.id == id) {
            return self.same_group(rec, report, well_formed); // spelt otherwise
        }
        let value = |i: usize| rec.field(i).map(|f| f.bytes()).unwrap_or_default();
        let values: Option<Vec<std::borrow::Cow<'_, [u8]>>> =
            well_formed.then(|| p.consistency.iter().map(|&i| value(i)).collect());
        if let Some(done) = self.current.take() {
            let print = match &done.values {
                Some(v) => super::fingerprint(&v.iter().map(|v| v.as_slice()).collect::<Vec<_>>()),
                None => NO_VALUES,
            };
            self.finished.insert(hash_of(&[&done.id]), print);
        }
        let earlier = self.finished.get(hash_of(&[id]));
        self.group_seen = Some(earlier.is_some());
        if let Some(print) = earlier {
            report.findings.push(self.col_finding(
                Check::ReportNotContiguous,
                pos,
                p.group,
                format!(
                    "{} {} continues here after lines of other {}s; its lines are normally together",
                    p.group_word,
                    crate::text::decode(id),
                    p.group_word
                ),
            ));
            let differs = values.as_ref().is_some_and(|v| {
                print != NO_VALUES
                    && print
                        != super::fingerprint(&v.iter().map(|v| v.as_ref()).collect::<Vec<_>>())
            });
            if differs {
                report.findings.push(self.col_finding(
                    Check::ReportInconsistent,
                    pos,
                    p.group,
                    format!(
                        "{}-level values ({}) differ from the earlier lines of {} {}",
                        p.group_word,
                        p.consistency
                            .iter()
                            .map(|&i| p.detail[i].name)
                            .collect::<Vec<_>>()
                            .join(", "),
                        p.group_word,
                        crate::text::decode(id)
                    ),
                ));
            }
        } else if values.is_some() {
            report.reports += 1;
        }
        self.current = Some(CurrentGroup {
            raw: raw.into_owned(),
            id: id.to_vec(),
            first_line: pos.line,
            counted: earlier.is_none() && values.is_some(),
            returned: earlier.is_some(),
            values: values.map(|v| v.into_iter().map(|v| v.into_owned()).collect()),
        });
    }

    pub(super) fn finish(&mut self, report: &mut FileReport) {
        let Some(h) = &self.header else { return };
        let at = Position {
            line: self.header_line.unwrap_or(1),
            byte: 0,
        };
        if h.record_count != self.details {
            report.findings.push(
                self.find(
                    Check::RecordCount,
                    at,
                    format!(
                        "the header announces {} detail rows but the file has {}",
                        h.record_count, self.details
                    ),
                )
                .column(3, "Record Count"),
            );
        }
        if self.details == 0 && h.record_count == 0 {
            report.findings.push(self.find(
                Check::NoDetails,
                at,
                "the extract has no detail rows (no reports were ready for extraction)",
            ));
        }
        let matches = |s: Option<Decimal>| s == Some(h.journal_total);
        if !matches(self.sum) && !matches(self.alt_sum) {
            let msg = match self.sum {
                Some(s) => format!(
                    "the header's journal amount total is {} but the journal amounts add up to {} (difference {})",
                    h.journal_total,
                    s,
                    s - h.journal_total
                ),
                None => format!(
                    "the header's journal amount total cannot be checked: the journal amount on line {} is not a number",
                    self.first_bad_amount
                        .map_or_else(|| "?".into(), |l| l.to_string())
                ),
            };
            report.findings.push(
                self.find(Check::JournalTotal, at, msg)
                    .column(self.p.header_total as u32 + 1, "Journal Amount Total"),
            );
        }
    }
}

/// A set of sequence numbers: a bitmap for the usual small dense numbers, a hash set beyond.
#[derive(Default)]
struct SeqSet {
    bits: Vec<u64>,
    sparse: std::collections::HashSet<u64>,
}

impl SeqSet {
    const DENSE_LIMIT: u64 = 1 << 27;

    /// Inserts `n`; false when it was already present.
    fn insert(&mut self, n: u64) -> bool {
        if n < Self::DENSE_LIMIT {
            let (w, b) = ((n / 64) as usize, n % 64);
            if self.bits.len() <= w {
                self.bits.resize((w + 1).next_power_of_two(), 0);
            }
            let was = self.bits[w] & (1 << b) != 0;
            self.bits[w] |= 1 << b;
            !was
        } else {
            self.sparse.insert(n)
        }
    }
}

/// The checks of one value of column `i` (the same for every row).
fn check_value<O: Out>(
    name: &str,
    p: &Profile,
    def: &ColumnDef,
    i: usize,
    v: &[u8],
    pos: Position,
    report: &mut O,
) {
    let col_finding = |check: Check, msg: String| col_finding(name, p, check, pos, i, msg);
    let push = |report: &mut O, check: Check, msg: String| {
        report.push(col_finding(check, msg));
    };
    match def.ty {
            ColumnType::Money if value::is_plain_amount(v) => {}
            ColumnType::Money => match value::parse_amount_lenient(v) {
                Ok((_, false)) => {}
                Ok((d, true)) => report.push(
                    col_finding(
                        Check::BadNumber,
                        format!(
                            "{}: `{}` carries a currency sign around the number; read as {d} (only signs before or after the number are ignored)",
                            def.name,
                            crate::text::decode(v)
                        ),
                    )
                    .severity(Severity::Warning),
                ),
                Err(e) => push(report, value_check(&e), format!("{}: {e}", def.name)),
            },
            ColumnType::Date => {
                if let Err(e) = value::parse_date(v) {
                    push(report, Check::BadDate, format!("{}: {e}", def.name));
                }
            }
            ColumnType::Integer => {
                if let Err(e) = value::parse_integer(v) {
                    push(report, Check::BadNumber, format!("{}: {e}", def.name));
                }
            }
            ColumnType::Flag => {
                if let Err(e) = value::parse_flag(v) {
                    push(report, Check::BadFlag, format!("{}: {e}", def.name));
                }
            }
            ColumnType::DebitCredit => {
                if let Err(e) = value::parse_dr_cr(v) {
                    push(report, Check::BadDebitCredit, format!("{}: {e}", def.name));
                }
            }
            ColumnType::Currency => {
                if !currency::is_iso_code(v) {
                    push(
                        report,
                        Check::BadCurrency,
                        format!("{}: `{}` is not an ISO 4217 currency code", def.name, crate::text::decode(v)),
                    );
                }
            }
            ColumnType::Country => {
                if !(v.len() == 2 && v.iter().all(u8::is_ascii_uppercase)) {
                    push(
                        report,
                        Check::BadCountry,
                        format!("{}: `{}` is not a two-letter country code", def.name, crate::text::decode(v)),
                    );
                }
            }
            ColumnType::Reserved => push(
                report,
                Check::ReservedNotEmpty,
                format!("column {} is reserved for future use but holds a value", def.number),
            ),
            ColumnType::Constant | ColumnType::Custom | ColumnType::Text => {}
        }
    if let Some(max) = def.max_len
        && v.len() > max as usize
    {
        let chars = crate::text::decode(v).chars().count();
        if chars > max as usize {
            push(
                report,
                Check::TooLong,
                format!(
                    "{} holds {chars} characters; the specification allows {max} and an ERP may truncate it",
                    def.name
                ),
            );
        }
    }
}

/// A finding about column `col` of a detail row.
fn col_finding(
    name: &str,
    p: &Profile,
    check: Check,
    pos: Position,
    col: usize,
    msg: impl Into<String>,
) -> Finding {
    let def = &p.detail[col];
    Finding::new(p.family, check, name, msg)
        .at(pos)
        .column(def.number as u32, def.name)
}

/// The value checks of a detail row's non-empty fields, in column order. `last_ok` holds,
/// per column, the last value found valid: report-level values repeat on every line of a
/// report, and a value already found valid in its column needs no second look (the checks
/// depend on the value and column only, so the cache changes no finding).
pub(super) fn check_fields(
    name: &str,
    p: &Profile,
    rec: &Record<'_>,
    last_ok: &mut [Vec<u8>],
    out: &mut impl Out,
) {
    let pos = rec.position();
    // Most of a row's fields are empty: only the others are looked at.
    for (i, f) in rec.non_empty_fields() {
        let Some(def) = p.detail.get(i) else { break };
        if matches!(def.ty, ColumnType::Text | ColumnType::Custom)
            && def.max_len.is_none_or(|m| f.raw().len() <= m as usize)
        {
            continue; // free text within its length: nothing to check
        }
        if last_ok.get(i).is_some_and(|v| v.as_slice() == f.raw()) {
            continue;
        }
        let before = out.count();
        check_value(name, p, def, i, &f.bytes(), pos, out);
        if out.count() == before
            && let Some(slot) = last_ok.get_mut(i)
        {
            slot.clear();
            slot.extend_from_slice(f.raw());
        }
    }
}

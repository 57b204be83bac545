//! File-level validation: one streaming pass, bounded memory, every finding collected.
//!
//! [`validate_reader`] checks structure (header first and once, record count, journal total,
//! batch id and date on every row, field counts), values (dates, decimals, flags, DR/CR
//! against the sign, currency codes, lengths) and consistency (report-level values equal on
//! every line of a report, duplicate sequence numbers, reports split across the file).
//!
//! Memory is bounded by the longest line plus a few bytes per report (a hash of its id and
//! of its report-level values) and one bit per sequence number.

use crate::batch::{BatchField, BatchLayout, BatchRow};
use crate::finding::{Check, Family, Finding, Findings};
use crate::reader::{ExtractKind, ExtractReader, ReadError, ReaderOptions};
use crate::sae::{ColumnError, Header};
use crate::schema::{ColumnDef, ColumnType, PRAE_DETAIL, PraeCol, SAE_DETAIL, SaeCol};
use crate::source::ZipLimitError;
use crate::split::{LineFlags, Record};
use crate::value::{self, ValueError};
use crate::{Position, currency};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Read;

/// Options for validation.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Findings kept per file (all are counted).
    pub max_findings: usize,
    /// Reader options (payment-batch mapping).
    pub reader: ReaderOptions,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            max_findings: 1000,
            reader: ReaderOptions::default(),
        }
    }
}

/// The outcome of validating one input.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// Display name.
    pub file: String,
    /// What the input was detected as (`None` when it could not be read).
    pub kind: Option<&'static str>,
    /// Detail rows read.
    pub rows: u64,
    /// Distinct reports (SAE), invoices (PRAE) or claims (payment batch).
    pub reports: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Findings.
    pub findings: Findings,
}

/// What validation made of one record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowVerdict {
    /// The record is a detail row (a posting line).
    pub detail: bool,
    /// The row has the field count its layout expects (its columns can be trusted).
    pub well_formed: bool,
    /// The first error-level finding about this row itself, if any.
    pub error: Option<String>,
}

enum Inner {
    Sae(Structured),
    Prae(Structured),
    Batch(BatchValidator),
    Attendee {
        /// Whether a posting row was reported already.
        posting_seen: bool,
    },
    Empty,
}

/// Validates one input record by record, so a converter can validate and convert in the
/// same pass. [`validate_reader`] is the whole-file convenience.
pub struct FileValidator {
    inner: Inner,
    report: FileReport,
}

impl FileValidator {
    /// A validator for an input of `kind`.
    pub fn new(name: &str, kind: &ExtractKind, max_findings: usize) -> Self {
        let mut report = FileReport {
            file: name.to_owned(),
            kind: Some(kind.label()),
            rows: 0,
            reports: 0,
            bytes: 0,
            findings: Findings::with_limit(max_findings),
        };
        let inner = match kind {
            ExtractKind::Empty => {
                report.findings.push(Finding::new(
                    Family::Io,
                    Check::EmptyFile,
                    name,
                    "the file is empty: a Concur extract always has at least its EXTRACT header line",
                ));
                Inner::Empty
            }
            ExtractKind::Sae { .. } => Inner::Sae(Structured::new(name, &SAE_PROFILE)),
            ExtractKind::Prae => Inner::Prae(Structured::new(name, &PRAE_PROFILE)),
            ExtractKind::Attendee => {
                report.findings.push(Finding::new(
                    Family::Attendee,
                    Check::AttendeeExtract,
                    name,
                    "this is a Standard Attendee Detail extract; it lists attendees and carries no postings, so nothing in it is converted",
                ));
                Inner::Attendee {
                    posting_seen: false,
                }
            }
            ExtractKind::PaymentBatch(layout) => Inner::Batch(BatchValidator::new(name, layout)),
        };
        FileValidator { inner, report }
    }

    /// Checks one record.
    pub fn record(&mut self, rec: &Record<'_>) -> RowVerdict {
        let before = self.report.findings.errors();
        let report = &mut self.report;
        let (detail, well_formed) = match &mut self.inner {
            Inner::Sae(v) | Inner::Prae(v) => v.record(*rec, report),
            Inner::Batch(v) => v.record(*rec, report),
            Inner::Attendee { posting_seen } => {
                line_checks(&report.file.clone(), rec, None, report);
                let d = rec.field(0).is_some_and(|f| f.raw() == b"DETAIL");
                if d {
                    report.rows += 1;
                    let evidence = (!*posting_seen)
                        .then(|| crate::detect::posting_evidence(rec))
                        .flatten();
                    if let Some(why) = evidence {
                        *posting_seen = true;
                        let mut f = Finding::new(
                            Family::Attendee,
                            Check::AttendeeHasPostings,
                            &report.file,
                            format!(
                                "this row {why}: the file is an SAE whose first rows are damaged, not an attendee extract, and none of its rows is converted; repair or download the file again and check its first detail rows"
                            ),
                        )
                        .at(rec.position());
                        if matches!(why, crate::detect::PostingEvidence::DebitCredit(_)) {
                            let col = &SAE_DETAIL[SaeCol::JournalDebitOrCredit.index()];
                            f = f.column(col.number as u32, col.name);
                        }
                        report.findings.push(f);
                    }
                }
                (d, false)
            }
            Inner::Empty => (false, false),
        };
        let error = (self.report.findings.errors() > before)
            .then(|| self.report.findings.last_row_error().map(str::to_owned))
            .flatten();
        RowVerdict {
            detail,
            well_formed,
            error,
        }
    }

    /// The findings so far.
    pub fn findings(&mut self) -> &mut Findings {
        &mut self.report.findings
    }

    /// The header of an SAE or PRAE file, once read.
    pub fn header(&self) -> Option<&Header> {
        match &self.inner {
            Inner::Sae(v) | Inner::Prae(v) => v.header.as_ref(),
            _ => None,
        }
    }

    /// Records a read error (I/O, zip limit) met at `byte`.
    pub fn read_error(&mut self, e: &ReadError, byte: u64) {
        let f = read_error_finding(&self.report.file, e, Some(Position { line: 0, byte }));
        self.report.findings.push(f);
    }

    /// End-of-file checks (record count, journal total); returns the report.
    pub fn finish(mut self, bytes: u64) -> FileReport {
        match &mut self.inner {
            Inner::Sae(v) | Inner::Prae(v) => v.finish(&mut self.report),
            Inner::Batch(_) | Inner::Attendee { .. } | Inner::Empty => {}
        }
        self.report.bytes = bytes;
        self.report
    }
}

/// Validates one input stream.
pub fn validate_reader<R: Read>(
    name: &str,
    input: R,
    opts: &ValidateOptions,
    progress: &mut dyn FnMut(u64),
) -> FileReport {
    let mut reader = match ExtractReader::with_options(name, input, &opts.reader) {
        Ok(r) => r,
        Err(e) => {
            let mut findings = Findings::with_limit(opts.max_findings);
            findings.push(read_error_finding(name, &e, None));
            return FileReport {
                file: name.to_owned(),
                kind: None,
                rows: 0,
                reports: 0,
                bytes: 0,
                findings,
            };
        }
    };
    let mut v = FileValidator::new(name, reader.kind(), opts.max_findings);
    let mut n = 0u64;
    loop {
        let at = reader.offset();
        match reader.next_record() {
            Ok(Some(rec)) => {
                v.record(&rec);
            }
            Ok(None) => break,
            Err(e) => {
                v.read_error(&e, at);
                break;
            }
        }
        n += 1;
        if n.is_multiple_of(4096) {
            progress(reader.offset());
        }
    }
    progress(reader.offset());
    v.finish(reader.offset())
}

/// The finding for an input that could not be read (I/O, zip limits, unknown kind).
pub fn read_error_finding(name: &str, e: &ReadError, at: Option<Position>) -> Finding {
    let f = match e {
        ReadError::Io(io) => match ZipLimitError::from_io(io) {
            Some(ZipLimitError::Ratio { .. }) => {
                Finding::new(Family::Zip, Check::ArchiveRatio, name, io.to_string())
            }
            Some(_) => Finding::new(Family::Zip, Check::ArchiveTooLarge, name, io.to_string()),
            None => Finding::new(
                Family::Io,
                Check::Unreadable,
                name,
                format!("could not read the input: {io}"),
            ),
        },
        ReadError::Split(s) => Finding::new(Family::Io, Check::LineTooLong, name, s.to_string()),
        ReadError::UnknownKind(why) => Finding::new(
            Family::Io,
            Check::UnknownKind,
            name,
            format!("not a recognised Concur extract: {why}"),
        ),
        ReadError::LedgerlineOutput { .. } => {
            Finding::new(Family::Io, Check::LedgerlineOutput, name, e.to_string())
        }
        ReadError::Mapping(m) => Finding::new(
            Family::Batch,
            match m {
                crate::batch::MappingError::NoHeader => Check::BatchNoHeader,
                _ => Check::BatchColumnMissing,
            },
            name,
            m.to_string(),
        )
        .at(Position { line: 1, byte: 0 }),
    };
    match at {
        Some(p) if p.byte > 0 => Finding {
            byte: Some(p.byte),
            ..f
        },
        _ => f,
    }
}

/// Whether `raw` holds a byte below 0x20 or 0x7F, scanned in blocks the compiler vectorises.
fn has_control(raw: &[u8]) -> bool {
    let mut chunks = raw.chunks_exact(32);
    for c in &mut chunks {
        if c.iter()
            .fold(false, |acc, &b| acc | (b < 0x20) | (b == 0x7F))
        {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == 0x7F)
}

/// Encoding, control-character and quoting checks common to every line.
fn line_checks(
    name: &str,
    rec: &Record<'_>,
    columns: Option<&[ColumnDef]>,
    report: &mut FileReport,
) {
    let raw = rec.raw();
    let pos = rec.position();
    let col_of = |byte: usize| -> Option<(u32, String)> {
        let i = rec
            .fields()
            .position(|f| (f.offset_in_line() as usize + f.raw().len()) >= byte)?;
        let name = columns
            .and_then(|c| c.get(i))
            .map(|d| d.name.to_owned())
            .unwrap_or_else(|| format!("field {}", i + 1));
        Some((i as u32 + 1, name))
    };
    let with_col = |f: Finding, byte: usize| match col_of(byte) {
        Some((n, c)) => f.column(n, c),
        None => f,
    };
    if !raw.is_ascii()
        && let Err(e) = std::str::from_utf8(raw)
    {
        let at = e.valid_up_to();
        let f = Finding::new(
            Family::Enc,
            Check::NotUtf8,
            name,
            format!(
                "byte 0x{:02X} is not valid UTF-8; the line is read as Windows-1252 (\"{}\")",
                raw[at],
                crate::text::decode_cp1252(&raw[at.saturating_sub(8)..(at + 8).min(raw.len())])
            ),
        )
        .at(pos);
        report.findings.push(with_col(f, at));
    }
    if has_control(raw) {
        if let Some((at, b)) = crate::text::find_control(raw) {
            let f = Finding::new(
                Family::Enc,
                Check::ControlChar,
                name,
                format!("control character 0x{b:02X} inside a value; it is kept as is"),
            )
            .at(pos);
            report.findings.push(with_col(f, at));
        }
        if let Some(at) = memchr::memchr(b'\t', raw) {
            let f = Finding::new(
                Family::Enc,
                Check::TabChar,
                name,
                "tab character inside a value; it is kept as is",
            )
            .at(pos);
            report.findings.push(with_col(f, at));
        }
    }
    let flags = rec.flags();
    if !flags.is_empty() {
        let mut spl = |check: Check, msg: &str| {
            report
                .findings
                .push(Finding::new(Family::Spl, check, name, msg).at(pos));
        };
        if flags.contains(LineFlags::UNTERMINATED_QUOTE) {
            spl(
                Check::UnterminatedQuote,
                "a quoted value opens but never closes on this line; the fields after it cannot be trusted",
            );
        }
        if flags.contains(LineFlags::STRAY_QUOTE_IN_QUOTED) {
            spl(
                Check::StrayQuote,
                "a quote inside a quoted value is not doubled; it is read as a literal quote",
            );
        }
        if flags.contains(LineFlags::QUOTE_AT_FIELD_END) {
            spl(
                Check::QuoteAtFieldEnd,
                "a value ends with a quote that has no opening quote; a value containing the delimiter was probably quoted on one side only",
            );
        }
        if flags.contains(LineFlags::UNTERMINATED_LINE) {
            spl(
                Check::UnterminatedLine,
                "the last line has no line terminator; the file may have been cut off",
            );
        }
    }
}

/// What differs between SAE and PRAE validation.
struct Profile {
    family: Family,
    detail: &'static [ColumnDef],
    parse_header: fn(Record<'_>) -> Result<Header, ColumnError>,
    /// 0-based index of the journal total in the header.
    header_total: usize,
    amount: usize,
    /// A second amount column accepted for the header total (PRAE, where it is unclear).
    alt_amount: Option<usize>,
    dr_cr: usize,
    sign_check: bool,
    batch_id: Option<usize>,
    batch_date: Option<usize>,
    sequence: Option<usize>,
    group: usize,
    group_word: &'static str,
    consistency: &'static [usize],
    /// 0-based indexes of the columns every detail row must fill.
    required: &'static [usize],
    /// Fewest columns a row may have and still be posted.
    min_columns: usize,
    /// Field counts of the older layouts Concur is known to have written.
    known_layouts: &'static [usize],
    /// Fields a row needs to carry the report totals the journals are reconciled against.
    reconcile_columns: Option<usize>,
}

/// Older SAE layouts: the 2008/2010 specification ended after the Assigned Travel Request
/// section (column 245, `sae-format.md` section 1.7); the current layout grew section by
/// section (section 2), so an older file ends where a section ends.
const SAE_KNOWN_LAYOUTS: &[usize] = &[245, 250, 253, 263, 290, 310, 326, 333, 346, 356];

const SAE_CONSISTENT: &[usize] = &[
    SaeCol::EmployeeID.index(),
    SaeCol::ReportKey.index(),
    SaeCol::EmployeeDefaultCurrencyAlphaCode.index(),
    SaeCol::ReportSubmitDate.index(),
    SaeCol::ReportPaymentProcessingDate.index(),
    SaeCol::PersonalExpenses.index(),
    SaeCol::TotalAmountClaimed.index(),
    SaeCol::AmountDueEmployee.index(),
    SaeCol::AmountDueCompanyCard.index(),
    SaeCol::AmountNotApproved.index(),
    SaeCol::AmountCompanyPaid.index(),
    SaeCol::AmountDueCompany.index(),
    SaeCol::PaymentConfirmedAmount.index(),
    SaeCol::AmountDueEmployeeActual.index(),
    SaeCol::AmountDueCompanyCardActual.index(),
];

/// Required columns, from the schema (checked against it by a test).
const SAE_REQUIRED: &[usize] = &[
    SaeCol::Constant.index(),
    SaeCol::BatchID.index(),
    SaeCol::BatchDate.index(),
    SaeCol::SequenceNumber.index(),
    SaeCol::EmployeeID.index(),
    SaeCol::JournalDebitOrCredit.index(),
    SaeCol::JournalAmount.index(),
];

const PRAE_REQUIRED: &[usize] = &[
    PraeCol::Detail.index(),
    PraeCol::RequestKey.index(),
    PraeCol::DebitOrCredit.index(),
    PraeCol::RequestedAlphaCurrencyCode.index(),
];

static SAE_PROFILE: Profile = Profile {
    family: Family::Sae,
    detail: &SAE_DETAIL,
    parse_header: Header::from_sae,
    header_total: crate::schema::SaeHeaderCol::JournalAmountTotal.index(),
    amount: SaeCol::JournalAmount.index(),
    alt_amount: None,
    dr_cr: SaeCol::JournalDebitOrCredit.index(),
    sign_check: true,
    batch_id: Some(SaeCol::BatchID.index()),
    batch_date: Some(SaeCol::BatchDate.index()),
    sequence: Some(SaeCol::SequenceNumber.index()),
    group: SaeCol::ReportID.index(),
    group_word: "report",
    consistency: SAE_CONSISTENT,
    required: SAE_REQUIRED,
    min_columns: SaeCol::CashAdvanceTransactionType.number() as usize,
    known_layouts: SAE_KNOWN_LAYOUTS,
    reconcile_columns: Some(SaeCol::AmountDueCompanyCardActual.number() as usize),
};

const PRAE_CONSISTENT: &[usize] = &[
    PraeCol::RequestID.index(),
    PraeCol::VendorInvoiceNumber.index(),
    PraeCol::InvoiceAmount.index(),
    PraeCol::TotalAmount.index(),
    PraeCol::RequestedAlphaCurrencyCode.index(),
    PraeCol::VendorCode.index(),
];

static PRAE_PROFILE: Profile = Profile {
    family: Family::Prae,
    detail: &PRAE_DETAIL,
    parse_header: Header::from_prae,
    header_total: crate::schema::PraeHeaderCol::JournalAmountTotal.index(),
    amount: PraeCol::JournalAmount.index(),
    alt_amount: Some(PraeCol::JournalGrossAmount.index()),
    dr_cr: PraeCol::DebitOrCredit.index(),
    sign_check: false,
    batch_id: None,
    batch_date: None,
    sequence: None,
    group: PraeCol::RequestKey.index(),
    group_word: "invoice",
    consistency: PRAE_CONSISTENT,
    required: PRAE_REQUIRED,
    min_columns: PraeCol::VendorCode.number() as usize,
    known_layouts: &[],
    reconcile_columns: None,
};

/// The SAE report totals journals are reconciled against that a row of `n` fields lacks.
fn missing_totals(n: usize) -> String {
    [
        SaeCol::AmountCompanyPaid,
        SaeCol::AmountDueEmployeeActual,
        SaeCol::AmountDueCompanyCardActual,
    ]
    .iter()
    .filter(|c| c.number() as usize > n)
    .map(|c| format!("{} (column {})", SAE_DETAIL[c.index()].name, c.number()))
    .collect::<Vec<_>>()
    .join(", ")
}

/// Validation state of an SAE or PRAE file.
struct Structured {
    name: String,
    p: &'static Profile,
    header: Option<Header>,
    header_line: Option<u64>,
    first_record: bool,
    details: u64,
    sum: Option<Decimal>,
    alt_sum: Option<Decimal>,
    layout_cols: usize,
    layout_decided: bool,
    first_bad_amount: Option<u64>,
    verdict: (bool, bool),
    /// Per column, the last value found valid.
    last_ok: Vec<Vec<u8>>,
    seq: SeqSet,
    current: Option<CurrentGroup>,
    finished: HashMap<u64, u64>,
}

struct CurrentGroup {
    id: Vec<u8>,
    first_line: u64,
    values: Vec<Vec<u8>>,
}

fn hash_of(parts: &[&[u8]]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

impl Structured {
    fn new(name: &str, p: &'static Profile) -> Self {
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
            last_ok: vec![Vec::new(); p.detail.len()],
            seq: SeqSet::default(),
            current: None,
            finished: HashMap::new(),
        }
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
    fn record(&mut self, rec: Record<'_>, report: &mut FileReport) -> (bool, bool) {
        self.verdict = (false, false);
        self.record_inner(rec, report);
        self.verdict
    }

    fn record_inner(&mut self, rec: Record<'_>, report: &mut FileReport) {
        let pos = rec.position();
        let first = std::mem::replace(&mut self.first_record, false);
        if rec.is_blank() {
            line_checks(&self.name, &rec, None, report);
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
        let tag = rec
            .field(0)
            .map(|f| f.bytes().into_owned())
            .unwrap_or_default();
        match tag.as_slice() {
            b"EXTRACT" => {
                line_checks(&self.name, &rec, None, report);
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
                        .severity(crate::finding::Severity::Warning),
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
                let shape = self.detail(rec, report);
                self.verdict = (true, shape);
            }
            _ => {
                line_checks(&self.name, &rec, None, report);
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

    fn detail(&mut self, rec: Record<'_>, report: &mut FileReport) -> bool {
        let p = self.p;
        let pos = rec.position();
        self.details += 1;
        report.rows += 1;
        line_checks(&self.name, &rec, Some(p.detail), report);
        let n = rec.len();
        let full = p.detail.len();
        let mut reported = false;
        if !self.layout_decided {
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
        let shape_ok = n == self.layout_cols;
        if !shape_ok && !reported {
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
        // The amount counts toward the header total whatever the row's shape.
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
            let signed = match (alt, rec.field(p.dr_cr).map(|f| f.bytes().into_owned())) {
                (Some(Ok(a)), Some(dc)) if dc == b"CR" => Some(-a.abs()),
                (Some(Ok(a)), _) => Some(a),
                _ => None,
            };
            self.alt_sum = signed.and_then(|a| s.checked_add(a));
        }
        if !shape_ok {
            return false;
        }
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
        // Most of a row's fields are empty: only the others are looked at.
        for (i, f) in rec.non_empty_fields() {
            let Some(def) = p.detail.get(i) else { break };
            if matches!(def.ty, ColumnType::Text | ColumnType::Custom)
                && def.max_len.is_none_or(|m| f.raw().len() <= m as usize)
            {
                continue; // free text within its length: nothing to check
            }
            // Report-level values repeat on every line: a value already found valid in this
            // column needs no second look.
            if self.last_ok.get(i).is_some_and(|v| v.as_slice() == f.raw()) {
                continue;
            }
            let before =
                report.findings.errors() + report.findings.warnings() + report.findings.infos();
            self.check_value(def, i, &f.bytes(), pos, report);
            let after =
                report.findings.errors() + report.findings.warnings() + report.findings.infos();
            if after == before
                && let Some(slot) = self.last_ok.get_mut(i)
            {
                slot.clear();
                slot.extend_from_slice(f.raw());
            }
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
        if let Some(h) = &self.header {
            if let Some(i) = p.batch_id {
                let v = rec
                    .field(i)
                    .map(|f| f.text().into_owned())
                    .unwrap_or_default();
                if v != h.batch_id {
                    report.findings.push(self.col_finding(
                        Check::BatchIdMismatch,
                        pos,
                        i,
                        format!("batch id `{v}` differs from the header's `{}`", h.batch_id),
                    ));
                }
            }
            if let Some(i) = p.batch_date {
                let v = rec
                    .field(i)
                    .map(|f| f.bytes().into_owned())
                    .unwrap_or_default();
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
        self.group(&rec, report);
        true
    }

    fn check_value(
        &self,
        def: &ColumnDef,
        i: usize,
        v: &[u8],
        pos: Position,
        report: &mut FileReport,
    ) {
        let push = |report: &mut FileReport, check: Check, msg: String| {
            report.findings.push(self.col_finding(check, pos, i, msg));
        };
        match def.ty {
            ColumnType::Money if value::is_plain_amount(v) => {}
            ColumnType::Money => match value::parse_amount_lenient(v) {
                Ok((_, false)) => {}
                Ok((d, true)) => report.findings.push(
                    self.col_finding(
                        Check::BadNumber,
                        pos,
                        i,
                        format!(
                            "{}: `{}` carries a currency sign around the number; read as {d} (only signs before or after the number are ignored)",
                            def.name,
                            crate::text::decode(v)
                        ),
                    )
                    .severity(crate::finding::Severity::Warning),
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

    fn group(&mut self, rec: &Record<'_>, report: &mut FileReport) {
        let p = self.p;
        let pos = rec.position();
        let id = rec.field(p.group).map(|f| f.bytes()).unwrap_or_default();
        if id.is_empty() {
            return; // cash-advance issuance rows belong to no report
        }
        let value = |i: usize| rec.field(i).map(|f| f.bytes()).unwrap_or_default();
        if let Some(cur) = &self.current
            && cur.id == id.as_ref()
        {
            // The usual case, a further line of the same report: compare in place.
            for (k, &i) in p.consistency.iter().enumerate() {
                let v = value(i);
                if cur.values[k] != v.as_ref() {
                    let values_k = v;
                    let name = p.detail[i].name;
                    report.findings.push(self.col_finding(
                        Check::ReportInconsistent,
                        pos,
                        i,
                        format!(
                            "{name} is `{}` here but `{}` on line {} of the same {} ({})",
                            crate::text::decode(&values_k),
                            crate::text::decode(&cur.values[k]),
                            cur.first_line,
                            p.group_word,
                            crate::text::decode(&id)
                        ),
                    ));
                }
            }
            return;
        }
        let values: Vec<std::borrow::Cow<'_, [u8]>> =
            p.consistency.iter().map(|&i| value(i)).collect();
        if let Some(done) = self.current.take() {
            let parts: Vec<&[u8]> = done.values.iter().map(|v| v.as_slice()).collect();
            self.finished.insert(hash_of(&[&done.id]), hash_of(&parts));
        }
        let id_hash = hash_of(&[&id]);
        let parts: Vec<&[u8]> = values.iter().map(|v| v.as_ref()).collect();
        if let Some(&fingerprint) = self.finished.get(&id_hash) {
            report.findings.push(self.col_finding(
                Check::ReportNotContiguous,
                pos,
                p.group,
                format!(
                    "{} {} continues here after lines of other {}s; its lines are normally together",
                    p.group_word,
                    crate::text::decode(&id),
                    p.group_word
                ),
            ));
            if fingerprint != hash_of(&parts) {
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
                        crate::text::decode(&id)
                    ),
                ));
            }
        } else {
            report.reports += 1;
        }
        self.current = Some(CurrentGroup {
            id: id.into_owned(),
            first_line: pos.line,
            values: values.into_iter().map(|v| v.into_owned()).collect(),
        });
    }

    fn finish(&mut self, report: &mut FileReport) {
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

#[cfg(test)]
mod profile_tests {
    use super::*;

    #[test]
    fn required_lists_match_the_schemas() {
        for (p, table) in [
            (&SAE_PROFILE, &SAE_DETAIL[..]),
            (&PRAE_PROFILE, &PRAE_DETAIL[..]),
        ] {
            let want: Vec<usize> = table
                .iter()
                .enumerate()
                .filter(|(_, d)| d.required)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(p.required, want.as_slice());
        }
    }
}

fn value_check(e: &ValueError) -> Check {
    match e {
        ValueError::TooManyDecimals(_) => Check::TooManyDecimals,
        ValueError::BadDate(_) => Check::BadDate,
        ValueError::BadDebitCredit(_) => Check::BadDebitCredit,
        ValueError::BadFlag(_) => Check::BadFlag,
        ValueError::Empty => Check::RequiredEmpty,
        _ => Check::BadNumber,
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

/// Validation state of a payment-batch file.
struct BatchValidator {
    name: String,
    layout: BatchLayout,
    first: bool,
    verdict: (bool, bool),
    width: Option<usize>,
    claims: std::collections::HashSet<u64>,
}

impl BatchValidator {
    fn new(name: &str, layout: &BatchLayout) -> Self {
        BatchValidator {
            name: name.to_owned(),
            layout: layout.clone(),
            first: true,
            verdict: (false, false),
            width: layout.header.then_some(layout.labels.len()),
            claims: Default::default(),
        }
    }

    fn record(&mut self, rec: Record<'_>, report: &mut FileReport) -> (bool, bool) {
        self.verdict = (false, false);
        self.record_inner(rec, report);
        self.verdict
    }

    fn record_inner(&mut self, rec: Record<'_>, report: &mut FileReport) {
        let pos = rec.position();
        line_checks(&self.name, &rec, None, report);
        if std::mem::replace(&mut self.first, false) && self.layout.header {
            return;
        }
        if rec.is_blank() {
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
        report.rows += 1;
        self.verdict = (true, false);
        let width = *self.width.get_or_insert(rec.len());
        if rec.len() != width {
            report.findings.push(
                Finding::new(
                    Family::Batch,
                    Check::FieldCount,
                    &self.name,
                    format!(
                        "the row has {} fields, the file's rows have {width}",
                        rec.len()
                    ),
                )
                .at(pos),
            );
            return;
        }
        self.verdict = (true, true);
        let layout = &self.layout;
        let mut new_claims = 0;
        let mut found = Vec::new();
        let mut push = |check: Check, i: usize, msg: String| {
            found.push(
                Finding::new(Family::Batch, check, &self.name, msg)
                    .at(pos)
                    .column(i as u32 + 1, layout.label(i)),
            );
        };
        for (role, i) in layout.roles() {
            let Some(f) = rec.field(i) else { continue };
            let v = f.bytes();
            let v = v.as_ref().trim_ascii();
            let label = layout.label(i);
            match role {
                // The line's own amount: checked once below, as the journal reads it.
                BatchField::Amount | BatchField::DebitAmount | BatchField::CreditAmount => {}
                // Report totals are optional: only a value that is there must read.
                BatchField::AmountDueEmployee
                | BatchField::AmountDueCompany
                | BatchField::AmountCompanyPaid
                | BatchField::PaymentConfirmedAmount => {
                    match BatchRow::new(rec, layout).amount(role) {
                        Some(Err(ValueError::Empty)) | Some(Ok(_)) | None => {}
                        Some(Err(e)) => push(value_check(&e), i, format!("{label}: {e}")),
                    }
                }
                BatchField::Date => match BatchRow::new(rec, layout).date() {
                    Ok(Some(_)) => {}
                    Ok(None) => push(
                        Check::RequiredEmpty,
                        i,
                        format!(
                            "{label}: the date is empty, so the line has no posting date: fill it in, or give the batch mapping a date for such lines (`[batch] date = \"YYYY-MM-DD\"`)"
                        ),
                    ),
                    Err(e) => push(value_check(&e), i, format!("{label}: {e}")),
                },
                BatchField::AccountCode if v.is_empty() => {
                    push(
                        Check::RequiredEmpty,
                        i,
                        format!("{label}: the account is empty"),
                    );
                }
                BatchField::Currency if !v.is_empty() && !currency::is_iso_code(v) => {
                    push(
                        Check::BadCurrency,
                        i,
                        format!(
                            "{label}: `{}` is not an ISO 4217 currency code",
                            crate::text::decode(v)
                        ),
                    );
                }
                BatchField::DebitCredit => {
                    let ok = matches!(
                        v.to_ascii_uppercase().as_slice(),
                        b"DR" | b"CR" | b"D" | b"C" | b"DEBIT" | b"CREDIT"
                    );
                    if !ok {
                        push(
                            Check::BadDebitCredit,
                            i,
                            format!(
                                "{label}: `{}` is not a debit/credit indicator",
                                crate::text::decode(v)
                            ),
                        );
                    }
                }
                BatchField::ClaimId if !v.is_empty() && self.claims.insert(hash_of(&[v])) => {
                    new_claims += 1;
                }
                _ => {}
            }
        }
        if let Err(e) = BatchRow::new(rec, layout).signed_amount() {
            push(value_check(&e.error), e.column, e.message);
        }
        for f in found {
            report.findings.push(f);
        }
        report.reports += new_claims;
    }
}

/// Severity counts over several reports.
pub fn totals(reports: &[FileReport]) -> (usize, usize, usize) {
    reports.iter().fold((0, 0, 0), |(e, w, i), r| {
        (
            e + r.findings.errors(),
            w + r.findings.warnings(),
            i + r.findings.infos(),
        )
    })
}

/// Whether any report has an error-level finding.
pub fn has_errors(reports: &[FileReport]) -> bool {
    reports.iter().any(|r| r.findings.errors() > 0)
}

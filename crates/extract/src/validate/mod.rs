//! File-level validation: one streaming pass, bounded memory, every finding collected.
//!
//! [`validate_reader`] checks structure (header first and once, record count, journal total,
//! batch id and date on every row, field counts), values (dates, decimals, flags, DR/CR
//! against the sign, currency codes, lengths) and consistency (report-level values equal on
//! every line of a report, duplicate sequence numbers, reports split across the file).
//!
//! Memory is bounded by the longest line plus a few bytes per report (a hash of its id and
//! of its report-level values) and one bit per sequence number.
//!
//! The work is split along its seams: `line` checks every line's bytes (encoding, control
//! characters, quoting), `structured` the SAE and PRAE files (header, detail rows, values,
//! report-level consistency, with what differs between the two in `profile`) and `batch`
//! the payment-batch files. This module holds the public API and dispatches to them.

mod batch;
mod line;
mod profile;
mod structured;

use self::batch::BatchValidator;
use self::line::line_checks;
use self::profile::{PRAE_PROFILE, SAE_PROFILE};
use self::structured::Structured;
use crate::Position;
use crate::reader::{ExtractKind, ExtractReader, ReadError, ReaderOptions};
use crate::sae::Header;
use crate::schema::{SAE_DETAIL, SaeCol};
use crate::source::ZipLimitError;
use crate::split::Record;
use crate::value::ValueError;
use ledgerline_findings::{Check, Family, Finding, Findings};
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
    /// For an SAE or PRAE detail row with a report (invoice) id, read as the journal
    /// builder reads it (decoded, trimmed): whether an earlier detail row of this input
    /// had that id. The builder takes this instead of remembering every report itself
    /// (one map of the ids per input, not two). `None` for other rows and kinds.
    pub group_seen: Option<bool>,
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
        self.record_with(rec, None)
    }

    /// A checker for the checks of this input's rows that depend on the row alone (the
    /// line's encoding and quoting, each value against its column), to run ahead on other
    /// threads; `None` for the kinds checked record by record only (payment batch,
    /// attendee, empty).
    pub fn checker(&self) -> Option<RowChecker> {
        match &self.inner {
            Inner::Sae(v) | Inner::Prae(v) => Some(RowChecker {
                name: self.report.file.clone(),
                profile: v.profile(),
            }),
            _ => None,
        }
    }

    /// Checks one record whose row-only checks `prep` holds (from this input's
    /// [`checker`](Self::checker)): the same findings, in the same order, as
    /// [`record`](Self::record). `prep` is emptied.
    pub fn record_prepared(&mut self, rec: &Record<'_>, prep: &mut RowPrep) -> RowVerdict {
        if prep.ready {
            self.record_with(rec, Some(prep))
        } else {
            self.record_with(rec, None)
        }
    }

    fn record_with(&mut self, rec: &Record<'_>, prep: Option<&mut RowPrep>) -> RowVerdict {
        let before = self.report.findings.errors();
        let report = &mut self.report;
        let (detail, well_formed) = match &mut self.inner {
            Inner::Sae(v) | Inner::Prae(v) => v.record(*rec, report, prep),
            Inner::Batch(v) => v.record(*rec, report),
            Inner::Attendee { posting_seen } => {
                line_checks(&report.file.clone(), rec, None, &mut report.findings);
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
        let group_seen = match &self.inner {
            Inner::Sae(v) | Inner::Prae(v) => v.group_seen(),
            _ => None,
        };
        RowVerdict {
            detail,
            well_formed,
            error,
            group_seen,
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
        spreadsheet_dates(&mut self.report);
        self.report.bytes = bytes;
        self.report
    }
}

/// One warning when the file's invalid dates are written the way a spreadsheet shows them
/// (`3/28/2024`, `28.03.2024`): the extract was opened and saved again, which also rewrites
/// amounts and drops leading zeros, so every date error has that one cause.
fn spreadsheet_dates(report: &mut FileReport) {
    let bad_dates = report
        .findings
        .items()
        .iter()
        .filter(|f| f.code.check == Check::BadDate);
    let Some((first, value)) = bad_dates
        .filter_map(|f| {
            Some((
                f,
                quoted(&f.message).filter(|v| looks_like_a_spreadsheet_date(v))?,
            ))
        })
        .next()
    else {
        return;
    };
    let mut f = Finding::new(
        first.code.family,
        Check::SpreadsheetDates,
        &report.file,
        format!(
            "dates like `{value}` are how a spreadsheet (Excel) shows them: this extract was probably opened and saved again by one, which also rewrites amounts and codes (leading zeros); use the file exactly as Concur delivered it (fetch it again if needed) rather than fixing the dates"
        ),
    );
    f.line = first.line;
    f.byte = first.byte;
    report.findings.push(f);
}

/// The first value between backticks in `message`.
fn quoted(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    Some(rest.split_once('`')?.0)
}

/// `3/28/2024`, `28.03.2024`, `3/28/24`: one or two digits, the same separator, one or two
/// digits, the separator, two or four digits.
fn looks_like_a_spreadsheet_date(v: &str) -> bool {
    let sep = match v.bytes().find(|b| !b.is_ascii_digit()) {
        Some(s @ (b'/' | b'.' | b'-')) => s as char,
        _ => return false,
    };
    let parts: Vec<&str> = v.split(sep).collect();
    let digits =
        |p: &str, lens: &[usize]| lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    parts.len() == 3
        && digits(parts[0], &[1, 2])
        && digits(parts[1], &[1, 2])
        && digits(parts[2], &[2, 4])
}

/// Where findings go: the file's collection, or a row's list prepared on another thread.
pub(crate) trait Out {
    /// Records a finding.
    fn push(&mut self, f: Finding);
    /// Findings recorded so far.
    fn count(&self) -> usize;
}

impl Out for Findings {
    fn push(&mut self, f: Finding) {
        Findings::push(self, f);
    }
    fn count(&self) -> usize {
        self.errors() + self.warnings() + self.infos()
    }
}

impl Out for Vec<Finding> {
    fn push(&mut self, f: Finding) {
        Vec::push(self, f);
    }
    fn count(&self) -> usize {
        self.len()
    }
}

/// The checks of an SAE or PRAE row that depend on the row alone, run ahead of the
/// file-level validator (on any thread): [`FileValidator::record_prepared`] then takes
/// their findings in place of running them. Cheap to clone, `Send` and `Sync`.
#[derive(Clone)]
pub struct RowChecker {
    name: String,
    profile: &'static profile::Profile,
}

impl std::fmt::Debug for RowChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowChecker")
            .field("name", &self.name)
            .finish()
    }
}

/// A cache of the values found valid per column, for [`RowChecker::prepare`] (one per
/// thread or block; it changes no finding, only how often a value is looked at).
#[derive(Debug, Default)]
pub struct CheckCache {
    last_ok: Vec<Vec<u8>>,
}

/// The row-only findings of one record, made by [`RowChecker::prepare`].
#[derive(Debug, Default, Clone)]
pub struct RowPrep {
    ready: bool,
    line: Vec<Finding>,
    values: Vec<Finding>,
}

impl RowChecker {
    /// Runs the row-only checks of `rec`. Only detail rows are prepared; any other record
    /// gets an empty `RowPrep`, which makes [`FileValidator::record_prepared`] check it in
    /// place.
    pub fn prepare(&self, rec: &Record<'_>, cache: &mut CheckCache) -> RowPrep {
        let mut prep = RowPrep::default();
        if !self.is_detail(rec) {
            return prep;
        }
        let p = self.profile;
        if cache.last_ok.len() != p.detail.len() {
            cache.last_ok = vec![Vec::new(); p.detail.len()];
        }
        prep.ready = true;
        line_checks(&self.name, rec, Some(p.detail), &mut prep.line);
        structured::check_fields(&self.name, p, rec, &mut cache.last_ok, &mut prep.values);
        prep
    }

    /// Whether `rec` is a detail row (`DETAIL` in its first field).
    pub fn is_detail(&self, rec: &Record<'_>) -> bool {
        rec.field(0)
            .is_some_and(|f| f.bytes().as_ref() == b"DETAIL")
    }

    /// The header `rec` gives the validator when it is the file's first `EXTRACT` record.
    pub fn header_of(&self, rec: &Record<'_>) -> Option<Header> {
        let is_header = rec
            .field(0)
            .is_some_and(|f| f.bytes().as_ref() == b"EXTRACT");
        if !is_header || rec.len() < 5 {
            return None;
        }
        (self.profile.parse_header)(*rec).ok()
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
            Some(limit) => Finding::new(Family::Zip, limit.check(), name, io.to_string()),
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

/// The check a value that does not read is reported under.
pub(super) fn value_check(e: &ValueError) -> Check {
    match e {
        ValueError::TooManyDecimals(_) => Check::TooManyDecimals,
        ValueError::BadDate(_) => Check::BadDate,
        ValueError::BadDebitCredit(_) => Check::BadDebitCredit,
        ValueError::BadFlag(_) => Check::BadFlag,
        ValueError::Empty => Check::RequiredEmpty,
        _ => Check::BadNumber,
    }
}

/// A 64-bit hash of `parts` (report ids and report-level values, claim ids).
pub(super) fn hash_of(parts: &[&[u8]]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

/// 32 bits of [`hash_of`]: a fingerprint of values kept for every report of a file.
/// Never 0 (which marks a report whose values are not known).
pub(super) fn fingerprint(parts: &[&[u8]]) -> u32 {
    ((hash_of(parts) >> 32) as u32).max(1)
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

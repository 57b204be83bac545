//! From a FIS document payload to SAE rows ([`SaeLine`]): the SAE-to-FIS workbook's column
//! map (`concur-master-data.md` §6.2), what a posting needs checked with its JSON path, and
//! the document reconciled against its own totals.
//!
//! Expense journal lines carry no debit/credit flag: a negative `amountGross` is a credit.
//! A line's tax items become the SAE's separate tax lines (payer = the tax authority label,
//! account = the tax code, or the label when Concur gives no code), and the line itself
//! posts its amount net of that tax. Cash-advance applications become the SAE's
//! `Employee -> Company` credit rows (column 185 = 2), the one matching the report's
//! `cashAdvanceReturnsAmount` named "Cash Advance Return".

use crate::json::{self, JsonPath, Raw, ValueError};
use crate::model::{
    Allocation, CaApplication, CaData, CaJournal, Employee, Entry, Expense, Journal, Report, Tax,
};
use crate::rows::{SaeLine, money, number};
use ledgerline_extract::schema::SaeCol as C;
use ledgerline_findings::Check;
use ledgerline_journal::Rules;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt::Display;

/// Something wrong with a document, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `FisMissing`, `FisBadValue`, `FisTotals` ...
    pub check: Check,
    /// Absolute byte offset of the value it is about (or of its document).
    pub at: usize,
    /// The sentence, starting with the JSON path.
    pub message: String,
}

/// A problem of a document already recorded among its [`Mapped::problems`] (a finding),
/// as the error of the value it is about: that value reads as absent, and a row it leaves
/// without a posting is rejected with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Recorded {
    /// The finding's check.
    pub check: Check,
    /// Its sentence, starting with the JSON path.
    pub message: String,
}

impl From<Recorded> for String {
    fn from(r: Recorded) -> String {
        r.message
    }
}

/// A `journalData` item of a cash advance that cannot be read as a journal line (a value of
/// the wrong type): its row is rejected with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}.journalData[{index}]: {reason}")]
pub struct UnreadableJournal {
    /// JSON path of the payload.
    pub path: String,
    /// The item's index in `journalData`.
    pub index: usize,
    /// serde's message, without its position.
    pub reason: String,
}

/// One row of a document, with where it comes from and why it is rejected (if it is).
#[derive(Debug)]
pub struct MappedLine<'a> {
    /// The SAE columns.
    pub cols: SaeLine<'a>,
    /// Absolute byte offset of its JSON object.
    pub at: usize,
    /// The line's own error, if any (its journal is held back).
    pub rejected: Option<String>,
}

/// A document as rows.
#[derive(Debug, Default)]
pub struct Mapped<'a> {
    /// Its rows, in document order.
    pub lines: Vec<MappedLine<'a>>,
    /// Problems found, each a finding.
    pub problems: Vec<Problem>,
    /// Why the whole document is held back (a total that does not add up, a report without
    /// its id or currency), if it is.
    pub held: Option<String>,
    /// The extract header its rows stand under (an invoice's batch date), if any.
    pub header: Option<ledgerline_extract::sae::Header>,
}

/// Where the document's values are: the input they borrow from (to turn a value into a
/// byte offset), the document's own offset and its JSON path.
pub struct Place<'p> {
    /// Start of the input window the values borrow from.
    pub base: &'p [u8],
    /// Absolute offset of `base`.
    pub base_offset: usize,
    /// Absolute offset of the document.
    pub doc_at: usize,
    /// JSON path of the payload (`fIDocuments[0].document`).
    pub path: String,
}

impl Place<'_> {
    /// The absolute offset of `raw`, or the document's when it is not in the input (a
    /// document sent as a JSON string).
    pub fn offset(&self, raw: &RawValue) -> usize {
        let p = raw.get().as_ptr() as usize;
        let b = self.base.as_ptr() as usize;
        if p >= b && p < b + self.base.len() {
            self.base_offset + (p - b)
        } else {
            self.doc_at
        }
    }
}

/// A document being mapped: where its values are, and its rows and problems so far.
pub(crate) struct Map<'m, 'a> {
    pub(crate) place: &'m Place<'m>,
    pub(crate) out: Mapped<'a>,
    /// The sequence number of the last row of an expense document (SAE column 3, the
    /// journal key): lines, tax lines and cash-advance applications are numbered in turn.
    seq: usize,
}

impl<'m, 'a> Map<'m, 'a> {
    /// Mapping the document at `place`.
    pub(crate) fn new(place: &'m Place<'m>) -> Self {
        Map {
            place,
            out: Mapped::default(),
            seq: 0,
        }
    }

    /// The next row's sequence number.
    fn next_seq(&mut self) -> usize {
        self.seq += 1;
        self.seq
    }

    /// Records a problem; it comes back as the error of the value it is about.
    pub(crate) fn problem(&mut self, check: Check, at: usize, message: String) -> Recorded {
        self.out.problems.push(Problem {
            check,
            at,
            message: message.clone(),
        });
        Recorded { check, message }
    }

    /// Holds the whole document back (the first reason is kept).
    pub(crate) fn hold(&mut self, why: Recorded) {
        self.out.held.get_or_insert(why.message);
    }

    /// A value read with `read`; an unreadable one is a problem (`FisBadValue`) and reads
    /// as absent.
    pub(crate) fn value<T>(
        &mut self,
        raw: Raw<'a>,
        path: impl FnOnce() -> String,
        read: impl FnOnce(Raw<'a>) -> Result<Option<T>, ValueError>,
    ) -> Result<Option<T>, Recorded> {
        match read(raw) {
            Ok(v) => Ok(v),
            Err(e) => {
                let at = raw.map_or(self.place.doc_at, |r| self.place.offset(r));
                Err(self.problem(Check::FisBadValue, at, format!("{}: {e}", path())))
            }
        }
    }

    pub(crate) fn text(
        &mut self,
        raw: Raw<'a>,
        path: impl FnOnce() -> String,
    ) -> Option<Cow<'a, str>> {
        self.value(raw, path, json::text).ok().flatten()
    }

    pub(crate) fn amount(
        &mut self,
        raw: Raw<'a>,
        path: impl FnOnce() -> String,
    ) -> Result<Option<Decimal>, Recorded> {
        self.value(raw, path, json::amount)
    }

    /// An amount and its text as SAE column 169 writes it ([`money`]).
    pub(crate) fn amount_text(
        &mut self,
        raw: Raw<'a>,
        path: impl FnOnce() -> String,
    ) -> Result<Option<(Decimal, Cow<'a, str>)>, Recorded> {
        Ok(self
            .amount(raw, path)?
            .map(|d| (d, self.money_text(raw, d))))
    }

    /// `d`, read from `raw`, as [`money`] writes it: the JSON text itself when it is
    /// already in that form (`-12.5`, `100`: the usual case), so most amounts are borrowed,
    /// not formatted.
    pub(crate) fn money_text(&self, raw: Raw<'a>, d: Decimal) -> Cow<'a, str> {
        match json::text(raw) {
            Ok(Some(Cow::Borrowed(t))) if is_normal_decimal(t) => {
                debug_assert_eq!(t, money(d));
                Cow::Borrowed(t)
            }
            _ => money(d),
        }
    }

    pub(crate) fn date(
        &mut self,
        raw: Raw<'a>,
        path: impl FnOnce() -> String,
    ) -> Option<Cow<'a, str>> {
        let date = self.value(raw, path, json::date).ok().flatten()?;
        // The SAE form (yyyy-MM-dd) is the text's own first ten bytes when it starts with
        // it (an ISO date or timestamp, the usual case): borrowed, not formatted again.
        if let Ok(Some(Cow::Borrowed(t))) = json::text(raw)
            && let Some(ymd) = t.get(..10)
            && ymd.as_bytes()[4] == b'-'
            && ymd.as_bytes()[7] == b'-'
        {
            debug_assert_eq!(ymd, date.to_string());
            return Some(Cow::Borrowed(ymd));
        }
        Some(Cow::Owned(date.to_string()))
    }

    /// A value a posting needs: absent or blank is `FisMissing`.
    pub(crate) fn required_text(
        &mut self,
        raw: Raw<'a>,
        at: usize,
        path: impl Fn() -> String,
    ) -> Result<Cow<'a, str>, Recorded> {
        match self.value(raw, &path, json::text)? {
            Some(v) => Ok(v),
            None => Err(self.problem(
                Check::FisMissing,
                raw.map_or(at, |r| self.place.offset(r)),
                format!("{}: missing (a posting needs it)", path()),
            )),
        }
    }

    pub(crate) fn required_amount(
        &mut self,
        raw: Raw<'a>,
        at: usize,
        path: impl Fn() -> String,
    ) -> Result<Decimal, Recorded> {
        match self.amount(raw, &path)? {
            Some(v) => Ok(v),
            None => Err(self.problem(
                Check::FisMissing,
                raw.map_or(at, |r| self.place.offset(r)),
                format!("{}: missing (a posting needs it)", path()),
            )),
        }
    }

    fn employee(&mut self, e: &Employee<'a>, path: &str, base: &mut SaeLine<'a>) {
        let p = |k: &str| format!("{path}.{k}");
        base.set(C::EmployeeID, self.text(e.id, || p("employeeId")));
        base.set(
            C::EmployeeLastName,
            self.text(e.last, || p("employeeLastName")),
        );
        base.set(
            C::EmployeeFirstName,
            self.text(e.first, || p("employeeFirstName")),
        );
        base.set(C::MiddleInitial, self.text(e.mi, || p("employeeMI")));
        base.set(C::EmployeeLoginID, self.text(e.login, || p("loginId")));
        base.set(
            C::EmployeeEmailAddress,
            self.text(e.email, || p("emailAddress")),
        );
        let org = [
            C::EmployeeOrgUnit1,
            C::EmployeeOrgUnit2,
            C::EmployeeOrgUnit3,
            C::EmployeeOrgUnit4,
            C::EmployeeOrgUnit5,
            C::EmployeeOrgUnit6,
        ];
        for (i, col) in org.into_iter().enumerate() {
            let v = self
                .text(e.org[i + 1], || p(&format!("employeeOrgUnit{}Code", i + 1)))
                .or_else(|| {
                    self.text(e.org_value[i + 1], || {
                        p(&format!("employeeOrgUnit{}Value", i + 1))
                    })
                });
            base.set(col, v);
        }
        let group = self
            .text(e.custom[21], || p("employeeCustom21Code"))
            .or_else(|| self.text(e.custom_value[21], || p("employeeCustom21Value")));
        base.set(C::EmployeeGroupIDCustom21, group);
        for n in 1..=20 {
            let v = self
                .text(e.custom[n], || p(&format!("employeeCustom{n}Code")))
                .or_else(|| self.text(e.custom_value[n], || p(&format!("employeeCustom{n}Value"))));
            base.set(col_at(C::EmployeeCustom1, n - 1), v);
        }
    }

    fn report(&mut self, r: &Report<'a>, path: &str, base: &mut SaeLine<'a>) {
        let p = |k: &str| format!("{path}.{k}");
        let at = self.place.doc_at;
        match self.required_text(r.id, at, || p("reportId")) {
            Ok(id) => base.put(C::ReportID, id),
            Err(why) => self.hold(why),
        }
        let key = self
            .text(r.key, || p("reportKey"))
            .or_else(|| self.text(r.number, || p("reportNumber")));
        base.set(C::ReportKey, key);
        base.set(C::ReportName, self.text(r.name, || p("reportName")));
        match self.required_text(r.currency, at, || p("employeeCurrencyAlphaCode")) {
            Ok(c) => base.put(C::EmployeeDefaultCurrencyAlphaCode, c),
            Err(why) => self.hold(why),
        }
        base.set(
            C::ReportHomeCountryName,
            self.text(r.country, || p("homeCountryCode")),
        );
        base.set(C::Ledger, self.text(r.ledger, || p("ledgerCode")));
        let submit = self.date(r.submit_date, || p("reportSubmitDate"));
        let processing = self.date(r.processing_date, || p("reportPaymentProcessingDate"));
        let user = self.date(r.user_date, || p("reportUserDefinedDate"));
        // A FIS document has no batch: its journals are dated by the report.
        base.set(
            C::BatchDate,
            processing.clone().or(submit.clone()).or(user.clone()),
        );
        base.set(C::ReportSubmitDate, submit);
        base.set(C::ReportPaymentProcessingDate, processing);
        base.set(C::ReportUserDefinedDate, user);
        let start = self.date(r.start_date, || p("reportStartDate"));
        base.set(C::ReportStartDate, start);
        let end = self.date(r.end_date, || p("reportEndDate"));
        base.set(C::ReportEndDate, end);
        if let Ok(Some((_, t))) = self.amount_text(r.total_approved, || p("totalApprovedAmount")) {
            base.put(C::ReportTotalApprovedAmount, t);
        }
        for n in 1..=6 {
            let v = self
                .text(r.org[n], || p(&format!("reportOrgUnit{n}Code")))
                .or_else(|| self.text(r.org_value[n], || p(&format!("reportOrgUnit{n}Value"))));
            base.set(col_at(C::ReportOrgUnit1, n - 1), v);
        }
        for n in 1..=20 {
            let v = self
                .text(r.custom[n], || p(&format!("reportCustom{n}Code")))
                .or_else(|| self.text(r.custom_value[n], || p(&format!("reportCustom{n}Value"))));
            base.set(col_at(C::ReportCustom1, n - 1), v);
        }
    }

    fn entry(&mut self, e: &Entry<'a>, path: &dyn Display, line: &mut SaeLine<'a>) {
        let p = |k: &str| format!("{path}.{k}");
        line.set(C::ReportEntryId, self.text(e.id, || p("entryId")));
        line.set(
            C::ReportEntryExpenseTypeName,
            self.text(e.expense_type, || p("expenseTypeName")),
        );
        line.set(
            C::ReportEntryTransactionDate,
            self.date(e.date, || p("entryDate")),
        );
        line.set(
            C::ReportEntryCurrencyAlphaCode,
            self.text(e.currency, || p("entryCurrAlphaCode")),
        );
        line.set(
            C::ReportEntryExchangeRate,
            self.text(e.rate, || p("entryExchangeRate")),
        );
        line.set(
            C::ReportEntryExchangeRateDirection,
            self.text(e.rate_direction, || p("entryExchangeRateDirection")),
        );
        line.set(
            C::ReportEntryIsPersonalFlag,
            self.text(e.personal, || p("entryIsPersonal")),
        );
        line.set(
            C::ReportEntryDescription,
            self.text(e.description, || p("entryDescription")),
        );
        line.set(
            C::ReportEntryVendorName,
            self.text(e.vendor, || p("entryVendorCode")),
        );
        line.set(
            C::ReportEntryVendorDescription,
            self.text(e.vendor_description, || p("entryVendorDescription")),
        );
        line.set(
            C::ReportEntryReceiptType,
            self.text(e.receipt_type, || p("entryReceiptType")),
        );
        if let Ok(Some((_, a))) =
            self.amount_text(e.transaction_amount, || p("reportEntryTransactionAmount"))
        {
            line.put(C::ReportEntryTransactionAmount, a);
        }
        if let Ok(Some((_, a))) = self.amount_text(e.approved, || p("entryApprovedAmount")) {
            line.put(C::ReportEntryApprovedAmount, a.clone());
            // FIS has no posted amount; the approved one is what the report posts.
            line.put(C::ReportEntryPostedAmount, a);
        }
        let pat = self.text(e.pat_key, || p("reportEntryPatKey"));
        line.set(C::PaymentTypeCode, pat.clone());
        line.set(C::PaymentCode, pat);
        line.set(
            C::ReportEntryPaymentTypeName,
            self.text(e.payment_type_name, || p("reportEntryPaymentTypeName")),
        );
        line.set(
            C::ReportPaymentReimbursementType,
            self.text(e.expense_pay, || p("expensePayIndicator")),
        );
        line.set(
            C::BillDate,
            self.date(e.card_billing_date, || p("cardBillingDate")),
        );
        line.set(
            C::CreditCardTransactionID,
            self.text(e.card_tx_id, || p("cardTransactionID")),
        );
        line.set(
            C::CreditCardTransactionAmount,
            self.text(e.card_tx_amount, || p("cardTransactionAmount")),
        );
        line.set(
            C::CreditCardTransactionCurrencyAlphaCode,
            self.text(e.card_tx_currency, || p("cardTransactionCurrency")),
        );
        line.set(
            C::CreditCardTransactionPostedAmount,
            self.text(e.card_posted_amount, || p("cardTransactionPostedAmount")),
        );
        line.set(
            C::CreditCardTransactionPostedCurrencyAlphaCode,
            self.text(e.card_posted_currency, || {
                p("cardTransactionPostedCurrency")
            }),
        );
        line.set(
            C::ReportEntryLocationCountryCode,
            self.text(e.country, || p("entryCountryCode")),
        );
        line.set(
            C::ReportEntryLocationCountrySubCode,
            self.text(e.country_sub, || p("entryCountrySubCode")),
        );
        line.set(
            C::CardProgramTypeCode,
            self.text(e.card_program, || p("cardProgramTypeCode")),
        );
        line.set(
            C::StatementPeriodStartDate,
            self.date(e.statement_start, || p("cardStatementPeriodStartDate")),
        );
        line.set(
            C::StatementPeriodEndDate,
            self.date(e.statement_end, || p("cardStatementPeriodEndDate")),
        );
        line.set(
            C::LiabilityAccountCode,
            self.text(e.liability_account, || p("liabilityAccountCode")),
        );
        for n in 1..=6 {
            let v = self
                .text(e.org[n], || p(&format!("entryOrgUnit{n}Code")))
                .or_else(|| self.text(e.org_value[n], || p(&format!("entryOrgUnit{n}Value"))));
            line.set(col_at(C::ReportEntryOrgUnit1, n - 1), v);
        }
        for n in 1..=40 {
            let v = self.text(e.custom[n], || p(&format!("entryCustom{n}Code")));
            line.set(col_at(C::ReportEntryCustom1, n - 1), v);
        }
    }

    /// A row of the document.
    pub(crate) fn push(&mut self, cols: SaeLine<'a>, at: usize) {
        self.out.lines.push(MappedLine {
            cols,
            at,
            rejected: None,
        });
    }

    /// A row of the document that is rejected for `why`.
    pub(crate) fn reject(&mut self, cols: SaeLine<'a>, at: usize, why: impl Into<String>) {
        self.out.lines.push(MappedLine {
            cols,
            at,
            rejected: Some(why.into()),
        });
    }
}

/// Whether `t` is a decimal as `Decimal::normalize` displays it: an optional minus (not
/// on a zero), digits without a leading zero, and a fraction without trailing zeros, 28
/// digits at most (more would be rounded when read).
pub(crate) fn is_normal_decimal(t: &str) -> bool {
    let negative = t.starts_with('-');
    let b = t.strip_prefix('-').unwrap_or(t).as_bytes();
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    digits(int)
        && (int.len() == 1 || int[0] != b'0')
        && frac.is_none_or(|f| digits(f) && f.last() != Some(&b'0'))
        && int.len() + frac.map_or(0, <[u8]>::len) <= 28
        && !(negative && b.iter().all(|&c| c == b'0' || c == b'.'))
}

/// The column `n` places after `first` (the numbered families are contiguous).
pub(crate) fn col_at(first: C, n: usize) -> C {
    C::from_number(first.number() + n as u16).unwrap_or(first)
}

pub(crate) fn sign_side(amount: Decimal) -> &'static str {
    if amount.is_sign_negative() && !amount.is_zero() {
        "CR"
    } else {
        "DR"
    }
}

/// The tax ids a journal line names (`taxGuid`: a list, or one id).
fn guids<'a>(raw: Raw<'a>) -> Vec<Cow<'a, str>> {
    let Some(r) = raw else { return Vec::new() };
    if r.get().starts_with('[') {
        serde_json::from_str::<Vec<&RawValue>>(r.get())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|g| json::text(Some(g)).ok().flatten())
            .collect()
    } else {
        json::text(raw).ok().flatten().into_iter().collect()
    }
}

/// The rows of an expense document, in named steps: the employee's and the report's
/// columns every row shares; each entry (`Map::expense_entry`) with its allocations, their
/// journal lines and each line's tax lines; the report's total against its entries; the
/// cash-advance applications (`Map::applications`).
pub fn expense<'a>(doc: &Expense<'a>, place: &Place<'_>, rules: &Rules) -> Mapped<'a> {
    let mut m = Map::new(place);
    let path = place.path.as_str();
    let mut base = SaeLine::default();
    if let Some(e) = &doc.employee {
        m.employee(e, &format!("{path}.employee"), &mut base);
    }
    let Some(report) = &doc.report else {
        let why = m.problem(
            Check::FisMissing,
            place.doc_at,
            format!("{path}.report: missing (the report is the journal)"),
        );
        m.hold(why);
        return m.out;
    };
    m.report(report, &format!("{path}.report"), &mut base);
    let base = base.freeze();
    let mut entries_total = Decimal::ZERO;
    let entries = doc.entries.as_deref().unwrap_or_default();
    for (ei, entry) in entries.iter().enumerate() {
        let epath = JsonPath::item(&path, "expenseEntry", ei);
        entries_total += m.expense_entry(entry, &epath, &base);
    }
    m.report_total(report, path, entries_total);
    m.applications(doc, report, path, &base, rules);
    m.out
}

impl<'a> Map<'_, 'a> {
    /// The rows of one entry (`epath`): its allocations' journal lines; its allocations
    /// checked to add up to 100% and its lines to its `entryApprovedAmount`. What it adds
    /// to the report's total: its approved amount, else its lines' gross.
    fn expense_entry(
        &mut self,
        entry: &Entry<'a>,
        epath: &JsonPath<'_>,
        base: &SaeLine<'a>,
    ) -> Decimal {
        let mut line = base.clone();
        self.entry(entry, epath, &mut line);
        let line = line.freeze();
        let approved = self.amount(entry.approved, || format!("{epath}.entryApprovedAmount"));
        let mut entry_gross = Decimal::ZERO;
        // The allocations' percentages added up; none once one of them has none.
        let mut percent = Some(Decimal::ZERO);
        let allocations = entry.allocation.as_deref().unwrap_or_default();
        for (ai, alloc) in allocations.iter().enumerate() {
            let apath = JsonPath::item(epath, "allocation", ai);
            let (pc, gross) = self.allocation(alloc, &apath, &line);
            percent = percent.zip(pc).map(|(sum, pc)| sum + pc);
            entry_gross += gross;
        }
        if let Some(percent) = percent
            && !allocations.is_empty()
            && percent != Decimal::ONE_HUNDRED
        {
            let why = self.problem(
                Check::FisTotals,
                self.place.doc_at,
                format!("{epath}: its allocations add up to {percent}%, not 100%"),
            );
            self.hold(why);
        }
        match approved {
            Ok(Some(a)) => {
                if a != entry_gross && self.no_row_rejected() {
                    let why = self.problem(
                        Check::FisTotals,
                        self.place.doc_at,
                        format!(
                            "{epath}: its journal lines add up to {entry_gross}, but entryApprovedAmount says {a}"
                        ),
                    );
                    self.hold(why);
                }
                a
            }
            _ => entry_gross,
        }
    }

    /// Whether every row so far posts (a total is checked only then).
    fn no_row_rejected(&self) -> bool {
        self.out.lines.iter().all(|l| l.rejected.is_none())
    }

    /// The rows of one allocation (`apath`) of an entry: its journal lines, each with its
    /// tax items linked to it ([`link_taxes`]). Its percentage (none when it gives none
    /// that reads) and its lines' gross.
    fn allocation(
        &mut self,
        alloc: &Allocation<'a>,
        apath: &JsonPath<'_>,
        line: &SaeLine<'a>,
    ) -> (Option<Decimal>, Decimal) {
        let place = self.place;
        let mut aline = line.clone();
        aline.set(
            C::AllocationKey,
            self.text(alloc.id, || format!("{apath}.allocationId")),
        );
        let percent =
            match self.amount_text(alloc.percentage, || format!("{apath}.allocationPercentage")) {
                Ok(Some((pc, text))) => {
                    aline.put(C::AllocationPercentage, text);
                    Some(pc)
                }
                _ => None,
            };
        for n in 1..=20 {
            let v = self.text(alloc.custom[n], || {
                format!("{apath}.allocationCustom{n}Code")
            });
            aline.set(col_at(C::AllocationCustom1, n - 1), v);
        }
        let aline = aline.freeze();
        let journals = alloc.journal.as_deref().unwrap_or_default();
        let taxes = alloc.tax.as_deref().unwrap_or_default();
        let parsed: Vec<(usize, Result<Journal<'a>, Recorded>)> = journals
            .iter()
            .enumerate()
            .map(|(ji, raw)| {
                let r = serde_json::from_str::<Journal<'a>>(raw.get()).map_err(|e| {
                    self.problem(
                        Check::FisBadValue,
                        place.offset(raw),
                        format!("{apath}.journal[{ji}]: {e}"),
                    )
                });
                (ji, r)
            })
            .collect();
        let linked = link_taxes(self, &parsed, taxes, journals, apath);
        let mut gross = Decimal::ZERO;
        for ((ji, journal), tax_of) in parsed.into_iter().zip(linked) {
            let jpath = JsonPath::item(apath, "journal", ji);
            let at = place.offset(journals[ji]);
            let seq = self.next_seq();
            let mut jl = aline.clone();
            jl.put(C::SequenceNumber, number(seq));
            jl.put(C::JournalKey, number(seq));
            let journal = match journal {
                Ok(j) => j,
                Err(why) => {
                    self.reject(jl, at, why);
                    continue;
                }
            };
            let own: Vec<(usize, &Tax<'a>)> = tax_of.iter().map(|&i| (i, &taxes[i])).collect();
            if let Some(g) = self.expense_journal(&journal, &own, &jpath, apath, at, jl) {
                gross += g;
            }
        }
        (percent, gross)
    }

    /// One journal line (`jpath`) with its tax items `taxes`: the line, posting its amount
    /// net of its tax, then one tax line per item ([`Map::tax_line`]). Its signed gross, or
    /// none when it is rejected.
    fn expense_journal(
        &mut self,
        journal: &Journal<'a>,
        taxes: &[(usize, &Tax<'a>)],
        jpath: &JsonPath<'_>,
        apath: &JsonPath<'_>,
        at: usize,
        mut jl: SaeLine<'a>,
    ) -> Option<Decimal> {
        let gross = match journal_line(self, journal, jpath, at, &mut jl) {
            Ok(g) => g,
            Err(why) => {
                self.reject(jl, at, why);
                return None;
            }
        };
        let (tax_rows, tax_total) = self.tax_amounts(taxes, apath, gross);
        let net = gross - tax_total;
        if !tax_rows.is_empty()
            && let Ok(Some(given)) =
                self.amount(journal.net_of_tax, || format!("{jpath}.amountNetOfTax"))
            && given != net
        {
            let why = self.problem(
                Check::FisTotals,
                at,
                format!(
                    "{jpath}: amountGross {gross} less its tax {tax_total} is {net}, but amountNetOfTax says {given}"
                ),
            );
            self.hold(why);
        }
        if !tax_rows.is_empty() {
            // The line posts its amount net of its tax (without tax, the gross
            // `journal_line` wrote).
            jl.put(C::JournalDebitOrCredit, sign_side(net));
            jl.put(C::JournalAmount, money(net));
        }
        let jl = jl.freeze();
        let entry_line = jl.clone();
        self.push(jl, at);
        for (tpath, tax, signed) in tax_rows {
            self.tax_line(&entry_line, tax, &tpath, signed, at);
        }
        Some(gross)
    }

    /// The amounts of a journal line's tax items (`amountTax`, zero ones left out), signed
    /// as the line's `gross`, with their paths; and their total.
    fn tax_amounts<'p, 't>(
        &mut self,
        taxes: &[(usize, &'t Tax<'a>)],
        apath: &'p JsonPath<'_>,
        gross: Decimal,
    ) -> (Vec<(JsonPath<'p>, &'t Tax<'a>, Decimal)>, Decimal) {
        let negative = gross.is_sign_negative();
        let mut rows = Vec::new();
        let mut total = Decimal::ZERO;
        for &(ti, tax) in taxes {
            let tpath = JsonPath::item(apath, "tax", ti);
            let Ok(Some(amount)) = self.amount(tax.amount, || format!("{tpath}.amountTax")) else {
                continue;
            };
            if amount.is_zero() {
                continue;
            }
            let signed = if negative {
                -amount.abs()
            } else {
                amount.abs()
            };
            total += signed;
            rows.push((tpath, tax, signed));
        }
        (rows, total)
    }

    /// The SAE's tax line of one tax item (`tpath`) of `entry_line`: paid to the tax
    /// authority (its label), on its tax code, the other side of the tax in the entry.
    fn tax_line(
        &mut self,
        entry_line: &SaeLine<'a>,
        tax: &Tax<'a>,
        tpath: &JsonPath<'_>,
        signed: Decimal,
        at: usize,
    ) {
        let seq = self.next_seq();
        let mut tl = entry_line.clone();
        tl.put(C::SequenceNumber, number(seq));
        tl.put(C::JournalKey, number(seq));
        let label = self.text(tax.label, || format!("{tpath}.taxAuthorityLabel"));
        let code = self.text(tax.code, || format!("{tpath}.taxCode"));
        let Some(label) = label else {
            let why = self.problem(
                Check::FisMissing,
                at,
                format!("{tpath}.taxAuthorityLabel: missing (the tax line's payer)"),
            );
            self.reject(tl, at, why);
            return;
        };
        tl.put(C::JournalPayerPaymentTypeName, label.clone());
        tl.put(C::JournalPayerPaymentCodeName, "");
        tl.put(C::JournalPayeePaymentTypeName, "COMP");
        tl.put(C::JournalPayeePaymentCodeName, "COMP");
        tl.put(C::TaxAuthorityLabel, label.clone());
        tl.put(C::JournalAccountCode, code.clone().unwrap_or(label));
        tl.set(C::ReportEntryTaxTaxCode, code);
        tl.set(
            C::TaxSource,
            self.text(tax.source, || format!("{tpath}.taxSource")),
        );
        tl.set(
            C::ReportEntryTaxReclaimCode,
            self.text(tax.reclaim_code, || format!("{tpath}.taxReclaimCode")),
        );
        tl.put(C::ReportEntryTaxPostedAmount, money(signed));
        // Who paid the entry pays its tax: the SAE reads that from the entry's payment
        // type (126, 250); a FIS entry's `reportEntryPatKey` may be a client key (`1003`),
        // so the tax row carries the line's own payment code.
        let paid_by = {
            let payer = entry_line.get(C::JournalPayerPaymentCodeName);
            let payee = entry_line.get(C::JournalPayeePaymentCodeName);
            if payer.eq_ignore_ascii_case("COMP") {
                payee
            } else {
                payer
            }
        }
        .to_owned();
        tl.put(C::PaymentTypeCode, paid_by.clone());
        tl.put(C::ReportEntryPaymentTypeName, paid_by);
        if let Ok(Some(r)) = self.amount(tax.reclaim, || format!("{tpath}.amountReclaim")) {
            tl.put(C::ReportEntryTaxReclaimPostedAmount, money(r));
        }
        // The SAE's tax line is the other side of the tax in the entry.
        tl.put(C::JournalDebitOrCredit, sign_side(-signed));
        tl.put(C::JournalAmount, money(-signed));
        self.push(tl, at);
    }

    /// The report's `totalApprovedAmount` against its entries' total (checked when every
    /// row posts): a difference holds the document back.
    fn report_total(&mut self, report: &Report<'a>, path: &str, entries_total: Decimal) {
        if let Ok(Some(total)) = self.amount(report.total_approved, || {
            format!("{path}.report.totalApprovedAmount")
        }) && total != entries_total
            && self.no_row_rejected()
        {
            let why = self.problem(
                Check::FisTotals,
                self.place.doc_at,
                format!(
                    "{path}.report: its entries add up to {entries_total}, but totalApprovedAmount says {total}"
                ),
            );
            self.hold(why);
        }
    }

    /// The report's cash-advance applications, one row each ([`Map::application`]); the
    /// first whose amount is the report's `cashAdvanceReturnsAmount` is the return, and a
    /// return no application matches is a problem.
    fn applications(
        &mut self,
        doc: &Expense<'a>,
        report: &Report<'a>,
        path: &str,
        base: &SaeLine<'a>,
        rules: &Rules,
    ) {
        let returns = self
            .amount(report.ca_returns, || {
                format!("{path}.report.cashAdvanceReturnsAmount")
            })
            .ok()
            .flatten()
            .filter(|r| !r.is_zero())
            .map(|r| r.abs());
        let mut return_named = false;
        let applications = doc.ca_applications.as_deref().unwrap_or_default();
        for (ci, app) in applications.iter().enumerate() {
            let cpath = JsonPath::item(&path, "cashAdvanceApplication", ci);
            let unnamed = returns.filter(|_| !return_named);
            return_named |= self.application(app, &cpath, base, unnamed, rules);
        }
        if let Some(r) = returns
            && !return_named
            && !applications.is_empty()
        {
            self.problem(
                Check::FisTotals,
                self.place.doc_at,
                format!(
                    "{path}.report.cashAdvanceReturnsAmount: {r} is returned, but no cash-advance application has that amount; every application is posted as applied"
                ),
            );
        }
    }

    /// One cash-advance application (`cpath`): the SAE's `Employee -> Company` credit on
    /// its clearing account (column 185 = 2); named the cash-advance return when its amount
    /// is `returns` (the return not named yet). Whether it was.
    fn application(
        &mut self,
        app: &CaApplication<'a>,
        cpath: &JsonPath<'_>,
        base: &SaeLine<'a>,
        returns: Option<Decimal>,
        rules: &Rules,
    ) -> bool {
        let seq = self.next_seq();
        let mut cl = base.clone();
        cl.put(C::SequenceNumber, number(seq));
        cl.put(C::JournalKey, number(seq));
        cl.put(C::JournalPayerPaymentTypeName, "EMPL");
        cl.put(C::JournalPayerPaymentCodeName, "EMPL");
        cl.put(C::JournalPayeePaymentTypeName, "COMP");
        cl.put(C::JournalPayeePaymentCodeName, "COMP");
        cl.set(
            C::CashAdvanceKey,
            self.text(app.id, || format!("{cpath}.cashAdvanceId")),
        );
        cl.set(
            C::JournalAccountCode,
            self.text(app.account, || {
                format!("{cpath}.cashAdvanceClearingAccountCode")
            }),
        );
        let ty = self.text(app.transaction_type, || {
            format!("{cpath}.cashAdvanceTransactionType")
        });
        cl.put(
            C::CashAdvanceTransactionType,
            ty.unwrap_or(Cow::Borrowed("2")),
        );
        let at = self.place.doc_at;
        match self.required_amount(app.amount, at, || {
            format!("{cpath}.cashAdvanceApplicationAmount")
        }) {
            Ok(a) => {
                // An application recovers the advance: a credit, whatever sign it is written with.
                let credit = -a.abs();
                cl.put(C::JournalDebitOrCredit, "CR");
                cl.put(C::JournalAmount, money(credit));
                let is_return = returns == Some(a.abs());
                let name = if is_return {
                    return_type(rules)
                } else {
                    Cow::Borrowed("Cash Advance")
                };
                cl.put(C::ReportEntryExpenseTypeName, name);
                self.push(cl, at);
                is_return
            }
            Err(why) => {
                self.reject(cl, at, why);
                false
            }
        }
    }
}

/// The expense type of a cash-advance return: "Cash Advance Return" unless the rules name
/// others.
fn return_type(rules: &Rules) -> Cow<'static, str> {
    if rules
        .return_expense_types
        .iter()
        .any(|t| t == "cash advance return")
        || rules.return_expense_types.is_empty()
    {
        Cow::Borrowed("Cash Advance Return")
    } else {
        Cow::Owned(rules.return_expense_types[0].clone())
    }
}

/// For each journal line, the indexes of its tax items: by `taxGuid`, or all of them when
/// the allocation has one line and no ids. Tax items no line claims are a problem.
fn link_taxes<'a>(
    m: &mut Map<'_, 'a>,
    journals: &[(usize, Result<Journal<'a>, Recorded>)],
    taxes: &[Tax<'a>],
    raws: &[&RawValue],
    apath: &dyn Display,
) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); journals.len()];
    if taxes.is_empty() {
        return out;
    }
    let ids: Vec<Vec<Cow<'a, str>>> = journals
        .iter()
        .map(|(_, j)| j.as_ref().map(|j| guids(j.tax_guid)).unwrap_or_default())
        .collect();
    let mut claimed = vec![false; taxes.len()];
    if ids.iter().any(|g| !g.is_empty()) {
        for (ti, tax) in taxes.iter().enumerate() {
            let Some(guid) = json::text(tax.guid).ok().flatten() else {
                continue;
            };
            if let Some(ji) = ids.iter().position(|g| g.contains(&guid)) {
                out[ji].push(ti);
                claimed[ti] = true;
            }
        }
    } else if journals.len() == 1 {
        out[0] = (0..taxes.len()).collect();
        claimed.iter_mut().for_each(|c| *c = true);
    }
    for (ti, c) in claimed.iter().enumerate() {
        let amount = json::amount(taxes[ti].amount)
            .ok()
            .flatten()
            .unwrap_or_default();
        if !c && !amount.is_zero() {
            let at = raws.first().map_or(m.place.doc_at, |r| m.place.offset(r));
            let why = m.problem(
                Check::FisBadValue,
                at,
                format!("{apath}.tax[{ti}]: no journal line of the allocation names its taxGuid, so it cannot be posted with one"),
            );
            m.hold(why);
        }
    }
    out
}

/// Fills the journal columns of one expense journal line; its signed gross amount.
fn journal_line<'a>(
    m: &mut Map<'_, 'a>,
    j: &Journal<'a>,
    jpath: &dyn Display,
    at: usize,
    line: &mut SaeLine<'a>,
) -> Result<Decimal, Recorded> {
    let payer = m.required_text(j.payer, at, || format!("{jpath}.journalPayer"));
    let payee = m.required_text(j.payee, at, || format!("{jpath}.journalPayee"));
    let gross = m.required_amount(j.gross, at, || format!("{jpath}.amountGross"));
    let gross_text = gross.as_ref().ok().map(|g| m.money_text(j.gross, *g));
    let account = m.text(j.account, || format!("{jpath}.journalAccountCode"));
    line.set(C::JournalAccountCode, account);
    line.set(
        C::CreditCardTransactionReferenceNumber,
        m.text(j.card_reference, || {
            format!("{jpath}.cardTransactionReferenceNumber")
        }),
    );
    if let Ok(Some((_, v))) =
        m.amount_text(j.net_of_reclaim, || format!("{jpath}.amountNetOfReclaim"))
    {
        line.put(C::JournalNetOfTotalAdjustedReclaimTax, v);
    }
    if let Ok(Some((_, v))) = m.amount_text(j.net_of_tax, || format!("{jpath}.amountNetOfTax")) {
        line.put(C::JournalNetOfTotalAdjustedTax, v.clone());
        line.put(C::NetTaxAmount, v);
    }
    let (payer, payee, gross) = (payer?, payee?, gross?);
    // The payment code is both the name (163/165) and the code (164/166): FIS has only codes.
    line.put(C::JournalPayerPaymentTypeName, payer.clone());
    line.put(C::JournalPayerPaymentCodeName, payer);
    line.put(C::JournalPayeePaymentTypeName, payee.clone());
    line.put(C::JournalPayeePaymentCodeName, payee);
    line.put(C::JournalDebitOrCredit, sign_side(gross));
    line.put(C::JournalAmount, gross_text.unwrap_or_else(|| money(gross)));
    Ok(gross)
}

/// One `journalData` item of a cash advance: its index, its JSON, and the line read from it.
pub type CaItem<'a> = (
    usize,
    &'a RawValue,
    Result<CaJournal<'a>, UnreadableJournal>,
);

/// The rows of a cash-advance document: one per `journalData` line, outside any report
/// (journal `CA-<cashAdvanceId>`), each with the advance's columns (`Map::advance`).
pub fn cash_advance<'a>(
    employee: Option<&Employee<'a>>,
    data: Option<&CaData<'a>>,
    journal: &[CaItem<'a>],
    place: &Place<'_>,
) -> Mapped<'a> {
    let mut m = Map::new(place);
    let path = place.path.as_str();
    let mut base = SaeLine::default();
    if let Some(e) = employee {
        m.employee(e, &format!("{path}.employeeData"), &mut base);
    }
    let Some(d) = data else {
        let why = m.problem(
            Check::FisMissing,
            place.doc_at,
            format!("{path}.cashAdvanceData: missing"),
        );
        m.hold(why);
        return m.out;
    };
    m.advance(d, path, &mut base);
    if journal.is_empty() {
        let why = m.problem(
            Check::FisMissing,
            place.doc_at,
            format!("{path}.journalData: missing or empty (the advance's postings)"),
        );
        m.hold(why);
    }
    let base = base.freeze();
    for (seq, (ji, raw, j)) in journal.iter().enumerate() {
        let jpath = JsonPath::item(&path, "journalData", *ji);
        let at = place.offset(raw);
        let mut l = base.clone();
        l.put(C::SequenceNumber, number(seq + 1));
        l.put(C::JournalKey, number(seq + 1));
        match j {
            Ok(j) => m.advance_journal(j, &jpath, at, l),
            Err(why) => m.reject(l, at, why.to_string()),
        }
    }
    m.out
}

impl<'a> Map<'_, 'a> {
    /// The columns of the advance itself (`cashAdvanceData`), which all its rows share: its
    /// key, amounts, currency (the journal's), dates and transaction type.
    fn advance(&mut self, d: &CaData<'a>, path: &str, base: &mut SaeLine<'a>) {
        let doc_at = self.place.doc_at;
        let p = |k: &str| format!("{path}.cashAdvanceData.{k}");
        match self.required_text(d.id, doc_at, || p("cashAdvanceId")) {
            Ok(id) => base.put(C::CashAdvanceKey, id),
            Err(why) => self.hold(why),
        }
        base.set(C::CashAdvanceName, self.text(d.name, || p("name")));
        if let Ok(Some(a)) = self.amount(d.request_amount, || p("requestAmount")) {
            base.put(C::CashAdvanceRequestAmount, money(a));
        }
        base.set(
            C::CashAdvanceRequestCurrencyAlphaCode,
            self.text(d.currency, || p("currencyAlphaCode")),
        );
        base.set(
            C::CashAdvanceRequestCurrencyNumericCode,
            self.text(d.currency_num, || p("currencyNumCode")),
        );
        base.set(
            C::CashAdvanceExchangeRate,
            self.text(d.rate, || p("exchangeRate")),
        );
        let currency = self
            .text(d.employee_currency, || p("employeeCurrencyAlphaCode"))
            .or_else(|| self.text(d.currency, || p("currencyAlphaCode")));
        match currency {
            Some(c) => {
                base.put(C::CashAdvanceCurrencyAlphaCode, c.clone());
                base.put(C::EmployeeDefaultCurrencyAlphaCode, c);
            }
            None => {
                let why = self.problem(
                    Check::FisMissing,
                    doc_at,
                    format!(
                        "{}: missing (the journal's currency)",
                        p("employeeCurrencyAlphaCode")
                    ),
                );
                self.hold(why);
            }
        }
        let issued = self.date(d.issued, || p("issuedDate"));
        base.set(
            C::BatchDate,
            issued
                .clone()
                .or_else(|| self.date(d.requested, || p("requestDate"))),
        );
        base.set(C::CashAdvanceIssuedDate, issued);
        base.set(
            C::CashAdvanceRequestDate,
            self.date(d.requested, || p("requestDate")),
        );
        base.set(
            C::RequestedDisbursementDate,
            self.date(d.disbursement, || p("requestedDisbursementDate")),
        );
        base.set(
            C::CashAdvancePaymentMethod,
            self.text(d.payment_method, || p("paymentMethod")),
        );
        base.set(
            C::TravelRequestStartDate,
            self.date(d.travel_start, || p("travelStartDate")),
        );
        base.set(
            C::TravelRequestEndDate,
            self.date(d.travel_end, || p("travelEndDate")),
        );
        let ty = self.text(d.transaction_type, || p("transactionType"));
        base.put(
            C::CashAdvanceTransactionType,
            ty.unwrap_or(Cow::Borrowed("1")),
        );
    }

    /// One `journalData` line (`jpath`) of an advance: payer, payee and amount, on the side
    /// its `debitOrCredit` says (by the amount's sign when it says nothing).
    fn advance_journal(
        &mut self,
        j: &CaJournal<'a>,
        jpath: &JsonPath<'_>,
        at: usize,
        mut l: SaeLine<'a>,
    ) {
        let payer = self.required_text(j.payer, at, || format!("{jpath}.payer"));
        let payee = self.required_text(j.payee, at, || format!("{jpath}.payee"));
        let amount = self.required_amount(j.amount, at, || format!("{jpath}.amount"));
        l.set(
            C::JournalAccountCode,
            self.text(j.account, || format!("{jpath}.accountCode")),
        );
        l.set(
            C::CashAdvancePaymentCodeName,
            self.text(j.payment_code, || format!("{jpath}.paymentCode")),
        );
        let dr_cr = self.text(j.dr_cr, || format!("{jpath}.debitOrCredit"));
        let (payer, payee, amount) = match (payer, payee, amount) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(w), _, _) | (_, Err(w), _) | (_, _, Err(w)) => {
                self.reject(l, at, w);
                return;
            }
        };
        let side = match dr_cr.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None => sign_side(amount),
            Some("DR") if !amount.is_sign_negative() || amount.is_zero() => "DR",
            Some("CR") if amount.is_sign_negative() || amount.is_zero() => "CR",
            // An unsigned credit ("not an absolute value", but examples vary).
            Some("CR") => "CR",
            Some(other) => {
                let why = self.problem(
                    Check::FisBadValue,
                    at,
                    format!("{jpath}.debitOrCredit: `{other}` disagrees with the amount {amount} (or is neither DR nor CR)"),
                );
                self.reject(l, at, why);
                return;
            }
        };
        let signed = if side == "CR" {
            -amount.abs()
        } else {
            amount.abs()
        };
        l.put(C::JournalPayerPaymentTypeName, payer.clone());
        l.put(C::JournalPayerPaymentCodeName, payer);
        l.put(C::JournalPayeePaymentTypeName, payee.clone());
        l.put(C::JournalPayeePaymentCodeName, payee);
        l.put(C::JournalDebitOrCredit, side);
        l.put(C::JournalAmount, money(signed));
        self.push(l, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_decimal_is_exactly_what_money_writes() {
        let cases = [
            "0",
            "-0",
            "0.0",
            "-0.00",
            "12.5",
            "12.50",
            "-12.5",
            "100",
            "007",
            "0.05",
            "-0.05",
            "1.",
            ".5",
            "1e2",
            "+3",
            "12.3.4",
            "",
            "-",
            "1234567890123456789012345678",
            "1234567890.123456789012345678",
            "0.12345678901234567890123456789",
            "9.000001",
        ];
        for t in cases {
            let Some(d) = json::parse_decimal(t) else {
                assert!(!is_normal_decimal(t), "{t} does not parse, yet is normal");
                continue;
            };
            assert_eq!(
                is_normal_decimal(t),
                money(d) == t,
                "{t}: money writes {}",
                money(d)
            );
        }
        assert!(is_normal_decimal("-12.5") && is_normal_decimal("0.05"));
        assert!(!is_normal_decimal("12.50") && !is_normal_decimal("-0"));
    }
}

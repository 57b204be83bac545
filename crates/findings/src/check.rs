//! The registry of checks: every check Ledgerline performs, with its number, default
//! severity and title, and the family prefix that turns it into a stable code (`SAE110`).
//! The table is the single source of the finding codes the README documents.

use serde::Serialize;
use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// Suspicious; posting can go ahead after a look.
    Warning,
    /// Wrong; do not post until fixed.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Which family a code belongs to; it becomes the code's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Family {
    /// Reading the input at all (`IO`).
    Io,
    /// Zip archives (`ZIP`).
    Zip,
    /// Text encoding (`ENC`).
    Enc,
    /// Splitting and quoting (`SPL`).
    Spl,
    /// SAE files (`SAE`).
    Sae,
    /// PRAE files (`PRA`).
    Prae,
    /// Payment-batch files (`BAT`).
    Batch,
    /// Attendee extracts (`ATT`).
    Attendee,
    /// Journals built from an extract (`JNL`); used by `ledgerline-journal`.
    Journal,
    /// ERP master data sent to Concur (`SYN`); used by `ledgerline-sync`.
    Sync,
    /// Financial Integration Service documents (`FIS`); used by `ledgerline-fis`.
    Fis,
}

impl Family {
    /// The three-letter prefix of codes in this family.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Io => "IO",
            Family::Zip => "ZIP",
            Family::Enc => "ENC",
            Family::Spl => "SPL",
            Family::Sae => "SAE",
            Family::Prae => "PRA",
            Family::Batch => "BAT",
            Family::Attendee => "ATT",
            Family::Journal => "JNL",
            Family::Sync => "SYN",
            Family::Fis => "FIS",
        }
    }
}

macro_rules! checks {
    ($( $(#[$m:meta])* $name:ident = $num:literal, $sev:ident, $title:literal; )*) => {
        /// Every check the readers and validators perform. A check has a number, a default
        /// severity and a one-line title; with a [`Family`] it forms a stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Check { $( $(#[$m])* $name, )* }
        impl Check {
            /// Every check, for documentation.
            pub const ALL: &'static [Check] = &[ $( Check::$name, )* ];
            /// The check's number (the digits of its code).
            pub fn number(self) -> u16 { match self { $( Check::$name => $num, )* } }
            /// Default severity.
            pub fn severity(self) -> Severity { match self { $( Check::$name => Severity::$sev, )* } }
            /// One-line description.
            pub fn title(self) -> &'static str { match self { $( Check::$name => $title, )* } }
        }
    };
}

checks! {
    /// The input could not be read.
    Unreadable = 1, Error, "input could not be read";
    /// The content is not a known extract.
    UnknownKind = 2, Error, "not a recognised Concur extract";
    /// The input is empty.
    EmptyFile = 3, Error, "file is empty";
    /// A line is unreasonably long.
    LineTooLong = 4, Error, "line too long";
    /// The input is one of Ledgerline's own outputs.
    LedgerlineOutput = 5, Error, "a Ledgerline output, not a Concur extract";
    /// The same bytes as an earlier input of the run.
    DuplicateInput = 7, Error, "input has the same content as an earlier input";
    /// The archive is corrupt.
    BadArchive = 10, Error, "zip archive cannot be read";
    /// Inflated size over the limit.
    ArchiveTooLarge = 11, Error, "zip inflates beyond the size limit";
    /// Compression ratio over the limit.
    ArchiveRatio = 12, Error, "zip entry compression ratio beyond the limit";
    /// An entry was not read.
    ArchiveEntrySkipped = 13, Warning, "zip entry not read";
    /// Bytes that are not UTF-8.
    NotUtf8 = 20, Warning, "bytes are not UTF-8; read as Windows-1252";
    /// Control characters in a value.
    ControlChar = 21, Warning, "control character in a value";
    /// Tab characters in a value.
    TabChar = 22, Info, "tab character in a value";
    /// A quoted field never closes.
    UnterminatedQuote = 30, Error, "quoted value not closed before the end of the line";
    /// A quote inside a quoted value that is not doubled.
    StrayQuote = 31, Warning, "quote inside a quoted value is not doubled";
    /// An unquoted value ends in a quote.
    QuoteAtFieldEnd = 32, Warning, "value ends with a quote that opens nowhere";
    /// The last line has no terminator.
    UnterminatedLine = 33, Warning, "last line has no line terminator (truncated file?)";
    /// A blank line.
    BlankLine = 34, Warning, "blank line";
    /// No header line first.
    HeaderMissing = 101, Error, "first line is not the EXTRACT header";
    /// A second header.
    HeaderRepeated = 102, Error, "EXTRACT header appears more than once";
    /// Header with the wrong number of fields.
    HeaderFieldCount = 103, Error, "EXTRACT header has the wrong number of fields";
    /// A line that is neither header nor detail.
    UnknownRecord = 104, Error, "line is neither EXTRACT nor DETAIL";
    /// No detail rows.
    NoDetails = 105, Info, "extract has no detail rows";
    /// Header count differs from rows.
    RecordCount = 110, Error, "record count in header differs from the number of detail rows";
    /// Header total differs from the sum of amounts.
    JournalTotal = 111, Error, "journal amount total in header differs from the sum of journal amounts";
    /// Row batch id differs from header.
    BatchIdMismatch = 112, Error, "batch id differs from the header";
    /// Row batch date differs from header.
    BatchDateMismatch = 113, Error, "batch date differs from the header";
    /// Wrong number of fields on a row.
    FieldCount = 120, Error, "detail row has the wrong number of fields";
    /// Older layout with fewer columns.
    OlderLayout = 121, Warning, "older layout with fewer columns than the current specification";
    /// Rows too short to carry the report totals (columns 319/320).
    NotReconciled = 122, Warning, "rows lack columns 319/320: journals cannot be reconciled with Concur's report totals";
    /// Bad date.
    BadDate = 130, Error, "invalid date";
    /// Bad number.
    BadNumber = 131, Error, "invalid number";
    /// Too many decimals.
    TooManyDecimals = 132, Error, "more than 8 decimal places";
    /// Bad Y/N flag.
    BadFlag = 133, Warning, "flag is neither Y nor N";
    /// Bad DR/CR.
    BadDebitCredit = 134, Error, "debit/credit indicator is neither DR nor CR";
    /// DR/CR disagrees with amount sign.
    SignMismatch = 135, Error, "debit/credit indicator disagrees with the sign of the amount";
    /// Unknown currency.
    BadCurrency = 136, Error, "not an ISO 4217 currency code";
    /// Value longer than the specification allows.
    TooLong = 137, Warning, "value longer than the specification allows";
    /// Required value missing.
    RequiredEmpty = 138, Error, "required value is empty";
    /// Bad country code.
    BadCountry = 139, Warning, "not a two-letter country code";
    /// Value in a reserved column.
    ReservedNotEmpty = 140, Info, "value in a column reserved for future use";
    /// Dates written as a spreadsheet shows them (`3/28/2024`): the file was saved again.
    SpreadsheetDates = 141, Warning, "dates written as a spreadsheet shows them: the file was probably opened and saved again by one";
    /// Report-level field differs within a report.
    ReportInconsistent = 150, Error, "report-level value differs between lines of the same report";
    /// Duplicate sequence number.
    DuplicateSequence = 151, Error, "sequence number used twice";
    /// Report lines not contiguous.
    ReportNotContiguous = 152, Warning, "lines of one report are not contiguous";
    /// Required batch column missing.
    BatchColumnMissing = 160, Error, "payment-batch file lacks a column the mapping requires";
    /// Batch file without header and without index mapping.
    BatchNoHeader = 161, Error, "payment-batch file has no header row and the mapping gives no column numbers";
    /// Attendee extract.
    AttendeeExtract = 170, Info, "Standard Attendee Detail extract: carries no postings";
    /// A file first read as an attendee extract has a posting row.
    AttendeeHasPostings = 171, Error, "a posting row in a file read as an attendee extract: an SAE with damaged first rows";
    /// Classification failed (journal crate).
    Unclassified = 201, Error, "line fits no posting kind";
    /// Reconciliation failed (journal crate).
    Reconciliation = 202, Error, "journal does not reconcile with Concur's report totals";
    /// Journal does not balance (journal crate).
    Unbalanced = 203, Error, "journal does not balance";
    /// Rules problem (journal crate).
    Rules = 204, Error, "rules file cannot be applied";
    /// A line deliberately not posted (journal crate).
    NotPosted = 205, Info, "line deliberately not posted";
    /// An account the target ERP does not know (`--accounts`).
    UnknownAccount = 206, Error, "account is not in the accounts file";
    /// A dimension value the target ERP does not accept on that account (`--accounts`).
    UnknownDimensionValue = 207, Error, "dimension value is not accepted for the account";
    /// A journal the run ledger records as posted already (`convert --ledger`).
    AlreadyPosted = 208, Warning, "journal already posted: skipped";
    /// A posted report re-extracted with different lines or amounts (`convert --ledger`).
    PostedDifferently = 209, Error, "report already posted with different amounts";
    /// The same journal (report) from two inputs of one run.
    DuplicateInRun = 210, Error, "journal already in this run from another input";
    /// Every payment type of a file the rules do not know, with a section to paste.
    UnknownPaymentTypes = 211, Warning, "payment types the rules do not know, with a [payment_types] section to paste";
    /// A master-data row without its key or a value Concur requires (`ledgerline sync`).
    SyncMissingValue = 301, Error, "key or required value is empty";
    /// The same natural key twice in one master-data input.
    SyncDuplicateKey = 302, Error, "natural key appears twice in the input";
    /// A list item code with `-`, which Concur reads as its level separator.
    SyncHyphen = 303, Error, "code contains a hyphen, Concur's level separator";
    /// A list item deeper than the Concur list's levels.
    SyncTooDeep = 304, Error, "level deeper than the list allows";
    /// A country or currency code that is not an ISO code (`ledgerline sync` vendors, POs).
    SyncBadCode = 305, Error, "country or currency code is not an ISO code";
    /// An amount, quantity or date Concur cannot read.
    SyncBadValue = 306, Error, "amount, quantity or date Concur cannot read";
    /// A value longer than Concur accepts.
    SyncTooLong = 307, Error, "value longer than Concur accepts";
    /// The mapping names a column the input lacks.
    SyncMissingColumn = 308, Error, "input lacks a column the mapping names";
    /// A list item code deleted in Concur: it stays reserved.
    SyncReservedCode = 309, Warning, "code belongs to an item deleted in Concur and stays reserved";
    /// A list item whose parent is neither in the input nor in Concur.
    SyncNoParent = 310, Error, "parent item is neither in the input nor in Concur";
    /// Concur refused a record.
    SyncRejected = 311, Error, "Concur refused the record";
    /// One list item given two names in the input.
    SyncConflictingName = 312, Warning, "item given different names in the input";
    /// A purchase order whose VendorCode + VendorAddressCode Concur does not have.
    SyncUnknownVendor = 313, Error, "purchase order names a vendor Concur does not have";
    /// A purchase-order line that breaks a documented Purchase Order v3 rule.
    SyncPoRule = 314, Error, "purchase-order line breaks a documented Purchase Order rule";
    /// A receipt for a purchase order or line Concur does not have.
    SyncUnknownPoLine = 315, Error, "receipt names a purchase order or line Concur does not have";
    /// Rows of one purchase order that disagree on its header.
    SyncHeaderDiffers = 316, Warning, "rows of one purchase order disagree on its header";
    /// A FIS input that is not valid JSON (cut short, joined or damaged).
    FisSyntax = 401, Error, "not valid JSON: the FIS input is cut short or damaged";
    /// A JSON value that is no FIS document, list of documents or GET page.
    FisShape = 402, Error, "JSON that is no FIS document, list or page";
    /// A field a posting needs is absent, null or empty.
    FisMissing = 403, Error, "required FIS field is missing";
    /// A field holds the wrong type or a value that cannot be read.
    FisBadValue = 404, Error, "FIS value has the wrong type or cannot be read";
    /// The document's lines do not add up to its own totals.
    FisTotals = 405, Error, "FIS document does not add up to its own totals";
    /// A document type (payroll, obligations) that gives no journal here.
    FisDocType = 406, Warning, "FIS document type that Ledgerline does not convert";
    /// A document already confirmed, paid or recalled in Concur, or a status Ledgerline does
    /// not know.
    FisStatus = 407, Warning, "FIS document status is not READY or ACKNOWLEDGED";
    /// The same document, or two documents of one report, in one input.
    FisDuplicate = 408, Error, "the same FIS document or report twice in one input";
}

impl Check {
    /// Whether this finding makes the file itself untrustworthy (a header whose record
    /// count or total does not match, a missing, malformed or repeated header, records of
    /// another batch): the file was cut short, joined or damaged, so no report in it can be
    /// trusted, and `convert --force` refuses it instead of posting the rest. The fix is
    /// to fetch the file again.
    pub fn untrustworthy_file(self) -> bool {
        matches!(
            self,
            Check::HeaderMissing
                | Check::HeaderRepeated
                | Check::HeaderFieldCount
                | Check::RecordCount
                | Check::JournalTotal
                | Check::BatchIdMismatch
                | Check::BatchDateMismatch
                | Check::LineTooLong
                | Check::FisSyntax
        )
    }
}

/// A stable finding code such as `SAE110`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    /// Prefix family.
    pub family: Family,
    /// The check.
    pub check: Check,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:03}", self.family.prefix(), self.check.number())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_has_its_own_number_and_a_title() {
        let mut seen = std::collections::HashSet::new();
        for c in Check::ALL {
            assert!(
                seen.insert(c.number()),
                "{c:?}: number {} twice",
                c.number()
            );
            assert!(!c.title().is_empty(), "{c:?}");
        }
    }

    #[test]
    fn codes_are_the_prefix_and_three_digits() {
        let code = |family, check| Code { family, check }.to_string();
        assert_eq!(code(Family::Io, Check::EmptyFile), "IO003");
        assert_eq!(code(Family::Sae, Check::RecordCount), "SAE110");
        assert_eq!(code(Family::Prae, Check::BadDate), "PRA130");
        assert_eq!(code(Family::Journal, Check::Unbalanced), "JNL203");
        assert_eq!(code(Family::Fis, Check::FisMissing), "FIS403");
        assert_eq!(
            serde_json::to_string(&Code {
                family: Family::Batch,
                check: Check::BadNumber
            })
            .unwrap(),
            "\"BAT131\""
        );
        assert_eq!(
            serde_json::to_string(&Severity::Warning).unwrap(),
            "\"warning\""
        );
    }

    #[test]
    fn only_damage_to_the_file_itself_makes_it_untrustworthy() {
        assert!(Check::RecordCount.untrustworthy_file());
        assert!(Check::LineTooLong.untrustworthy_file());
        assert!(Check::FisSyntax.untrustworthy_file());
        assert!(!Check::FisMissing.untrustworthy_file());
        assert!(!Check::BadDate.untrustworthy_file());
        assert!(!Check::Unbalanced.untrustworthy_file());
    }
}

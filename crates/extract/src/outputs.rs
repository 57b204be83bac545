//! Ledgerline's own output formats, recognised by their first lines so that an earlier
//! output lying next to an extract (`convert DIR`) is refused instead of posted again.
//!
//! The writers live in `ledgerline-erp`, which depends on this crate, so the signatures are
//! repeated here; an end-to-end test checks every format's real output against them.

use crate::batch::detect_delimiter;
use crate::split::{Dialect, FieldSpan, Record, split_line};

/// Header rows of the delimited formats: (format name, leading column names). Columns after
/// these (custom columns, dimensions, currency) may follow.
const HEADERS: &[(&str, &[&str])] = &[
    (
        "csv",
        &[
            "journal_id",
            "date",
            "line",
            "account",
            "debit",
            "credit",
            "currency",
            "kind",
            "counterparty",
            "employee_id",
            "report_id",
            "report_key",
            "memo",
        ],
    ),
    (
        "netsuite",
        &[
            "External ID",
            "Date",
            "Subsidiary",
            "Currency",
            "Memo",
            "Account",
            "Debit",
            "Credit",
            "Line Memo",
        ],
    ),
    (
        "d365",
        &[
            "JOURNALNAME",
            "DESCRIPTION",
            "JOURNALBATCHNUMBER",
            "LINENUMBER",
            "ACCOUNTTYPE",
            "ACCOUNTDISPLAYVALUE",
            "TRANSDATE",
            "VOUCHER",
        ],
    ),
    (
        "qbo",
        &[
            "Journal No.",
            "Journal Date",
            "Account Name",
            "Debits",
            "Credits",
            "Description",
        ],
    ),
    (
        "xero",
        &[
            "*Narration",
            "*Date",
            "Description",
            "*AccountCode",
            "*TaxRate",
            "*Amount",
        ],
    ),
    (
        "intacct",
        &[
            "DONOTIMPORT",
            "JOURNAL",
            "DATE",
            "DESCRIPTION",
            "REFERENCE_NO",
            "LINE_NO",
            "ACCT_NO",
        ],
    ),
    ("iif", &["!TRNS", "TRNSID", "TRNSTYPE", "DATE", "ACCNT"]),
];

/// What else a file in `format` may be, for formats other tools write too (appended to the
/// refusal).
pub fn note(format: &str) -> &'static str {
    match format {
        "iif" => {
            " (an IIF file may also be the QuickBooks file of a Standard Edition payment batch; convert that batch's GL CSV file instead)"
        }
        "parquet" => " (Concur never sends Parquet files)",
        _ => "",
    }
}

/// Fewest fields of an Oracle FBDI GL_INTERFACE row (its known positions end at 95).
const ORACLE_MIN_COLUMNS: usize = 95;

fn is_date(b: &[u8], sep: u8) -> bool {
    b.len() == 10
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == sep,
            _ => c.is_ascii_digit(),
        })
}

/// Which Ledgerline output format `first` (the first non-blank line, without terminator or
/// byte-order mark) and `second` (the next line, if known) are, if any.
///
/// `whole` is the start of the input (for binary signatures).
pub fn recognise(whole: &[u8], first: &[u8], second: Option<&[u8]>) -> Option<&'static str> {
    if whole.starts_with(b"PAR1") {
        return Some("parquet");
    }
    if first.starts_with(b"{\"journal_id\":") {
        return Some("jsonl");
    }
    if first.starts_with(b"<?xml") || first.starts_with(b"<ACC_DOCUMENT03") {
        let idoc = first.windows(15).any(|w| w == b"<ACC_DOCUMENT03")
            || second.is_some_and(|s| s.trim_ascii_start().starts_with(b"<ACC_DOCUMENT03"));
        return idoc.then_some("sap-idoc");
    }
    if let Some(rest) = first.strip_prefix(b"account ")
        && !rest.trim_ascii().is_empty()
    {
        return Some("hledger");
    }
    if first.len() > 11 && is_date(&first[..10], b'-') && first[10] == b' ' {
        let rest = &first[11..];
        if rest.starts_with(b"open ") || rest.starts_with(b"* \"") {
            return Some("beancount");
        }
        if rest.starts_with(b"* (") {
            return Some("hledger");
        }
    }
    let delimiter = detect_delimiter(first);
    let dialect = Dialect {
        delimiter,
        quote: Some(b'"'),
    };
    let mut spans: Vec<FieldSpan> = Vec::new();
    let flags = split_line(first, dialect, &mut spans);
    let rec = Record::new(first, &spans, crate::Position::default(), flags);
    let fields: Vec<Vec<u8>> = rec
        .fields()
        .map(|f| f.bytes().trim_ascii().to_vec())
        .collect();
    // SAP's upload template opens with its title row (Ledgerline writes
    // `Upload General Journal Entries`); older Ledgerline files with a lone `Header` cell.
    if fields
        .first()
        .is_some_and(|f| f == b"Upload General Journal Entries")
        && fields[1..].iter().all(|f| f.is_empty())
    {
        return Some("sap");
    }
    if fields.first().is_some_and(|f| f == b"Header") && fields[1..].iter().all(|f| f.is_empty()) {
        return Some("sap");
    }
    for (format, names) in HEADERS {
        let hit = fields.len() >= names.len()
            && names
                .iter()
                .zip(&fields)
                .all(|(n, f)| f.eq_ignore_ascii_case(n.as_bytes()));
        if hit {
            return Some(format);
        }
    }
    // Oracle's GL_INTERFACE rows have no header: STATUS `NEW`, a ledger id, a date.
    if fields.len() >= ORACLE_MIN_COLUMNS
        && fields[0] == b"NEW"
        && fields[1].iter().all(u8::is_ascii_digit)
        && is_date(&fields[2], b'/')
    {
        return Some("oracle-fbdi");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (first line, second line, format).
    type Case = (&'static [u8], Option<&'static [u8]>, Option<&'static str>);

    #[test]
    fn each_format_is_recognised_and_extracts_are_not() {
        let cases: &[Case] = &[
            (b"{\"journal_id\":\"R1\",\"date\":\"2019-06-30\"}", None, Some("jsonl")),
            (b"journal_id,date,line,account,debit,credit,currency,kind,counterparty,employee_id,report_id,report_key,memo,dimensions,source_file,source_lines", None, Some("csv")),
            (b"External ID;Date;Subsidiary;Currency;Memo;Account;Debit;Credit;Line Memo;Name;Department;Class;Location;Custom", None, Some("netsuite")),
            (b"JOURNALNAME,DESCRIPTION,JOURNALBATCHNUMBER,LINENUMBER,ACCOUNTTYPE,ACCOUNTDISPLAYVALUE,TRANSDATE,VOUCHER,CURRENCYCODE", None, Some("d365")),
            (b"Journal No.,Journal Date,Account Name,Debits,Credits,Description,Name,Location,Class,Currency", None, Some("qbo")),
            (b"*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1", None, Some("xero")),
            (b"DONOTIMPORT,JOURNAL,DATE,DESCRIPTION,REFERENCE_NO,LINE_NO,ACCT_NO,DEPT_ID,DOCUMENT", None, Some("intacct")),
            (b"!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME", None, Some("iif")),
            (b"Header", Some(b",BUKRS,BLART"), Some("sap")),
            (b"Header;;", None, Some("sap")),
            (b"Upload General Journal Entries", Some(b"// Written by Ledgerline"), Some("sap")),
            (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>", Some(b"<ACC_DOCUMENT03>"), Some("sap-idoc")),
            (b"<?xml version=\"1.0\"?>", Some(b"<Report>"), None),
            (b"account Expenses:474230", None, Some("hledger")),
            (b"2019-06-30 * (RPT-1) Doe, Jane | oop cash", None, Some("hledger")),
            (b"1970-01-01 open Expenses:474230", None, Some("beancount")),
            (b"EXTRACT|2024-03-28|3|392.6000|7", None, None),
            (b"Employee ID,Claim ID,Account Code,Alpha Code,Tax Adjusted Posted Amount", None, None),
            (b"Date,Account,Debit,Credit", None, None),
        ];
        for &(first, second, want) in cases {
            assert_eq!(
                recognise(first, first, second),
                want,
                "{}",
                String::from_utf8_lossy(first)
            );
        }
        let mut oracle = b"NEW,300000001234,2019/06/30,Spreadsheet,Adjustment,USD".to_vec();
        oracle.extend(std::iter::repeat_n(b',', 100));
        assert_eq!(recognise(&oracle, &oracle, None), Some("oracle-fbdi"));
        assert_eq!(
            recognise(b"PAR1\x15\x04", b"PAR1\x15\x04", None),
            Some("parquet")
        );
    }
}

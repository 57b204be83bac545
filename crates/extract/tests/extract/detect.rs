//! The kind of an input comes from evidence, never from its first line alone
//! (fixtures/detect/, written by fixtures/make_fixtures.py): damaged first rows, blank lines,
//! repeated headers and unknown records before the first real row leave an SAE an SAE; the
//! same bytes give the same kind and findings however they arrive; Ledgerline's own outputs
//! are refused as inputs.

use crate::common::{fixture_path, has, read_fixture as read, summary, validate};
use ledgerline_extract::validate::{ValidateOptions, validate_reader};
use ledgerline_findings::Severity;
use std::io::Read;

/// A reader handing out its bytes in the given chunk sizes, cycling.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [usize],
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes[self.i % self.sizes.len()];
        self.i += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A 400-field SAE detail row like the fixtures' (DR in column 168).
fn sae_row(seq: u32) -> String {
    let mut f = vec![String::new(); 400];
    let mut s = |col: usize, v: &str| f[col - 1] = v.to_owned();
    s(1, "DETAIL");
    s(2, "7");
    s(3, "2024-03-28");
    s(4, &seq.to_string());
    s(5, "E100");
    s(19, "R1");
    s(22, "USD");
    s(163, "Company");
    s(165, "Employee");
    s(167, "60300");
    s(168, "DR");
    s(169, "+10.0000");
    f.join("|")
}

/// An attendee-like row: 60 fields, no DR/CR, padded to about `len` bytes.
fn attendee_row(seq: u32, len: usize) -> String {
    let mut f = vec![String::new(); 60];
    f[0] = "DETAIL".into();
    f[1] = "7".into();
    f[2] = "2024-03-28".into();
    f[3] = seq.to_string();
    f[4] = "E100".into();
    f[40] = "Dr. A. Attendee ".repeat(len / 16);
    f.join("|")
}

#[test]
fn damaged_starts_of_an_sae_are_findings_not_an_attendee_extract() {
    // (fixture, code, line, severity)
    let cases: &[(&str, &str, u64, Severity)] = &[
        ("first_row_truncated.txt", "SAE120", 2, Severity::Error),
        ("blank_after_header.txt", "SPL034", 2, Severity::Warning),
        ("repeated_header_first.txt", "SAE102", 2, Severity::Error),
        ("unknown_record_first.txt", "SAE104", 2, Severity::Error),
        ("lone_detail_first.txt", "SAE120", 2, Severity::Error),
        ("bad_quote_first.txt", "SAE120", 2, Severity::Error),
        ("cut_in_first_row.txt", "SPL033", 2, Severity::Warning),
        ("cut_in_first_row.txt", "SAE120", 2, Severity::Error),
        ("cut_in_first_row.txt", "SAE110", 1, Severity::Error),
    ];
    let mut failures = Vec::new();
    for &(file, code, line, severity) in cases {
        let r = validate(file, &read(&format!("detect/{file}")));
        if r.kind != Some("SAE") || !has(&r, code, Some(line), severity) {
            failures.push(format!(
                "{file}: want SAE with {code}@{line} ({severity:?})\n{}",
                summary(&r)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // Every intact row is still read: 2 of the 3 reports' rows survive a damaged first row.
    let r = validate("t", &read("detect/first_row_truncated.txt"));
    assert_eq!((r.rows, r.reports), (3, 2), "{}", summary(&r));
    // A row too short to carry the report totals says its report cannot be reconciled.
    let f = r
        .findings
        .items()
        .iter()
        .find(|f| f.code.to_string() == "SAE120")
        .unwrap();
    assert!(f.message.contains("cannot be reconciled"), "{}", f.message);
    assert!(f.message.contains("column 319"), "{}", f.message);
    let r = validate("t", &read("detect/blank_after_header.txt"));
    assert_eq!(r.findings.errors(), 0, "{}", summary(&r));
    assert_eq!((r.rows, r.reports), (3, 2), "{}", summary(&r));
}

#[test]
fn a_first_row_longer_than_64_kib_does_not_change_the_kind() {
    let bytes = read("detect/first_row_long.txt");
    assert!(bytes.iter().position(|&b| b == b'\n').unwrap() < 100);
    let r = validate("long", &bytes);
    assert_eq!(r.kind, Some("SAE"), "{}", summary(&r));
    assert_eq!((r.rows, r.reports), (3, 2), "{}", summary(&r));
    assert_eq!(r.findings.errors(), 0, "{}", summary(&r));
}

#[test]
fn the_same_bytes_give_the_same_kind_and_findings_however_they_arrive() {
    let mut inputs: Vec<(String, Vec<u8>)> = [
        "detect/first_row_truncated.txt",
        "detect/first_row_long.txt",
        "detect/blank_after_header.txt",
        "detect/repeated_header_first.txt",
        "detect/unknown_record_first.txt",
        "detect/lone_detail_first.txt",
        "detect/bad_quote_first.txt",
        "detect/cut_in_first_row.txt",
        "detect/single_row_cut_185.txt",
        "detect/attendee_then_postings.txt",
        "validate/attendee.txt",
        "validate/good.txt",
        "validate/good_bom_crlf.txt",
        "validate/batch/good.csv",
        "golden/oop_cash.netsuite.csv",
    ]
    .iter()
    .map(|f| (f.to_string(), read(f)))
    .collect();
    // Every failure-mode fixture too.
    for sub in ["validate", "validate/prae", "validate/batch"] {
        for e in std::fs::read_dir(fixture_path(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let rel = format!("{sub}/{}", p.file_name().unwrap().to_str().unwrap());
                let bytes = read(&rel);
                inputs.push((rel, bytes));
            }
        }
    }
    // An attendee-looking start longer than the detection window, then posting rows.
    let mut late = String::from("EXTRACT|2024-03-28|72|20.0000|7\n");
    for i in 1..=70 {
        late.push_str(&attendee_row(i, 1200));
        late.push('\n');
    }
    late.push_str(&sae_row(71));
    late.push('\n');
    late.push_str(&sae_row(72));
    late.push('\n');
    inputs.push(("late posting".into(), late.into_bytes()));
    // A zip signature is found in the first 4 bytes, with no line feed to wait for.
    inputs.push((
        "nested zip".into(),
        b"PK\x03\x04\x14\x00\x00\x00garbage".to_vec(),
    ));
    // An earlier output with a byte-order mark and CRLF line ends.
    let mut ns = b"\xEF\xBB\xBF".to_vec();
    ns.extend_from_slice(
        &read("golden/oop_cash.netsuite.csv")
            .split(|&b| b == b'\n')
            .collect::<Vec<_>>()
            .join(&b"\r\n"[..]),
    );
    inputs.push(("netsuite with BOM and CRLF".into(), ns));
    let (_, ns) = inputs.last().unwrap();
    let r = validate("ns", ns);
    assert!(has(&r, "IO005", None, Severity::Error), "{}", summary(&r));
    let sizes: &[&[usize]] = &[&[1], &[7], &[4093], &[1, 7, 4093, 65536, 3], &[65537]];
    for (name, bytes) in &inputs {
        let want = summary(&validate(name, bytes));
        for s in sizes {
            let reader = Chunked {
                data: bytes,
                sizes: s,
                i: 0,
            };
            let got = summary(&validate_reader(
                name,
                reader,
                &ValidateOptions::default(),
                &mut |_| {},
            ));
            assert_eq!(got, want, "{name} read in chunks of {s:?}");
        }
    }
}

#[test]
fn a_posting_row_after_attendee_looking_rows_is_an_error_at_its_line() {
    let mut text = String::from("EXTRACT|2024-03-28|71|10.0000|7\n");
    for i in 1..=70 {
        text.push_str(&attendee_row(i, 1200));
        text.push('\n');
    }
    assert!(text.len() > 70 << 10);
    text.push_str(&sae_row(71));
    text.push('\n');
    let r = validate("late.txt", text.as_bytes());
    assert!(
        has(&r, "ATT171", Some(72), Severity::Error),
        "{}",
        summary(&r)
    );
    let f = r
        .findings
        .items()
        .iter()
        .find(|f| f.code.to_string() == "ATT171")
        .unwrap();
    assert_eq!(f.column.as_ref().map(|c| c.number), Some(168));
    assert!(f.message.contains("SAE"), "{}", f.message);
    // A real attendee extract stays one, with no error.
    let r = validate("attendee.txt", &read("validate/attendee.txt"));
    assert_eq!(r.kind, Some("attendee detail"), "{}", summary(&r));
    assert_eq!(r.findings.errors(), 0, "{}", summary(&r));
}

#[test]
fn a_row_cut_short_of_a_known_layout_is_an_error_and_unreconciled_layouts_say_so() {
    let r = validate("cut", &read("detect/single_row_cut_185.txt"));
    assert_eq!(r.kind, Some("SAE"), "{}", summary(&r));
    assert!(
        has(&r, "SAE120", Some(2), Severity::Error),
        "{}",
        summary(&r)
    );
    assert!(
        has(&r, "SPL033", Some(2), Severity::Warning),
        "{}",
        summary(&r)
    );
    assert!(
        !r.findings
            .items()
            .iter()
            .any(|f| f.code.to_string() == "SAE121"),
        "{}",
        summary(&r)
    );
    // A real older layout (245 fields, every line terminated) is a warning, and says the
    // journals cannot be reconciled.
    let r = validate("older", &read("validate/older_layout.txt"));
    assert!(
        has(&r, "SAE121", Some(2), Severity::Warning),
        "{}",
        summary(&r)
    );
    assert!(
        has(&r, "SAE122", Some(2), Severity::Warning),
        "{}",
        summary(&r)
    );
    assert_eq!(r.findings.errors(), 0, "{}", summary(&r));
    let f = r
        .findings
        .items()
        .iter()
        .find(|f| f.code.to_string() == "SAE122")
        .unwrap();
    assert!(f.message.contains("reconciled"), "{}", f.message);
}

#[test]
fn a_header_without_an_amount_account_and_key_is_not_a_payment_batch() {
    let r = validate("batch_no_key.csv", &read("detect/batch_no_key.csv"));
    assert_eq!(r.kind, None, "{}", summary(&r));
    assert!(has(&r, "IO002", None, Severity::Error), "{}", summary(&r));
    let r = validate("good.csv", &read("validate/batch/good.csv"));
    assert_eq!(r.kind, Some("payment batch"), "{}", summary(&r));
}

/// (golden suffix, format name), longest suffix first.
const OUTPUTS: &[(&str, &str)] = &[
    (".netsuite.csv", "netsuite"),
    (".sap.csv", "sap"),
    (".d365.csv", "d365"),
    (".qbo.csv", "qbo"),
    (".intacct.csv", "intacct"),
    (".sap-idoc.xml", "sap-idoc"),
    (".oracle-fbdi.zip.txt", "oracle-fbdi"),
    (".xero.zip.txt", "xero"),
    (".csv", "csv"),
    (".jsonl", "jsonl"),
    (".journal", "hledger"),
    (".beancount", "beancount"),
    (".iif", "iif"),
];

#[test]
fn every_ledgerline_output_is_refused_with_its_format_named() {
    let dir = fixture_path("golden");
    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(&(_, format)) = OUTPUTS.iter().find(|(s, _)| name.ends_with(s)) else {
            continue;
        };
        let mut bytes = std::fs::read(dir.join(&name)).unwrap();
        if name.ends_with(".zip.txt") {
            // A dump of the archive: `== entry ==` lines before each entry's bytes.
            let start = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
            bytes.drain(..start);
            if let Some(end) = bytes.windows(4).position(|w| w == b"\n== ") {
                bytes.truncate(end + 1);
            }
        }
        // Empty, or a golden that records the writer's refusal (a journal in a currency the
        // format cannot carry) rather than a file it wrote.
        if bytes.is_empty() || bytes.starts_with(b"refused: ") {
            continue;
        }
        seen.insert(format);
        let r = validate(&name, &bytes);
        let hit = r
            .findings
            .items()
            .iter()
            .find(|f| f.code.to_string() == "IO005");
        match hit {
            Some(f)
                if f.severity == Severity::Error
                    && f.file == name
                    && f.message.contains(&format!("Ledgerline {format} file")) => {}
            _ => failures.push(format!(
                "{name}: want IO005 naming {format}\n{}",
                summary(&r)
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(seen.len(), OUTPUTS.len(), "{seen:?}");
}

/// The example extract with every `yyyy-MM-dd` date written `M/D/yyyy`, as a spreadsheet
/// saves it, behind a byte-order mark, still `|`-separated.
fn spreadsheet_dated_example() -> Vec<u8> {
    let text = String::from_utf8(read("example/expense-sae.txt")).unwrap();
    let mut out = String::from("\u{feff}");
    for field in text.split_inclusive(['|', '\n']) {
        let (value, end) = field.split_at(field.len() - field.ends_with(['|', '\n']) as usize);
        let parts: Vec<&str> = value.split('-').collect();
        if value.len() == 10
            && parts.len() == 3
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            let n = |p: &str| p.trim_start_matches('0').to_owned();
            out.push_str(&format!("{}/{}/{}", n(parts[1]), n(parts[2]), parts[0]));
        } else {
            out.push_str(value);
        }
        out.push_str(end);
    }
    out.into_bytes()
}

#[test]
fn dates_rewritten_by_a_spreadsheet_are_told_once_as_such() {
    let r = validate("resaved.txt", &spreadsheet_dated_example());
    let hints: Vec<_> = r
        .findings
        .items()
        .iter()
        .filter(|f| f.code.to_string() == "SAE141")
        .collect();
    assert_eq!(hints.len(), 1, "{:?}", r.findings.items());
    assert_eq!(hints[0].severity, Severity::Warning);
    assert!(
        hints[0].message.contains("`3/28/2024`"),
        "{}",
        hints[0].message
    );
    assert!(hints[0].message.contains("spreadsheet"));
    // The date errors stay (nothing is posted from such a file), but they have one cause.
    assert!(r.findings.errors() > 300);
    // A file with one wrong ISO-looking date gets no such hint.
    let mut one_bad = String::from_utf8(read("example/expense-sae.txt")).unwrap();
    one_bad = one_bad.replacen("2024-03-28", "2024-13-28", 1);
    let r = validate("one.txt", one_bad.as_bytes());
    assert!(
        r.findings
            .items()
            .iter()
            .any(|f| f.code.to_string() == "SAE130")
    );
    assert!(
        !r.findings
            .items()
            .iter()
            .any(|f| f.code.to_string() == "SAE141")
    );
}

//! Conformance over the real SAE test files of a university's production integration,
//! kept outside the repository in ../shared/samples/cornell-sae. Skipped with a notice where
//! that folder is absent (a user's fresh clone).

use crate::common::shared_dir;
use ledgerline_extract::validate::{FileReport, ValidateOptions, validate_reader};
use ledgerline_findings::Severity;
use std::path::PathBuf;

fn samples() -> Option<PathBuf> {
    shared_dir("samples/cornell-sae", "Cornell conformance")
}

fn validate(dir: &std::path::Path, name: &str) -> FileReport {
    let file = std::fs::File::open(dir.join(name)).expect("sample");
    validate_reader(name, file, &ValidateOptions::default(), &mut |_| {})
}

fn error_lines(r: &FileReport) -> Vec<u64> {
    let mut v: Vec<u64> = r
        .findings
        .items()
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.line)
        .filter(|&l| l > 1)
        .collect();
    v.dedup();
    v
}

#[test]
fn good_files_validate_without_errors() {
    let Some(dir) = samples() else { return };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.contains("Good") {
            continue;
        }
        seen += 1;
        let r = validate(&dir, &name);
        assert_eq!(r.kind, Some("SAE"), "{name}");
        assert_eq!(r.rows, 3, "{name}");
        let errors: Vec<String> = r
            .findings
            .items()
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    assert_eq!(seen, 5);
}

#[test]
fn bad_files_report_the_right_lines_without_panicking() {
    let Some(dir) = samples() else { return };
    // The unbalanced quote before `WWW.` splits line 4 into 403 fields.
    let r = validate(&dir, "extract_CES_SAE_v3_testBadQuoteFile.txt");
    assert_eq!(error_lines(&r), vec![4], "{:#?}", r.findings.items());
    // `"""1111111` opens a quoted value on line 3; line 4 has the same fault as above.
    let r = validate(&dir, "extract_CES_SAE_v3_testBadQuoteFile2.txt");
    assert_eq!(error_lines(&r), vec![3, 4], "{:#?}", r.findings.items());
}

#[test]
fn quoted_values_are_unquoted_and_stray_quotes_kept() {
    use ledgerline_extract::reader::ExtractReader;
    use ledgerline_extract::sae::SaeRow;
    use ledgerline_extract::schema::SaeCol;
    let Some(dir) = samples() else { return };
    let file =
        std::fs::File::open(dir.join("extract_CES_SAE_v3_testGoodInCellQuoteFile.txt")).unwrap();
    let mut reader = ExtractReader::new("incell", file).unwrap();
    let mut payers = Vec::new();
    while let Some(rec) = reader.next_record().unwrap() {
        if rec.field(0).unwrap().raw() == b"DETAIL" {
            payers.push(
                SaeRow::new(rec)
                    .text(SaeCol::JournalPayerPaymentTypeName)
                    .into_owned(),
            );
        }
    }
    assert!(
        payers.contains(&"User|\"Or\"|University".to_owned()),
        "{payers:?}"
    );
    let file =
        std::fs::File::open(dir.join("extract_CES_SAE_v3_testGoodFileWithCorrectableQuotes.txt"))
            .unwrap();
    let mut reader = ExtractReader::new("correctable", file).unwrap();
    let mut countries = Vec::new();
    while let Some(rec) = reader.next_record().unwrap() {
        if rec.field(0).unwrap().raw() == b"DETAIL" {
            countries.push(
                SaeRow::new(rec)
                    .text(SaeCol::ReportHomeCountryName)
                    .into_owned(),
            );
        }
    }
    assert!(
        countries.contains(&"UNITED\"\"\"STATES".to_owned()),
        "{countries:?}"
    );
}

#[test]
fn a_bad_quote_row_first_leaves_the_file_an_sae_with_the_error_at_that_row() {
    let Some(dir) = samples() else { return };
    let text = std::fs::read(dir.join("extract_CES_SAE_v3_testBadQuoteFile.txt")).expect("sample");
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    // The header, then the row with the unbalanced quote (line 4), then the good rows.
    let reordered: Vec<u8> = [lines[0], lines[3], lines[1], lines[2]].concat();
    let r = validate_reader(
        "bad-first",
        &reordered[..],
        &ValidateOptions::default(),
        &mut |_| {},
    );
    assert_eq!(r.kind, Some("SAE"), "{:#?}", r.findings.items());
    assert_eq!(r.rows, 3, "{:#?}", r.findings.items());
    assert_eq!(error_lines(&r), vec![2], "{:#?}", r.findings.items());
}

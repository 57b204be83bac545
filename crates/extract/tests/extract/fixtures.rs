//! One fixture per failure mode (fixtures/validate/, written by fixtures/make_fixtures.py):
//! each must produce its finding code at its line, and the good files must be clean.

use crate::common::{codes, fixture_path};
use ledgerline_extract::batch::BatchMapping;
use ledgerline_extract::reader::ReaderOptions;
use ledgerline_extract::validate::{FileReport, ValidateOptions, validate_reader};
use ledgerline_findings::Severity;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    fixture_path("validate").join(name)
}

fn run_with(name: &str, reader: ReaderOptions) -> FileReport {
    let path = fixture(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let opts = ValidateOptions {
        reader,
        ..ValidateOptions::default()
    };
    validate_reader(name, file, &opts, &mut |_| {})
}

fn run(name: &str) -> FileReport {
    run_with(name, ReaderOptions::default())
}

#[test]
fn each_failure_mode_reports_its_code_at_its_line() {
    // (fixture, code, line, severity)
    let cases: &[(&str, &str, Option<u64>, Severity)] = &[
        ("bad_count.txt", "SAE110", Some(1), Severity::Error),
        ("bad_total.txt", "SAE111", Some(1), Severity::Error),
        ("short_row.txt", "SAE120", Some(4), Severity::Error),
        ("bad_date.txt", "SAE130", Some(3), Severity::Error),
        ("bad_decimal.txt", "SAE131", Some(3), Severity::Error),
        ("too_many_decimals.txt", "SAE132", Some(3), Severity::Error),
        ("dr_negative.txt", "SAE135", Some(4), Severity::Error),
        ("bad_dr_cr.txt", "SAE134", Some(4), Severity::Error),
        ("bad_currency.txt", "SAE136", Some(3), Severity::Error),
        ("bad_flag.txt", "SAE133", Some(2), Severity::Warning),
        ("batch_id_mismatch.txt", "SAE112", Some(3), Severity::Error),
        (
            "batch_date_mismatch.txt",
            "SAE113",
            Some(4),
            Severity::Error,
        ),
        ("duplicate_sequence.txt", "SAE151", Some(4), Severity::Error),
        (
            "report_inconsistent.txt",
            "SAE150",
            Some(3),
            Severity::Error,
        ),
        (
            "report_not_contiguous.txt",
            "SAE152",
            Some(4),
            Severity::Warning,
        ),
        ("missing_header.txt", "SAE101", Some(1), Severity::Error),
        ("repeated_header.txt", "SAE102", Some(3), Severity::Error),
        ("header_field_count.txt", "SAE103", Some(1), Severity::Error),
        ("unknown_record.txt", "SAE104", Some(3), Severity::Error),
        ("unterminated_quote.txt", "SPL030", Some(3), Severity::Error),
        ("non_utf8.txt", "ENC020", Some(3), Severity::Warning),
        ("control_char.txt", "ENC021", Some(3), Severity::Warning),
        ("truncated.txt", "SPL033", Some(3), Severity::Warning),
        ("truncated.txt", "SAE120", Some(3), Severity::Error),
        ("truncated.txt", "SAE110", Some(1), Severity::Error),
        ("empty.txt", "IO003", None, Severity::Error),
        ("header_only.txt", "SAE105", Some(1), Severity::Info),
        (
            "header_only_bad_count.txt",
            "SAE110",
            Some(1),
            Severity::Error,
        ),
        ("older_layout.txt", "SAE121", Some(2), Severity::Warning),
        ("not_an_extract.txt", "IO002", None, Severity::Error),
        ("blank_line.txt", "SPL034", Some(3), Severity::Warning),
        ("prae/bad_count.txt", "PRA110", Some(1), Severity::Error),
        ("batch/bad_amount.csv", "BAT131", Some(2), Severity::Error),
        ("batch/bad_amount.csv", "BAT136", Some(3), Severity::Error),
        // An empty amount is an error at its line and column, not a zero.
        ("batch/empty_amount.csv", "BAT138", Some(3), Severity::Error),
        // An empty date cell without `[batch] date` leaves the line undated.
        ("batch/empty_amount.csv", "BAT138", Some(4), Severity::Error),
        // No date column and no `[batch] date`: refused, naming the setting.
        ("batch/no_date.csv", "BAT160", Some(1), Severity::Error),
        // A character inside the number is an error; a sign around it a warning.
        ("amount_sign_inside.txt", "SAE131", Some(3), Severity::Error),
        (
            "amount_sign_around.txt",
            "SAE131",
            Some(3),
            Severity::Warning,
        ),
        (
            "prae/missing_header.txt",
            "PRA138",
            Some(1),
            Severity::Error,
        ),
        ("prae/empty_amount.txt", "PRA138", Some(3), Severity::Error),
        ("attendee.txt", "ATT170", None, Severity::Info),
    ];
    let mut failures = Vec::new();
    for &(file, code, line, severity) in cases {
        let r = run(file);
        let hit = r
            .findings
            .items()
            .iter()
            .find(|f| f.code.to_string() == code && f.line == line);
        match hit {
            Some(f) if f.severity == severity => {}
            Some(f) => failures.push(format!(
                "{file}: {code} has severity {:?}, want {severity:?}",
                f.severity
            )),
            None => failures.push(format!(
                "{file}: no {code} at line {line:?}; got {:?}",
                codes(&r)
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn value_findings_name_the_column_and_what_to_do() {
    let find = |file: &str, code: &str, line: u64| {
        let r = run(file);
        r.findings
            .items()
            .iter()
            .find(|f| f.code.to_string() == code && f.line == Some(line))
            .cloned()
            .unwrap_or_else(|| panic!("{file}: no {code}@{line}: {:?}", codes(&r)))
    };
    let f = find("batch/empty_amount.csv", "BAT138", 3);
    let col = f.column.as_ref().expect("column");
    assert_eq!(
        (col.number, col.name.as_str()),
        (5, "Tax Adjusted Posted Amount")
    );
    assert!(f.message.contains("amount is empty"), "{}", f.message);
    let f = find("batch/no_date.csv", "BAT160", 1);
    assert!(f.message.contains("date = \"YYYY-MM-DD\""), "{}", f.message);
    let f = find("amount_sign_inside.txt", "SAE131", 3);
    assert_eq!(f.column.as_ref().map(|c| c.number), Some(169));
    assert!(f.message.contains("`€` inside the number"), "{}", f.message);
    let f = find("amount_sign_around.txt", "SAE131", 3);
    assert!(f.message.contains("read as 250.5000"), "{}", f.message);
    // The header total is checked against the amount read: 250.5000, so it matches.
    let r = run("amount_sign_around.txt");
    assert_eq!(r.findings.errors(), 0, "{:?}", codes(&r));
    let f = find("prae/empty_amount.txt", "PRA138", 3);
    assert_eq!(f.column.as_ref().map(|c| c.number), Some(63));
}

#[test]
fn findings_name_the_column() {
    let r = run("bad_date.txt");
    let f = &r.findings.items()[0];
    let col = f.column.as_ref().expect("column");
    assert_eq!(
        (col.number, col.name.as_str()),
        (64, "Report Entry Transaction Date")
    );
    assert!(f.message.contains("2024-13-01"), "{}", f.message);
}

#[test]
fn good_files_are_clean() {
    for file in [
        "good.txt",
        "good_bom_crlf.txt",
        "prae/good.txt",
        "batch/good.csv",
    ] {
        let r = run(file);
        assert_eq!(
            r.findings.errors() + r.findings.warnings(),
            0,
            "{file}: {:?}",
            codes(&r)
        );
        assert!(r.rows > 0, "{file}");
    }
    let r = run("good.txt");
    assert_eq!((r.kind, r.rows, r.reports), (Some("SAE"), 3, 2));
}

#[test]
fn bom_and_crlf_read_the_same_as_plain() {
    let a = run("good.txt");
    let b = run("good_bom_crlf.txt");
    assert_eq!((a.rows, a.reports), (b.rows, b.reports));
}

#[test]
fn payment_batch_with_numbered_mapping_and_decimal_comma() {
    let text = std::fs::read_to_string(fixture("batch/semicolon_no_header.toml")).unwrap();
    let batch: BatchMapping = toml_lite(&text);
    let r = run_with(
        "batch/semicolon_no_header.txt",
        ReaderOptions {
            batch,
            force_batch: true,
        },
    );
    assert_eq!(
        codes(&r),
        vec!["BAT131@2"],
        "12,50 reads with a decimal comma; `oops` does not"
    );
}

/// The mapping file is TOML; this test avoids a toml dependency in the library by
/// reading the tiny file by hand (the CLI reads it with the toml crate).
fn toml_lite(text: &str) -> BatchMapping {
    use ledgerline_extract::batch::{BatchField, ColumnSpec};
    let mut m = BatchMapping::default();
    for line in text.lines().map(str::trim) {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim().trim_matches('"'));
        match k {
            "delimiter" => m.delimiter = v.chars().next(),
            "decimal" => m.decimal = v.chars().next(),
            "date" => m.date = Some(v.to_owned()),
            "header" => m.header = Some(v == "true"),
            _ => {
                let field = BatchField::ALL
                    .iter()
                    .find(|f| f.key() == k)
                    .expect("known key");
                m.columns
                    .insert(*field, ColumnSpec::Number(v.parse().unwrap()));
            }
        }
    }
    m
}

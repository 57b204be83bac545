//! FIS documents through the binary: `convert`, `validate` and `inspect` take them like any
//! other input (detected from content), alone, in a folder next to an extract, or on
//! standard input; a canonical JSONL output read back by `inspect` is not taken for one.

use crate::support::{EXAMPLE, ledgerline, text};

#[test]
fn convert_validate_and_inspect_take_fis_documents() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("j.jsonl");
    let o = ledgerline(&[
        "convert",
        "fixtures/fis/trip-v1.json",
        "fixtures/fis/page-v4.json",
        EXAMPLE,
        "--to",
        "jsonl",
        "-o",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(
        written
            .lines()
            .any(|l| l.contains("\"journal_id\":\"TRIP2024A\""))
    );
    assert!(
        written
            .lines()
            .any(|l| l.contains("\"journal_id\":\"CA-CA9\""))
    );

    let o = ledgerline(&["validate", "fixtures/fis/broken.json", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let file = &v["files"][0];
    assert_eq!(file["kind"], "FIS documents");
    let codes: Vec<&str> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"FIS303") && codes.contains(&"FIS304"),
        "{codes:?}"
    );

    // inspect: the FIS document and the canonical output of the SAE example, side by side.
    let o = ledgerline(&[
        "inspect",
        "fixtures/fis/trip-v1.json",
        out.to_str().unwrap(),
        "--by",
        "account",
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = text(&o.stdout);
    assert!(s.contains("V10") && s.contains("EMPLOYEE_PAYABLE"), "{s}");
}

#[test]
fn fis_on_standard_input_and_a_cut_document_refused_even_with_force() {
    let data = std::fs::read("fixtures/fis/documents.jsonl").unwrap();
    let mut child = ledgerline(&["validate", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("FIS documents"),
        "{}",
        text(&o.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.json");
    let whole = std::fs::read("fixtures/fis/trip-v1.json").unwrap();
    std::fs::write(&cut, &whole[..whole.len() - 40]).unwrap();
    let o = ledgerline(&[
        "convert",
        cut.to_str().unwrap(),
        "--to",
        "csv",
        "-o",
        dir.path().join("o.csv").to_str().unwrap(),
        "--force",
    ])
    .output()
    .unwrap();
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("FIS301"), "{}", text(&o.stderr));
    assert!(!dir.path().join("o.csv").exists());
}

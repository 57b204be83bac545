//! The bundled FIS fixtures (fixtures/fis/, written for these tests by make_fis.py): each
//! document gives its hand-checked journal, every envelope reads the same, and what is
//! wrong is a finding with its JSON path. These run on a fresh clone.

use crate::support::*;
use ledgerline_journal::rules::Rules;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/fis").join(name)).unwrap()
}

fn expected(stem: &str) -> Vec<String> {
    String::from_utf8(fixture(&format!("{stem}.expected")))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Journal lines with their journal id, as the `.expected` files write them.
fn with_ids(out: &ledgerline_journal::pipeline::Collect) -> Vec<String> {
    let mut v = Vec::new();
    for j in &out.journals {
        let one = ledgerline_journal::pipeline::Collect {
            journals: vec![j.clone()],
            rejections: Vec::new(),
        };
        v.extend(lines(&one).into_iter().map(|l| format!("{} {l}", j.id)));
    }
    v
}

#[test]
fn each_bundled_document_gives_its_hand_checked_journal() {
    for (file, stem) in [
        ("trip-v1.json", "trip-v1"),
        ("page-v4.json", "page-v4"),
        ("documents.jsonl", "documents"),
        ("invoice.json", "invoice"),
    ] {
        let (out, r) = convert_fis(file, &fixture(file), Rules::default());
        assert!(problems(&r).is_empty(), "{file}: {:?}", problems(&r));
        assert_eq!(with_ids(&out), expected(stem), "{file}");
        assert_eq!(r.validation.kind, Some(ledgerline_fis::KIND));
    }
}

#[test]
fn a_document_reads_the_same_in_every_envelope() {
    let page: serde_json::Value = serde_json::from_slice(&fixture("page-v4.json")).unwrap();
    let docs = page["content"].as_array().unwrap().clone();
    let want = expected("page-v4");
    let list = serde_json::to_vec(&docs).unwrap();
    let v1 = serde_json::to_vec(&serde_json::json!({"fIDocuments": docs, "offset": null})).unwrap();
    let one_per_value: Vec<u8> = docs
        .iter()
        .flat_map(|d| {
            let mut b = serde_json::to_vec_pretty(d).unwrap();
            b.push(b'\n');
            b
        })
        .collect();
    // A bare payload (without its FIDocument) reads too.
    for (what, data) in [("list", list), ("v1", v1), ("pretty values", one_per_value)] {
        let (out, r) = convert_fis(what, &data, Rules::default());
        assert!(problems(&r).is_empty(), "{what}: {:?}", problems(&r));
        let mut got = Vec::new();
        for j in &out.journals {
            let one = ledgerline_journal::pipeline::Collect {
                journals: vec![j.clone()],
                rejections: Vec::new(),
            };
            got.extend(lines(&one).into_iter().map(|l| format!("{} {l}", j.id)));
        }
        assert_eq!(got, want, "{what}");
    }
    let bare = serde_json::to_vec(&docs[0]["document"]).unwrap();
    let (out, r) = convert_fis("bare", &bare, Rules::default());
    assert!(problems(&r).is_empty(), "{:?}", problems(&r));
    assert_eq!(out.journals.len(), 1);
    assert_eq!(out.journals[0].id, "CARD2024B");
}

#[test]
fn missing_and_unreadable_fields_are_findings_with_their_json_path() {
    let (out, r) = convert_fis("broken.json", &fixture("broken.json"), Rules::default());
    let p = problems(&r);
    assert!(out.journals.is_empty(), "the report is held back whole");
    assert!(
        p.iter().any(|m| m.contains("FIS403")
            && m.contains(
                "document.expenseEntry[0].allocation[0].journal[0].journalPayee: missing"
            )),
        "{p:#?}"
    );
    assert!(
        p.iter().any(|m| m.contains("FIS404")
            && m.contains("document.expenseEntry[1].allocation[0].journal[0].amountGross: `twelve` is not a number")),
        "{p:#?}"
    );
    // Every line of the report is in the rejection report.
    assert_eq!(out.rejections.len(), 2, "{:?}", out.rejections);
    // A wrong structure is named too.
    let doc = br#"{"docType":"expense","document":{"report":{"reportId":"R","employeeCurrencyAlphaCode":"EUR"},"expenseEntry":[{"allocation":{"journal":[]}}]}}"#;
    let (_, r) = convert_fis("shape.json", doc, Rules::default());
    let p = problems(&r);
    assert!(
        p.iter().any(|m| m.contains("FIS404")
            && m.contains("document.expenseEntry[0].allocation (is an object, not a list)")),
        "{p:#?}"
    );
}

#[test]
fn a_document_that_does_not_add_up_is_held_back() {
    let (out, r) = convert_fis("totals.json", &fixture("totals.json"), Rules::default());
    let p = problems(&r);
    assert!(out.journals.is_empty());
    assert!(
        p.iter()
            .any(|m| m.contains("FIS405")
                && m.contains("add up to 9, but entryApprovedAmount says 10")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("FIS405") && m.contains("totalApprovedAmount says 11")),
        "{p:#?}"
    );
}

#[test]
fn a_cut_input_is_refused_and_unknown_fields_and_statuses_are_tolerated() {
    let data = fixture("trip-v1.json");
    let cut = &data[..data.len() / 2];
    let (out, r) = convert_fis("cut.json", cut, Rules::default());
    let f = r.validation.findings.items();
    assert!(out.journals.is_empty());
    assert!(
        f.iter()
            .any(|x| x.code.to_string() == "FIS401" && x.code.check.untrustworthy_file()),
        "{f:#?}"
    );
    // JSON lines: the first document posts; a cut second is FIS401.
    let lines_data = fixture("documents.jsonl");
    let cut = &lines_data[..lines_data.len() - 30];
    let (out, r) = convert_fis("cut.jsonl", cut, Rules::default());
    assert_eq!(out.journals.len(), 1);
    assert!(
        r.validation
            .findings
            .items()
            .iter()
            .any(|x| x.code.to_string() == "FIS401")
    );
    // An unknown status is a notice, not a refusal; unknown keys are skipped.
    let text = String::from_utf8(fixture("trip-v1.json"))
        .unwrap()
        .replace("\"READY\"", "\"SOMETHING_NEW\"");
    let (out, r) = convert_fis("status.json", text.as_bytes(), Rules::default());
    assert!(problems(&r).is_empty(), "{:?}", problems(&r));
    assert_eq!(out.journals.len(), 1);
    assert!(
        r.validation
            .findings
            .items()
            .iter()
            .any(|x| x.code.to_string() == "FIS407")
    );
}

#[test]
fn the_same_document_twice_is_an_error() {
    let one = fixture("documents.jsonl");
    let mut twice = one.clone();
    twice.extend_from_slice(&one);
    let (out, r) = convert_fis("twice.jsonl", &twice, Rules::default());
    assert_eq!(out.journals.len(), 2, "the first copy of each");
    assert_eq!(
        r.validation
            .findings
            .items()
            .iter()
            .filter(|x| x.code.to_string() == "FIS408")
            .count(),
        2
    );
}

#[test]
fn canonical_journal_lines_are_not_fis() {
    use ledgerline_fis::{Sniffed, sniff};
    let line = b"{\"journal_id\":\"R1\",\"date\":\"2019-06-30\",\"line\":1}\n";
    assert_eq!(sniff(line, true), Sniffed::Other);
    assert_eq!(sniff(&fixture("trip-v1.json"), true), Sniffed::Fis);
    assert_eq!(sniff(&fixture("documents.jsonl"), true), Sniffed::Fis);
    // Given to the FIS reader anyway, a canonical line is named for what it is.
    let (_, r) = convert_fis("out.jsonl", line, Rules::default());
    assert!(
        r.validation.findings.items().iter().any(|x| x.code.to_string() == "FIS402" && x.message.contains("canonical journal line")),
        "{:?}",
        r.validation.findings.items()
    );
}

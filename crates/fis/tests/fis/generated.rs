//! Generated reports as SAE rows and as FIS documents (`Generator::write` and
//! `Generator::write_fis` with the same options) give the same journals, line for line:
//! the differential test of `differential.rs` at scale, over every shape the generator
//! makes (cash, IBCP and CBCP cards, personal card charges and their repayment, company
//! paid, refunds, VAT lines, allocations, cash advances issued, applied and returned, six
//! currencies).

use crate::support::*;
use ledgerline_generate::{Generator, Options};
use ledgerline_journal::pipeline::Collect;
use ledgerline_journal::rules::Rules;
use std::collections::BTreeMap;

/// Each journal's lines, normalised and sorted, by journal id.
fn by_journal(out: &Collect, rules: &Rules) -> BTreeMap<String, Vec<String>> {
    out.journals
        .iter()
        .map(|j| {
            let one = Collect {
                journals: vec![j.clone()],
                ..Collect::default()
            };
            let lines = lines(&one).iter().map(|l| normalise(l, rules)).collect();
            (j.id.clone(), sorted(lines))
        })
        .collect()
}

#[test]
fn generated_fis_documents_give_the_journals_of_their_sae_twins() {
    let rules = Rules::default();
    for seed in [1u64, 7, 2024] {
        let g = Generator::new(Options {
            reports: 300,
            seed,
            ..Options::default()
        });
        let (mut sae, mut fis) = (Vec::new(), Vec::new());
        g.write(&mut sae).unwrap();
        let s = g.write_fis(&mut fis).unwrap();
        assert_eq!(s.reports, 300);
        assert!(
            s.cash_advances > 0,
            "seed {seed}: no cash advance generated"
        );
        let (a, ra) = convert_sae("generated.txt", &sae, rules.clone());
        let (b, rb) = convert_fis("generated.jsonl", &fis, rules.clone());
        assert_eq!(problems(&ra), Vec::<String>::new(), "seed {seed}: SAE");
        assert_eq!(problems(&rb), Vec::<String>::new(), "seed {seed}: FIS");
        assert!(a.rejections.is_empty() && b.rejections.is_empty());
        let (ja, jb) = (by_journal(&a, &rules), by_journal(&b, &rules));
        let ids = |m: &BTreeMap<String, Vec<String>>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(ids(&ja), ids(&jb), "seed {seed}: the journals differ");
        for (id, want) in &ja {
            assert_eq!(
                &jb[id], want,
                "seed {seed}, journal {id}: FIS (left) vs SAE (right)"
            );
        }
        assert_eq!(ja.len(), 300 + s.cash_advances as usize);
    }
}

#[test]
fn generated_fis_is_deterministic_and_one_document_per_line() {
    let g = Generator::new(Options {
        reports: 50,
        seed: 3,
        ..Options::default()
    });
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let s = g.write_fis(&mut x).unwrap();
    g.write_fis(&mut y).unwrap();
    assert_eq!(x, y);
    assert_eq!(s.bytes, x.len() as u64);
    let docs: Vec<serde_json::Value> = x
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(docs.len() as u64, s.documents);
    let mut ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert!(ids.iter().all(|i| i.len() == 32));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, s.documents, "document ids are unique");
}

#[test]
fn posted_entries_as_fis_documents_give_the_journals_of_their_sae_rows() {
    use ledgerline_extract::value::Date;
    use ledgerline_generate::entries::{PostedEntry, append_entries, fis_documents};
    use rust_decimal::Decimal;
    let entry = |report: &str, id: &str, cents: i64, company_paid: bool| PostedEntry {
        report_id: report.into(),
        report_key: 900_000,
        report_name: format!("Posted report {report}"),
        entry_id: id.into(),
        employee_id: "E20001".into(),
        employee_first: "Dana".into(),
        employee_last: "Demo".into(),
        currency: "EUR".into(),
        expense_type: "Business Meal".into(),
        account: "60300".into(),
        transaction_date: Date::new(2024, 3, 20).unwrap(),
        amount: Decimal::new(cents, 2),
        vendor: "Café Crème".into(),
        description: "Lunch".into(),
        company_paid,
    };
    let entries = [
        entry("P1", "1", 1554, false),
        entry("P2", "2", 99_00, true),
        entry("P1", "3", 2_000, false),
    ];
    let mut base = Vec::new();
    Generator::new(Options {
        reports: 0,
        ..Options::default()
    })
    .write(&mut base)
    .unwrap();
    let mut sae = Vec::new();
    append_entries(&base, &entries, &mut sae).unwrap();
    let docs = fis_documents(&entries, Date::new(2024, 3, 28).unwrap());
    assert_eq!(docs.len(), 2, "one document per report");
    let fis: String = docs.iter().map(|d| format!("{d}\n")).collect();
    let rules = Rules::default();
    let (a, ra) = convert_sae("entries.txt", &sae, rules.clone());
    let (b, rb) = convert_fis("entries.jsonl", fis.as_bytes(), rules.clone());
    assert_eq!(problems(&ra), Vec::<String>::new());
    assert_eq!(problems(&rb), Vec::<String>::new());
    let (ja, jb) = (by_journal(&a, &rules), by_journal(&b, &rules));
    assert_eq!(ja.len(), 2);
    assert_eq!(ja, jb);
    assert_eq!(
        ja["P1"],
        [
            "CR EMPLOYEE_PAYABLE 35.54 offset employee",
            "DR 60300 15.54 out_of_pocket employee",
            "DR 60300 20.00 out_of_pocket employee"
        ]
    );
}

/// Documents are read in one pass (a document and its payload at once); the same documents
/// with each payload sent as text (`DocumentFormatAs: text`) take the careful path. The
/// findings (code, line, message), journals and rejections of the two must be the same,
/// trouble included.
#[test]
fn documents_read_in_one_pass_report_as_the_careful_path_does() {
    let g = Generator::new(Options {
        reports: 300,
        seed: 5,
        ..Options::default()
    });
    let mut out = Vec::new();
    g.write_fis(&mut out).unwrap();
    let mut docs: Vec<serde_json::Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    // Trouble spread across several batches: a status, a total that does not add up, a
    // document given twice, an unknown type.
    docs[3]["docStatus"] = "RECALLED".into();
    docs[70]["document"]["report"]["totalApprovedAmount"] = 1.into();
    let again = docs[10].clone();
    docs.insert(150, again);
    docs[200]["docType"] = "travelrequest".into();
    let objects: String = docs.iter().map(|d| format!("{d}\n")).collect();
    let texts: String = docs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d["document"] = d["document"].to_string().into();
            format!("{d}\n")
        })
        .collect();
    let rules = Rules::default();
    let (a, ra) = convert_fis("objects.jsonl", objects.as_bytes(), rules.clone());
    let (b, rb) = convert_fis("texts.jsonl", texts.as_bytes(), rules.clone());
    let findings = |r: &ledgerline_journal::pipeline::StreamReport| -> Vec<String> {
        r.validation
            .findings
            .items()
            .iter()
            .map(|f| format!("{} {:?} {}", f.code, f.line, f.message))
            .collect()
    };
    let (fa, fb) = (findings(&ra), findings(&rb));
    assert!(fa.len() >= 4, "{fa:#?}");
    assert_eq!(fa, fb);
    assert_eq!(lines(&a), lines(&b));
    assert_eq!(a.rejections.len(), b.rejections.len());
    assert!(
        !a.rejections.is_empty(),
        "the document that does not add up is held back"
    );
}

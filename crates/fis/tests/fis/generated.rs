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

//! Conformance of the journal pipeline over the real SAE test files in
//! ../shared/samples/cornell-sae (skipped with a notice where absent): conversion runs to the
//! end, every journal balances, and reconciliation either holds or its finding names the
//! report. The files name their payment types "University" and "User", mapped by rules as a
//! customer would.

use crate::support::{convert, shared_samples};
use ledgerline_findings::Severity;
use ledgerline_journal::Rules;
use std::sync::Arc;

#[test]
fn good_files_convert_balance_and_reconcile_or_name_the_report() {
    let Some(dir) = shared_samples("cornell-sae") else {
        return;
    };
    let rules = Arc::new(
        Rules::parse("[payment_types]\n\"University\" = \"company\"\n\"User\" = \"employee\"\n")
            .unwrap(),
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains("Good"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 5);
    let mut clean = 0;
    for name in &names {
        let data = std::fs::read(dir.join(name)).unwrap();
        let (out, report) = convert(name, &data, rules.clone());
        for j in &out.journals {
            assert!(j.is_balanced(), "{name}: {} does not balance", j.id);
        }
        let errors: Vec<_> = report
            .validation
            .findings
            .items()
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        for f in &errors {
            match f.code.to_string().as_str() {
                // Reconciliation: the finding names the report it is about, and that report
                // is rejected whole, never posted.
                "JNL202" => {
                    let id = f.message.split(':').next().unwrap();
                    assert!(out.journals.iter().all(|j| j.id != id), "{name}: {f}");
                    assert!(
                        out.rejections.iter().any(|r| r.journal_id == id),
                        "{name}: {f}"
                    );
                }
                // The quoting test files put a made-up payer `User|Or|University` on a line:
                // an unmapped payment type is reported, naming it, never guessed.
                "JNL201" => assert!(f.message.contains("`User|"), "{name}: {f}"),
                other => panic!("{name}: unexpected {other}: {f}"),
            }
        }
        // Lines are accounted for: in a journal, or rejected with their report.
        let posted: usize = out.journals.iter().map(|j| j.source_lines().len()).sum();
        assert_eq!(posted + out.rejections.len(), 3, "{name}");
        if errors.is_empty() {
            clean += 1;
            assert_eq!(out.journals.len(), 1, "{name}");
            let j = &out.journals[0];
            assert_eq!(j.total_debit().to_string(), "1230.36", "{name}");
        }
    }
    assert!(
        clean >= 2,
        "testGoodFile and the correctable-quotes file reconcile exactly"
    );
}

//! The README and the manual (docs/*.md) held to the repository.

use crate::support::*;

/// The README and every page of the manual.
pub fn pages() -> Vec<std::path::PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// Every repository path the pages name in backticks (`crates/...`, `tests/...`,
/// `fixtures/...`, ...) exists, so a moved file cannot leave the manual pointing nowhere.
#[test]
fn every_path_the_manual_names_exists() {
    const TOP: &[&str] = &[
        "crates/", "tests/", "fixtures/", "schemas/", "src/", "benches/", "fuzz/", "docs/",
    ];
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (i, quoted) in text.split('`').enumerate() {
            // Odd pieces are inside backticks.
            if i % 2 == 0 || !TOP.iter().any(|t| quoted.starts_with(t)) {
                continue;
            }
            // `crates/extract/src/batch.rs`), `fixtures/cases/*.txt`: the path before any
            // space, and globs checked by their folder.
            let path = quoted.split_whitespace().next().unwrap();
            let path = path.split('*').next().unwrap().trim_end_matches(['.', ',', ':']);
            assert!(
                root().join(path).exists(),
                "{} names `{quoted}`, which does not exist",
                page.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} paths found");
}

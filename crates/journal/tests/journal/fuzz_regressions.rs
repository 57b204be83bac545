//! Replays every input the fuzz targets ever failed on (`fuzz/regressions/<target>/`)
//! through the same oracle, on stable Rust (see `oracle.rs` next to this file and
//! `fuzz/README.md`).
//!
//! Inputs that still fail because their fix is in flight live in
//! `fuzz/regressions/<target>/pending/` and are listed in `oracle::PENDING` with the known bug
//! they show. The test asserts that each of them still fails, and fails that way: when a
//! fix lands, its entries fail here and must move up out of `pending/` (and off the list).

use crate::oracle::{self, KnownBug, PENDING, TARGETS, Violation};
use crate::support::fixtures;
use std::path::{Path, PathBuf};

fn regressions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn explain(target: &str, data: &[u8], v: &Violation) -> Option<KnownBug> {
    let rules = if target == "convert" {
        oracle::convert_rules_for(data).as_ref().clone()
    } else {
        ledgerline_journal::Rules::default()
    };
    oracle::known_bug(data, &rules, v)
}

#[test]
fn fixed_regressions_pass_their_oracle() {
    let mut failures = Vec::new();
    let mut n = 0;
    for target in TARGETS {
        for path in files(&regressions().join(target)) {
            n += 1;
            let data = std::fs::read(&path).unwrap();
            if let Err(v) = oracle::run(target, &data) {
                failures.push(format!("{}: {v}", path.display()));
            }
        }
    }
    let pending: usize = TARGETS
        .iter()
        .map(|t| files(&regressions().join(t).join("pending")).len())
        .sum();
    assert!(
        n + pending > 0,
        "no regression inputs found under {}",
        regressions().display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pending_regressions_still_fail_as_known() {
    let mut problems = Vec::new();
    for target in TARGETS {
        for path in files(&regressions().join(target).join("pending")) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(&(_, _, bug)) = PENDING.iter().find(|(t, f, _)| t == target && *f == name)
            else {
                problems.push(format!("{}: not listed in PENDING", path.display()));
                continue;
            };
            let data = std::fs::read(&path).unwrap();
            match oracle::run(target, &data) {
                Ok(()) => problems.push(format!(
                    "{}: passes now ({bug:?} fixed?): move it out of pending/ and off PENDING",
                    path.display()
                )),
                Err(v) => {
                    let got = explain(target, &data, &v);
                    if got != Some(bug) {
                        problems.push(format!(
                            "{}: expected {bug:?}, got {got:?}: {v}",
                            path.display()
                        ));
                    }
                }
            }
        }
    }
    for (target, file, _) in PENDING {
        let p = regressions().join(target).join("pending").join(file);
        if !p.is_file() {
            problems.push(format!("{}: listed in PENDING but missing", p.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The seeds of the corpora (fixtures/, see `fuzz/seed.sh`) keep every oracle that applies
/// to them, so a fuzzer starts from inputs that pass.
#[test]
fn fixtures_keep_the_oracles() {
    let root = fixtures();
    let mut failures = Vec::new();
    let mut n = 0;
    for dir in [
        "cases",
        "example",
        "validate",
        "validate/prae",
        "validate/batch",
    ] {
        for path in files(&root.join(dir)) {
            if path.extension().is_some_and(|e| e != "txt" && e != "csv") {
                continue;
            }
            n += 1;
            let data = std::fs::read(&path).unwrap();
            let targets: &[&str] = if dir == "validate/batch" {
                &["split", "detect_validate", "batch"]
            } else {
                &["split", "detect_validate", "convert"]
            };
            for target in targets {
                if let Err(v) = oracle::run(target, &data) {
                    failures.push(format!("{target} {}: {v}", path.display()));
                }
            }
        }
    }
    assert!(n > 30, "only {n} fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

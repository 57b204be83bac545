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
        "crates/",
        "tests/",
        "fixtures/",
        "schemas/",
        "src/",
        "benches/",
        "fuzz/",
        "docs/",
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
            let path = path
                .split('*')
                .next()
                .unwrap()
                .trim_end_matches(['.', ',', ':']);
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

/// Every command's `--help` teaches with examples (as gh's do), and each example's flags are
/// flags the command it runs lists.
#[test]
fn every_command_help_has_examples_that_use_real_flags() {
    let help = |path: &[&str]| {
        let mut args = path.to_vec();
        args.push("--help");
        let out = ledgerline(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{path:?}");
        text(&out.stdout)
    };
    let commands: &[&[&str]] = &[
        &["validate"],
        &["convert"],
        &["inspect"],
        &["fetch"],
        &["connect"],
        &["entry"],
        &["entry", "get"],
        &["ledger"],
        &["ledger", "list"],
        &["ledger", "forget"],
        &["rules"],
        &["rules", "init"],
        &["rules", "check"],
        &["formats"],
        &["generate"],
        &["simulate"],
    ];
    for path in commands {
        let page = help(path);
        let examples: Vec<&str> = page
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("`ledgerline {}` --help has no examples", path.join(" ")))
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(str::trim)
            .filter(|l| l.contains("ledgerline "))
            .collect();
        assert!(!examples.is_empty(), "{path:?}: {page}");
        for ex in examples {
            let words: Vec<&str> = ex
                .split("ledgerline ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .collect();
            // The command an example runs: one word, or two for ledger/rules/entry.
            let n = if ["ledger", "rules", "entry"].contains(&words[0])
                && words.get(1).is_some_and(|w| !w.starts_with('-'))
            {
                2
            } else {
                1
            };
            let own = help(&words[..n]);
            for flag in words.iter().filter(|w| w.starts_with("--")) {
                let flag = flag.split('=').next().unwrap();
                assert!(
                    own.contains(&format!("{flag} ")) || own.contains(&format!("{flag}\n")),
                    "example `{ex}` of `ledgerline {}`: {flag} is not a flag of `ledgerline {}`",
                    path.join(" "),
                    words[..n].join(" ")
                );
            }
        }
    }
}

/// Every `ledgerline` command in the README's shell blocks is run by a test: the five-step
/// walkthrough by `convert::the_readme_walkthrough_runs_as_written`, the first command by
/// `convert::the_readme_example_converts_to_balanced_canonical_lines`, and the rest here.
/// (The `cargo` and `.ci/run` lines are the build and the test suite themselves.)
#[test]
fn every_readme_command_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("<!-- walkthrough:start -->").unwrap();
    let end = readme.find("<!-- walkthrough:end -->").unwrap();
    let mut in_sh = false;
    let mut ran = 0;
    let mut offset = 0;
    for line in readme.lines() {
        let at = offset;
        offset += line.len() + 1;
        if line.trim_start().starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        let code = line.split('#').next().unwrap().trim();
        if !in_sh || !code.starts_with("ledgerline ") || (start..end).contains(&at) {
            continue;
        }
        let args: Vec<&str> = code.split_whitespace().skip(1).collect();
        let dir = tempfile::tempdir().unwrap();
        let out = ledgerline(&args).current_dir(dir.path()).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "README `{code}`: {}",
            text(&out.stderr)
        );
        ran += 1;
    }
    assert!(
        ran >= 1,
        "the README's install block runs `ledgerline --help`"
    );
}

//! Helpers the test modules share: where the repository, its fixtures and `../shared` are,
//! validating an input from bytes, and findings summarised for assertion messages.

use ledgerline_extract::validate::{FileReport, ValidateOptions, validate_reader};
use ledgerline_findings::Severity;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `fixtures/<rel>` in the repository.
pub fn fixture_path(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

/// The bytes of `fixtures/<rel>`.
pub fn read_fixture(rel: &str) -> Vec<u8> {
    let p = fixture_path(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `../shared/<rel>` beside the repository (data kept outside it), or `None` with a notice
/// on standard error naming what is skipped: a fresh clone has no such folder. The notice is
/// written to the process's standard error, past the test harness's capture, so a passing
/// run shows it too.
pub fn shared_dir(rel: &str, skipped: &str) -> Option<PathBuf> {
    let dir = repo_root().join("../shared").join(rel);
    if dir.is_dir() {
        Some(dir)
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: {} is absent; {skipped} skipped",
            dir.display()
        );
        None
    }
}

/// Validates `bytes` as the input `name` with the default options.
pub fn validate(name: &str, bytes: &[u8]) -> FileReport {
    validate_reader(name, bytes, &ValidateOptions::default(), &mut |_| {})
}

/// `CODE@line` of every finding listed (`-` for a finding without a line).
pub fn codes(r: &FileReport) -> Vec<String> {
    r.findings
        .items()
        .iter()
        .map(|f| {
            format!(
                "{}@{}",
                f.code,
                f.line.map_or("-".into(), |l| l.to_string())
            )
        })
        .collect()
}

/// The kind, counts and every finding listed, one a line.
pub fn summary(r: &FileReport) -> String {
    let mut s = format!("kind={:?} rows={} reports={}\n", r.kind, r.rows, r.reports);
    for f in r.findings.items() {
        s.push_str(&format!(
            "{} {:?} line={:?} col={:?} {}\n",
            f.code,
            f.severity,
            f.line,
            f.column.as_ref().map(|c| c.number),
            f.message
        ));
    }
    s
}

/// Whether `r` lists a finding `code` at `line` with `severity`.
pub fn has(r: &FileReport, code: &str, line: Option<u64>, severity: Severity) -> bool {
    r.findings
        .items()
        .iter()
        .any(|f| f.code.to_string() == code && f.line == line && f.severity == severity)
}

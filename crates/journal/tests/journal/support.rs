//! Helpers shared by the tests of this binary: where the fixtures are, a generated extract,
//! and a conversion in memory.

use ledgerline_generate::{Generator, Options};
use ledgerline_journal::pipeline::{Collect, ConvertOptions, StreamReport, convert_reader};
use ledgerline_journal::rules::Rules;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The workspace's `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// `../shared/samples/<name>` next to the workspace, if present; if not, a notice on stderr
/// (written past the test harness's capture, so a skipped test is seen skipping).
pub fn shared_samples(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/samples")
        .join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "NOTICE: {} is absent; the tests that need it are skipped",
        dir.display()
    );
    None
}

/// A generated SAE extract of `reports` reports.
pub fn generate(seed: u64, reports: u64) -> Vec<u8> {
    let mut v = Vec::new();
    Generator::new(Options {
        reports,
        seed,
        ..Options::default()
    })
    .write(&mut v)
    .unwrap();
    v
}

/// Converts `data` (shown as `name`) with `rules`, collecting journals and rejections.
pub fn convert(name: &str, data: &[u8], rules: impl Into<Arc<Rules>>) -> (Collect, StreamReport) {
    let mut out = Collect::default();
    let report = convert_reader(
        name,
        data,
        &ConvertOptions::new(rules.into()),
        &mut out,
        &mut |_| {},
    )
    .unwrap();
    (out, report)
}

/// The codes of the findings, in order (`JNL202`).
pub fn codes(r: &StreamReport) -> Vec<String> {
    r.validation
        .findings
        .items()
        .iter()
        .map(|f| f.code.to_string())
        .collect()
}

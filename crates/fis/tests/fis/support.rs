//! Shared helpers: converting SAE and FIS inputs, journals as comparable lines.

use ledgerline_journal::pipeline::{Collect, ConvertOptions, StreamReport, convert_reader};
use ledgerline_journal::rules::{Role, Rules};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/samples/concur-fis/json`, when it is there.
pub fn sample_dir() -> Option<PathBuf> {
    let p = root().join("../shared/samples/concur-fis/json");
    p.is_dir().then_some(p)
}

/// [`sample_dir`], or `None` with a notice that `skipped` is skipped. The notice is written
/// to the stderr handle itself, which the test harness does not capture (it captures
/// `eprintln!`), so it shows on a passing run too.
pub fn samples(skipped: &str) -> Option<PathBuf> {
    let dir = sample_dir();
    if dir.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: {} is absent; {skipped} skipped",
            root().join("../shared/samples/concur-fis/json").display()
        );
    }
    dir
}

/// Converts an SAE extract.
pub fn convert_sae(name: &str, data: &[u8], rules: Rules) -> (Collect, StreamReport) {
    let opts = ConvertOptions::new(Arc::new(rules));
    let mut out = Collect::default();
    let r = convert_reader(name, data, &opts, &mut out, &mut |_| {}).unwrap();
    (out, r)
}

/// Converts a FIS input.
pub fn convert_fis(name: &str, data: &[u8], rules: Rules) -> (Collect, StreamReport) {
    let opts = ConvertOptions::new(Arc::new(rules));
    let mut out = Collect::default();
    let r = ledgerline_fis::convert_reader(name, data, &opts, &mut out, &mut |_| {}).unwrap();
    (out, r)
}

/// Every journal line as `DR|CR account amount kind counterparty` (the journal id left
/// out: the SAE twins have ids of their own).
pub fn lines(out: &Collect) -> Vec<String> {
    out.journals
        .iter()
        .flat_map(|j| {
            j.lines.iter().map(|l| {
                let (side, amount) = if l.debit.is_zero() {
                    ("CR", l.credit)
                } else {
                    ("DR", l.debit)
                };
                format!(
                    "{side} {} {amount} {} {}",
                    l.account,
                    l.kind.as_str(),
                    l.counterparty
                        .as_ref()
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into())
                )
            })
        })
        .collect()
}

/// The findings of a report above info, as text.
pub fn problems(r: &StreamReport) -> Vec<String> {
    r.validation
        .findings
        .items()
        .iter()
        .filter(|f| f.severity > ledgerline_findings::Severity::Info)
        .map(|f| f.to_string())
        .collect()
}

/// A line of [`lines`] with a card counterparty named by its billing (`card:ibcp`): a FIS
/// journal line names the payment code, the SAE the payment type name.
pub fn normalise(line: &str, rules: &Rules) -> String {
    let f: Vec<&str> = line.splitn(5, ' ').collect();
    match f[4].strip_prefix("card:") {
        Some(program) => {
            let billing = match rules.role(program) {
                Some(Role::Card(b)) => format!("{b:?}").to_lowercase(),
                _ => program.to_owned(),
            };
            format!("{} {} {} {} card:{billing}", f[0], f[1], f[2], f[3])
        }
        None => line.to_owned(),
    }
}

/// `v`, sorted.
pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

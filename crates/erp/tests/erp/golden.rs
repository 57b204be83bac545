//! Golden files: every worked case (fixtures/cases/) in every output format, compared byte
//! for byte with fixtures/golden/. Rewrite them with `LEDGERLINE_BLESS=1` after an intended
//! change, and review the diff. The hledger and Beancount outputs are also checked by the
//! tools themselves (`hledger check`, `bean-check`) where they are installed; CI installs
//! them and sets LEDGERLINE_REQUIRE_TOOLS=1 so a missing tool fails instead of skipping.
//!
//! The ERP formats are rendered with the settings of [`common::golden_rules`] (the one
//! required setting, Oracle's ledger id, plus a few dimension mappings); the zip formats are
//! compared through their contents and Parquet through the table read back by polars (their
//! bytes depend on compressor versions). A generated extract (`generated.*`) is covered too.

use crate::common;
use ledgerline_erp::{FORMATS, Format, create};
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, convert_reader};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

fn cases() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(common::root().join("fixtures/cases"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".txt").map(str::to_owned))
        .collect();
    v.sort();
    v
}

/// The case written in `format`, or the writer's refusal (a journal in a currency the format
/// cannot carry) as `refused: <error>`.
fn render(case: &str, format: Format) -> Result<Vec<u8>, String> {
    let dir = common::root().join("fixtures/cases");
    let rules = match std::fs::read_to_string(dir.join(format!("{case}.toml"))) {
        Ok(t) => Rules::parse(&t).unwrap(),
        Err(_) => Rules::default(),
    };
    let rules = Arc::new(if common::is_erp(format) {
        common::erp_rules(rules)
    } else {
        rules
    });
    let data = std::fs::read(dir.join(format!("{case}.txt"))).unwrap();
    let mut out = Vec::new();
    {
        let mut sink = create(format, &mut out, &rules).unwrap();
        let r = convert_reader(
            &format!("{case}.txt"),
            data.as_slice(),
            &ConvertOptions::new(rules.clone()),
            sink.as_mut(),
            &mut |_| {},
        )
        .map_err(|e| format!("refused: {e}\n"))?;
        assert_eq!(r.validation.findings.errors(), 0, "{case}");
        sink.finish().unwrap();
    }
    Ok(out)
}

fn ext(format: Format) -> &'static str {
    common::golden_ext(format)
}

#[test]
fn every_case_in_every_format_matches_its_golden_file() {
    let bless = std::env::var_os("LEDGERLINE_BLESS").is_some();
    let mut stale = Vec::new();
    for case in cases() {
        for f in FORMATS {
            let got = match render(&case, f.format) {
                Ok(bytes) => common::readable(f.format, &bytes),
                Err(refused) => refused.into_bytes(),
            };
            let path = common::root()
                .join("fixtures/golden")
                .join(format!("{case}.{}", ext(f.format)));
            if bless {
                std::fs::write(&path, &got).unwrap();
                continue;
            }
            match std::fs::read(&path) {
                Ok(want) if want == got => {}
                _ => stale.push(path.display().to_string()),
            }
        }
    }
    assert!(
        stale.is_empty(),
        "golden files differ (LEDGERLINE_BLESS=1 rewrites them):\n{}",
        stale.join("\n")
    );
}

fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("LEDGERLINE_REQUIRE_TOOLS").is_none(),
            "{name} is required (LEDGERLINE_REQUIRE_TOOLS is set) but not installed"
        );
        eprintln!("NOTICE: {name} is not installed; its check is skipped");
    }
    found
}

fn check_all(tool_name: &str, format: Format, args: &dyn Fn(&Path) -> Vec<String>) {
    if !tool(tool_name) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in cases() {
        let path = dir.path().join(format!("{case}.{}", ext(format)));
        std::fs::write(&path, render(&case, format).unwrap()).unwrap();
        let out = Command::new(tool_name).args(args(&path)).output().unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{case}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{tool_name} rejects:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_generated_extract_in_every_erp_format_matches_its_golden_file() {
    let bless = std::env::var_os("LEDGERLINE_BLESS").is_some();
    let extract = common::generated(12, 42);
    let mut stale = Vec::new();
    for f in FORMATS.iter().filter(|f| common::is_erp(f.format)) {
        let rules = Arc::new(common::erp_rules(Rules::default()));
        // IIF and Xero take their base currency (USD) only.
        let extract = if common::base_currency_only(f.format) {
            common::only_currency(&extract, "USD")
        } else {
            extract.clone()
        };
        let got = common::readable(f.format, &common::convert(&extract, f.format, &rules));
        let path = common::root()
            .join("fixtures/golden")
            .join(format!("generated.{}", ext(f.format)));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read(&path) {
            Ok(want) if want == got => {}
            _ => stale.push(path.display().to_string()),
        }
    }
    assert!(
        stale.is_empty(),
        "golden files differ (LEDGERLINE_BLESS=1 rewrites them):\n{}",
        stale.join("\n")
    );
}

#[test]
fn hledger_accepts_every_case() {
    check_all("hledger", Format::Hledger, &|p| {
        vec!["-f".into(), p.display().to_string(), "check".into()]
    });
}

#[test]
fn bean_check_accepts_every_case() {
    check_all("bean-check", Format::Beancount, &|p| {
        vec![p.display().to_string()]
    });
}

#[test]
fn plaintext_outputs_of_a_generated_extract_pass_the_tools() {
    let mut extract = Vec::new();
    ledgerline_generate::Generator::new(ledgerline_generate::Options {
        reports: 200,
        seed: 5,
        ..Default::default()
    })
    .write(&mut extract)
    .unwrap();
    let rules = Arc::new(Rules::default());
    for (name, format, args) in [
        ("hledger", Format::Hledger, vec!["-f", "{}", "check"]),
        ("bean-check", Format::Beancount, vec!["{}"]),
    ] {
        if !tool(name) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut out = Vec::new();
        {
            let mut sink = create(format, &mut out, &rules).unwrap();
            convert_reader(
                "gen.txt",
                extract.as_slice(),
                &ConvertOptions::new(rules.clone()),
                sink.as_mut(),
                &mut |_| {},
            )
            .unwrap();
            sink.finish().unwrap();
        }
        std::fs::write(&path, out).unwrap();
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{}", &path.display().to_string()))
            .collect();
        let o = Command::new(name).args(&args).output().unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

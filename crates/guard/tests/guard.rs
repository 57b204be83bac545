//! The posting guards in front of a sink, on journals built from generated extracts: the
//! same journal from two inputs of a run (JNL210), accounts and dimension values the chart
//! does not have (JNL206, JNL207), journals the ledger records as posted (JNL208 skipped or,
//! strict, refused; JNL209 posted with other lines), and CSV records for the chart.

use ledgerline_findings::Severity;
use ledgerline_guard::accounts::Accounts;
use ledgerline_guard::csvfile::{CsvError, Reader};
use ledgerline_guard::duplicates::{DuplicateCheck, Verdict, lines_hash, posted};
use ledgerline_guard::gate::Gate;
use ledgerline_journal::build::RejectionStatus;
use ledgerline_journal::pipeline::{Collect, ConvertOptions, Sink, convert_reader};
use ledgerline_journal::{Journal, Rules};
use ledgerline_ledger::PostingLedger;
use ledgerline_ledger::posting::file_sha256;
use std::sync::Arc;

fn extract(reports: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    ledgerline_generate::Generator::new(ledgerline_generate::Options {
        reports,
        seed,
        ..Default::default()
    })
    .write(&mut out)
    .unwrap();
    out
}

/// Converts `inputs` (name, bytes) in order through `sink`.
fn run(inputs: &[(&str, &[u8])], sink: &mut dyn Sink) {
    let opts = ConvertOptions::new(Arc::new(Rules::default()));
    for (name, bytes) in inputs {
        convert_reader(name, *bytes, &opts, sink, &mut |_| {}).unwrap();
    }
}

fn journals(bytes: &[u8]) -> Vec<Journal> {
    let mut out = Collect::default();
    run(&[("a.txt", bytes)], &mut out);
    out.journals
}

fn codes(gate: &mut Gate<'_>) -> Vec<String> {
    gate.take_findings()
        .iter()
        .map(|f| f.code.to_string())
        .collect()
}

#[test]
fn the_same_extract_twice_in_a_run_posts_each_journal_once() {
    let bytes = extract(4, 1);
    let expected = journals(&bytes);
    let mut out = Collect::default();
    let mut gate = Gate::new(&mut out, None, None);
    run(&[("a.txt", &bytes), ("copy.txt", &bytes)], &mut gate);
    assert_eq!(gate.held_journals, expected.len() as u64);
    let held_lines: usize = expected.iter().map(|j| j.lines.len()).sum();
    assert_eq!(gate.held_lines, held_lines as u64);
    let found = gate.take_findings();
    assert_eq!(found.len(), expected.len());
    for f in &found {
        assert_eq!(f.code.to_string(), "JNL210");
        assert_eq!(f.file, "copy.txt");
        assert!(
            f.message.contains("already in this run from a.txt"),
            "{f:?}"
        );
    }
    assert_eq!(out.journals, expected, "the first input's journals pass");
    assert!(
        out.rejections
            .iter()
            .all(|r| r.file == "copy.txt" && r.status == RejectionStatus::Rejected)
    );
}

#[test]
fn the_last_input_is_checked_against_the_earlier_ones_without_being_remembered() {
    let bytes = extract(4, 1);
    let expected = journals(&bytes);
    let mut out = Collect::default();
    let mut gate = Gate::new(&mut out, None, None);
    run(&[("a.txt", &bytes)], &mut gate);
    assert_eq!(gate.held_journals, 0);
    // The run's last input repeats a.txt: held back all the same.
    gate.set_last_input(true);
    run(&[("last.txt", &bytes)], &mut gate);
    assert_eq!(gate.held_journals, expected.len() as u64);
    let found = gate.take_findings();
    assert!(
        found
            .iter()
            .all(|f| f.file == "last.txt" && f.message.contains("from a.txt")),
        "{found:?}"
    );
    assert_eq!(found.len(), expected.len());
}

#[test]
fn the_chart_holds_back_journals_with_unknown_accounts_or_dimension_values() {
    let bytes = extract(6, 2);
    let all = journals(&bytes);
    // Every account the journals use, but one of them missing.
    let mut accounts: Vec<String> = all
        .iter()
        .flat_map(|j| j.lines.iter().map(|l| l.account.clone()))
        .collect();
    accounts.sort();
    accounts.dedup();
    let dropped = accounts.remove(0);
    let chart = format!("account\n{}\n", accounts.join("\n"));
    let chart = Accounts::parse("chart.csv", &chart).unwrap();
    let mut out = Collect::default();
    let mut gate = Gate::new(&mut out, Some(&chart), None);
    run(&[("a.txt", &bytes)], &mut gate);
    let found = codes(&mut gate);
    let using: Vec<&Journal> = all
        .iter()
        .filter(|j| j.lines.iter().any(|l| l.account == dropped))
        .collect();
    assert!(!using.is_empty());
    assert_eq!(gate.held_journals, using.len() as u64);
    assert!(found.iter().all(|c| c == "JNL206"), "{found:?}");
    assert_eq!(out.journals.len(), all.len() - using.len());
    assert!(
        out.journals
            .iter()
            .all(|j| j.lines.iter().all(|l| l.account != dropped))
    );

    // A dimension value the chart does not accept for the account (the default rules set
    // no dimensions: give one line of a journal one).
    let mut j = all[0].clone();
    j.lines[0].dimensions = vec![("cost_center".into(), "CC9".into())];
    let account = j.lines[0].account.clone();
    accounts.push(dropped);
    let chart = format!(
        "account,cost_center\n{},\n{account},CC1|CC2\n",
        accounts.join(",\n")
    );
    let chart = Accounts::parse("chart.csv", &chart).unwrap();
    let mut out = Collect::default();
    let mut gate = Gate::new(&mut out, Some(&chart), None);
    gate.write_journal(&j).unwrap();
    let found = gate.take_findings();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code.to_string(), "JNL207");
    assert!(
        found[0].message.starts_with(&format!(
            "cost_center CC9 is not accepted for account {account} in chart.csv"
        )),
        "{}",
        found[0].message
    );
    assert_eq!(gate.held_journals, 1);
    j.lines[0].dimensions = vec![("cost_center".into(), "CC2".into())];
    let mut out = Collect::default();
    let mut gate = Gate::new(&mut out, Some(&chart), None);
    gate.write_journal(&j).unwrap();
    assert_eq!(gate.held_journals, 0, "an accepted value passes");
    assert_eq!(out.journals.len(), 1);
}

#[test]
fn the_ledger_skips_what_was_posted_and_refuses_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let bytes = extract(3, 3);
    let all = journals(&bytes);

    // First run: everything posts, and is recorded.
    let mut ledger = PostingLedger::open(&path).unwrap();
    let mut check = DuplicateCheck::new(&ledger, "netsuite", false).unwrap();
    let mut out = Collect::default();
    let mut gate = Gate::new(&mut out, None, Some(&mut check));
    run(&[("a.txt", &bytes)], &mut gate);
    assert_eq!(gate.held_journals, 0);
    assert_eq!(out.journals.len(), all.len());
    let output = dir.path().join("out.csv");
    std::fs::write(&output, "posted").unwrap();
    let name = output.display().to_string();
    let records = check.into_records(&name);
    assert_eq!(records.len(), all.len());
    assert!(records.iter().all(|r| r.output == name));
    let run_id = ledger
        .begin(&name, &file_sha256(&output).unwrap(), &records)
        .unwrap();
    ledger.finish(run_id).unwrap();

    // Second run, same extract under another name: skipped with a warning, even when it is
    // given twice (the ledger judges, not the in-run gate).
    let mut check = DuplicateCheck::new(&ledger, "netsuite", false).unwrap();
    let mut out = Collect::default();
    let mut gate = Gate::new(&mut out, None, Some(&mut check));
    run(&[("again.txt", &bytes), ("again2.txt", &bytes)], &mut gate);
    let found = gate.take_findings();
    assert_eq!(found.len(), 2 * all.len());
    assert!(found.iter().all(|f| f.code.to_string() == "JNL208"));
    assert!(found.iter().all(|f| f.severity == Severity::Warning));
    assert!(out.journals.is_empty());
    assert!(
        out.rejections
            .iter()
            .all(|r| r.status == RejectionStatus::Skipped)
    );
    assert!(check.pending().is_empty());

    // Strict: the same journal again is an error.
    let mut check = DuplicateCheck::new(&ledger, "netsuite", true).unwrap();
    match check.judge(&all[0]) {
        Verdict::Skip(f) => {
            assert_eq!(f.severity, Severity::Error);
            assert!(f.message.ends_with("refused (--strict)"), "{}", f.message);
        }
        other => panic!("{other:?}"),
    }

    // Another target has not seen them.
    let mut check = DuplicateCheck::new(&ledger, "intacct", false).unwrap();
    assert_eq!(check.judge(&all[0]), Verdict::Post);

    // The same id with other lines is a conflict naming both extracts.
    let mut changed = all[0].clone();
    changed.source_file = Arc::from("corrected.txt");
    let l = changed
        .lines
        .iter_mut()
        .find(|l| !l.debit.is_zero())
        .unwrap();
    l.debit += rust_decimal::Decimal::ONE;
    assert_ne!(lines_hash(&changed), lines_hash(&all[0]));
    let mut check = DuplicateCheck::new(&ledger, "netsuite", false).unwrap();
    match check.judge(&changed) {
        Verdict::Conflict(f) => {
            assert_eq!(f.code.to_string(), "JNL209");
            assert!(f.message.contains("corrected.txt"), "{}", f.message);
            assert!(f.message.contains("from a.txt"), "{}", f.message);
            assert!(
                f.message.contains(&format!(
                    "`ledgerline ledger forget {} --target netsuite`",
                    changed.id
                )),
                "{}",
                f.message
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_withdrawn_journal_is_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = PostingLedger::open(&dir.path().join("l.sqlite")).unwrap();
    let all = journals(&extract(3, 4));
    let mut check = DuplicateCheck::new(&ledger, "t", false).unwrap();
    for j in &all {
        assert_eq!(check.judge(j), Verdict::Post);
    }
    // Within the run, the same journal again is judged against the first.
    assert!(matches!(check.judge(&all[0]), Verdict::Skip(_)));
    check.withdraw(&all[0].id);
    assert_eq!(
        check.judge(&all[0]),
        Verdict::Post,
        "withdrawn: judged anew"
    );
    check.withdraw(&all[1].id);
    let ids: Vec<&str> = check
        .pending()
        .iter()
        .map(|p| p.journal_id.as_str())
        .collect();
    assert!(!ids.contains(&all[1].id.as_str()));
    assert_eq!(ids.len(), all.len() - 1);
    let record = posted(&all[2], "t", "out.csv", "2024-01-01T00:00:00Z");
    assert_eq!(record.lines_sha256, lines_hash(&all[2]));
    assert_eq!(record.lines, all[2].lines.len() as u64);
    assert_eq!(record.total, all[2].total_debit().to_string());
}

fn records(text: &[u8]) -> Result<Vec<(u64, Vec<String>)>, CsvError> {
    let mut r = Reader::new(text);
    let mut out = Vec::new();
    while let Some(rec) = r.next_record()? {
        out.push((rec.line, rec.fields));
    }
    Ok(out)
}

#[test]
fn csv_records_know_their_lines_and_refuse_an_open_quote() {
    let rows = records(b"\xEF\xBB\xBFa,b,c\r\n1,\"x, \"\"y\"\"\",\"two\r\nlines\"\r\n\r\n,,\nlast")
        .unwrap();
    assert_eq!(
        rows,
        [
            (1, vec!["a".into(), "b".into(), "c".into()]),
            (
                2,
                vec!["1".into(), "x, \"y\"".into(), "two\r\nlines".into()]
            ),
            (5, vec![String::new(), String::new(), String::new()]),
            (6, vec!["last".into()]),
        ]
    );
    for (text, line) in [
        (&b"a,\"b\n"[..], 1),
        (b"a\nb,\"c\nd\ne", 2),
        (b"a\n\"b\"\"", 2),
        (b"\xEF\xBB\xBF\"open", 1),
    ] {
        let e = records(text).unwrap_err();
        assert!(
            matches!(e, CsvError::Unterminated { line: l } if l == line),
            "{text:?}: {e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!("line {line}: quoted value not closed before the end of the file")
        );
    }
    // Closed quotes at the very end and a quote inside a bare field are fine; so is a
    // would-be byte-order mark that is not one, as far as quotes go (its bytes are the
    // field's, and not UTF-8).
    for text in [&b"a,\"b\""[..], b"a,\"b\"\"\"", b"x\"y,z"] {
        assert!(records(text).is_ok(), "{text:?}");
    }
    let e = records(b"\xEF\xBB\"q").unwrap_err();
    assert!(matches!(e, CsvError::NotUtf8 { line: 1 }), "{e:?}");
    let e = records(b"ok\n\xFF\xFE,x\n").unwrap_err();
    assert!(matches!(e, CsvError::NotUtf8 { line: 2 }), "{e:?}");
}

#[test]
fn an_open_quote_in_a_chart_is_an_error_with_its_line() {
    let e = Accounts::parse("c.csv", "account,cc\n1,\"A|B\n2,C\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv: line 2: quoted value not closed before the end of the file"
    );
}

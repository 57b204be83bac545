//! The run ledger through its public API: fetch records and posting runs in one file, schema
//! steps applied once and a newer schema refused, interrupted posting runs settled by the
//! files on disk, `forget`.

use ledgerline_ledger::fetches::{FETCH_SCHEMA_VERSION, FetchKind, FetchRecord};
use ledgerline_ledger::posting::{self, ANY_TARGET, Forget, Posted, file_sha256};
use ledgerline_ledger::{Ledger, LedgerError, Migration, PostingLedger};

fn rec(key: &str) -> FetchRecord {
    FetchRecord {
        source: "co".into(),
        kind: FetchKind::ExtractJob,
        remote_key: key.into(),
        label: "SAE".into(),
        remote_url: "http://x/file".into(),
        path: "/tmp/a.csv".into(),
        sha256: "00".into(),
        bytes: 3,
        content_type: "text/csv".into(),
        fetched_at: "2024-01-01T00:00:00Z".into(),
    }
}

fn posted(journal_id: &str, target: &str, output: &str) -> Posted {
    Posted {
        target: target.into(),
        journal_id: journal_id.into(),
        report_id: Some(format!("R-{journal_id}")),
        employee_id: Some("E1".into()),
        currency: "USD".into(),
        lines: 2,
        total: "10.00".into(),
        lines_sha256: "ab".into(),
        source_file: "extract.txt".into(),
        output: output.into(),
        posted_at: "2024-01-01T00:00:00Z".into(),
    }
}

#[test]
fn records_survive_reopen_and_migrations_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    {
        let mut l = Ledger::open(&path).unwrap();
        assert!(!l.contains("co", FetchKind::ExtractJob, "d/1").unwrap());
        l.record(&rec("d/1")).unwrap();
        l.record(&rec("d/1")).unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    assert!(l.contains("co", FetchKind::ExtractJob, "d/1").unwrap());
    assert!(!l.contains("co", FetchKind::PaymentBatch, "d/1").unwrap());
    assert_eq!(l.records().unwrap().len(), 1);
    assert_eq!(l.schema_version("fetch").unwrap(), FETCH_SCHEMA_VERSION);
}

#[test]
fn newer_schema_is_refused() {
    let mut l = Ledger::open_in_memory().unwrap();
    const V2: &[Migration] = &[
        Migration {
            version: 1,
            description: "a",
            sql: "CREATE TABLE a (x);",
        },
        Migration {
            version: 2,
            description: "b",
            sql: "CREATE TABLE b (x);",
        },
    ];
    assert_eq!(l.migrate("other", V2).unwrap(), 2);
    assert_eq!(l.migrate("other", V2).unwrap(), 2);
    let e = l.migrate("other", &V2[..1]).unwrap_err();
    assert!(
        matches!(e, LedgerError::NewerSchema { found: 2, known: 1, ref component, .. } if component == "other"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "ledger :memory: has other schema version 2, newer than this ledgerline knows (1); upgrade ledgerline"
    );
}

#[test]
fn fetch_records_and_posting_runs_share_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/l.sqlite");
    let mut l = Ledger::open(&path).unwrap();
    l.record(&rec("d/1")).unwrap();
    let mut p = PostingLedger::wrap(l).unwrap();
    assert_eq!(p.path(), path);
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "x").unwrap();
    let out_name = out.display().to_string();
    let run = p
        .begin(
            &out_name,
            &file_sha256(&out).unwrap(),
            &[posted("J1", "netsuite", &out_name)],
        )
        .unwrap();
    p.finish(run).unwrap();
    drop(p);
    let l = Ledger::open(&path).unwrap();
    assert_eq!(l.records().unwrap(), [rec("d/1")]);
    assert_eq!(
        l.schema_version("journals").unwrap(),
        posting::MIGRATIONS.len() as u32
    );
    let p = PostingLedger::wrap(l).unwrap();
    assert_eq!(p.get("J1").unwrap(), [posted("J1", "netsuite", &out_name)]);
}

#[test]
fn pending_runs_are_settled_by_the_file_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let written = dir.path().join("written.jsonl");
    std::fs::write(&written, "content").unwrap();
    let written_name = written.display().to_string();
    let missing = dir.path().join("missing.jsonl").display().to_string();
    {
        let mut l = PostingLedger::open(&path).unwrap();
        let a = [posted("J1", "t", &written_name)];
        l.begin(&written_name, &file_sha256(&written).unwrap(), &a)
            .unwrap();
        let b = [posted("J2", "t", &missing)];
        l.begin(&missing, "00", &b).unwrap();
        assert_eq!(l.pending_runs().unwrap(), 2);
        assert!(
            l.list().unwrap().is_empty(),
            "pending runs are not posted yet"
        );
    }
    let l = PostingLedger::open(&path).unwrap();
    assert_eq!(l.pending_runs().unwrap(), 0);
    assert_eq!(l.recovery().kept, [written_name]);
    assert_eq!(l.recovery().dropped, [missing]);
    let ids: Vec<String> = l
        .list()
        .unwrap()
        .into_iter()
        .map(|p| p.journal_id)
        .collect();
    assert_eq!(ids, ["J1"]);
}

#[test]
fn a_changed_output_file_drops_its_pending_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "first").unwrap();
    let name = out.display().to_string();
    {
        let mut l = PostingLedger::open(&path).unwrap();
        let sha = file_sha256(&out).unwrap();
        l.begin(&name, &sha, &[posted("J1", "t", &name)]).unwrap();
    }
    std::fs::write(&out, "other content").unwrap();
    let l = PostingLedger::open(&path).unwrap();
    assert_eq!(l.recovery().dropped, [name]);
    assert!(l.list().unwrap().is_empty());
}

#[test]
fn forget_removes_what_it_selects_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "x").unwrap();
    let name = out.display().to_string();
    let mut l = PostingLedger::open(&dir.path().join("l.sqlite")).unwrap();
    let records = [
        posted("J1", "netsuite", &name),
        posted("J1", "intacct", &name),
        posted("J2", ANY_TARGET, &name),
    ];
    let run = l
        .begin(&name, &file_sha256(&out).unwrap(), &records)
        .unwrap();
    l.finish(run).unwrap();
    assert_eq!(l.list().unwrap().len(), 3);
    let gone = l
        .forget(&Forget {
            journal_ids: vec!["J1".into()],
            target: Some("intacct".into()),
            ..Forget::default()
        })
        .unwrap();
    assert_eq!(gone, [posted("J1", "intacct", &name)]);
    let gone = l
        .forget(&Forget {
            file: Some("extract.txt".into()),
            ..Forget::default()
        })
        .unwrap();
    assert_eq!(gone.len(), 2, "{gone:?}");
    assert!(l.list().unwrap().is_empty());
}

#[test]
fn hashing_a_missing_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let e = file_sha256(&missing).unwrap_err();
    assert!(matches!(e, LedgerError::Read { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("cannot read {}: ", missing.display())),
        "{e}"
    );
    std::fs::write(&missing, "abc").unwrap();
    assert_eq!(
        file_sha256(&missing).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn timestamps_are_rfc3339_utc_to_the_second() {
    let now = ledgerline_ledger::file::now();
    assert_eq!(now.len(), "2024-01-01T00:00:00Z".len(), "{now}");
    assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    let l = Ledger::open_in_memory().unwrap();
    let applied: String = l
        .connection()
        .query_row(
            "SELECT applied_at FROM schema_migrations WHERE component = 'fetch'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(applied.len(), now.len(), "{applied}");
    assert!(applied.as_str() <= now.as_str());
}

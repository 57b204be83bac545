//! FIS documents through the binary: `convert`, `validate` and `inspect` take them like any
//! other input (detected from content), alone, in a folder next to an extract, or on
//! standard input; a canonical JSONL output read back by `inspect` is not taken for one.

use crate::support::{EXAMPLE, ledgerline, text};

#[test]
fn convert_validate_and_inspect_take_fis_documents() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("j.jsonl");
    let o = ledgerline(&[
        "convert",
        "fixtures/fis/trip-v1.json",
        "fixtures/fis/page-v4.json",
        EXAMPLE,
        "--to",
        "jsonl",
        "-o",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(
        written
            .lines()
            .any(|l| l.contains("\"journal_id\":\"TRIP2024A\""))
    );
    assert!(
        written
            .lines()
            .any(|l| l.contains("\"journal_id\":\"CA-CA9\""))
    );

    let o = ledgerline(&["validate", "fixtures/fis/broken.json", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let file = &v["files"][0];
    assert_eq!(file["kind"], "FIS documents");
    let codes: Vec<&str> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"FIS403") && codes.contains(&"FIS404"),
        "{codes:?}"
    );

    // inspect: the FIS document and the canonical output of the SAE example, side by side.
    let o = ledgerline(&[
        "inspect",
        "fixtures/fis/trip-v1.json",
        out.to_str().unwrap(),
        "--by",
        "account",
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = text(&o.stdout);
    assert!(s.contains("V10") && s.contains("EMPLOYEE_PAYABLE"), "{s}");
}

#[test]
fn fis_on_standard_input_and_a_cut_document_refused_even_with_force() {
    let data = std::fs::read("fixtures/fis/documents.jsonl").unwrap();
    let mut child = ledgerline(&["validate", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("FIS documents"),
        "{}",
        text(&o.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.json");
    let whole = std::fs::read("fixtures/fis/trip-v1.json").unwrap();
    std::fs::write(&cut, &whole[..whole.len() - 40]).unwrap();
    let o = ledgerline(&[
        "convert",
        cut.to_str().unwrap(),
        "--to",
        "csv",
        "-o",
        dir.path().join("o.csv").to_str().unwrap(),
        "--force",
    ])
    .output()
    .unwrap();
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("FIS401"), "{}", text(&o.stderr));
    assert!(!dir.path().join("o.csv").exists());
}

// ---- fetch --source fis and confirm, against the simulator -------------------------

mod live {
    use crate::support::text;
    use ledgerline_simulator::{FisConfig, RunningSimulator, SimConfig, Simulator};
    use std::path::PathBuf;
    use std::process::{Command, Output};

    pub struct Env {
        pub sim: RunningSimulator,
        pub dir: tempfile::TempDir,
    }

    /// A simulator serving the bundled trip and page documents (three documents).
    pub fn env() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("queue");
        std::fs::create_dir_all(&docs).unwrap();
        for f in ["trip-v1.json", "page-v4.json"] {
            std::fs::copy(
                crate::support::root().join("fixtures/fis").join(f),
                docs.join(f),
            )
            .unwrap();
        }
        let cfg = SimConfig {
            fis: FisConfig {
                documents_dir: Some(docs),
                // Payloads come as objects only when fetch asks for them.
                text_without_header: true,
                ..FisConfig::default()
            },
            ..SimConfig::default()
        };
        let sim = Simulator::start(cfg, Vec::new()).unwrap();
        let c = sim.config();
        let d = dir.path().display();
        let toml = format!(
            "base_url = '{}'\nclient_id = '{}'\nclient_secret = '{}'\ncompany_id = '{}'\n\
             token_store = '{d}/tokens.json'\nledger = '{d}/ledger.sqlite'\nout = '{d}/out'\n\
             backoff_base = '1ms'\nbackoff_max = '20ms'\nmax_attempts = 3\nread_timeout = '5s'\n",
            sim.base_url(),
            c.client_id,
            c.client_secret,
            c.company_id
        );
        std::fs::write(dir.path().join("concur.toml"), toml).unwrap();
        let env = Env { sim, dir };
        let out = env
            .command(&["connect"])
            .env("LEDGERLINE_REQUEST_TOKEN", env.sim.request_token())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        env
    }

    impl Env {
        pub fn path(&self, p: &str) -> PathBuf {
            self.dir.path().join(p)
        }

        pub fn command(&self, args: &[&str]) -> Command {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_ledgerline"));
            cmd.args(args)
                .arg("--config")
                .arg(self.path("concur.toml"))
                .env("HOME", self.dir.path())
                .env("LEDGERLINE_NO_PROGRESS", "1")
                .env_remove("XDG_CONFIG_HOME")
                .env_remove("XDG_DATA_HOME")
                .env_remove("LEDGERLINE_CONFIG")
                .env_remove("LEDGERLINE_TOKEN_STORE")
                .env_remove("LEDGERLINE_CLIENT_SECRET")
                .env_remove("LEDGERLINE_REQUEST_TOKEN");
            cmd
        }

        pub fn run(&self, args: &[&str]) -> Output {
            self.command(args).output().unwrap()
        }

        /// Status of each queued document, by report id.
        pub fn status(&self, report: &str) -> Vec<String> {
            self.sim
                .fis_documents()
                .iter()
                .filter(|d| d.report_id.as_deref() == Some(report))
                .map(|d| d.status.clone())
                .collect()
        }
    }
}

#[test]
fn fetch_stores_each_document_acknowledges_it_and_converts() {
    let env = live::env();
    let o = env.run(&[
        "fetch",
        "--source",
        "fis",
        "--limit",
        "1",
        "--convert",
        "--to",
        "jsonl",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let paths: Vec<String> = text(&o.stdout).lines().map(str::to_owned).collect();
    assert_eq!(paths.len(), 3, "{}", text(&o.stderr));
    // Fetch asks for JSON objects (`DocumentFormatAs: json`); the simulator sends text
    // without the header.
    for p in &paths {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        let doc = v.get("document").unwrap_or(&v);
        assert!(doc.is_object(), "{p}: {v}");
    }
    // One page of one document at a time, each acknowledged before the next GET.
    assert!(env.sim.requests("fis_ack") >= 3, "{:?}", env.sim.stats());
    for d in env.sim.fis_documents() {
        assert_eq!(d.status, "ACKNOWLEDGED", "{d:?}");
    }
    let converted = env.path("out-converted");
    let mut outs: Vec<String> = std::fs::read_dir(&converted)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    outs.sort();
    assert_eq!(outs.len(), 3, "{outs:?}");
    // A rerun finds nothing new and posts nothing twice.
    let o = env.run(&["fetch", "--source", "fis", "--convert", "--to", "jsonl"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).trim().is_empty());
}

#[test]
fn confirm_success_then_payment_and_a_repeat_sends_nothing() {
    let env = live::env();
    let o = env.run(&["fetch", "--source", "fis", "--convert", "--to", "jsonl"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = env.run(&[
        "confirm",
        "--success",
        "TRIP2024A=5100000001",
        "--success",
        "CA-CA9=5100000002",
        "--payment",
    ]);
    let s = text(&o.stdout);
    assert!(o.status.success(), "{s}{}", text(&o.stderr));
    assert!(
        s.contains("TRIP2024A posting") && s.contains("sent success: SUCCESS (code 0)"),
        "{s}"
    );
    assert!(
        s.contains("TRIP2024A payment") && s.contains("sent CP: SUCCESS (code 0)"),
        "{s}"
    );
    assert_eq!(env.status("TRIP2024A"), ["PAYMENT_CONFIRMED_SUCCESS"]);
    assert_eq!(
        env.status("CA9"),
        ["POSTING_CONFIRMED_SUCCESS"],
        "cash advances get no payment"
    );
    let posts = env.sim.requests("fis_posting");
    let o = env.run(&["confirm", "--success", "TRIP2024A=5100000001", "--payment"]);
    assert!(o.status.success(), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("ALREADY_CONFIRMED"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        env.sim.requests("fis_posting"),
        posts,
        "a repeat sends nothing"
    );
    // A success for a journal never posted, or of no FIS document, is refused.
    let o = env.run(&["confirm", "--success", "NOSUCHREPORT=1"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o.stdout).contains("REFUSED"), "{}", text(&o.stdout));
}

#[test]
fn a_failure_brings_the_report_back_as_a_new_document_posted_again() {
    let env = live::env();
    let o = env.run(&["fetch", "--source", "fis", "--convert", "--to", "jsonl"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = env.run(&[
        "confirm",
        "--failure",
        "CARD2024B=Cost center OPS is blocked",
    ]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stderr).contains("back out"), "{}", text(&o.stderr));
    assert_eq!(
        env.status("CARD2024B"),
        ["POSTING_CONFIRMED_FAILURE", "READY"]
    );
    // The new document is fetched and posted: not a duplicate of the failed posting.
    let o = env.run(&[
        "fetch",
        "--source",
        "fis",
        "--convert",
        "--to",
        "jsonl",
        "--convert-out",
        env.path("second").to_str().unwrap(),
    ]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("JNL208") && !err.contains("JNL209"), "{err}");
    assert_eq!(
        std::fs::read_dir(env.path("second")).unwrap().count(),
        1,
        "{err}"
    );
    let o = env.run(&["confirm", "--success", "CARD2024B=5100000009"]);
    assert!(o.status.success(), "{}", text(&o.stdout));
    assert_eq!(
        env.status("CARD2024B"),
        ["POSTING_CONFIRMED_FAILURE", "POSTING_CONFIRMED_SUCCESS"]
    );
}

#[test]
fn a_run_cut_between_get_and_acknowledge_loses_and_doubles_nothing() {
    use ledgerline_simulator::{Fault, FaultKind};
    let env = live::env();
    env.sim.add_fault(Fault {
        route: "fis_ack".into(),
        kind: FaultKind::Drop,
        times: 1,
        skip: 0,
        after: false,
    });
    let o = env.run(&["fetch", "--source", "fis"]);
    assert!(!o.status.success(), "the acknowledgement never arrived");
    assert!(env.sim.fis_documents().iter().all(|d| d.status == "READY"));
    let o = env.run(&["fetch", "--source", "fis"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        env.sim
            .fis_documents()
            .iter()
            .all(|d| d.status == "ACKNOWLEDGED")
    );
    let mut files: Vec<String> = std::fs::read_dir(env.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "one file per document: {files:?}");
}

#[test]
fn a_document_recalled_between_fetch_and_confirm_is_refused_by_concur() {
    let env = live::env();
    let o = env.run(&["fetch", "--source", "fis", "--convert", "--to", "jsonl"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let doc = env
        .sim
        .fis_documents()
        .into_iter()
        .find(|d| d.report_id.as_deref() == Some("TRIP2024A"))
        .unwrap();
    assert!(env.sim.fis_recall(&doc.id));
    let o = env.run(&["confirm", "--success", "TRIP2024A=5100000001"]);
    assert_eq!(o.status.code(), Some(4));
    let s = text(&o.stdout);
    assert!(s.contains("WAS_RECALLED (code 112)"), "{s}");
}

#[test]
fn confirm_reads_the_erp_import_result_file() {
    let env = live::env();
    let o = env.run(&["fetch", "--source", "fis", "--convert", "--to", "jsonl"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let result = env.path("import-log.csv");
    std::fs::write(
        &result,
        "External ID,Document Number,Status,Message\nTRIP2024A,5100000100,OK,\nCARD2024B,,ERROR,\"Account 6400, company 1000: blocked\"\n",
    )
    .unwrap();
    let o = env.run(&[
        "confirm",
        "--result",
        result.to_str().unwrap(),
        "--result-map",
        "journal=External ID,document=Document Number,status=Status,message=Message",
        "--json",
    ]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sent: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["journal_id"].as_str().unwrap().to_owned(),
                l["sent"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        sent.contains(&("TRIP2024A".into(), "success".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&("CARD2024B".into(), "error".into())),
        "{sent:?}"
    );
    assert_eq!(env.status("TRIP2024A"), ["POSTING_CONFIRMED_SUCCESS"]);
}

#[test]
fn generate_fis_writes_the_reports_of_generate_as_documents() {
    let dir = tempfile::tempdir().unwrap();
    let (sae, fis) = (dir.path().join("g.txt"), dir.path().join("g.jsonl"));
    for (path, extra) in [(&sae, None), (&fis, Some("--fis"))] {
        let mut args = vec!["generate", "--reports", "40", "--seed", "11"];
        args.extend(extra);
        args.extend(["-o", path.to_str().unwrap()]);
        let o = ledgerline(&args).output().unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        if extra.is_some() {
            assert!(
                text(&o.stderr).contains("FIS documents (40 expense reports"),
                "{}",
                text(&o.stderr)
            );
        }
    }
    let o = ledgerline(&["validate", fis.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stdout));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"][0]["kind"], "FIS documents");
    // Both convert to the same trial balance (inspect --by account over each).
    let balance = |input: &std::path::Path| {
        let o = ledgerline(&[
            "inspect",
            input.to_str().unwrap(),
            "--by",
            "account",
            "--json",
        ])
        .output()
        .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut summary = v["summary"].clone();
        summary.as_object_mut().unwrap().remove("files");
        (summary, v["views"].clone())
    };
    let (a, b) = (balance(&sae), balance(&fis));
    assert!(a.1.to_string().len() > 500, "{}", a.1);
    assert_eq!(a, b);
}

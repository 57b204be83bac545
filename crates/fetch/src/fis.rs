//! Financial Integration Service v4 (`concur-api.md` §6): documents fetched per document
//! type with paging, each page **acknowledged as soon as its documents are stored** (until
//! then a processor can recall or change a report), each document stored as one file and
//! recorded in the run ledger (component `fis`); then posting and payment confirmations
//! back to Concur, each item's result recorded.
//!
//! A run killed between storing a page and acknowledging it loses nothing and doubles
//! nothing: the documents are still READY at Concur, so the next run gets them again and
//! writes the same files (named by document id) before acknowledging them. A document
//! Concur refuses to acknowledge (recalled meanwhile, not ready, another type) is removed
//! again, so no later conversion posts it.

mod confirm;
mod status;

pub use confirm::{
    ConfirmLine, ConfirmPlan, ConfirmReport, Confirmation, ErpOutcome, ErpOutcomes, Sent, Verdict,
};
pub use status::{Answer, PostingStatus, ProcessingStatus};

use crate::client::{Client, Retry, expect_success};
use crate::error::{Error, Result};
use crate::http::{Req, read_small};
use crate::time::{format_unix, now_unix};
use ledgerline_ledger::{Ledger, LedgerError, Migration};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Path of the v4 API below the geolocation.
pub const FIS_BASE: &str = "/financialintegration/fi/v4/companies/transactiontypes";

/// The document types that carry postings, fetched by default.
pub const DEFAULT_DOC_TYPES: &[&str] = &["expense", "invoice", "cashadvance"];

/// The scope a FIS token needs.
pub const FIS_SCOPE: &str = "FISVC";

/// The `fis` component's schema steps in the run ledger.
pub const FIS_MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "fis_documents: one row per FIS document fetched, with its acknowledgement and confirmations",
    sql: "CREATE TABLE fis_documents (
            id             INTEGER PRIMARY KEY,
            source         TEXT NOT NULL,
            doc_id         TEXT NOT NULL,
            doc_type       TEXT NOT NULL,
            report_id      TEXT,
            path           TEXT NOT NULL,
            sha256         TEXT NOT NULL,
            bytes          INTEGER NOT NULL,
            served_status  TEXT NOT NULL,
            fetched_at     TEXT NOT NULL,
            system_id      TEXT NOT NULL,
            ack_code       INTEGER,
            ack_result     TEXT,
            ack_message    TEXT,
            acknowledged_at TEXT,
            posting_status TEXT,
            posting_code   INTEGER,
            posting_result TEXT,
            posting_message TEXT,
            posting_at     TEXT,
            erp_documents  TEXT,
            payment_code   INTEGER,
            payment_result TEXT,
            payment_message TEXT,
            payment_ref    TEXT,
            payment_at     TEXT,
            UNIQUE (source, doc_id)
          );",
}];

/// What to fetch.
#[derive(Debug, Clone)]
pub struct FisPlan {
    /// Where documents go (one file each).
    pub out_dir: PathBuf,
    /// Document types; empty means [`DEFAULT_DOC_TYPES`].
    pub doc_types: Vec<String>,
    /// Documents per page (`limit`, Concur's default 25).
    pub limit: u32,
    /// The ERP system id sent with acknowledgements and confirmations.
    pub system_id: String,
    /// Pages read per document type at most (a guard against a server that never empties).
    pub max_pages: u32,
}

impl Default for FisPlan {
    fn default() -> Self {
        FisPlan {
            out_dir: PathBuf::from("."),
            doc_types: Vec::new(),
            limit: 25,
            system_id: "LEDGERLINE".into(),
            max_pages: 1000,
        }
    }
}

/// One document stored (and acknowledged, or removed again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FisFetched {
    /// The document id (32 hex digits).
    pub doc_id: String,
    /// Its type.
    pub doc_type: String,
    /// Its report, request or advance id.
    pub report_id: Option<String>,
    /// The file it is in.
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Size.
    pub bytes: u64,
    /// `docStatus` as served.
    pub served_status: String,
}

/// One item Concur did not accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FisFailure {
    /// The document (or the document type, for a failed GET).
    pub what: String,
    /// Concur's service code, when it gave one.
    pub code: Option<i64>,
    /// Why.
    pub message: String,
}

/// The outcome of a FIS fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FisReport {
    /// The company fetched for.
    pub company_id: Option<String>,
    /// Documents stored and acknowledged.
    pub fetched: Vec<FisFetched>,
    /// Documents Concur refused to acknowledge (recalled meanwhile ...): removed again.
    pub failures: Vec<FisFailure>,
    /// Pages read.
    pub pages: u64,
}

/// Progress, as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FisEvent {
    /// A page of a document type was read.
    Page {
        /// Document type.
        doc_type: String,
        /// 0-based page number.
        page: u64,
        /// Documents on it.
        documents: usize,
    },
    /// A document was stored and acknowledged.
    Acknowledged(FisFetched),
    /// A document was not acknowledged (and its file removed).
    Refused(FisFailure),
}

fn sql_error(ledger: &Ledger, source: rusqlite::Error) -> Error {
    Error::Ledger {
        source: LedgerError::Sql {
            path: ledger.path().to_owned(),
            source,
        },
    }
}

/// The run ledger's `fis` records (the component's tables are created on first use).
pub struct FisLedger<'l> {
    ledger: &'l mut Ledger,
}

/// One `fis_documents` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FisRecord {
    /// The company.
    pub source: String,
    /// Document id.
    pub doc_id: String,
    /// Document type.
    pub doc_type: String,
    /// Report, request or advance id (the journal's id).
    pub report_id: Option<String>,
    /// The stored file.
    pub path: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
    /// The system id it was acknowledged with.
    pub system_id: String,
    /// Acknowledgement result (`SUCCESS`, `FAILURE`), none before it was sent.
    pub ack_result: Option<Answer>,
    /// Its service code.
    pub ack_code: Option<i64>,
    /// The posting status confirmed (`success`, `error`); none before one was sent (or
    /// for a text this version does not write).
    pub posting_status: Option<PostingStatus>,
    /// Concur's answer to it (`SUCCESS`, `NOT_YET_ACKNOWLEDGED`, `WAS_RECALLED` ...).
    pub posting_result: Option<Answer>,
    /// Its service code.
    pub posting_code: Option<i64>,
    /// Concur's answer to the payment confirmation (`SUCCESS`, `NOOP` ...).
    pub payment_result: Option<Answer>,
    /// Its service code.
    pub payment_code: Option<i64>,
}

impl<'l> FisLedger<'l> {
    /// The records of `ledger` (migrating its `fis` component).
    pub fn open(ledger: &'l mut Ledger) -> Result<FisLedger<'l>> {
        ledger.migrate("fis", FIS_MIGRATIONS)?;
        Ok(FisLedger { ledger })
    }

    fn exec(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<()> {
        self.ledger
            .connection()
            .execute(sql, params)
            .map(|_| ())
            .map_err(|e| sql_error(self.ledger, e))
    }

    /// Records a stored document (before its acknowledgement is sent).
    pub fn stored(&self, source: &str, f: &FisFetched, system_id: &str) -> Result<()> {
        let path = f.path.to_string_lossy();
        let bytes = i64::try_from(f.bytes).unwrap_or(i64::MAX);
        let now = format_unix(now_unix());
        self.exec(
            "INSERT INTO fis_documents (source, doc_id, doc_type, report_id, path, sha256, bytes, served_status, fetched_at, system_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (source, doc_id) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256,
               bytes = excluded.bytes, served_status = excluded.served_status, fetched_at = excluded.fetched_at,
               system_id = excluded.system_id",
            &[&source, &f.doc_id, &f.doc_type, &f.report_id, &path, &f.sha256, &bytes, &f.served_status, &now, &system_id],
        )
    }

    /// Records Concur's answer to a document's acknowledgement.
    pub fn acknowledged(&self, source: &str, answer: &ItemResult) -> Result<()> {
        let now = format_unix(now_unix());
        self.exec(
            "UPDATE fis_documents SET ack_code = ?3, ack_result = ?4, ack_message = ?5, acknowledged_at = ?6
             WHERE source = ?1 AND doc_id = ?2",
            &[
                &source,
                &answer.doc_id,
                &answer.code,
                &answer.result.as_str(),
                &answer.message,
                &now,
            ],
        )
    }

    /// Records a posting confirmation (its status, with the ERP documents) and Concur's
    /// answer to it.
    pub fn posting(
        &self,
        source: &str,
        doc_id: &str,
        sent: &SentPosting<'_>,
        answer: &ItemResult,
    ) -> Result<()> {
        let now = format_unix(now_unix());
        self.exec(
            "UPDATE fis_documents SET posting_status = ?3, posting_code = ?4, posting_result = ?5,
               posting_message = ?6, posting_at = ?7, erp_documents = ?8
             WHERE source = ?1 AND doc_id = ?2",
            &[
                &source,
                &doc_id,
                &sent.status.as_str(),
                &answer.code,
                &answer.result.as_str(),
                &answer.message,
                &now,
                &sent.erp_documents,
            ],
        )
    }

    /// Records a payment confirmation (its `paymentRef`) and Concur's answer.
    pub fn payment(&self, source: &str, payment_ref: &str, answer: &ItemResult) -> Result<()> {
        let now = format_unix(now_unix());
        self.exec(
            "UPDATE fis_documents SET payment_code = ?3, payment_result = ?4, payment_message = ?5,
               payment_ref = ?6, payment_at = ?7
             WHERE source = ?1 AND doc_id = ?2",
            &[
                &source,
                &answer.doc_id,
                &answer.code,
                &answer.result.as_str(),
                &answer.message,
                &payment_ref,
                &now,
            ],
        )
    }

    /// Every record, oldest first.
    pub fn records(&self) -> Result<Vec<FisRecord>> {
        let conn = self.ledger.connection();
        let run = || -> rusqlite::Result<Vec<FisRecord>> {
            let mut stmt = conn.prepare(
                "SELECT source, doc_id, doc_type, report_id, path, sha256, system_id, ack_result, ack_code,
                        posting_status, posting_result, posting_code, payment_result, payment_code
                 FROM fis_documents ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                let path: String = r.get(4)?;
                let answer = |i: usize| -> rusqlite::Result<Option<Answer>> {
                    Ok(r.get::<_, Option<String>>(i)?.map(|w| Answer::parse(&w)))
                };
                Ok(FisRecord {
                    source: r.get(0)?,
                    doc_id: r.get(1)?,
                    doc_type: r.get(2)?,
                    report_id: r.get(3)?,
                    path: PathBuf::from(path),
                    sha256: r.get(5)?,
                    system_id: r.get(6)?,
                    ack_result: answer(7)?,
                    ack_code: r.get(8)?,
                    posting_status: r
                        .get::<_, Option<String>>(9)?
                        .and_then(|t| PostingStatus::parse(&t)),
                    posting_result: answer(10)?,
                    posting_code: r.get(11)?,
                    payment_result: answer(12)?,
                    payment_code: r.get(13)?,
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| sql_error(self.ledger, e))
    }
}

/// What a posting confirmation said.
#[derive(Debug, Clone, Copy)]
pub struct SentPosting<'a> {
    /// `success` or `error`.
    pub status: PostingStatus,
    /// The ERP document numbers (success), `;`-separated.
    pub erp_documents: &'a str,
}

/// One per-item answer of an acknowledgement or confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemResult {
    /// The document.
    pub doc_id: String,
    /// Concur's service code (0 ok, 101-116, 213, 298 ...; -1 when it gave none).
    pub code: i64,
    /// `SUCCESS`, `FAILURE`, `NOT_YET_ACKNOWLEDGED`, `WAS_RECALLED`, `NOOP` ...
    pub result: Answer,
    /// Concur's message.
    pub message: String,
}

impl ItemResult {
    /// What stands for Concur's answer when it gave none for `doc_id`: `FAILURE`, code -1.
    pub fn missing(doc_id: &str) -> ItemResult {
        ItemResult {
            doc_id: doc_id.to_owned(),
            code: -1,
            result: Answer::Failure,
            message: "no answer for this document".into(),
        }
    }
}

/// The documents of a GET answer: the v4 `content`, the v1 `fIDocuments`, or a list; and
/// the page count when the answer gives one.
pub fn page_documents(v: &Value) -> (Vec<Value>, Option<u64>) {
    let pages = v.pointer("/page/totalPages").and_then(Value::as_u64);
    let docs = match v {
        Value::Array(a) => a.clone(),
        _ => v
            .get("content")
            .or_else(|| v.get("fIDocuments"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    };
    (docs, pages)
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The report, request or advance id of a document (its journal's id).
pub fn report_id(doc: &Value) -> Option<String> {
    let payload = match doc.get("document") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(d) => d.clone(),
        None => Value::Null,
    };
    text_of(payload.pointer("/report/reportId"))
        .or_else(|| text_of(payload.pointer("/requestHeader/reqKey")))
        .or_else(|| {
            text_of(payload.pointer("/cashAdvanceData/cashAdvanceId")).map(|c| format!("CA-{c}"))
        })
}

/// A safe file-name part.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The per-item answers of an acknowledgement or confirmation (`result_key`:
/// `acknowledgeResult`, `postingConfirmationResult`, `paymentConfirmationResult`).
pub fn item_results(v: &Value, result_key: &str) -> Vec<ItemResult> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|r| ItemResult {
                    doc_id: text_of(r.get("docId")).unwrap_or_default(),
                    code: r.get("code").and_then(Value::as_i64).unwrap_or(-1),
                    result: Answer::parse(&text_of(r.get(result_key)).unwrap_or_default()),
                    message: text_of(r.get("errorMessage")).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Client {
    fn fis_url(&self, doc_type: &str, tail: &str) -> String {
        self.url(&format!("{FIS_BASE}/{doc_type}/transactions{tail}"))
    }

    /// The company the records of this client are kept under.
    pub fn company_source(&self) -> String {
        let t = self.session().tokens();
        t.company_id
            .clone()
            .unwrap_or_else(|| t.geolocation.clone())
    }

    /// A token whose granted scopes are known and lack `FISVC` cannot call FIS.
    fn check_fis_scope(&self) -> Result<()> {
        match &self.session().tokens().scope {
            Some(s)
                if !s
                    .split_whitespace()
                    .any(|x| x.eq_ignore_ascii_case(FIS_SCOPE)) =>
            {
                Err(Error::Config(format!(
                    "the stored connection's scopes ({s}) lack {FIS_SCOPE}: enable the Financial Integration Service for the app and run `ledgerline connect` again"
                )))
            }
            _ => Ok(()),
        }
    }

    /// POSTs JSON to a FIS operation and returns the answer (a 400 with a JSON list of
    /// per-item results is an answer too).
    pub fn fis_post(&mut self, doc_type: &str, operation: &str, body: &Value) -> Result<Value> {
        let url = self.fis_url(doc_type, &format!("/{operation}"));
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Parse {
            url: url.clone(),
            message: e.to_string(),
        })?;
        let resp = self.send(
            &Req::post(&url, "application/json", "application/json", bytes),
            Retry::Never,
        )?;
        let status = resp.status();
        let text = read_small(resp, &url)?;
        match serde_json::from_str::<Value>(&text) {
            Ok(v @ Value::Array(_)) => Ok(v),
            _ if !(200..300).contains(&status) => Err(Error::Http {
                method: "POST".into(),
                url,
                status,
                message: crate::http::error_message(&text),
            }),
            Ok(v) => Ok(v),
            Err(e) => Err(Error::Parse {
                url,
                message: e.to_string(),
            }),
        }
    }

    /// Fetches the READY documents of each type, page by page, storing each document as a
    /// file and acknowledging each page as soon as it is stored.
    pub fn fetch_fis(
        &mut self,
        plan: &FisPlan,
        ledger: &mut Ledger,
        on_event: &mut dyn FnMut(&FisEvent),
    ) -> Result<FisReport> {
        self.check_fis_scope()?;
        std::fs::create_dir_all(&plan.out_dir).map_err(|e| Error::io(&plan.out_dir, e))?;
        let records = FisLedger::open(ledger)?;
        let source = self.company_source();
        let mut report = FisReport {
            company_id: self.session().tokens().company_id.clone(),
            ..FisReport::default()
        };
        let types: Vec<String> = if plan.doc_types.is_empty() {
            DEFAULT_DOC_TYPES.iter().map(|s| s.to_string()).collect()
        } else {
            plan.doc_types.clone()
        };
        for doc_type in types {
            let mut seen: HashSet<String> = HashSet::new();
            let mut page: u64 = 0;
            for _ in 0..plan.max_pages {
                let url = format!(
                    "{}?page={page}&limit={}",
                    self.fis_url(&doc_type, ""),
                    plan.limit.max(1)
                );
                // Documents as JSON objects, said rather than left to Concur's default (the
                // reader takes documents sent as text too).
                let req = Req {
                    headers: &[("DocumentFormatAs", "json")],
                    ..Req::get(&url, "application/json")
                };
                let resp = self.send(&req, Retry::Safe)?;
                let resp = expect_success(resp, "GET", &url)?;
                let text = read_small(resp, &url)?;
                let body: Value = serde_json::from_str(&text).map_err(|e| Error::Parse {
                    url: url.clone(),
                    message: e.to_string(),
                })?;
                report.pages += 1;
                let (docs, pages) = page_documents(&body);
                on_event(&FisEvent::Page {
                    doc_type: doc_type.clone(),
                    page,
                    documents: docs.len(),
                });
                if docs.is_empty() {
                    break;
                }
                // Store every new document of the page, then acknowledge them at once.
                let mut stored = Vec::new();
                for d in docs {
                    let Some(id) = text_of(d.get("id")) else {
                        continue;
                    };
                    if !seen.insert(id.clone()) {
                        continue;
                    }
                    let f = store_document(&plan.out_dir, &doc_type, &id, &d)?;
                    records.stored(&source, &f, &plan.system_id)?;
                    stored.push(f);
                }
                if stored.is_empty() {
                    // Only documents this run has seen: the next page, if there is one.
                    page += 1;
                    if pages.is_some_and(|p| page >= p) || pages.is_none() {
                        break;
                    }
                    continue;
                }
                let ids: Vec<&str> = stored.iter().map(|f| f.doc_id.as_str()).collect();
                let answer = self.fis_post(
                    &doc_type,
                    "acknowledgements",
                    &json!({ "ids": ids, "systemId": plan.system_id }),
                )?;
                let results = item_results(&answer, "acknowledgeResult");
                let mut acked = 0;
                for f in stored {
                    let answer = results
                        .iter()
                        .find(|r| r.doc_id == f.doc_id)
                        .cloned()
                        .unwrap_or_else(|| ItemResult::missing(&f.doc_id));
                    records.acknowledged(&source, &answer)?;
                    let (code, message) = (answer.code, &answer.message);
                    if code == 0 || answer.result.is_success() {
                        acked += 1;
                        on_event(&FisEvent::Acknowledged(f.clone()));
                        report.fetched.push(f);
                    } else {
                        // Not ours to post (recalled, not ready, another type): remove it.
                        let _ = std::fs::remove_file(&f.path);
                        let failure = FisFailure {
                            what: format!("{doc_type} document {}", f.doc_id),
                            code: Some(code),
                            message: format!(
                                "not acknowledged ({code}{}): the file is removed, nothing of it is posted",
                                if message.is_empty() {
                                    String::new()
                                } else {
                                    format!(", {message}")
                                }
                            ),
                        };
                        on_event(&FisEvent::Refused(failure.clone()));
                        report.failures.push(failure);
                    }
                }
                // Acknowledged documents leave the READY set: read the first page again.
                if acked == 0 {
                    page += 1;
                    if pages.is_none_or(|p| page >= p) {
                        break;
                    }
                } else {
                    page = 0;
                }
            }
        }
        Ok(report)
    }
}

/// Writes one document as `fis-<type>-<id>.json` (atomically) and hashes it.
fn store_document(out_dir: &Path, doc_type: &str, id: &str, doc: &Value) -> Result<FisFetched> {
    let name = format!("fis-{}-{}.json", safe(doc_type), safe(id));
    let path = out_dir.join(&name);
    let mut bytes = serde_json::to_vec_pretty(doc).map_err(|e| Error::Parse {
        url: name.clone(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    let mut file =
        ledgerline_atomic::AtomicFile::create(&path).map_err(|e| Error::io(&e.path, e.source))?;
    std::io::Write::write_all(file.writer(), &bytes).map_err(|e| Error::io(&path, e))?;
    file.commit().map_err(|e| Error::io(&e.path, e.source))?;
    Ok(FisFetched {
        doc_id: id.to_owned(),
        doc_type: doc_type.to_owned(),
        report_id: report_id(doc),
        path,
        sha256: format!("{:x}", Sha256::digest(&bytes)),
        bytes: bytes.len() as u64,
        served_status: text_of(doc.get("docStatus")).unwrap_or_default(),
    })
}

//! Financial Integration Service v4 (`concur-api.md` §6, `concur-master-data.md` §6): a
//! queue of documents per document type, served to a company token, with the documented
//! lifecycle and service codes.
//!
//! * `GET .../transactiontypes/{docType}/transactions`: the READY documents (0-based
//!   `page`, `limit` default 25, at most 100), `docId` + `ignoreDocumentStatus=yes`,
//!   `DocumentFormatAs: text|json` (the payload as a JSON string or an object); the v4
//!   page (`links` first/self/next/last, `content`, `page`), or the v1 wrapper
//!   (`fIDocuments`, `offset`, `nextPage`, `numberReturned`) with [`FisConfig::v1`];
//! * `POST .../acknowledgements`: READY -> ACKNOWLEDGED (0), 101 already acknowledged, 102
//!   recalled, 103 not ready, 104 not found, 105 wrong type, 99 `systemId` mismatch, 198 a
//!   request without `ids` or `systemId`;
//! * `POST .../postingconfirmations`: ACKNOWLEDGED -> POSTING_CONFIRMED_SUCCESS |
//!   POSTING_CONFIRMED_FAILURE (a failure re-queues the report as a new READY document
//!   with a new id); 111 NOT_YET_ACKNOWLEDGED, 112 WAS_RECALLED, 113 already confirmed,
//!   115 wrong type, 116 DOCUMENT_NOT_FOUND, 99;
//! * `POST .../paymentconfirmations` (expense only): POSTING_CONFIRMED_SUCCESS ->
//!   PAYMENT_CONFIRMED_SUCCESS; a repeated `paymentRef` is NOOP (213), a payment before a
//!   successful posting NOT_POSTING_CONFIRMED, an unknown status code 298;
//! * admin: `GET /_admin/fis` (every document and its status), `POST
//!   /_admin/fis/recall/{docId}` (a processor recalls a report), `POST /_admin/fis/documents`
//!   (queue more documents: any FIS input shape).
//!
//! Documents come from [`FisConfig::documents_dir`] (every `.json` / `.jsonl` file in it, in
//! any FIS shape: the official examples work as they are, each queued READY) or, without
//! one, from [`FisConfig::generated`] small generated expense reports.

//!
//! This module holds the queues and their documents and needs nothing of the server's
//! shared state, which holds the queues; `routes` is the HTTP side, on that state.

pub(crate) mod routes;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Path prefix of the v4 API.
pub const FIS_BASE: &str = "/financialintegration/fi/v4/companies/transactiontypes";

/// The document types the API knows.
pub const DOC_TYPES: &[&str] = &[
    "expense",
    "invoice",
    "cashadvance",
    "payroll",
    "obligation",
    "requestobligation",
    "reportobligation",
];

/// FIS settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FisConfig {
    /// Queue the documents of every `.json` / `.jsonl` file in this directory.
    pub documents_dir: Option<PathBuf>,
    /// Without `documents_dir`: this many generated expense reports.
    pub generated: u32,
    /// Serve the legacy v1 wrapper instead of the v4 page.
    pub v1: bool,
    /// The ERP system id the company expects; another `systemId` is refused (code 99).
    /// `None` accepts any on acknowledgement and holds the document to it afterwards.
    pub system_id: Option<String>,
    /// A failure confirmation re-queues the report as a new document (Concur does once the
    /// processor has fixed it).
    pub requeue_failed: bool,
    /// Serve payloads as text (a JSON string) when a GET has no `DocumentFormatAs` header.
    /// Concur documents the header but not its default; off serves objects.
    pub text_without_header: bool,
}

impl Default for FisConfig {
    fn default() -> Self {
        FisConfig {
            documents_dir: None,
            generated: 3,
            v1: false,
            system_id: None,
            requeue_failed: true,
            text_without_header: false,
        }
    }
}

/// One queued document.
#[derive(Debug, Clone, Serialize)]
pub struct FisDoc {
    /// 32 hex digits.
    pub id: String,
    /// `expense`, `invoice`, `cashadvance` ...
    pub doc_type: String,
    /// The report (expense), request (invoice) or advance id, when the payload names one.
    pub report_id: Option<String>,
    /// The payload.
    #[serde(skip)]
    pub document: Value,
    /// `READY`, `ACKNOWLEDGED`, `RECALLED`, `POSTING_CONFIRMED_SUCCESS` ...
    pub status: String,
    /// The `systemId` that acknowledged it.
    pub system_id: Option<String>,
    /// The ERP document numbers of a successful posting confirmation.
    pub erp_documents: Vec<String>,
    /// Payment references confirmed.
    pub payment_refs: Vec<String>,
    /// The document this one re-queues (after a failed posting).
    pub requeued_from: Option<String>,
}

/// The queues.
#[derive(Debug, Default)]
pub struct FisState {
    /// Every document, in queue order.
    pub docs: Vec<FisDoc>,
    seq: u64,
}

impl FisState {
    /// The initial queues of `cfg`.
    pub fn new(cfg: &FisConfig, company: &str) -> FisState {
        let mut s = FisState::default();
        match &cfg.documents_dir {
            Some(dir) => {
                let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                    .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                    .unwrap_or_default();
                files.retain(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"));
                files.sort();
                for f in files {
                    if let Ok(text) = std::fs::read_to_string(&f) {
                        s.add_text(&text);
                    }
                }
            }
            None => {
                for n in 1..=cfg.generated {
                    let doc = generated(n, company);
                    s.add(doc);
                }
            }
        }
        s
    }

    fn next_id(&mut self) -> String {
        self.seq += 1;
        format!(
            "{:016x}{:016x}",
            0x5e1f_4c0a_9d1b_0000u64 + self.seq,
            self.seq * 0x9E37_79B9
        )
    }

    /// Queues every document of a FIS input (any shape), READY. Returns how many.
    pub fn add_text(&mut self, text: &str) -> usize {
        let mut n = 0;
        for v in serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .flatten()
        {
            n += self.add(v);
        }
        n
    }

    /// Queues the documents of one JSON value (a page, a list, a document, a payload).
    pub fn add(&mut self, v: Value) -> usize {
        let items: Vec<Value> = match v {
            Value::Array(a) => a,
            Value::Object(mut o) => {
                if let Some(Value::Array(a)) = o.remove("fIDocuments") {
                    a
                } else if let Some(Value::Array(a)) = o.remove("content") {
                    a
                } else {
                    vec![Value::Object(o)]
                }
            }
            _ => Vec::new(),
        };
        let mut n = 0;
        for item in items {
            let Value::Object(mut o) = item else { continue };
            let document = match o.remove("document") {
                Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::Null),
                Some(d) => d,
                None => Value::Object(o.clone()),
            };
            let doc_type = o
                .get("docType")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .unwrap_or_else(|| infer_type(&document).into());
            let id = match o.get("id").and_then(Value::as_str) {
                Some(id) if !self.docs.iter().any(|d| d.id == id) => id.to_owned(),
                _ => self.next_id(),
            };
            let report_id = report_id(&document);
            self.docs.push(FisDoc {
                id,
                doc_type,
                report_id,
                document,
                status: "READY".into(),
                system_id: None,
                erp_documents: Vec::new(),
                payment_refs: Vec::new(),
                requeued_from: None,
            });
            n += 1;
        }
        n
    }
}

fn infer_type(d: &Value) -> &'static str {
    if d.get("cashAdvanceData").is_some() {
        "cashadvance"
    } else if d.get("requestHeader").is_some() {
        "invoice"
    } else {
        "expense"
    }
}

fn report_id(d: &Value) -> Option<String> {
    let s = |v: Option<&Value>| {
        v.and_then(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    s(d.pointer("/report/reportId"))
        .or_else(|| s(d.pointer("/requestHeader/requestId")))
        .or_else(|| s(d.pointer("/cashAdvanceData/cashAdvanceId")))
}

/// A small expense report: a cash taxi and a hotel on an IBCP card.
fn generated(n: u32, company: &str) -> Value {
    let report = format!("SIMFIS{n:014}");
    let taxi = 10 + n;
    json!({
        "id": format!("{:032x}", 0xf15_0000u64 + u64::from(n)),
        "docType": "expense",
        "companyUuid": company,
        "docStatus": "READY",
        "document": {
            "employee": {"employeeId": format!("E{n:04}"), "employeeFirstName": "Sam", "employeeLastName": format!("Simulated{n}")},
            "report": {"reportId": report, "reportKey": n, "reportName": format!("Simulated trip {n}"),
                       "employeeCurrencyAlphaCode": "USD", "reportSubmitDate": "2024-05-02T08:00:00.000Z",
                       "totalApprovedAmount": taxi + 120},
            "expenseEntry": [
                {"entryId": format!("T{n}"), "expenseTypeName": "Taxi", "entryApprovedAmount": taxi, "entryIsPersonal": "N",
                 "reportEntryPatKey": "CASH", "entryDate": "2024-04-29T00:00:00.000Z",
                 "allocation": [{"allocationPercentage": 100, "journal": [
                     {"journalPayer": "COMP", "journalPayee": "EMPL", "journalAccountCode": "6100", "amountGross": taxi}]}]},
                {"entryId": format!("H{n}"), "expenseTypeName": "Hotel", "entryApprovedAmount": 120, "entryIsPersonal": "N",
                 "reportEntryPatKey": "IBCP", "entryDate": "2024-04-29T00:00:00.000Z",
                 "allocation": [{"allocationPercentage": 100, "journal": [
                     {"journalPayer": "COMP", "journalPayee": "IBCP", "journalAccountCode": "6200", "amountGross": 120}]}]}
            ],
            "cashAdvanceApplication": []
        }
    })
}

impl crate::RunningSimulator {
    /// Every FIS document and its status.
    pub fn fis_documents(&self) -> Vec<FisDoc> {
        self.shared
            .fis
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .docs
            .clone()
    }

    /// A processor recalls a READY or ACKNOWLEDGED document; false when it is not one.
    pub fn fis_recall(&self, doc_id: &str) -> bool {
        let mut st = self.shared.fis.lock().unwrap_or_else(|e| e.into_inner());
        match st.docs.iter_mut().find(|d| d.id == doc_id) {
            Some(d) if d.status == "READY" || d.status == "ACKNOWLEDGED" => {
                d.status = "RECALLED".into();
                true
            }
            _ => false,
        }
    }

    /// Queues the documents of a FIS input (any shape); how many.
    pub fn fis_add(&self, text: &str) -> usize {
        self.shared
            .fis
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add_text(text)
    }
}

//! The FIS routes against a running simulator.

use super::*;
use crate::{SimConfig, Simulator};

fn sim(fis: FisConfig) -> crate::RunningSimulator {
    Simulator::start(
        SimConfig {
            fis,
            ..SimConfig::default()
        },
        Vec::new(),
    )
    .unwrap()
}

fn token(s: &crate::RunningSimulator) -> String {
    let c = s.config();
    let rt = s.request_token();
    let r = ureq::post(&format!("{}/oauth2/v0/token", s.base_url()))
        .send_form(&[
            ("grant_type", "password"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("username", &c.company_id),
            ("password", &rt),
            ("credtype", "authtoken"),
        ])
        .unwrap();
    let v: Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

fn call(r: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    let (status, body) = match r {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    };
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

fn get(s: &crate::RunningSimulator, t: &str, query: &str, text: bool) -> (u16, Value) {
    let mut req = ureq::get(&format!(
        "{}{FIS_BASE}/expense/transactions{query}",
        s.base_url()
    ))
    .set("Authorization", &format!("Bearer {t}"));
    if text {
        req = req.set("DocumentFormatAs", "text");
    }
    call(req.call())
}

fn post(
    s: &crate::RunningSimulator,
    t: &str,
    doc_type: &str,
    op: &str,
    body: Value,
) -> (u16, Value) {
    call(
        ureq::post(&format!(
            "{}{FIS_BASE}/{doc_type}/transactions/{op}",
            s.base_url()
        ))
        .set("Authorization", &format!("Bearer {t}"))
        .send_string(&body.to_string()),
    )
}

fn codes(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_i64().unwrap())
        .collect()
}

fn post_entries(s: &crate::RunningSimulator, t: &str, report: &str, amounts: &[&str]) -> String {
    let expenses: String = amounts
        .iter()
        .map(|a| {
            format!(
                "<Expense><CrnCode>EUR</CrnCode><ExpKey>TAXIX</ExpKey><TransactionDate>2024-03-20</TransactionDate>\
                 <TransactionAmount>{a}</TransactionAmount><VendorDescription>Loopback Cabs</VendorDescription></Expense>"
            )
        })
        .collect();
    let body = format!(
        "<ReportEntries xmlns=\"http://www.concursolutions.com/api/expense/expensereport/2011/03\">{expenses}</ReportEntries>"
    );
    ureq::post(&format!(
        "{}/api/expense/expensereport/v1.1/report/{report}/entry",
        s.base_url()
    ))
    .set("Authorization", &format!("Bearer {t}"))
    .set("Content-Type", "application/xml")
    .send_string(&body)
    .unwrap()
    .into_string()
    .unwrap()
}

#[test]
fn posted_expense_entries_become_one_document_per_report() {
    let s = sim(FisConfig {
        generated: 0,
        ..FisConfig::default()
    });
    let t = token(&s);
    assert!(post_entries(&s, &t, "RPT1", &["42.50", "7.25"]).contains("SUCCESS"));
    assert!(post_entries(&s, &t, "RPT2", &["10"]).contains("SUCCESS"));
    assert!(post_entries(&s, &t, "RPT1", &["0.75"]).contains("SUCCESS"));
    let (st, v) = get(&s, &t, "", false);
    assert_eq!(st, 200, "{v}");
    let docs = v["content"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "{v}");
    let rpt1 = docs
        .iter()
        .find(|d| d["document"]["report"]["reportId"] == "RPT1")
        .expect("RPT1 queued");
    let amounts: Vec<String> = rpt1["document"]["expenseEntry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entryApprovedAmount"].to_string())
        .collect();
    assert_eq!(amounts, ["42.5", "7.25", "0.75"], "in the order posted");
    assert_eq!(
        rpt1["document"]["report"]["totalApprovedAmount"].to_string(),
        "50.5"
    );
    // The document converts to the journal of its entries.
    let page = serde_json::to_vec(&v).unwrap();
    let mut sink = ledgerline_journal::pipeline::Collect::default();
    let opts = ledgerline_journal::pipeline::ConvertOptions::new(std::sync::Arc::new(
        ledgerline_journal::Rules::default(),
    ));
    let r =
        ledgerline_fis::convert_reader("page.json", page.as_slice(), &opts, &mut sink, &mut |_| {})
            .unwrap();
    assert_eq!(r.validation.findings.errors(), 0);
    let j = sink.journals.iter().find(|j| j.id == "RPT1").unwrap();
    assert_eq!(j.lines.len(), 4, "three taxis and the employee payable");
    // A report sent for integration takes no more entries; another report does.
    let refused = post_entries(&s, &t, "RPT1", &["3"]);
    assert!(refused.contains("<Status>FAILED</Status>"), "{refused}");
    assert!(
        refused.contains("entries can no longer be added"),
        "{refused}"
    );
    assert!(post_entries(&s, &t, "RPT3", &["3"]).contains("SUCCESS"));
    let (_, v) = get(&s, &t, "", false);
    let ids: Vec<&str> = v["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document"]["report"]["reportId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.iter().filter(|i| **i == "RPT1").count(), 1, "{ids:?}");
    assert!(ids.contains(&"RPT3"), "{ids:?}");
}

#[test]
fn pages_formats_and_the_v1_wrapper() {
    let s = sim(FisConfig {
        generated: 3,
        ..FisConfig::default()
    });
    let t = token(&s);
    let (st, v) = get(&s, &t, "?page=0&limit=2", false);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["content"].as_array().unwrap().len(), 2);
    assert_eq!(v["page"]["totalPages"], 2);
    let rels: Vec<&str> = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(rels, ["first", "self", "next", "last"]);
    assert!(v["content"][0]["document"].is_object());
    let (_, v) = get(&s, &t, "?page=1&limit=2", true);
    assert_eq!(v["content"].as_array().unwrap().len(), 1);
    assert!(
        v["content"][0]["document"].is_string(),
        "DocumentFormatAs: text"
    );
    let v1 = sim(FisConfig {
        v1: true,
        ..FisConfig::default()
    });
    let t1 = token(&v1);
    let (_, v) = get(&v1, &t1, "?limit=2", false);
    assert_eq!(v["numberReturned"], 2, "{v}");
    assert!(v["nextPage"].as_str().unwrap().contains("offset=2"));
    assert!(v.get("content").is_none());
}

#[test]
fn the_documented_service_codes() {
    let s = sim(FisConfig {
        generated: 3,
        system_id: Some("ERP1".into()),
        ..FisConfig::default()
    });
    let t = token(&s);
    let ids: Vec<String> = s.fis_documents().iter().map(|d| d.id.clone()).collect();
    let ack = |ids: Value, system: &str| {
        post(
            &s,
            &t,
            "expense",
            "acknowledgements",
            json!({"ids": ids, "systemId": system}),
        )
    };
    assert_eq!(codes(&ack(json!([ids[0], "nope"]), "ERP1").1), [0, 104]);
    assert_eq!(
        codes(&ack(json!([ids[0]]), "ERP1").1),
        [101],
        "acknowledged twice"
    );
    assert_eq!(
        codes(&ack(json!([ids[1]]), "OTHER").1),
        [99],
        "another systemId"
    );
    let (st, v) = post(
        &s,
        &t,
        "expense",
        "acknowledgements",
        json!({"ids": [ids[1]]}),
    );
    assert_eq!((st, codes(&v)), (400, vec![198]), "no systemId");
    let (_, v) = post(
        &s,
        &t,
        "invoice",
        "acknowledgements",
        json!({"ids": [ids[1]], "systemId": "ERP1"}),
    );
    assert_eq!(codes(&v), [105], "another type");
    let confirm = |id: &str, status: &str| {
        post(
            &s,
            &t,
            "expense",
            "postingconfirmations",
            json!({"systemId": "ERP1",
            "postingConfirmations": [{"docId": id, "overallPostingStatusCode": status,
                "postingDocs": [{"documentNumber": "51"}], "systemMessages": []}]}),
        )
    };
    let (_, v) = confirm(&ids[1], "success");
    assert_eq!(
        (
            codes(&v)[0],
            v[0]["postingConfirmationResult"].as_str().unwrap()
        ),
        (111, "NOT_YET_ACKNOWLEDGED")
    );
    let pay = |id: &str, r: &str| {
        post(
            &s,
            &t,
            "expense",
            "paymentconfirmations",
            json!({"systemId": "ERP1",
            "processingConfirmation": [{"docId": id, "processingStatusCode": "CP",
                "clearingDetails": [{"clearingReference": {"paymentRef": r}}]}]}),
        )
    };
    assert_eq!(
        pay(&ids[0], "P1").1[0]["paymentConfirmationResult"],
        "NOT_POSTING_CONFIRMED"
    );
    assert_eq!(codes(&confirm(&ids[0], "success").1), [0]);
    assert_eq!(
        codes(&confirm(&ids[0], "success").1),
        [113],
        "confirmed twice"
    );
    assert_eq!(codes(&confirm("nope", "success").1), [116]);
    assert_eq!(codes(&pay(&ids[0], "P1").1), [0]);
    let (_, v) = pay(&ids[0], "P1");
    assert_eq!(
        (
            codes(&v)[0],
            v[0]["paymentConfirmationResult"].as_str().unwrap()
        ),
        (213, "NOOP")
    );
    // Recalled: before the acknowledgement (102), after it (112).
    assert!(s.fis_recall(&ids[2]));
    assert_eq!(codes(&ack(json!([ids[2]]), "ERP1").1), [102]);
    assert_eq!(codes(&confirm(&ids[2], "error").1), [112]);
    // An app-only token is refused.
    let c = s.config();
    let r = ureq::post(&format!("{}/oauth2/v0/token", s.base_url()))
        .send_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
        ])
        .unwrap();
    let app: Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
    let (st, _) = get(&s, app["access_token"].as_str().unwrap(), "", false);
    assert_eq!(st, 403);
}

#[test]
fn a_failed_posting_comes_back_as_a_new_document() {
    let s = sim(FisConfig {
        generated: 1,
        ..FisConfig::default()
    });
    let t = token(&s);
    let id = s.fis_documents()[0].id.clone();
    post(
        &s,
        &t,
        "expense",
        "acknowledgements",
        json!({"ids": [id], "systemId": "S"}),
    );
    let (_, v) = post(
        &s,
        &t,
        "expense",
        "postingconfirmations",
        json!({"systemId": "S",
        "postingConfirmations": [{"docId": id, "overallPostingStatusCode": "error",
            "systemMessages": [{"messageLongText": "blocked"}]}]}),
    );
    assert_eq!(codes(&v), [0]);
    let docs = s.fis_documents();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].status, "POSTING_CONFIRMED_FAILURE");
    assert_eq!(
        (docs[1].status.as_str(), docs[1].requeued_from.as_deref()),
        ("READY", Some(id.as_str()))
    );
    assert_ne!(docs[1].id, id);
    assert_eq!(docs[1].report_id, docs[0].report_id);
    let (_, page) = get(&s, &t, "", false);
    assert_eq!(page["content"][0]["id"], docs[1].id.as_str());
    let (_, page) = get(
        &s,
        &t,
        &format!("?docId={id}&ignoreDocumentStatus=yes"),
        false,
    );
    assert_eq!(page["content"][0]["docStatus"], "POSTING_CONFIRMED_FAILURE");
}

//! Posting and payment confirmations for FIS documents back to Concur (`ledgerline
//! confirm`): what the ERP said of each journal ([`ErpOutcomes`]) matched to the FIS
//! document it came from, in the run ledger's `fis` records; posting confirmations per
//! document type and system id; the journals of confirmed failures forgotten in the
//! posting ledger; then payment confirmations for the expense documents whose posting
//! Concur accepted. Every item's answer is recorded in the run ledger and comes back as a
//! [`ConfirmLine`].
//!
//! A journal's document is found by its report id (a cash advance's journal is
//! `CA-<id>`). Nothing is sent for a journal of no FIS document, one whose document was
//! never acknowledged, or a success for a journal the posting ledger does not record as
//! posted ([`Verdict::Refused`]); a document whose confirmation Concur accepted before is
//! skipped ([`Verdict::AlreadyConfirmed`]).

use super::{
    Answer, FisLedger, FisRecord, ItemResult, PostingStatus, ProcessingStatus, SentPosting,
    item_results,
};
use crate::client::Client;
use crate::error::Result;
use crate::time::{format_unix, now_unix};
use ledgerline_ledger::{Ledger, PostingLedger};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// What the ERP said of one journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErpOutcome {
    /// Posted, with the ERP's document numbers (none when the ERP gave none).
    Posted(Vec<String>),
    /// Refused, with the ERP's messages.
    Refused(Vec<String>),
}

/// What the ERP said, per journal, in the order first given. A journal given again is
/// merged: more document numbers are added to a success (each once), more messages to a
/// failure, a failure replaces a success, and a success after a failure is ignored (one
/// refusal is enough to confirm the journal as failed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErpOutcomes {
    items: Vec<(String, ErpOutcome)>,
}

impl ErpOutcomes {
    /// None yet.
    pub fn new() -> ErpOutcomes {
        ErpOutcomes::default()
    }

    /// Adds what the ERP said of `journal` (merged as the type says).
    pub fn add(&mut self, journal: String, outcome: ErpOutcome) {
        let Some((_, existing)) = self.items.iter_mut().find(|(j, _)| *j == journal) else {
            self.items.push((journal, outcome));
            return;
        };
        match (existing, outcome) {
            (ErpOutcome::Posted(docs), ErpOutcome::Posted(more)) => {
                for d in more {
                    if !docs.contains(&d) {
                        docs.push(d);
                    }
                }
            }
            (ErpOutcome::Refused(msgs), ErpOutcome::Refused(more)) => msgs.extend(more),
            (e, ErpOutcome::Refused(more)) => *e = ErpOutcome::Refused(more),
            (ErpOutcome::Refused(_), ErpOutcome::Posted(_)) => {}
        }
    }

    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Each journal and what the ERP said of it, in the order first given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ErpOutcome)> {
        self.items.iter().map(|(j, o)| (j.as_str(), o))
    }
}

/// What to confirm.
#[derive(Debug, Clone, Default)]
pub struct ConfirmPlan {
    /// Posting confirmations: what the ERP said of each journal.
    pub outcomes: ErpOutcomes,
    /// Also send payment confirmations (processing status `CP`, cleared today, the report's
    /// total) for every expense document whose successful posting Concur has accepted and
    /// whose payment is not confirmed yet.
    pub payment: bool,
    /// The ERP system id to send; none: the one each document was acknowledged with.
    pub system_id: Option<String>,
}

/// Which confirmation a line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confirmation {
    /// A posting confirmation (`posting`).
    Posting,
    /// A payment confirmation (`payment`).
    Payment,
}

impl Confirmation {
    /// `posting` or `payment`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confirmation::Posting => "posting",
            Confirmation::Payment => "payment",
        }
    }
}

/// What a confirmation sent for a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sent {
    /// A posting confirmation with this status (`success`, `error`).
    Posting(PostingStatus),
    /// A payment confirmation with this processing status (`CP`).
    Payment(ProcessingStatus),
}

impl Sent {
    /// The status as sent: `success`, `error`, `CP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sent::Posting(s) => s.as_str(),
            Sent::Payment(s) => s.as_str(),
        }
    }
}

/// What became of one confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Sent, and this is Concur's answer (`SUCCESS`, `WAS_RECALLED`, `NOOP` ...).
    Answered(Answer),
    /// Refused here, nothing sent (`REFUSED`): the line's message says why.
    Refused,
    /// Concur accepted a confirmation for the document before; nothing sent
    /// (`ALREADY_CONFIRMED`).
    AlreadyConfirmed,
    /// The request failed (`NOT_SENT`): the line's message is the error.
    NotSent,
}

impl Verdict {
    /// Concur's word, or `REFUSED`, `ALREADY_CONFIRMED`, `NOT_SENT`.
    pub fn as_str(&self) -> &str {
        match self {
            Verdict::Answered(a) => a.as_str(),
            Verdict::Refused => "REFUSED",
            Verdict::AlreadyConfirmed => "ALREADY_CONFIRMED",
            Verdict::NotSent => "NOT_SENT",
        }
    }

    /// Whether nothing is left to do for the line: Concur accepted it (`SUCCESS`, or
    /// `NOOP` for a repeat), or accepted it before.
    pub fn is_accepted(&self) -> bool {
        match self {
            Verdict::Answered(a) => a.is_settled(),
            Verdict::AlreadyConfirmed => true,
            Verdict::Refused | Verdict::NotSent => false,
        }
    }
}

macro_rules! text_type {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )*};
}

text_type!(Confirmation, Sent, Verdict);

/// One line of the confirm report: a journal's confirmation, what was sent and Concur's
/// answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfirmLine {
    /// The journal (a report id, `CA-<id>`, an invoice's request key).
    pub journal_id: String,
    /// Its FIS document, when one was found.
    pub doc_id: Option<String>,
    /// `posting` or `payment`.
    pub confirmation: Confirmation,
    /// What was sent (`success`, `error`, `CP`); none when nothing was.
    pub sent: Option<Sent>,
    /// Concur's answer, or `REFUSED` / `ALREADY_CONFIRMED` / `NOT_SENT`.
    pub result: Verdict,
    /// Concur's service code, when it answered.
    pub code: Option<i64>,
    /// Concur's message, or why nothing was sent.
    pub message: String,
}

impl ConfirmLine {
    /// A posting confirmation refused here.
    fn refused(journal: &str, doc_id: Option<String>, why: String) -> ConfirmLine {
        ConfirmLine {
            journal_id: journal.to_owned(),
            doc_id,
            confirmation: Confirmation::Posting,
            sent: None,
            result: Verdict::Refused,
            code: None,
            message: why,
        }
    }

    /// A confirmation whose request failed.
    fn not_sent(
        journal: &str,
        doc_id: &str,
        confirmation: Confirmation,
        e: &crate::Error,
    ) -> ConfirmLine {
        ConfirmLine {
            journal_id: journal.to_owned(),
            doc_id: Some(doc_id.to_owned()),
            confirmation,
            sent: None,
            result: Verdict::NotSent,
            code: None,
            message: e.to_string(),
        }
    }

    /// A confirmation sent, and Concur's answer to it.
    fn answered(
        journal: &str,
        confirmation: Confirmation,
        sent: Sent,
        answer: ItemResult,
    ) -> ConfirmLine {
        ConfirmLine {
            journal_id: journal.to_owned(),
            doc_id: Some(answer.doc_id),
            confirmation,
            sent: Some(sent),
            result: Verdict::Answered(answer.result),
            code: Some(answer.code),
            message: answer.message,
        }
    }
}

/// The outcome of [`Client::confirm_fis`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmReport {
    /// One line per confirmation: the posting confirmations (refused ones first, then per
    /// document type), then the payment confirmations.
    pub lines: Vec<ConfirmLine>,
    /// Journals whose failure Concur accepted, forgotten in the posting ledger: back out
    /// what the ERP posted of them; Concur sends each report again as a new document.
    pub forgotten: Vec<String>,
}

impl ConfirmReport {
    /// Whether every confirmation was accepted (or nothing was to be sent).
    pub fn all_accepted(&self) -> bool {
        self.lines.iter().all(|l| l.result.is_accepted())
    }
}

/// What to do with one journal's posting confirmation.
#[derive(Debug)]
enum Planned<'r> {
    /// Send it for this document.
    Send(&'r FisRecord),
    /// Nothing to send: this is its line.
    Done(ConfirmLine),
}

/// Matches `journal` to its document among `of_journal` (its records, oldest first): the
/// newest acknowledged one whose posting is not confirmed yet. `posted` tells whether the
/// posting ledger records the journal as posted (asked only for a success).
fn plan_posting<'r>(
    journal: &str,
    outcome: &ErpOutcome,
    of_journal: &[&'r FisRecord],
    posted: impl FnOnce() -> Result<bool>,
) -> Result<Planned<'r>> {
    let Some(last) = of_journal.last() else {
        return Ok(Planned::Done(ConfirmLine::refused(
            journal,
            None,
            "no FIS document fetched with this ledger has this journal (fetch --source fis records them)".into(),
        )));
    };
    let open = of_journal.iter().rev().find(|x| {
        x.ack_result.as_ref().is_some_and(Answer::is_success)
            && !x.posting_result.as_ref().is_some_and(Answer::is_success)
    });
    let Some(doc) = open else {
        let done = of_journal
            .iter()
            .rev()
            .find(|x| x.posting_result.as_ref().is_some_and(Answer::is_success));
        return Ok(Planned::Done(match done {
            Some(done) => ConfirmLine {
                journal_id: journal.to_owned(),
                doc_id: Some(done.doc_id.clone()),
                confirmation: Confirmation::Posting,
                sent: None,
                result: Verdict::AlreadyConfirmed,
                code: done.posting_code,
                message: format!(
                    "Concur accepted its {} confirmation before; nothing sent",
                    done.posting_status.map_or("posting", PostingStatus::as_str)
                ),
            },
            None => ConfirmLine::refused(
                journal,
                Some(last.doc_id.clone()),
                format!(
                    "its document was never acknowledged (acknowledgement: {}): Concur would answer NOT_YET_ACKNOWLEDGED; run fetch --source fis again",
                    last.ack_result
                        .as_ref()
                        .map_or("never sent", Answer::as_str)
                ),
            ),
        }));
    };
    if let ErpOutcome::Posted(_) = outcome
        && !posted()?
    {
        return Ok(Planned::Done(ConfirmLine::refused(
            journal,
            Some(doc.doc_id.clone()),
            "the posting ledger does not record this journal as posted (convert --ledger, fetch --convert): a success cannot be confirmed for it".into(),
        )));
    }
    Ok(Planned::Send(doc))
}

/// One posting confirmation to send.
#[derive(Debug)]
struct Item<'p> {
    journal: &'p str,
    doc_id: String,
    outcome: &'p ErpOutcome,
    system: String,
}

/// The confirmation of one document: `success` with the ERP documents (posted on `date`,
/// `yyyy-MM-dd`, in `fiscal_year`), or `error` with the ERP's messages (the short text cut
/// to Concur's 73 characters).
fn posting_confirmation(
    doc_id: &str,
    outcome: &ErpOutcome,
    date: &str,
    fiscal_year: &str,
) -> Value {
    match outcome {
        ErpOutcome::Posted(docs) => json!({
            "docId": doc_id,
            "overallPostingStatusCode": PostingStatus::Success.as_str(),
            "postingDocs": docs.iter().map(|d| json!({
                "companyId": "", "documentNumber": d, "fiscalYear": fiscal_year,
                "postingDate": date, "paymentRelevantLineItems": []
            })).collect::<Vec<_>>(),
            "systemMessages": [],
        }),
        ErpOutcome::Refused(msgs) => json!({
            "docId": doc_id,
            "overallPostingStatusCode": PostingStatus::Error.as_str(),
            "postingDocs": [],
            "systemMessages": msgs.iter().enumerate().map(|(i, m)| json!({
                "concurTransactionLineItemId": "", "messageId": (i + 1).to_string(),
                "messageLanguage": "en", "messageShortText": m.chars().take(73).collect::<String>(),
                "messageLongText": m
            })).collect::<Vec<_>>(),
        }),
    }
}

/// The payment confirmation of one expense document: paid (`CP`), cleared on `date` for
/// the report's total, by electronic payment with `payment_ref`.
fn payment_confirmation(
    system: &str,
    doc_id: &str,
    (amount, currency): (Value, String),
    date: &str,
    fiscal_year: &str,
    payment_ref: &str,
) -> Value {
    json!({
        "systemId": system,
        "processingConfirmation": [{
            "docId": doc_id,
            "processingStatusCode": ProcessingStatus::Paid.as_str(),
            "additionalMessage": "",
            "clearingDetails": [{
                "clearingDate": format!("{date}T00:00:00.000Z"),
                "clearingAmount": amount,
                "clearingCurrency": currency,
                "receiver": {"receiverId": "", "receiverName": "", "receiverType": "EMPLOYEE"},
                "clearingReference": {"companyCode": "", "financialDocumentId": "", "fiscalYear": fiscal_year,
                                      "paymentRef": payment_ref, "paymentMethod": "E"}
            }]
        }]
    })
}

/// The expense documents of `source` whose successful posting Concur accepted and whose
/// payment is not confirmed yet.
fn payments_due<'r>(records: &'r [FisRecord], source: &str) -> Vec<&'r FisRecord> {
    records
        .iter()
        .filter(|x| x.source == source && x.doc_type == "expense")
        .filter(|x| {
            x.posting_status == Some(PostingStatus::Success)
                && x.posting_result.as_ref().is_some_and(Answer::is_success)
        })
        .filter(|x| !x.payment_result.as_ref().is_some_and(Answer::is_settled))
        .collect()
}

/// The report's total and currency, from the stored document (for a payment confirmation):
/// null and empty when the file or the fields cannot be read.
fn report_total(path: &Path) -> (Value, String) {
    let doc: Value = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let payload = match doc.get("document") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_default(),
        Some(d) => d.clone(),
        None => Value::Null,
    };
    (
        payload
            .pointer("/report/totalApprovedAmount")
            .cloned()
            .unwrap_or(Value::Null),
        payload
            .pointer("/report/employeeCurrencyAlphaCode")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    )
}

impl Client {
    /// Sends the posting confirmations of `plan` (and its payment confirmations) for the
    /// FIS documents `ledger` records for this client's company, records each answer there,
    /// and forgets in `posting` the journals whose failure Concur accepted.
    ///
    /// A lost connection ([`crate::Error::needs_connect`]) ends it with that error (what
    /// was answered so far is recorded); any other failed request is a
    /// [`Verdict::NotSent`] line.
    pub fn confirm_fis(
        &mut self,
        plan: &ConfirmPlan,
        ledger: &mut Ledger,
        posting: &mut PostingLedger,
    ) -> Result<ConfirmReport> {
        let source = self.company_source();
        let fis = FisLedger::open(ledger)?;
        let records = fis.records()?;
        let mine: Vec<&FisRecord> = records.iter().filter(|x| x.source == source).collect();
        let mut report = ConfirmReport::default();
        // Posting confirmations, per document type.
        let mut batches: BTreeMap<&str, Vec<Item<'_>>> = BTreeMap::new();
        for (journal, outcome) in plan.outcomes.iter() {
            let of_journal: Vec<&FisRecord> = mine
                .iter()
                .copied()
                .filter(|x| x.report_id.as_deref() == Some(journal))
                .collect();
            let posted = || Ok(!posting.get(journal)?.is_empty());
            match plan_posting(journal, outcome, &of_journal, posted)? {
                Planned::Done(line) => report.lines.push(line),
                Planned::Send(doc) => batches.entry(&doc.doc_type).or_default().push(Item {
                    journal,
                    doc_id: doc.doc_id.clone(),
                    outcome,
                    system: plan
                        .system_id
                        .clone()
                        .unwrap_or_else(|| doc.system_id.clone()),
                }),
            }
        }
        let today = format_unix(now_unix());
        let date = today.get(..10).unwrap_or("");
        let fiscal_year = today.get(..4).unwrap_or("");
        for (doc_type, items) in &batches {
            // One request per system id (acknowledged with different ones: rare).
            for system in distinct_in_order(items.iter().map(|i| &i.system)) {
                let chosen: Vec<&Item<'_>> = items.iter().filter(|i| &i.system == system).collect();
                let confirmations: Vec<Value> = chosen
                    .iter()
                    .map(|i| posting_confirmation(&i.doc_id, i.outcome, date, fiscal_year))
                    .collect();
                let body = json!({ "systemId": system, "postingConfirmations": confirmations });
                let answer = match self.fis_post(doc_type, "postingconfirmations", &body) {
                    Ok(v) => v,
                    Err(e) if e.needs_connect() => return Err(e),
                    Err(e) => {
                        for i in &chosen {
                            report.lines.push(ConfirmLine::not_sent(
                                i.journal,
                                &i.doc_id,
                                Confirmation::Posting,
                                &e,
                            ));
                        }
                        continue;
                    }
                };
                let results = item_results(&answer, "postingConfirmationResult");
                for i in chosen {
                    let res = results
                        .iter()
                        .find(|x| x.doc_id == i.doc_id)
                        .cloned()
                        .unwrap_or_else(|| ItemResult::missing(&i.doc_id));
                    let (status, erp) = match i.outcome {
                        ErpOutcome::Posted(d) => (PostingStatus::Success, d.join(";")),
                        ErpOutcome::Refused(_) => (PostingStatus::Error, String::new()),
                    };
                    fis.posting(
                        &source,
                        &i.doc_id,
                        &SentPosting {
                            status,
                            erp_documents: &erp,
                        },
                        &res,
                    )?;
                    if status == PostingStatus::Error && res.result.is_success() {
                        report.forgotten.push(i.journal.to_owned());
                    }
                    report.lines.push(ConfirmLine::answered(
                        i.journal,
                        Confirmation::Posting,
                        Sent::Posting(status),
                        res,
                    ));
                }
            }
        }
        if !report.forgotten.is_empty() {
            posting.forget(&ledgerline_ledger::posting::Forget {
                journal_ids: report.forgotten.clone(),
                file: None,
                target: None,
            })?;
        }
        if plan.payment {
            let records = fis.records()?;
            for doc in payments_due(&records, &source) {
                let payment_ref = format!("LL-{}", doc.doc_id);
                let system = plan.system_id.as_deref().unwrap_or(&doc.system_id);
                let body = payment_confirmation(
                    system,
                    &doc.doc_id,
                    report_total(&doc.path),
                    date,
                    fiscal_year,
                    &payment_ref,
                );
                let journal = doc.report_id.as_deref().unwrap_or_default();
                match self.fis_post("expense", "paymentconfirmations", &body) {
                    Ok(answer) => {
                        let res = item_results(&answer, "paymentConfirmationResult")
                            .into_iter()
                            .find(|x| x.doc_id == doc.doc_id)
                            .unwrap_or_else(|| ItemResult::missing(&doc.doc_id));
                        fis.payment(&source, &payment_ref, &res)?;
                        report.lines.push(ConfirmLine::answered(
                            journal,
                            Confirmation::Payment,
                            Sent::Payment(ProcessingStatus::Paid),
                            res,
                        ));
                    }
                    Err(e) if e.needs_connect() => return Err(e),
                    Err(e) => report.lines.push(ConfirmLine::not_sent(
                        journal,
                        &doc.doc_id,
                        Confirmation::Payment,
                        &e,
                    )),
                }
            }
        }
        Ok(report)
    }
}

/// Each value once, in the order first met: the system ids of one batch of confirmations,
/// each sent in its own request (a plain `dedup` would only drop neighbours and send the
/// confirmations of a system met twice, with another in between, twice).
fn distinct_in_order<'a>(values: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut seen = std::collections::HashSet::new();
    values.filter(|v| seen.insert(*v)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_system_gets_one_request_however_its_documents_interleave() {
        let ids: Vec<String> = ["A", "B", "A", "C", "B"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got: Vec<&str> = distinct_in_order(ids.iter())
            .into_iter()
            .map(String::as_str)
            .collect();
        assert_eq!(got, ["A", "B", "C"]);
    }

    use super::*;
    use std::path::PathBuf;

    fn posted(docs: &[&str]) -> ErpOutcome {
        ErpOutcome::Posted(docs.iter().map(|d| d.to_string()).collect())
    }

    fn refused(msgs: &[&str]) -> ErpOutcome {
        ErpOutcome::Refused(msgs.iter().map(|d| d.to_string()).collect())
    }

    fn record(doc_id: &str, ack: Option<&str>, posting: Option<(&str, &str)>) -> FisRecord {
        FisRecord {
            source: "C1".into(),
            doc_id: doc_id.into(),
            doc_type: "expense".into(),
            report_id: Some("R1".into()),
            path: PathBuf::from(format!("fis-expense-{doc_id}.json")),
            sha256: String::new(),
            system_id: "LEDGERLINE".into(),
            ack_result: ack.map(Answer::parse),
            ack_code: ack.map(|_| 0),
            posting_status: posting.and_then(|(s, _)| PostingStatus::parse(s)),
            posting_result: posting.map(|(_, r)| Answer::parse(r)),
            posting_code: posting.map(|_| 0),
            payment_result: None,
            payment_code: None,
        }
    }

    fn plan<'r>(outcome: &ErpOutcome, records: &'r [FisRecord], is_posted: bool) -> Planned<'r> {
        let of: Vec<&FisRecord> = records.iter().collect();
        plan_posting("R1", outcome, &of, || Ok(is_posted)).unwrap()
    }

    fn done(p: Planned<'_>) -> ConfirmLine {
        match p {
            Planned::Done(l) => l,
            Planned::Send(d) => panic!("sends for {}", d.doc_id),
        }
    }

    #[test]
    fn outcomes_given_twice_are_merged_a_failure_winning() {
        let mut o = ErpOutcomes::new();
        assert!(o.is_empty());
        o.add("A".into(), posted(&["1"]));
        o.add("B".into(), refused(&["blocked"]));
        o.add("A".into(), posted(&["1", "2"]));
        o.add("B".into(), refused(&["closed"]));
        o.add("B".into(), posted(&["3"]));
        o.add("C".into(), posted(&["4"]));
        o.add("C".into(), refused(&["no"]));
        let got: Vec<(&str, &ErpOutcome)> = o.iter().collect();
        assert_eq!(
            got,
            [
                ("A", &posted(&["1", "2"])),
                ("B", &refused(&["blocked", "closed"])),
                ("C", &refused(&["no"])),
            ]
        );
    }

    #[test]
    fn a_journal_is_sent_for_its_newest_open_document() {
        let records = [
            record("D1", Some("SUCCESS"), Some(("error", "SUCCESS"))),
            record("D2", Some("SUCCESS"), None),
            record("D3", Some("FAILURE"), None),
        ];
        match plan(&posted(&["9"]), &records, true) {
            Planned::Send(d) => assert_eq!(d.doc_id, "D2"),
            Planned::Done(l) => panic!("{l:?}"),
        }
    }

    #[test]
    fn nothing_is_sent_without_a_document_an_acknowledgement_or_a_posting() {
        let l = done(plan(&posted(&["9"]), &[], true));
        assert_eq!((l.result, l.doc_id), (Verdict::Refused, None));
        assert!(l.message.starts_with("no FIS document"), "{}", l.message);

        let never = [record("D1", None, None)];
        let l = done(plan(&posted(&["9"]), &never, true));
        assert_eq!(l.result, Verdict::Refused);
        assert!(
            l.message.contains("(acknowledgement: never sent)"),
            "{}",
            l.message
        );
        let refused_ack = [record("D1", Some("FAILURE"), None)];
        let l = done(plan(&refused(&["x"]), &refused_ack, true));
        assert!(
            l.message.contains("(acknowledgement: FAILURE)"),
            "{}",
            l.message
        );

        // A success needs the posting ledger's record; a failure does not.
        let open = [record("D1", Some("SUCCESS"), None)];
        let l = done(plan(&posted(&["9"]), &open, false));
        assert_eq!(
            (l.result, l.doc_id.as_deref()),
            (Verdict::Refused, Some("D1"))
        );
        assert!(matches!(
            plan(&refused(&["x"]), &open, false),
            Planned::Send(_)
        ));
    }

    #[test]
    fn a_confirmed_document_is_not_sent_again() {
        let records = [record("D1", Some("SUCCESS"), Some(("success", "SUCCESS")))];
        let l = done(plan(&posted(&["9"]), &records, true));
        assert_eq!(l.result, Verdict::AlreadyConfirmed);
        assert_eq!(l.code, Some(0));
        assert_eq!(
            l.message,
            "Concur accepted its success confirmation before; nothing sent"
        );
        assert!(l.result.is_accepted());
    }

    #[test]
    fn a_confirmation_says_success_with_documents_or_error_with_messages() {
        let v = posting_confirmation("D1", &posted(&["51", "52"]), "2024-05-02", "2024");
        assert_eq!(v["overallPostingStatusCode"], "success");
        assert_eq!(v["postingDocs"][1]["documentNumber"], "52");
        assert_eq!(v["postingDocs"][0]["postingDate"], "2024-05-02");
        assert_eq!(v["postingDocs"][0]["fiscalYear"], "2024");
        let long = "x".repeat(80);
        let v = posting_confirmation("D1", &refused(&["blocked", &long]), "2024-05-02", "2024");
        assert_eq!(v["overallPostingStatusCode"], "error");
        assert_eq!(v["postingDocs"], json!([]));
        assert_eq!(v["systemMessages"][0]["messageId"], "1");
        assert_eq!(
            v["systemMessages"][1]["messageShortText"]
                .as_str()
                .unwrap()
                .len(),
            73
        );
        assert_eq!(v["systemMessages"][1]["messageLongText"], long.as_str());
    }

    #[test]
    fn a_payment_is_due_once_a_successful_posting_is_accepted() {
        let mut r = vec![
            record("D1", Some("SUCCESS"), Some(("success", "SUCCESS"))),
            record("D2", Some("SUCCESS"), Some(("error", "SUCCESS"))),
            record("D3", Some("SUCCESS"), Some(("success", "WAS_RECALLED"))),
            record("D4", Some("SUCCESS"), Some(("success", "SUCCESS"))),
            record("D5", Some("SUCCESS"), Some(("success", "SUCCESS"))),
            record("D6", Some("SUCCESS"), Some(("success", "SUCCESS"))),
        ];
        r[3].payment_result = Some(Answer::Noop);
        r[4].doc_type = "cashadvance".into();
        r[5].source = "C2".into();
        r[0].payment_result = Some(Answer::Failure);
        let due: Vec<&str> = payments_due(&r, "C1")
            .iter()
            .map(|x| x.doc_id.as_str())
            .collect();
        assert_eq!(due, ["D1"]);
        let v = payment_confirmation(
            "SYS",
            "D1",
            (json!(12.5), "EUR".into()),
            "2024-05-02",
            "2024",
            "LL-D1",
        );
        let c = &v["processingConfirmation"][0];
        assert_eq!(c["processingStatusCode"], "CP");
        assert_eq!(c["clearingDetails"][0]["clearingAmount"], json!(12.5));
        assert_eq!(
            c["clearingDetails"][0]["clearingDate"],
            "2024-05-02T00:00:00.000Z"
        );
        assert_eq!(
            c["clearingDetails"][0]["clearingReference"]["paymentRef"],
            "LL-D1"
        );
    }

    #[test]
    fn the_total_is_read_from_the_stored_document_as_object_or_text() {
        let dir = tempfile::tempdir().unwrap();
        let payload =
            json!({"report": {"totalApprovedAmount": 99.5, "employeeCurrencyAlphaCode": "USD"}});
        let a = dir.path().join("a.json");
        std::fs::write(&a, json!({"document": payload}).to_string()).unwrap();
        let b = dir.path().join("b.json");
        std::fs::write(&b, json!({"document": payload.to_string()}).to_string()).unwrap();
        for p in [&a, &b] {
            assert_eq!(report_total(p), (json!(99.5), "USD".to_owned()));
        }
        assert_eq!(
            report_total(&dir.path().join("missing.json")),
            (Value::Null, String::new())
        );
    }

    #[test]
    fn lines_print_and_serialize_as_their_words() {
        let line = ConfirmLine {
            journal_id: "R1".into(),
            doc_id: Some("D1".into()),
            confirmation: Confirmation::Payment,
            sent: Some(Sent::Payment(ProcessingStatus::Paid)),
            result: Verdict::Answered(Answer::Noop),
            code: Some(213),
            message: String::new(),
        };
        assert_eq!(
            serde_json::to_value(&line).unwrap(),
            json!({"journal_id": "R1", "doc_id": "D1", "confirmation": "payment", "sent": "CP",
                   "result": "NOOP", "code": 213, "message": ""})
        );
        let mut report = ConfirmReport {
            lines: vec![line],
            forgotten: Vec::new(),
        };
        assert!(report.all_accepted());
        for (v, text) in [
            (Verdict::Refused, "REFUSED"),
            (Verdict::NotSent, "NOT_SENT"),
            (Verdict::Answered(Answer::WasRecalled), "WAS_RECALLED"),
        ] {
            assert_eq!(v.to_string(), text);
            report.lines[0].result = v;
            assert!(!report.all_accepted(), "{text}");
        }
        assert_eq!(Sent::Posting(PostingStatus::Error).to_string(), "error");
        assert_eq!(Confirmation::Posting.to_string(), "posting");
    }
}

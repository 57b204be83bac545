//! One JSON value as FIS documents: a page, a wrapper, a list, one document or a bare
//! payload; each document checked (duplicates, status), its payload read by the fast path
//! or the careful one, mapped to its rows ([`crate::map`]) and added to the batch.

use super::read::Run;
use super::scan::{clip, offset_in, strip_position};
use super::{BATCH_ROWS, Meta};
use crate::json::{self, Fill};
use crate::map::{self, Mapped, Place};
use crate::model::{CaJournal, CashAdvance, Expense, FastDoc, Invoice, Payload, Top};
use ledgerline_findings::{Check, Family, Finding, Severity};
use serde_json::value::RawValue;

impl Run<'_> {
    /// One top-level JSON value.
    pub(super) fn value(&mut self, raw: &RawValue, buf: &[u8], base: usize, at: usize) {
        match raw.get().as_bytes().first() {
            Some(b'[') => self.list(raw, buf, base, at, ""),
            Some(b'{') => {
                if let Ok(fast) = serde_json::from_str::<FastDoc<'_>>(raw.get()) {
                    if let Some(docs) = fast.fi_documents {
                        return self.list(
                            docs,
                            buf,
                            base,
                            offset_in(buf, docs) + base,
                            "fIDocuments",
                        );
                    }
                    if let Some(docs) = fast.content {
                        return self.list(docs, buf, base, offset_in(buf, docs) + base, "content");
                    }
                    if self.fast(&fast, buf, base, at, String::new()) {
                        return;
                    }
                }
                let top: Top<'_> = match serde_json::from_str(raw.get()) {
                    Ok(t) => t,
                    Err(e) => {
                        self.finding(Check::FisBadValue, buf, base, at, format!("$: {e}"));
                        return;
                    }
                };
                if let Some(docs) = top.fi_documents {
                    self.list(docs, buf, base, offset_in(buf, docs) + base, "fIDocuments")
                } else if let Some(docs) = top.content {
                    self.list(docs, buf, base, offset_in(buf, docs) + base, "content")
                } else {
                    self.document(&top, raw, buf, base, at, String::new())
                }
            }
            _ => {
                self.finding(
                    Check::FisShape,
                    buf,
                    base,
                    at,
                    format!("`{}` is no FIS document, list or page", clip(raw.get())),
                );
            }
        }
    }

    pub(super) fn list(&mut self, raw: &RawValue, buf: &[u8], base: usize, at: usize, path: &str) {
        let items: Vec<&RawValue> = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(_) => {
                let p = if path.is_empty() { "$" } else { path };
                self.finding(
                    Check::FisBadValue,
                    buf,
                    base,
                    at,
                    format!("{p}: is not a list of documents"),
                );
                return;
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            let iat = offset_in(buf, item) + base;
            let ipath = format!("{path}[{i}]");
            if let Ok(fast) = serde_json::from_str::<FastDoc<'_>>(item.get())
                && fast.fi_documents.is_none()
                && fast.content.is_none()
                && self.fast(&fast, buf, base, iat, ipath.clone())
            {
                continue;
            }
            let top: Top<'_> = match serde_json::from_str(item.get()) {
                Ok(t) => t,
                Err(_) => {
                    self.finding(
                        Check::FisShape,
                        buf,
                        base,
                        iat,
                        format!("{ipath}: is not a FIS document"),
                    );
                    continue;
                }
            };
            self.document(&top, item, buf, base, iat, ipath);
        }
    }

    /// An `FIDocument` (or a bare document payload) at `path`.
    fn document(
        &mut self,
        top: &Top<'_>,
        raw: &RawValue,
        buf: &[u8],
        base: usize,
        at: usize,
        path: String,
    ) {
        let dot = |k: &str| {
            if path.is_empty() {
                k.to_owned()
            } else {
                format!("{path}.{k}")
            }
        };
        if top.journal_id.is_some() && top.document.is_none() {
            self.finding(
                Check::FisShape,
                buf,
                base,
                at,
                format!(
                    "{}: a canonical journal line (`convert --to jsonl`), not a FIS document",
                    dot("journal_id")
                ),
            );
            return;
        }
        let (payload, ppath) = match (
            top.document.or(top.document_blob),
            top.report
                .or(top.expense_entry)
                .or(top.cash_advance_data)
                .or(top.request_header),
        ) {
            (Some(d), _) => (
                DocRef::Field(d),
                dot(if top.document.is_some() {
                    "document"
                } else {
                    "documentBlob"
                }),
            ),
            (None, Some(_)) => (DocRef::Bare, path.clone()),
            (None, None) => {
                let what = if top.id.is_some() || top.doc_type.is_some() {
                    format!("{}: missing (the document itself)", dot("document"))
                } else {
                    format!(
                        "{}: no FIS document, list or page (none of fIDocuments, content, document, report)",
                        if path.is_empty() { "$" } else { &path }
                    )
                };
                let check = if top.id.is_some() || top.doc_type.is_some() {
                    Check::FisMissing
                } else {
                    Check::FisShape
                };
                self.finding(check, buf, base, at, what);
                return;
            }
        };
        let Some(doc_type) = self.admit(top.id, top.doc_status, top.doc_type, buf, base, at, &dot)
        else {
            return;
        };
        // The payload: an object, or (DocumentFormatAs: text) its JSON in a string.
        let owned: String;
        let text: &str = match payload {
            DocRef::Bare => raw.get(),
            DocRef::Field(d) if d.get().starts_with('"') => {
                match serde_json::from_str::<String>(d.get()) {
                    Ok(s) => {
                        owned = s;
                        &owned
                    }
                    Err(_) => {
                        self.finding(
                            Check::FisBadValue,
                            buf,
                            base,
                            at,
                            format!("{ppath}: a string that cannot be decoded"),
                        );
                        return;
                    }
                }
            }
            DocRef::Field(d) if d.get().starts_with('{') => d.get(),
            DocRef::Field(d) => {
                let what = if d.get() == "null" {
                    "missing (null)"
                } else {
                    "is not an object"
                };
                let check = if d.get() == "null" {
                    Check::FisMissing
                } else {
                    Check::FisBadValue
                };
                self.finding(check, buf, base, at, format!("{ppath}: {what}"));
                return;
            }
        };
        let kind = doc_type.clone().or_else(|| infer_type(text));
        let place = Place {
            base: buf,
            base_offset: base,
            doc_at: at,
            path: ppath,
        };
        self.payload(kind.as_deref(), text, &place, &dot("docType"))
    }

    /// A document about to be converted, whether enveloped or flat: counted; refused when
    /// its id was met already in this input (`FIS` duplicate); its status checked. Gives its
    /// `docType` in lower case (`None` inside when it has none), or `None` when refused.
    #[allow(clippy::too_many_arguments)]
    fn admit(
        &mut self,
        id: json::Raw<'_>,
        doc_status: json::Raw<'_>,
        doc_type: json::Raw<'_>,
        buf: &[u8],
        base: usize,
        at: usize,
        dot: &dyn Fn(&str) -> String,
    ) -> Option<Option<String>> {
        self.documents += 1;
        if let Ok(Some(id)) = json::text(id)
            && !self.seen_documents.insert(id.to_string())
        {
            self.finding(
                Check::FisDuplicate,
                buf,
                base,
                at,
                format!(
                    "{}: document `{id}` is in this input already; not converted again",
                    dot("id")
                ),
            );
            return None;
        }
        if let Ok(Some(status)) = json::text(doc_status) {
            self.status(&status, buf, base, at, &dot("docStatus"));
        }
        Some(
            json::text(doc_type)
                .ok()
                .flatten()
                .map(|t| t.to_ascii_lowercase()),
        )
    }

    fn status(&mut self, status: &str, buf: &[u8], base: usize, at: usize, path: &str) {
        if status.eq_ignore_ascii_case("READY") || status.eq_ignore_ascii_case("ACKNOWLEDGED") {
            return; // the usual case, without an uppercase copy per document
        }
        let upper = status.to_ascii_uppercase();
        let (sev, what) = match upper.as_str() {
            "READY" | "ACKNOWLEDGED" => return,
            "POSTING_CONFIRMED_SUCCESS" | "PAYMENT_CONFIRMED_SUCCESS" | "PAID" => (
                Severity::Warning,
                "Concur records it as posted already: check it is not posted twice (the posting ledger catches a journal posted from this machine)",
            ),
            "RECALLED"
            | "VOID"
            | "CANCEL"
            | "PAYMENT_CONFIRMED_REVERSED"
            | "PAYMENT_CONFIRMED_OBSOLETE" => (
                Severity::Warning,
                "it was recalled or cancelled in Concur: it may have changed since",
            ),
            "POSTING_CONFIRMED_FAILURE" => (
                Severity::Warning,
                "its posting failed: the report goes back to its processor and returns as a new document",
            ),
            "DELAYED" | "PENDING_SYSTEM_REFRESH" | "FLAG_DUPLICATE" => (
                Severity::Info,
                "a status Concur documents without saying what follows",
            ),
            _ => (
                Severity::Info,
                "a status Ledgerline does not know; read as READY",
            ),
        };
        let pos = self.lines.position(buf, base, at);
        self.findings.push(
            Finding::new(
                Family::Fis,
                Check::FisStatus,
                self.name,
                format!("{path}: `{status}`: {what}"),
            )
            .at(pos)
            .severity(sev),
        );
    }

    /// A document read in one pass ([`FastDoc`]); false (nothing done) for anything the
    /// careful path must look at: a canonical line, no payload at all.
    pub(super) fn fast(
        &mut self,
        d: &FastDoc<'_>,
        buf: &[u8],
        base: usize,
        at: usize,
        path: String,
    ) -> bool {
        if d.journal_id.is_some() {
            return false;
        }
        let (payload, ppath) = match &d.document {
            Some(p) => (
                p,
                if path.is_empty() {
                    (if d.blob { "documentBlob" } else { "document" }).to_owned()
                } else {
                    format!(
                        "{path}.{}",
                        if d.blob { "documentBlob" } else { "document" }
                    )
                },
            ),
            None if d.bare.kind().is_some() => (&d.bare, path.clone()),
            None => return false,
        };
        let dot = |k: &str| {
            if path.is_empty() {
                k.to_owned()
            } else {
                format!("{path}.{k}")
            }
        };
        let Some(doc_type) = self.admit(d.id, d.doc_status, d.doc_type, buf, base, at, &dot) else {
            return true;
        };
        let kind = doc_type.or_else(|| payload.kind().map(str::to_owned));
        let place = Place {
            base: buf,
            base_offset: base,
            doc_at: at,
            path: ppath,
        };
        self.map_payload(
            kind.as_deref(),
            Parsed::Fast(payload),
            &place,
            &dot("docType"),
        );
        true
    }

    /// The rows of a payload already read.
    fn map_payload(
        &mut self,
        kind: Option<&str>,
        p: Parsed<'_, '_>,
        place: &Place<'_>,
        type_path: &str,
    ) {
        let rules = self.opts.rules.clone();
        let buf = place.base;
        let base = place.base_offset;
        let at = place.doc_at;
        let mapped = match (kind, p) {
            (Some("expense"), Parsed::Fast(p)) => map::expense(&p.expense, place, &rules),
            (Some("expense"), Parsed::Expense(e)) => map::expense(e, place, &rules),
            (Some("cashadvance"), Parsed::Fast(p)) => {
                let journal = ca_journal(&p.cash, place);
                map::cash_advance(
                    p.cash.employee.as_ref(),
                    p.cash.data.as_ref(),
                    &journal,
                    place,
                )
            }
            (Some("cashadvance"), Parsed::Cash(c)) => {
                let journal = ca_journal(c, place);
                map::cash_advance(c.employee.as_ref(), c.data.as_ref(), &journal, place)
            }
            (Some("invoice"), Parsed::Fast(p)) => crate::invoice::invoice(&p.invoice, place),
            (Some("invoice"), Parsed::Invoice(i)) => crate::invoice::invoice(i, place),
            (Some(other), _) if !["expense", "cashadvance", "invoice"].contains(&other) => {
                self.finding(
                    Check::FisDocType,
                    buf,
                    base,
                    at,
                    format!("{type_path}: `{other}` documents carry no expense, invoice or cash-advance postings; not converted"),
                );
                return;
            }
            (Some(_), _) => return,
            (None, _) => {
                self.finding(
                    Check::FisMissing,
                    buf,
                    base,
                    at,
                    format!("{type_path}: missing, and the document is neither an expense, an invoice nor a cash advance by its keys"),
                );
                return;
            }
        };
        self.feed(mapped, buf, base)
    }

    /// The payload of `text` read as a document of `kind`, then mapped.
    fn payload(&mut self, kind: Option<&str>, text: &str, place: &Place<'_>, type_path: &str) {
        match kind {
            Some("expense") => match serde_json::from_str::<Expense<'_>>(text) {
                Ok(doc) => self.map_payload(kind, Parsed::Expense(&doc), place, type_path),
                Err(e) => self.bad_payload(place, text, &e),
            },
            Some("cashadvance") => match serde_json::from_str::<CashAdvance<'_>>(text) {
                Ok(doc) => self.map_payload(kind, Parsed::Cash(&doc), place, type_path),
                Err(e) => self.bad_payload(place, text, &e),
            },
            Some("invoice") => match serde_json::from_str::<Invoice<'_>>(text) {
                Ok(doc) => self.map_payload(kind, Parsed::Invoice(&doc), place, type_path),
                Err(e) => self.bad_payload(place, text, &e),
            },
            _ => self.map_payload(kind, Parsed::None, place, type_path),
        }
    }

    fn bad_payload(&mut self, place: &Place<'_>, text: &str, e: &serde_json::Error) {
        let path = crate::paths::first_mismatch(text)
            .map(|p| format!("{}{p}", place.path))
            .unwrap_or_else(|| place.path.clone());
        self.finding(
            Check::FisBadValue,
            place.base,
            place.base_offset,
            place.doc_at,
            format!(
                "{path}: {}; the document is not converted",
                strip_position(&e.to_string())
            ),
        );
    }

    /// The rows of a document to the builder, and what they finish to the sink.
    fn feed(&mut self, mut mapped: Mapped<'_>, buf: &[u8], base: usize) {
        let report = mapped
            .lines
            .first()
            .map(|l| {
                l.cols
                    .get(ledgerline_extract::schema::SaeCol::ReportID)
                    .to_owned()
            })
            .filter(|r| !r.is_empty());
        if let Some(r) = report
            && !self.seen_reports.insert(r.clone())
        {
            let why = format!(
                "report {r} is in this input already, in another document (a page saved twice, or the report re-queued after a failed posting): convert them apart"
            );
            let at = mapped.lines[0].at;
            self.finding(Check::FisDuplicate, buf, base, at, why.clone());
            mapped.held.get_or_insert(why);
        }
        for p in &mapped.problems {
            self.finding(p.check, buf, base, p.at, p.message.clone());
        }
        let header = self.batch.headers.len();
        self.batch.headers.push(mapped.header.take());
        let held = mapped.held.as_deref();
        self.batch.layers.begin_document();
        for line in &mapped.lines {
            let pos = self.lines.position(buf, base, line.at);
            self.rows += 1;
            let rejected = line
                .rejected
                .clone()
                .or_else(|| held.map(|h| format!("the document is held back: {h}")));
            let row = self.batch.layers.push(&line.cols);
            self.batch.rows.push(Meta {
                row,
                pos,
                own_error: line.rejected.is_some(),
                rejected,
                header,
            });
        }
        if self.batch.rows.len() >= BATCH_ROWS {
            self.send();
        }
    }
}

/// A payload read, by the fast path (every type's keys) or the careful one (its type's).
enum Parsed<'p, 'a> {
    Fast(&'p Payload<'a>),
    Expense(&'p Expense<'a>),
    Cash(&'p CashAdvance<'a>),
    Invoice(&'p Invoice<'a>),
    None,
}

/// The payload of a document: its `document` field, or the value itself.
enum DocRef<'a> {
    Field(&'a RawValue),
    Bare,
}

/// The `journalData` lines of a cash advance (a list, or one object).
fn ca_journal<'a>(doc: &CashAdvance<'a>, place: &Place<'_>) -> Vec<map::CaItem<'a>> {
    let Some(raw) = doc.journal else {
        return Vec::new();
    };
    let items: Vec<&'a RawValue> = if raw.get().starts_with('[') {
        serde_json::from_str(raw.get()).unwrap_or_default()
    } else if raw.get().starts_with('{') {
        vec![raw]
    } else {
        Vec::new()
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let j = serde_json::from_str::<CaJournal<'a>>(r.get()).map_err(|e| {
                map::UnreadableJournal {
                    path: place.path.clone(),
                    index: i,
                    reason: strip_position(&e.to_string()),
                }
            });
            (i, r, j)
        })
        .collect()
}

/// The document type from the payload's keys, when `docType` is missing.
fn infer_type(text: &str) -> Option<String> {
    #[derive(Default)]
    struct Keys {
        expense: bool,
        cash: bool,
        invoice: bool,
    }
    impl<'de> Fill<'de> for Keys {
        fn fill<A: serde::de::MapAccess<'de>>(
            &mut self,
            key: &str,
            map: &mut A,
        ) -> Result<(), A::Error> {
            match key {
                "report" | "expenseEntry" => self.expense = true,
                "cashAdvanceData" | "journalData" => self.cash = true,
                "requestHeader" | "lineItem" => self.invoice = true,
                _ => {}
            }
            json::skip(map)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let k: Keys = json::object(&mut de).ok()?;
    if k.expense {
        Some("expense".into())
    } else if k.cash {
        Some("cashadvance".into())
    } else if k.invoice {
        Some("invoice".into())
    } else {
        None
    }
}

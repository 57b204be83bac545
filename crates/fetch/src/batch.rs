//! Payment Batch API (Standard Edition): list batches (v1.1), close one, get its file.
//!
//! Closing follows Concur's recommendation by default ([`CloseApi::V12`]): the asynchronous
//! v1.2 close, then the batch list is watched until the batch shows CLOSED (bounded by a
//! timeout), then the v1.1 close on the now-closed batch only to obtain `File-Url` (the
//! synchronous v1.1 close has a time limit that large batches exceed). [`CloseApi::V11`]
//! keeps the synchronous call alone.
//!
//! Closing is never retried blindly: after a failed or unanswered v1.1 close the batch list
//! is read again, and the close is repeated only if the batch is still open; a failed v1.2
//! close is not repeated in the same run.

use crate::client::{Client, Retry};
use crate::error::{BodyError, Error, Result};
use crate::http::{Req, error_message, read_small};
use std::time::{Duration, Instant};

/// A batch as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// Batch name, e.g. "USD: Employees Batch Paid by Expense Pay".
    pub name: String,
    /// The unencrypted batch id (a GUID); used for the run ledger, never in URLs.
    pub batch_id: String,
    /// Total, as written.
    pub total: String,
    /// Currency code.
    pub currency: String,
    /// Number of reports.
    pub count: u64,
    /// `Employee` or `Card Program`.
    pub kind: String,
    /// Payment method.
    pub payment_method: String,
    /// Absolute URL of the batch (encrypted id), the base of close and file calls.
    pub batch_url: String,
}

impl BatchSummary {
    /// The batch file URL when no close response gave one: `{Batch-URL}/file`.
    pub fn file_url(&self) -> String {
        format!("{}/file", self.batch_url.trim_end_matches('/'))
    }
}

/// Which batches to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchState {
    /// Every batch.
    All,
    /// `OPEN`.
    Open,
    /// `CLOSED`.
    Closed,
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name))
        .and_then(|c| c.text())
        .map(|t| t.trim().to_owned())
}

/// Parses `<BatchList>` (element names matched case-insensitively: the official sample
/// reads `Batch-Url`, the reference writes `Batch-URL`).
pub fn parse_batch_list(body: &str) -> Result<Vec<BatchSummary>, BodyError> {
    let doc = roxmltree::Document::parse(body.trim_start_matches('\u{feff}').trim())?;
    Ok(doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case("BatchSummary"))
        .filter_map(|b| {
            let get = |k: &str| child_text(b, k).unwrap_or_default();
            let batch_url = child_text(b, "Batch-URL").filter(|u| !u.is_empty())?;
            Some(BatchSummary {
                name: get("BatchName"),
                batch_id: child_text(b, "BatchID")
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| batch_url.clone()),
                total: get("BatchTotal"),
                currency: get("Currency"),
                count: get("Count").parse().unwrap_or(0),
                kind: get("Type"),
                payment_method: get("PaymentMethod"),
                batch_url,
            })
        })
        .collect())
}

/// Reads `File-Url` from a close response (`<BatchStatus>`).
pub fn parse_close_response(body: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(body.trim_start_matches('\u{feff}').trim()).ok()?;
    doc.descendants()
        .find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case("File-Url"))
        .and_then(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Which close call [`Client::close_batch_with`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum CloseApi {
    /// Asynchronous v1.2 close, watch the list, then v1.1 on the closed batch for
    /// `File-Url` (Concur's recommendation; the default).
    #[default]
    #[serde(rename = "v1.2")]
    V12,
    /// The synchronous v1.1 close only.
    #[serde(rename = "v1.1")]
    V11,
}

/// How [`Client::close_batch_with`] closes.
#[derive(Debug, Clone)]
pub struct CloseOptions {
    /// Which call.
    pub api: CloseApi,
    /// Text in Concur's 500 answer that means "this batch holds no report".
    pub empty_marker: String,
    /// Longest wait for a v1.2 close to show the batch CLOSED.
    pub timeout: Duration,
    /// Time between two reads of the batch list meanwhile.
    pub poll: Duration,
}

impl Default for CloseOptions {
    fn default() -> Self {
        CloseOptions {
            api: CloseApi::V12,
            empty_marker: crate::run::DEFAULT_EMPTY_BATCH_MARKER.into(),
            timeout: Duration::from_secs(15 * 60),
            poll: Duration::from_secs(10),
        }
    }
}

/// The v1.2 close URL of a batch: its `Batch-URL` (a v1.1 address) with the version
/// changed; `None` when the URL does not have the documented shape.
pub fn v12_close_url(batch_url: &str) -> Option<String> {
    let u = batch_url.trim_end_matches('/');
    let at = u.rfind("/v1.1/batch/")?;
    Some(format!(
        "{}/v1.2/batch/{}/close",
        &u[..at],
        &u[at + "/v1.1/batch/".len()..]
    ))
}

/// The `Status` of a v1.2 close answer when it says the request failed (any `Status`
/// other than `SUCCESS`); an empty or unreadable body is no failure (the shape is not
/// documented: the batch list decides).
fn v12_refusal(body: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(body.trim_start_matches('\u{feff}').trim()).ok()?;
    let status = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case("Status"))?
        .text()?
        .trim()
        .to_owned();
    (!status.is_empty() && !status.eq_ignore_ascii_case("SUCCESS")).then_some(status)
}

/// What closing gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseOutcome {
    /// Closed (now or before); the file is at `file_url`.
    Closed {
        /// The batch file.
        file_url: String,
    },
    /// Concur refused because the batch holds no report; it stays open.
    Empty {
        /// Concur's message.
        message: String,
    },
}

impl Client {
    /// Lists payment batches.
    pub fn list_batches(&mut self, state: BatchState) -> Result<Vec<BatchSummary>> {
        let suffix = match state {
            BatchState::All => "",
            BatchState::Open => "OPEN",
            BatchState::Closed => "CLOSED",
        };
        let url = self.url(&format!(
            "/api/expense/paymentbatch/v1.1/batchlist/{suffix}"
        ));
        let body = self.get_text(&url, "application/xml")?;
        parse_batch_list(&body).map_err(|problem| Error::Body { url, problem })
    }

    /// Closes a batch the way `opts.api` says (see the module docs) and gives the file's
    /// URL, or [`CloseOutcome::Empty`].
    pub fn close_batch_with(
        &mut self,
        batch: &BatchSummary,
        opts: &CloseOptions,
    ) -> Result<CloseOutcome> {
        if opts.api == CloseApi::V11 {
            return self.close_batch(batch, &opts.empty_marker);
        }
        let Some(url) = v12_close_url(&batch.batch_url) else {
            self.log(|| {
                format!(
                    "   batch {}: its Batch-URL is not a v1.1 address; closing with v1.1",
                    batch.batch_id
                )
            });
            return self.close_batch(batch, &opts.empty_marker);
        };
        let resp = self.send(
            &Req::post(&url, "application/xml", "application/xml", Vec::new()),
            Retry::Never,
        )?;
        let status = resp.status();
        let body = read_small(resp, &url).unwrap_or_default();
        if !(200..300).contains(&status) {
            let message = error_message(&body);
            if status == 500
                && !opts.empty_marker.is_empty()
                && message
                    .to_lowercase()
                    .contains(&opts.empty_marker.to_lowercase())
            {
                return Ok(CloseOutcome::Empty { message });
            }
            return Err(Error::Http {
                method: "POST".into(),
                url,
                status,
                message,
            });
        }
        if let Some(refused) = v12_refusal(&body) {
            return Err(Error::Http {
                method: "POST".into(),
                url,
                status,
                message: format!("the close request answered Status {refused}"),
            });
        }
        self.log(|| {
            format!(
                "   batch {}: v1.2 close accepted; watching the CLOSED list (at most {} s)",
                batch.batch_id,
                opts.timeout.as_secs()
            )
        });
        let start = Instant::now();
        loop {
            let closed = self.list_batches(BatchState::Closed)?;
            if closed.iter().any(|b| b.batch_id == batch.batch_id) {
                break;
            }
            if start.elapsed() >= opts.timeout {
                return Err(Error::BatchCloseTimeout {
                    batch: format!("{:?} ({})", batch.name, batch.batch_id),
                    waited: start.elapsed(),
                });
            }
            let left = opts.timeout.saturating_sub(start.elapsed());
            self.sleep(opts.poll.min(left), "batch not yet listed as CLOSED");
        }
        // The documented way to the file: v1.1 close on the closed batch, for File-Url.
        self.close_batch(batch, &opts.empty_marker)
    }

    /// Closes a batch with the synchronous v1.1 call. `empty_marker`: text in Concur's 500
    /// answer that means "this batch holds no report" (compared case-insensitively).
    pub fn close_batch(
        &mut self,
        batch: &BatchSummary,
        empty_marker: &str,
    ) -> Result<CloseOutcome> {
        let url = format!("{}/close", batch.batch_url.trim_end_matches('/'));
        let max = self.max_attempts();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let problem = match self.send(
                &Req::post(&url, "application/xml", "application/xml", Vec::new()),
                Retry::Never,
            ) {
                Ok(resp) if (200..300).contains(&resp.status()) => {
                    let body = read_small(resp, &url)?;
                    let file_url = parse_close_response(&body).unwrap_or_else(|| batch.file_url());
                    return Ok(CloseOutcome::Closed { file_url });
                }
                Ok(resp) => {
                    let status = resp.status();
                    let message = error_message(&read_small(resp, &url).unwrap_or_default());
                    if status == 500
                        && !empty_marker.is_empty()
                        && message
                            .to_lowercase()
                            .contains(&empty_marker.to_lowercase())
                    {
                        return Ok(CloseOutcome::Empty { message });
                    }
                    let e = Error::Http {
                        method: "POST".into(),
                        url: url.clone(),
                        status,
                        message,
                    };
                    if !(status == 429 || status >= 500) {
                        // 4xx: asking again will not help.
                        return Err(e);
                    }
                    e
                }
                Err(e @ Error::Transport { .. }) => e,
                Err(e) => return Err(e),
            };
            // Did the close happen anyway? Read the state before deciding anything.
            self.log(|| format!("   close of batch {} unanswered or failed ({problem}); re-reading the batch list", batch.batch_id));
            let closed = self.list_batches(BatchState::Closed)?;
            if let Some(b) = closed.iter().find(|b| b.batch_id == batch.batch_id) {
                return Ok(CloseOutcome::Closed {
                    file_url: b.file_url(),
                });
            }
            let open = self.list_batches(BatchState::Open)?;
            if !open.iter().any(|b| b.batch_id == batch.batch_id) {
                return Err(Error::Parse {
                    url: url.clone(),
                    message: format!(
                        "batch {} is neither open nor closed after a failed close",
                        batch.batch_id
                    ),
                });
            }
            if attempt >= max {
                return Err(problem);
            }
            self.sleep(self.delay(attempt), "batch still open; closing again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_list_case_insensitive() {
        let xml = r#"<BatchList xmlns="http://www.concursolutions.com/api/expense/paymentbatch/2011/11">
          <BatchSummary><BatchName>USD: Employees</BatchName><BatchID>13cb</BatchID><BatchTotal>334.21</BatchTotal>
          <Currency>USD</Currency><Count>10</Count><Type>Employee</Type><PaymentMethod>Expense Pay by Concur</PaymentMethod>
          <Batch-Url>https://h/api/expense/paymentbatch/v1.1/batch/n$s4</Batch-Url></BatchSummary></BatchList>"#;
        let b = parse_batch_list(xml).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].count, 10);
        assert_eq!(
            b[0].file_url(),
            "https://h/api/expense/paymentbatch/v1.1/batch/n$s4/file"
        );
    }

    #[test]
    fn close_response_file_url() {
        let xml = r#"<BatchStatus xmlns="http://www.concursolutions.com/api/expense/paymentbatch/2011/11"><BatchStatus>CLOSED</BatchStatus><File-Url>https://h/x/file</File-Url><Status>SUCCESS</Status></BatchStatus>"#;
        assert_eq!(
            parse_close_response(xml).as_deref(),
            Some("https://h/x/file")
        );
        assert_eq!(parse_close_response("<BatchStatus/>"), None);
    }

    #[test]
    fn the_v12_close_url_is_the_batch_url_with_the_version_changed() {
        assert_eq!(
            v12_close_url("https://h/api/expense/paymentbatch/v1.1/batch/n$s4").as_deref(),
            Some("https://h/api/expense/paymentbatch/v1.2/batch/n$s4/close")
        );
        assert_eq!(v12_close_url("https://h/other/n$s4"), None);
    }

    #[test]
    fn a_v12_answer_fails_only_on_a_status_other_than_success() {
        assert_eq!(
            v12_refusal(
                "<BatchStatus><Status>SUCCESS</Status><JobQueueKey>k</JobQueueKey></BatchStatus>"
            ),
            None
        );
        assert_eq!(v12_refusal(""), None);
        assert_eq!(
            v12_refusal("<BatchStatus><Status>FAILED</Status></BatchStatus>").as_deref(),
            Some("FAILED")
        );
    }

    #[test]
    fn a_batch_list_that_is_not_xml_says_so() {
        let e = parse_batch_list("<BatchList><BatchSummary>").unwrap_err();
        assert!(matches!(e, BodyError::Xml(_)), "{e}");
        assert!(e.to_string().starts_with("XML: "), "{e}");
    }
}

//! The words of FIS answers and confirmations as types: Concur's result for each item of an
//! acknowledgement, a posting confirmation or a payment confirmation ([`Answer`]), and what a
//! confirmation says ([`PostingStatus`], [`ProcessingStatus`]). The run ledger keeps them as
//! the text Concur and the confirmations use (`SUCCESS`, `success`, `CP` ...).

use serde::{Serialize, Serializer};
use std::fmt;

/// Concur's result for one item of an acknowledgement (`acknowledgeResult`), a posting
/// confirmation (`postingConfirmationResult`) or a payment confirmation
/// (`paymentConfirmationResult`). The three answers share one vocabulary (`concur-api.md`
/// §6), so one type reads them all; each word is matched exactly as Concur writes it, and a
/// word this list lacks is kept as it was given ([`Answer::Other`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Answer {
    /// `SUCCESS` (code 0): acknowledged, or the confirmation accepted.
    Success,
    /// `FAILURE`: refused; the service code says why (99 another `systemId`, 101-105 for an
    /// acknowledgement, 113 a posting confirmed before, 298 no `paymentRef` ...).
    Failure,
    /// `NOT_YET_ACKNOWLEDGED` (111): a posting confirmation for a document still READY.
    NotYetAcknowledged,
    /// `WAS_RECALLED` (112): the report was recalled since it was fetched.
    WasRecalled,
    /// `DOCUMENT_NOT_FOUND` (116).
    DocumentNotFound,
    /// `NOT_POSTING_CONFIRMED`: a payment confirmation before a successful posting one.
    NotPostingConfirmed,
    /// `NOOP` (213): the payment was confirmed before; nothing changed.
    Noop,
    /// Any other word, or none (empty), as Concur gave it.
    Other(String),
}

impl Answer {
    /// The answer Concur's `word` names (exactly: `success` is [`Answer::Other`]).
    pub fn parse(word: &str) -> Answer {
        match word {
            "SUCCESS" => Answer::Success,
            "FAILURE" => Answer::Failure,
            "NOT_YET_ACKNOWLEDGED" => Answer::NotYetAcknowledged,
            "WAS_RECALLED" => Answer::WasRecalled,
            "DOCUMENT_NOT_FOUND" => Answer::DocumentNotFound,
            "NOT_POSTING_CONFIRMED" => Answer::NotPostingConfirmed,
            "NOOP" => Answer::Noop,
            other => Answer::Other(other.to_owned()),
        }
    }

    /// The word as Concur writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Answer::Success => "SUCCESS",
            Answer::Failure => "FAILURE",
            Answer::NotYetAcknowledged => "NOT_YET_ACKNOWLEDGED",
            Answer::WasRecalled => "WAS_RECALLED",
            Answer::DocumentNotFound => "DOCUMENT_NOT_FOUND",
            Answer::NotPostingConfirmed => "NOT_POSTING_CONFIRMED",
            Answer::Noop => "NOOP",
            Answer::Other(w) => w,
        }
    }

    /// `SUCCESS`.
    pub fn is_success(&self) -> bool {
        matches!(self, Answer::Success)
    }

    /// `SUCCESS` or `NOOP`: nothing is left to send for the item (a payment confirmed now,
    /// or before).
    pub fn is_settled(&self) -> bool {
        matches!(self, Answer::Success | Answer::Noop)
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a posting confirmation says of its document (`overallPostingStatusCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostingStatus {
    /// `success`: posted, with the ERP's document numbers.
    Success,
    /// `error`: the ERP refused it, with its messages; Concur returns the report to its
    /// processor and later sends it again as a new document.
    Error,
}

impl PostingStatus {
    /// The status `text` names (`success`, `error`); none for any other text.
    pub fn parse(text: &str) -> Option<PostingStatus> {
        match text {
            "success" => Some(PostingStatus::Success),
            "error" => Some(PostingStatus::Error),
            _ => None,
        }
    }

    /// The code as the confirmation sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            PostingStatus::Success => "success",
            PostingStatus::Error => "error",
        }
    }
}

impl fmt::Display for PostingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PostingStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a payment confirmation says of its document (`processingStatusCode`). Ledgerline
/// sends [`ProcessingStatus::Paid`] (`CP`); the others are Concur's too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessingStatus {
    /// `CP`: paid (cleared).
    Paid,
    /// `PP`: partly paid.
    PartlyPaid,
    /// `RE`: the payment reversed.
    Reversed,
    /// `OB`: obsolete.
    Obsolete,
}

impl ProcessingStatus {
    /// The code as the confirmation sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingStatus::Paid => "CP",
            ProcessingStatus::PartlyPaid => "PP",
            ProcessingStatus::Reversed => "RE",
            ProcessingStatus::Obsolete => "OB",
        }
    }
}

impl fmt::Display for ProcessingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself_and_only_exact_words_are_known() {
        for w in [
            "SUCCESS",
            "FAILURE",
            "NOT_YET_ACKNOWLEDGED",
            "WAS_RECALLED",
            "DOCUMENT_NOT_FOUND",
            "NOT_POSTING_CONFIRMED",
            "NOOP",
            "SOMETHING_NEW",
            "",
        ] {
            let a = Answer::parse(w);
            assert_eq!(a.as_str(), w);
            assert_eq!(a.to_string(), w);
            assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::json!(w));
        }
        assert_eq!(Answer::parse("NOOP"), Answer::Noop);
        assert_eq!(Answer::parse("success"), Answer::Other("success".into()));
        assert!(!Answer::parse("success").is_success());
        assert!(Answer::Noop.is_settled() && !Answer::Noop.is_success());
        assert!(!Answer::Failure.is_settled());
    }

    #[test]
    fn posting_status_reads_only_what_a_confirmation_sends() {
        for s in [PostingStatus::Success, PostingStatus::Error] {
            assert_eq!(PostingStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PostingStatus::parse("SUCCESS"), None);
        assert_eq!(PostingStatus::parse(""), None);
        assert_eq!(ProcessingStatus::Paid.to_string(), "CP");
    }
}

//! Invoice documents (`docType` `invoice`).

use crate::map::{Mapped, Place, Problem};
use crate::model::Invoice;
use ledgerline_findings::Check;

/// The rows of an invoice document.
pub fn invoice<'a>(_doc: &Invoice<'a>, place: &Place<'_>) -> Mapped<'a> {
    let why = format!("{}: invoice documents are not converted yet", place.path);
    Mapped {
        lines: Vec::new(),
        problems: vec![Problem {
            check: Check::FisDocType,
            at: place.doc_at,
            message: why.clone(),
        }],
        held: Some(why),
    }
}

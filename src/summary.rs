//! The summary `convert` and `inspect` end with, on standard error: what was read, the
//! journals and lines per currency (debits = credits), what was not posted, and where the
//! output went. One type, so both commands say it the same way.

use crate::common::plural;
use ledgerline_engine::{CurrencyTotal, Tally};
use ledgerline_inspect::table::thousands;
use std::collections::BTreeMap;
use std::path::Path;

/// What became of the journals.
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    /// Written to this file (`None`: standard output).
    Written(Option<&'a Path>),
    /// Nothing new to post (every journal was posted before): this file was not written.
    NotWritten(Option<&'a Path>),
    /// Inspected, not posted; the HTML report written, if one was asked for.
    Inspected(Option<&'a Path>),
}

/// Lines and journals that were not posted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotPosted {
    /// Journals skipped because the ledger records them as posted (JNL208).
    pub posted_before: u64,
    /// Extract lines rejected (errors).
    pub rejected: u64,
    /// Extract lines deliberately not posted.
    pub skipped: u64,
}

impl NotPosted {
    /// The counts of what went to the rejection report.
    pub fn of(tally: &Tally) -> NotPosted {
        NotPosted {
            posted_before: tally.posted_before(),
            rejected: tally.rejected(),
            skipped: tally.skipped(),
        }
    }
}

/// The summary a run ends with: what was read, what was written (or inspected) per
/// currency, what was skipped or rejected, and where it went.
pub struct Summary<'a> {
    /// Inputs read (the skipped ones included).
    pub files: usize,
    /// Files of input folders skipped as no extract at all.
    pub skipped_files: usize,
    /// Journals written (or inspected).
    pub journals: u64,
    /// Journal lines written (or inspected).
    pub lines: u64,
    /// Per currency: journals, debits, credits.
    pub totals: &'a BTreeMap<String, CurrencyTotal>,
    /// What was not posted.
    pub not_posted: NotPosted,
    /// Where the journals went.
    pub output: Output<'a>,
    /// The rejection report (`convert --rejects`).
    pub rejects: Option<&'a Path>,
    /// `inspect`: the exceptions found; `None` when they were not looked for.
    pub exceptions: Option<usize>,
}

impl std::fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let skipped = self.skipped_files as u64;
        let mut read = format!("{} read", plural(self.files as u64 - skipped, "file"));
        if skipped > 0 {
            read.push_str(&format!(
                " ({} skipped: not extracts)",
                plural(skipped, "other file")
            ));
        }
        let to = |p: Option<&Path>| match p {
            Some(p) => p.display().to_string(),
            None => "standard output".into(),
        };
        let (journals, lines) = (plural(self.journals, "journal"), plural(self.lines, "line"));
        match self.output {
            Output::NotWritten(p) => {
                writeln!(f, "{read}: nothing new to post, {} not written", to(p))?
            }
            Output::Written(p) => writeln!(f, "{read}: {journals}, {lines} written to {}", to(p))?,
            Output::Inspected(_) => {
                writeln!(f, "{read}: {journals}, {lines} inspected (nothing posted)")?
            }
        }
        for line in currency_lines(self.totals) {
            writeln!(f, "{line}")?;
        }
        let np = self.not_posted;
        if np.posted_before > 0 {
            writeln!(
                f,
                "  {} skipped: posted before (JNL208)",
                plural(np.posted_before, "journal")
            )?;
        }
        if np.rejected + np.skipped > 0 {
            let listed = match (self.output, self.rejects) {
                (Output::Inspected(_), _) => " (rejected ones are in the exceptions)".into(),
                (_, Some(p)) => format!(": listed in {}", p.display()),
                (_, None) => ": give --rejects FILE to list them".into(),
            };
            writeln!(
                f,
                "  lines not posted: {} rejected, {} skipped{listed}",
                np.rejected, np.skipped
            )?;
        }
        match self.exceptions {
            Some(n) => writeln!(f, "  {}", plural(n as u64, "exception"))?,
            None if matches!(self.output, Output::Inspected(_)) => {
                writeln!(f, "  exceptions not looked for (add exceptions to --by)")?
            }
            None => {}
        }
        if let Output::Inspected(Some(p)) = self.output {
            writeln!(f, "  report written to {}", p.display())?;
        }
        Ok(())
    }
}

/// One line per currency: `  CAD  debits 171,407.63 = credits 171,407.63  (12 journals)`, or
/// `NOT BALANCED` with `≠` where they differ.
pub fn currency_lines(
    totals: &BTreeMap<String, CurrencyTotal>,
) -> impl Iterator<Item = String> + '_ {
    totals.iter().map(|(currency, t)| {
        let (debit, credit, n) = (
            thousands(t.debit),
            thousands(t.credit),
            plural(t.journals, "journal"),
        );
        if t.debit == t.credit {
            format!("  {currency}  debits {debit} = credits {credit}  ({n})")
        } else {
            format!("  {currency}  debits {debit} ≠ credits {credit}  ({n}): NOT BALANCED")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use rust_decimal::Decimal;

    fn totals(debit: i64, credit: i64) -> BTreeMap<String, CurrencyTotal> {
        BTreeMap::from([(
            "JPY".to_owned(),
            CurrencyTotal {
                journals: 2,
                debit: Decimal::new(debit, 0),
                credit: Decimal::new(credit, 0),
            },
        )])
    }

    #[test]
    fn convert_says_what_it_wrote_where() {
        let t = totals(116760, 116760);
        let s = Summary {
            files: 1,
            skipped_files: 0,
            journals: 2,
            lines: 7,
            totals: &t,
            not_posted: NotPosted::default(),
            output: Output::Written(Some(Path::new("out.csv"))),
            rejects: None,
            exceptions: None,
        };
        assert_eq!(
            s.to_string(),
            "1 file read: 2 journals, 7 lines written to out.csv\n  JPY  debits 116,760 = credits 116,760  (2 journals)\n"
        );
    }

    #[test]
    fn inspect_says_exceptions_the_report_and_what_does_not_balance() {
        let t = totals(116760, 100);
        let s = Summary {
            files: 4,
            skipped_files: 1,
            journals: 2,
            lines: 7,
            totals: &t,
            not_posted: NotPosted {
                posted_before: 0,
                rejected: 19,
                skipped: 0,
            },
            output: Output::Inspected(Some(Path::new("r.html"))),
            rejects: None,
            exceptions: Some(4),
        };
        assert_eq!(
            s.to_string(),
            "3 files read (1 other file skipped: not extracts): 2 journals, 7 lines inspected (nothing posted)\n  JPY  debits 116,760 ≠ credits 100  (2 journals): NOT BALANCED\n  lines not posted: 19 rejected, 0 skipped (rejected ones are in the exceptions)\n  4 exceptions\n  report written to r.html\n"
        );
        let s = Summary {
            exceptions: None,
            output: Output::Inspected(None),
            not_posted: NotPosted::default(),
            ..s
        };
        assert!(
            s.to_string()
                .ends_with("  exceptions not looked for (add exceptions to --by)\n")
        );
    }
}

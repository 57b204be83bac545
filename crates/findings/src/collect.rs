//! The collector of findings: every finding counted, the first ones listed, the rest grouped
//! by code and cause, so a file with a million bad rows still reports in bounded memory.

use crate::{Check, Code, Finding, Severity};
use serde::Serialize;
use std::collections::HashMap;

/// Collects findings with a cap, counting what it had to drop.
#[derive(Debug, Default, Clone)]
pub struct Findings {
    items: Vec<Finding>,
    limit: usize,
    dropped: usize,
    /// Of `dropped`, those left out because `limit` findings were listed already (the rest
    /// were past [`LISTED_PER_CODE`] of their code).
    dropped_by_limit: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    last_row_error: Option<String>,
    /// The first findings that make the file untrustworthy, kept whatever the limit.
    untrustworthy: Vec<Finding>,
    /// Findings listed so far, per code.
    listed_per_code: HashMap<Code, usize>,
    /// What was not listed, counted per code and cause.
    grouped: Vec<Grouped>,
    /// Index of `grouped` by code and message.
    group_index: HashMap<(Code, String), usize>,
    /// Distinct causes grouped so far, per code.
    causes_per_code: HashMap<Code, usize>,
}

/// Findings of one code and one cause that were counted rather than listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grouped {
    /// The code.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// The cause: the findings' common message, or a note that the causes differ.
    pub message: String,
    /// How many findings.
    pub count: usize,
    /// The line of the first one, if it had one.
    pub first_line: Option<u64>,
}

/// File-level findings kept beyond the listing limit.
const UNTRUSTWORTHY_KEPT: usize = 8;
/// Findings of one code listed in full; the rest of that code are grouped by cause.
pub const LISTED_PER_CODE: usize = 20;
/// Distinct causes counted per code; further ones share one "other causes" group.
const CAUSES_PER_CODE: usize = 10;

impl Findings {
    /// A collector keeping at most `limit` findings (all are still counted).
    pub fn with_limit(limit: usize) -> Self {
        Findings {
            limit,
            ..Default::default()
        }
    }

    /// Records a finding.
    pub fn push(&mut self, f: Finding) {
        if f.severity == Severity::Error
            && f.code.check.untrustworthy_file()
            && self.untrustworthy.len() < UNTRUSTWORTHY_KEPT
        {
            self.untrustworthy.push(f.clone());
        }
        match f.severity {
            Severity::Error => {
                self.errors += 1;
                if f.code.check != Check::HeaderMissing {
                    self.last_row_error = Some(format!("{} {}", f.code, f.message));
                }
            }
            Severity::Warning => self.warnings += 1,
            Severity::Info => self.infos += 1,
        }
        self.list_or_group(f);
    }

    /// Lists `f` while there is room (overall and for its code), else counts it with the
    /// others of its code and cause.
    fn list_or_group(&mut self, f: Finding) {
        let listed = self.listed_per_code.entry(f.code).or_insert(0);
        if self.items.len() < self.limit && *listed < LISTED_PER_CODE {
            *listed += 1;
            self.items.push(f);
            return;
        }
        self.dropped += 1;
        if self.items.len() >= self.limit {
            self.dropped_by_limit += 1;
        }
        let cause = f.cause.unwrap_or(f.message);
        self.group(f.code, f.severity, cause, 1, f.line);
    }

    fn group(
        &mut self,
        code: Code,
        severity: Severity,
        message: String,
        n: usize,
        line: Option<u64>,
    ) {
        let key = (code, message);
        let idx = match self.group_index.get(&key) {
            Some(&i) => i,
            None => {
                let causes = self.causes_per_code.entry(code).or_insert(0);
                let key = if *causes < CAUSES_PER_CODE {
                    *causes += 1;
                    key
                } else {
                    (code, format!("{} (other causes)", code.check.title()))
                };
                match self.group_index.get(&key) {
                    Some(&i) => i,
                    None => {
                        self.grouped.push(Grouped {
                            code,
                            severity,
                            message: key.1.clone(),
                            count: 0,
                            first_line: line,
                        });
                        self.group_index.insert(key, self.grouped.len() - 1);
                        self.grouped.len() - 1
                    }
                }
            }
        };
        let g = &mut self.grouped[idx];
        g.count += n;
        g.first_line = match (g.first_line, line) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// What was not listed, counted per code and cause, in the order first met.
    pub fn grouped(&self) -> &[Grouped] {
        &self.grouped
    }

    /// Takes over every finding of `other` (kept ones up to this collector's limit, and all
    /// counts).
    pub fn absorb(&mut self, other: Findings) {
        self.dropped += other.dropped;
        self.dropped_by_limit += other.dropped_by_limit;
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.infos += other.infos;
        if other.last_row_error.is_some() {
            self.last_row_error = other.last_row_error;
        }
        for f in other.untrustworthy {
            if self.untrustworthy.len() < UNTRUSTWORTHY_KEPT {
                self.untrustworthy.push(f);
            }
        }
        // `other`'s unlisted findings are in `other.dropped`, added above.
        for g in other.grouped {
            self.group(g.code, g.severity, g.message, g.count, g.first_line);
        }
        for f in other.items {
            self.list_or_group(f);
        }
    }

    /// The findings kept, in the order found.
    pub fn items(&self) -> &[Finding] {
        &self.items
    }

    /// The error-level findings that make the file itself untrustworthy (see
    /// [`Check::untrustworthy_file`]), the first few of them whatever the listing limit.
    pub fn untrustworthy(&self) -> &[Finding] {
        &self.untrustworthy
    }

    /// Findings counted but not kept.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Of [`Findings::dropped`], those left out because the listing limit was reached (a
    /// higher limit would list them, up to [`LISTED_PER_CODE`] per code).
    pub fn dropped_by_limit(&self) -> usize {
        self.dropped_by_limit
    }

    /// The code and message of the latest error about a row (file-level checks excluded).
    pub fn last_row_error(&self) -> Option<&str> {
        self.last_row_error.as_deref()
    }

    /// Number of errors (kept or not).
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// Number of warnings (kept or not).
    pub fn warnings(&self) -> usize {
        self.warnings
    }

    /// Number of infos (kept or not).
    pub fn infos(&self) -> usize {
        self.infos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Family, Position};

    fn bad_date(line: u64, msg: &str) -> Finding {
        Finding::new(Family::Sae, Check::BadDate, "f.txt", msg).at(Position { line, byte: 0 })
    }

    #[test]
    fn beyond_the_limit_findings_are_counted_and_grouped_by_cause() {
        let mut f = Findings::with_limit(5);
        for line in (1..=30).rev() {
            f.push(bad_date(line, "bad"));
        }
        assert_eq!((f.items().len(), f.dropped(), f.errors()), (5, 25, 30));
        assert_eq!(f.grouped().len(), 1);
        let g = &f.grouped()[0];
        assert_eq!(
            (g.count, g.first_line, g.message.as_str()),
            (25, Some(1), "bad")
        );
        assert_eq!(g.code.to_string(), "SAE130");
    }

    #[test]
    fn one_code_lists_at_most_its_share_and_counts_ten_causes() {
        let mut f = Findings::with_limit(1000);
        // 20 listed per code, as the README says.
        for i in 0..20 {
            f.push(bad_date(i + 1, "listed"));
        }
        for i in 0..15 {
            f.push(bad_date(100 + i, &format!("cause {i}")));
        }
        f.push(Finding::new(
            Family::Sae,
            Check::BadFlag,
            "f.txt",
            "other code",
        ));
        assert_eq!(f.items().len(), 21);
        assert_eq!((f.dropped(), f.errors(), f.warnings()), (15, 35, 1));
        let groups: Vec<(&str, usize)> = f
            .grouped()
            .iter()
            .map(|g| (g.message.as_str(), g.count))
            .collect();
        assert_eq!(groups.len(), 11, "{groups:?}");
        assert_eq!(groups[0], ("cause 0", 1));
        assert_eq!(groups[10], ("invalid date (other causes)", 5));
    }

    #[test]
    fn findings_naming_their_own_line_are_grouped_by_their_shared_cause() {
        let mut f = Findings::with_limit(1000);
        let unknown = |line: u64, account: &str| {
            Finding::new(
                Family::Journal,
                Check::UnknownAccount,
                "f.txt",
                format!("account {account} is not in coa.csv (journal J{line} line 1)"),
            )
            .cause(format!("account {account} is not in coa.csv"))
            .at(Position { line, byte: 0 })
        };
        for line in 1..=50 {
            f.push(unknown(line, if line % 2 == 0 { "60200" } else { "60300" }));
        }
        assert_eq!(f.items().len(), LISTED_PER_CODE);
        let groups: Vec<(&str, usize, Option<u64>)> = f
            .grouped()
            .iter()
            .map(|g| (g.message.as_str(), g.count, g.first_line))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("account 60300 is not in coa.csv", 15, Some(21)),
                ("account 60200 is not in coa.csv", 15, Some(22)),
            ]
        );
        // Past the per-code share, not the overall limit: a higher limit lists no more.
        assert_eq!((f.dropped(), f.dropped_by_limit()), (30, 0));
    }

    #[test]
    fn file_level_errors_are_kept_whatever_the_limit() {
        let mut f = Findings::with_limit(0);
        f.push(Finding::new(
            Family::Sae,
            Check::RecordCount,
            "f.txt",
            "count",
        ));
        f.push(bad_date(3, "row"));
        f.push(Finding::new(
            Family::Sae,
            Check::HeaderMissing,
            "f.txt",
            "no header",
        ));
        assert!(f.items().is_empty());
        let kept: Vec<Check> = f.untrustworthy().iter().map(|x| x.code.check).collect();
        assert_eq!(kept, vec![Check::RecordCount, Check::HeaderMissing]);
        // The missing header is about the file, not a row.
        assert_eq!(f.last_row_error(), Some("SAE130 row"));
    }

    #[test]
    fn absorbing_keeps_every_count_and_merges_groups() {
        let mut a = Findings::with_limit(2);
        a.push(bad_date(1, "bad"));
        let mut b = Findings::with_limit(1);
        for line in 2..=4 {
            b.push(bad_date(line, "bad"));
        }
        b.push(Finding::new(
            Family::Journal,
            Check::NotPosted,
            "f.txt",
            "skipped",
        ));
        a.absorb(b);
        assert_eq!((a.errors(), a.infos()), (4, 1));
        assert_eq!(a.items().len(), 2);
        assert_eq!(a.dropped(), 3);
        let counts: usize = a.grouped().iter().map(|g| g.count).sum();
        assert_eq!(counts, a.dropped());
    }
}

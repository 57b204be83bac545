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
        self.group(f.code, f.severity, f.message, 1, f.line);
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

//! The target ERP's reference data (`--accounts FILE`): which account codes exist and,
//! optionally, which dimension values each account accepts. Every journal line is checked
//! before anything is written, and every account or dimension value the ERP would reject
//! becomes a finding that names the extract lines behind it.
//!
//! The file is CSV with a header row. The `account` column (also accepted: `account_code`,
//! `code`) lists the valid codes; `name` and `description` columns are ignored; every other
//! column is a dimension (named as in the rules' `[dimensions]`, e.g. `cost_center`) whose
//! cell lists the values the account accepts, separated by `|`. An empty cell (or `*`)
//! accepts any value. An account may take several rows: its accepted values are the union.
//! Lines starting with `#` are comments.
//!
//! ```
//! use ledgerline_guard::accounts::Accounts;
//! let chart = Accounts::parse(
//!     "chart.csv",
//!     "account,cost_center\n474230,CC100|CC200\nEMPLOYEE_PAYABLE,\n",
//! ).unwrap();
//! assert!(chart.knows("474230"));
//! assert!(!chart.knows("999999"));
//! assert!(chart.accepts("474230", "cost_center", "CC100"));
//! assert!(!chart.accepts("474230", "cost_center", "CC300"));
//! assert!(chart.accepts("EMPLOYEE_PAYABLE", "cost_center", "CC300"));
//! ```

use crate::csvfile::{CsvError, Reader};
use ledgerline_findings::{Check, Family, Finding, Subject};
use ledgerline_journal::{Journal, JournalLine};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Why an accounts file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The file cannot be read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// Why (in the message, not a separate cause, so it is printed once).
        error: std::io::Error,
    },
    /// The CSV is malformed.
    #[error("{path}: {error}")]
    Csv {
        /// The file.
        path: String,
        /// Where and why (in the message, not a separate cause, so it is printed once).
        error: CsvError,
    },
    /// The content does not fit the expected layout.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// What one account accepts.
#[derive(Debug, Clone, Default)]
struct Account {
    /// Dimension name -> accepted values (`None`: any value).
    dimensions: HashMap<String, Option<BTreeSet<String>>>,
}

/// A chart of accounts with the dimension values each account accepts.
#[derive(Debug, Clone)]
pub struct Accounts {
    name: String,
    accounts: HashMap<String, Account>,
    dimensions: Vec<String>,
}

/// One thing the ERP would reject about a journal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The account is not in the file.
    UnknownAccount {
        /// The account.
        account: String,
    },
    /// The account does not accept this dimension value.
    UnknownDimensionValue {
        /// The account.
        account: String,
        /// Dimension name.
        dimension: String,
        /// The rejected value.
        value: String,
    },
}

const ACCOUNT_HEADERS: &[&str] = &["account", "account_code", "code"];
const IGNORED_HEADERS: &[&str] = &["name", "description"];

impl Accounts {
    /// Reads the file at `path`.
    pub fn load(path: &Path) -> Result<Accounts, AccountsError> {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|error| AccountsError::Io {
            path: name.clone(),
            error,
        })?;
        Self::parse_bytes(&name, &text)
    }

    /// Parses the CSV `text`; `name` is used in messages.
    pub fn parse(name: &str, text: &str) -> Result<Accounts, AccountsError> {
        Self::parse_bytes(name, text.as_bytes())
    }

    fn parse_bytes(name: &str, bytes: &[u8]) -> Result<Accounts, AccountsError> {
        let csv_err = |error| AccountsError::Csv {
            path: name.to_owned(),
            error,
        };
        let invalid = |line, message: String| AccountsError::Invalid {
            path: name.to_owned(),
            line,
            message,
        };
        let mut reader = Reader::new(bytes);
        let mut header: Option<(usize, Vec<Option<String>>)> = None;
        let mut accounts: HashMap<String, Account> = HashMap::new();
        while let Some(rec) = reader.next_record().map_err(csv_err)? {
            let first = rec.fields.first().map(|f| f.trim()).unwrap_or("");
            if first.starts_with('#') || rec.fields.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let Some((account_col, dims)) = &header else {
                let names: Vec<String> = rec
                    .fields
                    .iter()
                    .map(|f| f.trim().to_ascii_lowercase())
                    .collect();
                let Some(col) = names
                    .iter()
                    .position(|n| ACCOUNT_HEADERS.contains(&n.as_str()))
                else {
                    return Err(invalid(
                        rec.line,
                        "the header row needs an `account` column (first row of the file)".into(),
                    ));
                };
                let dims = rec
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let lower = f.trim().to_ascii_lowercase();
                        (i != col
                            && !lower.is_empty()
                            && !IGNORED_HEADERS.contains(&lower.as_str()))
                        .then(|| f.trim().to_owned())
                    })
                    .collect();
                header = Some((col, dims));
                continue;
            };
            let code = rec.fields.get(*account_col).map(|f| f.trim()).unwrap_or("");
            if code.is_empty() {
                return Err(invalid(rec.line, "the account code is empty".into()));
            }
            let entry = accounts.entry(code.to_owned()).or_default();
            for (i, dim) in dims.iter().enumerate() {
                let Some(dim) = dim else { continue };
                let cell = rec.fields.get(i).map(|f| f.trim()).unwrap_or("");
                let slot = entry.dimensions.entry(dim.clone()).or_insert(None);
                if cell.is_empty() {
                    continue;
                }
                if cell == "*" {
                    *slot = Some(BTreeSet::from(["*".to_owned()]));
                    continue;
                }
                let set = slot.get_or_insert_with(BTreeSet::new);
                for v in cell.split('|').map(str::trim).filter(|v| !v.is_empty()) {
                    set.insert(v.to_owned());
                }
            }
        }
        let Some((_, dims)) = header else {
            return Err(invalid(
                1,
                "the file is empty: expected a header row with an `account` column".into(),
            ));
        };
        Ok(Accounts {
            name: name.to_owned(),
            accounts,
            dimensions: dims.into_iter().flatten().collect(),
        })
    }

    /// The file's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of distinct accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the file lists no account.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The dimension columns of the file.
    pub fn dimensions(&self) -> &[String] {
        &self.dimensions
    }

    /// Whether `account` exists.
    pub fn knows(&self, account: &str) -> bool {
        self.accounts.contains_key(account)
    }

    /// Whether `account` accepts `value` for `dimension` (unknown accounts accept nothing;
    /// a dimension the file does not restrict accepts anything).
    pub fn accepts(&self, account: &str, dimension: &str, value: &str) -> bool {
        let Some(a) = self.accounts.get(account) else {
            return false;
        };
        match a.dimensions.get(dimension) {
            Some(Some(set)) => set.contains("*") || set.contains(value),
            _ => true,
        }
    }

    /// What the ERP would reject about `line`.
    pub fn check_line(&self, line: &JournalLine) -> Vec<Problem> {
        if !self.knows(&line.account) {
            return vec![Problem::UnknownAccount {
                account: line.account.clone(),
            }];
        }
        line.dimensions
            .iter()
            .filter(|(d, v)| !self.accepts(&line.account, d, v))
            .map(|(d, v)| Problem::UnknownDimensionValue {
                account: line.account.clone(),
                dimension: d.clone(),
                value: v.clone(),
            })
            .collect()
    }

    /// One finding per problem of every line of `journal`, positioned at the first extract
    /// line behind the journal line and naming all of them.
    pub fn check_journal(&self, journal: &Journal) -> Vec<Finding> {
        let mut out = Vec::new();
        for line in &journal.lines {
            for p in self.check_line(line) {
                let amount = if line.debit.is_zero() {
                    format!("credit {} {}", line.credit, journal.currency)
                } else {
                    format!("debit {} {}", line.debit, journal.currency)
                };
                let (check, what) = match &p {
                    Problem::UnknownAccount { account } => (
                        Check::UnknownAccount,
                        format!("account {account} is not in {}", self.name),
                    ),
                    Problem::UnknownDimensionValue {
                        account,
                        dimension,
                        value,
                    } => (
                        Check::UnknownDimensionValue,
                        format!(
                            "{dimension} {value} is not accepted for account {account} in {}",
                            self.name
                        ),
                    ),
                };
                let mut f = Finding::new(
                    Family::Journal,
                    check,
                    &journal.source_file,
                    format!(
                        "{what} (journal {} line {}, {} {amount}; {})",
                        journal.id,
                        line.line,
                        line.kind,
                        extract_lines(&line.source_lines)
                    ),
                )
                .cause(what);
                f.line = line.source_lines.first().copied();
                // What `inspect` shows in the exception's columns: the journal, its
                // employee, and the line's amount (a credit negative).
                let signed = if line.debit.is_zero() {
                    -line.credit
                } else {
                    line.debit
                };
                out.push(f.about(Subject {
                    journal_id: Some(journal.id.clone()),
                    employee_id: journal.employee_id.clone(),
                    amount: Some(signed.to_string()),
                    currency: Some(journal.currency.clone()),
                }));
            }
        }
        out
    }
}

/// "extract line 4", "extract lines 2, 3, 5", capped at ten numbers.
pub fn extract_lines(lines: &[u64]) -> String {
    const SHOWN: usize = 10;
    match lines {
        [] => "no extract line".into(),
        [one] => format!("extract line {one}"),
        _ => {
            let mut s = lines
                .iter()
                .take(SHOWN)
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if lines.len() > SHOWN {
                s.push_str(&format!(" and {} more", lines.len() - SHOWN));
            }
            format!("extract lines {s}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_aliases_comments_and_unions() {
        let a = Accounts::parse(
            "c.csv",
            "# chart exported 2024-01-01\nCode,Description,Dept\n100,Travel,D1\n100,Travel,D2|D3\n200,Meals,\n",
        )
        .unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a.dimensions(), ["Dept"]);
        for v in ["D1", "D2", "D3"] {
            assert!(a.accepts("100", "Dept", v));
        }
        assert!(!a.accepts("100", "Dept", "D4"));
        assert!(a.accepts("200", "Dept", "anything"));
        assert!(a.accepts("100", "Other", "x"));
    }

    #[test]
    fn a_file_without_account_column_is_refused_with_its_line() {
        let e = Accounts::parse("c.csv", "\n\nnumber,name\n1,x\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.csv:3: the header row needs an `account` column (first row of the file)"
        );
        assert!(Accounts::parse("c.csv", "").is_err());
        let e = Accounts::parse("c.csv", "account,cc\n,\n x ,A\n ,B\n").unwrap_err();
        assert_eq!(e.to_string(), "c.csv:4: the account code is empty");
    }

    #[test]
    fn star_accepts_any_value() {
        let a = Accounts::parse("c.csv", "account,cc\n1,A\n1,*\n").unwrap();
        assert!(a.accepts("1", "cc", "Z"));
    }

    #[test]
    fn extract_lines_are_capped() {
        assert_eq!(extract_lines(&[4]), "extract line 4");
        assert_eq!(extract_lines(&[2, 3]), "extract lines 2, 3");
        let many: Vec<u64> = (1..=12).collect();
        assert!(extract_lines(&many).ends_with("10 and 2 more"));
    }
}

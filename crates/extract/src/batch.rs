//! Standard Edition payment-batch files: customer-configured delimited files.
//!
//! Their columns, order, delimiter and quoting are chosen by each customer in Concur's
//! "File Export Configuration", so the reader maps columns by *header name* through a
//! [`BatchMapping`]. The defaults recognise the field names Concur offers (Account Code,
//! Alpha Code, Amount Due Employee, Claim ID ...); a user can name other headers, or give
//! 1-based column numbers for files without a header row.

use crate::split::{Dialect, Field, Record};
use crate::value::{Date, ValueError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! batch_fields {
    ($( $(#[$m:meta])* $name:ident => $key:literal [$($alias:literal),*]; )*) => {
        /// A role a payment-batch column can play.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum BatchField { $( $(#[$m])* $name, )* }
        impl BatchField {
            /// Every role.
            pub const ALL: &'static [BatchField] = &[ $( BatchField::$name, )* ];
            /// The key used in mapping files.
            pub fn key(self) -> &'static str { match self { $( BatchField::$name => $key, )* } }
            /// Header names recognised by default (compared case- and punctuation-insensitively).
            pub fn default_headers(self) -> &'static [&'static str] {
                match self { $( BatchField::$name => &[$($alias),*], )* }
            }
        }
    };
}

batch_fields! {
    /// GL account string of the line.
    AccountCode => "account_code" ["Account Code", "Account", "GL Account", "Account String"];
    /// Signed amount (negative = credit) of the line.
    Amount => "amount" ["Tax Adjusted Posted Amount", "Amount", "Posted Amount", "Journal Amount"];
    /// `DR`/`CR` (or `D`/`C`, `Debit`/`Credit`) indicator, when amounts are unsigned.
    DebitCredit => "debit_credit" ["Debit/Credit", "Debit or Credit", "DR/CR", "Debit Credit Indicator"];
    /// Debit amount in a two-column layout.
    DebitAmount => "debit_amount" ["Debit", "Debit Amount"];
    /// Credit amount in a two-column layout.
    CreditAmount => "credit_amount" ["Credit", "Credit Amount"];
    /// ISO currency code.
    Currency => "currency" ["Alpha Code", "Currency", "Currency Code", "Currency Alpha Code"];
    /// Employee id.
    EmployeeId => "employee_id" ["Employee ID", "Employee Id", "Employee Number"];
    /// Employee first name.
    EmployeeFirstName => "employee_first_name" ["Employee First Name", "First Name"];
    /// Employee last name.
    EmployeeLastName => "employee_last_name" ["Employee Last Name", "Last Name"];
    /// Expense report (claim) id.
    ClaimId => "claim_id" ["Claim ID", "Report ID", "Claim Id"];
    /// Payment code (payment type) of the entry.
    PaymentCode => "payment_code" ["Payment Code", "Payment Type"];
    /// Reimbursement method of the batch.
    ReimbursementMethod => "reimbursement_method" ["Reimbursement Method"];
    /// Claim payment reimbursement type.
    ClaimPaymentReimbursementType => "claim_payment_reimbursement_type" ["Claim Payment Reimbursement Type"];
    /// Report total due to the employee.
    AmountDueEmployee => "amount_due_employee" ["Amount Due Employee"];
    /// Report total the employee owes the company.
    AmountDueCompany => "amount_due_company" ["Amount Due Company"];
    /// Report total paid by the company.
    AmountCompanyPaid => "amount_company_paid" ["Amount Company Paid"];
    /// Confirmed payment amount.
    PaymentConfirmedAmount => "payment_confirmed_amount" ["Payment Confirmed Amount"];
    /// Tax code.
    TaxCode => "tax_code" ["Tax Code"];
    /// Posting or batch date.
    Date => "date" ["Date", "Posting Date", "Batch Date", "Payment Date", "Transaction Date"];
    /// Line description.
    Description => "description" ["Description", "Memo", "Expense Type", "Line Description"];
    /// Batch id.
    BatchId => "batch_id" ["Batch ID", "Batch Id", "Batch Number"];
}

/// Where a role's column is: a header name, or a 1-based column number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnSpec {
    /// 1-based column number.
    Number(u32),
    /// Header name.
    Name(String),
}

/// How to read a payment-batch file. Everything is optional: the defaults detect the
/// delimiter and header row and recognise Concur's field names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchMapping {
    /// Field delimiter (`,`, `|`, `;`, `\t`); detected when absent.
    pub delimiter: Option<char>,
    /// Whether the first row holds column labels; detected when absent.
    pub header: Option<bool>,
    /// Decimal separator of amounts: `.` (default) or `,`.
    pub decimal: Option<char>,
    /// Posting date (`yyyy-MM-dd`) for files without a date column, and for rows whose date
    /// cell is empty. A file without a date column is refused unless this is set.
    pub date: Option<String>,
    /// Currency for files without a currency column (`USD` when absent).
    pub currency: Option<String>,
    /// Role -> column, overriding or extending the default header names.
    #[serde(default)]
    pub columns: BTreeMap<BatchField, ColumnSpec>,
}

fn normalize(name: &[u8]) -> String {
    crate::text::decode(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// How many of `fields` are names the default mapping recognises.
pub fn known_header_names<'a>(fields: impl Iterator<Item = &'a [u8]>) -> usize {
    let known: Vec<String> = BatchField::ALL
        .iter()
        .flat_map(|f| f.default_headers().iter().map(|h| normalize(h.as_bytes())))
        .collect();
    fields.filter(|f| known.contains(&normalize(f))).count()
}

/// Whether a header row names the fields Concur's payment-batch files carry: an amount
/// (signed, or debit and credit), an account code, and a claim or employee id to group by.
/// Two arbitrary known names (a date and a description) are not enough.
pub fn is_batch_header<'a>(fields: impl Iterator<Item = &'a [u8]>) -> bool {
    let names: Vec<String> = fields.map(normalize).collect();
    let has = |role: BatchField| {
        role.default_headers()
            .iter()
            .any(|h| names.contains(&normalize(h.as_bytes())))
    };
    let amount =
        has(BatchField::Amount) || (has(BatchField::DebitAmount) && has(BatchField::CreditAmount));
    let key = has(BatchField::ClaimId) || has(BatchField::EmployeeId);
    amount && has(BatchField::AccountCode) && key
}

/// A mapping resolved against one file's header: role -> 0-based field index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLayout {
    /// Delimiter and quoting of the file.
    pub dialect: Dialect,
    /// Whether the first row is a header.
    pub header: bool,
    /// Column labels from the header row (empty without one).
    pub labels: Vec<String>,
    /// Amounts use a decimal comma.
    pub decimal_comma: bool,
    /// The mapping's fixed `date`, for a file without a date column or a row without a date.
    pub fixed_date: Option<Date>,
    index: BTreeMap<BatchField, usize>,
}

/// Why a mapping cannot be applied to a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// A column named in the mapping is not in the header.
    #[error("the mapping names column `{name}` for {field}, but the header has no such column")]
    NoSuchHeader {
        /// Mapping key.
        field: &'static str,
        /// Header name looked for.
        name: String,
    },
    /// A required role has no column.
    #[error("no column for {0}; name it in the batch mapping")]
    Missing(&'static str),
    /// A file without header needs numbered columns.
    #[error("the file has no header row; give the mapping 1-based column numbers")]
    NoHeader,
    /// No date column and no fixed date: the journals would have no date.
    #[error(
        "the file has no date column (none of {known}) and the batch mapping gives no date, so its journals would have no posting date: add `date = \"YYYY-MM-DD\"` (the posting date of the batch) to the [batch] section of the rules file or to the --batch-map file, or name the date column (`[batch.columns] date = \"...\"`)"
    )]
    NoDate {
        /// The header names looked for.
        known: String,
    },
    /// The mapping's fixed date is not a date.
    #[error(
        "the batch mapping's date `{0}` is not a date; write it as yyyy-MM-dd, e.g. date = \"2024-03-31\""
    )]
    BadDate(String),
}

/// Why the amount of a payment-batch line cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AmountError {
    /// 0-based index of the column at fault.
    pub column: usize,
    /// What is wrong with its value.
    pub error: ValueError,
    /// A sentence naming the column, what is wrong and what to do.
    pub message: String,
}

impl BatchLayout {
    /// Resolves `mapping` against a file whose first record is `first`.
    pub fn resolve(
        mapping: &BatchMapping,
        dialect: Dialect,
        first: &Record<'_>,
    ) -> Result<BatchLayout, MappingError> {
        let header = mapping
            .header
            .unwrap_or_else(|| known_header_names(first.fields().map(|f| f.raw())) >= 2);
        let labels: Vec<String> = if header {
            first.fields().map(|f| f.text().trim().to_owned()).collect()
        } else {
            Vec::new()
        };
        let normalized: Vec<String> = labels.iter().map(|l| normalize(l.as_bytes())).collect();
        let mut index = BTreeMap::new();
        for &field in BatchField::ALL {
            match mapping.columns.get(&field) {
                Some(ColumnSpec::Number(n)) if *n >= 1 => {
                    index.insert(field, *n as usize - 1);
                }
                Some(ColumnSpec::Number(_)) => return Err(MappingError::Missing(field.key())),
                Some(ColumnSpec::Name(name)) => {
                    if !header {
                        return Err(MappingError::NoHeader);
                    }
                    let want = normalize(name.as_bytes());
                    let i = normalized.iter().position(|n| *n == want).ok_or_else(|| {
                        MappingError::NoSuchHeader {
                            field: field.key(),
                            name: name.clone(),
                        }
                    })?;
                    index.insert(field, i);
                }
                None if header => {
                    for h in field.default_headers() {
                        let want = normalize(h.as_bytes());
                        if let Some(i) = normalized.iter().position(|n| *n == want) {
                            index.insert(field, i);
                            break;
                        }
                    }
                }
                None => {}
            }
        }
        if !index.contains_key(&BatchField::AccountCode) {
            return Err(if header {
                MappingError::Missing("account_code")
            } else {
                MappingError::NoHeader
            });
        }
        let has_amount = index.contains_key(&BatchField::Amount)
            || (index.contains_key(&BatchField::DebitAmount)
                && index.contains_key(&BatchField::CreditAmount));
        if !has_amount {
            return Err(MappingError::Missing(
                "amount (or debit_amount and credit_amount)",
            ));
        }
        let fixed_date = match &mapping.date {
            None => None,
            Some(d) => Some(
                crate::value::parse_date(d.trim().as_bytes())
                    .map_err(|_| MappingError::BadDate(d.clone()))?,
            ),
        };
        if fixed_date.is_none() && !index.contains_key(&BatchField::Date) {
            return Err(MappingError::NoDate {
                known: BatchField::Date.default_headers().join(", "),
            });
        }
        Ok(BatchLayout {
            dialect,
            header,
            labels,
            decimal_comma: mapping.decimal == Some(','),
            fixed_date,
            index,
        })
    }

    /// 0-based index of `field`'s column.
    pub fn index(&self, field: BatchField) -> Option<usize> {
        self.index.get(&field).copied()
    }

    /// Label of the 0-based column `i` (header text, or `column N`).
    pub fn label(&self, i: usize) -> String {
        self.labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("column {}", i + 1))
    }

    /// Mapped roles and their column indexes.
    pub fn roles(&self) -> impl Iterator<Item = (BatchField, usize)> + '_ {
        self.index.iter().map(|(f, i)| (*f, *i))
    }
}

/// A typed view of one payment-batch row.
#[derive(Debug, Clone, Copy)]
pub struct BatchRow<'a, 'l> {
    record: Record<'a>,
    layout: &'l BatchLayout,
}

impl<'a, 'l> BatchRow<'a, 'l> {
    /// Wraps a record read under `layout`.
    pub fn new(record: Record<'a>, layout: &'l BatchLayout) -> Self {
        BatchRow { record, layout }
    }

    /// The underlying record.
    pub fn record(&self) -> &Record<'a> {
        &self.record
    }

    /// The field playing `role`, if mapped and present.
    pub fn get(&self, role: BatchField) -> Option<Field<'a>> {
        self.layout.index(role).and_then(|i| self.record.field(i))
    }

    /// The amount in `role`'s column (`None` when unmapped or absent from the row;
    /// [`ValueError::Empty`] when the cell is empty), honouring the mapping's decimal
    /// separator. Amounts are read strictly: a currency sign or any other stray character is
    /// an error.
    pub fn amount(&self, role: BatchField) -> Option<Result<Decimal, ValueError>> {
        let f = self.get(role)?;
        let raw = f.bytes();
        let v = raw.as_ref().trim_ascii();
        if v.is_empty() {
            return Some(Err(ValueError::Empty));
        }
        Some(if self.layout.decimal_comma {
            let swapped: Vec<u8> = v
                .iter()
                .map(|&b| if b == b',' { b'.' } else { b })
                .collect();
            crate::value::parse_amount(&swapped)
        } else {
            crate::value::parse_amount(v)
        })
    }

    /// The signed amount of the line, debit positive: the amount column (signed, or made so
    /// by the debit/credit indicator), or debit minus credit in a two-column layout. An empty
    /// or unreadable amount is an error naming its column, never a zero.
    pub fn signed_amount(&self) -> Result<Decimal, AmountError> {
        let layout = self.layout;
        let fail = |role: BatchField, error: ValueError, what: String| {
            let column = layout.index(role).unwrap_or(0);
            AmountError {
                column,
                message: format!("{}: {what}", layout.label(column)),
                error,
            }
        };
        let bad = |role: BatchField, e: ValueError| fail(role, e.clone(), e.to_string());
        let two = self.get(BatchField::DebitAmount).is_some()
            || self.get(BatchField::CreditAmount).is_some();
        if two {
            let read = |role: BatchField| match self.amount(role) {
                None | Some(Err(ValueError::Empty)) => Ok(None),
                Some(Ok(d)) => Ok(Some(d)),
                Some(Err(e)) => Err(bad(role, e)),
            };
            let (d, c) = (
                read(BatchField::DebitAmount)?,
                read(BatchField::CreditAmount)?,
            );
            if d.is_none() && c.is_none() {
                let role = if self.get(BatchField::DebitAmount).is_some() {
                    BatchField::DebitAmount
                } else {
                    BatchField::CreditAmount
                };
                let other = [BatchField::DebitAmount, BatchField::CreditAmount]
                    .into_iter()
                    .filter_map(|r| layout.index(r))
                    .map(|i| layout.label(i))
                    .collect::<Vec<_>>()
                    .join(" and ");
                return Err(fail(
                    role,
                    ValueError::Empty,
                    format!(
                        "the line has no amount ({other} are empty); it cannot be posted as zero: fill in the amount, or write 0 for a line that posts nothing"
                    ),
                ));
            }
            return Ok(d.unwrap_or_default().abs() - c.unwrap_or_default().abs());
        }
        let a = match self.amount(BatchField::Amount) {
            Some(Ok(a)) => a,
            None | Some(Err(ValueError::Empty)) => {
                return Err(fail(
                    BatchField::Amount,
                    ValueError::Empty,
                    "the amount is empty; a line without an amount cannot be posted as zero: fill it in, or write 0 for a line that posts nothing".into(),
                ));
            }
            Some(Err(e)) => return Err(bad(BatchField::Amount, e)),
        };
        Ok(
            match self
                .text(BatchField::DebitCredit)
                .to_ascii_uppercase()
                .as_str()
            {
                "CR" | "C" | "CREDIT" => -a.abs(),
                "DR" | "D" | "DEBIT" => a.abs(),
                _ => a,
            },
        )
    }

    /// The posting date of the line: its date cell, or the mapping's fixed date when the
    /// file has no date column or the cell is empty (`Ok(None)`: neither). A date that cannot
    /// be read is an error.
    pub fn date(&self) -> Result<Option<Date>, ValueError> {
        let v = self
            .get(BatchField::Date)
            .map(|f| f.bytes().trim_ascii().to_vec())
            .unwrap_or_default();
        if v.is_empty() {
            return Ok(self.layout.fixed_date);
        }
        crate::value::parse_date(&v).map(Some)
    }

    /// The text of `role` (empty when unmapped or absent).
    pub fn text(&self, role: BatchField) -> String {
        self.get(role)
            .map(|f| f.text().trim().to_owned())
            .unwrap_or_default()
    }
}

/// Detects the delimiter of a header line: the candidate occurring most often outside quotes.
pub fn detect_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let cands = [b',', b'|', b'\t', b';'];
    let mut in_quotes = false;
    for &b in line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = cands.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    cands[best]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::Splitter;

    fn first(text: &[u8], d: Dialect) -> (Splitter, Dialect) {
        let mut s = Splitter::new(d);
        s.feed(text);
        s.finish();
        (s, d)
    }

    #[test]
    fn default_mapping_finds_concur_field_names() {
        let text =
            b"Employee ID,Claim ID,Account Code,Alpha Code,Tax Adjusted Posted Amount,Posting Date\n";
        let d = Dialect {
            delimiter: detect_delimiter(text),
            quote: Some(b'"'),
        };
        assert_eq!(d.delimiter, b',');
        let (mut s, d) = first(text, d);
        let rec = s.next_record().unwrap().unwrap();
        let layout = BatchLayout::resolve(&BatchMapping::default(), d, &rec).unwrap();
        assert!(layout.header);
        assert_eq!(layout.index(BatchField::AccountCode), Some(2));
        assert_eq!(layout.index(BatchField::Amount), Some(4));
        assert_eq!(layout.index(BatchField::Currency), Some(3));
    }

    #[test]
    fn numbered_mapping_without_header() {
        let mut m = BatchMapping {
            header: Some(false),
            date: Some("2024-03-31".into()),
            ..Default::default()
        };
        m.columns
            .insert(BatchField::AccountCode, ColumnSpec::Number(1));
        m.columns.insert(BatchField::Amount, ColumnSpec::Number(2));
        let (mut s, d) = first(
            b"6200;12.50\n",
            Dialect {
                delimiter: b';',
                quote: Some(b'"'),
            },
        );
        let rec = s.next_record().unwrap().unwrap();
        let layout = BatchLayout::resolve(&m, d, &rec).unwrap();
        assert!(!layout.header);
        assert_eq!(
            BatchRow::new(rec, &layout).text(BatchField::Amount),
            "12.50"
        );
    }

    fn row_of(text: &[u8], mapping: &BatchMapping, check: impl Fn(BatchRow<'_, '_>)) {
        let (mut s, d) = first(text, Dialect::CSV);
        let head = s.next_record().unwrap().unwrap();
        let layout = BatchLayout::resolve(mapping, d, &head).unwrap();
        let rec = s.next_record().unwrap().unwrap();
        check(BatchRow::new(rec, &layout));
    }

    #[test]
    fn an_empty_amount_is_an_error_never_a_zero() {
        let m = BatchMapping::default();
        row_of(b"Account Code,Amount,Date\n20100,,2024-03-28\n", &m, |r| {
            let e = r.signed_amount().unwrap_err();
            assert_eq!((e.column, &e.error), (1, &ValueError::Empty));
            assert!(e.message.starts_with("Amount: the amount is empty"), "{e}");
        });
        row_of(
            b"Account Code,Amount,Date\n20100, 0 ,2024-03-28\n",
            &m,
            |r| {
                assert_eq!(
                    r.signed_amount().unwrap(),
                    Decimal::ZERO,
                    "a written 0 is a zero"
                );
            },
        );
        let two = b"Account Code,Debit,Credit,Date\n20100,,,2024-03-28\n";
        row_of(two, &m, |r| {
            let e = r.signed_amount().unwrap_err();
            assert_eq!(e.column, 1);
            assert!(e.message.contains("Debit and Credit are empty"), "{e}");
        });
        row_of(
            b"Account Code,Debit,Credit,Date\n20100,,12.50,2024-03-28\n",
            &m,
            |r| {
                assert_eq!(r.signed_amount().unwrap(), Decimal::new(-1250, 2));
            },
        );
        row_of(
            b"Account Code,Debit,Credit,Date\n20100,x,12.50,2024-03-28\n",
            &m,
            |r| {
                assert_eq!(r.signed_amount().unwrap_err().column, 1);
            },
        );
        row_of(
            b"Account Code,Amount,DR/CR,Date\n20100,12.50,CR,2024-03-28\n",
            &m,
            |r| {
                assert_eq!(r.signed_amount().unwrap(), Decimal::new(-1250, 2));
            },
        );
    }

    #[test]
    fn a_file_without_a_date_needs_a_fixed_date() {
        let (mut s, d) = first(b"Account Code,Amount\n60300,1\n", Dialect::CSV);
        let head = s.next_record().unwrap().unwrap();
        let err = BatchLayout::resolve(&BatchMapping::default(), d, &head).unwrap_err();
        assert!(matches!(err, MappingError::NoDate { .. }), "{err}");
        assert!(err.to_string().contains("date = \"YYYY-MM-DD\""), "{err}");
        let bad = BatchMapping {
            date: Some("31.03.2024".into()),
            ..Default::default()
        };
        assert_eq!(
            BatchLayout::resolve(&bad, d, &head).unwrap_err(),
            MappingError::BadDate("31.03.2024".into())
        );
        let fixed = BatchMapping {
            date: Some("2024-03-31".into()),
            ..Default::default()
        };
        let want = crate::value::Date::new(2024, 3, 31);
        row_of(b"Account Code,Amount\n60300,1\n", &fixed, |r| {
            assert_eq!(r.date().unwrap(), want);
        });
        // With a date column the row's date wins; an empty cell takes the fixed date.
        row_of(
            b"Account Code,Amount,Date\n60300,1,2024-03-01\n",
            &fixed,
            |r| {
                assert_eq!(r.date().unwrap(), crate::value::Date::new(2024, 3, 1));
            },
        );
        row_of(b"Account Code,Amount,Date\n60300,1,\n", &fixed, |r| {
            assert_eq!(r.date().unwrap(), want);
        });
        row_of(
            b"Account Code,Amount,Date\n60300,1,\n",
            &BatchMapping::default(),
            |r| {
                assert_eq!(r.date().unwrap(), None);
            },
        );
        row_of(
            b"Account Code,Amount,Date\n60300,1,03/01/2024\n",
            &fixed,
            |r| {
                assert!(r.date().is_err());
            },
        );
    }

    #[test]
    fn missing_columns_are_named() {
        let (mut s, d) = first(b"Employee ID,Claim ID\n", Dialect::CSV);
        let rec = s.next_record().unwrap().unwrap();
        assert_eq!(
            BatchLayout::resolve(&BatchMapping::default(), d, &rec).unwrap_err(),
            MappingError::Missing("account_code")
        );
        let mut m = BatchMapping::default();
        m.columns
            .insert(BatchField::AccountCode, ColumnSpec::Name("GL".into()));
        let err = BatchLayout::resolve(&m, d, &rec).unwrap_err();
        assert!(err.to_string().contains("`GL`"), "{err}");
    }
}

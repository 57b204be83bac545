//! Typed, zero-copy views of SAE and PRAE rows.

use crate::schema::{PraeCol, PraeHeaderCol, SaeCol, SaeHeaderCol};
use crate::split::{Field, Record};
use crate::value::{self, Date, DebitCredit, ValueError};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// A column-typed error: which column of which line, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column} ({name}): {error}")]
pub struct ColumnError {
    /// 1-based line.
    pub line: u64,
    /// 1-based column number.
    pub column: u16,
    /// Column name.
    pub name: &'static str,
    /// What is wrong.
    pub error: ValueError,
}

macro_rules! typed_row {
    ($(#[$m:meta])* $row:ident, $col:ty) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub struct $row<'a> {
            record: Record<'a>,
        }

        impl<'a> $row<'a> {
            /// Wraps a record.
            pub fn new(record: Record<'a>) -> Self {
                $row { record }
            }

            /// The underlying record.
            pub fn record(&self) -> &Record<'a> {
                &self.record
            }

            /// 1-based line number of the row.
            pub fn line(&self) -> u64 {
                self.record.position().line
            }

            /// The field in `col` (an empty field when the row is shorter).
            #[inline]
            pub fn get(&self, col: $col) -> Field<'a> {
                self.record.field(col.index()).unwrap_or(Field::plain(b""))
            }

            /// The raw value bytes of `col` when no unescaping is needed.
            #[inline]
            pub fn bytes(&self, col: $col) -> Cow<'a, [u8]> {
                self.get(col).bytes()
            }

            /// The value of `col` as text (UTF-8, or Windows-1252 when not UTF-8).
            pub fn text(&self, col: $col) -> Cow<'a, str> {
                self.get(col).text()
            }

            fn err(&self, col: $col, error: ValueError) -> ColumnError {
                ColumnError { line: self.line(), column: col.number(), name: col.name(), error }
            }

            /// The amount in `col`. Stray currency signs are tolerated (see
            /// [`value::parse_amount_lenient`]); `validate` warns about them.
            #[inline]
            pub fn amount(&self, col: $col) -> Result<Decimal, ColumnError> {
                let f = self.get(col);
                let parsed = match f.borrowed() {
                    Some(b) => value::parse_amount(b),
                    None => value::parse_amount(&f.bytes()),
                };
                match parsed {
                    Ok(d) => Ok(d),
                    Err(_) => value::parse_amount_lenient(&f.bytes())
                        .map(|(d, _)| d)
                        .map_err(|e| self.err(col, e)),
                }
            }

            /// The amount in `col`, `None` when empty.
            pub fn opt_amount(&self, col: $col) -> Result<Option<Decimal>, ColumnError> {
                if self.get(col).is_empty() { Ok(None) } else { self.amount(col).map(Some) }
            }

            /// The date in `col`, `None` when empty.
            pub fn date(&self, col: $col) -> Result<Option<Date>, ColumnError> {
                let b = self.bytes(col);
                if b.is_empty() {
                    return Ok(None);
                }
                value::parse_date(&b).map(Some).map_err(|e| self.err(col, e))
            }

            /// The Y/N flag in `col`, `None` when empty.
            pub fn flag(&self, col: $col) -> Result<Option<bool>, ColumnError> {
                value::parse_flag(&self.bytes(col)).map_err(|e| self.err(col, e))
            }

            /// The DR/CR indicator in `col`.
            pub fn dr_cr(&self, col: $col) -> Result<DebitCredit, ColumnError> {
                value::parse_dr_cr(&self.bytes(col)).map_err(|e| self.err(col, e))
            }
        }
    };
}

typed_row!(
    /// A typed view of an SAE `DETAIL` row: fields by [`SaeCol`], decoded on demand.
    SaeRow, SaeCol
);
typed_row!(
    /// A typed view of a PRAE `DETAIL` row: fields by [`PraeCol`], decoded on demand.
    PraeRow, PraeCol
);
typed_row!(
    /// A typed view of the SAE `EXTRACT` header line.
    SaeHeaderRow, SaeHeaderCol
);
typed_row!(
    /// A typed view of the PRAE `EXTRACT` header line.
    PraeHeaderRow, PraeHeaderCol
);

/// The values of an `EXTRACT` header, whichever file it heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Batch date.
    pub batch_date: Date,
    /// Number of detail rows announced.
    pub record_count: u64,
    /// Signed sum of the journal amounts announced.
    pub journal_total: Decimal,
    /// Batch id (kept as text: it is an identifier).
    pub batch_id: String,
}

impl Header {
    /// Reads an SAE header (`EXTRACT|date|count|total|batch`).
    pub fn from_sae(rec: Record<'_>) -> Result<Header, ColumnError> {
        let row = SaeHeaderRow::new(rec);
        let count = value::parse_integer(&row.bytes(SaeHeaderCol::RecordCount))
            .map_err(|e| row.err(SaeHeaderCol::RecordCount, e))?;
        Ok(Header {
            batch_date: row
                .date(SaeHeaderCol::BatchDate)?
                .ok_or_else(|| row.err(SaeHeaderCol::BatchDate, ValueError::Empty))?,
            record_count: count,
            journal_total: row.amount(SaeHeaderCol::JournalAmountTotal)?,
            batch_id: row.text(SaeHeaderCol::BatchID).into_owned(),
        })
    }

    /// Reads a PRAE header (`EXTRACT|batch|date|count|total`).
    pub fn from_prae(rec: Record<'_>) -> Result<Header, ColumnError> {
        let row = PraeHeaderRow::new(rec);
        let count = value::parse_integer(&row.bytes(PraeHeaderCol::RecordCount))
            .map_err(|e| row.err(PraeHeaderCol::RecordCount, e))?;
        Ok(Header {
            batch_date: row
                .date(PraeHeaderCol::BatchDate)?
                .ok_or_else(|| row.err(PraeHeaderCol::BatchDate, ValueError::Empty))?,
            record_count: count,
            journal_total: row.amount(PraeHeaderCol::JournalAmountTotal)?,
            batch_id: row.text(PraeHeaderCol::BatchID).into_owned(),
        })
    }
}

//! Column schemas of the SAE and PRAE files, generated from `schemas/*.tsv`.
//!
//! Code never indexes a record with bare numbers: it names a column
//! ([`SaeCol::JournalAmount`]) and the schema says where it is and what it holds.

#[rustfmt::skip]
mod generated;
pub use generated::*;

/// The kind of value a column holds, which decides how it is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// A fixed record marker (`EXTRACT`, `DETAIL`).
    Constant,
    /// A whole number (batch id, sequence number, record count).
    Integer,
    /// A decimal amount: optional sign, at most 8 decimal places, at most 23 digits.
    Money,
    /// A calendar date (`yyyy-MM-dd`; `yyyy/MM/dd` also accepted).
    Date,
    /// `Y` or `N`.
    Flag,
    /// An ISO 4217 alphabetic currency code.
    Currency,
    /// An ISO 3166 two-letter country code.
    Country,
    /// `DR` or `CR`.
    DebitCredit,
    /// A client-configured custom field or org unit.
    Custom,
    /// Free text.
    Text,
    /// Reserved for future use; expected empty.
    Reserved,
}

/// One column of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    /// 1-based column number.
    pub number: u16,
    /// Display name, as in the specification.
    pub name: &'static str,
    /// Rust identifier of the column.
    pub ident: &'static str,
    /// Section of the record.
    pub section: &'static str,
    /// Maximum length in characters, where the specification gives one.
    pub max_len: Option<u32>,
    /// Value type.
    pub ty: ColumnType,
    /// Whether every detail row must carry a value.
    pub required: bool,
}

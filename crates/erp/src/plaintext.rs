//! Plain-text accounting journals for inspection: hledger and Beancount.
//!
//! Account names get a top-level category (`Expenses`, `Assets`, `Liabilities`, see
//! [`names::category`](crate::names::category)) and are sanitised for each tool; the report,
//! employee, journal id and source lines travel as tags (hledger) or metadata (Beancount).

use crate::names::{beancount_account, category, hledger_account, one_line};
use crate::{Format, FormatInfo};
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, JournalLine};
use std::collections::HashSet;
use std::io::{self, Write};

/// `--to hledger` as `ledgerline formats` lists it: name, description and settings.
pub const HLEDGER: FormatInfo = FormatInfo {
    name: "hledger",
    format: Format::Hledger,
    description: "hledger journal: one transaction per journal, tags for report, employee and source lines",
    settings: &[],
};

/// `--to beancount` as `ledgerline formats` lists it: name, description and settings.
pub const BEANCOUNT: FormatInfo = FormatInfo {
    name: "beancount",
    format: Format::Beancount,
    description: "Beancount ledger: open directives, one transaction per journal, metadata per posting",
    settings: &[],
};

fn signed(l: &JournalLine) -> String {
    if l.debit.is_zero() {
        format!("-{}", l.credit)
    } else {
        l.debit.to_string()
    }
}

fn source(l: &JournalLine) -> String {
    l.source_lines
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An hledger tag value: no commas (they end a tag) and no line breaks.
fn tag(v: &str) -> String {
    one_line(v).replace(',', ";")
}

/// `--to hledger`.
pub struct HledgerWriter<W: Write> {
    out: W,
    declared: HashSet<String>,
}

impl<W: Write> HledgerWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        HledgerWriter {
            out,
            declared: HashSet::new(),
        }
    }
}

impl<W: Write> Sink for HledgerWriter<W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        let accounts: Vec<String> = j
            .lines
            .iter()
            .map(|l| hledger_account(category(l.kind, l.counterparty.as_ref()), &l.account))
            .collect();
        for a in &accounts {
            if self.declared.insert(a.clone()) {
                writeln!(self.out, "account {a}")?;
            }
        }
        let who = j
            .employee_name
            .as_deref()
            .or(j.employee_id.as_deref())
            .unwrap_or("");
        let desc = one_line(&format!("{who} | {}", j.title)).replace(';', ",");
        write!(
            self.out,
            "\n{} * ({}) {}  ; journal:{}",
            j.date,
            tag(&j.id).replace(')', "-"),
            desc.trim(),
            tag(&j.id)
        )?;
        if let Some(r) = &j.report_id {
            write!(self.out, ", report:{}", tag(r))?;
        }
        if let Some(e) = &j.employee_id {
            write!(self.out, ", employee:{}", tag(e))?;
        }
        writeln!(self.out, ", file:{}", tag(&j.source_file))?;
        for (l, a) in j.lines.iter().zip(&accounts) {
            write!(
                self.out,
                "    {a}  {} {}  ; kind:{}, source:{}",
                signed(l),
                j.currency,
                l.kind,
                source(l)
            )?;
            for (k, v) in &l.dimensions {
                write!(self.out, ", {}:{}", tag(k).replace([' ', ':'], "_"), tag(v))?;
            }
            if !l.memo.is_empty() {
                write!(self.out, ", memo:{}", tag(&l.memo))?;
            }
            writeln!(self.out)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A Beancount string literal.
fn bstr(s: &str) -> String {
    format!(
        "\"{}\"",
        one_line(s).replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// A Beancount metadata key: lower-case start, then letters, digits, `-` and `_`.
fn bkey(s: &str) -> String {
    let mut k: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if !k.starts_with(|c: char| c.is_ascii_lowercase()) {
        k.insert_str(0, "dim-");
    }
    k
}

/// `--to beancount`.
pub struct BeancountWriter<W: Write> {
    out: W,
    opened: HashSet<String>,
}

impl<W: Write> BeancountWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        BeancountWriter {
            out,
            opened: HashSet::new(),
        }
    }
}

impl<W: Write> Sink for BeancountWriter<W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        let accounts: Vec<String> = j
            .lines
            .iter()
            .map(|l| beancount_account(category(l.kind, l.counterparty.as_ref()), &l.account))
            .collect();
        for a in &accounts {
            if self.opened.insert(a.clone()) {
                // Entries are sorted by date, so an early open date covers every journal.
                writeln!(self.out, "1970-01-01 open {a}")?;
            }
        }
        let who = j
            .employee_name
            .as_deref()
            .or(j.employee_id.as_deref())
            .unwrap_or("");
        writeln!(self.out, "\n{} * {} {}", j.date, bstr(who), bstr(&j.title))?;
        writeln!(self.out, "  journal-id: {}", bstr(&j.id))?;
        if let Some(r) = &j.report_id {
            writeln!(self.out, "  report-id: {}", bstr(r))?;
        }
        if let Some(k) = &j.report_key {
            writeln!(self.out, "  report-key: {}", bstr(k))?;
        }
        if let Some(e) = &j.employee_id {
            writeln!(self.out, "  employee-id: {}", bstr(e))?;
        }
        writeln!(self.out, "  source-file: {}", bstr(&j.source_file))?;
        for (l, a) in j.lines.iter().zip(&accounts) {
            writeln!(self.out, "  {a}  {} {}", signed(l), j.currency)?;
            writeln!(self.out, "    kind: {}", bstr(l.kind.as_str()))?;
            writeln!(self.out, "    source-lines: {}", bstr(&source(l)))?;
            if let Some(cp) = &l.counterparty {
                writeln!(self.out, "    counterparty: {}", bstr(&cp.to_string()))?;
            }
            if !l.memo.is_empty() {
                writeln!(self.out, "    memo: {}", bstr(&l.memo))?;
            }
            for (k, v) in &l.dimensions {
                writeln!(self.out, "    {}: {}", bkey(k), bstr(v))?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

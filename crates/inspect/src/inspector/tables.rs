//! The views as tables: the aggregates read back from polars ([`Row`]), sorted (polars
//! returns groups in no particular order, every output must be deterministic) and turned
//! into trial balance, employee, report, kind and currency tables.

use super::Inspector;
use super::ingest::Agg;
use super::model::{Inspection, View};
use crate::error::InspectError;
use crate::table::{Cell, ColumnKind, Table, thousands};
use polars::prelude::*;
use std::collections::HashMap;

impl Inspector {
    pub(super) fn account_table(
        &self,
        out: &Inspection,
        df: &DataFrame,
    ) -> Result<Table, InspectError> {
        let mut rs = rows(df, Agg::Account)?;
        rs.sort_by(|a, b| {
            (a.text("account"), a.text("dimensions"), a.text("currency")).cmp(&(
                b.text("account"),
                b.text("dimensions"),
                b.text("currency"),
            ))
        });
        let mut t = Table::new(
            "account",
            "Trial balance by account",
            &[
                ("account", ColumnKind::Text),
                ("dimensions", ColumnKind::Text),
                ("currency", ColumnKind::Text),
                ("debit", ColumnKind::Amount),
                ("credit", ColumnKind::Amount),
                ("net", ColumnKind::Amount),
                ("lines", ColumnKind::Count),
            ],
        );
        for r in &rs {
            let cur = r.text("currency");
            let (d, c) = (r.int("debit"), r.int("credit"));
            t.rows.push(vec![
                Cell::Text(r.text("account")),
                Cell::text_or_null(r.opt("dimensions").as_deref()),
                Cell::Text(cur.clone()),
                Cell::Amount(out.amount(&cur, d)),
                Cell::Amount(out.amount(&cur, c)),
                Cell::Amount(out.amount(&cur, d - c)),
                Cell::Count(r.count("n")),
            ]);
        }
        totals_notes(out, &mut t);
        Ok(t)
    }

    pub(super) fn employee_table(&self, out: &Inspection, rs: &[Row]) -> Table {
        let mut rs: Vec<&Row> = rs.iter().collect();
        rs.sort_by(|a, b| {
            (a.opt("employee_id"), a.text("currency"))
                .cmp(&(b.opt("employee_id"), b.text("currency")))
        });
        let mut t = Table::new(
            "employee",
            "By employee (due: positive owed to the employee, negative owed by the employee)",
            &[
                ("employee_id", ColumnKind::Text),
                ("employee_name", ColumnKind::Text),
                ("currency", ColumnKind::Text),
                ("journals", ColumnKind::Count),
                ("expenses", ColumnKind::Amount),
                ("due_to_employee", ColumnKind::Amount),
                ("cash_advance_outstanding", ColumnKind::Amount),
                ("personal_charges", ColumnKind::Amount),
            ],
        );
        for r in rs {
            let cur = r.text("currency");
            let id = r.opt("employee_id");
            let name = id
                .as_ref()
                .and_then(|i| self.employee_names.get(i))
                .cloned();
            t.rows.push(vec![
                Cell::text_or_null(id.as_deref()),
                Cell::text_or_null(name.as_deref()),
                Cell::Text(cur.clone()),
                Cell::Count(r.count("first")),
                Cell::Amount(out.amount(&cur, r.int("expense"))),
                Cell::Amount(out.amount(&cur, r.int("due_employee"))),
                Cell::Amount(out.amount(&cur, r.int("cash_advance"))),
                Cell::Amount(out.amount(&cur, r.int("personal"))),
            ]);
        }
        t
    }
}

/// One aggregated row, read back from polars.
pub(super) struct Row {
    strs: HashMap<&'static str, Option<String>>,
    ints: HashMap<&'static str, i64>,
    pub(super) file: u32,
}

impl Row {
    pub(super) fn text(&self, k: &str) -> String {
        self.opt(k).unwrap_or_default()
    }
    pub(super) fn opt(&self, k: &str) -> Option<String> {
        self.strs
            .get(k)
            .cloned()
            .flatten()
            .filter(|s| !s.is_empty())
    }
    pub(super) fn int(&self, k: &str) -> i64 {
        self.ints.get(k).copied().unwrap_or(0)
    }
    pub(super) fn count(&self, k: &str) -> u64 {
        u64::try_from(self.int(k)).unwrap_or(0)
    }
    pub(super) fn file(&self) -> usize {
        self.file as usize
    }
}

pub(super) fn rows(df: &DataFrame, a: Agg) -> Result<Vec<Row>, InspectError> {
    let h = df.height();
    let mut out: Vec<Row> = (0..h)
        .map(|_| Row {
            strs: HashMap::new(),
            ints: HashMap::new(),
            file: 0,
        })
        .collect();
    for k in a.keys() {
        let col = df
            .column(k)
            .map_err(InspectError::polars("reading aggregates"))?;
        if *k == "file" {
            let ca = col
                .u32()
                .map_err(InspectError::polars("reading aggregates"))?;
            for (row, v) in out.iter_mut().zip(ca.iter()) {
                row.file = v.unwrap_or(0);
            }
            continue;
        }
        let ca = col
            .str()
            .map_err(InspectError::polars("reading aggregates"))?;
        for (row, v) in out.iter_mut().zip(ca.iter()) {
            row.strs.insert(k, v.map(str::to_owned));
        }
    }
    for v in a.values() {
        let col = df
            .column(v)
            .map_err(InspectError::polars("reading aggregates"))?;
        let ca = col
            .i64()
            .map_err(InspectError::polars("reading aggregates"))?;
        for (row, x) in out.iter_mut().zip(ca.iter()) {
            row.ints.insert(v, x.unwrap_or(0));
        }
    }
    Ok(out)
}

fn totals_notes(out: &Inspection, t: &mut Table) {
    for c in &out.currencies {
        let state = if c.debit == c.credit {
            "balanced"
        } else {
            "NOT BALANCED"
        };
        t.notes.push(format!(
            "total {}: debit {}, credit {} ({state})",
            c.currency,
            thousands(c.debit),
            thousands(c.credit)
        ));
    }
}

pub(super) fn kind_table(out: &Inspection, df: &DataFrame) -> Result<Table, InspectError> {
    let mut rs = rows(df, Agg::Kind)?;
    let order = |k: &str| {
        ledgerline_journal::Kind::ALL
            .iter()
            .position(|x| x.as_str() == k)
            .unwrap_or(usize::MAX)
    };
    rs.sort_by(|a, b| {
        (order(&a.text("kind")), a.text("kind"), a.text("currency")).cmp(&(
            order(&b.text("kind")),
            b.text("kind"),
            b.text("currency"),
        ))
    });
    let mut t = Table::new(
        "kind",
        "By kind",
        &[
            ("kind", ColumnKind::Text),
            ("currency", ColumnKind::Text),
            ("debit", ColumnKind::Amount),
            ("credit", ColumnKind::Amount),
            ("net", ColumnKind::Amount),
            ("lines", ColumnKind::Count),
        ],
    );
    for r in &rs {
        let cur = r.text("currency");
        let (d, c) = (r.int("debit"), r.int("credit"));
        t.rows.push(vec![
            Cell::Text(r.text("kind")),
            Cell::Text(cur.clone()),
            Cell::Amount(out.amount(&cur, d)),
            Cell::Amount(out.amount(&cur, c)),
            Cell::Amount(out.amount(&cur, d - c)),
            Cell::Count(r.count("n")),
        ]);
    }
    Ok(t)
}

pub(super) fn currency_table(out: &Inspection) -> Table {
    let mut t = Table::new(
        "currency",
        "By currency",
        &[
            ("currency", ColumnKind::Text),
            ("journals", ColumnKind::Count),
            ("lines", ColumnKind::Count),
            ("debit", ColumnKind::Amount),
            ("credit", ColumnKind::Amount),
            ("balanced", ColumnKind::Text),
        ],
    );
    for c in &out.currencies {
        t.rows.push(vec![
            Cell::Text(c.currency.clone()),
            Cell::Count(c.journals),
            Cell::Count(c.lines),
            Cell::Amount(c.debit),
            Cell::Amount(c.credit),
            Cell::Text(if c.debit == c.credit { "yes" } else { "no" }.into()),
        ]);
    }
    t
}

pub(super) fn report_table(out: &Inspection, rs: &[Row]) -> Table {
    let mut rs: Vec<&Row> = rs.iter().collect();
    rs.sort_by_key(|a| (a.file, a.text("journal_id")));
    let mut t = Table::new(
        "report",
        "By journal (report)",
        &[
            ("journal_id", ColumnKind::Text),
            ("report_id", ColumnKind::Text),
            ("employee_id", ColumnKind::Text),
            ("date", ColumnKind::Text),
            ("currency", ColumnKind::Text),
            ("lines", ColumnKind::Count),
            ("total", ColumnKind::Amount),
            ("due_to_employee", ColumnKind::Amount),
            ("due_to_card", ColumnKind::Amount),
            ("file", ColumnKind::Text),
        ],
    );
    for r in rs {
        let cur = r.text("currency");
        t.rows.push(vec![
            Cell::Text(r.text("journal_id")),
            Cell::text_or_null(r.opt("report_id").as_deref()),
            Cell::text_or_null(r.opt("employee_id").as_deref()),
            Cell::Text(r.text("date")),
            Cell::Text(cur.clone()),
            Cell::Count(r.count("n")),
            Cell::Amount(out.amount(&cur, r.int("debit"))),
            Cell::Amount(out.amount(&cur, r.int("due_employee"))),
            Cell::Amount(out.amount(&cur, r.int("due_card"))),
            Cell::text_or_null(out.files.get(r.file()).map(String::as_str)),
        ]);
    }
    t
}

pub(super) fn empty_table(v: View) -> Table {
    let mut t = Table::new(v.as_str(), format!("By {}", v.as_str()), &[]);
    t.notes.push("no journal lines".into());
    t
}

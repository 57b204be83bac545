//! `--to parquet`: the canonical journal lines as a Parquet file, written through polars, for
//! analytics and data lakes (spec: `schemas/erp/parquet.md`).
//!
//! Columns follow the canonical CSV (`--to csv`) with proper types: `date` is a date,
//! `line` an unsigned integer, `debit` / `credit` exact decimals (precision 38, scale 4: every
//! ISO 4217 currency fits), `source_lines` a list of integers. Each dimension of the rules
//! file also gets its own column, `dim_<name>`. Lines are buffered and written one row group
//! at a time, so memory stays bounded.

use crate::settings::{Section, Setting};
use crate::{Format, FormatInfo, SettingsError};
use ledgerline_extract::value::Date;
use ledgerline_journal::pipeline::Sink;
use ledgerline_journal::{Journal, Rules};
use polars::prelude::*;
use std::io::{self, Write};

/// Format name.
pub const NAME: &str = "parquet";

/// `--to parquet` as `ledgerline formats` lists it: name, description and settings.
pub const INFO: FormatInfo = FormatInfo {
    name: NAME,
    format: Format::Parquet,
    description: "canonical journal lines as Parquet (through polars): exact decimal amounts, a column per dimension",
    settings: SETTINGS,
};

/// The `[formats.parquet]` settings: (key, meaning). Any other key is refused.
pub const SETTINGS: &[Setting] = &[
    (
        "compression",
        "\"zstd\" (default), \"snappy\" or \"uncompressed\"",
    ),
    ("row_group_lines", "lines per row group (default 65536)"),
];

/// Scale of the decimal amount columns.
pub const SCALE: u32 = 4;
/// Precision of the decimal amount columns.
pub const PRECISION: usize = 38;

/// Canonical columns, in order (the `dim_<name>` columns follow `dimensions`).
pub const COLUMNS: &[&str] = &[
    "journal_id",
    "date",
    "line",
    "account",
    "debit",
    "credit",
    "currency",
    "kind",
    "counterparty",
    "employee_id",
    "report_id",
    "report_key",
    "memo",
    "dimensions",
    "source_file",
    "source_lines",
];

#[derive(Default)]
struct Buffers {
    journal_id: Vec<String>,
    date: Vec<i32>,
    line: Vec<u32>,
    account: Vec<String>,
    debit: Vec<i128>,
    credit: Vec<i128>,
    currency: Vec<String>,
    kind: Vec<&'static str>,
    counterparty: Vec<Option<String>>,
    employee_id: Vec<Option<String>>,
    report_id: Vec<Option<String>>,
    report_key: Vec<Option<String>>,
    memo: Vec<String>,
    dimensions: Vec<String>,
    dims: Vec<Vec<Option<String>>>,
    source_file: Vec<String>,
    source_lines: Vec<Vec<u64>>,
}

fn perr(e: PolarsError) -> io::Error {
    io::Error::other(format!("parquet: {e}"))
}

/// Days from 1970-01-01 (Parquet's date).
pub fn epoch_days(d: Date) -> i32 {
    let epoch = Date {
        year: 1970,
        month: 1,
        day: 1,
    };
    (d.days() - epoch.days()) as i32
}

/// `--to parquet`.
pub struct ParquetSink<W: Write> {
    out: Option<W>,
    writer: Option<polars::io::parquet::write::BatchedWriter<W>>,
    compression: ParquetCompression,
    row_group: usize,
    dim_names: Vec<String>,
    b: Buffers,
    done: bool,
}

impl<W: Write> ParquetSink<W> {
    /// A writer into `out` with the `[formats.parquet]` settings of `rules`.
    pub fn new(out: W, rules: &Rules) -> Result<Self, SettingsError> {
        let s = Section::new(NAME, rules, SETTINGS)?;
        let compression =
            match s.choice("compression", "zstd", &["zstd", "snappy", "uncompressed"])? {
                "snappy" => ParquetCompression::Snappy,
                "uncompressed" => ParquetCompression::Uncompressed,
                _ => ParquetCompression::Zstd(None),
            };
        let row_group = s.int_or("row_group_lines", 65_536, 1, 16 << 20)?;
        let dim_names: Vec<String> = rules.dimensions.iter().map(|(n, _)| n.clone()).collect();
        let b = Buffers {
            dims: vec![Vec::new(); dim_names.len()],
            ..Buffers::default()
        };
        Ok(ParquetSink {
            out: Some(out),
            writer: None,
            compression,
            row_group,
            dim_names,
            b,
            done: false,
        })
    }

    fn frame(&mut self) -> PolarsResult<DataFrame> {
        let b = std::mem::take(&mut self.b);
        self.b.dims = vec![Vec::new(); self.dim_names.len()];
        let n = b.line.len();
        let dec = |name: &str, v: Vec<i128>| -> PolarsResult<Column> {
            Ok(Int128Chunked::from_vec(name.into(), v)
                .into_decimal(PRECISION, SCALE as usize)?
                .into_series()
                .into_column())
        };
        let mut lists = ListPrimitiveChunkedBuilder::<UInt64Type>::new(
            "source_lines".into(),
            n,
            n * 2,
            DataType::UInt64,
        );
        for l in &b.source_lines {
            lists.append_slice(l);
        }
        let mut cols: Vec<Column> = vec![
            Series::new("journal_id".into(), b.journal_id).into_column(),
            Int32Chunked::from_vec("date".into(), b.date)
                .into_date()
                .into_series()
                .into_column(),
            Series::new("line".into(), b.line).into_column(),
            Series::new("account".into(), b.account).into_column(),
            dec("debit", b.debit)?,
            dec("credit", b.credit)?,
            Series::new("currency".into(), b.currency).into_column(),
            Series::new("kind".into(), b.kind).into_column(),
            Series::new("counterparty".into(), b.counterparty).into_column(),
            Series::new("employee_id".into(), b.employee_id).into_column(),
            Series::new("report_id".into(), b.report_id).into_column(),
            Series::new("report_key".into(), b.report_key).into_column(),
            Series::new("memo".into(), b.memo).into_column(),
            Series::new("dimensions".into(), b.dimensions).into_column(),
            Series::new("source_file".into(), b.source_file).into_column(),
            lists.finish().into_series().into_column(),
        ];
        for (name, values) in self.dim_names.iter().zip(b.dims) {
            cols.push(Series::new(format!("dim_{name}").into(), values).into_column());
        }
        DataFrame::new(n, cols)
    }

    fn flush_group(&mut self) -> io::Result<()> {
        let df = self.frame().map_err(perr)?;
        if self.writer.is_none() {
            let Some(out) = self.out.take() else {
                return Err(io::Error::other("parquet: writer already finished"));
            };
            let w = ParquetWriter::new(out)
                .with_compression(self.compression)
                .set_parallel(false)
                .batched(&df.schema().clone())
                .map_err(perr)?;
            self.writer = Some(w);
        }
        if df.height() > 0
            && let Some(w) = self.writer.as_mut()
        {
            w.write_batch(&df).map_err(perr)?;
        }
        Ok(())
    }
}

impl<W: Write> Sink for ParquetSink<W> {
    fn write_journal(&mut self, j: &Journal) -> io::Result<()> {
        if j.minor_units > SCALE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "parquet: journal {}: {} has {} decimals, more than the {SCALE} of the amount columns",
                    j.id, j.currency, j.minor_units
                ),
            ));
        }
        let b = &mut self.b;
        let days = epoch_days(j.date);
        for l in &j.lines {
            let mant = |d: rust_decimal::Decimal| {
                let mut d = d;
                d.rescale(SCALE);
                d.mantissa()
            };
            b.journal_id.push(j.id.clone());
            b.date.push(days);
            b.line.push(l.line);
            b.account.push(l.account.clone());
            b.debit.push(mant(l.debit));
            b.credit.push(mant(l.credit));
            b.currency.push(j.currency.clone());
            b.kind.push(l.kind.as_str());
            b.counterparty
                .push(l.counterparty.as_ref().map(|c| c.to_string()));
            b.employee_id.push(j.employee_id.clone());
            b.report_id.push(j.report_id.clone());
            b.report_key.push(j.report_key.clone());
            b.memo.push(l.memo.clone());
            b.dimensions.push(
                serde_json::to_string(&crate::canonical::Dimensions(&l.dimensions))
                    .map_err(io::Error::other)?,
            );
            for (name, col) in self.dim_names.iter().zip(b.dims.iter_mut()) {
                col.push(
                    l.dimensions
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone()),
                );
            }
            b.source_file.push(j.source_file.to_string());
            b.source_lines.push(l.source_lines.clone());
        }
        if self.b.line.len() >= self.row_group {
            self.flush_group()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        self.flush_group()?;
        if let Some(w) = self.writer.as_mut() {
            w.finish().map_err(perr)?;
        }
        Ok(())
    }
}

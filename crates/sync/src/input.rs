//! Reading an ERP master-data export: CSV (delimiter sniffed from the header line unless
//! the mapping gives one) or Parquet (every column read as text through polars), into a
//! [`Table`] whose rows remember the line (CSV) or row number (Parquet) they came from, so
//! findings can point at them.

use crate::error::{Result, SyncError};
use std::path::Path;

/// One input row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line of the CSV file where the row starts (Parquet: 1-based row number + 1,
    /// as if a header line came first).
    pub line: u64,
    /// Cell values, trimmed, in header order (missing cells are empty).
    pub cells: Vec<String>,
}

/// An input file read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The file's display name.
    pub file: String,
    /// Column names.
    pub headers: Vec<String>,
    /// Data rows.
    pub rows: Vec<Row>,
}

impl Table {
    /// The 0-based index of column `name` (exact, then case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name).or_else(|| {
            self.headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
        })
    }

    /// Reads `path`: Parquet when the file starts with `PAR1`, else CSV.
    pub fn read(path: &Path, delimiter: Option<u8>) -> Result<Table> {
        let bytes = std::fs::read(path).map_err(|source| SyncError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file = path.display().to_string();
        if bytes.starts_with(b"PAR1") {
            return read_parquet(file, bytes);
        }
        read_csv(file, &bytes, delimiter)
    }
}

/// The delimiter of a header line: the most frequent of `,` `;` tab `|`.
fn sniff(bytes: &[u8]) -> u8 {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(b"");
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| (first.iter().filter(|b| *b == d).count(), *d == b','))
        .unwrap_or(b',')
}

/// Reads CSV bytes (UTF-8, a BOM allowed; invalid bytes replaced).
pub fn read_csv(file: String, bytes: &[u8], delimiter: Option<u8>) -> Result<Table> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter.unwrap_or_else(|| sniff(bytes)))
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let csv_err = |e: csv::Error| SyncError::Csv {
        file: file.clone(),
        message: e.to_string(),
    };
    let headers: Vec<String> = rdr
        .byte_headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    let mut rows = Vec::new();
    let mut rec = csv::ByteRecord::new();
    // Lines counted from byte offsets: the csv reader's own count skips blank lines.
    let (mut at_byte, mut at_line) = (0usize, 1u64);
    while rdr.read_byte_record(&mut rec).map_err(csv_err)? {
        let byte = rec.position().map_or(at_byte as u64, |p| p.byte()) as usize;
        let mut byte = byte.min(bytes.len());
        // The position can be that of blank lines before the record.
        while byte < bytes.len() && matches!(bytes[byte], b'\r' | b'\n') {
            byte += 1;
        }
        if byte > at_byte {
            at_line += memchr_count(&bytes[at_byte..byte]);
            at_byte = byte;
        }
        if rec.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let line = at_line;
        let mut cells: Vec<String> = rec
            .iter()
            .map(|c| String::from_utf8_lossy(c).trim().to_owned())
            .collect();
        cells.resize(headers.len().max(cells.len()), String::new());
        rows.push(Row { line, cells });
    }
    Ok(Table {
        file,
        headers,
        rows,
    })
}

fn memchr_count(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

fn read_parquet(file: String, bytes: Vec<u8>) -> Result<Table> {
    use polars::prelude::*;
    let err = |e: PolarsError| SyncError::Parquet {
        file: file.clone(),
        message: e.to_string(),
    };
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(err)?;
    let headers: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut columns = Vec::with_capacity(headers.len());
    for name in &headers {
        let col = df.column(name).map_err(err)?;
        let cast = col.cast(&DataType::String).map_err(err)?;
        let ca = cast.str().map_err(err)?;
        columns.push(
            ca.iter()
                .map(|v| v.unwrap_or("").trim().to_owned())
                .collect::<Vec<_>>(),
        );
    }
    let rows = (0..df.height())
        .map(|i| Row {
            line: i as u64 + 2,
            cells: columns.iter().map(|c| c[i].clone()).collect(),
        })
        .collect();
    Ok(Table {
        file,
        headers,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_delimiters_and_bom() {
        let t = read_csv(
            "x.csv".into(),
            b"\xEF\xBB\xBFCode;Name\nA;Alpha\n\n\"B\";\"Multi\nline\"\nC;Gamma\n",
            None,
        )
        .unwrap();
        assert_eq!(t.headers, ["Code", "Name"]);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 4);
        assert_eq!(t.rows[2].line, 6);
        assert_eq!(t.rows[2].cells, ["C", "Gamma"]);
        assert_eq!(t.column("name"), Some(1));
    }
}

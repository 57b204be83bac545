//! The files the simulator serves: from a directory, or generated (SAE by
//! `ledgerline-generate` plus posted entries, a small PRAE, an attendee file, payment-batch
//! CSVs). [`FileBody`] lives here: the state keeps the bodies this module makes and the
//! routes send them, so both depend on this module and it on neither.

use crate::config::{BatchConfig, DefinitionConfig, DefinitionKind, SimConfig};
use bytes::Bytes;
use ledgerline_extract::schema::{PRAE_DETAIL, PraeCol};
use ledgerline_extract::split::{Dialect, write_record};
use ledgerline_extract::value::Date;
use ledgerline_generate::entries::{PostedEntry, append_entries};
use ledgerline_generate::{Generator, Options};
use std::io::{self, Write};
use std::path::Path;

/// A file to serve.
#[derive(Debug, Clone)]
pub struct FileBody {
    /// `text/csv` or `application/zip`.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Bytes,
}

fn batch_date(number: u64) -> Date {
    // 2024-03-28 plus one day per job: distinct, stable dates.
    let base = Date::new(2024, 3, 28).map(Date::days).unwrap_or(0);
    Date::from_days(base + number as i64)
}

fn zip_of(files: &[(String, Vec<u8>)]) -> io::Result<FileBody> {
    let mut out = io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for (name, bytes) in files {
            z.start_file(
                name.as_str(),
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .map_err(io::Error::other)?;
            z.write_all(bytes)?;
        }
        z.finish().map_err(io::Error::other)?;
    }
    Ok(FileBody {
        content_type: "application/zip",
        bytes: Bytes::from(out.into_inner()),
    })
}

fn csv(bytes: Vec<u8>) -> FileBody {
    FileBody {
        content_type: "text/csv",
        bytes: Bytes::from(bytes),
    }
}

/// Files of `dir` (sorted), or `None` when it does not exist or is empty.
fn from_dir(dir: &Path) -> io::Result<Option<FileBody>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.path())
        .collect();
    names.sort();
    let mut files = Vec::new();
    for p in names {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((name, std::fs::read(&p)?));
    }
    match files.len() {
        0 => Ok(None),
        1 => Ok(files.pop().map(|(_, b)| csv(b))),
        _ => zip_of(&files).map(Some),
    }
}

/// The file of extract job `number` of `def`.
pub(crate) fn job_file(
    cfg: &SimConfig,
    def: &DefinitionConfig,
    number: u64,
    entries: &[PostedEntry],
) -> io::Result<FileBody> {
    if let Some(dir) = &cfg.files_dir
        && let Some(f) = from_dir(&dir.join(&def.key))?
    {
        return Ok(f);
    }
    let date = batch_date(number);
    let main = match def.kind {
        DefinitionKind::Expense => sae(cfg, number, date, entries)?,
        DefinitionKind::Invoice => prae(cfg.seed ^ number, number, date),
    };
    if !def.multi_file {
        return Ok(csv(main));
    }
    let stamp = date.to_string().replace('-', "");
    let attendees = attendee_file(number, date, cfg.reports_per_file);
    zip_of(&[
        (format!("extract_CES_SAE_v3_p{number:07}_{stamp}.txt"), main),
        (
            format!("extract_attendee_detail_p{number:07}_{stamp}.txt"),
            attendees,
        ),
    ])
}

fn sae(cfg: &SimConfig, number: u64, date: Date, entries: &[PostedEntry]) -> io::Result<Vec<u8>> {
    let mut base = Vec::new();
    Generator::new(Options {
        reports: cfg.reports_per_file,
        seed: cfg.seed.wrapping_add(number),
        batch_id: number,
        batch_date: date,
    })
    .write(&mut base)?;
    if entries.is_empty() {
        return Ok(base);
    }
    let mut out = Vec::with_capacity(base.len() + entries.len() * 1500);
    append_entries(&base, entries, &mut out)?;
    Ok(out)
}

/// A small Payment Request Accounting Extract: three invoices of two lines each. As in
/// Concur's file, every row is one invoice line debited to its account (column 61) with
/// its net (62) and gross (63) amounts; the vendor payable is implied by the vendor code
/// (165), and the invoice total (9, 10) is the sum of the gross amounts. The second line
/// carries tax (gross above net).
fn prae(seed: u64, batch: u64, date: Date) -> Vec<u8> {
    use rust_decimal::Decimal;
    let mut rows = Vec::new();
    let mut total = Decimal::ZERO;
    let mut seq = 0u64;
    let mut fields = vec![String::new(); PRAE_DETAIL.len()];
    let vendors = [
        ("V1001", "Office Depot"),
        ("V2002", "Acme Consulting"),
        ("V3003", "CloudHost Ltd"),
    ];
    for (i, (code, name)) in vendors.iter().enumerate() {
        let cents = |k: u64| {
            10_000
                + ((seed
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(i as u64 * 7919 + k * 104_729))
                    % 90_000) as i64
        };
        let first = Decimal::new(cents(0), 2);
        let second = Decimal::new(cents(1), 2);
        let tax = (second * Decimal::new(8, 2)).round_dp(2);
        // (account, description, net, gross)
        let lines = [
            ("62000", "Services", first, first),
            ("61000", "Supplies", second, second + tax),
        ];
        let invoice_total: Decimal = lines.iter().map(|l| l.3).sum();
        for (n, (account, what, net, gross)) in lines.iter().enumerate() {
            seq += 1;
            for f in fields.iter_mut() {
                f.clear();
            }
            total += *net;
            let mut set = |c: PraeCol, v: String| fields[c.index()] = v;
            set(PraeCol::Detail, "DETAIL".into());
            set(PraeCol::RequestKey, format!("{}", batch * 1000 + i as u64));
            set(PraeCol::PolicyName, "Standard Invoice".into());
            set(PraeCol::Title, format!("{name} invoice"));
            set(PraeCol::VendorInvoiceNumber, format!("INV-{batch}-{i}"));
            set(PraeCol::InvoiceDate, date.to_string());
            set(PraeCol::InvoiceAmount, format!("{invoice_total:.4}"));
            set(PraeCol::TotalAmount, format!("{invoice_total:.4}"));
            set(PraeCol::RequestID, format!("PR{batch:04}{i:03}"));
            set(PraeCol::JournalAccountCode, (*account).into());
            set(PraeCol::JournalAmount, format!("{net:.4}"));
            set(PraeCol::JournalGrossAmount, format!("{gross:.4}"));
            set(PraeCol::DebitOrCredit, "DR".into());
            set(PraeCol::RequestedAlphaCurrencyCode, "USD".into());
            set(PraeCol::LineItemSequenceOrder, format!("{}", n + 1));
            set(PraeCol::LineItemDescription, (*what).into());
            set(PraeCol::LineItemTotal, format!("{gross:.4}"));
            set(PraeCol::VendorName, (*name).into());
            set(PraeCol::VendorCode, (*code).into());
            let refs: Vec<&[u8]> = fields.iter().map(|s| s.as_bytes()).collect();
            write_record(&mut rows, &refs, Dialect::PIPE);
            rows.push(b'\n');
        }
    }
    let mut out = format!("EXTRACT|{batch}|{date}|{seq}|{total:.4}\n").into_bytes();
    out.extend(rows);
    out
}

/// A Standard Attendee Detail-like companion file for multi-file definitions.
fn attendee_file(batch: u64, date: Date, n: u64) -> Vec<u8> {
    let mut out = format!("EXTRACT|{date}|{n}|0|{batch}\n").into_bytes();
    for i in 1..=n {
        let row = format!(
            "DETAIL|{batch}|{date}|{i}|R{batch:03}{i:03}|{}|Business Guest|Guest {i}|Example Corp|Customer|1|0.0000",
            1000 + i
        );
        out.extend_from_slice(row.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The file of a closed payment batch (CSV with a header row; regenerated files differ
/// only in their generation stamp).
pub(crate) fn batch_file(
    cfg: &SimConfig,
    number: u64,
    generation: u32,
    b: &BatchConfig,
) -> io::Result<FileBody> {
    if let Some(dir) = &cfg.files_dir
        && let Some(f) = from_dir(&dir.join("batches"))?
    {
        return Ok(f);
    }
    let date = batch_date(number);
    let mut out = String::from(
        "Batch ID,Employee ID,Employee Last Name,Employee First Name,Claim ID,Account Code,Debit/Credit,Amount,Alpha Code,Posting Date,Description\n",
    );
    let last = ["Doe", "Garcia", "Tanaka", "Okafor", "Rossi"];
    for r in 0..u64::from(b.count) {
        let emp = format!("E{:05}", 10_000 + (number * 31 + r * 7) % 900);
        let claim = format!("C{number:03}{r:04}-{generation}");
        let cents = 2_500 + ((cfg.seed.wrapping_add(number * 97 + r * 13)) % 40_000) as i64;
        let amount = rust_decimal::Decimal::new(cents, 2);
        let name = last[(r % last.len() as u64) as usize];
        out.push_str(&format!(
            "{number},{emp},{name},Sam,{claim},60100,DR,{amount:.2},{cur},{date},Travel\n{number},{emp},{name},Sam,{claim},20000,CR,{amount:.2},{cur},{date},Employee payable\n",
            cur = b.currency
        ));
    }
    Ok(csv(out.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerline_extract::validate::{ValidateOptions, validate_reader};

    fn check(name: &str, bytes: &[u8]) -> ledgerline_extract::validate::FileReport {
        validate_reader(name, bytes, &ValidateOptions::default(), &mut |_| {})
    }

    #[test]
    fn generated_files_are_valid_extracts() {
        let cfg = SimConfig::default();
        for def in &cfg.definitions {
            let f = job_file(&cfg, def, 3, &[]).unwrap();
            assert_eq!(f.content_type == "application/zip", def.multi_file);
            let mut parts = Vec::new();
            if def.multi_file {
                let mut z = zip::ZipArchive::new(std::io::Cursor::new(f.bytes.to_vec())).unwrap();
                for i in 0..z.len() {
                    let mut e = z.by_index(i).unwrap();
                    let mut v = Vec::new();
                    std::io::Read::read_to_end(&mut e, &mut v).unwrap();
                    parts.push((e.name().to_owned(), v));
                }
                assert_eq!(parts.len(), 2);
            } else {
                parts.push((def.name.clone(), f.bytes.to_vec()));
            }
            for (name, bytes) in parts {
                let r = check(&name, &bytes);
                assert_eq!(r.findings.errors(), 0, "{name}: {:#?}", r.findings.items());
                assert!(r.rows > 0, "{name}");
            }
        }
        let f = batch_file(&cfg, 1, 0, &cfg.batches[0]).unwrap();
        let r = check("batch.csv", &f.bytes);
        assert_eq!(r.findings.errors(), 0, "{:#?}", r.findings.items());
        assert!(r.rows >= 2);
    }
}

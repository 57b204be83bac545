//! Round trips: every ERP format's output is read back (a CSV reader, an XML parser, zip,
//! polars for Parquet) and, per journal, the entry found under the journal's deterministic id
//! must balance and carry exactly the canonical journal's debit total, credit total and line
//! count. A second pass forces small line limits and checks the balanced parts.

use crate::common;
use ledgerline_erp::Format;
use ledgerline_erp::ids::{Part, external_id, short_id};
use ledgerline_journal::{Journal, Rules};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

/// Entry key -> (debits, credits) of its lines, in file order of first appearance.
type Entries = Vec<(String, Vec<(Decimal, Decimal)>)>;

fn dec(s: &str) -> Decimal {
    let s = s.trim();
    if s.is_empty() {
        Decimal::ZERO
    } else {
        Decimal::from_str(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }
}

fn signed(s: &str) -> (Decimal, Decimal) {
    let d = dec(s);
    if d.is_sign_negative() {
        (Decimal::ZERO, -d)
    } else {
        (d, Decimal::ZERO)
    }
}

fn push(entries: &mut Entries, key: &str, dc: (Decimal, Decimal)) {
    match entries.last_mut() {
        Some((k, v)) if k == key => v.push(dc),
        _ => {
            assert!(
                !entries.iter().any(|(k, _)| k == key),
                "entry {key} appears in two places"
            );
            entries.push((key.to_owned(), vec![dc]))
        }
    }
}

fn csv_rows(bytes: &[u8], headers: bool) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(headers)
        .flexible(true)
        .from_reader(bytes);
    let h = if headers {
        r.headers().unwrap().iter().map(str::to_owned).collect()
    } else {
        Vec::new()
    };
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (h, rows)
}

fn col(h: &[String], name: &str) -> usize {
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {h:?}"))
}

fn by_columns(bytes: &[u8], key: &str, debit: &str, credit: &str) -> Entries {
    let (h, rows) = csv_rows(bytes, true);
    let (k, d, c) = (col(&h, key), col(&h, debit), col(&h, credit));
    let mut e = Entries::new();
    for r in rows {
        assert_eq!(r.len(), h.len(), "row width differs from the header: {r:?}");
        push(&mut e, &r[k], (dec(&r[d]), dec(&r[c])));
    }
    e
}

/// Reads a written file back into entries.
fn read_back(format: Format, bytes: &[u8]) -> Entries {
    match format {
        Format::NetSuite => by_columns(bytes, "External ID", "Debit", "Credit"),
        Format::D365 => by_columns(bytes, "VOUCHER", "DEBITAMOUNT", "CREDITAMOUNT"),
        Format::Qbo => by_columns(bytes, "Journal No.", "Debits", "Credits"),
        Format::Sap => {
            let (_, rows) = csv_rows(bytes, false);
            let mut e = Entries::new();
            // The preamble (title, comments, Batch ID) ends at the first Header marker.
            let mut i = rows
                .iter()
                .position(|r| r.get(1).map(String::as_str) == Some("Header"))
                .unwrap();
            let mut reference = String::new();
            while i < rows.len() {
                match rows[i].get(1).map(String::as_str).unwrap_or("") {
                    "Header" => {
                        assert_eq!(rows[i + 1][1], "BUKRS");
                        let xblnr = rows[i + 1].iter().position(|c| c == "XBLNR").unwrap();
                        reference = rows[i + 3][xblnr].clone();
                        i += 4;
                    }
                    "Line Items" => {
                        assert_eq!(rows[i + 2][2], "HKONT");
                        i += 4;
                    }
                    _ => {
                        let r = &rows[i];
                        assert_eq!(r[0], "", "column A is empty on item rows");
                        push(&mut e, &reference, (dec(&r[4]), dec(&r[5])));
                        i += 1;
                    }
                }
            }
            e
        }
        Format::SapIdoc => {
            let text = std::str::from_utf8(bytes).unwrap();
            let doc = roxmltree::Document::parse(text).unwrap();
            let mut e = Entries::new();
            for idoc in doc
                .root_element()
                .children()
                .filter(|n| n.has_tag_name("IDOC"))
            {
                let field = |seg: roxmltree::Node, name: &str| {
                    seg.children()
                        .find(|c| c.has_tag_name(name))
                        .and_then(|c| c.text())
                        .unwrap_or("")
                        .to_owned()
                };
                let head = idoc
                    .children()
                    .find(|c| c.has_tag_name("E1BPACHE09"))
                    .unwrap();
                let key = field(head, "REF_DOC_NO");
                let gl = idoc
                    .children()
                    .filter(|c| c.has_tag_name("E1BPACGL09"))
                    .count();
                let mut n = 0;
                for cr in idoc.children().filter(|c| c.has_tag_name("E1BPACCR09")) {
                    n += 1;
                    push(&mut e, &key, signed(&field(cr, "AMT_DOCCUR")));
                }
                assert_eq!(gl, n, "one amount per G/L item");
            }
            e
        }
        Format::OracleFbdi => {
            let files = common::unzip(bytes);
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].0, "GlInterface.csv");
            let (_, rows) = csv_rows(&files[0].1, false);
            let mut e = Entries::new();
            for r in rows {
                assert_eq!(r.len(), 150, "every row is the template's full width");
                assert_eq!(r[0], "NEW");
                assert_eq!(r[149], "END");
                push(&mut e, &r[45], (dec(&r[38]), dec(&r[39])));
            }
            e
        }
        Format::Iif => {
            let text = std::str::from_utf8(bytes).unwrap();
            let mut e = Entries::new();
            let mut open = false;
            for line in text
                .split("\r\n")
                .filter(|l| !l.is_empty() && !l.starts_with('!'))
            {
                let f: Vec<&str> = line.split('\t').collect();
                match f[0] {
                    "TRNS" => {
                        assert!(!open, "TRNS inside a transaction");
                        open = true;
                    }
                    "SPL" => assert!(open, "SPL outside a transaction"),
                    "ENDTRNS" => {
                        assert!(open);
                        open = false;
                        continue;
                    }
                    other => panic!("unexpected record {other}"),
                }
                assert_eq!(f.len(), 10, "{line}");
                assert_eq!(f[2], "GENERAL JOURNAL");
                push(&mut e, f[8], signed(f[7]));
            }
            assert!(!open, "missing ENDTRNS");
            e
        }
        Format::Xero => {
            let mut e = Entries::new();
            for (name, data) in common::unzip(bytes) {
                let (h, rows) = csv_rows(&data, true);
                assert!(rows.len() <= 300, "{name}: {} lines", rows.len());
                let (n, a) = (col(&h, "*Narration"), col(&h, "*Amount"));
                for r in rows {
                    let key = r[n].split(' ').next().unwrap().to_owned();
                    push(&mut e, &key, signed(&r[a]));
                }
            }
            e
        }
        Format::Intacct => {
            let (h, rows) = csv_rows(bytes, true);
            let (rf, d, c) = (col(&h, "REFERENCE_NO"), col(&h, "DEBIT"), col(&h, "CREDIT"));
            let (j, ln) = (col(&h, "JOURNAL"), col(&h, "LINE_NO"));
            let mut e = Entries::new();
            let mut key = String::new();
            let mut expect_line = 0;
            for r in rows.iter().filter(|r| !r[0].starts_with('#')) {
                if !r[j].is_empty() {
                    key = r[rf].clone();
                    expect_line = 1;
                } else {
                    assert!(r[rf].is_empty(), "entry fields only on the first line");
                    expect_line += 1;
                }
                assert_eq!(r[ln], expect_line.to_string());
                push(&mut e, &key, (dec(&r[d]), dec(&r[c])));
            }
            e
        }
        Format::Parquet => {
            let df = common::read_parquet(bytes);
            let get = |name: &str, i: usize| -> String {
                let v = df.column(name).unwrap().get(i).unwrap();
                v.to_string().trim_matches('"').to_owned()
            };
            let mut e = Entries::new();
            for i in 0..df.height() {
                push(
                    &mut e,
                    &get("journal_id", i),
                    (dec(&get("debit", i)), dec(&get("credit", i))),
                );
            }
            e
        }
        f => panic!("{f:?} is not an ERP format"),
    }
}

/// The id a journal is found under in `format`'s output.
fn key(format: Format, j: &Journal, part: Part) -> String {
    let (b, id) = (j.batch_id.as_str(), j.id.as_str());
    match format {
        Format::NetSuite | Format::OracleFbdi | Format::Xero | Format::Intacct => {
            external_id("CONCUR", b, id, part)
        }
        Format::Sap | Format::SapIdoc => short_id("CC", b, id, part, 16),
        Format::D365 => short_id("CC", b, id, part, 20),
        Format::Qbo => short_id("CC", b, id, part, 21),
        Format::Iif => short_id("C", b, id, part, 11),
        _ => id.to_owned(),
    }
}

/// `j` as a format with two decimals writes it: re-rounded when its currency has more.
fn at_precision(format: Format, j: &Journal) -> Journal {
    let mut j = j.clone();
    let two = matches!(
        format,
        Format::NetSuite | Format::Qbo | Format::Iif | Format::Xero | Format::Intacct
    );
    if two && j.minor_units > 2 {
        ledgerline_erp::check::reround(&mut j, 2);
    }
    j
}

fn totals(lines: &[(Decimal, Decimal)]) -> (Decimal, Decimal) {
    lines
        .iter()
        .fold((Decimal::ZERO, Decimal::ZERO), |(d, c), (x, y)| {
            (d + x, c + y)
        })
}

fn erp_formats() -> Vec<Format> {
    ledgerline_erp::FORMATS
        .iter()
        .map(|f| f.format)
        .filter(|f| common::is_erp(*f))
        .collect()
}

#[test]
fn every_format_reads_back_journal_for_journal() {
    let extract = common::generated(60, 11);
    let rules = Arc::new(common::erp_rules(Rules::default()));
    let journals = common::journals(&extract, &rules);
    assert!(journals.len() > 60);
    let usd = common::only_currency(&extract, "USD");
    let usd_journals = common::journals(&usd, &rules);
    assert!(usd_journals.len() > 10 && usd_journals.len() < journals.len());
    for format in erp_formats() {
        // IIF and Xero carry no currency: they take the base currency (USD here) only.
        let (extract, journals) = if common::base_currency_only(format) {
            (&usd, &usd_journals)
        } else {
            (&extract, &journals)
        };
        let bytes = common::convert(extract, format, &rules);
        let entries: BTreeMap<String, Vec<(Decimal, Decimal)>> =
            read_back(format, &bytes).into_iter().collect();
        assert_eq!(entries.len(), journals.len(), "{format:?}: entries");
        for j in journals.iter() {
            let j = &at_precision(format, j);
            let k = key(format, j, Part::WHOLE);
            let lines = entries
                .get(&k)
                .unwrap_or_else(|| panic!("{format:?}: no entry {k} for journal {}", j.id));
            let (d, c) = totals(lines);
            assert_eq!(d, c, "{format:?} {k}: does not balance");
            assert_eq!(d, j.total_debit(), "{format:?} {k}: debit total");
            assert_eq!(c, j.total_credit(), "{format:?} {k}: credit total");
            assert_eq!(lines.len(), j.lines.len(), "{format:?} {k}: line count");
            for (x, y) in lines {
                assert!(x.is_zero() || y.is_zero(), "{format:?} {k}: both sides");
                assert!(!x.is_sign_negative() && !y.is_sign_negative());
            }
        }
    }
}

#[test]
fn journals_longer_than_the_limit_come_back_as_balanced_parts() {
    let extract = common::generated(40, 3);
    let base = Rules::parse("[journal]\ngroup = \"batch\"\n").unwrap();
    let rules = common::with_formats(
        common::erp_rules(base),
        r#"
[netsuite]
max_lines = 7
[sap]
max_lines = 5
[sap-idoc]
max_lines = 5
[oracle-fbdi]
ledger_id = 1
max_lines = 9
[d365]
max_lines = 6
batch_lines = 50
[qbo]
max_lines = 4
[iif]
max_lines = 3
base_currency = "USD"
[xero]
max_lines = 11
base_currency = "USD"
[intacct]
max_lines = 8
"#,
    );
    let rules = Arc::new(rules);
    let all_journals = common::journals(&extract, &rules);
    assert!(all_journals.iter().any(|j| j.lines.len() > 50));
    let usd = common::only_currency(&extract, "USD");
    let usd_journals = common::journals(&usd, &rules);
    assert!(usd_journals.iter().any(|j| j.lines.len() > 11));
    let all = extract;
    for (format, max) in [
        (Format::NetSuite, 7),
        (Format::Sap, 5),
        (Format::SapIdoc, 5),
        (Format::OracleFbdi, 9),
        (Format::D365, 6),
        (Format::Qbo, 4),
        (Format::Iif, 3),
        (Format::Xero, 11),
        (Format::Intacct, 8),
    ] {
        let (extract, journals) = if common::base_currency_only(format) {
            (&usd, &usd_journals)
        } else {
            (&all, &all_journals)
        };
        let (bytes, warnings) = common::convert_warn(extract, format, &rules);
        assert!(
            warnings.iter().any(|w| w.contains("balanced parts")),
            "{format:?}: the split is reported"
        );
        let entries: BTreeMap<String, Vec<(Decimal, Decimal)>> =
            read_back(format, &bytes).into_iter().collect();
        let mut found = 0;
        for j in journals {
            let j = &at_precision(format, j);
            let mut parts = Vec::new();
            if j.lines.len() <= max {
                parts.push(Part::WHOLE);
            } else {
                // The number of parts is in the short ids' hash: find it by trying.
                let has = |n, of| entries.contains_key(&key(format, j, Part { n, of }));
                let of = (2..=j.lines.len() as u32)
                    .find(|&of| (1..=of).all(|n| has(n, of)) && !has(of + 1, of))
                    .unwrap_or_else(|| panic!("{format:?}: no parts for {}", j.id));
                parts.extend((1..=of).map(|n| Part { n, of }));
            }
            let (mut d, mut c) = (Decimal::ZERO, Decimal::ZERO);
            for p in parts {
                let k = key(format, j, p);
                let lines = entries
                    .get(&k)
                    .unwrap_or_else(|| panic!("{format:?}: no {k}"));
                found += 1;
                assert!(lines.len() <= max, "{format:?} {k}: {} lines", lines.len());
                assert!(lines.len() >= 2, "{format:?} {k}");
                let (pd, pc) = totals(lines);
                assert_eq!(pd, pc, "{format:?} {k}: part does not balance");
                d += pd;
                c += pc;
            }
            assert_eq!(d, j.total_debit(), "{format:?} {}: parts' total", j.id);
            assert_eq!(c, j.total_credit(), "{format:?} {}", j.id);
        }
        assert_eq!(
            found,
            entries.len(),
            "{format:?}: every entry belongs to a journal"
        );
    }
}

#[test]
fn a_three_decimal_currency_is_rerounded_with_a_warning() {
    // The generated extract has BHD employees (3 decimals); NetSuite takes 2.
    let extract = common::generated(60, 11);
    let rules = Arc::new(common::erp_rules(Rules::default()));
    let journals = common::journals(&extract, &rules);
    let bhd: Vec<&Journal> = journals.iter().filter(|j| j.minor_units == 3).collect();
    assert!(!bhd.is_empty(), "the extract has a BHD journal");
    let (_, warnings) = common::convert_warn(&extract, Format::NetSuite, &rules);
    for j in bhd {
        let want = format!(
            "netsuite: journal {}: BHD amounts have 3 decimals and this format takes 2",
            j.id
        );
        assert!(
            warnings.iter().any(|w| w.starts_with(&want)),
            "{want} in {warnings:?}"
        );
    }
}

#[test]
fn xero_packs_whole_journals_into_files_of_at_most_300_lines() {
    let extract = common::only_currency(&common::generated(300, 8), "USD");
    let rules = Arc::new(common::erp_rules(Rules::default()));
    let journals = common::journals(&extract, &rules);
    let total: usize = journals.iter().map(|j| j.lines.len()).sum();
    assert!(total > 600, "enough lines for several files ({total})");
    let files = common::unzip(&common::convert(&extract, Format::Xero, &rules));
    assert!(files.len() >= total.div_ceil(300));
    let mut seen = BTreeMap::new();
    for (i, (name, data)) in files.iter().enumerate() {
        assert_eq!(*name, ledgerline_erp::xero::file_name(i as u32 + 1));
        let (_, rows) = csv_rows(data, true);
        assert!(!rows.is_empty() && rows.len() <= 300);
        for r in rows {
            let prev = seen.insert(r[0].clone(), i);
            assert!(
                prev.is_none() || prev == Some(i),
                "journal {} spans files",
                r[0]
            );
        }
    }
}

#[test]
fn settings_errors_name_the_key() {
    let cases: &[(Format, &str, &str)] = &[
        (
            Format::NetSuite,
            "[netsuite]\nmax_lines = 20000",
            "formats.netsuite.max_lines",
        ),
        (
            Format::NetSuite,
            "[netsuite]\ndate_format = \"MM/YYYY\"",
            "formats.netsuite.date_format",
        ),
        (
            Format::NetSuite,
            "[netsuite]\nsubsidary = \"X\"",
            "formats.netsuite.subsidary",
        ),
        (
            Format::Sap,
            "[sap]\ncompany_code = \"TOOLONG\"",
            "formats.sap.company_code",
        ),
        (
            Format::Sap,
            "[sap]\nfields = { XYZ = \"a\" }",
            "formats.sap.fields.XYZ",
        ),
        (
            Format::Sap,
            "[sap]\ndecimal_separator = \",\"",
            "formats.sap.decimal_separator",
        ),
        (
            Format::OracleFbdi,
            "[oracle-fbdi]\nsource = \"x\"",
            "formats.oracle-fbdi.ledger_id",
        ),
        (
            Format::OracleFbdi,
            "[oracle-fbdi]\nledger_id = 1\nsegments = [\"{account\"]",
            "formats.oracle-fbdi.segments",
        ),
        (
            Format::Xero,
            "[xero]\nmax_lines = 301",
            "formats.xero.max_lines",
        ),
        (
            Format::Xero,
            "[xero]\ntracking = { A = \"a\", B = \"b\", C = \"c\" }",
            "formats.xero.tracking",
        ),
        (
            Format::Iif,
            "[iif]\nid_prefix = \"ABCD\"",
            "formats.iif.id_prefix",
        ),
        (Format::Qbo, "[qbo]\nmax_lines = 1", "formats.qbo.max_lines"),
        (
            Format::Iif,
            "[iif]\nencoding = \"latin9\"",
            "formats.iif.encoding",
        ),
        (
            Format::Intacct,
            "[intacct]\njournal = \"TOOLONG\"",
            "formats.intacct.journal",
        ),
        (
            Format::D365,
            "[d365]\nmax_lines = 500\nbatch_lines = 100",
            "formats.d365.batch_lines",
        ),
        (
            Format::Parquet,
            "[parquet]\ncompression = \"lzo\"",
            "formats.parquet.compression",
        ),
    ];
    for (format, toml_text, key) in cases {
        let rules = common::with_formats(Rules::default(), toml_text);
        let err = match ledgerline_erp::create(*format, Vec::new(), &rules) {
            Ok(_) => panic!("{toml_text}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.starts_with(key), "{toml_text}: {err}");
    }
}

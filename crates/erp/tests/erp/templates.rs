//! The vendors' real templates as tests: every golden file of a format is checked against the
//! column order or field list of the template that format's importer uses.
//!
//! Where a template is kept as a file (Oracle's GL_INTERFACE columns, SAP's ACC_DOCUMENT
//! segment field orders), it is read from `../shared/reference/erp-templates` beside the
//! workspace; without that folder (a fresh clone) those tests print a notice and pass. The
//! layout of SAP's F2548 upload template is not kept as a file, so it is written down here.

use crate::common;
use ledgerline_erp::{Format, oracle, sap};
use ledgerline_journal::Rules;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The templates folder, or `None` (with a notice) when it is not there.
fn templates(test: &str) -> Option<PathBuf> {
    let dir = common::root().join("../shared/reference/erp-templates");
    if dir.is_dir() {
        Some(dir)
    } else {
        // Past the test harness's capture, so a passing run shows it too.
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: {} not found; {test} is skipped (it needs the vendors' templates)",
            dir.display()
        );
        None
    }
}

/// The golden files ending in `suffix`: (name, contents).
fn goldens(suffix: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(common::root().join("fixtures/golden"))
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            name.ends_with(suffix).then_some(())?;
            let text = std::fs::read_to_string(e.path()).ok()?;
            // A case the format refuses (a currency it cannot carry) has no file to check.
            (!text.starts_with("refused:")).then_some((name, text))
        })
        .collect();
    v.sort();
    assert!(v.len() >= 20, "too few {suffix} goldens: {}", v.len());
    v
}

/// Rows of a tab-separated template file, without its header row.
fn tsv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .skip_while(|l| l.starts_with("pos\t"))
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(|c| c.trim().to_owned()).collect())
        .collect()
}

/// A generated Axis name (`ItemnoAcc`, `RefKey1`, `SOrdItem`) as SAP's field name
/// (`ITEMNO_ACC`, `REF_KEY_1`, `S_ORD_ITEM`).
fn sap_name(camel: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in camel.chars() {
        let boundary = match prev {
            None => false,
            Some(p) => {
                (c.is_ascii_uppercase() && (p.is_ascii_lowercase() || p.is_ascii_uppercase()))
                    || (c.is_ascii_digit() && !p.is_ascii_digit())
            }
        };
        if boundary {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
        prev = Some(c);
    }
    out
}

#[test]
fn axis_names_become_sap_field_names() {
    assert_eq!(sap_name("ItemnoAcc"), "ITEMNO_ACC");
    assert_eq!(sap_name("RefKey1"), "REF_KEY_1");
    assert_eq!(sap_name("SOrdItem"), "S_ORD_ITEM");
    assert_eq!(sap_name("FuncAreaLong"), "FUNC_AREA_LONG");
    assert_eq!(sap_name("Costcenter"), "COSTCENTER");
}

/// The field order of an IDoc segment, from its template file: field -> position.
fn segment_fields(dir: &Path, segment: &str) -> HashMap<String, usize> {
    tsv(&dir.join(format!("sap-idoc-{segment}-field-order.tsv")))
        .iter()
        .map(|r| (sap_name(&r[1]), r[0].parse::<usize>().unwrap()))
        .collect()
}

/// Fields of E1BPACGL09 that take SAP's internal ALPHA format, with their lengths (SAP
/// dictionary: HKONT, KOSTL, PRCTR, AUFNR).
const ALPHA: &[(&str, usize)] = &[
    ("GL_ACCOUNT", 10),
    ("COSTCENTER", 10),
    ("PROFIT_CTR", 10),
    ("ORDERID", 12),
];

/// Lengths of the E1BPACGL09 fields the writer can fill (SAP dictionary, BAPIACGL09).
const GL_LENGTHS: &[(&str, usize)] = &[
    ("GL_ACCOUNT", 10),
    ("ITEM_TEXT", 50),
    ("FUNC_AREA", 4),
    ("ALLOC_NMBR", 18),
    ("COSTCENTER", 10),
    ("PROFIT_CTR", 10),
    ("WBS_ELEMENT", 24),
    ("ORDERID", 12),
    ("FUNC_AREA_LONG", 16),
    ("SEGMENT", 10),
];

/// What is wrong with one IDoc file against the segment field orders.
fn idoc_problems(
    name: &str,
    xml: &str,
    orders: &HashMap<&str, HashMap<String, usize>>,
) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let mut problems = Vec::new();
    for seg in doc.descendants().filter(|n| n.is_element()) {
        let seg_name = seg.tag_name().name();
        let Some(order) = orders.get(seg_name) else {
            continue;
        };
        let mut last = 0;
        for f in seg.children().filter(|n| n.is_element()) {
            let field = f.tag_name().name();
            let value = f.text().unwrap_or("");
            match order.get(field) {
                None => problems.push(format!("{name}: {seg_name} has no field {field}")),
                Some(&p) if p <= last => problems.push(format!(
                    "{name}: {seg_name}-{field} (position {p}) comes after position {last}"
                )),
                Some(&p) => last = p,
            }
            if value != value.trim() {
                problems.push(format!(
                    "{name}: {seg_name}-{field} \"{value}\" has blanks around it"
                ));
            }
            if seg_name == "E1BPACGL09" {
                if let Some((_, len)) = ALPHA.iter().find(|(a, _)| *a == field)
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && value.len() != *len
                {
                    problems.push(format!(
                        "{name}: {field} \"{value}\" is not in SAP's internal format (zero-padded to {len})"
                    ));
                }
                if let Some((_, len)) = GL_LENGTHS.iter().find(|(a, _)| *a == field)
                    && value.chars().count() > *len
                {
                    problems.push(format!("{name}: {field} \"{value}\" is longer than {len}"));
                }
            }
        }
    }
    problems
}

#[test]
fn sap_idoc_goldens_follow_the_segment_field_orders() {
    let Some(dir) = templates("sap_idoc_goldens_follow_the_segment_field_orders") else {
        return;
    };
    let orders: HashMap<&str, HashMap<String, usize>> = ["E1BPACHE09", "E1BPACGL09", "E1BPACCR09"]
        .into_iter()
        .map(|s| (s, segment_fields(&dir, s)))
        .collect();
    let gl = &orders["E1BPACGL09"];
    // The writer's own list of settable fields: in the segment's order, with SAP's lengths.
    let mut last = gl["ITEM_TEXT"];
    for (f, len) in sap::IDOC_GL_FIELDS {
        let p = *gl
            .get(*f)
            .unwrap_or_else(|| panic!("{f} is not in E1BPACGL09"));
        assert!(
            p > last,
            "IDOC_GL_FIELDS: {f} (position {p}) is out of segment order"
        );
        last = p;
        let want = GL_LENGTHS.iter().find(|(g, _)| g == f).map(|(_, l)| *l);
        assert_eq!(Some(*len), want, "IDOC_GL_FIELDS: length of {f}");
    }
    let mut problems = Vec::new();
    for (name, xml) in goldens(".sap-idoc.xml") {
        problems.extend(idoc_problems(&name, &xml, &orders));
    }
    // Every settable field filled, all-digit where SAP pads: order, lengths, ALPHA format.
    let fields: String = sap::IDOC_GL_FIELDS
        .iter()
        .map(|(f, len)| format!("{f} = \"={}\"\n", "7".repeat((*len).min(4))))
        .collect();
    let rules = Arc::new(common::with_formats(
        common::erp_rules(Rules::default()),
        &format!("[sap-idoc.fields]\n{fields}"),
    ));
    let out = common::convert(&common::generated(3, 7), Format::SapIdoc, &rules);
    problems.extend(idoc_problems(
        "every field set",
        std::str::from_utf8(&out).unwrap(),
        &orders,
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The header of SAP's F2548 template, in order (technical names).
const F2548_HEADER: &[&str] = &[
    "BUKRS",
    "BLART",
    "BLDAT",
    "BUDAT",
    "MONAT",
    "BKTXT",
    "WAERS",
    "LDGRP",
    "KURSF_EXT",
    "WWERT",
    "XBLNR",
    "PARGB_HDR",
    "XMWST",
];

/// The line fields of the template, in order; a file may leave some out.
const F2548_LINE: &[&str] = &[
    "BUKRS",
    "HKONT",
    "SGTXT",
    "WRSOL",
    "WRHAB",
    "DMBTR",
    "DMBE2",
    "MWSKZ",
    "TXJCD",
    "KOSTL",
    "PRCTR",
    "AUFNR",
    "PS_POSID",
    "VALUT",
    "HBKID",
    "HKTID",
    "ZUONR",
    "VBUND",
    "SEGMENT",
    "PROF_KNDNR",
    "PROF_ARTNR",
    "RMVCT",
];

/// What is wrong with one upload file against the template's layout.
fn upload_problems(name: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    fn cell(r: &[String], i: usize) -> &str {
        r.get(i).map(String::as_str).unwrap_or("")
    }
    // Preamble: a title, two comment rows, the Batch ID row, then the first Header.
    let first_header = rows.iter().position(|r| cell(r, 1) == "Header");
    match first_header {
        Some(i) => {
            let pre = &rows[..i];
            if pre.len() < 4
                || cell(&pre[0], 0).is_empty()
                || pre.iter().filter(|r| cell(r, 0).starts_with("//")).count() != 2
                || cell(&pre[pre.len() - 1], 0) != "Batch ID"
            {
                problems.push(format!(
                    "{name}: no preamble (title, two // rows, Batch ID) before the first Header"
                ));
            }
        }
        None => problems.push(format!("{name}: no Header marker in column B")),
    }
    let mut i = first_header.unwrap_or(rows.len());
    let mut docs = 0;
    while i < rows.len() {
        let r = &rows[i];
        if cell(r, 1) != "Header" {
            problems.push(format!(
                "{name} row {}: expected a Header marker in column B",
                i + 1
            ));
            break;
        }
        docs += 1;
        if cell(r, 0) != docs.to_string() {
            problems.push(format!(
                "{name} row {}: document number {docs} not in column A",
                i + 1
            ));
        }
        let tech = rows.get(i + 1).cloned().unwrap_or_default();
        if !cell(&tech, 0).is_empty() || tech[1.min(tech.len())..] != *F2548_HEADER {
            problems.push(format!(
                "{name} row {}: header technical names {:?}, the template has ,{}",
                i + 2,
                tech,
                F2548_HEADER.join(",")
            ));
        }
        // Description row, data row, then (blank rows and) the Line Items marker.
        let data = rows.get(i + 3).cloned().unwrap_or_default();
        if !cell(&data, 0).is_empty() {
            problems.push(format!(
                "{name} row {}: header data row has column A filled",
                i + 4
            ));
        }
        let mut k = i + 4;
        while k < rows.len() && rows[k].iter().all(String::is_empty) {
            k += 1;
        }
        if rows.get(k).map(|r| (cell(r, 0), cell(r, 1))) != Some(("", "Line Items")) {
            problems.push(format!("{name} row {}: expected ,Line Items", k + 1));
            break;
        }
        let tech = rows.get(k + 2).cloned().unwrap_or_default();
        let mut last = None;
        for f in tech.iter().skip(1) {
            let p = F2548_LINE.iter().position(|t| t == f);
            if p.is_none() || p <= last {
                problems.push(format!(
                    "{name} row {}: line field {f} out of template order",
                    k + 3
                ));
            }
            last = p;
        }
        if !cell(&tech, 0).is_empty() {
            problems.push(format!(
                "{name} row {}: line technical names start in column A",
                k + 3
            ));
        }
        k += 4;
        while k < rows.len() && cell(&rows[k], 1) != "Header" {
            if !cell(&rows[k], 0).is_empty() {
                problems.push(format!(
                    "{name} row {}: item row has column A filled",
                    k + 1
                ));
            }
            k += 1;
        }
        i = k;
    }
    if docs == 0 {
        problems.push(format!("{name}: no document"));
    }
    problems
}

#[test]
fn sap_upload_goldens_have_the_f2548_template_layout() {
    // The writer's header is the template's, in order.
    let header: Vec<&str> = sap::HEADER_FIELDS.iter().map(|(f, _)| *f).collect();
    assert_eq!(header, F2548_HEADER);
    let mut problems = Vec::new();
    for (name, text) in goldens(".sap.csv") {
        problems.extend(upload_problems(&name, &text));
    }
    // Every optional line field filled, semicolon dialect.
    let fields: String = sap::OPTIONAL_LINE_FIELDS
        .iter()
        .map(|(f, _)| format!("{f} = \"=X\"\n"))
        .collect();
    let rules = Arc::new(common::with_formats(
        common::erp_rules(Rules::default()),
        &format!("[sap]\ndelimiter = \",\"\n[sap.fields]\n{fields}"),
    ));
    let out = common::convert(&common::generated(3, 7), Format::Sap, &rules);
    problems.extend(upload_problems(
        "every field set",
        std::str::from_utf8(&out).unwrap(),
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A column of the GL_INTERFACE template: label (2025 template), DB column and type (2017
/// template's notes).
#[derive(Debug, Clone, Default)]
struct Column {
    label: String,
    db: String,
    not_null: bool,
    /// `VARCHAR2(n)`: most characters; `NUMBER(n)`: most digits.
    max: Option<usize>,
    date: bool,
    number: bool,
}

fn oracle_columns(dir: &Path) -> Vec<Column> {
    let current = tsv(&dir.join("oracle-fbdi-gl-interface-2025-columns.tsv"));
    let notes = tsv(&dir.join("oracle-fbdi-gl-interface-2017-columns-and-notes.tsv"));
    let mut cols: Vec<Column> = current
        .iter()
        .enumerate()
        .map(|(i, r)| {
            assert_eq!(r[0], (i + 1).to_string(), "2025 template positions");
            Column {
                label: r[1].clone(),
                ..Default::default()
            }
        })
        .collect();
    for r in &notes {
        let p: usize = r[0].parse().unwrap();
        let Some(bubble) = r.get(2) else { continue };
        let words: Vec<&str> = bubble.split_whitespace().collect();
        let Some(db) = words.first() else { continue };
        if !db
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let c = &mut cols[p - 1];
        c.db = (*db).to_owned();
        c.not_null = bubble.contains("NOT NULL");
        let ty = words
            .iter()
            .find(|w| w.starts_with("VARCHAR2") || w.starts_with("NUMBER") || **w == "DATE");
        if let Some(ty) = ty {
            c.date = *ty == "DATE";
            c.number = ty.starts_with("NUMBER");
            c.max = ty
                .split(['(', ')'])
                .nth(1)
                .and_then(|n| n.parse::<usize>().ok());
        }
    }
    cols
}

/// What is wrong with one GlInterface.csv against the template's columns.
fn fbdi_problems(name: &str, text: &str, cols: &[Column]) -> Vec<String> {
    let body = text
        .strip_prefix(&format!("== {} ==\n", oracle::ENTRY))
        .unwrap_or(text);
    let mut problems = Vec::new();
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .into_records();
    for (n, r) in rows.enumerate() {
        let r = r.unwrap();
        let at = format!("{name} row {}", n + 1);
        if r.len() != cols.len() {
            problems.push(format!(
                "{at}: {} columns, the template has {}",
                r.len(),
                cols.len()
            ));
            continue;
        }
        for (i, (v, c)) in r.iter().zip(cols).enumerate() {
            let p = i + 1;
            if c.label.starts_with("END") {
                if v != "END" {
                    problems.push(format!("{at}: column {p} is \"{v}\", not END"));
                }
                continue;
            }
            if c.not_null && v.is_empty() && c.db != "LEDGER_ID" {
                problems.push(format!("{at}: {} (column {p}) is required", c.db));
            }
            if v.is_empty() {
                continue;
            }
            if c.date && !is_ymd(v) {
                problems.push(format!("{at}: {} \"{v}\" is not YYYY/MM/DD", c.db));
            }
            if c.number && v.parse::<f64>().is_err() {
                problems.push(format!("{at}: {} \"{v}\" is not a number", c.db));
            }
            if let Some(max) = c.max
                && v.chars()
                    .filter(|ch| !c.number || ch.is_ascii_digit())
                    .count()
                    > max
            {
                problems.push(format!(
                    "{at}: {} (column {p}) \"{v}\" is longer than its {max}",
                    c.db
                ));
            }
        }
    }
    problems
}

fn is_ymd(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'/'
        && b[7] == b'/'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[test]
fn oracle_fbdi_goldens_fit_the_gl_interface_template() {
    let Some(dir) = templates("oracle_fbdi_goldens_fit_the_gl_interface_template") else {
        return;
    };
    let cols = oracle_columns(&dir);
    // The current template: 149 columns and END, the writer's default width.
    assert_eq!(cols.len(), 150);
    assert!(cols[149].label.starts_with("END"));
    // The positions the writer fills are the template's columns of those names.
    use oracle::pos;
    for (p, db) in [
        (pos::STATUS, "STATUS"),
        (pos::LEDGER_ID, "LEDGER_ID"),
        (pos::ACCOUNTING_DATE, "ACCOUNTING_DATE"),
        (pos::SOURCE, "USER_JE_SOURCE_NAME"),
        (pos::CATEGORY, "USER_JE_CATEGORY_NAME"),
        (pos::CURRENCY, "CURRENCY_CODE"),
        (pos::DATE_CREATED, "DATE_CREATED"),
        (pos::ACTUAL_FLAG, "ACTUAL_FLAG"),
        (pos::SEGMENT1, "SEGMENT1"),
        (pos::ENTERED_DR, "ENTERED_DR"),
        (pos::ENTERED_CR, "ENTERED_CR"),
        (pos::REFERENCE1, "REFERENCE1"),
        (pos::REFERENCE2, "REFERENCE2"),
        (pos::REFERENCE4, "REFERENCE4"),
        (pos::REFERENCE5, "REFERENCE5"),
        (pos::REFERENCE6, "REFERENCE6"),
        (pos::REFERENCE10, "REFERENCE10"),
        (pos::CONVERSION_TYPE, "USER_CURRENCY_CONVERSION_TYPE"),
        (pos::CONVERSION_DATE, "CURRENCY_CONVERSION_DATE"),
        (pos::GROUP_ID, "GROUP_ID"),
        (pos::LEDGER_NAME, "LEDGER_NAME"),
    ] {
        assert_eq!(cols[p - 1].db, db, "column {p} ({})", cols[p - 1].label);
    }
    let mut problems = Vec::new();
    for (name, text) in goldens(".oracle-fbdi.zip.txt") {
        problems.extend(fbdi_problems(&name, &text, &cols));
    }
    // Every text setting at a length a user might give: the file still fits the template,
    // or the writer refuses the setting.
    let long = "L".repeat(40);
    for (key, value) in [
        ("ledger_name", long.as_str()),
        ("conversion_type", long.as_str()),
        ("source", long.as_str()),
        ("category", long.as_str()),
    ] {
        let rules = Rules::default();
        let rules = Arc::new(common::with_formats(
            common::erp_rules(rules),
            &format!(
                "[oracle-fbdi]\nledger_id = 1\nledger_currency = \"EUR\"\n{key} = \"{value}\"\n"
            ),
        ));
        let mut out = Vec::new();
        if ledgerline_erp::create(Format::OracleFbdi, &mut out, &rules).is_err() {
            continue;
        }
        drop(out);
        let bytes = common::convert(&common::generated(2, 3), Format::OracleFbdi, &rules);
        let text = String::from_utf8(common::readable(Format::OracleFbdi, &bytes)).unwrap();
        problems.extend(fbdi_problems(
            &format!("{key} = 40 characters"),
            &text,
            &cols,
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

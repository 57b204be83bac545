//! The Rust column enums are generated from `schemas/sae.tsv` and `schemas/prae.tsv`.
//! This test renders them again and fails when the checked-in file disagrees; run it with
//! `LEDGERLINE_BLESS=1` to rewrite `src/schema/generated.rs` after editing a schema.

use crate::common::repo_root as root;
use std::fmt::Write as _;
use std::path::PathBuf;

struct Row {
    record: String,
    number: u16,
    name: String,
    ident: String,
    section: String,
    max_len: Option<u32>,
    ty: String,
    required: bool,
}

fn load(file: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("schemas").join(file)).expect("schema file");
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "record\tnumber\tname\tident\tsection\tmax_len\ttype\trequired"
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 8, "{file}: {l}");
            Row {
                record: f[0].into(),
                number: f[1].parse().unwrap(),
                name: f[2].into(),
                ident: f[3].into(),
                section: f[4].into(),
                max_len: if f[5].is_empty() {
                    None
                } else {
                    Some(f[5].parse().unwrap())
                },
                ty: f[6].into(),
                required: f[7] == "Y",
            }
        })
        .collect()
}

fn ty_variant(t: &str) -> &'static str {
    match t {
        "constant" => "Constant",
        "integer" => "Integer",
        "money" => "Money",
        "date" => "Date",
        "flag" => "Flag",
        "currency" => "Currency",
        "country2" => "Country",
        "dr_cr" => "DebitCredit",
        "custom" => "Custom",
        "text" => "Text",
        "reserved" => "Reserved",
        other => panic!("unknown column type {other}"),
    }
}

fn render_family(
    out: &mut String,
    rows: &[Row],
    record: &str,
    enum_name: &str,
    table: &str,
    what: &str,
) {
    let rows: Vec<&Row> = rows.iter().filter(|r| r.record == record).collect();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            r.number as usize,
            i + 1,
            "{enum_name}: columns must be numbered 1..n"
        );
    }
    writeln!(
        out,
        "/// Columns of the {what}, numbered as in the specification."
    )
    .unwrap();
    writeln!(
        out,
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]"
    )
    .unwrap();
    writeln!(out, "#[repr(u16)]").unwrap();
    writeln!(out, "pub enum {enum_name} {{").unwrap();
    for r in &rows {
        writeln!(out, "    /// {} ({}): {}.", r.number, r.ty, r.name).unwrap();
        writeln!(out, "    {} = {},", r.ident, r.number).unwrap();
    }
    writeln!(out, "}}\n").unwrap();
    writeln!(
        out,
        "/// Definitions of every [`{enum_name}`], index = column number - 1."
    )
    .unwrap();
    writeln!(out, "pub static {table}: [ColumnDef; {}] = [", rows.len()).unwrap();
    for r in &rows {
        writeln!(
            out,
            "    ColumnDef {{ number: {}, name: {:?}, ident: {:?}, section: {:?}, max_len: {}, ty: ColumnType::{}, required: {} }},",
            r.number,
            r.name,
            r.ident,
            r.section,
            match r.max_len {
                Some(n) => format!("Some({n})"),
                None => "None".into(),
            },
            ty_variant(&r.ty),
            r.required
        )
        .unwrap();
    }
    writeln!(out, "];\n").unwrap();
    writeln!(out, "impl {enum_name} {{").unwrap();
    writeln!(out, "    /// Every column, in file order.").unwrap();
    writeln!(out, "    pub const ALL: [{enum_name}; {}] = [", rows.len()).unwrap();
    for r in &rows {
        writeln!(out, "        {enum_name}::{},", r.ident).unwrap();
    }
    writeln!(out, "    ];").unwrap();
    writeln!(out, "    /// The column's definition.").unwrap();
    writeln!(
        out,
        "    pub fn def(self) -> &'static ColumnDef {{ &{table}[self as usize - 1] }}"
    )
    .unwrap();
    writeln!(out, "    /// 1-based column number.").unwrap();
    writeln!(
        out,
        "    pub const fn number(self) -> u16 {{ self as u16 }}"
    )
    .unwrap();
    writeln!(out, "    /// 0-based field index.").unwrap();
    writeln!(
        out,
        "    pub const fn index(self) -> usize {{ self as usize - 1 }}"
    )
    .unwrap();
    writeln!(out, "    /// The column's display name.").unwrap();
    writeln!(
        out,
        "    pub fn name(self) -> &'static str {{ self.def().name }}"
    )
    .unwrap();
    writeln!(out, "    /// The column with 1-based `number`.").unwrap();
    writeln!(
        out,
        "    pub fn from_number(number: u16) -> Option<Self> {{"
    )
    .unwrap();
    writeln!(
        out,
        "        Self::ALL.get((number as usize).checked_sub(1)?).copied()"
    )
    .unwrap();
    writeln!(out, "    }}").unwrap();
    writeln!(out, "}}\n").unwrap();
}

fn render() -> String {
    let sae = load("sae.tsv");
    let prae = load("prae.tsv");
    let mut out = String::new();
    out.push_str(
        "// @generated by crates/extract/tests/extract/schema_codegen.rs from schemas/sae.tsv and\n",
    );
    out.push_str("// schemas/prae.tsv. Do not edit: change the schema, then run\n");
    out.push_str(
        "// `LEDGERLINE_BLESS=1 cargo test -p ledgerline-extract --test extract schema_codegen`.\n\n",
    );
    out.push_str("use super::{ColumnDef, ColumnType};\n\n");
    render_family(
        &mut out,
        &sae,
        "EXTRACT",
        "SaeHeaderCol",
        "SAE_HEADER",
        "SAE file header (`EXTRACT` line)",
    );
    render_family(
        &mut out,
        &sae,
        "DETAIL",
        "SaeCol",
        "SAE_DETAIL",
        "SAE detail (`DETAIL`) row",
    );
    render_family(
        &mut out,
        &prae,
        "EXTRACT",
        "PraeHeaderCol",
        "PRAE_HEADER",
        "PRAE file header (`EXTRACT` line)",
    );
    render_family(
        &mut out,
        &prae,
        "DETAIL",
        "PraeCol",
        "PRAE_DETAIL",
        "PRAE detail (`DETAIL`) row",
    );
    out
}

#[test]
fn generated_columns_match_schema_files() {
    let want = render();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/schema/generated.rs");
    if std::env::var_os("LEDGERLINE_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "src/schema/generated.rs is out of date with schemas/*.tsv; rerun with LEDGERLINE_BLESS=1"
    );
}

#[test]
fn schema_files_have_the_documented_shape() {
    let sae = load("sae.tsv");
    assert_eq!(sae.iter().filter(|r| r.record == "DETAIL").count(), 400);
    assert_eq!(sae.iter().filter(|r| r.record == "EXTRACT").count(), 5);
    let prae = load("prae.tsv");
    assert_eq!(prae.iter().filter(|r| r.record == "DETAIL").count(), 256);
    let by = |n: u16| {
        sae.iter()
            .find(|r| r.record == "DETAIL" && r.number == n)
            .unwrap()
    };
    assert_eq!(by(169).ty, "money");
    assert_eq!(by(168).ty, "dr_cr");
    assert_eq!(by(22).ty, "currency");
    assert_eq!(by(20).ident, "ReportKey");
    assert_eq!(by(20).ty, "text", "column 20 is an opaque string");
}

//! Settings that follow the vendors' templates: SAP's ALPHA padding, Dynamics' dimension
//! segments, QuickBooks account names, Xero's tax rate, Oracle's ledger name.

use crate::common;
use ledgerline_erp::{Format, create};
use ledgerline_journal::Rules;
use std::sync::Arc;

fn rules(toml: &str) -> Arc<Rules> {
    Arc::new(common::with_formats(
        common::erp_rules(Rules::default()),
        toml,
    ))
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn sap_idoc_pads_numeric_accounts_unless_told_not_to() {
    let extract = common::generated(2, 1);
    let padded = text(&common::convert(&extract, Format::SapIdoc, &rules("")));
    assert!(
        padded.contains("<GL_ACCOUNT>0000002010</GL_ACCOUNT>"),
        "{padded}"
    );
    let plain = text(&common::convert(
        &extract,
        Format::SapIdoc,
        &rules("[sap-idoc]\nalpha_conversion = false\n"),
    ));
    assert!(plain.contains("<GL_ACCOUNT>2010</GL_ACCOUNT>"));
    // Alphanumeric values are never padded; the 12-character order is.
    let mixed = text(&common::convert(
        &extract,
        Format::SapIdoc,
        &rules("[sap-idoc.fields]\nCOSTCENTER = \"=CC-1\"\nORDERID = \"=4711\"\n"),
    ));
    assert!(mixed.contains("<COSTCENTER>CC-1</COSTCENTER>"));
    assert!(mixed.contains("<ORDERID>000000004711</ORDERID>"));
}

#[test]
fn d365_display_value_has_one_segment_per_dimension_of_the_format() {
    let extract = common::generated(2, 1);
    let accounts = |toml: &str| -> Vec<String> {
        let out = text(&common::convert(&extract, Format::D365, &rules(toml)));
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let h = r.headers().unwrap().clone();
        let i = h.iter().position(|c| c == "ACCOUNTDISPLAYVALUE").unwrap();
        r.records().map(|x| x.unwrap()[i].to_owned()).collect()
    };
    let bare = accounts("");
    assert!(bare.iter().all(|a| !a.contains('-')), "{bare:?}");
    let three = accounts("[d365]\ndimension_segments = 3\n");
    for (a, b) in three.iter().zip(&bare) {
        assert_eq!(*a, format!("{b}---"));
    }
    let one_of_two = accounts("[d365]\ndimensions = [\"=X\"]\ndimension_segments = 2\n");
    for (a, b) in one_of_two.iter().zip(&bare) {
        assert_eq!(*a, format!("{b}-X-"));
    }
    let e = create(
        Format::D365,
        Vec::new(),
        &rules("[d365]\ndimensions = [\"=X\", \"=Y\"]\ndimension_segments = 1\n"),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.starts_with("formats.d365.dimension_segments:"), "{e}");
}

#[test]
fn qbo_writes_account_names_when_asked_and_warns_while_unset() {
    let extract = common::generated(2, 1);
    let (_, warnings) = common::convert_warn(&extract, Format::Qbo, &rules(""));
    let about: Vec<_> = warnings
        .iter()
        .filter(|w| w.contains("account_column"))
        .collect();
    assert_eq!(about.len(), 1, "one warning per run: {warnings:?}");
    let (_, warnings) = common::convert_warn(
        &extract,
        Format::Qbo,
        &rules("[qbo]\naccount_column = \"account\"\n"),
    );
    assert!(warnings.iter().all(|w| !w.contains("account_column")));
    // Names: every account of the run must have one.
    let journals = common::journals(&extract, &rules(""));
    let mut accounts: Vec<String> = journals
        .iter()
        .flat_map(|j| j.lines.iter().map(|l| l.account.clone()))
        .collect();
    accounts.sort();
    accounts.dedup();
    let table: String = accounts
        .iter()
        .map(|a| format!("\"{a}\" = \"Expenses:Acct {a}\"\n"))
        .collect();
    let out = text(&common::convert(
        &extract,
        Format::Qbo,
        &rules(&format!(
            "[qbo]\naccount_column = \"name\"\n[qbo.account_names]\n{table}"
        )),
    ));
    assert!(
        out.contains(&format!(",Expenses:Acct {},", accounts[0])),
        "{out}"
    );
    let partial = format!(
        "[qbo]\naccount_column = \"name\"\n[qbo.account_names]\n\"{}\" = \"Only\"\n",
        accounts[0]
    );
    let mut sink_out = Vec::new();
    let r = rules(&partial);
    let mut sink = create(Format::Qbo, &mut sink_out, &r).unwrap();
    let result = ledgerline_journal::pipeline::convert_reader(
        "gen.txt",
        extract.as_slice(),
        &ledgerline_journal::pipeline::ConvertOptions::new(r.clone()),
        sink.as_mut(),
        &mut |_| {},
    );
    let Err(err) = result else {
        panic!("an account without a name stops the run");
    };
    let err = err.to_string();
    assert!(err.contains("formats.qbo.account_names"), "{err}");
    let e = create(
        Format::Qbo,
        Vec::new(),
        &rules("[qbo]\naccount_column = \"name\"\n"),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.starts_with("formats.qbo.account_names:"), "{e}");
}

#[test]
fn xero_warns_while_the_tax_rate_is_the_default() {
    let extract = common::only_currency(&common::generated(3, 1), "USD");
    let (_, warnings) = common::convert_warn(&extract, Format::Xero, &rules(""));
    let about: Vec<_> = warnings
        .iter()
        .filter(|w| w.contains("formats.xero.tax_rate"))
        .collect();
    assert_eq!(about.len(), 1, "{warnings:?}");
    let (out, warnings) = common::convert_warn(
        &extract,
        Format::Xero,
        &rules("[xero]\nbase_currency = \"USD\"\ntax_rate = \"No VAT\"\n"),
    );
    assert!(warnings.iter().all(|w| !w.contains("tax_rate")));
    let files = common::unzip(&out);
    assert!(text(&files[0].1).contains(",No VAT,"));
}

#[test]
fn oracle_refuses_a_ledger_name_longer_than_30() {
    let ok = "L".repeat(30);
    assert!(
        create(
            Format::OracleFbdi,
            Vec::new(),
            &rules(&format!("[oracle-fbdi]\nledger_name = \"{ok}\"\n"))
        )
        .is_ok()
    );
    let e = create(
        Format::OracleFbdi,
        Vec::new(),
        &rules(&format!("[oracle-fbdi]\nledger_name = \"{ok}X\"\n")),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.starts_with("formats.oracle-fbdi.ledger_name:"), "{e}");
}

#[test]
fn sap_upload_as_xlsx_has_the_csv_rows_with_typed_cells() {
    let extract = common::generated(2, 1);
    let csv_text = text(&common::convert(&extract, Format::Sap, &rules("")));
    let xlsx = common::convert(
        &extract,
        Format::Sap,
        &rules("[sap]\nfile_type = \"xlsx\"\n"),
    );
    let files: std::collections::HashMap<String, String> = common::unzip(&xlsx)
        .into_iter()
        .map(|(n, b)| (n, text(&b)))
        .collect();
    let sheet = &files["xl/worksheets/sheet1.xml"];
    let strings = &files["xl/sharedStrings.xml"];
    assert!(files["xl/workbook.xml"].contains("name=\"Journal Entries\""));
    for s in [
        "Upload General Journal Entries",
        "Header",
        "BUKRS",
        "LDGRP",
        "Line Items",
        "2010",
    ] {
        assert!(strings.contains(&format!(">{s}<")), "{s} not a text cell");
    }
    // As many rows as the CSV has (blank rows included, as row numbers).
    let csv_rows = csv_text.split("\r\n").filter(|l| !l.is_empty()).count();
    let xlsx_rows = sheet.matches("<row ").count();
    assert_eq!(csv_rows, xlsx_rows);
    // Amounts are number cells: the first debit of the CSV is a <v> of a non-string cell.
    let first_debit = csv_text
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() > 5 && f[0].is_empty() && f[1] == "1000" && f[4].parse::<f64>().is_ok())
                .then(|| f[4].to_owned())
        })
        .unwrap();
    let number: f64 = first_debit.parse().unwrap();
    assert!(sheet.contains(&format!("<v>{number}</v>")), "{first_debit}");
    let e = create(
        Format::Sap,
        Vec::new(),
        &rules("[sap]\nfile_type = \"xls\"\n"),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.starts_with("formats.sap.file_type:"), "{e}");
}

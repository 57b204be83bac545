//! The HTML journal report: one self-contained file (inline CSS and SVG, no script, no
//! network). It reads like a report: what it covers (inputs, rules, when it was made), the
//! summary figures, a contents bar, the trial balance first (per-account subtotals when
//! dimensions split an account, a drill-down from each account to its journal lines and from
//! each line to the extract lines behind it), the exceptions, the other views, and the
//! charts last. Amounts carry thousands separators.

use crate::inspector::{DetailLine, Inspection, View};
use crate::table::{Cell, ColumnKind, Table, thousands};
use ledgerline_journal::Kind;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root{--ink:#1d2733;--mute:#5b6b7c;--line:#d9e0e7;--bar:#2f6fad;--bar2:#c0792b;--bad:#b3261e;--ok:#2e7d32;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:var(--ink);margin:0;background:#fff}
header{background:var(--ink);color:#fff;padding:18px 28px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d4df;font-size:13px}
nav.toc{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 28px;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px;z-index:1}
nav.toc a{color:var(--bar);text-decoration:none}
nav.toc a:hover{text-decoration:underline}
tr.sub td{font-weight:600;background:var(--bg);border-bottom:2px solid var(--line)}
main{padding:12px 28px 40px;max-width:1200px}
h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:20px}
.card span{color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bad{color:var(--bad);font-weight:600}.ok{color:var(--ok);font-weight:600}
details{margin:0}
details>summary{cursor:pointer;list-style:none}
details>summary::before{content:'\\25B8';display:inline-block;width:1em;color:var(--mute)}
details[open]>summary::before{content:'\\25BE'}
.drill{background:var(--bg);padding:4px 8px 8px 22px}
.drill table{background:#fff}
.src{color:var(--mute);font-size:12px;white-space:nowrap}
.note{color:var(--mute);font-size:12px}
svg text{font:12px system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;fill:var(--ink)}
.charts{display:flex;flex-wrap:wrap;gap:24px}
table.exc td{overflow-wrap:anywhere}
table.exc td:first-child,table.exc td:nth-child(2),table.exc td:nth-child(3){white-space:nowrap}
table.exc td:last-child{min-width:24em}
";

/// What the report says about its own making, in its header.
#[derive(Debug, Clone, Copy)]
pub struct ReportMeta<'a> {
    /// The inputs read (extracts or canonical journal files).
    pub inputs: &'a [String],
    /// The rules file, `None` for the built-in defaults.
    pub rules: Option<&'a str>,
    /// When the report was generated (RFC 3339, UTC).
    pub generated_at: &'a str,
}

/// The report for `ins`. `ins` should hold the account, kind and exceptions views and
/// drill-down lines (see [`crate::inspector::Options::drill_limit`]).
pub fn render(ins: &Inspection, meta: &ReportMeta<'_>) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Ledgerline journal report</title><style>{STYLE}</style></head><body>\n"
    );
    let names: Vec<&str> = meta
        .inputs
        .iter()
        .map(|f| f.rsplit('/').next().unwrap_or(f))
        .collect();
    let inputs = match names.len() {
        0 => "no input".to_owned(),
        1..=4 => names.join(", "),
        n => format!("{}, {} and {} more", names[0], names[1], n - 2),
    };
    let _ = writeln!(
        h,
        "<header><h1>Journal report</h1><p id=\"meta\">{} · rules: {} · generated {}</p></header>",
        escape(&format!(
            "{} {}: {inputs}",
            names.len(),
            if names.len() == 1 { "input" } else { "inputs" }
        )),
        escape(meta.rules.unwrap_or("built-in defaults (no rules file)")),
        escape(meta.generated_at),
    );
    contents(&mut h, ins);
    h.push_str("<main>\n");
    summary(&mut h, ins);
    if let Some(t) = ins.table(View::Account) {
        trial_balance(&mut h, ins, t);
    }
    if let Some(t) = ins.table(View::Exceptions) {
        let _ = writeln!(
            h,
            "<h2 id=\"exceptions\">Exceptions ({})</h2>",
            t.rows.len()
        );
        if t.rows.is_empty() {
            h.push_str("<p class=\"ok\">Nothing to look at.</p>\n");
        } else {
            h.push_str("<table class=\"exc\">");
            table_body(&mut h, t);
        }
    }
    for v in [View::Employee, View::Report, View::Currency, View::Kind] {
        if let Some(t) = ins.table(v) {
            let _ = writeln!(h, "<h2 id=\"{}\">{}</h2>", v.as_str(), escape(&t.title));
            plain_table(&mut h, t);
        }
    }
    charts(&mut h, ins);
    h.push_str("</main></body></html>\n");
    h
}

/// The contents bar: the trial balance first, the exceptions, the other views, the charts.
fn contents(h: &mut String, ins: &Inspection) {
    h.push_str("<nav class=\"toc\" aria-label=\"Contents\">");
    let mut link = |id: &str, label: &str| {
        let _ = write!(h, "<a href=\"#{id}\">{}</a>", escape(label));
    };
    if ins.table(View::Account).is_some() {
        link("trial-balance", "Trial balance");
    }
    if let Some(t) = ins.table(View::Exceptions) {
        link("exceptions", &format!("Exceptions ({})", t.rows.len()));
    }
    for (v, label) in [
        (View::Employee, "Employees"),
        (View::Report, "Reports"),
        (View::Currency, "Currencies"),
        (View::Kind, "Kinds"),
    ] {
        if ins.table(v).is_some() {
            link(v.as_str(), label);
        }
    }
    if ins.table(View::Kind).is_some() || ins.table(View::Account).is_some() {
        link("charts", "Charts");
    }
    h.push_str("</nav>\n");
}

fn summary(h: &mut String, ins: &Inspection) {
    h.push_str("<section class=\"cards\" id=\"summary\">");
    let mut card = |label: &str, value: String, class: &str| {
        let _ = write!(
            h,
            "<div class=\"card\"><span>{}</span><b class=\"{class}\">{}</b></div>",
            escape(label),
            escape(&value)
        );
    };
    card("journals", thousands(ins.journals.into()), "");
    card("journal lines", thousands(ins.lines.into()), "");
    card("files", ins.files.len().to_string(), "");
    if ins.employees > 0 {
        card("employees", ins.employees.to_string(), "");
    }
    card(
        "rejected lines",
        ins.rejected.to_string(),
        if ins.rejected > 0 { "bad" } else { "" },
    );
    card(
        "exceptions",
        ins.exceptions.len().to_string(),
        if ins.exceptions.is_empty() {
            "ok"
        } else {
            "bad"
        },
    );
    for c in &ins.currencies {
        let balanced = c.debit == c.credit;
        card(
            &format!(
                "{} debits {}",
                c.currency,
                if balanced { "= credits" } else { "≠ credits" }
            ),
            thousands(c.debit),
            if balanced { "ok" } else { "bad" },
        );
    }
    h.push_str("</section>\n");
}

/// A horizontal bar chart (SVG) of `(label, value)` pairs, values not negative.
pub fn bar_chart(title: &str, bars: &[(String, Decimal)], color: &str) -> String {
    const W: f64 = 560.0;
    const LABEL: f64 = 190.0;
    const ROW: f64 = 22.0;
    let max = bars
        .iter()
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(Decimal::ZERO)
        .max(Decimal::ONE);
    let height = 28.0 + ROW * bars.len() as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
         <text x=\"0\" y=\"16\" style=\"font-weight:600\">{t}</text>",
        t = escape(title)
    );
    let span = W - LABEL - 90.0;
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 26.0 + ROW * i as f64;
        let frac = (*v / max).to_string().parse::<f64>().unwrap_or(0.0);
        let w = (span * frac).max(1.0);
        let short = crate::table::shorten(label, 28);
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{l}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bh}\" fill=\"{color}\" rx=\"2\"><title>{full}: {v}</title></rect>\
             <text x=\"{vx:.1}\" y=\"{ty}\">{v}</text>",
            v = thousands(*v),
            lx = LABEL - 6.0,
            ty = y + 13.0,
            l = escape(&short),
            bh = ROW - 6.0,
            full = escape(label),
            vx = LABEL + w + 4.0,
        );
    }
    s.push_str("</svg>");
    s
}

fn charts(h: &mut String, ins: &Inspection) {
    let mut by_kind: BTreeMap<String, Vec<(String, Decimal)>> = BTreeMap::new();
    if let Some(t) = ins.table(View::Kind) {
        for r in 0..t.rows.len() {
            let kind = t.cell(r, "kind").map(Cell::display).unwrap_or_default();
            // Offsets mirror the other lines: charted, they would double every bar.
            if Kind::parse(&kind) == Some(Kind::Offset) {
                continue;
            }
            let cur = t.cell(r, "currency").map(Cell::display).unwrap_or_default();
            let d = t
                .cell(r, "debit")
                .and_then(Cell::amount)
                .unwrap_or_default();
            let c = t
                .cell(r, "credit")
                .and_then(Cell::amount)
                .unwrap_or_default();
            by_kind.entry(cur).or_default().push((kind, d.max(c)));
        }
    }
    let mut by_account: BTreeMap<String, Vec<(String, Decimal)>> = BTreeMap::new();
    if let Some(t) = ins.table(View::Account) {
        let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for r in 0..t.rows.len() {
            let acc = t.cell(r, "account").map(Cell::display).unwrap_or_default();
            let cur = t.cell(r, "currency").map(Cell::display).unwrap_or_default();
            let d = t
                .cell(r, "debit")
                .and_then(Cell::amount)
                .unwrap_or_default();
            *sums.entry((cur, acc)).or_default() += d;
        }
        for ((cur, acc), d) in sums.into_iter().filter(|(_, d)| !d.is_zero()) {
            by_account.entry(cur).or_default().push((acc, d));
        }
        for v in by_account.values_mut() {
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(15);
        }
    }
    if by_kind.is_empty() && by_account.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"charts\">Amounts by kind and by account</h2>\n<div class=\"charts\">");
    for (cur, bars) in &by_kind {
        h.push_str(&bar_chart(&format!("By kind ({cur})"), bars, "#2f6fad"));
    }
    for (cur, bars) in &by_account {
        h.push_str(&bar_chart(
            &format!("Debits by account, largest 15 ({cur})"),
            bars,
            "#c0792b",
        ));
    }
    h.push_str("</div>\n");
}

fn head(h: &mut String, t: &Table) {
    h.push_str("<thead><tr>");
    for c in &t.columns {
        let class = if c.kind == ColumnKind::Text {
            ""
        } else {
            " class=\"n\""
        };
        let _ = write!(h, "<th{class}>{}</th>", escape(&c.name.replace('_', " ")));
    }
    h.push_str("</tr></thead>");
}

fn cells(h: &mut String, t: &Table, row: &[Cell]) {
    for (c, v) in t.columns.iter().zip(row) {
        let class = if c.kind == ColumnKind::Text {
            ""
        } else {
            " class=\"n\""
        };
        let _ = write!(h, "<td{class}>{}</td>", escape(&v.display_grouped()));
    }
}

fn plain_table(h: &mut String, t: &Table) {
    h.push_str("<table>");
    table_body(h, t);
}

/// Everything after the opening `<table>` tag.
fn table_body(h: &mut String, t: &Table) {
    head(h, t);
    h.push_str("<tbody>");
    for r in &t.rows {
        h.push_str("<tr>");
        cells(h, t, r);
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>\n");
    for n in &t.notes {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(n));
    }
}

fn trial_balance(h: &mut String, ins: &Inspection, t: &Table) {
    let mut lines: BTreeMap<(&str, &str, &str), Vec<&DetailLine>> = BTreeMap::new();
    for d in &ins.detail {
        lines
            .entry((&d.account, &d.dimensions, &d.currency))
            .or_default()
            .push(d);
    }
    let _ = write!(
        h,
        "<h2 id=\"trial-balance\">{}</h2>\n<p class=\"note\">Open an account to see its journal lines and the extract lines behind each.</p>\n<table>",
        escape(&t.title)
    );
    head(h, t);
    h.push_str("<tbody>");
    let span = t.columns.len();
    let key = |i: usize, name: &str| t.cell(i, name).map(Cell::display).unwrap_or_default();
    for (i, r) in t.rows.iter().enumerate() {
        let (acc, dims, cur) = (key(i, "account"), key(i, "dimensions"), key(i, "currency"));
        h.push_str("<tr>");
        cells(h, t, r);
        h.push_str("</tr>");
        if let Some(detail) = lines.get(&(acc.as_str(), dims.as_str(), cur.as_str())) {
            drill_down(h, t, i, &acc, detail, span);
        }
        // The last row of an account: its subtotals, per currency, where dimensions split it.
        if t.rows.get(i + 1).is_none() || key(i + 1, "account") != acc {
            let first = (0..=i)
                .rev()
                .take_while(|&j| key(j, "account") == acc)
                .last();
            subtotals(h, t, first.unwrap_or(i)..i + 1, &acc);
        }
    }
    h.push_str("</tbody></table>\n");
    for n in &t.notes {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(n));
    }
}

/// One subtotal row per currency for the trial-balance rows `rows` of `account`, when it has
/// more than one row in that currency (its dimension values split it).
fn subtotals(h: &mut String, t: &Table, rows: std::ops::Range<usize>, account: &str) {
    let mut per: BTreeMap<String, (Decimal, Decimal, Decimal, u64, usize)> = BTreeMap::new();
    for i in rows {
        let cur = t.cell(i, "currency").map(Cell::display).unwrap_or_default();
        let e = per.entry(cur).or_default();
        let amount = |name| t.cell(i, name).and_then(Cell::amount).unwrap_or_default();
        e.0 += amount("debit");
        e.1 += amount("credit");
        e.2 += amount("net");
        if let Some(Cell::Count(n)) = t.cell(i, "lines") {
            e.3 += n;
        }
        e.4 += 1;
    }
    for (cur, (debit, credit, net, lines, rows)) in per {
        if rows < 2 {
            continue;
        }
        h.push_str("<tr class=\"sub\">");
        for c in &t.columns {
            let (class, v) = match c.name {
                "account" => ("", format!("{account} total")),
                "currency" => ("", cur.clone()),
                "debit" => (" class=\"n\"", thousands(debit)),
                "credit" => (" class=\"n\"", thousands(credit)),
                "net" => (" class=\"n\"", thousands(net)),
                "lines" => (" class=\"n\"", thousands(lines.into())),
                _ => ("", String::new()),
            };
            let _ = write!(h, "<td{class}>{}</td>", escape(&v));
        }
        h.push_str("</tr>");
    }
}

/// The drill-down under trial-balance row `i`: its journal lines and their extract lines.
fn drill_down(h: &mut String, t: &Table, i: usize, acc: &str, detail: &[&DetailLine], span: usize) {
    {
        {
            let total = t
                .cell(i, "lines")
                .and_then(|c| match c {
                    Cell::Count(n) => Some(*n),
                    _ => None,
                })
                .unwrap_or(0);
            let _ = write!(
                h,
                "<tr><td colspan=\"{span}\" class=\"drill\"><details><summary>{} journal line{} on {}{}</summary><table><thead><tr>\
             <th>journal</th><th>date</th><th class=\"n\">line</th><th>kind</th><th>counterparty</th><th>employee</th>\
             <th class=\"n\">debit</th><th class=\"n\">credit</th><th>memo</th><th>extract lines</th></tr></thead><tbody>",
                total,
                if total == 1 { "" } else { "s" },
                escape(acc),
                if detail.len() as u64 == total {
                    String::new()
                } else {
                    format!(" (first {} shown)", detail.len())
                }
            );
            for d in detail {
                let src = d
                    .source_lines
                    .iter()
                    .map(|n| format!("{}:{n}", d.source_file))
                    .collect::<Vec<_>>();
                let src = if src.len() > 1 {
                    format!(
                        "<details><summary>{} lines in {}</summary>{}</details>",
                        src.len(),
                        escape(&d.source_file),
                        src.iter()
                            .map(|s| escape(s))
                            .collect::<Vec<_>>()
                            .join("<br>")
                    )
                } else {
                    src.iter().map(|s| escape(s)).collect::<Vec<_>>().join("")
                };
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"src\">{src}</td></tr>",
                    escape(&d.journal_id),
                    escape(&d.date),
                    d.line,
                    escape(&d.kind),
                    escape(d.counterparty.as_deref().unwrap_or("")),
                    escape(d.employee_id.as_deref().unwrap_or("")),
                    thousands(d.debit),
                    thousands(d.credit),
                    escape(&d.memo),
                );
            }
            h.push_str("</tbody></table></details></td></tr>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    /// The report of a generated extract, with the department as a dimension.
    fn report(rules: &str) -> String {
        use crate::inspector::{Inspector, Options};
        use ledgerline_journal::Rules;
        use ledgerline_journal::pipeline::{ConvertOptions, convert_reader};
        let mut extract = Vec::new();
        ledgerline_generate::Generator::new(ledgerline_generate::Options {
            reports: 40,
            ..Default::default()
        })
        .write(&mut extract)
        .unwrap();
        let mut inspector = Inspector::new(Options {
            views: vec![
                View::Account,
                View::Kind,
                View::Employee,
                View::Report,
                View::Currency,
                View::Exceptions,
            ],
            drill_limit: 50,
            ..Options::default()
        });
        let opts = ConvertOptions::new(std::sync::Arc::new(Rules::parse(rules).unwrap()));
        convert_reader(
            "x/demo.txt",
            extract.as_slice(),
            &opts,
            &mut inspector,
            &mut |_| {},
        )
        .unwrap();
        let ins = inspector.finish().unwrap();
        render(
            &ins,
            &ReportMeta {
                inputs: &ins.files,
                rules: Some("rules/ledgerline.toml"),
                generated_at: "2026-12-01 13:40 UTC",
            },
        )
    }

    #[test]
    fn the_report_reads_like_a_report() {
        let page = report("[dimensions]\ndepartment = \"{ReportOrgUnit1}\"\n");
        // A heading, not a list of files; what it covers, with the rules and the time.
        assert!(page.contains("<h1>Journal report</h1>"), "{page:.800}");
        assert!(
            page.contains(
                "1 input: demo.txt · rules: rules/ledgerline.toml · generated 2026-12-01 13:40 UTC"
            ),
            "{page:.800}"
        );
        // The contents bar: the trial balance first, the charts last; sections in that order.
        let nav = &page[page.find("<nav").unwrap()..page.find("</nav>").unwrap()];
        let first = nav.find("#trial-balance").unwrap();
        assert!(nav.find("#exceptions").unwrap() > first);
        assert!(nav.find("#charts").unwrap() > nav.find("#kind").unwrap());
        let at = |id: &str| page.find(&format!("id=\"{id}\"")).unwrap();
        assert!(at("trial-balance") < at("exceptions"));
        assert!(at("exceptions") < at("employee"));
        assert!(at("kind") < at("charts"));
        // Thousands separators on amounts: 40 generated reports reach five digits in JPY.
        assert!(
            regex_like_grouped(&page),
            "no amount with a thousands separator in the page"
        );
        // The department splits accounts: each such account gets a subtotal row.
        assert!(page.contains("<tr class=\"sub\">"), "no subtotal row");
        assert!(page.contains(" total</td>"));
    }

    #[test]
    fn no_subtotals_without_dimensions() {
        let page = report("");
        assert!(!page.contains("<tr class=\"sub\">"));
        assert!(page.contains("rules: rules/ledgerline.toml"));
    }

    /// Whether the page has a table cell holding a number like `12,345` or `1,234.56`.
    fn regex_like_grouped(page: &str) -> bool {
        page.split("<td class=\"n\">").skip(1).any(|cell| {
            let v = cell.split('<').next().unwrap_or("");
            let digits = v.trim_start_matches('-');
            let int = digits.split('.').next().unwrap_or("");
            int.contains(',')
                && int
                    .split(',')
                    .enumerate()
                    .all(|(i, g)| g.chars().all(|c| c.is_ascii_digit()) && (i == 0 || g.len() == 3))
        })
    }

    #[test]
    fn chart_scales_bars_to_the_largest() {
        let svg = bar_chart(
            "t",
            &[
                ("a".into(), Decimal::new(100, 0)),
                ("b".into(), Decimal::new(50, 0)),
            ],
            "#000",
        );
        assert!(svg.contains("width=\"280.0\""), "{svg}");
        assert!(svg.contains("width=\"140.0\""), "{svg}");
    }

    #[test]
    fn chart_labels_group_thousands() {
        let svg = bar_chart(
            "t",
            &[
                ("a".into(), Decimal::new(116760, 0)),
                ("b".into(), Decimal::new(-123456789, 2)),
            ],
            "#000",
        );
        assert!(svg.contains(">116,760</text>"), "{svg}");
        assert!(svg.contains("<title>a: 116,760</title>"), "{svg}");
        assert!(svg.contains(">-1,234,567.89</text>"), "{svg}");
    }
}

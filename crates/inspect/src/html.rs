//! The HTML journal report: one self-contained file (inline CSS and SVG, no script, no
//! network) with the summary figures, charts of amounts by kind and by account, the trial
//! balance with a drill-down from each account to its journal lines and from each line to
//! the extract file and lines behind it, and the exceptions.

use crate::inspector::{DetailLine, Inspection, View};
use crate::table::{Cell, ColumnKind, Table};
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
table.exc td:first-child{white-space:nowrap}
table.exc td:last-child{min-width:24em}
";

/// The report for `ins`, titled `title`. `ins` should hold the account, kind and exceptions
/// views and drill-down lines (see [`crate::inspector::Options::drill_limit`]).
pub fn render(ins: &Inspection, title: &str) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(title)
    );
    let _ = write!(
        h,
        "<header><h1>{}</h1><p>{}</p></header>\n<main>\n",
        escape(title),
        escape(&ins.files.join(", "))
    );
    summary(&mut h, ins);
    charts(&mut h, ins);
    if let Some(t) = ins.table(View::Account) {
        trial_balance(&mut h, ins, t);
    }
    for v in [View::Employee, View::Report, View::Currency, View::Kind] {
        if let Some(t) = ins.table(v) {
            let _ = writeln!(h, "<h2 id=\"{}\">{}</h2>", v.as_str(), escape(&t.title));
            plain_table(&mut h, t);
        }
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
    h.push_str("</main></body></html>\n");
    h
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
    card("journals", ins.journals.to_string(), "");
    card("journal lines", ins.lines.to_string(), "");
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
            c.debit.to_string(),
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
            if kind == "offset" {
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
        let _ = write!(h, "<td{class}>{}</td>", escape(&v.display()));
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
    for (i, r) in t.rows.iter().enumerate() {
        let key = |name: &str| t.cell(i, name).map(Cell::display).unwrap_or_default();
        let (acc, dims, cur) = (key("account"), key("dimensions"), key("currency"));
        h.push_str("<tr>");
        cells(h, t, r);
        h.push_str("</tr>");
        let Some(detail) = lines.get(&(acc.as_str(), dims.as_str(), cur.as_str())) else {
            continue;
        };
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
            escape(&acc),
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
                d.debit,
                d.credit,
                escape(&d.memo),
            );
        }
        h.push_str("</tbody></table></details></td></tr>");
    }
    h.push_str("</tbody></table>\n");
    for n in &t.notes {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(n));
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
}

//! The landing page's HTML: one self-contained document per answer (inline CSS, the logo as a
//! `data:` URI, no script, no external resource), laid out to fit an 800x600 window, with
//! the branding, the "integration with SAP Concur" line and the privacy, terms, support and
//! disconnect links on every page.

use crate::Branding;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
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

const CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1d2733;background:#eef2f6}\
header{display:flex;align-items:center;gap:12px;padding:10px 20px;background:#0b3a5d;color:#fff}\
header img{height:36px;width:auto;max-width:120px;background:#fff;border-radius:4px;padding:2px}\
header .brand{font-size:19px;font-weight:600}\
header .by{font-size:13px;opacity:.85}\
header .sap{margin-left:auto;font-size:12px;border:1px solid rgba(255,255,255,.6);border-radius:12px;padding:3px 10px}\
main{max-width:760px;margin:14px auto;padding:16px 22px;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}\
h1{font-size:21px;margin:0 0 8px}\
p{margin:6px 0}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0;font-size:14px}\
dt{color:#56657a}dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}\
ul,ol{margin:6px 0;padding-left:22px}li{margin:2px 0}\
.actions{display:flex;align-items:center;gap:16px;margin-top:12px}\
button{font:inherit;font-weight:600;color:#fff;background:#0a6ed1;border:0;border-radius:6px;padding:9px 22px;cursor:pointer}\
button:focus{outline:3px solid #ffb300;outline-offset:2px}\
button.danger{background:#b00020}\
.error{border-left:4px solid #b00020;background:#fff4f4;padding:8px 12px;margin:8px 0}\
.ok{border-left:4px solid #1e8e3e;background:#f1fbf3;padding:8px 12px;margin:8px 0}\
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;background:#eef2f6;padding:1px 4px;border-radius:3px}\
input[type=text]{font:inherit;width:100%;max-width:420px;padding:6px 8px;border:1px solid #9aa7b5;border-radius:4px}\
label{display:block;margin:8px 0 2px}\
footer{max-width:760px;margin:0 auto 12px;padding:0 22px;font-size:13px;color:#56657a}\
footer a{color:#0a5bab;margin-right:14px}\
a{color:#0a5bab}";

/// A whole page: header with the branding, `body` in the main card, footer with the links.
pub fn page(b: &Branding, title: &str, body: &str) -> String {
    let logo = b
        .logo_data_uri
        .as_deref()
        .map(|uri| {
            format!(
                "<img src=\"{}\" alt=\"{} logo\">",
                esc(uri),
                esc(&b.product_name)
            )
        })
        .unwrap_or_default();
    let by = if b.company_name != b.product_name {
        format!("<span class=\"by\">by {}</span>", esc(&b.company_name))
    } else {
        String::new()
    };
    let mut links = vec![external(&b.privacy_url, "Privacy policy")];
    if let Some(t) = &b.terms_url {
        links.push(external(t, "Terms and conditions"));
    }
    links.push(support_link(&b.support));
    links.push("<a href=\"/disconnect\">Disconnect a company</a>".into());
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<title>{title} - {product}</title><style>{CSS}</style></head><body>\
<header>{logo}<div><div class=\"brand\">{product}</div>{by}</div>\
<div class=\"sap\">Integration with SAP Concur</div></header>\
<main>{body}</main><footer>{links}</footer></body></html>\n",
        title = esc(title),
        product = esc(&b.product_name),
        links = links.join(""),
    )
}

/// A link that opens in a new window without handing the page's address over.
fn external(url: &str, text: &str) -> String {
    format!(
        "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
        esc(url),
        esc(text)
    )
}

/// Support: a `mailto:` link for an e-mail address, else a link to the address given.
fn support_link(support: &str) -> String {
    if support.contains('@') && !support.contains(':') {
        format!(
            "<a href=\"mailto:{}\">Support: {}</a>",
            esc(support),
            esc(support)
        )
    } else if support.starts_with("https://") || support.starts_with("http://") {
        external(support, "Support and help")
    } else {
        format!("<span>Support: {}</span>", esc(support))
    }
}

/// What Ledgerline reads and does with the connection, for the landing page.
pub fn access_list(product: &str) -> String {
    let p = esc(product);
    format!(
        "<ul>\
<li><b>Accounting extracts</b> (Standard Accounting Extract, Payment Request Accounting Extract): read</li>\
<li><b>Payment batches</b>: read, and closed only when your team runs {p} with <code>--close</code></li>\
<li><b>Financial Integration Service</b> documents: read and acknowledged</li>\
<li><b>Company profile</b>: read, for the edition</li>\
</ul>"
    )
}

/// Base64 (standard alphabet, padded), for the logo's `data:` URI.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, want) in cases {
            assert_eq!(base64(plain.as_bytes()), want, "{plain:?}");
        }
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}

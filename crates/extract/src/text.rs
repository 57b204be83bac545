//! Text decoding: UTF-8 when valid, Windows-1252 otherwise (never a panic).

use std::borrow::Cow;

/// Windows-1252 code points for bytes 0x80..=0x9F (other bytes map to the same Latin-1 value).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// Decodes `bytes` as UTF-8, or as Windows-1252 when they are not valid UTF-8.
///
/// ```
/// use ledgerline_extract::text::decode;
/// assert_eq!(decode(b"Corn\xC3\xB1ell"), "Cornñell");
/// assert_eq!(decode(b"Corn\xF1ell"), "Cornñell");
/// assert_eq!(decode(b"\x80 5"), "€ 5");
/// ```
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    // SIMD validation (simdutf8); the error position is not needed here.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(decode_cp1252(bytes)),
    }
}

/// Decodes every byte as Windows-1252.
pub fn decode_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => CP1252_HIGH[(b - 0x80) as usize],
            _ => b as char,
        })
        .collect()
}

/// Whether `bytes` hold a control character other than TAB (tabs are reported separately).
pub fn find_control(bytes: &[u8]) -> Option<(usize, u8)> {
    bytes
        .iter()
        .position(|&b| (b < 0x20 && b != b'\t') || b == 0x7F)
        .map(|i| (i, bytes[i]))
}

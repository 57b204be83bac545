//! Helpers over the buffered JSON text: UTF-8 checked once, the fast path's next value,
//! offsets of borrowed values, serde messages without their positions.

use crate::model::FastDoc;
use serde_json::value::RawValue;

/// Whether a syntax error is at the very end of the bytes buffered (a number or literal cut
/// by the chunk boundary: serde_json calls `12.` an invalid number, not an early end).
pub(super) fn at_end(buf: &[u8], e: &serde_json::Error) -> bool {
    let mut line_start = 0usize;
    let mut line = 1usize;
    if e.line() > 1 {
        for (i, b) in buf.iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                if line == e.line() {
                    line_start = i + 1;
                    break;
                }
            }
        }
    }
    line_start + e.column() + 1 >= buf.len()
}

/// The window's bytes as text, when they are UTF-8 (but for a character cut by the
/// window's end): validated once, with SIMD, so the JSON parser reads a `str` and does not
/// check each string it meets again. `None` for bytes that are not UTF-8: the byte
/// parser then reads them, and says where the bad byte is.
pub(super) fn utf8_prefix(buf: &[u8]) -> Option<&str> {
    match simdutf8::compat::from_utf8(buf) {
        Ok(t) => Some(t),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&buf[..e.valid_up_to()]).ok(),
        Err(_) => None,
    }
}

/// The next value of `rest` read by the fast path, and the bytes it took: from `text`
/// (the same bytes, known to be UTF-8, or a prefix of them cut before a partial
/// character) when there is one.
pub(super) fn next_fast<'b>(
    rest: &'b [u8],
    text: Option<&'b str>,
) -> (Option<serde_json::Result<FastDoc<'b>>>, usize) {
    match text {
        Some(t) => {
            let mut values = serde_json::Deserializer::from_str(t).into_iter::<FastDoc<'b>>();
            let next = values.next();
            (next, values.byte_offset())
        }
        None => {
            let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<FastDoc<'b>>();
            let next = values.next();
            (next, values.byte_offset())
        }
    }
}

/// Offset of `raw` in `buf` (0 when it is not in it).
pub(super) fn offset_in(buf: &[u8], raw: &RawValue) -> usize {
    let p = raw.get().as_ptr() as usize;
    let b = buf.as_ptr() as usize;
    if p >= b && p <= b + buf.len() {
        p - b
    } else {
        0
    }
}

pub(super) fn clip(s: &str) -> String {
    let t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        format!("{t}...")
    } else {
        t
    }
}

/// A serde message without its " at line L column C" (positions are the finding's).
pub(super) fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

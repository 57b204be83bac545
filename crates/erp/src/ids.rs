//! Deterministic journal identifiers: derived from the extract's batch id and the journal id
//! (the Concur report for the default grouping), never from the clock or a counter, so that
//! converting the same extract twice gives the same ids and the ERP sees a re-import as a
//! duplicate.
//!
//! Two shapes: [`external_id`], readable (`CONCUR-<batch>-<journal>`), for targets with room
//! for it; and [`short_id`], a fixed-length hash for fields of 11 to 21 characters (QuickBooks
//! journal number, SAP reference, Dynamics voucher).

/// Which part of a split journal (1-based), and of how many parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// 1-based part number.
    pub n: u32,
    /// Number of parts (1 when the journal was not split).
    pub of: u32,
}

impl Part {
    /// A journal that was not split.
    pub const WHOLE: Part = Part { n: 1, of: 1 };

    /// Whether the journal was split.
    pub fn is_split(self) -> bool {
        self.of > 1
    }
}

/// 64-bit FNV-1a of the fields, each followed by a 0 byte (stable across platforms and
/// releases: ids written today must match ids written next year).
pub fn hash(fields: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in fields {
        for &b in f.iter().chain(std::iter::once(&0u8)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `n` Crockford base-32 characters of `h` (at most 13; 5 bits each, most significant first).
pub fn base32(h: u64, n: usize) -> String {
    (0..n.min(13))
        .map(|i| {
            let shift = 64i32 - 5 * (i as i32 + 1);
            let v = if shift >= 0 {
                (h >> shift) & 31
            } else {
                (h << (-shift)) & 31
            };
            CROCKFORD[v as usize] as char
        })
        .collect()
}

/// Keeps ASCII letters, digits, `-`, `_` and `.`; anything else becomes `_`, and then a
/// short hash of the original is appended so that two ids differing only in such characters
/// stay distinct.
pub fn sanitize(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean == s {
        clean
    } else {
        format!("{clean}-{}", base32(hash(&[s.as_bytes()]), 4))
    }
}

/// The readable external id of (part of) a journal: `<prefix>-<batch>-<journal id>`, plus
/// `-P<n>` for a part of a split journal. Only `A-Z a-z 0-9 - _ .` are used.
///
/// ```
/// use ledgerline_erp::ids::{external_id, Part};
/// assert_eq!(external_id("CONCUR", "42", "71C18690EE42C90B0000", Part::WHOLE), "CONCUR-42-71C18690EE42C90B0000");
/// assert_eq!(external_id("CONCUR", "42", "CA-5001", Part { n: 2, of: 3 }), "CONCUR-42-CA-5001-P2");
/// assert_ne!(external_id("X", "1", "a b", Part::WHOLE), external_id("X", "1", "a_b", Part::WHOLE));
/// ```
pub fn external_id(prefix: &str, batch: &str, journal_id: &str, part: Part) -> String {
    let mut id = String::with_capacity(prefix.len() + batch.len() + journal_id.len() + 6);
    if !prefix.is_empty() {
        id.push_str(prefix);
        id.push('-');
    }
    id.push_str(batch);
    id.push('-');
    id.push_str(journal_id);
    if part.is_split() {
        id.push_str(&format!("-P{}", part.n));
    }
    sanitize(&id)
}

/// A short id of (part of) a journal for a field of `len` characters: `prefix` then 8 to 13
/// base-32 characters of a hash of the batch, journal id and part (as many as fit).
///
/// ```
/// use ledgerline_erp::ids::{short_id, Part};
/// let a = short_id("CC", "42", "RPT-1", Part::WHOLE, 16);
/// assert_eq!(a.len(), 15); // CC + 13 hash characters
/// assert!(a.starts_with("CC"));
/// assert_eq!(a, short_id("CC", "42", "RPT-1", Part::WHOLE, 16));
/// assert_ne!(a, short_id("CC", "42", "RPT-2", Part::WHOLE, 16));
/// assert_ne!(a, short_id("CC", "43", "RPT-1", Part::WHOLE, 16));
/// assert_ne!(a, short_id("CC", "42", "RPT-1", ledgerline_erp::ids::Part { n: 2, of: 2 }, 16));
/// ```
pub fn short_id(prefix: &str, batch: &str, journal_id: &str, part: Part, len: usize) -> String {
    let n = part.n.to_string();
    let of = part.of.to_string();
    let fields: [&[u8]; 4] = [
        batch.as_bytes(),
        journal_id.as_bytes(),
        n.as_bytes(),
        of.as_bytes(),
    ];
    let h = hash(&fields);
    let digits = len.saturating_sub(prefix.len()).clamp(8, 13);
    let mut id = String::with_capacity(len);
    id.push_str(prefix);
    id.push_str(&base32(h, digits));
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_published_test_vector() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; with our 0 terminator it is the hash of "a\0".
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        h ^= b'a' as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        assert_eq!(h, 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(&[b"a"]), {
            let mut h2 = h;
            h2 = h2.wrapping_mul(0x0000_0100_0000_01b3);
            h2
        });
    }

    #[test]
    fn ids_are_pinned() {
        // Changing these breaks duplicate detection for every customer: never update them
        // without a migration note.
        assert_eq!(
            short_id("CC", "42", "RPT-ALLOCATION", Part::WHOLE, 16),
            "CCVFWY32478J72M"
        );
        assert_eq!(
            external_id("CONCUR", "42", "RPT-ALLOCATION", Part { n: 2, of: 3 }),
            "CONCUR-42-RPT-ALLOCATION-P2"
        );
        assert_eq!(base32(u64::MAX, 13), "ZZZZZZZZZZZZY");
        assert_eq!(base32(0, 4), "0000");
    }
}

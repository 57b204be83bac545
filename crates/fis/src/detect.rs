//! Whether an input is FIS JSON, from its first bytes: the keys of its first object (or of
//! the first element of a top-level list). Canonical journal lines (`convert --to jsonl`,
//! read back by `inspect`) open with `{` too; their first key is `journal_id`, which no FIS
//! object has, while a FIS page, document or payload names one of [`FIS_KEYS`].

/// Keys that make a JSON object a FIS page (`fIDocuments`, `content`), an `FIDocument` or a
/// document payload.
pub const FIS_KEYS: &[&str] = &[
    "fIDocuments",
    "content",
    "docType",
    "document",
    "documentBlob",
    "docStatus",
    "erpSystemId",
    "companyUuid",
    "report",
    "expenseEntry",
    "cashAdvanceApplication",
    "cashAdvanceData",
    "employeeData",
    "journalData",
    "requestHeader",
    "lineItem",
    "ownerEmployee",
];

/// What the first bytes of an input say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// FIS JSON.
    Fis,
    /// Something else (another kind, or JSON that is not FIS).
    Other,
    /// The bytes end before the question is decided.
    NeedMore,
}

/// Looks at `prefix`; `eof` says it is the whole input.
pub fn sniff(prefix: &[u8], eof: bool) -> Sniffed {
    let p = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let mut s = Scan { b: p, i: 0 };
    let more = if eof {
        Sniffed::Other
    } else {
        Sniffed::NeedMore
    };
    s.ws();
    match s.peek() {
        None => return more,
        Some(b'[') => {
            s.i += 1;
            s.ws();
            match s.peek() {
                None => return more,
                Some(b'{') => {}
                Some(b']') => return Sniffed::Fis,
                Some(_) => return Sniffed::Other,
            }
        }
        Some(b'{') => {}
        Some(_) => return Sniffed::Other,
    }
    s.i += 1;
    loop {
        s.ws();
        match s.peek() {
            None => return more,
            Some(b'}') => return Sniffed::Other,
            Some(b',') => {
                s.i += 1;
                continue;
            }
            Some(b'"') => {}
            Some(_) => return Sniffed::Other,
        }
        let Some(key) = s.string() else { return more };
        if key == b"journal_id" {
            return Sniffed::Other;
        }
        if FIS_KEYS.iter().any(|k| k.as_bytes() == key) {
            return Sniffed::Fis;
        }
        s.ws();
        match s.peek() {
            None => return more,
            Some(b':') => s.i += 1,
            Some(_) => return Sniffed::Other,
        }
        if !s.skip_value() {
            return more;
        }
    }
}

/// Whether `prefix` is FIS JSON (undecided counts as no).
pub fn is_fis(prefix: &[u8]) -> bool {
    sniff(prefix, false) == Sniffed::Fis
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    /// A string's raw bytes (escapes left as they are); `None` when it does not end.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i + 1;
        let mut j = start;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'"' => {
                    self.i = j + 1;
                    return Some(&self.b[start..j]);
                }
                _ => j += 1,
            }
        }
        None
    }

    /// Skips one value; false when it does not end within the bytes.
    fn skip_value(&mut self) -> bool {
        self.ws();
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return false,
                Some(b'"') => {
                    if self.string().is_none() {
                        return false;
                    }
                    if depth == 0 {
                        return true;
                    }
                }
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.i += 1;
                }
                Some(b'}' | b']') => {
                    if depth == 0 {
                        return true;
                    }
                    depth -= 1;
                    self.i += 1;
                    if depth == 0 {
                        return true;
                    }
                }
                Some(b',') if depth == 0 => return true,
                Some(_) => {
                    self.i += 1;
                    if depth == 0 {
                        // A scalar: runs to the next delimiter.
                        while self.peek().is_some_and(|c| {
                            !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace()
                        }) {
                            self.i += 1;
                        }
                        return self.peek().is_some();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fis_and_canonical_lines_are_told_apart_by_their_keys() {
        let fis: &[&[u8]] = &[
            b"{\n  \"fIDocuments\": [",
            b"{\"links\":[{\"rel\":\"self\"}],\"content\":[]}",
            b"{\"id\":\"2aaff6d927a84156b5b2de638f163eb3\",\"docType\":\"expense\"}",
            b"[{\"id\": 5, \"document\": {}}]",
            b"\xEF\xBB\xBF {\"employee\":{\"employeeId\":\"1\"},\"report\":{}}",
            b"[]",
        ];
        for f in fis {
            assert_eq!(
                sniff(f, true),
                Sniffed::Fis,
                "{}",
                String::from_utf8_lossy(f)
            );
        }
        let other: &[&[u8]] = &[
            b"{\"journal_id\":\"R1\",\"date\":\"2019-06-30\"}",
            b"{\"id\":1,\"name\":\"x\"}",
            b"EXTRACT|2024-03-28|3|392.6000|7",
            b"[1,2]",
            b"",
        ];
        for o in other {
            assert_eq!(
                sniff(o, true),
                Sniffed::Other,
                "{}",
                String::from_utf8_lossy(o)
            );
        }
        assert_eq!(sniff(b"{\"id\":\"2aaff6", false), Sniffed::NeedMore);
        assert_eq!(
            sniff(b"{\"id\":{\"a\":[1,\"}\"]},\"docType\":1}", true),
            Sniffed::Fis
        );
    }
}

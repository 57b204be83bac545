//! Lenient reading of JSON scalars: Concur writes ids as numbers or strings, amounts as
//! numbers (sometimes strings), codes padded with blanks and dates in several forms. Every
//! scalar is kept as its raw JSON text (borrowed from the input) and read here on demand,
//! so an unexpected type is a finding naming the field, never a failed parse of the whole
//! document; amounts are read from their decimal text, never through a float.

use ledgerline_extract::value::Date;
use rust_decimal::Decimal;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A JSON path built only when it is printed (in a finding's message): its parent's path,
/// a key and an index (`<parent>.expenseEntry[2]`). Mapping a document names the path of
/// every entry, allocation and journal line it visits; formatting each one eagerly was a
/// tenth of the reading stage.
#[derive(Clone, Copy)]
pub struct JsonPath<'p> {
    parent: &'p dyn fmt::Display,
    key: &'static str,
    index: usize,
}

impl<'p> JsonPath<'p> {
    /// `<parent>.<key>[<index>]`.
    pub fn item(parent: &'p dyn fmt::Display, key: &'static str, index: usize) -> Self {
        JsonPath { parent, key, index }
    }
}

impl fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}[{}]", self.parent, self.key, self.index)
    }
}

/// A scalar field as found: absent, or its raw JSON text (which may be `null`).
pub type Raw<'a> = Option<&'a RawValue>;

/// Why a scalar cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// An object or array where a value was expected.
    #[error("is {0}, not a value")]
    NotScalar(&'static str),
    /// Text that is not a decimal number.
    #[error("`{0}` is not a number")]
    NotNumber(String),
    /// Text that is not a date.
    #[error("`{0}` is not a date (yyyy-MM-dd, an ISO timestamp or MM/dd/yyyy)")]
    NotDate(String),
    /// A string whose escapes cannot be decoded.
    #[error("holds a string that cannot be decoded")]
    BadString,
}

fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

/// The text of a scalar: a string unescaped, a number or boolean as written; `None` for
/// absent or `null`. Surrounding blanks are kept (see [`text`]).
pub fn text_raw<'a>(raw: Raw<'a>) -> Result<Option<Cow<'a, str>>, ValueError> {
    let Some(raw) = raw else { return Ok(None) };
    let s = raw.get();
    match s.as_bytes().first() {
        None => Ok(None),
        Some(b'"') => {
            let inner = &s[1..s.len() - 1];
            if !inner.contains('\\') {
                return Ok(Some(Cow::Borrowed(inner)));
            }
            serde_json::from_str::<String>(s)
                .map(|v| Some(Cow::Owned(v)))
                .map_err(|_| ValueError::BadString)
        }
        Some(b'{') => Err(ValueError::NotScalar("an object")),
        Some(b'[') => Err(ValueError::NotScalar("an array")),
        Some(_) if is_null(raw) => Ok(None),
        Some(_) => Ok(Some(Cow::Borrowed(s))),
    }
}

/// The trimmed text of a scalar, `None` when absent, `null` or blank.
pub fn text<'a>(raw: Raw<'a>) -> Result<Option<Cow<'a, str>>, ValueError> {
    Ok(text_raw(raw)?.and_then(|t| {
        let trimmed = match t {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
            Cow::Owned(o) if o.trim().len() == o.len() => Cow::Owned(o),
            Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
        };
        (!trimmed.is_empty()).then_some(trimmed)
    }))
}

/// A decimal amount from a JSON number or a numeric string (exactly, from its text);
/// `None` when absent, `null` or blank.
pub fn amount(raw: Raw<'_>) -> Result<Option<Decimal>, ValueError> {
    let Some(t) = text(raw)? else { return Ok(None) };
    parse_decimal(&t)
        .map(Some)
        .ok_or_else(|| ValueError::NotNumber(t.into_owned()))
}

/// A decimal from its text: plain (`-50`, `8.4`) or with an exponent (`1e2`).
pub fn parse_decimal(t: &str) -> Option<Decimal> {
    let t = t.strip_prefix('+').unwrap_or(t);
    t.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

/// A date: `yyyy-MM-dd`, an ISO timestamp starting with one (`2016-03-24T16:44:04.410Z`),
/// or `MM/dd/yyyy` (the invoice example's form); `None` when absent or blank.
pub fn date(raw: Raw<'_>) -> Result<Option<Date>, ValueError> {
    let Some(t) = text(raw)? else { return Ok(None) };
    parse_date(&t)
        .map(Some)
        .ok_or_else(|| ValueError::NotDate(t.into_owned()))
}

/// Reads a date in one of the forms [`date`] accepts.
pub fn parse_date(t: &str) -> Option<Date> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = t.get(r)?;
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day) = if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        if b.len() > 10 && b[10] != b'T' && b[10] != b' ' {
            return None;
        }
        (num(0..4)?, num(5..7)?, num(8..10)?)
    } else if b.len() == 10 && b[2] == b'/' && b[5] == b'/' {
        (num(6..10)?, num(0..2)?, num(3..5)?)
    } else if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        (num(0..4)?, num(4..6)?, num(6..8)?)
    } else {
        return None;
    };
    // Each part has at most four digits, so the casts keep its value.
    Date::new(year as u16, month as u8, day as u8)
}

/// An object read key by key into a struct of raw fields (see [`object`]): one pass over
/// the document, unknown keys skipped without being looked at.
pub trait Fill<'de>: Default {
    /// Stores the value of `key` (or skips it).
    fn fill<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

/// Deserializes a [`Fill`] type from a JSON object.
pub fn object<'de, D: Deserializer<'de>, T: Fill<'de>>(d: D) -> Result<T, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Fill<'de>> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut out = T::default();
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                out.fill(&key, &mut map)?;
            }
            Ok(out)
        }
    }
    d.deserialize_map(V(std::marker::PhantomData))
}

/// An object key, borrowed unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The raw value of the current key.
pub fn raw<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Raw<'de>, A::Error> {
    map.next_value::<&'de RawValue>().map(Some)
}

/// Skips the value of the current key.
pub fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<serde::de::IgnoredAny>().map(|_| ())
}

/// `n` when `key` is `prefix` + a number in `1..=max` + `suffix` (`reportCustom17Code`).
pub fn numbered(key: &str, prefix: &str, suffix: &str, max: usize) -> Option<usize> {
    let n: usize = key
        .strip_prefix(prefix)?
        .strip_suffix(suffix)?
        .parse()
        .ok()?;
    (1..=max).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn scalars_are_read_leniently() {
        let v = r("\"2000   \"");
        assert_eq!(text(Some(&v)).unwrap().as_deref(), Some("2000"));
        let v = r("356");
        assert_eq!(text(Some(&v)).unwrap().as_deref(), Some("356"));
        let v = r("null");
        assert_eq!(text(Some(&v)).unwrap(), None);
        let v = r("{}");
        assert!(text(Some(&v)).is_err());
        let v = r("8.4");
        assert_eq!(amount(Some(&v)).unwrap(), Some("8.4".parse().unwrap()));
        let v = r("\"-50.00\"");
        assert_eq!(amount(Some(&v)).unwrap(), Some("-50.00".parse().unwrap()));
        let v = r("\"x\"");
        assert!(amount(Some(&v)).is_err());
        let v = r("\"a\\u0041\"");
        assert_eq!(text(Some(&v)).unwrap().as_deref(), Some("aA"));
    }

    #[test]
    fn dates_in_each_form() {
        let d = |s: &str| parse_date(s).map(|d| d.to_string());
        assert_eq!(d("2016-03-24T16:44:04.410Z").as_deref(), Some("2016-03-24"));
        assert_eq!(d("2019-06-05").as_deref(), Some("2019-06-05"));
        assert_eq!(d("08/08/2018").as_deref(), Some("2018-08-08"));
        assert_eq!(d("20190605").as_deref(), Some("2019-06-05"));
        assert_eq!(d("2019-13-05"), None);
        assert_eq!(d("yesterday"), None);
    }
}

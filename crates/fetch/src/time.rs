//! Small time helpers: Unix seconds, Concur timestamps, human durations.
//!
//! Concur writes job times in several shapes (`2010-01-13T18:30:02Z`, `2010-01-12T18:30:01`,
//! `2011-08-25T14:25:22.58`); a time without a zone is taken as UTC.

use chrono::{DateTime, Datelike, Days, NaiveDate, Timelike};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC). Seconds outside chrono's range
/// (beyond the year 262,000 either way) are written as a plain number.
///
/// ```
/// use ledgerline_fetch::time::format_unix;
/// assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
/// assert_eq!(format_unix(1_263_407_402), "2010-01-13T18:30:02Z");
/// assert_eq!(format_unix(-1), "1969-12-31T23:59:59Z");
/// ```
pub fn format_unix(secs: i64) -> String {
    match DateTime::from_timestamp(secs, 0) {
        // Written field by field: chrono's %Y signs years past 9999.
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        None => secs.to_string(),
    }
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a Concur timestamp into Unix seconds (fractions dropped; no zone means UTC).
///
/// ```
/// use ledgerline_fetch::time::parse_timestamp;
/// assert_eq!(parse_timestamp("1970-01-02T00:00:01Z"), Some(86_401));
/// assert_eq!(parse_timestamp("2011-08-25T14:25:22.58"), parse_timestamp("2011-08-25T14:25:22Z"));
/// assert_eq!(parse_timestamp("2020-01-01T02:00:00+02:00"), parse_timestamp("2020-01-01T00:00:00"));
/// assert_eq!(parse_timestamp("yesterday"), None);
/// ```
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00:00"));
    let mut dp = date.split('-');
    let (y, m, d) = (num(dp.next()?)?, num(dp.next()?)?, num(dp.next()?)?);
    if dp.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // A day past the month's end (2021-02-30) runs into the next month (2021-03-02), as it
    // did with the hand-written arithmetic this replaced; chrono alone would refuse it.
    let day = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m as u32, 1)?
        .checked_add_days(Days::new(d as u64 - 1))?;
    // Split off the zone.
    let (clock, offset) = if let Some(t) = time.strip_suffix(['Z', 'z']) {
        (t, 0)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (t, z) = time.split_at(i);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let z = &z[1..];
        let (zh, zm) = z.split_once(':').unwrap_or((z.get(..2)?, z.get(2..)?));
        (t, sign * (num(zh)? * 3600 + num(zm)? * 60))
    } else {
        (time, 0)
    };
    let clock = clock.split('.').next()?;
    let mut tp = clock.split(':');
    let h = num(tp.next()?)?;
    let mi = num(tp.next()?)?;
    let sec = match tp.next() {
        Some(x) => num(x)?,
        None => 0,
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let midnight = day.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
    Some(midnight + h * 3600 + mi * 60 + sec - offset)
}

/// Why a duration was refused (see [`parse_duration`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was given.
    #[error("empty duration")]
    Empty,
    /// Not a number followed by ms, s, m, min, h or d (the text as given, trimmed).
    #[error("invalid duration {0:?} (use e.g. 500ms, 30s, 5m, 1h)")]
    Invalid(String),
}

/// Parses a duration such as `30s`, `500ms`, `2m`, `1h`, `1h30m` or a bare number of seconds.
///
/// ```
/// use ledgerline_fetch::time::parse_duration;
/// use std::time::Duration;
/// assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
/// assert!(parse_duration("soon").is_err());
/// ```
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let s = s.trim();
    if let Some(n) = num(s) {
        return Ok(Duration::from_secs(n as u64));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err(DurationError::Empty);
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::Invalid(s.to_owned()))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        total += match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            "d" => Duration::from_secs(n * 86_400),
            _ => return Err(DurationError::Invalid(s.to_owned())),
        };
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        // (seconds, text), checked against Python's datetime.
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (-86_400_000, "1967-04-07T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_700_000_123, "2023-11-14T22:15:23Z"),
            (4_107_542_399, "2100-02-28T23:59:59Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
            (253_402_300_800, "10000-01-01T00:00:00Z"),
        ] {
            assert_eq!(format_unix(secs), text);
            assert_eq!(parse_timestamp(text), Some(secs), "{text}");
        }
        assert_eq!(format_unix(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn concur_shapes() {
        assert_eq!(parse_timestamp("2010-01-13T18:30:02Z"), Some(1_263_407_402));
        assert_eq!(parse_timestamp("2010-01-13T18:30:02"), Some(1_263_407_402));
        assert_eq!(parse_timestamp("2010-01-13 18:30:02"), Some(1_263_407_402));
        assert_eq!(parse_timestamp("2010-01-13T18:30"), Some(1_263_407_400));
        assert_eq!(parse_timestamp("2010-01-13"), Some(1_263_340_800));
        assert_eq!(
            parse_timestamp("2011-08-25T14:25:22.58"),
            Some(1_314_282_322)
        );
        assert_eq!(
            parse_timestamp("2010-01-13T20:30:02+0200"),
            Some(1_263_407_402)
        );
        assert_eq!(
            parse_timestamp("2010-01-13T13:30:02-05:00"),
            Some(1_263_407_402)
        );
        assert_eq!(parse_timestamp("2010-13-13T18:30:02"), None);
        assert_eq!(parse_timestamp("2010-01-32T00:00:00"), None);
        assert_eq!(parse_timestamp("2010-01-13T24:00:00"), None);
        assert_eq!(parse_timestamp("2010-01-13T18:30:02+xx"), None);
        assert_eq!(parse_timestamp(""), None);
    }

    #[test]
    fn days_past_the_month_end_run_on_as_before() {
        assert_eq!(
            parse_timestamp("2021-02-30T00:00:00Z"),
            parse_timestamp("2021-03-02T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2020-02-30T00:00:00Z"),
            parse_timestamp("2020-03-01T00:00:00Z")
        );
        // A leap second is a second more.
        assert_eq!(
            parse_timestamp("2016-12-31T23:59:60Z"),
            parse_timestamp("2017-01-01T00:00:00Z")
        );
    }

    #[test]
    fn refused_durations_say_why() {
        assert_eq!(parse_duration("  "), Err(DurationError::Empty));
        assert_eq!(
            parse_duration("5 weeks").unwrap_err().to_string(),
            "invalid duration \"5 weeks\" (use e.g. 500ms, 30s, 5m, 1h)"
        );
        assert_eq!(parse_duration("1d2h"), Ok(Duration::from_secs(93_600)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
    }
}

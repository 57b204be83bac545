//! Hand-written civil-date code against `chrono`, on the hot path: every date of every row
//! is parsed and checked by the validator. Each contender runs in several alternating rounds
//! (hand, chrono, hand, chrono, ...) in one process, so a busy machine slows both alike; the
//! ratio of their times is what counts, not the absolute figures.
//!
//! `cargo bench -p ledgerline-extract --bench dates`. The shipped code is measured too
//! (`shipped/*`), so the bench says what `ledgerline_extract::value` does today.

use chrono::{Datelike, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ledgerline_extract::value::{self, Date};
use std::hint::black_box;
use std::time::Duration;

/// The calendar code as it was written by hand before chrono (`value.rs`).
mod hand {
    use ledgerline_extract::value::Date;

    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let dim = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (year.is_multiple_of(4) && !year.is_multiple_of(100))
                || year.is_multiple_of(400) =>
            {
                29
            }
            2 => 28,
            _ => return None,
        };
        (year >= 1 && day >= 1 && day <= dim).then_some(Date { year, month, day })
    }

    pub fn days(d: Date) -> i64 {
        let y = d.year as i64 - if d.month <= 2 { 1 } else { 0 };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = d.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe
    }

    pub fn from_days(z: i64) -> Date {
        let era = z.div_euclid(146097);
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        Date {
            year: (y + if m <= 2 { 1 } else { 0 }) as u16,
            month: m,
            day: d,
        }
    }
}

/// The same operations on `chrono::NaiveDate`.
mod with_chrono {
    use chrono::{Datelike, NaiveDate};
    use ledgerline_extract::value::Date;

    /// Days from 0000-03-01 (the hand-written origin) to 0001-01-01 (chrono's day 1, minus one).
    const OFFSET: i64 = 305;

    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        (year >= 1 && NaiveDate::from_ymd_opt(year.into(), month.into(), day.into()).is_some())
            .then_some(Date { year, month, day })
    }

    pub fn days(d: Date) -> i64 {
        NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
            .map_or(0, |n| n.num_days_from_ce() as i64 + OFFSET)
    }

    pub fn from_days(z: i64) -> Date {
        let n = i32::try_from(z - OFFSET)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .unwrap_or_default();
        Date {
            year: n.year() as u16,
            month: n.month() as u8,
            day: n.day() as u8,
        }
    }
}

/// `yyyy-MM-dd` / `yyyy/MM/dd` split into numbers, as `value::parse_date` does, then checked
/// by `new`.
#[inline(always)]
fn parse_with(b: &[u8], new: fn(u16, u8, u8) -> Option<Date>) -> Option<Date> {
    if b.len() != 10 || b[4] != b[7] || !(b[4] == b'-' || b[4] == b'/') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        b[r].iter().try_fold(0u16, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u16)
        })
    };
    new(num(0..4)?, num(5..7)? as u8, num(8..10)? as u8)
}

/// chrono's own parser, for reference (it accepts more shapes, so it is not a drop-in).
fn parse_chrono_str(b: &[u8]) -> Option<Date> {
    let s = std::str::from_utf8(b).ok()?;
    let n = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(Date {
        year: n.year() as u16,
        month: n.month() as u8,
        day: n.day() as u8,
    })
}

/// 100,000 dates as an extract carries them: 2015-2034, day after day, with a few invalid
/// ones (day 29 to 31 of a short month, month 13) among them.
fn sample_dates() -> Vec<[u8; 10]> {
    let mut out = Vec::with_capacity(100_000);
    let mut i = 0u64;
    while out.len() < 100_000 {
        let y = 2015 + (i / 372) % 20;
        let m = 1 + (i / 31) % 12;
        let d = 1 + i % 31;
        i += 1;
        let valid = hand::new(y as u16, m as u8, d as u8).is_some();
        let s = if valid || out.len() % 50 == 0 {
            format!("{y:04}-{m:02}-{d:02}")
        } else if out.len() % 977 == 0 {
            format!("{y:04}-13-{d:02}")
        } else {
            continue;
        };
        out.push(s.as_bytes().try_into().expect("10 bytes"));
    }
    out
}

fn count(dates: &[[u8; 10]], parse: impl Fn(&[u8]) -> Option<Date>) -> (usize, u64) {
    let mut ok = 0;
    let mut sum = 0u64;
    for d in dates {
        if let Some(d) = parse(black_box(&d[..])) {
            ok += 1;
            sum += d.day as u64;
        }
    }
    (ok, sum)
}

fn benches(c: &mut Criterion) {
    let input = sample_dates();
    let valid: Vec<Date> = input
        .iter()
        .filter_map(|d| value::parse_date(d).ok())
        .collect();
    // The contenders agree before they are timed.
    let want = count(&input, |b| parse_with(b, hand::new));
    assert_eq!(count(&input, |b| parse_with(b, with_chrono::new)), want);
    assert_eq!(count(&input, |b| value::parse_date(b).ok()), want);
    assert_eq!(count(&input, parse_chrono_str), want);
    eprintln!(
        "{} dates, {} of them invalid",
        input.len(),
        input.len() - want.0
    );
    let rounds = 3;

    let mut g = c.benchmark_group("parse_date");
    g.throughput(Throughput::Elements(input.len() as u64));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for r in 1..=rounds {
        g.bench_function(format!("hand/{r}"), |b| {
            b.iter(|| count(&input, |b| parse_with(b, hand::new)))
        });
        g.bench_function(format!("chrono/{r}"), |b| {
            b.iter(|| count(&input, |b| parse_with(b, with_chrono::new)))
        });
        g.bench_function(format!("shipped/{r}"), |b| {
            b.iter(|| count(&input, |b| value::parse_date(b).ok()))
        });
    }
    g.bench_function("chrono-parse_from_str", |b| {
        b.iter(|| count(&input, parse_chrono_str))
    });
    g.finish();

    let mut g = c.benchmark_group("days");
    g.throughput(Throughput::Elements(valid.len() as u64));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    let sum_days = |f: fn(Date) -> i64| valid.iter().map(|&d| f(black_box(d))).sum::<i64>();
    assert_eq!(sum_days(with_chrono::days), sum_days(hand::days));
    assert_eq!(sum_days(Date::days), sum_days(hand::days));
    for r in 1..=rounds {
        g.bench_function(format!("hand/{r}"), |b| b.iter(|| sum_days(hand::days)));
        g.bench_function(format!("chrono/{r}"), |b| {
            b.iter(|| sum_days(with_chrono::days))
        });
        g.bench_function(format!("shipped/{r}"), |b| b.iter(|| sum_days(Date::days)));
    }
    g.finish();

    let mut g = c.benchmark_group("from_days");
    let zs: Vec<i64> = valid.iter().map(|&d| hand::days(d)).collect();
    g.throughput(Throughput::Elements(zs.len() as u64));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    let sum_dates = |f: fn(i64) -> Date| {
        zs.iter()
            .map(|&z| {
                let d = f(black_box(z));
                d.year as u64 + d.month as u64 + d.day as u64
            })
            .sum::<u64>()
    };
    assert_eq!(
        sum_dates(with_chrono::from_days),
        sum_dates(hand::from_days)
    );
    assert_eq!(sum_dates(Date::from_days), sum_dates(hand::from_days));
    for r in 1..=rounds {
        g.bench_function(format!("hand/{r}"), |b| {
            b.iter(|| sum_dates(hand::from_days))
        });
        g.bench_function(format!("chrono/{r}"), |b| {
            b.iter(|| sum_dates(with_chrono::from_days))
        });
        g.bench_function(format!("shipped/{r}"), |b| {
            b.iter(|| sum_dates(Date::from_days))
        });
    }
    g.finish();
}

criterion_group!(dates, benches);
criterion_main!(dates);

//! Time for the simulator's answers: Unix seconds now, the UTC day of one, and the
//! timestamp shape Concur writes. A module of its own so the routes and the master-data
//! and FIS modules read the clock without reaching into the shared state.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The UTC day of a Unix time.
pub(crate) fn day_of(secs: i64) -> ledgerline_extract::value::Date {
    use ledgerline_extract::value::Date;
    let epoch = Date::new(1970, 1, 1).map(Date::days).unwrap_or(0);
    Date::from_days(epoch + secs.div_euclid(86_400))
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC, no zone: one of the shapes Concur writes).
pub(crate) fn format_time(secs: i64) -> String {
    let day = day_of(secs);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{day}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

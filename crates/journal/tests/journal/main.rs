//! The integration tests of `ledgerline-journal`, in one test binary (one link instead of
//! seven). Each module is one theme; `support` holds the helpers they share and `oracle`
//! the fuzz targets' oracles (also compiled by `fuzz/`, through a `#[path]`).
//!
//! Run one theme with `cargo test -p ledgerline-journal --test journal cases::`.

mod cases;
mod cornell;
mod dates_and_amounts;
mod fuzz_regressions;
mod generated;
mod guarantees;
mod mutations;
mod oracle;
mod returns;
mod support;
mod threads;

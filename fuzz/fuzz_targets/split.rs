//! Fuzz target `split`: see `check_split` in crates/journal/tests/journal/oracle.rs (shared with the
//! stable regression tests, which replay fuzz/regressions/split/).
#![no_main]

#[path = "../../crates/journal/tests/journal/oracle.rs"]
mod oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracle::fuzz_verdict("split", data));

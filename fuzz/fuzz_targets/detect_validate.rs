//! Fuzz target `detect_validate`: see `check_detect_validate` in crates/journal/tests/journal/oracle.rs (shared with the
//! stable regression tests, which replay fuzz/regressions/detect_validate/).
#![no_main]

#[path = "../../crates/journal/tests/journal/oracle.rs"]
mod oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracle::fuzz_verdict("detect_validate", data));

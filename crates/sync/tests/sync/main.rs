//! `ledgerline-sync`'s integration tests against the simulator on loopback, one test binary
//! (each binary links the simulator and polars; one link instead of two). Each module is one
//! former test file; [`support`] holds what they share.

mod invoice;
mod lists;
mod support;

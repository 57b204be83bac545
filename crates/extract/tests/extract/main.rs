//! The integration tests of `ledgerline-extract`, one binary: each module is one former test
//! file, and `common` holds what they share (paths, validating bytes, summarising findings).
//! `cargo test -p ledgerline-extract --test extract [MODULE::]`.

mod common;

mod cornell;
mod detect;
mod fixtures;
mod schema_codegen;
mod sources;

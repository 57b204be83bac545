//! The ERP writers' integration tests, one binary (linking a test binary against polars is
//! slow; one link instead of six). Each module is one former test file; [`common`] holds the
//! helpers they share.

mod common;
mod currency;
mod golden;
mod properties;
mod roundtrip;
mod settings;
mod templates;

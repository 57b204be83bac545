//! The FIS reader's tests: one binary, a module per area.

mod bundled;
mod differential;
mod generated;
mod support;

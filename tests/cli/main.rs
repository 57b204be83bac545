//! End-to-end tests of the `ledgerline` binary as a user runs it, one module per command
//! area, in one test binary (each binary links the whole workspace, polars included, so one
//! is much faster to build than eight). Shared helpers are in [`support`].

mod support;

mod accounts;
mod connect;
mod convert;
mod docs;
mod fetch;
mod fis;
mod inspect;
mod inspect_html;
mod ledger;
mod posting_guarantees;
mod sync;
mod validate;

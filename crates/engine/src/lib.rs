//! # ledgerline-engine
//!
//! The run over every input that `validate`, `convert`, `inspect` and `fetch --convert`
//! share. The binary parses flags into these typed options and prints what comes back; the
//! work happens here:
//!
//! 1. [`Inputs`]: files, folders (filtered by a glob), zips and standard input, expanded
//!    into streams;
//! 2. [`load_rules`]: the rules file with the command line's overrides applied;
//! 3. [`drive`] / [`for_each_input`]: each stream digested while it is read (the same content
//!    twice is an error, IO007), converted by the journal pipeline through the posting
//!    guards ([`Checks`]: the chart of accounts, the run ledger, the same journal twice in a
//!    run), clutter in input folders skipped with a warning, and an input that cannot be
//!    opened turned into a finding; everything is gathered in a [`Run`];
//! 4. [`Run::refusal`] and [`Tally`]: whether the run may be written (errors, `--force`, a
//!    damaged file), whether anything is new to post, and the totals per currency;
//! 5. [`convert_file`]: one extract into one ERP file, atomically, recorded in the posting
//!    ledger (what `fetch --convert` does for each file it downloads).
//!
//! ```
//! use ledgerline_engine::{Checks, Inputs, NoProgress, drive, load_rules};
//! use ledgerline_extract::source::InputSpec;
//! use ledgerline_journal::pipeline::{Collect, ConvertOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("extract.txt");
//! let mut extract = Vec::new();
//! ledgerline_generate::Generator::new(ledgerline_generate::Options { reports: 3, ..Default::default() })
//!     .write(&mut extract)
//!     .unwrap();
//! std::fs::write(&path, &extract).unwrap();
//!
//! // The same extract twice: its journals would be posted twice.
//! let inputs = Inputs::new(vec![InputSpec::Path(path.clone()), InputSpec::Path(path)]);
//! let opts = ConvertOptions::new(load_rules(None, None, None).unwrap());
//! let mut sink = Collect::default();
//! let run = drive(&inputs, &opts, &mut sink, Checks::default(), &mut NoProgress).unwrap();
//! assert_eq!(run.reports.len(), 2);
//! assert!(run.errors() > 0, "the second copy is an error (IO007)");
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod file;
mod inputs;
mod outcome;
mod run;

pub use file::{Converted, convert_file, post, refuse_overwriting_posted};
pub use inputs::{Inputs, load_rules};
pub use outcome::{CurrencyTotal, Refusal, Tally, Tee};
pub use run::{
    Checks, InputStream, NoProgress, Progress, Run, convert_stream, drive, for_each_input,
    skip_if_not_an_extract,
};

use std::path::PathBuf;

/// Why a run could not go on (as opposed to findings, which a run reports and goes on).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rules or mapping file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A rules or mapping file is not valid.
    #[error("{file}: {message}")]
    Rules {
        /// The file, empty for the built-in defaults.
        file: String,
        /// What is wrong, naming the key.
        message: String,
    },
    /// `--glob` is not a pattern.
    #[error("--glob: {0}")]
    Glob(#[from] glob::PatternError),
    /// The chart of accounts could not be loaded.
    #[error(transparent)]
    Accounts(#[from] ledgerline_guard::accounts::AccountsError),
    /// Writing the output (the sink) failed.
    #[error("writing the output")]
    Output(#[source] std::io::Error),
    /// An output file could not be created or put in place.
    #[error(transparent)]
    Atomic(#[from] ledgerline_atomic::Error),
    /// The posting ledger failed.
    #[error(transparent)]
    Ledger(#[from] ledgerline_ledger::LedgerError),
    /// The output holds journals the ledger records as posted: writing over it would lose them.
    #[error(
        "{}: holds {journals} journals an earlier run posted (recorded in the ledger); writing over it before it is imported would lose them, since later runs skip them as posted. Write to a new file (e.g. with the date in its name), or move this one away once it is imported",
        path.display()
    )]
    OverwritesPosted {
        /// The output file.
        path: PathBuf,
        /// Journals the ledger records in it.
        journals: usize,
    },
    /// The output format's settings are not valid.
    #[error(transparent)]
    Settings(#[from] ledgerline_erp::SettingsError),
}

/// The result of the engine's operations.
pub type Result<T> = std::result::Result<T, Error>;

//! What every module of the binary's tests uses: the repository root, the binary, output as
//! text, the bundled example.

use std::path::Path;
use std::process::{Command, Stdio};

/// The repository root (the tests run the binary from there).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `ledgerline` binary, run from the repository root with no standard input and no
/// progress bar.
pub fn ledgerline(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ledgerline"));
    c.args(args)
        .current_dir(root())
        .env("LEDGERLINE_NO_PROGRESS", "1")
        .stdin(Stdio::null());
    c
}

/// Bytes of stdout or stderr as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The bundled example extract (12 reports, 67 rows).
pub const EXAMPLE: &str = "fixtures/example/expense-sae.txt";

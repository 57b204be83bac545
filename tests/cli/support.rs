//! What every module of the binary's tests uses: the repository root, the binary, output as
//! text, the bundled example.

use std::path::Path;
use std::process::{Command, Stdio};

/// The repository root (the tests run the binary from there).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file or folder under `fixtures/`, e.g. `fixture("validate/good.txt")`.
pub fn fixture(rel: &str) -> std::path::PathBuf {
    root().join("fixtures").join(rel)
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

/// The example with column 319 of every line of report `id` changed.
pub fn example_with_bad_319(dir: &std::path::Path) -> (String, String) {
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // The first report none of whose lines is quoted (so a plain split edits it).
    let id = lines[1..]
        .iter()
        .map(|l| l.split('|').nth(18).unwrap().to_owned())
        .find(|id| {
            lines[1..]
                .iter()
                .filter(|l| l.split('|').nth(18) == Some(id.as_str()))
                .all(|l| !l.contains('"'))
        })
        .unwrap();
    let mut out = String::new();
    for l in &lines {
        if l.split('|').nth(18) == Some(id.as_str()) {
            assert!(!l.contains('"'));
            let mut f: Vec<&str> = l.split('|').collect();
            f[318] = "99999.0000";
            out.push_str(&f.join("|"));
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    let path = dir.join("bad-319.txt").display().to_string();
    std::fs::write(&path, out).unwrap();
    (path, id)
}

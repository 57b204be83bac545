//! Terminal and file plumbing shared by the subcommands: colours, progress bars and
//! atomic output files.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Standard output, locked, for a command's results. A reader that went away (`... | head`)
/// surfaces as a [`StdoutClosed`] error, which `main` ends quietly on; any other broken pipe
/// (a socket, a FIFO given as a file) stays an error.
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// See [`stdout`].
pub struct Stdout(std::io::StdoutLock<'static>);

/// Marks the broken pipe of standard output (see [`stdout`]).
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

fn tag_closed(e: std::io::Error) -> std::io::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::io::Error::new(std::io::ErrorKind::BrokenPipe, StdoutClosed)
    } else {
        e
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(tag_closed)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(tag_closed)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(tag_closed)
    }
}

/// Whether `e` is standard output closed by its reader (see [`stdout`]).
pub fn is_stdout_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| inner.is::<StdoutClosed>())
    })
}

/// Whether to colour stdout.
pub fn color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// ANSI styling that collapses to nothing when colour is off.
#[derive(Clone, Copy)]
pub struct Paint(pub bool);

impl Paint {
    pub fn red(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

/// A progress bar on stderr (bytes read, rate, ETA; the caller's message adds the rows done),
/// shown only when stderr is a terminal and the work is big (or of unknown size). Hidden in
/// pipes and with `LEDGERLINE_NO_PROGRESS` set.
pub fn progress(total: Option<u64>, label: &str) -> indicatif::ProgressBar {
    const WORTH_A_BAR: u64 = 8 << 20;
    if !std::io::stderr().is_terminal()
        || std::env::var_os("LEDGERLINE_NO_PROGRESS").is_some()
        || total.is_some_and(|t| t < WORTH_A_BAR)
    {
        return indicatif::ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(t) => (
            indicatif::ProgressBar::new(t),
            "{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ),
        None => (
            indicatif::ProgressBar::new_spinner(),
            "{spinner} {msg} {bytes} {binary_bytes_per_sec}",
        ),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(label.to_owned());
    bar
}

/// Temporary files of this process that a signal must not leave behind.
static LIVE_TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Set while an [`OutputSet`] is being renamed into place: a signal then waits for it.
static COMMITTING: AtomicBool = AtomicBool::new(false);
/// A signal arrived during a commit: exit once it is done.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit status after SIGINT, SIGTERM or SIGHUP (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: i32 = 130;

/// Installs the handler that, on SIGINT, SIGTERM or SIGHUP, removes this process's
/// temporary output files and exits with status 130. During the few renames of a commit the
/// signal waits, so a set of outputs is never left half in place.
pub fn install_signal_cleanup() {
    let _ = ctrlc::set_handler(|| {
        if COMMITTING.load(Ordering::SeqCst) {
            INTERRUPTED.store(true, Ordering::SeqCst);
            return;
        }
        remove_live_temps();
        eprintln!("ledgerline: interrupted: temporary files removed, nothing was written");
        std::process::exit(EXIT_INTERRUPTED);
    });
}

fn remove_live_temps() {
    let temps = match LIVE_TEMPS.lock() {
        Ok(t) => t.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for p in temps {
        let _ = std::fs::remove_file(p);
    }
}

fn track(path: &Path) {
    if let Ok(mut t) = LIVE_TEMPS.lock() {
        t.push(path.to_owned());
    }
}

fn untrack(path: &Path) {
    if let Ok(mut t) = LIVE_TEMPS.lock() {
        t.retain(|p| p != path);
    }
}

/// Prefix of every temporary file Ledgerline writes next to an output.
const TEMP_PREFIX: &str = ".ledgerline-";
/// Prefix of a commit manifest (see [`OutputSet::commit`]).
const MANIFEST_PREFIX: &str = ".ledgerline-commit-";

fn parent_dir(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The process id written into a temporary file's name (`.ledgerline-<pid>-...`).
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name
        .strip_prefix(MANIFEST_PREFIX)
        .or_else(|| name.strip_prefix(TEMP_PREFIX))?;
    rest.split(['-', '.']).next()?.parse().ok()
}

/// Whether process `pid` is running (Linux: /proc; elsewhere assumed running, so nothing
/// of another run is ever removed).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Settles what runs killed outright (SIGKILL, power loss) left in `dir`: a commit manifest
/// is rolled forward (every file it lists was complete before it was written, so the set is
/// put in place whole), then temporary files of processes that are gone are removed.
/// Returns what it did, one line each, for the user.
pub fn recover_dir(dir: &Path) -> Vec<String> {
    let mut done = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return done;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(TEMP_PREFIX))
        .collect();
    names.sort();
    for name in names.iter().filter(|n| n.starts_with(MANIFEST_PREFIX)) {
        if temp_owner(name).is_some_and(alive) {
            continue;
        }
        let path = dir.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(pairs) = serde_json::from_str::<Vec<(PathBuf, PathBuf)>>(&text) else {
            continue;
        };
        for (tmp, dest) in pairs {
            if tmp.exists() && std::fs::rename(&tmp, &dest).is_ok() {
                done.push(format!(
                    "completed an interrupted commit: {}",
                    dest.display()
                ));
            }
        }
        let _ = std::fs::remove_file(&path);
    }
    for name in names.iter().filter(|n| !n.starts_with(MANIFEST_PREFIX)) {
        if temp_owner(name).is_some_and(|pid| !alive(pid)) {
            let path = dir.join(name);
            if std::fs::remove_file(&path).is_ok() {
                done.push(format!(
                    "removed {} left by an interrupted run",
                    path.display()
                ));
            }
        }
    }
    done
}

/// A file written under a temporary name and renamed into place only on `commit`: a failed
/// run leaves no partial file behind, a signal removes the temporary file, and one left by
/// a killed process is removed by the next run writing into that folder ([`recover_dir`]).
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl AtomicFile {
    pub fn create(dest: &Path) -> anyhow::Result<AtomicFile> {
        let dir = parent_dir(dest);
        let mut builder = tempfile::Builder::new();
        let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Outputs are ordinary files (0644 before umask), not private temp files.
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let tmp = builder.tempfile_in(dir).map_err(|e| {
            anyhow::anyhow!("cannot create a temporary file in {}: {e}", dir.display())
        })?;
        track(tmp.path());
        Ok(AtomicFile {
            tmp,
            dest: dest.to_owned(),
        })
    }

    /// Where the content is being written until `commit`.
    pub fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// The final path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    pub fn writer(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Flushes and syncs the content, and keeps the temporary file (no longer removed on
    /// drop): returns its path, for a commit.
    fn seal(mut self) -> anyhow::Result<(PathBuf, PathBuf)> {
        self.tmp.as_file_mut().flush()?;
        self.tmp.as_file().sync_all()?;
        let tmp = self
            .tmp
            .into_temp_path()
            .keep()
            .map_err(|e| anyhow::anyhow!("cannot keep {}: {e}", self.dest.display()))?;
        Ok((tmp, self.dest))
    }

    pub fn commit(self) -> anyhow::Result<()> {
        let mut set = OutputSet::default();
        set.add(self);
        set.commit()
    }
}

/// Several outputs of one run (journals, rejects) put in place together or not at all.
#[derive(Default)]
pub struct OutputSet {
    files: Vec<AtomicFile>,
}

impl OutputSet {
    pub fn add(&mut self, file: AtomicFile) {
        self.files.push(file);
    }

    /// Adds every file of `other`, after this set's.
    pub fn extend(&mut self, other: OutputSet) {
        self.files.extend(other.files);
    }

    /// Puts every file in place. Each is complete and synced first; then a manifest listing
    /// them is written next to the first, the files are renamed, and the manifest removed.
    /// A process killed during the renames leaves the manifest, and the next run into that
    /// folder ([`recover_dir`]) finishes the renames: the set is never half in place.
    pub fn commit(self) -> anyhow::Result<()> {
        let Some(first) = self.files.first() else {
            return Ok(());
        };
        let dir = parent_dir(first.dest()).to_owned();
        let mut pairs = Vec::with_capacity(self.files.len());
        for f in self.files {
            // Still tracked since `create`: a signal before the renames removes it.
            pairs.push(f.seal()?);
        }
        COMMITTING.store(true, Ordering::SeqCst);
        let result = commit_pairs(&dir, &pairs);
        for (tmp, _) in &pairs {
            untrack(tmp);
            if result.is_err() {
                let _ = std::fs::remove_file(tmp);
            }
        }
        COMMITTING.store(false, Ordering::SeqCst);
        if INTERRUPTED.load(Ordering::SeqCst) {
            eprintln!("ledgerline: interrupted: the outputs were completed first");
            std::process::exit(EXIT_INTERRUPTED);
        }
        result
    }
}

fn commit_pairs(dir: &Path, pairs: &[(PathBuf, PathBuf)]) -> anyhow::Result<()> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let manifest = (pairs.len() > 1).then(|| {
        dir.join(format!(
            "{MANIFEST_PREFIX}{}-{}.json",
            std::process::id(),
            pairs.len()
        ))
    });
    if let Some(m) = &manifest {
        let listed: Vec<(PathBuf, PathBuf)> = pairs
            .iter()
            .map(|(t, d)| (absolute(t), absolute(d)))
            .collect();
        let mut f = std::fs::File::create(m)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", m.display()))?;
        f.write_all(serde_json::to_string(&listed)?.as_bytes())?;
        f.sync_all()?;
        sync_dir(dir);
        failpoint("commit-manifest");
    }
    for (i, (tmp, dest)) in pairs.iter().enumerate() {
        std::fs::rename(tmp, dest)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", dest.display()))?;
        if i == 0 {
            failpoint("commit-first-renamed");
        }
    }
    for (_, dest) in pairs {
        sync_dir(parent_dir(dest));
    }
    if let Some(m) = &manifest {
        let _ = std::fs::remove_file(m);
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A test hook: when `LEDGERLINE_FAILPOINT` names this point, the process stops here at
/// once, as a kill would stop it (no destructors run, nothing is cleaned up; exit status 134).
/// Used by the tests that check an interrupted run leaves the ledger consistent with the
/// files actually written.
pub fn failpoint(name: &str) {
    if std::env::var("LEDGERLINE_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("ledgerline: failpoint {name}: stopping");
        std::process::exit(134);
    }
}

/// Width for text tables: `COLUMNS`, else the terminal's; unlimited when standard output
/// is a file or a pipe.
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n >= 20)
    {
        return n;
    }
    // Standard output is not a terminal (a file, a pipe): nothing to fit, cut nothing.
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0).max(20))
        .unwrap_or(usize::MAX)
}

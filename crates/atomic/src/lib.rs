//! # ledgerline-atomic
//!
//! Output files that appear whole or not at all. Every file Ledgerline writes (journals,
//! rejects, downloads, the token store) is written under a temporary name next to its
//! destination and renamed into place only when complete; several outputs of one run are
//! put in place together ([`OutputSet`]), through a manifest that the next run rolls
//! forward if the process was killed during the renames ([`recover_dir`]).
//!
//! A signal handler (the binary installs one with `ctrlc`) calls [`on_signal`]: the
//! process's temporary files are removed, or, during the renames of a commit, the exit waits
//! until the set is in place.
//!
//! ```
//! use ledgerline_atomic::{AtomicFile, OutputSet};
//! use std::io::Write;
//! let dir = tempfile::tempdir().unwrap();
//! let mut journals = AtomicFile::create(&dir.path().join("journals.csv")).unwrap();
//! writeln!(journals.writer(), "id,amount").unwrap();
//! let mut rejects = AtomicFile::create(&dir.path().join("rejects.jsonl")).unwrap();
//! writeln!(rejects.writer(), "{{}}").unwrap();
//! // Nothing is visible until the commit...
//! assert!(!dir.path().join("journals.csv").exists());
//! let mut set = OutputSet::default();
//! set.add(journals);
//! set.add(rejects);
//! set.commit().unwrap();
//! // ...then both are.
//! assert!(dir.path().join("journals.csv").exists() && dir.path().join("rejects.jsonl").exists());
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod behind;
pub use behind::WriteBehind;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Why an output could not be written or put in place.
#[derive(Debug, thiserror::Error)]
#[error("{what} {}: {source}", path.display())]
pub struct Error {
    /// What was being done ("cannot write", "cannot create a temporary file in").
    pub what: &'static str,
    /// The file or folder concerned.
    pub path: PathBuf,
    /// The operating system's error.
    #[source]
    pub source: std::io::Error,
}

impl Error {
    fn new(what: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error {
            what,
            path: path.to_owned(),
            source,
        }
    }
}

/// The result of the operations of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Temporary files of this process that a signal must not leave behind.
static LIVE_TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Set while an [`OutputSet`] is being renamed into place: a signal then waits for it.
static COMMITTING: AtomicBool = AtomicBool::new(false);
/// A signal arrived during a commit: exit once it is done.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit status after SIGINT, SIGTERM or SIGHUP (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: i32 = 130;

/// What a signal handler calls on SIGINT, SIGTERM or SIGHUP: removes this process's
/// temporary output files and exits with status 130. During the few renames of a commit the
/// exit waits until the set is in place ([`OutputSet::commit`] exits then), so a set of
/// outputs is never left half in place.
pub fn on_signal() {
    if COMMITTING.load(Ordering::SeqCst) {
        INTERRUPTED.store(true, Ordering::SeqCst);
        return;
    }
    remove_live_temps();
    eprintln!("ledgerline: interrupted: temporary files removed, nothing was written");
    std::process::exit(EXIT_INTERRUPTED);
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
/// Prefix of the partial downloads of `fetch` before it wrote through this crate; a killed
/// older run may have left some.
const LEGACY_PARTIAL_PREFIX: &str = ".ledgerline-partial-";
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
        .or_else(|| name.strip_prefix(LEGACY_PARTIAL_PREFIX))
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
    /// Starts writing `dest`: a temporary file in its folder, removed unless committed.
    /// The file is an ordinary one (mode 0644 before the umask).
    pub fn create(dest: &Path) -> Result<AtomicFile> {
        AtomicFile::create_with_mode(dest, 0o644)
    }

    /// [`AtomicFile::create`] for a secret (the token store): readable by its owner only
    /// (mode 0600) from the first byte written.
    pub fn create_private(dest: &Path) -> Result<AtomicFile> {
        AtomicFile::create_with_mode(dest, 0o600)
    }

    /// Changes where [`AtomicFile::commit`] puts the file, in the same folder (a download
    /// whose name depends on what arrived: `.zip` or `.csv`).
    pub fn set_dest(&mut self, dest: &Path) {
        self.dest = dest.to_owned();
    }

    fn create_with_mode(dest: &Path, mode: u32) -> Result<AtomicFile> {
        let dir = parent_dir(dest);
        let mut builder = tempfile::Builder::new();
        let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        #[cfg(not(unix))]
        let _ = mode;
        let tmp = builder
            .tempfile_in(dir)
            .map_err(|e| Error::new("cannot create a temporary file in", dir, e))?;
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

    /// The file to write the content into.
    pub fn writer(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Flushes and syncs the content, and keeps the temporary file (no longer removed on
    /// drop): returns its path, for a commit.
    fn seal(mut self) -> Result<(PathBuf, PathBuf)> {
        let write_err = |e| Error::new("cannot write", &self.dest, e);
        self.tmp.as_file_mut().flush().map_err(write_err)?;
        self.tmp.as_file().sync_all().map_err(write_err)?;
        let tmp = self
            .tmp
            .into_temp_path()
            .keep()
            .map_err(|e| Error::new("cannot keep", &self.dest, e.error))?;
        Ok((tmp, self.dest))
    }

    /// Puts the file in place (a set of one, see [`OutputSet::commit`]).
    pub fn commit(self) -> Result<()> {
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
    /// Adds a file to the set.
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
    pub fn commit(self) -> Result<()> {
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

fn commit_pairs(dir: &Path, pairs: &[(PathBuf, PathBuf)]) -> Result<()> {
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
        let text = serde_json::to_string(&listed).map_err(std::io::Error::other);
        let write = |f: &mut std::fs::File| -> std::io::Result<()> {
            f.write_all(text?.as_bytes())?;
            f.sync_all()
        };
        std::fs::File::create(m)
            .and_then(|mut f| write(&mut f))
            .map_err(|e| Error::new("cannot write", m, e))?;
        sync_dir(dir);
        failpoint("commit-manifest");
    }
    for (i, (tmp, dest)) in pairs.iter().enumerate() {
        std::fs::rename(tmp, dest).map_err(|e| Error::new("cannot write", dest, e))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_dead_processes_left_is_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".ledgerline-999999999-abc.tmp");
        let legacy = dir.path().join(".ledgerline-partial-999999999-abc.part");
        let mine = dir
            .path()
            .join(format!(".ledgerline-{}-x.tmp", std::process::id()));
        for p in [&dead, &legacy, &mine] {
            std::fs::write(p, b"half").unwrap();
        }
        std::fs::write(dir.path().join("keep.csv"), b"x").unwrap();
        let done = recover_dir(dir.path());
        assert_eq!(done.len(), 2, "{done:?}");
        assert!(!dead.exists() && !legacy.exists());
        assert!(mine.exists() && dir.path().join("keep.csv").exists());
    }

    #[test]
    fn a_manifest_left_by_a_killed_commit_is_rolled_forward() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join(".ledgerline-999999999-a.tmp");
        std::fs::write(&tmp, b"journals").unwrap();
        let dest = dir.path().join("out.csv");
        let manifest = dir.path().join(".ledgerline-commit-999999999-2.json");
        std::fs::write(&manifest, serde_json::to_string(&[(&tmp, &dest)]).unwrap()).unwrap();
        recover_dir(dir.path());
        assert_eq!(std::fs::read(&dest).unwrap(), b"journals");
        assert!(!manifest.exists() && !tmp.exists());
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_private_and_set_dest_moves_the_commit() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut f = AtomicFile::create_private(&dir.path().join("a")).unwrap();
        f.writer().write_all(b"secret").unwrap();
        f.set_dest(&dir.path().join("b"));
        f.commit().unwrap();
        let meta = std::fs::metadata(dir.path().join("b")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert!(!dir.path().join("a").exists());
    }
}

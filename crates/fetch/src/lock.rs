//! Advisory file locks: one `fetch` run at a time per output folder and per run ledger
//! ([`FetchLock`]), and one token refresh at a time per token store
//! ([`TokenStore::lock`](crate::TokenStore::lock)).
//!
//! A lock is an OS advisory lock (`flock` on Unix, `LockFileEx` on Windows) on a small lock
//! file, held as long as the [`FileLock`] lives. The operating system releases it when the
//! process ends, however it ends, so a killed run never leaves a stale lock behind: the lock
//! file itself may stay, and means nothing without the lock. The holder writes its process
//! id (and when it took the lock) into the file, so that a refused run can say who holds it.
//!
//! ```
//! use ledgerline_fetch::lock::{FetchLock, FileLock};
//! let dir = tempfile::tempdir().unwrap();
//! let out = dir.path().join("incoming");
//! let ledger = dir.path().join("ledger.sqlite");
//! let held = FetchLock::acquire(&out, &ledger).unwrap();
//! // A second run on the same folder is refused at once, naming the holder.
//! let err = FetchLock::acquire(&out, &ledger).unwrap_err();
//! assert!(err.to_string().contains(&format!("pid {}", std::process::id())));
//! drop(held);
//! assert!(FetchLock::acquire(&out, &ledger).is_ok());
//! # let _ = FileLock::try_acquire(&dir.path().join("x.lock"));
//! ```

use crate::error::{Error, Result};
use crate::time::{format_unix, now_unix};
use fs4::{FileExt, TryLockError};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock file `fetch` keeps inside its output folder (hidden, so directory inputs of
/// `convert` and `validate` skip it).
pub const OUT_LOCK_NAME: &str = ".ledgerline-fetch.lock";

/// Who holds a lock, as its lock file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holder {
    /// Process id of the holder, when it had written it.
    pub pid: Option<u32>,
    /// When it took the lock (RFC 3339, UTC), when it had written it.
    pub since: Option<String>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.pid, &self.since) {
            (Some(pid), Some(since)) => write!(f, "pid {pid}, since {since}"),
            (Some(pid), None) => write!(f, "pid {pid}"),
            _ => f.write_str("pid not known yet"),
        }
    }
}

impl Holder {
    fn parse(text: &str) -> Holder {
        let mut lines = text.lines();
        let pid = lines.next().and_then(|l| l.trim().parse().ok());
        let since = lines
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Holder { pid, since }
    }
}

/// An exclusive advisory lock on a file, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// Takes the lock on `path` (creating the file, and its directory, when missing) without
    /// waiting. `Ok(Err(holder))` when another process (or another open handle) holds it.
    pub fn try_acquire(path: &Path) -> std::io::Result<std::result::Result<FileLock, Holder>> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        match FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                // Best effort: the holder may not have written its pid yet.
                let _ = file.read_to_string(&mut text);
                return Ok(Err(Holder::parse(&text)));
            }
            Err(TryLockError::Error(e)) => return Err(e),
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(
            file,
            "{}\n{}\n",
            std::process::id(),
            format_unix(now_unix())
        )?;
        file.flush()?;
        Ok(Ok(FileLock {
            file,
            path: path.to_owned(),
        }))
    }

    /// Takes the lock on `path`, waiting up to `wait` for another holder to let go.
    /// `Ok(Err(holder))` when it still held the lock after `wait`.
    pub fn acquire_within(
        path: &Path,
        wait: Duration,
    ) -> std::io::Result<std::result::Result<FileLock, Holder>> {
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(5);
        loop {
            match Self::try_acquire(path)? {
                Ok(lock) => return Ok(Ok(lock)),
                Err(holder) if Instant::now() >= deadline => return Ok(Err(holder)),
                Err(_) => {
                    std::thread::sleep(
                        pause.min(deadline.saturating_duration_since(Instant::now())),
                    );
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Still locked here: clear the pid so a leftover file names nobody. Closing the file
        // right after releases the lock.
        let _ = self.file.set_len(0);
        let _ = FileExt::unlock(&self.file);
    }
}

/// What one `fetch` run holds for its whole duration: its output folder and its run ledger.
#[derive(Debug)]
pub struct FetchLock {
    _out: FileLock,
    _ledger: FileLock,
}

impl FetchLock {
    /// The lock file of the run ledger at `ledger`: `<ledger>.lock` beside it.
    pub fn ledger_lock_path(ledger: &Path) -> PathBuf {
        let mut name = ledger.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        ledger.with_file_name(name)
    }

    /// Takes both locks without waiting (creating `out_dir` when missing). Another run
    /// holding either is [`Error::Busy`], naming the folder or ledger and the holder.
    pub fn acquire(out_dir: &Path, ledger: &Path) -> Result<FetchLock> {
        std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
        let out_lock = out_dir.join(OUT_LOCK_NAME);
        let out = take(
            &out_lock,
            "output folder",
            out_dir,
            "or give this run another --out",
        )?;
        let ledger_lock = Self::ledger_lock_path(ledger);
        let ledger = take(
            &ledger_lock,
            "run ledger",
            ledger,
            "or give this run another --ledger",
        )?;
        Ok(FetchLock {
            _out: out,
            _ledger: ledger,
        })
    }
}

fn take(lock: &Path, what: &'static str, path: &Path, alternative: &str) -> Result<FileLock> {
    match FileLock::try_acquire(lock) {
        Ok(Ok(l)) => Ok(l),
        Ok(Err(holder)) => Err(Error::Busy {
            what,
            path: path.to_owned(),
            lock: lock.to_owned(),
            holder,
            hint: format!("wait for it to finish, {alternative}"),
        }),
        Err(e) => Err(Error::io(lock, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_handle_is_refused_and_the_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.lock");
        let held = FileLock::try_acquire(&path).unwrap().unwrap();
        let holder = FileLock::try_acquire(&path).unwrap().unwrap_err();
        assert_eq!(holder.pid, Some(std::process::id()));
        assert!(holder.since.is_some());
        assert!(
            FileLock::acquire_within(&path, Duration::from_millis(30))
                .unwrap()
                .is_err()
        );
        drop(held);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        assert!(FileLock::try_acquire(&path).unwrap().is_ok());
    }

    #[test]
    fn waiting_gets_the_lock_once_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = FileLock::try_acquire(&path).unwrap().unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(held);
        });
        assert!(
            FileLock::acquire_within(&path, Duration::from_secs(10))
                .unwrap()
                .is_ok()
        );
        t.join().unwrap();
    }

    #[test]
    fn holder_text() {
        assert_eq!(Holder::parse("12\n2026-01-01T00:00:00Z\n").pid, Some(12));
        assert_eq!(Holder::parse("").to_string(), "pid not known yet");
        assert_eq!(Holder::parse("garbage").pid, None);
    }

    #[test]
    fn fetch_lock_is_per_folder_and_per_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        let l1 = dir.path().join("l1.sqlite");
        let l2 = dir.path().join("l2.sqlite");
        let _held = FetchLock::acquire(&a, &l1).unwrap();
        let e = FetchLock::acquire(&a, &l2).unwrap_err().to_string();
        assert!(e.contains("output folder"), "{e}");
        assert!(e.contains(&a.display().to_string()), "{e}");
        let e = FetchLock::acquire(&b, &l1).unwrap_err().to_string();
        assert!(e.contains("run ledger"), "{e}");
        assert!(e.contains("l1.sqlite"), "{e}");
        // Refused on the ledger: the folder lock taken on the way is let go again.
        assert!(FetchLock::acquire(&b, &l2).is_ok());
    }
}

//! One sync run at a time per run ledger: an advisory lock on `<ledger>.sync.lock`
//! (the file lock of `ledgerline-fetch`, released by the OS however the run ends). A
//! second run is refused at once with the holder's process id, so two runs never send the
//! same plan twice.

use crate::error::{Result, SyncError};
use ledgerline_fetch::lock::FileLock;
use std::path::{Path, PathBuf};

/// Held for the whole of a sync run.
#[derive(Debug)]
pub struct SyncLock {
    _lock: FileLock,
}

impl SyncLock {
    /// The lock file of the run ledger at `ledger`: `<ledger>.sync.lock` beside it.
    pub fn path(ledger: &Path) -> PathBuf {
        let mut name = ledger.file_name().unwrap_or_default().to_os_string();
        name.push(".sync.lock");
        ledger.with_file_name(name)
    }

    /// Takes the lock without waiting; another sync run holding it is [`SyncError::Busy`].
    pub fn acquire(ledger: &Path) -> Result<SyncLock> {
        let lock = Self::path(ledger);
        match FileLock::try_acquire(&lock) {
            Ok(Ok(l)) => Ok(SyncLock { _lock: l }),
            Ok(Err(holder)) => Err(SyncError::Busy {
                ledger: ledger.to_owned(),
                lock,
                holder: holder.to_string(),
            }),
            Err(source) => Err(SyncError::Read { path: lock, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_second_run_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.sqlite");
        let held = super::SyncLock::acquire(&ledger).unwrap();
        let err = super::SyncLock::acquire(&ledger).unwrap_err().to_string();
        assert!(err.contains("another sync run"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(held);
        super::SyncLock::acquire(&ledger).unwrap();
    }
}

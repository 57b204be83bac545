//! The token store: one small JSON file holding the company connection.
//!
//! It is created with mode 0600 and refused when group or others can read it. Every save
//! writes a sibling temporary file (0600), syncs it and renames it over the old one, so a
//! rotated refresh token is either fully on disk or not at all; callers save a rotated token
//! before they use it again. [`TokenStore::lock`] serialises refreshes between processes
//! sharing one store.

use crate::error::{Error, Result};
use crate::lock::FileLock;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the store keeps. `Debug` never shows the tokens.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredTokens {
    /// Format version of this file.
    pub version: u32,
    /// The OAuth client the tokens belong to.
    pub client_id: String,
    /// The company UUID given to `connect`, when known.
    #[serde(default)]
    pub company_id: Option<String>,
    /// The base URL every later call (refresh included) goes to, as Concur returned it.
    pub geolocation: String,
    /// The current access token.
    pub access_token: String,
    /// When the access token expires (Unix seconds).
    pub access_expires_at: i64,
    /// The current refresh token.
    pub refresh_token: String,
    /// When the refresh token expires (Unix seconds), when Concur said.
    #[serde(default)]
    pub refresh_expires_at: Option<i64>,
    /// Granted scopes, space separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// When `connect` ran (Unix seconds).
    pub connected_at: i64,
    /// When the tokens were last refreshed (Unix seconds).
    pub refreshed_at: i64,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("client_id", &self.client_id)
            .field("company_id", &self.company_id)
            .field("geolocation", &self.geolocation)
            .field("access_token", &"<redacted>")
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_token", &"<redacted>")
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish_non_exhaustive()
    }
}

/// Current format version of the store file.
pub const STORE_VERSION: u32 = 1;

/// A token store file.
#[derive(Debug, Clone)]
pub struct TokenStore {
    path: PathBuf,
}

impl TokenStore {
    /// A store at `path` (nothing is read or written yet).
    pub fn new(path: impl Into<PathBuf>) -> TokenStore {
        TokenStore { path: path.into() }
    }

    /// The default location: `$LEDGERLINE_TOKEN_STORE`, else
    /// `$XDG_CONFIG_HOME/ledgerline/tokens.json`, else `~/.config/ledgerline/tokens.json`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("LEDGERLINE_TOKEN_STORE").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|p| !p.is_empty())
                    .map(|h| PathBuf::from(h).join(".config"))
            })?;
        Some(base.join("ledgerline").join("tokens.json"))
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::TokenStore {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Loads the tokens. A missing file means "not connected"; a file readable by group or
    /// others is refused.
    pub fn load(&self) -> Result<StoredTokens> {
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::ReconnectNeeded {
                    reason: format!("no token store at {}", self.path.display()),
                });
            }
            Err(e) => return Err(self.err(e.to_string())),
        };
        check_private(&file).map_err(|m| self.err(m))?;
        let tokens: StoredTokens =
            serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
                self.err(format!(
                    "not a ledgerline token store ({e}); run `ledgerline connect` again"
                ))
            })?;
        if tokens.version != STORE_VERSION {
            return Err(self.err(format!(
                "store format version {} is not supported (expected {STORE_VERSION})",
                tokens.version
            )));
        }
        Ok(tokens)
    }

    /// Saves atomically: a 0600 temporary file next to the store, synced, then renamed.
    pub fn save(&self, tokens: &StoredTokens) -> Result<()> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        #[cfg(unix)]
        {
            // A freshly created private directory for secrets, like ~/.config/ledgerline.
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(&dir)
                && meta.permissions().mode() & 0o022 != 0
                && dir.ends_with("ledgerline")
            {
                let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
            }
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(".tokens-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o600));
        }
        let mut tmp = builder.tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
        let json = serde_json::to_vec_pretty(tokens).map_err(|e| self.err(e.to_string()))?;
        tmp.write_all(&json)
            .and_then(|()| tmp.write_all(b"\n"))
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| Error::io(tmp.path().to_path_buf(), e))?;
        tmp.persist(&self.path)
            .map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }

    /// The lock file that serialises refreshes: `<store>.lock` beside the store (the store
    /// itself is replaced on every save, so it cannot carry the lock).
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    /// Takes the store's lock, waiting up to `wait` for another process to finish its
    /// refresh. Hold it from reading the current refresh token until the rotated one is
    /// saved, so that two processes never refresh with the same token.
    pub fn lock(&self, wait: std::time::Duration) -> Result<FileLock> {
        let path = self.lock_path();
        match FileLock::acquire_within(&path, wait) {
            Ok(Ok(lock)) => Ok(lock),
            Ok(Err(holder)) => Err(self.err(format!(
                "another process ({holder}) has held its lock {} for more than {} s while \
                 refreshing the tokens; try again once it has finished",
                path.display(),
                wait.as_secs()
            ))),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Deletes the store (after a revocation).
    pub fn remove(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }
}

#[cfg(unix)]
fn check_private(file: &std::fs::File) -> std::result::Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "is readable or writable by group or others (mode {:o}); refusing to use it. \
             Fix with `chmod 600` if you trust it, or delete it and run `ledgerline connect` again",
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &std::fs::File) -> std::result::Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredTokens {
        StoredTokens {
            version: STORE_VERSION,
            client_id: "c".into(),
            company_id: Some("co".into()),
            geolocation: "http://127.0.0.1:1".into(),
            access_token: "SECRET-ACCESS".into(),
            access_expires_at: 10,
            refresh_token: "SECRET-REFRESH".into(),
            refresh_expires_at: None,
            scope: None,
            connected_at: 1,
            refreshed_at: 1,
        }
    }

    #[test]
    fn saves_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("sub/tokens.json"));
        store.save(&sample()).unwrap();
        assert_eq!(store.load().unwrap(), sample());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let shown = format!("{:?}", sample());
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_group_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens.json"));
        store.save(&sample()).unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(err.contains("refusing"), "{err}");
    }

    #[test]
    fn missing_means_reconnect() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("none.json"));
        assert!(matches!(store.load(), Err(Error::ReconnectNeeded { .. })));
    }
}

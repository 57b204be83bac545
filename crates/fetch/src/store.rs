//! The token store: one small private JSON file holding one connection per Concur company,
//! so that one integrator's app can serve many companies from one store.
//!
//! It is created with mode 0600 and refused when group or others can read it. Every change
//! re-reads the file, replaces one company's connection and writes a sibling temporary file
//! (0600), synced and renamed over the old one, so a rotated refresh token is either fully
//! on disk or not at all, and the other companies' connections are kept. Changes are made
//! with the store's lock held ([`TokenStore::lock`]), which also serialises refreshes
//! between processes sharing the store. A file of the single-connection format (version 1)
//! is read as a store holding that one connection and written in the current format at
//! its next change.

use crate::error::{Error, Result, StoreProblem};
use crate::lock::FileLock;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One company's connection. `Debug` never shows the tokens.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredTokens {
    /// The OAuth client the tokens belong to.
    pub client_id: String,
    /// The company UUID given to `connect` (unknown only in stores of very old versions).
    #[serde(default)]
    pub company_id: Option<String>,
    /// The host of the first token exchange (`connect --base-url`), when recorded: version 1
    /// stores did not record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
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
            .field("base_url", &self.base_url)
            .field("geolocation", &self.geolocation)
            .field("access_token", &"<redacted>")
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_token", &"<redacted>")
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish_non_exhaustive()
    }
}

impl StoredTokens {
    /// The company as shown in messages and listings.
    pub fn company_label(&self) -> String {
        self.company_id
            .clone()
            .unwrap_or_else(|| "(unknown company)".into())
    }
}

/// Current format version of the store file: `{"version": 2, "connections": [...]}`.
pub const STORE_VERSION: u32 = 2;

/// The single-connection format of earlier versions: the connection's fields and
/// `"version": 1` at the top level. Read, never written.
pub const LEGACY_STORE_VERSION: u32 = 1;

/// The file as written.
#[derive(Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    connections: Vec<StoredTokens>,
}

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

    fn err(&self, problem: StoreProblem) -> Error {
        Error::TokenStore {
            path: self.path.clone(),
            problem,
        }
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Every stored connection, in the order they were first made. A missing file holds
    /// none; a file readable by group or others is refused.
    pub fn load_all(&self) -> Result<Vec<StoredTokens>> {
        Ok(self.read()?.unwrap_or_default())
    }

    /// `None` when the file does not exist.
    fn read(&self) -> Result<Option<Vec<StoredTokens>>> {
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.err(StoreProblem::Unreadable(e))),
        };
        check_private(&file).map_err(|p| self.err(p))?;
        let value: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(file))
            .map_err(|e| self.err(StoreProblem::NotAStore(e)))?;
        let version = value.get("version").and_then(|v| v.as_u64());
        let connections =
            match version {
                Some(v) if v == u64::from(STORE_VERSION) => {
                    serde_json::from_value::<StoreFile>(value)
                        .map_err(|e| self.err(StoreProblem::NotAStore(e)))?
                        .connections
                }
                // One connection, its fields at the top level.
                Some(v) if v == u64::from(LEGACY_STORE_VERSION) => {
                    vec![
                        serde_json::from_value::<StoredTokens>(value)
                            .map_err(|e| self.err(StoreProblem::NotAStore(e)))?,
                    ]
                }
                Some(v) => return Err(self.err(StoreProblem::Version(v))),
                None => {
                    return Err(self.err(StoreProblem::NotAStore(
                        serde::de::Error::missing_field("version"),
                    )));
                }
            };
        Ok(Some(connections))
    }

    /// The connection to use. `company`: the one asked for (`--company`, the config file's
    /// `company_id`). Without one, the store's only connection; several are
    /// [`Error::CompanyNotChosen`], listing them. No store, or none for the company asked for,
    /// means a person has to run `connect` ([`Error::needs_connect`]).
    pub fn load(&self, company: Option<&str>) -> Result<StoredTokens> {
        let Some(all) = self.read()? else {
            return Err(Error::ReconnectNeeded {
                reason: format!("no token store at {}", self.path.display()),
            });
        };
        let labels = || all.iter().map(StoredTokens::company_label).collect();
        match company {
            Some(c) => all
                .iter()
                .find(|t| {
                    t.company_id
                        .as_deref()
                        .is_some_and(|id| same_company(id, c))
                })
                .cloned()
                .ok_or_else(|| Error::UnknownCompany {
                    company: c.to_owned(),
                    store: self.path.clone(),
                    available: labels(),
                }),
            None => match all.as_slice() {
                [] => Err(Error::ReconnectNeeded {
                    reason: format!("no connection in the token store {}", self.path.display()),
                }),
                [one] => Ok(one.clone()),
                _ => Err(Error::CompanyNotChosen {
                    store: self.path.clone(),
                    available: labels(),
                }),
            },
        }
    }

    /// The connection of exactly this company (`None`: the one of unknown company), if stored.
    pub(crate) fn load_exact(&self, company: Option<&str>) -> Result<Option<StoredTokens>> {
        Ok(self
            .read()?
            .unwrap_or_default()
            .into_iter()
            .find(|t| same_slot(t.company_id.as_deref(), company)))
    }

    /// Saves one company's connection, replacing its earlier one and keeping the others:
    /// re-reads the file, then writes a 0600 temporary file next to it, synced, and renames
    /// it into place. `lock` is this store's lock ([`TokenStore::lock`]), held from reading
    /// the tokens being replaced until this returns.
    pub fn save(&self, tokens: &StoredTokens, lock: &FileLock) -> Result<()> {
        self.check_lock(lock)?;
        let mut all = self.read()?.unwrap_or_default();
        match all
            .iter_mut()
            .find(|t| same_slot(t.company_id.as_deref(), tokens.company_id.as_deref()))
        {
            Some(slot) => *slot = tokens.clone(),
            None => all.push(tokens.clone()),
        }
        self.write(&all)
    }

    /// Deletes one company's connection (after a revocation), and the file with the last one.
    /// `lock`: as for [`TokenStore::save`].
    pub fn remove(&self, company: Option<&str>, lock: &FileLock) -> Result<()> {
        self.check_lock(lock)?;
        let Some(mut all) = self.read()? else {
            return Ok(());
        };
        all.retain(|t| !same_slot(t.company_id.as_deref(), company));
        if !all.is_empty() {
            return self.write(&all);
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }

    fn check_lock(&self, lock: &FileLock) -> Result<()> {
        let expected = self.lock_path();
        if lock.path() != expected {
            return Err(self.err(StoreProblem::NotLocked {
                expected,
                given: lock.path().to_owned(),
            }));
        }
        Ok(())
    }

    fn write(&self, connections: &[StoredTokens]) -> Result<()> {
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
        let file = StoreFile {
            version: STORE_VERSION,
            connections: connections.to_vec(),
        };
        let json =
            serde_json::to_vec_pretty(&file).map_err(|e| self.err(StoreProblem::Serialize(e)))?;
        let atomic = |e: ledgerline_atomic::Error| Error::io(e.path, e.source);
        let mut tmp = ledgerline_atomic::AtomicFile::create_private(&self.path).map_err(atomic)?;
        tmp.writer()
            .write_all(&json)
            .and_then(|()| tmp.writer().write_all(b"\n"))
            .map_err(|e| Error::io(tmp.temp_path().to_path_buf(), e))?;
        tmp.commit().map_err(atomic)?;
        Ok(())
    }

    /// The lock file that serialises changes: `<store>.lock` beside the store (the store
    /// itself is replaced on every save, so it cannot carry the lock).
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    /// Takes the store's lock, waiting up to `wait` for another process to finish its
    /// refresh. Hold it from reading the current refresh token until the rotated one is
    /// saved, so that two processes never refresh with the same token, and around every
    /// [`save`](TokenStore::save) and [`remove`](TokenStore::remove), so that no process
    /// writes back another company's stale tokens.
    pub fn lock(&self, wait: std::time::Duration) -> Result<FileLock> {
        let path = self.lock_path();
        match FileLock::acquire_within(&path, wait) {
            Ok(Ok(lock)) => Ok(lock),
            Ok(Err(holder)) => Err(self.err(StoreProblem::Busy {
                holder,
                lock: path,
                wait,
            })),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}

/// Company ids are UUIDs: compared without regard to case or surrounding spaces.
fn same_company(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Whether a stored connection is the one of `company` (`None` only matches `None`).
fn same_slot(stored: Option<&str>, company: Option<&str>) -> bool {
    match (stored, company) {
        (Some(a), Some(b)) => same_company(a, b),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(unix)]
fn check_private(file: &std::fs::File) -> std::result::Result<(), StoreProblem> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .map_err(StoreProblem::Unreadable)?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(StoreProblem::NotPrivate { mode: mode & 0o777 });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &std::fs::File) -> std::result::Result<(), StoreProblem> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sample(company: &str) -> StoredTokens {
        StoredTokens {
            client_id: "c".into(),
            company_id: Some(company.into()),
            base_url: Some("http://127.0.0.1:1".into()),
            geolocation: "http://127.0.0.1:1".into(),
            access_token: format!("SECRET-ACCESS-{company}"),
            access_expires_at: 10,
            refresh_token: format!("SECRET-REFRESH-{company}"),
            refresh_expires_at: None,
            scope: None,
            connected_at: 1,
            refreshed_at: 1,
        }
    }

    fn save(store: &TokenStore, t: &StoredTokens) {
        let lock = store.lock(Duration::from_secs(1)).unwrap();
        store.save(t, &lock).unwrap();
    }

    #[cfg(unix)]
    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn saves_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("sub/tokens.json"));
        save(&store, &sample("A"));
        assert_eq!(store.load(None).unwrap(), sample("A"));
        assert_eq!(
            store.load(Some("a")).unwrap(),
            sample("A"),
            "UUIDs ignore case"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let shown = format!("{:?}", sample("A"));
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn one_connection_per_company() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens.json"));
        save(&store, &sample("A"));
        save(&store, &sample("B"));
        let mut a2 = sample("A");
        a2.refresh_token = "ROTATED".into();
        save(&store, &a2);
        // Replaced in place, the other kept.
        assert_eq!(store.load_all().unwrap(), vec![a2.clone(), sample("B")]);
        assert_eq!(store.load(Some("A")).unwrap(), a2);
        assert_eq!(store.load(Some("B")).unwrap(), sample("B"));
        // Several and none chosen: an error naming both.
        let e = store.load(None).unwrap_err();
        assert!(matches!(e, Error::CompanyNotChosen { .. }), "{e}");
        let e = e.to_string();
        assert!(
            e.contains("2 companies: A, B") && e.contains("--company"),
            "{e}"
        );
        // One asked for that is not there: connect it.
        let e = store.load(Some("C")).unwrap_err();
        assert!(e.needs_connect(), "{e}");
        assert!(
            e.to_string().contains("ledgerline connect --company C"),
            "{e}"
        );
        // Disconnecting one keeps the other; the last one takes the file with it.
        let lock = store.lock(Duration::from_secs(1)).unwrap();
        store.remove(Some("A"), &lock).unwrap();
        assert_eq!(store.load(None).unwrap(), sample("B"));
        store.remove(Some("B"), &lock).unwrap();
        assert!(!store.exists());
        assert!(store.load(None).unwrap_err().needs_connect());
    }

    #[test]
    fn changes_need_the_stores_own_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens.json"));
        let other = TokenStore::new(dir.path().join("other.json"));
        let lock = other.lock(Duration::from_secs(1)).unwrap();
        let e = store.save(&sample("A"), &lock).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TokenStore {
                    problem: StoreProblem::NotLocked { .. },
                    ..
                }
            ),
            "{e}"
        );
        assert!(!store.exists());
    }

    /// A store written by the single-connection version, byte for byte as it wrote them.
    const LEGACY: &str = r#"{
  "version": 1,
  "client_id": "ledgerline-demo-client",
  "company_id": "59c5bfd1-1803-4ca8-b43a-df083a5c60f9",
  "geolocation": "https://us.api.concursolutions.com",
  "access_token": "SECRET-ACCESS",
  "access_expires_at": 1767225600,
  "refresh_token": "SECRET-REFRESH",
  "refresh_expires_at": 1782864000,
  "scope": "openid EXTRCT PAYBAT company.read",
  "connected_at": 1767222000,
  "refreshed_at": 1767222000
}
"#;

    #[test]
    fn a_single_connection_store_of_the_old_format_is_read_and_migrated_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens.json"));
        std::fs::write(store.path(), LEGACY).unwrap();
        #[cfg(unix)]
        chmod(store.path(), 0o600);
        let old = store.load(None).unwrap();
        assert_eq!(
            old.company_id.as_deref(),
            Some("59c5bfd1-1803-4ca8-b43a-df083a5c60f9")
        );
        assert_eq!(old.refresh_token, "SECRET-REFRESH");
        assert_eq!(old.refresh_expires_at, Some(1_782_864_000));
        assert_eq!(old.base_url, None, "not recorded by version 1");
        assert_eq!(
            store
                .load(Some("59C5BFD1-1803-4CA8-B43A-DF083A5C60F9"))
                .unwrap(),
            old
        );
        assert!(store.load(Some("other")).unwrap_err().needs_connect());
        // Reading changes nothing on disk.
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), LEGACY);
        // The next change writes the current format, the old connection kept as it was.
        save(&store, &sample("B"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(store.path()).unwrap()).unwrap();
        assert_eq!(v["version"], 2);
        assert_eq!(v["connections"].as_array().unwrap().len(), 2);
        assert!(v["connections"][0].get("version").is_none());
        assert_eq!(store.load_all().unwrap(), vec![old, sample("B")]);
    }

    #[test]
    fn unknown_versions_and_other_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens.json"));
        for (text, want) in [
            (
                r#"{"version": 3, "connections": []}"#,
                "version 3 is not supported",
            ),
            (r#"{"connections": []}"#, "not a ledgerline token store"),
            ("<html/>", "not a ledgerline token store"),
        ] {
            std::fs::write(store.path(), text).unwrap();
            #[cfg(unix)]
            chmod(store.path(), 0o600);
            let e = store.load(None).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
            // Nor is another connection written into it.
            let lock = store.lock(Duration::from_secs(1)).unwrap();
            assert!(store.save(&sample("A"), &lock).is_err());
            assert_eq!(std::fs::read_to_string(store.path()).unwrap(), text);
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_group_readable() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens.json"));
        save(&store, &sample("A"));
        chmod(store.path(), 0o640);
        let err = store.load(None).unwrap_err().to_string();
        assert!(err.contains("refusing"), "{err}");
        assert!(store.load_all().is_err());
    }

    #[test]
    fn missing_means_reconnect() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("none.json"));
        assert!(matches!(
            store.load(None),
            Err(Error::ReconnectNeeded { .. })
        ));
        assert!(matches!(
            store.load(Some("A")),
            Err(Error::ReconnectNeeded { .. })
        ));
        assert_eq!(store.load_all().unwrap(), Vec::new());
    }
}

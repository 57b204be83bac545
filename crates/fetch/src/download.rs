//! Streaming downloads: body -> hidden temporary file in the output directory (a
//! `ledgerline_atomic::AtomicFile`), checked
//! against Content-Length (and, for zips, every entry's CRC), SHA-256 hashed, synced, then
//! renamed to its final name. A failed attempt leaves nothing under the final name.

use crate::client::{Client, Retry, expect_success};
use crate::error::{DownloadProblem, Error, Result, ZipProblem};
use crate::http::Req;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A file that arrived intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Final path.
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Content-Type as served.
    pub content_type: String,
}

/// Makes a file-name-safe slug: ASCII letters, digits, `-` and `_`; the rest becomes `_`.
///
/// ```
/// assert_eq!(ledgerline_fetch::download::slug("Standard Accounting Extract"), "standard-accounting-extract");
/// assert_eq!(ledgerline_fetch::download::slug("nYoPK$pZm/x"), "nYoPK_pZm_x");
/// ```
pub fn slug(s: &str) -> String {
    let lowercase_words = s.contains(' ');
    let out: String = s
        .trim()
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => {
                if lowercase_words {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            }
            ' ' => '-',
            _ => '_',
        })
        .collect();
    let out: String = out.chars().take(80).collect();
    if out.is_empty() { "_".into() } else { out }
}

/// Settles what killed runs left in `dir` (see [`ledgerline_atomic::recover_dir`]): partial
/// downloads of processes that are gone are removed. Returns how many.
pub fn clean_stale_partials(dir: &Path) -> usize {
    ledgerline_atomic::recover_dir(dir).len()
}

fn is_zip(content_type: &str, head: &[u8]) -> bool {
    content_type.to_ascii_lowercase().contains("zip") || head.starts_with(b"PK\x03\x04")
}

/// Reads every entry of a zip to the end, which checks each CRC.
fn check_zip(file: &mut std::fs::File) -> std::result::Result<usize, ZipProblem> {
    file.rewind().map_err(ZipProblem::Reread)?;
    let mut archive = zip::ZipArchive::new(&mut *file).map_err(ZipProblem::NotAZip)?;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|source| ZipProblem::Entry { index, source })?;
        std::io::copy(&mut entry, &mut std::io::sink()).map_err(|source| {
            ZipProblem::EntryData {
                name: entry.name().to_owned(),
                source,
            }
        })?;
    }
    Ok(archive.len())
}

impl Client {
    /// Downloads `url` into `out_dir` as `{stem}.csv` or `{stem}.zip` (by content), retrying
    /// a broken or short body from scratch with backoff.
    pub fn download(&mut self, url: &str, out_dir: &Path, stem: &str) -> Result<Downloaded> {
        std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
        let max = self.max_attempts();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = self.send(
                &Req::get(
                    url,
                    "text/csv, application/zip, application/octet-stream, */*",
                ),
                Retry::Safe,
            )?;
            let resp = expect_success(resp, "GET", url)?;
            match self.receive(resp, out_dir, stem) {
                Ok(d) => return Ok(d),
                Err(Received::Fatal(e)) => return Err(e),
                Err(Received::Retry(problem)) => {
                    if attempt >= max {
                        return Err(Error::Download {
                            url: url.into(),
                            problem,
                            attempts: attempt,
                        });
                    }
                    self.log(|| format!("   download incomplete ({problem}); starting over"));
                    self.sleep(self.delay(attempt), "incomplete download");
                }
            }
        }
    }

    fn receive(
        &self,
        resp: ureq::Response,
        out_dir: &Path,
        stem: &str,
    ) -> std::result::Result<Downloaded, Received> {
        let content_type = resp.content_type().to_owned();
        let expected: Option<u64> = resp
            .header("Content-Length")
            .and_then(|v| v.trim().parse().ok());
        let io_fatal = |e: std::io::Error| Received::Fatal(Error::io(out_dir, e));
        let atomic_fatal =
            |e: ledgerline_atomic::Error| Received::Fatal(Error::io(&e.path, e.source));
        // Its name is known once the content is: `.zip` or `.csv`.
        let mut file =
            ledgerline_atomic::AtomicFile::create(&out_dir.join(stem)).map_err(atomic_fatal)?;
        let tmp = file.writer();
        let mut reader = resp.into_reader();
        let mut hasher = Sha256::new();
        let mut got: u64 = 0;
        let mut head = Vec::with_capacity(4);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(Received::Retry(DownloadProblem::ConnectionLost {
                        got,
                        expected,
                        source,
                    }));
                }
            };
            let chunk = &buf[..n];
            if head.len() < 4 {
                head.extend(chunk.iter().take(4 - head.len()));
            }
            hasher.update(chunk);
            tmp.write_all(chunk).map_err(io_fatal)?;
            got += n as u64;
        }
        if let Some(x) = expected
            && x != got
        {
            return Err(Received::Retry(DownloadProblem::LengthMismatch {
                got,
                expected: x,
            }));
        }
        let zip = is_zip(&content_type, &head);
        if zip {
            check_zip(file.writer()).map_err(|p| Received::Retry(p.into()))?;
        }
        let path = out_dir.join(format!("{stem}.{}", if zip { "zip" } else { "csv" }));
        // Synced, renamed, and the folder synced so the rename is durable too.
        file.set_dest(&path);
        file.commit().map_err(atomic_fatal)?;
        let sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.log(|| format!("   saved {} ({got} bytes)", path.display()));
        Ok(Downloaded {
            path,
            sha256,
            bytes: got,
            content_type,
        })
    }
}

enum Received {
    /// Worth downloading again.
    Retry(DownloadProblem),
    /// Local problem; stop.
    Fatal(Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_partials_are_removed_but_not_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".ledgerline-partial-999999999-abc.part");
        std::fs::write(&stale, b"half").unwrap();
        std::fs::write(dir.path().join("keep.csv"), b"x").unwrap();
        assert_eq!(clean_stale_partials(dir.path()), 1);
        assert!(!stale.exists());
        assert!(dir.path().join("keep.csv").exists());
    }

    #[test]
    fn zip_check_catches_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        {
            let f = std::fs::File::create(&path).unwrap();
            let mut z = zip::ZipWriter::new(f);
            z.start_file("a.txt", zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(&b"hello world ".repeat(100)).unwrap();
            z.finish().unwrap();
        }
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        assert_eq!(check_zip(&mut f).unwrap(), 1);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&path, &bytes).unwrap();
        let mut f = std::fs::File::open(&path).unwrap();
        let e = check_zip(&mut f).unwrap_err();
        assert!(matches!(e, ZipProblem::NotAZip(_)), "{e}");
        assert!(e.to_string().starts_with("not a valid zip: "), "{e}");
    }
}

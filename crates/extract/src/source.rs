//! Inputs: files, directories, zip archives (every entry) and standard input.
//!
//! [`for_each_stream`] turns command-line inputs into a sequence of named byte streams.
//! A zip archive is recognised by content and each of its entries becomes its own stream,
//! read through a guard that stops zip bombs: a cap on the total inflated size and on the
//! compression ratio of each entry, checked on the bytes actually inflated (never trusting
//! the sizes the archive declares).

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

/// One command-line input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// A file or directory.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl InputSpec {
    /// `-` is standard input; anything else a path.
    pub fn parse(arg: &str) -> InputSpec {
        if arg == "-" {
            InputSpec::Stdin
        } else {
            InputSpec::Path(PathBuf::from(arg))
        }
    }
}

/// Limits that protect against zip bombs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Most bytes all entries of one archive may inflate to.
    pub max_total: u64,
    /// Highest inflated/compressed ratio of an entry (checked once it passes 1 MiB).
    pub max_ratio: u64,
    /// Most entries read from one archive.
    pub max_entries: usize,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_total: 16 << 30,
            max_ratio: 1000,
            max_entries: 10_000,
        }
    }
}

/// Why an input could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The operating system refused.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The zip archive is corrupt.
    #[error("zip archive cannot be read: {0}")]
    Archive(String),
    /// A zip limit tripped.
    #[error("{0}")]
    Limit(#[from] ZipLimitError),
}

/// A zip-bomb guard tripped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipLimitError {
    /// Total inflated size over the limit.
    #[error("archive inflates to more than {limit} bytes (limit set by --max-inflated)")]
    Total {
        /// The limit.
        limit: u64,
    },
    /// Ratio over the limit.
    #[error(
        "entry inflates more than {limit} times its compressed size ({inflated} bytes from {compressed}); refusing a probable zip bomb"
    )]
    Ratio {
        /// The limit.
        limit: u64,
        /// Inflated so far.
        inflated: u64,
        /// Compressed size.
        compressed: u64,
    },
    /// Too many entries.
    #[error("archive has more than {limit} entries")]
    Entries {
        /// The limit.
        limit: usize,
    },
}

impl ZipLimitError {
    /// The finding code of this guard: the ratio guard (a probable zip bomb) has its own.
    pub fn check(&self) -> ledgerline_findings::Check {
        match self {
            ZipLimitError::Ratio { .. } => ledgerline_findings::Check::ArchiveRatio,
            _ => ledgerline_findings::Check::ArchiveTooLarge,
        }
    }

    /// The zip-limit error inside an I/O error produced by a guarded entry reader, if any.
    pub fn from_io(e: &io::Error) -> Option<&ZipLimitError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<ZipLimitError>())
    }
}

/// One stream handed to the visitor.
pub struct Stream<'a> {
    /// Display name: the path, `archive.zip!entry`, or `-`.
    pub name: String,
    /// The bytes.
    pub reader: &'a mut (dyn Read + Send),
    /// Expected size in bytes, when known (for progress bars).
    pub size_hint: Option<u64>,
    /// No stream follows this one: it is the last input of the run (the last entry of a
    /// zip given last counts, the last file of a folder too). What is met here cannot come
    /// back in a later input, so nothing needs remembering for that.
    pub last: bool,
}

/// What the visitor receives for each logical input.
pub enum Opened<'a> {
    /// A readable stream.
    Stream(Stream<'a>),
    /// An input that could not be opened.
    Failed {
        /// Display name.
        name: String,
        /// Why.
        error: SourceError,
    },
}

/// Expands directories (recursively, sorted, hidden entries skipped) into files.
pub fn expand(specs: &[InputSpec]) -> io::Result<Vec<InputSpec>> {
    let mut out = Vec::new();
    for s in specs {
        match s {
            InputSpec::Path(p) if p.is_dir() => walk(p, &mut out)?,
            other => out.push(other.clone()),
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<InputSpec>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(InputSpec::Path(p));
        }
    }
    Ok(())
}

/// Calls `f` once per logical stream of `specs` (directories expanded, zips opened).
/// Stops at the first error `f` returns.
pub fn for_each_stream<E>(
    specs: &[InputSpec],
    limits: &ZipLimits,
    mut f: impl FnMut(Opened<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let specs = match expand(specs) {
        Ok(s) => s,
        Err(e) => {
            return f(Opened::Failed {
                name: specs
                    .iter()
                    .map(|s| match s {
                        InputSpec::Path(p) => p.display().to_string(),
                        InputSpec::Stdin => "-".into(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                error: e.into(),
            });
        }
    };
    for (k, spec) in specs.iter().enumerate() {
        let last_spec = k + 1 == specs.len();
        match spec {
            InputSpec::Path(p) => {
                let name = p.display().to_string();
                match File::open(p) {
                    Ok(file) => {
                        let size = file.metadata().ok().map(|m| m.len());
                        let mut file = BufReader::with_capacity(1 << 16, file);
                        if is_zip(&mut file).unwrap_or(false) {
                            visit_zip(&name, file, limits, last_spec, &mut f)?;
                        } else {
                            f(Opened::Stream(Stream {
                                name,
                                reader: &mut file,
                                size_hint: size,
                                last: last_spec,
                            }))?;
                        }
                    }
                    Err(e) => f(Opened::Failed {
                        name,
                        error: e.into(),
                    })?,
                }
            }
            InputSpec::Stdin => {
                let stdin = io::stdin();
                // The handle, not a lock: the reading stage may run on another thread.
                let mut lock = BufReader::with_capacity(1 << 16, stdin);
                if is_zip(&mut lock).unwrap_or(false) {
                    // A zip needs seeking: spool standard input to a temporary file first.
                    let spooled = tempfile::tempfile().and_then(|mut t| {
                        let limit = limits.max_total.saturating_add(1);
                        io::copy(&mut (&mut lock).take(limit), &mut t)?;
                        t.rewind()?;
                        Ok(t)
                    });
                    match spooled {
                        Ok(t) => visit_zip("-", BufReader::new(t), limits, last_spec, &mut f)?,
                        Err(e) => f(Opened::Failed {
                            name: "-".into(),
                            error: e.into(),
                        })?,
                    }
                } else {
                    f(Opened::Stream(Stream {
                        name: "-".into(),
                        reader: &mut lock,
                        size_hint: None,
                        last: last_spec,
                    }))?;
                }
            }
        }
    }
    Ok(())
}

fn is_zip<R: io::BufRead>(r: &mut R) -> io::Result<bool> {
    let buf = r.fill_buf()?;
    Ok(buf.starts_with(b"PK\x03\x04") || buf.starts_with(b"PK\x05\x06"))
}

fn visit_zip<R: Read + Seek + Send, E>(
    name: &str,
    mut reader: R,
    limits: &ZipLimits,
    last_zip: bool,
    f: &mut impl FnMut(Opened<'_>) -> Result<(), E>,
) -> Result<(), E> {
    // No entry holds more compressed bytes than the whole archive: a header declaring more
    // would let a bomb pass the ratio check (found by fuzzing).
    let archive_len = reader
        .seek(io::SeekFrom::End(0))
        .and_then(|n| reader.seek(io::SeekFrom::Start(0)).map(|_| n))
        .unwrap_or(u64::MAX);
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            return f(Opened::Failed {
                name: name.to_owned(),
                error: SourceError::Archive(e.to_string()),
            });
        }
    };
    if archive.len() > limits.max_entries {
        return f(Opened::Failed {
            name: name.to_owned(),
            error: ZipLimitError::Entries {
                limit: limits.max_entries,
            }
            .into(),
        });
    }
    let mut total = 0u64;
    let entries = archive.len();
    for i in 0..entries {
        let entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                f(Opened::Failed {
                    name: format!("{name}!#{}", i + 1),
                    error: SourceError::Archive(e.to_string()),
                })?;
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let entry_name = format!("{name}!{}", entry.name());
        let compressed = entry.compressed_size().min(archive_len);
        let declared = entry.size();
        let mut guard = Guard {
            inner: entry,
            inflated: 0,
            compressed,
            total: &mut total,
            limits,
        };
        f(Opened::Stream(Stream {
            name: entry_name,
            reader: &mut guard,
            size_hint: Some(declared),
            // Entries after this one may all be folders, but counting it last only then
            // would need a second pass over the directory: it is not counted last.
            last: last_zip && i + 1 == entries,
        }))?;
    }
    Ok(())
}

struct Guard<'t, R> {
    inner: R,
    inflated: u64,
    compressed: u64,
    total: &'t mut u64,
    limits: &'t ZipLimits,
}

impl<R: Read> Read for Guard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.inflated += n as u64;
        *self.total += n as u64;
        if *self.total > self.limits.max_total {
            return Err(io::Error::other(ZipLimitError::Total {
                limit: self.limits.max_total,
            }));
        }
        if self.inflated > (1 << 20)
            && self.inflated / self.compressed.max(1) > self.limits.max_ratio
        {
            return Err(io::Error::other(ZipLimitError::Ratio {
                limit: self.limits.max_ratio,
                inflated: self.inflated,
                compressed: self.compressed,
            }));
        }
        Ok(n)
    }
}

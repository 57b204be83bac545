//! The run over every input: each stream digested as it is read, converted through the
//! posting guards, its findings gathered.

use crate::{Error, Inputs, Result};
use ledgerline_extract::source::{Opened, SourceError, for_each_stream};
use ledgerline_extract::validate::{FileReport, totals};
use ledgerline_findings::{Check, Family, Finding, Findings, Severity};
use ledgerline_guard::accounts::Accounts;
use ledgerline_guard::duplicates::DuplicateCheck;
use ledgerline_guard::gate::Gate;
use ledgerline_journal::pipeline::{ConvertOptions, Sink, StreamReport, convert_reader};
use std::collections::HashMap;
use std::io::Read;

/// Told how a long conversion advances (the binary draws a progress bar).
pub trait Progress {
    /// A stream starts; `size` is its length when known.
    fn start(&mut self, _name: &str, _size: Option<u64>) {}
    /// `bytes` of the stream read so far, `lines` journal lines written.
    fn advance(&mut self, _name: &str, _bytes: u64, _lines: u64) {}
    /// The stream is done.
    fn finish(&mut self) {}
}

/// No progress reporting.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// The outcome of a run over every input.
#[derive(Debug, Default)]
pub struct Run {
    /// One report per logical input.
    pub reports: Vec<FileReport>,
    /// Journals written.
    pub journals: u64,
    /// Journal lines written.
    pub lines: u64,
    /// Lines sent to the rejection report.
    pub rejected: u64,
    /// An input could not be opened at all.
    pub could_not_run: bool,
    /// The files of input folders skipped as no extract at all (each with its warning in
    /// its report), by display name.
    pub skipped: Vec<String>,
}

impl Run {
    /// Error-level findings over every input.
    pub fn errors(&self) -> usize {
        totals(&self.reports).0
    }

    /// Adds the report of one converted stream.
    pub fn add(&mut self, r: StreamReport) {
        if r.validation
            .findings
            .items()
            .iter()
            .any(|f| f.code.check == Check::Unreadable)
        {
            self.could_not_run = true;
        }
        self.journals += r.journals;
        self.lines += r.lines;
        self.rejected += r.rejected;
        self.reports.push(r.validation);
    }

    /// Records an input that could not be opened.
    pub fn failed(&mut self, name: String, error: SourceError, max_findings: usize) {
        let (family, check) = match &error {
            SourceError::Io(_) => {
                self.could_not_run = true;
                (Family::Io, Check::Unreadable)
            }
            SourceError::Archive(_) => (Family::Zip, Check::BadArchive),
            SourceError::Limit(limit) => (Family::Zip, limit.check()),
        };
        let mut findings = Findings::with_limit(max_findings);
        findings.push(Finding::new(
            family,
            check,
            &name,
            format!("cannot read {name}: {error}"),
        ));
        self.reports.push(FileReport {
            file: name,
            kind: None,
            rows: 0,
            reports: 0,
            bytes: 0,
            findings,
        });
    }
}

/// The posting guards between the pipeline and the output (see `ledgerline_guard::gate`).
#[derive(Default)]
pub struct Checks<'a> {
    /// The target ERP's chart of accounts (`--accounts`).
    pub accounts: Option<&'a Accounts>,
    /// The journals posted before (`convert --ledger`).
    pub ledger: Option<&'a mut DuplicateCheck>,
}

/// One stream of a run, handed to the caller of [`for_each_input`]. Reading it digests it.
pub struct InputStream<'a> {
    /// Display name: the path, `archive.zip!entry`, or `-`.
    pub name: String,
    /// Expected size in bytes, when known.
    pub size_hint: Option<u64>,
    /// No input follows this one in the run.
    pub last: bool,
    reader: Hashing<&'a mut (dyn Read + Send)>,
}

impl Read for InputStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reader.read(buf)
    }
}

/// Calls `convert` for each stream of `inputs` (folders expanded, zips opened) and gathers
/// the reports in a [`Run`]. What the engine adds around each call:
/// - the content digest: a stream with the same bytes as an earlier one is an error
///   (IO007) naming both, since every report in it would be posted twice;
/// - a file of an input folder that is no extract at all (a README, `.DS_Store`) is skipped
///   with a warning unless `strict_inputs`;
/// - an input that cannot be opened becomes a finding (and `could_not_run` when the
///   operating system refused it).
pub fn for_each_input<E: From<Error>>(
    inputs: &Inputs,
    mut convert: impl FnMut(&mut InputStream<'_>) -> std::result::Result<StreamReport, E>,
) -> std::result::Result<Run, E> {
    let (specs, from_dir) = inputs.expanded();
    let mut run = Run::default();
    let mut contents: HashMap<u128, String> = HashMap::new();
    for_each_stream(
        &specs,
        &inputs.limits,
        |opened| -> std::result::Result<(), E> {
            match opened {
                Opened::Stream(s) => {
                    let mut stream = InputStream {
                        name: s.name,
                        size_hint: s.size_hint,
                        last: s.last,
                        reader: Hashing::new(s.reader),
                    };
                    let mut r = convert(&mut stream)?;
                    let name = stream.name;
                    if let Some(digest) = stream.reader.digest() {
                        match contents.get(&digest) {
                        Some(first) => r.validation.findings.push(Finding::new(
                            Family::Io,
                            Check::DuplicateInput,
                            &name,
                            format!(
                                "{name} has the same content as {first}: every report in it would be posted twice; give each extract once (with --force its journals are rejected as duplicates)"
                            ),
                        )),
                        None => {
                            contents.insert(digest, name.clone());
                        }
                    }
                    }
                    if from_dir.contains(&name)
                        && !inputs.strict_inputs
                        && skip_if_not_an_extract(&mut r, inputs.max_findings)
                    {
                        run.skipped.push(name);
                    }
                    run.add(r);
                }
                Opened::Failed { name, error } => run.failed(name, error, inputs.max_findings),
            }
            Ok(())
        },
    )?;
    Ok(run)
}

/// Validates and converts every input into `sink`, through the posting guards of `checks`.
pub fn drive(
    inputs: &Inputs,
    opts: &ConvertOptions,
    sink: &mut dyn Sink,
    checks: Checks<'_>,
    progress: &mut dyn Progress,
) -> Result<Run> {
    let mut gate = Gate::new(sink, checks.accounts, checks.ledger);
    for_each_input(inputs, |stream: &mut InputStream<'_>| {
        let name = stream.name.clone();
        let size = stream.size_hint;
        gate.set_last_input(stream.last);
        convert_stream(&name, stream, size, opts, &mut gate, progress)
    })
}

/// Converts one extract stream (or FIS input: JSON with FIS keys, read by `ledgerline-fis`)
/// through `gate`. The gate's findings are added to the
/// stream's report, and what it held back is not counted as written.
pub fn convert_stream<R: Read + Send>(
    name: &str,
    reader: R,
    size_hint: Option<u64>,
    opts: &ConvertOptions,
    gate: &mut Gate<'_>,
    progress: &mut dyn Progress,
) -> Result<StreamReport> {
    progress.start(name, size_hint);
    let held = (gate.held_journals, gate.held_lines);
    let mut r = {
        // The pipeline reports bytes read; the sink counts the journal lines written. Both
        // run on this thread, so a `Cell` shares the count.
        let lines = std::cell::Cell::new(0u64);
        let mut counting = Counting {
            inner: gate,
            lines: &lines,
        };
        let mut tick = |b: u64| progress.advance(name, b, lines.get());
        // FIS documents are told from extracts by their first bytes (JSON with FIS keys).
        let (head, reader) = peek(reader).map_err(Error::Output)?;
        let fis = ledgerline_fis::sniff(&head, (head.len() as u64) < PEEK)
            == ledgerline_fis::Sniffed::Fis;
        let input = std::io::Cursor::new(head).chain(reader);
        if fis {
            ledgerline_fis::convert_reader(name, input, opts, &mut counting, &mut tick)
        } else {
            convert_reader(name, input, opts, &mut counting, &mut tick)
        }
        .map_err(Error::Output)?
    };
    progress.finish();
    for f in gate.take_findings() {
        r.validation.findings.push(f);
    }
    r.journals = r.journals.saturating_sub(gate.held_journals - held.0);
    r.lines = r.lines.saturating_sub(gate.held_lines - held.1);
    Ok(r)
}

/// Bytes looked at to tell FIS JSON from an extract.
const PEEK: u64 = 64 << 10;

/// The first bytes of `reader` (up to [`PEEK`], fewer at its end), and the reader.
fn peek<R: Read>(mut reader: R) -> std::io::Result<(Vec<u8>, R)> {
    let mut head = Vec::new();
    (&mut reader).take(PEEK).read_to_end(&mut head)?;
    Ok((head, reader))
}

/// A file found in an input folder that is no extract at all (a README, a PDF,
/// `.DS_Store`-like clutter) is skipped with a warning instead of failing the run
/// (`strict_inputs` keeps the error). Ledgerline's own outputs (IO005) and damaged
/// extracts stay errors: they look like postings. Returns whether the file was skipped.
pub fn skip_if_not_an_extract(r: &mut StreamReport, limit: usize) -> bool {
    let f = &r.validation.findings;
    let only_unknown = r.validation.kind.is_none()
        && f.errors() == 1
        && f.items()
            .iter()
            .any(|x| matches!(x.code.check, Check::UnknownKind | Check::EmptyFile));
    if !only_unknown {
        return false;
    }
    let mut out = Findings::with_limit(limit);
    for item in f.items() {
        let mut item = item.clone();
        if matches!(item.code.check, Check::UnknownKind | Check::EmptyFile) {
            item.severity = Severity::Warning;
            item.message = format!(
                "{}; skipped (a file in an input folder; --strict-inputs makes this an error, --glob chooses the files read)",
                item.message
            );
        }
        out.push(item);
    }
    r.validation.findings = out;
    true
}

/// Digests what it reads (XXH3-128, several GB/s: it costs nothing next to parsing).
struct Hashing<R> {
    inner: R,
    hasher: xxhash_rust::xxh3::Xxh3,
    bytes: u64,
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            bytes: 0,
        }
    }

    /// The digest of what was read, `None` when nothing was.
    fn digest(&self) -> Option<u128> {
        (self.bytes > 0).then(|| self.hasher.digest128())
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Counts journal lines (for progress) in front of the gate.
struct Counting<'c, 'g, 'a> {
    inner: &'g mut Gate<'a>,
    lines: &'c std::cell::Cell<u64>,
}

impl Sink for Counting<'_, '_, '_> {
    fn write_journal(&mut self, j: &ledgerline_journal::Journal) -> std::io::Result<()> {
        self.lines.set(self.lines.get() + j.lines.len() as u64);
        self.inner.write_journal(j)
    }
    fn reject(&mut self, r: &ledgerline_journal::build::Rejection) -> std::io::Result<()> {
        self.inner.reject(r)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

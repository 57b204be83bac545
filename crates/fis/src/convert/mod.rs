//! One FIS input through the journal builder: JSON values read one after the other (a
//! document, a list, a v4 `content[]` page, the v1 `fIDocuments[]` wrapper; one value, or
//! one per line), each document mapped to its rows ([`crate::map`]) and fed to the
//! builder as [`FisRow`]s, the journals handed to the sink. Memory is bounded by the
//! largest JSON value (a page of documents), not by the file.
//!
//! The stages, one module each: [`read`] (the reading stage: input windows, line numbers,
//! JSON syntax errors), [`document`] (one JSON value as documents, each mapped to its rows
//! and batched), [`build`] (the building stage: rows classified and built into journals
//! for the sink), and [`scan`] (helpers over the buffered JSON text).

mod build;
mod document;
mod read;
mod scan;

use ledgerline_extract::validate::FileReport;
use ledgerline_findings::{Check, Family, Finding, Findings, Position};
use ledgerline_journal::pipeline::{ConvertOptions, Sink, StreamReport};
use std::io::Read;

/// The kind a FIS input is reported as (`validate`, `--json`).
pub const KIND: &str = "FIS documents";

/// Converts one FIS input into `sink`. I/O errors of the sink end the run (`Err`);
/// everything wrong with the input is a finding in the report. `progress` is told the
/// bytes read so far.
///
/// Two stages run on two threads, as for extracts: this thread's spawn reads, parses and
/// maps the documents into rows (their layers of values, [`crate::rows::Layers`]); this
/// thread encodes each row as its SAE line, classifies, builds and writes them. Rows travel
/// in bounded batches, in order, and the batches come back to be reused.
pub fn convert_reader<R: Read + Send>(
    name: &str,
    input: R,
    opts: &ConvertOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<StreamReport> {
    let (to_build, from_read) = std::sync::mpsc::sync_channel::<Batch>(4);
    // Batches go back to the reading stage once built, so their buffers are reused
    // instead of allocated (and their pages faulted in) again for every batch.
    let (recycle, recycled) = std::sync::mpsc::sync_channel::<Batch>(8);
    let (read, built) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || read::read_stage(name, input, opts, to_build, recycled));
        let built = build::build_stage(name, opts, from_read, recycle, sink, progress);
        (reader.join(), built)
    });
    let read =
        read.map_err(|_| std::io::Error::other("the FIS reading stage failed unexpectedly"))?;
    let mut built = built?;
    let mut findings = read.findings;
    findings.absorb(std::mem::replace(
        &mut built.findings,
        Findings::with_limit(0),
    ));
    if read.documents == 0 && findings.errors() == 0 {
        findings.push(Finding::new(
            Family::Fis,
            Check::NoDetails,
            name,
            "the FIS input holds no documents",
        ));
    }
    progress(read.bytes);
    Ok(StreamReport {
        validation: FileReport {
            file: name.to_owned(),
            kind: Some(KIND),
            rows: read.rows,
            reports: read.documents,
            bytes: read.bytes,
            findings,
        },
        journals: built.journals,
        lines: built.lines,
        rejected: built.rejected,
    })
}

/// Rows handed from the reading stage to the building stage.
#[derive(Default)]
struct Batch {
    /// The rows' values, encoded as SAE lines by the building stage.
    layers: crate::rows::Layers,
    rows: Vec<Meta>,
    /// The extract header of each document of the batch that has one (invoices).
    headers: Vec<Option<ledgerline_extract::sae::Header>>,
    /// Input bytes read when the batch was sent.
    offset: u64,
}

impl Batch {
    /// Empty, its buffers kept for the next rows.
    fn clear(&mut self) {
        self.layers.clear();
        self.rows.clear();
        self.headers.clear();
        self.offset = 0;
    }
}

struct Meta {
    row: crate::rows::StoredRow,
    pos: Position,
    /// Its own error (the row is rejected).
    own_error: bool,
    /// Why it is rejected: its own error, or its document held back.
    rejected: Option<String>,
    header: usize,
}

const BATCH_ROWS: usize = 256;

//! The data-parallel pass over an SAE or PRAE input: blocks of whole lines are split,
//! checked and classified on every core (a rayon pool), then validated and built in file
//! order, so the findings, journals and rejections are the same, byte for byte, whatever
//! the thread count or block size.
//!
//! Four kinds of work: one reading thread cuts the input into blocks at line boundaries
//! ([`ExtractReader::next_block`]); pool workers split a block and run what depends on a
//! row alone (encoding, quoting and value checks; the row's classification); a validating
//! thread replays the file-level validator (header, layout, totals, sequence numbers,
//! report consistency) over the prepared rows in order; the calling thread feeds the
//! journal builder and the sink. Blocks are handed on in order through bounded queues, so
//! memory stays bounded by the block size times the blocks in flight plus the reports held
//! open.

use crate::build::Outcome;
use crate::pipeline::{ConvertOptions, Sink, Stage};
use crate::rules::Rules;
use crate::sources::{RowContext, RowError, RowSource};
use ledgerline_extract::Position;
use ledgerline_extract::reader::{ExtractKind, ExtractReader, ReadError};
use ledgerline_extract::sae::{Header, PraeRow, SaeRow};
use ledgerline_extract::split::{BlockSplitter, BlockStart, Dialect, FieldSpan, LineFlags, Record};
use ledgerline_extract::validate::{
    CheckCache, FileReport, FileValidator, RowChecker, RowPrep, RowVerdict,
};
use std::collections::HashMap;
use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

/// Bytes of whole lines per block by default (a block is one task for a worker).
const BLOCK_BYTES: usize = 256 << 10;

/// What one SAE or PRAE input gave.
pub(crate) struct Converted {
    pub(crate) validation: FileReport,
    pub(crate) journals: u64,
    pub(crate) lines: u64,
    pub(crate) rejected: u64,
}

/// What every worker needs: the row checks, the rules and the header rows are read with.
struct Shared {
    checker: RowChecker,
    rules: Arc<Rules>,
    /// The header the validator takes from the file's first line, if that line is one:
    /// rows are classified ahead with it, and again in place if the validator's differs.
    header: Option<Header>,
    prae: bool,
    dialect: Dialect,
    max_line: usize,
}

/// One block: its bytes, and what the workers made of its lines.
#[derive(Default)]
struct Block {
    data: Vec<u8>,
    spans: Vec<FieldSpan>,
    rows: Vec<Row>,
    /// A line too long, with the stream offset of its start: reading stops there.
    error: Option<(ledgerline_extract::split::SplitError, u64)>,
    /// Stream offset after the block.
    end: u64,
    /// What the block was prepared with.
    shared: Option<Arc<Shared>>,
}

struct Row {
    line: (usize, usize),
    spans: (usize, usize),
    pos: Position,
    flags: LineFlags,
    prep: RowPrep,
    /// The outcome classified ahead (detail rows).
    outcome: Option<Result<Outcome, RowError>>,
    /// What the validator made of the row.
    verdict: RowVerdict,
    /// The validator's header when the row was validated, when it is not the one the row
    /// was classified ahead with (then it is classified again).
    header: Option<Option<Box<Header>>>,
}

impl Block {
    fn clear(&mut self) {
        self.data.clear();
        self.spans.clear();
        self.rows.clear();
        self.error = None;
        self.end = 0;
        self.shared = None;
    }
}

/// What the reading thread hands on, in file order.
enum Piece {
    /// A block being prepared by a worker.
    Block(Receiver<Block>),
    /// Reading failed at this offset (I/O, zip limit, a line too long).
    Failed(ReadError, u64),
    /// The end of input, at this offset.
    End(u64),
}

/// The pool for `threads` workers (0: rayon's default), built once per count.
fn pool(threads: usize) -> std::io::Result<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&threads) {
        return Ok(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("ledgerline-block-{i}"))
        .build()
        .map_err(std::io::Error::other)?;
    let p = Arc::new(p);
    pools.insert(threads, p.clone());
    Ok(p)
}

/// Converts one SAE or PRAE input whose kind `reader` detected.
pub(crate) fn convert_blocks<R: Read + Send>(
    name: &str,
    reader: ExtractReader<R>,
    kind: &ExtractKind,
    opts: &ConvertOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<Converted> {
    let pool = pool(opts.threads)?;
    let validator = FileValidator::new(name, kind, opts.max_findings);
    let Some(checker) = validator.checker() else {
        return Err(std::io::Error::other("no row checker for this kind"));
    };
    let in_flight = pool.current_num_threads() + 2;
    let (order, pieces) = sync_channel::<Piece>(in_flight);
    let (recycle, recycled) = channel::<Block>();
    let prae = matches!(kind, ExtractKind::Prae);
    let rules = opts.rules.clone();
    let block_bytes = match opts.block_bytes {
        0 => BLOCK_BYTES,
        n => n,
    };
    let ahead = Ahead {
        checker,
        rules,
        prae,
        block_bytes,
    };
    let (validated, to_build) = sync_channel::<Block>(2);
    let (validation, built) = std::thread::scope(|scope| {
        let pool = &pool;
        scope.spawn(move || read_blocks(reader, ahead, pool, order, recycled));
        let validation = scope.spawn(move || validate_blocks(validator, pieces, validated));
        let built = build_blocks(
            opts,
            prae,
            to_build,
            recycle,
            Stage::new(name, opts, sink),
            progress,
        );
        (validation.join(), built)
    });
    let built = built?;
    let mut validation = validation
        .map_err(|_| std::io::Error::other("the validating thread failed unexpectedly"))?
        .ok_or_else(|| std::io::Error::other("the reading thread failed unexpectedly"))?;
    progress(validation.bytes);
    validation.findings.absorb(built.findings);
    Ok(Converted {
        validation,
        journals: built.journals,
        lines: built.lines,
        rejected: built.rejected,
    })
}

/// What the reading thread needs to set the workers going.
struct Ahead {
    checker: RowChecker,
    rules: Arc<Rules>,
    prae: bool,
    block_bytes: usize,
}

/// The reading thread: cuts the input into blocks and hands each to a worker, in order.
/// Ends at the end of input, on a read error, or when the assembling side stops.
fn read_blocks<R: Read>(
    mut reader: ExtractReader<R>,
    ahead: Ahead,
    pool: &rayon::ThreadPool,
    order: SyncSender<Piece>,
    recycled: Receiver<Block>,
) -> u64 {
    let Ahead {
        checker,
        rules,
        prae,
        block_bytes,
    } = ahead;
    let (dialect, max_line) = reader.block_dialect();
    let mut shared: Option<Arc<Shared>> = None;
    loop {
        let at = reader.offset();
        let mut block = recycled.try_recv().unwrap_or_default();
        block.clear();
        let start = match reader.next_block(block_bytes, &mut block.data) {
            Ok(Some(start)) => start,
            Ok(None) => {
                let _ = order.send(Piece::End(reader.offset()));
                break;
            }
            Err(e) => {
                let _ = order.send(Piece::Failed(e, at));
                break;
            }
        };
        let shared = shared
            .get_or_insert_with(|| {
                Arc::new(Shared {
                    header: first_header(&checker, &block.data, start, dialect, max_line),
                    checker: checker.clone(),
                    rules: rules.clone(),
                    prae,
                    dialect,
                    max_line,
                })
            })
            .clone();
        let (done, ready) = channel();
        pool.spawn(move || {
            // A panic drops `done` unsent: the assembling side reports the worker failed.
            let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                prepare(&shared, &mut block, start);
                block.shared = Some(shared);
                block
            }));
            if let Ok(block) = prepared {
                let _ = done.send(block);
            }
        });
        if order.send(Piece::Block(ready)).is_err() {
            break; // the assembling side stopped (its error is reported)
        }
    }
    reader.offset()
}

/// The header the validator would take from the block's first line, when the block starts
/// the input.
fn first_header(
    checker: &RowChecker,
    data: &[u8],
    start: BlockStart,
    dialect: Dialect,
    max_line: usize,
) -> Option<Header> {
    if start.position.line != 1 {
        return None;
    }
    let mut spans = Vec::new();
    let r = BlockSplitter::new(data, start, dialect, max_line)
        .next_into(&mut spans)
        .ok()??;
    let rec = Record::new(&data[r.line.0..r.line.1], &spans, r.position, r.flags);
    checker.header_of(&rec)
}

/// A worker's part: splits the block, runs the row-only checks and classifies detail rows.
fn prepare(shared: &Shared, block: &mut Block, start: BlockStart) {
    let Block {
        data,
        spans,
        rows,
        error,
        end,
        ..
    } = block;
    let mut lines = BlockSplitter::new(data, start, shared.dialect, shared.max_line);
    let mut cache = CheckCache::default();
    let ctx = RowContext {
        rules: &shared.rules,
        header: shared.header.as_ref(),
    };
    loop {
        let s0 = spans.len();
        let r = match lines.next_into(spans) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                *error = Some((e, lines.offset()));
                break;
            }
        };
        let rec = Record::new(&data[r.line.0..r.line.1], &spans[s0..], r.position, r.flags);
        let prep = shared.checker.prepare(&rec, &mut cache);
        let outcome = shared.checker.is_detail(&rec).then(|| {
            if shared.prae {
                PraeRow::new(rec).outcome(&ctx)
            } else {
                SaeRow::new(rec).outcome(&ctx)
            }
        });
        rows.push(Row {
            line: r.line,
            spans: (s0, spans.len()),
            pos: r.position,
            flags: r.flags,
            prep,
            outcome,
            verdict: RowVerdict::default(),
            header: None,
        });
    }
    *end = lines.offset();
}

/// The validating thread: replays the file-level validator over the prepared rows in file
/// order and hands each block on to the building side. `None` when the reading thread
/// stopped without saying why.
fn validate_blocks(
    mut validator: FileValidator,
    pieces: Receiver<Piece>,
    validated: SyncSender<Block>,
) -> Option<FileReport> {
    for piece in pieces {
        let mut block = match piece {
            Piece::Block(ready) => ready.recv().ok()?,
            Piece::Failed(e, at) => {
                validator.read_error(&e, at);
                return Some(validator.finish(at));
            }
            Piece::End(at) => return Some(validator.finish(at)),
        };
        let ahead = block.shared.as_ref().and_then(|s| s.header.as_ref());
        for r in &mut block.rows {
            let rec = Record::new(
                &block.data[r.line.0..r.line.1],
                &block.spans[r.spans.0..r.spans.1],
                r.pos,
                r.flags,
            );
            r.verdict = validator.record_prepared(&rec, &mut r.prep);
            if r.verdict.detail {
                // Classified ahead with the header of the first line: valid while the
                // validator's header is that one.
                let header = validator.header();
                if header != ahead {
                    r.header = Some(header.cloned().map(Box::new));
                }
            }
        }
        let stop = block.error.take();
        let end = block.end;
        if validated.send(block).is_err() {
            return Some(validator.finish(end)); // the building side stopped (its error is reported)
        }
        if let Some((e, at)) = stop {
            validator.read_error(&ReadError::Split(e), at);
            return Some(validator.finish(at));
        }
    }
    None
}

/// The calling thread's part: classifies (where not done ahead) and builds the validated
/// rows in file order, and writes what they finish.
fn build_blocks<'s>(
    opts: &ConvertOptions,
    prae: bool,
    blocks: Receiver<Block>,
    recycle: std::sync::mpsc::Sender<Block>,
    mut stage: Stage<'s>,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<crate::pipeline::BuiltStage> {
    let rules = &opts.rules;
    for mut block in blocks {
        progress(block.end);
        let ahead = block.shared.clone();
        let ahead = ahead.as_ref().and_then(|s| s.header.as_ref());
        for r in &mut block.rows {
            if !r.verdict.detail {
                continue;
            }
            let rec = Record::new(
                &block.data[r.line.0..r.line.1],
                &block.spans[r.spans.0..r.spans.1],
                r.pos,
                r.flags,
            );
            let (header, ready) = match &r.header {
                None => (ahead, r.outcome.take()),
                Some(h) => (h.as_deref(), None),
            };
            let ctx = RowContext { rules, header };
            if prae {
                stage.row(&PraeRow::new(rec), &r.verdict, r.pos, ready, &ctx)?;
            } else {
                stage.row(&SaeRow::new(rec), &r.verdict, r.pos, ready, &ctx)?;
            }
        }
        let _ = recycle.send(block);
    }
    stage.finish()
}

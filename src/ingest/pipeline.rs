//! The ingest pipeline:
//!
//! ```text
//! reader thread ──batches──▶ parser threads ──documents──▶ sequencer (this thread) ──▶ index
//! (reader.rs: open, gunzip,   (decode, redact, build doc)   (reorder, merge stages, commit)
//!  sniff, split, join CRI)
//! ```
//!
//! The messages between the threads are in `work.rs`; from a decoded event to its document
//! and request key is `document.rs`. This file runs the threads and is the parser threads.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::document::{legacy_half, prepare_event};
use super::formats::{self, NormalizeOptions};
use super::reader;
use super::reject::{RecordError, Reject};
use super::sequencer::Sequencer;
use super::source::{self, Input, InputProblem};
use super::split::{Element, Piece, Wrapper};
use super::work::{Body, Done, Outcome, Prepared, RunFile, Work};
use super::{IngestOptions, IngestSummary, Progress};
use crate::index::schema::Fields;
use crate::index::{IndexDir, IndexError, IndexWriter, WriterOptions};
use crate::model::{AuditEvent, SourceFormat, SourceRef, Stage, StageSet};

/// Runs an ingest of `inputs` into the index at `dir`.
pub fn run(
    dir: &IndexDir,
    inputs: Vec<Input>,
    problems: Vec<InputProblem>,
    opts: &IngestOptions,
    progress: &dyn Progress,
) -> Result<IngestSummary, IndexError> {
    let started = Instant::now();
    let mut writer = IndexWriter::open(
        dir,
        WriterOptions {
            heap_bytes: opts.heap_bytes,
            // Two indexing threads keep both cores busy on a 2-core machine.
            threads: thread::available_parallelism().map_or(1, |n| n.get().min(2)),
        },
    )?;
    let mut summary = IngestSummary {
        problems,
        rejects_dir: dir.rejects_dir(),
        ..IngestSummary::default()
    };
    let files = plan_files(&mut writer, inputs, &mut summary);
    if files.is_empty() {
        summary.total_events = count_events(&writer)?;
        summary.elapsed = started.elapsed();
        writer.finish()?;
        return Ok(summary);
    }
    let total_bytes: u64 = files.iter().map(|f| f.input.size).sum();
    // Audit records are rarely under a kilobyte: room for that many new keys.
    let keys = writer.load_keys(usize::try_from(total_bytes / 1024).unwrap_or(usize::MAX))?;
    progress.start(total_bytes);
    let files = Arc::new(files);
    let bytes_read = Arc::new(AtomicU64::new(0));
    let workers = if opts.workers == 0 {
        thread::available_parallelism().map_or(2, std::num::NonZero::get)
    } else {
        opts.workers
    };
    let (work_tx, work_rx) = bounded::<Work>(workers * 4);
    let (done_tx, done_rx) = bounded::<Done>(workers * 4);
    let fields = writer.fields().clone();
    let outcome = thread::scope(|scope| {
        let reader_files = Arc::clone(&files);
        let reader_bytes = Arc::clone(&bytes_read);
        let max_record = opts.max_record_bytes;
        scope
            .spawn(move || reader::read_inputs(&reader_files, max_record, &reader_bytes, &work_tx));
        for _ in 0..workers {
            let rx = work_rx.clone();
            let tx = done_tx.clone();
            let fields = fields.clone();
            let files = Arc::clone(&files);
            let ctx = WorkerCtx {
                keep_secrets: opts.keep_secret_values,
                cluster: opts.cluster.clone(),
            };
            scope.spawn(move || parse_worker(&rx, &tx, &fields, &files, &ctx));
        }
        drop(work_rx);
        drop(done_tx);
        let mut seq = Sequencer::new(&mut writer, keys, dir, &files, opts, &mut summary);
        let result = seq.run(&done_rx, progress, &bytes_read);
        // Drain so that producer threads never block on a full channel after an error.
        for _ in &done_rx {}
        result
    });
    progress.finish();
    outcome?;
    summary.total_events = count_events(&writer)?;
    summary.bytes = bytes_read.load(Ordering::Relaxed);
    writer.finish()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn count_events(writer: &IndexWriter) -> Result<u64, IndexError> {
    writer.committed_events()
}

/// Decides which inputs to read: those not already complete in the manifest.
fn plan_files(
    writer: &mut IndexWriter,
    inputs: Vec<Input>,
    summary: &mut IngestSummary,
) -> Vec<RunFile> {
    let mut files = Vec::new();
    for input in inputs {
        let fp = input
            .path
            .as_deref()
            .and_then(|p| source::fingerprint(p, input.size).ok());
        if !input.is_stdin()
            && writer
                .manifest
                .already_indexed(&input.name, input.size, input.mtime, fp.as_deref())
                .is_some()
        {
            summary.files_skipped += 1;
            continue;
        }
        let id = writer.manifest.id_for(&input.name);
        if let Some(e) = writer.manifest.entry_mut(id) {
            e.complete = false;
            e.size = input.size;
            e.mtime = input.mtime;
            e.fingerprint = fp.unwrap_or_default();
        }
        files.push(RunFile { input, id });
    }
    files
}

/// What a parser thread needs besides the records.
struct WorkerCtx {
    keep_secrets: bool,
    cluster: Option<String>,
}

/// Parser thread: decodes records into documents.
fn parse_worker(
    rx: &Receiver<Work>,
    tx: &Sender<Done>,
    fields: &Fields,
    files: &[RunFile],
    ctx: &WorkerCtx,
) {
    for work in rx {
        let done = match work {
            Work::Batch {
                seq,
                file,
                pieces,
                bytes,
                format,
            } => {
                let f = &files[file];
                let mut outcomes = Vec::with_capacity(pieces.len());
                // One file name for the batch: each decoded event takes its own copy.
                let mut source = SourceRef {
                    file: f.input.name.clone(),
                    line: 0,
                    record: None,
                };
                for piece in pieces {
                    let at = (f, format, &mut source);
                    prepare_piece(piece, at, fields, ctx, &mut outcomes);
                }
                Done::Batch {
                    seq,
                    file,
                    outcomes,
                    bytes,
                }
            }
            Work::FileEnd { seq, file, end } => Done::FileEnd { seq, file, end },
        };
        if tx.send(done).is_err() {
            return;
        }
    }
}

fn prepare_piece(
    piece: Piece,
    (f, format, source): (&RunFile, Option<SourceFormat>, &mut SourceRef),
    fields: &Fields,
    ctx: &WorkerCtx,
    out: &mut Vec<Outcome>,
) {
    let name = &f.input.name;
    let (line, bytes, element) = match piece {
        Piece::Record(r) => (r.line, r.bytes, r.element),
        Piece::Error {
            line,
            error,
            excerpt,
        } => {
            out.push(Outcome::Reject(Reject::new(name, line, &error, &excerpt)));
            return;
        }
    };
    // Owned, so that the record can be stored as the reader cut it, without a copy.
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let err = RecordError::NotUtf8(e.utf8_error().valid_up_to());
            out.push(Outcome::Reject(Reject::new(name, line, &err, e.as_bytes())));
            return;
        }
    };
    source.line = line;
    source.record = element.map(|e| e.index);
    let source = &*source;
    let opts = NormalizeOptions::default();
    // Inputs whose format is known from the path or head are decoded whole, so that the
    // format is applied to every record; so are the elements of `filter-log-events` output.
    let early = match (element, format) {
        (
            Some(Element {
                wrapper: Some(Wrapper::Events),
                ..
            }),
            _,
        ) => formats::Early::Decoded(formats::eks::decode_cli_event(&text, source, opts)),
        (_, None) => formats::decode_early(&text, source, opts),
        (_, Some(_)) => formats::Early::Decoded(formats::decode(&text, source, opts)),
    };
    let mut decoded = match early {
        formats::Early::Deferred(probe, fmt) => {
            let key = crate::index::schema::merge_key(&probe.audit_id, probe.received.0, &text);
            out.push(Outcome::Event(Box::new(Prepared {
                key,
                body: Body::Deferred {
                    raw: text.into_bytes(),
                    source: source.clone(),
                },
                stages: StageSet::of(Stage::RequestReceived),
                long_running: probe.long_running,
                format: fmt,
            })));
            return;
        }
        formats::Early::Decoded(decoded) => decoded,
    };
    if decoded.is_empty() {
        // An empty list (`[]`, `{"items":[]}`): a line with no record, counted as skipped.
        out.push(Outcome::Skip);
        return;
    }
    // The common case, one event that is the whole line: the line is moved into its document.
    let whole = decoded.len() == 1
        && matches!(&decoded[0], Ok(d) if d.raw.as_ptr() == text.as_ptr() && d.raw.len() == text.len());
    if whole && let Some(Ok(d)) = decoded.pop() {
        let formats::Decoded { event, raw } = d;
        drop(raw);
        drop(decoded);
        let event = complete(event, format, ctx);
        out.push(Outcome::Event(Box::new(prepare(
            &event,
            Cow::Owned(text),
            f,
            fields,
            ctx,
        ))));
        return;
    }
    for decoded in decoded {
        match decoded {
            Ok(d) => {
                let event = complete(d.event, format, ctx);
                out.push(Outcome::Event(Box::new(prepare(
                    &event, d.raw, f, fields, ctx,
                ))));
            }
            Err(RecordError::NotAudit(_)) => out.push(Outcome::Skip),
            Err(err) => out.push(Outcome::Reject(Reject::new(
                name,
                line,
                &err,
                text.as_bytes(),
            ))),
        }
    }
}

/// The format an input's path or head named, and the cluster given on the command line,
/// applied to a decoded event.
fn complete(mut event: AuditEvent, format: Option<SourceFormat>, ctx: &WorkerCtx) -> AuditEvent {
    if let Some(fmt) = format
        && event.format == SourceFormat::Native
    {
        event.format = fmt;
    }
    if event.cluster.is_empty()
        && let Some(c) = &ctx.cluster
    {
        event.cluster.clone_from(c);
    }
    event
}

/// The sequencer's record of one decoded event.
fn prepare(
    event: &AuditEvent,
    raw: Cow<'_, str>,
    f: &RunFile,
    fields: &Fields,
    ctx: &WorkerCtx,
) -> Prepared {
    if formats::legacy::is_split_request(event) {
        legacy_half(event, &raw)
    } else {
        prepare_event(event, raw, f.id, fields, ctx.keep_secrets)
    }
}

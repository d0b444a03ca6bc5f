//! The ingest pipeline:
//!
//! ```text
//! reader thread ──batches──▶ parser threads ──documents──▶ sequencer (this thread) ──▶ index
//! (reader.rs: open, gunzip,   (decode, redact, build doc)   (reorder, merge stages, commit)
//!  sniff, split, join CRI)
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::formats::{self, NormalizeOptions};
use super::reader::{self, Work};
use super::redact;
use super::reject::{RecordError, Reject};
use super::sequencer::Sequencer;
use super::source::{self, Digested, Input, InputProblem};
use super::split::{Element, Piece, Wrapper};
use super::{IngestOptions, IngestSummary};
use crate::index::schema::Fields;
use crate::index::writer::best_rank;
use crate::index::{IndexDir, IndexError, IndexWriter, PreparedDoc, WriterOptions};
use crate::model::{AuditEvent, SourceFormat, SourceRef, Stage, StageSet, is_long_running};

/// Progress callback: bytes read so far, events decoded so far.
pub trait Progress: Sync {
    fn start(&self, total_bytes: u64);
    fn update(&self, bytes: u64, events: u64);
    fn finish(&self);
}

/// One input file of this run.
pub(super) struct RunFile {
    pub input: Input,
    pub id: u64,
}

pub(super) struct FileEnd {
    pub digest: Digested,
    pub gzip: bool,
    /// The stream broke off (truncated gzip, read error): why.
    pub broken: Option<String>,
    /// The input could not be opened at all.
    pub failed: Option<String>,
}

pub(super) enum Done {
    Batch {
        seq: u64,
        file: usize,
        outcomes: Vec<Outcome>,
        bytes: u64,
    },
    FileEnd {
        seq: u64,
        file: usize,
        end: FileEnd,
    },
}

impl Done {
    pub fn seq(&self) -> u64 {
        match self {
            Done::Batch { seq, .. } | Done::FileEnd { seq, .. } => *seq,
        }
    }
}

pub(super) enum Outcome {
    Event(Box<Prepared>),
    Reject(Reject),
    /// A line expected in the input's format but carrying no audit event (klog…).
    Skip,
}

/// A record ready for the sequencer: a built document, or (for `RequestReceived` records,
/// which are nearly always folded into a later stage) just the raw record, decoded only if
/// it turns out to be the request's only record.
pub(super) struct Prepared {
    pub key: [u8; 16],
    pub body: Body,
    pub stages: StageSet,
    /// A watch or stream whose completion may come minutes later.
    pub long_running: bool,
    pub format: SourceFormat,
}

pub(super) enum Body {
    Doc(PreparedDoc),
    Deferred { raw: Vec<u8>, source: SourceRef },
}

impl Prepared {
    pub fn complete(&self) -> bool {
        self.stages.0 == 0
            || self.stages.contains(Stage::ResponseComplete)
            || self.stages.contains(Stage::Panic)
    }

    /// A line of a request logged before 1.7 by the legacy backend, held as text until the
    /// request's other line joins it.
    pub fn is_legacy_half(&self) -> bool {
        self.format == SourceFormat::Legacy
            && self.stages.0 == 0
            && matches!(self.body, Body::Deferred { .. })
    }

    /// Keeps the more complete of two records of one request, with the union of their stages.
    /// The two lines of a request logged before 1.7 are joined instead.
    pub fn absorb(&mut self, other: Prepared) {
        if self.is_legacy_half() && other.is_legacy_half() {
            if let (
                Body::Deferred { raw, source },
                Body::Deferred {
                    raw: more,
                    source: at,
                },
            ) = (&mut self.body, other.body)
            {
                let more = String::from_utf8_lossy(&more);
                let joined = formats::legacy::join(&String::from_utf8_lossy(raw), &more);
                // The record's line is the line it starts with: the request line's.
                if joined.lines().next() == more.lines().next() {
                    *source = at;
                }
                *raw = joined.into_bytes();
            }
            return;
        }
        let union = self.stages.union(other.stages);
        if best_rank(other.stages.0) > best_rank(self.stages.0) {
            *self = other;
        }
        self.stages = union;
    }
}

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
                for piece in pieces {
                    prepare_piece(piece, (f, format), fields, ctx, &mut outcomes);
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
    (f, format): (&RunFile, Option<SourceFormat>),
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
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let err = RecordError::NotUtf8(e.valid_up_to());
            out.push(Outcome::Reject(Reject::new(name, line, &err, &bytes)));
            return;
        }
    };
    let source = SourceRef {
        file: name.clone(),
        line,
        record: element.map(|e| e.index),
    };
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
        ) => formats::Early::Decoded(formats::eks::decode_cli_event(text, &source, opts)),
        (_, None) => formats::decode_early(text, &source, opts),
        (_, Some(_)) => formats::Early::Decoded(formats::decode(text, &source, opts)),
    };
    let decoded = match early {
        formats::Early::Deferred(probe, fmt) => {
            let key = crate::index::schema::merge_key(&probe.audit_id, probe.received.0, text);
            out.push(Outcome::Event(Box::new(Prepared {
                key,
                body: Body::Deferred { raw: bytes, source },
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
    for decoded in decoded {
        match decoded {
            Ok(mut d) => {
                if let Some(fmt) = format
                    && d.event.format == SourceFormat::Native
                {
                    d.event.format = fmt;
                }
                if d.event.cluster.is_empty()
                    && let Some(c) = &ctx.cluster
                {
                    d.event.cluster.clone_from(c);
                }
                let prepared = if formats::legacy::is_split_request(&d.event) {
                    legacy_half(&d.event, &d.raw)
                } else {
                    prepare_event(&d.event, &d.raw, f.id, fields, ctx.keep_secrets)
                };
                out.push(Outcome::Event(Box::new(prepared)));
            }
            Err(RecordError::NotAudit(_)) => out.push(Outcome::Skip),
            Err(err) => out.push(Outcome::Reject(Reject::new(name, line, &err, &bytes))),
        }
    }
}

/// A line of a request logged before 1.7, kept as text: it is decoded when written, joined
/// with the request's other line if that came (see [`Prepared::absorb`]).
fn legacy_half(event: &AuditEvent, raw: &str) -> Prepared {
    Prepared {
        key: merge_key(event, raw),
        body: Body::Deferred {
            raw: raw.as_bytes().to_vec(),
            source: event.source.clone(),
        },
        stages: StageSet::default(),
        long_running: false,
        format: SourceFormat::Legacy,
    }
}

/// Builds the index document of one decoded event.
pub(super) fn prepare_event(
    event: &AuditEvent,
    raw: &str,
    file_id: u64,
    fields: &Fields,
    keep_secrets: bool,
) -> Prepared {
    Prepared {
        key: merge_key(event, raw),
        body: Body::Doc(build_doc(event, raw, file_id, fields, keep_secrets)),
        stages: event.stages,
        long_running: is_long_running(&event.verb, &event.object.subresource, &event.request_uri),
        format: event.format,
    }
}

/// The document of an event; Secret values are redacted from the stored record.
pub(super) fn build_doc(
    event: &AuditEvent,
    raw: &str,
    file_id: u64,
    fields: &Fields,
    keep_secrets: bool,
) -> PreparedDoc {
    let redacted = if !keep_secrets && redact::needs_redaction(event, raw) {
        redact::redact_record(raw, redact::Scope::of(event))
    } else {
        None
    };
    let stored = redacted.as_deref().unwrap_or(raw);
    let key = merge_key(event, raw);
    PreparedDoc::new(key, fields.document(event, key, stored.as_bytes(), file_id))
}

/// The request a record belongs to: (auditID, requestReceivedTimestamp). Without a
/// requestReceivedTimestamp only identical stage records can be recognised as one request.
/// The two lines of a request logged before 1.7 have different times: the ID alone.
pub fn merge_key(event: &AuditEvent, raw: &str) -> [u8; 16] {
    if formats::legacy::is_split_request(event) {
        return crate::index::schema::merge_key(&event.audit_id, i64::MIN, raw);
    }
    let received = event.received.or(event.stage_time).unwrap_or(event.time);
    crate::index::schema::merge_key(&event.audit_id, received.0, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::native;

    fn event(json: &str) -> AuditEvent {
        native::parse(json, SourceRef::default(), NormalizeOptions::default()).unwrap()
    }

    #[test]
    fn stage_records_of_a_request_share_a_key() {
        let rr = r#"{"auditID":"a","stage":"RequestReceived","verb":"get","requestReceivedTimestamp":"2024-01-02T03:04:05.000001Z","stageTimestamp":"2024-01-02T03:04:05.000001Z"}"#;
        let rc = r#"{"auditID":"a","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2024-01-02T03:04:05.000001Z","stageTimestamp":"2024-01-02T03:04:05.5Z"}"#;
        let other = r#"{"auditID":"a","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2024-01-02T03:04:06Z","stageTimestamp":"2024-01-02T03:04:06.5Z"}"#;
        assert_eq!(merge_key(&event(rr), rr), merge_key(&event(rc), rc));
        assert_ne!(merge_key(&event(rc), rc), merge_key(&event(other), other));
    }
}

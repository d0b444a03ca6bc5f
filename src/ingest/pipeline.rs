//! The ingest pipeline:
//!
//! ```text
//! reader thread ──batches──▶ parser threads ──documents──▶ sequencer (this thread) ──▶ index
//! (open, gunzip, split)       (decode, redact, build doc)   (reorder, merge stages, commit)
//! ```
//!
//! The sequencer restores input order, then merges the stage records of each request: a
//! window of recent requests is held back so that `RequestReceived` and `ResponseComplete`
//! become one document; a more complete record arriving later replaces the document; a less
//! complete one only adds its stage to the set. Commits carry the manifest, so a killed run
//! leaves a consistent index and the next run re-reads only unfinished inputs.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Cursor, Read, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::formats::{self, NormalizeOptions};
use super::redact;
use super::reject::{RecordError, Reject};
use super::source::{self, Digested, Input, InputProblem};
use super::split::{self, Piece, Splitter};
use super::{IngestOptions, IngestSummary};
use crate::index::schema::Fields;
use crate::index::writer::best_rank;
use crate::index::{IndexDir, IndexError, IndexWriter, KeyTable, PreparedDoc, WriterOptions};
use crate::model::{AuditEvent, SourceRef, StageSet};

/// Progress callback: bytes read so far, events decoded so far.
pub trait Progress: Sync {
    fn start(&self, total_bytes: u64);
    fn update(&self, bytes: u64, events: u64);
    fn finish(&self);
}

const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 1 << 20;

/// One input file of this run.
struct RunFile {
    input: Input,
    id: u64,
}

enum Work {
    Batch { seq: u64, file: usize, pieces: Vec<Piece> },
    FileEnd { seq: u64, file: usize, end: FileEnd },
}

struct FileEnd {
    digest: Digested,
    gzip: bool,
    /// The stream broke off (truncated gzip, read error): why.
    broken: Option<String>,
    /// The input could not be opened at all.
    failed: Option<String>,
}

enum Done {
    Batch { seq: u64, file: usize, outcomes: Vec<Outcome> },
    FileEnd { seq: u64, file: usize, end: FileEnd },
}

impl Done {
    fn seq(&self) -> u64 {
        match self {
            Done::Batch { seq, .. } | Done::FileEnd { seq, .. } => *seq,
        }
    }
}

enum Outcome {
    Event(Box<Prepared>),
    Reject(Reject),
}

struct Prepared {
    doc: PreparedDoc,
    stages: StageSet,
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
            threads: 1,
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
    let keys = writer.load_keys()?;
    progress.start(files.iter().map(|f| f.input.size).sum());
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
        scope.spawn(move || read_inputs(&reader_files, max_record, &reader_bytes, &work_tx));
        for _ in 0..workers {
            let rx = work_rx.clone();
            let tx = done_tx.clone();
            let fields = fields.clone();
            let files = Arc::clone(&files);
            let keep = opts.keep_secret_values;
            scope.spawn(move || parse_worker(&rx, &tx, &fields, &files, keep));
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
    Ok(writer.load_keys()?.len() as u64)
}

/// Decides which inputs to read: those not already complete in the manifest.
fn plan_files(writer: &mut IndexWriter, inputs: Vec<Input>, summary: &mut IngestSummary) -> Vec<RunFile> {
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

/// Reader thread: opens each input and cuts it into batches of records.
fn read_inputs(files: &[RunFile], max_record: usize, bytes: &Arc<AtomicU64>, tx: &Sender<Work>) {
    let mut seq = 0u64;
    for (idx, f) in files.iter().enumerate() {
        let end = match source::open(&f.input, Arc::clone(bytes)) {
            Ok(opened) => {
                let digest = opened.digest_handle();
                let gzip = opened.gzip;
                let Some(broken) = split_input(opened.reader, idx, max_record, &mut seq, tx) else {
                    return; // the sequencer hung up
                };
                let digest = digest.lock().ok().and_then(|d| d.clone()).unwrap_or_default();
                FileEnd {
                    digest,
                    gzip,
                    broken,
                    failed: None,
                }
            }
            Err(e) => FileEnd {
                digest: Digested::default(),
                gzip: false,
                broken: None,
                failed: Some(e.to_string()),
            },
        };
        if tx.send(Work::FileEnd { seq, file: idx, end }).is_err() {
            return;
        }
        seq += 1;
    }
}

/// Splits one input into batches. Returns why the stream broke off, if it did (`Some(None)`
/// for a clean end), or `None` when the receiver is gone.
fn split_input(mut reader: Box<dyn Read + Send>, file: usize, max_record: usize, seq: &mut u64, tx: &Sender<Work>) -> Option<Option<String>> {
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    let mut head_error = None;
    while n < head.len() {
        match reader.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                head_error = Some(e);
                break;
            }
        }
    }
    head.truncate(n);
    let mode = split::sniff(&head);
    let chained: Box<dyn Read + Send> = if head_error.is_some() {
        Box::new(BrokenAfter {
            inner: Cursor::new(head),
            error: head_error.take(),
        })
    } else {
        Box::new(Cursor::new(head).chain(reader))
    };
    let mut splitter = Splitter::new(chained, mode, max_record);
    let mut pieces = Vec::with_capacity(BATCH_RECORDS);
    let mut batch_bytes = 0;
    while let Some(piece) = splitter.next_piece() {
        batch_bytes += match &piece {
            Piece::Record(r) => r.bytes.len(),
            Piece::Error { .. } => 64,
        };
        pieces.push(piece);
        if pieces.len() >= BATCH_RECORDS || batch_bytes >= BATCH_BYTES {
            let batch = std::mem::replace(&mut pieces, Vec::with_capacity(BATCH_RECORDS));
            tx.send(Work::Batch { seq: *seq, file, pieces: batch }).ok()?;
            *seq += 1;
            batch_bytes = 0;
        }
    }
    if !pieces.is_empty() {
        tx.send(Work::Batch { seq: *seq, file, pieces }).ok()?;
        *seq += 1;
    }
    Some(splitter.read_error.map(|e| e.to_string()))
}

/// A reader that yields its inner bytes, then fails with a saved error.
struct BrokenAfter<R> {
    inner: R,
    error: Option<std::io::Error>,
}

impl<R: Read> Read for BrokenAfter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf)? {
            0 => match self.error.take() {
                Some(e) => Err(e),
                None => Ok(0),
            },
            n => Ok(n),
        }
    }
}

/// Parser thread: decodes records into documents.
fn parse_worker(rx: &Receiver<Work>, tx: &Sender<Done>, fields: &Fields, files: &[RunFile], keep_secrets: bool) {
    for work in rx {
        let done = match work {
            Work::Batch { seq, file, pieces } => {
                let f = &files[file];
                let mut outcomes = Vec::with_capacity(pieces.len());
                for piece in pieces {
                    prepare_piece(piece, f, fields, keep_secrets, &mut outcomes);
                }
                Done::Batch { seq, file, outcomes }
            }
            Work::FileEnd { seq, file, end } => Done::FileEnd { seq, file, end },
        };
        if tx.send(done).is_err() {
            return;
        }
    }
}

fn prepare_piece(piece: Piece, f: &RunFile, fields: &Fields, keep_secrets: bool, out: &mut Vec<Outcome>) {
    let name = &f.input.name;
    let (line, bytes) = match piece {
        Piece::Record(r) => (r.line, r.bytes),
        Piece::Error { line, error, excerpt } => {
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
    };
    for decoded in formats::decode(text, &source, NormalizeOptions::default()) {
        match decoded {
            Ok(d) => out.push(Outcome::Event(Box::new(prepare_event(&d.event, &d.raw, f.id, fields, keep_secrets)))),
            Err(err) => out.push(Outcome::Reject(Reject::new(name, line, &err, &bytes))),
        }
    }
}

/// Builds the index document of one decoded event.
fn prepare_event(event: &AuditEvent, raw: &str, file_id: u64, fields: &Fields, keep_secrets: bool) -> Prepared {
    let redacted = if !keep_secrets && redact::needs_redaction(event, raw) {
        redact::redact_record(raw, event.object.resource == "secrets")
    } else {
        None
    };
    let stored = redacted.as_deref().unwrap_or(raw);
    let key = merge_key(event, raw);
    let doc = fields.document(event, key, stored.as_bytes(), file_id, &[]);
    Prepared {
        doc: PreparedDoc::new(key, doc),
        stages: event.stages,
    }
}

/// The request a record belongs to: (auditID, requestReceivedTimestamp). Records without
/// an audit ID are keyed by their content, so only exact duplicates collapse.
pub fn merge_key(event: &AuditEvent, raw: &str) -> [u8; 16] {
    use xxhash_rust::xxh3::Xxh3;
    let mut h = Xxh3::new();
    if event.audit_id.is_empty() {
        h.update(b"raw\0");
        h.update(raw.as_bytes());
    } else {
        h.update(b"id\0");
        h.update(event.audit_id.as_bytes());
        h.update(b"\0");
        // The request's receive time: `time` is requestReceivedTimestamp when logged.
        h.update(&event.time.0.to_le_bytes());
        if let Some(stage_time) = event.stage_time.filter(|_| !has_received_time(raw)) {
            // No requestReceivedTimestamp: only identical stage records are duplicates.
            h.update(&stage_time.0.to_le_bytes());
        }
    }
    h.digest128().to_be_bytes()
}

fn has_received_time(raw: &str) -> bool {
    raw.contains("\"requestReceivedTimestamp\"")
}

/// Per-file counters of this run.
#[derive(Default, Clone)]
struct FileCounts {
    records: u64,
    rejected: u64,
    merged: u64,
    added: u64,
}

/// Restores input order and merges stage records into documents.
struct Sequencer<'a> {
    writer: &'a mut IndexWriter,
    keys: KeyTable,
    dir: &'a IndexDir,
    files: &'a [RunFile],
    opts: &'a IngestOptions,
    summary: &'a mut IngestSummary,
    /// Requests held back, by key, and their arrival order.
    pending: HashMap<[u8; 16], (Prepared, usize)>,
    order: VecDeque<[u8; 16]>,
    /// Stage bits learned after the event was written: key → bits to add.
    fixups: HashMap<[u8; 16], StageSet>,
    counts: Vec<FileCounts>,
    reject_files: HashMap<usize, BufWriter<File>>,
    /// Files fully read, waiting for a commit to be marked complete.
    done_files: Vec<usize>,
    bytes_since_commit: u64,
    events_seen: u64,
}

impl<'a> Sequencer<'a> {
    fn new(
        writer: &'a mut IndexWriter,
        keys: KeyTable,
        dir: &'a IndexDir,
        files: &'a [RunFile],
        opts: &'a IngestOptions,
        summary: &'a mut IngestSummary,
    ) -> Self {
        Sequencer {
            writer,
            keys,
            dir,
            files,
            opts,
            summary,
            pending: HashMap::new(),
            order: VecDeque::new(),
            fixups: HashMap::new(),
            counts: vec![FileCounts::default(); files.len()],
            reject_files: HashMap::new(),
            done_files: Vec::new(),
            bytes_since_commit: 0,
            events_seen: 0,
        }
    }

    fn run(&mut self, rx: &Receiver<Done>, progress: &dyn Progress, bytes: &AtomicU64) -> Result<(), IndexError> {
        let mut next = 0u64;
        let mut parked: BTreeMap<u64, Done> = BTreeMap::new();
        let mut last_report = Instant::now();
        for done in rx {
            parked.insert(done.seq(), done);
            while let Some(d) = parked.remove(&next) {
                next += 1;
                self.handle(d)?;
            }
            if last_report.elapsed().as_millis() >= 100 {
                progress.update(bytes.load(Ordering::Relaxed), self.events_seen);
                last_report = Instant::now();
            }
        }
        self.final_commit()
    }

    fn handle(&mut self, done: Done) -> Result<(), IndexError> {
        match done {
            Done::Batch { file, outcomes, .. } => {
                for outcome in outcomes {
                    match outcome {
                        Outcome::Event(p) => self.merge(*p, file)?,
                        Outcome::Reject(r) => self.reject(file, r)?,
                    }
                }
            }
            Done::FileEnd { file, end, .. } => self.file_end(file, end)?,
        }
        Ok(())
    }

    fn merge(&mut self, p: Prepared, file: usize) -> Result<(), IndexError> {
        self.events_seen += 1;
        let counts = &mut self.counts[file];
        counts.records += 1;
        let key = p.doc.key;
        if let Some((held, _)) = self.pending.get_mut(&key) {
            counts.merged += 1;
            let union = held.stages.union(p.stages);
            if best_rank(p.stages.0) > best_rank(held.stages.0) {
                *held = p;
            }
            held.stages = union;
            return Ok(());
        }
        if let Some(&known) = self.keys.get(&key) {
            counts.merged += 1;
            let known = StageSet(known);
            if known.is_superset_of(p.stages) && known.0 != 0 {
                return Ok(());
            }
            if p.stages.0 == 0 && known.0 == 0 {
                return Ok(()); // an exact duplicate of a record without a stage
            }
            let union = known.union(p.stages);
            self.keys.insert(key, union.0);
            if best_rank(p.stages.0) > best_rank(known.0) {
                self.fixups.remove(&key);
                return self.writer.replace(p.doc, union);
            }
            let bits = self.fixups.entry(key).or_default();
            *bits = bits.union(p.stages);
            return Ok(());
        }
        counts.added += 1;
        self.pending.insert(key, (p, file));
        self.order.push_back(key);
        if self.order.len() > self.opts.merge_window {
            self.flush_oldest()?;
        }
        Ok(())
    }

    fn flush_oldest(&mut self) -> Result<(), IndexError> {
        let Some(key) = self.order.pop_front() else {
            return Ok(());
        };
        if let Some((p, _)) = self.pending.remove(&key) {
            self.keys.insert(key, p.stages.0);
            self.writer.add(p.doc, p.stages)?;
        }
        Ok(())
    }

    fn flush_all(&mut self) -> Result<(), IndexError> {
        while !self.order.is_empty() {
            self.flush_oldest()?;
        }
        Ok(())
    }

    fn reject(&mut self, file: usize, r: Reject) -> Result<(), IndexError> {
        self.counts[file].rejected += 1;
        self.summary.rejected += 1;
        let out = match self.reject_files.entry(file) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let path = self.dir.rejects_file(self.files[file].id);
                let f = File::create(&path).map_err(|e| IndexError::io(format!("cannot write {}", path.display()), e))?;
                v.insert(BufWriter::new(f))
            }
        };
        let line = serde_json::to_string(&r).unwrap_or_default();
        writeln!(out, "{line}").map_err(|e| IndexError::io("cannot write the rejects file", e))?;
        if self.summary.first_rejects.len() < IngestSummary::SHOWN_REJECTS {
            self.summary.first_rejects.push(r);
        }
        Ok(())
    }

    fn file_end(&mut self, file: usize, end: FileEnd) -> Result<(), IndexError> {
        let f = &self.files[file];
        if let Some(why) = end.failed {
            self.summary.problems.push(InputProblem {
                path: f.input.name.clone(),
                reason: why,
            });
            return Ok(());
        }
        if let Some(mut w) = self.reject_files.remove(&file) {
            w.flush().map_err(|e| IndexError::io("cannot write the rejects file", e))?;
        } else {
            // No rejects this time: remove a stale file from an earlier, interrupted run.
            let _ = std::fs::remove_file(self.dir.rejects_file(f.id));
        }
        if let Some(why) = &end.broken {
            self.summary.truncated.push(format!(
                "{}: input ends early ({why}); kept the {} records read before the cut",
                f.input.name, self.counts[file].records
            ));
        }
        let c = self.counts[file].clone();
        self.summary.files_read += 1;
        self.summary.records += c.records;
        self.summary.added += c.added;
        self.summary.merged += c.merged;
        if let Some(e) = self.writer.manifest.entry_mut(f.id) {
            e.sha256 = end.digest.sha256;
            if f.input.is_stdin() {
                e.size = end.digest.bytes;
            }
            e.gzip = end.gzip;
            e.records = c.records;
            e.rejected = c.rejected;
            e.merged = c.merged;
            e.added = c.added;
            e.truncated = end.broken.is_some();
            e.formats = vec!["native".to_owned()];
            e.ingested_at = jiff::Timestamp::now().to_string();
        }
        self.done_files.push(file);
        self.bytes_since_commit += end.digest.bytes;
        if self.bytes_since_commit >= self.opts.commit_every_bytes {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Commits what is written so far. Files read to the end are marked complete, unless
    /// stage fixups are pending (they are applied at the final commit).
    fn checkpoint(&mut self) -> Result<(), IndexError> {
        self.flush_all()?;
        if self.fixups.is_empty() {
            self.mark_done_complete();
        }
        self.writer.commit()?;
        self.bytes_since_commit = 0;
        Ok(())
    }

    fn mark_done_complete(&mut self) {
        for file in self.done_files.drain(..) {
            if let Some(e) = self.writer.manifest.entry_mut(self.files[file].id) {
                e.complete = true;
            }
        }
    }

    fn final_commit(&mut self) -> Result<(), IndexError> {
        self.flush_all()?;
        if !self.fixups.is_empty() {
            self.writer.commit()?;
            self.apply_fixups()?;
        }
        self.mark_done_complete();
        self.writer.commit()
    }

    /// Adds late stage bits to committed events: rebuilds each document from its stored raw.
    fn apply_fixups(&mut self) -> Result<(), IndexError> {
        let fixups = std::mem::take(&mut self.fixups);
        let fields = self.writer.fields().clone();
        for (key, bits) in fixups {
            let Some(stored) = self.writer.fetch_stored(key)? else {
                continue;
            };
            let Ok(raw) = std::str::from_utf8(&stored.raw) else {
                continue;
            };
            let file = self.writer.manifest.path_of(stored.file);
            let source = SourceRef { file, line: stored.line };
            let Some(Ok(decoded)) = formats::decode(raw, &source, NormalizeOptions::default()).into_iter().next() else {
                continue;
            };
            let doc = fields.document(&decoded.event, key, raw.as_bytes(), stored.file, &[]);
            let stages = stored.stages.union(bits);
            self.writer.replace(PreparedDoc::new(key, doc), stages)?;
        }
        Ok(())
    }
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

//! The sequencer: restores input order and merges the stage records of each request into
//! one document before it reaches the index.
//!
//! A window of recent requests is held back so that `RequestReceived` and `ResponseComplete`
//! become one document; long-running requests (watches, exec sessions) wait beyond the window
//! for their last stage; a more complete record arriving after the document was written
//! replaces it; a less complete one only adds its stage (applied before the final commit).
//! Commits carry the manifest, so a killed run leaves a consistent index.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crossbeam_channel::Receiver;

use super::document::{build_doc, merge_key};
use super::reject::{RecordError, Reject};
use super::reject_log::RejectLog;
use super::source::InputProblem;
use super::work::{Body, Done, FileEnd, Outcome, Prepared, RunFile};
use super::{IngestOptions, IngestSummary, Progress, formats};
use crate::index::writer::best_rank;
use crate::index::{IndexDir, IndexError, IndexWriter, KeyStore, KeyTable, Known, PreparedDoc};
use crate::model::{SourceFormat, SourceRef, StageSet};

/// Open long-running requests held back at most (watches, exec sessions).
const MAX_OPEN_REQUESTS: usize = 262_144;

/// Records whose key may already be in the index, looked up together.
const SUSPECT_BATCH: usize = 4096;

/// Per-file counters of this run.
#[derive(Default, Clone)]
struct FileCounts {
    records: u64,
    rejected: u64,
    merged: u64,
    added: u64,
    /// Lines expected in the format but not audit data (klog lines, CSV headers).
    skipped: u64,
    formats: std::collections::BTreeSet<&'static str>,
}

/// Maps by request key, with a fast seeded hasher (keys are hashes of attacker-chosen audit
/// IDs: a fixed hash could be made to collide).
type KeyMap<V> = HashMap<[u8; 16], V, foldhash::fast::RandomState>;

pub(super) struct Sequencer<'a> {
    writer: &'a mut IndexWriter,
    keys: KeyStore,
    /// Records whose key the index may hold (the key filter said maybe), by key.
    suspects: KeyMap<(Prepared, usize)>,
    files: &'a [RunFile],
    opts: &'a IngestOptions,
    summary: &'a mut IngestSummary,
    /// Requests held back, by key (with the input they came from), and their arrival order.
    pending: KeyMap<(Prepared, usize)>,
    order: VecDeque<[u8; 16]>,
    /// Long-running requests still waiting for their last stage, beyond the window.
    open: KeyMap<(Prepared, usize)>,
    open_order: VecDeque<[u8; 16]>,
    /// Stage bits learned after the event was written: key → bits to add.
    fixups: KeyMap<StageSet>,
    /// Lines of requests logged before 1.7 whose other line is already written: key → lines
    /// to join into the stored record.
    late_lines: KeyMap<Vec<Vec<u8>>>,
    counts: Vec<FileCounts>,
    rejects: RejectLog<'a>,
    /// Inputs read to the end, waiting for a commit to be marked complete.
    done_files: Vec<usize>,
    /// Inputs whose counts are already in the summary and manifest.
    ended: Vec<bool>,
    bytes_since_commit: u64,
    records_seen: u64,
}

impl<'a> Sequencer<'a> {
    pub(super) fn new(
        writer: &'a mut IndexWriter,
        keys: KeyStore,
        dir: &'a IndexDir,
        files: &'a [RunFile],
        opts: &'a IngestOptions,
        summary: &'a mut IngestSummary,
    ) -> Self {
        Sequencer {
            writer,
            keys,
            suspects: KeyMap::default(),
            files,
            opts,
            summary,
            pending: KeyMap::default(),
            order: VecDeque::new(),
            open: KeyMap::default(),
            open_order: VecDeque::new(),
            fixups: KeyMap::default(),
            late_lines: KeyMap::default(),
            counts: vec![FileCounts::default(); files.len()],
            rejects: RejectLog::new(dir, files.len()),
            done_files: Vec::new(),
            ended: vec![false; files.len()],
            bytes_since_commit: 0,
            records_seen: 0,
        }
    }

    /// Consumes the parsers' output in input order, then makes the final commit.
    pub(super) fn run(
        &mut self,
        rx: &Receiver<Done>,
        progress: &dyn Progress,
        bytes: &AtomicU64,
    ) -> Result<(), IndexError> {
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
                progress.update(bytes.load(Ordering::Relaxed), self.records_seen);
                last_report = Instant::now();
            }
        }
        self.final_commit()
    }

    fn handle(&mut self, done: Done) -> Result<(), IndexError> {
        match done {
            Done::Batch {
                file,
                outcomes,
                bytes,
                ..
            } => {
                for outcome in outcomes {
                    match outcome {
                        Outcome::Event(p) => {
                            self.counts[file].formats.insert(p.format.as_str());
                            self.merge(*p, file)?;
                        }
                        Outcome::Reject(r) => self.reject(file, r)?,
                        Outcome::Skip => {
                            self.counts[file].skipped += 1;
                            self.summary.skipped += 1;
                        }
                    }
                }
                // Checkpoints inside a long input too: what is committed is kept if the run
                // dies, and a rerun skips it as duplicates.
                self.bytes_since_commit += bytes;
                if self.bytes_since_commit >= self.opts.commit_every_bytes {
                    self.commit_written()?;
                }
            }
            Done::FileEnd { file, end, .. } => self.file_end(file, end)?,
        }
        Ok(())
    }

    fn merge(&mut self, p: Prepared, file: usize) -> Result<(), IndexError> {
        self.records_seen += 1;
        self.counts[file].records += 1;
        let key = p.key;
        if let Some((held, _)) = self.pending.get_mut(&key) {
            self.counts[file].merged += 1;
            held.absorb(p);
            return Ok(());
        }
        if let Some((held, _)) = self.open.get_mut(&key) {
            self.counts[file].merged += 1;
            held.absorb(p);
            if held.complete()
                && let Some((done, from)) = self.open.remove(&key)
            {
                self.write_new(key, done, from)?;
            }
            return Ok(());
        }
        if let Some((held, _)) = self.suspects.get_mut(&key) {
            self.counts[file].merged += 1;
            held.absorb(p);
            return Ok(());
        }
        match self.keys.get(&key) {
            Known::Stages(known) => {
                self.counts[file].merged += 1;
                self.merge_written(key, StageSet(known), p, file)
            }
            Known::Maybe => {
                self.suspects.insert(key, (p, file));
                if self.suspects.len() >= SUSPECT_BATCH {
                    self.resolve_suspects()?;
                }
                Ok(())
            }
            Known::Absent => {
                self.counts[file].added += 1;
                // A complete record (the only one of a request under a policy that omits
                // `RequestReceived`) has nothing to wait for: written at once, it skips the
                // window's map. A stage record coming later still merges into it, through the
                // key store, like one coming after the window.
                if p.complete() && !p.is_legacy_half() {
                    return self.write_new(key, p, file);
                }
                self.hold_back(key, p, file)
            }
        }
    }

    /// Holds a new request back in the merge window.
    fn hold_back(&mut self, key: [u8; 16], p: Prepared, file: usize) -> Result<(), IndexError> {
        self.pending.insert(key, (p, file));
        self.order.push_back(key);
        if self.order.len() > self.opts.merge_window {
            self.flush_oldest()?;
        }
        Ok(())
    }

    /// Looks the suspects up in the committed index: merged into what is there, or new.
    fn resolve_suspects(&mut self) -> Result<(), IndexError> {
        if self.suspects.is_empty() {
            return Ok(());
        }
        let batch: Vec<_> = self.suspects.drain().collect();
        let wanted: KeyTable = batch.iter().map(|(k, _)| (*k, 0)).collect();
        let found = self.writer.committed_stages(&wanted)?;
        for (key, (p, file)) in batch {
            if let Some(&known) = found.get(&key) {
                self.count(file, false);
                self.merge_written(key, StageSet(known), p, file)?;
            } else {
                self.count(file, true);
                self.hold_back(key, p, file)?;
            }
        }
        Ok(())
    }

    /// Counts a record resolved late as added or merged, in the summary and manifest too
    /// when its input already ended.
    fn count(&mut self, file: usize, added: bool) {
        let c = &mut self.counts[file];
        if added {
            c.added += 1;
        } else {
            c.merged += 1;
        }
        if !self.ended[file] {
            return;
        }
        if added {
            self.summary.added += 1;
        } else {
            self.summary.merged += 1;
        }
        if let Some(e) = self.writer.manifest.entry_mut(self.files[file].id) {
            if added { e.added += 1 } else { e.merged += 1 }
        }
    }

    /// A record of a request whose event is already written (earlier in this run, or in the
    /// index): replace the event when this record is more complete, else note its stage.
    fn merge_written(
        &mut self,
        key: [u8; 16],
        known: StageSet,
        p: Prepared,
        file: usize,
    ) -> Result<(), IndexError> {
        if p.is_legacy_half() {
            if let Body::Deferred { raw, .. } = p.body {
                self.late_lines.entry(key).or_default().push(raw);
            }
            return Ok(());
        }
        if known.is_superset_of(p.stages) {
            return Ok(()); // a duplicate
        }
        let union = known.union(p.stages);
        if best_rank(p.stages.0) > best_rank(known.0) {
            let Some(doc) = self.materialize(p.body, file, false)? else {
                return Ok(());
            };
            self.keys.update(key, union.0);
            self.fixups.remove(&key);
            return self.writer.replace(doc, union);
        }
        self.keys.update(key, union.0);
        let bits = self.fixups.entry(key).or_default();
        *bits = bits.union(p.stages);
        Ok(())
    }

    /// Writes the document of a request seen for the first time.
    fn write_new(&mut self, key: [u8; 16], p: Prepared, file: usize) -> Result<(), IndexError> {
        let Some(doc) = self.materialize(p.body, file, true)? else {
            return Ok(());
        };
        self.keys.insert(key, p.stages.0);
        self.writer.add(doc, p.stages)
    }

    /// The document of a record, decoding a deferred one now. A deferred record that does
    /// not decode after all (the probe and the decoder agree by construction, so this is a
    /// safety net) is rejected with its file and line instead, its count (as an added or a
    /// merged record) taken back: `None`.
    fn materialize(
        &mut self,
        body: Body,
        file: usize,
        added: bool,
    ) -> Result<Option<PreparedDoc>, IndexError> {
        let (raw, source) = match body {
            Body::Doc(doc) => return Ok(Some(doc)),
            Body::Deferred { raw, source } => (raw, source),
        };
        // The two lines of a legacy request may sit in two inputs: the record belongs to the
        // one its source line is in.
        let f = self
            .files
            .iter()
            .find(|f| f.input.name == source.file)
            .unwrap_or(&self.files[file]);
        let text = String::from_utf8_lossy(&raw);
        let opts = formats::NormalizeOptions::default();
        let err = match formats::decode(&text, &source, opts).into_iter().next() {
            Some(Ok(mut d)) => {
                if d.event.cluster.is_empty()
                    && let Some(c) = &self.opts.cluster
                {
                    d.event.cluster.clone_from(c);
                }
                let fields = self.writer.fields().clone();
                let keep = self.opts.keep_secret_values;
                let key = merge_key(&d.event, &d.raw);
                return Ok(Some(build_doc(&d.event, d.raw, key, f.id, &fields, keep)));
            }
            Some(Err(e)) => e,
            None => RecordError::NotAnEvent("the record holds no audit event".to_owned()),
        };
        let reject = Reject::new(&f.input.name, source.line, &err, &raw);
        self.uncount(file, added);
        self.reject(file, reject)?;
        Ok(None)
    }

    /// Takes back the count of a record (added, or merged) that turned out to be a reject.
    fn uncount(&mut self, file: usize, added: bool) {
        let dec = |n: &mut u64| *n = n.saturating_sub(1);
        let c = &mut self.counts[file];
        dec(&mut c.records);
        dec(if added { &mut c.added } else { &mut c.merged });
        if !self.ended[file] {
            return;
        }
        dec(&mut self.summary.records);
        dec(if added {
            &mut self.summary.added
        } else {
            &mut self.summary.merged
        });
        if let Some(e) = self.writer.manifest.entry_mut(self.files[file].id) {
            dec(&mut e.records);
            dec(if added { &mut e.added } else { &mut e.merged });
        }
    }

    fn flush_oldest(&mut self) -> Result<(), IndexError> {
        let Some(key) = self.order.pop_front() else {
            return Ok(());
        };
        let Some((p, file)) = self.pending.remove(&key) else {
            return Ok(());
        };
        if p.long_running && !p.complete() {
            self.hold_open(key, p, file)?;
            return Ok(());
        }
        self.write_new(key, p, file)
    }

    fn hold_open(&mut self, key: [u8; 16], p: Prepared, file: usize) -> Result<(), IndexError> {
        self.open.insert(key, (p, file));
        self.open_order.push_back(key);
        if self.open_order.len() > 2 * self.open.len() + 1024 {
            let open = &self.open;
            self.open_order.retain(|k| open.contains_key(k));
        }
        if self.open.len() > MAX_OPEN_REQUESTS {
            self.flush_open_oldest()?;
        }
        Ok(())
    }

    /// Writes the oldest open request (its completion, if it comes, will replace it).
    fn flush_open_oldest(&mut self) -> Result<(), IndexError> {
        while let Some(key) = self.open_order.pop_front() {
            if let Some((p, file)) = self.open.remove(&key) {
                return self.write_new(key, p, file);
            }
        }
        Ok(())
    }

    fn flush_all(&mut self) -> Result<(), IndexError> {
        while !self.order.is_empty() {
            self.flush_oldest()?;
        }
        while !self.open_order.is_empty() {
            self.flush_open_oldest()?;
        }
        Ok(())
    }

    /// Counts a rejected record and stores it (within the bound of [`RejectLog`]). A reject
    /// found after its input ended (a deferred record) is counted in the manifest too.
    fn reject(&mut self, file: usize, r: Reject) -> Result<(), IndexError> {
        self.counts[file].rejected += 1;
        self.summary.rejected += 1;
        let id = self.files[file].id;
        let stored = self.rejects.write(file, id, &r)?;
        if self.ended[file] {
            self.summary.rejects_not_stored += u64::from(!stored);
            let not_stored = self.rejects.finish(file, id)?;
            if let Some(e) = self.writer.manifest.entry_mut(id) {
                e.rejected += 1;
                e.rejects_not_stored = not_stored;
            }
        }
        if stored && self.summary.first_rejects.len() < IngestSummary::SHOWN_REJECTS {
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
                warning: false,
            });
            return Ok(());
        }
        let not_stored = self.rejects.finish(file, f.id)?;
        self.summary.rejects_not_stored += not_stored.values().sum::<u64>();
        if let Some(why) = &end.broken {
            self.summary.truncated.push(format!(
                "{}: input ends early ({why}); kept the {} records read before the cut",
                f.input.name, self.counts[file].records
            ));
        }
        let c = self.counts[file].clone();
        self.ended[file] = true;
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
            e.rejects_not_stored = not_stored;
            e.merged = c.merged;
            e.added = c.added;
            e.truncated = end.broken.is_some();
            e.formats = c.formats.iter().map(|f| (*f).to_owned()).collect();
            e.skipped = c.skipped;
            e.ingested_at = jiff::Timestamp::now().to_string();
        }
        self.done_files.push(file);
        if self.bytes_since_commit >= self.opts.commit_every_bytes {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Commits what is written so far. Inputs read to the end are marked complete, unless
    /// stage fixups are pending (those are applied at the final commit).
    fn checkpoint(&mut self) -> Result<(), IndexError> {
        self.resolve_suspects()?;
        self.flush_all()?;
        if self.fixups.is_empty() && self.late_lines.is_empty() {
            self.mark_done_complete();
        }
        self.writer.commit()?;
        self.keys.committed();
        self.bytes_since_commit = 0;
        Ok(())
    }

    /// Commits what is written so far, leaving held-back requests held (their inputs are not
    /// marked complete, so a rerun reads them again and skips what was committed).
    fn commit_written(&mut self) -> Result<(), IndexError> {
        self.writer.commit()?;
        self.keys.committed();
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
        self.resolve_suspects()?;
        self.flush_all()?;
        if !self.fixups.is_empty() || !self.late_lines.is_empty() {
            self.writer.commit()?;
            self.apply_fixups()?;
            self.apply_late_lines()?;
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
            let source = SourceRef {
                file,
                line: stored.line,
                record: stored.record,
            };
            let format = SourceFormat::parse(&stored.format).unwrap_or(SourceFormat::Native);
            let Ok(mut event) =
                formats::renormalize(raw, format, source, formats::NormalizeOptions::default())
            else {
                continue;
            };
            event.cluster = stored.cluster;
            // The stored raw is already redacted: rebuild the document from it as is.
            let doc = fields.document(&event, key, Cow::Borrowed(raw), stored.file);
            self.writer.replace(
                PreparedDoc::new(key, doc, &event),
                stored.stages.union(bits),
            )?;
        }
        Ok(())
    }

    /// Joins late lines of requests logged before 1.7 into their committed records.
    fn apply_late_lines(&mut self) -> Result<(), IndexError> {
        let late = std::mem::take(&mut self.late_lines);
        let fields = self.writer.fields().clone();
        for (key, lines) in late {
            let Some(stored) = self.writer.fetch_stored(key)? else {
                continue;
            };
            let Ok(held) = std::str::from_utf8(&stored.raw) else {
                continue;
            };
            let joined = lines.iter().fold(held.to_owned(), |acc, l| {
                formats::legacy::join(&acc, &String::from_utf8_lossy(l))
            });
            if joined == held {
                continue; // copies of lines already held (a rerun)
            }
            let source = SourceRef {
                file: self.writer.manifest.path_of(stored.file),
                line: stored.line,
                record: None,
            };
            let opts = formats::NormalizeOptions::default();
            let Ok(mut event) = formats::renormalize(&joined, SourceFormat::Legacy, source, opts)
            else {
                continue;
            };
            event.cluster = stored.cluster;
            let doc = fields.document(&event, key, Cow::Borrowed(&joined), stored.file);
            self.writer
                .replace(PreparedDoc::new(key, doc, &event), stored.stages)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::WriterOptions;
    use crate::ingest::source::Digested;
    use crate::ingest::source::Input;
    use crate::model::Stage;

    struct Quiet;
    impl Progress for Quiet {
        fn start(&self, _: u64) {}
        fn update(&self, _: u64, _: u64) {}
        fn finish(&self) {}
    }

    /// Should a deferred record fail to decode when it is finally written, it becomes a reject
    /// with its file and line, its count is taken back, and the run goes on.
    #[test]
    fn regression_deferred_record_that_fails_to_decode_is_rejected_not_fatal() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path().join("idx"));
        let mut writer = IndexWriter::open(&dir, WriterOptions::default()).unwrap();
        let name = "/logs/a.log".to_owned();
        let id = writer.manifest.id_for(&name);
        let files = vec![RunFile {
            input: Input {
                name: name.clone(),
                path: None,
                size: 0,
                mtime: 0,
            },
            id,
        }];
        let keys = writer.load_keys(16).unwrap();
        let opts = IngestOptions::default();
        let mut summary = IngestSummary::default();
        let raw = br#"{"auditID":"rr-1","stage":"RequestReceived","user":5}"#.to_vec();
        let deferred = Prepared {
            key: [7; 16],
            body: Body::Deferred {
                raw,
                source: SourceRef {
                    file: name.clone(),
                    line: 2,
                    record: None,
                },
            },
            stages: StageSet::of(Stage::RequestReceived),
            long_running: false,
            format: SourceFormat::Native,
        };
        let (tx, rx) = crossbeam_channel::unbounded();
        let outcomes = vec![Outcome::Event(Box::new(deferred))];
        tx.send(Done::Batch {
            seq: 0,
            file: 0,
            outcomes,
            bytes: 10,
        })
        .unwrap();
        let end = FileEnd {
            digest: Digested::default(),
            gzip: false,
            broken: None,
            failed: None,
        };
        tx.send(Done::FileEnd {
            seq: 1,
            file: 0,
            end,
        })
        .unwrap();
        drop(tx);
        let mut seq = Sequencer::new(&mut writer, keys, &dir, &files, &opts, &mut summary);
        seq.run(&rx, &Quiet, &AtomicU64::new(0)).unwrap();
        assert_eq!(
            (summary.records, summary.added, summary.rejected),
            (0, 0, 1)
        );
        let shown = summary.first_rejects[0].to_string();
        assert!(
            shown.starts_with(&format!("{name}:2: wrong field type at `user`")),
            "{shown}"
        );
        let entry = writer.manifest.entry(id).unwrap();
        assert_eq!((entry.records, entry.added, entry.rejected), (0, 0, 1));
        let stored = std::fs::read_to_string(dir.rejects_file(id)).unwrap();
        assert_eq!(stored.lines().count(), 1);
    }
}

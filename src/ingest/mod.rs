//! Reading audit logs into the index: find and open inputs, cut them into records, decode
//! each record's format, merge the stage records of a request, and hand events to the index.
//! The only module that reads log files. Imports `model`, `detect` (facts derived at
//! ingest) and `index` (the writer); nothing above them.

mod document;
pub mod formats;
mod pipeline;
mod reader;
pub mod redact;
pub mod reject;
mod reject_log;
mod sequencer;
pub mod source;
pub mod split;
mod work;

use std::path::PathBuf;
use std::time::Duration;

pub use pipeline::run;
pub use reject::{RecordError, Reject};
pub use reject_log::STORED_PER_REASON;
pub use source::InputProblem;

/// Progress callback: bytes read so far, events decoded so far.
pub trait Progress: Sync {
    fn start(&self, total_bytes: u64);
    fn update(&self, bytes: u64, events: u64);
    fn finish(&self);
}

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Keep Secret values and tokens in bodies as logged (off: they are redacted).
    pub keep_secret_values: bool,
    /// Longest record accepted; longer ones are rejected without being buffered.
    pub max_record_bytes: usize,
    /// Parser threads (0: one per core).
    pub workers: usize,
    /// Records held back to merge a request's stage records before indexing.
    pub merge_window: usize,
    /// Commit (a crash-safe checkpoint) after this many input bytes.
    pub commit_every_bytes: u64,
    /// Writer heap for the index.
    pub heap_bytes: usize,
    /// The cluster label of events whose export does not name their cluster.
    pub cluster: Option<String>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            keep_secret_values: false,
            max_record_bytes: 32 << 20,
            workers: 0,
            merge_window: 16_384,
            commit_every_bytes: 1 << 30,
            heap_bytes: 256 << 20,
            cluster: None,
        }
    }
}

/// What one ingest run did.
#[derive(Debug, Clone, Default)]
pub struct IngestSummary {
    pub files_read: usize,
    /// Inputs skipped because the index already holds them.
    pub files_skipped: usize,
    pub problems: Vec<InputProblem>,
    /// Valid records read.
    pub records: u64,
    /// New logical events.
    pub added: u64,
    /// Records folded into an event: other stages of a request, and duplicates.
    pub merged: u64,
    pub rejected: u64,
    /// Rejects counted in `rejected` but not stored (beyond the first of each reason).
    pub rejects_not_stored: u64,
    /// Lines expected in their format but not audit data (klog lines in container stdout,
    /// CSV headers, Firehose control messages): skipped, not rejected.
    pub skipped: u64,
    /// The first rejects, for the terminal (the rejects files store the first
    /// [`STORED_PER_REASON`] of each reason per input; all are counted).
    pub first_rejects: Vec<Reject>,
    /// Inputs that ended mid-stream (truncated gzip), with what was kept.
    pub truncated: Vec<String>,
    /// Bytes read from disk (compressed size for gzip).
    pub bytes: u64,
    pub elapsed: Duration,
    /// Events in the index after the run.
    pub total_events: u64,
    pub rejects_dir: PathBuf,
}

impl IngestSummary {
    pub const SHOWN_REJECTS: usize = 10;

    /// The one-line summary: files, events, merged stage records, rejected lines, MB/s.
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        #[expect(clippy::cast_precision_loss, reason = "megabytes shown to one decimal")]
        let mb = self.bytes as f64 / 1e6;
        let skipped = if self.files_skipped > 0 {
            format!(" ({} already indexed)", self.files_skipped)
        } else {
            String::new()
        };
        let not_audit = if self.skipped > 0 {
            format!(
                ", {} non-audit lines skipped (klog, headers, control messages)",
                self.skipped
            )
        } else {
            String::new()
        };
        format!(
            "{}{skipped}, {} added ({} in index), {} merged into events (other stages, copies), {} rejected{not_audit}, {:.1} MB read in {:.2}s ({:.1} MB/s)",
            crate::model::plural(self.files_read, "file"),
            crate::model::plural(self.added, "event"),
            self.total_events,
            crate::model::plural(self.merged, "record"),
            self.rejected,
            mb,
            secs,
            mb / secs
        )
    }
}

//! The messages of the ingest pipeline's threads, in the order they flow: the run's files
//! ([`RunFile`]), the reader's batches of records ([`Work`]), the parser threads' decoded
//! records ([`Done`], [`Outcome`], [`Prepared`]) and the end of an input ([`FileEnd`]).
//! `reader`, `pipeline` (the parser threads) and `sequencer` all speak them; this file names
//! none of those three.

use super::formats;
use super::reject::Reject;
use super::source::{Digested, Input};
use super::split::Piece;
use crate::index::PreparedDoc;
use crate::index::writer::best_rank;
use crate::model::{SourceFormat, SourceRef, Stage, StageSet};

/// One input file of this run.
pub(super) struct RunFile {
    pub input: Input,
    pub id: u64,
}

/// How an input ended, sent after its last batch.
pub(super) struct FileEnd {
    pub digest: Digested,
    pub gzip: bool,
    /// The stream broke off (truncated gzip, read error): why.
    pub broken: Option<String>,
    /// The input could not be opened at all.
    pub failed: Option<String>,
}

/// A unit of work for the parser threads, in input order (`seq`).
pub(super) enum Work {
    Batch {
        seq: u64,
        file: usize,
        pieces: Vec<Piece>,
        /// Input bytes of the batch.
        bytes: u64,
        /// The format of the native events of this input, when its path or head says more
        /// (OpenShift must-gather, container stdout).
        format: Option<SourceFormat>,
    },
    FileEnd {
        seq: u64,
        file: usize,
        end: FileEnd,
    },
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

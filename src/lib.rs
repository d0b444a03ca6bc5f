//! kubesift: a terminal workbench for investigating Kubernetes API-server audit logs.
//!
//! ```text
//! logs ─▶ ingest (sniff, decode, normalize) ─▶ index (tantivy) ─▶ query · detect
//!                                                                      │
//!                                  cli · tui ◀── session (index + findings + case) ◀─┘
//! ```
//!
//! Layers, each importing only the ones before it: `model` (nothing of the crate) and
//! `fsutil`; `query`; `detect`; `case`; `index` (never `ingest`: the session hands it the
//! decoder of stored records); `incidents` (findings linked into stories); `ingest`; `export`; `story` (sessions, lineage, access and
//! coverage rebuilt from the index's columns); `session` (opens an index with its
//! findings, loads events, ingests paths: the one entry point of every command); `tui`;
//! `cli` (which opens the workbench). No two source files import each other in a circle
//! (`tests/architecture.rs` checks it, with the layers' order and the 900-line limit).
//!
//! The public API is what the binary, the integration tests and benchmarks use: the
//! [`Session`], the model types, query parsing, the detections (findings, rules, and the
//! engine the rule fixtures run on decoded events), decoding one record, the case, and the
//! command line and workbench. Everything else is internal to the crate.

pub mod cli;
pub mod detect;
pub mod incidents;
pub mod model;
pub mod query;
pub mod session;
pub mod story;
pub mod tui;

#[doc(hidden)]
pub mod case;
#[doc(hidden)]
pub mod export;
mod fsutil;
#[doc(hidden)]
pub mod index;
#[doc(hidden)]
pub mod ingest;

/// Internals the fuzz harness (`tests/fuzz`) drives directly — every decoder, the record
/// splitter, redaction, query translation, exports — so that a fuzzed input reaches the code
/// that reads it without a layer in between. Not an API: the modules are public (hidden) only
/// for it, and nothing else outside the crate names them.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::{case, export, index, ingest};
}

pub use case::{Case, CaseOp, CaseStore};
pub use ingest::formats::{NormalizeOptions, decode as decode_record};
pub use session::{IndexDir, Session};

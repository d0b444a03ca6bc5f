//! kubesift: a terminal workbench for investigating Kubernetes API-server audit logs.
//!
//! ```text
//! logs ─▶ ingest (sniff, decode, normalize) ─▶ index (tantivy) ─▶ query ─▶ cli output
//! ```

pub mod case;
pub mod cli;
pub mod detect;
pub mod export;
pub mod fsutil;
pub mod index;
pub mod ingest;
pub mod model;
pub mod query;
pub mod tui;

//! The session: one index directory opened for an investigation — its reader and manifest,
//! its findings (the stored ones when current, else computed), the events behind audit IDs,
//! searches and statistics, the story of an identity (`story`: sessions, lineage, access)
//! and the data set's blind spots — and what works on the directory without opening it: ingesting
//! paths, locating the case file. Every command and the workbench start here; none of them
//! calls another.
//!
//! Layering: `session` may import every library module below it (`model`, `query`,
//! `detect`, `index`, `incidents`, `story`, `ingest`, `case`, `export`, `fsutil`) and wires them together (it
//! hands the index the input formats' decoder); `cli` and `tui` sit above it, and it never
//! names them.

mod case;
mod findings;
mod incidents;
mod ingest;
mod stats;
mod story;

pub use self::case::{case_path, checked_case_path, writable_store};
pub use self::findings::{Tuning, load_sigma, rule_catalogue};
pub use self::ingest::ingest;
pub use self::stats::{InputStat, RejectedInput, Stats, TopList, TopValue};
pub use crate::index::IndexDir;
pub use crate::index::reader::{Hit, Loaded, TimeOrder};
pub use crate::ingest::{IngestOptions, IngestSummary, Progress, Reject, STORED_PER_REASON};

use crate::index::{IndexReader, Manifest, Result};
use crate::ingest::formats::{self, NormalizeOptions};
use crate::model::{AuditEvent, Micros, SourceFormat, SourceRef};
use crate::query::{self, Expr, TimeSpec};

/// What the workbench's header shows about an index: events, input files, time span.
#[derive(Debug, Clone, Default)]
pub struct IndexFacts {
    pub events: u64,
    pub files: usize,
    pub span: Option<(Micros, Micros)>,
}

/// How many audit IDs an ambiguous prefix lists.
const PREFIX_CANDIDATES: usize = 10;

/// An opened index directory.
pub struct Session {
    reader: IndexReader,
    /// The analyst's Sigma rules, shown beside the built-in findings.
    sigma: Option<std::sync::Arc<crate::detect::sigma::SigmaSet>>,
}

impl Session {
    /// Opens the index of `dir` (its last commit), decoding stored records with the input
    /// formats of `ingest`.
    pub fn open(dir: &IndexDir) -> Result<Session> {
        Ok(Session {
            reader: IndexReader::open(dir, decode_stored)?,
            sigma: None,
        })
    }

    pub fn dir(&self) -> &IndexDir {
        &self.reader.dir
    }

    /// The index reader, for the layers that take one (export, the workbench's pages).
    pub fn reader(&self) -> &IndexReader {
        &self.reader
    }

    /// Which inputs the index holds.
    pub fn manifest(&self) -> &Manifest {
        &self.reader.manifest
    }

    /// Picks up the newest commit (after an ingest by another process).
    pub fn reload(&mut self) -> Result<()> {
        self.reader.reload()
    }

    pub fn facts(&self) -> Result<IndexFacts> {
        Ok(IndexFacts {
            events: self.reader.num_events(),
            files: self.manifest().complete_files().count(),
            span: self.reader.time_span()?,
        })
    }

    /// The number of events matching `expr`.
    pub fn count(&self, expr: &Expr) -> Result<u64> {
        self.reader.count(expr)
    }

    /// Events matching `expr` in time order, at most `limit` (all when 0).
    pub fn search(&self, expr: &Expr, limit: usize, order: TimeOrder) -> Result<Vec<Hit>> {
        self.reader.search(expr, limit, 0, order)
    }

    /// The event behind a hit, with its stored record.
    pub fn load(&self, hit: &Hit) -> Result<Loaded> {
        self.reader.load(hit)
    }

    /// The events with this audit ID (several when a client reused it), in time order.
    pub fn events_with_id(&self, audit_id: &str) -> Result<Vec<Loaded>> {
        let hits = self.reader.find_audit_id(audit_id)?;
        hits.iter().map(|h| self.reader.load(h)).collect()
    }

    /// The events of the audit ID `id`, or else of the one audit ID that starts with `id`
    /// (`kubesift show 5f3a`); none when nothing matches. A prefix several audit IDs start
    /// with is an error naming (up to ten of) them.
    pub fn events_with_id_or_prefix(&self, id: &str) -> anyhow::Result<Vec<Loaded>> {
        let exact = self.events_with_id(id)?;
        if !exact.is_empty() || id.is_empty() {
            return Ok(exact);
        }
        let mut ids = self
            .reader
            .audit_ids_with_prefix(id, PREFIX_CANDIDATES + 1)?;
        match ids.len() {
            0 => Ok(Vec::new()),
            1 => Ok(self.events_with_id(&ids[0])?),
            n => {
                let more = if n > PREFIX_CANDIDATES {
                    " or more"
                } else {
                    ""
                };
                ids.truncate(PREFIX_CANDIDATES);
                anyhow::bail!(
                    "audit ID prefix {id} is ambiguous: {} audit IDs{more} start with it; give more of it:\n  {}",
                    ids.len(),
                    ids.join("\n  ")
                )
            }
        }
    }

    /// The first event with this audit ID, if the index holds one.
    pub fn event_with_id(&self, audit_id: &str) -> Result<Option<Loaded>> {
        let hits = self.reader.find_audit_id(audit_id)?;
        hits.first().map(|h| self.reader.load(h)).transpose()
    }
}

/// Parses a query and a time window into one plan; errors point at the column.
pub fn plan(
    query_text: &str,
    since: Option<TimeSpec>,
    until: Option<TimeSpec>,
) -> anyhow::Result<Expr> {
    let expr = query::parse(query_text).map_err(|e| anyhow::anyhow!(e.explain(query_text)))?;
    Ok(expr.and(Expr::time_window(since, until)))
}

/// How the index decodes its stored records: as `ingest` read them, keeping bodies.
pub fn decode_stored(
    raw: &str,
    format: SourceFormat,
    source: SourceRef,
) -> std::result::Result<AuditEvent, String> {
    let opts = NormalizeOptions { whole: true };
    formats::renormalize(raw, format, source, opts).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_a_missing_index_names_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path().join("nowhere"));
        let Err(e) = Session::open(&dir) else {
            panic!("a missing index opened");
        };
        assert!(e.to_string().contains("nowhere"), "{e}");
        assert!(!dir.root.exists(), "opening created the directory");
    }

    #[test]
    fn plan_points_at_the_bad_column_and_adds_the_time_window() {
        let e = plan("verb:get AND (", None, None).unwrap_err().to_string();
        assert!(e.contains('^'), "{e}");
        let since = TimeSpec::parse_checked("2024-01-02").unwrap();
        assert_ne!(
            plan("verb:get", Some(since), None).unwrap(),
            plan("verb:get", None, None).unwrap()
        );
    }
}

//! Reading the index: queries in time order, counts, pivots, histograms, and loading the
//! events behind hits (re-normalized from the stored raw record by the [`DecodeStored`]
//! function the opener supplies: the index stores records as logged and knows no input
//! format).

use std::ops::Bound;

use tantivy::collector::{Count, MultiCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::{DateTime, Index, Order, ReloadPolicy, Searcher, TantivyDocument};

use super::agg::{self, AllHits, IpCounts, TermCounts, TimeHistogram};
use super::columns::{AuditIds, SegmentColumns, str_column};
pub use super::hit::Hit;
use super::manifest::{Manifest, read_manifest};
use super::schema::{Fields, same_audit_id, uuid_prefix_range};
use super::translate::Translator;
use super::{IndexDir, IndexError, Result};
use crate::model::{AuditEvent, Micros, SourceFormat, SourceRef, StageSet};
use crate::query::{Expr, Pattern};

/// The most frequent values of a field with their counts, and the number of matching
/// events without a value.
pub type TopValues = (Vec<(String, u64)>, u64);

/// Decodes a stored record — its text as logged, read from `format` — back into its event
/// (with its body). Supplied by whoever opens a reader (the session, from `ingest`'s
/// decoders): decoding belongs to the input formats, which the index must not name.
pub type DecodeStored =
    fn(raw: &str, format: SourceFormat, source: SourceRef) -> Result<AuditEvent, String>;

/// An event loaded from the index.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub event: AuditEvent,
    /// The stored record, as logged (Secret values redacted unless kept at ingest).
    pub raw: String,
}

/// Which end of the time order a search starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOrder {
    Oldest,
    Newest,
}

pub struct IndexReader {
    pub dir: IndexDir,
    index: Index,
    reader: tantivy::IndexReader,
    pub(super) fields: Fields,
    pub manifest: Manifest,
    decode: DecodeStored,
    /// Fast columns of table rows, per segment of the (fixed) searcher.
    pub(super) summary_columns: std::sync::Mutex<std::collections::HashMap<u32, SegmentColumns>>,
}

impl IndexReader {
    /// Opens the index of `dir` (its last commit); `decode` turns stored records back into
    /// events.
    pub fn open(dir: &IndexDir, decode: DecodeStored) -> Result<IndexReader> {
        dir.check_readable()?;
        let mmap = MmapDirectory::open(dir.tantivy()).map_err(|e| IndexError::Tantivy(e.into()))?;
        let mut index = Index::open(mmap)?;
        // Searches and counts run over segments in parallel.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        let manifest = read_manifest(&index, dir)?;
        // Loads walk each segment's store in order: a few cached 128 KiB blocks per segment
        // suffice (tantivy's default of 100 would hold ~13 MB per segment).
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(4)
            .try_into()?;
        Ok(IndexReader {
            dir: dir.clone(),
            index,
            reader,
            fields: Fields::new(),
            manifest,
            decode,
            summary_columns: std::sync::Mutex::default(),
        })
    }

    pub(super) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Picks up a newer commit (after an ingest in another process).
    pub fn reload(&mut self) -> Result<()> {
        self.reader.reload()?;
        self.manifest = read_manifest(&self.index, &self.dir)?;
        // Cached columns are per segment of the old searcher.
        if let Ok(mut cols) = self.summary_columns.lock() {
            cols.clear();
        }
        Ok(())
    }

    /// The commit this reader sees (changes with every ingest that adds something).
    pub fn opstamp(&self) -> u64 {
        self.index.load_metas().map_or(0, |m| m.opstamp)
    }

    pub fn num_events(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Oldest and newest event time.
    pub fn time_span(&self) -> Result<Option<(Micros, Micros)>> {
        let searcher = self.searcher();
        let mut span: Option<(i64, i64)> = None;
        for seg in searcher.segment_readers() {
            if seg.num_docs() == 0 {
                continue;
            }
            let col = seg.fast_fields().date("time")?;
            let (lo, hi) = (
                col.min_value().into_timestamp_micros(),
                col.max_value().into_timestamp_micros(),
            );
            span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        Ok(span.map(|(a, b)| (Micros(a), Micros(b))))
    }

    fn compile(&self, expr: &Expr) -> Result<Box<dyn Query>> {
        let anchor = if expr.is_relative() {
            self.time_span()?.map_or(Micros(0), |(_, newest)| newest)
        } else {
            Micros(0)
        };
        let text_analyzer = self.index.tokenizer_for_field(self.fields.text)?;
        let mut t = Translator {
            fields: &self.fields,
            text_analyzer,
            anchor,
        };
        t.query(expr)
    }

    pub fn count(&self, expr: &Expr) -> Result<u64> {
        let q = self.compile(expr)?;
        Ok(self.searcher().search(&q, &Count)? as u64)
    }

    /// Hits in time order, skipping `offset`, at most `limit` (all when `limit` is 0).
    pub fn search(
        &self,
        expr: &Expr,
        limit: usize,
        offset: usize,
        order: TimeOrder,
    ) -> Result<Vec<Hit>> {
        let q = self.compile(expr)?;
        let searcher = self.searcher();
        if limit == 0 {
            let mut all = searcher.search(&q, &AllHits)?;
            all.sort_unstable_by_key(|(t, a)| (*t, a.segment_ord, a.doc_id));
            if order == TimeOrder::Newest {
                all.reverse();
            }
            return Ok(all
                .into_iter()
                .skip(offset)
                .map(|(t, addr)| Hit::new(addr, Micros(t)))
                .collect());
        }
        let tantivy_order = match order {
            TimeOrder::Oldest => Order::Asc,
            TimeOrder::Newest => Order::Desc,
        };
        let top = TopDocs::with_limit(limit)
            .and_offset(offset)
            .order_by_fast_field::<DateTime>("time", tantivy_order);
        let hits = searcher.search(&q, &top)?;
        Ok(hits
            .into_iter()
            .map(|(t, addr)| Hit::new(addr, Micros(t.map_or(0, DateTime::into_timestamp_micros))))
            .collect())
    }

    /// Loads the event behind a hit, re-normalized from the stored record.
    pub fn load(&self, hit: &Hit) -> Result<Loaded> {
        let searcher = self.searcher();
        let doc: TantivyDocument = searcher.doc(hit.addr())?;
        let get_u64 = |f| doc.get_first(f).and_then(|v| v.as_u64()).unwrap_or(0);
        let file_id = get_u64(self.fields.file);
        let line = get_u64(self.fields.line);
        let raw = doc
            .get_first(self.fields.raw)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        let seg = searcher.segment_reader(hit.addr().segment_ord);
        let stages = seg
            .fast_fields()
            .u64("stages")?
            .first(hit.addr().doc_id)
            .unwrap_or(0);
        let format = self.stored_format(hit)?;
        let source = SourceRef {
            file: self.manifest.path_of(file_id),
            line,
            record: doc.get_first(self.fields.record).and_then(|v| v.as_u64()),
        };
        let mut event = (self.decode)(&raw, format, source)
            .map_err(|e| IndexError::Manifest(format!("stored record no longer decodes: {e}")))?;
        event.cluster = str_column(seg, "cluster", hit.addr().doc_id)?;
        event.stages = StageSet(super::schema::stage_bits(stages));
        Ok(Loaded { event, raw })
    }

    fn stored_format(&self, hit: &Hit) -> Result<SourceFormat> {
        let seg = self
            .searcher()
            .segment_reader(hit.addr().segment_ord)
            .clone();
        let s = str_column(&seg, "format", hit.addr().doc_id)?;
        Ok(SourceFormat::parse(&s).unwrap_or(SourceFormat::Native))
    }

    /// Events with this audit ID (several when a client reused it), in time order.
    pub fn find_audit_id(&self, id: &str) -> Result<Vec<Hit>> {
        let expr = Expr::Field {
            field: "audit_id",
            pattern: Pattern::Exact(id.to_owned()),
        };
        let hits = self.search(&expr, 0, 0, TimeOrder::Oldest)?;
        // The column holds a 64-bit hash of the ID: confirm each hit.
        let mut confirmed = Vec::with_capacity(hits.len());
        for h in hits {
            if same_audit_id(&self.load(&h)?.event.audit_id, id) {
                confirmed.push(h);
            }
        }
        Ok(confirmed)
    }

    /// The distinct audit IDs that start with `prefix`, sorted, at most `limit`: read from
    /// each segment's UUID columns and the sorted dictionary of its other IDs, never from the
    /// documents.
    pub fn audit_ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        // UUIDs are case-insensitive: a prefix of one finds it written in either case (logs
        // write them lower-case, tickets often upper-case).
        let lower = prefix.to_ascii_lowercase();
        let mut spellings = vec![prefix.to_owned()];
        if uuid_prefix_range(&lower).is_some() {
            for v in [lower.clone(), prefix.to_ascii_uppercase()] {
                if !spellings.contains(&v) {
                    spellings.push(v);
                }
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for seg in self.searcher().segment_readers() {
            AuditIds::open(seg)?.uuids_with_prefix(&lower, seg.max_doc(), limit, &mut ids);
            let Some(col) = seg.fast_fields().str("audit_id")? else {
                continue;
            };
            for p in &spellings {
                let mut terms = col
                    .dictionary()
                    .range()
                    .ge(p.as_bytes())
                    .into_stream()
                    .map_err(|e| IndexError::io("reading the audit IDs", e))?;
                let mut taken = 0;
                while taken < limit && terms.advance() && terms.key().starts_with(p.as_bytes()) {
                    ids.insert(String::from_utf8_lossy(terms.key()).into_owned());
                    taken += 1;
                }
            }
        }
        Ok(ids.into_iter().take(limit).collect())
    }

    /// The most frequent values of a pivot field among the events matching `expr`, and the
    /// number of matching events without a value.
    pub fn top(&self, expr: &Expr, field: &str, n: usize) -> Result<TopValues> {
        let mut tops = self.tops(expr, &[field], n)?;
        Ok(tops.pop().unwrap_or_default())
    }

    /// The top `n` values of each of `fields` among the matching events (one pass), with the
    /// number of events without a value.
    pub fn tops(&self, expr: &Expr, fields: &[&str], n: usize) -> Result<Vec<TopValues>> {
        let q = self.compile(expr)?;
        let mut multi = MultiCollector::new();
        let mut handles = Vec::with_capacity(fields.len());
        for &field in fields {
            let field = field.to_owned();
            handles.push(if field == "peer" {
                multi.add_collector(IpCounts { field })
            } else {
                if self.fields.keyword(&field).is_none() {
                    return Err(IndexError::Manifest(format!(
                        "`{field}` is not a pivot field"
                    )));
                }
                multi.add_collector(TermCounts { field })
            });
        }
        let mut fruits = self.searcher().search(&q, &multi)?;
        Ok(handles
            .into_iter()
            .map(|h| {
                let (counts, missing) = h.extract(&mut fruits);
                (agg::top_n(counts, n), missing)
            })
            .collect())
    }

    /// Counts of matching events per time bucket between `start` and `end`.
    pub fn histogram(
        &self,
        expr: &Expr,
        start: Micros,
        end: Micros,
        buckets: usize,
    ) -> Result<Vec<u64>> {
        let n = i64::try_from(buckets.max(1)).unwrap_or(i64::MAX);
        let width = ((end.0 - start.0) / n).max(1) + 1;
        self.histogram_raw(expr, start.0, width, buckets)
    }

    /// Counts of matching events in `buckets` buckets of `width` microseconds from `start`.
    pub fn histogram_raw(
        &self,
        expr: &Expr,
        start: i64,
        width: i64,
        buckets: usize,
    ) -> Result<Vec<u64>> {
        let q = self.compile(expr)?;
        Ok(self.searcher().search(
            &q,
            &TimeHistogram {
                start,
                width: width.max(1),
                buckets,
            },
        )?)
    }
}

/// `expr AND start <= time < end`.
pub fn within(expr: &Expr, start: Micros, end: Micros) -> Expr {
    expr.clone().and(Expr::Field {
        field: "time",
        pattern: Pattern::Time(
            Bound::Included(crate::query::TimeSpec::At(start)),
            Bound::Excluded(crate::query::TimeSpec::At(end)),
        ),
    })
}

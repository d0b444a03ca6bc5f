//! Random access into the time-ordered hits of a query, for views that scroll through
//! millions of events without loading them: a histogram of the query's hits over time tells
//! which time slice holds the n-th hit; only that slice is searched. Dense slices are split
//! again on demand. Event rows for tables are read from fast columns, not stored documents.

use std::collections::HashMap;
use std::net::Ipv6Addr;

use tantivy::DateTime;
use tantivy::columnar::Column;

use super::Result;
use super::reader::{Hit, IndexReader, TimeOrder, within};
use super::schema::from_v6;
use crate::model::{EventSummary, Micros};
use crate::query::Expr;

/// Slices larger than this are split before searching inside them.
const DENSE: u64 = 4096;
const BUCKETS: usize = 1024;
/// Hits skipped within a dense slice by a plain top-k search (deeper: finer histograms).
const SHALLOW: u64 = 20_000;

/// The distribution over time of a query's hits.
#[derive(Debug, Clone)]
pub struct TimeIndex {
    pub expr: Expr,
    pub total: u64,
    start: i64,
    width: i64,
    counts: Vec<u64>,
    /// Finer histograms of dense buckets, by (start, width).
    finer: HashMap<(i64, i64), Vec<u64>>,
}

impl TimeIndex {
    /// Builds the histogram of `expr` over the index's time span.
    pub fn new(reader: &IndexReader, expr: &Expr) -> Result<TimeIndex> {
        let (start, end) = reader.time_span()?.map_or((0, 1), |(a, b)| (a.0, b.0 + 1));
        let width = ((end - start) / BUCKETS as i64).max(1) + 1;
        let counts = reader.histogram_raw(expr, start, width, BUCKETS)?;
        Ok(TimeIndex {
            expr: expr.clone(),
            total: counts.iter().sum(),
            start,
            width,
            counts,
            finer: HashMap::new(),
        })
    }

    /// Up to `limit` hits starting at position `offset` of the time order.
    pub fn page(&mut self, reader: &IndexReader, offset: u64, limit: usize) -> Result<Vec<Hit>> {
        let mut out = Vec::with_capacity(limit);
        let mut skip = offset;
        let counts = self.counts.clone();
        self.collect(
            reader, self.start, self.width, &counts, &mut skip, limit, &mut out,
        )?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn collect(
        &mut self,
        reader: &IndexReader,
        start: i64,
        width: i64,
        counts: &[u64],
        skip: &mut u64,
        limit: usize,
        out: &mut Vec<Hit>,
    ) -> Result<()> {
        let dense = |n: u64| n > DENSE && width >= 64;
        let mut i = 0;
        while i < counts.len() && out.len() < limit {
            let n = counts[i];
            if *skip >= n {
                *skip -= n;
                i += 1;
                continue;
            }
            let b_start = start + i as i64 * width;
            let take = (limit - out.len()) as u64;
            if dense(n) && (*skip <= SHALLOW || n - *skip <= SHALLOW + take) {
                // Near either end of a dense bucket one top-k search is cheaper than a finer
                // histogram (each is a pass over the query's hits).
                let slice = within(&self.expr, Micros(b_start), Micros(b_start + width));
                if *skip <= SHALLOW {
                    let hits =
                        reader.search(&slice, take as usize, *skip as usize, TimeOrder::Oldest)?;
                    out.extend(hits);
                } else {
                    let from_end = n.saturating_sub(*skip + take);
                    let count = (n - *skip).min(take);
                    let mut hits = reader.search(
                        &slice,
                        count as usize,
                        from_end as usize,
                        TimeOrder::Newest,
                    )?;
                    hits.reverse();
                    out.extend(hits);
                }
                *skip = 0;
                i += 1;
                continue;
            }
            if dense(n) {
                let sub_width = (width + 63) / 64;
                let finer = self.finer(reader, b_start, width, sub_width)?;
                self.collect(reader, b_start, sub_width, &finer, skip, limit, out)?;
                i += 1;
                continue;
            }
            // One search over a run of sparse buckets that holds the rest of the page.
            let needed = *skip + (limit - out.len()) as u64;
            let (mut end, mut held) = (i, 0);
            while end < counts.len() && held < needed && !dense(counts[end]) {
                held += counts[end];
                end += 1;
            }
            let b_end = start + end as i64 * width;
            let slice = within(&self.expr, Micros(b_start), Micros(b_end));
            let hits =
                reader.search(&slice, limit - out.len(), *skip as usize, TimeOrder::Oldest)?;
            *skip = 0;
            out.extend(hits);
            i = end;
        }
        Ok(())
    }

    /// The histogram of one bucket at a finer width (cached).
    fn finer(
        &mut self,
        reader: &IndexReader,
        start: i64,
        width: i64,
        sub_width: i64,
    ) -> Result<Vec<u64>> {
        if let Some(f) = self.finer.get(&(start, sub_width)) {
            return Ok(f.clone());
        }
        let slice = within(&self.expr, Micros(start), Micros(start + width));
        let n = ((width + sub_width - 1) / sub_width) as usize;
        let f = reader.histogram_raw(&slice, start, sub_width, n)?;
        self.finer.insert((start, sub_width), f.clone());
        Ok(f)
    }

    /// Position (in time order) of the first hit at or after `t`.
    pub fn position_of(&self, reader: &IndexReader, t: Micros) -> Result<u64> {
        reader.count(
            &self
                .expr
                .clone()
                .and(Expr::time_window(None, Some(crate::query::TimeSpec::At(t)))),
        )
    }

    /// Counts per bucket for a timeline: `buckets` buckets between `start` and `end`.
    pub fn span(&self) -> (Micros, Micros) {
        (
            Micros(self.start),
            Micros(self.start + self.width * self.counts.len() as i64),
        )
    }
}

impl IndexReader {
    /// Table rows for hits, read from the fast columns (no stored document is touched).
    pub fn summaries(&self, hits: &[Hit]) -> Result<Vec<EventSummary>> {
        let searcher = self.searcher();
        // Opening a segment's columns reads their dictionaries: keep them for the next page.
        let mut cache = self
            .summary_columns
            .lock()
            .map_err(|_| super::IndexError::Manifest("a reader thread panicked".into()))?;
        let mut by_segment: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, h) in hits.iter().enumerate() {
            by_segment.entry(h.segment_ord()).or_default().push(i);
        }
        let mut out = vec![EventSummary::default(); hits.len()];
        for (seg_ord, rows) in by_segment {
            if let std::collections::hash_map::Entry::Vacant(v) = cache.entry(seg_ord) {
                v.insert(SegmentColumns::open(searcher.segment_reader(seg_ord))?);
            }
            if let Some(cols) = cache.get(&seg_ord) {
                cols.fill(hits, &rows, &mut out)?;
            }
        }
        Ok(out)
    }
}

pub(super) struct SegmentColumns {
    strs: Vec<(&'static str, Option<tantivy::columnar::StrColumn>)>,
    code: Column<u64>,
    peer: Column<Ipv6Addr>,
    time: Column<DateTime>,
}

const SUMMARY_COLUMNS: [&str; 11] = [
    "audit_id",
    "user",
    "verb",
    "resource",
    "subresource",
    "namespace",
    "name",
    "ua",
    "decision",
    "nonresource",
    "exec",
];

impl SegmentColumns {
    fn open(seg: &tantivy::SegmentReader) -> Result<SegmentColumns> {
        let ff = seg.fast_fields();
        let mut strs = Vec::new();
        for name in SUMMARY_COLUMNS {
            strs.push((name, ff.str(name)?));
        }
        Ok(SegmentColumns {
            strs,
            code: ff.u64("code")?,
            peer: ff.ip_addr("peer")?,
            time: ff.date("time")?,
        })
    }

    /// Fills the rows `rows` of `out` (hits of this segment).
    fn fill(&self, hits: &[Hit], rows: &[usize], out: &mut [EventSummary]) -> Result<()> {
        for &i in rows {
            let (h, s) = (&hits[i], &mut out[i]);
            let doc = h.doc_id();
            s.handle = h.handle();
            s.time = self
                .time
                .first(doc)
                .map_or(h.time, |d| Micros(d.into_timestamp_micros()));
            s.source_ip = self
                .peer
                .first(doc)
                .map(|ip| from_v6(ip).to_string())
                .unwrap_or_default();
            s.code = self.code.first(doc).map(|c| c as u16);
        }
        // Strings by term ordinal, looked up in one sorted pass per column: a dictionary
        // lookup one at a time scans a block each.
        for (name, col) in &self.strs {
            let Some(col) = col else { continue };
            let mut pairs: Vec<(u64, usize)> = rows
                .iter()
                .filter_map(|&i| col.term_ords(hits[i].doc_id()).next().map(|o| (o, i)))
                .collect();
            pairs.sort_unstable();
            let mut ords: Vec<u64> = pairs.iter().map(|p| p.0).collect();
            ords.dedup();
            let mut terms = Vec::with_capacity(ords.len());
            col.dictionary()
                .sorted_ords_to_term_cb(&ords, |b| {
                    terms.push(String::from_utf8_lossy(b).into_owned());
                })
                .map_err(|e| super::IndexError::io("cannot read a column", e))?;
            let mut k = 0;
            for (ord, i) in pairs {
                while ords.get(k).is_some_and(|&o| o < ord) {
                    k += 1;
                }
                if let (Some(term), Some(field)) = (terms.get(k), summary_field(&mut out[i], name))
                {
                    field.clone_from(term);
                }
            }
        }
        Ok(())
    }
}

/// The string field of a row filled from column `name`.
fn summary_field<'a>(s: &'a mut EventSummary, name: &str) -> Option<&'a mut String> {
    Some(match name {
        "audit_id" => &mut s.audit_id,
        "user" => &mut s.user,
        "verb" => &mut s.verb,
        "resource" => &mut s.resource,
        "subresource" => &mut s.subresource,
        "namespace" => &mut s.namespace,
        "name" => &mut s.name,
        "ua" => &mut s.user_agent,
        "decision" => &mut s.decision,
        "nonresource" => &mut s.path,
        "exec" => &mut s.stream,
        _ => return None,
    })
}

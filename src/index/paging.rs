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
        for (i, &n) in counts.iter().enumerate() {
            if out.len() >= limit {
                break;
            }
            if *skip >= n {
                *skip -= n;
                continue;
            }
            let b_start = start + i as i64 * width;
            if n > DENSE && width >= 64 {
                let sub_width = (width + 63) / 64;
                let finer = self.finer(reader, b_start, width, sub_width)?;
                self.collect(reader, b_start, sub_width, &finer, skip, limit, out)?;
            } else {
                let slice = within(&self.expr, Micros(b_start), Micros(b_start + width));
                let hits =
                    reader.search(&slice, limit - out.len(), *skip as usize, TimeOrder::Oldest)?;
                *skip = 0;
                out.extend(hits);
            }
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
        let mut cache: HashMap<u32, SegmentColumns> = HashMap::new();
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            let seg_ord = h.segment_ord();
            if let std::collections::hash_map::Entry::Vacant(v) = cache.entry(seg_ord) {
                v.insert(SegmentColumns::open(searcher.segment_reader(seg_ord))?);
            }
            let Some(cols) = cache.get(&seg_ord) else {
                continue;
            };
            let mut s = cols.summary(h.doc_id(), h.time);
            s.handle = h.handle();
            out.push(s);
        }
        Ok(out)
    }
}

struct SegmentColumns {
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

    fn get(&self, name: &str, doc: u32) -> String {
        let mut s = String::new();
        if let Some((_, Some(col))) = self.strs.iter().find(|(n, _)| *n == name)
            && let Some(ord) = col.term_ords(doc).next()
        {
            let _ = col.ord_to_str(ord, &mut s);
        }
        s
    }

    fn summary(&self, doc: u32, time: Micros) -> EventSummary {
        let t = self
            .time
            .first(doc)
            .map_or(time, |d| Micros(d.into_timestamp_micros()));
        EventSummary {
            handle: 0,
            time: t,
            audit_id: self.get("audit_id", doc),
            user: self.get("user", doc),
            verb: self.get("verb", doc),
            resource: self.get("resource", doc),
            subresource: self.get("subresource", doc),
            namespace: self.get("namespace", doc),
            name: self.get("name", doc),
            path: self.get("nonresource", doc),
            source_ip: self
                .peer
                .first(doc)
                .map(|ip| from_v6(ip).to_string())
                .unwrap_or_default(),
            code: self.code.first(doc).map(|c| c as u16),
            user_agent: self.get("ua", doc),
            decision: self.get("decision", doc),
            stream: self.get("exec", doc),
        }
    }
}

//! Random access into the time-ordered hits of a query, for views that scroll through
//! millions of events without loading them: a histogram of the query's hits over time tells
//! which time slice holds the n-th hit; only that slice is searched. Dense slices are split
//! again on demand. Event rows for tables are read from fast columns, not stored documents.

use std::collections::HashMap;

use super::Result;
use super::columns::SegmentColumns;
use super::hit::Hit;
use super::reader::{IndexReader, TimeOrder, within};
use crate::model::{EventRow, Micros};
use crate::query::Expr;

/// Slices larger than this are split before searching inside them.
const DENSE: u64 = 4096;
const BUCKETS: usize = 1024;
/// Hits skipped within a dense slice by a plain top-k search (deeper: finer histograms).
const SHALLOW: u64 = 20_000;

/// A count or position of hits as an index into a list of hits (beyond any list when it
/// does not fit).
fn to_index(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

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
        #[expect(clippy::cast_possible_wrap, reason = "BUCKETS is a small constant")]
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

    #[expect(
        clippy::too_many_arguments,
        reason = "a recursive walk: the level's buckets and the page being filled"
    )]
    #[expect(
        clippy::cast_possible_wrap,
        reason = "a bucket index is below counts.len(): at most BUCKETS, or 64 at a finer level"
    )]
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
            let take_n = limit - out.len();
            let take = take_n as u64;
            if dense(n) && (*skip <= SHALLOW || n - *skip <= SHALLOW + take) {
                // Near either end of a dense bucket one top-k search is cheaper than a finer
                // histogram (each is a pass over the query's hits).
                let slice = within(&self.expr, Micros(b_start), Micros(b_start + width));
                if *skip <= SHALLOW {
                    let hits = reader.search(&slice, take_n, to_index(*skip), TimeOrder::Oldest)?;
                    out.extend(hits);
                } else {
                    let from_end = n.saturating_sub(*skip + take);
                    let count = (n - *skip).min(take);
                    let mut hits = reader.search(
                        &slice,
                        to_index(count),
                        to_index(from_end),
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
            let hits = reader.search(
                &slice,
                limit - out.len(),
                to_index(*skip),
                TimeOrder::Oldest,
            )?;
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
        // At most 64: `sub_width` is a 64th of `width`, rounded up.
        let n = usize::try_from((width + sub_width - 1) / sub_width).unwrap_or(64);
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
}

impl IndexReader {
    /// Table rows for hits, read from the fast columns (no stored document is touched).
    pub fn summaries(&self, hits: &[Hit]) -> Result<Vec<EventRow<'static>>> {
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
        let mut out = vec![EventRow::default(); hits.len()];
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

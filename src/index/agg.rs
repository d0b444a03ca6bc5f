//! Counting over fast columns: top values of a pivot field, time histograms and collecting
//! all hits of a query in time order. Custom collectors, so counting touches only columns,
//! never stored documents.

use std::collections::HashMap;
use std::net::Ipv6Addr;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DateTime, DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::from_v6;

/// Counts the values of one keyword fast field (by term ordinal, resolved at the end).
pub struct TermCounts {
    pub field: String,
}

pub struct TermCountsSegment {
    column: Option<StrColumn>,
    counts: Vec<u64>,
    /// Documents without a value.
    missing: u64,
}

impl Collector for TermCounts {
    type Fruit = (HashMap<String, u64>, u64);
    type Child = TermCountsSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<TermCountsSegment> {
        let column = segment.fast_fields().str(&self.field)?;
        let n = column.as_ref().map_or(0, |c| c.dictionary().num_terms());
        Ok(TermCountsSegment {
            column,
            counts: vec![0; n],
            missing: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(HashMap<String, u64>, u64)>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut total = HashMap::new();
        let mut missing = 0;
        for (map, m) in fruits {
            missing += m;
            for (k, v) in map {
                *total.entry(k).or_insert(0) += v;
            }
        }
        Ok((total, missing))
    }
}

impl SegmentCollector for TermCountsSegment {
    type Fruit = (HashMap<String, u64>, u64);

    fn collect_block(&mut self, docs: &[DocId]) {
        let Some(col) = &self.column else {
            self.missing += docs.len() as u64;
            return;
        };
        // Single-valued pivot columns: read the block of first ordinals at once.
        let mut ords = [None; tantivy::COLLECT_BLOCK_BUFFER_LEN];
        let ords = &mut ords[..docs.len().min(tantivy::COLLECT_BLOCK_BUFFER_LEN)];
        if docs.len() > ords.len() {
            for d in docs {
                self.collect(*d, 0.0);
            }
            return;
        }
        col.ords().first_vals(docs, ords);
        for ord in ords.iter() {
            match ord.and_then(|o| self.counts.get_mut(usize::try_from(o).ok()?)) {
                Some(c) => *c += 1,
                None => self.missing += 1,
            }
        }
    }

    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(col) = &self.column else {
            self.missing += 1;
            return;
        };
        let mut any = false;
        for ord in col.term_ords(doc) {
            any = true;
            if let Some(c) = usize::try_from(ord)
                .ok()
                .and_then(|i| self.counts.get_mut(i))
            {
                *c += 1;
            }
        }
        if !any {
            self.missing += 1;
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut out = HashMap::new();
        if let Some(col) = &self.column {
            let mut buf = String::new();
            for (ord, &n) in self.counts.iter().enumerate() {
                if n > 0 && col.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
                    out.insert(buf.clone(), n);
                }
            }
        }
        (out, self.missing)
    }
}

/// Counts the values of the `peer` IP column.
pub struct IpCounts {
    pub field: String,
}

pub struct IpCountsSegment {
    column: Column<Ipv6Addr>,
    counts: HashMap<Ipv6Addr, u64>,
    missing: u64,
}

impl Collector for IpCounts {
    type Fruit = (HashMap<String, u64>, u64);
    type Child = IpCountsSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<IpCountsSegment> {
        Ok(IpCountsSegment {
            column: segment.fast_fields().ip_addr(&self.field)?,
            counts: HashMap::new(),
            missing: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(HashMap<String, u64>, u64)>,
    ) -> tantivy::Result<Self::Fruit> {
        TermCounts {
            field: String::new(),
        }
        .merge_fruits(fruits)
    }
}

impl SegmentCollector for IpCountsSegment {
    type Fruit = (HashMap<String, u64>, u64);

    fn collect(&mut self, doc: DocId, _: Score) {
        match self.column.first(doc) {
            Some(ip) => *self.counts.entry(ip).or_insert(0) += 1,
            None => self.missing += 1,
        }
    }

    fn harvest(self) -> Self::Fruit {
        let out = self
            .counts
            .into_iter()
            .map(|(ip, n)| (from_v6(ip).to_string(), n))
            .collect();
        (out, self.missing)
    }
}

/// Collects every hit with its time (microseconds), unsorted.
pub struct AllHits;

pub struct AllHitsSegment {
    segment: SegmentOrdinal,
    time: Column<DateTime>,
    hits: Vec<(i64, DocAddress)>,
}

impl Collector for AllHits {
    type Fruit = Vec<(i64, DocAddress)>;
    type Child = AllHitsSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<AllHitsSegment> {
        Ok(AllHitsSegment {
            segment,
            time: reader.fast_fields().date("time")?,
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(i64, DocAddress)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for AllHitsSegment {
    type Fruit = Vec<(i64, DocAddress)>;

    fn collect_block(&mut self, docs: &[DocId]) {
        let mut times = [None; tantivy::COLLECT_BLOCK_BUFFER_LEN];
        if docs.len() > times.len() {
            for d in docs {
                self.collect(*d, 0.0);
            }
            return;
        }
        let times = &mut times[..docs.len()];
        self.time.first_vals(docs, times);
        for (doc, t) in docs.iter().zip(times.iter()) {
            self.hits.push((
                t.map_or(0, DateTime::into_timestamp_micros),
                DocAddress::new(self.segment, *doc),
            ));
        }
    }

    fn collect(&mut self, doc: DocId, _: Score) {
        let t = self
            .time
            .first(doc)
            .map_or(0, DateTime::into_timestamp_micros);
        self.hits.push((t, DocAddress::new(self.segment, doc)));
    }

    fn harvest(self) -> Self::Fruit {
        self.hits
    }
}

/// Counts hits per time bucket: `[start + i·width, start + (i+1)·width)`.
pub struct TimeHistogram {
    pub start: i64,
    pub width: i64,
    pub buckets: usize,
}

pub struct TimeHistogramSegment {
    time: Column<DateTime>,
    start: i64,
    width: i64,
    counts: Vec<u64>,
}

impl Collector for TimeHistogram {
    type Fruit = Vec<u64>;
    type Child = TimeHistogramSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<TimeHistogramSegment> {
        Ok(TimeHistogramSegment {
            time: reader.fast_fields().date("time")?,
            start: self.start,
            width: self.width.max(1),
            counts: vec![0; self.buckets],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<u64>>) -> tantivy::Result<Vec<u64>> {
        let mut total = vec![0; self.buckets];
        for f in fruits {
            for (t, v) in total.iter_mut().zip(f) {
                *t += v;
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for TimeHistogramSegment {
    type Fruit = Vec<u64>;

    fn collect_block(&mut self, docs: &[DocId]) {
        let mut times = [None; tantivy::COLLECT_BLOCK_BUFFER_LEN];
        if docs.len() > times.len() {
            for d in docs {
                self.collect(*d, 0.0);
            }
            return;
        }
        let times = &mut times[..docs.len()];
        self.time.first_vals(docs, times);
        for t in times.iter().flatten() {
            let offset = t.into_timestamp_micros() - self.start;
            if offset >= 0
                && let Ok(i) = usize::try_from(offset / self.width)
                && let Some(c) = self.counts.get_mut(i)
            {
                *c += 1;
            }
        }
    }

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(t) = self.time.first(doc) {
            let offset = t.into_timestamp_micros() - self.start;
            if let Ok(i) = usize::try_from(offset / self.width) {
                if let Some(c) = self.counts.get_mut(i) {
                    *c += 1;
                }
            }
        }
    }

    fn harvest(self) -> Vec<u64> {
        self.counts
    }
}

/// Sorts counts by decreasing count, then value, and keeps the first `n` (all when 0).
pub fn top_n(counts: impl IntoIterator<Item = (String, u64)>, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if n > 0 {
        v.truncate(n);
    }
    v
}

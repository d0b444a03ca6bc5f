//! Reading detection rows straight from the fast columns (no stored document is touched),
//! and giving detections the events behind their hits.
//!
//! [`IndexRows`] interns every column dictionary once, sorts each segment's documents by
//! time, and streams rows through a k-way merge: memory is a few bytes per event, not a row.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::Ipv6Addr;

use tantivy::columnar::{Column, StrColumn};
use tantivy::{DateTime, DocAddress, SegmentReader};

use super::reader::{Hit, IndexReader};
use super::{IndexError, Result};
use crate::detect::EventSource;
use crate::detect::row::{
    Actor, COLUMNS, Interner, Ip, Row, RowSource, ScanError, Slot, Sym, Vocab,
};
use crate::model::{AuditEvent, Micros};

/// One string column of one segment, with its term ordinals mapped to interned symbols.
struct SymColumn {
    column: Option<StrColumn>,
    syms: Vec<Sym>,
}

impl SymColumn {
    fn open(seg: &SegmentReader, field: &str, strings: &mut Interner) -> Result<SymColumn> {
        let column = seg.fast_fields().str(field)?;
        let mut syms = Vec::new();
        if let Some(col) = &column {
            let mut stream = col
                .dictionary()
                .stream()
                .map_err(|e| IndexError::io("cannot read a column", e))?;
            while stream.advance() {
                syms.push(strings.intern(&String::from_utf8_lossy(stream.key())));
            }
        }
        Ok(SymColumn { column, syms })
    }

    fn first(&self, doc: u32) -> Sym {
        self.column
            .as_ref()
            .and_then(|c| c.term_ords(doc).next())
            .and_then(|o| self.syms.get(usize::try_from(o).ok()?).copied())
            .unwrap_or(0)
    }

    fn all(&self, doc: u32, out: &mut Vec<Sym>) {
        out.clear();
        if let Some(c) = &self.column {
            out.extend(
                c.term_ords(doc)
                    .filter_map(|o| self.syms.get(usize::try_from(o).ok()?).copied()),
            );
        }
    }
}

/// The columns of one segment, and its live documents in time order.
struct SegmentRows {
    cols: Vec<SymColumn>,
    time: Column<DateTime>,
    code: Column<u64>,
    peer: Column<Ipv6Addr>,
    /// Document ids sorted by (time, id).
    order: Vec<u32>,
}

impl SegmentRows {
    fn open(seg: &SegmentReader, strings: &mut Interner) -> Result<SegmentRows> {
        let cols = COLUMNS
            .iter()
            .map(|(name, _)| SymColumn::open(seg, name, strings))
            .collect::<Result<Vec<_>>>()?;
        let ff = seg.fast_fields();
        let time: Column<DateTime> = ff.date("time")?;
        let mut keyed: Vec<(i64, u32)> =
            seg.doc_ids_alive().map(|d| (micros(&time, d), d)).collect();
        keyed.sort_unstable();
        Ok(SegmentRows {
            cols,
            time,
            code: ff.u64("code")?,
            peer: ff.ip_addr("peer")?,
            order: keyed.into_iter().map(|(_, d)| d).collect(),
        })
    }

    /// Fills `row` with document `doc` of segment `seg_ord`.
    fn fill(&self, v: &Vocab, seg_ord: u32, doc: u32, row: &mut Row) {
        row.time = micros(&self.time, doc);
        row.doc = pack(DocAddress::new(seg_ord, doc));
        row.peer = self.peer.first(doc).map_or(Ip(0), |ip| Ip(u128::from(ip)));
        row.code = self
            .code
            .first(doc)
            .map_or(0, |c| u16::try_from(c).unwrap_or(u16::MAX));
        for ((_, slot), col) in COLUMNS.iter().zip(&self.cols) {
            match slot {
                Slot::Sym(_, set) => *set(row) = col.first(doc),
                Slot::Actor => row.actor = Actor::parse(v.s(col.first(doc))),
                Slot::Facts => col.all(doc, &mut row.facts),
            }
        }
    }
}

fn micros(time: &Column<DateTime>, doc: u32) -> i64 {
    time.first(doc).map_or(0, DateTime::into_timestamp_micros)
}

/// The events of an index as detection rows, streamed in time order.
pub struct IndexRows {
    vocab: Vocab,
    segments: Vec<SegmentRows>,
}

impl IndexRows {
    /// Every event of the reader's current snapshot.
    pub fn open(reader: &IndexReader) -> Result<IndexRows> {
        let searcher = reader.searcher();
        let mut strings = Interner::default();
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|seg| SegmentRows::open(seg, &mut strings))
            .collect::<Result<Vec<_>>>()?;
        Ok(IndexRows {
            vocab: Vocab::new(strings),
            segments,
        })
    }

    /// How many rows a scan yields.
    pub fn len(&self) -> usize {
        self.segments.iter().map(|s| s.order.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl RowSource for IndexRows {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Rows are read from the columns on a thread of their own, a batch at a time, while `f`
    /// runs on this one: reading columns is half of the detections' time, and the last step
    /// of an ingest had one core idle.
    fn scan(&self, f: &mut dyn FnMut(&Row)) -> std::result::Result<(), ScanError> {
        let (full_tx, full_rx) = crossbeam_channel::bounded::<Vec<Row>>(SCAN_BATCHES);
        let (empty_tx, empty_rx) = crossbeam_channel::bounded::<Vec<Row>>(SCAN_BATCHES + 2);
        std::thread::scope(|scope| {
            scope.spawn(move || self.fill_batches(&full_tx, &empty_rx));
            for batch in &full_rx {
                batch.iter().for_each(&mut *f);
                // The filler may be done: then the batch is dropped here.
                let _ = empty_tx.try_send(batch);
            }
        });
        Ok(())
    }
}

/// Rows per batch of a scan, and batches in flight.
const SCAN_BATCH_ROWS: usize = 1024;
const SCAN_BATCHES: usize = 4;

impl IndexRows {
    /// Reads every row, oldest first (a k-way merge of the segments' time orders), into
    /// batches sent on `full`; reuses the batches `empty` brings back.
    fn fill_batches(
        &self,
        full: &crossbeam_channel::Sender<Vec<Row>>,
        empty: &crossbeam_channel::Receiver<Vec<Row>>,
    ) {
        // The next document of every segment, smallest (time, segment, doc) first.
        let mut heads = BinaryHeap::with_capacity(self.segments.len());
        let mut cursor = vec![0usize; self.segments.len()];
        for (s, seg) in self.segments.iter().enumerate() {
            if let Some(&doc) = seg.order.first() {
                heads.push(Reverse((micros(&seg.time, doc), s, doc)));
            }
        }
        let mut batch: Vec<Row> = Vec::with_capacity(SCAN_BATCH_ROWS);
        let mut used = 0;
        while let Some(Reverse((_, s, doc))) = heads.pop() {
            let seg = &self.segments[s];
            if used == batch.len() {
                batch.push(Row::default());
            }
            seg.fill(&self.vocab, ordinal(s), doc, &mut batch[used]);
            used += 1;
            cursor[s] += 1;
            if let Some(&next) = seg.order.get(cursor[s]) {
                heads.push(Reverse((micros(&seg.time, next), s, next)));
            }
            if used == SCAN_BATCH_ROWS {
                let next = empty
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(SCAN_BATCH_ROWS));
                if full.send(std::mem::replace(&mut batch, next)).is_err() {
                    return;
                }
                used = 0;
            }
        }
        batch.truncate(used);
        if !batch.is_empty() {
            let _ = full.send(batch);
        }
    }
}

/// The ordinal of the `s`-th segment (tantivy numbers segments with `u32`).
fn ordinal(s: usize) -> u32 {
    u32::try_from(s).unwrap_or(u32::MAX)
}

/// Packs a document address into a row's `doc`.
fn pack(addr: DocAddress) -> u64 {
    (u64::from(addr.segment_ord) << 32) | u64::from(addr.doc_id)
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "takes apart the two 32-bit halves `pack` put together"
)]
fn unpack(doc: u64) -> DocAddress {
    DocAddress::new((doc >> 32) as u32, doc as u32)
}

impl IndexReader {
    /// Every event as a detection row, streamed in time order.
    pub fn rows(&self) -> Result<IndexRows> {
        IndexRows::open(self)
    }

    /// The audit ID of a row's event, from its fast columns.
    pub fn audit_id_of(&self, doc: u64) -> String {
        let addr = unpack(doc);
        let searcher = self.searcher();
        let seg = searcher.segment_reader(addr.segment_ord);
        super::columns::AuditIds::open(seg)
            .map(|ids| ids.get(addr.doc_id))
            .unwrap_or_default()
    }

    /// The event behind a row.
    pub fn event_of(&self, doc: u64) -> Option<AuditEvent> {
        let hit = Hit::new(unpack(doc), Micros(0));
        self.load(&hit).ok().map(|l| l.event)
    }
}

impl EventSource for IndexReader {
    fn audit_id(&self, doc: u64) -> String {
        self.audit_id_of(doc)
    }

    fn event(&self, doc: u64) -> Option<AuditEvent> {
        self.event_of(doc)
    }
}

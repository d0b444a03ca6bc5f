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
    Actor, COLUMNS, EMPTY, Interner, Ip, Row, RowSource, ScanError, Slot, Sym, Vocab,
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

    /// Fills `out[p]` with the document `docs[p]` of segment `seg_ord`, for every `p`: each
    /// column is read for the whole chunk at once, in document order (tantivy's batch
    /// lookups walk a column's blocks once; a lookup per document searched them anew).
    fn fill_chunk(
        &self,
        v: &Vocab,
        seg_ord: u32,
        docs: &[u32],
        out: &mut Vec<Row>,
        scratch: &mut Scratch,
    ) {
        out.resize_with(docs.len(), Row::default);
        scratch.sort(docs);
        let unknown = Actor::parse(v.s(EMPTY));
        for &(doc, p) in &scratch.by_doc {
            let row = &mut out[p];
            let mut facts = std::mem::take(&mut row.facts);
            facts.clear();
            *row = Row {
                time: micros(&self.time, doc),
                doc: pack(DocAddress::new(seg_ord, doc)),
                actor: unknown,
                facts,
                ..Row::default()
            };
        }
        let by_doc = std::mem::take(&mut scratch.by_doc);
        each_value(
            &self.peer,
            scratch,
            Ipv6Addr::UNSPECIFIED,
            |i, ip, first| {
                if let Some(r) = row_at(out, &by_doc, i).filter(|_| first) {
                    r.peer = Ip(u128::from(ip));
                }
            },
        );
        each_value(&self.code, scratch, 0, |i, c, first| {
            if let Some(r) = row_at(out, &by_doc, i).filter(|_| first) {
                r.code = u16::try_from(c).unwrap_or(u16::MAX);
            }
        });
        for ((_, slot), col) in COLUMNS.iter().zip(&self.cols) {
            let Some(column) = &col.column else {
                continue;
            };
            let sym = |ord: u64| {
                usize::try_from(ord)
                    .ok()
                    .and_then(|o| col.syms.get(o).copied())
                    .unwrap_or(EMPTY)
            };
            let ords = column.ords();
            // Of a column with several values for a document, the first (but every fact).
            match *slot {
                Slot::Sym(_, set) => each_value(ords, scratch, 0, |i, ord, first| {
                    if let Some(r) = row_at(out, &by_doc, i).filter(|_| first) {
                        *set(r) = sym(ord);
                    }
                }),
                Slot::Actor => each_value(ords, scratch, 0, |i, ord, first| {
                    if let Some(r) = row_at(out, &by_doc, i).filter(|_| first) {
                        r.actor = Actor::parse(v.s(sym(ord)));
                    }
                }),
                Slot::Facts => each_value(ords, scratch, 0, |i, ord, _| {
                    if let Some(r) = row_at(out, &by_doc, i) {
                        r.facts.push(sym(ord));
                    }
                }),
            }
        }
        scratch.by_doc = by_doc;
    }
}

/// The row of the `i`-th document by number of a chunk.
fn row_at<'a>(out: &'a mut [Row], by_doc: &[(u32, usize)], i: usize) -> Option<&'a mut Row> {
    out.get_mut(by_doc.get(i)?.1)
}

/// The buffers of [`SegmentRows::fill_chunk`], kept from chunk to chunk.
#[derive(Default)]
struct Scratch {
    /// (document, position in the chunk), by document.
    by_doc: Vec<(u32, usize)>,
    /// The chunk's documents in increasing order.
    docs: Vec<u32>,
    found_docs: Vec<u32>,
    found_rows: Vec<u32>,
}

impl Scratch {
    fn sort(&mut self, docs: &[u32]) {
        self.by_doc.clear();
        self.by_doc.extend(docs.iter().copied().zip(0..));
        self.by_doc.sort_unstable();
        self.docs.clear();
        self.docs.extend(self.by_doc.iter().map(|&(d, _)| d));
    }
}

/// Calls `f(i, value, first)` for every value of the documents `scratch.docs` (sorted) in
/// `column`, `i` being the document's index in `scratch.docs`; several values of one document
/// come in column order, `first` set for the first.
fn each_value<T>(
    column: &Column<T>,
    scratch: &mut Scratch,
    zero: T,
    mut f: impl FnMut(usize, T, bool),
) where
    T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static,
{
    let Scratch {
        docs,
        found_docs,
        found_rows,
        ..
    } = scratch;
    found_docs.clear();
    found_rows.clear();
    column.index.docids_to_rowids(docs, found_docs, found_rows);
    let mut values = vec![zero; found_rows.len()];
    column.values.get_vals(found_rows, &mut values);
    let mut i = 0;
    let mut last = None;
    for (doc, value) in found_docs.iter().zip(values) {
        while docs.get(i).is_some_and(|d| d < doc) {
            i += 1;
        }
        if docs.get(i) == Some(doc) {
            f(i, value, last != Some(*doc));
            last = Some(*doc);
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
            let filler = std::thread::Builder::new()
                .name("kubesift-rows".into())
                .spawn_scoped(scope, move || self.fill_batches(&full_tx, &empty_rx));
            if let Err(e) = filler {
                return Err(format!("cannot start a thread: {e}").into());
            }
            for batch in &full_rx {
                batch.iter().for_each(&mut *f);
                // The filler may be done: then the batch is dropped here.
                let _ = empty_tx.try_send(batch);
            }
            Ok(())
        })
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
        let mut scratch = Scratch::default();
        // Per segment: its rows decoded a chunk ahead, the next of them, where the chunk ends
        // in its time order.
        let mut chunks: Vec<(Vec<Row>, usize, usize)> =
            vec![(Vec::new(), 0, 0); self.segments.len()];
        let mut heads = BinaryHeap::with_capacity(self.segments.len());
        let refill = |s: usize, chunk: &mut (Vec<Row>, usize, usize), scratch: &mut Scratch| {
            let seg = &self.segments[s];
            let end = (chunk.2 + SCAN_BATCH_ROWS).min(seg.order.len());
            let docs = &seg.order[chunk.2..end];
            seg.fill_chunk(&self.vocab, ordinal(s), docs, &mut chunk.0, scratch);
            chunk.1 = 0;
            chunk.2 = end;
            !docs.is_empty()
        };
        for (s, chunk) in chunks.iter_mut().enumerate() {
            if refill(s, chunk, &mut scratch) {
                heads.push(Reverse((chunk.0[0].time, s)));
            }
        }
        let mut batch: Vec<Row> = Vec::with_capacity(SCAN_BATCH_ROWS);
        let mut used = 0;
        while let Some(Reverse((_, s))) = heads.pop() {
            let chunk = &mut chunks[s];
            if used == batch.len() {
                batch.push(Row::default());
            }
            // Every field of a chunk's row is written when it is decoded again.
            std::mem::swap(&mut batch[used], &mut chunk.0[chunk.1]);
            used += 1;
            chunk.1 += 1;
            if chunk.1 < chunk.0.len() || refill(s, chunk, &mut scratch) {
                heads.push(Reverse((chunk.0[chunk.1].time, s)));
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

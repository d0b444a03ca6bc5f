//! The rows of an export, read from the fast columns and one compact stored field: no
//! stored record is decoded. The columns give the time, the code, the trusted source IP and
//! the keyword fields an export prints; the `row` stored field ([`RowExtras`]) gives what no
//! column holds — the request path, the exec command, a source IP the `peer` column cannot
//! spell back — beside the file id and line every document stores.
//!
//! Hits are read in chunks: the strings of a chunk's column ordinals are looked up in one
//! sorted pass per segment and column (a lookup one at a time decompresses a dictionary
//! block each), and the stored fields of each segment's hits are read in document order
//! (each store block is decompressed once, and the raw record after them is never copied),
//! so memory stays a chunk of rows whatever the size of the export. A keyword value the
//! index cut at its term limit is read whole from the stored record.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv6Addr;

use tantivy::columnar::{Column, StrColumn};
use tantivy::schema::Field;
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize,
    ValueDeserializer, ValueVisitor,
};
use tantivy::store::StoreReader;
use tantivy::{DateTime, SegmentReader};

use super::hit::Hit;
use super::reader::IndexReader;
use super::row_extras::RowExtras;
use super::schema::{Fields, MAX_TERM_BYTES, from_v6};
use super::{IndexError, Result};
use crate::model::exec::{ExecInfo, StreamKind};
use crate::model::{EventRow, Micros, SourceRef};

/// Hits read per chunk: enough for the sorted dictionary passes to pay, little memory.
const CHUNK: usize = 16_384;

/// Sets a keyword member of a row.
type Set = fn(&mut EventRow<'static>, String);

/// The keyword columns an export prints, and the member each fills.
const STRINGS: [(&str, Set); 9] = [
    ("user", |r, v| r.user = v.into()),
    ("actor_kind", |r, v| r.actor_kind = v.into()),
    ("verb", |r, v| r.verb = v.into()),
    ("resource", |r, v| r.resource = v.into()),
    ("subresource", |r, v| r.subresource = v.into()),
    ("namespace", |r, v| r.namespace = v.into()),
    ("name", |r, v| r.name = v.into()),
    ("ua", |r, v| r.user_agent = v.into()),
    ("cluster", |r, v| r.cluster = v.into()),
];

/// Can this column value be a longer value cut at the term limit (at a character boundary)?
fn maybe_cut(value: &str) -> bool {
    value.len() + 3 >= MAX_TERM_BYTES
}

/// The columns of one segment an export reads.
struct SegmentExport {
    strings: Vec<Option<StrColumn>>,
    time: Column<DateTime>,
    code: Column<u64>,
    peer: Column<Ipv6Addr>,
    /// Read in document order: one cached block suffices.
    store: StoreReader,
}

impl SegmentExport {
    fn open(seg: &SegmentReader) -> Result<SegmentExport> {
        let ff = seg.fast_fields();
        Ok(SegmentExport {
            store: seg
                .get_store_reader(1)
                .map_err(|e| IndexError::io("cannot read the document store", e))?,
            strings: STRINGS
                .iter()
                .map(|(name, _)| ff.str(name))
                .collect::<tantivy::Result<Vec<_>>>()?,
            time: ff.date("time")?,
            code: ff.u64("code")?,
            peer: ff.ip_addr("peer")?,
        })
    }

    /// Fills the rows `idx` of `rows` (hits of this segment) from the columns; marks in `cut`
    /// the rows with a value that may have been cut.
    fn fill(
        &self,
        hits: &[Hit],
        idx: &[usize],
        rows: &mut [EventRow<'static>],
        cut: &mut [bool],
    ) -> Result<()> {
        for &i in idx {
            let (doc, row) = (hits[i].doc_id(), &mut rows[i]);
            row.handle = hits[i].handle();
            row.time = self
                .time
                .first(doc)
                .map_or(hits[i].time, |t| Micros(t.into_timestamp_micros()));
            row.code = self.code.first(doc).and_then(|c| u16::try_from(c).ok());
            row.source_ip = self
                .peer
                .first(doc)
                .map(|ip| Cow::Owned(from_v6(ip).to_string()));
        }
        for ((_, set), col) in STRINGS.iter().zip(&self.strings) {
            let Some(col) = col else { continue };
            for (i, term) in terms_of(col, hits, idx)? {
                cut[i] |= maybe_cut(&term);
                set(&mut rows[i], term);
            }
        }
        Ok(())
    }
}

/// The first value of a keyword column for each of the hits `idx`, as (index, value): the
/// ordinals are resolved in one sorted pass over the dictionary.
fn terms_of(col: &StrColumn, hits: &[Hit], idx: &[usize]) -> Result<Vec<(usize, String)>> {
    let mut pairs: Vec<(u64, usize)> = idx
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
        .map_err(|e| IndexError::io("cannot read a column", e))?;
    let mut out = Vec::with_capacity(pairs.len());
    let mut k = 0;
    for (ord, i) in pairs {
        while ords.get(k).is_some_and(|&o| o < ord) {
            k += 1;
        }
        if let Some(term) = terms.get(k) {
            out.push((i, term.clone()));
        }
    }
    Ok(out)
}

impl IndexReader {
    /// Calls `f` with the export row of each hit, in the hits' order: the time, audit ID,
    /// account, actor kind, verb, resource, subresource, namespace, name, path, source IP, user
    /// agent, code, exec command, cluster and source (file and line) of its event.
    pub fn export_rows<E: From<IndexError>>(
        &self,
        hits: &[Hit],
        f: &mut dyn FnMut(EventRow<'static>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let searcher = self.searcher();
        let mut segments: HashMap<u32, SegmentExport> = HashMap::new();
        let mut files: HashMap<u64, String> = HashMap::new();
        let mut rows: Vec<EventRow<'static>> = Vec::with_capacity(CHUNK.min(hits.len()));
        for chunk in hits.chunks(CHUNK) {
            rows.clear();
            rows.resize_with(chunk.len(), EventRow::default);
            let mut cut = vec![false; chunk.len()];
            let mut by_segment: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for (i, h) in chunk.iter().enumerate() {
                by_segment.entry(h.segment_ord()).or_default().push(i);
            }
            for (ord, mut idx) in by_segment {
                let seg = match segments.entry(ord) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(SegmentExport::open(searcher.segment_reader(ord))?)
                    }
                };
                seg.fill(chunk, &idx, &mut rows, &mut cut)?;
                idx.sort_unstable_by_key(|&i| chunk[i].doc_id());
                for i in idx {
                    let head: StoredHead =
                        seg.store.get(chunk[i].doc_id()).map_err(IndexError::from)?;
                    head.fill(&self.fields, &self.manifest, &mut files, &mut rows[i]);
                }
            }
            for (i, hit) in chunk.iter().enumerate() {
                if cut[i] {
                    self.fill_whole(hit, &mut rows[i])?;
                }
                f(std::mem::take(&mut rows[i]))?;
            }
        }
        Ok(())
    }

    /// Replaces the keyword values of a row by its event's, loaded whole: one of them may have
    /// been cut at the index's term limit.
    fn fill_whole(&self, hit: &Hit, row: &mut EventRow<'static>) -> Result<()> {
        let loaded = self.load(hit)?;
        let whole = EventRow::of(&loaded.event);
        for (name, set) in STRINGS {
            let value = crate::model::fields::get(name)
                .map(|f| f.first(&whole))
                .unwrap_or_default();
            set(row, value);
        }
        Ok(())
    }
}

/// The stored fields of a document up to its first text value: the numbers (file, line,
/// record) and the `row`, stored before the raw record, which is never read.
#[derive(Default)]
struct StoredHead {
    numbers: Vec<(Field, u64)>,
    text: Option<(Field, String)>,
}

impl StoredHead {
    fn number(&self, field: Field) -> Option<u64> {
        self.numbers
            .iter()
            .find(|(f, _)| *f == field)
            .map(|&(_, n)| n)
    }

    /// Sets the source, path, command and (when the column cannot spell it) source IP.
    fn fill(
        self,
        fields: &Fields,
        manifest: &super::Manifest,
        files: &mut HashMap<u64, String>,
        row: &mut EventRow<'static>,
    ) {
        let file = self.number(fields.file).unwrap_or(0);
        let path = files.entry(file).or_insert_with(|| manifest.path_of(file));
        row.source = Cow::Owned(SourceRef {
            file: path.clone(),
            line: self.number(fields.line).unwrap_or(0),
            record: self.number(fields.record),
        });
        let extras = match &self.text {
            Some((f, text)) if *f == fields.row => RowExtras::decode(text),
            _ => RowExtras::default(),
        };
        row.audit_id = extras.audit_id;
        row.path = extras.path;
        if extras.peer.is_some() {
            row.source_ip = extras.peer;
        }
        row.exec = (!extras.command.is_empty()).then(|| {
            let command = extras.command.into_owned();
            Cow::Owned(ExecInfo::from_parts(StreamKind::Exec, command, None))
        });
    }
}

impl DocumentDeserialize for StoredHead {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(
        mut d: D,
    ) -> std::result::Result<Self, DeserializeError> {
        let mut head = StoredHead::default();
        while let Some((field, value)) = d.next_field::<StoredValue>()? {
            match value {
                StoredValue::Number(n) => head.numbers.push((field, n)),
                StoredValue::Text(t) => {
                    head.text = Some((field, t));
                    break;
                }
            }
        }
        Ok(head)
    }
}

/// A stored value as [`StoredHead`] reads it.
enum StoredValue {
    Number(u64),
    Text(String),
}

impl ValueDeserialize for StoredValue {
    fn deserialize<'de, D: ValueDeserializer<'de>>(
        d: D,
    ) -> std::result::Result<Self, DeserializeError> {
        d.deserialize_any(StoredVisitor)
    }
}

struct StoredVisitor;

impl ValueVisitor for StoredVisitor {
    type Value = StoredValue;

    fn visit_u64(&self, n: u64) -> std::result::Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Number(n))
    }

    fn visit_string(&self, text: String) -> std::result::Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Text(text))
    }
}

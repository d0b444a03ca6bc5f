//! Chosen fast columns of chosen events, and one streaming pass over a few columns of every
//! event: what `story` (sessions, lineage, access, coverage) reads instead of loading
//! events. Strings are looked up once per distinct term of a segment, so reading the
//! columns of an identity's hundred thousand requests costs its distinct values, not its
//! rows.

use std::collections::HashMap;
use std::net::IpAddr;

use tantivy::DateTime;
use tantivy::columnar::{Column, StrColumn};

use super::columns::AuditIds;
use super::hit::Hit;
use super::reader::IndexReader;
use super::schema::from_v6;
use super::{IndexError, Result};
use crate::model::Micros;

/// The columns of one event, as [`IndexReader::columns_of`] reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picked {
    pub handle: u64,
    pub time: Micros,
    /// The trusted source IP.
    pub peer: Option<IpAddr>,
    pub code: Option<u16>,
    /// The stage bits (`StageSet`) of the request.
    pub stages: u8,
    /// The input file's id in the manifest.
    pub file: u64,
    /// The first value of each asked keyword column (`""` when none); every value of a
    /// multi-valued one joined by `\n`.
    pub values: Vec<String>,
}

/// One keyword column of one segment, with the strings of the ordinals read so far.
struct CachedColumn {
    column: Option<StrColumn>,
    cache: HashMap<u64, String>,
}

impl CachedColumn {
    fn open(seg: &tantivy::SegmentReader, field: &str) -> Result<CachedColumn> {
        Ok(CachedColumn {
            column: seg.fast_fields().str(field)?,
            cache: HashMap::new(),
        })
    }

    fn term(&mut self, ord: u64) -> Result<String> {
        if let Some(s) = self.cache.get(&ord) {
            return Ok(s.clone());
        }
        let mut s = String::new();
        if let Some(col) = &self.column {
            col.ord_to_str(ord, &mut s)
                .map_err(|e| IndexError::io("cannot read a column", e))?;
        }
        self.cache.insert(ord, s.clone());
        Ok(s)
    }

    fn values(&mut self, doc: u32) -> Result<String> {
        let ords: Vec<u64> = match &self.column {
            Some(c) => c.term_ords(doc).collect(),
            None => return Ok(String::new()),
        };
        let mut out = String::new();
        for (i, ord) in ords.into_iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&self.term(ord)?);
        }
        Ok(out)
    }
}

/// The numeric columns of one segment.
struct Numbers {
    time: Column<DateTime>,
    peer: Column<std::net::Ipv6Addr>,
    code: Column<u64>,
    stages: Column<u64>,
    file: Column<u64>,
}

impl Numbers {
    fn open(seg: &tantivy::SegmentReader) -> Result<Numbers> {
        let ff = seg.fast_fields();
        Ok(Numbers {
            time: ff.date("time")?,
            peer: ff.ip_addr("peer")?,
            code: ff.u64("code")?,
            stages: ff.u64("stages")?,
            file: ff.u64("file")?,
        })
    }

    fn fill(&self, doc: u32, p: &mut Picked) {
        p.time = Micros(
            self.time
                .first(doc)
                .map_or(0, DateTime::into_timestamp_micros),
        );
        p.peer = self.peer.first(doc).map(from_v6);
        p.code = self.code.first(doc).and_then(|c| u16::try_from(c).ok());
        p.stages = self
            .stages
            .first(doc)
            .map_or(0, |s| u8::try_from(s).unwrap_or(0));
        p.file = self.file.first(doc).unwrap_or(0);
    }
}

impl IndexReader {
    /// The numbers and the keyword columns `fields` of each hit, in the hits' order (no
    /// stored document is touched). The terms of each column are resolved in one sorted
    /// pass per segment: a dictionary lookup one at a time decompresses a block each.
    pub fn columns_of(&self, hits: &[Hit], fields: &[&str]) -> Result<Vec<Picked>> {
        let searcher = self.searcher();
        let mut out: Vec<Picked> = hits
            .iter()
            .map(|h| Picked {
                handle: h.handle(),
                values: vec![String::new(); fields.len()],
                ..Picked::default()
            })
            .collect();
        let mut by_segment: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, h) in hits.iter().enumerate() {
            by_segment.entry(h.segment_ord()).or_default().push(i);
        }
        for (ord, rows) in by_segment {
            let seg = searcher.segment_reader(ord);
            let nums = Numbers::open(seg)?;
            for &i in &rows {
                nums.fill(hits[i].doc_id(), &mut out[i]);
            }
            for (f, field) in fields.iter().enumerate() {
                if *field == "audit_id" {
                    let ids = AuditIds::open(seg)?;
                    for &i in &rows {
                        out[i].values[f] = ids.get(hits[i].doc_id());
                    }
                    continue;
                }
                let Some(col) = seg.fast_fields().str(field)? else {
                    continue;
                };
                let per_row: Vec<(usize, Vec<u64>)> = rows
                    .iter()
                    .map(|&i| (i, col.term_ords(hits[i].doc_id()).collect()))
                    .collect();
                let mut ords: Vec<u64> = per_row
                    .iter()
                    .flat_map(|(_, o)| o.iter().copied())
                    .collect();
                ords.sort_unstable();
                ords.dedup();
                let mut terms = Vec::with_capacity(ords.len());
                col.dictionary()
                    .sorted_ords_to_term_cb(&ords, |b| {
                        terms.push(String::from_utf8_lossy(b).into_owned());
                    })
                    .map_err(|e| IndexError::io("cannot read a column", e))?;
                for (i, row_ords) in per_row {
                    let mut v = String::new();
                    for (k, o) in row_ords.iter().enumerate() {
                        if k > 0 {
                            v.push('\n');
                        }
                        if let Ok(at) = ords.binary_search(o)
                            && let Some(t) = terms.get(at)
                        {
                            v.push_str(t);
                        }
                    }
                    out[i].values[f] = v;
                }
            }
        }
        Ok(out)
    }

    /// Calls `visit` with the columns of every live event, segment by segment (not in time
    /// order), reading only the numbers and the keyword columns `fields`.
    pub fn each_columns(&self, fields: &[&str], visit: &mut dyn FnMut(&Picked)) -> Result<()> {
        let searcher = self.searcher();
        let mut p = Picked::default();
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            let nums = Numbers::open(seg)?;
            let mut cols = fields
                .iter()
                .map(|f| CachedColumn::open(seg, f))
                .collect::<Result<Vec<_>>>()?;
            // A UUID audit ID is in two number columns, not the string column.
            let ids = match fields.iter().position(|f| *f == "audit_id") {
                Some(at) => Some((at, AuditIds::open(seg)?)),
                None => None,
            };
            let seg_ord = u64::try_from(ord).unwrap_or(u64::MAX);
            for doc in seg.doc_ids_alive() {
                p.handle = (seg_ord << 32) | u64::from(doc);
                nums.fill(doc, &mut p);
                p.values.clear();
                for c in &mut cols {
                    p.values.push(c.values(doc)?);
                }
                if let Some((at, ids)) = &ids
                    && let Some(uuid) = ids.uuid(doc)
                {
                    p.values[*at] = uuid;
                }
                visit(&p);
            }
        }
        Ok(())
    }
}

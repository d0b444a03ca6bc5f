//! Fast columns read per segment without touching stored documents: the columns of table
//! rows (cached per segment by the reader), and one keyword column of one document.

use std::net::Ipv6Addr;

use tantivy::DateTime;
use tantivy::columnar::Column;

use super::hit::Hit;
use super::schema::{from_v6, halves, uuid_prefix_range, uuid_string};
use super::{IndexError, Result};
use crate::model::fields::{self, Fill};
use crate::model::{EventRow, Micros};

/// The audit IDs of one segment: UUIDs from their two number columns, any other ID from its
/// string column.
pub(super) struct AuditIds {
    hi: Column<u64>,
    lo: Column<u64>,
    text: Option<tantivy::columnar::StrColumn>,
}

impl AuditIds {
    pub(super) fn open(seg: &tantivy::SegmentReader) -> Result<AuditIds> {
        let ff = seg.fast_fields();
        Ok(AuditIds {
            hi: ff.u64("uuid_hi")?,
            lo: ff.u64("uuid_lo")?,
            text: ff.str("audit_id")?,
        })
    }

    /// The audit ID of a document ("" when it has none).
    pub(super) fn get(&self, doc: tantivy::DocId) -> String {
        if let Some(uuid) = self.uuid(doc) {
            return uuid;
        }
        let mut s = String::new();
        if let Some(col) = &self.text
            && let Some(ord) = col.term_ords(doc).next()
        {
            let _ = col.ord_to_str(ord, &mut s);
        }
        s
    }

    /// The audit ID of a document when it is a UUID.
    pub(super) fn uuid(&self, doc: tantivy::DocId) -> Option<String> {
        let hi = self.hi.first(doc)?;
        Some(uuid_string(hi, self.lo.first(doc).unwrap_or(0)))
    }

    /// The distinct UUIDs (at most `limit`) of documents whose written ID starts with
    /// `prefix`, by one pass over the column.
    pub(super) fn uuids_with_prefix(
        &self,
        prefix: &str,
        max_doc: tantivy::DocId,
        limit: usize,
        out: &mut std::collections::BTreeSet<String>,
    ) {
        let Some((from, to)) = uuid_prefix_range(prefix) else {
            return;
        };
        let (from_hi, _) = halves(from);
        let (to_hi, _) = halves(to);
        let mut found = std::collections::BTreeSet::new();
        for doc in 0..max_doc {
            let Some(hi) = self.hi.first(doc) else {
                continue;
            };
            if hi < from_hi || hi > to_hi {
                continue;
            }
            let lo = self.lo.first(doc).unwrap_or(0);
            let v = (u128::from(hi) << 64) | u128::from(lo);
            if (from..=to).contains(&v) {
                found.insert(v);
            }
        }
        for v in found.into_iter().take(limit) {
            let (hi, lo) = halves(v);
            out.insert(uuid_string(hi, lo));
        }
    }
}

/// The columns of table rows of one segment.
pub(super) struct SegmentColumns {
    /// The string columns the events table reads (the registry's fields with a [`Fill`]).
    strs: Vec<(Fill, Option<tantivy::columnar::StrColumn>)>,
    code: Column<u64>,
    peer: Column<Ipv6Addr>,
    time: Column<DateTime>,
    audit_ids: AuditIds,
}

impl SegmentColumns {
    pub(super) fn open(seg: &tantivy::SegmentReader) -> Result<SegmentColumns> {
        let ff = seg.fast_fields();
        let mut strs = Vec::new();
        for f in fields::FIELDS {
            if let Some(fill) = f.fill {
                strs.push((fill, ff.str(f.name)?));
            }
        }
        Ok(SegmentColumns {
            strs,
            code: ff.u64("code")?,
            peer: ff.ip_addr("peer")?,
            time: ff.date("time")?,
            audit_ids: AuditIds::open(seg)?,
        })
    }

    /// Fills the rows `rows` of `out` (hits of this segment).
    pub(super) fn fill(
        &self,
        hits: &[Hit],
        rows: &[usize],
        out: &mut [EventRow<'static>],
    ) -> Result<()> {
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
                .map(|ip| from_v6(ip).to_string().into());
            s.code = self.code.first(doc).and_then(|c| u16::try_from(c).ok());
            // Any other audit ID is filled from its string column below.
            if let Some(uuid) = self.audit_ids.uuid(doc) {
                s.audit_id = uuid.into();
            }
        }
        // Strings by term ordinal, looked up in one sorted pass per column: a dictionary
        // lookup one at a time scans a block each.
        for (fill, col) in &self.strs {
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
                .map_err(|e| IndexError::io("cannot read a column", e))?;
            let mut k = 0;
            for (ord, i) in pairs {
                while ords.get(k).is_some_and(|&o| o < ord) {
                    k += 1;
                }
                if let Some(term) = terms.get(k) {
                    fill(&mut out[i], term.clone());
                }
            }
        }
        Ok(())
    }
}

/// The first value of a keyword fast column of one document ("" when it has none).
pub(super) fn str_column(
    seg: &tantivy::SegmentReader,
    field: &str,
    doc: tantivy::DocId,
) -> Result<String> {
    let mut s = String::new();
    if let Some(col) = seg.fast_fields().str(field)?
        && let Some(ord) = col.term_ords(doc).next()
    {
        let _ = col.ord_to_str(ord, &mut s);
    }
    Ok(s)
}

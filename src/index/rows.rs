//! Reading detection rows straight from the fast columns (no stored document is touched),
//! and giving detections the events behind their hits.

use std::collections::HashMap;
use std::net::Ipv6Addr;

use tantivy::columnar::{Column, StrColumn};
use tantivy::{DateTime, DocAddress, SegmentReader};

use super::reader::{Hit, IndexReader};
use super::schema::from_v6;
use super::{IndexError, Result};
use crate::detect::EventSource;
use crate::detect::row::{Actor, Interner, Row, Rows, Sym};
use crate::model::{AuditEvent, Micros};

/// The string columns a row is made of.
const COLUMNS: &[&str] = &[
    "user",
    "actor_kind",
    "sa",
    "ua",
    "ua_family",
    "verb",
    "resource",
    "subresource",
    "api_group",
    "namespace",
    "name",
    "decision",
    "role",
    "binding",
    "exec",
    "impersonated",
    "pod",
    "node",
    "nonresource",
    "fact",
];

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
            .and_then(|o| self.syms.get(o as usize).copied())
            .unwrap_or(0)
    }

    fn all(&self, doc: u32, out: &mut Vec<Sym>) {
        out.clear();
        if let Some(c) = &self.column {
            out.extend(
                c.term_ords(doc)
                    .filter_map(|o| self.syms.get(o as usize).copied()),
            );
        }
    }
}

/// Packs a document address into a row's `doc`.
fn pack(addr: DocAddress) -> u64 {
    (u64::from(addr.segment_ord) << 32) | u64::from(addr.doc_id)
}

fn unpack(doc: u64) -> DocAddress {
    DocAddress::new((doc >> 32) as u32, doc as u32)
}

impl IndexReader {
    /// Every event as a detection row, sorted by time.
    pub fn rows(&self) -> Result<Rows> {
        let searcher = self.searcher();
        let mut rows = Rows::default();
        let mut ip_syms: HashMap<Ipv6Addr, Sym> = HashMap::new();
        let mut facts = Vec::new();
        for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
            let mut cols = Vec::with_capacity(COLUMNS.len());
            for name in COLUMNS {
                cols.push(SymColumn::open(seg, name, &mut rows.strings)?);
            }
            let ff = seg.fast_fields();
            let time: Column<DateTime> = ff.date("time")?;
            let code: Column<u64> = ff.u64("code")?;
            let peer: Column<Ipv6Addr> = ff.ip_addr("peer")?;
            let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
            let [
                user,
                actor,
                sa,
                ua,
                uaf,
                verb,
                res,
                sub,
                group,
                ns,
                name,
                decision,
                role,
                binding,
                exec,
                imp,
                pod,
                node,
                nonres,
                fact,
            ] = [
                "user",
                "actor_kind",
                "sa",
                "ua",
                "ua_family",
                "verb",
                "resource",
                "subresource",
                "api_group",
                "namespace",
                "name",
                "decision",
                "role",
                "binding",
                "exec",
                "impersonated",
                "pod",
                "node",
                "nonresource",
                "fact",
            ]
            .map(col);
            for doc in seg.doc_ids_alive() {
                let peer_sym = match peer.first(doc) {
                    Some(ip) => *ip_syms
                        .entry(ip)
                        .or_insert_with(|| rows.strings.intern(&from_v6(ip).to_string())),
                    None => 0,
                };
                let row = Row {
                    time: time.first(doc).map_or(0, DateTime::into_timestamp_micros),
                    doc: pack(DocAddress::new(seg_ord as u32, doc)),
                    user: cols[user].first(doc),
                    actor: Actor::parse(rows.strings.str(cols[actor].first(doc))),
                    sa: cols[sa].first(doc),
                    ua: cols[ua].first(doc),
                    ua_family: cols[uaf].first(doc),
                    verb: cols[verb].first(doc),
                    resource: cols[res].first(doc),
                    subresource: cols[sub].first(doc),
                    api_group: cols[group].first(doc),
                    namespace: cols[ns].first(doc),
                    name: cols[name].first(doc),
                    peer: peer_sym,
                    code: code
                        .first(doc)
                        .map_or(0, |c| c.min(u64::from(u16::MAX)) as u16),
                    decision: cols[decision].first(doc),
                    role: cols[role].first(doc),
                    binding: cols[binding].first(doc),
                    exec: cols[exec].first(doc),
                    impersonated: cols[imp].first(doc),
                    pod: cols[pod].first(doc),
                    node: cols[node].first(doc),
                    nonresource: cols[nonres].first(doc),
                    ..Row::default()
                };
                cols[fact].all(doc, &mut facts);
                rows.push(row, &facts);
            }
        }
        rows.sort();
        Ok(rows)
    }

    /// The audit ID of a row's event, from its fast column.
    pub fn audit_id_of(&self, doc: u64) -> String {
        let addr = unpack(doc);
        let searcher = self.searcher();
        let seg = searcher.segment_reader(addr.segment_ord);
        let mut out = String::new();
        if let Ok(Some(col)) = seg.fast_fields().str("audit_id")
            && let Some(ord) = col.term_ords(addr.doc_id).next()
        {
            let _ = col.ord_to_str(ord, &mut out);
        }
        out
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

//! Reading the evidence of the linker from an index: one scan of the columns (the addresses
//! kubelets use, the node each pod runs on, how many identities use each address) and, per
//! finding, at most [`MAX_EVENTS_PER_FINDING`] of its events, loaded by audit ID.

use std::collections::HashMap;

use super::Incident;
use super::clues::{self, Found, PodNodes};
use super::link::{Context, MAX_IDENTITIES_PER_ADDRESS, identity_of, is_controller};
use crate::detect::row::{Actor, EMPTY, Ip, Row, RowSource, Sym};
use crate::detect::{Finding, Severity};
use crate::index::IndexReader;
use crate::index::reader::TimeOrder;
use crate::model::{AuditEvent, Micros};
use crate::query::{Expr, Pattern};

/// Events of one finding read for clues: its first ones (the rest repeat them).
pub const MAX_EVENTS_PER_FINDING: usize = 64;

/// The node each pod (`ns/name`) runs on.
#[derive(Debug, Default)]
pub struct PodMap(pub HashMap<String, String>);

impl PodNodes for PodMap {
    fn node_of_pod(&self, pod: &str) -> Option<&str> {
        self.0.get(pod).map(String::as_str)
    }
}

/// The incidents of an index's findings.
pub fn compute(reader: &IndexReader, findings: &[Finding]) -> anyhow::Result<Vec<Incident>> {
    let (ctx, pods) = scan(reader)?;
    let mut found = Vec::with_capacity(findings.len());
    // Findings share events (a burst and the anomaly around it): each is loaded once.
    let mut loaded = HashMap::new();
    for f in findings {
        found.push(finding_clues(reader, f, &pods, &mut loaded)?);
    }
    Ok(super::build(findings, &found, &ctx))
}

/// The clues of a finding's events (none for informational findings: routine activity).
fn finding_clues(
    reader: &IndexReader,
    f: &Finding,
    pods: &PodMap,
    loaded: &mut HashMap<String, Option<AuditEvent>>,
) -> anyhow::Result<Vec<Found>> {
    if f.severity == Severity::Info {
        return Ok(Vec::new());
    }
    let controller = is_controller(identity_of(f));
    let mut out = Vec::new();
    for id in f.audit_ids.iter().take(MAX_EVENTS_PER_FINDING) {
        if !loaded.contains_key(id) {
            loaded.insert(id.clone(), event(reader, id)?);
        }
        if let Some(Some(e)) = loaded.get(id) {
            out.extend(clues::of_event(e, controller, pods));
        }
    }
    Ok(out)
}

/// The first event with this audit ID.
fn event(reader: &IndexReader, id: &str) -> anyhow::Result<Option<AuditEvent>> {
    let expr = Expr::Field {
        field: "audit_id",
        pattern: Pattern::Exact(id.to_owned()),
    };
    for hit in reader.search(&expr, 0, 0, TimeOrder::Oldest)? {
        let loaded = reader.load(&hit)?;
        // The column holds a hash of the ID: confirm it.
        if loaded.event.audit_id == id {
            return Ok(Some(loaded.event));
        }
    }
    Ok(None)
}

/// What one pass over the rows learns.
#[derive(Default)]
struct Learned {
    /// Identities per address, up to one more than the cap.
    identities: HashMap<Ip, Vec<Sym>>,
    node_addresses: HashMap<Ip, Sym>,
    /// (namespace, pod) → kubelet user, from kubelets' pod status writes.
    status: HashMap<(Sym, Sym), Sym>,
    /// (service account, pod) → node, from bound tokens.
    bound: HashMap<(Sym, Sym), Sym>,
    /// (user, address) → first time.
    first_use: HashMap<(Sym, Ip), i64>,
}

impl Learned {
    fn observe(&mut self, r: &Row, pods: Sym, status: Sym) {
        if !r.peer.is_none() {
            let ids = self.identities.entry(r.peer).or_default();
            if ids.len() <= MAX_IDENTITIES_PER_ADDRESS && !ids.contains(&r.user) {
                ids.push(r.user);
            }
            self.first_use.entry((r.user, r.peer)).or_insert(r.time);
        }
        if r.actor == Actor::Node {
            if !r.peer.is_none() {
                self.node_addresses.entry(r.peer).or_insert(r.user);
            }
            if r.resource == pods && r.subresource == status {
                self.status.entry((r.namespace, r.name)).or_insert(r.user);
            }
        } else if r.pod != EMPTY && r.node != EMPTY {
            self.bound.entry((r.sa, r.pod)).or_insert(r.node);
        }
    }
}

fn scan(reader: &IndexReader) -> anyhow::Result<(Context, PodMap)> {
    let rows = reader.rows()?;
    let v = rows.vocab();
    let (pods, status) = (v.k.pods, v.strings.get("status").unwrap_or(u32::MAX));
    let mut learned = Learned::default();
    rows.scan(&mut |r| learned.observe(r, pods, status))
        .map_err(|e| anyhow::anyhow!("cannot read the index: {e}"))?;
    let node = |user: Sym| {
        v.s(user)
            .strip_prefix("system:node:")
            .unwrap_or_default()
            .to_owned()
    };
    let ctx = Context {
        address_identities: learned
            .identities
            .iter()
            .map(|(ip, ids)| (ip.to_string(), ids.len()))
            .collect(),
        node_addresses: learned
            .node_addresses
            .iter()
            .map(|(ip, user)| (ip.to_string(), node(*user)))
            .collect(),
        first_use: learned
            .first_use
            .iter()
            .map(|((user, ip), t)| ((v.s(*user).to_owned(), ip.to_string()), Micros(*t)))
            .collect(),
    };
    let mut map: HashMap<String, String> = learned
        .bound
        .iter()
        .map(|((sa, pod), n)| {
            let ns = v.s(*sa).split(':').next().unwrap_or_default();
            (format!("{ns}/{}", v.s(*pod)), v.s(*n).to_owned())
        })
        .collect();
    for ((ns, pod), user) in &learned.status {
        map.insert(format!("{}/{}", v.s(*ns), v.s(*pod)), node(*user));
    }
    Ok((ctx, PodMap(map)))
}

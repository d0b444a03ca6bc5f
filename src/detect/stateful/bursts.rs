//! Bursts: many distinct things within minutes — unauthenticated requests to distinct paths
//! from one address, denied requests of one identity, distinct secrets read by one identity.

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::hit::Group;
use super::super::options::DetectOptions;
use super::super::row::{Actor, Ip, Row, Sym, Vocab};
use super::{ANON_ENUM, DENIED_ADDRESS, DENIED_BURST, Hits, SECRET_BURST, is_routine};
use crate::detect::finding::Severity;
use crate::model::time::format_duration;

/// Candidate events, kept per key until the end of the data.
#[derive(Default)]
pub struct Bursts {
    anon: FxHashMap<Ip, Vec<Row>>,
    denied: FxHashMap<Sym, Vec<Row>>,
    secret_reads: FxHashMap<Sym, Vec<Row>>,
}

impl Bursts {
    pub fn observe(&mut self, v: &Vocab, r: &Row) {
        if r.actor == Actor::Anonymous {
            if v.denied(r) || r.code == 404 {
                self.anon.entry(r.peer).or_default().push(r.clone());
            }
        } else if v.denied(r) {
            self.denied.entry(r.user).or_default().push(r.clone());
        }
        if r.resource == v.k.secrets
            && r.verb == v.k.get
            && v.allowed(r)
            && !matches!(r.actor, Actor::Node | Actor::ControlPlane)
            && !v.is_controller(r)
        {
            self.secret_reads.entry(r.user).or_default().push(r.clone());
        }
    }

    pub fn finish(self, opts: &DetectOptions, out: &mut Hits<'_>) {
        let window = format_duration(opts.burst_window);
        let mut anon: Vec<(Ip, Vec<Row>)> = self.anon.into_iter().collect();
        anon.sort_by_key(|(ip, _)| *ip);
        for (peer, rows) in anon {
            for (burst, n) in windows(&rows, opts, |r| {
                (
                    r.nonresource,
                    r.resource,
                    r.subresource,
                    r.namespace,
                    r.name,
                )
            }) {
                let sev = if n >= 5 * opts.burst_min {
                    Severity::High
                } else {
                    Severity::Medium
                };
                for r in burst {
                    let note = format!("{n} distinct paths within {window}");
                    let group = if peer.is_none() {
                        Group::from(r.user)
                    } else {
                        Group::from(peer)
                    };
                    out.add(ANON_ENUM, r, sev, group, Some(note));
                }
            }
        }
        let mut denied: Vec<(Sym, Vec<Row>)> = self.denied.into_iter().collect();
        denied.sort_by_key(|(u, _)| *u);
        denied_by_address(&denied, out);
        for (user, rows) in denied {
            for (burst, n) in windows(&rows, opts, |r| (r.doc, r.time)) {
                let workload = matches!(burst[0].actor, Actor::ServiceAccount | Actor::Node);
                let sev = if workload {
                    Severity::High
                } else {
                    Severity::Medium
                };
                for r in burst {
                    out.add(
                        DENIED_BURST,
                        r,
                        sev,
                        user,
                        Some(format!("{n} denied requests within {window}")),
                    );
                }
            }
        }
        let mut reads: Vec<(Sym, Vec<Row>)> = self.secret_reads.into_iter().collect();
        reads.sort_by_key(|(u, _)| *u);
        for (user, rows) in reads {
            let bursts = windows(&rows, opts, |r| (r.namespace, r.name));
            let times: Vec<i64> = bursts.iter().map(|(b, _)| b[0].time).collect();
            let routine = is_routine(&times);
            for (burst, n) in bursts {
                let sev = if routine {
                    Severity::Low
                } else {
                    Severity::High
                };
                let note = if routine {
                    format!("{n} distinct secrets within {window}; this account does so routinely")
                } else {
                    format!("{n} distinct secrets within {window}")
                };
                for r in burst {
                    out.add(SECRET_BURST, r, sev, user, Some(note.clone()));
                    if routine {
                        out.routine();
                    }
                }
            }
        }
    }
}

/// Identities refused from one address within this long count together.
const ADDRESS_WINDOW: i64 = 10 * crate::model::Micros::MINUTE;
/// … at least this many identities, with at least this many refusals in all.
const ADDRESS_IDENTITIES: usize = 3;
const ADDRESS_DENIALS: usize = 5;

/// Many refusals from one address across identities: one client trying several stolen
/// credentials. Reads the denied rows kept per identity, regrouped by address.
fn denied_by_address(denied: &[(Sym, Vec<Row>)], out: &mut Hits<'_>) {
    let mut by_peer: FxHashMap<Ip, Vec<&Row>> = FxHashMap::default();
    for r in denied.iter().flat_map(|(_, rows)| rows) {
        if !r.peer.is_none() {
            by_peer.entry(r.peer).or_default().push(r);
        }
    }
    let mut peers: Vec<(Ip, Vec<&Row>)> = by_peer
        .into_iter()
        .filter(|(_, rows)| rows.len() >= ADDRESS_DENIALS)
        .collect();
    peers.sort_by_key(|(ip, _)| *ip);
    for (peer, mut rows) in peers {
        rows.sort_by_key(|r| (r.time, r.doc));
        let mut marked = vec![false; rows.len()];
        let mut users: FxHashMap<Sym, usize> = FxHashMap::default();
        let mut start = 0;
        let mut best = 0;
        for end in 0..rows.len() {
            *users.entry(rows[end].user).or_default() += 1;
            while rows[end].time - rows[start].time > ADDRESS_WINDOW {
                if let Some(n) = users.get_mut(&rows[start].user) {
                    *n -= 1;
                    if *n == 0 {
                        users.remove(&rows[start].user);
                    }
                }
                start += 1;
            }
            if users.len() >= ADDRESS_IDENTITIES && end + 1 - start >= ADDRESS_DENIALS {
                best = best.max(users.len());
                marked[start..=end].iter_mut().for_each(|m| *m = true);
            }
        }
        let sev = if peer.is_public() {
            Severity::High
        } else {
            Severity::Medium
        };
        let note = format!("{best} identities refused from {peer} within minutes");
        for (r, _) in rows.iter().zip(&marked).filter(|(_, m)| **m) {
            out.add(DENIED_ADDRESS, r, sev, peer, Some(note.clone()));
        }
    }
}

/// Bursts in time-ordered rows: windows holding at least `burst_min` distinct keys within
/// `burst_window`, extended while new keys keep coming. Each burst stands on the first event
/// of each distinct key (repeats are routine); returned with its number of keys.
fn windows<'r, K: std::hash::Hash + Eq>(
    rows: &'r [Row],
    opts: &DetectOptions,
    key: impl Fn(&Row) -> K,
) -> Vec<(Vec<&'r Row>, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let t0 = rows[start].time;
        let mut end = start;
        let mut keys = FxHashSet::default();
        while end < rows.len() && rows[end].time - t0 <= opts.burst_window {
            keys.insert(key(&rows[end]));
            end += 1;
        }
        if keys.len() < opts.burst_min {
            start += 1;
            continue;
        }
        let mut last_new = rows[end - 1].time;
        while end < rows.len() && rows[end].time - last_new <= opts.burst_window {
            if keys.insert(key(&rows[end])) {
                last_new = rows[end].time;
            }
            end += 1;
        }
        let mut seen = FxHashSet::default();
        let firsts: Vec<&Row> = rows[start..end]
            .iter()
            .filter(|r| seen.insert(key(r)))
            .collect();
        out.push((firsts, keys.len()));
        start = end;
    }
    out
}

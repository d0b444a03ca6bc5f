//! Bursts: many distinct things within minutes — unauthenticated requests to distinct paths
//! from one address, denied requests of one identity, distinct secrets read by one identity.

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::hit::Group;
use super::super::options::DetectOptions;
use super::super::row::{Actor, Ip, Row, Sym, Vocab};
use super::{ANON_ENUM, DENIED_BURST, Hits, SECRET_BURST, is_routine};
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

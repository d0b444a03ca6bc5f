//! Enumeration breadth: one identity reading (get, list, watch) many resource kinds within
//! minutes, whatever the outcome — someone mapping what a credential reaches. Streaming: per
//! identity and client, each kind's last read and the first row of its current run; a row is cloned
//! only when a kind is new or comes back after the window, so steady readers cost a lookup.
//! Controllers, kubelets and the control plane (informers list every kind they watch) are
//! not followed.

use rustc_hash::FxHashMap;

use super::super::row::{Actor, EMPTY, Row, Sym, Vocab};
use super::{Hits, display_family};
use crate::detect::DetectOptions;
use crate::detect::finding::Severity;
use crate::model::Micros;
use crate::model::useragent;

pub const ENUM_BREADTH: &str = "KS-ENUM-BREADTH";

/// Kinds read within this long count together.
pub const WINDOW: i64 = 10 * Micros::MINUTE;

struct Kind {
    last: i64,
    first: Row,
    reported: bool,
}

#[derive(Default)]
struct Identity {
    kinds: FxHashMap<Sym, Kind>,
}

pub struct Breadth {
    reads: Vec<Sym>,
    /// (identity, client family) → the kinds it read: an application's own polling and a
    /// stolen copy of its token driven with kubectl are followed apart.
    ids: FxHashMap<(Sym, Sym), Identity>,
}

impl Breadth {
    pub fn new(v: &Vocab) -> Breadth {
        Breadth {
            reads: ["get", "list", "watch"]
                .iter()
                .filter_map(|w| v.strings.get(w))
                .collect(),
            ids: FxHashMap::default(),
        }
    }

    pub fn observe(&mut self, v: &Vocab, opts: &DetectOptions, r: &Row, out: &mut Hits<'_>) {
        if r.resource == EMPTY
            || r.user == EMPTY
            || !self.reads.contains(&r.verb)
            || matches!(r.actor, Actor::Node | Actor::ControlPlane)
            || v.is_controller(r)
        {
            return;
        }
        let id = self.ids.entry((r.user, r.ua_family)).or_default();
        match id.kinds.get_mut(&r.resource) {
            Some(k) if r.time - k.last <= WINDOW => {
                k.last = r.time;
                return;
            }
            Some(k) => {
                *k = Kind {
                    last: r.time,
                    first: r.clone(),
                    reported: false,
                };
            }
            None => {
                id.kinds.insert(
                    r.resource,
                    Kind {
                        last: r.time,
                        first: r.clone(),
                        reported: false,
                    },
                );
            }
        }
        // Kinds whose run began within the window: a steady poller's old runs do not count.
        let fresh = |k: &Kind| r.time - k.first.time <= WINDOW;
        let active = id.kinds.values().filter(|k| fresh(k)).count();
        if active < opts.burst_min {
            return;
        }
        let sev = severity(v, r);
        let mut new: Vec<&mut Kind> = id
            .kinds
            .values_mut()
            .filter(|k| !k.reported && fresh(k))
            .collect();
        new.sort_by_key(|k| (k.first.time, k.first.doc));
        let note = format!(
            "{active} resource kinds read within {} with `{}`",
            crate::model::time::format_duration(WINDOW),
            display_family(v.s(r.ua_family))
        );
        // A service account's own deployed client (a backup operator listing every kind on
        // each run) is a routine: one finding a day.
        let routine = sev == Severity::Low && r.actor == Actor::ServiceAccount;
        for k in new {
            k.reported = true;
            out.add(ENUM_BREADTH, &k.first, sev, r.user, Some(note.clone()));
            if routine {
                out.routine();
            }
        }
    }
}

/// A person with kubectl is routine-ish (low: `kubectl get all` reads ten kinds); a person
/// with a generic HTTP client ranks medium; a workload credential driven by hand is someone
/// mapping a stolen credential (high).
fn severity(v: &Vocab, r: &Row) -> Severity {
    let fam = v.s(r.ua_family);
    let tool = fam.is_empty() || useragent::is_tool(fam);
    match r.actor {
        Actor::ServiceAccount | Actor::Anonymous | Actor::Unknown if tool => Severity::High,
        Actor::Human if tool && fam != "kubectl" => Severity::Medium,
        Actor::Anonymous | Actor::Unknown => Severity::Medium,
        _ => Severity::Low,
    }
}

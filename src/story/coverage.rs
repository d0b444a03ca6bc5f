//! What the data set cannot show (`kubesift coverage`): the time it covers and its gaps (no
//! events for much longer than the usual interval, per input and per cluster), the stages
//! logged, the level each resource is logged at (no bodies, no pod specs), fields missing
//! (user agents, source addresses, authorization annotations, credential ids), resources a
//! default policy logs that never appear — and for each blind spot, the detections that
//! cannot fire. One pass over a few fast columns.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::index::select::Picked;
use crate::index::{IndexReader, Result};
use crate::model::{Micros, Stage, StageSet};

/// A gap is at least this long…
const MIN_GAP: i64 = 5 * 60 * 1_000_000;
/// …and this many times the usual interval between events of its input.
const GAP_FACTOR: i64 = 20;
/// Times are kept per second, compacted (sorted, deduplicated) past this many.
const COMPACT_AT: usize = 1 << 20;

/// The columns the pass reads, in [`CovRow`]'s order.
pub const COLUMNS: &[&str] = &[
    "cluster",
    "resource",
    "subresource",
    "verb",
    "level",
    "ua",
    "decision",
    "credential",
    "actor_kind",
];

/// A stretch without events.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Gap {
    /// `input` or `cluster`.
    pub scope: &'static str,
    /// The input's path or the cluster's label (`""` when unlabelled).
    pub name: String,
    pub from: Micros,
    pub to: Micros,
    pub seconds: i64,
    /// The usual (median) interval between events there, in seconds.
    pub usual_seconds: i64,
}

/// The levels one resource is logged at, for reads (get, list, watch) and for writes
/// (create, update, patch: the requests with a body).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct ResourceLevels {
    pub resource: String,
    pub events: u64,
    pub read_levels: BTreeMap<String, u64>,
    pub write_levels: BTreeMap<String, u64>,
}

/// A detection that cannot fire, by its docs/detections.md number.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Blind {
    pub number: String,
    pub rules: Vec<String>,
    pub title: String,
    /// Some of the data still lets it fire (a few writes logged with a body): it misses the
    /// rest, rather than never firing.
    pub partial: bool,
}

impl Blind {
    /// How the detection is affected by this blind spot, as the reports say it (it may
    /// still fire on what other resources show: a controller's pods for its templates).
    pub fn verdict(&self) -> &'static str {
        if self.partial {
            "sees only the writes with a body"
        } else {
            "blind to these"
        }
    }

    /// `NUMBER TITLE (RULES)`, the number left out when the rule has none in the docs.
    pub fn described(&self) -> String {
        let number = if self.number.is_empty() {
            String::new()
        } else {
            format!("{} ", self.number)
        };
        format!("{number}{} ({})", self.title, self.rules.join(", "))
    }
}

/// Something the data set cannot show, and what it costs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BlindSpot {
    /// `gap`, `stage`, `level`, `field`, `unseen`.
    pub kind: &'static str,
    pub what: String,
    pub cost: String,
    pub detections: Vec<Blind>,
}

/// `kubesift coverage`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Coverage {
    pub events: u64,
    pub first: Option<Micros>,
    pub last: Option<Micros>,
    pub gaps: Vec<Gap>,
    /// Events with each stage record.
    pub stages: BTreeMap<String, u64>,
    /// Events logged without their `RequestReceived` record, by resource.
    pub without_request_received: BTreeMap<String, u64>,
    pub levels: Vec<ResourceLevels>,
    pub without_user_agent: u64,
    pub source_addresses: usize,
    pub without_decision: u64,
    pub service_account_requests: u64,
    pub without_credential_id: u64,
    pub blind_spots: Vec<BlindSpot>,
}

/// One event's columns as the pass reads them.
#[derive(Debug, Clone, Default)]
pub struct CovRow<'a> {
    pub time: Micros,
    pub file: u64,
    pub stages: u8,
    pub peer: Option<std::net::IpAddr>,
    pub cluster: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub verb: &'a str,
    pub level: &'a str,
    pub ua: &'a str,
    pub decision: &'a str,
    pub credential: &'a str,
    pub actor_kind: &'a str,
}

impl<'a> CovRow<'a> {
    fn of(p: &'a Picked) -> CovRow<'a> {
        let v = |i: usize| p.values.get(i).map_or("", String::as_str);
        CovRow {
            time: p.time,
            file: p.file,
            stages: p.stages,
            peer: p.peer,
            cluster: v(0),
            resource: v(1),
            subresource: v(2),
            verb: v(3),
            level: v(4),
            ua: v(5),
            decision: v(6),
            credential: v(7),
            actor_kind: v(8),
        }
    }
}

/// What the pass gathers.
#[derive(Debug, Default)]
pub struct Tally {
    c: Coverage,
    times: HashMap<(&'static str, String), Vec<i64>>,
    levels: HashMap<String, ResourceLevels>,
    peers: std::collections::HashSet<std::net::IpAddr>,
}

impl Tally {
    /// Counts one event; `input` names its input file.
    pub fn observe(&mut self, r: &CovRow<'_>, input: &str) {
        let c = &mut self.c;
        c.events += 1;
        c.first = Some(c.first.map_or(r.time, |f| f.min(r.time)));
        c.last = Some(c.last.map_or(r.time, |l| l.max(r.time)));
        for (scope, name) in [("input", input), ("cluster", r.cluster)] {
            let t = self.times.entry((scope, name.to_owned())).or_default();
            t.push(r.time.0.div_euclid(1_000_000));
            if t.len() >= COMPACT_AT {
                t.sort_unstable();
                t.dedup();
            }
        }
        for s in StageSet(r.stages).iter() {
            *c.stages.entry(s.as_str().to_owned()).or_default() += 1;
        }
        let key = if r.resource.is_empty() {
            "(non-resource)".to_owned()
        } else {
            crate::model::row::join_resource(r.resource, r.subresource)
        };
        if r.stages != 0 && !StageSet(r.stages).contains(Stage::RequestReceived) {
            *c.without_request_received.entry(key.clone()).or_default() += 1;
        }
        let l = self
            .levels
            .entry(key.clone())
            .or_insert_with(|| ResourceLevels {
                resource: key,
                ..ResourceLevels::default()
            });
        l.events += 1;
        let level = if r.level.is_empty() {
            "(none)"
        } else {
            r.level
        };
        let by = match r.verb {
            "create" | "update" | "patch" => Some(&mut l.write_levels),
            "get" | "list" | "watch" => Some(&mut l.read_levels),
            _ => None,
        };
        if let Some(by) = by {
            *by.entry(level.to_owned()).or_default() += 1;
        }
        c.without_user_agent += u64::from(r.ua.is_empty());
        c.without_decision += u64::from(r.decision.is_empty());
        if r.actor_kind == "service-account" {
            c.service_account_requests += 1;
            c.without_credential_id += u64::from(r.credential.is_empty());
        }
        if let Some(p) = r.peer
            && self.peers.len() < 1000
        {
            self.peers.insert(p);
        }
    }

    /// The report, without its blind spots (`coverage_spots` reads them off it).
    pub fn finish(mut self) -> Coverage {
        let mut gaps = Vec::new();
        let mut keys: Vec<_> = self.times.keys().cloned().collect();
        keys.sort();
        for key in keys {
            if let Some(mut t) = self.times.remove(&key) {
                t.sort_unstable();
                t.dedup();
                gaps.extend(gaps_in(&t, key.0, &key.1));
            }
        }
        self.c.gaps = gaps;
        self.c.source_addresses = self.peers.len();
        let mut levels: Vec<ResourceLevels> = self.levels.into_values().collect();
        levels.sort_by(|a, b| b.events.cmp(&a.events).then(a.resource.cmp(&b.resource)));
        self.c.levels = levels;
        self.c
    }
}

/// The gaps in sorted distinct seconds `t`: intervals longer than [`MIN_GAP`] and
/// [`GAP_FACTOR`] times the median interval.
fn gaps_in(t: &[i64], scope: &'static str, name: &str) -> Vec<Gap> {
    let mut intervals: Vec<i64> = t
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0)
        .collect();
    if intervals.is_empty() {
        return Vec::new();
    }
    intervals.sort_unstable();
    let usual = intervals[intervals.len() / 2];
    let threshold = (MIN_GAP / 1_000_000).max(usual.saturating_mul(GAP_FACTOR));
    t.windows(2)
        .filter(|w| w[1] - w[0] > threshold)
        .map(|w| Gap {
            scope,
            name: name.to_owned(),
            from: Micros(w[0].saturating_mul(1_000_000)),
            to: Micros(w[1].saturating_mul(1_000_000)),
            seconds: w[1] - w[0],
            usual_seconds: usual,
        })
        .collect()
}

/// The coverage of the whole index (without blind spots): one pass over [`COLUMNS`].
pub fn coverage(reader: &IndexReader) -> Result<Coverage> {
    let mut tally = Tally::default();
    let mut paths: HashMap<u64, String> = HashMap::new();
    reader.each_columns(COLUMNS, &mut |p| {
        let input = paths
            .entry(p.file)
            .or_insert_with(|| reader.manifest.path_of(p.file));
        tally.observe(&CovRow::of(p), input);
    })?;
    Ok(tally.finish())
}

/// Was any event logged with stage `s`?
pub fn has_stage(c: &Coverage, s: Stage) -> bool {
    c.stages.get(s.as_str()).is_some_and(|n| *n > 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn row<'a>(
        sec: i64,
        resource: &'a str,
        verb: &'a str,
        level: &'a str,
    ) -> CovRow<'a> {
        CovRow {
            time: Micros(sec * 1_000_000),
            stages: StageSet::of(Stage::ResponseComplete).0,
            peer: "10.0.0.1".parse().ok(),
            resource,
            verb,
            level,
            ua: "kubectl/v1.30",
            decision: "allow",
            ..CovRow::default()
        }
    }

    #[test]
    fn a_hole_much_longer_than_the_usual_interval_is_a_gap() {
        let mut t: Vec<i64> = (0..100).map(|i| i * 30).collect();
        t.extend((0..100).map(|i| 6000 + i * 30));
        let g = gaps_in(&t, "input", "a.log");
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(g[0].from, Micros(2970 * 1_000_000));
        assert_eq!(g[0].to, Micros(6000 * 1_000_000));
        assert_eq!(g[0].usual_seconds, 30);
        // A quiet but regular input has none.
        let quiet: Vec<i64> = (0..50).map(|i| i * 600).collect();
        assert!(gaps_in(&quiet, "input", "b.log").is_empty());
    }
}

//! One incident from a connected set of findings and the links between them: its steps in
//! time order (each with the strongest link to an earlier step, never a later one), severity, tactics, id,
//! title, audit IDs, advice and graph.

use std::collections::{BTreeSet, HashMap, HashSet};

use xxhash_rust::xxh3::xxh3_64;

use super::clues::Found;
use super::link::{self, Context, Edge, KeyKind, UnionFind, identity_of};
use super::{Graph, GraphEdge, GraphNode, Incident, Link, Step};
use crate::detect::tactic::{self, TACTICS};
use crate::detect::{Finding, Severity};

/// Most advice lines an incident lists.
const MAX_ADVICE: usize = 6;
/// Most entities its graph draws.
const MAX_GRAPH_NODES: usize = 40;

/// Links the findings (with the clues of their events, one list per finding) into
/// incidents, most severe first.
pub fn build(findings: &[Finding], clues: &[Vec<Found>], ctx: &Context) -> Vec<Incident> {
    let edges = link::edges(findings, clues, ctx);
    let mut sets = UnionFind::new(findings.len());
    for e in &edges {
        sets.union(e.from, e.to);
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..findings.len() {
        groups.entry(sets.find(i)).or_default().push(i);
    }
    let mut incidents: Vec<Incident> = groups
        .into_values()
        .map(|members| assemble(findings, &members, &edges))
        .collect();
    super::sort(&mut incidents);
    incidents
}

fn assemble(findings: &[Finding], members: &[usize], edges: &[Edge]) -> Incident {
    let mut order = members.to_vec();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (&findings[a], &findings[b]);
        fa.first_seen
            .cmp(&fb.first_seen)
            .then_with(|| fa.rule_id.cmp(&fb.rule_id))
            .then_with(|| a.cmp(&b))
    });
    let pos: HashMap<usize, usize> = order.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let inner: Vec<&Edge> = edges
        .iter()
        .filter(|e| pos.contains_key(&e.from) && pos.contains_key(&e.to))
        .collect();
    let steps: Vec<Step> = order
        .iter()
        .enumerate()
        .map(|(p, &i)| step(&findings[i], best_link(i, p, &pos, &inner)))
        .collect();
    let chosen: Vec<&Finding> = order.iter().map(|&i| &findings[i]).collect();
    let identities = ordered_unique(chosen.iter().map(|f| identity_of(f).to_owned()));
    let crosses = inner.iter().any(|e| {
        e.kind.crosses_privilege() && identity_of(&findings[e.from]) != identity_of(&findings[e.to])
    });
    Incident {
        id: incident_id(&chosen),
        title: title(&chosen, identities.len()),
        severity: severity(&chosen, crosses),
        first_seen: chosen
            .iter()
            .map(|f| f.first_seen.clone())
            .min()
            .unwrap_or_default(),
        last_seen: chosen
            .iter()
            .map(|f| f.last_seen.clone())
            .max()
            .unwrap_or_default(),
        source_ips: chosen
            .iter()
            .flat_map(|f| f.source_ips.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        tactics: tactics(&chosen),
        audit_ids: ordered_unique(steps.iter().flat_map(|s| s.audit_ids.iter().cloned())),
        advice: advice(&chosen),
        graph: graph(findings, &order, &inner),
        identities,
        steps,
    }
}

/// The strongest link of step `p` (finding `i`) to an earlier step: links are oriented
/// earliest first, so a step's explanation tells what came before it. A step whose links all
/// go to later steps starts a thread of the story (the later step carries the link).
fn best_link(i: usize, p: usize, pos: &HashMap<usize, usize>, inner: &[&Edge]) -> Option<Link> {
    let earlier = inner.iter().filter_map(|e| {
        // `to_first`: the earlier step is the edge's user, told first.
        let (other, to_first) = if e.to == i {
            (e.from, false)
        } else if e.from == i {
            (e.to, true)
        } else {
            return None;
        };
        let q = *pos.get(&other)?;
        (q < p).then_some((q, *e, to_first))
    });
    let (q, e, to_first) = earlier
        .max_by_key(|(q, e, _)| (e.weight(), std::cmp::Reverse(*q), std::cmp::Reverse(e.at)))?;
    Some(Link {
        kind: e.name.to_owned(),
        to_step: q,
        explanation: if to_first {
            e.explanation_to_first.clone()
        } else {
            e.explanation.clone()
        },
    })
}

fn step(f: &Finding, link: Option<Link>) -> Step {
    Step {
        time: f.first_seen.clone(),
        last_seen: f.last_seen.clone(),
        rule_id: f.rule_id.clone(),
        title: f.title.clone(),
        severity: f.severity,
        account: f.account.clone(),
        source_ips: f.source_ips.clone(),
        tactic: tactic_of(f).to_owned(),
        attack: f.attack.clone(),
        summary: f.summary.clone(),
        audit_ids: f.audit_ids.clone(),
        link,
    }
}

/// The ATT&CK tactic a finding stands for (`detect::tactic`, shared with the workbench).
pub fn tactic_of(f: &Finding) -> &'static str {
    tactic::tactic(f).1
}

fn tactics(fs: &[&Finding]) -> Vec<String> {
    let seen: HashSet<&str> = fs.iter().map(|f| tactic_of(f)).collect();
    TACTICS
        .iter()
        .filter(|t| seen.contains(*t))
        .map(|t| (*t).to_owned())
        .collect()
}

/// The worst finding's severity, one step higher when the chain crosses identities through
/// a credential, a binding, an impersonation or a node.
fn severity(fs: &[&Finding], crosses: bool) -> Severity {
    let worst = fs
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    if !crosses {
        return worst;
    }
    match worst {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

/// `INC-` and 12 hex digits of a hash of the findings (rule, account, first seen).
fn incident_id(fs: &[&Finding]) -> String {
    let mut keys: Vec<String> = fs
        .iter()
        .map(|f| format!("{}|{}|{}", f.rule_id, f.account, f.first_seen))
        .collect();
    keys.sort();
    format!("INC-{:012x}", xxh3_64(keys.join("\n").as_bytes()) >> 16)
}

fn title(fs: &[&Finding], identities: usize) -> String {
    let Some(worst) = fs
        .iter()
        .max_by_key(|f| (f.severity, std::cmp::Reverse(&f.first_seen)))
    else {
        return String::new();
    };
    match (fs.len(), identities) {
        (1, _) => worst.title.clone(),
        (n, 1) => format!(
            "{} and {} more by {}",
            worst.title,
            n - 1,
            identity_of(worst)
        ),
        (n, k) => format!("{}: {n} findings across {k} identities", worst.title),
    }
}

fn advice(fs: &[&Finding]) -> Vec<String> {
    let mut by_severity: Vec<&&Finding> = fs.iter().collect();
    by_severity.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let lines = by_severity
        .iter()
        .map(|f| f.advice.clone())
        .filter(|a| !a.is_empty());
    let mut out = ordered_unique(lines);
    out.truncate(MAX_ADVICE);
    out
}

fn ordered_unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items.filter(|s| seen.insert(s.clone())).collect()
}

/// Identities, addresses, pods, nodes and workloads, and the links between them.
fn graph(findings: &[Finding], order: &[usize], inner: &[&Edge]) -> Graph {
    let mut g = GraphBuilder::default();
    for &i in order {
        let f = &findings[i];
        let who = g.node("identity", identity_of(f));
        for ip in &f.source_ips {
            let at = g.node("address", ip);
            g.edge(who, at, "from");
        }
    }
    for e in inner {
        let (a, b) = (identity_of(&findings[e.from]), identity_of(&findings[e.to]));
        let (from, to) = (g.node("identity", a), g.node("identity", b));
        let via = match e.kind {
            KeyKind::Pod => Some("pod"),
            KeyKind::Node => Some("node"),
            KeyKind::Workload => Some("workload"),
            KeyKind::Address if e.name == "named-address" => Some("address"),
            _ => None,
        };
        match via {
            Some(kind) => {
                let mid = g.node(kind, &e.value);
                g.edge(from, mid, e.name);
                g.edge(mid, to, e.name);
            }
            None if from != to => g.edge(from, to, e.name),
            None => {}
        }
    }
    g.graph
}

#[derive(Default)]
struct GraphBuilder {
    graph: Graph,
    index: HashMap<(String, String), usize>,
    edges: HashSet<(usize, usize, String)>,
}

impl GraphBuilder {
    fn node(&mut self, kind: &str, label: &str) -> usize {
        let key = (kind.to_owned(), label.to_owned());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        if self.graph.nodes.len() >= MAX_GRAPH_NODES {
            return usize::MAX;
        }
        let i = self.graph.nodes.len();
        self.graph.nodes.push(GraphNode {
            kind: key.0.clone(),
            label: key.1.clone(),
        });
        self.index.insert(key, i);
        i
    }

    fn edge(&mut self, from: usize, to: usize, label: &str) {
        if from == usize::MAX || to == usize::MAX || from == to {
            return;
        }
        if self.edges.insert((from, to, label.to_owned())) {
            self.graph.edges.push(GraphEdge {
                from,
                to,
                label: label.to_owned(),
            });
        }
    }
}

//! The linker: findings and their clues → weighed links → incidents. Pure.
//!
//! Every finding carries keys: its identity from each of its addresses (`same-actor`), each
//! address (`shared-address`, also an address a command or spec names), and what its clues
//! name (a pod, a node, an identity, a workload), each as something it *provides* (an exec
//! into a pod, a token minted, a binding created) or *uses* (the pod's token, the node's
//! credentials, the identity acting). Two findings sharing a key are linked: a provider to a
//! later user, or two carriers of a symmetric key.
//!
//! Weak links are cut: an address used by more than [`MAX_IDENTITIES_PER_ADDRESS`]
//! identities in the whole data (a load balancer, a NAT gateway) links nothing; a key carried
//! by more than [`MAX_CARRIERS`] identities among the findings links nothing; system
//! controllers carry no link but the workload whose pods they create.

use std::collections::{BTreeSet, HashMap};

use super::clues::{Clue, Found};
use crate::detect::Finding;
use crate::model::Micros;

/// An address used by more identities than this in the data is shared infrastructure.
pub const MAX_IDENTITIES_PER_ADDRESS: usize = 4;
/// A key carried by more identities than this among the findings is too common to link.
pub const MAX_CARRIERS: usize = 6;

/// What the linker knows of the whole data set beyond the findings.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Distinct identities seen using each address (counted up to a cap).
    pub address_identities: HashMap<String, usize>,
    /// Addresses of nodes (their kubelets' source addresses) → node name.
    pub node_addresses: HashMap<String, String>,
    /// When each identity first used each address: a minted or stolen token links to the
    /// findings that use it from an address new to the identity since, not to its owner's
    /// routine work from where it always works.
    pub first_use: HashMap<(String, String), Micros>,
}

impl Context {
    /// True when `identity` used one of `ips` for the first time at or after `since` (or
    /// when the data does not say).
    fn new_address(&self, identity: &str, ips: &[String], since: Micros) -> bool {
        ips.is_empty()
            || ips.iter().any(|ip| {
                self.first_use
                    .get(&(identity.to_owned(), ip.clone()))
                    .is_none_or(|t| *t >= since)
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    Actor,
    Address,
    Pod,
    Node,
    Identity,
    Workload,
}

impl KeyKind {
    /// How much a link of this kind says about one actor.
    pub fn weight(self) -> u8 {
        match self {
            KeyKind::Pod | KeyKind::Identity => 5,
            KeyKind::Node | KeyKind::Workload => 4,
            KeyKind::Actor => 3,
            KeyKind::Address => 2,
        }
    }

    /// Whether a link of this kind crosses from one identity's privileges to another's.
    pub fn crosses_privilege(self) -> bool {
        matches!(self, KeyKind::Pod | KeyKind::Node | KeyKind::Identity)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Provide,
    Use,
    Both,
}

/// One key a finding carries.
#[derive(Debug, Clone)]
struct Entry {
    finding: usize,
    role: Role,
    time: Micros,
    what: String,
    /// The link kind's name for a clue-specific key (`pod-token`, `impersonation`…).
    name: &'static str,
    /// A key of the whole finding (identity, addresses): `time` is its first event's, not
    /// necessarily when this key was seen.
    whole_finding: bool,
}

impl Entry {
    /// When it happened, as the explanation tells it: `at` a clue's own time; a key of the
    /// whole finding (its identity, its addresses) holds `from` the finding's first event.
    fn when(&self) -> String {
        if self.whole_finding {
            format!("from {}", clock(self.time))
        } else {
            format!("at {}", clock(self.time))
        }
    }
}

/// A link between two findings: `from` provided or carried the key first.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: KeyKind,
    pub name: &'static str,
    pub value: String,
    /// What `from` did, then what `to` did (for a step tied to an earlier `from`).
    pub explanation: String,
    /// What `to` did, then what `from` did: for a step tied to an earlier `to` (a subject
    /// that acted before the binding that names it), so the story reads earliest first.
    pub explanation_to_first: String,
    /// When the link shows: the later of its two sides' times (of two links as strong
    /// between the same steps, the earlier one is told).
    pub at: Micros,
}

impl Edge {
    pub fn weight(&self) -> u8 {
        self.kind.weight()
    }
}

/// The identity a finding's account names (`system:anonymous from 1.2.3.4` → `system:anonymous`).
pub fn identity_of(f: &Finding) -> &str {
    f.account
        .split_once(" from ")
        .map_or(f.account.as_str(), |(id, _)| id)
}

/// True for control-plane components and kube-controller-manager's controllers.
pub fn is_controller(identity: &str) -> bool {
    let sa = identity
        .strip_prefix("system:serviceaccount:")
        .unwrap_or_default();
    crate::model::actor::is_builtin_controller_sa(sa)
        || matches!(
            identity,
            "system:kube-controller-manager" | "system:kube-scheduler" | "system:apiserver"
        )
}

/// Every link between the findings.
pub fn edges(findings: &[Finding], clues: &[Vec<Found>], ctx: &Context) -> Vec<Edge> {
    let mut keys: HashMap<(KeyKind, String), Vec<Entry>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        let found = clues.get(i).map_or(&[][..], Vec::as_slice);
        for (key, entry) in keys_of(i, f, found, ctx) {
            keys.entry(key).or_default().push(entry);
        }
    }
    let mut sorted: Vec<_> = keys.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    for ((kind, value), entries) in sorted {
        if too_common(kind, &entries, findings) {
            continue;
        }
        link_key(kind, &value, &entries, findings, ctx, &mut out);
    }
    out
}

/// A key carried by too many identities links nothing.
fn too_common(kind: KeyKind, entries: &[Entry], findings: &[Finding]) -> bool {
    let carriers: BTreeSet<&str> = entries
        .iter()
        .map(|e| identity_of(&findings[e.finding]))
        .collect();
    kind != KeyKind::Actor && carriers.len() > MAX_CARRIERS
}

/// The links of one key: each user to the earliest provider before it; each symmetric
/// carrier to the earliest carrier.
fn link_key(
    kind: KeyKind,
    value: &str,
    entries: &[Entry],
    findings: &[Finding],
    ctx: &Context,
    out: &mut Vec<Edge>,
) {
    let mut providers: Vec<&Entry> = entries.iter().filter(|e| e.role != Role::Use).collect();
    providers.sort_by_key(|e| (e.time, e.finding));
    for user in entries.iter().filter(|e| e.role != Role::Provide) {
        let limit = if user.role == Role::Both {
            user.time
        } else {
            last_seen(&findings[user.finding])
        };
        let uf = &findings[user.finding];
        let Some(p) = providers.iter().find(|p| {
            p.finding != user.finding
                && p.time <= limit
                && (p.name != "minted-token"
                    || ctx.new_address(identity_of(uf), &uf.source_ips, p.time))
        }) else {
            continue;
        };
        let pf = &findings[p.finding];
        let (explanation, explanation_to_first) = if p.name == "same-actor" {
            (
                explain(p, user, pf, uf),
                explain_user_first(p, user, pf, uf),
            )
        } else {
            // The two acts in the order they began, whichever step comes first in the story
            // (a foothold at 11:42 was told after a use at 12:09).
            let told = if p.time <= user.time {
                explain(p, user, pf, uf)
            } else {
                explain_user_first(p, user, pf, uf)
            };
            (told.clone(), told)
        };
        out.push(Edge {
            from: p.finding,
            to: user.finding,
            kind,
            name: p.name,
            value: value.to_owned(),
            explanation,
            explanation_to_first,
            at: p.time.max(user.time),
        });
    }
}

/// The explanation of a link: what the provider did and when, then what the user did.
fn explain(p: &Entry, user: &Entry, pf: &Finding, uf: &Finding) -> String {
    if p.name == "same-actor" {
        return format!(
            "{} {} again, as in {} ({})",
            identity_of(uf),
            user.what,
            pf.rule_id,
            p.when()
        );
    }
    // The user's own time when it is an act of its own (for a whole finding, `acted` says
    // enough: it goes on past the provider's act).
    let then = if user.whole_finding {
        String::new()
    } else {
        format!("{} ", user.when())
    };
    format!(
        "{} {} {}; {then}{} {}",
        p.when(),
        identity_of(pf),
        p.what,
        identity_of(uf),
        user.what
    )
}

/// The explanation of a link told from the user's side: what the user did and when, then
/// what the provider did and when (the user's step comes first in the story).
fn explain_user_first(p: &Entry, user: &Entry, pf: &Finding, uf: &Finding) -> String {
    if p.name == "same-actor" {
        // Both sides are the same identity from the same address: told once.
        return format!(
            "{} {} again, as in {} ({})",
            identity_of(pf),
            p.what,
            uf.rule_id,
            user.when()
        );
    }
    // A whole finding told first says how long it went on: past the provider's act.
    let when = if user.whole_finding {
        format!("{} to {}", user.when(), clock(last_seen(uf)))
    } else {
        user.when()
    };
    format!(
        "{when} {} {}; {} {} {}",
        identity_of(uf),
        user.what,
        p.when(),
        identity_of(pf),
        p.what
    )
}

/// When a finding was last seen.
pub fn last_seen(f: &Finding) -> Micros {
    Micros::parse(&f.last_seen).unwrap_or_default()
}

/// `HH:MM:SS` of a time (UTC).
pub fn clock(t: Micros) -> String {
    let s = t.rfc3339();
    s.get(11..19).unwrap_or(&s).to_owned()
}

/// The keys one finding carries.
fn keys_of(
    i: usize,
    f: &Finding,
    found: &[Found],
    ctx: &Context,
) -> Vec<((KeyKind, String), Entry)> {
    let id = identity_of(f);
    let first = f.first_seen_micros();
    let entry = |role, time, what: String, name| Entry {
        finding: i,
        role,
        time,
        what,
        name,
        whole_finding: false,
    };
    // A key of the whole finding, timed by its first event.
    let whole = |role, what: String, name| Entry {
        whole_finding: true,
        ..entry(role, first, what, name)
    };
    // When each address was first used in the finding (its events' own times); an address
    // whose events were not read keeps the finding's first event.
    let mut first_from: HashMap<&str, Micros> = HashMap::new();
    for c in found {
        if let Clue::Source(ip) = &c.clue {
            let t = first_from.entry(ip.as_str()).or_insert(c.time);
            *t = (*t).min(c.time);
        }
    }
    let from_ip = |ip: &str, role, what: String, name| match first_from.get(ip) {
        Some(&t) => entry(role, t, what, name),
        None => whole(role, what, name),
    };
    let mut out = Vec::new();
    if !is_controller(id) {
        out.push((
            (KeyKind::Identity, id.to_owned()),
            whole(Role::Use, format!("acted ({})", f.rule_id), "identity"),
        ));
        for ip in &f.source_ips {
            out.push((
                (KeyKind::Actor, format!("{id}@{ip}")),
                from_ip(ip, Role::Both, format!("from {ip}"), "same-actor"),
            ));
            let shared = ctx.address_identities.get(ip).copied().unwrap_or(1);
            if shared <= MAX_IDENTITIES_PER_ADDRESS {
                out.push((
                    (KeyKind::Address, ip.clone()),
                    from_ip(
                        ip,
                        Role::Both,
                        format!("came from {ip} (in {})", f.rule_id),
                        "shared-address",
                    ),
                ));
            }
            if let Some(node) = ctx.node_addresses.get(ip) {
                out.push((
                    (KeyKind::Node, node.clone()),
                    from_ip(
                        ip,
                        Role::Use,
                        format!(
                            "came from {ip} (in {}), an address {node}'s credential used",
                            f.rule_id
                        ),
                        "node-credential",
                    ),
                ));
            }
        }
    }
    for c in found {
        if let Some((kind, value, role, name)) = key_of_clue(&c.clue) {
            out.push(((kind, value), entry(role, c.time, c.what.clone(), name)));
        }
        if let Clue::ControllerPod(pod) = &c.clue {
            for w in owners(pod) {
                out.push((
                    (KeyKind::Workload, w),
                    entry(Role::Use, c.time, c.what.clone(), "workload"),
                ));
            }
        }
    }
    out
}

fn key_of_clue(c: &Clue) -> Option<(KeyKind, String, Role, &'static str)> {
    Some(match c {
        Clue::ExecInto(p) | Clue::TokenRead(p) => {
            (KeyKind::Pod, p.clone(), Role::Provide, "pod-token")
        }
        Clue::CredentialPod(p) => (KeyKind::Pod, p.clone(), Role::Use, "pod-token"),
        Clue::CredentialNode(n) => (KeyKind::Node, n.clone(), Role::Use, "node-credential"),
        Clue::NodeFoothold(n) => (KeyKind::Node, n.clone(), Role::Provide, "node-credential"),
        Clue::Minted(id) => (KeyKind::Identity, id.clone(), Role::Provide, "minted-token"),
        Clue::Impersonated(id) => (
            KeyKind::Identity,
            id.clone(),
            Role::Provide,
            "impersonation",
        ),
        Clue::BindingSubject(id) => (
            KeyKind::Identity,
            id.clone(),
            Role::Provide,
            "binding-subject",
        ),
        Clue::NamedAddress(ip) => (KeyKind::Address, ip.clone(), Role::Both, "named-address"),
        Clue::Workload(w) => (KeyKind::Workload, w.clone(), Role::Provide, "workload"),
        Clue::ControllerPod(_) | Clue::Source(_) => return None,
    })
}

/// The workloads a controller's pod may belong to: `ns/app-7d9f-x2k4` → itself (a name
/// from `generateName`), `ns/app-7d9f`, `ns/app` (a `ReplicaSet`'s or `Job`'s hash, then the
/// pod's own suffix).
fn owners(pod: &str) -> Vec<String> {
    let mut out = vec![pod.to_owned()];
    let mut name = pod;
    for _ in 0..2 {
        match name.rsplit_once('-') {
            Some((head, _)) if head.contains('/') && !head.ends_with('/') => {
                out.push(head.to_owned());
                name = head;
            }
            _ => break,
        }
    }
    out
}

/// Disjoint sets of findings.
pub(super) struct UnionFind(Vec<usize>);

impl UnionFind {
    pub(super) fn new(n: usize) -> UnionFind {
        UnionFind((0..n).collect())
    }

    pub(super) fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    pub(super) fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

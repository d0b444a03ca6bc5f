//! Detections that follow objects and identities through time, or check the analyst's
//! lists: requests from listed bad addresses, images outside the allow list, containers added
//! to an existing workload by something other than a controller (sidecar injection), a
//! service account minting a token for itself, and an RBAC change followed by a workload
//! deployed by the same identity. State per workload object (its container names) and per
//! identity (its last RBAC change); rows are cloned only for candidates.

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::row::{Actor, EMPTY, Ip, Row, Sym, Vocab};
use super::{CREATED_WORKLOADS, Hits, display_family};
use crate::detect::DetectOptions;
use crate::detect::finding::Severity;
use crate::model::Micros;
use crate::model::useragent;
use crate::query::glob::Glob;

pub const BAD_ADDRESS: &str = "KS-BAD-ADDRESS";
pub const IMAGE_NOT_ALLOWED: &str = "KS-IMAGE-NOT-ALLOWED";
pub const SIDECAR: &str = "KS-SIDECAR-INJECTED";
pub const TOKEN_SELF: &str = "KS-TOKEN-SELF-MINTED";
pub const RBAC_THEN_WORKLOAD: &str = "KS-RBAC-THEN-WORKLOAD";

/// How long after an RBAC change a workload by the same identity is linked to it.
const SEQUENCE_WINDOW: i64 = 30 * Micros::MINUTE;

const RBAC: &[&str] = &[
    "roles",
    "clusterroles",
    "rolebindings",
    "clusterrolebindings",
];

/// Workload kinds whose containers can change after creation (pods' cannot).
const TEMPLATES: &[&str] = &[
    "deployments",
    "daemonsets",
    "statefulsets",
    "replicasets",
    "replicationcontrollers",
    "jobs",
    "cronjobs",
    "podtemplates",
];

/// Bad addresses as sorted, merged ranges of 128-bit addresses (IPv4 mapped).
struct Ranges(Vec<(u128, u128)>);

impl Ranges {
    fn new(nets: &[ipnet::IpNet]) -> Ranges {
        let mut r: Vec<(u128, u128)> = nets
            .iter()
            .map(|n| {
                let lo = Ip::parse(&n.network().to_string()).0;
                let hi = Ip::parse(&n.broadcast().to_string()).0;
                (lo, hi)
            })
            .collect();
        r.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(r.len());
        for (lo, hi) in r {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        Ranges(merged)
    }

    fn contains(&self, ip: Ip) -> bool {
        if ip.is_none() {
            return false;
        }
        let i = self.0.partition_point(|(lo, _)| *lo <= ip.0);
        i > 0 && self.0.get(i - 1).is_some_and(|(_, hi)| ip.0 <= *hi)
    }
}

pub struct Sequences {
    bad: Ranges,
    allow: Vec<Glob>,
    /// image fact → allowed?
    allowed_images: FxHashMap<Sym, bool>,
    /// (resource, namespace, name) of a workload → its container names.
    containers: FxHashMap<(Sym, Sym, Sym), FxHashSet<Sym>>,
    /// identity → its last RBAC change.
    rbac: FxHashMap<Sym, Row>,
    workload_kinds: Vec<Sym>,
    template_kinds: Vec<Sym>,
    rbac_kinds: Vec<Sym>,
    writes: Vec<Sym>,
}

fn syms(v: &Vocab, words: &[&str]) -> Vec<Sym> {
    words.iter().filter_map(|w| v.strings.get(w)).collect()
}

impl Sequences {
    pub fn new(v: &Vocab, opts: &DetectOptions) -> Sequences {
        Sequences {
            bad: Ranges::new(&opts.bad_addresses),
            allow: opts.image_allow.clone(),
            allowed_images: FxHashMap::default(),
            containers: FxHashMap::default(),
            rbac: FxHashMap::default(),
            workload_kinds: syms(v, CREATED_WORKLOADS),
            template_kinds: syms(v, TEMPLATES),
            rbac_kinds: syms(v, RBAC),
            writes: syms(v, &["create", "update", "patch"]),
        }
    }

    pub fn observe(&mut self, v: &Vocab, r: &Row, out: &mut Hits<'_>) {
        if self.bad.contains(r.peer) {
            bad_address(v, r, out);
        }
        if r.subresource != EMPTY || !self.writes.contains(&r.verb) || !v.succeeded(r) {
            return;
        }
        let by_controller = v.is_controller(r) || matches!(r.actor, Actor::Node);
        if self.workload_kinds.contains(&r.resource) || self.template_kinds.contains(&r.resource) {
            if !self.allow.is_empty() && !by_controller {
                self.images(v, r, out);
            }
            if self.template_kinds.contains(&r.resource) {
                self.sidecar(v, r, by_controller, out);
            }
            if r.verb == v.k.create && !by_controller {
                self.after_rbac(v, r, out);
            }
        } else if self.rbac_kinds.contains(&r.resource)
            && !by_controller
            && r.actor != Actor::Anonymous
        {
            self.rbac.insert(r.user, r.clone());
        }
    }

    /// Images of a workload write outside the allow list.
    fn images(&mut self, v: &Vocab, r: &Row, out: &mut Hits<'_>) {
        let mut outside = Vec::new();
        for &f in &r.facts {
            let allowed = *self.allowed_images.entry(f).or_insert_with(|| {
                v.s(f)
                    .strip_prefix("image:")
                    .is_none_or(|img| self.allow.iter().any(|g| g.is_match(img)))
            });
            if !allowed {
                outside.push(v.s(f).trim_start_matches("image:"));
            }
        }
        if !outside.is_empty() {
            let sev = if hand_driven(v, r) {
                Severity::High
            } else {
                Severity::Medium
            };
            let note = format!("not in the image allow list: {}", outside.join(", "));
            out.add(IMAGE_NOT_ALLOWED, r, sev, r.user, Some(note));
        }
    }

    /// Containers added to an existing workload by something other than a controller.
    fn sidecar(&mut self, v: &Vocab, r: &Row, by_controller: bool, out: &mut Hits<'_>) {
        let key = (r.resource, r.namespace, r.name);
        let mut named = Vec::new();
        let mut added = Vec::new();
        for &f in &r.facts {
            let s = v.s(f);
            if let Some(n) = s.strip_prefix("container:") {
                named.push((f, n));
            } else if let Some(n) = s.strip_prefix("container-added:") {
                added.push(n.to_owned());
            }
        }
        if named.is_empty() && added.is_empty() {
            return;
        }
        let known = self.containers.entry(key).or_default();
        if r.verb != v.k.create {
            let existed = !known.is_empty();
            for (f, n) in &named {
                if existed && !known.contains(f) {
                    added.push((*n).to_owned());
                }
            }
        }
        if r.verb == v.k.create || v.s(r.verb) == "update" {
            known.clear();
        }
        known.extend(named.iter().map(|(f, _)| *f));
        if added.is_empty() || by_controller {
            return;
        }
        // Operators and GitOps reconcile templates with their own deployed client.
        let sev = if hand_driven(v, r) {
            Severity::High
        } else if r.actor == Actor::ServiceAccount && !kubectl_on_workload(v, r) {
            Severity::Low
        } else {
            Severity::Medium
        };
        let note = format!(
            "container(s) {} added to {} {}/{} with `{}`",
            added.join(", "),
            v.s(r.resource),
            v.s(r.namespace),
            v.s(r.name),
            display_family(v.s(r.ua_family))
        );
        out.add(SIDECAR, r, sev, r.user, Some(note));
    }

    /// A workload created by an identity that changed RBAC within the window before.
    fn after_rbac(&self, v: &Vocab, r: &Row, out: &mut Hits<'_>) {
        let Some(change) = self.rbac.get(&r.user) else {
            return;
        };
        let gap = r.time - change.time;
        // The same client on the same machine: a credential shared by a pipeline and an
        // intruder must not link the intruder's grant to the pipeline's rollout.
        let same_client = change.peer == r.peer && change.ua_family == r.ua_family;
        if !(0..=SEQUENCE_WINDOW).contains(&gap) || !same_client {
            return;
        }
        let sev = if hand_driven(v, r) || hand_driven(v, change) {
            Severity::High
        } else if runs_as_bound_account(v, change, r) && grants_much(v, change) {
            Severity::Medium
        } else {
            Severity::Low
        };
        let note = format!(
            "{} {} {} then {} {} {}/{} {} later",
            v.s(change.verb),
            v.s(change.resource),
            v.s(change.name),
            v.s(r.verb),
            v.s(r.resource),
            v.s(r.namespace),
            v.s(r.name),
            crate::model::time::format_duration(gap)
        );
        out.add(RBAC_THEN_WORKLOAD, change, sev, r.user, Some(note.clone()));
        out.add(RBAC_THEN_WORKLOAD, r, sev, r.user, Some(note));
    }
}

/// The RBAC change binds an admin-level role or writes wildcards.
fn grants_much(v: &Vocab, change: &Row) -> bool {
    change.facts.iter().map(|f| v.s(*f)).any(|f| {
        matches!(
            f,
            "role-ref:cluster-admin" | "role-ref:admin" | "role-ref:edit"
        ) || f.starts_with("rbac-wildcard:")
    })
}

/// The workload runs as a service account the RBAC change bound.
fn runs_as_bound_account(v: &Vocab, change: &Row, w: &Row) -> bool {
    let ns = v.s(w.namespace);
    w.facts
        .iter()
        .filter_map(|f| v.s(*f).strip_prefix("pod-sa:"))
        .any(|sa| {
            let subject = format!("subject:ServiceAccount:{ns}:{sa}");
            change.facts.iter().any(|f| v.s(*f) == subject)
        })
}

/// A hand-driven client on a workload credential: a generic HTTP client or none (curl,
/// python…), or the internet. kubectl is what CI pipelines drive with service-account tokens,
/// so it is [`kubectl_on_workload`], a step below.
fn hand_driven(v: &Vocab, r: &Row) -> bool {
    let fam = v.s(r.ua_family);
    r.peer.is_public()
        || matches!(r.actor, Actor::Anonymous | Actor::Unknown)
        || (matches!(r.actor, Actor::ServiceAccount | Actor::Node)
            && (fam.is_empty() || (useragent::is_tool(fam) && fam != "kubectl")))
}

fn kubectl_on_workload(v: &Vocab, r: &Row) -> bool {
    matches!(r.actor, Actor::ServiceAccount | Actor::Node) && v.s(r.ua_family) == "kubectl"
}

fn bad_address(v: &Vocab, r: &Row, out: &mut Hits<'_>) {
    let sev = if v.allowed(r) || v.succeeded(r) {
        Severity::High
    } else {
        Severity::Medium
    };
    let note = format!("{} is on the bad-address list", r.peer);
    out.add(BAD_ADDRESS, r, sev, r.peer, Some(note));
}

/// A service account minting a token for itself (`kubectl create token` with its own
/// token): a fresh credential that outlives the stolen one. Its own deployed client asking
/// for an audience-scoped token (Vault, a cloud identity) is routine and not reported.
pub fn token_self(v: &Vocab, r: &Row, out: &mut Hits<'_>) {
    let fam = v.s(r.ua_family);
    let has = |p: &str| r.facts.iter().any(|f| v.s(*f).starts_with(p));
    let deployed = !fam.is_empty() && !useragent::is_tool(fam);
    if deployed && has("token-audience") && !has("token-long-lived:") && !r.peer.is_public() {
        return;
    }
    let sev = if r.peer.is_public() {
        Severity::High
    } else if !deployed || has("token-long-lived:") {
        Severity::Medium
    } else {
        Severity::Low
    };
    let note = format!(
        "{} minted a token for itself with `{}`",
        v.s(r.user),
        display_family(fam)
    );
    out.add(TOKEN_SELF, r, sev, r.user, Some(note));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_address_ranges_hold_single_addresses_and_networks() {
        let nets: Vec<ipnet::IpNet> = ["198.51.100.7/32", "203.0.113.0/24", "2001:db8::/64"]
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        let r = Ranges::new(&nets);
        assert!(r.contains(Ip::parse("198.51.100.7")));
        assert!(!r.contains(Ip::parse("198.51.100.8")));
        assert!(r.contains(Ip::parse("203.0.113.200")));
        assert!(r.contains(Ip::parse("2001:db8::42")));
        assert!(!r.contains(Ip::parse("10.0.0.1")));
        assert!(!r.contains(Ip(0)));
    }
}

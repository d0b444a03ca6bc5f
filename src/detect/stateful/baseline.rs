//! Per-account baselines: what an account did before, and what it does now for the first
//! time — a new client, a new operation, a new address, a secret never read, a first exec.
//! "New" counts only once the history has settled (enough events over enough time).

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::row::{Actor, EMPTY, Ip, Row, Sym, Vocab};
use super::{
    FIRST_EXEC, Hits, NEW_ACTIVITY, NEW_ADDRESS, NEW_UA, PERSON_NEW_ORIGIN, SECRET_FIRST_READ,
    State, TOKEN_OUTSIDE_POD, display_family,
};
use crate::detect::finding::Severity;
use crate::model::time::format_duration;
use crate::model::useragent;

/// What one account did so far.
#[derive(Default)]
pub struct Account {
    first: i64,
    count: u32,
    families: FxHashMap<Sym, u32>,
    agents: FxHashSet<Sym>,
    ops: FxHashSet<(Sym, Sym, Sym)>,
    ips: FxHashSet<Ip>,
    subnets: FxHashSet<u128>,
    secrets: FxHashSet<(Sym, Sym)>,
    /// Helm releases whose state secrets the account read (`sh.helm.release.v1.NAME`).
    releases: FxHashSet<(Sym, Box<str>)>,
    exec_seen: bool,
    /// Values first seen after the history settled: value → time of its last use.
    novel_family: FxHashMap<Sym, i64>,
    novel_agent: FxHashMap<Sym, i64>,
    novel_ip: FxHashMap<Ip, i64>,
}

impl Account {
    /// True once the history holds enough events over enough time for anything to be new.
    pub fn settled(&self, now: i64, opts: &crate::detect::DetectOptions) -> bool {
        self.count >= opts.min_history_events && now - self.first >= opts.min_history_span
    }

    pub fn history(&self, now: i64) -> String {
        format!(
            "{} over {}",
            crate::model::plural(self.count, "request"),
            format_duration(now - self.first)
        )
    }

    fn family_summary(&self, v: &Vocab) -> String {
        let mut fams: Vec<(&Sym, &u32)> = self.families.iter().collect();
        fams.sort_by(|x, y| y.1.cmp(x.1).then_with(|| v.s(*x.0).cmp(v.s(*y.0))));
        let list: Vec<String> = fams
            .iter()
            .take(3)
            .map(|(f, n)| format!("`{}` ×{n}", display_family(v.s(**f))))
            .collect();
        list.join(", ")
    }
}

/// The first `n` values of a set, sorted (evidence must not depend on hash order).
fn first_sorted<T: ToString>(set: impl Iterator<Item = T>, n: usize) -> Vec<String> {
    let mut v: Vec<String> = set.map(|s| s.to_string()).collect();
    v.sort_unstable();
    v.truncate(n);
    v
}

/// Operations worth more attention when new for a workload identity.
fn sensitive_op(v: &Vocab, r: &Row) -> Option<Severity> {
    let (verb, res, sub) = (v.s(r.verb), v.s(r.resource), v.s(r.subresource));
    let write = matches!(
        verb,
        "create" | "update" | "patch" | "delete" | "deletecollection"
    );
    #[expect(
        clippy::match_same_arms,
        reason = "a table of operations, one kind per row, kept apart for reading"
    )]
    let sev = match (res, sub) {
        // A deployed client writing secrets (cert-manager renewing a certificate) is its
        // job; KS-SECRET-WRITE-UNUSUAL reports the first write.
        ("secrets", _) if write && !useragent::is_tool(v.s(r.ua_family)) => Severity::Low,
        ("secrets", _) => Severity::High,
        ("pods", "exec" | "attach" | "portforward" | "ephemeralcontainers") => Severity::High,
        // Kubelets rotate their client and serving certificates through CSRs (hourly on
        // short-lived clusters); KS-CSR-* report the signers and approvals that matter.
        ("certificatesigningrequests", "") if r.actor == Actor::Node => Severity::Low,
        ("serviceaccounts", "token") | ("certificatesigningrequests", _) | ("nodes", "proxy") => {
            Severity::High
        }
        ("selfsubjectrulesreviews" | "selfsubjectaccessreviews" | "selfsubjectreviews", _) => {
            Severity::Medium
        }
        ("roles" | "clusterroles" | "rolebindings" | "clusterrolebindings", _) if write => {
            Severity::High
        }
        ("pods" | "deployments" | "daemonsets" | "cronjobs" | "jobs" | "statefulsets", "")
            if verb == "create" =>
        {
            Severity::High
        }
        // Autoscalers and node lifecycle operators taint, label and remove nodes as routine
        // (KS-DELETE-UNUSUAL reports a first node deletion).
        ("nodes", "") if matches!(verb, "update" | "patch" | "delete") => Severity::Low,
        ("mutatingwebhookconfigurations" | "validatingwebhookconfigurations", _) if write => {
            Severity::High
        }
        _ if write => Severity::Medium,
        _ => return None,
    };
    Some(sev)
}

/// Updates the account of a row and reports what is new for it.
pub fn observe(state: &mut State<'_>, r: &Row, out: &mut Hits<'_>) {
    if r.actor == Actor::Anonymous || r.user == EMPTY {
        return;
    }
    let v = state.vocab;
    let a = state.accounts.entry(r.user).or_insert_with(|| Account {
        first: r.time,
        ..Account::default()
    });
    let settled = a.settled(r.time, &state.opts);
    // Whether the account used this client from this address before (read before the
    // baselines below learn them from this very request).
    let usual = a.families.contains_key(&r.ua_family) && a.ips.contains(&r.peer);
    let workload = matches!(r.actor, Actor::ServiceAccount | Actor::Node);
    if workload {
        workload_baseline(v, &state.context, a, r, settled, out);
    } else if r.actor == Actor::Human {
        person_baseline(v, &state.context, a, r, settled, out);
    }
    first_secret_read(v, a, r, settled, usual, out);
    // 12: first exec by the identity (that ran).
    if r.resource == v.k.pods
        && (r.subresource == v.k.exec || r.subresource == v.k.attach)
        && !a.exec_seen
        && v.succeeded(r)
    {
        a.exec_seen = true;
        let sev = if workload {
            Severity::Medium
        } else {
            Severity::Low
        };
        out.add(
            FIRST_EXEC,
            r,
            sev,
            r.user,
            Some(if a.count == 0 {
                "its first request in the data".to_owned()
            } else {
                format!("first exec after {}", a.history(r.time))
            }),
        );
    }
    a.count += 1;
}

/// 19: first read of a secret (workloads and people, not kubelets or controllers).
fn first_secret_read(
    v: &Vocab,
    a: &mut Account,
    r: &Row,
    settled: bool,
    usual: bool,
    out: &mut Hits<'_>,
) {
    if r.resource != v.k.secrets || r.verb != v.k.get || r.name == EMPTY || !v.allowed(r) {
        return;
    }
    let key = (r.namespace, r.name);
    // Helm keeps a release's state in one secret per revision (`….v5`, then `….v6`): a
    // deployer reading the next revision of a release it read before reads nothing new.
    let release = helm_release(v.s(r.name)).map(|rel| (r.namespace, Box::<str>::from(rel)));
    let known_release = release.as_ref().is_some_and(|k| a.releases.contains(k));
    if settled
        && !v.is_controller(r)
        && r.actor != Actor::Node
        && !a.secrets.contains(&key)
        && !known_release
    {
        let family = v.s(r.ua_family);
        let tool = useragent::is_tool(family);
        let sev = match (r.actor, tool) {
            // People read secrets with kubectl (a tool only in a workload's hands); curl or
            // a script on a person's credential is KS-PERSON-RAW-API-CLIENT's too.
            (Actor::Human, true) if family == "kubectl" && !is_system_namespace(v, r) => {
                Severity::Low
            }
            // A person's first read of a system namespace's secrets (tokens, cloud keys).
            (Actor::Human, false) if is_system_namespace(v, r) => Severity::Medium,
            (Actor::Human, false) => Severity::Low,
            (Actor::Human, true) => Severity::Medium,
            (_, true) => Severity::High,
            // A service account's own deployed client, the one it always used, from an
            // address it used, reading a secret it had not read in the data (cert-manager
            // renewing a certificate every few weeks): its job, most likely. A stolen token
            // comes with another client or from another address (even with the same client:
            // the sample's worker token replayed from the web pod).
            _ if super::deployed_client(v, r) && usual => Severity::Low,
            _ => Severity::Medium,
        };
        let note = format!(
            "{}; {} secrets read before",
            a.history(r.time),
            a.secrets.len()
        );
        out.add(SECRET_FIRST_READ, r, sev, r.user, Some(note));
    }
    a.secrets.insert(key);
    if let Some(k) = release {
        a.releases.insert(k);
    }
}

/// The namespaces of the cluster's own components (and the managed offerings' add-ons).
fn is_system_namespace(v: &Vocab, r: &Row) -> bool {
    matches!(
        v.s(r.namespace),
        "kube-system" | "kube-public" | "kube-node-lease" | "gke-system" | "gke-managed-system"
    )
}

/// The release of a Helm state secret (`sh.helm.release.v1.shop.v5` → `shop`).
fn helm_release(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("sh.helm.release.v1.")?;
    let (release, revision) = rest.rsplit_once(".v")?;
    (!release.is_empty() && !revision.is_empty() && revision.bytes().all(|b| b.is_ascii_digit()))
        .then_some(release)
}

const GAP: i64 = super::super::rules::DEFAULT_GAP;

fn workload_baseline(
    v: &Vocab,
    ctx: &super::context::Context,
    a: &mut Account,
    r: &Row,
    settled: bool,
    out: &mut Hits<'_>,
) {
    new_client(v, a, r, settled, out);
    // 6: a new (verb, resource, subresource).
    let op = (r.verb, r.resource, r.subresource);
    if settled && !v.is_controller(r) && !a.ops.contains(&op) && !kubelet_pod_routine(v, a, r) {
        let mut sev = sensitive_op(v, r).unwrap_or(Severity::Low);
        // A deployed client listing or watching every secret of the cluster, allowed, with
        // the client it always used (an exporter restarting starts an informer on every
        // kind): KS-SECRET-CLUSTER-WIDE-LIST judges those (critical unless an informer or a
        // schedule), not this rule again. A namespace's secrets, or a refused list, stay high.
        let family = v.s(r.ua_family);
        if r.resource == v.k.secrets
            && (r.verb == v.k.list || r.verb == v.k.watch)
            && r.namespace == EMPTY
            && v.allowed(r)
            && a.families.contains_key(&r.ua_family)
            && !family.is_empty()
            && !useragent::is_tool(family)
            && !r.peer.is_public()
        {
            sev = Severity::Low;
        }
        // A deployer (GitOps, CI, an operator) creating workloads with its own client from
        // a private address is doing its job: KS-NODE-POD-FROM-POD-IP and the workload rules
        // judge what it created.
        if super::deployed_client(v, r)
            && super::is_deployer(v.s(r.ua_family))
            && a.families.contains_key(&r.ua_family)
        {
            sev = sev.min(Severity::Low);
        }
        // Deleting the kind of object it created earlier in the data (a CI pipeline's preview
        // namespace, a job runner's pods) is the account cleaning up after itself.
        if r.verb == v.k.delete && a.ops.contains(&(v.k.create, r.resource, r.subresource)) {
            sev = sev.min(Severity::Low);
        }
        let note = format!(
            "{} with {} distinct operations; first `{}`",
            a.history(r.time),
            a.ops.len(),
            super::super::hit::action(v, r)
        );
        out.add(NEW_ACTIVITY, r, sev, r.user, Some(note));
    }
    new_address(ctx, a, r, settled, out);
    // 9: a pod-bound token used away from its pod.
    if r.pod != EMPTY
        && !r.peer.is_none()
        && let Some(ns) = v.s(r.sa).split(':').next()
        && let Some(ns_sym) = v.strings.get(ns)
        && let Some(pod_ips) = ctx.ips_of(ns_sym, r.pod)
        && !pod_ips.contains(&r.peer)
        && !ctx.is_host_ip(r.peer)
    {
        let ips: Vec<String> = pod_ips.iter().map(ToString::to_string).collect();
        let note = format!(
            "token bound to pod {ns}/{} ({}) used from {}",
            v.s(r.pod),
            ips.join(", "),
            r.peer
        );
        out.add(TOKEN_OUTSIDE_POD, r, Severity::High, r.user, Some(note));
    }
    a.families
        .entry(r.ua_family)
        .and_modify(|n| *n += 1)
        .or_insert(1);
    a.agents.insert(r.ua);
    a.ops.insert(op);
    if !r.peer.is_none() {
        a.ips.insert(r.peer);
        a.subnets.insert(r.peer.subnet());
    }
}

/// A kubelet, from an address and with the client it has used before, reading what a pod
/// newly placed on its node needs (its configmaps — `kube-root-ca.crt` in every pod — the
/// secrets it mounts by name, claims, services) or requesting its projected token: every new
/// pod on a node does this first, so it is no new activity. A stolen node credential used
/// from elsewhere or with another client is still reported, as are lists of secrets.
fn kubelet_pod_routine(v: &Vocab, a: &Account, r: &Row) -> bool {
    if r.actor != Actor::Node
        || !v.s(r.ua_family).eq_ignore_ascii_case("kubelet")
        || !a.ips.contains(&r.peer)
        || !a.families.contains_key(&r.ua_family)
    {
        return false;
    }
    let (verb, res, sub) = (v.s(r.verb), v.s(r.resource), v.s(r.subresource));
    let read = matches!(verb, "get" | "list" | "watch");
    match (res, sub) {
        (
            "configmaps"
            | "services"
            | "endpoints"
            | "endpointslices"
            | "persistentvolumeclaims"
            | "persistentvolumes"
            | "csinodes"
            | "csidrivers"
            | "runtimeclasses",
            "",
        ) => read,
        ("secrets", "") => matches!(verb, "get" | "watch") && r.name != EMPTY,
        ("serviceaccounts", "token") => verb == "create",
        _ => false,
    }
}

/// 5: a new client family (and, weaker, another version of a hand-driven client: a stolen
/// token used with another machine's kubectl; deployed clients change versions with every
/// rollout and are not reported).
fn new_client(v: &Vocab, a: &mut Account, r: &Row, settled: bool, out: &mut Hits<'_>) {
    let fam = r.ua_family;
    let tool = useragent::is_tool(v.s(fam));
    if !a.families.contains_key(&fam) && settled && !a.novel_family.contains_key(&fam) {
        a.novel_family.insert(fam, r.time);
        let sev = if tool {
            Severity::High
        } else {
            Severity::Medium
        };
        let note = format!(
            "{}, always {}; now `{}`",
            a.history(r.time),
            a.family_summary(v),
            display_family(v.s(fam))
        );
        out.add(NEW_UA, r, sev, r.user, Some(note));
    } else if let Some(last) = a.novel_family.get_mut(&fam)
        && r.time - *last <= GAP
    {
        *last = r.time;
        out.add(
            NEW_UA,
            r,
            if tool {
                Severity::High
            } else {
                Severity::Medium
            },
            r.user,
            None,
        );
    }
    if a.families.contains_key(&fam)
        && tool
        && !a.agents.contains(&r.ua)
        && settled
        && !a.novel_agent.contains_key(&r.ua)
    {
        a.novel_agent.insert(r.ua, r.time);
        let seen = first_sorted(a.agents.iter().map(|s| v.s(*s)), 3);
        let note = format!(
            "{}, with `{}`; now `{}`",
            a.history(r.time),
            seen.join("`, `"),
            v.s(r.ua)
        );
        out.add(NEW_UA, r, Severity::Low, r.user, Some(note));
    } else if let Some(last) = a.novel_agent.get_mut(&r.ua)
        && r.time - *last <= GAP
    {
        *last = r.time;
        out.add(NEW_UA, r, Severity::Low, r.user, None);
    }
}

/// 9: a source address outside the account's history, its networks, the pods and the nodes.
fn new_address(
    ctx: &super::context::Context,
    a: &mut Account,
    r: &Row,
    settled: bool,
    out: &mut Hits<'_>,
) {
    if r.peer.is_none() || a.ips.contains(&r.peer) {
        return;
    }
    let public = r.peer.is_public();
    let sev = if public {
        Severity::High
    } else {
        Severity::Medium
    };
    let known_net =
        ctx.is_pod_ip(r.peer) || ctx.is_host_ip(r.peer) || a.subnets.contains(&r.peer.subnet());
    if settled && (public || !known_net) && !a.novel_ip.contains_key(&r.peer) {
        a.novel_ip.insert(r.peer, r.time);
        let seen = first_sorted(a.ips.iter(), 3);
        let note = format!(
            "{}, from {}; now {}{}",
            a.history(r.time),
            seen.join(", "),
            r.peer,
            if public { " (internet)" } else { "" }
        );
        out.add(NEW_ADDRESS, r, sev, r.user, Some(note));
    } else if let Some(last) = a.novel_ip.get_mut(&r.peer)
        && r.time - *last <= GAP
    {
        *last = r.time;
        out.add(NEW_ADDRESS, r, sev, r.user, None);
    }
}

/// 9 (people): a person's credential used from a network the person never used. From the
/// pod network it was copied into the cluster; from a node, or from a new network with a
/// client family the person never used, someone else holds it; a new network alone is
/// travel or a new VPN exit.
fn person_baseline(
    v: &Vocab,
    ctx: &super::context::Context,
    a: &mut Account,
    r: &Row,
    settled: bool,
    out: &mut Hits<'_>,
) {
    if !r.peer.is_none() && !a.ips.contains(&r.peer) {
        let new_net = !a.subnets.contains(&r.peer.subnet());
        let (pod, host) = (ctx.is_pod_ip(r.peer), ctx.is_host_ip(r.peer));
        let new_client = !a.families.contains_key(&r.ua_family);
        // From a new place, a person's secrets, exec, RBAC writes, tokens or workloads are
        // what a stolen kubeconfig is used for: worth a look even with the usual client.
        let sensitive = sensitive_op(v, r) == Some(Severity::High);
        let sev = if pod {
            Severity::High
        } else if host || new_client || sensitive {
            Severity::Medium
        } else {
            Severity::Low
        };
        if settled && (new_net || pod) && !a.novel_ip.contains_key(&r.peer) {
            a.novel_ip.insert(r.peer, r.time);
            let seen = first_sorted(a.ips.iter(), 3);
            let place = if pod {
                " (a pod's address)"
            } else if host {
                " (a node's address)"
            } else if r.peer.is_public() {
                " (internet)"
            } else {
                ""
            };
            let note = format!(
                "{}, from {}; now {}{place}{}",
                a.history(r.time),
                seen.join(", "),
                r.peer,
                if new_client {
                    " with a client never used"
                } else {
                    ""
                }
            );
            out.add(PERSON_NEW_ORIGIN, r, sev, r.user, Some(note));
        } else if let Some(last) = a.novel_ip.get_mut(&r.peer)
            && r.time - *last <= GAP
        {
            *last = r.time;
            out.add(PERSON_NEW_ORIGIN, r, sev, r.user, None);
        }
    }
    if a.novel_ip.contains_key(&r.peer) {
        // Requests from the new place do not teach the history what is usual.
        return;
    }
    a.families
        .entry(r.ua_family)
        .and_modify(|n| *n += 1)
        .or_insert(1);
    if !r.peer.is_none() {
        a.ips.insert(r.peer);
        a.subnets.insert(r.peer.subnet());
    }
}

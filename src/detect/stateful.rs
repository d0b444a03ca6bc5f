//! Detections that need more than one event: per-account baselines (new user agent, new
//! activity, new source address, first secret read, first exec), bursts (anonymous
//! enumeration, denials, secret reads), routine-aware cluster-wide secret lists, pods created
//! from a pod's IP, and token requests for other identities.

use std::collections::{HashMap, HashSet};

use super::engine::{DetectOptions, Hit};
use super::finding::{Family, Severity};
use super::row::{Actor, EMPTY, Row, Rows, Sym};
use super::rules::Rule;
use crate::model::net::is_public;
use crate::model::time::format_duration;
use crate::model::useragent;

pub const NEW_UA: &str = "KS-SA-NEW-USER-AGENT";
pub const NEW_ACTIVITY: &str = "KS-SA-NEW-ACTIVITY";
pub const NEW_ADDRESS: &str = "KS-SA-NEW-SOURCE-IP";
pub const TOKEN_OUTSIDE_POD: &str = "KS-SA-TOKEN-OUTSIDE-POD";
pub const DENIED_BURST: &str = "KS-DENIED-BURST";
pub const ANON_ENUM: &str = "KS-ANON-ENUMERATION";
pub const FIRST_EXEC: &str = "KS-EXEC-FIRST-BY-ACCOUNT";
pub const SECRET_FIRST_READ: &str = "KS-SECRET-FIRST-READ";
pub const SECRET_BURST: &str = "KS-SECRET-READ-BURST";
pub const SECRET_CLUSTER_LIST: &str = "KS-SECRET-CLUSTER-WIDE-LIST";
pub const POD_FROM_POD_IP: &str = "KS-NODE-POD-FROM-POD-IP";
pub const TOKEN_REQUEST: &str = "KS-TOKEN-REQUEST-OTHER";

const LEAST_PRIVILEGE: &str = "Give every workload its own service account with least-privilege RBAC; use bound, short-lived tokens (the default since 1.24) and automountServiceAccountToken: false where pods do not call the API; alert when a workload identity changes behaviour.";

/// The metadata of the rules implemented here.
pub fn rules() -> Vec<Rule> {
    use Family::*;
    use Severity::*;
    vec![
        Rule::code(NEW_UA, &["5"], "Service-account or node credential used with a new client", ServiceAccountAnomaly, Medium, ("T1078.001", "Valid Accounts: Default Accounts"),
            "After a settled history with one set of user agents, the account's requests come from a client family it never used (a controller turning into curl, python or kubectl): its token is being used by someone else.", LEAST_PRIVILEGE),
        Rule::code(NEW_ACTIVITY, &["6"], "Service-account or node doing something it never did", ServiceAccountAnomaly, Low, ("T1078", "Valid Accounts"),
            "After a settled history, the account uses a (verb, resource, subresource) it never used before; sensitive ones (secrets, pod creation, exec, RBAC, tokens) rank higher.", LEAST_PRIVILEGE),
        Rule::code(NEW_ADDRESS, &["9"], "Service-account or node credential used from a new address", ServiceAccountAnomaly, Medium, ("T1078", "Valid Accounts"),
            "The account's requests come from an address outside its history, the cluster's pod addresses and its nodes; from the internet it is a stolen credential.", "Bind tokens to pods (projected service-account tokens) and restrict API-server access to known networks (authorized networks, private endpoint); rotate credentials that left the cluster."),
        Rule::code(TOKEN_OUTSIDE_POD, &["9"], "Pod-bound token used from another address than its pod", ServiceAccountAnomaly, High, ("T1528", "Steal Application Access Token"),
            "The token is bound to a pod (user.extra pod-name) whose address is known, but the request came from elsewhere: the token was copied out of the pod.", "Use bound tokens with short expiry; restrict API-server access to the cluster's networks; rotate the service account's tokens and investigate the pod they came from."),
        Rule::code(DENIED_BURST, &["8"], "Burst of denied requests by one identity", ServiceAccountAnomaly, Medium, ("T1613", "Container and Resource Discovery"),
            "Many requests of one identity were refused within minutes: someone probing what a credential may do.", LEAST_PRIVILEGE).keeping_denied(),
        Rule::code(ANON_ENUM, &["3"], "Unauthenticated enumeration from one address", AnonymousAccess, Medium, ("T1595", "Active Scanning"),
            "One address sent many unauthenticated requests to distinct paths within minutes, most of them refused: a scanner mapping the API server.", "Do not expose the API server to the internet (private endpoint, authorized networks); run it with --anonymous-auth=false.").keeping_denied(),
        Rule::code(FIRST_EXEC, &["12"], "First exec into a pod by this identity", RemoteExec, Low, ("T1609", "Container Administration Command"),
            "The identity opens an exec or attach session for the first time in the data.", "Grant pods/exec to break-glass roles only; review who holds it with kubectl auth can-i --list."),
        Rule::code(SECRET_FIRST_READ, &["19"], "Secret read for the first time by this account", SecretAccess, Medium, ("T1552.007", "Unsecured Credentials: Container API"),
            "After a settled history, the account reads a secret it never read before.", "Grant get on secrets by resourceNames only; enable encryption of secrets at rest; prefer external secret stores with per-workload access."),
        Rule::code(SECRET_BURST, &["20"], "Many distinct secrets read in minutes", SecretAccess, High, ("T1552.007", "Unsecured Credentials: Container API"),
            "One identity read many different secrets within minutes, unlike its routine.", "Grant get/list on secrets only where needed, by resourceNames; enable encryption at rest; alert on bulk reads."),
        Rule::code(SECRET_CLUSTER_LIST, &["18"], "Secrets listed across the whole cluster", SecretAccess, Critical, ("T1552.007", "Unsecured Credentials: Container API"),
            "Every secret of the cluster was read in one request (list or watch of /api/v1/secrets). Routine for a backup or certificate operator that does it on a schedule; anything else is a credential dump.", "Grant cluster-wide list/watch on secrets to nobody but the few operators that need it; enable encryption of secrets at rest."),
        Rule::code(POD_FROM_POD_IP, &["16"], "Workload created from inside a pod", NodeCompromise, High, ("T1610", "Deploy Container"),
            "The request creating a pod or workload came from a pod's own address (learned from pod status in the data, or --pod-cidr) and not from a controller: code running in a pod is deploying containers.", "Application service accounts need no create rights on pods or workloads; enforce Pod Security admission; restrict egress from pods to the API server."),
        Rule::code(TOKEN_REQUEST, &["24"], "Token requested for another identity", PrivilegeEscalation, High, ("T1528", "Steal Application Access Token"),
            "A service-account token was minted by someone other than the kubelet of the pod it is for: a way to become another service account.", "Grant create on serviceaccounts/token to nobody but the kubelets (Node authorizer); use short token lifetimes."),
    ]
}

/// What the whole data set teaches before any event is judged.
struct Learned<'a> {
    pod_ips: HashSet<&'a str>,
    host_ips: HashSet<&'a str>,
    /// (namespace, pod name) → every pod IP it had (a restarted pod keeps its name).
    pod_ip_of: HashMap<(Sym, Sym), Vec<&'a str>>,
    /// (namespace, pod name) → node it runs on.
    pod_node: HashMap<(Sym, &'a str), &'a str>,
    pod_cidrs: Vec<ipnet::IpNet>,
}

fn learn<'a>(rows: &'a Rows, opts: &DetectOptions) -> Learned<'a> {
    let mut l = Learned {
        pod_ips: HashSet::new(),
        host_ips: HashSet::new(),
        pod_ip_of: HashMap::new(),
        pod_node: HashMap::new(),
        pod_cidrs: opts.pod_cidrs.clone(),
    };
    for r in &rows.rows {
        if matches!(r.actor, Actor::Node | Actor::ControlPlane) && r.peer != EMPTY {
            l.host_ips.insert(rows.s(r.peer));
        }
        for f in rows.facts(r).iter().map(|f| rows.s(*f)) {
            if let Some(ip) = f.strip_prefix("podip:") {
                l.pod_ips.insert(ip);
                if rows.s(r.resource) == "pods" {
                    let ips = l.pod_ip_of.entry((r.namespace, r.name)).or_default();
                    if !ips.contains(&ip) {
                        ips.push(ip);
                    }
                }
            } else if let Some(ip) = f.strip_prefix("hostip:") {
                l.host_ips.insert(ip);
            } else if let Some(node) = f.strip_prefix("on-node:")
                && rows.s(r.resource) == "pods"
            {
                l.pod_node.insert((r.namespace, rows.s(r.name)), node);
            }
        }
    }
    l
}

impl Learned<'_> {
    fn is_pod_ip(&self, ip: &str) -> bool {
        if self.host_ips.contains(ip) {
            return false;
        }
        self.pod_ips.contains(ip)
            || ip
                .parse::<std::net::IpAddr>()
                .is_ok_and(|a| self.pod_cidrs.iter().any(|n| n.contains(&a)))
    }
}

/// Runs every stateful detector.
pub fn run(
    rows: &Rows,
    opts: &DetectOptions,
    index_of: &dyn Fn(&str) -> Option<usize>,
) -> Vec<Hit> {
    let learned = learn(rows, opts);
    let mut out = Hits {
        hits: Vec::new(),
        index_of,
    };
    baselines(rows, opts, &learned, &mut out);
    bursts(rows, opts, &mut out);
    cluster_wide_secret_lists(rows, &mut out);
    pods_from_pod_ips(rows, &learned, &mut out);
    token_requests(rows, &learned, &mut out);
    out.hits
}

struct Hits<'f> {
    hits: Vec<Hit>,
    index_of: &'f dyn Fn(&str) -> Option<usize>,
}

impl Hits<'_> {
    /// Marks the last hit as part of a routine: grouped apart, over a day.
    fn routine(&mut self) {
        if let Some(h) = self.hits.last_mut() {
            h.variant = 1;
            h.gap = Some(24 * crate::model::Micros::HOUR);
        }
    }

    fn add(
        &mut self,
        rule: &str,
        row: usize,
        severity: Severity,
        group: Sym,
        note: Option<String>,
    ) {
        if let Some(rule) = (self.index_of)(rule) {
            self.hits.push(Hit {
                rule,
                row,
                severity,
                group,
                note,
                variant: 0,
                gap: None,
            });
        }
    }
}

fn is_controller(rows: &Rows, r: &Row) -> bool {
    rows.is_controller(r)
}

/// Per-account history.
#[derive(Default)]
struct Account {
    first: i64,
    count: u32,
    families: HashMap<Sym, u32>,
    agents: HashSet<Sym>,
    ops: HashSet<(Sym, Sym, Sym)>,
    ips: HashSet<Sym>,
    subnets: HashSet<String>,
    secrets: HashSet<(Sym, Sym)>,
    exec_seen: bool,
    /// Values first seen after the history settled: value → time of its last use.
    novel_family: HashMap<Sym, i64>,
    novel_agent: HashMap<Sym, i64>,
    novel_ip: HashMap<Sym, i64>,
}

impl Account {
    fn settled(&self, now: i64, opts: &DetectOptions) -> bool {
        self.count >= opts.min_history_events && now - self.first >= opts.min_history_span
    }

    fn history(&self, now: i64) -> String {
        format!(
            "{} requests over {}",
            self.count,
            format_duration(now - self.first)
        )
    }
}

fn subnet16(ip: &str) -> String {
    let parts: Vec<&str> = ip.split('.').collect();
    if parts.len() == 4 {
        format!("{}.{}", parts[0], parts[1])
    } else {
        ip.split(':').take(4).collect::<Vec<_>>().join(":")
    }
}

/// Operations worth more attention when new for a workload identity.
fn sensitive_op(rows: &Rows, r: &Row) -> Option<Severity> {
    let (verb, res, sub) = (rows.s(r.verb), rows.s(r.resource), rows.s(r.subresource));
    let write = matches!(
        verb,
        "create" | "update" | "patch" | "delete" | "deletecollection"
    );
    let sev = match (res, sub) {
        ("secrets", _) => Severity::High,
        ("pods", "exec" | "attach" | "portforward" | "ephemeralcontainers") => Severity::High,
        ("serviceaccounts", "token") | ("certificatesigningrequests", _) | ("nodes", "proxy") => {
            Severity::High
        }
        ("selfsubjectrulesreviews" | "selfsubjectaccessreviews", _) => Severity::Medium,
        ("roles" | "clusterroles" | "rolebindings" | "clusterrolebindings", _) if write => {
            Severity::High
        }
        ("pods" | "deployments" | "daemonsets" | "cronjobs" | "jobs" | "statefulsets", "")
            if verb == "create" =>
        {
            Severity::High
        }
        ("mutatingwebhookconfigurations" | "validatingwebhookconfigurations", _) if write => {
            Severity::High
        }
        _ if write => Severity::Medium,
        _ => return None,
    };
    Some(sev)
}

fn family_summary(rows: &Rows, a: &Account) -> String {
    let mut fams: Vec<(&Sym, &u32)> = a.families.iter().collect();
    fams.sort_by(|x, y| y.1.cmp(x.1).then_with(|| rows.s(*x.0).cmp(rows.s(*y.0))));
    let list: Vec<String> = fams
        .iter()
        .take(3)
        .map(|(f, n)| format!("`{}` ×{n}", display_family(rows.s(**f))))
        .collect();
    list.join(", ")
}

/// The first `n` values of a set, sorted (evidence must not depend on hash order).
fn first_sorted<'a>(rows: &'a Rows, set: &HashSet<Sym>, n: usize) -> Vec<&'a str> {
    let mut v: Vec<&str> = set.iter().map(|s| rows.s(*s)).collect();
    v.sort_unstable();
    v.truncate(n);
    v
}

fn display_family(f: &str) -> &str {
    if f.is_empty() { "(no user agent)" } else { f }
}

fn baselines(rows: &Rows, opts: &DetectOptions, learned: &Learned<'_>, out: &mut Hits<'_>) {
    let mut accounts: HashMap<Sym, Account> = HashMap::new();
    let gap = super::rules::DEFAULT_GAP;
    for (i, r) in rows.rows.iter().enumerate() {
        if r.actor == Actor::Anonymous || r.user == EMPTY {
            continue;
        }
        let a = accounts.entry(r.user).or_insert_with(|| Account {
            first: r.time,
            ..Account::default()
        });
        let workload = matches!(r.actor, Actor::ServiceAccount | Actor::Node);
        let settled = a.settled(r.time, opts);
        let controller = is_controller(rows, r);
        if workload {
            workload_baseline(rows, opts, learned, out, a, i, r, settled, gap);
        }
        // 19: first read of a secret (workloads and people, not kubelets or controllers).
        if rows.s(r.resource) == "secrets"
            && rows.s(r.verb) == "get"
            && r.name != EMPTY
            && rows.allowed(r)
        {
            let key = (r.namespace, r.name);
            if settled && !controller && r.actor != Actor::Node && !a.secrets.contains(&key) {
                let tool = useragent::is_tool(rows.s(r.ua_family));
                let sev = match (r.actor, tool) {
                    (Actor::Human, false) => Severity::Low,
                    (_, true) => Severity::High,
                    _ => Severity::Medium,
                };
                let note = format!(
                    "{}; {} secrets read before",
                    a.history(r.time),
                    a.secrets.len()
                );
                out.add(SECRET_FIRST_READ, i, sev, r.user, Some(note));
            }
            a.secrets.insert(key);
        }
        // 12: first exec by the identity.
        if rows.s(r.resource) == "pods"
            && matches!(rows.s(r.subresource), "exec" | "attach")
            && !a.exec_seen
            && rows.succeeded(r)
        {
            a.exec_seen = true;
            let sev = if workload {
                Severity::Medium
            } else {
                Severity::Low
            };
            out.add(
                FIRST_EXEC,
                i,
                sev,
                r.user,
                Some(format!("first exec after {}", a.history(r.time))),
            );
        }
        a.count += 1;
    }
}

#[allow(clippy::too_many_arguments)]
fn workload_baseline(
    rows: &Rows,
    opts: &DetectOptions,
    learned: &Learned<'_>,
    out: &mut Hits<'_>,
    a: &mut Account,
    i: usize,
    r: &Row,
    settled: bool,
    gap: i64,
) {
    let _ = opts;
    let controller = is_controller(rows, r);
    // 5: a new client family.
    let fam = r.ua_family;
    if !a.families.contains_key(&fam) && settled && !a.novel_family.contains_key(&fam) {
        a.novel_family.insert(fam, r.time);
        let tool = useragent::is_tool(rows.s(fam));
        let sev = if tool {
            Severity::High
        } else {
            Severity::Medium
        };
        let note = format!(
            "{}, always {}; now `{}`",
            a.history(r.time),
            family_summary(rows, a),
            display_family(rows.s(fam))
        );
        out.add(NEW_UA, i, sev, r.user, Some(note));
    } else if let Some(last) = a.novel_family.get_mut(&fam)
        && r.time - *last <= gap
    {
        *last = r.time;
        let sev = if useragent::is_tool(rows.s(fam)) {
            Severity::High
        } else {
            Severity::Medium
        };
        out.add(NEW_UA, i, sev, r.user, None);
    }
    // 5, weaker: another version of a hand-driven client (a stolen token used with another
    // machine's kubectl). Deployed clients change versions with every rollout: not reported.
    if a.families.contains_key(&fam)
        && useragent::is_tool(rows.s(fam))
        && !a.agents.contains(&r.ua)
        && settled
        && !a.novel_agent.contains_key(&r.ua)
    {
        a.novel_agent.insert(r.ua, r.time);
        let seen = first_sorted(rows, &a.agents, 3);
        let note = format!(
            "{}, with `{}`; now `{}`",
            a.history(r.time),
            seen.join("`, `"),
            rows.s(r.ua)
        );
        out.add(NEW_UA, i, Severity::Low, r.user, Some(note));
    } else if let Some(last) = a.novel_agent.get_mut(&r.ua)
        && r.time - *last <= gap
    {
        *last = r.time;
        out.add(NEW_UA, i, Severity::Low, r.user, None);
    }
    // 6: a new (verb, resource, subresource).
    let op = (r.verb, r.resource, r.subresource);
    if settled && !controller && !a.ops.contains(&op) {
        let sev = sensitive_op(rows, r).unwrap_or(Severity::Low);
        let note = format!(
            "{} with {} distinct operations; first `{}`",
            a.history(r.time),
            a.ops.len(),
            super::engine::action(rows, r)
        );
        out.add(NEW_ACTIVITY, i, sev, r.user, Some(note));
    }
    // 9: a new source address.
    let peer = rows.s(r.peer);
    if r.peer != EMPTY && !a.ips.contains(&r.peer) {
        let public = is_public(peer);
        let known_net = learned.is_pod_ip(peer)
            || learned.host_ips.contains(peer)
            || a.subnets.contains(&subnet16(peer));
        if settled && (public || !known_net) && !a.novel_ip.contains_key(&r.peer) {
            a.novel_ip.insert(r.peer, r.time);
            let sev = if public {
                Severity::High
            } else {
                Severity::Medium
            };
            let seen = first_sorted(rows, &a.ips, 3);
            let note = format!(
                "{}, from {}; now {peer}{}",
                a.history(r.time),
                seen.join(", "),
                if public { " (internet)" } else { "" }
            );
            out.add(NEW_ADDRESS, i, sev, r.user, Some(note));
        } else if let Some(last) = a.novel_ip.get_mut(&r.peer)
            && r.time - *last <= gap
        {
            *last = r.time;
            out.add(
                NEW_ADDRESS,
                i,
                if public {
                    Severity::High
                } else {
                    Severity::Medium
                },
                r.user,
                None,
            );
        }
    }
    // 9: a pod-bound token used away from its pod.
    if r.pod != EMPTY
        && r.peer != EMPTY
        && let Some(ns) = rows.s(r.sa).split(':').next()
        && let Some(ns_sym) = rows.strings.get(ns)
        && let Some(pod_ips) = learned.pod_ip_of.get(&(ns_sym, r.pod))
        && !pod_ips.contains(&peer)
        && !learned.host_ips.contains(peer)
    {
        let note = format!(
            "token bound to pod {ns}/{} ({}) used from {peer}",
            rows.s(r.pod),
            pod_ips.join(", ")
        );
        out.add(TOKEN_OUTSIDE_POD, i, Severity::High, r.user, Some(note));
    }
    a.families.entry(fam).and_modify(|n| *n += 1).or_insert(1);
    a.agents.insert(r.ua);
    a.ops.insert(op);
    if r.peer != EMPTY {
        a.ips.insert(r.peer);
        a.subnets.insert(subnet16(peer));
    }
}

/// Sliding-window bursts: anonymous enumeration (per address), denials and distinct secret
/// reads (per identity).
fn bursts(rows: &Rows, opts: &DetectOptions, out: &mut Hits<'_>) {
    let mut anon: HashMap<Sym, Vec<usize>> = HashMap::new();
    let mut denied: HashMap<Sym, Vec<usize>> = HashMap::new();
    let mut secret_reads: HashMap<Sym, Vec<usize>> = HashMap::new();
    for (i, r) in rows.rows.iter().enumerate() {
        if r.actor == Actor::Anonymous {
            if rows.denied(r) || r.code == 404 {
                anon.entry(r.peer).or_default().push(i);
            }
        } else if rows.denied(r) {
            denied.entry(r.user).or_default().push(i);
        }
        if rows.s(r.resource) == "secrets"
            && rows.s(r.verb) == "get"
            && rows.allowed(r)
            && !matches!(r.actor, Actor::Node | Actor::ControlPlane)
            && !is_controller(rows, r)
        {
            secret_reads.entry(r.user).or_default().push(i);
        }
    }
    let distinct_path = |i: usize| {
        let r = &rows.rows[i];
        (
            r.nonresource,
            r.resource,
            r.subresource,
            r.namespace,
            r.name,
        )
    };
    for (peer, idx) in anon {
        for (burst, n) in windows(rows, &idx, opts, distinct_path) {
            let sev = if n >= 5 * opts.burst_min {
                Severity::High
            } else {
                Severity::Medium
            };
            for i in burst {
                out.add(
                    ANON_ENUM,
                    i,
                    sev,
                    peer,
                    Some(format!(
                        "{n} distinct paths within {}",
                        format_duration(opts.burst_window)
                    )),
                );
            }
        }
    }
    for (user, idx) in denied {
        for (burst, n) in windows(rows, &idx, opts, |i| (EMPTY, EMPTY, EMPTY, EMPTY, i as Sym)) {
            let workload = matches!(
                rows.rows[burst[0]].actor,
                Actor::ServiceAccount | Actor::Node
            );
            let sev = if workload {
                Severity::High
            } else {
                Severity::Medium
            };
            for i in burst {
                out.add(
                    DENIED_BURST,
                    i,
                    sev,
                    user,
                    Some(format!(
                        "{n} denied requests within {}",
                        format_duration(opts.burst_window)
                    )),
                );
            }
        }
    }
    for (user, idx) in secret_reads {
        let bursts = windows(rows, &idx, opts, |i| {
            (
                rows.rows[i].namespace,
                rows.rows[i].name,
                EMPTY,
                EMPTY,
                EMPTY,
            )
        });
        let times: Vec<i64> = bursts.iter().map(|(b, _)| rows.rows[b[0]].time).collect();
        let routine = is_routine(&times);
        for (burst, n) in bursts {
            let sev = if routine {
                Severity::Low
            } else {
                Severity::High
            };
            let note = if routine {
                format!(
                    "{n} distinct secrets within {}; this account does so routinely",
                    format_duration(opts.burst_window)
                )
            } else {
                format!(
                    "{n} distinct secrets within {}",
                    format_duration(opts.burst_window)
                )
            };
            for i in burst {
                out.add(SECRET_BURST, i, sev, user, Some(note.clone()));
                if routine {
                    out.routine();
                }
            }
        }
    }
}

/// Bursts in a time-ordered list of rows: windows holding at least `burst_min` distinct keys
/// within `burst_window`. Returns each burst's rows (extended while events keep coming within
/// the window) and its number of distinct keys.
fn windows<K: std::hash::Hash + Eq>(
    rows: &Rows,
    idx: &[usize],
    opts: &DetectOptions,
    key: impl Fn(usize) -> K,
) -> Vec<(Vec<usize>, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < idx.len() {
        let t0 = rows.rows[idx[start]].time;
        let mut end = start;
        let mut keys = HashSet::new();
        while end < idx.len() && rows.rows[idx[end]].time - t0 <= opts.burst_window {
            keys.insert(key(idx[end]));
            end += 1;
        }
        if keys.len() >= opts.burst_min {
            // Extend while new items keep coming within the window of the last new one; the
            // burst stands on the first event of each distinct item (repeats are routine).
            let mut last_new = rows.rows[idx[end - 1]].time;
            while end < idx.len() && rows.rows[idx[end]].time - last_new <= opts.burst_window {
                if keys.insert(key(idx[end])) {
                    last_new = rows.rows[idx[end]].time;
                }
                end += 1;
            }
            let mut seen = HashSet::new();
            let firsts: Vec<usize> = idx[start..end]
                .iter()
                .copied()
                .filter(|&i| seen.insert(key(i)))
                .collect();
            out.push((firsts, keys.len()));
            start = end;
        } else {
            start += 1;
        }
    }
    out
}

/// A schedule: at least three occurrences spread over at least two hours.
fn is_routine(times: &[i64]) -> bool {
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return false;
    };
    times.len() >= 3 && last - first >= 2 * crate::model::Micros::HOUR
}

/// 18: cluster-wide list or watch of secrets, critical unless the account does it on a
/// schedule with the same client.
fn cluster_wide_secret_lists(rows: &Rows, out: &mut Hits<'_>) {
    let mut by_account: HashMap<Sym, Vec<usize>> = HashMap::new();
    for (i, r) in rows.rows.iter().enumerate() {
        if rows.s(r.resource) == "secrets"
            && r.namespace == EMPTY
            && r.name == EMPTY
            && matches!(rows.s(r.verb), "list" | "watch")
            && rows.allowed(r)
            && !is_controller(rows, r)
        {
            by_account.entry(r.user).or_default().push(i);
        }
    }
    for (user, idx) in by_account {
        // The routine is what the account does with its usual client from its usual addresses.
        let mut per_client: HashMap<(Sym, bool), Vec<i64>> = HashMap::new();
        for &i in &idx {
            let r = &rows.rows[i];
            if rows.allowed(r) {
                per_client
                    .entry((r.ua_family, is_public(rows.s(r.peer))))
                    .or_default()
                    .push(r.time);
            }
        }
        for &i in &idx {
            let r = &rows.rows[i];
            let times = per_client.get(&(r.ua_family, is_public(rows.s(r.peer))));
            let routine = rows.allowed(r) && times.is_some_and(|t| is_routine(t));
            let (sev, note) = if routine {
                let n = times.map_or(0, Vec::len);
                (
                    Severity::Info,
                    format!(
                        "routine: {n} such lists with `{}` over the data",
                        display_family(rows.s(r.ua_family))
                    ),
                )
            } else {
                (
                    Severity::Critical,
                    format!(
                        "not part of a schedule of this account (client `{}`)",
                        display_family(rows.s(r.ua_family))
                    ),
                )
            };
            out.add(SECRET_CLUSTER_LIST, i, sev, user, Some(note));
            if routine {
                out.routine();
            }
        }
    }
}

const CREATED_WORKLOADS: &[&str] = &[
    "pods",
    "deployments",
    "daemonsets",
    "statefulsets",
    "replicasets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
];

/// 16: a pod or workload created from a pod's address by something other than a controller.
fn pods_from_pod_ips(rows: &Rows, learned: &Learned<'_>, out: &mut Hits<'_>) {
    let mut by_account: HashMap<Sym, Vec<usize>> = HashMap::new();
    for (i, r) in rows.rows.iter().enumerate() {
        if rows.s(r.verb) == "create"
            && r.subresource == EMPTY
            && rows.succeeded(r)
            && CREATED_WORKLOADS.contains(&rows.s(r.resource))
            && !is_controller(rows, r)
            && !matches!(r.actor, Actor::Node | Actor::ControlPlane)
            && learned.is_pod_ip(rows.s(r.peer))
        {
            by_account.entry(r.user).or_default().push(i);
        }
    }
    for (user, idx) in by_account {
        let times: Vec<i64> = idx.iter().map(|&i| rows.rows[i].time).collect();
        let routine = times.len() >= 6 && is_routine(&times);
        for i in idx {
            let r = &rows.rows[i];
            let risky = rows.facts(r).iter().map(|f| rows.s(*f)).any(|f| {
                f == "privileged" || f == "host-pid" || f.starts_with("hostpath-sensitive:")
            });
            let sev = match (routine, risky) {
                (_, true) => Severity::Critical,
                (true, false) => Severity::Low,
                (false, false) => Severity::High,
            };
            let note = format!(
                "{} is a pod address{}",
                rows.s(r.peer),
                if routine {
                    "; this account deploys from pods routinely"
                } else {
                    ""
                }
            );
            out.add(POD_FROM_POD_IP, i, sev, user, Some(note));
            if routine && !risky {
                out.routine();
            }
        }
    }
}

/// 24: `serviceaccounts/token` minted for another identity (or by a kubelet for a pod that is
/// not on its node).
fn token_requests(rows: &Rows, learned: &Learned<'_>, out: &mut Hits<'_>) {
    for (i, r) in rows.rows.iter().enumerate() {
        if rows.s(r.resource) != "serviceaccounts"
            || rows.s(r.subresource) != "token"
            || rows.s(r.verb) != "create"
            || !rows.succeeded(r)
        {
            continue;
        }
        let target = format!("{}:{}", rows.s(r.namespace), rows.s(r.name));
        match r.actor {
            Actor::Node => {
                let node = rows
                    .s(r.user)
                    .strip_prefix("system:node:")
                    .unwrap_or_default();
                let bound_pod = rows
                    .facts(r)
                    .iter()
                    .map(|f| rows.s(*f))
                    .find_map(|f| f.strip_prefix("token-bound:Pod/"));
                if let Some(pod) = bound_pod
                    && let Some(on) = learned.pod_node.get(&(r.namespace, pod))
                    && *on != node
                {
                    let note = format!(
                        "kubelet of {node} asked for a token of pod {}/{pod}, which runs on {on}",
                        rows.s(r.namespace)
                    );
                    out.add(TOKEN_REQUEST, i, Severity::High, r.user, Some(note));
                }
            }
            Actor::ServiceAccount if rows.s(r.sa) != target => {
                out.add(
                    TOKEN_REQUEST,
                    i,
                    Severity::High,
                    r.user,
                    Some(format!("token for {target} minted by {}", rows.s(r.user))),
                );
            }
            Actor::Human | Actor::Anonymous => {
                out.add(
                    TOKEN_REQUEST,
                    i,
                    Severity::Medium,
                    r.user,
                    Some(format!("token for {target} minted by hand")),
                );
            }
            _ => {}
        }
    }
}

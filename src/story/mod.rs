//! The story behind the findings, rebuilt from the index's columns: an identity's
//! **sessions** as the kubectl (or curl) commands that made its requests (`sessions`,
//! `kubectl`), the **lineage** of its credentials (`lineage`), what it was **granted**
//! against what it **used** (`access`), and what the data set cannot show at all
//! (`coverage`).
//!
//! Everything starts from a term query (an account, a credential, RBAC objects) and reads
//! fast columns ([`IndexReader::columns_of`]); an event is loaded only where no column
//! tells (an exec's decoded command, a mutation's request URI, an RBAC object's body), and
//! at most [`LOAD_CAP`] of them per question. Coverage is one pass over a few columns.
//!
//! Layering: after `detect` and `index`, before `session`: imports `model`, `query` and
//! `index` (the session hands it its reader); `session` exposes it to `cli` and `tui`.

pub mod access;
pub mod coverage;
mod coverage_spots;
pub mod kubectl;
pub mod lineage;
pub mod sessions;

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::index::select::Picked;
use crate::index::{Hit, IndexReader, Result};
use crate::model::{ExecInfo, Micros};
use crate::query::{Expr, Pattern};

/// Events loaded at most per question (the rest are told from their columns).
pub const LOAD_CAP: usize = 2000;

/// The keyword columns a [`Req`] reads, in its fields' order.
const COLUMNS: &[&str] = &[
    "audit_id",
    "user",
    "verb",
    "resource",
    "subresource",
    "api_group",
    "namespace",
    "name",
    "nonresource",
    "ua",
    "ua_family",
    "decision",
    "credential",
    "pod",
    "node",
    "role",
    "binding",
    "impersonated",
    "exec",
    "cluster",
];

/// One request as the story reads it: its columns, and what loading it added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Req {
    pub handle: u64,
    pub time: Micros,
    pub audit_id: String,
    pub user: String,
    pub verb: String,
    pub resource: String,
    pub subresource: String,
    pub api_group: String,
    pub namespace: String,
    pub name: String,
    /// The path of a non-resource request (`/api`).
    pub path: String,
    pub peer: Option<IpAddr>,
    pub ua: String,
    pub ua_family: String,
    pub code: Option<u16>,
    pub decision: String,
    pub credential: String,
    pub pod: String,
    pub node: String,
    pub role: String,
    pub binding: String,
    pub impersonated: String,
    /// exec, attach, portforward, node-proxy.
    pub stream: String,
    pub cluster: String,
    /// The request URI as logged, when the event was loaded.
    pub request_uri: Option<String>,
    /// The decoded exec, when the event was loaded.
    pub exec: Option<ExecInfo>,
}

impl Req {
    fn from_picked(p: Picked) -> Req {
        let mut v = p.values.into_iter();
        let mut next = || v.next().unwrap_or_default();
        Req {
            handle: p.handle,
            time: p.time,
            peer: p.peer,
            code: p.code,
            audit_id: next(),
            user: next(),
            verb: next(),
            resource: next(),
            subresource: next(),
            api_group: next(),
            namespace: next(),
            name: next(),
            path: next(),
            ua: next(),
            ua_family: next(),
            decision: next(),
            credential: next(),
            pod: next(),
            node: next(),
            role: next(),
            binding: next(),
            impersonated: next(),
            stream: next(),
            cluster: next(),
            request_uri: None,
            exec: None,
        }
    }

    /// The trusted source address, `""` when none.
    pub fn peer_str(&self) -> String {
        self.peer.map(|a| a.to_string()).unwrap_or_default()
    }

    /// Does loading the event tell more than its columns (an exec's command, the field
    /// manager that names a kubectl write's subcommand)? Reads, and the writes of other
    /// clients (a controller's thousands of updates), are told from their columns.
    fn worth_loading(&self) -> bool {
        !self.stream.is_empty()
            || self.ua_family.eq_ignore_ascii_case("kubectl")
                && matches!(self.verb.as_str(), "create" | "update" | "patch")
    }
}

/// Who a story is about: an account (username, or `namespace:name` of a service account)
/// or one credential id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Account(String),
    Credential(String),
}

impl Identity {
    /// The term query of its requests.
    pub fn expr(&self) -> Expr {
        let (field, value) = match self {
            Identity::Account(a) => ("user", account_username(a)),
            Identity::Credential(c) => ("credential", c.clone()),
        };
        Expr::Field {
            field,
            pattern: Pattern::Exact(value),
        }
    }
}

/// `shop:web` → `system:serviceaccount:shop:web`; any other name as given.
pub fn account_username(a: &str) -> String {
    let is_sa_short = !a.starts_with("system:")
        && !a.contains('@')
        && a.split(':').count() == 2
        && a.split(':').all(|p| !p.is_empty());
    if is_sa_short {
        format!("system:serviceaccount:{a}")
    } else {
        a.to_owned()
    }
}

/// The requests matching `expr` in time order, read from the columns; the events of at most
/// [`LOAD_CAP`] of those [`Req::worth_loading`] loaded for their URI and exec command.
pub fn requests(reader: &IndexReader, expr: &Expr) -> Result<Vec<Req>> {
    let hits = reader.search(expr, 0, 0, crate::index::reader::TimeOrder::Oldest)?;
    let picked = reader.columns_of(&hits, COLUMNS)?;
    let mut reqs: Vec<Req> = picked.into_iter().map(Req::from_picked).collect();
    let mut loaded = 0;
    for r in &mut reqs {
        if loaded >= LOAD_CAP || !r.worth_loading() {
            continue;
        }
        loaded += 1;
        if let Ok(l) = reader.load(&Hit::from_handle(r.handle)) {
            r.request_uri = Some(l.event.request_uri);
            r.exec = l.event.exec;
        }
    }
    Ok(reqs)
}

/// The role and binding writes of the index, loaded (they are few: bodies are what `access`
/// reads), at most [`LOAD_CAP`].
pub fn rbac_writes(reader: &IndexReader) -> Result<Vec<access::RbacWrite>> {
    let rbac = [
        "roles",
        "clusterroles",
        "rolebindings",
        "clusterrolebindings",
    ];
    let verbs = ["create", "update", "patch", "delete"];
    let any = |field: &'static str, values: &[&str]| {
        Expr::Or(
            values
                .iter()
                .map(|v| Expr::Field {
                    field,
                    pattern: Pattern::Exact((*v).to_owned()),
                })
                .collect(),
        )
    };
    let expr = any("resource", &rbac).and(any("verb", &verbs));
    let hits = reader.search(&expr, LOAD_CAP, 0, crate::index::reader::TimeOrder::Oldest)?;
    let mut out = Vec::with_capacity(hits.len());
    for h in &hits {
        out.push(access::RbacWrite::of(&reader.load(h)?.event));
    }
    Ok(out)
}

/// `kubesift access`: what `account` was granted (as of `at`) against what it used.
pub fn access_of(
    reader: &IndexReader,
    account: &str,
    at: Option<Micros>,
) -> Result<access::Access> {
    let who = Identity::Account(account.to_owned());
    let reqs = requests(reader, &who.expr())?;
    let mut subject = access::Subject {
        user: account_username(account),
        groups: Vec::new(),
    };
    if let Some(first) = reqs.first() {
        subject.groups = reader
            .load(&Hit::from_handle(first.handle))?
            .event
            .user
            .groups;
    }
    let writes = rbac_writes(reader)?;
    Ok(access::access(&subject, &reqs, &writes, at))
}

fn field(field: &'static str, value: &str) -> Expr {
    Expr::Field {
        field,
        pattern: Pattern::Exact(value.to_owned()),
    }
}

/// `kubesift lineage`: every credential of `who`, where it came from and where it was used.
pub fn lineage_of(reader: &IndexReader, who: &Identity) -> Result<Vec<lineage::Lineage>> {
    let reqs = requests(reader, &who.expr())?;
    let mut ctx = lineage::Context::default();
    // The host addresses pods' status bodies name, by node: the node's, not the pod's.
    let mut host_ips: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &reqs {
        if !r.credential.is_empty() && !ctx.pod_uids.contains_key(&r.credential) {
            let e = reader.load(&Hit::from_handle(r.handle))?.event;
            ctx.pod_uids.insert(
                r.credential.clone(),
                e.credential.pod_uid.unwrap_or_default(),
            );
        }
        let ns = r
            .user
            .strip_prefix("system:serviceaccount:")
            .and_then(|x| x.split(':').next());
        if let Some(ns) = ns
            && !r.pod.is_empty()
        {
            let key = format!("{ns}/{}", r.pod);
            if let std::collections::btree_map::Entry::Vacant(v) = ctx.pod_ips.entry(key) {
                let (pod, host) = pod_ips(reader, ns, &r.pod)?;
                v.insert(pod);
                if !r.node.is_empty() {
                    host_ips.entry(r.node.clone()).or_default().extend(host);
                }
            }
        }
        if !r.node.is_empty() && !ctx.node_ips.contains_key(&r.node) {
            let expr = field("user", &format!("system:node:{}", r.node));
            // The kubelet's own addresses: private, and most of its requests (a stolen
            // certificate used from elsewhere is the few, not the home).
            let (top, _) = reader.top(&expr, "peer", 5)?;
            let total: u64 = top.iter().map(|(_, n)| n).sum();
            let home = top
                .into_iter()
                .filter(|(ip, n)| {
                    n * 10 >= total
                        && ip
                            .parse()
                            .is_ok_and(|a| !crate::model::net::is_public_addr(a))
                })
                .map(|(ip, _)| ip)
                .collect();
            ctx.node_ips.insert(r.node.clone(), home);
        }
    }
    for (node, hosts) in host_ips {
        let ips = ctx.node_ips.entry(node).or_default();
        ips.extend(hosts);
        ips.sort();
        ips.dedup();
    }
    if reqs.iter().any(|r| r.credential.starts_with("X509SHA256=")) {
        ctx.csrs = csrs(reader)?;
    }
    Ok(lineage::lineage(&reqs, &ctx))
}

/// The addresses pod `ns/pod` reported in its status bodies: its own (`podip:` facts) and its
/// node's (`hostip:`).
fn pod_ips(reader: &IndexReader, ns: &str, pod: &str) -> Result<(Vec<String>, Vec<String>)> {
    let expr = field("resource", "pods")
        .and(field("namespace", ns))
        .and(field("name", pod))
        .and(Expr::Field {
            field: "fact",
            pattern: Pattern::Wildcard("podip:*".to_owned()),
        });
    let hits = reader.search(&expr, 50, 0, crate::index::reader::TimeOrder::Oldest)?;
    let facts: Vec<String> = reader
        .columns_of(&hits, &["fact"])?
        .into_iter()
        .flat_map(|p| p.values)
        .collect();
    let of = |prefix: &str| {
        let mut ips: Vec<String> = facts
            .iter()
            .flat_map(|v| v.lines())
            .filter_map(|f| f.strip_prefix(prefix))
            .map(str::to_owned)
            .collect();
        ips.sort();
        ips.dedup();
        ips
    };
    let pod = of("podip:");
    let host: Vec<String> = of("hostip:")
        .into_iter()
        .filter(|h| !pod.contains(h))
        .collect();
    Ok((pod, host))
}

/// The CSRs of the log with the subject they ask for and who approved them.
fn csrs(reader: &IndexReader) -> Result<Vec<lineage::Csr>> {
    let expr = field("resource", "certificatesigningrequests");
    let hits = reader.search(&expr, LOAD_CAP, 0, crate::index::reader::TimeOrder::Oldest)?;
    let mut out: Vec<lineage::Csr> = Vec::new();
    for h in &hits {
        let e = reader.load(h)?.event;
        let body = e
            .request_object
            .as_ref()
            .and_then(|r| serde_json::from_str::<serde_json::Value>(r.get()).ok());
        if e.verb == "create" && e.object.subresource.is_empty() {
            let request = body
                .as_ref()
                .and_then(|b| b.pointer("/spec/request"))
                .and_then(|v| v.as_str());
            let name = body
                .as_ref()
                .and_then(|b| b.pointer("/metadata/name"))
                .and_then(|v| v.as_str())
                .unwrap_or(&e.object.name);
            if let Some(subject) = request.and_then(lineage::csr_common_name) {
                out.push(lineage::Csr {
                    name: name.to_owned(),
                    subject,
                    created: e.time,
                    created_by: e.user.username.clone(),
                    approved_by: None,
                });
            }
        } else if e.object.subresource == "approval"
            && let Some(c) = out.iter_mut().find(|c| c.name == e.object.name)
        {
            c.approved_by = Some(e.user.username.clone());
        }
    }
    Ok(out)
}

/// `kubesift coverage`: what the index cannot show, each blind spot with the detections
/// of `catalogue` it silences.
pub fn coverage(
    reader: &IndexReader,
    catalogue: &[crate::detect::rules::Rule],
) -> Result<coverage::Coverage> {
    let mut c = coverage::coverage(reader)?;
    c.blind_spots = coverage_spots::blind_spots(&c, catalogue);
    Ok(c)
}

/// Reads `k=v` from a request URI's query string (form-decoded).
pub fn query_param(uri: &str, key: &str) -> Option<String> {
    let (_, q) = uri.split_once('?')?;
    crate::model::exec::query_pairs(q).find_map(|(k, v)| (k == key).then(|| v.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_service_account_names_are_expanded() {
        assert_eq!(
            account_username("shop:web"),
            "system:serviceaccount:shop:web"
        );
        assert_eq!(account_username("alice@example.com"), "alice@example.com");
        assert_eq!(account_username("system:node:cp-1"), "system:node:cp-1");
        assert_eq!(account_username("admin"), "admin");
    }

    #[test]
    fn query_params_are_decoded() {
        let uri = "/api/v1/pods?labelSelector=app%3Dweb&limit=500";
        assert_eq!(
            query_param(uri, "labelSelector").as_deref(),
            Some("app=web")
        );
        assert_eq!(query_param(uri, "watch"), None);
    }
}

//! Access granted against access used (`kubesift access SUBJECT`): RBAC rebuilt from what
//! the log shows — roles and bindings created, patched and deleted (their bodies, at level
//! Request and above) and every authorization reason of the subject's requests (`allowed by
//! ClusterRoleBinding X of ClusterRole Y to …`) — beside the verbs × resources × namespaces
//! the subject used. Grants gained inside the data's window and rights granted but never
//! used are flagged: the least-privilege advice.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::Req;
use crate::model::{AuditEvent, Micros};

/// One binding that gives the subject a role.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Grant {
    /// `ClusterRoleBinding` or `RoleBinding`.
    pub binding_kind: String,
    /// `name`, or `namespace/name` for a RoleBinding.
    pub binding: String,
    pub role_kind: String,
    pub role: String,
    /// The subject entry that matched: `ServiceAccount shop/web`, `Group system:authenticated`.
    pub via: String,
    /// When the binding was created in the log; absent when it existed before the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<Micros>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Micros>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
    /// Granted inside the data's window (the binding's creation is in the log).
    pub gained: bool,
    /// Requests the authorizer allowed through this binding.
    pub allowed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_used: Option<Micros>,
    /// The role's rules when the log holds its body (`verbs on resources`), or what a
    /// built-in role is known to grant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Rules of the role no request used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused: Vec<String>,
}

/// One verb on one resource in one namespace, as used.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Use {
    pub verb: String,
    pub resource: String,
    /// `""` for a cluster-scoped or cluster-wide request.
    pub namespace: String,
    pub allowed: u64,
    pub denied: u64,
    pub first: Micros,
    pub last: Micros,
    /// The bindings that allowed it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

/// `kubesift access`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Access {
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Micros>,
    pub grants: Vec<Grant>,
    pub used: Vec<Use>,
    pub advice: Vec<String>,
}

/// A role or binding write, as loaded.
#[derive(Debug, Clone)]
pub struct RbacWrite {
    pub time: Micros,
    pub actor: String,
    pub verb: String,
    pub resource: String,
    pub namespace: String,
    pub name: String,
    /// The object (request body, else response body) when logged.
    pub body: Option<Value>,
}

impl RbacWrite {
    pub fn of(e: &AuditEvent) -> RbacWrite {
        let parse = |raw: &Option<Box<serde_json::value::RawValue>>| {
            raw.as_ref()
                .and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
                .filter(|v| v.get("kind").and_then(Value::as_str) != Some("Status"))
        };
        RbacWrite {
            time: e.time,
            actor: e.user.username.clone(),
            verb: e.verb.clone(),
            resource: e.object.resource.clone(),
            namespace: e.object.namespace.clone(),
            name: e.object.name.clone(),
            body: parse(&e.request_object).or_else(|| parse(&e.response_object)),
        }
    }

    fn name(&self) -> String {
        let from_body = self
            .body
            .as_ref()
            .and_then(|b| b.pointer("/metadata/name"))
            .and_then(Value::as_str);
        from_body.unwrap_or(&self.name).to_owned()
    }

    /// `name`, or `name/namespace` as the authorizer names a RoleBinding.
    fn key(&self) -> String {
        if self.namespace.is_empty() {
            self.name()
        } else {
            format!("{}/{}", self.name(), self.namespace)
        }
    }
}

/// Who the subject is: its username and groups.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub user: String,
    pub groups: Vec<String>,
}

impl Subject {
    /// The subject entry of a binding that names this subject, as `Kind name`.
    fn matches(&self, s: &Value) -> Option<String> {
        let kind = s.get("kind").and_then(Value::as_str)?;
        let name = s.get("name").and_then(Value::as_str)?;
        let ns = s
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let hit = match kind {
            "ServiceAccount" => self.user == format!("system:serviceaccount:{ns}:{name}"),
            "User" => self.user == name,
            "Group" => self.groups.iter().any(|g| g == name),
            _ => false,
        };
        hit.then(|| {
            if ns.is_empty() {
                format!("{kind} {name}")
            } else {
                format!("{kind} {ns}/{name}")
            }
        })
    }
}

/// What built-in cluster roles are known to grant.
fn builtin_rules(role: &str) -> Vec<String> {
    match role {
        "cluster-admin" => vec!["* on *".to_owned()],
        _ => Vec::new(),
    }
}

/// The rules of a role body as `verbs on resources`.
fn rules_of(body: &Value) -> Vec<String> {
    let list = |r: &Value, k: &str| -> Vec<String> {
        r.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    body.get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            let mut res = list(r, "resources");
            res.extend(list(r, "nonResourceURLs"));
            format!("{} on {}", list(r, "verbs").join(","), res.join(","))
        })
        .collect()
}

/// Does any use match the rule `verbs on resources`?
fn rule_used(rule: &str, used: &[Use]) -> bool {
    let Some((verbs, resources)) = rule.split_once(" on ") else {
        return true;
    };
    let verbs: Vec<&str> = verbs.split(',').collect();
    let resources: Vec<&str> = resources.split(',').collect();
    used.iter().filter(|u| u.allowed > 0).any(|u| {
        (verbs.contains(&"*") || verbs.contains(&u.verb.as_str()))
            && (resources.contains(&"*") || resources.contains(&u.resource.as_str()))
    })
}

/// Builds the access report of `subject` from its requests (time order) and every RBAC write.
pub fn access(subject: &Subject, reqs: &[Req], writes: &[RbacWrite], at: Option<Micros>) -> Access {
    let reqs: Vec<&Req> = reqs
        .iter()
        .filter(|r| at.is_none_or(|t| r.time <= t))
        .collect();
    let used = uses(&reqs);
    let mut grants = from_bindings(subject, writes, at);
    from_reasons(&reqs, &mut grants);
    let roles = role_rules(writes, at);
    for g in &mut grants {
        g.rules = roles
            .get(&(g.role_kind.clone(), g.role.clone()))
            .cloned()
            .unwrap_or_else(|| builtin_rules(&g.role));
        g.unused = g
            .rules
            .iter()
            .filter(|r| !rule_used(r, &used))
            .cloned()
            .collect();
        let allowed: Vec<&&Req> = reqs
            .iter()
            .filter(|r| r.decision == "allow" && r.binding == g.binding)
            .collect();
        g.allowed = allowed.len() as u64;
        g.first_used = allowed.first().map(|r| r.time);
    }
    let advice = advise(&grants, &used);
    Access {
        subject: subject.user.clone(),
        at,
        grants,
        used,
        advice,
    }
}

fn uses(reqs: &[&Req]) -> Vec<Use> {
    let mut by: BTreeMap<(String, String, String), Use> = BTreeMap::new();
    for r in reqs {
        let resource = if r.resource.is_empty() {
            r.path.clone()
        } else {
            crate::model::row::join_resource(&r.resource, &r.subresource)
        };
        let u = by
            .entry((resource.clone(), r.verb.clone(), r.namespace.clone()))
            .or_insert_with(|| Use {
                verb: r.verb.clone(),
                resource,
                namespace: r.namespace.clone(),
                allowed: 0,
                denied: 0,
                first: r.time,
                last: r.time,
                via: Vec::new(),
            });
        if r.decision == "forbid" || matches!(r.code, Some(401 | 403)) {
            u.denied += 1;
        } else {
            u.allowed += 1;
        }
        u.last = r.time;
        if !r.binding.is_empty() && !u.via.contains(&r.binding) {
            u.via.push(r.binding.clone());
        }
    }
    by.into_values().collect()
}

/// Bindings whose logged bodies name the subject, with their creation and deletion.
fn from_bindings(subject: &Subject, writes: &[RbacWrite], at: Option<Micros>) -> Vec<Grant> {
    let mut out: Vec<Grant> = Vec::new();
    for w in writes.iter().filter(|w| at.is_none_or(|t| w.time <= t)) {
        if !w.resource.ends_with("rolebindings") {
            continue;
        }
        let key = w.key();
        if w.verb == "delete" {
            for g in out
                .iter_mut()
                .filter(|g| g.binding == key && g.deleted.is_none())
            {
                g.deleted = Some(w.time);
                g.deleted_by = Some(w.actor.clone());
            }
            continue;
        }
        let Some(body) = &w.body else { continue };
        let via = body
            .get("subjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(|s| subject.matches(s));
        let Some(via) = via else { continue };
        if out.iter().any(|g| g.binding == key && g.deleted.is_none()) {
            continue;
        }
        let role_ref = |k: &str| {
            body.pointer(&format!("/roleRef/{k}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let created = w.verb == "create";
        out.push(Grant {
            binding_kind: kind_of(&w.resource).to_owned(),
            binding: key,
            role_kind: role_ref("kind"),
            role: role_ref("name"),
            via,
            since: created.then_some(w.time),
            created_by: created.then(|| w.actor.clone()),
            gained: created,
            ..Grant::default()
        });
    }
    out.retain(|g| at.is_none() || g.deleted.is_none());
    out
}

fn kind_of(resource: &str) -> &'static str {
    match resource {
        "clusterrolebindings" => "ClusterRoleBinding",
        "rolebindings" => "RoleBinding",
        "clusterroles" => "ClusterRole",
        _ => "Role",
    }
}

/// Grants the authorizer named for the subject's requests that no logged body showed.
fn from_reasons(reqs: &[&Req], grants: &mut Vec<Grant>) {
    for r in reqs.iter().filter(|r| !r.binding.is_empty()) {
        if grants.iter().any(|g| g.binding == r.binding) {
            continue;
        }
        let namespaced = r.binding.contains('/');
        grants.push(Grant {
            binding_kind: if namespaced {
                "RoleBinding"
            } else {
                "ClusterRoleBinding"
            }
            .to_owned(),
            binding: r.binding.clone(),
            role_kind: if namespaced { "Role" } else { "ClusterRole" }.to_owned(),
            role: r.role.clone(),
            via: "authorization reason".to_owned(),
            ..Grant::default()
        });
    }
}

/// The rules of every role whose body the log holds, last write first.
fn role_rules(writes: &[RbacWrite], at: Option<Micros>) -> BTreeMap<(String, String), Vec<String>> {
    let mut out = BTreeMap::new();
    for w in writes.iter().filter(|w| at.is_none_or(|t| w.time <= t)) {
        if w.resource.ends_with("rolebindings") || !w.resource.ends_with("roles") {
            continue;
        }
        if let Some(b) = &w.body
            && b.get("rules").is_some()
        {
            let name = if w.namespace.is_empty() {
                w.name()
            } else {
                format!("{}/{}", w.name(), w.namespace)
            };
            out.insert((kind_of(&w.resource).to_owned(), name.clone()), rules_of(b));
            // The authorizer names a Role by its name alone.
            out.insert((kind_of(&w.resource).to_owned(), w.name()), rules_of(b));
        }
    }
    out
}

fn advise(grants: &[Grant], used: &[Use]) -> Vec<String> {
    let mut out = Vec::new();
    for g in grants.iter().filter(|g| g.gained) {
        out.push(format!(
            "{} {} (→ {} {}) was created during the data by {} at {}: confirm it was intended, else delete it",
            g.binding_kind,
            g.binding,
            g.role_kind,
            g.role,
            g.created_by.as_deref().unwrap_or("?"),
            g.since.map(|t| t.to_string()).unwrap_or_default()
        ));
    }
    for g in grants.iter().filter(|g| !g.unused.is_empty()) {
        out.push(format!(
            "{} {} grants {} never used here: narrow {} {} to what is used",
            g.binding_kind,
            g.binding,
            g.unused.join("; "),
            g.role_kind,
            g.role
        ));
    }
    let pairs = used.iter().filter(|u| u.allowed > 0).count();
    for g in grants
        .iter()
        .filter(|g| g.rules.iter().any(|r| r == "* on *") && g.allowed > 0)
    {
        out.push(format!(
            "{} {} grants every verb on every resource; the subject used {pairs} (verb, resource, namespace) combinations: bind a role that lists only those",
            g.binding_kind, g.binding
        ));
    }
    for g in grants
        .iter()
        .filter(|g| g.allowed == 0 && g.deleted.is_none())
    {
        out.push(format!(
            "{} {} allowed none of the subject's requests: remove the subject from it if it is not needed",
            g.binding_kind, g.binding
        ));
    }
    let denied: u64 = used.iter().map(|u| u.denied).sum();
    if denied > 0 {
        out.push(format!(
            "{denied} requests were denied: an identity probing beyond its rights is worth a look"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(t: i64, verb: &str, resource: &str, name: &str, body: Value) -> RbacWrite {
        RbacWrite {
            time: Micros(t),
            actor: "system:serviceaccount:ci:deployer".into(),
            verb: verb.into(),
            resource: resource.into(),
            namespace: String::new(),
            name: name.into(),
            body: Some(body),
        }
    }

    fn req(t: i64, verb: &str, resource: &str, binding: &str) -> Req {
        Req {
            time: Micros(t),
            verb: verb.into(),
            resource: resource.into(),
            decision: "allow".into(),
            binding: binding.into(),
            ..Req::default()
        }
    }

    #[test]
    fn a_binding_created_in_the_window_is_a_gained_grant_and_unused_rules_are_flagged() {
        let subject = Subject {
            user: "system:serviceaccount:shop:web".into(),
            groups: vec!["system:authenticated".into()],
        };
        let writes = vec![
            write(
                5,
                "create",
                "clusterroles",
                "legacy-ops",
                json!({"metadata": {"name": "legacy-ops"},
                "rules": [{"verbs": ["get", "list"], "resources": ["pods", "secrets"]}, {"verbs": ["create"], "resources": ["pods/exec"]}]}),
            ),
            write(
                10,
                "create",
                "clusterrolebindings",
                "shop-web-admin",
                json!({
                "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}],
                "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}),
            ),
            write(
                11,
                "create",
                "clusterrolebindings",
                "other",
                json!({
                "subjects": [{"kind": "ServiceAccount", "name": "api", "namespace": "shop"}],
                "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}),
            ),
        ];
        let reqs = vec![
            req(1, "list", "pods", "web-legacy-ops"),
            req(12, "list", "secrets", "shop-web-admin"),
        ];
        let mut reqs = reqs;
        reqs[0].role = "legacy-ops".into();
        let a = access(&subject, &reqs, &writes, None);
        assert_eq!(a.grants.len(), 2, "{a:#?}");
        let admin = &a.grants[0];
        assert_eq!(admin.binding, "shop-web-admin");
        assert_eq!(admin.role, "cluster-admin");
        assert!(admin.gained);
        assert_eq!(admin.since, Some(Micros(10)));
        assert_eq!(
            admin.created_by.as_deref(),
            Some("system:serviceaccount:ci:deployer")
        );
        assert_eq!(admin.allowed, 1);
        let legacy = &a.grants[1];
        assert_eq!(legacy.binding, "web-legacy-ops");
        assert!(!legacy.gained);
        assert_eq!(legacy.unused, vec!["create on pods/exec".to_owned()]);
        assert!(
            a.advice
                .iter()
                .any(|x| x.contains("shop-web-admin") && x.contains("created during"))
        );
        assert_eq!(a.used.len(), 2);
        // Before the binding existed, it is not granted.
        let before = access(&subject, &reqs, &writes, Some(Micros(9)));
        assert!(before.grants.iter().all(|g| g.binding != "shop-web-admin"));
    }
}

//! The one flat projection of an event: [`EventRow`], every value a field of the registry
//! (`model::fields`) reads, each derived once — the trusted source IP, the request path, the
//! RBAC grant, the node of a bound token, the service account, the exec stream.
//!
//! A row is built from an [`AuditEvent`] ([`EventRow::of`], borrowing its strings: building
//! one costs what deriving the few computed values costs), or filled from the index's fast
//! columns for a table page (then only the columns a table shows are set). The index
//! document, detection rows, the export rows, the CLI's records and the workbench's tables
//! all read events through it; each output keeps its own contract of names and order.

use std::borrow::Cow;

use super::authz::{self, RbacGrant};
use super::{AuditEvent, Credential, ExecInfo, Micros, SourceRef, Stage, StageSet};

/// One event as flat values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventRow<'a> {
    /// The index's handle of the event, to load it whole (0 when built from an event).
    pub handle: u64,
    pub time: Micros,
    pub audit_id: Cow<'a, str>,
    /// The most complete stage kept; `None` when the record had no stage field.
    pub stage: Option<Stage>,
    pub stages: StageSet,
    pub level: Cow<'a, str>,
    pub verb: Cow<'a, str>,
    /// The authenticated username.
    pub user: Cow<'a, str>,
    pub groups: Cow<'a, [String]>,
    /// `anonymous`, `service-account`, `node`, `control-plane`, `human` or `unknown`.
    pub actor_kind: Cow<'a, str>,
    /// `namespace:name`, when the user is a service account.
    pub service_account: Option<Cow<'a, str>>,
    pub sa_namespace: Cow<'a, str>,
    /// The impersonated username, when the request impersonated someone.
    pub impersonated: Option<Cow<'a, str>>,
    pub credential: Cow<'a, Credential>,
    /// The node of the bound token, else the kubelet's own node.
    pub node: Cow<'a, str>,
    /// `sourceIPs` as logged.
    pub source_ips: Cow<'a, [String]>,
    /// The trusted source IP: the last of `source_ips` (the socket peer).
    pub source_ip: Option<Cow<'a, str>>,
    pub user_agent: Cow<'a, str>,
    pub ua_family: Cow<'a, str>,
    pub resource: Cow<'a, str>,
    pub subresource: Cow<'a, str>,
    pub api_group: Cow<'a, str>,
    pub namespace: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub request_uri: Cow<'a, str>,
    /// The request path without its query string. Filled from the index's columns it is
    /// known only for non-resource requests (the `nonresource` column).
    pub path: Cow<'a, str>,
    pub code: Option<u16>,
    /// The authorization decision annotation: `allow` or `forbid`.
    pub decision: Cow<'a, str>,
    /// The authorization reason annotation.
    pub reason: Cow<'a, str>,
    /// The RBAC binding and role the reason names.
    pub grant: Option<RbacGrant<'a>>,
    pub exec: Option<Cow<'a, ExecInfo>>,
    /// The kind of `exec`: exec, attach, portforward, node-proxy.
    pub stream: Cow<'a, str>,
    pub facts: Cow<'a, [String]>,
    /// The input format's name.
    pub format: Cow<'a, str>,
    pub cluster: Cow<'a, str>,
    pub source: Cow<'a, SourceRef>,
    pub salvaged: bool,
}

impl<'a> EventRow<'a> {
    /// The row of an event, borrowing its strings.
    pub fn of(e: &'a AuditEvent) -> EventRow<'a> {
        let exec = e.exec.as_ref();
        EventRow {
            handle: 0,
            time: e.time,
            audit_id: b(&e.audit_id),
            stage: e.stage,
            stages: e.stages,
            level: b(&e.level),
            verb: b(&e.verb),
            user: b(&e.user.username),
            groups: Cow::Borrowed(&e.user.groups),
            actor_kind: b(e.actor.kind.as_str()),
            service_account: service_account_of(e),
            sa_namespace: b(e.actor.sa_namespace.as_deref().unwrap_or_default()),
            impersonated: e.impersonated.as_ref().map(|u| b(&u.username)),
            credential: Cow::Borrowed(&e.credential),
            node: b(node_of(e)),
            source_ips: Cow::Borrowed(&e.source_ips),
            source_ip: e.peer_ip().map(b),
            user_agent: b(&e.user_agent),
            ua_family: b(&e.ua_family),
            resource: b(&e.object.resource),
            subresource: b(&e.object.subresource),
            api_group: b(&e.object.api_group),
            namespace: b(&e.object.namespace),
            name: b(&e.object.name),
            request_uri: b(&e.request_uri),
            path: b(e.path()),
            code: e.code,
            decision: b(&e.decision),
            reason: b(&e.authz_reason),
            grant: authz::rbac_grant(&e.authz_reason),
            exec: exec.map(Cow::Borrowed),
            stream: b(exec.map_or("", |x| x.kind.as_str())),
            facts: Cow::Borrowed(&e.facts),
            format: b(e.format.as_str()),
            cluster: b(&e.cluster),
            source: Cow::Borrowed(&e.source),
            salvaged: e.salvaged,
        }
    }

    /// The trusted source IP, `""` when none was logged.
    pub fn peer(&self) -> &str {
        self.source_ip.as_deref().unwrap_or_default()
    }

    /// `resource/subresource`, `resource`, or the path of a non-resource request.
    pub fn resource_or_path(&self) -> String {
        if self.resource.is_empty() {
            self.path.to_string()
        } else {
            join_resource(&self.resource, &self.subresource)
        }
    }

    /// `resource/subresource` or `resource` (`""` for a non-resource request).
    pub fn resource_path(&self) -> String {
        join_resource(&self.resource, &self.subresource)
    }

    /// `namespace/name`, `name`, or `namespace/`.
    pub fn target(&self) -> String {
        join_target(&self.namespace, &self.name)
    }

    /// [`EventRow::target`], or the path of a request about no object.
    pub fn target_or_path(&self) -> String {
        if self.namespace.is_empty() && self.name.is_empty() {
            self.path.to_string()
        } else {
            self.target()
        }
    }

    /// The exec command line, `""` when the request ran none.
    pub fn command_line(&self) -> &str {
        self.exec.as_ref().map_or("", |x| x.command_line.as_str())
    }
}

fn b(s: &str) -> Cow<'_, str> {
    Cow::Borrowed(s)
}

/// `namespace:name` of a service account: the end of its username when that is how it
/// reads (nearly always: no string built per event), else built.
fn service_account_of(e: &AuditEvent) -> Option<Cow<'_, str>> {
    let (ns, name) = (
        e.actor.sa_namespace.as_deref()?,
        e.actor.sa_name.as_deref()?,
    );
    let tail = e.user.username.strip_prefix("system:serviceaccount:");
    match tail.and_then(|t| t.split_once(':')) {
        Some((n, m)) if n == ns && m == name => tail.map(Cow::Borrowed),
        _ => e.actor.service_account().map(Cow::Owned),
    }
}

/// The node of the bound token, else the kubelet's own node.
fn node_of(e: &AuditEvent) -> &str {
    e.credential
        .node_name
        .as_deref()
        .or(e.actor.node.as_deref())
        .unwrap_or_default()
}

/// `resource/subresource`, or `resource` alone.
pub fn join_resource(resource: &str, subresource: &str) -> String {
    if subresource.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}/{subresource}")
    }
}

/// `namespace/name`, `name`, `namespace/`, or `""`.
pub fn join_target(namespace: &str, name: &str) -> String {
    match (namespace, name) {
        ("", n) => n.to_owned(),
        (ns, "") => format!("{ns}/"),
        (ns, n) => format!("{ns}/{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_account_is_read_from_its_username_without_a_copy() {
        let mut e = crate::ingest::formats::native::parse(
            r#"{"auditID":"a","verb":"get","stageTimestamp":"2024-01-02T03:04:05Z"}"#,
            SourceRef::default(),
            crate::ingest::formats::NormalizeOptions::default(),
        )
        .unwrap();
        for (user, want) in [
            ("system:serviceaccount:shop:web", Some("shop:web")),
            ("system:serviceaccount:a:b:c", None),
            ("alice", None),
        ] {
            e.user.username = user.into();
            e.actor = super::super::Actor::classify(user, &[]);
            let sa = service_account_of(&e);
            assert_eq!(
                sa.as_deref(),
                e.actor.service_account().as_deref(),
                "{user}"
            );
            if let Some(w) = want {
                assert!(matches!(sa, Some(Cow::Borrowed(s)) if s == w), "{user}");
            }
        }
        // A username that does not spell the account it was classified as: built.
        e.user.username = "system:serviceaccount:other:x".into();
        e.actor = super::super::Actor::classify("system:serviceaccount:shop:web", &[]);
        assert_eq!(service_account_of(&e).as_deref(), Some("shop:web"));
    }

    #[test]
    fn joins_resources_and_targets() {
        let mut r = EventRow {
            path: "/healthz".into(),
            ..EventRow::default()
        };
        assert_eq!(r.resource_or_path(), "/healthz");
        assert_eq!(r.resource_path(), "");
        assert_eq!(r.target(), "");
        assert_eq!(r.target_or_path(), "/healthz");
        r.resource = "pods".into();
        r.subresource = "exec".into();
        r.namespace = "shop".into();
        assert_eq!(r.resource_or_path(), "pods/exec");
        assert_eq!(r.target(), "shop/");
        r.name = "web-0".into();
        assert_eq!(r.target_or_path(), "shop/web-0");
    }
}

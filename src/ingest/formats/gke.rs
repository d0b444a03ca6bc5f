//! GKE: a Cloud Logging `LogEntry` whose `protoPayload` is a `google.cloud.audit.AuditLog`
//! written by `k8s.io`. The entry is reshaped into a native event and normalized as one; the
//! stored record is the whole `LogEntry`.
//!
//! What the shape cannot carry: groups, `user.extra` (credential lineage), impersonation,
//! `level`, the query string of the request (the path is rebuilt from `resourceName`), and
//! the HTTP code (mapped back from the gRPC code: 0 → 200, 7 → 403, 16 → 401, `UNKNOWN` on
//! exec/attach/portforward → 101, …).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::native::{self, RawEvent, RawObjectRef, RawStatus, RawUser, Str};
use super::{Decoded, NormalizeOptions, paths};
use crate::ingest::RecordError;
use crate::model::{AuditEvent, Micros, SourceFormat, SourceRef};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogEntry<'a> {
    #[serde(borrow, default)]
    proto_payload: Option<AuditLog<'a>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    timestamp: Option<Str<'a>>,
    /// When Cloud Logging received the entry: the time of last resort.
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    receive_timestamp: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    insert_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    labels: Option<BTreeMap<Str<'a>, Str<'a>>>,
    #[serde(borrow, default)]
    operation: Option<Operation<'a>>,
    #[serde(borrow, default)]
    resource: Option<Resource<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditLog<'a> {
    /// Not part of the AuditLog message, but some hand-made records put the time here.
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    timestamp: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    service_name: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    method_name: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    resource_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    authentication_info: Option<AuthInfo<'a>>,
    #[serde(default)]
    authorization_info: Option<Vec<AuthzInfo>>,
    #[serde(borrow, default)]
    request_metadata: Option<RequestMetadata<'a>>,
    #[serde(borrow, default)]
    status: Option<GrpcStatus<'a>>,
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthInfo<'a> {
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    principal_email: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct AuthzInfo {
    #[serde(default)]
    granted: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestMetadata<'a> {
    #[serde(
        borrow,
        default,
        alias = "callerIP",
        deserialize_with = "super::native::opt_str"
    )]
    caller_ip: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    caller_supplied_user_agent: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct GrpcStatus<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    message: Option<Str<'a>>,
}

/// A `metav1.Status` response body: a failed request when `status` is `Failure`.
#[derive(Deserialize)]
struct StatusBody<'a> {
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    status: Option<Str<'a>>,
    #[serde(default)]
    code: Option<i64>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    reason: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    message: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Operation<'a> {
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    id: Option<Str<'a>>,
    #[serde(default)]
    first: Option<bool>,
    #[serde(default)]
    last: Option<bool>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow, default)]
    labels: Option<BTreeMap<Str<'a>, Str<'a>>>,
}

/// Decodes a record that names a `protoPayload`; `None` when it has none at the top level
/// (a native event that merely mentions the word).
pub fn decode<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Option<Result<Decoded<'a>, RecordError>> {
    let entry: LogEntry<'a> = match serde_json::from_str(json) {
        Ok(e) => e,
        Err(e) => return Some(Err(RecordError::from_json::<LogEntry<'_>>(&e, json))),
    };
    entry.proto_payload.as_ref()?;
    Some(normalize(entry, source, opts).map(|event| Decoded {
        event,
        raw: Cow::Borrowed(json),
    }))
}

/// Parses a stored `LogEntry`.
pub fn parse(
    json: &str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Result<AuditEvent, RecordError> {
    let entry: LogEntry<'_> =
        serde_json::from_str(json).map_err(|e| RecordError::from_json::<LogEntry<'_>>(&e, json))?;
    normalize(entry, source, opts)
}

fn normalize(
    entry: LogEntry<'_>,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Result<AuditEvent, RecordError> {
    let Some(log) = entry.proto_payload else {
        return Err(RecordError::NotAnEvent("no protoPayload".to_owned()));
    };
    let method = log.method_name.as_deref().unwrap_or_default();
    let is_k8s = log.service_name.as_deref() == Some("k8s.io") || method.starts_with("io.k8s.");
    if !is_k8s {
        return Err(RecordError::NotAudit(format!(
            "a Cloud Audit Log entry of {:?} ({method}), not Kubernetes",
            log.service_name.as_deref().unwrap_or_default()
        )));
    }
    let verb = method.rsplit('.').next().unwrap_or_default().to_owned();
    let resource_name = log.resource_name.as_deref().unwrap_or_default();
    let (object, uri) = object_and_uri(resource_name, method);
    let mut annotations = entry.labels.unwrap_or_default();
    let granted = log
        .authorization_info
        .as_ref()
        .and_then(|a| a.first())
        .and_then(|a| a.granted);
    if let Some(g) = granted {
        annotations
            .entry(Cow::Borrowed("authorization.k8s.io/decision"))
            .or_insert(Cow::Borrowed(if g { "allow" } else { "forbid" }));
    }
    let operation = entry.operation;
    let stage = operation.as_ref().and_then(|o| match (o.first, o.last) {
        (_, Some(true)) => Some(Cow::Borrowed("ResponseComplete")),
        (Some(true), _) => Some(Cow::Borrowed("ResponseStarted")),
        _ => None,
    });
    let time = event_time([
        ("timestamp", entry.timestamp),
        ("protoPayload.timestamp", log.timestamp),
        ("receiveTimestamp", entry.receive_timestamp),
    ])?;
    let upgrades = object
        .as_ref()
        .and_then(|o| o.subresource.as_deref())
        .is_some_and(|s| UPGRADING.contains(&s));
    let mut status = log.status.map(|s| {
        let (code, reason) = http_status(s.code.unwrap_or(0), upgrades);
        RawStatus {
            code,
            reason: reason.map(Cow::Borrowed),
            message: s.message.filter(|m| !m.is_empty()),
        }
    });
    if let Some(failed) = failure(log.response) {
        status = Some(failed);
    }
    let meta = log.request_metadata;
    let (ip, ua) = meta.map_or((None, None), |m| {
        (m.caller_ip, m.caller_supplied_user_agent)
    });
    let raw = RawEvent {
        audit_id: operation.and_then(|o| o.id).or(entry.insert_id),
        stage,
        request_uri: Some(Cow::Owned(uri)),
        verb: Some(Cow::Owned(verb)),
        // No `authenticationInfo` at all says nothing about the user (unknown); an empty
        // one is a request that carried no identity (anonymous), like native `user: {}`.
        user: log.authentication_info.map(|a| RawUser {
            username: a.principal_email,
            ..RawUser::default()
        }),
        source_ips: ip.map(|ip| vec![ip]),
        user_agent: ua,
        object_ref: object,
        response_status: status,
        request_object: log.request,
        response_object: log.response,
        request_received_timestamp: time.clone(),
        stage_timestamp: time,
        annotations: Some(native::Pairs(
            (annotations.into_iter())
                .map(|(k, v)| (native::Text(k), native::Text(v)))
                .collect(),
        )),
        ..RawEvent::default()
    };
    let mut event = native::normalize(raw, source.clone(), opts)?;
    event.format = SourceFormat::Gke;
    event.cluster = entry
        .resource
        .and_then(|r| r.labels)
        .and_then(|mut l| l.remove("cluster_name"))
        .map(Cow::into_owned)
        .unwrap_or_default();
    Ok(event)
}

/// The object and request path, from `resourceName` (else from `methodName`).
fn object_and_uri<'a>(
    resource_name: &'a str,
    method: &'a str,
) -> (Option<RawObjectRef<'a>>, String) {
    let parts = paths::from_resource_name(resource_name).or_else(|| from_method(method));
    match parts {
        Some(p) => {
            let uri = paths::to_uri(&p);
            let s = |v: &'a str| (!v.is_empty()).then_some(Cow::Borrowed(v));
            let object = RawObjectRef {
                resource: s(p.resource),
                namespace: s(p.namespace),
                name: s(p.name),
                api_group: Some(Cow::Borrowed(p.group)),
                api_version: s(p.version),
                subresource: s(p.subresource),
            };
            (Some(object), uri)
        }
        None if resource_name.is_empty() => (None, String::new()),
        None => (None, format!("/{}", resource_name.trim_start_matches('/'))),
    }
}

/// `io.k8s.<group>.<version>.<resource>[.<subresource>].<verb>` when `resourceName` is absent.
fn from_method(method: &str) -> Option<paths::PathParts<'_>> {
    let rest = method.strip_prefix("io.k8s.")?;
    let segs: Vec<&str> = rest.split('.').collect();
    let v = segs.iter().position(|s| {
        s.strip_prefix('v')
            .and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_digit())
    })?;
    let tail = segs.get(v + 1..segs.len().checked_sub(1)?)?;
    let resource = *tail.first()?;
    let group_end = segs[..v].iter().map(|s| s.len() + 1).sum::<usize>();
    let group = rest.get(..group_end.saturating_sub(1)).unwrap_or_default();
    Some(paths::PathParts {
        group: if group == "core" { "" } else { group },
        version: segs[v],
        resource,
        subresource: tail.get(1).copied().unwrap_or_default(),
        ..paths::PathParts::default()
    })
}

/// The status of a request whose response body is a `Failure` Status: its own code, else
/// 500 (the request failed, the record does not say how).
fn failure<'a>(response: Option<&'a RawValue>) -> Option<RawStatus<'a>> {
    let body = response?.get();
    memchr::memmem::find(body.as_bytes(), b"\"Failure\"")?;
    let s: StatusBody<'a> = serde_json::from_str(body).ok()?;
    (s.status.as_deref() == Some("Failure")).then(|| RawStatus {
        code: Some(s.code.unwrap_or(500)),
        reason: s.reason,
        message: s.message,
    })
}

/// The event time: the first of the entry's times present, which must be a real time (a bad
/// one is not replaced by the next: the record is rejected naming it).
fn event_time<'a>(
    candidates: [(&str, Option<Str<'a>>); 3],
) -> Result<Option<Str<'a>>, RecordError> {
    let Some((field, time)) = candidates
        .into_iter()
        .find_map(|(f, t)| t.filter(|t| !t.is_empty()).map(|t| (f, t)))
    else {
        return Ok(None);
    };
    match Micros::parse_checked(&time) {
        Ok(_) => Ok(Some(time)),
        Err(e) => Err(RecordError::BadValue(format!("{field} {time:?}: {e}"))),
    }
}

/// Subresources whose successful request upgrades the connection (HTTP 101).
const UPGRADING: &[&str] = &["exec", "attach", "portforward"];

/// The HTTP code behind a gRPC status code (the inverse of Cloud Logging's mapping), and
/// the gRPC code's name when no HTTP code can be told. `UNKNOWN` on a stream is the upgraded
/// connection (101 has no gRPC equivalent); elsewhere it, `CANCELLED` and codes outside the
/// table leave the code empty: the outcome is unknown, not a failure (see docs/formats.md).
fn http_status(grpc: i64, upgrades: bool) -> (Option<i64>, Option<&'static str>) {
    let code = match grpc {
        0 => 200,
        1 => return (None, Some("CANCELLED")),
        2 if upgrades => 101,
        2 => return (None, Some("UNKNOWN")),
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        13 | 15 => 500,
        14 => 503,
        16 => 401,
        _ => return (None, None),
    };
    (Some(code), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = r#"{"insertId":"01d3","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","operation":{"id":"op-1","producer":"k8s.io","first":true,"last":true},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"alice@example.com"},"methodName":"io.k8s.core.v1.pods.exec.create","requestMetadata":{"callerIp":"198.51.100.23","callerSuppliedUserAgent":"kubectl/v1.29.1"},"resourceName":"core/v1/namespaces/default/pods/web-0/exec","serviceName":"k8s.io","status":{},"request":{"@type":"k8s.io/Kubernetes/core.v1.PodExecOptions","command":["sh","-c","id"],"container":"web","stdin":true,"tty":true}},"resource":{"type":"k8s_cluster","labels":{"cluster_name":"prod-1"}},"timestamp":"2024-01-02T03:04:05.129747Z","labels":{"authorization.k8s.io/decision":"allow"}}"#;

    #[test]
    fn maps_an_exec_entry() {
        let d = decode(ENTRY, &SourceRef::default(), NormalizeOptions::default())
            .unwrap()
            .unwrap();
        let e = d.event;
        assert_eq!(e.format, SourceFormat::Gke);
        assert_eq!(e.cluster, "prod-1");
        assert_eq!(e.audit_id, "op-1");
        assert_eq!(e.verb, "create");
        assert_eq!(
            (e.object.resource.as_str(), e.object.subresource.as_str()),
            ("pods", "exec")
        );
        assert_eq!(
            (e.object.namespace.as_str(), e.object.name.as_str()),
            ("default", "web-0")
        );
        assert_eq!(e.user.username, "alice@example.com");
        assert!(e.user.groups.is_empty());
        assert_eq!(e.peer_ip(), Some("198.51.100.23"));
        assert_eq!(e.ua_family, "kubectl");
        assert_eq!(e.code, Some(200));
        assert_eq!(e.decision, "allow");
        assert_eq!(e.request_uri, "/api/v1/namespaces/default/pods/web-0/exec");
        assert_eq!(e.exec.unwrap().command, vec!["sh", "-c", "id"]);
        let again = parse(&d.raw, &SourceRef::default(), NormalizeOptions::default()).unwrap();
        assert_eq!(again.cluster, "prod-1");
    }

    #[test]
    fn denied_and_non_k8s_entries() {
        let denied = ENTRY
            .replace(
                r#""status":{}"#,
                r#""status":{"code":7,"message":"forbidden"}"#,
            )
            .replace(r#","labels":{"authorization.k8s.io/decision":"allow"}"#, "");
        let e = parse(&denied, &SourceRef::default(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.code, Some(403));
        assert!(!e.allowed());
        let failed = ENTRY.replace(
            r#""status":{},"#,
            r#""response":{"kind":"Status","status":"Failure","code":422,"reason":"Invalid"},"#,
        );
        let e = parse(&failed, &SourceRef::default(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.code, Some(422));
        let other = r#"{"protoPayload":{"methodName":"v2.deploymentmanager.deployments.insert","serviceName":"deploymentmanager.googleapis.com"},"timestamp":"2024-01-19T13:47:18Z"}"#;
        let err = parse(other, &SourceRef::default(), NormalizeOptions::default()).unwrap_err();
        assert_eq!(err.kind(), "not-audit");
    }

    #[test]
    fn method_name_fallback() {
        let p = from_method("io.k8s.authorization.rbac.v1.clusterrolebindings.create").unwrap();
        assert_eq!(
            (p.group, p.resource),
            ("authorization.rbac", "clusterrolebindings")
        );
        let p = from_method("io.k8s.core.v1.pods.exec.create").unwrap();
        assert_eq!((p.group, p.resource, p.subresource), ("", "pods", "exec"));
        assert!(from_method("io.k8s.get").is_none());
        // Regression: a method name ending at its version sliced out of bounds.
        assert!(from_method("io.k8s.core.v1").is_none());
        assert!(from_method("io.k8s.v1").is_none());
    }

    #[test]
    fn regression_gke_exec_unknown_status_is_the_upgraded_stream_not_a_500() {
        let unknown = ENTRY.replace(
            r#""status":{}"#,
            r#""status":{"code":2,"message":"UNKNOWN"}"#,
        );
        let e = parse(&unknown, &SourceRef::default(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.code, Some(101), "the native twin logs 101");
        assert!(e.allowed());
        assert_eq!(e.status_reason, "");
        // UNKNOWN elsewhere: the outcome is not known, which is not a failure.
        let get = unknown
            .replace("pods.exec.create", "pods.get")
            .replace("pods/web-0/exec", "pods/web-0");
        let e = parse(&get, &SourceRef::default(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.code, None);
        assert_eq!(e.status_reason, "UNKNOWN");
        assert!(e.allowed(), "decision from the labels");
    }

    #[test]
    fn grpc_codes_map_to_their_http_codes() {
        let want = [
            (0, Some(200)),
            (1, None),
            (3, Some(400)),
            (4, Some(504)),
            (5, Some(404)),
            (6, Some(409)),
            (7, Some(403)),
            (8, Some(429)),
            (9, Some(400)),
            (10, Some(409)),
            (12, Some(501)),
            (13, Some(500)),
            (14, Some(503)),
            (16, Some(401)),
            (42, None),
        ];
        for (grpc, http) in want {
            assert_eq!(http_status(grpc, false).0, http, "gRPC {grpc}");
        }
        assert_eq!(http_status(2, true), (Some(101), None));
        assert_eq!(http_status(2, false), (None, Some("UNKNOWN")));
    }

    #[test]
    fn regression_gke_timestamp_that_does_not_exist_is_rejected_not_replaced() {
        let bad = ENTRY.replace("2024-01-02T03:04:05.129747Z", "2024-02-30T03:04:05.129747Z");
        let bad = bad.replace(
            r#""timestamp":"2024-02-30"#,
            r#""receiveTimestamp":"2024-01-02T03:04:06Z","timestamp":"2024-02-30"#,
        );
        assert!(bad.contains("receiveTimestamp"));
        let err = parse(&bad, &SourceRef::default(), NormalizeOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("timestamp \"2024-02-30T03:04:05.129747Z\""),
            "{msg}"
        );
        assert!(msg.contains("day 30 of 2024-02 does not exist"), "{msg}");
        let far = ENTRY.replace("2024-01-02T03:04:05.129747Z", "9999-12-31T23:59:59Z");
        let err = parse(&far, &SourceRef::default(), NormalizeOptions::default()).unwrap_err();
        assert!(err.to_string().contains("outside the times"), "{err}");
    }

    #[test]
    fn an_entry_without_authentication_info_has_an_unknown_actor() {
        let none = ENTRY.replace(
            r#""authenticationInfo":{"principalEmail":"alice@example.com"},"#,
            "",
        );
        let e = parse(&none, &SourceRef::default(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.actor.kind, crate::model::ActorKind::Unknown);
        let empty = ENTRY.replace(r#"{"principalEmail":"alice@example.com"}"#, "{}");
        let e = parse(&empty, &SourceRef::default(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.actor.kind, crate::model::ActorKind::Anonymous);
    }
}

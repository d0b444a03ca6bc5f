//! The 16 `SigmaHQ` Kubernetes audit rules (the public fixtures in
//! `shared/conformance/sigma/rules`, DRL 1.1, not copied here): every one loads, and each
//! fires on an event written for it and not on its benign near miss. The events run through
//! the real decoder and the detect pass (row first, the event only when needed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use kubesift::detect::sigma::{self, SigmaSet};
use kubesift::detect::{Rows, engine};
use kubesift::model::{AuditEvent, SourceRef};
use kubesift::{NormalizeOptions, decode_record};
use serde_json::{Value, json};

fn rules_dir() -> Option<std::path::PathBuf> {
    common::conformance_dir().map(|d| d.join("sigma").join("rules"))
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "call sites pass `json!` literals"
)]
/// One audit event; `o` adds or replaces members (`objectRef`, `responseStatus`, bodies).
fn ev(id: &str, verb: &str, resource: &str, o: Value) -> Value {
    let mut e = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": id, "stage": "ResponseComplete",
        "requestURI": format!("/api/v1/namespaces/shop/{resource}"),
        "verb": verb,
        "user": {"username": "mallory@example.com", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.5"], "userAgent": "kubectl/v1.29.1",
        "objectRef": {"resource": resource, "namespace": "shop", "apiVersion": "v1"},
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": "2026-01-10T08:00:00.000000Z",
        "stageTimestamp": "2026-01-10T08:00:00.010000Z"
    });
    for (k, v) in o.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

fn obj(resource: &str, sub: &str, group: &str, ns: &str) -> Value {
    let mut o = json!({"resource": resource, "namespace": ns, "apiVersion": "v1"});
    if !sub.is_empty() {
        o["subresource"] = json!(sub);
    }
    if !group.is_empty() {
        o["apiGroup"] = json!(group);
    }
    o
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "call sites pass `json!` literals"
)]
fn pod(spec: Value) -> Value {
    json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "x"}, "spec": spec})
}

/// Per rule id: the event it must fire on, and the benign near miss it must not.
#[expect(
    clippy::too_many_lines,
    reason = "one pair of events per rule, 16 rules"
)]
fn cases() -> Vec<(&'static str, Value, Value)> {
    let o = |r, s, g, n| json!({"objectRef": obj(r, s, g, n)});
    let with = |mut base: Value, k: &str, v: Value| {
        base[k] = v;
        base
    };
    vec![
        (
            "eed82177-38f5-4299-8a76-098d50d225ab",
            ev(
                "admission-fit",
                "create",
                "mutatingwebhookconfigurations",
                o(
                    "mutatingwebhookconfigurations",
                    "",
                    "admissionregistration.k8s.io",
                    "",
                ),
            ),
            ev(
                "admission-miss",
                "list",
                "mutatingwebhookconfigurations",
                o(
                    "mutatingwebhookconfigurations",
                    "",
                    "admissionregistration.k8s.io",
                    "",
                ),
            ),
        ),
        (
            "0c9b3bda-41a6-4442-9345-356ae86343dc",
            ev(
                "cronjob-fit",
                "create",
                "cronjobs",
                o("cronjobs", "", "batch", "shop"),
            ),
            ev(
                "cronjob-miss",
                "get",
                "cronjobs",
                o("cronjobs", "", "batch", "shop"),
            ),
        ),
        (
            "40967487-139b-4811-81d9-c9767a92aa5a",
            ev(
                "deploy-del-fit",
                "delete",
                "deployments",
                o("deployments", "", "apps", "shop"),
            ),
            ev(
                "deploy-del-miss",
                "delete",
                "replicasets",
                o("replicasets", "", "apps", "shop"),
            ),
        ),
        (
            "3132570d-cab2-4561-9ea6-1743644b2290",
            ev(
                "events-del-fit",
                "delete",
                "events",
                o("events", "", "", "shop"),
            ),
            ev(
                "events-del-miss",
                "create",
                "events",
                o("events", "", "", "shop"),
            ),
        ),
        (
            "a1b0ca4e-7835-413e-8471-3ff2b8a66be6",
            ev("exec-fit", "create", "pods", o("pods", "exec", "", "shop")),
            ev("exec-miss", "get", "pods", o("pods", "log", "", "shop")),
        ),
        (
            "402b955c-8fe0-4a8c-b635-622b4ac5f902",
            with(
                ev("hostpath-fit", "create", "pods", o("pods", "", "", "shop")),
                "requestObject",
                pod(
                    json!({"containers": [{"name": "c", "image": "busybox"}], "volumes": [{"name": "host", "hostPath": {"path": "/", "type": "Directory"}}]}),
                ),
            ),
            with(
                ev("hostpath-miss", "create", "pods", o("pods", "", "", "shop")),
                "requestObject",
                pod(
                    json!({"containers": [{"name": "c", "image": "busybox"}], "volumes": [{"name": "tmp", "emptyDir": {}}]}),
                ),
            ),
        ),
        (
            "a80d927d-ac6e-443f-a867-e8d6e3897318",
            ev(
                "sysns-fit",
                "create",
                "pods",
                o("pods", "", "", "kube-system"),
            ),
            ev("sysns-miss", "create", "pods", o("pods", "", "", "default")),
        ),
        (
            "c5cd1b20-36bb-488d-8c05-486be3d0cb97",
            with(
                ev("caps-fit", "create", "pods", o("pods", "", "", "shop")),
                "requestObject",
                pod(
                    json!({"containers": [{"name": "c", "image": "busybox", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}),
                ),
            ),
            with(
                ev("caps-miss", "create", "pods", o("pods", "", "", "shop")),
                "requestObject",
                pod(
                    json!({"containers": [{"name": "c", "image": "busybox", "securityContext": {"runAsNonRoot": true}}]}),
                ),
            ),
        ),
        (
            "84b777bd-c946-4d17-aa2e-c39f5a454325",
            ev(
                "canilist-fit",
                "create",
                "selfsubjectrulesreviews",
                o("selfsubjectrulesreviews", "", "authorization.k8s.io", ""),
            ),
            ev(
                "canilist-miss",
                "create",
                "selfsubjectaccessreviews",
                o("selfsubjectaccessreviews", "", "authorization.k8s.io", ""),
            ),
        ),
        (
            "10b97915-ec8d-455f-a815-9a78926585f6",
            ev(
                "rb-fit",
                "create",
                "rolebindings",
                o("rolebindings", "", "rbac.authorization.k8s.io", "shop"),
            ),
            ev(
                "rb-miss",
                "get",
                "rolebindings",
                o("rolebindings", "", "rbac.authorization.k8s.io", "shop"),
            ),
        ),
        (
            "eeb3e9e1-b685-44e4-9232-6bb701f925b5",
            ev(
                "sec-list-fit",
                "list",
                "secrets",
                o("secrets", "", "", "shop"),
            ),
            ev(
                "sec-list-miss",
                "get",
                "secrets",
                o("secrets", "", "", "shop"),
            ),
        ),
        (
            "58d31a75-a4f8-4c40-985b-373d58162ca2",
            ev(
                "sec-mod-fit",
                "delete",
                "secrets",
                o("secrets", "", "", "shop"),
            ),
            ev(
                "sec-mod-miss",
                "watch",
                "secrets",
                o("secrets", "", "", "shop"),
            ),
        ),
        (
            "e31bae15-83ed-473e-bf31-faf4f8a17d36",
            ev(
                "sa-fit",
                "create",
                "serviceaccounts",
                o("serviceaccounts", "", "", "shop"),
            ),
            ev(
                "sa-miss",
                "get",
                "serviceaccounts",
                o("serviceaccounts", "", "", "shop"),
            ),
        ),
        (
            "ad9012a6-e518-4432-9890-f3b82b8fc71f",
            ev(
                "sidecar-fit",
                "patch",
                "deployments",
                o("deployments", "", "apps", "shop"),
            ),
            ev(
                "sidecar-miss",
                "patch",
                "statefulsets",
                o("statefulsets", "", "apps", "shop"),
            ),
        ),
        (
            "0d933542-1f1f-420d-97d4-21b2c3c492d9",
            with(
                ev("denied-fit", "get", "secrets", o("secrets", "", "", "shop")),
                "responseStatus",
                json!({"code": 403}),
            ),
            with(
                ev(
                    "denied-miss",
                    "get",
                    "secrets",
                    o("secrets", "", "", "shop"),
                ),
                "responseStatus",
                json!({"code": 404}),
            ),
        ),
        // Its `responseStatus.code: 'ALLOW'` can never equal a numeric code: the rule never
        // fires on a real audit log (see the test below); its near miss stays quiet.
        (
            "597a7e84-187d-458b-9e4f-2f5a0e676711",
            Value::Null,
            with(
                ev("enum-miss", "list", "secrets", o("secrets", "", "", "")),
                "userAgent",
                json!("trufflehog/3.63.0"),
            ),
        ),
    ]
}

fn decode(v: &Value) -> AuditEvent {
    let text = v.to_string();
    decode_record(
        &text,
        &SourceRef::default(),
        NormalizeOptions { whole: true },
    )
    .remove(0)
    .unwrap()
    .event
}

/// Which events (audit IDs) each Sigma rule's findings stand on.
fn fired(set: &SigmaSet, events: &[Value]) -> Vec<(String, BTreeSet<String>)> {
    let decoded: Vec<AuditEvent> = events.iter().map(decode).collect();
    let rows = Rows::from_events(&decoded);
    let findings = engine::sigma_only(&rows, &set.rules, &decoded).unwrap();
    findings
        .into_iter()
        .map(|f| (f.rule_id, f.audit_ids.into_iter().collect()))
        .collect()
}

fn fired_on(all: &[(String, BTreeSet<String>)], rule: &str) -> BTreeSet<String> {
    all.iter()
        .filter(|(r, _)| r == &format!("sigma:{rule}"))
        .flat_map(|(_, ids)| ids.iter().cloned())
        .collect()
}

#[test]
fn every_sigmahq_kubernetes_rule_loads_and_fires_on_its_event_but_not_on_its_near_miss() {
    let Some(dir) = rules_dir() else { return };
    let set = sigma::load(&[dir.as_path()]).unwrap();
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    assert_eq!(set.rules.len(), 16);
    let cases = cases();
    let loaded: BTreeSet<&str> = set.rules.iter().map(|r| r.sigma_id.as_str()).collect();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.0).collect();
    assert_eq!(loaded, covered, "a case for every rule");
    let events: Vec<Value> = cases
        .iter()
        .flat_map(|(_, fit, miss)| [fit.clone(), miss.clone()])
        .filter(|e| !e.is_null())
        .collect();
    let all = fired(&set, &events);
    let mut failures = Vec::new();
    for (rule, fit, miss) in &cases {
        let ids = fired_on(&all, rule);
        if let Some(id) = fit["auditID"].as_str()
            && !ids.contains(id)
        {
            failures.push(format!("{rule}: did not fire on {id}"));
        }
        let miss_id = miss["auditID"].as_str().unwrap();
        if ids.contains(miss_id) {
            failures.push(format!("{rule}: fired on its near miss {miss_id}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// `kubernetes_audit_potential_enumeration_activity.yml` requires
/// `responseStatus.code: 'ALLOW'`: a code is a number (200, 403), so the rule cannot match a
/// real event. With the status test written as a number, the rest of the rule (`1 of
/// selection_request_*`, `contains` lists) fires as meant.
#[test]
fn enumeration_rule_with_status_allow_never_matches_a_numeric_code_but_fires_once_corrected() {
    let Some(dir) = rules_dir() else { return };
    let path = dir.join("kubernetes_audit_potential_enumeration_activity.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let tool = ev(
        "enum-tool",
        "list",
        "secrets",
        json!({"userAgent": "trufflehog/3.63.0", "requestURI": "/api/v1/secrets"}),
    );
    let exec = ev(
        "enum-exec",
        "create",
        "pods",
        json!({
        "objectRef": obj("pods", "exec", "", "shop"),
        "requestURI": "/api/v1/namespaces/shop/pods/web/exec?command=%2Fbin%2Fsh&stdin=true",
        "responseStatus": {"code": 101}}),
    );
    let benign = ev(
        "enum-benign",
        "list",
        "secrets",
        json!({"requestURI": "/api/v1/secrets"}),
    );
    let events = [tool, exec, benign];

    let original = SigmaSet {
        rules: vec![sigma::parse("enum.yml", &text).unwrap()],
        problems: vec![],
    };
    assert!(
        fired(&original, &events).is_empty(),
        "a string status matched a numeric code"
    );

    let corrected = text.replace(
        "responseStatus.code: 'ALLOW'",
        "responseStatus.code|gte: 100",
    );
    assert_ne!(
        corrected, text,
        "the rule no longer has `'ALLOW'`: update this test"
    );
    let set = SigmaSet {
        rules: vec![sigma::parse("enum.yml", &corrected).unwrap()],
        problems: vec![],
    };
    let ids = fired_on(
        &fired(&set, &events),
        "597a7e84-187d-458b-9e4f-2f5a0e676711",
    );
    let want: BTreeSet<String> = ["enum-tool", "enum-exec"].map(String::from).into();
    assert_eq!(ids, want);
}

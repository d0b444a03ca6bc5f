//! The evaluator on events decoded as ingest decodes them: field paths, modifiers, the row
//! pass agreeing with the event pass, and the event loaded only when the row cannot decide.

use serde_json::json;

use super::eval::{self, Tri};
use super::*;
use crate::detect::Rows;
use crate::model::{AuditEvent, SourceRef};

fn decode(v: &serde_json::Value) -> AuditEvent {
    let text = v.to_string();
    let mut out = crate::decode_record(
        &text,
        &SourceRef::default(),
        crate::NormalizeOptions { whole: true },
    );
    out.remove(0).unwrap().event
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "call sites pass `json!` literals"
)]
fn event(id: &str, verb: &str, resource: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut e = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": id, "stage": "ResponseComplete",
        "requestURI": format!("/api/v1/namespaces/shop/{resource}"),
        "verb": verb,
        "user": {"username": "Alice@Example.com", "groups": ["system:authenticated"]},
        "sourceIPs": ["203.0.113.9", "10.0.0.5"], "userAgent": "kubectl/v1.29.1",
        "objectRef": {"resource": resource, "namespace": "shop", "apiVersion": "v1"},
        "responseStatus": {"code": 201},
        "requestReceivedTimestamp": "2026-01-10T08:00:00.000000Z",
        "stageTimestamp": "2026-01-10T08:00:00.010000Z",
        "annotations": {"authorization.k8s.io/decision": "allow"}
    });
    if let (Some(m), Some(x)) = (e.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            m.insert(k.clone(), v.clone());
        }
    }
    e
}

fn rule(detection: &str) -> SigmaRule {
    let text = format!(
        "title: Test rule\nid: test-1\nauthor: Jane Analyst\nlevel: high\ntags: [attack.credential-access, attack.t1552.007]\nlogsource:\n  product: kubernetes\n  service: audit\ndetection:\n{detection}"
    );
    parse("test.yml", &text).unwrap_or_else(|p| panic!("{p}"))
}

fn on_json(r: &SigmaRule, e: &serde_json::Value) -> bool {
    eval::holds(&r.detection, &eval::audit_json(&decode(e)))
}

#[test]
fn field_paths_reach_nested_members_dotted_keys_arrays_and_bare_names_at_any_depth() {
    let pod = event(
        "p",
        "create",
        "pods",
        json!({"requestObject": {"kind": "Pod", "spec": {"volumes": [
            {"name": "a", "emptyDir": {}},
            {"name": "root", "hostPath": {"path": "/", "type": "Directory"}}]}}}),
    );
    let dotted = rule(
        "  sel:\n    annotations.authorization.k8s.io/decision: allow\n    requestObject.spec.volumes.hostPath.path: /\n    user.username: alice@example.com\n  condition: sel",
    );
    assert!(on_json(&dotted, &pod));
    let bare = rule("  sel:\n    hostPath: '*'\n  condition: sel");
    assert!(on_json(&bare, &pod));
    let no_host = event(
        "q",
        "create",
        "pods",
        json!({"requestObject": {"spec": {"volumes": [{"emptyDir": {}}]}}}),
    );
    assert!(!on_json(&bare, &no_host));
}

#[test]
fn modifiers_compare_as_sigma_says() {
    let e = event("m", "get", "secrets", json!({}));
    let cases = [
        ("userAgent|startswith: KUBECTL/", true),
        ("userAgent|endswith: '1.29.1'", true),
        ("userAgent|contains|cased: KUBECTL", false),
        ("userAgent|re: '^kubectl/v1\\.2[0-9]'", true),
        ("sourceIPs|cidr: 203.0.113.0/24", true),
        ("sourceIPs|all: ['203.0.113.9', '10.0.0.5']", true),
        ("responseStatus.code|gte: 200", true),
        ("responseStatus.code|lt: 200", false),
        ("objectRef.subresource: null", true),
        ("objectRef.name|exists: false", true),
        ("verb: [list, get]", true),
        ("verb: 'g?t'", true),
        ("verb: 'ge\\*'", false),
        ("responseStatus.code: 'ALLOW'", false),
    ];
    for (test, want) in cases {
        let r = rule(&format!("  sel:\n    {test}\n  condition: sel"));
        assert_eq!(on_json(&r, &e), want, "{test}");
    }
}

#[test]
fn keyword_lists_search_every_value() {
    let e = event("k", "get", "secrets", json!({}));
    assert!(on_json(
        &rule("  kw:\n    - 'Example.com'\n  condition: kw"),
        &e
    ));
    assert!(!on_json(
        &rule("  kw:\n    - trufflehog\n  condition: kw"),
        &e
    ));
}

/// Every rule here decides the same on the row as on the event, whenever the row decides.
#[test]
fn the_row_pass_agrees_with_the_event_pass_whenever_it_decides() {
    let events: Vec<serde_json::Value> = vec![
        event("a", "get", "secrets", json!({})),
        event(
            "b",
            "create",
            "pods",
            json!({"responseStatus": {"code": 403}}),
        ),
        event(
            "c",
            "list",
            "secrets",
            json!({"sourceIPs": ["10.0.0.7"], "userAgent": "trufflehog"}),
        ),
        event(
            "d",
            "patch",
            "deployments",
            json!({"objectRef": {"resource": "deployments", "apiGroup": "apps", "namespace": "shop"}, "responseStatus": {}}),
        ),
    ];
    let detections = [
        "  sel:\n    verb: [get, list]\n    objectRef.resource: secrets\n  condition: sel",
        "  sel:\n    responseStatus.code: [401, 403]\n  condition: sel",
        "  sel:\n    sourceIPs: 10.0.0.5\n  condition: sel",
        "  sel:\n    apiGroup: apps\n  filter:\n    userAgent|contains: kubectl\n  condition: sel and not filter",
        "  s1:\n    userAgent|contains: truffle\n  s2:\n    objectRef.namespace: kube-system\n  condition: 1 of s*",
        "  sel:\n    responseStatus.code: null\n  condition: sel",
        "  sel:\n    verb: create\n  condition: all of them",
    ];
    let decoded: Vec<AuditEvent> = events.iter().map(decode).collect();
    let rows = Rows::from_events(&decoded);
    for d in detections {
        let r = rule(d);
        let mut prep = eval::RowEval::new(&r.detection);
        for row in &rows.rows {
            let on_row = prep.eval(&r.detection, &rows.vocab, row);
            let truth = eval::holds(
                &r.detection,
                &eval::audit_json(&decoded[usize::try_from(row.doc).unwrap()]),
            );
            match on_row {
                Tri::Yes => assert!(truth, "{d}: row said yes, event says no ({})", row.doc),
                Tri::No => assert!(!truth, "{d}: row said no, event says yes ({})", row.doc),
                Tri::Unknown => {}
            }
        }
    }
}

#[test]
fn the_event_is_loaded_only_when_the_row_cannot_decide() {
    let events: Vec<AuditEvent> = (0..50)
        .map(|i| decode(&event(&format!("e{i}"), "get", "configmaps", json!({}))))
        .chain([decode(&event(
            "pod",
            "create",
            "pods",
            json!({"requestObject": {"spec": {"volumes": [{"hostPath": {"path": "/etc"}}]}}}),
        ))])
        .collect();
    let rows = Rows::from_events(&events);
    let rules = vec![
        rule("  sel:\n    verb: delete\n    objectRef.resource: secrets\n  condition: sel"),
        rule(
            "  sel:\n    verb: create\n    objectRef.resource: pods\n    hostPath: '*'\n  condition: sel",
        ),
    ];
    let mut pass = Pass::new(&rules, 0);
    let mut hits = Vec::new();
    for row in &rows.rows {
        pass.observe(&rows.vocab, row, &events, &mut hits);
    }
    assert_eq!(pass.loaded, 1, "only the pod creation needed its body");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].rule, 1);
}

#[test]
fn metadata_becomes_the_findings_contract() {
    let r = rule("  sel:\n    verb: get\n  condition: sel");
    assert_eq!(r.meta.id, "sigma:test-1");
    assert_eq!(r.meta.severity, Severity::High);
    assert_eq!(r.meta.family, Family::SecretAccess);
    assert_eq!(
        r.meta.attack.as_ref().map(|a| a.id.as_str()),
        Some("T1552.007")
    );
    assert!(
        r.meta.description.contains("Sigma rule by Jane Analyst"),
        "{}",
        r.meta.description
    );
    let events = vec![decode(&event("x", "get", "secrets", json!({})))];
    let rows = Rows::from_events(&events);
    let f = crate::detect::engine::sigma_only(&rows, &[r], &events).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule_id, "sigma:test-1");
    assert_eq!(f[0].evidence["sigma"]["author"], "Jane Analyst");
    assert!(
        f[0].summary.contains("Sigma rule by Jane Analyst"),
        "{}",
        f[0].summary
    );
}

#[test]
fn rules_for_other_sources_and_unsupported_rules_are_reported_by_name_and_reason() {
    let other = "title: Windows thing\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n  condition: sel\n";
    let p = parse("w.yml", other).unwrap_err();
    assert!(p.other_source && p.rule == "Windows thing", "{p:?}");
    let bad = "title: Encoded\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  sel:\n    requestURI|base64offset|contains: abc\n  condition: sel\n";
    let p = parse("b.yml", bad).unwrap_err();
    assert!(!p.other_source, "{p:?}");
    assert!(
        p.to_string().contains("rule `Encoded`") && p.reason.contains("base64offset"),
        "{p}"
    );
    let p = parse("y.yml", "title: [unclosed").unwrap_err();
    assert!(p.reason.contains("YAML"), "{p}");
}

use super::*;

const V: &str = "c3VwZXJzZWNyZXQ=";

fn redact(raw: &str, scope: Scope) -> String {
    redact_record(raw, scope).unwrap_or_else(|| raw.to_owned())
}

/// A native record with `body` as its request object.
fn req(body: &str) -> String {
    format!(r#"{{"auditID":"a","objectRef":{{"resource":"secrets"}},"requestObject":{body}}}"#)
}

fn assert_clean(out: &str) {
    assert!(!out.contains(V) && !out.contains("supersecret"), "{out}");
    assert!(out.contains("<redacted"), "{out}");
    serde_json::from_str::<Value>(out).unwrap();
}

#[test]
fn secret_body_values_are_redacted_keys_and_order_kept() {
    let raw = r#"{"auditID":"a","objectRef":{"resource":"secrets"},"requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"data":{"password":"aHVudGVyMg=="},"stringData":{"token":"s3cr3t"}}}"#;
    let out = redact(raw, Scope::Secret);
    assert!(!out.contains("aHVudGVyMg=="), "{out}");
    assert!(!out.contains("s3cr3t"), "{out}");
    assert!(out.contains(r#""password":"<redacted 12 bytes>""#), "{out}");
    assert!(out.contains(r#""name":"db""#));
    // Members other than the bodies are kept as written, in order.
    assert!(
        out.starts_with(r#"{"auditID":"a","objectRef":{"resource":"secrets"},"#),
        "{out}"
    );
}

#[test]
#[expect(clippy::too_many_lines, reason = "a table of shapes")]
fn every_shape_of_a_secret_in_a_body_is_redacted() {
    let secret = format!(r#"{{"kind":"Secret","apiVersion":"v1","data":{{"k":"{V}"}}}}"#);
    let applied = serde_json::to_string(&format!(
        r#"{{"apiVersion":"v1","data":{{"k":"{V}"}},"kind":"Secret"}}"#
    ))
    .unwrap();
    let cases: Vec<(&str, String, Scope)> = vec![
        (
            "list",
            format!(r#"{{"kind":"SecretList","items":[{{"data":{{"k":"{V}"}}}}]}}"#),
            Scope::None,
        ),
        (
            "table",
            format!(r#"{{"kind":"Table","rows":[{{"cells":["a"],"object":{secret}}}]}}"#),
            Scope::None,
        ),
        (
            "table without kinds",
            format!(r#"{{"kind":"Table","rows":[{{"object":{{"data":{{"k":"{V}"}}}}}}]}}"#),
            Scope::Secret,
        ),
        (
            "watch event",
            format!(r#"{{"type":"ADDED","object":{{"data":{{"k":"{V}"}}}}}}"#),
            Scope::Secret,
        ),
        (
            "merge patch",
            r#"{"stringData":{"k":"supersecret"}}"#.to_owned(),
            Scope::Secret,
        ),
        (
            "json patch on a key",
            format!(r#"[{{"op":"add","path":"/data/k","value":"{V}"}}]"#),
            Scope::Secret,
        ),
        (
            "json patch on data",
            format!(r#"[{{"value":{{"k":"{V}"}},"op":"replace","path":"/data"}}]"#),
            Scope::Secret,
        ),
        (
            "json patch with ~1",
            format!(r#"[{{"op":"add","path":"/data/a~1b","value":"{V}"}}]"#),
            Scope::Secret,
        ),
        (
            "json patch on the whole object",
            format!(r#"[{{"op":"replace","path":"","value":{{"data":{{"k":"{V}"}}}}}}]"#),
            Scope::Secret,
        ),
        (
            "json patch on /",
            format!(r#"[{{"op":"replace","path":"/","value":{secret}}}]"#),
            Scope::None,
        ),
        (
            "json patch test op",
            r#"[{"op":"test","path":"/stringData/k","value":"supersecret"}]"#.to_owned(),
            Scope::Secret,
        ),
        (
            "last-applied",
            format!(
                r#"{{"kind":"Secret","metadata":{{"annotations":{{"kubectl.kubernetes.io/last-applied-configuration":{applied}}}}}}}"#
            ),
            Scope::None,
        ),
        (
            "last-applied in a patch",
            format!(
                r#"{{"metadata":{{"annotations":{{"kubectl.kubernetes.io/last-applied-configuration":{applied}}}}}}}"#
            ),
            Scope::Secret,
        ),
        (
            "escaped kind",
            format!(r#"{{"kind":"\u0053ecret","data":{{"k":"{V}"}}}}"#),
            Scope::None,
        ),
        (
            "escaped key",
            format!(r#"{{"kind":"Secret","d\u0061ta":{{"k":"{V}"}}}}"#),
            Scope::None,
        ),
        (
            "gke type",
            format!(r#"{{"@type":"core.k8s.io/v1.Secret","data":{{"k":"{V}"}}}}"#),
            Scope::None,
        ),
        (
            "secret in a list",
            format!(r#"{{"kind":"List","items":[{secret}]}}"#),
            Scope::None,
        ),
        (
            "body as a string",
            serde_json::to_string(&secret).unwrap(),
            Scope::Secret,
        ),
        (
            "hostile kind on the secrets endpoint",
            format!(r#"{{"kind":"ConfigMap","data":{{"k":"{V}"}}}}"#),
            Scope::Secret,
        ),
        (
            "token request",
            format!(r#"{{"kind":"TokenRequest","status":{{"token":"{V}"}}}}"#),
            Scope::None,
        ),
        (
            "token response without kind",
            format!(r#"{{"status":{{"token":"{V}","expirationTimestamp":"x"}}}}"#),
            Scope::TokenRequest,
        ),
        (
            "token review",
            format!(
                r#"{{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{{"token":"{V}"}}}}"#
            ),
            Scope::None,
        ),
    ];
    for (name, body, scope) in cases {
        let out = redact(&req(&body), scope);
        assert!(
            !out.contains(V) && !out.contains("supersecret"),
            "{name}: {out}"
        );
        assert!(out.contains("<redacted"), "{name}: {out}");
        serde_json::from_str::<Value>(&out).unwrap();
    }
}

#[test]
fn patch_keeps_what_is_not_secret() {
    let body = format!(
        r#"[{{"op":"replace","path":"/data/k","value":"{V}"}},{{"op":"add","path":"/metadata/labels/x","value":"keep"}}]"#
    );
    let out = redact(&req(&body), Scope::Secret);
    assert_clean(&out);
    assert!(out.contains(r#""value":"<redacted 16 bytes>""#), "{out}");
    assert!(out.contains(r#""value":"keep""#), "{out}");
}

#[test]
fn last_applied_is_redacted_once_and_stays_json() {
    let applied =
        serde_json::to_string(&format!(r#"{{"kind":"Secret","data":{{"k":"{V}"}}}}"#)).unwrap();
    let body = format!(
        r#"{{"kind":"Secret","metadata":{{"annotations":{{"kubectl.kubernetes.io/last-applied-configuration":{applied}}}}},"data":{{"k":"{V}"}}}}"#
    );
    let out = redact(&req(&body), Scope::Secret);
    assert_clean(&out);
    let v: Value = serde_json::from_str(&out).unwrap();
    let inner = v["requestObject"]["metadata"]["annotations"][body_key()]
        .as_str()
        .unwrap();
    let inner: Value = serde_json::from_str(inner).unwrap();
    assert_eq!(inner["data"]["k"], "<redacted 16 bytes>");
}

fn body_key() -> &'static str {
    "kubectl.kubernetes.io/last-applied-configuration"
}

#[test]
fn gke_and_wrapped_events_are_redacted_where_they_whole() {
    let gke = format!(
        r#"{{"protoPayload":{{"methodName":"io.k8s.core.v1.secrets.create","request":{{"@type":"core.k8s.io/v1.Secret","data":{{"k":"{V}"}}}},"response":{{"@type":"core.k8s.io/v1.Secret","kind":"Secret","apiVersion":"v1","data":{{"k":"{V}"}}}}}},"timestamp":"2024-01-02T03:04:05Z"}}"#
    );
    let out = redact(&gke, Scope::Secret);
    assert_clean(&out);
    assert!(
        out.ends_with(r#","timestamp":"2024-01-02T03:04:05Z"}"#),
        "{out}"
    );
    let event = req(&format!(r#"{{"kind":"Secret","data":{{"k":"{V}"}}}}"#));
    let as_string = serde_json::to_string(&event).unwrap();
    for wrapped in [
        format!(r#"{{"timestamp":1,"message":{as_string}}}"#),
        format!(r#"{{"category":"kube-audit","properties":{{"log":{as_string}}}}}"#),
        format!(r#"{{"category":"kube-audit","properties":{{"log":{event}}}}}"#),
    ] {
        let out = redact(&wrapped, Scope::None);
        assert_clean(&out);
    }
}

#[test]
fn other_objects_and_non_core_secrets_untouched() {
    let cm = req(r#"{"kind":"ConfigMap","data":{"k":"v"}}"#);
    assert!(redact_record(&cm, Scope::None).is_none());
    let custom = req(r#"{"kind":"Secret","apiVersion":"example.com/v1","data":{"k":"v"}}"#);
    assert!(redact_record(&custom, Scope::None).is_none());
    let custom_type = req(r#"{"@type":"example.com/v1.Secret","data":{"k":"v"}}"#);
    assert!(redact_record(&custom_type, Scope::None).is_none());
    let csr = req(
        r#"{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","status":{"certificate":"LS0t"}}"#,
    );
    assert!(redact_record(&csr, Scope::None).is_none());
    // A TokenRequest's request carries no token: nothing to do.
    for status in ["{}", r#"{"token":""}"#, "null"] {
        let token = req(&format!(
            r#"{{"kind":"TokenRequest","spec":{{"audiences":["x"]}},"status":{status}}}"#
        ));
        assert!(
            redact_record(&token, Scope::TokenRequest).is_none(),
            "{status}"
        );
    }
}

#[test]
fn a_body_too_deep_to_read_is_replaced_whole() {
    let deep = format!(
        r#"{{"kind":"Secret","data":{{"k":"{V}"}},"x":{}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let out = redact(&req(&deep), Scope::Secret);
    assert_clean(&out);
}

#[test]
fn scope_from_object_ref_or_path() {
    use crate::ingest::formats::{NormalizeOptions, native};
    let scope = |json: &str| {
        let e = native::parse(
            json,
            crate::model::SourceRef::default(),
            NormalizeOptions::default(),
        )
        .unwrap();
        Scope::of(&e)
    };
    let t = r#""requestReceivedTimestamp":"2024-01-02T03:04:05Z""#;
    assert_eq!(
        scope(&format!(
            r#"{{"auditID":"a",{t},"objectRef":{{"resource":"secrets"}}}}"#
        )),
        Scope::Secret
    );
    assert_eq!(
        scope(&format!(
            r#"{{"auditID":"a",{t},"objectRef":{{"resource":"secrets","apiGroup":"example.com"}}}}"#
        )),
        Scope::None
    );
    assert_eq!(
        scope(&format!(
            r#"{{"auditID":"a",{t},"requestURI":"/api/v1/namespaces/x/secrets/db?fieldManager=k"}}"#
        )),
        Scope::Secret
    );
    assert_eq!(
        scope(&format!(
            r#"{{"auditID":"a",{t},"objectRef":{{"resource":"serviceaccounts","subresource":"token"}}}}"#
        )),
        Scope::TokenRequest
    );
}

#[test]
fn sensitive_kinds_are_spotted_cheaply() {
    for yes in [
        r#""kind":"Secret""#,
        r#"\"kind\":\"Secret\""#,
        r#""kind":"SecretList""#,
        r#""@type":"core.k8s.io/v1.Secret""#,
        r#""kind":"TokenReview""#,
        r#""kind":"\u0053ecret""#,
    ] {
        assert!(mentions_sensitive_kind(yes), "{yes}");
    }
    for no in [
        r#""imagePullSecrets":[{"name":"x"}]"#,
        r#""uri":"/x?a=1\u0026b=\u003c""#,
        r#""automountServiceAccountToken":false"#,
    ] {
        assert!(!mentions_sensitive_kind(no), "{no}");
    }
}

#[test]
fn text_where_a_secret_is_expected_is_replaced_unless_aks_skipped_it() {
    let yaml = req(&serde_json::to_string(&format!("kind: Secret\ndata:\n  k: {V}\n")).unwrap());
    assert_clean(&redact(&yaml, Scope::Secret));
    let skipped = req(r#""skipped-too-big-size-object""#);
    assert!(redact_record(&skipped, Scope::Secret).is_none());
}

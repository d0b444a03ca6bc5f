//! Facts of cluster objects other than pod specs and RBAC, read from the request body of a
//! write (create, update, patch; merge and JSON patches alike): credentials kept in
//! ConfigMaps (`configmap-credential:aws-access-key`), identity mappings of EKS's `aws-auth`
//! (`aws-auth-masters`), exposed Services (`service-type:LoadBalancer`,
//! `service-external-ips`), Ingresses without TLS (`ingress-no-tls`), NetworkPolicies that
//! allow everything (`netpol-allow-all:ingress`), the type of a Secret written
//! (`secret-type:kubernetes.io/service-account-token`) and the account a token Secret is for
//! (`token-for:NAME`); and the kubelet endpoint a `nodes/proxy`
//! request reaches when it runs no command (`kubelet-path:pods`). Called by [`super::facts::extract`]; imports only `model`.

use serde_json::Value;

use crate::model::AuditEvent;

/// Resources whose write bodies this module reads.
pub const RESOURCES: &[&str] = &[
    "configmaps",
    "services",
    "ingresses",
    "networkpolicies",
    "secrets",
];

/// The facts of one event this module knows about, pushed through `push`.
pub fn extract(e: &AuditEvent, request: Option<&str>, push: &mut dyn FnMut(String)) {
    let (resource, sub) = (e.object.resource.as_str(), e.object.subresource.as_str());
    if (resource, sub) == ("nodes", "proxy") {
        // Streaming endpoints (run, exec, attach) are decoded as commands instead.
        if e.exec.is_none()
            && let Some(p) = kubelet_path(&e.request_uri)
        {
            push(format!("kubelet-path:{p}"));
        }
        return;
    }
    if !sub.is_empty()
        || !RESOURCES.contains(&resource)
        || !matches!(e.verb.as_str(), "create" | "update" | "patch")
    {
        return;
    }
    let Some(body) = request.and_then(|s| serde_json::from_str::<Value>(s).ok()) else {
        return;
    };
    let body = merged(body);
    match resource {
        "configmaps" => configmap(&body, push),
        "services" => service(&body, push),
        "ingresses" if e.verb != "patch" => ingress(&body, push),
        "networkpolicies" => netpol(&body, push),
        "secrets" => {
            // The type only: secret values are never read.
            if let Some(t) = body.get("type").and_then(Value::as_str) {
                push(format!(
                    "secret-type:{}",
                    t.chars().take(64).collect::<String>()
                ));
            }
            // The account a legacy token Secret mints a never-expiring token for.
            if let Some(sa) = body
                .pointer("/metadata/annotations/kubernetes.io~1service-account.name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            {
                push(format!(
                    "token-for:{}",
                    sa.chars().take(64).collect::<String>()
                ));
            }
        }
        _ => {}
    }
}

/// A JSON patch's values gathered under their paths' last key (`/data/password` → `{"data":
/// {"password": …}}`), so one reader serves objects, merge patches and JSON patches.
fn merged(body: Value) -> Value {
    let Value::Array(ops) = &body else {
        return body;
    };
    if !ops.iter().all(|o| o.get("op").is_some()) {
        return body;
    }
    let mut out = serde_json::Map::new();
    for op in ops {
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        let Some(v) = op.get("value") else { continue };
        let mut segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let key = segs.pop().unwrap_or_default().replace("~1", "/");
        let parent = segs.last().copied().unwrap_or_default();
        let entry = out
            .entry(parent.to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Value::Object(m) = entry {
            m.insert(key, v.clone());
        }
        if let Value::Object(whole) = v {
            for (k, x) in whole {
                out.insert(k.clone(), x.clone());
            }
        }
    }
    Value::Object(out)
}

/// The first path segment after `/proxy/` of a kubelet request (`pods`, `configz`,
/// `checkpoint`, `metrics`…).
fn kubelet_path(uri: &str) -> Option<String> {
    let path = uri.split('?').next().unwrap_or_default();
    let rest = path.split_once("/proxy")?.1;
    let seg = rest
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let seg = if seg.is_empty() { "/" } else { seg };
    Some(seg.to_ascii_lowercase().chars().take(32).collect())
}

/// Credentials in a ConfigMap's `data`/`binaryData`, and `system:masters` in `aws-auth`.
fn configmap(body: &Value, push: &mut dyn FnMut(String)) {
    for section in ["data", "stringData"] {
        let Some(Value::Object(data)) = body.get(section) else {
            continue;
        };
        for (k, v) in data {
            let Some(text) = v.as_str() else { continue };
            if let Some(kind) = credential_value(text) {
                push(format!("configmap-credential:{kind}"));
            } else if credential_key(k) && secret_looking(text) {
                push("configmap-credential:named".to_owned());
            }
            if matches!(k.as_str(), "mapRoles" | "mapUsers") && text.contains("system:masters") {
                push("aws-auth-masters".to_owned());
            }
        }
    }
}

/// Prefixes of well-known service tokens (GitHub, GitLab, Slack, Stripe, Google, Vault, npm).
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "sk_live_",
    "AIza",
    "hvs.",
    "npm_",
];

/// A value that is a credential whatever its key: AWS access keys, private keys, tokens of
/// well-known services, JWTs, URLs with a password.
fn credential_value(text: &str) -> Option<&'static str> {
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        return Some("private-key");
    }
    if has_aws_key(text) {
        return Some("aws-access-key");
    }
    if text
        .split(|c: char| c.is_whitespace() || "\"'=:,".contains(c))
        .any(|w| w.len() >= 20 && TOKEN_PREFIXES.iter().any(|p| w.starts_with(p)))
    {
        return Some("token");
    }
    if text.split_whitespace().any(is_jwt) {
        return Some("token");
    }
    if has_url_password(text) {
        return Some("password");
    }
    None
}

/// `AKIA`/`ASIA` followed by 16 upper-case letters or digits.
fn has_aws_key(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(19)).any(|i| {
        matches!(&b[i..i + 4], b"AKIA" | b"ASIA")
            && b[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && b.get(i + 20).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

fn is_jwt(w: &str) -> bool {
    let parts: Vec<&str> = w.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts[2].len() >= 16
}

/// `scheme://user:password@host`, the password not a placeholder.
fn has_url_password(text: &str) -> bool {
    text.split_whitespace().any(|w| {
        let Some((_, rest)) = w.split_once("://") else {
            return false;
        };
        let Some((auth, _)) = rest.split_once('@') else {
            return false;
        };
        auth.split_once(':')
            .is_some_and(|(_, pw)| secret_looking(pw) && !pw.contains('/'))
    })
}

/// Key names that hold secrets by convention.
fn credential_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase().replace(['-', '.'], "_");
    crate::model::sanitize::SECRET_KEY_WORDS
        .iter()
        .any(|n| k.contains(n))
        && ![
            "_ttl", "_length", "_file", "_path", "_policy", "_expir", "_timeout", "_name",
        ]
        .iter()
        .any(|s| k.contains(s))
}

/// A value that could be a secret: long enough, not a number, a boolean, a reference
/// (`${VAR}`, `secretKeyRef`) or a placeholder.
fn secret_looking(v: &str) -> bool {
    let v = v.trim();
    let lower = v.to_ascii_lowercase();
    v.len() >= 8
        && !v.contains(char::is_whitespace)
        && !v.chars().all(|c| c.is_ascii_digit())
        && !matches!(lower.as_str(), "true" | "false" | "changeme" | "password")
        && !lower.starts_with("${")
        && !lower.starts_with('/')
        && !lower.contains("xxxx")
        && !lower.starts_with('<')
}

/// The type of a Service and its external IPs.
fn service(body: &Value, push: &mut dyn FnMut(String)) {
    let spec = body.get("spec").unwrap_or(body);
    if let Some(t) = spec.get("type").and_then(Value::as_str)
        && matches!(t, "NodePort" | "LoadBalancer")
    {
        push(format!("service-type:{t}"));
    }
    if spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        push("service-external-ips".to_owned());
    }
}

/// An Ingress (a whole object) that serves plain HTTP: no `spec.tls`.
fn ingress(body: &Value, push: &mut dyn FnMut(String)) {
    let Some(spec) = body.get("spec") else { return };
    let tls = spec
        .get("tls")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if !tls {
        push("ingress-no-tls".to_owned());
    }
}

/// A NetworkPolicy rule that allows every peer (`ingress: [{}]`, `egress: [{}]`).
fn netpol(body: &Value, push: &mut dyn FnMut(String)) {
    let spec = body.get("spec").unwrap_or(body);
    for dir in ["ingress", "egress"] {
        let open = spec
            .get(dir)
            .and_then(Value::as_array)
            .is_some_and(|rules| {
                rules.iter().any(|r| {
                    r.as_object().is_some_and(|m| {
                        !m.contains_key("from") && !m.contains_key("to") && !m.contains_key("ports")
                    })
                })
            });
        if open {
            push(format!("netpol-allow-all:{dir}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(verb: &str, resource: &str, body: &str) -> Vec<String> {
        let json = format!(
            r#"{{"auditID":"a","verb":"{verb}","stage":"ResponseComplete","stageTimestamp":"2024-01-01T00:00:00Z","requestURI":"/api/v1/namespaces/x/{resource}","objectRef":{{"resource":"{resource}","namespace":"x","name":"n"}},"requestObject":{body}}}"#
        );
        crate::ingest::formats::native::parse(
            &json,
            crate::model::SourceRef::default(),
            crate::ingest::formats::NormalizeOptions { whole: true },
        )
        .unwrap()
        .facts
    }

    #[test]
    fn configmap_credentials_by_value_and_by_key() {
        let cm = r#"{"data":{"AWS_ACCESS_KEY_ID":"AKIAIOSFODNN7EXAMPLE","db_password":"s3cr3t-Pa55w0rd","key.pem":"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"}}"#;
        let f = facts("create", "configmaps", cm);
        for want in [
            "configmap-credential:aws-access-key",
            "configmap-credential:named",
            "configmap-credential:private-key",
        ] {
            assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
        }
        let benign = r#"{"data":{"password_min_length":"12","token_ttl":"3600","ca.crt":"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----","api_key":"${API_KEY}","log_level":"info"}}"#;
        assert!(facts("update", "configmaps", benign).is_empty());
        let patch = r#"[{"op":"add","path":"/data/DATABASE_URL","value":"postgres://app:Xk29vLq81z@db:5432/app"}]"#;
        assert_eq!(
            facts("patch", "configmaps", patch),
            vec!["configmap-credential:password"]
        );
    }

    #[test]
    fn aws_auth_masters_services_ingresses_and_policies() {
        let auth = r#"{"data":{"mapRoles":"- rolearn: arn:aws:iam::111122223333:role/x\n  groups:\n  - system:masters\n"}}"#;
        assert!(facts("update", "configmaps", auth).contains(&"aws-auth-masters".to_owned()));
        let tok = r#"{"type":"kubernetes.io/service-account-token","data":{"token":"ZXlK"}}"#;
        assert_eq!(
            facts("create", "secrets", tok),
            vec!["secret-type:kubernetes.io/service-account-token"]
        );
        let svc = r#"{"spec":{"type":"LoadBalancer","externalIPs":["203.0.113.9"]}}"#;
        assert_eq!(
            facts("create", "services", svc),
            vec!["service-type:LoadBalancer", "service-external-ips"]
        );
        assert!(facts("create", "services", r#"{"spec":{"type":"ClusterIP"}}"#).is_empty());
        let ing = r#"{"spec":{"rules":[{"host":"shop.example.com"}]}}"#;
        assert_eq!(facts("create", "ingresses", ing), vec!["ingress-no-tls"]);
        let tls = r#"{"spec":{"tls":[{"hosts":["shop.example.com"]}],"rules":[]}}"#;
        assert!(facts("create", "ingresses", tls).is_empty());
        let open = r#"{"spec":{"podSelector":{},"ingress":[{}]}}"#;
        assert_eq!(
            facts("patch", "networkpolicies", open),
            vec!["netpol-allow-all:ingress"]
        );
        let scoped = r#"{"spec":{"podSelector":{},"ingress":[{"from":[{"podSelector":{}}]}]}}"#;
        assert!(facts("create", "networkpolicies", scoped).is_empty());
    }

    #[test]
    fn kubelet_paths() {
        assert_eq!(
            kubelet_path("/api/v1/nodes/worker-1/proxy/pods").as_deref(),
            Some("pods")
        );
        assert_eq!(
            kubelet_path("/api/v1/nodes/worker-1:10250/proxy/checkpoint/ns/p/c?x=1").as_deref(),
            Some("checkpoint")
        );
        assert_eq!(
            kubelet_path("/api/v1/nodes/worker-1/proxy").as_deref(),
            Some("/")
        );
    }
}

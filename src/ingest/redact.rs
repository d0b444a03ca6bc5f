//! Secret payloads never reach the index: the `data` / `stringData` values of Secret objects
//! in request and response bodies are replaced by `<redacted N bytes>` — in plain objects,
//! lists, JSON patches, merge patches and the `last-applied-configuration` annotation.

use serde_json::{Map, Value};

use crate::model::AuditEvent;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const SECRET_KEYS: [&str; 2] = ["data", "stringData"];

/// True when a record may carry secret values worth redacting.
pub fn needs_redaction(event: &AuditEvent, raw: &str) -> bool {
    event.has_bodies && (event.object.resource == "secrets" || raw.contains("\"Secret"))
}

/// Returns the record with secret values redacted, or `None` when nothing was changed
/// (or the record is not a JSON object).
pub fn redact_record(raw: &str, secret_request: bool) -> Option<String> {
    let mut record: Map<String, Value> = serde_json::from_str(raw).ok()?;
    let mut changed = false;
    for key in ["requestObject", "responseObject"] {
        if let Some(body) = record.get_mut(key) {
            changed |= redact_body(body, secret_request);
        }
    }
    changed
        .then(|| serde_json::to_string(&record).ok())
        .flatten()
}

/// Redacts one body. `secret_request` says the request was about `secrets`, so patches and
/// partial objects without `kind` are treated as Secrets too.
fn redact_body(body: &mut Value, secret_request: bool) -> bool {
    match body {
        Value::Array(ops) if secret_request => ops
            .iter_mut()
            .map(redact_patch_op)
            .fold(false, |a, b| a | b),
        Value::Object(obj) => {
            let kind = obj
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let mut changed = false;
            if kind == "Secret" || (kind.is_empty() && secret_request) {
                changed |= redact_secret_object(obj);
            }
            if let Some(Value::Array(items)) = obj.get_mut("items")
                && (kind == "SecretList" || secret_request || kind == "List")
            {
                for item in items.iter_mut() {
                    if let Value::Object(o) = item {
                        let is_secret = o
                            .get("kind")
                            .and_then(Value::as_str)
                            .is_none_or(|k| k == "Secret");
                        if is_secret
                            && (secret_request || kind == "SecretList" || o.get("kind").is_some())
                        {
                            changed |= redact_secret_object(o);
                        }
                    }
                }
            }
            changed
        }
        _ => false,
    }
}

fn redact_secret_object(obj: &mut Map<String, Value>) -> bool {
    let mut changed = false;
    for key in SECRET_KEYS {
        if let Some(v) = obj.get_mut(key) {
            changed |= redact_values(v);
        }
    }
    if let Some(Value::Object(meta)) = obj.get_mut("metadata")
        && let Some(Value::Object(annotations)) = meta.get_mut("annotations")
        && let Some(Value::String(applied)) = annotations.get_mut(LAST_APPLIED)
    {
        *applied = match serde_json::from_str::<Value>(applied) {
            Ok(Value::Object(mut inner)) => {
                redact_secret_object(&mut inner);
                serde_json::to_string(&inner).unwrap_or_else(|_| "<redacted>".to_owned())
            }
            _ => "<redacted>".to_owned(),
        };
        changed = true;
    }
    changed
}

/// Replaces every leaf of a `data` map (or a single value) with a redaction marker.
fn redact_values(v: &mut Value) -> bool {
    match v {
        Value::Object(map) => {
            for value in map.values_mut() {
                *value = marker(value);
            }
            !map.is_empty()
        }
        Value::Null => false,
        other => {
            *other = marker(other);
            true
        }
    }
}

fn marker(v: &Value) -> Value {
    let len = match v {
        Value::String(s) => s.len(),
        Value::Null => return Value::Null,
        other => other.to_string().len(),
    };
    Value::String(format!("<redacted {len} bytes>"))
}

/// A JSON Patch operation on `/data…` or `/stringData…`.
fn redact_patch_op(op: &mut Value) -> bool {
    let Value::Object(op) = op else {
        return false;
    };
    let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
    let touches = SECRET_KEYS
        .iter()
        .any(|k| path == format!("/{k}") || path.starts_with(&format!("/{k}/")));
    if !touches {
        return false;
    }
    match op.get_mut("value") {
        Some(v) => redact_values(v),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(raw: &str) -> String {
        redact_record(raw, true).unwrap_or_else(|| raw.to_owned())
    }

    #[test]
    fn secret_body_values_are_redacted_keys_kept() {
        let raw = r#"{"auditID":"a","objectRef":{"resource":"secrets"},"requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"data":{"password":"aHVudGVyMg=="},"stringData":{"token":"s3cr3t"}}}"#;
        let out = redact(raw);
        assert!(!out.contains("aHVudGVyMg=="), "{out}");
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(out.contains(r#""password":"<redacted 12 bytes>""#), "{out}");
        assert!(out.contains(r#""name":"db""#));
        // key order is kept
        assert!(out.starts_with(r#"{"auditID":"a","objectRef""#), "{out}");
    }

    #[test]
    fn lists_patches_and_last_applied() {
        let list = r#"{"responseObject":{"kind":"SecretList","items":[{"metadata":{"name":"a"},"data":{"k":"djE="}}]}}"#;
        assert!(!redact(list).contains("djE="));
        let patch = r#"{"requestObject":[{"op":"replace","path":"/data/k","value":"djI="},{"op":"add","path":"/metadata/labels/x","value":"keep"}]}"#;
        let out = redact(patch);
        assert!(!out.contains("djI=") && out.contains("keep"), "{out}");
        let applied = r#"{"requestObject":{"kind":"Secret","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Secret\",\"data\":{\"k\":\"djM=\"}}"}},"data":{"k":"djM="}}}"#;
        let out = redact(applied);
        assert!(!out.contains("djM="), "{out}");
    }

    #[test]
    fn other_objects_untouched() {
        let cm = r#"{"requestObject":{"kind":"ConfigMap","data":{"k":"v"}}}"#;
        assert!(redact_record(cm, false).is_none());
    }
}

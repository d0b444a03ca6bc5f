//! The walk over one request or response body: which objects in it are Secrets (or carry a
//! service-account token), and their values replaced by `<redacted N bytes>`.
//!
//! An object is redacted when its position says what it is (the body of a request on
//! `secrets`, an element of its `items`, `rows[].object`, a watch event's `object`, the value
//! of a JSON patch op on `/data…` or on the whole object) or when its own `kind` (or GKE's
//! `@type`) says so, wherever it sits. JSON documents held in strings (the
//! `last-applied-configuration` annotation, a body sent as a string) are opened, redacted and
//! re-encoded.

use serde_json::{Map, Value};

use super::{Scope, mentions_sensitive_kind};

/// The annotation `kubectl apply` keeps: the whole object, Secret values included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The members of a Secret whose values are secret.
const SECRET_KEYS: [&str; 2] = ["data", "stringData"];

/// What AKS logs in place of a body too big to export: kept, it holds nothing.
const AKS_SKIPPED: &str = "skipped-too-big-size-object";

/// How deep JSON documents nested in strings are opened (an annotation inside a patch
/// value inside a string body…); deeper ones are replaced whole when they may hold a secret.
const MAX_NESTED_STRINGS: u8 = 4;

/// What an object says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    Absent,
    Secret,
    SecretList,
    TokenRequest,
    TokenReview,
    Other,
}

impl Declared {
    /// The object's `kind` (with `apiVersion`), else its GKE `@type`. A `Secret` of a group
    /// other than the core one is some custom resource, not a Secret.
    fn of(obj: &Map<String, Value>) -> Declared {
        let text = |k: &str| obj.get(k).and_then(Value::as_str);
        let (kind, core) = match (text("kind"), text("@type")) {
            (Some(kind), _) => (kind, text("apiVersion").is_none_or(is_core_api_version)),
            (None, Some(type_url)) => of_type_url(type_url),
            (None, None) => return Declared::Absent,
        };
        match kind {
            "Secret" if core => Declared::Secret,
            "SecretList" if core => Declared::SecretList,
            "TokenRequest" => Declared::TokenRequest,
            "TokenReview" => Declared::TokenReview,
            _ => Declared::Other,
        }
    }

    fn scope(self) -> Scope {
        match self {
            Declared::Secret => Scope::Secret,
            Declared::TokenRequest => Scope::TokenRequest,
            Declared::TokenReview => Scope::TokenReview,
            Declared::Absent | Declared::SecretList | Declared::Other => Scope::None,
        }
    }
}

/// `v1` (any version without a group), or a spelling of the core group (`core/v1`).
fn is_core_api_version(v: &str) -> bool {
    v.split_once('/')
        .is_none_or(|(group, _)| matches!(group, "" | "core" | "core.k8s.io"))
}

/// GKE's `@type` (`core.k8s.io/v1.Secret`, `k8s.io/Kubernetes/core.v1.Secret`): the kind, and
/// whether the group is the core one.
fn of_type_url(type_url: &str) -> (&str, bool) {
    let (group, rest) = type_url.rsplit_once('/').unwrap_or(("", type_url));
    let kind = rest.rsplit('.').next().unwrap_or(rest);
    let core = !group.contains('.') || group.starts_with("core.") || group.starts_with("k8s.io");
    (kind, core)
}

/// One walk over a body; `changed` says whether anything was replaced.
#[derive(Default)]
pub(super) struct Walk {
    pub changed: bool,
    strings: u8,
}

impl Walk {
    /// Walks `v`, an object (or a list of them, a patch, a string holding one) that sits
    /// where an object of `at` is expected.
    pub fn value(&mut self, v: &mut Value, at: Scope) {
        match v {
            Value::Object(obj) => self.object(obj, at),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(op) if op.contains_key("op") => self.patch_op(op, at),
                        other => self.value(other, at),
                    }
                }
            }
            Value::String(s) => self.json_string(s, at),
            _ => {}
        }
    }

    fn object(&mut self, obj: &mut Map<String, Value>, at: Scope) {
        let declared = Declared::of(obj);
        // A position known to hold a Secret is redacted as one whatever its `kind` says: a
        // client can send anything to the secrets endpoint, and it is logged as sent.
        self.redact_as(obj, at);
        if declared.scope() != at {
            self.redact_as(obj, declared.scope());
        }
        let inner = if declared == Declared::SecretList {
            Scope::Secret
        } else {
            at
        };
        for (key, child) in obj.iter_mut() {
            let child_at = match key.as_str() {
                // List items, Table rows and their objects, a watch event's object.
                "items" | "rows" | "object" => inner,
                _ => Scope::None,
            };
            self.value(child, child_at);
        }
    }

    /// Replaces the secret members of an object of kind `scope`.
    fn redact_as(&mut self, obj: &mut Map<String, Value>, scope: Scope) {
        match scope {
            Scope::None => {}
            Scope::Secret => {
                for key in SECRET_KEYS {
                    if let Some(v) = obj.get_mut(key) {
                        self.changed |= redact_values(v);
                    }
                }
                self.last_applied(obj);
            }
            Scope::TokenRequest => self.member(obj, "status", "token"),
            Scope::TokenReview => self.member(obj, "spec", "token"),
        }
    }

    /// `obj[outer][inner]` (or `obj[outer]` when it is not an object), replaced by a marker
    /// unless empty.
    fn member(&mut self, obj: &mut Map<String, Value>, outer: &str, inner: &str) {
        let target = match obj.get_mut(outer) {
            Some(Value::Object(o)) => o.get_mut(inner),
            other => other,
        };
        if let Some(v) = target
            && !(v.is_null() || v.as_str() == Some(""))
        {
            *v = marker(v);
            self.changed = true;
        }
    }

    /// The `last-applied-configuration` of a Secret: opened and redacted, or replaced whole
    /// when it cannot be read.
    fn last_applied(&mut self, obj: &mut Map<String, Value>) {
        let Some(Value::Object(meta)) = obj.get_mut("metadata") else {
            return;
        };
        let Some(Value::Object(annotations)) = meta.get_mut("annotations") else {
            return;
        };
        match annotations.get_mut(LAST_APPLIED) {
            Some(Value::String(s)) => self.json_string(s, Scope::Secret),
            Some(v) if !v.is_null() => {
                *v = marker(v);
                self.changed = true;
            }
            _ => {}
        }
    }

    /// A JSON document held in a string, where an object of `at` is expected (or anywhere,
    /// when it names a sensitive kind). When `at` is known and the string cannot be read as
    /// JSON (YAML, a cut document), it is replaced whole.
    fn json_string(&mut self, s: &mut String, at: Scope) {
        let t = s.trim_start();
        if !(t.starts_with('{') || t.starts_with('[')) {
            // Where a Secret is expected, text that is not JSON may be the object in YAML.
            if at != Scope::None && !s.is_empty() && s != AKS_SKIPPED && !is_marker(s) {
                *s = marker_text(s.len());
                self.changed = true;
            }
            return;
        }
        if at == Scope::None && !mentions_sensitive_kind(s) {
            return;
        }
        let parsed = (self.strings < MAX_NESTED_STRINGS)
            .then(|| serde_json::from_str::<Value>(s).ok())
            .flatten();
        let Some(mut inner) = parsed else {
            if at != Scope::None || self.strings >= MAX_NESTED_STRINGS {
                *s = marker_text(s.len());
                self.changed = true;
            }
            return;
        };
        let outer = std::mem::take(&mut self.changed);
        self.strings += 1;
        self.value(&mut inner, at);
        self.strings -= 1;
        if self.changed {
            *s = serde_json::to_string(&inner).unwrap_or_else(|_| marker_text(s.len()));
        }
        self.changed |= outer;
    }

    /// One JSON Patch operation: its `value` is walked as what it replaces — the whole object
    /// for the path `""` (or `/`), else the member the path names (`/data/key` → a value of
    /// a Secret's `data`), by rebuilding the sparse object the op writes into.
    fn patch_op(&mut self, op: &mut Map<String, Value>, at: Scope) {
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(value) = op.get_mut("value") else {
            return;
        };
        if path.is_empty() || path == "/" {
            self.value(value, at);
            return;
        }
        let segs: Vec<String> = path
            .strip_prefix('/')
            .unwrap_or(&path)
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut sparse = std::mem::take(value);
        for seg in segs.iter().rev() {
            let mut m = Map::new();
            m.insert(seg.clone(), sparse);
            sparse = Value::Object(m);
        }
        self.value(&mut sparse, at);
        for seg in &segs {
            // A marker may have replaced a whole member above the op's depth: it is the value.
            if let Value::Object(m) = &mut sparse {
                let next = m.remove(seg).unwrap_or_default();
                sparse = next;
            } else {
                break;
            }
        }
        *value = sparse;
    }
}

/// Replaces every value of a `data` map (or a single value) with a marker.
fn redact_values(v: &mut Value) -> bool {
    match v {
        Value::Object(map) => {
            let mut changed = false;
            for value in map.values_mut().filter(|v| !v.is_null()) {
                *value = marker(value);
                changed = true;
            }
            changed
        }
        Value::Null => false,
        other => {
            *other = marker(other);
            true
        }
    }
}

/// The marker that replaces a value; a marker already in place is kept (a Secret inside a
/// re-encoded annotation is walked again).
fn marker(v: &Value) -> Value {
    let len = match v {
        Value::String(s) if is_marker(s) => return v.clone(),
        Value::String(s) => s.len(),
        other => other.to_string().len(),
    };
    Value::String(marker_text(len))
}

pub(super) fn marker_text(len: usize) -> String {
    format!("<redacted {len} bytes>")
}

fn is_marker(s: &str) -> bool {
    s.strip_prefix("<redacted ")
        .and_then(|r| r.strip_suffix(" bytes>"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

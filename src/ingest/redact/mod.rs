//! Secret payloads never reach the index or the rejects: before a record is stored, the
//! values of Secrets (`data`, `stringData`) and service-account tokens (`TokenRequest`
//! `status.token`, `TokenReview` `spec.token`) in its bodies are replaced by
//! `<redacted N bytes>`, keys kept; a rejected record's excerpt is cut before anything that
//! may begin such a value.
//!
//! The bodies are where every input format keeps them in the stored record: a native
//! event's `requestObject` / `responseObject` (native, v1beta1, and the event unwrapped from
//! EKS, AKS, CRI and stdout lines, salvaged or not), a GKE `LogEntry`'s
//! `protoPayload.request` / `response`; a wrapper's event held as a string (`message`,
//! `properties.log`) is redacted and re-encoded too. Which objects in a body are Secrets:
//! [`body`]. Members other than the bodies are kept byte for byte.
//!
//! Facts (what detections read from bodies) are computed while decoding, from the record
//! as logged, before it is redacted here; no fact reads a secret value.

mod body;
mod excerpt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::formats::paths;
use crate::model::AuditEvent;

pub use excerpt::{excerpt, line_excerpt};

/// What the resource of a request says its bodies hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    None,
    /// Core `secrets`: a body without `kind` (a merge or JSON patch) is a Secret.
    Secret,
    /// `serviceaccounts/token`: the response carries `status.token`.
    TokenRequest,
    /// `tokenreviews`: the bearer token under review is `spec.token`.
    TokenReview,
}

impl Scope {
    /// From `objectRef`, else from the request path (records without an `objectRef`), in
    /// any letter case. `secrets` of a group other than the core one are custom resources,
    /// not Secrets.
    pub fn of(event: &AuditEvent) -> Scope {
        let o = &event.object;
        let (group, resource, sub) = if o.resource.is_empty() {
            match paths::from_uri(&event.request_uri) {
                Some(p) => (p.group, p.resource, p.subresource),
                None => return Scope::None,
            }
        } else {
            (
                o.api_group.as_str(),
                o.resource.as_str(),
                o.subresource.as_str(),
            )
        };
        let (group, resource, sub) = (
            group.to_ascii_lowercase(),
            resource.to_ascii_lowercase(),
            sub.to_ascii_lowercase(),
        );
        match (group.as_str(), resource.as_str(), sub.as_str()) {
            ("" | "core", "secrets", _) => Scope::Secret,
            ("" | "core", "serviceaccounts", "token") => Scope::TokenRequest,
            ("" | "authentication.k8s.io", "tokenreviews", _) => Scope::TokenReview,
            _ => Scope::None,
        }
    }
}

/// True when a record may carry secret values: it has bodies, and its resource holds them
/// or its text names a Secret or token kind (or spells a letter as `\u00XX`, which may hide
/// one: Go's encoder never escapes letters).
pub fn needs_redaction(event: &AuditEvent, raw: &str) -> bool {
    event.has_bodies && (Scope::of(event) != Scope::None || mentions_sensitive_kind(raw))
}

/// Whether `text` may name a Secret, `SecretList`, `TokenRequest` or `TokenReview` (in
/// `kind` or GKE's `@type`), or hides letters behind escapes.
pub(crate) fn mentions_sensitive_kind(text: &str) -> bool {
    let b = text.as_bytes();
    // `Secret"`, `Secret\"`, `SecretList`, but not the `imagePullSecrets` of every pod spec.
    let secret = memchr::memmem::find_iter(b, b"Secret").any(|i| {
        let rest = &b[i + 6..];
        rest.first().is_some_and(|c| matches!(c, b'"' | b'\\')) || rest.starts_with(b"List")
    });
    secret || memchr::memmem::find(b, b"TokenRe").is_some() || escaped_letter(b).is_some()
}

/// The position of the first `\u00XX` escape of a letter (or of `@`, `[`, `` ` ``, `{`…:
/// code points 0x40–0x7F).
pub(crate) fn escaped_letter(b: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(b, b"\\u00")
        .find(|&i| b.get(i + 4).is_some_and(|c| (b'4'..=b'7').contains(c)))
}

/// The record with its secret values redacted, or `None` when nothing was replaced. The
/// record is a decoded one, so it is a JSON object.
pub fn redact_record(raw: &str, scope: Scope) -> Option<String> {
    object(raw, scope, record_member)
}

/// A member of a stored record (or of a wrapper's event): its redacted JSON, if changed.
fn record_member(key: &str, value: &RawValue, scope: Scope) -> Option<String> {
    match key {
        "requestObject" | "responseObject" => redact_body(value, scope),
        "protoPayload" => object(value.get(), scope, gke_member),
        "message" => embedded(value, scope),
        "properties" => object(value.get(), scope, aks_member),
        _ => None,
    }
}

fn gke_member(key: &str, value: &RawValue, scope: Scope) -> Option<String> {
    match key {
        "request" | "response" => redact_body(value, scope),
        _ => None,
    }
}

fn aks_member(key: &str, value: &RawValue, scope: Scope) -> Option<String> {
    match (key, value.get().as_bytes().first()) {
        ("log", Some(b'"')) => embedded(value, scope),
        ("log", Some(b'{')) => redact_record(value.get(), scope),
        _ => None,
    }
}

/// An event held as a JSON string: redacted and re-encoded as a string.
fn embedded(value: &RawValue, scope: Scope) -> Option<String> {
    let text: String = serde_json::from_str(value.get()).ok()?;
    let redacted = redact_record(text.trim_start().starts_with('{').then_some(&text)?, scope)?;
    serde_json::to_string(&redacted).ok()
}

type Member = fn(&str, &RawValue, Scope) -> Option<String>;

/// Rewrites a JSON object member by member: `member` gives a member's new JSON, and every
/// other member is copied as it was written.
fn object(json: &str, scope: Scope, member: Member) -> Option<String> {
    let Entries(entries) = serde_json::from_str(json).ok()?;
    let replaced: Vec<Option<String>> = entries.iter().map(|(k, v)| member(k, v, scope)).collect();
    if replaced.iter().all(Option::is_none) {
        return None;
    }
    let mut out = String::with_capacity(json.len());
    out.push('{');
    for (i, ((key, value), new)) in entries.iter().zip(&replaced).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key).ok()?);
        out.push(':');
        out.push_str(new.as_deref().unwrap_or(value.get()));
    }
    out.push('}');
    Some(out)
}

/// One body, redacted: its new JSON, or `None` when it holds nothing to redact. A body that
/// may hold a secret but cannot be read as a JSON value (nested deeper than the parser
/// allows) is replaced whole.
fn redact_body(raw: &RawValue, scope: Scope) -> Option<String> {
    let text = raw.get();
    if scope == Scope::None && !mentions_sensitive_kind(text) {
        return None;
    }
    let Ok(mut value) = serde_json::from_str::<Value>(text) else {
        return serde_json::to_string(&body::marker_text(text.len())).ok();
    };
    let mut walk = body::Walk::default();
    walk.value(&mut value, scope);
    walk.changed
        .then(|| serde_json::to_string(&value).unwrap_or_else(|_| "\"<redacted>\"".to_owned()))
}

/// The members of a JSON object in their order, values as written (duplicates kept).
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Entries<'a>, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests;

//! The native `audit.k8s.io/v1` (and `v1beta1`) Event, as the API server writes it: parsed
//! without copying where possible, then normalized into an [`AuditEvent`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::detect::facts;
use crate::ingest::RecordError;
use crate::model::exec::ExecInfo;
use crate::model::{
    Actor, AuditEvent, Credential, Micros, ObjectRef, SourceFormat, SourceRef, Stage, StageSet,
    UserInfo, useragent,
};

pub(super) type Str<'a> = Cow<'a, str>;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEvent<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) kind: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) level: Option<Str<'a>>,
    #[serde(borrow, default, rename = "auditID", deserialize_with = "opt_str")]
    pub(super) audit_id: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) stage: Option<Str<'a>>,
    #[serde(borrow, default, rename = "requestURI", deserialize_with = "opt_str")]
    pub(super) request_uri: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) verb: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) user: Option<RawUser<'a>>,
    #[serde(borrow, default)]
    pub(super) impersonated_user: Option<RawUser<'a>>,
    #[serde(borrow, default, rename = "sourceIPs", deserialize_with = "opt_strs")]
    pub(super) source_ips: Option<Vec<Str<'a>>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) user_agent: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) object_ref: Option<RawObjectRef<'a>>,
    #[serde(borrow, default)]
    pub(super) response_status: Option<RawStatus<'a>>,
    #[serde(borrow, default)]
    pub(super) request_object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) response_object: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) request_received_timestamp: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) stage_timestamp: Option<Str<'a>>,
    /// v1beta1 only.
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) timestamp: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) annotations: Option<Pairs<'a, Text<'a>>>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawUser<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) username: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) uid: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_strs")]
    pub(super) groups: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    pub(super) extra: Option<Pairs<'a, Option<Values<'a>>>>,
}

/// The strings of a `user.extra` key: nearly always one, held without a list of its own.
#[derive(Default)]
pub(super) struct Values<'a> {
    first: Option<Text<'a>>,
    rest: Vec<Text<'a>>,
}

impl<'a> Values<'a> {
    fn first(&self) -> Option<&Text<'a>> {
        self.first.as_ref()
    }

    fn into_strings(self) -> impl Iterator<Item = String> {
        (self.first.into_iter().chain(self.rest)).map(|t| t.0.into_owned())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Values<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Strings<'a>(std::marker::PhantomData<Text<'a>>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Strings<'a> {
            type Value = Values<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                mut seq: S,
            ) -> Result<Self::Value, S::Error> {
                let mut values = Values {
                    first: seq.next_element::<Text<'a>>()?,
                    rest: Vec::new(),
                };
                while let Some(v) = seq.next_element::<Text<'a>>()? {
                    values.rest.push(v);
                }
                Ok(values)
            }
        }
        d.deserialize_seq(Strings(std::marker::PhantomData))
    }
}

/// The members of a JSON object in the order written, their text borrowed where it has no
/// escapes: what `annotations` and `user.extra` are read into. Maps of owned strings were
/// built for every record and, but for a few keys, dropped unread (a twentieth of ingest).
/// A key written twice is read last-wins, as a map reads it.
pub(super) struct Pairs<'a, V>(pub(super) Vec<(Text<'a>, V)>);

impl<V> Default for Pairs<'_, V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<V> Pairs<'_, V> {
    pub(super) fn get(&self, key: &str) -> Option<&V> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k.0 == key)
            .map(|(_, v)| v)
    }
}

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Pairs<'a, V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members<'a, V>(std::marker::PhantomData<(Text<'a>, V)>);
        impl<'de: 'a, 'a, V: Deserialize<'de>> serde::de::Visitor<'de> for Members<'a, V> {
            type Value = Pairs<'a, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(4).min(16));
                while let Some((k, v)) = map.next_entry::<Text<'a>, V>()? {
                    members.push((k, v));
                }
                Ok(Pairs(members))
            }
        }
        d.deserialize_map(Members(std::marker::PhantomData))
    }
}

/// A JSON string, borrowed from the record unless it has escapes. (`Cow<str>` borrows only
/// as a field marked `borrow`, not inside a map or a list.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Text<'a>(pub(super) Str<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Chars;
        impl<'de> serde::de::Visitor<'de> for Chars {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(Chars)
    }
}

/// An optional string, borrowed from the record unless it has escapes. `#[serde(borrow)]`
/// borrows only a field whose type is `Cow<str>` itself: an `Option<Cow<str>>` was read into
/// an owned `String`, an allocation for every string of every record.
pub(super) fn opt_str<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Str<'a>>, D::Error> {
    Ok(Option::<Text<'a>>::deserialize(d)?.map(|t| t.0))
}

/// An optional list of strings, each borrowed as [`opt_str`] borrows.
pub(super) fn opt_strs<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<Str<'a>>>, D::Error> {
    Ok(Option::<Vec<Text<'a>>>::deserialize(d)?.map(|v| v.into_iter().map(|t| t.0).collect()))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawObjectRef<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) resource: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) namespace: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) name: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) api_group: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) api_version: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) subresource: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawStatus<'a> {
    #[serde(default)]
    pub(super) code: Option<i64>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) reason: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(super) message: Option<Str<'a>>,
}

/// How much of a record to keep when normalizing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NormalizeOptions {
    /// Keep the whole record on the event, for reading one event (display, Sigma rules):
    /// `requestObject` / `responseObject`, every annotation and every `user.extra` key.
    /// Without it (ingest) the event keeps what the index reads: the authorization
    /// annotations and the credential of `user.extra`, as their own fields.
    pub whole: bool,
}

/// Parses and normalizes one native record. `json` must be the whole record.
pub fn parse(
    json: &str,
    source: SourceRef,
    opts: NormalizeOptions,
) -> Result<AuditEvent, RecordError> {
    let raw: RawEvent<'_> =
        serde_json::from_str(json).map_err(|e| RecordError::from_json::<RawEvent<'_>>(&e, json))?;
    normalize(raw, source, opts)
}

fn owned(s: Option<Str<'_>>) -> String {
    s.map(Cow::into_owned).unwrap_or_default()
}

/// What a record must satisfy beyond its JSON shape, checked before anything is built.
/// Shared by [`normalize`] and [`probe_request_received`], so that a record the probe
/// accepts always decodes.
struct Checked {
    stage: Option<Stage>,
    stage_time: Option<Micros>,
    received: Option<Micros>,
    time: Micros,
}

fn check(raw: &RawEvent<'_>) -> Result<Checked, RecordError> {
    if let Some(kind) = raw.kind.as_deref()
        && kind != "Event"
    {
        return Err(RecordError::NotAnEvent(format!(
            "kind is {kind:?}, not \"Event\""
        )));
    }
    if raw.audit_id.is_none() && raw.request_uri.is_none() && raw.verb.is_none() {
        return Err(RecordError::NotAnEvent(
            "no auditID, requestURI or verb: not an audit event".to_owned(),
        ));
    }
    let stage = match raw.stage.as_deref() {
        None | Some("") => None,
        Some(s) => Some(Stage::parse(s).ok_or_else(|| {
            RecordError::BadValue(format!("stage {s:?} is not a known audit stage"))
        })?),
    };
    let stage_time = parse_time(raw.stage_timestamp.as_deref(), "stageTimestamp")?;
    let received = parse_time(
        raw.request_received_timestamp.as_deref(),
        "requestReceivedTimestamp",
    )?;
    let legacy = parse_time(raw.timestamp.as_deref(), "timestamp")?;
    let time = received.or(stage_time).or(legacy).ok_or_else(|| {
        RecordError::BadValue("no requestReceivedTimestamp, stageTimestamp or timestamp".to_owned())
    })?;
    Ok(Checked {
        stage,
        stage_time,
        received,
        time,
    })
}

pub(super) fn normalize(
    raw: RawEvent<'_>,
    source: SourceRef,
    opts: NormalizeOptions,
) -> Result<AuditEvent, RecordError> {
    let Checked {
        stage,
        stage_time,
        received,
        time,
    } = check(&raw)?;
    // No `user` at all (not even `{}`) says nothing about who it was.
    let named = raw.user.is_some();
    let (user, credential) = user_info(raw.user.unwrap_or_default(), opts.whole);
    let actor = if named {
        Actor::classify(&user.username, &user.groups)
    } else {
        Actor::unknown()
    };
    let object = raw.object_ref.map(object_ref).unwrap_or_default();
    let status = raw.response_status.unwrap_or_default();
    let notes = raw.annotations.unwrap_or_default();
    let note = |key: &str| notes.get(key).map(|v| v.0.to_string()).unwrap_or_default();
    let decision = note("authorization.k8s.io/decision");
    let authz_reason = note("authorization.k8s.io/reason");
    let salvaged = notes.get(super::salvage::ANNOTATION).is_some();
    let annotations: BTreeMap<String, String> = if opts.whole {
        // Collected into a map: a key written twice keeps its last value.
        (notes.0.into_iter())
            .map(|(k, v)| (k.0.into_owned(), v.0.into_owned()))
            .collect()
    } else {
        BTreeMap::new()
    };
    let request_uri = owned(raw.request_uri);
    let user_agent = owned(raw.user_agent);
    let mut exec = ExecInfo::from_request(&object.resource, &object.subresource, &request_uri);
    if let Some(x) = exec.as_mut()
        && x.command.is_empty()
        && let Some(body) = raw.request_object
    {
        x.fill_from_options(body.get());
    }
    let has_bodies = raw.request_object.is_some() || raw.response_object.is_some();
    let body = |b: Option<&RawValue>| b.filter(|_| opts.whole).map(RawValue::to_owned);
    let mut event = AuditEvent {
        time,
        received,
        stage_time,
        audit_id: owned(raw.audit_id),
        stage,
        stages: stage.map(StageSet::of).unwrap_or_default(),
        level: owned(raw.level),
        verb: owned(raw.verb),
        decision,
        authz_reason,
        actor,
        credential,
        user,
        impersonated: raw.impersonated_user.map(|u| user_info(u, opts.whole).0),
        source_ips: raw
            .source_ips
            .unwrap_or_default()
            .into_iter()
            .map(Cow::into_owned)
            .collect(),
        ua_family: useragent::family(&user_agent),
        user_agent,
        object,
        code: status.code.and_then(|c| u16::try_from(c).ok()),
        status_reason: owned(status.reason),
        status_message: owned(status.message),
        request_uri,
        exec,
        annotations,
        facts: Vec::new(),
        has_bodies,
        request_object: body(raw.request_object),
        response_object: body(raw.response_object),
        source,
        format: SourceFormat::Native,
        cluster: String::new(),
        salvaged,
    };
    let bodies = facts::wants_bodies(&event.object.resource, &event.object.subresource);
    let (req, resp) = if bodies {
        (
            raw.request_object.map(RawValue::get),
            raw.response_object.map(RawValue::get),
        )
    } else {
        (None, None)
    };
    event.facts = facts::extract(&event, req, resp);
    if salvaged {
        event.facts.push(super::salvage::FACT.to_owned());
    }
    Ok(event)
}

fn parse_time(s: Option<&str>, field: &str) -> Result<Option<Micros>, RecordError> {
    match s {
        None | Some("") => Ok(None),
        Some(s) => Micros::parse_checked(s)
            .map(Some)
            .map_err(|e| RecordError::BadValue(format!("{field} {s:?}: {e}"))),
    }
}

/// The user, with `extra` whole when asked; and the credential `extra` names.
fn user_info(u: RawUser<'_>, whole: bool) -> (UserInfo, Credential) {
    let extra = u.extra.unwrap_or_default();
    let credential = Credential::from_extra(|key| {
        extra
            .get(key)
            .and_then(|v| v.as_ref()?.first())
            .map(|v| v.0.as_ref())
    });
    let user = UserInfo {
        username: owned(u.username),
        uid: owned(u.uid),
        groups: u
            .groups
            .unwrap_or_default()
            .into_iter()
            .map(Cow::into_owned)
            .collect(),
        extra: if whole {
            (extra.0.into_iter())
                .map(|(k, v)| {
                    (
                        k.0.into_owned(),
                        v.unwrap_or_default().into_strings().collect(),
                    )
                })
                .collect()
        } else {
            BTreeMap::new()
        },
    };
    (user, credential)
}

fn object_ref(o: RawObjectRef<'_>) -> ObjectRef {
    // `audit.k8s.io/v1alpha1` has no `apiGroup`: its `apiVersion` is `group/version`.
    let (api_group, api_version) = match (o.api_group, o.api_version) {
        (None, Some(v)) => match v.split_once('/') {
            Some((group, version)) => (group.to_owned(), version.to_owned()),
            None => (String::new(), v.into_owned()),
        },
        (group, version) => (owned(group), owned(version)),
    };
    ObjectRef {
        resource: owned(o.resource),
        subresource: owned(o.subresource),
        api_group,
        api_version,
        namespace: owned(o.namespace),
        name: owned(o.name),
    }
}

/// A `RequestReceived` record recognised by [`probe_request_received`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedProbe {
    pub audit_id: String,
    pub received: Micros,
    /// A watch or stream: its later stages may come minutes later.
    pub long_running: bool,
}

/// Recognises a well-formed native `RequestReceived` record without building its event.
/// `None` means "decode it fully" (another stage, another shape, or anything wrong with it).
/// The record is read as the same typed shape and checked by the same rules as [`parse`],
/// so a record accepted here always decodes when it must be.
pub fn probe_request_received(json: &str) -> Option<ReceivedProbe> {
    super::NEEDLES.request_received.find(json.as_bytes())?;
    let raw: RawEvent<'_> = serde_json::from_str(json).ok()?;
    let checked = check(&raw).ok()?;
    if checked.stage != Some(Stage::RequestReceived) {
        return None;
    }
    let audit_id = raw.audit_id.filter(|a| !a.is_empty())?.into_owned();
    let received = checked.received?;
    let sub = raw.object_ref.and_then(|o| o.subresource);
    let long_running = crate::model::is_long_running(
        raw.verb.as_deref().unwrap_or_default(),
        sub.as_deref().unwrap_or_default(),
        raw.request_uri.as_deref().unwrap_or_default(),
    );
    Some(ReceivedProbe {
        audit_id,
        received,
        long_running,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> SourceRef {
        SourceRef {
            file: "t.log".into(),
            line: 1,
            record: None,
        }
    }

    const EXEC: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/shop/pods/web-0/exec?command=sh\u0026command=-c\u0026command=cat+%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken\u0026container=web\u0026stdin=true\u0026stdout=true\u0026tty=true","verb":"get","user":{"username":"system:serviceaccount:shop:web","groups":["system:serviceaccounts"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=abc"],"authentication.kubernetes.io/pod-name":["web-0"],"authentication.kubernetes.io/node-name":["node-1"]}},"sourceIPs":["1.2.3.4","10.244.1.5"],"userAgent":"kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b","objectRef":{"resource":"pods","namespace":"shop","name":"web-0","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2024-01-02T03:04:05.123456Z","stageTimestamp":"2024-01-02T03:04:05.200000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed"}}"#;

    /// `#[serde(borrow)]` alone read every `Option<Cow<str>>` into an owned string.
    #[test]
    fn regression_record_strings_were_copied_not_borrowed() {
        let raw: RawEvent<'_> = serde_json::from_str(EXEC).unwrap();
        let borrowed = |s: &Option<Str<'_>>| matches!(s, Some(Cow::Borrowed(_)));
        assert!(borrowed(&raw.verb) && borrowed(&raw.audit_id) && borrowed(&raw.user_agent));
        assert!(borrowed(&raw.stage_timestamp) && borrowed(&raw.level));
        let user = raw.user.as_ref().unwrap();
        assert!(borrowed(&user.username));
        let groups = user.groups.as_ref().unwrap();
        assert!(matches!(groups[0], Cow::Borrowed("system:serviceaccounts")));
        let ips = raw.source_ips.as_ref().unwrap();
        assert!(ips.iter().all(|ip| matches!(ip, Cow::Borrowed(_))));
        let object = raw.object_ref.as_ref().unwrap();
        assert!(borrowed(&object.resource) && borrowed(&object.subresource));
        // A string with escapes is decoded into a string of its own.
        assert!(matches!(&raw.request_uri, Some(Cow::Owned(uri)) if uri.contains("&command=-c")));
        // Absent and null are both none.
        let raw: RawEvent<'_> = serde_json::from_str(r#"{"verb":null}"#).unwrap();
        assert!(raw.verb.is_none() && raw.user_agent.is_none());
    }

    #[test]
    fn normalizes_exec_over_websocket() {
        let e = parse(EXEC, src(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.verb, "get");
        assert_eq!(e.stage, Some(Stage::ResponseStarted));
        assert_eq!(e.actor.service_account().as_deref(), Some("shop:web"));
        assert_eq!(e.credential.pod_name.as_deref(), Some("web-0"));
        assert_eq!(e.credential.id.as_deref(), Some("JTI=abc"));
        assert_eq!(e.peer_ip(), Some("10.244.1.5"));
        assert_eq!(e.ua_family, "kubectl");
        assert_eq!(e.code, Some(101));
        assert_eq!(e.decision, "allow");
        let exec = e.exec.unwrap();
        assert_eq!(
            exec.command,
            vec![
                "sh",
                "-c",
                "cat /var/run/secrets/kubernetes.io/serviceaccount/token"
            ]
        );
        assert!(exec.tty && exec.stdin);
        assert_eq!(e.time.to_string(), "2024-01-02T03:04:05.123456Z");
    }

    #[test]
    fn rejects_wrong_types_with_the_path() {
        let bad = r#"{"auditID":"x","verb":"get","objectRef":"pods","stageTimestamp":"2024-01-02T03:04:05Z"}"#;
        let err = parse(bad, src(), NormalizeOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("objectRef"), "{msg}");
    }

    /// Annotations and `user.extra` are read as members, not maps: what the event keeps must
    /// be what maps of the same JSON hold — a key written twice is read last-wins, escaped
    /// keys and values are unescaped, a null value is no value.
    #[test]
    fn annotations_and_extra_read_as_members_are_read_as_maps() {
        let records = [
            r#"{"auditID":"a","verb":"get","stageTimestamp":"2024-01-02T03:04:05Z","user":{"username":"system:serviceaccount:shop:web","extra":{"authentication.kubernetes.io/pod-name":["web-0"],"authentication.kubernetes.io/credential-id":["JTI=1"],"authentication.kubernetes.io/pod-name":["web-1","web-2"],"authentication.kubernetes.io/node-name":null,"authentication.kubernetes.io/pod-uid":[]}},"annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":"no","authorization.k8s.io/decision":"allow","kubesift.io/salvaged":"cut"}}"#,
            r#"{"auditID":"b","verb":"get","stageTimestamp":"2024-01-02T03:04:05Z","user":{"username":"u","extra":{"authentication.kubernetes.io/credential-id":["X509SHA256=AB"]}},"annotations":{"authorization.k8s.io/decision":"allow","x":"é"}}"#,
            r#"{"auditID":"c","verb":"get","stageTimestamp":"2024-01-02T03:04:05Z","user":{"username":"u","extra":{}},"annotations":{}}"#,
            r#"{"auditID":"d","verb":"get","stageTimestamp":"2024-01-02T03:04:05Z","user":{"username":"u","extra":null},"annotations":null}"#,
        ];
        for json in records {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            let notes: BTreeMap<String, String> =
                serde_json::from_value(v["annotations"].clone()).unwrap_or_default();
            let extra: BTreeMap<String, Option<Vec<String>>> =
                serde_json::from_value(v["user"]["extra"].clone()).unwrap_or_default();
            let extra: BTreeMap<String, Vec<String>> = extra
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect();
            let whole = parse(json, src(), NormalizeOptions { whole: true }).unwrap();
            let lean = parse(json, src(), NormalizeOptions::default()).unwrap();
            assert_eq!(whole.annotations, notes, "{json}");
            assert_eq!(whole.user.extra, extra, "{json}");
            let first = |k: &str| extra.get(k).and_then(|v| v.first()).cloned();
            let expected = Credential {
                id: first(Credential::ID_KEY),
                pod_name: first(Credential::POD_NAME_KEY),
                pod_uid: first(Credential::POD_UID_KEY),
                node_name: first(Credential::NODE_NAME_KEY),
            };
            let note = |k: &str| notes.get(k).cloned().unwrap_or_default();
            for e in [&whole, &lean] {
                assert_eq!(e.credential, expected, "{json}");
                assert_eq!(e.decision, note("authorization.k8s.io/decision"), "{json}");
                assert_eq!(
                    e.authz_reason,
                    note("authorization.k8s.io/reason"),
                    "{json}"
                );
                assert_eq!(
                    e.salvaged,
                    notes.contains_key(super::super::salvage::ANNOTATION)
                );
            }
            assert!(lean.annotations.is_empty() && lean.user.extra.is_empty());
        }
    }

    #[test]
    fn rejects_non_events() {
        let err = parse(r#"{"kind": 0}"#, src(), NormalizeOptions::default()).unwrap_err();
        assert!(err.to_string().contains("kind"), "{err}");
        let err = parse(r#"{"foo": 1}"#, src(), NormalizeOptions::default()).unwrap_err();
        assert!(err.to_string().contains("not an audit event"), "{err}");
    }

    /// Whatever is wrong with a `RequestReceived` record, the probe that defers it and the
    /// decoder agree: a record the probe accepts always parses.
    #[test]
    fn regression_probe_accepts_only_records_that_parse() {
        let base = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"rr-1","stage":"RequestReceived","requestURI":"/api/v1/pods","verb":"get","user":{"username":"u","groups":["g"],"extra":{"k":["v"]}},"impersonatedUser":{"username":"i"},"sourceIPs":["1.2.3.4"],"userAgent":"ua","objectRef":{"resource":"pods","name":"p","subresource":"log"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-03-14T10:00:01Z","stageTimestamp":"2026-03-14T10:00:01Z","annotations":{"a":"b"}}"#;
        assert!(probe_request_received(base).is_some());
        let bad_values = [
            serde_json::json!(5),
            serde_json::json!("x"),
            serde_json::json!([1]),
            serde_json::json!({"a": 1}),
            serde_json::json!(true),
            serde_json::json!(null),
        ];
        let paths: &[&[&str]] = &[
            &["kind"],
            &["level"],
            &["auditID"],
            &["stage"],
            &["requestURI"],
            &["verb"],
            &["user"],
            &["user", "username"],
            &["user", "groups"],
            &["user", "extra"],
            &["user", "extra", "k"],
            &["impersonatedUser"],
            &["sourceIPs"],
            &["userAgent"],
            &["objectRef"],
            &["objectRef", "subresource"],
            &["responseStatus"],
            &["responseStatus", "code"],
            &["requestReceivedTimestamp"],
            &["stageTimestamp"],
            &["timestamp"],
            &["annotations"],
            &["annotations", "a"],
        ];
        let mut refused = 0;
        for path in paths {
            for bad in &bad_values {
                let mut v: serde_json::Value = serde_json::from_str(base).unwrap();
                let mut slot = &mut v;
                for key in &path[..path.len() - 1] {
                    slot = &mut slot[*key];
                }
                slot[path[path.len() - 1]] = bad.clone();
                let text = v.to_string();
                let parsed = parse(&text, src(), NormalizeOptions::default());
                match probe_request_received(&text) {
                    Some(_) => assert!(parsed.is_ok(), "probe accepts, parse refuses: {text}"),
                    None => refused += 1,
                }
            }
        }
        assert!(refused > 50, "mutations refused by the probe: {refused}");
    }

    #[test]
    fn v1beta1_timestamp_fallback() {
        let j = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","timestamp":"2018-10-26T13:38:34Z","auditID":"b","verb":"list","user":{}}"#;
        let e = parse(j, src(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.time.to_string(), "2018-10-26T13:38:34.000000Z");
        assert_eq!(e.actor.kind, crate::model::ActorKind::Anonymous);
    }

    #[test]
    fn regression_v1alpha1_api_group_comes_from_api_version() {
        let j = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1alpha1","auditID":"a","stage":"ResponseComplete","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"clusterrolebindings","name":"x","apiVersion":"rbac.authorization.k8s.io/v1beta1"},"timestamp":"2018-10-26T13:38:34Z"}"#;
        let e = parse(j, src(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.object.api_group, "rbac.authorization.k8s.io");
        assert_eq!(e.object.api_version, "v1beta1");
        let core = j.replace("rbac.authorization.k8s.io/v1beta1", "v1");
        let e = parse(&core, src(), NormalizeOptions::default()).unwrap();
        assert_eq!(
            (e.object.api_group.as_str(), e.object.api_version.as_str()),
            ("", "v1")
        );
        // v1beta1 and v1 name the group: kept as written.
        let v1 = j.replace(
            r#""apiVersion":"rbac.authorization.k8s.io/v1beta1""#,
            r#""apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1""#,
        );
        let e = parse(&v1, src(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.object.api_group, "rbac.authorization.k8s.io");
        assert_eq!(e.object.api_version, "v1");
    }

    #[test]
    fn regression_absent_user_is_unknown_not_anonymous() {
        let j = r#"{"kind":"Event","auditID":"b","verb":"get","requestURI":"/api/v1/secrets","responseStatus":{"code":200},"stageTimestamp":"2024-01-02T03:04:05Z"}"#;
        let e = parse(j, src(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.actor.kind, crate::model::ActorKind::Unknown);
    }

    #[test]
    fn regression_timestamps_that_do_not_exist_are_rejected_naming_the_field() {
        for (field, value, why) in [
            (
                "requestReceivedTimestamp",
                "2024-02-30T10:00:00Z",
                "day 30 of 2024-02 does not exist",
            ),
            (
                "stageTimestamp",
                "2024-01-02T25:00:00Z",
                "hour 25 does not exist",
            ),
            (
                "requestReceivedTimestamp",
                "2024-13-01T00:00:00Z",
                "month 13 does not exist",
            ),
            (
                "stageTimestamp",
                "9999-12-31T23:59:59Z",
                "outside the times kubesift can index",
            ),
            (
                "requestReceivedTimestamp",
                "0001-01-01T00:00:00Z",
                "outside the times kubesift can index",
            ),
        ] {
            let j = format!(
                r#"{{"kind":"Event","auditID":"t","verb":"get","user":{{}},"{field}":"{value}"}}"#
            );
            let err = parse(&j, src(), NormalizeOptions::default()).unwrap_err();
            let msg = err.to_string();
            assert_eq!(err.kind(), "bad-value", "{msg}");
            assert!(
                msg.contains(field) && msg.contains(value) && msg.contains(why),
                "{msg}"
            );
        }
    }
}

//! AKS diagnostic-settings records (categories `kube-audit`, `kube-audit-admin`): storage
//! account lines `{"time","resourceId","category","properties":{"log": <event>}}`, where
//! `log` is a JSON string or an object; Event Hub wraps them in `{"records":[…]}` (unwrapped
//! by the caller). The stored record is the event; a cut `log` is salvaged.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Decoded, Early, NormalizeOptions, native, parse_inner};
use crate::ingest::RecordError;
use crate::model::{Micros, SourceFormat, SourceRef};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    category: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    resource_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    operation_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    properties: Option<Properties<'a>>,
}

#[derive(Deserialize)]
struct Properties<'a> {
    #[serde(borrow, default)]
    log: Option<&'a RawValue>,
}

/// The common storage-account line, `properties.log` a string: read in one pass (the string
/// unescaped as it is read), instead of validating it as a raw value and unescaping again.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextRecord<'a> {
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    category: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    resource_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    properties: TextProperties<'a>,
}

#[derive(Deserialize)]
struct TextProperties<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
}

/// Decodes an AKS record; `None` when the object is not an Azure diagnostic record. Azure
/// records of other categories (Activity Log `Administrative`, `guard`, control-plane
/// logs) are skipped as not audit data.
pub fn decode<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Option<Result<Decoded<'a>, RecordError>> {
    if let Ok(r) = serde_json::from_str::<TextRecord<'a>>(json)
        && r.category
            .as_deref()
            .is_none_or(|c| c.starts_with("kube-audit"))
    {
        let record = Record {
            category: r.category,
            resource_id: r.resource_id,
            time: r.time,
            operation_name: None,
            properties: None,
        };
        return Some(inner(r.properties.log, &record, source, opts));
    }
    let mut record: Record<'a> = serde_json::from_str(json).ok()?;
    let azure = record.operation_name.is_some() || record.resource_id.is_some();
    if let Some(c) = record.category.as_deref()
        && azure
        && !c.starts_with("kube-audit")
    {
        return Some(Err(RecordError::NotAudit(format!(
            "Azure {c} record, not Kubernetes audit"
        ))));
    }
    let log = record.properties.take().and_then(|p| p.log)?;
    let text = match log.get().as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<Cow<'a, str>>(log.get()) {
            Ok(s) => s,
            Err(e) => return Some(Err(RecordError::from_json::<String>(&e, log.get()))),
        },
        _ => Cow::Borrowed(log.get()),
    };
    Some(inner(text, &record, source, opts))
}

/// A storage-account line with `properties.log` a string: its `RequestReceived` event only
/// probed, any other decoded. `None` for other shapes (left to [`decode`]).
pub fn decode_early<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Option<Early<'a>> {
    let r = serde_json::from_str::<TextRecord<'a>>(json).ok()?;
    if !r
        .category
        .as_deref()
        .is_none_or(|c| c.starts_with("kube-audit"))
    {
        return None;
    }
    if let Some(p) = native::probe_request_received(&r.properties.log) {
        return Some(Early::Deferred(p, SourceFormat::Aks));
    }
    let record = Record {
        category: r.category,
        resource_id: r.resource_id,
        time: r.time,
        operation_name: None,
        properties: None,
    };
    Some(Early::Decoded(vec![inner(
        r.properties.log,
        &record,
        source,
        opts,
    )]))
}

/// Normalizes the event of a record.
fn inner<'a>(
    text: Cow<'a, str>,
    record: &Record<'_>,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Result<Decoded<'a>, RecordError> {
    let time = record.time.as_deref().and_then(Micros::parse);
    let cluster = record
        .resource_id
        .as_deref()
        .map(cluster_of)
        .unwrap_or_default();
    parse_inner(text, time, SourceFormat::Aks, source, opts).map(|mut d| {
        d.event.cluster = cluster;
        d
    })
}

/// `/SUBSCRIPTIONS/…/MANAGEDCLUSTERS/<NAME>` → `<name>` (Azure upper-cases resource IDs;
/// cluster names are case-insensitive, so the label is lower-cased).
pub fn cluster_of(resource_id: &str) -> String {
    let lower = resource_id.to_ascii_lowercase();
    lower
        .split_once("/managedclusters/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::decode as decode_any;

    const E: &str = r#"{"kind":"Event","auditID":"a1","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/x/configmaps","user":{"username":"bob"},"objectRef":{"resource":"configmaps","namespace":"x"},"requestObject":"skipped-too-big-size-object","requestReceivedTimestamp":"2024-01-02T03:04:05.000000Z","stageTimestamp":"2024-01-02T03:04:05.100000Z"}"#;
    const RID: &str = "/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-1";

    fn line(log: &str) -> String {
        format!(
            r#"{{"time":"2024-01-02T03:04:05.2Z","resourceId":"{RID}","category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{{"log":{log},"stream":"stdout","pod":"kube-apiserver-1"}}}}"#
        )
    }

    fn one(json: &str) -> crate::model::AuditEvent {
        let mut out = decode_any(json, &SourceRef::default(), NormalizeOptions::default());
        assert_eq!(out.len(), 1);
        out.remove(0).unwrap().event
    }

    #[test]
    fn log_as_string_or_object_and_event_hub_records() {
        let as_string = line(&serde_json::to_string(E).unwrap());
        let e = one(&as_string);
        assert_eq!(
            (e.audit_id.as_str(), e.format, e.cluster.as_str()),
            ("a1", SourceFormat::Aks, "aks-1")
        );
        assert!(e.has_bodies);
        let as_object = line(E);
        assert_eq!(one(&as_object).audit_id, "a1");
        let hub = format!(r#"{{"records":[{as_string},{as_object}]}}"#);
        let got = decode_any(&hub, &SourceRef::default(), NormalizeOptions::default());
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|r| {
            r.as_ref()
                .is_ok_and(|d| d.event.format == SourceFormat::Aks)
        }));
    }

    #[test]
    fn cut_log_is_salvaged_other_categories_skipped() {
        let cut = &E[..E.find("\"requestObject").unwrap() + 4];
        let e = one(&line(&serde_json::to_string(cut).unwrap()));
        assert!(e.salvaged);
        assert_eq!(e.verb, "create");
        assert_eq!(e.time.rfc3339(), "2024-01-02T03:04:05.200000Z");
        let guard = line("\"I0102 some klog text\"").replace("kube-audit", "guard");
        let err = decode_any(&guard, &SourceRef::default(), NormalizeOptions::default());
        assert_eq!(
            err[0].as_ref().err().map(RecordError::kind),
            Some("not-audit")
        );
    }
}

//! Input formats. Each submodule turns one record shape into [`AuditEvent`]s; this module
//! recognises the shape of a record and unwraps containers (`EventList`, JSON arrays,
//! objects concatenated on one line).

pub mod native;

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::reject::RecordError;
use crate::model::{AuditEvent, SourceFormat, SourceRef};
pub use native::NormalizeOptions;

/// One event decoded from a record, with the JSON text it came from (what is stored).
pub struct Decoded<'a> {
    pub event: AuditEvent,
    pub raw: Cow<'a, str>,
}

/// Decodes one record into zero or more events. Errors are per event: one bad item of an
/// `EventList` does not lose the others.
pub fn decode<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Vec<Result<Decoded<'a>, RecordError>> {
    let trimmed = json.trim_start();
    if trimmed.starts_with('[') {
        return decode_array(json, source, opts);
    }
    match native::parse(json, source.clone(), opts) {
        Ok(event) => vec![Ok(Decoded {
            event,
            raw: Cow::Borrowed(json),
        })],
        Err(RecordError::NotAnEvent(why)) if why.contains("EventList") => {
            decode_event_list(json, source, opts)
        }
        Err(RecordError::NotJson(why)) if why.contains("trailing characters") => {
            decode_concatenated(json, source, opts)
        }
        Err(e) => vec![Err(e)],
    }
}

/// Re-normalizes a stored record (the raw text of one event).
pub fn renormalize(
    raw: &str,
    format: SourceFormat,
    source: SourceRef,
    opts: NormalizeOptions,
) -> Result<AuditEvent, RecordError> {
    match format {
        SourceFormat::Native => native::parse(raw, source, opts),
    }
}

fn decode_array<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Vec<Result<Decoded<'a>, RecordError>> {
    match serde_json::from_str::<Vec<&'a RawValue>>(json) {
        Ok(items) => items
            .into_iter()
            .flat_map(|item| decode(item.get(), source, opts))
            .collect(),
        Err(e) => vec![Err(RecordError::from_json::<Vec<&RawValue>>(&e, json))],
    }
}

#[derive(Deserialize)]
struct EventList<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
}

fn decode_event_list<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Vec<Result<Decoded<'a>, RecordError>> {
    match serde_json::from_str::<EventList<'a>>(json) {
        Ok(list) => list
            .items
            .into_iter()
            .flat_map(|item| decode(item.get(), source, opts))
            .collect(),
        Err(e) => vec![Err(RecordError::from_json::<EventList<'_>>(&e, json))],
    }
}

fn decode_concatenated<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Vec<Result<Decoded<'a>, RecordError>> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(json).into_iter::<&'a RawValue>();
    loop {
        match stream.next() {
            None => break,
            Some(Ok(value)) => out.extend(decode(value.get(), source, opts)),
            Some(Err(e)) => {
                out.push(Err(RecordError::from_json::<&RawValue>(
                    &e,
                    &json[stream.byte_offset()..],
                )));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const E1: &str = r#"{"kind":"Event","auditID":"1","verb":"get","stage":"ResponseComplete","stageTimestamp":"2024-01-02T03:04:05Z"}"#;
    const E2: &str = r#"{"kind":"Event","auditID":"2","verb":"list","stage":"ResponseComplete","stageTimestamp":"2024-01-02T03:04:06Z"}"#;

    fn ids(json: &str) -> Vec<Result<String, String>> {
        let src = SourceRef::default();
        decode(json, &src, NormalizeOptions::default())
            .into_iter()
            .map(|r| r.map(|d| d.event.audit_id).map_err(|e| e.kind().to_owned()))
            .collect()
    }

    #[test]
    fn unwraps_containers() {
        let ok = |s: &str| Ok(s.to_owned());
        assert_eq!(ids(&format!("[{E1},{E2}]")), vec![ok("1"), ok("2")]);
        assert_eq!(
            ids(&format!(
                r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{E1},{E2}]}}"#
            )),
            vec![ok("1"), ok("2")]
        );
        assert_eq!(ids(&format!("{E1}{E2}")), vec![ok("1"), ok("2")]);
    }

    #[test]
    fn one_bad_item_keeps_the_others() {
        let got = ids(&format!(
            r#"[{E1},{{"kind":"Event","auditID":"x","verb":7}},{E2}]"#
        ));
        assert_eq!(
            got,
            vec![Ok("1".into()), Err("wrong-type".into()), Ok("2".into())]
        );
        let got = ids(&format!("{E1}{{\"auditID\":"));
        assert_eq!(got, vec![Ok("1".into()), Err("truncated".into())]);
    }
}

//! From a decoded event to what the sequencer merges and the index stores: the request key
//! its stage records share, the redacted document, and the [`Prepared`] record.

use std::borrow::Cow;

use super::formats;
use super::redact;
use super::work::{Body, Prepared};
use crate::index::PreparedDoc;
use crate::index::schema::Fields;
use crate::model::{AuditEvent, SourceFormat, StageSet, is_long_running};

/// A line of a request logged before 1.7, kept as text: it is decoded when written, joined
/// with the request's other line if that came (see [`Prepared::absorb`]).
pub(super) fn legacy_half(event: &AuditEvent, raw: &str) -> Prepared {
    Prepared {
        key: merge_key(event, raw),
        body: Body::Deferred {
            raw: raw.as_bytes().to_vec(),
            source: event.source.clone(),
        },
        stages: StageSet::default(),
        long_running: false,
        format: SourceFormat::Legacy,
    }
}

/// Builds the index document of one decoded event; an owned `raw` (the line as the reader
/// cut it) is stored without a copy.
pub(super) fn prepare_event(
    event: &AuditEvent,
    raw: Cow<'_, str>,
    file_id: u64,
    fields: &Fields,
    keep_secrets: bool,
) -> Prepared {
    let key = merge_key(event, &raw);
    Prepared {
        key,
        body: Body::Doc(build_doc(event, raw, key, file_id, fields, keep_secrets)),
        stages: event.stages,
        long_running: is_long_running(&event.verb, &event.object.subresource, &event.request_uri),
        format: event.format,
    }
}

/// The document of an event whose request key is `key`; Secret values are redacted from the
/// stored record.
pub(super) fn build_doc(
    event: &AuditEvent,
    raw: Cow<'_, str>,
    key: [u8; 16],
    file_id: u64,
    fields: &Fields,
    keep_secrets: bool,
) -> PreparedDoc {
    let redacted = if !keep_secrets && redact::needs_redaction(event, &raw) {
        redact::redact_record(&raw, redact::Scope::of(event))
    } else {
        None
    };
    let stored = redacted.map_or(raw, Cow::Owned);
    PreparedDoc::new(key, fields.document(event, key, stored, file_id), event)
}

/// The request a record belongs to: (auditID, requestReceivedTimestamp). Without a
/// requestReceivedTimestamp only identical stage records can be recognised as one request.
/// The two lines of a request logged before 1.7 have different times: the ID alone.
pub(super) fn merge_key(event: &AuditEvent, raw: &str) -> [u8; 16] {
    if formats::legacy::is_split_request(event) {
        return crate::index::schema::merge_key(&event.audit_id, i64::MIN, raw);
    }
    let received = event.received.or(event.stage_time).unwrap_or(event.time);
    crate::index::schema::merge_key(&event.audit_id, received.0, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::{NormalizeOptions, native};
    use crate::model::SourceRef;

    fn event(json: &str) -> AuditEvent {
        native::parse(json, SourceRef::default(), NormalizeOptions::default()).unwrap()
    }

    #[test]
    fn stage_records_of_a_request_share_a_key() {
        let rr = r#"{"auditID":"a","stage":"RequestReceived","verb":"get","requestReceivedTimestamp":"2024-01-02T03:04:05.000001Z","stageTimestamp":"2024-01-02T03:04:05.000001Z"}"#;
        let rc = r#"{"auditID":"a","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2024-01-02T03:04:05.000001Z","stageTimestamp":"2024-01-02T03:04:05.5Z"}"#;
        let other = r#"{"auditID":"a","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2024-01-02T03:04:06Z","stageTimestamp":"2024-01-02T03:04:06.5Z"}"#;
        assert_eq!(merge_key(&event(rr), rr), merge_key(&event(rc), rc));
        assert_ne!(merge_key(&event(rc), rc), merge_key(&event(other), other));
    }
}

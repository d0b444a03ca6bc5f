//! EKS exports of the CloudWatch log group `/aws/eks/<cluster>/cluster`, whose messages are
//! native Events: `aws logs filter-log-events` JSON, the CloudWatch export to S3
//! (`<ISO time> <event>` lines), Firehose delivery (concatenated `{messageType, logEvents}`
//! objects) and Logs Insights CSV (`@timestamp,@message`). The stored record is the message.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Decoded, NormalizeOptions, Out, parse_inner};
use crate::ingest::RecordError;
use crate::model::{Micros, SourceFormat, SourceRef};

#[derive(Deserialize)]
struct LogEvent<'a> {
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    message: Option<Cow<'a, str>>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    timestamp: Option<i64>,
}

fn millis(ms: Option<i64>) -> Option<Micros> {
    ms.and_then(|ms| ms.checked_mul(1000))
        .and_then(Micros::checked)
}

fn decode_events<'a>(
    events: Vec<LogEvent<'a>>,
    format: SourceFormat,
    cluster: &str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Out<'a> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| decode_event(e, format, cluster, &source.element(i), opts))
        .collect()
}

fn decode_event<'a>(
    e: LogEvent<'a>,
    format: SourceFormat,
    cluster: &str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Result<Decoded<'a>, RecordError> {
    let message = e
        .message
        .ok_or_else(|| RecordError::NotAnEvent("log event without a message".into()))?;
    let mut d = parse_inner(message, millis(e.timestamp), format, source, opts)?;
    cluster.clone_into(&mut d.event.cluster);
    Ok(d)
}

/// The `events` array of `aws logs filter-log-events` output.
pub fn decode_cli<'a>(events: &'a str, source: &SourceRef, opts: NormalizeOptions) -> Out<'a> {
    match serde_json::from_str::<Vec<LogEvent<'a>>>(events) {
        Ok(events) => decode_events(events, SourceFormat::EksCli, "", source, opts),
        Err(e) => vec![Err(RecordError::from_json::<Vec<LogEvent<'_>>>(&e, events))],
    }
}

/// One element of that `events` array, streamed on its own out of a large document.
pub fn decode_cli_event<'a>(json: &'a str, source: &SourceRef, opts: NormalizeOptions) -> Out<'a> {
    match serde_json::from_str::<LogEvent<'a>>(json) {
        Ok(e) => vec![decode_event(e, SourceFormat::EksCli, "", source, opts)],
        Err(e) => vec![Err(RecordError::from_json::<LogEvent<'_>>(&e, json))],
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Firehose<'a> {
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    message_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::native::opt_str")]
    log_group: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    log_events: Option<Vec<LogEvent<'a>>>,
}

/// One Firehose (CloudWatch Logs subscription) object. `CONTROL_MESSAGE`s are skipped.
pub fn decode_firehose<'a>(json: &'a str, source: &SourceRef, opts: NormalizeOptions) -> Out<'a> {
    let f: Firehose<'a> = match serde_json::from_str(json) {
        Ok(f) => f,
        Err(e) => return vec![Err(RecordError::from_json::<Firehose<'_>>(&e, json))],
    };
    if f.message_type.as_deref() == Some("CONTROL_MESSAGE") {
        return vec![Err(RecordError::NotAudit(
            "Firehose CONTROL_MESSAGE".to_owned(),
        ))];
    }
    let cluster = f
        .log_group
        .as_deref()
        .map(cluster_of_log_group)
        .unwrap_or_default();
    let events = f.log_events.unwrap_or_default();
    decode_events(events, SourceFormat::EksFirehose, cluster, source, opts)
}

/// `/aws/eks/<cluster>/cluster` → `<cluster>`.
pub fn cluster_of_log_group(group: &str) -> &str {
    group
        .strip_prefix("/aws/eks/")
        .and_then(|rest| rest.strip_suffix("/cluster"))
        .unwrap_or_default()
}

/// Whether `s` starts like an ISO 8601 date-time (`2024-01-02T…`).
pub(super) fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
}

/// A CloudWatch-to-S3 line, `<ISO time> <event JSON>`: its time and event.
pub fn split_s3_line(line: &str) -> Option<(&str, &str)> {
    let (time, rest) = line.split_once(' ')?;
    let rest = rest.trim_start();
    (looks_like_time(time) && rest.starts_with('{')).then_some((time, rest))
}

/// A Logs Insights CSV row: the first field holding a JSON object is the message; the
/// header row (`@timestamp,@message`) is skipped. `None` when the line is not such a row.
pub fn decode_csv_line<'a>(
    line: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Option<Result<Decoded<'a>, RecordError>> {
    if line.starts_with("@timestamp") || line.starts_with("\"@timestamp") {
        return Some(Err(RecordError::NotAudit("CSV header".to_owned())));
    }
    if !line.contains(",\"{") && !line.contains(",{") {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let record = reader.records().next()?.ok()?;
    let time = record.get(0).and_then(Micros::parse);
    let message = record.iter().find(|f| f.trim_start().starts_with('{'))?;
    let decoded = parse_inner(
        Cow::Owned(message.to_owned()),
        time,
        SourceFormat::EksCsv,
        source,
        opts,
    );
    // A JSON field that is no audit event (a cell continued on the next line, another
    // tool's CSV): say what the line is rather than only what the JSON parser met.
    Some(decoded.map_err(|e| match e {
        RecordError::Truncated(_) | RecordError::NotJson(_) | RecordError::NotAnEvent(_) => {
            RecordError::NotJson(format!(
                "a CSV line ({} fields), but not a row of a known export ({CSV_EXPORTS}): its \
                 JSON field: {e}",
                record.len()
            ))
        }
        other => other,
    }))
}

/// The CSV shapes read.
const CSV_EXPORTS: &str = "CloudWatch Logs Insights, header `@timestamp,@message`, one row a line";

/// Why a line that is plainly CSV (several fields, no JSON) is not read; `None` for a line
/// that does not look like CSV.
pub fn csv_reason(line: &str) -> Option<RecordError> {
    if line.starts_with(['{', '[']) || !line.contains(',') {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let fields = reader.records().next()?.ok()?.len();
    (fields >= 2).then(|| {
        RecordError::NotJson(format!(
            "a CSV line ({fields} fields), but not a known export's header or row \
             ({CSV_EXPORTS}); audit events are read as JSON"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::decode;

    const E: &str = r#"{"kind":"Event","auditID":"a1","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods","user":{"username":"bob"},"requestReceivedTimestamp":"2024-01-02T03:04:05.000000Z","stageTimestamp":"2024-01-02T03:04:05.100000Z"}"#;

    fn esc(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    /// (audit ID, format, cluster, salvaged), or the reject kind.
    type Got = Result<(String, &'static str, String, bool), String>;

    fn run(input: &str) -> Vec<Got> {
        decode(input, &SourceRef::default(), NormalizeOptions::default())
            .into_iter()
            .map(|r| {
                r.map(|d| {
                    (
                        d.event.audit_id,
                        d.event.format.as_str(),
                        d.event.cluster,
                        d.event.salvaged,
                    )
                })
                .map_err(|e| e.kind().to_owned())
            })
            .collect()
    }

    #[test]
    fn filter_log_events_json() {
        let doc = format!(
            r#"{{"events":[{{"logStreamName":"kube-apiserver-audit-1","timestamp":1704164645000,"message":{},"ingestionTime":1,"eventId":"1"}}],"searchedLogStreams":[]}}"#,
            esc(E)
        );
        assert_eq!(
            run(&doc),
            vec![Ok(("a1".into(), "eks-cli", String::new(), false))]
        );
    }

    #[test]
    fn s3_export_lines() {
        let line = format!("2024-01-02T03:04:05.000Z {E}");
        assert_eq!(
            run(&line),
            vec![Ok(("a1".into(), "eks-s3", String::new(), false))]
        );
    }

    #[test]
    fn firehose_skips_control_messages_and_names_the_cluster() {
        let data = format!(
            r#"{{"messageType":"CONTROL_MESSAGE","logGroup":"","logStream":"","logEvents":[{{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}}]}}{{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/aws/eks/prod-1/cluster","logStream":"kube-apiserver-audit-x","subscriptionFilters":["f"],"logEvents":[{{"id":"1","timestamp":1704164645000,"message":{}}}]}}"#,
            esc(E)
        );
        assert_eq!(
            run(&data),
            vec![
                Err("not-audit".into()),
                Ok(("a1".into(), "eks-firehose", "prod-1".into(), false))
            ]
        );
    }

    #[test]
    fn truncated_messages_are_salvaged_and_flagged() {
        let cut = &E[..E.find("\"requestReceived").unwrap() + 5];
        let msg = format!("{cut}[Truncated...]");
        let doc = format!(
            r#"{{"events":[{{"timestamp":1704164645000,"message":{}}}]}}"#,
            esc(&msg)
        );
        let got = decode(&doc, &SourceRef::default(), NormalizeOptions::default());
        let d = got.into_iter().next().unwrap().unwrap();
        assert!(d.event.salvaged);
        assert_eq!(d.event.verb, "get");
        assert_eq!(d.event.time.rfc3339(), "2024-01-02T03:04:05.000000Z");
        assert!(d.event.facts.iter().any(|f| f == "truncated-record"));
        // The stored record re-normalizes to the same flagged event.
        let again = crate::ingest::formats::renormalize(
            &d.raw,
            SourceFormat::EksCli,
            SourceRef::default(),
            NormalizeOptions::default(),
        )
        .unwrap();
        assert!(again.salvaged);
        assert_eq!(again.format, SourceFormat::EksCli);
    }

    #[test]
    fn logs_insights_csv() {
        let header = "@timestamp,@message";
        assert_eq!(run(header), vec![Err("not-audit".into())]);
        let row = format!("2024-01-02 03:04:05.000,\"{}\"", E.replace('"', "\"\""));
        assert_eq!(
            run(&row),
            vec![Ok(("a1".into(), "eks-csv", String::new(), false))]
        );
    }
}

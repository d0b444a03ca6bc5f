//! Input formats. Each submodule turns one record shape into [`AuditEvent`]s; this module
//! recognises the shape of each record by its content (never the file name) and unwraps
//! containers (`EventList`, JSON arrays, objects concatenated on one line).
//!
//! Order, per record: `[` → JSON array (gcloud, EventList items); `{` → a `protoPayload`
//! (GKE), a `properties.log` (AKS), else a native Event, else a wrapper (`EventList`,
//! `records`, `events`, `logEvents`); text lines → CRI (`<time> stdout F …`), CloudWatch S3
//! export (`<time> {…}`), legacy (`… AUDIT: id=…`), klog (skipped), Logs Insights CSV.

pub mod aks;
pub mod cri;
pub mod eks;
pub mod gke;
pub mod legacy;
pub mod native;
pub(crate) mod paths;
pub mod salvage;

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::reject::RecordError;
use crate::model::{AuditEvent, Micros, SourceFormat, SourceRef};
pub use native::NormalizeOptions;

/// One event decoded from a record, with the text it came from (what is stored and
/// re-normalized: the inner native event for wrappers, the `LogEntry` for GKE).
pub struct Decoded<'a> {
    pub event: AuditEvent,
    pub raw: Cow<'a, str>,
}

type Out<'a> = Vec<Result<Decoded<'a>, RecordError>>;

/// Containers (arrays, wrappers, CRI lines) nested in one record at most: real exports nest
/// two or three; the limit keeps decoding from recursing as deep as a hostile record nests.
pub const MAX_NESTING: u32 = 8;

/// Decodes one record into zero or more events. Errors are per event: one bad item of an
/// `EventList` does not lose the others. [`RecordError::NotAudit`] marks expected non-audit
/// lines (klog, CSV headers, control messages): skipped, not rejected.
pub fn decode<'a>(json: &'a str, source: &SourceRef, opts: NormalizeOptions) -> Out<'a> {
    decode_at(json, source, opts, 0)
}

/// [`decode`] of a record found inside `depth` containers.
fn decode_at<'a>(json: &'a str, source: &SourceRef, opts: NormalizeOptions, depth: u32) -> Out<'a> {
    if depth > MAX_NESTING {
        return vec![Err(RecordError::TooDeep(MAX_NESTING))];
    }
    let trimmed = json.trim_start();
    match trimmed.as_bytes().first() {
        Some(b'[') => decode_items(json, source, opts, depth + 1),
        Some(b'{') => decode_object(json, source, opts, depth),
        Some(_) => decode_text(trimmed, source, opts, depth),
        None => vec![Err(RecordError::NotJson("empty record".to_owned()))],
    }
}

/// What [`decode_early`] made of a record.
pub enum Early<'a> {
    /// A well-formed `RequestReceived` record, recognised cheaply: nearly always folded into
    /// a later stage of its request, so decoding it is put off (the whole record is kept and
    /// decoded by [`decode`] if it turns out to be the request's only record).
    Deferred(native::ReceivedProbe, SourceFormat),
    Decoded(Out<'a>),
}

/// [`decode`], except that `RequestReceived` records of the shapes that carry the native
/// event cheaply (native, CloudWatch S3 lines, CRI lines, AKS storage lines) are only
/// probed. The probe takes the route [`decode`] takes and checks what it checks, so that a
/// deferred record always decodes.
pub fn decode_early<'a>(text: &'a str, source: &SourceRef, opts: NormalizeOptions) -> Early<'a> {
    let trimmed = text.trim_start();
    match trimmed.as_bytes().first() {
        Some(b'{') => {
            let route = Route::of(text);
            if route.native()
                && let Some(p) = native::probe_request_received(text)
            {
                return Early::Deferred(p, SourceFormat::Native);
            }
            if route.aks
                && !route.gke
                && let Some(early) = aks::decode_early(text, source, opts)
            {
                return early;
            }
            return Early::Decoded(decode_routed(text, route, source, opts, 0));
        }
        Some(b) if b.is_ascii_digit() => {
            if let Some((_, rest)) = eks::split_s3_line(trimmed)
                && let Some(p) = native::probe_request_received(rest)
            {
                return Early::Deferred(p, SourceFormat::EksS3);
            }
            if let Some(c) = cri::split(trimmed).filter(|c| !c.partial)
                && c.content.trim_start().starts_with('{')
                && Route::of(c.content).native()
                && let Some(p) = native::probe_request_received(c.content)
            {
                return Early::Deferred(p, SourceFormat::Cri);
            }
        }
        _ => {}
    }
    Early::Decoded(decode(text, source, opts))
}

/// Substrings searched in every record, with searchers built once (building one per record
/// costs more than the search).
pub(super) struct Needles {
    pub proto_payload: Finder<'static>,
    pub properties: Finder<'static>,
    pub request_received: Finder<'static>,
}

pub(super) static NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles {
    proto_payload: Finder::new(b"\"protoPayload\""),
    properties: Finder::new(b"\"properties\""),
    request_received: Finder::new(b"\"RequestReceived\""),
});

/// Which decoders an object may be for, from the keys it names.
#[derive(Clone, Copy)]
struct Route {
    /// Names `protoPayload`: a GKE `LogEntry`, unless it does not parse as one.
    gke: bool,
    /// Names `properties`: an AKS record, unless it does not parse as one.
    aks: bool,
}

impl Route {
    fn of(json: &str) -> Route {
        let bytes = json.as_bytes();
        Route {
            gke: NEEDLES.proto_payload.find(bytes).is_some(),
            aks: NEEDLES.properties.find(bytes).is_some(),
        }
    }

    /// Read by the native parser alone: what the `RequestReceived` probe stands in for.
    fn native(self) -> bool {
        !self.gke && !self.aks
    }
}

/// A JSON object: a GKE `LogEntry`, an AKS record, a native Event, or a wrapper.
fn decode_object<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
    depth: u32,
) -> Out<'a> {
    decode_routed(json, Route::of(json), source, opts, depth)
}

fn decode_routed<'a>(
    json: &'a str,
    route: Route,
    source: &SourceRef,
    opts: NormalizeOptions,
    depth: u32,
) -> Out<'a> {
    if route.gke
        && let Some(out) = gke::decode(json, source, opts)
    {
        return vec![out];
    }
    if route.aks
        && let Some(out) = aks::decode(json, source, opts)
    {
        return vec![out];
    }
    match native::parse(json, source.clone(), opts) {
        Ok(event) => vec![Ok(Decoded {
            event,
            raw: Cow::Borrowed(json),
        })],
        Err(RecordError::NotAnEvent(why)) => decode_wrapper(json, source, opts, depth + 1)
            .unwrap_or_else(|| vec![Err(RecordError::NotAnEvent(why))]),
        Err(RecordError::NotJson(why)) if why.contains("trailing characters") => {
            decode_concatenated(json, source, opts, depth + 1)
        }
        Err(e) => vec![Err(e)],
    }
}

/// The keys that name a container shape.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WrapperProbe<'a> {
    #[serde(borrow, default)]
    items: Option<&'a RawValue>,
    #[serde(borrow, default)]
    records: Option<&'a RawValue>,
    #[serde(borrow, default)]
    events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    log_events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message_type: Option<&'a RawValue>,
}

/// `EventList`, AKS Event Hub `records`, EKS `filter-log-events`, Firehose; `None` when the
/// object is none of these.
fn decode_wrapper<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
    depth: u32,
) -> Option<Out<'a>> {
    let probe: WrapperProbe<'a> = serde_json::from_str(json).ok()?;
    if probe.log_events.is_some() || probe.message_type.is_some() {
        return Some(eks::decode_firehose(json, source, opts));
    }
    if let Some(events) = probe.events {
        return Some(eks::decode_cli(events.get(), source, opts));
    }
    if let Some(records) = probe.records {
        return Some(decode_items(records.get(), source, opts, depth));
    }
    probe
        .items
        .map(|items| decode_items(items.get(), source, opts, depth))
}

/// A text line: CRI, CloudWatch S3 export, legacy, klog, Logs Insights CSV.
fn decode_text<'a>(
    line: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
    depth: u32,
) -> Out<'a> {
    if let Some(cri) = cri::split(line) {
        // The content of a CRI line may be another CRI line: each is a level.
        let mut out = decode_at(cri.content, source, opts, depth + 1);
        cri::mark(&mut out);
        return out;
    }
    if let Some((time, rest)) = eks::split_s3_line(line) {
        return vec![parse_inner(
            Cow::Borrowed(rest),
            Micros::parse(time),
            SourceFormat::EksS3,
            source,
            opts,
        )];
    }
    if legacy::is_legacy(line) {
        return vec![legacy::decode(line, source, opts)];
    }
    if cri::is_klog(line) {
        return vec![Err(RecordError::NotAudit("klog line".to_owned()))];
    }
    if let Some(out) = eks::decode_csv_line(line, source, opts) {
        return vec![out];
    }
    // Anything else: the native parser's own error says what is wrong, unless the line is
    // plainly CSV (a JSON error about it would mislead).
    match native::parse(line, source.clone(), opts) {
        Ok(event) => vec![Ok(Decoded {
            event,
            raw: Cow::Borrowed(line),
        })],
        Err(e) => vec![Err(eks::csv_reason(line).unwrap_or(e))],
    }
}

/// The format of an input's native events when more is known than their shape: the
/// OpenShift API server named by a must-gather path (`audit_logs/<server>/…`,
/// `…/openshift-apiserver/…`), or container stdout when klog lines are mixed in.
pub fn sniff_file(head: &[u8], path: &str) -> Option<SourceFormat> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let has = |c: &str| parts.contains(&c);
    if has("openshift-apiserver") {
        return Some(SourceFormat::OpenshiftApi);
    }
    if has("oauth-apiserver") {
        return Some(SourceFormat::OpenshiftOauth);
    }
    if has("kube-apiserver") && (has("audit_logs") || path.contains("must-gather")) {
        return Some(SourceFormat::OpenshiftKube);
    }
    (!cri::sniff(head) && cri::sniff_stdout(head)).then_some(SourceFormat::Stdout)
}

/// Parses the native event a wrapper carries, salvaging a cut one; `fallback_time` is the
/// wrapper's time, used when the cut lost the event's own timestamps.
pub(super) fn parse_inner<'a>(
    text: Cow<'a, str>,
    fallback_time: Option<Micros>,
    format: SourceFormat,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Result<Decoded<'a>, RecordError> {
    let event = match native::parse(&text, source.clone(), opts) {
        Ok(event) => event,
        Err(e) => {
            let eof = matches!(e, RecordError::Truncated(_));
            if !salvage::looks_truncated(&text, eof) {
                return Err(e);
            }
            let time = fallback_time.map(Micros::rfc3339);
            let fixed = salvage::salvage(&text, time.as_deref()).ok_or(e)?;
            let event = native::parse(&fixed, source.clone(), opts)?;
            return Ok(with_format(event, Cow::Owned(fixed), format));
        }
    };
    Ok(with_format(event, text, format))
}

fn with_format(mut event: AuditEvent, raw: Cow<'_, str>, format: SourceFormat) -> Decoded<'_> {
    event.format = format;
    Decoded { event, raw }
}

/// Re-normalizes a stored record (the raw text of one event) read from `format`.
pub fn renormalize(
    raw: &str,
    format: SourceFormat,
    source: SourceRef,
    opts: NormalizeOptions,
) -> Result<AuditEvent, RecordError> {
    let mut event = match format {
        SourceFormat::Gke => gke::parse(raw, &source, opts)?,
        SourceFormat::Legacy => legacy::parse(raw, &source, opts)?,
        _ => native::parse(raw, source, opts)?,
    };
    event.format = format;
    Ok(event)
}

/// The elements of a JSON array, each decoded as a record of its own, with its index.
fn decode_items<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
    depth: u32,
) -> Out<'a> {
    if depth > MAX_NESTING {
        return vec![Err(RecordError::TooDeep(MAX_NESTING))];
    }
    match serde_json::from_str::<Vec<&'a RawValue>>(json) {
        Ok(items) => items
            .into_iter()
            .enumerate()
            .flat_map(|(i, item)| decode_at(item.get(), &source.element(i), opts, depth))
            .collect(),
        Err(e) => vec![Err(RecordError::from_json::<Vec<&RawValue>>(&e, json))],
    }
}

/// Objects written back to back on one line (`}{`): each is a record. A line with anything
/// else after its value (`{…}garbage`, `{…}"`) is damaged: one reject for the whole line, so
/// that every line is counted once. A last object cut short is a (truncated) record of its
/// own.
fn decode_concatenated<'a>(
    json: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
    depth: u32,
) -> Vec<Result<Decoded<'a>, RecordError>> {
    let mut values = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(json).into_iter::<&'a RawValue>();
    let mut cut = None;
    loop {
        let at = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => values.push(value),
            // A cut object after whole ones is a record of its own; a cut string or word
            // (`{…}"`) is damage to the line.
            Some(Err(e)) if e.is_eof() && json[at..].trim_start().starts_with('{') => {
                cut = Some(RecordError::from_json::<&RawValue>(&e, &json[at..]));
                break;
            }
            Some(Err(_)) => {
                let column = json[..at].chars().count() + 1;
                return vec![Err(RecordError::NotJson(format!(
                    "trailing characters after the JSON value (column {column})"
                )))];
            }
        }
    }
    let mut out: Out<'a> = values
        .into_iter()
        .flat_map(|v| decode_at(v.get(), source, opts, depth))
        .collect();
    out.extend(cut.map(Err));
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
    fn request_received_records_of_cheap_wrappers_are_deferred() {
        let rr = r#"{"kind":"Event","auditID":"r1","stage":"RequestReceived","verb":"get","requestURI":"/api/v1/pods","requestReceivedTimestamp":"2024-01-02T03:04:05.000000Z"}"#;
        let aks = format!(
            r#"{{"time":"2024-01-02T03:04:05Z","resourceId":"/x/MANAGEDCLUSTERS/A","category":"kube-audit","properties":{{"log":{}}}}}"#,
            serde_json::to_string(rr).unwrap()
        );
        for (text, want) in [
            (rr.to_owned(), SourceFormat::Native),
            (
                format!("2024-01-02T03:04:05.000Z {rr}"),
                SourceFormat::EksS3,
            ),
            (
                format!("2024-01-02T03:04:05.1Z stdout F {rr}"),
                SourceFormat::Cri,
            ),
            (aks, SourceFormat::Aks),
        ] {
            let src = SourceRef::default();
            match decode_early(&text, &src, NormalizeOptions::default()) {
                Early::Deferred(p, fmt) => assert_eq!((p.audit_id.as_str(), fmt), ("r1", want)),
                Early::Decoded(_) => panic!("not deferred: {text}"),
            }
            // What the deferred record decodes to, if it must be.
            let d = decode(&text, &src, NormalizeOptions::default())
                .remove(0)
                .unwrap();
            assert_eq!(d.event.format, want);
        }
    }

    /// Every prefix and a few mutations of a record of each shape decode (to events or
    /// errors) without panicking, and whatever decodes re-normalizes from its stored text.
    #[test]
    fn no_shape_panics_on_cut_or_mangled_records() {
        let e = r#"{"kind":"Event","auditID":"a\u00e9","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/x/pods/p/exec?command=sh","user":{"username":"bob","groups":["g"]},"objectRef":{"resource":"pods","namespace":"x","name":"p","subresource":"exec"},"requestObject":{"a":[1,2,{"b":"ü"}]},"requestReceivedTimestamp":"2024-01-02T03:04:05.000000Z"}"#;
        let esc = serde_json::to_string(e).unwrap();
        let samples = [
            e.to_owned(),
            format!("2024-01-02T03:04:05.000Z {e}"),
            format!("2024-01-02T03:04:05.1Z stdout F {e}"),
            format!(r#"{{"events":[{{"timestamp":1,"message":{esc}}}]}}"#),
            format!(r#"{{"messageType":"DATA_MESSAGE","logGroup":"/aws/eks/c/cluster","logEvents":[{{"timestamp":1,"message":{esc}}}]}}"#),
            format!("2024-01-02 03:04:05.000,{}", csv_quote(e)),
            format!(r#"{{"time":"2024-01-02T03:04:05Z","category":"kube-audit","properties":{{"log":{esc}}}}}"#),
            format!(r#"{{"records":[{{"category":"kube-audit","properties":{{"log":{e}}}}}]}}"#),
            r#"{"operation":{"id":"o"},"protoPayload":{"methodName":"io.k8s.core.v1.pods.exec.create","resourceName":"core/v1/namespaces/d/pods/w/exec","status":{"code":7},"request":{"command":["sh"]}},"timestamp":"2024-01-02T03:04:05Z"}"#.to_owned(),
            r#"2024-01-02T03:04:05Z AUDIT: id="x" stage="ResponseComplete" ip="1.2.3.4" method="get" user="u" groups=""a","b"" as="<self>" asgroups="<lookup>" user-agent="k" namespace="n" uri="/api/v1/namespaces/n/pods/p" response="200""#.to_owned(),
        ];
        let src = SourceRef::default();
        for sample in &samples {
            let mut cuts: Vec<String> = (0..sample.len())
                .filter(|i| sample.is_char_boundary(*i))
                .map(|i| sample[..i].to_owned())
                .collect();
            cuts.push(sample.replace('"', "'"));
            cuts.push(sample.replace(':', ""));
            cuts.push(format!("{sample}[Truncated...]"));
            for text in &cuts {
                for d in decode(text, &src, NormalizeOptions::default())
                    .into_iter()
                    .flatten()
                {
                    let again = renormalize(
                        &d.raw,
                        d.event.format,
                        src.clone(),
                        NormalizeOptions::default(),
                    );
                    assert!(again.is_ok(), "{text:?} stored {:?}", d.raw);
                }
                let _ = decode_early(text, &src, NormalizeOptions::default());
            }
        }
    }

    fn csv_quote(s: &str) -> String {
        format!("\"{}\"", s.replace('"', "\"\""))
    }

    #[test]
    fn regression_containers_nested_past_the_limit_are_rejected_not_recursed() {
        let deep = |open: &str, close: &str, n: usize| {
            format!("{}{E1}{}", open.repeat(n), close.repeat(n))
        };
        let too_deep = Err("too-deep".to_owned());
        assert_eq!(ids(&deep("[", "]", 3)), vec![Ok("1".to_owned())]);
        assert_eq!(ids(&deep("[", "]", 5000)), vec![too_deep.clone()]);
        assert_eq!(
            ids(&deep(r#"{"records":["#, "]}", 3)),
            vec![Ok("1".to_owned())]
        );
        assert_eq!(
            ids(&deep(r#"{"records":["#, "]}", 2000)),
            vec![too_deep.clone()]
        );
        let cri = "2024-01-02T03:04:05.1Z stdout F ";
        assert_eq!(
            ids(&format!("{}{E1}", cri.repeat(2))),
            vec![Ok("1".to_owned())]
        );
        assert_eq!(ids(&format!("{}{E1}", cri.repeat(100_000))), vec![too_deep]);
    }

    #[test]
    fn regression_trailing_garbage_makes_one_reject_for_the_line() {
        assert_eq!(
            ids(&format!("{E1}garbage")),
            vec![Err("not-json".to_owned())]
        );
        assert_eq!(ids("{}garbage"), vec![Err("not-json".to_owned())]);
        // Found by fuzzing: a cut string after the value made a record and a reject.
        assert_eq!(ids(&format!("{E1}\"")), vec![Err("not-json".to_owned())]);
        assert_eq!(ids(&format!("{E1} tru")), vec![Err("not-json".to_owned())]);
        assert_eq!(ids(&format!("{E1}{E2}]")), vec![Err("not-json".to_owned())]);
    }

    #[test]
    fn regression_records_of_a_one_line_document_carry_their_index() {
        let src = SourceRef {
            file: "f".into(),
            line: 1,
            record: None,
        };
        let doc = format!(r#"{{"records":[{E1},{E2}]}}"#);
        let got: Vec<Option<u64>> = decode(&doc, &src, NormalizeOptions::default())
            .into_iter()
            .map(|d| d.unwrap().event.source.record)
            .collect();
        assert_eq!(got, vec![Some(0), Some(1)]);
        let esc = serde_json::to_string(E2).unwrap();
        let cli = format!(r#"{{"events":[{{"timestamp":1,"message":{esc}}}]}}"#);
        let d = decode(&cli, &src, NormalizeOptions::default())
            .remove(0)
            .unwrap();
        assert_eq!(
            (d.event.audit_id.as_str(), d.event.source.record),
            ("2", Some(0))
        );
    }

    #[test]
    fn regression_csv_lines_are_named_as_csv_not_as_broken_json() {
        let src = SourceRef::default();
        for line in [
            "time,user,verb",
            "\"2024-01-02 03:04:05\",\"alice\",\"get\"",
            "2024-01-02 03:04:05,\"{\"\"kind\"\":\"\"Event\"\",",
        ] {
            let err = decode(line, &src, NormalizeOptions::default())
                .remove(0)
                .err()
                .unwrap();
            assert!(
                err.to_string().starts_with("not JSON: a CSV line"),
                "{line}: {err}"
            );
        }
    }

    #[test]
    fn request_received_records_routed_elsewhere_are_not_deferred() {
        // A top-level `properties` key sends the record to the AKS decoder: the probe must
        // not defer it as a native record.
        let rr = r#"{"auditID":"r1","stage":"RequestReceived","verb":"get","requestReceivedTimestamp":"2024-01-02T03:04:05Z","properties":{"log":"x"}}"#;
        let src = SourceRef::default();
        assert!(matches!(
            decode_early(rr, &src, NormalizeOptions::default()),
            Early::Decoded(_)
        ));
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

//! The legacy text backend (`--audit-log-format=legacy`):
//! `<time> AUDIT: id="…" stage="…" ip="…" method="…" user="…" groups="…" as="…"
//! asgroups="…" user-agent="…" namespace="…" uri="…" response="…"`, values quoted as Go's
//! `%q`. The object is rebuilt from the URI. What the line cannot carry: annotations (so no
//! authorization decision or reason), bodies, `user.extra`, and all source IPs but the
//! first (the client-supplied `X-Forwarded-For` one when present, not the socket peer).
//!
//! Before 1.7 a request is two lines with one `id` and no `stage`: the request line (`method`
//! is the HTTP method, the time is when the request arrived) and, later, a response line
//! `<time> AUDIT: id="…" response="200"`. Both are keyed by the ID alone
//! ([`is_split_request`]) and joined into one record ([`join`]: the request line, then the
//! response line), which [`parse`] reads as one event carrying the response code. A response
//! line whose request line is missing names no user: its actor is unknown, not anonymous.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::native::{self, RawEvent, RawObjectRef, RawStatus, RawUser};
use super::{Decoded, NormalizeOptions, paths};
use crate::ingest::RecordError;
use crate::model::{AuditEvent, Micros, SourceFormat, SourceRef};

const MARK: &str = " AUDIT: ";

pub fn is_legacy(line: &str) -> bool {
    line.find(MARK)
        .is_some_and(|i| line[i + MARK.len()..].starts_with("id="))
}

pub fn decode<'a>(
    line: &'a str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Result<Decoded<'a>, RecordError> {
    parse(line, source, opts).map(|event| Decoded {
        event,
        raw: Cow::Borrowed(line),
    })
}

/// True for an event read from a line logged before 1.7 (no `stage`): its request and
/// response are separate lines, merged by the audit ID alone.
pub fn is_split_request(event: &AuditEvent) -> bool {
    event.format == SourceFormat::Legacy && event.stage.is_none()
}

/// The record of a request logged before 1.7 with `more` added: one line each, the request
/// line first; a line already held is not repeated.
pub fn join(held: &str, more: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for l in held.lines().chain(more.lines()) {
        if !l.trim().is_empty() && !lines.contains(&l) {
            lines.push(l);
        }
    }
    // Stable: request lines keep their order, response lines go after them.
    lines.sort_by_key(|l| read_line(l).is_ok_and(|l| l.is_response_half()));
    lines.join("\n")
}

/// One line: its time and fields.
struct Line<'a> {
    time: &'a str,
    fields: BTreeMap<String, String>,
}

impl Line<'_> {
    /// A value, unless empty or a placeholder (`<none>`, `<self>`, `<deferred>`…).
    fn get(&self, k: &str) -> Option<&str> {
        self.fields
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty() && !v.starts_with('<'))
    }

    /// The second line of a request logged before 1.7: `id` and `response` only.
    fn is_response_half(&self) -> bool {
        self.fields.contains_key("response")
            && !["stage", "method", "uri", "user"]
                .iter()
                .any(|k| self.fields.contains_key(*k))
    }

    /// The line's time, which must be a real one.
    fn time(&self) -> Result<&str, RecordError> {
        Micros::parse_checked(self.time)
            .map(|_| self.time)
            .map_err(|e| RecordError::BadValue(format!("line time {:?}: {e}", self.time)))
    }
}

fn read_line(line: &str) -> Result<Line<'_>, RecordError> {
    let i = line
        .find(MARK)
        .ok_or_else(|| RecordError::NotAnEvent("no ` AUDIT: ` marker".to_owned()))?;
    Ok(Line {
        time: line[..i].trim(),
        fields: pairs(&line[i + MARK.len()..])?,
    })
}

/// Parses one legacy line, or the joined lines of a request logged before 1.7.
pub fn parse(
    text: &str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Result<AuditEvent, RecordError> {
    let (mut request, mut response) = (None, None);
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let line = read_line(l)?;
        let slot = if line.is_response_half() {
            &mut response
        } else {
            &mut request
        };
        if slot.is_none() {
            *slot = Some(line);
        }
    }
    let raw = match (&request, &response) {
        (Some(req), resp) => request_event(req, resp.as_ref())?,
        (None, Some(resp)) => response_event(resp)?,
        (None, None) => return Err(RecordError::NotAnEvent("no legacy audit line".to_owned())),
    };
    let mut event = native::normalize(raw, source.clone(), opts)?;
    event.format = SourceFormat::Legacy;
    Ok(event)
}

/// A request line (with its response line, before 1.7).
fn request_event<'a>(
    line: &'a Line<'a>,
    response: Option<&'a Line<'a>>,
) -> Result<RawEvent<'a>, RecordError> {
    let uri = line.get("uri").unwrap_or_default();
    let parts = paths::from_uri(uri);
    let s = |v: &'a str| (!v.is_empty()).then_some(Cow::Borrowed(v));
    let object = parts.as_ref().map(|p| RawObjectRef {
        resource: s(p.resource),
        namespace: line.get("namespace").map(Cow::Borrowed).or(s(p.namespace)),
        name: s(p.name),
        api_group: Some(Cow::Borrowed(p.group)),
        api_version: s(p.version),
        subresource: s(p.subresource),
    });
    let before_1_7 = !line.fields.contains_key("stage");
    let verb = line.get("method").map(|m| {
        if before_1_7 {
            Cow::Owned(verb_of(m, uri, parts.as_ref()))
        } else {
            Cow::Borrowed(m)
        }
    });
    let user = |name: Option<&'a str>, groups: Option<&'a str>| RawUser {
        username: name.map(Cow::Borrowed),
        groups: groups.map(group_list),
        ..RawUser::default()
    };
    Ok(RawEvent {
        audit_id: line.get("id").map(Cow::Borrowed),
        stage: line.get("stage").map(Cow::Borrowed),
        request_uri: s(uri),
        verb,
        // `user="<none>"` is a request without identity (anonymous); no `user` at all says
        // nothing (unknown).
        user: line
            .fields
            .contains_key("user")
            .then(|| user(line.get("user"), line.get("groups"))),
        impersonated_user: line.get("as").map(|a| user(Some(a), line.get("asgroups"))),
        source_ips: line.get("ip").map(|ip| vec![Cow::Borrowed(ip)]),
        user_agent: line.get("user-agent").map(Cow::Borrowed),
        object_ref: object,
        response_status: status(response.unwrap_or(line))?,
        request_received_timestamp: Some(Cow::Borrowed(line.time()?)),
        stage_timestamp: response.map(Line::time).transpose()?.map(Cow::Borrowed),
        ..RawEvent::default()
    })
}

/// A response line logged before 1.7 whose request line is not there: the ID, the code and
/// the time of the response; who made the request is unknown.
fn response_event<'a>(line: &'a Line<'a>) -> Result<RawEvent<'a>, RecordError> {
    Ok(RawEvent {
        audit_id: line.get("id").map(Cow::Borrowed),
        response_status: status(line)?,
        stage_timestamp: Some(Cow::Borrowed(line.time()?)),
        ..RawEvent::default()
    })
}

fn status<'a>(line: &Line<'_>) -> Result<Option<RawStatus<'a>>, RecordError> {
    let Some(r) = line.get("response") else {
        return Ok(None);
    };
    let code = r
        .parse::<i64>()
        .map_err(|_| RecordError::BadValue(format!("response {r:?} is not an HTTP status code")))?;
    Ok(Some(RawStatus {
        code: Some(code),
        ..RawStatus::default()
    }))
}

/// The verb the API server derives from the HTTP method and path of a resource request (the
/// lines of 1.7 and later log the verb; earlier ones the method); a non-resource request's
/// verb is its method, lower-cased.
fn verb_of(method: &str, uri: &str, parts: Option<&paths::PathParts<'_>>) -> String {
    let Some(p) = parts else {
        return method.to_ascii_lowercase();
    };
    let named = !p.name.is_empty();
    let watch = p.watch || uri.contains("watch=true") || uri.contains("watch=1");
    let verb = match method {
        "GET" | "HEAD" if watch => "watch",
        "GET" | "HEAD" if named => "get",
        "GET" | "HEAD" => "list",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" if named => "delete",
        "DELETE" => "deletecollection",
        other => return other.to_ascii_lowercase(),
    };
    verb.to_owned()
}

/// `key="value" key2="value2" …` with Go-quoted values.
fn pairs(s: &str) -> Result<BTreeMap<String, String>, RecordError> {
    let mut out = BTreeMap::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| RecordError::NotJson(format!("expected key=\"value\" at {rest:?}")))?;
        let key = rest[..eq].trim().to_owned();
        let (value, after) = go_unquote(&rest[eq + 1..]).ok_or_else(|| {
            RecordError::Truncated(format!("unterminated quoted value of {key:?}"))
        })?;
        out.insert(key, value);
        rest = after.trim_start();
    }
    Ok(out)
}

/// Reads a Go `%q` string at the start of `s`: the value and what follows it.
fn go_unquote(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let v = u32::from_str_radix(&hex, 16).ok()?;
                        out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    None
}

/// `"a","b"` (each element Go-quoted, comma-joined) → `[a, b]`.
fn group_list(s: &str) -> Vec<Cow<'static, str>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some((g, after)) = go_unquote(rest.trim_start_matches([',', ' '])) {
        out.push(Cow::Owned(g));
        rest = after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActorKind;

    const LINE: &str = r#"2024-01-02T03:04:05.123456Z AUDIT: id="5d1b4f2e-1" stage="ResponseComplete" ip="10.0.0.9" method="create" user="system:serviceaccount:shop:web" groups="\"system:serviceaccounts\",\"system:authenticated\"" as="<self>" asgroups="<lookup>" user-agent="kubectl/v1.29.3 (linux/amd64)" namespace="shop" uri="/api/v1/namespaces/shop/pods/web-0/exec?command=sh&container=web&stdin=true&tty=true" response="101""#;

    #[test]
    fn parses_a_legacy_line() {
        assert!(is_legacy(LINE));
        let e = parse(LINE, &SourceRef::default(), NormalizeOptions::default()).unwrap();
        assert_eq!(e.format, SourceFormat::Legacy);
        assert_eq!(e.audit_id, "5d1b4f2e-1");
        assert_eq!(e.verb, "create");
        assert_eq!(
            e.user.groups,
            vec!["system:serviceaccounts", "system:authenticated"]
        );
        assert!(e.impersonated.is_none());
        assert_eq!(
            (e.object.resource.as_str(), e.object.subresource.as_str()),
            ("pods", "exec")
        );
        assert_eq!(e.code, Some(101));
        assert_eq!(e.exec.unwrap().command, vec!["sh"]);
        assert_eq!(e.time.rfc3339(), "2024-01-02T03:04:05.123456Z");
    }

    #[test]
    fn deferred_response_and_cut_lines() {
        let deferred = LINE.replace(r#"response="101""#, r#"response="<deferred>""#);
        let e = parse(
            &deferred,
            &SourceRef::default(),
            NormalizeOptions::default(),
        )
        .unwrap();
        assert_eq!(e.code, None);
        let cut = &LINE[..LINE.len() - 30];
        assert!(parse(cut, &SourceRef::default(), NormalizeOptions::default()).is_err());
    }

    /// The two lines of one request as the API server wrote them before 1.7.
    const REQUEST_1_6: &str = r#"2017-03-21T03:57:09.106841886-04:00 AUDIT: id="c939d2a7-1c37-4ef1-b2f7-4ba9b1e43b53" ip="127.0.0.1" method="GET" user="admin" groups="\"system:masters\",\"system:authenticated\"" as="<self>" asgroups="<lookup>" namespace="default" uri="/api/v1/namespaces/default/pods""#;
    const RESPONSE_1_6: &str = r#"2017-03-21T03:57:09.108403639-04:00 AUDIT: id="c939d2a7-1c37-4ef1-b2f7-4ba9b1e43b53" response="200""#;

    fn event(text: &str) -> AuditEvent {
        parse(text, &SourceRef::default(), NormalizeOptions::default()).unwrap()
    }

    #[test]
    fn regression_legacy_request_and_response_lines_become_one_event() {
        let joined = join(RESPONSE_1_6, REQUEST_1_6);
        assert_eq!(joined, format!("{REQUEST_1_6}\n{RESPONSE_1_6}"));
        // Joining a line already held changes nothing (a rerun reads it again).
        assert_eq!(join(&joined, REQUEST_1_6), joined);
        let e = event(&joined);
        assert!(is_split_request(&e));
        assert_eq!(e.audit_id, "c939d2a7-1c37-4ef1-b2f7-4ba9b1e43b53");
        assert_eq!(e.user.username, "admin");
        assert_eq!(e.actor.kind, ActorKind::Human);
        assert_eq!(e.code, Some(200));
        assert_eq!(e.verb, "list", "GET of a collection");
        assert_eq!(e.object.resource, "pods");
        // The request's time is when it arrived; the response line's is kept as its own.
        assert_eq!(e.time.rfc3339(), "2017-03-21T07:57:09.106841Z");
        assert_eq!(
            e.stage_time.map(Micros::rfc3339).as_deref(),
            Some("2017-03-21T07:57:09.108403Z")
        );
        let alone = event(REQUEST_1_6);
        assert_eq!(alone.code, None);
    }

    #[test]
    fn regression_legacy_response_line_alone_is_not_anonymous() {
        let e = event(RESPONSE_1_6);
        assert!(is_split_request(&e));
        assert_eq!(e.actor.kind, ActorKind::Unknown);
        assert!(e.user.username.is_empty());
        assert_eq!(e.code, Some(200));
        assert_eq!(e.received, None, "no arrival time is made up");
        assert_eq!(e.time.rfc3339(), "2017-03-21T07:57:09.108403Z");
        // `user="<none>"` is logged for a request without identity: that is anonymous.
        let none = REQUEST_1_6.replace(r#"user="admin""#, r#"user="<none>""#);
        assert_eq!(event(&none).actor.kind, ActorKind::Anonymous);
    }

    #[test]
    fn verbs_before_1_7_come_from_the_method_and_path() {
        let verb = |method: &str, uri: &str| {
            event(
                &REQUEST_1_6
                    .replace(r#"method="GET""#, &format!("method=\"{method}\""))
                    .replace("/api/v1/namespaces/default/pods", uri),
            )
            .verb
        };
        assert_eq!(verb("GET", "/api/v1/namespaces/default/pods/p"), "get");
        assert_eq!(
            verb("GET", "/api/v1/namespaces/default/pods?watch=true"),
            "watch"
        );
        assert_eq!(
            verb("GET", "/api/v1/watch/namespaces/default/pods"),
            "watch"
        );
        assert_eq!(
            verb("POST", "/api/v1/namespaces/default/pods/p/exec"),
            "create"
        );
        assert_eq!(verb("PUT", "/api/v1/namespaces/default/pods/p"), "update");
        assert_eq!(verb("PATCH", "/api/v1/namespaces/default/pods/p"), "patch");
        assert_eq!(
            verb("DELETE", "/api/v1/namespaces/default/pods/p"),
            "delete"
        );
        assert_eq!(
            verb("DELETE", "/api/v1/namespaces/default/pods"),
            "deletecollection"
        );
        assert_eq!(verb("GET", "/healthz"), "get");
        // Lines of 1.7 and later log the verb itself.
        assert_eq!(event(LINE).verb, "create");
    }

    #[test]
    fn regression_legacy_line_with_a_date_that_does_not_exist_is_rejected() {
        let bad = LINE.replacen("2024-01-02", "2024-02-30", 1);
        let err = parse(&bad, &SourceRef::default(), NormalizeOptions::default()).unwrap_err();
        assert_eq!(err.kind(), "bad-value");
        assert!(
            err.to_string().contains("day 30 of 2024-02 does not exist"),
            "{err}"
        );
    }
}

//! The legacy text backend (`--audit-log-format=legacy`):
//! `<time> AUDIT: id="…" stage="…" ip="…" method="…" user="…" groups="…" as="…"
//! asgroups="…" user-agent="…" namespace="…" uri="…" response="…"`, values quoted as Go's
//! `%q`. The object is rebuilt from the URI. What the line cannot carry: annotations (so no
//! authorization decision or reason), bodies, `user.extra`, and all source IPs but the
//! first (the client-supplied `X-Forwarded-For` one when present, not the socket peer).

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::native::{self, RawEvent, RawObjectRef, RawStatus, RawUser};
use super::{Decoded, NormalizeOptions, paths};
use crate::ingest::RecordError;
use crate::model::{AuditEvent, SourceFormat, SourceRef};

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

/// Parses one legacy line.
pub fn parse(
    line: &str,
    source: &SourceRef,
    opts: NormalizeOptions,
) -> Result<AuditEvent, RecordError> {
    let i = line
        .find(MARK)
        .ok_or_else(|| RecordError::NotAnEvent("no ` AUDIT: ` marker".to_owned()))?;
    let time = line[..i].trim();
    let fields = pairs(&line[i + MARK.len()..])?;
    let get = |k: &str| {
        fields
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty() && !v.starts_with('<'))
    };
    let uri = get("uri").unwrap_or_default();
    let parts = paths::from_uri(uri);
    let s = |v: &str| (!v.is_empty()).then(|| Cow::Owned(v.to_owned()));
    let object = parts.map(|p| RawObjectRef {
        resource: s(p.resource),
        namespace: get("namespace")
            .map(|n| Cow::Owned(n.to_owned()))
            .or(s(p.namespace)),
        name: s(p.name),
        api_group: Some(Cow::Owned(p.group.to_owned())),
        api_version: s(p.version),
        subresource: s(p.subresource),
    });
    let code = match get("response") {
        Some(r) => Some(r.parse::<i64>().map_err(|_| {
            RecordError::BadValue(format!("response {r:?} is not an HTTP status code"))
        })?),
        None => None,
    };
    let user = |name: Option<&str>, groups: Option<&str>| RawUser {
        username: name.map(|n| Cow::Owned(n.to_owned())),
        groups: groups.map(group_list),
        ..RawUser::default()
    };
    let raw = RawEvent {
        audit_id: get("id").map(|v| Cow::Owned(v.to_owned())),
        stage: get("stage").map(|v| Cow::Owned(v.to_owned())),
        request_uri: s(uri),
        verb: get("method").map(|v| Cow::Owned(v.to_owned())),
        user: Some(user(get("user"), get("groups"))),
        impersonated_user: get("as").map(|a| user(Some(a), get("asgroups"))),
        source_ips: get("ip").map(|ip| vec![Cow::Owned(ip.to_owned())]),
        user_agent: get("user-agent").map(|v| Cow::Owned(v.to_owned())),
        object_ref: object,
        response_status: code.map(|c| RawStatus {
            code: Some(c),
            ..RawStatus::default()
        }),
        request_received_timestamp: Some(Cow::Borrowed(time)),
        ..RawEvent::default()
    };
    let mut event = native::normalize(raw, source.clone(), opts)?;
    event.format = SourceFormat::Legacy;
    Ok(event)
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
}

//! Salvaging records an exporter cut short (EKS `[Truncated...]` messages, AKS
//! `properties.log` cut at about 16 KiB): the longest prefix that ends after a complete
//! value is closed into valid JSON, so the leading fields (who, verb, object) survive.

use serde_json::{Map, Value};

/// The annotation a salvaged record carries, so re-normalizing the stored record flags it.
pub const ANNOTATION: &str = "kubesift.io/salvaged";

/// The fact (`fact:truncated-record`) a salvaged event carries.
pub const FACT: &str = "truncated-record";

/// The suffix CloudWatch Logs appends to an oversized message.
pub const EKS_MARKER: &str = "[Truncated...]";

/// Repairs a cut native event: closes it after its last complete value, adds the
/// [`ANNOTATION`], and, when the cut lost every timestamp, sets `requestReceivedTimestamp` to
/// `fallback_time` (the wrapper's time). `None` when not even an object start survives.
pub fn salvage(text: &str, fallback_time: Option<&str>) -> Option<String> {
    let body = text.trim_end();
    let body = body.strip_suffix(EKS_MARKER).unwrap_or(body);
    let closed = close(body)?;
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(&closed) else {
        return None;
    };
    let has_time = ["requestReceivedTimestamp", "stageTimestamp", "timestamp"]
        .iter()
        .any(|k| {
            map.get(*k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        });
    if !has_time && let Some(t) = fallback_time {
        map.insert(
            "requestReceivedTimestamp".into(),
            Value::String(t.to_owned()),
        );
    }
    let note = format!("cut at {} bytes by the exporter", body.len());
    if let Some(Value::Object(a)) = map.get_mut("annotations") {
        a.insert(ANNOTATION.into(), Value::String(note));
    } else {
        let mut a = Map::new();
        a.insert(ANNOTATION.into(), Value::String(note));
        map.insert("annotations".into(), Value::Object(a));
    }
    serde_json::to_string(&Value::Object(map)).ok()
}

/// Whether a record looks cut short rather than malformed.
pub fn looks_truncated(text: &str, eof_error: bool) -> bool {
    eof_error || text.trim_end().ends_with(EKS_MARKER)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Key,
    Colon,
    Value,
    After,
}

struct Frame {
    closer: u8,
    state: State,
}

/// The prefix of `text` up to its last complete value, with the open brackets closed.
fn close(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut safe: Option<(usize, Vec<u8>)> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'{' | b'[' => {
                let (closer, state) = if c == b'{' {
                    (b'}', State::Key)
                } else {
                    (b']', State::Value)
                };
                stack.push(Frame { closer, state });
                i += 1;
                safe = Some((i, closers(&stack)));
            }
            b'}' | b']' => {
                stack.pop()?;
                i += 1;
                if stack.is_empty() {
                    return Some(text[..i].to_owned());
                }
                value_done(&mut stack, i, &mut safe);
            }
            b':' => {
                set_state(&mut stack, State::Value);
                i += 1;
            }
            b',' => {
                let next = match stack.last() {
                    Some(f) if f.closer == b'}' => State::Key,
                    _ => State::Value,
                };
                set_state(&mut stack, next);
                i += 1;
            }
            b'"' => {
                let Some(end) = string_end(b, i + 1) else {
                    break;
                };
                i = end;
                match stack.last() {
                    Some(f) if f.state == State::Key => set_state(&mut stack, State::Colon),
                    Some(_) => value_done(&mut stack, i, &mut safe),
                    None => return None,
                }
            }
            _ => {
                let Some(len) = b[i..]
                    .iter()
                    .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                else {
                    break;
                };
                i += len;
                value_done(&mut stack, i, &mut safe);
            }
        }
    }
    let (cut, closing) = safe?;
    let mut out = String::with_capacity(cut + closing.len());
    out.push_str(&text[..cut]);
    out.extend(closing.iter().map(|c| char::from(*c)));
    Some(out)
}

/// The byte after the closing quote of a string starting at `from`, if it is closed.
fn string_end(b: &[u8], mut from: usize) -> Option<usize> {
    while from < b.len() {
        match b[from] {
            b'\\' => from += 2,
            b'"' => return Some(from + 1),
            _ => from += 1,
        }
    }
    None
}

fn set_state(stack: &mut [Frame], state: State) {
    if let Some(f) = stack.last_mut() {
        f.state = state;
    }
}

fn value_done(stack: &mut [Frame], at: usize, safe: &mut Option<(usize, Vec<u8>)>) {
    set_state(stack, State::After);
    *safe = Some((at, closers(stack)));
}

fn closers(stack: &[Frame]) -> Vec<u8> {
    stack.iter().rev().map(|f| f.closer).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_after_the_last_complete_value() {
        assert_eq!(
            close(r#"{"a":"x","b":{"c":1,"d":"tru"#).unwrap(),
            r#"{"a":"x","b":{"c":1}}"#
        );
        assert_eq!(close(r#"{"a":[1,2,"#).unwrap(), r#"{"a":[1,2]}"#);
        assert_eq!(close(r#"{"a":{"#).unwrap(), r#"{"a":{}}"#);
        // A number at the very end may itself be cut: dropped.
        assert_eq!(close(r#"{"a":1,"b":12"#).unwrap(), r#"{"a":1}"#);
        assert_eq!(close(r#"{"a\"b":"x\"#).unwrap(), "{}");
        assert!(close("garbage").is_none());
    }

    #[test]
    fn salvages_an_eks_truncated_message_with_a_fallback_time() {
        let cut = r#"{"kind":"Event","auditID":"a1","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"configmaps","namespace":"x"},"requestObject":{"data":{"k":"vvvv[Truncated...]"#;
        let fixed = salvage(cut, Some("2024-01-02T03:04:05Z")).unwrap();
        let v: Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(v["auditID"], "a1");
        assert_eq!(v["objectRef"]["resource"], "configmaps");
        assert_eq!(v["requestReceivedTimestamp"], "2024-01-02T03:04:05Z");
        assert!(v["annotations"][ANNOTATION].is_string());
    }
}

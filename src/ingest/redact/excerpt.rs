//! Reject excerpts without secrets. A rejected record is often not JSON, so what it holds
//! cannot be known; its excerpt (and its reason, which may quote a value the decoder found)
//! is therefore cut, by a textual scan, before the first key
//! under which a secret value may follow — `data`, `stringData` (any `…Data`), `token` (any
//! `…Token`), `value` (a JSON patch op), `object` / `items` / `rows` (watch events, lists,
//! tables), `request` / `response` and `requestObject` / `responseObject` (the bodies) — and
//! before any letter spelled as a `\u00XX` escape (which could hide such a key). A key counts
//! whatever quotes it (`"data"`, `\"data\"` inside a string, `""data""` in CSV). In a secret
//! the key always precedes the value (a JSON patch's `value` is itself a key), so the text
//! kept holds none. Ordinary records reach the bodies well past the first 120 characters, so
//! their excerpts are seldom cut.

use std::borrow::Cow;

/// Appended where an excerpt was cut.
pub const WITHHELD: &str = "…[cut: may hold a secret]";

/// Keys that start a key (preceded by a quote).
const KEYS: [&str; 8] = [
    "data", "token", "value", "object", "items", "rows", "request", "response",
];

/// Keys that end a camel-case key (`stringData`, `requestObject`, `serviceAccountToken`).
const KEY_ENDINGS: [&str; 3] = ["Data", "Object", "Token"];

/// `text` cut before the first place a secret value could follow.
pub fn excerpt(text: &str) -> Cow<'_, str> {
    match first_sensitive(text) {
        Some(cut) => Cow::Owned(format!("{}{WITHHELD}", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

fn first_sensitive(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let keys = KEYS
        .iter()
        .filter_map(|k| find_key(b, k, true))
        .chain(KEY_ENDINGS.iter().filter_map(|k| find_key(b, k, false)));
    let escape = super::escaped_letter(b);
    keys.chain(escape).min().map(|i| key_start(b, i))
}

/// The first place `word` ends a key: followed by a quote (after any backslashes), and,
/// when `whole`, preceded by one.
fn find_key(b: &[u8], word: &str, whole: bool) -> Option<usize> {
    memchr::memmem::find_iter(b, word.as_bytes()).find(|&i| {
        let after = b[i + word.len()..].iter().find(|&&c| c != b'\\');
        after == Some(&b'"') && (!whole || i.checked_sub(1).is_some_and(|p| b[p] == b'"'))
    })
}

/// Where the key around `i` begins: back to its opening quote and any backslash before it.
/// Always a character boundary (an ASCII byte's position, or `i`).
fn key_start(b: &[u8], i: usize) -> usize {
    let mut start = i;
    while start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_') {
        start -= 1;
    }
    while start > 0 && matches!(b[start - 1], b'"' | b'\\') {
        start -= 1;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str) -> String {
        excerpt(text)
            .strip_suffix(WITHHELD)
            .map_or_else(|| format!("(whole) {text}"), str::to_owned)
    }

    #[test]
    fn cut_before_keys_that_may_hold_a_secret() {
        for (text, want) in [
            (
                r#"{"kind":"Secret","data":{"k":"c3Vw"}}"#,
                r#"{"kind":"Secret","#,
            ),
            (r#"{"a":1,"stringData":{"k":"x"}}"#, r#"{"a":1,"#),
            (r#"{"requestObject":{"k":"x"}}"#, "{"),
            (r#"[{"value":"x","path":"/data/k"}]"#, "[{"),
            (r#"{"log":"{\"data\":{\"k\":\"x\"}}"}"#, r#"{"log":"{"#),
            (r#"2024-01-01,"{""token"":""x""}""#, r#"2024-01-01,"{"#),
            (r#"{"d\u0061ta":{"k":"x"}}"#, "{"),
            (r#"{"status":{"token":"eyJh"}}"#, r#"{"status":{"#),
        ] {
            assert_eq!(kept(text), want, "{text}");
        }
    }

    #[test]
    fn ordinary_heads_are_kept_whole() {
        let head = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/x/secrets/db-data","verb":"get"}"#;
        assert_eq!(excerpt(head), head);
        // A multi-byte character before the cut stays whole.
        let text = "é{\"data\":\"x\"}";
        assert_eq!(kept(text), "é{");
    }
}

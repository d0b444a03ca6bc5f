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

/// `text` cut before the first place a secret value could follow: a key of a JSON text. For
/// a reject's reason, which may quote a value the decoder found.
pub fn excerpt(text: &str) -> Cow<'_, str> {
    cut_at(text, first_sensitive(text))
}

/// A rejected line's excerpt: cut as [`excerpt`] cuts, and also before a secret named in
/// plain text (`password=…`, `token: …`, `Bearer …`): the line may not be JSON at all.
pub fn line_excerpt(text: &str) -> Cow<'_, str> {
    let json = first_sensitive(text);
    let plain = plain_key(text.as_bytes());
    cut_at(text, json.into_iter().chain(plain).min())
}

fn cut_at(text: &str, cut: Option<usize>) -> Cow<'_, str> {
    match cut {
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
    keys.chain(escape).map(|i| key_start(b, i)).min()
}

/// Short words that name a secret only as a whole word (`key=`, `data: …`, `pwd=`).
const PLAIN_WHOLE: [&str; 5] = ["key", "data", "value", "pwd", "auth"];

/// The first place, in text that is not JSON (a rejected line of a log), where a word naming
/// a secret is followed by `=` or `:` (spaces allowed), or a `Bearer `/`Basic ` credential
/// begins: the start of that word.
fn plain_key(b: &[u8]) -> Option<usize> {
    let lower = b.to_ascii_lowercase();
    let assigned = |end: usize| {
        let rest = lower[end..].iter().skip_while(|c| **c == b' ');
        matches!(rest.clone().next(), Some(b'=' | b':'))
    };
    let word_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    let found = |word: &str, whole: bool| {
        memchr::memmem::find_iter(&lower, word.as_bytes()).find(|&i| {
            let end = i + word.len();
            let bounded = !whole
                || (i.checked_sub(1).is_none_or(|p| !word_char(lower[p]))
                    && lower.get(end).is_none_or(|c| !word_char(*c)));
            bounded && assigned(end)
        })
    };
    let credentials = ["bearer ", "basic "]
        .iter()
        .filter_map(|w| memchr::memmem::find(&lower, w.as_bytes()));
    crate::model::sanitize::SECRET_KEY_WORDS
        .iter()
        .filter_map(|w| found(w, false))
        .chain(PLAIN_WHOLE.iter().filter_map(|w| found(w, true)))
        .map(|i| {
            // Back to the start of the word (`dbPassword`).
            let mut start = i;
            while start > 0 && word_char(lower[start - 1]) {
                start -= 1;
            }
            start
        })
        .chain(credentials)
        .min()
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

    /// A rejected line that was not JSON kept `password=…` and `token=…` in its excerpt.
    #[test]
    fn regression_plain_text_secrets_were_kept_in_excerpts() {
        let kept = |text: &str| {
            line_excerpt(text)
                .strip_suffix(WITHHELD)
                .map_or_else(|| format!("(whole) {text}"), str::to_owned)
        };
        for (text, want) in [
            ("not json data=REJ1 value: REJ2", "not json "),
            ("x token=REJ5", "x "),
            (
                "2024-01-01 user=bob dbPassword = hunter2",
                "2024-01-01 user=bob ",
            ),
            ("GET / Authorization: Bearer eyJhbGciOi", "GET / "),
            ("curl -H 'X: Bearer abc'", "curl -H 'X: "),
            ("client_secret:abc", ""),
            ("API_KEY=abc", ""),
        ] {
            assert_eq!(kept(text), want, "{text}");
        }
        // Words that only look like keys, and keys with no value after them, stay.
        for text in [
            "monkey=1 keyboard: x",
            "a tokenizer ran; the secret garden",
            "verb=get resource=pods",
        ] {
            assert_eq!(line_excerpt(text), text);
        }
        // A reason is kubesift's own text: `bad value: …` is not a secret's key.
        let reason = "bad value: no requestReceivedTimestamp, stageTimestamp or timestamp";
        assert_eq!(excerpt(reason), reason);
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

//! Why a record was rejected, and the reject report (file, line, reason, excerpt).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What was wrong with one input record.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RecordError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("truncated JSON: {0}")]
    Truncated(String),
    #[error("wrong field type at `{path}`: {message}")]
    WrongType { path: String, message: String },
    #[error("not UTF-8: invalid byte at offset {0}")]
    NotUtf8(usize),
    #[error("record too long: {len} bytes (limit {limit}; raise it with --max-record-bytes)")]
    TooLong { len: u64, limit: u64 },
    #[error("{0}")]
    NotAnEvent(String),
    #[error("bad value: {0}")]
    BadValue(String),
    #[error("record cut off by the end of a truncated gzip stream")]
    TruncatedGzip,
    /// Nested deeper than a decoder follows (JSON values, or containers of records).
    #[error("nested deeper than {0} levels")]
    TooDeep(u32),
    /// A line the input format is expected to carry besides audit events (a klog line in
    /// container stdout, a CSV header, a Firehose `CONTROL_MESSAGE`, a non-audit AKS
    /// category): counted as skipped, not rejected.
    #[error("not audit data: {0}")]
    NotAudit(String),
}

impl RecordError {
    /// Classifies a `serde_json` error. For a wrong field type, the record is parsed again
    /// as `T` to learn the path of the offending field (only on this error path).
    pub fn from_json<'de, T: Deserialize<'de>>(err: &serde_json::Error, json: &'de str) -> Self {
        use serde_json::error::Category;
        if err.to_string().starts_with("recursion limit exceeded") {
            return RecordError::TooDeep(JSON_DEPTH);
        }
        match err.classify() {
            Category::Eof => RecordError::Truncated(strip_position(err)),
            Category::Syntax | Category::Io => RecordError::NotJson(strip_position(err)),
            Category::Data => {
                let mut de = serde_json::Deserializer::from_str(json);
                let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                    Err(e) => e.path().to_string(),
                    Ok(_) => ".".to_owned(),
                };
                RecordError::WrongType {
                    path,
                    message: friendly_type_message(&strip_position(err)),
                }
            }
        }
    }

    /// A short stable name for the reason, for counting.
    pub fn kind(&self) -> &'static str {
        match self {
            RecordError::NotJson(_) => "not-json",
            RecordError::Truncated(_) => "truncated",
            RecordError::WrongType { .. } => "wrong-type",
            RecordError::NotUtf8(_) => "not-utf8",
            RecordError::TooLong { .. } => "too-long",
            RecordError::NotAnEvent(_) => "not-an-event",
            RecordError::BadValue(_) => "bad-value",
            RecordError::TruncatedGzip => "truncated-gzip",
            RecordError::TooDeep(_) => "too-deep",
            RecordError::NotAudit(_) => "not-audit",
        }
    }
}

/// How deep `serde_json` follows nested JSON values when it decodes into a type (its default
/// recursion limit): deeper records are rejected, never a stack overflow.
pub const JSON_DEPTH: u32 = 128;

/// `serde_json` appends "at line 1 column 57"; keep the column, which is useful, in a shorter
/// form.
fn strip_position(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    match msg.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &msg[..i], err.column()),
        None => msg,
    }
}

/// Replaces serde's Rust-flavoured "expected struct `RawObjectRef`" with words an analyst
/// reads.
fn friendly_type_message(msg: &str) -> String {
    let mut out = msg.to_owned();
    for (from, to) in [
        ("expected struct ", "expected an object "),
        ("a borrowed string", "a string"),
        ("a sequence", "an array"),
        ("a map", "an object"),
        ("i64", "an integer"),
    ] {
        out = out.replace(from, to);
    }
    // "expected an object RawObjectRef" → "expected an object"
    if let Some(i) = out.find("expected an object Raw") {
        let tail = &out[i + "expected an object ".len()..];
        let end = tail.find([' ', ')']).unwrap_or(tail.len());
        out.replace_range(
            i + "expected an object".len()..i + "expected an object ".len() + end,
            "",
        );
    }
    out
}

/// One rejected record, as written to the rejects file and shown on stderr.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    pub kind: String,
    pub reason: String,
    /// The first characters of the record, cut before anything that may hold a secret value
    /// (see `redact::line_excerpt`), control characters escaped.
    pub excerpt: String,
}

impl Reject {
    pub const EXCERPT_CHARS: usize = 120;

    pub fn new(file: &str, line: u64, err: &RecordError, record: &[u8]) -> Reject {
        let text = String::from_utf8_lossy(&record[..record.len().min(Self::EXCERPT_CHARS * 4)]);
        let excerpt: String = text.chars().take(Self::EXCERPT_CHARS).collect();
        let excerpt = super::redact::line_excerpt(&excerpt);
        Reject {
            file: file.to_owned(),
            line,
            kind: err.kind().to_owned(),
            // A wrong-type reason quotes the value it found: cut like the excerpt.
            reason: super::redact::excerpt(&err.to_string()).into_owned(),
            excerpt: crate::model::sanitize::escape_control(&excerpt).into_owned(),
        }
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = crate::model::sanitize::escape_control(&self.file);
        write!(f, "{file}:{}: {}", self.line, self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct RawThing {
        #[serde(default, rename = "objectRef")]
        object_ref: Option<RawInner>,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct RawInner {
        resource: Option<String>,
    }

    #[test]
    fn wrong_type_names_the_field() {
        let json = r#"{"objectRef":"pods"}"#;
        let err = serde_json::from_str::<RawThing>(json).err().unwrap();
        let e = RecordError::from_json::<RawThing>(&err, json);
        assert_eq!(e.kind(), "wrong-type");
        let msg = e.to_string();
        assert!(msg.contains("`objectRef`"), "{msg}");
        assert!(msg.contains("expected an object"), "{msg}");
        assert!(!msg.contains("Raw"), "{msg}");
    }

    #[test]
    fn truncated_and_garbage() {
        let json = r#"{"objectRef":{"resource":"po"#;
        let err = serde_json::from_str::<RawThing>(json).err().unwrap();
        assert_eq!(
            RecordError::from_json::<RawThing>(&err, json).kind(),
            "truncated"
        );
        let json = "hello";
        let err = serde_json::from_str::<RawThing>(json).err().unwrap();
        assert_eq!(
            RecordError::from_json::<RawThing>(&err, json).kind(),
            "not-json"
        );
    }
}

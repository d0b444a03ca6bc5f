//! Findings of the fuzzer whose fix belongs to code another change owns (issue 9's ingest
//! items): each is reported with its cases on every run but does not fail the test. Remove an
//! entry once its fix is merged; the fuzzer then holds the code to it.
//!
//! | id | target | minimal input | what happens |
//! |----|--------|---------------|--------------|
//! | `deferred-probe-disagrees` | records | `{"auditID":"rr-1","stage":"RequestReceived","verb":"get","user":5,"requestReceivedTimestamp":"2026-03-14T10:00:01Z"}` | the cheap `RequestReceived` probe accepts what the full decode rejects (issue item 1) |
//! | `deferred-record-aborts-run` | ingest | the same line in a file | `index manifest is corrupt: …: record no longer decodes`: the whole run fails (item 1) |
//! | `deep-nesting-overflows-stack` | records, ingest | `[`×300 `]`×300, or `[{"kind":"EventList","items":`×200 … | stack overflow, the process aborts (item 2) |
//! | `far-future-time-overflows-index` | ingest | a record with `"requestReceivedTimestamp":"9999-12-31T23:59:59Z"` | `DateTime::from_timestamp_micros` in `index/schema.rs` overflows: a parser thread panics and the run fails in debug builds; release builds store a wrapped time (item 8) |
//! | `trailing-garbage-counted-twice` | ingest | `{…event…}garbage` | the line counts as an event and a reject (item 3) |
//! | `empty-container-not-counted` | ingest | a line `{"logEvents":[]}` (or `[]`, `{"items":[]}`, `{"records":[]}`) | the line yields no record, no reject and no skip: lines ≠ records + rejected + skipped (item 3) |
//! | `rejects-unbounded` | ingest | gzip of 400 000 `{}` lines (5 KB) | 65 MB of rejects stored (item 4) |
//! | `lines-file-scanned-whole` | ingest | `{"kind":"Event","auditID":"x",` then 5 good lines | a JSON-lines file whose first line is cut (or longer than 64 KiB) is scanned as one document, and a line missing its closing brace swallows every line after it: 1 reject, 0 events (`split.rs` `sniff` and `Scanner`) |

use crate::driver::Input;

/// A known finding: which target, which oracle, and which inputs it is.
pub struct Known {
    pub id: &'static str,
    pub target: &'static str,
    pub what: &'static str,
    matches: fn(kind: &str, detail: &str, input: &Input) -> bool,
}

pub const KNOWN: &[Known] = &[
    Known {
        id: "deferred-probe-disagrees",
        target: "records",
        what: "issue 9 item 1: the RequestReceived probe accepts records the full decode rejects",
        matches: |kind, _, _| kind == "deferred-record-does-not-decode",
    },
    Known {
        id: "deferred-record-aborts-run",
        target: "ingest",
        what: "issue 9 item 1: a deferred record that does not decode fails the whole run",
        matches: |kind, detail, _| {
            kind == "ingest-failed" && detail.contains("record no longer decodes")
        },
    },
    Known {
        id: "deep-nesting-overflows-stack",
        target: "records",
        what: "issue 9 item 2: deep nesting overflows the stack of a recursive decoder",
        matches: deep_nesting_abort,
    },
    Known {
        id: "deep-nesting-overflows-stack",
        target: "ingest",
        what: "issue 9 item 2: deep nesting overflows the stack of a recursive decoder",
        matches: deep_nesting_abort,
    },
    Known {
        id: "far-future-time-overflows-index",
        target: "ingest",
        what: "issue 9 item 8: an event time past 2262 overflows tantivy's date (index/schema.rs) and the parser thread panics",
        matches: |kind, detail, _| {
            kind == "panic" && detail.contains("datetime.rs") && detail.contains("overflow")
        },
    },
    Known {
        id: "trailing-garbage-counted-twice",
        target: "ingest",
        what: "issue 9 item 3: a line `{…}garbage` counts as a record and a reject",
        matches: |kind, detail, _| {
            kind == "accounting"
                && number_after(detail, "lines, ")
                    .zip(number_after(detail, ": "))
                    .zip(number_after(detail, "trailing garbage: "))
                    .is_some_and(|((seen, expected), garbage)| {
                        seen > expected && seen - expected <= garbage
                    })
        },
    },
    Known {
        id: "empty-container-not-counted",
        target: "ingest",
        what: "a line holding an empty container (`[]`, `{\"items\":[]}`, `{\"logEvents\":[]}`…) is neither a record, a reject nor a skipped line",
        matches: |kind, detail, _| {
            kind == "accounting"
                && number_after(detail, "lines, ")
                    .zip(number_after(detail, ": "))
                    .zip(number_after(detail, "empty containers: "))
                    .is_some_and(|((seen, expected), empty)| {
                        seen < expected && expected - seen <= empty
                    })
        },
    },
    Known {
        id: "rejects-unbounded",
        target: "ingest",
        what: "issue 9 item 4: every reject is stored in full, however many",
        matches: |kind, _, _| kind == "rejects-unbounded",
    },
    Known {
        id: "lines-file-scanned-whole",
        target: "ingest",
        what: "a JSON-lines file whose first line is cut or over 64 KiB is scanned as one document; an unclosed line then swallows the lines after it",
        matches: |kind, detail, _| {
            kind == "accounting" && detail.contains("scanned as one document: true")
        },
    },
];

/// The known finding a failure is, if any.
pub fn classify(target: &str, kind: &str, detail: &str, input: &Input) -> Option<&'static Known> {
    KNOWN
        .iter()
        .find(|k| k.target == target && (k.matches)(kind, detail, input))
}

/// A stack overflow on an input nested deeper than any decoder should recurse.
fn deep_nesting_abort(kind: &str, detail: &str, input: &Input) -> bool {
    kind == "abort" && detail.starts_with("stack overflow") && max_depth(input) > 100
}

/// The deepest nesting of `[` and `{` in any file of the input (gzip unpacked, a cut gzip
/// stream as far as it goes).
pub fn max_depth(input: &Input) -> usize {
    input
        .files
        .iter()
        .map(|(_, b)| {
            let plain = if crate::corpus::is_gzip(b) {
                crate::corpus::gunzip(b)
            } else {
                b.clone()
            };
            depth_of(&plain)
        })
        .max()
        .unwrap_or(0)
}

/// Brackets open at once, strings not told apart: JSON held in a string (an AKS
/// `properties.log`, an EKS `message`) is decoded too, and nests as deep.
fn depth_of(bytes: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for &b in bytes {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The number that follows the first `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<u64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

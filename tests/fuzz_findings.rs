//! Regression tests for what the fuzz harness (`tests/fuzz`) found, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ks, sample_index, stderr, stdout};

fn count(query: &str) -> u64 {
    let out = ks(sample_index())
        .args(["search", "--count", query])
        .output()
        .unwrap();
    assert!(out.status.success(), "{query}: {}", stderr(&out));
    stdout(&out).trim().parse().unwrap()
}

#[test]
fn regression_time_query_beyond_year_2262_does_not_overflow() {
    // A bound past what tantivy's nanosecond dates hold panicked (debug) or wrapped (release).
    let all = count("*");
    assert!(all > 0);
    assert_eq!(count("time:<9999-12-31T23:59:59Z"), all);
    assert_eq!(count("time:>9999-12-31T23:59:59Z"), 0);
    assert_eq!(count("time:>0001-01-01T00:00:00Z"), all);
    assert_eq!(count("time:[0001-01-01 TO 9999-12-31]"), all);
}

#[test]
fn regression_audit_id_wildcard_is_a_bad_query_not_a_corrupt_index() {
    // `audit_id:abc*` parsed, then failed at search time with "index manifest is corrupt".
    let out = ks(sample_index())
        .args(["search", "verb:get audit_id:abc*"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains("corrupt"), "{err}");
    assert!(
        err.contains("at column 19: `audit_id` takes a whole audit ID"),
        "{err}"
    );
}

//! Regression tests for what the fuzz harness (`tests/fuzz`) found, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ks, sample_index, stderr, stdout};

fn count(query: &str) -> u64 {
    let out = ks(sample_index())
        .args(["search", "--count", "--", query])
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

#[test]
fn regression_not_a_phrase_does_not_panic_in_the_phrase_scorer() {
    // `NOT "shop web"`: tantivy's phrase scorer asserted (debug builds) when the exclusion
    // asked it about a document before its current one.
    let all = count("*");
    let mut split = 0;
    for phrase in [
        "\"kube system\"",
        "\"system serviceaccount\"",
        "\"get pods\"",
    ] {
        let hits = count(phrase);
        assert_eq!(count(&format!("NOT {phrase}")), all - hits, "{phrase}");
        assert_eq!(
            count(&format!("-({phrase} OR verb:nope)")),
            all - hits,
            "{phrase}"
        );
        split += usize::from(hits > 0 && hits < all);
    }
    assert!(split > 0, "no phrase splits the sample");
}

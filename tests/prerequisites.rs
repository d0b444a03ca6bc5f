//! The convention of tests/common for tests whose prerequisite is missing: skipped (with a
//! notice) locally, failed under CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ci_value_means_ci, require_in};

#[test]
fn ci_is_any_value_but_empty_zero_or_false() {
    for v in ["true", "1", "yes", "TRUE", "github"] {
        assert!(ci_value_means_ci(Some(v)), "{v}");
    }
    for v in [
        None,
        Some(""),
        Some(" "),
        Some("0"),
        Some("false"),
        Some("False"),
    ] {
        assert!(!ci_value_means_ci(v), "{v:?}");
    }
}

#[test]
fn a_present_prerequisite_runs_the_test_anywhere() {
    let mut notice = Vec::new();
    assert!(require_in(true, true, "never shown", &mut notice));
    assert!(require_in(false, true, "never shown", &mut notice));
    assert!(notice.is_empty());
}

#[test]
fn regression_missing_prerequisite_reported_ok_locally_is_a_visible_skip() {
    let mut notice = Vec::new();
    assert!(!require_in(
        false,
        false,
        "`frobnicator` is not installed",
        &mut notice
    ));
    assert_eq!(
        String::from_utf8(notice).unwrap(),
        "\nSKIPPED: regression_missing_prerequisite_reported_ok_locally_is_a_visible_skip: `frobnicator` is not installed\n"
    );
}

#[test]
#[should_panic(expected = "prerequisite missing under CI: `frobnicator` is not installed")]
fn regression_missing_prerequisite_under_ci_fails_the_test() {
    require_in(
        true,
        false,
        "`frobnicator` is not installed",
        &mut Vec::new(),
    );
}

#[test]
fn shared_is_looked_for_in_the_env_var_then_beside_the_repo_then_in_work() {
    let places = common::shared_candidates();
    let n = places.len();
    assert!(n >= 2, "{places:?}");
    assert_eq!(places[n - 2], common::repo().join("../shared"));
    assert_eq!(places[n - 1], std::path::PathBuf::from("/work/shared"));
    if let Some(v) = std::env::var_os("KUBESIFT_SHARED").filter(|v| !v.is_empty()) {
        assert_eq!(places[0], std::path::PathBuf::from(v));
    }
}

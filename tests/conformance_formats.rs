//! Every file of shared/conformance ingests with zero unexplained rejections, and
//! Panther's EKS / AKS / GKE forms (its test events, extracted from the test-harness records
//! by their `log_type`) are read in their own shapes. Each explained rejection is listed
//! below with its reason, and claims about the record ("it has no timestamp") are checked
//! against the record itself. Without the fixtures: skipped locally, failed under CI (see
//! tests/common).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{conformance_dir, ks, stderr, stdout};
use serde_json::Value;

/// (file name suffix, reject kind, reason fragment, why it is right to reject it).
const EXPLAINED: &[(&str, &str, &str, &str)] = &[
    (
        "panther_k8s_rule_tests.jsonl",
        "not-an-event",
        "no auditID, requestURI or verb",
        "the test-harness record {source_repo, rule_id, expected_result, event} of SOURCES.md is not an export shape; its events are checked form by form below",
    ),
    (
        "fal_01_003.json",
        "wrong-type",
        "`kind`",
        "Falco's deliberately invalid document {\"kind\": 0}",
    ),
    (
        "test-eks-audit.log",
        "wrong-type",
        "`",
        "Elastic's deliberately malformed shapes (objectRef a string, level an object, code a string, resource an array)",
    ),
    (
        ".jsonl",
        "bad-value",
        "no requestReceivedTimestamp, stageTimestamp or timestamp",
        "Panther's hand-built fixtures carry no time of their own (no event timestamp, no wrapper time; only Panther's p_event_time enrichment): an event that cannot be placed in time is not indexed",
    ),
    (
        ".jsonl",
        "not-an-event",
        "no auditID, requestURI or verb",
        "Panther fixtures that are not audit events: a bare {sourceIPs, user}, placeholder {operation} objects, an Azure Activity Log record with no properties",
    ),
];

fn rejects(index: &Path) -> Vec<Value> {
    let out = ks(index)
        .args(["rejects", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The line a reject points at.
fn record_of(r: &Value) -> String {
    let file = r["file"].as_str().unwrap();
    let line = usize::try_from(r["line"].as_u64().unwrap()).unwrap();
    let text = std::fs::read_to_string(file).unwrap();
    text.lines().nth(line - 1).unwrap_or_default().to_owned()
}

fn has_time(record: &str) -> bool {
    // Panther's `p_event_time` enrichment is not the event's time (and no export carries it).
    ["Timestamp\"", "\"timestamp\"", "\"time\""]
        .iter()
        .any(|k| record.contains(k))
}

/// Asserts every reject is explained, and returns how many each explanation covered.
fn assert_explained(rejects: &[Value]) -> BTreeMap<&'static str, usize> {
    let mut used = BTreeMap::new();
    for r in rejects {
        let file = r["file"].as_str().unwrap();
        let kind = r["kind"].as_str().unwrap();
        let reason = r["reason"].as_str().unwrap();
        let Some((_, _, _, why)) = EXPLAINED
            .iter()
            .find(|(f, k, frag, _)| file.ends_with(f) && kind == *k && reason.contains(frag))
        else {
            panic!("unexplained rejection: {r}");
        };
        if kind == "bad-value" {
            let rec = record_of(r);
            assert!(!has_time(&rec), "rejected for no time but has one: {rec}");
        }
        *used.entry(*why).or_default() += 1;
    }
    used
}

#[test]
fn every_conformance_file_has_only_explained_rejections() {
    let Some(dir) = conformance_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let out = ks(&index)
        .args(["index", "--no-detect"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let used = assert_explained(&rejects(&index));
    for (why, n) in &used {
        eprintln!("{n:4} explained: {why}");
    }
    // Elastic's mixed file (native, GKE, AKS with properties.log an object) and its AKS
    // string form are read whole.
    let out = ks(&index)
        .args(["search", "--format", "jsonl", "*"])
        .output()
        .unwrap();
    let mut formats: BTreeMap<String, usize> = BTreeMap::new();
    for l in stdout(&out).lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        *formats
            .entry(v["format"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(formats.get("gke").is_some_and(|n| *n >= 1), "{formats:?}");
    assert!(formats.get("aks").is_some_and(|n| *n >= 2), "{formats:?}");
}

#[test]
fn panther_forms_are_read_in_their_own_shapes() {
    let Some(dir) = conformance_dir() else {
        return;
    };
    let tests = dir.join("panther-labs-panther-analysis/derived/panther_k8s_rule_tests.jsonl");
    let tmp = tempfile::tempdir().unwrap();
    let forms = tmp.path().join("forms");
    std::fs::create_dir_all(&forms).unwrap();
    let mut by_type: BTreeMap<String, String> = BTreeMap::new();
    for line in std::fs::read_to_string(tests).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let t = v["log_type"]
            .as_str()
            .unwrap_or("unknown")
            .replace("(inferred)", "")
            .replace('.', "-");
        let text = by_type.entry(t).or_default();
        text.push_str(&v["event"].to_string());
        text.push('\n');
    }
    for (t, text) in &by_type {
        std::fs::write(forms.join(format!("{t}.jsonl")), text).unwrap();
    }
    let index = tmp.path().join("idx");
    let out = ks(&index)
        .args(["index", "--no-detect"])
        .arg(&forms)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let used = assert_explained(&rejects(&index));
    for (why, n) in &used {
        eprintln!("{n:4} explained: {why}");
    }
    // Non-Kubernetes entries (a GCP deploymentmanager call, an Azure Activity Log record)
    // are skipped, not rejected.
    assert!(
        stderr(&out).contains("non-audit lines skipped"),
        "{}",
        stderr(&out)
    );
    let count = |q: &str| -> u64 {
        let out = ks(&index).args(["search", "--count", q]).output().unwrap();
        stdout(&out).trim().parse().unwrap()
    };
    assert!(count("format:gke") >= 10, "GKE forms read as GKE");
    assert!(count("format:native") >= 5, "EKS forms read as native");
}

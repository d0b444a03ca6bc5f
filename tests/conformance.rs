//! Every public fixture under shared/conformance ingests without a crash; its malformed
//! records are reported with file, line and reason, and nothing else is lost. Without the
//! fixtures: skipped locally, failed under CI (see tests/common for where they are looked for).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{conformance_dir, ks, stderr, stdout};

#[test]
fn every_conformance_file_ingests_and_bad_records_are_reported() {
    let Some(dir) = conformance_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let out = ks(&index).arg("index").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let stats = common::stats(&index);
    let files = stats["inputs"].as_array().unwrap();
    assert_eq!(
        files.len(),
        53,
        "every data file is an input (SOURCES.md is not)"
    );

    let out = ks(&index)
        .args(["rejects", "--format", "jsonl"])
        .output()
        .unwrap();
    let rejects: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for r in &rejects {
        assert!(r["line"].as_u64().unwrap() > 0);
        assert!(!r["reason"].as_str().unwrap().is_empty());
    }
    let by_file = |suffix: &str| -> BTreeMap<u64, String> {
        rejects
            .iter()
            .filter(|r| r["file"].as_str().unwrap().ends_with(suffix))
            .map(|r| {
                (
                    r["line"].as_u64().unwrap(),
                    r["reason"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Falco's deliberately invalid document.
    let falco = by_file("fal_01_003.json");
    assert!(falco[&1].contains("`kind`"), "{falco:?}");
    // Elastic's malformed EKS shapes: each names the offending field.
    let eks = by_file("test-eks-audit.log");
    for (line, field) in [
        (15, "`objectRef`"),
        (16, "`level`"),
        (18, "`responseStatus.code`"),
        (19, "`objectRef.resource`"),
    ] {
        assert!(
            eks.get(&line).is_some_and(|r| r.contains(field)),
            "line {line}: {eks:?}"
        );
    }
    // The well-formed Falco traces and audit2rbac's demo log lose nothing.
    for r in &rejects {
        let f = r["file"].as_str().unwrap();
        assert!(!f.ends_with("demo.log"), "audit2rbac record rejected: {r}");
        if f.contains("falcosecurity-falco") {
            assert!(f.ends_with("fal_01_003.json"), "Falco record rejected: {r}");
        }
    }
    let records: u64 = files.iter().map(|f| f["records"].as_u64().unwrap()).sum();
    let rejected: u64 = files.iter().map(|f| f["rejected"].as_u64().unwrap()).sum();
    assert_eq!(rejected, rejects.len() as u64);
    assert!(records > 0);
    // audit2rbac: 37 events, all impersonating.
    let n = ks(&index)
        .args(["search", "--count", "impersonated:*"])
        .output()
        .unwrap();
    assert!(stdout(&n).trim().parse::<u64>().unwrap() >= 37);
}

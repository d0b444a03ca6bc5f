//! The same attack in every input format yields the same detections. The sample-logs attack
//! window is converted by `tests/formats/convert.py` into each export shape, each set is
//! indexed on its own, and `detect --format json` is compared with the native result. The
//! differences a format cannot avoid (fields its shape does not carry) are listed with their
//! reason and asserted exactly, so a new loss fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ks, stderr, stdout};

/// The window converted: the densest hour of the attack story.
const SINCE: &str = "2026-03-14T11:30";
const UNTIL: &str = "2026-03-14T12:30";

type Found = BTreeSet<(String, String)>;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn convert(out: &Path) -> bool {
    let script = repo().join("tests/formats/convert.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(out)
        .args(["--since", SINCE, "--until", UNTIL])
        .arg(repo().join("sample-logs"))
        .status();
    match status {
        Ok(s) if s.success() => true,
        _ => {
            eprintln!(
                "NOTICE: python3 could not run tests/formats/convert.py; format equivalence skipped"
            );
            false
        }
    }
}

/// Indexes one converted set and returns its findings as (rule id, account).
fn findings(dir: &Path, index: &Path) -> Found {
    let out = ks(index)
        .args(["index", "--quiet"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}: {}", dir.display(), stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(" 0 rejected"), "{}: {err}", dir.display());
    let out = ks(index)
        .args(["detect", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    all.iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["account"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn format_of(index: &Path) -> BTreeSet<String> {
    let out = ks(index)
        .args(["search", "--format", "jsonl", "--limit", "50", "*"])
        .output()
        .unwrap();
    stdout(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["format"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn count(index: &Path, query: &str) -> u64 {
    let out = ks(index)
        .args(["search", "--count", query])
        .output()
        .unwrap();
    stdout(&out).trim().parse().unwrap()
}

/// Findings a format loses or gains against native, each with the field loss that explains
/// it: (format dir, rule id, account, missing (true) or extra (false), why).
const EXPLAINED: &[(&str, &str, &str, bool, &str)] = &[];

#[test]
fn every_format_yields_the_native_detections() {
    let tmp = tempfile::tempdir().unwrap();
    let conv = tmp.path().join("conv");
    if !convert(&conv) {
        return;
    }
    let native = findings(&conv.join("native"), &tmp.path().join("idx-native"));
    assert!(!native.is_empty(), "the attack window raises findings");
    let mut report = Vec::new();
    for (dir, format) in [
        ("eks-cli", "eks-cli"),
        ("eks-s3", "eks-s3"),
        ("eks-firehose", "eks-firehose"),
        ("eks-csv", "eks-csv"),
        ("gke-array", "gke"),
        ("gke-jsonl", "gke"),
        ("aks", "aks"),
        ("aks-eventhub", "aks"),
        ("cri", "cri"),
        ("stdout", "stdout"),
        ("legacy", "legacy"),
    ] {
        let index = tmp.path().join(format!("idx-{dir}"));
        let got = findings(&conv.join(dir), &index);
        assert_eq!(
            format_of(&index),
            BTreeSet::from([format.to_owned()]),
            "{dir}: every event records its source format"
        );
        let named_cluster = matches!(format, "eks-firehose" | "gke" | "aks");
        if named_cluster {
            assert_eq!(
                count(&index, "cluster:prod-eu-1"),
                count(&index, "*"),
                "{dir}: the export names the cluster"
            );
        }
        let explained = |missing: bool| -> Found {
            EXPLAINED
                .iter()
                .filter(|(d, _, _, m, _)| *d == dir && *m == missing)
                .map(|(_, r, a, _, _)| ((*r).to_owned(), (*a).to_owned()))
                .collect()
        };
        let missing: Found = native.difference(&got).cloned().collect();
        let extra: Found = got.difference(&native).cloned().collect();
        if missing != explained(true) || extra != explained(false) {
            report.push(format!("{dir}: missing {missing:?}\n   extra {extra:?}"));
        }
    }
    assert!(
        report.is_empty(),
        "unexplained differences:\n{}",
        report.join("\n")
    );
}

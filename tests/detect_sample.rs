//! `detect` on the committed sample logs: a golden file of the findings (stable order), and
//! the ground truth of the attack story (tests/ground-truth): every attack step is found by a
//! rule for each detection it lists, and no benign scenario reaches the severity it must not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{ks, repo, sample_index, stderr, stdout};
use serde_json::Value;

fn findings() -> Vec<Value> {
    let out = ks(sample_index())
        .args(["detect", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn golden_findings_of_the_sample() {
    let out = ks(sample_index())
        .args(["detect", "--format", "jsonl"])
        .output()
        .unwrap();
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn findings_follow_the_contract() {
    let families = [
        "anonymous-access",
        "service-account-anomaly",
        "remote-exec",
        "node-compromise",
        "secret-access",
        "privilege-escalation",
        "persistence",
        "defense-evasion",
    ];
    let all = findings();
    assert!(!all.is_empty());
    for f in &all {
        for key in [
            "rule_id",
            "title",
            "family",
            "severity",
            "attack",
            "first_seen",
            "last_seen",
            "account",
            "source_ips",
            "namespaces",
            "audit_ids",
            "count",
            "summary",
            "evidence",
            "advice",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
        assert!(families.contains(&f["family"].as_str().unwrap()), "{f}");
        assert_eq!(
            f["count"].as_u64().unwrap(),
            f["audit_ids"].as_array().unwrap().len() as u64
        );
        assert!(
            f["audit_ids"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| !a.as_str().unwrap().is_empty())
        );
        assert!(f["first_seen"].as_str() <= f["last_seen"].as_str());
    }
    // Every family of the attack story is represented.
    for fam in families {
        assert!(all.iter().any(|f| f["family"] == fam), "no {fam} finding");
    }
}

#[test]
fn every_attack_step_is_found_by_the_detections_it_lists() {
    let out = ks(sample_index())
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let numbers: HashMap<&str, Vec<&str>> = rules
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["detection"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    let all = findings();
    let mut by_id: HashMap<&str, Vec<&Value>> = HashMap::new();
    for f in &all {
        for a in f["audit_ids"].as_array().unwrap() {
            by_id.entry(a.as_str().unwrap()).or_default().push(f);
        }
    }
    let mut missed = Vec::new();
    for step in jsonl(&repo().join("tests/ground-truth/attacks.jsonl")) {
        let fs: Vec<&Value> = step["audit_ids"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| by_id.get(a.as_str().unwrap()).cloned().unwrap_or_default())
            .collect();
        for d in step["detections"].as_array().unwrap() {
            let d = d.as_str().unwrap();
            if !fs
                .iter()
                .any(|f| numbers[f["rule_id"].as_str().unwrap()].contains(&d))
            {
                missed.push(format!("{} (detection {d})", step["step"]));
            }
        }
        if !fs.iter().any(|f| f["family"] == step["family"]) {
            missed.push(format!("{} (family {})", step["step"], step["family"]));
        }
    }
    assert!(missed.is_empty(), "missed: {missed:#?}");
}

#[test]
fn benign_scenarios_stay_below_their_severity() {
    let order = ["info", "low", "medium", "high", "critical"];
    let rank = |s: &str| i32::try_from(order.iter().position(|x| *x == s).unwrap()).unwrap();
    let all = findings();
    let mut noisy = Vec::new();
    for b in jsonl(&repo().join("tests/ground-truth/benign.jsonl")) {
        let expected = b["expected"].as_str().unwrap();
        let limit = if expected.starts_with("no findings") {
            -1
        } else if expected.starts_with("no high") {
            rank("medium")
        } else {
            rank("low")
        };
        let ids: Vec<&str> = b["audit_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        for f in &all {
            let touches = f["audit_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| ids.contains(&a.as_str().unwrap()));
            if touches && rank(f["severity"].as_str().unwrap()) > limit {
                noisy.push(format!(
                    "{}: {} {}",
                    b["scenario"], f["rule_id"], f["severity"]
                ));
            }
        }
    }
    assert!(noisy.is_empty(), "benign noise: {noisy:#?}");
}

#[test]
fn detect_filters_by_severity_and_family() {
    let out = ks(sample_index())
        .args([
            "detect",
            "--format",
            "jsonl",
            "--min-severity",
            "high",
            "--family",
            "remote-exec",
        ])
        .output()
        .unwrap();
    let fs: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!fs.is_empty());
    assert!(fs.iter().all(|f| f["family"] == "remote-exec"
        && ["high", "critical"].contains(&f["severity"].as_str().unwrap())));
    let bad = ks(sample_index())
        .args(["detect", "--family", "remote-execs"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown family `remote-execs`"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn exec_findings_carry_the_decoded_command() {
    let all = findings();
    let reverse = all
        .iter()
        .find(|f| f["rule_id"] == "KS-EXEC-REVERSE-SHELL")
        .expect("reverse shell found");
    let cmds = reverse["evidence"]["commands"].as_array().unwrap();
    assert!(
        cmds.iter()
            .any(|c| c.as_str().unwrap().contains("bash -i >& /dev/tcp/")),
        "{cmds:?}"
    );
    assert!(reverse["summary"].as_str().unwrap().contains("/dev/tcp/"));
}

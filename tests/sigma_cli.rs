//! `--sigma DIR` through the real binary: `detect` reports Sigma matches in the findings
//! contract beside the built-in findings, `rules` validates, and a rule that cannot be used
//! is named with the reason — never skipped silently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ks, stderr, stdout, write};

const RULE: &str = "title: Secrets deleted by a person\nid: 11111111-2222-3333-4444-555555555555\nauthor: Jane Analyst\nlevel: high\ntags:\n  - attack.impact\n  - attack.t1485\nfalsepositives:\n  - Cleanup jobs\nlogsource:\n  product: kubernetes\n  service: audit\ndetection:\n  selection:\n    verb: delete\n    objectRef.resource: secrets\n  filter:\n    user.username|startswith: 'system:'\n  condition: selection and not filter\n";

const UNSUPPORTED: &str = "title: Count of denials\nid: 99999999-0000-0000-0000-000000000000\nlogsource:\n  product: kubernetes\n  service: audit\ndetection:\n  sel:\n    responseStatus.code: 403\n  condition: sel | count() by user.username > 10\n";

const WINDOWS: &str = "title: Not for Kubernetes\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel:\n    Image|endswith: '\\\\cmd.exe'\n  condition: sel\n";

fn event(id: &str, second: u32, verb: &str, user: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/secrets/db","verb":"{verb}","user":{{"username":"{user}","groups":["system:authenticated"]}},"sourceIPs":["10.0.0.5"],"userAgent":"kubectl/v1.29.1","objectRef":{{"resource":"secrets","namespace":"shop","name":"db","apiVersion":"v1"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"2026-01-10T08:00:{second:02}.000000Z","stageTimestamp":"2026-01-10T08:00:{second:02}.010000Z"}}"#
    )
}

/// An index of three events: a person deletes a secret, a controller deletes one, a person
/// reads one.
fn index() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let log = [
        event("del-person", 1, "delete", "alice@example.com"),
        event(
            "del-system",
            2,
            "delete",
            "system:serviceaccount:kube-system:namespace-controller",
        ),
        event("get-person", 3, "get", "alice@example.com"),
    ]
    .join("\n");
    let log = write(tmp.path(), "audit.log", log);
    let idx = tmp.path().join("idx");
    let out = ks(&idx).arg("index").arg(&log).arg("-q").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    (tmp, idx)
}

fn sigma_findings(out: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("sigma:"))
        .collect()
}

#[test]
fn detect_with_sigma_reports_matches_in_the_findings_contract_with_the_author() {
    let (tmp, idx) = index();
    let rules = tmp.path().join("sigma");
    std::fs::create_dir(&rules).unwrap();
    write(&rules, "secrets_deleted.yml", RULE);
    for recompute in [false, true] {
        let mut cmd = ks(&idx);
        cmd.args(["detect", "--format", "jsonl", "--sigma"])
            .arg(&rules);
        if recompute {
            cmd.arg("--recompute");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let found = sigma_findings(&out);
        assert_eq!(found.len(), 1, "recompute {recompute}: {}", stdout(&out));
        let f = &found[0];
        assert_eq!(f["rule_id"], "sigma:11111111-2222-3333-4444-555555555555");
        assert_eq!(f["title"], "Secrets deleted by a person");
        assert_eq!(f["severity"], "high");
        assert_eq!(f["attack"]["id"], "T1485");
        assert_eq!(f["account"], "alice@example.com");
        assert_eq!(f["audit_ids"], serde_json::json!(["del-person"]));
        assert_eq!(f["evidence"]["sigma"]["author"], "Jane Analyst");
        assert!(
            f["summary"]
                .as_str()
                .unwrap()
                .contains("Sigma rule by Jane Analyst")
        );
        assert!(f["advice"].as_str().unwrap().contains("Cleanup jobs"));
    }
    // Without --sigma, no Sigma finding (and the stored findings are the built-in ones).
    let out = ks(&idx)
        .args(["detect", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(sigma_findings(&out).is_empty(), "{}", stdout(&out));
}

#[test]
fn detect_with_sigma_names_each_unusable_rule_with_its_reason_and_runs_the_rest() {
    let (tmp, idx) = index();
    let rules = tmp.path().join("sigma");
    std::fs::create_dir_all(rules.join("windows")).unwrap();
    write(&rules, "good.yml", RULE);
    let bad = write(&rules, "count.yaml", UNSUPPORTED);
    write(&rules.join("windows"), "cmd.yml", WINDOWS);
    let out = ks(&idx)
        .args(["detect", "--format", "jsonl", "--sigma"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sigma_findings(&out).len(), 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}: rule `Count of denials`", bad.display()))
            && err.contains("aggregations"),
        "{err}"
    );
    assert!(err.contains("1 Sigma rule(s) skipped"), "{err}");
}

#[test]
fn rules_with_sigma_lists_the_rules_and_exits_1_when_one_cannot_be_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "good.yml", RULE);
    let ok = ks(&tmp.path().join("idx"))
        .args(["rules", "--format", "json", "--sigma"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", stderr(&ok));
    let all: Vec<serde_json::Value> = serde_json::from_slice(&ok.stdout).unwrap();
    let mine: Vec<_> = all
        .iter()
        .filter(|r| r["id"] == "sigma:11111111-2222-3333-4444-555555555555")
        .collect();
    assert_eq!(mine.len(), 1);
    assert!(
        mine[0]["description"]
            .as_str()
            .unwrap()
            .contains("Jane Analyst")
    );

    write(tmp.path(), "count.yml", UNSUPPORTED);
    let bad = ks(&tmp.path().join("idx"))
        .args(["rules", "--sigma"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    let err = stderr(&bad);
    assert!(
        err.contains("error:") && err.contains("Count of denials"),
        "{err}"
    );
}

#[test]
fn rules_with_sigma_accepts_every_sigmahq_kubernetes_rule() {
    let Some(dir) = common::conformance_dir() else {
        return;
    };
    let out = ks(&std::env::temp_dir().join("kubesift-none"))
        .args(["rules", "--format", "jsonl", "--sigma"])
        .arg(dir.join("sigma"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let n = stdout(&out)
        .lines()
        .filter(|l| l.contains("\"sigma:"))
        .count();
    assert_eq!(n, 16, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("16 rule(s) loaded, 0 not loadable"),
        "{}",
        stderr(&out)
    );
}

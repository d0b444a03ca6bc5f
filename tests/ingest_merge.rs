//! Stage records merge into one event; re-runs add nothing; duplicates across files collapse.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{events_in, ks, record, stats, stderr, synthetic_log, write};

/// Indexes `lines` as one log in `dir`; its summary must say `merged`.
fn index_log(dir: &std::path::Path, lines: &[String], merged: &str) -> std::path::PathBuf {
    let file = write(dir, "audit.log", lines.join("\n"));
    let index = dir.join("idx");
    let out = ks(&index).arg("index").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(merged), "{}", stderr(&out));
    index
}

/// What `show ID --format json` prints.
fn show(index: &std::path::Path, id: &str) -> serde_json::Value {
    let out = ks(index)
        .args(["show", id, "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn stage_records_merge_and_keep_the_most_complete() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = "2026-03-14T08:00:00.000001Z";
    let lines = [
        record(
            "req-1",
            "RequestReceived",
            t0,
            t0,
            "get",
            "alice",
            "/api/v1/pods",
        ),
        record(
            "req-1",
            "ResponseComplete",
            t0,
            "2026-03-14T08:00:00.2Z",
            "get",
            "alice",
            "/api/v1/pods",
        ),
        // Same audit ID, another request time: another request (aggregated API servers).
        record(
            "req-1",
            "ResponseComplete",
            "2026-03-14T08:00:05Z",
            "2026-03-14T08:00:05.1Z",
            "get",
            "alice",
            "/api/v1/pods",
        ),
    ];
    let index = index_log(dir.path(), &lines, "1 record merged into events");
    assert_eq!(events_in(&index), 2);
    let shown = show(&index, "req-1");
    let first = &shown[0]["event"];
    assert_eq!(first["stage"], "ResponseComplete");
    assert_eq!(
        first["stages"],
        serde_json::json!(["RequestReceived", "ResponseComplete"])
    );
    assert_eq!(first["code"], 200);
}

/// A complete record is written at once, without waiting in the merge window: its request's
/// other stage record and a copy arriving after it still merge into the one event.
#[test]
fn a_complete_record_first_still_merges_its_later_stage_record_and_copy() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = "2026-03-14T08:00:00.000001Z";
    let complete = record(
        "req-9",
        "ResponseComplete",
        t0,
        "2026-03-14T08:00:00.2Z",
        "get",
        "alice",
        "/api/v1/pods",
    );
    let received = record(
        "req-9",
        "RequestReceived",
        t0,
        t0,
        "get",
        "alice",
        "/api/v1/pods",
    );
    let lines = [complete.clone(), received, complete];
    let index = index_log(dir.path(), &lines, "2 records merged into events");
    assert_eq!(events_in(&index), 1);
    let shown = show(&index, "req-9");
    let event = &shown["event"];
    assert_eq!(event["stage"], "ResponseComplete");
    assert_eq!(
        event["stages"],
        serde_json::json!(["RequestReceived", "ResponseComplete"])
    );
}

#[test]
fn a_later_more_complete_record_replaces_the_event() {
    // The complete record arrives in a later file: the event is replaced, not duplicated.
    let dir = tempfile::tempdir().unwrap();
    let t0 = "2026-03-14T08:00:00.000001Z";
    let index = dir.path().join("idx");
    let a = write(
        dir.path(),
        "a.log",
        record(
            "w-1",
            "ResponseStarted",
            t0,
            t0,
            "watch",
            "bob",
            "/api/v1/pods?watch=1",
        ),
    );
    assert!(
        ks(&index)
            .arg("index")
            .arg(&a)
            .output()
            .unwrap()
            .status
            .success()
    );
    let b = write(
        dir.path(),
        "b.log",
        record(
            "w-1",
            "ResponseComplete",
            t0,
            "2026-03-14T08:05:00Z",
            "watch",
            "bob",
            "/api/v1/pods?watch=1",
        ),
    );
    assert!(
        ks(&index)
            .arg("index")
            .arg(&b)
            .output()
            .unwrap()
            .status
            .success()
    );
    assert_eq!(events_in(&index), 1);
    // And a less complete one arriving even later only adds its stage.
    let c = write(
        dir.path(),
        "c.log",
        record(
            "w-1",
            "RequestReceived",
            t0,
            t0,
            "watch",
            "bob",
            "/api/v1/pods?watch=1",
        ),
    );
    assert!(
        ks(&index)
            .arg("index")
            .arg(&c)
            .output()
            .unwrap()
            .status
            .success()
    );
    let shown = show(&index, "w-1");
    assert_eq!(shown["event"]["stage"], "ResponseComplete");
    assert_eq!(
        shown["event"]["stages"],
        serde_json::json!(["RequestReceived", "ResponseStarted", "ResponseComplete"])
    );
    assert_eq!(events_in(&index), 1);
}

#[test]
fn reindexing_the_same_inputs_adds_nothing_and_copies_collapse() {
    let dir = tempfile::tempdir().unwrap();
    let log = synthetic_log(3000, "idem");
    let a = write(dir.path(), "audit.log", &log);
    let index = dir.path().join("idx");
    assert!(
        ks(&index)
            .arg("index")
            .arg(&a)
            .output()
            .unwrap()
            .status
            .success()
    );
    assert_eq!(events_in(&index), 3000);
    let out = ks(&index).arg("index").arg(&a).output().unwrap();
    assert!(stderr(&out).contains("0 events added"), "{}", stderr(&out));
    assert!(stderr(&out).contains("already indexed"), "{}", stderr(&out));
    // A copy under another name, gzipped: every record is a duplicate.
    let copy = write(
        dir.path(),
        "audit-copy.log.gz",
        common::gzip(log.as_bytes()),
    );
    let out = ks(&index).arg("index").arg(&copy).output().unwrap();
    assert!(stderr(&out).contains("0 events added"), "{}", stderr(&out));
    assert_eq!(events_in(&index), 3000);
    // New files extend the index.
    let more = write(dir.path(), "audit-new.log", synthetic_log(500, "new"));
    assert!(
        ks(&index)
            .arg("index")
            .arg(&more)
            .output()
            .unwrap()
            .status
            .success()
    );
    assert_eq!(events_in(&index), 3500);
    assert_eq!(stats(&index)["files"], 3);
}

#[test]
fn copies_after_a_commit_in_one_run_collapse() {
    // A commit after each input clears the exact table of recent keys: the copy's keys are
    // only "maybe" in the filter and are looked up in the index, in batches.
    let dir = tempfile::tempdir().unwrap();
    let log = synthetic_log(5000, "batch");
    let a = write(dir.path(), "a.log", &log);
    let copy = write(dir.path(), "b.log", &log);
    let more = write(dir.path(), "c.log", synthetic_log(10, "fresh"));
    let index = dir.path().join("idx");
    let out = ks(&index)
        .args(["index", "--commit-every-bytes", "1"])
        .args([&a, &copy, &more])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("5010 events added"),
        "{}",
        stderr(&out)
    );
    assert_eq!(events_in(&index), 5010);
}

#[test]
fn regression_the_summary_said_1_files_and_called_copies_stage_records() {
    let tmp = tempfile::tempdir().unwrap();
    let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5b3c-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods","verb":"list","user":{"username":"alice"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"shop","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-03-14T10:00:00.000000Z","stageTimestamp":"2026-03-14T10:00:00.100000Z"}"#;
    let a = tmp.path().join("a.log");
    let b = tmp.path().join("copy.log");
    std::fs::write(&a, format!("{line}\n")).unwrap();
    // The same record in another file (a blank line apart, so not the same file).
    std::fs::write(&b, format!("\n{line}\n")).unwrap();
    let idx = tmp.path().join("idx");
    let out = common::ks(&idx)
        .args(["index", a.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains("indexed: 1 file, 1 event added"), "{err}");
    let out = common::ks(&idx)
        .args(["index", b.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("0 events added")
            && err.contains("1 record merged into events (other stages, copies)"),
        "{err}"
    );
}

/// A CSR decision logged in two stages: the `RequestReceived` record holds no body, the
/// `ResponseComplete` one the whole object. The merged event is read from the complete
/// record: a denial is no "decision logged without its body" (KS-CSR-APPROVED), in either
/// order of the records; the same decision logged at Metadata level in both stages is one.
#[test]
fn a_csr_denial_in_two_stages_is_no_unlogged_decision() {
    let csr = serde_json::json!({
        "kind": "CertificateSigningRequest", "apiVersion": "certificates.k8s.io/v1",
        "metadata": {"name": "x"},
        "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"]},
        "status": {"conditions": [{"type": "Denied", "status": "True"}]}
    });
    let stage = |stage: &str, body: bool| {
        let mut e = serde_json::json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1",
            "level": if body { "RequestResponse" } else { "Metadata" },
            "auditID": "11111111-2222-3333-4444-555555555555", "stage": stage,
            "requestURI": "/apis/certificates.k8s.io/v1/certificatesigningrequests/x/approval",
            "verb": "update",
            "user": {"username": "alice@example.com", "groups": ["system:authenticated"]},
            "sourceIPs": ["10.0.0.5"], "userAgent": "kubectl/v1.29.3",
            "objectRef": {"resource": "certificatesigningrequests", "name": "x",
                          "subresource": "approval", "apiGroup": "certificates.k8s.io",
                          "apiVersion": "v1"},
            "requestReceivedTimestamp": "2026-01-10T08:00:00.000000Z",
            "stageTimestamp": "2026-01-10T08:00:00.010000Z"
        });
        if stage == "ResponseComplete" {
            e["responseStatus"] = serde_json::json!({"metadata": {}, "code": 200});
            if body {
                e["requestObject"] = csr.clone();
                e["responseObject"] = csr.clone();
            }
        }
        e.to_string()
    };
    let rules = |dir: &std::path::Path, lines: &[String]| -> Vec<String> {
        let index = index_log(dir, lines, "merged");
        let out = ks(&index)
            .args(["detect", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let found: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        found
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_owned())
            .collect()
    };
    for order in [
        [
            stage("RequestReceived", true),
            stage("ResponseComplete", true),
        ],
        [
            stage("ResponseComplete", true),
            stage("RequestReceived", true),
        ],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let found = rules(dir.path(), &order);
        assert!(!found.iter().any(|r| r == "KS-CSR-APPROVED"), "{found:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let unlogged = [
        stage("RequestReceived", false),
        stage("ResponseComplete", false),
    ];
    let found = rules(dir.path(), &unlogged);
    assert!(found.iter().any(|r| r == "KS-CSR-APPROVED"), "{found:?}");
}

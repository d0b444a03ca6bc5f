//! Real-world shapes kept faithfully, through the real binary: timestamps are kept or
//! rejected with a reason (never replaced by another time), the two lines of a legacy request
//! logged before 1.7 become one event, and GKE's status of an upgraded exec stream is not a
//! failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{count, events_in, ks, stderr, stdout, write};

fn index(index: &Path, file: &Path) -> String {
    let out = ks(index).arg("index").arg(file).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

fn detected(index: &Path) -> Vec<String> {
    let out = ks(index)
        .args(["detect", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    all.iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

fn shown(index: &Path, id: &str) -> serde_json::Value {
    let out = ks(index)
        .args(["show", id, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn native(id: &str, time: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/configmaps","verb":"list","user":{{"username":"alice","groups":["system:authenticated"]}},"sourceIPs":["10.0.0.1"],"objectRef":{{"resource":"configmaps","namespace":"shop","apiVersion":"v1"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"{time}","stageTimestamp":"{time}"}}"#
    )
}

#[test]
fn regression_timestamp_far_future_year_one_or_nonexistent_is_rejected_not_invented() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        native("ok", "2026-03-14T10:00:00.5Z"),
        native("far", "9999-12-31T23:59:59Z"),
        native("first", "0001-01-01T00:00:00Z"),
        native("feb30", "2024-02-30T10:00:00Z"),
        native("hour25", "2024-01-02T25:00:00Z"),
    ];
    let file = write(dir.path(), "audit.log", lines.join("\n"));
    let idx = dir.path().join("idx");
    let err = index(&idx, &file);
    assert!(err.contains("4 rejected"), "{err}");
    assert_eq!(events_in(&idx), 1);
    let name = file.canonicalize().unwrap().display().to_string();
    for (line, why) in [
        (
            2,
            r#"Timestamp "9999-12-31T23:59:59Z": is outside the times"#,
        ),
        (
            3,
            r#"Timestamp "0001-01-01T00:00:00Z": is outside the times"#,
        ),
        (4, "day 30 of 2024-02 does not exist"),
        (5, "hour 25 does not exist"),
    ] {
        assert!(
            err.contains(&format!("{name}:{line}: bad value: ")) && err.contains(why),
            "line {line}: {why}\n{err}"
        );
    }
    // What is kept shows its own time everywhere.
    for format in ["table", "json", "csv"] {
        let out = ks(&idx)
            .args(["search", "--format", format, "*"])
            .output()
            .unwrap();
        let text = stdout(&out);
        assert!(text.contains("2026-03-14"), "{format}: {text}");
        assert!(!text.contains("1970"), "{format}: {text}");
    }
}

#[test]
fn regression_query_time_bounds_outside_the_index_range_do_not_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "audit.log",
        native("ok", "2026-03-14T10:00:00.5Z"),
    );
    let idx = dir.path().join("idx");
    index(&idx, &file);
    assert_eq!(count(&idx, "time:>0001-01-01"), 1);
    assert_eq!(count(&idx, "time:<9999-12-31T23:59:59Z"), 1);
    assert_eq!(count(&idx, "time:<=1500-01-01"), 0);
    assert_eq!(count(&idx, "time:>=9000-01-01"), 0);
    let out = ks(&idx)
        .args(["search", "--count", "time:>2024-02-30"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("day 30 of 2024-02 does not exist"),
        "{}",
        stderr(&out)
    );
    let out = ks(&idx)
        .args(["search", "--count", "--since", "2024-02-30", "*"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("day 30 of 2024-02 does not exist"));
}

/// Two requests logged before 1.7, interleaved, and a response line whose request line is
/// not in the file.
const LEGACY_1_6: &str = r#"2017-03-21T03:57:09.106841886-04:00 AUDIT: id="a1" ip="10.0.0.1" method="GET" user="admin" groups="\"system:masters\",\"system:authenticated\"" as="<self>" asgroups="<lookup>" namespace="default" uri="/api/v1/namespaces/default/secrets"
2017-03-21T03:57:09.107000000-04:00 AUDIT: id="b2" ip="10.0.0.2" method="POST" user="system:anonymous" groups="\"system:unauthenticated\"" as="<self>" asgroups="<lookup>" namespace="default" uri="/api/v1/namespaces/default/configmaps"
2017-03-21T03:57:09.108403639-04:00 AUDIT: id="a1" response="200"
2017-03-21T03:57:09.109000000-04:00 AUDIT: id="b2" response="403"
2017-03-21T03:57:10.000000000-04:00 AUDIT: id="c3" response="200"
"#;

#[test]
fn regression_legacy_response_line_is_merged_and_raises_no_anonymous_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "audit.log", LEGACY_1_6);
    let idx = dir.path().join("idx");
    let err = index(&idx, &file);
    assert!(err.contains("2 records merged into events"), "{err}");
    assert!(err.contains(" 0 rejected"), "{err}");
    assert_eq!(events_in(&idx), 3, "a1, b2 and the lone response c3");
    let a1 = &shown(&idx, "a1")["event"];
    assert_eq!(a1["user"], "admin");
    assert_eq!(a1["code"], 200);
    assert_eq!(a1["verb"], "list");
    assert_eq!(a1["time"], "2017-03-21T07:57:09.106841Z");
    let raw = shown(&idx, "a1")["raw"].as_str().unwrap().to_owned();
    assert_eq!(
        raw.lines().count(),
        2,
        "both lines are kept as evidence: {raw}"
    );
    assert_eq!(shown(&idx, "b2")["event"]["code"], 403);
    let c3 = &shown(&idx, "c3")["event"];
    assert_eq!(c3["actor_kind"], "unknown");
    assert_eq!(count(&idx, "actor_kind:anonymous"), 1, "b2 only");
    let found = detected(&idx);
    assert!(
        !found.iter().any(|r| r == "KS-ANON-ALLOWED"),
        "false alarm: {found:?}"
    );
    assert!(found.iter().any(|r| r == "KS-ANON-WRITE"), "{found:?}");
}

#[test]
fn regression_legacy_response_line_in_a_later_run_joins_its_written_request() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) =
        LEGACY_1_6.split_at(LEGACY_1_6.find("\n2017-03-21T03:57:09.108").unwrap() + 1);
    let a = write(dir.path(), "audit-1.log", first);
    let b = write(dir.path(), "audit-2.log", second);
    let idx = dir.path().join("idx");
    index(&idx, &a);
    assert_eq!(shown(&idx, "a1")["event"]["code"], serde_json::Value::Null);
    index(&idx, &b);
    assert_eq!(events_in(&idx), 3);
    assert_eq!(shown(&idx, "a1")["event"]["code"], 200);
    assert_eq!(shown(&idx, "a1")["event"]["user"], "admin");
    // The same lines again under another name add nothing.
    let c = write(dir.path(), "copy.log", LEGACY_1_6);
    index(&idx, &c);
    assert_eq!(events_in(&idx), 3);
    let raw = shown(&idx, "a1")["raw"].as_str().unwrap().to_owned();
    assert_eq!(raw.lines().count(), 2, "{raw}");
}

const GKE_EXEC: &str = r#"{"insertId":"e1","operation":{"id":"op-1","producer":"k8s.io","first":true,"last":true},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"system:serviceaccount:shop:web"},"methodName":"io.k8s.core.v1.pods.exec.create","requestMetadata":{"callerIp":"10.4.0.7","callerSuppliedUserAgent":"kubectl/v1.29.1"},"resourceName":"core/v1/namespaces/shop/pods/web-0/exec","serviceName":"k8s.io","status":{"code":2,"message":"UNKNOWN"},"request":{"@type":"k8s.io/Kubernetes/core.v1.PodExecOptions","command":["sh","-c","cat /var/run/secrets/kubernetes.io/serviceaccount/token"],"container":"web","stdin":true,"tty":true}},"resource":{"type":"k8s_cluster","labels":{"cluster_name":"prod-1"}},"timestamp":"2026-03-14T10:00:00.129747Z","labels":{"authorization.k8s.io/decision":"allow"}}"#;

#[test]
fn regression_gke_exec_with_unknown_status_raises_the_exec_findings() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "gke.jsonl", GKE_EXEC);
    let idx = dir.path().join("idx");
    index(&idx, &file);
    assert_eq!(count(&idx, "code:101"), 1);
    assert_eq!(count(&idx, "code:500"), 0);
    let found = detected(&idx);
    assert!(
        found.iter().any(|r| r == "KS-EXEC-CREDENTIALS"),
        "{found:?}"
    );
}

#[test]
fn regression_legacy_request_joined_across_inputs_names_the_file_of_its_line() {
    // Fuzzing found the joined event citing the first input's name with the other input's
    // line number: a source that is no line of any input.
    let lines: Vec<&str> = LEGACY_1_6.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // The response line comes first (in name order), on line 3; the request on line 2.
    write(
        &logs,
        "a-responses.log",
        format!("{}\n{}\n{}\n", lines[1], lines[3], lines[2]),
    );
    write(
        &logs,
        "b-requests.log",
        format!("{}\n{}\n", lines[4], lines[0]),
    );
    let idx = dir.path().join("idx");
    index(&idx, &logs);
    let a1 = shown(&idx, "a1");
    assert_eq!(a1["event"]["code"], 200, "{a1}");
    let source = &a1["event"]["source"];
    assert!(
        source["file"].as_str().unwrap().ends_with("b-requests.log") && source["line"] == 2,
        "{source}"
    );
}

//! Format metadata end to end: `--cluster` labels events whose export names no cluster, an
//! export's own cluster name wins, OpenShift must-gather paths name the API server, klog
//! lines are counted as skipped, and stored wrapped records re-normalize (`show`) with their
//! format and cluster.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{count, gzip, ks, record, stderr, write};

fn rec(id: &str) -> String {
    let t = "2026-03-14T10:00:00.000000Z";
    record(id, "ResponseComplete", t, t, "get", "alice", "/api/v1/pods")
}

#[test]
fn cluster_labels_openshift_servers_and_klog_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let mg = tmp.path().join("must-gather/audit_logs");
    for (server, id) in [
        ("kube-apiserver", "k1"),
        ("openshift-apiserver", "o1"),
        ("oauth-apiserver", "a1"),
    ] {
        let dir = mg.join(server);
        std::fs::create_dir_all(&dir).unwrap();
        write(
            &dir,
            "node-1-audit.log.gz",
            gzip(format!("{}\n", rec(id)).as_bytes()),
        );
    }
    let gke = r#"{"operation":{"id":"g1","first":true,"last":true},"protoPayload":{"methodName":"io.k8s.core.v1.pods.get","resourceName":"core/v1/namespaces/shop/pods/web-0","serviceName":"k8s.io","authenticationInfo":{"principalEmail":"bob@example.com"},"status":{}},"resource":{"type":"k8s_cluster","labels":{"cluster_name":"gke-prod"}},"timestamp":"2026-03-14T10:00:01Z"}"#;
    write(tmp.path(), "gke.jsonl", format!("{gke}\n"));
    let klog = "I0314 10:00:02.000000       1 controller.go:611] quota admission added evaluator";
    write(
        tmp.path(),
        "minikube.txt",
        format!("{klog}\n{}\n{klog}\n", rec("m1")),
    );
    write(
        tmp.path(),
        "s3.log",
        format!("2026-03-14T10:00:03.000Z {}\n", rec("s1")),
    );
    let index = tmp.path().join("idx");
    let out = ks(&index)
        .args(["index", "--quiet", "--no-detect", "--cluster", "lab"])
        .arg(tmp.path().join("must-gather"))
        .arg(tmp.path().join("gke.jsonl"))
        .arg(tmp.path().join("minikube.txt"))
        .arg(tmp.path().join("s3.log"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(" 0 rejected, 2 non-audit lines skipped"),
        "{err}"
    );
    assert_eq!(count(&index, "format:openshift-kube-apiserver"), 1);
    assert_eq!(count(&index, "format:openshift-apiserver"), 1);
    assert_eq!(count(&index, "format:openshift-oauth-apiserver"), 1);
    assert_eq!(count(&index, "format:stdout"), 1);
    assert_eq!(count(&index, "format:eks-s3"), 1);
    assert_eq!(count(&index, "cluster:lab"), 5);
    assert_eq!(count(&index, "cluster:gke-prod"), 1);

    let stats = common::stats(&index);
    let minikube = stats["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("minikube.txt"))
        .unwrap();
    assert_eq!(minikube["formats"], serde_json::json!(["stdout"]));
    assert_eq!(minikube["skipped"], 2);

    for (id, format, cluster) in [("g1", "gke", "gke-prod"), ("s1", "eks-s3", "lab")] {
        let out = ks(&index)
            .args(["show", id, "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["event"]["format"], format, "{v}");
        assert_eq!(v["event"]["cluster"], cluster, "{v}");
    }
}

//! Helpers shared by the integration tests: the binary, temporary indexes, synthetic logs.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed sample logs indexed once per test binary (detections computed, nothing
/// rejected).
pub fn sample_index() -> &'static Path {
    static INDEX: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, path) = INDEX.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("idx");
        let out = ks(&index)
            .arg("index")
            .arg(repo().join("sample-logs"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(" 0 rejected"), "{err}");
        assert!(
            err.contains("detections: "),
            "index computes detections: {err}"
        );
        (dir, index)
    });
    path
}

/// `kubesift --index <dir> <args…>`.
pub fn ks(index: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kubesift").unwrap();
    cmd.arg("--index").arg(index).env_remove("KUBESIFT_INDEX");
    cmd
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Number of events in the index, via `stats --format json`.
pub fn events_in(index: &Path) -> u64 {
    stats(index)["events"].as_u64().unwrap()
}

pub fn stats(index: &Path) -> serde_json::Value {
    let out = ks(index)
        .args(["stats", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One audit record of a request, in the API server's shape.
pub fn record(
    id: &str,
    stage: &str,
    received: &str,
    stage_time: &str,
    verb: &str,
    user: &str,
    uri: &str,
) -> String {
    let status = if stage == "RequestReceived" {
        String::new()
    } else {
        r#","responseStatus":{"metadata":{},"code":200}"#.to_owned()
    };
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"{stage}","requestURI":"{uri}","verb":"{verb}","user":{{"username":"{user}","groups":["system:authenticated"]}},"sourceIPs":["10.0.0.5"],"userAgent":"kubectl/v1.29.3 (linux/amd64) kubernetes/6813625","objectRef":{{"resource":"pods","namespace":"default","apiVersion":"v1"}}{status},"requestReceivedTimestamp":"{received}","stageTimestamp":"{stage_time}","annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}}}"#
    )
}

/// `n` requests, each as RequestReceived + ResponseComplete records, in time order.
pub fn synthetic_log(n: usize, id_prefix: &str) -> String {
    let mut s = String::with_capacity(n * 1200);
    for i in 0..n {
        let secs = i / 1000;
        let micros = (i % 1000) * 1000;
        let t0 = format!(
            "2026-03-14T{:02}:{:02}:{:02}.{micros:06}Z",
            8 + secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        let t1 = format!(
            "2026-03-14T{:02}:{:02}:{:02}.{:06}Z",
            8 + secs / 3600,
            secs / 60 % 60,
            secs % 60,
            micros + 500
        );
        let id = format!("{id_prefix}-{i:08}");
        let user = format!("user-{}", i % 17);
        let uri = format!("/api/v1/namespaces/default/pods?limit={i}");
        let _ = writeln!(
            s,
            "{}",
            record(&id, "RequestReceived", &t0, &t0, "list", &user, &uri)
        );
        let _ = writeln!(
            s,
            "{}",
            record(&id, "ResponseComplete", &t0, &t1, "list", &user, &uri)
        );
    }
    s
}

pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// The shared conformance fixtures, when present beside the repository.
pub fn conformance_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("NOTICE: ../shared/conformance not found; conformance checks skipped");
        None
    }
}

//! Helpers shared by the integration tests: the binary, temporary indexes, synthetic logs,
//! and the prerequisites some tests need beyond the repository.
//!
//! # Prerequisites: skipped locally, failed under CI
//!
//! A few tests need what the repository does not hold: the public fixtures of
//! `shared/conformance`, `tmux` (the end-to-end workbench test), `python3` (the format
//! converter). Such a test calls [`require`] (or a helper built on it: [`conformance_dir`],
//! [`tool`]) first. When the prerequisite is missing:
//!
//! - under CI — `CI` set to anything but empty, `0` or `false` (`.ci/run` sets `CI=true`) —
//!   the test **fails** with the reason: a test that cannot run must not report `ok`;
//! - elsewhere it prints `SKIPPED: <test>: <reason>` to the terminal's stderr (past the test
//!   harness's capture, so the line shows in `cargo test`'s output) and returns early. Rust's
//!   stable test harness has no runtime skip, so the test itself is listed as `ok`: the
//!   `SKIPPED:` line is the notice.
//!
//! The `shared` directory is found as `$KUBESIFT_SHARED` when set, else `<repo>/../shared`,
//! else `/work/shared` (CI checks the repository out elsewhere on the machine that holds it).
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub mod workbench;

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

/// Number of events matching `query`, via `search --count`.
pub fn count(index: &Path, query: &str) -> u64 {
    let out = ks(index)
        .args(["search", "--count", query])
        .output()
        .unwrap();
    assert!(out.status.success(), "{query}: {}", stderr(&out));
    stdout(&out).trim().parse().unwrap()
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

/// `n` requests, each as `RequestReceived` + `ResponseComplete` records, in time order.
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

/// Whether the tests run under CI: `CI` set to anything but empty, `0` or `false`.
pub fn under_ci() -> bool {
    ci_value_means_ci(std::env::var("CI").ok().as_deref())
}

pub fn ci_value_means_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
    })
}

/// A prerequisite of the running test: `true` when `present`. Missing, it fails the test
/// under CI and is reported as skipped elsewhere (see the module doc); the test then returns.
pub fn require(present: bool, reason: &str) -> bool {
    // Straight to the process's stderr: `eprintln!` would be captured and hidden.
    require_in(under_ci(), present, reason, &mut std::io::stderr())
}

/// [`require`] with CI given and the notice written to `notice`.
pub fn require_in(ci: bool, present: bool, reason: &str, notice: &mut dyn std::io::Write) -> bool {
    if present {
        return true;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("test");
    assert!(
        !ci,
        "{test}: prerequisite missing under CI: {reason} (CI is set, so this test may not skip)"
    );
    // On a line of its own: the harness may be half-way through another test's line.
    let _ = writeln!(notice, "\nSKIPPED: {test}: {reason}");
    false
}

/// Whether a program runs (`<name> <version_arg>` exits successfully); required as in
/// [`require`].
pub fn tool(name: &str, version_arg: &str) -> bool {
    let runs = std::process::Command::new(name)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    require(
        runs,
        &format!("`{name}` is not installed (or `{name} {version_arg}` fails)"),
    )
}

/// The places searched for the `shared` directory, in order.
pub fn shared_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = std::env::var_os("KUBESIFT_SHARED").filter(|v| !v.is_empty()) {
        out.push(PathBuf::from(dir));
    }
    out.push(repo().join("../shared"));
    out.push(PathBuf::from("/work/shared"));
    out
}

/// The shared conformance fixtures; required as in [`require`].
pub fn conformance_dir() -> Option<PathBuf> {
    let candidates = shared_candidates();
    let found = candidates
        .iter()
        .map(|d| d.join("conformance"))
        .find(|d| d.is_dir());
    let tried: Vec<String> = candidates
        .iter()
        .map(|d| d.join("conformance").display().to_string())
        .collect();
    let reason = format!(
        "the public fixtures are not there: looked in {} (set KUBESIFT_SHARED to the directory holding `conformance`)",
        tried.join(", ")
    );
    if require(found.is_some(), &reason) {
        found
    } else {
        None
    }
}

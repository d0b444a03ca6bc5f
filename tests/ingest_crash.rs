//! `kill -9` at any moment leaves an index that opens, and re-running the same command ends
//! with exactly the inputs' events, none twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{events_in, ks, stats, synthetic_log, write};

#[test]
fn kill_during_ingest_then_rerun_gives_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for i in 0..4 {
        write(
            &logs,
            &format!("audit-{i}.log"),
            synthetic_log(15_000, &format!("f{i}")),
        );
    }
    // A clean run gives the reference counts.
    let clean = dir.path().join("clean");
    assert!(
        ks(&clean)
            .arg("index")
            .arg(&logs)
            .output()
            .unwrap()
            .status
            .success()
    );
    let reference = stats(&clean);
    assert_eq!(reference["events"], 60_000);

    let index = dir.path().join("idx");
    let bin = assert_cmd::cargo::cargo_bin("kubesift");
    let mut killed_mid_run = 0;
    for delay_ms in [50u64, 150, 400, 800, 1200, 1800] {
        let mut child = Command::new(&bin)
            .arg("--index")
            .arg(&index)
            .args(["index", "--quiet", "--commit-every-bytes", "3000000"])
            .arg(&logs)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(delay_ms) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if index.join("tantivy/meta.json").exists() {
            // The index opens, whatever the moment of the kill.
            let out = ks(&index)
                .args(["stats", "--format", "json"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "index does not open after kill at {delay_ms}ms: {}",
                common::stderr(&out)
            );
        }
    }
    assert!(
        killed_mid_run > 0,
        "no run was killed mid-ingest; make the input bigger"
    );
    let out = ks(&index).arg("index").arg(&logs).output().unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let after = stats(&index);
    assert_eq!(after["events"], reference["events"]);
    assert_eq!(after["records"], reference["records"]);
    assert_eq!(after["merged"], reference["merged"]);
    assert_eq!(after["files"], 4);
    // A further run is a no-op.
    let out = ks(&index).arg("index").arg(&logs).output().unwrap();
    assert!(common::stderr(&out).contains("0 events added"));
    assert_eq!(events_in(&index), 60_000);
}

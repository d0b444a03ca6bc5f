//! Bad input is reported with file, line and reason; everything else is kept; no panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{events_in, ks, record, stderr, synthetic_log, write};

fn good(id: &str) -> String {
    record(
        id,
        "ResponseComplete",
        "2026-03-14T08:00:00.000001Z",
        "2026-03-14T08:00:00.000002Z",
        "get",
        "alice",
        "/api/v1/namespaces/default/pods",
    )
}

#[test]
fn every_kind_of_bad_line_is_reported_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let mut log = Vec::new();
    let lines: Vec<Vec<u8>> = vec![
        good("ok-1").into_bytes(),              // 1
        b"this is not json".to_vec(),           // 2 not JSON
        good("ok-2").as_bytes()[..80].to_vec(), // 3 truncated
        br#"{"auditID":"x","verb":{"a":1},"stageTimestamp":"2026-03-14T08:00:00Z"}"#.to_vec(), // 4 wrong type
        [
            b"{\"auditID\":\"".as_slice(),
            &[0xff, 0xfe],
            b"\",\"verb\":\"get\"}",
        ]
        .concat(), // 5 not UTF-8
        format!(
            "{{\"auditID\":\"long\",\"verb\":\"get\",\"x\":\"{}\"}}",
            "a".repeat(5000)
        )
        .into_bytes(), // 6 too long
        good("ok-3").into_bytes(),                                                             // 7
    ];
    for l in &lines {
        log.extend_from_slice(l);
        log.push(b'\n');
    }
    let file = write(dir.path(), "audit.log", &log);
    let out = ks(&index)
        .args(["index", "--max-record-bytes", "4096"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exit 0 without --strict: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    let name = file.canonicalize().unwrap().display().to_string();
    for (line, reason) in [
        (2, "not JSON"),
        (3, "truncated JSON"),
        (4, "wrong field type at `verb`"),
        (5, "not UTF-8"),
        (6, "record too long"),
    ] {
        assert!(
            err.contains(&format!("{name}:{line}: {reason}")),
            "line {line} ({reason}) not reported:\n{err}"
        );
    }
    assert!(err.contains("5 rejected"), "{err}");
    assert_eq!(events_in(&index), 2, "ok-1 and ok-3 kept");
    // All rejects are kept in the rejects file, listed by `kubesift rejects`.
    let out = ks(&index)
        .args(["rejects", "--format", "jsonl"])
        .output()
        .unwrap();
    let listed: Vec<serde_json::Value> = common::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let lines: Vec<u64> = listed.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![2, 3, 4, 5, 6]);
    assert!(listed.iter().all(|r| r["file"] == name));
}

#[test]
fn strict_makes_rejects_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "a.log", format!("{}\nnope\n", good("a")));
    let out = ks(&dir.path().join("idx"))
        .args(["index", "--strict"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(events_in(&dir.path().join("idx")), 1);
}

#[test]
fn truncated_gzip_keeps_what_was_readable() {
    let dir = tempfile::tempdir().unwrap();
    let plain = synthetic_log(2000, "gz");
    let gz = common::gzip(plain.as_bytes());
    let cut = &gz[..gz.len() * 2 / 3];
    let file = write(dir.path(), "audit-old.log.gz", cut);
    let index = dir.path().join("idx");
    let out = ks(&index).arg("index").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("input ends early"), "{err}");
    let n = events_in(&index);
    assert!(n > 500 && n < 2000, "kept {n} of 2000 requests");
}

#[test]
fn unreadable_input_is_an_error_but_others_are_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "a.log", good("a"));
    let out = ks(&dir.path().join("idx"))
        .arg("index")
        .arg(&file)
        .arg(dir.path().join("missing.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.log"), "{}", stderr(&out));
    assert_eq!(events_in(&dir.path().join("idx")), 1);
}

#[test]
fn arrays_event_lists_and_concatenated_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c, d) = (good("a"), good("b"), good("c"), good("d"));
    write(dir.path(), "array.json", format!("[\n  {a},\n  {b}\n]\n"));
    write(
        dir.path(),
        "list.json",
        format!("{{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[{c}]}}\n"),
    );
    write(dir.path(), "concat.log", format!("{d}{}", good("e")));
    let index = dir.path().join("idx");
    let out = ks(&index).arg("index").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 rejected"), "{}", stderr(&out));
    assert_eq!(events_in(&index), 5);
}

#[test]
fn stdin_is_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let out = ks(&index)
        .args(["index", "-"])
        .write_stdin(synthetic_log(10, "stdin"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(events_in(&index), 10);
}

/// `kubesift rejects | cat` cut reasons and excerpts at 80 characters (`(failed to parse
/// fou…`): tables are cut only for a person at a terminal.
#[test]
fn regression_the_rejects_table_was_cut_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let long = format!("not json at all {} end-of-the-line", "x".repeat(150));
    let file = write(dir.path(), "bad.log", format!("{}\n{long}\n", good("ok-1")));
    let out = ks(&index)
        .args(["index", "-q"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ks(&index).args(["rejects"]).output().unwrap();
    let table = common::stdout(&out);
    assert!(
        table.contains("end-of-the-line") || table.contains(&"x".repeat(100)),
        "{table}"
    );
    assert!(!table.contains('…'), "{table}");
}

//! Hostile and real-world input (issue 9, items 1–7 and 11): nothing aborts the run or the
//! process, every line is counted once, what is stored of rejects is bounded, byte order
//! marks, huge documents and symbolic-link loops are handled. Each test is named after what
//! broke; each runs the real binary as a subprocess, so a crash is a failed assertion, not a
//! dead test runner.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{events_in, gzip, ks, record, stats, stderr, stdout, write};

const T: &str = "2026-03-14T08:00:00.000001Z";

fn good(id: &str) -> String {
    record(id, "ResponseComplete", T, T, "get", "alice", "/api/v1/pods")
}

fn received(id: &str) -> String {
    record(id, "RequestReceived", T, T, "get", "alice", "/api/v1/pods")
}

/// An AKS diagnostic record carrying `event` as a string.
fn aks(event: &str, category: &str) -> String {
    let log = serde_json::to_string(event).unwrap();
    format!(
        r#"{{"time":"{T}","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-1","category":"{category}","properties":{{"log":{log}}}}}"#
    )
}

fn index(index: &Path, args: &[&str], inputs: &[&Path]) -> std::process::Output {
    let out = ks(index)
        .arg("index")
        .args(args)
        .args(inputs)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some(),
        "killed by a signal (a crash): {}",
        stderr(&out)
    );
    out
}

fn name(p: &Path) -> String {
    p.canonicalize().unwrap().display().to_string()
}

/// Events as `search --format jsonl` writes them.
fn events(index: &Path) -> Vec<serde_json::Value> {
    let out = ks(index)
        .args(["search", "--format", "jsonl", "--limit", "100000", "*"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn regression_wrong_typed_deferred_record_does_not_abort_run() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        // The issue's line, and the same shape with other fields wrong.
        r#"{"auditID":"rr-1","stage":"RequestReceived","verb":"get","user":5,"requestReceivedTimestamp":"2026-03-14T10:00:01Z"}"#,
        r#"{"auditID":"rr-2","stage":"RequestReceived","verb":"get","sourceIPs":"10.0.0.1","requestReceivedTimestamp":"2026-03-14T10:00:01Z"}"#,
        r#"{"auditID":"rr-3","stage":"RequestReceived","verb":"get","level":7,"requestReceivedTimestamp":"2026-03-14T10:00:01Z"}"#,
        r#"{"auditID":"rr-4","stage":"RequestReceived","verb":"get","stageTimestamp":false,"requestReceivedTimestamp":"2026-03-14T10:00:01Z"}"#,
        r#"{"auditID":"rr-5","stage":"RequestReceived","verb":"get","stageTimestamp":"yesterday","requestReceivedTimestamp":"2026-03-14T10:00:01Z"}"#,
        r#"{"auditID":"rr-6","stage":"RequestReceived","verb":"get","requestReceivedTimestamp":"2026-03-14T10:00:01Z","properties":{"log":"x"}}"#,
    ];
    let mut log = vec![good("ok-1")];
    log.extend(bad.iter().map(|s| (*s).to_owned()));
    log.push(received("rr-alone"));
    log.push(good("ok-2"));
    let a = write(dir.path(), "a.log", log.join("\n") + "\n");
    let b = write(dir.path(), "b.log", good("ok-3") + "\n");
    let idx = dir.path().join("idx");
    let out = index(&idx, &[], &[&a, &b]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for (line, field) in [
        (2, "user"),
        (3, "sourceIPs"),
        (4, "level"),
        (5, "stageTimestamp"),
    ] {
        let want = format!("{}:{line}: wrong field type at `{field}`", name(&a));
        assert!(err.contains(&want), "{want} not in:\n{err}");
    }
    assert!(
        err.contains(&format!("{}:6: bad value: stageTimestamp", name(&a))),
        "{err}"
    );
    assert!(err.contains(&format!("{}:7: ", name(&a))), "{err}");
    assert!(err.contains("6 rejected"), "{err}");
    let ids: Vec<String> = events(&idx)
        .iter()
        .map(|e| e["audit_id"].as_str().unwrap().to_owned())
        .collect();
    for id in ["ok-1", "ok-2", "ok-3", "rr-alone"] {
        assert!(ids.iter().any(|i| i == id), "{id} kept: {ids:?}");
    }
    assert_eq!(ids.len(), 4, "{ids:?}");
}

#[test]
fn regression_deep_nesting_is_rejected_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let cri = "2026-03-14T08:00:00.1Z stdout F ";
    let deep_body = format!(
        r#"{{"auditID":"deep-body","verb":"get","stage":"ResponseComplete","stageTimestamp":"{T}","objectRef":{{"resource":"secrets"}},"requestObject":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let inputs = [
        (
            "arrays.log",
            format!("{}{}", "[".repeat(300), "]".repeat(300)),
        ),
        (
            "wrappers.log",
            format!("{}{}", r#"{"records":["#.repeat(2000), "]}".repeat(2000)),
        ),
        ("cri.log", format!("{}{}", cri.repeat(100_000), good("c"))),
        (
            "objects.log",
            format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000)),
        ),
        ("body.log", deep_body.clone()),
        // Bodies that detections and redaction read as JSON trees (a pod spec, a role).
        (
            "pod.log",
            deep_body
                .replace("deep-body", "deep-pod")
                .replace("secrets", "pods")
                .replace("\"get\"", "\"create\""),
        ),
        (
            "role.log",
            deep_body
                .replace("deep-body", "deep-role")
                .replace("secrets", "clusterroles")
                .replace("\"get\"", "\"create\""),
        ),
    ];
    let mut paths = Vec::new();
    for (i, (file, text)) in inputs.iter().enumerate() {
        let content = format!("{text}\n{}\n", good(&format!("after-{i}")));
        paths.push(write(dir.path(), file, content));
    }
    // A document that never closes holds everything after its opening: one reject.
    paths.push(write(
        dir.path(),
        "open-wrappers.log",
        r#"{"records":["#.repeat(2000),
    ));
    let idx = dir.path().join("idx");
    let refs: Vec<&Path> = paths.iter().map(AsRef::as_ref).collect();
    let out = index(&idx, &[], &refs);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("nested deeper than"), "{err}");
    let ids: Vec<String> = events(&idx)
        .iter()
        .map(|e| e["audit_id"].as_str().unwrap().to_owned())
        .collect();
    for i in 0..inputs.len() {
        let id = format!("after-{i}");
        assert!(ids.contains(&id), "{id} kept: {ids:?}\n{err}");
    }
    // A record whose body nests deeply is kept; showing it does not recurse either.
    for id in ["deep-body", "deep-pod", "deep-role"] {
        assert!(ids.iter().any(|i| i == id), "{id} kept: {ids:?}");
        for format in ["text", "json"] {
            let out = ks(&idx)
                .args(["show", "--format", format, id])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        }
    }
}

#[test]
fn regression_line_with_trailing_garbage_is_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        good("a"),
        received("b"),
        record(
            "b",
            "ResponseComplete",
            T,
            T,
            "get",
            "alice",
            "/api/v1/pods",
        ),
        format!("{}garbage", good("c")),
        "{}garbage".to_owned(),
        format!("{}}}", good("d")),
        "not json at all".to_owned(),
        r#"{"auditID":"e","verb":7,"stageTimestamp":"2026-03-14T08:00:00Z"}"#.to_owned(),
        aks(&good("f"), "kube-audit"),
        aks("I0314 08:00:00.000000 1 guard.go:1] hello", "guard"),
        good("g"),
    ];
    let file = write(dir.path(), "mixed.log", lines.join("\n") + "\n");
    let idx = dir.path().join("idx");
    let out = index(&idx, &[], &[&file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stats(&idx);
    let input = &s["inputs"][0];
    let records = input["records"].as_u64().unwrap();
    let rejected = input["rejected"].as_u64().unwrap();
    let skipped = input["skipped"].as_u64().unwrap_or(0);
    assert_eq!(
        (records, rejected, skipped),
        (5, 5, 1),
        "records, rejected, skipped: {input}"
    );
    assert_eq!(records + rejected + skipped, lines.len() as u64);
    let out = ks(&idx)
        .args(["rejects", "--format", "jsonl"])
        .output()
        .unwrap();
    let mut listed: Vec<u64> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, vec![4, 5, 6, 7, 8], "each bad line listed once");
}

#[test]
fn regression_damaged_first_line_loses_no_other_line() {
    let dir = tempfile::tempdir().unwrap();
    let rest = format!("{}\n{}\n{}\n", good("x"), good("y"), good("z"));
    let a = good("a");
    let firsts = [
        a[..a.find("\"verb\"").unwrap()].to_owned(), // cut after a comma
        format!("{a}garbage"),
        "{}garbage".to_owned(),
    ];
    for (i, first) in firsts.iter().enumerate() {
        let file = write(dir.path(), &format!("f{i}.log"), format!("{first}\n{rest}"));
        let idx = dir.path().join(format!("idx{i}"));
        let out = index(&idx, &[], &[&file]);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(err.contains(" 1 rejected"), "{first}: {err}");
        assert!(err.contains(&format!("{}:1: ", name(&file))), "{err}");
        assert_eq!(events_in(&idx), 3, "{first}: {err}");
    }
}

#[test]
fn regression_reject_flood_is_bounded_and_counted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let stored = kubesift::session::STORED_PER_REASON;
    let empties = 3 * stored;
    let mut text = "{}\n".repeat(usize::try_from(empties).unwrap());
    text.push_str(&"nope\n".repeat(usize::try_from(stored).unwrap() + 5));
    text.push_str(&good("kept"));
    let file = write(dir.path(), "flood.json.gz", gzip(text.as_bytes()));
    let idx = dir.path().join("idx");
    let out = index(&idx, &[], &[&file]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let total = empties + stored + 5;
    assert!(err.contains(&format!("{total} rejected")), "{err}");
    assert!(err.contains("counted, not stored"), "{err}");
    let s = stats(&idx);
    assert_eq!(s["rejected"].as_u64(), Some(total));
    let not_stored = &s["inputs"][0]["rejects_not_stored"];
    assert_eq!(not_stored["not-an-event"].as_u64(), Some(empties - stored));
    assert_eq!(not_stored["not-json"].as_u64(), Some(5));
    assert_eq!(events_in(&idx), 1);
    let files: Vec<_> = std::fs::read_dir(idx.join("rejects")).unwrap().collect();
    assert_eq!(files.len(), 1);
    let out = ks(&idx)
        .args(["rejects", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count() as u64, 2 * stored);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{} more not-an-event rejects", empties - stored)),
        "{err}"
    );
    assert!(err.contains("5 more not-json rejects"), "{err}");
    assert!(err.contains(&format!("{total} rejected records")), "{err}");
    for format in ["table", "csv"] {
        let out = ks(&idx)
            .args(["rejects", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stdout(&out).lines().count() as u64,
            2 * stored + 1,
            "{format}"
        );
    }
}

#[test]
fn regression_utf8_bom_is_stripped_in_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let bom = "\u{feff}";
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&good("pretty")).unwrap(),
    )
    .unwrap();
    let hub = format!(
        "{{\"records\": [\n{},\n{}\n]}}\n",
        aks(&good("hub-1"), "kube-audit"),
        aks(&good("hub-2"), "kube-audit")
    );
    let array = format!("[\n{},\n{}\n]\n", good("arr-1"), good("arr-2"));
    let lines = format!("{}\n{}\n", good("line-1"), good("line-2"));
    let inputs = [
        write(dir.path(), "lines.log", format!("{bom}{lines}")),
        write(dir.path(), "pretty.json", format!("{bom}{pretty}\n")),
        write(dir.path(), "hub.json", format!("{bom}{hub}")),
        write(dir.path(), "array.json", format!("{bom}{array}")),
        write(
            dir.path(),
            "gz.log.gz",
            gzip(format!("{bom}{}\n", good("gz-1")).as_bytes()),
        ),
    ];
    let idx = dir.path().join("idx");
    let refs: Vec<&Path> = inputs.iter().map(AsRef::as_ref).collect();
    let out = index(&idx, &[], &refs);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(" 0 rejected"), "{err}");
    assert_eq!(events_in(&idx), 8);
    let out = ks(&idx)
        .args(["index", "-"])
        .write_stdin(format!("{bom}{}\n", good("stdin-1")))
        .output()
        .unwrap();
    assert!(stderr(&out).contains(" 0 rejected"), "{}", stderr(&out));
    assert_eq!(events_in(&idx), 9);
}

/// `n` events as `aws logs filter-log-events` prints them (pretty, as the CLI does).
fn filter_log_events(n: usize, pad: usize) -> String {
    let events: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut e: serde_json::Value =
                serde_json::from_str(&good(&format!("fle-{i}"))).unwrap();
            e["annotations"]["pad"] = serde_json::Value::String("x".repeat(pad));
            serde_json::json!({
                "logStreamName": "kube-apiserver-audit-0123",
                "timestamp": 1_773_475_200_000_i64 + i64::try_from(i).unwrap(),
                "message": e.to_string(),
                "ingestionTime": 1_773_475_201_000_i64,
                "eventId": format!("{i:040}"),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "events": events,
        "searchedLogStreams": [{"logStreamName": "kube-apiserver-audit-0123", "searchedCompletely": true}],
        "nextToken": "Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCo",
    });
    serde_json::to_string_pretty(&doc).unwrap()
}

#[test]
fn regression_huge_wrapper_documents_stream_element_by_element() {
    let dir = tempfile::tempdir().unwrap();
    let max = 4096;
    let pretty = filter_log_events(60, 1000);
    let one_line =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&pretty).unwrap())
            .unwrap()
            .replace("fle-", "one-");
    let items: Vec<String> = (0..40).map(|i| good(&format!("list-{i}"))).collect();
    let list = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#,
        items.join(",")
    );
    let records: Vec<String> = (0..40)
        .map(|i| aks(&good(&format!("hub-{i}")), "kube-audit"))
        .collect();
    let hub = format!(
        "{}\n{{\"records\":[{}]}}\n{}\n",
        good("before"),
        records.join(","),
        good("after")
    );
    let too_big = format!(
        r#"{{"kind":"EventList","items":[{},{{"auditID":"big","x":"{}"}},{}]}}"#,
        good("small-1"),
        "y".repeat(2 * max),
        good("small-2")
    );
    assert!(pretty.len() > 10 * max && list.len() > 2 * max && hub.len() > 2 * max);
    let inputs = [
        write(dir.path(), "fle.json", &pretty),
        write(dir.path(), "fle-one-line.json", &one_line),
        write(dir.path(), "list.json", &list),
        write(dir.path(), "hub.json", &hub),
        write(dir.path(), "big.json", &too_big),
    ];
    let idx = dir.path().join("idx");
    let refs: Vec<&Path> = inputs.iter().map(AsRef::as_ref).collect();
    let out = index(&idx, &["--max-record-bytes", "4096"], &refs);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(" 1 rejected"),
        "only the element over the limit: {err}"
    );
    assert!(
        err.contains(&format!("{}:1: record too long", name(&inputs[4]))),
        "{err}"
    );
    assert_eq!(events_in(&idx), 60 + 60 + 40 + 42 + 2);
    let all = events(&idx);
    let find = |id: &str| {
        all.iter()
            .find(|e| e["audit_id"] == id)
            .unwrap_or_else(|| panic!("{id} indexed"))
            .clone()
    };
    // Each element of a pretty document is found at the line it starts on.
    let e = find("fle-3");
    assert_eq!(e["format"], "eks-cli");
    assert_eq!(e["source"]["record"], 3);
    let start = pretty.find("fle-3").unwrap();
    let element_line = pretty[..start]
        .rfind("\n    {")
        .map(|i| pretty[..=i].matches('\n').count() + 1);
    assert_eq!(e["source"]["line"].as_u64(), element_line.map(|l| l as u64));
    let e = find("hub-7");
    assert_eq!(
        (e["source"]["line"].as_u64(), e["source"]["record"].as_u64()),
        (Some(2), Some(7))
    );
    assert_eq!(e["format"], "aks");
    assert_eq!(find("after")["source"]["line"], 3);
    assert_eq!(find("one-59")["source"]["record"], 59);
    assert_eq!(find("list-39")["source"]["record"], 39);
}

#[test]
fn regression_symlink_loop_is_reported_not_walked_forever() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("sub")).unwrap();
    write(&logs, "audit.log", good("once") + "\n");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(".", logs.join("a")).unwrap();
        std::os::unix::fs::symlink(".", logs.join("b")).unwrap();
        std::os::unix::fs::symlink("..", logs.join("sub").join("up")).unwrap();
    }
    let idx = dir.path().join("idx");
    let out = index(&idx, &[], &[&logs]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "a loop is a warning: {err}");
    if cfg!(unix) {
        for link in ["a", "b", "sub/up"] {
            let want = format!("warning {}: symbolic link loop", logs.join(link).display());
            assert!(err.contains(&want), "{want} not in:\n{err}");
        }
    }
    assert_eq!(events_in(&idx), 1);
}

#[test]
fn regression_records_of_one_line_document_carry_their_index() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<String> = (0..3)
        .map(|i| aks(&good(&format!("rec-{i}")), "kube-audit"))
        .collect();
    let file = write(
        dir.path(),
        "hub.json",
        format!("{{\"records\":[{}]}}\n", records.join(",")),
    );
    let idx = dir.path().join("idx");
    assert!(index(&idx, &[], &[&file]).status.success());
    for e in events(&idx) {
        let id = e["audit_id"].as_str().unwrap();
        let want = id.trim_start_matches("rec-").parse::<u64>().unwrap();
        assert_eq!(e["source"]["line"], 1, "{e}");
        assert_eq!(e["source"]["record"].as_u64(), Some(want), "{e}");
    }
    let out = ks(&idx).args(["show", "rec-1"]).output().unwrap();
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{}:1 [record 1]", name(&file))),
        "{text}"
    );
    let out = ks(&idx)
        .args(["show", "--format", "json", "rec-2"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let v = if v.is_array() { v[0].clone() } else { v };
    assert_eq!(v["event"]["source"]["record"], 2, "{v}");
    // A record of its own line carries no index.
    let lone = write(dir.path(), "lone.log", good("lone") + "\n");
    assert!(index(&idx, &[], &[&lone]).status.success());
    let e = events(&idx)
        .into_iter()
        .find(|e| e["audit_id"] == "lone")
        .unwrap();
    assert!(e["source"].get("record").is_none(), "{e}");
}

#[test]
fn regression_unknown_csv_is_named_as_csv_not_truncated_json() {
    let dir = tempfile::tempdir().unwrap();
    let csv =
        "time,user,verb,object\n2026-03-14 08:00:00,alice,get,\"{\"\"kind\"\":\n\"\"Event\"\"}\"\n";
    let file = write(dir.path(), "export.csv", csv);
    let idx = dir.path().join("idx");
    let out = index(&idx, &[], &[&file]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("truncated JSON"), "{err}");
    for line in [1, 2] {
        let want = format!("{}:{line}: not JSON: a CSV line", name(&file));
        assert!(err.contains(&want), "{want} not in:\n{err}");
    }
}

#[test]
fn regression_empty_container_line_is_counted_as_skipped() {
    // Fuzzing: a line holding an empty list was neither a record, a reject nor skipped.
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        good("a"),
        "[]".to_owned(),
        r#"{"items":[]}"#.to_owned(),
        r#"{"records":[]}"#.to_owned(),
        good("b"),
    ];
    let file = write(dir.path(), "empty.log", lines.join("\n") + "\n");
    let idx = dir.path().join("idx");
    let out = index(&idx, &[], &[&file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let input = &stats(&idx)["inputs"][0];
    let n = |k: &str| input[k].as_u64().unwrap_or(0);
    assert_eq!(
        (n("records"), n("rejected"), n("skipped")),
        (2, 0, 3),
        "{input}"
    );
}

#[test]
fn regression_long_first_line_keeps_every_later_line() {
    // Fuzzing: a first event over 64 KiB made the file one scanned document, and a later
    // line missing its closing brace swallowed the lines after it.
    let dir = tempfile::tempdir().unwrap();
    let a = good("a");
    let long = a.replacen('{', &format!("{{\"pad\":\"{}\",", "x".repeat(70_000)), 1);
    let cut = good("b");
    let cut = &cut[..cut.len() - 1];
    let lines = [long, cut.to_owned(), good("c"), good("d"), good("e")];
    let file = write(dir.path(), "long.log", lines.join("\n") + "\n");
    let idx = dir.path().join("idx");
    let out = index(&idx, &[], &[&file]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(" 1 rejected"), "{err}");
    assert!(err.contains(&format!("{}:2: ", name(&file))), "{err}");
    assert_eq!(events_in(&idx), 4, "{err}");
}

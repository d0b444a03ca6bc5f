//! Exports read their rows from the index's columns and a compact stored field instead of
//! decoding each stored record: the guard that every exported value is what decoding the
//! record gives (the JSON `event` record holds every value any format prints).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{ks, sample_index, stderr, stdout, write};
use kubesift::export::{Marks, Row};
use kubesift::index::reader::TimeOrder;
use kubesift::model::EventRow;
use kubesift::query::Expr;
use kubesift::session::{IndexDir, Session};

/// Every event's export row as JSON, read from the columns and decoded from its record.
fn both_ways(index: &Path) -> Vec<(String, String)> {
    let session = Session::open(&IndexDir::new(index)).unwrap();
    let reader = session.reader();
    let hits = reader.search(&Expr::All, 0, 0, TimeOrder::Oldest).unwrap();
    assert!(!hits.is_empty());
    let json = |event: EventRow<'_>| {
        serde_json::to_string(&Row {
            event,
            marks: Marks::default(),
        })
        .unwrap()
    };
    let mut from_columns = Vec::new();
    reader
        .export_rows(
            &hits,
            &mut |row| -> Result<(), kubesift::index::IndexError> {
                from_columns.push(json(row));
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(from_columns.len(), hits.len());
    hits.iter()
        .zip(from_columns)
        .map(|(h, cols)| {
            let loaded = reader.load(h).unwrap();
            (cols, json(EventRow::of(&loaded.event)))
        })
        .collect()
}

fn assert_same(pairs: &[(String, String)]) {
    for (cols, decoded) in pairs {
        assert_eq!(
            cols, decoded,
            "the row read from columns differs from the event's"
        );
    }
}

#[test]
fn export_rows_from_columns_equal_the_decoded_events_of_the_sample() {
    let pairs = both_ways(sample_index());
    assert!(pairs.len() > 1000, "{}", pairs.len());
    assert!(
        pairs.iter().any(|(c, _)| c.contains(r#""command":[""#)),
        "the sample holds exec commands"
    );
    assert_same(&pairs);
}

/// One record with the given source IPs, user agent, URI and subresource.
fn odd_record(id: &str, ips: &str, ua: &str, uri: &str, sub: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"{uri}","verb":"create","user":{{"username":"alice"}},"sourceIPs":{ips},"userAgent":"{ua}","objectRef":{{"resource":"pods","subresource":"{sub}","namespace":"shop","name":"web-0","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":101}},"requestReceivedTimestamp":"2026-03-14T08:00:00.000000Z","stageTimestamp":"2026-03-14T08:00:01.000000Z"}}"#
    )
}

/// Values no column spells back: source IPs in IPv4-mapped, upper-case or invalid form or
/// absent, a user agent longer than the index's term limit, an exec command with quotes and
/// control characters, a path with a query.
#[test]
fn regression_export_rows_keep_values_the_columns_would_alter() {
    let dir = tempfile::tempdir().unwrap();
    let long_ua = format!("kubectl/{}", "x".repeat(3000));
    let exec = "/api/v1/namespaces/shop/pods/web-0/exec?command=sh&command=-c&command=echo+%22a%27b%22%3B%1B%5B2J&container=web&stdout=true";
    let lines = [
        odd_record(
            "a1",
            r#"["::ffff:10.0.0.7"]"#,
            "curl/8",
            "/api/v1/pods?limit=5",
            "",
        ),
        odd_record(
            "a2",
            r#"["10.0.0.1","2001:DB8::1"]"#,
            "curl/8",
            exec,
            "exec",
        ),
        odd_record("a3", r#"["not-an-ip"]"#, &long_ua, "/api/v1/pods", ""),
        odd_record("a4", "[]", "curl/8", "/api/v1/pods", ""),
        odd_record("a5", r#"["10.0.0.9"]"#, "curl/8", exec, "exec"),
    ];
    let log = write(dir.path(), "audit.log", lines.join("\n") + "\n");
    let index = dir.path().join("idx");
    let out = ks(&index).arg("index").arg(&log).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let pairs = both_ways(&index);
    assert_eq!(pairs.len(), 5);
    assert_same(&pairs);
    let all: String = pairs.iter().map(|(c, _)| c.as_str()).collect();
    for expected in [
        r#""source_ip":"::ffff:10.0.0.7""#,
        r#""source_ip":"2001:DB8::1""#,
        r#""source_ip":"not-an-ip""#,
        &format!(r#""user_agent":"{long_ua}""#),
        r#""command":["sh","-c","echo \"a'b\";\u001b[2J"]"#,
        r#""path":"/api/v1/pods""#,
    ] {
        assert!(all.contains(expected), "{expected} not in {all}");
    }

    // The command prints the same rows.
    let out = ks(&index)
        .args(["export", "--query", "*", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.matches(r#""type":"event""#).count(), 5);
    assert!(text.contains(&long_ua));
}

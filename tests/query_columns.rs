//! Keyword, time, code and address fields have no terms in the index (schema 5): queries on
//! them are answered from their fast columns. These queries must match exactly what they
//! matched as terms — exact values, globs, any value, several values of one event, negation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{count, ks, stderr, stdout, write};

fn event(
    id: &str,
    time: &str,
    user: &str,
    ips: &str,
    verb: &str,
    object: &str,
    code: u16,
) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api","verb":"{verb}","user":{{"username":"{user}","groups":["system:authenticated"]}},"sourceIPs":[{ips}],"userAgent":"kubectl/v1.29.3 (linux/amd64) kubernetes/6813625","objectRef":{{{object}}},"responseStatus":{{"metadata":{{}},"code":{code}}},"requestReceivedTimestamp":"{time}","stageTimestamp":"{time}"}}"#
    )
}

/// An index of `lines` (one audit log), in a directory that lives as long as the guard.
fn indexed(lines: &[String]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "audit.log", lines.join("\n"));
    let index = dir.path().join("idx");
    let out = ks(&index).arg("index").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    (dir, index)
}

/// Each query matches as many events as it says (every miss listed).
fn assert_counts(index: &std::path::Path, cases: &[(&str, u64)]) {
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(q, want)| {
            let got = count(index, q);
            (got != *want).then(|| format!("{q}: {got} events, not {want}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn keyword_queries_answered_from_columns_match_as_terms_did() {
    let lines = [
        event(
            "a",
            "2026-03-14T08:00:00Z",
            "alice",
            r#""10.0.0.1","192.0.2.9""#,
            "get",
            r#""resource":"pods","namespace":"shop","name":"web-1","apiVersion":"v1""#,
            200,
        ),
        event(
            "b",
            "2026-03-14T09:00:00Z",
            "system:serviceaccount:shop:web",
            r#""10.0.0.2""#,
            "list",
            r#""resource":"secrets","namespace":"kube-system","apiVersion":"v1""#,
            403,
        ),
        event(
            "c",
            "2026-03-14T10:00:00Z",
            "bob",
            r#""2001:db8::7""#,
            "create",
            r#""resource":"clusterrolebindings","name":"x","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1""#,
            201,
        ),
    ];
    let (_dir, index) = indexed(&lines);
    let cases: &[(&str, u64)] = &[
        ("user:alice", 1),
        ("user:nobody", 0),
        ("user:ali*", 1),
        ("user:a*e", 1),
        ("user:*serviceaccount*", 1),
        ("user:?ob", 1),
        ("verb:GET", 1),
        ("namespace:*", 2),
        ("NOT namespace:*", 1),
        ("namespace:kube-*", 1),
        ("NOT namespace:kube-*", 2),
        ("resource:secrets AND NOT user:bob", 1),
        ("sa:shop:web", 1),
        // DNS names match in any case (`sa:SHOP:web` found nothing).
        ("sa:SHOP:web", 1),
        ("sa:WEB", 1),
        ("resource:pods OR resource:clusterrolebindings", 2),
        // The second of an event's two source addresses, a block, IPv6.
        ("ip:192.0.2.9", 1),
        ("ip:10.0.0.0/24", 2),
        ("ip:2001:db8::7", 1),
        ("ip:*", 3),
        ("code:*", 3),
        ("NOT peer:*", 0),
        ("level:meta*", 3),
        ("stage:*complete", 3),
        ("code:403", 1),
        ("code:4xx", 1),
        ("code:>=200", 3),
        ("time:>=2026-03-14T09:00:00Z", 2),
        ("time:[2026-03-14T08:30:00Z TO 2026-03-14T09:30:00Z]", 1),
    ];
    assert_counts(&index, cases);
}

/// Audit IDs written as UUIDs are kept as two numbers, any other form as written: both come
/// back whole in rows, by prefix in `show`, and exactly by `id:`.
#[test]
fn audit_ids_kept_as_numbers_or_as_written_come_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let object = r#""resource":"pods","namespace":"shop","apiVersion":"v1""#;
    let ids = [
        "5f0c2b7e-9a41-4c3d-8e21-0b6f4d2a9c13",
        "5F0C2B7E-9A41-4C3D-8E21-0B6F4D2A9C99",
        "req-7",
    ];
    let lines: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let time = format!("2026-03-14T08:00:0{i}Z");
            event(id, &time, "alice", r#""10.0.0.1""#, "get", object, 200)
        })
        .collect();
    let file = write(dir.path(), "audit.log", lines.join("\n"));
    let index = dir.path().join("idx");
    let out = ks(&index).arg("index").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let out = ks(&index)
        .args(["search", "--format", "jsonl", "*"])
        .output()
        .unwrap();
    let listed: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["audit_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(listed, ids, "{}", stdout(&out));
    for id in ids {
        assert_eq!(count(&index, &format!("id:\"{id}\"")), 1, "{id}");
    }
    // UUIDs are case-insensitive: found in the other case too (`req-7` is no UUID).
    for id in ids {
        let other = if id.starts_with('5') && id.contains('F') {
            id.to_ascii_lowercase()
        } else {
            id.to_ascii_uppercase()
        };
        let want = u64::from(id != "req-7");
        assert_eq!(count(&index, &format!("id:\"{other}\"")), want, "{other}");
    }
    // A prefix names the one event it starts, in either case; one both UUIDs start with is
    // ambiguous.
    for (prefix, id) in [
        ("5f0c2b7e-9a41-4c3d-8e21-0b6f4d2a9c1", ids[0]),
        ("5F0C2B7E-9A41-4C3D-8E21-0B6F4D2A9C1", ids[0]),
        ("5F0C2B7E-9A41-4C3D-8E21-0B6F4D2A9C9", ids[1]),
        ("5f0c2b7e-9a41-4c3d-8e21-0b6f4d2a9c9", ids[1]),
        ("req", ids[2]),
    ] {
        let out = ks(&index)
            .args(["show", prefix, "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{prefix}: {}", stderr(&out));
        assert!(stdout(&out).contains(id), "{prefix}: {}", stdout(&out));
    }
    let out = ks(&index).args(["show", "5F0C"]).output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("ambiguous"), "{}", stderr(&out));
}

/// The account's, the user agent family's and the request path's words are not in the text
/// field (indexing them twice cost a tenth of ingest): bare words find them in their column
/// and terms, as words, phrases and prefixes did in the text.
#[test]
fn bare_words_find_the_account_client_and_path_outside_the_text_field() {
    let line = |id: &str, user: &str, ua: &str, uri: &str, extra: &str| {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"{uri}","verb":"get","user":{{"username":"{user}"}},{extra}"sourceIPs":["10.0.0.1"],"userAgent":"{ua}","responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"2026-03-14T08:00:00Z","stageTimestamp":"2026-03-14T08:00:00Z"}}"#
        )
    };
    let lines = [
        line(
            "a",
            "system:serviceaccount:shop:web",
            "kubectl/v1.29.3 (linux/amd64) kubernetes/6813625",
            "/api/v1/namespaces/shop/pods/web-1%2Dcanary/exec?command=sh&container=app",
            "",
        ),
        line(
            "b",
            "alice@example.com",
            "Mozilla/5.0 (X11; Linux x86_64)",
            "/apis/apps/v1/namespaces/payments/deployments?labelSelector=tier%3Dfront",
            "",
        ),
        line(
            "c",
            "bob",
            "curl/8.5.0",
            "/healthz",
            r#""impersonatedUser":{"username":"system:admin"},"#,
        ),
    ];
    let (_dir, index) = indexed(&lines);
    let cases: &[(&str, u64)] = &[
        ("web", 1),
        ("WEB", 1),
        ("\"shop web\"", 1),
        ("\"serviceaccount web\"", 0),
        ("canary", 1),
        ("web-1-canary", 1),
        ("example", 1),
        ("alice@example.com", 1),
        ("kubectl", 1),
        ("payment*", 1),
        ("healthz", 1),
        ("namespaces", 2),
        ("NOT namespaces", 1),
        // Still in the text field: the query, the impersonated user.
        ("tier", 1),
        ("admin", 1),
        ("container", 1),
        ("nothing-like-it", 0),
        // A trailing `*` after punctuation: the last word a prefix (`web-7d9f*` found
        // nothing).
        ("web-1-can*", 1),
        ("example.c*", 1),
        ("\"shop we*\"", 1),
        ("system:serviceacc*", 1),
    ];
    assert_counts(&index, cases);
    // Words that cannot match are refused, not searched for nothing.
    for query in ["-", "web -", "\"\"", "*ctl", "k*l", "text:*ctl"] {
        let out = ks(&index)
            .args(["search", "--count", query])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{query}: {}", stdout(&out));
        assert!(stderr(&out).contains('`'), "{query}: {}", stderr(&out));
    }
}

/// The groups a username implies (`system:authenticated`, a service account's, a node's) are
/// not indexed (they were most of the index's postings): `group:` finds them through the
/// account, and only where the log lists them.
#[test]
fn group_queries_find_implied_groups_only_where_the_log_lists_them() {
    let line = |id: &str, user: &str, groups: &str| {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api","verb":"get","user":{{"username":"{user}"{groups}}},"sourceIPs":["10.0.0.1"],"responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"2026-03-14T08:00:00Z","stageTimestamp":"2026-03-14T08:00:00Z"}}"#
        )
    };
    let lines = [
        line(
            "sa",
            "system:serviceaccount:shop:web",
            r#","groups":["system:serviceaccounts","system:serviceaccounts:shop","system:authenticated"]"#,
        ),
        line(
            "alice",
            "alice",
            r#","groups":["system:authenticated","devs"]"#,
        ),
        line("bob", "bob", ""),
        line(
            "anon",
            "system:anonymous",
            r#","groups":["system:unauthenticated"]"#,
        ),
        line(
            "node",
            "system:node:n1",
            r#","groups":["system:nodes","system:authenticated"]"#,
        ),
        // A log that lacks a group the API server always adds: nothing is implied for it.
        line(
            "bot",
            "system:serviceaccount:ops:bot",
            r#","groups":["system:serviceaccounts","system:serviceaccounts:ops"]"#,
        ),
    ];
    let (_dir, index) = indexed(&lines);
    let cases: &[(&str, u64)] = &[
        ("group:system:authenticated", 3),
        ("NOT group:system:authenticated", 3),
        ("group:system:serviceaccounts", 2),
        ("group:system:serviceaccounts:shop", 1),
        ("group:system:serviceaccounts:ops", 1),
        ("group:system:serviceaccounts:*", 2),
        ("group:devs", 1),
        ("group:*", 5),
        ("NOT group:*", 1),
        ("group:system:unauthenticated", 1),
        ("group:system:nodes", 1),
        ("group:*authenticated", 4),
        ("group:system:AUTHENTICATED", 0),
        ("groups:devs OR group:system:nodes", 2),
    ];
    assert_counts(&index, cases);
}

/// A username longer than the `user` column keeps was credited at query time, from its cut
/// form, with the groups its whole form implied, though the log listed none.
#[test]
fn regression_an_overlong_username_was_credited_with_groups_the_log_never_listed() {
    let long = format!("system:serviceaccount:ns:{}", "x".repeat(2000));
    let edge = format!("system:serviceaccount:ns:{}", "y".repeat(1021 - 25));
    let line = |id: &str, user: &str| {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api","verb":"get","user":{{"username":"{user}"}},"sourceIPs":["10.0.0.1"],"responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"2026-03-14T08:00:00Z","stageTimestamp":"2026-03-14T08:00:00Z"}}"#
        )
    };
    let (_dir, index) = indexed(&[line("a", &long), line("b", &edge)]);
    assert_counts(
        &index,
        &[
            ("group:system:serviceaccounts", 0),
            ("group:system:authenticated", 0),
            ("group:*", 0),
        ],
    );
}

//! Incidents end to end: the sample cluster's attack is one story (and nothing benign is in
//! it), a hand-written story in another cluster's shape links the same way, and the
//! `incidents` and `export --incident` commands keep their contracts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::{ks, repo, sample_index, stderr, stdout};
use serde_json::Value;

fn incidents(index: &Path) -> Vec<Value> {
    let out = ks(index)
        .args(["incidents", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ground_truth(name: &str) -> Vec<Value> {
    std::fs::read_to_string(repo().join("tests/ground-truth").join(name))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(v: &Value) -> HashSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_sample_attack_is_one_incident_without_benign_events() {
    let all = incidents(sample_index());
    let top = &all[0];
    let story = ids(&top["audit_ids"]);
    let steps = ground_truth("attacks.jsonl");
    let held: Vec<&str> = steps
        .iter()
        .filter(|s| !ids(&s["audit_ids"]).is_disjoint(&story))
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(
        held.len() * 10 >= steps.len() * 9,
        "the most severe incident holds {} of {} attack steps: {held:?}",
        held.len(),
        steps.len()
    );
    for scenario in ground_truth("benign.jsonl") {
        let benign = ids(&scenario["audit_ids"]);
        assert!(
            benign.is_disjoint(&story),
            "benign {} is in the attack's incident",
            scenario["scenario"]
        );
    }
    let severe = all
        .iter()
        .filter(|i| matches!(i["severity"].as_str(), Some("high" | "critical")))
        .count();
    assert!(severe <= 5, "{severe} incidents at high or above");
    assert_eq!(top["severity"], "critical");
    // The chain is explained, earliest first: every link ties a step to an earlier one, and
    // every step but the first carries a link or is the step a later one ties to (it starts
    // a thread: a subject acting before the binding that names it).
    let steps = top["steps"].as_array().unwrap();
    let tied_to: std::collections::HashSet<u64> = steps
        .iter()
        .filter_map(|s| s["link"]["to_step"].as_u64())
        .collect();
    for (n, s) in (0u64..).zip(steps) {
        match s["link"]["to_step"].as_u64() {
            Some(to) => assert!(to < n, "step {n} links forward to step {to}"),
            None => assert!(
                n == 0 || tied_to.contains(&n),
                "step {n} is tied to nothing"
            ),
        }
    }
}

#[test]
fn incident_ids_are_stable_across_runs() {
    let a: Vec<Value> = incidents(sample_index());
    let b: Vec<Value> = incidents(sample_index());
    let id = |v: &Vec<Value>| v.iter().map(|i| i["id"].clone()).collect::<Vec<_>>();
    assert_eq!(id(&a), id(&b));
}

#[test]
fn regression_the_markdown_story_left_a_thread_start_unexplained() {
    // A step tied in only by a later step had no line under it in the Markdown and HTML
    // stories (the workbench said "starts a thread"); every step after the first now says
    // how it is tied in.
    let top = incidents(sample_index()).remove(0);
    let id = top["id"].as_str().unwrap();
    let out = ks(sample_index())
        .args(["export", "--incident", id, "--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let md = stdout(&out);
    let story = md.split("## Story").nth(1).unwrap();
    let story = story.split("## Advice").next().unwrap();
    let items: Vec<&str> = story
        .split('\n')
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(items.len(), top["steps"].as_array().unwrap().len());
    let lines: Vec<&str> = story.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("1. ") || !l.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let next = lines.get(i + 1).copied().unwrap_or("");
        // Indented by the width of the item's marker (`10. ` four: with three, CommonMark
        // made the lines under steps 10 and later lists of their own).
        let marker = l.split_once(' ').map_or(0, |(n, _)| n.len() + 1);
        let indent = " ".repeat(marker);
        assert!(
            next.starts_with(&format!("{indent}- linked to step "))
                || next.starts_with(&format!("{indent}- starts a thread")),
            "step without its tie, or not nested under it: {l}\n{next}"
        );
    }
    assert!(md.contains("   - starts a thread: "), "{story}");
}

/// One request of the hand-written cluster: only `ResponseComplete` records, other names
/// and addresses than the sample's.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per field of the record"
)]
fn event(
    id: &str,
    at: &str,
    user: &str,
    ip: &str,
    verb: &str,
    uri: &str,
    object: &str,
    code: u16,
) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"{uri}","verb":"{verb}","user":{user},"sourceIPs":["{ip}"],"userAgent":"=HYPERLINK(\"http://x\")<script>","objectRef":{object},"responseStatus":{{"code":{code}}},"requestReceivedTimestamp":"{at}","stageTimestamp":"{at}","annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}}}"#
    )
}

fn human(name: &str) -> String {
    format!(r#"{{"username":"{name}","groups":["system:authenticated"]}}"#)
}

const API_SA: &str = r#"{"username":"system:serviceaccount:billing:api","groups":["system:serviceaccounts","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=5b1d"],"authentication.kubernetes.io/pod-name":["api-7f9c-q2w8e"],"authentication.kubernetes.io/pod-uid":["0a1b"],"authentication.kubernetes.io/node-name":["pool-b-2"]}}"#;

/// mallory (behind a NAT shared by many people) reads the token of billing/api's pod through
/// an exec; the token then lists every secret from an outside address. ops, behind the same
/// NAT, opens a shell in staging: a finding of its own, not part of the story.
fn hand_written_story() -> String {
    let nat = "10.1.1.1";
    let mut lines = Vec::new();
    for (i, who) in ["u1", "u2", "u3", "u4", "u5", "u6"].iter().enumerate() {
        lines.push(event(
            &format!("noise-{i}"),
            &format!("2026-07-01T09:0{i}:00Z"),
            &human(&format!("{who}@corp.example")),
            nat,
            "list",
            "/api/v1/namespaces/staging/pods",
            r#"{"resource":"pods","namespace":"staging","apiVersion":"v1"}"#,
            200,
        ));
    }
    lines.push(event(
        "mallory-exec",
        "2026-07-01T09:10:00Z",
        &human("mallory@corp.example"),
        nat,
        "create",
        "/api/v1/namespaces/billing/pods/api-7f9c-q2w8e/exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&container=api&stdout=true",
        r#"{"resource":"pods","subresource":"exec","namespace":"billing","name":"api-7f9c-q2w8e","apiVersion":"v1"}"#,
        101,
    ));
    lines.push(event(
        "ops-shell",
        "2026-07-01T09:12:00Z",
        &human("ops@corp.example"),
        nat,
        "create",
        "/api/v1/namespaces/staging/pods/tools-0/exec?command=bash&container=tools&stdin=true&stdout=true&tty=true",
        r#"{"resource":"pods","subresource":"exec","namespace":"staging","name":"tools-0","apiVersion":"v1"}"#,
        101,
    ));
    lines.push(event(
        "stolen-list",
        "2026-07-01T09:20:00Z",
        API_SA,
        "203.0.113.200",
        "list",
        "/api/v1/secrets",
        r#"{"resource":"secrets","apiVersion":"v1"}"#,
        200,
    ));
    lines.join("\n") + "\n"
}

fn hand_written_index() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let log = common::write(tmp.path(), "audit.log", hand_written_story());
    let index = tmp.path().join("idx");
    let out = ks(&index).arg("index").arg(&log).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    (tmp, index)
}

#[test]
fn a_token_read_through_exec_links_its_use_elsewhere_but_not_the_nat_neighbours() {
    let (_tmp, index) = hand_written_index();
    let all = incidents(&index);
    let story = all
        .iter()
        .find(|i| ids(&i["audit_ids"]).contains("stolen-list"))
        .unwrap_or_else(|| panic!("no incident holds the stolen token's use: {all:#?}"));
    let audit = ids(&story["audit_ids"]);
    assert!(audit.contains("mallory-exec"), "{story:#}");
    assert!(
        !audit.contains("ops-shell"),
        "the NAT merged ops into it: {story:#}"
    );
    let links: Vec<&str> = story["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["link"]["kind"].as_str())
        .collect();
    assert!(links.contains(&"pod-token"), "{links:?}");
    assert_eq!(
        story["severity"], "critical",
        "crossing identities raises it"
    );
}

#[test]
fn export_incident_writes_the_story_escaped_in_every_format() {
    let (_tmp, index) = hand_written_index();
    let all = incidents(&index);
    let id = all
        .iter()
        .find(|i| ids(&i["audit_ids"]).contains("stolen-list"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = |format: &str| {
        let out = ks(&index)
            .args(["export", "--incident", &id, "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let html = run("html");
    assert!(
        html.contains("<svg") && html.contains("billing/api-7f9c-q2w8e"),
        "graph"
    );
    assert!(
        !html.contains("<script>"),
        "a log string reached the HTML raw"
    );
    assert!(html.contains("default-src 'none'"));
    let csv = run("csv");
    assert!(csv.starts_with("time_utc,audit_id,account,"), "{csv}");
    assert!(csv.contains("mallory-exec") && csv.contains("stolen-list"));
    assert!(
        !csv.contains(",=HYPERLINK"),
        "a formula reached the CSV: {csv}"
    );
    let md = run("markdown");
    assert!(md.contains("pod-token") && !md.contains("<script>"), "{md}");
    let jsonl = run("jsonl");
    let first: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(
        (first["type"].as_str(), first["id"].as_str()),
        (Some("incident"), Some(id.as_str()))
    );
    assert!(
        jsonl
            .lines()
            .skip(1)
            .all(|l| l.contains(r#""type":"event""#))
    );
}

#[test]
fn incidents_jsonl_keeps_the_contract_fields_and_unknown_ids_are_errors() {
    let (_tmp, index) = hand_written_index();
    let out = ks(&index)
        .args(["incidents", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for line in stdout(&out).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        for field in [
            "id",
            "title",
            "severity",
            "first_seen",
            "last_seen",
            "identities",
            "source_ips",
            "tactics",
            "steps",
            "audit_ids",
            "advice",
            "graph",
        ] {
            assert!(v.get(field).is_some(), "{field} missing: {line}");
        }
    }
    let table = ks(&index).arg("incidents").output().unwrap();
    assert!(
        stdout(&table).starts_with("SEVERITY  ID"),
        "{}",
        stdout(&table)
    );
    let missing = ks(&index)
        .args([
            "export",
            "--incident",
            "INC-000000000000",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no incident INC-000000000000"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn regression_incidents_csv_wrote_times_without_t_or_zone() {
    // `incidents --format csv` wrote `2026-03-14 10:58:14` (the table's short form) where
    // every other CSV writes RFC 3339.
    let (_tmp, index) = hand_written_index();
    let out = ks(&index)
        .args(["incidents", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (first, last) = (at("first_seen"), at("last_seen"));
    let mut n = 0;
    for row in rows.records() {
        let row = row.unwrap();
        for t in [&row[first], &row[last]] {
            assert!(t.contains('T') && t.ends_with('Z'), "{t}");
        }
        n += 1;
    }
    assert!(n > 0, "{text}");
}

#[test]
fn regression_export_incident_took_no_prefix() {
    // `export --incident c60fa2ae` was "no incident" though audit IDs take prefixes.
    let all = incidents(sample_index());
    let id = all[0]["id"].as_str().unwrap().to_owned();
    let bare = id.strip_prefix("INC-").unwrap();
    for prefix in [&bare[..8], &id[..10], &bare[..8].to_ascii_uppercase()] {
        let out = ks(sample_index())
            .args(["export", "--incident", prefix, "--format", "jsonl"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{prefix}: {}", stderr(&out));
        let first: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
        assert_eq!(first["id"].as_str(), Some(id.as_str()), "{prefix}");
    }
    // `INC-` starts every id: ambiguous when there are several.
    if all.len() > 1 {
        let out = ks(sample_index())
            .args(["export", "--incident", "INC-", "--format", "jsonl"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(stderr(&out).contains("ambiguous"), "{}", stderr(&out));
    }
}

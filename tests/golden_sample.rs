//! Golden tests of the CLI twins on the committed sample logs: `search`, `show`, `stats`.
//! Paths are made relative to the repository so snapshots hold on any checkout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ks, repo, sample_index, stderr, stdout};

/// Replaces the absolute checkout path by `[repo]`.
fn portable(s: &str) -> String {
    let root = repo().canonicalize().unwrap();
    s.replace(&root.display().to_string(), "[repo]")
}

fn run(args: &[&str]) -> String {
    let out = ks(sample_index()).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    portable(&stdout(&out))
}

#[test]
fn search_exec_sessions_as_jsonl() {
    insta::assert_snapshot!(run(&["search", "res:pods/exec", "--format", "jsonl"]));
}

#[test]
fn search_table_of_secret_lists_across_the_cluster() {
    insta::assert_snapshot!(run(&[
        "search",
        "verb:list res:secrets path:/api/v1/secrets",
        "--limit",
        "20"
    ]));
}

#[test]
fn search_count_and_time_window() {
    let all = run(&["search", "--count", "*"]);
    let last_hour = run(&["search", "--count", "--since", "1h", "*"]);
    let (all, last_hour): (u64, u64) = (
        all.trim().parse().unwrap(),
        last_hour.trim().parse().unwrap(),
    );
    assert!(last_hour > 0 && last_hour < all, "{last_hour} of {all}");
    insta::assert_snapshot!(format!("all={all} last_hour={last_hour}"));
}

#[test]
fn search_query_forms_agree() {
    // Quoted and unquoted values with colons; CIDR and exact IP; keyword case.
    let n = |q: &str| {
        run(&["search", "--count", q])
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(
        n("user:system:serviceaccount:shop:web"),
        n("user:\"system:serviceaccount:shop:web\"")
    );
    assert_eq!(n("user:system:serviceaccount:shop:web"), n("sa:shop:web"));
    assert!(n("ip:10.244.2.7") <= n("ip:10.244.0.0/16"));
    assert_eq!(n("verb:GET"), n("verb:get"));
    assert_eq!(n("NOT verb:get") + n("verb:get"), n("*"));
    assert!(n("code:>=400") > 0);
}

#[test]
fn show_an_encoded_exec_as_json_and_text() {
    let first = run(&["search", "exec:exec", "--format", "jsonl", "--limit", "0"]);
    let reverse = first
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| {
            e["exec"]["command_line"]
                .as_str()
                .unwrap_or_default()
                .contains("/dev/tcp/")
        })
        .expect("the sample holds a reverse shell exec");
    let id = reverse["audit_id"].as_str().unwrap();
    let json = run(&["show", id, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["event"]["exec"]["command"][0], "bash");
    assert_eq!(v["event"]["verb"], "get");
    insta::assert_snapshot!("show_reverse_shell_json", json);
    insta::assert_snapshot!("show_reverse_shell_text", run(&["show", id]));
}

#[test]
fn stats_of_the_sample() {
    insta::assert_snapshot!(run(&["stats", "--format", "json", "--top", "5"]));
}

#[test]
fn bad_query_says_where_and_why() {
    let out = ks(sample_index())
        .args(["search", "verb:get AND (ns:shop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at column 14: unclosed `(`"),
        "{}",
        stderr(&out)
    );
}

//! `--rules DIR` through the real binary: a rule of DIR replaces a shipped rule with its id
//! (documented), but an id defined twice within DIR is an error naming both files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use common::{stderr, stdout, write};

fn rule(id: &str, title: &str) -> String {
    format!(
        "[[rule]]\nid = \"{id}\"\ntitle = \"{title}\"\nfamily = \"remote-exec\"\nseverity = \"low\"\nadvice = \"a\"\n[rule.match]\nverb = \"get\"\n"
    )
}

fn rules_with(dir: &std::path::Path) -> std::process::Output {
    Command::cargo_bin("kubesift")
        .unwrap()
        .args(["rules", "--format", "json", "--rules"])
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn rules_dir_replaces_a_shipped_rule_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "mine.toml", rule("KS-EXEC-SHELL", "replaced"));
    let out = rules_with(dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let shell: Vec<_> = all.iter().filter(|r| r["id"] == "KS-EXEC-SHELL").collect();
    assert_eq!(shell.len(), 1, "{}", stdout(&out));
    assert_eq!(shell[0]["title"], "replaced");
    assert_eq!(shell[0]["source"], file.display().to_string());
}

#[test]
fn regression_duplicate_rule_id_within_rules_dir_was_silently_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.toml", rule("MY-RULE", "first"));
    let b = write(dir.path(), "b.toml", rule("MY-RULE", "second"));
    let out = rules_with(dir.path());
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: rule id `MY-RULE` is already defined in {}",
            b.display(),
            a.display()
        )),
        "{err}"
    );
}

#[test]
fn regression_duplicate_rule_id_within_one_rule_file_was_silently_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}{}", rule("MY-RULE", "first"), rule("MY-RULE", "second"));
    let a = write(dir.path(), "a.toml", text);
    let out = rules_with(dir.path());
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: rule id `MY-RULE` is defined twice in this file",
            a.display()
        )),
        "{err}"
    );
}

//! One positive and one negative fixture (at least) for every detection rule, data and code.
//!
//! Fixtures live in `tests/fixtures/detections/<RULE-ID>.jsonl`, one case per line:
//! `{"case": "positive" | "negative", "name": "...", "events": [<native audit events>]}`.
//! A positive case must make the rule fire; a negative one must not (other rules may).
//! A `"benign"` case is a realistic look-alike the rule may report, but no finding of any
//! rule may reach medium. Every rule has a positive case and a negative or benign one.
//! Events may omit `stage` (taken as `ResponseComplete`). A case may name the analyst's lists
//! it runs with: `"options": {"bad_addresses": ["CIDR"…], "image_allow": ["glob"…]}`, and
//! `"deepen": N` nests a field N levels deep into each request body. A positive case may
//! give the `"severity"` its finding must have, and text its summary must have
//! (`"summary_has"`) or lack (`"summary_lacks"`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use kubesift::detect::{self, DetectOptions, Rows, rules};
use kubesift::model::{AuditEvent, SourceRef};
use kubesift::{NormalizeOptions, decode_record};

fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detections")
}

fn decode(events: &[serde_json::Value], case: &str) -> Vec<AuditEvent> {
    let mut out = Vec::new();
    for e in events {
        let text = e.to_string();
        for d in decode_record(
            &text,
            &SourceRef::default(),
            NormalizeOptions { whole: true },
        ) {
            out.push(
                d.unwrap_or_else(|err| panic!("{case}: fixture event does not decode: {err}"))
                    .event,
            );
        }
    }
    out
}

/// The detection settings of a case: the defaults, with the analyst's lists a case names
/// (`"options": {"bad_addresses": [...], "image_allow": [...]}`).
fn options(case: &serde_json::Value) -> DetectOptions {
    let list = |key: &str| -> String {
        case["options"][key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    DetectOptions {
        bad_addresses: detect::options::parse_addresses(&list("bad_addresses")).unwrap(),
        image_allow: detect::options::parse_image_globs(&list("image_allow")),
        ..DetectOptions::default()
    }
}

/// The events of a case; with `"deepen": N`, each request body gains a field nested N levels
/// deep (a fixture line that deep could not be read as JSON itself).
fn deepened(case: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut events = case["events"].as_array().unwrap().clone();
    if let Some(depth) = case["deepen"].as_u64() {
        let mut deep = serde_json::json!(1);
        for _ in 0..depth {
            deep = serde_json::json!({ "x": deep });
        }
        for e in &mut events {
            if let Some(body) = e["requestObject"].as_object_mut() {
                body.insert("nested".into(), deep.clone());
            }
        }
    }
    events
}

#[test]
fn every_rule_has_a_positive_and_a_negative_fixture_and_they_hold() {
    let data_rules = rules::load(&[]).unwrap();
    let all = detect::engine::all_rules(&data_rules);
    let mut failures = Vec::new();
    let mut missing = Vec::new();
    for rule in &all {
        let path = fixtures_dir().join(format!("{}.jsonl", rule.id));
        let Ok(text) = std::fs::read_to_string(&path) else {
            missing.push(format!("{}: no fixture file", rule.id));
            continue;
        };
        let mut kinds = BTreeSet::new();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let case: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
            let kind = case["case"].as_str().unwrap();
            let name = format!(
                "{} {} `{}`",
                rule.id,
                kind,
                case["name"].as_str().unwrap_or("?")
            );
            kinds.insert(kind.to_owned());
            let events = decode(&deepened(&case), &name);
            let rows = Rows::from_events(&events);
            let found = detect::detect(&rows, &data_rules, &options(&case), &events).unwrap();
            let fired = found.iter().any(|f| f.rule_id == rule.id);
            if kind == "benign" {
                let loud: Vec<String> = found
                    .iter()
                    .filter(|f| f.severity >= detect::Severity::Medium)
                    .map(|f| format!("{} {:?}", f.rule_id, f.severity))
                    .collect();
                if !loud.is_empty() {
                    failures.push(format!(
                        "{name}: benign look-alike reached medium: {loud:?}"
                    ));
                }
                continue;
            }
            // A positive case may name the severity the rule's finding must have.
            if kind == "positive"
                && let Some(want) = case["severity"].as_str()
            {
                let got: Vec<String> = found
                    .iter()
                    .filter(|f| f.rule_id == rule.id)
                    .map(|f| f.severity.to_string())
                    .collect();
                if !got.is_empty() && !got.iter().any(|g| g == want) {
                    failures.push(format!("{name}: severity {got:?}, want {want}"));
                }
            }
            // And text its summary must (`summary_has`) or must not (`summary_lacks`) hold.
            for (key, want) in [("summary_has", true), ("summary_lacks", false)] {
                if let Some(text) = case[key].as_str() {
                    for f in found.iter().filter(|f| f.rule_id == rule.id) {
                        if f.summary.contains(text) != want {
                            failures.push(format!("{name}: {key} `{text}`: {}", f.summary));
                        }
                    }
                }
            }
            match (kind, fired) {
                ("positive", false) => failures.push(format!(
                    "{name}: did not fire (found {:?})",
                    found.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
                )),
                ("negative", true) => failures.push(format!("{name}: fired")),
                ("positive" | "negative", _) => {}
                _ => failures.push(format!("{name}: case must be positive, negative or benign")),
            }
        }
        if !kinds.contains("positive") {
            missing.push(format!("{}: no positive case", rule.id));
        }
        if !kinds.contains("negative") && !kinds.contains("benign") {
            missing.push(format!("{}: no negative or benign case", rule.id));
        }
    }
    assert!(
        missing.is_empty() && failures.is_empty(),
        "{}\n{}",
        missing.join("\n"),
        failures.join("\n")
    );
}

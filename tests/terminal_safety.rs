//! Log strings never reach a terminal or a spreadsheet raw: a crafted log whose every
//! string holds escape sequences (OSC 0 title, OSC 52 clipboard, CSI, C1 CSI, DEL,
//! backspace, CR, bidi overrides) goes through every command and format, and no raw
//! control character comes out on stdout or stderr. Also: the CSV formula guard, JSON
//! escaping that round-trips, and queries nested too deep (an error, never an abort).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::sync::OnceLock;

use common::{ks, stderr, stdout};

/// Escape sequences a terminal acts on: window title (OSC 0), clipboard (OSC 52), clear
/// screen (CSI), the C1 form of CSI, DEL, backspace, CR, and the bidi override and isolate.
const H: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{9b}31m\u{7f}\u{8}\r\u{202e}\u{2066}";

/// A character that must never be written raw (line breaks and tabs aside).
fn forbidden(c: char) -> bool {
    let n = c as u32;
    (n < 0x20 && c != '\n' && c != '\t')
        || (0x7f..=0x9f).contains(&n)
        || (0x202a..=0x202e).contains(&n)
        || (0x2066..=0x2069).contains(&n)
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Some((i, c)) = text.char_indices().find(|(_, c)| forbidden(*c)) {
        let from = text[..i].char_indices().rev().nth(60).map_or(0, |(j, _)| j);
        panic!(
            "{what}: raw U+{:04X} at byte {i}: {:?}",
            c as u32,
            &text[from..(i + 20).min(text.len())]
        );
    }
}

fn assert_output_clean(what: &str, out: &Output) {
    assert_clean(&format!("{what} (stdout)"), &out.stdout);
    assert_clean(&format!("{what} (stderr)"), &out.stderr);
}

/// A `ResponseComplete` record with the given top-level fields merged in.
fn record(id: &str, extra: &serde_json::Value) -> String {
    let mut r = serde_json::json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": id, "stage": "ResponseComplete", "verb": "get",
        "requestURI": "/api/v1/namespaces/shop/pods/web",
        "user": {"username": "alice", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.5"], "userAgent": "kubectl/v1.29.3",
        "objectRef": {"resource": "pods", "namespace": "shop", "name": "web", "apiVersion": "v1"},
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": "2026-03-14T10:00:00.000000Z",
        "stageTimestamp": "2026-03-14T10:00:00.100000Z"
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r.to_string()
}

/// The crafted log: hostile usernames, groups, `user.extra` keys, user agents, namespaces,
/// names, annotation keys and values, an exec command, an audit ID, formula-looking cells,
/// a wrong-typed field under a hostile map key, and a line that is not JSON.
fn crafted_log() -> String {
    let h = |s: &str| format!("{s}{H}");
    let exec_uri = "/api/v1/namespaces/shop/pods/web/exec?command=sh&command=-c&command=%1B%5D0%3Bpwned%07%C2%9B%E2%80%AE&container=c&stdin=true&stdout=true&tty=true";
    let lines = [
        record(
            "hostile-1",
            &serde_json::json!({
                "user": {"username": h("mallory"), "groups": [h("group")],
                         "extra": {h("key"): [h("value")]}},
                "userAgent": h("agent"),
                "objectRef": {"resource": "secrets", "namespace": h("ns"), "name": h("name"), "apiVersion": "v1"},
                "annotations": {"authorization.k8s.io/decision": "allow",
                                "authorization.k8s.io/reason": h("reason"),
                                h("annotation"): h("annotation value")}
            }),
        ),
        record(
            "hostile-exec",
            &serde_json::json!({
                "verb": "create", "requestURI": exec_uri,
                "user": {"username": h("mallory"), "groups": ["system:authenticated"]},
                "objectRef": {"resource": "pods", "subresource": "exec", "namespace": h("ns"),
                              "name": h("name"), "apiVersion": "v1"},
                "responseStatus": {"code": 101},
                "requestReceivedTimestamp": "2026-03-14T10:01:00.000000Z",
                "stageTimestamp": "2026-03-14T10:01:00.100000Z"
            }),
        ),
        record(
            &h("id"),
            &serde_json::json!({
                "user": {"username": "  =1+1", "groups": []},
                "userAgent": "\"@SUM(A1)",
                "objectRef": {"resource": "pods", "namespace": "\u{ff1d}cmd", "name": "\u{ff0d}2+3", "apiVersion": "v1"},
                "requestReceivedTimestamp": "2026-03-14T10:02:00.000000Z",
                "stageTimestamp": "2026-03-14T10:02:00.100000Z"
            }),
        ),
        record(
            "wrong-type",
            &serde_json::json!({"user": {"username": "u", "extra": {h("key"): 5}}}),
        ),
        record(
            "wrong-type-2",
            &serde_json::json!({"annotations": {h("annotation"): 5}}),
        ),
        format!("not json {H}"),
    ];
    lines.join("\n") + "\n"
}

struct Crafted {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    index: PathBuf,
    case: PathBuf,
    /// What `index` wrote.
    indexed: Output,
}

/// The crafted log (in a file whose name holds an escape sequence) indexed once, with a
/// hostile case built by the `case` command.
fn crafted() -> &'static Crafted {
    static C: OnceLock<Crafted> = OnceLock::new();
    C.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let log = dir.join(format!("audit{H}.log"));
        std::fs::write(&log, crafted_log()).unwrap();
        let index = dir.join("idx");
        let indexed = ks(&index).arg("index").arg(&log).output().unwrap();
        assert!(indexed.status.success(), "{}", stderr(&indexed));
        let case = dir.join("case.json");
        let c = case.to_str().unwrap();
        for args in [
            vec![
                "case".to_owned(),
                "add".into(),
                "hostile-1".into(),
                "hostile-exec".into(),
                "--tag".into(),
                format!("tag{H}"),
                "--note".into(),
                format!("note{H}\nsecond line"),
            ],
            vec!["case".into(), "title".into(), format!("title{H}")],
            vec!["case".into(), "analyst".into(), format!("=analyst{H}")],
            vec![
                "case".into(),
                "save-filter".into(),
                format!("filter{H}"),
                format!("user:\"mallory{H}\""),
            ],
        ] {
            let out = ks(&index)
                .args(&args)
                .arg("--case")
                .arg(c)
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
            assert_output_clean(&format!("{args:?}"), &out);
        }
        Crafted {
            _dir: tmp,
            dir,
            index,
            case,
            indexed,
        }
    })
}

fn run(args: &[&str]) -> Output {
    let c = crafted();
    let out = ks(&c.index)
        .env("SOURCE_DATE_EPOCH", "1773500000")
        .env_remove("KUBESIFT_CASE")
        .args(args)
        .output()
        .unwrap();
    assert_output_clean(&format!("{args:?}"), &out);
    out
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn regression_log_escape_sequences_never_reach_the_terminal_raw() {
    let c = crafted();
    assert_output_clean("index", &c.indexed);
    let case = format!("--case={}", c.case.display());
    let case_arg = c.case.to_str().unwrap();
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for f in ["table", "csv", "json", "jsonl"] {
        runs.push(vec!["search", "--format", f]);
        runs.push(vec!["detect", "--format", f]);
        runs.push(vec!["case", "list", "--format", f, "--case", case_arg]);
    }
    for f in ["table", "csv", "jsonl"] {
        runs.push(vec!["rejects", "--format", f]);
    }
    for f in ["text", "json"] {
        runs.push(vec!["show", "hostile-1", "--format", f]);
        runs.push(vec!["show", "hostile-exec", "--format", f]);
    }
    for f in ["table", "json"] {
        runs.push(vec!["stats", "--format", f]);
    }
    for f in ["csv", "jsonl", "markdown", "html"] {
        runs.push(vec![
            "export",
            &case,
            "--query",
            "*",
            "--detections",
            "--format",
            f,
        ]);
    }
    for args in &runs {
        let out = ok(args);
        assert!(!out.is_empty(), "{args:?} wrote nothing");
    }
    // The findings did see the hostile account (so `detect` was tested on it).
    let findings = ok(&["detect", "--format", "jsonl"]);
    assert!(findings.contains("mallory\\u001b]0;pwned"), "{findings}");
}

#[test]
fn regression_index_stderr_escapes_the_wrong_type_path_of_a_rejected_record() {
    let c = crafted();
    let err = stderr(&c.indexed);
    assert!(err.contains("rejected "), "{err}");
    assert!(
        err.contains("key\\x1b]0;pwned\\x07\\x1b]52;c;cHduZWQ=\\x07"),
        "the map key is shown escaped: {err}"
    );
    assert!(
        err.contains("audit\\x1b]0;pwned\\x07"),
        "the file name too: {err}"
    );
}

#[test]
fn regression_csv_output_escapes_control_characters() {
    let c = crafted();
    let case = format!("--case={}", c.case.display());
    let case_arg = c.case.to_str().unwrap();
    for args in [
        vec!["search", "--format", "csv"],
        vec!["detect", "--format", "csv"],
        vec!["rejects", "--format", "csv"],
        vec!["case", "list", "--format", "csv", "--case", case_arg],
        vec!["export", &case, "--query", "*", "--format", "csv"],
    ] {
        let csv_text = ok(&args);
        assert!(
            csv_text.contains("\\x1b]0;pwned\\x07\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J\\x9b31m\\x7f\\x08\\r\\u{202e}\\u{2066}"),
            "{args:?}: the escape sequence is shown in one notation:\n{csv_text}"
        );
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(csv_text.as_bytes());
        for rec in reader.records() {
            for cell in &rec.unwrap() {
                assert!(!cell.chars().any(forbidden), "{args:?}: {cell:?}");
            }
        }
    }
    // A note keeps its line break inside its quoted cell.
    let list = ok(&["case", "list", "--format", "csv", "--case", case_arg]);
    assert!(list.contains("note\\x1b]0;pwned"), "{list}");
    assert!(list.contains("\nsecond line"), "{list}");
}

#[test]
fn regression_csv_formula_guard_covers_spaces_quotes_and_full_width_signs() {
    let csv_text = ok(&["search", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut cells = Vec::new();
    for rec in reader.records() {
        cells.extend(rec.unwrap().iter().map(str::to_owned));
    }
    for want in ["'  =1+1", "'\"@SUM(A1)", "'\u{ff1d}cmd/\u{ff0d}2+3"] {
        assert!(cells.iter().any(|c| c == want), "{want:?} in {cells:?}");
    }
    let list = ok(&[
        "case",
        "list",
        "--format",
        "json",
        "--case",
        crafted().case.to_str().unwrap(),
    ]);
    let case: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(
        case["analyst"],
        format!("=analyst{H}"),
        "JSON is not guarded"
    );
}

#[test]
fn regression_json_output_escapes_c1_and_bidi_characters() {
    let jsonl = ok(&["search", "--format", "jsonl"]);
    assert!(
        jsonl.contains("\\u009b31m\\u007f\\b\\r\\u202e\\u2066"),
        "{jsonl}"
    );
    let users: Vec<String> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| v["user"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        users.contains(&format!("mallory{H}")),
        "round-trips to the logged string: {users:?}"
    );
    let shown = ok(&["show", "hostile-1", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(
        v["raw"]["annotations"][format!("annotation{H}")],
        format!("annotation value{H}")
    );
    let rejects = ok(&["rejects", "--format", "jsonl"]);
    for l in rejects.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
    assert!(rejects.contains("\\u202e"), "{rejects}");
}

#[test]
fn regression_bad_query_error_does_not_echo_escape_sequences() {
    // `x` after the hostile string: its last run (bidi controls alone) is no word to search,
    // an error of its own; the `)` is the error checked here.
    let out = run(&["search", &format!("verb:get {H}x)")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: bad query at column "), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "message, query, caret: {err}");
    assert!(lines[1].contains("verb:get \\x1b]0;pwned\\x07"), "{err}");
    // The caret sits under the `)`, counted in escaped characters.
    let query_line = lines[1];
    let caret = lines[2].find('^').unwrap();
    assert_eq!(&query_line[caret..], ")", "{err}");
    for args in [
        vec![
            "case".to_owned(),
            "save-filter".into(),
            "x".into(),
            format!("(a {H}"),
        ],
        vec![
            "export".into(),
            "--query".into(),
            format!("code:{H}"),
            "--format".into(),
            "csv".into(),
        ],
        vec!["show".into(), format!("missing{H}")],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            stderr(&out).contains("\\x1b]0;pwned"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // clap's own errors echo the value (without its escape sequences, which clap strips).
    let out = run(&["search", "--since", &format!("x{H}")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not a time"), "{}", stderr(&out));
}

#[test]
fn regression_index_path_in_errors_is_escaped() {
    let c = crafted();
    let bad: PathBuf = c.dir.join(format!("no{H}where"));
    for args in [vec!["search"], vec!["stats"], vec!["tui"]] {
        let out = ks(&bad.join("idx")).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_output_clean(&format!("--index {args:?}"), &out);
        assert!(stderr(&out).contains("no\\x1b]0;pwned"), "{}", stderr(&out));
    }
    // An input that cannot be read, named in the error.
    let out = ks(&c.dir.join("idx2"))
        .arg("index")
        .arg(bad.join("audit.log"))
        .output()
        .unwrap();
    assert_output_clean("index of a missing path", &out);
    assert!(stderr(&out).contains("no\\x1b]0;pwned"), "{}", stderr(&out));
}

fn deep_queries() -> Vec<(&'static str, String)> {
    vec![
        ("NOT x500", format!("{}verb:get", "NOT ".repeat(500))),
        ("( x10000", "(".repeat(10_000)),
        (
            "(x10000 balanced",
            format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)),
        ),
        ("- x100000", format!("{}a", "-".repeat(100_000))),
    ]
}

#[test]
fn regression_deep_query_nesting_is_an_error_not_an_abort() {
    let index = common::sample_index();
    for (what, q) in deep_queries() {
        let export_query = format!("--query={q}");
        for args in [
            vec!["search", "--", q.as_str()],
            vec!["search", "--count", "--", q.as_str()],
            vec!["export", &export_query, "--format", "jsonl"],
        ] {
            let out = ks(index).args(&args).output().unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{what} {:?}: {err}", args[0]);
            assert!(
                err.starts_with("error: bad query at column ")
                    && err.contains("nests more than 64 levels of parentheses and NOT"),
                "{what}: {}",
                &err[..err.len().min(300)]
            );
        }
    }
    // 64 levels still run, end to end through the index.
    let ok64 = format!("{}verb:get{}", "(NOT ".repeat(32), ")".repeat(32));
    let out = ks(index)
        .args(["search", "--count", &ok64])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A case file refuses to save one.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    let q = &deep_queries()[0].1;
    let out = ks(index)
        .args(["case", "save-filter", "deep", q, "--case"])
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!case.exists());
}

/// The workbench on the crafted index, walked as an analyst would at 80×24 and wide: every
/// view, an event's detail with the cursor on each line (a long value is then drawn whole
/// under the list), the incidents with a story open, the sessions, the coverage, and a
/// filter naming no field (its note drawn under the empty table). No raw control
/// character is ever drawn.
#[test]
fn regression_the_workbench_draws_log_strings_escaped_in_every_view_and_pane() {
    use common::workbench::{act, screen, start, typed};
    use kubesift::tui::Action;
    let c = crafted();
    for size in [(80, 24), (200, 50)] {
        let (mut app, mut engine) = start(&c.index, size);
        // ratatui drops control characters it is given: a string drawn unescaped does not
        // reach the terminal raw, it loses its escapes silently — the analyst never sees
        // them. Every hostile string shows them escaped (`\x1b]0;pwned`).
        let check = |app: &kubesift::tui::App, what: &str| {
            let s = screen(app);
            assert_clean(&format!("{what} at {size:?}"), s.as_bytes());
            for (i, _) in s.match_indices("]0;pwned") {
                assert!(
                    s[..i].ends_with("\\x1b") || s[..i].ends_with("\\u001b"),
                    "{what} at {size:?}: an escape dropped, not shown:\n{s}"
                );
            }
        };
        check(&app, "the first view");
        for (view, name) in [
            (Action::ViewIncidents, "incidents"),
            (Action::ViewDetections, "detections"),
            (Action::ViewPivots, "pivots"),
            (Action::ViewTimeline, "timeline"),
            (Action::ViewCoverage, "coverage"),
            (Action::ViewEvents, "events"),
        ] {
            act(&mut app, &mut engine, &[view]);
            check(&app, name);
        }
        // Every event's detail, the cursor on each of its lines.
        for row in 0..app.events.total.unwrap_or(0) {
            act(&mut app, &mut engine, &[Action::ViewEvents, Action::Top]);
            act(
                &mut app,
                &mut engine,
                &vec![Action::Down; usize::try_from(row).unwrap()],
            );
            act(&mut app, &mut engine, &[Action::Open]);
            for line in 0..app.detail.lines().len() {
                check(&app, &format!("detail of row {row}, line {line}"));
                act(&mut app, &mut engine, &[Action::Down]);
            }
            act(&mut app, &mut engine, &[Action::Sessions]);
            check(&app, &format!("sessions of row {row}"));
        }
        act(
            &mut app,
            &mut engine,
            &[Action::ViewIncidents, Action::Open],
        );
        check(&app, "an incident's story");
        act(&mut app, &mut engine, &[Action::Down, Action::Down]);
        check(&app, "a later step of the story");
        act(&mut app, &mut engine, &[Action::ViewEvents, Action::Filter]);
        typed(&mut app, &mut engine, &format!("nofield:x{H}x"));
        act(&mut app, &mut engine, &[Action::Submit]);
        let s = screen(&app);
        assert!(s.contains("note: "), "the note under the empty table: {s}");
        check(&app, "a filter naming no field");
    }
}

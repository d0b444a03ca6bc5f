//! Never destroy what the user owns: private case and export files, concurrent case writers,
//! `--index` on someone else's directory, outputs aimed into the index, symlinked case files,
//! temporary files left by a kill, mistyped subcommands, and a workbench that sees data
//! indexed while it is open.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{ks, stderr, synthetic_log, write};

/// An index of `n` synthetic events in `dir/idx`, and the log it was made from.
fn small_index(dir: &Path, n: usize, prefix: &str) -> PathBuf {
    let idx = dir.join("idx");
    let log = write(dir, &format!("{prefix}.log"), synthetic_log(n, prefix));
    let out = ks(&idx).args(["index", "-q"]).arg(&log).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    idx
}

/// `kubesift --index IDX args…`, with no case from the environment.
fn ks_run(index: &Path, args: &[&str]) -> std::process::Output {
    ks(index)
        .env_remove("KUBESIFT_CASE")
        .args(args)
        .output()
        .unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// Every entry under `dir` (recursively) with its bytes and mode, to compare before/after.
#[cfg(unix)]
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, u32)> {
    let mut out = vec![(dir.to_path_buf(), Vec::new(), mode(dir))];
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::path);
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            out.extend(snapshot(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap(), mode(&p)));
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn regression_case_sidecar_and_exports_were_world_readable() {
    let dir = tempfile::tempdir().unwrap();
    let idx = small_index(dir.path(), 3, "priv");
    let case = dir.path().join("cases").join("case.json");
    let c = case.to_str().unwrap();
    let out = ks_run(&idx, &["case", "--case", c, "add", "priv-00000001"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&case), 0o600, "case file");
    assert_eq!(
        mode(&dir.path().join("cases").join(".case.json.lock")),
        0o600
    );
    assert_eq!(
        mode(&dir.path().join("cases")),
        0o700,
        "a directory it made"
    );
    // The index's own case too.
    let out = ks_run(&idx, &["case", "title", "INC-1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&idx.join("case.json")), 0o600);

    // An export over an existing world-readable file, and the CSV sidecar.
    let csv = dir.path().join("out.csv");
    std::fs::write(&csv, "old").unwrap();
    set_mode(&csv, 0o644);
    for (file, fmt) in [(&csv, "csv"), (&dir.path().join("out.html"), "html")] {
        let out = ks_run(
            &idx,
            &["export", "--format", fmt, "-o", file.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&dir.path().join("out.csv.provenance.json")), 0o600);
}

#[test]
fn regression_concurrent_case_writers_lose_no_update() {
    const WRITERS: usize = 3;
    const WRITES: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.json");
    let idx = dir.path().join("no-index");
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (case, idx) = (&case, &idx);
            s.spawn(move || {
                for i in 0..WRITES {
                    let out = ks_run(
                        idx,
                        &[
                            "case",
                            "--case",
                            case.to_str().unwrap(),
                            "save-filter",
                            &format!("w{w}-{i}"),
                            "verb:get",
                        ],
                    );
                    assert!(out.status.success(), "{}", stderr(&out));
                }
            });
        }
    });
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&case).unwrap()).unwrap();
    let n = saved["filters"].as_object().unwrap().len();
    assert_eq!(n, WRITERS * WRITES, "every write of every process is kept");
    assert!(!idx.exists(), "a case elsewhere creates no index");
}

#[cfg(unix)]
#[test]
fn regression_index_flag_on_foreign_directory_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "a.log", synthetic_log(3, "f"));
    let foreign = dir.path().join("mine");
    std::fs::create_dir_all(foreign.join("rejects")).unwrap();
    write(&foreign.join("rejects"), "0.jsonl", "my notes\n");
    write(&foreign, "findings.json", "{\"mine\":true}\n");
    set_mode(&foreign, 0o755);
    set_mode(&foreign.join("findings.json"), 0o644);
    let before = snapshot(&foreign);
    for args in [
        vec!["index", log.to_str().unwrap()],
        vec!["stats"],
        vec!["detect"],
        vec!["case", "title", "x"],
        vec!["search", "verb:get"],
    ] {
        let out = ks_run(&foreign, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("is not a kubesift index"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(snapshot(&foreign), before, "{args:?} changed the directory");
    }
}

#[cfg(unix)]
#[test]
fn regression_index_flag_on_a_regular_file_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "a.log", synthetic_log(3, "r"));
    let file = write(dir.path(), "notes.txt", "precious\n");
    set_mode(&file, 0o644);
    for args in [vec!["index", log.to_str().unwrap()], vec!["stats"]] {
        let out = ks_run(&file, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
        assert_eq!(std::fs::read(&file).unwrap(), b"precious\n");
        assert_eq!(mode(&file), 0o644);
    }
}

#[cfg(unix)]
#[test]
fn index_is_created_in_an_empty_or_missing_directory_with_its_marker() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "a.log", synthetic_log(3, "e"));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let missing = dir.path().join("new").join("idx");
    for idx in [&empty, &missing] {
        let out = ks_run(idx, &["index", "-q", log.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(mode(idx), 0o700);
        let marker: serde_json::Value =
            serde_json::from_slice(&std::fs::read(idx.join("kubesift-index.json")).unwrap())
                .unwrap();
        assert_eq!(marker["format"], 1);
        assert_eq!(common::events_in(idx), 3);
    }
}

#[test]
fn regression_index_made_before_the_marker_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let idx = small_index(dir.path(), 3, "old");
    std::fs::remove_file(idx.join("kubesift-index.json")).unwrap();
    assert_eq!(common::events_in(&idx), 3, "read without the marker");
    let more = write(dir.path(), "b.log", synthetic_log(2, "new"));
    let out = ks_run(&idx, &["index", "-q", more.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        idx.join("kubesift-index.json").exists(),
        "marker added on write"
    );
    assert_eq!(common::events_in(&idx), 5);
}

#[test]
fn a_case_written_before_the_index_does_not_make_the_directory_foreign() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    let out = ks_run(&idx, &["case", "title", "INC-7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = write(dir.path(), "a.log", synthetic_log(2, "c"));
    let out = ks_run(&idx, &["index", "-q", log.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(common::events_in(&idx), 2);
}

#[test]
fn regression_export_into_the_index_directory_destroyed_it() {
    let dir = tempfile::tempdir().unwrap();
    let idx = small_index(dir.path(), 3, "x");
    let out = ks_run(&idx, &["case", "add", "x-00000000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let outside_case = dir.path().join("elsewhere.json");
    std::fs::copy(idx.join("case.json"), &outside_case).unwrap();
    let link = dir.path().join("innocent.jsonl");
    #[cfg(unix)]
    std::os::unix::fs::symlink(idx.join("case.json"), &link).unwrap();
    let protected = [
        idx.join("case.json"),
        idx.join("tantivy").join("meta.json"),
        idx.join("kubesift-index.json"),
    ];
    let before: Vec<Vec<u8>> = protected
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let dotdot = idx.join("tantivy").join("..").join("case.json");
    let new_inside = idx.join("report.jsonl");
    let mut targets = vec![
        protected[0].clone(),
        protected[1].clone(),
        dotdot,
        new_inside.clone(),
    ];
    if cfg!(unix) {
        targets.push(link.clone());
    }
    for t in &targets {
        let out = ks_run(
            &idx,
            &["export", "--format", "jsonl", "-o", t.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(1), "{}", t.display());
        assert!(
            stderr(&out).contains("refusing to write"),
            "{}",
            stderr(&out)
        );
    }
    // The case file named with --case, and a CSV whose sidecar would land on it.
    let sidecar_victim = dir.path().join("t.csv.provenance.json");
    std::fs::copy(&outside_case, &sidecar_victim).unwrap();
    for (case, out_file) in [
        (&outside_case, outside_case.clone()),
        (&sidecar_victim, dir.path().join("t.csv")),
    ] {
        let case_arg = format!("--case={}", case.display());
        let out = ks_run(
            &idx,
            &[
                "export",
                &case_arg,
                "--format",
                "csv",
                "-o",
                out_file.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", out_file.display());
        assert!(stderr(&out).contains("case file"), "{}", stderr(&out));
    }
    let after: Vec<Vec<u8>> = protected
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after, "nothing in the index was touched");
    assert!(!new_inside.exists());
    assert!(
        !dir.path().join("t.csv").exists(),
        "refused before anything was written"
    );
    assert_eq!(
        std::fs::read(&outside_case).unwrap(),
        std::fs::read(&sidecar_victim).unwrap()
    );
    // A case file named into the index's own files is refused as well.
    let findings = idx.join("findings.json");
    let kept = std::fs::read(&findings).unwrap();
    let out = ks_run(
        &idx,
        &["case", "--case", findings.to_str().unwrap(), "title", "x"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&findings).unwrap(), kept);
}

#[cfg(unix)]
#[test]
fn regression_symlinked_case_file_was_replaced_by_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("shared");
    std::fs::create_dir(&real_dir).unwrap();
    let link = dir.path().join("case.json");
    std::os::unix::fs::symlink("shared/incident.json", &link).unwrap();
    let idx = dir.path().join("no-index");
    for title in ["one", "two"] {
        let out = ks_run(
            &idx,
            &["case", "--case", link.to_str().unwrap(), "title", title],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is kept"
    );
    let real: serde_json::Value =
        serde_json::from_slice(&std::fs::read(real_dir.join("incident.json")).unwrap()).unwrap();
    assert_eq!(real["title"], "two");
    assert!(
        real_dir.join(".incident.json.lock").exists(),
        "the lock sits beside the file the link leads to"
    );
}

/// This machine's name as kubesift records it in temporary file names.
#[cfg(target_os = "linux")]
fn host() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let h: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(40)
        .collect();
    if h.is_empty() { "host".into() } else { h }
}

#[cfg(target_os = "linux")]
#[test]
fn regression_temp_files_left_by_a_kill_were_never_removed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dead = {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    };
    let live = std::process::id();
    let host = host();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    let old = |p: &Path| {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    };
    let stale = [
        write(
            d,
            &format!(".kubesift-tmp-{dead}@{host}@Ab3dE9-case.json"),
            "x",
        ),
        write(
            d,
            &format!(".kubesift-tmp-{dead}@{host}@Zz9yY8-out.csv"),
            "x",
        ),
        write(d, &format!(".case.json.tmp-{dead}"), "x"),
        write(
            d,
            &format!(".kubesift-tmp-{live}@elsewhere@Qq1wW2-out.csv"),
            "x",
        ),
    ];
    old(&stale[3]);
    let kept = [
        // A live writer, fresh.
        write(
            d,
            &format!(".kubesift-tmp-{live}@{host}@Kk5jJ4-case.json"),
            "x",
        ),
        // Another machine's writer: its process cannot be checked, and it is fresh.
        write(
            d,
            &format!(".kubesift-tmp-{dead}@elsewhere@Mm7nN6-case.json"),
            "x",
        ),
        // Not kubesift's naming (or another file's old-style temporary), however old.
        write(d, ".tmpAb3dE9", "x"),
        write(d, ".findings.json.tmp-1", "x"),
        write(d, "notes.tmp", "x"),
    ];
    for k in &kept[2..] {
        old(k);
    }
    let case = d.join("case.json");
    let out = ks_run(
        &d.join("no-index"),
        &["case", "--case", case.to_str().unwrap(), "title", "t"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for s in &stale {
        assert!(!s.exists(), "stale {} removed", s.display());
    }
    for k in &kept {
        assert!(k.exists(), "{} kept", k.display());
    }
    let temps = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".kubesift-tmp-")
        })
        .count();
    assert_eq!(temps, 2, "the write left no temporary file of its own");
}

#[test]
fn regression_mistyped_subcommand_created_an_index_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("kubesift").unwrap();
    let out = cmd
        .current_dir(dir.path())
        .env_remove("KUBESIFT_INDEX")
        .env_remove("KUBESIFT_CASE")
        .arg("statz")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("'statz'"), "{err}");
    assert!(err.contains("'stats'"), "suggests the closest: {err}");
    assert!(!dir.path().join(".kubesift").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn read_only_commands_on_a_missing_index_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    let missing_log = dir.path().join("missing.log");
    for args in [
        vec!["stats"],
        vec!["search", "verb:get"],
        vec!["show", "x"],
        vec!["rejects"],
        vec!["detect"],
        vec!["case", "list"],
        vec!["case", "add", "x"],
        vec!["export", "--format", "csv"],
        vec!["tui"],
        vec![],
        vec!["index", missing_log.to_str().unwrap()],
    ] {
        let out = ks_run(&idx, &args);
        // Every one says there is no index (`case list` printed an empty table).
        assert!(!out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(!idx.exists(), "{args:?} created the index directory");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

mod workbench {
    use super::*;
    use kubesift::session::{IndexDir, Session};
    use kubesift::tui::worker::Engine;
    use kubesift::tui::{Action, App, Effect};

    fn settle(app: &mut App, engine: &mut Engine, mut eff: Option<Effect>) {
        while let Some(Effect::Request(r)) = eff {
            let resp = engine.handle(r);
            eff = app.update(Action::Response(Box::new(resp)));
        }
    }

    #[test]
    fn regression_refresh_kept_showing_the_old_data() {
        let dir = tempfile::tempdir().unwrap();
        let idx = small_index(dir.path(), 4, "first");
        let index = IndexDir::new(&idx);
        let session = Session::open(&index).unwrap();
        let facts = session.facts().unwrap();
        assert_eq!(facts.events, 4);
        let mut engine = Engine::new(session);
        let mut app = App::new(
            Vec::new(),
            facts,
            jiff::tz::TimeZone::UTC,
            "UTC".into(),
            (120, 40),
        );
        let eff = app.start();
        settle(&mut app, &mut engine, eff);
        assert_eq!(app.events.total, Some(4));

        // Another process adds data while the workbench is open.
        let more = write(dir.path(), "more.log", synthetic_log(6, "second"));
        let out = ks(&idx).args(["index", "-q"]).arg(&more).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));

        let eff = app.update(Action::Refresh);
        settle(&mut app, &mut engine, eff);
        assert_eq!(app.facts.events, 10, "the header's count");
        assert_eq!(app.facts.files, 2);
        assert_eq!(app.events.total, Some(10), "the events table");
        assert_eq!(app.events.rows.len(), 10);
    }
}

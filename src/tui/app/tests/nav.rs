//! Keeping the analyst's place, the chips, the prompts' editing and history, and the small
//! promises of issue 11 (note editor, `:tz` on chips, export beside the case).

use super::*;
use crate::tui::keymap::{Key, Keymap};
use crate::tui::lineedit::Edit;
use ratatui::crossterm::event::KeyCode;
use std::path::Path;

/// Answers the pending Find with `offset`, then the page it asks for (rows 0..total).
fn found(a: &mut App, find: &Request, offset: Option<u64>, total: u64) -> Option<Request> {
    let eff = a.update(Action::Response(Box::new(Response::Found {
        id: id_of(find),
        offset,
        any: true,
    })));
    let req = request(eff);
    let Request::Page { offset: from, .. } = req else {
        return Some(req);
    };
    let rows: Vec<EventRow<'static>> = (from..total.min(from + PAGE as u64)).map(row).collect();
    let n = rows.len();
    a.update(Action::Response(Box::new(Response::Page {
        id: id_of(&req),
        total,
        offset: from,
        rows,
        matches: vec![false; n],
    })));
    None
}

fn typed(a: &mut App, text: &str) -> Option<Effect> {
    for c in text.chars() {
        a.update(Action::Char(c));
    }
    a.update(Action::Submit)
}

#[test]
fn regression_pivot_keeps_the_selected_event_and_its_line() {
    // After `p` the cursor went to row 1 of the new result.
    let mut a = events_app(300);
    for _ in 0..10 {
        a.update(Action::Down);
    }
    let t = a.events.selected_row().unwrap().time;
    a.update(Action::PivotMenu);
    let find = request(a.update(Action::Open));
    let Request::Find {
        from,
        backwards: false,
        search: Expr::All,
        ..
    } = &find
    else {
        panic!("{find:?}")
    };
    assert_eq!(*from, t.saturating_add(-1), "looks for the event's time");
    assert!(found(&mut a, &find, Some(120), 300).is_none());
    assert_eq!(a.events.selected, 120, "the same event in the new result");
    assert_eq!(a.events.scroll, 110, "on the line it was on");
}

#[test]
fn regression_pivot_back_keeps_the_selected_event() {
    // `[` came back at row 1, not where the analyst was.
    let mut a = events_app(300);
    a.update(Action::PivotMenu);
    let find = request(a.update(Action::Open));
    found(&mut a, &find, Some(3), 300);
    for _ in 0..5 {
        a.update(Action::Down);
    }
    let t = a.events.selected_row().unwrap().time;
    let back = request(a.update(Action::PivotBack));
    assert!(
        matches!(back, Request::Find { from, .. } if from == t.saturating_add(-1)),
        "{back:?}"
    );
    assert!(a.filter.is_empty());
    found(&mut a, &back, Some(8), 300);
    assert_eq!(a.events.selected, 8);
    let fwd = request(a.update(Action::PivotForward));
    assert!(matches!(fwd, Request::Find { .. }), "{fwd:?}");
}

#[test]
fn a_kept_event_not_in_the_new_result_gives_the_nearest_by_time() {
    let mut a = events_app(200);
    a.update(Action::Bottom);
    a.update(Action::PivotMenu);
    let find = request(a.update(Action::Open));
    let before = found(&mut a, &find, None, 200).unwrap();
    assert!(
        matches!(
            before,
            Request::Find {
                backwards: true,
                ..
            }
        ),
        "nothing after it: the last one before it ({before:?})"
    );
    found(&mut a, &before, Some(41), 42);
    assert_eq!(a.events.selected, 41);
}

#[test]
fn regression_next_match_past_the_last_stays_put() {
    // `n` past the last match moved to row 1.
    let mut a = events_app(10);
    a.update(Action::Search);
    let find = request(typed(&mut a, "user:alice"));
    found(&mut a, &find, Some(4), 10);
    assert_eq!(a.events.selected, 4);
    let next = request(a.update(Action::SearchNext));
    let eff = a.update(Action::Response(Box::new(Response::Found {
        id: id_of(&next),
        offset: None,
        any: true,
    })));
    assert_eq!(eff, None, "nothing to load: the rows are there");
    assert_eq!(a.events.selected, 4, "stays on the last match");
    assert!(a.status.contains("no later match"), "{}", a.status);
}

#[test]
fn regression_search_matching_nothing_at_all_said_no_later_match() {
    let mut a = events_app(10);
    a.update(Action::Down);
    a.update(Action::Search);
    let find = request(typed(&mut a, "user:nobody"));
    let eff = a.update(Action::Response(Box::new(Response::Found {
        id: id_of(&find),
        offset: None,
        any: false,
    })));
    assert_eq!(eff, None, "nothing to load: the rows are there");
    assert_eq!(a.events.selected, 1, "stays where it was");
    assert!(
        a.status.contains("no event matches /user:nobody"),
        "{}",
        a.status
    );
}

#[test]
fn regression_pivot_chips_stack_by_one_rule() {
    // From the detail a pivot replaced the finding chip, from the events it stacked.
    let mut a = app();
    a.update(Action::Open);
    assert!(matches!(a.filter.chips[0].expr, Expr::AuditIds(_)));
    a.update(Action::Command);
    typed(&mut a, "ns shop");
    a.update(Action::Command);
    typed(&mut a, "user alice");
    let labels =
        |a: &App| -> Vec<String> { a.filter.chips.iter().map(|c| c.label.clone()).collect() };
    assert_eq!(
        labels(&a),
        ["ns:shop", "user:alice"],
        "widened from the finding, stacked"
    );
    a.update(Action::Command);
    typed(&mut a, "user bob");
    assert_eq!(
        labels(&a),
        ["ns:shop", "user:bob"],
        "the same field is replaced"
    );
}

#[test]
fn one_chip_is_removed_by_number_or_the_last_by_backspace() {
    let mut a = events_app(3);
    for cmd in ["ns shop", "user alice", "verb get"] {
        a.update(Action::Command);
        typed(&mut a, cmd);
    }
    a.filter.query = "code:200".into();
    a.update(Action::Command);
    typed(&mut a, "unfilter 2");
    let labels: Vec<&str> = a.filter.chips.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["ns:shop", "verb:get"]);
    assert_eq!(a.filter.query, "code:200");
    a.update(Action::RemoveChip);
    assert_eq!(
        a.chip_cursor,
        Some(2),
        "the last filter selected: the typed query"
    );
    a.update(Action::RemoveChip);
    assert_eq!(a.filter.query, "", "removed");
    a.update(Action::RemoveChip);
    a.update(Action::Left);
    a.update(Action::Left);
    assert_eq!(a.chip_cursor, Some(0));
    let screen = crate::tui::render_to_string(&a, &Keymap::builtin(), 120, 30);
    assert!(screen.contains("backspace removes it"), "{screen}");
    a.update(Action::Cancel);
    assert_eq!(
        (a.chip_cursor, a.filter.chips.len()),
        (None, 2),
        "esc keeps it"
    );
    a.update(Action::RemoveChip);
    a.update(Action::Left);
    a.update(Action::RemoveChip);
    let labels: Vec<&str> = a.filter.chips.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["verb:get"], "the selected one");
    a.update(Action::Command);
    typed(&mut a, "unfilter 7");
    assert!(a.status.contains("no filter 7"), "{}", a.status);
    a.update(Action::Command);
    typed(&mut a, "unfilter x");
    assert!(a.input.as_ref().is_some_and(|i| i.error.is_some()));
}

#[test]
fn q_goes_back_and_capital_q_quits_at_once() {
    let km = Keymap::builtin();
    let key = |c| Key {
        code: KeyCode::Char(c),
        ctrl: false,
        alt: false,
    };
    assert_eq!(km.action("events", key('q')), Some(Action::Back));
    assert_eq!(km.action("detail", key('Q')), Some(Action::Quit));
    let mut a = events_app(3);
    a.update(Action::Open);
    let screen = crate::tui::render_to_string(&a, &km, 160, 30);
    assert!(
        screen.contains("Q quit"),
        "the footer says how to quit:\n{screen}"
    );
}

#[test]
fn regression_search_prompt_starts_empty() {
    // `/REVERSE` then `/bash` searched `REVERSEbash`.
    let mut a = events_app(10);
    a.update(Action::Search);
    typed(&mut a, "REVERSE");
    a.update(Action::Search);
    assert_eq!(a.input.as_ref().map(Input::text), Some(""));
}

#[test]
fn regression_ctrl_u_clears_the_prefilled_filter_prompt() {
    let mut a = events_app(3);
    a.filter.query = "verb:create res:pods".into();
    a.update(Action::Filter);
    assert_eq!(
        a.input.as_ref().map(Input::text),
        Some("verb:create res:pods")
    );
    a.update(Action::Edit(Edit::KillToStart));
    typed(&mut a, "ns:kube-system");
    assert_eq!(a.filter.query, "ns:kube-system");
}

#[test]
fn prompts_recall_their_own_history_with_up_and_down() {
    let mut a = events_app(3);
    a.update(Action::Filter);
    typed(&mut a, "verb:get");
    a.update(Action::Search);
    typed(&mut a, "bash");
    a.update(Action::Filter);
    a.update(Action::Edit(Edit::KillToStart));
    a.update(Action::Up);
    assert_eq!(a.input.as_ref().map(Input::text), Some("verb:get"));
    a.update(Action::Down);
    assert_eq!(a.input.as_ref().map(Input::text), Some(""));
    assert!(a.prompts.is_dirty(), "to be written beside the index");
}

#[test]
fn since_and_until_take_a_clock_time_on_the_data_day_in_the_view_zone() {
    let mut a = events_app(3);
    // Row 0 is 2026-03-14T08:00:00Z.
    a.update(Action::Command);
    typed(&mut a, "tz Europe/Paris");
    a.update(Action::Command);
    typed(&mut a, "since 11:30");
    let want = Micros::parse("2026-03-14T10:30:00Z").unwrap();
    assert_eq!(
        a.filter.chips[0].expr,
        Expr::time_window(Some(crate::query::TimeSpec::At(want)), None)
    );
    a.update(Action::Command);
    typed(&mut a, "until 25:00");
    assert!(
        a.input.as_ref().is_some_and(|i| i.error.is_some()),
        "not a clock time"
    );
}

#[test]
fn regression_around_chip_follows_tz() {
    let mut a = events_app(3);
    a.update(Action::AroundMinute);
    assert!(
        a.filter.chips[0].label.contains("08:00:00"),
        "{}",
        a.filter.chips[0].label
    );
    a.update(Action::Command);
    typed(&mut a, "tz Europe/Paris");
    assert!(
        a.filter.chips[0].label.contains("09:00:00"),
        "{}",
        a.filter.chips[0].label
    );
}

#[test]
fn regression_note_editor_shows_real_lines() {
    // The note editor showed `one\ntwo` on one line.
    let mut a = events_app(3);
    a.update(Action::Note);
    typed(&mut a, "");
    a.update(Action::Note);
    for c in "first line\nsecond line".chars() {
        a.update(Action::Char(c));
    }
    let screen = crate::tui::render_to_string(&a, &Keymap::builtin(), 120, 30);
    assert!(!screen.contains("\\n"), "{screen}");
    let first = screen
        .lines()
        .position(|l| l.contains("first line"))
        .unwrap();
    assert!(
        screen
            .lines()
            .nth(first + 1)
            .unwrap()
            .contains("second line"),
        "{screen}"
    );
}

#[test]
fn regression_export_writes_beside_the_case_file_by_default() {
    let mut a = events_app(3);
    let (idx, case) = (
        Path::new("/cases/idx"),
        Path::new("/cases/incident-7/case.json"),
    );
    assert_eq!(
        default_export_dir(case, idx),
        Path::new("/cases/incident-7")
    );
    assert_eq!(
        default_export_dir(&idx.join("case.json"), idx),
        Path::new("/cases"),
        "never inside the index, which refuses it"
    );
    a.export_dir = Some(default_export_dir(case, idx));
    a.update(Action::Export);
    let d = a.export.clone().unwrap();
    assert_eq!(d.path.text(), "/cases/incident-7/kubesift-case.html");
    a.update(Action::Edit(Edit::Start));
    a.update(Action::Edit(Edit::KillToEnd));
    typed(&mut a, "x.csv");
    assert!(a.export.as_ref().is_some_and(|d| d.running));
}

#[test]
fn regression_n_back_from_the_first_match_said_no_more_matches() {
    let mut a = events_app(10);
    a.update(Action::Search);
    let find = request(typed(&mut a, "user:alice"));
    found(&mut a, &find, Some(4), 10);
    let prev = request(a.update(Action::SearchPrev));
    a.update(Action::Response(Box::new(Response::Found {
        id: id_of(&prev),
        offset: None,
        any: true,
    })));
    assert!(a.status.contains("no earlier match"), "{}", a.status);
}

#[test]
fn regression_unchanged_filters_add_no_pivot_step() {
    // `x` with no filter, or a query submitted unchanged, added a history entry: the first
    // `[` afterwards did nothing.
    let mut a = events_app(50);
    a.update(Action::ClearFilters);
    assert_eq!(a.history.len(), 1, "clearing no filter is no step");
    a.update(Action::Filter);
    typed(&mut a, "verb:get");
    a.update(Action::Submit);
    assert_eq!(a.history.len(), 2);
    a.update(Action::Filter);
    a.update(Action::Submit);
    assert_eq!(a.history.len(), 2, "the same query again is no step");
    a.update(Action::PivotBack);
    assert!(a.filter.is_empty(), "one `[` goes back to no filter");
}

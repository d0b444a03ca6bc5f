//! The app's tests: keys across views, filters, inputs, the case, stale answers.

use super::*;
use crate::case::CaseOp;
use crate::model::{EventRow, fields};
use crate::tui::components::detail::DetailLine;
use crate::tui::components::events::PAGE;
use crate::tui::components::pivots::pivot_fields;
use crate::tui::components::testing::{finding, row};
use crate::tui::protocol::RequestKind;

fn app() -> App {
    let findings = vec![
        finding("KS-A", &["id-1", "id-2"]),
        finding("KS-B", &["id-3"]),
    ];
    App::new(
        findings,
        IndexFacts::default(),
        TimeZone::UTC,
        "UTC".into(),
        (120, 40),
    )
}

fn request(e: Option<Effect>) -> Request {
    match e {
        Some(Effect::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn id_of(r: &Request) -> u64 {
    r.id()
}

/// An app on the events view with `total` events, the first page loaded.
fn events_app(total: u64) -> App {
    let mut a = app();
    let req = request(a.update(Action::ViewEvents));
    let rows: Vec<EventRow<'static>> = (0..total.min(PAGE as u64)).map(row).collect();
    let n = rows.len();
    a.update(Action::Response(Box::new(Response::Page {
        id: id_of(&req),
        total,
        offset: 0,
        rows,
        matches: vec![false; n],
    })));
    a
}

#[test]
fn quit_and_back() {
    let mut a = app();
    assert_eq!(a.update(Action::Back), Some(Effect::Quit));
    let mut a = events_app(5);
    assert_eq!(a.view, View::Events);
    a.update(Action::Back);
    assert_eq!(a.view, View::Detections);
    let mut a = app();
    assert_eq!(a.update(Action::Quit), Some(Effect::Quit));
    assert!(a.quit);
}

#[test]
fn help_opens_and_closes() {
    let mut a = app();
    a.update(Action::Help);
    assert!(a.help);
    a.update(Action::Down);
    assert!(a.help, "keys other than close are ignored under the help");
    a.update(Action::Cancel);
    assert!(!a.help);
}

#[test]
fn moving_stays_in_bounds() {
    let mut a = events_app(50);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(a.events.selected, 2);
    a.update(Action::Up);
    assert_eq!(a.events.selected, 1);
    a.update(Action::Bottom);
    assert_eq!(a.events.selected, 49);
    a.update(Action::Down);
    assert_eq!(a.events.selected, 49);
    a.update(Action::Top);
    assert_eq!(a.events.selected, 0);
    a.update(Action::PageDown);
    assert_eq!(a.events.selected, a.page_rows() as u64);
    a.update(Action::HalfPageUp);
    assert_eq!(
        a.events.selected,
        a.page_rows() as u64 - a.page_rows() as u64 / 2
    );
    a.update(Action::PageUp);
    assert_eq!(a.events.selected, 0);
    a.update(Action::HalfPageDown);
    assert_eq!(a.events.selected, a.page_rows() as u64 / 2);
    a.update(Action::Scroll(3));
    assert_eq!(a.events.selected, a.page_rows() as u64 / 2 + 3);
}

#[test]
fn scrolling_far_asks_for_the_page_there() {
    let mut a = events_app(1_000_000);
    let req = request(a.update(Action::Bottom));
    match req {
        Request::Page { offset, .. } => assert!(offset > 999_000, "{offset}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(a.events.selected, 999_999);
}

#[test]
fn stale_responses_are_ignored() {
    let mut a = app();
    let first = request(a.update(Action::ViewEvents));
    let reload = request(a.update(Action::Refresh));
    assert!(matches!(reload, Request::Reload { .. }), "{reload:?}");
    let second = request(a.update(Action::Response(Box::new(Response::Reloaded {
        id: id_of(&reload),
        facts: IndexFacts::default(),
        findings: None,
    }))));
    assert!(matches!(second, Request::Page { .. }), "{second:?}");
    a.update(Action::Response(Box::new(Response::Page {
        id: id_of(&first),
        total: 7,
        offset: 0,
        rows: vec![row(0)],
        matches: vec![false],
    })));
    assert_eq!(
        a.events.total, None,
        "an answer to a superseded request changes nothing"
    );
}

#[test]
fn open_a_finding_shows_its_events() {
    let mut a = app();
    let req = request(a.update(Action::Open));
    assert_eq!(a.view, View::Events);
    assert_eq!(a.filter.chips.len(), 1);
    assert!(matches!(&a.filter.chips[0].expr, Expr::AuditIds(ids) if ids.len() == 2));
    assert!(matches!(req, Request::Page { .. }));
}

#[test]
fn open_an_event_loads_its_detail_and_folds() {
    let mut a = events_app(3);
    let req = request(a.update(Action::Open));
    assert_eq!(a.view, View::Detail);
    assert!(matches!(req, Request::Event { handle: 1000, .. }));
    let raw = r#"{"kind":"Event","auditID":"id-0","verb":"get","stageTimestamp":"2026-03-14T10:00:00Z","user":{"username":"alice","groups":["g"]},"objectRef":{"resource":"pods","namespace":"shop","name":"web-0"}}"#;
    let event = crate::ingest::formats::native::parse(
        raw,
        crate::model::SourceRef::default(),
        crate::ingest::formats::NormalizeOptions::default(),
    )
    .unwrap();
    a.update(Action::Response(Box::new(Response::Event {
        id: id_of(&req),
        event: Box::new(event),
        raw: raw.into(),
    })));
    assert!(a.detail.event.is_some());
    let before = a.detail.lines().len();
    let user_line = a
        .detail
        .lines()
        .iter()
        .position(|l| matches!(l, DetailLine::Json(j) if j.key.as_deref() == Some("user")))
        .unwrap();
    a.update(Action::Top);
    for _ in 0..user_line {
        a.update(Action::Down);
    }
    a.update(Action::ToggleFold);
    assert!(
        a.detail.lines().len() < before,
        "folding hides the object's lines"
    );
    a.update(Action::ExpandAll);
    assert_eq!(a.detail.lines().len(), before);
    a.update(Action::CollapseAll);
    assert!(a.detail.lines().len() < before);
    // Copy the value under the cursor.
    a.update(Action::Top);
    a.update(Action::Down);
    assert!(matches!(a.update(Action::Copy), Some(Effect::Copy(_))));
}

#[test]
fn filter_input_applies_or_says_where_it_is_wrong() {
    let mut a = events_app(3);
    a.update(Action::Filter);
    assert_eq!(a.input.as_ref().map(|i| i.mode), Some(InputMode::Filter));
    for c in "verb:get (".chars() {
        a.update(Action::Char(c));
    }
    assert_eq!(a.update(Action::Submit), None);
    let err = a.input.as_ref().and_then(|i| i.error.clone()).unwrap();
    assert_eq!(err.0, 10, "{err:?}");
    a.update(Action::Backspace);
    a.update(Action::Backspace);
    let req = request(a.update(Action::Submit));
    assert!(a.input.is_none());
    assert_eq!(a.filter.query, "verb:get");
    assert!(
        matches!(req, Request::Find { .. }),
        "the selected event is looked for in the new result"
    );
    a.update(Action::Filter);
    a.update(Action::Cancel);
    assert!(a.input.is_none());
}

#[test]
fn search_highlights_and_jumps_without_filtering() {
    let mut a = events_app(10);
    assert_eq!(a.update(Action::SearchNext), None, "nothing to find yet");
    assert!(a.status.contains("no search"));
    a.update(Action::Search);
    for c in "user:alice".chars() {
        a.update(Action::Char(c));
    }
    let req = request(a.update(Action::Submit));
    assert!(matches!(
        req,
        Request::Find {
            backwards: false,
            ..
        }
    ));
    assert!(a.filter.is_empty(), "search does not filter");
    let page = request(a.update(Action::Response(Box::new(Response::Found {
        id: id_of(&req),
        offset: Some(4),
        any: true,
    }))));
    let rows: Vec<EventRow<'static>> = (0..10).map(row).collect();
    a.update(Action::Response(Box::new(Response::Page {
        id: id_of(&page),
        total: 10,
        offset: 0,
        rows,
        matches: (0..10).map(|i| i % 2 == 0).collect(),
    })));
    assert_eq!(a.events.selected, 4);
    assert!(a.events.is_match(4));
    assert!(matches!(
        request(a.update(Action::SearchNext)),
        Request::Find {
            backwards: false,
            ..
        }
    ));
    assert!(matches!(
        request(a.update(Action::SearchPrev)),
        Request::Find {
            backwards: true,
            ..
        }
    ));
    a.update(Action::Cancel);
    assert!(a.search.is_none());
}

#[test]
fn commands_add_filters() {
    let mut a = events_app(3);
    let type_cmd = |a: &mut App, s: &str| {
        a.update(Action::Command);
        for c in s.chars() {
            a.update(Action::Char(c));
        }
        a.update(Action::Submit)
    };
    type_cmd(&mut a, "ns shop");
    assert_eq!(
        a.filter.chips.last().map(|c| c.label.as_str()),
        Some("ns:shop")
    );
    type_cmd(&mut a, "since 2h");
    assert_eq!(a.filter.chips.len(), 2);
    type_cmd(&mut a, "ip banana");
    assert!(a.input.as_ref().is_some_and(|i| i.error.is_some()));
    a.update(Action::Cancel);
    type_cmd(&mut a, "frobnicate");
    assert!(
        a.input
            .as_ref()
            .and_then(|i| i.error.as_ref())
            .is_some_and(|e| e.1.contains("unknown command"))
    );
    a.update(Action::Cancel);
    type_cmd(&mut a, "tz Europe/Paris");
    assert_eq!(a.tz_name, "Europe/Paris");
    type_cmd(&mut a, "clear");
    assert!(a.filter.is_empty());
    assert_eq!(type_cmd(&mut a, "q"), Some(Effect::Quit));
}

#[test]
fn every_field_command_adds_its_filter() {
    for cmd in fields::commands() {
        let value = match fields::command(cmd).and_then(|f| f.kind) {
            Some(fields::FieldKind::Ip) => "10.0.0.1",
            Some(fields::FieldKind::Number) => "403",
            _ => "x",
        };
        let mut a = events_app(3);
        a.update(Action::Command);
        for c in format!("{cmd} {value}").chars() {
            a.update(Action::Char(c));
        }
        a.update(Action::Submit);
        let label = a.filter.chips.last().map(|c| c.label.clone());
        assert_eq!(label, Some(format!("{cmd}:{value}")), "{:?}", a.input);
    }
    let mut a = events_app(3);
    a.update(Action::Command);
    a.input.as_mut().unwrap().line.set("impersonated bob");
    assert!(a.update(Action::Submit).is_none());
    let error = a.input.and_then(|i| i.error).map(|e| e.1);
    assert!(error.is_some_and(|e| e.contains("unknown command") && e.contains(" as,")));
}

#[test]
fn pivot_menu_history_and_clear() {
    let mut a = events_app(3);
    a.update(Action::PivotMenu);
    let menu = a.menu.clone().unwrap();
    assert!(menu.items[0].0.starts_with("account: alice"));
    a.update(Action::Down);
    a.update(Action::Open);
    assert!(a.menu.is_none());
    assert_eq!(a.filter.chips[0].label, "ip:10.0.0.1");
    let id = a.pending.newest(RequestKind::Page).unwrap();
    a.update(Action::Response(Box::new(Response::Page {
        id,
        total: 1,
        offset: 0,
        rows: vec![row(0)],
        matches: vec![false],
    })));
    a.update(Action::PivotMenu);
    a.update(Action::Open);
    assert_eq!(a.filter.chips.len(), 2);
    a.update(Action::PivotBack);
    assert_eq!(a.filter.chips.len(), 1);
    a.update(Action::PivotForward);
    assert_eq!(a.filter.chips.len(), 2);
    a.update(Action::PivotForward);
    assert!(a.status.contains("no further"));
    a.update(Action::ClearFilters);
    assert!(a.filter.is_empty());
    a.update(Action::PivotMenu);
    a.update(Action::Cancel);
    assert!(a.menu.is_none());
}

#[test]
fn regression_the_pivot_menu_of_an_exec_pivots_on_pods_exec() {
    // The menu offered `res:pods`: every request about pods, not the execs.
    let mut a = app();
    let req = request(a.update(Action::ViewEvents));
    let mut r = row(0);
    r.resource = "pods".into();
    r.subresource = "exec".into();
    a.update(Action::Response(Box::new(Response::Page {
        id: id_of(&req),
        total: 1,
        offset: 0,
        rows: vec![r],
        matches: vec![false],
    })));
    a.update(Action::PivotMenu);
    let menu = a.menu.clone().unwrap();
    let at = menu
        .items
        .iter()
        .position(|(label, _, _)| label.ends_with(": pods/exec"))
        .unwrap_or_else(|| panic!("{:?}", menu.items));
    for _ in 0..at {
        a.update(Action::Down);
    }
    a.update(Action::Open);
    assert_eq!(a.filter.chips[0].label, "res:pods/exec");
}

#[test]
fn around_an_event_drops_filters_and_keeps_it_selected() {
    let mut a = events_app(3);
    a.update(Action::Down);
    let req = request(a.update(Action::AroundMinute));
    assert_eq!(a.filter.chips.len(), 1);
    assert!(a.filter.chips[0].label.starts_with("around"));
    assert!(matches!(req, Request::Find { .. }));
    let mut b = events_app(3);
    let req = request(b.update(Action::AroundTenMinutes));
    assert!(
        b.filter.chips[0].label.contains("10m"),
        "{}",
        b.filter.chips[0].label
    );
    assert!(matches!(req, Request::Find { .. }));
}

#[test]
fn copy_in_events_copies_the_audit_id() {
    let mut a = events_app(3);
    assert_eq!(a.update(Action::Copy), Some(Effect::Copy("id-0".into())));
}

#[test]
fn pivots_view_counts_and_pivots() {
    let mut a = app();
    let req = request(a.update(Action::ViewPivots));
    assert!(matches!(&req, Request::Pivots { fields, .. } if fields.len() == pivot_fields().len()));
    let lists = vec![
        (
            "user",
            vec![("alice".to_owned(), 5), ("bob".to_owned(), 2)],
            0,
        ),
        ("peer", vec![("10.0.0.1".to_owned(), 7)], 0),
    ];
    a.update(Action::Response(Box::new(Response::Pivots {
        id: id_of(&req),
        lists,
    })));
    a.update(Action::Down);
    a.update(Action::NextPane);
    assert_eq!(a.pivots.column, 1);
    a.update(Action::PrevPane);
    a.update(Action::Right);
    a.update(Action::Left);
    assert_eq!(a.pivots.column, 0);
    assert_eq!(a.update(Action::Copy), Some(Effect::Copy("bob".into())));
    a.update(Action::Open);
    assert_eq!(a.filter.chips[0].label, "user:bob");
}

#[test]
fn timeline_marks_a_range_and_zooms() {
    let mut a = app();
    let req = request(a.update(Action::ViewTimeline));
    a.update(Action::Response(Box::new(Response::Histogram {
        id: id_of(&req),
        counts: vec![1, 2, 3, 4, 5, 6],
        start: Micros(0),
        end: Micros(600),
    })));
    a.update(Action::Right);
    a.update(Action::MarkRange);
    assert_eq!(a.timeline.mark, Some(1));
    a.update(Action::Right);
    a.update(Action::Right);
    a.update(Action::MarkRange);
    assert_eq!(a.filter.chips.len(), 1);
    assert!(a.filter.chips[0].label.contains(".."));
    a.update(Action::ZoomOut);
    assert!(a.filter.is_empty());
    // Open a bucket: the events, positioned there.
    let req = request(a.update(Action::Open));
    assert_eq!(a.view, View::Events);
    assert!(matches!(req, Request::Find { .. }));
}

#[test]
fn clicks_resize_and_views() {
    let mut a = events_app(30);
    a.update(Action::Click { line: 3 });
    assert_eq!(a.events.selected, 3);
    a.update(Action::Resize(80, 20));
    assert_eq!(a.size, (80, 20));
    a.update(Action::ViewDetections);
    assert_eq!(a.view, View::Detections);
    a.update(Action::Down);
    assert_eq!(a.detections.selected, 1);
    assert_eq!(a.update(Action::Copy), Some(Effect::Copy("summary".into())));
}

fn case_op(e: Option<Effect>) -> CaseOp {
    match e {
        Some(Effect::Case(op)) => op,
        other => panic!("expected a case change, got {other:?}"),
    }
}

/// Applies a case change as the runtime does (without a file).
fn saved(a: &mut App, op: CaseOp) {
    let mut case = a.case.clone();
    let message = case.apply(op, Micros(0));
    a.update(Action::CaseSaved(Box::new(Ok((case, message)))));
}

#[test]
fn regression_m_on_a_row_shown_marked_unmarks_it_whatever_the_file_says() {
    // The case file changed elsewhere (the bookmark removed by `kubesift case remove`): `m`
    // on the row still shown marked bookmarked it again.
    let mut a = events_app(10);
    a.update(Action::Down);
    let op = case_op(a.update(Action::ToggleMark));
    saved(&mut a, op);
    assert!(a.case.is_marked("id-1"));
    let op = case_op(a.update(Action::ToggleMark));
    assert!(matches!(&op, CaseOp::Remove(id) if id == "id-1"), "{op:?}");
    // Applied to a file that no longer has it, the removal leaves it unmarked.
    let mut elsewhere = crate::case::Case::default();
    elsewhere.apply(op, Micros(0));
    assert!(!elsewhere.is_marked("id-1"));
}

#[test]
fn mark_tag_and_note_the_selected_event() {
    let mut a = events_app(10);
    a.update(Action::Down);
    let op = case_op(a.update(Action::ToggleMark));
    let CaseOp::Add(ev) = &op else {
        panic!("{op:?}")
    };
    assert_eq!(ev.audit_id, "id-1");
    assert!(ev.summary.contains("get pods shop/web-1"), "{}", ev.summary);
    saved(&mut a, op);
    assert!(a.case.is_marked("id-1"));
    assert_eq!(a.status, "bookmarked id-1");

    assert_eq!(a.update(Action::Tag), None);
    assert_eq!(a.input.as_ref().map(|i| i.mode), Some(InputMode::Tag));
    for c in "c2, exfil".chars() {
        a.update(Action::Char(c));
    }
    let op = case_op(a.update(Action::Submit));
    assert!(
        matches!(&op, CaseOp::SetTags(ev, tags) if ev.audit_id == "id-1" && tags == &["c2", "exfil"])
    );
    saved(&mut a, op);

    // The note editor opens with the note, keeps new lines, Esc drops the edit.
    a.update(Action::Note);
    for c in "one\ntwo".chars() {
        a.update(Action::Char(c));
    }
    assert_eq!(a.update(Action::Cancel), None);
    assert!(a.input.is_none());
    a.update(Action::Note);
    for c in "one\ntwo".chars() {
        a.update(Action::Char(c));
    }
    let op = case_op(a.update(Action::Submit));
    assert!(matches!(&op, CaseOp::SetNote(_, n) if n == "one\ntwo"));
    saved(&mut a, op);
    assert_eq!(a.case.events["id-1"].note, "one\ntwo");
    a.update(Action::Note);
    assert_eq!(a.input.as_ref().map(Input::text), Some("one\ntwo"));
}

#[test]
fn case_view_lists_bookmarks_and_opens_them() {
    let mut a = events_app(10);
    for i in [3, 1] {
        a.update(Action::Top);
        for _ in 0..i {
            a.update(Action::Down);
        }
        let op = case_op(a.update(Action::ToggleMark));
        saved(&mut a, op);
    }
    a.update(Action::ViewCase);
    assert_eq!(a.view, View::Case);
    a.update(Action::Bottom);
    assert_eq!(a.case_view.selected, 1);
    let req = request(a.update(Action::Open));
    assert!(matches!(&req, Request::EventById { audit_id, .. } if audit_id == "id-3"));
    assert_eq!(a.view, View::Detail);
    a.update(Action::Back);
    assert_eq!(a.view, View::Case);
    // Unmarking the last one moves the selection up.
    let op = case_op(a.update(Action::ToggleMark));
    saved(&mut a, op);
    assert_eq!(a.case.events.len(), 1);
    assert_eq!(a.case_view.selected, 0);
}

#[test]
fn next_and_previous_mark_search_the_bookmarks() {
    let mut a = events_app(10);
    assert_eq!(a.update(Action::NextMark), None);
    assert!(a.status.contains("no bookmarks"));
    a.update(Action::Down);
    let op = case_op(a.update(Action::ToggleMark));
    saved(&mut a, op);
    a.update(Action::Top);
    let req = request(a.update(Action::NextMark));
    let Request::Find {
        search, backwards, ..
    } = req
    else {
        panic!("{req:?}")
    };
    assert!(!backwards);
    assert!(matches!(search, Expr::AuditIds(ids) if ids.as_slice() == ["id-1"]));
    assert!(a.search.is_none(), "the user's search is untouched");
    let req = request(a.update(Action::PrevMark));
    assert!(matches!(
        req,
        Request::Find {
            backwards: true,
            ..
        }
    ));
}

#[test]
fn a_read_only_case_refuses_changes() {
    let mut a = events_app(5);
    a.set_case(Err(crate::case::CaseError::Corrupt {
        path: "/x/case.json".into(),
        message: "line 1".into(),
    }
    .into()));
    assert!(a.status.starts_with("error:"));
    assert_eq!(a.update(Action::ToggleMark), None);
    assert!(a.status.contains("read-only"), "{}", a.status);
}

#[test]
fn saved_filters_round_trip_through_commands() {
    let mut a = events_app(5);
    a.update(Action::Command);
    for c in "user alice".chars() {
        a.update(Action::Char(c));
    }
    a.update(Action::Submit);
    a.update(Action::Command);
    for c in "save mine".chars() {
        a.update(Action::Char(c));
    }
    let op = case_op(a.update(Action::Submit));
    assert_eq!(
        op,
        CaseOp::SaveFilter {
            name: "mine".into(),
            query: "user:alice".into()
        }
    );
    saved(&mut a, op);
    a.update(Action::ClearFilters);
    assert!(a.filter.is_empty());
    a.update(Action::Command);
    for c in "load mine".chars() {
        a.update(Action::Char(c));
    }
    a.update(Action::Submit);
    assert_eq!(a.filter.query, "user:alice");
    a.update(Action::Command);
    for c in "load nope".chars() {
        a.update(Action::Char(c));
    }
    a.update(Action::Submit);
    assert!(a.input.as_ref().and_then(|i| i.error.as_ref()).is_some());
}

#[test]
fn export_dialog_picks_format_scope_and_path() {
    let mut a = events_app(5);
    a.update(Action::Export);
    let d = a.export.clone().unwrap();
    assert_eq!(
        (d.format().as_str(), d.path.text()),
        ("html", "kubesift-case.html")
    );
    a.update(Action::Up);
    assert_eq!(
        a.export.as_ref().unwrap().path.text(),
        "kubesift-case.md",
        "follows the format"
    );
    a.update(Action::NextPane);
    assert_eq!(a.export.as_ref().unwrap().scope(), ExportScope::Filter);
    for _ in 0.."kubesift-case.md".len() {
        a.update(Action::Backspace);
    }
    assert_eq!(a.update(Action::Submit), None, "an empty name is refused");
    assert!(a.export.as_ref().unwrap().error.is_some());
    for c in "out.md".chars() {
        a.update(Action::Char(c));
    }
    let req = request(a.update(Action::Submit));
    let Request::Export { id, job } = req else {
        panic!("{req:?}")
    };
    assert_eq!(job.format.as_str(), "markdown");
    assert_eq!(job.spec.query.as_deref(), Some("*"));
    assert!(!job.spec.case);
    assert_eq!(job.path, std::path::PathBuf::from("out.md"));
    assert!(a.export.as_ref().unwrap().running);
    a.update(Action::Response(Box::new(Response::Exported {
        id,
        result: Ok("exported 5 events".into()),
    })));
    assert!(a.export.is_none());
    assert_eq!(a.status, "exported 5 events");
}

#[test]
fn regression_the_export_format_follows_the_typed_file_name_and_back() {
    // With JSONL selected, `mismatch.html` got JSONL; `union.csv` then ↑ got Markdown.
    let mut a = events_app(5);
    a.update(Action::Export);
    let clear = "kubesift-case.html".len();
    for _ in 0..clear {
        a.update(Action::Backspace);
    }
    for c in "union.csv".chars() {
        a.update(Action::Char(c));
    }
    let d = a.export.as_ref().unwrap();
    assert_eq!(d.format().as_str(), "csv", "a .csv name picks CSV");
    a.update(Action::Up);
    let d = a.export.as_ref().unwrap();
    assert_eq!((d.format().as_str(), d.path.text()), ("html", "union.html"));
    for _ in 0.."html".len() {
        a.update(Action::Backspace);
    }
    for c in "jsonl".chars() {
        a.update(Action::Char(c));
    }
    let req = request(a.update(Action::Submit));
    let Request::Export { job, .. } = req else {
        panic!("{req:?}")
    };
    assert_eq!(job.format.as_str(), "jsonl");
    assert_eq!(job.path, std::path::PathBuf::from("union.jsonl"));
}

mod nav;

#[test]
fn s_in_the_session_view_keeps_it_and_sessions_command_expands_a_short_account() {
    let mut a = app();
    let eff = a.update(Action::Command);
    assert!(eff.is_none());
    for c in "sessions shop:web".chars() {
        a.update(Action::Char(c));
    }
    let Some(Effect::Request(Request::Sessions { who, .. })) = a.update(Action::Submit) else {
        panic!("no sessions request");
    };
    assert_eq!(
        who,
        crate::story::Identity::Account("system:serviceaccount:shop:web".into())
    );
    assert_eq!(a.view, View::Sessions);
    assert_eq!(a.update(Action::Sessions), None, "S again asks nothing");
    assert_eq!(a.view, View::Sessions);
}

#[test]
fn regression_u_past_the_last_mark_said_nothing_or_no_more_matches() {
    let mut a = events_app(10);
    a.update(Action::Down);
    let op = case_op(a.update(Action::ToggleMark));
    saved(&mut a, op);
    let req = request(a.update(Action::NextMark));
    a.update(Action::Response(Box::new(Response::Found {
        id: id_of(&req),
        offset: None,
        any: true,
    })));
    assert!(
        a.status.contains("no marked event after this one"),
        "{}",
        a.status
    );
    // A search's own "none" stays about the search.
    a.search = Some(("verb:get".into(), Expr::All));
    let req = request(a.update(Action::SearchNext));
    a.update(Action::Response(Box::new(Response::Found {
        id: id_of(&req),
        offset: None,
        any: true,
    })));
    assert!(a.status.contains("no later match"), "{}", a.status);
}

#[test]
fn regression_q_on_the_home_view_walked_back_through_every_view_visited() {
    let mut a = events_app(5);
    let home = a.root();
    a.update(Action::ViewPivots);
    a.update(Action::ViewTimeline);
    a.update(Action::ViewCase);
    // The home view's key goes home; q there quits.
    let key = match home {
        View::Incidents => Action::ViewIncidents,
        _ => Action::ViewDetections,
    };
    a.update(key);
    assert_eq!(a.view, home);
    assert_eq!(a.update(Action::Back), Some(Effect::Quit));
}

//! The detections and events tables.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{clean, theme};
use crate::model::Micros;
use crate::tui::app::App;
use crate::tui::layout;

fn short_time(app: &App, t: &str) -> String {
    Micros::parse(t).map_or_else(|| t.to_owned(), |m| m.display_in(&app.tz)[..19].to_owned())
}

pub fn detections(app: &App, frame: &mut Frame, area: Rect) {
    let [list, about] = area.layout(&Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(9),
    ]));
    findings_table(app, frame, list);
    finding_about(app, frame, about);
}

/// Why the selected finding fired, its history and the advice.
fn finding_about(app: &App, frame: &mut Frame, area: Rect) {
    let Some(f) = app.findings.get(app.det_selected) else {
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} ", f.severity),
            theme::severity_style(f.severity),
        ),
        Span::styled(clean(&f.title).into_owned(), theme::title()),
        Span::styled(
            f.attack
                .as_ref()
                .map(|a| format!("  [{} {}]", a.id, a.name))
                .unwrap_or_default(),
            theme::dim(),
        ),
    ])];
    lines.push(Line::from(clean(&f.summary).into_owned()));
    if let Some(why) = f.evidence.get("why").and_then(|v| v.as_str()) {
        lines.push(Line::from(vec![
            Span::styled("why: ", theme::label()),
            Span::raw(clean(why).into_owned()),
        ]));
    }
    if let Some(h) = f.evidence.get("history").and_then(|v| v.as_array()) {
        let text: Vec<String> = h
            .iter()
            .filter_map(|x| x.as_str())
            .map(|x| clean(x).into_owned())
            .collect();
        lines.push(Line::from(vec![
            Span::styled("history: ", theme::label()),
            Span::raw(text.join("; ")),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("advice: ", theme::label()),
        Span::raw(clean(&f.advice).into_owned()),
    ]));
    let block =
        Block::bordered().title(Line::from(" finding (enter: its events) ").style(theme::title()));
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

fn findings_table(app: &App, frame: &mut Frame, area: Rect) {
    let header = Row::new([
        "SEV", "RULE", "FAMILY", "ACCOUNT", "N", "FIRST", "LAST", "SUMMARY",
    ])
    .style(theme::header_row());
    let rows = app.findings.iter().map(|f| {
        Row::new(vec![
            Cell::from(Span::styled(
                f.severity.as_str(),
                theme::severity_style(f.severity),
            )),
            Cell::from(f.rule_id.clone()),
            Cell::from(f.family.as_str()),
            Cell::from(clean(&f.account).into_owned()),
            Cell::from(f.count.to_string()),
            Cell::from(short_time(app, &f.first_seen)),
            Cell::from(short_time(app, &f.last_seen)),
            Cell::from(clean(&f.summary).into_owned()),
        ])
    });
    let widths = [
        Constraint::Length(8),
        Constraint::Length(28),
        Constraint::Length(23),
        Constraint::Length(32),
        Constraint::Length(5),
        Constraint::Length(19),
        Constraint::Length(19),
        Constraint::Min(20),
    ];
    let title = format!(
        " detections — {} findings (times {}) ",
        app.findings.len(),
        app.tz_name
    );
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected())
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(Some(app.det_selected));
    frame.render_stateful_widget(table, area, &mut state);
    if app.findings.is_empty() {
        let body = layout::table_body(area);
        frame.render_widget(
            Line::from(Span::styled(
                "no findings: press 2 for the events",
                theme::dim(),
            )),
            body,
        );
    }
}

pub fn events(app: &App, frame: &mut Frame, area: Rect) {
    let e = &app.events;
    let visible = layout::table_body(area).height as u64;
    let header = Row::new([
        format!("TIME ({})", app.tz_name),
        " ".to_owned(),
        "ACCOUNT".to_owned(),
        "VERB".to_owned(),
        "RESOURCE".to_owned(),
        "NAMESPACE/NAME".to_owned(),
        "SOURCE IP".to_owned(),
        "CODE".to_owned(),
        "USER AGENT".to_owned(),
    ])
    .style(theme::header_row());
    let total = e.total.unwrap_or(0);
    let mut rows = Vec::new();
    let end = (e.scroll + visible).min(total);
    for pos in e.scroll..end {
        let row = match e.row(pos) {
            Some(s) => {
                let marked = app.finding_of.contains_key(&*s.audit_id);
                let bookmarked = app.case.is_marked(&s.audit_id);
                let (resource, target) = (s.resource_or_path(), s.target());
                let mut r = Row::new(vec![
                    Cell::from(s.time.display_in(&app.tz)),
                    Cell::from(Span::styled(
                        match (marked, bookmarked) {
                            (true, true) => "●★",
                            (true, false) => "● ",
                            (false, true) => " ★",
                            (false, false) => "  ",
                        },
                        theme::marker(),
                    )),
                    Cell::from(clean(&s.user).into_owned()),
                    Cell::from(clean(&s.verb).into_owned()),
                    Cell::from(clean(&resource).into_owned()),
                    Cell::from(clean(&target).into_owned()),
                    Cell::from(clean(s.peer()).into_owned()),
                    Cell::from(s.code.map(|c| c.to_string()).unwrap_or_default()),
                    Cell::from(clean(&s.user_agent).into_owned()),
                ]);
                if e.is_match(pos) {
                    r = r.style(theme::search_match());
                }
                r
            }
            None => Row::new(vec![Cell::from(Span::styled("…", theme::dim()))]),
        };
        rows.push(row);
    }
    let widths = [
        Constraint::Length(23),
        Constraint::Length(2),
        Constraint::Length(34),
        Constraint::Length(8),
        Constraint::Length(24),
        Constraint::Length(36),
        Constraint::Length(15),
        Constraint::Length(4),
        Constraint::Min(10),
    ];
    let count = match e.total {
        Some(t) => format!("{t} matching"),
        None => "loading…".to_owned(),
    };
    let pos = if total > 0 {
        format!(" · row {} of {total}", e.selected + 1)
    } else {
        String::new()
    };
    let title = format!(" events — {count}{pos} (● in a finding, ★ in the case) ");
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected());
    let selected = (total > 0).then(|| (e.selected.saturating_sub(e.scroll)) as usize);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
    if e.total == Some(0) {
        let body = layout::table_body(area);
        frame.render_widget(
            Line::from(Span::styled(
                "no event matches the filters (x clears them, [ goes back)",
                theme::dim(),
            )),
            body,
        );
    }
}

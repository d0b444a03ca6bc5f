//! The Case view (bookmarks in time order, with the time since the previous one, tags and
//! the note), the note editor and the export dialog.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{clean, popup, theme};
use crate::export::ExportFormat;
use crate::model::time::format_duration;
use crate::tui::app::{App, ExportScope, InputMode};
use crate::tui::layout;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let [list, about] = area.layout(&Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(8),
    ]));
    let timeline = app.case.timeline();
    let header = Row::new([
        format!("TIME ({})", app.tz_name),
        "Δ".to_owned(),
        "EVENT".to_owned(),
        "TAGS".to_owned(),
        "NOTE".to_owned(),
    ])
    .style(theme::header_row());
    let mut prev: Option<crate::model::Micros> = None;
    let rows = timeline.iter().map(|(_, b)| {
        let t = b.time_micros();
        let delta = match (prev, t) {
            (Some(p), Some(t)) => format!("+{}", format_duration(t.0 - p.0)),
            _ => String::new(),
        };
        prev = t.or(prev);
        Row::new(vec![
            Cell::from(t.map_or_else(|| clean(&b.time).into_owned(), |t| t.display_in(&app.tz))),
            Cell::from(delta),
            Cell::from(clean(&b.summary).into_owned()),
            Cell::from(Span::styled(
                clean(&b.tags.join(", ")).into_owned(),
                theme::chip(),
            )),
            Cell::from(clean(b.note.lines().next().unwrap_or_default()).into_owned()),
        ])
    });
    let widths = [
        Constraint::Length(23),
        Constraint::Length(10),
        Constraint::Min(30),
        Constraint::Length(24),
        Constraint::Length(40),
    ];
    let title = if app.case.title.is_empty() {
        format!(" case — {} bookmarks ", timeline.len())
    } else {
        format!(
            " case {} — {} bookmarks ",
            clean(&app.case.title),
            timeline.len()
        )
    };
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected());
    let selected = (!timeline.is_empty()).then_some(app.case_selected);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, list, &mut state);
    if timeline.is_empty() {
        let msg = match &app.case_error {
            Some(e) => format!("the case file could not be read: {}", clean(&e.to_string())),
            None => "no bookmarks yet: m marks an event in the events or detail view".to_owned(),
        };
        frame.render_widget(
            Line::from(Span::styled(msg, theme::dim())),
            layout::table_body(list),
        );
    }

    // The selected bookmark's whole note, and the saved filters.
    let mut lines = Vec::new();
    if let Some((id, b)) = timeline.get(app.case_selected) {
        lines.push(Line::from(vec![
            Span::styled("audit ID ", theme::label()),
            Span::raw(clean(id).into_owned()),
            Span::styled("   bookmarked ", theme::label()),
            Span::raw(clean(&b.added).into_owned()),
        ]));
        for l in b.note.lines() {
            lines.push(Line::from(clean(l).into_owned()));
        }
    }
    if !app.case.filters.is_empty() {
        let saved: Vec<String> = app
            .case
            .filters
            .iter()
            .map(|(n, q)| format!("{} = {}", clean(n), clean(q)))
            .collect();
        lines.push(Line::from(vec![
            Span::styled("saved filters (:load NAME): ", theme::label()),
            Span::raw(saved.join("   ")),
        ]));
    }
    let block = Block::bordered().title(
        Line::from(" note (enter: the event · m unmark · # tags · a note · X export) ")
            .style(theme::title()),
    );
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        about,
    );
}

/// The note being written: a box with every line of it.
pub fn note_editor(app: &App, frame: &mut Frame) {
    let Some(input) = app.input.as_ref().filter(|i| i.mode == InputMode::Note) else {
        return;
    };
    let mut lines: Vec<Line<'_>> = input
        .text
        .split('\n')
        .map(|l| Line::from(clean(l).into_owned()))
        .collect();
    if let Some(last) = lines.last_mut() {
        last.push_span(Span::styled("█", theme::dim()));
    }
    let height = (lines.len() as u16 + 2).clamp(5, 20);
    let area = popup(frame, 80, height);
    let block = Block::bordered().title(
        Line::from(" note — enter saves · ctrl-j new line · esc cancels ").style(theme::title()),
    );
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

pub fn export_dialog(app: &App, frame: &mut Frame) {
    let Some(d) = &app.export else { return };
    let mut lines = vec![Line::from(Span::styled("format (↑/↓)", theme::label()))];
    for (i, f) in ExportFormat::ALL.iter().enumerate() {
        let mark = if i == d.format { "▶ " } else { "  " };
        let style = if i == d.format {
            theme::selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(Span::styled(
            format!("{mark}{}", f.as_str()),
            style,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("what (tab)", theme::label())));
    for (i, s) in ExportScope::ALL.iter().enumerate() {
        let mark = if i == d.scope { "▶ " } else { "  " };
        let style = if i == d.scope {
            theme::selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(Span::styled(
            format!("{mark}{}", s.label()),
            style,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled("file: ", theme::label()),
        Span::raw(clean(&d.path).into_owned()),
        Span::styled("█", theme::dim()),
    ]));
    if d.running {
        lines.push(Line::from(Span::styled("exporting…", theme::dim())));
    }
    if let Some(e) = &d.error {
        lines.push(Line::from(Span::styled(
            format!("✗ {}", clean(e)),
            theme::error(),
        )));
    }
    let area = popup(frame, 70, lines.len() as u16 + 2);
    let block = Block::bordered()
        .title(Line::from(" export — enter writes · esc cancels ").style(theme::title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

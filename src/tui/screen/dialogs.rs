//! The popups over any view: the note editor and the export dialog.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::popup;
use crate::export::ExportFormat;
use crate::tui::app::{App, ExportScope, InputMode};
use crate::tui::theme::{self, clean};

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

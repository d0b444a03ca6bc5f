//! The popups over any view: the note editor and the export dialog.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::popup;
use crate::export::ExportFormat;
use crate::tui::app::{App, ExportScope, InputMode};
use crate::tui::layout::wrapped_rows;
use crate::tui::lineedit::{Edit, LineEditor};
use crate::tui::theme::{self, clean};

/// The note being written: a box with every line of it.
pub fn note_editor(app: &App, frame: &mut Frame) {
    let Some(input) = app.input.as_ref().filter(|i| i.mode == InputMode::Note) else {
        return;
    };
    let (lines, cursor) = note_lines(&input.line);
    let block = Block::bordered().title(
        Line::from(" note — enter saves · ctrl-j new line · esc cancels ").style(theme::title()),
    );
    wrapped_popup(frame, lines, (80, 5, 20), cursor, block);
}

/// A bordered popup of wrapped lines, `width` wide, as tall as the lines need once wrapped
/// (within `min..=max` rows and the screen); when they do not all fit, scrolled so that line
/// `keep` (the cursor's, the error's) shows whole.
fn wrapped_popup(
    frame: &mut Frame,
    lines: Vec<Line<'static>>,
    (width, min, max): (u16, u16, u16),
    keep: usize,
    block: Block<'_>,
) {
    let width = width.min(frame.area().width);
    let inner = width.saturating_sub(2);
    let rows = u16::try_from(wrapped_rows(&lines, inner)).unwrap_or(u16::MAX);
    let area = popup(frame, width, rows.saturating_add(2).clamp(min, max));
    let shown = usize::from(area.height.saturating_sub(2));
    let through_keep = wrapped_rows(&lines[..(keep + 1).min(lines.len())], inner);
    let scroll = u16::try_from(through_keep.saturating_sub(shown)).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// The note's lines as written (a new line is a line, not `\n`), the cursor where it stands;
/// and the index of the cursor's line.
fn note_lines(line: &LineEditor) -> (Vec<Line<'static>>, usize) {
    let (before, after) = line.split();
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut head = before.split('\n').peekable();
    let mut cursor_line = String::new();
    while let Some(l) = head.next() {
        if head.peek().is_some() {
            lines.push(Line::from(clean(l).into_owned()));
        } else {
            l.clone_into(&mut cursor_line);
        }
    }
    let (rest_of_line, tail) = after.split_once('\n').unwrap_or((after, ""));
    let mut at = LineEditor::new(format!("{cursor_line}{rest_of_line}"));
    for _ in rest_of_line.chars() {
        at.apply(Edit::Left);
    }
    let cursor = lines.len();
    lines.push(Line::from(super::edited_line(&at)));
    if !after.is_empty() && after.contains('\n') {
        lines.extend(tail.split('\n').map(|l| Line::from(clean(l).into_owned())));
    }
    (lines, cursor)
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
    lines.push(Line::from(vec![Span::styled("file: ", theme::label())]));
    if let Some(l) = lines.last_mut() {
        l.spans.extend(super::edited_line(&d.path));
    }
    if d.running {
        lines.push(Line::from(Span::styled("exporting…", theme::dim())));
    }
    if let Some(e) = &d.error {
        lines.push(Line::from(Span::styled(
            format!("✗ {}", clean(e)),
            theme::error(),
        )));
    }
    let block = Block::bordered()
        .title(Line::from(" export — enter writes · esc cancels ").style(theme::title()));
    // A long path wraps: the box grows with it, and the error under it stays in view.
    let last = lines.len().saturating_sub(1);
    wrapped_popup(frame, lines, (70, 3, u16::MAX), last, block);
}

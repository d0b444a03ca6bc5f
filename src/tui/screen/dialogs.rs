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
    let mut tail = Vec::new();
    if d.running {
        tail.push(Line::from(Span::styled("exporting…", theme::dim())));
    }
    if let Some(e) = &d.error {
        tail.push(Line::from(Span::styled(
            format!("✗ {}", clean(e)),
            theme::error(),
        )));
    }
    // As wide as a long path wants (within the screen); the path wraps, and when the box
    // would still be taller than the screen it shows the part around the cursor.
    let screen = frame.area();
    let widest = d.path.text().chars().count() + 8;
    let width = u16::try_from(widest)
        .unwrap_or(u16::MAX)
        .clamp(70, screen.width.saturating_sub(4).max(70));
    let inner = usize::from(width.min(screen.width).saturating_sub(2)).max(8);
    let other = wrapped_rows(&lines, inner_u16(inner)) + wrapped_rows(&tail, inner_u16(inner));
    // A path too long for the row of `file:` starts on the next one.
    let path_rows = usize::from(screen.height).saturating_sub(3 + other).max(1);
    let room = (path_rows * inner).saturating_sub(2).max(8);
    let mut file = vec![Span::styled("file: ", theme::label())];
    file.extend(super::edited_line(&around_cursor(&d.path, room)));
    lines.push(Line::from(file));
    lines.extend(tail);
    let block = Block::bordered()
        .title(Line::from(" export — enter writes · esc cancels ").style(theme::title()));
    let last = lines.len().saturating_sub(1);
    wrapped_popup(frame, lines, (width, 3, u16::MAX), last, block);
}

fn inner_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The line as it is when it has at most `room` characters; else the `room` around its
/// cursor, marked `…` where cut.
pub(super) fn around_cursor(line: &LineEditor, room: usize) -> LineEditor {
    let chars: Vec<char> = line.text().chars().collect();
    // Counted in cells as drawn (a CJK character takes two, a control character its escape):
    // counted in characters, a wide query ran off the line.
    let mut buf = [0u8; 4];
    let cells: Vec<usize> = chars
        .iter()
        .map(|c| crate::tui::components::columns::width_of(&clean(c.encode_utf8(&mut buf))))
        .collect();
    let at = line.split().0.chars().count();
    // The cursor's cell at the end of the line.
    let end_block = usize::from(at == chars.len());
    if cells.iter().sum::<usize>() + end_block <= room {
        return line.clone();
    }
    // Room left for the text, an ellipsis on each side.
    let span = room.saturating_sub(2).max(1);
    let mut used = cells.get(at).copied().unwrap_or(1);
    // As much before the cursor as fits, then after it.
    let mut start = at;
    while start > 0 && used + cells[start - 1] <= span {
        start -= 1;
        used += cells[start];
    }
    let mut end = (at + 1).min(chars.len());
    while end < chars.len() && used + cells[end] <= span {
        used += cells[end];
        end += 1;
    }
    let mut text = String::new();
    if start > 0 {
        text.push('…');
    }
    text.extend(&chars[start..end]);
    let after = end - at.min(end);
    if end < chars.len() {
        text.push('…');
    }
    let mut shown = LineEditor::new(text);
    let trailing = usize::from(end < chars.len());
    for _ in 0..after + trailing {
        shown.apply(Edit::Left);
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::components::columns::width_of;

    fn at(text: &str, cursor_from_end: usize) -> LineEditor {
        let mut l = LineEditor::new(text);
        l.apply(Edit::End);
        for _ in 0..cursor_from_end {
            l.apply(Edit::Left);
        }
        l
    }

    /// The cells a shown line takes, its cursor's block at the end included.
    fn cells(l: &LineEditor) -> usize {
        width_of(&clean(l.text())) + usize::from(l.split().1.is_empty())
    }

    #[test]
    fn regression_a_wide_query_ran_off_the_prompt_counted_in_characters() {
        let text = format!("user:{}", "名前".repeat(40));
        for from_end in [0, 1, 7, 40, 80, 84] {
            let line = at(&text, from_end);
            let shown = around_cursor(&line, 30);
            assert!(
                cells(&shown) <= 30,
                "{} cells: {}",
                cells(&shown),
                shown.text()
            );
            // The character under the cursor is the one it stood on.
            assert_eq!(
                shown.split().1.trim_end_matches('…').chars().next(),
                line.split().1.chars().next(),
                "{from_end}"
            );
        }
    }

    #[test]
    fn a_line_that_fits_is_shown_as_it_is_and_a_long_one_around_its_cursor() {
        let line = at("verb:get", 3);
        assert_eq!(around_cursor(&line, 20).text(), "verb:get");
        let long = at(&"abcdefghij".repeat(10), 50);
        let shown = around_cursor(&long, 20);
        assert!(cells(&shown) <= 20, "{}", shown.text());
        assert!(shown.text().starts_with('…') && shown.text().ends_with('…'));
        assert_eq!(shown.split().1.chars().next(), Some('a'));
    }
}

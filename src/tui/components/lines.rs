//! A list of lines with a cursor, and below it the line under the cursor in full (wrapped):
//! the layout of the session and coverage views, whose lines are longer than a small
//! terminal is wide (an exec's decoded command, a blind spot's cost). Every text drawn here
//! has passed [`clean`](crate::tui::theme::clean) in the view that made it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{Ctx, columns, scroll_to};
use crate::tui::theme;

/// Lines of the pane that shows the line under the cursor in full (a rule, three lines).
const PANE: u16 = 4;

/// The cursor and the first line shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub line: usize,
    pub scroll: usize,
}

impl Cursor {
    /// Puts the cursor on `pos`, keeping it in sight.
    pub fn select(&mut self, pos: u64, ctx: &Ctx<'_>) {
        self.line = usize::try_from(pos).unwrap_or(usize::MAX);
        let scroll = scroll_to(pos, self.scroll as u64, visible(ctx.size));
        self.scroll = usize::try_from(scroll).unwrap_or(usize::MAX);
    }

    /// The line a click on `line` of the table body (one below the list's first line)
    /// selects.
    pub fn clicked(&self, line: u64, len: u64) -> Option<u64> {
        let pos = self.scroll as u64 + line + 1;
        (pos < len).then_some(pos)
    }
}

/// How many lines of the list a screen of `size` shows (its header, filters and status
/// lines, the border and the pane taken away).
pub fn visible(size: (u16, u16)) -> u64 {
    let inner = size.1.saturating_sub(3 + 2);
    u64::from(inner.saturating_sub(pane(inner)).max(1))
}

/// The height of the pane below a list `inner` lines high (its rule included): more on a
/// tall screen, where three lines cut a long command short; none on a very short one.
fn pane(inner: u16) -> u16 {
    if inner >= 34 {
        PANE * 2 + 2
    } else if inner > PANE + 2 {
        PANE
    } else {
        0
    }
}

/// Draws `lines` in a bordered box titled `title`, the cursor's line lit, and `full` (the
/// cursor's line in full) wrapped in the pane below.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    cursor: Cursor,
    full: Option<Vec<Line<'static>>>,
) {
    // The title and the lines are cut with `…` where they end, not clipped by the border.
    let title = columns::truncate(title, area.width.saturating_sub(2));
    let block = Block::bordered().title(Line::from(title).style(theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let pane = pane(inner.height);
    let [list, below] = inner.layout(&Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(pane),
    ]));
    let shown: Vec<Line<'static>> = lines
        .into_iter()
        .enumerate()
        .skip(cursor.scroll)
        .take(usize::from(list.height))
        .map(|(i, l)| {
            let l = columns::cut_line(l, usize::from(list.width));
            if i == cursor.line { lit(l) } else { l }
        })
        .collect();
    frame.render_widget(Paragraph::new(shown), list);
    if pane == 0 {
        return;
    }
    let mut text = vec![Line::from(Span::styled(
        "─".repeat(usize::from(below.width)),
        theme::dim(),
    ))];
    text.extend(full.unwrap_or_default());
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), below);
}

/// The line under the cursor: on the selection's grey, its dim parts made readable (grey on
/// grey they could not be read).
fn lit(mut line: Line<'static>) -> Line<'static> {
    for span in &mut line.spans {
        if span.style.fg == theme::dim().fg {
            span.style.fg = Some(ratatui::style::Color::Gray);
        }
    }
    line.style(theme::selected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_the_selected_line_drew_its_dim_parts_grey_on_grey() {
        let line = Line::from(vec![
            Span::styled("12:05:15", theme::dim()),
            Span::raw("  kubectl get pods"),
        ]);
        let lit = lit(line);
        assert_eq!(lit.style.bg, theme::selected().bg);
        for span in &lit.spans {
            assert_ne!(span.style.fg, lit.style.bg, "{:?} unreadable", span.content);
        }
    }

    #[test]
    fn a_line_cut_to_its_width_ends_in_an_ellipsis_in_the_style_it_cut() {
        let line = Line::from(vec![
            Span::styled("abc", theme::dim()),
            Span::styled("名前名前", theme::title()),
        ]);
        let cut = columns::cut_line(line.clone(), 8);
        assert_eq!(cut.width(), 8);
        assert_eq!(cut.to_string(), "abc名前…");
        assert_eq!(cut.spans.last().map(|s| s.style), Some(theme::title()));
        assert_eq!(columns::cut_line(line.clone(), 11), line, "it fits");
        assert_eq!(columns::cut_line(line, 4).to_string(), "abc…");
    }
}

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
    u64::from(size.1.saturating_sub(3 + 2 + PANE).max(1))
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
    let pane = if inner.height > PANE + 2 { PANE } else { 0 };
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
            let l = cut(l, usize::from(list.width));
            if i == cursor.line {
                l.style(theme::selected())
            } else {
                l
            }
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
/// `line` cut to `width` cells, ending in `…` (in the style of the text it cuts) when cut.
fn cut(line: Line<'static>, width: usize) -> Line<'static> {
    if width == 0 || line.width() <= width {
        return line;
    }
    let (style, alignment) = (line.style, line.alignment);
    let room = width - 1;
    let mut used = 0;
    let mut spans = Vec::new();
    let mut cut_style = style;
    for span in line.spans {
        cut_style = span.style;
        let w = span.width();
        if used + w <= room {
            used += w;
            spans.push(span);
            continue;
        }
        let mut text = String::new();
        let mut buf = [0u8; 4];
        for ch in span.content.chars() {
            let cw = columns::width_of(ch.encode_utf8(&mut buf));
            if used + cw > room {
                break;
            }
            used += cw;
            text.push(ch);
        }
        spans.push(Span::styled(text, span.style));
        break;
    }
    spans.push(Span::styled("…", cut_style));
    Line {
        spans,
        style,
        alignment,
    }
}

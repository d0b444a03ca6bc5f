//! The screen's regions, computed the same way by rendering and by mouse handling, and the
//! table geometry the pure app needs as plain numbers.

use ratatui::layout::{Constraint, Layout, Rect};

/// The fixed regions of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regions {
    pub header: Rect,
    pub filters: Rect,
    pub main: Rect,
    pub status: Rect,
}

pub fn regions(area: Rect) -> Regions {
    let [header, filters, main, status] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ]));
    Regions {
        header,
        filters,
        main,
        status,
    }
}

/// Rows of a table's body in `main` (a border line above and below, a header row).
pub fn table_body(main: Rect) -> Rect {
    Rect {
        x: main.x + 1,
        y: main.y + 2,
        width: main.width.saturating_sub(2),
        height: main.height.saturating_sub(3),
    }
}

/// How many body rows a table in `main` shows, for a screen of `size` (columns, rows).
pub fn table_rows(size: (u16, u16)) -> usize {
    screen_body(size).height.max(1) as usize
}

/// The line of the table body at screen cell (`column`, `row`), if the cell is in it.
pub fn body_line(size: (u16, u16), column: u16, row: u16) -> Option<u16> {
    let body = screen_body(size);
    let inside = row >= body.y && row < body.y + body.height && column >= body.x;
    inside.then(|| row - body.y)
}

fn screen_body(size: (u16, u16)) -> Rect {
    table_body(regions(Rect::new(0, 0, size.0, size.1)).main)
}

/// Screen rows `lines` take once wrapped (without trimming) to `width` columns.
pub fn wrapped_rows(lines: &[ratatui::text::Line<'_>], width: u16) -> usize {
    use ratatui::widgets::{Paragraph, Wrap};
    Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_is_a_line_of_the_table_body() {
        // Header, filters, the table's border and header row come first.
        assert_eq!(body_line((120, 40), 3, 4), Some(0));
        assert_eq!(body_line((120, 40), 3, 7), Some(3));
        assert_eq!(body_line((120, 40), 3, 3), None, "the table's header row");
        assert_eq!(body_line((120, 40), 0, 7), None, "the border");
        assert_eq!(body_line((120, 40), 3, 38), None, "the bottom border");
        assert_eq!(table_rows((120, 40)), 34);
    }
}

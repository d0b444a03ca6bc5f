//! The screen's regions, computed the same way by rendering and by mouse handling.

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

/// How many body rows a table in `main` shows.
pub fn table_rows(size: (u16, u16)) -> usize {
    let r = regions(Rect::new(0, 0, size.0, size.1));
    table_body(r.main).height.max(1) as usize
}

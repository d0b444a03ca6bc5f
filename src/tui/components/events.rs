//! The events view: a window of loaded rows over the whole (virtual) result of the filter,
//! in time order; search matches highlighted. Pages load around the cursor as it moves.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::columns::{self, Col};
use super::{Component, Ctx, Intent, scroll_to};
use crate::model::EventRow;
use crate::query::Expr;
use crate::tui::action::Action;
use crate::tui::highlight;
use crate::tui::layout;
use crate::tui::protocol::Request;
use crate::tui::theme::{self, clean};

/// Rows asked of the index at a time.
pub const PAGE: usize = 256;

/// The events table: a window of loaded rows over the whole (virtual) result.
#[derive(Debug, Clone, Default)]
pub struct EventsState {
    pub total: Option<u64>,
    pub offset: u64,
    pub rows: Vec<EventRow<'static>>,
    pub matches: Vec<bool>,
    pub selected: u64,
    pub scroll: u64,
    /// The filter the rows belong to.
    pub loaded_for: Option<Expr>,
    /// After the next page arrives, select the row at this position.
    pub focus: Option<u64>,
    /// The column cursor: the column `c` copies (an index of the table's columns).
    pub column: usize,
}

impl EventsState {
    pub fn row(&self, pos: u64) -> Option<&EventRow<'static>> {
        pos.checked_sub(self.offset)
            .and_then(|i| self.rows.get(usize::try_from(i).ok()?))
    }

    pub fn is_match(&self, pos: u64) -> bool {
        pos.checked_sub(self.offset)
            .and_then(|i| self.matches.get(usize::try_from(i).ok()?))
            .copied()
            .unwrap_or(false)
    }

    /// The row under the cursor, when loaded.
    pub fn selected_row(&self) -> Option<&EventRow<'static>> {
        self.row(self.selected)
    }

    /// The page of rows around position `around`, of the filter the rows belong to.
    pub fn page_request(&self, around: u64, ctx: &Ctx<'_>) -> Request {
        Request::Page {
            id: 0,
            expr: self.loaded_for.clone().unwrap_or_else(|| ctx.filter.expr()),
            offset: around.saturating_sub(PAGE as u64 / 2),
            limit: PAGE,
            search: ctx.search.cloned(),
        }
    }

    /// Loads rows when the selection nears the edge of the loaded window.
    fn ensure_rows(&self, ctx: &Ctx<'_>) -> Option<Request> {
        let total = self.total?;
        let end = self.offset + self.rows.len() as u64;
        let margin = ctx.page_rows();
        let need_before = self.offset > 0 && self.selected < self.offset + margin;
        let need_after = end < total && self.selected + margin >= end;
        if self.rows.is_empty() && total > 0 || need_before || need_after {
            return Some(self.page_request(self.selected, ctx));
        }
        None
    }

    /// A page arrived: shows it, and selects the row asked for by [`EventsState::focus`].
    pub fn on_page(
        &mut self,
        (total, offset): (u64, u64),
        rows: Vec<EventRow<'static>>,
        matches: Vec<bool>,
        ctx: &Ctx<'_>,
    ) {
        self.total = Some(total);
        self.offset = offset;
        self.rows = rows;
        self.matches = matches;
        if let Some(focus) = self.focus.take() {
            self.selected = focus.min(total.saturating_sub(1));
            self.scroll = self.selected.saturating_sub(ctx.page_rows() / 3);
        }
        if self.selected >= total {
            self.selected = total.saturating_sub(1);
        }
        self.clamp_scroll(ctx);
    }

    /// Keeps the window full: never scrolled past the last page (rows that fit the screen are
    /// all shown, none hidden above an empty space).
    pub fn clamp_scroll(&mut self, ctx: &Ctx<'_>) {
        let total = self.total.unwrap_or(0);
        self.scroll = self.scroll.min(total.saturating_sub(ctx.page_rows()));
    }

    /// Clears the search highlights.
    pub fn clear_matches(&mut self) {
        self.matches.iter_mut().for_each(|m| *m = false);
    }
}

impl Component for EventsState {
    fn identity(&self, _ctx: &Ctx<'_>) -> Option<super::Focus> {
        let r = self.selected_row()?;
        super::Focus::of(&r.user, Some(&r.audit_id))
    }

    fn len(&self, _ctx: &Ctx<'_>) -> u64 {
        self.total.unwrap_or(0)
    }

    fn position(&self) -> u64 {
        self.selected
    }

    fn select(&mut self, pos: u64, ctx: &Ctx<'_>) -> Option<Request> {
        self.selected = pos;
        self.scroll = scroll_to(pos, self.scroll, ctx.page_rows());
        self.ensure_rows(ctx)
    }

    fn on_action(&mut self, action: &Action, ctx: &Ctx<'_>) -> Intent {
        let Some(row) = self.selected_row() else {
            return Intent::Ignored;
        };
        match action {
            Action::Open => Intent::Detail {
                handle: Some(row.handle),
                request: Request::Event {
                    id: 0,
                    handle: row.handle,
                },
            },
            Action::Copy => Intent::Copy(value(
                row,
                columns::visible(self.column, &widths(ctx.size.0, ctx.dated)),
            )),
            Action::Left | Action::Right => {
                let step = if *action == Action::Left { -1 } else { 1 };
                self.column = columns::step(self.column, step, &widths(ctx.size.0, ctx.dated));
                Intent::Done
            }
            _ => Intent::Ignored,
        }
    }

    /// A new filter resets the table and asks for its first page; else the rows near the
    /// cursor, when missing.
    fn refresh(&mut self, ctx: &Ctx<'_>) -> Option<Request> {
        let expr = ctx.filter.expr();
        if self.loaded_for.as_ref() != Some(&expr) {
            *self = EventsState {
                loaded_for: Some(expr),
                focus: self.focus,
                column: self.column,
                ..EventsState::default()
            };
            return Some(self.page_request(0, ctx));
        }
        self.ensure_rows(ctx)
    }

    fn clicked(&self, line: u64, _ctx: &Ctx<'_>) -> Option<u64> {
        Some(self.scroll + line)
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        render_table(self, ctx, frame, area);
    }

    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        EVENT_SHORTCUTS
    }
}

/// The hints of the views on one event (the events table, the detail).
pub const EVENT_SHORTCUTS: &[(Action, &str)] = &[
    (Action::PivotMenu, "pivot"),
    (Action::AroundMinute, "±1m"),
    (Action::ToggleMark, "mark"),
    (Action::Tag, "tag"),
    (Action::Note, "note"),
    (Action::Copy, "copy"),
];

/// The events table's columns, in order (see [`columns`]).
pub const COLUMNS: [Col; 10] = [
    Col::new(" ", 2, 2, 0).keep(),
    Col::new("TIME", 8, 23, 6).keep(),
    Col::new("ACCOUNT", 12, 24, 0).keep().grow(),
    Col::new("VERB", 6, 7, 4),
    Col::new("RESOURCE", 11, 20, 1).keep(),
    Col::new("NAMESPACE/NAME", 12, 32, 3),
    Col::new("SOURCE IP", 11, 15, 5),
    Col::new("CODE", 4, 4, 7),
    Col::new("SUMMARY", 16, 40, 2).grow(),
    Col::new("AUDIT ID", 12, 13, 8),
];

/// The column `c` copies at first: the marks', which copies the audit ID.
pub const FIRST_COLUMN: usize = 0;

/// The columns' widths for a screen `ctx.size` wide (inside the table's borders).
/// The columns' widths; `dated` (the data spans days): the time column at least wide
/// enough for `03-14 11:41:02`.
fn widths(width: u16, dated: bool) -> Vec<u16> {
    let mut cols = COLUMNS;
    if dated {
        cols[1] = Col::new("TIME", 14, 23, 6).keep();
    }
    columns::fit(&cols, width.saturating_sub(2))
}

/// The value of a column of a row, whole: what `c` copies.
fn value(s: &EventRow<'_>, col: usize) -> String {
    match col {
        1 => s.time.rfc3339(),
        2 => s.user.to_string(),
        3 => s.verb.to_string(),
        4 => s.resource_or_path(),
        5 => s.target(),
        6 => s.peer().to_owned(),
        7 => s.code.map(|c| c.to_string()).unwrap_or_default(),
        8 => summary(s),
        _ => s.audit_id.to_string(),
    }
}

/// What an event did, in a line: the decoded exec command (`$ …`), else the user agent.
pub fn summary(s: &EventRow<'_>) -> String {
    match s.command_line() {
        "" => s.user_agent.to_string(),
        cmd => format!("$ {cmd}"),
    }
}

/// A row's cell of column `col`, `width` wide.
fn cell(
    s: &EventRow<'_>,
    col: usize,
    width: u16,
    (with_code, whole_accounts): (bool, bool),
    ctx: &Ctx<'_>,
) -> Cell<'static> {
    match col {
        1 => Cell::from(columns::dated_time_cell(s.time, ctx.tz, width, ctx.dated)),
        0 => {
            let marked = ctx.finding_of.contains_key(&*s.audit_id);
            let bookmarked = ctx.case.is_marked(&s.audit_id);
            Cell::from(Span::styled(
                match (marked, bookmarked) {
                    (true, true) => "●★",
                    (true, false) => "● ",
                    (false, true) => " ★",
                    (false, false) => "  ",
                },
                theme::marker(),
            ))
        }
        // Whole when every account on screen is, else all in their short form (a column
        // mixing `sa:ci/deployer` and `system:serviceaccount:shop:web` read as two kinds).
        // A request that failed authentication names no user.
        2 if s.user.is_empty() => Cell::from(Span::styled(
            columns::truncate("(no user)", width),
            theme::dim(),
        )),
        2 if whole_accounts => Cell::from(columns::account_cell(&clean(&s.user), width)),
        2 => Cell::from(columns::truncate(
            &columns::short_account(&clean(&s.user)),
            width,
        )),
        // Without the CODE column (a narrow screen) a failed request's summary starts with
        // its code: a denied request must not read as a success.
        8 if !with_code && s.code.is_some_and(|c| c >= 400) => {
            let code = format!("{} ", s.code.unwrap_or_default());
            let rest = width.saturating_sub(u16::try_from(code.len()).unwrap_or(u16::MAX));
            Cell::from(Line::from(vec![
                Span::styled(code, theme::severity_style(crate::detect::Severity::High)),
                Span::raw(columns::truncate(&clean(&value(s, col)), rest)),
            ]))
        }
        _ => Cell::from(columns::truncate(&clean(&value(s, col)), width)),
    }
}

fn render_table(e: &EventsState, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
    let visible = u64::from(layout::table_body(area).height);
    let widths = widths(area.width, ctx.dated);
    let shown = columns::shown(&widths);
    let with_code = shown.contains(&7);
    let cursor = columns::visible(e.column, &widths);
    let header = Row::new(shown.iter().map(|&i| {
        let title = if i == 1 {
            format!("TIME ({})", ctx.tz_name)
        } else {
            COLUMNS[i].title.to_owned()
        };
        columns::header_cell(&title, widths[i], i == cursor)
    }))
    .style(theme::header_row());
    let total = e.total.unwrap_or(0);
    let mut rows = Vec::new();
    let end = (e.scroll + visible).min(total);
    let whole_accounts = (e.scroll..end).filter_map(|p| e.row(p)).all(|s| {
        widths[2] >= columns::SHORT_ACCOUNTS
            && columns::width_of(&clean(&s.user)) <= usize::from(widths[2])
    });
    for pos in e.scroll..end {
        let row = match e.row(pos) {
            Some(s) => Row::new(
                shown
                    .iter()
                    .map(|&i| cell(s, i, widths[i], (with_code, whole_accounts), ctx)),
            ),
            None => Row::new(vec![Cell::from(Span::styled("…", theme::dim()))]),
        };
        rows.push(row);
    }
    let constraints: Vec<Constraint> = shown
        .iter()
        .map(|&i| Constraint::Length(widths[i]))
        .collect();
    let count = match e.total {
        Some(t) => format!("{t} matching"),
        None => "loading…".to_owned(),
    };
    let pos = if total > 0 {
        format!(" · row {} of {total}", e.selected + 1)
    } else {
        String::new()
    };
    let copies = if cursor == FIRST_COLUMN {
        "audit ID"
    } else {
        COLUMNS[cursor].title
    };
    let legend = if area.width >= 100 {
        " (● in a finding, ★ in the case)"
    } else {
        ""
    };
    let title = format!(" events — {count}{pos} · c copies {copies}{legend} ");
    let table = Table::new(rows, constraints)
        .header(header)
        .column_spacing(columns::SPACING)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected())
        .cell_highlight_style(theme::cell_cursor());
    let selected = (total > 0)
        .then(|| usize::try_from(e.selected.saturating_sub(e.scroll)).unwrap_or(usize::MAX));
    let column = shown.iter().position(|&i| i == cursor);
    let mut state = TableState::default()
        .with_selected(selected)
        .with_selected_column(column);
    frame.render_stateful_widget(table, area, &mut state);
    if let Some(search) = ctx.search {
        let needles = highlight::needles(search);
        let body = layout::table_body(area);
        let is_match = |line: u16| e.is_match(e.scroll + u64::from(line));
        highlight::mark_matches(frame.buffer_mut(), body, &needles, is_match);
    }
    if e.total == Some(0) {
        let body = layout::table_body(area);
        let mut lines = vec![Line::from(Span::styled(
            if ctx.filter.is_empty() {
                "the index holds no events (`kubesift stats` lists its inputs and what was rejected)"
            } else {
                "no event matches the filters (x clears them, [ goes back)"
            },
            theme::dim(),
        ))];
        // A word that looks like a condition but is not one says what it was taken for.
        for h in ctx.filter.expr().hints() {
            lines.push(Line::from(Span::styled(
                theme::clean(&format!("note: {h}")).into_owned(),
                theme::dim(),
            )));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::components::testing::{Shared, row};

    fn loaded(total: u64, ctx: &Ctx<'_>) -> EventsState {
        let mut e = EventsState::default();
        assert!(matches!(
            e.refresh(ctx),
            Some(Request::Page { offset: 0, .. })
        ));
        let rows: Vec<_> = (0..total.min(PAGE as u64)).map(row).collect();
        let n = rows.len();
        e.on_page((total, 0), rows, vec![false; n], ctx);
        e
    }

    #[test]
    fn the_cursor_scrolls_the_window_and_asks_for_the_rows_it_nears() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut e = loaded(1_000_000, &ctx);
        assert_eq!(e.refresh(&ctx), None, "the rows on screen are loaded");
        let req = e.select(999_999, &ctx);
        assert_eq!(e.scroll, 999_999 + 1 - ctx.page_rows());
        match req {
            Some(Request::Page { offset, .. }) => assert!(offset > 999_000, "{offset}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(e.clicked(2, &ctx), Some(e.scroll + 2));
    }

    #[test]
    fn a_page_selects_the_row_it_was_asked_for() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut e = loaded(3, &ctx);
        e.focus = Some(40);
        e.on_page((10, 0), (0..10).map(row).collect(), vec![true; 10], &ctx);
        assert_eq!(e.selected, 9, "clamped to the last row");
        assert!(e.is_match(9));
        e.clear_matches();
        assert!(!e.is_match(9));
    }

    #[test]
    fn open_asks_for_the_event_and_copy_takes_its_audit_id() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut e = loaded(3, &ctx);
        e.select(1, &ctx);
        assert!(matches!(
            e.on_action(&Action::Open, &ctx),
            Intent::Detail {
                handle: Some(1001),
                request: Request::Event { handle: 1001, .. }
            }
        ));
        assert_eq!(
            e.on_action(&Action::Copy, &ctx),
            Intent::Copy("id-1".into())
        );
    }

    #[test]
    fn regression_copy_always_took_the_audit_id_the_column_cursor_picks_the_value() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut e = loaded(3, &ctx);
        e.select(1, &ctx);
        assert_eq!(e.on_action(&Action::Right, &ctx), Intent::Done);
        e.on_action(&Action::Right, &ctx);
        assert_eq!(
            e.on_action(&Action::Copy, &ctx),
            Intent::Copy("system:serviceaccount:shop:web".into())
        );
        for _ in 0..20 {
            e.on_action(&Action::Right, &ctx);
        }
        let last = e.on_action(&Action::Copy, &ctx);
        assert_eq!(
            last,
            Intent::Copy("id-1".into()),
            "the last column shown: the audit ID"
        );
        e.on_action(&Action::Left, &ctx);
        assert_eq!(
            e.on_action(&Action::Copy, &ctx),
            Intent::Copy("kubectl/v1.30.0".into()),
            "the summary: the user agent of a request that ran no command"
        );
    }

    #[test]
    fn regression_events_table_lacked_the_decoded_exec_command() {
        let mut r = row(1);
        r.exec = crate::model::ExecInfo::from_request(
            "pods",
            "exec",
            "/api/v1/namespaces/shop/pods/web-1/exec?command=bash&command=-c&command=id&stdout=true",
        )
        .map(std::borrow::Cow::Owned);
        assert_eq!(summary(&r), "$ bash -c id");
        assert_eq!(summary(&row(2)), "kubectl/v1.30.0");
    }
}

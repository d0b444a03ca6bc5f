//! The Case view: bookmarks in time order, with the time since the previous one, tags and
//! the note; Enter opens the bookmarked event. (Marking, tags, notes and the export dialog
//! are the app's: they work from several views, see `app/case.rs`.)

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::columns::{self, Col};
use super::{Component, Ctx, Intent};
use crate::case::{Case, EventRef};
use crate::model::time::format_duration;
use crate::tui::action::Action;
use crate::tui::layout;
use crate::tui::protocol::Request;
use crate::tui::theme::{self, clean};

/// The bookmarks table's cursor.
#[derive(Debug, Clone, Default)]
pub struct CaseView {
    pub selected: usize,
    /// The column cursor: the column `c` copies (an index of the table's columns).
    pub column: usize,
}

/// The case table's columns, in order (see [`columns`]); the cursor starts on the audit ID.
const COLUMNS: [Col; 6] = [
    Col::new("AUDIT ID", 12, 36, 5),
    Col::new("TIME", 8, 23, 2).keep(),
    Col::new("Δ", 7, 10, 3),
    Col::new("EVENT", 24, 50, 0).keep().grow(),
    Col::new("TAGS", 8, 24, 1),
    Col::new("NOTE", 10, 40, 4).grow(),
];

/// The columns' widths for a screen `width` wide (inside the table's borders).
fn widths(width: u16) -> Vec<u16> {
    columns::fit(&COLUMNS, width.saturating_sub(2))
}

/// The values of the bookmarks' columns, whole, in time order: what is shown (shortened) and
/// what `c` copies.
fn values(ctx: &Ctx<'_>) -> Vec<[String; 6]> {
    let mut prev: Option<crate::model::Micros> = None;
    ctx.case
        .timeline()
        .iter()
        .map(|(id, b)| {
            let t = b.time_micros();
            let delta = match (prev, t) {
                (Some(p), Some(t)) => format!("+{}", delta(t.0 - p.0)),
                _ => String::new(),
            };
            prev = t.or(prev);
            [
                (*id).clone(),
                b.time.clone(),
                delta,
                b.summary.clone(),
                b.tags.join(", "),
                b.note.clone(),
            ]
        })
        .collect()
}

/// The time between two bookmarks in at most six characters, so that the column never cuts
/// it (`+21m0…` was all of `+21m03s` it showed): seconds under an hour, minutes under a day.
fn delta(micros: i64) -> String {
    let secs = micros.max(0) / 1_000_000;
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match secs {
        0..3600 => format_duration(micros.max(0)),
        3600..86_400 => format!("{h}h{m:02}m"),
        _ => format!("{d}d{h:02}h"),
    }
}

impl CaseView {
    /// The selected bookmark.
    pub fn target(&self, case: &Case) -> Option<EventRef> {
        let timeline = case.timeline();
        let (id, b) = timeline.get(self.selected)?;
        Some(EventRef {
            audit_id: (*id).clone(),
            time: b.time_micros(),
            summary: b.summary.clone(),
        })
    }

    /// Keeps the cursor on a bookmark after the case changed.
    pub fn clamp(&mut self, case: &Case) {
        let n = case.events.len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }
}

impl Component for CaseView {
    /// The selected bookmark's account: its summary's first word (`alice get secrets …`), as
    /// the case records it; a bookmark recorded without its event (`event ID`) has none.
    fn identity(&self, ctx: &Ctx<'_>) -> Option<super::Focus> {
        let e = self.target(ctx.case)?;
        let user = e.summary.split_whitespace().next()?;
        if user == "event" && e.summary.split_whitespace().nth(1) == Some(e.audit_id.as_str()) {
            return None;
        }
        super::Focus::of(user, Some(&e.audit_id))
    }

    fn len(&self, ctx: &Ctx<'_>) -> u64 {
        ctx.case.events.len() as u64
    }

    fn position(&self) -> u64 {
        self.selected as u64
    }

    fn select(&mut self, pos: u64, _ctx: &Ctx<'_>) -> Option<Request> {
        self.selected = usize::try_from(pos).unwrap_or(usize::MAX);
        None
    }

    fn on_action(&mut self, action: &Action, ctx: &Ctx<'_>) -> Intent {
        let Some(ev) = self.target(ctx.case) else {
            return Intent::Ignored;
        };
        match action {
            Action::Open => Intent::Detail {
                handle: None,
                request: Request::EventById {
                    id: 0,
                    audit_id: ev.audit_id,
                },
            },
            Action::Copy => {
                let col = columns::visible(self.column, &widths(ctx.size.0));
                let all = values(ctx);
                let value = all
                    .get(self.selected)
                    .map_or(ev.audit_id, |v| v[col].clone());
                Intent::Copy(value)
            }
            Action::Left | Action::Right => {
                let step = if *action == Action::Left { -1 } else { 1 };
                self.column = columns::step(self.column, step, &widths(ctx.size.0));
                Intent::Done
            }
            _ => Intent::Ignored,
        }
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        render_case(self, ctx, frame, area);
    }

    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::ToggleMark, "unmark"),
            (Action::Tag, "tag"),
            (Action::Note, "note"),
            (Action::Export, "export"),
        ]
    }
}

/// A bookmark's cell of column `col`, `width` wide.
fn cell(v: &[String; 6], col: usize, width: u16, ctx: &Ctx<'_>) -> Cell<'static> {
    match col {
        1 => Cell::from(crate::model::Micros::parse(&v[1]).map_or_else(
            || columns::truncate(&clean(&v[1]), width),
            |t| columns::time_cell(t, ctx.tz, width),
        )),
        4 => Cell::from(Span::styled(
            columns::truncate(&clean(&v[4]), width),
            theme::chip(),
        )),
        5 => Cell::from(columns::truncate(
            &clean(v[5].lines().next().unwrap_or_default()),
            width,
        )),
        3 => Cell::from(columns::truncate(&clean(&short_summary(&v[3])), width)),
        _ => Cell::from(columns::truncate(&clean(&v[col]), width)),
    }
}

/// A bookmark's summary with its leading account in short form (`sa:shop/web get …`).
fn short_summary(summary: &str) -> String {
    match summary.split_once(' ') {
        Some((account, rest)) => format!("{} {rest}", columns::short_account(account)),
        None => summary.to_owned(),
    }
}

fn render_case(view: &CaseView, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
    let cursor = view.selected;
    let timeline = ctx.case.timeline();
    // The note pane grows with the selected bookmark's note, up to half the view.
    let (about_lines, keep) = pane_lines(timeline.get(cursor).copied(), ctx);
    let rows = layout::wrapped_rows(&about_lines, area.width.saturating_sub(2));
    let most = (area.height / 2).max(8);
    let about_height = u16::try_from(rows)
        .unwrap_or(u16::MAX)
        .saturating_add(2)
        .clamp(8, most);
    let [list, about] = area.layout(&Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(about_height),
    ]));
    let widths = widths(area.width);
    let shown = columns::shown(&widths);
    let column = columns::visible(view.column, &widths);
    let header = Row::new(shown.iter().map(|&i| {
        let title = if i == 1 {
            format!("TIME ({})", ctx.tz_name)
        } else {
            COLUMNS[i].title.to_owned()
        };
        columns::header_cell(&title, widths[i], i == column)
    }))
    .style(theme::header_row());
    let rows = values(ctx)
        .into_iter()
        .map(|v| Row::new(shown.iter().map(|&i| cell(&v, i, widths[i], ctx))))
        .collect::<Vec<_>>();
    let constraints: Vec<Constraint> = shown
        .iter()
        .map(|&i| Constraint::Length(widths[i]))
        .collect();
    let copies = COLUMNS[column].title;
    let title = if ctx.case.title.is_empty() {
        format!(
            " case — {} · c copies {copies} ",
            crate::model::plural(timeline.len(), "bookmark")
        )
    } else {
        format!(
            " case {} — {} · c copies {copies} ",
            clean(&ctx.case.title),
            crate::model::plural(timeline.len(), "bookmark")
        )
    };
    let table = Table::new(rows, constraints)
        .header(header)
        .column_spacing(columns::SPACING)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected())
        .cell_highlight_style(theme::cell_cursor());
    let selected = (!timeline.is_empty()).then_some(cursor);
    let at = shown.iter().position(|&i| i == column);
    let mut state = TableState::default()
        .with_selected(selected)
        .with_selected_column(at);
    frame.render_stateful_widget(table, list, &mut state);
    if timeline.is_empty() {
        let msg = match ctx.case_error {
            Some(e) => format!("the case file could not be read: {}", clean(&e.to_string())),
            None => "no bookmarks yet: m marks an event in the events or detail view".to_owned(),
        };
        frame.render_widget(
            Line::from(Span::styled(msg, theme::dim())),
            layout::table_body(list),
        );
    }

    note_pane(about_lines, keep, frame, about);
}

/// The lines of the note pane: the selected bookmark's audit ID, tags and event, its whole
/// note, and the saved filters; and how many lines lead (kept whatever the pane's height).
fn pane_lines(
    selected: Option<(&String, &crate::case::Bookmark)>,
    ctx: &Ctx<'_>,
) -> (Vec<Line<'static>>, usize) {
    let mut lines = Vec::new();
    if let Some((id, b)) = selected {
        lines.push(Line::from(vec![
            Span::styled("audit ID ", theme::label()),
            Span::raw(clean(id).into_owned()),
            Span::styled("   bookmarked ", theme::label()),
            Span::raw(clean(&b.added).into_owned()),
        ]));
        if !b.tags.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("tags ", theme::label()),
                Span::raw(clean(&b.tags.join(", ")).into_owned()),
            ]));
        }
        lines.push(Line::from(vec![
            Span::styled("event ", theme::label()),
            Span::raw(clean(&b.summary).into_owned()),
        ]));
    }
    let keep = lines.len();
    if let Some((_, b)) = selected {
        for l in b.note.lines() {
            lines.push(Line::from(clean(l).into_owned()));
        }
    }
    if !ctx.case.filters.is_empty() {
        let saved: Vec<String> = ctx
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
    (lines, keep)
}

/// The note pane, its lines cut with a sign when they do not fit (but the `keep` first).
fn note_pane(mut lines: Vec<Line<'static>>, keep: usize, frame: &mut Frame, about: Rect) {
    let block = Block::bordered().title(
        Line::from(" note (enter: the event · m unmark · # tags · a note · X export) ")
            .style(theme::title()),
    );
    cut_to_fit(
        &mut lines,
        keep,
        about.width.saturating_sub(2),
        usize::from(about.height.saturating_sub(2)),
    );
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        about,
    );
}

/// Cuts lines that wrap to more rows than `rows` at `width`, saying so on the last row: a
/// long note was cut at the pane's edge without a sign.
fn cut_to_fit(lines: &mut Vec<Line<'static>>, keep: usize, width: u16, rows: usize) {
    if rows == 0 || layout::wrapped_rows(lines, width) <= rows {
        return;
    }
    let marker = Line::from(Span::styled("… (a shows the whole note)", theme::dim()));
    while lines.len() > keep {
        lines.push(marker.clone());
        let fits = layout::wrapped_rows(lines, width) <= rows;
        lines.pop();
        if fits {
            break;
        }
        lines.pop();
    }
    lines.push(marker);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseOp;
    use crate::model::Micros;
    use crate::tui::components::testing::Shared;

    fn mark(case: &mut Case, id: &str, secs: i64) {
        case.apply(
            CaseOp::Toggle(EventRef {
                audit_id: id.into(),
                time: Some(Micros(secs * 1_000_000)),
                summary: format!("event {id}"),
            }),
            Micros(0),
        );
    }

    #[test]
    fn opens_and_copies_the_selected_bookmark_in_time_order() {
        let mut shared = Shared::default();
        mark(&mut shared.case, "late", 20);
        mark(&mut shared.case, "early", 10);
        let ctx = shared.ctx();
        let mut c = CaseView::default();
        assert_eq!(c.len(&ctx), 2);
        c.select(1, &ctx);
        assert!(matches!(
            c.on_action(&Action::Open, &ctx),
            Intent::Detail { handle: None, request: Request::EventById { audit_id, .. } } if audit_id == "late"
        ));
        assert_eq!(
            c.on_action(&Action::Copy, &ctx),
            Intent::Copy("late".into())
        );
        let mut fewer = shared.case.clone();
        fewer.events.remove("late");
        c.clamp(&fewer);
        assert_eq!(c.selected, 0);
    }

    #[test]
    fn regression_s_on_a_bookmark_said_select_an_event_first() {
        let mut shared = Shared::default();
        mark(&mut shared.case, "unknown", 5);
        shared.case.apply(
            CaseOp::Toggle(EventRef {
                audit_id: "a1".into(),
                time: Some(Micros(10_000_000)),
                summary: "system:serviceaccount:shop:web create pods/exec shop/db-0 from 10.0.0.9"
                    .into(),
            }),
            Micros(0),
        );
        let ctx = shared.ctx();
        let mut c = CaseView::default();
        c.select(1, &ctx);
        assert_eq!(
            c.identity(&ctx),
            Some(crate::tui::components::Focus {
                account: "system:serviceaccount:shop:web".into(),
                audit_id: Some("a1".into()),
            })
        );
        // A bookmark recorded without its event names nobody.
        c.select(0, &ctx);
        assert_eq!(c.identity(&ctx), None);
    }

    #[test]
    fn regression_the_delta_column_cut_its_number() {
        for (micros, shown) in [
            (744_000, "744ms"),
            (3_200_000, "3.2s"),
            (21 * 60_000_000 + 3_000_000, "21m03s"),
            (5 * 3_600_000_000 + 7 * 60_000_000, "5h07m"),
            (3 * 86_400_000_000 + 2 * 3_600_000_000, "3d02h"),
        ] {
            let d = delta(micros);
            assert_eq!(d, shown);
            assert!(d.chars().count() < 7, "+{d} fits the column's 7");
        }
    }
}

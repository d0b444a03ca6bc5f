//! The Case view: bookmarks in time order, with the time since the previous one, tags and
//! the note; Enter opens the bookmarked event. (Marking, tags, notes and the export dialog
//! are the app's: they work from several views, see `app/case.rs`.)

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

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
    fn len(&self, ctx: &Ctx<'_>) -> u64 {
        ctx.case.events.len() as u64
    }

    fn position(&self) -> u64 {
        self.selected as u64
    }

    fn select(&mut self, pos: u64, _ctx: &Ctx<'_>) -> Option<Request> {
        self.selected = pos as usize;
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
            Action::Copy => Intent::Copy(ev.audit_id),
            _ => Intent::Ignored,
        }
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        render_case(self.selected, ctx, frame, area);
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

fn render_case(cursor: usize, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
    let [list, about] = area.layout(&Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(8),
    ]));
    let timeline = ctx.case.timeline();
    let header = Row::new([
        format!("TIME ({})", ctx.tz_name),
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
            Cell::from(t.map_or_else(|| clean(&b.time).into_owned(), |t| t.display_in(ctx.tz))),
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
    let title = if ctx.case.title.is_empty() {
        format!(" case — {} bookmarks ", timeline.len())
    } else {
        format!(
            " case {} — {} bookmarks ",
            clean(&ctx.case.title),
            timeline.len()
        )
    };
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected());
    let selected = (!timeline.is_empty()).then_some(cursor);
    let mut state = TableState::default().with_selected(selected);
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

    // The selected bookmark's whole note, and the saved filters.
    let mut lines = Vec::new();
    if let Some((id, b)) = timeline.get(cursor) {
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
}

//! The detections view: the findings, and why the selected one fired. Enter shows its
//! events.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Component, Ctx, Intent};
use crate::model::Micros;
use crate::query::Expr;
use crate::tui::action::Action;
use crate::tui::filter::Chip;
use crate::tui::layout;
use crate::tui::protocol::Request;
use crate::tui::theme::{self, clean};

/// The findings table's cursor.
#[derive(Debug, Clone, Default)]
pub struct Detections {
    pub selected: usize,
}

impl Component for Detections {
    fn len(&self, ctx: &Ctx<'_>) -> u64 {
        ctx.findings.len() as u64
    }

    fn position(&self) -> u64 {
        self.selected as u64
    }

    fn select(&mut self, pos: u64, _ctx: &Ctx<'_>) -> Option<Request> {
        self.selected = pos as usize;
        None
    }

    fn on_action(&mut self, action: &Action, ctx: &Ctx<'_>) -> Intent {
        let Some(f) = ctx.findings.get(self.selected) else {
            return Intent::Ignored;
        };
        match action {
            Action::Open => Intent::ShowEvents(Chip {
                label: format!("finding {} ({}, {} events)", f.rule_id, f.account, f.count),
                expr: Expr::AuditIds(std::sync::Arc::new(f.audit_ids.clone())),
            }),
            Action::Copy => Intent::Copy(f.summary.clone()),
            _ => Intent::Ignored,
        }
    }

    /// The table keeps the selected finding on its last line once it scrolls.
    fn clicked(&self, line: u64, ctx: &Ctx<'_>) -> Option<u64> {
        let first = (self.selected as u64 + 1).saturating_sub(ctx.page_rows());
        Some(first + line)
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        let [list, about] = area.layout(&Layout::vertical([
            Constraint::Min(5),
            Constraint::Length(9),
        ]));
        findings_table(ctx, self.selected, frame, list);
        finding_about(ctx, self.selected, frame, about);
    }
}

fn short_time(ctx: &Ctx<'_>, t: &str) -> String {
    Micros::parse(t).map_or_else(|| t.to_owned(), |m| m.display_in(ctx.tz)[..19].to_owned())
}

/// Why the selected finding fired, its history and the advice.
fn finding_about(ctx: &Ctx<'_>, selected: usize, frame: &mut Frame, area: Rect) {
    let Some(f) = ctx.findings.get(selected) else {
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} ", f.severity),
            theme::severity_style(f.severity),
        ),
        Span::styled(clean(&f.title).into_owned(), theme::title()),
        Span::styled(
            f.attack
                .as_ref()
                .map(|a| format!("  [{} {}]", a.id, a.name))
                .unwrap_or_default(),
            theme::dim(),
        ),
    ])];
    lines.push(Line::from(clean(&f.summary).into_owned()));
    if let Some(why) = f.evidence.get("why").and_then(|v| v.as_str()) {
        lines.push(Line::from(vec![
            Span::styled("why: ", theme::label()),
            Span::raw(clean(why).into_owned()),
        ]));
    }
    if let Some(h) = f.evidence.get("history").and_then(|v| v.as_array()) {
        let text: Vec<String> = h
            .iter()
            .filter_map(|x| x.as_str())
            .map(|x| clean(x).into_owned())
            .collect();
        lines.push(Line::from(vec![
            Span::styled("history: ", theme::label()),
            Span::raw(text.join("; ")),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("advice: ", theme::label()),
        Span::raw(clean(&f.advice).into_owned()),
    ]));
    let block =
        Block::bordered().title(Line::from(" finding (enter: its events) ").style(theme::title()));
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

fn findings_table(ctx: &Ctx<'_>, selected: usize, frame: &mut Frame, area: Rect) {
    let header = Row::new([
        "SEV", "RULE", "FAMILY", "ACCOUNT", "N", "FIRST", "LAST", "SUMMARY",
    ])
    .style(theme::header_row());
    let rows = ctx.findings.iter().map(|f| {
        Row::new(vec![
            Cell::from(Span::styled(
                f.severity.as_str(),
                theme::severity_style(f.severity),
            )),
            Cell::from(f.rule_id.clone()),
            Cell::from(f.family.as_str()),
            Cell::from(clean(&f.account).into_owned()),
            Cell::from(f.count.to_string()),
            Cell::from(short_time(ctx, &f.first_seen)),
            Cell::from(short_time(ctx, &f.last_seen)),
            Cell::from(clean(&f.summary).into_owned()),
        ])
    });
    let widths = [
        Constraint::Length(8),
        Constraint::Length(28),
        Constraint::Length(23),
        Constraint::Length(32),
        Constraint::Length(5),
        Constraint::Length(19),
        Constraint::Length(19),
        Constraint::Min(20),
    ];
    let title = format!(
        " detections — {} findings (times {}) ",
        ctx.findings.len(),
        ctx.tz_name
    );
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected())
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, area, &mut state);
    if ctx.findings.is_empty() {
        let body = layout::table_body(area);
        frame.render_widget(
            Line::from(Span::styled(
                "no findings: press 2 for the events",
                theme::dim(),
            )),
            body,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::components::testing::Shared;

    #[test]
    fn open_shows_the_events_of_the_finding_and_copy_its_summary() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut d = Detections::default();
        d.select(1, &ctx);
        assert_eq!(d.position(), 1);
        let Intent::ShowEvents(chip) = d.on_action(&Action::Open, &ctx) else {
            panic!("no chip")
        };
        assert!(chip.label.starts_with("finding KS-B"), "{}", chip.label);
        assert!(matches!(&chip.expr, Expr::AuditIds(ids) if ids.as_slice() == ["id-3"]));
        assert_eq!(
            d.on_action(&Action::Copy, &ctx),
            Intent::Copy("summary".into())
        );
        assert_eq!(d.on_action(&Action::MarkRange, &ctx), Intent::Ignored);
    }

    #[test]
    fn a_click_selects_the_row_under_it() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let d = Detections::default();
        assert_eq!(d.clicked(1, &ctx), Some(1));
    }
}

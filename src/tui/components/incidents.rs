//! The incidents view, the triage entry: the incidents (findings linked into attack
//! stories) with their identities, addresses and span. Enter opens an incident's story — a
//! vertical timeline of its findings, each with the link that ties it in; Enter on a step
//! shows its events, `h`/left goes back to the list.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, List, ListItem, ListState, Row, Table, TableState};

use super::{Component, Ctx, Intent};
use crate::incidents::Incident;
use crate::model::Micros;
use crate::query::Expr;
use crate::tui::action::Action;
use crate::tui::filter::Chip;
use crate::tui::theme::{self, clean};

/// The incidents, the cursor, and the story open (if any) with its cursor.
#[derive(Debug, Clone, Default)]
pub struct IncidentsView {
    pub incidents: Arc<Vec<Incident>>,
    pub selected: usize,
    /// The incident whose story shows.
    pub story: Option<usize>,
    pub step: usize,
}

impl IncidentsView {
    pub fn new(incidents: Vec<Incident>) -> IncidentsView {
        IncidentsView {
            incidents: Arc::new(incidents),
            ..IncidentsView::default()
        }
    }

    fn open(&self) -> Option<&Incident> {
        self.incidents.get(self.story?)
    }
}

impl Component for IncidentsView {
    fn len(&self, _ctx: &Ctx<'_>) -> u64 {
        self.open().map_or(self.incidents.len(), |i| i.steps.len()) as u64
    }

    fn position(&self) -> u64 {
        if self.story.is_some() {
            self.step as u64
        } else {
            self.selected as u64
        }
    }

    fn select(&mut self, pos: u64, _ctx: &Ctx<'_>) -> Option<Request> {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX);
        if self.story.is_some() {
            self.step = pos;
        } else {
            self.selected = pos;
        }
        None
    }

    fn on_action(&mut self, action: &Action, _ctx: &Ctx<'_>) -> Intent {
        match (action, self.open()) {
            (Action::Open | Action::Right, None) if self.selected < self.incidents.len() => {
                self.story = Some(self.selected);
                self.step = 0;
                Intent::Done
            }
            (Action::Open, Some(inc)) => inc.steps.get(self.step).map_or(Intent::Ignored, |s| {
                Intent::ShowEvents(Chip {
                    label: format!("step {} of {} ({})", self.step + 1, inc.id, s.rule_id),
                    expr: Expr::AuditIds(Arc::new(s.audit_ids.clone())),
                })
            }),
            (Action::Left, Some(_)) => {
                self.story = None;
                Intent::Done
            }
            (Action::Copy, Some(inc)) => Intent::Copy(inc.id.clone()),
            _ => Intent::Ignored,
        }
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        match self.open() {
            Some(inc) => story(ctx, inc, self.step, frame, area),
            None => list(ctx, &self.incidents, self.selected, frame, area),
        }
    }

    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Open, "story / its events"), (Action::Left, "list")]
    }
}

use crate::tui::protocol::Request;

fn short_time(ctx: &Ctx<'_>, t: &str) -> String {
    Micros::parse(t).map_or_else(
        || t.to_owned(),
        |m| m.display_in(ctx.tz).chars().take(19).collect(),
    )
}

fn list(ctx: &Ctx<'_>, incidents: &[Incident], selected: usize, frame: &mut Frame, area: Rect) {
    let header = Row::new([
        "SEV",
        "ID",
        "FIRST",
        "LAST",
        "N",
        "IDENTITIES",
        "ADDRESSES",
        "TITLE",
    ])
    .style(theme::header_row());
    let rows = incidents.iter().map(|i| {
        Row::new(vec![
            Cell::from(Span::styled(
                i.severity.as_str(),
                theme::severity_style(i.severity),
            )),
            Cell::from(i.id.clone()),
            Cell::from(short_time(ctx, &i.first_seen)),
            Cell::from(short_time(ctx, &i.last_seen)),
            Cell::from(i.steps.len().to_string()),
            Cell::from(clean(&i.identities.join(" ")).into_owned()),
            Cell::from(clean(&i.source_ips.join(" ")).into_owned()),
            Cell::from(clean(&i.title).into_owned()),
        ])
    });
    let widths = [
        Constraint::Length(8),
        Constraint::Length(16),
        Constraint::Length(19),
        Constraint::Length(19),
        Constraint::Length(4),
        Constraint::Length(34),
        Constraint::Length(24),
        Constraint::Min(20),
    ];
    let title = format!(
        " incidents — {} (enter: the story; times {}) ",
        incidents.len(),
        ctx.tz_name
    );
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected())
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The story: one item per step, its link below it.
fn story(ctx: &Ctx<'_>, inc: &Incident, step: usize, frame: &mut Frame, area: Rect) {
    let items = inc.steps.iter().enumerate().map(|(n, s)| {
        let mut lines = vec![Line::from(vec![
            Span::raw(format!("{:>3} {} ", n + 1, short_time(ctx, &s.time))),
            Span::styled(
                format!("{:<8}", s.severity.as_str()),
                theme::severity_style(s.severity),
            ),
            Span::styled(format!(" {} ", s.rule_id), theme::title()),
            Span::raw(clean(&format!("{} — {}", s.account, s.title)).into_owned()),
        ])];
        let link = s.link.as_ref().map_or_else(
            || "    │ the first step".to_owned(),
            |l| {
                format!(
                    "    │ ↳ step {} ({}): {}",
                    l.to_step + 1,
                    l.kind,
                    l.explanation
                )
            },
        );
        lines.push(Line::from(Span::styled(
            clean(&link).into_owned(),
            theme::dim(),
        )));
        ListItem::new(lines)
    });
    let title = format!(
        " {} {} — {} · {} (enter: a step's events; h: the list) ",
        inc.severity,
        inc.id,
        clean(&inc.title),
        inc.tactics.join(" → ")
    );
    let list = List::new(items)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .highlight_style(theme::selected())
        .highlight_symbol("▶ ");
    let mut state = ListState::default().with_selected(Some(step));
    frame.render_stateful_widget(list, area, &mut state);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Severity;
    use crate::incidents::{Graph, Link, Step};
    use crate::tui::components::testing::Shared;

    fn incident() -> Incident {
        let step = |rule: &str, link: Option<Link>| Step {
            time: "2026-03-14T11:31:40Z".into(),
            last_seen: "2026-03-14T11:31:40Z".into(),
            rule_id: rule.into(),
            title: "a title".into(),
            severity: Severity::High,
            account: "system:serviceaccount:shop:web".into(),
            source_ips: vec!["10.244.2.7".into()],
            tactic: "execution".into(),
            attack: None,
            summary: String::new(),
            audit_ids: vec![format!("{rule}-1")],
            link,
        };
        Incident {
            id: "INC-0123456789ab".into(),
            title: "Token theft\x1b[31m".into(),
            severity: Severity::Critical,
            first_seen: "2026-03-14T11:31:40Z".into(),
            last_seen: "2026-03-14T12:31:40Z".into(),
            identities: vec!["system:serviceaccount:shop:web".into()],
            source_ips: vec!["10.244.2.7".into()],
            tactics: vec!["execution".into()],
            steps: vec![
                step("KS-A", None),
                step(
                    "KS-B",
                    Some(Link {
                        kind: "pod-token".into(),
                        to_step: 0,
                        explanation: "web exec into shop/worker-1 at 11:31:40".into(),
                    }),
                ),
            ],
            audit_ids: vec!["KS-A-1".into(), "KS-B-1".into()],
            advice: Vec::new(),
            graph: Graph::default(),
        }
    }

    fn drawn(view: &IncidentsView, ctx: &Ctx<'_>) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 10)).unwrap();
        terminal.draw(|f| view.render(ctx, f, f.area())).unwrap();
        let buf = terminal.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_owned())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn enter_opens_the_story_then_a_steps_events_and_left_goes_back() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut v = IncidentsView::new(vec![incident()]);
        assert_eq!(v.len(&ctx), 1);
        assert_eq!(v.on_action(&Action::Open, &ctx), Intent::Done);
        assert_eq!(v.len(&ctx), 2, "the story's steps");
        v.select(1, &ctx);
        let Intent::ShowEvents(chip) = v.on_action(&Action::Open, &ctx) else {
            panic!("no chip");
        };
        assert!(matches!(&chip.expr, Expr::AuditIds(ids) if ids.as_slice() == ["KS-B-1"]));
        assert_eq!(v.on_action(&Action::Left, &ctx), Intent::Done);
        assert_eq!(v.position(), 0);
        assert!(v.story.is_none());
    }

    #[test]
    fn incidents_list_and_story_snapshot() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut v = IncidentsView::new(vec![incident()]);
        let list = drawn(&v, &ctx);
        assert!(
            !list.contains('\x1b'),
            "a log string reached the terminal raw"
        );
        insta::assert_snapshot!("incidents_list", list);
        v.on_action(&Action::Open, &ctx);
        insta::assert_snapshot!("incidents_story", drawn(&v, &ctx));
    }
}

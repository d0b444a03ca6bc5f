//! The incidents view, the triage entry: the incidents (findings linked into attack
//! stories) with their identities, addresses and span. Enter opens an incident's story — a
//! vertical timeline of its findings, each with the link that ties it in; Enter on a step
//! shows its events, `h`/left goes back to the list.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, List, ListItem, ListState, Paragraph, Row, Table, TableState};

use super::columns::{self, Col};
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
    /// The step each story was left on: opened again, it shows that step.
    left_on: std::collections::HashMap<usize, usize>,
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

    /// Back to the list, the story's step kept for when it opens again.
    pub fn close_story(&mut self) {
        if let Some(i) = self.story.take() {
            self.left_on.insert(i, self.step);
        }
    }
}

impl Component for IncidentsView {
    fn identity(&self, _ctx: &Ctx<'_>) -> Option<super::Focus> {
        if let Some(inc) = self.open() {
            let s = inc.steps.get(self.step)?;
            super::Focus::of(&s.account, s.audit_ids.first().map(String::as_str))
        } else {
            let inc = self.incidents.get(self.selected)?;
            super::Focus::of(inc.identities.first()?, None)
        }
    }

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
                self.step = self.left_on.get(&self.selected).copied().unwrap_or(0);
                Intent::Done
            }
            (Action::Open, Some(inc)) => inc.steps.get(self.step).map_or(Intent::Ignored, |s| {
                Intent::ShowEvents(Chip {
                    label: format!("step {} of {} ({})", self.step + 1, inc.id, s.rule_id),
                    expr: Expr::AuditIds(Arc::new(s.audit_ids.clone())),
                })
            }),
            (Action::Left, Some(_)) => {
                self.close_story();
                Intent::Done
            }
            (Action::Copy, Some(inc)) => Intent::Copy(inc.id.clone()),
            (Action::Copy, None) => self
                .incidents
                .get(self.selected)
                .map_or(Intent::Ignored, |inc| Intent::Copy(inc.id.clone())),
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
        &[
            (Action::Open, "story / its events"),
            (Action::Left, "list"),
            (Action::Copy, "copy the incident's id"),
        ]
    }
}

use crate::tui::protocol::Request;

/// A step's time: the clock alone on a narrow terminal.
fn story_time(ctx: &Ctx<'_>, t: &str, narrow: bool) -> String {
    match Micros::parse(t) {
        Some(m) if narrow => columns::time_cell(m, ctx.tz, 8),
        _ => short_time(ctx, t),
    }
}

fn short_time(ctx: &Ctx<'_>, t: &str) -> String {
    Micros::parse(t).map_or_else(
        || t.to_owned(),
        |m| m.display_in(ctx.tz).chars().take(19).collect(),
    )
}

/// The incidents table's columns (`columns::fit` drops the highest ranks first on a narrow
/// terminal: severity, id and first seen stay whole).
const COLUMNS: [Col; 8] = [
    Col::new("SEV", 8, 8, 0).keep(),
    Col::new("ID", 16, 16, 2).keep(),
    Col::new("FIRST", 8, 19, 3).keep(),
    Col::new("LAST", 8, 19, 6),
    Col::new("N", 3, 4, 5),
    Col::new("IDENTITIES", 12, 34, 1).grow(),
    Col::new("ADDRESSES", 10, 24, 4),
    Col::new("TITLE", 12, 40, 1).keep().grow(),
];

/// The highlight symbol's cells before each row.
const SYMBOL: u16 = 2;

fn cell(ctx: &Ctx<'_>, i: &Incident, col: usize, width: u16) -> Cell<'static> {
    let time = |t: &str| {
        Micros::parse(t).map_or_else(
            || columns::truncate(&clean(t), width),
            |m| columns::time_cell(m, ctx.tz, width.min(19)),
        )
    };
    let text = match col {
        0 => {
            return Cell::from(Span::styled(
                i.severity.as_str(),
                theme::severity_style(i.severity),
            ));
        }
        1 => columns::truncate(&i.id, width),
        2 => time(&i.first_seen),
        3 => time(&i.last_seen),
        4 => i.steps.len().to_string(),
        5 => {
            let ids: Vec<String> = i
                .identities
                .iter()
                .map(|u| columns::short_account(&clean(u)))
                .collect();
            columns::truncate(&ids.join(" "), width)
        }
        6 => columns::truncate(&clean(&i.source_ips.join(" ")), width),
        _ => columns::truncate(&clean(&i.title), width),
    };
    Cell::from(text)
}

/// The selected incident told whole under the table, where the screen has room: its title,
/// span, identities, addresses and tactics wrapped (the table's cells cut them).
fn preview(ctx: &Ctx<'_>, inc: &Incident, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let mut out = Vec::new();
    let mut field = |label: &str, value: String| {
        let pad = 12;
        for (i, l) in columns::wrap(
            &clean(&value),
            width.saturating_sub(pad),
            width.saturating_sub(pad),
        )
        .into_iter()
        .enumerate()
        {
            let head = if i == 0 {
                format!("{label:<pad$}")
            } else {
                " ".repeat(pad)
            };
            out.push(Line::from(vec![
                Span::styled(head, theme::label()),
                Span::raw(l),
            ]));
        }
    };
    field("title", inc.title.clone());
    field(
        "span",
        format!(
            "{} .. {} ({})",
            short_time(ctx, &inc.first_seen),
            short_time(ctx, &inc.last_seen),
            crate::model::plural(inc.steps.len(), "step")
        ),
    );
    field("tactics", inc.tactics.join(" → "));
    field("addresses", inc.source_ips.join(", "));
    let ids: Vec<String> = inc
        .identities
        .iter()
        .map(|u| columns::short_account(u))
        .collect();
    field("identities", ids.join(", "));
    out
}

fn list(ctx: &Ctx<'_>, incidents: &[Incident], selected: usize, frame: &mut Frame, area: Rect) {
    // The table as tall as its rows (and a header and borders), the preview below it when
    // at least four lines are left.
    let table_height = u16::try_from(incidents.len())
        .unwrap_or(u16::MAX)
        .saturating_add(3);
    let (area, below) = match incidents.get(selected) {
        Some(inc) if area.height >= table_height.saturating_add(6) => {
            let [top, rest] =
                Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)])
                    .areas(area);
            (top, Some((inc, rest)))
        }
        _ => (area, None),
    };
    if let Some((inc, rest)) = below {
        let block = Block::bordered()
            .title(Line::from(format!(" {} ", clean(&inc.id))).style(theme::title()));
        let lines = preview(ctx, inc, block.inner(rest).width);
        frame.render_widget(Paragraph::new(lines).block(block), rest);
    }
    let widths = columns::fit(&COLUMNS, area.width.saturating_sub(2 + SYMBOL));
    let shown = columns::shown(&widths);
    let header = Row::new(
        shown
            .iter()
            .map(|&c| columns::header_cell(COLUMNS[c].title, widths[c], false)),
    )
    .style(theme::header_row());
    let rows = incidents
        .iter()
        .map(|i| Row::new(shown.iter().map(|&c| cell(ctx, i, c, widths[c]))));
    let constraints: Vec<Constraint> = shown
        .iter()
        .map(|&c| Constraint::Length(widths[c]))
        .collect();
    let title = format!(
        " incidents — {} (enter: the story; times {}) ",
        incidents.len(),
        ctx.tz_name
    );
    let table = Table::new(rows, constraints)
        .header(header)
        .column_spacing(columns::SPACING)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected())
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The line under a step with no link to an earlier one: the first step, or the start of a
/// thread that a later step ties to (links are told earliest first).
fn thread_start(inc: &Incident, n: usize) -> String {
    format!("    │ {}", inc.thread_start(n))
}

/// The story: one item per step, its link below it.
fn story(ctx: &Ctx<'_>, inc: &Incident, step: usize, frame: &mut Frame, area: Rect) {
    // Below 120 columns a step shows the clock and the account's short form, so that the
    // rule and the account fit on its line.
    let narrow = area.width < 120;
    let account = |a: &str| {
        if narrow {
            columns::short_account(a)
        } else {
            a.to_owned()
        }
    };
    // The list's lines, inside the border and after the highlight symbol.
    let width = usize::from(area.width.saturating_sub(2 + 2));
    // A line not told whole ends in `…` where it is cut.
    let cut = |text: &str, cells: usize| {
        columns::truncate(text, u16::try_from(cells).unwrap_or(u16::MAX))
    };
    let items = inc.steps.iter().enumerate().map(|(n, s)| {
        let head = format!("{:>3} {} ", n + 1, story_time(ctx, &s.time, narrow));
        let rule = format!(" {} ", s.rule_id);
        let text = clean(&format!("{} — {}", account(&s.account), s.title)).into_owned();
        // The selected step is told whole, wrapped; the others on one line each.
        let selected = n == step;
        let lead = columns::width_of(&head) + 8 + columns::width_of(&rule);
        let mut text_lines = if selected {
            columns::wrap(&text, width.saturating_sub(lead), width.saturating_sub(6))
        } else {
            vec![cut(&text, width.saturating_sub(lead))]
        };
        if text_lines.is_empty() {
            text_lines.push(String::new());
        }
        let mut rest = text_lines.split_off(1);
        let mut lines = vec![Line::from(vec![
            Span::raw(head),
            Span::styled(
                format!("{:<8}", s.severity.as_str()),
                theme::severity_style(s.severity),
            ),
            Span::styled(rule, theme::title()),
            Span::raw(text_lines.pop().unwrap_or_default()),
        ])];
        lines.extend(rest.drain(..).map(|l| Line::from(format!("      {l}"))));
        let link = s.link.as_ref().map_or_else(
            || thread_start(inc, n),
            |l| {
                format!(
                    "    │ ↳ step {} ({}): {}",
                    l.to_step + 1,
                    l.kind,
                    l.explanation
                )
            },
        );
        let link = clean(&link).into_owned();
        if selected {
            // Continued under the link's own text, past `    │ `.
            for (i, l) in columns::wrap(&link, width, width.saturating_sub(8))
                .into_iter()
                .enumerate()
            {
                let l = if i == 0 { l } else { format!("    │   {l}") };
                lines.push(Line::from(Span::styled(l, theme::dim())));
            }
        } else {
            lines.push(Line::from(Span::styled(cut(&link, width), theme::dim())));
        }
        ListItem::new(lines)
    });
    let title = format!(
        " {} {} (enter: a step's events; h: the list) ",
        inc.severity, inc.id
    );
    // The title and tactics whole above the steps (in the border's title they were cut).
    let block = Block::bordered().title(Line::from(title).style(theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let head: Vec<Line<'static>> = columns::wrap(
        &clean(&format!("{} · {}", inc.title, inc.tactics.join(" → "))),
        usize::from(inner.width),
        usize::from(inner.width),
    )
    .into_iter()
    .take(usize::from(inner.height / 3).max(1))
    .map(|l| Line::from(Span::styled(l, theme::label())))
    .collect();
    let [top, area] = Layout::vertical([
        Constraint::Length(u16::try_from(head.len()).unwrap_or(1)),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(head), top);
    let list = List::new(items)
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
        drawn_at(view, ctx, 120)
    }

    fn drawn_at(view: &IncidentsView, ctx: &Ctx<'_>, width: u16) -> String {
        crate::tui::components::testing::drawn(view, ctx, (width, 10))
    }

    #[test]
    fn regression_c_on_the_incident_list_copied_nothing() {
        // `c` copied the id only inside a story; on the list (where the workbench opens) it
        // did nothing.
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut v = IncidentsView::new(vec![incident()]);
        let id = v.incidents[0].id.clone();
        assert_eq!(v.on_action(&Action::Copy, &ctx), Intent::Copy(id));
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

    #[test]
    fn regression_incidents_columns_shrank_to_four_characters_at_80_columns() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let v = IncidentsView::new(vec![incident()]);
        let list = drawn_at(&v, &ctx, 80);
        let row = list
            .lines()
            .find(|l| l.contains("INC-"))
            .unwrap_or_else(|| panic!("no incident row:\n{list}"));
        assert!(row.contains("critical INC-0123456789ab"), "{row}");
        assert!(row.contains("11:31:40"), "the time readable: {row}");
    }

    #[test]
    fn a_step_only_a_later_step_ties_to_says_which() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut inc = incident();
        let mut third = inc.steps[1].clone();
        third.link = Some(Link {
            kind: "binding-subject".into(),
            to_step: 1,
            explanation: "the subject acted at 11:31:40; admin bound it at 11:34:00".into(),
        });
        inc.steps[1].link = None;
        inc.steps.push(third);
        let mut v = IncidentsView::new(vec![inc]);
        v.on_action(&Action::Open, &ctx);
        let s = drawn(&v, &ctx);
        assert!(
            s.contains("starts a thread: step 3 (binding-subject) ties to it"),
            "{s}"
        );
    }

    #[test]
    fn regression_the_story_at_80_columns_cut_the_selected_steps_title_and_link() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut inc = incident();
        let title = "Service-account or node credential used with a new client from a far place";
        let why = "system:serviceaccount:shop:web from 198.51.100.77 again, as in KS-A (first seen 11:31:40), and nowhere else";
        inc.steps[1].title = title.into();
        inc.steps[1].link.as_mut().unwrap().explanation = why.into();
        let mut v = IncidentsView::new(vec![inc]);
        v.on_action(&Action::Open, &ctx);
        v.select(1, &ctx);
        let s = drawn_at(&v, &ctx, 80);
        let words = |t: &str| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let shown = words(&s.replace('│', " "));
        for w in words(title).into_iter().chain(words(why)) {
            assert!(shown.contains(&w), "{w} missing:\n{s}");
        }
        // The step not selected keeps its one line.
        v.select(0, &ctx);
        let s = drawn_at(&v, &ctx, 80);
        assert!(!s.contains("nowhere else"), "{s}");
    }

    #[test]
    fn regression_story_lines_not_selected_were_cut_without_an_ellipsis() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut inc = incident();
        inc.steps[1].title =
            "Service-account or node credential used with a new client from a far place".into();
        inc.steps[1].link.as_mut().unwrap().explanation = "system:serviceaccount:shop:web from 198.51.100.77 again, as in KS-A (first seen 11:31:40), and nowhere else".into();
        let mut v = IncidentsView::new(vec![inc]);
        v.on_action(&Action::Open, &ctx);
        v.select(0, &ctx);
        let s = drawn_at(&v, &ctx, 80);
        let lines: Vec<&str> = s.lines().collect();
        let step = lines.iter().position(|l| l.contains("  2 ")).expect(&s);
        for l in &lines[step..=step + 1] {
            assert!(l.trim_end_matches([' ', '│']).ends_with('…'), "{l}\n{s}");
        }
    }

    #[test]
    fn regression_the_incidents_list_at_80_columns_cut_every_title_with_no_way_to_read_it() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut inc = incident();
        inc.title =
            "Secrets listed across the whole cluster: 73 findings across 7 identities".into();
        let v = IncidentsView::new(vec![inc]);
        let s = crate::tui::components::testing::drawn(&v, &ctx, (80, 24));
        let words: Vec<&str> = s.split(|c: char| c.is_whitespace() || c == '│').collect();
        for w in ["Secrets", "cluster:", "73", "findings", "identities"] {
            assert!(words.contains(&w), "{w}:\n{s}");
        }
    }

    #[test]
    fn regression_a_story_opened_again_started_over_at_step_1() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut v = IncidentsView::new(vec![incident()]);
        v.on_action(&Action::Open, &ctx);
        v.select(1, &ctx);
        v.on_action(&Action::Left, &ctx);
        assert!(v.story.is_none());
        v.on_action(&Action::Open, &ctx);
        assert_eq!(v.position(), 1, "back on the step it was left on");
    }
}

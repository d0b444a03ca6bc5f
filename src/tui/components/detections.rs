//! The detections view: the findings, and why the selected one fired. Enter shows its
//! events. The list can be sorted by the column under the column cursor (`s`: its natural
//! order, reversed, off), ordered by severity as detected, grouped by account or in
//! kill-chain order (`o`: ATT&CK tactic, then time), and narrowed by text (`/`); `c` copies
//! the value under the column cursor (`h`/`l`).

use std::cmp::Ordering;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::columns::{self, Col};
use super::{Component, Ctx, Intent};
use crate::detect::Finding;
use crate::detect::tactic;
use crate::model::Micros;
use crate::query::Expr;
use crate::tui::action::Action;
use crate::tui::filter::Chip;
use crate::tui::layout;
use crate::tui::protocol::Request;
use crate::tui::theme::{self, clean};

/// How the findings are ordered (`o` cycles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// As detected: most severe first.
    #[default]
    Detected,
    /// Grouped by account (the account shown once per group).
    ByAccount,
    /// Kill chain: ATT&CK tactic order, then time.
    KillChain,
}

impl Order {
    fn next(self) -> Order {
        match self {
            Order::Detected => Order::ByAccount,
            Order::ByAccount => Order::KillChain,
            Order::KillChain => Order::Detected,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Order::Detected => "by severity",
            Order::ByAccount => "by account",
            Order::KillChain => "kill chain",
        }
    }
}

/// The findings table's cursor, order and text filter.
#[derive(Debug, Clone)]
pub struct Detections {
    /// The selected row, in the order shown.
    pub selected: usize,
    /// The column cursor: the column `c` copies and `s` sorts by.
    pub column: usize,
    /// Sorted by a column: (column, descending).
    pub sort: Option<(usize, bool)>,
    pub order: Order,
    /// Only the findings whose text holds this (any case).
    pub query: String,
    /// `Tab` gave the keys to the finding's pane: `j`/`k` scroll it.
    pub about_focus: bool,
    /// The first line of the finding's pane shown.
    pub about_scroll: u16,
    /// How far the pane scrolls: its wrapped lines less its height, as last drawn.
    about_max: std::cell::Cell<u16>,
}

impl Default for Detections {
    fn default() -> Self {
        Detections {
            selected: 0,
            column: FIRST_COLUMN,
            sort: None,
            order: Order::default(),
            query: String::new(),
            about_focus: false,
            about_scroll: 0,
            about_max: std::cell::Cell::new(0),
        }
    }
}

/// The findings table's columns, in order (see [`columns`]); the rule id's minimum is the
/// longest rule id's width.
const COLUMNS: [Col; 8] = [
    Col::new("SEV", 8, 8, 0).keep(),
    Col::new("RULE", 8, 8, 0).keep(),
    Col::new("FAMILY", 10, 23, 6),
    Col::new("ACCOUNT", 12, 16, 2).keep().grow(),
    Col::new("N", 3, 5, 3),
    Col::new("FIRST", 8, 19, 4).keep(),
    Col::new("LAST", 8, 19, 7),
    Col::new("SUMMARY", 12, 40, 1).grow(),
];

/// The column `c` copies at first: the summary.
const FIRST_COLUMN: usize = 7;

/// The highlight symbol's cells before each row.
const SYMBOL: u16 = 2;

fn widths(ctx: &Ctx<'_>, width: u16) -> Vec<u16> {
    let rule = ctx
        .findings
        .iter()
        .map(|f| columns::width_of(&f.rule_id))
        .max()
        .unwrap_or(8);
    let mut cols = COLUMNS;
    cols[1] = cols[1].at_least(u16::try_from(rule).unwrap_or(u16::MAX));
    columns::fit(&cols, width.saturating_sub(2 + SYMBOL))
}

/// The value of a column of a finding, whole: what `c` copies.
fn value(f: &Finding, col: usize, order: Order) -> String {
    match col {
        0 => f.severity.as_str().to_owned(),
        1 => f.rule_id.clone(),
        2 if order == Order::KillChain => tactic::tactic(f).1.to_owned(),
        2 => f.family.as_str().to_owned(),
        3 => f.account.clone(),
        4 => f.count.to_string(),
        5 => f.first_seen.clone(),
        6 => f.last_seen.clone(),
        _ => f.summary.clone(),
    }
}

/// Compares two findings by a column, in its natural order.
fn by_column(a: &Finding, b: &Finding, col: usize) -> Ordering {
    match col {
        0 => b.severity.cmp(&a.severity),
        4 => b.count.cmp(&a.count),
        5 => a.first_seen_micros().cmp(&b.first_seen_micros()),
        6 => Micros::parse(&a.last_seen).cmp(&Micros::parse(&b.last_seen)),
        7 => summary_line(a).cmp(summary_line(b)),
        _ => value(a, col, Order::Detected).cmp(&value(b, col, Order::Detected)),
    }
}

impl Detections {
    /// The indexes of the findings shown, in the order shown.
    pub fn shown(&self, findings: &[Finding]) -> Vec<usize> {
        let needle = self.query.to_lowercase();
        let mut shown: Vec<usize> = (0..findings.len())
            .filter(|&i| needle.is_empty() || matches(&findings[i], &needle))
            .collect();
        if let Some((col, desc)) = self.sort {
            shown.sort_by(|&a, &b| {
                let o = by_column(&findings[a], &findings[b], col);
                if desc { o.reverse() } else { o }
            });
        }
        match self.order {
            Order::Detected => {}
            Order::ByAccount => {
                shown.sort_by(|&a, &b| findings[a].account.cmp(&findings[b].account));
            }
            Order::KillChain => shown.sort_by_key(|&i| {
                let f = &findings[i];
                (tactic::tactic(f).0, f.first_seen_micros())
            }),
        }
        shown
    }

    /// The index of the selected finding.
    pub fn current(&self, findings: &[Finding]) -> Option<usize> {
        self.shown(findings).get(self.selected).copied()
    }

    /// `s`: sorts by the column under the cursor, reverses, then back to the order.
    fn cycle_sort(&mut self, col: usize) -> Intent {
        self.sort = match self.sort {
            Some((c, false)) if c == col => Some((col, true)),
            Some((c, true)) if c == col => None,
            _ => Some((col, false)),
        };
        self.selected = 0;
        Intent::Status(match self.sort {
            Some((c, desc)) => format!(
                "sorted by {}{}",
                COLUMNS[c].title,
                if desc { ", reversed" } else { "" }
            ),
            None => format!("unsorted: {}", self.order.label()),
        })
    }

    /// Scrolls the finding's pane (focused with `Tab`) by `n` lines.
    /// Drawing keeps it within the pane's text (its length is known once drawn).
    pub fn scroll_about(&mut self, n: i64) {
        let from = self.about_scroll.min(self.about_max.get());
        let to = i64::from(from).saturating_add(n);
        self.about_scroll = u16::try_from(to.clamp(0, i64::from(u16::MAX))).unwrap_or_default();
    }

    /// Shows only the findings holding `query`, keeping the selected one when it stays.
    pub fn set_query(&mut self, query: &str, findings: &[Finding]) {
        let current = self.current(findings);
        query.clone_into(&mut self.query);
        let shown = self.shown(findings);
        self.selected = current
            .and_then(|c| shown.iter().position(|&i| i == c))
            .unwrap_or(0);
    }
}

/// Does a finding's text hold `needle` (lower case)?
fn matches(f: &Finding, needle: &str) -> bool {
    let attack = f.attack.as_ref().map(|a| format!("{} {}", a.id, a.name));
    [
        f.rule_id.as_str(),
        f.title.as_str(),
        f.account.as_str(),
        f.summary.as_str(),
        f.family.as_str(),
        f.severity.as_str(),
        attack.as_deref().unwrap_or_default(),
    ]
    .iter()
    .any(|t| t.to_lowercase().contains(needle))
}

impl Component for Detections {
    fn identity(&self, ctx: &Ctx<'_>) -> Option<super::Focus> {
        let f = ctx.findings.get(self.current(ctx.findings)?)?;
        super::Focus::of(&f.account, f.audit_ids.first().map(String::as_str))
    }

    fn len(&self, ctx: &Ctx<'_>) -> u64 {
        self.shown(ctx.findings).len() as u64
    }

    fn position(&self) -> u64 {
        self.selected as u64
    }

    fn select(&mut self, pos: u64, _ctx: &Ctx<'_>) -> Option<Request> {
        self.selected = usize::try_from(pos).unwrap_or(usize::MAX);
        self.about_scroll = 0;
        None
    }

    fn on_action(&mut self, action: &Action, ctx: &Ctx<'_>) -> Intent {
        let widths = widths(ctx, ctx.size.0);
        let col = columns::visible(self.column, &widths);
        match action {
            Action::NextPane | Action::PrevPane => {
                self.about_focus = !self.about_focus;
                return Intent::Status(
                    if self.about_focus {
                        "finding pane: j/k scroll it, tab or esc back to the list"
                    } else {
                        "the list of findings"
                    }
                    .to_owned(),
                );
            }
            Action::Left | Action::Right => {
                let step = if *action == Action::Left { -1 } else { 1 };
                self.column = columns::step(col, step, &widths);
                return Intent::Done;
            }
            Action::Sort => return self.cycle_sort(col),
            Action::CycleOrder => {
                self.order = self.order.next();
                self.selected = 0;
                return Intent::Status(format!("findings {}", self.order.label()));
            }
            _ => {}
        }
        let Some(f) = self.current(ctx.findings).and_then(|i| ctx.findings.get(i)) else {
            return Intent::Ignored;
        };
        match action {
            Action::Open => Intent::ShowEvents(Chip {
                label: format!("finding {} ({}, {} events)", f.rule_id, f.account, f.count),
                expr: Expr::AuditIds(std::sync::Arc::new(f.audit_ids.clone())),
            }),
            Action::Copy => Intent::Copy(value(f, col, self.order)),
            _ => Intent::Ignored,
        }
    }

    /// The table keeps the selected finding on its last line once it scrolls.
    fn clicked(&self, line: u64, ctx: &Ctx<'_>) -> Option<u64> {
        let first = (self.selected as u64 + 1).saturating_sub(ctx.page_rows());
        Some(first + line)
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        let lines = (self.current(ctx.findings))
            .and_then(|i| ctx.findings.get(i))
            .map(about_lines)
            .unwrap_or_default();
        // The finding's pane is as tall as its text, within nine rows and two fifths of the
        // screen (then `Tab` scrolls it).
        let most = (area.height * 2 / 5).max(9);
        let about_rows = wrapped_rows(&lines, area.width)
            .saturating_add(2)
            .clamp(9, most);
        let [list, about] = area.layout(&Layout::vertical([
            Constraint::Min(5),
            Constraint::Length(about_rows),
        ]));
        findings_table(self, ctx, frame, list);
        if !lines.is_empty() {
            finding_about(self, lines, frame, about);
        }
    }

    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Sort, "sort"),
            (Action::CycleOrder, "order"),
            (Action::FindInList, "find"),
            (Action::Copy, "copy"),
        ]
    }
}

/// Why the selected finding fired, its history and the advice; `Tab` focuses it to scroll.
fn finding_about(d: &Detections, lines: Vec<Line<'static>>, frame: &mut Frame, area: Rect) {
    let max = wrapped_rows(&lines, area.width).saturating_sub(area.height.saturating_sub(2));
    d.about_max.set(max);
    let scroll = d.about_scroll.min(max);
    let title = match (d.about_focus, max > 0) {
        (true, _) => " finding (j/k scroll · tab: back to the list) ",
        (false, true) => " finding (enter: its events · tab: scroll it) ",
        (false, false) => " finding (enter: its events) ",
    };
    let mut block = Block::bordered().title(Line::from(title).style(theme::title()));
    if d.about_focus {
        block = block.border_style(theme::title());
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: true })
            .scroll((scroll, 0)),
        area,
    );
}

/// The rows `lines` take wrapped in a pane `width` wide (with its borders), about: words
/// wrap a little before the last column.
fn wrapped_rows(lines: &[Line<'_>], width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner).max(1) + l.width() / (inner * 6))
        .sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// The selected finding's pane: its title, summary, why, history and advice.
fn about_lines(f: &Finding) -> Vec<Line<'static>> {
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
    lines
}

/// A finding's cell of column `col`, `width` wide; `same_account`: the account is the
/// previous row's (grouped by account, it shows once); `whole_accounts`: every account of
/// the table fits its column whole (else all show short, so they read alike).
fn cell(
    f: &Finding,
    col: usize,
    width: u16,
    (same_account, whole_accounts): (bool, bool),
    d: &Detections,
    ctx: &Ctx<'_>,
) -> Cell<'static> {
    match col {
        0 => Cell::from(Span::styled(
            f.severity.as_str(),
            theme::severity_style(f.severity),
        )),
        3 if same_account => Cell::from(""),
        3 if whole_accounts => Cell::from(columns::account_cell(&clean(&f.account), width)),
        3 => Cell::from(columns::truncate(
            &columns::short_account(&clean(&f.account)),
            width,
        )),
        5 => Cell::from(columns::dated_time_cell(
            f.first_seen_micros(),
            ctx.tz,
            width.min(19),
            ctx.dated,
        )),
        6 => Cell::from(Micros::parse(&f.last_seen).map_or_else(
            || columns::truncate(&clean(&f.last_seen), width),
            |t| columns::dated_time_cell(t, ctx.tz, width.min(19), ctx.dated),
        )),
        7 => Cell::from(columns::truncate(&clean(summary_line(f)), width)),
        _ => Cell::from(columns::truncate(&clean(&value(f, col, d.order)), width)),
    }
}

/// The summary without the account it starts with (the account has its column).
fn summary_line(f: &Finding) -> &str {
    f.summary
        .strip_prefix(f.account.as_str())
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&f.summary)
}

fn findings_table(d: &Detections, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
    let widths = widths(ctx, area.width);
    let shown_cols = columns::shown(&widths);
    let cursor = columns::visible(d.column, &widths);
    let header = Row::new(shown_cols.iter().map(|&i| {
        let title = match i {
            2 if d.order == Order::KillChain => "TACTIC",
            _ => COLUMNS[i].title,
        };
        let arrow = match d.sort {
            Some((c, desc)) if c == i => {
                if desc {
                    "↑"
                } else {
                    "↓"
                }
            }
            _ => "",
        };
        columns::header_cell(&format!("{title}{arrow}"), widths[i], i == cursor)
    }))
    .style(theme::header_row());
    let shown = d.shown(ctx.findings);
    let whole_accounts = shown.iter().all(|&i| {
        widths[3] >= columns::SHORT_ACCOUNTS
            && columns::width_of(&clean(&ctx.findings[i].account)) <= usize::from(widths[3])
    });
    let mut prev: Option<&str> = None;
    let rows: Vec<Row<'_>> = shown
        .iter()
        .map(|&i| {
            let f = &ctx.findings[i];
            let same = d.order == Order::ByAccount && prev == Some(f.account.as_str());
            prev = Some(&f.account);
            Row::new(
                shown_cols
                    .iter()
                    .map(|&c| cell(f, c, widths[c], (same, whole_accounts), d, ctx)),
            )
        })
        .collect();
    let constraints: Vec<Constraint> = shown_cols
        .iter()
        .map(|&i| Constraint::Length(widths[i]))
        .collect();
    let count = if d.query.is_empty() {
        format!("{} findings", ctx.findings.len())
    } else {
        format!(
            "{} of {} findings with “{}”",
            shown.len(),
            ctx.findings.len(),
            clean(&d.query)
        )
    };
    let title = format!(
        " detections — {count} · {} · c copies {} (times {}) ",
        d.order.label(),
        COLUMNS[cursor].title,
        ctx.tz_name
    );
    let table = Table::new(rows, constraints)
        .header(header)
        .column_spacing(columns::SPACING)
        .block(Block::bordered().title(Line::from(title).style(theme::title())))
        .row_highlight_style(theme::selected())
        .cell_highlight_style(theme::cell_cursor())
        .highlight_symbol("▶ ");
    let at = shown_cols.iter().position(|&i| i == cursor);
    let mut state = TableState::default()
        .with_selected((!shown.is_empty()).then_some(d.selected))
        .with_selected_column(at);
    frame.render_stateful_widget(table, area, &mut state);
    if shown.is_empty() {
        let msg = if ctx.findings.is_empty() {
            "no findings: press 2 for the events"
        } else {
            "no finding holds this text: / and an empty line show them all"
        };
        frame.render_widget(
            Line::from(Span::styled(msg, theme::dim())),
            layout::table_body(area),
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

    #[test]
    fn regression_detections_columns_shrank_to_five_characters_at_80_columns() {
        let mut shared = Shared::default();
        shared.findings[0].rule_id = "KS-SECRET-CLUSTER-WIDE-LIST".into();
        let ctx = shared.ctx();
        let w = widths(&ctx, 80);
        assert_eq!(w[0], 8, "`critical` whole: {w:?}");
        assert_eq!(w[1], 27, "the longest rule id whole: {w:?}");
        assert!(w[5] >= 8, "the first time keeps HH:MM:SS: {w:?}");
        assert_eq!((w[2], w[6]), (0, 0), "family and last go first: {w:?}");
        let wide = widths(&ctx, 200);
        assert!(wide.iter().all(|&x| x > 0), "{wide:?}");
    }

    #[test]
    fn sort_by_column_order_by_account_or_kill_chain_and_find_by_text() {
        use crate::detect::finding::Attack;
        let mut shared = Shared::default();
        shared.findings[0].attack = Some(Attack {
            id: "T1552.007".into(),
            name: "Unsecured Credentials".into(),
        });
        shared.findings[1].attack = Some(Attack {
            id: "T1609".into(),
            name: "Container Administration Command".into(),
        });
        shared.findings[1].account = "alice".into();
        shared.findings[1].count = 9;
        let ctx = shared.ctx();
        let mut d = Detections::default();
        assert_eq!(d.shown(ctx.findings), [0, 1]);
        d.column = 4;
        assert!(matches!(
            d.on_action(&Action::Sort, &ctx),
            Intent::Status(_)
        ));
        assert_eq!(d.shown(ctx.findings), [1, 0], "most events first");
        d.on_action(&Action::Sort, &ctx);
        assert_eq!(d.shown(ctx.findings), [0, 1], "reversed");
        d.on_action(&Action::Sort, &ctx);
        assert_eq!(d.sort, None);
        d.on_action(&Action::CycleOrder, &ctx);
        assert_eq!(d.order, Order::ByAccount);
        assert_eq!(d.shown(ctx.findings), [1, 0], "alice before system:…");
        d.on_action(&Action::CycleOrder, &ctx);
        assert_eq!(d.order, Order::KillChain);
        assert_eq!(
            d.shown(ctx.findings),
            [1, 0],
            "execution before credential access"
        );
        d.select(1, &ctx);
        assert_eq!(d.current(ctx.findings), Some(0));
        d.set_query("unsecured", ctx.findings);
        assert_eq!(d.shown(ctx.findings), [0]);
        assert_eq!(
            d.current(ctx.findings),
            Some(0),
            "the selected finding stays selected"
        );
        d.set_query("", ctx.findings);
        d.column = 1;
        d.select(0, &ctx);
        assert_eq!(
            d.on_action(&Action::Copy, &ctx),
            Intent::Copy("KS-B".into())
        );
        d.on_action(&Action::Right, &ctx);
        assert_eq!(
            d.on_action(&Action::Copy, &ctx),
            Intent::Copy("execution".into()),
            "in kill-chain order the family column holds the tactic"
        );
    }
}

//! The pivots view: top values of the pivot fields for the current filter, one column per
//! field; Enter on a value adds it to the filters.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState};

use super::{Component, Ctx, Intent};
use crate::model::fields;
use crate::query::Expr;
use crate::tui::action::Action;
use crate::tui::protocol::{PivotCounts, Request};
use crate::tui::theme::{self, clean};

#[derive(Debug, Clone)]
pub struct PivotList {
    pub field: &'static str,
    pub title: &'static str,
    pub values: Vec<(String, u64)>,
    pub missing: u64,
}

#[derive(Debug, Clone, Default)]
pub struct PivotsState {
    pub lists: Vec<PivotList>,
    pub column: usize,
    pub rows: Vec<usize>,
    pub loaded_for: Option<Expr>,
}

/// The fields the pivots view counts, from the registry: (field, title, what `Enter` on a
/// value adds: `chip:value`).
pub fn pivot_fields() -> Vec<(&'static str, &'static str, &'static str)> {
    fields::pivots()
        .into_iter()
        .filter(|(_, p)| p.in_view)
        .filter_map(|(f, p)| Some((f.name, p.title?, p.chip)))
        .collect()
}

impl PivotsState {
    /// The counts arrived.
    pub fn on_lists(&mut self, lists: Vec<PivotCounts>) {
        self.lists = lists
            .into_iter()
            .map(|(field, values, missing)| PivotList {
                field,
                title: pivot_fields()
                    .into_iter()
                    .find(|(f, _, _)| *f == field)
                    .map_or(field, |(_, t, _)| t),
                values,
                missing,
            })
            .collect();
        self.rows = vec![0; self.lists.len()];
        self.column = self.column.min(self.lists.len().saturating_sub(1));
    }

    fn row(&self) -> usize {
        self.rows.get(self.column).copied().unwrap_or(0)
    }

    /// The focused column and the value under its cursor.
    fn value(&self) -> Option<(&PivotList, &str)> {
        let list = self.lists.get(self.column)?;
        Some((list, list.values.get(self.row())?.0.as_str()))
    }
}

impl Component for PivotsState {
    fn identity(&self, _ctx: &Ctx<'_>) -> Option<super::Focus> {
        let (list, value) = self.value()?;
        (list.field == "user")
            .then(|| super::Focus::of(value, None))
            .flatten()
    }

    fn len(&self, _ctx: &Ctx<'_>) -> u64 {
        self.lists
            .get(self.column)
            .map_or(0, |l| l.values.len() as u64)
    }

    fn position(&self) -> u64 {
        self.row() as u64
    }

    fn select(&mut self, pos: u64, _ctx: &Ctx<'_>) -> Option<Request> {
        if let Some(r) = self.rows.get_mut(self.column) {
            *r = usize::try_from(pos).unwrap_or(usize::MAX);
        }
        None
    }

    fn on_action(&mut self, action: &Action, _ctx: &Ctx<'_>) -> Intent {
        let back = match action {
            Action::Left | Action::PrevPane => true,
            Action::Right | Action::NextPane => false,
            Action::Open => {
                let Some((list, value)) = self.value() else {
                    return Intent::Ignored;
                };
                let field = pivot_fields()
                    .into_iter()
                    .find(|(f, _, _)| *f == list.field)
                    .map_or("user", |(_, _, q)| q);
                return Intent::Pivot {
                    field,
                    value: value.to_owned(),
                };
            }
            Action::Copy => {
                return self
                    .value()
                    .map_or(Intent::Ignored, |(_, v)| Intent::Copy(v.to_owned()));
            }
            _ => return Intent::Ignored,
        };
        let n = self.lists.len().max(1);
        let step = if back { n - 1 } else { 1 };
        self.column = (self.column % n + step) % n;
        Intent::Done
    }

    fn refresh(&mut self, ctx: &Ctx<'_>) -> Option<Request> {
        let expr = ctx.filter.expr();
        if self.loaded_for.as_ref() == Some(&expr) {
            return None;
        }
        self.loaded_for = Some(expr.clone());
        Some(Request::Pivots {
            id: 0,
            expr,
            fields: pivot_fields().iter().map(|(f, _, _)| *f).collect(),
            n: 200,
        })
    }

    fn render(&self, _ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        render_lists(self, frame, area);
    }
}

/// The narrowest a list is drawn: a count, an address or a short account, and its border.
const MIN_LIST_WIDTH: usize = 30;

fn render_lists(p: &PivotsState, frame: &mut Frame, area: Rect) {
    if p.lists.is_empty() {
        let block =
            Block::bordered().title(Line::from(" pivots — loading… ").style(theme::title()));
        frame.render_widget(block, area);
        return;
    }
    // As many lists side by side as leave their values readable; the rest are a ←/→ away,
    // the focused one always in sight.
    let shown = (usize::from(area.width) / MIN_LIST_WIDTH).clamp(1, p.lists.len());
    let first = p
        .column
        .saturating_sub(shown - 1)
        .min(p.lists.len() - shown);
    let constraints: Vec<Constraint> = (0..shown)
        .map(|_| Constraint::Ratio(1, u32::try_from(shown).unwrap_or(u32::MAX)))
        .collect();
    let cols = Layout::horizontal(constraints).split(area);
    let window = p.lists.iter().enumerate().skip(first).take(shown);
    for ((i, list), rect) in window.zip(cols.iter()) {
        let width = rect.width.saturating_sub(10) as usize;
        let short_accounts =
            list.field == "user" && list.values.iter().any(|(v, _)| v.chars().count() > width);
        let focused = i == p.column;
        let cursor = p.rows.get(i).copied().unwrap_or(0);
        let items: Vec<ListItem<'_>> = list
            .values
            .iter()
            .enumerate()
            .map(|(row, (v, n))| {
                // Accounts in their short form when a whole one would be cut: all of them,
                // so that the list reads the same way from row to row.
                let short;
                let v = if short_accounts {
                    short = super::columns::short_account(v);
                    short.as_str()
                } else {
                    v.as_str()
                };
                let v = clean(v);
                let v: String = if v.chars().count() > width {
                    v.chars()
                        .take(width.saturating_sub(1))
                        .chain(['…'])
                        .collect()
                } else {
                    v.into_owned()
                };
                // Grey on the grey of the cursor's row could not be read.
                let count = if focused && row == cursor {
                    Style::default()
                } else {
                    theme::dim()
                };
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{n:>7} "), count),
                    Span::raw(v),
                ]))
            })
            .collect();
        let title_style = if focused {
            theme::tab_active()
        } else {
            theme::title()
        };
        let missing = if list.missing > 0 {
            format!(" (+{} without)", list.missing)
        } else {
            String::new()
        };
        let of = if shown < p.lists.len() {
            format!(" {}/{} ←→", i + 1, p.lists.len())
        } else {
            String::new()
        };
        let block = Block::bordered()
            .title(Line::from(format!(" {}{missing}{of} ", list.title)).style(title_style));
        let widget = List::new(items).block(block).highlight_style(if focused {
            theme::selected()
        } else {
            theme::dim()
        });
        let mut state = ListState::default().with_selected(Some(cursor));
        frame.render_stateful_widget(widget, *rect, &mut state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::components::testing::Shared;

    #[test]
    fn counts_every_pivot_field_once_per_filter() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut p = PivotsState::default();
        let req = p.refresh(&ctx);
        assert!(
            matches!(&req, Some(Request::Pivots { fields, .. }) if fields.len() == pivot_fields().len())
        );
        assert_eq!(p.refresh(&ctx), None, "asked already");
    }

    #[test]
    fn columns_wrap_and_enter_pivots_on_the_value() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut p = PivotsState::default();
        p.on_lists(vec![
            (
                "user",
                vec![("alice".to_owned(), 5), ("bob".to_owned(), 2)],
                0,
            ),
            ("peer", vec![("10.0.0.1".to_owned(), 7)], 0),
        ]);
        assert_eq!(p.lists[0].title, "accounts");
        p.select(1, &ctx);
        p.on_action(&Action::NextPane, &ctx);
        assert_eq!((p.column, p.len(&ctx)), (1, 1));
        p.on_action(&Action::Right, &ctx);
        assert_eq!(p.column, 0, "wraps around");
        assert_eq!(p.on_action(&Action::Copy, &ctx), Intent::Copy("bob".into()));
        assert_eq!(
            p.on_action(&Action::Open, &ctx),
            Intent::Pivot {
                field: "user",
                value: "bob".into()
            }
        );
    }
}

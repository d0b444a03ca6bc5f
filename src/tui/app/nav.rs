//! Keeping the analyst's place: the pivot history (`[` / `]`), the filter chips (stacking,
//! removing one), and the event that stays selected — on the same screen line — when the
//! filter changes under it.
//!
//! **The rule for a new filter seen in the events view** (a pivot from the table or the
//! detail, `[` / `]`, a typed filter, `x`): the selected event stays selected when it is in
//! the new result, else the nearest one by time (the first after it, else the last before
//! it), drawn on the line it was on. The worker finds it ([`Request::Find`]) — in time order
//! the position of an event is the count of those before its time.
//!
//! **The rule for pivot chips:** a pivot adds its chip to the others (they stack), replacing a
//! chip on the same field; it widens from a finding's events (that chip is dropped: the
//! finding's events narrowed by one of their own values are the same events). The same
//! whether the pivot comes from the events table, the detail or the pivots view.

use super::App;
use crate::model::Micros;
use crate::query::Expr;
use crate::tui::action::Action;
use crate::tui::components::View;
use crate::tui::components::events::EventsState;
use crate::tui::filter::{Chip, FilterState};
use crate::tui::protocol::{Effect, Request, RequestKind};

/// The event the analyst is on: its time and the line of the table it was drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub time: Micros,
    pub line: u64,
    /// Looking before `time` (nothing was found after it).
    backwards: bool,
}

impl App {
    /// The selected event of the events table or the detail, when there is one.
    pub(super) fn anchor(&self) -> Option<Anchor> {
        let top = self.page_rows() as u64 / 3;
        let (time, line) = match self.view {
            View::Events => {
                let r = self.events.selected_row()?;
                (
                    r.time,
                    self.events.selected.saturating_sub(self.events.scroll),
                )
            }
            View::Detail => {
                let time = self.detail.event.as_ref()?.time;
                // The line of the row it was opened from, when the table still shows it.
                let line = match self.events.selected_row() {
                    Some(r) if r.time == time => {
                        self.events.selected.saturating_sub(self.events.scroll)
                    }
                    _ => top,
                };
                (time, line)
            }
            _ => return None,
        };
        Some(Anchor {
            time,
            line,
            backwards: false,
        })
    }

    /// Applies a new filter state, remembering it in the pivot history; the events start at
    /// the top.
    pub(super) fn push_filter(&mut self, f: FilterState) -> Option<Effect> {
        self.push_filter_keeping(f, None)
    }

    /// Applies a new filter state, remembering it in the pivot history; in the events view
    /// the `anchor` event stays selected (see the module doc).
    pub(super) fn push_filter_keeping(
        &mut self,
        f: FilterState,
        anchor: Option<Anchor>,
    ) -> Option<Effect> {
        // The same filters again (`x` with none, a query submitted unchanged) are no step
        // back to take: the history keeps steps that changed something.
        if self.history.get(self.history_pos) != Some(&f) {
            self.history.truncate(self.history_pos + 1);
            self.history.push(f.clone());
            self.history_pos = self.history.len() - 1;
        }
        self.apply_filter(f, anchor)
    }

    fn apply_filter(&mut self, f: FilterState, anchor: Option<Anchor>) -> Option<Effect> {
        self.filter = f;
        self.keeping = None;
        self.keep_line = None;
        match anchor {
            Some(a) if self.view == View::Events => Some(self.keep_place(a)),
            _ => {
                self.events.selected = 0;
                self.refresh()
            }
        }
    }

    /// Empties the table for the current filter and asks where the anchor event is in it.
    fn keep_place(&mut self, anchor: Anchor) -> Effect {
        let expr = self.filter.expr();
        self.events = EventsState {
            loaded_for: Some(expr.clone()),
            ..EventsState::default()
        };
        // A page of the previous filter still on its way must not land in the new table.
        self.pending.issue(RequestKind::Page);
        self.keeping = Some(anchor);
        let from = if anchor.backwards {
            anchor.time
        } else {
            anchor.time.saturating_add(-1)
        };
        self.request(Request::Find {
            id: 0,
            expr,
            search: Expr::All,
            from,
            backwards: anchor.backwards,
        })
    }

    /// Adds a pivot's or a command's chip (see the module doc for the rule).
    pub(super) fn add_chip(&mut self, chip: Chip, anchor: Option<Anchor>) -> Option<Effect> {
        let mut f = self.filter.clone();
        let field = chip_field(&chip);
        f.chips.retain(|c| {
            c.label != chip.label
                && !matches!(c.expr, Expr::AuditIds(_))
                && (field.is_none() || chip_field(c) != field)
        });
        f.chips.push(chip);
        self.push_filter_keeping(f, anchor)
    }

    /// `Backspace`: selects the last filter; `←`/`→` choose another, `Backspace` (or
    /// `Enter`) removes it, `Esc` keeps it.
    pub(super) fn select_chip(&mut self) -> Option<Effect> {
        let count = self.filter.chips.len() + usize::from(!self.filter.query.trim().is_empty());
        if count == 0 {
            self.status = "no filter to remove".into();
            return None;
        }
        self.chip_cursor = Some(count - 1);
        self.status = "←/→ choose a filter · backspace removes it · esc keeps it".into();
        None
    }

    /// Keys while a filter is selected for removal.
    pub(super) fn on_chip_select(&mut self, action: &Action) -> Option<Effect> {
        let at = self.chip_cursor?;
        let count = self.filter.chips.len() + usize::from(!self.filter.query.trim().is_empty());
        match action {
            Action::Left | Action::Up | Action::PrevPane => {
                self.chip_cursor = Some(at.saturating_sub(1));
            }
            Action::Right | Action::Down | Action::NextPane => {
                self.chip_cursor = Some((at + 1).min(count.saturating_sub(1)));
            }
            Action::RemoveChip | Action::Backspace | Action::Open | Action::Submit => {
                self.chip_cursor = None;
                return self.remove_chip(Some(at + 1));
            }
            _ => {
                self.chip_cursor = None;
                self.status.clear();
            }
        }
        None
    }

    /// Removes chip `n` (1-based, in the order shown; the typed query counts last), or the
    /// last one.
    pub(super) fn remove_chip(&mut self, n: Option<usize>) -> Option<Effect> {
        let mut f = self.filter.clone();
        let has_query = !f.query.trim().is_empty();
        let count = f.chips.len() + usize::from(has_query);
        let n = n.unwrap_or(count);
        if count == 0 {
            self.status = "no filter to remove".into();
            return None;
        }
        if n == 0 || n > count {
            self.status = format!("error: no filter {n} (1 to {count})");
            return None;
        }
        let removed = if n > f.chips.len() {
            std::mem::take(&mut f.query)
        } else {
            f.chips.remove(n - 1).label
        };
        let anchor = self.anchor();
        let eff = self.push_filter_keeping(f, anchor);
        self.status = format!("removed filter {removed}");
        eff
    }

    /// `[` / `]`: the previous (next) filter of the history, keeping the selected event.
    pub(super) fn step_history(&mut self, step: i64) -> Option<Effect> {
        let pos = i64::try_from(self.history_pos)
            .ok()
            .and_then(|p| p.checked_add(step))
            .and_then(|p| usize::try_from(p).ok())
            .filter(|&p| p < self.history.len());
        let Some(pos) = pos else {
            self.status = "no further pivot in that direction".into();
            return None;
        };
        let anchor = self.anchor();
        self.history_pos = pos;
        self.apply_filter(self.history[pos].clone(), anchor)
    }

    /// Where the event looked for is: the page around it, with the cursor on it. With none,
    /// a kept place looks before its time, and a search stays where it is (`any`: whether it
    /// matches some event at all).
    pub(super) fn on_found(&mut self, offset: Option<u64>, any: bool) -> Option<Effect> {
        let keeping = self.keeping.take();
        let seeking_mark = self.seeking_mark.take();
        if let Some(pos) = offset {
            self.events.focus = Some(pos);
            self.keep_line = keeping.map(|a| a.line.min(self.page_rows() as u64 - 1));
            let req = self.events.page_request(pos, &self.ctx());
            return Some(self.request(req));
        }
        match keeping {
            Some(a) if !a.backwards => Some(self.keep_place(Anchor {
                backwards: true,
                ..a
            })),
            Some(_) => {
                self.events.loaded_for = None;
                self.refresh()
            }
            None => {
                if let Some(backwards) = seeking_mark {
                    self.status = format!(
                        "no marked event {} this one among these events: staying here",
                        if backwards { "before" } else { "after" }
                    );
                } else if let Some((text, _)) = self.search.as_ref().filter(|_| !any) {
                    self.status = format!("no event matches /{text} among these events");
                } else if self.search.is_some() {
                    self.status = if self.finding_backwards {
                        "no earlier match: staying here"
                    } else {
                        "no later match: staying here"
                    }
                    .into();
                }
                if self.events.total.is_none() {
                    self.events.loaded_for = None;
                }
                self.refresh()
            }
        }
    }
}

/// The field a chip filters on, when it is one `field:value`.
fn chip_field(c: &Chip) -> Option<&'static str> {
    match &c.expr {
        Expr::Field { field, .. } if *field != "time" => Some(field),
        _ => None,
    }
}

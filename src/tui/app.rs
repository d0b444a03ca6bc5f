//! The application state and its reducer: `update(Action) -> Option<Effect>` changes state
//! and says what to do next (ask the index, copy, quit) without doing any I/O itself.

mod case;

use std::collections::HashMap;
use std::sync::Arc;

use jiff::tz::TimeZone;

pub use self::case::{ExportDialog, ExportScope, filter_as_query};
use super::action::Action;
use super::error::TuiError;
use super::jsontree::JsonTree;
use super::layout;
use super::protocol::{Pending, Request, RequestKind, Response};
use crate::case::{Case, CaseOp, EventRef};
use crate::detect::Finding;
use crate::model::fields;
use crate::model::{AuditEvent, EventRow, Micros};
use crate::query::{self, Expr, TimeSpec};

/// What the app asks its runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Request(Request),
    Copy(String),
    /// Apply a change to the case file, answer with [`Action::CaseSaved`].
    Case(CaseOp),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Detections,
    Events,
    Detail,
    Pivots,
    Timeline,
    Case,
}

impl View {
    /// The keymap context of the view.
    pub fn context(self) -> &'static str {
        match self {
            View::Detections => "detections",
            View::Events => "events",
            View::Detail => "detail",
            View::Pivots => "pivots",
            View::Timeline => "timeline",
            View::Case => "case",
        }
    }
}

/// One active filter, shown in the breadcrumb.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    pub label: String,
    pub expr: Expr,
}

/// The filters in effect: chips added by pivots and commands, and the typed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterState {
    pub chips: Vec<Chip>,
    pub query: String,
}

impl FilterState {
    pub fn expr(&self) -> Expr {
        let typed = query::parse(&self.query).unwrap_or(Expr::All);
        self.chips
            .iter()
            .fold(typed, |acc, c| acc.and(c.expr.clone()))
    }

    pub fn is_empty(&self) -> bool {
        self.chips.is_empty() && self.query.trim().is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    Filter,
    Search,
    Command,
    Tag,
    Note,
}

impl InputMode {
    pub fn prompt(self) -> &'static str {
        match self {
            InputMode::Filter => "filter",
            InputMode::Search => "search",
            InputMode::Command => ":",
            InputMode::Tag => "tags (comma or space separated)",
            InputMode::Note => "note (ctrl-j: new line)",
        }
    }
}

/// The line being typed, with its error (column, message) when it does not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub mode: InputMode,
    pub text: String,
    pub error: Option<(usize, String)>,
}

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
}

impl EventsState {
    pub fn row(&self, pos: u64) -> Option<&EventRow<'static>> {
        pos.checked_sub(self.offset)
            .and_then(|i| self.rows.get(i as usize))
    }

    pub fn is_match(&self, pos: u64) -> bool {
        pos.checked_sub(self.offset)
            .and_then(|i| self.matches.get(i as usize))
            .copied()
            .unwrap_or(false)
    }
}

/// One line of the detail view: a decoded field (label, value) or a JSON line.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailLine {
    Section(String),
    Field {
        label: String,
        value: String,
        severity: Option<crate::detect::Severity>,
    },
    Json(super::jsontree::Line),
}

#[derive(Debug, Clone, Default)]
pub struct DetailState {
    pub handle: Option<u64>,
    pub event: Option<Box<AuditEvent>>,
    pub tree: JsonTree,
    pub header: Vec<DetailLine>,
    pub cursor: usize,
    pub scroll: usize,
    pub loading: bool,
}

impl DetailState {
    pub fn lines(&self) -> Vec<DetailLine> {
        let mut l = self.header.clone();
        l.extend(self.tree.lines().into_iter().map(DetailLine::Json));
        l
    }
}

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

#[derive(Debug, Clone, Default)]
pub struct TimelineState {
    pub counts: Vec<u64>,
    pub start: Micros,
    pub end: Micros,
    pub cursor: usize,
    pub mark: Option<usize>,
    pub loaded_for: Option<(Expr, usize)>,
}

impl TimelineState {
    pub fn bucket_span(&self, i: usize) -> (Micros, Micros) {
        let n = self.counts.len().max(1) as i64;
        let width = ((self.end.0 - self.start.0) / n).max(1);
        let a = self.start.0 + width * i as i64;
        (Micros(a), Micros(a + width))
    }
}

/// A popup of values of the selected event to pivot on.
#[derive(Debug, Clone, PartialEq)]
pub struct PivotMenu {
    /// (label, query field, value)
    pub items: Vec<(String, &'static str, String)>,
    pub selected: usize,
}

/// Facts about the index shown in the header (the session computes them).
pub use crate::session::IndexFacts;

pub struct App {
    pub view: View,
    pub stack: Vec<View>,
    pub help: bool,
    pub menu: Option<PivotMenu>,
    pub findings: Arc<Vec<Finding>>,
    /// audit ID → indexes of the findings that stand on it.
    pub finding_of: HashMap<String, Vec<usize>>,
    pub det_selected: usize,
    pub filter: FilterState,
    pub history: Vec<FilterState>,
    pub history_pos: usize,
    pub events: EventsState,
    pub detail: DetailState,
    pub pivots: PivotsState,
    pub timeline: TimelineState,
    pub input: Option<Input>,
    pub search: Option<(String, Expr)>,
    pub status: String,
    pub tz: TimeZone,
    pub tz_name: String,
    pub size: (u16, u16),
    pub facts: IndexFacts,
    pub quit: bool,
    /// The case: bookmarks, tags, notes, saved filters.
    pub case: Case,
    /// Why the case file could not be read: then it is never written.
    pub case_error: Option<TuiError>,
    pub case_selected: usize,
    /// The case file and index directory, for an export's provenance.
    pub case_file: Option<String>,
    pub index_name: String,
    pub export: Option<ExportDialog>,
    /// The event a tag or note input is about.
    input_target: Option<EventRef>,
    pending: Pending,
}

const PAGE: usize = 256;

impl App {
    pub fn new(
        findings: Vec<Finding>,
        facts: IndexFacts,
        tz: TimeZone,
        tz_name: String,
        size: (u16, u16),
    ) -> App {
        let finding_of = findings_by_event(&findings);
        let view = if findings.is_empty() {
            View::Events
        } else {
            View::Detections
        };
        App {
            view,
            stack: Vec::new(),
            help: false,
            menu: None,
            findings: Arc::new(findings),
            finding_of,
            det_selected: 0,
            filter: FilterState::default(),
            history: vec![FilterState::default()],
            history_pos: 0,
            events: EventsState::default(),
            detail: DetailState::default(),
            pivots: PivotsState::default(),
            timeline: TimelineState::default(),
            input: None,
            search: None,
            status: String::new(),
            tz,
            tz_name,
            size,
            facts,
            quit: false,
            case: Case::default(),
            case_error: None,
            case_selected: 0,
            case_file: None,
            index_name: String::new(),
            export: None,
            input_target: None,
            pending: Pending::default(),
        }
    }

    /// Replaces the findings (after a reload), keeping the selection in range.
    pub fn set_findings(&mut self, findings: Vec<Finding>) {
        self.finding_of = findings_by_event(&findings);
        self.det_selected = self.det_selected.min(findings.len().saturating_sub(1));
        self.findings = Arc::new(findings);
    }

    /// The first requests: the data of the initial view.
    pub fn start(&mut self) -> Option<Effect> {
        self.refresh()
    }

    fn request(&mut self, kind: RequestKind, make: impl FnOnce(u64) -> Request) -> Option<Effect> {
        let req = make(self.pending.issue(kind));
        debug_assert_eq!(req.kind(), kind, "a request is filed under its own kind");
        Some(Effect::Request(req))
    }

    pub fn page_rows(&self) -> usize {
        layout::table_rows(self.size)
    }

    /// Asks for whatever the current view lacks for the current filter.
    pub fn refresh(&mut self) -> Option<Effect> {
        let expr = self.filter.expr();
        match self.view {
            View::Events => {
                if self.events.loaded_for.as_ref() != Some(&expr) {
                    self.events = EventsState {
                        loaded_for: Some(expr.clone()),
                        focus: self.events.focus,
                        ..EventsState::default()
                    };
                    return self.request_page(0);
                }
                self.ensure_rows()
            }
            View::Pivots if self.pivots.loaded_for.as_ref() != Some(&expr) => {
                self.pivots.loaded_for = Some(expr.clone());
                let fields = pivot_fields().iter().map(|(f, _, _)| *f).collect();
                self.request(RequestKind::Pivots, |id| Request::Pivots {
                    id,
                    expr,
                    fields,
                    n: 200,
                })
            }
            View::Timeline => {
                let buckets = (self.size.0 as usize).saturating_sub(4).max(10);
                if self.timeline.loaded_for.as_ref() == Some(&(expr.clone(), buckets)) {
                    return None;
                }
                self.timeline.loaded_for = Some((expr.clone(), buckets));
                let (start, end) = time_bounds(&self.filter);
                self.request(RequestKind::Histogram, |id| Request::Histogram {
                    id,
                    expr,
                    start,
                    end,
                    buckets,
                })
            }
            _ => None,
        }
    }

    fn request_page(&mut self, around: u64) -> Option<Effect> {
        let expr = self
            .events
            .loaded_for
            .clone()
            .unwrap_or_else(|| self.filter.expr());
        let offset = around.saturating_sub(PAGE as u64 / 2);
        let search = self.search.as_ref().map(|(_, e)| e.clone());
        self.request(RequestKind::Page, |id| Request::Page {
            id,
            expr,
            offset,
            limit: PAGE,
            search,
        })
    }

    /// Loads rows when the selection nears the edge of the loaded window.
    fn ensure_rows(&mut self) -> Option<Effect> {
        let e = &self.events;
        let total = e.total?;
        let end = e.offset + e.rows.len() as u64;
        let margin = self.page_rows() as u64;
        let need_before = e.offset > 0 && e.selected < e.offset + margin;
        let need_after = end < total && e.selected + margin >= end;
        if e.rows.is_empty() && total > 0 || need_before || need_after {
            return self.request_page(e.selected);
        }
        None
    }

    /// Applies a new filter state, remembering it in the pivot history.
    fn push_filter(&mut self, f: FilterState) -> Option<Effect> {
        self.history.truncate(self.history_pos + 1);
        self.history.push(f.clone());
        self.history_pos = self.history.len() - 1;
        self.filter = f;
        self.events.selected = 0;
        self.refresh()
    }

    fn add_chip(&mut self, chip: Chip) -> Option<Effect> {
        let mut f = self.filter.clone();
        // A pivot widens from "the events of a finding" to everything matching the value.
        f.chips
            .retain(|c| c.label != chip.label && !matches!(c.expr, Expr::AuditIds(_)));
        f.chips.push(chip);
        self.push_filter(f)
    }

    fn show(&mut self, view: View) -> Option<Effect> {
        if self.view != view {
            if view != View::Detections {
                self.stack.push(self.view);
            }
            self.view = view;
        }
        self.refresh()
    }

    pub fn update(&mut self, action: Action) -> Option<Effect> {
        if let Action::Response(r) = action {
            return self.on_response(*r);
        }
        if let Action::Resize(w, h) = action {
            self.size = (w, h);
            return self.refresh();
        }
        if let Action::CaseSaved(result) = action {
            self.on_case_saved(*result);
            return None;
        }
        if action == Action::Quit {
            self.quit = true;
            return Some(Effect::Quit);
        }
        if self.export.is_some() {
            return self.on_export(action);
        }
        if self.input.is_some() {
            return self.on_input(action);
        }
        if self.menu.is_some() {
            return self.on_menu(action);
        }
        if self.help {
            if matches!(action, Action::Help | Action::Cancel | Action::Back) {
                self.help = false;
            }
            return None;
        }
        self.status.clear();
        match action {
            Action::Help => {
                self.help = true;
                None
            }
            Action::Back => self.back(),
            Action::Cancel => {
                self.search = None;
                self.events.matches.iter_mut().for_each(|m| *m = false);
                None
            }
            Action::ViewDetections => self.show(View::Detections),
            Action::ViewEvents => self.show(View::Events),
            Action::ViewPivots => self.show(View::Pivots),
            Action::ViewTimeline => self.show(View::Timeline),
            Action::ViewCase => self.show(View::Case),
            Action::ToggleMark
            | Action::Tag
            | Action::Note
            | Action::NextMark
            | Action::PrevMark
            | Action::Export => self.on_case_action(action),
            Action::Filter => self.open_input(InputMode::Filter, self.filter.query.clone()),
            Action::Search => self.open_input(
                InputMode::Search,
                self.search
                    .as_ref()
                    .map(|(s, _)| s.clone())
                    .unwrap_or_default(),
            ),
            Action::Command => self.open_input(InputMode::Command, String::new()),
            Action::SearchNext => self.find(false),
            Action::SearchPrev => self.find(true),
            Action::PivotBack => self.step_history(-1),
            Action::PivotForward => self.step_history(1),
            Action::ClearFilters => self.push_filter(FilterState::default()),
            // Another process may have added data: the worker reloads the index first.
            Action::Refresh => self.request(RequestKind::Reload, |id| Request::Reload { id }),
            Action::Click { column, row } => self.click(column, row),
            Action::Scroll(n) => self.move_by(i64::from(n)),
            other => self.on_view(other),
        }
    }

    fn back(&mut self) -> Option<Effect> {
        match self.stack.pop() {
            Some(v) => {
                self.view = v;
                self.refresh()
            }
            None if self.view == View::Detections || self.findings.is_empty() => {
                self.quit = true;
                Some(Effect::Quit)
            }
            None => {
                self.view = View::Detections;
                None
            }
        }
    }

    fn step_history(&mut self, step: i64) -> Option<Effect> {
        let pos = self.history_pos as i64 + step;
        if pos < 0 || pos >= self.history.len() as i64 {
            self.status = "no further pivot in that direction".into();
            return None;
        }
        self.history_pos = pos as usize;
        self.filter = self.history[self.history_pos].clone();
        self.events.selected = 0;
        self.refresh()
    }

    fn open_input(&mut self, mode: InputMode, text: String) -> Option<Effect> {
        self.input = Some(Input {
            mode,
            text,
            error: None,
        });
        None
    }

    fn on_input(&mut self, action: Action) -> Option<Effect> {
        let input = self.input.as_mut()?;
        match action {
            Action::Char(c) => {
                input.text.push(c);
                input.error = None;
                None
            }
            Action::Backspace => {
                input.text.pop();
                input.error = None;
                None
            }
            Action::Cancel => {
                self.input = None;
                self.input_target = None;
                None
            }
            Action::Submit => self.submit(),
            _ => None,
        }
    }

    fn submit(&mut self) -> Option<Effect> {
        let input = self.input.clone()?;
        if matches!(input.mode, InputMode::Tag | InputMode::Note) {
            return self.submit_case_input(input.mode, &input.text);
        }
        let text = input.text.trim().to_owned();
        match input.mode {
            InputMode::Filter => match query::parse(&text) {
                Ok(_) => {
                    self.input = None;
                    let mut f = self.filter.clone();
                    f.query = text;
                    self.show_events_with(f)
                }
                Err(e) => self.input_error(e.column, e.message),
            },
            InputMode::Search => {
                if text.is_empty() {
                    self.input = None;
                    self.search = None;
                    return None;
                }
                match query::parse(&text) {
                    Ok(expr) => {
                        self.input = None;
                        self.search = Some((text, expr));
                        self.events.loaded_for = None;
                        if self.view != View::Events {
                            self.show(View::Events);
                        }
                        self.find_from(self.current_time().map(|t| t.saturating_add(-1)), false)
                    }
                    Err(e) => self.input_error(e.column, e.message),
                }
            }
            InputMode::Command => self.command(&text),
            InputMode::Tag | InputMode::Note => None,
        }
    }

    fn input_error(&mut self, column: usize, message: String) -> Option<Effect> {
        if let Some(i) = self.input.as_mut() {
            i.error = Some((column, message));
        }
        None
    }

    fn show_events_with(&mut self, f: FilterState) -> Option<Effect> {
        if self.view != View::Events && self.view != View::Pivots && self.view != View::Timeline {
            self.stack.push(self.view);
            self.view = View::Events;
        }
        self.push_filter(f)
    }

    /// `:` commands.
    fn command(&mut self, text: &str) -> Option<Effect> {
        let (cmd, arg) = text
            .split_once(char::is_whitespace)
            .map_or((text, ""), |(c, a)| (c, a.trim()));
        let field = match cmd {
            "q" | "quit" => {
                self.quit = true;
                return Some(Effect::Quit);
            }
            "clear" => {
                self.input = None;
                return self.push_filter(FilterState::default());
            }
            "help" => {
                self.input = None;
                self.help = true;
                return None;
            }
            "tz" => return self.set_tz(arg),
            "save" => return self.save_filter(arg),
            "load" => return self.load_filter(arg),
            "export" => {
                self.input = None;
                return self.on_case_action(Action::Export);
            }
            "title" | "analyst" => {
                self.input = None;
                let op = if cmd == "title" {
                    CaseOp::SetTitle(arg.to_owned())
                } else {
                    CaseOp::SetAnalyst(arg.to_owned())
                };
                return self.case_change(op);
            }
            "since" | "until" => return self.time_command(cmd, arg),
            _ if fields::command(cmd).is_some() => cmd,
            _ => return self.input_error(0, unknown_command(cmd)),
        };
        if arg.is_empty() {
            return self.input_error(cmd.len(), format!("`:{cmd}` needs a value"));
        }
        let q = format!("{field}:{}", quote(arg));
        match query::parse(&q) {
            Ok(expr) => {
                self.input = None;
                self.add_chip_and_show(Chip { label: q, expr })
            }
            Err(e) => self.input_error(
                e.column.saturating_sub(field.len() + 1) + cmd.len() + 1,
                e.message,
            ),
        }
    }

    fn add_chip_and_show(&mut self, chip: Chip) -> Option<Effect> {
        if matches!(self.view, View::Detections | View::Detail) {
            self.stack.push(self.view);
            self.view = View::Events;
        }
        self.add_chip(chip)
    }

    fn time_command(&mut self, cmd: &str, arg: &str) -> Option<Effect> {
        let Some(t) = TimeSpec::parse(arg) else {
            return self.input_error(
                cmd.len() + 1,
                format!("`{arg}` is not a time (RFC 3339, a date, or a duration like 2h)"),
            );
        };
        self.input = None;
        let expr = if cmd == "since" {
            Expr::time_window(Some(t), None)
        } else {
            Expr::time_window(None, Some(t))
        };
        self.add_chip_and_show(Chip {
            label: format!("{cmd} {arg}"),
            expr,
        })
    }

    fn set_tz(&mut self, arg: &str) -> Option<Effect> {
        match parse_tz(arg) {
            Some((tz, name)) => {
                self.input = None;
                self.tz = tz;
                self.tz_name = name;
                None
            }
            None => self.input_error(
                3,
                format!(
                    "unknown time zone `{arg}` (utc, local, or an IANA name like Europe/Paris)"
                ),
            ),
        }
    }

    fn on_menu(&mut self, action: Action) -> Option<Effect> {
        let menu = self.menu.as_mut()?;
        match action {
            Action::Down => {
                menu.selected = (menu.selected + 1).min(menu.items.len().saturating_sub(1));
            }
            Action::Up => menu.selected = menu.selected.saturating_sub(1),
            Action::Cancel | Action::Back => self.menu = None,
            Action::Open | Action::Submit => {
                let (_, field, value) = menu.items.get(menu.selected)?.clone();
                self.menu = None;
                return self.pivot_on(field, &value);
            }
            _ => {}
        }
        None
    }

    /// Adds `field:value` to the filters and shows the events.
    fn pivot_on(&mut self, field: &str, value: &str) -> Option<Effect> {
        let q = format!("{field}:{}", quote(value));
        let expr = query::parse(&q).unwrap_or(Expr::All);
        if matches!(self.view, View::Detections | View::Detail) {
            self.stack.push(self.view);
            self.view = View::Events;
        }
        self.add_chip(Chip { label: q, expr })
    }

    fn on_view(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageDown => self.move_by(self.page_rows() as i64),
            Action::PageUp => self.move_by(-(self.page_rows() as i64)),
            Action::HalfPageDown => self.move_by(self.page_rows() as i64 / 2),
            Action::HalfPageUp => self.move_by(-(self.page_rows() as i64 / 2)),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(u64::MAX),
            Action::Left | Action::PrevPane => self.side(-1),
            Action::Right | Action::NextPane => self.side(1),
            Action::Open => self.open(),
            Action::PivotMenu => self.open_menu(),
            Action::AroundMinute => self.around(Micros::MINUTE),
            Action::AroundTenMinutes => self.around(10 * Micros::MINUTE),
            Action::Copy => self.copy(),
            Action::ToggleFold => self.fold(None),
            Action::ExpandAll => self.fold(Some(false)),
            Action::CollapseAll => self.fold(Some(true)),
            Action::MarkRange => self.mark_range(),
            Action::ZoomOut => self.step_history(-1),
            _ => None,
        }
    }

    fn len(&self) -> u64 {
        match self.view {
            View::Detections => self.findings.len() as u64,
            View::Events => self.events.total.unwrap_or(0),
            View::Detail => self.detail.lines().len() as u64,
            View::Pivots => self
                .pivots
                .lists
                .get(self.pivots.column)
                .map_or(0, |l| l.values.len() as u64),
            View::Timeline => self.timeline.counts.len() as u64,
            View::Case => self.case.events.len() as u64,
        }
    }

    fn position(&self) -> u64 {
        match self.view {
            View::Detections => self.det_selected as u64,
            View::Events => self.events.selected,
            View::Detail => self.detail.cursor as u64,
            View::Pivots => self
                .pivots
                .rows
                .get(self.pivots.column)
                .copied()
                .unwrap_or(0) as u64,
            View::Timeline => self.timeline.cursor as u64,
            View::Case => self.case_selected as u64,
        }
    }

    fn move_by(&mut self, delta: i64) -> Option<Effect> {
        let pos = self.position() as i64 + delta;
        self.move_to(pos.max(0) as u64)
    }

    fn move_to(&mut self, pos: u64) -> Option<Effect> {
        let last = self.len().saturating_sub(1);
        let pos = pos.min(last);
        let rows = self.page_rows() as u64;
        match self.view {
            View::Detections => self.det_selected = pos as usize,
            View::Events => {
                self.events.selected = pos;
                let e = &mut self.events;
                if pos < e.scroll {
                    e.scroll = pos;
                } else if pos >= e.scroll + rows {
                    e.scroll = pos + 1 - rows;
                }
                return self.ensure_rows();
            }
            View::Detail => {
                self.detail.cursor = pos as usize;
                let body = rows as usize + 1;
                if self.detail.cursor < self.detail.scroll {
                    self.detail.scroll = self.detail.cursor;
                } else if self.detail.cursor >= self.detail.scroll + body {
                    self.detail.scroll = self.detail.cursor + 1 - body;
                }
            }
            View::Pivots => {
                let col = self.pivots.column;
                if let Some(r) = self.pivots.rows.get_mut(col) {
                    *r = pos as usize;
                }
            }
            View::Timeline => self.timeline.cursor = pos as usize,
            View::Case => self.case_selected = pos as usize,
        }
        None
    }

    fn side(&mut self, step: i64) -> Option<Effect> {
        match self.view {
            View::Pivots => {
                let n = self.pivots.lists.len().max(1) as i64;
                self.pivots.column = (self.pivots.column as i64 + step).rem_euclid(n) as usize;
                None
            }
            View::Timeline => self.move_by(step),
            _ => None,
        }
    }

    fn selected_event(&self) -> Option<&EventRow<'static>> {
        self.events.row(self.events.selected)
    }

    fn open(&mut self) -> Option<Effect> {
        match self.view {
            View::Detections => {
                let f = self.findings.get(self.det_selected)?.clone();
                let chip = Chip {
                    label: format!("finding {} ({}, {} events)", f.rule_id, f.account, f.count),
                    expr: Expr::AuditIds(Arc::new(f.audit_ids.clone())),
                };
                self.stack.push(View::Detections);
                self.view = View::Events;
                let mut fs = FilterState::default();
                fs.chips.push(chip);
                self.push_filter(fs)
            }
            View::Events => {
                let handle = self.selected_event()?.handle;
                self.stack.push(View::Events);
                self.view = View::Detail;
                self.detail = DetailState {
                    handle: Some(handle),
                    loading: true,
                    ..DetailState::default()
                };
                self.request(RequestKind::Event, |id| Request::Event { id, handle })
            }
            View::Pivots => {
                let list = self.pivots.lists.get(self.pivots.column)?;
                let row = self
                    .pivots
                    .rows
                    .get(self.pivots.column)
                    .copied()
                    .unwrap_or(0);
                let (value, _) = list.values.get(row)?.clone();
                let field = pivot_fields()
                    .into_iter()
                    .find(|(f, _, _)| *f == list.field)
                    .map_or("user", |(_, _, q)| q);
                let q = format!("{field}:{}", quote(&value));
                let expr = query::parse(&q).unwrap_or(Expr::All);
                self.add_chip(Chip { label: q, expr })
            }
            View::Detail => self.fold(None),
            View::Case => self.open_bookmark(),
            View::Timeline => {
                // The events, positioned on the first one of the bucket.
                let (start, _) = self.timeline.bucket_span(self.timeline.cursor);
                self.stack.push(View::Timeline);
                self.view = View::Events;
                let search = self.search.take();
                let eff = self.find_from(Some(start.saturating_add(-1)), false);
                self.search = search;
                eff
            }
        }
    }

    fn open_menu(&mut self) -> Option<Effect> {
        let s = match self.view {
            View::Detail => self.detail.event.as_deref().map(EventRow::of),
            _ => self.selected_event().cloned(),
        }?;
        let items = fields::pivots()
            .into_iter()
            .filter_map(|(f, p)| {
                let (label, chip) = p.menu?;
                let value = f.first(&s);
                (!value.is_empty()).then(|| (format!("{label}: {value}"), chip, value))
            })
            .collect();
        self.menu = Some(PivotMenu { items, selected: 0 });
        None
    }

    fn current_time(&self) -> Option<Micros> {
        match self.view {
            View::Detail => self.detail.event.as_ref().map(|e| e.time),
            _ => self.selected_event().map(|e| e.time),
        }
    }

    /// Events within `span` of the selected one, every other filter dropped: context.
    fn around(&mut self, span: i64) -> Option<Effect> {
        let t = self.current_time()?;
        let (a, b) = (t.saturating_add(-span), t.saturating_add(span));
        let label = format!(
            "around {} ±{}",
            t.display_in(&self.tz),
            crate::model::time::format_duration(span)
        );
        let expr = Expr::time_window(Some(TimeSpec::At(a)), Some(TimeSpec::At(b)));
        let mut f = FilterState::default();
        f.chips.push(Chip { label, expr });
        if self.view != View::Events {
            self.stack.push(self.view);
            self.view = View::Events;
        }
        self.push_filter(f);
        // Select the event we came from once the list is loaded.
        self.find_from(Some(t.saturating_add(-1)), false)
    }

    /// Looks for the next match of the search (or, with no search, any event) after `from`.
    fn find_from(&mut self, from: Option<Micros>, backwards: bool) -> Option<Effect> {
        let expr = self.filter.expr();
        let search = self.search.as_ref().map_or(Expr::All, |(_, e)| e.clone());
        let from = from.unwrap_or(Micros(i64::MIN / 2));
        self.events.loaded_for = Some(expr.clone());
        self.request(RequestKind::Find, |id| Request::Find {
            id,
            expr,
            search,
            from,
            backwards,
        })
    }

    fn find(&mut self, backwards: bool) -> Option<Effect> {
        if self.search.is_none() {
            self.status = "no search: press / first".into();
            return None;
        }
        if self.view != View::Events {
            self.show(View::Events);
        }
        self.find_from(self.current_time(), backwards)
    }

    fn copy(&mut self) -> Option<Effect> {
        let text = match self.view {
            View::Detail => match self.detail.lines().get(self.detail.cursor)? {
                DetailLine::Field { value, .. } => value.clone(),
                DetailLine::Json(l) => self.detail.tree.value_of(l.node),
                DetailLine::Section(s) => s.clone(),
            },
            View::Events => self.selected_event()?.audit_id.to_string(),
            View::Case => self.case_target()?.audit_id,
            View::Pivots => {
                let list = self.pivots.lists.get(self.pivots.column)?;
                list.values
                    .get(
                        self.pivots
                            .rows
                            .get(self.pivots.column)
                            .copied()
                            .unwrap_or(0),
                    )?
                    .0
                    .clone()
            }
            View::Detections => self.findings.get(self.det_selected)?.summary.clone(),
            View::Timeline => return None,
        };
        self.status = format!("copied {} characters", text.chars().count());
        Some(Effect::Copy(text))
    }

    fn fold(&mut self, all: Option<bool>) -> Option<Effect> {
        if self.view != View::Detail {
            return None;
        }
        match all {
            Some(f) => self.detail.tree.fold_all(f),
            None => {
                if let Some(DetailLine::Json(l)) = self.detail.lines().get(self.detail.cursor) {
                    self.detail.tree.toggle(l.node);
                }
            }
        }
        None
    }

    fn mark_range(&mut self) -> Option<Effect> {
        if self.view != View::Timeline {
            return None;
        }
        match self.timeline.mark.take() {
            None => {
                self.timeline.mark = Some(self.timeline.cursor);
                self.status = "range start marked: move and press the key again to zoom".into();
                None
            }
            Some(m) => {
                let (a, b) = (m.min(self.timeline.cursor), m.max(self.timeline.cursor));
                let (start, _) = self.timeline.bucket_span(a);
                let (_, end) = self.timeline.bucket_span(b);
                let label = format!(
                    "{} .. {}",
                    start.display_in(&self.tz),
                    end.display_in(&self.tz)
                );
                let expr = Expr::time_window(Some(TimeSpec::At(start)), Some(TimeSpec::At(end)));
                let mut f = self.filter.clone();
                f.chips.retain(|c| !c.label.contains(" .. "));
                f.chips.push(Chip { label, expr });
                self.timeline.cursor = 0;
                self.push_filter(f)
            }
        }
    }

    fn click(&mut self, column: u16, row: u16) -> Option<Effect> {
        let r = layout::regions(ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1));
        let body = layout::table_body(r.main);
        if row < body.y || row >= body.y + body.height || column < body.x {
            return None;
        }
        let i = u64::from(row - body.y);
        match self.view {
            View::Events => self.move_to(self.events.scroll + i),
            View::Detections => {
                let first = (self.det_selected as u64 + 1).saturating_sub(body.height as u64);
                self.move_to(first + i)
            }
            _ => None,
        }
    }

    fn on_response(&mut self, r: Response) -> Option<Effect> {
        if !self.pending.is_fresh(&r) {
            // The answer to a superseded request.
            return None;
        }
        match r {
            Response::Page {
                total,
                offset,
                rows,
                matches,
                ..
            } => {
                let e = &mut self.events;
                e.total = Some(total);
                e.offset = offset;
                e.rows = rows;
                e.matches = matches;
                if let Some(focus) = e.focus.take() {
                    e.selected = focus.min(total.saturating_sub(1));
                    let rows = layout::table_rows(self.size) as u64;
                    e.scroll = e.selected.saturating_sub(rows / 3);
                }
                if e.selected >= total {
                    e.selected = total.saturating_sub(1);
                }
                None
            }
            Response::Found { offset, .. } => match offset {
                Some(pos) => {
                    self.events.focus = Some(pos);
                    self.request_page(pos)
                }
                None => {
                    if self.search.is_some() {
                        self.status = "no more matches".into();
                    }
                    self.events.loaded_for = None;
                    self.refresh()
                }
            },
            Response::Event { event, raw, .. } => {
                self.detail = build_detail(&self.findings, &self.finding_of, event, &raw, &self.tz);
                None
            }
            Response::Pivots { lists, .. } => {
                self.pivots.lists = lists
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
                self.pivots.rows = vec![0; self.pivots.lists.len()];
                self.pivots.column = self
                    .pivots
                    .column
                    .min(self.pivots.lists.len().saturating_sub(1));
                None
            }
            Response::Histogram {
                counts, start, end, ..
            } => {
                self.timeline.cursor = self.timeline.cursor.min(counts.len().saturating_sub(1));
                self.timeline.counts = counts;
                self.timeline.start = start;
                self.timeline.end = end;
                None
            }
            Response::Exported { result, .. } => {
                self.on_exported(result);
                None
            }
            Response::Reloaded {
                facts, findings, ..
            } => {
                self.facts = facts;
                match findings {
                    Some(Ok(f)) => self.set_findings(f),
                    Some(Err(e)) => self.status = format!("error: {e}"),
                    None => {}
                }
                self.events.loaded_for = None;
                self.pivots.loaded_for = None;
                self.timeline.loaded_for = None;
                self.refresh()
            }
            Response::Error { message, .. } => {
                self.status = format!("error: {message}");
                None
            }
        }
    }
}

/// audit ID → indexes of the findings that stand on it.
fn findings_by_event(findings: &[Finding]) -> HashMap<String, Vec<usize>> {
    let mut finding_of: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        for id in &f.audit_ids {
            finding_of.entry(id.clone()).or_default().push(i);
        }
    }
    finding_of
}

/// The time window a filter's chips restrict to (for the timeline's bounds).
fn time_bounds(f: &FilterState) -> (Option<Micros>, Option<Micros>) {
    let mut bounds = (None, None);
    for c in &f.chips {
        if let Expr::Field {
            field: "time",
            pattern: query::Pattern::Time(lo, hi),
        } = &c.expr
        {
            use std::ops::Bound;
            if let Bound::Included(TimeSpec::At(t)) | Bound::Excluded(TimeSpec::At(t)) = lo {
                bounds.0 = Some(*t);
            }
            if let Bound::Included(TimeSpec::At(t)) | Bound::Excluded(TimeSpec::At(t)) = hi {
                bounds.1 = Some(*t);
            }
        }
    }
    bounds
}

/// The error of a `:` command that does not exist, listing those that do.
fn unknown_command(cmd: &str) -> String {
    let filters: Vec<&str> = fields::FIELDS
        .iter()
        .filter_map(|f| f.commands.first().copied())
        .collect();
    format!(
        "unknown command `{cmd}` ({}, since, until, clear, tz, save, load, export, title, analyst, q)",
        filters.join(", ")
    )
}

/// Quotes a value for the query language when it holds spaces, quotes or parentheses.
pub fn quote(v: &str) -> String {
    if v.is_empty() || v.contains([' ', '"', '(', ')', '\\']) {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        v.to_owned()
    }
}

/// `utc`, `local` or an IANA name.
pub fn parse_tz(s: &str) -> Option<(TimeZone, String)> {
    match s.trim() {
        "" | "utc" | "UTC" => Some((TimeZone::UTC, "UTC".to_owned())),
        "local" => {
            let tz = TimeZone::system();
            let name = tz.iana_name().unwrap_or("local").to_owned();
            Some((tz, name))
        }
        name => TimeZone::get(name).ok().map(|tz| (tz, name.to_owned())),
    }
}

/// The decoded fields on top, the findings the event belongs to, then the raw JSON.
fn build_detail(
    findings: &[Finding],
    finding_of: &HashMap<String, Vec<usize>>,
    event: Box<AuditEvent>,
    raw: &str,
    tz: &TimeZone,
) -> DetailState {
    let e = &event;
    let mut header = vec![DetailLine::Section("event".into())];
    let mut field = |label: &str, value: String| {
        if !value.trim().is_empty() {
            header.push(DetailLine::Field {
                label: label.to_owned(),
                value,
                severity: None,
            });
        }
    };
    field(
        "time",
        format!(
            "{} ({})",
            e.time.display_in(tz),
            tz.iana_name().unwrap_or("UTC")
        ),
    );
    field("audit id", e.audit_id.clone());
    let stages: Vec<&str> = e.stages.iter().map(|s| s.as_str()).collect();
    field(
        "stage",
        format!(
            "{} (seen: {})",
            e.stage.map_or("-", |s| s.as_str()),
            stages.join(", ")
        ),
    );
    field("user", format!("{}  [{}]", e.user.username, e.actor.kind));
    field("groups", e.user.groups.join(", "));
    if let Some(imp) = &e.impersonated {
        field("impersonating", imp.username.clone());
    }
    field("credential", e.credential.id.clone().unwrap_or_default());
    field(
        "bound pod",
        e.credential.pod_name.clone().unwrap_or_default(),
    );
    field("node", e.credential.node_name.clone().unwrap_or_default());
    field(
        "source ip",
        format!(
            "{} (sourceIPs: {})",
            e.peer_ip().unwrap_or("-"),
            e.source_ips.join(", ")
        ),
    );
    field("user agent", e.user_agent.clone());
    field(
        "request",
        format!(
            "{} {} {}/{}",
            e.verb,
            e.resource_path(),
            e.object.namespace,
            e.object.name
        ),
    );
    field("uri", crate::model::exec::decode_uri(&e.request_uri));
    field(
        "response",
        format!(
            "{} {}",
            e.code.map(|c| c.to_string()).unwrap_or_default(),
            e.status_reason
        ),
    );
    field("message", e.status_message.clone());
    field("decision", format!("{} {}", e.decision, e.authz_reason));
    if let Some(x) = &e.exec {
        field("command", x.command_line.clone());
        field("container", x.container.clone().unwrap_or_default());
        let flags: Vec<&str> = [
            (x.stdin, "stdin"),
            (x.stdout, "stdout"),
            (x.stderr, "stderr"),
            (x.tty, "tty"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
        field("streams", flags.join(", "));
        field("kubelet target", x.target.clone().unwrap_or_default());
    }
    field("facts", e.facts.join(", "));
    field("source", e.source.to_string());
    if let Some(idx) = finding_of.get(&e.audit_id) {
        header.push(DetailLine::Section("findings".into()));
        for &i in idx {
            if let Some(f) = findings.get(i) {
                header.push(DetailLine::Field {
                    label: f.rule_id.clone(),
                    value: format!("{}: {}", f.title, f.summary),
                    severity: Some(f.severity),
                });
            }
        }
    }
    header.push(DetailLine::Section("raw event".into()));
    let value: serde_json::Value =
        serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()));
    let mut tree = JsonTree::new(value);
    tree.fold_large(40, 4);
    DetailState {
        handle: None,
        event: Some(event),
        tree,
        header,
        cursor: 0,
        scroll: 0,
        loading: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Family, Severity};

    fn finding(rule: &str, ids: &[&str]) -> Finding {
        Finding {
            rule_id: rule.into(),
            title: "t".into(),
            family: Family::RemoteExec,
            severity: Severity::High,
            attack: None,
            first_seen: "2026-03-14T10:00:00.000000Z".into(),
            last_seen: "2026-03-14T10:00:00.000000Z".into(),
            account: "system:serviceaccount:shop:web".into(),
            source_ips: vec![],
            namespaces: vec![],
            audit_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
            count: ids.len(),
            summary: "summary".into(),
            evidence: serde_json::json!({}),
            advice: "advice".into(),
        }
    }

    fn row(i: u64) -> EventRow<'static> {
        EventRow {
            handle: 1000 + i,
            time: Micros(1_773_475_200_000_000 + i as i64 * 1_000_000),
            audit_id: format!("id-{i}").into(),
            user: if i % 2 == 0 {
                "alice".into()
            } else {
                "system:serviceaccount:shop:web".into()
            },
            verb: "get".into(),
            resource: "pods".into(),
            namespace: "shop".into(),
            name: format!("web-{i}").into(),
            source_ip: Some("10.0.0.1".into()),
            code: Some(200),
            user_agent: "kubectl/v1.30.0".into(),
            ..EventRow::default()
        }
    }

    fn app() -> App {
        let findings = vec![
            finding("KS-A", &["id-1", "id-2"]),
            finding("KS-B", &["id-3"]),
        ];
        App::new(
            findings,
            IndexFacts::default(),
            TimeZone::UTC,
            "UTC".into(),
            (120, 40),
        )
    }

    fn request(e: Option<Effect>) -> Request {
        match e {
            Some(Effect::Request(r)) => r,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn id_of(r: &Request) -> u64 {
        r.id()
    }

    /// An app on the events view with `total` events, the first page loaded.
    fn events_app(total: u64) -> App {
        let mut a = app();
        let req = request(a.update(Action::ViewEvents));
        let rows: Vec<EventRow<'static>> = (0..total.min(PAGE as u64)).map(row).collect();
        let n = rows.len();
        a.update(Action::Response(Box::new(Response::Page {
            id: id_of(&req),
            total,
            offset: 0,
            rows,
            matches: vec![false; n],
        })));
        a
    }

    #[test]
    fn quit_and_back() {
        let mut a = app();
        assert_eq!(a.update(Action::Back), Some(Effect::Quit));
        let mut a = events_app(5);
        assert_eq!(a.view, View::Events);
        a.update(Action::Back);
        assert_eq!(a.view, View::Detections);
        let mut a = app();
        assert_eq!(a.update(Action::Quit), Some(Effect::Quit));
        assert!(a.quit);
    }

    #[test]
    fn help_opens_and_closes() {
        let mut a = app();
        a.update(Action::Help);
        assert!(a.help);
        a.update(Action::Down);
        assert!(a.help, "keys other than close are ignored under the help");
        a.update(Action::Cancel);
        assert!(!a.help);
    }

    #[test]
    fn moving_stays_in_bounds() {
        let mut a = events_app(50);
        a.update(Action::Down);
        a.update(Action::Down);
        assert_eq!(a.events.selected, 2);
        a.update(Action::Up);
        assert_eq!(a.events.selected, 1);
        a.update(Action::Bottom);
        assert_eq!(a.events.selected, 49);
        a.update(Action::Down);
        assert_eq!(a.events.selected, 49);
        a.update(Action::Top);
        assert_eq!(a.events.selected, 0);
        a.update(Action::PageDown);
        assert_eq!(a.events.selected, a.page_rows() as u64);
        a.update(Action::HalfPageUp);
        assert_eq!(
            a.events.selected,
            a.page_rows() as u64 - a.page_rows() as u64 / 2
        );
        a.update(Action::PageUp);
        assert_eq!(a.events.selected, 0);
        a.update(Action::HalfPageDown);
        assert_eq!(a.events.selected, a.page_rows() as u64 / 2);
        a.update(Action::Scroll(3));
        assert_eq!(a.events.selected, a.page_rows() as u64 / 2 + 3);
    }

    #[test]
    fn scrolling_far_asks_for_the_page_there() {
        let mut a = events_app(1_000_000);
        let req = request(a.update(Action::Bottom));
        match req {
            Request::Page { offset, .. } => assert!(offset > 999_000, "{offset}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(a.events.selected, 999_999);
    }

    #[test]
    fn stale_responses_are_ignored() {
        let mut a = app();
        let first = request(a.update(Action::ViewEvents));
        let reload = request(a.update(Action::Refresh));
        assert!(matches!(reload, Request::Reload { .. }), "{reload:?}");
        let second = request(a.update(Action::Response(Box::new(Response::Reloaded {
            id: id_of(&reload),
            facts: IndexFacts::default(),
            findings: None,
        }))));
        assert!(matches!(second, Request::Page { .. }), "{second:?}");
        a.update(Action::Response(Box::new(Response::Page {
            id: id_of(&first),
            total: 7,
            offset: 0,
            rows: vec![row(0)],
            matches: vec![false],
        })));
        assert_eq!(
            a.events.total, None,
            "an answer to a superseded request changes nothing"
        );
    }

    #[test]
    fn open_a_finding_shows_its_events() {
        let mut a = app();
        let req = request(a.update(Action::Open));
        assert_eq!(a.view, View::Events);
        assert_eq!(a.filter.chips.len(), 1);
        assert!(matches!(&a.filter.chips[0].expr, Expr::AuditIds(ids) if ids.len() == 2));
        assert!(matches!(req, Request::Page { .. }));
    }

    #[test]
    fn open_an_event_loads_its_detail_and_folds() {
        let mut a = events_app(3);
        let req = request(a.update(Action::Open));
        assert_eq!(a.view, View::Detail);
        assert!(matches!(req, Request::Event { handle: 1000, .. }));
        let raw = r#"{"kind":"Event","auditID":"id-0","verb":"get","stageTimestamp":"2026-03-14T10:00:00Z","user":{"username":"alice","groups":["g"]},"objectRef":{"resource":"pods","namespace":"shop","name":"web-0"}}"#;
        let event = crate::ingest::formats::native::parse(
            raw,
            crate::model::SourceRef::default(),
            crate::ingest::formats::NormalizeOptions::default(),
        )
        .unwrap();
        a.update(Action::Response(Box::new(Response::Event {
            id: id_of(&req),
            event: Box::new(event),
            raw: raw.into(),
        })));
        assert!(a.detail.event.is_some());
        let before = a.detail.lines().len();
        let user_line = a
            .detail
            .lines()
            .iter()
            .position(|l| matches!(l, DetailLine::Json(j) if j.key.as_deref() == Some("user")))
            .unwrap();
        a.update(Action::Top);
        for _ in 0..user_line {
            a.update(Action::Down);
        }
        a.update(Action::ToggleFold);
        assert!(
            a.detail.lines().len() < before,
            "folding hides the object's lines"
        );
        a.update(Action::ExpandAll);
        assert_eq!(a.detail.lines().len(), before);
        a.update(Action::CollapseAll);
        assert!(a.detail.lines().len() < before);
        // Copy the value under the cursor.
        a.update(Action::Top);
        a.update(Action::Down);
        assert!(matches!(a.update(Action::Copy), Some(Effect::Copy(_))));
    }

    #[test]
    fn filter_input_applies_or_says_where_it_is_wrong() {
        let mut a = events_app(3);
        a.update(Action::Filter);
        assert_eq!(a.input.as_ref().map(|i| i.mode), Some(InputMode::Filter));
        for c in "verb:get (".chars() {
            a.update(Action::Char(c));
        }
        assert_eq!(a.update(Action::Submit), None);
        let err = a.input.as_ref().and_then(|i| i.error.clone()).unwrap();
        assert_eq!(err.0, 10, "{err:?}");
        a.update(Action::Backspace);
        a.update(Action::Backspace);
        let req = request(a.update(Action::Submit));
        assert!(a.input.is_none());
        assert_eq!(a.filter.query, "verb:get");
        assert!(matches!(req, Request::Page { .. }));
        a.update(Action::Filter);
        a.update(Action::Cancel);
        assert!(a.input.is_none());
    }

    #[test]
    fn search_highlights_and_jumps_without_filtering() {
        let mut a = events_app(10);
        assert_eq!(a.update(Action::SearchNext), None, "nothing to find yet");
        assert!(a.status.contains("no search"));
        a.update(Action::Search);
        for c in "user:alice".chars() {
            a.update(Action::Char(c));
        }
        let req = request(a.update(Action::Submit));
        assert!(matches!(
            req,
            Request::Find {
                backwards: false,
                ..
            }
        ));
        assert!(a.filter.is_empty(), "search does not filter");
        let page = request(a.update(Action::Response(Box::new(Response::Found {
            id: id_of(&req),
            offset: Some(4),
        }))));
        let rows: Vec<EventRow<'static>> = (0..10).map(row).collect();
        a.update(Action::Response(Box::new(Response::Page {
            id: id_of(&page),
            total: 10,
            offset: 0,
            rows,
            matches: (0..10).map(|i| i % 2 == 0).collect(),
        })));
        assert_eq!(a.events.selected, 4);
        assert!(a.events.is_match(4));
        assert!(matches!(
            request(a.update(Action::SearchNext)),
            Request::Find {
                backwards: false,
                ..
            }
        ));
        assert!(matches!(
            request(a.update(Action::SearchPrev)),
            Request::Find {
                backwards: true,
                ..
            }
        ));
        a.update(Action::Cancel);
        assert!(a.search.is_none());
    }

    #[test]
    fn commands_add_filters() {
        let mut a = events_app(3);
        let type_cmd = |a: &mut App, s: &str| {
            a.update(Action::Command);
            for c in s.chars() {
                a.update(Action::Char(c));
            }
            a.update(Action::Submit)
        };
        type_cmd(&mut a, "ns shop");
        assert_eq!(
            a.filter.chips.last().map(|c| c.label.as_str()),
            Some("ns:shop")
        );
        type_cmd(&mut a, "since 2h");
        assert_eq!(a.filter.chips.len(), 2);
        type_cmd(&mut a, "ip banana");
        assert!(a.input.as_ref().is_some_and(|i| i.error.is_some()));
        a.update(Action::Cancel);
        type_cmd(&mut a, "frobnicate");
        assert!(
            a.input
                .as_ref()
                .and_then(|i| i.error.as_ref())
                .is_some_and(|e| e.1.contains("unknown command"))
        );
        a.update(Action::Cancel);
        type_cmd(&mut a, "tz Europe/Paris");
        assert_eq!(a.tz_name, "Europe/Paris");
        type_cmd(&mut a, "clear");
        assert!(a.filter.is_empty());
        assert_eq!(type_cmd(&mut a, "q"), Some(Effect::Quit));
    }

    #[test]
    fn every_field_command_adds_its_filter() {
        for cmd in fields::commands() {
            let value = match fields::command(cmd).and_then(|f| f.kind) {
                Some(fields::FieldKind::Ip) => "10.0.0.1",
                Some(fields::FieldKind::Number) => "403",
                _ => "x",
            };
            let mut a = events_app(3);
            a.update(Action::Command);
            for c in format!("{cmd} {value}").chars() {
                a.update(Action::Char(c));
            }
            a.update(Action::Submit);
            let label = a.filter.chips.last().map(|c| c.label.clone());
            assert_eq!(label, Some(format!("{cmd}:{value}")), "{:?}", a.input);
        }
        let mut a = events_app(3);
        a.update(Action::Command);
        a.input.as_mut().unwrap().text = "impersonated bob".into();
        assert!(a.update(Action::Submit).is_none());
        let error = a.input.and_then(|i| i.error).map(|e| e.1);
        assert!(error.is_some_and(|e| e.contains("unknown command") && e.contains(" as,")));
    }

    #[test]
    fn pivot_menu_history_and_clear() {
        let mut a = events_app(3);
        a.update(Action::PivotMenu);
        let menu = a.menu.clone().unwrap();
        assert!(menu.items[0].0.starts_with("account: alice"));
        a.update(Action::Down);
        a.update(Action::Open);
        assert!(a.menu.is_none());
        assert_eq!(a.filter.chips[0].label, "ip:10.0.0.1");
        let id = a.pending.newest(RequestKind::Page).unwrap();
        a.update(Action::Response(Box::new(Response::Page {
            id,
            total: 1,
            offset: 0,
            rows: vec![row(0)],
            matches: vec![false],
        })));
        a.update(Action::PivotMenu);
        a.update(Action::Open);
        assert_eq!(a.filter.chips.len(), 2);
        a.update(Action::PivotBack);
        assert_eq!(a.filter.chips.len(), 1);
        a.update(Action::PivotForward);
        assert_eq!(a.filter.chips.len(), 2);
        a.update(Action::PivotForward);
        assert!(a.status.contains("no further"));
        a.update(Action::ClearFilters);
        assert!(a.filter.is_empty());
        a.update(Action::PivotMenu);
        a.update(Action::Cancel);
        assert!(a.menu.is_none());
    }

    #[test]
    fn around_an_event_drops_filters_and_keeps_it_selected() {
        let mut a = events_app(3);
        a.update(Action::Down);
        let req = request(a.update(Action::AroundMinute));
        assert_eq!(a.filter.chips.len(), 1);
        assert!(a.filter.chips[0].label.starts_with("around"));
        assert!(matches!(req, Request::Find { .. }));
        let mut b = events_app(3);
        let req = request(b.update(Action::AroundTenMinutes));
        assert!(
            b.filter.chips[0].label.contains("10m"),
            "{}",
            b.filter.chips[0].label
        );
        assert!(matches!(req, Request::Find { .. }));
    }

    #[test]
    fn copy_in_events_copies_the_audit_id() {
        let mut a = events_app(3);
        assert_eq!(a.update(Action::Copy), Some(Effect::Copy("id-0".into())));
    }

    #[test]
    fn pivots_view_counts_and_pivots() {
        let mut a = app();
        let req = request(a.update(Action::ViewPivots));
        assert!(
            matches!(&req, Request::Pivots { fields, .. } if fields.len() == pivot_fields().len())
        );
        let lists = vec![
            (
                "user",
                vec![("alice".to_owned(), 5), ("bob".to_owned(), 2)],
                0,
            ),
            ("peer", vec![("10.0.0.1".to_owned(), 7)], 0),
        ];
        a.update(Action::Response(Box::new(Response::Pivots {
            id: id_of(&req),
            lists,
        })));
        a.update(Action::Down);
        a.update(Action::NextPane);
        assert_eq!(a.pivots.column, 1);
        a.update(Action::PrevPane);
        a.update(Action::Right);
        a.update(Action::Left);
        assert_eq!(a.pivots.column, 0);
        assert_eq!(a.update(Action::Copy), Some(Effect::Copy("bob".into())));
        a.update(Action::Open);
        assert_eq!(a.filter.chips[0].label, "user:bob");
    }

    #[test]
    fn timeline_marks_a_range_and_zooms() {
        let mut a = app();
        let req = request(a.update(Action::ViewTimeline));
        a.update(Action::Response(Box::new(Response::Histogram {
            id: id_of(&req),
            counts: vec![1, 2, 3, 4, 5, 6],
            start: Micros(0),
            end: Micros(600),
        })));
        a.update(Action::Right);
        a.update(Action::MarkRange);
        assert_eq!(a.timeline.mark, Some(1));
        a.update(Action::Right);
        a.update(Action::Right);
        a.update(Action::MarkRange);
        assert_eq!(a.filter.chips.len(), 1);
        assert!(a.filter.chips[0].label.contains(".."));
        a.update(Action::ZoomOut);
        assert!(a.filter.is_empty());
        // Open a bucket: the events, positioned there.
        let req = request(a.update(Action::Open));
        assert_eq!(a.view, View::Events);
        assert!(matches!(req, Request::Find { .. }));
    }

    #[test]
    fn clicks_resize_and_views() {
        let mut a = events_app(30);
        let body =
            layout::table_body(layout::regions(ratatui::layout::Rect::new(0, 0, 120, 40)).main);
        a.update(Action::Click {
            column: body.x + 2,
            row: body.y + 3,
        });
        assert_eq!(a.events.selected, 3);
        a.update(Action::Resize(80, 20));
        assert_eq!(a.size, (80, 20));
        a.update(Action::ViewDetections);
        assert_eq!(a.view, View::Detections);
        a.update(Action::Down);
        assert_eq!(a.det_selected, 1);
        assert_eq!(a.update(Action::Copy), Some(Effect::Copy("summary".into())));
    }

    fn case_op(e: Option<Effect>) -> CaseOp {
        match e {
            Some(Effect::Case(op)) => op,
            other => panic!("expected a case change, got {other:?}"),
        }
    }

    /// Applies a case change as the runtime does (without a file).
    fn saved(a: &mut App, op: CaseOp) {
        let mut case = a.case.clone();
        let message = case.apply(op, Micros(0));
        a.update(Action::CaseSaved(Box::new(Ok((case, message)))));
    }

    #[test]
    fn mark_tag_and_note_the_selected_event() {
        let mut a = events_app(10);
        a.update(Action::Down);
        let op = case_op(a.update(Action::ToggleMark));
        let CaseOp::Toggle(ev) = &op else {
            panic!("{op:?}")
        };
        assert_eq!(ev.audit_id, "id-1");
        assert!(ev.summary.contains("get pods shop/web-1"), "{}", ev.summary);
        saved(&mut a, op);
        assert!(a.case.is_marked("id-1"));
        assert_eq!(a.status, "bookmarked id-1");

        assert_eq!(a.update(Action::Tag), None);
        assert_eq!(a.input.as_ref().map(|i| i.mode), Some(InputMode::Tag));
        for c in "c2, exfil".chars() {
            a.update(Action::Char(c));
        }
        let op = case_op(a.update(Action::Submit));
        assert!(
            matches!(&op, CaseOp::SetTags(ev, tags) if ev.audit_id == "id-1" && tags == &["c2", "exfil"])
        );
        saved(&mut a, op);

        // The note editor opens with the note, keeps new lines, Esc drops the edit.
        a.update(Action::Note);
        for c in "one\ntwo".chars() {
            a.update(Action::Char(c));
        }
        assert_eq!(a.update(Action::Cancel), None);
        assert!(a.input.is_none());
        a.update(Action::Note);
        for c in "one\ntwo".chars() {
            a.update(Action::Char(c));
        }
        let op = case_op(a.update(Action::Submit));
        assert!(matches!(&op, CaseOp::SetNote(_, n) if n == "one\ntwo"));
        saved(&mut a, op);
        assert_eq!(a.case.events["id-1"].note, "one\ntwo");
        a.update(Action::Note);
        assert_eq!(a.input.as_ref().map(|i| i.text.as_str()), Some("one\ntwo"));
    }

    #[test]
    fn case_view_lists_bookmarks_and_opens_them() {
        let mut a = events_app(10);
        for i in [3, 1] {
            a.update(Action::Top);
            for _ in 0..i {
                a.update(Action::Down);
            }
            let op = case_op(a.update(Action::ToggleMark));
            saved(&mut a, op);
        }
        a.update(Action::ViewCase);
        assert_eq!(a.view, View::Case);
        a.update(Action::Bottom);
        assert_eq!(a.case_selected, 1);
        let req = request(a.update(Action::Open));
        assert!(matches!(&req, Request::EventById { audit_id, .. } if audit_id == "id-3"));
        assert_eq!(a.view, View::Detail);
        a.update(Action::Back);
        assert_eq!(a.view, View::Case);
        // Unmarking the last one moves the selection up.
        let op = case_op(a.update(Action::ToggleMark));
        saved(&mut a, op);
        assert_eq!(a.case.events.len(), 1);
        assert_eq!(a.case_selected, 0);
    }

    #[test]
    fn next_and_previous_mark_search_the_bookmarks() {
        let mut a = events_app(10);
        assert_eq!(a.update(Action::NextMark), None);
        assert!(a.status.contains("no bookmarks"));
        a.update(Action::Down);
        let op = case_op(a.update(Action::ToggleMark));
        saved(&mut a, op);
        a.update(Action::Top);
        let req = request(a.update(Action::NextMark));
        let Request::Find {
            search, backwards, ..
        } = req
        else {
            panic!("{req:?}")
        };
        assert!(!backwards);
        assert!(matches!(search, Expr::AuditIds(ids) if ids.as_slice() == ["id-1"]));
        assert!(a.search.is_none(), "the user's search is untouched");
        let req = request(a.update(Action::PrevMark));
        assert!(matches!(
            req,
            Request::Find {
                backwards: true,
                ..
            }
        ));
    }

    #[test]
    fn a_read_only_case_refuses_changes() {
        let mut a = events_app(5);
        a.set_case(Err(crate::case::CaseError::Corrupt {
            path: "/x/case.json".into(),
            message: "line 1".into(),
        }
        .into()));
        assert!(a.status.starts_with("error:"));
        assert_eq!(a.update(Action::ToggleMark), None);
        assert!(a.status.contains("read-only"), "{}", a.status);
    }

    #[test]
    fn saved_filters_round_trip_through_commands() {
        let mut a = events_app(5);
        a.update(Action::Command);
        for c in "user alice".chars() {
            a.update(Action::Char(c));
        }
        a.update(Action::Submit);
        a.update(Action::Command);
        for c in "save mine".chars() {
            a.update(Action::Char(c));
        }
        let op = case_op(a.update(Action::Submit));
        assert_eq!(
            op,
            CaseOp::SaveFilter {
                name: "mine".into(),
                query: "user:alice".into()
            }
        );
        saved(&mut a, op);
        a.update(Action::ClearFilters);
        assert!(a.filter.is_empty());
        a.update(Action::Command);
        for c in "load mine".chars() {
            a.update(Action::Char(c));
        }
        a.update(Action::Submit);
        assert_eq!(a.filter.query, "user:alice");
        a.update(Action::Command);
        for c in "load nope".chars() {
            a.update(Action::Char(c));
        }
        a.update(Action::Submit);
        assert!(a.input.as_ref().and_then(|i| i.error.as_ref()).is_some());
    }

    #[test]
    fn export_dialog_picks_format_scope_and_path() {
        let mut a = events_app(5);
        a.update(Action::Export);
        let d = a.export.clone().unwrap();
        assert_eq!(
            (d.format().as_str(), d.path.as_str()),
            ("html", "kubesift-case.html")
        );
        a.update(Action::Up);
        assert_eq!(
            a.export.as_ref().unwrap().path,
            "kubesift-case.md",
            "follows the format"
        );
        a.update(Action::NextPane);
        assert_eq!(a.export.as_ref().unwrap().scope(), ExportScope::Filter);
        for _ in 0.."kubesift-case.md".len() {
            a.update(Action::Backspace);
        }
        assert_eq!(a.update(Action::Submit), None, "an empty name is refused");
        assert!(a.export.as_ref().unwrap().error.is_some());
        for c in "out.md".chars() {
            a.update(Action::Char(c));
        }
        let req = request(a.update(Action::Submit));
        let Request::Export { id, job } = req else {
            panic!("{req:?}")
        };
        assert_eq!(job.format.as_str(), "markdown");
        assert_eq!(job.spec.query.as_deref(), Some("*"));
        assert!(!job.spec.case);
        assert_eq!(job.path, std::path::PathBuf::from("out.md"));
        assert!(a.export.as_ref().unwrap().running);
        a.update(Action::Response(Box::new(Response::Exported {
            id,
            result: Ok("exported 5 events".into()),
        })));
        assert!(a.export.is_none());
        assert_eq!(a.status, "exported 5 events");
    }
}

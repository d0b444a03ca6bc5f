//! The application state and its reducer: `update(Action) -> Option<Effect>` changes state
//! and says what to do next (ask the index, copy, quit) without doing any I/O itself.
//!
//! Each view is a component ([`super::components`]) that owns its state and keys; the app
//! holds them (the `views!` registry below lists them), and keeps what they share: the
//! filters and their history, the search, the findings, the case, navigation between views,
//! the popups and input lines ([`input`]), the case keys and the export dialog ([`case`]).
//! A view's key answers with an [`Intent`]; the app carries it out. Pure: no terminal types
//! (a click arrives as a line of the table body), no I/O, and it never names the worker
//! thread — it speaks to it through [`super::protocol`].

mod case;
mod input;
mod nav;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use jiff::tz::TimeZone;

pub use self::case::{ExportDialog, ExportScope, default_export_dir};
pub use self::input::{Input, InputMode, PivotMenu};
use super::action::Action;
use super::components::case::CaseView;
use super::components::coverage::CoverageView;
use super::components::detail::{self, DetailState};
use super::components::detections::Detections;
use super::components::events::EventsState;
use super::components::help::{self, HelpKeys, HelpView};
use super::components::incidents::IncidentsView;
use super::components::pivots::PivotsState;
use super::components::sessions::SessionView;
use super::components::timeline::TimelineState;
use super::components::{Component, Ctx, Focus, Intent, View};
use super::error::TuiError;
use super::filter::{FilterState, around_chip, zoom_chip};
use super::layout;
use super::lineedit::History;
use super::protocol::{Effect, Pending, Request, Response};
use crate::case::{Case, EventRef};
use crate::detect::Finding;
use crate::model::Micros;
use crate::query::{Expr, Pattern};
/// Facts about the index shown in the header (the session computes them).
pub use crate::session::IndexFacts;
use crate::story::Identity;

pub struct App {
    pub view: View,
    pub stack: Vec<View>,
    pub help: bool,
    /// The help's scroll and find text, and the keys it lists.
    pub help_view: HelpView,
    pub help_keys: HelpKeys,
    pub menu: Option<PivotMenu>,
    pub findings: Arc<Vec<Finding>>,
    /// audit ID → indexes of the findings that stand on it.
    pub finding_of: HashMap<String, Vec<usize>>,
    pub filter: FilterState,
    pub history: Vec<FilterState>,
    pub history_pos: usize,
    // The views' components (listed in `views!` below).
    pub detections: Detections,
    pub incidents_view: IncidentsView,
    pub events: EventsState,
    pub detail: DetailState,
    pub pivots: PivotsState,
    pub timeline: TimelineState,
    pub case_view: CaseView,
    pub coverage_view: CoverageView,
    pub session_view: SessionView,
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
    /// The case file and index directory, for an export's provenance.
    pub case_file: Option<String>,
    pub index_name: String,
    /// Where the export dialog writes unless told otherwise (see `default_export_dir`).
    pub export_dir: Option<std::path::PathBuf>,
    pub export: Option<ExportDialog>,
    /// What the prompts were given, for ↑/↓ (the runtime reads and writes its file).
    pub prompts: History,
    /// The filter chip selected for removal (`Backspace`), 0-based; the typed query counts
    /// after the chips.
    pub chip_cursor: Option<usize>,
    /// The event a tag or note input is about.
    input_target: Option<EventRef>,
    /// The event to select once the events of a new filter are found (see `nav`).
    keeping: Option<nav::Anchor>,
    /// The find under way looks for a marked event (`u`/`U`), backwards or not: its
    /// "none" is about the marks, not the search.
    seeking_mark: Option<bool>,
    /// The direction of the find under way (`N` looks back).
    finding_backwards: bool,
    /// The format and scope of the last export written (the dialog opens on them).
    last_export: Option<(usize, usize)>,
    /// The screen line to show the focused event on when its page arrives.
    keep_line: Option<u64>,
    pending: Pending,
}

/// The shared state the views read, borrowed field by field (so that a view can change
/// itself while reading it).
macro_rules! ctx {
    ($app:ident) => {
        Ctx {
            findings: $app.findings.as_slice(),
            finding_of: &$app.finding_of,
            case: &$app.case,
            case_error: $app.case_error.as_ref(),
            filter: &$app.filter,
            search: $app.search.as_ref().map(|(_, e)| e),
            tz: &$app.tz,
            tz_name: &$app.tz_name,
            dated: $app.facts.span.is_some_and(|(a, b)| {
                a.display_in(&$app.tz).get(..10) != b.display_in(&$app.tz).get(..10)
            }),
            size: $app.size,
        }
    };
}

/// The registry of views: each [`View`] and the field of [`App`] that holds its component.
macro_rules! views {
    ($($view:ident => $field:ident),* $(,)?) => {
        impl App {
            /// The component of a view.
            pub fn component(&self, view: View) -> &dyn Component {
                match view {
                    $(View::$view => &self.$field,)*
                }
            }

            /// Runs `f` on the current view's component, with the shared state it reads.
            fn with_view<R>(&mut self, f: impl FnOnce(&mut dyn Component, &Ctx<'_>) -> R) -> R {
                let ctx = ctx!(self);
                match self.view {
                    $(View::$view => f(&mut self.$field, &ctx),)*
                }
            }
        }
    };
}

views! {
    Incidents => incidents_view,
    Detections => detections,
    Events => events,
    Detail => detail,
    Pivots => pivots,
    Timeline => timeline,
    Case => case_view,
    Coverage => coverage_view,
    Sessions => session_view,
}

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
            help_view: HelpView::default(),
            help_keys: HelpKeys::of(&super::keymap::Keymap::builtin()),
            menu: None,
            findings: Arc::new(findings),
            finding_of,
            filter: FilterState::default(),
            history: vec![FilterState::default()],
            history_pos: 0,
            detections: Detections::default(),
            incidents_view: IncidentsView::default(),
            events: EventsState::default(),
            detail: DetailState::default(),
            pivots: PivotsState::default(),
            timeline: TimelineState::default(),
            case_view: CaseView::default(),
            coverage_view: CoverageView::default(),
            session_view: SessionView::default(),
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
            case_file: None,
            index_name: String::new(),
            export_dir: None,
            export: None,
            prompts: History::default(),
            chip_cursor: None,
            input_target: None,
            keeping: None,
            seeking_mark: None,
            finding_backwards: false,
            last_export: None,
            keep_line: None,
            pending: Pending::default(),
        }
    }

    /// Lists the keys of this keymap in the help.
    pub fn set_keymap(&mut self, keymap: &super::keymap::Keymap) {
        self.help_keys = HelpKeys::of(keymap);
    }

    /// What the views read of the shared state.
    pub fn ctx(&self) -> Ctx<'_> {
        ctx!(self)
    }

    /// The view `back` returns to: the incidents when there are any, else the detections.
    fn root(&self) -> View {
        if self.incidents_view.incidents.is_empty() {
            View::Detections
        } else {
            View::Incidents
        }
    }

    /// Sets the incidents; the workbench opens on them when there are any.
    pub fn set_incidents(&mut self, incidents: Vec<crate::incidents::Incident>) {
        self.incidents_view = IncidentsView::new(incidents);
        if self.view == View::Detections && self.stack.is_empty() && self.root() == View::Incidents
        {
            self.view = View::Incidents;
        }
    }

    /// Replaces the findings (after a reload), keeping the selection in range.
    pub fn set_findings(&mut self, findings: Vec<Finding>) {
        self.finding_of = findings_by_event(&findings);
        let last = findings.len().saturating_sub(1);
        self.detections.selected = self.detections.selected.min(last);
        self.findings = Arc::new(findings);
    }

    /// The first requests: the data of the initial view.
    pub fn start(&mut self) -> Option<Effect> {
        self.refresh()
    }

    /// The request for the blind spots, numbered (the runtime answers it on a thread of its
    /// own as the workbench opens: a pass over the whole index).
    pub fn coverage_request(&mut self) -> Request {
        let mut req = Request::Coverage { id: 0 };
        req.set_id(self.pending.issue(req.kind()));
        req
    }

    /// `S`: the session view of the account the current view's selection is about, else of
    /// the user the filters pivot on.
    fn open_sessions(&mut self) -> Option<Effect> {
        let ctx = self.ctx();
        let focus = self
            .component(self.view)
            .identity(&ctx)
            .or_else(|| self.pivot_user());
        if let Some(f) = focus {
            self.sessions_of(Identity::Account(f.account), f.audit_id)
        } else {
            self.status =
                "S: select an event, a finding or an incident's step first (or pivot on a user)"
                    .into();
            None
        }
    }

    /// Shows the sessions of `who` with the cursor on the command of event `focus`, asking
    /// for them unless the view holds them already (it keeps its place then).
    fn sessions_of(&mut self, who: Identity, focus: Option<String>) -> Option<Effect> {
        let who = match who {
            Identity::Account(a) => Identity::Account(crate::story::account_username(&a)),
            other @ Identity::Credential(_) => other,
        };
        if self.view != View::Sessions {
            self.enter(View::Sessions);
        }
        if self.session_view.who.as_ref() == Some(&who) {
            if !self.session_view.loading && focus.is_some() {
                let ctx = ctx!(self);
                self.session_view.focus_on(focus.as_deref(), &ctx);
            }
            return None;
        }
        self.session_view = SessionView::loading(who.clone(), focus);
        Some(self.request(Request::Sessions { id: 0, who }))
    }

    /// The user of the newest `user:` chip of the filters.
    fn pivot_user(&self) -> Option<Focus> {
        self.filter.chips.iter().rev().find_map(|c| match &c.expr {
            Expr::Field {
                field: "user",
                pattern: Pattern::Exact(v),
            } => Focus::of(v, None),
            _ => None,
        })
    }

    /// Numbers a request and sends it; it supersedes the pending one of its kind.
    fn request(&mut self, mut req: Request) -> Effect {
        req.set_id(self.pending.issue(req.kind()));
        Effect::Request(req)
    }

    pub fn page_rows(&self) -> usize {
        layout::table_rows(self.size)
    }

    /// Asks for whatever the current view lacks for the current filter.
    pub fn refresh(&mut self) -> Option<Effect> {
        let req = self.with_view(|c, ctx| c.refresh(ctx))?;
        Some(self.request(req))
    }

    fn show(&mut self, view: View) -> Option<Effect> {
        if self.view != view {
            if view == self.root() {
                // Home: the trail that led away from it is left behind, so that `q` there
                // quits (it walked back through every view visited).
                self.stack.clear();
            } else {
                self.stack.push(self.view);
            }
            self.view = view;
        }
        self.refresh()
    }

    /// Goes to `view`, remembering where from.
    fn enter(&mut self, view: View) {
        self.stack.push(self.view);
        self.view = view;
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
            return self.on_export(&action);
        }
        if let Some(mode) = self.input.as_ref().map(|i| i.mode) {
            return self.on_list_input(mode, &action);
        }
        if self.menu.is_some() {
            return self.on_menu(&action);
        }
        if self.chip_cursor.is_some() {
            return self.on_chip_select(&action);
        }
        if self.help {
            return self.on_help(&action);
        }
        self.status.clear();
        self.on_key(action)
    }

    /// The help's keys: scroll, find (`/`), close.
    fn on_help(&mut self, action: &Action) -> Option<Effect> {
        match action {
            Action::Help | Action::Cancel | Action::Back => {
                self.help = false;
                self.help_view = HelpView::default();
                None
            }
            Action::Search | Action::FindInList => {
                self.open_input(InputMode::FindHelp, self.help_view.query.clone())
            }
            _ => {
                let total = help::display_lines(
                    &self.help_keys,
                    self.view,
                    &self.help_view.query,
                    self.size,
                )
                .len();
                self.help_view
                    .on_action(action, total, help::page(self.size));
                None
            }
        }
    }

    /// Typing in an input line; the find lines (findings, help) narrow their list as the text
    /// changes, `Esc` shows it whole again.
    fn on_list_input(&mut self, mode: InputMode, action: &Action) -> Option<Effect> {
        if !matches!(mode, InputMode::FindFindings | InputMode::FindHelp) {
            return self.on_input(action);
        }
        let eff = match action {
            Action::Submit => {
                self.input = None;
                None
            }
            _ => self.on_input(action),
        };
        let text = match (&self.input, action) {
            (Some(i), _) => i.text().to_owned(),
            (None, Action::Cancel) => String::new(),
            (None, _) => return eff,
        };
        if mode == InputMode::FindFindings {
            self.detections.set_query(&text, &self.findings);
        } else {
            self.help_view = HelpView {
                scroll: 0,
                query: text,
            };
        }
        eff
    }

    /// A key with no popup or input line open.
    fn on_key(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Help => {
                self.help = true;
                None
            }
            Action::Back => self.back(),
            Action::Cancel if self.view == View::Detections && self.detections.about_focus => {
                self.detections.about_focus = false;
                None
            }
            Action::Cancel => {
                self.search = None;
                self.events.clear_matches();
                // Esc after a find in the detections shows them all again.
                if self.view == View::Detections && !self.detections.query.is_empty() {
                    self.detections.set_query("", &self.findings);
                }
                None
            }
            Action::ViewDetections => self.show(View::Detections),
            Action::ViewEvents => self.show(View::Events),
            Action::ViewPivots => self.show(View::Pivots),
            Action::ViewTimeline => self.show(View::Timeline),
            Action::ViewCase => self.show(View::Case),
            Action::ViewIncidents => self.show(View::Incidents),
            Action::ViewCoverage => self.show(View::Coverage),
            Action::Sessions => self.open_sessions(),
            Action::ToggleMark
            | Action::Tag
            | Action::Note
            | Action::NextMark
            | Action::PrevMark
            | Action::Export => self.on_case_action(&action),
            Action::Filter => self.open_input(InputMode::Filter, self.filter.query.clone()),
            // A new search starts empty (↑ recalls the last ones).
            Action::Search => self.open_input(InputMode::Search, String::new()),
            Action::Command => self.open_input(InputMode::Command, String::new()),
            // A new find starts empty, as a search does (typing after the last text found
            // nothing: `ci/deployersa:ci/deployer`).
            Action::FindInList if self.view == View::Detections => {
                self.open_input(InputMode::FindFindings, String::new())
            }
            Action::SearchNext => self.find(false),
            Action::SearchPrev => self.find(true),
            Action::PivotBack | Action::ZoomOut => self.step_history(-1),
            Action::PivotForward => self.step_history(1),
            Action::ClearFilters => {
                let anchor = self.anchor();
                self.push_filter_keeping(FilterState::default(), anchor)
            }
            Action::RemoveChip => self.select_chip(),
            // Another process may have added data: the worker reloads the index first.
            Action::Refresh => Some(self.request(Request::Reload { id: 0 })),
            Action::Click { line } => self.click(line),
            Action::Scroll(n) => self.move_by(i64::from(n)),
            other => self.on_view(&other),
        }
    }

    /// Whether `back` (`q`) would quit: on the home view with nothing to go back to.
    pub(crate) fn back_quits(&self) -> bool {
        !(self.view == View::Incidents && self.incidents_view.story.is_some())
            && self.stack.is_empty()
            && (self.view == self.root() || self.findings.is_empty())
    }

    fn back(&mut self) -> Option<Effect> {
        // An incident's story open on the list: back to the list first.
        if self.view == View::Incidents && self.incidents_view.story.is_some() {
            self.incidents_view.close_story();
            return None;
        }
        match self.stack.pop() {
            Some(v) => {
                self.view = v;
                self.refresh()
            }
            None if self.view == self.root() || self.findings.is_empty() => {
                self.quit = true;
                Some(Effect::Quit)
            }
            None => {
                self.view = self.root();
                None
            }
        }
    }

    fn show_events_with(&mut self, f: FilterState) -> Option<Effect> {
        let anchor = self.anchor();
        if !matches!(self.view, View::Events | View::Pivots | View::Timeline) {
            self.enter(View::Events);
        }
        self.push_filter_keeping(f, anchor)
    }

    /// Moving, and the keys of the current view.
    fn on_view(&mut self, action: &Action) -> Option<Effect> {
        let page = i64::try_from(self.page_rows()).unwrap_or(i64::MAX);
        if self.view == View::Detections && self.detections.about_focus {
            let lines = match action {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp | Action::HalfPageUp => -5,
                Action::PageDown | Action::HalfPageDown => 5,
                Action::Top => i64::MIN / 2,
                Action::Bottom => i64::MAX / 2,
                _ => 0,
            };
            if lines != 0 {
                self.detections.scroll_about(lines);
                return None;
            }
        }
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageDown => self.move_by(page),
            Action::PageUp => self.move_by(-page),
            Action::HalfPageDown => self.move_by(page / 2),
            Action::HalfPageUp => self.move_by(-(page / 2)),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(u64::MAX),
            Action::PivotMenu => self.open_menu(),
            Action::AroundMinute => self.around(Micros::MINUTE),
            Action::AroundTenMinutes => self.around(10 * Micros::MINUTE),
            _ => {
                let intent = self.with_view(|c, ctx| c.on_action(action, ctx));
                self.carry_out(intent)
            }
        }
    }

    /// Does what a view's key asked for.
    fn carry_out(&mut self, intent: Intent) -> Option<Effect> {
        match intent {
            Intent::Ignored | Intent::Done => None,
            Intent::Status(s) => {
                self.status = s;
                None
            }
            Intent::Copy(text) => {
                self.status = format!("copied {} characters", text.chars().count());
                Some(Effect::Copy(text))
            }
            Intent::Move(n) => self.move_by(n),
            Intent::ShowEvents(chip) => {
                self.enter(View::Events);
                self.push_filter(FilterState::of(chip))
            }
            Intent::Pivot { field, value } => self.pivot_on(field, &value),
            Intent::EventsFrom(start) => {
                self.enter(View::Events);
                let search = self.search.take();
                let eff = self.find_from(Some(start.saturating_add(-1)), false);
                self.search = search;
                Some(eff)
            }
            Intent::Zoom(start, end) => self.zoom(start, end),
            Intent::Detail { handle, request } => {
                self.enter(View::Detail);
                self.detail = DetailState::loading(handle);
                Some(self.request(request))
            }
        }
    }

    /// Restricts the filters to a time range (replacing an earlier zoom).
    fn zoom(&mut self, start: Micros, end: Micros) -> Option<Effect> {
        let mut f = self.filter.clone();
        f.chips.retain(|c| !c.label.contains(" .. "));
        f.chips.push(zoom_chip(start, end, &self.tz));
        self.push_filter(f)
    }

    fn move_by(&mut self, delta: i64) -> Option<Effect> {
        let pos = self.component(self.view).position();
        self.move_to(pos.saturating_add_signed(delta))
    }

    /// Moves the cursor of the view, then loads what comes into sight.
    fn move_to(&mut self, pos: u64) -> Option<Effect> {
        let req = self.with_view(|c, ctx| {
            let last = c.len(ctx).saturating_sub(1);
            c.select(pos.min(last), ctx)
        })?;
        Some(self.request(req))
    }

    /// A click on `line` of the table body.
    fn click(&mut self, line: u16) -> Option<Effect> {
        let ctx = self.ctx();
        let pos = self.component(self.view).clicked(u64::from(line), &ctx)?;
        self.move_to(pos)
    }

    fn current_time(&self) -> Option<Micros> {
        match self.view {
            View::Detail => self.detail.event.as_ref().map(|e| e.time),
            _ => self.events.selected_row().map(|e| e.time),
        }
    }

    /// Events within `span` of the selected one, every other filter dropped: context.
    fn around(&mut self, span: i64) -> Option<Effect> {
        let t = self.current_time()?;
        let anchor = self.anchor();
        if self.view != View::Events {
            self.enter(View::Events);
        }
        // The event we came from stays selected.
        self.push_filter_keeping(FilterState::of(around_chip(t, span, &self.tz)), anchor)
    }

    /// Looks for the next match of the search (or, with no search, any event) after `from`.
    fn find_from(&mut self, from: Option<Micros>, backwards: bool) -> Effect {
        let expr = self.filter.expr();
        let search = self.search.as_ref().map_or(Expr::All, |(_, e)| e.clone());
        let from = from.unwrap_or(Micros(i64::MIN / 2));
        self.events.loaded_for = Some(expr.clone());
        self.seeking_mark = None;
        self.finding_backwards = backwards;
        self.request(Request::Find {
            id: 0,
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
        Some(self.find_from(self.current_time(), backwards))
    }

    fn on_response(&mut self, r: Response) -> Option<Effect> {
        if !self.pending.is_fresh(&r) {
            // The answer to a superseded request.
            return None;
        }
        let ctx = ctx!(self);
        match r {
            Response::Page {
                total,
                offset,
                rows,
                matches,
                ..
            } => {
                self.events.on_page((total, offset), rows, matches, &ctx);
                if let Some(line) = self.keep_line.take() {
                    self.events.scroll = self.events.selected.saturating_sub(line);
                    self.events.clamp_scroll(&ctx);
                }
                None
            }
            Response::Found { offset, any, .. } => self.on_found(offset, any),
            Response::Event { event, raw, .. } => {
                let credential = event.credential.id.clone();
                self.detail = detail::build(event, &raw, &ctx);
                // The lineage of this event's credential only, asked for as it opens.
                let credential = credential?;
                Some(self.request(Request::Lineage { id: 0, credential }))
            }
            Response::Lineage {
                credential,
                lineage,
                ..
            } => {
                self.detail.set_lineage(&credential, &lineage, &self.tz);
                None
            }
            Response::Sessions { who, sessions, .. } => {
                if self.session_view.who.as_ref() == Some(&who) {
                    self.session_view.on_sessions(sessions, &ctx);
                }
                None
            }
            Response::Coverage { coverage, .. } => {
                match coverage {
                    Ok(c) => self.coverage_view.on_coverage(c, &self.tz),
                    Err(e) => self.coverage_view.error = Some(e),
                }
                None
            }
            Response::Pivots { lists, .. } => {
                self.pivots.on_lists(lists);
                None
            }
            Response::Histogram {
                counts, start, end, ..
            } => {
                let next = self.timeline.on_counts(counts, start, end)?;
                Some(self.request(next))
            }
            Response::Exported { result, .. } => {
                self.on_exported(result);
                None
            }
            Response::Reloaded {
                facts, findings, ..
            } => self.on_reloaded(facts, findings),
            Response::Error { message, .. } => {
                self.status = format!("error: {message}");
                None
            }
        }
    }

    fn on_reloaded(
        &mut self,
        facts: IndexFacts,
        findings: Option<Result<Vec<Finding>, TuiError>>,
    ) -> Option<Effect> {
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

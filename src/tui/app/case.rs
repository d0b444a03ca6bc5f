//! The case in the workbench: mark / unmark (`m`), tag and note popups, jumping between
//! marks (`u` / `U`), saved filters (`:save`, `:load`) and the export dialog — keys that
//! work from several views (the Case view itself is `components/case.rs`).
//! Case changes are effects ([`Effect::Case`]): the runtime applies them to the case file
//! (load, change, save atomically) and answers with [`Action::CaseSaved`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{App, InputMode, View};
use crate::case::{self, Case, CaseOp, EventRef};
use crate::export::{ExportFormat, ExportSpec};
use crate::query::{self, Expr};
use crate::tui::action::Action;
use crate::tui::error::TuiError;
use crate::tui::filter::{FilterState, filter_as_query};
use crate::tui::lineedit::{Edit, LineEditor};
use crate::tui::protocol::{Effect, ExportJob, Request};

/// What the export dialog exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    Case,
    Filter,
    CaseAndFilter,
    Detections,
}

impl ExportScope {
    pub const ALL: [ExportScope; 4] = [
        ExportScope::Case,
        ExportScope::Filter,
        ExportScope::CaseAndFilter,
        ExportScope::Detections,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ExportScope::Case => "the case (bookmarked events)",
            ExportScope::Filter => "the events of the current filter",
            ExportScope::CaseAndFilter => "the case and the current filter",
            ExportScope::Detections => "the events of every finding",
        }
    }
}

/// The export dialog: ↑/↓ format, tab scope, the path typed, enter writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportDialog {
    pub format: usize,
    pub scope: usize,
    /// The file name being typed.
    pub path: LineEditor,
    /// Where the file goes unless a path is typed: beside the case file.
    pub dir: Option<PathBuf>,
    /// The path was typed (not derived from the format).
    pub edited: bool,
    pub running: bool,
    pub error: Option<String>,
}

impl ExportDialog {
    /// The dialog, its file named after the format in `dir` (the case file's directory).
    fn new(dir: Option<PathBuf>) -> ExportDialog {
        let mut d = ExportDialog {
            dir,
            format: 3,
            scope: 0,
            path: LineEditor::default(),
            edited: false,
            running: false,
            error: None,
        };
        d.path.set(d.default_path());
        d
    }

    pub fn format(&self) -> ExportFormat {
        ExportFormat::ALL[self.format % ExportFormat::ALL.len()]
    }

    pub fn scope(&self) -> ExportScope {
        ExportScope::ALL[self.scope % ExportScope::ALL.len()]
    }

    /// The format a typed file name asks for by its extension (`x.csv`: CSV), if any.
    fn format_named(&self) -> Option<usize> {
        let path = self.path.text();
        let ext = Path::new(path.trim())
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        ExportFormat::ALL.iter().position(|f| f.extension() == ext)
    }

    /// After the file name changed: a known extension picks its format (a `.html` name with
    /// JSONL selected wrote JSONL into it).
    fn follow_name(&mut self) {
        if let Some(format) = self.format_named() {
            self.format = format;
        }
    }

    /// After the format changed: a typed name with a known extension takes the format's
    /// (`union.csv` then ↑ wrote Markdown into `union.csv`); an untyped one is the default.
    fn follow_format(&mut self) {
        if !self.edited {
            self.path.set(self.default_path());
            return;
        }
        if self.format_named().is_some() {
            let typed = self.path.text().trim().to_owned();
            let renamed = Path::new(&typed).with_extension(self.format().extension());
            self.path.set(renamed.display().to_string());
        }
    }

    fn default_path(&self) -> String {
        let name = format!("kubesift-case.{}", self.format().extension());
        match &self.dir {
            Some(dir) => dir.join(name).display().to_string(),
            None => name,
        }
    }
}

/// Where exports go by default: beside the case file — or, when the case is the index's
/// own `case.json`, beside the index directory (nothing is written inside an index). Both
/// paths absolute.
pub fn default_export_dir(case_file: &Path, index_root: &Path) -> PathBuf {
    let dir = crate::fsutil::parent_dir(case_file);
    if dir.starts_with(index_root) {
        crate::fsutil::parent_dir(index_root).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

impl App {
    /// Installs the case read at start, or the reason it could not be read (then the case is
    /// read-only: nothing will overwrite the file).
    pub fn set_case(&mut self, case: Result<Case, TuiError>) {
        match case {
            Ok(c) => {
                self.case = c;
                self.case_error = None;
            }
            Err(e) => {
                self.status = format!("error: {e}");
                self.case_error = Some(e);
            }
        }
    }

    /// The event the case keys act on: the selected row, the event in the detail view, or
    /// the selected bookmark.
    pub(super) fn case_target(&self) -> Option<EventRef> {
        match self.view {
            View::Detail => self.detail.event.as_deref().map(case::event_ref),
            View::Events => self.events.selected_row().map(case::row_ref),
            View::Case => self.case_view.target(&self.case),
            _ => None,
        }
    }

    pub(super) fn case_change(&mut self, op: CaseOp) -> Option<Effect> {
        if let Some(e) = &self.case_error {
            self.status = format!("error: the case is read-only: {e}");
            return None;
        }
        Some(Effect::Case(op))
    }

    pub(super) fn on_case_action(&mut self, action: &Action) -> Option<Effect> {
        match action {
            Action::ToggleMark => {
                let Some(ev) = self.case_target() else {
                    self.status = "select an event to mark".into();
                    return None;
                };
                // What the analyst sees decides: `m` on a row shown marked unmarks it, even
                // if another process changed the case file meanwhile (a toggle then marked
                // it again).
                let op = if self.case.events.contains_key(&ev.audit_id) {
                    CaseOp::Remove(ev.audit_id)
                } else {
                    CaseOp::Add(ev)
                };
                self.case_change(op)
            }
            Action::Tag | Action::Note => {
                let Some(ev) = self.case_target() else {
                    self.status = "select an event to tag or annotate".into();
                    return None;
                };
                let existing = self.case.events.get(&ev.audit_id);
                let (mode, text) = if *action == Action::Tag {
                    let tags = existing.map(|b| b.tags.join(", ")).unwrap_or_default();
                    (InputMode::Tag, tags)
                } else {
                    (
                        InputMode::Note,
                        existing.map(|b| b.note.clone()).unwrap_or_default(),
                    )
                };
                self.input_target = Some(ev);
                self.open_input(mode, text)
            }
            Action::NextMark | Action::PrevMark => self.jump_to_mark(*action == Action::PrevMark),
            Action::Export => {
                let mut d = ExportDialog::new(self.export_dir.clone());
                if let Some((format, scope)) = self.last_export {
                    d.format = format;
                    d.scope = scope;
                    d.path.set(d.default_path());
                }
                self.export = Some(d);
                None
            }
            _ => None,
        }
    }

    /// Tag and note inputs submitted.
    pub(super) fn submit_case_input(&mut self, mode: InputMode, text: &str) -> Option<Effect> {
        self.input = None;
        let ev = self.input_target.take()?;
        let op = match mode {
            InputMode::Tag => CaseOp::SetTags(ev, case::parse_tags(text)),
            _ => CaseOp::SetNote(ev, text.to_owned()),
        };
        self.case_change(op)
    }

    /// The runtime's answer to a case change.
    pub(super) fn on_case_saved(&mut self, result: Result<(Case, String), TuiError>) {
        match result {
            Ok((case, message)) => {
                self.case = case;
                self.status = message;
                self.case_view.clamp(&self.case);
            }
            Err(e) => self.status = format!("error: {e}"),
        }
    }

    /// `u` / `U` in the events view: the next (previous) bookmarked event.
    fn jump_to_mark(&mut self, backwards: bool) -> Option<Effect> {
        if self.case.events.is_empty() {
            self.status = "no bookmarks: m marks the selected event".into();
            return None;
        }
        if self.view != View::Events {
            self.show(View::Events);
        }
        let marks = Expr::AuditIds(Arc::new(self.case.events.keys().cloned().collect()));
        let from = self.current_time();
        let search = self.search.replace((String::new(), marks));
        let eff = self.find_from(from, backwards);
        self.search = search;
        self.seeking_mark = Some(backwards);
        Some(eff)
    }

    /// `:save NAME` — the current filter as a named query in the case.
    pub(super) fn save_filter(&mut self, name: &str) -> Option<Effect> {
        self.input = None;
        if name.is_empty() {
            self.status = "error: `:save` needs a name".into();
            return None;
        }
        let (text, skipped) = filter_as_query(&self.filter);
        if text.is_empty() {
            self.status = "error: no filter to save".into();
            return None;
        }
        let eff = self.case_change(CaseOp::SaveFilter {
            name: name.to_owned(),
            query: text,
        });
        if skipped > 0 && eff.is_some() {
            self.status = format!(
                "{skipped} filter(s) that are not queries (a finding's events) were not saved"
            );
        }
        eff
    }

    /// `:load NAME` — a saved filter replaces the current one (when it is a valid query).
    pub(super) fn load_filter(&mut self, name: &str) -> Option<Effect> {
        let Some(q) = self.case.filters.get(name).cloned() else {
            let names: Vec<&str> = self.case.filters.keys().map(String::as_str).collect();
            return self.input_error(
                5,
                format!("no saved filter `{name}` (saved: {})", names.join(", ")),
            );
        };
        self.input = None;
        // The case file is edited by hand and by others: its filter may not parse (or nest
        // too deep to run). Say so, and keep the filter in effect.
        if let Err(e) = query::parse(&q) {
            self.status = format!("error: saved filter `{name}` is not a valid query: {e}");
            return None;
        }
        let f = FilterState {
            chips: Vec::new(),
            query: q,
        };
        self.show_events_with(f)
    }

    /// Keys while the export dialog is open.
    pub(super) fn on_export(&mut self, action: &Action) -> Option<Effect> {
        let d = self.export.as_mut()?;
        if d.running {
            if *action == Action::Cancel {
                self.export = None;
            }
            return None;
        }
        match action {
            Action::Cancel => self.export = None,
            Action::Up | Action::Down => {
                let n = ExportFormat::ALL.len();
                d.format = if *action == Action::Up {
                    (d.format + n - 1) % n
                } else {
                    (d.format + 1) % n
                };
                d.follow_format();
            }
            Action::NextPane | Action::PrevPane => {
                let n = ExportScope::ALL.len();
                d.scope = if *action == Action::PrevPane {
                    (d.scope + n - 1) % n
                } else {
                    (d.scope + 1) % n
                };
            }
            Action::Char(c) => {
                d.path.apply(Edit::Insert(*c));
                d.edited = true;
                d.error = None;
                d.follow_name();
            }
            Action::Backspace => {
                d.edited |= d.path.apply(Edit::DeleteBack);
                d.follow_name();
            }
            Action::Edit(e) => {
                d.edited |= d.path.apply(*e);
                d.follow_name();
            }
            Action::Submit => return self.start_export(),
            _ => {}
        }
        None
    }

    fn start_export(&mut self) -> Option<Effect> {
        let (query_text, _) = filter_as_query(&self.filter);
        let d = self.export.as_mut()?;
        if d.path.text().trim().is_empty() {
            d.error = Some("type a file name".into());
            return None;
        }
        let scope = d.scope();
        let mut spec = ExportSpec {
            case_file: self.case_file.clone(),
            index: self.index_name.clone(),
            ..ExportSpec::default()
        };
        let query = (!query_text.is_empty()).then_some(query_text);
        match scope {
            ExportScope::Case => spec.case = true,
            ExportScope::Filter => spec.query = Some(query.unwrap_or_else(|| "*".into())),
            ExportScope::CaseAndFilter => {
                spec.case = true;
                spec.query = query;
            }
            ExportScope::Detections => spec.detections = true,
        }
        d.running = true;
        let job = ExportJob {
            spec,
            format: d.format(),
            path: PathBuf::from(d.path.text().trim()),
            case: self.case.clone(),
            findings: Arc::clone(&self.findings),
        };
        Some(self.request(Request::Export {
            id: 0,
            job: Box::new(job),
        }))
    }

    pub(super) fn on_exported(&mut self, result: Result<String, TuiError>) {
        match result {
            Ok(message) => {
                // The next dialog opens on the same format and scope.
                if let Some(d) = self.export.take() {
                    self.last_export = Some((d.format, d.scope));
                }
                self.status = message;
            }
            Err(e) => {
                if let Some(d) = self.export.as_mut() {
                    d.running = false;
                    d.error = Some(e.to_string());
                }
            }
        }
    }
}

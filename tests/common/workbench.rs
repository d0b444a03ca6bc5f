//! The workbench driven without a terminal: an [`App`] on an index with its [`Engine`],
//! keys in, the screen out as text. The views' tests (`tui_fit`, `tui_views`) and the
//! terminal-safety test share it.

use std::path::Path;

use kubesift::CaseStore;
use kubesift::session::{IndexDir, Session};
use kubesift::tui::keymap::Keymap;
use kubesift::tui::worker::Engine;
use kubesift::tui::{Action, App, Effect};

/// An app on `index` at `size`, with its engine, as the workbench starts.
pub fn start(index: &Path, size: (u16, u16)) -> (App, Engine) {
    let dir = IndexDir::new(index);
    let session = Session::open(&dir).unwrap();
    let findings = session.default_findings().unwrap();
    let facts = session.facts().unwrap();
    let mut app = App::new(findings, facts, jiff::tz::TimeZone::UTC, "UTC".into(), size);
    let mut engine = Engine::new(session);
    let first = app.start();
    settle(&mut app, &mut engine, first);
    (app, engine)
}

/// Runs effects until the app asks for nothing more: index requests through the engine,
/// case changes on the app's case file; returns the last copy asked for.
pub fn settle(app: &mut App, engine: &mut Engine, mut eff: Option<Effect>) -> Option<String> {
    let mut copied = None;
    loop {
        eff = match eff {
            Some(Effect::Request(r)) => {
                let resp = engine.handle(r);
                app.update(Action::Response(Box::new(resp)))
            }
            Some(Effect::Case(op)) => {
                let store = CaseStore::new(app.case_file.clone().unwrap());
                app.update(kubesift::tui::apply_case(&store, op))
            }
            Some(Effect::Copy(text)) => {
                copied = Some(text);
                None
            }
            _ => return copied,
        }
    }
}

/// The actions one after the other, each settled; the last copy asked for.
pub fn act(app: &mut App, engine: &mut Engine, actions: &[Action]) -> Option<String> {
    let mut copied = None;
    for a in actions {
        let eff = app.update(a.clone());
        copied = settle(app, engine, eff).or(copied);
    }
    copied
}

/// `text` typed into whatever prompt is open.
pub fn typed(app: &mut App, engine: &mut Engine, text: &str) {
    let actions: Vec<Action> = text.chars().map(Action::Char).collect();
    act(app, engine, &actions);
}

/// The screen as the terminal would show it, as text.
pub fn screen(app: &App) -> String {
    kubesift::tui::render_to_string(app, &Keymap::builtin(), app.size.0, app.size.1)
}

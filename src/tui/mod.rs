//! The terminal workbench. The only module that imports ratatui and crossterm.
//!
//! One loop: read terminal events, map keys to [`Action`]s through the keymap (and mouse
//! clicks to lines of the table, hit-tested here), let [`App::update`] change state and name
//! an [`Effect`], run the effect (a request to the index worker, a copy, a case change,
//! quit), draw. Index queries run on the worker thread, so typing never waits for the index.
//! Imports the session (which it is opened on) and the layers below it; never `cli`.
//!
//! The parts: [`app`] (state and pure reducer) holding one [`components`] per view (state,
//! keys, drawing, tests — the place to add a view); [`protocol`] (effects, requests and
//! answers) between the app and the [`worker`] thread; [`screen`] (header, status line,
//! popups), [`theme`], [`layout`]; [`keymap`] and [`action`] (keys as data); [`filter`]
//! (the filters in effect); [`jsontree`] (the foldable raw event); [`lineedit`] (the prompts'
//! line editor and history); [`highlight`] (search matches inside a row).

pub mod action;
pub mod app;
pub mod components;
pub mod error;
pub mod filter;
pub mod highlight;
pub mod jsontree;
pub mod keymap;
pub mod layout;
pub mod lineedit;
pub mod protocol;
pub mod screen;
pub mod theme;
pub mod worker;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use base64::Engine as _;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyCode, KeyEventKind, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::{DefaultTerminal, Terminal};

pub use action::Action;
pub use app::{App, IndexFacts};
pub use error::TuiError;
use keymap::{Key, Keymap};
use lineedit::{Edit, History};
pub use protocol::Effect;
use worker::Worker;

use crate::case::CaseStore;
use crate::session::{self, Session};

/// Options of `kubesift tui`.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// `utc`, `local` or an IANA zone name.
    pub tz: String,
    /// The case file (default: `case.json` in the index directory).
    pub case: Option<std::path::PathBuf>,
}

/// Opens the workbench on an index until the user quits. The terminal (raw mode, the
/// alternate screen, mouse reporting) is restored on every way out: quitting, an error
/// (of the loop or the index thread), a panic, and SIGTERM / SIGHUP / SIGINT. The session's
/// findings are loaded (or computed) once the terminal and options are known to be usable;
/// then the session moves to the worker thread.
pub fn run(session: Session, opts: &TuiOptions) -> anyhow::Result<std::process::ExitCode> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the workbench needs a terminal; without one use the headless commands (detect, search, show, stats)"
        );
    }
    let keymap = Keymap::load()?;
    let (tz, tz_name) = app::parse_tz(&opts.tz).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown time zone `{}` (utc, local, or an IANA name like Europe/Paris)",
            opts.tz
        )
    })?;
    let dir = session.dir().clone();
    let findings = session.default_findings()?;
    let incidents = session.incidents_of(&findings)?;
    let facts = session.facts()?;
    let worker = Worker::spawn(session)?;
    let (stop, signalled) = stop_on_signals();
    let answered = Arc::new(AtomicBool::new(false));
    exit_if_stuck(
        Arc::clone(&stop),
        Arc::clone(&answered),
        Arc::clone(&signalled),
    );
    let mut terminal = ratatui::try_init()?;
    let _restore = RestoreOnDrop::install();
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let size = terminal.size().map_or((120, 40), |s| (s.width, s.height));
    let mut app = App::new(findings, facts, tz, tz_name, size);
    app.set_keymap(&keymap);
    app.set_incidents(incidents);
    // The blind spots (a pass over the whole index) on a thread of their own: the header's
    // marker appears when they are known.
    worker.background(Session::open(&dir)?, app.coverage_request())?;
    let store = CaseStore::new(session::case_path(&dir, opts.case.as_deref()));
    app.set_case(store.load().map_err(TuiError::from));
    app.case_file = Some(store.path.display().to_string());
    app.index_name = dir.root.display().to_string();
    // Absolute: the export dialog shows where it writes.
    let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    app.export_dir = Some(app::default_export_dir(
        &absolute(&store.path),
        &absolute(&dir.root),
    ));
    let mut history = Some(dir.root.join(HISTORY_FILE));
    if let Some(file) = &history {
        app.prompts = History::parse(&std::fs::read_to_string(file).unwrap_or_default());
    }
    let result = event_loop(
        &mut terminal,
        &mut app,
        &keymap,
        &worker,
        &store,
        &stop,
        &mut history,
    );
    // The loop has returned: what follows (the history, the worker's end) may take its time.
    answered.store(true, Ordering::Relaxed);
    save_history(&mut app, &mut history);
    result?;
    // Killed, not quit: the shell and scripts see 128 + the signal, as for any program a
    // signal ends.
    Ok(match u8::try_from(signalled.load(Ordering::Relaxed)) {
        Ok(0) | Err(_) => std::process::ExitCode::SUCCESS,
        Ok(signal) => std::process::ExitCode::from(128_u8.saturating_add(signal)),
    })
}

/// The prompts' history, beside the index.
pub const HISTORY_FILE: &str = "prompt-history.json";

/// Writes the prompts' history when it changed (atomically: a crash leaves the old file).
/// A directory that cannot take it is said once; the history then lives for this run only.
fn save_history(app: &mut App, path: &mut Option<std::path::PathBuf>) {
    if !app.prompts.is_dirty() {
        return;
    }
    app.prompts.written();
    let Some(file) = path.as_deref() else { return };
    if let Err(e) = crate::fsutil::write_atomic(file, app.prompts.to_json().as_bytes()) {
        app.status = format!(
            "error: the prompt history cannot be kept in {}: {e}",
            file.display()
        );
        *path = None;
    }
}

/// Undoes what opening the workbench did to the terminal.
fn restore_terminal() {
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
}

/// Restores the terminal when dropped (every return, error or unwinding panic) and, through
/// a panic hook run before the panic message is printed, on any panic. ratatui's own hook
/// (from `try_init`) leaves mouse reporting on.
struct RestoreOnDrop;

impl RestoreOnDrop {
    fn install() -> RestoreOnDrop {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
        RestoreOnDrop
    }
}

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A flag raised by SIGTERM, SIGHUP or SIGINT: the loop then quits and the terminal is
/// restored (raw mode turns Ctrl-C into a key, but `kill` still sends signals); and the
/// signal's number, for the exit status (128 + it).
fn stop_on_signals() -> (Arc<AtomicBool>, Arc<AtomicUsize>) {
    let stop = Arc::new(AtomicBool::new(false));
    let which = Arc::new(AtomicUsize::new(0));
    #[cfg(unix)]
    for signal in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
        if let Ok(n) = usize::try_from(signal) {
            let _ = signal_hook::flag::register_usize(signal, Arc::clone(&which), n);
        }
    }
    (stop, which)
}

/// The loop quits within one turn of a signal — unless the terminal hung up (its window
/// closed, the tmux session killed): then reading it returns end of file forever inside
/// crossterm, which never returns to the loop. A signal that the loop has not answered
/// within two seconds ends the process here (the case and the index are written atomically,
/// so nothing is half written). Once the loop has answered (`answered`), the shutdown that
/// follows is left to finish however long it takes.
fn exit_if_stuck(stop: Arc<AtomicBool>, answered: Arc<AtomicBool>, signal: Arc<AtomicUsize>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
        }
        if unanswered_after(&answered, Duration::from_secs(2)) {
            restore_terminal();
            let signal = i32::try_from(signal.load(Ordering::Relaxed)).unwrap_or(1);
            std::process::exit(128 + signal);
        }
    });
}

/// Whether `answered` is still down after `grace` (polled every 100 ms).
fn unanswered_after(answered: &AtomicBool, grace: Duration) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < grace {
        if answered.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    !answered.load(Ordering::Relaxed)
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    keymap: &Keymap,
    worker: &Worker,
    store: &CaseStore,
    stop: &AtomicBool,
    history: &mut Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let mut watch = CaseWatch::new(store);
    let run_effect = |app: &mut App, mut eff: Option<Effect>| {
        while let Some(next) = run_effect(eff, worker, store) {
            eff = app.update(next);
        }
    };
    let first = app.start();
    run_effect(app, first);
    let mut dirty = true;
    while !app.quit && !stop.load(Ordering::Relaxed) {
        if dirty {
            terminal.draw(|f| screen::render(app, keymap, f))?;
            dirty = false;
        }
        // Worker answers first: they are what the user waits for.
        loop {
            match worker.rx.try_recv() {
                Ok(resp) => {
                    let eff = app.update(Action::Response(Box::new(resp)));
                    run_effect(app, eff);
                    dirty = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    anyhow::bail!("the index thread stopped; the workbench cannot go on")
                }
            }
        }
        if dirty {
            continue;
        }
        if !event::poll(Duration::from_millis(25))? {
            // The case file is shared with `kubesift case` and other workbenches: a change
            // made elsewhere is read back (the view went stale, and acted on stale rows).
            if watch.changed(store) {
                watch.seen(store);
                let reloaded = store.load().map_err(TuiError::from);
                // This workbench's own writes read back the same: no news.
                if reloaded.as_ref().ok() != Some(&app.case) {
                    let reloaded =
                        reloaded.map(|c| (c, "the case file changed: read it again".to_owned()));
                    let eff = app.update(Action::CaseSaved(Box::new(reloaded)));
                    run_effect(app, eff);
                    dirty = true;
                }
            }
            continue;
        }
        let started = Instant::now();
        // Not `Duration::ZERO`: crossterm's level-triggered reader returns at once with a zero
        // timeout without looking at the keys it has already read but not yet handed out.
        while event::poll(Duration::from_millis(1))? {
            if let Some(action) = translate(&event::read()?, app, keymap) {
                let eff = app.update(action);
                run_effect(app, eff);
                dirty = true;
            }
            // Keep a flood of keys (held arrow) from starving redraws.
            if started.elapsed() > Duration::from_millis(30) {
                break;
            }
        }
        save_history(app, history);
    }
    Ok(())
}

/// Notices a change of the case file made by another process, checking at most once a
/// second (its size and modification time).
struct CaseWatch {
    stamp: Option<(std::time::SystemTime, u64)>,
    checked: Instant,
}

impl CaseWatch {
    fn new(store: &CaseStore) -> CaseWatch {
        CaseWatch {
            stamp: Self::stamp(store),
            checked: Instant::now(),
        }
    }

    fn stamp(store: &CaseStore) -> Option<(std::time::SystemTime, u64)> {
        let meta = std::fs::metadata(&store.path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    }

    /// Whether the file changed since last seen (checked once a second).
    fn changed(&mut self, store: &CaseStore) -> bool {
        if self.checked.elapsed() < Duration::from_secs(1) {
            return false;
        }
        self.checked = Instant::now();
        Self::stamp(store) != self.stamp
    }

    fn seen(&mut self, store: &CaseStore) {
        self.stamp = Self::stamp(store);
    }
}

/// Runs an effect; a case change answers at once with the action that reports it.
fn run_effect(effect: Option<Effect>, worker: &Worker, store: &CaseStore) -> Option<Action> {
    match effect {
        Some(Effect::Request(r)) => worker.send(r),
        Some(Effect::Copy(text)) => copy_osc52(&text),
        Some(Effect::Case(op)) => return Some(apply_case(store, op)),
        Some(Effect::Quit) | None => {}
    }
    None
}

/// Applies a case change to the case file (load, change, atomic save).
pub fn apply_case(store: &CaseStore, op: crate::case::CaseOp) -> Action {
    Action::CaseSaved(Box::new(store.update(op).map_err(TuiError::from)))
}

/// Copies through the terminal (OSC 52): works over SSH and inside tmux
/// (`set -g set-clipboard on`).
fn copy_osc52(text: &str) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

/// Maps a terminal event to an action: typed text while an input line is open, else the
/// keymap of the current view.
pub fn translate(ev: &Event, app: &App, keymap: &Keymap) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind == KeyEventKind::Press || k.kind == KeyEventKind::Repeat => {
            let key = Key::from_event(k);
            if app.export.is_some() {
                return match k.code {
                    KeyCode::Tab => Some(Action::NextPane),
                    KeyCode::BackTab => Some(Action::PrevPane),
                    _ => prompt_key(key),
                };
            }
            let multiline = app
                .input
                .as_ref()
                .is_some_and(|i| i.mode == app::InputMode::Note);
            if multiline
                && (matches!(k.code, KeyCode::Char('j') if key.ctrl)
                    || (k.code == KeyCode::Enter && key.alt))
            {
                return Some(Action::Char('\n'));
            }
            if app.input.is_some() {
                return prompt_key(key);
            }
            keymap.action(app.view.context(), key)
        }
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Scroll(3)),
            MouseEventKind::ScrollUp => Some(Action::Scroll(-3)),
            MouseEventKind::Down(_) => {
                layout::body_line(app.size, m.column, m.row).map(|line| Action::Click { line })
            }
            _ => None,
        },
        Event::Resize(w, h) => Some(Action::Resize(*w, *h)),
        _ => None,
    }
}

/// A key while a prompt (an input line, the export dialog's file name) is open: readline
/// edits, ↑/↓ through its history, enter, esc.
fn prompt_key(key: Key) -> Option<Action> {
    match key.code {
        KeyCode::Enter => Some(Action::Submit),
        KeyCode::Esc => Some(Action::Cancel),
        KeyCode::Up => Some(Action::Up),
        KeyCode::Down => Some(Action::Down),
        KeyCode::Char('c') if key.ctrl => Some(Action::Quit),
        _ => match edit_of(key) {
            Some(e) => Some(Action::Edit(e)),
            None => match key.code {
                KeyCode::Char(c) if !key.ctrl && !key.alt => Some(Action::Char(c)),
                _ => None,
            },
        },
    }
}

/// The readline edit of a key: Ctrl-A/E/U/W/K/B/F/D/H, Alt-B/F/Backspace, arrows, Home/End,
/// Delete, Backspace.
fn edit_of(key: Key) -> Option<Edit> {
    Some(match (key.code, key.ctrl, key.alt) {
        (KeyCode::Char('a'), true, _) | (KeyCode::Home, ..) => Edit::Start,
        (KeyCode::Char('e'), true, _) | (KeyCode::End, ..) => Edit::End,
        (KeyCode::Char('u'), true, _) => Edit::KillToStart,
        (KeyCode::Char('k'), true, _) => Edit::KillToEnd,
        (KeyCode::Char('w'), true, _) | (KeyCode::Backspace, _, true) => Edit::KillWordBack,
        (KeyCode::Char('b'), true, _) | (KeyCode::Left, false, false) => Edit::Left,
        (KeyCode::Char('f'), true, _) | (KeyCode::Right, false, false) => Edit::Right,
        (KeyCode::Char('b'), false, true) | (KeyCode::Left, ..) => Edit::WordLeft,
        (KeyCode::Char('f'), false, true) | (KeyCode::Right, ..) => Edit::WordRight,
        (KeyCode::Char('d'), true, _) | (KeyCode::Delete, ..) => Edit::DeleteForward,
        (KeyCode::Char('h'), true, _) | (KeyCode::Backspace, ..) => Edit::DeleteBack,
        _ => return None,
    })
}

/// Renders one frame of `app` into a buffer (tests, benchmarks).
pub fn render_to_buffer(
    app: &App,
    keymap: &Keymap,
    width: u16,
    height: u16,
) -> ratatui::buffer::Buffer {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let Ok(mut terminal) = Terminal::new(backend);
    let _ = terminal.draw(|f| screen::render(app, keymap, f));
    terminal.backend().buffer().clone()
}

/// Renders one frame of `app` as text, one line per row (snapshots).
pub fn render_to_string(app: &App, keymap: &Keymap, width: u16, height: u16) -> String {
    let buf = render_to_buffer(app, keymap, width, height);
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyEvent, KeyModifiers};

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, modifiers))
    }

    #[test]
    fn an_open_prompt_takes_the_readline_keys() {
        let km = Keymap::builtin();
        let mut app = App::new(
            Vec::new(),
            IndexFacts::default(),
            jiff::tz::TimeZone::UTC,
            "UTC".into(),
            (120, 40),
        );
        let ctrl = KeyModifiers::CONTROL;
        let (alt, none) = (KeyModifiers::ALT, KeyModifiers::NONE);
        assert_eq!(
            translate(&key(KeyCode::Char('u'), ctrl), &app, &km),
            Some(Action::HalfPageUp),
            "outside a prompt, the keymap"
        );
        app.update(Action::Filter);
        for (ev, edit) in [
            (key(KeyCode::Char('u'), ctrl), Edit::KillToStart),
            (key(KeyCode::Char('w'), ctrl), Edit::KillWordBack),
            (key(KeyCode::Char('k'), ctrl), Edit::KillToEnd),
            (key(KeyCode::Char('a'), ctrl), Edit::Start),
            (key(KeyCode::End, none), Edit::End),
            (key(KeyCode::Char('b'), alt), Edit::WordLeft),
            (key(KeyCode::Char('f'), alt), Edit::WordRight),
            (key(KeyCode::Left, none), Edit::Left),
            (key(KeyCode::Delete, none), Edit::DeleteForward),
            (key(KeyCode::Backspace, none), Edit::DeleteBack),
        ] {
            assert_eq!(
                translate(&ev, &app, &km),
                Some(Action::Edit(edit)),
                "{ev:?}"
            );
        }
        assert_eq!(
            translate(&key(KeyCode::Up, none), &app, &km),
            Some(Action::Up),
            "history"
        );
        assert_eq!(
            translate(&key(KeyCode::Char('q'), none), &app, &km),
            Some(Action::Char('q'))
        );
    }

    #[test]
    fn regression_slow_shutdown_after_sigterm_was_cut_short_with_exit_129() {
        // The loop answered the signal: the watchdog leaves the shutdown alone.
        let answered = AtomicBool::new(true);
        assert!(!unanswered_after(&answered, Duration::from_millis(300)));
        // A loop that never answers (a hung-up terminal) is still ended.
        let silent = AtomicBool::new(false);
        assert!(unanswered_after(&silent, Duration::from_millis(200)));
    }
}

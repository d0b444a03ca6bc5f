//! The input lines (filter, search, `:` commands, tags, note) and the pivot menu: typed
//! text goes here while one is open, and a submitted line changes the filters.

use super::{App, parse_tz};
use crate::case::CaseOp;
use crate::model::{EventRow, Micros, fields};
use crate::query::{self, Expr, TimeSpec};
use crate::tui::action::Action;
use crate::tui::components::View;
use crate::tui::filter::{Chip, FilterState, pivot_chip, quote};
use crate::tui::lineedit::{Browse, Edit, LineEditor};
use crate::tui::protocol::Effect;

/// What an input line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    Filter,
    Search,
    Command,
    Tag,
    Note,
    /// Narrows the findings to those holding the text.
    FindFindings,
    /// Narrows the help to the lines holding the text.
    FindHelp,
}

impl InputMode {
    pub fn prompt(self) -> &'static str {
        match self {
            InputMode::Filter => "filter",
            InputMode::Search => "search",
            InputMode::Command => ":",
            InputMode::Tag => "tags (comma or space separated)",
            InputMode::Note => "note (ctrl-j: new line)",
            InputMode::FindFindings => "find in findings",
            InputMode::FindHelp => "find in help",
        }
    }

    /// The name its lines are kept under in the prompt history.
    pub fn history_key(self) -> &'static str {
        match self {
            InputMode::Filter => "filter",
            InputMode::Search => "search",
            InputMode::Command => "command",
            InputMode::Tag => "tag",
            InputMode::Note => "note",
            InputMode::FindFindings => "find-findings",
            InputMode::FindHelp => "find-help",
        }
    }
}

/// The line being typed, with its error (column, message) when it does not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub mode: InputMode,
    pub line: LineEditor,
    pub error: Option<(usize, String)>,
    /// Where ↑/↓ are in the prompt's history.
    pub browse: Browse,
}

impl Input {
    pub fn text(&self) -> &str {
        self.line.text()
    }
}

/// A popup of values of the selected event to pivot on.
#[derive(Debug, Clone, PartialEq)]
pub struct PivotMenu {
    /// (label, query field, value)
    pub items: Vec<(String, &'static str, String)>,
    pub selected: usize,
}

impl App {
    pub(super) fn open_input(&mut self, mode: InputMode, text: String) -> Option<Effect> {
        self.input = Some(Input {
            mode,
            line: LineEditor::new(text),
            error: None,
            browse: Browse::default(),
        });
        None
    }

    pub(super) fn on_input(&mut self, action: &Action) -> Option<Effect> {
        let input = self.input.as_mut()?;
        let edit = match action {
            Action::Char(c) => Some(Edit::Insert(*c)),
            Action::Backspace => Some(Edit::DeleteBack),
            Action::Edit(e) => Some(*e),
            _ => None,
        };
        if let Some(e) = edit {
            if input.line.apply(e) {
                input.error = None;
            }
            return None;
        }
        match action {
            Action::Up | Action::Down => {
                let key = input.mode.history_key();
                let older = *action == Action::Up;
                self.prompts
                    .step(key, older, &mut input.browse, &mut input.line);
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

    pub(super) fn submit(&mut self) -> Option<Effect> {
        let input = self.input.clone()?;
        self.prompts.push(input.mode.history_key(), input.text());
        if matches!(input.mode, InputMode::Tag | InputMode::Note) {
            return self.submit_case_input(input.mode, input.text());
        }
        let text = input.text().trim().to_owned();
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
                        Some(
                            self.find_from(
                                self.current_time().map(|t| t.saturating_add(-1)),
                                false,
                            ),
                        )
                    }
                    Err(e) => self.input_error(e.column, e.message),
                }
            }
            InputMode::Command => self.command(&text),
            InputMode::Tag | InputMode::Note | InputMode::FindFindings | InputMode::FindHelp => {
                None
            }
        }
    }

    pub(super) fn input_error(&mut self, column: usize, message: String) -> Option<Effect> {
        if let Some(i) = self.input.as_mut() {
            i.error = Some((column, message));
        }
        None
    }

    /// `:` commands.
    pub(super) fn command(&mut self, text: &str) -> Option<Effect> {
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
            "unfilter" => {
                let Ok(n) = arg.parse::<usize>() else {
                    return self.input_error(
                        cmd.len() + 1,
                        format!(
                            "`:unfilter` needs the number of a filter (1 is the first), not `{arg}`"
                        ),
                    );
                };
                self.input = None;
                return self.remove_chip(Some(n));
            }
            "save" => return self.save_filter(arg),
            "load" => return self.load_filter(arg),
            "export" => {
                self.input = None;
                return self.on_case_action(&Action::Export);
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
            "coverage" => {
                self.input = None;
                return self.show(View::Coverage);
            }
            "sessions" => {
                self.input = None;
                return if arg.is_empty() {
                    self.open_sessions()
                } else {
                    self.sessions_of(crate::story::Identity::Account(arg.to_owned()), None)
                };
            }
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

    pub(super) fn add_chip_and_show(&mut self, chip: Chip) -> Option<Effect> {
        let anchor = self.anchor();
        if matches!(self.view, View::Detections | View::Detail) {
            self.stack.push(self.view);
            self.view = View::Events;
        }
        self.add_chip(chip, anchor)
    }

    pub(super) fn time_command(&mut self, cmd: &str, arg: &str) -> Option<Effect> {
        let Some(t) = TimeSpec::parse(arg).or_else(|| self.clock_time(arg).map(TimeSpec::At))
        else {
            return self.input_error(
                cmd.len() + 1,
                format!(
                    "`{arg}` is not a time (a clock time like 11:30, RFC 3339, a date, or a duration like 2h)"
                ),
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

    /// `11:30` or `11:30:15` in the view's zone, on the day of the selected event (else of
    /// the data's last event).
    pub(super) fn clock_time(&self, arg: &str) -> Option<Micros> {
        let valid = arg.len() >= 4 && arg.chars().all(|c| c.is_ascii_digit() || c == ':');
        let clock: jiff::civil::Time = arg.parse().ok().filter(|_| valid)?;
        let day_of = self
            .current_time()
            .or_else(|| self.facts.span.map(|(_, last)| last))?;
        let day = day_of
            .to_timestamp()?
            .to_zoned_datetime(self.tz.clone())
            .date();
        let at = day
            .to_datetime(clock)
            .to_zoned_datetime(self.tz.clone())
            .ok()?;
        Some(Micros::from_timestamp(at.timestamp()))
    }

    pub(super) fn set_tz(&mut self, arg: &str) -> Option<Effect> {
        match parse_tz(arg) {
            Some((tz, name)) => {
                self.input = None;
                self.tz = tz;
                self.tz_name = name;
                self.filter.relabel_times(&self.tz);
                for f in &mut self.history {
                    f.relabel_times(&self.tz);
                }
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

    pub(super) fn on_menu(&mut self, action: &Action) -> Option<Effect> {
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
    pub(super) fn pivot_on(&mut self, field: &str, value: &str) -> Option<Effect> {
        self.add_chip_and_show(pivot_chip(field, value))
    }

    /// The pivot menu: the values of the event under the cursor (or in the detail view).
    pub(super) fn open_menu(&mut self) -> Option<Effect> {
        let s = match self.view {
            View::Detail => self.detail.event.as_deref().map(EventRow::of),
            _ => self.events.selected_row().cloned(),
        }?;
        let items = fields::pivots()
            .into_iter()
            .filter_map(|(f, p)| {
                let (label, chip) = p.menu?;
                // An exec pivots on `pods/exec`, not on every request about pods.
                let value = if f.name == "resource" {
                    s.resource_path()
                } else {
                    f.first(&s)
                };
                (!value.is_empty()).then(|| (format!("{label}: {value}"), chip, value))
            })
            .collect();
        self.menu = Some(PivotMenu { items, selected: 0 });
        None
    }
}

/// The error of a `:` command that does not exist, listing those that do.
fn unknown_command(cmd: &str) -> String {
    let filters: Vec<&str> = fields::FIELDS
        .iter()
        .filter_map(|f| f.commands.first().copied())
        .collect();
    format!(
        "unknown command `{cmd}` ({}, since, until, unfilter, clear, tz, save, load, export, title, analyst, coverage, sessions, q)",
        filters.join(", ")
    )
}

//! What the user can ask for. Key bindings map keys to [`Action`]s (the keymap is data:
//! `assets/keymap.toml`); other inputs (typed text, mouse, worker results) are actions too,
//! so that every state change goes through `App::update`.

use serde::{Deserialize, Serialize};

use super::protocol::Response;

/// Actions. The unit variants are what keys bind to, by their kebab-case name.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Quit,
    /// Back one view (or out of a popup); quits from the root view.
    Back,
    Help,
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    HalfPageDown,
    HalfPageUp,
    PageDown,
    PageUp,
    /// Drill down: open a finding's events, an event's detail; pivot on a value.
    Open,
    Cancel,
    NextPane,
    PrevPane,
    ViewDetections,
    ViewEvents,
    ViewPivots,
    ViewTimeline,
    /// Edit the filter (hides non-matching events).
    Filter,
    /// Search: highlight and jump, hiding nothing.
    Search,
    SearchNext,
    SearchPrev,
    /// `:` command line.
    Command,
    /// Pivot on a field of the selected event (menu).
    PivotMenu,
    PivotBack,
    PivotForward,
    ClearFilters,
    /// Select a filter chip (the last; ←/→ another) and remove it with a second press.
    RemoveChip,
    /// Events within ±1 minute of the selected one, all filters dropped.
    AroundMinute,
    /// … ±10 minutes.
    AroundTenMinutes,
    /// Copy the selected value to the clipboard (OSC 52).
    Copy,
    ToggleFold,
    ExpandAll,
    CollapseAll,
    /// Timeline: mark the start of a range; again to zoom into it.
    MarkRange,
    ZoomOut,
    Refresh,
    ViewCase,
    /// The incidents view: findings linked into attack stories.
    ViewIncidents,
    /// Bookmark / un-bookmark the selected event.
    ToggleMark,
    /// Edit the tags of the selected event.
    Tag,
    /// Edit the note of the selected event.
    Note,
    /// Next / previous bookmarked event.
    NextMark,
    PrevMark,
    /// Open the export dialog.
    Export,
    /// Detections: sort by the column under the cursor (again: reversed, then off).
    Sort,
    /// Detections: by severity, grouped by account, kill-chain order.
    CycleOrder,
    /// Narrow a list (the findings, the help) to the rows holding a text.
    FindInList,
    /// Timeline: the next / previous bucket where a finding starts.
    NextFinding,
    PrevFinding,
    /// Timeline: a linear or a logarithmic y scale.
    ToggleLogScale,
    /// The coverage view: what the data set cannot show (blind spots).
    ViewCoverage,
    /// The session view of the selected event's (finding's, pivot's) identity.
    Sessions,
    #[serde(skip)]
    CaseSaved(Box<Result<(crate::case::Case, String), super::error::TuiError>>),
    #[serde(skip)]
    Char(char),
    #[serde(skip)]
    Backspace,
    /// A readline edit of the open prompt (cursor moves, kills).
    #[serde(skip)]
    Edit(super::lineedit::Edit),
    #[serde(skip)]
    Submit,
    /// A click on a line of the table body, counted from its first row (the runtime
    /// hit-tests the screen, so the reducer sees no terminal geometry).
    #[serde(skip)]
    Click {
        line: u16,
    },
    #[serde(skip)]
    Scroll(i32),
    #[serde(skip)]
    Resize(u16, u16),
    #[serde(skip)]
    Response(Box<Response>),
}

impl Action {
    /// One line for the help overlay.
    pub fn describe(&self) -> &'static str {
        match self {
            Action::Quit => "quit at once",
            Action::Back => "back one view (quit from the root; Q quits at once)",
            Action::Help => "this help",
            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "column cursor left / previous bucket",
            Action::Right => "column cursor right / next bucket",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::HalfPageDown => "half a page down",
            Action::HalfPageUp => "half a page up",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::Open => "open: finding's events, event detail, pivot",
            Action::Cancel => "close popup / cancel input",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::ViewDetections => "detections",
            Action::ViewEvents => "events",
            Action::ViewPivots => "pivots (top values)",
            Action::ViewTimeline => "timeline",
            Action::Filter => "filter (query language)",
            Action::Search => "search: highlight and jump",
            Action::SearchNext => "next match",
            Action::SearchPrev => "previous match",
            Action::Command => {
                "command (:user X, :ns Y, :ip Z, :since 11:30, :until T, :unfilter N, :clear, :tz Z, :coverage, :sessions A, :q)"
            }
            Action::PivotMenu => "pivot on a field of the selected event",
            Action::PivotBack => "back in pivot history",
            Action::PivotForward => "forward in pivot history",
            Action::ClearFilters => "clear every filter",
            Action::RemoveChip => "remove a filter: select it (←/→), again to remove (:unfilter N)",
            Action::AroundMinute => "events around this one (±1 min)",
            Action::AroundTenMinutes => "events around this one (±10 min)",
            Action::Copy => {
                "copy what is under the cursor: a column's value, a field, a command (OSC 52)"
            }
            Action::ToggleFold => "fold / unfold",
            Action::ExpandAll => "unfold all",
            Action::CollapseAll => "fold all",
            Action::MarkRange => "mark a range; again to zoom into it",
            Action::ZoomOut => "zoom out",
            Action::Refresh => "reload from the index",
            Action::ViewCase => "case: bookmarks, tags, notes",
            Action::ViewIncidents => "incidents: findings linked into attack stories",
            Action::ToggleMark => "mark / unmark the event (case)",
            Action::Tag => "tags of the event",
            Action::Note => "note on the event",
            Action::NextMark => "next marked event",
            Action::PrevMark => "previous marked event",
            Action::Export => "export dialog (csv, jsonl, markdown, html)",
            Action::Sort => "sort by the column under the cursor (again: reversed, off)",
            Action::CycleOrder => "order: by severity, by account, kill chain (tactic, time)",
            Action::FindInList => "find: show only the rows holding a text",
            Action::NextFinding => "next finding marker",
            Action::PrevFinding => "previous finding marker",
            Action::ToggleLogScale => "linear / logarithmic y scale",
            Action::ViewCoverage => "coverage: blind spots of the audit policy (also :coverage)",
            Action::Sessions => {
                "sessions: the identity's requests as kubectl commands (of the selected event, finding, step or user)"
            }
            _ => "",
        }
    }
}

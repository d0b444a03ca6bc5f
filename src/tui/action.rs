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
    #[serde(skip)]
    CaseSaved(Box<Result<(crate::case::Case, String), super::error::TuiError>>),
    #[serde(skip)]
    Char(char),
    #[serde(skip)]
    Backspace,
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
            Action::Quit => "quit",
            Action::Back => "back one view (quit from the root)",
            Action::Help => "this help",
            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "left / previous column",
            Action::Right => "right / next column",
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
                "command (:user X, :ns Y, :ip Z, :since 2h, :until T, :clear, :tz Z, :q)"
            }
            Action::PivotMenu => "pivot on a field of the selected event",
            Action::PivotBack => "back in pivot history",
            Action::PivotForward => "forward in pivot history",
            Action::ClearFilters => "clear every filter",
            Action::AroundMinute => "events around this one (±1 min)",
            Action::AroundTenMinutes => "events around this one (±10 min)",
            Action::Copy => "copy the value (OSC 52)",
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
            _ => "",
        }
    }
}

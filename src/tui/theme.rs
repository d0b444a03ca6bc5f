//! Colours and styles, and [`clean`]. Colour carries meaning for severities and matches; it
//! is never the only carrier (severity is also written out). Log strings are
//! attacker-controlled: every one drawn passes through [`clean`] (control characters shown
//! as `\x1b`), never reaching the terminal raw.

use std::borrow::Cow;

use ratatui::style::{Color, Modifier, Style};

use crate::detect::Severity;
use crate::model::sanitize::escape_control;

/// A log string made safe to draw.
pub fn clean(s: &str) -> Cow<'_, str> {
    escape_control(s)
}

pub fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        Severity::High => Style::default().fg(Color::LightRed),
        Severity::Medium => Style::default().fg(Color::Yellow),
        Severity::Low => Style::default().fg(Color::Cyan),
        Severity::Info => Style::default().fg(Color::DarkGray),
    }
}

pub fn title() -> Style {
    Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

pub fn tab() -> Style {
    Style::default().fg(Color::Gray)
}

pub fn tab_active() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

pub fn chip() -> Style {
    Style::default().fg(Color::Black).bg(Color::Yellow)
}

/// A chip selected for removal.
pub fn chip_selected() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD)
}

pub fn search() -> Style {
    Style::default()
        .fg(Color::Magenta)
        .add_modifier(Modifier::BOLD)
}

/// A row matching the search: highlighted, not filtered.
pub fn search_match() -> Style {
    Style::default()
        .fg(Color::Magenta)
        .add_modifier(Modifier::BOLD)
}

pub fn error() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub fn selected() -> Style {
    Style::default()
        .bg(Color::DarkGray)
        .add_modifier(Modifier::BOLD)
}

pub fn header_row() -> Style {
    Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

pub fn marker() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub fn label() -> Style {
    Style::default().fg(Color::Cyan)
}

/// The character under a prompt's cursor.
pub fn cursor() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// The text of a row that matches the search.
pub fn search_hit() -> Style {
    Style::default()
        .fg(Color::Magenta)
        .add_modifier(Modifier::BOLD | Modifier::REVERSED)
}

/// The column cursor: the header of the column `c` copies, and its cell in the selected row.
pub fn cell_cursor() -> Style {
    Style::default().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED)
}

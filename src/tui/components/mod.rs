//! The workbench's views, one component each: a component owns its state, handles the keys
//! that are its own (moving, opening, copying…), draws itself and carries its tests, in one
//! file. The app (`tui::app`) keeps what views share — the filters, the case, the
//! findings, navigation between views, popups and input lines — and turns what a view asks
//! for (an [`Intent`]) into changes of that shared state and effects.
//!
//! **Adding a view:** write `components/NAME.rs` with a state type that implements
//! [`Component`]; add a row to the [`View`] table below (its keymap context and header tab);
//! add a field for it to `App` and a line to the `views!` registry in `app.rs`. Its keys go in
//! `assets/keymap.toml` under its context.
//!
//! Beside the views: `columns` (the tables' column layout), `lines` (a list with the line
//! under the cursor in full below it), `lineage` (the detail's lineage section), `help`.
//!
//! Components are pure but for [`Component::render`]: their reducers hold no terminal types
//! (a click arrives as the line of the table body it hit).

pub mod case;
pub mod columns;
pub mod coverage;
pub mod detail;
pub mod detections;
pub mod events;
pub mod help;
pub mod incidents;
pub mod lineage;
pub mod lines;
pub mod pivots;
pub mod sessions;
pub mod timeline;

use std::collections::HashMap;

use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::Action;
use super::error::TuiError;
use super::filter::{Chip, FilterState};
use super::protocol::Request;
use crate::case::Case;
use crate::detect::Finding;
use crate::model::Micros;
use crate::query::Expr;

/// Declares the views: variant, keymap context, header tab (label, and the view whose tab
/// is lit while this one shows).
macro_rules! views {
    ($($(#[$doc:meta])* $view:ident => $context:literal, $tab:expr, $lit:ident;)*) => {
        /// The views, in the order of the header's tabs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum View {
            $($(#[$doc])* $view,)*
        }

        impl View {
            /// Every view.
            pub const ALL: &'static [View] = &[$(View::$view),*];

            /// The keymap context of the view (`assets/keymap.toml`).
            pub fn context(self) -> &'static str {
                match self {
                    $(View::$view => $context,)*
                }
            }

            /// The label of the view's tab in the header, if it has one.
            pub fn tab(self) -> Option<&'static str> {
                match self {
                    $(View::$view => $tab,)*
                }
            }

            /// The view whose tab is lit while this one shows.
            #[must_use]
            pub fn lit_tab(self) -> View {
                match self {
                    $(View::$view => View::$lit,)*
                }
            }
        }
    };
}

views! {
    /// The incidents: findings linked into attack stories, and each one's story.
    Incidents => "incidents", Some("0 Incidents"), Incidents;
    /// The findings of the detections.
    Detections => "detections", Some("1 Detections"), Detections;
    /// The events of the filter, a window over the whole result.
    Events => "events", Some("2 Events"), Events;
    /// One event: decoded fields, its findings, the raw JSON.
    Detail => "detail", None, Events;
    /// Top values of pivot fields.
    Pivots => "pivots", Some("3 Pivots"), Pivots;
    /// A histogram over time with findings marked.
    Timeline => "timeline", Some("4 Timeline"), Timeline;
    /// The case: bookmarks, tags, notes.
    Case => "case", Some("5 Case"), Case;
    /// What the data set cannot show: gaps, levels, missing fields, blind spots.
    Coverage => "coverage", Some("6 Coverage"), Coverage;
    /// An identity's requests as commands, in sessions (`S`).
    Sessions => "sessions", None, Events;
}

/// What every view reads of the app's shared state.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub findings: &'a [Finding],
    /// audit ID → indexes of the findings that stand on it.
    pub finding_of: &'a HashMap<String, Vec<usize>>,
    pub case: &'a Case,
    /// Why the case file could not be read.
    pub case_error: Option<&'a TuiError>,
    pub filter: &'a FilterState,
    /// The search (highlighted, not filtered), if any.
    pub search: Option<&'a Expr>,
    pub tz: &'a TimeZone,
    pub tz_name: &'a str,
    /// The data spans more than one day in the zone shown: times carry their date (rows of
    /// two days read alike as clock times alone).
    pub dated: bool,
    /// The terminal's size (columns, rows).
    pub size: (u16, u16),
}

impl Ctx<'_> {
    /// How many body rows a table shows.
    pub fn page_rows(&self) -> u64 {
        super::layout::table_rows(self.size) as u64
    }
}

/// What a view's key asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Not a key of this view.
    Ignored,
    /// Done within the view.
    Done,
    /// Say this on the status line.
    Status(String),
    /// Copy this text.
    Copy(String),
    /// Move the cursor by this many rows.
    Move(i64),
    /// Show the events of this filter, which replaces the current one.
    ShowEvents(Chip),
    /// Add `field:value` to the filters.
    Pivot { field: &'static str, value: String },
    /// Show the events, positioned on the first one after this time.
    EventsFrom(Micros),
    /// Restrict the filters to this time range.
    Zoom(Micros, Micros),
    /// Open an event in the detail view: the row's handle, if known, and the request for it.
    Detail {
        handle: Option<u64>,
        request: Request,
    },
}

/// Whose sessions `S` opens, and the event whose command it puts the cursor on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focus {
    pub account: String,
    pub audit_id: Option<String>,
}

impl Focus {
    /// `account` (its `… from ADDRESS` suffix dropped), if any, with `audit_id`.
    pub fn of(account: &str, audit_id: Option<&str>) -> Option<Focus> {
        let account = account.split(" from ").next().unwrap_or_default();
        (!account.is_empty()).then(|| Focus {
            account: account.to_owned(),
            audit_id: audit_id.map(str::to_owned),
        })
    }
}

/// A view: its state, its keys, its drawing.
pub trait Component {
    /// Rows the cursor moves over.
    fn len(&self, ctx: &Ctx<'_>) -> u64;

    /// The cursor's row.
    fn position(&self) -> u64;

    /// Puts the cursor on row `pos` (below [`Component::len`]), keeping it in sight, and
    /// asks for what comes into sight when it is not loaded (id 0: the app numbers it).
    fn select(&mut self, pos: u64, ctx: &Ctx<'_>) -> Option<Request>;

    /// The view's own keys (beyond moving): what follows for the app.
    fn on_action(&mut self, action: &Action, ctx: &Ctx<'_>) -> Intent;

    /// What the view lacks for the current filter, as a request (id 0: the app numbers it).
    /// It records what it asked for, so asking again is a no-op until the filter changes.
    fn refresh(&mut self, _ctx: &Ctx<'_>) -> Option<Request> {
        None
    }

    /// The row a click on `line` of the table body selects (tables only).
    fn clicked(&self, _line: u64, _ctx: &Ctx<'_>) -> Option<u64> {
        None
    }

    /// Draws the view into `area`.
    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect);

    /// The account the selected row is about (an event's user, a finding's account) and
    /// its event, for the session view (`S`).
    fn identity(&self, _ctx: &Ctx<'_>) -> Option<Focus> {
        None
    }

    /// Actions worth a hint on the status line, with their labels.
    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        &[]
    }
}

/// Keeps `cursor` within the `visible` rows shown from `scroll`.
pub fn scroll_to(cursor: u64, scroll: u64, visible: u64) -> u64 {
    if cursor < scroll {
        cursor
    } else if cursor >= scroll + visible {
        cursor + 1 - visible
    } else {
        scroll
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Fixtures the views' tests share.

    use super::*;
    use crate::detect::{Family, Severity};
    use crate::model::EventRow;

    /// What `view` draws on a `w`×`h` screen, each line's trailing blanks trimmed.
    pub fn drawn(view: &dyn Component, ctx: &Ctx<'_>, (w, h): (u16, u16)) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| view.render(ctx, f, f.area())).unwrap();
        let buf = terminal.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_owned())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn finding(rule: &str, ids: &[&str]) -> Finding {
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

    pub fn row(i: u64) -> EventRow<'static> {
        EventRow {
            handle: 1000 + i,
            time: Micros(1_773_475_200_000_000 + i64::try_from(i).unwrap_or(i64::MAX) * 1_000_000),
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

    /// The shared state a view reads, owned, for tests.
    pub struct Shared {
        pub findings: Vec<Finding>,
        pub finding_of: HashMap<String, Vec<usize>>,
        pub case: Case,
        pub filter: FilterState,
        pub tz: TimeZone,
        pub size: (u16, u16),
    }

    impl Default for Shared {
        fn default() -> Self {
            Shared {
                findings: vec![
                    finding("KS-A", &["id-1", "id-2"]),
                    finding("KS-B", &["id-3"]),
                ],
                finding_of: HashMap::new(),
                case: Case::default(),
                filter: FilterState::default(),
                tz: TimeZone::UTC,
                size: (120, 40),
            }
        }
    }

    impl Shared {
        /// The shared state of a screen `width` × `height`.
        pub fn sized(width: u16, height: u16) -> Shared {
            Shared {
                size: (width, height),
                ..Shared::default()
            }
        }

        pub fn ctx(&self) -> Ctx<'_> {
            Ctx {
                findings: &self.findings,
                finding_of: &self.finding_of,
                case: &self.case,
                case_error: None,
                filter: &self.filter,
                search: None,
                tz: &self.tz,
                tz_name: "UTC",
                dated: false,
                size: self.size,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_view_has_a_keymap_context_and_a_lit_tab() {
        for v in View::ALL {
            assert!(
                super::super::keymap::CONTEXTS.contains(&v.context()),
                "{v:?}"
            );
            assert!(v.lit_tab().tab().is_some(), "{v:?}");
        }
    }

    #[test]
    fn the_cursor_stays_in_sight() {
        assert_eq!(scroll_to(3, 5, 10), 3);
        assert_eq!(scroll_to(7, 5, 10), 5);
        assert_eq!(scroll_to(20, 5, 10), 11);
    }
}

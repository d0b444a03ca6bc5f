//! The help popup (`?`): the keys grouped by context — the current view's first, then the
//! keys of every view by topic, the other views' keys — and the query language's fields
//! (generated from the field registry, `model::fields::FIELDS`) and operators. It scrolls
//! (`j`/`k`, `PgUp`/`PgDn`, `g`/`G`) and narrows to the lines holding a text (`/`).
//!
//! The lines are plain data ([`lines`]), built from the keymap's bindings once the keymap
//! is known ([`HelpKeys`]), so the app's reducer can clamp the scroll without the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::View;
use crate::model::fields;
use crate::tui::action::Action;
use crate::tui::keymap::{CONTEXTS, Keymap};
use crate::tui::theme::{self, clean};

/// The scroll and the text the help is narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelpView {
    pub scroll: usize,
    pub query: String,
}

/// The keys of each context of a keymap: (context, [(action, keys)]).
#[derive(Debug, Clone, Default)]
pub struct HelpKeys {
    contexts: Vec<(&'static str, Vec<(Action, String)>)>,
}

impl HelpKeys {
    pub fn of(keymap: &Keymap) -> HelpKeys {
        HelpKeys {
            contexts: CONTEXTS
                .iter()
                .map(|&c| (c, keymap.bindings_of(c)))
                .collect(),
        }
    }

    fn of_context(&self, context: &str) -> &[(Action, String)] {
        self.contexts
            .iter()
            .find(|(c, _)| *c == context)
            .map_or(&[], |(_, rows)| rows.as_slice())
    }

    /// A view's own rows, then what the everywhere keys do in it (`enter` opens an
    /// incident's story there), with the keys they are bound to.
    fn rows_of(&self, context: &str) -> Vec<HelpLine> {
        let in_view = |action: &Action| {
            IN_VIEW
                .iter()
                .find(|(c, a, _)| *c == context && a == action)
                .map(|(_, _, what)| *what)
        };
        let own = self.of_context(context);
        let mut out: Vec<HelpLine> = own
            .iter()
            .map(|(a, k)| {
                let what = in_view(a).unwrap_or_else(|| a.describe());
                HelpLine::Row(k.clone(), what.to_owned())
            })
            .collect();
        for (c, action, what) in IN_VIEW {
            if *c != context || own.iter().any(|(a, _)| a == action) {
                continue;
            }
            let keys: Vec<&str> = self
                .of_context("global")
                .iter()
                .filter(|(a, _)| a == action)
                .map(|(_, k)| k.as_str())
                .collect();
            if !keys.is_empty() {
                out.push(HelpLine::Row(keys.join(" "), (*what).to_owned()));
            }
        }
        out
    }
}

/// What keys do in one view, where that is not what their name says.
const IN_VIEW: &[(&str, Action, &str)] = &[
    (
        "incidents",
        Action::Open,
        "open the incident's story; in a story, the step's events",
    ),
    ("incidents", Action::Left, "from a story, back to the list"),
    (
        "incidents",
        Action::Right,
        "on the list, open the incident's story",
    ),
    ("incidents", Action::Copy, "copy the incident's id (OSC 52)"),
    (
        "sessions",
        Action::Copy,
        "copy the command under the cursor (OSC 52)",
    ),
    (
        "incidents",
        Action::Back,
        "close the story; on the list, quit",
    ),
];

/// One line of the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Heading(String),
    /// (what to type, what it does)
    Row(String, String),
    Blank,
}

impl HelpLine {
    fn text(&self) -> String {
        match self {
            HelpLine::Heading(h) => h.clone(),
            HelpLine::Row(k, d) => format!("{k} {d}"),
            HelpLine::Blank => String::new(),
        }
    }
}

/// The topics of the keys that work everywhere.
fn topic(a: &Action) -> usize {
    match a {
        Action::Up
        | Action::Down
        | Action::Left
        | Action::Right
        | Action::Top
        | Action::Bottom
        | Action::HalfPageDown
        | Action::HalfPageUp
        | Action::PageDown
        | Action::PageUp
        | Action::NextPane
        | Action::PrevPane
        | Action::Open
        | Action::Back
        | Action::Cancel => 0,
        Action::ViewDetections
        | Action::ViewEvents
        | Action::ViewPivots
        | Action::ViewTimeline
        | Action::ViewCase
        | Action::ViewIncidents
        | Action::ViewCoverage
        | Action::Sessions => 1,
        Action::Filter
        | Action::Search
        | Action::SearchNext
        | Action::SearchPrev
        | Action::Command
        | Action::PivotBack
        | Action::PivotForward
        | Action::ClearFilters => 2,
        Action::ToggleMark
        | Action::Tag
        | Action::Note
        | Action::NextMark
        | Action::PrevMark
        | Action::Export => 3,
        _ => 4,
    }
}

const TOPICS: [&str; 5] = [
    "moving (everywhere)",
    "views (everywhere)",
    "filters, search, pivots (everywhere)",
    "the case (everywhere)",
    "other (everywhere)",
];

/// The query language's operators: (syntax, meaning).
const OPERATORS: &[(&str, &str)] = &[
    (
        "field:value",
        "the field has the value (`*` and `?` are wildcards)",
    ),
    ("a b   a AND b", "both (juxtaposition is AND)"),
    ("a OR b   a || b", "either"),
    ("NOT a   !a   -a", "not"),
    ("( … )", "grouping"),
    (
        "\"a phrase\"",
        "words of the event text; quotes a value with spaces",
    ),
    ("code:>=400", "comparisons > >= < <= (code and time)"),
    ("[A TO B]  {A TO B}", "ranges, inclusive / exclusive"),
    ("ip:10.0.0.0/8", "an address or a CIDR block (ip, peer)"),
    ("time:>2h", "a duration back from the newest event"),
];

/// Every line of the help for `view`, narrowed to those holding `query` (any case; a
/// heading stays when a line under it does).
pub fn lines(keys: &HelpKeys, view: View, query: &str) -> Vec<HelpLine> {
    let mut sections: Vec<(String, Vec<HelpLine>)> = Vec::new();
    let row = |(a, k): &(Action, String)| HelpLine::Row(k.clone(), a.describe().to_owned());
    let current = view.context();
    sections.push((format!("in {current} (this view)"), keys.rows_of(current)));
    for (i, title) in TOPICS.iter().enumerate() {
        let mut of_topic: Vec<&(Action, String)> = keys
            .of_context("global")
            .iter()
            .filter(|(a, _)| topic(a) == i)
            .collect();
        if i == 1 {
            // The views in the order of their number keys (0 1 2 …), not of their names.
            of_topic.sort_by(|a, b| a.1.cmp(&b.1));
        }
        sections.push(((*title).to_owned(), of_topic.into_iter().map(row).collect()));
    }
    sections.push(("commands (: opens the prompt)".to_owned(), commands()));
    for &c in CONTEXTS.iter().filter(|&&c| c != "global" && c != current) {
        sections.push((format!("in {c}"), keys.rows_of(c)));
    }
    sections.push(("in the help".to_owned(), help_keys()));
    let fields_rows = fields::query_fields()
        .map(|f| {
            let names = std::iter::once(f.name)
                .chain(f.aliases.iter().copied())
                .collect::<Vec<_>>()
                .join(" ");
            HelpLine::Row(names, f.help.replace('`', ""))
        })
        .collect();
    sections.push((
        "query language: fields (f filters, / searches)".to_owned(),
        fields_rows,
    ));
    let ops = OPERATORS
        .iter()
        .map(|(s, m)| HelpLine::Row((*s).to_owned(), (*m).to_owned()))
        .collect();
    sections.push(("query language: operators".to_owned(), ops));
    narrow(sections, query)
}

/// The `:` commands (see `app::input`), with the field commands (`:ns shop`, …).
fn commands() -> Vec<HelpLine> {
    let mut rows: Vec<(String, String)> = [
        (":q  :quit", "quit"),
        (":clear", "clear every filter"),
        (":unfilter N", "remove filter N (1 is the first)"),
        (
            ":save NAME",
            "keep the current filter as a named query in the case",
        ),
        (":load NAME", "bring a saved filter back"),
        (":title TEXT", "name the case"),
        (":analyst NAME", "the case's analyst"),
        (":export", "the export dialog (as X)"),
        (
            ":since T  :until T",
            "a time window (an RFC 3339 time or a duration back: 2h)",
        ),
        (":tz ZONE", "the time zone: utc, local or an IANA name"),
        (
            ":sessions [ACCOUNT]",
            "the sessions of the selection or of ACCOUNT",
        ),
        (":coverage", "the blind spots of the data"),
        (":help", "this help"),
    ]
    .iter()
    .map(|(k, d)| ((*k).to_owned(), (*d).to_owned()))
    .collect();
    let field_commands: Vec<String> = fields::query_fields()
        .flat_map(|f| f.commands.iter().map(|c| format!(":{c}")))
        .collect();
    if !field_commands.is_empty() {
        rows.push((
            ":FIELD VALUE".to_owned(),
            format!(
                "filter on the field (FIELD:VALUE): {}",
                field_commands.join(" ")
            ),
        ));
    }
    rows.into_iter().map(|(k, d)| HelpLine::Row(k, d)).collect()
}

fn help_keys() -> Vec<HelpLine> {
    [
        ("j k ↑ ↓", "scroll a line"),
        ("pgup pgdn ctrl-u ctrl-d", "scroll a page / half a page"),
        ("g G", "top / bottom"),
        ("/", "show only the lines holding a text (esc: all again)"),
        ("? esc q", "close"),
    ]
    .iter()
    .map(|(k, d)| HelpLine::Row((*k).to_owned(), (*d).to_owned()))
    .collect()
}

fn narrow(sections: Vec<(String, Vec<HelpLine>)>, query: &str) -> Vec<HelpLine> {
    let needle = query.to_lowercase();
    let mut out = Vec::new();
    for (title, rows) in sections {
        let heading = HelpLine::Heading(title);
        let keep: Vec<HelpLine> = if heading.text().to_lowercase().contains(&needle) {
            rows
        } else {
            rows.into_iter()
                .filter(|r| r.text().to_lowercase().contains(&needle))
                .collect()
        };
        if keep.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(HelpLine::Blank);
        }
        out.push(heading);
        out.extend(keep);
    }
    out
}

/// The cells of the keys' column.
const KEYS: usize = 22;

/// [`lines`] as shown on a screen of `size`: long descriptions wrapped under themselves.
pub fn display_lines(keys: &HelpKeys, view: View, query: &str, size: (u16, u16)) -> Vec<HelpLine> {
    let width = usize::from(area(size).width.saturating_sub(2))
        .saturating_sub(KEYS + 3)
        .max(20);
    let mut out = Vec::new();
    for line in lines(keys, view, query) {
        let HelpLine::Row(k, d) = line else {
            out.push(line);
            continue;
        };
        let mut key = k;
        for part in wrap(&d, width) {
            out.push(HelpLine::Row(std::mem::take(&mut key), part));
        }
    }
    out
}

/// Words of `text` in lines of at most `width` characters (a longer word cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    lines
}

/// Where the help shows on a screen of `size`: every row but the header and the status line
/// (which shows the `/` prompt).
pub fn area(size: (u16, u16)) -> Rect {
    let width = size.0.min(100);
    Rect {
        x: (size.0 - width) / 2,
        y: 1,
        width,
        height: size.1.saturating_sub(2),
    }
}

/// The lines the help shows at once.
pub fn page(size: (u16, u16)) -> usize {
    usize::from(area(size).height.saturating_sub(2)).max(1)
}

impl HelpView {
    /// Moves (a help key); `false` when the key is not one of the help's.
    pub fn on_action(&mut self, action: &Action, total: usize, page: usize) -> bool {
        let last = total.saturating_sub(page);
        self.scroll = match action {
            Action::Down => self.scroll + 1,
            Action::Up => self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll + page,
            Action::PageUp => self.scroll.saturating_sub(page),
            Action::HalfPageDown => self.scroll + page / 2,
            Action::HalfPageUp => self.scroll.saturating_sub(page / 2),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return false,
        }
        .min(last);
        true
    }
}

/// Draws the help: `query` is the text being typed, when the `/` prompt is open.
pub fn render(
    view: &HelpView,
    keys: &HelpKeys,
    current: View,
    typing: Option<&str>,
    frame: &mut Frame,
) {
    let query = typing.unwrap_or(&view.query);
    let size = (frame.area().width, frame.area().height);
    let all = display_lines(keys, current, query, size);
    let area = area(size).intersection(frame.area());
    let page = page(size);
    let scroll = view.scroll.min(all.len().saturating_sub(page));
    let shown: Vec<Line<'_>> = all
        .iter()
        .skip(scroll)
        .take(page)
        .map(|l| match l {
            HelpLine::Heading(h) => Line::from(Span::styled(h.clone(), theme::title())),
            HelpLine::Row(k, d) => Line::from(vec![
                Span::styled(
                    format!(
                        "  {:<KEYS$} ",
                        super::columns::truncate(k, u16::try_from(KEYS).unwrap_or(20))
                    ),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(d.clone()),
            ]),
            HelpLine::Blank => Line::from(""),
        })
        .collect();
    let filter = if query.is_empty() {
        String::new()
    } else {
        format!(" · “{}”", clean(query))
    };
    let title = format!(
        " help — lines {}-{} of {}{filter} · j/k pgup/pgdn scroll · / find · ? esc close ",
        (scroll + 1).min(all.len()),
        (scroll + page).min(all.len()),
        all.len()
    );
    let title = super::columns::truncate(&title, area.width.saturating_sub(2));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(shown)
            .block(Block::bordered().title(Line::from(title).style(theme::title()))),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> HelpKeys {
        HelpKeys::of(&Keymap::builtin())
    }

    #[test]
    fn help_names_every_query_field_and_the_operators() {
        let all: Vec<String> = lines(&keys(), View::Events, "")
            .iter()
            .map(HelpLine::text)
            .collect();
        for f in fields::query_fields() {
            assert!(all.iter().any(|l| l.starts_with(f.name)), "{}", f.name);
        }
        assert!(all.iter().any(|l| l.contains("[A TO B]")));
        assert!(all[0].starts_with("in events (this view)"), "{all:?}");
    }

    #[test]
    fn regression_help_listed_the_views_by_name_and_no_colon_command() {
        let all = lines(&keys(), View::Events, "");
        let text: Vec<String> = all.iter().map(HelpLine::text).collect();
        let view_keys: Vec<&str> = all
            .iter()
            .filter_map(|l| match l {
                HelpLine::Row(k, _) if k.len() == 1 && k.chars().all(|c| c.is_ascii_digit()) => {
                    Some(k.as_str())
                }
                _ => None,
            })
            .collect();
        let mut sorted = view_keys.clone();
        sorted.sort_unstable();
        assert_eq!(view_keys, sorted, "views in the order of their keys");
        for c in [
            ":save NAME",
            ":load NAME",
            ":title TEXT",
            ":analyst NAME",
            ":export",
        ] {
            assert!(text.iter().any(|t| t.contains(c)), "{c} missing");
        }
    }

    #[test]
    fn regression_the_help_of_the_incidents_view_named_only_c() {
        let all = lines(&keys(), View::Incidents, "story");
        let text: Vec<String> = all.iter().map(HelpLine::text).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("enter") && t.contains("open the incident's story")),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.contains("close the story")),
            "{text:#?}"
        );
        // `c` was said to copy "the value under the column cursor" (it copies the id), and
        // `l` was not named.
        let copy: Vec<String> = lines(&keys(), View::Incidents, "copy")
            .iter()
            .map(HelpLine::text)
            .collect();
        assert!(
            copy.iter().any(|t| t.contains("copy the incident's id")),
            "{copy:#?}"
        );
        assert!(
            text.iter().any(|t| t.contains("on the list, open")),
            "{text:#?}"
        );
        // In the sessions view `c` copies the command, not a column's value.
        let copy: Vec<String> = lines(&keys(), View::Sessions, "copy")
            .iter()
            .map(HelpLine::text)
            .collect();
        assert!(
            copy.iter()
                .any(|t| t.contains("copy the command under the cursor")),
            "{copy:#?}"
        );
    }

    #[test]
    fn help_narrows_to_the_lines_holding_a_text() {
        let some = lines(&keys(), View::Events, "CIDR");
        assert!(some.len() < 10, "{some:?}");
        assert!(some.iter().any(|l| l.text().starts_with("ip ")));
        assert!(
            matches!(&some[0], HelpLine::Heading(h) if h.starts_with("query language")),
            "{some:?}"
        );
        assert!(lines(&keys(), View::Events, "no such words").is_empty());
    }

    #[test]
    fn long_descriptions_wrap_under_themselves() {
        let shown = display_lines(&keys(), View::Events, "actor_kind", (80, 24));
        let rows: Vec<&HelpLine> = shown
            .iter()
            .filter(|l| matches!(l, HelpLine::Row(..)))
            .collect();
        assert!(rows.len() > 1, "{shown:?}");
        assert!(matches!(rows[1], HelpLine::Row(k, _) if k.is_empty()));
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
    }

    #[test]
    fn help_scrolls_within_its_lines() {
        let mut h = HelpView::default();
        assert!(h.on_action(&Action::PageDown, 100, 20));
        assert_eq!(h.scroll, 20);
        assert!(h.on_action(&Action::Bottom, 100, 20));
        assert_eq!(h.scroll, 80);
        h.on_action(&Action::Down, 100, 20);
        assert_eq!(h.scroll, 80, "stops at the last page");
        h.on_action(&Action::Up, 100, 20);
        assert_eq!(h.scroll, 79);
        assert!(!h.on_action(&Action::Open, 100, 20));
    }
}

//! Drawing the screen from a borrowed `App`, never mutating it: the header, the filters'
//! breadcrumb, the status line with key hints, and the popups (pivot menu, help, note
//! editor, export dialog); the view in the middle draws itself ([`super::components::Component::render`]). Log
//! strings pass through [`clean`] before they are drawn.

mod dialogs;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::action::Action;
use super::app::{App, InputMode};
use super::components::{View, columns, help};
use super::keymap::Keymap;
use super::layout;
use super::lineedit::LineEditor;
use super::theme::{self, clean};

/// Draws the whole screen.
pub fn render(app: &App, keymap: &Keymap, frame: &mut Frame) {
    let r = layout::regions(frame.area());
    header(app, frame, r.header);
    filters(app, frame, r.filters);
    app.component(app.view).render(&app.ctx(), frame, r.main);
    status(app, keymap, frame, r.status);
    if app.menu.is_some() {
        menu(app, frame);
    }
    dialogs::note_editor(app, frame);
    dialogs::export_dialog(app, frame);
    if app.help {
        let typing = app
            .input
            .as_ref()
            .filter(|i| i.mode == InputMode::FindHelp)
            .map(super::app::Input::text);
        help::render(&app.help_view, &app.help_keys, app.view, typing, frame);
    }
}

fn header(app: &App, frame: &mut Frame, area: Rect) {
    let mut marks = header_marks(app, false);
    let width = |spans: &[Span<'_>]| spans.iter().map(Span::width).sum::<usize>();
    let mut spans = tabs(app, Tabs::Named);
    // On a narrow terminal the tabs shorten (`0 Inc`, then `0`) and the name goes, so the
    // marks and the counts stay in sight.
    // A zone other than UTC stays in sight: times read in the wrong zone mislead.
    let counts = if app.tz_name == "UTC" {
        format!("   {} ev · {} fnd", app.facts.events, app.findings.len())
    } else {
        format!(
            "   {} ev · {} fnd · {}",
            app.facts.events,
            app.findings.len(),
            app.tz_name
        )
    };
    let wanted = width(&marks) + counts.chars().count();
    for shorter in [Tabs::Short, Tabs::Keys] {
        if width(&spans) + wanted > usize::from(area.width) {
            spans = tabs(app, shorter);
        }
    }
    // Still no room for the counts: the marks shorten (`⚠7`), the counts stay in sight.
    let short_counts = format!("   {} ev · {} fnd", app.facts.events, app.findings.len());
    if width(&spans) + width(&marks) + short_counts.chars().count() > usize::from(area.width) {
        marks = header_marks(app, true);
    }
    spans.extend(marks);
    let room = usize::from(area.width).saturating_sub(width(&spans));
    spans.push(Span::styled(header_counts(app, room), theme::dim()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The header's counts and time span, in the longest form that fits `room` columns: the
/// span to the millisecond, else to the second with its date once, else its clock times
/// only, else without it.
fn header_counts(app: &App, room: usize) -> String {
    let counts = format!(
        "   {} events · {} findings",
        app.facts.events,
        app.findings.len()
    );
    let Some((a, b)) = app.facts.span else {
        return fit([], app, &counts, room);
    };
    let (a, b) = (a.display_in(&app.tz), b.display_in(&app.tz));
    let seconds = |t: &str| t.chars().take(19).collect::<String>();
    let short_b = match (a.get(..10), b.get(..10)) {
        (Some(da), Some(db)) if da == db => b.get(11..19).unwrap_or(&b).to_owned(),
        _ => seconds(&b),
    };
    let forms = [
        format!("{counts} · {a} .. {b} · {}", app.tz_name),
        format!("{counts} · {} .. {short_b} · {}", seconds(&a), app.tz_name),
        format!(
            "{counts} · {} .. {} {}",
            a.get(11..19).unwrap_or(&a),
            b.get(11..19).unwrap_or(&b),
            app.tz_name
        ),
    ];
    fit(forms, app, &counts, room)
}

/// The first form that fits `room`, else the counts alone, else nothing: a number is never
/// cut (a cut `29738` reads as `2973`).
fn fit(forms: impl IntoIterator<Item = String>, app: &App, counts: &str, room: usize) -> String {
    let short = format!("   {} ev · {} fnd", app.facts.events, app.findings.len());
    let last = [
        format!("{counts} · {}", app.tz_name),
        format!("{short} · {}", app.tz_name),
        counts.to_owned(),
        short,
    ];
    forms
        .into_iter()
        .chain(last)
        .find(|f| f.chars().count() <= room)
        .unwrap_or_default()
}

/// How much of the tabs the header has room for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tabs {
    /// The name and `0 Incidents`.
    Named,
    /// `0 Inc`, without the name.
    Short,
    /// `0`: the keys only.
    Keys,
}

/// The name and the views' tabs, the current one lit, as long as `form` says.
fn tabs(app: &App, form: Tabs) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if form == Tabs::Named {
        spans.push(Span::styled(" kubesift ", theme::title()));
    }
    for &view in View::ALL {
        let Some(label) = view.tab() else { continue };
        let current = app.view.lit_tab() == view;
        let style = if current {
            theme::tab_active()
        } else {
            theme::tab()
        };
        let label = match form {
            Tabs::Named => label.to_owned(),
            Tabs::Short => label.chars().take(5).collect::<String>(),
            Tabs::Keys => label.chars().take(1).collect::<String>(),
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {label} "), style));
    }
    spans
}

/// The header's marks: the blind spots of the data set, the case's bookmarks.
fn header_marks(app: &App, compact: bool) -> Vec<Span<'static>> {
    let mut marks = Vec::new();
    let blind = app.coverage_view.blind_spots();
    if blind > 0 {
        let text = if compact {
            format!(" ⚠{blind}")
        } else {
            format!(" ⚠ blind spots: {blind}")
        };
        marks.push(Span::styled(text, theme::marker()));
    }
    if !app.case.events.is_empty() {
        marks.push(Span::styled(
            format!(" ★{}", app.case.events.len()),
            theme::marker(),
        ));
    }
    marks
}

fn filters(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::styled(" filters: ", theme::dim())];
    if app.filter.is_empty() {
        spans.push(Span::styled("none (every event)", theme::dim()));
    }
    // What follows the chips, kept whole: the search and the place in the pivot history.
    let mut tail = Vec::new();
    if let Some((s, _)) = &app.search {
        tail.push(Span::styled("   search: ", theme::dim()));
        tail.push(Span::styled(format!("/{}/", clean(s)), theme::search()));
    }
    if app.history.len() > 1 {
        tail.push(Span::styled(
            format!("   pivot {}/{}", app.history_pos + 1, app.history.len()),
            theme::dim(),
        ));
    }
    // Numbered for `:unfilter N`.
    let typed = Some(app.filter.query.as_str()).filter(|q| !q.trim().is_empty());
    let labels: Vec<String> = app
        .filter
        .chips
        .iter()
        .map(|c| c.label.as_str())
        .chain(typed)
        .map(|l| clean(l).into_owned())
        .collect();
    let width = |spans: &[Span<'_>]| spans.iter().map(Span::width).sum::<usize>();
    let room = usize::from(area.width).saturating_sub(width(&spans) + width(&tail));
    spans.extend(chips(app, &labels, room));
    spans.extend(tail);
    // A search longer than the line ends in `…` (it was cut at the edge without a sign).
    let line = columns::cut_line(Line::from(spans), usize::from(area.width));
    frame.render_widget(Paragraph::new(line), area);
}

/// The filter chips in `room` columns: whole when they fit, else each value cut (marked
/// `…`), else the first ones and how many more there are — never cut silently.
fn chips(app: &App, labels: &[String], room: usize) -> Vec<Span<'static>> {
    let render = |shown: usize, longest: usize| -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        for (i, label) in labels.iter().take(shown).enumerate() {
            let style = if app.chip_cursor == Some(i) {
                theme::chip_selected()
            } else {
                theme::chip()
            };
            let label = if label.chars().count() > longest {
                let cut: String = label.chars().take(longest.saturating_sub(1)).collect();
                format!("{cut}…")
            } else {
                label.clone()
            };
            spans.push(Span::styled(format!("{} ", i + 1), theme::dim()));
            spans.push(Span::styled(format!(" {label} "), style));
            spans.push(Span::raw(" "));
        }
        if shown < labels.len() {
            spans.push(Span::styled(
                format!("+{} more", labels.len() - shown),
                theme::marker(),
            ));
        }
        spans
    };
    let width = |spans: &[Span<'_>]| spans.iter().map(Span::width).sum::<usize>();
    // As many chips as fit, each as long as fits.
    for shown in (1..=labels.len()).rev() {
        for longest in [usize::MAX, 32, 20, 12] {
            let spans = render(shown, longest);
            if width(&spans) <= room {
                return spans;
            }
        }
    }
    render(0, 12)
}

fn status(app: &App, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    if let Some(input) = &app.input {
        let mut spans = vec![Span::styled(
            format!("{}> ", input.mode.prompt()),
            theme::title(),
        )];
        if input.mode == InputMode::Note {
            // The note editor above shows the lines; here only how to use it.
            spans.push(Span::styled(
                "enter saves · ctrl-j new line · esc cancels",
                theme::dim(),
            ));
        } else {
            // A query longer than the line shows the part around the cursor (the cursor and
            // the end of a long query were off screen), leaving room for half an error.
            let error = input
                .error
                .as_ref()
                .map_or(0, |_| usize::from(area.width) / 2);
            let prompt = input.mode.prompt().chars().count() + 2;
            let room = usize::from(area.width)
                .saturating_sub(prompt + error + 1)
                .max(8);
            spans.extend(edited_line(&dialogs::around_cursor(&input.line, room)));
        }
        let used: usize = spans.iter().map(Span::width).sum();
        let mut above = None;
        if let Some((col, msg)) = &input.error {
            let error = format!("✗ at column {}: {}", col + 1, clean(msg));
            // An error longer than what is left of the line is drawn whole above it (at 80
            // columns its end was cut off, with no way to read it).
            if used + 3 + columns::width_of(&error) > usize::from(area.width) {
                spans.push(Span::styled(
                    format!("   ✗ at column {} ↑", col + 1),
                    theme::error(),
                ));
                above = Some(error);
            } else {
                spans.push(Span::styled(format!("   {error}"), theme::error()));
            }
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        if let Some(error) = above {
            let line = Rect {
                y: area.y.saturating_sub(1),
                ..area
            };
            overflow(frame, line, &error, theme::error());
        }
        return;
    }
    let style = if app.status.starts_with("error") {
        theme::error()
    } else {
        theme::dim()
    };
    if app.status.is_empty() {
        let text = hints(app, keymap, usize::from(area.width));
        frame.render_widget(Paragraph::new(Line::from(Span::styled(text, style))), area);
    } else {
        // Statuses quote paths, audit IDs, case-file values and worker errors: one longer
        // than the line grows upwards, wrapped, rather than lose its end.
        overflow(frame, area, &clean(&app.status), style);
    }
}

/// Draws `text` wrapped, ending on the row of `line` and growing upwards over the view (at
/// most four rows): a message is never cut at the edge of a narrow screen.
fn overflow(frame: &mut Frame, line: Rect, text: &str, style: Style) {
    let width = usize::from(line.width).max(1);
    let needed = columns::width_of(text).div_ceil(width).max(1);
    // Words wrap before the edge: one row of slack once it wraps at all.
    let needed = if needed > 1 { needed + 1 } else { needed };
    let rows = u16::try_from(needed.min(4))
        .unwrap_or(4)
        .min(line.y.saturating_add(1));
    let area = Rect {
        y: line.y + 1 - rows,
        height: rows,
        ..line
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(text.to_owned())
            .style(style)
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// A line being edited, the cursor drawn on the character it stands on (a block at the end).
pub(crate) fn edited_line(line: &LineEditor) -> Vec<Span<'static>> {
    let (before, after) = line.split();
    let mut rest = after.chars();
    let under = rest.next();
    vec![
        Span::raw(clean(before).into_owned()),
        match under {
            Some(c) => Span::styled(clean(&c.to_string()).into_owned(), theme::cursor()),
            None => Span::styled("█", theme::dim()),
        },
        Span::raw(clean(rest.as_str()).into_owned()),
    ]
}

/// Key hints for the status line, generated from the keymap.
fn hints(app: &App, keymap: &Keymap, room: usize) -> String {
    let ctx = app.view.context();
    let mut actions = vec![(Action::Help, "help")];
    // The way to the blind spots, while there are some and they are not on screen.
    if app.coverage_view.blind_spots() > 0 && app.view != View::Coverage {
        actions.push((Action::ViewCoverage, "coverage"));
    }
    // On the home view `back` quits: hinted as "back" there, it misled.
    if !app.back_quits() {
        actions.push((Action::Back, "back"));
    }
    actions.extend([(Action::Quit, "quit"), (Action::Open, "open")]);
    if app.view != View::Sessions {
        actions.push((Action::Sessions, "sessions"));
    }
    actions.extend([
        (Action::Filter, "filter"),
        (Action::Search, "search"),
        (Action::Command, "command"),
    ]);
    actions.extend(app.component(app.view).shortcuts().iter().cloned());
    actions.extend([
        (Action::PivotBack, "pivot back"),
        (Action::PivotForward, "forward"),
    ]);
    // Whole hints only, as many as fit (a cut one read as a stray letter).
    let mut line = String::new();
    for hint in actions
        .iter()
        .filter_map(|(a, label)| keymap.key_for(ctx, a).map(|k| format!("{k} {label}")))
    {
        let sep = if line.is_empty() { "" } else { "  " };
        if line.chars().count() + sep.len() + hint.chars().count() > room {
            break;
        }
        line.push_str(sep);
        line.push_str(&hint);
    }
    line
}

/// The height of a bordered box around `lines` lines (saturating: a popup is clamped to the
/// screen anyway).
fn boxed_height(lines: usize) -> u16 {
    u16::try_from(lines).unwrap_or(u16::MAX).saturating_add(2)
}

fn popup(frame: &mut Frame, width: u16, height: u16) -> Rect {
    let area = frame.area().centered(
        Constraint::Length(width.min(frame.area().width)),
        Constraint::Length(height.min(frame.area().height)),
    );
    frame.render_widget(Clear, area);
    area
}

fn menu(app: &App, frame: &mut Frame) {
    let Some(m) = &app.menu else { return };
    let width = m
        .items
        .iter()
        .map(|(l, _, _)| l.chars().count())
        .max()
        .unwrap_or(20)
        .clamp(30, 100);
    let width = u16::try_from(width).unwrap_or(100) + 4;
    let area = popup(frame, width, boxed_height(m.items.len()));
    let items: Vec<ListItem<'_>> = m
        .items
        .iter()
        .map(|(l, _, _)| ListItem::new(clean(l).into_owned()))
        .collect();
    let list = List::new(items)
        .block(Block::bordered().title(Line::from(" pivot on ").style(theme::title())))
        .highlight_style(theme::selected());
    let mut state = ListState::default().with_selected(Some(m.selected));
    frame.render_stateful_widget(list, area, &mut state);
}

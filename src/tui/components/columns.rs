//! The one column layout of the workbench's tables: each table lists its columns with a
//! minimum and a wanted width, a rank for dropping and whether it grows; [`fit`] decides
//! which columns a terminal's width shows and how wide each is. Narrow terminals drop the
//! low-value columns first and never squeeze a column below its minimum (the severity, the
//! whole rule id, a readable time); wide ones give what is left to the columns that grow
//! (the account, the summary). The cell helpers here shorten a value to its width the same
//! way in every table: a time keeps `HH:MM:SS`, an account its readable short form
//! (`sa:shop/web`), any other value ends in `…`.

use ratatui::text::{Line, Span};

use crate::model::Micros;

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    pub title: &'static str,
    /// Never narrower: a column that cannot have it is dropped.
    pub min: u16,
    /// The width its values want.
    pub want: u16,
    /// The column's value: low ranks reach their wanted width first, high ranks are
    /// dropped first.
    pub rank: u8,
    /// Never dropped.
    pub keep: bool,
    /// Takes a share of the width left once every column has what it wants.
    pub grow: bool,
}

impl Col {
    pub const fn new(title: &'static str, min: u16, want: u16, rank: u8) -> Col {
        Col {
            title,
            min,
            want,
            rank,
            keep: false,
            grow: false,
        }
    }

    /// The column is never dropped.
    #[must_use]
    pub const fn keep(mut self) -> Col {
        self.keep = true;
        self
    }

    /// The same column with another minimum (and at least that wanted width).
    #[must_use]
    pub const fn at_least(mut self, min: u16) -> Col {
        self.min = min;
        if self.want < min {
            self.want = min;
        }
        self
    }

    /// The column takes a share of the width to spare.
    #[must_use]
    pub const fn grow(mut self) -> Col {
        self.grow = true;
        self
    }
}

/// The cells between two columns.
pub const SPACING: u16 = 1;

/// The width of each column in `width` cells (0: not shown).
pub fn fit(cols: &[Col], width: u16) -> Vec<u16> {
    let mut shown: Vec<bool> = vec![true; cols.len()];
    while needed(cols, &shown) > width {
        let victim = (0..cols.len())
            .filter(|&i| shown[i] && !cols[i].keep)
            .max_by_key(|&i| (cols[i].rank, i));
        match victim {
            Some(i) => shown[i] = false,
            None => break,
        }
    }
    let mut widths: Vec<u16> = cols
        .iter()
        .zip(&shown)
        .map(|(c, &s)| if s { c.min } else { 0 })
        .collect();
    let mut rest = width.saturating_sub(needed(cols, &shown));
    // The most valuable columns reach their wanted width first.
    let mut by_value: Vec<usize> = (0..cols.len()).filter(|&i| shown[i]).collect();
    by_value.sort_by_key(|&i| (cols[i].rank, i));
    for &i in &by_value {
        let more = cols[i].want.saturating_sub(widths[i]).min(rest);
        widths[i] += more;
        rest -= more;
    }
    let growing: Vec<usize> = by_value.into_iter().filter(|&i| cols[i].grow).collect();
    let n = u16::try_from(growing.len()).unwrap_or(u16::MAX);
    if let Some(share) = rest.checked_div(n) {
        let mut extra = rest % n;
        for &i in &growing {
            let one = u16::from(extra > 0);
            extra = extra.saturating_sub(1);
            widths[i] = widths[i].saturating_add(share + one);
        }
    }
    widths
}

/// The cells the shown columns need at their minimum, with the spacing between them.
fn needed(cols: &[Col], shown: &[bool]) -> u16 {
    let (sum, n) = cols
        .iter()
        .zip(shown)
        .filter(|(_, s)| **s)
        .fold((0u16, 0u16), |(sum, n), (c, _)| {
            (sum.saturating_add(c.min), n + 1)
        });
    sum.saturating_add(n.saturating_sub(1).saturating_mul(SPACING))
}

/// The indexes of the shown columns, in order.
pub fn shown(widths: &[u16]) -> Vec<usize> {
    (0..widths.len()).filter(|&i| widths[i] > 0).collect()
}

/// Moves a column cursor `step` shown columns along (stopping at the ends); a cursor on a
/// hidden column first lands on the nearest shown one.
pub fn step(cursor: usize, step: i64, widths: &[u16]) -> usize {
    let shown = shown(widths);
    let Some(&last) = shown.last() else {
        return cursor;
    };
    let at = shown
        .iter()
        .position(|&i| i >= cursor)
        .unwrap_or(shown.len() - 1);
    let to = i64::try_from(at)
        .unwrap_or(0)
        .saturating_add(step)
        .clamp(0, i64::try_from(shown.len() - 1).unwrap_or(0));
    usize::try_from(to)
        .ok()
        .and_then(|i| shown.get(i).copied())
        .unwrap_or(last)
}

/// The column a cursor shows on: itself when shown, else the next shown one.
pub fn visible(cursor: usize, widths: &[u16]) -> usize {
    step(cursor, 0, widths)
}

/// The display width of a text.
pub fn width_of(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` in lines: the first at most `first` cells wide, the others at most `rest`; broken
/// after a space where one is in reach, else inside a word (a URI, a hash). Empty for an
/// empty text.
pub fn wrap(s: &str, first: usize, rest: usize) -> Vec<String> {
    let (first, rest) = (first.max(1), rest.max(1));
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    let room = |out: &Vec<String>| if out.is_empty() { first } else { rest };
    for ch in s.chars() {
        let w = width_of(ch.encode_utf8(&mut buf));
        // A character wider than a whole line takes a line of its own (no empty one first).
        if used + w > room(&out) && !line.is_empty() {
            if ch == ' ' {
                // A space at the edge ends the line (unseen there).
                line.push(ch);
                out.push(std::mem::take(&mut line));
                used = 0;
                continue;
            }
            // Break after the last space of the line when there is one past its start.
            let carry = match line.rfind(' ').filter(|&i| i > 0) {
                Some(i) => line.split_off(i + 1),
                None => String::new(),
            };
            out.push(std::mem::take(&mut line));
            used = width_of(&carry);
            line = carry;
        }
        line.push(ch);
        used += w;
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// `s` cut to `width` cells, ending in `…` when cut.
pub fn truncate(s: &str, width: u16) -> String {
    let width = usize::from(width);
    if width_of(s) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for ch in s.chars() {
        let w = width_of(ch.encode_utf8(&mut buf));
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `line` cut to `width` cells, ending in `…` (in the style of the text it cuts) when cut.
pub fn cut_line(line: Line<'static>, width: usize) -> Line<'static> {
    if width == 0 || line.width() <= width {
        return line;
    }
    let (style, alignment) = (line.style, line.alignment);
    let room = width - 1;
    let mut used = 0;
    let mut spans = Vec::new();
    let mut cut_style = style;
    for span in line.spans {
        cut_style = span.style;
        let w = span.width();
        if used + w <= room {
            used += w;
            spans.push(span);
            continue;
        }
        let mut text = String::new();
        let mut buf = [0u8; 4];
        for ch in span.content.chars() {
            let cw = width_of(ch.encode_utf8(&mut buf));
            if used + cw > room {
                break;
            }
            used += cw;
            text.push(ch);
        }
        spans.push(Span::styled(text, span.style));
        break;
    }
    spans.push(Span::styled("…", cut_style));
    Line {
        spans,
        style,
        alignment,
    }
}

/// A time in `width` cells: the whole `YYYY-MM-DD HH:MM:SS.mmm`, without milliseconds, the
/// clock with milliseconds, or the clock alone (`HH:MM:SS`).
pub fn time_cell(t: Micros, tz: &jiff::tz::TimeZone, width: u16) -> String {
    dated_time_cell(t, tz, width, false)
}

/// Like [`time_cell`]; when `dated` (the data spans days) a narrow cell keeps the date
/// before the fraction of a second: `03-14 11:41:02`, `14 11:41:02`, `14 11:41`.
pub fn dated_time_cell(t: Micros, tz: &jiff::tz::TimeZone, width: u16, dated: bool) -> String {
    let full = t.display_in(tz);
    let cut = |a: usize, b: usize| full.get(a..b).map(str::to_owned);
    let day = |rest: (usize, usize)| {
        Some(format!(
            "{} {}",
            full.get(8..10)?,
            full.get(rest.0..rest.1)?
        ))
    };
    let short = match (width, dated) {
        (23.., _) => Some(full.clone()),
        (19..=22, _) => cut(0, 19),
        (14..=18, true) => cut(5, 19),
        (11..=13, true) => day((11, 19)),
        (8..=10, true) => day((11, 16)),
        (12..=18, false) => cut(11, 23),
        _ => cut(11, 19),
    };
    short.unwrap_or_else(|| truncate(&full, width))
}

/// An account's short form: `sa:NS/NAME` for a service account, `node:NAME` for a node,
/// `sys:…` for another `system:` user; anything else as it is.
pub fn short_account(user: &str) -> String {
    if let Some(rest) = user.strip_prefix("system:serviceaccount:") {
        let (ns, name) = rest.split_once(':').unwrap_or((rest, ""));
        return format!("sa:{ns}/{name}");
    }
    if let Some(node) = user.strip_prefix("system:node:") {
        return format!("node:{node}");
    }
    if let Some(rest) = user.strip_prefix("system:") {
        return format!("sys:{rest}");
    }
    user.to_owned()
}

/// Below this width an account column shows every account in its short form, so that the
/// column reads the same way from row to row.
pub const SHORT_ACCOUNTS: u16 = 30;

/// An account in `width` cells: whole in a wide column when it fits, else its short form
/// (cut if need be).
pub fn account_cell(user: &str, width: u16) -> String {
    if width >= SHORT_ACCOUNTS && width_of(user) <= usize::from(width) {
        return user.to_owned();
    }
    truncate(&short_account(user), width)
}

/// A header cell: the title in `width` cells, lit when the column cursor is on it.
pub fn header_cell(title: &str, width: u16, cursor: bool) -> ratatui::widgets::Cell<'static> {
    let text = title_cell(title, width);
    if cursor {
        ratatui::widgets::Cell::from(Span::styled(text, crate::tui::theme::cell_cursor()))
    } else {
        ratatui::widgets::Cell::from(text)
    }
}

/// A column's title in `width` cells: the title, or its first word when it does not fit.
pub fn title_cell(title: &str, width: u16) -> String {
    if width_of(title) <= usize::from(width) {
        return title.to_owned();
    }
    let first = title.split([' ', '/']).next().unwrap_or(title);
    truncate(first, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of a three-day log showed clock times alone: two days' rows read alike.
    #[test]
    fn regression_times_of_data_spanning_days_lacked_their_date() {
        let tz = jiff::tz::TimeZone::UTC;
        let t = Micros::parse("2026-03-14T11:41:02.511687Z").unwrap();
        assert_eq!(dated_time_cell(t, &tz, 8, false), "11:41:02");
        assert_eq!(dated_time_cell(t, &tz, 8, true), "14 11:41");
        assert_eq!(dated_time_cell(t, &tz, 11, true), "14 11:41:02");
        assert_eq!(dated_time_cell(t, &tz, 14, true), "03-14 11:41:02");
        assert_eq!(dated_time_cell(t, &tz, 19, true), "2026-03-14 11:41:02");
        assert_eq!(dated_time_cell(t, &tz, 12, false), "11:41:02.511");
    }

    use crate::tui::components::events::COLUMNS as EVENTS;

    #[test]
    fn wrap_breaks_after_spaces_splits_long_words_and_loses_nothing() {
        let text = "used from 198.51.100.77 at 11:31 /api/v1/namespaces/shop/pods/web-7d9c/exec?command=sh";
        let lines = wrap(text, 20, 16);
        assert!(lines.len() > 3, "{lines:?}");
        assert!(width_of(lines[0].trim_end()) <= 20, "{lines:?}");
        assert!(
            lines[1..].iter().all(|l| width_of(l.trim_end()) <= 16),
            "{lines:?}"
        );
        assert_eq!(lines[0], "used from ");
        assert_eq!(lines.concat(), text, "every character kept, in order");
        assert!(wrap("", 5, 5).is_empty());
        assert_eq!(wrap("short", 10, 10), vec!["short"]);
    }

    #[test]
    fn regression_wrap_put_an_empty_line_before_a_character_wider_than_the_line() {
        assert_eq!(wrap("界界", 1, 1), vec!["界", "界"]);
    }

    fn total(widths: &[u16]) -> u16 {
        let n = u16::try_from(shown(widths).len()).unwrap();
        widths.iter().sum::<u16>() + n.saturating_sub(1) * SPACING
    }

    fn titles(widths: &[u16]) -> Vec<&'static str> {
        shown(widths).iter().map(|&i| EVENTS[i].title).collect()
    }

    #[test]
    fn at_80_columns_low_value_columns_go_first_and_none_shrinks_below_its_minimum() {
        let w = fit(&EVENTS, 78);
        assert_eq!(
            titles(&w),
            [
                " ",
                "TIME",
                "ACCOUNT",
                "VERB",
                "RESOURCE",
                "NAMESPACE/NAME",
                "SUMMARY"
            ],
            "{w:?}"
        );
        assert!(total(&w) <= 78, "{w:?}");
        for (c, &x) in EVENTS.iter().zip(&w) {
            assert!(x == 0 || x >= c.min, "{} at {x}", c.title);
        }
        assert!(w[2] >= 14, "the account has what is left: {w:?}");
    }

    #[test]
    fn at_120_columns_every_column_shows() {
        let w = fit(&EVENTS, 118);
        assert!(w.iter().all(|&x| x > 0), "{w:?}");
        assert!(total(&w) <= 118, "{w:?}");
        assert!(w[1] >= 8, "{w:?}");
    }

    #[test]
    fn at_200_columns_the_width_to_spare_goes_to_the_growing_columns() {
        let w = fit(&EVENTS, 198);
        assert_eq!(total(&w), 198, "{w:?}");
        assert_eq!(w[1], 23, "the time has what it wants, no more");
        assert!(
            w[2] > EVENTS[2].want && w[8] > EVENTS[8].want,
            "account and summary grow: {w:?}"
        );
        assert_eq!(w[3], EVENTS[3].want);
    }

    #[test]
    fn a_too_narrow_table_keeps_the_columns_never_dropped() {
        let w = fit(&EVENTS, 20);
        assert_eq!(titles(&w), [" ", "TIME", "ACCOUNT", "RESOURCE"], "{w:?}");
        let w = fit(&EVENTS, 60);
        assert!(
            w[8] > 0 && w[6] == 0 && w[7] == 0,
            "the summary outlives the IP: {w:?}"
        );
    }

    #[test]
    fn the_column_cursor_moves_over_shown_columns_only() {
        let w = [8, 0, 5, 0, 7];
        assert_eq!(step(0, 1, &w), 2);
        assert_eq!(step(2, 1, &w), 4);
        assert_eq!(step(4, 1, &w), 4, "stops at the last");
        assert_eq!(step(4, -5, &w), 0);
        assert_eq!(visible(1, &w), 2, "a hidden column shows on the next one");
    }

    #[test]
    fn cells_shorten_readably() {
        let tz = jiff::tz::TimeZone::UTC;
        let t = Micros::parse("2026-03-14T10:31:37.180Z").unwrap();
        assert_eq!(time_cell(t, &tz, 8), "10:31:37");
        assert_eq!(time_cell(t, &tz, 12), "10:31:37.180");
        assert_eq!(time_cell(t, &tz, 19), "2026-03-14 10:31:37");
        assert_eq!(time_cell(t, &tz, 30), "2026-03-14 10:31:37.180");
        assert_eq!(
            account_cell("system:serviceaccount:shop:web", 14),
            "sa:shop/web"
        );
        assert_eq!(account_cell("system:node:worker-1", 14), "node:worker-1");
        assert_eq!(account_cell("alice", 14), "alice");
        assert_eq!(
            account_cell("system:anonymous", 20),
            "sys:anonymous",
            "a narrow column shortens every account alike"
        );
        assert_eq!(
            account_cell("system:serviceaccount:shop:web", 40),
            "system:serviceaccount:shop:web"
        );
        assert_eq!(
            account_cell("system:kube-controller-manager", 12),
            "sys:kube-co…"
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(title_cell("TIME (UTC)", 8), "TIME");
    }
}

//! The timeline view: a histogram of the filter's events over time, drawn over the whole
//! traffic of the same span (dim) when a filter is set, with a time axis (`HH:MM` labels at
//! readable intervals), a y scale (linear, or logarithmic with `L`, so that a quiet attack
//! shows under a busy baseline) and the findings marked under their first bucket (`n` / `N`
//! jump between markers); a range can be marked and zoomed into, and Enter shows the events
//! of a bucket.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Component, Ctx, Intent};
use crate::detect::{Finding, Severity};
use crate::model::Micros;
use crate::query::Expr;
use crate::tui::action::Action;
use crate::tui::protocol::Request;
use crate::tui::theme;

/// The y scale's cells left of the chart.
const GUTTER: u16 = 7;

#[derive(Debug, Clone, Default)]
pub struct TimelineState {
    pub counts: Vec<u64>,
    /// Every event of the same span, when a filter is set (the overlay's background).
    pub traffic: Option<Vec<u64>>,
    pub start: Micros,
    pub end: Micros,
    pub cursor: usize,
    pub mark: Option<usize>,
    pub loaded_for: Option<(Expr, usize)>,
    /// The y scale is logarithmic.
    pub log: bool,
    /// The whole traffic is asked for once the filter's counts arrive.
    overlay: bool,
    /// The next counts are the whole traffic's.
    awaiting_traffic: bool,
}

impl TimelineState {
    pub fn bucket_span(&self, i: usize) -> (Micros, Micros) {
        let n = i64::try_from(self.counts.len().max(1)).unwrap_or(i64::MAX);
        let width = ((self.end.0 - self.start.0) / n).max(1);
        let i = i64::try_from(i).unwrap_or(i64::MAX);
        let a = self.start.0.saturating_add(width.saturating_mul(i));
        (Micros(a), Micros(a + width))
    }

    /// Counts arrived: the filter's, then (with a filter) the whole traffic's, which this
    /// asks for (id 0: the app numbers it).
    pub fn on_counts(&mut self, counts: Vec<u64>, start: Micros, end: Micros) -> Option<Request> {
        if self.awaiting_traffic {
            self.awaiting_traffic = false;
            self.traffic = Some(counts);
            return None;
        }
        self.cursor = self.cursor.min(counts.len().saturating_sub(1));
        let buckets = counts.len();
        self.counts = counts;
        self.traffic = None;
        self.start = start;
        self.end = end;
        self.awaiting_traffic = self.overlay;
        self.overlay.then_some(Request::Histogram {
            id: 0,
            expr: Expr::All,
            start: Some(start),
            end: Some(end),
            buckets,
        })
    }

    /// The bucket of a time, if within the chart.
    fn bucket_of(&self, at: Micros) -> Option<usize> {
        if at < self.start || at >= self.end || self.end.0 <= self.start.0 {
            return None;
        }
        let i = i128::from(at.0 - self.start.0) * i128::try_from(self.counts.len()).ok()?
            / i128::from(self.end.0 - self.start.0);
        usize::try_from(i).ok()
    }

    /// The most severe finding starting in each bucket, of the findings inside the filter:
    /// those starting where the filter has events (and, for a finding's own events, sharing
    /// them).
    pub fn markers(&self, ctx: &Ctx<'_>) -> Vec<Option<Severity>> {
        let mut worst: Vec<Option<Severity>> = vec![None; self.counts.len()];
        for f in ctx.findings.iter().filter(|f| in_filter(f, ctx)) {
            let Some(i) = self.bucket_of(f.first_seen_micros()) else {
                continue;
            };
            if self.counts.get(i).copied().unwrap_or(0) == 0 {
                continue;
            }
            if let Some(w) = worst.get_mut(i) {
                *w = Some(w.map_or(f.severity, |s| s.max(f.severity)));
            }
        }
        worst
    }

    /// `n` / `N`: the cursor to the next / previous bucket with a finding marker.
    fn jump(&mut self, forward: bool, ctx: &Ctx<'_>) -> Intent {
        let markers = self.markers(ctx);
        let found = if forward {
            (self.cursor + 1..markers.len()).find(|&i| markers[i].is_some())
        } else {
            (0..self.cursor).rev().find(|&i| markers[i].is_some())
        };
        match found {
            Some(i) => {
                self.cursor = i;
                Intent::Done
            }
            None => Intent::Status(format!(
                "no finding marker {} the cursor",
                if forward { "after" } else { "before" }
            )),
        }
    }

    /// The first press marks the start of a range; the second zooms into it.
    fn mark_range(&mut self) -> Intent {
        match self.mark.take() {
            None => {
                self.mark = Some(self.cursor);
                Intent::Status("range start marked: move and press the key again to zoom".into())
            }
            Some(m) => {
                let (a, b) = (m.min(self.cursor), m.max(self.cursor));
                let (start, _) = self.bucket_span(a);
                let (_, end) = self.bucket_span(b);
                self.cursor = 0;
                Intent::Zoom(start, end)
            }
        }
    }
}

/// Is a finding inside the filter? Not when the filter holds some findings' events and
/// none of its own.
fn in_filter(f: &Finding, ctx: &Ctx<'_>) -> bool {
    ctx.filter.chips.iter().all(|c| match &c.expr {
        Expr::AuditIds(ids) => f.audit_ids.iter().any(|id| ids.contains(id)),
        _ => true,
    })
}

impl Component for TimelineState {
    fn len(&self, _ctx: &Ctx<'_>) -> u64 {
        self.counts.len() as u64
    }

    fn position(&self) -> u64 {
        self.cursor as u64
    }

    fn select(&mut self, pos: u64, _ctx: &Ctx<'_>) -> Option<Request> {
        self.cursor = usize::try_from(pos).unwrap_or(usize::MAX);
        None
    }

    fn on_action(&mut self, action: &Action, ctx: &Ctx<'_>) -> Intent {
        match action {
            Action::Left | Action::PrevPane => Intent::Move(-1),
            Action::Right | Action::NextPane => Intent::Move(1),
            Action::MarkRange => self.mark_range(),
            Action::NextFinding => self.jump(true, ctx),
            Action::PrevFinding => self.jump(false, ctx),
            Action::ToggleLogScale => {
                self.log = !self.log;
                Intent::Status(format!(
                    "{} y scale",
                    if self.log { "logarithmic" } else { "linear" }
                ))
            }
            // The events, positioned on the first one of the bucket.
            Action::Open => Intent::EventsFrom(self.bucket_span(self.cursor).0),
            _ => Intent::Ignored,
        }
    }

    /// One bucket per column of the chart.
    fn refresh(&mut self, ctx: &Ctx<'_>) -> Option<Request> {
        let expr = ctx.filter.expr();
        let buckets = usize::from(ctx.size.0.saturating_sub(2 + GUTTER)).max(10);
        if self.loaded_for.as_ref() == Some(&(expr.clone(), buckets)) {
            return None;
        }
        self.loaded_for = Some((expr.clone(), buckets));
        self.overlay = !ctx.filter.is_empty();
        self.awaiting_traffic = false;
        self.traffic = None;
        let (start, end) = ctx.filter.time_bounds();
        Some(Request::Histogram {
            id: 0,
            expr,
            start,
            end,
            buckets,
        })
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        render_chart(self, ctx, frame, area);
    }

    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::MarkRange, "zoom range"),
            (Action::ZoomOut, "zoom out"),
            (Action::NextFinding, "next finding"),
            (Action::ToggleLogScale, "log scale"),
        ]
    }
}

const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The height of a count in eighths of a cell, on a chart `rows` high topped by `max`.
fn eighths(n: u64, max: u64, rows: u64, log: bool) -> u64 {
    if n == 0 {
        return 0;
    }
    if log {
        #[expect(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a bar's height in eighths of a cell: a few hundred at most"
        )]
        let h = ((n as f64).ln_1p() / (max as f64).ln_1p() * (rows * 8) as f64).ceil() as u64;
        return h.max(1);
    }
    (n * rows * 8).div_ceil(max)
}

/// The count at a fraction of the chart's height (the y scale's labels).
fn count_at(fraction: f64, max: u64, log: bool) -> u64 {
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a label of the y scale, rounded"
    )]
    let v = if log {
        ((max as f64).ln_1p() * fraction).exp_m1().round() as u64
    } else {
        (max as f64 * fraction).round() as u64
    };
    v
}

/// Draws one column of bars: the whole traffic (dim) under the filter's count.
fn bar(buf: &mut Buffer, chart: Rect, x: u16, levels: (u64, u64), styles: (Style, Style)) {
    for r in 0..chart.height {
        let y = chart.y + chart.height - 1 - r;
        let base = u64::from(r) * 8;
        let fg = levels.0.saturating_sub(base).min(8);
        let bg = levels.1.saturating_sub(base).min(8);
        let (level, style) = if fg > 0 {
            (fg, styles.0)
        } else {
            (bg, styles.1)
        };
        if let (Some(cell), Ok(level)) = (buf.cell_mut((x, y)), usize::try_from(level)) {
            cell.set_char(BLOCKS[level]).set_style(style);
        }
    }
}

fn render_chart(t: &TimelineState, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
    let total: u64 = t.counts.iter().sum();
    let scale = if t.log { "log" } else { "linear" };
    let overlay = if t.traffic.is_some() {
        " over all traffic (dim)"
    } else {
        ""
    };
    let title = format!(
        " timeline — {total} events{overlay}, {} buckets, {scale} scale ({}) ",
        t.counts.len(),
        ctx.tz_name
    );
    let block = Block::bordered().title(Line::from(title).style(theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if t.counts.is_empty() {
        frame.render_widget(Line::from(Span::styled("loading…", theme::dim())), inner);
        return;
    }
    let [plot, markers, axis, info] = inner.layout(&Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(3),
    ]));
    let [gutter, chart] = plot.layout(&Layout::horizontal([
        Constraint::Length(GUTTER),
        Constraint::Min(1),
    ]));
    let traffic = t.traffic.as_deref().unwrap_or(&t.counts);
    let max = traffic.iter().copied().max().unwrap_or(1).max(1);
    y_scale(frame, gutter, max, t.log);
    let rows = u64::from(chart.height);
    let buf = frame.buffer_mut();
    for ((&n, dx), i) in t.counts.iter().zip(0..chart.width).zip(0..) {
        let all = traffic.get(i).copied().unwrap_or(n);
        let marked = t
            .mark
            .is_some_and(|m| (m.min(t.cursor)..=m.max(t.cursor)).contains(&i));
        let style = if i == t.cursor {
            theme::search()
        } else if marked {
            theme::chip()
        } else {
            theme::label()
        };
        let levels = (eighths(n, max, rows, t.log), eighths(all, max, rows, t.log));
        bar(buf, chart, chart.x + dx, levels, (style, theme::dim()));
    }
    let offset = |r: Rect| Rect {
        x: r.x + GUTTER,
        width: r.width.saturating_sub(GUTTER),
        ..r
    };
    let spans: Vec<Span<'_>> = t
        .markers(ctx)
        .iter()
        .enumerate()
        .take(chart.width as usize)
        .map(|(i, w)| match w {
            Some(s) => Span::styled("▲", theme::severity_style(*s)),
            None if i == t.cursor => Span::styled("^", theme::search()),
            None => Span::raw(" "),
        })
        .collect();
    frame.render_widget(Line::from(spans), offset(markers));
    frame.render_widget(
        Line::from(Span::styled(time_axis(t, ctx, chart.width), theme::dim())),
        offset(axis),
    );
    frame.render_widget(Paragraph::new(about_cursor(t, ctx)), info);
}

/// The y scale: the top count, the middle one and 0, right-aligned.
fn y_scale(frame: &mut Frame, gutter: Rect, max: u64, log: bool) {
    let h = gutter.height;
    if h == 0 {
        return;
    }
    let mut lines = vec![Line::from(""); usize::from(h)];
    let label = |n: u64| Line::from(Span::styled(format!("{n:>5} ┤"), theme::dim()));
    lines[0] = label(max);
    if h >= 5 {
        lines[usize::from(h / 2)] = label(count_at(f64::from(h - h / 2) / f64::from(h), max, log));
    }
    lines[usize::from(h - 1)] = label(0);
    frame.render_widget(Paragraph::new(lines), gutter);
}

/// Label intervals, in minutes: the first that leaves room for a label (a minute to a
/// century).
const STEPS: [i64; 21] = [
    1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 4320, 10_080, 20_160, 43_200, 129_600,
    525_600, 5_256_000, 52_560_000,
];

/// The time axis: `HH:MM` under the buckets where a round time falls, spaced to be read;
/// over more than a day `MM-DD HH:MM`, over more than two months the date alone (labels of
/// several days all read `00:00`).
pub fn time_axis(t: &TimelineState, ctx: &Ctx<'_>, width: u16) -> String {
    let n = i64::try_from(t.counts.len()).unwrap_or(1).max(1);
    let span = (t.end.0 - t.start.0).max(1);
    let per_col = span / n;
    let day = 1440 * Micros::MINUTE;
    // Which part of `YYYY-MM-DD HH:MM…` a label shows, and the columns a label needs.
    let (part, room) = if span > 60 * day {
        ((0, 10), 13)
    } else if span > day {
        ((5, 16), 14)
    } else {
        ((11, 16), 8)
    };
    let step = STEPS
        .iter()
        .map(|m| m * Micros::MINUTE)
        .find(|s| s / per_col.max(1) >= room)
        .unwrap_or(52_560_000 * Micros::MINUTE);
    let mut line = vec![' '; usize::from(width)];
    let mut at = t.start.0.div_euclid(step) * step;
    let mut free = 0usize;
    while at < t.end.0 {
        if at >= t.start.0 {
            let x = usize::try_from(i128::from(at - t.start.0) * i128::from(n) / i128::from(span))
                .unwrap_or(usize::MAX);
            let text = Micros(at).display_in(ctx.tz);
            let label = format!("╵{}", text.get(part.0..part.1).unwrap_or(""));
            if x >= free && x + label.chars().count() <= line.len() {
                for (k, ch) in label.chars().enumerate() {
                    line[x + k] = ch;
                }
                free = x + label.chars().count() + 1;
            }
        }
        at += step;
    }
    line.into_iter().collect::<String>().trim_end().to_owned()
}

/// `findings starting here: A, B and 3 more`, as many as fit `room` columns (the line was
/// cut at the edge: a dangling comma, a finding left out unsaid).
fn findings_line(findings: &[String], room: usize) -> String {
    let head = "findings starting here: ";
    for shown in (1..=findings.len()).rev() {
        let more = findings.len() - shown;
        let rest = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let line = format!("{head}{}{rest}", findings[..shown].join(", "));
        if line.chars().count() <= room {
            return line;
        }
    }
    format!("{head}{} (and {} more)", findings[0], findings.len() - 1)
}

/// What the cursor's bucket holds.
fn about_cursor<'a>(t: &TimelineState, ctx: &Ctx<'_>) -> Vec<Line<'a>> {
    let (a, b) = t.bucket_span(t.cursor);
    let n = t.counts.get(t.cursor).copied().unwrap_or(0);
    let of_all = t
        .traffic
        .as_ref()
        .and_then(|c| c.get(t.cursor))
        .map(|all| format!(" of {all}"))
        .unwrap_or_default();
    let findings_here = ctx
        .findings
        .iter()
        .filter(|f| n > 0 && in_filter(f, ctx))
        .filter(|f| {
            let at = f.first_seen_micros();
            at >= a && at < b
        })
        .map(|f| format!("{} {}", f.severity, f.rule_id))
        .collect::<Vec<_>>();
    let mut lines = vec![Line::from(format!(
        "{} .. {}: {n}{of_all} events",
        a.display_in(ctx.tz),
        b.display_in(ctx.tz)
    ))];
    if !findings_here.is_empty() {
        lines.push(Line::from(Span::styled(
            findings_line(&findings_here, usize::from(ctx.size.0).saturating_sub(4)),
            theme::marker(),
        )));
    }
    if let Some(m) = t.mark {
        let (ms, _) = t.bucket_span(m);
        lines.push(Line::from(Span::styled(
            format!(
                "range from {} — press v again to zoom",
                ms.display_in(ctx.tz)
            ),
            theme::chip(),
        )));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::components::testing::Shared;

    #[test]
    fn a_marked_range_zooms_to_its_buckets() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut t = TimelineState::default();
        assert!(matches!(
            t.refresh(&ctx),
            Some(Request::Histogram { buckets: 111, .. })
        ));
        assert_eq!(
            t.on_counts(vec![1, 2, 3, 4, 5, 6], Micros(0), Micros(600)),
            None
        );
        t.select(1, &ctx);
        assert!(matches!(
            t.on_action(&Action::MarkRange, &ctx),
            Intent::Status(_)
        ));
        assert_eq!(t.mark, Some(1));
        t.select(3, &ctx);
        assert_eq!(
            t.on_action(&Action::MarkRange, &ctx),
            Intent::Zoom(Micros(100), Micros(400))
        );
        assert_eq!((t.cursor, t.mark), (0, None));
        assert_eq!(
            t.on_action(&Action::Open, &ctx),
            Intent::EventsFrom(Micros(0))
        );
        assert_eq!(t.on_action(&Action::Left, &ctx), Intent::Move(-1));
    }

    #[test]
    fn with_a_filter_the_whole_traffic_comes_next_and_markers_stay_inside_the_filter() {
        let mut shared = Shared::default();
        shared.findings[1].first_seen = "2026-03-14T10:05:00Z".into();
        shared.filter = crate::tui::filter::FilterState::of(crate::tui::filter::Chip {
            label: "finding KS-A".into(),
            expr: Expr::AuditIds(std::sync::Arc::new(vec!["id-1".into()])),
        });
        let ctx = shared.ctx();
        let mut t = TimelineState::default();
        assert!(t.refresh(&ctx).is_some());
        let start = Micros::parse("2026-03-14T10:00:00Z").unwrap();
        let end = start.saturating_add(10 * Micros::MINUTE);
        let next = t.on_counts(vec![1, 0, 0, 0, 0, 1, 0, 0, 0, 0], start, end);
        assert!(matches!(
            next,
            Some(Request::Histogram {
                expr: Expr::All,
                buckets: 10,
                ..
            })
        ));
        assert_eq!(t.on_counts(vec![9; 10], start, end), None);
        assert_eq!(t.traffic.as_deref(), Some(&[9; 10][..]));
        let markers = t.markers(&ctx);
        assert!(markers[0].is_some(), "KS-A holds the filter's event");
        assert!(markers[5].is_none(), "KS-B is outside the filter");
    }

    #[test]
    fn next_finding_jumps_between_markers_and_the_axis_labels_round_times() {
        let mut shared = Shared::default();
        shared.findings[1].first_seen = "2026-03-14T10:30:00Z".into();
        let ctx = shared.ctx();
        let mut t = TimelineState::default();
        let start = Micros::parse("2026-03-14T10:00:00Z").unwrap();
        t.on_counts(
            vec![5; 60],
            start,
            start.saturating_add(60 * Micros::MINUTE),
        );
        assert_eq!(t.on_action(&Action::NextFinding, &ctx), Intent::Done);
        assert_eq!(t.cursor, 30);
        assert!(matches!(
            t.on_action(&Action::NextFinding, &ctx),
            Intent::Status(_)
        ));
        assert_eq!(t.on_action(&Action::PrevFinding, &ctx), Intent::Done);
        assert_eq!(t.cursor, 0);
        let axis = time_axis(&t, &ctx, 60);
        assert!(axis.starts_with("╵10:00"), "{axis}");
        assert!(axis.contains("╵10:10"), "{axis}");
        assert!(!axis.contains("10:01"), "{axis}");
        assert!(matches!(
            t.on_action(&Action::ToggleLogScale, &ctx),
            Intent::Status(_)
        ));
        assert!(t.log);
        assert_eq!(count_at(0.5, 99, true), 9);
        assert!(eighths(1, 1000, 10, true) > eighths(1, 1000, 10, false));
    }

    #[test]
    fn regression_the_findings_of_a_bucket_ended_in_a_dangling_comma_at_80_columns() {
        let f: Vec<String> = ["info KS-SECRET-CLUSTER-WIDE-LIST", "high KS-A", "low KS-B"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            findings_line(&f, 200),
            "findings starting here: info KS-SECRET-CLUSTER-WIDE-LIST, high KS-A, low KS-B"
        );
        assert_eq!(
            findings_line(&f, 76),
            "findings starting here: info KS-SECRET-CLUSTER-WIDE-LIST and 2 more"
        );
    }

    /// Over three days every label read `00:00` or `12:00`; over centuries, `00:00`.
    #[test]
    fn regression_axis_labels_of_days_and_years_lacked_their_dates() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut t = TimelineState::default();
        let start = Micros::parse("2026-03-14T00:00:00Z").unwrap();
        t.on_counts(
            vec![1; 72],
            start,
            start.saturating_add(3 * 1440 * Micros::MINUTE),
        );
        let axis = time_axis(&t, &ctx, 72);
        assert!(axis.starts_with("╵03-14 00:00"), "{axis}");
        assert!(
            axis.contains("03-15") || axis.contains("03-14 12:00"),
            "{axis}"
        );
        let start = Micros::parse("1700-01-01T00:00:00Z").unwrap();
        let end = Micros::parse("2200-01-01T00:00:00Z").unwrap();
        t.on_counts(vec![1; 78], start, end);
        let axis = time_axis(&t, &ctx, 78);
        let labels: Vec<&str> = axis.split('╵').filter(|l| !l.trim().is_empty()).collect();
        assert!(labels.len() >= 2, "{axis}");
        assert!(
            labels.iter().all(|l| l.trim().len() == 10),
            "dates alone: {axis}"
        );
        assert_ne!(labels[0], labels[1], "{axis}");
    }
}

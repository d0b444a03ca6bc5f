//! The timeline view: a histogram of the filter's events over time with findings marked;
//! a range can be marked and zoomed into, and Enter shows the events of a bucket.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Component, Ctx, Intent};
use crate::model::Micros;
use crate::query::Expr;
use crate::tui::action::Action;
use crate::tui::protocol::Request;
use crate::tui::theme;

#[derive(Debug, Clone, Default)]
pub struct TimelineState {
    pub counts: Vec<u64>,
    pub start: Micros,
    pub end: Micros,
    pub cursor: usize,
    pub mark: Option<usize>,
    pub loaded_for: Option<(Expr, usize)>,
}

impl TimelineState {
    pub fn bucket_span(&self, i: usize) -> (Micros, Micros) {
        let n = self.counts.len().max(1) as i64;
        let width = ((self.end.0 - self.start.0) / n).max(1);
        let a = self.start.0 + width * i as i64;
        (Micros(a), Micros(a + width))
    }

    /// The counts arrived.
    pub fn on_counts(&mut self, counts: Vec<u64>, start: Micros, end: Micros) {
        self.cursor = self.cursor.min(counts.len().saturating_sub(1));
        self.counts = counts;
        self.start = start;
        self.end = end;
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

impl Component for TimelineState {
    fn len(&self, _ctx: &Ctx<'_>) -> u64 {
        self.counts.len() as u64
    }

    fn position(&self) -> u64 {
        self.cursor as u64
    }

    fn select(&mut self, pos: u64, _ctx: &Ctx<'_>) -> Option<Request> {
        self.cursor = pos as usize;
        None
    }

    fn on_action(&mut self, action: &Action, _ctx: &Ctx<'_>) -> Intent {
        match action {
            Action::Left | Action::PrevPane => Intent::Move(-1),
            Action::Right | Action::NextPane => Intent::Move(1),
            Action::MarkRange => self.mark_range(),
            // The events, positioned on the first one of the bucket.
            Action::Open => Intent::EventsFrom(self.bucket_span(self.cursor).0),
            _ => Intent::Ignored,
        }
    }

    /// One bucket per column of the screen.
    fn refresh(&mut self, ctx: &Ctx<'_>) -> Option<Request> {
        let expr = ctx.filter.expr();
        let buckets = (ctx.size.0 as usize).saturating_sub(4).max(10);
        if self.loaded_for.as_ref() == Some(&(expr.clone(), buckets)) {
            return None;
        }
        self.loaded_for = Some((expr.clone(), buckets));
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
        ]
    }
}

const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn render_chart(t: &TimelineState, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
    let total: u64 = t.counts.iter().sum();
    let title = format!(
        " timeline — {total} events, {} buckets ({}) ",
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
    let [chart, markers, info] = inner.layout(&Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(3),
    ]));
    let max = t.counts.iter().copied().max().unwrap_or(1).max(1);
    let rows = chart.height as u64;
    let buf = frame.buffer_mut();
    for (i, &n) in t.counts.iter().enumerate().take(chart.width as usize) {
        let x = chart.x + i as u16;
        let eighths = (n * rows * 8).div_ceil(max);
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
        for r in 0..rows {
            let level = eighths.saturating_sub(r * 8).min(8) as usize;
            let y = chart.y + chart.height - 1 - r as u16;
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_char(BLOCKS[level]).set_style(style);
            }
        }
    }
    // Findings: a mark under the bucket of each finding's first event, most severe wins.
    let mut worst: Vec<Option<crate::detect::Severity>> = vec![None; t.counts.len()];
    for f in ctx.findings {
        let at = f.first_seen_micros();
        if at >= t.start && at < t.end && t.end.0 > t.start.0 {
            let i = ((at.0 - t.start.0) as i128 * t.counts.len() as i128
                / (t.end.0 - t.start.0) as i128) as usize;
            if let Some(w) = worst.get_mut(i) {
                *w = Some(w.map_or(f.severity, |s| s.max(f.severity)));
            }
        }
    }
    let spans: Vec<Span<'_>> = worst
        .iter()
        .enumerate()
        .take(markers.width as usize)
        .map(|(i, w)| match w {
            Some(s) => Span::styled("▲", theme::severity_style(*s)),
            None if i == t.cursor => Span::styled("^", theme::search()),
            None => Span::raw(" "),
        })
        .collect();
    frame.render_widget(Line::from(spans), markers);
    let (a, b) = t.bucket_span(t.cursor);
    let n = t.counts.get(t.cursor).copied().unwrap_or(0);
    let findings_here = ctx
        .findings
        .iter()
        .filter(|f| {
            let at = f.first_seen_micros();
            at >= a && at < b
        })
        .map(|f| format!("{} {}", f.severity, f.rule_id))
        .collect::<Vec<_>>();
    let mut lines = vec![Line::from(format!(
        "{} .. {}: {n} events",
        a.display_in(ctx.tz),
        b.display_in(ctx.tz)
    ))];
    if !findings_here.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("findings starting here: {}", findings_here.join(", ")),
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
    frame.render_widget(Paragraph::new(lines), info);
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
            Some(Request::Histogram { buckets: 116, .. })
        ));
        t.on_counts(vec![1, 2, 3, 4, 5, 6], Micros(0), Micros(600));
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
}

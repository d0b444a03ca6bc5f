//! Pivots (top values of the current filter) and the timeline (a histogram over time with
//! findings marked).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph};

use super::{clean, theme};
use crate::tui::app::App;

pub fn pivots(app: &App, frame: &mut Frame, area: Rect) {
    let p = &app.pivots;
    if p.lists.is_empty() {
        let block =
            Block::bordered().title(Line::from(" pivots — loading… ").style(theme::title()));
        frame.render_widget(block, area);
        return;
    }
    let constraints: Vec<Constraint> = p
        .lists
        .iter()
        .map(|_| Constraint::Ratio(1, p.lists.len() as u32))
        .collect();
    let cols = Layout::horizontal(constraints).split(area);
    for (i, (list, rect)) in p.lists.iter().zip(cols.iter()).enumerate() {
        let width = rect.width.saturating_sub(10) as usize;
        let items: Vec<ListItem<'_>> = list
            .values
            .iter()
            .map(|(v, n)| {
                let v = clean(v);
                let v: String = if v.chars().count() > width {
                    v.chars()
                        .take(width.saturating_sub(1))
                        .chain(['…'])
                        .collect()
                } else {
                    v.into_owned()
                };
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{n:>7} "), theme::dim()),
                    Span::raw(v),
                ]))
            })
            .collect();
        let focused = i == p.column;
        let title_style = if focused {
            theme::tab_active()
        } else {
            theme::title()
        };
        let missing = if list.missing > 0 {
            format!(" (+{} without)", list.missing)
        } else {
            String::new()
        };
        let block = Block::bordered()
            .title(Line::from(format!(" {}{missing} ", list.title)).style(title_style));
        let widget = List::new(items).block(block).highlight_style(if focused {
            theme::selected()
        } else {
            theme::dim()
        });
        let mut state =
            ListState::default().with_selected(Some(p.rows.get(i).copied().unwrap_or(0)));
        frame.render_stateful_widget(widget, *rect, &mut state);
    }
}

const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn timeline(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.timeline;
    let total: u64 = t.counts.iter().sum();
    let title = format!(
        " timeline — {total} events, {} buckets ({}) ",
        t.counts.len(),
        app.tz_name
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
    for f in app.findings.iter() {
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
    let findings_here = app
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
        a.display_in(&app.tz),
        b.display_in(&app.tz)
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
                ms.display_in(&app.tz)
            ),
            theme::chip(),
        )));
    }
    frame.render_widget(Paragraph::new(lines), info);
}

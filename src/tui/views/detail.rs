//! The detail of one event: decoded fields, the findings it belongs to, the raw JSON
//! (foldable).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{clean, theme};
use crate::tui::app::{App, DetailLine};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let d = &app.detail;
    let title = match &d.event {
        Some(e) => format!(" event {} ", clean(&e.audit_id)),
        None if d.loading => " event — loading… ".to_owned(),
        None => " event ".to_owned(),
    };
    let block = Block::bordered().title(Line::from(title).style(theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = d.lines();
    let height = inner.height as usize;
    let mut out = Vec::with_capacity(height);
    for (i, l) in lines.iter().enumerate().skip(d.scroll).take(height) {
        let mut line = match l {
            DetailLine::Section(s) => Line::from(Span::styled(format!("── {s} "), theme::title())),
            DetailLine::Field {
                label,
                value,
                severity,
            } => {
                let label_style = severity.map_or_else(theme::label, theme::severity_style);
                let label = clean(label);
                let width = (label.chars().count() + 1).max(15);
                Line::from(vec![
                    Span::styled(format!("  {label:<width$}"), label_style),
                    Span::raw(clean(value).into_owned()),
                ])
            }
            DetailLine::Json(j) => {
                let indent = "  ".repeat(j.depth + 1);
                let marker = if j.foldable {
                    if j.folded { "▸ " } else { "▾ " }
                } else {
                    "  "
                };
                let mut spans = vec![Span::raw(format!("{indent}{marker}"))];
                if let Some(k) = &j.key {
                    spans.push(Span::styled(format!("{}: ", clean(k)), theme::label()));
                }
                spans.push(Span::raw(clean(&j.text).into_owned()));
                Line::from(spans)
            }
        };
        if i == d.cursor {
            line = line.style(theme::selected());
        }
        out.push(line);
    }
    frame.render_widget(Paragraph::new(out), inner);
}

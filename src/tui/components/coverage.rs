//! The coverage view (`6`, `:coverage`): what the data set cannot show and what that costs —
//! exactly what `kubesift coverage` reports (`story::coverage`, computed once on a
//! background thread as the workbench opens): the time covered and its gaps, the stages
//! logged, the level per resource, missing fields, and each blind spot with the detections
//! it silences. The header's marker (`⚠ blind spots: N`) counts the blind spots. The line
//! under the cursor shows in full below the list; Enter on a gap shows the events from its
//! start.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::lines::{self, Cursor};
use super::{Component, Ctx, Intent, columns};
use crate::model::Micros;
use crate::story::coverage::Coverage;
use crate::tui::action::Action;
use crate::tui::protocol::Request;
use crate::tui::theme::{self, clean};

/// How a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Section,
    Text,
    Warn,
    Dim,
}

/// One line of the view: its style, text, and the time it opens (a gap's start).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    style: Style,
    text: String,
    opens: Option<Micros>,
}

/// The coverage (once computed), its lines, the cursor.
#[derive(Debug, Clone, Default)]
pub struct CoverageView {
    pub coverage: Option<Box<Coverage>>,
    /// Why it could not be computed.
    pub error: Option<String>,
    rows: Vec<Row>,
    pub cursor: Cursor,
}

impl CoverageView {
    /// The coverage arrived (times drawn in `tz`).
    pub fn on_coverage(&mut self, c: Box<Coverage>, tz: &jiff::tz::TimeZone) {
        self.rows = rows_of(&c, tz);
        self.coverage = Some(c);
        self.cursor = Cursor::default();
    }

    /// How many blind spots the coverage found (none until it is computed).
    pub fn blind_spots(&self) -> usize {
        self.coverage.as_ref().map_or(0, |c| c.blind_spots.len())
    }
}

fn row(style: Style, text: String) -> Row {
    Row {
        style,
        text,
        opens: None,
    }
}

fn counts(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "-".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `2h 10m`, `45m`, `30s`.
fn duration(seconds: i64) -> String {
    match seconds {
        s if s >= 3600 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn rows_of(c: &Coverage, tz: &jiff::tz::TimeZone) -> Vec<Row> {
    let t = |m: Micros| columns::time_cell(m, tz, 19);
    let mut out = vec![row(Style::Section, "covered".into())];
    out.push(row(Style::Text, format!("events             {}", c.events)));
    if let (Some(a), Some(b)) = (c.first, c.last) {
        out.push(row(
            Style::Text,
            format!("time               {} .. {}", t(a), t(b)),
        ));
    }
    out.push(row(
        Style::Text,
        format!("gaps               {}", c.gaps.len()),
    ));
    for g in &c.gaps {
        out.push(Row {
            style: Style::Warn,
            text: format!(
                "  {} .. {} ({}; usually every {}s) · {} {}",
                t(g.from),
                t(g.to),
                duration(g.seconds),
                g.usual_seconds,
                g.scope,
                if g.name.is_empty() { "-" } else { &g.name }
            ),
            opens: Some(g.from),
        });
    }
    out.push(row(Style::Section, "stages".into()));
    out.push(row(
        Style::Text,
        format!("logged             {}", counts(&c.stages)),
    ));
    if !c.without_request_received.is_empty() {
        out.push(row(
            Style::Text,
            format!("no RequestReceived {}", counts(&c.without_request_received)),
        ));
    }
    out.push(row(Style::Section, "fields".into()));
    out.extend([
        row(
            Style::Text,
            format!("source addresses   {}", c.source_addresses),
        ),
        row(
            Style::Text,
            format!("no user agent      {}", c.without_user_agent),
        ),
        row(
            Style::Text,
            format!("no authz decision  {}", c.without_decision),
        ),
        row(
            Style::Text,
            format!(
                "no credential id   {} of {} service-account requests",
                c.without_credential_id, c.service_account_requests
            ),
        ),
    ]);
    out.push(row(
        Style::Section,
        "levels (resource: reads | writes)".into(),
    ));
    for l in &c.levels {
        out.push(row(
            Style::Text,
            format!(
                "{:<18} {} | {}",
                l.resource,
                counts(&l.read_levels),
                counts(&l.write_levels)
            ),
        ));
    }
    out.push(row(
        Style::Section,
        format!("blind spots: {}", c.blind_spots.len()),
    ));
    for b in &c.blind_spots {
        out.push(row(Style::Warn, format!("⚠ [{}] {}", b.kind, b.what)));
        out.push(row(Style::Dim, format!("    {}", b.cost)));
        for d in &b.detections {
            out.push(row(
                Style::Dim,
                format!("    {}: {}", d.verdict(), d.described()),
            ));
        }
    }
    for r in &mut out {
        r.text = clean(&r.text).into_owned();
    }
    out
}

impl Component for CoverageView {
    fn len(&self, _ctx: &Ctx<'_>) -> u64 {
        self.rows.len() as u64
    }

    fn position(&self) -> u64 {
        self.cursor.line as u64
    }

    fn select(&mut self, pos: u64, ctx: &Ctx<'_>) -> Option<Request> {
        self.cursor.select(pos, ctx);
        None
    }

    fn on_action(&mut self, action: &Action, _ctx: &Ctx<'_>) -> Intent {
        let Some(r) = self.rows.get(self.cursor.line) else {
            return Intent::Ignored;
        };
        match action {
            Action::Open => r.opens.map_or_else(
                || Intent::Status("enter on a gap shows the events from its start".into()),
                Intent::EventsFrom,
            ),
            Action::Copy => Intent::Copy(r.text.trim().to_owned()),
            _ => Intent::Ignored,
        }
    }

    fn clicked(&self, line: u64, ctx: &Ctx<'_>) -> Option<u64> {
        self.cursor.clicked(line, self.len(ctx))
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        let title = match (&self.coverage, &self.error) {
            (Some(c), _) => format!(
                " coverage — blind spots: {} (enter on a gap: its events; times {}) ",
                c.blind_spots.len(),
                ctx.tz_name
            ),
            (None, Some(_)) => " coverage — could not be computed ".to_owned(),
            (None, None) => " coverage — computing… ".to_owned(),
        };
        let mut drawn: Vec<Line<'static>> = self
            .rows
            .iter()
            .map(|r| match r.style {
                Style::Section => {
                    Line::from(Span::styled(format!("── {} ", r.text), theme::title()))
                }
                Style::Text => Line::from(format!("  {}", r.text)),
                Style::Warn => Line::from(Span::styled(format!("  {}", r.text), theme::marker())),
                Style::Dim => Line::from(Span::styled(format!("  {}", r.text), theme::dim())),
            })
            .collect();
        if let Some(e) = &self.error {
            drawn.push(Line::from(Span::styled(
                format!("  {}", clean(e)),
                theme::error(),
            )));
        }
        let full = self
            .rows
            .get(self.cursor.line)
            .map(|r| vec![Line::from(r.text.trim().to_owned())]);
        lines::render(frame, area, &title, drawn, self.cursor, full);
    }

    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Open, "a gap's events"),
            (Action::Copy, "copy line"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::coverage::{Blind, BlindSpot, Gap, ResourceLevels};
    use crate::tui::components::testing::Shared;

    fn coverage() -> Coverage {
        let at = |s: &str| Micros::parse(s).unwrap();
        Coverage {
            events: 1234,
            first: Some(at("2026-03-14T09:00:00Z")),
            last: Some(at("2026-03-14T13:00:00Z")),
            gaps: vec![Gap {
                scope: "input",
                name: "logs/audit.log\x1b[2J".into(),
                from: at("2026-03-14T10:40:00Z"),
                to: at("2026-03-14T11:10:00Z"),
                seconds: 1800,
                usual_seconds: 2,
            }],
            stages: [("ResponseComplete".to_owned(), 1234)].into(),
            levels: vec![ResourceLevels {
                resource: "secrets".into(),
                events: 40,
                read_levels: [("Metadata".to_owned(), 38)].into(),
                write_levels: [("Metadata".to_owned(), 2)].into(),
            }],
            source_addresses: 9,
            service_account_requests: 300,
            blind_spots: vec![BlindSpot {
                kind: "level",
                what: "secrets logged at Metadata only".into(),
                cost: "no bodies: what a secret held or was changed to cannot be seen".into(),
                detections: vec![Blind {
                    number: "12".into(),
                    rules: vec!["KS-SECRET-BODY".into()],
                    title: "secret written with a token".into(),
                    partial: false,
                }],
            }],
            ..Coverage::default()
        }
    }

    fn drawn(v: &CoverageView, ctx: &Ctx<'_>, size: (u16, u16)) -> String {
        crate::tui::components::testing::drawn(v, ctx, size)
    }

    #[test]
    fn coverage_lists_gaps_levels_and_blind_spots_at_80x21() {
        let shared = Shared::sized(80, 24);
        let ctx = shared.ctx();
        let mut v = CoverageView::default();
        assert!(drawn(&v, &ctx, (80, 21)).contains("computing"));
        v.on_coverage(Box::new(coverage()), ctx.tz);
        assert_eq!(v.blind_spots(), 1);
        let s = drawn(&v, &ctx, (80, 21));
        assert!(!s.contains('\x1b'), "a log string reached the terminal raw");
        insta::assert_snapshot!("coverage_80x21", s);
    }

    #[test]
    fn enter_on_a_gap_shows_the_events_from_its_start() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut v = CoverageView::default();
        v.on_coverage(Box::new(coverage()), ctx.tz);
        let gap = v.rows.iter().position(|r| r.opens.is_some()).unwrap();
        v.select(gap as u64, &ctx);
        assert_eq!(
            v.on_action(&Action::Open, &ctx),
            Intent::EventsFrom(Micros::parse("2026-03-14T10:40:00Z").unwrap())
        );
        v.select(0, &ctx);
        assert!(matches!(
            v.on_action(&Action::Open, &ctx),
            Intent::Status(_)
        ));
    }
}

//! The detail of one event: decoded fields, the findings it belongs to, its credential's
//! lineage (`components::lineage`, asked for when the event opens), the raw JSON (foldable).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::events::EVENT_SHORTCUTS;
use super::{Component, Ctx, Intent, scroll_to};
use crate::model::AuditEvent;
use crate::tui::action::Action;
use crate::tui::jsontree::{self, JsonTree};
use crate::tui::protocol::Request;
use crate::tui::theme::{self, clean};

/// One line of the detail view: a decoded field (label, value) or a JSON line.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailLine {
    Section(String),
    Field {
        label: String,
        value: String,
        severity: Option<crate::detect::Severity>,
        /// What `c` copies when it is not the whole value (`10.244.2.7`, not
        /// `10.244.2.7 (sourceIPs: …)`).
        copy: Option<String>,
    },
    Json(jsontree::Line),
}

#[derive(Debug, Clone, Default)]
pub struct DetailState {
    pub handle: Option<u64>,
    pub event: Option<Box<AuditEvent>>,
    pub tree: JsonTree,
    pub header: Vec<DetailLine>,
    pub cursor: usize,
    pub scroll: usize,
    pub loading: bool,
}

impl DetailState {
    pub fn lines(&self) -> Vec<DetailLine> {
        let mut l = self.header.clone();
        l.extend(self.tree.lines().into_iter().map(DetailLine::Json));
        l
    }

    /// Waiting for the event (of this row handle, if known).
    pub fn loading(handle: Option<u64>) -> DetailState {
        DetailState {
            handle,
            loading: true,
            ..DetailState::default()
        }
    }

    /// Folds or unfolds the JSON node under the cursor, or (`all`) every node; the cursor
    /// stays on a line that is left, and the screen full of lines.
    fn fold(&mut self, all: Option<bool>, ctx: &Ctx<'_>) {
        match all {
            Some(f) => self.tree.fold_all(f),
            None => {
                if let Some(DetailLine::Json(l)) = self.lines().get(self.cursor) {
                    self.tree.toggle(l.node);
                }
            }
        }
        let len = self.lines().len();
        let visible = usize::try_from(ctx.page_rows() + 1).unwrap_or(usize::MAX);
        self.cursor = self.cursor.min(len.saturating_sub(1));
        self.scroll = self
            .scroll
            .min(len.saturating_sub(visible))
            .min(self.cursor);
    }

    /// The lineage of `credential` arrived: it replaces the section's placeholder when the
    /// event shown uses that credential (the cursor stays on its line).
    pub fn set_lineage(
        &mut self,
        credential: &str,
        lineage: &[crate::story::lineage::Lineage],
        tz: &jiff::tz::TimeZone,
    ) {
        let ours = self.event.as_ref().and_then(|e| e.credential.id.as_deref()) == Some(credential);
        let section = |name: &str| {
            self.header
                .iter()
                .position(|l| matches!(l, DetailLine::Section(s) if s == name))
        };
        let (Some(start), Some(end)) = (section(super::lineage::SECTION), section("raw event"))
        else {
            return;
        };
        if !ours || start >= end {
            return;
        }
        let new = lineage_section(super::lineage::lines(lineage, tz));
        let (old_len, new_len) = (end - start, new.len());
        self.header.splice(start..end, new);
        if self.cursor >= end {
            self.cursor = (self.cursor + new_len).saturating_sub(old_len);
        }
    }

    /// The value under the cursor.
    fn value(&self) -> Option<String> {
        Some(match self.lines().get(self.cursor)? {
            DetailLine::Field { value, copy, .. } => copy.clone().unwrap_or_else(|| value.clone()),
            DetailLine::Json(l) => self.tree.value_of(l.node),
            DetailLine::Section(s) => s.clone(),
        })
    }
}

impl Component for DetailState {
    fn identity(&self, _ctx: &Ctx<'_>) -> Option<super::Focus> {
        let e = self.event.as_ref()?;
        super::Focus::of(&e.user.username, Some(&e.audit_id))
    }

    fn len(&self, _ctx: &Ctx<'_>) -> u64 {
        self.lines().len() as u64
    }

    fn position(&self) -> u64 {
        self.cursor as u64
    }

    fn select(&mut self, pos: u64, ctx: &Ctx<'_>) -> Option<Request> {
        self.cursor = usize::try_from(pos).unwrap_or(usize::MAX);
        let body = ctx.page_rows() + 1;
        self.scroll =
            usize::try_from(scroll_to(pos, self.scroll as u64, body)).unwrap_or(usize::MAX);
        None
    }

    fn on_action(&mut self, action: &Action, ctx: &Ctx<'_>) -> Intent {
        match action {
            Action::Open | Action::ToggleFold => self.fold(None, ctx),
            Action::ExpandAll => self.fold(Some(false), ctx),
            Action::CollapseAll => self.fold(Some(true), ctx),
            Action::Copy => return self.value().map_or(Intent::Ignored, Intent::Copy),
            _ => return Intent::Ignored,
        }
        Intent::Done
    }

    fn render(&self, _ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        render_detail(self, frame, area);
    }

    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        EVENT_SHORTCUTS
    }
}

fn render_detail(d: &DetailState, frame: &mut Frame, area: Rect) {
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
    let full = full_value(d, &lines, inner.width, height);
    let avail = height - full.len();
    // The cursor stays in sight above the full value.
    let start = if d.cursor >= d.scroll + avail {
        (d.cursor + 1).saturating_sub(avail)
    } else {
        d.scroll
    };
    let mut out = Vec::with_capacity(height);
    for (i, l) in lines.iter().enumerate().skip(start).take(avail) {
        let mut line = match l {
            DetailLine::Section(s) => Line::from(Span::styled(format!("── {s} "), theme::title())),
            DetailLine::Field {
                label,
                value,
                severity,
                ..
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
        // A value longer than its line ends in `…` (the pane below shows it whole).
        line = super::columns::cut_line(line, usize::from(inner.width));
        if i == d.cursor {
            line = line.style(theme::selected());
        }
        out.push(line);
    }
    out.resize(avail, Line::default());
    out.extend(full);
    frame.render_widget(Paragraph::new(out), inner);
}

/// At most this many lines of the screen show the value under the cursor when its line is
/// cut (a long request URI, a decoded command, an annotation).
const FULL_VALUE_LINES: usize = 8;

/// The lines that show the value under the cursor in full, wrapped to `width`, below the
/// list, when its line does not fit: a title then the value cut in `width`-cell pieces (the
/// last one ending in `…` when even those lines do not hold it). Nothing when it fits or the
/// screen is too small to spare the lines.
fn full_value(
    d: &DetailState,
    lines: &[DetailLine],
    width: u16,
    height: usize,
) -> Vec<Line<'static>> {
    let (value, shown) = match lines.get(d.cursor) {
        Some(DetailLine::Field { label, value, .. }) => {
            let label = (label.chars().count() + 1).max(15);
            (
                value.clone(),
                2 + label + super::columns::width_of(&clean(value)),
            )
        }
        Some(DetailLine::Json(j)) if !j.foldable => {
            let key = j
                .key
                .as_ref()
                .map_or(0, |k| super::columns::width_of(&clean(k)) + 2);
            let shown = 2 * (j.depth + 2) + key + super::columns::width_of(&clean(&j.text));
            (d.tree.value_of(j.node), shown)
        }
        _ => return Vec::new(),
    };
    let width = usize::from(width);
    let room = (height / 3).min(FULL_VALUE_LINES);
    if shown <= width || width < 10 || room < 2 {
        return Vec::new();
    }
    let mut pieces = super::columns::wrap(&clean(&value), width, width);
    let cut = pieces.len() > room - 1;
    pieces.truncate(room - 1);
    if cut && let Some(last) = pieces.last_mut() {
        *last = super::columns::truncate(
            &format!("{last}…"),
            u16::try_from(width).unwrap_or(u16::MAX),
        );
    }
    let mut out = vec![Line::from(Span::styled(
        "── full value (c copies it) ".to_owned(),
        theme::title(),
    ))];
    out.extend(pieces.into_iter().map(Line::from));
    out
}

/// The decoded fields on top, the findings the event belongs to, then the raw JSON.
#[expect(
    clippy::too_many_lines,
    reason = "a flat list of labelled fields in display order; splitting it would scatter the order"
)]
pub fn build(event: Box<AuditEvent>, raw: &str, ctx: &Ctx<'_>) -> DetailState {
    let (findings, finding_of, tz) = (ctx.findings, ctx.finding_of, ctx.tz);
    let e = &event;
    let mut header = vec![DetailLine::Section("event".into())];
    let mut field = |label: &str, value: String| {
        if !value.trim().is_empty() {
            header.push(DetailLine::Field {
                label: label.to_owned(),
                value,
                severity: None,
                copy: None,
            });
        }
    };
    field(
        "time",
        format!(
            "{} ({})",
            e.time.display_in(tz),
            tz.iana_name().unwrap_or("UTC")
        ),
    );
    field("audit id", e.audit_id.clone());
    let stages: Vec<&str> = e.stages.iter().map(crate::model::Stage::as_str).collect();
    field(
        "stage",
        format!(
            "{} (seen: {})",
            e.stage.map_or("-", |s| s.as_str()),
            stages.join(", ")
        ),
    );
    field("user", format!("{}  [{}]", e.user.username, e.actor.kind));
    field("groups", e.user.groups.join(", "));
    if let Some(imp) = &e.impersonated {
        field("impersonating", imp.username.clone());
    }
    field("credential", e.credential.id.clone().unwrap_or_default());
    field(
        "bound pod",
        e.credential.pod_name.clone().unwrap_or_default(),
    );
    field("node", e.credential.node_name.clone().unwrap_or_default());
    field(
        "source ip",
        format!(
            "{} (sourceIPs: {})",
            e.peer_ip().unwrap_or("-"),
            e.source_ips.join(", ")
        ),
    );
    field("user agent", e.user_agent.clone());
    field(
        "request",
        // As `show` tells it: `verb resource ns/name`, or `verb /path` for a request about
        // no object (it read `get  /`).
        if e.object.resource.is_empty() {
            format!("{} {}", e.verb, e.path())
        } else {
            format!(
                "{} {} {}",
                e.verb,
                e.resource_path(),
                crate::model::row::join_target(&e.object.namespace, &e.object.name)
            )
        },
    );
    // As logged; decoded below when that differs (a decoded `command=` value holding `&` or
    // spaces would read as other parameters).
    field("uri", e.request_uri.clone());
    let decoded = crate::model::exec::decode_uri(&e.request_uri);
    if decoded != e.request_uri {
        field("uri decoded", decoded);
    }
    field(
        "response",
        format!(
            "{} {}",
            e.code.map(|c| c.to_string()).unwrap_or_default(),
            e.status_reason
        ),
    );
    field("message", e.status_message.clone());
    field("decision", format!("{} {}", e.decision, e.authz_reason));
    if let Some(x) = &e.exec {
        field("command", x.command_line.clone());
        field("container", x.container.clone().unwrap_or_default());
        let flags: Vec<&str> = [
            (x.stdin, "stdin"),
            (x.stdout, "stdout"),
            (x.stderr, "stderr"),
            (x.tty, "tty"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
        field("streams", flags.join(", "));
        field("kubelet target", x.target.clone().unwrap_or_default());
    }
    field("facts", e.facts.join(", "));
    field("source", e.source.to_string());
    for line in &mut header {
        if let DetailLine::Field { label, copy, .. } = line {
            *copy = copied_part(label, e, tz);
        }
    }
    if let Some(idx) = finding_of.get(&e.audit_id) {
        header.push(DetailLine::Section("findings".into()));
        for &i in idx {
            if let Some(f) = findings.get(i) {
                header.push(DetailLine::Field {
                    label: f.rule_id.clone(),
                    value: format!("{}: {}", f.title, f.summary),
                    severity: Some(f.severity),
                    copy: None,
                });
            }
        }
    }
    header.extend(lineage_section(super::lineage::pending(
        e.credential.id.as_deref(),
    )));
    header.push(DetailLine::Section("raw event".into()));
    let value: serde_json::Value =
        serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()));
    let mut tree = JsonTree::new(value);
    tree.fold_large(40, 4);
    DetailState {
        handle: None,
        event: Some(event),
        tree,
        header,
        cursor: 0,
        scroll: 0,
        loading: false,
    }
}

/// The lineage section's lines: its heading, then its entries (a use away from home in the
/// colour of a high finding).
fn lineage_section(entries: Vec<super::lineage::Entry>) -> Vec<DetailLine> {
    let mut out = vec![DetailLine::Section(super::lineage::SECTION.into())];
    out.extend(entries.into_iter().map(|e| DetailLine::Field {
        label: e.label,
        value: e.value,
        severity: e.away.then_some(crate::detect::Severity::High),
        copy: None,
    }));
    out
}

/// What `c` copies of a field whose line adds context to the value: the value alone.
fn copied_part(label: &str, e: &AuditEvent, tz: &jiff::tz::TimeZone) -> Option<String> {
    match label {
        "time" => Some(e.time.display_in(tz)),
        "stage" => e.stage.map(|s| s.as_str().to_owned()),
        "user" => Some(e.user.username.clone()),
        "source ip" => e.peer_ip().map(str::to_owned),
        "response" => e.code.map(|c| c.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::components::testing::Shared;

    const RAW: &str = r#"{"kind":"Event","auditID":"id-0","verb":"get","stageTimestamp":"2026-03-14T10:00:00Z","user":{"username":"alice","groups":["g"]},"objectRef":{"resource":"pods","namespace":"shop","name":"web-0"}}"#;

    fn detail(shared: &Shared) -> DetailState {
        let event = crate::ingest::formats::native::parse(
            RAW,
            crate::model::SourceRef::default(),
            crate::ingest::formats::NormalizeOptions::default(),
        )
        .unwrap();
        build(Box::new(event), RAW, &shared.ctx())
    }

    #[test]
    fn decoded_fields_then_findings_then_the_raw_json() {
        let mut shared = Shared::default();
        shared.finding_of.insert("id-0".into(), vec![1]);
        let d = detail(&shared);
        let sections: Vec<String> = d
            .lines()
            .into_iter()
            .filter_map(|l| match l {
                DetailLine::Section(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(
            sections,
            ["event", "findings", "credential lineage", "raw event"]
        );
        assert!(
            d.lines()
                .iter()
                .any(|l| matches!(l, DetailLine::Field { label, .. } if label == "KS-B"))
        );
    }

    #[test]
    fn folds_the_node_under_the_cursor_and_copies_its_value() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut d = detail(&shared);
        let before = d.lines().len();
        let user_line = d
            .lines()
            .iter()
            .position(|l| matches!(l, DetailLine::Json(j) if j.key.as_deref() == Some("user")))
            .unwrap();
        d.select(user_line as u64, &ctx);
        assert_eq!(d.on_action(&Action::ToggleFold, &ctx), Intent::Done);
        assert!(d.lines().len() < before, "folding hides the object's lines");
        d.on_action(&Action::ExpandAll, &ctx);
        assert_eq!(d.lines().len(), before);
        d.on_action(&Action::CollapseAll, &ctx);
        assert!(d.lines().len() < before);
        d.select(1, &ctx);
        assert!(matches!(d.on_action(&Action::Copy, &ctx), Intent::Copy(_)));
    }

    fn line_of(d: &DetailState, label: &str) -> u64 {
        d.lines()
            .iter()
            .position(|l| matches!(l, DetailLine::Field { label: l, .. } if l == label))
            .unwrap() as u64
    }

    #[test]
    fn regression_copy_in_the_detail_takes_the_value_alone() {
        // `c` on the source IP copied `10.244.2.7 (sourceIPs: …)`.
        let shared = Shared::default();
        let ctx = shared.ctx();
        let raw = RAW.replace(
            r#""verb":"get""#,
            r#""verb":"get","sourceIPs":["10.244.2.7"]"#,
        );
        let event = crate::ingest::formats::native::parse(
            &raw,
            crate::model::SourceRef::default(),
            crate::ingest::formats::NormalizeOptions::default(),
        )
        .unwrap();
        let mut d = build(Box::new(event), &raw, &ctx);
        d.select(line_of(&d, "source ip"), &ctx);
        assert_eq!(
            d.on_action(&Action::Copy, &ctx),
            Intent::Copy("10.244.2.7".into())
        );
        d.select(line_of(&d, "user"), &ctx);
        assert_eq!(
            d.on_action(&Action::Copy, &ctx),
            Intent::Copy("alice".into())
        );
    }

    #[test]
    fn regression_fold_all_keeps_the_view_on_content() {
        // `C` at the bottom of a long raw event left an empty screen.
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut d = detail(&shared);
        let last = d.len(&ctx) - 1;
        d.select(last, &ctx);
        d.scroll = usize::try_from(last).unwrap();
        d.on_action(&Action::CollapseAll, &ctx);
        let len = d.lines().len();
        assert!(d.cursor < len, "the cursor is on a line");
        assert!(d.scroll <= d.cursor);
        assert!(
            d.scroll == 0 || len - d.scroll >= 30,
            "the screen is full of lines: scroll {} of {len}",
            d.scroll
        );
    }
}

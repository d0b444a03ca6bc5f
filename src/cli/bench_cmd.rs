//! `kubesift bench-tui` (hidden): the workbench's latencies on an index, measured in process
//! with a test backend — time to the first frame, and key → redrawn frame (with its data) for
//! scrolling, filtering and pivoting. Prints p50 / p95 per kind of key.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use crate::session::{IndexDir, Session};
use crate::tui::keymap::Keymap;
use crate::tui::protocol::RequestKind;
use crate::tui::worker::Engine;
use crate::tui::{Action, App, Effect, render_to_buffer};

#[derive(Debug, Args)]
pub struct BenchTuiArgs {
    /// Terminal size, columns x rows.
    #[arg(long, default_value_t = 200)]
    pub width: u16,
    #[arg(long, default_value_t = 50)]
    pub height: u16,
}

fn settle(app: &mut App, engine: &mut Engine, mut eff: Option<Effect>) {
    while let Some(Effect::Request(r)) = eff {
        let kind = r.kind();
        let t = Instant::now();
        let resp = engine.handle(r);
        REQUESTS.with(|m| m.borrow_mut().entry(kind).or_default().push(t.elapsed()));
        eff = app.update(Action::Response(Box::new(resp)));
    }
}

thread_local! {
    /// Time the index took per kind of request.
    static REQUESTS: std::cell::RefCell<std::collections::BTreeMap<RequestKind, Vec<Duration>>> =
        const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
    /// Key → first redrawn frame (before the index answers), per key.
    static FRAMES: std::cell::RefCell<Vec<Duration>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One key: update and draw at once (what the UI thread does; the index answers on the
/// worker thread), then answer its requests and draw again. Returns key → frame with data.
fn key(
    app: &mut App,
    engine: &mut Engine,
    keymap: &Keymap,
    size: (u16, u16),
    action: Action,
) -> Duration {
    let t = Instant::now();
    let eff = app.update(action);
    let _ = render_to_buffer(app, keymap, size.0, size.1);
    FRAMES.with(|f| f.borrow_mut().push(t.elapsed()));
    settle(app, engine, eff);
    let _ = render_to_buffer(app, keymap, size.0, size.1);
    t.elapsed()
}

fn take_frames() -> Vec<Duration> {
    FRAMES.with(|f| std::mem::take(&mut *f.borrow_mut()))
}

fn typed(
    app: &mut App,
    engine: &mut Engine,
    keymap: &Keymap,
    size: (u16, u16),
    open: Action,
    text: &str,
) -> Duration {
    key(app, engine, keymap, size, open);
    // The prompt opens with the current query: erase it, as an analyst would.
    for _ in 0..app.input.as_ref().map_or(0, |i| i.text().chars().count()) {
        key(app, engine, keymap, size, Action::Backspace);
    }
    for c in text.chars() {
        key(app, engine, keymap, size, Action::Char(c));
    }
    key(app, engine, keymap, size, Action::Submit)
}

fn report(name: &str, data: Vec<Duration>) {
    line(&format!("{name} frame"), take_frames());
    line(&format!("{name} data"), data);
}

fn line(name: &str, mut times: Vec<Duration>) {
    times.sort();
    // Nearest rank: the smallest time at or above `p` percent of the samples.
    let pct = |p: usize| {
        times
            .get((times.len() * p).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "  {name:<14} n={:<4} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms",
        times.len(),
        pct(50).as_secs_f64() * 1e3,
        pct(95).as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

#[expect(
    clippy::too_many_lines,
    reason = "one scripted session read top to bottom, each step a measured stage"
)]
pub fn run(dir: &IndexDir, args: &BenchTuiArgs) -> anyhow::Result<ExitCode> {
    let size = (args.width, args.height);
    let keymap = Keymap::builtin();
    let launch = Instant::now();
    let session = Session::open(dir)?;
    let findings = session.default_findings()?;
    let facts = session.facts()?;
    let events = facts.events;
    let mut app = App::new(findings, facts, jiff::tz::TimeZone::UTC, "UTC".into(), size);
    let mut engine = Engine::new(session);
    let first = app.start();
    settle(&mut app, &mut engine, first);
    let _ = render_to_buffer(&app, &keymap, size.0, size.1);
    let first_frame = launch.elapsed();
    println!("{events} events, {} findings", app.findings.len());
    println!(
        "  first frame (detections, loaded) {:.0} ms",
        first_frame.as_secs_f64() * 1e3
    );

    let t = Instant::now();
    key(&mut app, &mut engine, &keymap, size, Action::ViewEvents);
    println!(
        "  events view, first page           {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "key → redrawn frame (\"frame\": drawn at once, the index answering on its thread) and → frame with the data (\"data\"):"
    );
    take_frames();

    let mut scroll = Vec::new();
    for _ in 0..100 {
        scroll.push(key(&mut app, &mut engine, &keymap, size, Action::Down));
    }
    for _ in 0..30 {
        scroll.push(key(&mut app, &mut engine, &keymap, size, Action::PageDown));
    }
    for a in [
        Action::Bottom,
        Action::PageUp,
        Action::Top,
        Action::HalfPageDown,
    ] {
        scroll.push(key(&mut app, &mut engine, &keymap, size, a));
    }
    for _ in 0..20 {
        scroll.push(key(&mut app, &mut engine, &keymap, size, Action::PageUp));
        scroll.push(key(&mut app, &mut engine, &keymap, size, Action::Bottom));
    }
    report("scroll", scroll);

    let mut filter = Vec::new();
    for q in [
        "verb:create",
        "ns:kube-system",
        "code:>=400",
        "res:secrets verb:list",
        "ua:curl*",
        "ip:10.244.0.0/16 NOT verb:get",
        "*",
        "user:system:serviceaccount:shop:web",
        "exec:*",
        "verb:get",
    ] {
        filter.push(typed(
            &mut app,
            &mut engine,
            &keymap,
            size,
            Action::Filter,
            q,
        ));
        filter.push(key(&mut app, &mut engine, &keymap, size, Action::Bottom));
    }
    report("filter", filter);

    let mut pivot = Vec::new();
    for i in 0..10 {
        key(&mut app, &mut engine, &keymap, size, Action::ClearFilters);
        for _ in 0..(i * 7) {
            key(&mut app, &mut engine, &keymap, size, Action::Down);
        }
        key(&mut app, &mut engine, &keymap, size, Action::PivotMenu);
        for _ in 0..(i % 3) {
            key(&mut app, &mut engine, &keymap, size, Action::Down);
        }
        pivot.push(key(&mut app, &mut engine, &keymap, size, Action::Open));
        pivot.push(key(&mut app, &mut engine, &keymap, size, Action::PivotBack));
        pivot.push(key(
            &mut app,
            &mut engine,
            &keymap,
            size,
            Action::PivotForward,
        ));
    }
    key(&mut app, &mut engine, &keymap, size, Action::ViewPivots);
    for _ in 0..5 {
        key(&mut app, &mut engine, &keymap, size, Action::Down);
        pivot.push(key(&mut app, &mut engine, &keymap, size, Action::Open));
        pivot.push(key(&mut app, &mut engine, &keymap, size, Action::PivotBack));
    }
    report("pivot", pivot);

    let mut other = vec![key(
        &mut app,
        &mut engine,
        &keymap,
        size,
        Action::ViewTimeline,
    )];
    other.push(key(
        &mut app,
        &mut engine,
        &keymap,
        size,
        Action::ViewEvents,
    ));
    other.push(key(&mut app, &mut engine, &keymap, size, Action::Open));
    other.push(typed(
        &mut app,
        &mut engine,
        &keymap,
        size,
        Action::Search,
        "verb:delete",
    ));
    other.push(key(
        &mut app,
        &mut engine,
        &keymap,
        size,
        Action::SearchNext,
    ));
    report("other", other);
    println!("index time per request (worker thread):");
    for (kind, times) in REQUESTS.with(|m| std::mem::take(&mut *m.borrow_mut())) {
        line(kind.as_str(), times);
    }
    Ok(ExitCode::SUCCESS)
}

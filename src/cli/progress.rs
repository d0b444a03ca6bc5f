//! An ingest on stderr: the progress bar while it runs (when stderr is a terminal), then the
//! first rejects, truncated and unreadable inputs, and the summary line (shared by `index`
//! and `kubesift PATH...`); then the detections run after it.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::detect::{Finding, Severity};
use crate::session::{IngestSummary, Progress};

/// Prints the first rejects, truncated inputs, unreadable inputs and the summary line. A
/// reject's reason can quote the log (the path of a wrong-typed field holds its map keys):
/// every line is escaped.
pub fn report(summary: &IngestSummary) {
    for r in &summary.first_rejects {
        say!("rejected {r}");
    }
    if summary.rejected > summary.first_rejects.len() as u64 {
        let more = summary.rejected - summary.first_rejects.len() as u64;
        let dir = summary.rejects_dir.display();
        if summary.rejects_not_stored > 0 {
            say!(
                "… {more} more rejected records: `kubesift rejects` lists those stored (the first \
                 {} of each reason per input, files in {dir}); {} more were counted, not stored",
                crate::ingest::STORED_PER_REASON,
                summary.rejects_not_stored
            );
        } else {
            say!("… {more} more rejected records: `kubesift rejects` lists them (files in {dir})");
        }
    }
    for t in &summary.truncated {
        say!("warning: {t}");
    }
    for p in &summary.problems {
        let what = if p.warning {
            "warning"
        } else {
            "error: cannot read"
        };
        say!("{what} {}: {}", p.path, p.reason);
    }
    if summary.files_read == 0 && summary.files_skipped == 0 && !summary.problems.is_empty() {
        // Nothing could be read: the errors above say why; a line of zeros would read as an
        // index written.
        say!("nothing indexed");
        return;
    }
    say!("indexed: {}", summary.line());
}

/// The line after the detections ran: how many findings, by severity, in how long.
pub fn report_detections(findings: &[Finding], took: Duration) {
    say!(
        "detections: {} ({}) in {:.2}s; list them with `kubesift detect`",
        crate::model::plural(findings.len(), "finding"),
        tally(findings),
        took.as_secs_f64()
    );
}

/// One line per severity: `2 critical, 5 high, …`.
pub(super) fn tally(findings: &[Finding]) -> String {
    let parts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|s| (s, findings.iter().filter(|f| f.severity == *s).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

/// indicatif progress on stderr: bytes, throughput, events/s and ETA. The bar is made when
/// the ingest starts reading (an ingest with nothing to read draws nothing).
pub struct Bar {
    enabled: bool,
    bar: OnceLock<ProgressBar>,
}

impl Bar {
    /// A bar when `wanted` and stderr is a terminal; else nothing is drawn.
    pub fn new(wanted: bool) -> Bar {
        Bar {
            enabled: wanted && std::io::stderr().is_terminal(),
            bar: OnceLock::new(),
        }
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: u64) {
        if !self.enabled {
            return;
        }
        let b = self
            .bar
            .get_or_init(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()));
        b.set_length(total_bytes);
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {msg} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        b.set_style(style);
        b.enable_steady_tick(Duration::from_millis(200));
    }

    fn update(&self, bytes: u64, events: u64) {
        if let Some(b) = self.bar.get() {
            b.set_position(bytes);
            let secs = b.elapsed().as_secs_f64().max(1e-3);
            #[expect(clippy::cast_precision_loss, reason = "a rate shown to whole units")]
            let rate = events as f64 / secs;
            b.set_message(format!("{events} records ({rate:.0}/s)"));
        }
    }

    fn finish(&self) {
        if let Some(b) = self.bar.get() {
            b.finish_and_clear();
        }
    }
}

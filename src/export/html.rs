//! The HTML report: one self-contained file (no scripts, fonts, images, stylesheets or
//! links to anything), a timeline chart as inline SVG with the findings marked, the
//! inputs with their SHA-256, the findings table and the events table. Everything from the
//! logs is HTML-escaped, and a Content-Security-Policy forbids loading anything should a
//! string ever get through.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Header, InputFile, Row, Sink, human_delta};
use crate::detect::{Finding, Severity};
use crate::model::Micros;
use crate::model::sanitize::escape_control;

pub struct Html<'w> {
    out: &'w mut dyn Write,
}

impl<'w> Html<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        Html { out }
    }
}

/// Escapes text for HTML content and attribute values; control characters made visible.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape_control(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Like [`esc`], keeping line breaks of multi-line text (notes) as `<br>`.
fn esc_lines(s: &str) -> String {
    s.split('\n')
        .map(|l| esc(l.trim_end_matches('\r')))
        .collect::<Vec<_>>()
        .join("<br>")
}

pub(super) const STYLE: &str = r#"
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 24px 0 8px; }
table { border-collapse: collapse; width: 100%; margin-bottom: 8px; }
th, td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; position: sticky; top: 0; }
td.mono, code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
td { overflow-wrap: anywhere; }
td.nw, td.rules { white-space: nowrap; overflow-wrap: normal; }
td.note, td.acct, td.target { min-width: 14em; } td.src { min-width: 18em; } td.ua { min-width: 10em; } td.cmd { min-width: 14em; }
div.scroll { overflow-x: auto; }
p.legend { color: #57606a; margin: 4px 0 0; } .legend .b { color: #0969da; } .legend .f { color: #cf222e; }
table.facts { width: auto; } table.facts th { position: static; }
tr.marked td { background: #fff8c5; }
.sev-critical { color: #fff; background: #a40e26; } .sev-high { color: #fff; background: #cf222e; }
.sev-medium { background: #fb8f44; } .sev-low { background: #fae17d; } .sev-info { background: #ddf4ff; }
.rules { color: #a40e26; font-weight: 600; }
svg { width: 100%; height: auto; border: 1px solid #d0d7de; }
svg .bar { fill: #0969da; } svg .finding { stroke: #cf222e; stroke-width: 2; }
svg .axis { font-size: 11px; fill: #57606a; }
@media print {
  body { margin: 0; font-size: 10px; }
  th { position: static; }
  div.scroll { overflow: visible; } td.nw, td.rules { white-space: normal; }
  tr { page-break-inside: avoid; }
  h2 { page-break-after: avoid; }
}
"#;

const CHART_W: f64 = 1000.0;
const CHART_H: f64 = 150.0;
const BINS: usize = 100;

/// The timeline chart: events per bin as bars, findings as red lines at their first event.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "chart geometry in f64: a bin index is in 0..BINS (clamped), counts and times only \
              need a pixel's precision"
)]
fn chart(times: &[Micros], findings: &[&Finding]) -> String {
    let mut svg = format!(
        "<svg viewBox=\"0 0 {CHART_W} {}\" role=\"img\" aria-label=\"events over time\">",
        CHART_H + 20.0
    );
    let (Some(first), Some(last)) = (times.first(), times.last()) else {
        svg.push_str("<text x=\"10\" y=\"20\" class=\"axis\">no events</text></svg>");
        return svg;
    };
    let (lo, mut hi) = (first.0, last.0);
    if hi <= lo {
        hi = lo + Micros::MINUTE;
    }
    let span = (hi - lo) as f64;
    let bin_of = |t: i64| -> usize {
        let f = (t - lo) as f64 / span;
        ((f * BINS as f64) as usize).min(BINS - 1)
    };
    let mut counts = [0u64; BINS];
    for t in times {
        counts[bin_of(t.0)] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let bw = CHART_W / BINS as f64;
    for (i, &n) in counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let h = (n as f64 / max * (CHART_H - 10.0)).max(1.0);
        let _ = write!(
            svg,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{n} events</title></rect>",
            i as f64 * bw + 0.5,
            CHART_H - h,
            (bw - 1.0).max(0.5),
        );
    }
    for f in findings {
        let t = f.first_seen_micros().0;
        if t < lo || t > hi {
            continue;
        }
        let x = (t - lo) as f64 / span * CHART_W;
        let _ = write!(
            svg,
            "<line class=\"finding\" x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{CHART_H}\"><title>{} {} — {}</title></line>",
            esc(&f.rule_id),
            esc(&f.account),
            esc(&f.first_seen)
        );
    }
    let _ = write!(
        svg,
        "<text class=\"axis\" x=\"2\" y=\"{y}\">{}</text><text class=\"axis\" x=\"{CHART_W}\" y=\"{y}\" text-anchor=\"end\">{}</text></svg>",
        esc(&first.rfc3339()),
        esc(&Micros(hi).rfc3339()),
        y = CHART_H + 15.0
    );
    svg
}

/// The most events in one interval of the chart.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the same f64 binning as `chart`; the bin index is clamped to 0..BINS"
)]
fn peak(times: &[Micros]) -> u64 {
    let (Some(first), Some(last)) = (times.first(), times.last()) else {
        return 0;
    };
    let span = (last.0 - first.0).max(Micros::MINUTE) as f64;
    let mut counts = [0u64; BINS];
    for t in times {
        let i = (((t.0 - first.0) as f64 / span) * BINS as f64) as usize;
        counts[i.min(BINS - 1)] += 1;
    }
    counts.into_iter().max().unwrap_or(0)
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev-critical",
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low => "sev-low",
        Severity::Info => "sev-info",
    }
}

impl Html<'_> {
    /// Every input of the index with its SHA-256, as the Markdown and CSV provenance list
    /// them: what a reader checks the evidence against.
    fn inputs(&mut self, inputs: &[InputFile]) -> io::Result<()> {
        writeln!(
            self.out,
            "<h2>Inputs</h2>\n<div class=\"scroll\"><table class=\"inputs\"><thead><tr><th>File</th><th>SHA-256</th><th>Bytes</th><th>Events</th><th>Rejected</th></tr></thead><tbody>"
        )?;
        for f in inputs {
            writeln!(
                self.out,
                "<tr><td class=\"mono src\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.path),
                esc(&f.sha256),
                f.size,
                f.events,
                f.rejected
            )?;
        }
        writeln!(self.out, "</tbody></table></div>")
    }
}

impl Sink for Html<'_> {
    fn begin(&mut self, h: &Header<'_>) -> io::Result<()> {
        let p = h.provenance;
        let title = if p.title.is_empty() {
            "kubesift case timeline"
        } else {
            &p.title
        };
        write!(
            self.out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style></head>\n<body>\n<h1>{}</h1>\n",
            esc(title),
            esc(title)
        )?;
        writeln!(self.out, "<table class=\"facts\">")?;
        let mut facts = vec![
            ("Analyst", esc(&p.analyst)),
            ("Generated", esc(&p.generated_at)),
            ("kubesift", esc(&p.kubesift_version)),
            ("Time zone", p.time_zone.to_owned()),
            ("Selection", esc_lines(&p.selection.join("\n"))),
            ("Index", esc(&p.index)),
        ];
        if let Some(c) = &p.case_file {
            facts.push(("Case file", esc(c)));
        }
        facts.push((
            "Counts",
            format!(
                "{} events exported ({} bookmarked), {} findings, {} events in the index",
                p.counts.events, p.counts.bookmarked, p.counts.findings, p.counts.index_events
            ),
        ));
        for (k, v) in facts {
            writeln!(self.out, "<tr><th>{k}</th><td>{v}</td></tr>")?;
        }
        writeln!(self.out, "</table>")?;
        self.inputs(&p.inputs)?;

        writeln!(
            self.out,
            "<h2>Timeline</h2>\n{}\n<p class=\"legend\"><span class=\"b\">■</span> exported events per interval (tallest: {}) · <span class=\"f\">|</span> first event of a finding (hover for the rule)</p>",
            chart(h.times, &h.findings),
            peak(h.times)
        )?;

        if !h.findings.is_empty() {
            writeln!(
                self.out,
                "<h2>Findings</h2>\n<div class=\"scroll\"><table><thead><tr><th>Severity</th><th>Rule</th><th>Account</th><th>First seen (UTC)</th><th>Last seen (UTC)</th><th>Events</th><th>Summary</th></tr></thead><tbody>"
            )?;
            for f in &h.findings {
                writeln!(
                    self.out,
                    "<tr><td class=\"{}\">{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                    severity_class(f.severity),
                    f.severity,
                    esc(&f.rule_id),
                    esc(&f.account),
                    esc(&f.first_seen),
                    esc(&f.last_seen),
                    f.count,
                    esc(&f.summary)
                )?;
            }
            writeln!(self.out, "</tbody></table></div>")?;
        }

        writeln!(
            self.out,
            "<h2>Events</h2>\n<div class=\"scroll\"><table><thead><tr><th>Time (UTC)</th><th>Δ</th><th>Account</th><th>Actor</th><th>Verb</th><th>Resource</th><th>Namespace/Name</th><th>Source IP</th><th>User agent</th><th>Code</th><th>Command</th><th>Rules</th><th>Tags</th><th>Note</th><th>Audit ID</th><th>Source</th></tr></thead><tbody>"
        )
    }

    fn row(&mut self, r: &Row<'_>) -> io::Result<()> {
        let (e, m) = (&r.event, &r.marks);
        let class = if m.bookmarked {
            " class=\"marked\""
        } else {
            ""
        };
        writeln!(
            self.out,
            "<tr{class}><td class=\"mono nw\">{}</td><td class=\"mono nw\">{}</td><td class=\"acct\">{}</td><td class=\"nw\">{}</td><td class=\"nw\">{}</td><td class=\"nw\">{}</td><td class=\"target\">{}</td><td class=\"mono nw\">{}</td><td class=\"ua\">{}</td><td class=\"mono nw\">{}</td><td class=\"mono cmd\">{}</td><td class=\"rules\">{}</td><td class=\"nw\">{}</td><td class=\"note\">{}</td><td class=\"mono nw\">{}</td><td class=\"mono src\">{}</td></tr>",
            esc(&e.time.rfc3339()),
            esc(&human_delta(m.delta_us)),
            esc(&e.user),
            esc(&e.actor_kind),
            esc(&e.verb),
            esc(&e.resource_or_path()),
            esc(&e.target()),
            esc(e.peer()),
            esc(&e.user_agent),
            e.code.map(|c| c.to_string()).unwrap_or_default(),
            esc(e.command_line()),
            m.rules
                .iter()
                .map(|x| esc(x))
                .collect::<Vec<_>>()
                .join("<br>"),
            m.tags
                .iter()
                .map(|x| esc(x))
                .collect::<Vec<_>>()
                .join("<br>"),
            esc_lines(&m.note),
            esc(&e.audit_id),
            esc(&r.source()),
        )
    }

    fn end(&mut self) -> io::Result<()> {
        writeln!(self.out, "</tbody></table></div>\n</body></html>")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\x1b"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\x1b"
        );
        assert_eq!(esc_lines("a\nb<"), "a<br>b&lt;");
    }

    #[test]
    fn chart_marks_findings_and_handles_one_instant() {
        let t = Micros(1_700_000_000_000_000);
        let svg = chart(&[t, t], &[]);
        assert!(svg.contains("<rect"), "{svg}");
        assert!(chart(&[], &[]).contains("no events"));
    }
}

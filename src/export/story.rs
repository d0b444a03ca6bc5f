//! An incident's story for the ticket (`export --incident ID`): Markdown, self-contained
//! HTML with an inline SVG graph of its identities, pods, nodes and addresses, JSON Lines
//! (a first `incident` record, then one `event` record per event) and CSV (one row per
//! event). Log strings are escaped for each format; CSV formulas are neutralised.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::html::{STYLE, esc};
use super::text::md;
use super::{ExportError, ExportFormat};
use crate::fsutil;
use crate::incidents::{Graph, Incident};
use crate::model::sanitize::{csv_cell, json_to_writer};
use crate::model::{AuditEvent, EventRow};

/// The event columns of the story's CSV and tables: a contract (README, "Incidents").
pub const COLUMNS: [&str; 11] = [
    "time_utc",
    "audit_id",
    "account",
    "verb",
    "resource",
    "namespace_name",
    "source_ip",
    "user_agent",
    "code",
    "command",
    "rules",
];

/// Writes the story of `inc` with its events (time order).
pub fn incident(
    inc: &Incident,
    events: &[AuditEvent],
    format: ExportFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rules = rules_by_event(inc);
    match format {
        ExportFormat::Csv => csv(events, &rules, out),
        ExportFormat::Jsonl => jsonl(inc, events, &rules, out),
        ExportFormat::Markdown => markdown(inc, events, &rules, out),
        ExportFormat::Html => html(inc, events, &rules, out),
    }
}

/// Writes the story into a file through a private temporary file renamed into place; a file
/// inside the index directory is refused before anything is written.
pub fn incident_to_file(
    inc: &Incident,
    events: &[AuditEvent],
    format: ExportFormat,
    index_root: &std::path::Path,
    path: &std::path::Path,
) -> Result<(), ExportError> {
    super::check_destination(path, index_root, None)?;
    let mut file = fsutil::AtomicFile::create(path)?;
    {
        let mut out = io::BufWriter::new(file.file());
        incident(inc, events, format, &mut out)?;
        out.flush()?;
    }
    file.commit()?;
    Ok(())
}

/// The rule ids of the steps standing on each audit ID.
fn rules_by_event(inc: &Incident) -> HashMap<&str, Vec<&str>> {
    let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in &inc.steps {
        for id in &s.audit_ids {
            let rules = map.entry(id.as_str()).or_default();
            if !rules.contains(&s.rule_id.as_str()) {
                rules.push(s.rule_id.as_str());
            }
        }
    }
    map
}

fn cells(e: &AuditEvent, rules: &HashMap<&str, Vec<&str>>) -> Vec<String> {
    let r = EventRow::of(e);
    vec![
        e.time.rfc3339(),
        e.audit_id.clone(),
        r.user.to_string(),
        r.verb.to_string(),
        r.resource_or_path(),
        r.target(),
        r.peer().to_owned(),
        r.user_agent.to_string(),
        r.code.map(|c| c.to_string()).unwrap_or_default(),
        r.command_line().to_owned(),
        rules
            .get(e.audit_id.as_str())
            .map(|v| v.join(" "))
            .unwrap_or_default(),
    ]
}

fn csv(
    events: &[AuditEvent],
    rules: &HashMap<&str, Vec<&str>>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS).map_err(csv_io)?;
    for e in events {
        let row = cells(e, rules);
        w.write_record(row.iter().map(|c| csv_cell(c).into_owned()))
            .map_err(csv_io)?;
    }
    w.flush()
}

/// A CSV writer's error as an I/O error, a write's own error kept whole: a reader closing
/// the pipe (`| head`) is a normal end, and was reported as an error.
fn csv_io(e: csv::Error) -> io::Error {
    if !e.is_io_error() {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        _ => io::Error::other("the CSV writer failed"),
    }
}

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    value: &'a T,
}

fn jsonl(
    inc: &Incident,
    events: &[AuditEvent],
    rules: &HashMap<&str, Vec<&str>>,
    out: &mut dyn Write,
) -> io::Result<()> {
    json_to_writer(
        &mut *out,
        &Tagged {
            kind: "incident",
            value: inc,
        },
    )?;
    writeln!(out)?;
    for e in events {
        let record: serde_json::Map<String, serde_json::Value> = COLUMNS
            .iter()
            .zip(cells(e, rules))
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v)))
            .collect();
        json_to_writer(
            &mut *out,
            &Tagged {
                kind: "event",
                value: &record,
            },
        )?;
        writeln!(out)?;
    }
    Ok(())
}

fn markdown(
    inc: &Incident,
    events: &[AuditEvent],
    rules: &HashMap<&str, Vec<&str>>,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "# {} — {}\n", md(&inc.id), md(&inc.title))?;
    writeln!(out, "| | |\n|---|---|")?;
    for (k, v) in facts(inc) {
        writeln!(out, "| {k} | {} |", md(&v))?;
    }
    writeln!(out, "\n## Story\n")?;
    for (n, s) in inc.steps.iter().enumerate() {
        // A line under an item is indented by the width of its marker (`9. ` three, `10. `
        // four): with three under step 10, CommonMark made it a list of its own.
        let indent = " ".repeat(format!("{}. ", n + 1).len());
        writeln!(
            out,
            "{}. **{}** {} `{}` {} — {} ({})",
            n + 1,
            md(&s.time),
            s.severity,
            md(&s.rule_id),
            md(&s.title),
            md(&s.account),
            md(&s.source_ips.join(", "))
        )?;
        match &s.link {
            Some(l) => writeln!(
                out,
                "{indent}- linked to step {} ({}): {}",
                l.to_step + 1,
                md(&l.kind),
                md(&l.explanation)
            )?,
            None if n > 0 => writeln!(out, "{indent}- {}", md(&inc.thread_start(n)))?,
            None => {}
        }
    }
    writeln!(out, "\n## Advice\n")?;
    for a in &inc.advice {
        writeln!(out, "- {}", md(a))?;
    }
    writeln!(out, "\n## Events\n")?;
    writeln!(out, "| {} |", COLUMNS.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(COLUMNS.len()))?;
    for e in events {
        let row: Vec<String> = cells(e, rules).iter().map(|c| md(c)).collect();
        writeln!(out, "| {} |", row.join(" | "))?;
    }
    Ok(())
}

fn facts(inc: &Incident) -> Vec<(&'static str, String)> {
    vec![
        ("Severity", inc.severity.to_string()),
        ("First seen", inc.first_seen.clone()),
        ("Last seen", inc.last_seen.clone()),
        ("Identities", inc.identities.join(", ")),
        ("Source addresses", inc.source_ips.join(", ")),
        ("Tactics", inc.tactics.join(" → ")),
        ("Findings", inc.steps.len().to_string()),
        ("Events", inc.audit_ids.len().to_string()),
    ]
}

fn html(
    inc: &Incident,
    events: &[AuditEvent],
    rules: &HashMap<&str, Vec<&str>>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let title = format!("{} — {}", inc.id, inc.title);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{0}</title>\n<style>{STYLE}</style></head>\n<body>\n<h1>{0}</h1>\n<table class=\"facts\">\n",
        esc(&title)
    )?;
    for (k, v) in facts(inc) {
        writeln!(out, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v))?;
    }
    writeln!(out, "</table>\n<h2>Graph</h2>\n{}", svg(&inc.graph))?;
    writeln!(out, "<h2>Story</h2>\n<ol>")?;
    for (n, s) in inc.steps.iter().enumerate() {
        write!(
            out,
            "<li><code>{}</code> <span class=\"sev-{}\">{}</span> <b>{}</b> {} — {}",
            esc(&s.time),
            s.severity,
            s.severity,
            esc(&s.rule_id),
            esc(&s.title),
            esc(&s.account)
        )?;
        match &s.link {
            Some(l) => write!(
                out,
                "<br>↳ step {} ({}): {}",
                l.to_step + 1,
                esc(&l.kind),
                esc(&l.explanation)
            )?,
            None if n > 0 => write!(out, "<br>{}", esc(&inc.thread_start(n)))?,
            None => {}
        }
        writeln!(out, "</li>")?;
    }
    writeln!(out, "</ol>\n<h2>Advice</h2>\n<ul>")?;
    for a in &inc.advice {
        writeln!(out, "<li>{}</li>", esc(a))?;
    }
    writeln!(
        out,
        "</ul>\n<h2>Events</h2>\n<div class=\"scroll\"><table>\n<tr>"
    )?;
    for c in COLUMNS {
        write!(out, "<th>{c}</th>")?;
    }
    writeln!(out, "</tr>")?;
    for e in events {
        let mut row = String::new();
        for c in cells(e, rules) {
            let _ = write!(row, "<td>{}</td>", esc(&c));
        }
        writeln!(out, "<tr>{row}</tr>")?;
    }
    writeln!(out, "</table></div>\n</body></html>")
}

const GRAPH_SIZE: f64 = 900.0;

/// The graph as inline SVG: entities on a circle, links as lines; every label escaped.
#[expect(
    clippy::cast_precision_loss,
    clippy::many_single_char_names,
    reason = "a few dozen nodes placed on a circle: a pixel's precision; geometry's names"
)]
pub fn svg(g: &Graph) -> String {
    let (c, r) = (GRAPH_SIZE / 2.0, GRAPH_SIZE / 2.0 - 140.0);
    let n = g.nodes.len().max(1) as f64;
    let at = |i: usize| {
        let a = std::f64::consts::TAU * i as f64 / n;
        (c + r * a.cos(), c + r * a.sin())
    };
    let mut s = format!(
        "<svg viewBox=\"0 0 {GRAPH_SIZE} {GRAPH_SIZE}\" role=\"img\" aria-label=\"identities, pods, nodes and addresses of the incident\">"
    );
    for e in &g.edges {
        let ((x1, y1), (x2, y2)) = (at(e.from), at(e.to));
        let _ = write!(
            s,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#8c959f\"><title>{}</title></line>",
            esc(&e.label)
        );
    }
    for (i, node) in g.nodes.iter().enumerate() {
        let (x, y) = at(i);
        let fill = match node.kind.as_str() {
            "identity" => "#0969da",
            "address" => "#8250df",
            "pod" => "#1a7f37",
            "node" => "#cf222e",
            _ => "#bf8700",
        };
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"{fill}\"><title>{}: {}</title></circle>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            esc(&node.kind),
            esc(&node.label),
            x,
            y - 11.0,
            esc(&node.label)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that closed its end of the pipe (`| head`).
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    /// `export --incident ID --format csv | head` ended with `error: Broken pipe`, exit 1: the
    /// CSV writer's error hid the pipe's.
    #[test]
    fn regression_csv_story_into_a_closed_pipe_was_an_error() {
        // More rows than the CSV writer buffers: the write of a row meets the closed pipe.
        let line = format!(
            r#"{{"kind":"Event","auditID":"a","verb":"get","requestURI":"/api/v1/pods","userAgent":"{}","stageTimestamp":"2024-01-01T00:00:00Z"}}"#,
            "x".repeat(200)
        );
        let events: Vec<AuditEvent> = (0..100)
            .filter_map(|_| {
                let source = crate::model::SourceRef::default();
                let decoded =
                    crate::decode_record(&line, &source, crate::NormalizeOptions::default());
                decoded.into_iter().next()?.ok().map(|d| d.event)
            })
            .collect();
        assert_eq!(events.len(), 100);
        let err = csv(&events, &HashMap::new(), &mut Closed).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    }
}

//! The text formats: CSV (a pure table; provenance in a sidecar), JSON Lines (a first
//! `meta` record, then `finding` and `event` records) and Markdown (for a ticket).

use std::io::{self, Write};

use serde::Serialize;

use super::{Header, Marks, Row, Sink, human_delta};
use crate::detect::Finding;
use crate::model::fields::Column;
use crate::model::sanitize::{csv_cell, escape_control};

/// The CSV columns: a contract (README, "Export"). The registry's fields are headed by their
/// export columns.
pub const CSV_COLUMNS: [Column<Marks>; 18] = [
    Column::Own("time_utc", |e, _| e.time.rfc3339()),
    Column::Own("delta_s", |_, m| {
        m.delta_us.map(seconds_6).unwrap_or_default()
    }),
    Column::Field("audit_id"),
    Column::Field("user"),
    Column::Field("actor_kind"),
    Column::Field("verb"),
    Column::Own("resource", |e, _| e.resource_or_path()),
    Column::Own("namespace_name", |e, _| e.target()),
    Column::Field("peer"),
    Column::Field("ua"),
    Column::Field("code"),
    Column::Own("command", |e, _| e.command_line().to_owned()),
    Column::Own("rules", |_, m| m.rules.join(" ")),
    Column::Own("tags", |_, m| m.tags.join(" ")),
    Column::Own("note", |_, m| m.note.clone()),
    Column::Own("source_file", |e, _| e.source.file.clone()),
    Column::Own("source_line", |e, _| e.source.line.to_string()),
    Column::Field("cluster"),
];

pub struct Csv<'w> {
    w: csv::Writer<&'w mut dyn Write>,
}

impl<'w> Csv<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        Csv {
            w: csv::Writer::from_writer(out),
        }
    }
}

/// Microseconds as seconds with six decimals, exactly (`-1.500000`).
fn seconds_6(us: i64) -> String {
    let sign = if us < 0 { "-" } else { "" };
    let us = us.unsigned_abs();
    format!("{sign}{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// A CSV writer's error as the I/O error it is, its kind kept (a closed pipe stays one).
fn csv_err(e: csv::Error) -> io::Error {
    if !matches!(e.kind(), csv::ErrorKind::Io(_)) {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl Sink for Csv<'_> {
    fn begin(&mut self, _: &Header<'_>) -> io::Result<()> {
        self.w
            .write_record(CSV_COLUMNS.iter().map(Column::header))
            .map_err(csv_err)
    }

    fn row(&mut self, r: &Row<'_>) -> io::Result<()> {
        let cells = CSV_COLUMNS
            .iter()
            .map(|c| csv_cell(&c.cell(&r.event, &r.marks)).into_owned());
        self.w.write_record(cells).map_err(csv_err)
    }

    fn end(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

pub struct Jsonl<'w> {
    out: &'w mut dyn Write,
    /// One record, serialised here and written at once: serde's many small writes through
    /// `dyn Write` cost more than the record.
    line: Vec<u8>,
}

impl<'w> Jsonl<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        Jsonl {
            out,
            line: Vec::with_capacity(1024),
        }
    }

    fn record(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.line.clear();
        crate::model::sanitize::json_to_writer(&mut self.line, value)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }
}

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

impl Sink for Jsonl<'_> {
    fn begin(&mut self, h: &Header<'_>) -> io::Result<()> {
        self.record(&Tagged {
            kind: "meta",
            body: h.provenance,
        })?;
        for f in &h.findings {
            self.record(&Tagged {
                kind: "finding",
                body: *f,
            })?;
        }
        Ok(())
    }

    fn row(&mut self, r: &Row<'_>) -> io::Result<()> {
        self.record(&Tagged {
            kind: "event",
            body: r,
        })
    }

    fn end(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

pub struct Markdown<'w> {
    out: &'w mut dyn Write,
}

impl<'w> Markdown<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        Markdown { out }
    }
}

/// A table cell: no control characters, nothing Markdown or HTML would interpret (links,
/// emphasis, raw tags, entities, pipes), newlines as `<br>`.
pub fn md(s: &str) -> String {
    s.split('\n')
        .map(|line| md_line(line.trim_end_matches('\r')))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// One line of a cell. `<`, `>` and `&` become entities (raw HTML and entity references are
/// read as text); Markdown's punctuation is backslash-escaped; quotes are harmless in a cell
/// and kept readable for plain-text tickets.
fn md_line(line: &str) -> String {
    let line = escape_control(line);
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn table(out: &mut dyn Write, head: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(head.len()))?;
    for r in rows {
        writeln!(out, "| {} |", r.join(" | "))?;
    }
    writeln!(out)
}

fn finding_cells(f: &Finding) -> Vec<String> {
    vec![
        f.severity.as_str().to_owned(),
        md(&f.rule_id),
        md(&f.account),
        md(&f.first_seen),
        f.count.to_string(),
        md(&f.summary),
    ]
}

impl Sink for Markdown<'_> {
    fn begin(&mut self, h: &Header<'_>) -> io::Result<()> {
        let p = h.provenance;
        let title = if p.title.is_empty() {
            "kubesift case timeline"
        } else {
            &p.title
        };
        writeln!(self.out, "# {}\n", md(title))?;
        let mut facts = vec![
            vec!["Analyst".to_owned(), md(&p.analyst)],
            vec!["Generated".to_owned(), md(&p.generated_at)],
            vec!["kubesift".to_owned(), md(&p.kubesift_version)],
            vec!["Time zone".to_owned(), p.time_zone.to_owned()],
            vec!["Selection".to_owned(), md(&p.selection.join("\n"))],
            vec!["Index".to_owned(), md(&p.index)],
        ];
        if let Some(c) = &p.case_file {
            facts.push(vec!["Case file".to_owned(), md(c)]);
        }
        facts.push(vec![
            "Counts".to_owned(),
            format!(
                "{} events exported ({} bookmarked), {} findings, {} events in the index",
                p.counts.events, p.counts.bookmarked, p.counts.findings, p.counts.index_events
            ),
        ]);
        table(&mut *self.out, &["", ""], &facts)?;

        writeln!(self.out, "## Inputs\n")?;
        let inputs: Vec<Vec<String>> = p
            .inputs
            .iter()
            .map(|f| {
                vec![
                    md(&f.path),
                    format!("`{}`", f.sha256),
                    f.events.to_string(),
                    f.rejected.to_string(),
                ]
            })
            .collect();
        table(
            &mut *self.out,
            &["File", "SHA-256", "Events", "Rejected"],
            &inputs,
        )?;

        if !h.findings.is_empty() {
            writeln!(self.out, "## Findings\n")?;
            let rows: Vec<Vec<String>> = h.findings.iter().map(|f| finding_cells(f)).collect();
            table(
                &mut *self.out,
                &[
                    "Severity",
                    "Rule",
                    "Account",
                    "First seen (UTC)",
                    "Events",
                    "Summary",
                ],
                &rows,
            )?;
        }
        writeln!(self.out, "## Timeline\n")?;
        let head = [
            "Time (UTC)",
            "Δ",
            "Account",
            "Actor",
            "Verb",
            "Resource",
            "Namespace/Name",
            "Source IP",
            "User agent",
            "Code",
            "Command",
            "Rules",
            "Tags",
            "Note",
            "Audit ID",
            "Source",
        ];
        writeln!(self.out, "| {} |", head.join(" | "))?;
        writeln!(self.out, "|{}", "---|".repeat(head.len()))
    }

    fn row(&mut self, r: &Row<'_>) -> io::Result<()> {
        let (e, m) = (&r.event, &r.marks);
        let command = if e.command_line().is_empty() {
            String::new()
        } else {
            md(e.command_line())
        };
        let cells = [
            md(&e.time.rfc3339()),
            human_delta(m.delta_us),
            md(&e.user),
            md(&e.actor_kind),
            md(&e.verb),
            md(&e.resource_or_path()),
            md(&e.target()),
            md(e.peer()),
            md(&e.user_agent),
            e.code.map(|c| c.to_string()).unwrap_or_default(),
            command,
            md(&m.rules.join(" ")),
            md(&m.tags.join(", ")),
            md(&m.note),
            md(&e.audit_id),
            md(&r.source()),
        ];
        writeln!(self.out, "| {} |", cells.join(" | "))
    }

    fn end(&mut self) -> io::Result<()> {
        writeln!(self.out)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_cannot_break_out() {
        assert_eq!(md("a|b"), "a\\|b");
        assert_eq!(md("[x](http://e)"), "\\[x\\]\\(http://e\\)");
        assert_eq!(md("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(md("l1\nl2"), "l1<br>l2");
        assert_eq!(md("\x1b[2J"), "\\\\x1b\\[2J");
    }

    #[test]
    fn markdown_cells_keep_entity_text_and_quotes_literal() {
        // Written directly, not as HTML escaping partly undone: text that looks like an
        // entity stays text, quotes stay plain.
        assert_eq!(md("&#39; &quot; &amp;"), "&amp;#39; &amp;quot; &amp;amp;");
        assert_eq!(md("it's \"x\""), "it's \"x\"");
        assert_eq!(md("a<b>&c"), "a&lt;b&gt;&amp;c");
    }

    /// The CSV `delta_s` column, formerly `{:.6}` of an `f64`, is now written from the integer
    /// microseconds: the same text, exact at any size.
    #[test]
    fn delta_seconds_are_written_exactly_with_six_decimals() {
        assert_eq!(seconds_6(0), "0.000000");
        assert_eq!(seconds_6(1), "0.000001");
        assert_eq!(seconds_6(-1), "-0.000001");
        assert_eq!(seconds_6(-1_500_000), "-1.500000");
        assert_eq!(seconds_6(86_400_000_123), "86400.000123");
        assert_eq!(seconds_6(i64::MIN), "-9223372036854.775808");
    }
}

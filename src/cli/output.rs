//! Writing events to stdout as a table, JSON, JSON Lines or CSV. The JSON shape
//! ([`EventRecord`]) is a documented contract (README, "JSON Lines contract").

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use crate::model::fields::Column;
use crate::model::sanitize::{csv_cell, escape_control};
use crate::model::{AuditEvent, Credential, EventRow, ExecInfo, Micros, SourceRef, Stage};

/// Output formats of the listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// One event as written by `search --format json|jsonl`: the contract. Its names are the
/// event's own (`user`, `groups`, `service_account`…), not the export columns.
#[derive(Debug, Serialize)]
pub struct EventRecord<'a> {
    /// RFC 3339, UTC, microseconds: requestReceivedTimestamp (else stageTimestamp).
    pub time: Micros,
    pub audit_id: Cow<'a, str>,
    /// The most complete stage kept for the request.
    pub stage: Option<&'static str>,
    /// Every stage record seen for the request.
    pub stages: Vec<&'static str>,
    pub level: Cow<'a, str>,
    pub verb: Cow<'a, str>,
    pub user: Cow<'a, str>,
    pub groups: Cow<'a, [String]>,
    pub actor_kind: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "credential_empty")]
    pub credential: Cow<'a, Credential>,
    pub source_ips: Cow<'a, [String]>,
    /// The trusted source IP: the last of `source_ips`.
    pub source_ip: Option<Cow<'a, str>>,
    pub user_agent: Cow<'a, str>,
    pub ua_family: Cow<'a, str>,
    pub resource: Cow<'a, str>,
    pub subresource: Cow<'a, str>,
    pub api_group: Cow<'a, str>,
    pub namespace: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub code: Option<u16>,
    pub decision: Cow<'a, str>,
    pub reason: Cow<'a, str>,
    pub request_uri: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<Cow<'a, ExecInfo>>,
    pub source: Cow<'a, SourceRef>,
    pub format: Cow<'a, str>,
    /// The cluster label (`--cluster`, or the export's own); absent when none.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub cluster: Cow<'a, str>,
    /// Only the leading fields of a record the exporter cut short were read; absent when
    /// false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub salvaged: bool,
}

fn credential_empty(c: &Credential) -> bool {
    c.is_empty()
}

impl<'a> EventRecord<'a> {
    pub fn new(e: &'a AuditEvent) -> Self {
        EventRecord::from(EventRow::of(e))
    }
}

impl<'a> From<EventRow<'a>> for EventRecord<'a> {
    fn from(r: EventRow<'a>) -> Self {
        EventRecord {
            time: r.time,
            audit_id: r.audit_id,
            stage: r.stage.map(Stage::as_str),
            stages: r.stages.iter().map(Stage::as_str).collect(),
            level: r.level,
            verb: r.verb,
            user: r.user,
            groups: r.groups,
            actor_kind: r.actor_kind,
            service_account: r.service_account.map(Cow::into_owned),
            impersonated_user: r.impersonated,
            credential: r.credential,
            source_ips: r.source_ips,
            source_ip: r.source_ip,
            user_agent: r.user_agent,
            ua_family: r.ua_family,
            resource: r.resource,
            subresource: r.subresource,
            api_group: r.api_group,
            namespace: r.namespace,
            name: r.name,
            code: r.code,
            decision: r.decision,
            reason: r.reason,
            request_uri: r.request_uri,
            exec: r.exec,
            source: r.source,
            format: r.format,
            cluster: r.cluster,
            salvaged: r.salvaged,
        }
    }
}

/// Columns of the table and CSV views of events. The registry's fields are headed by their
/// export columns. The audit ID is last: what `show` and `case add` take.
pub const EVENT_COLUMNS: [Column<()>; 9] = [
    Column::Own("time", |e, ()| e.time.to_string()),
    Column::Field("user"),
    Column::Field("verb"),
    // A request about no object shows its path here, as the workbench does (it was under
    // NAMESPACE/NAME, beside `kube-system/` for a namespaced list).
    Column::Own("resource", |e, ()| match e.command_line() {
        "" => e.resource_or_path(),
        cmd => format!("{} [{cmd}]", e.resource_or_path()),
    }),
    // A list or watch of every namespace (or every object of a cluster-wide kind) says so
    // (`kubectl get … -A`); a namespaced one is `NS/`.
    Column::Own("namespace/name", |e, ()| {
        let t = e.target();
        let every = matches!(&*e.verb, "list" | "watch" | "deletecollection");
        if t.is_empty() && every && !e.resource.is_empty() {
            "(all)".to_owned()
        } else {
            t
        }
    }),
    Column::Field("peer"),
    Column::Field("code"),
    Column::Field("ua"),
    Column::Field("audit_id"),
];

/// The header of the table and CSV views of events.
pub fn event_header() -> Vec<&'static str> {
    EVENT_COLUMNS.iter().map(Column::header).collect()
}

/// The cells of one event row (raw: not yet escaped).
pub fn event_cells(e: &AuditEvent) -> Vec<String> {
    let row = EventRow::of(e);
    EVENT_COLUMNS.iter().map(|c| c.cell(&row, &())).collect()
}

/// Writes rows as an aligned table. Cells are escaped (no control characters reach the
/// terminal) and cut to a maximum width (0: never cut).
pub fn write_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
    max_width: usize,
) -> io::Result<()> {
    write_table_styled(out, header, rows, max_width, &|_, _| None)
}

/// The style of a table cell, by row and column (`None`: plain).
pub type CellStyle<'a> = &'a dyn Fn(usize, usize) -> Option<anstyle::Style>;

/// [`write_table`] with some cells styled (colour): the style wraps the cell's text, the
/// padding stays outside it so that columns line up.
pub fn write_table_styled(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
    max_width: usize,
    style: CellStyle<'_>,
) -> io::Result<()> {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| table_cell(c, max_width)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width_of(h)).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width_of(c));
        }
    }
    let line = |out: &mut dyn Write, row: &[String], r: Option<usize>| -> io::Result<()> {
        let last = row.len().saturating_sub(1);
        for (i, (c, w)) in row.iter().zip(&widths).enumerate() {
            match r.and_then(|r| style(r, i)) {
                Some(st) => write!(out, "{}{c}{}", st.render(), st.render_reset())?,
                None => write!(out, "{c}")?,
            }
            if i < last {
                let pad = w.saturating_sub(width_of(c)) + 2;
                write!(out, "{:pad$}", "")?;
            }
        }
        writeln!(out)
    };
    let head: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
    line(out, &head, None)?;
    for (r, row) in cells.iter().enumerate() {
        line(out, row, Some(r))?;
    }
    Ok(())
}

/// Whether stdout gets colour: never when `NO_COLOR` is set and not empty (no-color.org);
/// else when it is a terminal, or `CLICOLOR_FORCE` is set and not `0`.
pub fn colour_on_stdout() -> bool {
    use std::io::IsTerminal;
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    set("CLICOLOR_FORCE") || std::io::stdout().is_terminal()
}

/// The widest a table cell is shown: `width` for a person at a terminal, whole (0) in a pipe
/// or a file, where a script or `grep` reads every cell.
pub fn cell_width(width: usize) -> usize {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        width
    } else {
        0
    }
}

/// One cell of a table as shown: control characters escaped, cut at `max_width`.
fn table_cell(c: &str, max_width: usize) -> String {
    truncate(&escape_control(c), max_width)
}

/// A table written row by row, for listings too long to hold: the column widths are measured
/// in a first pass over the rows ([`TableLayout::measure`]), then rows are written one by one.
pub struct TableLayout {
    widths: Vec<usize>,
    max_width: usize,
}

impl TableLayout {
    pub fn new(header: &[&str], max_width: usize) -> TableLayout {
        TableLayout {
            widths: header.iter().map(|h| width_of(h)).collect(),
            max_width,
        }
    }

    pub fn measure(&mut self, row: &[String]) {
        for (w, c) in self.widths.iter_mut().zip(row) {
            *w = (*w).max(width_of(&table_cell(c, self.max_width)));
        }
    }

    pub fn write_header(&self, out: &mut dyn Write, header: &[&str]) -> io::Result<()> {
        let head: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
        self.write_cells(out, &head)
    }

    pub fn write_row(&self, out: &mut dyn Write, row: &[String]) -> io::Result<()> {
        let cells: Vec<String> = row.iter().map(|c| table_cell(c, self.max_width)).collect();
        self.write_cells(out, &cells)
    }

    fn write_cells(&self, out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
        let last = cells.len().saturating_sub(1);
        for (i, (c, w)) in cells.iter().zip(&self.widths).enumerate() {
            if i == last {
                write!(out, "{c}")?;
            } else {
                // Padded by display width: `{:<w$}` counts characters, and a CJK one takes
                // two columns.
                let pad = w.saturating_sub(width_of(c)) + 2;
                write!(out, "{c}{:pad$}", "")?;
            }
        }
        writeln!(out)
    }
}

/// Writes rows as CSV with a header; cells a spreadsheet would run as formulas are
/// neutralised.
pub fn write_csv(
    out: &mut dyn Write,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> io::Result<()> {
    let mut w = CsvRows::new(out, header)?;
    for row in rows {
        w.write(&row)?;
    }
    w.flush()
}

/// A CSV writer's error as the I/O error it is, its kind kept (a closed pipe stays one).
fn csv_io(e: csv::Error) -> io::Error {
    if !matches!(e.kind(), csv::ErrorKind::Io(_)) {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// CSV written row by row (see [`write_csv`]).
pub struct CsvRows<'a> {
    w: csv::Writer<&'a mut dyn Write>,
}

impl<'a> CsvRows<'a> {
    pub fn new(out: &'a mut dyn Write, header: &[&str]) -> io::Result<CsvRows<'a>> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(header).map_err(csv_io)?;
        Ok(CsvRows { w })
    }

    pub fn write(&mut self, row: &[String]) -> io::Result<()> {
        self.w
            .write_record(row.iter().map(|c| csv_cell(c).into_owned()))
            .map_err(csv_io)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// The columns a text takes on a terminal (a CJK or full-width character two).
fn width_of(s: &str) -> usize {
    crate::tui::components::columns::width_of(s)
}

pub fn truncate(s: &str, max: usize) -> String {
    if max == 0 || s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_escapes_and_aligns() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["a\x1b[31m".to_owned(), "x".to_owned()],
            vec!["bb".to_owned(), "y".to_owned()],
        ];
        write_table(&mut out, &["one", "two"], &rows, 0).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains('\x1b'));
        assert_eq!(s, "ONE        TWO\na\\x1b[31m  x\nbb         y\n");
    }

    /// A wide character (`日本`, `＋`) pushed the next column right: widths were counted in
    /// characters, not terminal columns.
    #[test]
    fn regression_tables_align_wide_characters_by_display_width() {
        let rows = vec![
            vec!["日本".to_owned(), "x".to_owned()],
            vec!["＋wide".to_owned(), "y".to_owned()],
            vec!["ascii".to_owned(), "z".to_owned()],
        ];
        let mut out = Vec::new();
        write_table(&mut out, &["tags", "note"], &rows, 0).unwrap();
        let mut streamed = Vec::new();
        let mut layout = TableLayout::new(&["tags", "note"], 0);
        for r in &rows {
            layout.measure(r);
        }
        layout
            .write_header(&mut streamed, &["tags", "note"])
            .unwrap();
        for r in &rows {
            layout.write_row(&mut streamed, r).unwrap();
        }
        for text in [out, streamed] {
            let text = String::from_utf8(text).unwrap();
            let columns: Vec<usize> = text
                .lines()
                .map(|l| {
                    let at = l.rfind(' ').unwrap() + 1;
                    width_of(&l[..at])
                })
                .collect();
            assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
        }
    }

    #[test]
    fn csv_neutralises_formulas() {
        let mut out = Vec::new();
        write_csv(
            &mut out,
            &["a"],
            vec![vec!["=cmd|' /C calc'!A0".to_owned()]],
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "a\n'=cmd|' /C calc'!A0\n");
    }

    #[test]
    fn truncates_with_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}

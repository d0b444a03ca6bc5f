//! Writing events to stdout as a table, JSON, JSON Lines or CSV. The JSON shape
//! ([`EventRecord`]) is a documented contract (README, "JSON Lines contract").

use std::io::{self, Write};

use serde::Serialize;

use crate::model::sanitize::{csv_cell, escape_control};
use crate::model::{AuditEvent, Credential, ExecInfo, Micros};

/// Output formats of the listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// One event as written by `search --format json|jsonl`: the contract.
#[derive(Debug, Serialize)]
pub struct EventRecord<'a> {
    /// RFC 3339, UTC, microseconds: requestReceivedTimestamp (else stageTimestamp).
    pub time: Micros,
    pub audit_id: &'a str,
    /// The most complete stage kept for the request.
    pub stage: Option<&'static str>,
    /// Every stage record seen for the request.
    pub stages: Vec<&'static str>,
    pub level: &'a str,
    pub verb: &'a str,
    pub user: &'a str,
    pub groups: &'a [String],
    pub actor_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<&'a str>,
    #[serde(skip_serializing_if = "credential_empty")]
    pub credential: &'a Credential,
    pub source_ips: &'a [String],
    /// The trusted source IP: the last of `source_ips`.
    pub source_ip: Option<&'a str>,
    pub user_agent: &'a str,
    pub ua_family: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub api_group: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub code: Option<u16>,
    pub decision: &'a str,
    pub reason: &'a str,
    pub request_uri: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<&'a ExecInfo>,
    pub source: &'a crate::model::SourceRef,
    pub format: &'static str,
    /// The cluster label (`--cluster`, or the export's own); absent when none.
    #[serde(skip_serializing_if = "no_text")]
    pub cluster: &'a str,
    /// Only the leading fields of a record the exporter cut short were read; absent when
    /// false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub salvaged: bool,
}

fn no_text(s: &&str) -> bool {
    s.is_empty()
}

fn credential_empty(c: &&Credential) -> bool {
    c.is_empty()
}

impl<'a> EventRecord<'a> {
    pub fn new(e: &'a AuditEvent) -> Self {
        EventRecord {
            time: e.time,
            audit_id: &e.audit_id,
            stage: e.stage.map(|s| s.as_str()),
            stages: e.stages.iter().map(|s| s.as_str()).collect(),
            level: &e.level,
            verb: &e.verb,
            user: &e.user.username,
            groups: &e.user.groups,
            actor_kind: e.actor.kind.as_str(),
            service_account: e.actor.service_account(),
            impersonated_user: e.impersonated.as_ref().map(|u| u.username.as_str()),
            credential: &e.credential,
            source_ips: &e.source_ips,
            source_ip: e.peer_ip(),
            user_agent: &e.user_agent,
            ua_family: &e.ua_family,
            resource: &e.object.resource,
            subresource: &e.object.subresource,
            api_group: &e.object.api_group,
            namespace: &e.object.namespace,
            name: &e.object.name,
            code: e.code,
            decision: &e.decision,
            reason: &e.authz_reason,
            request_uri: &e.request_uri,
            exec: e.exec.as_ref(),
            source: &e.source,
            format: e.format.as_str(),
            cluster: &e.cluster,
            salvaged: e.salvaged,
        }
    }
}

/// Columns of the table and CSV views of events.
pub const EVENT_COLUMNS: &[&str] = &[
    "time",
    "account",
    "verb",
    "resource",
    "namespace/name",
    "source_ip",
    "code",
    "user_agent",
];

/// The cells of one event row (raw: not yet escaped).
pub fn event_cells(e: &AuditEvent) -> Vec<String> {
    let mut resource = e.resource_path();
    if let Some(x) = &e.exec
        && !x.command_line.is_empty()
    {
        resource = format!("{resource} [{}]", x.command_line);
    }
    vec![
        e.time.to_string(),
        e.user.username.clone(),
        e.verb.clone(),
        resource,
        e.target(),
        e.peer_ip().unwrap_or_default().to_owned(),
        e.code.map(|c| c.to_string()).unwrap_or_default(),
        e.user_agent.clone(),
    ]
}

/// Writes rows as an aligned table. Cells are escaped (no control characters reach the
/// terminal) and cut to a maximum width.
pub fn write_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
    max_width: usize,
) -> io::Result<()> {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| table_cell(c, max_width)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |out: &mut dyn Write, row: &[String]| -> io::Result<()> {
        let last = row.len().saturating_sub(1);
        for (i, (c, w)) in row.iter().zip(&widths).enumerate() {
            if i == last {
                write!(out, "{c}")?;
            } else {
                write!(out, "{c:<w$}  ")?;
            }
        }
        writeln!(out)
    };
    let head: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
    line(out, &head)?;
    for row in &cells {
        line(out, row)?;
    }
    Ok(())
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
            widths: header.iter().map(|h| h.chars().count()).collect(),
            max_width,
        }
    }

    pub fn measure(&mut self, row: &[String]) {
        for (w, c) in self.widths.iter_mut().zip(row) {
            *w = (*w).max(table_cell(c, self.max_width).chars().count());
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
                write!(out, "{c:<w$}  ")?;
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

/// CSV written row by row (see [`write_csv`]).
pub struct CsvRows<'a> {
    w: csv::Writer<&'a mut dyn Write>,
}

impl<'a> CsvRows<'a> {
    pub fn new(out: &'a mut dyn Write, header: &[&str]) -> io::Result<CsvRows<'a>> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(header).map_err(io::Error::other)?;
        Ok(CsvRows { w })
    }

    pub fn write(&mut self, row: &[String]) -> io::Result<()> {
        self.w
            .write_record(row.iter().map(|c| csv_cell(c).into_owned()))
            .map_err(io::Error::other)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
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

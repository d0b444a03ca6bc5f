//! Case timelines out of the workbench: the events of the case, of a query and of the
//! findings, merged, time-sorted, never capped, each row carrying its audit ID, source file
//! and line, finding rule ids, tags and note — with the provenance of the export (who, when,
//! which kubesift, which queries, which input files and their SHA-256).
//!
//! Rows are streamed: only the hits (address and time) are held; rows are read in chunks
//! from the index's fast columns and a compact stored field
//! ([`IndexReader::export_rows`]), no stored record is decoded. Strings from logs are attacker-controlled: every writer escapes for
//! its format (CSV formulas neutralised, HTML and Markdown escaped, no control characters).
//!
//! Imports `model`, `query`, `detect`, `case`, `index` and `fsutil`; the session and the
//! workbench call it.

mod html;
pub mod story;
mod text;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;

use serde::Serialize;

use crate::case::Case;
use crate::detect::Finding;
use crate::fsutil;
use crate::index::reader::TimeOrder;
use crate::index::{Hit, IndexReader};
use crate::model::fields;
use crate::model::{EventRow, Micros};
use crate::query::{self, Expr, TimeSpec};

/// Output formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
    Markdown,
    Html,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Csv,
        ExportFormat::Jsonl,
        ExportFormat::Markdown,
        ExportFormat::Html,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Markdown => "markdown",
            ExportFormat::Html => "html",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Markdown => "md",
            ExportFormat::Html => "html",
        }
    }
}

/// What to export.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportSpec {
    /// The case's bookmarked events.
    pub case: bool,
    /// The events matching this query.
    pub query: Option<String>,
    /// The events of every finding.
    pub detections: bool,
    pub since: Option<TimeSpec>,
    pub until: Option<TimeSpec>,
    /// Where the case came from (for the provenance).
    pub case_file: Option<String>,
    /// The index directory (for the provenance).
    pub index: String,
}

impl ExportSpec {
    /// Without any scope, the case is exported.
    fn scopes(&self) -> (bool, Option<&str>, bool) {
        let query = self.query.as_deref();
        if !self.case && query.is_none() && !self.detections {
            return (true, None, false);
        }
        (self.case, query, self.detections)
    }

    /// The selection as a query over the index, and its description for the provenance.
    fn plan(&self, case: &Case, findings: &[Finding]) -> Result<(Expr, Vec<String>), String> {
        let (with_case, query_text, with_detections) = self.scopes();
        let mut parts = Vec::new();
        let mut described = Vec::new();
        if with_case {
            let ids: Vec<String> = case.events.keys().cloned().collect();
            described.push(format!("case: {} bookmarked events", ids.len()));
            parts.push(Expr::AuditIds(Arc::new(ids)));
        }
        if let Some(text) = query_text {
            let expr = query::parse(text).map_err(|e| e.explain(text))?;
            described.push(format!("query: {text}"));
            parts.push(expr);
        }
        if with_detections {
            let ids: BTreeSet<String> = findings
                .iter()
                .flat_map(|f| f.audit_ids.iter().cloned())
                .collect();
            described.push(format!(
                "detections: {}",
                crate::model::plural(findings.len(), "finding")
            ));
            parts.push(Expr::AuditIds(Arc::new(ids.into_iter().collect())));
        }
        if let Some(s) = self.since {
            described.push(format!("since: {}", describe_time(s)));
        }
        if let Some(u) = self.until {
            described.push(format!("until: {}", describe_time(u)));
        }
        let selection = if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        };
        Ok((
            selection.and(Expr::time_window(self.since, self.until)),
            described,
        ))
    }
}

fn describe_time(t: TimeSpec) -> String {
    match t {
        TimeSpec::At(m) => m.rfc3339(),
        TimeSpec::Ago(us) => format!(
            "{} before the newest event",
            crate::model::time::format_duration(us)
        ),
    }
}

/// Where the export came from.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub title: String,
    pub analyst: String,
    /// RFC 3339, UTC (`SOURCE_DATE_EPOCH` fixes it).
    pub generated_at: String,
    pub kubesift_version: String,
    /// Every time in the export is in this zone.
    pub time_zone: &'static str,
    /// The selections (case, query, detections, time window) that produced the rows.
    pub selection: Vec<String>,
    pub index: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_file: Option<String>,
    pub inputs: Vec<InputFile>,
    pub counts: Counts,
}

/// One input file of the index.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
    pub size: u64,
    /// Events this file added to the index.
    pub events: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Rows of the export (events).
    pub events: u64,
    /// Findings standing on at least one exported event.
    pub findings: u64,
    /// Exported rows that are bookmarked in the case.
    pub bookmarked: u64,
    /// Events in the index.
    pub index_events: u64,
}

/// One exported event: its flat row and what the export adds to it. Its JSON (the `event`
/// record of `jsonl`) is a contract (README, "Export"): the registry's fields in it are named
/// by their export columns.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub event: EventRow<'a>,
    pub marks: Marks,
}

/// What the export adds to an event: the time since the previous row, the findings on it,
/// its bookmark.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    /// Microseconds since the previous row (absent on the first).
    pub delta_us: Option<i64>,
    /// Rule ids of the findings standing on this event.
    pub rules: Vec<String>,
    pub bookmarked: bool,
    pub tags: Vec<String>,
    pub note: String,
}

/// The registry fields of the `event` record after `time` and `delta_us`, in its order.
const EVENT_FIELDS: [&str; 11] = [
    "audit_id",
    "user",
    "actor_kind",
    "verb",
    "resource",
    "subresource",
    "namespace",
    "name",
    "path",
    "peer",
    "ua",
];

impl Serialize for Row<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (e, m) = (&self.event, &self.marks);
        let mut out = s.serialize_struct("event", 23)?;
        out.serialize_field(fields::export_column("time"), &e.time)?;
        out.serialize_field("delta_us", &m.delta_us)?;
        for name in EVENT_FIELDS {
            let value = fields::get(name).map(|f| f.first(e)).unwrap_or_default();
            out.serialize_field(fields::export_column(name), &value)?;
        }
        out.serialize_field(fields::export_column("code"), &e.code)?;
        let command: &[String] = e.exec.as_ref().map_or(&[], |x| &x.command);
        out.serialize_field("command", command)?;
        out.serialize_field("command_line", e.command_line())?;
        out.serialize_field("rules", &m.rules)?;
        out.serialize_field("bookmarked", &m.bookmarked)?;
        out.serialize_field("tags", &m.tags)?;
        out.serialize_field("note", &m.note)?;
        out.serialize_field("source_file", &e.source.file)?;
        out.serialize_field("source_line", &e.source.line)?;
        // The cluster label, when there is one.
        if e.cluster.is_empty() {
            out.skip_field("cluster")?;
        } else {
            out.serialize_field(fields::export_column("cluster"), &e.cluster)?;
        }
        out.end()
    }
}

impl Row<'_> {
    /// `file:line`.
    pub fn source(&self) -> String {
        format!("{}:{}", self.event.source.file, self.event.source.line)
    }
}

/// What the writers are given before the rows.
pub struct Header<'a> {
    pub provenance: &'a Provenance,
    /// Findings standing on exported events, most severe first.
    pub findings: Vec<&'a Finding>,
    /// The time of every row, in order (for the HTML chart).
    pub times: &'a [Micros],
}

/// A format's writer: the header, each row as it is loaded, then the end.
trait Sink {
    fn begin(&mut self, header: &Header<'_>) -> std::io::Result<()>;
    fn row(&mut self, row: &Row<'_>) -> std::io::Result<()>;
    fn end(&mut self) -> std::io::Result<()>;
}

/// Why an export failed: writing (a closed pipe is one), or reading the index / the query.
/// The I/O error is part of the message (not a `source`): it is the whole reason.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the export: {0}")]
    Io(std::io::Error),
    #[error("{0}")]
    Other(String),
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        ExportError::Io(e)
    }
}

impl From<String> for ExportError {
    fn from(m: String) -> Self {
        ExportError::Other(m)
    }
}

impl From<crate::index::IndexError> for ExportError {
    fn from(e: crate::index::IndexError) -> Self {
        ExportError::Other(e.to_string())
    }
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    pub provenance: Provenance,
}

/// Exports to `out`. The provenance is also returned (the CSV writer's sidecar).
pub fn export(
    reader: &IndexReader,
    findings: &[Finding],
    case: &Case,
    spec: &ExportSpec,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<Summary, ExportError> {
    let (expr, selection) = spec.plan(case, findings)?;
    let hits: Vec<Hit> = reader.search(&expr, 0, 0, TimeOrder::Oldest)?;

    // Findings standing on the selected events: every one of them with --detections.
    let rules_of = rules_by_event(findings);
    let times: Vec<Micros> = hits.iter().map(|h| h.time).collect();
    let mut provenance = provenance(reader, case, spec, selection);
    provenance.counts.events = hits.len() as u64;

    // The findings table needs to know which findings the rows touch before rows are written:
    // a first pass over the hits' audit IDs would load every event twice, so the set is
    // taken from the audit IDs the selection is made of, refined while writing.
    // With --detections every finding is in, unless a time window cut some of their events.
    let every_finding = spec.scopes().2 && spec.since.is_none() && spec.until.is_none();
    let in_scope = findings_in_scope(reader, findings, &hits, every_finding)?;
    provenance.counts.findings = in_scope.len() as u64;
    provenance.counts.bookmarked = bookmarked_among(reader, case, &hits)?;
    let header = Header {
        provenance: &provenance,
        findings: in_scope.iter().map(|&i| &findings[i]).collect(),
        times: &times,
    };

    let mut sink: Box<dyn Sink + '_> = match format {
        ExportFormat::Csv => Box::new(text::Csv::new(out)),
        ExportFormat::Jsonl => Box::new(text::Jsonl::new(out)),
        ExportFormat::Markdown => Box::new(text::Markdown::new(out)),
        ExportFormat::Html => Box::new(html::Html::new(out)),
    };
    sink.begin(&header)?;
    let mut prev = None;
    reader.export_rows(
        &hits,
        &mut |row: EventRow<'static>| -> Result<(), ExportError> {
            let mut marks = Marks {
                delta_us: prev.map(|p: Micros| row.time.0 - p.0),
                ..Marks::default()
            };
            prev = Some(row.time);
            if let Some(rules) = rules_of.get(&*row.audit_id) {
                marks.rules = rules.iter().map(ToString::to_string).collect();
            }
            if let Some(b) = case.events.get(&*row.audit_id) {
                marks.bookmarked = true;
                marks.tags.clone_from(&b.tags);
                marks.note.clone_from(&b.note);
            }
            sink.row(&Row { event: row, marks })?;
            Ok(())
        },
    )?;
    sink.end()?;
    Ok(Summary { provenance })
}

/// Exports into a file, written through a private temporary file renamed into place (no
/// half written export is ever left); CSV gets its provenance in `FILE.provenance.json`.
/// An output that would land inside the index directory, or on the case file, is refused
/// before anything is written.
pub fn export_to_file(
    reader: &IndexReader,
    findings: &[Finding],
    case: &Case,
    spec: &ExportSpec,
    format: ExportFormat,
    path: &std::path::Path,
) -> Result<Summary, ExportError> {
    check_destination(path, &reader.dir.root, spec.case_file.as_deref())?;
    if format == ExportFormat::Csv {
        check_destination(
            &sidecar_path(path),
            &reader.dir.root,
            spec.case_file.as_deref(),
        )?;
    }
    let mut file = fsutil::AtomicFile::create(path)?;
    let summary = {
        let mut out = std::io::BufWriter::new(file.file());
        let s = export(reader, findings, case, spec, format, &mut out)?;
        out.flush()?;
        s
    };
    file.commit()?;
    if format == ExportFormat::Csv {
        let mut json = Vec::new();
        crate::model::sanitize::json_to_writer_pretty(&mut json, &summary.provenance)
            .map_err(|e| ExportError::Other(e.to_string()))?;
        json.push(b'\n');
        fsutil::write_atomic(&sidecar_path(path), &json)?;
    }
    Ok(summary)
}

/// Refuses an output file that would land inside the index directory (through symlinks and
/// `..` too) or replace the case file.
fn check_destination(
    path: &std::path::Path,
    index: &std::path::Path,
    case_file: Option<&str>,
) -> Result<(), ExportError> {
    let refuse = |what: String| {
        Err(ExportError::Other(format!(
            "refusing to write {}: {what}; choose a file elsewhere",
            path.display()
        )))
    };
    if fsutil::writes_inside(path, index)? {
        return refuse(format!(
            "it is inside the index directory {}",
            index.display()
        ));
    }
    if let Some(case) = case_file
        && fsutil::same_file(path, std::path::Path::new(case))
    {
        return refuse(format!("it is the case file {case}"));
    }
    Ok(())
}

/// `report.csv` → `report.csv.provenance.json`.
pub fn sidecar_path(path: &std::path::Path) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".provenance.json");
    std::path::PathBuf::from(s)
}

/// audit ID → rule ids of the findings on it (sorted, unique).
fn rules_by_event(findings: &[Finding]) -> HashMap<&str, BTreeSet<&str>> {
    let mut m: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for f in findings {
        for id in &f.audit_ids {
            m.entry(id.as_str()).or_default().insert(f.rule_id.as_str());
        }
    }
    m
}

/// Indexes of the findings that stand on at least one of the hits (all of them when
/// `all`), in report order.
fn findings_in_scope(
    reader: &IndexReader,
    findings: &[Finding],
    hits: &[Hit],
    all: bool,
) -> Result<Vec<usize>, String> {
    if all {
        return Ok((0..findings.len()).collect());
    }
    let ids: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| f.audit_ids.iter().map(String::as_str))
        .collect();
    if ids.is_empty() || hits.is_empty() {
        return Ok(Vec::new());
    }
    // Which of the findings' events are among the hits: one query, then an intersection.
    let expr = Expr::AuditIds(Arc::new(ids.iter().map(ToString::to_string).collect()));
    let finding_hits: HashSet<Hit> = reader
        .search(&expr, 0, 0, TimeOrder::Oldest)
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for h in hits.iter().filter(|h| finding_hits.contains(h)) {
        let e = reader.load(h).map_err(|e| e.to_string())?;
        touched.insert(e.event.audit_id);
    }
    Ok(findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.audit_ids.iter().any(|id| touched.contains(id)))
        .map(|(i, _)| i)
        .collect())
}

/// How many hits are bookmarked events.
fn bookmarked_among(reader: &IndexReader, case: &Case, hits: &[Hit]) -> Result<u64, String> {
    if case.events.is_empty() {
        return Ok(0);
    }
    let expr = Expr::AuditIds(Arc::new(case.events.keys().cloned().collect()));
    let marked: HashSet<Hit> = reader
        .search(&expr, 0, 0, TimeOrder::Oldest)
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    Ok(hits.iter().filter(|h| marked.contains(h)).count() as u64)
}

fn provenance(
    reader: &IndexReader,
    case: &Case,
    spec: &ExportSpec,
    selection: Vec<String>,
) -> Provenance {
    let (with_case, query, with_detections) = spec.scopes();
    // A case's export bears its title (or the sinks' "kubesift case timeline"); an export
    // of a query or of the findings says what it holds.
    let title = match (with_case, query, with_detections) {
        (true, ..) => case.title.clone(),
        (false, Some(q), false) => format!("kubesift events: {q}"),
        (false, None, _) => "kubesift events of the findings".to_owned(),
        (false, Some(q), true) => format!("kubesift events of the findings and of {q}"),
    };
    Provenance {
        title,
        analyst: case.analyst.clone(),
        generated_at: crate::case::now().rfc3339(),
        kubesift_version: env!("CARGO_PKG_VERSION").to_owned(),
        time_zone: "UTC",
        selection,
        index: spec.index.clone(),
        case_file: spec.case_file.clone(),
        inputs: reader
            .manifest
            .complete_files()
            .map(|f| InputFile {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                size: f.size,
                events: f.added,
                rejected: f.rejected,
            })
            .collect(),
        counts: Counts {
            index_events: reader.num_events(),
            ..Counts::default()
        },
    }
}

/// A delta for people: `+4m05s`, `+1.2s`, `+0ms`; empty on the first row.
pub fn human_delta(delta_us: Option<i64>) -> String {
    match delta_us {
        None => String::new(),
        Some(d) if d < 0 => crate::model::time::format_duration(d),
        Some(d) => format!("+{}", crate::model::time::format_duration(d)),
    }
}

//! `kubesift stats` and `kubesift rejects`: what the index holds and what it refused.

use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::{self, Format};
use super::stdout_ok;
use crate::index::manifest::FileEntry;
use crate::index::{IndexDir, IndexReader};
use crate::ingest::Reject;
use crate::model::sanitize::escape_control;
use crate::model::time::format_duration;
use crate::query::Expr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    pub format: StatsFormat,
    /// How many top values to list per pivot.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
}

/// The pivots `stats` lists, with their titles.
const PIVOTS: &[(&str, &str)] = &[
    ("user", "accounts"),
    ("peer", "source IPs"),
    ("namespace", "namespaces"),
    ("ua", "user agents"),
    ("verb", "verbs"),
    ("actor_kind", "actor kinds"),
];

#[derive(Serialize)]
struct Stats {
    events: u64,
    first: Option<String>,
    last: Option<String>,
    files: usize,
    records: u64,
    merged: u64,
    rejected: u64,
    inputs: Vec<InputStat>,
    top: Vec<TopList>,
}

#[derive(Serialize)]
struct InputStat {
    path: String,
    sha256: String,
    bytes: u64,
    gzip: bool,
    records: u64,
    rejected: u64,
    /// Rejects counted in `rejected` but not stored, by reason; absent when none.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    rejects_not_stored: std::collections::BTreeMap<String, u64>,
    truncated: bool,
    /// The input formats its events were read as (`native`, `eks-s3`, `gke`…).
    formats: Vec<String>,
    /// Lines expected in the format but not audit data (klog lines…); absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    skipped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct TopList {
    field: &'static str,
    values: Vec<TopValue>,
}

#[derive(Serialize)]
struct TopValue {
    value: String,
    count: u64,
}

pub fn run(dir: &IndexDir, args: &StatsArgs) -> anyhow::Result<ExitCode> {
    let reader = IndexReader::open(dir)?;
    let stats = collect(&reader, args.top)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        StatsFormat::Json => stdout_ok(writeln!(out, "{}", serde_json::to_string_pretty(&stats)?))?,
        StatsFormat::Table => stdout_ok(write_table(&mut out, &stats))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn collect(reader: &IndexReader, n: usize) -> anyhow::Result<Stats> {
    let m = &reader.manifest;
    let events = reader.num_events();
    let records = m.total(|f| f.records);
    let span = reader.time_span()?;
    let mut top = Vec::new();
    for (field, title) in PIVOTS {
        let (values, _) = reader.top(&Expr::All, field, n)?;
        top.push(TopList {
            field: title,
            values: values
                .into_iter()
                .map(|(value, count)| TopValue { value, count })
                .collect(),
        });
    }
    Ok(Stats {
        events,
        first: span.map(|(a, _)| a.to_string()),
        last: span.map(|(_, b)| b.to_string()),
        files: m.complete_files().count(),
        records,
        merged: records.saturating_sub(events),
        rejected: m.total(|f| f.rejected),
        inputs: m
            .complete_files()
            .map(|f| InputStat {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                bytes: f.size,
                gzip: f.gzip,
                records: f.records,
                rejected: f.rejected,
                rejects_not_stored: f.rejects_not_stored.clone(),
                truncated: f.truncated,
                formats: f.formats.clone(),
                skipped: f.skipped,
            })
            .collect(),
        top,
    })
}

fn write_table(out: &mut dyn Write, s: &Stats) -> std::io::Result<()> {
    writeln!(out, "events      {}", s.events)?;
    if let (Some(a), Some(b)) = (&s.first, &s.last) {
        let span = crate::model::Micros::parse(b)
            .zip(crate::model::Micros::parse(a))
            .map(|(b, a)| b.0 - a.0);
        writeln!(
            out,
            "time span   {a} .. {b} UTC ({})",
            span.map(format_duration).unwrap_or_default()
        )?;
    }
    writeln!(out, "files       {}", s.files)?;
    writeln!(
        out,
        "records     {} ({} stage records merged into events)",
        s.records, s.merged
    )?;
    let not_stored: u64 = s
        .inputs
        .iter()
        .flat_map(|i| i.rejects_not_stored.values())
        .sum();
    if not_stored > 0 {
        writeln!(
            out,
            "rejected    {} ({not_stored} counted but not stored: `kubesift rejects` lists the first {} of each reason per input)",
            s.rejected,
            crate::ingest::STORED_PER_REASON
        )?;
    } else {
        writeln!(out, "rejected    {}", s.rejected)?;
    }
    for list in &s.top {
        writeln!(out, "\ntop {}:", list.field)?;
        let rows: Vec<Vec<String>> = list
            .values
            .iter()
            .map(|v| vec![v.count.to_string(), v.value.clone()])
            .collect();
        let mut buf = Vec::new();
        output::write_table(&mut buf, &["count", "value"], &rows, 100)?;
        for line in String::from_utf8_lossy(&buf).lines().skip(1) {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct RejectsArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Lists the stored rejects of the indexed inputs, streamed from the rejects files (never
/// held all at once), then says how many more each input had beyond those stored.
pub fn rejects(dir: &IndexDir, args: &RejectsArgs) -> anyhow::Result<ExitCode> {
    let reader = IndexReader::open(dir)?;
    let files: Vec<&FileEntry> = reader
        .manifest
        .complete_files()
        .filter(|f| f.rejected > 0)
        .collect();
    let header = ["file", "line", "kind", "reason", "excerpt"];
    let mut out = std::io::stdout().lock();
    let listed = match args.format {
        Format::Jsonl | Format::Json => each_reject(dir, &files, |r| {
            writeln!(out, "{}", serde_json::to_string(r).unwrap_or_default())
        })?,
        Format::Csv => {
            let mut w = output::CsvRows::new(&mut out, &header)?;
            let n = each_reject(dir, &files, |r| w.write(&reject_row(r)))?;
            stdout_ok(w.flush())?;
            n
        }
        Format::Table => {
            let mut layout = output::TableLayout::new(&header, 80);
            each_reject(dir, &files, |r| {
                layout.measure(&reject_row(r));
                Ok(())
            })?;
            stdout_ok(layout.write_header(&mut out, &header))?;
            each_reject(dir, &files, |r| layout.write_row(&mut out, &reject_row(r)))?
        }
    };
    stdout_ok(out.flush())?;
    report_not_stored(&files);
    let total: u64 = files.iter().map(|f| f.rejected).sum();
    if total == 0 {
        eprintln!("no rejected records");
    } else {
        eprintln!(
            "{total} rejected records ({listed} listed) in {}",
            escape_control(&dir.rejects_dir().display().to_string())
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn reject_row(r: &Reject) -> Vec<String> {
    vec![
        r.file.clone(),
        r.line.to_string(),
        r.kind.clone(),
        r.reason.clone(),
        r.excerpt.clone(),
    ]
}

/// Calls `visit` on every stored reject of `files`, one line at a time; returns how many.
/// A broken pipe (`| head`) ends the listing quietly.
fn each_reject(
    dir: &IndexDir,
    files: &[&FileEntry],
    mut visit: impl FnMut(&Reject) -> std::io::Result<()>,
) -> anyhow::Result<u64> {
    let mut n = 0;
    for f in files {
        let path = dir.rejects_file(f.id);
        let file = std::fs::File::open(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        for line in BufReader::new(file).lines() {
            let Ok(r) = serde_json::from_str::<Reject>(&line?) else {
                continue;
            };
            match visit(&r) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(n),
                other => other?,
            }
            n += 1;
        }
    }
    Ok(n)
}

/// Says, per input, how many rejects of each reason were counted but not stored.
fn report_not_stored(files: &[&FileEntry]) {
    for f in files {
        for (kind, n) in &f.rejects_not_stored {
            eprintln!(
                "{}: {n} more {kind} rejects, counted but not stored (the first {} of each \
                 reason are)",
                escape_control(&f.path),
                crate::ingest::STORED_PER_REASON
            );
        }
    }
}

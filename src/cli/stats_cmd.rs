//! `kubesift stats` and `kubesift rejects`: what the index holds and what it refused.

use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::{self, Format};
use super::stdout_ok;
use crate::index::{IndexDir, IndexReader};
use crate::ingest::Reject;
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
        StatsFormat::Json => stdout_ok(writeln!(
            out,
            "{}",
            crate::model::sanitize::json_to_string_pretty(&stats)?
        ))?,
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
    writeln!(out, "rejected    {}", s.rejected)?;
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

/// Lists every rejected record of the indexed inputs.
pub fn rejects(dir: &IndexDir, args: &RejectsArgs) -> anyhow::Result<ExitCode> {
    let reader = IndexReader::open(dir)?;
    let mut all: Vec<Reject> = Vec::new();
    for f in reader.manifest.complete_files().filter(|f| f.rejected > 0) {
        let path = dir.rejects_file(f.id);
        let file = std::fs::File::open(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        for line in BufReader::new(file).lines() {
            if let Ok(r) = serde_json::from_str::<Reject>(&line?) {
                all.push(r);
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let rows = all.iter().map(|r| {
        vec![
            r.file.clone(),
            r.line.to_string(),
            r.kind.clone(),
            r.reason.clone(),
            r.excerpt.clone(),
        ]
    });
    let header = ["file", "line", "kind", "reason", "excerpt"];
    let res = match args.format {
        Format::Jsonl | Format::Json => all.iter().try_for_each(|r| {
            writeln!(
                out,
                "{}",
                crate::model::sanitize::json_to_string(r).unwrap_or_default()
            )
        }),
        Format::Csv => output::write_csv(&mut out, &header, rows),
        Format::Table => output::write_table(&mut out, &header, &rows.collect::<Vec<_>>(), 80),
    };
    stdout_ok(res)?;
    if all.is_empty() {
        say!("no rejected records");
    } else {
        say!(
            "{} rejected records in {}",
            all.len(),
            dir.rejects_dir().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

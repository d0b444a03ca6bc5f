//! `kubesift stats` and `kubesift rejects`: what the index holds and what it refused.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::output::{self, Format};
use super::stdout_ok;
use crate::model::time::format_duration;
use crate::session::{IndexDir, Session, Stats};

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

pub fn run(dir: &IndexDir, args: &StatsArgs) -> anyhow::Result<ExitCode> {
    let stats = Session::open(dir)?.stats(args.top)?;
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
    let all = Session::open(dir)?.rejects()?;
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

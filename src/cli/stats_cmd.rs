//! `kubesift stats` and `kubesift rejects`: what the index holds (its inputs with their
//! SHA-256) and what it refused.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::output::{self, Format};
use super::stdout_ok;
use crate::model::time::format_duration;
use crate::session::{IndexDir, InputStat, Reject, RejectedInput, Session, Stats};

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
    write_inputs(out, &s.inputs)?;
    for list in &s.top {
        writeln!(out, "\ntop {}:", list.field)?;
        let rows: Vec<Vec<String>> = list
            .values
            .iter()
            .map(|v| vec![v.count.to_string(), v.value.clone()])
            .collect();
        indented(out, &["count", "value"], &rows, 100, true)?;
    }
    Ok(())
}

/// Every input with its SHA-256 (what the evidence is checked against), records, rejects
/// and formats, indented under `inputs:`.
fn write_inputs(out: &mut dyn Write, inputs: &[InputStat]) -> std::io::Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    writeln!(out, "\ninputs:")?;
    let rows: Vec<Vec<String>> = inputs
        .iter()
        .map(|i| {
            vec![
                i.sha256.clone(),
                i.records.to_string(),
                i.rejected.to_string(),
                i.formats.join(","),
                i.path.clone(),
            ]
        })
        .collect();
    indented(
        out,
        &["sha256", "records", "rejected", "formats", "file"],
        &rows,
        0,
        false,
    )
}

/// A table indented by two spaces, with or without its header.
fn indented(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
    max_width: usize,
    skip_header: bool,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    output::write_table(&mut buf, header, rows, max_width)?;
    for line in String::from_utf8_lossy(&buf)
        .lines()
        .skip(usize::from(skip_header))
    {
        writeln!(out, "  {line}")?;
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
    let session = Session::open(dir)?;
    let inputs = session.rejected_inputs();
    let header = ["file", "line", "kind", "reason", "excerpt"];
    let mut out = std::io::stdout().lock();
    let listed = match args.format {
        Format::Jsonl | Format::Json => session.each_reject(&inputs, |r| {
            writeln!(
                out,
                "{}",
                crate::model::sanitize::json_to_string(r).unwrap_or_default()
            )
        })?,
        Format::Csv => {
            let mut w = output::CsvRows::new(&mut out, &header)?;
            let n = session.each_reject(&inputs, |r| w.write(&reject_row(r)))?;
            stdout_ok(w.flush())?;
            n
        }
        Format::Table => {
            let mut layout = output::TableLayout::new(&header, output::cell_width(80));
            session.each_reject(&inputs, |r| {
                layout.measure(&reject_row(r));
                Ok(())
            })?;
            stdout_ok(layout.write_header(&mut out, &header))?;
            session.each_reject(&inputs, |r| layout.write_row(&mut out, &reject_row(r)))?
        }
    };
    stdout_ok(out.flush())?;
    report_not_stored(&inputs);
    let total: u64 = inputs.iter().map(|f| f.rejected).sum();
    if total == 0 {
        say!("no rejected records");
    } else {
        say!(
            "{total} rejected records ({listed} listed) in {}",
            dir.rejects_dir().display()
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

/// Says, per input, how many rejects of each reason were counted but not stored.
fn report_not_stored(inputs: &[RejectedInput]) {
    for f in inputs {
        for (kind, n) in &f.not_stored {
            say!(
                "{}: {n} more {kind} rejects, counted but not stored (the first {} of each \
                 reason are)",
                f.path,
                crate::ingest::STORED_PER_REASON
            );
        }
    }
}

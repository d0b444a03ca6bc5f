//! `kubesift export`: the case timeline (and/or a query's events, the findings' events) as
//! CSV, JSON Lines, Markdown or self-contained HTML — the export dialog's twin.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::parse_time_arg;
use crate::case::CaseStore;
use crate::export::{self, ExportError, ExportFormat, ExportSpec};
use crate::query::TimeSpec;
use crate::session::{IndexDir, Session, case_path};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Export the case's bookmarked events (the default when nothing else is chosen);
    /// `--case=FILE` reads another case file.
    #[arg(long, num_args = 0..=1, value_name = "FILE", require_equals = true)]
    #[expect(
        clippy::option_option,
        reason = "clap's shape of a flag with an optional value: absent, `--case`, `--case=FILE`"
    )]
    pub case: Option<Option<PathBuf>>,
    /// Export the events matching this query (query language).
    #[arg(long, value_name = "Q")]
    pub query: Option<String>,
    /// Export the events of every finding.
    #[arg(long)]
    pub detections: bool,
    /// Export one incident's story (`kubesift incidents` lists their ids; a unique prefix,
    /// with or without `INC-`, will do) instead of a timeline: its steps with their links,
    /// advice and events; HTML with a graph.
    #[arg(long, value_name = "ID", conflicts_with_all = ["case", "query", "detections"])]
    pub incident: Option<String>,
    /// Only events at or after this time.
    #[arg(long, value_parser = parse_time_arg, value_name = "T")]
    pub since: Option<TimeSpec>,
    /// Only events before this time.
    #[arg(long, value_parser = parse_time_arg, value_name = "T")]
    pub until: Option<TimeSpec>,
    /// Output format (default: from the extension of -o).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Output file (stdout when absent). CSV gets a `FILE.provenance.json` sidecar.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The format asked for, else the one `-o`'s extension names. Neither is a usage error
/// (exit 2): `--format` is required unless `-o` says it.
fn format_of(args: &ExportArgs) -> Result<ExportFormat, clap::Error> {
    if let Some(f) = args.format {
        return Ok(f);
    }
    let ext = args
        .output
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    ExportFormat::ALL
        .into_iter()
        .find(|f| f.extension() == ext || f.as_str() == ext)
        .ok_or_else(|| {
            super::usage(
                "export",
                clap::error::ErrorKind::MissingRequiredArgument,
                "the following required argument was not provided: --format <FORMAT> \
                 (csv, jsonl, markdown or html; it may be left out when -o FILE ends in \
                 .csv, .jsonl, .md or .html)",
            )
        })
}

pub fn run(dir: &IndexDir, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let format = match format_of(args) {
        Ok(f) => f,
        Err(usage) => return Ok(super::usage_error(&usage)),
    };
    if let Some(id) = &args.incident {
        return export_incident(dir, id, format, args.output.as_deref());
    }
    let file = args.case.clone().flatten().or_else(|| {
        std::env::var_os("KUBESIFT_CASE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let case_file = case_path(dir, file.as_deref());
    // A case file named explicitly must exist: a typo would otherwise export nothing.
    if file.is_some() && !case_file.exists() {
        anyhow::bail!("case file {} does not exist", case_file.display());
    }
    let case = CaseStore::new(&case_file).load()?;
    let session = Session::open(dir)?;
    let findings = session.default_findings()?;
    let reader = session.reader();
    let spec = ExportSpec {
        case: args.case.is_some(),
        query: args.query.clone(),
        detections: args.detections,
        since: args.since,
        until: args.until,
        case_file: case_file.exists().then(|| case_file.display().to_string()),
        index: dir.root.display().to_string(),
    };
    let summary = match &args.output {
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let s = match export::export(reader, &findings, &case, &spec, format, &mut out) {
                Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS);
                }
                other => other?,
            };
            super::stdout_ok(out.flush())?;
            if format == ExportFormat::Csv {
                say!(
                    "note: CSV on stdout carries no provenance; with -o FILE it goes to FILE.provenance.json"
                );
            }
            s
        }
        Some(path) => {
            let s = export::export_to_file(reader, &findings, &case, &spec, format, path)?;
            if format == ExportFormat::Csv {
                say!("provenance: {}", export::sidecar_path(path).display());
            }
            s
        }
    };
    let c = &summary.provenance.counts;
    say!(
        "exported {} events ({} bookmarked) and {} findings as {}{}",
        c.events,
        c.bookmarked,
        c.findings,
        format.as_str(),
        args.output
            .as_ref()
            .map(|p| format!(" to {}", p.display()))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

/// `export --incident ID`: the incident's story with its events, in time order.
fn export_incident(
    dir: &IndexDir,
    id: &str,
    format: ExportFormat,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let session = Session::open(dir)?;
    let Some(incident) = session.incident(id)? else {
        anyhow::bail!("no incident {id} in this index (`kubesift incidents` lists them)");
    };
    let mut events = Vec::with_capacity(incident.audit_ids.len());
    for audit_id in &incident.audit_ids {
        events.extend(
            session
                .events_with_id(audit_id)?
                .into_iter()
                .map(|l| l.event),
        );
    }
    events.sort_by_key(|e| e.time);
    match output {
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            super::stdout_ok(export::story::incident(
                &incident, &events, format, &mut out,
            ))?;
            super::stdout_ok(out.flush())?;
        }
        Some(path) => {
            export::story::incident_to_file(&incident, &events, format, &dir.root, path)?;
        }
    }
    say!(
        "exported incident {} ({} findings, {} events) as {}",
        incident.id,
        incident.steps.len(),
        events.len(),
        format.as_str()
    );
    Ok(ExitCode::SUCCESS)
}

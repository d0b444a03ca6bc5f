//! `kubesift incidents`: the findings linked into attack stories, most severe first — the
//! headless twin of the workbench's Incidents view. The JSON shape is a contract (README,
//! "Incidents contract").

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::output::{self, Format};
use super::stdout_ok;
use crate::incidents::Incident;
use crate::model::Micros;
use crate::session::{IndexDir, Session};

#[derive(Debug, Args)]
pub struct IncidentsArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(dir: &IndexDir, args: &IncidentsArgs) -> anyhow::Result<ExitCode> {
    let session = Session::open(dir)?;
    let incidents = session.incidents()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    stdout_ok(write(&mut out, &incidents, args.format))?;
    Ok(ExitCode::SUCCESS)
}

const COLUMNS: &[&str] = &[
    "severity",
    "id",
    "first_seen",
    "last_seen",
    "steps",
    "identities",
    "source_ips",
    "title",
];

fn write(out: &mut dyn Write, incidents: &[Incident], format: Format) -> std::io::Result<()> {
    match format {
        Format::Jsonl => {
            for i in incidents {
                crate::model::sanitize::json_to_writer(&mut *out, i)?;
                writeln!(out)?;
            }
        }
        Format::Json => {
            crate::model::sanitize::json_to_writer_pretty(&mut *out, incidents)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut header = COLUMNS.to_vec();
            header.extend(["tactics", "audit_ids"]);
            let rows = incidents.iter().map(|i| {
                let mut r = cells(i);
                // Whole RFC 3339 times, as every other CSV writes them (the table's short
                // form lost the `T` and the zone).
                r[2].clone_from(&i.first_seen);
                r[3].clone_from(&i.last_seen);
                r.push(i.tactics.join(" "));
                r.push(i.audit_ids.join(" "));
                r
            });
            output::write_csv(out, &header, rows)?;
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = incidents.iter().map(cells).collect();
            output::write_table(out, COLUMNS, &rows, output::cell_width(60))?;
            if incidents.is_empty() {
                writeln!(out, "(no incidents)")?;
            }
        }
    }
    out.flush()
}

fn cells(i: &Incident) -> Vec<String> {
    vec![
        i.severity.to_string(),
        i.id.clone(),
        short(&i.first_seen),
        short(&i.last_seen),
        i.steps.len().to_string(),
        i.identities.join(" "),
        i.source_ips.join(" "),
        i.title.clone(),
    ]
}

/// `2026-03-14 10:31:05` of an RFC 3339 time.
fn short(t: &str) -> String {
    Micros::parse(t).map_or_else(
        || t.to_owned(),
        |m| {
            m.to_string()
                .chars()
                .take(19)
                .collect::<String>()
                .replace('T', " ")
        },
    )
}

//! `kubesift case …`: the case view's twin — bookmark events by audit ID, tag them, write
//! notes, save filters, list the case in time order.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::output::{self, Format};
use super::stdout_ok;
use crate::case::{self, Case, CaseOp, CaseStore};
use crate::model::sanitize::escape_control;
use crate::model::time::format_duration;
use crate::session::{IndexDir, Session, case_path, writable_store};

#[derive(Debug, Args)]
pub struct CaseArgs {
    /// The case file (default: case.json in the index directory).
    #[arg(
        long = "case",
        global = true,
        env = "KUBESIFT_CASE",
        value_name = "FILE"
    )]
    pub file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: CaseCommand,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Bookmark events by audit ID.
    Add {
        #[arg(required = true, value_name = "AUDIT_ID")]
        ids: Vec<String>,
        /// Tags to add (repeatable; commas separate several).
        #[arg(long = "tag", value_name = "TAG", allow_hyphen_values = true)]
        tags: Vec<String>,
        /// A note (`-` reads it from stdin).
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        note: Option<String>,
    },
    /// Remove events (with their tags and notes) from the case.
    Remove {
        #[arg(required = true, value_name = "AUDIT_ID")]
        ids: Vec<String>,
    },
    /// Add tags to an event (bookmarking it), or remove them with --remove.
    Tag {
        #[arg(value_name = "AUDIT_ID")]
        id: String,
        #[arg(required = true, value_name = "TAG")]
        tags: Vec<String>,
        #[arg(long)]
        remove: bool,
    },
    /// Set the note of an event (bookmarking it); `-` reads it from stdin, "" removes it.
    Note {
        #[arg(value_name = "AUDIT_ID")]
        id: String,
        #[arg(value_name = "TEXT")]
        text: String,
    },
    /// The case in time order: bookmarks with the time since the previous one, tags, notes;
    /// then the saved filters.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Set the case title.
    Title {
        #[arg(value_name = "TEXT")]
        text: String,
    },
    /// Set the analyst's name.
    Analyst {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Save a named filter (query language); an empty query deletes it.
    SaveFilter {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(value_name = "QUERY")]
        query: String,
    },
}

pub fn run(dir: &IndexDir, args: &CaseArgs) -> anyhow::Result<ExitCode> {
    if let CaseCommand::List { format } = &args.command {
        if args.file.is_none() && !dir.exists() {
            // The case lives beside the index: without one there is nothing to list (it
            // printed an empty table). The error every command gives for a missing index.
            Session::open(dir)?;
        }
        let case = CaseStore::new(case_path(dir, args.file.as_deref())).load()?;
        list(&case, *format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let ops = match &args.command {
        // Listed above, without taking the case's lock or claiming the directory.
        CaseCommand::List { .. } => Vec::new(),
        CaseCommand::Add { ids, tags, note } => {
            let session = Session::open(dir)?;
            let note = note.as_deref().map(read_text).transpose()?;
            let mut ops = Vec::new();
            for id in ids {
                let ev = session.event_ref(id)?;
                ops.push(CaseOp::Add(ev.clone()));
                if !tags.is_empty() {
                    let tags = tags.iter().flat_map(|t| case::parse_tags(t)).collect();
                    ops.push(CaseOp::AddTags(ev.clone(), tags));
                }
                if let Some(n) = &note {
                    ops.push(CaseOp::SetNote(ev, n.clone()));
                }
            }
            ops
        }
        CaseCommand::Remove { ids } => ids
            .iter()
            .map(|id| CaseOp::Remove(whole_audit_id(dir, id)))
            .collect(),
        CaseCommand::Tag { id, tags, remove } => {
            let tags: Vec<String> = tags.iter().flat_map(|t| case::parse_tags(t)).collect();
            if *remove {
                vec![CaseOp::RemoveTags(whole_audit_id(dir, id), tags)]
            } else {
                vec![CaseOp::AddTags(Session::open(dir)?.event_ref(id)?, tags)]
            }
        }
        CaseCommand::Note { id, text } => {
            let session = Session::open(dir)?;
            vec![CaseOp::SetNote(session.event_ref(id)?, read_text(text)?)]
        }
        CaseCommand::Title { text } => vec![CaseOp::SetTitle(text.clone())],
        CaseCommand::Analyst { name } => vec![CaseOp::SetAnalyst(name.clone())],
        CaseCommand::SaveFilter { name, query } => {
            if !query.trim().is_empty() {
                crate::query::parse(query).map_err(|e| anyhow::anyhow!(e.explain(query)))?;
            }
            vec![CaseOp::SaveFilter {
                name: name.clone(),
                query: query.clone(),
            }]
        }
    };
    // Only now, with every audit ID found: a failed command creates nothing.
    let store = writable_store(dir, args.file.as_deref())?;
    for op in ops {
        let (_, message) = store.update(op)?;
        say!("{message}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `-` means stdin.
fn read_text(s: &str) -> anyhow::Result<String> {
    if s != "-" {
        return Ok(s.to_owned());
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text)
}

/// The whole audit ID a prefix names in the index; the text itself without an index (a
/// bookmark can be removed whatever became of the index).
fn whole_audit_id(dir: &IndexDir, id: &str) -> String {
    Session::open(dir).map_or_else(|_| id.to_owned(), |s| s.whole_audit_id(id))
}

const LIST_COLUMNS: &[&str] = &["time", "delta", "audit_id", "event", "tags", "note"];

fn list(case: &Case, format: Format) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let timeline = case.timeline();
    let mut prev: Option<crate::model::Micros> = None;
    let rows: Vec<Vec<String>> = timeline
        .iter()
        .map(|(id, b)| {
            let t = b.time_micros();
            let delta = match (prev, t) {
                (Some(p), Some(t)) => format!("+{}", format_duration(t.0 - p.0)),
                _ => String::new(),
            };
            prev = t.or(prev);
            vec![
                b.time.clone(),
                delta,
                (*id).clone(),
                b.summary.clone(),
                b.tags.join(", "),
                b.note.clone(),
            ]
        })
        .collect();
    match format {
        Format::Json => stdout_ok(
            crate::model::sanitize::json_to_writer_pretty(&mut out, case)
                // serde_json keeps an I/O error whole (a closed pipe stays one).
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out)),
        )?,
        Format::Jsonl => {
            for (id, b) in &timeline {
                let mut v = serde_json::to_value(b)?;
                if let Some(o) = v.as_object_mut() {
                    o.insert("audit_id".into(), (*id).clone().into());
                }
                let line = crate::model::sanitize::json_to_string(&v)?;
                stdout_ok(writeln!(out, "{line}"))?;
            }
        }
        Format::Csv => stdout_ok(output::write_csv(&mut out, LIST_COLUMNS, rows))?,
        Format::Table => {
            if !case.title.is_empty() || !case.analyst.is_empty() {
                stdout_ok(writeln!(
                    out,
                    "{} — {}",
                    escape_control(&case.title),
                    escape_control(&case.analyst)
                ))?;
            }
            stdout_ok(output::write_table(
                &mut out,
                LIST_COLUMNS,
                &rows,
                output::cell_width(60),
            ))?;
            if !case.filters.is_empty() {
                stdout_ok(writeln!(out, "\nsaved filters:"))?;
                for (name, q) in &case.filters {
                    stdout_ok(writeln!(
                        out,
                        "  {}  {}",
                        escape_control(name),
                        escape_control(q)
                    ))?;
                }
            }
        }
    }
    stdout_ok(out.flush())
}

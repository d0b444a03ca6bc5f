//! The command line: arguments (clap) and the headless twin of every view. Each command
//! turns its arguments into calls on the [`session`](crate::session) and writes the result;
//! no logic of its own, and no command calls another (what two share is in the session, or
//! in `output` / `progress` for what they print). Imports `session` and the types of the
//! layers below it (model, query, detect, case, export), and `tui` to open the workbench
//! (`tui_cmd`) and measure it (`bench_cmd`).
//! Every message for a person goes out through [`say!`] or [`error_line`]: log strings and
//! paths in it never reach the terminal raw.

/// `eprintln!` with every control character and bidi override of the message escaped
/// (`\x1b`): messages on stderr quote paths, queries and log values.
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::model::sanitize::escape_control(&format!($($arg)*)))
    };
}

mod bench_cmd;
mod case_cmd;
mod detect_cmd;
mod export_cmd;
mod incidents_cmd;
mod index_cmd;
mod output;
mod progress;
mod search_cmd;
mod show_cmd;
mod stats_cmd;
mod story_cmd;
mod tui_cmd;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::model::sanitize::escape_text;
use crate::query::TimeSpec;
use crate::session::IndexDir;

pub use output::Format;

/// kubesift — investigate Kubernetes API-server audit logs.
///
/// `kubesift PATH...` indexes the logs (skipping what the index already holds) and opens the
/// workbench; `kubesift` alone opens the workbench on the index.
#[derive(Debug, Parser)]
#[command(
    name = "kubesift",
    version,
    about,
    propagate_version = true,
    allow_external_subcommands = true
)]
pub struct Cli {
    /// Index directory.
    #[arg(
        long,
        global = true,
        env = "KUBESIFT_INDEX",
        default_value = ".kubesift",
        value_name = "DIR"
    )]
    pub index: PathBuf,

    /// Time zone of the workbench: utc, local, or an IANA name.
    #[arg(long, default_value = "utc", value_name = "ZONE")]
    pub tz: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Index audit logs (files, directories, gzip, `-` for stdin) into the index directory.
    Index(index_cmd::IndexArgs),
    /// Open the terminal workbench on the index.
    Tui(tui_cmd::TuiArgs),
    /// Measure the workbench's latencies on the index (for bench/tui.sh).
    #[command(hide = true)]
    BenchTui(bench_cmd::BenchTuiArgs),
    /// `kubesift PATH...`: index the logs, then open the workbench.
    #[command(external_subcommand)]
    Paths(Vec<OsString>),
    /// Search events with the query language; results in time order.
    Search(search_cmd::SearchArgs),
    /// Show one event, normalized and raw, by audit ID.
    Show(show_cmd::ShowArgs),
    /// Counts, time span, inputs, and the top accounts, source IPs, namespaces, user agents.
    Stats(stats_cmd::StatsArgs),
    /// Findings of the detections: threats by family and severity, with their events.
    Detect(detect_cmd::DetectArgs),
    /// Incidents: the findings linked into attack stories, most severe first.
    Incidents(incidents_cmd::IncidentsArgs),
    /// List the detection rules: id, docs/detections.md number, family, severity, title.
    Rules(detect_cmd::RulesArgs),
    /// List rejected input records (file, line, reason).
    Rejects(stats_cmd::RejectsArgs),
    /// The case: bookmark, tag and annotate events by audit ID; list the case.
    // A missing subcommand is an `error:` (exit 2), not the help printed in its place.
    #[command(arg_required_else_help = false)]
    Case(case_cmd::CaseArgs),
    /// Export the case timeline (and/or a query's or the findings' events) as CSV, JSON
    /// Lines, Markdown or self-contained HTML, with its provenance.
    Export(export_cmd::ExportArgs),
    /// An identity's requests as the kubectl (or curl) commands that made them, in sessions.
    Sessions(story_cmd::SessionsArgs),
    /// Where an identity's credentials came from (token, pod, node, CSR) and every address
    /// and client they were used from; use away from the pod or node flagged.
    Lineage(story_cmd::LineageArgs),
    /// What a subject was granted (bindings, since when, by whom) against what it used.
    Access(story_cmd::AccessArgs),
    /// What the data set cannot show: gaps, stages, levels, missing fields, and the
    /// detections each blind spot silences.
    Coverage(story_cmd::CoverageArgs),
}

/// Exit codes.
pub mod exit {
    /// An error stopped the command (missing index, unreadable input, bad query).
    pub const ERROR: u8 = 1;
    /// Bad command-line usage (clap's own code): an unknown subcommand, a bad option.
    pub const USAGE: u8 = 2;
    /// `index --strict`: records were rejected (everything else was indexed).
    pub const REJECTS: u8 = 3;
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = IndexDir::new(cli.index);
    let Some(command) = cli.command else {
        return tui_cmd::index_then_open(&dir, &[], &cli.tz);
    };
    match command {
        Command::Index(args) => index_cmd::run(&dir, &args),
        Command::Tui(args) => tui_cmd::run(&dir, &args),
        Command::BenchTui(args) => bench_cmd::run(&dir, &args),
        Command::Paths(words) => match existing_paths(words) {
            Ok(paths) => tui_cmd::index_then_open(&dir, &paths, &cli.tz),
            Err(usage) => {
                let _ = usage.print();
                Ok(ExitCode::from(exit::USAGE))
            }
        },
        Command::Search(args) => search_cmd::run(&dir, &args),
        Command::Show(args) => show_cmd::run(&dir, &args),
        Command::Stats(args) => stats_cmd::run(&dir, &args),
        Command::Rejects(args) => stats_cmd::rejects(&dir, &args),
        Command::Detect(args) => detect_cmd::run(&dir, &args),
        Command::Incidents(args) => incidents_cmd::run(&dir, &args),
        Command::Rules(args) => detect_cmd::list_rules(&args),
        Command::Case(args) => case_cmd::run(&dir, &args),
        Command::Export(args) => export_cmd::run(&dir, &args),
        Command::Sessions(args) => story_cmd::sessions(&dir, &args),
        Command::Access(args) => story_cmd::access(&dir, &args),
        Command::Lineage(args) => story_cmd::lineage(&dir, &args),
        Command::Coverage(args) => story_cmd::coverage(&dir, &args),
    }
}

/// The words of `kubesift PATH...`: each must be an existing path (or `-`); any other word
/// is a mistyped subcommand or path — a usage error, before anything is created.
fn existing_paths(words: Vec<OsString>) -> Result<Vec<PathBuf>, clap::Error> {
    let mut paths = Vec::with_capacity(words.len());
    for word in words {
        let path = PathBuf::from(word);
        if path.as_os_str() != "-" && std::fs::symlink_metadata(&path).is_err() {
            return Err(not_a_path(&path));
        }
        paths.push(path);
    }
    Ok(paths)
}

/// The usage error for a word that is neither a subcommand nor an existing path, with the
/// closest subcommand when one is close (as clap suggests for a mistyped option).
fn not_a_path(path: &std::path::Path) -> clap::Error {
    use clap::CommandFactory;
    let word = path.to_string_lossy();
    let mut cmd = Cli::command();
    let closest = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| (strsim::jaro(&word, c.get_name()), c.get_name().to_owned()))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let tip = closest.map_or_else(String::new, |(_, name)| {
        format!("\n\n  tip: a similar subcommand exists: '{name}'")
    });
    cmd.error(
        clap::error::ErrorKind::InvalidSubcommand,
        format!(
            "'{}' is neither a subcommand nor an existing path{tip}",
            crate::model::sanitize::escape_control(&word)
        ),
    )
}

/// A usage error of subcommand `sub` found after parsing (an option required unless
/// another one says it): clap's own format, with the subcommand's usage line. Report it
/// with [`usage_error`] (exit 2).
pub(crate) fn usage(sub: &str, kind: clap::error::ErrorKind, message: &str) -> clap::Error {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    match cmd.find_subcommand_mut(sub) {
        Some(sub) => sub.error(kind, message),
        None => cmd.error(kind, message),
    }
}

/// Parses `--since` / `--until` values for clap.
pub fn parse_time_arg(s: &str) -> Result<TimeSpec, String> {
    TimeSpec::parse_checked(s).map_err(|e| match e {
        crate::model::time::TimeError::NoSuchDate(_) => format!("`{s}` is not a time: {e}"),
        _ => format!("`{s}` is not a time: use RFC 3339 (2024-01-02T03:04:05Z), a date (2024-01-02), or a duration back from the newest event (2h, 30m, 1d)"),
    })
}

/// The `error: …` line of a failed command, escaped as [`say!`] does but keeping its line
/// breaks (a bad query is shown on its own line with a pointer under the column).
/// Did the command end because its reader closed the pipe (`| head`)? That is a normal end
/// (exit 0, nothing said), wherever in the writing it happened: a CSV writer, an export.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

pub fn error_line(e: &anyhow::Error) -> String {
    format!("error: {}", escape_text(&format!("{e:#}")))
}

/// Reports a command line clap refused (exit 2), or prints the help or version it asked
/// for. clap echoes the bad value: one holding control characters is shown escaped.
pub fn usage_error(e: &clap::Error) -> ExitCode {
    let text = e.render().to_string();
    if matches!(escape_text(&text), std::borrow::Cow::Borrowed(_)) {
        e.exit();
    }
    eprint!("{}", escape_text(&text));
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// Writes to stdout, treating a closed pipe (`| head`) as a normal end.
pub fn stdout_ok(r: std::io::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

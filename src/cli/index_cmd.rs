//! `kubesift index`: ingest logs, report progress, rejects and a summary on stderr.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::exit;
use crate::index::IndexDir;
use crate::ingest::{self, IngestOptions, IngestSummary, Progress};
use crate::model::sanitize::escape_control;

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Files or directories to index (`-` reads stdin). Directories are walked recursively.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Exit with status 3 when any record was rejected.
    #[arg(long)]
    pub strict: bool,
    /// Keep the `data` / `stringData` values of Secrets (redacted by default).
    #[arg(long)]
    pub keep_secret_values: bool,
    /// Reject records longer than this many bytes (an element of a JSON array or of a
    /// wrapper document is a record: a document of any size streams).
    #[arg(long, default_value_t = 32 << 20, value_name = "BYTES")]
    pub max_record_bytes: usize,
    /// Parser threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip the detections after indexing (they run at the next `detect` or in the workbench).
    #[arg(long)]
    pub no_detect: bool,
    /// The index writer's memory budget in MiB (segments are flushed when it fills).
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    pub writer_mb: usize,
    /// Label the events with this cluster name (filter and pivot on `cluster:`); an export
    /// that names its cluster (GKE `cluster_name`, EKS Firehose log group, AKS resource ID)
    /// keeps its own name.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Commit a crash-safe checkpoint after this many input bytes.
    #[arg(long, default_value_t = 1 << 30, value_name = "BYTES", hide = true)]
    pub commit_every_bytes: u64,
}

pub fn run(dir: &IndexDir, args: &IndexArgs) -> anyhow::Result<ExitCode> {
    let summary = ingest_paths(dir, &args.paths, args)?;
    report(&summary);
    if dir.exists() && !args.no_detect {
        let (findings, took) = super::detect_cmd::refresh(dir)?;
        eprintln!(
            "detections: {} findings ({}) in {:.2}s; list them with `kubesift detect`",
            findings.len(),
            super::detect_cmd::tally(&findings),
            took.as_secs_f64()
        );
    }
    if summary.problems.iter().any(|p| !p.warning) {
        return Ok(ExitCode::from(exit::ERROR));
    }
    if args.strict && summary.rejected > 0 {
        return Ok(ExitCode::from(exit::REJECTS));
    }
    Ok(ExitCode::SUCCESS)
}

/// Ingests paths with a progress bar when stderr is a terminal.
pub fn ingest_paths(
    dir: &IndexDir,
    paths: &[PathBuf],
    args: &IndexArgs,
) -> anyhow::Result<IngestSummary> {
    let (inputs, problems) = ingest::source::discover(paths, Some(&dir.root));
    let opts = IngestOptions {
        keep_secret_values: args.keep_secret_values,
        max_record_bytes: args.max_record_bytes,
        workers: args.threads,
        commit_every_bytes: args.commit_every_bytes,
        heap_bytes: args.writer_mb.clamp(64, 4096) << 20,
        cluster: args.cluster.clone().filter(|c| !c.is_empty()),
        ..IngestOptions::default()
    };
    let bar = Bar::new(!args.quiet && std::io::stderr().is_terminal());
    Ok(ingest::run(dir, inputs, problems, &opts, &bar)?)
}

/// Prints the first rejects, truncated inputs, unreadable inputs and the summary line.
pub fn report(summary: &IngestSummary) {
    for r in &summary.first_rejects {
        eprintln!("rejected {r}");
    }
    if summary.rejected > summary.first_rejects.len() as u64 {
        let more = summary.rejected - summary.first_rejects.len() as u64;
        let dir = summary.rejects_dir.display();
        if summary.rejects_not_stored > 0 {
            eprintln!(
                "… {more} more rejected records: `kubesift rejects` lists those stored (the first \
                 {} of each reason per input, files in {dir}); {} more were counted, not stored",
                ingest::STORED_PER_REASON,
                summary.rejects_not_stored
            );
        } else {
            eprintln!(
                "… {more} more rejected records: `kubesift rejects` lists them (files in {dir})"
            );
        }
    }
    for t in &summary.truncated {
        eprintln!("warning: {}", escape_control(t));
    }
    for p in &summary.problems {
        let what = if p.warning {
            "warning"
        } else {
            "error: cannot read"
        };
        eprintln!("{what} {}: {}", escape_control(&p.path), p.reason);
    }
    eprintln!("indexed: {}", summary.line());
}

/// indicatif progress on stderr: bytes, throughput, events/s and ETA.
struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    fn new(enabled: bool) -> Bar {
        Bar {
            bar: enabled.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())),
        }
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: u64) {
        if let Some(b) = &self.bar {
            b.set_length(total_bytes);
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            b.set_style(style);
            b.enable_steady_tick(Duration::from_millis(200));
        }
    }

    fn update(&self, bytes: u64, events: u64) {
        if let Some(b) = &self.bar {
            b.set_position(bytes);
            let secs = b.elapsed().as_secs_f64().max(1e-3);
            b.set_message(format!("{events} records ({:.0}/s)", events as f64 / secs));
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

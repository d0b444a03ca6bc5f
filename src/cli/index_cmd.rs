//! `kubesift index`: ingest logs, report progress, rejects and a summary on stderr, then run
//! the detections.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::exit;
use super::progress::{self, Bar};
use crate::session::{self, IndexDir, IngestOptions, Session};

#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "command-line switches, each independent"
)]
pub struct IndexArgs {
    /// Files or directories to index (`-` reads stdin). Directories are walked recursively.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Exit with status 3 when any record was rejected.
    #[arg(long)]
    pub strict: bool,
    /// Keep Secret values and service-account tokens in bodies as logged (redacted by default).
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
    let bar = Bar::new(!args.quiet);
    let summary = session::ingest(dir, &args.paths, &args.options(), &bar)?;
    progress::report(&summary);
    if dir.exists() && !args.no_detect {
        let (findings, took) = Session::open(dir)?.refresh_findings()?;
        progress::report_detections(&findings, took);
    }
    if summary.problems.iter().any(|p| !p.warning) {
        return Ok(ExitCode::from(exit::ERROR));
    }
    if args.strict && summary.rejected > 0 {
        return Ok(ExitCode::from(exit::REJECTS));
    }
    Ok(ExitCode::SUCCESS)
}

impl IndexArgs {
    fn options(&self) -> IngestOptions {
        IngestOptions {
            keep_secret_values: self.keep_secret_values,
            max_record_bytes: self.max_record_bytes,
            workers: self.threads,
            commit_every_bytes: self.commit_every_bytes,
            heap_bytes: self.writer_mb.clamp(64, 4096) << 20,
            cluster: self.cluster.clone().filter(|c| !c.is_empty()),
            ..IngestOptions::default()
        }
    }
}

//! `kubesift tui` and `kubesift PATH...`: open the workbench (indexing first when paths are
//! given).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::case_cmd;
use super::detect_cmd::{self, Tuning};
use super::index_cmd::{self, IndexArgs};
use crate::index::IndexDir;
use crate::tui::worker::FindingsFn;
use crate::tui::{self, TuiOptions};

#[derive(Debug, Args)]
pub struct TuiArgs {
    /// Time zone of displayed times: utc, local, or an IANA name (Europe/Paris).
    #[arg(long, default_value = "utc", value_name = "ZONE")]
    pub tz: String,
    /// The case file (default: case.json in the index directory).
    #[arg(long, env = "KUBESIFT_CASE", value_name = "FILE")]
    pub case: Option<PathBuf>,
}

pub fn run(dir: &IndexDir, args: &TuiArgs) -> anyhow::Result<ExitCode> {
    open(dir, &args.tz, args.case.clone())?;
    Ok(ExitCode::SUCCESS)
}

fn open(dir: &IndexDir, tz: &str, case: Option<PathBuf>) -> anyhow::Result<()> {
    let case = case.or_else(|| {
        std::env::var_os("KUBESIFT_CASE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let case = Some(case_cmd::checked_case_path(dir, case.as_deref())?);
    // A missing or foreign index is named before the terminal is looked at.
    drop(crate::index::IndexReader::open(dir)?);
    // The workbench asks again on a refresh (`r`), after an ingest by another process.
    let findings: FindingsFn = Arc::new(|dir: &IndexDir| {
        detect_cmd::findings(dir, &Tuning::default(), false).map_err(|e| format!("{e:#}"))
    });
    tui::run(
        dir,
        findings,
        &TuiOptions {
            tz: tz.to_owned(),
            case,
        },
    )
}

/// Indexes `paths` (what is not indexed yet), runs the detections, opens the workbench.
pub fn index_then_open(dir: &IndexDir, paths: &[PathBuf], tz: &str) -> anyhow::Result<ExitCode> {
    if paths.is_empty() && !dir.exists() {
        anyhow::bail!(
            "no index at {}: run `kubesift <logs>` (or `kubesift index <logs>`) first; `kubesift --help` lists the commands",
            dir.root.display()
        );
    }
    if !paths.is_empty() {
        let args = IndexArgs {
            paths: paths.to_vec(),
            strict: false,
            keep_secret_values: false,
            max_record_bytes: 32 << 20,
            threads: 0,
            quiet: false,
            no_detect: true,
            writer_mb: 256,
            cluster: None,
            commit_every_bytes: 1 << 30,
        };
        let summary = index_cmd::ingest_paths(dir, paths, &args)?;
        index_cmd::report(&summary);
        if !summary.problems.is_empty() && !dir.exists() {
            return Ok(ExitCode::from(super::exit::ERROR));
        }
    }
    open(dir, tz, None)?;
    Ok(ExitCode::SUCCESS)
}

//! `kubesift tui` and `kubesift PATH...`: open the workbench (indexing first when paths are
//! given).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::progress::{self, Bar};
use crate::session::{self, IndexDir, IngestOptions, Session};
use crate::tui::{self, TuiOptions};

#[derive(Debug, Args)]
pub struct TuiArgs {
    /// Time zone of displayed times: utc, local, or an IANA name (Europe/Paris).
    #[arg(long, default_value = "utc", value_name = "ZONE")]
    pub tz: String,
    /// The case file (default: case.json in the index directory).
    #[arg(long, env = "KUBESIFT_CASE", value_name = "FILE")]
    pub case: Option<PathBuf>,
    /// Sigma rules to list beside the built-in findings, as `detect --sigma` runs them.
    #[arg(long = "sigma", value_name = "DIR")]
    pub sigma: Vec<PathBuf>,
}

pub fn run(dir: &IndexDir, args: &TuiArgs) -> anyhow::Result<ExitCode> {
    open(dir, &args.tz, args.case.clone(), &args.sigma)
}

fn open(
    dir: &IndexDir,
    tz: &str,
    case: Option<PathBuf>,
    sigma: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    // A missing or foreign index is reported first, before anything about the terminal.
    let mut session = Session::open(dir)?;
    session.set_sigma(super::detect_cmd::sigma_rules(sigma)?);
    let case = case.or_else(|| {
        std::env::var_os("KUBESIFT_CASE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let case = Some(session::checked_case_path(dir, case.as_deref())?);
    tui::run(
        session,
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
        // As `kubesift index` with its defaults, without the detections (the workbench runs
        // them when it opens).
        let summary = session::ingest(dir, paths, &IngestOptions::default(), &Bar::new(true))?;
        progress::report(&summary);
        if !summary.problems.is_empty() && !dir.exists() {
            return Ok(ExitCode::from(super::exit::ERROR));
        }
    }
    open(dir, tz, None, &[])
}

//! Ingesting paths into an index directory (created when missing): discover the inputs,
//! skip what the index holds, read the rest. The directory need not hold an index yet, so
//! this works without opening a session.

use std::path::PathBuf;

use crate::index::IndexDir;
use crate::ingest::{self, IngestOptions, IngestSummary, Progress};

/// Ingests `paths` (files, directories, `-` for stdin) into `dir`. When nothing is readable
/// and no index exists, the problems are returned and no empty index is left behind.
pub fn ingest(
    dir: &IndexDir,
    paths: &[PathBuf],
    opts: &IngestOptions,
    progress: &dyn Progress,
) -> anyhow::Result<IngestSummary> {
    let (inputs, problems) = ingest::source::discover(paths, Some(&dir.root));
    if inputs.is_empty() && !problems.is_empty() && !dir.exists() {
        return Ok(IngestSummary {
            problems,
            rejects_dir: dir.rejects_dir(),
            ..IngestSummary::default()
        });
    }
    Ok(ingest::run(dir, inputs, problems, opts, progress)?)
}

//! Findings kept beside the index, so views open them instantly. Stale when the index has
//! changed since (another commit opstamp).

use serde::{Deserialize, Serialize};

use super::{IndexDir, IndexError, Result};
use crate::detect::Finding;
use crate::fsutil::write_atomic;

#[derive(Serialize, Deserialize)]
struct Stored {
    /// The commit the findings were computed on.
    opstamp: u64,
    kubesift_version: String,
    findings: Vec<Finding>,
}

/// Saves findings computed on the commit `opstamp`.
pub fn save_findings(dir: &IndexDir, opstamp: u64, findings: &[Finding]) -> Result<()> {
    let stored = Stored {
        opstamp,
        kubesift_version: env!("CARGO_PKG_VERSION").to_owned(),
        findings: findings.to_vec(),
    };
    let bytes = serde_json::to_vec(&stored).map_err(|e| IndexError::Manifest(e.to_string()))?;
    write_atomic(&dir.findings(), &bytes)
        .map_err(|e| IndexError::io(format!("cannot write {}", dir.findings().display()), e))
}

/// The stored findings, when they were computed on the commit `opstamp` by this version.
pub fn load_findings(dir: &IndexDir, opstamp: u64) -> Option<Vec<Finding>> {
    let bytes = std::fs::read(dir.findings()).ok()?;
    let stored: Stored = serde_json::from_slice(&bytes).ok()?;
    (stored.opstamp == opstamp && stored.kubesift_version == env!("CARGO_PKG_VERSION"))
        .then_some(stored.findings)
}

//! The manifest: which inputs the index holds, with their digests and counts. It is stored
//! as the payload of each tantivy commit, so it always agrees with the committed documents,
//! whatever moment an ingest is killed at.

use serde::{Deserialize, Serialize};

use super::schema::SCHEMA_VERSION;
use super::{IndexDir, IndexError, Result};

/// One input file ingested (completely) into the index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct FileEntry {
    pub id: u64,
    /// Absolute path, or `-` for stdin.
    pub path: String,
    pub size: u64,
    pub mtime: i64,
    /// SHA-256 of the bytes as stored (compressed for gzip).
    pub sha256: String,
    /// Size and hash of the first and last 64 KiB, to recognise a renamed copy cheaply.
    #[serde(default)]
    pub fingerprint: String,
    pub gzip: bool,
    /// Valid records read (stage records, before merging).
    pub records: u64,
    pub rejected: u64,
    /// Rejects counted in `rejected` but not stored in the rejects file (beyond the first
    /// ones of each reason), by reason (`kind`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub rejects_not_stored: std::collections::BTreeMap<String, u64>,
    /// Records that were part of a request already seen (other stage, or duplicate).
    pub merged: u64,
    /// New logical events this file added.
    pub added: u64,
    /// The input ended mid-stream (a truncated gzip): what was readable was kept.
    #[serde(default)]
    pub truncated: bool,
    /// Input format(s) recognised.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Lines skipped as not audit data but expected in that format (klog lines in stdout).
    #[serde(default)]
    pub skipped: u64,
    pub ingested_at: String,
    /// False while the file is being read; only complete entries count as indexed.
    pub complete: bool,
}

/// Everything the index knows about its inputs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub schema_version: u32,
    pub kubesift_version: String,
    pub files: Vec<FileEntry>,
    /// Records whose stage bits were folded into an event after it was written (rare).
    #[serde(default)]
    pub generation: u64,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            schema_version: SCHEMA_VERSION,
            kubesift_version: env!("CARGO_PKG_VERSION").to_owned(),
            files: Vec::new(),
            generation: 0,
        }
    }
}

impl Manifest {
    pub fn complete_files(&self) -> impl Iterator<Item = &FileEntry> {
        self.files.iter().filter(|f| f.complete)
    }

    /// The complete entry for a file with this path, size and mtime, or with this fingerprint.
    pub fn already_indexed(
        &self,
        path: &str,
        size: u64,
        mtime: i64,
        fingerprint: Option<&str>,
    ) -> Option<&FileEntry> {
        self.complete_files().find(|f| {
            (f.path == path && f.size == size && f.mtime == mtime)
                || fingerprint.is_some_and(|fp| !fp.is_empty() && f.fingerprint == fp)
        })
    }

    /// The id for an input: its previous id when the same path was seen before.
    pub fn id_for(&mut self, path: &str) -> u64 {
        if path != "-"
            && let Some(f) = self.files.iter().find(|f| f.path == path)
        {
            return f.id;
        }
        let id = self.files.iter().map(|f| f.id + 1).max().unwrap_or(0);
        self.files.push(FileEntry {
            id,
            path: path.to_owned(),
            ..FileEntry::default()
        });
        id
    }

    pub fn entry_mut(&mut self, id: u64) -> Option<&mut FileEntry> {
        self.files.iter_mut().find(|f| f.id == id)
    }

    pub fn entry(&self, id: u64) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.id == id)
    }

    pub fn path_of(&self, id: u64) -> String {
        self.entry(id)
            .map_or_else(|| format!("<file #{id}>"), |f| f.path.clone())
    }

    pub fn total(&self, f: impl Fn(&FileEntry) -> u64) -> u64 {
        self.complete_files().map(f).sum()
    }
}

/// The manifest of the last commit (empty for a new index).
pub(super) fn read_manifest(index: &tantivy::Index, dir: &IndexDir) -> Result<Manifest> {
    let metas = index.load_metas()?;
    let Some(payload) = metas.payload else {
        return Ok(Manifest::default());
    };
    let manifest: Manifest =
        serde_json::from_str(&payload).map_err(|e| IndexError::Manifest(e.to_string()))?;
    if manifest.schema_version != SCHEMA_VERSION {
        return Err(IndexError::SchemaMismatch {
            path: dir.root.clone(),
            found: manifest.schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    Ok(manifest)
}

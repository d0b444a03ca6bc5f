//! Whose directory `--index` names: kubesift writes only into a directory that is missing
//! or empty (it becomes an index), that carries kubesift's marker `kubesift-index.json`, or
//! that holds an index made before the marker existed (its `tantivy/meta.json` has
//! kubesift's manifest or schema; the marker is added at its next write). Anything else —
//! a regular file, a directory of the user's — is refused before anything in it is touched.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::manifest::Manifest;
use super::schema::Fields;
use super::{IndexDir, IndexError, Result};
use crate::fsutil;

/// The marker's file name, in the index directory.
pub const MARKER: &str = "kubesift-index.json";

/// The layout version of the index directory the marker records.
pub const INDEX_FORMAT: u32 = 1;

/// What the marker holds.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: u32,
    created_by: String,
}

/// What a would-be index directory is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirState {
    /// Nothing there yet.
    Missing,
    /// An empty directory (or one holding only a case kubesift wrote there).
    Empty,
    /// A kubesift index directory with the marker.
    Marked,
    /// An index of a kubesift before the marker.
    Legacy,
    /// Not kubesift's: why.
    Foreign(String),
}

impl IndexDir {
    pub fn marker(&self) -> PathBuf {
        self.root.join(MARKER)
    }

    /// What the directory is; reads, never writes.
    pub fn state(&self) -> Result<DirState> {
        let meta = match fs::metadata(&self.root) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DirState::Missing),
            Err(e) => {
                return Err(IndexError::io(
                    format!("cannot read {}", self.root.display()),
                    e,
                ));
            }
        };
        if !meta.is_dir() {
            return Ok(DirState::Foreign("it is not a directory".into()));
        }
        if self.marker().exists() {
            return Ok(self.marker_state());
        }
        if self.is_legacy_index() {
            return Ok(DirState::Legacy);
        }
        if self.holds_only_a_case()? {
            return Ok(DirState::Empty);
        }
        Ok(DirState::Foreign(format!("it holds files and no {MARKER}")))
    }

    /// Makes the directory an index directory (private, 0700, with the marker), or checks
    /// that it is one; refuses a directory that is not kubesift's, changing nothing in it.
    pub fn claim(&self) -> Result<()> {
        let io = |e| IndexError::io(format!("cannot create {}", self.root.display()), e);
        match self.state()? {
            DirState::Foreign(reason) => Err(IndexError::Foreign {
                path: self.root.clone(),
                reason,
            }),
            DirState::Marked => Ok(()),
            DirState::Missing | DirState::Empty | DirState::Legacy => {
                fsutil::create_private_dir(&self.root)
                    .and_then(|()| make_private(&self.root))
                    .map_err(io)?;
                self.write_marker()
            }
        }
    }

    /// Claims the directory and creates the index's subdirectories (0700): audit logs hold
    /// secrets.
    pub fn create(&self) -> Result<()> {
        self.claim()?;
        for dir in [self.root.clone(), self.tantivy(), self.rejects_dir()] {
            fsutil::create_private_dir(&dir)
                .and_then(|()| make_private(&dir))
                .map_err(|e| IndexError::io(format!("cannot create {}", dir.display()), e))?;
        }
        Ok(())
    }

    /// Checks, before reading, that the directory is not someone else's; a missing or empty
    /// one is [`IndexError::Missing`].
    pub fn check_readable(&self) -> Result<()> {
        if let DirState::Foreign(reason) = self.state()? {
            return Err(IndexError::Foreign {
                path: self.root.clone(),
                reason,
            });
        }
        if !self.exists() {
            return Err(IndexError::Missing(self.root.clone()));
        }
        Ok(())
    }

    fn write_marker(&self) -> Result<()> {
        let marker = Marker {
            format: INDEX_FORMAT,
            created_by: format!("kubesift {}", env!("CARGO_PKG_VERSION")),
        };
        let mut bytes =
            serde_json::to_vec_pretty(&marker).map_err(|e| IndexError::Manifest(e.to_string()))?;
        bytes.push(b'\n');
        fsutil::write_atomic(&self.marker(), &bytes)
            .map_err(|e| IndexError::io(format!("cannot write {}", self.marker().display()), e))
    }

    fn marker_state(&self) -> DirState {
        let marker = fs::read(self.marker())
            .ok()
            .and_then(|b| serde_json::from_slice::<Marker>(&b).ok());
        match marker {
            None => DirState::Foreign(format!("{MARKER} is not kubesift's marker")),
            Some(m) if m.format > INDEX_FORMAT => DirState::Foreign(format!(
                "its format {} is newer than this kubesift's ({INDEX_FORMAT})",
                m.format
            )),
            Some(_) => DirState::Marked,
        }
    }

    /// An index made before the marker: `tantivy/meta.json` whose commit payload is a
    /// kubesift manifest, or (killed before its first commit) whose schema is kubesift's.
    fn is_legacy_index(&self) -> bool {
        let Ok(bytes) = fs::read(self.tantivy().join("meta.json")) else {
            return false;
        };
        let Ok(meta) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return false;
        };
        if let Some(payload) = meta.get("payload").and_then(serde_json::Value::as_str) {
            return serde_json::from_str::<Manifest>(payload).is_ok();
        }
        let names: BTreeSet<&str> = meta
            .get("schema")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| f.get("name").and_then(serde_json::Value::as_str))
            .collect();
        let schema = Fields::new().schema;
        let ours: BTreeSet<&str> = schema.fields().map(|(_, e)| e.name()).collect();
        !names.is_empty() && names == ours
    }

    /// Empty, or holding only what `kubesift case` writes into a not-yet-indexed directory:
    /// `case.json` (a kubesift case), its lock and kubesift's temporary files.
    fn holds_only_a_case(&self) -> Result<bool> {
        let entries = fs::read_dir(&self.root)
            .map_err(|e| IndexError::io(format!("cannot read {}", self.root.display()), e))?;
        for entry in entries {
            let entry = entry
                .map_err(|e| IndexError::io(format!("cannot read {}", self.root.display()), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = match name.as_str() {
                "case.json" => fs::read(entry.path()).is_ok_and(|b| crate::case::parse(&b).is_ok()),
                ".case.json.lock" => true,
                n => n.starts_with(fsutil::TMP_PREFIX),
            };
            if !ours {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Sets 0700 on a directory of the index (only ever called on kubesift's own).
#[cfg(unix)]
fn make_private(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn make_private(_: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

//! The on-disk index: a tantivy index plus the files kept beside it. The only module that
//! names tantivy types.
//!
//! Layout of an index directory (created private, 0700):
//! ```text
//! .kubesift/
//!   tantivy/            the tantivy index; each commit carries the manifest as payload
//!   rejects/<id>.jsonl  every rejected record of input file <id>: file, line, reason
//!   findings.json       detections computed after the last ingest
//!   case.json           bookmarks, tags, notes
//! ```

pub mod agg;
pub mod keys;
pub mod manifest;
pub mod paging;
pub mod reader;
mod rows;
pub mod schema;
pub mod store;
mod translate;
pub mod writer;

use std::fs;
use std::path::{Path, PathBuf};

pub use keys::{KeyStore, KeyTable, Known};
pub use manifest::{FileEntry, Manifest};
pub use reader::{Hit, IndexReader};
pub use writer::{IndexWriter, PreparedDoc, WriterOptions};

/// Errors of the index layer.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("no index at {0}: run `kubesift index <logs>` first (or pass --index DIR)")]
    Missing(PathBuf),
    #[error(
        "the index at {path} was built by kubesift with schema {found}; this kubesift uses schema {expected}: delete the directory and index again"
    )]
    SchemaMismatch {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("index at {0} is being written by another kubesift process")]
    Locked(PathBuf),
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("index manifest is corrupt: {0}")]
    Manifest(String),
    #[error(transparent)]
    Query(#[from] crate::query::QueryError),
}

impl IndexError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        IndexError::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

/// The paths inside an index directory.
#[derive(Debug, Clone)]
pub struct IndexDir {
    pub root: PathBuf,
}

impl IndexDir {
    pub fn new(root: impl Into<PathBuf>) -> IndexDir {
        IndexDir { root: root.into() }
    }

    pub fn tantivy(&self) -> PathBuf {
        self.root.join("tantivy")
    }

    pub fn rejects_dir(&self) -> PathBuf {
        self.root.join("rejects")
    }

    pub fn rejects_file(&self, file_id: u64) -> PathBuf {
        self.rejects_dir().join(format!("{file_id}.jsonl"))
    }

    pub fn findings(&self) -> PathBuf {
        self.root.join("findings.json")
    }

    pub fn case(&self) -> PathBuf {
        self.root.join("case.json")
    }

    pub fn exists(&self) -> bool {
        self.tantivy().join("meta.json").exists()
    }

    /// Creates the directory tree, private to the user (0700): audit logs hold secrets.
    pub fn create(&self) -> Result<()> {
        for dir in [&self.root, &self.tantivy(), &self.rejects_dir()] {
            create_private_dir(dir)
                .map_err(|e| IndexError::io(format!("cannot create {}", dir.display()), e))?;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

//! The on-disk index: a tantivy index plus the files kept beside it. The only module that
//! names tantivy types.
//!
//! Imports `model`, `query`, `detect` (rows for the detections, the findings file), `case`
//! (to recognise its own directory) and `fsutil`; never `ingest`: whoever opens a reader
//! passes the function that decodes stored records ([`reader::DecodeStored`]).
//!
//! Layout of an index directory (created private, 0700):
//! ```text
//! .kubesift/
//!   tantivy/            the tantivy index; each commit carries the manifest as payload
//!   rejects/<id>.jsonl  every rejected record of input file <id>: file, line, reason
//!   findings.json       detections computed after the last ingest
//!   case.json           bookmarks, tags, notes
//!   kubesift-index.json the marker: this directory is a kubesift index (format version)
//! ```
//!
//! kubesift only writes into a directory that is missing, empty, or carries the marker (or,
//! made by a version before the marker, holds a kubesift tantivy index): see [`dir`].

pub mod agg;
mod columns;
pub mod dir;
pub mod doc;
pub mod export_rows;
mod hit;
pub mod keys;
pub mod manifest;
pub mod paging;
pub mod reader;
mod row_extras;
mod rows;
pub mod schema;
pub mod select;
pub mod store;
mod translate;
mod uuid;
pub mod writer;

use std::path::PathBuf;

pub use hit::Hit;
pub use keys::{KeyStore, KeyTable, Known};
pub use manifest::Manifest;
pub use reader::IndexReader;
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
    #[error(
        "{path} is not a kubesift index ({reason}); nothing in it was changed: pass --index a new or empty directory"
    )]
    Foreign { path: PathBuf, reason: String },
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
}

//! Writing the index: documents in, deletes for replaced stage records, commits that carry
//! the manifest. Tuned for bulk loads: a large writer heap and a merge policy that leaves
//! segments alone while loading.

use std::hash::Hasher;

use std::ops::Bound;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::LogMergePolicy;

use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery};
use tantivy::schema::Value;
use tantivy::store::Compressor;
use tantivy::{Index, IndexSettings, ReloadPolicy, TantivyDocument, Term};

use super::doc::EventDoc;
use super::manifest::{Manifest, read_manifest};
use super::schema::{Fields, split_key};
use super::{IndexDir, IndexError, Result};
use crate::model::{Stage, StageSet};

/// A document ready to add, built off the writer thread.
pub struct PreparedDoc {
    pub key: [u8; 16],
    doc: EventDoc,
    /// The stages the document holds (its event's, as [`Fields::document`] writes them).
    ///
    /// [`Fields::document`]: super::schema::Fields::document
    stages: StageSet,
}

impl PreparedDoc {
    /// The document of `event` (its stages as the document holds them).
    pub fn new(key: [u8; 16], doc: EventDoc, event: &crate::model::AuditEvent) -> Self {
        PreparedDoc {
            key,
            doc,
            stages: event.stages,
        }
    }
}

/// Segments with more documents than this are not merged further.
const MERGE_DOCS_MAX: usize = 200_000;

/// Writer tuning.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Total indexing heap; tantivy flushes a segment when it is full.
    pub heap_bytes: usize,
    pub threads: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            heap_bytes: 256 << 20,
            threads: 1,
        }
    }
}

/// Hashes merge keys, which are already uniformly random, by taking 8 of their bytes.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(17) ^ u64::from_le_bytes(b);
        }
    }
    fn write_usize(&mut self, _: usize) {}
}

/// The most complete stage in a set; a record without a stage counts as complete.
pub fn best_rank(stages: u8) -> u8 {
    if stages == 0 {
        Stage::ResponseComplete as u8
    } else {
        // At most 8 leading zeros in a u8, and there are fewer since `stages` is not 0.
        7 - u8::try_from(stages.leading_zeros()).unwrap_or(7)
    }
}

/// The stored part of a document: enough to rebuild it.
pub struct StoredDoc {
    pub raw: Vec<u8>,
    pub file: u64,
    pub line: u64,
    /// The index of the record in the JSON array that held it, when it came from one.
    pub record: Option<u64>,
    pub stages: StageSet,
    /// The input format (`SourceFormat::as_str`) and cluster label of the stored record.
    pub format: String,
    pub cluster: String,
}

pub struct IndexWriter {
    index: Index,
    writer: tantivy::IndexWriter<EventDoc>,
    fields: Fields,
    pub manifest: Manifest,
}

impl IndexWriter {
    /// Opens the index for writing, creating it (private, 0700) when absent; a directory that
    /// is not kubesift's is refused untouched ([`IndexDir::claim`]).
    pub fn open(dir: &IndexDir, opts: WriterOptions) -> Result<IndexWriter> {
        dir.create()?;
        let fields = Fields::new();
        let path = dir.tantivy();
        let mmap = MmapDirectory::open(&path).map_err(|e| IndexError::Tantivy(e.into()))?;
        let index = if Index::exists(&mmap).map_err(|e| IndexError::Tantivy(e.into()))? {
            Index::open(mmap)?
        } else {
            let settings = IndexSettings {
                // LZ4: compressing the stored records was the largest single cost of ingest
                // with zstd level 1 (≈ 11 % of the CPU); LZ4 takes ≈ 8 % for a store 60 %
                // larger (an index ≈ 23 % of a single-stage log instead of 15 %). An index
                // keeps the compressor it was created with. Fewer, larger blocks cost less to
                // compress; a stored record is still read in a fraction of a millisecond.
                docstore_compression: Compressor::Lz4,
                docstore_blocksize: 256 * 1024,
                // Blocks are compressed on the indexing thread that filled them: a thread of
                // its own per segment copied every block to hand it over, and on a busy
                // machine only shuffled the same work between cores.
                docstore_compress_dedicated_thread: false,
                ..IndexSettings::default()
            };
            Index::builder()
                .schema(fields.schema.clone())
                .settings(settings)
                .open_or_create(mmap)?
        };
        let manifest = read_manifest(&index, dir)?;
        let writer = match index.writer_with_num_threads(opts.threads.max(1), opts.heap_bytes) {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(..)) => {
                return Err(IndexError::Locked(dir.root.clone()));
            }
            Err(e) => return Err(e.into()),
        };
        // Only small segments (of short runs and checkpoints) are merged: a bulk load's
        // segments are left as they are, so merging never holds big segments in memory and
        // never competes with indexing for the cores.
        let mut policy = LogMergePolicy::default();
        policy.set_min_num_segments(8);
        policy.set_min_layer_size(20_000);
        policy.set_max_docs_before_merge(MERGE_DOCS_MAX);
        writer.set_merge_policy(Box::new(policy));
        Ok(IndexWriter {
            index,
            writer,
            fields,
            manifest,
        })
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The merge keys and stages of every committed event.
    /// A searcher over the committed index.
    pub(super) fn searcher(&self) -> Result<tantivy::Searcher> {
        let reader: tantivy::IndexReader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(reader.searcher())
    }

    pub fn add(&mut self, prepared: PreparedDoc, stages: StageSet) -> Result<()> {
        let mut doc = prepared.doc;
        // Only when merging changed them: the document was built on a parser thread, and
        // reading it here (the writer's thread) cost a cache miss per event for nothing.
        if stages != prepared.stages {
            doc.set_u64(self.fields.stages, u64::from(stages.0));
        }
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Replaces the event with this key (every document carrying it) by a new document.
    pub fn replace(&mut self, prepared: PreparedDoc, stages: StageSet) -> Result<()> {
        let query = self.key_query(prepared.key);
        self.writer.delete_query(query)?;
        self.add(prepared, stages)
    }

    /// The documents of one request, by its key columns.
    fn key_query(&self, key: [u8; 16]) -> Box<dyn Query> {
        let (hi, lo) = split_key(key);
        let exactly = |field, v| -> Box<dyn Query> {
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(field, v)),
                Bound::Included(Term::from_field_u64(field, v)),
            ))
        };
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, exactly(self.fields.key_hi, hi)),
            (Occur::Must, exactly(self.fields.key_lo, lo)),
        ]))
    }

    /// Commits the added documents together with the manifest.
    pub fn commit(&mut self) -> Result<()> {
        let payload = serde_json::to_string(&self.manifest)
            .map_err(|e| IndexError::Manifest(e.to_string()))?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        Ok(())
    }

    /// The stored raw record of the committed event with this key.
    pub fn fetch_stored(&self, key: [u8; 16]) -> Result<Option<StoredDoc>> {
        let reader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let query = self.key_query(key);
        let hits = searcher.search(&query, &tantivy::collector::DocSetCollector)?;
        let Some(addr) = hits.into_iter().next() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(addr)?;
        let seg = searcher.segment_reader(addr.segment_ord);
        let stages = seg
            .fast_fields()
            .u64("stages")?
            .first(addr.doc_id)
            .unwrap_or(0);
        let u64_of = |f| doc.get_first(f).and_then(|v| v.as_u64()).unwrap_or(0);
        Ok(Some(StoredDoc {
            raw: doc
                .get_first(self.fields.raw)
                .and_then(|v| v.as_str())
                .map(|s| s.as_bytes().to_vec())
                .unwrap_or_default(),
            file: u64_of(self.fields.file),
            line: u64_of(self.fields.line),
            record: doc.get_first(self.fields.record).and_then(|v| v.as_u64()),
            stages: StageSet(super::schema::stage_bits(stages)),
            format: super::columns::str_column(seg, "format", addr.doc_id)?,
            cluster: super::columns::str_column(seg, "cluster", addr.doc_id)?,
        }))
    }

    /// Events in the committed index.
    pub fn committed_events(&self) -> Result<u64> {
        let reader: tantivy::IndexReader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(reader.searcher().num_docs())
    }

    /// Waits for background merges, so the process can exit cleanly.
    pub fn finish(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_of_stage_sets() {
        let set = |s: &[Stage]| s.iter().fold(0u8, |a, s| a | s.bit());
        assert_eq!(best_rank(0), Stage::ResponseComplete as u8);
        assert_eq!(
            best_rank(set(&[Stage::RequestReceived])),
            Stage::RequestReceived as u8
        );
        assert_eq!(
            best_rank(set(&[Stage::RequestReceived, Stage::Panic])),
            Stage::Panic as u8
        );
        assert_eq!(
            best_rank(set(&[Stage::ResponseStarted, Stage::ResponseComplete])),
            Stage::ResponseComplete as u8
        );
    }
}

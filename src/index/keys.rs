//! The requests the index already holds, by merge key, with their stages — in memory that
//! stays small whatever the index size: a Bloom filter over every key written, exact stages
//! only for keys written since the last commit (and the few whose stages changed). A key the
//! filter may hold is looked up in the index's key columns, in batches.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use fastbloom::BloomFilter;

use super::Result;
use super::schema::{join_key, split_key};
use super::writer::{IndexWriter, KeyHasher};

/// Merge key → stage bits.
pub type KeyTable = HashMap<[u8; 16], u8, BuildHasherDefault<KeyHasher>>;

/// Most keys the table of keys written since the last commit has room for at first.
const RECENT_CAPACITY: usize = 1 << 20;

/// The false-positive rate of each filter (a false positive costs one batched lookup).
const FALSE_POSITIVES: f64 = 0.002;

/// What the store knows of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Never written.
    Absent,
    /// Written, with these stages.
    Stages(u8),
    /// Perhaps written before the last commit: look it up in the index.
    Maybe,
}

pub struct KeyStore {
    /// Filters over every key written; a new, twice larger one starts when the last is full.
    filters: Vec<BloomFilter>,
    capacity: usize,
    in_last: usize,
    /// Keys written since the last commit.
    recent: KeyTable,
    /// Keys whose stages changed after they were written.
    changed: KeyTable,
}

/// The filter's hash of a key: keys are already uniformly random.
fn hash(key: &[u8; 16]) -> u64 {
    let (hi, lo) = split_key(*key);
    hi ^ lo.rotate_left(29)
}

impl KeyStore {
    /// A store sized for about `expected` keys (it grows past that).
    pub fn new(expected: usize) -> KeyStore {
        let capacity = expected.max(1 << 16);
        KeyStore {
            filters: vec![filter(capacity)],
            capacity,
            in_last: 0,
            recent: KeyTable::default(),
            changed: KeyTable::default(),
        }
    }

    /// Records a key just written.
    pub fn insert(&mut self, key: [u8; 16], stages: u8) {
        self.recent.insert(key, stages);
        self.remember(&key);
    }

    /// Records a key found committed in the index.
    fn remember(&mut self, key: &[u8; 16]) {
        if self.in_last >= self.capacity {
            self.capacity *= 2;
            self.filters.push(filter(self.capacity));
            self.in_last = 0;
        }
        if let Some(f) = self.filters.last_mut() {
            f.insert_hash(hash(key));
        }
        self.in_last += 1;
    }

    /// Records new stages of a key already written.
    pub fn update(&mut self, key: [u8; 16], stages: u8) {
        if let Some(s) = self.recent.get_mut(&key) {
            *s = stages;
        } else {
            self.changed.insert(key, stages);
        }
    }

    pub fn get(&self, key: &[u8; 16]) -> Known {
        if let Some(&s) = self.changed.get(key).or_else(|| self.recent.get(key)) {
            return Known::Stages(s);
        }
        let h = hash(key);
        if self.filters.iter().any(|f| f.contains_hash(h)) {
            Known::Maybe
        } else {
            Known::Absent
        }
    }

    /// The writes so far are committed: their keys are now found in the index.
    pub fn committed(&mut self) {
        self.recent = KeyTable::default();
    }
}

fn filter(capacity: usize) -> BloomFilter {
    BloomFilter::with_false_pos(FALSE_POSITIVES).expected_items(capacity)
}

impl IndexWriter {
    /// The keys of the committed index, with room for `expected_new` more.
    pub fn load_keys(&self, expected_new: usize) -> Result<KeyStore> {
        let searcher = self.searcher()?;
        let committed = usize::try_from(searcher.num_docs()).unwrap_or(0);
        let mut store = KeyStore::new(committed.saturating_add(expected_new));
        // Room for the new keys up to a commit's worth (a checkpoint every GiB of input, about
        // a kilobyte a record) at once: grown from nothing, the table was rehashed some twenty
        // times on the way.
        store.recent.reserve(expected_new.min(RECENT_CAPACITY));
        for seg in searcher.segment_readers() {
            let ff = seg.fast_fields();
            let (hi, lo) = (ff.u64("key_hi")?, ff.u64("key_lo")?);
            for doc in seg.doc_ids_alive() {
                let key = join_key(hi.first(doc).unwrap_or(0), lo.first(doc).unwrap_or(0));
                store.remember(&key);
            }
        }
        Ok(store)
    }

    /// The committed stages of each of `keys` the index holds (one pass over the key columns).
    pub fn committed_stages(&self, keys: &KeyTable) -> Result<KeyTable> {
        let searcher = self.searcher()?;
        let his: std::collections::HashSet<u64> = keys.keys().map(|k| split_key(*k).0).collect();
        let mut found = KeyTable::default();
        for seg in searcher.segment_readers() {
            let ff = seg.fast_fields();
            let (hi, lo, stages) = (ff.u64("key_hi")?, ff.u64("key_lo")?, ff.u64("stages")?);
            for doc in seg.doc_ids_alive() {
                let Some(h) = hi.first(doc) else { continue };
                if !his.contains(&h) {
                    continue;
                }
                let key = join_key(h, lo.first(doc).unwrap_or(0));
                if keys.contains_key(&key) {
                    *found.entry(key).or_insert(0) |=
                        super::schema::stage_bits(stages.first(doc).unwrap_or(0));
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> [u8; 16] {
        join_key(
            i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            i.wrapping_mul(0xC2B2_AE3D_27D4_EB4F),
        )
    }

    #[test]
    fn recent_keys_are_exact_and_committed_ones_need_a_lookup() {
        let mut s = KeyStore::new(10);
        s.insert(key(1), 4);
        assert_eq!(s.get(&key(1)), Known::Stages(4));
        s.update(key(1), 6);
        assert_eq!(s.get(&key(1)), Known::Stages(6));
        s.committed();
        assert_eq!(s.get(&key(1)), Known::Maybe);
        s.update(key(1), 7);
        assert_eq!(s.get(&key(1)), Known::Stages(7));
    }

    #[test]
    fn the_filter_grows_and_stays_selective() {
        let mut s = KeyStore::new(1000);
        for i in 0..300_000 {
            s.insert(key(i), 4);
        }
        s.committed();
        assert!((0..300_000).all(|i| s.get(&key(i)) == Known::Maybe));
        let false_positives = (1_000_000..1_100_000)
            .filter(|&i| s.get(&key(i)) != Known::Absent)
            .count();
        assert!(
            false_positives < 2_000,
            "{false_positives} false positives in 100000"
        );
    }
}

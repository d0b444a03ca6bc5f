//! The rejects files of an ingest run (`rejects/<file-id>.jsonl`, one [`Reject`] per line).
//!
//! What is stored per input is bounded: the first [`STORED_PER_REASON`] rejects of each
//! reason (`kind`) are stored in full, later ones only counted by reason (the counts go to
//! the manifest). Counts stay exact, while a hostile input (millions of `{}` lines in a small
//! gzip) cannot fill the disk or make `kubesift rejects` hold gigabytes.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};

use super::reject::Reject;
use crate::index::{IndexDir, IndexError};

/// Rejects of one reason stored in full per input; further ones are only counted.
pub const STORED_PER_REASON: u64 = 1000;

/// The rejects of one input.
#[derive(Default)]
struct InputLog {
    out: Option<BufWriter<File>>,
    /// The file was created by this run (a later reject appends to it).
    created: bool,
    stored: BTreeMap<String, u64>,
    /// Rejects counted but not stored, by reason.
    not_stored: BTreeMap<String, u64>,
}

/// The rejects files of the inputs of one run, by input index.
pub(super) struct RejectLog<'a> {
    dir: &'a IndexDir,
    inputs: Vec<InputLog>,
}

impl<'a> RejectLog<'a> {
    pub(super) fn new(dir: &'a IndexDir, inputs: usize) -> Self {
        RejectLog {
            dir,
            inputs: (0..inputs).map(|_| InputLog::default()).collect(),
        }
    }

    /// Stores `r` (input `file`, manifest id `id`) unless its reason already has its share;
    /// returns whether it was stored.
    pub(super) fn write(&mut self, file: usize, id: u64, r: &Reject) -> Result<bool, IndexError> {
        let Some(log) = self.inputs.get_mut(file) else {
            return Ok(false);
        };
        let stored = log.stored.entry(r.kind.clone()).or_default();
        if *stored >= STORED_PER_REASON {
            *log.not_stored.entry(r.kind.clone()).or_default() += 1;
            return Ok(false);
        }
        *stored += 1;
        if log.out.is_none() {
            let path = self.dir.rejects_file(id);
            // The first reject of this run replaces a stale file of an earlier run; a
            // reject found after the input ended (a deferred record) is appended.
            let f = if log.created {
                OpenOptions::new().append(true).open(&path)
            } else {
                File::create(&path)
            }
            .map_err(|e| IndexError::io(format!("cannot write {}", path.display()), e))?;
            log.created = true;
            log.out = Some(BufWriter::new(f));
        }
        let line = serde_json::to_string(r).unwrap_or_default();
        if let Some(out) = log.out.as_mut() {
            writeln!(out, "{line}")
                .map_err(|e| IndexError::io("cannot write the rejects file", e))?;
        }
        Ok(true)
    }

    /// Flushes the rejects of input `file` (removing a stale file of an earlier run when
    /// this one stored none); returns the counts of rejects not stored, by reason.
    pub(super) fn finish(
        &mut self,
        file: usize,
        id: u64,
    ) -> Result<BTreeMap<String, u64>, IndexError> {
        let Some(log) = self.inputs.get_mut(file) else {
            return Ok(BTreeMap::new());
        };
        if let Some(mut out) = log.out.take() {
            out.flush()
                .map_err(|e| IndexError::io("cannot write the rejects file", e))?;
        } else if !log.created {
            let _ = std::fs::remove_file(self.dir.rejects_file(id));
        }
        Ok(log.not_stored.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::RecordError;

    #[test]
    fn stores_a_bounded_share_of_each_reason_and_counts_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path().join("idx"));
        std::fs::create_dir_all(dir.rejects_dir()).unwrap();
        let mut log = RejectLog::new(&dir, 1);
        let empty = Reject::new("f", 1, &RecordError::NotAnEvent("x".into()), b"{}");
        let bad = Reject::new("f", 2, &RecordError::NotJson("y".into()), b"z");
        for _ in 0..STORED_PER_REASON + 5 {
            log.write(0, 7, &empty).unwrap();
        }
        assert!(
            log.write(0, 7, &bad).unwrap(),
            "another reason has its own share"
        );
        let not_stored = log.finish(0, 7).unwrap();
        assert_eq!(not_stored.get("not-an-event"), Some(&5));
        assert_eq!(not_stored.get("not-json"), None);
        let text = std::fs::read_to_string(dir.rejects_file(7)).unwrap();
        assert_eq!(text.lines().count() as u64, STORED_PER_REASON + 1);
        // A reject found after the input ended is appended, not a new file.
        log.write(0, 7, &bad).unwrap();
        log.finish(0, 7).unwrap();
        let text = std::fs::read_to_string(dir.rejects_file(7)).unwrap();
        assert_eq!(text.lines().count() as u64, STORED_PER_REASON + 2);
    }
}

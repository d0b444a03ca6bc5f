//! Where a command's case file is: `--case FILE`, else `case.json` in the index directory —
//! and which of those a command may write. Works without opening the index (listing or
//! editing a case never needs one).

use std::path::{Path, PathBuf};

use crate::case::{self, CaseStore};
use crate::index::IndexDir;
use crate::model::sanitize::escape_control;

/// The case file of a command: `--case FILE`, else the one in the index directory.
pub fn case_path(dir: &IndexDir, file: Option<&Path>) -> PathBuf {
    file.map_or_else(|| case::default_path(&dir.root), Path::to_path_buf)
}

/// The case store a command writes: `--case FILE` (never a file of the index directory but
/// its `case.json`), else `case.json` in the index directory — which must then be kubesift's
/// (it is created as an index directory when missing).
pub fn writable_store(dir: &IndexDir, file: Option<&Path>) -> anyhow::Result<CaseStore> {
    let path = checked_case_path(dir, file)?;
    if file.is_none() {
        dir.claim()?;
    }
    Ok(CaseStore::new(path))
}

/// The case file of a command that may write it: `--case FILE` must not be a file of the
/// index directory (other than its `case.json`).
pub fn checked_case_path(dir: &IndexDir, file: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = case_path(dir, file);
    if file.is_some()
        && crate::fsutil::writes_inside(&path, &dir.root)?
        && !crate::fsutil::same_file(&path, &dir.case())
    {
        anyhow::bail!(
            "refusing to use {} as the case file: it is inside the index directory {}; keep it elsewhere (or omit --case for the index's own case.json)",
            escape_control(&path.display().to_string()),
            escape_control(&dir.root.display().to_string())
        );
    }
    Ok(path)
}

impl super::Session {
    /// The event an audit ID (or a prefix only one audit ID starts with, as `show` takes)
    /// names, as the case records it: with its whole audit ID.
    pub fn event_ref(&self, audit_id: &str) -> anyhow::Result<case::EventRef> {
        let Some(loaded) = self.events_with_id_or_prefix(audit_id)?.into_iter().next() else {
            anyhow::bail!(
                "no event with audit ID {} in the index (nor one whose audit ID starts with it)",
                escape_control(audit_id)
            );
        };
        Ok(case::event_ref(&loaded.event))
    }

    /// The whole audit ID an ID or unique prefix names in the index; the text itself when
    /// the index has none (a bookmark of an event no longer indexed can still be removed).
    pub fn whole_audit_id(&self, id: &str) -> String {
        match self.events_with_id_or_prefix(id) {
            Ok(found) => found
                .into_iter()
                .next()
                .map_or_else(|| id.to_owned(), |l| l.event.audit_id),
            Err(_) => id.to_owned(),
        }
    }
}

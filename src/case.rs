//! The case: what the analyst keeps while investigating — bookmarked events with their tags
//! and notes, named saved filters, a title and the analyst's name. One JSON file, kept with
//! the index (`case.json`) or wherever `--case` says.
//!
//! Every change is load → modify → save under an advisory lock (`.case.json.lock` beside
//! the file), the save atomic (a private temporary file, then rename; a symlinked case file
//! is written through), so any number of workbenches and `case` commands can edit one case
//! without losing each other's changes, and a crash never leaves half a file. A case file
//! that does not parse is an error naming the file and the place; it is never overwritten.
//!
//! Imports only `model` and `fsutil` (the index directory reads it to recognise its own
//! `case.json`; the session says where the case file of a command is).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil;
use crate::model::{AuditEvent, EventRow, Micros};

/// The version of the case file format.
pub const CASE_VERSION: u32 = 1;

/// A case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub version: u32,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub analyst: String,
    /// RFC 3339, UTC.
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub updated: String,
    /// Bookmarked events by audit ID.
    #[serde(default)]
    pub events: BTreeMap<String, Bookmark>,
    /// Named filters (query language), by name.
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            version: CASE_VERSION,
            title: String::new(),
            analyst: String::new(),
            created: String::new(),
            updated: String::new(),
            events: BTreeMap::new(),
            filters: BTreeMap::new(),
        }
    }
}

/// A bookmarked event with what the analyst wrote about it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Bookmark {
    /// The event's time (RFC 3339, UTC), so the case sorts without the index.
    pub time: String,
    /// One line to recognise the event by (`alice get secrets shop/db`).
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Free text, several lines allowed.
    #[serde(default)]
    pub note: String,
    /// When it was bookmarked (RFC 3339, UTC).
    #[serde(default)]
    pub added: String,
}

impl Bookmark {
    /// The event's time; `None` when the case file holds no real time for it (edited by
    /// hand): shown as written, never replaced by another time.
    pub fn time_micros(&self) -> Option<Micros> {
        Micros::parse(&self.time)
    }
}

/// The event a case change is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    pub audit_id: String,
    /// `None` for a bookmark whose recorded time is not a real time: left as it is.
    pub time: Option<Micros>,
    pub summary: String,
}

/// The case's record of an event: its audit ID, time and a one-line summary
/// (`alice get secrets shop/db from 10.0.0.1`, and the decoded exec command).
pub fn event_ref(e: &AuditEvent) -> EventRef {
    row_ref(&EventRow::of(e))
}

/// [`event_ref`] of a table row (the events table's rows carry the exec command too).
pub fn row_ref(r: &EventRow<'_>) -> EventRef {
    let words = [
        r.user.to_string(),
        r.verb.to_string(),
        r.resource_or_path(),
        r.target(),
    ];
    let mut summary = words
        .iter()
        .filter(|w| !w.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(ip) = r.source_ip.as_deref().filter(|ip| !ip.is_empty()) {
        let _ = write!(summary, " from {ip}");
    }
    if !r.command_line().is_empty() {
        let _ = write!(summary, " `{}`", r.command_line());
    }
    EventRef {
        audit_id: r.audit_id.to_string(),
        time: Some(r.time),
        summary,
    }
}

/// One change to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOp {
    /// Bookmarks the event (keeping its tags and note if it already is).
    Add(EventRef),
    /// Removes the bookmark, its tags and its note.
    Remove(String),
    /// Bookmarks if needed, then adds or removes the bookmark.
    Toggle(EventRef),
    /// Bookmarks if needed and replaces the tags.
    SetTags(EventRef, Vec<String>),
    /// Bookmarks if needed and adds tags (no duplicates).
    AddTags(EventRef, Vec<String>),
    /// Removes tags from a bookmarked event.
    RemoveTags(String, Vec<String>),
    /// Bookmarks if needed and replaces the note (empty: no note).
    SetNote(EventRef, String),
    /// Saves a named filter (an empty query deletes it).
    SaveFilter {
        name: String,
        query: String,
    },
    SetTitle(String),
    SetAnalyst(String),
}

impl Case {
    /// Bookmarks in time order (then by audit ID).
    pub fn timeline(&self) -> Vec<(&String, &Bookmark)> {
        let mut v: Vec<_> = self.events.iter().collect();
        v.sort_by(|a, b| {
            a.1.time_micros()
                .cmp(&b.1.time_micros())
                .then_with(|| a.0.cmp(b.0))
        });
        v
    }

    pub fn is_marked(&self, audit_id: &str) -> bool {
        self.events.contains_key(audit_id)
    }

    /// Applies a change; `now` stamps new bookmarks and the case. Returns what happened, in
    /// words, for a status line.
    pub fn apply(&mut self, op: CaseOp, now: Micros) -> String {
        let stamp = now.rfc3339();
        if self.created.is_empty() {
            self.created.clone_from(&stamp);
        }
        self.updated.clone_from(&stamp);
        match op {
            CaseOp::Add(ev) => {
                let id = ev.audit_id.clone();
                self.entry(ev, &stamp);
                format!("bookmarked {id}")
            }
            CaseOp::Remove(id) => match self.events.remove(&id) {
                Some(_) => format!("removed {id} from the case"),
                None => format!("{id} was not in the case"),
            },
            CaseOp::Toggle(ev) => {
                if self.events.remove(&ev.audit_id).is_some() {
                    format!("removed {} from the case", ev.audit_id)
                } else {
                    let id = ev.audit_id.clone();
                    self.entry(ev, &stamp);
                    format!("bookmarked {id}")
                }
            }
            CaseOp::SetTags(ev, tags) => {
                let b = self.entry(ev, &stamp);
                b.tags = clean_tags(tags);
                format!("tags: {}", b.tags.join(", "))
            }
            CaseOp::AddTags(ev, tags) => {
                let new = !self.events.contains_key(&ev.audit_id);
                let b = self.entry(ev, &stamp);
                let mut all = std::mem::take(&mut b.tags);
                all.extend(tags);
                b.tags = clean_tags(all);
                format!("{}tags: {}", bookmarked(new), b.tags.join(", "))
            }
            CaseOp::RemoveTags(id, tags) => match self.events.get_mut(&id) {
                Some(b) => {
                    b.tags.retain(|t| !tags.contains(t));
                    format!("tags: {}", b.tags.join(", "))
                }
                None => format!("{id} is not in the case"),
            },
            CaseOp::SetNote(ev, note) => {
                let new = !self.events.contains_key(&ev.audit_id);
                let b = self.entry(ev, &stamp);
                note.trim_end().clone_into(&mut b.note);
                if b.note.is_empty() {
                    format!("{}note removed", bookmarked(new))
                } else {
                    format!("{}note saved", bookmarked(new))
                }
            }
            CaseOp::SaveFilter { name, query } => {
                let name = name.trim().to_owned();
                if query.trim().is_empty() {
                    self.filters.remove(&name);
                    format!("filter `{name}` deleted")
                } else {
                    self.filters.insert(name.clone(), query.trim().to_owned());
                    format!("filter `{name}` saved")
                }
            }
            CaseOp::SetTitle(t) => {
                t.trim().clone_into(&mut self.title);
                "title set".to_owned()
            }
            CaseOp::SetAnalyst(a) => {
                a.trim().clone_into(&mut self.analyst);
                "analyst set".to_owned()
            }
        }
    }

    fn entry(&mut self, ev: EventRef, stamp: &str) -> &mut Bookmark {
        let b = self.events.entry(ev.audit_id).or_insert_with(|| Bookmark {
            added: stamp.to_owned(),
            ..Bookmark::default()
        });
        if let Some(t) = ev.time {
            b.time = t.rfc3339();
        }
        if !ev.summary.is_empty() {
            b.summary = ev.summary;
        }
        b
    }
}

/// Tags trimmed, without empties or duplicates, in the order given.
fn clean_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().trim_start_matches('#').trim().to_owned();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Splits typed tags: commas or whitespace separate them.
pub fn parse_tags(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What can go wrong with a case file. The I/O error is part of the message (not a
/// `source`): the workbench shows the message alone.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case file {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is not a case: where and why. It is left as it is.
    #[error(
        "case file {} is not a valid case ({message}); it was left untouched — repair it, or move it away to start a new case",
        path.display()
    )]
    Corrupt { path: PathBuf, message: String },
}

/// A case file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStore {
    pub path: PathBuf,
}

impl CaseStore {
    pub fn new(path: impl Into<PathBuf>) -> CaseStore {
        CaseStore { path: path.into() }
    }

    /// The case, or an empty one when the file does not exist yet.
    pub fn load(&self) -> Result<Case, CaseError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Case::default()),
            Err(error) => {
                return Err(CaseError::Io {
                    path: self.path.clone(),
                    error,
                });
            }
        };
        parse(&bytes).map_err(|message| CaseError::Corrupt {
            path: self.path.clone(),
            message,
        })
    }

    /// Load, apply, save atomically, holding the case's lock throughout so that concurrent
    /// writers never lose an update; the new case and what happened.
    pub fn update(&self, op: CaseOp) -> Result<(Case, String), CaseError> {
        let io = |error| CaseError::Io {
            path: self.path.clone(),
            error,
        };
        // The lock sits beside the file a symlink leads to: every writer meets there.
        let target = fsutil::resolve_links(&self.path).map_err(io)?;
        fsutil::create_private_dir(fsutil::parent_dir(&target)).map_err(io)?;
        let _lock = fsutil::lock_beside(&target).map_err(io)?;
        let mut case = self.load()?;
        let message = case.apply(op, now());
        let mut text = serde_json::to_string_pretty(&case)
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
        text.push('\n');
        fsutil::write_atomic(&target, text.as_bytes()).map_err(io)?;
        Ok((case, message))
    }
}

/// Parses a case file's bytes; the error says where (line, column) and why.
pub fn parse(bytes: &[u8]) -> Result<Case, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 at byte {}", e.valid_up_to()))?;
    let case: Case = serde_json::from_str(text)
        .map_err(|e| format!("line {} column {}: {e}", e.line(), e.column()))?;
    if case.version > CASE_VERSION {
        return Err(format!(
            "version {} is newer than this kubesift understands ({CASE_VERSION})",
            case.version
        ));
    }
    Ok(case)
}

/// The current time; `SOURCE_DATE_EPOCH` (seconds) fixes it for reproducible output.
pub fn now() -> Micros {
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
    {
        return Micros(secs.saturating_mul(Micros::SECOND));
    }
    Micros::from_timestamp(jiff::Timestamp::now())
}

/// The default case file of an index directory.
pub fn default_path(index_root: &Path) -> PathBuf {
    index_root.join("case.json")
}

/// The start of a message about an event that a tag or a note bookmarked first (it did so
/// silently: the case held an event the analyst never marked, unsaid).
fn bookmarked(new: bool) -> &'static str {
    if new { "bookmarked; " } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, t: i64) -> EventRef {
        EventRef {
            audit_id: id.into(),
            time: Some(Micros(t * Micros::SECOND)),
            summary: format!("event {id}"),
        }
    }

    /// `case tag` on an event not bookmarked bookmarked it, and said only `tags: x`.
    #[test]
    fn regression_a_tag_or_note_bookmarked_an_event_unsaid() {
        let mut c = Case::default();
        let said = c.apply(CaseOp::AddTags(ev("a", 1), parse_tags("x")), Micros(1));
        assert_eq!(said, "bookmarked; tags: x");
        let said = c.apply(CaseOp::AddTags(ev("a", 1), parse_tags("y")), Micros(2));
        assert_eq!(said, "tags: x, y");
        let said = c.apply(CaseOp::SetNote(ev("b", 2), "n".into()), Micros(3));
        assert_eq!(said, "bookmarked; note saved");
        assert!(c.is_marked("a") && c.is_marked("b"));
    }

    #[test]
    fn toggling_tags_and_notes() {
        let mut c = Case::default();
        c.apply(CaseOp::Toggle(ev("b", 20)), Micros(1));
        c.apply(
            CaseOp::AddTags(ev("a", 10), parse_tags("#exfil, lateral  exfil")),
            Micros(2),
        );
        c.apply(
            CaseOp::SetNote(ev("a", 10), "line 1\nline 2\n".into()),
            Micros(3),
        );
        let order: Vec<&str> = c.timeline().iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(order, ["a", "b"]);
        assert_eq!(c.events["a"].tags, ["exfil", "lateral"]);
        assert_eq!(c.events["a"].note, "line 1\nline 2");
        c.apply(CaseOp::Toggle(ev("b", 20)), Micros(4));
        assert!(!c.is_marked("b"));
        c.apply(
            CaseOp::RemoveTags("a".into(), vec!["exfil".into()]),
            Micros(5),
        );
        assert_eq!(c.events["a"].tags, ["lateral"]);
    }

    #[test]
    fn round_trip_and_corruption() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = CaseStore::new(dir.path().join("case.json"));
        assert_eq!(store.load().ok(), Some(Case::default()));
        let (case, _) = store
            .update(CaseOp::SetTitle("INC-42".into()))
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .update(CaseOp::SetTags(ev("x", 5), vec!["c2".into()]))
            .unwrap_or_else(|e| panic!("{e}"));
        let back = store.load().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.title, case.title);
        assert_eq!(back.events["x"].tags, ["c2"]);

        std::fs::write(&store.path, b"{\"version\": 1, \"events\": [").unwrap_or_default();
        let err = store.update(CaseOp::SetTitle("other".into()));
        let Err(CaseError::Corrupt { message, .. }) = err else {
            panic!("expected a corrupt-file error, got {err:?}");
        };
        assert!(message.contains("line 1"), "{message}");
        let kept = std::fs::read(&store.path).unwrap_or_default();
        assert_eq!(kept, b"{\"version\": 1, \"events\": [", "never overwritten");
    }
}

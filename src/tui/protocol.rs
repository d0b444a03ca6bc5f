//! What the pure app says to its runtime: the [`Effect`]s of an update, among them the
//! [`Request`]s to the index thread; the [`Response`]s it gets, each tagged with the request's
//! id; and the [`RequestKind`] that keys pending requests (the app keeps the newest id per
//! kind and drops answers to older ones). Plain data: the pure app and the worker thread
//! both import it, never each other.

use std::path::PathBuf;
use std::sync::Arc;

use super::error::TuiError;
use crate::case::{Case, CaseOp};
use crate::detect::Finding;
use crate::export::{ExportFormat, ExportSpec};
use crate::model::{AuditEvent, EventRow, Micros};
use crate::query::Expr;
use crate::session::IndexFacts;
use crate::story::Identity;
use crate::story::coverage::Coverage;
use crate::story::lineage::Lineage;
use crate::story::sessions::ActorSession;

/// What the app asks its runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Request(Request),
    Copy(String),
    /// Apply a change to the case file, answer with `Action::CaseSaved`.
    Case(CaseOp),
    Quit,
}

/// Something the app wants from the index. Views make requests with id 0; the app numbers
/// them ([`Request::set_id`]) as it sends them.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Rows `offset..offset+limit` of the events matching `expr` (time order), their total,
    /// and which rows match `search` (highlighted, not filtered).
    Page {
        id: u64,
        expr: Expr,
        offset: u64,
        limit: usize,
        search: Option<Expr>,
    },
    /// The full event behind a row.
    Event { id: u64, handle: u64 },
    /// The full event with this audit ID (a bookmark of the case).
    EventById { id: u64, audit_id: String },
    /// Writes an export file.
    Export { id: u64, job: Box<ExportJob> },
    /// Top values of pivot fields for `expr`.
    Pivots {
        id: u64,
        expr: Expr,
        fields: Vec<&'static str>,
        n: usize,
    },
    /// Counts per time bucket for `expr` between `start` and `end`.
    Histogram {
        id: u64,
        expr: Expr,
        start: Option<Micros>,
        end: Option<Micros>,
        buckets: usize,
    },
    /// Reloads the index (its newest commit) and answers with its facts and findings.
    Reload { id: u64 },
    /// Position of the next (or previous) event matching `search` in the time order of
    /// `expr`, after (before) time `from`.
    Find {
        id: u64,
        expr: Expr,
        search: Expr,
        from: Micros,
        backwards: bool,
    },
    /// The sessions of an identity: its requests as commands (`story::sessions`).
    Sessions { id: u64, who: Identity },
    /// The lineage of one credential id (`story::lineage`).
    Lineage { id: u64, credential: String },
    /// What the data set cannot show (`story::coverage`).
    Coverage { id: u64 },
}

/// An export the workbench asks for: what, how, where, with the case and findings of the
/// moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportJob {
    pub spec: ExportSpec,
    pub format: ExportFormat,
    pub path: PathBuf,
    pub case: Case,
    pub findings: Arc<Vec<Finding>>,
}

/// Top values of one field: (field, (value, count) most frequent first, events without a value).
pub type PivotCounts = (&'static str, Vec<(String, u64)>, u64);

/// The worker's answers.
#[derive(Debug, Clone)]
pub enum Response {
    Page {
        id: u64,
        total: u64,
        offset: u64,
        rows: Vec<EventRow<'static>>,
        matches: Vec<bool>,
    },
    Event {
        id: u64,
        event: Box<AuditEvent>,
        raw: String,
    },
    Pivots {
        id: u64,
        lists: Vec<PivotCounts>,
    },
    Histogram {
        id: u64,
        counts: Vec<u64>,
        start: Micros,
        end: Micros,
    },
    Found {
        id: u64,
        offset: Option<u64>,
        /// Whether any event matches at all, before or after: with no `offset`, "no later
        /// match" and "no match at all" are different answers.
        any: bool,
    },
    /// The index was reloaded: its facts now, and its findings (stored ones when fresh,
    /// else computed).
    Reloaded {
        id: u64,
        facts: IndexFacts,
        findings: Option<Result<Vec<Finding>, TuiError>>,
    },
    /// An export was written: what, or why not.
    Exported {
        id: u64,
        result: Result<String, TuiError>,
    },
    Sessions {
        id: u64,
        who: Identity,
        sessions: Vec<ActorSession>,
    },
    Lineage {
        id: u64,
        credential: String,
        lineage: Vec<Lineage>,
    },
    /// The blind spots, or why they could not be computed.
    Coverage {
        id: u64,
        coverage: Result<Box<Coverage>, String>,
    },
    Error {
        id: u64,
        message: String,
    },
}

/// Responses are equal when they answer the same request the same way (kind and id): events
/// carry raw bodies that have no useful equality.
impl PartialEq for Response {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other) && self.id() == other.id()
    }
}

impl Response {
    pub fn id(&self) -> u64 {
        match self {
            Response::Page { id, .. }
            | Response::Event { id, .. }
            | Response::Pivots { id, .. }
            | Response::Histogram { id, .. }
            | Response::Found { id, .. }
            | Response::Exported { id, .. }
            | Response::Reloaded { id, .. }
            | Response::Sessions { id, .. }
            | Response::Lineage { id, .. }
            | Response::Coverage { id, .. }
            | Response::Error { id, .. } => *id,
        }
    }
}

/// What a request asks for. The app keeps one request of each kind in flight: a newer one
/// supersedes the older, whose answer is then dropped. A typo in a kind does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestKind {
    /// A page of the events table ([`Request::Page`]).
    Page,
    /// One full event, by handle or audit ID ([`Request::Event`], [`Request::EventById`]).
    Event,
    /// An export file ([`Request::Export`]).
    Export,
    /// Top values ([`Request::Pivots`]).
    Pivots,
    /// A histogram ([`Request::Histogram`]).
    Histogram,
    /// A reload of the index ([`Request::Reload`]).
    Reload,
    /// The next match of a search ([`Request::Find`]).
    Find,
    /// An identity's sessions ([`Request::Sessions`]).
    Sessions,
    /// A credential's lineage ([`Request::Lineage`]).
    Lineage,
    /// The blind spots ([`Request::Coverage`]).
    Coverage,
}

impl RequestKind {
    /// Every kind.
    pub const ALL: [RequestKind; 10] = [
        RequestKind::Page,
        RequestKind::Event,
        RequestKind::Export,
        RequestKind::Pivots,
        RequestKind::Histogram,
        RequestKind::Reload,
        RequestKind::Find,
        RequestKind::Sessions,
        RequestKind::Lineage,
        RequestKind::Coverage,
    ];

    /// A short lowercase name (benchmark reports).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Page => "page",
            RequestKind::Event => "event",
            RequestKind::Export => "export",
            RequestKind::Pivots => "pivots",
            RequestKind::Histogram => "histogram",
            RequestKind::Reload => "reload",
            RequestKind::Find => "find",
            RequestKind::Sessions => "sessions",
            RequestKind::Lineage => "lineage",
            RequestKind::Coverage => "coverage",
        }
    }
}

impl Request {
    /// The id the answer will carry.
    pub fn id(&self) -> u64 {
        match self {
            Request::Page { id, .. }
            | Request::Event { id, .. }
            | Request::EventById { id, .. }
            | Request::Export { id, .. }
            | Request::Pivots { id, .. }
            | Request::Histogram { id, .. }
            | Request::Reload { id }
            | Request::Find { id, .. }
            | Request::Sessions { id, .. }
            | Request::Lineage { id, .. }
            | Request::Coverage { id } => *id,
        }
    }

    /// Numbers the request (the answer will carry `id`).
    pub fn set_id(&mut self, new: u64) {
        match self {
            Request::Page { id, .. }
            | Request::Event { id, .. }
            | Request::EventById { id, .. }
            | Request::Export { id, .. }
            | Request::Pivots { id, .. }
            | Request::Histogram { id, .. }
            | Request::Reload { id }
            | Request::Find { id, .. }
            | Request::Sessions { id, .. }
            | Request::Lineage { id, .. }
            | Request::Coverage { id } => *id = new,
        }
    }

    /// What the request asks for.
    pub fn kind(&self) -> RequestKind {
        match self {
            Request::Page { .. } => RequestKind::Page,
            Request::Event { .. } | Request::EventById { .. } => RequestKind::Event,
            Request::Export { .. } => RequestKind::Export,
            Request::Pivots { .. } => RequestKind::Pivots,
            Request::Histogram { .. } => RequestKind::Histogram,
            Request::Reload { .. } => RequestKind::Reload,
            Request::Find { .. } => RequestKind::Find,
            Request::Sessions { .. } => RequestKind::Sessions,
            Request::Lineage { .. } => RequestKind::Lineage,
            Request::Coverage { .. } => RequestKind::Coverage,
        }
    }
}

impl Response {
    /// The kind of request this answers; `None` for an error, which answers any.
    pub fn answers(&self) -> Option<RequestKind> {
        match self {
            Response::Page { .. } => Some(RequestKind::Page),
            Response::Event { .. } => Some(RequestKind::Event),
            Response::Pivots { .. } => Some(RequestKind::Pivots),
            Response::Histogram { .. } => Some(RequestKind::Histogram),
            Response::Found { .. } => Some(RequestKind::Find),
            Response::Reloaded { .. } => Some(RequestKind::Reload),
            Response::Exported { .. } => Some(RequestKind::Export),
            Response::Sessions { .. } => Some(RequestKind::Sessions),
            Response::Lineage { .. } => Some(RequestKind::Lineage),
            Response::Coverage { .. } => Some(RequestKind::Coverage),
            Response::Error { .. } => None,
        }
    }
}

/// The newest request id of each kind: answers to any other are stale.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    next_id: u64,
    newest: std::collections::BTreeMap<RequestKind, u64>,
}

impl Pending {
    /// A fresh id for a request of `kind`, which supersedes the previous one of that kind.
    pub fn issue(&mut self, kind: RequestKind) -> u64 {
        self.next_id += 1;
        self.newest.insert(kind, self.next_id);
        self.next_id
    }

    /// Whether `id` is the newest request of `kind`.
    pub fn is_current(&self, kind: RequestKind, id: u64) -> bool {
        self.newest.get(&kind) == Some(&id)
    }

    /// The newest request id of `kind`, if one was made.
    pub fn newest(&self, kind: RequestKind) -> Option<u64> {
        self.newest.get(&kind).copied()
    }

    /// Whether a response answers the newest request of its kind (errors always do).
    pub fn is_fresh(&self, r: &Response) -> bool {
        r.answers().is_none_or(|kind| self.is_current(kind, r.id()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_request_of_a_kind_makes_the_older_answer_stale() {
        let mut p = Pending::default();
        let first = p.issue(RequestKind::Page);
        let find = p.issue(RequestKind::Find);
        let second = p.issue(RequestKind::Page);
        assert!(!p.is_current(RequestKind::Page, first));
        assert!(p.is_current(RequestKind::Page, second));
        assert!(p.is_current(RequestKind::Find, find));
        assert!(!p.is_current(RequestKind::Event, find), "kinds do not mix");
        let stale = Response::Found {
            id: first,
            offset: None,
            any: false,
        };
        assert!(!p.is_fresh(&stale));
        let error = Response::Error {
            id: first,
            message: "x".into(),
        };
        assert!(p.is_fresh(&error));
    }

    #[test]
    fn every_request_has_the_kind_its_answer_has() {
        let reload = Request::Reload { id: 3 };
        assert_eq!((reload.id(), reload.kind()), (3, RequestKind::Reload));
        let by_id = Request::EventById {
            id: 1,
            audit_id: "a".into(),
        };
        assert_eq!(by_id.kind(), RequestKind::Event, "one detail at a time");
        let names: std::collections::BTreeSet<&str> =
            RequestKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), RequestKind::ALL.len());
    }
}

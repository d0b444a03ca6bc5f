//! What detections produce before grouping: one hit per (rule, event), with what hits are
//! grouped by, and the action of a row as findings name it. Shared by the engine and the
//! stateful detectors (neither imports the other's internals through it).

use super::finding::Severity;
use super::row::{EMPTY, Ip, Row, Sym, Vocab};

/// What findings are grouped by besides the rule: an account, or a source address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Account(Sym),
    Address(Ip),
}

impl From<Sym> for Group {
    fn from(s: Sym) -> Group {
        Group::Account(s)
    }
}

impl From<Ip> for Group {
    fn from(ip: Ip) -> Group {
        Group::Address(ip)
    }
}

/// One event matched by one rule.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index into the rule table (the engine's `all_rules`).
    pub rule: usize,
    pub row: Row,
    pub severity: Severity,
    pub group: Group,
    /// Evidence a stateful detector adds (the history an anomaly was compared with).
    pub note: Option<String>,
    /// Hits of one rule and group are split further by this (routine vs. not).
    pub variant: u8,
    /// A grouping gap other than the rule's (routines group over a day).
    pub gap: Option<i64>,
}

/// `verb resource/subresource`, or `verb /path` for non-resource requests.
pub fn action(v: &Vocab, r: &Row) -> String {
    let verb = v.s(r.verb);
    if r.resource == EMPTY {
        return format!("{verb} {}", v.s(r.nonresource));
    }
    match v.s(r.subresource) {
        "" => format!("{verb} {}", v.s(r.resource)),
        sub => format!("{verb} {}/{sub}", v.s(r.resource)),
    }
}

//! The compact view of an event that detections run on: interned strings and a few numbers,
//! built from the index's fast columns (or from events, in tests and fixtures).

use std::collections::HashMap;

use crate::model::{ActorKind, AuditEvent, authz};

/// An interned string. `0` is the empty string.
pub type Sym = u32;
pub const EMPTY: Sym = 0;

/// Interned strings shared by every column.
#[derive(Debug, Clone)]
pub struct Interner {
    strings: Vec<String>,
    map: HashMap<String, Sym>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            strings: Vec::new(),
            map: HashMap::new(),
        };
        i.intern("");
        i
    }
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = self.strings.len() as Sym;
        self.strings.push(s.to_owned());
        self.map.insert(s.to_owned(), sym);
        sym
    }

    /// The symbol of a string, when it occurs at all.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    pub fn str(&self, sym: Sym) -> &str {
        self.strings.get(sym as usize).map_or("", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.len() <= 1
    }

    /// Every (symbol, string).
    pub fn iter(&self) -> impl Iterator<Item = (Sym, &str)> {
        self.strings
            .iter()
            .enumerate()
            .map(|(i, s)| (i as Sym, s.as_str()))
    }
}

/// One event, compactly.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Microseconds since the epoch.
    pub time: i64,
    /// Where the event is in its source (an index document, or a position in a slice).
    pub doc: u64,
    pub user: Sym,
    pub actor: Actor,
    /// Service account `ns:name`.
    pub sa: Sym,
    pub ua: Sym,
    pub ua_family: Sym,
    pub verb: Sym,
    pub resource: Sym,
    pub subresource: Sym,
    pub api_group: Sym,
    pub namespace: Sym,
    pub name: Sym,
    /// The trusted source IP.
    pub peer: Sym,
    /// Response code, 0 when none.
    pub code: u16,
    pub decision: Sym,
    pub role: Sym,
    pub binding: Sym,
    /// Stream kind: exec, attach, portforward, node-proxy.
    pub exec: Sym,
    pub impersonated: Sym,
    /// Pod and node of the bound credential.
    pub pod: Sym,
    pub node: Sym,
    /// The request path of a non-resource request (`/healthz`).
    pub nonresource: Sym,
    /// Set by [`Rows::push`].
    pub(crate) facts_at: u32,
    pub(crate) facts_len: u16,
}

/// [`ActorKind`] with a default, for compact rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Actor {
    Anonymous,
    ServiceAccount,
    Node,
    ControlPlane,
    #[default]
    Human,
}

impl Actor {
    pub fn from_kind(k: ActorKind) -> Actor {
        match k {
            ActorKind::Anonymous => Actor::Anonymous,
            ActorKind::ServiceAccount => Actor::ServiceAccount,
            ActorKind::Node => Actor::Node,
            ActorKind::ControlPlane => Actor::ControlPlane,
            ActorKind::Human => Actor::Human,
        }
    }

    pub fn parse(s: &str) -> Actor {
        ActorKind::parse(s).map_or(Actor::Human, Actor::from_kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Anonymous => "anonymous",
            Actor::ServiceAccount => "service-account",
            Actor::Node => "node",
            Actor::ControlPlane => "control-plane",
            Actor::Human => "human",
        }
    }
}

/// All rows of a data set, in time order, with their strings and facts.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub rows: Vec<Row>,
    facts: Vec<Sym>,
    pub strings: Interner,
}

impl Rows {
    pub fn facts(&self, row: &Row) -> &[Sym] {
        let at = row.facts_at as usize;
        self.facts
            .get(at..at + row.facts_len as usize)
            .unwrap_or_default()
    }

    pub fn s(&self, sym: Sym) -> &str {
        self.strings.str(sym)
    }

    /// Adds a row with its facts (as symbols).
    pub fn push(&mut self, mut row: Row, facts: &[Sym]) {
        row.facts_at = self.facts.len() as u32;
        row.facts_len = facts.len().min(u16::MAX as usize) as u16;
        self.facts
            .extend_from_slice(&facts[..row.facts_len as usize]);
        self.rows.push(row);
    }

    /// Sorts rows by time (stable: equal times keep their order).
    pub fn sort(&mut self) {
        self.rows.sort_by_key(|r| r.time);
    }

    /// Rows of in-memory events; `doc` is the position in `events`. For tests and fixtures.
    pub fn from_events(events: &[AuditEvent]) -> Rows {
        let mut rows = Rows::default();
        for (i, e) in events.iter().enumerate() {
            let row = rows.row_of(e, i as u64);
            let facts: Vec<Sym> = e.facts.iter().map(|f| rows.strings.intern(f)).collect();
            rows.push(row, &facts);
        }
        rows.sort();
        rows
    }

    fn row_of(&mut self, e: &AuditEvent, doc: u64) -> Row {
        let s = &mut self.strings;
        let grant = authz::rbac_grant(&e.authz_reason);
        let node = e
            .credential
            .node_name
            .as_deref()
            .or(e.actor.node.as_deref())
            .unwrap_or_default();
        Row {
            time: e.time.0,
            doc,
            user: s.intern(&e.user.username),
            actor: Actor::from_kind(e.actor.kind),
            sa: s.intern(&e.actor.service_account().unwrap_or_default()),
            ua: s.intern(&e.user_agent),
            ua_family: s.intern(&e.ua_family),
            verb: s.intern(&e.verb),
            resource: s.intern(&e.object.resource),
            subresource: s.intern(&e.object.subresource),
            api_group: s.intern(&e.object.api_group),
            namespace: s.intern(&e.object.namespace),
            name: s.intern(&e.object.name),
            peer: s.intern(e.peer_ip().unwrap_or_default()),
            code: e.code.unwrap_or(0),
            decision: s.intern(&e.decision),
            role: s.intern(grant.as_ref().map(|g| g.role.as_str()).unwrap_or_default()),
            binding: s.intern(
                grant
                    .as_ref()
                    .map(|g| g.binding.as_str())
                    .unwrap_or_default(),
            ),
            exec: s.intern(e.exec.as_ref().map(|x| x.kind.as_str()).unwrap_or_default()),
            impersonated: s.intern(
                e.impersonated
                    .as_ref()
                    .map(|u| u.username.as_str())
                    .unwrap_or_default(),
            ),
            pod: s.intern(e.credential.pod_name.as_deref().unwrap_or_default()),
            node: s.intern(node),
            nonresource: s.intern(if e.object.resource.is_empty() {
                e.path()
            } else {
                ""
            }),
            facts_at: 0,
            facts_len: 0,
        }
    }

    /// True when the authorizer allowed the request (the decision annotation, else a 2xx or
    /// 101 code).
    pub fn allowed(&self, r: &Row) -> bool {
        match self.s(r.decision) {
            "allow" => true,
            "forbid" => false,
            _ => (200..300).contains(&r.code) || r.code == 101,
        }
    }

    /// True for control-plane identities and kube-controller-manager's own controllers.
    pub fn is_controller(&self, r: &Row) -> bool {
        r.actor == Actor::ControlPlane
            || crate::model::actor::is_builtin_controller_sa(self.s(r.sa))
    }

    /// True when the request took effect: 2xx or 101, or no code logged and not denied.
    pub fn succeeded(&self, r: &Row) -> bool {
        match r.code {
            0 => self.s(r.decision) != "forbid",
            c => (200..300).contains(&c) || c == 101,
        }
    }

    /// True when the request was refused (forbidden, unauthorized).
    pub fn denied(&self, r: &Row) -> bool {
        self.s(r.decision) == "forbid" || r.code == 401 || r.code == 403
    }
}

//! The compact view of an event that detections run on: interned strings and a few numbers.
//! Rows stream from a [`RowSource`] in time order — the index's fast columns, or events in
//! memory (tests, fixtures) — so detecting never holds every event at once.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

use crate::model::{ActorKind, AuditEvent, EventRow, fields};

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
        // Symbols number the distinct strings of one scan: fewer than 2^32 by far.
        let sym = Sym::try_from(self.strings.len()).unwrap_or(Sym::MAX);
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
        self.strings.iter().zip(0..).map(|(s, i)| (i, s.as_str()))
    }
}

/// An IP address as 128 bits (IPv4 mapped into IPv6); 0 when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Ip(pub u128);

impl Ip {
    pub fn parse(s: &str) -> Ip {
        match s.trim().parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => Ip(u128::from(v4.to_ipv6_mapped())),
            Ok(IpAddr::V6(v6)) => Ip(u128::from(v6)),
            Err(_) => Ip(0),
        }
    }

    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    pub fn addr(self) -> Option<IpAddr> {
        if self.is_none() {
            return None;
        }
        let v6 = Ipv6Addr::from(self.0);
        Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4))
    }

    pub fn is_public(self) -> bool {
        self.addr().is_some_and(crate::model::net::is_public_addr)
    }

    /// The first two octets of an IPv4 address (first 64 bits of an IPv6 one).
    pub fn subnet(self) -> u128 {
        match self.addr() {
            Some(IpAddr::V4(v4)) => u128::from(u32::from(v4) >> 16),
            Some(IpAddr::V6(_)) => self.0 >> 64,
            None => 0,
        }
    }
}

impl std::fmt::Display for Ip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.addr() {
            Some(a) => write!(f, "{a}"),
            None => Ok(()),
        }
    }
}

/// One event, compactly.
#[derive(Debug, Clone, Default, PartialEq)]
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
    pub peer: Ip,
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
    pub facts: Vec<Sym>,
}

/// Reads one string member of a row.
pub type SymOf = fn(&Row) -> Sym;

/// Where a [`Row`] keeps one of its string columns.
#[derive(Debug, Clone, Copy)]
pub enum Slot {
    /// One interned string, read and written through these.
    Sym(SymOf, fn(&mut Row) -> &mut Sym),
    /// The actor kind, as an [`Actor`].
    Actor,
    /// Every value (the facts).
    Facts,
}

macro_rules! sym {
    ($member:ident) => {
        Slot::Sym(|r| r.$member, |r| &mut r.$member)
    };
}

/// The string columns of a row: the registry field (an index column) that fills each, and
/// where the row keeps it. Rows are read (and their strings interned) in this order.
pub const COLUMNS: &[(&str, Slot)] = &[
    ("user", sym!(user)),
    ("actor_kind", Slot::Actor),
    ("sa", sym!(sa)),
    ("ua", sym!(ua)),
    ("ua_family", sym!(ua_family)),
    ("verb", sym!(verb)),
    ("resource", sym!(resource)),
    ("subresource", sym!(subresource)),
    ("api_group", sym!(api_group)),
    ("namespace", sym!(namespace)),
    ("name", sym!(name)),
    ("decision", sym!(decision)),
    ("role", sym!(role)),
    ("binding", sym!(binding)),
    ("exec", sym!(exec)),
    ("impersonated", sym!(impersonated)),
    ("pod", sym!(pod)),
    ("node", sym!(node)),
    ("nonresource", sym!(nonresource)),
    ("fact", Slot::Facts),
];

/// How to read the string member a registry field fills, when a row keeps it as one string.
pub fn sym_of(field: &str) -> Option<SymOf> {
    COLUMNS.iter().find_map(|(name, slot)| match slot {
        Slot::Sym(get, _) if *name == field => Some(*get),
        _ => None,
    })
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
    Unknown,
}

impl Actor {
    pub fn from_kind(k: ActorKind) -> Actor {
        match k {
            ActorKind::Anonymous => Actor::Anonymous,
            ActorKind::ServiceAccount => Actor::ServiceAccount,
            ActorKind::Node => Actor::Node,
            ActorKind::ControlPlane => Actor::ControlPlane,
            ActorKind::Human => Actor::Human,
            ActorKind::Unknown => Actor::Unknown,
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
            Actor::Unknown => "unknown",
        }
    }
}

/// The strings of a data set, with the symbols of the words detectors compare with.
#[derive(Debug, Clone)]
pub struct Vocab {
    pub strings: Interner,
    pub k: Known,
}

macro_rules! known {
    ($($field:ident = $text:literal),* $(,)?) => {
        /// Symbols of fixed words (interned whether or not the data holds them).
        #[derive(Debug, Clone, Copy, Default)]
        pub struct Known { $(pub $field: Sym),* }
        impl Known {
            fn intern(s: &mut Interner) -> Known {
                Known { $($field: s.intern($text)),* }
            }
        }
    };
}

known! {
    allow = "allow",
    forbid = "forbid",
    secrets = "secrets",
    pods = "pods",
    exec = "exec",
    attach = "attach",
    get = "get",
    list = "list",
    watch = "watch",
    create = "create",
    delete = "delete",
    serviceaccounts = "serviceaccounts",
    token = "token",
}

impl Default for Vocab {
    fn default() -> Self {
        Vocab::new(Interner::default())
    }
}

impl Vocab {
    pub fn new(mut strings: Interner) -> Vocab {
        let k = Known::intern(&mut strings);
        Vocab { strings, k }
    }

    pub fn s(&self, sym: Sym) -> &str {
        self.strings.str(sym)
    }

    /// True when the authorizer allowed the request (the decision annotation, else a 2xx or
    /// 101 code).
    pub fn allowed(&self, r: &Row) -> bool {
        if r.decision == self.k.allow {
            true
        } else if r.decision == self.k.forbid {
            false
        } else {
            (200..300).contains(&r.code) || r.code == 101
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
            0 => r.decision != self.k.forbid,
            c => (200..300).contains(&c) || c == 101,
        }
    }

    /// True when the request was refused (forbidden, unauthorized).
    pub fn denied(&self, r: &Row) -> bool {
        r.decision == self.k.forbid || r.code == 401 || r.code == 403
    }
}

/// An error reading rows.
pub type ScanError = Box<dyn std::error::Error + Send + Sync>;

/// Rows in time order, with their vocabulary.
pub trait RowSource {
    fn vocab(&self) -> &Vocab;
    /// Calls `f` with every row, oldest first.
    fn scan(&self, f: &mut dyn FnMut(&Row)) -> Result<(), ScanError>;
}

/// Rows held in memory (events of tests and fixtures).
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub rows: Vec<Row>,
    pub vocab: Vocab,
}

impl RowSource for Rows {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    fn scan(&self, f: &mut dyn FnMut(&Row)) -> Result<(), ScanError> {
        self.rows.iter().for_each(f);
        Ok(())
    }
}

impl Rows {
    /// Rows of in-memory events; `doc` is the position in `events`.
    pub fn from_events(events: &[AuditEvent]) -> Rows {
        let mut strings = Interner::default();
        let mut rows: Vec<Row> = events
            .iter()
            .enumerate()
            .map(|(i, e)| row_of(&mut strings, e, i as u64))
            .collect();
        rows.sort_by_key(|r| r.time);
        Rows {
            rows,
            vocab: Vocab::new(strings),
        }
    }
}

fn row_of(s: &mut Interner, e: &AuditEvent, doc: u64) -> Row {
    let flat = EventRow::of(e);
    let mut row = Row {
        time: e.time.0,
        doc,
        actor: Actor::from_kind(e.actor.kind),
        peer: Ip::parse(flat.peer()),
        code: e.code.unwrap_or(0),
        ..Row::default()
    };
    for (name, slot) in COLUMNS {
        let Some(field) = fields::get(name) else {
            continue;
        };
        match slot {
            Slot::Sym(_, set) => {
                let mut first = None;
                (field.read)(&flat, &mut |v| {
                    first.get_or_insert_with(|| s.intern(v));
                });
                *set(&mut row) = first.unwrap_or(EMPTY);
            }
            Slot::Actor => {}
            Slot::Facts => (field.read)(&flat, &mut |v| row.facts.push(s.intern(v))),
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips() {
        let ip = Ip::parse("10.244.2.7");
        assert_eq!(ip.to_string(), "10.244.2.7");
        assert!(!ip.is_public());
        assert!(Ip::parse("198.51.100.77").is_public());
        assert_eq!(Ip::parse("10.244.9.9").subnet(), ip.subnet());
        assert!(Ip::parse("nope").is_none());
        assert_eq!(Ip::parse("::1").to_string(), "::1");
    }
}

//! Evaluating compiled Sigma detections: first on the compact [`Row`] the detect pass already
//! reads (three-valued: a field the row does not hold is *unknown*), then — only when the row
//! cannot decide — on the event itself, as the JSON of an `audit.k8s.io/v1` Event.
//!
//! Field names are paths of that JSON (`objectRef.resource`, `user.username`,
//! `responseStatus.code`, `requestObject.spec.hostNetwork`); a key that holds dots
//! (`annotations.authorization.k8s.io/decision`) is found too. Arrays are searched element
//! by element. A name without a dot that is not a member of the Event (`hostPath`,
//! `capabilities`, `apiGroup`, as the `SigmaHQ` rules write them) is looked up as a key at any
//! depth. Strings compare case-insensitively unless `|cased`; numbers and booleans compare by
//! their text (`403`, `true`).

use rustc_hash::FxHashMap;
use serde_json::{Map, Value, json};

use super::detection::{Body, Cond, Detection, FieldTest, Matcher, NumOp};
use crate::detect::row::{EMPTY, Row, Sym, Vocab};
use crate::model::AuditEvent;

/// The top-level members of an audit Event (a bare name among them is not searched deeper).
const EVENT_MEMBERS: &[&str] = &[
    "kind",
    "apiVersion",
    "level",
    "auditID",
    "stage",
    "requestURI",
    "verb",
    "user",
    "impersonatedUser",
    "sourceIPs",
    "userAgent",
    "objectRef",
    "responseStatus",
    "requestObject",
    "responseObject",
    "requestReceivedTimestamp",
    "stageTimestamp",
    "annotations",
];

/// The event as the API server logs it (`audit.k8s.io/v1`): what Sigma field paths name.
/// Empty strings are left out, as the API server omits them.
pub fn audit_json(e: &AuditEvent) -> Value {
    let mut m = Map::new();
    let put = |m: &mut Map<String, Value>, k: &str, v: &str| {
        if !v.is_empty() {
            m.insert(k.to_owned(), Value::String(v.to_owned()));
        }
    };
    m.insert("kind".into(), json!("Event"));
    m.insert("apiVersion".into(), json!("audit.k8s.io/v1"));
    put(&mut m, "level", &e.level);
    put(&mut m, "auditID", &e.audit_id);
    put(&mut m, "stage", e.stage.map_or("", |s| s.as_str()));
    put(&mut m, "requestURI", &e.request_uri);
    put(&mut m, "verb", &e.verb);
    m.insert("user".into(), user_json(&e.user));
    if let Some(i) = &e.impersonated {
        m.insert("impersonatedUser".into(), user_json(i));
    }
    if !e.source_ips.is_empty() {
        m.insert("sourceIPs".into(), json!(e.source_ips));
    }
    put(&mut m, "userAgent", &e.user_agent);
    let mut o = Map::new();
    put(&mut o, "resource", &e.object.resource);
    put(&mut o, "subresource", &e.object.subresource);
    put(&mut o, "namespace", &e.object.namespace);
    put(&mut o, "name", &e.object.name);
    put(&mut o, "apiGroup", &e.object.api_group);
    put(&mut o, "apiVersion", &e.object.api_version);
    if !o.is_empty() {
        m.insert("objectRef".into(), Value::Object(o));
    }
    if e.code.is_some() || !e.status_reason.is_empty() || !e.status_message.is_empty() {
        let mut s = Map::new();
        if let Some(c) = e.code {
            s.insert("code".into(), json!(c));
        }
        put(&mut s, "reason", &e.status_reason);
        put(&mut s, "message", &e.status_message);
        m.insert("responseStatus".into(), Value::Object(s));
    }
    for (k, raw) in [
        ("requestObject", &e.request_object),
        ("responseObject", &e.response_object),
    ] {
        if let Some(v) = raw
            .as_ref()
            .and_then(|r| serde_json::from_str(r.get()).ok())
        {
            m.insert(k.into(), v);
        }
    }
    if let Some(t) = e.received {
        m.insert("requestReceivedTimestamp".into(), json!(t.to_string()));
    }
    if let Some(t) = e.stage_time {
        m.insert("stageTimestamp".into(), json!(t.to_string()));
    }
    if !e.annotations.is_empty() {
        m.insert("annotations".into(), json!(e.annotations));
    }
    Value::Object(m)
}

fn user_json(u: &crate::model::UserInfo) -> Value {
    let mut m = Map::new();
    if !u.username.is_empty() {
        m.insert("username".into(), json!(u.username));
    }
    if !u.uid.is_empty() {
        m.insert("uid".into(), json!(u.uid));
    }
    if !u.groups.is_empty() {
        m.insert("groups".into(), json!(u.groups));
    }
    if !u.extra.is_empty() {
        m.insert("extra".into(), json!(u.extra));
    }
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------
// On the event's JSON.

/// The values of a field in the event (arrays flattened; objects kept as values).
pub fn values<'a>(event: &'a Value, field: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let segs: Vec<&str> = field.split('.').collect();
    let top = event.as_object();
    if segs.len() == 1
        && !EVENT_MEMBERS.contains(&field)
        && top.is_some_and(|m| !m.contains_key(field))
    {
        anywhere(event, field, &mut out);
    } else {
        at_path(event, &segs, &mut out);
    }
    out
}

fn push_flat<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| push_flat(i, out)),
        v => out.push(v),
    }
}

fn at_path<'a>(v: &'a Value, segs: &[&str], out: &mut Vec<&'a Value>) {
    if segs.is_empty() {
        push_flat(v, out);
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| at_path(i, segs, out)),
        Value::Object(m) => {
            // The longest run of segments that is a key first (keys may hold dots).
            for n in (1..=segs.len()).rev() {
                let key = segs[..n].join(".");
                if let Some(child) = m.get(&key) {
                    at_path(child, &segs[n..], out);
                }
            }
        }
        _ => {}
    }
}

fn anywhere<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| anywhere(i, key, out)),
        Value::Object(m) => {
            for (k, child) in m {
                if k == key {
                    push_flat(child, out);
                }
                anywhere(child, key, out);
            }
        }
        _ => {}
    }
}

fn is_void(v: &Value) -> bool {
    matches!(v, Value::Null) || v.as_str().is_some_and(str::is_empty)
}

/// Whether one matcher holds for a field's values.
fn matcher_holds(m: &Matcher, vals: &[&Value]) -> bool {
    match m {
        Matcher::Null => vals.iter().all(|v| is_void(v)),
        Matcher::Exists(want) => vals.iter().any(|v| !v.is_null()) == *want,
        _ => vals.iter().any(|v| value_matches(m, v)),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a matcher holds for one value (a string, number or boolean; an object or
/// array only for a lone `*`).
pub fn value_matches(m: &Matcher, v: &Value) -> bool {
    if v.is_null() {
        return false;
    }
    if let Matcher::Text { any: true, .. } = m {
        return true;
    }
    scalar(v).is_some_and(|s| str_matches(m, &s))
}

/// Whether a matcher holds for one string value.
pub fn str_matches(m: &Matcher, s: &str) -> bool {
    match m {
        Matcher::Null => s.is_empty(),
        Matcher::Exists(want) => *want,
        Matcher::Text { glob, cased, any } => {
            *any || if *cased {
                glob.is_match(s)
            } else {
                glob.is_match(&s.to_lowercase())
            }
        }
        Matcher::Re(re) => re.is_match(s),
        Matcher::Num(op, n) => s.trim().parse::<f64>().is_ok_and(|x| match op {
            NumOp::Lt => x < *n,
            NumOp::Lte => x <= *n,
            NumOp::Gt => x > *n,
            NumOp::Gte => x >= *n,
        }),
        Matcher::Cidr(net) => s
            .trim()
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| net.contains(&ip)),
    }
}

fn test_holds(t: &FieldTest, event: &Value) -> bool {
    let vals = values(event, &t.field);
    if t.all {
        t.matchers.iter().all(|m| matcher_holds(m, &vals))
    } else {
        t.matchers.iter().any(|m| matcher_holds(m, &vals))
    }
}

fn keyword_holds(m: &Matcher, v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| keyword_holds(m, i)),
        Value::Object(o) => o.values().any(|i| keyword_holds(m, i)),
        v => value_matches(m, v),
    }
}

/// Whether the detection holds for the event.
pub fn holds(d: &Detection, event: &Value) -> bool {
    cond_holds(d, &d.condition, event)
}

fn cond_holds(d: &Detection, c: &Cond, event: &Value) -> bool {
    match c {
        Cond::Sel(i) => match &d.selections[*i].body {
            Body::Fields(alts) => alts
                .iter()
                .any(|tests| tests.iter().all(|t| test_holds(t, event))),
            Body::Keywords(ms) => ms.iter().any(|m| keyword_holds(m, event)),
        },
        Cond::Not(x) => !cond_holds(d, x, event),
        Cond::And(xs) => xs.iter().all(|x| cond_holds(d, x, event)),
        Cond::Or(xs) => xs.iter().any(|x| cond_holds(d, x, event)),
    }
}

// ---------------------------------------------------------------------------------------
// On the row: three-valued.

/// Kleene's three values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    No,
    Unknown,
    Yes,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::No => Tri::Yes,
            Tri::Yes => Tri::No,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

fn all_of(items: impl Iterator<Item = Tri>) -> Tri {
    let mut out = Tri::Yes;
    for t in items {
        match t {
            Tri::No => return Tri::No,
            Tri::Unknown => out = Tri::Unknown,
            Tri::Yes => {}
        }
    }
    out
}

fn any_of(items: impl Iterator<Item = Tri>) -> Tri {
    let mut out = Tri::No;
    for t in items {
        match t {
            Tri::Yes => return Tri::Yes,
            Tri::Unknown => out = Tri::Unknown,
            Tri::No => {}
        }
    }
    out
}

/// How a field is read from a row.
#[derive(Debug, Clone, Copy)]
enum RowField {
    /// The row holds the field's only value (`EMPTY`: absent).
    Whole(fn(&Row) -> Sym),
    /// The row holds one of the field's values (a match decides; a miss does not).
    Part(fn(&Row) -> Sym),
    /// The response code (0: absent).
    Code,
    /// The trusted source IP: one of `sourceIPs`.
    Peer,
}

fn row_field(field: &str) -> Option<RowField> {
    Some(match field {
        "verb" => RowField::Whole(|r| r.verb),
        "objectRef.resource" => RowField::Whole(|r| r.resource),
        "objectRef.subresource" => RowField::Whole(|r| r.subresource),
        "objectRef.namespace" => RowField::Whole(|r| r.namespace),
        "objectRef.name" => RowField::Whole(|r| r.name),
        "objectRef.apiGroup" => RowField::Whole(|r| r.api_group),
        "user.username" => RowField::Whole(|r| r.user),
        "userAgent" => RowField::Whole(|r| r.ua),
        "impersonatedUser.username" => RowField::Whole(|r| r.impersonated),
        // `apiGroup` anywhere: objectRef's is one of them.
        "apiGroup" => RowField::Part(|r| r.api_group),
        "responseStatus.code" => RowField::Code,
        "sourceIPs" => RowField::Peer,
        _ => return None,
    })
}

/// A field test prepared for rows, with its answers for the values seen so far (a test on
/// one row field depends on that value only: one lookup per test and row).
#[derive(Debug)]
struct RowTest {
    how: Option<RowField>,
    /// Answers by the row's value (a symbol, the code, or the address): small values in a
    /// table (0: not known yet), the others in a map.
    dense: Vec<u8>,
    cache: FxHashMap<u128, Tri>,
}

/// Values below this are answered from [`RowTest::dense`] (verbs, resources, namespaces and
/// codes are among the first strings of the index's vocabulary).
const DENSE: u128 = 1 << 16;

impl Tri {
    fn code(self) -> u8 {
        match self {
            Tri::No => 1,
            Tri::Unknown => 2,
            Tri::Yes => 3,
        }
    }

    fn of_code(c: u8) -> Option<Tri> {
        match c {
            1 => Some(Tri::No),
            2 => Some(Tri::Unknown),
            3 => Some(Tri::Yes),
            _ => None,
        }
    }
}

/// A compiled detection with what evaluating it on rows needs.
#[derive(Debug)]
pub struct RowEval {
    /// Per selection, per alternative, per test.
    tests: Vec<Vec<Vec<RowTest>>>,
}

impl RowEval {
    pub fn new(d: &Detection) -> RowEval {
        let tests = d
            .selections
            .iter()
            .map(|s| match &s.body {
                Body::Fields(alts) => alts
                    .iter()
                    .map(|tests| {
                        tests
                            .iter()
                            .map(|t| RowTest {
                                how: row_field(&t.field),
                                dense: Vec::new(),
                                cache: FxHashMap::default(),
                            })
                            .collect()
                    })
                    .collect(),
                Body::Keywords(_) => Vec::new(),
            })
            .collect();
        RowEval { tests }
    }

    /// What the row alone says about the detection.
    pub fn eval(&mut self, d: &Detection, v: &Vocab, row: &Row) -> Tri {
        self.cond(d, &d.condition, v, row)
    }

    fn cond(&mut self, d: &Detection, c: &Cond, v: &Vocab, row: &Row) -> Tri {
        match c {
            Cond::Sel(i) => self.selection(d, *i, v, row),
            Cond::Not(x) => self.cond(d, x, v, row).not(),
            Cond::And(xs) => {
                let mut out = Tri::Yes;
                for x in xs {
                    match self.cond(d, x, v, row) {
                        Tri::No => return Tri::No,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::Yes => {}
                    }
                }
                out
            }
            Cond::Or(xs) => {
                let mut out = Tri::No;
                for x in xs {
                    match self.cond(d, x, v, row) {
                        Tri::Yes => return Tri::Yes,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::No => {}
                    }
                }
                out
            }
        }
    }

    fn selection(&mut self, d: &Detection, i: usize, v: &Vocab, row: &Row) -> Tri {
        let Body::Fields(alts) = &d.selections[i].body else {
            return Tri::Unknown;
        };
        let prepared = &mut self.tests[i];
        any_of(alts.iter().zip(prepared.iter_mut()).map(|(tests, rts)| {
            all_of(
                tests
                    .iter()
                    .zip(rts.iter_mut())
                    .map(|(t, rt)| rt.eval(t, v, row)),
            )
        }))
    }
}

impl RowTest {
    fn eval(&mut self, t: &FieldTest, v: &Vocab, row: &Row) -> Tri {
        let Some(how) = self.how else {
            return Tri::Unknown;
        };
        let key = match how {
            RowField::Whole(get) | RowField::Part(get) => u128::from(get(row)),
            RowField::Code => u128::from(row.code),
            RowField::Peer => row.peer.0,
        };
        let known = if key < DENSE {
            self.dense.get(key as usize).copied().and_then(Tri::of_code)
        } else {
            self.cache.get(&key).copied()
        };
        if let Some(answer) = known {
            return answer;
        }
        let results = t.matchers.iter().map(|m| matcher_on_row(how, m, v, row));
        let answer = if t.all {
            all_of(results)
        } else {
            any_of(results)
        };
        if key < DENSE {
            let i = key as usize;
            if self.dense.len() <= i {
                self.dense.resize(i + 1, 0);
            }
            self.dense[i] = answer.code();
        } else {
            self.cache.insert(key, answer);
        }
        answer
    }
}

fn matcher_on_row(how: RowField, m: &Matcher, v: &Vocab, row: &Row) -> Tri {
    // Rows may hold lower-cased copies: a case-sensitive test needs the event.
    if m.is_cased() {
        return Tri::Unknown;
    }
    let (sym, whole) = match how {
        RowField::Whole(get) => (get(row), true),
        RowField::Part(get) => (get(row), false),
        RowField::Code => {
            return match (m, row.code) {
                (Matcher::Null | Matcher::Exists(false), 0) => Tri::Yes,
                (Matcher::Exists(true), c) => to_tri(c != 0, true),
                (Matcher::Null | Matcher::Exists(false), _) | (_, 0) => Tri::No,
                (m, c) => to_tri(str_matches(m, &c.to_string()), true),
            };
        }
        RowField::Peer => {
            return match m {
                Matcher::Null | Matcher::Exists(_) => Tri::Unknown,
                _ if row.peer.is_none() => Tri::Unknown,
                m => to_tri(str_matches(m, &row.peer.to_string()), false),
            };
        }
    };
    match m {
        Matcher::Null => {
            if whole {
                to_tri(sym == EMPTY, true)
            } else if sym == EMPTY {
                Tri::Unknown
            } else {
                Tri::No
            }
        }
        Matcher::Exists(want) => {
            let present = sym != EMPTY;
            if whole {
                to_tri(present == *want, true)
            } else if present {
                to_tri(*want, true)
            } else {
                Tri::Unknown
            }
        }
        m => {
            if sym == EMPTY {
                return to_tri(false, whole);
            }
            to_tri(str_matches(m, v.s(sym)), whole)
        }
    }
}

/// A match decides; a miss decides only when the row holds the whole field.
fn to_tri(hit: bool, whole: bool) -> Tri {
    match (hit, whole) {
        (true, _) => Tri::Yes,
        (false, true) => Tri::No,
        (false, false) => Tri::Unknown,
    }
}

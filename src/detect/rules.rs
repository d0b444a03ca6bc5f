//! Single-event rules are data: TOML files (built in from `assets/rules/`, more with
//! `--rules DIR`), validated at load with errors naming the file, the rule and the field.
//! String conditions are globs in the query language's dialect ([`crate::query::glob`]).
//! Within one source (the built-in files, or one `--rules` directory) an id is defined
//! once; a later source replaces a rule by id.
//!
//! ```toml
//! [[rule]]
//! id = "KS-NODE-HOSTPATH"
//! detection = ["15"]                     # numbers in docs/detections.md
//! title = "Workload mounts a sensitive host path"
//! family = "node-compromise"
//! severity = "high"
//! attack = { id = "T1611", name = "Escape to Host" }
//! advice = "Enforce the Baseline Pod Security Standard …"
//! [rule.match]                            # every key must hold
//! verb = ["create", "update", "patch"]    # any of; `*` globs; `!x` excludes
//! fact = "hostpath-sensitive:*"           # any fact of the event matches
//! [[rule.unless]]                         # any block that fully matches drops the event
//! actor_kind = "control-plane"
//! [[rule.raise]]                          # the first block that matches sets the severity
//! when = { fact = "hostpath-sensitive:root" }
//! severity = "critical"
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::finding::{Attack, Family, Severity};
use super::row::{Row, Sym, SymOf, Vocab, sym_of};
use crate::model::fields::{self, FIELDS, RuleUse};
use crate::query::glob::Glob;

/// The rule files built into the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "assets/rules/anonymous.toml",
        include_str!("../../assets/rules/anonymous.toml"),
    ),
    (
        "assets/rules/exec.toml",
        include_str!("../../assets/rules/exec.toml"),
    ),
    (
        "assets/rules/node.toml",
        include_str!("../../assets/rules/node.toml"),
    ),
    (
        "assets/rules/secrets.toml",
        include_str!("../../assets/rules/secrets.toml"),
    ),
    (
        "assets/rules/escalation.toml",
        include_str!("../../assets/rules/escalation.toml"),
    ),
    (
        "assets/rules/persistence.toml",
        include_str!("../../assets/rules/persistence.toml"),
    ),
    (
        "assets/rules/anomaly.toml",
        include_str!("../../assets/rules/anomaly.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    title: String,
    family: String,
    severity: String,
    #[serde(default)]
    detection: Vec<String>,
    attack: Option<Attack>,
    advice: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "match")]
    when: Conditions,
    #[serde(default)]
    unless: Vec<Conditions>,
    #[serde(default)]
    raise: Vec<Adjust>,
    /// Events of one account further apart than this start a new finding.
    group_gap: Option<String>,
    /// Keep the severity when every event was denied (rules about denials).
    #[serde(default)]
    keep_denied: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Adjust {
    when: Conditions,
    severity: String,
}

/// Conditions on one event; every key given must hold. The keys matched as strings are the
/// registry's rule fields ([`crate::model::fields`]); the others ([`OWN_KEYS`]) are
/// conditions of their own.
#[derive(Debug, Default, Clone)]
pub struct Conditions {
    /// Patterns on a string member of the row (the registry field, the member's getter),
    /// one per key given.
    strings: Vec<(&'static str, SymOf, Strings)>,
    actor_kind: Option<Strings>,
    /// Globs on the trusted source IP.
    peer: Option<Strings>,
    /// At least one fact of the event matches.
    fact: Option<Strings>,
    /// No fact of the event matches.
    no_fact: Option<Strings>,
    code: Option<Vec<u16>>,
    code_min: Option<u16>,
    code_max: Option<u16>,
    allowed: Option<bool>,
    namespaced: Option<bool>,
    /// The trusted source IP is on the internet.
    public_ip: Option<bool>,
    /// The request took effect: a 2xx (or 101) response, or no response code logged and no
    /// denial. Failed creations (refused by RBAC, admission or validation) created nothing.
    succeeded: Option<bool>,
    /// The actor is a control-plane identity or one of kube-controller-manager's controllers.
    controller: Option<bool>,
}

/// The keys of a condition block that are conditions of their own, not strings of a field.
pub const OWN_KEYS: &[&str] = &[
    "actor_kind",
    "peer",
    "fact",
    "no_fact",
    "code",
    "code_min",
    "code_max",
    "allowed",
    "namespaced",
    "public_ip",
    "succeeded",
    "controller",
];

/// Every key a condition block may use.
pub fn condition_keys() -> &'static [&'static str] {
    static KEYS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        FIELDS
            .iter()
            .filter_map(|f| match f.rule {
                RuleUse::Strings(key) => Some(key),
                RuleUse::No | RuleUse::Own => None,
            })
            .chain(OWN_KEYS.iter().copied())
            .collect()
    });
    &KEYS
}

impl<'de> Deserialize<'de> for Conditions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ConditionsVisitor)
    }
}

struct ConditionsVisitor;

impl<'de> Visitor<'de> for ConditionsVisitor {
    type Value = Conditions;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table of conditions")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Conditions, A::Error> {
        let mut c = Conditions::default();
        while let Some(key) = map.next_key::<String>()? {
            c.set(&key, &mut map)?;
        }
        Ok(c)
    }
}

impl Conditions {
    /// Reads the value of `key`.
    fn set<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "actor_kind" => self.actor_kind = Some(map.next_value()?),
            "peer" => self.peer = Some(map.next_value()?),
            "fact" => self.fact = Some(map.next_value()?),
            "no_fact" => self.no_fact = Some(map.next_value()?),
            "code" => self.code = Some(map.next_value()?),
            "code_min" => self.code_min = Some(map.next_value()?),
            "code_max" => self.code_max = Some(map.next_value()?),
            "allowed" => self.allowed = Some(map.next_value()?),
            "namespaced" => self.namespaced = Some(map.next_value()?),
            "public_ip" => self.public_ip = Some(map.next_value()?),
            "succeeded" => self.succeeded = Some(map.next_value()?),
            "controller" => self.controller = Some(map.next_value()?),
            _ => {
                let field = fields::rule_field(key).and_then(|f| Some((f.name, sym_of(f.name)?)));
                let Some((name, get)) = field else {
                    return Err(de::Error::unknown_field(key, condition_keys()));
                };
                self.strings.push((name, get, map.next_value()?));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
enum Strings {
    One(String),
    Many(Vec<String>),
}

impl Strings {
    fn patterns(&self) -> Vec<&str> {
        match self {
            Strings::One(s) => vec![s.as_str()],
            Strings::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A loaded rule: metadata and its conditions.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub family: Family,
    pub severity: Severity,
    pub detection: Vec<String>,
    pub attack: Option<Attack>,
    pub advice: String,
    pub description: String,
    pub group_gap: i64,
    pub keep_denied: bool,
    pub file: String,
    when: Conditions,
    unless: Vec<Conditions>,
    raise: Vec<(Conditions, Severity)>,
}

impl Rule {
    /// A rule implemented in code (stateful detectors): metadata only.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per column of the rule table the detectors write"
    )]
    pub fn code(
        id: &str,
        detection: &[&str],
        title: &str,
        family: Family,
        severity: Severity,
        attack: (&str, &str),
        description: &str,
        advice: &str,
    ) -> Rule {
        Rule {
            id: id.to_owned(),
            title: title.to_owned(),
            family,
            severity,
            detection: detection.iter().map(|d| (*d).to_owned()).collect(),
            attack: Some(Attack {
                id: attack.0.to_owned(),
                name: attack.1.to_owned(),
            }),
            advice: advice.to_owned(),
            description: description.to_owned(),
            group_gap: DEFAULT_GAP,
            keep_denied: false,
            file: "src/detect/stateful/mod.rs".to_owned(),
            when: Conditions::default(),
            unless: Vec::new(),
            raise: Vec::new(),
        }
    }

    #[must_use]
    pub fn keeping_denied(mut self) -> Rule {
        self.keep_denied = true;
        self
    }
}

/// A rule file that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct RuleError {
    pub file: String,
    pub message: String,
}

pub const DEFAULT_GAP: i64 = 30 * 60 * 1_000_000;

/// Parses and validates one rule file.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let err = |message: String| RuleError {
        file: file.to_owned(),
        message,
    };
    let parsed: RuleFile =
        toml::from_str(text).map_err(|e| err(e.to_string().trim().to_owned()))?;
    let mut out = Vec::new();
    for def in parsed.rule {
        let at =
            |field: &str, msg: String| err(format!("rule `{}`, field `{field}`: {msg}", def.id));
        let family = def.family.parse::<Family>().map_err(|m| at("family", m))?;
        let severity = def
            .severity
            .parse::<Severity>()
            .map_err(|m| at("severity", m))?;
        let mut raise = Vec::new();
        for a in &def.raise {
            raise.push((
                a.when.clone(),
                a.severity
                    .parse::<Severity>()
                    .map_err(|m| at("raise.severity", m))?,
            ));
        }
        let group_gap = match &def.group_gap {
            None => DEFAULT_GAP,
            Some(g) => crate::query::parse_duration(g)
                .ok_or_else(|| at("group_gap", format!("`{g}` is not a duration (30m, 2h)")))?,
        };
        if let Some(a) = &def.attack
            && !(a.id.starts_with('T') || a.id.starts_with("MS-TA"))
        {
            return Err(at(
                "attack.id",
                format!(
                    "`{}` is not an ATT&CK (Txxxx) or Threat Matrix (MS-TAxxxx) id",
                    a.id
                ),
            ));
        }
        if def.id.trim().is_empty() || def.advice.trim().is_empty() {
            return Err(at("id/advice", "must not be empty".to_owned()));
        }
        out.push(Rule {
            id: def.id.clone(),
            title: def.title,
            family,
            severity,
            detection: def.detection,
            attack: def.attack,
            advice: def.advice,
            description: def.description,
            group_gap,
            keep_denied: def.keep_denied,
            file: file.to_owned(),
            when: def.when,
            unless: def.unless,
            raise,
        });
    }
    Ok(out)
}

/// The built-in rules, then the rule files of each `extra` directory: a rule with the id of
/// one from an earlier source replaces it. An id defined twice within one source (the
/// built-in files, or one directory) is an error naming both files.
pub fn load(extra: &[&Path]) -> Result<Vec<Rule>, RuleError> {
    load_sources(BUILTIN, extra)
}

fn load_sources(builtin: &[(&str, &str)], extra: &[&Path]) -> Result<Vec<Rule>, RuleError> {
    let mut files = Vec::new();
    for (file, text) in builtin {
        files.push(parse_file(file, text)?);
    }
    let mut rules = one_source(files)?;
    for dir in extra {
        for r in one_source(read_dir_rules(dir)?)? {
            rules.retain(|x| x.id != r.id);
            rules.push(r);
        }
    }
    Ok(rules)
}

/// The parsed `*.toml` files of a directory, in name order.
fn read_dir_rules(dir: &Path) -> Result<Vec<Vec<Rule>>, RuleError> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| RuleError {
            file: dir.display().to_string(),
            message: e.to_string(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| RuleError {
            file: p.display().to_string(),
            message: e.to_string(),
        })?;
        files.push(parse_file(&p.display().to_string(), &text)?);
    }
    Ok(files)
}

/// The rules of one source's files; an id defined twice is an error naming both places.
fn one_source(files: Vec<Vec<Rule>>) -> Result<Vec<Rule>, RuleError> {
    let mut first: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for r in files.into_iter().flatten() {
        if let Some(earlier) = first.get(&r.id) {
            let message = if *earlier == r.file {
                format!("rule id `{}` is defined twice in this file", r.id)
            } else {
                format!("rule id `{}` is already defined in {earlier}", r.id)
            };
            return Err(RuleError {
                file: r.file,
                message,
            });
        }
        first.insert(r.id.clone(), r.file.clone());
        out.push(r);
    }
    Ok(out)
}

/// A set of symbols, as a bitset over the interner.
#[derive(Debug, Clone)]
struct SymSet {
    bits: Vec<u64>,
}

impl SymSet {
    fn contains(&self, s: Sym) -> bool {
        self.bits
            .get(s as usize / 64)
            .is_some_and(|w| w & (1 << (s % 64)) != 0)
    }
}

/// Conditions compiled against the strings of a data set.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The row member each pattern set reads.
    fields: Vec<(SymOf, SymSet)>,
    /// Glob patterns on the source IP, each with whether it excludes (`!`).
    peer: Option<Vec<(bool, Glob)>>,
    actors: Option<Vec<super::row::Actor>>,
    fact: Option<SymSet>,
    no_fact: Option<SymSet>,
    code: Option<Vec<u16>>,
    code_min: Option<u16>,
    code_max: Option<u16>,
    allowed: Option<bool>,
    namespaced: Option<bool>,
    public_ip: Option<bool>,
    succeeded: Option<bool>,
    controller: Option<bool>,
}

fn compile_strings(pats: &Strings, vocab: &Vocab) -> SymSet {
    let pats = pats.patterns();
    let (neg, pos): (Vec<&str>, Vec<&str>) = pats.iter().partition(|p| p.starts_with('!'));
    let neg: Vec<Glob> = neg.iter().map(|p| Glob::new(&p[1..])).collect();
    let pos: Vec<Glob> = pos.iter().map(|p| Glob::new(p)).collect();
    let mut bits = vec![0u64; vocab.strings.len() / 64 + 1];
    if neg.is_empty() {
        let literals: Option<Vec<String>> = pos.iter().map(Glob::literal).collect();
        if let Some(literals) = literals {
            for p in &literals {
                if let Some(s) = vocab.strings.get(p) {
                    bits[s as usize / 64] |= 1 << (s % 64);
                }
            }
            return SymSet { bits };
        }
    }
    for (sym, s) in vocab.strings.iter() {
        let included = pos.is_empty() || pos.iter().any(|g| g.is_match(s));
        if included && !neg.iter().any(|g| g.is_match(s)) {
            bits[sym as usize / 64] |= 1 << (sym % 64);
        }
    }
    SymSet { bits }
}

impl Conditions {
    pub fn compile(&self, vocab: &Vocab) -> Compiled {
        let fields = self
            .strings
            .iter()
            .map(|(_, get, patterns)| (*get, compile_strings(patterns, vocab)))
            .collect();
        let actors = self.actor_kind.as_ref().map(|a| {
            a.patterns()
                .iter()
                .map(|p| super::row::Actor::parse(p))
                .collect()
        });
        Compiled {
            fields,
            peer: self.peer.as_ref().map(|p| {
                p.patterns()
                    .iter()
                    .map(|s| match s.strip_prefix('!') {
                        Some(rest) => (true, Glob::new(rest)),
                        None => (false, Glob::new(s)),
                    })
                    .collect()
            }),
            actors,
            fact: self.fact.as_ref().map(|f| compile_strings(f, vocab)),
            no_fact: self.no_fact.as_ref().map(|f| compile_strings(f, vocab)),
            code: self.code.clone(),
            code_min: self.code_min,
            code_max: self.code_max,
            allowed: self.allowed,
            namespaced: self.namespaced,
            public_ip: self.public_ip,
            succeeded: self.succeeded,
            controller: self.controller,
        }
    }

    /// Checks that every actor kind named is one kubesift knows.
    fn validate(&self) -> Result<(), String> {
        if let Some(a) = &self.actor_kind {
            for p in a.patterns() {
                if crate::model::ActorKind::parse(p).is_none() {
                    return Err(format!(
                        "unknown actor_kind `{p}` (anonymous, service-account, node, control-plane, human, unknown)"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Compiled {
    pub fn matches(&self, vocab: &Vocab, r: &Row) -> bool {
        if !self.fields.iter().all(|(get, set)| set.contains(get(r))) {
            return false;
        }
        if let Some(a) = &self.actors
            && !a.contains(&r.actor)
        {
            return false;
        }
        if let Some(codes) = &self.code
            && !codes.contains(&r.code)
        {
            return false;
        }
        if self.code_min.is_some_and(|m| r.code < m) || self.code_max.is_some_and(|m| r.code > m) {
            return false;
        }
        if self.allowed.is_some_and(|a| a != vocab.allowed(r)) {
            return false;
        }
        if self.succeeded.is_some_and(|s| s != vocab.succeeded(r)) {
            return false;
        }
        if self.controller.is_some_and(|c| c != vocab.is_controller(r)) {
            return false;
        }
        if self
            .namespaced
            .is_some_and(|n| n != (r.namespace != super::row::EMPTY))
        {
            return false;
        }
        if self
            .public_ip
            .is_some_and(|want| want != r.peer.is_public())
        {
            return false;
        }
        if let Some(set) = &self.fact
            && !r.facts.iter().any(|f| set.contains(*f))
        {
            return false;
        }
        if let Some(set) = &self.no_fact
            && r.facts.iter().any(|f| set.contains(*f))
        {
            return false;
        }
        if let Some(patterns) = &self.peer {
            let ip = r.peer.to_string();
            let (neg, pos): (Vec<_>, Vec<_>) = patterns.iter().partition(|(negated, _)| *negated);
            let included = pos.is_empty() || pos.iter().any(|(_, g)| g.is_match(&ip));
            if !included || neg.iter().any(|(_, g)| g.is_match(&ip)) {
                return false;
            }
        }
        true
    }

    /// The facts of a row this condition's `fact` key matched (for evidence).
    pub fn matched_facts<'a>(&self, vocab: &'a Vocab, r: &Row) -> Vec<&'a str> {
        match &self.fact {
            Some(set) => r
                .facts
                .iter()
                .filter(|f| set.contains(**f))
                .map(|f| vocab.s(*f))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// A rule compiled against a data set.
pub struct CompiledRule<'r> {
    pub rule: &'r Rule,
    pub when: Compiled,
    unless: Vec<Compiled>,
    raise: Vec<(Compiled, Severity)>,
}

impl<'r> CompiledRule<'r> {
    pub fn new(rule: &'r Rule, vocab: &Vocab) -> Self {
        CompiledRule {
            rule,
            when: rule.when.compile(vocab),
            unless: rule.unless.iter().map(|c| c.compile(vocab)).collect(),
            raise: rule
                .raise
                .iter()
                .map(|(c, s)| (c.compile(vocab), *s))
                .collect(),
        }
    }

    /// The severity of a matching row, or `None` when the rule does not match.
    pub fn evaluate(&self, vocab: &Vocab, r: &Row) -> Option<Severity> {
        if !self.when.matches(vocab, r) || self.unless.iter().any(|u| u.matches(vocab, r)) {
            return None;
        }
        let sev = self
            .raise
            .iter()
            .find(|(c, _)| c.matches(vocab, r))
            .map_or(self.rule.severity, |(_, s)| *s);
        Some(sev)
    }
}

/// Validates every condition block of loaded rules (actor kinds).
pub fn validate(rules: &[Rule]) -> Result<(), RuleError> {
    for r in rules {
        let blocks = std::iter::once(&r.when)
            .chain(&r.unless)
            .chain(r.raise.iter().map(|(c, _)| c));
        for c in blocks {
            c.validate().map_err(|m| RuleError {
                file: r.file.clone(),
                message: format!("rule `{}`: {m}", r.id),
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "[[rule]]\nid = \"KS-X\"\ntitle = \"t\"\nfamily = \"remote-exec\"\nseverity = \"high\"\nadvice = \"a\"\n[rule.match]\nverb = \"get\"\n";

    #[test]
    fn regression_duplicate_id_among_shipped_rules_was_silently_dropped() {
        let shipped = [("assets/rules/a.toml", RULE), ("assets/rules/b.toml", RULE)];
        let e = load_sources(&shipped, &[]).unwrap_err().to_string();
        assert_eq!(
            e,
            "assets/rules/b.toml: rule id `KS-X` is already defined in assets/rules/a.toml"
        );
        let twice = format!("{RULE}{RULE}");
        let e = load_sources(&[("assets/rules/a.toml", &twice)], &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "assets/rules/a.toml: rule id `KS-X` is defined twice in this file"
        );
    }

    #[test]
    fn shipped_rule_ids_are_unique() {
        let rules = load(&[]).unwrap();
        let ids: std::collections::HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), rules.len());
    }

    #[test]
    fn builtin_rules_load_and_validate() {
        let rules = load(&[]).unwrap();
        validate(&rules).unwrap();
        assert!(rules.len() >= 15, "{}", rules.len());
    }

    #[test]
    fn errors_name_file_rule_and_field() {
        let bad = "[[rule]]\nid = \"X\"\ntitle = \"t\"\nfamily = \"remote-execs\"\nseverity = \"high\"\nadvice = \"a\"\n[rule.match]\nverb = \"get\"\n";
        let e = parse_file("x.toml", bad).unwrap_err().to_string();
        assert!(
            e.starts_with("x.toml: rule `X`, field `family`: unknown family `remote-execs`"),
            "{e}"
        );
        let bad = "[[rule]]\nid = \"X\"\ntitle = \"t\"\nfamily = \"remote-exec\"\nseverity = \"high\"\nadvice = \"a\"\n[rule.match]\nverbs = \"get\"\n";
        let e = parse_file("y.toml", bad).unwrap_err().to_string();
        assert!(
            e.contains("y.toml") && e.contains("unknown field `verbs`"),
            "{e}"
        );
    }

    #[test]
    fn every_condition_key_is_a_field_or_a_condition_of_its_own() {
        for f in FIELDS {
            match f.rule {
                RuleUse::Strings(key) => assert!(
                    sym_of(f.name).is_some(),
                    "rules match `{key}` on a row member `{}` rows lack",
                    f.name
                ),
                RuleUse::Own => assert!(OWN_KEYS.contains(&f.name), "{}", f.name),
                RuleUse::No => {}
            }
        }
    }

    /// Every key of every condition block of the shipped rule files.
    fn shipped_keys() -> Vec<(String, String)> {
        let mut keys = Vec::new();
        for (file, text) in BUILTIN {
            let doc: toml::Table = toml::from_str(text).unwrap();
            let rules = doc.get("rule").and_then(|r| r.as_array()).unwrap();
            for rule in rules {
                let list = |k: &str| rule.get(k).and_then(|v| v.as_array()).cloned();
                let (unless, raised) = (list("unless").unwrap_or_default(), list("raise"));
                let mut blocks = vec![rule.get("match")];
                blocks.extend(unless.iter().map(Some));
                blocks.extend(raised.iter().flatten().map(|r| r.get("when")));
                for block in blocks.into_iter().flatten() {
                    let table = block.as_table().unwrap();
                    keys.extend(table.keys().map(|k| ((*file).to_owned(), k.clone())));
                }
            }
        }
        keys
    }

    #[test]
    fn shipped_rules_name_only_known_fields() {
        let keys = shipped_keys();
        assert!(keys.len() > 30, "{}", keys.len());
        for (file, key) in keys {
            assert!(condition_keys().contains(&key.as_str()), "{file}: `{key}`");
        }
    }

    #[test]
    fn regression_rule_path_matches_non_resource_requests_only() {
        use crate::detect::row::Rows;
        use crate::ingest::formats::{NormalizeOptions, native};
        let parse = |json: &str| {
            native::parse(
                json,
                crate::model::SourceRef::default(),
                NormalizeOptions::default(),
            )
            .unwrap()
        };
        let events = [
            parse(
                r#"{"auditID":"a","verb":"get","stage":"ResponseComplete","stageTimestamp":"2024-01-01T00:00:00Z","requestURI":"/healthz?verbose"}"#,
            ),
            parse(
                r#"{"auditID":"b","verb":"get","stage":"ResponseComplete","stageTimestamp":"2024-01-01T00:00:01Z","requestURI":"/api/v1/pods","objectRef":{"resource":"pods"}}"#,
            ),
        ];
        let rows = Rows::from_events(&events);
        let matching = |path: &str| {
            let c: Conditions = toml::from_str(&format!("path = \"{path}\"")).unwrap();
            let c = c.compile(&rows.vocab);
            rows.rows
                .iter()
                .filter(|r| c.matches(&rows.vocab, r))
                .count()
        };
        assert_eq!(matching("/healthz"), 1);
        assert_eq!(
            matching("/api/v1/pods"),
            0,
            "a resource request has no rule path"
        );
        assert_eq!(matching("/*"), 1);
        let e = toml::from_str::<Conditions>("verbs = \"get\"").unwrap_err();
        assert!(e.to_string().contains("unknown field `verbs`"), "{e}");
    }
}

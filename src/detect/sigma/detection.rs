//! The `detection` section of a Sigma rule compiled: search identifiers (selections of
//! field tests, or keyword lists) and the condition over them. What the `SigmaHQ` Kubernetes
//! rules use is supported; anything else is refused with the reason, never ignored.

use std::net::IpAddr;

use yaml_serde::Value as Yaml;

use crate::query::glob::Glob;

/// A compiled `detection`: its selections and the condition over them.
#[derive(Debug, Clone)]
pub struct Detection {
    pub selections: Vec<Selection>,
    pub condition: Cond,
}

/// A search identifier: any of its alternatives (a list of maps) where every field test
/// holds, or any of its keywords found in any value of the event.
#[derive(Debug, Clone)]
pub struct Selection {
    pub name: String,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub enum Body {
    /// OR of ANDs of field tests.
    Fields(Vec<Vec<FieldTest>>),
    /// Keywords: any string value of the event contains one of them.
    Keywords(Vec<Matcher>),
}

/// One `field|modifiers: values` entry.
#[derive(Debug, Clone)]
pub struct FieldTest {
    /// The field name as written (a path of the audit event).
    pub field: String,
    /// `|all`: every matcher must match (else any one).
    pub all: bool,
    pub matchers: Vec<Matcher>,
}

/// How one value is compared with the values of a field.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// `null`: the field is absent (or null, or the empty string).
    Null,
    /// `|exists: true/false`.
    Exists(bool),
    /// A wildcard string (`*`, `?`, `\` escapes), lower-cased unless `cased`.
    Text { glob: Glob, cased: bool, any: bool },
    /// `|re`.
    Re(regex::Regex),
    /// `|lt`, `|lte`, `|gt`, `|gte`.
    Num(NumOp, f64),
    /// `|cidr`.
    Cidr(ipnet::IpNet),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Matcher {
    /// True when the matcher compares case-sensitively (a lower-cased copy of a value
    /// cannot decide it).
    pub fn is_cased(&self) -> bool {
        match self {
            Matcher::Text { cased, .. } => *cased,
            Matcher::Re(_) => true,
            _ => false,
        }
    }
}

/// The condition, over selection indexes.
#[derive(Debug, Clone)]
pub enum Cond {
    Sel(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// Compiles the `detection` mapping of a rule.
pub fn compile(detection: &Yaml) -> Result<Detection, String> {
    let map = detection
        .as_mapping()
        .ok_or("`detection` is not a mapping")?;
    let mut selections = Vec::new();
    let mut condition = None;
    for (k, v) in map {
        let name = k.as_str().ok_or("a key of `detection` is not a string")?;
        match name {
            "condition" => condition = Some(v),
            "timeframe" => {
                return Err("`timeframe` (a correlation over time) is not supported".into());
            }
            _ => selections.push(Selection {
                name: name.to_owned(),
                body: body(name, v)?,
            }),
        }
    }
    let condition = condition.ok_or("`detection` has no `condition`")?;
    let texts: Vec<&str> = match condition {
        Yaml::String(s) => vec![s.as_str()],
        Yaml::Sequence(seq) => seq
            .iter()
            .map(|c| c.as_str().ok_or("a `condition` entry is not a string"))
            .collect::<Result<_, _>>()?,
        _ => return Err("`condition` is not a string or a list of strings".into()),
    };
    let mut alts = Vec::new();
    for t in texts {
        alts.push(parse_condition(t, &selections)?);
    }
    let condition = if alts.len() == 1 {
        alts.remove(0)
    } else {
        Cond::Or(alts)
    };
    Ok(Detection {
        selections,
        condition,
    })
}

fn body(name: &str, v: &Yaml) -> Result<Body, String> {
    match v {
        Yaml::Mapping(_) => Ok(Body::Fields(vec![field_tests(name, v)?])),
        Yaml::Sequence(seq) if seq.iter().all(Yaml::is_mapping) && !seq.is_empty() => {
            Ok(Body::Fields(
                seq.iter()
                    .map(|m| field_tests(name, m))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Yaml::Sequence(seq) if seq.iter().all(|x| !x.is_mapping() && !x.is_sequence()) => {
            let ms = seq
                .iter()
                .map(|x| keyword(name, x))
                .collect::<Result<_, _>>()?;
            Ok(Body::Keywords(ms))
        }
        Yaml::String(_) | Yaml::Number(_) => Ok(Body::Keywords(vec![keyword(name, v)?])),
        _ => Err(format!(
            "search identifier `{name}` is neither a map of fields nor a list of keywords"
        )),
    }
}

fn keyword(name: &str, v: &Yaml) -> Result<Matcher, String> {
    let s =
        scalar_text(v).ok_or_else(|| format!("keyword of `{name}` is not a string or a number"))?;
    Ok(text(&format!("*{s}*"), false))
}

fn field_tests(name: &str, m: &Yaml) -> Result<Vec<FieldTest>, String> {
    let map = m
        .as_mapping()
        .ok_or_else(|| format!("`{name}` is not a map"))?;
    let mut out = Vec::new();
    for (k, v) in map {
        let key = k
            .as_str()
            .ok_or_else(|| format!("a field name of `{name}` is not a string"))?;
        out.push(field_test(key, v).map_err(|e| format!("`{name}`, field `{key}`: {e}"))?);
    }
    Ok(out)
}

/// The modifiers kubesift implements.
#[derive(Debug, Default)]
#[expect(clippy::struct_excessive_bools, reason = "one flag per Sigma modifier")]
struct Mods {
    kind: Option<&'static str>,
    all: bool,
    cased: bool,
    exists: bool,
    re_flags: String,
    num: Option<NumOp>,
    cidr: bool,
}

fn modifiers(list: &[&str]) -> Result<Mods, String> {
    let mut m = Mods::default();
    for &name in list {
        match name {
            "contains" => m.kind = Some("contains"),
            "startswith" => m.kind = Some("startswith"),
            "endswith" => m.kind = Some("endswith"),
            "all" => m.all = true,
            "cased" => m.cased = true,
            "exists" => m.exists = true,
            "re" => m.kind = Some("re"),
            "i" | "m" | "s" if m.kind == Some("re") => m.re_flags.push_str(name),
            "lt" => m.num = Some(NumOp::Lt),
            "lte" => m.num = Some(NumOp::Lte),
            "gt" => m.num = Some(NumOp::Gt),
            "gte" => m.num = Some(NumOp::Gte),
            "cidr" => m.cidr = true,
            other => {
                let why = match other {
                    "base64" | "base64offset" | "utf16le" | "utf16be" | "utf16" | "wide" => {
                        "encoded values do not occur in audit events"
                    }
                    "windash" => "a Windows command-line modifier",
                    "expand" => "placeholders need a pipeline kubesift does not have",
                    "fieldref" => "comparing two fields is not implemented",
                    _ => "unknown modifier",
                };
                return Err(format!("modifier `{other}` is not supported ({why})"));
            }
        }
    }
    Ok(m)
}

fn field_test(key: &str, v: &Yaml) -> Result<FieldTest, String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().to_owned();
    if field.is_empty() {
        return Err("an empty field name (keyword modifiers are not supported)".into());
    }
    let mods = modifiers(&parts.collect::<Vec<_>>())?;
    let values: Vec<&Yaml> = match v {
        Yaml::Sequence(seq) => seq.iter().collect(),
        other => vec![other],
    };
    if values.is_empty() {
        return Err("an empty list of values".into());
    }
    let matchers = values
        .into_iter()
        .map(|v| matcher(&mods, v))
        .collect::<Result<_, _>>()?;
    Ok(FieldTest {
        field,
        all: mods.all,
        matchers,
    })
}

fn matcher(m: &Mods, v: &Yaml) -> Result<Matcher, String> {
    if m.exists {
        return v
            .as_bool()
            .map(Matcher::Exists)
            .ok_or_else(|| "`|exists` takes true or false".into());
    }
    if v.is_null() {
        return Ok(Matcher::Null);
    }
    let s = scalar_text(v).ok_or("a value is neither a string, a number nor a boolean")?;
    if let Some(op) = m.num {
        let n = s
            .parse::<f64>()
            .map_err(|_| format!("`{s}` is not a number"))?;
        return Ok(Matcher::Num(op, n));
    }
    if m.cidr {
        return s
            .parse::<ipnet::IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
            .map(Matcher::Cidr)
            .map_err(|_| format!("`{s}` is not a CIDR block"));
    }
    match m.kind {
        Some("re") => {
            let flags = if m.re_flags.is_empty() {
                String::new()
            } else {
                format!("(?{})", m.re_flags)
            };
            regex::Regex::new(&format!("{flags}{s}"))
                .map(Matcher::Re)
                .map_err(|e| format!("bad regular expression: {e}"))
        }
        Some("contains") => Ok(text(&format!("*{s}*"), m.cased)),
        Some("startswith") => Ok(text(&format!("{s}*"), m.cased)),
        Some("endswith") => Ok(text(&format!("*{s}"), m.cased)),
        _ => Ok(text(&s, m.cased)),
    }
}

fn text(pattern: &str, cased: bool) -> Matcher {
    let p = if cased {
        pattern.to_owned()
    } else {
        pattern.to_lowercase()
    };
    Matcher::Text {
        any: p == "*",
        glob: Glob::new(&p),
        cased,
    }
}

fn scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// The condition language: `a and not b`, `1 of sel*`, `all of them`, parentheses.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Word(String),
}

fn tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |w: &mut String, out: &mut Vec<Tok>| {
        if !w.is_empty() {
            out.push(Tok::Word(std::mem::take(w)));
        }
    };
    for c in s.chars() {
        match c {
            '(' | ')' => {
                flush(&mut word, &mut out);
                out.push(if c == '(' { Tok::Open } else { Tok::Close });
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    sels: &'a [Selection],
    depth: usize,
}

/// How deep parentheses and `not` may nest (as in the query language).
const MAX_DEPTH: usize = 64;

/// Parses one condition against the rule's selections.
pub fn parse_condition(text: &str, sels: &[Selection]) -> Result<Cond, String> {
    if text.contains('|') {
        return Err(format!(
            "condition `{text}`: aggregations (`| count() …`) are correlations, not supported"
        ));
    }
    let mut p = Parser {
        toks: tokens(text),
        pos: 0,
        sels,
        depth: 0,
    };
    let c = p.or().map_err(|e| format!("condition `{text}`: {e}"))?;
    if p.pos < p.toks.len() {
        return Err(format!(
            "condition `{text}`: unexpected `{}`",
            p.show(p.pos)
        ));
    }
    Ok(c)
}

impl Parser<'_> {
    fn show(&self, i: usize) -> String {
        match self.toks.get(i) {
            Some(Tok::Open) => "(".into(),
            Some(Tok::Close) => ")".into(),
            Some(Tok::Word(w)) => w.clone(),
            None => "end".into(),
        }
    }

    fn word_is(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.and()?];
        while self.word_is("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.not()?];
        while self.word_is("and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        let c = if self.word_is("not") {
            self.pos += 1;
            self.not().map(|c| Cond::Not(Box::new(c)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        c
    }

    fn primary(&mut self) -> Result<Cond, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Open) => {
                self.pos += 1;
                let c = self.or()?;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err("unclosed `(`".into());
                }
                self.pos += 1;
                Ok(c)
            }
            Some(Tok::Word(w)) => {
                let quant = w.to_ascii_lowercase();
                if matches!(quant.as_str(), "1" | "any" | "all") && self.is_of_next() {
                    self.pos += 2;
                    return self.quantified(quant == "all");
                }
                if matches!(quant.as_str(), "and" | "or" | "of" | "near") {
                    return Err(format!("unexpected `{w}`"));
                }
                if w.chars().all(|c| c.is_ascii_digit()) && self.is_of_next() {
                    return Err(format!(
                        "`{w} of` is not supported (only `1 of` and `all of`)"
                    ));
                }
                self.pos += 1;
                self.index_of(&w).map(Cond::Sel)
            }
            Some(Tok::Close) => Err("unexpected `)`".into()),
            None => Err("unexpected end".into()),
        }
    }

    fn is_of_next(&self) -> bool {
        matches!(self.toks.get(self.pos + 1), Some(Tok::Word(x)) if x.eq_ignore_ascii_case("of"))
    }

    fn index_of(&self, name: &str) -> Result<usize, String> {
        self.sels
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| format!("no search identifier `{name}`"))
    }

    /// `1 of X`, `all of X` after `of`: X is `them`, a name, or a name with `*`.
    fn quantified(&mut self, all: bool) -> Result<Cond, String> {
        let Some(Tok::Word(target)) = self.toks.get(self.pos).cloned() else {
            return Err("`of` needs a search identifier, a pattern or `them`".into());
        };
        self.pos += 1;
        let idx: Vec<usize> = if target == "them" {
            // `them` excludes identifiers starting with an underscore.
            (0..self.sels.len())
                .filter(|&i| !self.sels[i].name.starts_with('_'))
                .collect()
        } else {
            let g = Glob::new(&target);
            (0..self.sels.len())
                .filter(|&i| g.is_match(&self.sels[i].name))
                .collect()
        };
        if idx.is_empty() {
            return Err(format!("`{target}` names no search identifier"));
        }
        let items = idx.into_iter().map(Cond::Sel).collect();
        Ok(if all {
            Cond::And(items)
        } else {
            Cond::Or(items)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(y: &str) -> Result<Detection, String> {
        compile(&yaml_serde::from_str::<Yaml>(y).unwrap())
    }

    #[test]
    fn conditions_parse_with_precedence_and_quantifiers() {
        let d = det(
            "sel_a: {verb: get}\nsel_b: {verb: list}\nfilter: {verb: watch}\n\
                     condition: 1 of sel_* and not filter",
        )
        .unwrap();
        let Cond::And(items) = &d.condition else {
            panic!("{:?}", d.condition)
        };
        assert!(matches!(&items[0], Cond::Or(v) if v.len() == 2));
        assert!(matches!(&items[1], Cond::Not(_)));
        let d = det("a: {verb: get}\n_b: {verb: x}\ncondition: all of them").unwrap();
        assert!(matches!(&d.condition, Cond::And(v) if v.len() == 1));
    }

    #[test]
    fn unsupported_constructs_are_refused_with_the_reason() {
        let e = det("sel: {verb|base64: get}\ncondition: sel").unwrap_err();
        assert!(e.contains("modifier `base64`"), "{e}");
        let e = det("sel: {verb: get}\ncondition: sel | count() > 5").unwrap_err();
        assert!(e.contains("aggregations"), "{e}");
        let e = det("sel: {verb: get}\ntimeframe: 5m\ncondition: sel").unwrap_err();
        assert!(e.contains("timeframe"), "{e}");
        let e = det("sel: {verb: get}\ncondition: sel and other").unwrap_err();
        assert!(e.contains("no search identifier `other`"), "{e}");
        let e = det("sel: {verb: get}\ncondition: 2 of sel*").unwrap_err();
        assert!(e.contains("`2 of`"), "{e}");
        let e = det("sel: {verb: get}\ncondition: (sel").unwrap_err();
        assert!(e.contains("unclosed"), "{e}");
    }

    #[test]
    fn regression_deeply_nested_condition_is_an_error_not_a_stack_overflow() {
        let deep = format!(
            "sel: {{verb: get}}\ncondition: {}sel{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let e = det(&deep).unwrap_err();
        assert!(e.contains("nested deeper than 64"), "{e}");
        let nots = format!(
            "sel: {{verb: get}}\ncondition: {}sel",
            "not ".repeat(100_000)
        );
        assert!(det(&nots).unwrap_err().contains("nested deeper"));
        assert!(det("sel: {verb: get}\ncondition: not not (sel)").is_ok());
    }
}

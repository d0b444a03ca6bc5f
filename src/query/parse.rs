//! Recursive-descent parser for the query language described in the module above.

use std::net::IpAddr;
use std::ops::Bound;

use ipnet::IpNet;

use super::fields::{self, FieldKind, FieldSpec};
use super::glob::{self, Glob};
use super::{Expr, Pattern, QueryError, TimeSpec};
use crate::model::Micros;
use crate::model::time::TimeError;

/// How deep parentheses and negations may nest. Every function over a query (this parser,
/// the translation to tantivy, the query's own recursion, dropping it) recurses once per
/// level: the limit keeps a hostile query (`NOT `×500, `(`×10000, saved in a case file)
/// from exhausting the stack. Real queries nest a few levels.
pub const MAX_DEPTH: usize = 64;

/// Parses a query. An empty query or `*` matches everything.
pub fn parse(input: &str) -> Result<Expr, QueryError> {
    let mut p = Parser {
        chars: input.chars().collect(),
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.at_end() || input.trim() == "*" {
        return Ok(Expr::All);
    }
    let expr = p.parse_or()?;
    p.skip_ws();
    if !p.at_end() {
        let what = if p.peek() == Some(')') {
            "unmatched `)`".to_owned()
        } else {
            format!("unexpected `{}`", p.rest_word())
        };
        return Err(p.error(what));
    }
    Ok(expr)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// Parentheses and negations open around the current position.
    depth: usize,
}

impl Parser {
    fn error(&self, message: impl Into<String>) -> QueryError {
        QueryError {
            column: self.pos,
            message: message.into(),
        }
    }

    #[expect(
        clippy::unused_self,
        reason = "a method like the other error builders, so every call site reads alike"
    )]
    fn error_at(&self, column: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            column,
            message: message.into(),
        }
    }

    /// Enters one more level of nesting, opened at column `at`.
    fn enter(&mut self, at: usize) -> Result<(), QueryError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(
                at,
                format!("the query nests more than {MAX_DEPTH} levels of parentheses and NOT"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn rest_word(&self) -> String {
        self.chars[self.pos..]
            .iter()
            .take_while(|c| !c.is_whitespace())
            .collect()
    }

    /// True (and consumes it) when the next token is `word` in any case, standing alone.
    fn keyword(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        let candidate: String = self.chars[self.pos..].iter().take(n).collect();
        if !candidate.eq_ignore_ascii_case(word) {
            return false;
        }
        let boundary = self
            .peek_at(n)
            .is_none_or(|c| c.is_whitespace() || c == '(' || c == ')');
        if boundary {
            self.pos += n;
        }
        boundary
    }

    fn symbol(&mut self, sym: &str) -> bool {
        let n = sym.chars().count();
        let candidate: String = self.chars[self.pos..].iter().take(n).collect();
        if candidate == sym {
            self.pos += n;
            true
        } else {
            false
        }
    }

    /// After an operator comes a term, not another operator (`a AND OR b` searched the word
    /// `OR`).
    fn operand_after(&mut self, op: &str) -> Result<(), QueryError> {
        self.skip_ws();
        let save = self.pos;
        for (other, sym) in [("AND", "&&"), ("OR", "||")] {
            if self.keyword(other) || self.symbol(sym) {
                self.pos = save;
                return Err(self.error(format!("expected a term after {op}, found {other}")));
            }
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.parse_and()?];
        loop {
            self.skip_ws();
            if self.keyword("OR") || self.symbol("||") {
                self.operand_after("OR")?;
                items.push(self.parse_and()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn parse_and(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.parse_unary()?];
        loop {
            self.skip_ws();
            if self.at_end() || self.peek() == Some(')') {
                break;
            }
            let save = self.pos;
            if self.keyword("OR") || self.symbol("||") {
                self.pos = save;
                break;
            }
            if self.keyword("AND") || self.symbol("&&") {
                self.operand_after("AND")?;
            }
            items.push(self.parse_unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn parse_unary(&mut self) -> Result<Expr, QueryError> {
        self.skip_ws();
        let at = self.pos;
        // `AND` where a condition should start (`AND`, `(OR x)`) searched the word and
        // matched nothing, silently.
        for (op, sym) in [("AND", "&&"), ("OR", "||")] {
            if self.symbol(sym) {
                self.pos = at;
                return Err(self.error(format!(
                    "`{sym}` joins two conditions: put one before it (quote \"{sym}\" to search it)"
                )));
            }
            if self.keyword(op) {
                self.pos = at;
                let word = self.chars[at..at + op.len()].iter().collect::<String>();
                return Err(self.error(format!(
                    "`{word}` joins two conditions: put one before it (quote \"{word}\" to search the word)"
                )));
            }
        }
        if self.keyword("NOT") {
            return self.negation(at);
        }
        if matches!(self.peek(), Some('!' | '-'))
            && self.peek_at(1).is_some_and(|c| !c.is_whitespace())
        {
            self.pos += 1;
            return self.negation(at);
        }
        self.parse_primary()
    }

    fn negation(&mut self, at: usize) -> Result<Expr, QueryError> {
        self.enter(at)?;
        let inner = self.parse_unary()?;
        self.depth -= 1;
        Ok(Expr::Not(Box::new(inner)))
    }

    fn parse_primary(&mut self) -> Result<Expr, QueryError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            None => Err(self.error("expected a term, found the end of the query")),
            Some('(') => {
                self.enter(start)?;
                self.pos += 1;
                let e = self.parse_or()?;
                self.skip_ws();
                if self.peek() != Some(')') {
                    return Err(self.error_at(start, "unclosed `(`"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(e)
            }
            Some(')') => Err(self.error("unexpected `)`")),
            Some('"') => {
                let start = self.pos;
                let phrase = self.quoted()?;
                self.words(start, phrase)
            }
            Some(_) => self.field_or_word(),
        }
    }

    fn field_or_word(&mut self) -> Result<Expr, QueryError> {
        let start = self.pos;
        let ident: String = self.chars[self.pos..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '.')
            .collect();
        let after = self.pos + ident.chars().count();
        if ident.is_empty() && self.chars.get(after) == Some(&':') {
            // `:get` searched the word `get`: a field name was meant, or the `:` prompt.
            return Err(self.error_at(
                start,
                "a field name goes before `:` (`verb:get`; `:` commands are typed at the \
                 workbench's `:` prompt)",
            ));
        }
        if !ident.is_empty() && self.chars.get(after) == Some(&':') {
            if let Some(spec) = fields::lookup(&ident) {
                self.pos = after + 1;
                return self.field_value(spec, start);
            }
            let has_value = self
                .chars
                .get(after + 1)
                .is_some_and(|c| !c.is_whitespace());
            if let (Some(s), true) = (fields::suggest(&ident), has_value) {
                return Err(self.error_at(
                    start,
                    format!("unknown field `{ident}` (did you mean `{s}`?)"),
                ));
            }
        }
        let word = self.bare()?;
        self.words(start, word)
    }

    /// Words to search: refused when they hold no word (letters or digits: `-`, `""` matched
    /// nothing, silently), or a `*` other than at the end (`*ctl` searched `ctl`).
    fn words(&self, start: usize, text: String) -> Result<Expr, QueryError> {
        if !text.chars().any(char::is_alphanumeric) {
            return Err(self.error_at(
                start,
                format!(
                    "`{text}` has no word to search for (words are letters and digits; quote a \
                     phrase, or name a field)"
                ),
            ));
        }
        if text.trim_end_matches('*').contains('*') {
            return Err(self.error_at(
                start,
                format!(
                    "`{text}`: a searched word takes `*` only at its end (`kube*`); to match \
                     anywhere, name a field (`user:*ctl*`, `ua:*ctl*`)"
                ),
            ));
        }
        Ok(Expr::Text(text))
    }

    /// A bare word: up to whitespace or a parenthesis. A backslash before either keeps it in
    /// the word (`ua:*\(linux*` globs a user agent with a parenthesis; a backslash before
    /// anything else stays, for the glob: `\*` is a star).
    fn bare(&mut self) -> Result<String, QueryError> {
        let start = self.pos;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ')' || c == '(' {
                break;
            }
            self.pos += 1;
            match (c, self.peek()) {
                ('\\', Some(n)) if n.is_whitespace() || n == '(' || n == ')' => {
                    out.push(n);
                    self.pos += 1;
                }
                _ => out.push(c),
            }
        }
        if self.pos == start {
            return Err(self.error("expected a value"));
        }
        Ok(out)
    }

    fn quoted(&mut self) -> Result<String, QueryError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    if let Some(n) = self.peek() {
                        out.push(n);
                        self.pos += 1;
                    }
                }
                c => out.push(c),
            }
        }
        Err(self.error_at(start, "unterminated quoted string"))
    }

    /// A value, and whether it was quoted (quoted values are literal: no wildcards).
    fn value(&mut self) -> Result<(String, bool), QueryError> {
        if self.peek() == Some('"') {
            Ok((self.quoted()?, true))
        } else {
            Ok((self.bare()?, false))
        }
    }

    fn field_value(&mut self, spec: &'static FieldSpec, start: usize) -> Result<Expr, QueryError> {
        if self.at_end() || self.peek().is_some_and(char::is_whitespace) {
            return Err(self.error(format!("`{}:` needs a value", spec.name)));
        }
        // Only query fields are looked up: they all have a kind.
        match spec.kind {
            Some(FieldKind::Keyword | FieldKind::LowerKeyword) | None => self.keyword_value(spec),
            Some(FieldKind::Ip) => self.ip_value(spec),
            Some(FieldKind::Number) => self.number_value(spec),
            Some(FieldKind::Time) => self.time_value(spec, start),
            Some(FieldKind::Text) => {
                let text = self.value()?.0;
                self.words(start, text)
            }
        }
    }

    fn keyword_value(&mut self, spec: &'static FieldSpec) -> Result<Expr, QueryError> {
        let at = self.pos;
        let (mut value, quoted) = self.value()?;
        if spec.kind == Some(FieldKind::LowerKeyword) {
            value = value.to_lowercase();
        }
        if spec.name == "audit_id" && !quoted && value.contains(['*', '?']) {
            // Audit IDs are looked up by hash: no pattern can match them.
            return Err(self.error_at(
                at,
                "`audit_id` takes a whole audit ID, without wildcards (quote it to match `*` or `?` as they are)",
            ));
        }
        if !quoted && value == "*" {
            return Ok(field(spec.name, Pattern::Any));
        }
        match spec.name {
            "resource" if value.contains('/') => {
                let (res, sub) = value.split_once('/').unwrap_or((&value, ""));
                Ok(Expr::And(vec![
                    field("resource", keyword_pattern(res, quoted)),
                    field("subresource", keyword_pattern(sub, quoted)),
                ]))
            }
            "sa" => {
                let v = value
                    .strip_prefix("system:serviceaccount:")
                    .unwrap_or(&value)
                    .to_owned();
                if v.contains(':') {
                    Ok(field("sa", keyword_pattern(&v, quoted)))
                } else {
                    Ok(field(
                        "sa",
                        Pattern::Wildcard(format!("*:{}", escape_glob(&v, quoted))),
                    ))
                }
            }
            "stage" | "level" if !quoted && value.contains(['*', '?']) => {
                // The known values are spelled in one case: a glob matches them in any case.
                let glob = Glob::new(&value.to_lowercase());
                let mut known: Vec<Expr> = known_values(spec.name)
                    .iter()
                    .filter(|k| glob.is_match(&k.to_lowercase()))
                    .map(|k| field(spec.name, Pattern::Exact((*k).to_owned())))
                    .collect();
                Ok(match known.len() {
                    0 => field(spec.name, Pattern::Wildcard(value)),
                    1 => known.remove(0),
                    _ => Expr::Or(known),
                })
            }
            "stage" | "level" => Ok(field(
                spec.name,
                Pattern::Exact(canonical_case(spec.name, &value)),
            )),
            _ => Ok(field(spec.name, keyword_pattern(&value, quoted))),
        }
    }

    fn ip_value(&mut self, spec: &'static FieldSpec) -> Result<Expr, QueryError> {
        let at = self.pos;
        let (value, quoted) = self.value()?;
        if !quoted && value == "*" {
            return Ok(field(spec.name, Pattern::Any));
        }
        if let Ok(ip) = value.parse::<IpAddr>() {
            return Ok(field(spec.name, Pattern::Ip(ip)));
        }
        if let Ok(net) = value.parse::<IpNet>() {
            return Ok(field(spec.name, Pattern::Cidr(net.trunc())));
        }
        Err(self.error_at(
            at,
            format!("`{value}` is not an IP address or CIDR block (e.g. 10.0.0.1 or 10.0.0.0/8)"),
        ))
    }

    fn number_value(&mut self, spec: &'static FieldSpec) -> Result<Expr, QueryError> {
        let at = self.pos;
        if matches!(self.peek(), Some('[' | '{')) {
            let (lo, hi) = self.range(|s| s.parse::<u64>().ok())?;
            return Ok(field(spec.name, Pattern::Number(lo, hi)));
        }
        let op = self.comparison();
        let (value, quoted) = self.value()?;
        if op.is_none() && !quoted && value == "*" {
            return Ok(field(spec.name, Pattern::Any));
        }
        let bad = || format!("`{value}` is not a number (e.g. 403, >=400, [400 TO 499], 4xx)");
        if op.is_none()
            && value.len() == 3
            && value.ends_with("xx")
            && let Some(d) = value.chars().next().and_then(|c| c.to_digit(10))
        {
            let lo = u64::from(d) * 100;
            return Ok(field(
                spec.name,
                Pattern::Number(Bound::Included(lo), Bound::Excluded(lo + 100)),
            ));
        }
        let n: u64 = value.parse().map_err(|_| self.error_at(at, bad()))?;
        // `code:18446744073709551615` has no next number: the empty range it stands for.
        Ok(field(
            spec.name,
            compare(op, n, n.saturating_add(1), Pattern::Number),
        ))
    }

    fn time_value(&mut self, spec: &'static FieldSpec, _start: usize) -> Result<Expr, QueryError> {
        let at = self.pos;
        if matches!(self.peek(), Some('[' | '{')) {
            let (lo, hi) = self.range(|s| TimeSpec::parse(s).map(|t| Written::new(t, s)))?;
            return Ok(field(spec.name, Pattern::Time(lo_bound(lo), hi_bound(hi))));
        }
        let op = self.comparison();
        let (value, _) = self.value()?;
        let t = TimeSpec::parse_checked(&value).map_err(|e| {
            let why = match e {
                TimeError::NoSuchDate(_) => format!(": {e}"),
                _ => " (RFC 3339, a date, or a duration like 2h)".to_owned(),
            };
            self.error_at(at, format!("`{value}` is not a time{why}"))
        })?;
        if op.is_none() && matches!(t, TimeSpec::Ago(_)) {
            // `time:2h` reads as "the last two hours".
            return Ok(field(
                spec.name,
                Pattern::Time(Bound::Included(t), Bound::Unbounded),
            ));
        }
        let w = Written::new(t, &value);
        let (lo, hi) = match op {
            Some(">=") => (Bound::Included(w), Bound::Unbounded),
            Some(">") => (Bound::Excluded(w), Bound::Unbounded),
            Some("<=") => (Bound::Unbounded, Bound::Included(w)),
            Some("<") => (Bound::Unbounded, Bound::Excluded(w)),
            _ => (Bound::Included(w), Bound::Included(w)),
        };
        Ok(field(spec.name, Pattern::Time(lo_bound(lo), hi_bound(hi))))
    }

    fn comparison(&mut self) -> Option<&'static str> {
        [">=", "<=", ">", "<"]
            .into_iter()
            .find(|op| self.symbol(op))
    }

    fn range<T>(
        &mut self,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<(Bound<T>, Bound<T>), QueryError> {
        let open = self.peek();
        let start = self.pos;
        self.pos += 1;
        self.skip_ws();
        let lo_at = self.pos;
        let lo = self.bare()?;
        self.skip_ws();
        if !self.keyword("TO") {
            // `[400 TO]`: the `TO` is there, the bound after it is not.
            let next: String = self.chars[self.pos..].iter().take(3).collect();
            if next.len() == 3 && next[..2].eq_ignore_ascii_case("TO") && next.ends_with([']', '}'])
            {
                return Err(self.error_at(self.pos + 2, NO_UPPER_BOUND));
            }
            return Err(self.error("expected `TO` in range"));
        }
        self.skip_ws();
        let hi_at = self.pos;
        let mut hi: String = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ']' || c == '}' {
                break;
            }
            hi.push(c);
            self.pos += 1;
        }
        self.skip_ws();
        let close = self.peek();
        if !matches!(close, Some(']' | '}')) {
            return Err(self.error_at(start, "unclosed range: expected `]` or `}`"));
        }
        self.pos += 1;
        let bound = |s: &str, at: usize, inclusive: bool| -> Result<Bound<T>, QueryError> {
            if s == "*" {
                return Ok(Bound::Unbounded);
            }
            if s.is_empty() {
                return Err(self.error_at(at, NO_UPPER_BOUND));
            }
            let v = parse(s)
                .ok_or_else(|| self.error_at(at, format!("`{s}` is not a valid range bound")))?;
            Ok(if inclusive {
                Bound::Included(v)
            } else {
                Bound::Excluded(v)
            })
        };
        Ok((
            bound(&lo, lo_at, open == Some('['))?,
            bound(&hi, hi_at, close == Some(']'))?,
        ))
    }
}

fn field(name: &'static str, pattern: Pattern) -> Expr {
    Expr::Field {
        field: name,
        pattern,
    }
}

/// A quoted value is literal; a bare one is a glob ([`super::glob`]), compared exactly when it
/// has no wildcard (its escapes resolved).
fn keyword_pattern(value: &str, quoted: bool) -> Pattern {
    if quoted {
        return Pattern::Exact(value.to_owned());
    }
    match Glob::new(value).literal() {
        Some(literal) => Pattern::Exact(literal),
        None => Pattern::Wildcard(value.to_owned()),
    }
}

/// Escapes glob characters of a quoted value so they stay literal inside a wildcard.
fn escape_glob(value: &str, quoted: bool) -> String {
    if quoted {
        glob::escape(value).into_owned()
    } else {
        value.to_owned()
    }
}

/// `>=`, `>`, `<`, `<=` or equality (`[v, next)`) as bounds.
fn compare<T: Copy>(
    op: Option<&str>,
    v: T,
    next: T,
    make: fn(Bound<T>, Bound<T>) -> Pattern,
) -> Pattern {
    match op {
        Some(">=") => make(Bound::Included(v), Bound::Unbounded),
        Some(">") => make(Bound::Excluded(v), Bound::Unbounded),
        Some("<=") => make(Bound::Unbounded, Bound::Included(v)),
        Some("<") => make(Bound::Unbounded, Bound::Excluded(v)),
        _ => make(Bound::Included(v), Bound::Excluded(next)),
    }
}

const NO_UPPER_BOUND: &str = "nothing after `TO`: give the upper bound, or `*` for none";

/// A time as written: where it starts and the span its precision stands for — a whole day
/// for `2024-01-02`, an hour for `…T03`, a minute for `…T03:04`, a second for `…T03:04:05`,
/// the place of the last digit of a fraction (`…05.25`: a hundredth of a second); none for a
/// duration back from the newest event (`2h`).
#[derive(Debug, Clone, Copy)]
struct Written {
    at: TimeSpec,
    span: i64,
}

impl Written {
    fn new(at: TimeSpec, value: &str) -> Written {
        let span = match at {
            TimeSpec::At(_) => precision(value),
            TimeSpec::Ago(_) => 0,
        };
        Written { at, span }
    }

    /// The first instant after the span.
    fn end(self) -> TimeSpec {
        match self.at {
            TimeSpec::At(m) => TimeSpec::At(m.saturating_add(self.span)),
            ago @ TimeSpec::Ago(_) => ago,
        }
    }
}

/// A lower bound: at or after the start of a written time; after it, its whole span.
fn lo_bound(b: Bound<Written>) -> Bound<TimeSpec> {
    match b {
        Bound::Included(w) => Bound::Included(w.at),
        Bound::Excluded(w) if w.span > 0 => Bound::Included(w.end()),
        Bound::Excluded(w) => Bound::Excluded(w.at),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// An upper bound: up to a written time takes its whole span (`time:<=2024-01-02` is the
/// whole day); before it, before its start.
fn hi_bound(b: Bound<Written>) -> Bound<TimeSpec> {
    match b {
        Bound::Included(w) if w.span > 0 => Bound::Excluded(w.end()),
        Bound::Included(w) => Bound::Included(w.at),
        Bound::Excluded(w) => Bound::Excluded(w.at),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The span a written time stands for (see [`Written`]), from how much of it is written.
fn precision(value: &str) -> i64 {
    let v = value.trim();
    let Some((_, time)) = v.split_once(['T', 't', ' ']) else {
        return 24 * Micros::HOUR; // a date
    };
    // The zone: `Z`, or `+HH:MM` / `-HH:MM` after the clock.
    let time = time.trim_end_matches(['Z', 'z']);
    let time = time.find(['+', '-']).map_or(time, |i| &time[..i]);
    if let Some((_, fraction)) = time.split_once(['.', ',']) {
        let digits = fraction.chars().take_while(char::is_ascii_digit).count();
        let digits = u32::try_from(digits.min(6)).unwrap_or(6);
        return 10i64.pow(6 - digits);
    }
    match time.split(':').count() {
        1 => Micros::HOUR,
        2 => Micros::MINUTE,
        _ => Micros::SECOND,
    }
}

/// The values of `stage` or `level` as the audit API spells them.
fn known_values(field: &str) -> &'static [&'static str] {
    match field {
        "stage" => &[
            "RequestReceived",
            "ResponseStarted",
            "ResponseComplete",
            "Panic",
        ],
        _ => &["None", "Metadata", "Request", "RequestResponse"],
    }
}

fn canonical_case(field: &str, value: &str) -> String {
    known_values(field)
        .iter()
        .find(|k| k.eq_ignore_ascii_case(value))
        .map_or_else(|| value.to_owned(), |k| (*k).to_owned())
}

#[cfg(test)]
mod tests;

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
        for other in ["AND", "OR"] {
            if self.keyword(other) {
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
            Some('"') => Ok(Expr::Text(self.quoted()?)),
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
        Ok(Expr::Text(word))
    }

    /// A bare word: up to whitespace or `)`.
    fn bare(&mut self) -> Result<String, QueryError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ')' || c == '(' {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("expected a value"));
        }
        Ok(self.chars[start..self.pos].iter().collect())
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
            Some(FieldKind::Text) => Ok(Expr::Text(self.value()?.0)),
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
            "stage" | "level" => Ok(field(
                spec.name,
                Pattern::Exact(canonical_case(spec.name, &value)),
            )),
            _ => Ok(field(spec.name, keyword_pattern(&value, quoted))),
        }
    }

    fn ip_value(&mut self, spec: &'static FieldSpec) -> Result<Expr, QueryError> {
        let at = self.pos;
        let (value, _) = self.value()?;
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
        let (value, _) = self.value()?;
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
        let parse_time = |s: &str| TimeSpec::parse(s);
        if matches!(self.peek(), Some('[' | '{')) {
            let (lo, hi) = self.range(parse_time)?;
            return Ok(field(spec.name, Pattern::Time(lo, hi)));
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
        let end = match t {
            TimeSpec::At(m) => TimeSpec::At(m.saturating_add(granularity(&value))),
            ago @ TimeSpec::Ago(_) => ago,
        };
        if op.is_none() && matches!(t, TimeSpec::Ago(_)) {
            // `time:2h` reads as "the last two hours".
            return Ok(field(
                spec.name,
                Pattern::Time(Bound::Included(t), Bound::Unbounded),
            ));
        }
        Ok(field(spec.name, compare(op, t, end, Pattern::Time)))
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

/// The span an exact time value stands for: a whole day for `2024-01-02`, an hour for
/// `2024-01-02T03`, a minute for `…T03:04`, else a second.
fn granularity(value: &str) -> i64 {
    match value.trim().len() {
        10 => 24 * Micros::HOUR,
        13 => Micros::HOUR,
        16 => Micros::MINUTE,
        _ => Micros::SECOND,
    }
}

fn canonical_case(field: &str, value: &str) -> String {
    let known: &[&str] = match field {
        "stage" => &[
            "RequestReceived",
            "ResponseStarted",
            "ResponseComplete",
            "Panic",
        ],
        _ => &["None", "Metadata", "Request", "RequestResponse"],
    };
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(value))
        .map_or_else(|| value.to_owned(), |k| (*k).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(f: &'static str, v: &str) -> Expr {
        field(f, Pattern::Exact(v.to_owned()))
    }

    #[test]
    fn regression_code_query_at_u64_max_does_not_overflow() {
        // `code:18446744073709551615` overflowed computing the end of its range.
        let max = u64::MAX;
        let n = |lo, hi| field("code", Pattern::Number(lo, hi));
        assert_eq!(
            parse("code:18446744073709551615").unwrap(),
            n(Bound::Included(max), Bound::Excluded(max))
        );
        assert_eq!(
            parse("code:<=18446744073709551615").unwrap(),
            n(Bound::Unbounded, Bound::Included(max))
        );
        assert!(parse("code:18446744073709551616").is_err());
    }

    #[test]
    fn regression_audit_id_wildcard_is_a_parse_error_not_a_corrupt_index() {
        // `audit_id:abc*` parsed, then failed at search time as "index manifest is corrupt".
        for q in ["audit_id:abc*", "id:*", "auditid:a?c", "verb:get id:*x"] {
            let err = parse(q).unwrap_err();
            assert!(err.message.contains("without wildcards"), "{q}: {err}");
        }
        assert_eq!(parse("id:abc*").unwrap_err().column, 3);
        assert_eq!(parse("id:\"ab*\"").unwrap(), exact("audit_id", "ab*"));
    }

    #[test]
    fn empty_and_star_match_all() {
        assert_eq!(parse("").unwrap(), Expr::All);
        assert_eq!(parse("  * ").unwrap(), Expr::All);
    }

    #[test]
    fn values_with_colons_quoted_and_unquoted() {
        let want = exact("user", "system:serviceaccount:shop:web");
        assert_eq!(parse("user:system:serviceaccount:shop:web").unwrap(), want);
        assert_eq!(
            parse("user:\"system:serviceaccount:shop:web\"").unwrap(),
            want
        );
    }

    #[test]
    fn boolean_operators_any_case_and_implicit_and() {
        let e = parse("verb:create and (ns:shop OR ns:prod) not user:alice").unwrap();
        assert_eq!(
            e,
            Expr::And(vec![
                exact("verb", "create"),
                Expr::Or(vec![exact("namespace", "shop"), exact("namespace", "prod")]),
                Expr::Not(Box::new(exact("user", "alice"))),
            ])
        );
        assert_eq!(
            parse("verb:get ns:x").unwrap(),
            parse("verb:get AND ns:x").unwrap()
        );
        assert_eq!(
            parse("-verb:get").unwrap(),
            Expr::Not(Box::new(exact("verb", "get")))
        );
    }

    #[test]
    fn prefix_and_any() {
        assert_eq!(
            parse("ua:curl*").unwrap(),
            field("ua", Pattern::Wildcard("curl*".into()))
        );
        assert_eq!(parse("ua:\"curl*\"").unwrap(), exact("ua", "curl*"));
        assert_eq!(
            parse("sa:\"w*b\"").unwrap(),
            field("sa", Pattern::Wildcard("*:w\\*b".into()))
        );
        assert_eq!(
            parse("impersonated:*").unwrap(),
            field("impersonated", Pattern::Any)
        );
    }

    #[test]
    fn regression_escaped_bare_value_was_compared_with_its_backslashes() {
        // Bare values are globs: without a wildcard their escapes are resolved, as in rules.
        assert_eq!(parse("name:a\\\\b").unwrap(), exact("name", "a\\b"));
        assert_eq!(parse("name:what\\?").unwrap(), exact("name", "what?"));
        assert_eq!(
            parse("user:CORP\\alice").unwrap(),
            exact("user", "CORP\\alice")
        );
        assert_eq!(
            parse("ua:lit\\**").unwrap(),
            field("ua", Pattern::Wildcard("lit\\**".into()))
        );
    }

    #[test]
    fn ip_and_cidr() {
        assert_eq!(
            parse("ip:10.0.0.1").unwrap(),
            field("ip", Pattern::Ip("10.0.0.1".parse().unwrap()))
        );
        assert_eq!(
            parse("ip:10.244.1.7/16").unwrap(),
            field("ip", Pattern::Cidr("10.244.0.0/16".parse().unwrap()))
        );
        let err = parse("ip:banana").unwrap_err();
        assert_eq!(err.column, 3);
        assert!(err.message.contains("not an IP"));
    }

    #[test]
    fn code_forms() {
        let n = |lo, hi| field("code", Pattern::Number(lo, hi));
        assert_eq!(
            parse("code:403").unwrap(),
            n(Bound::Included(403), Bound::Excluded(404))
        );
        assert_eq!(
            parse("code:>=400").unwrap(),
            n(Bound::Included(400), Bound::Unbounded)
        );
        assert_eq!(
            parse("code:4xx").unwrap(),
            n(Bound::Included(400), Bound::Excluded(500))
        );
        assert_eq!(
            parse("code:[400 TO 499]").unwrap(),
            n(Bound::Included(400), Bound::Included(499))
        );
        assert_eq!(
            parse("code:{400 TO *]").unwrap(),
            n(Bound::Excluded(400), Bound::Unbounded)
        );
    }

    #[test]
    fn time_forms() {
        let t = |s: &str| TimeSpec::At(Micros::parse(s).unwrap());
        assert_eq!(
            parse("time:[2024-01-02T03:00:00Z TO 2024-01-02T04:00:00Z]").unwrap(),
            field(
                "time",
                Pattern::Time(
                    Bound::Included(t("2024-01-02T03:00:00Z")),
                    Bound::Included(t("2024-01-02T04:00:00Z"))
                )
            )
        );
        assert_eq!(
            parse("time:2024-01-02").unwrap(),
            field(
                "time",
                Pattern::Time(
                    Bound::Included(t("2024-01-02T00:00:00Z")),
                    Bound::Excluded(t("2024-01-03T00:00:00Z"))
                )
            )
        );
        assert_eq!(
            parse("time:>2h").unwrap(),
            field(
                "time",
                Pattern::Time(
                    Bound::Excluded(TimeSpec::Ago(2 * Micros::HOUR)),
                    Bound::Unbounded
                )
            )
        );
        assert!(parse("time:>2h").unwrap().is_relative());
    }

    #[test]
    fn resource_with_subresource_and_sa_shortcuts() {
        assert_eq!(
            parse("res:pods/exec").unwrap(),
            Expr::And(vec![
                exact("resource", "pods"),
                exact("subresource", "exec")
            ])
        );
        assert_eq!(parse("sa:shop:web").unwrap(), exact("sa", "shop:web"));
        assert_eq!(
            parse("sa:system:serviceaccount:shop:web").unwrap(),
            exact("sa", "shop:web")
        );
        assert_eq!(
            parse("sa:web").unwrap(),
            field("sa", Pattern::Wildcard("*:web".into()))
        );
    }

    #[test]
    fn lower_keywords_and_canonical_stage() {
        assert_eq!(parse("verb:GET").unwrap(), exact("verb", "get"));
        assert_eq!(
            parse("stage:responsecomplete").unwrap(),
            exact("stage", "ResponseComplete")
        );
    }

    #[test]
    fn bare_words_and_phrases_are_text() {
        assert_eq!(parse("bash").unwrap(), Expr::Text("bash".into()));
        assert_eq!(
            parse("\"/bin/bash -i\"").unwrap(),
            Expr::Text("/bin/bash -i".into())
        );
        assert_eq!(
            parse("system:anonymous").unwrap(),
            Expr::Text("system:anonymous".into())
        );
    }

    #[test]
    fn regression_an_operator_after_an_operator_was_searched_as_a_word() {
        let e = parse("ns:shop AND OR verb:get").unwrap_err();
        assert!(
            e.message.contains("expected a term after AND, found OR"),
            "{e}"
        );
        assert_eq!(e.column, 12);
        let e = parse("ns:shop OR AND verb:get").unwrap_err();
        assert!(e.message.contains("after OR, found AND"), "{e}");
        // A quoted operator is a word; NOT after an operator is a term.
        assert!(parse("ns:shop AND \"OR\"").is_ok());
        assert!(parse("ns:shop AND NOT verb:get").is_ok());
    }

    #[test]
    fn regression_the_audit_events_json_paths_were_searched_as_words() {
        // `objectRef.resource:secrets` (the Sigma rules' and the audit Event's names)
        // matched nothing, silently.
        assert_eq!(
            parse("objectRef.resource:secrets").unwrap(),
            parse("resource:secrets").unwrap()
        );
        assert_eq!(
            parse("responseStatus.code:403").unwrap(),
            parse("code:403").unwrap()
        );
        assert_eq!(
            parse("user.username:alice").unwrap(),
            parse("user:alice").unwrap()
        );
        assert_eq!(
            parse("objectRef.namespace:shop").unwrap(),
            parse("ns:shop").unwrap()
        );
        // Not a field: a word, with a hint for when nothing matches.
        let e = parse("status_code:403").unwrap();
        assert_eq!(e, Expr::Text("status_code:403".into()));
        assert!(
            e.hints()[0].contains("`status_code` is not a field"),
            "{:?}",
            e.hints()
        );
        let e = parse("verb=get").unwrap();
        assert!(
            e.hints()[0].contains("a condition is `verb:get`"),
            "{:?}",
            e.hints()
        );
        assert!(parse("bash").unwrap().hints().is_empty());
        assert!(parse("10.0.0.1:443").unwrap().hints().is_empty());
    }

    #[test]
    fn errors_say_where_and_why() {
        let e = parse("usr:alice").unwrap_err();
        assert_eq!(e.column, 0);
        assert!(e.message.contains("did you mean `user`"), "{e}");
        let e = parse("(verb:get").unwrap_err();
        assert!(e.message.contains("unclosed `(`"), "{e}");
        let e = parse("verb:get)").unwrap_err();
        assert!(e.message.contains("unmatched `)`"), "{e}");
        let e = parse("verb: get").unwrap_err();
        assert!(e.message.contains("needs a value"), "{e}");
        let e = parse("code:abc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "at column 6: `abc` is not a number (e.g. 403, >=400, [400 TO 499], 4xx)"
        );
        let e = parse("\"open").unwrap_err();
        assert!(e.message.contains("unterminated"), "{e}");
        let e = parse("verb:get AND").unwrap_err();
        assert!(e.message.contains("end of the query"), "{e}");
    }

    #[test]
    fn nesting_up_to_the_limit_parses() {
        let deep = format!("{}verb:get{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(parse(&deep).unwrap(), exact("verb", "get"));
        let nots = format!("{}verb:get", "NOT ".repeat(MAX_DEPTH));
        assert!(parse(&nots).is_ok());
        let mixed = format!("{}(verb:get)", "-".repeat(MAX_DEPTH - 1));
        assert!(parse(&mixed).is_ok());
        let wide = vec!["(a)"; 10_000].join(" OR ");
        assert!(parse(&wide).is_ok(), "siblings do not nest");
    }

    #[test]
    fn regression_deep_nesting_is_an_error_naming_the_column() {
        let e = parse(&"(".repeat(10_000)).unwrap_err();
        assert_eq!(e.column, MAX_DEPTH, "{e}");
        assert!(e.message.contains("nests more than 64 levels"), "{e}");
        let e = parse(&format!("{}x", "NOT ".repeat(500))).unwrap_err();
        assert_eq!(e.column, 4 * MAX_DEPTH, "{e}");
        let e = parse(&format!("{}x", "!".repeat(100_000))).unwrap_err();
        assert_eq!(e.column, MAX_DEPTH);
        let e = parse(&format!("{}x", "NOT (".repeat(40))).unwrap_err();
        assert!(e.message.contains("nests more than"), "{e}");
    }
}

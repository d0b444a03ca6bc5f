//! The analyst's filter language, parsed into a plan ([`Expr`]). Pure: no tantivy, no I/O;
//! imports only `model`.
//!
//! ```text
//! query    := or | "*" | ""
//! or       := and (("OR" | "||") and)*
//! and      := unary (("AND" | "&&")? unary)*          -- juxtaposition is AND
//! unary    := ("NOT" | "!" | "-") unary | primary
//! primary  := "(" or ")" | field ":" value | word | "\"phrase\""
//! value    := "\"quoted\"" | bare | op bare | range | "*"
//! op       := ">" | ">=" | "<" | "<="                    -- code and time
//! range    := ("[" | "{") bound "TO" bound ("]" | "}")  -- [ ] inclusive, { } exclusive
//! bare     := any characters up to whitespace or ")"; `*` and `?` are wildcards
//!             (the dialect of [`glob`]: `\*`, `\?`, `\\` are literal)
//! ```
//!
//! Keywords are matched in any case. A value may contain `:`, quoted or not
//! (`user:system:serviceaccount:shop:web`). `ip` takes an address or a CIDR; `code` takes
//! `403`, `>=400`, `[400 TO 499]` or `4xx`; `time` takes RFC 3339, a date, or a duration
//! back from the newest event (`time:>2h`). `res:pods/exec` means resource `pods` and
//! subresource `exec`; `sa:web` matches service account `web` in any namespace.
//! Parentheses and negations nest at most [`MAX_DEPTH`] levels: deeper is a parse error,
//! so no recursive function over an [`Expr`] can exhaust the stack.

pub mod fields;
pub mod glob;
mod parse;

use std::net::IpAddr;
use std::ops::Bound;

use ipnet::IpNet;

use crate::model::Micros;
use crate::model::sanitize::escape_control;
use crate::model::time::TimeError;
pub use fields::{FieldKind, FieldSpec};
pub use parse::{MAX_DEPTH, parse};

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Matches every event.
    All,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A condition on one field (canonical field name, see [`crate::model::fields::FIELDS`]).
    Field {
        field: &'static str,
        pattern: Pattern,
    },
    /// Bare words or a quoted phrase, matched against the event text.
    Text(String),
    /// Events with any of these audit IDs (the events of a finding).
    AuditIds(std::sync::Arc<Vec<String>>),
}

/// What a field's value must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Exact(String),
    /// A value with `*` / `?` wildcards ([`glob`]'s dialect).
    Wildcard(String),
    /// The field has any value.
    Any,
    Ip(IpAddr),
    Cidr(IpNet),
    Number(Bound<u64>, Bound<u64>),
    Time(Bound<TimeSpec>, Bound<TimeSpec>),
}

/// A point in time in a query, absolute or relative to an anchor (the newest event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    At(Micros),
    /// This many microseconds before the anchor.
    Ago(i64),
}

impl TimeSpec {
    pub fn resolve(self, anchor: Micros) -> Micros {
        match self {
            TimeSpec::At(t) => t,
            TimeSpec::Ago(d) => anchor.saturating_add(-d),
        }
    }

    /// Parses `2024-01-02T03:04:05Z`, `2024-01-02`, `2024-01-02 03:04`, `2h`, `-90m`,
    /// `1d12h`, `now`. A date may be of any year 1–9999 (a bound need not be an event's time);
    /// one that does not exist (`2024-02-30`) is not a time.
    pub fn parse(s: &str) -> Option<TimeSpec> {
        TimeSpec::parse_checked(s).ok()
    }

    /// [`TimeSpec::parse`], saying why not.
    pub fn parse_checked(s: &str) -> Result<TimeSpec, TimeError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("now") {
            return Ok(TimeSpec::Ago(0));
        }
        if let Some(d) = parse_duration(s.strip_prefix('-').unwrap_or(s)) {
            return Ok(TimeSpec::Ago(d));
        }
        let whole = match Micros::parse_any(s) {
            Ok(t) => return Ok(TimeSpec::At(t)),
            Err(e) => e,
        };
        let padded = match s.len() {
            10 => format!("{s}T00:00:00Z"),
            13 => format!("{s}:00:00Z"),
            16 => format!("{s}:00Z"),
            _ => return Err(whole),
        };
        Micros::parse_any(&padded).map(TimeSpec::At)
    }
}

/// `90s`, `15m`, `2h`, `1d`, `1w`, `1h30m` → microseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    if s.is_empty() || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let mut total: i64 = 0;
    let mut num: i64 = 0;
    let mut saw_digit = false;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            num = num.checked_mul(10)?.checked_add(i64::from(d))?;
            saw_digit = true;
            continue;
        }
        let unit = match c {
            's' => Micros::SECOND,
            'm' => Micros::MINUTE,
            'h' => Micros::HOUR,
            'd' => 24 * Micros::HOUR,
            'w' => 7 * 24 * Micros::HOUR,
            _ => return None,
        };
        if !saw_digit {
            return None;
        }
        total = total.checked_add(num.checked_mul(unit)?)?;
        num = 0;
        saw_digit = false;
    }
    (!saw_digit).then_some(total)
}

/// A query that could not be parsed: where (0-based character column) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at column {}: {message}", column + 1)]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

impl QueryError {
    /// `bad query at column N: why`, then the query and a caret under the column, each on
    /// its own line. A query may be pasted from a log: both are escaped (`\x1b`), and the
    /// caret counts the escaped characters.
    pub fn explain(&self, query: &str) -> String {
        let before: String = query.chars().take(self.column).collect();
        let pad = escape_control(&before).chars().count();
        format!(
            "bad query {}\n  {}\n  {}^",
            escape_control(&self.to_string()),
            escape_control(query),
            " ".repeat(pad)
        )
    }
}

impl Expr {
    /// Words searched as text that look like a field condition that is not one
    /// (`status_code:403`, `verb=get`): what each was taken for, to say when nothing matched.
    pub fn hints(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_hints(&mut out);
        out
    }

    fn collect_hints(&self, out: &mut Vec<String>) {
        match self {
            Expr::And(items) | Expr::Or(items) => {
                for i in items {
                    i.collect_hints(out);
                }
            }
            Expr::Not(inner) => inner.collect_hints(out),
            Expr::Text(word) => {
                let Some(at) = word.find([':', '=']) else {
                    return;
                };
                let (head, value) = (&word[..at], &word[at + 1..]);
                let field_like = head.starts_with(|c: char| c.is_ascii_alphabetic())
                    && head
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                if !field_like || value.is_empty() {
                    return;
                }
                let word = escape_control(word);
                match crate::model::fields::lookup(head) {
                    Some(f) => out.push(format!(
                        "`{word}` was searched as words: a condition is `{}:{}`",
                        f.name,
                        escape_control(value.trim_start_matches(['=', ':']))
                    )),
                    None => out.push(format!(
                        "`{word}` was searched as words: `{}` is not a field (the README's query language table lists them, as does ? in the workbench)",
                        escape_control(head)
                    )),
                }
            }
            _ => {}
        }
    }

    /// `self AND other`, flattening.
    #[must_use]
    pub fn and(self, other: Expr) -> Expr {
        match (self, other) {
            (Expr::All, e) | (e, Expr::All) => e,
            (Expr::And(mut a), Expr::And(b)) => {
                a.extend(b);
                Expr::And(a)
            }
            (Expr::And(mut a), e) => {
                a.push(e);
                Expr::And(a)
            }
            (e, Expr::And(mut b)) => {
                b.insert(0, e);
                Expr::And(b)
            }
            (a, b) => Expr::And(vec![a, b]),
        }
    }

    /// A time window as a query (`--since` / `--until`).
    pub fn time_window(since: Option<TimeSpec>, until: Option<TimeSpec>) -> Expr {
        if since.is_none() && until.is_none() {
            return Expr::All;
        }
        let lo = since.map_or(Bound::Unbounded, Bound::Included);
        let hi = until.map_or(Bound::Unbounded, Bound::Excluded);
        Expr::Field {
            field: "time",
            pattern: Pattern::Time(lo, hi),
        }
    }

    /// True when the query uses relative times, which need an anchor to resolve.
    pub fn is_relative(&self) -> bool {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().any(Expr::is_relative),
            Expr::Not(e) => e.is_relative(),
            Expr::Field {
                pattern: Pattern::Time(lo, hi),
                ..
            } => [lo, hi].iter().any(|b| {
                matches!(
                    b,
                    Bound::Included(TimeSpec::Ago(_)) | Bound::Excluded(TimeSpec::Ago(_))
                )
            }),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h"), Some(2 * Micros::HOUR));
        assert_eq!(parse_duration("1h30m"), Some(90 * Micros::MINUTE));
        assert_eq!(parse_duration("1d"), Some(24 * Micros::HOUR));
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("12"), None);
        assert_eq!(parse_duration("2x"), None);
    }

    #[test]
    fn time_specs() {
        let day = TimeSpec::parse("2024-01-02").unwrap();
        assert_eq!(
            day,
            TimeSpec::At(Micros::parse("2024-01-02T00:00:00Z").unwrap())
        );
        let minute = TimeSpec::parse("2024-01-02T03:04").unwrap();
        assert_eq!(
            minute,
            TimeSpec::At(Micros::parse("2024-01-02T03:04:00Z").unwrap())
        );
        assert_eq!(
            TimeSpec::parse("-2h"),
            Some(TimeSpec::Ago(2 * Micros::HOUR))
        );
        assert_eq!(TimeSpec::Ago(10).resolve(Micros(100)), Micros(90));
        assert!(TimeSpec::parse("yesterday").is_none());
    }
}

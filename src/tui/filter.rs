//! The filters in effect — chips added by pivots and commands, and the typed query — and
//! how they are written back as one query. Pure: no terminal, no index.

use crate::model::Micros;
use crate::query::{self, Expr, TimeSpec};

/// One active filter, shown in the breadcrumb.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    pub label: String,
    pub expr: Expr,
}

/// The filters in effect: chips added by pivots and commands, and the typed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterState {
    pub chips: Vec<Chip>,
    pub query: String,
}

impl FilterState {
    pub fn expr(&self) -> Expr {
        let typed = query::parse(&self.query).unwrap_or(Expr::All);
        self.chips
            .iter()
            .fold(typed, |acc, c| acc.and(c.expr.clone()))
    }

    pub fn is_empty(&self) -> bool {
        self.chips.is_empty() && self.query.trim().is_empty()
    }

    /// A filter of one chip.
    pub fn of(chip: Chip) -> FilterState {
        FilterState {
            chips: vec![chip],
            query: String::new(),
        }
    }

    /// The time window the chips restrict to (for the timeline's bounds).
    pub fn time_bounds(&self) -> (Option<Micros>, Option<Micros>) {
        let mut bounds = (None, None);
        for c in &self.chips {
            if let Expr::Field {
                field: "time",
                pattern: query::Pattern::Time(lo, hi),
            } = &c.expr
            {
                use std::ops::Bound;
                if let Bound::Included(TimeSpec::At(t)) | Bound::Excluded(TimeSpec::At(t)) = lo {
                    bounds.0 = Some(*t);
                }
                if let Bound::Included(TimeSpec::At(t)) | Bound::Excluded(TimeSpec::At(t)) = hi {
                    bounds.1 = Some(*t);
                }
            }
        }
        bounds
    }
}

/// `field:value` as a chip, the value quoted as the query language needs.
pub fn pivot_chip(field: &str, value: &str) -> Chip {
    let label = format!("{field}:{}", quote(value));
    let expr = query::parse(&label).unwrap_or(Expr::All);
    Chip { label, expr }
}

/// Quotes a value for the query language when it holds spaces, quotes or parentheses.
pub fn quote(v: &str) -> String {
    if v.is_empty() || v.contains([' ', '"', '(', ')', '\\']) {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        v.to_owned()
    }
}

/// The filter as one query: the typed query and every chip that is a query (pivots,
/// `:user` …, `:since` …), and how many chips could not be written as a query.
pub fn filter_as_query(f: &FilterState) -> (String, usize) {
    let mut parts = Vec::new();
    let mut skipped = 0;
    for c in &f.chips {
        let text = if let Some(t) = c.label.strip_prefix("since ") {
            format!("time:>={t}")
        } else if let Some(t) = c.label.strip_prefix("until ") {
            format!("time:<{t}")
        } else {
            c.label.clone()
        };
        if query::parse(&text).is_ok_and(|e| e == c.expr) {
            parts.push(text);
        } else {
            skipped += 1;
        }
    }
    let typed = f.query.trim();
    if !typed.is_empty() && typed != "*" {
        parts.push(format!("({typed})"));
    }
    (parts.join(" "), skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_when_the_query_language_needs_it() {
        assert_eq!(quote("alice"), "alice");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote(r#"x"y\"#), r#""x\"y\\""#);
        let chip = pivot_chip("user", "system:serviceaccount:shop web");
        assert_eq!(chip.label, "user:\"system:serviceaccount:shop web\"");
        assert_ne!(chip.expr, Expr::All);
    }

    #[test]
    fn a_filter_is_written_back_as_one_query_without_its_finding_chips() {
        let mut f = FilterState::of(pivot_chip("ns", "shop"));
        f.chips.push(Chip {
            label: "finding X".into(),
            expr: Expr::AuditIds(std::sync::Arc::new(vec!["a".into()])),
        });
        f.query = "verb:get".into();
        assert_eq!(filter_as_query(&f), ("ns:shop (verb:get)".to_owned(), 1));
    }
}

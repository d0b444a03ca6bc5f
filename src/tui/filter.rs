//! The filters in effect — chips added by pivots and commands, and the typed query — and
//! how they are written back as one query. Pure: no terminal, no index.

use std::ops::Bound;

use jiff::tz::TimeZone;

use crate::model::Micros;
use crate::model::time::format_duration;
use crate::query::{self, Expr, Pattern, TimeSpec};

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

/// The chip of the events within `span` of `t` (`t`): `around 2026-03-14 11:02:03.000 ±1m`.
pub fn around_chip(t: Micros, span: i64, tz: &TimeZone) -> Chip {
    let (a, b) = (t.saturating_add(-span), t.saturating_add(span));
    let expr = Expr::time_window(Some(TimeSpec::At(a)), Some(TimeSpec::At(b)));
    Chip {
        label: around_label(a, b, tz),
        expr,
    }
}

/// The chip of a zoom into `start .. end` (the timeline's range).
pub fn zoom_chip(start: Micros, end: Micros, tz: &TimeZone) -> Chip {
    Chip {
        label: zoom_label(start, end, tz),
        expr: Expr::time_window(Some(TimeSpec::At(start)), Some(TimeSpec::At(end))),
    }
}

fn around_label(a: Micros, b: Micros, tz: &TimeZone) -> String {
    let span = (b.0 - a.0) / 2;
    format!(
        "around {} ±{}",
        a.saturating_add(span).display_in(tz),
        format_duration(span)
    )
}

fn zoom_label(a: Micros, b: Micros, tz: &TimeZone) -> String {
    format!("{} .. {}", a.display_in(tz), b.display_in(tz))
}

/// The absolute bounds of a time-window chip (`around …`, a zoom).
fn window(c: &Chip) -> Option<(Micros, Micros)> {
    match &c.expr {
        Expr::Field {
            field: "time",
            pattern:
                Pattern::Time(Bound::Included(TimeSpec::At(a)), Bound::Excluded(TimeSpec::At(b))),
        } => Some((*a, *b)),
        _ => None,
    }
}

impl FilterState {
    /// Writes the times of the `around …` and zoom chips in `tz` (after `:tz`).
    pub fn relabel_times(&mut self, tz: &TimeZone) {
        for c in &mut self.chips {
            let Some((a, b)) = window(c) else { continue };
            if c.label.starts_with("around ") {
                c.label = around_label(a, b, tz);
            } else if c.label.contains(" .. ") {
                c.label = zoom_label(a, b, tz);
            }
        }
    }
}

/// A time-window chip as a query: `time:[2026-03-14T11:00:00Z TO 2026-03-14T11:02:00Z}`.
fn time_query(c: &Chip) -> Option<String> {
    let Expr::Field {
        field: "time",
        pattern: Pattern::Time(lo, hi),
    } = &c.expr
    else {
        return None;
    };
    let at = |b: &Bound<TimeSpec>| match b {
        Bound::Included(TimeSpec::At(t)) | Bound::Excluded(TimeSpec::At(t)) => Some(t.rfc3339()),
        _ => None,
    };
    let incl = |b: &Bound<TimeSpec>| matches!(b, Bound::Included(_));
    Some(match (lo, hi) {
        (Bound::Unbounded, Bound::Unbounded) => return None,
        (lo, Bound::Unbounded) => format!("time:{}{}", if incl(lo) { ">=" } else { ">" }, at(lo)?),
        (Bound::Unbounded, hi) => format!("time:{}{}", if incl(hi) { "<=" } else { "<" }, at(hi)?),
        (lo, hi) => format!(
            "time:{}{} TO {}{}",
            if incl(lo) { '[' } else { '{' },
            at(lo)?,
            at(hi)?,
            if incl(hi) { ']' } else { '}' }
        ),
    })
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
/// `:user` …, `:since` …, time zooms and `around …` windows), and how many chips could not
/// be written as a query (a finding's events).
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
        let same = |text: &String| query::parse(text).is_ok_and(|e| e == c.expr);
        match [Some(text), time_query(c)].into_iter().flatten().find(same) {
            Some(text) => parts.push(text),
            None => skipped += 1,
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

    #[test]
    fn regression_save_keeps_time_zoom_and_around_chips() {
        let t = Micros::parse("2026-03-14T11:00:00Z").unwrap();
        let mut f = FilterState::of(zoom_chip(t, t.saturating_add(Micros::HOUR), &TimeZone::UTC));
        f.chips.push(around_chip(t, Micros::MINUTE, &TimeZone::UTC));
        let (text, skipped) = filter_as_query(&f);
        assert_eq!(skipped, 0, "{text}");
        assert_eq!(
            text,
            "time:[2026-03-14T11:00:00.000000Z TO 2026-03-14T12:00:00.000000Z} \
             time:[2026-03-14T10:59:00.000000Z TO 2026-03-14T11:01:00.000000Z}"
        );
        assert_eq!(query::parse(&text).unwrap(), f.expr());
    }

    #[test]
    fn regression_around_chip_follows_the_time_zone() {
        let t = Micros::parse("2026-03-14T11:00:00Z").unwrap();
        let mut f = FilterState::of(around_chip(t, Micros::MINUTE, &TimeZone::UTC));
        f.chips
            .push(zoom_chip(t, t.saturating_add(Micros::HOUR), &TimeZone::UTC));
        assert_eq!(f.chips[0].label, "around 2026-03-14 11:00:00.000 ±1m00s");
        let paris = TimeZone::get("Europe/Paris").unwrap();
        f.relabel_times(&paris);
        assert_eq!(f.chips[0].label, "around 2026-03-14 12:00:00.000 ±1m00s");
        assert_eq!(
            f.chips[1].label,
            "2026-03-14 12:00:00.000 .. 2026-03-14 13:00:00.000"
        );
    }
}

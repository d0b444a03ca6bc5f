//! The fields an analyst can name in a query: the query fields of the registry
//! ([`crate::model::fields`]), looked up by name or alias, and typos suggested.

use crate::model::fields::query_fields;
pub use crate::model::fields::{FieldKind, FieldSpec, lookup};

/// The closest field name to a misspelt one, if it is close enough to be a typo.
pub fn suggest(name: &str) -> Option<&'static str> {
    // Two edits at most: a name longer than every field by more cannot be a typo of one
    // (and measuring a pasted megabyte against each field would take seconds).
    let longest = query_fields()
        .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
        .map(str::len)
        .max()
        .unwrap_or(0);
    if name.chars().count() > longest + 2 {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    query_fields()
        .flat_map(|f| {
            std::iter::once(f.name)
                .chain(f.aliases.iter().copied())
                .map(move |n| (n, f.name))
        })
        .map(|(alias, canonical)| (edit_distance(&lower, alias), canonical))
        // A name every character of which must change (`a` for `ua`) is no typo.
        .filter(|(d, _)| *d < lower.chars().count())
        .filter(|(d, _)| *d <= 1 || (*d <= 2 && lower.len() > 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve() {
        assert_eq!(lookup("NS").unwrap().name, "namespace");
        assert_eq!(lookup("res").unwrap().name, "resource");
        assert_eq!(lookup("ip").unwrap().kind, Some(FieldKind::Ip));
        assert!(lookup("nope").is_none());
        assert!(
            lookup("nonresource").is_none(),
            "index-only fields are not queried"
        );
    }

    #[test]
    fn regression_suggest_for_a_huge_unknown_field_name_is_instant() {
        // A 1 MB field name took seconds per field: an edit distance against each.
        let started = std::time::Instant::now();
        assert_eq!(suggest(&"x".repeat(1 << 20)), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(suggest("namespacexx"), Some("namespace"));
    }

    #[test]
    fn regression_a_one_letter_name_was_taken_for_a_typo_of_a_field() {
        // `a:b:c` said "did you mean `user`?".
        for name in ["a", "b", "x", "z"] {
            assert_eq!(suggest(name), None, "{name}");
        }
        assert_eq!(suggest("nx"), Some("namespace"));
    }

    #[test]
    fn suggests_typos_only() {
        assert_eq!(suggest("usr"), Some("user"));
        assert_eq!(suggest("namespce"), Some("namespace"));
        assert_eq!(suggest("system"), None);
    }
}

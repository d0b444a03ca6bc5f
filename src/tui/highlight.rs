//! The search's matches highlighted inside a table row — the matched text, not the whole
//! row: the words and values of the search ([`needles`]) are found in what was drawn, and
//! only those cells restyled ([`mark_matches`]). Working on the drawn buffer keeps the
//! tables' column code unaware of the search; a matching row that shows none of the words
//! (the match was in a column not on screen) is highlighted whole.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::theme;
use crate::query::{Expr, Pattern};

/// What to look for in a row: the search's words and field values, lower-cased (a value
/// with wildcards gives its longest literal part; negated terms, numbers and times none).
pub fn needles(expr: &Expr) -> Vec<Vec<char>> {
    let mut out = Vec::new();
    collect(expr, &mut out);
    out.retain(|n| !n.is_empty());
    out.sort_by_key(|n| std::cmp::Reverse(n.len()));
    out.dedup();
    out
}

fn collect(expr: &Expr, out: &mut Vec<Vec<char>>) {
    match expr {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| collect(e, out)),
        Expr::Text(s) => out.extend(s.split_whitespace().map(lower)),
        Expr::Field { pattern, .. } => match pattern {
            Pattern::Exact(v) => out.push(lower(v)),
            Pattern::Wildcard(v) => {
                let longest = v.split(['*', '?']).max_by_key(|p| p.chars().count());
                out.extend(longest.map(lower));
            }
            Pattern::Ip(ip) => out.push(lower(&ip.to_string())),
            _ => {}
        },
        Expr::All | Expr::Not(_) | Expr::AuditIds(_) => {}
    }
}

fn lower(s: &str) -> Vec<char> {
    s.chars().map(fold).collect()
}

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Restyles, in each line of `area` that `is_match` says matches, the cells showing one of
/// the `needles`; a matching line showing none is highlighted whole.
pub fn mark_matches(
    buf: &mut Buffer,
    area: Rect,
    needles: &[Vec<char>],
    is_match: impl Fn(u16) -> bool,
) {
    let area = area.intersection(buf.area);
    for line in 0..area.height {
        if !is_match(line) {
            continue;
        }
        let y = area.y + line;
        let xs: Vec<u16> = (area.x..area.x + area.width).collect();
        let text: Vec<char> = xs
            .iter()
            .map(|&x| fold(buf[(x, y)].symbol().chars().next().unwrap_or(' ')))
            .collect();
        let hits = find_all(&text, needles);
        if hits.iter().all(|h| !h) {
            buf.set_style(Rect::new(area.x, y, area.width, 1), theme::search_match());
            continue;
        }
        for (x, hit) in xs.into_iter().zip(hits) {
            if hit {
                buf[(x, y)].set_style(theme::search_hit());
            }
        }
    }
}

/// Which characters of `text` belong to an occurrence of a needle.
fn find_all(text: &[char], needles: &[Vec<char>]) -> Vec<bool> {
    let mut hit = vec![false; text.len()];
    for n in needles {
        if n.len() > text.len() {
            continue;
        }
        for start in 0..=text.len() - n.len() {
            if text[start..start + n.len()] == n[..] {
                hit[start..start + n.len()]
                    .iter_mut()
                    .for_each(|h| *h = true);
            }
        }
    }
    hit
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Modifier;

    #[test]
    fn needles_are_the_words_and_values_of_the_search() {
        let e = crate::query::parse("bash user:alice* NOT verb:get code:500 ip:10.0.0.1").unwrap();
        let n: Vec<String> = needles(&e).iter().map(|n| n.iter().collect()).collect();
        assert_eq!(n, ["10.0.0.1", "alice", "bash"]);
    }

    #[test]
    fn regression_search_highlights_the_matched_text_not_the_whole_row() {
        let mut buf = Buffer::with_lines(["alice  get pods BASH -c", "bob    get pods"]);
        let area = buf.area;
        let n = needles(&crate::query::parse("bash").unwrap());
        mark_matches(&mut buf, area, &n, |_| true);
        let styled = |x: u16, y: u16| buf[(x, y)].modifier.contains(Modifier::REVERSED);
        let row: String = (0..23)
            .map(|x| if styled(x, 0) { '^' } else { ' ' })
            .collect();
        assert_eq!(row, "                ^^^^   ", "only the word, case folded");
        assert!(
            buf[(0, 1)].fg == theme::search_match().fg.unwrap(),
            "a match not on screen: the whole row"
        );
    }
}

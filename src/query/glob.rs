//! The one glob dialect of kubesift, shared by query values (`ua:curl*`, matched by the index
//! as a regular expression) and rule conditions (`fact = "hostpath-sensitive:*"`, matched in
//! memory). Pure: no I/O, no index.
//!
//! - `*` matches any run of characters, the empty one included; `?` exactly one character.
//! - `\*`, `\?` and `\\` stand for the character itself. A backslash before any other
//!   character, or at the end, is an ordinary backslash (`CORP\al*` matches `CORP\alice`).
//! - Nothing else is special: no `[…]` classes, no `{a,b}`, and `/` is an ordinary character.

use std::borrow::Cow;

/// One element of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `?`
    One,
    /// `*`
    Any,
}

/// A parsed glob pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        let mut tokens = Vec::with_capacity(pattern.len());
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' => Token::Any,
                '?' => Token::One,
                '\\' => match chars.next_if(|n| matches!(n, '*' | '?' | '\\')) {
                    Some(n) => Token::Char(n),
                    None => Token::Char('\\'),
                },
                c => Token::Char(c),
            });
        }
        Glob { tokens }
    }

    /// Whether the whole of `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        let t: Vec<char> = s.chars().collect();
        let p = &self.tokens;
        // Greedy with one backtrack point: the last `*` seen and where its match began.
        let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
        while ti < t.len() {
            match p.get(pi) {
                Some(Token::One) => (pi, ti) = (pi + 1, ti + 1),
                Some(Token::Char(c)) if *c == t[ti] => (pi, ti) = (pi + 1, ti + 1),
                Some(Token::Any) => {
                    star = Some(pi);
                    mark = ti;
                    pi += 1;
                }
                _ => match star {
                    Some(sp) => {
                        pi = sp + 1;
                        mark += 1;
                        ti = mark;
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|t| *t == Token::Any)
    }

    /// The text it matches when it has no wildcard (escapes resolved), else `None`.
    pub fn literal(&self) -> Option<String> {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Char(c) => Some(*c),
                Token::One | Token::Any => None,
            })
            .collect()
    }

    /// The equivalent regular expression (`regex-syntax` dialect, anchored by the caller's
    /// engine: tantivy's regex queries match whole terms).
    pub fn to_regex(&self) -> String {
        let mut out = String::with_capacity(self.tokens.len() * 2);
        let mut buf = [0u8; 4];
        for t in &self.tokens {
            match t {
                Token::Any => out.push_str(".*"),
                Token::One => out.push('.'),
                Token::Char(c) => regex_syntax::escape_into(c.encode_utf8(&mut buf), &mut out),
            }
        }
        out
    }
}

/// Whether `s` matches `pattern` (see the module doc for the dialect).
pub fn matches(pattern: &str, s: &str) -> bool {
    Glob::new(pattern).is_match(s)
}

/// `s` as a pattern that matches exactly `s`: its `*`, `?` and `\` escaped.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['*', '?', '\\']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case holds for the in-memory matcher and for its regular expression alike: the
    /// two users of the dialect (rules, the index) cannot disagree.
    fn both(pattern: &str, s: &str) -> bool {
        let memory = matches(pattern, s);
        let re = regex::Regex::new(&format!("^(?s:{})$", Glob::new(pattern).to_regex()));
        let by_regex = re.is_ok_and(|re| re.is_match(s));
        assert_eq!(memory, by_regex, "`{pattern}` on `{s}`");
        memory
    }

    #[test]
    fn wildcards() {
        assert!(both("hostpath-sensitive:*", "hostpath-sensitive:root"));
        assert!(both(
            "*-controller",
            "system:serviceaccount:kube-system:job-controller"
        ));
        assert!(!both("kube-*", "xkube-system"));
        assert!(both("a?c", "abc"));
        assert!(!both("a?c", "ac"));
        assert!(both("*", ""));
        assert!(both("curl*", "curl/8.5.0"));
        assert!(both("*:web", "shop:web"));
        assert!(both("a*b*c", "aXXbYYc"));
        assert!(!both("a*b*c", "aXXbYY"));
        assert!(both("é?", "éß"));
    }

    #[test]
    fn regex_characters_are_literal() {
        assert!(both("a.b?", "a.bc"));
        assert!(!both("a.b?", "aXbc"));
        assert!(both("(x)|[y]{2}^$#&-~+", "(x)|[y]{2}^$#&-~+"));
        assert_eq!(Glob::new("a.b?").to_regex(), "a\\.b.");
        assert_eq!(Glob::new("curl*").to_regex(), "curl.*");
    }

    #[test]
    fn escapes() {
        assert!(both("lit\\*", "lit*"));
        assert!(!both("lit\\*", "literal"));
        assert!(both("what\\?", "what?"));
        assert!(!both("what\\?", "whatX"));
        assert!(both("a\\\\b", "a\\b"));
        assert_eq!(Glob::new("lit\\*").to_regex(), "lit\\*");
    }

    #[test]
    fn regression_backslash_before_an_ordinary_character_is_kept() {
        // The query translation dropped it (`CORP\al*` looked for `CORPal…`).
        assert!(both("CORP\\al*", "CORP\\alice"));
        assert!(!both("CORP\\al*", "CORPalice"));
        // A trailing backslash was dropped too (`*\` matched everything).
        assert!(both("*\\", "dir\\"));
        assert!(!both("*\\", "dir"));
    }

    #[test]
    fn regression_rule_glob_took_a_star_for_a_literal_when_the_value_had_one() {
        // The rule matcher took the pattern's `*` for a literal when the value had one there.
        assert!(both("*a", "*ba"));
        assert!(both("?*", "**"));
    }

    #[test]
    fn literal_resolves_escapes_and_refuses_wildcards() {
        assert_eq!(Glob::new("get").literal().as_deref(), Some("get"));
        assert_eq!(Glob::new("a\\*").literal().as_deref(), Some("a*"));
        assert_eq!(Glob::new("a\\b").literal().as_deref(), Some("a\\b"));
        assert_eq!(Glob::new("a*").literal(), None);
        assert_eq!(Glob::new("a?").literal(), None);
    }

    #[test]
    fn escape_makes_any_text_literal() {
        for s in ["plain", "a*b", "what?", "C:\\dir\\*", "\\", "**??\\\\"] {
            let e = escape(s);
            assert_eq!(Glob::new(&e).literal().as_deref(), Some(s), "{e}");
            assert!(both(&e, s));
        }
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }
}

//! Making attacker-controlled log strings safe to show: control characters and escape
//! sequences become visible text (`\x1b`), spreadsheet formulas are neutralised.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Replaces every control character (C0, DEL, C1) with a visible escape: `\n`, `\t`, `\r`,
/// `\xHH` or `\u{HHHH}`. Text without control characters is returned as is.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 && is_unsafe(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Control characters, and the Unicode bidirectional overrides that reorder what a reader
/// sees (`U+202E` "Trojan Source").
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Neutralises a CSV cell a spreadsheet would run as a formula: cells starting with `=`,
/// `+`, `-`, `@`, tab or CR get a leading `'` (OWASP's advice).
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(escape_control("plain"), "plain");
        assert_eq!(escape_control("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape_control("l1\nl2\t"), "l1\\nl2\\t");
        assert_eq!(escape_control("x\u{9b}y"), "x\\x9by");
        assert_eq!(escape_control("\u{202e}evil"), "\\u{202e}evil");
    }

    #[test]
    fn neutralises_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("safe"), "safe");
        assert_eq!(csv_cell(""), "");
    }
}

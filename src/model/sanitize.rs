//! Making attacker-controlled log strings safe to show, at every output edge: control
//! characters (C0, DEL, C1), the bidirectional overrides that reorder what a reader sees and
//! the characters that show nothing (zero-width, direction marks, tags) become visible text, spreadsheet formulas are neutralised, and JSON escapes what a
//! terminal would otherwise interpret.
//!
//! One visible notation everywhere (tables, CSV, messages, Markdown, HTML, the workbench):
//! `\n`, `\t`, `\r`, `\xHH` for the other C0, DEL and C1 characters (`\x1b`, `\x7f`,
//! `\x9b`), `\u{HHHH}` for the bidi overrides and invisible characters (`\u{202e}`,
//! `\u{200b}`). The escape is for reading, not
//! for reversing: a log string that already holds the text `\x1b` looks the same.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// Words that name a secret when a key (or a plain-text `name=value`) holds them, in lower
/// case, matched anywhere in the name (`dbPassword`, `client_secret`, `AWS_ACCESS_KEY_ID`):
/// the credential keys of ConfigMaps, and where a rejected line's excerpt is cut.
pub const SECRET_KEY_WORDS: [&str; 11] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "private_key",
    "credential",
    "authorization",
];

/// Replaces every control character (C0, DEL, C1) and bidi override with a visible escape.
/// For one-line text: table cells, labels, the workbench. Text without them is returned as is.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    escape_except(s, &[])
}

/// Like [`escape_control`], keeping line breaks and tabs: for multi-line messages (errors on
/// stderr) and CSV cells, where a quoted cell may hold them.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_except(s, &['\n', '\t'])
}

fn escape_except<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    let unsafe_here = |c: char| is_unsafe(c) && !keep.contains(&c);
    if !s.chars().any(unsafe_here) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !unsafe_here(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Control characters, the Unicode bidirectional overrides and isolates that reorder what a
/// reader sees (`U+202A`–`U+202E`, `U+2066`–`U+2069`: "Trojan Source"), and the characters
/// that show nothing, so that `ad\u{200b}min` would read as `admin`: zero-width spaces and
/// joiners, direction marks, word joiners and invisible operators, the byte-order mark, soft
/// hyphens, Hangul fillers, variation selectors, interlinear annotation marks, tag
/// characters, line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// A CSV cell: control characters escaped as [`escape_text`] does, and a cell a spreadsheet
/// would run as a formula prefixed with `'` (OWASP's advice). A formula is a cell whose
/// first character after leading whitespace and quotes (`'`, `"`) is `=`, `+`, `-`, `@` or
/// their full-width forms `＝ ＋ － ＠`, or a cell starting with a tab or a line break.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let text = escape_text(s);
    if !is_formula(&text) {
        return text;
    }
    Cow::Owned(format!("'{text}"))
}

fn is_formula(s: &str) -> bool {
    if s.starts_with(['\t', '\r', '\n']) {
        return true;
    }
    s.chars()
        .find(|c| !c.is_whitespace() && !matches!(c, '\'' | '"'))
        .is_some_and(|c| {
            matches!(
                c,
                '=' | '+' | '-' | '@' | '\u{ff1d}' | '\u{ff0b}' | '\u{ff0d}' | '\u{ff20}'
            )
        })
}

/// A `serde_json` formatter that also escapes DEL, C1 and the bidi overrides as `\uXXXX`
/// (`serde_json` escapes only C0): JSON output stays valid, parses back to the same strings,
/// and nothing in it drives a terminal when it is printed.
struct Safe<F>(F);

macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name<W: ?Sized + io::Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.0.$name(w $(, $arg)*)
        })*
    };
}

impl<F: Formatter> Formatter for Safe<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json has escaped C0 already; nearly every fragment is ASCII without DEL.
        let bytes = fragment.as_bytes();
        if fragment.is_ascii() && memchr::memchr(0x7f, bytes).is_none() {
            return w.write_all(bytes);
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c) {
                w.write_all(&bytes[start..i])?;
                // Outside the basic plane (tag characters) as a surrogate pair, as JSON wants.
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{u:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        w.write_all(&bytes[start..])
    }

    // What PrettyFormatter overrides; every other method keeps the shared default.
    forward! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        begin_object_value();
        end_object_value();
    }
}

/// Writes `value` as compact JSON with [`Safe`] escaping.
pub fn json_to_writer<W: io::Write, T: Serialize + ?Sized>(
    w: W,
    value: &T,
) -> serde_json::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(
        w,
        Safe(CompactFormatter),
    ))
}

/// Writes `value` as pretty JSON (two-space indent) with [`Safe`] escaping.
pub fn json_to_writer_pretty<W: io::Write, T: Serialize + ?Sized>(
    w: W,
    value: &T,
) -> serde_json::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(
        w,
        Safe(PrettyFormatter::new()),
    ))
}

/// Compact JSON with [`Safe`] escaping, as a string.
pub fn json_to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    json_to_writer(&mut out, value)?;
    String::from_utf8(out).map_err(serde::ser::Error::custom)
}

/// Pretty JSON with [`Safe`] escaping, as a string.
pub fn json_to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    json_to_writer_pretty(&mut out, value)?;
    String::from_utf8(out).map_err(serde::ser::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(escape_control("plain"), "plain");
        assert_eq!(escape_control("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape_control("l1\nl2\t"), "l1\\nl2\\t");
        assert_eq!(escape_control("x\u{9b}y\x7f"), "x\\x9by\\x7f");
        assert_eq!(escape_control("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escape_control("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    /// `zw:ad\u{200b}min` was shown as `zw:admin`; a direction mark left residue on screen.
    #[test]
    fn regression_invisible_characters_were_shown_raw() {
        for (raw, shown) in [
            ("ad\u{200b}min", "ad\\u{200b}min"),
            ("a\u{200e}b\u{200f}", "a\\u{200e}b\\u{200f}"),
            ("\u{feff}x", "\\u{feff}x"),
            ("x\u{61c}", "x\\u{061c}"),
            ("ad\u{2060}min\u{ad}", "ad\\u{2060}min\\xad"),
            ("\u{3164}", "\\u{3164}"),
            ("adm\u{e0041}in", "adm\\u{e0041}in"),
            ("l1\u{2028}l2", "l1\\u{2028}l2"),
        ] {
            assert_eq!(escape_control(raw), shown);
            assert_eq!(csv_cell(raw), shown);
        }
        // Visible text of any script stays as it is.
        assert_eq!(escape_control("é ✓ 日本 ᄀ"), "é ✓ 日本 ᄀ");
        // JSON: escaped (a tag character as a surrogate pair) and parsed back the same.
        let v = serde_json::json!(["ad\u{200b}min", "t\u{e0041}", "\u{feff}"]);
        let text = json_to_string(&v).unwrap();
        assert_eq!(text, r#"["ad\u200bmin","t\udb40\udc41","\ufeff"]"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }

    #[test]
    fn text_keeps_line_breaks_and_tabs() {
        assert_eq!(escape_text("l1\nl2\tx"), "l1\nl2\tx");
        assert_eq!(escape_text("a\r\x1b]0;t\x07"), "a\\r\\x1b]0;t\\x07");
    }

    #[test]
    fn neutralises_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\nx"), "'\nx");
        assert_eq!(csv_cell("safe"), "safe");
        assert_eq!(csv_cell("a-b=c"), "a-b=c");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn formula_guard_looks_past_spaces_quotes_and_full_width_forms() {
        assert_eq!(csv_cell("  =1+1"), "'  =1+1");
        assert_eq!(csv_cell("\"=cmd\""), "'\"=cmd\"");
        assert_eq!(csv_cell("' @x"), "'' @x");
        assert_eq!(csv_cell("\u{3000}-x"), "'\u{3000}-x");
        for c in ['\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}'] {
            let cell = format!("{c}SUM(A1)");
            assert_eq!(csv_cell(&cell), format!("'{cell}"));
        }
        assert_eq!(csv_cell("\r=1"), "\\r=1", "CR is escaped, so no formula");
    }

    #[test]
    fn csv_cells_escape_control_characters() {
        assert_eq!(csv_cell("a\x1b]52;c;eA==\x07"), "a\\x1b]52;c;eA==\\x07");
        assert_eq!(csv_cell("\u{9b}31m\u{202e}"), "\\x9b31m\\u{202e}");
        assert_eq!(csv_cell("note\nline 2"), "note\nline 2");
    }

    #[test]
    fn json_escapes_c1_del_and_bidi_and_round_trips() {
        let s = "a\x1b]0;t\x07 \u{9b}1m \x7f \u{202e}x\u{2066}y é ✓ … ¢\u{a0}";
        let v = serde_json::json!({ "k\u{85}": [s] });
        for text in [
            json_to_string(&v).unwrap(),
            json_to_string_pretty(&v).unwrap(),
        ] {
            assert!(!text.chars().any(|c| c != '\n' && is_unsafe(c)), "{text:?}");
            assert!(
                text.contains("\\u009b") && text.contains("\\u202e"),
                "{text}"
            );
            assert!(
                text.contains("é ✓ … ¢\u{a0}"),
                "other characters stay as they are"
            );
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
        }
        assert_eq!(
            json_to_string_pretty(&v).unwrap(),
            serde_json::to_string_pretty(&v)
                .unwrap()
                .replace('\u{85}', "\\u0085")
                .replace('\u{9b}', "\\u009b")
                .replace('\x7f', "\\u007f")
                .replace('\u{202e}', "\\u202e")
                .replace('\u{2066}', "\\u2066"),
            "the same layout as serde_json's pretty printer"
        );
    }
}

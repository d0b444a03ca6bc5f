//! The one line editor of every prompt (filter, search, `:` command, tags, note, export file
//! name): a text with a cursor and the readline edits (Ctrl-A/E/U/W/K, ←/→, Home/End,
//! Alt-B/F, Delete and Backspace at the cursor), and the prompts' ↑/↓ history, kept across
//! runs in a file beside the index. Pure: keys arrive as [`Edit`]s (the runtime maps them),
//! no terminal types; reading and writing the history file is the runtime's.
//!
//! Written here rather than taken from `tui-input`: the edits are ~100 lines, the history and
//! the multi-line note are ours anyway, and this keeps the crossterm version ratatui selects
//! the only one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One edit of a line, from a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    /// Backspace: the character before the cursor.
    DeleteBack,
    /// Delete: the character under the cursor.
    DeleteForward,
    Left,
    Right,
    /// Home, Ctrl-A.
    Start,
    /// End, Ctrl-E.
    End,
    /// Alt-B, Ctrl-←.
    WordLeft,
    /// Alt-F, Ctrl-→.
    WordRight,
    /// Ctrl-U: everything before the cursor.
    KillToStart,
    /// Ctrl-K: everything from the cursor on.
    KillToEnd,
    /// Ctrl-W: the word before the cursor (and the blanks after it).
    KillWordBack,
}

/// A line being edited: its text and the cursor (a byte offset on a character boundary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: String,
    cursor: usize,
}

impl LineEditor {
    /// A line holding `text`, the cursor at its end.
    pub fn new(text: impl Into<String>) -> LineEditor {
        let text = text.into();
        LineEditor {
            cursor: text.len(),
            text,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, as a byte offset into [`LineEditor::text`].
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The text before and from the cursor (for drawing the cursor inside the line).
    pub fn split(&self) -> (&str, &str) {
        self.text.split_at(self.cursor)
    }

    /// Replaces the whole text, the cursor at its end.
    pub fn set(&mut self, text: impl Into<String>) {
        *self = LineEditor::new(text);
    }

    /// Applies an edit; says whether the text changed.
    pub fn apply(&mut self, edit: Edit) -> bool {
        let before = self.text.len();
        match edit {
            Edit::Insert(c) => {
                self.text.insert(self.cursor, c);
                self.cursor += c.len_utf8();
                return true;
            }
            Edit::DeleteBack => {
                let at = self.prev_char();
                self.text.replace_range(at..self.cursor, "");
                self.cursor = at;
            }
            Edit::DeleteForward => {
                let end = self.next_char();
                self.text.replace_range(self.cursor..end, "");
            }
            Edit::Left => self.cursor = self.prev_char(),
            Edit::Right => self.cursor = self.next_char(),
            Edit::Start => self.cursor = 0,
            Edit::End => self.cursor = self.text.len(),
            Edit::WordLeft => self.cursor = self.word_start(),
            Edit::WordRight => self.cursor = self.word_end(),
            Edit::KillToStart => {
                self.text.replace_range(..self.cursor, "");
                self.cursor = 0;
            }
            Edit::KillToEnd => self.text.truncate(self.cursor),
            Edit::KillWordBack => {
                let at = self.word_start();
                self.text.replace_range(at..self.cursor, "");
                self.cursor = at;
            }
        }
        self.text.len() != before
    }

    fn prev_char(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_char(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    /// The start of the word before the cursor (blanks before the cursor skipped first).
    fn word_start(&self) -> usize {
        let head = &self.text[..self.cursor];
        let trimmed = head.trim_end_matches(is_blank);
        trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| is_blank(*c))
            .map_or(0, |(i, c)| i + c.len_utf8())
    }

    /// The end of the word at or after the cursor.
    fn word_end(&self) -> usize {
        let tail = &self.text[self.cursor..];
        let skipped = tail.len() - tail.trim_start_matches(is_blank).len();
        let rest = &tail[skipped..];
        let word = rest.find(is_blank).unwrap_or(rest.len());
        self.cursor + skipped + word
    }
}

fn is_blank(c: char) -> bool {
    c.is_whitespace()
}

/// Lines kept per prompt.
const KEEP: usize = 200;

/// What each prompt was given before, oldest first, by prompt name (`filter`, `search`…):
/// the file `prompt-history.json` beside the index holds it between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(flatten)]
    lines: BTreeMap<String, Vec<String>>,
    /// Changed since it was last written.
    #[serde(skip)]
    dirty: bool,
}

/// Browsing a prompt's history: where in it, and the line typed before browsing began.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Browse {
    /// Lines back from the newest (0: not browsing).
    back: usize,
    draft: String,
}

impl History {
    /// Reads the history file's text; a damaged file gives an empty history (it is only a
    /// convenience, never worth refusing to start).
    pub fn parse(text: &str) -> History {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Whether it changed since [`History::written`].
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn written(&mut self) {
        self.dirty = false;
    }

    /// Remembers a line given to `prompt` (not a blank one, not the same twice in a row).
    pub fn push(&mut self, prompt: &str, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        let lines = self.lines.entry(prompt.to_owned()).or_default();
        if lines.last().is_some_and(|l| l == line) {
            return;
        }
        lines.push(line.to_owned());
        if lines.len() > KEEP {
            lines.drain(..lines.len() - KEEP);
        }
        self.dirty = true;
    }

    /// One step back (`older`) or forward in `prompt`'s history, replacing the editor's text.
    pub fn step(&self, prompt: &str, older: bool, browse: &mut Browse, line: &mut LineEditor) {
        let lines = self.lines.get(prompt).map_or(&[][..], Vec::as_slice);
        let back = if older {
            (browse.back + 1).min(lines.len())
        } else {
            browse.back.saturating_sub(1)
        };
        if back == browse.back {
            return;
        }
        if browse.back == 0 {
            line.text().clone_into(&mut browse.draft);
        }
        browse.back = back;
        match back {
            0 => line.set(browse.draft.clone()),
            n => line.set(lines[lines.len() - n].clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edited(text: &str, edits: &[Edit]) -> LineEditor {
        let mut l = LineEditor::new(text);
        for e in edits {
            l.apply(*e);
        }
        l
    }

    #[test]
    fn regression_ctrl_u_clears_a_prefilled_prompt_instead_of_appending() {
        // `f`, Ctrl-U, `ns:kube-system` gave `verb:create res:podsns:kube-system`.
        let mut l = edited("verb:create res:pods", &[Edit::KillToStart]);
        for c in "ns:kube-system".chars() {
            l.apply(Edit::Insert(c));
        }
        assert_eq!(l.text(), "ns:kube-system");
    }

    #[test]
    fn the_cursor_moves_and_edits_where_it_stands() {
        let l = edited("verb:get", &[Edit::Start, Edit::Insert('('), Edit::End]);
        assert_eq!((l.text(), l.cursor()), ("(verb:get", 9));
        let l = edited("aé b", &[Edit::Left, Edit::Left, Edit::DeleteBack]);
        assert_eq!(l.text(), "a b", "a multi-byte character is deleted whole");
        let l = edited("abc", &[Edit::Start, Edit::DeleteForward, Edit::Right]);
        assert_eq!((l.text(), l.split()), ("bc", ("b", "c")));
        let l = edited("abc", &[Edit::Left, Edit::KillToEnd]);
        assert_eq!(l.text(), "ab");
        let mut l = LineEditor::new("");
        assert!(!l.apply(Edit::DeleteBack), "nothing to delete at the start");
        assert!(!l.apply(Edit::Left));
    }

    #[test]
    fn words_are_killed_and_skipped_like_readline() {
        let l = edited("user:alice verb:get  ", &[Edit::KillWordBack]);
        assert_eq!(l.text(), "user:alice ");
        let l = edited("user:alice verb:get", &[Edit::WordLeft, Edit::WordLeft]);
        assert_eq!(l.cursor(), 0);
        let l = edited("a bc  de", &[Edit::Start, Edit::WordRight, Edit::WordRight]);
        assert_eq!(l.cursor(), 4);
        let l = edited("a bc", &[Edit::Start, Edit::WordRight, Edit::KillToStart]);
        assert_eq!(l.text(), " bc");
    }

    #[test]
    fn history_steps_back_and_returns_to_the_draft() {
        let mut h = History::default();
        h.push("filter", "verb:get");
        h.push("filter", "ns:shop");
        h.push("filter", "ns:shop");
        h.push("filter", "  ");
        h.push("search", "bash");
        assert!(h.is_dirty());
        let (mut b, mut l) = (Browse::default(), LineEditor::new("dra"));
        h.step("filter", true, &mut b, &mut l);
        assert_eq!(l.text(), "ns:shop");
        h.step("filter", true, &mut b, &mut l);
        h.step("filter", true, &mut b, &mut l);
        assert_eq!(l.text(), "verb:get", "stops at the oldest");
        h.step("filter", false, &mut b, &mut l);
        h.step("filter", false, &mut b, &mut l);
        assert_eq!(l.text(), "dra", "back to what was being typed");
        let again = History::parse(&h.to_json());
        assert_eq!(again.lines, h.lines);
        assert_eq!(History::parse("{not json"), History::default());
    }
}

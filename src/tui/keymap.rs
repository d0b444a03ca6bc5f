//! Key bindings as data: `assets/keymap.toml`, overridable by the user's
//! `$XDG_CONFIG_HOME/kubesift/keymap.toml`. The help overlay is generated from it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

const DEFAULT: &str = include_str!("../../assets/keymap.toml");

/// Where a binding applies.
pub const CONTEXTS: &[&str] = &[
    "global",
    "incidents",
    "detections",
    "events",
    "detail",
    "pivots",
    "timeline",
    "case",
    "coverage",
    "sessions",
];

/// A key with its modifiers, normalized (shift folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(e: &KeyEvent) -> Key {
        let code = match e.code {
            KeyCode::BackTab => KeyCode::BackTab,
            KeyCode::Tab if e.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            other => other,
        };
        Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Parses `G`, `ctrl-d`, `pagedown`, `space`…
    pub fn parse(s: &str) -> Option<Key> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().ok()?)
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next()?),
            _ => return None,
        };
        Some(Key { code, ctrl, alt })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "enter".into(),
            KeyCode::Esc => "esc".into(),
            KeyCode::Tab => "tab".into(),
            KeyCode::BackTab => "shift-tab".into(),
            KeyCode::Backspace => "backspace".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "home".into(),
            KeyCode::End => "end".into(),
            KeyCode::PageUp => "pgup".into(),
            KeyCode::PageDown => "pgdn".into(),
            KeyCode::F(n) => format!("f{n}"),
            other => format!("{other:?}").to_lowercase(),
        };
        match (self.ctrl, self.alt) {
            (true, _) => format!("ctrl-{base}"),
            (_, true) => format!("alt-{base}"),
            _ => base,
        }
    }
}

/// Bindings per context.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: HashMap<(String, Key), Action>,
}

/// A keymap file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct KeymapError {
    pub file: String,
    pub message: String,
}

type RawMap = BTreeMap<String, BTreeMap<String, String>>;

impl Keymap {
    /// The built-in keymap, then the user's overrides when the file exists.
    pub fn load() -> Result<Keymap, KeymapError> {
        let mut km = Keymap::parse("assets/keymap.toml", DEFAULT)?;
        if let Some(path) = user_keymap_path()
            && path.exists()
        {
            let text = std::fs::read_to_string(&path).map_err(|e| KeymapError {
                file: path.display().to_string(),
                message: e.to_string(),
            })?;
            km.apply(&path.display().to_string(), &text)?;
        }
        Ok(km)
    }

    pub fn builtin() -> Keymap {
        Keymap::parse("assets/keymap.toml", DEFAULT).unwrap_or(Keymap {
            bindings: HashMap::new(),
        })
    }

    pub fn parse(file: &str, text: &str) -> Result<Keymap, KeymapError> {
        let mut km = Keymap {
            bindings: HashMap::new(),
        };
        km.apply(file, text)?;
        Ok(km)
    }

    /// Adds (or, with "none", removes) the bindings of a file.
    pub fn apply(&mut self, file: &str, text: &str) -> Result<(), KeymapError> {
        let err = |message: String| KeymapError {
            file: file.to_owned(),
            message,
        };
        let raw: RawMap = toml::from_str(text).map_err(|e| err(e.to_string().trim().to_owned()))?;
        for (context, keys) in raw {
            if !CONTEXTS.contains(&context.as_str()) {
                return Err(err(format!(
                    "unknown context `[{context}]` (one of {})",
                    CONTEXTS.join(", ")
                )));
            }
            for (key, action) in keys {
                let k = Key::parse(&key).ok_or_else(|| {
                    err(format!(
                        "[{context}] `{key}`: not a key (e.g. `G`, `ctrl-d`, `pagedown`)"
                    ))
                })?;
                if action == "none" {
                    self.bindings.remove(&(context.clone(), k));
                    continue;
                }
                let a: Action = serde_json::from_value(serde_json::Value::String(action.clone()))
                    .map_err(|_| {
                    err(format!("[{context}] `{key}`: unknown action `{action}`"))
                })?;
                self.bindings.insert((context.clone(), k), a);
            }
        }
        Ok(())
    }

    /// The action of a key in a view (the view's binding, else the global one).
    pub fn action(&self, view: &str, key: Key) -> Option<Action> {
        self.bindings
            .get(&(view.to_owned(), key))
            .or_else(|| self.bindings.get(&("global".to_owned(), key)))
            .cloned()
    }

    /// (keys, description) rows of a context, for the help overlay, keys of one action joined.
    pub fn help_rows(&self, context: &str) -> Vec<(String, &'static str)> {
        let mut by_action: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for ((ctx, key), action) in &self.bindings {
            if ctx == context {
                by_action
                    .entry(action.describe())
                    .or_default()
                    .push(key.label());
            }
        }
        let mut rows: Vec<(String, &'static str)> = by_action
            .into_iter()
            .map(|(desc, mut keys)| {
                keys.sort_by_key(|k| (k.chars().count(), k.clone()));
                (keys.join(" "), desc)
            })
            .collect();
        rows.sort_by(|a, b| a.1.cmp(b.1));
        rows
    }

    /// The actions bound in a context with their keys (joined), by description: the help.
    pub fn bindings_of(&self, context: &str) -> Vec<(Action, String)> {
        let mut by_action: Vec<(Action, Vec<String>)> = Vec::new();
        for ((ctx, key), action) in &self.bindings {
            if ctx != context || action.describe().is_empty() {
                continue;
            }
            match by_action.iter_mut().find(|(a, _)| a == action) {
                Some((_, keys)) => keys.push(key.label()),
                None => by_action.push((action.clone(), vec![key.label()])),
            }
        }
        by_action.sort_by(|a, b| a.0.describe().cmp(b.0.describe()));
        by_action
            .into_iter()
            .map(|(a, mut keys)| {
                keys.sort_by_key(|k| (k.chars().count(), k.clone()));
                (a, keys.join(" "))
            })
            .collect()
    }

    /// The first key bound to an action in a view (for hints), e.g. `?`.
    pub fn key_for(&self, view: &str, action: &Action) -> Option<String> {
        let mut keys: Vec<String> = self
            .bindings
            .iter()
            // A global key the view binds to something else does not do it there.
            .filter(|((ctx, k), a)| {
                (ctx == view || ctx == "global")
                    && *a == action
                    && self.action(view, *k).as_ref() == Some(action)
            })
            .map(|((_, k), _)| k.label())
            .collect();
        keys.sort_by_key(|k| (k.chars().count(), k.clone()));
        keys.into_iter().next()
    }
}

fn user_keymap_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("kubesift").join("keymap.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys() {
        assert_eq!(Key::parse("G").unwrap().code, KeyCode::Char('G'));
        let k = Key::parse("ctrl-d").unwrap();
        assert!(k.ctrl && k.code == KeyCode::Char('d'));
        assert_eq!(Key::parse("pagedown").unwrap().code, KeyCode::PageDown);
        assert_eq!(Key::parse("f5").unwrap().code, KeyCode::F(5));
        assert!(Key::parse("nonsense").is_none());
    }

    #[test]
    fn builtin_keymap_binds_the_conventions() {
        let km = Keymap::parse("default", DEFAULT).unwrap();
        let key = |s: &str| Key::parse(s).unwrap();
        assert_eq!(km.action("events", key("j")), Some(Action::Down));
        assert_eq!(km.action("events", key("G")), Some(Action::Bottom));
        assert_eq!(
            km.action("events", key("ctrl-d")),
            Some(Action::HalfPageDown)
        );
        assert_eq!(km.action("detail", key("space")), Some(Action::ToggleFold));
        assert_eq!(km.action("detections", key("space")), None);
        assert_eq!(km.action("events", key("?")), Some(Action::Help));
    }

    #[test]
    fn overrides_and_errors() {
        let mut km = Keymap::parse("default", DEFAULT).unwrap();
        km.apply(
            "user.toml",
            "[events]\n\"J\" = \"down\"\n\"j\" = \"none\"\n",
        )
        .unwrap();
        let key = |s: &str| Key::parse(s).unwrap();
        assert_eq!(km.action("events", key("J")), Some(Action::Down));
        // The view's `j` is unbound but the global one still applies.
        assert_eq!(km.action("events", key("j")), Some(Action::Down));
        let e = km
            .apply("user.toml", "[events]\n\"j\" = \"fly\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("user.toml") && e.contains("unknown action `fly`"),
            "{e}"
        );
        let e = km
            .apply("user.toml", "[nowhere]\n\"j\" = \"down\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown context"), "{e}");
    }

    #[test]
    fn key_events_fold_shift() {
        let e = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&e), Key::parse("G").unwrap());
        let e = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&e).code, KeyCode::BackTab);
    }
}

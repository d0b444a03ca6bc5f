//! The architecture ARCHITECTURE.md describes, read from the source: no source file over 900
//! lines, no two source files importing each other in a circle, and the layers' rules
//! (`index` never names `ingest`; the workbench's pure state never names its worker thread;
//! nothing below `session` names `session`, `tui` or `cli`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 900;

/// Every `.rs` file under `src/` but test modules (`tests.rs`), by module path (`ingest::split`, `tui`; empty for the crate root).
fn modules() -> BTreeMap<String, PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                let rel = path.strip_prefix(&root).unwrap().with_extension("");
                let mut parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                out.insert(parts.join("::"), path);
            }
        }
    }
    out
}

/// The code of a file without its test module (tests may reach anywhere) and without
/// comments (a doc link is no import).
fn non_test_source(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let code = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text,
    };
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a source names through `crate::`, `super::` or `self::`, as module paths
/// (groups `a::{b, c::d}` expanded), relative to the file's module `me`.
fn named_paths(src: &str, me: &[String], is_mod_file: bool) -> Vec<Vec<String>> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &bytes[i..];
        let start = if !boundary {
            None
        } else if rest.starts_with(b"crate::") {
            Some((Vec::new(), "crate::".len()))
        } else if rest.starts_with(b"self::") {
            let base = if is_mod_file {
                me.to_vec()
            } else {
                me[..me.len().saturating_sub(1)].to_vec()
            };
            Some((base, "self::".len()))
        } else if rest.starts_with(b"super::") {
            let mut n = 0;
            let mut len = 0;
            while rest[len..].starts_with(b"super::") {
                n += 1;
                len += "super::".len();
            }
            // `super` of a/b.rs and of a/b/mod.rs is module a.
            let mut base = me[..me.len().saturating_sub(1)].to_vec();
            for _ in 1..n {
                base.pop();
            }
            Some((base, len))
        } else {
            None
        };
        match start {
            Some((base, len)) => {
                let (paths, used) = parse_tree(&src[i + len..]);
                for p in paths {
                    let mut full = base.clone();
                    full.extend(p);
                    out.push(full);
                }
                i += len + used.max(1);
            }
            None => i += 1,
        }
    }
    out
}

/// A use tree at the start of `s`: `a::b`, `a::{b, c::{d}}`. Its paths and the bytes read.
fn parse_tree(s: &str) -> (Vec<Vec<String>>, usize) {
    let bytes = s.as_bytes();
    let mut prefix = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            prefix.push(s[start..i].to_owned());
        }
        let group = if s[i..].starts_with("::{") {
            Some(3)
        } else if i == 0 && s.starts_with('{') {
            Some(1)
        } else {
            None
        };
        if let Some(skip) = group {
            i += skip;
            let mut paths = Vec::new();
            loop {
                while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    i += 1;
                    break;
                }
                let (inner, used) = parse_tree(&s[i..]);
                for p in inner {
                    let mut full = prefix.clone();
                    full.extend(p);
                    paths.push(full);
                }
                i += used.max(1);
                // Skip an `as alias`.
                while i < bytes.len() && !matches!(bytes[i], b',' | b'}') {
                    i += 1;
                }
            }
            return (paths, i);
        }
        if s[i..].starts_with("::") {
            i += 2;
            continue;
        }
        return (vec![prefix], i);
    }
}

/// Module → the other modules (files) it names outside its tests. A child naming an
/// ancestor (its `mod.rs`) is not an edge: a module file declares its children.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let resolve = |path: &[String]| -> Option<String> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].join("::"))
            .find(|m| mods.contains_key(m))
    };
    let mut edges = BTreeMap::new();
    for (m, file) in &mods {
        let me: Vec<String> = if m.is_empty() {
            Vec::new()
        } else {
            m.split("::").map(str::to_owned).collect()
        };
        let name = file.file_name().unwrap().to_string_lossy();
        let is_mod_file = matches!(name.as_ref(), "mod.rs" | "lib.rs" | "main.rs");
        let mut to = BTreeSet::new();
        for path in named_paths(&non_test_source(file), &me, is_mod_file) {
            if let Some(r) = resolve(&path)
                && r != *m
                && !r.is_empty()
                && !m.starts_with(&format!("{r}::"))
            {
                to.insert(r);
            }
        }
        edges.insert(m.clone(), to);
    }
    edges
}

/// The strongly connected components with more than one module (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> T<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on.insert(v);
            for w in &self.edges[v] {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    comp.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

#[test]
fn no_source_file_is_over_900_lines() {
    // Every file, test modules included.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let long: Vec<String> = files
        .iter()
        .map(|p| (p, std::fs::read_to_string(p).unwrap().lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(p, n)| format!("{}: {n} lines", p.display()))
        .collect();
    assert!(long.is_empty(), "split along a seam: {long:?}");
}

#[test]
fn no_two_source_files_import_each_other_in_a_circle() {
    let found = circles(&import_graph());
    assert!(found.is_empty(), "import circles: {found:?}");
}

#[test]
fn the_circle_finder_finds_circles() {
    // The check above could pass by finding nothing: it finds a planted circle.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.insert("a".into(), ["b".to_owned()].into());
    edges.insert("b".into(), ["c".to_owned()].into());
    edges.insert("c".into(), ["a".to_owned()].into());
    edges.insert("d".into(), ["a".to_owned()].into());
    assert_eq!(circles(&edges), vec![vec!["a", "b", "c"]]);
    let me = ["x".to_owned(), "y".to_owned()];
    let paths = named_paths(
        "use super::{z::{A, B as C}, w};\nuse crate::q::r;",
        &me,
        false,
    );
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(joined, ["x::z::A", "x::z::B", "x::w", "q::r"]);
}

// What each top-level module may not name (ARCHITECTURE.md, "Modules").
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "model",
        &[
            "fsutil",
            "query",
            "detect",
            "case",
            "index",
            "incidents",
            "story",
            "ingest",
            "export",
            "session",
            "tui",
            "cli",
        ],
    ),
    (
        "query",
        &[
            "detect",
            "case",
            "index",
            "incidents",
            "story",
            "ingest",
            "export",
            "session",
            "tui",
            "cli",
        ],
    ),
    (
        "detect",
        &[
            "case",
            "index",
            "incidents",
            "story",
            "ingest",
            "export",
            "session",
            "tui",
            "cli",
        ],
    ),
    (
        "case",
        &[
            "index",
            "incidents",
            "story",
            "ingest",
            "export",
            "session",
            "tui",
            "cli",
        ],
    ),
    (
        "index",
        &[
            "incidents",
            "story",
            "ingest",
            "export",
            "session",
            "tui",
            "cli",
        ],
    ),
    (
        "incidents",
        &["story", "ingest", "export", "session", "tui", "cli"],
    ),
    (
        "story",
        &["incidents", "ingest", "export", "session", "tui", "cli"],
    ),
    (
        "ingest",
        &["incidents", "story", "export", "session", "tui", "cli"],
    ),
    ("export", &["story", "ingest", "session", "tui", "cli"]),
    ("session", &["tui", "cli"]),
    ("tui", &["cli"]),
];

#[test]
fn lower_layers_never_name_higher_ones() {
    let edges = import_graph();
    let layer = |m: &str| m.split("::").next().unwrap_or_default().to_owned();
    let mut wrong = Vec::new();
    for (from, to) in &edges {
        for (low, banned) in FORBIDDEN {
            if layer(from) == *low {
                wrong.extend(
                    to.iter()
                        .filter(|t| banned.contains(&layer(t).as_str()))
                        .map(|t| format!("{from} → {t}")),
                );
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

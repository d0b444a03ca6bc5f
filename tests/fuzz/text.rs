//! The query target (random, mutated and deeply nested queries: parsed, explained, and run
//! on an index of the seed corpus) and the file target (case files: parsed, changed, saved
//! and parsed again; keymaps: parsed and listed).

use kubesift::fuzzing::case::{self, CaseOp, EventRef};
use kubesift::fuzzing::index::reader::TimeOrder;
use kubesift::fuzzing::index::{IndexDir, IndexReader};
use kubesift::model::Micros;
use kubesift::model::fields::FIELDS;
use kubesift::model::sanitize::is_unsafe;
use kubesift::query::{self, TimeSpec};
use kubesift::tui::keymap::{CONTEXTS, Key, Keymap};

use crate::corpus::Corpus;
use crate::driver::{Failure, Input, Target};
use crate::mutate;

pub struct Queries {
    corpus: Corpus,
    /// An index of the seed corpus, built at the first case.
    index: Option<(tempfile::TempDir, IndexReader)>,
}

const WORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "and",
    "or",
    "not",
    "&&",
    "||",
    "!",
    "-",
    "(",
    ")",
    "(",
    ")",
    "*",
    "?",
    "\"",
    ":",
    ">",
    ">=",
    "<",
    "<=",
    "[",
    "]",
    "{",
    "}",
    "TO",
    "to",
    "4xx",
    "5XX",
    "1000",
    "-5",
    "2h",
    "90d",
    "1y",
    "0s",
    "2026-03-14",
    "2026-03-14T10:00:00Z",
    "9999-12-31T23:59:59Z",
    "10.0.0.0/8",
    "::1",
    "fe80::1%eth0",
    "1.2.3.4/33",
    "300.1.1.1",
    "web-*",
    "*a*b*",
    "??",
    "system:serviceaccount:shop:web",
    "é",
    "\u{202e}",
    "\u{1b}[2J",
    "\\",
    "\\\"",
    "''",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "0",
    "9223372036854775807s",
    "2562047788015215h",
    "15250284452w",
    "0001-01-01",
    "2262-04-11T23:47:16.854775807Z",
    "2024-02-30",
    "2024-01-01T00:00:60Z",
    "+14:00",
    "now",
    "NOW",
];

impl Target for Queries {
    const NAME: &'static str = "query";
    const CASES: u64 = 3000;
    const CASE_SCALE: f64 = 1.6;
    const CAP_SECS: f64 = 20.0;
    const SECS_SHARE: f64 = 0.25;
    const MEMORY_LIMIT: usize = 256 << 20;

    fn new(corpus: &Corpus) -> Self {
        Queries {
            corpus: corpus.clone(),
            index: None,
        }
    }

    fn generate(&self, _case: u64, rng: &mut fastrand::Rng) -> Input {
        let q = match rng.u8(0..100) {
            0..35 => {
                let seed = rng
                    .choice(&self.corpus.queries)
                    .cloned()
                    .unwrap_or_default();
                let mut b = seed.into_bytes();
                for _ in 0..rng.usize(1..=3) {
                    b = mutate::bytes(rng, &self.corpus, b);
                }
                String::from_utf8_lossy(&b).into_owned()
            }
            35..80 => grammar(rng),
            80..92 => deep(rng),
            _ => {
                let a = rng
                    .choice(&self.corpus.queries)
                    .cloned()
                    .unwrap_or_default();
                let b = rng
                    .choice(&self.corpus.queries)
                    .cloned()
                    .unwrap_or_default();
                let cuts: Vec<usize> = (0..=a.len()).filter(|i| a.is_char_boundary(*i)).collect();
                let cut = rng.choice(&cuts).copied().unwrap_or(0);
                format!("{}{b}", &a[..cut])
            }
        };
        Input::one("query", q)
    }

    fn check(&mut self, input: &Input) -> Result<(), Failure> {
        let q = String::from_utf8_lossy(&input.files[0].1).into_owned();
        for word in q.split_whitespace().take(64) {
            let _ = TimeSpec::parse(word);
            let _ = query::parse_duration(word);
            let name = word.split(':').next().unwrap_or_default();
            let _ = query::fields::lookup(name);
            let _ = query::fields::suggest(name);
        }
        match query::parse(&q) {
            Ok(expr) => {
                let reader = self.reader();
                let _ = expr.is_relative();
                let n = reader
                    .count(&expr)
                    .map_err(|e| Failure::new("query-translate", format!("count failed: {e}")))?;
                let hits = reader
                    .search(&expr, 5, 0, TimeOrder::Newest)
                    .map_err(|e| Failure::new("query-translate", format!("search failed: {e}")))?;
                if hits.len() as u64 > n {
                    return Err(Failure::new(
                        "query-count",
                        format!("{} hits but a count of {n}", hits.len()),
                    ));
                }
                Ok(())
            }
            Err(e) => {
                let shown = e.explain(&q);
                if shown.chars().any(|c| c != '\n' && is_unsafe(c)) {
                    return Err(Failure::new("query-error-unsafe", format!("{shown:?}")));
                }
                Ok(())
            }
        }
    }
}

impl Queries {
    fn reader(&mut self) -> &IndexReader {
        let corpus = &self.corpus;
        &self.index.get_or_insert_with(|| seed_index(corpus)).1
    }
}

/// An index of the unmutated seed inputs.
fn seed_index(corpus: &Corpus) -> (tempfile::TempDir, IndexReader) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    for seed in &corpus.inputs {
        let path = input.join(seed.ingest_path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &seed.bytes).unwrap();
    }
    let idx = IndexDir::new(dir.path().join("idx"));
    crate::ingest::ingest_paths(
        &idx,
        &[input],
        &kubesift::fuzzing::ingest::IngestOptions::default(),
    )
    .unwrap();
    let reader = IndexReader::open(&idx, kubesift::session::decode_stored).unwrap();
    (dir, reader)
}

/// A query from the grammar's pieces: fields, operators, values, parentheses.
fn grammar(rng: &mut fastrand::Rng) -> String {
    let mut out = String::new();
    for _ in 0..rng.usize(1..12) {
        if rng.bool()
            && let Some(f) = rng.choice(FIELDS)
        {
            let name = if rng.bool() {
                f.name
            } else {
                rng.choice(f.aliases).copied().unwrap_or(f.name)
            };
            out.push_str(name);
            out.push(':');
        }
        let w = rng.choice(WORDS).copied().unwrap_or("x");
        out.push_str(w);
        if rng.u8(0..4) > 0 {
            out.push(' ');
        }
    }
    out
}

/// Nesting around the parser's limit: `(`×N, `NOT `×N, `-`×N and mixes.
fn deep(rng: &mut fastrand::Rng) -> String {
    let max = query::MAX_DEPTH;
    let n = *rng
        .choice(&[max - 1, max, max + 1, 2 * max, 500, 10_000, 100_000])
        .unwrap_or(&500);
    let unit = rng
        .choice(["(", "NOT ", "-", "!", "(NOT ", "( ", "!("])
        .unwrap_or("(");
    let mut q = unit.repeat(n);
    q.push_str("verb:get");
    if rng.bool() {
        q.push_str(&")".repeat(n));
    }
    q
}

pub struct Files {
    corpus: Corpus,
}

const KEYS: &[&str] = &[
    "ctrl-",
    "alt-",
    "ctrl-alt-x",
    "alt-ctrl-",
    "f0",
    "f12",
    "f13",
    "f255",
    "f256",
    "f99999999999",
    "",
    " ",
    "space",
    "shift-tab",
    "backtab",
    "é",
    "\u{1b}",
    "ctrl-ctrl-ctrl-a",
    "pagedown",
    "\"",
    "\\",
    "none",
];

impl Target for Files {
    const NAME: &'static str = "files";
    const CASES: u64 = 2000;
    const CASE_SCALE: f64 = 1.0;
    const CAP_SECS: f64 = 20.0;
    const SECS_SHARE: f64 = 0.25;
    const MEMORY_LIMIT: usize = 256 << 20;

    fn new(corpus: &Corpus) -> Self {
        Files {
            corpus: corpus.clone(),
        }
    }

    fn generate(&self, _case: u64, rng: &mut fastrand::Rng) -> Input {
        let c = &self.corpus;
        if rng.u8(0..100) < 55 {
            let seed = rng.choice(&c.cases).cloned().unwrap_or_default();
            let data = match rng.u8(0..10) {
                0..5 => {
                    let pretty = rng.bool();
                    serde_json::from_slice(&seed)
                        .map(|v| mutate::json_value(rng, c, v, pretty))
                        .unwrap_or(seed)
                }
                5 => deep_filter_case(rng),
                _ => mutate::bytes(rng, c, seed),
            };
            return Input::one("case.json", data);
        }
        let seed = rng.choice(&c.keymaps).cloned().unwrap_or_default();
        let mut text = seed.into_bytes();
        for _ in 0..rng.usize(1..=3) {
            text = match rng.u8(0..10) {
                0..4 => mutate::bytes(rng, c, text),
                4..7 => {
                    let k = rng.choice(KEYS).copied().unwrap_or("");
                    let a = rng
                        .choice(["quit", "none", "no-such-action", "", "\u{202e}"])
                        .unwrap_or("");
                    let ctx = if rng.u8(0..8) == 0 {
                        "nowhere"
                    } else {
                        rng.choice(CONTEXTS).copied().unwrap_or("global")
                    };
                    let mut t = text;
                    t.extend(format!("\n[{ctx}]\n{k:?} = {a:?}\n").bytes());
                    t
                }
                7 => {
                    let n = *rng.choice(&[10usize, 100, 1000, 100_000]).unwrap_or(&100);
                    let mut t = text;
                    t.extend(format!("\nx = {}1{}\n", "[".repeat(n), "]".repeat(n)).bytes());
                    t
                }
                8 => {
                    let n = *rng.choice(&[10usize, 100, 1000, 100_000]).unwrap_or(&100);
                    let mut t = text;
                    t.extend(format!("\ny = {}1{}\n", "{a=".repeat(n), "}".repeat(n)).bytes());
                    t
                }
                _ => {
                    let line = String::from_utf8_lossy(&mutate::line_mutation(
                        rng,
                        c,
                        b"\"g\" = \"top\"".to_vec(),
                    ))
                    .into_owned();
                    let mut t = text;
                    t.extend(format!("\n[global]\n{line}\n").bytes());
                    t
                }
            };
        }
        Input::one("keymap.toml", text)
    }

    fn check(&mut self, input: &Input) -> Result<(), Failure> {
        let (name, bytes) = &input.files[0];
        if name == "keymap.toml" {
            let text = String::from_utf8_lossy(bytes);
            for line in text.lines() {
                let k = line
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .trim_matches('"');
                let _ = Key::parse(k).map(|k| k.label());
            }
            if let Ok(km) = Keymap::parse("keymap.toml", &text) {
                for ctx in CONTEXTS {
                    let _ = km.help_rows(ctx);
                }
            }
            return Ok(());
        }
        let Ok(mut case) = case::parse(bytes) else {
            return Ok(());
        };
        for query in case.filters.values() {
            let _ = query::parse(query);
        }
        let _ = case.timeline();
        let ids: Vec<String> = case.events.keys().cloned().collect();
        let now = Micros(1_773_482_400_000_000);
        for (i, id) in (0i64..).zip(ids.iter().take(8)) {
            let ev = EventRef {
                audit_id: id.clone(),
                time: Some(Micros(i * 1_000_000)),
                summary: id.chars().rev().collect(),
            };
            let tags = case::parse_tags(id);
            let op = match i % 5 {
                0 => CaseOp::AddTags(ev, tags),
                1 => CaseOp::RemoveTags(id.clone(), tags),
                2 => CaseOp::SetNote(ev, id.repeat(3)),
                3 => CaseOp::Toggle(ev),
                _ => CaseOp::SaveFilter {
                    name: id.clone(),
                    query: id.clone(),
                },
            };
            let _ = case.apply(op, now);
        }
        let text = serde_json::to_string_pretty(&case).unwrap();
        match case::parse(text.as_bytes()) {
            Ok(again) if again == case => Ok(()),
            Ok(_) => Err(Failure::new(
                "case-round-trip",
                "a saved case parses to a different case",
            )),
            Err(e) => Err(Failure::new(
                "case-round-trip",
                format!("a saved case does not parse: {e}"),
            )),
        }
    }
}

/// A case whose saved filter nests deeper than the query parser allows.
fn deep_filter_case(rng: &mut fastrand::Rng) -> Vec<u8> {
    let q = deep(rng);
    serde_json::to_vec(&serde_json::json!({
        "version": 1,
        "filters": {"deep": q},
        "events": {"x": {"time": "9999-12-31T23:59:59Z", "tags": [q.clone()], "note": q}}
    }))
    .unwrap()
}

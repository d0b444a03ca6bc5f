//! The ingest target: mutated inputs indexed through the real pipeline (reader, parser
//! threads, sequencer, index) into a fresh index, and what the run reports checked.
//!
//! Two kinds of inputs. *Line files* (`lines/…`) hold one record per line — seed lines of
//! every line-oriented format, some mutated (any mutation that keeps a line one record) — so
//! that every line must be accounted for exactly: per file, records + rejected + skipped =
//! the lines that are not blank. *Documents* (`doc/…`) are whole seeds mutated any way
//! (wrappers, nesting, gzip in its forms): the run must succeed and nothing may vanish
//! unreported. Cases 0–2 are gzip bombs and a huge line, bounded by the memory limit.
//! For both: records = added + merged, the index holds the events added, every stored record
//! loads and decodes again, and the rejects stored stay bounded.

use std::path::{Path, PathBuf};

use kubesift::detect::Finding;
use kubesift::fuzzing::case::Case;
use kubesift::fuzzing::export::{self, ExportFormat, ExportSpec};
use kubesift::fuzzing::index::reader::TimeOrder;
use kubesift::fuzzing::index::{IndexDir, IndexReader};
use kubesift::fuzzing::ingest::formats::cri;
use kubesift::fuzzing::ingest::split;
use kubesift::fuzzing::ingest::{self, IngestOptions, IngestSummary, Progress, Reject};
use kubesift::model::sanitize::is_unsafe;
use kubesift::query::Expr;
use serde_json::Value;

use crate::corpus::{Corpus, gunzip, is_gzip};
use crate::driver::{Failure, Input, Target};
use crate::mutate;

pub struct Ingest {
    corpus: Corpus,
}

/// Rejects stored for one run: more than this is amplification (a small gzip of `{}` lines
/// must not fill the disk).
const MAX_REJECTS_STORED: u64 = 32 << 20;

impl Target for Ingest {
    const NAME: &'static str = "ingest";
    const CASES: u64 = 250;
    const CASE_SCALE: f64 = 0.05;
    const CAP_SECS: f64 = 50.0;
    const SECS_SHARE: f64 = 1.0;
    const MEMORY_LIMIT: usize = 1 << 30;

    fn new(corpus: &Corpus) -> Self {
        Ingest {
            corpus: corpus.clone(),
        }
    }

    fn generate(&self, case: u64, rng: &mut fastrand::Rng) -> Input {
        if let Some(bomb) = bomb(case) {
            return bomb;
        }
        let mut input = Input::default();
        let n = rng.usize(1..=5);
        for i in 0..n {
            let (name, data) = if rng.u8(0..100) < 70 {
                (format!("lines/{i}.log"), self.line_file(rng))
            } else {
                let seed = rng.choice(&self.corpus.inputs).unwrap();
                let data = mutate::document(rng, &self.corpus, seed.plain.clone());
                (format!("doc/{i}/{}", seed.ingest_path()), data)
            };
            let data = if rng.u8(0..100) < 15 {
                mutate::gzip(&data)
            } else {
                data
            };
            input.files.push((name, data));
        }
        // Options ride along as an empty marker file: a second run, small records, checkpoints.
        let opts = format!(
            "opts/{}-{}-{}",
            rng.u8(0..100) < 15,
            rng.u8(0..100) < 10,
            rng.u8(0..100) < 10
        );
        input.files.push((opts, Vec::new()));
        input
    }

    fn check(&mut self, input: &Input) -> Result<(), Failure> {
        let dir = scratch_dir();
        let files: Vec<&(String, Vec<u8>)> = input
            .files
            .iter()
            .filter(|(n, _)| !n.starts_with("opts/"))
            .collect();
        let flags: Vec<bool> = input
            .files
            .iter()
            .find_map(|(n, _)| n.strip_prefix("opts/"))
            .map(|o| o.split('-').map(|f| f == "true").collect())
            .unwrap_or_default();
        let flag = |i: usize| flags.get(i).copied().unwrap_or(false);
        let mut opts = IngestOptions {
            workers: 2,
            heap_bytes: 64 << 20,
            ..IngestOptions::default()
        };
        if flag(1) {
            opts.max_record_bytes = 4096;
        }
        if flag(2) {
            opts.commit_every_bytes = 2048;
        }
        let idx = IndexDir::new(dir.path().join("idx"));
        // A second run adds the later files to what the first committed.
        let split = if flag(0) && files.len() > 1 {
            1
        } else {
            files.len()
        };
        let mut runs = Vec::new();
        for (k, part) in [&files[..split], &files[split..]].iter().enumerate() {
            if part.is_empty() {
                continue;
            }
            let root = dir.path().join(format!("in{k}"));
            for (name, bytes) in *part {
                let path = root.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, bytes).unwrap();
            }
            let summary = ingest_paths(&idx, &[root], &opts)
                .map_err(|e| Failure::new("ingest-failed", format!("the run failed: {e}")))?;
            check_summary(&summary)?;
            runs.push(summary);
        }
        let reader = IndexReader::open(&idx, kubesift::session::decode_stored)
            .map_err(|e| Failure::new("index-unreadable", e.to_string()))?;
        let plains: Vec<(&str, Vec<u8>)> = files
            .iter()
            .map(|(n, b)| (n.as_str(), if is_gzip(b) { gunzip(b) } else { b.clone() }))
            .collect();
        check_index(&reader, &idx, &plains, &runs)?;
        if input.files.len() % 3 == 0 {
            let (findings, _) = kubesift::Session::open(&idx)
                .map_err(anyhow::Error::from)
                .and_then(|s| s.refresh_findings())
                .map_err(|e| Failure::new("detect-failed", e.to_string()))?;
            check_exports(&reader, &findings)?;
        }
        // Last: a known accounting finding must not hide what the checks above look at.
        check_files(&reader, &idx, &plains, &runs)
    }
}

impl Ingest {
    /// Seed lines, one record each, some mutated; a line that a mutation made into several
    /// records (an array, a wrapper, objects back to back, a CRI partial line) is put back.
    fn line_file(&self, rng: &mut fastrand::Rng) -> Vec<u8> {
        let pool = &self.corpus.lines;
        let mut out: Vec<u8> = Vec::new();
        for _ in 0..rng.usize(1..40) {
            let line = rng.choice(pool).unwrap().clone();
            let line = if rng.u8(0..100) < 35 {
                let m = mutate::line_mutation(rng, &self.corpus, line.clone());
                if m.split(|b| *b == b'\n')
                    .all(|l| units(l) == Some(1) || blank(l))
                {
                    m
                } else {
                    line
                }
            } else {
                line
            };
            out.extend_from_slice(&line);
            out.extend_from_slice(if rng.u8(0..20) == 0 { b"\n\n" } else { b"\n" });
        }
        out
    }
}

fn blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The keys that make an object a container of records.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WrapperKeys {
    #[serde(default)]
    items: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    records: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    events: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    log_events: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    message_type: Option<serde::de::IgnoredAny>,
}

/// The JSON a line holds: its content after a CRI prefix, from its first `[` or `{`.
fn json_of(line: &[u8]) -> &[u8] {
    let text = std::str::from_utf8(line).unwrap_or_default();
    let content = cri::split(text).map_or(line, |c| c.content.as_bytes());
    let content = content.trim_ascii_start();
    if content.starts_with(b"[") {
        return content;
    }
    content
        .iter()
        .position(|b| *b == b'{')
        .map_or(&content[..0], |i| &content[i..])
}

/// How many records a line is: `Some(1)` for one record, one bad line or an empty container
/// (all of which count once); `None` when it is several or it is unclear (an array, a
/// container with items, objects back to back, a CRI partial line).
pub fn units(line: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(line).unwrap_or_default();
    if cri::split(text).is_some_and(|c| c.partial) {
        return None;
    }
    if empty_container(line) {
        return Some(1);
    }
    let json = json_of(line);
    if json.starts_with(b"[") || memchr::memmem::find(line, b"\"messageType\"").is_some() {
        return None;
    }
    // IgnoredAny reads any depth (serde_json's `Value` stops at 128).
    let mut stream =
        serde_json::Deserializer::from_slice(json).into_iter::<serde::de::IgnoredAny>();
    let first_ok = matches!(stream.next(), Some(Ok(_)));
    if first_ok && matches!(stream.next(), Some(Ok(_))) {
        return None;
    }
    let mut one = serde_json::Deserializer::from_slice(json).into_iter::<WrapperKeys>();
    if let Some(Ok(k)) = one.next()
        && (k.items.is_some()
            || k.records.is_some()
            || k.events.is_some()
            || k.log_events.is_some()
            || k.message_type.is_some())
    {
        return None;
    }
    Some(1)
}

/// `[]`, `{"items":[]}`, `{"records":[]}`, `{"events":[]}`, `{"logEvents":[]}`: a container
/// with nothing in it.
pub fn empty_container(line: &[u8]) -> bool {
    let json = json_of(line);
    let Ok(v) = serde_json::from_slice::<Value>(json) else {
        return false;
    };
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => {
            let lists: Vec<&Value> = ["items", "records", "events", "logEvents"]
                .iter()
                .filter_map(|k| m.get(*k))
                .collect();
            !lists.is_empty()
                && lists
                    .iter()
                    .all(|l| l.as_array().is_some_and(Vec::is_empty))
        }
        _ => false,
    }
}

/// A complete first value followed by bytes that are not another value (`{…}garbage`).
fn trailing_garbage(line: &[u8]) -> bool {
    let text = std::str::from_utf8(line).unwrap_or_default();
    let content = cri::split(text).map_or(line, |c| c.content.as_bytes());
    let Some(start) = content.iter().position(|b| *b == b'{') else {
        return false;
    };
    let mut stream = serde_json::Deserializer::from_slice(&content[start..]).into_iter::<Value>();
    matches!(stream.next(), Some(Ok(_))) && matches!(stream.next(), Some(Err(_)))
}

/// The special cases: gzip bombs (whitespace; `{}` lines) and one huge line.
fn bomb(case: u64) -> Option<Input> {
    let long = std::env::var("KUBESIFT_FUZZ_SECS").is_ok();
    let mb = if long { 200 } else { 64 };
    let data = match case {
        0 => {
            let mut line = vec![b' '; 1023];
            line.push(b'\n');
            mutate::gzip(&line.repeat(mb << 10))
        }
        1 => mutate::gzip(&b"{}\n".repeat(if long { 4_000_000 } else { 400_000 })),
        2 => {
            let mut line = b"{\"kind\":\"Event\",\"auditID\":\"big\",\"x\":\"".to_vec();
            line.resize(40 << 20, b'a');
            line.extend_from_slice(b"\"}\n{}\n");
            mutate::gzip(&line)
        }
        _ => return None,
    };
    Some(Input::one(format!("lines/bomb-{case}.log.gz"), data))
}

/// A temporary directory, in memory where there is one: an index commit syncs its files,
/// which on a disk costs more than the rest of a small case.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64) {}
    fn update(&self, _: u64, _: u64) {}
    fn finish(&self) {}
}

/// Indexes paths as `kubesift index` does.
pub fn ingest_paths(
    idx: &IndexDir,
    paths: &[PathBuf],
    opts: &IngestOptions,
) -> Result<IngestSummary, kubesift::fuzzing::index::IndexError> {
    let (inputs, problems) = ingest::source::discover(paths, Some(&idx.root));
    ingest::run(idx, inputs, problems, opts, &Quiet)
}

fn check_summary(s: &IngestSummary) -> Result<(), Failure> {
    if s.records != s.added + s.merged {
        return Err(Failure::new(
            "records-vs-events",
            format!(
                "{} records read but {} added + {} merged",
                s.records, s.added, s.merged
            ),
        ));
    }
    Ok(())
}

/// Per input: every line accounted for (line files), something reported (documents), and
/// rejects name lines the input has.
fn check_files(
    reader: &IndexReader,
    idx: &IndexDir,
    files: &[(&str, Vec<u8>)],
    runs: &[IngestSummary],
) -> Result<(), Failure> {
    let problems: Vec<&str> = runs
        .iter()
        .flat_map(|r| r.problems.iter().map(|p| p.path.as_str()))
        .collect();
    for (name, plain) in files {
        let entry = reader
            .manifest
            .files
            .iter()
            .find(|f| Path::new(&f.path).ends_with(name));
        let Some(e) = entry else {
            if problems.iter().any(|p| Path::new(p).ends_with(name)) {
                continue;
            }
            return Err(Failure::new(
                "input-lost",
                format!("{name} is neither in the manifest nor reported as a problem"),
            ));
        };
        let seen = e.records + e.rejected + e.skipped;
        if name.starts_with("lines/") {
            check_lines(name, plain, seen, e.truncated)?;
        } else if seen == 0 && !blank(plain) && !e.truncated {
            return Err(Failure::new(
                "input-unaccounted",
                format!("{name}: not blank, but no record, reject or skipped line"),
            ));
        }
        check_reject_lines(name, &idx.rejects_file(e.id), line_count(plain))?;
    }
    Ok(())
}

/// Lines of an input, the last one unterminated or not.
fn line_count(plain: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', plain).count() as u64 + 1
}

/// Every reject stored names a line of its input.
fn check_reject_lines(name: &str, path: &Path, lines: u64) -> Result<(), Failure> {
    if std::fs::metadata(path).map_or(true, |m| m.len() > 8 << 20) {
        return Ok(());
    }
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for r in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Reject>(l).ok())
    {
        if r.line == 0 || r.line > lines {
            return Err(Failure::new(
                "reject-line-out-of-range",
                format!(
                    "{name} has {lines} lines; a reject names line {}: {}",
                    r.line, r.reason
                ),
            ));
        }
    }
    Ok(())
}

fn check_lines(name: &str, plain: &[u8], seen: u64, truncated: bool) -> Result<(), Failure> {
    let lines: Vec<&[u8]> = plain.split(|b| *b == b'\n').filter(|l| !blank(l)).collect();
    let expected = lines.len() as u64;
    if seen == expected || truncated {
        return Ok(());
    }
    let garbage = lines.iter().filter(|l| trailing_garbage(l)).count();
    let empty = lines.iter().filter(|l| empty_container(l)).count();
    let scanned = split::sniff(&plain[..plain.len().min(64 << 10)]) == split::Mode::Scan;
    Err(Failure::new(
        "accounting",
        format!(
            "{name}: {expected} lines, {seen} accounted for (records + rejected + skipped); lines with trailing garbage: {garbage}; empty containers: {empty}; scanned as one document: {scanned}"
        ),
    ))
}

/// The index holds what the runs added, and every stored record loads again.
fn check_index(
    reader: &IndexReader,
    idx: &IndexDir,
    files: &[(&str, Vec<u8>)],
    runs: &[IngestSummary],
) -> Result<(), Failure> {
    let added: u64 = runs.iter().map(|r| r.added).sum();
    let hits = reader
        .search(&Expr::All, 0, 0, TimeOrder::Oldest)
        .map_err(|e| Failure::new("index-unreadable", e.to_string()))?;
    if hits.len() as u64 != added {
        return Err(Failure::new(
            "events-vs-added",
            format!("{} events in the index, {added} added", hits.len()),
        ));
    }
    for hit in &hits {
        let loaded = reader
            .load(hit)
            .map_err(|e| Failure::new("stored-record-does-not-load", e.to_string()))?;
        let source = &loaded.event.source;
        let lines = files
            .iter()
            .find(|(n, _)| Path::new(&source.file).ends_with(n))
            .map(|(_, plain)| line_count(plain));
        if lines.is_none_or(|n| source.line == 0 || source.line > n) {
            return Err(Failure::new(
                "event-source-out-of-range",
                format!(
                    "event {:?} comes from {}:{}, which is not a line of an input ({lines:?} lines)",
                    loaded.event.audit_id, source.file, source.line
                ),
            ));
        }
    }
    let stored: u64 = std::fs::read_dir(idx.rejects_dir()).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    });
    if stored > MAX_REJECTS_STORED {
        let rejected: u64 = runs.iter().map(|r| r.rejected).sum();
        return Err(Failure::new(
            "rejects-unbounded",
            format!("{stored} bytes of rejects stored for {rejected} rejected records"),
        ));
    }
    Ok(())
}

/// Every export format of every event: nothing a terminal or a spreadsheet would act on is
/// written raw (JSON escapes C1 and bidi characters too).
fn check_exports(reader: &IndexReader, findings: &[Finding]) -> Result<(), Failure> {
    let spec = ExportSpec {
        query: Some("*".to_owned()),
        detections: true,
        ..ExportSpec::default()
    };
    for format in ExportFormat::ALL {
        let mut out = Vec::new();
        export::export(reader, findings, &Case::default(), &spec, format, &mut out)
            .map_err(|e| Failure::new("export-failed", format!("{format:?}: {e}")))?;
        let text = String::from_utf8(out)
            .map_err(|e| Failure::new("export-not-utf8", format!("{format:?}: {e}")))?;
        if let Some(c) = text
            .chars()
            .find(|c| !matches!(c, '\n' | '\t') && is_unsafe(*c))
        {
            let at = text.find(c).unwrap_or(0);
            let from = (0..=at.saturating_sub(60))
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            let around = &text[from..at];
            return Err(Failure::new(
                "export-unsafe-character",
                format!(
                    "{format:?} export writes U+{:04X} raw after {around:?}",
                    c as u32
                ),
            ));
        }
        if format == ExportFormat::Jsonl
            && let Some(bad) = text
                .lines()
                .find(|l| serde_json::from_str::<serde::de::IgnoredAny>(l).is_err())
        {
            return Err(Failure::new(
                "export-bad-json",
                format!("a JSON Lines export line does not parse: {bad:?}"),
            ));
        }
    }
    Ok(())
}

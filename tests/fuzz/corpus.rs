//! The seed corpus: `tests/fuzz/corpus/`, records written for these tests in every input
//! shape (`inputs/`), queries (`queries/`, one a line), case files (`cases/`) and keymaps
//! (`keymaps/`, plus the built-in `assets/keymap.toml`).

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// One seed input file.
#[derive(Debug, Clone)]
pub struct Seed {
    pub name: String,
    /// As stored (gzip for `*.gz`).
    pub bytes: Vec<u8>,
    /// The decompressed text.
    pub plain: Vec<u8>,
}

impl Seed {
    /// One record per line (not a document spanning lines).
    pub fn is_lines(&self) -> bool {
        !matches!(
            self.name.as_str(),
            "eventlist.json"
                | "array.json"
                | "pretty.json"
                | "concatenated-pretty.json"
                | "eks-cli.json"
                | "eks-firehose.json"
                | "gke-array.json"
        )
    }

    /// The path it is ingested under: OpenShift must-gathers are recognised by their path.
    pub fn ingest_path(&self) -> String {
        if self.name.starts_with("openshift-apiserver") {
            format!("must-gather/audit_logs/openshift-apiserver/{}", self.name)
        } else {
            self.name.clone()
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub inputs: Vec<Seed>,
    /// Lines of the line-oriented seeds that are one record each (no CRI `P` line, no
    /// wrapper, no array, no objects back to back).
    pub lines: Vec<Vec<u8>>,
    pub queries: Vec<String>,
    pub cases: Vec<Vec<u8>>,
    pub keymaps: Vec<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus")
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out);
    out
}

pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

impl Corpus {
    pub fn load() -> Corpus {
        let root = root();
        let inputs: Vec<Seed> = files(&root.join("inputs"))
            .into_iter()
            .map(|(name, bytes)| {
                let plain = if is_gzip(&bytes) {
                    gunzip(&bytes)
                } else {
                    bytes.clone()
                };
                Seed { name, bytes, plain }
            })
            .collect();
        let lines = inputs
            .iter()
            .filter(|s| s.is_lines())
            .flat_map(|s| s.plain.split(|b| *b == b'\n'))
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .filter(|l| crate::ingest::units(l) == Some(1))
            .map(<[u8]>::to_vec)
            .collect();
        let queries = files(&root.join("queries"))
            .iter()
            .flat_map(|(_, b)| {
                String::from_utf8_lossy(b)
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        let cases = files(&root.join("cases"))
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        let mut keymaps: Vec<String> = files(&root.join("keymaps"))
            .into_iter()
            .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
            .collect();
        let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/keymap.toml");
        keymaps.push(std::fs::read_to_string(builtin).unwrap());
        Corpus {
            inputs,
            lines,
            queries,
            cases,
            keymaps,
        }
    }
}

//! Finding the inputs (files, directories walked recursively, `-` for stdin) and opening
//! them: gzip is recognised by its magic bytes, not its name; bytes read are counted and
//! hashed (SHA-256) as they stream.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path shown in reports and kept in the manifest (absolute), or `-`.
    pub name: String,
    pub path: Option<PathBuf>,
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
}

impl Input {
    pub fn is_stdin(&self) -> bool {
        self.path.is_none()
    }
}

/// A path given on the command line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    pub path: String,
    pub reason: String,
    /// Nothing was left unread (a symbolic-link loop, whose target is walked anyway): a
    /// warning, not an error.
    pub warning: bool,
}

/// Expands the command-line paths into inputs: files as given, directories walked for
/// audit-log-looking files (`*.log`, `*.log.N`, `*.gz`, `*.json`, `*.jsonl`, names containing
/// `audit`), `-` for stdin. Hidden entries are skipped inside directories. Symbolic links are
/// followed; a link back to a directory being walked (a cycle) is reported as an input
/// problem, and a directory reached twice is walked once.
pub fn discover(paths: &[PathBuf], exclude: Option<&Path>) -> (Vec<Input>, Vec<InputProblem>) {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    let exclude = exclude.and_then(|p| fs::canonicalize(p).ok());
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.push(Input {
                name: "-".to_owned(),
                path: None,
                size: 0,
                mtime: 0,
            });
            continue;
        }
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut walk = Walk {
                    exclude: exclude.as_deref(),
                    inputs: &mut inputs,
                    problems: &mut problems,
                    ancestors: Vec::new(),
                    seen: std::collections::HashSet::new(),
                };
                walk.dir(p, &m);
            }
            Ok(_) => push_file(p, &mut inputs, &mut problems),
            Err(e) => problems.push(InputProblem {
                path: p.display().to_string(),
                reason: e.to_string(),
                warning: false,
            }),
        }
    }
    let mut seen = std::collections::HashSet::new();
    inputs.retain(|i| i.is_stdin() || seen.insert(i.name.clone()));
    (inputs, problems)
}

/// The identity of a directory: device and inode where there are such.
#[cfg(unix)]
fn dir_id(_: &Path, m: &fs::Metadata) -> (u64, u64, PathBuf) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino(), PathBuf::new())
}

#[cfg(not(unix))]
fn dir_id(p: &Path, _: &fs::Metadata) -> (u64, u64, PathBuf) {
    (
        0,
        0,
        fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()),
    )
}

/// One recursive directory walk.
struct Walk<'a> {
    exclude: Option<&'a Path>,
    inputs: &'a mut Vec<Input>,
    problems: &'a mut Vec<InputProblem>,
    /// The directories from the root of the walk to the one being read.
    ancestors: Vec<(u64, u64, PathBuf)>,
    /// Every directory walked: one reached again through a link is not walked twice.
    seen: std::collections::HashSet<(u64, u64, PathBuf)>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, meta: &fs::Metadata) {
        if self
            .exclude
            .is_some_and(|x| fs::canonicalize(dir).is_ok_and(|d| d == x))
        {
            return;
        }
        let id = dir_id(dir, meta);
        if self.ancestors.contains(&id) {
            self.problems.push(InputProblem {
                path: dir.display().to_string(),
                reason: "symbolic link loop: leads back to a directory being walked; not \
                         followed"
                    .to_owned(),
                warning: true,
            });
            return;
        }
        if !self.seen.insert(id.clone()) {
            return;
        }
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.problems.push(InputProblem {
                    path: dir.display().to_string(),
                    reason: e.to_string(),
                    warning: false,
                });
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        self.ancestors.push(id);
        for p in paths {
            self.entry(&p);
        }
        self.ancestors.pop();
    }

    fn entry(&mut self, p: &Path) {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            return;
        }
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => self.dir(p, &m),
            Ok(m) if m.is_file() && looks_like_log(&name) => {
                push_file(p, self.inputs, self.problems);
            }
            // A link that cannot be followed (links in a loop, a dangling link).
            Err(e) if fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) => {
                self.problems.push(InputProblem {
                    path: p.display().to_string(),
                    reason: format!("cannot follow the symbolic link: {e}"),
                    warning: false,
                });
            }
            _ => {}
        }
    }
}

/// File names a log directory holds: `audit.log`, `audit-2024-01-02T03-04-05.678.log`,
/// `audit.log.1`, `*.gz`, `*.json`, `*.jsonl`, `*.ndjson`, `*.txt`, `*.csv`, and other names
/// containing `audit` — but never configuration or documents (`audit-policy.yaml`, Sigma
/// rules, `*.md`), which sit beside logs in incident bundles.
pub fn looks_like_log(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if [".yml", ".yaml", ".md", ".toml", ".py", ".sh"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        return false;
    }
    let stem = lower
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches('.');
    [".log", ".gz", ".json", ".jsonl", ".ndjson", ".txt", ".csv"]
        .iter()
        .any(|ext| lower.ends_with(ext) || stem.ends_with(ext))
        || lower.contains("audit")
}

fn push_file(p: &Path, inputs: &mut Vec<Input>, problems: &mut Vec<InputProblem>) {
    let abs = fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    match fs::metadata(&abs) {
        Ok(m) => inputs.push(Input {
            name: abs.display().to_string(),
            path: Some(abs),
            size: m.len(),
            mtime: m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        }),
        Err(e) => problems.push(InputProblem {
            path: p.display().to_string(),
            reason: e.to_string(),
            warning: false,
        }),
    }
}

/// Counts and hashes the raw (compressed) bytes of an input as they are read.
pub struct Tally<R> {
    inner: R,
    hasher: Sha256,
    /// Shared with the progress display.
    bytes: Arc<AtomicU64>,
    total: u64,
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.total += n as u64;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What reading an input ended with: its size and SHA-256.
#[derive(Debug, Clone, Default)]
pub struct Digested {
    pub bytes: u64,
    pub sha256: String,
}

/// An opened input: decompressed when gzip, with a handle to finish hashing.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub gzip: bool,
    digest: Arc<std::sync::Mutex<Option<Digested>>>,
}

impl Opened {
    pub fn digest_handle(&self) -> Arc<std::sync::Mutex<Option<Digested>>> {
        Arc::clone(&self.digest)
    }
}

/// Publishes the digest when the reader is dropped.
struct Finisher<R: Read> {
    tally: Option<Tally<R>>,
    out: Arc<std::sync::Mutex<Option<Digested>>>,
}

impl<R: Read> Read for Finisher<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.tally.as_mut() {
            Some(t) => t.read(buf),
            None => Ok(0),
        }
    }
}

impl<R: Read> Drop for Finisher<R> {
    fn drop(&mut self) {
        if let Some(t) = self.tally.take() {
            // Hash whatever the decoder left unread, so the digest covers the whole file.
            let mut t = t;
            let _ = io::copy(&mut t, &mut io::sink());
            let sha = hex(&t.hasher.finalize());
            if let Ok(mut slot) = self.out.lock() {
                *slot = Some(Digested {
                    bytes: t.total,
                    sha256: sha,
                });
            }
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Opens an input, decompressing gzip (by magic bytes; concatenated members are read too).
pub fn open(input: &Input, progress: Arc<AtomicU64>) -> io::Result<Opened> {
    let raw: Box<dyn Read + Send> = match &input.path {
        Some(p) => Box::new(File::open(p)?),
        None => Box::new(io::stdin()),
    };
    let out = Arc::new(std::sync::Mutex::new(None));
    let finisher = Finisher {
        tally: Some(Tally {
            inner: raw,
            hasher: Sha256::new(),
            bytes: progress,
            total: 0,
        }),
        out: Arc::clone(&out),
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, finisher);
    let head = buffered.fill_buf()?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Ok(Opened {
        reader,
        gzip,
        digest: out,
    })
}

/// A cheap fingerprint of a file for recognising one already indexed under another name:
/// its size and a hash of its first and last 64 KiB.
pub fn fingerprint(path: &Path, size: u64) -> io::Result<String> {
    use std::io::{Seek, SeekFrom};
    const SPAN_BYTES: usize = 64 * 1024;
    const SPAN: u64 = SPAN_BYTES as u64;
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; SPAN_BYTES];
    let n = read_full(&mut f, &mut buf)?;
    hasher.update(&buf[..n]);
    if size > SPAN {
        f.seek(SeekFrom::Start(size.saturating_sub(SPAN).max(SPAN)))?;
        let n = read_full(&mut f, &mut buf)?;
        hasher.update(&buf[..n]);
    }
    Ok(format!("{size}:{}", hex(&hasher.finalize()[..16])))
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names() {
        for n in [
            "audit.log",
            "audit-2024-01-02T03-04-05.678.log",
            "audit.log.1",
            "x.json",
            "kube-apiserver-audit.log-20240102-1704164645.gz",
            "events.jsonl",
        ] {
            assert!(looks_like_log(n), "{n}");
        }
        for n in [
            "README.md",
            "script.py",
            "Cargo.toml",
            "audit-policy.yaml",
            "kubernetes_audit_exec_into_container.yml",
            "audit-notes.md",
        ] {
            assert!(!looks_like_log(n), "{n}");
        }
    }

    #[test]
    fn gzip_by_magic_and_digest() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-extension");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"a\":1}\n").unwrap();
        let gz = enc.finish().unwrap();
        std::fs::write(&path, &gz).unwrap();
        let (inputs, problems) = discover(std::slice::from_ref(&path), None);
        assert!(problems.is_empty());
        let progress = Arc::new(AtomicU64::new(0));
        let mut opened = open(&inputs[0], Arc::clone(&progress)).unwrap();
        assert!(opened.gzip);
        let mut s = String::new();
        opened.reader.read_to_string(&mut s).unwrap();
        assert_eq!(s, "{\"a\":1}\n");
        let handle = opened.digest_handle();
        drop(opened);
        let d = handle.lock().unwrap().clone().unwrap();
        assert_eq!(d.bytes, gz.len() as u64);
        assert_eq!(d.sha256, hex(&Sha256::digest(&gz)));
        assert_eq!(progress.load(Ordering::Relaxed), gz.len() as u64);
    }
}

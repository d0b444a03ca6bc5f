//! Writing the files kubesift keeps for the user — the case, exports and their provenance,
//! the files beside the index: the one atomic writer of the code base, the lock of a
//! read-modify-write, the guard that tells where a user-named output would land, and the
//! removal of temporary files a killed run left behind. Knows no file format and no index.
//!
//! A file is written to a temporary file in the target's directory — created private (0600)
//! and named `.kubesift-tmp-<pid>@<host>@<random>-<name>` so that kubesift, and only
//! kubesift's files, can be recognised later — then `fsync`ed and renamed onto the target:
//! a reader sees the old file or the new one, never half of one. A symlink at the target is
//! written through: the file it points to is replaced, the link is kept.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The start of every temporary file kubesift creates.
pub const TMP_PREFIX: &str = ".kubesift-tmp-";

/// A temporary file untouched this long is stale whoever wrote it.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Symlinks followed before giving up (as the kernel does).
const MAX_LINKS: usize = 40;

/// A file being written: a private temporary file until [`AtomicFile::commit`] renames it
/// onto the target. Dropped without a commit, the temporary file is removed.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path` (through its symlinks), after removing the stale temporary
    /// files of kubesift in the target's directory.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let target = resolve_links(path)?;
        let dir = parent_dir(&target);
        remove_stale_temps(dir, &target);
        let name = target
            .file_name()
            .map(|n| short(&n.to_string_lossy(), 80))
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!("{TMP_PREFIX}{}@{}@", std::process::id(), host()))
            .suffix(&format!("-{name}"))
            .rand_bytes(6)
            .tempfile_in(dir)
            .map_err(|e| unnamed_temp_error(&e, dir))?;
        Ok(AtomicFile { tmp, target })
    }

    pub fn file(&mut self) -> &mut fs::File {
        self.tmp.as_file_mut()
    }

    /// Flushes to disk and renames the temporary file onto the target.
    pub fn commit(self) -> io::Result<()> {
        self.tmp.as_file().sync_all()?;
        self.tmp.persist(&self.target).map_err(|e| e.error)?;
        // The rename itself is durable once the directory is synced (best effort: not every
        // platform lets a directory be opened).
        if let Ok(d) = fs::File::open(parent_dir(&self.target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// The error of creating the temporary file, about the directory the user named: tempfile's
/// names the temporary file, and said "No such file or directory" of a missing directory.
fn unnamed_temp_error(e: &io::Error, dir: &Path) -> io::Error {
    let shown = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if !shown.is_dir() {
        return io::Error::new(
            e.kind(),
            format!("directory {} does not exist", shown.display()),
        );
    }
    let why = e.raw_os_error().map_or_else(
        || e.kind().to_string(),
        |code| io::Error::from_raw_os_error(code).to_string(),
    );
    io::Error::new(
        e.kind(),
        format!("cannot create a file in {}: {why}", shown.display()),
    )
}

/// Writes `bytes` to `path` atomically (see the module documentation).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.file().write_all(bytes)?;
    f.commit()
}

/// The file a write to `path` reaches: its symlinks followed (a dangling link gives the
/// file it names, which the write creates). Relative links are taken from their directory.
pub fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = if link.is_absolute() {
                    link
                } else {
                    parent_dir(&p).join(link)
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

/// The directory of a file path (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Where a write to `path` lands, as an absolute path with every directory resolved
/// (symlinks and `..` included; directories still to be created are taken as named).
pub fn landing(path: &Path) -> io::Result<PathBuf> {
    let target = resolve_links(path)?;
    let dir = resolve_dir(parent_dir(&target))?;
    Ok(match target.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    })
}

/// A directory as an absolute path: its existing part canonicalized, the rest (not created
/// yet) appended with `.` and `..` applied.
fn resolve_dir(dir: &Path) -> io::Result<PathBuf> {
    let mut missing: Vec<std::ffi::OsString> = Vec::new();
    let mut cur = dir.to_path_buf();
    loop {
        if cur.as_os_str().is_empty() {
            cur = PathBuf::from(".");
        }
        match fs::canonicalize(&cur) {
            Ok(mut out) => {
                for c in missing.iter().rev() {
                    if c == ".." {
                        out.pop();
                    } else if c != "." {
                        out.push(c);
                    }
                }
                return Ok(out);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let last = cur
                    .components()
                    .next_back()
                    .map(|c| c.as_os_str().to_owned());
                match last {
                    Some(c) if cur.pop() => missing.push(c),
                    _ => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether writing `path` would put or replace anything inside the directory `dir` — the
/// path as named or the file its links reach. A missing `dir` holds nothing to protect.
pub fn writes_inside(path: &Path, dir: &Path) -> io::Result<bool> {
    let Ok(dir) = fs::canonicalize(dir) else {
        return Ok(false);
    };
    let as_named = {
        let parent = resolve_dir(parent_dir(path))?;
        path.file_name().map_or(parent.clone(), |n| parent.join(n))
    };
    Ok(as_named.starts_with(&dir) || landing(path)?.starts_with(&dir))
}

/// Whether writing `a` would replace the file `b` (same landing place, or the same file
/// under another name).
pub fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(x), Ok(y)) = (landing(a), landing(b))
        && x == y
    {
        return true;
    }
    same_inode(a, b)
}

#[cfg(unix)]
fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_: &Path, _: &Path) -> bool {
    false
}

/// Takes the advisory lock of a read-modify-write of `target`: an exclusive lock on
/// `.<name>.lock` beside it (not on the file itself, which the atomic rename replaces).
/// Held until the returned file is dropped; waits while another process holds it.
pub fn lock_beside(target: &Path) -> io::Result<fs::File> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = parent_dir(target).join(format!(".{name}.lock"));
    let mut open = fs::OpenOptions::new();
    open.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let file = open.open(&path)?;
    fs4::fs_std::FileExt::lock_exclusive(&file)?;
    Ok(file)
}

/// Creates a directory (and its missing parents) private to the user (0700); an existing
/// one is left as it is.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Removes kubesift's stale temporary files from `dir`: those whose writing process is gone
/// (on this machine, where that can be known) and those untouched for an hour. Also the
/// temporaries of `target` named as kubesift before 0.2 did (`.<name>.tmp-<pid>`), on the
/// same terms. Nothing else is ever touched; failures are ignored (the write goes on).
pub fn remove_stale_temps(dir: &Path, target: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let legacy = target
        .file_name()
        .map(|n| format!(".{}.tmp-", n.to_string_lossy()));
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(writer) = temp_writer(&name, legacy.as_deref()) else {
            continue;
        };
        let Ok(meta) = fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if age > STALE_AFTER || writer.is_gone() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The process that wrote a temporary file, as its name records it.
#[derive(Debug, PartialEq, Eq)]
struct Writer {
    pid: u32,
    /// `None` for the old naming, which had no host (always this machine's then).
    host: Option<String>,
}

impl Writer {
    /// Known to be gone: on this machine, and no process with that id is running.
    fn is_gone(&self) -> bool {
        if self.host.as_deref().is_some_and(|h| h != host()) {
            return false;
        }
        process_gone(self.pid)
    }
}

/// The writer of a kubesift temporary file, or `None` when `name` is not one.
fn temp_writer(name: &str, legacy: Option<&str>) -> Option<Writer> {
    if let Some(rest) = name.strip_prefix(TMP_PREFIX) {
        let (pid, rest) = rest.split_once('@')?;
        let (host, _) = rest.split_once('@')?;
        return Some(Writer {
            pid: pid.parse().ok()?,
            host: Some(host.to_owned()),
        });
    }
    let pid = name.strip_prefix(legacy?)?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Writer {
        pid: pid.parse().ok()?,
        host: None,
    })
}

/// Whether no process with this id runs on this machine. Only answered where `/proc` lists
/// processes (Linux); elsewhere a process is never assumed gone.
fn process_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid.to_string()).exists()
}

/// This machine's name as a temporary file records it (letters, digits, `-` and `.`).
fn host() -> String {
    let raw = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let clean: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(40)
        .collect();
    if clean.is_empty() {
        "host".to_owned()
    } else {
        clean
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn short(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_its_own_temporary_names() {
        let ours = format!("{TMP_PREFIX}42@node-1.example@Ab3dE9-case.json");
        assert_eq!(
            temp_writer(&ours, None),
            Some(Writer {
                pid: 42,
                host: Some("node-1.example".into())
            })
        );
        let legacy = Some(".case.json.tmp-");
        assert_eq!(
            temp_writer(".case.json.tmp-77", legacy),
            Some(Writer {
                pid: 77,
                host: None
            })
        );
        for other in [
            ".tmpAb3dE9",
            ".case.json.tmp-77x",
            ".findings.json.tmp-77",
            "case.json",
            ".kubesift-tmp-x@h@r-case.json",
            ".kubesift-tmp-42-case.json",
        ] {
            assert_eq!(temp_writer(other, legacy), None, "{other}");
        }
    }

    #[test]
    fn regression_writing_into_a_missing_directory_named_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("no-such-dir").join("x.html");
        let Err(e) = write_atomic(&missing, b"x") else {
            panic!("wrote into a missing directory")
        };
        let msg = e.to_string();
        assert!(
            msg.contains("no-such-dir") && msg.contains("does not exist"),
            "{msg}"
        );
        assert!(!msg.contains(TMP_PREFIX), "{msg}");
    }

    #[test]
    fn writes_through_a_symlink_and_privately() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let real = dir.path().join("real.json");
        std::fs::write(&real, b"old").unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink("real.json", &link).unwrap_or_else(|e| panic!("{e}"));
            write_atomic(&link, b"new").unwrap_or_else(|e| panic!("{e}"));
            assert!(
                fs::symlink_metadata(&link)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .file_type()
                    .is_symlink()
            );
            assert_eq!(fs::read(&real).unwrap_or_default(), b"new");
            let mode = fs::metadata(&real)
                .unwrap_or_else(|e| panic!("{e}"))
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(TMP_PREFIX))
            .collect();
        assert!(left.is_empty(), "no temporary file left");
    }

    #[test]
    fn landing_resolves_dot_dot_and_links() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let idx = dir.path().join("idx");
        fs::create_dir_all(idx.join("tantivy")).unwrap_or_else(|e| panic!("{e}"));
        let sneaky = idx.join("tantivy").join("..").join("case.json");
        assert!(writes_inside(&sneaky, &idx).unwrap_or(false));
        assert!(!writes_inside(&dir.path().join("out.csv"), &idx).unwrap_or(true));
        let not_yet = idx.join("new").join("..").join("..").join("idx").join("x");
        assert!(writes_inside(&not_yet, &idx).unwrap_or(false));
        assert!(
            !writes_inside(&idx.join("new").join("..").join("..").join("y"), &idx).unwrap_or(true)
        );
        #[cfg(unix)]
        {
            let link = dir.path().join("out.csv");
            std::os::unix::fs::symlink(idx.join("case.json"), &link)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(writes_inside(&link, &idx).unwrap_or(false));
            assert!(same_file(&link, &idx.join("case.json")));
        }
    }
}

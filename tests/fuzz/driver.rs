//! Runs a target's cases in a child process and reports what they found.
//!
//! The parent (the `#[test]` function) re-executes this test binary with
//! `KUBESIFT_FUZZ_CHILD=<target>` and a range of cases. The child runs the cases one by one:
//! it writes the case's number to a crash file, lowers the allocator's limit to the target's
//! memory budget, runs the case under `catch_unwind`, and appends what it found (a panic, a
//! broken oracle) to a findings file. When the child dies (stack overflow, allocation over
//! the budget) or hangs (killed [`HANG_SECS`] after its time was up), the parent reads the
//! crash file, records the abort with the case's input, and starts a new child after that
//! case. Every case is generated from (seed, case number) only,
//! so any case can be run again alone (`KUBESIFT_FUZZ_CASE`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::corpus::Corpus;
use crate::known;

/// The seed `cargo test` runs with ("kubesift" in ASCII).
pub const DEFAULT_SEED: u64 = 0x6b75_6265_7369_6674;

/// A case still running this long after the child's time is up is reported as a hang.
const HANG_SECS: f64 = 120.0;

/// Aborts not known (see [`known`]) after which a run stops starting new children.
const MAX_ABORTS: usize = 64;

/// One case's input: named files (one for most targets).
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub files: Vec<(String, Vec<u8>)>,
}

impl Input {
    pub fn one(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Input {
        Input {
            files: vec![(name.into(), bytes.into())],
        }
    }

    /// The input escaped and cut, for a report.
    pub fn excerpt(&self, max: usize) -> String {
        let mut out = String::new();
        for (name, bytes) in &self.files {
            let _ = write!(out, "\n    {name} ({} bytes): ", bytes.len());
            out.push_str(&escape_bytes(bytes, max));
        }
        out
    }
}

/// Bytes as printable ASCII (`\n`, `\x1b`, `\xff`…), at most `max` of them.
pub fn escape_bytes(bytes: &[u8], max: usize) -> String {
    let mut s: String = bytes[..bytes.len().min(max)]
        .iter()
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect();
    if bytes.len() > max {
        let _ = write!(s, "…(+{} bytes)", bytes.len() - max);
    }
    s
}

/// What a case found wrong (a panic is reported by the driver itself).
#[derive(Debug, Clone)]
pub struct Failure {
    /// A short stable name of the oracle that broke (`panic`, `accounting`…).
    pub kind: String,
    pub detail: String,
}

impl Failure {
    pub fn new(kind: &str, detail: impl Into<String>) -> Failure {
        Failure {
            kind: kind.to_owned(),
            detail: detail.into(),
        }
    }
}

/// A fuzz target: generates inputs from the corpus and checks what the code does with them.
pub trait Target: Sized {
    const NAME: &'static str;
    /// Cases `cargo test` runs.
    const CASES: u64;
    /// Cases per case of the record target when `KUBESIFT_FUZZ_CASES` is set.
    const CASE_SCALE: f64;
    /// Safety cap on the default run: stops early, never fails.
    const CAP_SECS: f64;
    /// Share of `KUBESIFT_FUZZ_SECS` this target runs for.
    const SECS_SHARE: f64;
    /// Most memory one case may hold at once, above what the child held before it.
    const MEMORY_LIMIT: usize;

    fn new(corpus: &Corpus) -> Self;
    /// The input of a case, from its random generator only.
    fn generate(&self, case: u64, rng: &mut fastrand::Rng) -> Input;
    fn check(&mut self, input: &Input) -> Result<(), Failure>;
}

/// One thing found by a run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub case: u64,
    pub kind: String,
    pub detail: String,
    /// The id of the known issue it is, if it is one.
    pub known: Option<String>,
}

/// What the environment asks for.
#[derive(Debug, Clone, Copy)]
struct Plan {
    seed: u64,
    from: u64,
    to: u64,
    secs: f64,
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    v.strip_prefix("0x")
        .map_or_else(|| v.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
}

impl Plan {
    fn from_env<T: Target>() -> Plan {
        let seed = env_u64("KUBESIFT_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
        if let Some(case) = env_u64("KUBESIFT_FUZZ_CASE") {
            return Plan {
                seed,
                from: case,
                to: case + 1,
                secs: 600.0,
            };
        }
        let secs = std::env::var("KUBESIFT_FUZZ_SECS")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok());
        let cases = env_u64("KUBESIFT_FUZZ_CASES");
        #[expect(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a case count scaled by a small positive factor"
        )]
        let to = match (cases, secs) {
            (Some(n), _) => ((n as f64 * T::CASE_SCALE).ceil() as u64).max(1),
            (None, Some(_)) => u64::MAX,
            (None, None) => T::CASES,
        };
        Plan {
            seed,
            from: 0,
            to,
            secs: secs.map_or(T::CAP_SECS, |s| (s * T::SECS_SHARE).max(1.0)),
        }
    }
}

/// The random generator of one case: a function of the seed and the case number only.
pub fn case_rng(seed: u64, case: u64) -> fastrand::Rng {
    fastrand::Rng::with_seed(seed ^ case.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn work_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz")
        .join(target)
}

/// The test body: the child's loop when this process is a child, else the parent's.
pub fn run<T: Target>(test_name: &str) {
    if std::env::var("KUBESIFT_FUZZ_CHILD").is_ok_and(|t| t == T::NAME) {
        child::<T>();
        return;
    }
    let plan = Plan::from_env::<T>();
    let dir = work_dir(T::NAME);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let started = Instant::now();
    let mut from = plan.from;
    let mut cases = 0u64;
    let mut aborts: Vec<Finding> = Vec::new();
    let mut stats = Stats::default();
    let corpus = Corpus::load();
    let target = T::new(&corpus);
    if plan.to == plan.from + 1 {
        // One case asked for: its input is left in the work directory to look at.
        let input = target.generate(plan.from, &mut case_rng(plan.seed, plan.from));
        dump_input(&dir, plan.from, &input);
        eprintln!("case {} input in {}", plan.from, dir.display());
    }
    loop {
        let left = plan.secs - started.elapsed().as_secs_f64();
        let unknown = aborts.iter().filter(|a| a.known.is_none()).count();
        if from >= plan.to || left <= 0.0 || unknown >= MAX_ABORTS {
            break;
        }
        let (exit, stderr) = run_child(test_name, T::NAME, &plan, from, left, &dir);
        stats.fold(&dir);
        let done = std::fs::read_to_string(dir.join("done")).ok();
        let _ = std::fs::remove_file(dir.join("done"));
        if exit.as_ref().is_some_and(std::process::ExitStatus::success)
            && let Some(next) = done.and_then(|d| d.trim().parse::<u64>().ok())
        {
            cases += next - from;
            break;
        }
        let abort = died(&target, &plan, exit, &stderr, &dir);
        cases += abort.case + 1 - from;
        from = abort.case + 1;
        aborts.push(abort);
    }
    let mut findings = read_findings(&dir);
    findings.extend(aborts);
    eprintln!(
        "fuzz {}: {cases} cases in {:.1}s (seed {:#x}); slowest case {} ({:.3}s); peak memory {} MiB (limit {} MiB a case)",
        T::NAME,
        started.elapsed().as_secs_f64(),
        plan.seed,
        stats.slowest_case,
        stats.slowest_secs,
        stats.peak >> 20,
        T::MEMORY_LIMIT >> 20
    );
    report::<T>(test_name, &plan, &findings, &dir);
}

/// The slowest case and the most memory held, over the children of a run. Each child
/// rewrites its own in the `stats` file as it goes (a child that dies keeps its last one).
#[derive(Debug, Default)]
struct Stats {
    slowest_case: u64,
    slowest_secs: f64,
    peak: usize,
}

impl Stats {
    fn fold(&mut self, dir: &Path) {
        let text = std::fs::read_to_string(dir.join("stats")).unwrap_or_default();
        let _ = std::fs::remove_file(dir.join("stats"));
        let mut it = text.split_whitespace();
        let (Some(case), Some(secs), Some(peak)) = (
            it.next().and_then(|v| v.parse().ok()),
            it.next().and_then(|v| v.parse::<f64>().ok()),
            it.next().and_then(|v| v.parse().ok()),
        ) else {
            return;
        };
        if secs > self.slowest_secs {
            (self.slowest_case, self.slowest_secs) = (case, secs);
        }
        self.peak = self.peak.max(peak);
    }

    fn write(dir: &Path, slowest: (Duration, u64)) {
        let line = format!(
            "{} {:.3} {}\n",
            slowest.1,
            slowest.0.as_secs_f64(),
            crate::ALLOC.max_allocated()
        );
        let _ = std::fs::write(dir.join("stats"), line);
    }
}

/// Runs a child over cases `from..` for `secs` at most. Its exit status (`None` when it
/// hung and was killed) and stderr.
fn run_child(
    test_name: &str,
    target: &str,
    plan: &Plan,
    from: u64,
    secs: f64,
    dir: &Path,
) -> (Option<std::process::ExitStatus>, Vec<u8>) {
    let stderr_path = dir.join("stderr");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            test_name,
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env("KUBESIFT_FUZZ_CHILD", target)
        .env("KUBESIFT_FUZZ_CHILD_SEED", plan.seed.to_string())
        .env("KUBESIFT_FUZZ_CHILD_FROM", from.to_string())
        .env("KUBESIFT_FUZZ_CHILD_TO", plan.to.to_string())
        .env("KUBESIFT_FUZZ_CHILD_SECS", format!("{secs:.3}"))
        .env("KUBESIFT_FUZZ_CHILD_DIR", dir)
        .env_remove("RUST_BACKTRACE")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    // The child starts no case after `secs`: one still running a while later hangs.
    let give_up = Instant::now() + Duration::from_secs_f64(secs + HANG_SECS);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > give_up {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, std::fs::read(&stderr_path).unwrap_or_default())
}

/// What a child that died (or hung) was running, from its crash file.
fn died<T: Target>(
    target: &T,
    plan: &Plan,
    status: Option<std::process::ExitStatus>,
    stderr: &[u8],
    dir: &Path,
) -> Finding {
    let Some(case) = std::fs::read_to_string(dir.join("crash"))
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
    else {
        panic!(
            "fuzz {}: the child process failed before its first case: {status:?}\n{}",
            T::NAME,
            tail(stderr, 4000)
        );
    };
    let input = target.generate(case, &mut case_rng(plan.seed, case));
    let (kind, why) = match status {
        Some(status) => (
            "abort",
            format!("{} (exit: {status})", abort_reason(stderr)),
        ),
        None => (
            "hang",
            format!("still running {HANG_SECS}s after the time was up"),
        ),
    };
    let known = known::classify(T::NAME, kind, &why, &input).map(|k| k.id.to_owned());
    if known.is_none() {
        dump_input(dir, case, &input);
    }
    Finding {
        case,
        kind: kind.to_owned(),
        detail: format!("{why}{}", input.excerpt(400)),
        known,
    }
}

/// The last lines of a child's stderr.
fn tail(stderr: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(stderr);
    let start = s.len().saturating_sub(max);
    let start = (start..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len());
    s[start..].to_owned()
}

fn abort_reason(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr);
    if s.contains("has overflowed its stack") {
        "stack overflow".to_owned()
    } else if s.contains("memory allocation of") {
        let line = s
            .lines()
            .find(|l| l.contains("memory allocation of"))
            .unwrap_or_default();
        format!("over the memory limit: {}", line.trim())
    } else {
        format!("process died: {}", tail(stderr, 600).trim())
    }
}

fn dump_input(dir: &Path, case: u64, input: &Input) {
    let d = dir.join(format!("case-{case}"));
    let _ = std::fs::create_dir_all(&d);
    for (i, (name, bytes)) in input.files.iter().enumerate() {
        let file = name.rsplit('/').next().unwrap_or(name);
        let _ = std::fs::write(d.join(format!("{i}-{file}")), bytes);
    }
}

fn read_findings(dir: &Path) -> Vec<Finding> {
    std::fs::read_to_string(dir.join("findings.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Prints what the run did; fails the test on any finding that is not known.
fn report<T: Target>(test_name: &str, plan: &Plan, findings: &[Finding], dir: &Path) {
    let (known, new): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.known.is_some());
    eprintln!(
        "fuzz {}: {} findings, {} known",
        T::NAME,
        new.len(),
        known.len()
    );
    for k in known::KNOWN.iter().filter(|k| k.target == T::NAME) {
        let hits: Vec<u64> = known
            .iter()
            .filter(|f| f.known.as_deref() == Some(k.id))
            .map(|f| f.case)
            .collect();
        if !hits.is_empty() {
            eprintln!(
                "  known {} ({} cases, first {}): {}",
                k.id,
                hits.len(),
                hits[0],
                k.what
            );
        }
    }
    if new.is_empty() {
        return;
    }
    let mut msg = format!(
        "fuzz {}: {} findings (inputs of aborted cases in {})",
        T::NAME,
        new.len(),
        dir.display()
    );
    let mut seen = std::collections::HashSet::new();
    for f in &new {
        let sig = format!("{}:{}", f.kind, f.detail.lines().next().unwrap_or_default());
        if !seen.insert(sig) {
            continue;
        }
        let _ = write!(
            msg,
            "\n\n[{}] case {}: {}\n  reproduce: KUBESIFT_FUZZ_SEED={:#x} KUBESIFT_FUZZ_CASE={} cargo test --test fuzz {test_name} -- --nocapture",
            f.kind, f.case, f.detail, plan.seed, f.case
        );
        if seen.len() >= 12 {
            break;
        }
    }
    panic!("{msg}");
}

// ---------------------------------------------------------------- child

/// The message and place of the last panic, kept by the child's panic hook.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn child<T: Target>() {
    let var = |n: &str| std::env::var(n).unwrap();
    let seed: u64 = var("KUBESIFT_FUZZ_CHILD_SEED").parse().unwrap();
    let from: u64 = var("KUBESIFT_FUZZ_CHILD_FROM").parse().unwrap();
    let to: u64 = var("KUBESIFT_FUZZ_CHILD_TO").parse().unwrap();
    let secs: f64 = var("KUBESIFT_FUZZ_CHILD_SECS").parse().unwrap();
    let dir = PathBuf::from(var("KUBESIFT_FUZZ_CHILD_DIR"));
    assert_memory_cap_in_force();
    panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let msg = format!("panicked at {place}: {msg}");
        // Seen by the parent when the panic was not caught (outside a case).
        eprintln!("{msg}");
        if let Ok(mut last) = LAST_PANIC.lock() {
            // A panic in a thread of the code under test comes first, then its join.
            *last = Some(match last.take() {
                Some(first) => format!("{first}\n    then {msg}"),
                None => msg,
            });
        }
    }));
    let corpus = Corpus::load();
    let mut target = T::new(&corpus);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut findings = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("findings.jsonl"))
        .unwrap();
    let mut case = from;
    let mut slowest = (Duration::ZERO, 0);
    while case < to && Instant::now() < deadline {
        let input = target.generate(case, &mut case_rng(seed, case));
        std::fs::write(dir.join("crash"), format!("{seed} {case}\n")).unwrap();
        let started = Instant::now();
        let found = run_case(&mut target, &input);
        if started.elapsed() > slowest.0 || case % 256 == 0 {
            slowest = slowest.max((started.elapsed(), case));
            Stats::write(&dir, slowest);
        }
        if let Some((kind, detail)) = found {
            let known = known::classify(T::NAME, &kind, &detail, &input).map(|k| k.id.to_owned());
            let detail = format!("{detail}{}", input.excerpt(400));
            let f = Finding {
                case,
                kind,
                detail,
                known,
            };
            writeln!(findings, "{}", serde_json::to_string(&f).unwrap()).unwrap();
        }
        case += 1;
    }
    let _ = std::fs::remove_file(dir.join("crash"));
    Stats::write(&dir, slowest);
    std::fs::write(dir.join("done"), format!("{case}\n")).unwrap();
}

/// Runs one case under the memory limit; a panic or a broken oracle as (kind, detail).
fn run_case<T: Target>(target: &mut T, input: &Input) -> Option<(String, String)> {
    let alloc = &crate::ALLOC;
    if let Ok(mut last) = LAST_PANIC.lock() {
        *last = None;
    }
    let _ = alloc.set_limit(alloc.allocated().saturating_add(T::MEMORY_LIMIT));
    let result = panic::catch_unwind(AssertUnwindSafe(|| target.check(input)));
    let _ = alloc.set_limit(usize::MAX);
    match result {
        Ok(Ok(())) => None,
        Ok(Err(f)) => Some((f.kind, f.detail)),
        Err(_) => {
            let msg = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut p| p.take())
                .unwrap_or_else(|| "panicked".to_owned());
            Some(("panic".to_owned(), msg))
        }
    }
}

/// The memory bound is only a bound if the capped allocator is the one in use.
fn assert_memory_cap_in_force() {
    let alloc = &crate::ALLOC;
    alloc
        .set_limit(alloc.allocated() + (1 << 20))
        .expect("lower the limit");
    let mut v: Vec<u8> = Vec::new();
    let refused = v.try_reserve(16 << 20).is_err();
    let _ = alloc.set_limit(usize::MAX);
    assert!(refused, "the fuzz allocator's memory limit is not in force");
}

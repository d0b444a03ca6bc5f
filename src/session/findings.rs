//! The findings of a session: the ones stored in `findings.json` when they match the index's
//! commit and the default settings, else computed now (and stored when the settings are the
//! default ones); and the rule catalogue. Sigma rules (`--sigma`) run in the same pass, or
//! alone over the rows when the stored built-in findings are current.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Session;
use crate::detect::sigma::SigmaSet;
use crate::detect::{self, DetectOptions, Finding, rules};
use crate::index::store;

/// Settings that change what is detected (stored findings use the defaults).
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    /// More rule files (*.toml) to load; a rule with a built-in id replaces it.
    pub rules: Vec<PathBuf>,
    /// Pod networks, on top of the pod IPs learned from the data.
    pub pod_cidrs: Vec<ipnet::IpNet>,
    /// Events an account needs before anything it does counts as new.
    pub baseline_min_events: Option<u32>,
    /// Time span (microseconds) an account's history needs before anything counts as new.
    pub baseline_min_span: Option<i64>,
    /// The analyst's Sigma rules, run beside the built-in ones.
    pub sigma: Option<Arc<SigmaSet>>,
    /// Addresses whose every request is reported.
    pub bad_addresses: Vec<ipnet::IpNet>,
    /// Images allowed in workloads (globs); empty: no allow list.
    pub image_allow: Vec<crate::query::glob::Glob>,
}

impl Tuning {
    fn is_default(&self) -> bool {
        self.builtin_is_default() && self.sigma_rules().is_empty()
    }

    /// The built-in detections run with their default settings.
    fn builtin_is_default(&self) -> bool {
        self.rules.is_empty()
            && self.pod_cidrs.is_empty()
            && self.baseline_min_events.is_none()
            && self.baseline_min_span.is_none()
            && self.bad_addresses.is_empty()
            && self.image_allow.is_empty()
    }

    fn sigma_rules(&self) -> &[detect::sigma::SigmaRule] {
        self.sigma.as_deref().map_or(&[], |s| s.rules.as_slice())
    }

    fn options(&self) -> DetectOptions {
        let mut o = DetectOptions {
            pod_cidrs: self.pod_cidrs.clone(),
            bad_addresses: self.bad_addresses.clone(),
            image_allow: self.image_allow.clone(),
            ..DetectOptions::default()
        };
        if let Some(n) = self.baseline_min_events {
            o.min_history_events = n;
        }
        if let Some(s) = self.baseline_min_span {
            o.min_history_span = s;
        }
        o
    }
}

impl Session {
    /// The findings: stored ones when fresh and default (unless `recompute`), else computed
    /// now — and stored, when the settings are the default ones.
    pub fn findings(&self, tuning: &Tuning, recompute: bool) -> anyhow::Result<Vec<Finding>> {
        let (dir, opstamp) = (self.dir(), self.reader.opstamp());
        if !tuning.is_default() {
            if tuning.builtin_is_default()
                && !recompute
                && let Some(mut f) = store::load_findings(dir, opstamp)
            {
                f.extend(self.sigma_findings(tuning.sigma_rules())?);
                detect::finding::sort(&mut f);
                return Ok(f);
            }
            return self.compute(tuning);
        }
        if !recompute && let Some(f) = store::load_findings(dir, opstamp) {
            return Ok(f);
        }
        let f = self.compute(tuning)?;
        store::save_findings(dir, opstamp, &f)?;
        Ok(f)
    }

    /// The findings with the default settings and the session's Sigma rules, if any (what
    /// the workbench and exports show).
    pub fn default_findings(&self) -> anyhow::Result<Vec<Finding>> {
        let tuning = Tuning {
            sigma: self.sigma.clone(),
            ..Tuning::default()
        };
        self.findings(&tuning, false)
    }

    /// Computes and stores the default findings; returns them and the time taken.
    pub fn refresh_findings(&self) -> anyhow::Result<(Vec<Finding>, Duration)> {
        let started = Instant::now();
        let findings = self.compute(&Tuning::default())?;
        store::save_findings(self.dir(), self.reader.opstamp(), &findings)?;
        Ok((findings, started.elapsed()))
    }

    /// Runs the detections over the whole index.
    fn compute(&self, tuning: &Tuning) -> anyhow::Result<Vec<Finding>> {
        let rules = load_rules(&tuning.rules)?;
        let rows = self.reader.rows()?;
        let sigma = tuning.sigma_rules();
        detect::engine::detect_with_sigma(&rows, &rules, sigma, &tuning.options(), &self.reader)
            .map_err(|e| anyhow::anyhow!("cannot read the index: {e}"))
    }

    /// Runs only Sigma rules over the whole index.
    fn sigma_findings(&self, sigma: &[detect::sigma::SigmaRule]) -> anyhow::Result<Vec<Finding>> {
        let rows = self.reader.rows()?;
        detect::engine::sigma_only(&rows, sigma, &self.reader)
            .map_err(|e| anyhow::anyhow!("cannot read the index: {e}"))
    }

    /// Sigma rules shown beside the built-in findings by [`Session::default_findings`]
    /// (the workbench's `--sigma`).
    pub fn set_sigma(&mut self, sigma: Option<Arc<SigmaSet>>) {
        self.sigma = sigma;
    }
}

/// The Sigma rules of `dirs`, with the ones that could not be loaded.
pub fn load_sigma(dirs: &[PathBuf]) -> anyhow::Result<SigmaSet> {
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    detect::sigma::load(&dirs).map_err(|e| anyhow::anyhow!("cannot read Sigma rules: {e}"))
}

/// Every detection rule, data (built in, then from `dirs`) and code, in catalogue order.
pub fn rule_catalogue(dirs: &[PathBuf]) -> anyhow::Result<Vec<rules::Rule>> {
    Ok(detect::engine::all_rules(&load_rules(dirs)?))
}

/// The data rules: built in, then from `dirs`; checked.
fn load_rules(dirs: &[PathBuf]) -> anyhow::Result<Vec<rules::Rule>> {
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let rules = rules::load(&dirs)?;
    rules::validate(&rules)?;
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{IndexDir, IngestOptions, Progress, ingest};

    struct Quiet;

    impl Progress for Quiet {
        fn start(&self, _: u64) {}
        fn update(&self, _: u64, _: u64) {}
        fn finish(&self) {}
    }

    /// Every secret of the cluster read in one request: a finding on its own.
    const LIST_ALL_SECRETS: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"s-1","stage":"ResponseComplete","requestURI":"/api/v1/secrets","verb":"list","user":{"username":"alice@example.com","groups":["system:authenticated"]},"sourceIPs":["10.8.0.14"],"userAgent":"kubectl/v1.29.1","objectRef":{"resource":"secrets","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-01-10T08:00:00.000000Z","stageTimestamp":"2026-01-10T08:00:00.012000Z","annotations":{"authorization.k8s.io/decision":"allow"}}"#;

    fn session_on(log: &str) -> (tempfile::TempDir, Session) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("audit.log");
        std::fs::write(&path, format!("{log}\n")).unwrap();
        let dir = IndexDir::new(tmp.path().join("idx"));
        ingest(&dir, &[path], &IngestOptions::default(), &Quiet).unwrap();
        let session = Session::open(&dir).unwrap();
        (tmp, session)
    }

    /// A scan reads rows on a thread of its own, a chunk of each segment's column at a time:
    /// every event comes once, oldest first, across chunk and segment boundaries, with the
    /// values of its own document (columns a document has no value in included).
    #[test]
    fn a_scan_yields_every_row_once_in_time_order_with_its_own_values() {
        use crate::detect::row::RowSource;
        let tmp = tempfile::tempdir().unwrap();
        // Event i: user `u{i}`; a code when i % 3 != 0; a source IP when i % 5 == 0; a verb
        // that sets facts (`create` of a pod with a host path) when i % 7 == 0.
        let event = |i: u32| {
            let code = if i % 3 == 0 {
                String::new()
            } else {
                format!(r#","responseStatus":{{"code":{}}}"#, 200 + i % 300)
            };
            let ips = if i % 5 == 0 {
                format!(r#","sourceIPs":["10.1.{}.{}"]"#, i / 250, i % 250)
            } else {
                String::new()
            };
            let (verb, body) = if i % 7 == 0 {
                (
                    "create",
                    r#","requestObject":{"kind":"Pod","spec":{"volumes":[{"name":"h","hostPath":{"path":"/"}}],"containers":[{"name":"c","image":"x"}]}}"#,
                )
            } else {
                ("list", "")
            };
            format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"id-{i}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns/pods","verb":"{verb}","user":{{"username":"u{i}"}}{ips},"objectRef":{{"resource":"pods","namespace":"ns","apiVersion":"v1"}}{code}{body},"requestReceivedTimestamp":"2026-01-10T08:{:02}:{:02}.{:06}Z","stageTimestamp":"2026-01-10T08:00:00Z"}}"#,
                i / 3600 % 60,
                i / 60 % 60,
                i % 60
            )
        };
        // Two files whose times interleave: even events in one, odd in the other.
        let paths: Vec<_> = (0..2u32)
            .map(|f| {
                let path = tmp.path().join(format!("audit-{f}.log"));
                let lines: Vec<String> = (0..2500u32).map(|i| event(i * 2 + f)).collect();
                std::fs::write(&path, lines.join("\n")).unwrap();
                path
            })
            .collect();
        let dir = IndexDir::new(tmp.path().join("idx"));
        ingest(&dir, &paths, &IngestOptions::default(), &Quiet).unwrap();
        let session = Session::open(&dir).unwrap();
        let rows = session.reader.rows().unwrap();
        let v = rows.vocab();
        let (mut seen, mut docs, mut wrong) =
            (Vec::new(), std::collections::HashSet::new(), Vec::new());
        rows.scan(&mut |r| {
            let i: u32 = v.s(r.user).trim_start_matches('u').parse().unwrap();
            seen.push(i);
            docs.insert(r.doc);
            let code = if i % 3 == 0 { 0 } else { 200 + i % 300 };
            let ip = if i % 5 == 0 {
                format!("10.1.{}.{}", i / 250, i % 250)
            } else {
                String::new()
            };
            let facts = !r.facts.is_empty();
            if u32::from(r.code) != code
                || r.peer.to_string() != ip
                || facts != (i % 7 == 0)
                || v.s(r.verb).is_empty()
            {
                wrong.push(format!(
                    "event {i}: code {}, peer {:?}, facts {facts}",
                    r.code,
                    r.peer.to_string()
                ));
            }
        })
        .unwrap();
        assert_eq!(seen.len(), 5000);
        assert_eq!(docs.len(), 5000, "no row twice");
        assert!(seen.iter().copied().eq(0..5000), "oldest first");
        assert!(
            wrong.is_empty(),
            "{} rows wrong: {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        );
    }

    /// A request whose later stage came in a later ingest replaced its first document (a
    /// delete and an add): the chunked row reader skips the deleted one and reads the new
    /// one's values.
    #[test]
    fn a_scan_reads_a_replaced_event_once_with_its_later_stage() {
        use crate::detect::row::RowSource;
        let tmp = tempfile::tempdir().unwrap();
        let record = |i: u32, stage: &str, code: &str| {
            format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-{i}","stage":"{stage}","requestURI":"/api/v1/pods","verb":"list","user":{{"username":"u{i}"}},"objectRef":{{"resource":"pods","apiVersion":"v1"}}{code},"requestReceivedTimestamp":"2026-01-10T08:{:02}:{:02}Z","stageTimestamp":"2026-01-10T09:00:00Z"}}"#,
                i / 60 % 60,
                i % 60
            )
        };
        let first: Vec<String> = (0..1500u32)
            .map(|i| record(i, "RequestReceived", ""))
            .collect();
        let path1 = tmp.path().join("a.log");
        std::fs::write(&path1, first.join("\n")).unwrap();
        let path2 = tmp.path().join("b.log");
        let later = [700u32, 1300]
            .map(|i| record(i, "ResponseComplete", r#","responseStatus":{"code":201}"#));
        std::fs::write(&path2, later.join("\n")).unwrap();
        let dir = IndexDir::new(tmp.path().join("idx"));
        ingest(&dir, &[path1], &IngestOptions::default(), &Quiet).unwrap();
        ingest(&dir, &[path2], &IngestOptions::default(), &Quiet).unwrap();
        let session = Session::open(&dir).unwrap();
        let rows = session.reader.rows().unwrap();
        let v = rows.vocab();
        let mut seen = Vec::new();
        rows.scan(&mut |r| {
            let i: u32 = v.s(r.user).trim_start_matches('u').parse().unwrap();
            seen.push((i, r.code));
        })
        .unwrap();
        assert_eq!(seen.len(), 1500, "a replaced event once");
        assert!(seen.iter().map(|(i, _)| *i).eq(0..1500), "oldest first");
        let coded: Vec<_> = seen.iter().filter(|(_, c)| *c != 0).collect();
        assert_eq!(
            coded,
            [&(700, 201), &(1300, 201)],
            "the later stage's values"
        );
    }

    #[test]
    fn stored_findings_are_shown_while_current_and_only_default_ones_are_stored() {
        let (_tmp, session) = session_on(LIST_ALL_SECRETS);
        let computed = session.default_findings().unwrap();
        assert!(!computed.is_empty(), "the event makes a finding");
        let file = session.dir().findings();
        assert!(file.exists(), "default findings are stored");

        // The stored findings of the current commit are what is shown, as they are.
        let mut stored: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        stored["findings"] = serde_json::json!([]);
        std::fs::write(&file, stored.to_string()).unwrap();
        assert!(session.default_findings().unwrap().is_empty());

        // Recomputing finds them again and stores them.
        let again = session.findings(&Tuning::default(), true).unwrap();
        assert_eq!(again.len(), computed.len());
        assert_eq!(session.default_findings().unwrap().len(), computed.len());

        // Other settings compute without storing anything.
        std::fs::remove_file(&file).unwrap();
        let tuned = Tuning {
            baseline_min_events: Some(1),
            ..Tuning::default()
        };
        assert!(!session.findings(&tuned, false).unwrap().is_empty());
        assert!(!file.exists(), "tuned findings were stored");
    }
}

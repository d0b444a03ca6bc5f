//! The findings of a session: the ones stored in `findings.json` when they match the index's
//! commit and the default settings, else computed now (and stored when the settings are the
//! default ones); and the rule catalogue.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Session;
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
}

impl Tuning {
    fn is_default(&self) -> bool {
        self.rules.is_empty()
            && self.pod_cidrs.is_empty()
            && self.baseline_min_events.is_none()
            && self.baseline_min_span.is_none()
    }

    fn options(&self) -> DetectOptions {
        let mut o = DetectOptions {
            pod_cidrs: self.pod_cidrs.clone(),
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
            return self.compute(tuning);
        }
        if !recompute && let Some(f) = store::load_findings(dir, opstamp) {
            return Ok(f);
        }
        let f = self.compute(tuning)?;
        store::save_findings(dir, opstamp, &f)?;
        Ok(f)
    }

    /// The findings with the default settings (what the workbench and exports show).
    pub fn default_findings(&self) -> anyhow::Result<Vec<Finding>> {
        self.findings(&Tuning::default(), false)
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
        detect::detect(&rows, &rules, &tuning.options(), &self.reader)
            .map_err(|e| anyhow::anyhow!("cannot read the index: {e}"))
    }
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

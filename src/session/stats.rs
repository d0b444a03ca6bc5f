//! What an index holds (`kubesift stats`): counts, time span, inputs and the top values of a
//! few pivots; and every record it refused (`kubesift rejects`), read back from the rejects
//! files. The structures serialize as `stats --format json` prints them.

use std::io::{BufRead, BufReader};

use serde::Serialize;

use super::Session;
use crate::ingest::Reject;
use crate::query::Expr;

/// The pivots `stats` lists, with their titles: the registry's counted pivots, by rank.
fn pivots() -> Vec<(&'static str, &'static str)> {
    crate::model::fields::pivots()
        .into_iter()
        .filter_map(|(f, p)| Some((f.name, p.title?)))
        .collect()
}

#[derive(Serialize)]
pub struct Stats {
    pub events: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub files: usize,
    pub records: u64,
    pub merged: u64,
    pub rejected: u64,
    pub inputs: Vec<InputStat>,
    pub top: Vec<TopList>,
}

#[derive(Serialize)]
pub struct InputStat {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub gzip: bool,
    pub records: u64,
    pub rejected: u64,
    /// Rejects counted in `rejected` but not stored, by reason; absent when none.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub rejects_not_stored: std::collections::BTreeMap<String, u64>,
    pub truncated: bool,
    /// The input formats its events were read as (`native`, `eks-s3`, `gke`…).
    pub formats: Vec<String>,
    /// Lines expected in the format but not audit data (klog lines…); absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped: u64,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's `skip_serializing_if` passes a reference"
)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Serialize)]
pub struct TopList {
    pub field: &'static str,
    pub values: Vec<TopValue>,
}

#[derive(Serialize)]
pub struct TopValue {
    pub value: String,
    pub count: u64,
}

impl Session {
    /// What the index holds, with the `n` most frequent values of each pivot.
    pub fn stats(&self, n: usize) -> anyhow::Result<Stats> {
        let m = self.manifest();
        let events = self.reader.num_events();
        let records = m.total(|f| f.records);
        let span = self.reader.time_span()?;
        Ok(Stats {
            events,
            first: span.map(|(a, _)| a.to_string()),
            last: span.map(|(_, b)| b.to_string()),
            files: m.complete_files().count(),
            records,
            merged: records.saturating_sub(events),
            rejected: m.total(|f| f.rejected),
            inputs: self.input_stats(),
            top: self.top_lists(n)?,
        })
    }

    fn input_stats(&self) -> Vec<InputStat> {
        self.manifest()
            .complete_files()
            .map(|f| InputStat {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                bytes: f.size,
                gzip: f.gzip,
                records: f.records,
                rejected: f.rejected,
                rejects_not_stored: f.rejects_not_stored.clone(),
                truncated: f.truncated,
                formats: f.formats.clone(),
                skipped: f.skipped,
            })
            .collect()
    }

    fn top_lists(&self, n: usize) -> anyhow::Result<Vec<TopList>> {
        let mut top = Vec::new();
        for (field, title) in pivots() {
            let (values, _) = self.reader.top(&Expr::All, field, n)?;
            top.push(TopList {
                field: title,
                values: values
                    .into_iter()
                    .map(|(value, count)| TopValue { value, count })
                    .collect(),
            });
        }
        Ok(top)
    }

    /// The inputs that had rejects: their path, id, exact count and the rejects counted
    /// but not stored, by reason.
    pub fn rejected_inputs(&self) -> Vec<RejectedInput> {
        self.manifest()
            .complete_files()
            .filter(|f| f.rejected > 0)
            .map(|f| RejectedInput {
                id: f.id,
                path: f.path.clone(),
                rejected: f.rejected,
                not_stored: f.rejects_not_stored.clone(),
            })
            .collect()
    }

    /// Calls `visit` on every stored reject of `inputs`, one line at a time (never all held
    /// at once); returns how many. A broken pipe (`| head`) ends the listing quietly.
    pub fn each_reject(
        &self,
        inputs: &[RejectedInput],
        mut visit: impl FnMut(&Reject) -> std::io::Result<()>,
    ) -> anyhow::Result<u64> {
        let mut n = 0;
        for f in inputs {
            let path = self.dir().rejects_file(f.id);
            let file = std::fs::File::open(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            for line in BufReader::new(file).lines() {
                let Ok(r) = serde_json::from_str::<Reject>(&line?) else {
                    continue;
                };
                match visit(&r) {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(n),
                    other => other?,
                }
                n += 1;
            }
        }
        Ok(n)
    }
}

/// An input with rejected records.
pub struct RejectedInput {
    pub id: u64,
    pub path: String,
    /// Every reject, stored or not.
    pub rejected: u64,
    /// Rejects counted but not stored, by reason.
    pub not_stored: std::collections::BTreeMap<String, u64>,
}

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
    pub truncated: bool,
    /// The input formats its events were read as (`native`, `eks-s3`, `gke`…).
    pub formats: Vec<String>,
    /// Lines expected in the format but not audit data (klog lines…); absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped: u64,
}

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

    /// Every rejected record of the indexed inputs, from the rejects files.
    pub fn rejects(&self) -> anyhow::Result<Vec<Reject>> {
        let mut all: Vec<Reject> = Vec::new();
        for f in self.manifest().complete_files().filter(|f| f.rejected > 0) {
            let path = self.dir().rejects_file(f.id);
            let file = std::fs::File::open(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            for line in BufReader::new(file).lines() {
                if let Ok(r) = serde_json::from_str::<Reject>(&line?) {
                    all.push(r);
                }
            }
        }
        Ok(all)
    }
}

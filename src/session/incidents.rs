//! The incidents of a session: its findings (stored or computed) linked into stories with
//! the evidence of the index's columns ([`crate::incidents`]).

use super::Session;
use crate::incidents::{self, Incident};

impl Session {
    /// The incidents of the default findings (with the session's Sigma rules), most severe
    /// first.
    pub fn incidents(&self) -> anyhow::Result<Vec<Incident>> {
        let findings = self.default_findings()?;
        incidents::compute(&self.reader, &findings)
    }

    /// The incidents of these findings (the workbench's, loaded once).
    pub fn incidents_of(
        &self,
        findings: &[crate::detect::Finding],
    ) -> anyhow::Result<Vec<Incident>> {
        incidents::compute(&self.reader, findings)
    }

    /// One incident by its id.
    /// The incident `id`, or else the one incident whose id starts with `id` (with or
    /// without its `INC-`, in any case: `c60fa2ae`); a prefix several ids start with is an
    /// error naming them.
    pub fn incident(&self, id: &str) -> anyhow::Result<Option<Incident>> {
        let all = self.incidents()?;
        if let Some(exact) = all.iter().find(|i| i.id == id) {
            return Ok(Some(exact.clone()));
        }
        let want = id.trim().to_ascii_lowercase();
        if want.is_empty() {
            return Ok(None);
        }
        let mut found: Vec<Incident> = all
            .into_iter()
            .filter(|i| {
                let have = i.id.to_ascii_lowercase();
                have.starts_with(&want)
                    || have
                        .strip_prefix("inc-")
                        .is_some_and(|h| h.starts_with(&want))
            })
            .collect();
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            _ => {
                let ids: Vec<&str> = found.iter().map(|i| i.id.as_str()).collect();
                anyhow::bail!(
                    "incident prefix {id} is ambiguous: {} incidents start with it; give more of it:\n  {}",
                    ids.len(),
                    ids.join("\n  ")
                )
            }
        }
    }
}

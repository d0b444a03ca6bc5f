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
    pub fn incident(&self, id: &str) -> anyhow::Result<Option<Incident>> {
        Ok(self.incidents()?.into_iter().find(|i| i.id == id))
    }
}

//! The story of an identity and of the data set, from the index's columns: its sessions as
//! commands, its credentials' lineage, its access granted against used, and the data set's
//! blind spots (`story` computes; this hands it the reader and the rule catalogue).

use super::Session;
use crate::model::Micros;
use crate::query::{Expr, TimeSpec};
use crate::story::access::Access;
use crate::story::coverage::Coverage;
use crate::story::lineage::Lineage;
use crate::story::sessions::{self, ActorSession};
use crate::story::{self, Identity, Req};

impl Session {
    /// The requests of `who` between `since` and `until`, in time order.
    pub fn requests_of(
        &self,
        who: &Identity,
        since: Option<TimeSpec>,
        until: Option<TimeSpec>,
    ) -> anyhow::Result<Vec<Req>> {
        let expr = who.expr().and(Expr::time_window(since, until));
        Ok(story::requests(&self.reader, &expr)?)
    }

    /// The sessions of `who`: commands from one address and client, split by idle gaps of
    /// more than `gap_micros`.
    pub fn sessions_of(
        &self,
        who: &Identity,
        since: Option<TimeSpec>,
        until: Option<TimeSpec>,
        gap_micros: i64,
    ) -> anyhow::Result<Vec<ActorSession>> {
        let reqs = self.requests_of(who, since, until)?;
        Ok(sessions::sessions(&reqs, gap_micros))
    }

    /// What `account` was granted (as of `at`) against what it used.
    pub fn access(&self, account: &str, at: Option<TimeSpec>) -> anyhow::Result<Access> {
        let newest = self.reader.time_span()?.map_or(Micros(0), |(_, b)| b);
        let at = at.map(|spec| spec.resolve(newest));
        Ok(story::access_of(&self.reader, account, at)?)
    }

    /// Every credential of `who`: its pod, node, addresses and clients, use away from home
    /// flagged.
    pub fn lineage(&self, who: &Identity) -> anyhow::Result<Vec<Lineage>> {
        Ok(story::lineage_of(&self.reader, who)?)
    }

    /// What the data set cannot show, with the detections each blind spot silences.
    pub fn coverage(&self) -> anyhow::Result<Coverage> {
        let catalogue = super::rule_catalogue(&[])?;
        Ok(story::coverage(&self.reader, &catalogue)?)
    }
}

//! Incidents: the findings linked into attack stories. An incident is a connected set of
//! findings, linked by evidence that one actor moved from one identity or foothold to the
//! next — the same source address used by different identities, an exec into a pod whose
//! token is then used, a foothold on a node whose credentials are then used, a token minted,
//! an impersonation or a binding for a subject that then acts. A finding linked to nothing
//! is its own incident. The JSON shape of [`Incident`] is a contract (README, "Incidents
//! contract").
//!
//! The evidence comes from the findings, the events behind them (a bounded number per
//! finding, loaded by audit ID) and one scan of the index's columns (which addresses are
//! nodes', which pod runs on which node, how many identities use each address) — never from
//! loading every event. [`clues`] turns events into clues, [`link`] weighs the clues into
//! links, `story` assembles the incidents (pure), [`gather`] reads the index.
//!
//! Layering: after `detect` and `index`, before `ingest`, `export` and `session`; imports
//! `model`, `detect` and `index`.

pub mod clues;
pub mod gather;
pub mod link;
mod story;

use serde::{Deserialize, Serialize};

use crate::detect::Severity;
use crate::detect::finding::Attack;

pub use gather::compute;
pub use link::Context;
pub use story::build;

/// One incident: a story of linked findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `INC-` and twelve hex digits derived from its findings: stable across runs.
    pub id: String,
    pub title: String,
    /// The worst finding's, one step higher when the chain crosses identities through a
    /// credential, a binding or an impersonation.
    pub severity: Severity,
    pub first_seen: String,
    pub last_seen: String,
    pub identities: Vec<String>,
    pub source_ips: Vec<String>,
    /// ATT&CK tactics in kill-chain order.
    pub tactics: Vec<String>,
    /// The findings in time order, each with the link that ties it in.
    pub steps: Vec<Step>,
    /// Every event of the story, in the order of its steps.
    pub audit_ids: Vec<String>,
    pub advice: Vec<String>,
    /// Identities, pods, nodes and addresses, and the links between them.
    pub graph: Graph,
}

impl Incident {
    /// For a step with no link to an earlier one (not the first): the first later step that
    /// ties to it, and that link — the step starts a thread of the story.
    pub fn tied_from_later(&self, n: usize) -> Option<(usize, &Link)> {
        self.steps
            .iter()
            .enumerate()
            .find_map(|(m, s)| s.link.as_ref().filter(|l| l.to_step == n).map(|l| (m, l)))
    }

    /// How a step without a link reads: the first step, or a thread that a later step ties to.
    pub fn thread_start(&self, n: usize) -> String {
        if n == 0 {
            return "the first step".to_owned();
        }
        let later: Vec<usize> = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.link.as_ref().is_some_and(|l| l.to_step == n))
            .map(|(m, _)| m + 1)
            .collect();
        match (self.tied_from_later(n), later.len()) {
            (Some((m, l)), 1) => format!("starts a thread: step {} ({}) ties to it", m + 1, l.kind),
            (Some(_), k) => {
                let shown: Vec<String> = later.iter().take(6).map(ToString::to_string).collect();
                let more = if k > 6 { ", …" } else { "" };
                format!(
                    "starts a thread: {k} later steps tie to it ({}{more})",
                    shown.join(", ")
                )
            }
            (None, _) => "starts a thread".to_owned(),
        }
    }
}

/// One finding of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub time: String,
    pub last_seen: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub account: String,
    pub source_ips: Vec<String>,
    pub tactic: String,
    pub attack: Option<Attack>,
    pub summary: String,
    pub audit_ids: Vec<String>,
    /// How this step is tied to an earlier one; `None` for the first step of the chain.
    pub link: Option<Link>,
}

/// A link between two steps, with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// `same-actor`, `shared-address`, `named-address`, `pod-token`, `node-credential`,
    /// `minted-token`, `impersonation`, `binding-subject`, `workload`.
    pub kind: String,
    /// The index (in `steps`) of the step it ties to.
    pub to_step: usize,
    pub explanation: String,
}

/// The entities of a story and how they are connected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphNode {
    /// `identity`, `address`, `pod`, `node`, `workload`.
    pub kind: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEdge {
    /// Indexes into `nodes`.
    pub from: usize,
    pub to: usize,
    pub label: String,
}

/// Sorts incidents most severe first, then by time and id.
pub fn sort(incidents: &mut [Incident]) {
    incidents.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.steps.len().cmp(&a.steps.len()))
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests;

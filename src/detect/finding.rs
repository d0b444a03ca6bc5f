//! Findings: what `detect` reports, one per (rule, account, burst in time). The JSON shape
//! is a contract (README, "Findings contract").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::Micros;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step down (info stays info).
    #[must_use]
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown severity `{s}` (info, low, medium, high, critical)"))
    }
}

/// The threat family of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    AnonymousAccess,
    ServiceAccountAnomaly,
    RemoteExec,
    NodeCompromise,
    SecretAccess,
    PrivilegeEscalation,
    Persistence,
    DefenseEvasion,
}

impl Family {
    pub const ALL: [Family; 8] = [
        Family::AnonymousAccess,
        Family::ServiceAccountAnomaly,
        Family::RemoteExec,
        Family::NodeCompromise,
        Family::SecretAccess,
        Family::PrivilegeEscalation,
        Family::Persistence,
        Family::DefenseEvasion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::AnonymousAccess => "anonymous-access",
            Family::ServiceAccountAnomaly => "service-account-anomaly",
            Family::RemoteExec => "remote-exec",
            Family::NodeCompromise => "node-compromise",
            Family::SecretAccess => "secret-access",
            Family::PrivilegeEscalation => "privilege-escalation",
            Family::Persistence => "persistence",
            Family::DefenseEvasion => "defense-evasion",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown family `{s}` ({})", all.join(", "))
            })
    }
}

/// A technique of MITRE ATT&CK (Containers) or the Microsoft Threat Matrix for Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attack {
    pub id: String,
    pub name: String,
}

/// One finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub family: Family,
    pub severity: Severity,
    pub attack: Option<Attack>,
    pub first_seen: String,
    pub last_seen: String,
    pub account: String,
    pub source_ips: Vec<String>,
    pub namespaces: Vec<String>,
    /// Every event the finding stands on, in time order.
    pub audit_ids: Vec<String>,
    pub count: usize,
    /// One readable line: what happened and why it fired.
    pub summary: String,
    /// The fields that matched; for anomalies, the history they were compared with.
    pub evidence: serde_json::Value,
    /// The hardening that would have prevented it.
    pub advice: String,
}

impl Finding {
    pub fn first_seen_micros(&self) -> Micros {
        Micros::parse(&self.first_seen).unwrap_or_default()
    }
}

/// The stable order of a report: most severe first, then by time, rule and account.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.account.cmp(&b.account))
    });
}

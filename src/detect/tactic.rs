//! The ATT&CK tactic of a finding and the kill-chain order of tactics (the order of the
//! Enterprise matrix, reconnaissance first, impact last). Findings carry the technique; the
//! tactic comes from a table of the techniques the rule sets name (a technique of several
//! tactics takes the one it serves in Kubernetes attacks). A finding whose technique is not
//! in the table takes the tactic of its rule and family. The workbench's kill-chain order
//! and the incidents' tactics both read it, so they always agree.

use super::finding::{Family, Finding};

/// The tactics, in kill-chain order.
pub const TACTICS: [&str; 14] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// Technique (without sub-technique) → index in [`TACTICS`].
const TECHNIQUES: &[(&str, usize)] = &[
    ("T1595", 0),
    ("T1584", 1),
    ("T1190", 2),
    ("T1133", 2),
    ("T1078", 2),
    ("T1059", 3),
    ("T1609", 3),
    ("T1610", 3),
    ("T1053", 3),
    ("T1098", 4),
    ("T1136", 4),
    ("T1543", 4),
    ("MS-TA9015", 4),
    ("T1611", 5),
    ("T1068", 5),
    ("T1036", 6),
    ("T1070", 6),
    ("T1562", 6),
    ("T1550", 6),
    ("T1552", 7),
    ("T1528", 7),
    ("T1649", 7),
    ("T1613", 8),
    ("T1069", 8),
    ("T1087", 8),
    ("T1046", 8),
    ("T1105", 11),
    ("T1572", 11),
    ("T1090", 11),
    ("T1496", 13),
    ("T1485", 13),
    ("T1498", 13),
    ("T1499", 13),
];

/// A finding's tactic: its place in the kill chain and its name.
pub fn tactic(f: &Finding) -> (usize, &'static str) {
    let base = f.attack.as_ref().map(|a| {
        a.id.split('.')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase()
    });
    let index = base
        .and_then(|b| TECHNIQUES.iter().find(|(t, _)| *t == b))
        .map_or_else(|| by_rule(f), |&(_, i)| i);
    (index, TACTICS[index])
}

/// The tactic of a finding whose technique the table does not know.
fn by_rule(f: &Finding) -> usize {
    let r = f.rule_id.as_str();
    let name = if ["ENUMERATION", "SELF-PERMISSION", "DENIED-BURST"]
        .iter()
        .any(|w| r.contains(w))
    {
        "discovery"
    } else if r.contains("PORTFORWARD") {
        "lateral-movement"
    } else {
        match f.family {
            Family::AnonymousAccess | Family::ServiceAccountAnomaly => "initial-access",
            Family::RemoteExec => "execution",
            Family::NodeCompromise | Family::PrivilegeEscalation => "privilege-escalation",
            Family::SecretAccess => "credential-access",
            Family::Persistence => "persistence",
            Family::DefenseEvasion => "defense-evasion",
        }
    };
    TACTICS
        .iter()
        .position(|t| *t == name)
        .unwrap_or(TACTICS.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::finding::Attack;
    use crate::detect::finding::Severity;

    fn finding(rule: &str, family: Family) -> Finding {
        Finding {
            rule_id: rule.into(),
            title: String::new(),
            family,
            severity: Severity::High,
            attack: None,
            first_seen: String::new(),
            last_seen: String::new(),
            account: String::new(),
            source_ips: vec![],
            namespaces: vec![],
            audit_ids: vec![],
            count: 1,
            summary: String::new(),
            evidence: serde_json::Value::Null,
            advice: String::new(),
        }
    }

    fn with(id: &str) -> Finding {
        let mut f = finding("KS-X", Family::RemoteExec);
        f.attack = Some(Attack {
            id: id.into(),
            name: String::new(),
        });
        f
    }

    #[test]
    fn techniques_map_to_tactics_in_kill_chain_order() {
        assert_eq!(tactic(&with("T1190")), (2, "initial-access"));
        assert_eq!(tactic(&with("T1609")).1, "execution");
        assert_eq!(tactic(&with("T1552.007")).1, "credential-access");
        assert!(tactic(&with("T1609")).0 < tactic(&with("T1552.007")).0);
        // An unknown technique, or none, takes the tactic of the rule and family.
        assert_eq!(tactic(&with("T9999")).1, "execution");
        assert_eq!(
            tactic(&finding("KS-ANON-ENUMERATION", Family::AnonymousAccess)).1,
            "discovery"
        );
        assert_eq!(
            tactic(&finding("KS-SECRET-X", Family::SecretAccess)).1,
            "credential-access"
        );
    }
}

//! The kill-chain order of findings: the ATT&CK tactic of each finding's technique, in the
//! order of the Enterprise matrix (reconnaissance first, impact last). Findings carry the
//! technique only; the tactic comes from this table of the techniques the rule sets name
//! (a technique of several tactics takes the one it serves in Kubernetes attacks). A
//! technique not in it, or a finding without one, sorts last.

use crate::detect::Finding;

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

/// A finding's tactic: its place in the kill chain and its name (`unknown` last).
pub fn tactic(f: &Finding) -> (usize, &'static str) {
    let base = f.attack.as_ref().map(|a| {
        a.id.split('.')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase()
    });
    base.and_then(|b| TECHNIQUES.iter().find(|(t, _)| *t == b))
        .map_or((TACTICS.len(), "unknown"), |&(_, i)| (i, TACTICS[i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::finding::Attack;
    use crate::tui::components::testing::finding;

    fn with(id: &str) -> Finding {
        let mut f = finding("KS-X", &["a"]);
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
        assert_eq!(tactic(&with("T9999")).1, "unknown");
        assert_eq!(tactic(&finding("KS-Y", &["b"])).0, TACTICS.len());
    }
}

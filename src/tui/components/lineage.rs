//! The lineage section of the detail view: the selected event's credential, where it came
//! from and everywhere it was used — token id → bound pod and uid → node → addresses →
//! clients, and for a certificate the CSR that asked for it — as `kubesift lineage
//! --credential` computes it (`story::lineage`, for this one credential, on the index
//! thread, only when an event is opened). A use away from the pod or node is flagged.

use super::columns;
use crate::story::lineage::{Lineage, Seen};

/// The section's title in the detail view.
pub const SECTION: &str = "credential lineage";

/// One line of the section: a label, its value, and whether it flags a use away from home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub label: String,
    pub value: String,
    pub away: bool,
}

/// What the detail shows while the lineage is computed, or when the event names no
/// credential.
pub fn pending(credential: Option<&str>) -> Vec<Entry> {
    let value = match credential {
        Some(_) => "computing…".to_owned(),
        None => "the event names no credential id (authentication.kubernetes.io/credential-id): no lineage".to_owned(),
    };
    vec![field("lineage", value)]
}

fn field(label: &str, value: String) -> Entry {
    Entry {
        label: label.to_owned(),
        value,
        away: false,
    }
}

fn flagged(label: &str, value: String) -> Entry {
    Entry {
        label: label.to_owned(),
        value,
        away: true,
    }
}

fn seen(s: &Seen, tz: &jiff::tz::TimeZone) -> String {
    format!(
        "{} · {} · {} .. {}",
        if s.value.is_empty() { "-" } else { &s.value },
        crate::model::plural(s.requests, "request"),
        columns::time_cell(s.first, tz, 19),
        columns::time_cell(s.last, tz, 8)
    )
}

/// The section's lines for the lineage of one credential.
pub fn lines(lineage: &[Lineage], tz: &jiff::tz::TimeZone) -> Vec<Entry> {
    let mut out = Vec::new();
    if lineage.is_empty() {
        out.push(field("lineage", "no request with this credential".into()));
    }
    for l in lineage {
        let mut put = |label: &str, value: String| {
            if !value.trim().is_empty() {
                out.push(field(label, value));
            }
        };
        put(
            "credential",
            format!(
                "{} ({}) · {} · {} .. {}",
                l.credential,
                l.kind,
                crate::model::plural(l.requests, "request"),
                columns::time_cell(l.first, tz, 19),
                columns::time_cell(l.last, tz, 19)
            ),
        );
        if !l.pod.is_empty() {
            let uid = if l.pod_uid.is_empty() {
                String::new()
            } else {
                format!(" (uid {})", l.pod_uid)
            };
            put("bound to pod", format!("{}{uid}", l.pod));
        }
        put("pod addresses", l.pod_ips.join(", "));
        if !l.node.is_empty() {
            put(
                "on node",
                format!("{} ({})", l.node, or_unknown(&l.node_ips.join(", "))),
            );
        }
        if let Some(c) = &l.csr {
            put(
                "issued by CSR",
                format!(
                    "{} for {} · created by {} at {} · approved by {}",
                    c.name,
                    c.subject,
                    c.created_by,
                    columns::time_cell(c.created, tz, 19),
                    c.approved_by.as_deref().unwrap_or("- (not in the log)")
                ),
            );
        }
        for a in &l.addresses {
            if a.away {
                out.push(flagged(
                    "⚠ used from",
                    format!("{} — away from its pod or node", seen(a, tz)),
                ));
            } else {
                out.push(field("used from", seen(a, tz)));
            }
        }
        for c in &l.clients {
            out.push(field("client", seen(c, tz)));
        }
    }
    out
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "addresses unknown" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Micros;

    #[test]
    fn a_use_away_from_the_pod_is_flagged_and_the_chain_reads_in_order() {
        let seen = |v: &str, away| Seen {
            value: v.into(),
            requests: 2,
            first: Micros(1_773_484_260_000_000),
            last: Micros(1_773_484_300_000_000),
            away,
        };
        let l = Lineage {
            credential: "JTI=abc".into(),
            kind: "bound-token",
            user: "system:serviceaccount:shop:web".into(),
            pod: "shop/web-1".into(),
            pod_uid: "uid-1".into(),
            node: "worker-2".into(),
            pod_ips: vec!["10.244.2.7".into()],
            node_ips: vec!["10.0.1.22".into()],
            requests: 4,
            addresses: vec![seen("10.244.2.7", false), seen("198.51.100.77", true)],
            clients: vec![seen("curl/8.4.0", false)],
            ..Lineage::default()
        };
        let out = lines(&[l], &jiff::tz::TimeZone::UTC);
        let labels: Vec<&str> = out.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "credential",
                "bound to pod",
                "pod addresses",
                "on node",
                "used from",
                "⚠ used from",
                "client"
            ]
        );
        assert!(
            out.iter()
                .any(|l| l.away && l.value.starts_with("198.51.100.77"))
        );
    }
}

//! The blind spots of a [`Coverage`]: each gap, stage, level, field or resource the data
//! set lacks, what that costs the analyst, and the detections that cannot fire without it
//! (by docs/detections.md number or rule id, named from the rule catalogue).

use super::coverage::{Blind, BlindSpot, Coverage, has_stage};
use crate::detect::rules::Rule;
use crate::model::Stage;

/// Resources whose writes carry what detections read, the level that logs it, and why.
const BODIES: &[(&[&str], &str, &[&str])] = &[
    (
        &["pods"],
        "no pod specs: privileged, hostPID/hostNetwork, capabilities and hostPath mounts of new pods are invisible",
        &["14", "15"],
    ),
    (
        &[
            "deployments",
            "daemonsets",
            "statefulsets",
            "replicasets",
            "jobs",
            "cronjobs",
        ],
        "no workload templates: dangerous pod specs in controllers' templates are seen only in the pods they create, and only if pods are logged with bodies",
        &["14", "15"],
    ),
    (
        &["pods/ephemeralcontainers"],
        "no ephemeral container specs (kubectl debug profiles)",
        &["17"],
    ),
    (
        &["pods/status"],
        "no pod status: pod addresses cannot be learned, so requests from a pod's IP (and credentials used away from their pod) go unnoticed",
        &["16"],
    ),
    (
        &["secrets"],
        "no secret bodies: the type of written secrets (service-account tokens) is unknown",
        &["KS-TOKEN-LONG-LIVED"],
    ),
    (
        &["configmaps"],
        "no configmap bodies: credentials written into configmaps and aws-auth changes are invisible",
        &["KS-CONFIGMAP-CREDENTIALS", "KS-EKS-AWS-AUTH-MODIFIED"],
    ),
    (
        &["roles", "clusterroles"],
        "no role rules: wildcard, escalate/bind/impersonate grants cannot be seen",
        &["23"],
    ),
    (
        &["rolebindings", "clusterrolebindings"],
        "no binding subjects or roleRef: bindings to cluster-admin or to anonymous cannot be seen, and `access` cannot rebuild grants",
        &["4", "22"],
    ),
    (
        &["certificatesigningrequests", "serviceaccounts/token"],
        "no CSR or TokenRequest bodies: client-auth CSRs and long-lived tokens cannot be seen",
        &["24", "KS-TOKEN-LONG-LIVED"],
    ),
    (
        &[
            "mutatingwebhookconfigurations",
            "validatingwebhookconfigurations",
        ],
        "no webhook bodies: where an admission webhook sends objects is unknown",
        &["25"],
    ),
];

/// Resources a default audit policy logs, and what their absence costs.
const DEFAULT_LOGGED: &[(&str, &[&str])] = &[
    ("pods", &["14", "15", "16"]),
    ("secrets", &["18", "19", "20", "21"]),
    ("configmaps", &["KS-CONFIGMAP-CREDENTIALS"]),
    ("events", &["26"]),
    ("serviceaccounts/token", &["24"]),
    ("pods/exec", &["10", "11", "12"]),
    ("pods/attach", &["10"]),
    ("pods/portforward", &["13b"]),
    ("nodes/proxy", &["13"]),
    ("clusterrolebindings", &["4", "22"]),
    ("rolebindings", &["4"]),
    ("clusterroles", &["23"]),
    ("roles", &["23"]),
    ("certificatesigningrequests", &["24"]),
    ("cronjobs", &["25"]),
    ("daemonsets", &["25"]),
    ("mutatingwebhookconfigurations", &["25"]),
];

/// Resources every running cluster touches: never seeing them means the policy drops them.
const ALWAYS_BUSY: &[&str] = &[
    "pods",
    "secrets",
    "configmaps",
    "events",
    "serviceaccounts/token",
];

pub fn blind_spots(c: &Coverage, cat: &[Rule]) -> Vec<BlindSpot> {
    let mut out = Vec::new();
    if c.events == 0 {
        return out;
    }
    for g in &c.gaps {
        out.push(BlindSpot {
            kind: "gap",
            what: format!(
                "no events from {} to {} ({}; usually one every {}s) in {} {}",
                g.from,
                g.to,
                crate::model::time::format_duration(g.seconds.saturating_mul(1_000_000)),
                g.usual_seconds,
                g.scope,
                if g.name.is_empty() { "(unlabelled)" } else { &g.name }
            ),
            cost: "whatever happened in the gap is invisible: a rotated file missing, a log cut, or the API server down".into(),
            detections: Vec::new(),
        });
    }
    stages(c, &mut out);
    levels(c, cat, &mut out);
    fields(c, cat, &mut out);
    unseen(c, cat, &mut out);
    out
}

fn stages(c: &Coverage, out: &mut Vec<BlindSpot>) {
    let without: u64 = c.without_request_received.values().sum();
    if has_stage(c, Stage::RequestReceived) && without > 0 {
        let mut top: Vec<(&String, &u64)> = c.without_request_received.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let names: Vec<String> = top
            .iter()
            .take(3)
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        out.push(BlindSpot {
            kind: "stage",
            what: format!(
                "RequestReceived omitted for {without} of {} events ({})",
                c.events,
                names.join(", ")
            ),
            cost:
                "those requests are logged only once they complete: one never finished is missing"
                    .into(),
            detections: Vec::new(),
        });
    }
    if !has_stage(c, Stage::RequestReceived) {
        out.push(BlindSpot {
            kind: "stage",
            what: "the RequestReceived stage is omitted".into(),
            cost: "a request is logged only when it completes or starts streaming: requests that never finished, and execs or watches still open when the log ends without a ResponseStarted, are missing".into(),
            detections: Vec::new(),
        });
    }
}

fn body_level(level: &str) -> bool {
    matches!(level, "Request" | "RequestResponse")
}

fn levels(c: &Coverage, cat: &[Rule], out: &mut Vec<BlindSpot>) {
    for (resources, cost, keys) in BODIES {
        for l in c
            .levels
            .iter()
            .filter(|l| resources.contains(&l.resource.as_str()))
        {
            let writes: u64 = l.write_levels.values().sum();
            let with_body: u64 = l
                .write_levels
                .iter()
                .filter(|(lv, _)| body_level(lv))
                .map(|(_, n)| n)
                .sum();
            // Mostly without bodies: a policy that logs a few exceptions still hides the rest.
            if writes == 0 || with_body * 2 >= writes {
                continue;
            }
            let logged_at: Vec<&str> = l
                .write_levels
                .keys()
                .map(String::as_str)
                .filter(|lv| !body_level(lv))
                .collect();
            out.push(BlindSpot {
                kind: "level",
                what: format!(
                    "{} written at {} ({} of {writes} writes without a body)",
                    l.resource,
                    logged_at.join("/"),
                    writes - with_body
                ),
                cost: (*cost).to_owned(),
                detections: blind(keys, cat)
                    .into_iter()
                    .map(|b| Blind {
                        partial: with_body > 0,
                        ..b
                    })
                    .collect(),
            });
        }
    }
    secret_reads(c, out);
}

/// Secrets read without response bodies are the safe default: said, not a cost to detections.
fn secret_reads(c: &Coverage, out: &mut Vec<BlindSpot>) {
    let Some(s) = c.levels.iter().find(|l| l.resource == "secrets") else {
        return;
    };
    if !s.read_levels.is_empty() && !s.read_levels.contains_key("RequestResponse") {
        out.push(BlindSpot {
            kind: "level",
            what: format!(
                "secrets read at {} only: no response bodies",
                s.read_levels.keys().cloned().collect::<Vec<_>>().join("/")
            ),
            cost: "which secret values an actor obtained is known by name only (the safe policy: keep it)".into(),
            detections: Vec::new(),
        });
    }
}

fn fields(c: &Coverage, cat: &[Rule], out: &mut Vec<BlindSpot>) {
    if c.without_user_agent == c.events {
        out.push(BlindSpot {
            kind: "field",
            what: "no user agents".into(),
            cost: "a credential moving to curl, python or kubectl cannot be seen; sessions cannot tell clients apart".into(),
            detections: blind(&["5", "21"], cat),
        });
    }
    if c.source_addresses <= 1 {
        out.push(BlindSpot {
            kind: "field",
            what: format!("{} source address in the whole data set", c.source_addresses),
            cost: "every request arrives through one proxy or load balancer (or none is logged): new or public addresses, pod addresses and enumeration bursts per address cannot be told".into(),
            detections: blind(&["3", "9", "13b", "16"], cat),
        });
    }
    if c.without_decision == c.events {
        out.push(BlindSpot {
            kind: "field",
            what: "no authorization annotations (authorization.k8s.io/decision, reason)".into(),
            cost: "`access` cannot tell which binding granted a request; allowed and denied are read from response codes".into(),
            detections: blind(&["1", "8"], cat),
        });
    }
    if c.service_account_requests > 0 && c.without_credential_id == c.service_account_requests {
        out.push(BlindSpot {
            kind: "field",
            what: "no credential ids in user.extra (bound-token JTI, pod, node)".into(),
            cost: "tokens of one service account cannot be told apart: lineage shows accounts, not credentials, and a stolen token looks like its owner".into(),
            detections: Vec::new(),
        });
    }
}

fn unseen(c: &Coverage, cat: &[Rule], out: &mut Vec<BlindSpot>) {
    let seen = |r: &str| c.levels.iter().any(|l| l.resource == r);
    let mut quiet = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for (resource, dets) in DEFAULT_LOGGED {
        if seen(resource) {
            continue;
        }
        if ALWAYS_BUSY.contains(resource) {
            out.push(BlindSpot {
                kind: "unseen",
                what: format!("no {resource} requests at all"),
                cost: format!("every running cluster touches {resource}: the audit policy drops them (level None)"),
                detections: blind(dets, cat),
            });
        } else {
            quiet.push(*resource);
            keys.extend(dets.iter());
        }
    }
    if !quiet.is_empty() {
        keys.sort_unstable();
        keys.dedup();
        out.push(BlindSpot {
            kind: "unseen",
            what: format!("never seen: {}", quiet.join(", ")),
            cost: "a default policy logs them: not done in this window, or dropped by the policy"
                .into(),
            detections: blind(&keys, cat),
        });
    }
}

/// The detections behind `keys` (numbers or rule ids), named from the catalogue.
fn blind(keys: &[&str], cat: &[Rule]) -> Vec<Blind> {
    let mut out: Vec<Blind> = Vec::new();
    for key in keys {
        let rules: Vec<&Rule> = cat
            .iter()
            .filter(|r| r.id == *key || r.detection.iter().any(|d| d == key))
            .collect();
        let Some(first) = rules.first() else { continue };
        let number = if first.id == *key {
            first.detection.first().cloned().unwrap_or_default()
        } else {
            (*key).to_owned()
        };
        if out.iter().any(|b| b.number == number && !number.is_empty()) {
            continue;
        }
        out.push(Blind {
            number,
            rules: rules.iter().map(|r| r.id.clone()).collect(),
            title: first.title.clone(),
            partial: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::coverage::Tally;
    use super::super::coverage::tests::row;
    use super::*;

    #[test]
    fn pods_written_without_bodies_and_a_single_stage_are_blind_spots() {
        let mut tally = Tally::default();
        for i in 0..10 {
            tally.observe(&row(i, "pods", "create", "Metadata"), "a.log");
            tally.observe(&row(i, "secrets", "get", "Metadata"), "a.log");
        }
        let mut c = tally.finish();
        c.blind_spots = blind_spots(&c, &[]);
        assert_eq!(c.events, 20);
        let kinds: Vec<(&str, &str)> = c
            .blind_spots
            .iter()
            .map(|b| (b.kind, b.what.as_str()))
            .collect();
        assert!(
            kinds
                .iter()
                .any(|(k, w)| *k == "level" && w.starts_with("pods written at Metadata")),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|(k, w)| *k == "stage" && w.contains("RequestReceived stage is omitted")),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|(_, w)| w.contains("secrets read at Metadata"))
        );
        assert!(kinds.iter().any(|(_, w)| w.contains("1 source address")));
        assert!(
            kinds
                .iter()
                .any(|(k, w)| *k == "unseen" && w.contains("pods/exec"))
        );
    }
}

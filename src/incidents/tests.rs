//! Tests of the linker: links that must be made, and weak links that must not merge benign
//! activity into an attack.

use super::clues::{Clue, Found};
use super::{Context, build};
use crate::detect::{Family, Finding, Severity};
use crate::model::Micros;

fn finding(rule: &str, account: &str, ips: &[&str], at: &str, severity: Severity) -> Finding {
    Finding {
        rule_id: rule.into(),
        title: format!("{rule} fired"),
        family: Family::RemoteExec,
        severity,
        attack: None,
        first_seen: at.into(),
        last_seen: at.into(),
        account: account.into(),
        source_ips: ips.iter().map(|s| (*s).to_owned()).collect(),
        namespaces: Vec::new(),
        audit_ids: vec![format!("{rule}/{account}")],
        count: 1,
        summary: String::new(),
        evidence: serde_json::Value::Null,
        advice: format!("fix {rule}"),
    }
}

fn clue(c: Clue, at: &str) -> Found {
    Found {
        clue: c,
        time: Micros::parse(at).unwrap(),
        what: "did it".into(),
    }
}

const WEB: &str = "system:serviceaccount:shop:web";
const WORKER: &str = "system:serviceaccount:shop:worker";
const T1: &str = "2026-05-01T10:31:00Z";
const T2: &str = "2026-05-01T10:34:00Z";

#[test]
fn exec_into_a_pod_links_the_use_of_its_token_and_raises_the_severity() {
    let fs = [
        finding("EXEC", WEB, &["10.244.2.7"], T1, Severity::High),
        finding(
            "TOKEN-ELSEWHERE",
            WORKER,
            &["203.0.113.9"],
            T2,
            Severity::Medium,
        ),
    ];
    let clues = [
        vec![clue(Clue::ExecInto("shop/worker-1".into()), T1)],
        vec![clue(Clue::CredentialPod("shop/worker-1".into()), T2)],
    ];
    let incidents = build(&fs, &clues, &Context::default());
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let inc = &incidents[0];
    assert_eq!(
        inc.severity,
        Severity::Critical,
        "crossing identities raises"
    );
    assert_eq!(inc.identities, [WEB, WORKER]);
    let link = inc.steps[1].link.as_ref().unwrap();
    assert_eq!((link.kind.as_str(), link.to_step), ("pod-token", 0));
    assert!(
        link.explanation.contains("10:31:00"),
        "{}",
        link.explanation
    );
    assert!(inc.steps[0].link.is_none());
    assert_eq!(
        inc.audit_ids,
        [
            "EXEC/".to_owned() + WEB,
            "TOKEN-ELSEWHERE/".to_owned() + WORKER
        ]
    );
}

#[test]
fn an_address_shared_by_few_identities_links_them() {
    let fs = [
        finding(
            "A",
            "alice@example.com",
            &["198.51.100.7"],
            T1,
            Severity::High,
        ),
        finding("B", WEB, &["198.51.100.7"], T2, Severity::High),
    ];
    let mut ctx = Context::default();
    ctx.address_identities.insert("198.51.100.7".into(), 2);
    let incidents = build(&fs, &[vec![], vec![]], &ctx);
    assert_eq!(incidents.len(), 1);
    let link = incidents[0].steps[1].link.as_ref().unwrap();
    assert_eq!(link.kind, "shared-address");
    // Same address, no credential crossed: the severity stays the worst finding's.
    assert_eq!(incidents[0].severity, Severity::High);
}

#[test]
fn a_shared_nat_address_does_not_merge_identities() {
    let fs = [
        finding("A", "alice@example.com", &["10.0.0.1"], T1, Severity::Low),
        finding(
            "B",
            "bob@example.com",
            &["10.0.0.1"],
            T2,
            Severity::Critical,
        ),
    ];
    let mut ctx = Context::default();
    ctx.address_identities.insert("10.0.0.1".into(), 40);
    let incidents = build(&fs, &[vec![], vec![]], &ctx);
    assert_eq!(incidents.len(), 2, "{incidents:#?}");
    assert_eq!(incidents[0].severity, Severity::Critical);
    assert_eq!(incidents[1].identities, ["alice@example.com"]);
}

#[test]
fn controllers_carry_no_link_but_the_workload_they_run() {
    let controller = "system:serviceaccount:kube-system:job-controller";
    let fs = [
        finding("CRONJOB", WEB, &["198.51.100.7"], T1, Severity::High),
        finding("RISKY-PODS", controller, &["10.0.0.11"], T2, Severity::Low),
        finding("OTHER-PODS", controller, &["10.0.0.11"], T2, Severity::Low),
        finding(
            "ROUTINE",
            "carol@example.com",
            &["10.0.0.11"],
            T2,
            Severity::Low,
        ),
    ];
    let clues = [
        vec![clue(Clue::Workload("kube-system/etcd-defrag".into()), T1)],
        vec![clue(
            Clue::ControllerPod("kube-system/etcd-defrag-2903-x7k2p".into()),
            T2,
        )],
        vec![clue(
            Clue::ControllerPod("shop/cart-cleanup-2903-abcde".into()),
            T2,
        )],
        vec![],
    ];
    let mut ctx = Context::default();
    ctx.address_identities.insert("10.0.0.11".into(), 2);
    let incidents = build(&fs, &clues, &ctx);
    let attack = incidents.iter().find(|i| i.steps.len() > 1).unwrap();
    let rules: Vec<&str> = attack.steps.iter().map(|s| s.rule_id.as_str()).collect();
    assert_eq!(rules, ["CRONJOB", "RISKY-PODS"], "{incidents:#?}");
    assert_eq!(attack.steps[1].link.as_ref().unwrap().kind, "workload");
    assert_eq!(
        incidents.len(),
        3,
        "the other controller finding and carol stand alone"
    );
}

#[test]
fn a_stolen_token_links_its_use_from_a_new_address_not_its_owners_routine() {
    let ci = "system:serviceaccount:ci:deployer";
    let fs = [
        finding("SECRET-READ", WEB, &["10.244.2.7"], T1, Severity::High),
        finding("ROUTINE", ci, &["10.0.3.15"], T2, Severity::Medium),
        finding("NEW-SOURCE", ci, &["198.51.100.77"], T2, Severity::High),
    ];
    let clues = [vec![clue(Clue::Minted(ci.into()), T1)], vec![], vec![]];
    let mut ctx = Context::default();
    let at = |s: &str| Micros::parse(s).unwrap();
    ctx.first_use
        .insert((ci.into(), "10.0.3.15".into()), at("2026-05-01T08:00:00Z"));
    ctx.first_use
        .insert((ci.into(), "198.51.100.77".into()), at(T2));
    let incidents = build(&fs, &clues, &ctx);
    assert_eq!(incidents.len(), 2, "{incidents:#?}");
    let rules: Vec<&str> = incidents[0]
        .steps
        .iter()
        .map(|s| s.rule_id.as_str())
        .collect();
    assert_eq!(rules, ["SECRET-READ", "NEW-SOURCE"]);
    assert_eq!(
        incidents[0].steps[1].link.as_ref().unwrap().kind,
        "minted-token"
    );
}

#[test]
fn a_key_carried_by_many_identities_links_nothing() {
    let mut fs = vec![finding(
        "FOOTHOLD",
        WEB,
        &["198.51.100.7"],
        T1,
        Severity::High,
    )];
    let mut clues = vec![vec![clue(Clue::NodeFoothold("worker-1".into()), T1)]];
    for i in 0..8 {
        fs.push(finding(
            "NODE-USE",
            &format!("system:node:n{i}"),
            &[],
            T2,
            Severity::Low,
        ));
        clues.push(vec![clue(Clue::CredentialNode("worker-1".into()), T2)]);
    }
    let incidents = build(&fs, &clues, &Context::default());
    assert_eq!(incidents.len(), 9);
}

#[test]
fn incident_ids_are_stable_and_derived_from_the_findings() {
    let fs = [finding("A", WEB, &["10.244.2.7"], T1, Severity::High)];
    let a = build(&fs, &[vec![]], &Context::default());
    let b = build(&fs, &[vec![]], &Context::default());
    assert_eq!(a[0].id, b[0].id);
    assert!(
        a[0].id.starts_with("INC-") && a[0].id.len() == 16,
        "{}",
        a[0].id
    );
    let other = [finding("B", WEB, &["10.244.2.7"], T1, Severity::High)];
    assert_ne!(build(&other, &[vec![]], &Context::default())[0].id, a[0].id);
}

#[test]
fn regression_a_binding_subject_link_pointed_to_a_later_step() {
    // The subject acted (10:31, and on until 10:40) before the binding that names it was
    // created (10:34): its step linked forward to the binding's step, so the story read
    // backwards. Links are oriented earliest first: the binding's step ties to the subject's
    // and its explanation tells the subject's act first.
    const ADMIN: &str = "kubernetes-admin";
    let mut acting = finding("SUBJECT-ACTS", WORKER, &["10.0.9.9"], T1, Severity::Medium);
    acting.last_seen = "2026-05-01T10:40:00Z".into();
    let fs = [
        finding(
            "ADMIN-RECON",
            ADMIN,
            &["198.51.100.7"],
            "2026-05-01T10:30:00Z",
            Severity::Low,
        ),
        acting,
        finding("BINDING", ADMIN, &["198.51.100.7"], T2, Severity::High),
    ];
    let clues = [
        vec![],
        vec![],
        vec![clue(Clue::BindingSubject(WORKER.into()), T2)],
    ];
    let incidents = build(&fs, &clues, &Context::default());
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let steps = &incidents[0].steps;
    let rules: Vec<&str> = steps.iter().map(|s| s.rule_id.as_str()).collect();
    assert_eq!(rules, ["ADMIN-RECON", "SUBJECT-ACTS", "BINDING"]);
    for (n, s) in steps.iter().enumerate() {
        if let Some(l) = &s.link {
            assert!(l.to_step < n, "step {n} links forward to {}", l.to_step);
        }
    }
    let link = steps[2].link.as_ref().unwrap();
    assert_eq!((link.kind.as_str(), link.to_step), ("binding-subject", 1));
    assert!(
        link.explanation
            .starts_with(&format!("from 10:31:00 to 10:40:00 {WORKER}"))
            && link.explanation.contains("10:31:00"),
        "the earlier step's act is told first: {}",
        link.explanation
    );
}

#[test]
fn regression_a_same_actor_link_told_its_act_twice() {
    // Two findings of one identity from one address at the same second: the link told from
    // the later-listed side read "X from A at T; X from A at T".
    for swap in [false, true] {
        let mut fs = vec![
            finding(
                "ANON-ENUM",
                "system:anonymous",
                &["198.51.100.23"],
                T1,
                Severity::Medium,
            ),
            finding(
                "ENUM-BREADTH",
                "system:anonymous",
                &["198.51.100.23"],
                T1,
                Severity::High,
            ),
        ];
        if swap {
            fs.reverse();
        }
        let incidents = build(&fs, &[vec![], vec![]], &Context::default());
        assert_eq!(incidents.len(), 1, "{incidents:#?}");
        let steps = &incidents[0].steps;
        let link = steps[1].link.as_ref().expect("the second step is linked");
        assert_eq!(link.kind, "same-actor");
        assert!(
            link.explanation.contains("again, as in ") && !link.explanation.contains("; "),
            "told once: {}",
            link.explanation
        );
        assert!(steps[0].link.is_none());
        assert_eq!(incidents[0].thread_start(0), "the first step");
    }
}

#[test]
fn regression_an_address_was_said_used_at_the_start_of_a_finding_that_reached_it_later() {
    // NEW-ACTIVITY runs from 10:31 (from the pod's address) and reaches the attacker's
    // address only at 11:58; SECRET-LIST (10:40, from the attacker's address too) was told
    // "from 203.0.113.9 again, as in NEW-ACTIVITY (first seen 10:31:00)".
    const LATER: &str = "2026-05-01T11:58:00Z";
    const BETWEEN: &str = "2026-05-01T10:40:00Z";
    let mut activity = finding(
        "NEW-ACTIVITY",
        WEB,
        &["10.244.2.7", "203.0.113.9"],
        T1,
        Severity::High,
    );
    activity.last_seen = LATER.into();
    let mut list = finding(
        "SECRET-LIST",
        WEB,
        &["203.0.113.9"],
        BETWEEN,
        Severity::High,
    );
    list.last_seen = "2026-05-01T12:30:00Z".into();
    let clues = [
        vec![
            clue(Clue::Source("10.244.2.7".into()), T1),
            clue(Clue::Source("203.0.113.9".into()), LATER),
        ],
        vec![clue(Clue::Source("203.0.113.9".into()), BETWEEN)],
    ];
    let incidents = build(&[activity, list], &clues, &Context::default());
    let told: Vec<String> = incidents
        .iter()
        .flat_map(|i| i.steps.iter())
        .filter_map(|s| s.link.as_ref())
        .map(|l| l.explanation.clone())
        .collect();
    assert!(
        told.iter().all(|t| !t.contains("first seen 10:31:00")),
        "the attacker's address was not used at 10:31: {told:#?}"
    );
}

#[test]
fn regression_a_link_told_a_later_act_before_an_earlier_one() {
    // NODE-CRED's finding starts at 10:31 but uses worker-1's credentials only at 11:58;
    // the foothold on worker-1 is at 10:40. The foothold's step (second in the story) was
    // told "at 11:58:00 … used …; at 10:40:00 … placed …".
    const FOOTHOLD: &str = "2026-05-01T10:40:00Z";
    const USE: &str = "2026-05-01T11:58:00Z";
    let mut cred = finding("NODE-CRED", WORKER, &["203.0.113.9"], T1, Severity::High);
    cred.last_seen = USE.into();
    let foothold = finding("HOSTPATH", WEB, &["10.244.2.7"], FOOTHOLD, Severity::High);
    let clues = [
        vec![clue(Clue::CredentialNode("worker-1".into()), USE)],
        vec![clue(Clue::NodeFoothold("worker-1".into()), FOOTHOLD)],
    ];
    let incidents = build(&[cred, foothold], &clues, &Context::default());
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let told = &incidents[0].steps[1]
        .link
        .as_ref()
        .expect("linked")
        .explanation;
    let first = told.find("10:40:00").expect("the foothold's time");
    let then = told.find("11:58:00").expect("the use's time");
    assert!(first < then, "earliest first: {told}");
}

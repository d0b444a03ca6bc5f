//! Secrets never reach the index, the rejects or any output. A table of shapes — every body
//! shape a Secret or a service-account token takes, in every input format, on the deferred
//! (`RequestReceived`-only) and salvaged paths, and records rejected with the value in their
//! first 120 characters — each a complete record carrying a known secret, is indexed with
//! the real binary; then no line `index` prints, no file of the index directory and no output
//! of `show`, `search`, `export`, `rejects` or `detect` holds the value, while each event still
//! shows `<redacted N bytes>` in its place. Custom resources named `secrets`, certificates
//! and ConfigMaps are kept as logged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{gzip, ks, stderr, stdout};

/// The secret value of every shape: base64 of `supersecret` (a `data` value) …
const V: &str = "c3VwZXJzZWNyZXQ=";
/// … and the plain text (a `stringData` value).
const PLAIN: &str = "supersecret";

const T: &str = "2026-03-14T10:00:00.000000Z";
const MS: u64 = 1_773_482_400_000;

fn secret() -> String {
    format!(
        r#"{{"kind":"Secret","apiVersion":"v1","metadata":{{"name":"db","namespace":"ci"}},"type":"Opaque","data":{{"password":"{V}"}}}}"#
    )
}

fn secret_plain() -> String {
    format!(
        r#"{{"kind":"Secret","apiVersion":"v1","metadata":{{"name":"db","namespace":"ci"}},"stringData":{{"password":"{PLAIN}"}}}}"#
    )
}

/// What a request was on: `"requestURI":…,"verb":…,"objectRef":…`.
fn on_secrets(verb: &str, query: &str) -> String {
    format!(
        r#""requestURI":"/api/v1/namespaces/ci/secrets/db{query}","verb":"{verb}","objectRef":{{"resource":"secrets","namespace":"ci","name":"db","apiVersion":"v1"}}"#
    )
}

fn on(resource: &str, group: &str, sub: &str, verb: &str) -> String {
    let prefix = if group.is_empty() {
        "/api/v1".to_owned()
    } else {
        format!("/apis/{group}/v1")
    };
    let sub_path = if sub.is_empty() {
        String::new()
    } else {
        format!("/{sub}")
    };
    format!(
        r#""requestURI":"{prefix}/namespaces/ci/{resource}/x{sub_path}","verb":"{verb}","objectRef":{{"resource":"{resource}","apiGroup":"{group}","subresource":"{sub}","namespace":"ci","name":"x","apiVersion":"v1"}}"#
    )
}

/// A complete native event of stage `ResponseComplete`.
fn event(id: &str, target: &str, bodies: &str) -> String {
    staged(id, "ResponseComplete", target, bodies)
}

fn staged(id: &str, stage: &str, target: &str, bodies: &str) -> String {
    let status = if stage == "RequestReceived" {
        ""
    } else {
        r#""responseStatus":{"metadata":{},"code":200},"#
    };
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"{id}","stage":"{stage}",{target},"user":{{"username":"alice@example.com","groups":["system:authenticated"]}},"sourceIPs":["10.0.0.5"],"userAgent":"kubectl/v1.29.3",{status}{bodies},"requestReceivedTimestamp":"{T}","stageTimestamp":"{T}"}}"#
    )
}

fn req(body: &str) -> String {
    format!(r#""requestObject":{body}"#)
}

fn resp(body: &str) -> String {
    format!(r#""responseObject":{body}"#)
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn gke(id: &str, method: &str, resource_name: &str, bodies: &str) -> String {
    format!(
        r#"{{"insertId":"i-{id}","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","operation":{{"id":"{id}","producer":"k8s.io","first":true,"last":true}},"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{{"principalEmail":"alice@example.com"}},"methodName":"{method}","requestMetadata":{{"callerIp":"198.51.100.23"}},"resourceName":"{resource_name}","serviceName":"k8s.io","status":{{}},{bodies}}},"resource":{{"type":"k8s_cluster","labels":{{"cluster_name":"prod"}}}},"timestamp":"{T}"}}"#
    )
}

fn aks(log: &str) -> String {
    format!(
        r#"{{"time":"{T}","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-1","category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{{"log":{log},"stream":"stdout","pod":"kube-apiserver-1"}}}}"#
    )
}

fn csv_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// What a shape must give.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// An event whose secret values are redacted.
    Redacted,
    /// An event that holds no Secret: this value is kept.
    Kept(&'static str),
    /// A rejected record.
    Rejected,
}

struct Shape {
    name: &'static str,
    id: String,
    file: String,
    content: Vec<u8>,
    expect: Expect,
}

fn shape(name: &'static str, id: &str, ext: &str, content: impl Into<Vec<u8>>) -> Shape {
    let mut content = content.into();
    content.push(b'\n');
    Shape {
        name,
        id: id.to_owned(),
        file: format!("{}.{ext}", name.replace([' ', '/', '"', '~'], "-")),
        content,
        expect: Expect::Redacted,
    }
}

fn native(name: &'static str, id: &str, target: &str, bodies: &str) -> Shape {
    shape(name, id, "log", event(id, target, bodies))
}

#[expect(clippy::too_many_lines, reason = "a table of shapes")]
fn body_shapes() -> Vec<Shape> {
    let s = secret();
    let sp = secret_plain();
    let applied = json_string(&format!(
        r#"{{"apiVersion":"v1","data":{{"password":"{V}"}},"kind":"Secret","metadata":{{"name":"db"}}}}"#
    ));
    let table = |object: &str| {
        format!(
            r#"{{"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":[{{"name":"Name","type":"string"}}],"rows":[{{"cells":["db","Opaque",1,"1d"],"object":{object}}}]}}"#
        )
    };
    let patch = |ops: &str| format!("{},{}", req(ops), resp(&s));
    vec![
        native(
            "create data",
            "n-create",
            &on_secrets("create", ""),
            &format!("{},{}", req(&s), resp(&s)),
        ),
        native(
            "create stringData",
            "n-string-data",
            &on_secrets("create", ""),
            &req(&sp),
        ),
        native("get", "n-get", &on_secrets("get", ""), &resp(&s)),
        native(
            "list SecretList",
            "n-list",
            &on_secrets("list", ""),
            &resp(&format!(
                r#"{{"kind":"SecretList","apiVersion":"v1","metadata":{{}},"items":[{{"metadata":{{"name":"db"}},"data":{{"password":"{V}"}}}}]}}"#
            )),
        ),
        native(
            "list Table includeObject",
            "n-table",
            &on_secrets("list", "?includeObject=Object"),
            &resp(&table(&s)),
        ),
        native(
            "list Table kindless",
            "n-table-kindless",
            &on_secrets("list", "?includeObject=Object"),
            &resp(&table(&format!(r#"{{"data":{{"password":"{V}"}}}}"#))),
        ),
        native(
            "watch event",
            "n-watch",
            &on_secrets("watch", "?watch=true"),
            &resp(&format!(r#"{{"type":"ADDED","object":{s}}}"#)),
        ),
        native(
            "merge patch",
            "n-merge",
            &on_secrets("patch", ""),
            &patch(&format!(r#"{{"data":{{"password":"{V}"}}}}"#)),
        ),
        native(
            "strategic merge patch",
            "n-smp",
            &on_secrets("patch", ""),
            &req(&format!(
                r#"{{"$patch":"merge","metadata":{{"labels":{{"a":"b"}}}},"stringData":{{"password":"{PLAIN}"}}}}"#
            )),
        ),
        native(
            "json patch key",
            "n-jp-key",
            &on_secrets("patch", ""),
            &patch(&format!(
                r#"[{{"op":"add","path":"/data/password","value":"{V}"}}]"#
            )),
        ),
        native(
            "json patch data",
            "n-jp-data",
            &on_secrets("patch", ""),
            &patch(&format!(
                r#"[{{"op":"replace","path":"/data","value":{{"password":"{V}"}}}}]"#
            )),
        ),
        native(
            "json patch whole",
            "n-jp-whole",
            &on_secrets("patch", ""),
            &patch(&format!(r#"[{{"op":"replace","path":"","value":{s}}}]"#)),
        ),
        native(
            "json patch slash",
            "n-jp-slash",
            &on_secrets("patch", ""),
            &patch(&format!(
                r#"[{{"op":"replace","path":"/","value":{{"data":{{"password":"{V}"}}}}}}]"#
            )),
        ),
        native(
            "json patch tilde",
            "n-jp-tilde",
            &on_secrets("patch", ""),
            &patch(&format!(
                r#"[{{"op":"add","path":"/data/tls~1key","value":"{V}"}},{{"op":"test","path":"/stringData/a~0b","value":"{PLAIN}"}}]"#
            )),
        ),
        native(
            "json patch value first",
            "n-jp-value-first",
            &on_secrets("patch", ""),
            &patch(&format!(
                r#"[{{"value":"{V}","op":"add","path":"/stringData/x"}}]"#
            )),
        ),
        native(
            "last-applied",
            "n-applied",
            &on_secrets("patch", ""),
            &req(&format!(
                r#"{{"metadata":{{"annotations":{{"kubectl.kubernetes.io/last-applied-configuration":{applied}}}}},"data":{{"password":"{V}"}}}}"#
            )),
        ),
        native(
            "escaped kind",
            "n-escaped-kind",
            r#""requestURI":"/apis/example.com/v1/things","verb":"get""#,
            &resp(&format!(
                r#"{{"kind":"\u0053ecret","apiVersion":"v1","data":{{"password":"{V}"}}}}"#
            )),
        ),
        native(
            "escaped key",
            "n-escaped-key",
            &on_secrets("create", ""),
            &req(&format!(
                r#"{{"kind":"Secret","d\u0061ta":{{"password":"{V}"}}}}"#
            )),
        ),
        native(
            "uri only",
            "n-uri-only",
            r#""requestURI":"/api/v1/namespaces/ci/secrets/db","verb":"patch""#,
            &req(&format!(r#"{{"data":{{"password":"{V}"}}}}"#)),
        ),
        native("delete", "n-delete", &on_secrets("delete", ""), &resp(&s)),
        native(
            "update",
            "n-update",
            &on_secrets("update", ""),
            &format!("{},{}", req(&sp), resp(&s)),
        ),
        native(
            "body as string",
            "n-string-body",
            &on_secrets("create", ""),
            &req(&json_string(&s)),
        ),
        native(
            "secret in a List",
            "n-in-list",
            &on("configmaps", "", "", "list"),
            &resp(&format!(r#"{{"kind":"List","items":[{s}]}}"#)),
        ),
        native(
            "dockerconfigjson",
            "n-docker",
            &on_secrets("create", ""),
            &req(&format!(
                r#"{{"kind":"Secret","apiVersion":"v1","type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{V}"}}}}"#
            )),
        ),
        native(
            "token request",
            "n-token",
            &on("serviceaccounts", "", "token", "create"),
            &format!(
                "{},{}",
                req(
                    r#"{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":["api"],"expirationSeconds":3600},"status":{"token":"","expirationTimestamp":null}}"#
                ),
                resp(&format!(
                    r#"{{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{{"audiences":["api"]}},"status":{{"token":"{V}","expirationTimestamp":"2026-03-14T11:00:00Z"}}}}"#
                ))
            ),
        ),
        native(
            "token response kindless",
            "n-token-kindless",
            &on("serviceaccounts", "", "token", "create"),
            &resp(&format!(r#"{{"status":{{"token":"{V}"}}}}"#)),
        ),
        native(
            "token review",
            "n-token-review",
            &on("tokenreviews", "authentication.k8s.io", "", "create"),
            &format!(
                "{},{}",
                req(&format!(
                    r#"{{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{{"token":"{V}"}}}}"#
                )),
                resp(&format!(
                    r#"{{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{{"token":"{V}"}},"status":{{"authenticated":true}}}}"#
                ))
            ),
        ),
        shape(
            "v1beta1",
            "n-v1beta1",
            "log",
            format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{{"creationTimestamp":"{T}"}},"level":"Request","timestamp":"{T}","auditID":"n-v1beta1","stage":"ResponseComplete",{},"user":{{"username":"alice"}},"sourceIPs":["10.0.0.5"],{}}}"#,
                on_secrets("create", ""),
                req(&s)
            ),
        ),
        shape(
            "request received only",
            "n-deferred",
            "log",
            staged(
                "n-deferred",
                "RequestReceived",
                &on_secrets("create", ""),
                &req(&s),
            ),
        ),
    ]
}

#[expect(clippy::too_many_lines, reason = "a table of shapes")]
fn format_shapes() -> Vec<Shape> {
    let s = secret();
    let ev = |id: &str| event(id, &on_secrets("create", ""), &req(&s));
    let gke_secret = format!(
        r#""request":{{"@type":"core.k8s.io/v1.Secret","apiVersion":"v1","kind":"Secret","metadata":{{"name":"db"}},"data":{{"password":"{V}"}}}},"response":{{"@type":"core.k8s.io/v1.Secret","metadata":{{"name":"db"}},"stringData":{{"password":"{PLAIN}"}}}}"#
    );
    let cut = {
        let e = event(
            "f-salvaged",
            &on_secrets("create", ""),
            &req(&secret_plain()),
        );
        let end = e.find(PLAIN).unwrap() + PLAIN.len() + 3;
        format!("{}[Truncated...]", &e[..end])
    };
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&ev("f-pretty")).unwrap(),
    )
    .unwrap();
    vec![
        shape(
            "gke create",
            "g-create",
            "json",
            gke(
                "g-create",
                "io.k8s.core.v1.secrets.create",
                "core/v1/namespaces/ci/secrets/db",
                &gke_secret,
            ),
        ),
        shape(
            "gke list",
            "g-list",
            "json",
            format!(
                "[\n{}\n]",
                gke(
                    "g-list",
                    "io.k8s.core.v1.secrets.list",
                    "core/v1/namespaces/ci/secrets",
                    &format!(
                        r#""response":{{"@type":"core.k8s.io/v1.SecretList","items":[{{"metadata":{{"name":"db"}},"data":{{"password":"{V}"}}}}]}}"#
                    ),
                )
            ),
        ),
        shape(
            "gke token",
            "g-token",
            "json",
            gke(
                "g-token",
                "io.k8s.core.v1.serviceaccounts.token.create",
                "core/v1/namespaces/ci/serviceaccounts/default/token",
                &format!(
                    r#""response":{{"@type":"authentication.k8s.io/v1.TokenRequest","status":{{"token":"{V}"}}}}"#
                ),
            ),
        ),
        shape(
            "aks log string",
            "f-aks-string",
            "json",
            aks(&json_string(&ev("f-aks-string"))),
        ),
        shape(
            "aks log object",
            "f-aks-object",
            "json",
            aks(&ev("f-aks-object")),
        ),
        shape(
            "aks event hub",
            "f-aks-hub",
            "json",
            format!(r#"{{"records":[{}]}}"#, aks(&json_string(&ev("f-aks-hub")))),
        ),
        shape(
            "aks request received",
            "f-aks-deferred",
            "json",
            aks(&json_string(&staged(
                "f-aks-deferred",
                "RequestReceived",
                &on_secrets("create", ""),
                &req(&s),
            ))),
        ),
        shape(
            "eks cli",
            "f-eks-cli",
            "json",
            format!(
                r#"{{"events":[{{"logStreamName":"kube-apiserver-audit-1","timestamp":{MS},"message":{},"ingestionTime":{MS},"eventId":"1"}}],"searchedLogStreams":[]}}"#,
                json_string(&ev("f-eks-cli"))
            ),
        ),
        shape(
            "eks firehose",
            "f-firehose",
            "json",
            format!(
                r#"{{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/aws/eks/prod/cluster","logStream":"kube-apiserver-audit-1","subscriptionFilters":["f"],"logEvents":[{{"id":"1","timestamp":{MS},"message":{}}}]}}"#,
                json_string(&ev("f-firehose"))
            ),
        ),
        shape(
            "eks s3",
            "f-s3",
            "log",
            format!("2026-03-14T10:00:00.000Z {}", ev("f-s3")),
        ),
        shape(
            "eks csv",
            "f-csv",
            "csv",
            format!(
                "@timestamp,@message\n2026-03-14 10:00:00.000,{}",
                csv_quote(&ev("f-csv"))
            ),
        ),
        shape(
            "eks truncated",
            "f-salvaged",
            "json",
            format!(
                r#"{{"events":[{{"logStreamName":"kube-apiserver-audit-1","timestamp":{MS},"message":{}}}]}}"#,
                json_string(&cut)
            ),
        ),
        shape(
            "cri",
            "f-cri",
            "log",
            format!("2026-03-14T10:00:00.000000000Z stdout F {}", ev("f-cri")),
        ),
        shape(
            "cri request received",
            "f-cri-deferred",
            "log",
            format!(
                "2026-03-14T10:00:00.000000000Z stdout F {}",
                staged(
                    "f-cri-deferred",
                    "RequestReceived",
                    &on_secrets("create", ""),
                    &req(&s)
                )
            ),
        ),
        shape(
            "stdout",
            "f-stdout",
            "txt",
            format!(
                "I0314 10:00:02.000000       1 controller.go:611] quota admission added evaluator\n{}",
                ev("f-stdout")
            ),
        ),
        shape(
            "eventlist",
            "f-eventlist",
            "json",
            format!(
                r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#,
                ev("f-eventlist")
            ),
        ),
        shape("pretty", "f-pretty", "json", pretty),
        Shape {
            file: "gzip.log.gz".to_owned(),
            content: gzip(format!("{}\n", ev("f-gzip")).as_bytes()),
            ..shape("gzip", "f-gzip", "gz", "")
        },
    ]
}

/// Records that are not Secrets: their values are kept.
fn kept_shapes() -> Vec<Shape> {
    let with = |mut s: Shape, v: &'static str| {
        s.expect = Expect::Kept(v);
        s
    };
    vec![
        with(
            native(
                "custom secrets",
                "k-custom",
                &on("secrets", "example.com", "", "create"),
                &req(
                    r#"{"kind":"Secret","apiVersion":"example.com/v1","data":{"k":"custom-kept-value"}}"#,
                ),
            ),
            "custom-kept-value",
        ),
        with(
            native(
                "csr certificate",
                "k-csr",
                &on(
                    "certificatesigningrequests",
                    "certificates.k8s.io",
                    "",
                    "get",
                ),
                &resp(
                    r#"{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","status":{"certificate":"LS0tLS1CRUdJTiBDRVJU"}}"#,
                ),
            ),
            "LS0tLS1CRUdJTiBDRVJU",
        ),
        with(
            native(
                "configmap",
                "k-configmap",
                &on("configmaps", "", "", "create"),
                &req(r#"{"kind":"ConfigMap","apiVersion":"v1","data":{"k":"cm-kept-value"}}"#),
            ),
            "cm-kept-value",
        ),
    ]
}

/// Records rejected with the secret value in their first 120 characters.
fn rejected_shapes() -> Vec<Shape> {
    let rejected = |name, content: String| {
        let mut s = shape(name, "", "log", content);
        s.expect = Expect::Rejected;
        s
    };
    vec![
        rejected(
            "reject truncated",
            format!(
                r#"{{"kind":"Event","auditID":"r1","requestObject":{{"kind":"Secret","data":{{"password":"{V}"}}}},"verb":"crea"#
            ),
        ),
        rejected(
            "reject wrong type",
            format!(
                r#"{{"auditID":"r2","requestObject":{{"stringData":{{"k":"{PLAIN}"}}}},"user":5,"verb":"create","requestReceivedTimestamp":"{T}"}}"#
            ),
        ),
        rejected(
            "reject patch",
            format!(r#"{{"requestObject":[{{"value":"{V}","path":"/data/k"}}]"#),
        ),
        rejected(
            "reject escaped key",
            format!(r#"{{"auditID":"r4","d\u0061ta":{{"k":"{V}"}}, garbage"#),
        ),
        rejected(
            "reject reason",
            format!(
                r#"{{"auditID":"r6","objectRef":"{{\"kind\":\"Secret\",\"data\":{{\"k\":\"{V}\"}}}}","verb":"get","requestReceivedTimestamp":"{T}"}}"#
            ),
        ),
        rejected(
            "reject wrapped",
            format!(r#"{{"log":"{{\"data\":{{\"k\":\"{V}\"}}}}", broken"#),
        ),
    ]
}

fn all_shapes() -> Vec<Shape> {
    let mut v = body_shapes();
    v.extend(format_shapes());
    v.extend(kept_shapes());
    v.extend(rejected_shapes());
    v
}

fn run(index: &Path, args: &[&str]) -> String {
    let out = ks(index).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    format!("{}{}", stdout(&out), stderr(&out))
}

fn assert_no_secret(what: &str, text: &str) {
    for value in [V, PLAIN] {
        assert!(!text.contains(value), "{what} holds {value}:\n{text}");
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Indexes `shapes` (one file each) and checks every output and every file of the index.
fn assert_redacted(shapes: &[Shape]) {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for s in shapes {
        std::fs::write(logs.join(&s.file), &s.content).unwrap();
    }
    let index = tmp.path().join("idx");
    let out = ks(&index).arg("index").arg(&logs).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_secret("index output", &format!("{}{}", stdout(&out), stderr(&out)));
    let rejected = shapes.iter().filter(|s| s.expect == Expect::Rejected);
    let events = shapes.len() - rejected.clone().count();
    let stats = common::stats(&index);
    assert_eq!(stats["events"].as_u64(), Some(events as u64), "{stats}");
    assert_eq!(
        stats["rejected"].as_u64(),
        Some(rejected.count() as u64),
        "{}",
        run(&index, &["rejects"])
    );
    for s in shapes.iter().filter(|s| s.expect != Expect::Rejected) {
        let json = run(&index, &["show", &s.id, "--format", "json"]);
        let text = run(&index, &["show", &s.id]);
        assert_no_secret(s.name, &format!("{json}{text}"));
        match s.expect {
            Expect::Redacted => assert!(json.contains("<redacted"), "{}: {json}", s.name),
            Expect::Kept(v) => assert!(json.contains(v), "{}: {json}", s.name),
            Expect::Rejected => {}
        }
    }
    for args in [
        &["search", "--format", "jsonl", "*"][..],
        &["search", "--format", "json", "*"],
        &["search", "--format", "csv", "*"],
        &["search", "*"],
        &["export", "--query", "*", "--format", "jsonl"],
        &["export", "--query", "*", "--format", "csv"],
        &["export", "--query", "*", "--format", "markdown"],
        &["export", "--query", "*", "--format", "html"],
        &["rejects", "--format", "jsonl"],
        &["rejects", "--format", "csv"],
        &["rejects"],
        &["detect", "--format", "jsonl"],
        &["stats", "--format", "json"],
    ] {
        assert_no_secret(&format!("{args:?}"), &run(&index, args));
    }
    for f in files(&index) {
        let bytes = std::fs::read(&f).unwrap();
        for value in [V, PLAIN] {
            assert!(
                !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                "{} holds {value}",
                f.display()
            );
        }
    }
}

fn only(names: &[&str]) -> Vec<Shape> {
    let shapes: Vec<Shape> = all_shapes()
        .into_iter()
        .filter(|s| names.contains(&s.name))
        .collect();
    assert_eq!(shapes.len(), names.len(), "unknown shape name");
    shapes
}

#[test]
fn no_secret_in_any_shape_reaches_the_index_or_an_output() {
    let shapes = all_shapes();
    assert!(shapes.len() >= 50, "{} shapes", shapes.len());
    assert_redacted(&shapes);
}

#[test]
fn regression_gke_secret_data_is_redacted() {
    assert_redacted(&only(&["gke create", "gke list", "gke token"]));
}

#[test]
fn regression_secret_table_rows_are_redacted() {
    assert_redacted(&only(&["list Table includeObject", "list Table kindless"]));
}

#[test]
fn regression_json_patch_replacing_the_whole_secret_is_redacted() {
    assert_redacted(&only(&["json patch whole", "json patch slash"]));
}

#[test]
fn regression_escaped_secret_kind_is_redacted() {
    assert_redacted(&only(&["escaped kind", "escaped key"]));
}

#[test]
fn regression_token_request_status_token_is_redacted() {
    assert_redacted(&only(&[
        "token request",
        "token response kindless",
        "token review",
    ]));
}

#[test]
fn regression_reject_excerpt_never_holds_a_secret_value() {
    let shapes = rejected_shapes();
    for s in &shapes {
        let head: String = String::from_utf8_lossy(&s.content)
            .chars()
            .take(120)
            .collect();
        assert!(
            head.contains(V) || head.contains(PLAIN),
            "{}: the value must be within the excerpt",
            s.name
        );
    }
    assert_redacted(&shapes);
}

#[test]
fn deferred_request_received_secret_is_redacted() {
    assert_redacted(&only(&[
        "request received only",
        "aks request received",
        "cri request received",
    ]));
}

#[test]
fn secret_values_are_kept_with_keep_secret_values() {
    let tmp = tempfile::tempdir().unwrap();
    let log = common::write(
        tmp.path(),
        "audit.log",
        format!(
            "{}\n",
            event("kept", &on_secrets("create", ""), &req(&secret()))
        ),
    );
    let index = tmp.path().join("idx");
    run(
        &index,
        &["index", "--keep-secret-values", log.to_str().unwrap()],
    );
    assert!(run(&index, &["show", "kept", "--format", "json"]).contains(V));
}

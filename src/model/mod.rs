//! The normalized audit event and the values derived from it (actor, exec command,
//! user-agent family, time), its one flat projection ([`EventRow`]) and the field registry
//! ([`fields`]). Pure data and pure functions: no I/O, no tantivy, no terminal.
//! The bottom layer: imports nothing of the crate.

pub mod actor;
pub mod authz;
pub mod exec;
pub mod fields;
pub mod net;
pub mod row;
pub mod sanitize;
pub mod time;
pub mod useragent;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::value::RawValue;

pub use actor::{Actor, ActorKind};
pub use exec::ExecInfo;
pub use row::EventRow;
pub use time::Micros;

/// `n` and the noun, singular for one: `1 request`, `3 requests`.
pub fn plural<N: fmt::Display + PartialEq + From<u8> + Copy>(n: N, noun: &str) -> String {
    if n == N::from(1) {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The stage of a request at which an audit record was written.
///
/// Ordered by completeness: a request's stage records are merged into one event that keeps
/// the most complete record (`ResponseComplete`, then `Panic`, then `ResponseStarted`,
/// then `RequestReceived`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Stage {
    RequestReceived,
    ResponseStarted,
    Panic,
    ResponseComplete,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::RequestReceived,
        Stage::ResponseStarted,
        Stage::Panic,
        Stage::ResponseComplete,
    ];

    pub fn parse(s: &str) -> Option<Stage> {
        Some(match s {
            "RequestReceived" => Stage::RequestReceived,
            "ResponseStarted" => Stage::ResponseStarted,
            "Panic" => Stage::Panic,
            "ResponseComplete" => Stage::ResponseComplete,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::RequestReceived => "RequestReceived",
            Stage::ResponseStarted => "ResponseStarted",
            Stage::Panic => "Panic",
            Stage::ResponseComplete => "ResponseComplete",
        }
    }

    /// The bit of this stage in a [`StageSet`].
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of stages seen for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct StageSet(pub u8);

impl StageSet {
    pub fn of(stage: Stage) -> StageSet {
        StageSet(stage.bit())
    }

    #[must_use]
    pub fn union(self, other: StageSet) -> StageSet {
        StageSet(self.0 | other.0)
    }

    pub fn contains(self, stage: Stage) -> bool {
        self.0 & stage.bit() != 0
    }

    pub fn is_superset_of(self, other: StageSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn iter(self) -> impl Iterator<Item = Stage> {
        Stage::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl Serialize for StageSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Stage::as_str))
    }
}

/// The input format a record was read from (the shape of the file, not its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// `audit.k8s.io/v1` (or `v1beta1`) Event, as the API server writes it.
    Native,
    /// EKS: `aws logs filter-log-events` JSON (`{"events":[{"message": <event>}]}`).
    EksCli,
    /// EKS: CloudWatch export to S3, lines `<ISO time> <event>`.
    EksS3,
    /// EKS: Firehose delivery, concatenated `{messageType, logEvents:[…]}` objects.
    EksFirehose,
    /// EKS: CloudWatch Logs Insights CSV export (`@timestamp,@message`).
    EksCsv,
    /// GKE: Cloud Logging `LogEntry` with a `protoPayload` AuditLog.
    Gke,
    /// AKS: diagnostic-settings record (`properties.log`), storage lines or Event Hub.
    Aks,
    /// OpenShift must-gather, written by kube-apiserver.
    OpenshiftKube,
    /// OpenShift must-gather, written by openshift-apiserver.
    OpenshiftApi,
    /// OpenShift must-gather, written by oauth-apiserver.
    OpenshiftOauth,
    /// CRI container log lines (`<time> stdout F <event>`).
    Cri,
    /// Container stdout with klog lines interleaved (minikube).
    Stdout,
    /// The legacy text backend (`… AUDIT: id="…" stage="…" …`).
    Legacy,
}

impl SourceFormat {
    pub const ALL: [SourceFormat; 13] = [
        SourceFormat::Native,
        SourceFormat::EksCli,
        SourceFormat::EksS3,
        SourceFormat::EksFirehose,
        SourceFormat::EksCsv,
        SourceFormat::Gke,
        SourceFormat::Aks,
        SourceFormat::OpenshiftKube,
        SourceFormat::OpenshiftApi,
        SourceFormat::OpenshiftOauth,
        SourceFormat::Cri,
        SourceFormat::Stdout,
        SourceFormat::Legacy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Native => "native",
            SourceFormat::EksCli => "eks-cli",
            SourceFormat::EksS3 => "eks-s3",
            SourceFormat::EksFirehose => "eks-firehose",
            SourceFormat::EksCsv => "eks-csv",
            SourceFormat::Gke => "gke",
            SourceFormat::Aks => "aks",
            SourceFormat::OpenshiftKube => "openshift-kube-apiserver",
            SourceFormat::OpenshiftApi => "openshift-apiserver",
            SourceFormat::OpenshiftOauth => "openshift-oauth-apiserver",
            SourceFormat::Cri => "cri",
            SourceFormat::Stdout => "stdout",
            SourceFormat::Legacy => "legacy",
        }
    }

    pub fn parse(s: &str) -> Option<SourceFormat> {
        SourceFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The OpenShift API server that wrote the record, for the must-gather formats.
    pub fn openshift_server(self) -> Option<&'static str> {
        match self {
            SourceFormat::OpenshiftKube => Some("kube-apiserver"),
            SourceFormat::OpenshiftApi => Some("openshift-apiserver"),
            SourceFormat::OpenshiftOauth => Some("oauth-apiserver"),
            _ => None,
        }
    }
}

/// Where a record came from: the input file and the 1-based line its record starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SourceRef {
    pub file: String,
    pub line: u64,
    /// The 0-based index of the record in the JSON array that held it (a top-level array,
    /// `items`, `records`, `events`, `logEvents`), as `jq '.records[N]'` takes it: several
    /// records of a one-line document share their line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl SourceRef {
    /// The same source, at element `index` of an array.
    #[must_use]
    pub fn element(&self, index: usize) -> SourceRef {
        SourceRef {
            file: self.file.clone(),
            line: self.line,
            record: Some(index as u64),
        }
    }
}

/// `file:line`, and `[record N]` for an element of an array.
impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        match self.record {
            Some(r) => write!(f, " [record {r}]"),
            None => Ok(()),
        }
    }
}

/// `user` / `impersonatedUser` of an audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct UserInfo {
    pub username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// The first value of a `user.extra` key.
    pub fn extra_value(&self, key: &str) -> Option<&str> {
        self.extra.get(key)?.first().map(String::as_str)
    }
}

/// The credential lineage from `user.extra`: which token or certificate, issued to which pod
/// on which node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Credential {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
}

impl Credential {
    pub const ID_KEY: &'static str = "authentication.kubernetes.io/credential-id";
    pub const POD_NAME_KEY: &'static str = "authentication.kubernetes.io/pod-name";
    pub const POD_UID_KEY: &'static str = "authentication.kubernetes.io/pod-uid";
    pub const NODE_NAME_KEY: &'static str = "authentication.kubernetes.io/node-name";

    pub fn from_user(user: &UserInfo) -> Credential {
        Credential::from_extra(|k| user.extra_value(k))
    }

    /// The credential of a `user.extra`, given how to read the first value of a key.
    pub fn from_extra<'a>(extra: impl Fn(&str) -> Option<&'a str>) -> Credential {
        let get = |k: &str| extra(k).map(str::to_owned);
        Credential {
            id: get(Self::ID_KEY),
            pod_name: get(Self::POD_NAME_KEY),
            pod_uid: get(Self::POD_UID_KEY),
            node_name: get(Self::NODE_NAME_KEY),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.pod_name.is_none() && self.node_name.is_none()
    }
}

/// `objectRef`: what the request was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ObjectRef {
    pub resource: String,
    pub subresource: String,
    pub api_group: String,
    pub api_version: String,
    pub namespace: String,
    pub name: String,
}

/// One logical request: the merged stage records of one `auditID`.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// `requestReceivedTimestamp`, else `stageTimestamp` (else the v1beta1 `timestamp`).
    pub time: Micros,
    /// `requestReceivedTimestamp` as logged (absent in some exports).
    pub received: Option<Micros>,
    pub stage_time: Option<Micros>,
    pub audit_id: String,
    /// The most complete stage record kept; `None` when the record had no stage field.
    pub stage: Option<Stage>,
    pub stages: StageSet,
    pub level: String,
    pub verb: String,
    pub user: UserInfo,
    pub actor: Actor,
    pub impersonated: Option<UserInfo>,
    pub credential: Credential,
    /// All source IPs as logged; the last one is the socket peer, the only trustworthy one.
    pub source_ips: Vec<String>,
    pub user_agent: String,
    pub ua_family: String,
    pub object: ObjectRef,
    pub code: Option<u16>,
    pub status_reason: String,
    pub status_message: String,
    pub decision: String,
    pub authz_reason: String,
    pub request_uri: String,
    pub exec: Option<ExecInfo>,
    pub annotations: BTreeMap<String, String>,
    /// Facts derived from the request (see `detect::facts`): pod-spec risks, pod IPs, RBAC
    /// grants, exec command classes…
    pub facts: Vec<String>,
    /// Whether the record carried a request / response body (kept or not).
    #[serde(skip)]
    pub has_bodies: bool,
    #[serde(skip)]
    pub request_object: Option<Box<RawValue>>,
    #[serde(skip)]
    pub response_object: Option<Box<RawValue>>,
    pub source: SourceRef,
    pub format: SourceFormat,
    /// The cluster label: from the export when it names the cluster, else `--cluster`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// The record was cut short by the exporter (`[Truncated...]`, a cut `properties.log`):
    /// only its leading fields were salvaged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub salvaged: bool,
}

/// Verbs and subresources whose requests stay open (watches, exec and attach sessions, port
/// forwards, proxies): their last stage is written much later than the first.
pub fn is_long_running(verb: &str, subresource: &str, request_uri: &str) -> bool {
    verb == "watch"
        || matches!(subresource, "exec" | "attach" | "portforward" | "proxy")
        || request_uri.contains("watch=true")
        || request_uri.contains("watch=1")
}

impl AuditEvent {
    /// The trusted source IP: the last of `sourceIPs` (the socket peer).
    pub fn peer_ip(&self) -> Option<&str> {
        self.source_ips.last().map(String::as_str)
    }

    /// The request path, without its query string.
    pub fn path(&self) -> &str {
        self.request_uri.split('?').next().unwrap_or_default()
    }

    /// True when the authorizer allowed the request: the decision annotation when present,
    /// else a 2xx/101 response code.
    pub fn allowed(&self) -> bool {
        match self.decision.as_str() {
            "allow" => true,
            "forbid" => false,
            _ => self
                .code
                .is_some_and(|c| (200..300).contains(&c) || c == 101),
        }
    }

    /// What the request was about: `namespace/name`, `name`, `namespace/`, or the path of a
    /// non-resource request.
    pub fn target(&self) -> String {
        match (self.object.namespace.as_str(), self.object.name.as_str()) {
            ("", "") => self.path().to_owned(),
            (ns, n) => row::join_target(ns, n),
        }
    }

    /// `resource/subresource`, or `resource` alone.
    pub fn resource_path(&self) -> String {
        row::join_resource(&self.object.resource, &self.object.subresource)
    }
}

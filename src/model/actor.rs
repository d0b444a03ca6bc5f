//! Who made a request: the kind of actor behind a username and its groups.

use std::fmt;

use serde::Serialize;

/// The kind of identity that made a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActorKind {
    /// `system:anonymous`, group `system:unauthenticated`, or a request that failed
    /// authentication (`user: {}`, an empty username).
    Anonymous,
    /// `system:serviceaccount:<namespace>:<name>`.
    ServiceAccount,
    /// A kubelet: `system:node:<name>` or group `system:nodes`.
    Node,
    /// A control-plane component: `system:kube-scheduler`, `system:kube-controller-manager`,
    /// `system:apiserver`, managed-cluster agents (`eks:*`, `aksService`…).
    ControlPlane,
    /// Anyone else: people, CI systems, cloud IAM identities.
    Human,
    /// The record names no user at all (a legacy response line whose request line is
    /// missing, a GKE entry without `authenticationInfo`): who it was is not known, which is
    /// not the same as anonymous.
    Unknown,
}

impl ActorKind {
    pub const ALL: [ActorKind; 6] = [
        ActorKind::Anonymous,
        ActorKind::ServiceAccount,
        ActorKind::Node,
        ActorKind::ControlPlane,
        ActorKind::Human,
        ActorKind::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Anonymous => "anonymous",
            ActorKind::ServiceAccount => "service-account",
            ActorKind::Node => "node",
            ActorKind::ControlPlane => "control-plane",
            ActorKind::Human => "human",
            ActorKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<ActorKind> {
        ActorKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The classified identity of a request's (authenticated) user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub kind: ActorKind,
    /// Namespace of a service account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sa_namespace: Option<String>,
    /// Name of a service account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sa_name: Option<String>,
    /// Node name of a kubelet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

const SA_PREFIX: &str = "system:serviceaccount:";

/// The service accounts kube-controller-manager (with `--use-service-account-credentials`)
/// and cloud-controller-manager run their controllers as, in `kube-system`.
pub const BUILTIN_CONTROLLERS: &[&str] = &[
    "attachdetach-controller",
    "bootstrap-signer",
    "certificate-controller",
    "clusterrole-aggregation-controller",
    "cronjob-controller",
    "daemon-set-controller",
    "deployment-controller",
    "disruption-controller",
    "endpoint-controller",
    "endpointslice-controller",
    "endpointslicemirroring-controller",
    "ephemeral-volume-controller",
    "expand-controller",
    "generic-garbage-collector",
    "horizontal-pod-autoscaler",
    "job-controller",
    "legacy-service-account-token-cleaner",
    "namespace-controller",
    "node-controller",
    "persistent-volume-binder",
    "pod-garbage-collector",
    "pv-protection-controller",
    "pvc-protection-controller",
    "replicaset-controller",
    "replication-controller",
    "resource-claim-controller",
    "resourcequota-controller",
    "root-ca-cert-publisher",
    "route-controller",
    "selinux-warning-controller",
    "service-account-controller",
    "service-cidrs-controller",
    "service-controller",
    "statefulset-controller",
    "token-cleaner",
    "ttl-after-finished-controller",
    "ttl-controller",
    "validatingadmissionpolicy-status-controller",
    "volumeattributesclass-protection-controller",
    "cloud-node-controller",
    "cloud-node-lifecycle-controller",
    "node-ipam-controller",
];

/// True for `kube-system:<name>` of a built-in controller.
pub fn is_builtin_controller_sa(sa: &str) -> bool {
    sa.strip_prefix("kube-system:")
        .is_some_and(|n| BUILTIN_CONTROLLERS.contains(&n))
}
const NODE_PREFIX: &str = "system:node:";

/// `system:` names that are people with admin certificates, not components.
const HUMAN_SYSTEM_USERS: &[&str] = &["system:admin"];

/// Control-plane identities of managed clusters that do not use the `system:` prefix.
const MANAGED_CONTROL_PLANE: &[&str] = &[
    "aksService",
    "masterclient",
    "nodeclient",
    "kube-apiserver",
    "kube-apiserver-kubelet-client",
    "cloud-controller-manager",
];

impl Actor {
    /// The actor of a record that names no user (no `user` object at all).
    pub fn unknown() -> Actor {
        Actor {
            kind: ActorKind::Unknown,
            sa_namespace: None,
            sa_name: None,
            node: None,
        }
    }

    /// Classifies a username and its groups. An empty username (`user: {}`, a request that
    /// carried no identity and failed authentication) is anonymous.
    pub fn classify(username: &str, groups: &[String]) -> Actor {
        let bare = |kind| Actor {
            kind,
            sa_namespace: None,
            sa_name: None,
            node: None,
        };
        let in_group = |g: &str| groups.iter().any(|x| x == g);
        if username == "system:anonymous" || in_group("system:unauthenticated") {
            return bare(ActorKind::Anonymous);
        }
        if username.is_empty() {
            return bare(ActorKind::Anonymous);
        }
        if let Some(rest) = username.strip_prefix(SA_PREFIX) {
            let (ns, name) = rest.split_once(':').unwrap_or((rest, ""));
            return Actor {
                kind: ActorKind::ServiceAccount,
                sa_namespace: Some(ns.to_owned()),
                sa_name: Some(name.to_owned()),
                node: None,
            };
        }
        if let Some(node) = username.strip_prefix(NODE_PREFIX) {
            return Actor {
                node: Some(node.to_owned()),
                ..bare(ActorKind::Node)
            };
        }
        if in_group("system:nodes") {
            return bare(ActorKind::Node);
        }
        if HUMAN_SYSTEM_USERS.contains(&username) {
            return bare(ActorKind::Human);
        }
        if username.starts_with("system:")
            || username.starts_with("eks:")
            || username.starts_with("eks-")
            || MANAGED_CONTROL_PLANE.contains(&username)
        {
            return bare(ActorKind::ControlPlane);
        }
        bare(ActorKind::Human)
    }

    /// `namespace:name` of a service account.
    pub fn service_account(&self) -> Option<String> {
        Some(format!(
            "{}:{}",
            self.sa_namespace.as_deref()?,
            self.sa_name.as_deref()?
        ))
    }

    /// True for control-plane identities and the service accounts of kube-controller-manager's
    /// and cloud-controller-manager's own controllers, which create and delete pods and jobs
    /// as routine. Other `kube-system` accounts named `*-controller` (add-ons such as a load
    /// balancer controller) are workloads like any other.
    pub fn is_controller(&self) -> bool {
        self.kind == ActorKind::ControlPlane
            || self
                .service_account()
                .is_some_and(|sa| is_builtin_controller_sa(&sa))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(user: &str, groups: &[&str]) -> ActorKind {
        let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
        Actor::classify(user, &groups).kind
    }

    #[test]
    fn classifies_identities() {
        assert_eq!(kind("system:anonymous", &[]), ActorKind::Anonymous);
        assert_eq!(kind("", &[]), ActorKind::Anonymous);
        assert_eq!(kind("x", &["system:unauthenticated"]), ActorKind::Anonymous);
        assert_eq!(kind("system:node:ip-10-0-1-2", &[]), ActorKind::Node);
        assert_eq!(kind("system:kube-scheduler", &[]), ActorKind::ControlPlane);
        assert_eq!(
            kind("eks:certificate-controller", &[]),
            ActorKind::ControlPlane
        );
        assert_eq!(kind("alice@example.com", &[]), ActorKind::Human);
        assert_eq!(kind("system:admin", &["system:masters"]), ActorKind::Human);
        assert_eq!(
            kind("arn:aws:iam::123456789012:user/alice", &[]),
            ActorKind::Human
        );
    }

    #[test]
    fn service_account_parts() {
        let a = Actor::classify("system:serviceaccount:shop:web", &[]);
        assert_eq!(a.kind, ActorKind::ServiceAccount);
        assert_eq!(a.service_account().as_deref(), Some("shop:web"));
        assert!(!a.is_controller());
        let c = Actor::classify(
            "system:serviceaccount:kube-system:replicaset-controller",
            &[],
        );
        assert!(c.is_controller());
        let addon = Actor::classify(
            "system:serviceaccount:kube-system:aws-load-balancer-controller",
            &[],
        );
        assert!(!addon.is_controller());
    }
}

"""The simulated cluster: constants, nodes, service accounts, pods, identities."""

from events import Identity, uuid4, hexid, k8s_suffix, rbac_reason

# ---------------------------------------------------------------- constants

K8S = "v1.29.3"
K8S_COMMIT = "6813625"
CLUSTER = "prod-eu-1"
API_VIP = "10.0.0.10"
CP_IP = "10.0.0.11"                 # control-plane node (apiserver, kcm, scheduler)
LB_IPS = ("10.0.0.2", "10.0.0.3")   # HAProxy pair in front of the API server
CI_RUNNER_IP = "10.0.3.15"
VPN = {"alice": "10.8.0.14", "bob": "10.8.0.22", "carol": "10.8.0.31", "dave": "10.8.0.47"}
POD_CIDR = "10.244.0.0/16"
NODE_CIDR = "10.0.1.0/24"
CP_CIDR = "10.0.0.0/24"

UA_KUBECTL = "kubectl/%s (linux/amd64) kubernetes/%s" % (K8S, K8S_COMMIT)
UA_KUBECTL_MAC = "kubectl/v1.29.2 (darwin/arm64) kubernetes/4b8e819"
UA_KUBELET = "kubelet/%s (linux/amd64) kubernetes/%s" % (K8S, K8S_COMMIT)
UA_KCM = "kube-controller-manager/%s (linux/amd64) kubernetes/%s" % (K8S, K8S_COMMIT)
UA_SCHED = "kube-scheduler/%s (linux/amd64) kubernetes/%s" % (K8S, K8S_COMMIT)
UA_PROXY = "kube-proxy/%s (linux/amd64) kubernetes/%s" % (K8S, K8S_COMMIT)
UA_COREDNS = "coredns/v1.11.1 (linux/amd64) kubernetes/$Format"
UA_PROM = "prometheus/v2.51.1 (linux/amd64) kubernetes/$Format"
UA_PROM_SCRAPE = "Prometheus/2.51.1"
UA_ARGO = "argocd-application-controller/v2.10.5+335875d (linux/amd64) kubernetes/$Format"
UA_CERTMGR = "cert-manager-controller/v1.14.4 (linux/amd64) cert-manager/f4ae6e5a6bd6f8a0d8a8b1f3a5b4c2d6e7f8a9b0"
UA_VELERO = "velero-server/v1.13.0 (linux/amd64) 76670e940c52880a18dbbc59e3cbee7b94cd3352"
UA_WEB = "web-frontend/v2.3.1 (linux/amd64) kubernetes/$Format"
UA_WORKER = "shop-worker/v1.8.0 (linux/amd64) kubernetes/$Format"
UA_INGRESS = "nginx-ingress-controller/v1.10.0 (linux/amd64) ingress-nginx/71f78d49f0a496c31d4c19f095469f3f23900f8a"
UA_PROBE = "kube-probe/1.29"
UA_CURL = "curl/8.4.0"
UA_PYREQ = "python-requests/2.31.0"
UA_GOHTTP = "Go-http-client/1.1"
# the attacker's own workstation kubectl (1.30: exec over WebSockets, verb get)
UA_ATTACK_KUBECTL = "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350"

SA_GROUPS = lambda ns: ["system:serviceaccounts", "system:serviceaccounts:" + ns,
                        "system:authenticated"]
CRED = "authentication.kubernetes.io/credential-id"
X = "authentication.kubernetes.io/"


class Node:
    def __init__(self, rng, name, ip, index, control_plane=False):
        self.name = name
        self.ip = ip
        self.index = index                  # pod CIDR 10.244.<index>.0/24
        self.uid = uuid4(rng)
        self.control_plane = control_plane
        self.next_ip = 2
        self.pods = []
        self.identity = Identity("system:node:" + name, ["system:nodes", "system:authenticated"],
                                 extra={CRED: ["X509SHA256=" + hexid(rng, 32)]}, kind="node")

    def alloc_ip(self):
        ip = "10.244.%d.%d" % (self.index, self.next_ip)
        self.next_ip += 1
        if self.next_ip > 250:
            self.next_ip = 2
        return ip


class ServiceAccount:
    def __init__(self, rng, ns, name, binding=None):
        self.ns = ns
        self.name = name
        self.uid = uuid4(rng)
        self.username = "system:serviceaccount:%s:%s" % (ns, name)
        # authorization reason used for its allowed requests
        if binding is None:
            binding = ("RoleBinding", name, "Role", name, ns)
        bk, bname, rk, rname, bns = binding
        self.reason = rbac_reason(bk, bname, rk, rname, "ServiceAccount",
                                  "%s/%s" % (name, ns), bns)
        self.plain = Identity(self.username, SA_GROUPS(ns), uid=self.uid,
                              extra={CRED: ["JTI=" + uuid4(rng)]}, kind="sa")

    def legacy_identity(self):
        return Identity(self.username, SA_GROUPS(self.ns), uid=self.uid, kind="sa")


class Pod:
    __slots__ = ("ns", "name", "uid", "node", "ip", "sa", "owner", "labels", "image",
                 "containers", "secrets", "configmaps", "identity", "jti", "host_network",
                 "app", "ports", "created_us", "alive", "privileged", "extra_spec")

    def __init__(self, rng, ns, name, node, sa, owner=None, labels=None, image="nginx:1.25",
                 containers=None, secrets=(), configmaps=("kube-root-ca.crt",),
                 host_network=False, app=None, ports=(8080,)):
        self.ns = ns
        self.name = name
        self.uid = uuid4(rng)
        self.node = node
        self.host_network = host_network
        self.ip = node.ip if host_network else node.alloc_ip()
        self.sa = sa
        self.owner = owner                  # (kind, name, uid, apiVersion)
        self.labels = labels or {"app": app or name}
        self.image = image
        self.containers = containers or [(app or name.split("-")[0], image)]
        self.secrets = list(secrets)
        self.configmaps = list(configmaps)
        self.app = app or name
        self.ports = ports
        self.identity = None
        self.jti = None
        self.created_us = None
        self.alive = True
        self.privileged = False
        self.extra_spec = None
        node.pods.append(self)
        self.rotate_token(rng)

    def rotate_token(self, rng):
        self.jti = "JTI=" + uuid4(rng)
        self.identity = Identity(
            self.sa.username, SA_GROUPS(self.ns), uid=self.sa.uid,
            extra={CRED: [self.jti], X + "node-name": [self.node.name],
                   X + "node-uid": [self.node.uid], X + "pod-name": [self.name],
                   X + "pod-uid": [self.uid]}, kind="sa")
        return self.jti


def rs_hash(rng):
    return k8s_suffix(rng, 10)


class Human:
    def __init__(self, rng, name, groups, ip, reason, ua=UA_KUBECTL):
        self.name = name
        self.ip = ip
        self.ua = ua
        self.reason = reason
        self.identity = Identity(name, list(groups) + ["system:authenticated"], kind="user")


def kcm_identity(rng, controller):
    """kube-controller-manager with --use-service-account-credentials."""
    uid = uuid4(rng)
    return Identity("system:serviceaccount:kube-system:" + controller, SA_GROUPS("kube-system"),
                    uid=uid, extra={CRED: ["JTI=" + uuid4(rng)]}, kind="sa")


def kcm_ua(controller):
    return "%s/system:serviceaccount:kube-system:%s" % (UA_KCM, controller)


def kcm_reason(controller):
    role = "system:controller:" + controller
    return rbac_reason("ClusterRoleBinding", role, "ClusterRole", role, "ServiceAccount",
                       controller + "/kube-system")

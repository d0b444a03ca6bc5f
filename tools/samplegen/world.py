"""Builds the cluster topology: nodes, namespaces, service accounts, pods, people."""

import random

from events import Identity, uuid4, k8s_suffix, rbac_reason
from cluster import (Node, ServiceAccount, Pod, Human, kcm_identity, rs_hash, CP_IP, VPN,
                     CRED, UA_KUBECTL_MAC)
from events import hexid

CONTROLLERS = ["replicaset-controller", "deployment-controller", "endpointslice-controller",
               "job-controller", "cronjob-controller", "namespace-controller",
               "generic-garbage-collector", "ttl-after-finished-controller",
               "statefulset-controller", "daemon-set-controller", "certificate-controller",
               "endpoint-controller", "node-controller"]

# secrets per namespace (name, type) -- what an attacker can enumerate
SECRETS = {
    "shop": [("web-tls", "kubernetes.io/tls"), ("web-session-key", "Opaque"),
             ("postgres-credentials", "Opaque"), ("postgres-admin", "Opaque"),
             ("stripe-api-key", "Opaque"), ("worker-queue-credentials", "Opaque"),
             ("regcred", "kubernetes.io/dockerconfigjson")],
    "staging": [("web-tls", "kubernetes.io/tls"), ("web-session-key", "Opaque"),
                ("postgres-credentials", "Opaque")],
    "kube-system": [("bootstrap-token-7x4k2q", "bootstrap.kubernetes.io/token"),
                    ("kubeadm-certs", "Opaque"), ("etcd-backup-s3", "Opaque")],
    "ci": [("deployer-token", "kubernetes.io/service-account-token")],
    "argocd": [("argocd-secret", "Opaque"), ("argocd-initial-admin-secret", "Opaque"),
               ("repo-github-acme", "Opaque")],
    "monitoring": [("grafana-admin", "Opaque"), ("prometheus-tls", "kubernetes.io/tls"),
                   ("alertmanager-slack-webhook", "Opaque")],
    "cert-manager": [("letsencrypt-prod-account-key", "Opaque"),
                     ("cert-manager-webhook-ca", "kubernetes.io/tls")],
    "velero": [("cloud-credentials", "Opaque")],
    "ingress-nginx": [("ingress-nginx-admission", "Opaque")],
}


class World:
    def __init__(self, seed, scale=1.0):
        rng = random.Random("world-core-%d" % seed)
        self.rng = rng
        self.scale = scale
        self.nodes = []
        self.sas = {}
        self.pods = []
        self.secrets = {ns: list(v) for ns, v in SECRETS.items()}
        self.cp = self._node("cp-1", CP_IP, 0, True)
        for i in (1, 2, 3):
            self._node("worker-%d" % i, "10.0.1.%d" % (20 + i), i)
        w1, w2, w3 = self.nodes[1:4]
        self.kcm = {c: kcm_identity(rng, c) for c in CONTROLLERS}
        x509 = lambda: {CRED: ["X509SHA256=" + hexid(rng, 32)]}
        self.sched = Identity("system:kube-scheduler", ["system:authenticated"], extra=x509())
        self.kcm_user = Identity("system:kube-controller-manager", ["system:authenticated"],
                                 extra=x509())
        self.admin = Identity("kubernetes-admin", ["system:masters", "system:authenticated"],
                              extra=x509())
        sa = self._sa
        cluster_b = lambda n: ("ClusterRoleBinding", n, "ClusterRole", n, None)
        sa("kube-system", "kube-proxy", ("ClusterRoleBinding", "kubeadm:node-proxier",
                                         "ClusterRole", "system:node-proxier", None))
        sa("kube-system", "coredns", cluster_b("system:coredns"))
        sa("shop", "web", ("RoleBinding", "web", "Role", "web", "shop"))
        sa("shop", "worker", ("RoleBinding", "worker", "Role", "worker", "shop"))
        sa("shop", "postgres", ("RoleBinding", "postgres", "Role", "postgres", "shop"))
        sa("shop", "cart-cleanup", ("RoleBinding", "cart-cleanup", "Role", "cart-cleanup", "shop"))
        sa("staging", "web", ("RoleBinding", "web", "Role", "web", "staging"))
        sa("monitoring", "prometheus", cluster_b("prometheus"))
        sa("argocd", "argocd-application-controller", cluster_b("argocd-application-controller"))
        sa("cert-manager", "cert-manager", cluster_b("cert-manager-controller-certificates"))
        sa("velero", "velero", ("ClusterRoleBinding", "velero", "ClusterRole", "cluster-admin",
                                None))
        sa("ingress-nginx", "ingress-nginx", cluster_b("ingress-nginx"))
        sa("ci", "deployer", ("ClusterRoleBinding", "ci-deployer", "ClusterRole",
                              "ci-deployer", None))
        self.ci_identity = self.sas[("ci", "deployer")].legacy_identity()

        # long-running pods at the start of the data
        self.proxies = [self.add_pod("kube-system", "kube-proxy-" + k8s_suffix(rng), n,
                                     "kube-proxy", owner=("DaemonSet", "kube-proxy", uuid4(rng),
                                                          "apps/v1"),
                                     image="registry.k8s.io/kube-proxy:v1.29.3",
                                     host_network=True, app="kube-proxy", ports=())
                        for n in self.nodes]
        h = rs_hash(rng)
        self.coredns = [self.add_pod("kube-system", "coredns-%s-%s" % (h, k8s_suffix(rng)), n,
                                     "coredns", image="registry.k8s.io/coredns/coredns:v1.11.1",
                                     app="coredns", ports=(53, 9153)) for n in (w1, w3)]
        old = "web-6c8d9f7b4" + k8s_suffix(rng, 1)
        self.old_web = [self.add_pod("shop", "%s-%s" % (old, k8s_suffix(rng)), n, "web",
                                     image="ghcr.io/acme/web-frontend:2.3.0", app="web",
                                     secrets=("web-tls", "web-session-key"),
                                     configmaps=("kube-root-ca.crt", "web-flags"))
                        for n in (w1, w2, w3)]
        h = rs_hash(rng)
        self.workers = [self.add_pod("shop", "worker-%s-%s" % (h, k8s_suffix(rng)), n, "worker",
                                     image="ghcr.io/acme/shop-worker:1.8.0", app="worker",
                                     secrets=("worker-queue-credentials",),
                                     configmaps=("kube-root-ca.crt", "worker-config"))
                        for n in (w1, w2)]
        self.postgres = self.add_pod("shop", "postgres-0", w3, "postgres",
                                     owner=("StatefulSet", "postgres", uuid4(rng), "apps/v1"),
                                     image="postgres:16.2", app="postgres", ports=(5432,),
                                     secrets=("postgres-credentials",),
                                     configmaps=("kube-root-ca.crt", "postgres-config"))
        h = rs_hash(rng)
        self.staging_web = self.add_pod("staging", "web-%s-%s" % (h, k8s_suffix(rng)), w1, "web",
                                        image="ghcr.io/acme/web-frontend:2.4.0-rc1", app="web",
                                        secrets=("web-tls", "web-session-key"),
                                        configmaps=("kube-root-ca.crt", "web-flags"))
        self.prometheus = self.add_pod("monitoring", "prometheus-k8s-0", w1, "prometheus",
                                       owner=("StatefulSet", "prometheus-k8s", uuid4(rng),
                                              "apps/v1"),
                                       image="quay.io/prometheus/prometheus:v2.51.1",
                                       app="prometheus", ports=(9090,), secrets=("prometheus-tls",),
                                       configmaps=("kube-root-ca.crt", "prometheus-k8s-rulefiles-0"))
        self.argocd = self.add_pod("argocd", "argocd-application-controller-0", w1,
                                   "argocd-application-controller",
                                   owner=("StatefulSet", "argocd-application-controller",
                                          uuid4(rng), "apps/v1"),
                                   image="quay.io/argoproj/argocd:v2.10.5",
                                   app="argocd-application-controller", ports=(8082,),
                                   secrets=("argocd-secret",),
                                   configmaps=("kube-root-ca.crt", "argocd-cm"))
        h = rs_hash(rng)
        self.certmgr = self.add_pod("cert-manager", "cert-manager-%s-%s" % (h, k8s_suffix(rng)),
                                    w2, "cert-manager",
                                    image="quay.io/jetstack/cert-manager-controller:v1.14.4",
                                    app="cert-manager", ports=(9402,),
                                    configmaps=("kube-root-ca.crt",))
        h = rs_hash(rng)
        self.velero = self.add_pod("velero", "velero-%s-%s" % (h, k8s_suffix(rng)), w2, "velero",
                                   image="velero/velero:v1.13.0", app="velero", ports=(8085,),
                                   secrets=("cloud-credentials",),
                                   configmaps=("kube-root-ca.crt",))
        h = rs_hash(rng)
        self.ingress = self.add_pod("ingress-nginx", "ingress-nginx-controller-%s-%s" % (
            h, k8s_suffix(rng)), w2, "ingress-nginx",
            image="registry.k8s.io/ingress-nginx/controller:v1.10.0", app="ingress-nginx",
            ports=(80, 443), secrets=("ingress-nginx-admission",))

        # the 08:20 rollout of shop/web creates these (IPs fixed now for stability)
        self.web_rs = "web-7d9f8b6c5d"
        self.web_rs_uid = uuid4(rng)
        self.new_web = []
        for n, suffix in ((w2, "k2x8p"), (w1, k8s_suffix(rng)), (w3, k8s_suffix(rng))):
            p = self.add_pod("shop", "%s-%s" % (self.web_rs, suffix), n, "web",
                             owner=("ReplicaSet", self.web_rs, self.web_rs_uid, "apps/v1"),
                             image="ghcr.io/acme/web-frontend:2.3.1", app="web",
                             secrets=("web-tls", "web-session-key"),
                             configmaps=("kube-root-ca.crt", "web-flags"))
            p.alive = False
            self.new_web.append(p)
        self.victim = self.new_web[0]          # shop/web-7d9f8b6c5d-k2x8p on worker-2

        self.humans = {
            "alice": Human(rng, "alice@example.com", ["oidc:sre"], VPN["alice"],
                           rbac_reason("ClusterRoleBinding", "sre-view", "ClusterRole", "view",
                                       "Group", "oidc:sre")),
            "bob": Human(rng, "bob@example.com", ["oidc:developers"], VPN["bob"],
                         rbac_reason("RoleBinding", "developers-edit", "ClusterRole", "edit",
                                     "Group", "oidc:developers", "shop"), ua=UA_KUBECTL_MAC),
            "carol": Human(rng, "carol@example.com", ["oidc:platform"], VPN["carol"],
                           rbac_reason("ClusterRoleBinding", "platform-admin", "ClusterRole",
                                       "cluster-admin", "Group", "oidc:platform")),
            "dave": Human(rng, "dave@contractor.example.net", ["oidc:contractors"], VPN["dave"],
                          rbac_reason("RoleBinding", "contractors-debug", "ClusterRole",
                                      "contractor-debug", "Group", "oidc:contractors", "shop")),
        }
        self.extra_rng = random.Random("world-scale-%d" % seed)
        self._scale_out()

    # ------------------------------------------------------------ builders
    def _node(self, name, ip, idx, cp=False):
        n = Node(self.rng, name, ip, idx, cp)
        self.nodes.append(n)
        return n

    def _sa(self, ns, name, binding):
        s = ServiceAccount(self.rng, ns, name, binding)
        self.sas[(ns, name)] = s
        return s

    def add_pod(self, ns, name, node, sa_name, rng=None, **kw):
        pod = Pod(rng or self.rng, ns, name, node, self.sas.get((ns, sa_name)) or
                  self._sa(ns, sa_name, None), **kw)
        self.pods.append(pod)
        return pod

    def _scale_out(self):
        """Extra nodes and tenant apps for the benchmark-sized output."""
        rng = self.extra_rng
        self.tenants = []
        if self.scale <= 1.0:
            return
        n_workers = min(200, int(round(3 * self.scale ** 0.5)))
        for i in range(4, n_workers + 1):
            self._node("worker-%d" % i, "10.0.%d.%d" % (1 + (20 + i) // 250, (20 + i) % 250),
                       i % 256)
        for n in self.nodes[4:]:
            self.proxies.append(self.add_pod("kube-system", "kube-proxy-" + k8s_suffix(rng), n,
                                             "kube-proxy", rng=rng,
                                             image="registry.k8s.io/kube-proxy:v1.29.3",
                                             host_network=True, app="kube-proxy", ports=()))
        n_tenants = int(round(2 * self.scale))
        workers = self.nodes[1:]
        for t in range(n_tenants):
            ns = "tenant-%03d" % t
            self.secrets[ns] = [("api-tls", "kubernetes.io/tls"), ("db-credentials", "Opaque")]
            self._sa(ns, "api", ("RoleBinding", "api", "Role", "api", ns))
            h = rs_hash(rng)
            for r in range(3):
                p = self.add_pod(ns, "api-%s-%s" % (h, k8s_suffix(rng)),
                                 workers[(t * 3 + r) % len(workers)], "api", rng=rng,
                                 image="ghcr.io/acme/tenant-api:1.%d.0" % (t % 9), app="api",
                                 secrets=("api-tls", "db-credentials"),
                                 configmaps=("kube-root-ca.crt", "api-config"))
                self.tenants.append(p)

    def node(self, name):
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def alive_pods(self):
        return [p for p in self.pods if p.alive]

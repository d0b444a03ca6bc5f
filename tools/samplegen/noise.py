"""Periodic benign traffic: leases, kubelets, probes, system add-ons, apps, scanners."""

from events import US, uuid4
from api import q
import bodies
from cluster import (UA_KUBELET, UA_SCHED, UA_KCM, UA_PROXY, UA_COREDNS, UA_PROM,
                     UA_PROM_SCRAPE, UA_ARGO, UA_CERTMGR, UA_INGRESS, UA_WEB, UA_WORKER,
                     UA_PROBE, LB_IPS)

PUBLIC_INFO = ('RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole '
               '"system:public-info-viewer" to Group "system:unauthenticated"')
DISCOVERY = ('RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole '
             '"system:discovery" to Group "system:authenticated"')

SCANNER_IPS = ["192.0.2.%d" % i for i in (14, 77, 133, 201)] + \
              ["198.51.100.%d" % i for i in (9, 142, 188)] + ["203.0.113.%d" % i for i in (5, 211)]
SCANNER_PATHS = ["/", "/api", "/apis", "/api/v1/pods", "/api/v1/namespaces",
                 "/api/v1/secrets", "/.env", "/metrics", "/openapi/v2", "/version",
                 "/api/v1/namespaces/kube-system/secrets", "/apis/apps/v1/deployments",
                 "/wp-login.php", "/.git/config", "/api/v1/nodes", "/ui/", "/actuator/env"]
SCANNER_UAS = ["Mozilla/5.0 zgrab/0.x", "Go-http-client/1.1", "curl/7.68.0",
               "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
               "python-requests/2.28.1", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"]


class Noise:
    def __init__(self, engine, api, world, rng, labels, density):
        self.e = engine
        self.api = api
        self.w = world
        self.rng = rng
        self.labels = labels
        self.d = density
        from events import Identity
        self.anon = Identity("system:anonymous", ["system:unauthenticated"])

    def every(self, start, period, jitter, body):
        rng = self.rng

        def fn(t):
            r = body(t)
            if r is False:
                return None
            return t + period + (rng.randint(-jitter, jitter) if jitter else 0)
        self.e.at(start, fn)

    def install(self):
        e, w, rng, d = self.e, self.w, self.rng, self.d
        s = e.start
        cp = w.cp.ip
        # --- leader election (policy omits RequestReceived for leases)
        leaders = [(w.sched, "kube-scheduler", UA_SCHED)]
        if d["kcm_lease"]:
            leaders.append((w.kcm_user, "kube-controller-manager", UA_KCM))
        for ident, name, ua in leaders:
            self.lease(s + rng.randint(0, 2 * US), ident, "kube-system", name,
                       ua + "/leader-election", cp,
                       'RBAC: allowed by ClusterRoleBinding "%s" of ClusterRole "%s" to User "%s"'
                       % (ident.name, ident.name, ident.name), d["leader_lease"])
        for n in w.nodes:
            self.lease(s + rng.randint(0, 10 * US), n.identity, "kube-node-lease", n.name,
                       UA_KUBELET, n.ip, "", 10 * US, timeout="10s")
            self.every(s + rng.randint(0, 300 * US), 300 * US, 3 * US,
                       lambda t, n=n: self.node_status(t, n))
            self.node_manager(n)
        # --- health probes and public paths
        for ip in LB_IPS:
            self.every(s + rng.randint(0, d["lb_probe"]), d["lb_probe"], 200_000,
                       lambda t, ip=ip: self.probe(t, ip, None, "/readyz"))
        if d["kube_probe"]:
            self.every(s + rng.randint(0, d["kube_probe"]), d["kube_probe"], 50_000,
                       lambda t: self.probe(t, cp, UA_PROBE, "/livez"))
        self.every(s + rng.randint(0, 60 * US), 60 * US, 2 * US,
                   lambda t: self.probe(t, w.prometheus.ip, "Blackbox Exporter/0.24.0",
                                        rng.choice(("/healthz", "/version"))))
        self.every(s + rng.randint(0, 600 * US), d["scanner"], d["scanner"] // 2,
                   self.scanner)
        # --- add-ons
        for p in w.proxies:
            for res, grp, params in (("endpointslices", "discovery.k8s.io", {"labelSelector": "!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name"}),
                                     ("services", "", {"labelSelector": "!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name"}),
                                     ):
                self.watch_loop(p, res, grp, UA_PROXY, **params)
        for p in w.coredns:
            for res, grp in (("endpointslices", "discovery.k8s.io"), ("services", ""),
                             ("namespaces", "")):
                self.watch_loop(p, res, grp, UA_COREDNS)
        pr = w.prometheus
        for res in ("pods", "endpoints", "services", "nodes"):
            self.watch_loop(pr, res, "", UA_PROM)
        self.every(s + rng.randint(0, 30 * US), d["prom_scrape"], 500_000,
                   lambda t: self.api.nonres(rng, t, pr.identity, "/metrics", pr.ip,
                                             UA_PROM_SCRAPE, reason=pr.sa.reason))
        for n in w.nodes:
            self.every(s + rng.randint(0, 120 * US), d["cadvisor"], 1_000_000,
                       lambda t, n=n: self.cadvisor(t, n))
        ar = w.argocd
        for res, grp in (("deployments", "apps"), ("replicasets", "apps"), ("services", ""),
                         ("configmaps", ""), ("applications", "argoproj.io")):
            self.watch_loop(ar, res, grp, UA_ARGO, version="v1alpha1" if grp == "argoproj.io" else "v1")
        self.every(s + rng.randint(0, 180 * US), d["argocd"], 5 * US, self.argocd_reconcile)
        cm = w.certmgr
        self.watch_loop(cm, "secrets", "", UA_CERTMGR, label="cert-manager-secret-watch",
                        labelSelector="controller.cert-manager.io/fao=true")
        for res in ("certificates", "certificaterequests", "issuers"):
            self.watch_loop(cm, res, "cert-manager.io", UA_CERTMGR)
        ing = w.ingress
        for res, grp in (("ingresses", "networking.k8s.io"), ("services", ""),
                         ("endpointslices", "discovery.k8s.io"), ("secrets", "")):
            self.watch_loop(ing, res, grp, UA_INGRESS)
        # --- applications
        for p in w.old_web:
            self.start_app(p, s + rng.randint(0, 60 * US))
        for p in w.workers:
            self.start_app(p, s + rng.randint(0, 60 * US))
        self.start_app(w.staging_web, s + rng.randint(0, 60 * US))
        for p in w.tenants:
            self.start_app(p, s + rng.randint(0, 60 * US))

    # ------------------------------------------------------------ pieces
    def lease(self, start, ident, ns, name, ua, src, reason, period, timeout="5s"):
        rng, api, e = self.rng, self.api, self.e
        uid = uuid4(rng)

        def body(t):
            api.call(rng, t, ident, "update", "leases", ns=ns, name=name,
                     group="coordination.k8s.io", query="timeout=" + timeout, src=src, ua=ua,
                     reason=reason, uid=uid, rv=e.next_rv(rng), omit_rr=True,
                     latency=rng.randint(1500, 7000))
        self.every(start, period, period // 40, body)

    def node_status(self, t, n):
        rng = self.rng
        big = rng.random() < self.d["big_node_status"]
        body = bodies.node_status_patch(n, t, rng, big)
        self.api.call(rng, t, n.identity, "patch", "nodes", name=n.name, sub="status",
                      query="timeout=10s", src=n.ip, ua=UA_KUBELET, level="Request", req=body)

    def probe(self, t, ip, ua, path):
        self.w.label("lb-health-probes",
                     self.api.nonres(self.rng, t, self.anon, path, ip, ua, reason=PUBLIC_INFO))

    def scanner(self, t):
        rng, api = self.rng, self.api
        ip = rng.choice(SCANNER_IPS)
        ua = rng.choice(SCANNER_UAS)
        for _ in range(rng.randint(1, 4)):
            path = rng.choice(SCANNER_PATHS)
            t += rng.randint(50_000, 2_000_000)
            if rng.random() < 0.15:
                # bogus bearer token: authentication fails
                self.e.request(rng, t, None, "get", path, ip, ua, None, 401)
            elif path == "/version":
                api.nonres(rng, t, self.anon, path, ip, ua, reason=PUBLIC_INFO)
            else:
                api.nonres(rng, t, self.anon, path, ip, ua, code=403)

    def watch_loop(self, pod, resource, group, ua, version="v1", ns=None, label=None,
                   **params):
        rng, api = self.rng, self.api

        def fn(t):
            if not pod.alive:
                return None
            end = api.watch(rng, t, pod.identity, resource, pod.ip, ua, reason=pod.sa.reason,
                            ns=ns, group=group, version=version, **params)
            if label:
                self.w.label(label, api.last_aid)
            return end
        self.e.at(self.e.start + rng.randint(0, 600 * US), fn)

    def cadvisor(self, t, n):
        pr = self.w.prometheus
        self.w.label("prometheus-nodes-proxy-metrics", self.api.call(
            self.rng, t, pr.identity, "get", "nodes", name=n.name, sub="proxy",
            uri="/api/v1/nodes/%s/proxy/metrics/cadvisor" % n.name, src=pr.ip,
            ua=UA_PROM_SCRAPE, reason=pr.sa.reason))

    def argocd_reconcile(self, t):
        rng, api, ar = self.rng, self.api, self.w.argocd
        for app in ("shop", "staging", "monitoring"):
            t += rng.randint(100_000, 3_000_000)
            api.call(rng, t, ar.identity, "patch", "applications", ns="argocd", name=app,
                     group="argoproj.io", version="v1alpha1", src=ar.ip, ua=UA_ARGO,
                     reason=ar.sa.reason)
        api.call(rng, t + 20_000, ar.identity, "get", "configmaps", ns="argocd",
                 name="argocd-cm", src=ar.ip, ua=UA_ARGO, reason=ar.sa.reason)

    # ------------------------------------------------------------ kubelet duties
    def node_manager(self, n):
        """Per node, every minute: watches of pod secrets/configmaps, token refresh,
        occasional pod status patches."""
        rng, api, e = self.rng, self.api, self.e
        watches = {}
        next_token = {}
        next_status = {}
        first = e.start

        def fn(t):
            keys = {("pods", "", "spec.nodeName=" + n.name)}
            for p in n.pods:
                if not p.alive:
                    continue
                for cm in p.configmaps:
                    keys.add(("configmaps", p.ns, cm))
                for s_ in p.secrets:
                    keys.add(("secrets", p.ns, s_))
                nt = next_token.get(p.uid)
                if nt is None:
                    born = p.created_us or first
                    nt = born + (rng.randint(0, 48 * 60 * US) if born == first
                                 else 48 * 60 * US + rng.randint(-60 * US, 60 * US))
                    next_token[p.uid] = nt
                if nt <= t:
                    api.kubelet_token(rng, t + rng.randint(0, 50 * US), p)
                    next_token[p.uid] = t + 48 * 60 * US + rng.randint(-60 * US, 60 * US)
                ns_ = next_status.get(p.uid)
                if ns_ is None:
                    born = p.created_us or first
                    ns_ = born + (rng.randint(60 * US, 40 * 60 * US) if born == first
                                  else rng.randint(60, 180) * 60 * US)
                    next_status[p.uid] = ns_
                if ns_ <= t:
                    tt = t + rng.randint(0, 50 * US)
                    api.kubelet_pod_status(rng, tt, p, started=first - 3 * 86400 * US,
                                           restarts=rng.randint(0, 2))
                    next_status[p.uid] = t + rng.randint(60, 180) * 60 * US
            for key in sorted(keys):
                if watches.get(key, 0) <= t:
                    res, ns_, name = key
                    tt = t + rng.randint(0, 55 * US)
                    if res == "pods":
                        end = api.watch(rng, tt, n.identity, "pods", n.ip, UA_KUBELET,
                                        fieldSelector=name)
                    else:
                        end = api.watch(rng, tt, n.identity, res, n.ip, UA_KUBELET, ns=ns_,
                                        fieldSelector="metadata.name=" + name)
                    watches[key] = end
            return t + 60 * US
        e.at(e.start + rng.randint(0, 60 * US), fn)

    # ------------------------------------------------------------ apps
    def start_app(self, pod, start):
        rng, api = self.rng, self.api
        ns, ip, sa = pod.ns, pod.ip, pod.sa
        if pod.app == "worker":
            ua, period = UA_WORKER, self.d["app_worker"]
        elif pod.app == "web":
            ua, period = UA_WEB, self.d["app_web"]
        else:
            ua, period = "tenant-api/v1.4.2 (linux/amd64) kubernetes/$Format", self.d["app_tenant"]
        state = {"n": 0}

        def fn(t):
            if not pod.alive:
                return None
            st = state["n"]
            state["n"] = st + 1
            ident = pod.identity
            if pod.app == "worker":
                api.call(rng, t, ident, "list", "jobs", ns=ns, group="batch",
                         query=q(labelSelector="app=export", limit=500), src=ip, ua=ua,
                         reason=sa.reason)
                if st % 8 == 3:
                    api.call(rng, t + 40_000, ident, "create", "events", ns=ns, src=ip, ua=ua,
                             reason=sa.reason)
                if st % 30 == 0:
                    api.call(rng, t + 90_000, ident, "get", "secrets", ns=ns,
                             name="worker-queue-credentials", src=ip, ua=ua, reason=sa.reason)
            else:
                cm = pod.configmaps[-1]
                api.call(rng, t, ident, "get", "configmaps", ns=ns, name=cm, src=ip, ua=ua,
                         reason=sa.reason)
                if st % 10 == 0 and pod.secrets:
                    api.call(rng, t + 30_000, ident, "get", "secrets", ns=ns,
                             name=pod.secrets[-1], src=ip, ua=ua, reason=sa.reason)
                if st % 4 == 1:
                    api.call(rng, t + 60_000, ident, "list", "endpointslices", ns=ns,
                             group="discovery.k8s.io",
                             query=q(labelSelector="kubernetes.io/service-name=" +
                                     ("worker" if ns == "shop" else pod.app)),
                             src=ip, ua=ua, reason=sa.reason)
            return t + period + rng.randint(-period // 10, period // 10)
        self.e.at(start, fn)

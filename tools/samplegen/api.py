"""Request helpers on top of Engine: URIs, objectRefs, authorization annotations,
and composite flows (pod start-up) shared by benign noise and the attack story."""

from urllib.parse import quote

from events import gj, objref, ann_allow, ANN_FORBID, forbidden_status, US, uuid4
import bodies
from cluster import UA_KUBELET, UA_SCHED, kcm_ua, kcm_reason


def res_path(resource, ns=None, name=None, group="", version="v1", sub=None):
    base = "/api/v1" if not group else "/apis/%s/%s" % (group, version)
    p = base + ("/namespaces/%s" % ns if ns else "") + "/" + resource
    if name:
        p += "/" + name
        if sub:
            p += "/" + sub
    return p


def q(**kw):
    """Query string in the order given (client-go sorts params alphabetically)."""
    return "&".join("%s=%s" % (k, quote(str(v), safe="")) for k, v in sorted(kw.items()))


class Labels:
    """Collects audit IDs of labelled scenarios (ground truth)."""

    def __init__(self):
        self.items = {}

    def add(self, key, aid, **meta):
        rec = self.items.get(key)
        if rec is None:
            rec = dict(meta)
            rec["audit_ids"] = []
            self.items[key] = rec
        rec["audit_ids"].append(aid)
        return aid


class Api:
    def __init__(self, engine, world):
        self.e = engine
        self.w = world

    # ------------------------------------------------------------ primitives
    def call(self, rng, t, ident, verb, resource, ns=None, name=None, group="", version="v1",
             sub=None, query=None, src=None, ua=None, code=None, level="Metadata", req=None,
             resp=None, reason="", long=None, started=None, omit_rr=False, uid=None, rv=None,
             status=None, imp=None, ann=None, uri=None, ref_name=True, latency=None):
        # a plain create names the object in its body, not in the URL: the
        # RequestReceived objectRef has no name; the server fills it in later
        # (with uid/resourceVersion of updated objects) from the decoded object.
        in_url = name if not (verb == "create" and sub is None) else None
        if uri is None:
            uri = res_path(resource, ns, in_url, group, version, sub)
            if query:
                uri += "?" + query
        if code is None:
            code = 201 if verb == "create" else 200
        ref = objref(resource, ns, name if ref_name else None, group, version, sub, uid, rv)
        ref_rr = None
        if uid or rv or in_url != name:
            ref_rr = objref(resource, ns, in_url, group, version, sub)
            if code >= 400:      # denied before the body was decoded
                ref = ref_rr
        who = ident.name if ident is not None else ""
        if code == 403:
            if status is None:
                status = forbidden_status(who, verb, resource, group, ns, name, sub)
            if ann is None:
                ann = ANN_FORBID
        elif ann is None:
            ann = ann_allow(reason)
        if isinstance(ann, dict):
            ann = gj(ann)
        if req is not None and not isinstance(req, str):
            req = gj(req)
        if resp is not None and not isinstance(resp, str):
            resp = gj(resp)
        return self.e.request(rng, t, ident, verb, uri, src, ua, ref, code, level, req, resp,
                              ann, status, latency, imp, long, omit_rr, started, ref_rr)

    def nonres(self, rng, t, ident, path, src, ua=None, code=200, reason="", verb="get",
               imp=None):
        if code == 403:
            status = forbidden_status(ident.name, verb, None, None, path=path.split("?")[0])
            ann = ANN_FORBID
        else:
            status = None
            ann = ann_allow(reason)
        return self.e.request(rng, t, ident, verb, path, src, ua, None, code, "Metadata",
                              None, None, ann, status, None, imp, None, False, None)

    def watch(self, rng, t, ident, resource, src, ua, reason="", ns=None, group="",
              version="v1", duration=None, **params):
        secs = rng.randint(300, 600)
        p = {"allowWatchBookmarks": "true", "resourceVersion": str(self.e.rv - rng.randint(0, 900)),
             "timeout": "%dm%ds" % divmod(secs, 60), "timeoutSeconds": secs, "watch": "true"}
        p.update(params)
        dur = duration if duration is not None else secs * US + rng.randint(0, 30000)
        self.last_aid = self.call(rng, t, ident, "watch", resource, ns=ns, group=group,
                                  version=version, query=q(**p), src=src, ua=ua, reason=reason,
                                  long=dur)
        return t + dur + rng.randint(5000, 800000)

    # ------------------------------------------------------------ pod flows
    def controller_creates_pod(self, rng, t, pod, generate_name, controller="replicaset-controller",
                               spec=None, labels=None, label_key=None):
        """Controller creates a pod; scheduler binds; kubelet starts it."""
        w = self.w
        ident = w.kcm[controller]
        spec = spec or bodies.app_pod_spec(pod, rng)
        rv = self.e.next_rv(rng)
        pod.created_us = t
        req, resp = bodies.pod_create_bodies(pod, rng, t, rv, spec, generate_name)
        aid = self.call(rng, t, ident, "create", "pods", ns=pod.ns, src=w.cp.ip,
                        ua=kcm_ua(controller), level="RequestResponse", req=req, resp=resp,
                        reason=kcm_reason(controller),
                        ann=self.pod_ann(pod.ns, kcm_reason(controller)))
        if labels is not None:
            labels.add(label_key, aid)
        self.schedule_and_start(rng, t + rng.randint(20000, 120000), pod)
        return aid

    def pod_ann(self, ns, reason, violations=None):
        a = {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": reason}
        if violations:
            a["pod-security.kubernetes.io/audit-violations"] = violations
        a["pod-security.kubernetes.io/enforce-policy"] = (
            "baseline:latest" if ns in ("staging",) else "privileged:latest")
        return a

    def schedule_and_start(self, rng, t, pod, bind=True):
        w = self.w
        if bind:
            self.call(rng, t, w.sched, "create", "pods", ns=pod.ns, name=pod.name, sub="binding",
                      src=w.cp.ip, ua=UA_SCHED + "/scheduler",
                      reason='RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of '
                             'ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"',
                      level="Request", req=bodies.binding_body(pod))
        pod.alive = True
        return self.kubelet_starts_pod(rng, t + rng.randint(300000, 900000), pod)

    def kubelet_starts_pod(self, rng, t, pod, labels=None):
        n = pod.node
        k = n.identity
        for cm in pod.configmaps:
            self.call(rng, t, k, "get", "configmaps", ns=pod.ns, name=cm, src=n.ip, ua=UA_KUBELET)
            t += rng.randint(1000, 20000)
        for s in pod.secrets:
            self.call(rng, t, k, "get", "secrets", ns=pod.ns, name=s, src=n.ip, ua=UA_KUBELET)
            t += rng.randint(1000, 20000)
        t += rng.randint(50000, 300000)
        self.kubelet_token(rng, t, pod)
        t += rng.randint(1_000_000, 4_000_000)
        self.kubelet_pod_status(rng, t, pod, started=t - 2 * US, ready=False)
        t += rng.randint(5_000_000, 15_000_000)
        self.kubelet_pod_status(rng, t, pod, started=t - 9 * US, ready=True)
        self.endpointslice_update(rng, t + rng.randint(5000, 60000), pod)
        return t

    def kubelet_token(self, rng, t, pod, labels=None):
        n = pod.node
        jti = pod.rotate_token(rng)
        ann = {"authentication.kubernetes.io/issued-credential-id": jti,
               "authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
        aid = self.call(rng, t, n.identity, "create", "serviceaccounts", ns=pod.ns,
                        name=pod.sa.name, sub="token", src=n.ip, ua=UA_KUBELET, level="Request",
                        req=bodies.token_request(pod), ann=ann)
        self.w.label("kubelet-token-requests", aid)
        return aid

    def kubelet_pod_status(self, rng, t, pod, started, ready=True, phase="Running", restarts=0):
        n = pod.node
        body = bodies.pod_status_patch(pod, t, started, phase, ready, restarts, rng)
        return self.call(rng, t, n.identity, "patch", "pods", ns=pod.ns, name=pod.name,
                         sub="status", src=n.ip, ua=UA_KUBELET, level="Request", req=body)

    def endpointslice_update(self, rng, t, pod):
        c = "endpointslice-controller"
        name = "%s-%s" % (pod.app, pod.uid[:5])
        return self.call(rng, t, self.w.kcm[c], "update", "endpointslices", ns=pod.ns,
                         name=name, group="discovery.k8s.io", src=self.w.cp.ip, ua=kcm_ua(c),
                         reason=kcm_reason(c), uid=uuid4(rng), rv=self.e.next_rv(rng))

    def controller_deletes_pod(self, rng, t, pod, controller="replicaset-controller"):
        ident = self.w.kcm[controller]
        aid = self.call(rng, t, ident, "delete", "pods", ns=pod.ns, name=pod.name,
                        src=self.w.cp.ip, ua=kcm_ua(controller), reason=kcm_reason(controller))
        pod.alive = False
        return aid

"""Scripted benign activity: rollouts, CronJobs, backups, certificate renewals,
humans, CI -- each labelled in benign.jsonl."""

from events import US, uuid4, k8s_suffix, gj, ts_sec, rbac_reason
from api import q
from cluster import (Pod, UA_KUBECTL, UA_VELERO, UA_CERTMGR, kcm_ua, kcm_reason, CI_RUNNER_IP,
                     rs_hash)

H = 3600 * US
M = 60 * US

# key -> (account(s), expected, description)
BENIGN = {
    "velero-hourly-backup": (
        "system:serviceaccount:velero:velero", "no high/critical",
        "Velero scheduled backup: every hour from the start of the data it lists secrets "
        "cluster-wide (/api/v1/secrets) and every other resource type. Routine for this account."),
    "cert-manager-tls-renewal": (
        "system:serviceaccount:cert-manager:cert-manager", "no high/critical",
        "cert-manager renews certificates: creates CertificateRequests and updates "
        "kubernetes.io/tls secrets."),
    "cert-manager-secret-watch": (
        "system:serviceaccount:cert-manager:cert-manager", "no high/critical",
        "cert-manager's cluster-wide label-selected watch on secrets."),
    "kubelet-token-requests": (
        "system:node:*", "no findings",
        "Kubelets requesting service-account tokens (serviceaccounts/token, boundObjectRef to "
        "the pod) for pods running on their own node."),
    "lb-health-probes": (
        "system:anonymous", "no findings",
        "HAProxy load balancers (10.0.0.2, 10.0.0.3) and the blackbox exporter probing /readyz, "
        "/livez, /healthz, /version: allowed to system:unauthenticated by default."),
    "controllers-creating-pods": (
        "system:serviceaccount:kube-system:replicaset-controller, "
        "system:serviceaccount:kube-system:job-controller, system:kube-scheduler",
        "no high/critical",
        "Controllers creating pods for rollouts and CronJob runs; the scheduler binding them."),
    "namespace-controller-cleanup": (
        "system:serviceaccount:kube-system:namespace-controller", "no high/critical",
        "namespace-controller emptying deleted preview namespaces with deletecollection "
        "(including events): not defense evasion."),
    "alice-staging-shell": (
        "alice@example.com", "low (real but low-severity exec finding)",
        "alice opens an interactive /bin/bash in a staging pod (kubectl exec -it)."),
    "alice-readonly-session": (
        "alice@example.com", "no findings",
        "alice's kubectl get/describe/logs sessions."),
    "bob-apply": (
        "bob@example.com", "no high/critical",
        "bob applies a new shop/web Deployment (kubectl apply) and a ConfigMap."),
    "ci-deployer-rollout": (
        "system:serviceaccount:ci:deployer", "no high/critical",
        "CI pipeline (runner 10.0.3.15, legacy token) deploying staging and preview namespaces."),
    "secret-writes-with-bodies": (
        "system:serviceaccount:ci:deployer, bob@example.com", "no high/critical",
        "Two secret writes logged at Request level: their requestObject carries `data` (and "
        "one a kubectl.kubernetes.io/last-applied-configuration annotation holding the whole "
        "secret JSON). Test fixtures for redaction."),
    "prometheus-nodes-proxy-metrics": (
        "system:serviceaccount:monitoring:prometheus", "no high/critical",
        "Prometheus scraping cAdvisor through nodes/proxy (metrics path, not run/exec)."),
}


def label(labels, key, aid):
    acct, exp, desc = BENIGN[key]
    return labels.add(key, aid, scenario=key, account=acct, expected=exp, description=desc)


class Scripted:
    def __init__(self, engine, api, world, rng, labels):
        self.e, self.api, self.w, self.rng, self.labels = engine, api, world, rng, labels

    def lab(self, key, aid):
        return label(self.labels, key, aid)

    def at(self, t, fn):
        t += self.rng.randint(0, 999_999)
        self.e.at(t, lambda tt: fn(tt) and None)

    # ------------------------------------------------------------ install
    def install(self):
        s, w = self.e.start, self.w
        hours = (self.e.end - s) // H + 1
        for h in range(hours):
            self.at(s + h * H + 41 * US + self.rng.randint(0, 2 * US), self.velero_backup)
        for t in range(0, hours * 4):
            self.at(s + 7 * M + t * 15 * M, self.cronjob_run)
        self.at(s + 20 * M + 13 * US, self.bob_rollout)
        self.at(s + 70 * M + 41 * US, self.ci_deploy_staging)
        self.at(s + 85 * M, lambda t: self.ci_preview(t, "pr-1841", 85 * M))
        self.at(s + 250 * M, lambda t: self.ci_preview(t, "pr-1847", 70 * M))
        for off in (41 * M, 128 * M, 268 * M, 331 * M):
            self.at(s + off, self.alice_session)
        self.at(s + 92 * M + 5 * US, self.alice_shell)
        self.at(s + 160 * M, self.bob_configmap)
        for off in (47 * M, 153 * M, 312 * M):
            self.at(s + off, self.cert_renewal)

    # ------------------------------------------------------------ flows
    def velero_backup(self, t):
        rng, api, v = self.rng, self.api, self.w.velero
        name = "hourly-" + ts_sec(t).replace("-", "").replace("T", "").replace(":", "")[:14]
        api.call(rng, t, v.identity, "create", "backups", ns="velero", group="velero.io",
                 src=v.ip, ua=UA_VELERO, reason=v.sa.reason)
        t += rng.randint(200_000, 900_000)
        for res, grp in (("namespaces", ""), ("pods", ""), ("secrets", ""), ("configmaps", ""),
                         ("serviceaccounts", ""), ("services", ""), ("persistentvolumeclaims", ""),
                         ("persistentvolumes", ""), ("deployments", "apps"),
                         ("replicasets", "apps"), ("statefulsets", "apps"),
                         ("daemonsets", "apps"), ("cronjobs", "batch"), ("jobs", "batch"),
                         ("roles", "rbac.authorization.k8s.io"),
                         ("rolebindings", "rbac.authorization.k8s.io"),
                         ("ingresses", "networking.k8s.io"),
                         ("certificates", "cert-manager.io")):
            aid = api.call(rng, t, v.identity, "list", res, group=grp, src=v.ip, ua=UA_VELERO,
                           reason=v.sa.reason, latency=rng.randint(8000, 60000))
            if res == "secrets":
                self.lab("velero-hourly-backup", aid)
            t += rng.randint(100_000, 1_500_000)
        api.call(rng, t, v.identity, "patch", "backups", ns="velero", name=name,
                 group="velero.io", src=v.ip, ua=UA_VELERO, reason=v.sa.reason)

    def cronjob_run(self, t):
        rng, api, w = self.rng, self.api, self.w
        mins = t // M
        job = "cart-cleanup-%d" % mins
        c = "cronjob-controller"
        api.call(rng, t, w.kcm[c], "create", "jobs", ns="shop", group="batch", src=w.cp.ip,
                 ua=kcm_ua(c), reason=kcm_reason(c))
        node = w.nodes[1 + (mins // 15) % 3]
        pod = Pod(rng, "shop", "%s-%s" % (job, k8s_suffix(rng)), node,
                  w.sas[("shop", "cart-cleanup")], owner=("Job", job, uuid4(rng), "batch/v1"),
                  image="ghcr.io/acme/shop-worker:1.8.0", app="cart-cleanup", ports=(),
                  configmaps=("kube-root-ca.crt",))
        t += rng.randint(20_000, 200_000)
        self.lab("controllers-creating-pods",
                 api.controller_creates_pod(rng, t, pod, job + "-", "job-controller"))
        end = pod.created_us + rng.randint(25, 50) * US
        started = end - 12 * US
        api.kubelet_pod_status(rng, end, pod, started, ready=False, phase="Succeeded")
        pod.alive = False
        api.call(rng, end + 200_000, w.kcm["job-controller"], "update", "jobs", ns="shop",
                 name=job, group="batch", sub="status", src=w.cp.ip, ua=kcm_ua("job-controller"),
                 reason=kcm_reason("job-controller"), uid=uuid4(rng), rv=self.e.next_rv(rng))
        api.call(rng, end + 400_000, w.kcm[c], "update", "cronjobs", ns="shop",
                 name="cart-cleanup", group="batch", sub="status", src=w.cp.ip, ua=kcm_ua(c),
                 reason=kcm_reason(c), uid=uuid4(rng), rv=self.e.next_rv(rng))
        old = "cart-cleanup-%d" % (mins - 45)
        api.call(rng, end + 600_000, w.kcm[c], "delete", "jobs", ns="shop", name=old,
                 group="batch", src=w.cp.ip, ua=kcm_ua(c), reason=kcm_reason(c))

    def rollout(self, t, ns, deploy, old_pods, new_pods, rs_name, rs_uid):
        rng, api, w = self.rng, self.api, self.w
        dc = "deployment-controller"
        api.call(rng, t, w.kcm[dc], "create", "replicasets", ns=ns, group="apps", src=w.cp.ip,
                 ua=kcm_ua(dc), reason=kcm_reason(dc))
        t += rng.randint(10_000, 80_000)
        for old, new in zip(old_pods, new_pods):
            new.alive = False
            self.lab("controllers-creating-pods",
                     api.controller_creates_pod(rng, t, new, rs_name + "-"))
            t = new.created_us + rng.randint(14, 22) * US
            api.controller_deletes_pod(rng, t, old)
            api.call(rng, t + 30_000, w.kcm[dc], "update", "deployments", ns=ns, name=deploy,
                     group="apps", sub="status", src=w.cp.ip, ua=kcm_ua(dc),
                     reason=kcm_reason(dc), uid=uuid4(rng), rv=self.e.next_rv(rng))
            t += rng.randint(500_000, 3_000_000)
            self.noise_start_app(new, t + 5 * US)
        return t

    def noise_start_app(self, pod, t):
        self.noise.start_app(pod, t)

    def kubectl_apply_deploy(self, t, ident, ip, ua, ns, name, image, reason, key, legacy=False):
        rng, api = self.rng, self.api
        ann = None
        a = lambda: {"authentication.k8s.io/legacy-token": ident.name,
                     "authorization.k8s.io/decision": "allow",
                     "authorization.k8s.io/reason": reason} if legacy else None
        self.lab(key, api.call(rng, t, ident, "get", "deployments", ns=ns, name=name,
                               group="apps", src=ip, ua=ua, reason=reason, ann=a()))
        lac = gj({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
            "annotations": {}, "name": name, "namespace": ns}, "spec": {"replicas": 3, "template": {
                "spec": {"containers": [{"image": image, "name": name}]}}}})
        patch = {"metadata": {"annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": lac + "\n"}},
            "spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": name}],
                                           "containers": [{"image": image, "name": name}]}}}}
        self.lab(key, api.call(rng, t + rng.randint(40_000, 90_000), ident, "patch",
                               "deployments", ns=ns, name=name, group="apps",
                               query="fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                               src=ip, ua=ua, reason=reason, level="Request", req=patch, ann=a()))
        return t + 200_000

    def bob_rollout(self, t):
        w = self.w
        bob = w.humans["bob"]
        t = self.kubectl_apply_deploy(t, bob.identity, bob.ip, bob.ua, "shop", "web",
                                      "ghcr.io/acme/web-frontend:2.3.1", bob.reason, "bob-apply")
        self.rollout(t + 300_000, "shop", "web", w.old_web, w.new_web, w.web_rs, w.web_rs_uid)

    def ci_deploy_staging(self, t):
        w, rng = self.w, self.rng
        ci = w.ci_identity
        reason = w.sas[("ci", "deployer")].reason
        t = self.kubectl_apply_deploy(t, ci, CI_RUNNER_IP, UA_KUBECTL, "staging", "web",
                                      "ghcr.io/acme/web-frontend:2.4.0-rc2", reason,
                                      "ci-deployer-rollout", legacy=True)
        old = w.staging_web
        h = rs_hash(rng)
        new = Pod(rng, "staging", "web-%s-%s" % (h, k8s_suffix(rng)), w.nodes[3], old.sa,
                  owner=("ReplicaSet", "web-" + h, uuid4(rng), "apps/v1"),
                  image="ghcr.io/acme/web-frontend:2.4.0-rc2", app="web",
                  secrets=("web-tls", "web-session-key"),
                  configmaps=("kube-root-ca.crt", "web-flags"))
        w.pods.append(new)
        w.staging_web = new
        self.rollout(t + 300_000, "staging", "web", [old], [new], "web-" + h, new.owner[2])

    def ci_preview(self, t, ns, lifetime):
        rng, api, w = self.rng, self.api, self.w
        ci = w.ci_identity
        reason = w.sas[("ci", "deployer")].reason
        ann = {"authentication.k8s.io/legacy-token": ci.name,
               "authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": reason}
        L = lambda aid: self.lab("ci-deployer-rollout", aid)
        L(api.call(rng, t, ci, "create", "namespaces", name=ns, src=CI_RUNNER_IP, ua=UA_KUBECTL,
                   ann=ann, uri="/api/v1/namespaces?fieldManager=kubectl-client-side-apply"))
        for res, grp, name in (("deployments", "apps", "web"), ("services", "", "web"),
                               ("configmaps", "", "web-flags"), ("secrets", "", "web-session-key")):
            t += rng.randint(100_000, 600_000)
            level, body = "Metadata", None
            if res == "secrets":
                # written at Request level by the policy's CI rule: the body holds the
                # secret data twice (data + last-applied-configuration)
                data = {"database-url": "cG9zdGdyZXM6Ly93ZWI6aHVudGVyMkBwb3N0Z3Jlcy5wcmV2aWV3OjU0MzIvc2hvcA==",
                        "session-key": "cHJldmlldy1zZXNzaW9uLWtleS1kby1ub3QtbGVhaw=="}
                lac = gj({"apiVersion": "v1", "data": data, "kind": "Secret",
                          "metadata": {"annotations": {}, "name": name, "namespace": ns},
                          "type": "Opaque"})
                body = {"kind": "Secret", "apiVersion": "v1", "metadata": {
                    "name": name, "namespace": ns, "creationTimestamp": None, "annotations": {
                        "kubectl.kubernetes.io/last-applied-configuration": lac + "\n"}},
                    "data": data, "type": "Opaque"}
                level = "Request"
            aid = api.call(rng, t, ci, "create", res, ns=ns, name=name, group=grp,
                           src=CI_RUNNER_IP, ua=UA_KUBECTL, ann=ann, level=level, req=body,
                           query="fieldManager=kubectl-client-side-apply&fieldValidation=Strict")
            L(aid)
            if body is not None:
                self.lab("secret-writes-with-bodies", aid)
        te = t + lifetime
        self.at(te, lambda tt: self.ns_delete(tt, ns, ci, ann))

    def ns_delete(self, t, ns, ci, ann):
        rng, api, w = self.rng, self.api, self.w
        self.lab("ci-deployer-rollout", api.call(rng, t, ci, "delete", "namespaces", name=ns,
                                                 src=CI_RUNNER_IP, ua=UA_KUBECTL, ann=ann))
        c = "namespace-controller"
        t += rng.randint(2 * US, 6 * US)
        for res, grp in (("configmaps", ""), ("endpoints", ""), ("events", ""),
                         ("limitranges", ""), ("persistentvolumeclaims", ""), ("pods", ""),
                         ("resourcequotas", ""), ("secrets", ""), ("serviceaccounts", ""),
                         ("services", ""), ("deployments", "apps"), ("replicasets", "apps"),
                         ("jobs", "batch"), ("events", "events.k8s.io"),
                         ("endpointslices", "discovery.k8s.io"),
                         ("rolebindings", "rbac.authorization.k8s.io")):
            t += rng.randint(5000, 90_000)
            self.lab("namespace-controller-cleanup", api.call(
                rng, t, w.kcm[c], "deletecollection", res, ns=ns, group=grp, src=w.cp.ip,
                ua=kcm_ua(c), reason=kcm_reason(c)))
        self.lab("namespace-controller-cleanup", api.call(
            rng, t + 300_000, w.kcm[c], "update", "namespaces", name=ns, sub="finalize",
            src=w.cp.ip, ua=kcm_ua(c), reason=kcm_reason(c)))

    def alice_session(self, t):
        rng, api, w = self.rng, self.api, self.w
        a = w.humans["alice"]
        L = lambda aid: self.lab("alice-readonly-session", aid)
        pods = [p for p in w.alive_pods() if p.ns == "shop"] or [w.postgres]
        pod = rng.choice(pods)
        L(api.call(rng, t, a.identity, "list", "pods", ns="shop", query="limit=500", src=a.ip,
                   ua=a.ua, reason=a.reason))
        t += rng.randint(4, 30) * US
        L(api.call(rng, t, a.identity, "get", "pods", ns=pod.ns, name=pod.name, src=a.ip,
                   ua=a.ua, reason=a.reason))
        L(api.call(rng, t + 60_000, a.identity, "list", "events", ns=pod.ns,
                   query=q(fieldSelector="involvedObject.name=%s,involvedObject.namespace=%s,"
                           "involvedObject.uid=%s" % (pod.name, pod.ns, pod.uid), limit=500),
                   src=a.ip, ua=a.ua, reason=a.reason))
        t += rng.randint(10, 60) * US
        L(api.call(rng, t, a.identity, "get", "pods", ns=pod.ns, name=pod.name, sub="log",
                   query=q(container=pod.containers[0][0], tailLines=200), src=a.ip, ua=a.ua,
                   reason=a.reason))
        t += rng.randint(10, 90) * US
        L(api.call(rng, t, a.identity, "list", "deployments", group="apps", query="limit=500",
                   src=a.ip, ua=a.ua, reason=a.reason))
        L(api.call(rng, t + 200_000, a.identity, "list", "nodes", query="limit=500", src=a.ip,
                   ua=a.ua, reason=a.reason))

    def alice_shell(self, t):
        rng, api, w = self.rng, self.api, self.w
        a = w.humans["alice"]
        pod = w.staging_web
        reason = rbac_reason("RoleBinding", "sre-edit", "ClusterRole", "edit", "Group",
                             "oidc:sre", "staging")
        L = lambda aid: self.lab("alice-staging-shell", aid)
        L(api.call(rng, t, a.identity, "get", "pods", ns="staging", name=pod.name, src=a.ip,
                   ua=a.ua, reason=reason))
        L(api.call(rng, t + 150_000, a.identity, "create", "pods", ns="staging", name=pod.name,
                   sub="exec", query="command=%2Fbin%2Fbash&container=web&stdin=true&stdout=true"
                   "&tty=true", src=a.ip, ua=a.ua, reason=reason, code=101, started=101,
                   long=(7 * 60 + 12) * US))

    def bob_configmap(self, t):
        rng, api, w = self.rng, self.api, self.w
        b = w.humans["bob"]
        L = lambda aid: self.lab("bob-apply", aid)
        L(api.call(rng, t, b.identity, "get", "configmaps", ns="shop", name="worker-config",
                   src=b.ip, ua=b.ua, reason=b.reason))
        L(api.call(rng, t + 70_000, b.identity, "patch", "configmaps", ns="shop",
                   name="worker-config",
                   query="fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                   src=b.ip, ua=b.ua, reason=b.reason))
        # kubectl create secret generic: logged with its body (Request level)
        t += rng.randint(40, 90) * US
        body = {"kind": "Secret", "apiVersion": "v1",
                "metadata": {"name": "payment-webhook-secret", "namespace": "shop",
                             "creationTimestamp": None},
                "data": {"endpoint": "aHR0cHM6Ly9wYXkuZXhhbXBsZS5jb20vaG9va3M=",
                         "signing-key": "d2hzZWNfNGY5YjJjOGUxYTdkNDA2Mjk1YmQ="},
                "type": "Opaque"}
        aid = api.call(rng, t, b.identity, "create", "secrets", ns="shop",
                       name="payment-webhook-secret",
                       query="fieldManager=kubectl-create&fieldValidation=Strict", src=b.ip,
                       ua=b.ua, reason=b.reason, level="Request", req=body)
        L(aid)
        self.lab("secret-writes-with-bodies", aid)

    def cert_renewal(self, t):
        rng, api, w = self.rng, self.api, self.w
        cm = w.certmgr
        L = lambda aid: self.lab("cert-manager-tls-renewal", aid)
        for ns, cert in (("shop", "web-tls"), ("staging", "web-tls"),
                         ("monitoring", "prometheus-tls")):
            t += rng.randint(1, 20) * US
            nk = "%s-%s" % (cert, k8s_suffix(rng))
            L(api.call(rng, t, cm.identity, "create", "secrets", ns=ns, name=nk, src=cm.ip,
                       ua=UA_CERTMGR, reason=cm.sa.reason))
            L(api.call(rng, t + 300_000, cm.identity, "create", "certificaterequests", ns=ns,
                       group="cert-manager.io", src=cm.ip, ua=UA_CERTMGR, reason=cm.sa.reason,
                       ref_name=False))
            t += rng.randint(3, 12) * US
            L(api.call(rng, t, cm.identity, "update", "secrets", ns=ns, name=cert, src=cm.ip,
                       ua=UA_CERTMGR, reason=cm.sa.reason, uid=uuid4(rng),
                       rv=self.e.next_rv(rng)))
            L(api.call(rng, t + 200_000, cm.identity, "delete", "secrets", ns=ns, name=nk,
                       src=cm.ip, ua=UA_CERTMGR, reason=cm.sa.reason))
            L(api.call(rng, t + 400_000, cm.identity, "update", "certificates", ns=ns, name=cert,
                       group="cert-manager.io", sub="status", src=cm.ip, ua=UA_CERTMGR,
                       reason=cm.sa.reason, uid=uuid4(rng), rv=self.e.next_rv(rng)))


def install(engine, api, world, rng, labels, noise):
    s = Scripted(engine, api, world, rng, labels)
    s.noise = noise
    s.install()
    return s

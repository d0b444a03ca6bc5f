"""Request/response object bodies (plain dicts; serialise with events.gj)."""

from events import ts_sec, uuid4, hexid, k8s_suffix


def container(name, image, ports=(8080,), env_secret=None, privileged=False, caps=None,
              run_as_root=False, mounts=(), command=None, probes=True, resources=True,
              stdin_tty=False, env=True):
    c = {"name": name, "image": image}
    if command:
        c["command"] = list(command)
    if ports:
        c["ports"] = [{"name": "http" if i == 0 else "p%d" % p, "containerPort": p,
                       "protocol": "TCP"} for i, p in enumerate(ports)]
    envs = [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                "fieldPath": "metadata.namespace"}}},
           {"name": "LOG_LEVEL", "value": "info"}]
    if env_secret:
        envs.append({"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {
            "name": env_secret, "key": "url"}}})
    if env:
        c["env"] = envs
    if resources:
        c["resources"] = {"limits": {"cpu": "500m", "memory": "512Mi"},
                          "requests": {"cpu": "100m", "memory": "128Mi"}}
    vm = [({"name": n, "readOnly": True} if ro else {"name": n}) | {"mountPath": mp}
          for n, mp, ro in mounts]
    if vm:
        c["volumeMounts"] = vm
    if probes and ports:
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": ports[0], "scheme": "HTTP"},
                              "initialDelaySeconds": 10, "timeoutSeconds": 1, "periodSeconds": 10,
                              "successThreshold": 1, "failureThreshold": 3}
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": ports[0], "scheme": "HTTP"},
                               "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1,
                               "failureThreshold": 3}
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    c["imagePullPolicy"] = "IfNotPresent"
    sc = {}
    if privileged:
        sc["privileged"] = True
    if caps:
        sc["capabilities"] = {"add": list(caps)}
    if run_as_root:
        sc["runAsUser"] = 0
    if not (privileged or caps or run_as_root):
        sc = {"capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
              "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}
    c["securityContext"] = sc
    if stdin_tty:
        c["stdin"] = True
        c["tty"] = True
    return c


def pod_spec(containers, sa="default", volumes=(), host_pid=False, host_network=False,
             host_ipc=False, node_name=None, tolerations=None, injected_sa_volume=None):
    spec = {}
    vols = list(volumes)
    if injected_sa_volume:
        vols.append(injected_sa_volume)
    if vols:
        spec["volumes"] = vols
    spec["containers"] = containers
    spec["restartPolicy"] = "Always"
    spec["terminationGracePeriodSeconds"] = 30
    spec["dnsPolicy"] = "ClusterFirstWithHostNet" if host_network else "ClusterFirst"
    spec["serviceAccountName"] = sa
    spec["serviceAccount"] = sa
    if node_name:
        spec["nodeName"] = node_name
    if host_network:
        spec["hostNetwork"] = True
    if host_pid:
        spec["hostPID"] = True
    if host_ipc:
        spec["hostIPC"] = True
    spec["securityContext"] = {}
    spec["schedulerName"] = "default-scheduler"
    tol = list(tolerations or [])
    tol += [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}]
    spec["tolerations"] = tol
    spec["priority"] = 0
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    return spec


def sa_volume(rng):
    return {"name": "kube-api-access-" + k8s_suffix(rng, 5), "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
        "defaultMode": 420}}


def app_pod_spec(pod, rng=None, injected=False):
    """Spec of a normal application pod (non-root, config + secret volumes)."""
    mounts = [("config", "/etc/app", True)]
    vols = [{"name": "config", "configMap": {"name": pod.configmaps[-1], "defaultMode": 420}}]
    if pod.secrets:
        mounts.append(("tls", "/etc/tls", True))
        vols.append({"name": "tls", "secret": {"secretName": pod.secrets[0], "defaultMode": 420}})
    conts = [container(n, img, ports=pod.ports,
                       env_secret=pod.secrets[-1] if pod.secrets else None, mounts=mounts)
             for n, img in pod.containers]
    return pod_spec(conts, sa=pod.sa.name, volumes=vols, host_network=pod.host_network,
                    injected_sa_volume=sa_volume(rng) if injected else None)


def pod_meta(pod, generate_name=None, rv=None, t=None, with_uid=False):
    m = {}
    if generate_name:
        m["generateName"] = generate_name
    if with_uid or not generate_name:
        m["name"] = pod.name
    m["namespace"] = pod.ns
    if with_uid:
        m["uid"] = pod.uid
        m["resourceVersion"] = rv
        m["creationTimestamp"] = ts_sec(t)
    else:
        m["creationTimestamp"] = None
    m["labels"] = dict(pod.labels)
    if pod.owner:
        kind, name, uid, api = pod.owner
        m["ownerReferences"] = [{"apiVersion": api, "kind": kind, "name": name, "uid": uid,
                                 "controller": True, "blockOwnerDeletion": True}]
    return m


def pod_create_bodies(pod, rng, t, rv, spec, generate_name=None, manager="kube-controller-manager"):
    req = {"kind": "Pod", "apiVersion": "v1",
           "metadata": pod_meta(pod, generate_name), "spec": spec, "status": {}}
    rspec = dict(spec)
    vols = list(rspec.get("volumes", [])) + [sa_volume(rng)]
    rspec["volumes"] = vols
    meta = pod_meta(pod, generate_name, rv=rv, t=t, with_uid=True)
    meta["managedFields"] = [{"manager": manager, "operation": "Update", "apiVersion": "v1",
                              "time": ts_sec(t), "fieldsType": "FieldsV1",
                              "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}},
                                           "f:spec": {"f:containers": {}, "f:volumes": {}}}}]
    resp = {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": rspec,
            "status": {"phase": "Pending", "qosClass": "Burstable"}}
    return req, resp


_CONDS = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]


def pod_status_patch(pod, t, started_t, phase="Running", ready=True, restarts=0, rng=None):
    tt = ts_sec(t)
    st = ts_sec(started_t)
    conds = [{"lastTransitionTime": tt if c in ("Ready", "ContainersReady") else st,
              "status": "True" if (ready or c not in ("Ready", "ContainersReady")) else "False",
              "type": c} for c in _CONDS]
    cs = []
    for name, image in pod.containers:
        c = {"containerID": "containerd://" + hexid(rng, 32), "image": "docker.io/library/" + image,
             "imageID": "docker.io/library/%s@sha256:%s" % (image.split(":")[0], hexid(rng, 32)),
             "lastState": {}, "name": name, "ready": ready, "restartCount": restarts,
             "started": phase == "Running",
             "state": ({"running": {"startedAt": st}} if phase == "Running" else
                       {"terminated": {"containerID": "containerd://" + hexid(rng, 32),
                                       "exitCode": 0, "finishedAt": tt, "reason": "Completed",
                                       "startedAt": st}})}
        cs.append(c)
    status = {"$setElementOrder/conditions": [{"type": c} for c in _CONDS],
              "conditions": conds, "containerStatuses": cs,
              "hostIP": pod.node.ip, "hostIPs": [{"ip": pod.node.ip}], "phase": phase,
              "podIP": pod.ip, "podIPs": [{"ip": pod.ip}], "startTime": st}
    return {"metadata": {"uid": pod.uid}, "status": status}


_IMAGES = ["registry.k8s.io/kube-proxy:v1.29.3", "registry.k8s.io/pause:3.9",
           "registry.k8s.io/coredns/coredns:v1.11.1", "quay.io/prometheus/node-exporter:v1.7.0",
           "quay.io/argoproj/argocd:v2.10.5", "quay.io/jetstack/cert-manager-controller:v1.14.4",
           "docker.io/velero/velero:v1.13.0", "registry.k8s.io/ingress-nginx/controller:v1.10.0",
           "ghcr.io/acme/web-frontend:2.3.1", "ghcr.io/acme/web-frontend:2.3.0",
           "ghcr.io/acme/shop-worker:1.8.0", "docker.io/library/postgres:16.2",
           "docker.io/library/nginx:1.25.4", "docker.io/library/busybox:1.36",
           "quay.io/prometheus/prometheus:v2.51.1", "docker.io/grafana/grafana:10.4.1",
           "docker.io/library/redis:7.2.4", "ghcr.io/fluxcd/source-controller:v1.2.4"]


def node_status_patch(node, t, rng, big=False):
    tt = ts_sec(t)
    conds = [{"lastHeartbeatTime": tt, "type": c} for c in
             ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")]
    st = {"$setElementOrder/conditions": [{"type": c["type"]} for c in conds],
          "conditions": conds}
    if big:
        imgs = []
        for i, name in enumerate(_IMAGES):
            base = name.rsplit(":", 1)[0]
            imgs.append({"names": ["%s@sha256:%s" % (base, hexid(rng, 32)), name],
                         "sizeBytes": rng.randint(700_000, 400_000_000)})
            if i % 2 == 0:
                imgs.append({"names": ["%s@sha256:%s" % (base, hexid(rng, 32)),
                                       base + ":previous"],
                             "sizeBytes": rng.randint(700_000, 400_000_000)})
        st["images"] = imgs
        st["allocatable"] = {"cpu": "3920m", "ephemeral-storage": "96143180846",
                             "hugepages-2Mi": "0", "memory": "15980396Ki", "pods": "110"}
        st["capacity"] = {"cpu": "4", "ephemeral-storage": "104322028Ki", "hugepages-2Mi": "0",
                          "memory": "16384940Ki", "pods": "110"}
        st["nodeInfo"] = {"architecture": "amd64", "bootID": uuid4(rng),
                          "containerRuntimeVersion": "containerd://1.7.13",
                          "kernelVersion": "6.1.0-18-cloud-amd64", "kubeProxyVersion": "v1.29.3",
                          "kubeletVersion": "v1.29.3", "machineID": hexid(rng, 16),
                          "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12 (bookworm)",
                          "systemUUID": uuid4(rng)}
        st["volumesInUse"] = ["kubernetes.io/csi/ebs.csi.aws.com^vol-0%s" % hexid(rng, 8)
                              for _ in range(rng.randint(1, 4))]
    return sort_keys({"status": st})


def sort_keys(obj):
    """Go marshals maps (e.g. a strategic-merge patch) with sorted keys."""
    if isinstance(obj, dict):
        return {k: sort_keys(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [sort_keys(v) for v in obj]
    return obj


def token_request(pod=None, audiences=("https://kubernetes.default.svc.cluster.local",),
                  sa_name=None, ns=None, exp=3607):
    spec = {"audiences": list(audiences), "expirationSeconds": exp}
    if pod is not None:
        spec["boundObjectRef"] = {"kind": "Pod", "apiVersion": "v1", "name": pod.name,
                                  "uid": pod.uid}
    return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": sa_name or pod.sa.name, "namespace": ns or pod.ns,
                         "creationTimestamp": None},
            "spec": spec, "status": {"token": "", "expirationTimestamp": None}}


def binding_body(pod):
    return {"kind": "Binding", "apiVersion": "v1",
            "metadata": {"name": pod.name, "namespace": pod.ns, "uid": pod.uid,
                         "creationTimestamp": None},
            "target": {"kind": "Node", "name": pod.node.name}}


def rbac_binding(kind, name, role_kind, role, subjects, ns=None, labels=None):
    meta = {"name": name}
    if ns:
        meta["namespace"] = ns
    meta["creationTimestamp"] = None
    if labels:
        meta["labels"] = labels
    return {"kind": kind, "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta,
            "subjects": subjects,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}}


def rbac_role(kind, name, rules, ns=None):
    meta = {"name": name}
    if ns:
        meta["namespace"] = ns
    meta["creationTimestamp"] = None
    return {"kind": kind, "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta,
            "rules": rules}


def with_response_meta(body, rng, t, rv):
    """The stored object as returned by the API server."""
    out = dict(body)
    meta = dict(out["metadata"])
    meta["uid"] = uuid4(rng)
    meta["resourceVersion"] = rv
    meta["creationTimestamp"] = ts_sec(t)
    out["metadata"] = meta
    return out

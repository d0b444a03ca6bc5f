#!/usr/bin/env python3
"""Convert native audit events into every export shape kubesift reads.

    tests/formats/convert.py OUT_DIR [--since T] [--until T] [INPUT...]

INPUT defaults to sample-logs/ (its .gz rotations and audit.log). Only records whose
requestReceivedTimestamp (else stageTimestamp) lies in [since, until) are converted.
Writes, into OUT_DIR/<format>/:

  native/audit.log            the selected records as they were
  eks-cli/events.json         `aws logs filter-log-events` output (indent 4, as the CLI prints)
  eks-s3/000000.gz            CloudWatch export to S3: gzip of `<ISO time> <event>` lines
  eks-firehose/delivery.gz    Firehose: gzip of concatenated {messageType, logEvents} objects,
                              no newline between them, a CONTROL_MESSAGE first
  eks-csv/results.csv         Logs Insights CSV (`@timestamp,@message`)
  gke-array/read.json         `gcloud logging read --format=json`: one array, newest first
  gke-jsonl/entries.jsonl     LogEntry JSON lines (a log sink)
  aks/PT1H.json               storage-account lines, properties.log as a JSON string
  aks-eventhub/hub.json       Event Hub `{"records":[…]}` lines, properties.log an object
  cri/kube-apiserver.log      CRI lines; events over 16 KiB split into `P` chunks; klog on stderr
  stdout/minikube.log         audit JSON lines interleaved with klog lines
  legacy/audit.log            the legacy text backend

GKE keeps one entry per request (its last stage), as Cloud Logging does, and drops what the
AuditLog shape cannot carry: groups, user.extra, impersonation, level, the query string (an
exec command moves into a PodExecOptions request body).
"""

import argparse
import csv
import glob
import gzip
import io
import json
import os
import sys
import urllib.parse

CLUSTER = "prod-eu-1"


def read_inputs(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "*.gz"))) + [
                f for f in sorted(glob.glob(os.path.join(p, "*.log")))
            ]
        else:
            files.append(p)
    for f in files:
        opener = gzip.open if f.endswith(".gz") else open
        with opener(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if line:
                    yield line


def event_time(ev):
    return ev.get("requestReceivedTimestamp") or ev.get("stageTimestamp") or ""


def millis(iso):
    from datetime import datetime, timezone

    s = iso.rstrip("Z")
    if "." in s:
        head, frac = s.split(".")
        s = head + "." + frac[:6].ljust(6, "0")
    else:
        s += ".000000"
    dt = datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def out_file(root, fmt, name, mode="w"):
    d = os.path.join(root, fmt)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    if name.endswith(".gz"):
        return gzip.open(path, mode + "t" if "b" not in mode else mode, encoding=None if "b" in mode else "utf-8")
    return open(path, mode, encoding="utf-8", newline="")


# ---------------------------------------------------------------- EKS
def eks(root, records):
    events = [
        {
            "logStreamName": "kube-apiserver-audit-0123456789abcdef",
            "timestamp": millis(event_time(ev)),
            "message": line,
            "ingestionTime": millis(event_time(ev)) + 900,
            "eventId": str(36000000000000000000000000000000000000000000000000000000 + i),
        }
        for i, (line, ev) in enumerate(records)
    ]
    with out_file(root, "eks-cli", "events.json") as f:
        json.dump({"events": events, "searchedLogStreams": []}, f, indent=4)
    with out_file(root, "eks-s3", "000000.gz") as f:
        for line, ev in records:
            t = event_time(ev)
            f.write(f"{t[:23]}Z {line}\n")
    with out_file(root, "eks-firehose", "delivery.gz") as f:
        f.write(json.dumps({
            "messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
            "logStream": "", "subscriptionFilters": [],
            "logEvents": [{"id": "", "timestamp": 0, "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}],
        }, separators=(",", ":")))
        for start in range(0, len(events), 100):
            chunk = events[start:start + 100]
            f.write(json.dumps({
                "messageType": "DATA_MESSAGE", "owner": "123456789012",
                "logGroup": f"/aws/eks/{CLUSTER}/cluster",
                "logStream": "kube-apiserver-audit-0123456789abcdef",
                "subscriptionFilters": ["kubesift"],
                "logEvents": [{"id": e["eventId"], "timestamp": e["timestamp"], "message": e["message"]} for e in chunk],
            }, separators=(",", ":")))
    with out_file(root, "eks-csv", "results.csv") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["@timestamp", "@message"])
        for line, ev in records:
            t = event_time(ev).replace("T", " ")[:23]
            w.writerow([t, line])


# ---------------------------------------------------------------- GKE
# HTTP -> gRPC as Cloud Logging maps them. 101 (an upgraded exec/attach/portforward stream)
# has no gRPC equivalent: real GKE entries carry {"code": 2, "message": "UNKNOWN"}.
GRPC = {200: 0, 201: 0, 101: 2, 202: 0, 204: 0, 400: 3, 401: 16, 403: 7, 404: 5, 409: 6,
        422: 3, 429: 8, 500: 13, 503: 14, 504: 4}


def resource_name(ev):
    o = ev.get("objectRef")
    if not o or not o.get("resource"):
        return ev.get("requestURI", "").split("?")[0].lstrip("/")
    parts = [o.get("apiGroup") or "core", o.get("apiVersion") or "v1"]
    if o.get("namespace") and o["resource"] != "namespaces":
        parts += ["namespaces", o["namespace"]]
    parts.append(o["resource"])
    if o.get("name"):
        parts.append(o["name"])
        if o.get("subresource"):
            parts.append(o["subresource"])
            # GKE keeps the rest of the path (a nodes/proxy kubelet path), not the query.
            path = ev.get("requestURI", "").split("?")[0]
            marker = "/" + o["name"] + "/" + o["subresource"] + "/"
            if marker in path:
                parts.append(path.split(marker, 1)[1].strip("/"))
    return "/".join(parts)


def method_name(ev):
    o = ev.get("objectRef")
    verb = ev.get("verb", "")
    if not o or not o.get("resource"):
        return f"io.k8s.{verb}"
    group = o.get("apiGroup") or "core"
    m = f"io.k8s.{group}.{o.get('apiVersion') or 'v1'}.{o['resource']}"
    if o.get("subresource"):
        m += "." + o["subresource"]
    return m + "." + verb


def exec_options(ev):
    uri = ev.get("requestURI", "")
    if "?" not in uri:
        return None
    q = urllib.parse.parse_qs(uri.split("?", 1)[1])
    opts = {"@type": "k8s.io/Kubernetes/core.v1.PodExecOptions"}
    if "command" in q:
        opts["command"] = q["command"]
    for k in ("container",):
        if k in q:
            opts[k] = q[k][0]
    for k in ("stdin", "stdout", "stderr", "tty"):
        if k in q:
            opts[k] = q[k][0] in ("true", "1")
    return opts


def gke_entry(ev):
    code = (ev.get("responseStatus") or {}).get("code")
    status = {}
    if code is not None:
        g = GRPC.get(code, 0 if 200 <= code < 300 else 13)
        if g == 2:
            status = {"code": 2, "message": "UNKNOWN"}
        elif g:
            status = {"code": g, "message": (ev.get("responseStatus") or {}).get("message", "")}
    stage = ev.get("stage")
    payload = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {"principalEmail": (ev.get("user") or {}).get("username", "")},
        "methodName": method_name(ev),
        "requestMetadata": {"callerIp": (ev.get("sourceIPs") or [""])[-1],
                            "callerSuppliedUserAgent": ev.get("userAgent", "")},
        "resourceName": resource_name(ev),
        "serviceName": "k8s.io",
        "status": status,
    }
    decision = (ev.get("annotations") or {}).get("authorization.k8s.io/decision")
    if decision:  # absent when authentication failed: the authorizer never ran
        payload["authorizationInfo"] = [{"granted": decision == "allow", "permission": method_name(ev),
                                         "resource": resource_name(ev)}]
    o = ev.get("objectRef") or {}
    if o.get("subresource") in ("exec", "attach"):
        opts = exec_options(ev)
        if opts:
            payload["request"] = opts
    elif "requestObject" in ev:
        payload["request"] = ev["requestObject"]
    if "responseObject" in ev:
        payload["response"] = ev["responseObject"]
    return {
        "insertId": ev.get("auditID", "") + "-0",
        "labels": ev.get("annotations") or {},
        "logName": "projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity",
        "operation": {"id": ev.get("auditID", ""), "producer": "k8s.io",
                      "first": True, "last": stage in ("ResponseComplete", "Panic")},
        "protoPayload": payload,
        "receiveTimestamp": event_time(ev),
        "resource": {"type": "k8s_cluster", "labels": {"cluster_name": CLUSTER, "location": "europe-west1",
                                                       "project_id": "shop-prod"}},
        "timestamp": event_time(ev),
    }


RANK = {"RequestReceived": 0, "ResponseStarted": 1, "Panic": 2, "ResponseComplete": 3}


def last_stages(records):
    best = {}
    order = []
    for line, ev in records:
        k = (ev.get("auditID"), ev.get("requestReceivedTimestamp"))
        if k not in best:
            order.append(k)
            best[k] = ev
        elif RANK.get(ev.get("stage"), 0) > RANK.get(best[k].get("stage"), 0):
            best[k] = ev
    return [best[k] for k in order]


def gke(root, records):
    entries = [gke_entry(ev) for ev in last_stages(records)]
    with out_file(root, "gke-array", "read.json") as f:
        json.dump(sorted(entries, key=lambda e: e["timestamp"], reverse=True), f, indent=2)
    with out_file(root, "gke-jsonl", "entries.jsonl") as f:
        for e in entries:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")


# ---------------------------------------------------------------- AKS
RID = f"/SUBSCRIPTIONS/0000/RESOURCEGROUPS/SHOP-RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/{CLUSTER.upper()}"


def aks_record(line, ev, as_object):
    return {
        "time": ev.get("stageTimestamp") or event_time(ev),
        "resourceId": RID,
        "category": "kube-audit",
        "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
        "properties": {"log": ev if as_object else line, "stream": "stdout", "pod": "kube-apiserver-5d9c7b7f4-x2x9q"},
    }


def aks(root, records):
    with out_file(root, "aks", "PT1H.json") as f:
        for line, ev in records:
            f.write(json.dumps(aks_record(line, ev, False), separators=(",", ":")) + "\n")
    with out_file(root, "aks-eventhub", "hub.json") as f:
        for start in range(0, len(records), 50):
            recs = [aks_record(l, e, True) for l, e in records[start:start + 50]]
            recs.append({"time": recs[0]["time"], "resourceId": RID, "category": "guard",
                         "properties": {"log": "I0314 11:00:00.000000 1 guard.go:1] ok"}})
            f.write(json.dumps({"records": recs}, separators=(",", ":")) + "\n")


# ---------------------------------------------------------------- stdout, CRI
def klog(t):
    hh = t[11:26]
    return f"I{t[5:7]}{t[8:10]} {hh.ljust(15, '0')}       1 httplog.go:132] \"HTTP\" verb=\"GET\" URI=\"/readyz\" latency=\"1ms\""


def stdout_and_cri(root, records):
    with out_file(root, "stdout", "minikube.log") as f:
        for i, (line, ev) in enumerate(records):
            if i % 10 == 0:
                f.write(klog(event_time(ev)) + "\n")
            f.write(line + "\n")
    with out_file(root, "cri", "kube-apiserver.log") as f:
        for i, (line, ev) in enumerate(records):
            t = event_time(ev)
            if i % 10 == 0:
                f.write(f"{t} stderr F {klog(t)}\n")
            data = line.encode("utf-8")
            chunks = [data[k:k + 16384] for k in range(0, len(data), 16384)] or [b""]
            for j, c in enumerate(chunks):
                tag = "F" if j == len(chunks) - 1 else "P"
                f.write(f"{t} stdout {tag} {c.decode('utf-8', 'surrogateescape')}\n")


# ---------------------------------------------------------------- legacy
def q(s):
    return json.dumps(s, ensure_ascii=False)


def legacy(root, records):
    with out_file(root, "legacy", "audit.log") as f:
        for line, ev in records:
            u = ev.get("user") or {}
            user = u.get("username") or "<none>"
            groups = ",".join(q(g) for g in u.get("groups") or []) if u.get("username") and u.get("groups") else "<none>"
            imp = ev.get("impersonatedUser")
            asuser = imp.get("username", "") if imp else "<self>"
            asgroups = ",".join(q(g) for g in imp.get("groups") or []) if imp and imp.get("groups") is not None else "<lookup>"
            ns = (ev.get("objectRef") or {}).get("namespace") or "<none>"
            rs = ev.get("responseStatus")
            response = str(rs.get("code")) if rs and rs.get("code") is not None else "<deferred>"
            ip = (ev.get("sourceIPs") or ["<unknown>"])[0]
            f.write(
                f"{event_time(ev)} AUDIT: id={q(ev.get('auditID', ''))} stage={q(ev.get('stage', ''))} ip={q(ip)} "
                f"method={q(ev.get('verb', ''))} user={q(user)} groups={q(groups)} as={q(asuser)} "
                f"asgroups={q(asgroups)} user-agent={q(ev.get('userAgent', ''))} namespace={q(ns)} "
                f"uri={q(ev.get('requestURI', ''))} response=\"{response}\"\n"
            )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("inputs", nargs="*")
    ap.add_argument("--since", default="")
    ap.add_argument("--until", default="9999")
    ap.add_argument("--only", default="", help="comma-separated formats to write (default: all)")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    inputs = args.inputs or [os.path.join(here, "..", "..", "sample-logs")]
    records = []
    for line in read_inputs(inputs):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        t = event_time(ev)
        if args.since <= t < args.until:
            records.append((line, ev))
    only = set(filter(None, args.only.split(",")))
    writers = {
        "native": lambda: out_file(args.out, "native", "audit.log").write("".join(l + "\n" for l, _ in records)),
        "eks": lambda: eks(args.out, records),
        "gke": lambda: gke(args.out, records),
        "aks": lambda: aks(args.out, records),
        "cri": lambda: stdout_and_cri(args.out, records),
        "legacy": lambda: legacy(args.out, records),
    }
    for name, w in writers.items():
        if not only or name in only:
            w()
    print(f"{len(records)} records converted into {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Probes in noise: a busy three-hour cluster (the sample generator's controllers, kubelets,
operators, probes and people, without its attack story) with one probe per concept of issue 12
injected at random times by fresh identities and names, and a benign twin of each.

    python3 tools/probes.py --out DIR [--seed N] [--hours 3]

Writes DIR/logs/audit.log (the noise), DIR/logs/probes.log (probes and twins), and
DIR/manifest.json: for each concept its severity class ("high" when issue 12 lists it as
high) and the audit IDs of its probe and of its twin; DIR/bad-addresses.txt and
DIR/image-allow.txt are the analyst's lists the detection runs with. Standard library only,
deterministic for a seed. `tests/detect_probes.rs` runs it and judges the detections.
"""

import argparse
import json
import os
import random
import sys
import uuid

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "samplegen"))
sys.path.insert(0, HERE)

from events import Engine, US, parse_ts                            # noqa: E402
from writer import FileSink                                       # noqa: E402
from world import World                                           # noqa: E402
from api import Api, Labels                                       # noqa: E402
from noise import Noise                                           # noqa: E402
import scripted                                                   # noqa: E402
import gen_sample_logs                                            # noqa: E402

START = "2026-05-02T09:00:00Z"
KUBECTL = "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350"
CURL = "curl/8.5.0"
PYREQ = "python-requests/2.31.0"
KUBELET = "kubelet/v1.30.2 (linux/amd64) kubernetes/3968350"
RBAC = "rbac.authorization.k8s.io"
WORDS = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "iris", "juniper",
         "kestrel", "lotus", "maple", "nectar", "onyx", "pine", "quartz", "raven", "sage", "tundra"]


class Probes:
    def __init__(self, rng, start_us, end_us):
        self.rng = rng
        self.start_us, self.end_us = start_us, end_us
        self.events = []
        self.concepts = []
        self.n = 0

    # ---- names and identities, fresh for every probe ----
    def word(self):
        return "%s-%d" % (self.rng.choice(WORDS), self.rng.randrange(100, 999))

    def ip(self, public=False):
        if public:
            return "%d.%d.%d.%d" % (self.rng.choice([45, 91, 146, 185, 193]), self.rng.randrange(1, 254),
                                    self.rng.randrange(1, 254), self.rng.randrange(2, 254))
        return "10.%d.%d.%d" % (self.rng.choice([8, 9]), self.rng.randrange(0, 254), self.rng.randrange(2, 254))

    def pod_ip(self):
        return "10.244.%d.%d" % (self.rng.randrange(1, 9), self.rng.randrange(2, 254))

    def person(self, ua=KUBECTL, public=False):
        name = "%s.%s@corp.example" % (self.rng.choice(WORDS), self.rng.choice(WORDS))
        return {"username": name, "groups": ["oidc:eng", "system:authenticated"], "ip": self.ip(public), "ua": ua}

    def sa(self, ns=None, name=None, ua=None, ip=None):
        ns = ns or self.word()
        name = name or self.word()
        extra = {"authentication.kubernetes.io/credential-id": ["JTI=" + str(uuid.UUID(int=self.rng.getrandbits(128)))]}
        return {"username": "system:serviceaccount:%s:%s" % (ns, name),
                "groups": ["system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"],
                "ip": ip or self.pod_ip(), "ua": ua or "%s/v1.4.2 (linux/amd64) kubernetes/$Format" % name, "extra": extra,
                "ns": ns, "name": name}

    def node(self):
        name = "ip-10-0-%d-%d.ec2.internal" % (self.rng.randrange(1, 9), self.rng.randrange(2, 254))
        return {"username": "system:node:" + name, "groups": ["system:nodes", "system:authenticated"],
                "ip": "10.0.%d.%d" % (self.rng.randrange(1, 9), self.rng.randrange(2, 254)), "ua": KUBELET, "node": name}

    # ---- events ----
    def ev(self, t, who, verb, resource=None, ns=None, name=None, sub=None, group="", code=None,
           req=None, uri=None, impersonate=None, decision="allow", ip=None, ua=None, query=None):
        self.n += 1
        aid = str(uuid.UUID(int=self.rng.getrandbits(128)))
        if code is None:
            code = 403 if decision == "forbid" else (101 if sub in ("exec", "attach") else (201 if verb == "create" else 200))
        if uri is None:
            base = "/api/v1" if group == "" else "/apis/%s/v1" % group
            if ns:
                base += "/namespaces/" + ns
            base += "/" + resource
            if name and not (verb == "create" and not sub):
                base += "/" + name
            if sub:
                base += "/" + sub
            uri = base + (("?" + query) if query else "")
        e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse" if req is not None else "Metadata",
             "auditID": aid, "stage": "ResponseComplete", "requestURI": uri, "verb": verb}
        user = {"username": who["username"], "groups": who["groups"]}
        if who.get("extra"):
            user["extra"] = who["extra"]
        e["user"] = user
        if impersonate:
            e["impersonatedUser"] = impersonate
        e["sourceIPs"] = [ip or who["ip"]]
        e["userAgent"] = ua or who["ua"]
        if resource:
            ref = {"resource": resource, "apiGroup": group, "apiVersion": "v1"}
            if ns:
                ref["namespace"] = ns
            if name:
                ref["name"] = name
            if sub:
                ref["subresource"] = sub
            e["objectRef"] = ref
        e["responseStatus"] = {"metadata": {}, "code": code}
        if code >= 400:
            e["responseStatus"].update({"status": "Failure", "reason": "Forbidden"})
        if req is not None:
            e["requestObject"] = req
        stamp = _ts(t)
        e["requestReceivedTimestamp"] = stamp
        e["stageTimestamp"] = _ts(t + 3000)
        e["annotations"] = {"authorization.k8s.io/decision": decision}
        self.events.append(e)
        return aid

    def when(self):
        """A random time, at least an hour and a half in (baselines need a history), with
        room after it."""
        return self.rng.randrange(self.start_us + 100 * 60 * US, self.end_us - 20 * 60 * US)

    def concept(self, key, cls, probe, twin):
        """probe, twin: functions of a start time returning audit IDs."""
        p = probe(self.when())
        b = twin(self.when())
        self.concepts.append({"concept": key, "class": cls, "probe": p, "twin": b})


def _ts(us):
    import datetime
    t = datetime.datetime.fromtimestamp(us / US, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pod(name, ns, containers, **spec):
    s = {"containers": containers}
    s.update(spec)
    return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": ns}, "spec": s}


def ctr(name, image, **extra):
    c = {"name": name, "image": image}
    c.update(extra)
    return c


def deploy(name, ns, containers, **spec):
    s = {"containers": containers}
    s.update(spec)
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": s}}}


def rb(kind, name, role_kind, role, subjects, ns=None):
    meta = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"kind": kind, "apiVersion": RBAC + "/v1", "metadata": meta,
            "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role}, "subjects": subjects}


def sasubj(who):
    return {"kind": "ServiceAccount", "name": who["name"], "namespace": who["ns"]}


def cm(name, ns, data):
    return {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": name, "namespace": ns}, "data": data}


def exec_q(argv, container="app"):
    from urllib.parse import urlencode
    return urlencode([("command", a) for a in argv] + [("container", container), ("stdout", "true"), ("stderr", "true")])


MINUTE = 60 * US


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--hours", type=float, default=3.0)
    args = ap.parse_args(argv)
    logs = os.path.join(args.out, "logs")
    os.makedirs(logs, exist_ok=True)
    start = parse_ts(START)
    end = start + int(args.hours * 3600 * US)
    sink = FileSink(logs, None, compress=False)
    engine = Engine(sink, start, end, False)
    world = World(args.seed, 1.0)
    benign = Labels()
    world.label = lambda key, aid: scripted.label(benign, key, aid)
    api = Api(engine, world)
    noise = Noise(engine, api, world, random.Random("noise-%d" % args.seed), benign,
                  gen_sample_logs.density(1.0))
    noise.install()
    scripted.install(engine, api, world, random.Random("scripted-%d" % args.seed), benign, noise)
    engine.run()
    sink.close()
    from probe_concepts import install as install_concepts
    p = Probes(random.Random("probes-%d" % args.seed), start, end)
    lists = install_concepts(p)
    p.events.sort(key=lambda e: e["stageTimestamp"])
    with open(os.path.join(logs, "probes.log"), "w", encoding="utf-8") as f:
        for e in p.events:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")
    images = set()
    with open(os.path.join(logs, "audit.log"), encoding="utf-8") as f:
        for line in f:
            if '"image"' in line:
                for part in line.split('"image":"')[1:]:
                    images.add(part.split('"', 1)[0])
    with open(os.path.join(args.out, "image-allow.txt"), "w", encoding="utf-8") as f:
        f.write("# the images of the noise, and the company registry\n")
        for img in sorted(images):
            f.write(img + "\n")
        for reg in lists["allow_registries"]:
            f.write(reg + "/*\n")
    with open(os.path.join(args.out, "bad-addresses.txt"), "w", encoding="utf-8") as f:
        f.write("# listed exits\n" + "\n".join(lists["bad"]) + "\n")
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"concepts": p.concepts}, f, indent=1)
    print("%d concepts, %d probe events" % (len(p.concepts), len(p.events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

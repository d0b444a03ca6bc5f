#!/usr/bin/env python3
"""Generate a realistic Kubernetes API-server audit log with an embedded attack story.

    python3 tools/gen_sample_logs.py --out sample-logs
    python3 tools/gen_sample_logs.py --out /tmp/big --target-bytes 1G --layout single --no-gzip

Standard library only, deterministic for a given --seed.  See sample-logs/README.md.
"""

import argparse
import os
import random
import sys
import time

sys.dont_write_bytecode = True      # keep tools/samplegen free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "samplegen"))

from events import Engine, US, parse_ts, ts                      # noqa: E402
from writer import FileSink, CountingSink                        # noqa: E402
from world import World                                          # noqa: E402
from api import Api, Labels                                      # noqa: E402
from noise import Noise                                          # noqa: E402
import scripted                                                  # noqa: E402
import attacks                                                   # noqa: E402

DEFAULT_START = "2026-03-14T08:00:00Z"
DEFAULT_ROTATE = 6 * 1024 * 1024      # --audit-log-maxsize equivalent for the sample


def parse_size(text):
    text = text.strip().upper().rstrip("B")
    mult = 1
    for suf, m in (("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40)):
        if text.endswith(suf):
            mult, text = m, text[:-1]
            break
    return int(float(text) * mult)


def density(scale):
    """Periods (microseconds) and probabilities of the periodic benign traffic.

    The committed sample (scale 1) keeps the real cadences of the scheduler lease
    (2 s) and kubelet node leases (10 s) but, to stay around 30 MB, its audit
    policy drops the kube-controller-manager lease and the kubelet's own
    liveness probes of the API server; benchmark runs (scale > 1) log them too.
    """
    s = max(1.0, scale)
    big = scale > 1.0
    return {
        "leader_lease": 2 * US,
        "kcm_lease": big,
        "lb_probe": int(15 * US / min(s, 5)),
        "kube_probe": 10 * US if big else None,
        "scanner": 10 * 60 * US,
        "prom_scrape": 60 * US if not big else 30 * US,
        "cadvisor": 300 * US if not big else 60 * US,
        "big_node_status": 0.15,
        "app_web": int(120 * US / min(s, 12)),
        "app_worker": int(120 * US / min(s, 12)),
        "app_tenant": 20 * US,
        "argocd": 300 * US if not big else 180 * US,
    }


def generate(sink, seed, start_us, hours, scale, single_stage=False):
    end_us = start_us + int(hours * 3600 * US)
    engine = Engine(sink, start_us, end_us, single_stage)
    world = World(seed, scale)
    benign = Labels()
    world.label = lambda key, aid: scripted.label(benign, key, aid)
    api = Api(engine, world)
    noise = Noise(engine, api, world, random.Random("noise-%d" % seed), benign, density(scale))
    noise.install()
    scripted.install(engine, api, world, random.Random("scripted-%d" % seed), benign, noise)
    story = attacks.install(engine, api, world, random.Random("attack-%d" % seed))
    engine.run()
    return world, benign, story


def calibrate(seed, start_us, hours, target, single_stage=False):
    """Find the noise scale whose output is about `target` bytes.

    Short counting runs (no output) of the first simulated hour, extrapolated
    to the whole span; a linear guess refined by two secant steps."""
    probe_h = min(hours, 1.0)

    def measure(scale):
        sink = CountingSink()
        generate(sink, seed, start_us, probe_h, scale, single_stage)
        return sink.bytes * hours / probe_h

    s0, b0 = 1.0, measure(1.0)
    if target <= b0:
        return 1.0
    s1, b1 = 10.0, measure(10.0)
    for _ in range(3):
        if b1 == b0:
            break
        s2 = max(1.0, s1 + (target - b1) * (s1 - s0) / (b1 - b0))
        s0, b0 = s1, b1
        s1, b1 = s2, measure(s2)
        if abs(b1 - target) < 0.02 * target:
            break
    return s1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=20260314)
    ap.add_argument("--hours", type=float, default=6.0)
    ap.add_argument("--start", default=DEFAULT_START, help="UTC start, e.g. 2026-03-14T08:00:00Z")
    ap.add_argument("--target-bytes", default=None,
                    help="scale benign noise so the total is about this size (K/M/G suffixes)")
    ap.add_argument("--layout", choices=("rotated", "single"), default="rotated")
    ap.add_argument("--rotate-size", default=None,
                    help="rotation size for --layout rotated (default 6M, or target/8)")
    ap.add_argument("--no-gzip", action="store_true", help="leave rotated files uncompressed")
    ap.add_argument("--with-bad-lines", action="store_true",
                    help="append a few deliberately malformed lines to audit.log")
    ap.add_argument("--single-stage", action="store_true",
                    help="one record per request (the final stage), as audit policies that "
                         "omit RequestReceived write")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--truth-dir", default=None,
                    help="where attacks.jsonl and benign.jsonl go (default: --out). The committed "
                         "sample keeps them in tests/ground-truth, out of the log directory.")
    args = ap.parse_args(argv)

    t0 = time.time()
    start_us = parse_ts(args.start)
    scale = 1.0
    target = parse_size(args.target_bytes) if args.target_bytes else None
    if target:
        scale = calibrate(args.seed, start_us, args.hours, target, args.single_stage)
    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name == "audit.log" or (name.startswith("audit-") and
                                   (name.endswith(".log") or name.endswith(".log.gz"))):
            os.remove(os.path.join(args.out, name))
    rotate = None
    if args.layout == "rotated":
        rotate = parse_size(args.rotate_size) if args.rotate_size else (
            max(DEFAULT_ROTATE, target // 8) if target else DEFAULT_ROTATE)
    sink = FileSink(args.out, rotate, compress=not args.no_gzip)
    world, benign, story = generate(sink, args.seed, start_us, args.hours, scale,
                                    args.single_stage)
    if args.with_bad_lines:
        sink.append_raw(BAD_LINES)
    files = sink.close()
    truth = args.truth_dir or args.out
    os.makedirs(truth, exist_ok=True)
    attacks.write_ground_truth(truth, world, benign, story)
    if not args.quiet:
        print("scale %.2f, %d records, %.1f MB raw in %.1f s" % (
            scale, sink.total_records, sink.total_bytes / 1e6, time.time() - t0))
        for name, count, size, first, last in files:
            print("  %-40s %8d records %8.2f MB  %s .. %s" % (
                name, count, size / 1e6, ts(first) if first else "-", ts(last) if last else "-"))
    return 0


BAD_LINES = (
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"truncated-\n'
    'this is not json at all\n'
    '\n'
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","verb":7}\n'
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"0b6e5b1e-6f1c-4c53-9c4a-3f0e2a1d9b77","stage":"ResponseComplete","requestURI":"/api/v1/namespaces","verb":"list","user":{"username":"alice@example.com"},"sourceIPs":["10.8.0.14"],"stageTimestamp":"not-a-time"}\n'
    '[1,2,3]\n'
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"5d0c9f0e-1f1e-4b7a-8a9b-0c1d2e3f4a5b","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods","verb":"create","user":{"username":"bob@example.com"},"requestObject":{"kind":"Pod","spec":{"containers":[{"name":"x"\n'
)

if __name__ == "__main__":
    sys.exit(main())

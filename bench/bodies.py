#!/usr/bin/env python3
"""Derives a log shaped like issue 14's held-out one from a single-stage benchmark log: one
request per line, 5 % of them carrying a request and a response body (a ConfigMap of about
one kilobyte), most users without `uid` and `extra` (so records are shorter and a 512 MB log
holds more requests), cut at the size of the input. The input is read twice over if needed,
the second time with other audit IDs, so that no request repeats.

    bench/bodies.py SINGLE_STAGE_LOG OUT_LOG
"""
import json
import os
import random
import sys


def records(path):
    for lap in range(2):
        with open(path, encoding="utf-8") as f:
            for line in f:
                e = json.loads(line)
                if lap:
                    # Another first character: the same request is never read twice.
                    aid = str(e.get("auditID", "x"))
                    e["auditID"] = ("c" if aid.startswith("b") else "b") + aid[1:]
                yield e


def main():
    src, dst = sys.argv[1], sys.argv[2]
    limit = os.path.getsize(src)
    rnd = random.Random(7)
    written = count = 0
    with open(dst, "w", encoding="utf-8") as out:
        for e in records(src):
            user = e.get("user") or {}
            if rnd.random() < 0.8:
                user.pop("extra", None)
                user.pop("uid", None)
            if rnd.random() < 0.05:
                body = {
                    "kind": "ConfigMap",
                    "apiVersion": "v1",
                    "metadata": {"name": f"cm-{rnd.randint(0, 10**6)}", "namespace": "default"},
                    "data": {"k": "v" * rnd.randint(600, 1400)},
                }
                e["requestObject"] = body
                e["responseObject"] = body
            line = json.dumps(e, separators=(",", ":")) + "\n"
            written += len(line)
            if written > limit:
                break
            out.write(line)
            count += 1
    print(f"{count} requests in {written // 1_000_000} MB", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Wrapper-format ingest benchmark: generate a native audit log with the sample generator,
# wrap the same records as EKS CloudWatch-to-S3 lines (`<ISO time> <event>`), EKS
# filter-log-events-style JSON lines of AKS storage records (`properties.log` string) and
# GKE LogEntry JSON lines (one entry per record, so record counts match), then time
# `kubesift index` on each and print MB/s, records/s and the overhead against native
# (time per record). Files are plain (not gzip) so the figure is the unwrapping cost alone.
#
#   bench/formats.sh [SIZE]           SIZE defaults to 300M (K/M/G suffixes)
#   BENCH_DIR=/path bench/formats.sh  where data and indexes go (default: bench/out)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-300M}
out=${BENCH_DIR:-bench/out}
mkdir -p "$out"
data="$out/data-$size"
if [ ! -s "$data/audit.log" ]; then
  echo "generating $size of audit log into $data ..."
  python3 tools/gen_sample_logs.py --out "$data" --target-bytes "$size" --layout single --no-gzip --quiet
fi
wrapped="$out/formats-$size"
mkdir -p "$wrapped"/{native,eks-s3,aks,gke}
ln -sf "$(realpath "$data/audit.log")" "$wrapped/native/audit.log"
if [ ! -s "$wrapped/gke/entries.jsonl" ]; then
  echo "wrapping ..."
  python3 - "$data/audit.log" "$wrapped" <<'PY'
import json, sys, os
sys.path.insert(0, "tests/formats")
import convert
src, root = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f, \
     open(os.path.join(root, "eks-s3/000000.log"), "w", encoding="utf-8") as s3, \
     open(os.path.join(root, "aks/PT1H.json"), "w", encoding="utf-8") as aks, \
     open(os.path.join(root, "gke/entries.jsonl"), "w", encoding="utf-8") as gke:
    for line in f:
        line = line.rstrip("\n")
        if not line:
            continue
        ev = json.loads(line)
        t = convert.event_time(ev)
        s3.write(f"{t[:23]}Z {line}\n")
        aks.write(json.dumps(convert.aks_record(line, ev, False), separators=(",", ":")) + "\n")
        e = convert.gke_entry(ev)
        # one entry per stage record, so the record count matches native
        e["insertId"] = ev.get("auditID", "") + "-" + ev.get("stage", "")
        e["operation"]["first"] = ev.get("stage") != "ResponseComplete"
        e["operation"]["last"] = ev.get("stage") in ("ResponseComplete", "Panic")
        gke.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
fi
cargo build --release --quiet
bin=target/release/kubesift
records=$(wc -l < "$data/audit.log")
cat "$wrapped"/*/* > /dev/null # warm the page cache
# Rounds outside, formats inside, so that every format sees the same load (the machine may
# be shared); each format keeps its best wall time and its best CPU time (user + sys).
results="$out/formats-times.txt"
: > "$results"
for round in 1 2 3; do
  for fmt in native eks-s3 aks gke; do
    idx="$out/index-formats-$fmt"
    rm -rf "$idx"
    /usr/bin/time -f "$fmt %e %U %S" -a -o "$results" \
      "$bin" --index "$idx" index --quiet --no-detect "$wrapped/$fmt" 2> "$out/formats-$fmt.stderr"
  done
done
python3 - "$results" "$records" "$wrapped" <<'PY'
import os, sys
results, records, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
best = {}
for line in open(results):
    parts = line.split()
    if len(parts) != 4:
        continue
    fmt, wall, user, sys_ = parts[0], float(parts[1]), float(parts[2]), float(parts[3])
    w, c = best.get(fmt, (1e9, 1e9))
    best[fmt] = (min(w, wall), min(c, user + sys_))
def size(fmt):
    d = os.path.join(root, fmt)
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
print(f"{records} records per format; best of 3 interleaved runs; overhead = time per record against native")
print(f"{'format':<8} {'MB':>6} {'wall s':>7} {'MB/s':>7} {'records/s':>10} {'wall +%':>8} {'CPU s':>7} {'CPU +%':>7}")
nw, nc = best["native"]
for fmt in ["native", "eks-s3", "aks", "gke"]:
    w, c = best[fmt]
    mb = size(fmt) / 1e6
    ow = "" if fmt == "native" else f"{100 * (w / nw - 1):+.1f}%"
    oc = "" if fmt == "native" else f"{100 * (c / nc - 1):+.1f}%"
    print(f"{fmt:<8} {mb:6.0f} {w:7.2f} {mb / w:7.1f} {records / w:10.0f} {ow:>8} {c:7.2f} {oc:>7}")
PY
for fmt in native eks-s3 aks gke; do
  echo "$fmt: $(tail -1 "$out/formats-$fmt.stderr")"
done

#!/usr/bin/env bash
# Ingest benchmark: generate an audit log with the sample generator, then time, on the same
# data, a jq pass, `kubesift index` (detections included, as a user runs it), `detect`, an
# export and `kubesift search` queries. Prints the figures the issues ask for: index time /
# jq time (best of RUNS interleaved runs each), CPU seconds (user + sys), MB/s, peak memory,
# export rows/s, search latency percentiles.
#
#   bench/ingest.sh [SIZE] [SHAPE]   SIZE defaults to 1G (K/M/G suffixes); SHAPE is
#                                    `staged` (default: RequestReceived and ResponseComplete
#                                    records, about two per request), `single` (one record
#                                    per request, as policies that omit RequestReceived write),
#                                    `bodies` (single, 5 % of requests with bodies and most
#                                    users without extras: bench/bodies.py), `both` (staged,
#                                    then single) or `all` (staged, single, bodies)
#   BENCH_DIR=/path bench/ingest.sh   where data and indexes go (default: bench/out)
#   RUNS=N bench/ingest.sh            interleaved jq / index runs per shape (default 2)
# The binary is built in CARGO_TARGET_DIR when that is set, else in target/.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}
shape=${2:-staged}
runs=${RUNS:-2}
case "$shape" in
  staged | single | bodies) shapes=("$shape") ;;
  both) shapes=(staged single) ;;
  all) shapes=(staged single bodies) ;;
  *) echo "SHAPE must be staged, single, bodies, both or all, not $shape" >&2; exit 2 ;;
esac
out=${BENCH_DIR:-bench/out}
mkdir -p "$out"
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kubesift

timed() { # label, command...: prints "label wall cpu peak-RSS-KB" (cpu: user + sys seconds)
  local label=$1; shift
  /usr/bin/time -f "$label %e %U %S %M" "$@" 2>&1 >/dev/null | tail -1 |
    awk '{ printf "%s %s %.2f %s\n", $1, $2, $3 + $4, $5 }'
}

best() { # lines "label wall cpu kb" on stdin: the one with the shortest wall time
  sort -k2,2g | head -1
}

bench_shape() {
  local shape=$1
  local shape_args=()
  if [ "$shape" = single ]; then shape_args=(--single-stage); fi
  local data="$out/data-$size-$shape"
  if [ "$shape" = bodies ] && [ ! -s "$data/audit.log" ]; then
    local single="$out/data-$size-single"
    if [ ! -s "$single/audit.log" ]; then
      echo "generating $size of single audit log into $single ..."
      python3 tools/gen_sample_logs.py --out "$single" --target-bytes "$size" --layout single --no-gzip --quiet \
        --truth-dir "$single/truth" --single-stage
    fi
    mkdir -p "$data"
    python3 bench/bodies.py "$single/audit.log" "$data/audit.log"
  fi
  if [ ! -s "$data/audit.log" ]; then
    echo "generating $size of $shape audit log into $data ..."
    python3 tools/gen_sample_logs.py --out "$data" --target-bytes "$size" --layout single --no-gzip --quiet \
      --truth-dir "$data/truth" "${shape_args[@]}"
  fi
  local log="$data/audit.log" idx="$out/index-$size-$shape"
  local bytes
  bytes=$(stat -c %s "$log")
  echo "input: $log ($((bytes / 1000000)) MB, $shape)"
  cat "$log" >/dev/null # warm the page cache for both contenders
  local jq_lines="" ks_lines=""
  for _ in $(seq "$runs"); do # interleaved, so that a neighbour's load hits both alike
    jq_lines+="$(timed jq jq -c 'select(.verb=="create")' "$log")"$'\n'
    rm -rf "$idx"
    ks_lines+="$(timed index "$bin" --index "$idx" index --quiet "$log")"$'\n'
  done
  local jq_line ks_line events det_line findings gets exp_line
  jq_line=$(printf '%s' "$jq_lines" | best)
  ks_line=$(printf '%s' "$ks_lines" | best)
  events=$("$bin" --index "$idx" search --count '*')
  det_line=$(timed detect "$bin" --index "$idx" detect --recompute --format jsonl)
  findings=$("$bin" --index "$idx" detect --format jsonl | wc -l)
  gets=$("$bin" --index "$idx" search --count 'verb:get')
  exp_line=$(timed export "$bin" --index "$idx" export --query 'verb:get' --format jsonl)
  python3 - "$shape" "$bytes" "$events" "$findings" "$gets" "$runs" \
    "$jq_line" "$ks_line" "$det_line" "$exp_line" <<'PY'
import sys
shape, size, events, findings, gets, runs = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
def parse(line):
    _, wall, cpu, kb = line.split()
    return float(wall), float(cpu), int(kb)
jq, jq_cpu, _ = parse(sys.argv[7])
ks, ks_cpu, kb = parse(sys.argv[8])
det, _, det_kb = parse(sys.argv[9])
exp, _, exp_kb = parse(sys.argv[10])
print(f"shape               {shape}: {events} events, best of {runs} interleaved runs")
print(f"jq select pass      {jq:7.2f} s   {size/1e6/jq:6.1f} MB/s   cpu {jq_cpu:.2f} s")
print(f"kubesift index      {ks:7.2f} s   {size/1e6/ks:6.1f} MB/s   cpu {ks_cpu:.2f} s   peak RSS {kb/1024:.0f} MiB   (detections included)")
print(f"index / jq ratio    {ks/jq:7.2f}     (target <= 0.50)   cpu ratio {ks_cpu/jq_cpu:.2f}")
print(f"export verb:get     {exp:7.2f} s   {gets/exp/1000:6.1f} k rows/s (jsonl; target >= 150)   peak RSS {exp_kb/1024:.0f} MiB   {gets} rows")
print(f"kubesift detect     {det:7.2f} s   (separate run, recomputed; {100*det/ks:.0f}% of index time; target <= 2 s)   peak RSS {det_kb/1024:.0f} MiB   {findings} findings")
PY
  search_latency "$idx" "$events"
}

search_latency() {
  echo "search latency (whole CLI process, $2 events, 21 runs each):"
  python3 - "$bin" "$1" <<'PY'
import subprocess, sys, time, statistics
bin, idx = sys.argv[1], sys.argv[2]
queries = [
    ["search", "--count", "verb:create"],
    ["search", "--count", "user:system:serviceaccount:shop:web AND NOT verb:get"],
    ["search", "--count", "ip:10.244.0.0/16 code:>=400"],
    ["search", "--limit", "50", "res:pods/exec"],
    ["search", "--limit", "50", "--format", "jsonl", "ns:kube-system verb:create"],
    # Bare words match the user and client-family columns and the path terms by dictionary
    # scans; implied groups are found through the user column.
    ["search", "--count", "web"],
    ["search", "--count", "group:system:serviceaccounts"],
]
for q in queries:
    times = []
    for _ in range(21):
        t = time.perf_counter()
        subprocess.run([bin, "--index", idx, *q], stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"  p50 {statistics.median(times):6.1f} ms  p95 {times[int(len(times)*0.95)-1]:6.1f} ms   {' '.join(q)}")
PY
}

for s in "${shapes[@]}"; do
  bench_shape "$s"
done

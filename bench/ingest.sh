#!/usr/bin/env bash
# Ingest benchmark: generate ~1 GB of audit log with the sample generator, then time, on
# the same data, a jq pass, `kubesift index`, and `kubesift search` queries. Prints the
# figures the foundation issue asks for: index time / jq time, MB/s, peak memory, search
# latency percentiles.
#
#   bench/ingest.sh [SIZE] [SHAPE]   SIZE defaults to 1G (K/M/G suffixes); SHAPE is
#                                    `staged` (default: RequestReceived and ResponseComplete
#                                    records, about two per request) or `single` (one record
#                                    per request, as policies that omit RequestReceived write)
#   BENCH_DIR=/path bench/ingest.sh   where data and indexes go (default: bench/out)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}
shape=${2:-staged}
case "$shape" in
  staged) shape_args=() ;;
  single) shape_args=(--single-stage) ;;
  *) echo "SHAPE must be staged or single, not $shape" >&2; exit 2 ;;
esac
out=${BENCH_DIR:-bench/out}
mkdir -p "$out"
data="$out/data-$size-$shape"
if [ ! -s "$data/audit.log" ]; then
  echo "generating $size of $shape audit log into $data ..."
  python3 tools/gen_sample_logs.py --out "$data" --target-bytes "$size" --layout single --no-gzip --quiet \
    --truth-dir "$data/truth" "${shape_args[@]}"
fi
log="$data/audit.log"
bytes=$(stat -c %s "$log")
mb=$(python3 -c "print(f'{$bytes/1e6:.0f}')")
cargo build --release --quiet
bin=target/release/kubesift
idx="$out/index-$size-$shape"

timed() { # label, command...: prints wall seconds and peak RSS (KB) on one line
  local label=$1; shift
  /usr/bin/time -f "$label %e %M" "$@" 2>&1 >/dev/null | tail -1
}

echo "input: $log ($mb MB)"
cat "$log" >/dev/null # warm the page cache for both contenders
jq_line=$(timed jq jq -c 'select(.verb=="create")' "$log")
rm -rf "$idx"
ks_line=$(timed index "$bin" --index "$idx" index --quiet "$log")
read -r _ jq_s jq_kb <<<"$jq_line"
read -r _ ks_s ks_kb <<<"$ks_line"
events=$("$bin" --index "$idx" search --count '*')
det_line=$(timed detect "$bin" --index "$idx" detect --recompute --format jsonl)
read -r _ det_s det_kb <<<"$det_line"
findings=$("$bin" --index "$idx" detect --format jsonl | wc -l)
gets=$("$bin" --index "$idx" search --count 'verb:get')
exp_line=$(timed export "$bin" --index "$idx" export --query 'verb:get' --format jsonl)
read -r _ exp_s exp_kb <<<"$exp_line"
python3 - "$jq_s" "$ks_s" "$ks_kb" "$bytes" "$events" "$det_s" "$det_kb" "$findings" "$gets" "$exp_s" "$exp_kb" "$shape" <<'PY'
import sys
jq, ks, kb, size, events = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
det, det_kb, findings = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
gets, exp, exp_kb, shape = int(sys.argv[9]), float(sys.argv[10]), int(sys.argv[11]), sys.argv[12]
print(f"shape               {shape}")
print(f"jq select pass      {jq:7.2f} s   {size/1e6/jq:6.1f} MB/s")
print(f"kubesift index      {ks:7.2f} s   {size/1e6/ks:6.1f} MB/s   peak RSS {kb/1024:.0f} MiB   {events} events (detections included)")
print(f"index / jq ratio    {ks/jq:7.2f}     (target <= 0.50)")
print(f"export verb:get     {exp:7.2f} s   {gets/exp/1000:6.1f} k rows/s (jsonl; target >= 150)   peak RSS {exp_kb/1024:.0f} MiB   {gets} rows")
print(f"kubesift detect     {det:7.2f} s   (separate run, recomputed; {100*det/ks:.0f}% of index time; target <= 2 s)   peak RSS {det_kb/1024:.0f} MiB   {findings} findings")
PY

echo "search latency (whole CLI process, $events events, 21 runs each):"
python3 - "$bin" "$idx" <<'PY'
import subprocess, sys, time, statistics
bin, idx = sys.argv[1], sys.argv[2]
queries = [
    ["search", "--count", "verb:create"],
    ["search", "--count", "user:system:serviceaccount:shop:web AND NOT verb:get"],
    ["search", "--count", "ip:10.244.0.0/16 code:>=400"],
    ["search", "--limit", "50", "res:pods/exec"],
    ["search", "--limit", "50", "--format", "jsonl", "ns:kube-system verb:create"],
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

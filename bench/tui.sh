#!/usr/bin/env bash
# Workbench benchmark: an index of ~10 M events built from the sample generator, then
# `kubesift bench-tui`: time to the first frame, and key → redrawn frame / → frame with its
# data, p50 and p95, for scrolling, filtering and pivoting.
#
#   bench/tui.sh [SIZE]              SIZE of generated log, default 22G (~10 M events)
#   BENCH_DIR=/path bench/tui.sh     where data and index go (default: bench/out)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-22G}
out=${BENCH_DIR:-bench/out}
mkdir -p "$out"
data="$out/data-$size"
if [ ! -s "$data/audit.log" ]; then
  echo "generating $size of audit log into $data (several minutes) ..."
  python3 tools/gen_sample_logs.py --out "$data" --target-bytes "$size" --layout single --no-gzip --quiet
fi
cargo build --release --quiet
bin=target/release/kubesift
idx="$out/index-$size"
if [ ! -d "$idx/tantivy" ]; then
  /usr/bin/time -f "index: %e s, peak RSS %M KB" "$bin" --index "$idx" index --quiet "$data/audit.log"
fi
"$bin" --index "$idx" bench-tui

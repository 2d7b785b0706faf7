#!/usr/bin/env bash
# bench-batch.sh — images/s of `myoseg batch` over N phantoms at several
# worker counts, with peak memory and the time per image by stage.
#
# Usage: scripts/bench-batch.sh [N]              (default N=200)
# Environment:
#   MYOSEG_BIN=path     the binary to measure (default: go build of this tree)
#   WORKERS="1 2 8"     worker counts (default: 1, 2 and every core)
#   DATA=dir            an existing dataset (default: N phantoms, seed 1, in a temporary folder)
#   MODEL=file.onnx     a model other than the embedded one
#   ENGINE=name         --engine for the runs (fast, gorgonnx; default: the build's default)
#   LABEL=text          a name for the binary in the table (default: the engine, or "default")
#   KEEP=1              keep the temporary folder
# Each run starts from an empty output folder (nothing skipped) and writes
# masks and records, no overlays. Prints one table row per worker count.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-200}
cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
WORKERS=${WORKERS:-$(printf '%s\n' 1 2 "$cores" | awk '!seen[$0]++' | tr '\n' ' ')}
LABEL=${LABEL:-${ENGINE:-default}}

T=$(mktemp -d /tmp/myoseg-bench.XXXXXX)
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi; }
trap cleanup EXIT

BIN=${MYOSEG_BIN:-}
if [ -z "$BIN" ]; then
  (cd "$here" && go build -o "$T/myoseg" .)
  BIN="$T/myoseg"
fi
if [ -z "${DATA:-}" ]; then
  DATA="$T/data"
  "$BIN" phantom --out "$DATA" --n "$N" --seed 1 --quiet >/dev/null
fi
model_args=()
[ -n "${MODEL:-}" ] && model_args+=(--model "$MODEL")
[ -n "${ENGINE:-}" ] && model_args+=(--engine "$ENGINE")

echo "# myoseg batch: $N images from $DATA; $cores cores ($(uname -m)); $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-9s %7s %10s %9s %9s %8s %8s %8s %8s %8s %8s %8s\n' \
  build workers images/s wall_s peak_MiB cpu_s read decode+prep infer post+meas render write
TIMEFORMAT='%R %U %S'
for w in $WORKERS; do
  out="$T/out-$LABEL-$w"
  rc=0
  { time "$BIN" batch --progress none --workers "$w" "${model_args[@]}" --out "$out" "$DATA" \
      >"$T/run-$w.out" 2>"$T/run-$w.err" || rc=$?; } 2>"$T/time-$w"
  if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then # 1: some images failed, still a run
    echo "run with $w workers failed (exit $rc):" >&2
    cat "$T/run-$w.err" >&2
    exit 1
  fi
  read -r wall user sys <"$T/time-$w"
  awk -v label="$LABEL" -v w="$w" -v wall="$wall" -v cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" '
    /images: .* segmented/ { for (i = 1; i <= NF; i++) if ($i == "segmented,") seg = $(i-1) }
    /^per image/ {
      gsub(",", "")
      for (i = 1; i <= NF; i++) {
        if ($i == "read") rd = $(i+1); if ($i == "decode") dec = $(i+1); if ($i == "prepare") prep = $(i+1)
        if ($i == "inference") inf = $(i+1); if ($i == "post-processing") post = $(i+1); if ($i == "measure") meas = $(i+1)
        if ($i == "render") ren = $(i+1); if ($i == "write") wr = $(i+1)
      }
    }
    /^peak memory/ { peak = $3 }
    END {
      printf "%-9s %7d %10.2f %9.1f %9s %8.1f %8s %11.1f %8s %9.1f %8s %8s\n", label, w, seg / wall, wall, peak, cpu, rd, dec + prep, inf, post + meas, ren, wr
    }' "$T/run-$w.out"
done
echo "# per-image columns: ms per image per worker (wall time inside a worker; summed over workers it exceeds the run)"

#!/usr/bin/env bash
# Reliability figures for README's "Reliability" section, all on 127.0.0.1
# and bounded (about 5 minutes on 2 cores):
#   1. the server under load: requests served, errors, p50/p99;
#   2. slow clients (slowloris) while normal requests go on;
#   3. the largest input segment accepts by default, and its peak memory
#      (/usr/bin/time -v), and the next size up refused from the header;
#   4. batch killed with SIGKILL and resumed, three times: the output folder
#      identical to an uninterrupted run's.
# Usage: scripts/reliability.sh [WORKDIR]   (default: a fresh temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d /tmp/myoseg-reliability.XXXXXX)}
mkdir -p "$work"
bin=$work/myoseg
tool=$work/reliability
[ -f web/dist/myoseg.wasm ] || make wasm >/dev/null
go build -o "$bin" .
go build -o "$tool" ./scripts/reliability
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
echo "# myoseg reliability, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(go version | cut -d' ' -f3)"

# 1, 2: the server.
"$bin" serve --addr 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q 'serving on' "$work/serve.log" && break; sleep 0.1; done
addr=$(grep -o '127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -1)
[ -n "$addr" ] || { echo "server did not start: $(cat "$work/serve.log")"; exit 1; }
timeout 120 "$tool" load -addr "$addr" -n 20000 -c 32
timeout 60 "$tool" slow -addr "$addr" -conns 200 -for 15s
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

# 3: the largest input accepted by default, and one pixel row more.
max=$("$bin" segment --help 2>&1 | grep -A2 -- '-max-pixels' | grep -o 'default [0-9]*' | grep -o '[0-9]*')
side=$(awk -v m="$max" 'BEGIN { s = int(sqrt(m)); print s }')
"$tool" png -w "$side" -h "$side" -out "$work/largest.png"
"$tool" png -w "$side" -h $((side + 1)) -out "$work/over.png"
if /usr/bin/time -v "$bin" segment --out "$work/largest-out" "$work/largest.png" >"$work/largest.txt" 2>"$work/largest.time"; then
  rss=$(awk '/Maximum resident/ { print $6 }' "$work/largest.time")
  wall=$(awk -F': ' '/Elapsed \(wall/ { print $2 }' "$work/largest.time")
  echo "largest input accepted by default: ${side}×${side} grey PNG ($((side * side)) px, limit $max), peak RSS $((rss / 1024)) MB, $wall"
else
  echo "largest input FAILED: $(tail -3 "$work/largest.time")"
fi
if "$bin" segment "$work/over.png" >/dev/null 2>"$work/over.err"; then
  echo "one row more: ACCEPTED (unexpected)"
else
  echo "one row more (${side}×$((side + 1))): refused: $(grep -o 'PNG header claims.*' "$work/over.err" | head -1)"
fi

# 4: kill -9 and resume, three times.
"$bin" phantom --out "$work/data" --n 60 --seed 7 --quiet
"$bin" batch --progress none --overlays --out "$work/ref" "$work/data" >/dev/null 2>&1
same=0
for k in 5 20 40; do
  out=$work/killed-$k
  "$bin" batch --progress none --overlays --out "$out" "$work/data" >/dev/null 2>&1 &
  p=$!
  for _ in $(seq 1200); do
    n=$( (find "$out/records" -name '*.json' 2>/dev/null || true) | wc -l)
    [ "$n" -ge "$k" ] && break
    kill -0 "$p" 2>/dev/null || break
    sleep 0.05
  done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  done_before=$( (find "$out/records" -name '*.json' 2>/dev/null || true) | wc -l)
  "$bin" batch --progress none --overlays --out "$out" "$work/data" >/dev/null 2>&1
  if diff -r "$work/ref" "$out" >/dev/null; then
    same=$((same + 1))
    echo "kill -9 after $done_before of 60 images, resumed: identical to the uninterrupted run"
  else
    echo "kill -9 after $done_before of 60 images, resumed: DIFFERS: $(diff -rq "$work/ref" "$out" | head -3)"
  fi
done
echo "kill-and-resume: $same of 3 identical"
echo "(work folder: $work)"

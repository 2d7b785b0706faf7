#!/usr/bin/env bash
# gpu-bench.sh — build myoseg with CUDA (-tags cuda) on a GPU machine, run the
# batch benchmark with it and with the default CPU build over the same
# phantoms, print images/s side by side, and compare the two builds' results.
#
# Usage: scripts/gpu-bench.sh [N]        (default N=200)
# Needs: Linux x86-64, an NVIDIA driver (nvidia-smi), the CUDA 12 toolkit
# (nvcc, headers, libcuda/libcublas) and cuDNN 8 (cudnn.h, libcudnn), Go 1.26,
# a C compiler, and the Go module proxy (gorgonia.org/cu v0.9.6). Steps and
# background: docs/gpu.md. The working tree is never modified: the build
# happens in a copy, with its own go.mod (go.cuda.mod) and generated kernels.
# Environment:
#   CUDA_HOME=/usr/local/cuda   toolkit location (headers, libraries)
#   CPU_WORKERS="1 N"           CPU worker counts (default 1 and every core)
#   GPU_WORKERS="1 2 4"         CUDA build worker counts (one CUDA context each)
#   KEEP=1                      keep the temporary folder
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-200}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
cores=$(nproc)
CPU_WORKERS=${CPU_WORKERS:-"1 $cores"}
GPU_WORKERS=${GPU_WORKERS:-"1 2 4"}

die() { echo "gpu-bench: $*" >&2; exit 1; }
command -v nvidia-smi >/dev/null || die "nvidia-smi not found: no NVIDIA driver on this machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >/dev/null || die "nvidia-smi sees no GPU"
export PATH="$CUDA_HOME/bin:$PATH"
command -v nvcc >/dev/null || die "nvcc not found (CUDA toolkit; set CUDA_HOME)"
[ -f "$CUDA_HOME/include/cuda.h" ] || die "$CUDA_HOME/include/cuda.h missing (CUDA toolkit headers)"
cudnn_h=$(ls "$CUDA_HOME"/include/cudnn.h /usr/include/cudnn.h /usr/include/x86_64-linux-gnu/cudnn.h 2>/dev/null | head -n1 || true)
[ -n "$cudnn_h" ] || die "cudnn.h not found (install cuDNN 8 for CUDA 12, e.g. libcudnn8-dev)"

T=$(mktemp -d /tmp/myoseg-gpu.XXXXXX)
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi; }
trap cleanup EXIT

echo "# GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -n1)"
echo "# nvcc: $(nvcc --version | tail -n1); cuDNN header: $cudnn_h"

# 1. CPU build, from the tree as it is, with the fast engine's AVX kernels
#    (GOEXPERIMENT=simd): the best the CPU does.
(cd "$here" && GOEXPERIMENT=simd go build -o "$T/myoseg-cpu" .)

# 2. CUDA build, in a copy: its own module file with gorgonia.org/cu v0.9.6
#    (v0.9.4, which gorgonia v0.9.18 asks for, does not build against CUDA 12),
#    gorgonia's element-wise kernels compiled by cudagen for this GPU, and cgo
#    pointed at the toolkit.
mkdir -p "$T/src"
(cd "$here" && tar --exclude=./.git --exclude=node_modules -cf - .) | (cd "$T/src" && tar -xf -)
cd "$T/src"
cp go.mod go.cuda.mod
cp go.sum go.cuda.sum
go get -modfile=go.cuda.mod gorgonia.org/cu@v0.9.6
export CGO_ENABLED=1
export CGO_CFLAGS="-I$CUDA_HOME/include -I$(dirname "$cudnn_h")"
export CGO_LDFLAGS="-L$CUDA_HOME/lib64 -L$CUDA_HOME/lib64/stubs -L/usr/lib/x86_64-linux-gnu"
go build -modfile=go.cuda.mod -o "$T/cudagen" gorgonia.org/gorgonia/cmd/cudagen
# cudagen compiles gorgonia's "cuda modules/src/*.cu" with nvcc for the
# lowest compute capability present and writes cudamodules.go (package main,
# build tag cuda) into the current folder: the kernels are registered with
# gorgonia.AddToStdLib at start-up.
"$T/cudagen"
[ -f cudamodules.go ] || die "cudagen wrote no cudamodules.go"
go build -modfile=go.cuda.mod -tags cuda -o "$T/myoseg-cuda" .
cd "$here"
"$T/myoseg-cuda" help >/dev/null

# 3. The same phantoms for both.
"$T/myoseg-cpu" phantom --out "$T/data" --n "$N" --seed 1 --quiet >/dev/null

export DATA="$T/data" KEEP=0
echo
MYOSEG_BIN="$T/myoseg-cpu" LABEL=cpu-fast ENGINE=fast WORKERS="$CPU_WORKERS" "$here/scripts/bench-batch.sh" "$N"
MYOSEG_BIN="$T/myoseg-cpu" LABEL=cpu-gorg ENGINE=gorgonnx WORKERS="$CPU_WORKERS" "$here/scripts/bench-batch.sh" "$N" | grep -v -e '^#' -e '^build '
MYOSEG_BIN="$T/myoseg-cuda" LABEL=cuda ENGINE=gorgonnx WORKERS="$GPU_WORKERS" "$here/scripts/bench-batch.sh" "$N" | grep -v -e '^#' -e '^build '
echo "# cpu-fast: the default CPU engine (core/nn/executor); cpu-gorg: gorgonnx on the CPU; cuda: gorgonnx in the cuda build"

# 4. Do the builds agree (the same gorgonnx graphs, on the CPU and on the GPU)? Float order differs on the GPU, so a few boundary
#    pixels may flip; report how many masks differ and by how much.
"$T/myoseg-cpu" batch --progress none --engine gorgonnx --workers "$cores" --out "$T/cmp-cpu" "$T/data" >/dev/null 2>&1 || true
"$T/myoseg-cuda" batch --progress none --engine gorgonnx --workers 2 --out "$T/cmp-cuda" "$T/data" >/dev/null 2>&1 || true
same=0; differ=0
while IFS= read -r f; do
  if cmp -s "$T/cmp-cpu/$f" "$T/cmp-cuda/$f"; then same=$((same + 1)); else differ=$((differ + 1)); fi
done < <(cd "$T/cmp-cpu" && find masks -name '*.mask.png' | sort)
echo
echo "# masks identical between CPU and CUDA builds: $same; different: $differ"
paste -d, <(cut -d, -f1,16 "$T/cmp-cpu/results.csv") <(cut -d, -f16 "$T/cmp-cuda/results.csv") | awk -F, '
  NR > 1 && $2 != "" && $3 != "" { d = $2 - $3; if (d < 0) d = -d; if (d > max) max = d; rel = (d / ($2 > 0 ? $2 : 1)); if (rel > maxrel) maxrel = rel; n++ }
  END { printf "# CSA (px): largest |CPU - CUDA| %d px (%.2f %% of the CPU value) over %d images\n", max, 100 * maxrel, n }'

# myoseg: `make run` builds the browser app (the Go core as WebAssembly) and
# serves it; `make test` runs every test, first installing on Debian what
# they need beyond Go (scripts/test-deps.sh: Chromium, Node, Slurm).
#
# Every target runs Go 1.27.3 (simd/archsimd for wasm, the browser's SIMD128
# kernels): this overrides a machine's GOTOOLCHAIN=local, and the go command
# fetches 1.27.3 once through the module proxy (about 76 MB).
export GOTOOLCHAIN := go1.27.3
GO      ?= go
# make 4.3 does not pass exported variables to $(shell): name it here too.
GOROOT  := $(shell GOTOOLCHAIN=$(GOTOOLCHAIN) $(GO) env GOROOT)
# Two builds of the browser core: scalar, and SIMD128 (GOEXPERIMENT=simd);
# web/worker.js picks one at start-up.
WASM    := web/dist/myoseg.wasm
WASMSIMD := web/dist/myoseg-simd.wasm
WASMEXEC := web/dist/wasm_exec.js
# The on-demand builds (trainer, reference engine) are compressed at brotli
# 9: quality 11 takes minutes on the 33 MB reference for 15 % less, and
# nobody waits for them on the default path.
# The model adapter (core/nn/train, docs/adapt.md): its own module, scalar
# and SIMD128, fetched by web/adapt-worker.js only when someone adapts a model.
TRAINER := web/dist/myoseg-train.wasm
TRAINERSIMD := web/dist/myoseg-train-simd.wasm
# The design's reference engine (onnx-go + gorgonia) beside our executor
# (wasm/reference): fetched by web/js/reference.js only when someone asks
# the page to check an image with it, and never precached (web/sw.js).
# Scalar only: it is a check, not the path a clinician waits on.
REFERENCE := web/dist/myoseg-reference.wasm
# Everything the wasm is built from (the model is not in it: the page
# downloads it once and keeps it in IndexedDB).
WASM_SRC := $(shell find core wasm -name '*.go' -not -name '*_test.go') go.mod go.sum

# The native binary for batch runs, with the AVX-512/AVX2 kernels
# (GOEXPERIMENT=simd; on other CPUs the portable kernels run): bin/myoseg.
build:
	GOEXPERIMENT=simd $(GO) build -trimpath -o bin/myoseg .

.PHONY: build run wasm test test-wasm e2e adapt-e2e slurm bench-e2e clean

run: wasm
	$(GO) run . serve $(ARGS)

wasm: $(WASM) $(WASMSIMD) $(WASMEXEC) $(TRAINER) $(TRAINERSIMD) $(REFERENCE)

$(WASM): $(WASM_SRC)
	@mkdir -p web/dist
	GOOS=js GOARCH=wasm GOEXPERIMENT= $(GO) build -trimpath -ldflags=-s -o $@ ./wasm
	$(GO) run ./wasm/precompress $@

$(WASMSIMD): $(WASM_SRC)
	@mkdir -p web/dist
	GOOS=js GOARCH=wasm GOEXPERIMENT=simd $(GO) build -trimpath -ldflags=-s -o $@ ./wasm
	$(GO) run ./wasm/precompress $@

$(TRAINER): $(WASM_SRC)
	@mkdir -p web/dist
	GOOS=js GOARCH=wasm GOEXPERIMENT= $(GO) build -trimpath -ldflags=-s -o $@ ./wasm/trainer
	$(GO) run ./wasm/precompress --brotli 9 $@

$(TRAINERSIMD): $(WASM_SRC)
	@mkdir -p web/dist
	GOOS=js GOARCH=wasm GOEXPERIMENT=simd $(GO) build -trimpath -ldflags=-s -o $@ ./wasm/trainer
	$(GO) run ./wasm/precompress --brotli 9 $@

$(REFERENCE): $(WASM_SRC)
	@mkdir -p web/dist
	GOOS=js GOARCH=wasm GOEXPERIMENT= $(GO) build -trimpath -ldflags=-s -o $@ ./wasm/reference
	$(GO) run ./wasm/precompress --brotli 9 $@

# wasm_exec.js must match the Go that built the wasm: compared on every
# build, since a toolchain change does not make the old copy look stale.
$(WASMEXEC): FORCE
	@mkdir -p web/dist
	@cmp -s $(GOROOT)/lib/wasm/wasm_exec.js $@ || cp $(GOROOT)/lib/wasm/wasm_exec.js $@

FORCE:

test: wasm
	scripts/test-deps.sh
	$(GO) test ./...
	GOEXPERIMENT=simd $(GO) test ./core/nn/executor/ ./core/nn/engine/... ./models/
	$(MAKE) test-wasm
	$(MAKE) e2e
	$(MAKE) slurm

# The core and the browser shim's packages under GOOS=js, run by Node: the
# same tests as natively, on the code the browser runs; then the executor and
# the shipped-model parity again on the SIMD128 build (the kernels' tests
# compare it with the scalar path and PyTorch).
test-wasm:
	GOOS=js GOARCH=wasm GOEXPERIMENT= $(GO) test -exec="$(GOROOT)/lib/wasm/go_js_wasm_exec" ./core/... ./wasm/...
	GOOS=js GOARCH=wasm GOEXPERIMENT=simd $(GO) test -exec="$(GOROOT)/lib/wasm/go_js_wasm_exec" ./core/nn/executor/ ./core/nn/train/ ./models/

# End-to-end tests in headless Chromium (/usr/bin/chromium; override with
# CHROMIUM=...). Screenshots land in e2e/artifacts/.
e2e: wasm
	MYOSEG_E2E=1 $(GO) test -count=1 -timeout 20m -v ./e2e/

# Issue 13's domain-shift experiment in headless Chromium: 16 images of an
# unseen "scanner" outlined in the page, Adapt, held-out and independent
# Dice, wall time, trainer memory (minutes; not part of `make test`).
adapt-e2e: wasm
	MYOSEG_E2E=1 MYOSEG_ADAPT_E2E=1 $(GO) test -count=1 -timeout 60m -run 'TestAdaptDomainShift' -v ./e2e/

# A real one-node Slurm cluster (munged, slurmctld, slurmd in a temp dir)
# runs a 3-task batch array over phantoms; the merged result must equal a
# single run byte for byte. Prints SKIP and passes where Slurm cannot start;
# SLURM_TEST_REQUIRED=1 makes that a failure.
slurm:
	scripts/slurm-test.sh

# Page-load and per-image timings, wasm sizes and worker memory.
bench-e2e: wasm
	MYOSEG_E2E=1 $(GO) test -run '^$$' -bench . -benchtime 3x -timeout 30m ./e2e/

clean:
	rm -rf web/dist e2e/artifacts

// One Web Worker = one Go instance running the myoseg core (wasm/). The page
// sends "init" (with the scalar build compiled, or no module); the worker
// picks the SIMD or scalar build (coreModule); every later message is
// handed to Go, which answers through myosegPost. Go's wasm has no threads,
// so the page runs several of these workers for many images.
'use strict';
importScripts('dist/wasm_exec.js');

let memory = null;
let queued = [];

// Two builds of the core: dist/myoseg-simd.wasm (WebAssembly SIMD128
// kernels, GOEXPERIMENT=simd) and dist/myoseg.wasm (scalar, for browsers
// without SIMD). The probe is the smallest module using a SIMD instruction
// (a function returning i8x16.popcnt(i8x16.splat(0))): it validates only
// where SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const SIMD = WebAssembly.validate(SIMD_PROBE);

// coreModule returns the compiled core this browser should run: the page's
// module (the scalar build) where SIMD is missing or the SIMD build cannot
// be fetched, else the SIMD build (compiled once per worker; the HTTP and
// service-worker caches keep its bytes).
async function coreModule(pageModule) {
  const url = SIMD ? 'dist/myoseg-simd.wasm' : 'dist/myoseg.wasm';
  if (!SIMD && pageModule) return { module: pageModule, variant: 'scalar' };
  try {
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    return { module: await WebAssembly.compileStreaming(resp), variant: SIMD ? 'simd128' : 'scalar' };
  } catch (err) {
    if (!pageModule) throw err;
    console.warn('myoseg worker: falling back to the scalar core:', err);
    return { module: pageModule, variant: 'scalar' };
  }
}

// Called by Go for every reply; adds the size of Go's linear memory (it only
// grows, so its current size is the worker's peak).
self.myosegPost = (msg, transfer) => {
  if (memory) msg.memBytes = memory.buffer.byteLength;
  self.postMessage(msg, transfer || []);
};

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type !== 'init') {
    if (self.myosegHandle) self.myosegHandle(msg); else queued.push(msg);
    return;
  }
  try {
    const go = new Go();
    go.argv = ['myoseg-worker', String(msg.index)];
    const ready = new Promise((resolve) => { self.myosegReady = resolve; });
    const core = await coreModule(msg.module);
    const instance = await WebAssembly.instantiate(core.module, go.importObject);
    memory = instance.exports.mem;
    go.run(instance).then(
      () => self.myosegPost({ type: 'fatal', error: 'the Go core exited' }),
      (err) => self.myosegPost({ type: 'fatal', error: 'the Go core crashed: ' + err }));
    await ready;
    self.myosegPost({ type: 'ready', variant: core.variant });
    for (const m of queued) self.myosegHandle(m);
    queued = [];
  } catch (err) {
    self.postMessage({ type: 'fatal', error: 'cannot start the Go core: ' + err });
  }
};

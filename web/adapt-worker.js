// The model adapter's worker: its own Go instance running core/nn/train
// (dist/myoseg-train-simd.wasm or, without SIMD128, dist/myoseg-train.wasm,
// built by `make wasm`), started only when someone
// adapts a model, so the main app never downloads it. Messages are handed
// to Go (wasm/trainer/main.go says the protocol), which answers through
// myosegPost; the page terminates this worker when done.
'use strict';
importScripts('dist/wasm_exec.js');

let queued = [];
let memory = null;

self.myosegPost = (msg, transfer) => {
  if (memory) msg.memBytes = memory.buffer.byteLength;
  self.postMessage(msg, transfer || []);
};

self.onmessage = (event) => {
  if (event.data.type === 'init') { start(event.data.simd); return; }
  if (self.myosegHandle) self.myosegHandle(event.data); else queued.push(event.data);
};

// start loads the trainer: the SIMD128 build where the page runs the SIMD
// core (web/js/core.js probed it), else the scalar one.
async function start(simd) {
  try {
    const go = new Go();
    const ready = new Promise((resolve) => { self.myosegReady = resolve; });
    const url = simd ? 'dist/myoseg-train-simd.wasm' : 'dist/myoseg-train.wasm';
    const { instance } = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
    memory = instance.exports.mem;
    go.run(instance).catch((err) => self.postMessage({ type: 'error', json: JSON.stringify({ error: 'the trainer crashed: ' + err, reason: '' }) }));
    await ready;
    for (const m of queued) self.myosegHandle(m);
    queued = [];
  } catch (err) {
    self.postMessage({ type: 'error', json: JSON.stringify({ error: 'cannot start the trainer: ' + err, reason: '' }) });
  }
}

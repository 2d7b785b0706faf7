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
  if (self.myosegHandle) self.myosegHandle(event.data); else queued.push(event.data);
};

(async () => {
  try {
    const go = new Go();
    const ready = new Promise((resolve) => { self.myosegReady = resolve; });
    // The SIMD128 build where the browser validates a SIMD instruction (the
    // same probe as worker.js), else the scalar one.
    const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
      10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
    const url = WebAssembly.validate(probe) ? 'dist/myoseg-train-simd.wasm' : 'dist/myoseg-train.wasm';
    const { instance } = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
    memory = instance.exports.mem;
    go.run(instance).catch((err) => self.postMessage({ type: 'error', json: JSON.stringify({ error: 'the trainer crashed: ' + err, reason: '' }) }));
    await ready;
    for (const m of queued) self.myosegHandle(m);
    queued = [];
  } catch (err) {
    self.postMessage({ type: 'error', json: JSON.stringify({ error: 'cannot start the trainer (dist/myoseg-train.wasm): ' + err, reason: '' }) });
  }
})();

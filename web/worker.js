// One Web Worker = one Go instance running the myoseg core (wasm/). The page
// sends "init" with the core it compiled once (SIMD128 or scalar build, see
// web/js/core.js); every later message is handed to Go, which answers
// through myosegPost. Go's wasm has no threads,
// so the page runs several of these workers for many images.
'use strict';
importScripts('dist/wasm_exec.js');

let memory = null;
let queued = [];

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
    const instance = await WebAssembly.instantiate(msg.module, go.importObject);
    memory = instance.exports.mem;
    go.run(instance).then(
      () => self.myosegPost({ type: 'fatal', error: 'the Go core exited' }),
      (err) => self.myosegPost({ type: 'fatal', error: 'the Go core crashed: ' + err }));
    await ready;
    self.myosegPost({ type: 'ready' });
    for (const m of queued) self.myosegHandle(m);
    queued = [];
  } catch (err) {
    self.postMessage({ type: 'fatal', error: 'cannot start the Go core: ' + err });
  }
};

// The reference engine's worker: its own Go instance running wasm/reference
// (onnx-go + gorgonia beside our executor), started only when someone asks
// the page to check an image with the reference engine (web/js/reference.js
// compiles dist/myoseg-reference.wasm once and hands the module over).
// Messages go to Go, which answers through myosegPost (wasm/reference/main.go
// says the protocol); the page terminates this worker after each check, so
// gorgonia's memory is given back.
'use strict';
importScripts('dist/wasm_exec.js');

let queued = [];
let memory = null;

self.myosegPost = (msg, transfer) => {
  if (memory) msg.memBytes = memory.buffer.byteLength;
  self.postMessage(msg, transfer || []);
};

const fail = (error) => self.postMessage({ type: 'error', json: JSON.stringify({ error, reason: '' }) });

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type !== 'init') {
    if (self.myosegHandle) self.myosegHandle(msg); else queued.push(msg);
    return;
  }
  try {
    const go = new Go();
    const ready = new Promise((resolve) => { self.myosegReady = resolve; });
    const instance = await WebAssembly.instantiate(msg.module, go.importObject);
    memory = instance.exports.mem;
    go.run(instance).then(
      () => fail('the reference engine exited'),
      (err) => fail('the reference engine crashed: ' + err));
    await ready;
    for (const m of queued) self.myosegHandle(m);
    queued = [];
  } catch (err) {
    fail('cannot start the reference engine: ' + err);
  }
};

// One of the page's workers for the many-images phase: our wasm, one image at a time.
importScripts('/wasm_exec.js');
let images = [], next = 0;
onmessage = async (e) => {
  try {
    if (e.data.init) {
      images = e.data.images;
      const go = new Go();
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/wasm/bench.wasm'), go.importObject);
      go.run(instance);
      const err = self.myosegBench.load(new Uint8Array(e.data.init));
      postMessage(err ? { error: err } : { ok: true });
      return;
    }
    for (let i = 0; i < e.data.run; i++) self.myosegBench.infer(images[next++ % images.length]);
    postMessage({ done: e.data.run });
  } catch (err) {
    postMessage({ error: String(err) });
  }
};

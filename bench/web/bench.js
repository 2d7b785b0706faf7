// Bench page: our wasm (core/nn/executor) and onnxruntime-web (wasm backend) on
// the same model and inputs. ?phase=first&engine=ours|ort: time from
// navigation start to the first result. ?phase=pair&threads=N: ours and
// onnxruntime-web (N threads) alternate image by image after warm-up.
// ?phase=many&workers=N&images=M: throughput, ours with N workers vs
// onnxruntime-web on one thread.
const q = new URLSearchParams(location.search);
// Start-up steps, ms since navigation start, for the first-result phase.
const marks = {};
const mark = (name) => { marks[name] = performance.now(); };

const log = (s) => { document.getElementById('log').textContent += s + '\n'; };

// Input size, set by meta() before any image runs.
const dims = { h: 0, w: 0 };

async function meta() {
  // Both at once: each step that waits on the other would also wait for
  // the main thread, which the engine's start keeps busy.
  const [m, buf] = await (early.inputs || Promise.all([
    fetch('/meta.json').then((r) => r.json()),
    fetch('/inputs.f32').then((r) => r.arrayBuffer()),
  ]));
  mark('meta');
  dims.h = m.h; dims.w = m.w;
  const n = m.h * m.w, images = [];
  for (let i = 0; i + n * 4 <= buf.byteLength; i += n * 4) images.push(new Float32Array(buf.slice(i, i + n * 4)));
  return { ...m, images };
}

function loadScript(src) {
  return new Promise((ok, fail) => {
    const s = document.createElement('script');
    s.src = src; s.onload = ok; s.onerror = () => fail(new Error('cannot load ' + src));
    document.head.appendChild(s);
  });
}

async function loadOurs() {
  const t0 = performance.now();
  // The wasm compiles (it needs no imports for that) and the model
  // downloads while the glue script, which instantiation needs, loads.
  const module = early.module || WebAssembly.compileStreaming(fetch('/wasm/bench.wasm'));
  const modelBytes = (early.model || fetch('/model.onnx').then((r) => r.arrayBuffer())).then((b) => { mark('modelFetch'); return b; });
  await loadScript('/wasm_exec.js');
  mark('script');
  const go = new Go();
  const instance = await WebAssembly.instantiate(await module, go.importObject);
  mark('instantiate');
  go.run(instance); // Go's runtime starts while the model may still be arriving
  mark('goRun');
  const err = globalThis.myosegBench.load(new Uint8Array(await modelBytes));
  if (err) throw new Error(err);
  mark('modelCompile');
  return {
    loadMs: performance.now() - t0,
    infer: async (x) => globalThis.myosegBench.infer(x),
    wasmBytes: () => instance.exports.mem.buffer.byteLength,
  };
}

async function loadOrt(threads) {
  const t0 = performance.now();
  const ort = await (early.ort || import('/ort/ort.wasm.min.mjs'));
  mark('script');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = '/ort/';
  const s = await ort.InferenceSession.create('/model.onnx', { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  mark('modelCompile');
  const inName = s.inputNames[0], outName = s.outputNames[0];
  return {
    loadMs: performance.now() - t0,
    infer: async (x) => (await s.run({ [inName]: new ort.Tensor('float32', x, [1, 1, dims.h, dims.w]) }))[outName].data,
    wasmBytes: () => 0,
    version: ort.env.versions ? ort.env.versions.web : '',
  };
}

async function memoryMB() {
  if (self.crossOriginIsolated && performance.measureUserAgentSpecificMemory) {
    try {
      const m = await performance.measureUserAgentSpecificMemory();
      return m.bytes / 1e6;
    } catch (e) { log('measureUserAgentSpecificMemory: ' + e); }
  }
  return performance.memory ? performance.memory.usedJSHeapSize / 1e6 : 0;
}

// first: the engine starts loading at once, beside the test images, as an
// app fetches its engine while the user picks an image.
async function first() {
  const [e, m] = await Promise.all([
    q.get('engine') === 'ours' ? loadOurs() : loadOrt(1),
    meta().then((m) => { mark('inputs'); return m; }),
  ]);
  await e.infer(m.images[0]);
  const firstMs = performance.now(); // since navigation start: page, app, model, one image
  mark('firstInference');
  let s = performance.now();
  await e.infer(m.images[1 % m.images.length]);
  const secondMs = performance.now() - s;
  for (let i = 0; i < 4; i++) await e.infer(m.images[i % m.images.length]);
  return { firstMs, secondMs, marks, loadMs: e.loadMs, memMB: await memoryMB(), wasmMB: e.wasmBytes() / 1e6 };
}

async function pair(m) {
  const threads = +q.get('threads') || 1, runs = +q.get('runs') || 20;
  const ours = await loadOurs();
  const ort = await loadOrt(threads);
  const o0 = Array.from(await ours.infer(m.images[0])), t0 = Array.from(await ort.infer(m.images[0]));
  for (let i = 0; i < 3; i++) { await ours.infer(m.images[i % m.images.length]); await ort.infer(m.images[i % m.images.length]); }
  const a = [], b = [];
  for (let i = 0; i < runs; i++) {
    const x = m.images[i % m.images.length];
    let s = performance.now(); await ours.infer(x); a.push(performance.now() - s);
    s = performance.now(); await ort.infer(x); b.push(performance.now() - s);
  }
  let d = 0;
  for (let i = 0; i < o0.length; i++) d = Math.max(d, Math.abs(o0[i] - t0[i]));
  return { threads, ours: a, ort: b, maxAbsDiff: d, oursLoadMs: ours.loadMs, ortLoadMs: ort.loadMs, version: ort.version,
    crossOriginIsolated: self.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency };
}

async function many(m) {
  const workers = +q.get('workers') || navigator.hardwareConcurrency, total = +q.get('images') || 16;
  const ortThreads = +q.get('ortThreads') || 1;
  let oursIps = 0, per = 0;
  if (q.get('ours') !== '0') {
    const model = await (await fetch('/model.onnx')).arrayBuffer();
    const ws = await Promise.all(Array.from({ length: workers }, () => new Promise((ok, fail) => {
      const w = new Worker('worker.js');
      w.onmessage = (e) => (e.data.error ? fail(new Error(e.data.error)) : ok(w));
      w.postMessage({ init: model, images: m.images });
    })));
    // Warm-up: one image per worker.
    await Promise.all(ws.map((w) => new Promise((ok) => { w.onmessage = ok; w.postMessage({ run: 1 }); })));
    const s = performance.now();
    per = Math.ceil(total / workers);
    await Promise.all(ws.map((w) => new Promise((ok) => { w.onmessage = ok; w.postMessage({ run: per }); })));
    oursIps = (per * workers) / ((performance.now() - s) / 1e3);
    ws.forEach((w) => w.terminate());
  }
  // onnxruntime-web's threads are fixed when its wasm starts: one
  // configuration per page.
  const ort = await loadOrt(ortThreads);
  await ort.infer(m.images[0]);
  const s = performance.now();
  for (let i = 0; i < total; i++) await ort.infer(m.images[i % m.images.length]);
  const ortIps = total / ((performance.now() - s) / 1e3);
  return { workers, oursImages: per * workers, oursIps, ortImages: total, ortIps, ortThreads };
}

(async () => {
  mark('page');
  try {
    const phase = q.get('phase');
    const r = phase === 'first' ? await first() : phase === 'pair' ? await pair(await meta()) : await many(await meta());
    log(JSON.stringify(r).slice(0, 400));
    window.benchResult = JSON.stringify(r);
  } catch (e) {
    log('error: ' + e);
    window.benchError = String(e && e.stack || e);
  }
})();

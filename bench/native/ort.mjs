// onnxruntime-node side of the native benchmark. Usage:
//   node ort.mjs MODEL.onnx INPUTS.f32 H W THREADS RUNS OUT.json
// INPUTS.f32 holds the prepared images back to back (float32 LE, 1×1×H×W each).
// Writes timings (ms per run, sequential, after warm-up) and the first
// image's output (for the parity check) as JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const [model, inputs, H, W, threads, runs, outPath] = process.argv.slice(2);
const h = +H, w = +W, n = h * w;
const buf = readFileSync(inputs);
const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
const images = [];
for (let i = 0; i + n <= all.length; i += n) images.push(all.slice(i, i + n));

const t0 = performance.now();
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: +threads, interOpNumThreads: 1, executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const loadMs = performance.now() - t0;
const inName = session.inputNames[0], outName = session.outputNames[0];
const run = async (img) => (await session.run({ [inName]: new ort.Tensor('float32', img, [1, 1, h, w]) }))[outName].data;
const first = await run(images[0]);
for (let i = 0; i < 3; i++) await run(images[i % images.length]); // warm-up
const times = [];
for (let i = 0; i < +runs; i++) {
  const s = performance.now();
  await run(images[i % images.length]);
  times.push(performance.now() - s);
}
writeFileSync(outPath, JSON.stringify({
  engine: 'onnxruntime-node', version: require('onnxruntime-node/package.json').version,
  threads: +threads, load_ms: loadMs, times_ms: times, output0: Array.from(first),
}));

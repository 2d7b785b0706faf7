// Runs the browser's model adapter (dist/myoseg-train.wasm, wasm/trainer)
// under Node with the page's protocol, to check and time it without a
// browser:
//
//   make wasm   # or: GOOS=js GOARCH=wasm go build -o web/dist/myoseg-train.wasm ./wasm/trainer
//   node scripts/adapt-node.js web/dist/myoseg-train.wasm MODEL.onnx CORRECTED.zip [EPOCHS] [OUT.onnx]
//
// Prints each progress message (epoch, time left, held-out Dice, the Go
// instance's linear memory) and the result or the refusal.
'use strict';
const fs = require('fs');
const path = require('path');
const [wasmPath, modelPath, zipPath, epochs, outPath] = process.argv.slice(2);
if (!zipPath) {
  console.error('usage: node scripts/adapt-node.js TRAINER.wasm MODEL.onnx CORRECTED.zip [EPOCHS] [OUT.onnx]');
  process.exit(2);
}
const goroot = require('child_process').execSync('go env GOROOT').toString().trim();
globalThis.require = require;
globalThis.fs = fs;
globalThis.path = path;
globalThis.TextEncoder = require('util').TextEncoder;
globalThis.TextDecoder = require('util').TextDecoder;
globalThis.performance ??= require('perf_hooks').performance;
globalThis.crypto ??= require('crypto');
require(path.join(goroot, 'lib/wasm/wasm_exec.js'));

(async () => {
  const go = new Go();
  const t0 = Date.now();
  let memory = null;
  const ready = new Promise((resolve) => { globalThis.myosegReady = resolve; });
  const done = new Promise((resolve) => {
    globalThis.myosegPost = (msg) => {
      const body = msg.json ? JSON.parse(msg.json) : {};
      const mem = memory ? Math.round(memory.buffer.byteLength / 1e6) : 0;
      if (msg.type === 'progress') {
        console.log(`epoch ${body.epoch}/${body.epochs}  ${body.elapsedS.toFixed(0)} s  left ${body.leftS.toFixed(0)} s  held-out Dice ${body.heldOutDice.toFixed(4)} (best ${body.best.toFixed(4)})  memory ${mem} MB`);
        return;
      }
      if (msg.type === 'adapt') {
        console.log(`adapted ${body.name}: held-out Dice ${body.before.toFixed(4)} → ${body.after.toFixed(4)}, ${body.trainImages} training images, ${body.heldOut} held out, ${body.seconds.toFixed(0)} s; memory ${mem} MB; model ${msg.model.length} bytes`);
        if (outPath) {
          fs.writeFileSync(outPath, Buffer.from(msg.model));
          fs.writeFileSync(outPath.replace(/\.onnx$/, '') + '.md', body.card);
        }
      } else {
        console.log(`refused (${body.reason || 'error'}): ${body.error}; memory ${mem} MB`);
      }
      resolve(msg.type === 'adapt' ? 0 : 1);
    };
  });
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), go.importObject);
  memory = instance.exports.mem;
  go.run(instance);
  await ready;
  const buf = (p) => { const b = fs.readFileSync(p); return b.buffer.slice(b.byteOffset, b.byteOffset + b.length); };
  globalThis.myosegHandle({ type: 'adapt', json: JSON.stringify({ epochs: Number(epochs) || 0 }), model: buf(modelPath), zip: buf(zipPath) });
  const code = await done;
  console.log(`wall ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exit(code);
})();

// "Check with the reference engine": runs the selected image through the
// pipeline with our executor and with the design's reference engine
// (onnx-go + gorgonia) in a worker of its own (web/reference-worker.js,
// wasm/reference), and shows whether the masks agree, area and EI from
// both, and the time per engine. The reference wasm is fetched the first
// time someone asks (never before: it is not on the default path, and the
// service worker does not precache it), then compiled once per page; each
// check gets a fresh worker that is terminated after it, so gorgonia's
// memory is given back. The results table is not changed by a check.
import { $, state } from './state.js';
import { patientOf } from './patients.js';

const WASM_URL = 'dist/myoseg-reference.wasm';
const LABEL = 'Check with the reference engine (onnx-go + gorgonia)';

let compiled = null;   // Promise of {module, downloadBytes, unpackedBytes, ms}
let running = null;    // the item id being checked
const reports = new Map(); // item id → {report, download} of its last check

const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
const msText = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

// setupReference adds the check's section under the detail panel's numbers.
export function setupReference() {
  const after = $('#detail-numbers');
  if (!after || $('#reference')) return;
  const box = document.createElement('section');
  box.id = 'reference';
  box.hidden = true;
  box.dataset.state = 'idle';
  box.style.borderTop = '1px solid var(--line)';
  box.style.marginTop = '.4rem';
  box.style.paddingTop = '.3rem';
  const btn = document.createElement('button');
  btn.type = 'button'; btn.id = 'reference-check';
  btn.textContent = LABEL;
  btn.title = 'Downloads the reference engine once (several MB, only when asked), runs this image with our engine and with ' +
    'onnx-go + gorgonia on the current model, and compares the masks. The results table is not changed.';
  const bar = document.createElement('progress');
  bar.id = 'reference-progress'; bar.hidden = true;
  bar.style.width = '100%';
  const note = document.createElement('p');
  note.id = 'reference-note'; note.setAttribute('aria-live', 'polite');
  note.style.margin = '.25rem 0';
  const out = document.createElement('dl');
  out.id = 'reference-result'; out.className = 'numbers';
  const buttons = document.createElement('div');
  buttons.className = 'buttons';
  buttons.append(btn);
  box.append(buttons, bar, note, out);
  after.after(box);
  btn.addEventListener('click', () => {
    const it = state.items.get(state.selected);
    if (it) check(it);
  });
}

// showReference shows the section for the selected item: the button on a
// finished image, with its last check's outcome if it had one.
export function showReference(it) {
  const box = $('#reference');
  if (!box) return;
  box.hidden = !it || it.status !== 'done';
  if (box.hidden) return;
  const btn = $('#reference-check');
  btn.disabled = running !== null;
  if (running === it.id) return; // its progress is on show
  const last = reports.get(it.id);
  $('#reference-progress').hidden = true;
  clearResult();
  if (running !== null) {
    $('#reference-note').textContent = 'Reference check: another image is being checked.';
    return;
  }
  $('#reference-note').textContent = '';
  if (last) render(it, last);
  else box.dataset.state = 'idle';
}

function clearResult() {
  $('#reference-result').textContent = '';
  const t = $('#reference-table');
  if (t) t.remove();
}

// compileReference fetches and compiles the reference wasm once per page,
// reporting the download (the server sends it compressed: its size is the
// Content-Length; the stream counts the unpacked bytes).
function compileReference(onProgress) {
  if (compiled) return compiled;
  compiled = (async () => {
    const t0 = performance.now();
    const resp = await fetch(WASM_URL);
    if (!resp.ok) throw new Error(`${WASM_URL}: HTTP ${resp.status}`);
    const size = Number(resp.headers.get('Content-Length')) || 0;
    const packed = !!resp.headers.get('Content-Encoding'); // then the stream counts unpacked bytes
    let loaded = 0;
    const counted = resp.body.pipeThrough(new TransformStream({
      transform(chunk, ctl) { loaded += chunk.byteLength; onProgress(loaded, size, packed); ctl.enqueue(chunk); },
    }));
    const module = await WebAssembly.compileStreaming(new Response(counted, { headers: { 'Content-Type': 'application/wasm' } }));
    // What crossed the network: the Content-Length (of the encoded body
    // when the server compressed it), else what the stream counted.
    const encoding = resp.headers.get('Content-Encoding') || '';
    return { module, downloadBytes: size || loaded, encoding, unpackedBytes: loaded, ms: performance.now() - t0 };
  })();
  compiled.catch(() => { compiled = null; }); // a failed download is tried again next time
  return compiled;
}

// currentModel fetches the current model as the adapt flow does, for when
// the reference worker finds no stored copy.
async function currentModel() {
  const req = state.modelReq;
  if (!req || !req.url) {
    throw new Error('the current model\'s file is not at hand: it is not in this browser\'s storage and this page has no address for it ' +
      '(an adopted model after a reload, or the model index unreachable); use the server\'s model, or reload while online');
  }
  const r = await fetch(req.url);
  if (!r.ok) throw new Error(`${req.url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

// ask sends one check to a reference worker and resolves with its report,
// or rejects with an Error carrying .reason.
function ask(worker, msg, transfer, onStage) {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      const body = e.data.json ? JSON.parse(e.data.json) : {};
      if (e.data.type === 'progress') { onStage(body.stage, e.data.memBytes); return; }
      if (e.data.type === 'check') resolve({ report: body, memBytes: e.data.memBytes });
      else reject(Object.assign(new Error(body.error || 'the reference check failed'), { reason: body.reason || '' }));
    };
    worker.onerror = (e) => reject(Object.assign(new Error('the reference worker failed: ' + (e.message || e)), { reason: '' }));
    worker.postMessage(msg, transfer);
  });
}

async function check(it) {
  if (running !== null) return;
  running = it.id;
  const box = $('#reference'), btn = $('#reference-check'), bar = $('#reference-progress'), note = $('#reference-note');
  const shown = () => state.selected === it.id; // the panel may have moved to another image meanwhile
  const say = (text) => { if (shown()) note.textContent = text; };
  btn.disabled = true;
  box.dataset.state = 'loading';
  delete box.dataset.differ; delete box.dataset.pageDiffer; delete box.dataset.dice;
  clearResult();
  bar.hidden = false; bar.removeAttribute('value');
  say('Reference check: downloading the reference engine…');
  let worker = null;
  try {
    const ref = await compileReference((loaded, size, packed) => {
      if (!packed && size) { bar.max = size; bar.value = loaded; }
      say(`Reference check: downloading the reference engine${size ? ` (${mb(size)}${packed ? ' compressed' : ''})` : ''}: ` +
        `${mb(loaded)}${packed ? ' unpacked' : ''} so far…`);
    });
    bar.removeAttribute('value');
    say(`Reference check: reference engine ready (${mb(ref.downloadBytes)} download). Starting it…`);
    worker = new Worker('reference-worker.js');
    worker.postMessage({ type: 'init', module: ref.module });
    // The store keeps the model under the index's name; results carry the
    // model's own name (its metadata), as the header shows it.
    const modelName = (state.modelReq && state.modelReq.name) || '';
    const loaded = document.body.dataset.model || '';
    const sameModel = !!loaded && it.model === loaded;
    const json = JSON.stringify({
      id: it.id, name: it.name, options: it.options, patient: patientOf(it),
      modelName, modelSha256: (state.modelReq && state.modelReq.sha256) || '',
    });
    const onStage = (stage) => say(stage === 'ours'
      ? 'Reference check: running our engine (core/nn/executor)…'
      : 'Reference check: running the reference engine (onnx-go + gorgonia; slower, it interprets the graph)…');
    const send = (model) => {
      const msg = { type: 'check', json };
      const transfer = [];
      if (sameModel && it.modelMask) { msg.pageMask = it.modelMask.slice().buffer; transfer.push(msg.pageMask); }
      if (model) { msg.model = model; transfer.push(model); }
      return ask(worker, msg, transfer, onStage);
    };
    box.dataset.state = 'running';
    let res;
    try {
      res = await send(null);
    } catch (err) {
      if (err.reason !== 'no-model') throw err;
      say('Reference check: the model is not in this browser\'s storage; downloading it…');
      res = await send(await currentModel());
    }
    const last = { report: res.report, download: ref, memBytes: res.memBytes, pageModel: sameModel ? '' : (it.model || 'another model') };
    reports.set(it.id, last);
    if (shown()) render(it, last);
  } catch (err) {
    if (shown()) {
      box.dataset.state = 'error';
      note.textContent = 'Reference check failed: ' + err.message;
    }
  } finally {
    running = null;
    if (worker) worker.terminate();
    bar.hidden = true;
    btn.disabled = false;
    // The panel moved to another image meanwhile: show that one's state.
    if (!shown()) showReference(state.items.get(state.selected) || null);
  }
}

// render shows one check's outcome: the verdict in words, then a small
// table, one column per engine (the detail panel is narrow).
function render(it, { report: r, download, memBytes, pageModel }) {
  const box = $('#reference'), out = $('#reference-result');
  clearResult();
  const px = r.width * r.height;
  const same = r.masks.differ === 0;
  const dice = (d) => (d === 1 ? '1' : d.toFixed(d > 0.9999 ? 6 : 4));
  $('#reference-note').textContent = same
    ? `Identical masks: our engine and the reference agree on all ${px.toLocaleString('en')} pixels (Dice 1).`
    : `The masks differ in ${r.masks.differ.toLocaleString('en')} of ${px.toLocaleString('en')} pixels (Dice ${dice(r.masks.dice)}).`;

  const table = document.createElement('table');
  table.id = 'reference-table';
  table.style.borderCollapse = 'collapse';
  table.style.fontSize = '.9rem';
  table.style.fontVariantNumeric = 'tabular-nums';
  table.style.margin = '.2rem 0';
  const row = (cells, head) => {
    const tr = document.createElement('tr');
    cells.forEach((c, i) => {
      const td = document.createElement(head || i === 0 ? 'th' : 'td');
      td.textContent = c;
      td.style.padding = '.05rem .4rem .05rem 0';
      td.style.textAlign = i === 0 ? 'left' : 'right';
      td.style.fontWeight = head ? '600' : 'normal';
      if (i === 0 && !head) td.style.color = 'var(--muted)';
      tr.append(td);
    });
    table.append(tr);
    return tr;
  };
  const [o, f] = [r.ours, r.reference];
  const head = row(['', 'ours', 'reference'], true);
  head.children[1].title = o.label;
  head.children[2].title = f.label;
  const area = (e) => (e.csaCm2 !== undefined && e.csaCm2 !== null ? `${e.csaCm2.toFixed(2)} cm²` : `${e.csaPx} px`);
  row(['area', area(o), area(f)]);
  if (o.csaCm2 !== undefined && o.csaCm2 !== null) row(['', `${o.csaPx} px`, `${f.csaPx} px`]);
  row(['EI mean', o.eiMean.toFixed(1), f.eiMean.toFixed(1)]);
  row(['EI SD', o.eiSd.toFixed(1), f.eiSd.toFixed(1)]);
  row(['inference', msText(o.inferMs), msText(f.inferMs)]);
  row(['whole run', msText(o.totalMs), msText(f.totalMs)]);
  if (o.loadMs || f.loadMs) row(['model load', msText(o.loadMs), msText(f.loadMs)]);
  out.before(table);

  const add = (k, v) => {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    out.append(dt, dd);
  };
  add('Engines', `ours = ${o.label}, reference = ${f.label}, both in the check's scalar wasm; model ${r.model}`);
  if (r.page) {
    add('Page\'s mask', r.page.differ === 0
      ? `identical to the reference's (the page's ${state.coreVariant || ''} core)`
      : `${r.page.differ} px differ from the reference's, Dice ${dice(r.page.dice)} (the page's ${state.coreVariant || ''} core)`);
  } else {
    add('Page\'s mask', r.pageNote || `not compared: made by ${pageModel}, and the check ran the current model`);
  }
  add('Max |Δp|', `${r.maxProbDiff.toExponential(1)} (model output)`);
  add('Download', `${mb(download.downloadBytes)}${download.encoding ? ` ${download.encoding}` : ''}, ${mb(download.unpackedBytes)} unpacked, once per page` +
    (memBytes ? `; worker ${Math.round(memBytes / 1e6)} MB` : ''));
  box.dataset.state = 'done';
  box.dataset.differ = String(r.masks.differ);
  box.dataset.dice = String(r.masks.dice);
  if (r.page) box.dataset.pageDiffer = String(r.page.differ); else delete box.dataset.pageDiffer;
}

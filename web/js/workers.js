// The worker pool and its jobs. One CoreWorker = one Web Worker (worker.js)
// = one Go instance; requests carry a JSON string and ArrayBuffers, which
// are transferred, not copied. pump hands queued files (run, restore) to
// idle workers; remeasure sends a corrected mask or new options back.
import { $, state, itemFromStored } from './state.js';
import { renderRow } from './table.js';
import { selectItem } from './viewer.js';
import { showDetail } from './detail.js';
import { patientOf, scheduleReadings } from './patients.js';
import { showModelError } from './header.js';

const WORKER_BUDGET_MB = 640; // per worker: measured peaks 280–600 MB (e2e/README.md)

let ridCounter = 0;
class CoreWorker {
  constructor(index) {
    this.index = index;
    this.busy = false;       // running a queued job (run or restore)
    this.alive = true;
    this.modelReady = null;  // Promise, set by loadModel
    this.pending = new Map();
    this.w = new Worker('worker.js');
    this.ready = new Promise((resolve, reject) => { this.onReady = resolve; this.onFatal = reject; });
    this.w.onmessage = (e) => this.receive(e.data);
    this.w.onerror = (e) => this.fail('worker error: ' + (e.message || e));
    this.w.postMessage({ type: 'init', module: state.module, index });
  }
  receive(d) {
    if (d.memBytes > state.stats.peakWorkerBytes) state.stats.peakWorkerBytes = d.memBytes;
    if (d.type === 'ready') { this.onReady(); return; }
    if (d.type === 'fatal') { this.fail(d.error); return; }
    const p = this.pending.get(d.rid);
    if (!p) return;
    const body = d.json ? JSON.parse(d.json) : {};
    if (d.type === 'progress') { if (p.onProgress) p.onProgress(body.stage); return; }
    this.pending.delete(d.rid);
    if (d.type === 'error') p.reject(new Error(body.error)); else p.resolve({ body, data: d });
  }
  fail(msg) {
    if (!this.alive) return;
    this.alive = false;
    this.onFatal(new Error(msg));
    for (const p of this.pending.values()) p.reject(new Error(msg));
    this.pending.clear();
    this.w.terminate();
    updateWorkerStatus();
  }
  call(type, json, buffers, onProgress) {
    if (!this.alive) return Promise.reject(new Error('worker stopped'));
    const rid = ++ridCounter;
    const msg = { type, rid, json: JSON.stringify(json || {}) };
    const transfer = [];
    for (const [k, v] of Object.entries(buffers || {})) {
      if (v) { msg[k] = v; transfer.push(v); }
    }
    return new Promise((resolve, reject) => {
      this.pending.set(rid, { resolve, reject, onProgress });
      this.w.postMessage(msg, transfer);
    });
  }
}

export function computeMaxWorkers() {
  const cores = navigator.hardwareConcurrency || 2;
  const memGB = navigator.deviceMemory || 4; // Chrome reports at most 8
  const byMemory = Math.max(1, Math.floor((memGB * 1024 / 2) / WORKER_BUDGET_MB));
  return Math.max(1, Math.min(cores, byMemory, 8));
}

export function updateWorkerStatus() {
  const alive = state.workers.filter((w) => w.alive).length;
  const peak = state.stats.peakWorkerBytes ? `, peak ${Math.round(state.stats.peakWorkerBytes / 1048576)} MB per worker` : '';
  $('#workers-status').textContent = `workers: ${alive} of ${state.maxWorkers} (${state.coreVariant || 'core'})${peak}`;
  $('#workers-status').title = `${navigator.hardwareConcurrency || '?'} cores, ${navigator.deviceMemory || '?'} GB reported; one Go instance per worker`;
  document.body.dataset.workers = String(alive);
}

export async function startWorker() {
  const cw = new CoreWorker(state.workers.length);
  state.workers.push(cw);
  updateWorkerStatus();
  cw.modelReady = (async () => {
    await cw.ready;
    const req = state.modelReq || { name: '', url: '', sha256: '' };
    const r = await cw.call('model', req);
    return r.body;
  })();
  cw.modelReady.then(() => {
    // The first worker becomes available after the session is listed.
    if (cw.index > 0) { cw.loaded = true; pump(); }
  }, (err) => {
    showModelError(err);
    cw.fail(String(err.message || err));
  });
  return cw;
}

// readyWorker is any worker with the model loaded, for requests that are
// not about one item (exports, patients, readings, clear).
export const readyWorker = () => state.workers.find((x) => x.alive && x.loaded);

// pump hands queued jobs to idle workers and starts more workers while
// there are more jobs than idle workers.
export function pump() {
  const idle = state.workers.filter((w) => w.alive && !w.busy && w.loaded);
  while (state.queue.length && idle.length) {
    const w = idle.shift();
    const id = state.queue.shift();
    const it = state.items.get(id);
    if (!it) continue;
    runJob(w, it);
  }
  const starting = state.workers.filter((w) => w.alive && !w.loaded).length;
  const alive = state.workers.filter((w) => w.alive).length;
  if (state.queue.length > starting && alive < state.maxWorkers && state.workers[0] && state.workers[0].loaded) {
    startWorker();
  }
  updateBusy();
}

async function runJob(w, it) {
  w.busy = true;
  it.owner = w.index;
  const onProgress = (stage) => { it.status = stage; renderRow(it); };
  try {
    let r;
    if (it.status === 'restoring') {
      r = await w.call('restore', { id: it.id }, null);
    } else {
      it.status = 'decoding';
      renderRow(it);
      it.tStart = performance.now();
      const buf = await it.file.arrayBuffer();
      it.file = null; // the bytes now belong to the worker (transferred)
      const patient = patientOf(it);
      r = await w.call('run', { job: { id: it.id, name: it.name, path: it.path, order: it.order, options: it.options, patient } }, { bytes: buf }, onProgress);
    }
    applyOutput(it, r);
  } catch (err) {
    it.status = 'error';
    it.error = String(err.message || err);
    renderRow(it);
  } finally {
    w.busy = false;
    pump();
  }
}

function applyOutput(it, r) {
  const b = r.body;
  Object.assign(it, itemFromStored(b.item));
  if (b.item.status === 'done') {
    it.width = b.width; it.height = b.height;
    it.gray = r.data.gray; it.mask = r.data.mask; it.modelMask = r.data.modelMask;
    it.undo = []; it.redo = [];
    if (it.tStart !== undefined) {
      const wall = performance.now() - it.tStart;
      state.stats.results.push({ file: it.name, width: it.width, height: it.height, wallMs: wall, timingMs: b.timingMs });
      if (state.stats.firstResultMs === null) state.stats.firstResultMs = performance.now();
      delete it.tStart;
    }
  }
  renderRow(it);
  if (state.selected === it.id) selectItem(it.id, true);
  else if (!state.selected && it.status === 'done') selectItem(it.id);
  scheduleReadings();
  updateWorkerStatus();
}

// ownerOf is the worker holding the item's cached result, or another one
// when that worker has stopped.
export function ownerOf(it) {
  const w = state.workers[it.owner || 0];
  if (w && w.alive) return w;
  it.owner = state.workers.findIndex((x) => x.alive && x.loaded);
  return state.workers[it.owner];
}

export function busy() {
  return state.queue.length > 0 || state.workers.some((w) => w.busy);
}
function updateBusy() {
  $('#clear-session').disabled = busy();
  document.body.dataset.busy = String(busy());
  if (!busy()) for (const f of idleWaiters.splice(0)) f();
}

const idleWaiters = [];

// whenIdle calls f once no job is queued or running (now, if none is).
export function whenIdle(f) {
  if (busy()) idleWaiters.push(f); else f();
}

let savingCount = 0; // remeasure loops running

// remeasure sends the current mask to the item's worker; while a stroke
// goes on it keeps one request in flight (the latest mask wins) and saves
// only when asked (stroke end, undo, options change).
export function remeasure(it, save) {
  it.dirty = true;
  it.saveWanted = it.saveWanted || save;
  if (it.inflight) return;
  it.inflight = true;
  savingCount++;
  $('#results').dataset.saving = 'true'; // e2e tests wait for this to clear before reloading
  (async () => {
    while (it.dirty) {
      it.dirty = false;
      const saveNow = it.saveWanted;
      it.saveWanted = false;
      const mask = it.mask.slice(); // the page keeps painting on its copy
      try {
        const w = ownerOf(it);
        const r = await w.call('remeasure', { id: it.id, options: it.options, patient: patientOf(it), save: saveNow }, { mask: mask.buffer });
        it.record = r.body.item.record;
        it.corrected = !!r.body.item.corrected;
        it.options = r.body.item.options;
        renderRow(it);
        if (state.selected === it.id) showDetail(it);
        scheduleReadings();
      } catch (err) {
        $('#detail-numbers').textContent = 'Remeasuring failed: ' + err.message;
      }
    }
    it.inflight = false;
    if (--savingCount === 0) delete $('#results').dataset.saving;
  })();
}

// The page's state, shared by every module: the items (one per file) in
// table order, the patients, the workers and the job queue; plus the small
// DOM and number helpers they all use.

export const $ = (sel) => document.querySelector(sel);
export const $$ = (sel) => Array.from(document.querySelectorAll(sel));

export const state = {
  items: new Map(),  // id → item
  order: [],         // ids in table order
  patients: [],      // {id, age, sex, height, weight, group}
  selected: null,
  picked: new Set(), // ids of the rows ticked for a bulk change (shift/ctrl-click, select all)
  lastPicked: null,  // anchor of a shift-click range
  nextOrder: 1,
  queue: [],         // ids waiting for a worker (run or restore)
  workers: [],
  module: null, // the compiled Go core (web/js/core.js)
  coreVariant: '', // 'simd128' or 'scalar'
  modelReq: null,    // the model the workers load: {name, url, sha256, card, stored?} (js/models.js)
  modelInfo: null,   // the loaded model, as the worker describes it (wasm/app ModelInfo)
  served: null,      // models/index.json: the models the server offers
  storedModels: [],  // the models stored in this browser (wasm/app StoredModel), from the core's library
  maxWorkers: 1,
  // startup: ms since navigation when each start-up step ended (main.js).
  stats: { firstResultMs: null, results: [], peakWorkerBytes: 0, startup: {} },
};
window.myosegStats = state.stats; // read by the e2e benchmarks

let idCounter = 0;
export const newID = () => 'i' + Date.now().toString(36) + '-' + (idCounter++).toString(36);

export const fmt = (v, d) => (v === undefined || v === null ? '—' : Number(v).toFixed(d));

// itemFromStored is an item's fields as the worker stores them (session).
export function itemFromStored(s) {
  return {
    id: s.id, name: s.name, path: s.path || '', order: s.order, status: s.status,
    error: s.error || '', options: s.options, corrected: !!s.corrected, model: s.model,
    record: s.record || null,
  };
}

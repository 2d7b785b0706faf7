// myoseg page: file intake, the worker pool running the Go core (worker.js +
// dist/myoseg.wasm), the results table, the viewer with brush correction, and
// exports. Everything stays in this browser: the only requests go to this
// page's own server, for the app and the model.
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));

  const MUSCLES = [
    ['', '— unknown —'],
    ['biceps_brachii', 'Biceps brachii'],
    ['tibialis_anterior', 'Tibialis anterior'],
    ['gastrocnemius_medialis', 'Gastrocnemius medialis'],
    ['rectus_femoris', 'Rectus femoris'],
    ['vastus_lateralis', 'Vastus lateralis'],
  ];
  const MUSCLE_CODES = { BB: 'biceps_brachii', TA: 'tibialis_anterior', GM: 'gastrocnemius_medialis', RF: 'rectus_femoris', VL: 'vastus_lateralis' };
  const CALIB_LABEL = {
    'dicom-region': 'DICOM region', 'dicom-pixel-spacing': 'DICOM pixel spacing',
    'user-cm-per-px': 'entered cm/px', 'user-depth': 'entered depth', 'none': 'none (px)',
  };
  const MAX_FILE_BYTES = 256 * 1024 * 1024; // = app.MaxFileBytes in Go
  const WORKER_BUDGET_MB = 640;             // per worker: measured peaks 280–600 MB (e2e/README.md)
  const FOLDER_EXT = /\.(png|jpe?g|bmp|tiff?|dcm|dicom)$/i;
  const UNDO_LIMIT = 30;

  // ---------------------------------------------------------------- state
  const state = {
    items: new Map(),  // id → item
    order: [],         // ids in table order
    patients: [],      // {id, age, sex, height, weight, group}
    selected: null,
    nextOrder: 1,
    queue: [],         // ids waiting for a worker (run or restore)
    workers: [],
    module: null,
    modelReq: null,    // {name, url, sha256} from models/index.json
    maxWorkers: 1,
    stats: { firstResultMs: null, results: [], peakWorkerBytes: 0 },
  };
  window.myosegStats = state.stats; // read by the e2e benchmarks

  let idCounter = 0;
  const newID = () => 'i' + Date.now().toString(36) + '-' + (idCounter++).toString(36);

  // ---------------------------------------------------------------- workers
  // One CoreWorker = one Web Worker = one Go instance. Requests carry a
  // JSON string and ArrayBuffers, which are transferred, not copied.
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

  function computeMaxWorkers() {
    const cores = navigator.hardwareConcurrency || 2;
    const memGB = navigator.deviceMemory || 4; // Chrome reports at most 8
    const byMemory = Math.max(1, Math.floor((memGB * 1024 / 2) / WORKER_BUDGET_MB));
    return Math.max(1, Math.min(cores, byMemory, 8));
  }

  function updateWorkerStatus() {
    const alive = state.workers.filter((w) => w.alive).length;
    const peak = state.stats.peakWorkerBytes ? `, peak ${Math.round(state.stats.peakWorkerBytes / 1048576)} MB per worker` : '';
    $('#workers-status').textContent = `workers: ${alive} of ${state.maxWorkers}${peak}`;
    $('#workers-status').title = `${navigator.hardwareConcurrency || '?'} cores, ${navigator.deviceMemory || '?'} GB reported; one Go instance per worker`;
    document.body.dataset.workers = String(alive);
  }

  async function startWorker() {
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

  // pump hands queued jobs to idle workers and starts more workers while
  // there are more jobs than idle workers.
  function pump() {
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

  function itemFromStored(s) {
    return {
      id: s.id, name: s.name, path: s.path || '', order: s.order, status: s.status,
      error: s.error || '', options: s.options, corrected: !!s.corrected, model: s.model,
      record: s.record || null,
    };
  }

  function ownerOf(it) {
    const w = state.workers[it.owner || 0];
    if (w && w.alive) return w;
    it.owner = state.workers.findIndex((x) => x.alive && x.loaded);
    return state.workers[it.owner];
  }

  function busy() {
    return state.queue.length > 0 || state.workers.some((w) => w.busy);
  }
  function updateBusy() {
    $('#clear-session').disabled = busy();
    document.body.dataset.busy = String(busy());
  }

  // ---------------------------------------------------------------- startup
  async function start() {
    fillMuscleSelects();
    state.maxWorkers = computeMaxWorkers();
    registerServiceWorker();
    requestPersistence();
    try {
      const resp = await fetch('dist/myoseg.wasm');
      if (!resp.ok) throw new Error(`dist/myoseg.wasm: HTTP ${resp.status}`);
      state.module = await WebAssembly.compileStreaming(resp);
    } catch (err) {
      showModelError(new Error('cannot load the app core (myoseg.wasm): ' + err.message));
      return;
    }
    try {
      const r = await fetch('models/index.json');
      if (r.ok) state.modelReq = await r.json();
    } catch (_) { /* offline without a cache: use the stored model */ }
    const w0 = await startWorker();
    let modelBody;
    try {
      modelBody = await w0.modelReady;
    } catch (_) { return; }
    showModel(modelBody);
    // Restore the stored session before new files: its rows come first.
    try {
      const r = await w0.call('list', {});
      state.patients = r.body.patients || [];
      renderPatients();
      for (const s of r.body.items || []) {
        if (state.items.has(s.id)) continue;
        const it = itemFromStored(s);
        if (it.status === 'done') it.status = 'restoring';
        state.nextOrder = Math.max(state.nextOrder, it.order + 1);
        addItem(it, true);
        if (it.status === 'restoring') state.queue.unshift(it.id);
      }
      sortTable();
    } catch (err) {
      $('#storage-status').textContent = 'storage: cannot read the saved session: ' + err.message;
    }
    w0.loaded = true;
    pump();
  }

  function showModel(body) {
    const info = body.info;
    $('#model-name').textContent = info.name;
    $('#model-trained').textContent = info.trainedOn || 'not stated';
    $('#model-warning').textContent = info.warning || 'The model card states no warning. Check every mask.';
    const card = $('#model-card');
    card.textContent = '';
    if (state.modelReq && state.modelReq.card) {
      const a = document.createElement('a');
      a.href = state.modelReq.card; a.target = '_blank'; a.rel = 'noopener'; a.textContent = 'model card';
      card.append(a);
    }
    card.append(` (${(info.bytes / 1048576).toFixed(1)} MB, from ${info.source === 'network' ? 'the server' : 'browser storage'}, loaded in ${info.loadMs} ms)`);
    $('#storage-status').textContent = body.storage === 'indexeddb' ? 'storage: this browser (IndexedDB)' : 'storage: memory only — nothing is saved';
    document.body.dataset.model = info.name;
    document.body.dataset.modelSource = info.source;
  }

  function showModelError(err) {
    $('#model-name').textContent = 'not loaded';
    $('#model-warning').textContent = 'The model could not be loaded: ' + (err.message || err);
    document.body.dataset.modelError = String(err.message || err);
  }

  function registerServiceWorker() {
    if (!('serviceWorker' in navigator)) {
      $('#offline-status').textContent = 'offline: unavailable (needs localhost or HTTPS)';
      return;
    }
    const hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.register('sw.js').catch((err) => {
      $('#offline-status').textContent = 'offline: unavailable (' + err.message + ')';
    });
    const markReady = () => {
      if (!navigator.serviceWorker.controller) return;
      $('#offline-status').textContent = 'offline: ready';
      $('#offline-status').className = 'ok';
      document.body.dataset.offlineReady = 'true';
    };
    navigator.serviceWorker.ready.then(markReady);
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      markReady();
      if (hadController) $('#update-banner').hidden = false;
    });
  }

  async function requestPersistence() {
    if (navigator.storage && navigator.storage.persist) {
      try { await navigator.storage.persist(); } catch (_) { /* best effort */ }
    }
  }

  // ---------------------------------------------------------------- intake
  function guessMuscle(path) {
    for (const seg of path.split('/').reverse()) {
      const m = MUSCLE_CODES[seg.toUpperCase()];
      if (m) return m;
    }
    return '';
  }

  function defaultOptions(path) {
    return {
      muscle: guessMuscle(path) || $('#def-muscle').value,
      side: $('#def-side').value,
      patientId: $('#def-patient').value,
      cmPerPx: Number($('#def-cmpx').value) || 0,
      depthCm: Number($('#def-depth').value) || 0,
      frame: 0,
    };
  }

  // addFiles queues files; entries are {file, path}. fromFolder drops
  // non-image files quietly (a folder holds notes, .DS_Store, DICOMDIR);
  // files picked one by one are all tried, so a bad one gets its error row.
  function addFiles(entries, fromFolder) {
    let skipped = 0;
    for (const { file, path } of entries) {
      const base = file.name;
      if (fromFolder && (base.startsWith('.') || base.toUpperCase() === 'DICOMDIR' || (base.includes('.') && !FOLDER_EXT.test(base)))) {
        skipped++;
        continue;
      }
      const it = {
        id: newID(), name: base, path: path || base, order: state.nextOrder++,
        status: 'queued', error: '', options: defaultOptions(path || base), file,
      };
      if (file.size > MAX_FILE_BYTES) {
        it.status = 'error';
        it.error = `file is ${Math.round(file.size / 1048576)} MB, more than the ${MAX_FILE_BYTES / 1048576} MB this browser app reads`;
        it.file = null;
        addItem(it);
        continue;
      }
      addItem(it);
      state.queue.push(it.id);
    }
    $('#drop-note').textContent = skipped ? `${skipped} non-image file(s) in the folder skipped.` : '';
    pump();
  }

  async function entriesFromDrop(dt) {
    // webkitGetAsEntry must be called during the event, before any await.
    const roots = Array.from(dt.items || []).filter((i) => i.kind === 'file')
      .map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    if (!roots.length || roots.some((e) => !e)) {
      return { entries: Array.from(dt.files).map((f) => ({ file: f, path: f.name })), folder: false };
    }
    const out = [];
    let folder = false;
    const walk = async (entry, prefix) => {
      if (entry.isFile) {
        const file = await new Promise((res, rej) => entry.file(res, rej));
        out.push({ file, path: prefix + entry.name });
      } else if (entry.isDirectory) {
        folder = true;
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
          if (!batch.length) break;
          for (const e of batch) await walk(e, prefix + entry.name + '/');
        }
      }
    };
    for (const e of roots) await walk(e, '');
    return { entries: out, folder };
  }

  function setupIntake() {
    const drop = $('#drop');
    const over = (on) => drop.classList.toggle('over', on);
    // The whole window is a drop target, so a near miss never navigates
    // away to the dropped file.
    window.addEventListener('dragover', (e) => { e.preventDefault(); over(true); });
    window.addEventListener('dragleave', (e) => { if (!e.relatedTarget) over(false); });
    window.addEventListener('drop', async (e) => {
      e.preventDefault();
      over(false);
      if (!e.dataTransfer) return;
      const { entries, folder } = await entriesFromDrop(e.dataTransfer);
      addFiles(entries, folder);
    });
    $('#files').addEventListener('change', (e) => {
      addFiles(Array.from(e.target.files).map((f) => ({ file: f, path: f.name })), false);
      e.target.value = '';
    });
    $('#folder').addEventListener('change', (e) => {
      addFiles(Array.from(e.target.files).map((f) => ({ file: f, path: f.webkitRelativePath || f.name })), true);
      e.target.value = '';
    });
    drop.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('#files').click(); }
    });
  }

  // ---------------------------------------------------------------- table
  function addItem(it, restoring) {
    state.items.set(it.id, it);
    state.order.push(it.id);
    const tr = document.createElement('tr');
    tr.tabIndex = 0;
    tr.dataset.id = it.id;
    tr.addEventListener('click', () => selectItem(it.id));
    tr.addEventListener('keydown', (e) => rowKey(e, it.id));
    $('#results tbody').append(tr);
    it.row = tr;
    renderRow(it);
    $('#empty-note').hidden = true;
    if (!restoring) tr.scrollIntoView({ block: 'nearest' });
  }

  function sortTable() {
    state.order.sort((a, b) => state.items.get(a).order - state.items.get(b).order);
    const tbody = $('#results tbody');
    for (const id of state.order) tbody.append(state.items.get(id).row);
  }

  function rowKey(e, id) {
    const i = state.order.indexOf(id);
    let next = null;
    if (e.key === 'ArrowDown') next = state.order[i + 1];
    else if (e.key === 'ArrowUp') next = state.order[i - 1];
    else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); selectItem(id); return; }
    if (next) {
      e.preventDefault();
      selectItem(next);
      state.items.get(next).row.focus();
    }
  }

  const fmt = (v, d) => (v === undefined || v === null ? '—' : Number(v).toFixed(d));

  function cell(tr, text, cls, title) {
    const td = document.createElement('td');
    if (cls) td.className = cls;
    if (text instanceof Node) td.append(text); else td.textContent = text;
    if (title) td.title = title;
    tr.append(td);
    return td;
  }

  function muscleLabel(key) {
    const m = MUSCLES.find(([k]) => k === key);
    return m && key ? m[1] : '—';
  }

  function renderRow(it) {
    const tr = it.row;
    if (!tr) return;
    tr.textContent = '';
    tr.dataset.file = it.name;
    tr.dataset.status = it.status;
    tr.dataset.corrected = String(!!it.corrected);
    delete tr.dataset.csaCm2;
    delete tr.dataset.csaPx;
    delete tr.dataset.areaPx;
    tr.setAttribute('aria-selected', String(state.selected === it.id));
    const name = document.createElement('span');
    name.textContent = it.name;
    const fileCell = cell(tr, name, 'file', it.path);
    if (it.corrected) {
      const b = document.createElement('span');
      b.className = 'corrected';
      b.textContent = 'corrected';
      fileCell.append(b);
    }
    if (it.status === 'error') {
      cell(tr, 'error', 'status');
      const td = cell(tr, it.error, 'err');
      td.colSpan = 8;
      return;
    }
    cell(tr, it.status, 'status');
    cell(tr, muscleLabel(it.options.muscle));
    cell(tr, it.options.patientId || '—');
    const r = it.status === 'done' ? it.record : null;
    if (!r) {
      for (let i = 0; i < 6; i++) cell(tr, '');
      return;
    }
    tr.dataset.areaPx = String(r.csa_px);
    if (r.csa_px === 0) {
      if (r.csa_cm2 !== undefined && r.csa_cm2 !== null) tr.dataset.csaCm2 = '0'; else tr.dataset.csaPx = '0';
      cell(tr, 'no muscle found', 'num flag-abnormal', 'the mask is empty: correct it with the brush');
    } else if (r.csa_cm2 !== undefined && r.csa_cm2 !== null) {
      tr.dataset.csaCm2 = String(r.csa_cm2);
      cell(tr, `${r.csa_cm2.toFixed(2)} cm²`, 'num', `${r.csa_px} px`);
    } else {
      tr.dataset.csaPx = String(r.csa_px);
      cell(tr, `${r.csa_px} px`, 'num', 'no calibration: area in pixels');
    }
    cell(tr, r.csa_px === 0 ? '—' : `${fmt(r.ei_mean, 1)} ± ${fmt(r.ei_sd, 1)}`, 'num');
    cell(tr, fmt(r.ei_expected, 1), 'num', r.ei_pred_sd ? `prediction SD ${r.ei_pred_sd.toFixed(1)}` : '');
    cell(tr, fmt(r.z, 2), 'num', r.z_note || '');
    const flag = r.abnormal === undefined || r.abnormal === null ? '' : (r.abnormal ? 'abnormal (z > 2)' : 'normal');
    cell(tr, flag, r.abnormal ? 'flag-abnormal' : '');
    cell(tr, CALIB_LABEL[r.calibration_source] || r.calibration_source);
  }

  // ---------------------------------------------------------------- patients
  function patientOf(it) {
    const p = state.patients.find((x) => x.id === it.options.patientId);
    return p || null;
  }

  function renderPatients() {
    for (const sel of $$('.patient-select')) {
      const keep = sel.value;
      sel.textContent = '';
      sel.append(new Option('— none —', ''));
      for (const p of state.patients) sel.append(new Option(`${p.id} (${p.sex}, ${p.age} y)`, p.id));
      sel.value = state.patients.some((p) => p.id === keep) ? keep : '';
    }
    const ul = $('#patient-list');
    ul.textContent = '';
    for (const p of state.patients) {
      const li = document.createElement('li');
      const span = document.createElement('span');
      span.textContent = `${p.id}: ${p.sex}, ${p.age} y, ${p.height} cm, ${p.weight} kg${p.group ? ', ' + p.group : ''}`;
      const edit = document.createElement('button');
      edit.type = 'button';
      edit.textContent = 'Edit';
      edit.setAttribute('aria-label', 'Edit patient ' + p.id);
      edit.addEventListener('click', () => {
        $('#p-id').value = p.id; $('#p-age').value = p.age; $('#p-sex').value = p.sex;
        $('#p-height').value = p.height; $('#p-weight').value = p.weight; $('#p-group').value = p.group || '';
        $('#p-id').focus();
      });
      li.append(span, edit);
      ul.append(li);
    }
    if (state.selected) showDetail(state.items.get(state.selected));
  }

  function setupPatients() {
    $('#patient-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const p = {
        id: $('#p-id').value.trim(), age: Number($('#p-age').value), sex: $('#p-sex').value,
        height: Number($('#p-height').value), weight: Number($('#p-weight').value), group: $('#p-group').value,
      };
      const i = state.patients.findIndex((x) => x.id === p.id);
      if (i >= 0) state.patients[i] = p; else state.patients.push(p);
      savePatients();
      renderPatients();
      if (!$('#def-patient').value) $('#def-patient').value = p.id;
      // Patient data changed: the z-scores of this patient's images too.
      for (const it of state.items.values()) {
        if (it.options.patientId === p.id && it.status === 'done') remeasure(it, true);
      }
      e.target.reset();
    });
  }

  function savePatients() {
    const w = state.workers.find((x) => x.alive && x.loaded);
    if (w) w.call('patients', { patients: state.patients }).catch((err) => alert('Saving patients failed: ' + err.message));
  }

  // ---------------------------------------------------------------- readings
  let readingsTimer = 0;
  function scheduleReadings() {
    clearTimeout(readingsTimer);
    readingsTimer = setTimeout(updateReadings, 150);
  }

  async function updateReadings() {
    const byPatient = new Map();
    for (const id of state.order) {
      const it = state.items.get(id);
      const r = it.record;
      if (it.status !== 'done' || !r || r.z === undefined || r.z === null || !it.options.patientId) continue;
      const p = patientOf(it);
      if (!p) continue;
      if (!byPatient.has(p.id)) byPatient.set(p.id, { patientId: p.id, age: p.age, scores: [] });
      byPatient.get(p.id).scores.push({ muscle: it.options.muscle, z: r.z });
    }
    const box = $('#readings');
    const w = state.workers.find((x) => x.alive && x.loaded);
    if (!byPatient.size || !w) { box.textContent = ''; return; }
    try {
      const r = await w.call('readings', { scores: Array.from(byPatient.values()) });
      box.textContent = '';
      for (const rd of r.body.readings || []) {
        const p = document.createElement('p');
        p.dataset.patient = rd.patientId;
        p.dataset.verdict = rd.verdict;
        const strong = document.createElement('strong');
        strong.textContent = `Patient ${rd.patientId}: ${rd.verdict}`;
        p.append(strong, ` — ${rd.muscles} muscles; ${rd.rule}. Same scanner caveat as the z-scores.`);
        box.append(p);
      }
    } catch (err) {
      box.textContent = 'Patient reading failed: ' + err.message;
    }
  }

  // ---------------------------------------------------------------- viewer
  const canvas = () => $('#view');
  const view = { scale: 1, tx: 0, ty: 0, fitted: true, tool: 'pan', size: 12, show: true, opacity: 0.35 };
  let imgCanvas = null;     // the grey image
  let fillCanvas = null;    // mask pixels, opaque (drawn with globalAlpha)
  let edgeCanvas = null;    // contour pixels
  let current = null;       // the item shown

  function selectItem(id, keepView) {
    const prev = state.selected;
    state.selected = id;
    if (prev && state.items.get(prev)) state.items.get(prev).row.setAttribute('aria-selected', 'false');
    const it = state.items.get(id);
    if (!it) return;
    it.row.setAttribute('aria-selected', 'true');
    showDetail(it);
    if (it.status !== 'done' || !it.gray) {
      current = null; imgCanvas = null;
      $('#canvas-empty').hidden = false;
      $('#canvas-empty').textContent = it.status === 'error' ? 'This file could not be read.' : 'Working on this image…';
      draw();
      return;
    }
    if (current !== it || !keepView) view.fitted = true;
    current = it;
    $('#canvas-empty').hidden = true;
    imgCanvas = document.createElement('canvas');
    imgCanvas.width = it.width; imgCanvas.height = it.height;
    const ictx = imgCanvas.getContext('2d');
    const data = ictx.createImageData(it.width, it.height);
    const px = data.data;
    for (let i = 0, j = 0; i < it.gray.length; i++, j += 4) {
      const v = it.gray[i];
      px[j] = v; px[j + 1] = v; px[j + 2] = v; px[j + 3] = 255;
    }
    ictx.putImageData(data, 0, 0);
    fillCanvas = document.createElement('canvas');
    edgeCanvas = document.createElement('canvas');
    for (const c of [fillCanvas, edgeCanvas]) { c.width = it.width; c.height = it.height; }
    updateOverlay(0, 0, it.width, it.height);
    draw();
  }

  // updateOverlay redraws fill and contour inside [x0,x1)×[y0,y1) (plus a
  // pixel of margin: a contour pixel depends on its neighbours).
  function updateOverlay(x0, y0, x1, y1) {
    const it = current;
    if (!it) return;
    const W = it.width, H = it.height, m = it.mask;
    x0 = Math.max(0, Math.floor(x0) - 1); y0 = Math.max(0, Math.floor(y0) - 1);
    x1 = Math.min(W, Math.ceil(x1) + 1); y1 = Math.min(H, Math.ceil(y1) + 1);
    const w = x1 - x0, h = y1 - y0;
    if (w <= 0 || h <= 0) return;
    const fctx = fillCanvas.getContext('2d'), ectx = edgeCanvas.getContext('2d');
    const fill = fctx.createImageData(w, h), edge = ectx.createImageData(w, h);
    const fp = fill.data, ep = edge.data;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * W + x;
        if (!m[i]) continue;
        const j = ((y - y0) * w + (x - x0)) * 4;
        fp[j] = 255; fp[j + 1] = 200; fp[j + 2] = 0; fp[j + 3] = 255;
        const border = x === 0 || y === 0 || x === W - 1 || y === H - 1 ||
          !m[i - 1] || !m[i + 1] || !m[i - W] || !m[i + W];
        if (border) { ep[j] = 255; ep[j + 1] = 60; ep[j + 2] = 40; ep[j + 3] = 255; }
      }
    }
    fctx.putImageData(fill, x0, y0);
    ectx.putImageData(edge, x0, y0);
  }

  function fit() {
    const c = canvas();
    if (!current) return;
    const s = Math.min(c.width / current.width, c.height / current.height);
    view.scale = s;
    view.tx = (c.width - current.width * s) / 2;
    view.ty = (c.height - current.height * s) / 2;
    view.fitted = true;
  }

  function draw() {
    const c = canvas();
    const ctx = c.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, c.width, c.height);
    if (!current || !imgCanvas) return;
    if (view.fitted) fit();
    ctx.imageSmoothingEnabled = view.scale < 1;
    ctx.setTransform(view.scale, 0, 0, view.scale, view.tx, view.ty);
    ctx.drawImage(imgCanvas, 0, 0);
    const r = current.record;
    if (view.show && r && r.field_w) {
      // The ultrasound field the model saw: a thin frame, as in the overlay PNG.
      ctx.strokeStyle = 'rgba(70, 140, 255, 0.8)';
      ctx.lineWidth = 1.5 / view.scale;
      ctx.strokeRect(r.field_x, r.field_y, r.field_w, r.field_h);
    }
    if (view.show) {
      ctx.imageSmoothingEnabled = false;
      ctx.globalAlpha = view.opacity;
      ctx.drawImage(fillCanvas, 0, 0);
      ctx.globalAlpha = 1;
      ctx.drawImage(edgeCanvas, 0, 0);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    // Where the image is on the canvas (canvas pixels), for tests driving the brush.
    c.dataset.view = JSON.stringify({ scale: view.scale, tx: view.tx, ty: view.ty, ratio: c.width / c.clientWidth });
  }

  function resizeCanvas() {
    const c = canvas();
    const r = c.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.max(1, Math.round(r.width * dpr));
    c.height = Math.max(1, Math.round(r.height * dpr));
    draw();
  }

  function zoomAt(factor, cx, cy) {
    if (!current) return;
    const fitScale = Math.min(canvas().width / current.width, canvas().height / current.height);
    const s = Math.min(Math.max(view.scale * factor, fitScale * 0.5), 40);
    view.tx = cx - (cx - view.tx) * (s / view.scale);
    view.ty = cy - (cy - view.ty) * (s / view.scale);
    view.scale = s;
    view.fitted = false;
    draw();
  }

  function toImage(e) {
    const c = canvas();
    const r = c.getBoundingClientRect();
    const dpr = c.width / r.width;
    const cx = (e.clientX - r.left) * dpr, cy = (e.clientY - r.top) * dpr;
    return { cx, cy, x: (cx - view.tx) / view.scale, y: (cy - view.ty) / view.scale };
  }

  // paint sets (brush) or clears (eraser) a disc of the brush's diameter
  // along the segment from a to b, in image pixels.
  function paint(a, b, value) {
    const it = current;
    const r = view.size / 2;
    const dist = Math.hypot(b.x - a.x, b.y - a.y);
    const steps = Math.max(1, Math.ceil(dist / Math.max(0.5, r / 2)));
    for (let s = 0; s <= steps; s++) {
      const px = a.x + (b.x - a.x) * (s / steps), py = a.y + (b.y - a.y) * (s / steps);
      const xa = Math.max(0, Math.floor(px - r)), xb = Math.min(it.width - 1, Math.ceil(px + r));
      const ya = Math.max(0, Math.floor(py - r)), yb = Math.min(it.height - 1, Math.ceil(py + r));
      for (let y = ya; y <= yb; y++) {
        for (let x = xa; x <= xb; x++) {
          const dx = x + 0.5 - px, dy = y + 0.5 - py;
          if (dx * dx + dy * dy <= r * r) it.mask[y * it.width + x] = value;
        }
      }
    }
    updateOverlay(Math.min(a.x, b.x) - r, Math.min(a.y, b.y) - r, Math.max(a.x, b.x) + r + 1, Math.max(a.y, b.y) + r + 1);
  }

  function pushUndo(it) {
    it.undo.push(it.mask.slice());
    if (it.undo.length > UNDO_LIMIT) it.undo.shift();
    it.redo = [];
  }

  function setMask(it, mask) {
    it.mask = mask;
    if (current === it) { updateOverlay(0, 0, it.width, it.height); draw(); }
    remeasure(it, true);
  }

  function undo() {
    const it = current;
    if (!it || !it.undo.length) return;
    it.redo.push(it.mask);
    setMask(it, it.undo.pop());
  }
  function redo() {
    const it = current;
    if (!it || !it.redo.length) return;
    it.undo.push(it.mask);
    setMask(it, it.redo.pop());
  }
  function resetMask() {
    const it = current;
    if (!it) return;
    pushUndo(it);
    setMask(it, it.modelMask.slice());
  }

  let savingCount = 0; // remeasure loops running

  // remeasure sends the current mask to the item's worker; while a stroke
  // goes on it keeps one request in flight (the latest mask wins) and saves
  // only when asked (stroke end, undo, options change).
  function remeasure(it, save) {
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

  function setupViewer() {
    const c = canvas();
    new ResizeObserver(resizeCanvas).observe($('#canvas-wrap'));
    let drag = null;
    let spaceDown = false;
    c.addEventListener('pointerdown', (e) => {
      if (!current) return;
      c.focus();
      c.setPointerCapture(e.pointerId);
      const p = toImage(e);
      const panning = view.tool === 'pan' || e.button === 1 || spaceDown;
      if (panning) {
        drag = { mode: 'pan', cx: p.cx, cy: p.cy, tx: view.tx, ty: view.ty };
      } else if (e.button === 0) {
        pushUndo(current);
        drag = { mode: 'paint', last: p, value: view.tool === 'brush' ? 255 : 0 };
        paint(p, p, drag.value);
        draw();
        remeasure(current, false);
      }
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const p = toImage(e);
      if (drag.mode === 'pan') {
        view.tx = drag.tx + (p.cx - drag.cx);
        view.ty = drag.ty + (p.cy - drag.cy);
        view.fitted = false;
        draw();
      } else {
        paint(drag.last, p, drag.value);
        drag.last = p;
        draw();
        remeasure(current, false);
      }
    });
    const end = () => {
      if (drag && drag.mode === 'paint' && current) remeasure(current, true);
      drag = null;
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const p = toImage(e);
      zoomAt(Math.pow(1.0015, -e.deltaY), p.cx, p.cy);
    }, { passive: false });
    c.addEventListener('keydown', (e) => {
      const step = 40 * (window.devicePixelRatio || 1);
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[e.key]) {
        e.preventDefault();
        view.tx += moves[e.key][0]; view.ty += moves[e.key][1]; view.fitted = false;
        draw();
      }
    });
    window.addEventListener('keydown', (e) => { if (e.key === ' ' && e.target === c) { spaceDown = true; e.preventDefault(); } });
    window.addEventListener('keyup', (e) => { if (e.key === ' ') spaceDown = false; });

    const center = () => [canvas().width / 2, canvas().height / 2];
    $('#zoom-in').addEventListener('click', () => zoomAt(1.25, ...center()));
    $('#zoom-out').addEventListener('click', () => zoomAt(0.8, ...center()));
    $('#zoom-fit').addEventListener('click', () => { view.fitted = true; draw(); });
    $('#show-mask').addEventListener('change', (e) => { view.show = e.target.checked; draw(); });
    $('#opacity').addEventListener('input', (e) => { view.opacity = Number(e.target.value) / 100; draw(); });
    $('#brush-size').addEventListener('input', (e) => setBrushSize(Number(e.target.value)));
    for (const r of $$('input[name=tool]')) r.addEventListener('change', () => setTool(r.value));
    $('#undo').addEventListener('click', undo);
    $('#redo').addEventListener('click', redo);
    $('#reset-mask').addEventListener('click', resetMask);
    setTool('pan');

    // Shortcuts, except while typing in a field.
    window.addEventListener('keydown', (e) => {
      const t = e.target;
      if (t && (t.tagName === 'INPUT' && t.type !== 'range' && t.type !== 'checkbox' && t.type !== 'radio' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      const k = e.key.toLowerCase();
      if ((e.ctrlKey || e.metaKey) && k === 'z') { e.preventDefault(); if (e.shiftKey) redo(); else undo(); return; }
      if ((e.ctrlKey || e.metaKey) && k === 'y') { e.preventDefault(); redo(); return; }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (k === 'b') setTool('brush');
      else if (k === 'e') setTool('eraser');
      else if (k === 'p') setTool('pan');
      else if (k === 'm') { $('#show-mask').checked = !$('#show-mask').checked; view.show = $('#show-mask').checked; draw(); }
      else if (k === '+' || k === '=') zoomAt(1.25, ...center());
      else if (k === '-') zoomAt(0.8, ...center());
      else if (k === '0') { view.fitted = true; draw(); }
      else if (k === '[') setBrushSize(view.size - 2);
      else if (k === ']') setBrushSize(view.size + 2);
    });
  }

  function setTool(tool) {
    view.tool = tool;
    for (const r of $$('input[name=tool]')) r.checked = r.value === tool;
    canvas().className = 'tool-' + tool;
  }
  function setBrushSize(n) {
    view.size = Math.min(80, Math.max(1, n));
    $('#brush-size').value = String(view.size);
    $('#brush-size-out').textContent = `${view.size} px`;
  }

  // ---------------------------------------------------------------- detail
  function showDetail(it) {
    $('#detail-name').textContent = it ? it.name : 'No image selected';
    const form = $('#detail-form'), nums = $('#detail-numbers'), exp = $('#detail-export');
    nums.textContent = '';
    if (!it) { form.hidden = true; exp.hidden = true; return; }
    form.hidden = false;
    exp.hidden = it.status !== 'done';
    $('#remove-item').disabled = !(it.status === 'done' || it.status === 'error');
    $('#d-muscle').value = it.options.muscle || '';
    $('#d-side').value = it.options.side || '';
    $('#d-patient').value = it.options.patientId || '';
    $('#d-cmpx').value = it.options.cmPerPx || '';
    $('#d-depth').value = it.options.depthCm || '';
    const add = (k, v) => {
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v;
      nums.append(dt, dd);
    };
    if (it.status === 'error') { add('Error', it.error); return; }
    const r = it.record;
    if (it.status !== 'done' || !r) { add('Status', it.status); return; }
    if (r.csa_cm2 !== undefined && r.csa_cm2 !== null) add('CSA', `${r.csa_cm2.toFixed(2)} cm² (${r.csa_px} px)`);
    else add('CSA', `${r.csa_px} px (no calibration)`);
    add('Perimeter', r.perimeter_cm ? `${r.perimeter_cm.toFixed(2)} cm` : `${fmt(r.perimeter_px, 1)} px`);
    add('EI mean ± SD', `${fmt(r.ei_mean, 1)} ± ${fmt(r.ei_sd, 1)}`);
    add('Expected EI', r.ei_expected !== undefined ? `${fmt(r.ei_expected, 1)} (SD ${fmt(r.ei_pred_sd, 1)})` : '—');
    add('z *', r.z !== undefined ? `${fmt(r.z, 2)}${r.abnormal ? ' — abnormal' : ''}` : '—');
    add('Note', r.z_note || '');
    const cal = CALIB_LABEL[r.calibration_source] || r.calibration_source;
    add('Calibration', r.cm_per_px_x ? `${cal}: ${r.cm_per_px_x.toPrecision(4)} × ${r.cm_per_px_y.toPrecision(4)} cm/px` : cal);
    add('Image', `${r.width}×${r.height}, field ${r.field_w}×${r.field_h} at (${r.field_x}, ${r.field_y})`);
    add('Mask', it.corrected ? 'corrected by hand' : 'as the model made it');
    add('Model', r.model);
  }

  function setupDetail() {
    $('#d-apply').addEventListener('click', applyDetail);
    for (const id of ['#d-muscle', '#d-side', '#d-patient']) $(id).addEventListener('change', applyDetail);
    $('#export-mask').addEventListener('click', () => exportPNG('mask'));
    $('#export-overlay').addEventListener('click', () => exportPNG('overlay'));
    $('#remove-item').addEventListener('click', removeSelected);
  }

  function applyDetail() {
    const it = state.items.get(state.selected);
    if (!it) return;
    it.options = {
      ...it.options,
      muscle: $('#d-muscle').value, side: $('#d-side').value, patientId: $('#d-patient').value,
      cmPerPx: Number($('#d-cmpx').value) || 0, depthCm: Number($('#d-depth').value) || 0,
    };
    renderRow(it);
    if (it.status === 'done') remeasure(it, true);
  }

  async function removeSelected() {
    const it = state.items.get(state.selected);
    if (!it) return;
    try {
      await ownerOf(it).call('remove', { id: it.id });
    } catch (err) { alert('Remove failed: ' + err.message); return; }
    it.row.remove();
    state.items.delete(it.id);
    state.order = state.order.filter((x) => x !== it.id);
    state.selected = null;
    current = null; imgCanvas = null;
    $('#canvas-empty').hidden = false;
    $('#canvas-empty').textContent = 'Select a row to view its image.';
    showDetail(null);
    draw();
    scheduleReadings();
    $('#empty-note').hidden = state.order.length > 0;
  }

  // ---------------------------------------------------------------- export
  function download(bytes, name, type) {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const a = document.createElement('a');
    a.href = url; a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  }
  const stem = (name) => name.replace(/\.[^.]*$/, '');

  async function exportPNG(kind) {
    const it = state.items.get(state.selected);
    if (!it || it.status !== 'done') return;
    try {
      const r = await ownerOf(it).call('render', { id: it.id, kind }, { mask: it.mask.slice().buffer });
      download(r.data.file, `${stem(it.name)}_${kind}.png`, 'image/png');
    } catch (err) { alert(`Export of the ${kind} PNG failed: ${err.message}`); }
  }

  async function exportCSV() {
    const records = state.order.map((id) => state.items.get(id)).filter((it) => it.status === 'done' && it.record).map((it) => it.record);
    const w = state.workers.find((x) => x.alive && x.loaded);
    if (!w) return;
    try {
      const r = await w.call('csv', { records });
      download(r.data.file, 'myoseg-results.csv', 'text/csv');
    } catch (err) { alert('CSV export failed: ' + err.message); }
  }

  async function exportZIP() {
    const w = state.workers.find((x) => x.alive && x.loaded);
    if (!w) return;
    try {
      const r = await w.call('zip', { group: $('#zip-group').value });
      download(r.data.file, 'myoseg-training-data.zip', 'application/zip');
      const s = r.body;
      $('#drop-note').textContent = `ZIP: ${s.images} image(s)` + (s.skipped && s.skipped.length ? `; skipped: ${s.skipped.join('; ')}` : '');
    } catch (err) { alert('ZIP export failed: ' + err.message); }
  }

  async function clearSession() {
    if (busy()) return;
    if (!confirm('Remove every image, result and patient from this browser? The model stays.')) return;
    const w = state.workers.find((x) => x.alive && x.loaded);
    if (!w) return;
    try { await w.call('clear', {}); } catch (err) { alert('Clear failed: ' + err.message); return; }
    state.items.clear(); state.order = []; state.patients = []; state.selected = null;
    $('#results tbody').textContent = '';
    current = null; imgCanvas = null;
    showDetail(null); renderPatients(); draw();
    $('#readings').textContent = '';
    $('#empty-note').hidden = false;
  }

  function fillMuscleSelects() {
    for (const sel of $$('.muscle-select')) {
      for (const [k, label] of MUSCLES) sel.append(new Option(label, k));
    }
    renderPatients();
  }

  function setup() {
    setupIntake();
    setupPatients();
    setupViewer();
    setupDetail();
    $('#export-csv').addEventListener('click', exportCSV);
    $('#export-zip').addEventListener('click', exportZIP);
    $('#clear-session').addEventListener('click', clearSession);
    $('#reload-btn').addEventListener('click', () => location.reload());
    start();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup); else setup();
})();

// The models panel ("Models…" in the header): the models the server offers
// (models/index.json) and the ones stored in this browser (adapted here, or
// added from an .onnx file), which one segments new images, switching,
// export (.onnx + card), delete, and adding an .onnx, which the core
// validates in a worker (onnxmodel.Parse, the server's validator: a refused
// graph names the node and why, shown as it is).
//
// Stored models live in the core's model library (wasm/app/library.go, in
// IndexedDB): the bytes and the list (name, parent, images, date, card) in
// one place, written through one worker. This page keeps only which model
// is in use (localStorage). Results keep the model that made them: the
// worker remeasures a result with its own model, and its record names it.
import { $, state } from './state.js';
import { download } from './export.js';
import { showModel } from './header.js';

// IN_USE is the localStorage key of the model in use: {name, sha256, stored}.
const IN_USE = 'myoseg.modelInUse';
// ADOPTED is the old single adopted model ({name, sha256, parent, date}),
// moved into the library at start-up (wasm/app ImportAdopted).
const ADOPTED = 'myoseg.adoptedModel';

const readJSON = (key) => {
  try { return JSON.parse(localStorage.getItem(key) || 'null'); } catch (_) { return null; }
};

// served is the index's models, the default first.
export function served() {
  const idx = state.served;
  if (!idx) return [];
  if (idx.models && idx.models.length) return idx.models;
  return [{ name: idx.name, url: idx.url, sha256: idx.sha256, size: idx.size, card: idx.card }];
}

// modelRequest is what the page loads at start: the model in use when it
// is stored in this browser (with the server's default as fallback, should
// its entry be broken) or served, else the server's default. index is
// models/index.json, null when the page could not read it (offline without
// a cache): then a stored model in use, else whatever the core has cached.
export function modelRequest(index) {
  state.served = index;
  const def = served()[0] || null;
  const fallback = def ? { name: def.name, url: def.url, sha256: def.sha256 } : null;
  const use = readJSON(IN_USE);
  const old = readJSON(ADOPTED);
  if (!use && old && old.name && old.sha256) {
    return { name: old.name, url: '', sha256: old.sha256, stored: true, adopted: true, fallback };
  }
  if (use && use.stored && use.sha256) return { name: use.name, url: '', sha256: use.sha256, stored: true, fallback };
  if (use && !use.stored) {
    const s = served().find((m) => m.name === use.name);
    if (s) return { ...s };
  }
  return def;
}

// lib is the worker the library's changes go through: the first one alive
// (it answers before its model has loaded; Go queues the message).
const lib = () => state.workers.find((w) => w.alive);

// modelStarted follows the first worker's model load: a stored model that
// could not be loaded (the server's took its place) is said, an old
// adopted model is now in the library, and the list is read.
export async function modelStarted(body) {
  state.modelInfo = body.info;
  const req = state.modelReq;
  if (body.fellBack) {
    const name = req ? req.name : 'the stored model';
    state.modelReq = req && req.fallback ? { ...served()[0] } : null;
    localStorage.removeItem(IN_USE);
    localStorage.removeItem(ADOPTED);
    const msg = `The stored model ${name} could not be loaded: ${body.fellBack}. The server's model is in use (Models… lists the stored ones).`;
    $('#model-note').textContent = msg; $('#model-note').hidden = false;
    note(msg, true);
  } else if (req && req.stored) {
    // Later workers load it from their own storage (no 'adopted': moved).
    state.modelReq = { name: req.name, url: '', sha256: req.sha256, stored: true };
    localStorage.setItem(IN_USE, JSON.stringify({ name: body.info.name, sha256: body.info.sha256, stored: true }));
    localStorage.removeItem(ADOPTED);
  }
  await refresh();
  const e = state.storedModels.find((m) => m.sha256 === body.info.sha256);
  if (e && state.modelReq && state.modelReq.stored) {
    state.modelReq = { ...state.modelReq, card: URL.createObjectURL(new Blob([e.card], { type: 'text/plain' })) };
  }
}

// refresh reads the library's list and redraws the panel.
async function refresh() {
  const w = lib();
  if (!w) return;
  try {
    const r = await w.call('models', {});
    state.storedModels = r.body.models || [];
  } catch (err) {
    note('Cannot read the models stored in this browser: ' + err.message, true);
  }
  render();
}

function note(text, bad) {
  const p = $('#models-note');
  p.textContent = text;
  p.classList.toggle('bad', !!bad);
}

const inUseSHA = () => (state.modelInfo ? state.modelInfo.sha256 : (state.modelReq && state.modelReq.sha256) || '');
const inUseName = () => (state.modelInfo ? state.modelInfo.name : 'the current model');
let busy = false;
// broken: the stored models whose file failed its SHA-256 check when read
// (the list checks only that the file is there, with its size), by SHA-256.
const broken = new Map();

// resultsOf counts this session's results made by the model sha.
function resultsOf(sha) {
  let n = 0;
  for (const it of state.items.values()) if (it.status === 'done' && it.record && it.record.model_sha256 === sha) n++;
  return n;
}

const short = (sha) => (sha ? sha.slice(0, 10) : '');
const mb = (n) => (n ? `${(n / 1048576).toFixed(1)} MB` : '');

function button(text, onClick, cls) {
  const b = document.createElement('button');
  b.type = 'button'; b.textContent = text;
  if (cls) b.className = cls;
  b.disabled = busy;
  b.addEventListener('click', onClick);
  return b;
}

function cell(tr, content, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  for (const c of [].concat(content)) if (c !== null && c !== undefined) td.append(c);
  tr.append(td);
  return td;
}

function line(text, cls) {
  const s = document.createElement('div');
  s.className = cls || 'small muted';
  s.textContent = text;
  return s;
}

// render draws the panel's table: the server's models, then the stored ones.
export function render() {
  const tbody = $('#models-table tbody');
  if (!tbody) return;
  tbody.textContent = '';
  const use = inUseSHA();
  const group = (text) => {
    const tr = document.createElement('tr');
    tr.className = 'group';
    const th = document.createElement('th');
    th.colSpan = 6; th.scope = 'rowgroup'; th.textContent = text;
    tr.append(th);
    tbody.append(tr);
  };
  const row = (m, kind) => {
    const tr = document.createElement('tr');
    tr.dataset.model = m.name; tr.dataset.sha256 = m.sha256; tr.dataset.kind = kind;
    const on = m.sha256 === use;
    tr.dataset.inUse = String(on);
    const name = document.createElement('strong');
    name.textContent = m.name;
    const badge = on ? Object.assign(document.createElement('span'), { className: 'in-use', textContent: 'in use' }) : null;
    const info = on && state.modelInfo ? state.modelInfo : m;
    const facts = [info.inputH ? `input ${info.inputH}×${info.inputW}` : '', mb(m.bytes || m.size), `SHA-256 ${short(m.sha256)}…`].filter(Boolean).join(' · ');
    cell(tr, [name, badge, line(facts, 'small muted facts')], 'name');
    tbody.append(tr);
    return { tr, on };
  };

  group('From the server');
  served().forEach((m, i) => {
    const { tr, on } = row(m, 'server');
    cell(tr, [i === 0 ? 'the server (default)' : 'the server'], 'from');
    cell(tr, '—');
    cell(tr, '—');
    cell(tr, String(resultsOf(m.sha256)), 'num');
    const acts = [];
    if (!on) acts.push(button('Use', () => useServed(m), 'use'));
    if (m.card) acts.push(Object.assign(document.createElement('a'), { href: m.card, target: '_blank', rel: 'noopener', textContent: 'card' }));
    acts.push(button('Export .onnx + card', () => exportServed(m), 'export'));
    cell(tr, acts, 'actions');
  });
  if (!served().length) {
    const tr = document.createElement('tr');
    cell(tr, 'The server\'s list of models could not be read (offline?).').colSpan = 6;
    tbody.append(tr);
  }

  group('Stored in this browser');
  if (!state.storedModels.length) {
    const tr = document.createElement('tr');
    cell(tr, 'None yet: adapt a model to your corrected images (Export panel), or add an .onnx file below.', 'muted').colSpan = 6;
    tbody.append(tr);
  }
  for (const m of state.storedModels) {
    const { tr, on } = row(m, 'stored');
    const from = m.origin === 'adapted' ? `adapted here from ${m.parent || '?'}`
      : m.origin === 'migrated' ? `adopted here earlier${m.parent ? ` (from ${m.parent})` : ''}`
        : `file ${m.file || '?'}${m.parent ? `, adapted from ${m.parent}` : ''}`;
    cell(tr, [from, m.heldOut ? line(`held-out Dice ${m.heldOut}`) : null], 'from');
    const added = (m.added || '').slice(0, 10);
    cell(tr, [m.date || '—', added && added !== m.date ? line(`stored ${added}`) : null], 'date');
    const imgs = m.images && m.images.length ? m.images : [];
    const adapted = m.imageCount ? `${m.imageCount} image(s)` : '—';
    const td = cell(tr, [adapted, imgs.length ? line(imgs.slice(0, 3).join(', ') + (imgs.length > 3 ? `, … (${imgs.length})` : '')) : null], 'images');
    if (imgs.length) td.title = imgs.join('\n');
    cell(tr, String(resultsOf(m.sha256)), 'num');
    const acts = [];
    const problem = m.problem || broken.get(m.sha256);
    if (problem) {
      tr.dataset.problem = problem;
      acts.push(line(`Cannot be used: ${problem}.`, 'small bad problem'));
    } else if (!on) acts.push(button('Use', () => useStored(m), 'use'));
    acts.push(button('Card', () => openCard(m), 'card'));
    if (!problem) acts.push(button('Export .onnx + card', () => exportStored(m), 'export'));
    if (!on) acts.push(button('Delete', () => deleteStored(m), 'delete danger'));
    cell(tr, acts, 'actions');
  }
  const btn = $('#models-btn');
  if (btn) btn.textContent = `Models (${served().length + state.storedModels.length})…`;
}

// switchModel loads req in every live worker (each swaps its segmenter and
// keeps the old one for the results it made); bytes, for a stored model,
// is its file (each worker gets a copy: the page's content security policy
// lets no worker fetch a blob: URL). On any failure every worker goes back
// to the previous model, and the error is thrown. Workers started later
// load state.modelReq: a stored model from their own storage.
export async function switchModel(req, bytes) {
  const prev = state.modelReq;
  state.modelReq = req;
  let body = null;
  try {
    for (const w of state.workers.filter((x) => x.alive && x.loaded)) body = (await w.call('model', req, bytes ? { bytes: bytes.slice(0) } : null)).body;
  } catch (err) {
    state.modelReq = prev;
    for (const w of state.workers.filter((x) => x.alive && x.loaded)) { try { await w.call('model', prev); } catch (_) { /* shown by the caller */ } }
    throw err;
  }
  if (body) showModel(body);
  $('#model-note').hidden = true;
  return body;
}

// switchTo runs one switch with the panel's messages; the previous stored
// model's card (a blob: URL) is released once the new model is in.
async function switchTo(req, stored, bytes) {
  if (busy) return false;
  busy = true; render();
  const before = inUseName();
  const oldReq = state.modelReq;
  note(`Loading ${req.name}…`);
  try {
    const body = await switchModel(req, bytes);
    // Without IndexedDB every worker has its own library, so a worker
    // started later could not load a stored model: keep the ones running.
    if (stored && body && body.storage === 'memory') state.maxWorkers = Math.max(1, state.workers.filter((w) => w.alive && w.loaded).length);
    localStorage.setItem(IN_USE, JSON.stringify({ name: req.name, sha256: req.sha256, stored }));
    localStorage.removeItem(ADOPTED);
    if (oldReq && oldReq.card && oldReq.card.startsWith('blob:')) URL.revokeObjectURL(oldReq.card);
    note(`${req.name} is now the model: images added from now on use it; results already made keep the model that made them (each result's "Model").`);
    return true;
  } catch (err) {
    note(`Cannot switch to ${req.name}: ${err.message}. The model in use (${before}) and all results are unchanged.`, true);
    return false;
  } finally {
    busy = false; render();
  }
}

function useServed(m) {
  return switchTo({ name: m.name, url: m.url, sha256: m.sha256, card: m.card || '' }, false);
}

// useStored reads a stored model through the library's worker (its
// SHA-256 checked there: a missing or corrupted file stops here) and loads
// those bytes in every worker.
export async function useStored(m) {
  let r;
  try {
    r = await lib().call('model-read', { sha256: m.sha256 });
  } catch (err) {
    broken.set(m.sha256, err.message.replace(/^stored model [^:]*: /, ''));
    note(`Cannot switch to ${m.name}: ${err.message}. The model in use (${inUseName()}) and all results are unchanged.`, true);
    await refresh();
    return false;
  }
  const card = URL.createObjectURL(new Blob([r.body.model.card], { type: 'text/plain; charset=utf-8' }));
  const req = { name: m.name, url: '', sha256: m.sha256, card, stored: true };
  const ok = await switchTo(req, true, r.data.file.buffer);
  if (!ok) URL.revokeObjectURL(card);
  return ok;
}

// currentModelBytes is the model in use's file (for adapting it).
export async function currentModelBytes() {
  const req = state.modelReq;
  if (req && req.stored) {
    const r = await lib().call('model-read', { sha256: req.sha256 });
    return { name: req.name, bytes: r.data.file.buffer };
  }
  if (!req || !req.url) throw new Error('the current model\'s file is not at hand in this page (offline without the model list: reload when online)');
  const r = await fetch(req.url);
  if (!r.ok) throw new Error(`${req.url}: HTTP ${r.status}`);
  return { name: req.name, bytes: await r.arrayBuffer() };
}

// uniqueName is base, or base-2, base-3… when a model of that name is
// stored or served already (results name the model that made them).
export function uniqueName(base) {
  const taken = new Set([...served(), ...state.storedModels].map((m) => m.name));
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

// storeModel validates and stores a model file in the library; meta says
// what the page knows (origin, images, card). Throws the core's message.
export async function storeModel(bytes, file, meta) {
  const w = lib();
  if (!w) throw new Error('the app core is not running');
  const buf = bytes.buffer ? bytes.slice().buffer : bytes.slice(0);
  const r = await w.call('model-add', { name: file, meta, served: served().map((m) => ({ name: m.name, sha256: m.sha256 })) }, { bytes: buf });
  await refresh();
  return r.body.model;
}

// addModelFiles takes the .onnx files dropped or picked (with a .md of the
// same name as its card): each is validated and stored, or refused with
// the core's reason; the model in use and the results never change here.
export async function addModelFiles(files) {
  openPanel();
  const cards = new Map(files.filter((f) => /\.md$/i.test(f.name)).map((f) => [f.name.replace(/\.md$/i, ''), f]));
  const models = files.filter((f) => /\.onnx$/i.test(f.name));
  const lines = [];
  let bad = false;
  for (const f of models) {
    try {
      if (f.size > 256 * 1048576) throw new Error(`model: ${f.name}: ${Math.round(f.size / 1048576)} MB is far over what a model may be`);
      const c = cards.get(f.name.replace(/\.onnx$/i, ''));
      const card = c ? await c.text() : '';
      const e = await storeModel(await f.arrayBuffer(), f.name, { origin: 'file', file: f.name, card });
      lines.push(`Added ${e.name} from ${f.name}${c ? ` with its card ${c.name}` : ''}: listed under "Stored in this browser"; "Use" segments new images with it.`);
    } catch (err) {
      bad = true;
      lines.push(`Cannot add ${f.name}: ${err.message}. The model in use (${inUseName()}) and all results are unchanged.`);
    }
  }
  if (!models.length) lines.push('Only .onnx files are models (a .md beside one of the same name is its card).');
  note(lines.join('\n'), bad);
}

async function exportStored(m) {
  try {
    const r = await lib().call('model-read', { sha256: m.sha256 });
    download(r.data.file, `${m.name}.onnx`, 'application/octet-stream');
    download(new TextEncoder().encode(r.body.model.card), `${m.name}.md`, 'text/markdown');
    note(`Exported ${m.name}.onnx and its card ${m.name}.md.`);
  } catch (err) {
    broken.set(m.sha256, err.message.replace(/^stored model [^:]*: /, ''));
    note(`Cannot export ${m.name}: ${err.message}`, true);
    refresh();
  }
}

async function exportServed(m) {
  try {
    const r = await fetch(m.url);
    if (!r.ok) throw new Error(`${m.url}: HTTP ${r.status}`);
    download(await r.arrayBuffer(), `${m.name}.onnx`, 'application/octet-stream');
    if (m.card) {
      const c = await fetch(m.card);
      if (c.ok) download(await c.arrayBuffer(), `${m.name}.md`, 'text/markdown');
    }
    note(`Exported ${m.name}.onnx${m.card ? ' and its card' : ''}.`);
  } catch (err) { note(`Cannot export ${m.name}: ${err.message}`, true); }
}

function openCard(m) {
  const url = URL.createObjectURL(new Blob([m.card || ''], { type: 'text/plain; charset=utf-8' }));
  window.open(url, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

async function deleteStored(m) {
  if (m.sha256 === inUseSHA()) return;
  const n = resultsOf(m.sha256);
  const made = n ? ` ${n} result(s) of this session were made by it: they keep its name in their records, but correcting them needs the model again.` : '';
  if (!confirm(`Delete the model ${m.name} from this browser?${made}`)) return;
  try {
    await lib().call('model-delete', { sha256: m.sha256 });
    broken.delete(m.sha256);
    note(`Deleted ${m.name} from this browser.`);
  } catch (err) { note(`Cannot delete ${m.name}: ${err.message}`, true); }
  refresh();
}

export function openPanel() {
  const d = $('#models-dialog');
  render();
  if (!d.open) d.showModal();
}

// setupModels wires the header's "Models…" button and the panel's file input.
export function setupModels() {
  $('#models-btn').addEventListener('click', () => { openPanel(); refresh(); });
  $('#models-close').addEventListener('click', () => $('#models-dialog').close());
  $('#model-file').addEventListener('change', (e) => {
    const files = Array.from(e.target.files);
    e.target.value = '';
    addModelFiles(files);
  });
}

// Patients: the form and list, the patient dropdowns, saving them in the
// worker's store, and the patient-level reading under the table (computed
// by the core from every z-score of a patient).
import { $, $$, state } from './state.js';
import { readyWorker, remeasure } from './workers.js';
import { showDetail } from './detail.js';
import { scoreOf, readingNode } from './quality.js';
import { renderPicks } from './table.js';
import { clearView, draw } from './viewer.js';

export function patientOf(it) {
  const p = state.patients.find((x) => x.id === it.options.patientId);
  return p || null;
}

export function renderPatients() {
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
    const del = document.createElement('button');
    del.type = 'button';
    del.textContent = 'Delete';
    del.className = 'danger';
    del.setAttribute('aria-label', 'Delete patient ' + p.id);
    del.addEventListener('click', () => deletePatient(p.id));
    li.append(span, edit, del);
    ul.append(li);
  }
  if (state.selected) showDetail(state.items.get(state.selected));
}

export function setupPatients() {
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

export function savePatients() {
  const w = readyWorker();
  if (!w) return Promise.resolve();
  return w.call('patients', { patients: state.patients }).catch((err) => alert('Saving patients failed: ' + err.message));
}

// deletePatient removes a patient and, after confirmation, every image of
// theirs with its results (in the worker's store and in the table).
async function deletePatient(id) {
  const n = Array.from(state.items.values()).filter((it) => it.options.patientId === id).length;
  if (!confirm(`Delete patient ${id} and their ${n} image(s) with all results? This cannot be undone.`)) return;
  const w = readyWorker();
  if (!w) return;
  let removed = [];
  try {
    removed = (await w.call('delete-patient', { patientId: id })).body.removed || [];
  } catch (err) { alert('Deleting the patient failed: ' + err.message); return; }
  for (const rid of removed) {
    const it = state.items.get(rid);
    if (!it) continue;
    if (it.row) it.row.remove();
    state.items.delete(rid);
    if (state.selected === rid) { state.selected = null; clearView(); showDetail(null); draw(); }
  }
  state.order = state.order.filter((x) => state.items.has(x));
  state.patients = state.patients.filter((p) => p.id !== id);
  renderPatients();
  renderPicks();
  scheduleReadings();
  $('#empty-note').hidden = state.order.length > 0;
}

let readingsTimer = 0;
export function scheduleReadings() {
  clearTimeout(readingsTimer);
  readingsTimer = setTimeout(updateReadings, 150);
}

async function updateReadings() {
  const byPatient = new Map();
  for (const id of state.order) {
    const it = state.items.get(id);
    const r = it.record;
    const score = it.status === 'done' && r && it.options.patientId ? scoreOf(it.options.muscle, r) : null;
    if (!score) continue;
    const p = patientOf(it);
    if (!p) continue;
    if (!byPatient.has(p.id)) byPatient.set(p.id, { patientId: p.id, age: p.age, scores: [] });
    byPatient.get(p.id).scores.push(score);
  }
  const box = $('#readings');
  const w = readyWorker();
  if (!byPatient.size || !w) { box.textContent = ''; return; }
  try {
    const r = await w.call('readings', { scores: Array.from(byPatient.values()) });
    box.textContent = '';
    for (const rd of r.body.readings || []) box.append(readingNode(rd));
  } catch (err) {
    box.textContent = 'Patient reading failed: ' + err.message;
  }
}

// Patients: the form and list, the patient dropdowns, saving them in the
// worker's store, and the patient-level reading under the table (computed
// by the core from every z-score of a patient).
import { $, $$, state } from './state.js';
import { readyWorker, remeasure } from './workers.js';
import { showDetail } from './detail.js';
import { scoreOf, readingNode } from './quality.js';

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
    li.append(span, edit);
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

function savePatients() {
  const w = readyWorker();
  if (w) w.call('patients', { patients: state.patients }).catch((err) => alert('Saving patients failed: ' + err.message));
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

// The clinic's workflow around the numbers: ticking rows and changing
// muscle, side, patient, calibration and exam for all of them at once; the
// calibration and patient tables; the patient report (print, HTML) and the
// DICOM Structured Report. The rules (table parsing, depth refusal, report,
// SR) live in the Go core; this module only moves values.
import { $, state } from './state.js';
import { readyWorker, ownerOf } from './workers.js';
import { renderRow, renderPicks } from './table.js';
import { renderPatients, scheduleReadings, savePatients } from './patients.js';
import { showDetail } from './detail.js';
import { download } from './export.js';

const pickedItems = () => state.order.filter((id) => state.picked.has(id)).map((id) => state.items.get(id));
const note = (text) => { $('#bulk-note').textContent = text; };

// applyOptions gives each item its new options: a finished one is measured
// again (and saved), a queued one runs with them. It returns the refusals
// ("file: reason"); a refused item keeps its old options.
async function applyOptions(changes) {
  const refused = [], implied = [];
  for (const [it, opts] of changes) {
    if (it.status !== 'done' || !it.mask) { it.options = opts; renderRow(it); continue; }
    try {
      const r = await ownerOf(it).call('remeasure', { id: it.id, options: opts, patient: patientByID(opts.patientId), save: true }, { mask: it.mask.slice().buffer });
      it.record = r.body.item.record;
      it.corrected = !!r.body.item.corrected;
      it.options = r.body.item.options;
      if (opts.depthCm && it.record && it.record.cm_per_px_y) implied.push(`${it.name}: ${opts.depthCm} cm → ${it.record.cm_per_px_y.toPrecision(3)} cm/px`);
    } catch (err) {
      refused.push(`${it.name}: ${err.message}`);
    }
    renderRow(it);
  }
  if (state.selected) showDetail(state.items.get(state.selected));
  scheduleReadings();
  refreshExams();
  return { refused, implied };
}

const patientByID = (id) => state.patients.find((p) => p.id === id) || null;

async function applyBulk() {
  const its = pickedItems();
  if (!its.length) { note('Tick rows first (click, shift-click, ctrl-click, or the header box).'); return; }
  const v = (id) => $(id).value.trim();
  const changes = its.map((it) => {
    const o = { ...it.options };
    if (v('#b-muscle')) o.muscle = v('#b-muscle');
    if (v('#b-side')) o.side = v('#b-side') === '-' ? '' : v('#b-side');
    if (v('#b-patient')) o.patientId = v('#b-patient');
    if (Number(v('#b-cmpx')) > 0) { o.cmPerPx = Number(v('#b-cmpx')); o.depthCm = 0; }
    if (Number(v('#b-depth')) > 0) { o.depthCm = Number(v('#b-depth')); o.cmPerPx = 0; }
    for (const [k, id] of [['examDate', '#b-exam'], ['operator', '#b-operator'], ['scanner', '#b-scanner'], ['preset', '#b-preset']]) {
      if (v(id)) o[k] = v(id);
    }
    return [it, o];
  });
  const { refused, implied } = await applyOptions(changes);
  note(`${its.length - refused.length} of ${its.length} changed.` +
    (implied.length ? ' Depth gives ' + implied.join('; ') + '.' : '') +
    (refused.length ? ' Refused: ' + refused.join('; ') : ''));
  $('#bulk').dataset.refused = String(refused.length);
}

// importCalibration applies a calibration CSV to the loaded images by file
// name: every bad row is listed and then nothing is applied.
async function importCalibration(file) {
  const w = readyWorker();
  if (!w || !file) return;
  const names = state.order.map((id) => state.items.get(id).name);
  let table;
  try {
    const buf = await file.arrayBuffer();
    table = (await w.call('calib-table', { names }, { bytes: buf })).body.cmPerPx;
  } catch (err) {
    note(`${file.name}: nothing applied. ${err.message}`);
    $('#bulk').dataset.calibError = 'true';
    return;
  }
  delete $('#bulk').dataset.calibError;
  const changes = [];
  for (const id of state.order) {
    const it = state.items.get(id);
    if (table[it.name]) changes.push([it, { ...it.options, cmPerPx: table[it.name], depthCm: 0 }]);
  }
  const { refused } = await applyOptions(changes);
  note(`${file.name}: cm/px set on ${changes.length - refused.length} image(s)` + (refused.length ? '; refused: ' + refused.join('; ') : '.'));
}

async function importPatients(file) {
  const w = readyWorker();
  if (!w || !file) return;
  try {
    const buf = await file.arrayBuffer();
    const r = await w.call('patient-table', { name: file.name, sexOne: 'M' }, { bytes: buf });
    for (const p of r.body.patients) {
      const np = { id: p.id, age: p.age, sex: p.sex, height: p.height, weight: p.weight, group: '' };
      const i = state.patients.findIndex((x) => x.id === np.id);
      if (i >= 0) state.patients[i] = { ...np, group: state.patients[i].group }; else state.patients.push(np);
    }
    await savePatients();
    renderPatients();
    const probs = r.body.problems || [];
    note(`${file.name}: ${r.body.patients.length} patient(s) imported` + (probs.length ? `; incomplete: ${probs.join('; ')}` : '.'));
  } catch (err) {
    note(`${file.name}: no patients imported. ${err.message}`);
  }
}

// refreshExams lists the chosen patient's exam dates for the SR.
export function refreshExams() {
  const pid = $('#report-patient').value;
  const sel = $('#report-exam');
  const keep = sel.value;
  const dates = new Set();
  for (const it of state.items.values()) {
    if (it.status === 'done' && it.options.patientId === pid) dates.add(it.options.examDate || '');
  }
  sel.textContent = '';
  for (const d of Array.from(dates).sort()) sel.append(new Option(d || '(no date)', d));
  if (dates.has(keep)) sel.value = keep;
}

async function reportBytes() {
  const pid = $('#report-patient').value;
  if (!pid) { alert('Choose a patient for the report.'); return null; }
  const w = readyWorker();
  if (!w) return null;
  try {
    return (await w.call('report', { patientId: pid })).data.file;
  } catch (err) { alert('Report failed: ' + err.message); return null; }
}

async function printReport() {
  const b = await reportBytes();
  if (!b) return;
  const url = URL.createObjectURL(new Blob([b], { type: 'text/html' }));
  const win = window.open(url, '_blank');
  if (win) win.addEventListener('load', () => win.print());
}

async function saveReport() {
  const b = await reportBytes();
  if (b) download(b, `myoseg-report-${$('#report-patient').value}.html`, 'text/html');
}

async function exportSR() {
  const pid = $('#report-patient').value;
  const w = readyWorker();
  if (!pid || !w) { alert('Choose a patient for the DICOM SR.'); return; }
  const exam = $('#report-exam').value;
  const rd = document.querySelector(`#readings p[data-patient="${CSS.escape(pid)}"]`);
  try {
    const r = await w.call('sr', { patientId: pid, examDate: exam, reading: rd ? rd.dataset.explanation || rd.textContent : '' });
    download(r.data.file, `myoseg-sr-${pid}${exam ? '-' + exam : ''}.dcm`, 'application/dicom');
    const left = r.body.leftOut || [];
    note(`DICOM SR: ${r.body.images} image(s)` + (left.length ? `; not DICOM, left out: ${left.join(', ')}` : '.'));
  } catch (err) { alert('DICOM SR failed: ' + err.message); }
}

export function setupClinic() {
  $('#b-apply').addEventListener('click', applyBulk);
  $('#select-all').addEventListener('change', (e) => {
    state.picked = e.target.checked ? new Set(state.order) : new Set();
    renderPicks();
  });
  document.addEventListener('picks', () => { $('#bulk-count').textContent = `${state.picked.size} ticked`; });
  document.addEventListener('keydown', (e) => {
    // Ctrl+A in the table ticks every row.
    if ((e.ctrlKey || e.metaKey) && e.key === 'a' && e.target.closest && e.target.closest('#results')) {
      e.preventDefault();
      state.picked = new Set(state.order);
      renderPicks();
    }
  });
  $('#calib-table').addEventListener('change', (e) => { importCalibration(e.target.files[0]); e.target.value = ''; });
  $('#patient-table').addEventListener('change', (e) => { importPatients(e.target.files[0]); e.target.value = ''; });
  $('#compact').addEventListener('change', (e) => document.body.classList.toggle('compact', e.target.checked));
  $('#report-patient').addEventListener('change', refreshExams);
  $('#report-print').addEventListener('click', printReport);
  $('#report-save').addEventListener('click', saveReport);
  $('#export-sr').addEventListener('click', exportSR);
}


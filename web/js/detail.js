// The detail panel beside the viewer: the selected item's options (muscle,
// side, patient, calibration), its numbers, and removing it.
import { $, state, fmt } from './state.js';
import { calibLabel } from './constants.js';
import { renderRow } from './table.js';
import { remeasure, ownerOf } from './workers.js';
import { clearView, draw } from './viewer.js';
import { scheduleReadings } from './patients.js';
import { exportPNG } from './export.js';
import { zNode } from './quality.js';
import { setupReference, showReference } from './reference.js';

export function showDetail(it) {
  $('#detail-name').textContent = it ? it.name : 'No image selected';
  const form = $('#detail-form'), nums = $('#detail-numbers'), exp = $('#detail-export');
  nums.textContent = '';
  showReference(it);
  if (!it) { form.hidden = true; exp.hidden = true; return; }
  form.hidden = false;
  exp.hidden = it.status !== 'done';
  $('#remove-item').disabled = !(it.status === 'done' || it.status === 'error');
  $('#d-muscle').value = it.options.muscle || '';
  $('#d-side').value = it.options.side || '';
  $('#d-patient').value = it.options.patientId || '';
  $('#d-cmpx').value = it.options.cmPerPx || '';
  $('#d-depth').value = it.options.depthCm || '';
  $('#d-accepted').checked = !!it.options.accepted;
  const add = (k, v, field) => {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd');
    if (v instanceof Node) dd.append(v); else dd.textContent = v;
    if (field) dd.dataset.field = field;
    nums.append(dt, dd);
    return dd;
  };
  if (it.status === 'error') { add('Error', it.error); return; }
  const r = it.record;
  if (it.status !== 'done' || !r) { add('Status', it.status); return; }
  if (r.csa_cm2 !== undefined && r.csa_cm2 !== null) add('CSA', `${r.csa_cm2.toFixed(2)} cm² (${r.csa_px} px)`);
  else add('CSA', `${r.csa_px} px (no calibration)`);
  add('Perimeter', r.perimeter_cm ? `${r.perimeter_cm.toFixed(2)} cm` : `${fmt(r.perimeter_px, 1)} px`);
  add('EI mean ± SD', `${fmt(r.ei_mean, 1)} ± ${fmt(r.ei_sd, 1)}`);
  add('Expected EI', r.ei_expected !== undefined ? `${fmt(r.ei_expected, 1)} (SD ${fmt(r.ei_pred_sd, 1)})` : '—');
  const q = add('Quality', r.quality === 'ok' || !r.quality ? 'no reason to doubt the mask' : `${r.quality === 'flagged' ? 'flagged' : 'accepted as it is'}: ${r.quality_reasons}`, 'quality');
  if (r.quality === 'flagged') q.append(' ', acceptButton(it));
  add('z *', zNode(r, true), 'z');
  add('Note', r.z_note || '');
  const cal = calibLabel(r.calibration_source);
  add('Calibration', r.cm_per_px_x ? `${cal}: ${r.cm_per_px_x.toPrecision(4)} × ${r.cm_per_px_y.toPrecision(4)} cm/px` : cal);
  add('Image', `${r.width}×${r.height}, field ${r.field_w}×${r.field_h} at (${r.field_x}, ${r.field_y})`);
  add('Mask', it.corrected ? 'corrected by hand' : (it.options.accepted ? 'as the model made it, accepted' : 'as the model made it'));
  const o = it.options;
  if (o.examDate || o.operator || o.scanner || o.preset) add('Exam', [o.examDate, o.operator, o.scanner, o.preset].filter(Boolean).join(' · '));
  add('Model', r.model);
}

// acceptButton accepts a flagged mask as it is: the worker then computes
// its z-score (the record keeps the reasons and says "accepted").
function acceptButton(it) {
  const b = document.createElement('button');
  b.type = 'button';
  b.id = 'accept-mask';
  b.textContent = 'Accept mask as it is';
  b.title = 'I have looked at this mask and it outlines the muscle: compute its z-score';
  b.addEventListener('click', () => {
    it.options = { ...it.options, accepted: true };
    renderRow(it);
    remeasure(it, true);
  });
  return b;
}

export function setupDetail() {
  $('#d-apply').addEventListener('click', applyDetail);
  for (const id of ['#d-muscle', '#d-side', '#d-patient', '#d-accepted']) $(id).addEventListener('change', applyDetail);
  $('#export-mask').addEventListener('click', () => exportPNG('mask'));
  $('#export-overlay').addEventListener('click', () => exportPNG('overlay'));
  $('#remove-item').addEventListener('click', removeSelected);
  setupReference();
}

function applyDetail() {
  const it = state.items.get(state.selected);
  if (!it) return;
  it.options = {
    ...it.options,
    muscle: $('#d-muscle').value, side: $('#d-side').value, patientId: $('#d-patient').value,
    cmPerPx: Number($('#d-cmpx').value) || 0, depthCm: Number($('#d-depth').value) || 0,
    accepted: $('#d-accepted').checked,
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
  clearView();
  $('#canvas-empty').hidden = false;
  $('#canvas-empty').textContent = 'Select a row to view its image.';
  showDetail(null);
  draw();
  scheduleReadings();
  $('#empty-note').hidden = state.order.length > 0;
}

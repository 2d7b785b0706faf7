// The results table: one row per item, its cells and data-* attributes
// (which the e2e tests read), keyboard navigation between rows.
import { $, state, fmt } from './state.js';
import { muscleLabel, calibLabel } from './constants.js';
import { selectItem } from './viewer.js';
import { qualityBadge, zNode } from './quality.js';

export function addItem(it, restoring) {
  state.items.set(it.id, it);
  state.order.push(it.id);
  const tr = document.createElement('tr');
  tr.tabIndex = 0;
  tr.dataset.id = it.id;
  tr.addEventListener('click', (e) => {
    if (e.target.closest('input.pick')) return; // the checkbox has its own handler
    if (e.shiftKey || e.ctrlKey || e.metaKey) { e.preventDefault(); pickRow(it.id, e.shiftKey, true); return; }
    state.picked = new Set([it.id]);
    state.lastPicked = it.id;
    renderPicks();
    selectItem(it.id);
  });
  tr.addEventListener('keydown', (e) => rowKey(e, it.id));
  $('#results tbody').append(tr);
  it.row = tr;
  renderRow(it);
  $('#empty-note').hidden = true;
  if (!restoring) tr.scrollIntoView({ block: 'nearest' });
}

// pickRow ticks or unticks a row for bulk changes; range ticks every row
// from the last one ticked (shift-click); toggle keeps the others (ctrl).
export function pickRow(id, range, toggle) {
  if (range && state.lastPicked && state.order.includes(state.lastPicked)) {
    const a = state.order.indexOf(state.lastPicked), b = state.order.indexOf(id);
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) state.picked.add(state.order[i]);
  } else if (toggle) {
    if (state.picked.has(id)) state.picked.delete(id); else state.picked.add(id);
    state.lastPicked = id;
  }
  renderPicks();
}

// renderPicks shows the ticked rows and tells the bulk bar.
export function renderPicks() {
  for (const id of state.picked) if (!state.items.has(id)) state.picked.delete(id);
  for (const id of state.order) {
    const it = state.items.get(id);
    if (!it.row) continue;
    const on = state.picked.has(id);
    it.row.dataset.picked = String(on);
    const cb = it.row.querySelector('input.pick');
    if (cb) cb.checked = on;
  }
  const all = $('#select-all');
  if (all) {
    all.checked = state.order.length > 0 && state.picked.size === state.order.length;
    all.indeterminate = state.picked.size > 0 && state.picked.size < state.order.length;
  }
  document.dispatchEvent(new CustomEvent('picks'));
}

export function sortTable() {
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

function cell(tr, text, cls, title) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  if (text instanceof Node) td.append(text); else td.textContent = text;
  if (title) td.title = title;
  tr.append(td);
  return td;
}

export function renderRow(it) {
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
  const pick = document.createElement('input');
  pick.type = 'checkbox';
  pick.className = 'pick';
  pick.checked = state.picked.has(it.id);
  pick.setAttribute('aria-label', 'Select ' + it.name);
  pick.addEventListener('click', (e) => { e.stopPropagation(); pickRow(it.id, e.shiftKey, true); });
  tr.dataset.picked = String(pick.checked);
  const name = document.createElement('span');
  name.textContent = it.name;
  const fileCell = cell(tr, name, 'file', it.path);
  fileCell.prepend(pick);
  if (it.corrected) {
    const b = document.createElement('span');
    b.className = 'corrected';
    b.textContent = 'corrected';
    fileCell.append(b);
  }
  const qb = qualityBadge(it.status === 'done' ? it.record : null);
  if (qb) fileCell.append(qb);
  tr.dataset.quality = (it.status === 'done' && it.record && it.record.quality) || '';
  if (it.status === 'error') {
    cell(tr, 'error', 'status');
    const td = cell(tr, it.error, 'err');
    td.colSpan = 9;
    return;
  }
  cell(tr, it.status, 'status');
  cell(tr, muscleLabel(it.options.muscle), 'muscle');
  cell(tr, it.options.side || '—', 'side');
  tr.dataset.side = it.options.side || '';
  tr.dataset.muscle = it.options.muscle || '';
  tr.dataset.cmPerPx = String(it.options.cmPerPx || '');
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
  cell(tr, zNode(r, false), 'num z', r.z_note || '');
  const flag = r.abnormal === undefined || r.abnormal === null ? '' : (r.abnormal ? 'abnormal (z > 2)' : 'normal');
  cell(tr, flag, r.abnormal ? 'flag-abnormal' : '');
  cell(tr, calibLabel(r.calibration_source));
}

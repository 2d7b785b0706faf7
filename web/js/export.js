// Exports, built by the core in a worker and downloaded here: the selected
// image's mask and overlay PNGs, the CSV of all results, the training-data
// ZIP; and clearing the whole session (the Export panel's last button).
import { $, state } from './state.js';
import { ownerOf, readyWorker, busy } from './workers.js';
import { renderPatients } from './patients.js';
import { showDetail } from './detail.js';
import { clearView, draw } from './viewer.js';

export function download(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url; a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}
const stem = (name) => name.replace(/\.[^.]*$/, '');

export async function exportPNG(kind) {
  const it = state.items.get(state.selected);
  if (!it || it.status !== 'done') return;
  try {
    const r = await ownerOf(it).call('render', { id: it.id, kind }, { mask: it.mask.slice().buffer });
    download(r.data.file, `${stem(it.name)}_${kind}.png`, 'image/png');
  } catch (err) { alert(`Export of the ${kind} PNG failed: ${err.message}`); }
}

async function exportCSV() {
  const records = state.order.map((id) => state.items.get(id)).filter((it) => it.status === 'done' && it.record).map((it) => it.record);
  const w = readyWorker();
  if (!w) return;
  try {
    const r = await w.call('csv', { records });
    download(r.data.file, 'myoseg-results.csv', 'text/csv');
  } catch (err) { alert('CSV export failed: ' + err.message); }
}

// zipGroups are the answers given for patients without a group (by ID;
// '' = images without a patient), kept for the session's next exports.
const zipGroups = {};

// askGroups shows the group dialog for the patients the core asked about;
// it resolves false when cancelled. No answer is preselected.
function askGroups(ids) {
  const box = $('#zip-groups');
  box.textContent = '';
  ids.forEach((id, i) => {
    const lab = document.createElement('label');
    lab.htmlFor = 'zip-g' + i;
    lab.textContent = id ? `Patient ${id}` : 'Images without a patient';
    const sel = document.createElement('select');
    sel.id = 'zip-g' + i;
    sel.required = true;
    sel.dataset.patient = id;
    sel.append(new Option('— choose —', ''), new Option('Healthy', 'Healthy'), new Option('Pathological', 'Pathological'));
    box.append(lab, sel);
  });
  const dlg = $('#zip-dialog');
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      if (dlg.returnValue !== 'ok') { resolve(false); return; }
      for (const sel of box.querySelectorAll('select')) zipGroups[sel.dataset.patient] = sel.value;
      resolve(true);
    }, { once: true });
    dlg.showModal();
  });
}

async function exportZIP() {
  const w = readyWorker();
  if (!w) return;
  try {
    for (;;) {
      const r = await w.call('zip', { zip: { groups: zipGroups, all: $('#zip-all').checked } });
      if (r.body.needGroups) {
        if (!(await askGroups(r.body.needGroups))) { $('#bulk-note').textContent = 'ZIP: cancelled.'; return; }
        continue;
      }
      download(r.data.file, 'myoseg-training-data.zip', 'application/zip');
      const s = r.body;
      let text = `ZIP: ${s.images} image(s): ${s.corrected} corrected, ${s.accepted} accepted` + (s.unreviewed ? `, ${s.unreviewed} unreviewed` : '');
      if (s.leftOut) text += `; ${s.leftOut} unreviewed left out (tick "also masks nobody corrected or accepted" to add them)`;
      if (s.skipped && s.skipped.length) text += `; skipped: ${s.skipped.join('; ')}`;
      $('#bulk-note').textContent = text;
      return;
    }
  } catch (err) { alert('ZIP export failed: ' + err.message); }
}

async function clearSession() {
  if (busy()) return;
  if (!confirm('Remove every image, result and patient from this browser? The model stays.')) return;
  const w = readyWorker();
  if (!w) return;
  try { await w.call('clear', {}); } catch (err) { alert('Clear failed: ' + err.message); return; }
  state.items.clear(); state.order = []; state.patients = []; state.selected = null;
  $('#results tbody').textContent = '';
  clearView();
  showDetail(null); renderPatients(); draw();
  $('#readings').textContent = '';
  $('#empty-note').hidden = false;
}

export function setupExport() {
  $('#export-csv').addEventListener('click', exportCSV);
  $('#export-zip').addEventListener('click', exportZIP);
  $('#clear-session').addEventListener('click', clearSession);
}

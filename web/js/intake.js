// Intake: files and folders dropped on the window or picked with the two
// buttons become queued items, with the defaults for new images; folder
// names may give the muscle (the seed layout's BB/GM/TA). A dropped or
// picked .onnx file is a model: it goes to the Models panel (js/models.js).
import { $, state, newID } from './state.js';
import { constantsReady, muscleOfCode, maxFileBytes } from './constants.js';
import { addItem } from './table.js';
import { pump } from './workers.js';
import { addModelFiles } from './models.js';

const FOLDER_EXT = /\.(png|jpe?g|bmp|tiff?|dcm|dicom)$/i;

function guessMuscle(path) {
  for (const seg of path.split('/').reverse()) {
    const m = muscleOfCode(seg);
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
// It waits for the core's constants (muscle codes, size limit).
async function addFiles(entries, fromFolder) {
  await constantsReady;
  const maxBytes = maxFileBytes();
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
    if (file.size > maxBytes) {
      it.status = 'error';
      it.error = `file is ${Math.round(file.size / 1048576)} MB, more than the ${maxBytes / 1048576} MB this browser app reads`;
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

// splitModels takes the models out of what was dropped or picked: .onnx
// files (not inside a dropped folder) and a .md beside one of the same name
// (its card) go to the Models panel; the rest are images, as before.
function splitModels(entries) {
  const top = entries.filter(({ path }) => !path.includes('/'));
  const stems = new Set(top.filter(({ file }) => /\.onnx$/i.test(file.name)).map(({ file }) => file.name.replace(/\.onnx$/i, '')));
  if (!stems.size) return entries;
  const isModel = ({ file, path }) => !path.includes('/') && (/\.onnx$/i.test(file.name) || (/\.md$/i.test(file.name) && stems.has(file.name.replace(/\.md$/i, ''))));
  addModelFiles(entries.filter(isModel).map(({ file }) => file));
  return entries.filter((e) => !isModel(e));
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

export function setupIntake() {
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
    const images = splitModels(entries);
    if (images.length) addFiles(images, folder);
  });
  $('#files').addEventListener('change', (e) => {
    const images = splitModels(Array.from(e.target.files).map((f) => ({ file: f, path: f.name })));
    e.target.value = '';
    if (images.length) addFiles(images, false);
  });
  $('#folder').addEventListener('change', (e) => {
    addFiles(Array.from(e.target.files).map((f) => ({ file: f, path: f.webkitRelativePath || f.name })), true);
    e.target.value = '';
  });
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('#files').click(); }
  });
}

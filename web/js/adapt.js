// "Adapt model to these images": fine-tunes the current model on the
// corrected and accepted images in a separate worker (web/adapt-worker.js,
// core/nn/train in its own wasm), with progress, time left, held-out Dice
// and cancel; offers the adapted model (.onnx + card) only when its
// held-out Dice rose (docs/adapt.md). The page stays usable meanwhile.
import { $, state } from './state.js';
import { readyWorker } from './workers.js';
import { download } from './export.js';
import { storeModel, useStored, currentModelBytes, uniqueName, openPanel } from './models.js';

// adopt stores the adapted model in this browser's model library (with its
// parent, the images it was adapted on, its date and card) and makes it the
// model in use; the Models panel lists it and switches back.
async function adopt(body, onnx, images) {
  const e = await storeModel(onnx, body.name + '.onnx', {
    origin: 'adapted', parent: body.parent, date: body.date, images, card: body.card,
  });
  if (!await useStored(e)) throw new Error($('#models-note').textContent);
}

// MIN_IMAGES mirrors core/nn/train.MinImages (the worker refuses fewer anyway).
const MIN_IMAGES = 8;

const REASONS = {
  'too-few': `Too few corrected images: at least ${MIN_IMAGES}, of at least two patients, are needed to keep some patients aside and check the adapted model on them.`,
  'one-patient': 'All corrected images belong to one patient: the check needs images of other patients kept aside. Give each image its patient ID.',
  'no-gain': 'The adapted model did no better on the patients kept aside: it is not offered, and the current model stays.',
  'cancelled': 'Adaptation cancelled: the current model stays.',
};

let job = null; // {worker, cancel}

// adaptModel runs one adaptation: resolves with {body, model} or rejects
// with an Error carrying .reason.
export function adaptModel({ zip, model, name, epochs, onProgress }) {
  const worker = new Worker('adapt-worker.js');
  worker.postMessage({ type: 'init', simd: state.coreVariant === 'simd128' });
  let settle;
  const done = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  worker.onmessage = (e) => {
    const m = e.data;
    const body = m.json ? JSON.parse(m.json) : {};
    if (m.type === 'progress') { onProgress && onProgress(body, m.memBytes); return; }
    worker.terminate();
    if (m.type === 'adapt') settle.resolve({ body, model: m.model });
    else settle.reject(Object.assign(new Error(body.error || 'adaptation failed'), { reason: body.reason || '' }));
  };
  worker.onerror = (e) => { worker.terminate(); settle.reject(Object.assign(new Error(e.message || 'trainer worker failed'), { reason: '' })); };
  worker.postMessage({ type: 'adapt', json: JSON.stringify({ name, epochs }), model, zip }, [model, zip]);
  return { done, cancel: () => worker.postMessage({ type: 'cancel' }) };
}

const fmtTime = (s) => (s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

// trainingZip asks a core worker for the corrected and accepted images in
// the seed layout; the group folder does not matter for training.
async function trainingZip(w) {
  const groups = {};
  for (;;) {
    const r = await w.call('zip', { zip: { groups, all: false } });
    if (!r.body.needGroups) return { file: r.data.file, summary: r.body };
    for (const id of r.body.needGroups) groups[id] = 'Healthy';
  }
}

async function startAdapt() {
  const note = $('#adapt-note');
  const bar = $('#adapt-progress');
  const btn = $('#adapt-btn');
  if (job) { job.cancel(); return; }
  const w = readyWorker();
  if (!w) { note.textContent = 'Adapt: the app is busy; try again when the queue is done.'; return; }
  let zip, model;
  try {
    zip = await trainingZip(w);
    const n = (zip.summary.corrected || 0) + (zip.summary.accepted || 0);
    if (n < MIN_IMAGES) { note.textContent = `Adapt: ${n} corrected or accepted image(s). ` + REASONS['too-few']; return; }
    model = await currentModelBytes();
  } catch (err) { note.textContent = 'Adapt: ' + err.message; return; }
  const name = uniqueName(`${model.name}-adapted-${new Date().toISOString().slice(0, 10)}`);
  // The images the ZIP holds: what the model is adapted on (train and held out).
  const images = state.order.map((id) => state.items.get(id))
    .filter((it) => it.status === 'done' && it.options && it.options.muscle && (it.corrected || it.options.accepted)).map((it) => it.name);
  bar.hidden = false; bar.value = 0;
  btn.textContent = 'Cancel adaptation';
  note.textContent = 'Adapt: preparing the images and measuring the current model on the patients kept aside…';
  job = adaptModel({
    zip: zip.file.buffer ? zip.file.buffer : zip.file, model: model.bytes, name,
    onProgress: (p, mem) => {
      bar.max = p.epochs; bar.value = p.epoch;
      const left = p.epoch > 0 ? `, about ${fmtTime(p.leftS)} left` : '';
      note.textContent = `Adapt: epoch ${p.epoch}/${p.epochs}${left}; held-out Dice ${p.heldOutDice.toFixed(3)} (best ${p.best.toFixed(3)})` +
        (mem ? `; worker memory ${Math.round(mem / 1e6)} MB` : '');
    },
  });
  try {
    const { body, model: onnx } = await job.done;
    note.textContent = `Adapt: held-out Dice ${body.before.toFixed(3)} → ${body.after.toFixed(3)} on ${body.heldOut} image(s) of patients ${body.heldOutPatients.join(', ')} ` +
      `(trained on ${body.trainImages} image(s), ${fmtTime(body.seconds)}). `;
    const use = document.createElement('button');
    use.type = 'button';
    use.textContent = `Adopt ${body.name}`;
    use.addEventListener('click', async () => {
      use.disabled = true;
      try {
        await adopt(body, onnx, images);
        note.textContent = `Adapt: ${body.name} is now the model (images added from now on use it; earlier results keep theirs). It is stored in this browser: Models… lists it and switches back.`;
        const open = document.createElement('button');
        open.type = 'button'; open.textContent = 'Models…';
        open.addEventListener('click', openPanel);
        note.append(' ', open);
      } catch (err) { use.disabled = false; note.append(' Cannot adopt it: ' + err.message + ' (the current model stays).'); }
    });
    const a = document.createElement('button');
    a.type = 'button';
    a.textContent = `Download ${body.name}.onnx + card`;
    a.addEventListener('click', () => {
      download(onnx, body.name + '.onnx', 'application/octet-stream');
      download(new TextEncoder().encode(body.card), body.name + '.md', 'text/markdown');
    });
    note.append(use, ' ', a);
  } catch (err) {
    note.textContent = 'Adapt: ' + (REASONS[err.reason] || err.message);
  } finally {
    job = null;
    bar.hidden = true;
    btn.textContent = 'Adapt model to these images';
  }
}

// setupAdapt adds the Adapt button, its progress bar and note after the
// training-data ZIP button.
export function setupAdapt() {
  const after = $('#export-zip');
  if (!after) return;
  const btn = document.createElement('button');
  btn.type = 'button'; btn.id = 'adapt-btn';
  btn.textContent = 'Adapt model to these images';
  btn.title = `Fine-tune the model on the corrected and accepted images (at least ${MIN_IMAGES}, of two or more patients) in this browser`;
  const bar = document.createElement('progress');
  bar.id = 'adapt-progress'; bar.hidden = true;
  const note = document.createElement('p');
  note.id = 'adapt-note'; note.setAttribute('aria-live', 'polite');
  after.after(btn, bar, note);
  btn.addEventListener('click', startAdapt);
}

// myoseg page, entry point: wires the panels and starts the Go core (one
// worker first; more as files queue up). Everything stays in this browser:
// the only requests go to this page's own server, for the app and the model.
import { $, state, itemFromStored } from './state.js';
import { setConstants } from './constants.js';
import { compileCore } from './core.js';
import { computeMaxWorkers, startWorker, pump, whenIdle } from './workers.js';
import { showModel, showModelError, registerServiceWorker, requestPersistence } from './header.js';
import { setupIntake } from './intake.js';
import { addItem, sortTable } from './table.js';
import { setupViewer } from './viewer.js';
import { setupDetail } from './detail.js';
import { renderPatients, setupPatients } from './patients.js';
import { setupExport } from './export.js';
import { setupClinic } from './clinic.js';
import { setupAdapt } from './adapt.js';
import { setupModels, modelRequest, modelStarted, render as renderModels } from './models.js';

// mark records when a start-up step ended, for the e2e benchmarks.
const mark = (step) => { state.stats.startup[step] = performance.now(); };

async function start() {
  renderPatients();
  state.maxWorkers = computeMaxWorkers();
  requestPersistence();
  // The model list is fetched while the core compiles: neither waits on the other.
  const served = fetch('models/index.json').then((r) => (r.ok ? r.json() : null)).catch(() => null);
  try {
    const core = await compileCore();
    state.module = core.module;
    state.coreVariant = core.variant;
    mark('coreCompiledMs');
  } catch (err) {
    showModelError(new Error('cannot load the app core: ' + err.message));
    setConstants(null);
    registerServiceWorker();
    return;
  }
  // null offline without a cache: then the model in use if stored, else the cached one.
  state.modelReq = modelRequest(await served);
  const w0 = await startWorker();
  w0.ready.then(() => mark('workerReadyMs'), () => {});
  // The core's muscles, calibration labels and limits: needed before the
  // first file is taken, not the model.
  w0.ready.then(() => w0.call('constants')).then((r) => setConstants(r.body), () => setConstants(null));
  let modelBody;
  try {
    modelBody = await w0.modelReady;
  } catch (_) {
    registerServiceWorker();
    return;
  }
  mark('modelLoadedMs');
  // Durations (not marks) inside the core's model load: read, fetch, save, compile.
  for (const [k, v] of Object.entries((modelBody.info && modelBody.info.loadSteps) || {})) {
    state.stats.startup[`modelLoad-${k}Ms`] = v;
  }
  await modelStarted(modelBody);
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
    renderModels();
  } catch (err) {
    $('#storage-status').textContent = 'storage: cannot read the saved session: ' + err.message;
  }
  w0.loaded = true;
  mark('sessionListedMs');
  pump();
  // The service worker's install downloads every file for offline use (both
  // core builds, the model): started once the first files are done, it does
  // not compete with the first visit's own downloads, compilation and images.
  whenIdle(registerServiceWorker);
}

function setup() {
  setupIntake();
  setupPatients();
  setupViewer();
  setupDetail();
  setupExport();
  setupClinic();
  setupAdapt();
  setupModels();
  $('#reload-btn').addEventListener('click', () => location.reload());
  start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup); else setup();

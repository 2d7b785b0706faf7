// The header: the model box (name, training data, warning, card link; the
// "Models…" panel is js/models.js) and
// the offline and storage status, with the service worker that makes the
// page work offline (sw.js) and the request for persistent storage.
import { $, state } from './state.js';

export function showModel(body) {
  const info = body.info;
  state.modelInfo = info;
  $('#model-name').textContent = info.name;
  $('#model-trained').textContent = info.trainedOn || 'not stated';
  // On a laptop screen the line is cut to one row; the whole text stays a hover away (and in the card).
  $('#model-trained-line').title = 'Trained on: ' + (info.trainedOn || 'not stated');
  $('#model-warning').textContent = info.warning || 'The model card states no warning. Check every mask.';
  const card = $('#model-card');
  card.textContent = '';
  if (state.modelReq && state.modelReq.card) {
    const a = document.createElement('a');
    a.href = state.modelReq.card; a.target = '_blank'; a.rel = 'noopener'; a.textContent = 'model card';
    card.append(a);
  }
  const from = { network: 'from the server', storage: 'the server\'s, from browser storage', library: 'stored in this browser' }[info.source] || info.source;
  card.append(` (${(info.bytes / 1048576).toFixed(1)} MB, ${from}, loaded in ${info.loadMs} ms)`);
  $('#storage-status').textContent = body.storage === 'indexeddb' ? 'storage: this browser (IndexedDB)' : 'storage: memory only — nothing is saved';
  document.body.dataset.model = info.name;
  document.body.dataset.modelSha256 = info.sha256;
  document.body.dataset.modelSource = info.source;
}

export function showModelError(err) {
  $('#model-name').textContent = 'not loaded';
  $('#model-warning').textContent = 'The model could not be loaded: ' + (err.message || err);
  document.body.dataset.modelError = String(err.message || err);
}

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) {
    $('#offline-status').textContent = 'offline: unavailable (needs localhost or HTTPS)';
    return;
  }
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.register('sw.js').catch((err) => {
    $('#offline-status').textContent = 'offline: unavailable (' + err.message + ')';
  });
  const markReady = () => {
    if (!navigator.serviceWorker.controller) return;
    $('#offline-status').textContent = 'offline: ready';
    $('#offline-status').className = 'ok';
    document.body.dataset.offlineReady = 'true';
  };
  navigator.serviceWorker.ready.then(markReady);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    markReady();
    if (hadController) $('#update-banner').hidden = false;
  });
}

export async function requestPersistence() {
  if (navigator.storage && navigator.storage.persist) {
    try { await navigator.storage.persist(); } catch (_) { /* best effort */ }
  }
}

// Service worker: after the first visit the app, the wasm and the model come
// from this cache, so a reload works with the network (or the server) gone.
// The server fills in VERSION (a hash of every file below) and PRECACHE:
// every file it serves (server.go: the page, its modules in js/, the worker,
// the wasm, the model), so a new module needs no change here. A new build
// therefore installs a new cache and deletes the old one.
'use strict';
const VERSION = "__VERSION__";
// Files fetched only when someone asks for them are left out of the
// precache, so a visit that never uses them never downloads them: the
// reference engine (web/js/reference.js, several MB) and the model adapter
// (web/adapt-worker.js, both builds). Once fetched each is kept in this
// cache, so the check and adapting also work offline afterwards.
const ON_DEMAND = /\/dist\/myoseg-(reference|train|train-simd)\.wasm$/;
const PRECACHE = ["__PRECACHE__"].filter((u) => !ON_DEMAND.test(u));
const CACHE = 'myoseg-' + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // no-cache: revalidate with the server rather than trust the HTTP cache,
    // so the cache holds exactly this build.
    await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('myoseg-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'version') event.source.postMessage({ type: 'sw-version', version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  const isPage = req.mode === 'navigate' && (url.pathname === scope.pathname || url.pathname === scope.pathname + 'index.html');
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(isPage ? './' : req, { ignoreSearch: isPage });
    if (hit) return hit;
    if (!ON_DEMAND.test(url.pathname)) return fetch(req);
    const resp = await fetch(req);
    // Kept in the background: the page reads its copy as it arrives.
    if (resp.ok) event.waitUntil(cache.put(req, resp.clone()).catch(() => { /* not kept: fetched again next time */ }));
    return resp;
  })());
});

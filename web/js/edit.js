// The editing tools beyond the brush: the outline tool (clicks joined by
// the livewire, which follows the bright fascia, or by straight segments;
// closed into a mask), the contour editor (handles on the mask's smooth
// outline: drag, insert, delete) and the nudge (push the contour with a
// disk). The geometry runs in the item's worker (wasm/edit,
// core/imaging/contour); this module keeps the clicks and handles, asks the
// worker, and draws. Every finished edit goes through the viewer's commit,
// so undo and redo cover it.
import { state } from './state.js';
import { ownerOf } from './workers.js';

let host = null; // the viewer: {current, view, draw, status, commit, preview, note}

export function initEdit(h) { host = h; }

export const editOptions = { snap: true };

// The outline in progress: clicks (image px), straight[i] for the stretch
// from click i to i+1, and the livewire path of each finished stretch.
const outline = { points: [], straight: [], paths: [], hover: null, hoverPath: null, hoverStraight: false, it: null };
// The contour editor: handles of the current mask, the mask they came from.
const contour = { handles: null, forMask: null, it: null, drag: null, selected: -1, loading: false };

const CLOSE_PX = 10;  // canvas px: a click this close to the first point closes the outline
const HIT_PX = 9;     // canvas px: how close a click must be to grab a handle

// latest wraps an async function so that while one call runs, only the most
// recent of the calls made meanwhile runs next (mouse moves outpace the worker).
function latest(fn) {
  let running = false, next = null;
  return (...args) => {
    next = args;
    if (running) return;
    running = true;
    begin();
    (async () => {
      while (next) {
        const a = next; next = null;
        try { await fn(...a); } catch (err) { host.note('Editing: ' + err.message); }
      }
      running = false;
      done();
    })();
  };
}

// ops counts edits under way (a worker call and what the page does with
// its answer), for the status the tests wait on. The status is published
// as soon as an edit starts: it would otherwise read idle until the next
// redraw while the worker is still answering.
let ops = 0;
function begin() {
  if (ops++ === 0) host.status();
}
function done() {
  ops--;
  if (!ops) setTimeout(() => host.draw(), 0);
}

async function call(it, type, json, bufs) {
  begin();
  try {
    return await ownerOf(it).call(type, json, bufs);
  } finally {
    done(); // the redraw waits until the caller has used the reply
  }
}
const size = (it) => ({ width: it.width, height: it.height });
const maskBytes = (m) => new Uint8Array(m);

// prepare builds the livewire cost of the item's image in its worker once.
function prepare(it) {
  const w = ownerOf(it);
  if (w.editPrepared === it.id && w.editReady) return w.editReady;
  w.editPrepared = it.id;
  const t0 = performance.now();
  w.editReady = w.call('edit-prepare', { id: it.id, ...size(it) }, { bytes: it.gray.slice().buffer });
  w.editReady.then(() => record('prepareMs', it, performance.now() - t0), () => {});
  w.editReady.catch(() => { w.editPrepared = null; });
  return w.editReady;
}

// record keeps a round-trip time (ms) per image size for the e2e
// benchmarks (window.myosegStats.edit).
function record(kind, it, ms) {
  const e = state.stats.edit || (state.stats.edit = {});
  const k = `${kind} ${it.width}x${it.height}`;
  (e[k] || (e[k] = [])).push(ms);
}

// ----- outline tool -----

export function outlineActive() { return outline.points.length > 0; }

export function startOutline(it) {
  cancelOutline();
  outline.it = it;
  if (editOptions.snap) prepare(it).catch((err) => host.note('Livewire: ' + err.message));
}

export function cancelOutline() {
  Object.assign(outline, { points: [], straight: [], paths: [], hover: null, hoverPath: null });
  if (host) host.draw();
}

const wireTo = latest(async (it, a, b) => {
  await prepare(it);
  const t0 = performance.now();
  const r = await call(it, 'wire', { id: it.id, from: a, to: b });
  record('wireMs', it, performance.now() - t0);
  if (outline.hover === b) outline.hoverPath = r.body.path;
  host.draw();
});

function near(a, b, px) {
  const s = host.view.scale;
  return Math.hypot((a.X - b.X) * s, (a.Y - b.Y) * s) <= px;
}

export function outlineDown(it, p, e) {
  if (outline.it !== it) startOutline(it);
  const pts = outline.points;
  const q = { X: p.x, Y: p.y };
  if (pts.length >= 3 && near(q, pts[0], CLOSE_PX)) { closeOutline(); return; }
  if (pts.length && near(q, pts[pts.length - 1], 1)) return; // a double click's second press
  const straight = !editOptions.snap || e.shiftKey;
  if (pts.length) {
    const i = pts.length - 1;
    outline.straight[i] = straight;
    outline.paths[i] = straight ? null : (outline.hover && near(outline.hover, q, 0.5) ? outline.hoverPath : null);
    if (!straight && !outline.paths[i]) {
      call(it, 'wire', { id: it.id, from: pts[i], to: q }).then((r) => { outline.paths[i] = r.body.path; host.draw(); }, () => {});
    }
  }
  pts.push(q);
  outline.hoverPath = null;
  host.draw();
}

export function outlineMove(it, p, e) {
  if (outline.it !== it || !outline.points.length) return;
  outline.hover = { X: p.x, Y: p.y };
  outline.hoverStraight = !editOptions.snap || e.shiftKey;
  outline.hoverPath = null;
  if (!outline.hoverStraight) wireTo(it, outline.points[outline.points.length - 1], outline.hover);
  host.draw();
}

export function outlineBackspace() {
  if (!outline.points.length) return;
  outline.points.pop();
  outline.straight.length = outline.points.length;
  outline.paths.length = Math.max(0, outline.points.length - 1);
  outline.hoverPath = null;
  host.draw();
}

export async function closeOutline() {
  const it = outline.it;
  const pts = outline.points.slice();
  if (!it || pts.length < 3) { host.note('An outline needs at least three points.'); return; }
  const straight = pts.map((_, i) => (i < pts.length - 1 ? !!outline.straight[i] : !editOptions.snap));
  begin();
  cancelOutline();
  try {
    if (editOptions.snap) await prepare(it);
    const t0 = performance.now();
    const r = await call(it, 'outline', { id: it.id, clicks: pts, straight, snap: editOptions.snap, ...size(it) });
    record(editOptions.snap ? 'outlineSnapMs' : 'outlineMs', it, performance.now() - t0);
    host.commit(it, maskBytes(r.data.mask));
    host.note('');
  } catch (err) {
    host.note('Outline: ' + err.message);
  } finally {
    done();
  }
}

// ----- contour editor and nudge -----

// handlesFor loads the handles of the item's current mask (once per mask).
export async function handlesFor(it) {
  if (contour.it === it && contour.forMask === it.mask && contour.handles) return contour.handles;
  if (contour.loading) return null;
  contour.loading = true;
  const m = it.mask;
  try {
    const r = await call(it, 'handles', size(it), { mask: m.slice().buffer });
    Object.assign(contour, { it, forMask: m, handles: r.body.handles, selected: -1 });
    host.draw();
    return contour.handles;
  } catch (err) {
    contour.handles = null; contour.forMask = m; contour.it = it;
    host.note(/empty/.test(err.message) ? 'No mask to edit: outline the muscle first (O).' : 'Contour: ' + err.message);
    return null;
  } finally {
    contour.loading = false;
  }
}

const remask = latest(async (it, handles, done) => {
  const r = await call(it, 'from-handles', { handles, ...size(it) });
  const m = maskBytes(r.data.mask);
  if (done) done(m); else host.preview(it, m);
  contour.forMask = it.mask;
});

function hit(p) {
  if (!contour.handles) return -1;
  let best = -1, bd = Infinity;
  contour.handles.forEach((h, i) => {
    const d = Math.hypot(h.X - p.x, h.Y - p.y) * host.view.scale;
    if (d < bd) { bd = d; best = i; }
  });
  return bd <= HIT_PX ? best : -1;
}

export async function contourDown(it, p, e, tool) {
  const hs = await handlesFor(it);
  if (!hs) return false;
  const before = it.mask;
  if (tool === 'nudge') {
    contour.drag = { before, nudge: true };
    nudgeAt(it, p);
    return true;
  }
  if (e.altKey || e.detail === 2) { // insert a handle here
    try {
      const r = await call(it, 'insert-handle', { handles: hs, at: { X: p.x, Y: p.y } });
      contour.handles = r.body.handles; contour.selected = r.body.index;
      remask(it, contour.handles, (m) => host.commit(it, m, before));
    } catch (err) { host.note('Insert: ' + err.message); }
    return false;
  }
  const i = hit(p);
  contour.selected = i;
  host.draw();
  if (i < 0) return false;
  contour.drag = { before, i };
  return true;
}

const nudgeAt = latest(async (it, p) => {
  const r = await call(it, 'nudge', { handles: contour.handles, at: { X: p.x, Y: p.y }, radius: host.view.size / 2 });
  contour.handles = r.body.handles;
  const m = await call(it, 'from-handles', { handles: contour.handles, ...size(it) });
  host.preview(it, maskBytes(m.data.mask));
  contour.forMask = it.mask;
});

export function contourMove(it, p) {
  const d = contour.drag;
  if (!d) return;
  if (d.nudge) { nudgeAt(it, p); return; }
  contour.handles[d.i] = { X: p.x, Y: p.y };
  remask(it, contour.handles.slice());
  host.draw();
}

export function contourUp(it) {
  const d = contour.drag;
  contour.drag = null;
  if (!d) return;
  // The last preview may still be on its way: commit the final handles'
  // mask, against the mask before the drag.
  remask(it, contour.handles.slice(), (m) => host.commit(it, m, d.before));
}

export async function deleteHandle(it) {
  if (!contour.handles || contour.selected < 0) return;
  const before = it.mask;
  try {
    const r = await call(it, 'delete-handle', { handles: contour.handles, index: contour.selected });
    contour.handles = r.body.handles; contour.selected = -1;
    remask(it, contour.handles, (m) => host.commit(it, m, before));
  } catch (err) { host.note('Delete: ' + err.message); }
}

// tidy keeps the mask one region after a stroke: after the brush (fill)
// the region under the stroke's last point p, holes filled; after the
// eraser the largest region.
export async function tidy(it, fill, p) {
  const at = fill && p ? { X: p.x, Y: p.y } : { X: -1, Y: -1 };
  const r = await call(it, 'tidy', { ...size(it), fill, at }, { mask: it.mask.slice().buffer });
  return maskBytes(r.data.mask);
}

// ----- drawing (ctx in image coordinates) -----

export function drawEdit(ctx, it, tool, cursor) {
  const s = host.view.scale;
  ctx.lineWidth = 1.5 / s;
  if (outline.it === it && outline.points.length) {
    const pts = outline.points;
    ctx.strokeStyle = '#4cf';
    ctx.beginPath();
    for (let i = 0; i < pts.length - 1; i++) strokeStretch(ctx, pts[i], pts[i + 1], outline.paths[i]);
    if (outline.hover) strokeStretch(ctx, pts[pts.length - 1], outline.hover, outline.hoverStraight ? null : outline.hoverPath);
    ctx.stroke();
    pts.forEach((q, i) => {
      const r = (i === 0 && pts.length >= 3 ? CLOSE_PX : 3.5) / s;
      ctx.fillStyle = i === 0 ? 'rgba(80, 220, 255, 0.35)' : '#4cf';
      ctx.beginPath(); ctx.arc(q.X, q.Y, r, 0, 2 * Math.PI); ctx.fill();
    });
  }
  if ((tool === 'contour' || tool === 'nudge') && contour.it === it && contour.handles) {
    contour.handles.forEach((h, i) => {
      ctx.fillStyle = i === contour.selected ? '#ff0' : '#fff';
      ctx.strokeStyle = '#000';
      ctx.beginPath(); ctx.arc(h.X, h.Y, 4 / s, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    });
  }
  if (cursor && (tool === 'brush' || tool === 'eraser' || tool === 'nudge')) {
    ctx.strokeStyle = tool === 'eraser' ? '#f66' : '#fff';
    ctx.setLineDash([4 / s, 3 / s]);
    ctx.beginPath(); ctx.arc(cursor.x, cursor.y, host.view.size / 2, 0, 2 * Math.PI); ctx.stroke();
    ctx.setLineDash([]);
  }
}

function strokeStretch(ctx, a, b, path) {
  if (path && path.length) {
    ctx.moveTo(path[0].X, path[0].Y);
    for (const q of path) ctx.lineTo(q.X, q.Y);
  } else {
    ctx.moveTo(a.X, a.Y); ctx.lineTo(b.X, b.Y);
  }
}

// For tests and the status line: where the outline stands.
export function editStatus() {
  return { points: outline.points.length, handles: contour.handles || [], busy: ops > 0 || contour.loading || !!contour.drag };
}

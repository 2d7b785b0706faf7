// The viewer: the selected image on a canvas with the mask's fill and
// contour, pan and zoom, and hand correction (brush, eraser, and the
// outline, contour and nudge tools of edit.js; undo, redo, reset to the
// model's mask); each change is remeasured by the worker.
import { $, $$, state } from './state.js';
import { remeasure } from './workers.js';
import { showDetail } from './detail.js';
import {
  initEdit, editOptions, startOutline, cancelOutline, outlineDown, outlineMove, outlineBackspace,
  closeOutline, outlineActive, editStatus, contourDown, contourMove, contourUp, deleteHandle, handlesFor, tidy, drawEdit,
} from './edit.js';

const UNDO_LIMIT = 30;

const canvas = () => $('#view');
const view = { scale: 1, tx: 0, ty: 0, fitted: true, tool: 'pan', size: 12, show: true, opacity: 0.35, tidy: true };
let hover = null;         // the pointer in image px, for the brush's circle
let imgCanvas = null;     // the grey image
let fillCanvas = null;    // mask pixels, opaque (drawn with globalAlpha)
let edgeCanvas = null;    // contour pixels
let current = null;       // the item shown

// clearView forgets the shown image (its item was removed); draw() then
// paints the empty canvas.
export function clearView() {
  current = null; imgCanvas = null;
}

export function selectItem(id, keepView) {
  const prev = state.selected;
  state.selected = id;
  if (prev && state.items.get(prev)) state.items.get(prev).row.setAttribute('aria-selected', 'false');
  const it = state.items.get(id);
  if (!it) return;
  it.row.setAttribute('aria-selected', 'true');
  showDetail(it);
  if (it.status !== 'done' || !it.gray) {
    current = null; imgCanvas = null;
    $('#canvas-empty').hidden = false;
    $('#canvas-empty').textContent = it.status === 'error' ? 'This file could not be read.' : 'Working on this image…';
    draw();
    return;
  }
  if (current !== it || !keepView) { view.fitted = true; cancelOutline(); }
  current = it;
  $('#canvas-empty').hidden = true;
  imgCanvas = document.createElement('canvas');
  imgCanvas.width = it.width; imgCanvas.height = it.height;
  const ictx = imgCanvas.getContext('2d');
  const data = ictx.createImageData(it.width, it.height);
  const px = data.data;
  for (let i = 0, j = 0; i < it.gray.length; i++, j += 4) {
    const v = it.gray[i];
    px[j] = v; px[j + 1] = v; px[j + 2] = v; px[j + 3] = 255;
  }
  ictx.putImageData(data, 0, 0);
  fillCanvas = document.createElement('canvas');
  edgeCanvas = document.createElement('canvas');
  for (const c of [fillCanvas, edgeCanvas]) { c.width = it.width; c.height = it.height; }
  updateOverlay(0, 0, it.width, it.height);
  draw();
  // Nothing found, or the quality check flagged the mask: say so and start
  // the outline tool, once per item.
  const howTo = 'Outline it: click along the fascia, close on the first point or press Enter (? lists the keys).';
  const r = it.record || {};
  if (!it.autoOutline && !it.mask.some((v) => v)) {
    it.autoOutline = true;
    note('The model found no muscle in this image. ' + howTo);
    setTool('outline');
  } else if (!it.autoOutline && r.quality === 'flagged' && !it.corrected) {
    it.autoOutline = true;
    note(`The quality check flagged this mask${r.quality_reasons ? ' (' + r.quality_reasons + ')' : ''}. ` + howTo);
    setTool('outline');
  } else if (prev !== id) {
    note('');
  }
}

// note shows a line about editing under the toolbar ('' hides it).
function note(text) {
  const n = $('#edit-note');
  n.textContent = text;
  n.hidden = !text;
}

// updateOverlay redraws fill and contour inside [x0,x1)×[y0,y1) (plus a
// pixel of margin: a contour pixel depends on its neighbours).
function updateOverlay(x0, y0, x1, y1) {
  const it = current;
  if (!it) return;
  const W = it.width, H = it.height, m = it.mask;
  x0 = Math.max(0, Math.floor(x0) - 1); y0 = Math.max(0, Math.floor(y0) - 1);
  x1 = Math.min(W, Math.ceil(x1) + 1); y1 = Math.min(H, Math.ceil(y1) + 1);
  const w = x1 - x0, h = y1 - y0;
  if (w <= 0 || h <= 0) return;
  const fctx = fillCanvas.getContext('2d'), ectx = edgeCanvas.getContext('2d');
  const fill = fctx.createImageData(w, h), edge = ectx.createImageData(w, h);
  const fp = fill.data, ep = edge.data;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * W + x;
      if (!m[i]) continue;
      const j = ((y - y0) * w + (x - x0)) * 4;
      fp[j] = 255; fp[j + 1] = 200; fp[j + 2] = 0; fp[j + 3] = 255;
      const border = x === 0 || y === 0 || x === W - 1 || y === H - 1 ||
        !m[i - 1] || !m[i + 1] || !m[i - W] || !m[i + W];
      if (border) { ep[j] = 255; ep[j + 1] = 60; ep[j + 2] = 40; ep[j + 3] = 255; }
    }
  }
  fctx.putImageData(fill, x0, y0);
  ectx.putImageData(edge, x0, y0);
}

function fit() {
  const c = canvas();
  if (!current) return;
  // The largest zoom that shows the whole image: small images open enlarged.
  const s = Math.min(c.width / current.width, c.height / current.height);
  view.scale = s;
  view.tx = (c.width - current.width * s) / 2;
  view.ty = (c.height - current.height * s) / 2;
  view.fitted = true;
}

export function draw() {
  const c = canvas();
  const ctx = c.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#111';
  ctx.fillRect(0, 0, c.width, c.height);
  if (!current || !imgCanvas) return;
  if (view.fitted) fit();
  ctx.imageSmoothingEnabled = view.scale < 1;
  ctx.setTransform(view.scale, 0, 0, view.scale, view.tx, view.ty);
  ctx.drawImage(imgCanvas, 0, 0);
  const r = current.record;
  if (view.show && r && r.field_w) {
    // The ultrasound field the model saw: a thin frame, as in the overlay PNG.
    ctx.strokeStyle = 'rgba(70, 140, 255, 0.8)';
    ctx.lineWidth = 1.5 / view.scale;
    ctx.strokeRect(r.field_x, r.field_y, r.field_w, r.field_h);
  }
  if (view.show) {
    ctx.imageSmoothingEnabled = false;
    ctx.globalAlpha = view.opacity;
    ctx.drawImage(fillCanvas, 0, 0);
    ctx.globalAlpha = 1;
    ctx.drawImage(edgeCanvas, 0, 0);
  }
  ctx.imageSmoothingEnabled = true;
  drawEdit(ctx, current, view.tool, hover);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  // Where the image is on the canvas (canvas pixels), for tests driving the brush.
  c.dataset.view = JSON.stringify({ scale: view.scale, tx: view.tx, ty: view.ty, ratio: c.width / c.clientWidth });
  publishEdit();
}

// publishEdit writes the editing state the tests wait on (busy while an
// edit is on its way to the worker).
function publishEdit() {
  canvas().dataset.edit = JSON.stringify({ tool: view.tool, snap: editOptions.snap, tidy: view.tidy, ...editStatus() });
}

function resizeCanvas() {
  const c = canvas();
  const r = c.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.max(1, Math.round(r.width * dpr));
  c.height = Math.max(1, Math.round(r.height * dpr));
  draw();
}

function zoomAt(factor, cx, cy) {
  if (!current) return;
  const fitScale = Math.min(canvas().width / current.width, canvas().height / current.height);
  const s = Math.min(Math.max(view.scale * factor, fitScale * 0.5), 40);
  view.tx = cx - (cx - view.tx) * (s / view.scale);
  view.ty = cy - (cy - view.ty) * (s / view.scale);
  view.scale = s;
  view.fitted = false;
  draw();
}

// fitMask zooms to the mask's bounding box with a margin (the whole image
// when the mask is empty).
function fitMask() {
  const it = current;
  if (!it) return;
  let x0 = it.width, y0 = it.height, x1 = -1, y1 = -1;
  for (let y = 0; y < it.height; y++) {
    const row = y * it.width;
    for (let x = 0; x < it.width; x++) {
      if (it.mask[row + x]) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
    }
  }
  if (x1 < 0) { view.fitted = true; draw(); return; }
  const c = canvas();
  const m = 0.15 * Math.max(x1 - x0 + 1, y1 - y0 + 1) + 8;
  const w = x1 - x0 + 1 + 2 * m, h = y1 - y0 + 1 + 2 * m;
  const s = Math.min(c.width / w, c.height / h, 40);
  view.scale = s;
  view.tx = c.width / 2 - (x0 + x1 + 1) / 2 * s;
  view.ty = c.height / 2 - (y0 + y1 + 1) / 2 * s;
  view.fitted = false;
  draw();
}

function toImage(e) {
  const c = canvas();
  const r = c.getBoundingClientRect();
  const dpr = c.width / r.width;
  const cx = (e.clientX - r.left) * dpr, cy = (e.clientY - r.top) * dpr;
  return { cx, cy, x: (cx - view.tx) / view.scale, y: (cy - view.ty) / view.scale };
}

// paint sets (brush) or clears (eraser) a disc of the brush's diameter
// along the segment from a to b, in image pixels.
function paint(a, b, value) {
  const it = current;
  const r = view.size / 2;
  const dist = Math.hypot(b.x - a.x, b.y - a.y);
  const steps = Math.max(1, Math.ceil(dist / Math.max(0.5, r / 2)));
  for (let s = 0; s <= steps; s++) {
    const px = a.x + (b.x - a.x) * (s / steps), py = a.y + (b.y - a.y) * (s / steps);
    const xa = Math.max(0, Math.floor(px - r)), xb = Math.min(it.width - 1, Math.ceil(px + r));
    const ya = Math.max(0, Math.floor(py - r)), yb = Math.min(it.height - 1, Math.ceil(py + r));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const dx = x + 0.5 - px, dy = y + 0.5 - py;
        if (dx * dx + dy * dy <= r * r) it.mask[y * it.width + x] = value;
      }
    }
  }
  updateOverlay(Math.min(a.x, b.x) - r, Math.min(a.y, b.y) - r, Math.max(a.x, b.x) + r + 1, Math.max(a.y, b.y) + r + 1);
}

function pushUndo(it, before) {
  it.undo.push(before ? before.slice() : it.mask.slice());
  if (it.undo.length > UNDO_LIMIT) it.undo.shift();
  it.redo = [];
}

function setMask(it, mask) {
  it.mask = mask;
  if (current === it) { updateOverlay(0, 0, it.width, it.height); draw(); }
  remeasure(it, true);
}

function undo() {
  const it = current;
  if (!it || !it.undo.length) return;
  it.redo.push(it.mask);
  setMask(it, it.undo.pop());
}
function redo() {
  const it = current;
  if (!it || !it.redo.length) return;
  it.undo.push(it.mask);
  setMask(it, it.redo.pop());
}
function resetMask() {
  const it = current;
  if (!it) return;
  pushUndo(it);
  setMask(it, it.modelMask.slice());
}

// commit makes mask the item's mask as one undoable step (before: the mask
// to return to, when previews already replaced it).
function commit(it, mask, before) {
  pushUndo(it, before || it.mask);
  setMask(it, mask);
}

// preview shows an edit in progress and remeasures it without saving.
function preview(it, mask) {
  it.mask = mask;
  if (current === it) { updateOverlay(0, 0, it.width, it.height); draw(); }
  remeasure(it, false);
}

export function setupViewer() {
  const c = canvas();
  // For the e2e tests: the shown mask's bytes, base64.
  window.myosegMaskB64 = () => {
    if (!current) return '';
    let bin = '';
    for (let i = 0; i < current.mask.length; i += 8192) bin += String.fromCharCode.apply(null, current.mask.subarray(i, i + 8192));
    return btoa(bin);
  };
  initEdit({ view, draw, status: publishEdit, commit, preview, note, current: () => current });
  new ResizeObserver(resizeCanvas).observe($('#canvas-wrap'));
  let drag = null;
  let spaceDown = false;
  c.addEventListener('pointerdown', (e) => {
    if (!current) return;
    c.focus();
    c.setPointerCapture(e.pointerId);
    const p = toImage(e);
    const panning = view.tool === 'pan' || e.button === 1 || spaceDown;
    if (panning) {
      drag = { mode: 'pan', cx: p.cx, cy: p.cy, tx: view.tx, ty: view.ty };
    } else if (e.button !== 0) {
      // only the left button edits
    } else if (view.tool === 'outline') {
      outlineDown(current, p, e);
    } else if (view.tool === 'contour' || view.tool === 'nudge') {
      const it = current;
      drag = { mode: 'contour', pending: true };
      contourDown(it, p, e, view.tool).then((dragging) => {
        if (drag && drag.mode === 'contour') { if (dragging) drag.pending = false; else drag = null; }
        else if (dragging) contourUp(it); // released before the handles came
      });
    } else {
      pushUndo(current);
      drag = { mode: 'paint', last: p, value: view.tool === 'brush' ? 255 : 0 };
      paint(p, p, drag.value);
      draw();
      remeasure(current, false);
    }
  });
  c.addEventListener('pointermove', (e) => {
    const p = toImage(e);
    hover = p;
    if (!drag) {
      if (view.tool === 'outline') outlineMove(current, p, e);
      else if (view.tool === 'brush' || view.tool === 'eraser' || view.tool === 'nudge') draw();
      return;
    }
    if (drag.mode === 'contour') {
      if (!drag.pending) contourMove(current, p);
      return;
    }
    if (drag.mode === 'pan') {
      view.tx = drag.tx + (p.cx - drag.cx);
      view.ty = drag.ty + (p.cy - drag.cy);
      view.fitted = false;
      draw();
    } else {
      paint(drag.last, p, drag.value);
      drag.last = p;
      draw();
      remeasure(current, false);
    }
  });
  const end = () => {
    const d = drag;
    drag = null;
    if (!d || !current) return;
    if (d.mode === 'contour' && !d.pending) contourUp(current);
    if (d.mode !== 'paint') return;
    if (!view.tidy) { remeasure(current, true); return; }
    // The paper's clean-up after each stroke: one region kept (the brushed
    // one), holes filled after the brush.
    const it = current;
    tidy(it, d.value === 255, d.last).then((m) => {
      it.mask = m;
      if (current === it) { updateOverlay(0, 0, it.width, it.height); draw(); }
      remeasure(it, true);
    }, (err) => { note('Tidy: ' + err.message); remeasure(it, true); });
  };
  c.addEventListener('pointerleave', () => { hover = null; draw(); });
  c.addEventListener('dblclick', (e) => { if (view.tool === 'outline') { e.preventDefault(); closeOutline(); } });
  c.addEventListener('pointerup', end);
  c.addEventListener('pointercancel', end);
  c.addEventListener('wheel', (e) => {
    e.preventDefault();
    const p = toImage(e);
    zoomAt(Math.pow(1.0015, -e.deltaY), p.cx, p.cy);
  }, { passive: false });
  c.addEventListener('keydown', (e) => {
    const step = 40 * (window.devicePixelRatio || 1);
    const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[e.key]) {
      e.preventDefault();
      view.tx += moves[e.key][0]; view.ty += moves[e.key][1]; view.fitted = false;
      draw();
    }
  });
  window.addEventListener('keydown', (e) => { if (e.key === ' ' && e.target === c) { spaceDown = true; e.preventDefault(); } });
  window.addEventListener('keyup', (e) => { if (e.key === ' ') spaceDown = false; });

  const center = () => [canvas().width / 2, canvas().height / 2];
  $('#zoom-in').addEventListener('click', () => zoomAt(1.25, ...center()));
  $('#zoom-out').addEventListener('click', () => zoomAt(0.8, ...center()));
  $('#zoom-fit').addEventListener('click', () => { view.fitted = true; draw(); });
  $('#zoom-mask').addEventListener('click', fitMask);
  $('#snap').addEventListener('change', (e) => setSnap(e.target.checked));
  $('#tidy').addEventListener('change', (e) => setTidy(e.target.checked));
  $('#help-btn').addEventListener('click', () => { $('#help').hidden = !$('#help').hidden; });
  $('#help-close').addEventListener('click', () => { $('#help').hidden = true; });
  $('#show-mask').addEventListener('change', (e) => { view.show = e.target.checked; draw(); });
  $('#opacity').addEventListener('input', (e) => { view.opacity = Number(e.target.value) / 100; draw(); });
  $('#brush-size').addEventListener('input', (e) => setBrushSize(Number(e.target.value)));
  for (const r of $$('input[name=tool]')) r.addEventListener('change', () => setTool(r.value));
  $('#undo').addEventListener('click', undo);
  $('#redo').addEventListener('click', redo);
  $('#reset-mask').addEventListener('click', resetMask);
  setTool('pan');

  // Shortcuts, except while typing in a field.
  window.addEventListener('keydown', (e) => {
    const t = e.target;
    if (t && (t.tagName === 'INPUT' && t.type !== 'range' && t.type !== 'checkbox' && t.type !== 'radio' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    const k = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && k === 'z') { e.preventDefault(); if (e.shiftKey) redo(); else undo(); return; }
    if ((e.ctrlKey || e.metaKey) && k === 'y') { e.preventDefault(); redo(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (view.tool === 'outline' && outlineActive()) {
      if (e.key === 'Enter') { e.preventDefault(); closeOutline(); return; }
      if (e.key === 'Backspace') { e.preventDefault(); outlineBackspace(); return; }
      if (e.key === 'Escape') { e.preventDefault(); cancelOutline(); return; }
    }
    if ((e.key === 'Delete' || e.key === 'Backspace') && view.tool === 'contour' && current) { e.preventDefault(); deleteHandle(current); return; }
    if (e.key === 'Escape') { $('#help').hidden = true; return; }
    if (e.key === '?') { $('#help').hidden = !$('#help').hidden; return; }
    if (k === 'b') setTool('brush');
    else if (k === 'o') setTool('outline');
    else if (k === 'c') setTool('contour');
    else if (k === 'n') setTool('nudge');
    else if (k === 's') setSnap(!editOptions.snap);
    else if (k === 't') setTidy(!view.tidy);
    else if (k === 'f') fitMask();
    else if (k === 'e') setTool('eraser');
    else if (k === 'p') setTool('pan');
    else if (k === 'm') { $('#show-mask').checked = !$('#show-mask').checked; view.show = $('#show-mask').checked; draw(); }
    else if (k === '+' || k === '=') zoomAt(1.25, ...center());
    else if (k === '-') zoomAt(0.8, ...center());
    else if (k === '0') { view.fitted = true; draw(); }
    else if (k === '[') setBrushSize(view.size - 2);
    else if (k === ']') setBrushSize(view.size + 2);
  });
}

function setTool(tool) {
  if (view.tool === 'outline' && tool !== 'outline') cancelOutline();
  view.tool = tool;
  if (tool === 'outline' && current) startOutline(current);
  if ((tool === 'contour' || tool === 'nudge') && current) handlesFor(current);
  draw();
  for (const r of $$('input[name=tool]')) r.checked = r.value === tool;
  canvas().className = 'tool-' + tool;
}
function setSnap(on) {
  editOptions.snap = on;
  $('#snap').checked = on;
  if (view.tool === 'outline' && current && !outlineActive()) startOutline(current);
  draw();
}
function setTidy(on) {
  view.tidy = on;
  $('#tidy').checked = on;
  draw();
}
function setBrushSize(n) {
  view.size = Math.min(80, Math.max(1, n));
  $('#brush-size').value = String(view.size);
  $('#brush-size-out').textContent = `${view.size} px`;
  draw();
}

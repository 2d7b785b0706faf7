// What the page shows but the Go core owns: the muscles (key, label and the
// folder code a dropped folder may carry), the calibration sources' labels
// and the size limits. The first worker answers a "constants" message
// (wasm/main.go); intake waits for it.
import { $$ } from './state.js';

let known = null; // {muscles: [{key, label, code}], calibration: [{key, label}], limits}
let settle;
export const constantsReady = new Promise((resolve) => { settle = resolve; });

// setConstants takes the worker's answer (null when there is none: the
// core did not start) and fills the muscle dropdowns.
export function setConstants(c) {
  known = c;
  if (c) {
    for (const sel of $$('.muscle-select')) {
      for (const m of c.muscles) sel.append(new Option(m.label, m.key));
    }
  }
  settle(c);
}

export function muscleLabel(key) {
  const m = known && key ? known.muscles.find((x) => x.key === key) : null;
  return m ? m.label : '—';
}

// muscleOfCode is the muscle whose folder code is code (BB, TA, …), or ''.
export function muscleOfCode(code) {
  const m = known ? known.muscles.find((x) => x.code && x.code === code.toUpperCase()) : null;
  return m ? m.key : '';
}

export function calibLabel(source) {
  const s = known ? known.calibration.find((x) => x.key === source) : null;
  return (s && s.label) || source;
}

// maxFileBytes is the largest file the core reads (Infinity until known:
// then the worker's own check is the only one).
export const maxFileBytes = () => (known ? known.limits.maxFileBytes : Infinity);

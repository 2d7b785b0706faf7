// What the page shows of the quality check and of how far a z-score may be
// trusted: the "flagged"/"accepted" badge with its reasons, the z-score or
// why there is none, and "research use only" next to every z-score and
// verdict while the model is phantom-trained. The rules live in the core
// (core/clinical/quality, core/pipeline); this module only reads the
// record's quality, quality_reasons and z_note.
import { fmt } from './state.js';

// The core writes these at the start of z_note (core/pipeline, zscore.ResearchOnly).
const RESEARCH = 'research use only';
const WITHHELD = 'not computed: mask flagged';
const NOT_APPLICABLE = 'not applicable';

export function researchTag() {
  const s = document.createElement('span');
  s.className = 'research-only';
  s.textContent = RESEARCH;
  s.title = 'The model was trained on synthetic phantoms only: do not use this number for diagnosis.';
  return s;
}

export const isResearchOnly = (r) => !!r && (r.z_note || '').startsWith(RESEARCH);

// qualityBadge is the row's mark for a flagged or accepted mask (null when ok).
export function qualityBadge(r) {
  if (!r || !r.quality || r.quality === 'ok') return null;
  const b = document.createElement('span');
  b.className = 'quality-' + r.quality;
  b.textContent = r.quality === 'flagged' ? 'check mask' : 'accepted';
  b.title = (r.quality === 'flagged' ? 'The quality check flagged this mask: ' : 'Flagged, then accepted as it is: ') + (r.quality_reasons || '');
  return b;
}

// zNode is the z-score as the table and the detail show it: the number
// (with " — abnormal" when long is set and it is) and the research mark, or
// in words why there is none.
export function zNode(r, long) {
  const f = document.createDocumentFragment();
  if (r.z !== undefined && r.z !== null) {
    f.append(fmt(r.z, 2) + (long && r.abnormal ? ' — abnormal' : ''));
    if (isResearchOnly(r)) f.append(' ', researchTag());
    return f;
  }
  const note = r.z_note || '';
  if (note.startsWith(WITHHELD)) f.append(long ? note : WITHHELD);
  else if (note.startsWith(NOT_APPLICABLE)) f.append(long ? note : NOT_APPLICABLE);
  else f.append('—');
  return f;
}

// readingNode is one patient-level reading under the table: the reading in
// words (zscore's explanation), marked research only when it is.
export function readingNode(rd) {
  const p = document.createElement('p');
  p.dataset.patient = rd.patientId;
  p.dataset.verdict = rd.verdict;
  p.dataset.explanation = rd.explanation || '';
  p.dataset.fired = (rd.fired || []).join(' | ');
  p.dataset.withheld = String(!!rd.withheld);
  const strong = document.createElement('strong');
  strong.textContent = `Patient ${rd.patientId}: `;
  p.append(strong);
  if (rd.researchOnly) p.append(researchTag(), ' ');
  p.append(rd.explanation + (rd.withheld ? '' : ' Same scanner caveat as the z-scores.'));
  return p;
}

// scoreOf is what the patient-level reading needs of one finished item:
// its z-score, or that it is withheld (a flagged mask), or null.
export function scoreOf(muscle, r) {
  if (r.quality === 'flagged') return { muscle, z: 0, withheld: r.quality_reasons || 'mask flagged' };
  if (r.z === undefined || r.z === null) return null;
  return { muscle, z: r.z, researchOnly: isResearchOnly(r) };
}

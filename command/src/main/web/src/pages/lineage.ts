// Value lineage: where one value, by its keyed evidence hash, was seen, first sighting first.
import { api } from '../api';
import { chip, clear, fmtNumber, fmtTime, h } from '../dom';
import { go } from '../route';
import { errorBox, loading, Page } from '../view';

interface Sighting {
  proxy_id: string;
  route: string;
  cluster: string | null;
  direction: string;
  category: string;
  preview: string | null;
  first_seen: string;
  last_seen: string;
  sightings: number;
}

const HASH = /^[0-9a-f]{16,64}$/;

export const lineagePage: Page = async (route, el, live) => {
  const input = h('input', { type: 'text', name: 'hash', size: 66, value: route.arg,
    placeholder: 'evidence hash (16 to 64 hex digits)', pattern: '[0-9a-f]{16,64}',
    'aria-label': 'Evidence hash', required: true });
  const form = h('form', { class: 'filters' }, h('label', {}, 'Evidence hash ', input),
    h('button', { type: 'submit' }, 'Show path'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go('lineage', input.value.trim().toLowerCase());
  });
  const body = h('div', {});
  clear(el, h('h1', {}, 'Value lineage'),
    h('p', { class: 'muted' }, 'The same keyed hash at two proxies or routes is the same value'
      + ' moving between them. Hashes come from findings events\' evidence.'), form, body);
  if (!route.arg) return;
  if (!HASH.test(route.arg)) {
    clear(body, h('div', { class: 'error', role: 'alert', 'data-error': 'input' },
      'Not an evidence hash (expected: 16 to 64 lower-case hex digits).'));
    return;
  }
  clear(body, loading('the path'));
  let data: { evidence_hash: string; path: Sighting[] };
  try {
    data = await api('/api/v1/lineage/' + route.arg);
  } catch (e) {
    if (live()) clear(body, errorBox(e, () => void lineagePage(route, el, live)));
    return;
  }
  if (!live()) return;
  if (data.path.length === 0) {
    clear(body, h('p', { class: 'empty' }, 'This value has not been seen, or its sightings'
      + ' have expired.'));
    return;
  }
  clear(body, h('ol', { class: 'path', 'data-steps': data.path.length },
    data.path.map((s) => h('li', {},
      h('div', { class: 'step-head' }, h('strong', {}, s.proxy_id), ' · ', s.route,
        s.cluster ? ' → ' + s.cluster : '', ' · ', s.direction),
      h('div', {}, chip(s.category), ' ',
        h('span', { class: 'preview' }, s.preview ?? '(no preview)')),
      h('div', { class: 'muted small' }, `first ${fmtTime(s.first_seen)}, last `
        + `${fmtTime(s.last_seen)}, ${fmtNumber(s.sightings)} sightings`)))));
};

// The filter bar shared by the flow pages: time range, category and per-page fields.
import { Child, h } from './dom';
import { go, Route } from './route';

export const RANGES: Record<string, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
  '30d': 30 * 24 * 3_600_000,
};

/** Categories seen on any page, offered in the category field. */
export const knownCategories = new Set<string>();

export function learnCategories(names: Iterable<string>): void {
  for (const n of names) knownCategories.add(n);
  const list = document.getElementById('known-categories');
  if (list) {
    list.replaceChildren(...[...knownCategories].sort().map((c) => h('option', { value: c })));
  }
}

/** The time range of a route: explicit from/to, or the last `range` (default 24h). */
export function timeRange(route: Route): { from: string; to: string } {
  const from = route.params.get('from');
  const to = route.params.get('to');
  if (from && to) return { from, to };
  const now = Date.now();
  const span = RANGES[route.params.get('range') ?? '24h'] ?? RANGES['24h'];
  return { from: new Date(now - span).toISOString(), to: new Date(now).toISOString() };
}

export interface Field {
  name: string;
  label: string;
  options?: string[];
  /** With options: the value when none is chosen (no "any" option then). */
  dflt?: string;
  placeholder?: string;
  pattern?: string;
}

export const CATEGORY: Field = {
  name: 'category', label: 'Category', placeholder: 'any', pattern: '[a-z0-9_.\\-]{1,64}',
};

/** A form of the route's filters; submitting it navigates to the same page with new values. */
export function filterBar(route: Route, fields: Field[], extra: Child = null): HTMLFormElement {
  const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = {};
  const range = h('select', { name: 'range', 'aria-label': 'Time range' },
    Object.keys(RANGES).map((r) => h('option', { value: r }, 'last ' + r)),
    h('option', { value: 'custom' }, 'custom'));
  const explicit = route.params.get('from') && route.params.get('to');
  range.value = explicit ? 'custom' : route.params.get('range') ?? '24h';
  const fromInput = h('input', { name: 'from', type: 'text', size: 22, placeholder: 'from (ISO)',
    value: route.params.get('from') ?? '', 'aria-label': 'From' });
  const toInput = h('input', { name: 'to', type: 'text', size: 22, placeholder: 'to (ISO)',
    value: route.params.get('to') ?? '', 'aria-label': 'To' });
  const custom = h('span', { class: 'custom-range' }, fromInput, ' – ', toInput);
  custom.hidden = range.value !== 'custom';
  range.addEventListener('change', () => {
    custom.hidden = range.value !== 'custom';
  });
  const controls: Child[] = [h('label', {}, 'Time ', range), custom];
  for (const f of fields) {
    let input: HTMLInputElement | HTMLSelectElement;
    if (f.options) {
      input = h('select', { name: f.name },
        f.dflt ? null : h('option', { value: '' }, 'any'),
        f.options.map((o) => h('option', { value: o }, o)));
    } else {
      input = h('input', { name: f.name, type: 'text', placeholder: f.placeholder ?? 'any',
        pattern: f.pattern, list: f.name === 'category' ? 'known-categories' : null,
        size: f.name.endsWith('hash') ? 24 : 14 });
    }
    input.value = route.params.get(f.name) ?? f.dflt ?? '';
    inputs[f.name] = input;
    controls.push(h('label', {}, f.label + ' ', input));
  }
  const list = h('datalist', { id: 'known-categories' },
    [...knownCategories].sort().map((c) => h('option', { value: c })));
  const form = h('form', { class: 'filters', 'data-filters': route.page }, controls, list,
    h('button', { type: 'submit' }, 'Apply'), extra);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (range.value === 'custom') {
      if (fromInput.value) p.set('from', fromInput.value.trim());
      if (toInput.value) p.set('to', toInput.value.trim());
    } else if (range.value !== '24h') {
      p.set('range', range.value);
    }
    for (const f of fields) {
      const v = inputs[f.name].value.trim();
      if (v && v !== f.dflt) p.set(f.name, v);
    }
    go(route.page, route.arg, p);
  });
  return form;
}

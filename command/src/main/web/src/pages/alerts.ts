// Alerts: fired alerts (firing, resolved, all), alert rules and silences.
import { api, session } from '../api';
import { clear, h, objectTable } from '../dom';
import { href } from '../route';
import { errorBox, Page, section } from '../view';

type Obj = Record<string, unknown>;

function list(data: unknown, key: string): Obj[] {
  if (Array.isArray(data)) return data as Obj[];
  if (data && typeof data === 'object' && Array.isArray((data as Obj)[key])) {
    return (data as Obj)[key] as Obj[];
  }
  return [];
}

function deleteColumn(path: string, refresh: () => void) {
  return {
    title: '',
    cell: (r: Obj) => {
      if (r.id === undefined) return null;
      const b = h('button', { type: 'button', 'data-action': 'delete', onclick: () => {
        api(`${path}/${encodeURIComponent(String(r.id))}`, { method: 'DELETE' })
          .then(refresh)
          .catch((err) => b.replaceWith(errorBox(err)));
      } }, 'Delete');
      return b;
    },
  };
}

/** A form posting a JSON object to `path` (the plane validates it and says what was wrong). */
function jsonForm(title: string, path: string, example: string, refresh: () => void):
  HTMLElement {
  const text = h('textarea', { rows: 5, cols: 80, spellcheck: 'false', placeholder: example,
    'aria-label': title });
  const result = h('div', {});
  const form = h('form', { class: 'write', 'data-form': title.toLowerCase().replace(/ /g, '-') },
    h('h3', {}, title), text,
    h('button', { type: 'submit' }, 'Create'), result);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(text.value);
    } catch {
      clear(result, h('div', { class: 'error', role: 'alert' }, 'Not JSON (expected: an object'
        + ' such as ' + example + ').'));
      return;
    }
    api(path, { method: 'POST', body }).then(() => {
      clear(result, h('p', { class: 'ok' }, 'Created.'));
      refresh();
    }).catch((err) => clear(result, errorBox(err)));
  });
  return form;
}

export const alertsPage: Page = async (route, el, live) => {
  const state = route.params.get('state') ?? 'firing';
  const alertsEl = h('div', { id: 'alerts-list' });
  const rulesEl = h('div', { id: 'alert-rules' });
  const silencesEl = h('div', { id: 'silences' });
  const admin = session.mayWrite();
  const rules = () => void section(rulesEl, 'the alert rules', live, async () =>
    objectTable(list(await api('/api/v1/alert-rules'), 'rules'), 'No alert rule.',
      ['id', 'kind', 'source', 'category', 'route', 'threshold', 'window'],
      admin ? deleteColumn('/api/v1/alert-rules', rules) : undefined));
  const silences = () => void section(silencesEl, 'the silences', live, async () =>
    objectTable(list(await api('/api/v1/silences'), 'silences'), 'No silence.',
      ['id', 'state', 'matchers', 'ends', 'created_by', 'comment'],
      admin ? deleteColumn('/api/v1/silences', silences) : undefined));
  clear(el, h('h1', {}, 'Alerts'),
    h('nav', { class: 'tabs', 'aria-label': 'Alert state' }, ['firing', 'resolved', 'all'].map(
      (s) => h('a', { href: href('alerts', '', { state: s }),
        class: s === state ? 'active' : null }, s))),
    alertsEl,
    h('h2', {}, 'Rules'), rulesEl,
    admin ? jsonForm('New rule', '/api/v1/alert-rules',
      '{"id": "cards-new-edge", "kind": "new_category_on_edge", "category": "credit_card"}',
      rules) : null,
    h('h2', {}, 'Silences'), silencesEl,
    admin ? jsonForm('New silence', '/api/v1/silences',
      '{"rule": "cards-new-edge", "duration": "2h", "comment": "known"}',
      silences) : null);
  void section(alertsEl, 'the alerts', live, async () =>
    objectTable(list(await api('/api/v1/alerts?state=' + encodeURIComponent(state)), 'alerts'),
      state === 'firing' ? 'No alert is firing.' : 'No alerts.',
      ['state', 'rule', 'summary', 'value', 'started', 'resolved', 'notification']));
  rules();
  silences();
};

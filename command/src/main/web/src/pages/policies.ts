// Policy and proxy configuration versions (list, body, diff, new version) and rollouts (shadow or
// canary start, promote, abort).
import { api, ApiError, session } from '../api';
import { Child, clear, fmtNumber, fmtTime, h, objectTable, scalar, table } from '../dom';
import { go, href } from '../route';
import { errorBox, Page, section } from '../view';

type Obj = Record<string, unknown>;

/** The two kinds of distributed documents: policies, and proxy configurations. */
type Kind = 'policy' | 'config';

const KINDS: Record<Kind, { collection: string; title: string; plural: string; yaml: string }> = {
  policy: { collection: 'policies', title: 'Policy', plural: 'Policies', yaml: 'policy YAML' },
  config: { collection: 'configs', title: 'Proxy configuration', plural: 'Proxy configurations',
    yaml: 'custos.yaml without its command section' },
};

function kindOf(params: URLSearchParams): Kind {
  return params.get('kind') === 'config' ? 'config' : 'policy';
}

/** The route parameters of a document's page: the kind only when it is not a policy. */
function kindParams(kind: Kind, extra: Record<string, string> = {}): Record<string, string> {
  return kind === 'config' ? { ...extra, kind } : extra;
}

interface Rollout {
  id: number | string;
  kind?: string;
  policy?: string;
  config?: string;
  version: number;
  enforce: boolean;
  proxies: string[];
  state: string;
  created: string;
  created_by: string;
  status?: { proxy_id: string; running_version: number | string | null }[];
  would_have_blocked?: { events: number; by_rule: Record<string, number> };
}

function list(data: unknown, key: string): Obj[] {
  if (Array.isArray(data)) return data as Obj[];
  if (data && typeof data === 'object' && Array.isArray((data as Obj)[key])) {
    return (data as Obj)[key] as Obj[];
  }
  return [];
}

function latest(p: Obj): unknown {
  const l = p.latest;
  if (l && typeof l === 'object' && 'version' in l) return (l as Obj).version;
  return p.latest_version ?? p.version;
}

/** Problems of a refused write: the error, and a list of problems when the plane gave one. */
function problems(e: unknown): HTMLElement {
  const box = errorBox(e);
  if (e instanceof ApiError && e.body && typeof e.body === 'object') {
    const ps = (e.body as Obj).problems;
    if (Array.isArray(ps)) {
      box.appendChild(h('ul', {}, ps.map((p) => h('li', {}, scalar(p)))));
    }
  }
  return box;
}

function diffView(diff: string): HTMLElement {
  if (!diff) return h('p', { class: 'muted' }, 'First version: no diff.');
  return h('pre', { class: 'diff', 'data-diff': true }, diff.split('\n').map((line) => h('span', {
    class: line.startsWith('+++') || line.startsWith('---') ? 'd-file'
      : line.startsWith('+') ? 'd-add' : line.startsWith('-') ? 'd-del'
        : line.startsWith('@@') ? 'd-hunk' : null,
  }, line + '\n')));
}

function newVersionForm(kind: Kind, name: string, onDone: (version: unknown) => void):
  HTMLElement {
  const k = KINDS[kind];
  const nameInput = h('input', { type: 'text', name: 'name', value: name, required: true,
    pattern: '[A-Za-z0-9._\\-]{1,64}', placeholder: k.title.toLowerCase() + ' name',
    'aria-label': k.title + ' name' });
  const bodyInput = h('textarea', { name: 'body', rows: 12, cols: 80, required: true,
    placeholder: k.yaml, spellcheck: 'false', 'aria-label': k.title + ' YAML' });
  const comment = h('input', { type: 'text', name: 'comment', size: 60,
    placeholder: 'what changed', 'aria-label': 'Comment' });
  const result = h('div', {});
  const form = h('form', { class: 'write', 'data-form': kind + '-version' },
    h('h2', {}, kind === 'policy' ? 'New version' : 'New configuration version'), h('label', {}, 'Name ', nameInput), bodyInput,
    h('label', {}, 'Comment ', comment), h('button', { type: 'submit' }, 'Store version'), result);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = nameInput.value.trim();
    clear(result, h('span', { class: 'muted' }, 'Validating…'));
    api<Obj>(`/api/v1/${k.collection}/${encodeURIComponent(n)}/versions`, { method: 'POST',
      body: { body: bodyInput.value, comment: comment.value } })
      .then((v) => {
        clear(result, h('p', { class: 'ok' }, `Stored version ${scalar(v.version)}.`));
        onDone(v.version);
        go('policies', n, kindParams(kind, { version: String(v.version ?? '') }));
      })
      .catch((err) => clear(result, problems(err)));
  });
  return form;
}

export const policiesPage: Page = async (route, el, live) => {
  if (route.arg) {
    await policyPage(kindOf(route.params), route.arg, route.params.get('version'), el, live);
    return;
  }
  const listEl = h('div', {});
  const configsEl = h('div', {});
  clear(el, h('h1', {}, 'Policies'),
    h('p', { class: 'muted' }, 'Stored policies with their versions, authors and diffs;'
      + ' proxies pull the version their rollout names.'), listEl,
    session.mayWrite() ? newVersionForm('policy', '', () => {}) : null,
    h('h1', {}, 'Proxy configurations'),
    h('p', { class: 'muted' }, 'Stored proxy configurations (custos.yaml without its command'
      + ' section), pulled by proxies with command.config; rolled out to a few proxies first,'
      + ' then to all.'), configsEl,
    session.mayWrite() ? newVersionForm('config', '', () => {}) : null);
  const documents = (kind: Kind, target: HTMLElement, empty: string) =>
    section(target, 'the ' + KINDS[kind].plural.toLowerCase(), live, async () => {
      const docs = list(await api('/api/v1/' + KINDS[kind].collection), KINDS[kind].collection);
      return table<Obj>([
        { title: 'name', cell: (p) => h('a', { href: href('policies', String(p.name),
          kindParams(kind)) }, String(p.name)) },
        { title: 'latest version', cell: (p) => scalar(latest(p)), numeric: true },
        { title: 'author', cell: (p) => scalar(p.author ?? (p.latest as Obj | undefined)
          ?.author) },
        { title: 'created', cell: (p) => fmtTime(p.created ?? (p.latest as Obj | undefined)
          ?.created) },
      ], docs, empty, { 'data-table': KINDS[kind].collection });
    });
  await documents('policy', listEl, 'No policy stored yet.');
  await documents('config', configsEl, 'No proxy configuration stored yet.');
};

async function policyPage(kind: Kind, name: string, version: string | null, el: HTMLElement,
  live: () => boolean): Promise<void> {
  const k = KINDS[kind];
  const versionsEl = h('div', {});
  const detail = h('div', {});
  clear(el, h('p', {}, h('a', { href: href('policies') }, '← Policies')),
    h('h1', {}, k.title + ' ', h('code', {}, name)), versionsEl, detail,
    session.mayWrite() ? newVersionForm(kind, name, () => {}) : null);
  let newest: unknown = null;
  const base = `/api/v1/${k.collection}/${encodeURIComponent(name)}`;
  await section(versionsEl, 'the versions', live, async () => {
    const versions = list(await api(base), 'versions');
    newest = versions.map((v) => Number(v.version)).reduce((a, b) => Math.max(a, b), 0) || null;
    return table<Obj>([
      { title: 'version', cell: (v) => h('a', { href: href('policies', name,
        kindParams(kind, { version: String(v.version) })) }, scalar(v.version)), numeric: true },
      { title: 'author', cell: (v) => scalar(v.author) },
      { title: 'created', cell: (v) => fmtTime(v.created) },
      { title: 'comment', cell: (v) => scalar(v.comment) },
      { title: 'sha256', cell: (v) => h('code', { class: 'hash' },
        String(v.sha256 ?? '').slice(0, 12)) },
    ], versions, 'No versions.', { 'data-table': 'versions' });
  });
  const shown = version ?? (newest === null ? null : String(newest));
  if (!shown) return;
  await section(detail, 'version ' + shown, live, async () => {
    const v = await api<Obj>(`${base}/versions/` + encodeURIComponent(shown));
    // The next version starts from the one shown.
    const draft = el.querySelector<HTMLTextAreaElement>(
      `form[data-form=${kind}-version] textarea`);
    if (draft && !draft.value) draft.value = String(v.body ?? '');
    return [
      h('h2', {}, `Version ${scalar(v.version)}`),
      h('p', { class: 'muted' }, `by ${scalar(v.author)}, ${fmtTime(v.created)}`
        + (v.comment ? ` — ${scalar(v.comment)}` : '')),
      session.mayWrite() ? h('p', {}, h('a', { class: 'button', href: href('rollouts', '',
        { [kind]: name, version: String(v.version) }) }, kind === 'policy'
        ? 'Start a shadow rollout of this version'
        : 'Start a canary rollout of this version')) : null,
      h('h3', {}, 'Diff against the previous version'), diffView(String(v.diff ?? '')),
      h('h3', {}, 'Body'), h('pre', { class: 'body' }, String(v.body ?? '')),
    ];
  });
}

function rolloutForm(kind: Kind, name: string, version: string, proxies: Obj[],
  onDone: () => void): HTMLElement {
  const kindInput = h('select', { name: 'kind', 'aria-label': 'Kind' },
    h('option', { value: 'policy', selected: kind === 'policy' }, 'policy'),
    h('option', { value: 'config', selected: kind === 'config' }, 'proxy configuration'));
  const policyInput = h('input', { type: 'text', name: kind, value: name, required: true,
    'aria-label': 'Name' });
  const versionInput = h('input', { type: 'number', name: 'version', value: version, min: 1,
    required: true, 'aria-label': 'Version' });
  const all = h('input', { type: 'checkbox', name: 'all', value: '*', checked: true });
  const boxes = proxies.map((p) => h('input', { type: 'checkbox', name: 'proxy',
    value: String(p.proxy_id) }));
  const enforce = h('input', { type: 'checkbox', name: 'enforce' });
  const result = h('div', {});
  const form = h('form', { class: 'write', 'data-form': 'rollout' },
    h('h2', {}, 'Start a rollout'),
    h('label', {}, 'Kind ', kindInput), ' ', h('label', {}, 'Name ', policyInput), ' ',
    h('label', {}, 'Version ', versionInput),
    h('fieldset', {}, h('legend', {}, 'Proxies'), h('label', {}, all, ' all proxies (*)'),
      boxes.map((b) => h('label', {}, b, ' ' + b.value))),
    h('label', { 'data-for': 'policy' }, enforce, ' enforce now (leave unchecked for shadow'
      + ' mode: rules only report what they would have blocked)'),
    h('p', { class: 'muted', 'data-for': 'config' }, 'A configuration is always applied: start'
      + ' it on a few proxies (the canary), then promote it to all proxies.'),
    h('button', { type: 'submit' }, 'Start rollout'), result);
  const showKind = () => {
    const k = kindInput.value === 'config' ? 'config' : 'policy';
    policyInput.setAttribute('name', k);
    form.querySelectorAll<HTMLElement>('[data-for]').forEach((x) => {
      x.hidden = x.dataset.for !== k;
    });
  };
  kindInput.addEventListener('change', showKind);
  showKind();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const chosen = all.checked ? ['*'] : boxes.filter((b) => b.checked).map((b) => b.value);
    if (chosen.length === 0) {
      clear(result, h('div', { class: 'error', role: 'alert' },
        'Choose at least one proxy, or all.'));
      return;
    }
    clear(result, h('span', { class: 'muted' }, 'Starting…'));
    const body: Obj = kindInput.value === 'config'
      ? { config: policyInput.value.trim(), version: Number(versionInput.value), proxies: chosen }
      : { policy: policyInput.value.trim(), version: Number(versionInput.value),
        proxies: chosen, enforce: enforce.checked };
    api<Obj>('/api/v1/rollouts', { method: 'POST', body })
      .then((r) => {
        clear(result, h('p', { class: 'ok', 'data-rollout': scalar(r.id) },
          `Rollout ${scalar(r.id)} started (${scalar(r.state)}).`));
        onDone();
      })
      .catch((err) => clear(result, problems(err)));
  });
  return form;
}

function rolloutActions(r: Rollout, refresh: () => void): Child {
  if (!session.mayWrite() || r.state === 'aborted') return null;
  const out = h('span', { class: 'actions' });
  const act = (label: string, path: string, body?: unknown) => h('button', { type: 'button',
    'data-action': label, onclick: () => {
      api(`/api/v1/rollouts/${encodeURIComponent(String(r.id))}/${path}`,
        { method: 'POST', body: body ?? {} })
        .then(refresh)
        .catch((err) => out.appendChild(errorBox(err)));
    } }, label);
  if (!r.enforce) out.appendChild(act('enforce', 'promote', { enforce: true }));
  // promote enforces unless told otherwise: widening keeps the rollout's current mode.
  if (!r.proxies.includes('*')) {
    out.appendChild(act('all proxies', 'promote', { proxies: ['*'], enforce: r.enforce }));
  }
  out.appendChild(act('abort', 'abort'));
  return out;
}

export const rolloutsPage: Page = async (route, el, live) => {
  const listEl = h('div', {});
  const proxiesEl = h('div', {});
  const formEl = h('div', {});
  clear(el, h('h1', {}, 'Rollouts'),
    h('p', { class: 'muted' }, 'A rollout runs a policy version on some proxies, in shadow mode'
      + ' first (rules report what they would have blocked) and then enforcing; or a proxy'
      + ' configuration on a few proxies first (a canary), then on all.'),
    formEl, listEl, h('h2', {}, 'Proxies'), proxiesEl);
  const refresh = () => void section(listEl, 'the rollouts', live, async () => {
    const rollouts = list(await api('/api/v1/rollouts'), 'rollouts') as unknown as Rollout[];
    return table<Rollout>([
      { title: 'id', cell: (r) => scalar(r.id), numeric: true },
      { title: 'document', cell: (r) => {
        const kind: Kind = r.kind === 'proxy_config' ? 'config' : 'policy';
        const name = String((kind === 'config' ? r.config : r.policy) ?? '');
        return [kind === 'config' ? 'config ' : '', h('a', { href: href('policies', name,
          kindParams(kind, { version: String(r.version) })) }, `${name} v${r.version}`)];
      } },
      { title: 'state', cell: (r) => h('span', { class: 'state state-' + r.state,
        'data-state': r.state }, r.state) },
      { title: 'proxies', cell: (r) => (r.proxies ?? []).join(', ') },
      { title: 'running', cell: (r) => (r.status ?? []).map((s) =>
        `${s.proxy_id}: ${scalar(s.running_version)}`).join(', ') || '–' },
      { title: 'would have blocked', cell: (r) => r.would_have_blocked
        ? [fmtNumber(r.would_have_blocked.events), ' ', h('span', { class: 'muted' },
          Object.entries(r.would_have_blocked.by_rule ?? {}).map(([k, n]) => `${k}: ${n}`)
            .join(', '))] : '–' },
      { title: 'created', cell: (r) => `${fmtTime(r.created)} by ${scalar(r.created_by)}` },
      { title: '', cell: (r) => rolloutActions(r, refresh) },
    ], rollouts, 'No rollout yet.', { 'data-table': 'rollouts' });
  });
  let proxies: Obj[] = [];
  await section(proxiesEl, 'the proxies', live, async () => {
    proxies = list(await api('/api/v1/proxies'), 'proxies');
    return objectTable(proxies, 'No proxy has reported yet.', ['proxy_id', 'token_name',
      'config_version', 'policy', 'config', 'last_seen']);
  });
  if (!live()) return;
  if (session.mayWrite()) {
    const config = route.params.get('config');
    clear(formEl, rolloutForm(config ? 'config' : 'policy',
      config ?? route.params.get('policy') ?? '', route.params.get('version') ?? '', proxies,
      refresh));
  }
  refresh();
};

// The findings list with filters: categories, counts, previews and hashes only.
import { api, query } from '../api';
import { categoryChips, Child, clear, fmtNumber, fmtTime, h, shortHash, table } from '../dom';
import { CATEGORY, filterBar, learnCategories, timeRange } from '../filters';
import { href, Route } from '../route';
import { errorBox, loading, Page } from '../view';

interface Evidence {
  category: string;
  hash: string;
  preview?: string | null;
}

interface FindingEvent {
  time: string;
  proxy_id: string;
  route: string;
  cluster: string | null;
  service: string | null;
  protocol: string;
  direction: string;
  identity_hash: string;
  action: string;
  blocked_by: string | null;
  shadow: boolean;
  categories: Record<string, number>;
  findings: number;
  evidence?: Evidence[];
}

interface Events {
  events: FindingEvent[];
  next_before: string | null;
}

const FILTERS = ['category', 'route', 'proxy_id', 'identity_hash', 'action', 'shadow'];

function evidence(e: FindingEvent): Child {
  if (!e.evidence || e.evidence.length === 0) return null;
  return h('ul', { class: 'evidence' }, e.evidence.map((v) => h('li', {},
    h('span', { class: 'preview' }, v.preview ?? '(no preview)'), ' ',
    h('a', { href: href('lineage', v.hash), title: 'lineage of ' + v.hash, class: 'hash' },
      shortHash(v.hash)))));
}

function rows(events: FindingEvent[]): HTMLElement {
  return table([
    { title: 'time', cell: (e) => fmtTime(e.time) },
    { title: 'proxy', cell: (e) => e.proxy_id },
    { title: 'route', cell: (e) => [e.route, e.cluster ? h('span', { class: 'muted' },
      ' → ' + e.cluster) : null] },
    { title: 'service', cell: (e) => e.service ?? '–' },
    { title: 'dir', cell: (e) => e.direction },
    { title: 'identity', cell: (e) => h('a', { href: href('findings', '',
      { identity_hash: e.identity_hash }), title: e.identity_hash, class: 'hash' },
    shortHash(e.identity_hash)) },
    { title: 'action', cell: (e) => [h('span', { class: 'action action-' + e.action }, e.action),
      e.blocked_by ? h('span', { class: 'muted' }, ' by ' + e.blocked_by) : null,
      e.shadow ? h('span', { class: 'tag' }, 'shadow') : null] },
    { title: 'categories', cell: (e) => [categoryChips(e.categories), evidence(e)] },
    { title: 'findings', cell: (e) => fmtNumber(e.findings), numeric: true },
  ], events, 'No findings match these filters.', { 'data-table': 'findings' });
}

function eventsQuery(route: Route, before: string | null): string {
  const { from, to } = timeRange(route);
  const p: Record<string, string | number | null> = { from, to, limit: 100, before };
  for (const f of FILTERS) p[f] = route.params.get(f);
  return '/api/v1/events' + query(p);
}

export const findingsPage: Page = async (route, el, live) => {
  const body = h('div', {}, loading('the findings'));
  clear(el, h('h1', {}, 'Findings'),
    h('p', { class: 'muted' }, 'Messages in which values were found, newest first: categories'
      + ' and counts, masked previews and keyed hashes, never a value.'),
    filterBar(route, [CATEGORY, { name: 'route', label: 'Route' },
      { name: 'proxy_id', label: 'Proxy' },
      { name: 'identity_hash', label: 'Identity', pattern: '[0-9a-f]{1,128}' },
      { name: 'action', label: 'Action', options: ['observe', 'redact', 'alert', 'block'] },
      { name: 'shadow', label: 'Shadow', options: ['true', 'false'] }]), body);
  const all: FindingEvent[] = [];
  const more = async (before: string | null): Promise<void> => {
    let data: Events;
    try {
      data = await api<Events>(eventsQuery(route, before));
    } catch (e) {
      if (live()) clear(body, errorBox(e, () => void findingsPage(route, el, live)));
      return;
    }
    if (!live()) return;
    all.push(...data.events);
    learnCategories(all.flatMap((e) => Object.keys(e.categories ?? {})));
    const next = data.next_before;
    clear(body, h('p', { class: 'muted small', 'data-count': all.length },
      `${all.length} shown`), rows(all),
    next ? h('button', { type: 'button', class: 'more', onclick: () => void more(next) },
      'Older findings') : null);
  };
  await more(null);
};


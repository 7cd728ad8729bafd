// Top identities by sensitive data pulled.
import { api, query } from '../api';
import { chip, clear, fmtNumber, h, shortHash, table } from '../dom';
import { CATEGORY, filterBar, learnCategories, timeRange } from '../filters';
import { href } from '../route';
import { errorBox, loading, Page } from '../view';

interface Identity {
  identity_hash: string;
  service: string | null;
  findings: number;
  distinct_values: number;
  categories: Record<string, number>;
  distinct_by_category?: Record<string, number>;
}

export const identitiesPage: Page = async (route, el, live) => {
  const body = h('div', {}, loading('the top identities'));
  clear(el, h('h1', {}, 'Top identities'),
    h('p', { class: 'muted' }, 'Callers that received the most sensitive values, by keyed'
      + ' identity hash.'), filterBar(route, [CATEGORY]), body);
  const { from, to } = timeRange(route);
  let data: { identities: Identity[] };
  try {
    data = await api('/api/v1/identities/top' + query({ from, to,
      category: route.params.get('category'), limit: 50 }));
  } catch (e) {
    if (live()) clear(body, errorBox(e, () => void identitiesPage(route, el, live)));
    return;
  }
  if (!live()) return;
  learnCategories(data.identities.flatMap((i) => Object.keys(i.categories ?? {})));
  clear(body, table([
    { title: 'identity', cell: (i) => h('a', { href: href('findings', '',
      { identity_hash: i.identity_hash }), title: i.identity_hash, class: 'hash' },
    shortHash(i.identity_hash)) },
    { title: 'service', cell: (i) => i.service ?? '–' },
    { title: 'findings', cell: (i) => fmtNumber(i.findings), numeric: true },
    { title: 'distinct values', cell: (i) => fmtNumber(i.distinct_values), numeric: true },
    { title: 'categories (findings, distinct)', cell: (i) => Object.entries(i.categories ?? {})
      .map(([c, n]) => chip(c, `${c} ×${n}` + (i.distinct_by_category?.[c] !== undefined
        ? ` (${i.distinct_by_category[c]} distinct)` : ''))) },
  ], data.identities, 'No identities received sensitive data in this time range.',
  { 'data-table': 'identities' }));
};

// Service map by category: callers (services, or identities without a service) to routes.
import cytoscape from 'cytoscape';
import { api, query } from '../api';
import { categoryColor, chip, clear, fmtNumber, h, shortHash, table } from '../dom';
import { CATEGORY, filterBar, learnCategories, timeRange } from '../filters';
import { go, href, Route } from '../route';
import { errorBox, loading, Page } from '../view';

export interface MapNode {
  id: string;
  kind: 'service' | 'identity' | 'route';
  label: string;
}

export interface MapEdge {
  source: string;
  target: string;
  category: string;
  events: number;
  findings: number;
  distinct_values: number;
  blocked: number;
  would_have_blocked: number;
}

export interface FlowMap {
  nodes: MapNode[];
  edges: MapEdge[];
  truncated?: boolean;
}

async function load(route: Route): Promise<FlowMap> {
  const { from, to } = timeRange(route);
  const category = route.params.get('category');
  return api<FlowMap>('/api/v1/map' + query({ from, to, category }));
}

/**
 * The findings filter of a route node: /api/v1/map names a route "proxy_id route" (proxy ids
 * hold no space).
 */
function routeFilter(id: string): Record<string, string> {
  const value = id.startsWith('route:') ? id.slice('route:'.length) : id;
  const space = value.indexOf(' ');
  return space < 0 ? { route: value }
    : { proxy_id: value.slice(0, space), route: value.slice(space + 1) };
}

function label(n: MapNode): string {
  return n.kind === 'identity' ? 'id ' + shortHash(n.label) : n.label;
}

/**
 * Places callers in a left column (most findings first) and routes in a right one, each route
 * at the mean rank of its callers, so that few edges cross. Deterministic.
 */
function columns(map: FlowMap): Map<string, { x: number; y: number }> {
  const findings = new Map<string, number>();
  for (const e of map.edges) findings.set(e.source, (findings.get(e.source) ?? 0) + e.findings);
  const callers = map.nodes.filter((n) => n.kind !== 'route')
    .sort((a, b) => (findings.get(b.id) ?? 0) - (findings.get(a.id) ?? 0)
      || a.id.localeCompare(b.id));
  const rank = new Map(callers.map((n, i) => [n.id, i]));
  const mean = (id: string): number => {
    const ranks = map.edges.filter((e) => e.target === id).map((e) => rank.get(e.source) ?? 0);
    return ranks.length ? ranks.reduce((a, b) => a + b, 0) / ranks.length : 0;
  };
  const routes = map.nodes.filter((n) => n.kind === 'route')
    .map((n) => ({ n, m: mean(n.id) }))
    .sort((a, b) => a.m - b.m || a.n.id.localeCompare(b.n.id)).map((r) => r.n);
  const gap = 80;
  const height = Math.max(callers.length, routes.length) * gap;
  const out = new Map<string, { x: number; y: number }>();
  const place = (nodes: MapNode[], x: number) => {
    const offset = (height - nodes.length * gap) / 2;
    nodes.forEach((n, i) => out.set(n.id, { x, y: offset + i * gap }));
  };
  place(callers, 0);
  place(routes, Math.max(420, height * 0.9));
  return out;
}

function draw(container: HTMLElement, map: FlowMap): cytoscape.Core {
  const maxFindings = Math.max(1, ...map.edges.map((e) => e.findings));
  const positions = columns(map);
  const cy = cytoscape({
    container,
    elements: [
      ...map.nodes.map((n) => ({ group: 'nodes' as const, position: positions.get(n.id),
        data: { id: n.id, kind: n.kind, label: label(n) } })),
      ...map.edges.map((e, i) => ({ group: 'edges' as const, data: {
        id: 'e' + i, source: e.source, target: e.target, category: e.category,
        label: `${e.category} ${e.findings}` + (e.blocked > 0 ? ` (${e.blocked} blocked)` : '')
          + (e.would_have_blocked > 0 ? ` (${e.would_have_blocked} would have been blocked)`
            : ''),
        color: categoryColor(e.category), blocked: e.blocked, shadow: e.would_have_blocked,
        width: 1.5 + 6 * Math.log1p(e.findings) / Math.log1p(maxFindings),
      } })),
    ],
    style: [
      { selector: 'node', style: {
        label: 'data(label)', 'font-size': 12, color: '#1b2733', 'text-valign': 'center',
        'background-color': '#4a6fa5', width: 26, height: 26,
      } },
      { selector: 'node[kind != "route"]', style: { 'text-halign': 'left', 'text-margin-x': -8 } },
      { selector: 'node[kind = "route"]', style: { 'text-halign': 'right', 'text-margin-x': 8,
        'background-color': '#1f4e79', shape: 'diamond', width: 30, height: 30 } },
      { selector: 'node[kind = "identity"]', style: { 'background-color': '#8a6d3b',
        shape: 'ellipse' } },
      { selector: 'node[kind = "service"]', style: { 'background-color': '#2f7d5b',
        shape: 'round-rectangle' } },
      { selector: 'edge', style: {
        width: 'data(width)', 'line-color': 'data(color)', 'target-arrow-color': 'data(color)',
        'target-arrow-shape': 'triangle', 'curve-style': 'bezier', label: 'data(label)',
        'font-size': 10, color: '#333', 'text-background-color': '#fff',
        'text-background-opacity': 0.85, 'text-rotation': 'autorotate',
      } },
      { selector: 'edge[shadow > 0]', style: { 'line-style': 'dotted' } },
      { selector: 'edge[blocked > 0]', style: { 'line-style': 'dashed' } },
    ],
    layout: { name: 'preset', padding: 30 },
    wheelSensitivity: 0.3,
  });
  // Room for the labels beside the columns.
  cy.fit(undefined, 30);
  cy.zoom({ level: Math.min(cy.zoom() * 0.8, 1.6), renderedPosition: { x: container.clientWidth
    / 2, y: container.clientHeight / 2 } });
  cy.on('tap', 'node', (evt) => {
    const id = String(evt.target.id());
    if (id.startsWith('identity:')) {
      go('findings', '', { identity_hash: id.slice('identity:'.length) });
    } else if (id.startsWith('route:')) {
      go('findings', '', routeFilter(id));
    }
  });
  return cy;
}

export const mapPage: Page = async (route, el, live) => {
  const body = h('div', { class: 'map-body' }, loading('the service map'));
  clear(el, h('h1', {}, 'Service map'),
    h('p', { class: 'muted' }, 'Who receives which categories through which routes: callers'
      + ' (services, or identities without a service) on the left, routes on the right;'
      + ' edge width grows with findings, dashed where messages were blocked, dotted where a'
      + ' policy in shadow mode would have blocked them (and nothing was blocked). Click an'
      + ' identity or a route for its findings.'),
    filterBar(route, [CATEGORY]), body);
  let map: FlowMap;
  try {
    map = await load(route);
  } catch (e) {
    if (live()) clear(body, errorBox(e, () => void mapPage(route, el, live)));
    return;
  }
  if (!live()) return;
  learnCategories(map.edges.map((e) => e.category));
  if (map.edges.length === 0) {
    clear(body, h('p', { class: 'empty', 'data-map-empty': true },
      'No flows in this time range' + (route.params.get('category') ? ' for this category.'
        : '.')));
    return;
  }
  const graph = h('div', { class: 'graph', id: 'map-graph', role: 'img',
    'aria-label': 'Service map' });
  const labels = new Map(map.nodes.map((n) => [n.id, label(n)]));
  const edges = [...map.edges].sort((a, b) => b.findings - a.findings);
  clear(body, graph,
    h('p', { class: 'muted small' }, map.truncated ? 'Only the edges with the most findings are'
      + ' shown: narrow the time range or pick a category.' : ''),
    h('h2', {}, 'Edges'),
    table([
      { title: 'caller', cell: (e) => labels.get(e.source) ?? e.source },
      { title: 'route', cell: (e) => labels.get(e.target) ?? e.target },
      { title: 'category', cell: (e) => h('a', { href: href('findings', '',
        { category: e.category, ...routeFilter(e.target) }), title: 'findings' },
      chip(e.category)) },
      { title: 'events', cell: (e) => fmtNumber(e.events), numeric: true },
      { title: 'findings', cell: (e) => fmtNumber(e.findings), numeric: true },
      { title: 'distinct values', cell: (e) => fmtNumber(e.distinct_values), numeric: true },
      { title: 'blocked', cell: (e) => fmtNumber(e.blocked), numeric: true },
      { title: 'would have blocked', cell: (e) => fmtNumber(e.would_have_blocked ?? 0),
        numeric: true },
    ], edges, 'No edges.', { 'data-table': 'map-edges' }));
  const cy = draw(graph, map);
  // A hook for tests and scripts: what the graph really holds once drawn.
  graph.dataset.nodes = String(cy.nodes().length);
  graph.dataset.edges = String(cy.edges().length);
  graph.dataset.categories = [...new Set(cy.edges().map((e) => String(e.data('category'))))]
    .sort().join(' ');
  graph.dataset.ready = 'true';
};

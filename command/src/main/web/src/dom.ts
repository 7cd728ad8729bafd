// DOM helpers. Every value from the API goes in as text (textContent), never as HTML.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attr = string | number | boolean | null | undefined | ((e: Event) => void);

/** Creates an element; attributes named on* become listeners, booleans toggle. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, Attr> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export interface Column<T> {
  title: string;
  cell: (row: T) => Child;
  numeric?: boolean;
}

/** A table of rows; `empty` is shown instead when there are none. */
export function table<T>(columns: Column<T>[], rows: T[], empty: string,
  attrs: Record<string, Attr> = {}): HTMLElement {
  if (rows.length === 0) {
    return h('p', { class: 'empty' }, empty);
  }
  return h('table', { class: 'data', ...attrs },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.numeric ? 'num' : null },
      c.title)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td',
      { class: c.numeric ? 'num' : null }, c.cell(r)))))));
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Renders any JSON value compactly as text. */
export function scalar(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * A table of objects whose fields are not known in advance: one column per field seen (first
 * `preferred` in order), nested values as compact JSON.
 */
export function objectTable(rows: Record<string, unknown>[], empty: string,
  preferred: string[] = [], extra?: Column<Record<string, unknown>>): HTMLElement {
  const keys: string[] = [];
  for (const k of preferred) if (rows.some((r) => k in r)) keys.push(k);
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  const columns: Column<Record<string, unknown>>[] = keys.map((k) => ({
    title: k.replace(/_/g, ' '),
    cell: (r) => {
      const v = r[k];
      return typeof v === 'string' && ISO_INSTANT.test(v) ? fmtTime(v) : scalar(v);
    },
    numeric: rows.every((r) => r[k] === undefined || typeof r[k] === 'number'),
  }));
  if (extra) columns.push(extra);
  return table(columns, rows, empty);
}

export function fmtTime(iso: unknown): string {
  if (typeof iso !== 'string') return scalar(iso);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtNumber(n: unknown): string {
  return typeof n === 'number' ? n.toLocaleString('en-US') : scalar(n);
}

/** Shortens a hash for display; the full value stays in the title and the link. */
export function shortHash(hash: string): string {
  return hash.length > 16 ? hash.slice(0, 12) + '…' : hash;
}

/** A colour per category, stable across pages. */
export function categoryColor(category: string): string {
  let x = 0;
  for (let i = 0; i < category.length; i++) x = (x * 31 + category.charCodeAt(i)) >>> 0;
  return `hsl(${x % 360}, 62%, 42%)`;
}

/** A category's chip, edged in its colour. */
export function chip(category: string, text: string = category): HTMLElement {
  const el = h('span', { class: 'chip', 'data-category': category }, text);
  el.style.borderLeftColor = categoryColor(category);
  return el;
}

/** A chip per category with its count. */
export function categoryChips(categories: unknown): Child {
  if (!categories || typeof categories !== 'object') return '–';
  return Object.entries(categories as Record<string, unknown>).map(([c, n]) =>
    chip(c, `${c} ×${scalar(n)}`));
}

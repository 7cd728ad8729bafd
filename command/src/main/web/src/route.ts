// Hash routes: #/page/arg?key=value. Filters live in the query so that a view can be linked.

export interface Route {
  page: string;
  arg: string;
  params: URLSearchParams;
}

export function current(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  const pathPart = q < 0 ? hash : hash.slice(0, q);
  const slash = pathPart.indexOf('/');
  return {
    page: slash < 0 ? pathPart : pathPart.slice(0, slash),
    arg: slash < 0 ? '' : decodeURIComponent(pathPart.slice(slash + 1)),
    params: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)),
  };
}

export function href(page: string, arg = '', params: Record<string, string> | URLSearchParams = {}):
  string {
  const p = params instanceof URLSearchParams ? params : new URLSearchParams(params);
  for (const [k, v] of [...p.entries()]) if (v === '') p.delete(k);
  const q = p.toString();
  return `#/${page}${arg ? '/' + encodeURIComponent(arg) : ''}${q ? '?' + q : ''}`;
}

export function go(page: string, arg = '', params: Record<string, string> | URLSearchParams = {}):
  void {
  location.hash = href(page, arg, params);
}

// The command plane's API, called with the token the user entered (kept in sessionStorage).

const TOKEN = 'custos.token';
const ROLE = 'custos.role';
const NAME = 'custos.name';

export type Role = 'read' | 'admin' | 'unknown';

export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN);
  },
  role(): Role {
    return (sessionStorage.getItem(ROLE) as Role | null) ?? 'unknown';
  },
  name(): string {
    return sessionStorage.getItem(NAME) ?? '';
  },
  signIn(token: string, name: string, role: Role): void {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(NAME, name);
    sessionStorage.setItem(ROLE, role);
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(NAME);
    sessionStorage.removeItem(ROLE);
  },
  /** Whether write controls are shown: admins, and callers whose role the plane did not say. */
  mayWrite(): boolean {
    return session.role() !== 'read';
  },
};

/** An API call that failed: status 0 when the plane did not answer at all. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly path: string,
    readonly body: unknown = null) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** Sets what happens when the plane answers 401 (the token is dropped first). */
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

/** Builds a query string from the parameters that have a value. */
export function query(
  params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

/** Calls the API with the session's token; resolves to the parsed JSON answer. */
export async function api<T>(path: string, init: { method?: string; body?: unknown;
  token?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = init.token ?? session.token();
  if (token) headers.Authorization = 'Bearer ' + token;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'the command plane did not answer', path);
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) {
    const message = body && typeof body === 'object' && 'error' in body
      ? String((body as { error: unknown }).error) : `HTTP ${res.status}`;
    if (res.status === 401 && init.token === undefined) {
      session.signOut();
      onUnauthorized();
    }
    throw new ApiError(res.status, message, path.split('?')[0], body);
  }
  return body as T;
}
